"""A pure async client for the AI/ML API's video generation routes (no Prefect inside)."""

from ._download import file_sha256, result_extension, safe_file_name
from ._polling import PollSchedule
from .catalog import CATALOG, AnyRequest, ModelSpec, RouteStyle, build_request, get_model, list_models
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
from .models import DownloadedFile, Generation, Video
from .requests import RequestBase, Veo3Request

__all__ = [
    "CATALOG",
    "AnyRequest",
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
    "RequestBase",
    "RequestValidationError",
    "RouteStyle",
    "SubmissionUnknownError",
    "TransientError",
    "Veo3Request",
    "Video",
    "VideoClient",
    "build_request",
    "file_sha256",
    "check_base_url",
    "get_model",
    "list_models",
    "result_extension",
    "safe_file_name",
]
