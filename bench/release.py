"""Release mode: N deployment runs of T-second generations on one process worker,
held (each run waits in its own process, the default) and released (`release_worker`:
suspended while its video renders, resumed by the watcher).

The stack is what `make deploy` and `make worker` give a user: a `prefect server
start` (on a throwaway PostgreSQL cluster, as several machines would use), the
deployments and automations of prefect.yaml, one worker capped at `--worker-limit`
runs (200 held runs at once would need about 35 GB here). Prints one line per mode:
wall time, peak flow-run processes and worker-side RSS, process-seconds (what a
worker fleet pays for), the processes alive when the most runs were in flight, and
the latency from a generation's completion to its file on disk.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx

from aimlapi_sim import Emulator
from tests._services import descendants, is_flow_run, memory_mb, postgres_cluster

from ._measure import ROOT
from .fanout import KEY, start_server

IN_FLIGHT = ["Running", "Suspended", "Resuming", "Pending"]


class WorkerSampler:
    """Samples the worker's flow-run processes, their RSS and the runs in flight, twice a second."""

    PERIOD_S = 0.5

    def __init__(self, worker_pid: int, api: str, deployment_id: str) -> None:
        self.worker_pid, self.api, self.deployment_id = worker_pid, api, deployment_id
        self.samples: list[tuple[int, float, int]] = []  # processes, tree RSS MB, runs in flight
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.PERIOD_S):
            tree = [self.worker_pid, *descendants(self.worker_pid)]
            processes = sum(map(is_flow_run, tree))
            rss = sum(map(memory_mb, tree))
            self.samples.append((processes, rss, self._in_flight()))

    def _in_flight(self) -> int:
        body = {
            "deployments": {"id": {"any_": [self.deployment_id]}},
            "flow_runs": {"state": {"name": {"any_": IN_FLIGHT}}},
        }
        try:
            return int(httpx.post(f"{self.api}/flow_runs/count", json=body, timeout=5).json())
        except (httpx.HTTPError, ValueError):
            return self.samples[-1][2] if self.samples else 0

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)


def run_mode(mode: str, n: int, generation_s: float, limit: int, scratch: Path, env: dict, emulator: Emulator) -> None:
    api = env["PREFECT_API_URL"]
    deployment = "on-demand-released" if mode == "released" else "on-demand"
    (found,) = httpx.post(
        f"{api}/deployments/filter", json={"deployments": {"name": {"any_": [deployment]}}}, timeout=10
    ).json()
    worker = subprocess.Popen(
        ["make", "worker", f"WORKER_LIMIT={limit}"], cwd=ROOT, env=env | {"PREFECT_HOME": str(scratch / f"w-{mode}")},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    sampler = WorkerSampler(worker.pid, api, found["id"])
    out_dir = scratch / mode
    emulator.ledger.clear()
    clock_offset = time.time() - time.monotonic()  # the emulator's accept times are monotonic
    started = time.monotonic()
    run_ids = []
    try:
        for i in range(n):
            parameters = {"prompt": f"{mode} run {i}", "output_dir": str(out_dir)}
            response = httpx.post(
                f"{api}/deployments/{found['id']}/create_flow_run", json={"parameters": parameters}, timeout=30
            )
            response.raise_for_status()
            run_ids.append(response.json()["id"])
        crashed = _wait_completed(api, run_ids, timeout=60 * 60)
        wall = time.monotonic() - started
    finally:
        sampler.stop()
        os.killpg(worker.pid, 15)
        worker.wait(60)
    latencies = []
    for path in out_dir.iterdir():
        accepted = emulator.ledger.accepted_at[_generation_of(path, emulator.ledger.accepted)]
        latencies.append(path.stat().st_mtime - (accepted + generation_s + clock_offset))
    processes = [p for p, _, _ in sampler.samples]
    busiest = max(sampler.samples, key=lambda sample: sample[2])
    print(
        f"release n={n} gen={generation_s:g}s worker-limit={limit} {mode}: wall {wall:.0f}s | flow-run processes "
        f"peak {max(processes)}, {busiest[0]} with the most runs in flight ({busiest[2]}) | worker-side RSS peak "
        f"{max(rss for _, rss, _ in sampler.samples) / 1024:.1f} GB | {sum(processes) * sampler.PERIOD_S:.0f} "
        f"process-s | completion to file median {statistics.median(latencies):.1f}s, "
        f"p95 {statistics.quantiles(latencies, n=20)[-1]:.1f}s | creates {len(emulator.ledger.accepted)} | "
        f"marked Crashed on the way, then completed: {len(crashed)}",
        flush=True,
    )


def _wait_completed(api: str, run_ids: list[str], timeout: float) -> set[str]:
    """Wait until every run completed; returns those seen Crashed on the way (the watcher
    restores a run marked Crashed while suspended: one that stays Crashed is an error)."""
    deadline = time.monotonic() + timeout
    crashed: dict[str, float] = {}
    while time.monotonic() < deadline:
        runs = httpx.post(
            f"{api}/flow_runs/filter", json={"flow_runs": {"id": {"any_": run_ids}}, "limit": 200}, timeout=30
        ).json()
        for run in runs:
            if run["state_type"] == "CRASHED":
                crashed.setdefault(run["id"], time.monotonic())
        bad = [run for run in runs if run["state_type"] in ("FAILED", "CANCELLED")] + [
            run for run in runs if run["state_type"] == "CRASHED" and time.monotonic() - crashed[run["id"]] > 60
        ]
        if bad:
            raise RuntimeError(f"{bad[0]['name']}: {bad[0]['state']}")
        done = httpx.post(
            f"{api}/flow_runs/count",
            json={"flow_runs": {"id": {"any_": run_ids}, "state": {"type": {"any_": ["COMPLETED"]}}}},
            timeout=30,
        ).json()
        if done == len(run_ids):
            return set(crashed)
        time.sleep(2)
    raise RuntimeError("the runs did not complete in time")


def _generation_of(path: Path, accepted: list[str]) -> str:
    (generation_id,) = [g for g in accepted if path.name.startswith(g.split(":")[0])]
    return generation_id


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.release")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--gen", type=float, default=120.0, help="generation seconds")
    parser.add_argument("--worker-limit", type=int, default=40)
    parser.add_argument("--mode", nargs="+", choices=["held", "released"], default=["held", "released"])
    args = parser.parse_args(argv)
    with (
        postgres_cluster() as database_url,
        tempfile.TemporaryDirectory(prefix="aimlapi-bench-") as tmp,
        Emulator(api_key=KEY, generation_s=args.gen) as emulator,
    ):
        scratch = Path(tmp)
        server, api = start_server(scratch / "home", database_url)
        env = os.environ | {
            "PREFECT_HOME": str(scratch / "home"),
            "PREFECT_API_URL": api,
            "AIMLAPI_API_KEY": KEY,
            "AIMLAPI_BASE_URL": emulator.base_url,
        }
        try:
            subprocess.run(["make", "deploy"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)
            for mode in args.mode:
                run_mode(mode, args.n, args.gen, args.worker_limit, scratch, env, emulator)
        finally:
            os.killpg(server.pid, 15)
            server.wait(30)


if __name__ == "__main__":
    main()
