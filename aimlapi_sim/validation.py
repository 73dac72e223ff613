"""Request validation as the API does it: Zod-style messages in its error envelope.

Written from the vendor's documentation, independently of the client's pydantic
models, so the emulator catches a client that sends what the API would reject.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ROUTES", "Rule", "validate"]


@dataclass(frozen=True)
class Rule:
    """How one body field is checked."""

    kind: type | tuple[type, ...]
    required: bool = False
    choices: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None


VEO3 = {
    "model": Rule(str, required=True, choices=("google/veo3",)),
    "prompt": Rule(str, required=True, max_length=4000),
    "aspect_ratio": Rule(str, choices=("16:9", "9:16")),
    "duration": Rule(int, choices=(4, 6, 8)),
    "negative_prompt": Rule(str),
    "enhance_prompt": Rule(bool),
    "seed": Rule(int, min=0, max=2**32 - 1),
    "generate_audio": Rule(bool),
    "resolution": Rule(str, choices=("720P", "1080P")),
}

# route -> model id -> field rules
ROUTES: dict[str, dict[str, dict[str, Rule]]] = {
    "/v2/generate/video/google/generation": {"google/veo3": VEO3},
}


def validate(route: str, body: Any) -> str | None:
    """Return the API's 400 message for `body` on `route`, or None if it is valid."""
    if not isinstance(body, dict):
        return "Body validation error! Expected object, received " + type(body).__name__
    models = ROUTES[route]
    model = body.get("model")
    if model not in models:
        expected = " | ".join(f"'{name}'" for name in models)
        return f"Body validation error! model: Invalid enum value. Expected {expected}, received '{model}'"
    for name, rule in models[model].items():
        problem = _check(name, rule, body.get(name))
        if problem:
            return f"Body validation error! {name}: {problem}"
    return None


def _check(name: str, rule: Rule, value: Any) -> str | None:
    if value is None:
        return "Required" if rule.required else None
    # bool is an int in Python; the API's schema keeps them apart
    if isinstance(value, bool) != (rule.kind is bool) or not isinstance(value, rule.kind):
        return f"Expected {_type_name(rule.kind)}, received {type(value).__name__}"
    if rule.choices is not None and value not in rule.choices:
        expected = " | ".join(repr(choice) for choice in rule.choices)
        return f"Invalid enum value. Expected {expected}, received {value!r}"
    if isinstance(value, str) and (not value.strip() and rule.required):
        return "String must contain at least 1 character(s)"
    if rule.max_length is not None and len(value) > rule.max_length:
        return f"String must contain at most {rule.max_length} character(s)"
    if rule.min is not None and value < rule.min:
        return f"Number must be greater than or equal to {rule.min}"
    if rule.max is not None and value > rule.max:
        return f"Number must be less than or equal to {rule.max}"
    return None


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "string", int: "number", float: "number", bool: "boolean"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " | ".join(names.get(k, k.__name__) for k in kinds)
