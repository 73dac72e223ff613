"""Side effects that must never fail paid work: artifacts, events, asset records."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

from prefect.artifacts import acreate_table_artifact

__all__ = ["best_effort", "report_table"]

T = TypeVar("T")


async def best_effort(
    work: Awaitable[T], what: str, logger: logging.Logger | logging.LoggerAdapter[logging.Logger]
) -> T | None:
    """Await `work`; if it fails, log a WARNING naming `what` and return None.

    For reports about a generation (artifacts, asset records) made while it is paid
    for: a Prefect API blip must cost the user a report, never the video.
    """
    try:
        return await work
    except Exception as exc:
        logger.warning("%s failed (%s: %s); the generation goes on", what.capitalize(), type(exc).__name__, exc)
        return None


async def report_table(
    key: str,
    rows: Sequence[dict[str, Any]],
    *,
    empty: dict[str, Any],
    description: str,
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger],
) -> None:
    """Write (best effort) the table artifact `key`: `rows`, or the one row `empty` if there are none."""
    await best_effort(
        acreate_table_artifact(key=key, table=list(rows) or [empty], description=description),
        f"writing the {key} table",
        logger,
    )
