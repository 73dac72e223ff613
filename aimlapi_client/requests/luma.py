"""Luma AI Dream Machine ray models (`/v2/generate/video/luma-ai/generation`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ._base import Prompt, RequestBase

__all__ = ["LumaRequest"]


class Keyframe(BaseModel):
    """A start or end frame: an image URL, or a previous generation to extend."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["image", "generation"]
    url: str | None = Field(None, description="The image, for type 'image'.")
    id: str | None = Field(None, description="The generation, for type 'generation'.")

    @model_validator(mode="after")
    def _has_its_reference(self) -> Keyframe:
        if (self.type == "image") != bool(self.url) or (self.type == "generation") != bool(self.id):
            raise ValueError("a keyframe of type 'image' needs url; of type 'generation' needs id")
        return self


class Keyframes(BaseModel):
    """First and/or last frame of the clip."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    frame0: Keyframe | None = None
    frame1: Keyframe | None = None


class LumaRequest(RequestBase):
    """Luma ray text-to-video, or image-to-video and extension through `keyframes`."""

    model: Literal["luma/ray-2", "luma/ray-flash-2", "luma/ray-1-6"]
    prompt: Prompt
    aspect_ratio: Literal["1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"] = Field(
        "16:9", description="Frame aspect ratio."
    )
    loop: bool | None = Field(None, description="Make the clip loop seamlessly.")
    keyframes: Keyframes | None = None
    resolution: Literal["540p", "720p", "1080p", "4k"] | None = Field(None, description="ray-2 models only.")
    duration: Literal[5, 9] | None = Field(None, description="Clip length in seconds; ray-2 models only.")

    @model_validator(mode="after")
    def _ray2_options(self) -> LumaRequest:
        if self.model == "luma/ray-1-6" and (self.resolution or self.duration):
            raise ValueError("resolution and duration are only supported by the ray-2 models")
        return self
