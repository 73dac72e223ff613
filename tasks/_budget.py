"""A spend budget across runs: at most N new paid generations per rolling day.

`AIMLAPI_BUDGET` names a Prefect global concurrency limit with slot decay (`make
budget LIMIT=50` creates `aimlapi-daily-budget`: 50 slots, each freed a day after it
was taken). Every new paid submission takes one slot before it is sent; over budget,
the submission fails before paying and says when the next slot frees up. A resumed
(cached) generation costs nothing and takes no slot. Read when each submission runs.
"""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime, timedelta

from prefect import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError

from aimlapi_client import RequestValidationError

__all__ = ["BUDGET_ENV", "DEFAULT_BUDGET", "BudgetExceededError", "ensure_budget", "spend_from_budget"]

BUDGET_ENV = "AIMLAPI_BUDGET"
DEFAULT_BUDGET = "aimlapi-daily-budget"
_LOCKED = 423  # the server's answer when no slot is free


class BudgetExceededError(RequestValidationError):
    """The spend budget has no slot left: nothing was submitted."""


async def spend_from_budget() -> None:
    """Take one slot of the budget `AIMLAPI_BUDGET` names, if it names one.

    Raises:
        BudgetExceededError: The budget is spent; the message says when it frees up.
        RequestValidationError: The named limit does not exist or has no slot decay.
    """
    name = os.environ.get(BUDGET_ENV)
    if not name:
        return
    async with get_client() as prefect:
        try:
            budget = await prefect.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            raise RequestValidationError(
                f"{BUDGET_ENV}={name!r}: no such global concurrency limit; create it with `make budget LIMIT=50`"
            ) from None
        if not budget.slot_decay_per_second:
            raise RequestValidationError(f"{BUDGET_ENV}={name!r} has no slot decay, so it is no budget over time")
        # One increment, no wait: the server's 423 is the verdict, so a slow server is never "over budget".
        try:
            await prefect.increment_concurrency_slots(names=[name], slots=1, mode="rate_limit")
        except PrefectHTTPStatusError as error:
            if error.response.status_code != _LOCKED:
                raise
            raise BudgetExceededError(await _over_budget(name)) from None


async def _over_budget(name: str) -> str:
    async with get_client() as prefect:
        budget = await prefect.read_global_concurrency_limit_by_name(name)
    decay = budget.slot_decay_per_second
    per_day = budget.limit / decay / 86400 if decay else 0
    frees_in = math.ceil(max(budget.active_slots - budget.limit + 1, 1) / decay) if decay else 0
    at = (datetime.now(UTC) + timedelta(seconds=frees_in)).strftime("%H:%M UTC")
    return (
        f"Over the spend budget {name!r}: {budget.limit} new paid generations per "
        f"{'day' if round(per_day, 2) == 1 else f'{per_day * 24:.1f} h'}, {budget.active_slots} spent in that window. "
        f"The next one frees up in about {_duration(frees_in)} ({at}). Nothing was submitted or paid; "
        "resuming generations already paid for is not limited."
    )


def _duration(seconds: int) -> str:
    return f"{seconds // 3600} h {seconds % 3600 // 60} min" if seconds >= 3600 else f"{max(seconds // 60, 1)} min"


async def ensure_budget(per_day: int, name: str = DEFAULT_BUDGET) -> None:
    """Create or resize the budget: `per_day` new paid generations per rolling day."""
    decay = per_day / 86400  # each slot is free again a day after it was taken
    async with get_client() as prefect:
        try:
            await prefect.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            create = GlobalConcurrencyLimitCreate(name=name, limit=per_day, slot_decay_per_second=decay)
            await prefect.create_global_concurrency_limit(create)
        else:
            update = GlobalConcurrencyLimitUpdate(limit=per_day, slot_decay_per_second=decay)
            await prefect.update_global_concurrency_limit(name, update)
