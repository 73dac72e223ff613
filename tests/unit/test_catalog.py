"""The catalogue: every model of the vendor's schemas, validation before paying, both route styles."""

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from aimlapi_client import (
    CATALOG,
    AnyRequest,
    RequestValidationError,
    UnlistedRequest,
    build_request,
    get_model,
    list_models,
)
from aimlapi_client.catalog_build import DIGEST, build_catalog, main
from tests._requests import minimal_options

VENDOR = json.loads(DIGEST.read_text())
VENDOR_IDS = set(VENDOR["video"]) | set(VENDOR["music"])
IMG = "https://example.com/frame.png"


def test_every_model_of_the_vendor_schemas_is_in_the_catalogue():
    assert len(VENDOR["video"]) == 143 and len(VENDOR["music"]) == 9
    assert set(CATALOG) == VENDOR_IDS
    for model_id in (
        "google/veo-3.1-t2v",
        "openai/sora-2-pro-t2v",
        "klingai/video-v3-pro-text-to-video",
        "minimax/hailuo-2.3",
        "alibaba/wan-2-7-t2v",
        "luma/ray-3.2",
        "runway/gen4_aleph",
        "x-ai/grok-imagine-video",
        "ltxv/ltxv-2",
        "elevenlabs/eleven_music",
        "minimax/music-2.6",
    ):
        assert model_id in CATALOG  # fmt: skip


def test_the_committed_catalogue_is_what_the_build_script_makes_from_the_digest():
    assert main(["--check"]) == 0


def test_a_new_vendor_model_is_one_regeneration_away():
    digest = json.loads(DIGEST.read_text())
    digest["video"]["acme/dream-9-i2v"] = {
        "kind": "video", "doc": "video-models/Acme/dream-9.json", "create": "POST /v2/video/generations",
        "required": ["prompt", "image_url"], "routes": {"/v2/video/generations": ["POST"]},
        "fields": {"prompt": {"type": "string"}, "image_url": {"type": "string", "format": "uri"},
                   "duration": {"type": "integer", "enum": [5, 10], "default": "5"}},
    }  # fmt: skip
    row = build_catalog(digest)["models"]["acme/dream-9-i2v"]
    assert row["kind"] == "image-to-video"
    assert row["fields"]["duration"]["default"] == 5  # the digest's string default, in the field's type
    assert row["expected_source"].startswith("estimate")


@pytest.mark.parametrize(
    ("model", "kind"),
    [
        ("google/veo-3.1-t2v", "text-to-video"),
        ("google/veo-3.1-i2v", "image-to-video"),
        ("google/veo-3.1-first-last-image-to-video", "image-to-video"),
        ("google/veo-3.1-reference-to-video", "reference-to-video"),
        ("google/veo3-1-extend-video", "extend"),
        ("runway/gen4_aleph", "video-to-video"),
        ("klingai/avatar-pro", "avatar"),
        ("pixverse/lip-sync", "avatar"),
        ("klingai/kling-video-v1.6-pro-effects", "effects"),
        ("minimax/music-2.0", "music"),
    ],
)
def test_the_media_kind_comes_from_the_schema(model, kind):
    assert get_model(model).kind == kind


def test_expected_times_say_where_they_come_from():
    assert (get_model("google/veo3").expected_s, get_model("klingai/v2-master-text-to-video").expected_s) == (120, 330)
    assert get_model("google/veo3").expected_source.startswith("vendor: Veo3 page")
    assert {spec.expected_source.split(":")[0] for spec in CATALOG.values()} == {"vendor", "estimate"}


@pytest.mark.parametrize("model", sorted(CATALOG))
def test_every_model_accepts_its_minimal_request(model):
    request = build_request(model, **minimal_options(get_model(model)))
    assert request.model == model
    for style in ("legacy", "unified"):
        assert get_model(model).body(request, style)["model"]


ENUM_FIELDS = [
    (model, name, tuple(schema["enum"]))
    for model, spec in sorted(CATALOG.items())
    for name, schema in spec.schema.items()
    if "enum" in schema
]


@pytest.mark.parametrize(("model", "field", "allowed"), ENUM_FIELDS, ids=[f"{m}:{f}" for m, f, _ in ENUM_FIELDS])
def test_a_wrong_value_of_any_enumerated_field_names_model_field_and_allowed_values(model, field, allowed):
    wrong = "not-a-choice" if isinstance(allowed[0], str) else max(allowed) + 1000
    with pytest.raises(RequestValidationError) as caught:
        build_request(model, **minimal_options(get_model(model)) | {field: wrong})
    message = str(caught.value)
    assert message.startswith(f"{model}: {field} must be one of ")
    assert all(repr(value) in message for value in allowed[:40])
    assert f"got {wrong!r}" in message


@pytest.mark.parametrize(
    ("model", "options", "message"),
    [
        ("google/veo3", {"duration": 5}, "google/veo3: duration must be one of 4, 6, 8; got 5"),
        ("google/veo3", {"aspect_ratio": "4:3"}, "aspect_ratio must be one of '16:9', '9:16'; got '4:3'"),
        ("google/veo3", {"prompt": ""}, "google/veo3: prompt must not be empty"),
        ("google/lyria2", {"seed": -1}, "google/lyria2: seed: Input should be greater than or equal to 0; got -1"),
        ("google/veo3", {"seed": "seven"}, "seed"),
        ("google/veo3", {"enhance_prompt": "maybe"}, "enhance_prompt"),
        (
            "google/veo3",
            {"duraton": 8},
            "duraton is not a field of this model; allowed: prompt, duration, aspect_ratio",
        ),
        ("veo2", {"duration": 4}, "veo2: duration must be one of 5, 6, 7, 8; got 4"),
        ("veo2/image-to-video", {}, "veo2/image-to-video: image_url is required"),
        ("veo2/image-to-video", {"image_url": "ftp://x/y.png"}, "must be an http(s) URL or a data: URI"),
        ("kling-video/v1/pro/text-to-video", {"cfg_scale": 1.5}, "cfg_scale: Input should be less than or equal to 1"),
        ("kling-video/v1/pro/text-to-video", {"duration": 7}, "duration must be one of 5, 10; got 7"),
        (
            "kling-video/v1.6/standard/text-to-video",
            {"camera_control": "down_back"},
            "camera_control is not a field of this model",
        ),
        (
            "kling-video/v1.6/standard/image-to-video",
            {"image_url": IMG, "tail_image_url": IMG},
            "tail_image_url is not a field of this model",
        ),
        ("luma/ray-1-6", {"resolution": "720p"}, "luma/ray-1-6: resolution is not a field of this model"),
        ("luma/ray-2", {"keyframes": {"frame0": {"type": "image"}}}, "keyframes.frame0.url is required"),
        ("google/veo-3.1-t2v", {"resolution": "4k"}, "google/veo-3.1-t2v: resolution must be one of '720p', '1080p'"),
        ("openai/sora-2-t2v", {"duration": 10}, "openai/sora-2-t2v: duration must be one of 4, 8, 12; got 10"),
        ("runway/gen4_aleph", {}, "runway/gen4_aleph: video_url is required"),
        ("klingai/avatar-pro", {"image_url": IMG}, "klingai/avatar-pro: audio_url is required"),
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


def test_music_01_needs_a_reference_voice_or_instrumental():
    with pytest.raises(RequestValidationError, match="music-01: refer_voice or refer_instrumental is required"):
        build_request("music-01", lyrics="la la")
    assert build_request("music-01", lyrics="la la", refer_instrumental="inst-1")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"effect_scene": "hug", "image_url": IMG}, "image_url needs exactly 2 image(s) for hug; got 1"),
        ({"effect_scene": "squish", "image_url": [IMG, IMG]}, "image_url needs exactly 1 image(s) for squish; got 2"),
        ({"effect_scene": "dance", "image_url": IMG}, "effect_scene must be one of 'magic_fireball', "),
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


def test_models_without_a_legacy_route_use_the_unified_one_in_both_styles():
    for style in ("legacy", "unified"):
        assert body("google/veo-3.1-t2v", style, prompt="x")[0] == "/v2/video/generations"
        assert body("openai/sora-2-t2v", style, prompt="x")[0] == "/v2/video/generations"


def test_models_documented_only_on_a_legacy_route_use_it_in_both_styles():
    for style in ("legacy", "unified"):
        route, sent = body("wan/v2.1/1.3b/text-to-video", style, prompt="x", sampler="dpm+")
        assert route == "/v2/generate/video/alibaba/generation"
        assert sent["sampler"] == "dpm+"
        assert body("kling-video/v1/standard/text-to-video", style, prompt="x")[0] == (
            "/v2/generate/video/kling/generation"
        )
    assert get_model("music-01").route("unified") == "/v2/generate/audio/minimax/generate"


def test_unified_names_translate_for_the_legacy_routes():
    minimax = {"prompt": "x", "image_url": IMG, "enhance_prompt": False}
    assert body("video-01", "legacy", **minimax)[1] == {
        "model": "video-01", "prompt": "x", "first_frame_image": IMG, "prompt_optimizer": False,
    }  # fmt: skip
    assert body("video-01", "unified", **minimax)[1] == {"model": "video-01", **minimax}
    runway = body("gen3a_turbo", "legacy", image_url=IMG, aspect_ratio="9:16", tail_image_url=IMG)[1]
    assert runway == {
        "model": "gen3a_turbo", "image_url": IMG, "ratio": "9:16", "last_image_url": IMG, "duration": 5,
    }  # fmt: skip
    assert (
        body("alibaba/wan2.1-t2v-plus", "legacy", prompt="x", enhance_prompt=True)[1]["enable_prompt_expansion"] is True
    )
    luma_legacy = body("luma/ray-2", "legacy", prompt="x", duration=9)[1]
    assert (luma_legacy["model"], luma_legacy["duration"]) == ("ray-2", "9s")
    luma_unified = body("luma/ray-2", "unified", prompt="x", duration=9)[1]
    assert (luma_unified["model"], luma_unified["duration"]) == ("luma/ray-2", 9)


def test_documented_defaults_are_sent_so_equal_requests_look_equal():
    assert build_request("google/veo3", prompt="a cat").to_api() == {
        "model": "google/veo3", "prompt": "a cat", "duration": 8, "resolution": "720P",
        "enhance_prompt": True, "generate_audio": True,
    }  # fmt: skip
    assert build_request("google/veo3", prompt="a cat") == build_request("google/veo3", prompt="a cat", duration=8)


def test_a_field_the_legacy_route_lacks_fails_before_sending():
    with pytest.raises(RequestValidationError, match="tail_image_url exists only on the unified route"):
        body("runway/gen4_turbo", "legacy", image_url=IMG, tail_image_url=IMG)


def test_unknown_models_get_close_matches_and_legacy_luma_ids_resolve():
    with pytest.raises(RequestValidationError, match="Did you mean: .*google/veo3") as caught:
        get_model("google/veo-3")
    assert "allow_unlisted_model=True" in str(caught.value)
    assert get_model("ray-2").id == "luma/ray-2"


def test_an_unlisted_model_is_refused_by_default_and_sent_as_given_when_allowed(caplog):
    with pytest.raises(RequestValidationError, match="not in the catalogue"):
        build_request("acme/dream-9", prompt="x")
    with caplog.at_level(logging.WARNING, logger="aimlapi_client.catalog"):
        request = build_request("acme/dream-9", allow_unlisted_model=True, prompt="x", frames={"n": 3})
    assert isinstance(request, UnlistedRequest)
    assert request.to_api() == {"model": "acme/dream-9", "prompt": "x", "frames": {"n": 3}}
    assert "Nothing was checked before paying" in caplog.text
    spec = get_model("acme/dream-9")
    assert (spec.unlisted, spec.route("legacy"), spec.body(request, "legacy")) == (
        True, "/v2/video/generations", request.to_api(),
    )  # fmt: skip
    music = build_request("acme/song-2", allow_unlisted_model=True, media="music", prompt="x")
    assert get_model(music.model).route("legacy") == "/v2/generate/audio"
    with pytest.raises(RequestValidationError, match="not JSON"):
        build_request("acme/dream-9", allow_unlisted_model=True, prompt=object())
    with pytest.raises(RequestValidationError, match="not in the catalogue"):
        build_request("acme/dream-9", prompt="x")  # allowed once is not allowed always


def test_allowing_unlisted_models_changes_nothing_for_listed_ones():
    with pytest.raises(RequestValidationError, match="duration must be one of 4, 6, 8"):
        build_request("google/veo3", allow_unlisted_model=True, prompt="x", duration=5)


def test_any_request_validates_each_item_for_its_model():
    adapter = TypeAdapter(list[AnyRequest])
    requests = adapter.validate_python(
        [{"model": "video-01", "prompt": "x"}, {"model": "openai/sora-2-t2v", "prompt": "y"}]
    )
    assert [type(r).__name__ for r in requests] == ["Video01", "OpenaiSora2T2v"]
    assert adapter.dump_python(requests)[1] == {"model": "openai/sora-2-t2v", "prompt": "y", "resolution": "720p",
                                                "aspect_ratio": "16:9", "duration": 4}  # fmt: skip
    with pytest.raises(ValidationError, match="openai/sora-2-t2v: duration must be one of 4, 8, 12"):
        adapter.validate_python([{"model": "openai/sora-2-t2v", "prompt": "y", "duration": 5}])


def test_requests_are_frozen():
    request = build_request("google/veo3", prompt="a cat")
    with pytest.raises(ValidationError, match="frozen"):
        request.duration = 4  # type: ignore[attr-defined]


def test_the_models_command_lists_every_model_with_kind_and_fields():
    out = subprocess.run(
        [sys.executable, "-m", "aimlapi_client", "models"], check=True, capture_output=True, text=True
    ).stdout
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:]}
    assert set(rows) == VENDOR_IDS
    assert rows["google/veo-3.1-i2v"][0] == "image-to-video"
    assert "image_url*" in " ".join(rows["google/veo-3.1-i2v"])
    assert len(list_models()) == len(VENDOR_IDS)


def test_the_client_package_does_not_import_prefect():
    code = "import sys, aimlapi_client, aimlapi_sim; assert not any(m.split('.')[0] == 'prefect' for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_readme_points_to_the_generated_model_table():
    root = Path(__file__).parents[2]
    assert "docs/models.md" in (root / "README.md").read_text()
    table = (root / "docs" / "models.md").read_text()
    assert [model for model in sorted(CATALOG) if f"| `{model}` |" not in table] == []
