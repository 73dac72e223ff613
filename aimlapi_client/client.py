"""`VideoClient`: submit a generation, read its status, wait for it, download it."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import TracebackType
from typing import NamedTuple
from urllib.parse import urlsplit

import httpx

from ._download import save_generation
from ._http import BearerForApiHost, HttpClient, error_for_response, error_for_transport, redact
from ._polling import ObservedTimes, OnPoll, PollSchedule, finished, wait_for_generation
from ._transport import default_transport
from .catalog import LONG_POLL_S, RouteStyle, get_model
from .errors import AimlApiError, RequestValidationError, SubmissionUnknownError, TransientError, UnreadableStatusError
from .models import DownloadedFile, Generation
from .requests import RequestBase

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_DEADLINE_S",
    "DEFAULT_ROUTE_STYLE",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TIMEOUTS",
    "TimeoutSeconds",
    "VideoClient",
    "account_fingerprint",
    "check_base_url",
    "typical_seconds",
]

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.aimlapi.com"


class TimeoutSeconds(NamedTuple):
    """Seconds allowed for each phase of a request."""

    connect: float
    read: float
    write: float
    pool: float


DEFAULT_TIMEOUTS = TimeoutSeconds(connect=10.0, read=60.0, write=60.0, pool=30.0)
DEFAULT_TIMEOUT = httpx.Timeout(**DEFAULT_TIMEOUTS._asdict())
DEFAULT_ROUTE_STYLE: RouteStyle = "legacy"
DEFAULT_DEADLINE_S = 1000.0
"""The vendor's own example waits 1000 s for a Veo3 generation."""
_EXCERPT = 200

try:
    _VERSION = version("prefect-aimlapi")
except PackageNotFoundError:  # running from a source tree that is not installed
    _VERSION = "0+unknown"
USER_AGENT = f"prefect-aimlapi/{_VERSION} httpx/{httpx.__version__}"


def typical_seconds(model: str, *, expected_s: float | None = None, priors: ObservedTimes | None = None) -> float:
    """The prior a wait schedules from: `expected_s` if given, else what `priors`
    observed for the model, else the model's catalogue value."""
    learned = priors.expected_s(model) if priors is not None else None
    return expected_s or learned or get_model(model).expected_s


def account_fingerprint(api_key: str) -> str:
    """A short one-way fingerprint of an API key (an HMAC), safe to store and show.

    It tells accounts apart (in cache keys and events) without revealing the key.
    """
    return hmac.new(api_key.encode(), b"prefect-aimlapi account", hashlib.sha256).hexdigest()[:16]


def check_base_url(base_url: str) -> str:
    """Return `base_url` without a trailing slash, or raise if it is not http(s).

    Raises:
        RequestValidationError: The URL has no http(s) scheme or no host.
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RequestValidationError(f"base_url must be an http(s) URL such as {DEFAULT_BASE_URL}; got {base_url!r}")
    return base_url.rstrip("/")


class VideoClient:
    """An async client for the AI/ML API's generation routes.

    Use it as an async context manager and share one per process or flow run:
    it holds a connection pool.

    Args:
        api_key: The AI/ML API key, sent as a Bearer token to the API host only.
        base_url: The API's origin.
        timeout: Connect/read/write/pool timeouts for every request.
        transport: An httpx transport; defaults to an aiohttp-backed one.
        route_style: `legacy` for the per-provider routes of the vendor's model
            pages (`/v2/generate/video/{provider}/generation`), `unified` for
            `/v2/video/generations`. Music always uses `/v2/generate/audio`.
        submit_attempts: Tries for a create request that the server certainly did
            not accept (429, 503 with Retry-After, connection refused).
        sleep, clock: Injected for tests (a virtual clock).
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        route_style: RouteStyle = DEFAULT_ROUTE_STYLE,
        submit_attempts: int = 3,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not api_key:
            raise RequestValidationError("api_key must not be empty")
        self.base_url = check_base_url(base_url)
        self.route_style: RouteStyle = route_style
        self._key = api_key
        self._submit_attempts = submit_attempts
        self._sleep = sleep
        self._clock = clock
        self._long_poll_timeout = httpx.Timeout(
            timeout.connect, read=max(timeout.read or 0.0, LONG_POLL_S + 10), write=timeout.write, pool=timeout.pool
        )
        self._http = HttpClient(
            base_url=self.base_url,
            auth=BearerForApiHost(api_key, httpx.URL(self.base_url)),
            timeout=timeout,
            transport=transport or default_transport(),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return f"VideoClient(base_url={self.base_url!r}, route_style={self.route_style!r})"

    @property
    def account_fingerprint(self) -> str:
        """`account_fingerprint` of this client's key."""
        return account_fingerprint(self._key)

    async def __aenter__(self) -> VideoClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    def request_body(self, request: RequestBase) -> tuple[str, dict[str, object]]:
        """The route and JSON body `submit` would send for `request`.

        Raises:
            RequestValidationError: A field of the request does not exist on the route.
        """
        spec = get_model(request.model)
        return spec.route(self.route_style), spec.body(request, self.route_style)

    async def submit(self, request: RequestBase) -> Generation:
        """Start one paid generation and return it without waiting.

        Raises:
            SubmissionUnknownError: The request may have been accepted; not repeated.
            RateLimitError: Still rate limited after `submit_attempts` tries.
            AuthError, RequestValidationError: Fix the key or the request.
        """
        route, body = self.request_body(request)
        for attempt in range(1, self._submit_attempts + 1):
            try:
                response = await self._call("POST", route, json=body, creates_job=True)
                break
            except TransientError as exc:  # certainly not accepted: safe to repeat
                if attempt == self._submit_attempts:
                    raise
                delay = getattr(exc, "retry_after", None) or 2**attempt * random.uniform(0.5, 1.0)
                logger.debug("Create not accepted (%s); try %d in %.1fs", exc, attempt + 1, delay)
                await self._sleep(min(delay, 60.0))
            except SubmissionUnknownError as exc:
                raise SubmissionUnknownError(f"{exc} {_collect_hint(request.model)}") from None
        try:
            payload = _json(response)
            at_once = get_model(request.model).answers_at_once
            generation = Generation.from_audio_answer(payload) if at_once else Generation.from_api(payload)
        except ValueError as exc:
            raise SubmissionUnknownError(
                f"The create answer for {request.model} could not be read ({exc}; it began "
                f"{self._excerpt(response)!r}). The generation may exist and be billed: check your "
                f"dashboard before submitting again. {_collect_hint(request.model)}"
            ) from None
        logger.debug("Submitted %s as generation %s", request.model, generation.id)
        return generation

    async def status(self, generation_id: str, *, model: str) -> Generation:
        """Fetch the current state of a generation once.

        Raises:
            TransientError: The server or network failed.
            UnreadableStatusError: The answer could not be read.
        """
        spec = get_model(model)
        if spec.answers_at_once:
            raise AimlApiError(
                f"{model} answers with the finished file when it is created; it has no status to poll. "
                "Run the same request again: its submission is cached, so it is not paid twice."
            )
        long_poll = spec.long_poll(self.route_style)  # the server may then hold it up to LONG_POLL_S
        response = await self._call(
            "GET",
            spec.route(self.route_style),
            params={"generation_id": generation_id} | (long_poll or {}),
            timeout=self._long_poll_timeout if long_poll else self._http.timeout,
            creates_job=False,
        )
        try:
            return Generation.from_api(_json(response), generation_id=generation_id)
        except ValueError as exc:
            excerpt = self._excerpt(response)
            raise UnreadableStatusError(
                f"Unreadable status for generation {generation_id} ({exc}): {excerpt!r}",
                generation_id=generation_id,
                excerpt=excerpt,
            ) from None

    async def wait(
        self,
        generation_id: str,
        *,
        model: str,
        deadline_s: float = DEFAULT_DEADLINE_S,
        on_poll: OnPoll | None = None,
        expected_s: float | None = None,
        priors: ObservedTimes | None = None,
        learn: bool = True,
        scout: bool = False,
        log: logging.Logger | logging.LoggerAdapter[logging.Logger] | None = None,
        known: Generation | None = None,
        elapsed_s: float | None = None,
        created_at: float | None = None,
    ) -> Generation:
        """Poll a generation until it completes; see `wait_for_generation`.

        Args:
            known: The generation as last seen (e.g. its create answer); if that is
                already finished, it is returned (or its failure raised) without a poll.
            expected_s: Typical seconds this generation takes, the prior the poll
                schedule is built on. If unset: what `priors` observed for the model
                (re-read at every poll), else the model's catalogue value.
            priors: Generation times observed so far; shared by many waits, they
                learn from each other's completions.
            learn: Record this generation's time in `priors` (only true when the
                wait started at its submission).
            scout: Poll densely before the schedule's window (`PollSchedule.scout`):
                one of a batch's first waits of a model, to learn its real time for the rest.
                The scouts sharing `priors` take turns and call each other in (`ObservedTimes`).
            log: Where warnings about the wait go (this module's logger if unset).
            elapsed_s: Seconds since it was submitted, for a wait that starts later:
                the first poll comes at once, the schedule counts from the submission.
            created_at: This client's clock (`time.monotonic()` unless injected) when
                the create was answered, for a wait that starts a moment after it: the
                schedule and the learned time count from it.
        """
        if known is not None and finished(known):
            return known
        turn = priors.scout_turn(model) if scout and priors is not None else 0.0

        def schedule() -> PollSchedule:
            seen_done_s = priors.first_seen_s(model) if scout and priors is not None else None
            expected = typical_seconds(model, expected_s=expected_s, priors=priors)
            return PollSchedule(expected_s=expected, scout=scout, scout_turn=turn, seen_done_s=seen_done_s)

        return await wait_for_generation(
            lambda: self.status(generation_id, model=model),
            generation_id=generation_id,
            long_poll_s=LONG_POLL_S if get_model(model).long_poll(self.route_style) else None,
            model=model,
            deadline_s=deadline_s,
            schedule=schedule,
            on_poll=on_poll,
            elapsed_s=elapsed_s,
            created_at=created_at,
            on_complete=(lambda seconds: priors.observe(model, seconds)) if priors is not None and learn else None,
            wake=(lambda: priors.changed(model, scout=scout)) if priors is not None and expected_s is None else None,
            sleep=self._sleep,
            clock=self._clock,
            log=log or logger,
        )

    async def download(
        self, generation: Generation, output_dir: str | Path, *, default_extension: str = ".mp4", attempts: int = 3
    ) -> DownloadedFile:
        """Put a completed generation's file into `output_dir`, verified and atomically.

        The file is named after the generation id (`result_path`), with the
        extension of its content type (`default_extension` if the API does not
        say). A verified file already there is reused (`reused=True`); concurrent
        downloads of one generation each write their own part file and publish
        one file. See `save_generation`.

        Raises:
            DownloadError: The download failed or the file did not verify.
        """
        return await save_generation(
            self._http,
            generation,
            output_dir,
            default_extension=default_extension,
            attempts=attempts,
            sleep=self._sleep,
        )

    async def _call(self, method: str, route: str, *, creates_job: bool, **kwargs: object) -> httpx.Response:
        try:
            response = await self._http.request(method, route, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            raise error_for_transport(exc, creates_job=creates_job) from None
        if response.is_error:
            raise error_for_response(response, creates_job=creates_job, secret=self._key)
        return response

    def _excerpt(self, response: httpx.Response) -> str:
        """The start of an answer, for messages: one line, short, without the key."""
        text = " ".join(response.content[: _EXCERPT * 4].decode("utf-8", "replace").split())
        return redact(text, self._key)[:_EXCERPT]


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None  # Generation.from_api reports an unreadable answer in context


def _collect_hint(model: str) -> str:
    return (
        "If the dashboard lists it, finish it without paying again: "
        f"collect_generation(generation_id='<id from the dashboard>', model={model!r})."
    )
