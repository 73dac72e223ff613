"""Priors that learn: a batch from its own first completions, runs from earlier runs."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.variables import Variable

from aimlapi_client import ObservedTimes
from flows import generate_video, generate_videos
from flows._priors import _TIMEOUT_S, VARIABLE, load_priors, save_priors
from tests._services import free_port

pytestmark = pytest.mark.usefixtures("prefect_server")


@pytest.fixture(autouse=True)
async def no_learned_times():
    await Variable.aunset(VARIABLE)
    yield
    await Variable.aunset(VARIABLE)


def polls_after_acceptance(ledger) -> dict[str, list[float]]:
    """Each generation's status polls, in seconds after the emulator accepted it."""
    polls: dict[str, list[float]] = {}
    for request in ledger.of("api", "GET"):
        generation_id = request.query["generation_id"]
        polls.setdefault(generation_id, []).append(request.at - ledger.accepted_at[generation_id])
    return polls


async def batch_of_3s_jobs(aimlapi_sim, credentials, out, n: int, max_concurrency: int):
    """`n` video-01 jobs (catalogue prior 30 s) that really take 3 s; the emulator's ledger after."""
    aimlapi_sim.generation_s = 3
    items = [{"model": "video-01", "prompt": f"item {i} of {n}"} for i in range(n)]
    summary = await generate_videos(
        items=items, credentials=credentials, output_dir=str(out), max_concurrency=max_concurrency
    )
    assert len(summary.succeeded) == n
    return aimlapi_sim.ledger


async def test_a_batch_learns_the_real_time_from_its_first_completions(aimlapi_sim, aimlapi_credentials, tmp_path):
    # Too small to scout: the first wave is polled on the catalogue's schedule (first
    # poll 9.5 s in); the second, on what the first saw.
    ledger = await batch_of_3s_jobs(aimlapi_sim, aimlapi_credentials, tmp_path, n=6, max_concurrency=3)
    polls = polls_after_acceptance(ledger)
    first_polls = [min(polls[g]) for g in ledger.accepted[:3]]
    second_polls = [min(polls[g]) for g in ledger.accepted[3:]]
    assert min(first_polls) >= 9.4  # scheduled 9.5 s after each wait began
    assert max(second_polls) < min(first_polls) - 3  # about 3 s: the learned prior is ~5 s
    learned = await Variable.aget(VARIABLE)
    assert len(learned["video-01"]) == 6 and all(1.0 < seconds < 10.0 for seconds in learned["video-01"])


@pytest.mark.parametrize("kept", [None, [60.0] * 10], ids=["first-run", "kept-time-wrong"])
async def test_a_big_batch_scouts_the_real_time_and_wakes_its_waits(aimlapi_sim, aimlapi_credentials, tmp_path, kept):
    # All 20 in flight at once: without scouts, each first poll would come 9.5 s in on
    # the catalogue's 30 s, or 10 s in on a kept 60 s. Three scouts poll every half second,
    # see the 3 s jobs done, and the waits sleeping toward then wake and re-plan from the 3 s.
    if kept:
        await Variable.aset(VARIABLE, {"video-01": kept})
    polls = polls_after_acceptance(
        await batch_of_3s_jobs(aimlapi_sim, aimlapi_credentials, tmp_path, n=20, max_concurrency=20)
    )
    assert all(min(times) < 7.5 for times in polls.values()), polls  # none waited for the prior's schedule
    assert sum(len(times) >= 3 for times in polls.values()) >= 3  # the scouts polled densely
    assert sum(len(times) for times in polls.values()) <= 20 + 3 * 6  # what scouting cost: a few polls
    learned = await Variable.aget(VARIABLE)
    assert len(learned["video-01"]) == 10  # the 10 most recent are kept
    # Times near the real 3 s. Most waits saw their job done at the first poll: that poll's time,
    # not half of it (a prior that would make the next run poll every job too early).
    assert all(2.5 <= seconds < 7.0 for seconds in learned["video-01"]), learned


async def test_runs_keep_what_they_observed_for_later_runs(aimlapi_sim, aimlapi_credentials, tmp_path):
    aimlapi_sim.generation_s = 2
    first = await generate_video(
        prompt="Learn me", model="video-01", credentials=aimlapi_credentials, output_dir=str(tmp_path)
    )
    resumed = await generate_video(
        prompt="Learn me", model="video-01", credentials=aimlapi_credentials, output_dir=str(tmp_path)
    )
    assert resumed.generation_id == first.generation_id
    learned = await Variable.aget(VARIABLE)
    assert list(learned) == ["video-01"] and len(learned["video-01"]) == 1  # a resumed wait teaches nothing
    await generate_video(
        prompt="Learn me too", model="video-01", credentials=aimlapi_credentials, output_dir=str(tmp_path)
    )
    assert len((await Variable.aget(VARIABLE))["video-01"]) == 2


async def test_a_run_adds_its_times_to_those_other_runs_kept(caplog):
    await Variable.aset(VARIABLE, {"video-01": [4.0, 5.0], "google/veo3": [60.0]})
    priors = await load_priors(logging.getLogger("test"))
    assert priors.expected_s("video-01") is None  # two observations: not enough to replace the catalogue
    priors.observe("video-01", 6.0)
    await Variable.aset(VARIABLE, {"video-01": [4.0, 5.0], "google/veo3": [60.0], "kling": [30.0]}, overwrite=True)
    await save_priors(priors, logging.getLogger("test"))
    # Re-read before writing: what another run kept meanwhile (kling) stays; video-01, just observed, moves last.
    kept = await Variable.aget(VARIABLE)
    assert kept == {"google/veo3": [60.0], "kling": [30.0], "video-01": [4.0, 5.0, 6.0]}
    assert list(kept)[-1] == "video-01"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@contextlib.asynccontextmanager
async def busy_once(method: str, path_end: str) -> AsyncIterator[list[int]]:
    """The test server behind a proxy that answers the first `method` on a path ending `path_end` 503.

    As Prefect's server does on SQLite when a write committed meanwhile fails an update
    (`database is locked`). Yields the status codes of those requests, as answered.
    """
    upstream, answered = PREFECT_API_URL.value(), []

    async def forward(request: web.Request) -> web.Response:
        ours = request.method == method and request.path.endswith(path_end)
        if ours and not answered:
            answered.append(503)
            return web.json_response({"exception_message": "Service Unavailable"}, status=503)
        async with session.request(
            request.method, upstream + request.path_qs.removeprefix("/api"), data=await request.read(),
            headers={k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")},
        ) as response:  # fmt: skip
            if ours:
                answered.append(response.status)
            return web.Response(body=await response.read(), status=response.status, content_type=response.content_type)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    async with aiohttp.ClientSession() as session:
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port := free_port())
        await site.start()
        try:
            with temporary_settings({PREFECT_API_URL: f"http://127.0.0.1:{port}/api"}):
                yield answered
        finally:
            await runner.cleanup()


async def test_a_busy_server_costs_the_save_a_moment_not_seconds(caplog):
    """Prefect's client would retry a 503 only after 2 s; the save tries again at once."""
    await Variable.aset(VARIABLE, {"video-01": [4.0, 5.0]})
    learned = ObservedTimes()
    learned.observe("video-01", 6.0)
    async with busy_once("PATCH", f"/variables/name/{VARIABLE}") as answered:
        started = time.monotonic()
        await save_priors(learned, logging.getLogger("test"))
        took = time.monotonic() - started
    assert answered == [503, 204]  # refused once, then written
    assert took < 1.5  # Prefect's own retry would come after 2 s
    assert await Variable.aget(VARIABLE) == {"video-01": [4.0, 5.0, 6.0]}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_priors_never_hold_up_a_run_when_the_prefect_api_is_down(caplog):
    logger = logging.getLogger("test")
    learned = ObservedTimes()
    learned.observe("video-01", 6.0)
    started = time.monotonic()
    with temporary_settings({PREFECT_API_URL: f"http://127.0.0.1:{free_port()}/api"}):
        priors = await load_priors(logger)
        await save_priors(learned, logger)
    assert time.monotonic() - started < 2 * _TIMEOUT_S + 2
    assert priors.expected_s("video-01") is None and not priors.fresh()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "Could not read aimlapi-expected-seconds" in warnings[0] and "catalogue" in warnings[0]
    assert "Could not keep the observed generation times" in warnings[1]
    assert await Variable.aget(VARIABLE) is None  # and nothing was written anywhere


async def test_a_batch_keeps_its_times_when_items_fail_repeat_or_are_left_out(
    aimlapi_sim, aimlapi_credentials, tmp_path
):
    # The save starts once no item waits; failed, duplicate and unsubmitted items must not hold it back.
    aimlapi_sim.generation_s = 2
    aimlapi_sim.faults.add("submit", "fail", message="content policy")
    items = [{"model": "video-01", "prompt": f"item {i}"} for i in range(4)]
    summary = await generate_videos(
        items=[*items, items[1]],
        credentials=aimlapi_credentials,
        output_dir=str(tmp_path),
        max_new_submissions=3,
        expected_s=2,
    )
    assert (len(summary.succeeded), len(summary.failed), len(summary.not_submitted)) == (3, 1, 1)  # 3: one twin
    learned = await Variable.aget(VARIABLE)
    assert len(learned["video-01"]) == 2  # the two generations that completed


async def test_hand_edited_times_that_are_not_times_are_left_out(caplog):
    # The variable is editable in the UI: only positive numbers of seconds count.
    await Variable.aset(
        VARIABLE,
        {"video-01": [True, "40", -3, 0, [5], None, 4.0, 5, 6.5], "google/veo3": "60", "kling": {"t": 30}},
    )
    priors = await load_priors(logging.getLogger("test"))
    assert priors.expected_s("video-01") == 5.0  # the median of 4, 5 and 6.5; True is not one second
    assert priors.expected_s("google/veo3") is None and priors.expected_s("kling") is None
    priors.observe("video-01", 7.0)
    await save_priors(priors, logging.getLogger("test"))
    assert await Variable.aget(VARIABLE) == {"video-01": [4.0, 5.0, 6.5, 7.0]}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
