"""`generate_videos` and the storyboard: fan-out, bounds, the spend guard, composition."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from aimlapi_sim import SAMPLE_VIDEO
from aimlapi_sim.pytest_plugin import SIM_API_KEY
from blocks import AimlApiCredentials
from flows import generate_videos, storyboard

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
    state = await generate_videos(items=items, credentials=aimlapi_credentials, output_dir=str(tmp_path), return_state=True)
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
    first = await generate_videos(items=items, credentials=aimlapi_credentials, output_dir=str(tmp_path), max_new_submissions=2)
    assert len(first.succeeded) == 2 and len(first.not_submitted) == 2 and first.new_submissions == 2
    assert len(aimlapi_sim.ledger.accepted) == 2

    again = await generate_videos(items=items, credentials=aimlapi_credentials, output_dir=str(tmp_path), max_new_submissions=2)
    assert len(again.succeeded) == 4 and again.not_submitted == [] and again.new_submissions == 2
    assert len(aimlapi_sim.ledger.accepted) == 4  # the first two were resumed, not paid again


async def test_max_concurrency_bounds_generations_in_flight(aimlapi_sim, aimlapi_credentials, tmp_path):
    await generate_videos(
        items=[veo3(f"bounded {i}") for i in range(5)], credentials=aimlapi_credentials, output_dir=str(tmp_path), max_concurrency=2
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
            items=[veo3("x")], credentials=aimlapi_credentials, output_dir=str(tmp_path), concurrency_limit="aimlapi-no-such-limit"
        )
    assert aimlapi_sim.ledger.accepted == []


async def test_credits_reported_by_the_api_are_summed(aimlapi_sim, tmp_path):
    credentials = AimlApiCredentials(api_key=SIM_API_KEY, base_url=aimlapi_sim.base_url, route_style="unified")
    summary = await generate_videos(items=[veo3("a"), veo3("b")], credentials=credentials, output_dir=str(tmp_path))
    assert summary.credits_used > 0
    assert summary.credits_used == sum(r.credits_used for r in summary.succeeded)


async def test_an_invalid_item_fails_the_batch_before_any_request(aimlapi_sim, aimlapi_credentials, tmp_path):
    with pytest.raises(Exception, match="duration"):
        await generate_videos(items=[veo3("ok"), {"model": "google/veo3", "prompt": "x", "duration": 5}], credentials=aimlapi_credentials, output_dir=str(tmp_path))
    assert aimlapi_sim.ledger.requests == []


async def test_storyboard_writes_the_clips_in_scene_order(aimlapi_sim, aimlapi_credentials, tmp_path):
    scenes = ["Dawn over the harbour", "A ferry leaves", "Gulls follow it out to sea"]
    manifest_path = await storyboard(scenes=scenes, credentials=aimlapi_credentials, output_dir=str(tmp_path), duration=4)
    manifest = json.loads(Path(manifest_path).read_text())
    assert [clip["prompt"] for clip in manifest["clips"]] == scenes
    assert [clip["scene"] for clip in manifest["clips"]] == [1, 2, 3]
    for clip in manifest["clips"]:
        assert Path(clip["path"]).read_bytes() == SAMPLE_VIDEO
    assert len(aimlapi_sim.ledger.accepted) == 3
