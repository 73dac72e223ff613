"""A canary API key must not surface anywhere a user, a log shipper or the CDN can see."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterId,
    LogFilter,
    LogFilterFlowRunId,
)

from aimlapi_client import AuthError
from aimlapi_sim import Emulator
from blocks import AimlApiCredentials
from flows import generate_video

pytestmark = pytest.mark.usefixtures("prefect_server")

CANARY = "sk-CANARY-7f3e9b21d4c8a6"
DEBUG_LOGGERS = ["httpx", "httpcore", "aiohttp", "aimlapi_client", "prefect"]


@pytest.fixture
def canary_sim():
    with Emulator(api_key=CANARY, generation_s=0.3) as emulator:
        yield emulator


async def run_and_collect(credentials, tmp_path, caplog, **options):
    """Run the flow with every logger at DEBUG; return (state, everything it exposed)."""
    caplog.set_level(logging.DEBUG)
    for name in DEBUG_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    state = await generate_video(
        prompt="A canary in a coal mine",
        credentials=credentials,
        output_dir=str(tmp_path),
        return_state=True,
        **options,
    )
    flow_run_id = state.state_details.flow_run_id
    async with get_client() as prefect:
        flow_run = await prefect.read_flow_run(flow_run_id)
        logs = await prefect.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
        artifacts = await prefect.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
        task_runs = await prefect.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    exposed = {
        "captured logs": caplog.text,
        "logs on the server": "\n".join(log.message for log in logs),
        "flow run": flow_run.model_dump_json(),
        "task runs": "\n".join(run.model_dump_json() for run in task_runs),
        "artifacts": "\n".join(artifact.model_dump_json() for artifact in artifacts),
        "state": repr(state) + str(state.message),
    }
    return state, logs, exposed


def files_containing(root: Path, secret: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and secret in p.read_bytes()]


async def test_the_key_stays_out_of_logs_parameters_artifacts_and_results(canary_sim, tmp_path, caplog):
    credentials = AimlApiCredentials(api_key=CANARY, base_url=canary_sim.base_url)
    state, logs, exposed = await run_and_collect(credentials, tmp_path, caplog)
    assert state.is_completed()
    result = await state.aresult()
    exposed["result"] = result.model_dump_json()
    assert len(logs) > 3 and "Submitted google/veo3" in exposed["logs on the server"]
    for where, text in exposed.items():
        assert CANARY not in text, f"the API key leaked into {where}"
    assert files_containing(Path(os.environ["PREFECT_HOME"]), CANARY.encode()) == []
    assert files_containing(tmp_path, CANARY.encode()) == []
    cdn_requests = canary_sim.ledger.of("cdn")
    assert cdn_requests and not any(CANARY in str(r.headers) for r in cdn_requests)


async def test_a_failing_run_does_not_leak_the_key_either(canary_sim, tmp_path, caplog):
    canary_sim.api_key = "another-key"  # the canary is now rejected with 401
    credentials = AimlApiCredentials(api_key=CANARY, base_url=canary_sim.base_url)
    state, _, exposed = await run_and_collect(credentials, tmp_path, caplog)
    assert state.is_failed()
    with pytest.raises(AuthError) as caught:
        await state.aresult()
    exposed["exception"] = str(caught.value) + repr(caught.value)
    for where, text in exposed.items():
        assert CANARY not in text, f"the API key leaked into {where}"
