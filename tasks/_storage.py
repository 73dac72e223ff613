"""Storage blocks out: a verified copy of each result in a Prefect file system block.

LocalFileSystem, RemoteFileSystem (`s3://`, `gs://`, ...), prefect-aws's S3Bucket:
anything with `write_path`/`read_path`. The copy is read back and checked (size and
sha256), skipped when an identical copy is already there (a re-run), and recorded as
an asset under its URI.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
from pathlib import Path
from typing import Any

from prefect.blocks.core import Block
from prefect.exceptions import ObjectNotFound
from prefect.filesystems import WritableFileSystem

from aimlapi_client import DownloadError, RequestValidationError

from .video import record_assets

__all__ = ["load_output_storage", "store_copy"]


async def load_output_storage(storage: WritableFileSystem | str | None) -> WritableFileSystem | None:
    """The block itself, or the one a saved name (`block-type-slug/block-name`) names.

    Raises:
        RequestValidationError: No such block, or it cannot be written to.
    """
    if storage is None or storage == "":
        return None
    block: Any = storage
    if isinstance(storage, str):
        try:
            block = await Block.aload(storage)
        except (ValueError, ObjectNotFound) as exc:
            raise RequestValidationError(
                f"output_storage {storage!r}: no such block ({exc}); give `block-type-slug/block-name`, "
                "e.g. `local-file-system/archive` or `s3-bucket/videos`"
            ) from None
    if not (hasattr(block, "write_path") and hasattr(block, "read_path")):
        raise RequestValidationError(f"output_storage: a {type(block).__name__} is not a file system block")
    return block  # type: ignore[no-any-return]


async def store_copy(storage: WritableFileSystem, path: str | Path, sha256: str, description: str) -> str:
    """Copy the verified file at `path` into `storage`; returns the copy's URI.

    Raises:
        DownloadError: The copy read back differs from the file (size or sha256).
    """
    path = Path(path)
    existing = await _read(storage, path.name)
    if existing is None or hashlib.sha256(existing).hexdigest() != sha256:  # a re-run finds its copy
        content = await asyncio.to_thread(path.read_bytes)
        await _call(storage, "write_path", path.name, content)
        existing = await _read(storage, path.name)
        if existing is None or len(existing) != len(content) or hashlib.sha256(existing).hexdigest() != sha256:
            raise DownloadError(f"The copy of {path.name} in the storage block does not verify (size or sha256)")
    uri = _uri(storage, path.name)
    await record_assets({uri: description})
    return uri


async def _read(storage: WritableFileSystem, name: str) -> bytes | None:
    try:
        return await _call(storage, "read_path", name)  # type: ignore[no-any-return]
    except Exception:  # not there (each file system says so its own way)
        return None


async def _call(storage: Any, method: str, *args: Any) -> Any:
    # Blocks offer `awrite_path` or an async-or-sync `write_path`, depending on their version.
    function = getattr(storage, f"a{method}", None) or getattr(storage, method)
    outcome = function(*args)
    return await outcome if inspect.isawaitable(outcome) else outcome


def _uri(storage: Any, name: str) -> str:
    basepath = str(getattr(storage, "basepath", "") or getattr(storage, "bucket_folder", "") or "")
    bucket = getattr(storage, "bucket_name", None)
    if bucket:  # prefect-aws's S3Bucket
        return f"s3://{bucket}/{basepath.strip('/') + '/' if basepath.strip('/') else ''}{name}"
    if "://" in basepath:
        return f"{basepath.rstrip('/')}/{name}"
    return (Path(basepath or ".").expanduser() / name).resolve().as_uri()
