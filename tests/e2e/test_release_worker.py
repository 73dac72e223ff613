"""Release mode for real: 50 deployment runs of 60 s generations on a PostgreSQL server
and one process worker; each suspends once it has paid, and the watcher resumes it when
its video is done, even across a watcher restart."""

from __future__ import annotations

import threading
import time

import pytest

from aimlapi_sim import SAMPLE_VIDEO

from .._services import descendants, is_flow_run
from ._stack import BIN, Stack, query
from .test_several_machines import _seconds, deploy_on_postgres, run_deployment

pytestmark = pytest.mark.slow

RUNS = 50
LIMIT = 4  # the worker's concurrent runs: a handful


class FlowRunProcesses:
    """Samples, every half second, how many flow-run processes live under a worker, and
    how many of the runs are suspended (rendering with no process)."""

    PERIOD_S = 0.5

    def __init__(self, worker_pid: int, stack: Stack, run_ids: list[str]) -> None:
        self.worker_pid, self.stack, self.run_ids = worker_pid, stack, run_ids
        self.samples: list[int] = []
        self.most_suspended = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(self.PERIOD_S):
            self.samples.append(sum(map(is_flow_run, descendants(self.worker_pid))))
            suspended = list(states(self.stack, self.run_ids).values()).count("Suspended")
            self.most_suspended = max(self.most_suspended, suspended)

    def peak(self) -> int:
        return max(self.samples, default=0)

    def process_seconds(self) -> float:
        """Flow-run process time on the worker, what a worker fleet pays for."""
        return sum(self.samples) * self.PERIOD_S

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


def states(stack: Stack, run_ids: list[str]) -> dict[str, str]:
    runs = query(stack, "/flow_runs/filter", {"flow_runs": {"id": {"any_": run_ids}}})
    return {run["id"]: run["state_name"] for run in runs}


def wait_until(condition, timeout: float, message) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message()
        time.sleep(1)


def longest_suspended_s(stack: Stack, run_ids: list[str]) -> float:
    runs = query(stack, "/flow_runs/filter", {"flow_runs": {"id": {"any_": run_ids}}})
    since = [_seconds(run["state"]["timestamp"]) for run in runs if run["state_name"] == "Suspended"]
    assert since, "every run had finished before the watcher restart"
    return time.time() - min(since)


def watcher_runs(stack: Stack, state: str) -> list[dict]:
    (watcher,) = query(stack, "/deployments/filter", {"deployments": {"name": {"any_": ["watcher"]}}})
    runs = query(stack, "/flow_runs/filter", {"flow_runs": {"deployment_id": {"any_": [watcher["id"]]}}})
    return [run for run in runs if run["state_type"] == state]


def test_released_runs_free_the_worker_while_rendering_and_finish_paid_once(tmp_path, aimlapi_sim, postgres_url):
    aimlapi_sim.generation_s = 60
    stack = Stack(tmp_path / "server-home", aimlapi_sim)
    processes = None
    try:
        deploy_on_postgres(stack, postgres_url, drop=("publish-on-completed",))  # the watcher stays
        stack.start("worker", "make", "worker", f"WORKER_LIMIT={LIMIT}", env={"PREFECT_WORKER_QUERY_SECONDS": "2"})
        (released,) = query(stack, "/deployments/filter", {"deployments": {"name": {"any_": ["on-demand-released"]}}})
        out_dir = tmp_path / "videos"
        run_ids = [
            run_deployment(stack, released["id"], {"prompt": f"Released run {i}", "output_dir": str(out_dir)})
            for i in range(RUNS)
        ]
        processes = FlowRunProcesses(stack.processes["worker"].pid, stack, run_ids)
        report = lambda: f"{sorted(states(stack, run_ids).values())}\n{stack.log('worker')}"  # noqa: E731

        # The watcher goes away while videos finish, and comes back: nothing is lost.
        wait_until(lambda: list(states(stack, run_ids).values()).count("Completed") >= 10, 300, report)
        (watcher,) = watcher_runs(stack, "RUNNING")
        stack.run(str(BIN / "prefect"), "flow-run", "cancel", watcher["id"])
        wait_until(lambda: not watcher_runs(stack, "RUNNING") and not watcher_runs(stack, "CANCELLING"), 60, report)
        # Videos finish while no watcher runs; runs stay suspended past the 90 s after which
        # the heartbeat automation would mark a silent Running run Crashed.
        wait_until(lambda: longest_suspended_s(stack, run_ids) > 95, 150, report)
        stack.run(str(BIN / "prefect"), "deployment", "run", "watch-suspended/watcher")  # as its schedule does

        wait_until(lambda: set(states(stack, run_ids).values()) == {"Completed"}, 420, report)
        assert len(aimlapi_sim.ledger.accepted) == RUNS  # one paid create each, resumes included
        files = list(out_dir.iterdir())
        assert len(files) == RUNS and all(path.read_bytes() == SAMPLE_VIDEO for path in files)

        # Most videos rendered at once, with a handful of processes (held: one per rendering
        # video); holding them would take at least RUNS x 60 s = 3000 process-seconds.
        held = RUNS * aimlapi_sim.generation_s
        print(
            f"flow-run processes: peak {processes.peak()} while up to {processes.most_suspended} runs were "
            f"suspended; {processes.process_seconds():.0f} process-s (held: at least {held})"
        )
        assert processes.most_suspended >= RUNS // 2 and processes.peak() <= LIMIT
        assert processes.process_seconds() < held, processes.samples
    finally:
        if processes is not None:
            processes.stop()
        stack.stop()
