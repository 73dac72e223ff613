"""Helpers for integration tests: reading what reached the Prefect server."""

from __future__ import annotations

import asyncio
import time

from prefect.client.orchestration import get_client
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
from prefect.events.worker import EventsWorker


async def read_events(prefix: str, resource_id: str, expected: int, timeout: float = 20.0) -> list:
    """Events named `prefix*` about `resource_id`, once `expected` of them reached the server."""
    await EventsWorker.drain_all()
    deadline = time.monotonic() + timeout
    event_filter = EventFilter(event=EventNameFilter(prefix=[prefix]), resource=EventResourceFilter(id=[resource_id]))
    while True:
        async with get_client() as prefect:
            events = (await prefect.read_events(filter=event_filter, limit=50)).events
        if len(events) >= expected or time.monotonic() > deadline:
            return events
        await asyncio.sleep(0.5)
