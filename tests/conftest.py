"""Shared test setup: an isolated Prefect home, no telemetry."""

import os
import tempfile

# Before Prefect is imported anywhere: keep every test run's state out of ~/.prefect.
_HOME = tempfile.mkdtemp(prefix="prefect-aimlapi-tests-")
os.environ["PREFECT_HOME"] = _HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.pop("AIMLAPI_API_KEY", None)
os.environ.pop("AIMLAPI_BASE_URL", None)
