"""`make automations`: the shipped automations, created once however often it runs."""

from __future__ import annotations

import pytest
from prefect import get_client

from flows.automations import ensure_automations

pytestmark = pytest.mark.usefixtures("prefect_server")


async def test_running_it_again_replaces_instead_of_duplicating():
    names = await ensure_automations()
    assert names == ["aimlapi-crash-unresponsive-runs"]
    await ensure_automations()
    async with get_client() as prefect:
        (automation,) = await prefect.read_automations_by_name("aimlapi-crash-unresponsive-runs")
    trigger = automation.trigger
    assert trigger.posture == "Proactive" and trigger.within.total_seconds() == 90
    assert trigger.match_related.root == {"prefect.resource.id": "prefect.tag.aimlapi"}  # aimlapi runs only
    (action,) = automation.actions
    assert action.type == "change-flow-run-state" and action.state == "CRASHED"
