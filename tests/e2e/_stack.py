"""A deployment stack for end-to-end tests: processes in their own groups, ended by group."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from aimlapi_sim.pytest_plugin import SIM_API_KEY

from .._services import descendants, free_port

ROOT = Path(__file__).parents[2]
BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"


class Stack:
    """The processes of one deployment stack, each in its own process group."""

    def __init__(self, home: Path, emulator) -> None:
        self.port = free_port()
        self.api = f"http://127.0.0.1:{self.port}/api"
        self.env = {
            **os.environ,
            "PREFECT_HOME": str(home),
            "PREFECT_API_URL": self.api,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "AIMLAPI_API_KEY": SIM_API_KEY,
            "AIMLAPI_BASE_URL": emulator.base_url,
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        }
        self.logs = home / "logs"
        self.logs.mkdir(parents=True)
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *command: str, env: dict[str, str | None] | None = None) -> None:
        """Start a long-running process; `env` changes the stack's environment (None unsets)."""
        log = (self.logs / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=self._env(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def _env(self, changes: dict[str, str | None] | None) -> dict[str, str]:
        merged = {**self.env, **(changes or {})}
        return {name: value for name, value in merged.items() if value is not None}

    def run(self, *command: str, timeout: float = 300, env: dict[str, str | None] | None = None) -> str:
        """Run a command to its end; `env` changes the stack's environment (None unsets)."""
        done = subprocess.run(command, cwd=ROOT, env=self._env(env), capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    def wait_healthy(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.api}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.processes["server"].poll() is None, self.log("server")
            time.sleep(0.5)
        raise AssertionError("the Prefect server did not start:\n" + self.log("server"))

    def log(self, prefix: str) -> str:
        """The ends of the logs of the processes whose names start with `prefix`."""
        return "\n".join(
            f"--- {path.stem}\n{path.read_text()[-4000:]}" for path in sorted(self.logs.glob(f"{prefix}*.log"))
        )

    def stop_process(self, name: str) -> None:
        """End one process group: SIGTERM, then SIGKILL what is left."""
        process = self.processes.pop(name)
        _signal_group(process.pid, signal.SIGTERM)
        if not _wait_group_gone(process, 30):
            _signal_group(process.pid, signal.SIGKILL)
            _wait_group_gone(process, 10)

    def kill_machine(self, name: str) -> None:
        """SIGKILL a process and everything it started, as if its machine died: no
        process gets to say goodbye (flow runs live in sessions of their own)."""
        process = self.processes.pop(name)
        for pid in [*descendants(process.pid), process.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait(10)

    def stop(self) -> None:
        """SIGTERM each group, wait for all its members, SIGKILL what is left; check none is."""
        for name in reversed(list(self.processes)):
            process = self.processes[name]
            _signal_group(process.pid, signal.SIGTERM)
            if not _wait_group_gone(process, 30):
                _signal_group(process.pid, signal.SIGKILL)
                _wait_group_gone(process, 10)
        survivors = [name for name, p in self.processes.items() if not _wait_group_gone(p, 0)]
        assert not survivors, f"processes left running: {survivors}"


def _signal_group(group: int, sig: int) -> None:
    try:
        os.killpg(group, sig)
    except ProcessLookupError:
        pass


def _wait_group_gone(leader: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        leader.poll()  # reap the leader: a zombie still counts as a member of its group
        try:
            os.killpg(leader.pid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def query(stack: Stack, path: str, body: dict) -> list[dict]:
    response = httpx.post(f"{stack.api}{path}", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def wait_for_runs(stack: Stack, deployment: str, count: int, timeout: float = 240) -> list[dict]:
    """Flow runs of `deployment` (flow/name), once `count` of them are completed."""
    flow_name, name = deployment.split("/")
    (found,) = query(
        stack,
        "/deployments/filter",
        {"deployments": {"name": {"any_": [name]}}, "flows": {"name": {"any_": [flow_name]}}},
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = query(stack, "/flow_runs/filter", {"flow_runs": {"deployment_id": {"any_": [found["id"]]}}})
        failed = [r for r in runs if r["state_type"] in ("FAILED", "CRASHED")]
        assert not failed, f"{deployment} failed: {failed[0]['state']}\n{stack.log('worker')}"
        done = [r for r in runs if r["state_type"] == "COMPLETED"]
        if len(done) >= count:
            return done
        time.sleep(1)
    raise AssertionError(f"{deployment}: no {count} completed runs in time\n{stack.log('worker')}")


def result_of(stack: Stack, flow_run: dict) -> dict:
    artifacts = query(stack, "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [flow_run["id"]]}}})
    return {artifact["type"]: artifact for artifact in artifacts}
