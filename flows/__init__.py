"""Prefect flows of prefect-aimlapi."""

from .video import VideoResult, generate_video

__all__ = ["VideoResult", "generate_video"]
