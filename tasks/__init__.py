"""Prefect tasks of prefect-aimlapi."""

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
    "download_video",
    "download_video_as_asset",
    "record_assets",
    "result_path",
    "save_result",
    "submit_video",
    "wait_for_video",
]
