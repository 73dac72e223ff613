"""The wait loop against a fake clock: states, faults, deadline, schedule."""

from __future__ import annotations

import asyncio
import math

import httpx
import pytest
import respx

from aimlapi_client import (
    AuthError,
    DeadlineExceededError,
    GenerationFailedError,
    ObservedTimes,
    PollSchedule,
    UnreadableStatusError,
)

from ._helpers import ROUTE, FakeClock, VirtualTime, client_on

DONE = {"id": "g", "status": "completed", "video": {"url": "https://cdn.test/g.mp4"}}


@pytest.fixture
def router():
    with respx.mock(assert_all_called=False) as router:
        yield router


async def wait(router, answers, clock=None, deadline_s=1000.0, **options):
    router.get(ROUTE).mock(side_effect=answers)
    clock = clock or FakeClock()
    seen = []
    async with client_on(router, clock) as client:
        from aimlapi_client._polling import wait_for_generation

        return await wait_for_generation(
            lambda: client.status("g", model="google/veo3"),
            generation_id="g",
            model="google/veo3",
            deadline_s=deadline_s,
            schedule=options.pop("schedule", PollSchedule(expected_s=120)),
            on_poll=options.pop("on_poll", lambda generation, elapsed: seen.append(generation.status)),
            sleep=clock.sleep,
            clock=clock,
            **options,
        ), seen


def ok(body):
    return httpx.Response(200, json=body)


async def test_waits_through_pending_states_and_reports_each_poll(router):
    generation, seen = await wait(
        router, [ok({"id": "g", "status": "queued"}), ok({"id": "g", "status": "generating"}), ok(DONE)]
    )
    assert generation.video.url == "https://cdn.test/g.mp4"
    assert seen == ["queued", "generating", "completed"]


async def test_a_failed_generation_raises_with_the_servers_reason(router):
    failed = {"id": "g", "status": "error", "error": {"name": "Error", "message": "content policy"}}
    with pytest.raises(GenerationFailedError, match="content policy") as caught:
        await wait(router, [ok({"id": "g", "status": "generating"}), ok(failed)])
    assert caught.value.generation_id == "g" and caught.value.status == "error"


async def test_completed_without_a_url_is_a_failure(router):
    with pytest.raises(GenerationFailedError, match="no result URL"):
        await wait(router, [ok({"id": "g", "status": "completed", "video": {"url": None}})])


async def test_transient_errors_rate_limits_and_early_404s_do_not_end_the_wait(router):
    clock = FakeClock()
    answers = [
        httpx.Response(404, json={"message": "not found"}),
        httpx.Response(503, text="Service unavailable"),
        httpx.Response(429, json={"message": "Too Many Requests"}, headers={"Retry-After": "12"}),
        httpx.ReadTimeout("slow"),
        httpx.Response(200, text="<html>oops</html>"),
        ok(DONE),
    ]
    generation, seen = await wait(router, answers, clock)
    assert generation.state == "completed" and seen == ["completed"]
    assert 12.0 in clock.sleeps  # Retry-After honoured


async def test_a_404_long_after_submission_is_an_error(router):
    clock = FakeClock()
    clock.now = 0.0
    answers = [ok({"id": "g", "status": "generating"})] * 5 + [httpx.Response(404, json={"message": "gone"})]
    with pytest.raises(Exception, match="404"):
        await wait(router, answers, clock, not_found_grace_s=5)


async def test_a_bad_key_ends_the_wait_at_once(router):
    with pytest.raises(AuthError):
        await wait(router, [httpx.Response(401, json={"message": "bad key"})])


async def test_the_deadline_is_wall_clock_and_names_the_generation(router):
    clock = FakeClock()
    with pytest.raises(DeadlineExceededError, match="Generation g did not finish within 60s") as caught:
        await wait(router, lambda request: ok({"id": "g", "status": "generating"}), clock, deadline_s=60)
    assert caught.value.generation_id == "g"
    assert clock.now == pytest.approx(60.0)  # never sleeps past the deadline
    assert "collect_generation(generation_id='g', model='google/veo3')" in str(caught.value)


async def test_unreadable_answers_are_warned_about_and_a_streak_ends_the_wait_early(router, caplog):
    clock = FakeClock()
    garbled = httpx.Response(200, text="<html>maintenance</html>")
    with pytest.raises(UnreadableStatusError, match="5 status answers in a row") as caught:
        await wait(router, lambda request: garbled, clock, max_unreadable=5)
    assert caught.value.generation_id == "g" and caught.value.excerpt == "<html>maintenance</html>"
    assert "collect_generation(generation_id='g', model='google/veo3')" in str(caught.value)
    assert clock.now < 100  # long before the 1000 s deadline
    warnings = [r for r in caplog.records if r.levelname == "WARNING" and "Unreadable status" in r.getMessage()]
    assert len(warnings) == 4 and "maintenance" in warnings[0].getMessage()


async def test_a_readable_answer_resets_the_unreadable_streak(router):
    garbled = httpx.Response(200, text="not json")
    pending = ok({"id": "g", "status": "generating"})
    answers = [garbled] * 4 + [pending] + [garbled] * 4 + [ok(DONE)]
    generation, _ = await wait(router, answers, max_unreadable=5)
    assert generation.state == "completed"


async def test_a_failing_progress_report_never_ends_the_wait(router, caplog):
    def report(generation, elapsed):
        raise RuntimeError("Prefect API unreachable")

    answers = [ok({"id": "g", "status": "generating"}), ok(DONE)]
    generation, _ = await wait(router, answers, on_poll=report)
    assert generation.state == "completed"
    assert any("Prefect API unreachable" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)


def polls_until(schedule: PollSchedule, done_at: float) -> tuple[int, float]:
    """Polls a job finishing at `done_at` gets, and how late its completion is noticed."""
    elapsed, polls = 0.0, 0
    while True:
        elapsed += schedule.next_delay(elapsed)
        polls += 1
        if elapsed >= done_at - 1e-9:
            return polls, elapsed - done_at


def fixed_10s_polls(done_at: float) -> int:
    """Polls of the vendor example's loop (at 0 s, then every 10 s) for a job finishing at `done_at`."""
    elapsed, polls = 0.0, 1
    while elapsed < done_at - 1e-9:
        elapsed += 10
        polls += 1
    return polls


def bound(real: float) -> float:
    return min(10.0, max(2.0, 0.1 * real))


@pytest.mark.parametrize("expected_s", [30.0, 60.0, 120.0, 300.0, 900.0])
def test_inside_a_quarter_to_four_times_the_prior_completion_is_noticed_within_the_bound(expected_s):
    schedule = PollSchedule(expected_s=expected_s)
    for step in range(801):
        real = expected_s * (0.25 + 3.75 * step / 800)
        polls, late = polls_until(schedule, real)
        assert late <= bound(real) + 1e-9, f"real {real:.1f}s noticed {late:.2f}s late"
        assert polls <= 3 * fixed_10s_polls(real), f"real {real:.1f}s: {polls} polls"


@pytest.mark.parametrize("expected_s", [1.0, 5.0, 30.0, 120.0, 300.0, 3600.0])
def test_no_completion_is_noticed_later_than_the_fixed_loops_worst_whatever_the_prior(expected_s):
    schedule = PollSchedule(expected_s=expected_s)
    for step in range(1, 2001):
        real = 10 * expected_s * step / 2000
        _, late = polls_until(schedule, real)
        assert late <= 10.0 + 1e-9, f"real {real:.1f}s noticed {late:.2f}s late"


def test_a_prior_twice_too_long_still_notices_within_ten_percent():
    """The case behind 1.99x at the defaults: Veo3's prior is 120 s, the job takes 60 s."""
    _, late = polls_until(PollSchedule(expected_s=120), 60)
    assert late <= 6.0


def test_polls_before_the_window_follow_the_fixed_loops_grid():
    schedule = PollSchedule(expected_s=300)  # the window opens at 75 s, its first poll at 82.5 s
    elapsed, times = 0.0, []
    while elapsed < 82.5 - 1e-9:
        elapsed += schedule.next_delay(elapsed)
        times.append(round(elapsed, 6))
    assert times == [10, 20, 30, 40, 50, 60, 70, 80, 82.5]


@pytest.mark.parametrize("expected_s", [30.0, 120.0, 300.0, 3600.0])
def test_a_job_done_before_the_window_is_noticed_no_later_than_by_the_fixed_loop(expected_s):
    schedule = PollSchedule(expected_s=expected_s)
    for step in range(1, 1001):
        real = 0.25 * expected_s * step / 1000
        polls, late = polls_until(schedule, real)
        fixed_late = math.ceil(real / 10 - 1e-9) * 10 - real
        assert late <= fixed_late + 1e-9, f"real {real:.1f}s noticed {late:.2f}s late, the fixed loop {fixed_late:.2f}s"
        assert polls <= fixed_10s_polls(real), f"real {real:.1f}s: {polls} polls"  # and with no more polls


def test_observed_times_give_a_median_prior_once_there_are_enough():
    from aimlapi_client import ObservedTimes

    times = ObservedTimes({"google/veo3": [50.0, 70.0]}, keep=4, min_samples=3)
    assert times.expected_s("google/veo3") is None and times.expected_s("video-01") is None
    times.observe("google/veo3", 61.04)
    assert times.expected_s("google/veo3") == 61.0
    for seconds in (10.0, 11.0, 12.0):
        times.observe("google/veo3", seconds)
    assert times.expected_s("google/veo3") == 11.5  # only the 4 most recent count
    assert times.fresh() == {"google/veo3": [61.0, 10.0, 11.0, 12.0]}


async def test_a_wait_schedules_from_the_learned_prior_and_records_the_completion(router):
    from aimlapi_client import ObservedTimes

    clock = FakeClock()
    router.get(ROUTE).mock(side_effect=[ok({"id": "g", "status": "generating"})] * 3 + [ok(DONE)])
    priors = ObservedTimes({"google/veo3": [60.0, 60.0, 60.0]})
    async with client_on(router, clock) as client:
        await client.wait("g", model="google/veo3", priors=priors)
    # A prior of 60 s (not the catalogue's 120 s): the window opens at 15 s and its first poll
    # comes 2 s later; before it, the fixed loop's grid (10 s).
    assert clock.sleeps[:3] == [pytest.approx(10.0), pytest.approx(7.0), pytest.approx(2.0)]
    polls = [sum(clock.sleeps[: i + 1]) for i in range(len(clock.sleeps))]
    assert priors.fresh() == {"google/veo3": [round((polls[-2] + polls[-1]) / 2, 1)]}


async def test_a_job_done_at_the_first_poll_teaches_that_poll_time_not_half_of_it(router):
    from aimlapi_client import ObservedTimes

    # A prior that is right puts the first poll just after completion: the job took
    # about that long (at most), not half of it, which would be the next run's prior.
    clock = FakeClock()
    router.get(ROUTE).mock(side_effect=[ok(DONE)])
    priors = ObservedTimes()
    async with client_on(router, clock) as client:
        await client.wait("g", model="google/veo3", expected_s=8.0, priors=priors)
    assert len(clock.sleeps) == 1
    assert priors.fresh() == {"google/veo3": [round(clock.sleeps[0], 1)]}


async def test_a_wait_that_starts_after_its_create_counts_from_the_create(router):
    from aimlapi_client import ObservedTimes

    # A batch item's wait starts after its bookkeeping (here 2 s after the create's answer):
    # its polls and the time it teaches count from the create, not from the wait's start.
    clock = FakeClock()
    router.get(ROUTE).mock(side_effect=[ok({"id": "g", "status": "generating"}), ok(DONE)])
    priors = ObservedTimes()
    schedule = PollSchedule(expected_s=8.0)
    async with client_on(router, clock) as client:
        created_at = clock()
        await clock.sleep(2.0)
        await client.wait("g", model="google/veo3", expected_s=8.0, priors=priors, created_at=created_at)
    first = schedule.next_delay(0.0)
    assert clock.sleeps[1:] == [pytest.approx(first - 2.0), pytest.approx(schedule.next_delay(first))]
    assert priors.fresh() == {"google/veo3": [round(first + schedule.next_delay(first) / 2, 1)]}


async def test_a_wait_not_started_at_submission_does_not_teach_the_prior(router):
    from aimlapi_client import ObservedTimes

    router.get(ROUTE).mock(side_effect=[ok(DONE)])
    priors = ObservedTimes()
    async with client_on(router) as client:
        await client.wait("g", model="google/veo3", priors=priors, learn=False)
    assert priors.fresh() == {}


async def test_a_wait_that_starts_late_polls_at_once_and_schedules_from_the_submission(router):
    from aimlapi_client import ObservedTimes

    clock = FakeClock()
    router.get(ROUTE).mock(side_effect=[ok({"id": "g", "status": "generating"}), ok(DONE)])
    priors = ObservedTimes()
    async with client_on(router, clock) as client:
        await client.wait("g", model="google/veo3", elapsed_s=100.0, priors=priors)
    # Polled at once, then (100 s into a 120 s prior: its busiest stretch) 5 s later.
    assert clock.sleeps == [pytest.approx(PollSchedule(expected_s=120).next_delay(100.0))]
    assert clock.sleeps[0] == pytest.approx(5.0)
    assert priors.fresh() == {"google/veo3": [102.5]}  # counted from the submission


async def test_a_late_wait_that_finds_the_job_done_teaches_nothing(router):
    from aimlapi_client import ObservedTimes

    clock = FakeClock()
    router.get(ROUTE).mock(side_effect=[ok(DONE)])
    priors = ObservedTimes()
    async with client_on(router, clock) as client:
        generation = await client.wait("g", model="google/veo3", elapsed_s=600.0, priors=priors)
    assert generation.video is not None and clock.sleeps == []  # no wait before the poll
    assert priors.fresh() == {}  # when it ended between 0 and 600 s is unknown


async def test_a_late_wait_keeps_its_own_deadline(router):
    clock = FakeClock()
    with pytest.raises(DeadlineExceededError) as caught:
        await wait(router, lambda request: ok({"id": "g", "status": "generating"}), clock, deadline_s=30.0,
                   elapsed_s=500.0)  # fmt: skip
    assert caught.value.waited_s == pytest.approx(30.0, abs=1.0)


def test_a_re_planned_wait_polls_at_once_only_when_its_job_is_likely_done():
    """Re-planned 4.3 s into a 5 s prior, a wait keeps to the schedule; 5.2 s in, it polls at once.

    Polling at once 4.3 s in would most likely find the job running and put the
    next poll a whole bound (2 s) later.
    """
    schedule = PollSchedule(expected_s=5.0)
    assert schedule.next_delay(0.0) == pytest.approx(3.25)
    assert schedule.next_delay(3.25) == pytest.approx(2.0)
    assert schedule.replan(0.0, 2.0) == pytest.approx(3.25)  # not yet due: as planned
    assert schedule.replan(0.0, 4.3) == pytest.approx(5.25)  # overdue, job likely running: the next on the schedule
    assert schedule.replan(0.0, 5.2) == pytest.approx(5.2)  # overdue, job likely done: at once
    assert schedule.replan(3.25, 4.3) == pytest.approx(5.25)


@pytest.mark.parametrize("field", ["expected_s", "min_interval_s", "max_late_s", "max_interval_s"])
@pytest.mark.parametrize("value", [0.0, -1.0, math.nan])
def test_a_schedule_refuses_seconds_that_are_not_positive(field, value):
    """A zero interval would poll without pause (and re-planning would never end): refused, naming the field."""
    with pytest.raises(ValueError, match=f"PollSchedule.{field} must be a positive number of seconds"):
        PollSchedule(**{field: value})


@pytest.mark.parametrize("elapsed_s", [0.0, 1.0, 4.9, 30.0, 119.0])
def test_a_re_planned_poll_is_never_later_than_the_bound_from_now(elapsed_s):
    """Whatever the moment of re-planning, the next poll keeps the lateness promise from then on."""
    schedule = PollSchedule(expected_s=120.0)
    at = schedule.replan(0.0, elapsed_s)
    assert elapsed_s <= at <= elapsed_s + max(schedule.next_delay(elapsed_s), schedule.lateness_bound(at))


@pytest.mark.parametrize("expected_s", [30.0, 120.0, 300.0])
def test_a_scout_notices_an_early_completion_within_a_quarter_of_the_bound(expected_s):
    """A batch's scouts poll densely before the window, so a job far quicker than its prior is seen soon."""
    scout = PollSchedule(expected_s=expected_s, scout=True)
    assert scout.next_delay(0.0) == pytest.approx(0.5)
    for step in range(1, 4001):
        real = 4 * expected_s * step / 4000
        polls, late = polls_until(scout, real)
        limit = 0.3 * bound(real) if real < 0.25 * expected_s else bound(real)
        assert late <= limit + 1e-9, f"real {real:.1f}s noticed {late:.2f}s late"
    # What a scout costs: at most two polls a second before the window, the usual schedule in it.
    assert polls_until(scout, 0.25 * expected_s)[0] <= 2 * 0.25 * expected_s + 1


async def test_observed_times_announce_a_first_learned_or_sharply_lower_prior_only():
    from aimlapi_client import ObservedTimes

    async def announcements(observations: list[float], kept: list[float] | None = None) -> list[float]:
        times = ObservedTimes({"video-01": kept} if kept else None)
        woken: list[float] = []
        for seconds in observations:
            change = asyncio.ensure_future(times.changed("video-01"))
            await asyncio.sleep(0)
            times.observe("video-01", seconds)
            await asyncio.sleep(0)
            if change.done():
                woken.append(times.expected_s("video-01"))
            change.cancel()
        return woken

    assert await announcements([5.0, 5.0, 5.0, 5.0, 6.0]) == [5.0]  # learned at the third; small moves are quiet
    assert await announcements([5.0, 5.0], kept=[60.0, 60.0, 60.0]) == []  # 60 s median: not moved yet
    assert await announcements([5.0, 5.0, 5.0], kept=[60.0, 60.0]) == [60.0, 32.5, 5.0]  # each drop by over a quarter
    assert await announcements([40.0, 40.0, 40.0, 20.0, 20.0, 20.0, 20.0]) == [40.0, 20.0]
    # A run's own times take over from the ten an earlier run kept once there are three.
    assert await announcements([5.0, 5.0, 5.0], kept=[60.0] * 10) == [5.0]


def test_observed_times_wake_waits_in_any_event_loop():
    """One `ObservedTimes` outlives an event loop (a sync flow runs each task's loop in turn)."""
    from aimlapi_client import ObservedTimes

    times = ObservedTimes()

    async def left_waiting() -> None:  # a wait that ended (cancelled) before anything was learned
        waiting = asyncio.ensure_future(times.changed("video-01"))
        await asyncio.sleep(0)
        waiting.cancel()

    async def woken() -> bool:
        waiting = asyncio.ensure_future(times.changed("video-01"))
        await asyncio.sleep(0)
        for _ in range(3):
            times.observe("video-01", 5.0)
        await asyncio.wait_for(waiting, 1.0)
        return waiting.done()

    asyncio.run(left_waiting())
    assert asyncio.run(woken())


async def polls_of_a_wait_taught(
    seconds: float, *, at: float, min_interval_s: float, pending_polls: int = 0
) -> list[float]:
    """When a wait polled (virtual clock), taught a `seconds` prior `at` s in.

    It starts on the catalogue's 120 s (first poll at 10 s); other waits teach it.
    Its first `pending_polls` polls find the job running, the others done.
    """
    from aimlapi_client import Generation
    from aimlapi_client._polling import wait_for_generation

    time_ = VirtualTime()
    priors = ObservedTimes()
    polled_at: list[float] = []

    async def fetch() -> Generation:
        polled_at.append(time_.now)
        pending = len(polled_at) <= pending_polls
        return Generation.model_validate({"id": "g", "status": "generating"} if pending else DONE)

    def schedule() -> PollSchedule:
        return PollSchedule(expected_s=priors.expected_s("google/veo3") or 120.0, min_interval_s=min_interval_s)

    async def teach() -> None:
        await time_.sleep(at)
        for _ in range(3):
            priors.observe("google/veo3", seconds)

    waiting = wait_for_generation(
        fetch, generation_id="g", model="google/veo3", deadline_s=60, schedule=schedule,
        wake=lambda: priors.changed("google/veo3"), sleep=time_.sleep, clock=time_,
    )  # fmt: skip
    await time_.run(waiting, teach())
    return polled_at


@pytest.mark.parametrize(("taught_at", "first_poll"), [(0.35, 0.4), (0.5, 0.5)])
async def test_a_sleeping_wait_re_plans_when_the_prior_is_learned(taught_at, first_poll):
    """A wait due to poll at 10 s re-plans as soon as other waits teach a 0.4 s prior.

    Taught 0.35 s in, before the job is likely done, it polls at the new schedule's
    next time (0.4 s); taught 0.5 s in, at once. (The window of a 0.4 s prior: its
    first poll is 0.2 s in, the next ones 0.1 s apart.)
    """
    polled_at = await polls_of_a_wait_taught(0.4, at=taught_at, min_interval_s=0.05)
    assert polled_at == [pytest.approx(first_poll)]  # not the 10 s the catalogue's prior gave


async def test_a_re_planned_poll_that_comes_just_too_soon_is_followed_at_a_scouts_spacing():
    """Woken past its new prior, a wait polls at once; a job a moment from done is then
    noticed a quarter of the bound later, not on the schedule's grid: a batch lasts as
    long as its last item.

    The learned prior is 1.5 s, polls 0.5 s apart from 0.875 s on (1.375, 1.875, ...).
    Taught 1.625 s in, the wait polls at once and finds the job running; it ends just
    after. The next poll comes 0.125 s later (a quarter of the 0.5 s bound), where the
    grid had it at 1.875 s and a whole spacing on would be 2.125 s.
    """
    polled_at = await polls_of_a_wait_taught(1.5, at=1.625, min_interval_s=0.25, pending_polls=1)
    assert polled_at == [pytest.approx(1.625), pytest.approx(1.75)]


async def scouts_of_jobs_done_at(done_at: list[float]) -> tuple[list[float], int, ObservedTimes]:
    """Three scouts of a batch (their waits started together, at 0) on a virtual clock.

    Job `i` is done from `done_at[i]` on. Returns when each scout saw its job done,
    the polls they made in all, and the priors they taught.
    """
    time_ = VirtualTime()
    priors = ObservedTimes()
    polls = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal polls
        polls += 1
        index = int(request.url.params["generation_id"])
        done = time_.now >= done_at[index] - 1e-9
        return ok(DONE | {"id": str(index)} if done else {"id": str(index), "status": "generating"})

    async def scout(client, index: int) -> float:
        await client.wait(str(index), model="google/veo3", priors=priors, scout=True, created_at=0.0)
        return time_.now

    with respx.mock(assert_all_called=False) as router:
        router.get(ROUTE).mock(side_effect=answer)
        async with client_on(router, time_) as client:
            seen = await time_.run(*(scout(client, index) for index in range(len(done_at))))
    return [float(at) for at in seen], polls, priors


def test_scouts_take_turns_in_their_interval():
    """Each scout's polls start a third of the interval after the one before (a late start too)."""
    turns = [PollSchedule(scout=True, scout_turn=turn) for turn in (0.0, 1 / 3, 2 / 3)]
    assert [scout.first_poll(0.0) for scout in turns] == pytest.approx([0.5, 0.5 + 1 / 6, 0.5 + 2 / 6])
    assert [scout.first_poll(2.0) for scout in turns] == pytest.approx([2.0, 2.0 + 1 / 6, 2.0 + 2 / 6])
    assert PollSchedule(scout_turn=0.5).first_poll(0.0) == PollSchedule().next_delay(0.0)  # not a scout: no turn
    assert PollSchedule().first_poll(40.0) == 40.0  # a wait that starts late polls at once
    times = ObservedTimes()
    assert [times.scout_turn("google/veo3") for _ in range(4)] == pytest.approx([0.0, 1 / 3, 2 / 3, 0.0])
    assert times.scout_turn("video-01") == 0.0  # each model's scouts take their own turns
    with pytest.raises(ValueError, match="PollSchedule.scout_turn must be at least 0 and below 1"):
        PollSchedule(scout=True, scout_turn=1.0)


@pytest.mark.parametrize("real", [1.0, 2.05, 2.2, 3.37, 4.49, 12.3])
async def test_scouts_started_together_see_their_jobs_done_within_a_turn(real):
    """Three scouts of jobs that end together: the batch learns within a sixth of a second.

    Each polls every half second, in turn; the first to see its job done calls the
    others in, which poll at once. In step (all on one half-second grid) they would see
    it up to half a second late, with no fewer polls.
    """
    seen, polls, priors = await scouts_of_jobs_done_at([real] * 3)
    assert max(seen) == pytest.approx(min(seen))  # the other two polled at once
    assert real - 1e-9 <= min(seen) <= real + 0.5 / 3 + 1e-9
    in_step = 3 * polls_until(PollSchedule(scout=True), real)[0]
    assert polls <= in_step
    assert priors.expected_s("google/veo3") is not None  # learned: the batch's other waits wake


@pytest.mark.parametrize("done_at", [[3.0, 3.3, 3.6], [3.6, 3.0, 3.1], [2.0, 2.0, 9.7]])
async def test_a_scout_called_in_too_soon_is_noticed_within_its_own_interval(done_at):
    """Called in before its own job is done, a scout goes back to its half-second polls."""
    seen, _, _ = await scouts_of_jobs_done_at(done_at)
    for done, noticed in zip(done_at, seen, strict=True):
        assert done - 1e-9 <= noticed <= done + 0.5 + 1e-9, (done_at, seen)


async def test_only_scouts_are_called_in_by_the_first_job_seen_done():
    times = ObservedTimes()
    scout = asyncio.ensure_future(times.changed("video-01", scout=True))
    other = asyncio.ensure_future(times.changed("video-01"))
    await settle()
    assert times.first_seen_s("video-01") is None and not scout.done()
    times.observe("video-01", 4.04)
    await settle()
    assert scout.done() and not other.done()
    assert times.first_seen_s("video-01") == 4.04
    # Once one was seen, a scout waits for the learned prior like every wait (no wake-up loop).
    again = asyncio.ensure_future(times.changed("video-01", scout=True))
    times.observe("video-01", 4.0)
    await settle()
    assert not again.done()
    times.observe("video-01", 4.1)
    await settle()
    assert again.done() and other.done()


async def settle() -> None:
    """Let every task run on until it waits (a few loop turns)."""
    for _ in range(10):
        await asyncio.sleep(0)
