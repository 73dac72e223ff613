"""`generate_videos` and the storyboard: fan-out, bounds, the spend guard, composition."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import unquote

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterId,
    TaskRunFilter,
    TaskRunFilterName,
)

from aimlapi_sim import SAMPLE_VIDEO
from aimlapi_sim.pytest_plugin import SIM_API_KEY
from blocks import AimlApiCredentials
from flows import batch, generate_videos, storyboard

from ._helpers import read_events

pytestmark = pytest.mark.usefixtures("prefect_server")


def veo3(prompt: str) -> dict:
    return {"model": "google/veo3", "prompt": prompt, "duration": 4}


def busy_intervals(ledger) -> list[tuple[float, float]]:
    """(accepted, downloaded) times of every generation the emulator served."""
    done = {unquote(r.path.split("/")[2]): r.at for r in ledger.of("cdn")}
    return [(ledger.accepted_at[g], done[g]) for g in ledger.accepted if g in done]


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


async def test_a_mixed_batch_produces_every_file_and_a_table(aimlapi_sim, aimlapi_credentials, tmp_path):
    items = [
        veo3("A kite"),
        {"model": "video-01", "prompt": "A heron"},
        {"model": "google/lyria2", "prompt": "A calm piano loop"},
    ]
    state = await generate_videos(
        items=items, credentials=aimlapi_credentials, output_dir=str(tmp_path), return_state=True
    )
    summary = await state.aresult()
    assert [Path(r.path).suffix for r in summary.succeeded] == [".mp4", ".mp4", ".wav"]
    assert summary.failed == [] and summary.new_submissions == 3
    async with get_client() as prefect:
        (table,) = await prefect.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id]))
        )
    assert table.type == "table" and table.data.count('"done"') == 3


async def test_one_failure_does_not_stop_the_others(aimlapi_sim, aimlapi_credentials, tmp_path):
    aimlapi_sim.faults.add("submit", "fail", message="content policy")
    summary = await generate_videos(
        items=[veo3(f"scene {i}") for i in range(4)], credentials=aimlapi_credentials, output_dir=str(tmp_path)
    )
    assert len(summary.succeeded) == 3
    (failure,) = summary.failed
    assert "content policy" in failure.error and failure.submitted
    assert summary.new_submissions == 4


async def test_the_spend_guard_caps_new_submissions_and_resumes_for_free(aimlapi_sim, aimlapi_credentials, tmp_path):
    items = [veo3(f"clip {i}") for i in range(4)]
    first = await generate_videos(
        items=items, credentials=aimlapi_credentials, output_dir=str(tmp_path), max_new_submissions=2
    )
    assert len(first.succeeded) == 2 and len(first.not_submitted) == 2 and first.new_submissions == 2
    assert len(aimlapi_sim.ledger.accepted) == 2

    again = await generate_videos(
        items=items, credentials=aimlapi_credentials, output_dir=str(tmp_path), max_new_submissions=2
    )
    assert len(again.succeeded) == 4 and again.not_submitted == [] and again.new_submissions == 2
    assert len(aimlapi_sim.ledger.accepted) == 4  # the first two were resumed, not paid again


async def test_max_concurrency_bounds_generations_in_flight(aimlapi_sim, aimlapi_credentials, tmp_path):
    await generate_videos(
        items=[veo3(f"bounded {i}") for i in range(5)],
        credentials=aimlapi_credentials,
        output_dir=str(tmp_path),
        max_concurrency=2,
    )
    intervals = busy_intervals(aimlapi_sim.ledger)
    assert len(intervals) == 5 and most_at_once(intervals) == 2


async def test_a_global_concurrency_limit_bounds_across_runs(aimlapi_sim, aimlapi_credentials, tmp_path):
    async with get_client() as prefect:
        await prefect.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name="aimlapi-test-one", limit=1))
    await generate_videos(
        items=[veo3(f"global {i}") for i in range(3)],
        credentials=aimlapi_credentials,
        output_dir=str(tmp_path),
        concurrency_limit="aimlapi-test-one",
    )
    assert most_at_once(busy_intervals(aimlapi_sim.ledger)) == 1


async def test_a_missing_concurrency_limit_fails_before_paying(aimlapi_sim, aimlapi_credentials, tmp_path):
    with pytest.raises(Exception, match="aimlapi-no-such-limit"):
        await generate_videos(
            items=[veo3("x")],
            credentials=aimlapi_credentials,
            output_dir=str(tmp_path),
            concurrency_limit="aimlapi-no-such-limit",
        )
    assert aimlapi_sim.ledger.accepted == []


@pytest.mark.parametrize(("field", "value"), [("deadline_s", 0), ("deadline_s", -1), ("expected_s", -5)])
async def test_seconds_not_positive_fail_before_paying(aimlapi_sim, aimlapi_credentials, tmp_path, field, value):
    """A zero deadline would give up on a paid generation at once; a negative prior has no schedule."""
    from flows import generate_video

    options = dict(credentials=aimlapi_credentials, output_dir=str(tmp_path), **{field: value})
    with pytest.raises(Exception, match=f"{field}[\\s\\S]*greater than 0"):
        await generate_videos(items=[veo3("x")], **options)
    with pytest.raises(Exception, match=f"{field}[\\s\\S]*greater than 0"):
        await generate_video(prompt="x", **options)
    assert aimlapi_sim.ledger.accepted == []


async def test_credits_reported_by_the_api_are_summed(aimlapi_sim, tmp_path):
    credentials = AimlApiCredentials(api_key=SIM_API_KEY, base_url=aimlapi_sim.base_url, route_style="unified")
    summary = await generate_videos(items=[veo3("a"), veo3("b")], credentials=credentials, output_dir=str(tmp_path))
    assert summary.credits_used > 0
    assert summary.credits_used == sum(r.credits_used for r in summary.succeeded)


async def test_an_invalid_item_fails_the_batch_before_any_request(aimlapi_sim, aimlapi_credentials, tmp_path):
    with pytest.raises(Exception, match="duration"):
        await generate_videos(
            items=[veo3("ok"), {"model": "google/veo3", "prompt": "x", "duration": 5}],
            credentials=aimlapi_credentials,
            output_dir=str(tmp_path),
        )
    assert aimlapi_sim.ledger.requests == []


async def test_storyboard_writes_the_clips_in_scene_order(aimlapi_sim, aimlapi_credentials, tmp_path):
    scenes = ["Dawn over the harbour", "A ferry leaves", "Gulls follow it out to sea"]
    manifest_path = await storyboard(
        scenes=scenes, credentials=aimlapi_credentials, output_dir=str(tmp_path), duration=4
    )
    manifest = json.loads(Path(manifest_path).read_text())
    assert [clip["prompt"] for clip in manifest["clips"]] == scenes
    assert [clip["scene"] for clip in manifest["clips"]] == [1, 2, 3]
    for clip in manifest["clips"]:
        assert Path(clip["path"]).read_bytes() == SAMPLE_VIDEO
    assert len(aimlapi_sim.ledger.accepted) == 3


async def test_duplicate_items_in_one_batch_pay_once_and_all_get_the_file(aimlapi_sim, aimlapi_credentials, tmp_path):
    items = [veo3("The same kite")] * 5 + [veo3(f"distinct {i}") for i in range(5)]
    state = await generate_videos(
        items=items, credentials=aimlapi_credentials, output_dir=str(tmp_path), return_state=True
    )
    summary = await state.aresult()
    assert len(aimlapi_sim.ledger.accepted) == 6 and summary.new_submissions == 6
    assert len(summary.succeeded) == 10 and summary.failed == []
    assert len({result.path for result in summary.succeeded[:5]}) == 1
    assert len({result.path for result in summary.succeeded}) == 6
    assert all(Path(result.path).read_bytes() == SAMPLE_VIDEO for result in summary.succeeded)
    async with get_client() as prefect:
        (table,) = await prefect.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id]))
        )
    assert table.data.count("same request as #0") == 4


async def test_every_file_of_a_batch_is_recorded_as_an_asset_once_in_groups(
    aimlapi_sim, aimlapi_credentials, tmp_path, monkeypatch
):
    monkeypatch.setattr(batch, "_ASSETS_PER_RECORD", 2)
    items = [veo3(f"asset {i}") for i in range(7)] + [veo3("asset 0")]  # the last shares the first's file
    state = await generate_videos(
        items=items, credentials=aimlapi_credentials, output_dir=str(tmp_path), return_state=True
    )
    summary = await state.aresult()
    files = {Path(result.path).resolve().as_uri() for result in summary.succeeded}
    assert len(files) == 7
    for key in files:
        materialized = await read_events("prefect.asset.materialization.succeeded", key, expected=1)
        assert len(materialized) == 1, f"{key} recorded {len(materialized)} times"
    async with get_client() as prefect:
        recorders = await prefect.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id])),
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="record-assets")),
        )
    assert len(recorders) >= 2, "the files were recorded all at once at the end, not in groups as they came"


async def test_duplicate_submissions_racing_in_one_event_loop_pay_once(aimlapi_sim, aimlapi_credentials):
    """What the batch's dedupe no longer needs, still guaranteed by the lock: cached
    submits of one request gathered on one loop serialise (Prefect issues 17785, 18600)."""
    from prefect import flow

    from aimlapi_client import build_request
    from tasks import submit_video

    aimlapi_sim.faults.add("submit", "delay", seconds=1)  # the first holds the lock a while

    @flow
    async def five_at_once():
        request = build_request("google/veo3", prompt="five clicks on Run", seed=5)
        async with aimlapi_credentials.get_client() as client:
            return await asyncio.gather(*(submit_video(request, client) for _ in range(5)))

    generations = await five_at_once()
    assert len(aimlapi_sim.ledger.accepted) == 1
    assert {generation.id for generation in generations} == set(aimlapi_sim.ledger.accepted)


async def test_an_item_whose_create_got_no_answer_is_counted_as_maybe_billed(
    aimlapi_sim, aimlapi_credentials, tmp_path
):
    aimlapi_sim.faults.add("submit", "drop", after_accept=True)
    summary = await generate_videos(
        items=[veo3("lost answer")], credentials=aimlapi_credentials, output_dir=str(tmp_path), max_new_submissions=5
    )
    (failure,) = summary.failed
    assert summary.maybe_billed == [0] and failure.maybe_billed and not failure.submitted
    assert "SubmissionUnknownError" in failure.error and summary.new_submissions == 0


async def test_a_failure_outside_the_generation_settles_its_item_and_spares_the_rest(
    aimlapi_sim, aimlapi_credentials, tmp_path, monkeypatch
):
    import flows.batch

    async with get_client() as prefect:
        await prefect.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name="aimlapi-test-pace", limit=10, slot_decay_per_second=10)
        )
    real_rate_limit, calls = flows.batch.rate_limit, []

    async def flaky_rate_limit(name, **options):
        calls.append(name)
        if len(calls) == 2:
            raise RuntimeError("Prefect API blip while taking a slot")
        await real_rate_limit(name, **options)

    monkeypatch.setattr(flows.batch, "rate_limit", flaky_rate_limit)
    aimlapi_sim.generation_s = 1
    summary = await generate_videos(
        items=[veo3(f"paced {i}") for i in range(4)], credentials=aimlapi_credentials, output_dir=str(tmp_path),
        submit_rate_limit="aimlapi-test-pace", max_new_submissions=3, expected_s=1,
    )  # fmt: skip
    (failure,) = summary.failed
    assert "Prefect API blip" in failure.error and not failure.submitted and not failure.maybe_billed
    # The failed item's reservation came back, so the cap of 3 still bought 3 generations,
    # all downloaded after the failure through the same, still open client.
    assert len(summary.succeeded) == 3 and summary.new_submissions == 3 and summary.not_submitted == []
    assert len(aimlapi_sim.ledger.accepted) == 3


async def test_batches_and_single_runs_share_one_submission_cache(aimlapi_sim, aimlapi_credentials, tmp_path):
    """A batch submits without a task run per item, on the same cache as `submit_video`."""
    from flows import generate_video

    common = dict(credentials=aimlapi_credentials, output_dir=str(tmp_path), expected_s=0.5)
    batch = await generate_videos(items=[{"model": "google/veo3", "prompt": "Batch first", "seed": 3}], **common)
    single = await generate_video(prompt="Batch first", seed=3, **common)
    assert single.generation_id == batch.succeeded[0].generation_id

    alone = await generate_video(prompt="Single first", **common)
    again = await generate_videos(items=[{"model": "google/veo3", "prompt": "Single first"}], **common)
    assert again.succeeded[0].generation_id == alone.generation_id and again.new_submissions == 0
    assert len(aimlapi_sim.ledger.accepted) == 2
