"""`publish_video`: an example of a flow chained after `generate_video` by its event.

In `prefect.yaml`, the `publish-on-completed` deployment runs this flow whenever an
`aimlapi.video.completed` event arrives, with the path from the event's payload.
Replace the copy with your own upload (S3, a CMS, a message to a channel).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact

__all__ = ["publish_video"]


@flow(name="publish-video", flow_run_name="publish-video/{generation_id}")
async def publish_video(path: str, generation_id: str, publish_dir: str = "published") -> str:
    """Check a generated MP4 and copy it into `publish_dir` atomically.

    Args:
        path: The local file `generate_video` wrote.
        generation_id: The generation it came from.
        publish_dir: Where published files go.

    Returns:
        The published file's path.
    """
    source = Path(path)
    with source.open("rb") as video:
        if video.read(12)[4:8] != b"ftyp":
            raise ValueError(f"{path} is not an MP4 file")
    target_dir = Path(publish_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / source.name
    partial = target_dir / f".{source.name}.part"
    shutil.copyfile(source, partial)
    os.replace(partial, target)
    await acreate_markdown_artifact(
        key="aimlapi-published",
        markdown=f"Published generation `{generation_id}` as `{target}`.",
        description="The latest published video",
    )
    get_run_logger().info("Published %s to %s", path, target)
    return str(target)
