"""Validation before paying: errors name the model, the field and what is allowed."""

import subprocess
import sys

import pytest

from aimlapi_client import RequestValidationError, Veo3Request, build_request, get_model, list_models


def test_defaults_follow_the_vendor_page():
    request = build_request("google/veo3", prompt="a cat")
    assert isinstance(request, Veo3Request)
    assert request.to_api() == {
        "model": "google/veo3",
        "prompt": "a cat",
        "aspect_ratio": "16:9",
        "duration": 8,
        "enhance_prompt": True,
        "generate_audio": True,
    }


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"duration": 5}, "google/veo3: duration must be one of 4, 6, 8; got 5"),
        ({"aspect_ratio": "4:3"}, "aspect_ratio must be one of '16:9', '9:16'; got '4:3'"),
        ({"prompt": ""}, "google/veo3: prompt must not be empty"),
        ({"prompt": "x" * 4001}, "prompt"),
        ({"seed": -1}, "seed: Input should be greater than or equal to 0; got -1"),
        ({"seed": "seven"}, "seed"),
        ({"enhance_prompt": "maybe"}, "enhance_prompt"),
        ({"duraton": 8}, "duraton is not a field of this model; allowed: prompt, aspect_ratio, duration"),
    ],
)
def test_bad_options_fail_with_a_message_that_names_the_field(options, message):
    with pytest.raises(RequestValidationError) as caught:
        build_request("google/veo3", **{"prompt": "a cat", **options})
    assert message in str(caught.value)


def test_unknown_models_get_close_matches():
    with pytest.raises(RequestValidationError, match="Did you mean: google/veo3"):
        get_model("google/veo-3")


def test_requests_are_frozen():
    request = build_request("google/veo3", prompt="a cat")
    with pytest.raises(Exception):
        request.duration = 4  # type: ignore[misc]


def test_every_listed_model_has_a_route_and_an_expected_time():
    for spec in list_models():
        assert spec.route.startswith("/v2/") and spec.expected_s > 0


def test_the_client_package_does_not_import_prefect():
    code = "import sys, aimlapi_client, aimlapi_sim; assert not any(m.split('.')[0] == 'prefect' for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
