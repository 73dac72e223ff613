"""Poll latency: how late a finished generation is noticed, and how many polls it took.

Runs the client's real wait loop (`wait_for_generation` + `PollSchedule`) on a
virtual clock for 5 s, 60 s and 120 s generations: once with the catalogue prior
exactly right, once with the real duration spread +-20 % around it (200 draws).
The vendor example's loop (poll at once, then every 10 s) is the baseline. One
real 5 s generation against the emulator checks the virtual clock against a wall
clock.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

from aimlapi_client import Generation, PollSchedule, Veo3Request, VideoClient
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
        fetch, generation_id="g", deadline_s=10_000, schedule=PollSchedule(expected_s=expected_s),
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
            generation = await client.submit(Veo3Request(prompt="latency"))
            accepted = emulator.ledger.accepted_at[generation.id]
            await client.wait(generation.id, model="google/veo3", expected_s=duration_s)
            noticed = time.monotonic()
        return noticed - (accepted + duration_s), emulator.ledger.polls(generation.id)


async def run(durations: list[float], draws: int) -> None:
    rng = random.Random(7)
    for duration in durations:
        exact_late, exact_polls = await ours(duration, duration)
        fixed_late, fixed_polls = fixed_10s(duration)
        spread = [duration * rng.uniform(0.8, 1.2) for _ in range(draws)]
        ours_spread = [await ours(actual, duration) for actual in spread]
        fixed_spread = [fixed_10s(actual) for actual in spread]
        target = max(1.0, 0.05 * duration)
        print(
            f"poll latency {duration:g}s (target <= {target:g}s late): prior exact: ours {exact_late:.1f}s late "
            f"in {exact_polls} polls vs fixed-10s {fixed_late:.1f}s in {fixed_polls} | prior +-20%: ours "
            f"mean {statistics.mean(late for late, _ in ours_spread):.1f}s "
            f"max {max(late for late, _ in ours_spread):.1f}s "
            f"late, {statistics.mean(p for _, p in ours_spread):.1f} polls vs fixed-10s mean "
            f"{statistics.mean(late for late, _ in fixed_spread):.1f}s "
            f"max {max(late for late, _ in fixed_spread):.1f}s, "
            f"{statistics.mean(p for _, p in fixed_spread):.1f} polls",
            flush=True,
        )
    late, polls = await real_check(5.0)
    print(
        f"poll latency check on the emulator (5 s, wall clock): noticed {late:.2f}s late in {polls} polls", flush=True
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.poll_latency")
    parser.add_argument("--durations", type=float, nargs="+", default=[5.0, 60.0, 120.0])
    parser.add_argument("--draws", type=int, default=200)
    args = parser.parse_args(argv)
    asyncio.run(run(args.durations, args.draws))


if __name__ == "__main__":
    main()
