"""Helpers for unit tests: a client on a respx router, and fake clocks."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable

import httpx
import respx

from aimlapi_client import VideoClient

API = "https://api.test"
ROUTE = f"{API}/v2/generate/video/google/generation"
KEY = "sk-canary-3f9a1c"


class Body(httpx.AsyncByteStream):
    """A response body that arrives as a stream, as from a real server."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self):
        yield self.data


class FakeClock:
    """A monotonic clock that only moves when `sleep` is awaited."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class VirtualTime:
    """A clock for waits that run at once: time jumps to the next sleeper once all are blocked."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()  # sleepers due at the same time wake in the order they slept

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), next(self._order), woken))
        await woken

    async def run(self, *waits: Awaitable[object]) -> list[object]:
        tasks = [asyncio.ensure_future(wait) for wait in waits]
        while True:
            for _ in range(50):  # everything runs on until it sleeps (no real I/O below)
                await asyncio.sleep(0)
            if all(task.done() for task in tasks):
                return [task.result() for task in tasks]
            while self._sleepers and self._sleepers[0][2].cancelled():
                heapq.heappop(self._sleepers)
            if not self._sleepers:
                raise RuntimeError("the waits are blocked on something other than the clock")
            self.now, _, woken = heapq.heappop(self._sleepers)
            woken.set_result(None)


def client_on(router: respx.MockRouter, clock: FakeClock | VirtualTime | None = None, **options) -> VideoClient:
    """A `VideoClient` whose requests go to `router` instead of the network."""
    return VideoClient(
        KEY,
        base_url=API,
        transport=httpx.MockTransport(router.handler),
        sleep=(clock := clock or FakeClock()).sleep,
        clock=clock,
        **options,
    )
