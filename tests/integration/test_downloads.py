"""Many writers, one destination: concurrent downloads of one generation, leftovers, twins."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aimlapi_client import DownloadError, Generation, VideoClient, build_request, result_path
from aimlapi_sim import padded_video
from aimlapi_sim.pytest_plugin import SIM_API_KEY

ROOT = Path(__file__).parents[2]
DOWNLOAD = """
import asyncio, sys
from pathlib import Path
from aimlapi_client import Generation, VideoClient
async def main():
    generation = Generation.model_validate_json(sys.argv[2])
    async with VideoClient("unused", base_url=sys.argv[1]) as client:
        print((await client.download(generation, Path(sys.argv[3]))).model_dump_json())
asyncio.run(main())
"""


@pytest.fixture
async def done(aimlapi_sim) -> Generation:
    """A completed generation whose 1 MB file the CDN serves at 400 KB/s."""
    aimlapi_sim.video = padded_video(1_000_000)
    async with VideoClient(SIM_API_KEY, base_url=aimlapi_sim.base_url) as client:
        generation = await client.submit(build_request("google/veo3", prompt="one file, many writers"))
        finished = await client.wait(generation.id, model="google/veo3", deadline_s=30, expected_s=1)
    aimlapi_sim.cdn_bytes_per_s = 400_000
    return finished


def leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir() if path.name.endswith(".part"))


async def test_two_processes_downloading_one_generation_both_succeed_with_one_file(aimlapi_sim, done, tmp_path):
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", DOWNLOAD, aimlapi_sim.base_url, done.model_dump_json(), str(tmp_path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    outcomes = [writer.communicate(timeout=60) for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0], [err[-2000:] for _, err in outcomes]
    results = [json.loads(out) for out, _ in outcomes]
    assert len(aimlapi_sim.ledger.of("cdn")) == 2  # both streamed at the same time
    expected = hashlib.sha256(aimlapi_sim.video).hexdigest()
    assert {result["path"] for result in results} == {str(result_path(done, tmp_path))}
    assert [result["sha256"] for result in results] == [expected, expected]
    assert sorted(result["reused"] for result in results) == [False, True]  # one published, one found it
    assert [path.name for path in tmp_path.iterdir()] == [result_path(done, tmp_path).name]
    assert hashlib.sha256(result_path(done, tmp_path).read_bytes()).hexdigest() == expected


async def test_a_verified_file_in_place_is_reused_without_a_request(aimlapi_sim, done, tmp_path):
    result_path(done, tmp_path).write_bytes(aimlapi_sim.video)
    async with VideoClient(SIM_API_KEY, base_url=aimlapi_sim.base_url) as client:
        downloaded = await client.download(done, tmp_path)
    assert downloaded.reused and downloaded.sha256 == hashlib.sha256(aimlapi_sim.video).hexdigest()
    assert aimlapi_sim.ledger.of("cdn") == []


async def test_a_broken_leftover_is_replaced_by_the_verified_file(aimlapi_sim, done, tmp_path):
    aimlapi_sim.cdn_bytes_per_s = None
    result_path(done, tmp_path).write_bytes(aimlapi_sim.video[:1000])  # an earlier, cut-off copy
    async with VideoClient(SIM_API_KEY, base_url=aimlapi_sim.base_url) as client:
        downloaded = await client.download(done, tmp_path)
    assert not downloaded.reused
    assert result_path(done, tmp_path).read_bytes() == aimlapi_sim.video
    assert leftovers(tmp_path) == []


async def test_a_different_file_published_meanwhile_is_never_replaced(aimlapi_sim, done, tmp_path):
    unannounced = done.model_copy(update={"video": done.video.model_copy(update={"file_size": None})})
    dest = result_path(unannounced, tmp_path)
    other = padded_video(20_000)  # a different, valid MP4 that lands while ours is in flight
    async with VideoClient(SIM_API_KEY, base_url=aimlapi_sim.base_url) as client:
        download = asyncio.create_task(client.download(unannounced, tmp_path))
        await asyncio.sleep(0.5)
        dest.write_bytes(other)
        with pytest.raises(DownloadError, match="different verified file"):
            await download
    assert dest.read_bytes() == other
    assert leftovers(tmp_path) == []


async def test_the_bytes_are_on_disk_before_the_name_points_at_them(aimlapi_sim, done, tmp_path, monkeypatch):
    """A crash or power loss must never leave a published name on a file that is not all there."""
    aimlapi_sim.cdn_bytes_per_s = None
    steps: list[tuple[str, str]] = []
    sync, link = os.fsync, os.link

    def recorded_sync(descriptor: int) -> None:
        steps.append(("sync", os.readlink(f"/proc/self/fd/{descriptor}")))
        sync(descriptor)

    def recorded_link(source, destination) -> None:
        steps.append(("link", str(destination)))
        link(source, destination)

    monkeypatch.setattr(os, "fsync", recorded_sync)
    monkeypatch.setattr(os, "link", recorded_link)
    async with VideoClient(SIM_API_KEY, base_url=aimlapi_sim.base_url) as client:
        downloaded = await client.download(done, tmp_path)
    (synced_part, part), published, synced_directory = steps
    assert synced_part == "sync" and Path(part).name.endswith(".part") and Path(part).parent == tmp_path
    assert published == ("link", downloaded.path) and synced_directory == ("sync", str(tmp_path))
    assert Path(downloaded.path).read_bytes() == aimlapi_sim.video and leftovers(tmp_path) == []
