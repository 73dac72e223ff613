"""The body shared by the generation flows (single, music, batch): submit, wait, download, report."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from prefect import get_run_logger, tags
from prefect.artifacts import acreate_markdown_artifact
from prefect.events import emit_event
from pydantic import BaseModel, ConfigDict

from aimlapi_client import AimlApiError, Generation, RequestBase, RequestValidationError, VideoClient, get_model
from blocks import AimlApiCredentials, resolve_credentials
from tasks import download_video_as_asset, result_path, save_result, submit_video, wait_for_video

__all__ = ["GenerationResult", "check_writable", "generate_one", "merge_options", "run_generation", "slugify"]

Media = Literal["video", "audio"]
# Built once: every Task built costs an inspect.getsource of its function.
_SUBMIT = {False: submit_video, True: submit_video.with_options(refresh_cache=True)}


class GenerationResult(BaseModel):
    """What a generation flow returns: where the file is and how it was made."""

    model_config = ConfigDict(frozen=True)

    generation_id: str
    model: str
    prompt: str | None
    path: str
    url: str
    bytes: int
    sha256: str
    seconds: float
    """Wall-clock seconds from submission to the file on disk."""
    credits_used: float | None = None
    """Credits the API reported for the generation, where it reports them."""


def slugify(text: str, limit: int = 40) -> str:
    """A short, lowercase, dash-separated form of `text` for names and keys."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].rstrip("-") or "untitled"


def merge_options(fields: dict[str, Any], options: dict[str, Any] | None) -> dict[str, Any]:
    """The flow's named fields plus its `options`; a field may be set in one place only.

    Raises:
        RequestValidationError: A field is set both ways.
    """
    both = sorted(name for name in (options or {}) if fields.get(name) is not None)
    if both:
        raise RequestValidationError(f"{', '.join(both)}: set as a parameter and in options; keep one")
    return fields | (options or {})


def check_writable(output_dir: str) -> None:
    """Fail before paying if `output_dir` cannot receive the file.

    Raises:
        RequestValidationError: The directory cannot be created or written.
    """
    path = Path(output_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RequestValidationError(f"output_dir {output_dir!r} cannot be created: {exc.strerror}") from None
    if not path.is_dir() or not os.access(path, os.W_OK | os.X_OK):
        raise RequestValidationError(f"output_dir {output_dir!r} must be a writable directory")


async def run_generation(
    request: RequestBase,
    *,
    media: Media,
    output_dir: str,
    credentials: AimlApiCredentials | str | None,
    deadline_s: float,
    refresh: bool,
    expected_s: float | None,
) -> GenerationResult:
    """The body of the single-generation flows: check, connect, generate one."""
    check_writable(output_dir)
    resolved = await resolve_credentials(credentials)
    async with resolved.get_client() as client:
        client.request_body(request)  # a field the route lacks fails here, before paying
        return await generate_one(
            request, client, media=media, output_dir=output_dir, deadline_s=deadline_s, refresh=refresh, expected_s=expected_s
        )


async def generate_one(
    request: RequestBase,
    client: VideoClient,
    *,
    media: Media,
    output_dir: str,
    deadline_s: float,
    refresh: bool,
    expected_s: float | None = None,
    in_batch: bool = False,
    on_submitted: Callable[[bool], None] | None = None,
) -> GenerationResult:
    """Submit `request`, wait for it, download the result; emit events, write artifacts.

    Args:
        expected_s: Typical seconds for this generation (the poll schedule's prior);
            the model's catalogue value if unset.
        in_batch: Run only the submission as a task (it is what must be cached);
            wait and download inline, without per-item artifacts or asset. Each task
            run costs milliseconds of CPU, which adds up over thousands of items
            (see bench/README.md); the batch reports in one table and records all
            files as assets at the end.
        on_submitted: Called once the generation exists, with True if it was a new
            paid submission and False if the cache resumed an earlier one.
    """
    started = time.monotonic()
    spec = get_model(request.model)
    prompt = getattr(request, "prompt", None)
    details = {"model": request.model, "prompt": prompt}
    generation: Generation | None = None
    try:
        with tags("aimlapi", request.model, spec.provider):
            state = await _SUBMIT[refresh](request, client, return_state=True)
            generation = await state.aresult()
            resumed = state.name == "Cached"  # an earlier run's generation: nothing new was paid
            if on_submitted is not None:
                on_submitted(not resumed)
            _emit(media, "submitted", generation.id, **details, resumed=resumed)
            if in_batch:
                generation = await client.wait(
                    generation.id, model=request.model, deadline_s=deadline_s, expected_s=expected_s
                )
                downloaded = await save_result(generation, client, output_dir, spec.extension, get_run_logger())
            else:
                generation = await wait_for_video(generation.id, request.model, client, deadline_s, expected_s=expected_s)
                path = result_path(generation, output_dir, spec.extension)
                download = download_video_as_asset(path, f"{request.model}: {prompt or ''}")
                downloaded = await download(generation, client, output_dir, spec.extension)
    except AimlApiError as exc:
        _emit(media, "failed", generation.id if generation else None, **details, error=str(exc))
        raise
    result = GenerationResult(
        generation_id=generation.id,
        prompt=prompt,
        model=request.model,
        path=downloaded.path,
        url=downloaded.url,
        bytes=downloaded.bytes,
        sha256=downloaded.sha256,
        seconds=round(time.monotonic() - started, 3),
        credits_used=generation.credits_used,
    )
    if not in_batch:
        await acreate_markdown_artifact(
            key=f"aimlapi-{media}-{slugify(request.model, 30)}",
            markdown=_summary(media, result, request.to_api()),
            description=f"{request.model}: {(prompt or '')[:80]}",
        )
        get_run_logger().info("%s ready: %s", media.capitalize(), result.path)
    _emit(media, "completed", result.generation_id, **details, path=result.path, url=result.url, bytes=result.bytes)
    return result


def _emit(media: Media, what: str, generation_id: str | None, **payload: Any) -> None:
    resource = {
        "prefect.resource.id": f"aimlapi.generation.{generation_id or 'unsubmitted'}",
        "prefect.resource.name": slugify(str(payload.get("prompt") or payload.get("model"))),
        "aimlapi.model": str(payload.get("model")),
    }
    emit_event(event=f"aimlapi.{media}.{what}", resource=resource, payload={"generation_id": generation_id, **payload})


def _summary(media: Media, result: GenerationResult, request: dict[str, Any]) -> str:
    rows = "\n".join(f"| `{name}` | {value} |" for name, value in request.items() if name != "prompt")
    credits = f"\n- Credits used: {result.credits_used:,.0f}" if result.credits_used is not None else ""
    return (
        f"# {media.capitalize()} generated\n\n**Prompt:** {result.prompt or '(none)'}\n\n"
        f"- {media.capitalize()}: [{result.url}]({result.url})\n- Local file: `{result.path}` "
        f"({result.bytes:,} bytes, sha256 `{result.sha256[:16]}…`)\n"
        f"- Generation id: `{result.generation_id}`\n- Took {result.seconds:.1f} s{credits}\n\n"
        f"| parameter | value |\n|---|---|\n{rows}\n"
    )
