"""The emulator checks every model's requests from the catalogue data, as the API would."""

from __future__ import annotations

import httpx
import pytest

from aimlapi_client import list_models
from aimlapi_sim.pytest_plugin import SIM_API_KEY
from tests._requests import IMAGE, minimal_options


def post(sim, path: str, body: dict) -> httpx.Response:
    headers = {"Authorization": f"Bearer {SIM_API_KEY}"}
    return httpx.post(f"{sim.base_url}{path}", json=body, headers=headers, timeout=5)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"model": "google/veo-3.1-t2v", "prompt": "x", "duration": 5},
            "duration: Invalid enum value. Expected 4 | 6 | 8",
        ),
        ({"model": "openai/sora-2-i2v", "prompt": "x"}, "image_url: Required"),
        ({"model": "openai/sora-2-i2v", "prompt": "x", "image_url": "ftp://a/b"}, "image_url: Invalid url"),
        (
            {"model": "runway/gen4_aleph", "prompt": "x", "video_url": IMAGE, "tilt": 3},
            "Unrecognized key(s) in object: 'tilt'",
        ),
        ({"model": "google/veo-3.1-t2v", "prompt": "x", "generate_audio": "yes"}, "generate_audio: Expected boolean"),
        ({"model": "acme/unknown", "prompt": "x"}, "model: Invalid enum value"),
    ],
)
def test_bad_bodies_get_the_apis_400(aimlapi_sim, body, message):
    response = post(aimlapi_sim, "/v2/video/generations", body)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert aimlapi_sim.ledger.accepted == []


def test_every_model_is_served_on_its_documented_route(aimlapi_sim):
    for spec in list_models():
        response = post(aimlapi_sim, spec.create_route, {"model": spec.id, **minimal_options(spec)})
        assert response.status_code in (200, 201), (spec.id, response.text)
    assert len(aimlapi_sim.ledger.accepted) == len(list_models())


def test_legacy_routes_take_their_own_field_names(aimlapi_sim):
    route = "/v2/generate/video/minimax/generation"
    legacy = post(aimlapi_sim, route, {"model": "video-01-live2d", "prompt": "x", "first_frame_image": IMAGE})
    assert legacy.status_code == 201 and "generation_id" in legacy.json()
    unified_name = post(aimlapi_sim, route, {"model": "video-01-live2d", "prompt": "x", "image_url": IMAGE})
    assert unified_name.status_code == 400
