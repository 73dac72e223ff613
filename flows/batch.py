"""The `generate_videos` flow: many generations at once, bounded, each failing alone."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from prefect import flow, get_run_logger
from prefect.client.orchestration import get_client
from prefect.concurrency.asyncio import concurrency, rate_limit
from prefect.exceptions import ObjectNotFound
from prefect.runtime import flow_run
from pydantic import BaseModel, ConfigDict, Field

from aimlapi_client import (
    DEFAULT_DEADLINE_S,
    AnyRequest,
    Generation,
    ObservedTimes,
    RequestBase,
    RequestValidationError,
    SubmissionUnknownError,
    VideoClient,
    get_model,
)
from blocks import AimlApiCredentials, resolve_credentials
from tasks import (
    best_effort,
    check_submission_storage,
    record_assets,
    report_table,
    submission_locks,
    submission_store,
)

from ._events import GenerationInfo, emit_generation_event, report_abandoned
from ._generation import GenerationResult, check_writable, failed_details, result_of, submit_generation
from ._parameters import Seconds
from ._priors import Log, load_priors, save_priors

__all__ = ["BatchFailure", "BatchSummary", "generate_videos"]

_SCOUTING_FROM = 20
"""Items of one model a batch needs before its first few scout for the rest."""

_HOLD_AFTER_CREATE_S = 1.0
"""The longest an answered create waits for the batch's other creates (see `_CreatesFirst`)."""

_ASSETS_PER_RECORD = 100
"""Files recorded as assets together while a batch runs (see `_AssetRecorder`)."""


class BatchFailure(BaseModel):
    """An item that did not produce a file, and why."""

    model_config = ConfigDict(frozen=True)

    index: int
    model: str
    prompt: str | None
    error: str
    submitted: bool = Field(description="Whether a paid generation was started for it.")
    maybe_billed: bool = Field(
        False, description="The create got no answer: a generation may exist and be billed (see the dashboard)."
    )


class BatchSummary(BaseModel):
    """What `generate_videos` returns: one entry per item, in the order given."""

    model_config = ConfigDict(frozen=True)

    succeeded: list[GenerationResult]
    failed: list[BatchFailure]
    not_submitted: list[int] = Field(description="Items left out by max_new_submissions.")
    new_submissions: int
    maybe_billed: list[int] = Field(
        default_factory=list, description="Items whose create got no answer: they may have been billed."
    )
    credits_used: float | None = Field(description="Sum of the credits the API reported; None if it reported none.")
    seconds: float

    @property
    def files(self) -> list[str]:
        """Paths of the files written, in item order."""
        return [result.path for result in self.succeeded]


class _SpendGuard:
    """Caps new paid submissions; a reservation answered from the cache is given back.

    All calls happen on the flow's event loop, so plain counters are safe.
    """

    def __init__(self, cap: int | None) -> None:
        self.remaining = cap
        self._unsettled = 0
        self._settled = asyncio.Event()

    async def reserve(self) -> bool:
        """Whether one more paid submission may start; settle every True with `settle`."""
        if self.remaining is None:
            return True
        # While the cap is spent by reservations that may still come back, wait for them.
        while self.remaining <= 0 and self._unsettled > 0:
            self._settled.clear()
            await self._settled.wait()
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        self._unsettled += 1
        return True

    def settle(self, paid: bool) -> None:
        """Close a reservation: `paid` if a new generation may have been started."""
        if self.remaining is None:
            return
        self._unsettled -= 1
        if not paid:
            self.remaining += 1
        self._settled.set()


class _CreatesFirst:
    """Lets a batch's paid creates go out before the bookkeeping of those already answered.

    A batch starts all its submissions at once on one event loop. After each create's
    answer come its record, its lock's release and its `submitted` event; interleaved
    with the creates still to be sent, they delay those, and each delayed create starts
    its generation (and its wait) later. So an answered item waits here, its lock still
    held, until no item is heading for its create any more, or `_HOLD_AFTER_CREATE_S`.
    The record is then written as before: under a flood of creates it always waits its
    turn behind them.
    """

    def __init__(self) -> None:
        self._heading = 0
        self._none_heading = asyncio.Event()

    @contextlib.contextmanager
    def heading(self) -> Iterator[_Create]:
        """Count an item as heading for its create while in the block (or until it is answered)."""
        create = _Create(self)
        self._heading += 1
        self._none_heading.clear()
        try:
            yield create
        finally:
            create.arrived()  # a cached answer, or a create that failed

    def _arrived(self) -> None:
        self._heading -= 1
        if self._heading == 0:
            self._none_heading.set()

    async def _hold(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_HOLD_AFTER_CREATE_S):
                await self._none_heading.wait()


class _Create:
    """One item on its way to its create; awaited as `submit_cached`'s `after_create`."""

    def __init__(self, creates: _CreatesFirst) -> None:
        self._creates = creates
        self._heading = True
        self.answered_at: float | None = None
        """When the create was answered (`time.monotonic()`); None if it was not sent."""

    def arrived(self) -> None:
        """Stop counting this item as heading for its create (repeats count once)."""
        if self._heading:
            self._heading = False
            self._creates._arrived()

    async def __call__(self) -> None:
        self.answered_at = time.monotonic()
        self.arrived()
        await self._creates._hold()


class _PriorsSaver:
    """Saves the batch's observed times as soon as no item waits any more.

    At the end of a big batch the Prefect server is still ingesting the batch's events
    and takes seconds to answer a write; started when the last wait ends, the save
    runs while the last files download instead of after them.
    """

    def __init__(self, priors: ObservedTimes, items: int, logger: Log) -> None:
        self._priors, self._items, self._logger = priors, items, logger
        self._past: set[int] = set()
        self._saving: asyncio.Task[None] | None = None

    def waited(self, index: int) -> None:
        """Item `index` is past its wait (done, failed, or never submitted); repeats count once."""
        self._past.add(index)
        if len(self._past) == self._items and self._saving is None:
            self._saving = asyncio.create_task(save_priors(self._priors, self._logger))

    async def finish(self) -> None:
        """Wait for the save (start it if some wait never ended)."""
        await (self._saving or save_priors(self._priors, self._logger))


class _AssetRecorder:
    """Records a batch's files as assets in groups, as they are written.

    Each file is one materialization event for the Prefect server to store. Recorded
    all at the end, a batch of 1000 kept the server busy just when the flow needed it
    for its last writes (the table, the learned times, the final state). In groups,
    the server stores them while the batch still downloads, the assets show up as the
    files do, and a run that crashes late has its files recorded up to the last group.
    """

    def __init__(self, logger: Log) -> None:
        self._logger = logger
        self._waiting: dict[str, str] = {}  # path -> description
        self._recording: asyncio.Task[None] | None = None

    def add(self, result: GenerationResult) -> None:
        """Queue a written file; a full group is recorded at once (one at a time)."""
        self._waiting[result.path] = f"{result.model}: {result.prompt or ''}"
        if len(self._waiting) >= _ASSETS_PER_RECORD and (self._recording is None or self._recording.done()):
            self._recording = asyncio.create_task(self._record())

    async def finish(self) -> None:
        """Record what is still waiting, after the group in flight."""
        if self._recording is not None:
            await self._recording
        await self._record()

    async def _record(self) -> None:
        files, self._waiting = self._waiting, {}
        await best_effort(record_assets(files), "recording the files as assets", self._logger)


@dataclass
class _Item:
    index: int
    request: RequestBase
    result: GenerationResult | None = None
    error: Exception | None = None
    submitted: bool = False  # a generation exists for it (new or resumed)
    paid: bool = False  # this run started a new paid generation for it
    maybe_billed: bool = False  # the create got no answer: it may exist and be billed
    skipped: bool = False  # left out by max_new_submissions
    same_as: int | None = None  # a duplicate of this earlier item: it shares that item's generation

    def copy_outcome(self, first: _Item) -> None:
        """Take the outcome of the earlier, identical item (its generation, not its costs)."""
        self.result, self.error = first.result, first.error
        self.submitted, self.skipped = first.submitted, first.skipped


def _run_name() -> str:
    return f"generate-videos/{len(flow_run.parameters.get('items', []))}-items"


@flow(
    name="generate-videos",
    flow_run_name=_run_name,
    on_cancellation=[report_abandoned],
    on_crashed=[report_abandoned],
)
async def generate_videos(
    items: list[AnyRequest],
    output_dir: str = "videos",
    credentials: AimlApiCredentials | str | None = None,
    max_concurrency: int = 10,
    concurrency_limit: str | None = None,
    submit_rate_limit: str | None = None,
    max_new_submissions: int | None = None,
    deadline_s: Seconds = DEFAULT_DEADLINE_S,
    expected_s: Seconds | None = None,
    refresh: bool = False,
) -> BatchSummary:
    """Generate many videos (or music) at once; one failure does not stop the others.

    Each item goes through the same cached, resumable submission as
    `generate_video`; re-running a batch resumes every generation already paid for.
    Identical items are generated once and share the file. Every item settles
    (done, failed, or not submitted) before the flow returns.

    Args:
        items: The requests, e.g. `[{"model": "google/veo3", "prompt": "..."}, ...]`.
            Each is validated for its model before anything is paid for.
        output_dir: Directory for the downloaded files.
        credentials: An `AimlApiCredentials` block, a saved block's name, or None
            for `AIMLAPI_API_KEY` / `AIMLAPI_BASE_URL`.
        max_concurrency: Generations in flight at once in this run.
        concurrency_limit: Name of a Prefect global concurrency limit that bounds
            generations in flight across all runs (it must exist:
            `prefect gcl create aimlapi-generations --limit 20`).
        submit_rate_limit: Name of a global concurrency limit with slot decay that
            paces submissions (`prefect gcl create aimlapi-submits --limit 5
            --slot-decay-per-second 1`).
        max_new_submissions: At most this many new paid generations; further items
            are reported as not submitted. Resumed generations do not count.
        deadline_s: Wall-clock seconds to wait for each generation.
        expected_s: Typical seconds per generation, to schedule polls from; the
            model's catalogue value if unset.
        refresh: Submit new generations even for requests made before.
    """
    started = time.monotonic()
    if max_concurrency < 1:
        raise RequestValidationError(f"max_concurrency must be at least 1; got {max_concurrency}")
    check_writable(output_dir)
    await _check_limits_exist(concurrency_limit=concurrency_limit, submit_rate_limit=submit_rate_limit)
    resolved = await resolve_credentials(credentials)
    bound = asyncio.Semaphore(max_concurrency)
    guard = _SpendGuard(max_new_submissions)
    creates = _CreatesFirst()
    batch = [_Item(index, request) for index, request in enumerate(items)]
    logger = get_run_logger()
    priors = await load_priors(logger)  # and the batch's own first completions, as they come
    store = await submission_store(submission_locks())  # AIMLAPI_LOCKS, read as the run starts
    await check_submission_storage(store)
    assets = _AssetRecorder(logger)

    async def run(item: _Item, client: VideoClient) -> None:
        reserved = False
        try:
            async with bound, _global_slot(concurrency_limit):
                if not await guard.reserve():
                    item.skipped = True
                    return
                reserved = True
                if submit_rate_limit:
                    await rate_limit(submit_rate_limit, strict=True)
                submitted_at = time.monotonic()
                try:
                    with creates.heading() as create:
                        generation, info, resumed = await submit_generation(
                            item.request, client, output_dir=output_dir, refresh=refresh, inline_store=store,
                            after_create=create,
                        )  # fmt: skip
                except SubmissionUnknownError:
                    item.maybe_billed = True
                    raise
                item.submitted, item.paid, reserved = True, not resumed, False
                guard.settle(paid=item.paid)
                item.result = await _finish_inline(
                    info, generation, client, deadline_s, expected_s, submitted_at, create.answered_at, priors,
                    learn=not resumed,
                    scout=item.index in scouts and not resumed, on_waited=lambda: saver.waited(item.index),
                )  # fmt: skip
                assets.add(item.result)
        except Exception as exc:  # reported per item; the others go on
            item.error = exc
        finally:
            if reserved:  # ended before a generation id came back
                guard.settle(paid=item.maybe_billed)
            saver.waited(item.index)  # also when it never reached its wait

    firsts: dict[str, _Item] = {}
    async with resolved.get_client() as client:
        for item in batch:
            route, body = client.request_body(item.request)  # a field the route lacks fails here, before paying
            first = firsts.setdefault(json.dumps([route, body], sort_keys=True), item)
            item.same_as = None if first is item else first.index
        saver = _PriorsSaver(priors, len(firsts), logger)
        scouts = set() if expected_s is not None else _scouts(firsts.values(), priors)
        # Every item settles inside run(); the client closes only after all have.
        await asyncio.gather(*(run(item, client) for item in batch if item.same_as is None))
    for item in batch:
        if item.same_as is not None:
            item.copy_outcome(batch[item.same_as])

    summary = BatchSummary(
        succeeded=[item.result for item in batch if item.result],
        failed=[
            BatchFailure(
                index=item.index,
                model=item.request.model,
                prompt=getattr(item.request, "prompt", None),
                error=f"{type(item.error).__name__}: {item.error}",
                submitted=item.submitted,
                maybe_billed=item.maybe_billed,
            )
            for item in batch
            if item.error
        ],
        not_submitted=[item.index for item in batch if item.skipped],
        new_submissions=sum(item.paid for item in batch),
        maybe_billed=[item.index for item in batch if item.maybe_billed],
        credits_used=_total([item.result.credits_used for item in batch if item.result and item.same_as is None]),
        seconds=round(time.monotonic() - started, 3),
    )
    # The Prefect server answers these slowly while it ingests the batch's events: in parallel,
    # the flow waits for the slowest, not for their sum.
    await asyncio.gather(
        saver.finish(),
        assets.finish(),
        report_table(
            "aimlapi-batch",
            [_row(item) for item in batch],
            empty={"#": "no items"},
            description=(
                f"{len(summary.succeeded)} of {len(items)} generated, {summary.new_submissions} new submissions, "
                f"{len(summary.maybe_billed)} maybe billed without an id, credits used: "
                f"{'not reported' if summary.credits_used is None else f'{summary.credits_used:,.0f}'}"
            ),
            logger=logger,
        ),
    )
    logger.info(
        "Batch done: %d succeeded, %d failed (%d maybe billed), %d not submitted, %d new submissions",
        len(summary.succeeded), len(summary.failed), len(summary.maybe_billed), len(summary.not_submitted),
        summary.new_submissions,
    )  # fmt: skip
    return summary


async def _finish_inline(
    info: GenerationInfo,
    generation: Generation,
    client: VideoClient,
    deadline_s: float,
    expected_s: float | None,
    started: float,
    created_at: float | None,
    priors: ObservedTimes,
    learn: bool,
    scout: bool,
    on_waited: Callable[[], None],
) -> GenerationResult:
    """Wait for a batch item's generation and download it, emitting its events.

    Inline, without task runs of their own: each costs milliseconds of CPU, which adds
    up over thousands of items (see bench/README.md); the batch reports in one table
    and records all files as assets at the end.

    Args:
        created_at: When its create was answered (None if resumed from the cache):
            the wait's schedule counts from it, not from after the bookkeeping.
        scout: Poll densely to learn the model's real time for the rest (see `_scouts`).
        on_waited: Called when the wait is over, before the download.
    """
    logger = get_run_logger()
    try:
        try:
            generation = await client.wait(
                generation.id,
                model=info.model,
                deadline_s=deadline_s,
                expected_s=expected_s,
                priors=priors,
                learn=learn,
                scout=scout,
                log=logger,
                known=generation,
                created_at=created_at,
            )
        finally:
            on_waited()
        downloaded = await client.download(
            generation, info.output_dir, default_extension=get_model(info.model).extension
        )
    except Exception as exc:
        emit_generation_event("failed", info, **failed_details(exc))
        raise
    result = result_of(info, generation, downloaded, started)
    emit_generation_event("completed", info, path=result.path, host=result.host, url=result.url, bytes=result.bytes)
    return result


def _scouts(items: Iterable[_Item], priors: ObservedTimes) -> set[int]:
    """The indexes of the items that scout: the first few of each model.

    Their dense polls, in turn, notice the first completions within about a sixth of
    a second (`ObservedTimes.scout_turn`); the median of those becomes the prior of
    the model's other waits (over the catalogue's and over times kept from earlier
    runs, which may have been of other durations), and the sleeping ones wake to
    re-plan. Only in a batch of at least
    `_SCOUTING_FROM` items of the model, where those few waits' extra polls are a
    small share of the batch's.
    """
    by_model: dict[str, list[int]] = {}
    for item in items:
        by_model.setdefault(item.request.model, []).append(item.index)
    return {
        index
        for indexes in by_model.values()
        if len(indexes) >= _SCOUTING_FROM
        for index in indexes[: priors.min_samples]
    }


def _total(credits: list[float | None]) -> float | None:
    reported = [value for value in credits if value is not None]
    return sum(reported) if reported else None


async def _check_limits_exist(**limits: str | None) -> None:
    """Fail before paying if a named global concurrency limit does not exist."""
    async with get_client() as prefect:
        for parameter, name in limits.items():
            if name is None:
                continue
            try:
                await prefect.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                raise RequestValidationError(
                    f"{parameter}: no global concurrency limit named {name!r} on this Prefect server; "
                    f"create it first, e.g. `prefect gcl create {name} --limit 20`"
                ) from None


@contextlib.asynccontextmanager
async def _global_slot(name: str | None) -> AsyncIterator[None]:
    if name is None:
        yield
        return
    async with concurrency(name, occupy=1, strict=True):
        yield


def _row(item: _Item) -> dict[str, Any]:
    row: dict[str, Any] = {
        "#": item.index,
        "model": item.request.model,
        "prompt": (getattr(item.request, "prompt", None) or "")[:60],
    }
    if item.result:
        status, detail = "done", f"{item.result.path} on {item.result.host}"
    elif item.error:
        status = "failed, maybe billed" if item.maybe_billed else "failed"
        detail = f"{type(item.error).__name__}: {str(item.error)[:200]}"
    else:
        status, detail = "not submitted (max_new_submissions)", ""
    if item.same_as is not None:
        status += f" (same request as #{item.same_as})"
    credits = item.result.credits_used if item.result and item.same_as is None else None
    return row | {"status": status, "file or error": detail, "new submission": item.paid, "credits": credits}
