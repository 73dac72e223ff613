"""A spend budget across runs: N new paid generations per rolling day, resumed ones free."""

from __future__ import annotations

import asyncio

import pytest
from prefect import get_client
from prefect.client.orchestration import PrefectClient

from flows import generate_video
from tasks import BUDGET_ENV, BudgetExceededError, ensure_budget

pytestmark = pytest.mark.usefixtures("prefect_server")


@pytest.fixture
async def budget_of_two(monkeypatch):
    await ensure_budget(2)
    monkeypatch.setenv(BUDGET_ENV, "aimlapi-daily-budget")
    yield
    async with get_client() as prefect:
        await prefect.delete_global_concurrency_limit_by_name("aimlapi-daily-budget")


async def test_over_budget_fails_before_paying_and_says_when_it_frees_up(
    budget_of_two, aimlapi_sim, aimlapi_credentials, tmp_path
):
    options = dict(credentials=aimlapi_credentials, output_dir=str(tmp_path), expected_s=0.5)
    first = await generate_video(prompt="First of the day", **options)
    await generate_video(prompt="Second of the day", **options)
    assert len(aimlapi_sim.ledger.accepted) == 2

    with pytest.raises(BudgetExceededError) as caught:
        await generate_video(prompt="One too many", **options)
    message = str(caught.value)
    assert "Over the spend budget 'aimlapi-daily-budget': 2 new paid generations per day, 2 spent" in message
    assert "frees up in about 12 h" in message and "Nothing was submitted or paid" in message
    assert len(aimlapi_sim.ledger.accepted) == 2  # no create was sent

    again = await generate_video(prompt="First of the day", **options)  # resumed: costs nothing
    assert again.generation_id == first.generation_id and len(aimlapi_sim.ledger.accepted) == 2


async def test_a_slow_prefect_server_is_not_over_budget(
    budget_of_two, monkeypatch, aimlapi_sim, aimlapi_credentials, tmp_path
):
    """A free slot granted after a slow answer (a busy server) is spent, not refused."""
    grant = PrefectClient.increment_concurrency_slots

    async def slow_grant(self, *args, **kwargs):
        await asyncio.sleep(2.5)
        return await grant(self, *args, **kwargs)

    monkeypatch.setattr(PrefectClient, "increment_concurrency_slots", slow_grant)
    options = dict(credentials=aimlapi_credentials, output_dir=str(tmp_path), expected_s=0.5)
    await generate_video(prompt="On a busy day", **options)
    assert len(aimlapi_sim.ledger.accepted) == 1
    async with get_client() as prefect:
        assert (await prefect.read_global_concurrency_limit_by_name("aimlapi-daily-budget")).active_slots == 1


async def test_a_budget_that_does_not_exist_is_a_clear_error(monkeypatch, aimlapi_sim, aimlapi_credentials, tmp_path):
    monkeypatch.setenv(BUDGET_ENV, "no-such-budget")
    with pytest.raises(Exception, match="'no-such-budget': no such global concurrency limit; create it with"):
        await generate_video(prompt="x", credentials=aimlapi_credentials, output_dir=str(tmp_path))
    assert aimlapi_sim.ledger.accepted == []
