"""The catalogue: every documented model, validation before paying, both route styles."""

import subprocess
import sys

import pytest
from pydantic import TypeAdapter, ValidationError

from aimlapi_client import (
    CATALOG,
    AnyRequest,
    RequestValidationError,
    Veo3Request,
    build_request,
    get_model,
    list_models,
)

# Every video and music model id of the vendor's documentation (docs.aimlapi.com:
# Google, Kling AI, Luma AI, MiniMax, Runway, Alibaba Cloud; music on /v2/generate/audio).
DOCUMENTED_IDS = {
    "veo2", "veo2/image-to-video", "google/veo3",
    "kling-video/v1/standard/text-to-video", "kling-video/v1/standard/image-to-video",
    "kling-video/v1/pro/text-to-video", "kling-video/v1/pro/image-to-video",
    "kling-video/v1.6/standard/text-to-video", "kling-video/v1.6/standard/image-to-video",
    "kling-video/v1.6/pro/text-to-video", "kling-video/v1.6/pro/image-to-video",
    "klingai/kling-video-v1.6-standard-effects", "klingai/kling-video-v1.6-pro-effects",
    "klingai/v2-master-text-to-video", "klingai/v2-master-image-to-video",
    "luma/ray-1-6", "luma/ray-2", "luma/ray-flash-2",
    "video-01", "video-01-live2d",
    "gen3a_turbo", "runway/gen4_turbo",
    "wan/v2.1/1.3b/text-to-video", "alibaba/wan2.1-t2v-plus", "alibaba/wan2.1-t2v-turbo",
    "google/lyria2", "stable-audio", "minimax-music",
}  # fmt: skip
IMG = "https://example.com/frame.png"


def test_every_documented_model_is_in_the_catalogue():
    assert set(CATALOG) == DOCUMENTED_IDS


def test_veo3_defaults_follow_the_vendor_page():
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
    ("model", "options", "message"),
    [
        ("google/veo3", {"duration": 5}, "google/veo3: duration must be one of 4, 6, 8; got 5"),
        ("google/veo3", {"aspect_ratio": "4:3"}, "aspect_ratio must be one of '16:9', '9:16'; got '4:3'"),
        ("google/veo3", {"prompt": ""}, "google/veo3: prompt must not be empty"),
        ("google/veo3", {"prompt": "x" * 4001}, "prompt"),
        ("google/veo3", {"seed": -1}, "seed: Input should be greater than or equal to 0; got -1"),
        ("google/veo3", {"seed": "seven"}, "seed"),
        ("google/veo3", {"enhance_prompt": "maybe"}, "enhance_prompt"),
        (
            "google/veo3",
            {"duraton": 8},
            "duraton is not a field of this model; allowed: prompt, aspect_ratio, duration",
        ),
        ("veo2", {"duration": 4}, "veo2: duration must be one of 5, 6, 7, 8; got 4"),
        ("veo2/image-to-video", {}, "veo2/image-to-video: image_url is required"),
        ("veo2/image-to-video", {"image_url": "ftp://x/y.png"}, "must be an http(s) URL or a data: URI"),
        ("kling-video/v1/pro/text-to-video", {"cfg_scale": 1.5}, "cfg_scale: Input should be less than or equal to 1"),
        ("kling-video/v1/pro/text-to-video", {"duration": 7}, "duration must be one of 5, 10; got 7"),
        ("kling-video/v1.6/standard/text-to-video", {"camera_control": "down_back"}, "camera_control is not supported"),
        (
            "kling-video/v1.6/standard/image-to-video",
            {"image_url": IMG, "tail_image_url": IMG},
            "tail_image_url is only supported by",
        ),
        ("luma/ray-1-6", {"resolution": "720p"}, "only supported by the ray-2 models"),
        ("luma/ray-2", {"keyframes": {"frame0": {"type": "image"}}}, "needs url"),
        ("luma/ray-2", {"duration": 10}, "duration must be one of 5, 9; got 10"),
        ("video-01", {"prompt": "x" * 2001}, "video-01: prompt: String should have at most 2000 characters"),
        ("video-01-live2d", {}, "video-01-live2d: image_url is required"),
        ("gen3a_turbo", {"prompt": "x"}, "gen3a_turbo: image_url is required"),
        (
            "gen3a_turbo",
            {"image_url": IMG, "aspect_ratio": "1:1"},
            "aspect_ratio must be one of '16:9', '9:16'; got '1:1'",
        ),
        (
            "runway/gen4_turbo",
            {"image_url": IMG, "seed": 2**32},
            "seed: Input should be less than or equal to 4294967295",
        ),
        (
            "runway/gen4_turbo",
            {"image_url": IMG, "prompt": "x" * 1001},
            "prompt: String should have at most 1000 characters",
        ),
        ("alibaba/wan2.1-t2v-turbo", {"resolution": "1080P"}, "resolution must be one of '480P', '720P'"),
        ("stable-audio", {"seconds_total": 48}, "seconds_total: Input should be less than or equal to 47"),
        ("stable-audio", {"seconds_start": 20, "seconds_total": 10}, "seconds_start must be less than seconds_total"),
        ("minimax-music", {}, "minimax-music: reference_audio_url is required"),
    ],
)
def test_bad_options_fail_with_a_message_that_names_model_and_field(model, options, message):
    with pytest.raises(RequestValidationError) as caught:
        build_request(model, **{"prompt": "a cat", **options})
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"effect_scene": "hug", "image_url": IMG}, "image_url needs exactly 2 image(s) for hug; got 1"),
        ({"effect_scene": "squish", "image_url": [IMG, IMG]}, "image_url needs exactly 1 image(s) for squish; got 2"),
        ({"effect_scene": "dance", "image_url": IMG}, "effect_scene must be one of 'hug', 'kiss'"),
        ({"effect_scene": "hug", "image_url": [IMG, IMG], "prompt": "x"}, "prompt is not a field of this model"),
    ],
)
def test_kling_effects_rules(options, message):
    with pytest.raises(RequestValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_request("klingai/kling-video-v1.6-pro-effects", **options)


def test_kling_effects_accept_one_or_two_photos_by_scene():
    assert build_request("klingai/kling-video-v1.6-pro-effects", effect_scene="kiss", image_url=[IMG, IMG])
    assert build_request("klingai/kling-video-v1.6-pro-effects", effect_scene="expansion", image_url=IMG)


def body(model: str, style: str, **options):
    spec = get_model(model)
    return spec.route(style), spec.body(build_request(model, **options), style)


def test_routes_of_each_style():
    assert body("google/veo3", "legacy", prompt="x")[0] == "/v2/generate/video/google/generation"
    assert body("luma/ray-2", "legacy", prompt="x")[0] == "/v2/generate/video/luma-ai/generation"
    assert body("google/veo3", "unified", prompt="x")[0] == "/v2/video/generations"
    assert (
        body("google/lyria2", "legacy", prompt="x")[0]
        == body("google/lyria2", "unified", prompt="x")[0]
        == "/v2/generate/audio"
    )


def test_unified_names_translate_for_the_legacy_routes():
    minimax = {"prompt": "x", "image_url": IMG, "enhance_prompt": False}
    assert body("video-01", "legacy", **minimax)[1] == {
        "model": "video-01", "prompt": "x", "first_frame_image": IMG, "prompt_optimizer": False,
    }  # fmt: skip
    assert body("video-01", "unified", **minimax)[1] == {"model": "video-01", **minimax}
    runway = body("gen3a_turbo", "legacy", image_url=IMG, aspect_ratio="9:16", tail_image_url=IMG)[1]
    assert runway == {"model": "gen3a_turbo", "image_url": IMG, "ratio": "9:16", "last_image_url": IMG}
    assert (
        body("alibaba/wan2.1-t2v-plus", "legacy", prompt="x", enhance_prompt=True)[1]["enable_prompt_expansion"] is True
    )
    luma_legacy = body("luma/ray-2", "legacy", prompt="x", duration=9)[1]
    assert (luma_legacy["model"], luma_legacy["duration"]) == ("ray-2", "9s")
    luma_unified = body("luma/ray-2", "unified", prompt="x", duration=9)[1]
    assert (luma_unified["model"], luma_unified["duration"]) == ("luma/ray-2", 9)


@pytest.mark.parametrize(
    ("model", "style", "options", "message"),
    [
        (
            "runway/gen4_turbo",
            "legacy",
            {"image_url": IMG, "tail_image_url": IMG},
            "tail_image_url exists only on the unified route",
        ),
        (
            "wan/v2.1/1.3b/text-to-video",
            "unified",
            {"prompt": "x", "sampler": "unipc"},
            "sampler exists only on the legacy route",
        ),
    ],
)
def test_fields_one_route_lacks_fail_before_sending(model, style, options, message):
    with pytest.raises(RequestValidationError, match=message):
        body(model, style, **options)


def test_unknown_models_get_close_matches_and_legacy_luma_ids_resolve():
    with pytest.raises(RequestValidationError, match="Did you mean: google/veo3"):
        get_model("google/veo-3")
    assert get_model("ray-2").id == "luma/ray-2"


def test_any_request_picks_the_family_by_model():
    request = TypeAdapter(AnyRequest).validate_python({"model": "video-01", "prompt": "x"})
    assert type(request).__name__ == "MiniMaxRequest"


def test_requests_are_frozen():
    request = build_request("google/veo3", prompt="a cat")
    with pytest.raises(ValidationError, match="frozen"):
        request.duration = 4  # type: ignore[misc]


def test_the_models_command_lists_every_model():
    out = subprocess.run(
        [sys.executable, "-m", "aimlapi_client", "models"], check=True, capture_output=True, text=True
    ).stdout
    listed = {line.split()[0] for line in out.splitlines()}
    assert listed == DOCUMENTED_IDS
    assert len(list_models()) == len(DOCUMENTED_IDS)


def test_the_client_package_does_not_import_prefect():
    code = "import sys, aimlapi_client, aimlapi_sim; assert not any(m.split('.')[0] == 'prefect' for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_readme_lists_every_model():
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert [model for model in sorted(CATALOG) if f"| `{model}` |" not in readme] == []
