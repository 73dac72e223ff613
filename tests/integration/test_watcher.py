"""The watcher of release mode against a real Prefect server: runs suspended the way
`release_worker` suspends them (pause key `aimlapi-<id>`, a `submitted` event), and
`watch_suspended` deciding, per run, to resume it, hand it back, or let it expire.

The release itself (a deployment run suspending and a worker running it again) is
tested end to end in tests/e2e/test_release_worker.py."""

from __future__ import annotations

import uuid

import pytest
from prefect.client.orchestration import get_client
from prefect.flow_runs import asuspend_flow_run
from prefect.states import Crashed, Running
from pydantic import SecretStr

from aimlapi_client import RequestValidationError, build_request
from aimlapi_sim.pytest_plugin import SIM_API_KEY
from blocks import AimlApiCredentials
from flows import generate_video, watch_suspended
from flows._events import GenerationInfo, emit_generation_event

from ._helpers import read_events

pytestmark = pytest.mark.usefixtures("prefect_server")

OTHER_KEY = "sim-other-key-0123456789"


@pytest.fixture
def aimlapi_sim(aimlapi_sim):
    aimlapi_sim.other_api_keys = (OTHER_KEY,)
    return aimlapi_sim


@pytest.fixture
async def accounts(aimlapi_sim):
    """Two saved credentials blocks, one per account, named as a deployment's runs name them."""
    names = {}
    for account, key in (("main", SIM_API_KEY), ("other", OTHER_KEY)):
        name = f"watcher-{account}-{uuid.uuid4().hex[:8]}"
        block = AimlApiCredentials(api_key=SecretStr(key), base_url=aimlapi_sim.base_url, timeout_s=5)
        await block.save(name)
        names[account] = name
    return names


async def paid(credentials: AimlApiCredentials, prompt: str) -> GenerationInfo:
    """A generation submitted with `credentials`, and its info as its `submitted` event carries it."""
    async with credentials.get_client() as client:
        generation = await client.submit(build_request("google/veo3", prompt=prompt))
        return GenerationInfo.of(
            generation.id, media="video", model="google/veo3", prompt=prompt, client=client, output_dir="videos"
        )


async def suspended(info: GenerationInfo | None, credentials: str, timeout: int = 600, generation_id: str = "") -> str:
    """A deployment run of generate-video, suspended as `release_worker` suspends it."""
    async with get_client() as client:
        flow_id = await client.create_flow_from_name("generate-video")
        deployment_id = await client.create_deployment(flow_id, name=f"released-{uuid.uuid4().hex[:8]}")
        run = await client.create_flow_run_from_deployment(deployment_id, parameters={"credentials": credentials})
        await client.set_flow_run_state(run.id, Running(), force=True)
    await asuspend_flow_run(flow_run_id=run.id, key=f"aimlapi-{info.generation_id if info else generation_id}",
                            timeout=timeout)  # fmt: skip
    if info is not None:
        emit_generation_event("submitted", info)
        await read_events("aimlapi.video.submitted", f"aimlapi.generation.{info.generation_id}", 1)  # stored
    return str(run.id)


async def state_of(run_id: str) -> str:
    """The run's state type: SCHEDULED once resumed (named "Resuming"), for a worker to run it again."""
    async with get_client() as client:
        return (await client.read_flow_run(uuid.UUID(run_id))).state.type.value


async def watch() -> dict[str, object]:
    watched = await watch_suspended(idle_exit_s=0.5, refresh_s=0.3, missing_event_grace_s=1.0)
    return {run.flow_run_id: run for run in watched}


async def test_each_run_is_resumed_when_its_generation_is_done_polled_with_its_own_account(aimlapi_sim, accounts):
    aimlapi_sim.generation_s = 2
    main = await AimlApiCredentials.aload(accounts["main"])
    other = await AimlApiCredentials.aload(accounts["other"])
    infos = [await paid(main, "A heron at dawn"), await paid(other, "A crane at dusk")]
    runs = [await suspended(infos[0], accounts["main"]), await suspended(infos[1], accounts["other"])]

    watched = await watch()

    for run_id, info in zip(runs, infos, strict=True):
        assert watched[run_id].outcome == "completed" and watched[run_id].resumed
        assert watched[run_id].generation_id == info.generation_id
        assert await state_of(run_id) == "SCHEDULED"  # resumed: a worker runs it again to download
        (rendered,) = await read_events("aimlapi.video.rendered", f"aimlapi.generation.{info.generation_id}", 1)
        related = {resource.id: resource.role for resource in rendered.related}
        assert related[f"prefect.flow-run.{run_id}"] == "suspended-flow-run"
        assert rendered.payload["url"].endswith(".mp4")
    assert len(aimlapi_sim.ledger.accepted) == 2  # the watcher only polls
    assert all(SIM_API_KEY not in run.model_dump_json() for run in watched.values())


async def test_a_failed_generation_resumes_its_run_into_the_failure(aimlapi_sim, accounts):
    aimlapi_sim.faults.add("submit", "fail", message="content policy")
    main = await AimlApiCredentials.aload(accounts["main"])
    run_id = await suspended(await paid(main, "Something refused"), accounts["main"])

    watched = (await watch())[run_id]

    assert watched.outcome == "failed" and "content policy" in watched.detail and watched.resumed
    assert await state_of(run_id) == "SCHEDULED"


async def test_runs_it_cannot_wait_for_are_handed_back_to_wait_themselves(aimlapi_sim, accounts):
    aimlapi_sim.generation_s = 60
    main = await AimlApiCredentials.aload(accounts["main"])
    wrong_account = await suspended(await paid(main, "Paid by main"), accounts["other"])
    no_event = await suspended(None, accounts["main"], generation_id="never-announced")

    watched = await watch()

    assert watched[wrong_account].outcome == "handed back" and "not the account" in watched[wrong_account].detail
    assert watched[no_event].outcome == "handed back" and "submitted event" in watched[no_event].detail
    assert await state_of(wrong_account) == await state_of(no_event) == "SCHEDULED"


async def test_a_suspension_that_times_out_is_left_to_expire_for_the_sweeper(aimlapi_sim, accounts):
    aimlapi_sim.generation_s = 60
    main = await AimlApiCredentials.aload(accounts["main"])
    run_id = await suspended(await paid(main, "Slower than its deadline"), accounts["main"], timeout=3)

    watched = (await watch())[run_id]

    assert watched.outcome == "expired" and not watched.resumed and "collect_outstanding" in watched.detail
    assert await state_of(run_id) in ("PAUSED", "FAILED")  # Prefect's pause-expiration service fails it


async def test_a_run_marked_crashed_while_suspended_gets_its_suspension_back_and_is_resumed(aimlapi_sim, accounts):
    aimlapi_sim.generation_s = 2
    main = await AimlApiCredentials.aload(accounts["main"])
    run_id = await suspended(await paid(main, "Crashed by a late heartbeat"), accounts["main"])
    async with get_client() as client:  # what the crash automation does to it
        await client.set_flow_run_state(uuid.UUID(run_id), Crashed(message="No heartbeat for 90 s"), force=True)

    watched = (await watch())[run_id]

    assert watched.outcome == "completed" and watched.resumed
    async with get_client() as client:
        names = [state.name for state in await client.read_flow_run_states(uuid.UUID(run_id))]
    assert names[-4:] == ["Suspended", "Crashed", "Suspended", "Resuming"]


async def test_a_resumed_run_marked_crashed_while_it_waits_for_a_worker_is_resumed_again(aimlapi_sim, accounts):
    main = await AimlApiCredentials.aload(accounts["main"])
    run_id = await suspended(await paid(main, "Crashed while queued for a worker"), accounts["main"])
    async with get_client() as client:
        await client.resume_flow_run(uuid.UUID(run_id))  # Resuming: no worker has taken it yet
        await client.set_flow_run_state(uuid.UUID(run_id), Crashed(message="No heartbeat for 90 s"), force=True)

    watched = (await watch())[run_id]

    assert watched.outcome == "completed" and watched.resumed
    assert await state_of(run_id) == "SCHEDULED"


async def test_a_run_that_crashed_while_its_process_ran_is_left_alone(aimlapi_sim, accounts):
    main = await AimlApiCredentials.aload(accounts["main"])
    run_id = await suspended(await paid(main, "Crashed for real after its resume"), accounts["main"])
    async with get_client() as client:
        await client.resume_flow_run(uuid.UUID(run_id))
        await client.set_flow_run_state(uuid.UUID(run_id), Running(), force=True)
        await client.set_flow_run_state(uuid.UUID(run_id), Crashed(message="No heartbeat for 90 s"), force=True)

    assert run_id not in await watch()
    assert await state_of(run_id) == "CRASHED"  # retried by hand, as any crashed run


async def test_release_worker_outside_a_deployment_is_refused_before_paying(aimlapi_sim, aimlapi_credentials, tmp_path):
    with pytest.raises(RequestValidationError, match="release_worker=True .* has no deployment"):
        await generate_video(prompt="From Python", credentials=aimlapi_credentials, output_dir=str(tmp_path),
                             release_worker=True)  # fmt: skip
    assert aimlapi_sim.ledger.requests == []
