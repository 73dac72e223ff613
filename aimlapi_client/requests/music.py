"""Music generation (`/v2/generate/audio`): Lyria 2, Stable Audio, MiniMax music."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ._base import Prompt, RequestBase

__all__ = ["Lyria2Request", "MiniMaxMusicRequest", "StableAudioRequest"]


class Lyria2Request(RequestBase):
    """Google Lyria 2: instrumental music from a description."""

    model: Literal["google/lyria2"] = "google/lyria2"
    prompt: Prompt
    negative_prompt: str | None = Field(None, description="What the music should avoid.")
    seed: int | None = Field(None, ge=0, description="Fixes the randomness for repeatable results.")


class StableAudioRequest(RequestBase):
    """Stability AI Stable Audio: up to 47 seconds."""

    model: Literal["stable-audio"] = "stable-audio"
    prompt: Prompt
    seconds_start: int | None = Field(None, ge=1, le=47, description="Start of the audio, in seconds.")
    seconds_total: int | None = Field(None, ge=1, le=47, description="Length in seconds (default 30).")
    steps: int | None = Field(None, ge=1, le=1000, description="Denoising steps (default 100).")

    @model_validator(mode="after")
    def _start_before_end(self) -> StableAudioRequest:
        if self.seconds_start and self.seconds_total and self.seconds_start >= self.seconds_total:
            raise ValueError("seconds_start must be less than seconds_total")
        return self


class MiniMaxMusicRequest(RequestBase):
    """MiniMax music: sings `prompt` (lyrics) in the style of a reference track."""

    model: Literal["minimax-music"] = "minimax-music"
    prompt: str = Field(min_length=1, max_length=600, description="Lyrics: \\n between lines, \\n\\n for a pause.")
    reference_audio_url: str = Field(description="A .wav or .mp3 of more than 15 s to take the style from.")
