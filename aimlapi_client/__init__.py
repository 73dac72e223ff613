"""A pure async client for the AI/ML API's video generation routes (no Prefect inside)."""

from ._download import safe_file_name
from ._polling import PollSchedule
from .catalog import CATALOG, ModelSpec, build_request, get_model, list_models
from .client import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, VideoClient, check_base_url
from .errors import (
    AimlApiError,
    AuthError,
    DeadlineExceededError,
    DownloadError,
    GenerationFailedError,
    RateLimitError,
    RequestValidationError,
    SubmissionUnknownError,
    TransientError,
)
from .models import DownloadedFile, Generation, Veo3Request, Video, VideoRequestBase

__all__ = [
    "CATALOG",
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "AimlApiError",
    "AuthError",
    "DeadlineExceededError",
    "DownloadError",
    "DownloadedFile",
    "Generation",
    "GenerationFailedError",
    "ModelSpec",
    "PollSchedule",
    "RateLimitError",
    "RequestValidationError",
    "SubmissionUnknownError",
    "TransientError",
    "Veo3Request",
    "Video",
    "VideoClient",
    "VideoRequestBase",
    "build_request",
    "check_base_url",
    "get_model",
    "list_models",
    "safe_file_name",
]
