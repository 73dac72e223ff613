"""Prefect flows of prefect-aimlapi."""

from .publish import publish_video
from .video import VideoResult, generate_video

__all__ = ["VideoResult", "generate_video", "publish_video"]
