"""A pure async client for the AI/ML API's video generation routes (no Prefect inside)."""

from ._download import file_sha256, result_path
from ._polling import ObservedTimes, PollSchedule
from .catalog import CATALOG, AnyRequest, ModelSpec, RouteStyle, build_request, get_model, list_models
from .client import (
    DEFAULT_BASE_URL,
    DEFAULT_DEADLINE_S,
    DEFAULT_ROUTE_STYLE,
    DEFAULT_TIMEOUT,
    DEFAULT_TIMEOUTS,
    VideoClient,
    account_fingerprint,
    check_base_url,
    typical_seconds,
)
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
    UnreadableStatusError,
    collect_call,
)
from .models import DownloadedFile, Generation, Video
from .requests import RequestBase, UnlistedRequest

__all__ = [
    "CATALOG",
    "AnyRequest",
    "DEFAULT_BASE_URL",
    "DEFAULT_DEADLINE_S",
    "DEFAULT_ROUTE_STYLE",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TIMEOUTS",
    "AimlApiError",
    "AuthError",
    "DeadlineExceededError",
    "DownloadError",
    "DownloadedFile",
    "Generation",
    "GenerationFailedError",
    "ModelSpec",
    "ObservedTimes",
    "PollSchedule",
    "RateLimitError",
    "RequestBase",
    "RequestValidationError",
    "RouteStyle",
    "SubmissionUnknownError",
    "TransientError",
    "UnreadableStatusError",
    "UnlistedRequest",
    "Video",
    "VideoClient",
    "account_fingerprint",
    "build_request",
    "check_base_url",
    "collect_call",
    "file_sha256",
    "get_model",
    "list_models",
    "result_path",
    "typical_seconds",
]
