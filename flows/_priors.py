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
from typing import Any

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
        async with asyncio.timeout(_TIMEOUT_S), get_client() as client:
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
    except Exception as exc:
        logger.warning("Could not keep the observed generation times in %s (%s)", VARIABLE, exc)


def _parsed(kept: Variable | None) -> dict[str, list[float]]:
    value: Any = kept.value if kept is not None else None
    if not isinstance(value, dict):
        return {}
    return {
        str(model): [float(t) for t in times if isinstance(t, int | float) and t > 0]
        for model, times in value.items()
        if isinstance(times, list)
    }
