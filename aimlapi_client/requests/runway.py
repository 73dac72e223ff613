"""Runway Gen-3 Alpha Turbo and Gen-4 Turbo (`/v2/generate/video/runway/generation`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._base import ImageUrl, RequestBase, Seed32

__all__ = ["Gen3aTurboRequest", "Gen4TurboRequest"]


class Gen3aTurboRequest(RequestBase):
    """Runway gen3a_turbo image-to-video."""

    model: Literal["gen3a_turbo"] = "gen3a_turbo"
    image_url: ImageUrl
    prompt: str | None = Field(None, min_length=1, max_length=1000, description="How the image should move.")
    tail_image_url: ImageUrl | None = Field(None, description="Last frame.")
    duration: Literal[5, 10] | None = Field(None, description="Clip length in seconds.")
    aspect_ratio: Literal["16:9", "9:16"] | None = Field(None, description="Frame aspect ratio.")
    seed: Seed32 | None = None


class Gen4TurboRequest(Gen3aTurboRequest):
    """Runway gen4_turbo image-to-video."""

    model: Literal["runway/gen4_turbo"] = "runway/gen4_turbo"  # type: ignore[assignment]
    aspect_ratio: Literal["16:9", "9:16", "4:3", "3:4", "1:1", "21:9"] | None = Field(  # type: ignore[assignment]
        None, description="Frame aspect ratio."
    )
