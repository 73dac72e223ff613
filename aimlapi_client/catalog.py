"""Every model this client can drive: one row per model id.

The rows come from `data/catalog.json`, generated from the vendor's per-model
schemas by `python -m aimlapi_client.catalog_build`: each model's media kind,
documented create route, fields (types, enums, bounds, defaults, required) and the
expected generation time the poller schedules from. Typed request validation is
built from those fields (`requests/_schema.py`).

Hand-written here is only what the schemas cannot say: the legacy per-provider
routes of the models that have them (with their field renames, Luma's model names,
duration strings and long-poll), checks across fields, MiniMax music-01's answer in
the create response, and the opt-in door for models newer than the catalogue.
"""

from __future__ import annotations

import difflib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib.resources import files
from typing import Annotated, Any, Literal, NoReturn

from pydantic import BeforeValidator, SerializeAsAny, ValidationError, WithJsonSchema

from ._local_media import inline_local_files
from .errors import RequestValidationError
from .requests import RequestBase, UnlistedRequest, request_model

__all__ = [
    "CATALOG",
    "AnyRequest",
    "ModelSpec",
    "RouteStyle",
    "build_request",
    "get_model",
    "list_models",
]

logger = logging.getLogger(__name__)

RouteStyle = Literal["legacy", "unified"]
Media = Literal["video", "music"]
UNIFIED_VIDEO_ROUTE = "/v2/video/generations"
AUDIO_ROUTE = "/v2/generate/audio"
LONG_POLL_S = 30.0
"""How long a long-poll may hold a request, by the vendor's docs."""
UNLISTED_EXPECTED_S = 120.0
"""The prior for a model the catalogue does not know, until learned priors replace it."""


@dataclass(frozen=True)
class LegacyRoute:
    """A model's per-provider route (`/v2/generate/video/{provider}/generation`) and
    how its field names and values differ from the unified route's."""

    provider: str
    names: Mapping[str, str] = field(default_factory=dict)
    """Unified field name -> the legacy route's name for it."""
    model_id: str | None = None
    """The model id the legacy route expects, where it differs."""
    unified_only: frozenset[str] = frozenset()
    values: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    long_poll_state: str | None = None
    """A `state` query value that makes a poll hold the request until the job
    reaches it (a long-poll of up to `LONG_POLL_S`), where the route offers one."""


@dataclass(frozen=True)
class ModelSpec:
    """What the client needs to know about one model id."""

    id: str
    kind: str
    """text-to-video, image-to-video, video-to-video, reference-to-video, extend,
    effects, avatar, music; `unlisted` for a model the catalogue does not know."""
    expected_s: float
    """Typical seconds from submission to a finished result."""
    expected_source: str = ""
    vendor: str = ""
    """Who makes the model (the vendor's docs folder, e.g. `google`, `kling-ai`)."""
    extension: str = ".mp4"
    """File extension when the result does not say its content type."""
    create_route: str = UNIFIED_VIDEO_ROUTE
    routes: tuple[str, ...] = (UNIFIED_VIDEO_ROUTE,)
    schema: Mapping[str, Any] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    legacy: LegacyRoute | None = None
    answers_at_once: bool = False
    """The create response carries the result itself (MiniMax music-01): no polling."""
    unlisted: bool = False
    """Not in the catalogue: sent unchecked, by the caller's explicit choice."""

    @cached_property
    def request_type(self) -> type[RequestBase]:
        """The pydantic model that validates this model's requests."""
        if self.unlisted:
            return UnlistedRequest
        return request_model(self.id, dict(self.schema), list(self.required))

    @cached_property
    def uri_fields(self) -> frozenset[str]:
        """The fields media inputs go in: typed as URIs by the schema, or named so (`*_url`, `*_urls`)."""
        return frozenset(
            name
            for name, field_schema in self.schema.items()
            if name.endswith(("_url", "_urls"))
            or "uri" in (field_schema.get("format"), field_schema.get("items", {}).get("format"))
            or any(option.get("format") == "uri" for option in field_schema.get("anyOf", []))
        )

    @property
    def fields(self) -> list[str]:
        """The request fields a user can set."""
        return list(self.schema)

    def long_poll(self, style: RouteStyle) -> dict[str, str] | None:
        """Extra query parameters that turn a poll into a long-poll, if the route has one."""
        if self._on_legacy_route(style) and self.legacy and self.legacy.long_poll_state:
            return {"state": self.legacy.long_poll_state}
        return None

    def route(self, style: RouteStyle) -> str:
        """The path that creates and polls this model's jobs in `style`.

        Music has its own routes in both styles. A model without a legacy route
        uses the unified one in both styles; a model documented only on a legacy
        route uses that one in both.
        """
        if self.kind == "music":
            return self.create_route
        if style == "legacy" and self.legacy:
            return f"/v2/generate/video/{self.legacy.provider}/generation"
        return UNIFIED_VIDEO_ROUTE if UNIFIED_VIDEO_ROUTE in self.routes else self.create_route

    def body(self, request: RequestBase, style: RouteStyle) -> dict[str, Any]:
        """The JSON body for `request` on the `style` route.

        Raises:
            RequestValidationError: A field set on the request does not exist on
                that route.
        """
        body = request.to_api()
        if not self._on_legacy_route(style) or self.legacy is None:
            return body
        missing = self.legacy.unified_only & body.keys()
        if missing:
            raise RequestValidationError(
                f"{self.id}: {', '.join(sorted(missing))} exists only on the unified route; "
                "set route_style='unified' on the credentials block or leave it unset"
            )
        body = {self.legacy.names.get(name, name): value for name, value in body.items()}
        if self.legacy.model_id:
            body["model"] = self.legacy.model_id
        return self.legacy.values(body) if self.legacy.values else body

    def _on_legacy_route(self, style: RouteStyle) -> bool:
        return self.kind != "music" and self.route(style) not in (UNIFIED_VIDEO_ROUTE, self.create_route)


def _luma_legacy(body: dict[str, Any]) -> dict[str, Any]:
    if "duration" in body:
        body["duration"] = f"{body['duration']}s"  # the legacy route wants "5s" / "9s"
    return body


def _legacy_routes() -> dict[str, LegacyRoute]:
    """The models whose vendor pages (mid-2025) document a per-provider route too."""
    minimax = LegacyRoute("minimax", names={"image_url": "first_frame_image", "enhance_prompt": "prompt_optimizer"})
    wan = LegacyRoute("alibaba", names={"enhance_prompt": "enable_prompt_expansion"})
    kling = LegacyRoute("kling")
    kling_ids = [
        f"kling-video/{version}/{tier}/{kind}"
        for version in ("v1", "v1.6")
        for tier in ("standard", "pro")
        for kind in ("text-to-video", "image-to-video")
    ]
    kling_ids += [
        "klingai/v2-master-text-to-video",
        "klingai/v2-master-image-to-video",
        "klingai/kling-video-v1.6-standard-effects",
        "klingai/kling-video-v1.6-pro-effects",
    ]
    routes = {model_id: kling for model_id in kling_ids}
    routes |= {model_id: LegacyRoute("google") for model_id in ("veo2", "veo2/image-to-video", "google/veo3")}
    routes |= {
        f"luma/{name}": LegacyRoute(
            "luma-ai",
            model_id=name,
            values=_luma_legacy,
            long_poll_state="completed",  # returns early on failure too: it comes after "completed"
        )
        for name in ("ray-1-6", "ray-2", "ray-flash-2")
    }
    routes |= {"video-01": minimax, "video-01-live2d": minimax}
    routes["gen3a_turbo"] = LegacyRoute("runway", names={"aspect_ratio": "ratio", "tail_image_url": "last_image_url"})
    routes["runway/gen4_turbo"] = LegacyRoute(
        "runway", names={"aspect_ratio": "ratio"}, unified_only=frozenset({"tail_image_url"})
    )
    routes |= {"alibaba/wan2.1-t2v-plus": wan, "alibaba/wan2.1-t2v-turbo": wan}
    return routes


def _documented_legacy(create_route: str) -> LegacyRoute | None:
    """The legacy route a schema names as the model's create route, if it does."""
    prefix, _, provider = create_route.removesuffix("/generation").rpartition("/")
    return LegacyRoute(provider) if prefix == "/v2/generate/video" else None


def _load() -> dict[str, ModelSpec]:
    data = json.loads((files(__package__) / "data" / "catalog.json").read_text())
    legacy = _legacy_routes()
    return {
        model_id: ModelSpec(
            id=model_id,
            kind=row["kind"],
            expected_s=row["expected_s"],
            expected_source=row["expected_source"],
            vendor=row["vendor"],
            extension=row["extension"],
            create_route=row["create_route"],
            routes=tuple(row["routes"]),
            schema=row["fields"],
            required=tuple(row["required"]),
            legacy=legacy.get(model_id) or _documented_legacy(row["create_route"]),
            answers_at_once=row["create_route"] == "/v2/generate/audio/minimax/generate",
        )
        for model_id, row in data["models"].items()
    }


CATALOG: dict[str, ModelSpec] = _load()
_ALIASES = {spec.legacy.model_id: spec.id for spec in CATALOG.values() if spec.legacy and spec.legacy.model_id}
_UNLISTED: dict[str, ModelSpec] = {}


def _typed_request(value: Any) -> Any:
    if isinstance(value, RequestBase):
        return value
    if not isinstance(value, Mapping) or not isinstance(value.get("model"), str):
        raise ValueError("each item needs a 'model' and that model's fields")
    options = dict(value)
    return build_request(options.pop("model"), **options)


AnyRequest = Annotated[
    SerializeAsAny[RequestBase],
    BeforeValidator(_typed_request),
    WithJsonSchema(
        {
            "type": "object",
            "properties": {"model": {"type": "string"}},
            "required": ["model"],
            "additionalProperties": True,
        }
    ),
]
"""Any request in the catalogue: a mapping with `model` and that model's fields,
validated for that model."""


def get_model(model: str) -> ModelSpec:
    """Return the catalogue row for `model` (legacy Luma ids such as `ray-2` too), or
    the row of an unlisted model this process was allowed to send.

    Raises:
        RequestValidationError: The model is unknown; the message lists close matches.
    """
    spec = CATALOG.get(_ALIASES.get(model, model)) or _UNLISTED.get(model)
    return spec if spec is not None else _refuse(model)


def _refuse(model: str) -> NoReturn:
    close = difflib.get_close_matches(model, CATALOG, n=3, cutoff=0.6)
    hint = f" Did you mean: {', '.join(close)}?" if close else " See `python -m aimlapi_client models`."
    raise RequestValidationError(
        f"model {model!r} is not in the catalogue.{hint} A model newer than the catalogue can be "
        "sent unchecked with allow_unlisted_model=True."
    )


def list_models() -> list[ModelSpec]:
    """Every supported model, sorted by kind, then id."""
    return sorted(CATALOG.values(), key=lambda spec: (spec.kind, spec.id))


def build_request(
    model: str,
    *,
    allow_unlisted_model: bool = False,
    media: Media = "video",
    log: logging.Logger | logging.LoggerAdapter[logging.Logger] | None = None,
    **options: Any,
) -> RequestBase:
    """Validate `options` for `model` and return its typed request.

    Options left as None take the model's defaults. A local image (a path or a
    `file://` URI) in an image field is sent as base64 where the model's docs allow
    it, after checking it against their limits; for other models it is refused.

    Args:
        model: A catalogue model id.
        allow_unlisted_model: Send a model the catalogue does not know as given, on
            the unified route of `media`, checked only as JSON (logged as a WARNING).
        media: What an unlisted model makes: `video` or `music`.
        log: Where the unlisted-model warning goes (this module's logger if unset).
        **options: The model's fields.

    Raises:
        RequestValidationError: The model is unknown (and not allowed unlisted) or an
            option is invalid; the message names the model, the field and what is
            allowed.
    """
    values = {name: value for name, value in options.items() if value is not None}
    listed = _ALIASES.get(model, model) in CATALOG
    if allow_unlisted_model and not listed:
        return _unlisted_request(model, media, values, log or logger)
    spec = CATALOG[_ALIASES.get(model, model)] if listed else _refuse(model)
    values = inline_local_files(spec.id, values, spec.uri_fields)
    try:
        request = spec.request_type(model=spec.id, **values)
    except ValidationError as exc:
        raise RequestValidationError(_describe(spec, exc)) from None
    check = _CROSS_FIELD_CHECKS.get(spec.id)
    problem = check(request.to_api()) if check else None
    if problem:
        raise RequestValidationError(f"{spec.id}: {problem}")
    return request


def _unlisted_request(
    model: str, media: Media, values: dict[str, Any], log: logging.Logger | logging.LoggerAdapter[logging.Logger]
) -> RequestBase:
    if not model.strip():
        raise RequestValidationError("model must not be empty")
    spec = ModelSpec(
        id=model,
        kind="music" if media == "music" else "unlisted",
        expected_s=UNLISTED_EXPECTED_S,
        expected_source="none: not in the catalogue",
        vendor=model.split("/")[0] if "/" in model else "unlisted",
        extension=".mp3" if media == "music" else ".mp4",
        create_route=AUDIO_ROUTE if media == "music" else UNIFIED_VIDEO_ROUTE,
        routes=(AUDIO_ROUTE if media == "music" else UNIFIED_VIDEO_ROUTE,),
        unlisted=True,
    )
    _UNLISTED[model] = spec
    try:
        request = UnlistedRequest(model=model, **values)
        json.dumps(request.to_api())
    except (ValidationError, TypeError, ValueError) as exc:
        raise RequestValidationError(f"{model}: the request is not JSON ({exc})") from None
    log.warning(
        "Model %r is not in the catalogue: sending it as given to %s (allow_unlisted_model=True). "
        "Nothing was checked before paying: a wrong field fails at the API, or is ignored.",
        model,
        spec.route("unified"),
    )
    return request


def _kling_effects(body: dict[str, Any]) -> str | None:
    images = body["image_url"] if isinstance(body["image_url"], list) else [body["image_url"]]
    needed = {"hug": 2, "kiss": 2, "heart_gesture": 2, "squish": 1, "expansion": 1}.get(body["effect_scene"])
    if needed and len(images) != needed:
        return f"image_url needs exactly {needed} image(s) for {body['effect_scene']}; got {len(images)}"
    return None


def _stable_audio(body: dict[str, Any]) -> str | None:
    if body.get("seconds_start", 0) >= body.get("seconds_total", 47):
        return "seconds_start must be less than seconds_total"
    return None


def _music_01(body: dict[str, Any]) -> str | None:
    if not (body.get("refer_voice") or body.get("refer_instrumental")):
        return "refer_voice or refer_instrumental is required (an id from the vendor's music upload)"
    return None


_CROSS_FIELD_CHECKS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "klingai/kling-video-v1.6-standard-effects": _kling_effects,
    "klingai/kling-video-v1.6-pro-effects": _kling_effects,
    "stable-audio": _stable_audio,
    "music-01": _music_01,
}
"""Rules the vendor states in prose, across fields, that a schema cannot express."""


def _describe(spec: ModelSpec, exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        field_name = ".".join(str(part) for part in error["loc"] if not _is_union_tag(part))
        got = _short(error.get("input"))
        kind, ctx = error["type"], error.get("ctx", {})
        if kind == "literal_error":
            problems.append(f"{field_name} must be one of {_allowed(ctx['expected'])}; got {got}")
        elif kind == "extra_forbidden":
            problems.append(f"{field_name} is not a field of this model; allowed: {', '.join(spec.fields)}")
        elif kind == "missing":
            problems.append(f"{field_name} is required")
        elif kind == "string_too_short" and ctx.get("min_length") == 1:
            problems.append(f"{field_name} must not be empty")
        else:
            problems.append(f"{field_name}: {error['msg'].removeprefix('Value error, ')}; got {got}")
    return f"{spec.id}: " + "; ".join(dict.fromkeys(problems))


def _is_union_tag(part: str | int) -> bool:
    # pydantic names the union member it tried (e.g. `Frame0`, `list[...]`) in the location
    return isinstance(part, str) and (part[:1].isupper() or "[" in part)


def _allowed(expected: str) -> str:
    # pydantic writes "4, 6 or 8"; we write "4, 6, 8" like the API's own enum messages
    return expected.replace(" or ", ", ")


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
