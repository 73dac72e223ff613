"""Prefect tasks of prefect-aimlapi."""

from ._cache import SUBMIT_CACHE
from ._locks import FlockLockManager
from ._reporting import best_effort
from .video import (
    download_video,
    download_video_as_asset,
    record_assets,
    submit_video,
    wait_for_video,
)

__all__ = [
    "SUBMIT_CACHE",
    "FlockLockManager",
    "best_effort",
    "download_video",
    "download_video_as_asset",
    "record_assets",
    "submit_video",
    "wait_for_video",
]
