"""The models the emulator serves, with their routes, rules and response shapes.

Every model of the catalogue data (the vendor's per-model schemas) is served on the
routes its schema names and on the unified route; the models whose vendor pages
also document a per-provider route are served there too, with that route's field
names. Response shapes (id style, where the file is) follow each family's docs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any, Literal

__all__ = ["AUDIO_ROUTE", "MODELS", "MUSIC_01_ROUTE", "UNIFIED_ALIASES", "UNIFIED_ROUTE", "SimModel", "legacy_route"]

UNIFIED_ROUTE = "/v2/video/generations"
UNIFIED_ALIASES = ("/v1/video/generations", "/video/generations")
AUDIO_ROUTE = "/v2/generate/audio"
MUSIC_01_ROUTE = "/v2/generate/audio/minimax/generate"

Schema = dict[str, Any]


def legacy_route(provider: str) -> str:
    """The per-provider route of a legacy provider slug."""
    return f"/v2/generate/video/{provider}/generation"


@dataclass(frozen=True)
class SimModel:
    """One model as the emulator serves it."""

    id: str
    fields: dict[str, Schema]  # in the names of the model's documented route
    required: list[str]
    routes: frozenset[str]  # where it is served: create and poll
    kind: str = "text-to-video"
    provider: str = ""  # the legacy route's slug, "audio" for music
    id_style: Literal["fal", "uuid", "numeric"] = "fal"
    result: Literal["fal", "url", "runway", "audio_wav", "audio_mp3"] = "url"
    legacy_names: dict[str, str] = field(default_factory=dict)  # unified -> legacy
    legacy_id: str | None = None
    legacy_fields: dict[str, Schema] = field(default_factory=dict)  # replaced on the legacy route
    unified_only: frozenset[str] = frozenset()
    documented_route: str = UNIFIED_ROUTE

    def schema_for(self, route: str) -> tuple[dict[str, Schema], list[str]]:
        """The fields and required names a create on `route` is checked against."""
        if route in (UNIFIED_ROUTE, *UNIFIED_ALIASES, AUDIO_ROUTE, MUSIC_01_ROUTE, self.documented_route):
            return dict(self.fields), list(self.required)
        fields = {self.legacy_names.get(k, k): v for k, v in self.fields.items() if k not in self.unified_only}
        return fields | self.legacy_fields, [self.legacy_names.get(name, name) for name in self.required]


_MINIMAX_NAMES = {"image_url": "first_frame_image", "enhance_prompt": "prompt_optimizer"}
# The per-provider routes of the vendor's mid-2025 pages: model -> (provider, overrides)
_LEGACY: dict[str, tuple[str, dict[str, Any]]] = {
    "veo2": ("google", {}),
    "veo2/image-to-video": ("google", {}),
    "google/veo3": ("google", {}),
    **{
        f"kling-video/{v}/{tier}/{kind}": ("kling", {})
        for v in ("v1", "v1.6")
        for tier in ("standard", "pro")
        for kind in ("text-to-video", "image-to-video")
    },
    "klingai/v2-master-text-to-video": ("kling", {}),
    "klingai/v2-master-image-to-video": ("kling", {}),
    "klingai/kling-video-v1.6-standard-effects": ("kling", {}),
    "klingai/kling-video-v1.6-pro-effects": ("kling", {}),
    **{
        f"luma/{name}": (
            "luma-ai",
            {"legacy_id": name, "legacy_fields": {"duration": {"type": "string", "enum": ["5s", "9s"]}}},
        )
        for name in ("ray-1-6", "ray-2", "ray-flash-2")
    },
    "video-01": ("minimax", {"legacy_names": _MINIMAX_NAMES, "id_style": "numeric"}),
    "video-01-live2d": ("minimax", {"legacy_names": _MINIMAX_NAMES, "id_style": "numeric"}),
    "gen3a_turbo": (
        "runway",
        {"legacy_names": {"aspect_ratio": "ratio", "tail_image_url": "last_image_url"}, "result": "runway"},
    ),
    "runway/gen4_turbo": (
        "runway",
        {"legacy_names": {"aspect_ratio": "ratio"}, "unified_only": frozenset({"tail_image_url"}), "result": "runway"},
    ),
    "alibaba/wan2.1-t2v-plus": ("alibaba", {"legacy_names": {"enhance_prompt": "enable_prompt_expansion"}}),
    "alibaba/wan2.1-t2v-turbo": ("alibaba", {"legacy_names": {"enhance_prompt": "enable_prompt_expansion"}}),
}


def _sim_model(model_id: str, row: dict[str, Any]) -> SimModel:
    provider, overrides = _LEGACY.get(model_id, ("", {}))
    documented = row["create_route"]
    if documented.startswith("/v2/generate/video/"):
        provider = documented.split("/")[4]  # documented only on a per-provider route
    routes = {documented, *(route for route in row["routes"])}
    if row["kind"] == "music":
        provider = "audio"
    else:
        routes |= {UNIFIED_ROUTE, *UNIFIED_ALIASES}  # every video model is on the universal URL
    if provider and provider != "audio":
        routes.add(legacy_route(provider))
    result = {".wav": "audio_wav", ".mp3": "audio_mp3"}.get(row["extension"], "url")
    if result == "url" and (provider in ("google", "kling") or model_id.startswith(("google/", "klingai/", "kling-"))):
        result = "fal"  # served through fal: the result names its file
    uuid_ids = provider in ("runway", "alibaba") or model_id.startswith(("alibaba/", "runway/"))
    defaults: dict[str, Any] = {"result": result, "id_style": "uuid" if uuid_ids else "fal"}
    return SimModel(
        id=model_id,
        fields=row["fields"],
        required=row["required"],
        routes=frozenset(routes),
        kind=row["kind"],
        provider=provider,
        documented_route=documented,
        **(defaults | overrides),
    )


def _load() -> dict[str, SimModel]:
    data = json.loads((files("aimlapi_client") / "data" / "catalog.json").read_text())
    return {model_id: _sim_model(model_id, row) for model_id, row in data["models"].items()}


MODELS: dict[str, SimModel] = _load()
