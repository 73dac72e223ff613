"""Errors raised by `aimlapi_client`.

Every error derives from `AimlApiError`; the branch tells the caller what to do::

    AimlApiError
     ├─ AuthError, RequestValidationError   fix the input; retrying cannot help
     ├─ TransientError                      safe to repeat later
     │   └─ RateLimitError                  .retry_after
     ├─ SubmissionUnknownError              the POST may have been accepted: never auto-retried
     ├─ GenerationFailedError               .generation_id, .status
     ├─ UnreadableStatusError               .generation_id, .excerpt: answers that never parse
     ├─ DownloadError                       .transient tells whether a retry may help
     └─ DeadlineExceededError               .generation_id, .waited_s

Messages say what to do next and never contain the API key.
"""

from __future__ import annotations

__all__ = [
    "AimlApiError",
    "AuthError",
    "DeadlineExceededError",
    "DownloadError",
    "GenerationFailedError",
    "RateLimitError",
    "RequestValidationError",
    "SubmissionUnknownError",
    "TransientError",
    "UnreadableStatusError",
    "collect_call",
]


def collect_call(generation_id: str, model: str) -> str:
    """The exact `collect_generation` call that finishes a paid generation by its id."""
    return f"collect_generation(generation_id={generation_id!r}, model={model!r})"


class AimlApiError(Exception):
    """Base class of every error raised by this package.

    Attributes:
        status_code: The HTTP status behind the error, if one was received.
    """

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code

    def __reduce__(self):  # keep keyword-only attributes when pickled into Prefect results
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[AimlApiError], args: tuple, state: dict) -> AimlApiError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class AuthError(AimlApiError):
    """The API key is missing, invalid or out of credits (HTTP 401/403)."""


class RequestValidationError(AimlApiError, ValueError):
    """The request was rejected as invalid, locally or by the server (HTTP 400/422)."""


class TransientError(AimlApiError):
    """A temporary failure (5xx, connection problem, timeout) that is safe to repeat."""


class RateLimitError(TransientError):
    """HTTP 429; `retry_after` is the server's hint in seconds, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None, status_code: int | None = 429) -> None:
        super().__init__(message, status_code=status_code)
        self.retry_after = retry_after


class SubmissionUnknownError(AimlApiError):
    """A create request may have reached the server, but no answer came back.

    The generation may exist and be billed. Repeating the request could pay twice,
    so this error is never retried automatically.
    """


class GenerationFailedError(AimlApiError):
    """The generation ended without a usable result."""

    def __init__(self, message: str, *, generation_id: str, status: str) -> None:
        super().__init__(message)
        self.generation_id = generation_id
        self.status = status


class DownloadError(AimlApiError):
    """The result file could not be downloaded or failed verification."""

    def __init__(self, message: str, *, transient: bool = False, status_code: int | None = None) -> None:
        super().__init__(message, status_code=status_code)
        self.transient = transient


class UnreadableStatusError(AimlApiError):
    """Status answers for a generation kept coming back in a shape that cannot be read.

    The generation may still complete; `excerpt` is the start of the last answer
    (without the API key).
    """

    def __init__(self, message: str, *, generation_id: str, excerpt: str) -> None:
        super().__init__(message)
        self.generation_id = generation_id
        self.excerpt = excerpt


class DeadlineExceededError(AimlApiError, TimeoutError):
    """The generation did not finish before the wall-clock deadline."""

    def __init__(self, message: str, *, generation_id: str, waited_s: float) -> None:
        super().__init__(message)
        self.generation_id = generation_id
        self.waited_s = waited_s
