"""Prefect flows of prefect-aimlapi."""

from ._generation import GenerationResult
from .audio import generate_audio
from .publish import publish_video
from .video import generate_video

__all__ = ["GenerationResult", "generate_audio", "generate_video", "publish_video"]
