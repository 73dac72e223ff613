"""MiniMax Hailuo video (`/v2/generate/video/minimax/generation`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._base import ImageUrl, RequestBase

__all__ = ["MiniMaxLive2dRequest", "MiniMaxRequest"]


class MiniMaxRequest(RequestBase):
    """MiniMax video-01: text-to-video, optionally from a first frame."""

    model: Literal["video-01"] = "video-01"
    prompt: str = Field(min_length=1, max_length=2000, description="What the video should show.")
    enhance_prompt: bool | None = Field(None, description="Let the API optimise the prompt.")
    image_url: ImageUrl | None = Field(None, description="First frame: JPG/PNG, 2:5..5:2, short side > 300 px.")


class MiniMaxLive2dRequest(MiniMaxRequest):
    """MiniMax video-01-live2d: animates a first frame in a Live2D style."""

    model: Literal["video-01-live2d"] = "video-01-live2d"  # type: ignore[assignment]  # narrows the family's id
    image_url: ImageUrl = Field(description="First frame: JPG/PNG, 2:5..5:2, short side > 300 px.")
