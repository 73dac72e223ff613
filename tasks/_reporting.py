"""Side effects that must never fail paid work: artifacts, events, asset records."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["best_effort"]

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
