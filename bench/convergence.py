"""In-batch convergence: a batch whose catalogue prior is 2x off learns the real time.

`generate_videos` of N MiniMax video-01 generations (catalogue prior 30 s) that
really take 15 s, at most C in flight, so they run in waves of C. No `expected_s`
and no times learned before: the first wave schedules its polls from the 30 s prior;
once three have completed, the rest schedule from the observed median. Per wave:
polls per generation and how late completion was noticed, from the emulator's
ledger. The same batch with `expected_s=15` (a hinted run) is the reference.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time

import httpx
from prefect.settings import PREFECT_API_URL
from prefect.testing.utilities import prefect_test_harness

from aimlapi_sim import Emulator
from blocks import AimlApiCredentials
from flows import generate_videos
from flows._priors import VARIABLE

KEY = "bench-key"
MODEL = "video-01"


def wave_stats(emulator: Emulator, wave_size: int) -> list[tuple[float, float]]:
    """(polls per generation, mean seconds late) for each wave, in submission order."""
    ledger = emulator.ledger
    polls: dict[str, list[float]] = {}
    for request in ledger.of("api", "GET"):
        polls.setdefault(request.query["generation_id"], []).append(request.at)
    ordered = sorted(ledger.accepted, key=ledger.accepted_at.__getitem__)
    waves = [ordered[i : i + wave_size] for i in range(0, len(ordered), wave_size)]
    return [
        (
            statistics.mean(len(polls[g]) for g in wave),
            statistics.mean(max(polls[g]) - (ledger.accepted_at[g] + emulator.generation_s) for g in wave),
        )
        for wave in waves
    ]


async def run_batch(emulator: Emulator, n: int, concurrency: int, expected_s: float | None, out: str) -> float:
    credentials = AimlApiCredentials(api_key=KEY, base_url=emulator.base_url)
    items = [{"model": MODEL, "prompt": f"convergence {time.time_ns()} {i}"} for i in range(n)]
    started = time.monotonic()
    summary = await generate_videos(
        items=items, credentials=credentials, output_dir=out, max_concurrency=concurrency, expected_s=expected_s
    )
    if summary.failed:
        raise SystemExit(f"{len(summary.failed)} failed: {summary.failed[0].error}")
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.convergence")
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--gen", type=float, default=15.0, help="real generation seconds (catalogue: 30)")
    args = parser.parse_args(argv)
    with prefect_test_harness(), tempfile.TemporaryDirectory() as out, Emulator(api_key=KEY) as emulator:
        emulator.generation_s = args.gen
        for prior, expected_s in (("catalogue", None), ("exact", args.gen)):
            emulator.ledger.clear()
            # A first run: no times learned before.
            httpx.delete(f"{PREFECT_API_URL.value()}/variables/name/{VARIABLE}", timeout=10)
            wall = asyncio.run(run_batch(emulator, args.n, args.concurrency, expected_s, out))
            waves = " | ".join(
                f"wave {i + 1}: {polls:.1f} polls, {late:.1f}s late"
                for i, (polls, late) in enumerate(wave_stats(emulator, args.concurrency))
            )
            print(
                f"convergence n={args.n} in waves of {args.concurrency}, real {args.gen:g}s, "
                f"catalogue 30s, prior={prior}: wall {wall:.1f}s | {waves}",
                flush=True,
            )


if __name__ == "__main__":
    main()
