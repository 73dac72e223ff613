"""Create the automations of `automations.yaml` on the current Prefect server.

    python -m flows.automations          # what `make automations` runs

Each automation replaces any existing one of the same name, so running it again
changes nothing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml
from prefect import get_client
from prefect.events.schemas.automations import AutomationCore

AUTOMATIONS = Path(__file__).parents[1] / "automations.yaml"


async def ensure_automations(path: Path = AUTOMATIONS) -> list[str]:
    """Create (or replace) every automation in `path`; returns their names."""
    automations = [AutomationCore.model_validate(item) for item in yaml.safe_load(path.read_text())["automations"]]
    async with get_client() as prefect:
        for automation in automations:
            for existing in await prefect.read_automations_by_name(automation.name):
                await prefect.delete_automation(existing.id)
            await prefect.create_automation(automation)
    return [automation.name for automation in automations]


if __name__ == "__main__":
    for name in asyncio.run(ensure_automations()):
        print(f"automation {name!r} created")
