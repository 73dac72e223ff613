import pytest
from prefect.testing.utilities import prefect_test_harness


@pytest.fixture(scope="session")
def prefect_server():
    """One temporary Prefect server (SQLite) for the whole session: it takes ~15 s to start."""
    with prefect_test_harness(server_startup_timeout=90):
        yield
