"""Finish paid generations by id: `collect_generation` for one, `collect_outstanding` for all.

Neither ever submits. `collect_generation` is what every error after a paid
submission points to (a deadline passed, a crash, a lost cache); the sweeper
finds what no run finished from the events the generation flows emit.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from prefect import flow, get_run_logger
from pydantic import BaseModel, ConfigDict, Field

from aimlapi_client import DEFAULT_DEADLINE_S, RequestValidationError, RouteStyle, get_model
from blocks import AimlApiCredentials, resolve_credentials
from tasks import report_table

from ._events import GenerationInfo, Outstanding, outstanding_generations, read_generation_events
from ._generation import GenerationResult, check_writable, finish_generation, media_of
from ._parameters import AnyModel, Seconds
from ._priors import load_priors

__all__ = ["CollectedGeneration", "collect_generation", "collect_outstanding"]


@flow(name="collect-generation", flow_run_name="collect/{generation_id}")
async def collect_generation(
    generation_id: str,
    model: AnyModel,
    output_dir: str = "videos",
    credentials: AimlApiCredentials | str | None = None,
    deadline_s: Seconds = DEFAULT_DEADLINE_S,
    expected_s: Seconds | None = None,
    prompt: str | None = None,
    route_style: RouteStyle | None = None,
) -> GenerationResult:
    """Wait for a generation that was already paid for and download it; never submits.

    Emits the same events and writes the same artifacts as `generate_video`. A
    verified file already in `output_dir` is reused.

    Args:
        generation_id: The id from an error message, an event or the vendor's dashboard.
        model: The model it was made with (it selects the route to poll).
        output_dir: Directory for the downloaded file.
        credentials: A block, a saved block's name, or None for `AIMLAPI_API_KEY`;
            it must be the account that paid for the generation.
        deadline_s: Wall-clock seconds to wait for it.
        expected_s: Typical seconds for it, to schedule polls from.
        prompt: The prompt it was made from, for the result and the artifact.
        route_style: The route style it was submitted on, if not the block's.
    """
    get_model(model)  # an unknown model fails here, before any call
    if not generation_id.strip():
        raise RequestValidationError("generation_id must not be empty")
    check_writable(output_dir)
    resolved = await resolve_credentials(credentials)
    if route_style is not None and route_style != resolved.route_style:
        resolved = resolved.model_copy(update={"route_style": route_style})
    async with resolved.get_client() as client:
        info = GenerationInfo.of(
            generation_id, media=media_of(model), model=model, prompt=prompt, client=client, output_dir=output_dir
        )
        priors = await load_priors(get_run_logger())  # read only: when it was submitted is unknown
        return await finish_generation(
            info, client, deadline_s=deadline_s, expected_s=expected_s, started=time.monotonic(), priors=priors
        )


class CollectedGeneration(BaseModel):
    """One outstanding generation found by `collect_outstanding`, and what became of it."""

    model_config = ConfigDict(frozen=True)

    generation_id: str
    model: str
    prompt: str | None
    age_s: float = Field(description="Seconds since it was submitted.")
    before: str = Field(description="The last event before this sweep, e.g. `abandoned`.")
    outcome: str = Field(description="`collected`, `failed` or `skipped`.")
    detail: str = Field(description="The file, the error, or why it was skipped.")


@flow(name="collect-outstanding", flow_run_name="collect-outstanding")
async def collect_outstanding(
    credentials: AimlApiCredentials | str | None = None,
    output_dir: str | None = None,
    lookback_hours: float = 72.0,
    older_than_minutes: float = 30.0,
    max_concurrency: int = 4,
    deadline_s: Seconds = DEFAULT_DEADLINE_S,
) -> list[CollectedGeneration]:
    """Find every generation that was paid for and never finished, and collect each.

    Reads the `aimlapi.*` events of the last `lookback_hours` from Prefect's events
    API: a generation with a `submitted` event and no `completed` (nor a `failed`
    that says the generation itself failed) is outstanding. Each one of this
    account and API is collected by a `collect_generation` subflow; the table
    artifact `aimlapi-outstanding` lists them all with what happened.

    Args:
        credentials: The account to collect for; generations paid by other keys
            or sent to another API are listed as skipped.
        output_dir: Where the files go; None puts each where its run wanted it.
        lookback_hours: How far back to look (Prefect keeps events for 7 days by default).
        older_than_minutes: Leave generations whose last news is `submitted` and
            younger than this: their run is probably still waiting for them.
        max_concurrency: Collections at once.
        deadline_s: Wall-clock seconds to wait for each.
    """
    logger = get_run_logger()
    now = datetime.now(UTC)
    events = await read_generation_events(now - timedelta(hours=lookback_hours))
    outstanding = outstanding_generations(events)
    resolved = await resolve_credentials(credentials)
    origin, account = resolved.base_url, resolved.account_fingerprint
    bound = asyncio.Semaphore(max(1, max_concurrency))

    async def settle(item: Outstanding) -> CollectedGeneration:
        info = item.info
        reason = _skip_reason(item, origin, account, now, timedelta(minutes=older_than_minutes))
        if reason is None:
            async with bound:
                state = await collect_generation(
                    info.generation_id, info.model, output_dir=output_dir or info.output_dir, credentials=resolved,
                    deadline_s=deadline_s, prompt=info.prompt, route_style=info.route_style, return_state=True,
                )  # fmt: skip
            try:
                result: GenerationResult = await state.aresult()
                outcome, detail = "collected", result.path
            except Exception as exc:
                outcome, detail = "failed", f"{type(exc).__name__}: {exc}"
        else:
            outcome, detail = "skipped", reason
        return CollectedGeneration(
            generation_id=info.generation_id,
            model=info.model,
            prompt=info.prompt,
            age_s=round(item.age(now).total_seconds(), 1),
            before=item.last_event + (f" ({item.last_error})" if item.last_error else ""),
            outcome=outcome,
            detail=detail,
        )

    rows = list(await asyncio.gather(*(settle(item) for item in outstanding)))
    collected = sum(row.outcome == "collected" for row in rows)
    await report_table(
        "aimlapi-outstanding", [_row(row) for row in rows], empty={"generation": "none outstanding"},
        description=f"{len(rows)} outstanding in the last {lookback_hours:g} h; {collected} collected", logger=logger,
    )  # fmt: skip
    logger.info("%d outstanding generation(s), %d collected", len(rows), collected)
    return rows


def _skip_reason(item: Outstanding, origin: str, account: str, now: datetime, young: timedelta) -> str | None:
    if item.info.base_url != origin:
        return f"submitted to another API ({item.info.base_url})"
    if item.info.account != account:
        return "paid by another API key"
    if item.last_event == "submitted" and item.age(now) < young:
        return "recently submitted: its run is probably still waiting for it"
    return None


def _row(row: CollectedGeneration) -> dict[str, object]:
    return {
        "generation": row.generation_id,
        "model": row.model,
        "prompt": (row.prompt or "")[:60],
        "age": f"{row.age_s / 60:.0f} min",
        "before": row.before[:120],
        "outcome": row.outcome,
        "file or reason": row.detail[:200],
    }
