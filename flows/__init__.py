"""Prefect flows of prefect-aimlapi."""

from ._generation import GenerationResult
from .audio import generate_audio
from .batch import BatchFailure, BatchSummary, generate_videos
from .collect import CollectedGeneration, collect_generation, collect_outstanding
from .publish import publish_video
from .storyboard import storyboard
from .video import generate_video
from .watcher import WatchedRun, watch_suspended

__all__ = [
    "BatchFailure",
    "BatchSummary",
    "CollectedGeneration",
    "GenerationResult",
    "WatchedRun",
    "collect_generation",
    "collect_outstanding",
    "generate_audio",
    "generate_video",
    "generate_videos",
    "publish_video",
    "storyboard",
    "watch_suspended",
]
