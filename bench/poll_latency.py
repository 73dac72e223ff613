"""Poll latency: how late a finished generation is noticed, and how many polls it took.

Runs the client's real wait loop (`wait_for_generation` + `PollSchedule`) on a
virtual clock for priors `T` of 30, 120 and 300 s and real times from `T/4` to
`4 T`: right and wrong priors alike. The vendor example's loop (poll at once, then
every 10 s) is the baseline; the target is to notice within
`min(10 s, max(2 s, 10 % of the real time))` with at most 3x its polls. One real
5 s generation against the emulator checks the virtual clock against a wall clock.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

from aimlapi_client import Generation, PollSchedule, VideoClient, build_request
from aimlapi_client._polling import wait_for_generation
from aimlapi_sim import Emulator

DONE = Generation(id="g", status="completed", video={"url": "https://cdn.example/g.mp4"})
PENDING = Generation(id="g", status="generating")


async def ours(duration_s: float, expected_s: float) -> tuple[float, int]:
    """(seconds late, polls) for our wait loop on a virtual clock."""
    now, polls = 0.0, 0

    async def fetch() -> Generation:
        nonlocal polls
        polls += 1
        return DONE if now >= duration_s else PENDING

    async def sleep(seconds: float) -> None:
        nonlocal now
        now += seconds

    await wait_for_generation(
        fetch, generation_id="g", model="google/veo3", deadline_s=10_000, schedule=PollSchedule(expected_s=expected_s),
        sleep=sleep, clock=lambda: now,
    )  # fmt: skip
    return now - duration_s, polls


def fixed_10s(duration_s: float) -> tuple[float, int]:
    """(seconds late, polls) for the vendor example: poll at 0, 10, 20, ..."""
    polls = int(duration_s // 10) + 1 + (duration_s % 10 > 0)
    return (polls - 1) * 10 - duration_s, polls


async def real_check(duration_s: float) -> tuple[float, int]:
    """A real generation on the emulator: (seconds late, polls)."""
    with Emulator(api_key="bench-key", generation_s=duration_s) as emulator:
        async with VideoClient("bench-key", base_url=emulator.base_url) as client:
            generation = await client.submit(build_request("google/veo3", prompt="latency"))
            accepted = emulator.ledger.accepted_at[generation.id]
            await client.wait(generation.id, model="google/veo3", expected_s=duration_s)
            noticed = time.monotonic()
        return noticed - (accepted + duration_s), emulator.ledger.polls(generation.id)


async def run(priors: list[float], factors: list[float], draws: int) -> None:
    rng = random.Random(7)
    print("| prior T | real (+-5 %, within T/4..4T) | within target | ours: late mean / max, polls | fixed 10 s loop |")
    print("|---|---|---|---|---|")
    for prior in priors:
        for factor in factors:
            low, high = max(0.95 * factor, 0.25), min(1.05 * factor, 4.0)
            reals = [prior * rng.uniform(low, high) for _ in range(draws)]
            mine = [await ours(real, prior) for real in reals]
            fixed = [fixed_10s(real) for real in reals]
            kept = sum(
                late <= min(10.0, max(2.0, 0.1 * real)) + 1e-9 for real, (late, _) in zip(reals, mine, strict=True)
            )
            print(
                f"| {prior:g} s | {prior * factor:g} s ({factor:g} T) | {kept}/{draws} | {_summary(mine)} "
                f"| {_summary(fixed)} |",
                flush=True,
            )
    late, polls = await real_check(5.0)
    print(
        f"poll latency check on the emulator (5 s, wall clock): noticed {late:.2f}s late in {polls} polls", flush=True
    )


def _summary(runs: list[tuple[float, int]]) -> str:
    lates = [late for late, _ in runs]
    return f"{statistics.mean(lates):.1f} / {max(lates):.1f} s, {statistics.mean(p for _, p in runs):.1f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.poll_latency")
    parser.add_argument("--priors", type=float, nargs="+", default=[30.0, 120.0, 300.0])
    parser.add_argument("--factors", type=float, nargs="+", default=[0.25, 0.5, 1.0, 2.0, 4.0])
    parser.add_argument("--draws", type=int, default=100)
    args = parser.parse_args(argv)
    asyncio.run(run(args.priors, args.factors, args.draws))


if __name__ == "__main__":
    main()
