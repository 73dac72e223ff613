"""Services for the end-to-end tests: PostgreSQL from the machine's own package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .._services import postgres_cluster


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL cluster of this test's own on a free loopback port, stopped whatever happens
    (see `tests/_services.py`)."""
    with postgres_cluster() as url:
        yield url
