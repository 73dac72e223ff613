"""Streaming, verified, atomic download of a result file."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import random
import re
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from .errors import DownloadError
from .models import DownloadedFile, Generation, Video

__all__ = ["file_sha256", "result_extension", "result_path", "safe_file_name", "save_generation"]

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


def result_path(generation: Generation, output_dir: str | Path, default_extension: str = ".mp4") -> Path:
    """Where a generation's file goes: `output_dir`, named after the generation id.

    Raises:
        DownloadError: The generation has no result to download.
    """
    if generation.video is None:
        raise DownloadError(f"Generation {generation.id} has no result to download")
    extension = result_extension(generation.video, default_extension)
    return Path(output_dir) / safe_file_name(generation.id, extension)


async def save_generation(
    http: httpx.AsyncClient,
    generation: Generation,
    output_dir: str | Path,
    *,
    default_extension: str = ".mp4",
    attempts: int = 3,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> DownloadedFile:
    """Put a completed generation's file at `result_path`, verified, exactly once.

    A verified file already there is reused. Otherwise the bytes stream to a part
    file of this call's own (so concurrent writers of one destination never share
    one), resuming with an HTTP Range request after a transient failure. Only a
    complete, verified file is published, and never over a verified file with
    other content; no part file is left behind.

    Raises:
        DownloadError: The link is invalid or expired, the file failed verification,
            every attempt failed, or a different verified file holds the name.
    """
    dest = result_path(generation, output_dir, default_extension)
    video = generation.video
    assert video is not None  # result_path checked it
    if dest.exists() and await asyncio.to_thread(_verified, dest, video):  # no thread hop for a new file
        return await asyncio.to_thread(_existing, dest, video)
    url = None if video.url.startswith("data:") else httpx.URL(video.url)
    if url is not None and (url.scheme not in ("http", "https") or not url.host):
        raise DownloadError(f"Refusing to download from {url.scheme or 'a relative'} URL; expected http(s)")
    part = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:12]}.part")
    try:
        if url is None:  # the result came in the create answer itself
            digest, size = await asyncio.to_thread(_write_inline, video.url, part)
        else:
            digest, size = await _fetch_with_retries(http, url, part, video, attempts, sleep)
        reused = await asyncio.to_thread(_publish, part, dest, digest, video)
    except BaseException:
        part.unlink(missing_ok=True)  # a published part is gone already: no extra call on the loop
        raise
    return DownloadedFile(path=str(dest), bytes=size, sha256=digest, url=_source(video), reused=reused)


def _source(video: Video) -> str:
    """Where the file came from, as results and events show it (not a whole inline file again)."""
    return video.url.split(",", 1)[0] + ",..." if video.url.startswith("data:") else video.url


async def _fetch_with_retries(
    http: httpx.AsyncClient,
    url: httpx.URL,
    part: Path,
    video: Video,
    attempts: int,
    sleep: Callable[[float], Awaitable[None]],
) -> tuple[str, int]:
    for attempt in range(1, attempts + 1):
        try:
            return await _fetch(http, url, part, video, resume=attempt > 1)
        except DownloadError as exc:
            if not exc.transient or attempt == attempts:
                raise
            await sleep(min(2**attempt, 30) * random.uniform(0.5, 1.0))
    raise AssertionError("unreachable: the last attempt raises")


def _write_inline(data_uri: str, part: Path) -> tuple[str, int]:
    """Write a base64 `data:` URI's bytes to `part`; their sha256 and size."""
    try:
        content = base64.b64decode(data_uri.split(",", 1)[1], validate=True)
    except (IndexError, ValueError) as exc:
        raise DownloadError(f"The inline result is not valid base64 ({exc})") from None
    part.write_bytes(content)  # synced by _publish
    return hashlib.sha256(content).hexdigest(), len(content)


def _verified(path: Path, video: Video) -> bool:
    """Whether `path` is a complete file of the announced size and the right type."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    if not path.is_file() or (video.file_size is not None and size != video.file_size) or size == 0:
        return False
    try:
        _check_magic(path, path.suffix)
    except DownloadError:
        return False
    return True


def _existing(path: Path, video: Video) -> DownloadedFile:
    return DownloadedFile(
        path=str(path), bytes=path.stat().st_size, sha256=file_sha256(path), url=_source(video), reused=True
    )


def _publish(part: Path, dest: Path, digest: str, video: Video) -> bool:
    """Check a complete part file, sync it and move it to `dest`; True if a twin had published the same file.

    On success the part file is gone, so the caller removes it only on failure.

    In one worker thread hop: on a loaded machine every file operation on the event
    loop holds up all the other generations, and every hop costs them the GIL.
    """
    with part.open("rb") as written:
        _check_head(written.read(12), dest.suffix)
        os.fsync(written.fileno())  # its bytes are on disk before a name points at them
    try:
        os.link(part, dest)  # atomic, and never replaces: exactly one writer publishes
    except FileExistsError:
        if file_sha256(dest) == digest:
            part.unlink()
            return True
        if _verified(dest, video):
            raise DownloadError(
                f"{dest} already holds a different verified file; it was not replaced. Move it away and download again."
            ) from None
        os.replace(part, dest)  # a broken leftover of an earlier tool: replace it
    except OSError:  # a file system without hard links
        os.replace(part, dest)
    else:
        part.unlink()
    _fsync_directory(dest.parent)
    return False


async def _fetch(http: httpx.AsyncClient, url: httpx.URL, part: Path, video: Video, *, resume: bool) -> tuple[str, int]:
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
            with part.open("ab" if offset else "wb") as out:  # a resumed part file ends at `offset`
                async for chunk in response.aiter_raw():  # unbuffered: keep every byte that arrived
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                out.flush()  # synced by _publish, in the same thread hop as the rest
    except httpx.TransportError as exc:
        raise DownloadError(f"Download from {url.host} broke off: {type(exc).__name__}", transient=True) from exc
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
            f"{url.host} served {content_type.split(';')[0]} instead of a media file (an error page?)",
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


def _check_magic(path: Path, suffix: str) -> None:
    if suffix.lower() in _MAGIC:
        with path.open("rb") as file:
            _check_head(file.read(12), suffix)


def _check_head(head: bytes, suffix: str) -> None:
    looks_right = _MAGIC.get(suffix.lower())
    if looks_right is not None and not looks_right(head):
        raise DownloadError(f"The downloaded file is not a {suffix} file (its first bytes do not match)")


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
