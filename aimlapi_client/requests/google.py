"""Google Veo2 and Veo3 (`/v2/generate/video/google/generation`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._base import ImageUrl, Prompt, RequestBase, Seed32

__all__ = ["Veo2ImageRequest", "Veo2Request", "Veo3Request"]


class Veo2Request(RequestBase):
    """Veo2 text-to-video."""

    model: Literal["veo2"] = "veo2"
    prompt: Prompt
    aspect_ratio: Literal["16:9", "9:16"] | None = Field(None, description="Frame aspect ratio.")
    duration: Literal[5, 6, 7, 8] | None = Field(None, description="Clip length in seconds.")
    negative_prompt: str | None = Field(None, description="What the video should avoid.")
    seed: Seed32 | None = None
    enhance_prompt: bool | None = Field(None, description="Let the API rewrite the prompt.")


class Veo2ImageRequest(Veo2Request):
    """Veo2 image-to-video: animates `image_url` (720p or larger)."""

    model: Literal["veo2/image-to-video"] = "veo2/image-to-video"  # type: ignore[assignment]  # narrows the family's id
    image_url: ImageUrl
    tail_image_url: ImageUrl | None = None


class Veo3Request(RequestBase):
    """Veo3 text-to-video, with sound (the vendor's own example body)."""

    model: Literal["google/veo3"] = "google/veo3"
    prompt: Prompt
    aspect_ratio: Literal["16:9", "9:16"] = Field("16:9", description="Frame aspect ratio.")
    duration: Literal[4, 6, 8] = Field(8, description="Clip length in seconds.")
    negative_prompt: str | None = Field(None, max_length=4000, description="What the video should avoid.")
    enhance_prompt: bool = Field(True, description="Let the API rewrite the prompt for quality.")
    seed: Seed32 | None = None
    generate_audio: bool = Field(True, description="Generate a soundtrack with the video.")
    resolution: Literal["720P", "1080P"] | None = Field(None, description="Output resolution.")
