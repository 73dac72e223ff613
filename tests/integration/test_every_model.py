"""Every catalogue model, end to end through the flows, on both route styles."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from aimlapi_client import ModelSpec, list_models
from aimlapi_sim import SAMPLE_MP3, SAMPLE_VIDEO, SAMPLE_WAV
from aimlapi_sim.pytest_plugin import SIM_API_KEY
from blocks import AimlApiCredentials
from flows import generate_audio, generate_video

pytestmark = pytest.mark.usefixtures("prefect_server")

IMAGE = "https://images.example.com/first-frame.png"
EXPECTED_FILES = {".mp4": SAMPLE_VIDEO, ".wav": SAMPLE_WAV, ".mp3": SAMPLE_MP3}


def run(spec: ModelSpec, credentials: AimlApiCredentials, output_dir: Path):
    """The flow call a user would write for `spec`, with its minimal valid input."""
    common = {"model": spec.id, "credentials": credentials, "output_dir": str(output_dir)}
    if spec.kind == "music":
        options = {"reference_audio_url": "https://audio.example.com/ref.mp3"} if spec.id == "minimax-music" else None
        return generate_audio(prompt="A calm piano loop", options=options, **common)
    if spec.kind == "effects":
        return generate_video(image_url=[IMAGE, IMAGE], options={"effect_scene": "hug"}, **common)
    if spec.kind == "image-to-video":
        return generate_video(prompt="The scene comes alive", image_url=IMAGE, **common)
    return generate_video(prompt="A paper boat in the rain", **common)


@pytest.mark.parametrize("route_style", ["legacy", "unified"])
async def test_every_model_produces_its_file(aimlapi_sim, tmp_path, route_style):
    credentials = AimlApiCredentials(api_key=SIM_API_KEY, base_url=aimlapi_sim.base_url, route_style=route_style)
    specs = list_models()
    # A few flows at a time: the test server's SQLite answers 503 when dozens of runs start at once.
    bound = asyncio.Semaphore(4)

    async def bounded(spec: ModelSpec):
        async with bound:
            return await run(spec, credentials, tmp_path / spec.id.replace("/", "_"))

    outcomes = await asyncio.gather(*(bounded(spec) for spec in specs), return_exceptions=True)
    problems = []
    for spec, outcome in zip(specs, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            problems.append(f"{spec.id}: {type(outcome).__name__}: {outcome}")
            continue
        path = Path(outcome.path)
        expected = EXPECTED_FILES.get(path.suffix)
        if expected is None or path.read_bytes() != expected:
            problems.append(f"{spec.id}: wrote {path.name}, not the file the CDN served")
    assert not problems, "\n".join(problems)
    assert len(aimlapi_sim.ledger.accepted) == len(specs)
    posted = {r.path for r in aimlapi_sim.ledger.of("api", "POST")}
    if route_style == "unified":
        assert posted == {"/v2/video/generations", "/v2/generate/audio"}
    else:
        assert "/v2/video/generations" not in posted and len(posted) == 7  # six providers + audio
