"""pytest fixtures for testing flows that use prefect-aimlapi, without a key or network.

Installed as a pytest plugin with the package. Use them in your own tests:

    async def test_my_flow(aimlapi_credentials, aimlapi_sim):
        aimlapi_sim.faults.add("poll", "status", status=503)
        result = await my_flow(credentials=aimlapi_credentials)
        assert len(aimlapi_sim.ledger.accepted) == 1
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .server import Emulator

SIM_API_KEY = "sim-key-0123456789"


@pytest.fixture
def aimlapi_sim() -> Iterator[Emulator]:
    """A running emulator of the API and its CDN on free loopback ports.

    Generations finish after 0.3 s. Queue faults on `.faults`; read what it saw
    on `.ledger`.
    """
    with Emulator(api_key=SIM_API_KEY, generation_s=0.3) as emulator:
        yield emulator


@pytest.fixture
def aimlapi_credentials(aimlapi_sim: Emulator) -> Any:
    """An `AimlApiCredentials` block pointing at `aimlapi_sim` (short timeouts)."""
    from pydantic import SecretStr

    from blocks import AimlApiCredentials  # imported here: plugins load before conftest

    return AimlApiCredentials(
        api_key=SecretStr(SIM_API_KEY),
        base_url=aimlapi_sim.base_url,
        connect_timeout_s=2,
        read_timeout_s=2,
        write_timeout_s=2,
        pool_timeout_s=2,
    )
