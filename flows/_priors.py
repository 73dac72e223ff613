"""Generation times learned across runs, kept in a Prefect Variable.

The catalogue's expected times are guesses; what runs observe is better. Each run
reads `aimlapi-expected-seconds` when it starts and, if it saw generations
complete, adds them once when it ends (re-reading first, so concurrent runs lose
little). Neither step may hold up or fail a run: a Prefect API that does not
answer in a few seconds costs the run its learned prior, nothing else.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from prefect.variables import Variable

from aimlapi_client import ObservedTimes

__all__ = ["VARIABLE", "load_priors", "save_priors"]

VARIABLE = "aimlapi-expected-seconds"
_PER_MODEL = 10  # recent observations kept per model
_MAX_CHARS = 4500  # Prefect refuses variable values over 5000 characters
_TIMEOUT_S = 5.0

Log = logging.Logger | logging.LoggerAdapter[logging.Logger]


async def load_priors(logger: Log) -> ObservedTimes:
    """The generation times earlier runs observed (none if they cannot be read)."""
    return ObservedTimes(await _read(logger))


async def save_priors(priors: ObservedTimes, logger: Log) -> None:
    """Add this run's observations to the kept ones; a no-op if it made none."""
    fresh = priors.fresh()
    if not fresh:
        return
    merged = await _read(logger)
    for model, times in fresh.items():
        merged[model] = (merged.pop(model, []) + times)[-_PER_MODEL:]  # most recent models last
    while merged and len(json.dumps(merged)) > _MAX_CHARS:
        merged.pop(next(iter(merged)))  # forget the model observed longest ago
    try:
        async with asyncio.timeout(_TIMEOUT_S):
            await Variable.aset(VARIABLE, merged, overwrite=True)
    except Exception as exc:
        logger.warning("Could not keep the observed generation times in %s (%s)", VARIABLE, exc)


async def _read(logger: Log) -> dict[str, list[float]]:
    try:
        async with asyncio.timeout(_TIMEOUT_S):
            value: Any = await Variable.aget(VARIABLE, default=None)
    except Exception as exc:
        logger.warning("Could not read %s (%s); using the catalogue's expected times", VARIABLE, exc)
        return {}
    if not isinstance(value, dict):
        return {}
    return {
        str(model): [float(t) for t in times if isinstance(t, int | float) and t > 0]
        for model, times in value.items()
        if isinstance(times, list)
    }
