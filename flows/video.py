"""The `generate_video` flow: one request in, one verified video file out."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.filesystems import WritableFileSystem
from prefect.runtime import flow_run

from aimlapi_client import DEFAULT_DEADLINE_S
from blocks import AimlApiCredentials

from ._events import report_abandoned
from ._generation import GenerationResult, request_for, run_generation
from ._naming import slugify
from ._parameters import AspectRatio, Duration, Resolution, Seconds, VideoModel

__all__ = ["generate_video"]


def _run_name() -> str:
    parameters = flow_run.parameters
    subject = parameters.get("prompt") or (parameters.get("options") or {}).get("effect_scene") or ""
    return f"generate-video/{parameters.get('model', 'google/veo3')}/{slugify(str(subject))}"


@flow(
    name="generate-video",
    flow_run_name=_run_name,
    on_cancellation=[report_abandoned],
    on_crashed=[report_abandoned],
)
async def generate_video(
    prompt: str | None = None,
    model: VideoModel = "google/veo3",
    aspect_ratio: AspectRatio = None,
    duration: Duration = None,
    negative_prompt: str | None = None,
    enhance_prompt: bool | None = None,
    seed: int | None = None,
    generate_audio: bool | None = None,
    image_url: str | list[str] | None = None,
    tail_image_url: str | None = None,
    resolution: Resolution = None,
    options: dict[str, Any] | None = None,
    output_dir: str = "videos",
    output_storage: WritableFileSystem | str | None = None,
    credentials: AimlApiCredentials | str | None = None,
    deadline_s: Seconds = DEFAULT_DEADLINE_S,
    expected_s: Seconds | None = None,
    refresh: bool = False,
    allow_unlisted_model: bool = False,
    release_worker: bool = False,
) -> GenerationResult:
    """Generate a video with the AI/ML API and save it to `output_dir`.

    The request is validated for the model before anything is paid for. The
    submission is cached on the request, so re-running this flow with the same
    parameters (after a crash, a failed download, a deadline) resumes the same
    generation instead of paying again; `refresh=True` forces a new one.

    Args:
        prompt: What the video should show (not used by Kling effects).
        model: The model id, e.g. `google/veo3`; `python -m aimlapi_client models` lists them.
        aspect_ratio: Frame aspect ratio, e.g. `16:9`; the model's default if unset.
        duration: Clip length in seconds; the model's default if unset.
        negative_prompt: What the video should avoid.
        enhance_prompt: Let the API rewrite the prompt; the model's default if unset.
        seed: Fixes the randomness for repeatable results.
        generate_audio: Generate a soundtrack (Veo3); the model's default if unset.
        image_url: The image to animate, for image-to-video models (a list of two
            for Kling's two-person effects): an http(s) URL, or a local path or
            `file://` URI for the models whose docs take base64 (sent inline).
        tail_image_url: The last frame, where the model takes one.
        resolution: Output resolution, e.g. `1080p`; the model's default if unset.
        options: Other fields of the model, e.g. `{"cfg_scale": 0.5}` for Kling or
            `{"effect_scene": "hug"}` for Kling effects.
        output_dir: Directory for the downloaded file.
        output_storage: A file system block to keep a verified copy in (a block, or
            its saved name as `block-type-slug/block-name`, e.g. `s3-bucket/videos`
            or `remote-file-system/archive`); the result gives its `storage_uri`.
        credentials: An `AimlApiCredentials` block or a saved block's name; if unset,
            `AIMLAPI_API_KEY` and `AIMLAPI_BASE_URL` are read from the environment.
        deadline_s: Wall-clock seconds to wait for the generation.
        expected_s: Typical seconds per generation, to schedule polls from; the
            model's catalogue value if unset.
        refresh: Submit a new generation even if an identical one was made before.
        allow_unlisted_model: Send a `model` the catalogue does not know (one newer
            than this release) as given, checked only as JSON; a WARNING says that
            nothing was checked before paying.
        release_worker: Free the worker while the video renders: once submitted,
            the run suspends (its process ends) and the `watch-suspended` deployment
            resumes it when the generation is done, to download it. Deployment runs
            only (refused before paying otherwise); it needs `make deploy`'s watcher.
    """
    fields = {
        "prompt": prompt,
        "aspect_ratio": aspect_ratio,
        "duration": duration,
        "negative_prompt": negative_prompt,
        "enhance_prompt": enhance_prompt,
        "seed": seed,
        "generate_audio": generate_audio,
        "image_url": image_url,
        "tail_image_url": tail_image_url,
        "resolution": resolution,
    }
    request = request_for("video", model, fields, options, allow_unlisted_model=allow_unlisted_model)
    return await run_generation(
        request,
        output_dir=output_dir,
        credentials=credentials,
        deadline_s=deadline_s,
        refresh=refresh,
        expected_s=expected_s,
        output_storage=output_storage,
        release=release_worker,
    )
