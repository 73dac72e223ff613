"""`storyboard`: compose `generate_video` into a larger flow (the pattern to copy).

Each scene is a `generate_video` subflow, all running at once; the clips are
listed in scene order in a JSON manifest. Every scene is cached like any
`generate_video` run, so if one scene fails, re-running the storyboard pays only
for the scenes that are missing.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from prefect import flow
from prefect.artifacts import acreate_markdown_artifact

from blocks import AimlApiCredentials

from ._generation import GenerationResult
from ._parameters import VideoModel
from .video import generate_video

__all__ = ["storyboard"]


@flow(name="storyboard")
async def storyboard(
    scenes: list[str],
    model: VideoModel = "google/veo3",
    duration: int | None = None,
    aspect_ratio: str | None = None,
    output_dir: str = "storyboard",
    credentials: AimlApiCredentials | str | None = None,
) -> str:
    """Generate one clip per scene prompt and write `manifest.json` with them in order.

    Args:
        scenes: One prompt per scene, in the order the clips should play.
        model: The video model for every scene.
        duration: Clip length in seconds; the model's default if unset.
        aspect_ratio: Frame aspect ratio; the model's default if unset.
        output_dir: Directory for the clips and the manifest.
        credentials: An `AimlApiCredentials` block, a saved block's name, or None
            for `AIMLAPI_API_KEY` / `AIMLAPI_BASE_URL`.

    Returns:
        The manifest's path.

    Raises:
        RuntimeError: Some scenes failed (listed); the others are kept and cached.
    """
    if not scenes:
        raise ValueError("scenes must list at least one prompt")
    clips = await asyncio.gather(
        *(
            generate_video(
                prompt=scene,
                model=model,
                duration=duration,
                aspect_ratio=aspect_ratio,
                output_dir=output_dir,
                credentials=credentials,
            )
            for scene in scenes
        ),
        return_exceptions=True,
    )
    failed = [f"scene {i + 1}: {clip}" for i, clip in enumerate(clips) if isinstance(clip, BaseException)]
    if failed:
        raise RuntimeError("Storyboard incomplete; re-run to resume. " + "; ".join(failed))
    done = [clip for clip in clips if isinstance(clip, GenerationResult)]
    manifest = Path(output_dir) / "manifest.json"
    _write_atomically(manifest, _manifest(model, done))
    await acreate_markdown_artifact(
        key="aimlapi-storyboard",
        markdown="\n".join(f"{i + 1}. `{clip.path}`: {clip.prompt}" for i, clip in enumerate(done)),
        description=f"Storyboard of {len(clips)} scenes: {manifest}",
    )
    return str(manifest)


def _manifest(model: str, clips: list[GenerationResult]) -> dict:
    return {
        "model": model,
        "clips": [
            {
                "scene": index + 1,
                "prompt": clip.prompt,
                "path": clip.path,
                "generation_id": clip.generation_id,
                "bytes": clip.bytes,
                "sha256": clip.sha256,
            }
            for index, clip in enumerate(clips)
        ],
    }


def _write_atomically(path: Path, content: dict) -> None:
    partial = path.with_name(f".{path.name}.part")
    partial.write_text(json.dumps(content, indent=2))
    os.replace(partial, path)
