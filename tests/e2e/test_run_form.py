"""The Prefect UI as the front door: the deployed run form offers the catalogue as choices."""

from __future__ import annotations

import pytest

from aimlapi_client import CATALOG
from tools.run_form import model_choices

from ._stack import Stack, query

pytestmark = pytest.mark.slow

VIDEO_MODELS = sorted(model for model, spec in CATALOG.items() if spec.kind != "music")


def test_the_custom_run_form_offers_every_video_model_and_the_allowed_values(tmp_path, aimlapi_sim):
    stack = Stack(tmp_path / "prefect-home", aimlapi_sim)
    try:
        stack.start("server", "make", "server", f"PREFECT_PORT={stack.port}")  # serves the UI for that port
        stack.wait_healthy()
        stack.run("make", "deploy")
        deployments = {d["name"]: d for d in query(stack, "/deployments/filter", {})}
        schema = deployments["on-demand"]["parameter_openapi_schema"]["properties"]
        assert schema["model"]["enum"] == VIDEO_MODELS and schema["model"]["default"] == "google/veo3"
        ratios = schema["aspect_ratio"]["anyOf"][0]["enum"]
        assert {"16:9", "9:16", "1:1", "21:9"} <= set(ratios) and schema["aspect_ratio"]["anyOf"][1] == {"type": "null"}
        assert {4, 5, 6, 8, 10} <= set(schema["duration"]["anyOf"][0]["enum"])
        assert {"720p", "1080p"} <= set(schema["resolution"]["anyOf"][0]["enum"])
        collect = deployments["collect"]["parameter_openapi_schema"]["properties"]
        assert collect["model"]["enum"] == sorted(CATALOG)  # collecting takes video and music

        # Headless Chromium on the real UI: the model field is a dropdown with a search box.
        offered = model_choices(stack.api, search="sora", screenshot=str(tmp_path / "form.png"))
        assert offered == [model for model in VIDEO_MODELS if "sora" in model]
        assert (tmp_path / "form.png").stat().st_size > 10_000
    finally:
        stack.stop()
