"""Local images as request inputs: read, checked against the model's documented limits,
and sent as a base64 `data:` URI where the vendor's docs say the model takes one.

For every other model a local file fails before anything is paid for, with a message
that names the model and says a public URL is needed.
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from .errors import RequestValidationError

__all__ = ["inline_local_files"]


@dataclass(frozen=True)
class ImageLimits:
    """What a model's docs allow for an image sent as base64."""

    types: frozenset[str] = frozenset({"image/png", "image/jpeg", "image/webp"})
    max_bytes: int = 10 * 1024 * 1024
    min_short_side: int = 0
    aspect_ratio: tuple[float, float] | None = None
    """Lowest and highest width/height."""
    source: str = ""


_MINIMAX = ImageLimits(
    types=frozenset({"image/png", "image/jpeg"}),
    max_bytes=20 * 1024 * 1024,
    min_short_side=301,
    aspect_ratio=(2 / 5, 5 / 2),
    source="MiniMax video-01 page: JPG, JPEG or PNG; aspect ratio 2:5 to 5:2; short side over 300 px; at most 20 MB",
)
_RUNWAY = ImageLimits(source="Runway pages: an HTTPS URL or a data URI")
_VEO2 = ImageLimits(source="Veo2 image-to-video page: a URL or base64, 720p or higher", min_short_side=720)
BASE64_IMAGES: dict[str, ImageLimits] = {
    "video-01": _MINIMAX,
    "video-01-live2d": _MINIMAX,
    "gen3a_turbo": _RUNWAY,
    "runway/gen4_turbo": _RUNWAY,
    "veo2/image-to-video": _VEO2,
}
"""The models whose vendor docs accept an image as base64, with their documented limits."""
IMAGE_FIELDS = frozenset({"image_url", "tail_image_url", "last_image_url", "first_frame_image"})


def inline_local_files(model: str, options: dict[str, Any], uri_fields: frozenset[str]) -> dict[str, Any]:
    """`options` with every local image (an existing path, or a `file://` URI) in an
    image field replaced by a base64 data URI.

    Args:
        model: The model id.
        options: The request's fields.
        uri_fields: The fields the model's schema types as URIs; a local file in any
            other of them, or a `file://` URI nested in an object, needs a public URL.

    Raises:
        RequestValidationError: The model does not take base64 for that field (a
            public URL is needed), or the file is missing, of the wrong type, or
            outside the model's documented limits.
    """
    return {
        name: _inline(model, name, value) if name in uri_fields else _refuse_nested(model, name, value)
        for name, value in options.items()
    }


def _inline(model: str, field: str, value: Any) -> Any:
    if isinstance(value, list):
        return [_inline(model, field, item) for item in value]
    path = _local_path(value) if isinstance(value, str) else None
    if path is None:
        return value
    if field not in IMAGE_FIELDS or model not in BASE64_IMAGES:
        raise RequestValidationError(
            f"{model}: {field} is a local file ({path}), but this model's docs take only a public URL "
            "there; upload the file and pass its https:// URL"
        )
    return _data_uri(model, field, path)


def _refuse_nested(model: str, field: str, value: Any) -> Any:
    """Objects and lists (e.g. Luma's keyframes) may hold URLs too: no local files there."""
    nested = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for item in nested:
        if isinstance(item, str) and item.startswith("file://"):
            raise RequestValidationError(
                f"{model}: {field} holds a local file ({item}); this model's docs take only a public URL there"
            )
        _refuse_nested(model, field, item)
    return value


def _local_path(value: str) -> Path | None:
    """The file a value names: a `file://` URI, or a path (without a scheme) that exists."""
    if value.startswith("file://"):
        return Path(unquote(urlparse(value).path))
    if "://" in value or value.startswith("data:"):
        return None
    path = Path(value).expanduser()
    return path if path.is_file() else None


def _data_uri(model: str, field: str, path: Path) -> str:
    limits = BASE64_IMAGES[model]
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise RequestValidationError(f"{model}: {field} {str(path)!r} cannot be read: {exc.strerror}") from None
    kind = _image_type(content)
    problem = _check(content, kind, limits)
    if problem:
        raise RequestValidationError(f"{model}: {field} {path.name}: {problem} ({limits.source})")
    return f"data:{kind};base64,{base64.b64encode(content).decode()}"


def _check(content: bytes, kind: str | None, limits: ImageLimits) -> str | None:
    if kind not in limits.types:
        allowed = ", ".join(sorted(t.removeprefix("image/") for t in limits.types))
        return f"{'not an image' if kind is None else kind.removeprefix('image/')}; allowed: {allowed}"
    if len(content) > limits.max_bytes:
        return f"{len(content):,} bytes; at most {limits.max_bytes:,}"
    size = _dimensions(content, kind)
    if size is None:
        return "its size in pixels cannot be read"
    width, height = size
    if min(width, height) < limits.min_short_side:
        return f"{width}x{height} px; the short side must be at least {limits.min_short_side} px"
    if limits.aspect_ratio and not limits.aspect_ratio[0] <= width / height <= limits.aspect_ratio[1]:
        low, high = limits.aspect_ratio
        return f"aspect ratio {width}:{height}; allowed {low:.2f} to {high:.2f} (width/height)"
    return None


def _image_type(content: bytes) -> str | None:
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


def _dimensions(content: bytes, kind: str) -> tuple[int, int] | None:
    """Width and height from the image header (PNG IHDR, JPEG SOF, WebP VP8/VP8L/VP8X)."""
    try:
        if kind == "image/png":
            return struct.unpack(">II", content[16:24])
        if kind == "image/jpeg":
            return _jpeg_dimensions(content)
        return _webp_dimensions(content)
    except (struct.error, IndexError):
        return None


def _jpeg_dimensions(content: bytes) -> tuple[int, int] | None:
    offset = 2
    while offset + 9 < len(content):
        if content[offset] != 0xFF:
            return None
        marker, length = content[offset + 1], struct.unpack(">H", content[offset + 2 : offset + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", content[offset + 5 : offset + 9])
            return width, height
        offset += 2 + length
    return None


def _webp_dimensions(content: bytes) -> tuple[int, int] | None:
    chunk = content[12:16]
    if chunk == b"VP8X":
        return 1 + int.from_bytes(content[24:27], "little"), 1 + int.from_bytes(content[27:30], "little")
    if chunk == b"VP8L":
        bits = int.from_bytes(content[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", content[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None
