"""Streaming, verified, atomic download of a result file."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from .errors import DownloadError
from .models import DownloadedFile, Video

__all__ = ["download_file", "file_sha256", "result_extension", "safe_file_name"]

_CHUNK = 1 << 20
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/problem+json")


_EXTENSIONS = {
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/wave": ".wav",
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
}
# What the first bytes of a complete file of each type look like.
_MAGIC = {
    ".mp4": lambda head: head[4:8] == b"ftyp",
    ".mov": lambda head: head[4:8] in (b"ftyp", b"moov", b"wide", b"mdat"),
    ".wav": lambda head: head[:4] == b"RIFF" and head[8:12] == b"WAVE",
    ".mp3": lambda head: head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0),
    ".webm": lambda head: head[:4] == b"\x1a\x45\xdf\xa3",
}


def result_extension(video: Video, default: str) -> str:
    """The file extension for a result: from its content type, else its file name, else `default`."""
    content_type = (video.content_type or "").split(";")[0].strip().lower()
    if content_type in _EXTENSIONS:
        return _EXTENSIONS[content_type]
    suffix = Path(video.file_name or "").suffix.lower()
    return suffix if suffix in _MAGIC else default


def safe_file_name(generation_id: str, extension: str) -> str:
    """A file name derived from a generation id that cannot leave its directory.

    >>> safe_file_name("df43b636:veo3", ".mp4")
    'df43b636_veo3.mp4'
    >>> safe_file_name("../../etc/passwd", ".mp4")
    'etc_passwd.mp4'
    """
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", generation_id).strip("_")[:120] or "generation"
    return stem + extension


async def download_file(
    http: httpx.AsyncClient,
    video: Video,
    dest: Path,
    *,
    attempts: int = 3,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> DownloadedFile:
    """Stream `video` to `dest`, verify it and move it into place atomically.

    Bytes go to a hidden `.part` file beside `dest`. A transient failure is retried,
    resuming with an HTTP Range request where the server allows it. Only a complete,
    verified file is renamed to `dest`; on failure no `.part` file is left behind.

    Raises:
        DownloadError: The link is invalid or expired, the file failed verification,
            or every attempt failed.
    """
    url = httpx.URL(video.url)
    if url.scheme not in ("http", "https") or not url.host:
        raise DownloadError(f"Refusing to download from {url.scheme or 'a relative'} URL; expected http(s)")
    part = dest.with_name(f".{dest.name}.part")
    try:
        for attempt in range(1, attempts + 1):
            try:
                digest, size = await _fetch(http, url, part, video, resume=attempt > 1)
                break
            except DownloadError as exc:
                if not exc.transient or attempt == attempts:
                    raise
                await sleep(min(2**attempt, 30) * random.uniform(0.5, 1.0))
        _check_magic(part, dest.suffix)
        await asyncio.to_thread(_commit, part, dest)
    finally:
        part.unlink(missing_ok=True)
    return DownloadedFile(path=str(dest), bytes=size, sha256=digest, url=video.url)


async def _fetch(
    http: httpx.AsyncClient, url: httpx.URL, part: Path, video: Video, *, resume: bool
) -> tuple[str, int]:
    offset = part.stat().st_size if resume and part.exists() else 0
    # identity: the bytes on disk must be the file itself, and Content-Length must count them
    headers = {"Accept-Encoding": "identity"} | ({"Range": f"bytes={offset}-"} if offset else {})
    try:
        async with http.stream("GET", url, headers=headers, follow_redirects=True) as response:
            _check_response(response, url)
            if offset and response.status_code != 206:
                offset = 0  # the server ignored the range: start over
            expected = _expected_size(response, offset, video)
            digest = _hash_file(part, offset)
            received = offset
            with part.open("r+b" if offset else "wb") as out:
                out.seek(offset)
                out.truncate()
                async for chunk in response.aiter_raw():  # unbuffered: keep every byte that arrived
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                out.flush()
                await asyncio.to_thread(os.fsync, out.fileno())  # may take long: not on the loop
    except httpx.TransportError as exc:
        raise DownloadError(
            f"Download from {url.host} broke off: {type(exc).__name__}", transient=True
        ) from exc
    if expected is not None and received != expected:
        raise DownloadError(
            f"Download from {url.host} is incomplete: {received} of {expected} bytes",
            transient=True,
        )
    return digest.hexdigest(), received


def _check_response(response: httpx.Response, url: httpx.URL) -> None:
    code = response.status_code
    if code in (401, 403, 404, 410):
        raise DownloadError(
            f"The result link on {url.host} answered HTTP {code}: it has expired or is not "
            "accessible. Poll the generation again for a fresh link.",
            status_code=code,
        )
    if code == 429 or code >= 500:
        raise DownloadError(f"{url.host} answered HTTP {code}", transient=True, status_code=code)
    if code not in (200, 206):
        raise DownloadError(f"{url.host} answered HTTP {code}", status_code=code)
    content_type = response.headers.get("Content-Type", "").lower()
    if content_type.startswith(_TEXT_TYPES):
        raise DownloadError(
            f"{url.host} served {content_type.split(';')[0]} instead of a media file "
            "(an error page?)",
            transient=True,
            status_code=code,
        )


def _expected_size(response: httpx.Response, offset: int, video: Video) -> int | None:
    length = response.headers.get("Content-Length")
    if length is not None and length.isdigit():
        expected = offset + int(length)
        if video.file_size is not None and expected != video.file_size:
            raise DownloadError(
                f"The CDN offers {expected} bytes but the API announced {video.file_size}",
                transient=True,
            )
        return expected
    return video.file_size


def file_sha256(path: Path) -> str:
    """The sha256 of a file on disk, as hex."""
    return _hash_file(path, path.stat().st_size).hexdigest()


def _hash_file(path: Path, length: int) -> hashlib._Hash:
    """A running sha256 over the first `length` bytes of `path`."""
    digest = hashlib.sha256()
    if length:
        with path.open("rb") as existing:
            remaining = length
            while remaining and (block := existing.read(min(_CHUNK, remaining))):
                digest.update(block)
                remaining -= len(block)
    return digest


def _check_magic(part: Path, suffix: str) -> None:
    looks_right = _MAGIC.get(suffix.lower())
    if looks_right is None:
        return
    with part.open("rb") as file:
        head = file.read(12)
    if not looks_right(head):
        raise DownloadError(f"The downloaded file is not a {suffix} file (its first bytes do not match)")


def _commit(part: Path, dest: Path) -> None:
    os.replace(part, dest)
    directory = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
