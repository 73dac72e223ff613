"""Operations as code: the automations of `automations.yaml`, and the spend budget.

    python -m flows.automations                 # what `make automations` runs
    python -m flows.automations --alert-block custom-webhook/ops   # plus the failures alert
    python -m flows.automations --budget 50     # what `make budget LIMIT=50` runs

Each automation replaces any existing one of the same name, so running it again
changes nothing. The budget is a global concurrency limit with slot decay
(`tasks/_budget.py`); workers use it when `AIMLAPI_BUDGET` names it.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import yaml
from prefect import get_client
from prefect.events.schemas.automations import AutomationCore

from tasks._budget import BUDGET_ENV, DEFAULT_BUDGET, ensure_budget

AUTOMATIONS = Path(__file__).parents[1] / "automations.yaml"


ALERT = "aimlapi-failures-alert"


async def ensure_automations(
    path: Path = AUTOMATIONS, *, alert_block: str | None = None, alert_threshold: int = 3, alert_within_s: int = 600
) -> list[str]:
    """Create (or replace) every automation in `path`, and with `alert_block` the
    failures alert; returns their names.

    Args:
        path: The automations file.
        alert_block: A notification block, as `block-type-slug/block-name` (e.g.
            `slack-webhook/ops`), that hears when generations fail.
        alert_threshold: How many `aimlapi.*.failed` events make an alert...
        alert_within_s: ...within this many seconds.
    """
    items = yaml.safe_load(path.read_text())["automations"]
    async with get_client() as prefect:
        if alert_block:
            slug, _, name = alert_block.partition("/")
            block = await prefect.read_block_document_by_name(name, block_type_slug=slug)
            items.append(_failures_alert(str(block.id), alert_threshold, alert_within_s))
        automations = [AutomationCore.model_validate(item) for item in items]
        for automation in automations:
            for existing in await prefect.read_automations_by_name(automation.name):
                await prefect.delete_automation(existing.id)
            await prefect.create_automation(automation)
    return [automation.name for automation in automations]


def _failures_alert(block_document_id: str, threshold: int, within_s: int) -> dict[str, Any]:
    return {
        "name": ALERT,
        "description": f"Notifies when {threshold} aimlapi generations fail within {within_s} s.",
        "enabled": True,
        "trigger": {
            "type": "event",
            "posture": "Reactive",
            "expect": ["aimlapi.video.failed", "aimlapi.audio.failed"],
            "match": {"prefect.resource.id": "aimlapi.generation.*"},
            "threshold": threshold,
            "within": within_s,
        },
        "actions": [
            {
                "type": "send-notification",
                "block_document_id": block_document_id,
                "subject": "aimlapi: generations are failing",
                "body": (
                    f"{threshold} or more aimlapi generations failed within {within_s} s. The last: "
                    "{{ event.event }} for {{ event.resource['prefect.resource.name'] }}: "
                    "{{ event.payload.error }}"
                ),
            }
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.automations", description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=int, metavar="N", help="create or resize the budget: N paid generations a day")
    parser.add_argument("--alert-block", help="notification block for the failures alert, e.g. slack-webhook/ops")
    parser.add_argument("--alert-threshold", type=int, default=3, help="failures that make an alert (default 3)")
    parser.add_argument("--alert-within", type=int, default=600, help="...within this many seconds (default 600)")
    args = parser.parse_args()
    if args.budget is not None:
        asyncio.run(ensure_budget(args.budget))
        print(
            f"budget {DEFAULT_BUDGET!r}: {args.budget} new paid generations per rolling day; "
            f"set {BUDGET_ENV}={DEFAULT_BUDGET} where workers run"
        )
        return
    alert = {
        "alert_block": args.alert_block,
        "alert_threshold": args.alert_threshold,
        "alert_within_s": args.alert_within,
    }
    for name in asyncio.run(ensure_automations(**alert)):
        print(f"automation {name!r} created")


if __name__ == "__main__":
    main()
