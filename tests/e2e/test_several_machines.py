"""Several machines, for real on one: a server on PostgreSQL, `make deploy` with only
PREFECT_API_URL, two process workers with their own PREFECT_HOME ("machines") that share
result storage and AIMLAPI_LOCKS on a real Redis: the README's multi-machine recipe."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from aimlapi_sim import SAMPLE_VIDEO

from ._stack import BIN, ROOT, Stack, query, wait_for_runs

VIDEOS = ROOT / "videos"  # where triggered runs write: the deployments' default folder in this checkout

pytestmark = pytest.mark.slow


def run_deployment(stack: Stack, deployment_id: str, parameters: dict) -> str:
    response = httpx.post(
        f"{stack.api}/deployments/{deployment_id}/create_flow_run", json={"parameters": parameters}, timeout=10
    )
    response.raise_for_status()
    return response.json()["id"]


def wait_completed(stack: Stack, run_ids: list[str], timeout: float = 240) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = query(stack, "/flow_runs/filter", {"flow_runs": {"id": {"any_": run_ids}}})
        failed = [r for r in runs if r["state_type"] in ("FAILED", "CRASHED", "CANCELLED")]
        assert not failed, f"{failed[0]['name']}: {failed[0]['state']}\n{stack.log('worker')}"
        if len(runs) == len(run_ids) and all(r["state_type"] == "COMPLETED" for r in runs):
            return runs
        time.sleep(1)
    raise AssertionError(f"runs did not complete in time\n{stack.log('worker')}")


def ran_by(stack: Stack, worker: str) -> set[str]:
    """The flow runs a worker started (submitted and not aborted), from its log."""
    log = (stack.logs / f"{worker}.log").read_text()  # all of it: `Stack.log` gives the ends
    submitted = set(re.findall(r"submitting flow run '([0-9a-f-]+)'", log))
    return submitted - set(re.findall(r"Aborted submission of flow run '([0-9a-f-]+)'", log))


def _seconds(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def test_machines_on_a_postgres_server_share_the_work_and_pay_once(tmp_path, aimlapi_sim, postgres_url, redis_url):
    aimlapi_sim.generation_s = 2
    stack = Stack(tmp_path / "server-home", aimlapi_sim)
    try:
        deploy_on_postgres(stack, postgres_url)
        start_workers(stack, tmp_path, redis_url, "twins", limit=1)  # one run each: the twins land on both
        (deployment,) = query(stack, "/deployments/filter", {"deployments": {"name": {"any_": ["on-demand"]}}})

        # Twin runs at the same moment, the create answering 6 s after it arrives.
        aimlapi_sim.faults.add("submit", "delay", seconds=6, times=2)
        out_dir = tmp_path / "videos"
        parameters = {"prompt": "Twins on two machines", "output_dir": str(out_dir)}
        run_ids = [run_deployment(stack, deployment["id"], parameters) for _ in range(2)]
        runs = wait_completed(stack, run_ids)
        ran = {machine: ran_by(stack, f"worker-{machine}-twins") & set(run_ids) for machine in "ab"}
        assert len(ran["a"]) == len(ran["b"]) == 1 and ran["a"] | ran["b"] == set(run_ids), stack.log("worker")
        starts = sorted(_seconds(r["start_time"]) for r in runs)
        assert starts[1] - starts[0] < 6  # both were submitting while the first create was in flight

        assert len(aimlapi_sim.ledger.accepted) == 1
        (video,) = out_dir.iterdir()
        assert video.read_bytes() == SAMPLE_VIDEO
        ends = sorted(_seconds(r["end_time"]) for r in runs)
        assert ends[1] - ends[0] < 15  # the second went on soon after the first committed

        # 100 requests by event at once, each prompt twice: the work spreads over both
        # machines, and each distinct prompt is paid for once.
        for machine in "ab":
            stack.stop_process(f"worker-{machine}-twins")
        start_workers(stack, tmp_path, redis_url, "busy", limit=5)
        before = set(VIDEOS.iterdir()) if VIDEOS.is_dir() else set()
        try:
            emit_requests(stack, [f"Request number {i // 2}" for i in range(100)])
            triggered = wait_for_runs(stack, "generate-video/on-request", 100, timeout=900)
            assert len({run["parameters"]["prompt"] for run in triggered}) == 50
            assert len(aimlapi_sim.ledger.accepted) == 1 + 50
            requested = {run["id"] for run in triggered}
            spread = {machine: ran_by(stack, f"worker-{machine}-busy") & requested for machine in "ab"}
            assert spread["a"] and spread["b"] and spread["a"] | spread["b"] == requested, stack.log("worker")
            files = set(VIDEOS.iterdir()) - before
            assert len(files) == 50 and all(path.read_bytes() == SAMPLE_VIDEO for path in files)
        finally:
            for path in set(VIDEOS.iterdir()) - before if VIDEOS.is_dir() else ():
                path.unlink()
    finally:
        stack.stop()


def test_a_run_whose_machine_dies_mid_poll_is_marked_crashed_and_retried_elsewhere_without_paying_again(
    tmp_path, aimlapi_sim, postgres_url, redis_url
):
    aimlapi_sim.generation_s = 90  # still rendering when the machine dies
    stack = Stack(tmp_path / "server-home", aimlapi_sim)
    try:
        deploy_on_postgres(stack, postgres_url)  # with the shipped automations
        (deployment,) = query(stack, "/deployments/filter", {"deployments": {"name": {"any_": ["on-demand"]}}})
        start_workers(stack, tmp_path, redis_url, "crash", limit=1, machines="a")
        out_dir = tmp_path / "videos"
        run_id = run_deployment(stack, deployment["id"], {"prompt": "The machine dies", "output_dir": str(out_dir)})
        deadline = time.monotonic() + 120
        while not aimlapi_sim.ledger.accepted or not aimlapi_sim.ledger.of("api", "GET"):
            assert time.monotonic() < deadline, stack.log("worker")
            time.sleep(0.5)  # until the run has paid and polls
        stack.kill_machine("worker-a-crash")

        (crashed,) = wait_state(stack, run_id, "CRASHED", timeout=240)  # 90 s without a heartbeat
        assert "No heartbeat" in (crashed["state"]["message"] or "")
        start_workers(stack, tmp_path, redis_url, "crash", limit=1, machines="b")
        stack.run(str(BIN / "prefect"), "flow-run", "retry", run_id)  # the README's retry, by hand
        wait_completed(stack, [run_id], timeout=240)
        assert run_id in ran_by(stack, "worker-b-crash")
        assert len(aimlapi_sim.ledger.accepted) == 1  # resumed: no second create
        (video,) = out_dir.iterdir()
        assert video.read_bytes() == SAMPLE_VIDEO
    finally:
        stack.stop()


def deploy_on_postgres(
    stack: Stack, postgres_url: str, drop: tuple[str, ...] = ("publish-on-completed", "watcher")
) -> None:
    """`prefect server start` on PostgreSQL, then `make deploy` with only PREFECT_API_URL.

    Args:
        drop: Deployments to delete: the chained publish flow (tested in test_deployments.py)
            would double the runs, and the watcher's schedule would take a worker slot.
    """
    stack.start(
        "server", str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(stack.port),
        env={"PREFECT_SERVER_DATABASE_CONNECTION_URL": postgres_url},
    )  # fmt: skip
    stack.wait_healthy(180)
    stack.run("make", "deploy")  # the stack's environment names the server by PREFECT_API_URL only
    for deployment in query(stack, "/deployments/filter", {"deployments": {"name": {"any_": list(drop)}}}):
        httpx.delete(f"{stack.api}/deployments/{deployment['id']}", timeout=10).raise_for_status()


def wait_state(stack: Stack, run_id: str, state_type: str, timeout: float) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = query(stack, "/flow_runs/filter", {"flow_runs": {"id": {"any_": [run_id]}}})
        if runs and runs[0]["state_type"] == state_type:
            return runs
        time.sleep(2)
    raise AssertionError(f"run {run_id} not {state_type} in time: {runs[0]['state_type'] if runs else None}")


def start_workers(stack: Stack, tmp_path: Path, redis_url: str, phase: str, limit: int, machines: str = "ab") -> None:
    """One `make worker` per machine: its own PREFECT_HOME, shared results and locks."""
    for machine in machines:
        stack.start(
            f"worker-{machine}-{phase}", "make", "worker", f"WORKER_LIMIT={limit}",
            env={
                "PREFECT_HOME": str(tmp_path / f"machine-{machine}"),
                "PREFECT_LOCAL_STORAGE_PATH": str(tmp_path / "shared-results"),
                "AIMLAPI_LOCKS": redis_url,
                "PREFECT_WORKER_QUERY_SECONDS": "1",  # pick runs up at once
            },
        )  # fmt: skip


def emit_requests(stack: Stack, prompts: list[str]) -> None:
    """`aimlapi.video.requested` events, one per prompt, in one request to the events API."""
    now = datetime.now(UTC).isoformat()
    events = [
        {
            "id": str(uuid.uuid4()),
            "occurred": now,
            "event": "aimlapi.video.requested",
            "resource": {"prefect.resource.id": f"aimlapi.request.{index}"},
            "payload": {"prompt": prompt},
        }
        for index, prompt in enumerate(prompts)
    ]
    httpx.post(f"{stack.api}/events", json=events, timeout=30).raise_for_status()
