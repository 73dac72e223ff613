"""The `watch-suspended` flow: one process waits for the generations of every run that
`release_worker=True` suspended, and resumes each run when its generation is done.

It finds those runs by their state (Suspended, pause key `aimlapi-<generation id>`),
so nothing is lost while no watcher runs: the next one finds them all again. What
each run waits for (model, route, API, account) comes from its `submitted` event;
the API key from the run's own `credentials` parameter.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterEndTime,
    FlowRunFilterState,
    FlowRunFilterStateName,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, State, StateDetails, StateType
from prefect.client.schemas.responses import SetStateStatus
from prefect.states import Suspended
from pydantic import BaseModel, ConfigDict, Field

from aimlapi_client import DEFAULT_DEADLINE_S, DeadlineExceededError, GenerationFailedError, ObservedTimes, VideoClient
from blocks import resolve_credentials
from tasks import report_table

from ._events import GenerationInfo, emit_generation_event, read_generation_events
from ._priors import Log, load_priors, save_priors
from ._release import WATCHER_FLOW, generation_of_pause, released_before

__all__ = ["WatchedRun", "watch_suspended"]

_PAGE = 200
_RESTORE_WITHIN = timedelta(hours=1)  # how far back to look for suspended runs marked Crashed


class WatchedRun(BaseModel):
    """A suspended run the watcher settled, and how."""

    model_config = ConfigDict(frozen=True)

    flow_run_id: str
    flow_run_name: str
    generation_id: str
    model: str | None
    outcome: str = Field(
        description="`completed` or `failed` (the generation; the run was resumed), `handed back` (resumed to "
        "wait in its own process: the watcher could not), or `expired` (its suspension timed out)."
    )
    detail: str
    resumed: bool


@flow(name=WATCHER_FLOW, flow_run_name="watch-suspended")
async def watch_suspended(
    idle_exit_s: float = 20.0, refresh_s: float = 5.0, missing_event_grace_s: float = 60.0
) -> list[WatchedRun]:
    """Wait for the generation of every run `release_worker=True` suspended; resume each when done.

    All the waits share one process, one client per account and the poll schedule
    of an in-process wait, and teach the learned priors. A completed generation emits
    `aimlapi.<media>.rendered` with the suspended run as a related resource; the run
    is then resumed to download it (its own `completed` event says the file is there).
    A failed generation resumes its run into the failure. A run the watcher cannot
    wait for (an unknown account, no `submitted` event) is resumed to wait itself. A
    suspended run the crash automation marked Crashed gets its suspension back.

    Args:
        idle_exit_s: End after this long with no suspended run (the schedule, or the
            next suspending run, starts another watcher).
        refresh_s: Seconds between looks for newly suspended runs.
        missing_event_grace_s: How long a suspended run's `submitted` event may take
            to appear before the run is resumed to wait itself.
    """
    logger = get_run_logger()
    priors = await load_priors(logger)
    async with AsyncExitStack() as clients:
        watcher = _Watcher(priors, clients, logger, timedelta(seconds=missing_event_grace_s))
        try:
            idle_since = time.monotonic()
            while True:
                try:
                    await watcher.restore_crashed()
                    suspended = await _suspended_runs()
                except Exception as exc:  # the Prefect API hiccuped: the waits go on
                    logger.warning("Could not list the suspended runs (%s); trying again", exc)
                else:
                    if await watcher.update(suspended):
                        idle_since = time.monotonic()
                    elif time.monotonic() - idle_since >= idle_exit_s:
                        break
                await asyncio.sleep(refresh_s)
        finally:
            watcher.stop()
            await save_priors(priors, logger)
    settled = list(watcher.settled.values())
    await report_table(
        "aimlapi-watcher", [_row(run) for run in settled], empty={"flow run": "none suspended"},
        description=f"{len(settled)} suspended run(s) settled", logger=logger,
    )  # fmt: skip
    logger.info("Settled %d suspended run(s); none is left, exiting", len(settled))
    return settled


class _Watcher:
    """The waits in flight, one per suspended run, and the runs they settled."""

    def __init__(self, priors: ObservedTimes, clients: AsyncExitStack, logger: Log, grace: timedelta) -> None:
        self.priors, self.logger, self.grace = priors, logger, grace
        self.waits: dict[UUID, asyncio.Task[WatchedRun]] = {}
        self.settled: dict[UUID, WatchedRun] = {}
        self._clients: dict[tuple[str, str], VideoClient] = {}
        self._exit_stack = clients
        self._opening = asyncio.Lock()
        self._checked_crashes: set[UUID] = set()

    async def update(self, suspended: list[FlowRun]) -> bool:
        """Settle the finished waits, drop those whose run someone else moved on, start new ones.

        Returns:
            Whether any suspended run is still to settle.
        """
        now_suspended = {run.id for run in suspended}
        for run_id, wait in list(self.waits.items()):
            if wait.done():
                del self.waits[run_id]
                watched = wait.result()
                if watched.resumed or watched.outcome == "expired":
                    self.settled[run_id] = watched  # else: resuming failed, the next look tries again
            elif run_id not in now_suspended:  # resumed, cancelled or deleted meanwhile
                self.waits.pop(run_id).cancel()
        new = [run for run in suspended if run.id not in self.waits and run.id not in self.settled]
        if not new:
            return bool(self.waits)
        infos = await _submitted(new)
        now = datetime.now(UTC)
        for run in new:
            info = infos.get(generation_of_pause(_pause_key(run)) or "")
            if info is not None:
                self.waits[run.id] = asyncio.create_task(self._wait(run, info))
            elif now - _suspended_at(run) > self.grace:
                self.waits[run.id] = asyncio.create_task(self._hand_back(run, "its submitted event was not found"))
        return True

    async def restore_crashed(self) -> None:
        """Put back to Suspended every released run marked Crashed while it was suspended.

        A suspended run has no process, so it cannot crash; but a heartbeat its process
        sent as it suspended can reach the crash automation after the Suspended state,
        which then marks it Crashed 90 s later (suspended, or resumed and waiting for a
        worker). Such a run gets its suspension back, with its pause key and deadline,
        and is waited for (and resumed) like the others.
        """
        recently = FlowRunFilterEndTime.model_validate({"after_": datetime.now(UTC) - _RESTORE_WITHIN})
        crashed_filter = FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.CRASHED])), end_time=recently
        )
        async with get_client() as client:
            for run in await client.read_flow_runs(flow_run_filter=crashed_filter, limit=_PAGE):
                if run.id in self._checked_crashes or not released_before(run.empirical_policy.pause_keys):
                    continue
                self._checked_crashes.add(run.id)
                suspension = _suspension_before_last(await client.read_flow_run_states(run.id))
                if suspension is None:
                    continue  # it crashed while a process ran it: a real crash, retried by hand
                restored: State[Any] = Suspended(
                    pause_expiration_time=suspension.pause_timeout,
                    pause_key=suspension.pause_key,
                    message="Restored by watch-suspended: it was marked Crashed while suspended",
                )
                await client.set_flow_run_state(run.id, restored, force=True)
                self.logger.warning(
                    "Flow run %s was marked Crashed while suspended (%s); restored to Suspended",
                    run.name, run.state.message if run.state else "",
                )  # fmt: skip

    def stop(self) -> None:
        for wait in self.waits.values():
            wait.cancel()

    async def _wait(self, run: FlowRun, info: GenerationInfo) -> WatchedRun:
        now = datetime.now(UTC)
        expires = run.state.state_details.pause_timeout if run.state else None
        remaining = (expires - now).total_seconds() if expires else DEFAULT_DEADLINE_S
        try:
            client = await self._client(run, info)
            generation = await client.wait(
                info.generation_id, model=info.model, deadline_s=max(remaining, 1.0),
                elapsed_s=max((now - _suspended_at(run)).total_seconds(), 0.0), priors=self.priors, log=self.logger,
            )  # fmt: skip
        except GenerationFailedError as exc:
            return await self._settle(run, info, "failed", str(exc))
        except DeadlineExceededError:
            return _watched(run, info, "expired", "suspended past deadline_s; collect_outstanding collects it", False)
        except Exception as exc:
            return await self._hand_back(run, f"{type(exc).__name__}: {exc}", info)
        related = [{"prefect.resource.id": f"prefect.flow-run.{run.id}", "prefect.resource.role": "suspended-flow-run",
                    "prefect.resource.name": run.name}]  # fmt: skip
        emit_generation_event("rendered", info, related=related, url=generation.video.url if generation.video else None)
        return await self._settle(run, info, "completed", "resumed to download it")

    async def _hand_back(self, run: FlowRun, reason: str, info: GenerationInfo | None = None) -> WatchedRun:
        self.logger.warning("Cannot wait for the generation of %s (%s): resuming it to wait itself", run.name, reason)
        return await self._settle(run, info, "handed back", reason)

    async def _settle(self, run: FlowRun, info: GenerationInfo | None, outcome: str, detail: str) -> WatchedRun:
        resumed = await _resume(run.id, self.logger)
        if resumed:
            self.logger.info("Resumed %s: generation %s %s", run.name, _generation_id(run, info), outcome)
        return _watched(run, info, outcome, detail, resumed)

    async def _client(self, run: FlowRun, info: GenerationInfo) -> VideoClient:
        """A client with the run's own credentials, one per account and route style."""
        parameter: Any = run.parameters.get("credentials")
        key = (repr(parameter), info.route_style)
        async with self._opening:
            if key not in self._clients:
                credentials = await resolve_credentials(parameter)
                if credentials.route_style != info.route_style:
                    credentials = credentials.model_copy(update={"route_style": info.route_style})
                client = await self._exit_stack.enter_async_context(credentials.get_client())
                self._clients[key] = client
        client = self._clients[key]
        if (client.base_url, client.account_fingerprint) != (info.base_url, info.account):
            raise ValueError("its credentials here are not the account and API that paid for it")
        return client


async def _suspended_runs() -> list[FlowRun]:
    """Every run suspended by `release_worker`, oldest first."""
    found: list[FlowRun] = []
    state = FlowRunFilterState(name=FlowRunFilterStateName(any_=["Suspended"]))
    async with get_client() as client:
        while True:
            page = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(state=state), limit=_PAGE, offset=len(found)
            )
            found.extend(page)
            if len(page) < _PAGE:
                break
    return sorted((run for run in found if generation_of_pause(_pause_key(run))), key=_suspended_at)


async def _submitted(runs: list[FlowRun]) -> dict[str, GenerationInfo]:
    """The `submitted` event's info of each run's generation, by generation id (where stored yet)."""
    ids = [generation_of_pause(_pause_key(run)) or "" for run in runs]
    since = min(run.start_time or run.created or datetime.now(UTC) for run in runs) - timedelta(minutes=5)
    infos: dict[str, GenerationInfo] = {}
    for event in await read_generation_events(since, generation_ids=ids):
        if event.event.endswith(".submitted"):
            try:
                info = GenerationInfo.model_validate(event.payload)
            except ValueError:
                continue
            infos.setdefault(info.generation_id, info)
    return infos


async def _resume(run_id: UUID, logger: Log) -> bool:
    try:
        async with get_client() as client:
            result = await client.resume_flow_run(run_id)
    except Exception as exc:
        logger.warning("Could not resume flow run %s (%s); the next look tries again", run_id, exc)
        return False
    if result.status != SetStateStatus.ACCEPT:
        logger.info("Flow run %s was not resumed: %s", run_id, result.details)
    return result.status == SetStateStatus.ACCEPT


def _suspension_before_last(history: list[State[Any]]) -> StateDetails | None:
    """The details of the `release_worker` suspension a run was in, if it had no process when
    its last state came: the state before was that suspension, or its resume not yet running."""
    states = sorted(history, key=lambda state: state.timestamp)
    if len(states) < 2 or states[-2].type not in (StateType.PAUSED, StateType.SCHEDULED, StateType.PENDING):
        return None
    suspensions = [state for state in states[:-1] if state.name == "Suspended"]
    if not suspensions or not generation_of_pause(suspensions[-1].state_details.pause_key):
        return None
    return suspensions[-1].state_details


def _pause_key(run: FlowRun) -> str | None:
    return run.state.state_details.pause_key if run.state else None


def _suspended_at(run: FlowRun) -> datetime:
    return run.state.timestamp if run.state else datetime.now(UTC)


def _generation_id(run: FlowRun, info: GenerationInfo | None) -> str:
    return info.generation_id if info else generation_of_pause(_pause_key(run)) or "?"


def _watched(run: FlowRun, info: GenerationInfo | None, outcome: str, detail: str, resumed: bool) -> WatchedRun:
    return WatchedRun(
        flow_run_id=str(run.id), flow_run_name=run.name, generation_id=_generation_id(run, info),
        model=info.model if info else None, outcome=outcome, detail=detail, resumed=resumed,
    )  # fmt: skip


def _row(run: WatchedRun) -> dict[str, object]:
    return {
        "flow run": run.flow_run_name,
        "generation": run.generation_id,
        "model": run.model or "",
        "outcome": run.outcome + ("" if run.resumed else " (not resumed)"),
        "detail": run.detail[:200],
    }
