"""Alibaba Wan 2.1 text-to-video (`/v2/generate/video/alibaba/generation`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._base import Prompt, RequestBase, Seed32

__all__ = ["Wan13bRequest", "WanPlusRequest", "WanTurboRequest"]


class _WanBase(RequestBase):
    prompt: Prompt
    negative_prompt: str | None = Field(None, description="What the video should avoid.")
    seed: Seed32 | None = None
    enhance_prompt: bool | None = Field(None, description="Let the API expand the prompt.")


class Wan13bRequest(_WanBase):
    """Wan 2.1 1.3B; its sampler settings exist on the legacy route only."""

    model: Literal["wan/v2.1/1.3b/text-to-video"] = "wan/v2.1/1.3b/text-to-video"
    aspect_ratio: Literal["16:9", "9:16"] | None = Field(None, description="Frame aspect ratio.")
    inference_steps: int | None = Field(None, ge=1, le=100, description="Denoising steps (default 30).")
    guidance_scale: float | None = Field(None, ge=0, le=20, description="Prompt adherence (default 5).")
    shift: float | None = Field(None, ge=0, le=20, description="Noise schedule shift (default 5).")
    sampler: Literal["unipc", "dpm+"] | None = None
    enable_safety_checker: bool | None = None


class WanPlusRequest(_WanBase):
    """Wan 2.1 plus, 720P."""

    model: Literal["alibaba/wan2.1-t2v-plus"] = "alibaba/wan2.1-t2v-plus"
    aspect_ratio: Literal["16:9", "9:16", "1:1", "4:3", "3:4"] | None = Field(None, description="Frame aspect ratio.")
    resolution: Literal["720P"] | None = None
    watermark: bool | None = None


class WanTurboRequest(WanPlusRequest):
    """Wan 2.1 turbo, 480P or 720P."""

    model: Literal["alibaba/wan2.1-t2v-turbo"] = "alibaba/wan2.1-t2v-turbo"  # type: ignore[assignment]
    resolution: Literal["480P", "720P"] | None = None  # type: ignore[assignment]
