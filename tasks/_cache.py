"""How `submit_video` is cached: one paid generation per request, even under races."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from prefect.cache_policies import CacheKeyFnPolicy
from prefect.context import TaskRunContext
from prefect.locking.filesystem import FileSystemLockManager
from prefect.settings import get_current_settings

from aimlapi_client import RequestBase, VideoClient

__all__ = ["SUBMIT_CACHE", "ExpiringFileLockManager", "submit_cache_key"]


def submit_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """Key a submission by what is paid for: the request and the API it goes to.

    The API key is not part of it (it must never reach the cache); the URL is, so a
    generation made on the emulator is never reused against the real API.
    """
    request: RequestBase = parameters["request"]
    client: VideoClient = parameters["client"]
    route, body = client.request_body(request)
    material = json.dumps({"url": client.base_url + route, "body": body}, sort_keys=True)
    return "aimlapi-submit-" + hashlib.sha256(material.encode()).hexdigest()


class ExpiringFileLockManager(FileSystemLockManager):
    """File locks that expire, so a run killed mid-submit cannot block later runs forever.

    Prefect's transactions take locks without a hold timeout; this applies one.
    """

    def __init__(self, lock_files_directory: Path, hold_timeout_s: float) -> None:
        super().__init__(lock_files_directory)
        self.hold_timeout_s = hold_timeout_s

    def acquire_lock(self, key, holder, acquire_timeout=None, hold_timeout=None) -> bool:  # noqa: ANN001
        return super().acquire_lock(key, holder, acquire_timeout, hold_timeout or self.hold_timeout_s)

    async def aacquire_lock(self, key, holder, acquire_timeout=None, hold_timeout=None) -> bool:  # noqa: ANN001
        return await super().aacquire_lock(key, holder, acquire_timeout, hold_timeout or self.hold_timeout_s)


# SERIALIZABLE: two runs submitting the same request at once (a trigger firing twice,
# a double click on Run) take turns; the second finds the first's generation and
# reuses it. File locks serialise runs on one machine; across machines, configure a
# shared lock manager (e.g. prefect-redis) with `SUBMIT_CACHE.configure(lock_manager=...)`.
# A lock outlives any submit (3 tries within the block's timeouts), then expires.
SUBMIT_CACHE = CacheKeyFnPolicy(cache_key_fn=submit_cache_key).configure(
    isolation_level="SERIALIZABLE",
    lock_manager=ExpiringFileLockManager(get_current_settings().home / "locks" / "aimlapi", hold_timeout_s=600),
)
