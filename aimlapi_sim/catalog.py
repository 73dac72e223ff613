"""The models the emulator serves, with their rules and response shapes per family."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .validation import Rule, enum, number, text

__all__ = ["AUDIO_ROUTE", "MODELS", "PROVIDERS", "UNIFIED_ROUTE", "SimModel"]

UNIFIED_ROUTE = "/v2/video/generations"
AUDIO_ROUTE = "/v2/generate/audio"
PROVIDERS = ("google", "kling", "luma-ai", "minimax", "runway", "alibaba")
U32 = 2**32 - 1


@dataclass(frozen=True)
class SimModel:
    """One model as the emulator serves it."""

    id: str
    provider: str  # legacy route slug, or "audio"
    rules: dict[str, Rule]  # in unified names
    id_style: Literal["fal", "uuid", "numeric"] = "fal"
    result: Literal["fal", "url", "runway", "audio_wav", "audio_mp3"] = "url"
    legacy_names: dict[str, str] = field(default_factory=dict)  # unified -> legacy
    legacy_id: str | None = None
    legacy_rules: dict[str, Rule] = field(default_factory=dict)  # legacy-only or replaced
    unified_only: frozenset[str] = frozenset()

    def rules_for(self, legacy: bool) -> dict[str, Rule]:
        if not legacy:
            return dict(self.rules)
        renamed = {self.legacy_names.get(k, k): v for k, v in self.rules.items() if k not in self.unified_only}
        return renamed | self.legacy_rules


def _veo2(image: bool) -> dict[str, Rule]:
    rules = {
        "prompt": text(required=True),
        "aspect_ratio": enum("16:9", "9:16"),
        "duration": enum(5, 6, 7, 8),
        "negative_prompt": text(),
        "seed": number(0, U32),
        "enhance_prompt": Rule(bool),
    }
    return rules | ({"image_url": text(required=True), "tail_image_url": text()} if image else {})


_KLING_T2V = {
    "prompt": text(required=True),
    "aspect_ratio": enum("16:9", "9:16", "1:1"),
    "duration": enum(5, 10),
    "negative_prompt": text(),
    "cfg_scale": number(0, 1, (int, float)),
    "camera_control": enum("down_back", "forward_up", "right_turn_forward", "left_turn_forward"),
    "advanced_camera_control": Rule(dict),
}
_KLING_I2V = {
    "prompt": text(required=True),
    "image_url": text(required=True),
    "tail_image_url": text(),
    "duration": enum(5, 10),
    "negative_prompt": text(),
    "cfg_scale": number(0, 1, (int, float)),
}
_KLING_EFFECTS = {
    "image_url": Rule((str, list), required=True),
    "effect_scene": enum("hug", "kiss", "heart_gesture", "squish", "expansion", required=True),
    "duration": enum(5, 10),
}
_LUMA = {
    "prompt": text(required=True),
    "aspect_ratio": enum("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"),
    "loop": Rule(bool),
    "keyframes": Rule(dict),
    "resolution": enum("540p", "720p", "1080p", "4k"),
    "duration": enum(5, 9),
}
_MINIMAX = {"prompt": text(required=True, max_length=2000), "enhance_prompt": Rule(bool), "image_url": text()}
_MINIMAX_NAMES = {"image_url": "first_frame_image", "enhance_prompt": "prompt_optimizer"}
_RUNWAY = {
    "image_url": text(required=True),
    "prompt": text(max_length=1000),
    "tail_image_url": text(),
    "duration": enum(5, 10),
    "seed": number(0, U32),
}
_WAN = {"prompt": text(required=True), "negative_prompt": text(), "seed": number(0, U32), "enhance_prompt": Rule(bool)}
_WAN_NAMES = {"enhance_prompt": "enable_prompt_expansion"}

_ROWS = [
    SimModel("veo2", "google", _veo2(False), result="fal"),
    SimModel("veo2/image-to-video", "google", _veo2(True), result="fal"),
    SimModel(
        "google/veo3",
        "google",
        {
            "prompt": text(required=True),
            "aspect_ratio": enum("16:9", "9:16"),
            "duration": enum(4, 6, 8),
            "negative_prompt": text(),
            "enhance_prompt": Rule(bool),
            "seed": number(0, U32),
            "generate_audio": Rule(bool),
            "resolution": enum("720P", "1080P"),
        },
        result="fal",
    ),
    *[
        SimModel(model_id, "kling", rules, result="fal")
        for rules, ids in [
            (
                _KLING_T2V,
                [
                    "kling-video/v1/standard/text-to-video",
                    "kling-video/v1/pro/text-to-video",
                    "kling-video/v1.6/standard/text-to-video",
                    "kling-video/v1.6/pro/text-to-video",
                    "klingai/v2-master-text-to-video",
                ],
            ),
            (
                _KLING_I2V,
                [
                    "kling-video/v1/standard/image-to-video",
                    "kling-video/v1/pro/image-to-video",
                    "kling-video/v1.6/standard/image-to-video",
                    "kling-video/v1.6/pro/image-to-video",
                    "klingai/v2-master-image-to-video",
                ],
            ),
            (_KLING_EFFECTS, ["klingai/kling-video-v1.6-standard-effects", "klingai/kling-video-v1.6-pro-effects"]),
        ]
        for model_id in ids
    ],
    *[
        SimModel(f"luma/{name}", "luma-ai", _LUMA, legacy_id=name, legacy_rules={"duration": enum("5s", "9s")})
        for name in ("ray-1-6", "ray-2", "ray-flash-2")
    ],
    SimModel("video-01", "minimax", _MINIMAX, id_style="numeric", legacy_names=_MINIMAX_NAMES),
    SimModel(
        "video-01-live2d",
        "minimax",
        _MINIMAX | {"image_url": text(required=True)},
        id_style="numeric",
        legacy_names=_MINIMAX_NAMES,
    ),
    SimModel(
        "gen3a_turbo",
        "runway",
        _RUNWAY | {"aspect_ratio": enum("16:9", "9:16")},
        id_style="uuid",
        result="runway",
        legacy_names={"aspect_ratio": "ratio", "tail_image_url": "last_image_url"},
    ),
    SimModel(
        "runway/gen4_turbo",
        "runway",
        _RUNWAY | {"aspect_ratio": enum("16:9", "9:16", "4:3", "3:4", "1:1", "21:9")},
        id_style="uuid",
        result="runway",
        legacy_names={"aspect_ratio": "ratio"},
        unified_only=frozenset({"tail_image_url"}),
    ),
    SimModel(
        "wan/v2.1/1.3b/text-to-video",
        "alibaba",
        _WAN | {"aspect_ratio": enum("16:9", "9:16")},
        id_style="uuid",
        legacy_names=_WAN_NAMES,
        legacy_rules={
            "inference_steps": number(1, 100),
            "guidance_scale": number(0, 20, (int, float)),
            "shift": number(0, 20, (int, float)),
            "sampler": enum("unipc", "dpm+"),
            "enable_safety_checker": Rule(bool),
        },
    ),
    SimModel(
        "alibaba/wan2.1-t2v-plus",
        "alibaba",
        _WAN
        | {
            "aspect_ratio": enum("16:9", "9:16", "1:1", "4:3", "3:4"),
            "resolution": enum("720P"),
            "watermark": Rule(bool),
        },
        id_style="uuid",
        legacy_names=_WAN_NAMES,
    ),
    SimModel(
        "alibaba/wan2.1-t2v-turbo",
        "alibaba",
        _WAN
        | {
            "aspect_ratio": enum("16:9", "9:16", "1:1", "4:3", "3:4"),
            "resolution": enum("480P", "720P"),
            "watermark": Rule(bool),
        },
        id_style="uuid",
        legacy_names=_WAN_NAMES,
    ),
    SimModel(
        "google/lyria2",
        "audio",
        {"prompt": text(required=True), "negative_prompt": text(), "seed": number(0)},
        result="audio_wav",
    ),
    SimModel(
        "stable-audio",
        "audio",
        {
            "prompt": text(required=True),
            "seconds_start": number(1, 47),
            "seconds_total": number(1, 47),
            "steps": number(1, 1000),
        },
        result="audio_wav",
    ),
    SimModel(
        "minimax-music",
        "audio",
        {"prompt": text(required=True, max_length=600), "reference_audio_url": text(required=True)},
        result="audio_mp3",
    ),
]

MODELS: dict[str, SimModel] = {model.id: model for model in _ROWS}
