"""The Prefect way, end to end: `prefect server start`, `make deploy`, a process worker,
runs started by `prefect deployment run` and by an event, and the chained publish flow.

Everything runs against processes this test starts (own PREFECT_HOME, free ports)
and ends them all, by process group, whatever happens.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from aimlapi_sim.pytest_plugin import SIM_API_KEY

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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

    def start(self, name: str, *command: str) -> None:
        log = (self.logs / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def run(self, *command: str, timeout: float = 300, env: dict[str, str | None] | None = None) -> str:
        """Run a command to its end; `env` changes the stack's environment (None unsets)."""
        changed = {**self.env, **(env or {})}
        environment = {name: value for name, value in changed.items() if value is not None}
        done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=timeout)
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

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text()[-4000:]

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


def files_in(*folders: Path) -> set[Path]:
    return {path for folder in folders if folder.is_dir() for path in folder.iterdir()}


@pytest.fixture
def stack(tmp_path, aimlapi_sim):
    aimlapi_sim.generation_s = 1.0
    stack = Stack(tmp_path / "prefect-home", aimlapi_sim)
    # Triggered runs use the deployments' default folders in this checkout.
    outputs = (ROOT / "videos", ROOT / "published")
    before = files_in(*outputs)
    try:
        # The README's commands, with the user's own settings: a server on another port,
        # the API URL in the active Prefect profile for `make deploy`, in the
        # environment for `make worker`.
        stack.start("server", "make", "server", f"PREFECT_PORT={stack.port}")
        stack.wait_healthy()
        stack.run(str(BIN / "prefect"), "config", "set", f"PREFECT_API_URL={stack.api}")
        stack.run("make", "deploy", env={"PREFECT_API_URL": None})
        stack.start("worker", "make", "worker")
        yield stack
    finally:
        stack.stop()
        for path in files_in(*outputs) - before:
            path.unlink()


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


def test_deployments_run_by_hand_by_event_and_chained(stack, aimlapi_sim, tmp_path):
    deployments = query(stack, "/deployments/filter", {})
    by_name = {d["name"]: d for d in deployments}
    assert {"on-demand", "nightly", "on-request", "publish-on-completed", "collect", "hourly"} <= set(by_name)
    nightly = httpx.get(f"{stack.api}/deployments/{by_name['nightly']['id']}/schedules", timeout=10).json()
    assert nightly and nightly[0]["schedule"]["cron"] == "0 2 * * *"
    sweeper = httpx.get(f"{stack.api}/deployments/{by_name['hourly']['id']}/schedules", timeout=10).json()
    assert sweeper and sweeper[0]["schedule"]["cron"] == "15 * * * *"
    assert by_name["on-demand"]["parameters"]["credentials"] == "aimlapi"  # a block name, no secret

    # 1. By hand, as from the UI's Run button.
    out_dir = tmp_path / "by-hand"
    stack.run(
        str(BIN / "prefect"),
        "deployment",
        "run",
        "generate-video/on-demand",
        "--param",
        "prompt=A red kite over the sea",
        "--param",
        f"output_dir={out_dir}",
        "--watch",
        "--watch-timeout",
        "240",
    )
    (by_hand,) = wait_for_runs(stack, "generate-video/on-demand", 1)
    artifacts = result_of(stack, by_hand)
    assert {"markdown", "progress"} <= set(artifacts)
    assert artifacts["progress"]["data"] == 100.0
    (video,) = out_dir.iterdir()
    assert video.read_bytes()[4:8] == b"ftyp" and video.name in artifacts["markdown"]["data"]

    # 2. By an event whose payload carries the prompt.
    stack.run(
        str(BIN / "prefect"),
        "event",
        "emit",
        "aimlapi.video.requested",
        "--resource-id",
        "aimlapi.request.e2e",
        "--payload",
        json.dumps({"prompt": "A fox in the snow"}),
    )
    (triggered,) = wait_for_runs(stack, "generate-video/on-request", 1)
    assert triggered["parameters"]["prompt"] == "A fox in the snow"

    # 3. Chained: every completed video is published by the publish deployment.
    published = wait_for_runs(stack, "publish-video/publish-on-completed", 2)
    paths = {run["parameters"]["path"] for run in published}
    assert str(video) in paths
    for path in paths:
        assert (ROOT / "published" / Path(path).name).is_file()
    completed = query(
        stack, "/events/filter", {"filter": {"event": {"name": ["aimlapi.video.completed"]}}, "limit": 50}
    )["events"]
    assert len(completed) >= 2
    assert len(aimlapi_sim.ledger.accepted) == 2

    # 4. Collect by id, as from the UI with the id of an error message: the file is there, verified.
    stack.run(
        str(BIN / "prefect"), "deployment", "run", "collect-generation/collect",
        "--param", f"generation_id={aimlapi_sim.ledger.accepted[0]}", "--param", f"output_dir={out_dir}",
        "--watch", "--watch-timeout", "240",
    )  # fmt: skip
    (collected,) = wait_for_runs(stack, "collect-generation/collect", 1)
    assert str(video.resolve()) in result_of(stack, collected)["markdown"]["data"]
    assert [path.name for path in out_dir.iterdir()] == [video.name]
    assert len(aimlapi_sim.ledger.accepted) == 2  # collecting never submits
