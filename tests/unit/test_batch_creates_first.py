"""A batch's paid creates go out before the bookkeeping of those already answered."""

from __future__ import annotations

import asyncio
import time

import pytest

import flows.batch
from flows.batch import _CreatesFirst


async def test_an_answered_create_waits_until_no_other_item_heads_for_its_own():
    creates, order = _CreatesFirst(), []

    async def item(name: str, create_s: float) -> None:
        with creates.heading() as after_create:
            await asyncio.sleep(create_s)  # the lock and the create request
            order.append(f"{name} created")
            await after_create()
            order.append(f"{name} recorded")

    await asyncio.gather(item("quick", 0.01), item("slow", 0.1), item("slower", 0.2))
    assert order[:3] == ["quick created", "slow created", "slower created"]  # nothing recorded before
    assert sorted(order[3:]) == ["quick recorded", "slow recorded", "slower recorded"]


async def test_an_item_that_ends_without_a_create_releases_the_others():
    creates = _CreatesFirst()
    failed = asyncio.Event()

    async def failing() -> None:
        with pytest.raises(RuntimeError), creates.heading():
            await failed.wait()
            raise RuntimeError("the create was refused")

    async def answered() -> float:
        with creates.heading() as after_create:
            failed.set()
            started = time.monotonic()
            await after_create()
            return time.monotonic() - started

    _, held = await asyncio.gather(failing(), answered())
    assert held < 0.5


async def test_an_answered_create_is_held_back_at_most_the_hold(monkeypatch):
    monkeypatch.setattr(flows.batch, "_HOLD_AFTER_CREATE_S", 0.2)
    creates = _CreatesFirst()
    stuck = asyncio.Event()  # another run holds this item's lock

    async def waiting_for_a_lock() -> None:
        with creates.heading():
            await stuck.wait()

    blocked = asyncio.create_task(waiting_for_a_lock())
    await asyncio.sleep(0)
    with creates.heading() as after_create:
        started = time.monotonic()
        await after_create()
        held = time.monotonic() - started
    stuck.set()
    await blocked
    assert 0.15 < held < 1.0
