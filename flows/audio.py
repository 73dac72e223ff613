"""The `generate_audio` flow: music from a prompt, through the same tasks as video."""

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
from ._parameters import MusicModel, Seconds

__all__ = ["generate_audio"]


def _run_name() -> str:
    parameters = flow_run.parameters
    return f"generate-audio/{parameters.get('model', 'google/lyria2')}/{slugify(str(parameters.get('prompt', '')))}"


@flow(
    name="generate-audio",
    flow_run_name=_run_name,
    on_cancellation=[report_abandoned],
    on_crashed=[report_abandoned],
)
async def generate_audio(
    prompt: str | None = None,
    model: MusicModel = "google/lyria2",
    negative_prompt: str | None = None,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
    output_dir: str = "audio",
    output_storage: WritableFileSystem | str | None = None,
    credentials: AimlApiCredentials | str | None = None,
    deadline_s: Seconds = DEFAULT_DEADLINE_S,
    expected_s: Seconds | None = None,
    refresh: bool = False,
    allow_unlisted_model: bool = False,
    release_worker: bool = False,
) -> GenerationResult:
    """Generate music with the AI/ML API and save it (.wav or .mp3, by its type).

    Validation, resumption and verification work as in `generate_video`.

    Args:
        prompt: A description of the music (Lyria 2, Stable Audio) or the lyrics
            (minimax-music).
        model: A music model id, e.g. `google/lyria2`; `python -m aimlapi_client models` lists them.
        negative_prompt: What the music should avoid (Lyria 2).
        seed: Fixes the randomness for repeatable results (Lyria 2).
        options: Other fields of the model, e.g. `{"seconds_total": 20}` for
            Stable Audio or `{"reference_audio_url": "https://..."}` for minimax-music.
        output_dir: Directory for the downloaded file.
        output_storage: A file system block to keep a verified copy in (a block, or
            its saved name as `block-type-slug/block-name`, e.g. `s3-bucket/videos`
            or `remote-file-system/archive`); the result gives its `storage_uri`.
        credentials: An `AimlApiCredentials` block, a saved block's name, or None
            for `AIMLAPI_API_KEY` / `AIMLAPI_BASE_URL`.
        deadline_s: Wall-clock seconds to wait for the generation.
        expected_s: Typical seconds per generation, to schedule polls from; the
            model's catalogue value if unset.
        refresh: Submit a new generation even if an identical one was made before.
        allow_unlisted_model: Send a `model` the catalogue does not know (one newer
            than this release) as given, checked only as JSON; a WARNING says that
            nothing was checked before paying.
        release_worker: Free the worker while the music renders: once submitted,
            the run suspends (its process ends) and the `watch-suspended` deployment
            resumes it when the generation is done, to download it. Deployment runs
            only (refused before paying otherwise); it needs `make deploy`'s watcher.
    """
    fields = {"prompt": prompt, "negative_prompt": negative_prompt, "seed": seed}
    request = request_for("audio", model, fields, options, allow_unlisted_model=allow_unlisted_model)
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
