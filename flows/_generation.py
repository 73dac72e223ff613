"""The single-generation pipeline shared by `generate_video`, `generate_audio` and
`collect_generation`: submit (cached), then wait, download and report as task runs."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from prefect import get_run_logger, tags
from prefect.artifacts import acreate_markdown_artifact
from prefect.filesystems import WritableFileSystem
from prefect.results import ResultStore
from pydantic import BaseModel, ConfigDict

from aimlapi_client import (
    DownloadedFile,
    Generation,
    GenerationFailedError,
    ObservedTimes,
    RequestBase,
    RequestValidationError,
    VideoClient,
    build_request,
    get_model,
    result_path,
)
from blocks import AimlApiCredentials, resolve_credentials
from tasks import (
    best_effort,
    check_submission_storage,
    download_video_as_asset,
    load_output_storage,
    store_copy,
    submission_locks,
    submission_store,
    submit_cached,
    submit_task_for,
    wait_for_video,
)

from ._events import GenerationInfo, Media, emit_generation_event, emit_unsubmitted_failure
from ._naming import slugify
from ._priors import load_priors, save_priors
from ._release import check_release_possible, release_worker

__all__ = [
    "GenerationResult",
    "check_writable",
    "finish_generation",
    "merge_options",
    "request_for",
    "run_generation",
    "submit_generation",
]


class GenerationResult(BaseModel):
    """What a generation flow returns: where the file is and how it was made."""

    model_config = ConfigDict(frozen=True)

    generation_id: str
    model: str
    prompt: str | None
    path: str
    """The file's absolute path, on `host`."""
    host: str = ""
    """The machine (worker) that wrote the file."""
    url: str
    bytes: int
    sha256: str
    seconds: float
    """Wall-clock seconds from submission (or from the start of collecting) to the file on disk."""
    credits_used: float | None = None
    """Credits the API reported for the generation, where it reports them."""
    storage_uri: str | None = None
    """Where a copy was stored, when the flow was given `output_storage`."""


def merge_options(fields: dict[str, Any], options: dict[str, Any] | None) -> dict[str, Any]:
    """The flow's named fields plus its `options`; a field may be set in one place only.

    Raises:
        RequestValidationError: A field is set both ways.
    """
    both = sorted(name for name in (options or {}) if fields.get(name) is not None)
    if both:
        raise RequestValidationError(f"{', '.join(both)}: set as a parameter and in options; keep one")
    return fields | (options or {})


def request_for(
    media: Media,
    model: str,
    fields: dict[str, Any],
    options: dict[str, Any] | None,
    *,
    allow_unlisted_model: bool,
) -> RequestBase:
    """The typed request of a generation flow, checked to be of the flow's media.

    Raises:
        RequestValidationError: The model makes the other media, is not in the
            catalogue (and not allowed unlisted), or a field is invalid.
    """
    try:
        spec = get_model(model)
        listed = not spec.unlisted
    except RequestValidationError:
        if not allow_unlisted_model:
            raise
        listed = False
    kind = spec.kind if listed else "music" if media == "audio" else "unlisted"  # unlisted: as the caller says
    if (kind == "music") != (media == "audio"):
        other = "generate_video" if kind != "music" else "generate_audio"
        raise RequestValidationError(f"{model} makes {'music' if kind == 'music' else 'video'}: use the {other} flow")
    return build_request(
        model,
        allow_unlisted_model=allow_unlisted_model,
        media="music" if media == "audio" else "video",
        log=get_run_logger(),
        **merge_options(fields, options),
    )


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


def media_of(model: str) -> Media:
    """`audio` for music models, `video` for the rest."""
    return "audio" if get_model(model).kind == "music" else "video"


async def submit_generation(
    request: RequestBase,
    client: VideoClient,
    *,
    output_dir: str,
    refresh: bool,
    inline_store: ResultStore | None = None,
    after_create: Callable[[], Awaitable[None]] | None = None,
) -> tuple[Generation, GenerationInfo, bool]:
    """Submit through the cached `submit_video` task and emit `submitted`.

    Args:
        inline_store: Submit through this store (`submission_store`: the task's cache
            and lock) without a task run of its own (`submit_cached`): for batches,
            where task runs are most of the cost.
        after_create: With `inline_store`: awaited after a new create's answer,
            before its record is written (see `submit_cached`).

    Returns:
        The generation, what identifies it, and whether it was resumed from the
        cache (True: nothing new was paid).

    Raises:
        AimlApiError: The submission failed; a `failed` event says whether it may
            have been billed.
    """
    spec = get_model(request.model)
    prompt = getattr(request, "prompt", None)
    try:
        if inline_store is not None:
            generation, resumed = await submit_cached(
                request, client, store=inline_store, refresh=refresh, after_create=after_create
            )
        else:
            locks = submission_locks()  # AIMLAPI_LOCKS, read as the run goes
            with tags("aimlapi", request.model, spec.vendor):
                state = await submit_task_for(locks, refresh)(request, client, return_state=True)  # type: ignore[misc]
            generation = await state.aresult()
            resumed = state.name == "Cached"
    except Exception as exc:
        emit_unsubmitted_failure(media_of(request.model), request.model, prompt, exc)
        raise
    info = GenerationInfo.of(
        generation.id,
        media=media_of(request.model),
        model=request.model,
        prompt=prompt,
        client=client,
        output_dir=output_dir,
    )
    emit_generation_event("submitted", info, resumed=resumed)
    return generation, info, resumed


def result_of(
    info: GenerationInfo, generation: Generation, downloaded: DownloadedFile, started: float
) -> GenerationResult:
    """The flow result for a generation whose file is on disk."""
    return GenerationResult(
        generation_id=info.generation_id,
        model=info.model,
        prompt=info.prompt,
        path=os.path.abspath(downloaded.path),  # in `info.output_dir`, resolved once (`GenerationInfo.of`)
        host=socket.gethostname(),
        url=downloaded.url,
        bytes=downloaded.bytes,
        sha256=downloaded.sha256,
        seconds=round(time.monotonic() - started, 3),
        credits_used=generation.credits_used,
    )


def failed_details(exc: BaseException) -> dict[str, Any]:
    """The `failed` event's details: `final` when the generation itself failed (nothing to collect)."""
    return {"error": f"{type(exc).__name__}: {exc}", "final": isinstance(exc, GenerationFailedError)}


async def finish_generation(
    info: GenerationInfo,
    client: VideoClient,
    *,
    deadline_s: float,
    expected_s: float | None,
    started: float,
    priors: ObservedTimes | None = None,
    learn: bool = False,
    parameters: dict[str, Any] | None = None,
    known: Generation | None = None,
    storage: WritableFileSystem | None = None,
    elapsed_s: float | None = None,
) -> GenerationResult:
    """Wait for a paid generation, download it, write the artifact, emit the events.

    Args:
        known: The generation as submitted; if already finished, no poll is made.
        storage: A file system block to store a copy in (`load_output_storage`).
        priors: Generation times observed so far, the poll schedule's prior.
        learn: Record this generation's time in `priors` (it was just submitted).
        parameters: The request's fields, shown in the artifact (None when collecting by id).
        elapsed_s: Seconds since it was submitted, when the wait starts later (a
            resumed run): the first poll comes at once.
    """
    spec = get_model(info.model)
    try:
        with tags("aimlapi", info.model, spec.vendor):
            generation = await wait_for_video(
                info.generation_id,
                info.model,
                client,
                deadline_s,
                expected_s=expected_s,
                priors=priors,
                learn=learn,
                known=known,
                elapsed_s=elapsed_s,
            )
            path = result_path(generation, info.output_dir, spec.extension)
            download = download_video_as_asset(path, f"{info.model}: {info.prompt or ''}")
            downloaded = await download(generation, client, info.output_dir, spec.extension)
        result = result_of(info, generation, downloaded, started)
        if storage is not None:
            uri = await store_copy(storage, result.path, result.sha256, f"{info.model}: {info.prompt or ''}")
            result = result.model_copy(update={"storage_uri": uri})
    except Exception as exc:
        emit_generation_event("failed", info, **failed_details(exc))
        raise
    logger = get_run_logger()
    await best_effort(
        acreate_markdown_artifact(
            key=f"aimlapi-{info.media}-{slugify(info.model, 30)}",
            markdown=_summary(info.media, result, parameters),
            description=f"{info.model}: {(info.prompt or '')[:80]}",
        ),
        "writing the result artifact",
        logger,
    )
    emit_generation_event(
        "completed", info, path=result.path, host=result.host, url=result.url, bytes=result.bytes,
        storage_uri=result.storage_uri,
    )  # fmt: skip
    logger.info(
        "%s ready: %s%s", info.media.capitalize(), result.path, f" and {result.storage_uri}" * bool(result.storage_uri)
    )
    return result


async def run_generation(
    request: RequestBase,
    *,
    output_dir: str,
    credentials: AimlApiCredentials | str | None,
    deadline_s: float,
    refresh: bool,
    expected_s: float | None,
    output_storage: WritableFileSystem | str | None = None,
    release: bool = False,
) -> GenerationResult:
    """The body of the single-generation flows: check, connect, submit, finish.

    Args:
        release: Suspend the run while the generation renders (`release_worker`).
    """
    check_writable(output_dir)
    storage = await load_output_storage(output_storage)  # a wrong block name fails before paying
    plan = await check_release_possible() if release else None
    if plan and plan.resumed:
        refresh = False  # resumed: its generation is paid for
    else:
        await check_submission_storage(await submission_store(submission_locks()))
    resolved = await resolve_credentials(credentials)
    async with resolved.get_client() as client:
        client.request_body(request)  # a field the route lacks fails here, before paying
        priors = await load_priors(get_run_logger())
        started = time.monotonic()
        generation, info, resumed = await submit_generation(request, client, output_dir=output_dir, refresh=refresh)
        elapsed_s = await release_worker(plan, generation, deadline_s=deadline_s) if plan else None
        if elapsed_s:  # resumed: the result's seconds count from the submission, not the resume
            started = time.monotonic() - elapsed_s
        try:
            return await finish_generation(
                info, client, deadline_s=deadline_s, expected_s=expected_s, started=started, priors=priors,
                learn=not resumed, parameters=request.to_api(), known=generation, storage=storage, elapsed_s=elapsed_s,
            )  # fmt: skip
        finally:
            await save_priors(priors, get_run_logger())


def _summary(media: Media, result: GenerationResult, parameters: dict[str, Any] | None) -> str:
    credits = f"\n- Credits used: {result.credits_used:,.0f}" if result.credits_used is not None else ""
    text = (
        f"# {media.capitalize()} generated\n\n**Prompt:** {result.prompt or '(none)'}\n\n"
        f"- {media.capitalize()}: [{result.url}]({result.url})\n- File: `{result.path}` on `{result.host}` "
        f"({result.bytes:,} bytes, sha256 `{result.sha256[:16]}…`)\n"
        + (f"- Stored: `{result.storage_uri}`\n" if result.storage_uri else "")
        + f"- Generation id: `{result.generation_id}`\n- Took {result.seconds:.1f} s{credits}\n"
    )
    if parameters:
        rows = "\n".join(f"| `{name}` | {_shown(value)} |" for name, value in parameters.items() if name != "prompt")
        text += f"\n| parameter | value |\n|---|---|\n{rows}\n"
    return text


def _shown(value: Any) -> Any:
    """A parameter as the artifact shows it: an inline file by its type and size only."""
    if isinstance(value, list):
        return ", ".join(str(_shown(item)) for item in value)
    if isinstance(value, str) and value.startswith("data:"):
        header, _, payload = value.partition(",")
        return f"{header},... ({len(payload) * 3 // 4 - payload.count('='):,} bytes)"
    return value
