"""How `submit_video` is cached: one paid generation per request and account, even under races."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from prefect.cache_policies import CacheKeyFnPolicy
from prefect.context import TaskRunContext

from aimlapi_client import RequestBase, VideoClient

from ._locks import local_locks

__all__ = ["SUBMIT_CACHE", "SUBMIT_CACHE_EXPIRATION", "submission_key", "submit_cache_key"]


SUBMIT_CACHE_EXPIRATION = timedelta(hours=24)


def submit_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """The cache policy's key function: `submission_key` of the task's parameters."""
    return submission_key(parameters["request"], parameters["client"])


def submission_key(request: RequestBase, client: VideoClient) -> str:
    """Key a submission by what is paid for: the request, the API it goes to, the account.

    The account enters as `VideoClient.account_fingerprint`, a one-way HMAC of the
    key: two keys sending the same request never share a generation, and the key
    itself never reaches the cache. The URL is part of it, so a generation made on
    the emulator is never reused against the real API.
    """
    route, body = client.request_body(request)
    material = json.dumps(
        {"url": client.base_url + route, "body": body, "account": client.account_fingerprint}, sort_keys=True
    )
    return "aimlapi-submit-" + hashlib.sha256(material.encode()).hexdigest()


# SERIALIZABLE: two runs submitting the same request at once (a trigger firing twice,
# a double click on Run, duplicates in a batch) take turns; the second finds the
# first's generation and reuses it. These default locks (flock, local to one machine)
# are for tasks used on their own; the shipped flows take the lock manager that
# AIMLAPI_LOCKS names when each run starts (`submission_locks`), e.g. Redis for
# several machines.
SUBMIT_CACHE = CacheKeyFnPolicy(cache_key_fn=submit_cache_key).configure(
    isolation_level="SERIALIZABLE", lock_manager=local_locks()
)
