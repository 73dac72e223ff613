"""The `generate_video` flow: one prompt in, one verified video file out."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, tags
from prefect.artifacts import acreate_markdown_artifact
from prefect.events import emit_event
from prefect.runtime import flow_run
from pydantic import BaseModel, ConfigDict

from aimlapi_client import AimlApiError, Generation, RequestValidationError, build_request, get_model
from blocks import AimlApiCredentials, resolve_credentials
from tasks import download_video_as_asset, submit_video, video_path, wait_for_video

__all__ = ["VideoResult", "generate_video"]


class VideoResult(BaseModel):
    """What `generate_video` returns: where the video is and how it was made."""

    model_config = ConfigDict(frozen=True)

    generation_id: str
    model: str
    prompt: str
    path: str
    url: str
    bytes: int
    sha256: str
    seconds: float
    """Wall-clock seconds this run spent, from validation to the file on disk."""


def slugify(text: str, limit: int = 40) -> str:
    """A short, lowercase, dash-separated form of `text` for names and keys."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].rstrip("-") or "untitled"


def _run_name() -> str:
    parameters = flow_run.parameters
    return f"generate-video/{parameters.get('model', 'google/veo3')}/{slugify(str(parameters.get('prompt', '')))}"


@flow(name="generate-video", flow_run_name=_run_name)
async def generate_video(
    prompt: str,
    model: str = "google/veo3",
    aspect_ratio: str | None = None,
    duration: int | None = None,
    negative_prompt: str | None = None,
    enhance_prompt: bool = True,
    seed: int | None = None,
    generate_audio: bool = True,
    output_dir: str = "videos",
    credentials: AimlApiCredentials | str | None = None,
    deadline_s: float = 1000.0,
    refresh: bool = False,
) -> VideoResult:
    """Generate a video with the AI/ML API and save it to `output_dir`.

    The request is validated before anything is paid for. The submission is cached
    on the request, so re-running this flow with the same parameters (after a crash,
    a failed download, a deadline) resumes the same generation instead of paying
    again; `refresh=True` forces a new one.

    Args:
        prompt: What the video should show.
        model: The model id, e.g. `google/veo3`.
        aspect_ratio: Frame aspect ratio, e.g. `16:9`; the model's default if unset.
        duration: Clip length in seconds; the model's default if unset.
        negative_prompt: What the video should avoid.
        enhance_prompt: Let the API rewrite the prompt for quality.
        seed: Fixes the randomness for repeatable results.
        generate_audio: Generate a soundtrack with the video.
        output_dir: Directory for the downloaded file.
        credentials: An `AimlApiCredentials` block or a saved block's name; if unset,
            `AIMLAPI_API_KEY` and `AIMLAPI_BASE_URL` are read from the environment.
        deadline_s: Wall-clock seconds to wait for the generation.
        refresh: Submit a new generation even if an identical one was made before.
    """
    started = time.monotonic()
    request = build_request(
        model,
        prompt=prompt,
        aspect_ratio=aspect_ratio,
        duration=duration,
        negative_prompt=negative_prompt,
        enhance_prompt=enhance_prompt,
        seed=seed,
        generate_audio=generate_audio,
    )
    _check_writable(output_dir)
    resolved = await resolve_credentials(credentials)
    spec = get_model(model)
    logger = get_run_logger()
    generation: Generation | None = None
    try:
        with tags("aimlapi", model, spec.provider):
            async with resolved.get_client() as client:
                generation = await submit_video.with_options(refresh_cache=refresh)(request, client)
                _emit("submitted", generation.id, model=model, prompt=prompt)
                generation = await wait_for_video(generation.id, model, client, deadline_s)
                path = video_path(generation.id, output_dir, spec.extension)
                download = download_video_as_asset(path, f"{model}: {prompt}")
                downloaded = await download(generation, client, output_dir, spec.extension)
    except AimlApiError as exc:
        _emit("failed", generation.id if generation else None, model=model, prompt=prompt, error=str(exc))
        raise
    result = VideoResult(
        generation_id=generation.id,
        model=model,
        prompt=prompt,
        path=downloaded.path,
        url=downloaded.url,
        bytes=downloaded.bytes,
        sha256=downloaded.sha256,
        seconds=round(time.monotonic() - started, 3),
    )
    await acreate_markdown_artifact(
        key=f"aimlapi-video-{slugify(model, 30)}",
        markdown=_summary(result, request.to_api()),
        description=f"{model}: {prompt[:80]}",
    )
    _emit("completed", result.generation_id, model=model, prompt=prompt, path=result.path, url=result.url, bytes=result.bytes)
    logger.info("Video ready: %s", result.path)
    return result


def _check_writable(output_dir: str) -> None:
    path = Path(output_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RequestValidationError(f"output_dir {output_dir!r} cannot be created: {exc.strerror}") from None
    if not path.is_dir() or not os.access(path, os.W_OK | os.X_OK):
        raise RequestValidationError(f"output_dir {output_dir!r} must be a writable directory")


def _emit(what: str, generation_id: str | None, **payload: Any) -> None:
    resource = {
        "prefect.resource.id": f"aimlapi.generation.{generation_id or 'unsubmitted'}",
        "prefect.resource.name": slugify(str(payload.get("prompt", ""))),
        "aimlapi.model": str(payload.get("model")),
    }
    emit_event(event=f"aimlapi.video.{what}", resource=resource, payload={"generation_id": generation_id, **payload})


def _summary(result: VideoResult, request: dict[str, Any]) -> str:
    rows = "\n".join(f"| `{name}` | {value} |" for name, value in request.items() if name != "prompt")
    return (
        f"# Video generated\n\n**Prompt:** {result.prompt}\n\n"
        f"- Video: [{result.url}]({result.url})\n- Local file: `{result.path}` "
        f"({result.bytes:,} bytes, sha256 `{result.sha256[:16]}…`)\n"
        f"- Generation id: `{result.generation_id}`\n- Took {result.seconds:.1f} s\n\n"
        f"| parameter | value |\n|---|---|\n{rows}\n"
    )
