"""Every model this client can drive: one row per model id.

A row says which family's request model validates the model's requests, which
route creates and polls its jobs (in both route styles), how the unified field
names translate for the legacy per-provider route, and how long a generation
usually takes (the prior the poller schedules its polls from; vendor figures where
documented, estimates otherwise). Add a model by adding a row.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, ValidationError

from .errors import RequestValidationError
from .requests import (
    Gen3aTurboRequest,
    Gen4TurboRequest,
    KlingEffectsRequest,
    KlingImageRequest,
    KlingTextRequest,
    LumaRequest,
    Lyria2Request,
    MiniMaxLive2dRequest,
    MiniMaxMusicRequest,
    MiniMaxRequest,
    RequestBase,
    StableAudioRequest,
    Veo2ImageRequest,
    Veo2Request,
    Veo3Request,
    Wan13bRequest,
    WanPlusRequest,
    WanTurboRequest,
)

__all__ = [
    "CATALOG",
    "AnyRequest",
    "ModelSpec",
    "RouteStyle",
    "build_request",
    "get_model",
    "list_models",
]

ModelKind = Literal["text-to-video", "image-to-video", "effects", "music"]
RouteStyle = Literal["legacy", "unified"]
UNIFIED_VIDEO_ROUTE = "/v2/video/generations"
LONG_POLL_S = 30.0
"""How long a long-poll may hold a request, by the vendor's docs."""
AUDIO_ROUTE = "/v2/generate/audio"


@dataclass(frozen=True)
class ModelSpec:
    """What the client needs to know about one model id."""

    id: str
    provider: str
    """The provider slug of the legacy route, e.g. `google` or `luma-ai`."""
    kind: ModelKind
    request_type: type[RequestBase]
    expected_s: float
    """Typical seconds from submission to a finished result."""
    extension: str = ".mp4"
    """File extension when the result does not say its content type."""
    legacy_names: Mapping[str, str] = field(default_factory=dict)
    """Unified field name -> the legacy route's name for it."""
    legacy_id: str | None = None
    """The model id the legacy route expects, where it differs."""
    legacy_only: frozenset[str] = frozenset()
    unified_only: frozenset[str] = frozenset()
    legacy_values: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    long_poll_state: str | None = None
    """A `state` query value that makes the legacy poll hold the request until the job
    reaches it (a long-poll of up to `LONG_POLL_S`), where the route offers one (Luma)."""

    def long_poll(self, style: RouteStyle) -> dict[str, str] | None:
        """Extra query parameters that turn a poll into a long-poll, if the route has one."""
        if style == "legacy" and self.long_poll_state and self.kind != "music":
            return {"state": self.long_poll_state}
        return None

    def route(self, style: RouteStyle) -> str:
        """The path that creates and polls this model's jobs."""
        if self.kind == "music":
            return AUDIO_ROUTE  # music has one route in both styles
        if style == "unified":
            return UNIFIED_VIDEO_ROUTE
        return f"/v2/generate/video/{self.provider}/generation"

    def body(self, request: RequestBase, style: RouteStyle) -> dict[str, Any]:
        """The JSON body for `request` on the `style` route.

        Raises:
            RequestValidationError: A field set on the request does not exist on
                that route.
        """
        body = request.to_api()
        if self.kind == "music":
            return body
        missing = (self.legacy_only if style == "unified" else self.unified_only) & body.keys()
        if missing:
            other = "legacy" if style == "unified" else "unified"
            raise RequestValidationError(
                f"{self.id}: {', '.join(sorted(missing))} exists only on the {other} route; "
                f"set route_style={other!r} on the credentials block or leave it unset"
            )
        if style == "unified":
            return body
        body = {self.legacy_names.get(name, name): value for name, value in body.items()}
        if self.legacy_id:
            body["model"] = self.legacy_id
        return self.legacy_values(body) if self.legacy_values else body

    @property
    def fields(self) -> list[str]:
        """The request fields a user can set."""
        return [name for name in self.request_type.model_fields if name != "model"]


def _luma_legacy(body: dict[str, Any]) -> dict[str, Any]:
    if "duration" in body:
        body["duration"] = f"{body['duration']}s"  # the legacy route wants "5s" / "9s"
    return body


def _rows(request_type: type[RequestBase], **common: Any) -> list[ModelSpec]:
    """One row per model id that `request_type` accepts."""
    ids = get_args(request_type.model_fields["model"].annotation)
    return [ModelSpec(id=model_id, request_type=request_type, **common) for model_id in ids]


_KLING_STANDARD = {"provider": "kling", "expected_s": 240}
_MINIMAX_NAMES = {"image_url": "first_frame_image", "enhance_prompt": "prompt_optimizer"}
_WAN_NAMES = {"enhance_prompt": "enable_prompt_expansion"}

CATALOG: dict[str, ModelSpec] = {
    spec.id: spec
    for spec in [
        *_rows(Veo2Request, provider="google", kind="text-to-video", expected_s=90),
        *_rows(Veo2ImageRequest, provider="google", kind="image-to-video", expected_s=90),
        *_rows(Veo3Request, provider="google", kind="text-to-video", expected_s=120),
        *_rows(KlingTextRequest, kind="text-to-video", **_KLING_STANDARD),
        *_rows(KlingImageRequest, kind="image-to-video", **_KLING_STANDARD),
        *_rows(KlingEffectsRequest, kind="effects", **_KLING_STANDARD),
        *[
            ModelSpec(
                id=model_id,
                provider="luma-ai",
                kind="text-to-video",
                request_type=LumaRequest,
                expected_s=60,
                legacy_id=model_id.removeprefix("luma/"),
                legacy_values=_luma_legacy,
                long_poll_state="completed",  # returns early on failure too: it comes after "completed"
            )
            for model_id in get_args(LumaRequest.model_fields["model"].annotation)
        ],
        *_rows(MiniMaxRequest, provider="minimax", kind="text-to-video", expected_s=30, legacy_names=_MINIMAX_NAMES),
        *_rows(
            MiniMaxLive2dRequest, provider="minimax", kind="image-to-video", expected_s=30, legacy_names=_MINIMAX_NAMES
        ),
        *_rows(
            Gen3aTurboRequest,
            provider="runway",
            kind="image-to-video",
            expected_s=60,
            legacy_names={"aspect_ratio": "ratio", "tail_image_url": "last_image_url"},
        ),
        *_rows(
            Gen4TurboRequest,
            provider="runway",
            kind="image-to-video",
            expected_s=60,
            legacy_names={"aspect_ratio": "ratio"},
            unified_only=frozenset({"tail_image_url"}),
        ),
        *_rows(
            Wan13bRequest,
            provider="alibaba",
            kind="text-to-video",
            expected_s=120,
            legacy_names=_WAN_NAMES,
            legacy_only=frozenset({"inference_steps", "guidance_scale", "shift", "sampler", "enable_safety_checker"}),
        ),
        *_rows(WanPlusRequest, provider="alibaba", kind="text-to-video", expected_s=120, legacy_names=_WAN_NAMES),
        *_rows(WanTurboRequest, provider="alibaba", kind="text-to-video", expected_s=90, legacy_names=_WAN_NAMES),
        *_rows(Lyria2Request, provider="audio", kind="music", expected_s=35, extension=".wav"),
        *_rows(StableAudioRequest, provider="audio", kind="music", expected_s=30, extension=".wav"),
        *_rows(MiniMaxMusicRequest, provider="audio", kind="music", expected_s=55, extension=".mp3"),
    ]
}
# The vendor quotes 5-6 minutes for a 5-second Kling v2-master clip.
for _model_id in ("klingai/v2-master-text-to-video", "klingai/v2-master-image-to-video"):
    CATALOG[_model_id] = replace(CATALOG[_model_id], expected_s=330)
_ALIASES = {spec.legacy_id: spec.id for spec in CATALOG.values() if spec.legacy_id}

AnyRequest = Annotated[
    Veo2Request
    | Veo2ImageRequest
    | Veo3Request
    | KlingTextRequest
    | KlingImageRequest
    | KlingEffectsRequest
    | LumaRequest
    | MiniMaxRequest
    | MiniMaxLive2dRequest
    | Gen3aTurboRequest
    | Gen4TurboRequest
    | Wan13bRequest
    | WanPlusRequest
    | WanTurboRequest
    | Lyria2Request
    | StableAudioRequest
    | MiniMaxMusicRequest,
    Field(discriminator="model"),
]
"""Any request in the catalogue, told apart by its `model` field."""


def get_model(model: str) -> ModelSpec:
    """Return the catalogue row for `model` (legacy Luma ids such as `ray-2` too).

    Raises:
        RequestValidationError: The model is unknown; the message lists close matches.
    """
    spec = CATALOG.get(_ALIASES.get(model, model))
    if spec is not None:
        return spec
    close = difflib.get_close_matches(model, CATALOG, n=3, cutoff=0.6)
    hint = f" Did you mean: {', '.join(close)}?" if close else " See `python -m aimlapi_client models`."
    raise RequestValidationError(f"model {model!r} is not supported.{hint}")


def list_models() -> list[ModelSpec]:
    """Every supported model, sorted by kind, then id."""
    return sorted(CATALOG.values(), key=lambda spec: (spec.kind, spec.id))


def build_request(model: str, **options: Any) -> RequestBase:
    """Validate `options` for `model` and return its typed request.

    Options left as None take the model's defaults.

    Raises:
        RequestValidationError: The model is unknown or an option is invalid; the
            message names the model, the field and what is allowed.
    """
    spec = get_model(model)
    values = {name: value for name, value in options.items() if value is not None}
    try:
        return spec.request_type(model=spec.id, **values)
    except ValidationError as exc:
        raise RequestValidationError(_describe(spec, exc)) from None


def _describe(spec: ModelSpec, exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        field_name = ".".join(str(part) for part in error["loc"])
        got = _short(error.get("input"))
        kind, ctx = error["type"], error.get("ctx", {})
        if kind == "literal_error":
            problems.append(f"{field_name} must be one of {_allowed(ctx['expected'])}; got {got}")
        elif kind == "extra_forbidden":
            problems.append(f"{field_name} is not a field of this model; allowed: {', '.join(spec.fields)}")
        elif kind == "missing":
            problems.append(f"{field_name} is required")
        elif kind == "string_too_short":
            problems.append(f"{field_name} must not be empty")
        elif kind == "value_error" and not field_name:
            problems.append(error["msg"].removeprefix("Value error, "))
        else:
            problems.append(f"{field_name}: {error['msg']}; got {got}")
    return f"{spec.id}: " + "; ".join(problems)


def _allowed(expected: str) -> str:
    # pydantic writes "4, 6 or 8"; we write "4, 6, 8" like the API's own enum messages
    return expected.replace(" or ", ", ")


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
