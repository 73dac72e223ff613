"""Typed request models built from the catalogue's per-model field schemas.

Each model id gets a pydantic model whose fields, types, enums, bounds, defaults
and required set are those of the vendor's schema (`data/catalog.json`), so a wrong
value fails before anything is paid for, with pydantic naming the field.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from ._base import RequestBase, url_or_data_uri

__all__ = ["request_model"]

Schema = dict[str, Any]
_SCALARS: dict[str, type] = {"string": str, "integer": int, "number": float, "boolean": bool}


def request_model(model_id: str, fields: dict[str, Schema], required: list[str]) -> type[RequestBase]:
    """The request model of `model_id`: `model` plus one typed field per schema field."""
    definitions: dict[str, Any] = {"model": (Literal[model_id], model_id)}  # type: ignore[valid-type]
    for name, schema in fields.items():
        definitions[name] = _field(name, schema, name in required)
    return create_model(_class_name(model_id), __base__=RequestBase, **definitions)  # type: ignore[call-overload,no-any-return]


def _field(name: str, schema: Schema, required: bool) -> tuple[Any, Any]:
    annotation = _type(schema, name, required)
    if required:
        return annotation, ...
    return annotation | None, Field(schema.get("default"))


def _type(schema: Schema, name: str, required: bool = False) -> Any:
    """The Python type of a JSON schema: scalars, enums, URLs, lists, nested objects."""
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = tuple(_type(option, name) for option in schema[key])
            return Union[options]  # noqa: UP007 - a runtime-built union
    kind = schema.get("type")
    if "enum" in schema:
        return Literal[tuple(schema["enum"])]
    if kind == "array":
        item = _type(schema.get("items", {}), name)
        bounds = {"min_length": schema.get("minItems"), "max_length": schema.get("maxItems")}
        return Annotated[list[item], Field(**{k: v for k, v in bounds.items() if v is not None})]  # type: ignore[valid-type]
    if kind == "object":
        if "properties" not in schema:
            return dict[str, Any]
        return _object_model(name, schema)
    if kind not in _SCALARS:
        return type(None) if schema.get("nullable") else Any
    constraints = {
        "min_length": schema.get("minLength", 1 if required and kind == "string" else None),
        "max_length": schema.get("maxLength"),
        "ge": schema.get("minimum"),
        "le": schema.get("maximum"),
    }
    annotated: Any = Annotated[_SCALARS[kind], Field(**{k: v for k, v in constraints.items() if v is not None})]
    if schema.get("format") == "uri":
        annotated = Annotated[annotated, AfterValidator(url_or_data_uri)]
    return annotated


def _object_model(name: str, schema: Schema) -> type[BaseModel]:
    needed = set(schema.get("required", []))
    properties = {
        prop: _field(prop, sub, prop in needed) if prop in needed else (_type(sub, prop) | None, None)
        for prop, sub in schema["properties"].items()
    }
    config = ConfigDict(extra="forbid", frozen=True)
    return create_model(_class_name(name), __config__=config, **properties)  # type: ignore[call-overload,no-any-return]


def _class_name(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text)) or "Request"
