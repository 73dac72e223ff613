"""Prefect tasks of prefect-aimlapi."""

from ._cache import SUBMIT_CACHE
from ._locks import LOCKS_ENV, FlockLockManager, submission_locks
from ._reporting import best_effort
from .video import (
    download_video,
    download_video_as_asset,
    record_assets,
    submit_video,
    wait_for_video,
)

__all__ = [
    "LOCKS_ENV",
    "SUBMIT_CACHE",
    "FlockLockManager",
    "best_effort",
    "download_video",
    "download_video_as_asset",
    "record_assets",
    "submission_locks",
    "submit_video",
    "wait_for_video",
]
