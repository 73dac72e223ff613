"""Request validation as the API does it: Zod-style messages in its error envelope.

Written from the vendor's documentation, independently of the client's pydantic
models, so the emulator catches a client that sends what the API would reject.
Rules are stated in the unified route's field names; `catalog.py` renames them
for the legacy per-provider routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Rule", "check_body", "enum", "number", "text"]


@dataclass(frozen=True)
class Rule:
    """How one body field is checked."""

    kind: type | tuple[type, ...]
    required: bool = False
    choices: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None


def text(required: bool = False, max_length: int | None = None) -> Rule:
    return Rule(str, required=required, max_length=max_length)


def enum(*choices: Any, required: bool = False) -> Rule:
    return Rule(type(choices[0]), required=required, choices=choices)


def number(low: float | None = None, high: float | None = None, kind: type | tuple = int) -> Rule:
    return Rule(kind, min=low, max=high)


def check_body(body: dict[str, Any], rules: dict[str, Rule]) -> str | None:
    """The API's 400 message for `body` under `rules`, or None if it is valid."""
    unknown = sorted(set(body) - set(rules) - {"model"})
    if unknown:
        return "Body validation error! Unrecognized key(s) in object: " + ", ".join(f"'{k}'" for k in unknown)
    for name, rule in rules.items():
        problem = _check(rule, body.get(name))
        if problem:
            return f"Body validation error! {name}: {problem}"
    return None


def _check(rule: Rule, value: Any) -> str | None:
    if value is None:
        return "Required" if rule.required else None
    kinds = rule.kind if isinstance(rule.kind, tuple) else (rule.kind,)
    # bool is an int in Python; the API's schema keeps them apart
    if isinstance(value, bool) != (bool in kinds) or not isinstance(value, kinds):
        expected = " | ".join(_NAMES.get(k, k.__name__) for k in kinds)
        return f"Expected {expected}, received {_NAMES.get(type(value), type(value).__name__)}"
    if rule.choices is not None and value not in rule.choices:
        expected = " | ".join(repr(choice) for choice in rule.choices)
        return f"Invalid enum value. Expected {expected}, received {value!r}"
    if isinstance(value, str) and rule.required and not value.strip():
        return "String must contain at least 1 character(s)"
    if rule.max_length is not None and isinstance(value, str) and len(value) > rule.max_length:
        return f"String must contain at most {rule.max_length} character(s)"
    if rule.min is not None and isinstance(value, int | float) and value < rule.min:
        return f"Number must be greater than or equal to {rule.min:g}"
    if rule.max is not None and isinstance(value, int | float) and value > rule.max:
        return f"Number must be less than or equal to {rule.max:g}"
    return None


_NAMES = {str: "string", int: "number", float: "number", bool: "boolean", list: "array", dict: "object"}
