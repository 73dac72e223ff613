"""Kling AI (`/v2/generate/video/kling/generation`): text-, image-to-video and effects."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ._base import ImageUrl, Prompt, RequestBase

__all__ = ["KlingEffectsRequest", "KlingImageRequest", "KlingTextRequest"]

KlingTextModel = Literal[
    "kling-video/v1/standard/text-to-video",
    "kling-video/v1/pro/text-to-video",
    "kling-video/v1.6/standard/text-to-video",
    "kling-video/v1.6/pro/text-to-video",
    "klingai/v2-master-text-to-video",
]
KlingImageModel = Literal[
    "kling-video/v1/standard/image-to-video",
    "kling-video/v1/pro/image-to-video",
    "kling-video/v1.6/standard/image-to-video",
    "kling-video/v1.6/pro/image-to-video",
    "klingai/v2-master-image-to-video",
]
KlingEffectsModel = Literal["klingai/kling-video-v1.6-standard-effects", "klingai/kling-video-v1.6-pro-effects"]
_NO_CAMERA = {"kling-video/v1.6/standard/text-to-video"}
_TAIL_FRAME = {
    "kling-video/v1/standard/image-to-video",
    "kling-video/v1/pro/image-to-video",
    "kling-video/v1.6/pro/image-to-video",
}
_TWO_PEOPLE = {"hug", "kiss", "heart_gesture"}


class CameraMovement(BaseModel):
    """A single camera movement for `advanced_camera_control`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    movement_type: Literal["horizontal", "vertical", "pan", "tilt", "roll", "zoom"]
    movement_value: int = Field(ge=-10, le=10, description="Strength and direction, -10..10.")


class _KlingBase(RequestBase):
    duration: Literal[5, 10] | None = Field(None, description="Clip length in seconds.")


class KlingTextRequest(_KlingBase):
    """Kling text-to-video."""

    model: KlingTextModel
    prompt: Prompt
    aspect_ratio: Literal["16:9", "9:16", "1:1"] | None = Field(None, description="Frame aspect ratio.")
    negative_prompt: str | None = Field(None, description="What the video should avoid.")
    cfg_scale: float | None = Field(None, ge=0, le=1, description="Prompt adherence, 0..1.")
    camera_control: Literal["down_back", "forward_up", "right_turn_forward", "left_turn_forward"] | None = None
    advanced_camera_control: CameraMovement | None = None

    @model_validator(mode="after")
    def _camera_supported(self) -> KlingTextRequest:
        if self.model in _NO_CAMERA and (self.camera_control or self.advanced_camera_control):
            raise ValueError("camera_control is not supported by this model")
        return self


class KlingImageRequest(_KlingBase):
    """Kling image-to-video: animates `image_url`."""

    model: KlingImageModel
    prompt: Prompt
    image_url: ImageUrl
    tail_image_url: ImageUrl | None = None
    negative_prompt: str | None = Field(None, description="What the video should avoid.")
    cfg_scale: float | None = Field(None, ge=0, le=1, description="Prompt adherence, 0..1.")

    @model_validator(mode="after")
    def _tail_supported(self) -> KlingImageRequest:
        if self.tail_image_url and self.model not in _TAIL_FRAME:
            raise ValueError(f"tail_image_url is only supported by {', '.join(sorted(_TAIL_FRAME))}")
        return self


class KlingEffectsRequest(_KlingBase):
    """Kling effects: one photo (squish, expansion) or two (hug, kiss, heart_gesture)."""

    model: KlingEffectsModel
    effect_scene: Literal["hug", "kiss", "heart_gesture", "squish", "expansion"]
    image_url: ImageUrl | list[ImageUrl]

    @model_validator(mode="after")
    def _image_count(self) -> KlingEffectsRequest:
        images = [self.image_url] if isinstance(self.image_url, str) else self.image_url
        needed = 2 if self.effect_scene in _TWO_PEOPLE else 1
        if len(images) != needed:
            raise ValueError(f"image_url needs exactly {needed} image(s) for {self.effect_scene}; got {len(images)}")
        return self
