"""The models this client can drive: one row per model id.

A row says which route creates and polls the model's jobs, which pydantic model
validates its requests, and how long a generation usually takes (the prior the
poller schedules its polls from). Add a model by adding a row.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from .errors import RequestValidationError
from .models import Veo3Request, VideoRequestBase

__all__ = ["CATALOG", "ModelSpec", "build_request", "get_model", "list_models"]

ModelKind = Literal["text-to-video", "image-to-video", "effects", "music"]


@dataclass(frozen=True)
class ModelSpec:
    """What the client needs to know about one model id."""

    id: str
    provider: str
    kind: ModelKind
    request_type: type[VideoRequestBase]
    route: str
    expected_s: float
    """Typical wall-clock seconds from submission to a finished result."""
    extension: str = ".mp4"


CATALOG: dict[str, ModelSpec] = {
    spec.id: spec
    for spec in [
        ModelSpec(
            id="google/veo3",
            provider="google",
            kind="text-to-video",
            request_type=Veo3Request,
            route="/v2/generate/video/google/generation",
            expected_s=120,
        ),
    ]
}


def get_model(model: str) -> ModelSpec:
    """Return the catalogue row for `model`.

    Raises:
        RequestValidationError: The model is unknown; the message lists close matches.
    """
    try:
        return CATALOG[model]
    except KeyError:
        close = difflib.get_close_matches(model, CATALOG, n=3, cutoff=0.4)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise RequestValidationError(
            f"model must be one of {', '.join(sorted(CATALOG))}; got {model!r}.{hint}"
        ) from None


def list_models() -> list[ModelSpec]:
    """Every supported model, sorted by id."""
    return sorted(CATALOG.values(), key=lambda spec: spec.id)


def build_request(model: str, **options: Any) -> VideoRequestBase:
    """Validate `options` for `model` and return its typed request.

    Options left as None take the model's defaults.

    Raises:
        RequestValidationError: The model is unknown or an option is invalid; the
            message names the model, the field and what is allowed.
    """
    spec = get_model(model)
    values = {name: value for name, value in options.items() if value is not None}
    try:
        return spec.request_type(model=model, **values)
    except ValidationError as exc:
        raise RequestValidationError(_describe(model, spec.request_type, exc)) from None


def _describe(model: str, request_type: type[BaseModel], exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        field = ".".join(str(part) for part in error["loc"]) or "request"
        got = _short(error.get("input"))
        kind, ctx = error["type"], error.get("ctx", {})
        if kind == "literal_error":
            problems.append(f"{field} must be one of {_allowed(ctx['expected'])}; got {got}")
        elif kind == "extra_forbidden":
            allowed = ", ".join(name for name in request_type.model_fields if name != "model")
            problems.append(f"{field} is not a field of this model; allowed: {allowed}")
        elif kind == "missing":
            problems.append(f"{field} is required")
        elif kind == "string_too_short":
            problems.append(f"{field} must not be empty")
        else:
            problems.append(f"{field}: {error['msg']}; got {got}")
    return f"{model}: " + "; ".join(problems)


def _allowed(expected: str) -> str:
    # pydantic writes "4, 6 or 8"; we write "4, 6, 8" like the API's own enum messages
    return expected.replace(" or ", ", ")


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
