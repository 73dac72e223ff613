"""Prefect tasks of prefect-aimlapi."""

from ._cache import SUBMIT_CACHE
from .video import (
    download_video,
    download_video_as_asset,
    record_assets,
    result_path,
    save_result,
    submit_video,
    wait_for_video,
)

__all__ = [
    "SUBMIT_CACHE",
    "download_video",
    "download_video_as_asset",
    "record_assets",
    "result_path",
    "save_result",
    "submit_video",
    "wait_for_video",
]
