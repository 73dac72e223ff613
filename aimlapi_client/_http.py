"""Authentication and the one place where HTTP failures become our errors."""

from __future__ import annotations

import json
from collections.abc import Generator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar
from typing import Any

import httpx

from .errors import (
    AimlApiError,
    AuthError,
    RateLimitError,
    RequestValidationError,
    SubmissionUnknownError,
    TransientError,
)

__all__ = ["BearerForApiHost", "HttpClient", "error_for_response", "error_for_transport", "redact"]

# Failures that happen before a request leaves this machine: repeating is always safe.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class BearerForApiHost(httpx.Auth):
    """Adds `Authorization: Bearer` only to requests for the API's own origin.

    Result files live on a CDN host; they must never see the key, neither directly
    nor after a redirect.
    """

    def __init__(self, api_key: str, api_url: httpx.URL) -> None:
        self._header = f"Bearer {api_key}"
        self._origin = (api_url.scheme, api_url.host, api_url.port)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if (request.url.scheme, request.url.host, request.url.port) == self._origin:
            request.headers["Authorization"] = self._header
        else:
            request.headers.pop("Authorization", None)
        yield request

    def __repr__(self) -> str:
        return "BearerForApiHost(<hidden>)"


class _CookiesWhenSet(httpx.Cookies):
    """httpx's cookie jar, handed only the responses that set a cookie.

    httpx passes every response through urllib's cookie machinery, about a tenth of a
    millisecond even when it sets nothing: a quarter of a poll's CPU, paid twice per item
    of a batch (the poll and the download). The API and its CDN seldom set one.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


class HttpClient(httpx.AsyncClient):
    """`httpx.AsyncClient` whose cookie jar skips the responses that set no cookie."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cookies = self.cookies  # through the setter below

    @property
    def cookies(self) -> httpx.Cookies:
        return self._cookies

    @cookies.setter
    def cookies(self, cookies: httpx.Cookies | CookieJar | dict[str, str] | list[tuple[str, str]]) -> None:
        self._cookies = _CookiesWhenSet(cookies)


def error_for_response(response: httpx.Response, *, creates_job: bool, secret: str) -> AimlApiError:
    """Map a non-2xx response onto the error tree.

    Args:
        response: The response; its body must have been read.
        creates_job: True for a POST that starts a paid job.
        secret: Text to scrub from the message (the API key).
    """
    code = response.status_code
    what = f"{response.request.method} {response.request.url.path} answered HTTP {code}"
    detail = redact(_server_message(response), secret)
    message = f"{what}: {detail}" if detail else what
    retry_after = _retry_after(response)
    if code in (401, 403):
        hint = "check the API key and your credits at https://aimlapi.com/app/keys"
        return AuthError(f"{message} ({hint})", status_code=code)
    if code in (400, 422):
        return RequestValidationError(message, status_code=code)
    if code == 429:
        return RateLimitError(message, retry_after=retry_after, status_code=code)
    if code == 503 and retry_after is not None:
        # The gateway refused the request outright and said when to come back.
        return RateLimitError(message, retry_after=retry_after, status_code=code)
    if code >= 500:
        if creates_job:
            return _unknown_submission(f"{message}; the server may have started the job anyway")
        return TransientError(message, status_code=code)
    if code == 404 and creates_job:
        return AimlApiError(f"{message}; is base_url right?", status_code=code)
    return AimlApiError(message, status_code=code)


def error_for_transport(exc: httpx.TransportError, *, creates_job: bool) -> AimlApiError:
    """Map an httpx transport error onto the error tree."""
    request = exc.request if _has_request(exc) else None
    where = (
        f"{request.method} {request.url.scheme}://{request.url.netloc.decode()}{request.url.path}"
        if request
        else "request"
    )
    message = f"{where} failed: {type(exc).__name__}: {exc}".rstrip(": ")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return AimlApiError(message)
    if creates_job and not isinstance(exc, _NOT_SENT):
        return _unknown_submission(f"{message}; the request was sent but no answer came back")
    return TransientError(message)


def _unknown_submission(message: str) -> SubmissionUnknownError:
    return SubmissionUnknownError(
        f"{message}. The generation may exist and be billed, so it was not submitted again. "
        "Check your generations in the AI/ML API dashboard; to submit anyway, run again "
        "(a new run submits once more) or pass refresh=True."
    )


def _has_request(exc: httpx.TransportError) -> bool:
    try:
        return exc.request is not None
    except RuntimeError:  # httpx raises when no request was attached
        return False


def _server_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text.strip()[:300]
    if isinstance(body, dict):
        for key in ("message", "error", "detail"):
            value = body.get(key)
            if isinstance(value, list):
                return "; ".join(str(item) for item in value)[:500]
            if isinstance(value, dict):
                return str(value.get("message") or value)[:500]
            if value:
                return str(value)[:500]
    return str(body)[:300]


def redact(text: str, secret: str) -> str:
    """`text` with every occurrence of `secret` replaced by `***`."""
    return text.replace(secret, "***") if secret else text


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
