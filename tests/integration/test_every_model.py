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
from tests._requests import minimal_options

pytestmark = pytest.mark.usefixtures("prefect_server")

EXPECTED_FILES = {".mp4": SAMPLE_VIDEO, ".wav": SAMPLE_WAV, ".mp3": SAMPLE_MP3}
INPUTS = {"image": "image_url", "video": "video_url", "audio": "audio_url"}


def run(spec: ModelSpec, credentials: AimlApiCredentials, output_dir: Path):
    """The flow call a user would write for `spec`, with its minimal valid input."""
    # expected_s: the emulator renders in 0.3 s, not in the catalogue's minutes
    common = {"model": spec.id, "credentials": credentials, "output_dir": str(output_dir), "expected_s": 0.5}
    flow = generate_audio if spec.kind == "music" else generate_video
    return flow(options=minimal_options(spec), **common)


def models_for(route_style: str) -> list[ModelSpec]:
    """Unified: every model. Legacy: those with a per-provider route, and two without."""
    specs = list_models()
    if route_style == "unified":
        return specs
    fallback = ["google/veo-3.1-t2v", "openai/sora-2-i2v"]
    return [spec for spec in specs if spec.legacy or spec.kind == "music" or spec.id in fallback]


def test_the_minimal_requests_cover_every_input_kind_of_every_family():
    families: dict[str, set[str]] = {}
    for spec in list_models():
        family = spec.id.split("/")[0] if "/" in spec.id else spec.id
        sent = " ".join(minimal_options(spec))
        used = {kind for kind, name in INPUTS.items() if name.split("_")[0] in sent} or {"text"}
        families.setdefault(family, set()).update(used)
    assert {"text", "image", "video", "audio"} <= families["alibaba"] | families["bytedance"]
    assert {"text", "image", "video", "audio"} <= families["klingai"]
    assert {"text", "image", "video"} <= families["google"]


@pytest.mark.parametrize("route_style", ["legacy", "unified"])
async def test_every_model_produces_its_file(aimlapi_sim, tmp_path, route_style):
    credentials = AimlApiCredentials(api_key=SIM_API_KEY, base_url=aimlapi_sim.base_url, route_style=route_style)
    specs = models_for(route_style)
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
    documented_legacy = {"/v2/generate/video/kling/generation", "/v2/generate/video/alibaba/generation"}
    music = {"/v2/generate/audio", "/v2/generate/audio/minimax/generate"}
    if route_style == "unified":
        assert posted == {"/v2/video/generations"} | documented_legacy | music
    else:
        providers = {f"/v2/generate/video/{p}/generation" for p in ("google", "luma-ai", "minimax", "runway")}
        assert posted == {"/v2/video/generations"} | documented_legacy | providers | music
