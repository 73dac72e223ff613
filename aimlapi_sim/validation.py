"""Request validation as the API does it: Zod-style messages in its error envelope.

It reads the per-model field schemas of the catalogue data (the vendor's facts) with
its own small JSON-schema checker, independent of the client's pydantic models, so
the emulator catches a client that sends what the API would reject.
"""

from __future__ import annotations

import base64
from typing import Any

__all__ = ["check_body"]

Schema = dict[str, Any]
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def check_body(body: dict[str, Any], fields: dict[str, Schema], required: list[str]) -> str | None:
    """The API's 400 message for `body` under a model's field schemas, or None if valid."""
    problem = _check_object(body, {"properties": fields, "required": required}, "", ignore={"model"})
    return f"Body validation error! {problem}" if problem else None


def _check_object(value: dict[str, Any], schema: Schema, path: str, ignore: set[str] = frozenset()) -> str | None:  # type: ignore[assignment]
    properties: dict[str, Schema] = schema.get("properties", {})
    unknown = sorted(set(value) - set(properties) - ignore)
    if unknown and properties:
        return f"{path or 'body'}: Unrecognized key(s) in object: " + ", ".join(f"'{k}'" for k in unknown)
    for name in schema.get("required", []):
        if value.get(name) is None:
            return f"{path}{name}: Required"
    for name, sub in properties.items():
        if name in value:
            problem = _check(value[name], sub, f"{path}{name}", required=name in schema.get("required", []))
            if problem:
                return problem
    return None


def _check(value: Any, schema: Schema, path: str, required: bool = False) -> str | None:
    if value is None:
        return None if not required or schema.get("nullable") else f"{path}: Required"
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        problems = [_check(value, option, path) for option in options if option.get("type") or "anyOf" in option]
        return None if any(p is None for p in problems) else f"{path}: Invalid input"
    kinds = _TYPES.get(schema.get("type", ""), ())
    # bool is an int in Python; the API's schema keeps them apart
    if kinds and (not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds)):
        return f"{path}: Expected {schema['type']}, received {_name(value)}"
    if schema.get("type") == "integer" and isinstance(value, float):
        return f"{path}: Expected integer, received float"
    if "enum" in schema and value not in schema["enum"]:
        expected = " | ".join(repr(choice) for choice in schema["enum"])
        return f"{path}: Invalid enum value. Expected {expected}, received {value!r}"
    if isinstance(value, str):
        return _check_string(value, schema, path, required)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{path}: Number must be greater than or equal to {schema['minimum']:g}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"{path}: Number must be less than or equal to {schema['maximum']:g}"
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            return f"{path}: Array must contain at least {schema['minItems']} element(s)"
        if len(value) > schema.get("maxItems", len(value)):
            return f"{path}: Array must contain at most {schema['maxItems']} element(s)"
        for index, item in enumerate(value):
            problem = _check(item, schema.get("items", {}), f"{path}.{index}", required=True)
            if problem:
                return problem
    if isinstance(value, dict) and "properties" in schema:
        return _check_object(value, schema, f"{path}.")
    return None


def _check_string(value: str, schema: Schema, path: str, required: bool) -> str | None:
    if required and not value.strip():
        return f"{path}: String must contain at least 1 character(s)"
    if len(value) < schema.get("minLength", 0):
        return f"{path}: String must contain at least {schema['minLength']} character(s)"
    if len(value) > schema.get("maxLength", len(value)):
        return f"{path}: String must contain at most {schema['maxLength']} character(s)"
    if schema.get("format") == "uri" and not value.startswith(("https://", "http://", "data:")):
        return f"{path}: Invalid url"
    if schema.get("format") == "uri" and value.startswith("data:") and not _is_base64_data_uri(value):
        return f"{path}: Invalid data URI: expected data:<type>;base64,<data>"
    return None


def _is_base64_data_uri(value: str) -> bool:
    header, _, payload = value.partition(",")
    if not header.endswith(";base64") or not payload:
        return False
    try:
        base64.b64decode(payload, validate=True)
    except ValueError:
        return False
    return True


def _name(value: Any) -> str:
    names = {str: "string", int: "number", float: "number", bool: "boolean", list: "array", dict: "object"}
    return names.get(type(value), type(value).__name__)
