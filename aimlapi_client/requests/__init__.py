"""Typed request models, one module per model family."""

from ._base import ImageUrl, RequestBase
from .alibaba import Wan13bRequest, WanPlusRequest, WanTurboRequest
from .google import Veo2ImageRequest, Veo2Request, Veo3Request
from .kling import KlingEffectsRequest, KlingImageRequest, KlingTextRequest
from .luma import LumaRequest
from .minimax import MiniMaxLive2dRequest, MiniMaxRequest
from .music import Lyria2Request, MiniMaxMusicRequest, StableAudioRequest
from .runway import Gen3aTurboRequest, Gen4TurboRequest

__all__ = [
    "Gen3aTurboRequest",
    "Gen4TurboRequest",
    "ImageUrl",
    "KlingEffectsRequest",
    "KlingImageRequest",
    "KlingTextRequest",
    "LumaRequest",
    "Lyria2Request",
    "MiniMaxLive2dRequest",
    "MiniMaxMusicRequest",
    "MiniMaxRequest",
    "RequestBase",
    "StableAudioRequest",
    "Veo2ImageRequest",
    "Veo2Request",
    "Veo3Request",
    "Wan13bRequest",
    "WanPlusRequest",
    "WanTurboRequest",
]
