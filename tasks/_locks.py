"""Submission locks on local files that the kernel releases when their holder dies.

Prefect's `FileSystemLockManager` creates a lock file and writes its holder in a
second step, so a reader can find the file empty and fail ("EOF while parsing"),
and a lock left by a killed process stays until it expires. These locks use
`flock(2)` instead: taking one is a single atomic call, it is held by an open file
description (so two coroutines of one process exclude each other as well as two
processes), and the kernel drops it the moment its process ends, however it ends.

A lock file stays after its lock is released (empty, one per submission key), as
flock-based locks usually keep theirs: deleting it on release would let a process
that opened it just before lock a file nobody else can find, and on an ext4 file
system without a journal each deleted file slows the files created after it for a
minute (a batch deleting its 1000 lock files made each of its downloads' part files
take 0.16 ms to create instead of 0.03 ms; bench/README.md).
"""

from __future__ import annotations

import asyncio
import fcntl
import functools
import os
import threading
import time
from pathlib import Path

from prefect.locking.protocol import LockManager
from prefect.settings import get_current_settings

__all__ = ["LOCKS_ENV", "FlockLockManager", "local_locks", "submission_locks"]

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

    def __deepcopy__(self, memo: dict[int, object]) -> FlockLockManager:
        return self  # one process's view of shared locks: `CachePolicy.configure` copies policies

    def __reduce__(self) -> tuple[type[FlockLockManager], tuple[Path]]:
        return (type(self), (self.directory,))  # a new process holds none of this one's locks

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
                # Someone tidying the directory may have deleted this file after we opened
                # it: a lock on an unlinked inode excludes nobody, so try again.
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
        """`acquire_lock` without blocking the event loop while it waits.

        Each try runs in a worker thread: creating a lock file is a disk metadata
        write, and a batch takes a thousand locks at once, each of them ahead of its
        paid create.
        """
        deadline = None if acquire_timeout is None else time.monotonic() + acquire_timeout
        while not await asyncio.to_thread(self._try_acquire, key, holder):
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
            os.close(held[1])  # releases the lock; the file stays (see the module's docstring)

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


LOCKS_ENV = "AIMLAPI_LOCKS"
REDIS_HOLD_S = 300.0
"""How long a Redis lock outlives a holder that died: longer than any submission
(three tries within the block's timeouts), short enough not to block twins for long."""


def submission_locks() -> LockManager:
    """The lock manager for paid submissions, chosen by `AIMLAPI_LOCKS` when called.

    Unset: `flock` locks under `$PREFECT_HOME/locks/aimlapi` (the runs of one machine).
    `redis://HOST:PORT/DB` (or `rediss://`): Redis locks shared by every machine that
    points at that Redis (needs `pip install prefect-aimlapi[redis]`).

    Raises:
        ValueError: `AIMLAPI_LOCKS` is not a Redis URL, or prefect-redis is missing.
    """
    url = os.environ.get(LOCKS_ENV, "").strip()
    if not url:
        return local_locks()
    if not url.startswith(("redis://", "rediss://")):
        raise ValueError(f"{LOCKS_ENV} must be a redis:// or rediss:// URL (or unset for local locks); got {url!r}")
    return _redis_locks(url)


def local_locks() -> FlockLockManager:
    """The `flock` locks of this machine, under `$PREFECT_HOME/locks/aimlapi`."""
    return _flock_locks(get_current_settings().home / "locks" / "aimlapi")


@functools.cache
def _flock_locks(directory: Path) -> FlockLockManager:
    return FlockLockManager(directory)


@functools.cache
def _redis_locks(url: str) -> LockManager:
    try:
        from prefect_redis import RedisLockManager
    except ImportError:
        raise ValueError(f"{LOCKS_ENV} names Redis: install it with `pip install 'prefect-aimlapi[redis]'`") from None

    class RedisSubmissionLocks(RedisLockManager):
        """prefect-redis's locks with two repairs for submissions.

        Prefect's async transactions release locks with the synchronous
        `release_lock`, which cannot release an `AsyncLock` (the second run would
        wait forever), so async acquisition takes the synchronous lock in a worker
        thread. And every lock gets a hold timeout, so a holder that died frees it.
        """

        def acquire_lock(
            self, key: str, holder: str, acquire_timeout: float | None = None, hold_timeout: float | None = None
        ) -> bool:
            return super().acquire_lock(key, holder, acquire_timeout, hold_timeout or REDIS_HOLD_S)

        async def aacquire_lock(
            self, key: str, holder: str, acquire_timeout: float | None = None, hold_timeout: float | None = None
        ) -> bool:
            return await asyncio.to_thread(self.acquire_lock, key, holder, acquire_timeout, hold_timeout)

        async def await_for_lock(self, key: str, timeout: float | None = None) -> bool:
            return await asyncio.to_thread(self.wait_for_lock, key, timeout)

        def __deepcopy__(self, memo: dict[int, object]) -> RedisSubmissionLocks:
            return self

    return RedisSubmissionLocks(connection_url=url)
