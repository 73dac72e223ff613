"""Generation times learned across runs, kept in a Prefect Variable.

The catalogue's expected times are guesses; what runs observe is better. Each run
reads `aimlapi-expected-seconds` when it starts and, if it saw generations
complete, adds them once when its last wait ends (re-reading first, so concurrent
runs lose little). Neither step may hold up or fail a run: a Prefect API that does not
answer in a few seconds costs the run its learned prior, nothing else.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
from typing import Any

import httpx
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import VariableCreate, VariableUpdate
from prefect.client.schemas.objects import Variable

from aimlapi_client import ObservedTimes

__all__ = ["VARIABLE", "load_priors", "save_priors"]

VARIABLE = "aimlapi-expected-seconds"
_PER_MODEL = 10  # recent observations kept per model
_MAX_CHARS = 4500  # Prefect refuses variable values over 5000 characters
_TIMEOUT_S = 5.0

Log = logging.Logger | logging.LoggerAdapter[logging.Logger]


async def load_priors(logger: Log) -> ObservedTimes:
    """The generation times earlier runs observed (none if they cannot be read)."""
    try:
        async with asyncio.timeout(_TIMEOUT_S), get_client() as client:
            kept = await client.read_variable_by_name(VARIABLE)
    except Exception as exc:
        logger.warning("Could not read %s (%s); using the catalogue's expected times", VARIABLE, exc)
        return ObservedTimes()
    return ObservedTimes(_parsed(kept))


async def save_priors(priors: ObservedTimes, logger: Log) -> None:
    """Add this run's observations to the kept ones; a no-op if it made none.

    Two calls (read, then write), not `Variable.aset`'s three: at the end of a big
    batch the server is still ingesting its events and answers each call late. If
    the read fails, nothing is written (the kept times are never replaced by this
    run's alone).
    """
    fresh = priors.fresh()
    if not fresh:
        return
    try:
        async with asyncio.timeout(_TIMEOUT_S):
            await _again_soon_while_busy(fresh)
    except Exception as exc:
        logger.warning("Could not keep the observed generation times in %s (%s)", VARIABLE, exc or type(exc).__name__)


class _Busy(Exception):
    """The Prefect server answered 503: try again."""


async def _raise_busy(response: httpx.Response) -> None:
    if response.status_code == 503:
        raise _Busy


async def _again_soon_while_busy(fresh: dict[str, list[float]]) -> None:
    """Read, merge and write until the server takes it, trying again within a fraction of a second.

    On a SQLite server, an update reads and then writes in one transaction; a write
    committed in between (the server storing the run's events, say) fails it at once
    with a 503, which Prefect's client would retry only after 2 s (measured: one run
    in four). A 503 here ends the call instead, and the merge starts over from a re-read.
    """
    delay = 0.05
    async with get_client(httpx_settings={"event_hooks": {"response": [_raise_busy]}}) as client:
        while True:
            try:
                kept = await client.read_variable_by_name(VARIABLE)
                merged = _parsed(kept)
                for model, times in fresh.items():
                    merged[model] = (merged.pop(model, []) + times)[-_PER_MODEL:]  # most recent models last
                while merged and len(json.dumps(merged)) > _MAX_CHARS:
                    merged.pop(next(iter(merged)))  # forget the model observed longest ago
                if kept is None:
                    await client.create_variable(VariableCreate(name=VARIABLE, value=merged))
                else:
                    await client.update_variable(VariableUpdate(name=VARIABLE, value=merged))
                return
            except _Busy:
                await asyncio.sleep(delay * random.uniform(0.5, 1.5))  # jittered: the other writer may be a twin run
                delay = min(2 * delay, 0.8)


def _parsed(kept: Variable | None) -> dict[str, list[float]]:
    value: Any = kept.value if kept is not None else None
    if not isinstance(value, dict):
        return {}
    return {
        str(model): [float(t) for t in times if _is_seconds(t)]
        for model, times in value.items()
        if isinstance(times, list)
    }


def _is_seconds(value: object) -> bool:
    """Whether a kept entry is a time at all: the variable can be edited by hand in the UI."""
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < math.inf
