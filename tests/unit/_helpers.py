"""Helpers for unit tests: a client on a respx router, and a fake clock."""

from __future__ import annotations

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


def client_on(router: respx.MockRouter, clock: FakeClock | None = None, **options) -> VideoClient:
    """A `VideoClient` whose requests go to `router` instead of the network."""
    return VideoClient(
        KEY,
        base_url=API,
        transport=httpx.MockTransport(router.handler),
        sleep=(clock := clock or FakeClock()).sleep,
        clock=clock,
        **options,
    )
