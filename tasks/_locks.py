"""Submission locks on local files that the kernel releases when their holder dies.

Prefect's `FileSystemLockManager` creates a lock file and writes its holder in a
second step, so a reader can find the file empty and fail ("EOF while parsing"),
and a lock left by a killed process stays until it expires. These locks use
`flock(2)` instead: taking one is a single atomic call, it is held by an open file
description (so two coroutines of one process exclude each other as well as two
processes), and the kernel drops it the moment its process ends, however it ends.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import threading
import time
from pathlib import Path

from prefect.locking.protocol import LockManager

__all__ = ["FlockLockManager"]

_POLL_S = 0.05


class FlockLockManager(LockManager):
    """A Prefect lock manager for the runs of one machine (or one shared local disk).

    Args:
        directory: Where the lock files live (created on first use).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory).expanduser()
        self._held: dict[str, tuple[str, int]] = {}  # key -> (holder, fd) in this process
        self._mutex = threading.Lock()

    def __repr__(self) -> str:
        return f"FlockLockManager({str(self.directory)!r})"

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.lock"

    def _try_acquire(self, key: str, holder: str) -> bool:
        with self._mutex:
            if key in self._held:
                return self._held[key][0] == holder
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self._path(key)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                # The holder before us may have unlinked this file on release after we
                # opened it: a lock on an unlinked inode excludes nobody, so try again.
                if os.fstat(fd).st_ino != os.stat(path).st_ino:
                    raise BlockingIOError
            except (BlockingIOError, FileNotFoundError):
                os.close(fd)
                return False
            self._held[key] = (holder, fd)
            return True

    def acquire_lock(
        self, key: str, holder: str, acquire_timeout: float | None = None, hold_timeout: float | None = None
    ) -> bool:
        """Take the lock for `key`, waiting up to `acquire_timeout` seconds (None: forever).

        `hold_timeout` is not needed: a lock lives as long as its holder's process.
        """
        deadline = None if acquire_timeout is None else time.monotonic() + acquire_timeout
        while not self._try_acquire(key, holder):
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_S)
        return True

    async def aacquire_lock(
        self, key: str, holder: str, acquire_timeout: float | None = None, hold_timeout: float | None = None
    ) -> bool:
        """`acquire_lock` without blocking the event loop while it waits."""
        deadline = None if acquire_timeout is None else time.monotonic() + acquire_timeout
        while not self._try_acquire(key, holder):
            if deadline is not None and time.monotonic() >= deadline:
                return False
            await asyncio.sleep(_POLL_S)
        return True

    def release_lock(self, key: str, holder: str) -> None:
        """Release the lock `holder` holds on `key`.

        Raises:
            ValueError: `holder` does not hold it.
        """
        with self._mutex:
            held = self._held.get(key)
            if held is None or held[0] != holder:
                raise ValueError(f"No lock held by {holder} for transaction with key {key}")
            del self._held[key]
            self._path(key).unlink(missing_ok=True)  # while still locked: see _try_acquire
            os.close(held[1])

    def is_locked(self, key: str) -> bool:
        """Whether anyone, in this process or another, holds the lock on `key`."""
        with self._mutex:
            if key in self._held:
                return True
            try:
                fd = os.open(self._path(key), os.O_RDWR)
            except FileNotFoundError:
                return False
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            finally:
                os.close(fd)  # also drops the probe's own lock
            return False

    def is_lock_holder(self, key: str, holder: str) -> bool:
        """Whether `holder` holds the lock on `key`."""
        with self._mutex:
            held = self._held.get(key)
        return held is not None and held[0] == holder

    def wait_for_lock(self, key: str, timeout: float | None = None) -> bool:
        """Wait until `key` is free; False if `timeout` seconds passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.is_locked(key):
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_S)
        return True

    async def await_for_lock(self, key: str, timeout: float | None = None) -> bool:
        """`wait_for_lock` without blocking the event loop."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.is_locked(key):
            if deadline is not None and time.monotonic() >= deadline:
                return False
            await asyncio.sleep(_POLL_S)
        return True
