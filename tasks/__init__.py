"""Prefect tasks of prefect-aimlapi."""

from .video import download_video, submit_video, wait_for_video

__all__ = ["download_video", "submit_video", "wait_for_video"]
