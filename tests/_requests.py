"""Minimal valid requests for any catalogue model, read from its schema."""

from __future__ import annotations

from typing import Any

from aimlapi_client import ModelSpec

IMAGE = "https://images.example.com/first-frame.png"
VIDEO = "https://videos.example.com/source.mp4"
AUDIO = "https://audio.example.com/voice.mp3"
TEXT = {"prompt": "A paper boat in the rain", "lyrics": "Rain on the river\nboats in a row"}
# What the vendor's prose requires besides the schema (see catalog._CROSS_FIELD_CHECKS).
EXTRA = {"music-01": {"refer_voice": "voice-id-from-the-upload"}}


def minimal_options(spec: ModelSpec) -> dict[str, Any]:
    """Every required field of `spec`, with a valid value (an http URL for media inputs)."""
    options = {name: sample(name, spec.schema[name]) for name in spec.required}
    return options | EXTRA.get(spec.id, {})


def sample(name: str, schema: dict[str, Any]) -> Any:
    """A valid value for one field schema."""
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return sample(name, options[0])
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "array":
        return [sample(name, schema.get("items", {})) for _ in range(max(1, schema.get("minItems", 1)))]
    if kind == "object":
        properties = schema.get("properties", {})
        return {prop: sample(prop, properties[prop]) for prop in schema.get("required", [])}
    if kind in ("integer", "number"):
        return schema.get("default", schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if schema.get("format") == "uri":
        return AUDIO if "audio" in name else VIDEO if "video" in name else IMAGE
    return TEXT.get(name, "x")
