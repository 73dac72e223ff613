"""When to poll a generation, and the wait loop that does it against a wall clock."""

from __future__ import annotations

import asyncio
import logging
import math
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from .errors import (
    AimlApiError,
    DeadlineExceededError,
    GenerationFailedError,
    TransientError,
    UnreadableStatusError,
    collect_call,
)
from .models import Generation

__all__ = ["ObservedTimes", "PollSchedule", "finished", "wait_for_generation"]

logger = logging.getLogger(__name__)

OnPoll = Callable[[Generation, float], Awaitable[None] | None]


@dataclass(frozen=True)
class PollSchedule:
    """When to poll a generation, built to notice completion fast whatever its real time.

    The prior `expected_s` (`T`) is only a guide: real times move with load,
    duration, resolution and audio. The schedule promises, on a clock that starts
    at submission:

    - Never more than `max_late_s` (10 s, the vendor example's fixed loop) between
      completion and the poll that notices it, whatever the real time.
    - For real times from `T/4` to `4 T`, at most `lateness_bound(real)` =
      `min(10 s, max(2 s, 10 % of real))`: every poll from `T/4` on comes
      `lateness_bound(last poll)` after the last one (the sparsest schedule that
      keeps the promise), at most 3x the polls of the fixed loop.
    - Around the prior (`0.8 T` to `1.25 T`), where a job is most likely to end,
      polls twice as often where that keeps them at least 2 s apart.
    - Before `T/4`, one poll every `max_late_s` on the fixed loop's grid (10 s,
      20 s, ... after submission): a job that ends that early is noticed no later
      than the fixed loop would notice it.
    - A `scout` (one of a batch's first waits of a model) polls at a quarter of
      `lateness_bound` (every half second at first, never more often) before the
      window instead, so the batch learns a real time far below `T/4` soon after
      the first completions. A batch's scouts take turns (`scout_turn`), and once
      one sees its job done, the others past that time poll at once
      (`seen_done_s`): three scouts learn within a sixth of a second, where in
      step they took up to half a second, with no more polls.

    Polls follow the submission time, which spreads many waits over time already;
    only the backoff after errors is jittered.
    """

    expected_s: float = 120.0
    min_interval_s: float = 1.0
    max_late_s: float = 10.0
    max_interval_s: float = 30.0
    """The longest backoff after errors."""
    jitter: float = 0.1
    """Spread of the backoff after errors."""
    scout: bool = False
    """Poll densely before the window (see above)."""
    scout_turn: float = 0.0
    """A scout's first poll comes this share (0 to 1) of its interval late: a batch's
    scouts started together poll in turn, not all at once (`ObservedTimes.scout_turn`)."""
    seen_done_s: float | None = None
    """How long a job of the same model took that this run saw done: a re-planned wait
    this far in polls at once (a scout, whose siblings started with it)."""

    def __post_init__(self) -> None:
        for name in ("expected_s", "min_interval_s", "max_late_s", "max_interval_s"):
            value = getattr(self, name)
            if not value > 0:  # also refuses NaN
                raise ValueError(f"PollSchedule.{name} must be a positive number of seconds; got {value!r}")
        if not 0 <= self.scout_turn < 1:
            raise ValueError(f"PollSchedule.scout_turn must be at least 0 and below 1; got {self.scout_turn!r}")

    def lateness_bound(self, real_s: float) -> float:
        """The most a completion at `real_s` is noticed late, inside the window."""
        return min(self.max_late_s, max(2 * self.min_interval_s, 0.1 * real_s))

    def next_delay(self, elapsed_s: float) -> float:
        """Seconds to wait before the next poll, `elapsed_s` after submission."""
        window_start = 0.25 * self.expected_s
        first_in_window = window_start + self.lateness_bound(window_start)
        if self.scout and elapsed_s < first_in_window - 1e-9:
            return self.scout_spacing(elapsed_s)
        if elapsed_s >= first_in_window - 1e-9:
            bound = self.lateness_bound(elapsed_s)
            if 0.8 * self.expected_s <= elapsed_s <= 1.25 * self.expected_s and bound >= 4 * self.min_interval_s:
                return bound / 2  # where the job most likely ends
            return bound
        # Before the window: the fixed loop's grid (10 s, 20 s, ... after submission), so a job
        # that ends early is never noticed later than that loop would notice it.
        next_on_grid = (math.floor(elapsed_s / self.max_late_s + 1e-9) + 1) * self.max_late_s
        return max(min(next_on_grid, first_in_window) - elapsed_s, self.min_interval_s)

    def scout_spacing(self, elapsed_s: float) -> float:
        """A scout's interval: a quarter of the lateness bound, never below half of `min_interval_s`."""
        return max(self.lateness_bound(elapsed_s) / 4, self.min_interval_s / 2)

    def first_poll(self, elapsed_s: float) -> float:
        """When to poll first, in seconds from submission, for a wait that starts `elapsed_s` in.

        The schedule's first poll, or at once if that has passed; a scout later by
        its turn's share of its interval.
        """
        at = max(self.next_delay(0.0), elapsed_s)
        return at + self.scout_turn * self.next_delay(at) if self.scout else at

    def replan(self, planned_at: float, elapsed_s: float) -> float:
        """When to poll next, in seconds from submission, for a wait re-planned `elapsed_s` in.

        The last poll (or the submission) was at `planned_at`. If the schedule's next
        poll after it has passed: at once when the job is likely done by now
        (`elapsed_s` at least the prior), else the schedule's first poll from now on.
        A poll now would most likely find it pending, and the next would then come
        a whole `lateness_bound` later. At once in any case past `seen_done_s`.
        """
        if self.seen_done_s is not None and elapsed_s >= self.seen_done_s:
            return elapsed_s  # a job that started with this one is done: this one most likely too
        at = planned_at + self.next_delay(planned_at)
        if at < elapsed_s and elapsed_s >= self.expected_s:
            return elapsed_s
        while at < elapsed_s:
            at += self.next_delay(at)
        return at

    def error_delay(self, consecutive_errors: int, retry_after: float | None) -> float:
        """Seconds to wait after a failed poll: the server's hint, else backoff."""
        if retry_after is not None:
            return min(retry_after, self.max_interval_s * 4)
        backoff = self.min_interval_s * 2 ** min(consecutive_errors, 8)
        return min(backoff, self.max_interval_s) * random.uniform(1 - self.jitter, 1 + self.jitter)


class ObservedTimes:
    """Generation times seen per model; their median is the prior for the next waits.

    A run can start from the times earlier runs saw, and a batch learns from its own
    first completions (which then take precedence). Waits already running pick a new
    prior up at their next poll; when it drops sharply (first learned, or by more
    than a quarter), `changed` wakes the sleeping ones to re-plan at once.

    It also coordinates a batch's scouts of a model: each gets its turn
    (`scout_turn`), and the first completion this run sees wakes the others
    (`changed(model, scout=True)`) to poll at once (`first_seen_s`).

    Args:
        samples: Earlier observations, model -> seconds (oldest first).
        keep: How many recent observations per model count.
        min_samples: Observations needed before they replace the catalogue's prior.
    """

    def __init__(
        self, samples: Mapping[str, Sequence[float]] | None = None, *, keep: int = 50, min_samples: int = 3
    ) -> None:
        self.keep, self.min_samples = keep, min_samples
        self._samples = {model: [float(s) for s in times][-keep:] for model, times in (samples or {}).items()}
        self._fresh: dict[str, list[float]] = {}
        self._announced = {model: self.expected_s(model) for model in self._samples}
        self._changes: dict[tuple[str, asyncio.AbstractEventLoop], asyncio.Event] = {}  # an Event serves one loop
        self._sightings: dict[tuple[str, asyncio.AbstractEventLoop], asyncio.Event] = {}  # the scouts'
        self._first_seen: dict[str, float] = {}
        self._scouts: dict[str, int] = {}

    def observe(self, model: str, seconds: float) -> None:
        """Record that a generation of `model` took `seconds`."""
        for record in (self._samples, self._fresh):
            times = record.setdefault(model, [])
            times.append(round(seconds, 1))
            del times[: -self.keep]
        if model not in self._first_seen:
            self._first_seen[model] = seconds
            self._wake(self._sightings, model)
        learned, announced = self.expected_s(model), self._announced.get(model)
        # Small moves wait for each wait's next poll: waking every wait on each completion would cost more.
        if learned is not None and (announced is None or learned < 0.75 * announced):
            self._announced[model] = learned
            self._wake(self._changes, model)

    async def changed(self, model: str, *, scout: bool = False) -> None:
        """Return once the prior of `model` is first learned or drops by more than a quarter.

        Args:
            scout: Also return once this run first sees a job of `model` done.
        """
        loop = asyncio.get_running_loop()
        change = self._changes.setdefault((model, loop), asyncio.Event())
        if scout and model not in self._first_seen:
            sighting = self._sightings.setdefault((model, loop), asyncio.Event())
            await _either(change.wait(), sighting.wait())
        else:
            await change.wait()

    def scout_turn(self, model: str) -> float:
        """Enlist a scout of `model`; its `PollSchedule.scout_turn`.

        The scouts of a model take turns in the order they enlist: 0, 1/n, 2/n, ...
        for n = `min_samples` (a batch's scouts of a model), then again from 0.
        """
        enlisted = self._scouts.get(model, 0)
        self._scouts[model] = enlisted + 1
        return (enlisted % self.min_samples) / self.min_samples

    def first_seen_s(self, model: str) -> float | None:
        """How long the first job of `model` this run saw done took; None before one was."""
        return self._first_seen.get(model)

    @staticmethod
    def _wake(events: dict[tuple[str, asyncio.AbstractEventLoop], asyncio.Event], model: str) -> None:
        for key in [key for key in events if key[0] == model]:
            events.pop(key).set()

    def expected_s(self, model: str) -> float | None:
        """The median of this run's observations once there are enough, else of the recent ones.

        A run trusts what it sees over what earlier runs saw: a time kept from runs
        of other durations or resolutions gives way as soon as this run has its own.
        """
        fresh = self._fresh.get(model, [])
        times = fresh if len(fresh) >= self.min_samples else self._samples.get(model, [])
        return statistics.median(times) if len(times) >= self.min_samples else None

    def fresh(self) -> dict[str, list[float]]:
        """The observations made since this object was built, per model."""
        return {model: list(times) for model, times in self._fresh.items()}


async def wait_for_generation(
    fetch: Callable[[], Awaitable[Generation]],
    *,
    generation_id: str,
    model: str,
    deadline_s: float,
    schedule: PollSchedule | Callable[[], PollSchedule],
    on_poll: OnPoll | None = None,
    on_complete: Callable[[float], None] | None = None,
    wake: Callable[[], Awaitable[None]] | None = None,
    long_poll_s: float | None = None,
    elapsed_s: float | None = None,
    created_at: float | None = None,
    not_found_grace_s: float = 30.0,
    max_unreadable: int = 5,
    log: logging.Logger | logging.LoggerAdapter[logging.Logger] = logger,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Generation:
    """Poll with `fetch` until the generation completes, fails or the deadline passes.

    The first poll comes after the schedule's first wait (at once for a wait that
    starts `elapsed_s` after the submission). Transient errors, 429s
    (honouring Retry-After) and a 404 in the first
    `not_found_grace_s` seconds (the job may not be visible yet) do not end the wait.
    An answer that cannot be read is logged at WARNING; `max_unreadable` of them in
    a row end it. A failing `on_poll` (a progress report, say) is logged at WARNING
    and never ends a paid wait.

    Args:
        fetch: Reads the generation's status once.
        schedule: The poll schedule, or a function that gives the current one (its
            prior may improve while the wait runs).
        on_poll: Called after every readable answer with the generation and the
            seconds since the start.
        on_complete: Called with the best estimate of when the job completed, in
            seconds from the start: the middle of the interval between the last poll
            that saw it unfinished and the one that saw it done; if the first poll
            already saw it done, that poll's time (the job took at most that long:
            half of it would teach a prior up to twice too short when the first poll
            comes just after completion, as it does once a prior is right).
        wake: Returns when the schedule may have moved a poll earlier (a prior
            learned meanwhile, see `ObservedTimes.changed`): a wait sleeping until
            its next scheduled poll then re-plans it from the new schedule. If the
            re-planned poll finds the job pending, the next comes a quarter of the
            lateness bound later (a scout's spacing), not on the schedule's grid.
        long_poll_s: How long the server may hold a poll (a long-poll route). A poll
            it held for at least half of that is followed by the next one at once;
            one answered sooner (the server did not hold it) by the schedule's wait.
        elapsed_s: Seconds since the submission, for a wait that starts later (one
            process watching what another submitted): the first poll comes at once,
            the schedule and `on_complete` count from the submission, and a job that
            is done at the first poll teaches `on_complete` nothing (when it ended is unknown).
        created_at: The `clock()` reading when the create was answered, for a wait that
            starts a moment after it (a batch's bookkeeping in between): the schedule
            and `on_complete` count from it, and the first poll comes when the schedule
            says (at once if that time has passed).
        log: Where warnings go.

    Returns:
        The completed generation; its `video` is set.

    Raises:
        GenerationFailedError: The job failed, or completed without a result URL.
        UnreadableStatusError: `max_unreadable` answers in a row could not be read.
        DeadlineExceededError: `deadline_s` of wall-clock time passed; names the id.
        AimlApiError: A non-transient error (bad key, unknown generation).
    """
    current = (lambda: schedule) if isinstance(schedule, PollSchedule) else schedule
    deadline = clock() + deadline_s
    started = created_at if created_at is not None else clock() - (elapsed_s or 0.0)
    errors = unreadable = 0
    last_pending: float | None = None  # when the job was last seen unfinished
    replanned_from: float | None = None  # the scheduled poll a wake re-planned the next one from

    async def rest(delay: float, planned_at: float | None) -> None:
        """Sleep `delay` (at most to the deadline); if woken, re-plan the poll due after `planned_at`."""
        nonlocal replanned_from
        left = min(delay, deadline - clock())
        while left > 0:
            if wake is None or planned_at is None:
                await sleep(left)
                return
            if not await _either(sleep(left), wake()):
                return
            replanned_from = planned_at
            left = min(started + current().replan(planned_at, clock() - started), deadline) - clock()

    if elapsed_s is None:  # a job just submitted is not done: the schedule's first wait comes first
        await rest(started + current().first_poll(clock() - started) - clock(), 0.0)
    while (remaining := deadline - clock()) > 0:
        poll_started = clock()
        try:
            async with asyncio.timeout(remaining):
                generation = await fetch()
        except TimeoutError:
            break  # the deadline fell during a slow poll
        except UnreadableStatusError as exc:
            unreadable += 1
            if unreadable >= max_unreadable:
                raise UnreadableStatusError(
                    f"{unreadable} status answers in a row for generation {generation_id} could not be "
                    f"read; the last was: {exc.excerpt!r}. The generation may still complete: once the "
                    f"API answers normally, {collect_call(generation_id, model)} finishes it without paying again.",
                    generation_id=generation_id,
                    excerpt=exc.excerpt,
                ) from None
            errors += 1
            delay, planned_at = current().error_delay(errors, None), None
            log.warning("Unreadable status for %s (%d in a row): %s", generation_id, unreadable, exc.excerpt)
        except TransientError as exc:
            errors += 1
            delay, planned_at = current().error_delay(errors, getattr(exc, "retry_after", None)), None
            log.debug("Poll of %s failed (%s); next in %.1fs", generation_id, exc, delay)
        except AimlApiError as exc:
            if exc.status_code != 404 or clock() - started > not_found_grace_s:
                raise
            errors += 1
            delay, planned_at = current().error_delay(errors, None), None
            log.warning("Generation %s not visible yet (404); polling again", generation_id)
        else:
            errors = unreadable = 0
            elapsed = clock() - started
            if on_poll is not None:
                await _report(on_poll, generation, elapsed, log)
            if finished(generation):
                if on_complete is not None and (last_pending is not None or not elapsed_s):
                    on_complete(elapsed if last_pending is None else (last_pending + elapsed) / 2)
                return generation
            last_pending = elapsed
            held = long_poll_s is not None and clock() - poll_started >= long_poll_s / 2
            if held:
                delay, planned_at = 0.0, None
            elif replanned_from is not None:
                # A re-planned poll (often at once, off the schedule) came just too soon: the job is
                # most likely a moment from done, and a batch lasts as long as its last item, so
                # the next poll comes at a scout's spacing, not on the schedule's grid.
                delay, planned_at, replanned_from = current().scout_spacing(elapsed), elapsed, None
            else:
                delay, planned_at = current().next_delay(elapsed), elapsed
        await rest(delay, planned_at)
    waited = clock() - started - (elapsed_s or 0.0)
    raise DeadlineExceededError(
        f"Generation {generation_id} did not finish within {deadline_s:g}s. It is paid for and may "
        f"still complete: {collect_call(generation_id, model)} waits for it and downloads it "
        "without submitting again.",
        generation_id=generation_id,
        waited_s=waited,
    )


async def _either(first: Awaitable[object], second: Awaitable[object]) -> bool:
    """Await whichever of two awaitables ends first (cancelling the other); whether it was `second`."""
    first_task, second_task = asyncio.ensure_future(first), asyncio.ensure_future(second)
    try:
        done, _ = await asyncio.wait((first_task, second_task), return_when=asyncio.FIRST_COMPLETED)
    finally:
        first_task.cancel()
        second_task.cancel()
    return second_task in done


def finished(generation: Generation) -> bool:
    """Whether `generation` is done: True when completed with a result, False while pending.

    Raises:
        GenerationFailedError: It failed, or completed without a result URL.
    """
    if generation.state == "pending":
        return False
    if generation.state == "failed":
        raise GenerationFailedError(
            f"Generation {generation.id} ended with status {generation.status!r}: "
            f"{generation.error or 'no reason given'}",
            generation_id=generation.id,
            status=generation.status,
        )
    if generation.video is None:
        raise GenerationFailedError(
            f"Generation {generation.id} is {generation.status!r} but has no result URL",
            generation_id=generation.id,
            status=generation.status,
        )
    return True


async def _report(
    on_poll: OnPoll, generation: Generation, elapsed: float, log: logging.Logger | logging.LoggerAdapter[logging.Logger]
) -> None:
    try:
        outcome = on_poll(generation, elapsed)
        if outcome is not None:
            await outcome
    except Exception as exc:  # a side effect must never end a paid wait
        log.warning("Progress report for %s failed (%s: %s); still waiting", generation.id, type(exc).__name__, exc)
