"""The files the emulator's CDN serves: a small playable MP4, a WAV and an MP3."""

from __future__ import annotations

import io
import math
import struct
import wave
from importlib.resources import files

__all__ = ["SAMPLE_MP3", "SAMPLE_VIDEO", "SAMPLE_WAV", "padded_video"]

_ASSETS = files("aimlapi_sim").joinpath("assets")
SAMPLE_VIDEO: bytes = _ASSETS.joinpath("sample.mp4").read_bytes()
"""3 s, 192x108, H.264 + AAC."""
SAMPLE_MP3: bytes = _ASSETS.joinpath("sample.mp3").read_bytes()
"""2 s of a 523 Hz tone."""


def _tone_wav(seconds: float = 1.0, rate: int = 8000, hz: float = 440.0) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / rate))) for i in range(int(seconds * rate))
            )
        )
    return buffer.getvalue()


SAMPLE_WAV: bytes = _tone_wav()
"""1 s of a 440 Hz tone, 8 kHz mono."""


def padded_video(size: int) -> bytes:
    """The sample MP4 grown to `size` bytes with a trailing `free` box (still playable)."""
    padding = size - len(SAMPLE_VIDEO)
    if padding < 8:
        raise ValueError(f"size must be at least {len(SAMPLE_VIDEO) + 8} bytes")
    return SAMPLE_VIDEO + padding.to_bytes(4, "big") + b"free" + bytes(padding - 8)
