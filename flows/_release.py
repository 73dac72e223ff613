"""Release mode: a deployment run that suspends while its generation renders.

The run submits (cached), then suspends with the pause key `aimlapi-<generation id>`:
its process ends and its worker slot is free. The `watch-suspended` flow polls every
such generation in one process and resumes each run when its generation is done;
the resumed run starts again from the top, finds its submission in the cache, passes
the same suspend (Prefect returns at once for a key it has seen) and downloads.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from uuid import UUID

from prefect import get_run_logger
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.responses import DeploymentResponse
from prefect.flow_runs import asuspend_flow_run
from prefect.runtime import deployment, flow_run

from aimlapi_client import Generation, RequestValidationError

__all__ = ["PAUSE_PREFIX", "WATCHER_FLOW", "check_release_possible", "generation_of_pause", "release_worker"]

WATCHER_FLOW = "watch-suspended"
PAUSE_PREFIX = "aimlapi-"
_STARTING_SOON = timedelta(seconds=30)  # a scheduled watcher run this close counts as running


def generation_of_pause(pause_key: str | None) -> str | None:
    """The generation id a run suspended by `release_worker` waits for, from its pause key."""
    if pause_key and pause_key.startswith(PAUSE_PREFIX):
        return pause_key.removeprefix(PAUSE_PREFIX) or None
    return None


async def check_release_possible() -> bool:
    """Fail before paying if this run could not be suspended and resumed.

    Returns:
        Whether this run was released before: it is resuming, and must resume its
        submission (never `refresh` it: that would pay again).

    Raises:
        RequestValidationError: The run is not a deployment's (nothing could start it
            again), or no `watch-suspended` deployment exists to resume it.
    """
    if not deployment.id:
        raise RequestValidationError(
            "release_worker=True frees the worker of a deployment run while the video renders, and this "
            "run has no deployment (run from Python or as a subflow): run it from a deployment (e.g. "
            "`prefect deployment run generate-video/on-demand-released`), or leave release_worker off "
            "to wait in this process"
        )
    async with get_client() as client:
        await _watcher_deployment(client)
        run = await client.read_flow_run(UUID(flow_run.id))
    return any(generation_of_pause(key) for key in run.empirical_policy.pause_keys or ())


async def release_worker(generation: Generation, *, deadline_s: float) -> float | None:
    """Suspend this run until `watch-suspended` resumes it, starting a watcher if none runs.

    The first time, this ends the run's process (it raises Prefect's `Pause`): the run
    is Suspended for at most `deadline_s`. When the run is resumed and executes again,
    this returns at once (its pause key is among the run's).

    Returns:
        Seconds since the run first started (about when it submitted), for the wait
        that follows the resume; None if the generation is already finished.
    """
    if generation.state != "pending":
        return None
    key = f"{PAUSE_PREFIX}{generation.id}"
    run_id = UUID(flow_run.id)
    async with get_client() as client:
        run = await client.read_flow_run(run_id)
        if key not in (run.empirical_policy.pause_keys or set()):
            await _ensure_watcher(client)
            get_run_logger().info(
                "Generation %s is rendering: suspending this run to free its worker; "
                "the watch-suspended flow resumes it when the generation is done",
                generation.id,
            )
            await asuspend_flow_run(timeout=max(1, math.ceil(deadline_s)), key=key)  # raises Pause: the process ends
    # Resumed: this run executes again, past the suspend it made before.
    first_start = run.start_time or datetime.now(UTC)
    return max(0.0, (datetime.now(UTC) - first_start).total_seconds())


async def _watcher_deployment(client: PrefectClient) -> DeploymentResponse:
    found = await client.read_deployments(flow_filter=FlowFilter(name=FlowFilterName(any_=[WATCHER_FLOW])), limit=1)
    if not found:
        raise RequestValidationError(
            f"release_worker=True needs a deployment of the {WATCHER_FLOW} flow to resume the run, and "
            "there is none: run `make deploy` (prefect.yaml deploys it as watch-suspended/watcher) or "
            "deploy flows/watcher.py:watch_suspended"
        )
    return found[0]


async def _ensure_watcher(client: PrefectClient) -> None:
    """Start a run of the watcher deployment unless one is running or about to."""
    watcher = await _watcher_deployment(client)
    active = await client.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[watcher.id])),
        flow_run_filter=FlowRunFilter(
            state=FlowRunFilterState(
                type=FlowRunFilterStateType(any_=[StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING])
            )
        ),
        limit=20,
    )
    soon = datetime.now(UTC) + _STARTING_SOON
    if any(run.state_type != StateType.SCHEDULED or (run.expected_start_time or soon) <= soon for run in active):
        return
    # Two runs starting one at once is harmless: the deployment's concurrency limit cancels the second.
    await client.create_flow_run_from_deployment(watcher.id)
