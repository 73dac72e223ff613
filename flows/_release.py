"""Release mode: a deployment run that suspends while its generation renders.

The run submits (cached), then suspends with the pause key `aimlapi-<generation id>`:
its process ends and its worker slot is free. The `watch-suspended` flow polls every
such generation in one process and resumes each run when its generation is done;
the resumed run starts again from the top, finds its submission in the cache, passes
the same suspend (Prefect returns at once for a key it has seen) and downloads.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
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

__all__ = [
    "PAUSE_PREFIX",
    "WATCHER_FLOW",
    "ReleasePlan",
    "check_release_possible",
    "generation_of_pause",
    "release_worker",
    "released_before",
]

WATCHER_FLOW = "watch-suspended"
PAUSE_PREFIX = "aimlapi-"
_STARTING_SOON = timedelta(seconds=30)  # a scheduled watcher run this close counts as running


def generation_of_pause(pause_key: str | None) -> str | None:
    """The generation id a run suspended by `release_worker` waits for, from its pause key."""
    if pause_key and pause_key.startswith(PAUSE_PREFIX):
        return pause_key.removeprefix(PAUSE_PREFIX) or None
    return None


def released_before(pause_keys: Iterable[str] | None) -> bool:
    """Whether `release_worker` suspended a run with these pause keys before."""
    return any(generation_of_pause(key) for key in pause_keys or ())


@dataclass(frozen=True)
class ReleasePlan:
    """What a released run read from the Prefect API before paying, reused when it suspends.

    Attributes:
        pause_keys: The run's pause keys so far: the generations it was released for.
        first_start: When the run first started (about when it submitted).
        watcher: The `watch-suspended` deployment that resumes it.
    """

    pause_keys: frozenset[str]
    first_start: datetime | None
    watcher: DeploymentResponse

    @property
    def resumed(self) -> bool:
        """Whether this run was released before: it must resume its submission, never `refresh` it."""
        return released_before(self.pause_keys)


async def check_release_possible() -> ReleasePlan:
    """Fail before paying if this run could not be suspended and resumed.

    Returns:
        What `release_worker` needs, read once: the run's pause keys and first start,
        and the watcher deployment.

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
        watcher = await _watcher_deployment(client)
        run = await client.read_flow_run(UUID(flow_run.id))
    return ReleasePlan(frozenset(run.empirical_policy.pause_keys or ()), run.start_time, watcher)


async def release_worker(plan: ReleasePlan, generation: Generation, *, deadline_s: float) -> float | None:
    """Suspend this run until `watch-suspended` resumes it, starting a watcher if none runs.

    The first time, this ends the run's process (it raises Prefect's `Pause`): the run
    is Suspended for at most `deadline_s`. When the run is resumed and executes again,
    this returns at once (its pause key is among the run's).

    Args:
        plan: What `check_release_possible` read before the submission.
        generation: The submitted generation.
        deadline_s: The longest the run stays suspended.

    Returns:
        Seconds since the run first started (about when it submitted), for the wait
        that follows the resume; None if the generation is already finished.
    """
    if generation.state != "pending":
        return None
    key = f"{PAUSE_PREFIX}{generation.id}"
    if key not in plan.pause_keys:
        async with get_client() as client:
            await _ensure_watcher(client, plan.watcher)
        get_run_logger().info(
            "Generation %s is rendering: suspending this run to free its worker; "
            "the watch-suspended flow resumes it when the generation is done",
            generation.id,
        )
        await asuspend_flow_run(timeout=max(1, math.ceil(deadline_s)), key=key)  # raises Pause: the process ends
    # Resumed: this run executes again, past the suspend it made before.
    first_start = plan.first_start or datetime.now(UTC)
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


async def _ensure_watcher(client: PrefectClient, watcher: DeploymentResponse) -> None:
    """Start a run of the watcher deployment unless one is running or about to."""
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
