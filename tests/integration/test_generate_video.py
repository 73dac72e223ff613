"""`generate_video` end to end: a real Prefect server (test harness) and the emulator."""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter, FlowRunFilterId

from aimlapi_client import AuthError, DownloadError, GenerationFailedError, RequestValidationError
from aimlapi_sim import SAMPLE_VIDEO
from blocks import AimlApiCredentials
from flows import generate_video

from ._helpers import read_events

pytestmark = pytest.mark.usefixtures("prefect_server")


def is_mp4(path: str | Path) -> bool:
    with open(path, "rb") as file:
        return file.read(12)[4:8] == b"ftyp"


async def test_a_prompt_becomes_a_verified_video_file(aimlapi_sim, aimlapi_credentials, tmp_path):
    result = await generate_video(
        prompt="A paper boat in the rain", credentials=aimlapi_credentials, output_dir=str(tmp_path)
    )
    path = Path(result.path)
    assert path.parent == tmp_path and is_mp4(path)
    assert path.read_bytes() == SAMPLE_VIDEO
    assert result.sha256 == hashlib.sha256(SAMPLE_VIDEO).hexdigest() and result.bytes == len(SAMPLE_VIDEO)
    assert result.generation_id == aimlapi_sim.ledger.accepted[0]
    assert result.url.startswith(aimlapi_sim.cdn_url)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    cdn = aimlapi_sim.ledger.of("cdn")
    assert cdn and all("Authorization" not in r.headers for r in cdn)

    async with get_client() as prefect:
        artifacts = await prefect.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["aimlapi-video-google-veo3"]))
        )
    assert any(result.generation_id in (a.data or "") and result.url in a.data for a in artifacts)
    # Where the file is, for whoever reads the result or the artifact: absolute path and machine.
    assert Path(result.path).is_absolute() and result.host == socket.gethostname()
    assert any(f"`{result.path}` on `{result.host}`" in (a.data or "") for a in artifacts)


async def test_running_the_same_request_again_pays_once(aimlapi_sim, aimlapi_credentials, tmp_path):
    options = dict(prompt="A lighthouse at dawn", seed=11, credentials=aimlapi_credentials, output_dir=str(tmp_path))
    first = await generate_video(**options)
    again = await generate_video(**options)
    assert again.generation_id == first.generation_id
    assert aimlapi_sim.ledger.accepted == [first.generation_id]
    assert len(aimlapi_sim.ledger.of("cdn")) == 1  # the verified file was reused too


async def test_refresh_forces_a_new_paid_generation(aimlapi_sim, aimlapi_credentials, tmp_path):
    options = dict(prompt="A fox in the snow", credentials=aimlapi_credentials, output_dir=str(tmp_path))
    first = await generate_video(**options)
    fresh = await generate_video(**options, refresh=True)
    assert fresh.generation_id != first.generation_id
    assert aimlapi_sim.ledger.accepted == [first.generation_id, fresh.generation_id]


async def test_a_different_request_is_a_different_generation(aimlapi_sim, aimlapi_credentials, tmp_path):
    await generate_video(prompt="A fox", duration=4, credentials=aimlapi_credentials, output_dir=str(tmp_path))
    await generate_video(prompt="A fox", duration=6, credentials=aimlapi_credentials, output_dir=str(tmp_path))
    assert len(aimlapi_sim.ledger.accepted) == 2


async def test_a_wrong_key_fails_with_auth_error(aimlapi_sim, tmp_path):
    credentials = AimlApiCredentials(api_key="wrong-key", base_url=aimlapi_sim.base_url)
    with pytest.raises(AuthError, match="401"):
        await generate_video(prompt="x", credentials=credentials, output_dir=str(tmp_path))
    assert aimlapi_sim.ledger.accepted == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"duration": 5}, "google/veo3: duration must be one of 4, 6, 8; got 5"),
        ({"model": "google/veo-3"}, "Did you mean: google/veo3"),
        ({"prompt": ""}, "prompt must not be empty"),
    ],
)
async def test_invalid_input_fails_before_any_request(aimlapi_sim, aimlapi_credentials, tmp_path, options, message):
    with pytest.raises(RequestValidationError, match=message):
        await generate_video(
            **{"prompt": "x", "credentials": aimlapi_credentials, "output_dir": str(tmp_path), **options}
        )
    assert aimlapi_sim.ledger.requests == []


async def test_an_unwritable_output_dir_fails_before_any_request(aimlapi_sim, aimlapi_credentials, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(RequestValidationError, match="output_dir"):
        await generate_video(prompt="x", credentials=aimlapi_credentials, output_dir=str(blocker / "videos"))
    assert aimlapi_sim.ledger.requests == []


async def test_a_truncated_download_leaves_no_file(aimlapi_sim, aimlapi_credentials, tmp_path):
    aimlapi_sim.faults.add("cdn", "truncate", times=3)
    with pytest.raises(DownloadError):
        await generate_video(prompt="A storm", credentials=aimlapi_credentials, output_dir=str(tmp_path))
    assert list(tmp_path.iterdir()) == []


async def test_a_failed_generation_raises_the_servers_reason(aimlapi_sim, aimlapi_credentials, tmp_path):
    aimlapi_sim.faults.add("submit", "fail", message="content policy violation")
    with pytest.raises(GenerationFailedError, match="content policy violation") as caught:
        await generate_video(prompt="A storm", credentials=aimlapi_credentials, output_dir=str(tmp_path))
    assert caught.value.generation_id == aimlapi_sim.ledger.accepted[0]
    assert list(tmp_path.iterdir()) == []


async def test_credentials_fall_back_to_the_environment(aimlapi_sim, tmp_path, monkeypatch):
    from aimlapi_sim.pytest_plugin import SIM_API_KEY

    monkeypatch.setenv("AIMLAPI_API_KEY", SIM_API_KEY)
    monkeypatch.setenv("AIMLAPI_BASE_URL", aimlapi_sim.base_url)
    result = await generate_video(prompt="A comet", output_dir=str(tmp_path))
    assert is_mp4(result.path)


async def test_no_key_anywhere_fails_at_once_with_how_to_configure_one(aimlapi_sim, tmp_path, monkeypatch):
    monkeypatch.delenv("AIMLAPI_API_KEY", raising=False)
    with pytest.raises(AuthError, match="AIMLAPI_API_KEY"):
        await generate_video(prompt="A comet", output_dir=str(tmp_path))
    assert aimlapi_sim.ledger.requests == []


async def test_credentials_can_be_a_saved_block_name(aimlapi_sim, aimlapi_credentials, tmp_path):
    await aimlapi_credentials.save("sim-test", overwrite=True)
    result = await generate_video(prompt="A harbour", credentials="sim-test", output_dir=str(tmp_path))
    assert is_mp4(result.path)


async def test_events_tags_and_asset_are_recorded(aimlapi_sim, aimlapi_credentials, tmp_path):
    state = await generate_video(
        prompt="A tram at night", credentials=aimlapi_credentials, output_dir=str(tmp_path), return_state=True
    )
    result = await state.aresult()
    resource_id = f"aimlapi.generation.{result.generation_id}"
    events = await read_events("aimlapi.video.", resource_id, expected=2)
    by_name = {event.event: event for event in events}
    assert set(by_name) == {"aimlapi.video.submitted", "aimlapi.video.completed"}
    assert by_name["aimlapi.video.submitted"].payload["resumed"] is False  # a new, paid generation
    completed = by_name["aimlapi.video.completed"]
    assert completed.payload["path"] == result.path and completed.payload["model"] == "google/veo3"
    assert completed.resource["aimlapi.model"] == "google/veo3"

    asset_key = Path(result.path).resolve().as_uri()
    materialized = await read_events("prefect.asset.materialization.succeeded", asset_key, expected=1)
    assert materialized, "the video file was not recorded as an asset"

    async with get_client() as prefect:
        task_runs = await prefect.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
        )
    assert task_runs and all({"aimlapi", "google/veo3", "google"} <= set(run.tags) for run in task_runs)


async def test_a_failure_emits_a_failed_event(aimlapi_sim, aimlapi_credentials, tmp_path):
    aimlapi_sim.faults.add("submit", "fail", message="nope")
    with pytest.raises(GenerationFailedError):
        await generate_video(prompt="A failing one", credentials=aimlapi_credentials, output_dir=str(tmp_path))
    generation_id = aimlapi_sim.ledger.accepted[0]
    events = await read_events("aimlapi.video.failed", f"aimlapi.generation.{generation_id}", expected=1)
    assert events and "nope" in events[0].payload["error"]


async def test_two_keys_sending_one_request_pay_for_their_own_generations(aimlapi_sim, tmp_path):
    aimlapi_sim.other_api_keys = ("sim-second-account",)
    first = AimlApiCredentials(api_key=aimlapi_sim.api_key, base_url=aimlapi_sim.base_url)
    second = AimlApiCredentials(api_key="sim-second-account", base_url=aimlapi_sim.base_url)
    request = {"prompt": "One request, two accounts", "output_dir": str(tmp_path)}
    ours = await generate_video(credentials=first, **request)
    again = await generate_video(credentials=first, **request)
    theirs = await generate_video(credentials=second, **request)
    assert ours.generation_id == again.generation_id  # one key: resumed, paid once
    assert theirs.generation_id != ours.generation_id  # another key: its own generation
    assert len(aimlapi_sim.ledger.accepted) == 2


async def test_a_model_newer_than_the_catalogue_is_refused_unless_allowed(
    aimlapi_sim, aimlapi_credentials, tmp_path, caplog
):
    from aimlapi_sim import SimModel

    newer = {"prompt": {"type": "string"}, "motion": {"type": "string", "enum": ["calm", "wild"]}}
    aimlapi_sim.models["acme/dream-9"] = SimModel(
        id="acme/dream-9", fields=newer, required=["prompt"], routes=frozenset({"/v2/video/generations"})
    )
    options = dict(model="acme/dream-9", prompt="A kite", options={"motion": "wild"}, output_dir=str(tmp_path))
    with pytest.raises(RequestValidationError, match="not in the catalogue.*allow_unlisted_model=True"):
        await generate_video(credentials=aimlapi_credentials, **options)
    assert aimlapi_sim.ledger.of("api") == []  # refused before any call

    result = await generate_video(credentials=aimlapi_credentials, allow_unlisted_model=True, **options)
    assert Path(result.path).read_bytes() == SAMPLE_VIDEO
    created = aimlapi_sim.ledger.of("api", "POST")
    assert [(r.path, json.loads(r.body)) for r in created] == [
        ("/v2/video/generations", {"model": "acme/dream-9", "prompt": "A kite", "motion": "wild"}),
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("'acme/dream-9' is not in the catalogue" in w and "Nothing was checked" in w for w in warnings)


async def test_a_music_model_is_refused_by_generate_video_before_any_call(aimlapi_sim, aimlapi_credentials, tmp_path):
    with pytest.raises(RequestValidationError, match="google/lyria2 makes music: use the generate_audio flow"):
        await generate_video(
            prompt="x", model="google/lyria2", credentials=aimlapi_credentials, output_dir=str(tmp_path)
        )
    assert aimlapi_sim.ledger.of("api") == []


async def test_a_local_image_is_sent_inline_and_kept_out_of_the_artifact(aimlapi_sim, aimlapi_credentials, tmp_path):
    import base64
    import struct

    frame = tmp_path / "frame.png"
    frame.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", 1280, 720) + b"\0" * 4096)
    result = await generate_video(
        prompt="The frame comes alive",
        model="video-01-live2d",
        image_url=str(frame),
        credentials=aimlapi_credentials,
        output_dir=str(tmp_path / "out"),
    )
    assert Path(result.path).read_bytes() == SAMPLE_VIDEO
    (create,) = aimlapi_sim.ledger.of("api", "POST")
    sent = json.loads(create.body)["first_frame_image"]  # the legacy route's name, checked by the emulator
    assert base64.b64decode(sent.split(",", 1)[1]) == frame.read_bytes()
    async with get_client() as prefect:
        artifacts = await prefect.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["aimlapi-video-video-01-live2d"]))
        )
    (artifact,) = [a for a in artifacts if result.generation_id in (a.data or "")]  # the session's server has more
    assert "data:image/png;base64,... (4,120 bytes)" in artifact.data and sent[30:90] not in artifact.data


async def test_a_storage_block_keeps_a_copy_and_the_result_says_where(aimlapi_sim, aimlapi_credentials, tmp_path):
    from prefect.filesystems import LocalFileSystem

    archive = tmp_path / "archive"
    await LocalFileSystem(basepath=str(archive)).save("video-archive", overwrite=True)
    options = dict(prompt="A kite for the archive", credentials=aimlapi_credentials, output_dir=str(tmp_path / "out"))
    with pytest.raises(RequestValidationError, match="output_storage 'local-file-system/nope': no such block"):
        await generate_video(output_storage="local-file-system/nope", **options)
    assert aimlapi_sim.ledger.of("api") == []  # a wrong block fails before paying

    result = await generate_video(output_storage="local-file-system/video-archive", **options)
    stored = archive / Path(result.path).name
    assert result.storage_uri == stored.resolve().as_uri() and stored.read_bytes() == SAMPLE_VIDEO
    (completed,) = await read_events("aimlapi.video.completed", f"aimlapi.generation.{result.generation_id}", 1)
    assert completed.payload["storage_uri"] == result.storage_uri
