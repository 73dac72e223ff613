"""The events each generation leaves in Prefect, and what they tell about unfinished ones.

Every paid generation emits `aimlapi.<media>.submitted` with all a later run needs to
collect it (model, route style, API origin, an account fingerprint; never the key),
then `completed`, `failed` or, when its run is cancelled or crashes, `abandoned`
(and `rendered` in between when the release-mode watcher saw it done). A generation
is outstanding while it has a `submitted` event and neither a `completed` nor a
`failed` one that says the generation itself failed (`final`).
These events are the durable record `collect_outstanding` sweeps.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.events import emit_event
from prefect.events.filters import (
    EventFilter,
    EventNameFilter,
    EventOccurredFilter,
    EventRelatedFilter,
    EventResourceFilter,
)
from prefect.events.schemas.events import ReceivedEvent
from prefect.logging.loggers import flow_run_logger
from prefect.runtime import flow_run as current_flow_run
from pydantic import BaseModel, ConfigDict

from aimlapi_client import RouteStyle, SubmissionUnknownError, VideoClient, collect_call

from ._naming import slugify

__all__ = [
    "GenerationInfo",
    "Outstanding",
    "emit_generation_event",
    "emit_unsubmitted_failure",
    "outstanding_generations",
    "read_generation_events",
    "report_abandoned",
]

Media = Literal["video", "audio"]
RESOURCE_PREFIX = "aimlapi.generation."
_PAGE = 50  # the most the events API returns per page
_open: dict[str, dict[str, GenerationInfo]] = {}  # flow run id -> generation id -> info, in this process


class GenerationInfo(BaseModel):
    """What identifies a paid generation and how to collect it (no secret in here)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    generation_id: str
    media: Media
    model: str
    prompt: str | None = None
    base_url: str
    route_style: RouteStyle
    account: str
    """`VideoClient.account_fingerprint` of the key that paid for it."""
    output_dir: str
    """The absolute directory the submitting run wanted the file in."""

    @classmethod
    def of(
        cls, generation_id: str, *, media: Media, model: str, prompt: str | None, client: VideoClient, output_dir: str
    ) -> GenerationInfo:
        """The info of a generation submitted (or polled) through `client`."""
        return cls(
            generation_id=generation_id,
            media=media,
            model=model,
            prompt=prompt,
            base_url=client.base_url,
            route_style=client.route_style,
            account=client.account_fingerprint,
            output_dir=str(Path(output_dir).resolve()),
        )


def emit_generation_event(
    what: str, info: GenerationInfo, *, related: list[dict[str, str]] | None = None, **details: Any
) -> None:
    """Emit `aimlapi.<media>.<what>` for a generation, and track it for this flow run.

    Never raises (see `_emit`).

    Args:
        related: Related resources besides the current run's (Prefect adds those).
    """
    run_id = current_flow_run.id
    if run_id:
        if what == "submitted":
            _open.setdefault(run_id, {})[info.generation_id] = info
        elif what in ("completed", "failed"):  # the run is done with it (a `failed` one the sweeper finds)
            _open.get(run_id, {}).pop(info.generation_id, None)
    resource = {
        "prefect.resource.id": f"{RESOURCE_PREFIX}{info.generation_id}",
        "prefect.resource.name": slugify(info.prompt or info.model),
        "aimlapi.model": info.model,
    }
    _emit(f"aimlapi.{info.media}.{what}", resource, info.model_dump() | details, related)


def emit_unsubmitted_failure(media: Media, model: str, prompt: str | None, exc: BaseException) -> None:
    """Emit `aimlapi.<media>.failed` for a submission that returned no generation id.

    `maybe_billed` is true when the create may have been accepted all the same.
    """
    payload = {
        "generation_id": None,
        "model": model,
        "prompt": prompt,
        "error": f"{type(exc).__name__}: {exc}",
        "maybe_billed": isinstance(exc, SubmissionUnknownError),
    }
    resource = {
        "prefect.resource.id": f"{RESOURCE_PREFIX}unsubmitted",
        "prefect.resource.name": slugify(prompt or model),
    }
    _emit(f"aimlapi.{media}.failed", resource, payload)


def _emit(
    name: str, resource: dict[str, str], payload: dict[str, Any], related: list[dict[str, str]] | None = None
) -> None:
    try:
        emit_event(event=name, resource=resource, payload=payload, related=related)
    except Exception as exc:  # an event is a report: it must not fail paid work
        logging.getLogger(__name__).warning("Could not emit %s: %s", name, exc)


async def read_generation_events(
    since: datetime, *, flow_run_id: UUID | str | None = None, generation_ids: Iterable[str] | None = None
) -> list[ReceivedEvent]:
    """Every `aimlapi.*` generation event since `since`, oldest first.

    Args:
        flow_run_id: Only the events of this flow run.
        generation_ids: Only the events of these generations.
    """
    related = EventRelatedFilter(id=[f"prefect.flow-run.{flow_run_id}"]) if flow_run_id else None
    resources = [f"{RESOURCE_PREFIX}{generation_id}" for generation_id in generation_ids or ()]
    event_filter = EventFilter(
        event=EventNameFilter(prefix=["aimlapi."]),
        resource=EventResourceFilter(id=resources) if resources else EventResourceFilter(id_prefix=[RESOURCE_PREFIX]),
        occurred=EventOccurredFilter.model_validate(
            {"since": since, "until": datetime.now(UTC) + timedelta(minutes=1)}
        ),
        related=related,
    )
    async with get_client() as client:
        page = await client.read_events(event_filter, limit=_PAGE)
        events = list(page.events)
        while page.next_page:
            page = await client.read_events_page(str(page.next_page))
            events.extend(page.events)
    return sorted(events, key=lambda event: event.occurred)


class Outstanding(BaseModel):
    """A generation that was paid for and never ended as a file or a failed job."""

    model_config = ConfigDict(frozen=True)

    info: GenerationInfo
    submitted_at: datetime
    last_event: str
    """The last thing that happened to it, e.g. `submitted` or `abandoned`."""
    last_error: str | None = None

    def age(self, now: datetime | None = None) -> timedelta:
        """Time since it was submitted."""
        return (now or datetime.now(UTC)) - self.submitted_at


def outstanding_generations(events: Iterable[ReceivedEvent]) -> list[Outstanding]:
    """The generations among `events` (oldest first) that are submitted and not finished."""
    submitted: dict[str, tuple[GenerationInfo, datetime]] = {}
    last: dict[str, ReceivedEvent] = {}
    finished: set[str] = set()
    for event in events:
        payload = event.payload
        generation_id = payload.get("generation_id")
        if not generation_id:
            continue
        what = event.event.rsplit(".", 1)[-1]
        if what == "submitted" and generation_id not in submitted:
            try:
                submitted[generation_id] = (GenerationInfo.model_validate(payload), event.occurred)
            except ValueError:
                continue  # an event from before these payloads carried what collecting needs
        if what == "completed" or (what == "failed" and payload.get("final")):
            finished.add(generation_id)
        last[generation_id] = event
    return [
        Outstanding(
            info=info,
            submitted_at=submitted_at,
            last_event=last[generation_id].event.rsplit(".", 1)[-1],
            last_error=last[generation_id].payload.get("error"),
        )
        for generation_id, (info, submitted_at) in submitted.items()
        if generation_id not in finished
    ]


async def report_abandoned(flow: Any, flow_run: Any, state: Any) -> None:
    """An `on_cancellation` / `on_crashed` hook: say which paid generations this run left.

    The API cannot cancel a generation: it is still billed and may complete. For each
    one this run submitted and did not finish, emit `aimlapi.<media>.abandoned` and
    log how to collect it. Runs in the flow's process or, for a run whose process
    was killed, in the worker's: there it finds the run's generations through
    Prefect's events.
    """
    logger = flow_run_logger(flow_run, flow)
    run_id = str(flow_run.id)
    left = list(_open.pop(run_id, {}).values())
    if not left:
        try:
            since = (flow_run.start_time or flow_run.created or datetime.now(UTC)) - timedelta(minutes=5)
            left = [o.info for o in outstanding_generations(await read_generation_events(since, flow_run_id=run_id))]
        except Exception as exc:
            logger.warning("Could not read this run's generations from Prefect's events (%s)", exc)
    for info in left:
        emit_generation_event("abandoned", info, state=state.name)
        logger.warning(
            "Generation %s (%s) is paid for and was left when the run became %s. It may still complete: "
            "%s collects it, and so does the collect_outstanding sweep.",
            info.generation_id, info.model, state.name, collect_call(info.generation_id, info.model),
        )  # fmt: skip
