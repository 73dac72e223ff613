"""Parameter types that render as choices (or bounds) in the Prefect UI's run form.

Each is a plain `str` (or `int`) for Python callers and for validation; only its JSON
schema lists the catalogue's values, so the Custom run form shows dropdowns. The
values are the union over the flow's models; each request is still validated for
its own model before anything is paid for (and `allow_unlisted_model=True` still
lets Python callers name a model newer than the catalogue).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, WithJsonSchema

from aimlapi_client import CATALOG

__all__ = ["AnyModel", "AspectRatio", "Duration", "MusicModel", "Resolution", "Seconds", "VideoModel", "choices"]


def choices(field: str, *, music: bool = False) -> list[Any]:
    """Every value the catalogue allows for `field` over the video (or music) models."""
    values = {
        value
        for spec in CATALOG.values()
        if (spec.kind == "music") == music and field in spec.schema
        for value in spec.schema[field].get("enum", [])
    }
    return sorted(values, key=lambda value: (isinstance(value, str), len(str(value)), str(value)))


def _models(music: bool | None = None) -> list[str]:
    return sorted(model_id for model_id, spec in CATALOG.items() if music is None or (spec.kind == "music") == music)


def _optional(kind: str, values: list[Any]) -> dict[str, Any]:
    return {"anyOf": [{"type": kind, "enum": values}, {"type": "null"}]}


VideoModel = Annotated[str, WithJsonSchema({"type": "string", "enum": _models(music=False)})]
"""A video model id; the run form lists every video model of the catalogue."""
AnyModel = Annotated[str, WithJsonSchema({"type": "string", "enum": _models()})]
"""Any model id of the catalogue, video or music."""
MusicModel = Annotated[str, WithJsonSchema({"type": "string", "enum": _models(music=True)})]
"""A music model id; the run form lists every music model of the catalogue."""
AspectRatio = Annotated[str | None, WithJsonSchema(_optional("string", choices("aspect_ratio")))]
Duration = Annotated[
    int | None, WithJsonSchema(_optional("integer", [v for v in choices("duration") if type(v) is int]))
]
Resolution = Annotated[str | None, WithJsonSchema(_optional("string", choices("resolution")))]
Seconds = Annotated[float, Field(gt=0)]
"""A positive number of seconds (`deadline_s`, `expected_s`); anything else is refused before a run starts."""
