"""What every request model shares: strictness, JSON output, URL inputs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["RequestBase", "UnlistedRequest", "url_or_data_uri"]


def url_or_data_uri(value: str) -> str:
    """Accept an http(s) URL or a base64 `data:` URI, the forms the API documents."""
    if not value.startswith(("https://", "http://", "data:")):
        raise ValueError("must be an http(s) URL or a data: URI")
    return value


class RequestBase(BaseModel):
    """A generation request: frozen, and unknown fields are errors, not silently dropped.

    Field names are those of the model's documented route; the catalogue translates
    them where a model's legacy per-provider route names them differently.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str

    def to_api(self) -> dict[str, Any]:
        """The JSON body, leaving out unset optional fields."""
        return self.model_dump(mode="json", exclude_none=True)


class UnlistedRequest(RequestBase):
    """A request for a model the catalogue does not know: sent as given, unchecked."""

    model_config = ConfigDict(extra="allow", frozen=True)
