"""Several machines, for real on one: a server on PostgreSQL, `make deploy` with only
PREFECT_API_URL, two process workers with their own PREFECT_HOME ("machines") that share
result storage and AIMLAPI_LOCKS on a real Redis: the README's multi-machine recipe."""

from __future__ import annotations

import re
import time
from datetime import datetime

import httpx
import pytest

from aimlapi_sim import SAMPLE_VIDEO

from ._stack import BIN, Stack, query

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
    log = stack.log(worker)
    submitted = set(re.findall(r"submitting flow run '([0-9a-f-]+)'", log))
    return submitted - set(re.findall(r"Aborted submission of flow run '([0-9a-f-]+)'", log))


def _seconds(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def test_two_machines_on_a_postgres_server_pay_once_for_twin_runs(tmp_path, aimlapi_sim, postgres_url, redis_url):
    aimlapi_sim.generation_s = 2
    stack = Stack(tmp_path / "server-home", aimlapi_sim)
    shared_results = tmp_path / "shared-results"
    try:
        stack.start(
            "server", str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(stack.port),
            env={"PREFECT_SERVER_DATABASE_CONNECTION_URL": postgres_url},
        )  # fmt: skip
        stack.wait_healthy(180)
        stack.run("make", "deploy")  # the stack's environment names the server by PREFECT_API_URL only
        for machine in ("a", "b"):
            stack.start(
                f"worker-{machine}", "make", "worker", "WORKER_LIMIT=1",  # one run each: the twins land on both
                env={
                    "PREFECT_HOME": str(tmp_path / f"machine-{machine}"),
                    "PREFECT_LOCAL_STORAGE_PATH": str(shared_results),
                    "AIMLAPI_LOCKS": redis_url,
                    "PREFECT_WORKER_QUERY_SECONDS": "1",  # pick runs up at once
                },
            )  # fmt: skip
        (deployment,) = query(stack, "/deployments/filter", {"deployments": {"name": {"any_": ["on-demand"]}}})

        # Twin runs at the same moment, the create answering 6 s after it arrives.
        aimlapi_sim.faults.add("submit", "delay", seconds=6, times=2)
        out_dir = tmp_path / "videos"
        parameters = {"prompt": "Twins on two machines", "output_dir": str(out_dir)}
        run_ids = [run_deployment(stack, deployment["id"], parameters) for _ in range(2)]
        runs = wait_completed(stack, run_ids)
        assert all(sum(run_id in stack.log(f"worker-{m}") for run_id in run_ids) == 1 for m in "ab"), stack.log(
            "worker"
        )

        assert len(aimlapi_sim.ledger.accepted) == 1
        (video,) = out_dir.iterdir()
        assert video.read_bytes() == SAMPLE_VIDEO
        ends = sorted(_seconds(r["end_time"]) for r in runs)
        assert ends[1] - ends[0] < 15  # the second went on soon after the first committed
    finally:
        stack.stop()
