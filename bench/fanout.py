"""Fan-out: N generations through `generate_videos` against a plain aiohttp floor.

Both run against the same emulator (in this process) as separate processes; ours
talks to a `prefect server start` of its own. Prints one line per (N, generation
time, prior): wall ratio, CPU, peak RSS (client + server), polls per generation.
`--database postgres` puts that server on a throwaway PostgreSQL cluster (the
machine's own, as the tests start it) instead of SQLite. The prior is `catalogue`
(no `expected_s` and no times learned by earlier runs: Veo3's catalogue 120 s, what
a user's first run gets) or `exact` (`expected_s` set to the true generation time,
a hinted run). Our flow
runs with Prefect's default INFO logging, as a user runs it, and each line starts as
a user's first batch does (`settle`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from aimlapi_sim import Emulator
from flows._priors import VARIABLE
from tests._services import free_port, postgres_cluster

from ._measure import measure, python, tree_peak_rss_mb

KEY = "bench-key"


def start_server(home: Path, database_url: str | None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = os.environ | {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_API_URL": api}
    if database_url:
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = database_url
    server = subprocess.Popen(
        python("-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)),
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return server, api
        except httpx.HTTPError:
            time.sleep(0.5)
    server.kill()
    raise RuntimeError("the Prefect server did not start")


def settle(api: str, timeout_s: float = 120.0) -> float:
    """Start a line as a user's first batch starts; the seconds that took.

    Forgets the times learned by the lines before, and waits until the server has
    stored their events: the event count unchanged for longer than the event
    persister's flush interval (5 s). At the end of a batch of 1000 the server still
    ingests its 2000 events; a SQLite server then answers some requests 503 (its
    database busy) and Prefect's client retries them 2 s later. Measured back to back,
    a line paid that for the one before, and the deletion of the learned times could
    fail, so that a `catalogue` line ran with the times the line before had learned.
    """
    started = time.monotonic()
    forgotten, count, unchanged_since = False, None, started
    while time.monotonic() - started < timeout_s:
        try:
            if not forgotten:
                forgotten = httpx.delete(f"{api}/variables/name/{VARIABLE}", timeout=10).status_code in (204, 404)
            now = httpx.post(f"{api}/events/filter", json={"limit": 1}, timeout=10).json()["total"]
        except (httpx.HTTPError, ValueError, KeyError):
            now = None
        if now is None or now != count:
            count, unchanged_since = now, time.monotonic()
        elif forgotten and time.monotonic() - unchanged_since > 6.0:
            return time.monotonic() - started
        time.sleep(0.5)
    raise RuntimeError(f"the Prefect server did not settle within {timeout_s:g}s")


def polls_per_generation(emulator: Emulator) -> float:
    accepted = len(emulator.ledger.accepted)
    return len(emulator.ledger.of("api", "GET")) / accepted if accepted else 0.0


def run(ns: list[int], generation_times: list[float], priors: list[str], database: str) -> None:
    with contextlib.ExitStack() as services:
        database_url = services.enter_context(postgres_cluster()) if database == "postgres" else None
        _run(ns, generation_times, priors, database, database_url)


def _run(
    ns: list[int], generation_times: list[float], priors: list[str], database: str, database_url: str | None
) -> None:
    with tempfile.TemporaryDirectory(prefix="aimlapi-bench-") as scratch, Emulator(api_key=KEY) as emulator:
        server, api = start_server(Path(scratch) / "home", database_url)
        env = os.environ | {
            "PREFECT_HOME": str(Path(scratch) / "home"),
            "PREFECT_API_URL": api,
        }
        try:
            for generation_s in generation_times:
                emulator.generation_s = generation_s
                for n in ns:
                    emulator.ledger.clear()
                    settle(api)  # a server still busy would take a core from the floor too
                    base = measure(
                        python("-m", "bench.baseline_aiohttp", emulator.base_url, KEY, str(n), f"{scratch}/base-{n}")
                    )
                    base_polls = polls_per_generation(emulator)
                    for prior in priors:
                        emulator.ledger.clear()
                        expected = str(generation_s) if prior == "exact" else "catalogue"
                        settled_s = settle(api)
                        out = f"{scratch}/ours-{n}-{generation_s}-{prior}"
                        ours = measure(
                            python("-m", "bench.run_batch", emulator.base_url, KEY, str(n), out, expected), env=env
                        )
                        our_polls = polls_per_generation(emulator)
                        server_mb = tree_peak_rss_mb(server.pid)
                        ratio = ours.report["seconds"] / base.report["seconds"]
                        print(
                            f"fanout n={n} gen={generation_s:g}s prior={prior} db={database}: "
                            f"wall {ours.report['seconds']:.1f}s vs floor {base.report['seconds']:.1f}s "
                            f"= {ratio:.2f}x | CPU {ours.cpu_s:.1f}s "
                            f"({1000 * ours.cpu_s / n:.0f} ms/generation) vs {base.cpu_s:.1f}s | peak RSS "
                            f"client {ours.peak_rss_mb:.0f} MB + server {server_mb:.0f} MB = "
                            f"{ours.peak_rss_mb + server_mb:.0f} MB (floor {base.peak_rss_mb:.0f} MB) | "
                            f"polls/generation {our_polls:.1f} vs {base_polls:.1f} | "
                            f"settled {settled_s:.0f}s before",
                            flush=True,
                        )
        finally:
            os.killpg(server.pid, 15)
            server.wait(30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout")
    parser.add_argument("--n", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--gen", type=float, nargs="+", default=[5.0, 60.0], help="generation seconds")
    parser.add_argument("--prior", nargs="+", choices=["catalogue", "exact"], default=["catalogue", "exact"])
    parser.add_argument("--database", nargs="+", choices=["sqlite", "postgres"], default=["sqlite"])
    args = parser.parse_args(argv)
    for database in args.database:
        run(args.n, args.gen, args.prior, database)


if __name__ == "__main__":
    main()
