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


async def test_the_failures_alert_notifies_the_named_block(aimlapi_sim):
    """Three `aimlapi.*.failed` events in the window reach a custom-webhook block's receiver."""
    import asyncio
    import time

    from aiohttp import web
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.events import emit_event

    received: list[dict] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        block = CustomWebhookNotificationBlock(
            name="ops", url=f"http://127.0.0.1:{port}/hook", json_data={"text": "{{body}}"}
        )
        await block.save("ops-alerts", overwrite=True)
        names = await ensure_automations(alert_block="custom-webhook/ops-alerts", alert_threshold=3, alert_within_s=60)
        assert "aimlapi-failures-alert" in names
        await asyncio.sleep(2)  # the triggers service loads new automations
        for index in range(3):
            emit_event(
                event="aimlapi.video.failed",
                resource={"prefect.resource.id": f"aimlapi.generation.g{index}", "prefect.resource.name": "a-kite"},
                payload={"error": "GenerationFailedError: the model is under maintenance"},
            )
        deadline = time.monotonic() + 60
        while not received and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        assert received, "the alert did not reach the webhook"
        assert "3 or more aimlapi generations failed within 60 s" in received[0]["text"]
        assert "under maintenance" in received[0]["text"]
    finally:
        await runner.cleanup()
        async with get_client() as prefect:  # the session's server serves other tests
            for automation in await prefect.read_automations_by_name("aimlapi-failures-alert"):
                await prefect.delete_automation(automation.id)
