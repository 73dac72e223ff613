"""The submission locks: exclusive across coroutines and processes, gone with a dead holder."""

from __future__ import annotations

import asyncio
import fcntl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tasks import FlockLockManager

HOLD_AND_SLEEP = """
import sys, time
from pathlib import Path
from tasks import FlockLockManager
assert FlockLockManager(Path(sys.argv[1])).acquire_lock("k", "other-process")
print("held", flush=True)
time.sleep(60)
"""


async def test_coroutines_of_one_process_take_turns(tmp_path):
    locks = FlockLockManager(tmp_path)
    order: list[str] = []

    async def hold(holder: str) -> None:
        assert await locks.aacquire_lock("k", holder)
        order.append(f"{holder} in")
        await asyncio.sleep(0.2)
        order.append(f"{holder} out")
        locks.release_lock("k", holder)

    await asyncio.gather(hold("a"), hold("b"), hold("c"))
    assert [entry.split()[1] for entry in order] == ["in", "out"] * 3  # never two inside at once
    assert not locks.is_locked("k")


async def test_a_waiting_acquire_gives_up_at_its_timeout(tmp_path):
    locks = FlockLockManager(tmp_path)
    assert await locks.aacquire_lock("k", "a")
    started = time.monotonic()
    assert not await locks.aacquire_lock("k", "b", acquire_timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 2
    assert locks.is_lock_holder("k", "a") and not locks.is_lock_holder("k", "b")


def test_only_the_holder_releases(tmp_path):
    locks = FlockLockManager(tmp_path)
    assert locks.acquire_lock("k", "a")
    with pytest.raises(ValueError, match="No lock held by b"):
        locks.release_lock("k", "b")
    locks.release_lock("k", "a")
    assert locks.acquire_lock("k", "b")


def test_a_lock_held_by_another_process_excludes_and_dies_with_it(tmp_path):
    root = Path(__file__).parents[2]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_SLEEP, str(tmp_path)], cwd=root, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        locks = FlockLockManager(tmp_path)
        assert locks.is_locked("k")
        assert not locks.acquire_lock("k", "me", acquire_timeout=0.3)
    finally:
        holder.kill()  # SIGKILL: no cleanup, the lock file stays behind
        holder.wait()
    assert (tmp_path / "k.lock").exists()
    started = time.monotonic()
    assert locks.acquire_lock("k", "me", acquire_timeout=5)
    assert time.monotonic() - started < 1  # freed by the kernel, not by an expiry


def test_a_released_lock_keeps_its_file_and_serves_the_next_holder(tmp_path):
    """Deleting lock files on release would slow every file a batch creates after them."""
    locks = FlockLockManager(tmp_path)
    for holder in ("a", "b"):
        assert locks.acquire_lock("k", holder, acquire_timeout=1)
        locks.release_lock("k", holder)
        assert (tmp_path / "k.lock").stat().st_size == 0  # kept, and empty
    assert not FlockLockManager(tmp_path).is_locked("k")  # free for another process's manager too


def test_a_lock_file_deleted_by_someone_tidying_is_not_shared_with_its_old_opener(tmp_path, monkeypatch):
    """A taker that opened the file just before it was deleted must not hold a lock nobody else can see."""
    locks = FlockLockManager(tmp_path)
    assert locks.acquire_lock("k", "a")
    locks.release_lock("k", "a")
    real_flock = fcntl.flock

    def tidied_before_lock(fd: int, operation: int) -> None:
        (tmp_path / "k.lock").unlink(missing_ok=True)  # deleted between this taker's open and its flock
        (tmp_path / "k.lock").touch()  # and created again by the next taker
        real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", tidied_before_lock)
    assert not locks.acquire_lock("k", "b", acquire_timeout=0)  # its inode is gone: it tries again
    monkeypatch.setattr(fcntl, "flock", real_flock)
    assert locks.acquire_lock("k", "b", acquire_timeout=0)
    assert locks.is_lock_holder("k", "b")
