"""No paid generation is lost: collect by id, abandoned runs, the sweeper, failures after paying."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.events.worker import EventsWorker

from aimlapi_client import DeadlineExceededError
from aimlapi_sim import SAMPLE_VIDEO
from aimlapi_sim.pytest_plugin import SIM_API_KEY
from blocks import AimlApiCredentials
from flows import collect_generation, collect_outstanding, generate_video

from ._helpers import read_events

pytestmark = pytest.mark.usefixtures("prefect_server")


async def until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def test_a_deadline_names_the_call_that_collects_the_generation_without_paying_again(
    aimlapi_sim, aimlapi_credentials, tmp_path
):
    aimlapi_sim.generation_s = 5
    with pytest.raises(DeadlineExceededError) as caught:
        await generate_video(prompt="Too slow for its deadline", credentials=aimlapi_credentials,
                             output_dir=str(tmp_path), deadline_s=2)  # fmt: skip
    (generation_id,) = aimlapi_sim.ledger.accepted
    call = f"collect_generation(generation_id={generation_id!r}, model='google/veo3')"
    assert call in str(caught.value)

    result = await collect_generation(generation_id=generation_id, model="google/veo3", output_dir=str(tmp_path),
                                      credentials=aimlapi_credentials, expected_s=1)  # fmt: skip
    assert result.generation_id == generation_id and Path(result.path).is_absolute()
    assert Path(result.path).read_bytes() == SAMPLE_VIDEO
    assert aimlapi_sim.ledger.accepted == [generation_id]  # nothing new was paid
    (completed,) = await read_events("aimlapi.video.completed", f"aimlapi.generation.{generation_id}", expected=1)
    assert completed.payload["path"] == result.path


async def test_collect_generation_refuses_an_unknown_model_before_any_request(
    aimlapi_sim, aimlapi_credentials, tmp_path
):
    with pytest.raises(Exception, match="not in the catalogue. Did you mean: google/veo3"):
        await collect_generation(
            generation_id="x", model="google/veo9", credentials=aimlapi_credentials, output_dir=str(tmp_path)
        )
    assert aimlapi_sim.ledger.requests == []


async def test_a_cancelled_run_reports_its_paid_generation_as_abandoned(aimlapi_sim, aimlapi_credentials, tmp_path):
    aimlapi_sim.generation_s = 30
    run = asyncio.create_task(
        generate_video(prompt="Cancelled while it renders", credentials=aimlapi_credentials, output_dir=str(tmp_path))
    )
    await until(lambda: aimlapi_sim.ledger.accepted, 30, "the submission")
    await asyncio.sleep(0.5)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    (generation_id,) = aimlapi_sim.ledger.accepted
    (abandoned,) = await read_events("aimlapi.video.abandoned", f"aimlapi.generation.{generation_id}", expected=1)
    assert abandoned.payload["model"] == "google/veo3"
    assert abandoned.payload["base_url"] == aimlapi_sim.base_url
    assert abandoned.payload["account"] == aimlapi_credentials.account_fingerprint
    assert SIM_API_KEY not in abandoned.model_dump_json()


async def test_a_failure_after_paying_that_is_not_the_apis_emits_failed(aimlapi_sim, aimlapi_credentials, tmp_path):
    aimlapi_sim.generation_s = 2
    output_dir = tmp_path / "out"
    run = asyncio.create_task(
        generate_video(prompt="The disk goes away", credentials=aimlapi_credentials, output_dir=str(output_dir))
    )
    await until(lambda: aimlapi_sim.ledger.accepted, 30, "the submission")
    shutil.rmtree(output_dir)
    output_dir.write_text("not a directory any more")  # the download cannot be written
    with pytest.raises(OSError):
        await run
    (generation_id,) = aimlapi_sim.ledger.accepted
    (failed,) = await read_events("aimlapi.video.failed", f"aimlapi.generation.{generation_id}", expected=1)
    assert failed.payload["final"] is False  # the generation is fine: it can still be collected
    assert "Error" in failed.payload["error"]


async def test_the_sweeper_collects_what_runs_left_and_only_for_its_own_account(aimlapi_sim, tmp_path):
    other_key = "sim-other-account-key"
    aimlapi_sim.other_api_keys = (other_key,)
    mine = AimlApiCredentials(api_key=SIM_API_KEY, base_url=aimlapi_sim.base_url)
    theirs = AimlApiCredentials(api_key=other_key, base_url=aimlapi_sim.base_url)
    aimlapi_sim.generation_s = 4
    left = {}
    for name, credentials in (("mine", mine), ("theirs", theirs)):
        with pytest.raises(DeadlineExceededError) as caught:
            await generate_video(prompt=f"Left behind by {name}", credentials=credentials,
                                 output_dir=str(tmp_path / name), deadline_s=1)  # fmt: skip
        left[name] = caught.value.generation_id
    await asyncio.sleep(4)  # both finish on the API meanwhile
    await EventsWorker.drain_all()
    await read_events("aimlapi.video.failed", f"aimlapi.generation.{left['theirs']}", expected=1)

    state = await collect_outstanding(credentials=mine, older_than_minutes=0, lookback_hours=1, return_state=True)
    rows = {row.generation_id: row for row in await state.aresult()}
    assert rows[left["mine"]].outcome == "collected"
    assert Path(rows[left["mine"]].detail).read_bytes() == SAMPLE_VIDEO
    assert Path(rows[left["mine"]].detail).parent == tmp_path / "mine"  # where its run wanted it
    assert rows[left["mine"]].before.startswith("failed (DeadlineExceededError")
    assert rows[left["theirs"]].outcome == "skipped" and "another API key" in rows[left["theirs"]].detail
    assert len(aimlapi_sim.ledger.accepted) == 2  # collecting never submits

    async with get_client() as prefect:
        tables = await prefect.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["aimlapi-outstanding"]))
        )
    assert any(left["mine"] in str(table.data) for table in tables)

    await read_events("aimlapi.video.completed", f"aimlapi.generation.{left['mine']}", expected=1)
    again = await collect_outstanding(credentials=mine, older_than_minutes=0, lookback_hours=1)
    assert left["mine"] not in {row.generation_id for row in again}  # completed now: nothing to do


async def test_the_sweeper_collects_an_abandoned_generation(aimlapi_sim, aimlapi_credentials, tmp_path):
    aimlapi_sim.generation_s = 20  # still rendering when the run is cancelled, even on a busy machine
    run = asyncio.create_task(
        generate_video(prompt="Abandoned, then swept", credentials=aimlapi_credentials, output_dir=str(tmp_path))
    )
    await until(lambda: aimlapi_sim.ledger.accepted, 30, "the submission")
    (generation_id,) = aimlapi_sim.ledger.accepted
    # Cancel once the run has reported the submission (on a busy machine the create can be
    # answered well before the submit task returns), as a user cancels a run that is waiting.
    assert await read_events("aimlapi.video.submitted", f"aimlapi.generation.{generation_id}", expected=1)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert await read_events("aimlapi.video.abandoned", f"aimlapi.generation.{generation_id}", expected=1)
    # It completes on the API meanwhile.
    await asyncio.sleep(max(0.0, aimlapi_sim.ledger.accepted_at[generation_id] + 20.5 - time.monotonic()))

    rows = await collect_outstanding(credentials=aimlapi_credentials, older_than_minutes=0, lookback_hours=1)
    (row,) = [row for row in rows if row.generation_id == generation_id]
    assert row.before.startswith("abandoned") and row.outcome == "collected"
    assert Path(row.detail).read_bytes() == SAMPLE_VIDEO
    assert aimlapi_sim.ledger.accepted == [generation_id]


async def test_a_failing_prefect_api_for_reports_never_fails_a_paid_generation(
    aimlapi_sim, aimlapi_credentials, tmp_path, monkeypatch, caplog
):
    import httpx

    import flows._generation
    import tasks.video

    async def unreachable(*args, **kwargs):
        raise httpx.ConnectError("All connection attempts failed")  # what a Prefect API outage raises

    monkeypatch.setattr(tasks.video, "aupdate_progress_artifact", unreachable)
    monkeypatch.setattr(flows._generation, "acreate_markdown_artifact", unreachable)
    aimlapi_sim.generation_s = 1
    result = await generate_video(prompt="Reports fail, the video does not", credentials=aimlapi_credentials,
                                  output_dir=str(tmp_path), expected_s=1)  # fmt: skip
    assert Path(result.path).read_bytes() == SAMPLE_VIDEO
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert any("Progress report" in message and "All connection attempts failed" in message for message in warnings)
    assert any("Writing the result artifact failed" in message for message in warnings)
