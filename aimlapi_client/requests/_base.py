"""What every request model shares: strictness, JSON output, reusable field types."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = ["Duration5or10", "ImageUrl", "Prompt", "RequestBase", "Seed32"]


def _url_or_data_uri(value: str) -> str:
    if not value.startswith(("https://", "http://", "data:")):
        raise ValueError("must be an http(s) URL or a data: URI")
    return value


ImageUrl = Annotated[
    str,
    AfterValidator(_url_or_data_uri),
    Field(description="An image as an http(s) URL or a base64 data: URI."),
]
Prompt = Annotated[str, Field(min_length=1, max_length=4000, description="What to generate.")]
Seed32 = Annotated[int, Field(ge=0, le=2**32 - 1, description="Fixes the randomness for repeatable results.")]
Duration5or10 = Annotated[int, Field(description="Clip length in seconds: 5 or 10.")]


class RequestBase(BaseModel):
    """A generation request: frozen, and unknown fields are errors, not silently dropped.

    Field names are the API's unified names (`image_url`, `enhance_prompt`,
    `aspect_ratio`, `tail_image_url`); the catalogue translates them for the legacy
    per-provider routes.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str

    def to_api(self) -> dict[str, Any]:
        """The JSON body in unified field names, leaving out unset optional fields."""
        return self.model_dump(mode="json", exclude_none=True)
