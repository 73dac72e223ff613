"""Never pay twice, never lose a video: crashes, races and lost answers, over real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL, PREFECT_LOCAL_STORAGE_PATH, temporary_settings

from aimlapi_client import RequestValidationError, SubmissionUnknownError, build_request
from aimlapi_sim.pytest_plugin import SIM_API_KEY
from flows import generate_video, generate_videos
from tasks._cache import submission_key

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]

SCRIPT = Path(__file__).with_name("flow_process.py")
ROOT = Path(__file__).parents[2]


def start_flow(emulator, **parameters) -> subprocess.Popen:
    env = {
        **os.environ,
        "AIMLAPI_API_KEY": SIM_API_KEY,
        "AIMLAPI_BASE_URL": emulator.base_url,
        "PREFECT_API_URL": PREFECT_API_URL.value(),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), json.dumps(parameters)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def finish(process: subprocess.Popen, timeout: float = 120) -> dict:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


async def test_a_flow_killed_while_polling_resumes_the_same_generation(aimlapi_sim, tmp_path, monkeypatch):
    aimlapi_sim.generation_s = 15
    parameters = {"prompt": "A kite over dunes", "seed": 3, "output_dir": str(tmp_path)}
    process = start_flow(aimlapi_sim, **parameters)
    try:
        wait_until(lambda: aimlapi_sim.ledger.accepted, 90, "the submission")
        generation_id = aimlapi_sim.ledger.accepted[0]
        wait_until(lambda: aimlapi_sim.ledger.polls(generation_id) >= 1, 30, "the first poll")
    finally:
        process.kill()  # SIGKILL: no cleanup, no final state
        process.communicate()
    assert list(tmp_path.iterdir()) == []

    aimlapi_sim.generation_s = 0.3
    monkeypatch.setenv("AIMLAPI_API_KEY", SIM_API_KEY)
    monkeypatch.setenv("AIMLAPI_BASE_URL", aimlapi_sim.base_url)
    result = await generate_video(**parameters)  # the same request to the same API

    assert result.generation_id == generation_id
    assert aimlapi_sim.ledger.accepted == [generation_id]
    assert Path(result.path).is_file()


async def test_the_crash_hook_finds_a_killed_runs_generation_through_events(aimlapi_sim, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.states import Crashed

    from flows._events import report_abandoned

    from ._helpers import read_events

    aimlapi_sim.generation_s = 30
    process = start_flow(aimlapi_sim, prompt="Killed mid-render", output_dir=str(tmp_path))
    try:
        wait_until(lambda: aimlapi_sim.ledger.accepted, 90, "the submission")
        generation_id = aimlapi_sim.ledger.accepted[0]
        wait_until(lambda: aimlapi_sim.ledger.polls(generation_id) >= 1, 30, "the first poll")
    finally:
        process.kill()
        process.communicate()
    (submitted,) = await read_events("aimlapi.video.submitted", f"aimlapi.generation.{generation_id}", expected=1)
    (run_id,) = [
        r.id.removeprefix("prefect.flow-run.") for r in submitted.related if r.id.startswith("prefect.flow-run.")
    ]
    async with get_client() as prefect:
        flow_run = await prefect.read_flow_run(run_id)

    # What the worker does for a run whose process died: run on_crashed hooks, in its own process.
    await report_abandoned(generate_video, flow_run, Crashed(message="process killed"))
    (abandoned,) = await read_events("aimlapi.video.abandoned", f"aimlapi.generation.{generation_id}", expected=1)
    assert abandoned.payload["model"] == "google/veo3" and abandoned.payload["prompt"] == "Killed mid-render"
    assert generate_video.on_crashed_hooks == [report_abandoned] == generate_video.on_cancellation_hooks


async def test_two_runs_racing_on_one_request_pay_once(aimlapi_sim, tmp_path):
    aimlapi_sim.faults.add("submit", "delay", seconds=3, times=2)  # widen the race window
    parameters = {"prompt": "A double click on Run", "output_dir": str(tmp_path)}
    first, second = start_flow(aimlapi_sim, **parameters), start_flow(aimlapi_sim, **parameters)
    results = [finish(first), finish(second)]
    assert len(aimlapi_sim.ledger.of("api", "POST")) == 1
    assert results[0]["generation_id"] == results[1]["generation_id"] == aimlapi_sim.ledger.accepted[0]


async def test_an_answer_lost_after_acceptance_is_not_retried_by_the_task(aimlapi_sim, aimlapi_credentials, tmp_path):
    aimlapi_sim.faults.add("submit", "drop", after_accept=True)
    with pytest.raises(SubmissionUnknownError, match="may exist"):
        await generate_video(prompt="A lost answer", credentials=aimlapi_credentials, output_dir=str(tmp_path))
    assert len(aimlapi_sim.ledger.of("api", "POST")) == 1
    assert len(aimlapi_sim.ledger.accepted) == 1


async def test_a_submit_the_server_certainly_refused_is_retried_by_the_task(aimlapi_sim, aimlapi_credentials):
    from prefect import flow

    from aimlapi_client import build_request
    from tasks import submit_video

    aimlapi_sim.faults.add("submit", "status", status=429, retry_after=0.01, times=3)  # the client's 3 tries

    @flow
    async def submit_once():
        request = build_request("google/veo3", prompt="retry me", seed=99)
        async with aimlapi_credentials.get_client() as client:
            return await submit_video.with_options(retry_delay_seconds=0)(request, client)

    generation = await submit_once()
    assert len(aimlapi_sim.ledger.of("api", "POST")) == 4  # 3 refused, then the task's retry
    assert aimlapi_sim.ledger.accepted == [generation.id]


@pytest.mark.parametrize("flow", ["generate_video", "generate_videos"])
async def test_an_unwritable_submission_cache_fails_before_paying(aimlapi_sim, aimlapi_credentials, tmp_path, flow):
    # Prefect would log the failed cache write and go on: this run would get its video,
    # and every re-run would pay for it again.
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with temporary_settings({PREFECT_LOCAL_STORAGE_PATH: blocker / "storage"}):
        with pytest.raises(RequestValidationError, match=r"submission cache .*a-file/storage.* cannot be written"):
            if flow == "generate_video":
                await generate_video(
                    prompt="No record, no run", model="video-01", credentials=aimlapi_credentials,
                    output_dir=str(tmp_path / "out"),
                )  # fmt: skip
            else:
                await generate_videos(
                    items=[{"model": "video-01", "prompt": "No record, no run"}], credentials=aimlapi_credentials,
                    output_dir=str(tmp_path / "out"),
                )  # fmt: skip
    assert aimlapi_sim.ledger.accepted == []  # nothing paid


async def test_a_cache_record_lost_mid_batch_is_reported_with_its_generation(
    aimlapi_sim, aimlapi_credentials, tmp_path, caplog
):
    # The storage passes the check, then refuses one record: a directory stands where it goes.
    items = [{"model": "video-01", "prompt": "record refused"}, {"model": "video-01", "prompt": "record kept"}]
    async with aimlapi_credentials.get_client() as client:
        refused_key = submission_key(build_request(**items[0]), client)
    storage = tmp_path / "storage"
    (storage / refused_key).mkdir(parents=True)
    aimlapi_sim.generation_s = 1
    with temporary_settings({PREFECT_LOCAL_STORAGE_PATH: storage}):
        first = await generate_videos(items=items, credentials=aimlapi_credentials, output_dir=str(tmp_path / "out"))
        assert len(first.succeeded) == 2  # this run goes on and gets both files
        refused = next(r.generation_id for r in first.succeeded if r.prompt == "record refused")
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and refused in r.getMessage()]
        assert len(warnings) == 1 and "would pay again" in warnings[0] and "collect_generation(" in warnings[0]
        await generate_videos(items=items, credentials=aimlapi_credentials, output_dir=str(tmp_path / "out"))
    assert len(aimlapi_sim.ledger.accepted) == 3  # what the warning said: only the refused one was paid again
