"""VideoClient over real sockets (default aiohttp transport) against the emulator."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import time

import httpx
import pytest

from aimlapi_client import (
    DeadlineExceededError,
    DownloadError,
    PollSchedule,
    RateLimitError,
    SubmissionUnknownError,
    TransientError,
    VideoClient,
    build_request,
    result_path,
)
from aimlapi_sim import SAMPLE_VIDEO, padded_video
from aimlapi_sim.pytest_plugin import SIM_API_KEY

REQUEST = build_request("google/veo3", prompt="a lighthouse at dawn")


async def no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
async def client(aimlapi_sim):
    async with VideoClient(
        SIM_API_KEY, base_url=aimlapi_sim.base_url, timeout=httpx.Timeout(1.0), sleep=no_sleep
    ) as client:
        yield client


async def test_submit_wait_download_end_to_end(client, aimlapi_sim, tmp_path):
    generation = await client.submit(REQUEST)
    done = await client.wait(generation.id, model="google/veo3", deadline_s=30)
    dest = result_path(done, tmp_path)
    downloaded = await client.download(done, tmp_path)
    assert dest.name == done.id.replace(":", "_") + ".mp4"
    assert dest.read_bytes() == SAMPLE_VIDEO
    assert downloaded.sha256 == hashlib.sha256(SAMPLE_VIDEO).hexdigest()
    assert list(tmp_path.iterdir()) == [dest]
    assert aimlapi_sim.ledger.accepted == [generation.id]
    cdn_requests = aimlapi_sim.ledger.of("cdn")
    assert cdn_requests and all("Authorization" not in r.headers for r in cdn_requests)


async def test_a_connection_dropped_after_acceptance_is_reported_not_repeated(client, aimlapi_sim):
    aimlapi_sim.faults.add("submit", "drop", after_accept=True)
    with pytest.raises(SubmissionUnknownError, match="may exist"):
        await client.submit(REQUEST)
    assert len(aimlapi_sim.ledger.of("api", "POST")) == 1
    assert len(aimlapi_sim.ledger.accepted) == 1


async def test_a_read_timeout_on_submit_is_reported_not_repeated(client, aimlapi_sim):
    aimlapi_sim.faults.add("submit", "delay", seconds=1.5)
    with pytest.raises(SubmissionUnknownError):
        await client.submit(REQUEST)
    assert len(aimlapi_sim.ledger.of("api", "POST")) == 1


async def test_a_429_on_submit_is_retried_and_pays_once(client, aimlapi_sim):
    aimlapi_sim.faults.add("submit", "status", status=429, retry_after=0.01, times=2)
    generation = await client.submit(REQUEST)
    assert len(aimlapi_sim.ledger.of("api", "POST")) == 3
    assert aimlapi_sim.ledger.accepted == [generation.id]


async def test_a_persistent_429_ends_as_rate_limit_error(client, aimlapi_sim):
    aimlapi_sim.faults.add("submit", "status", status=429, retry_after=0.01, times=5)
    with pytest.raises(RateLimitError):
        await client.submit(REQUEST)
    assert aimlapi_sim.ledger.accepted == []


async def test_a_refused_connection_is_transient_not_ambiguous():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with VideoClient("k", base_url=f"http://127.0.0.1:{port}", sleep=no_sleep) as client:
        with pytest.raises(TransientError) as caught:
            await client.submit(REQUEST)
    assert not isinstance(caught.value, SubmissionUnknownError)


async def test_polling_survives_server_faults(client, aimlapi_sim):
    generation = await client.submit(REQUEST)
    aimlapi_sim.faults.add("poll", "not_found")
    aimlapi_sim.faults.add("poll", "status", status=503)
    aimlapi_sim.faults.add("poll", "status", status=429, retry_after=0.01)
    aimlapi_sim.faults.add("poll", "delay", seconds=1.5)  # past the 1 s read timeout
    aimlapi_sim.faults.add("poll", "body", body="{not json")
    aimlapi_sim.faults.add("poll", "body", body={"id": generation.id})  # no status
    done = await client.wait(generation.id, model="google/veo3", deadline_s=30)
    assert done.state == "completed"
    assert aimlapi_sim.ledger.polls(generation.id) >= 7


async def test_truncated_download_resumes_with_a_range_request(client, aimlapi_sim, tmp_path):
    aimlapi_sim.video = padded_video(256 * 1024)
    done = await client.wait((await client.submit(REQUEST)).id, model="google/veo3", deadline_s=30)
    aimlapi_sim.faults.add("cdn", "truncate", fraction=0.4)
    dest = result_path(done, tmp_path)
    downloaded = await client.download(done, tmp_path)
    assert dest.read_bytes() == aimlapi_sim.video
    assert downloaded.sha256 == hashlib.sha256(aimlapi_sim.video).hexdigest()
    first, second = aimlapi_sim.ledger.of("cdn")
    assert "Range" not in first.headers
    resumed_at = int(second.headers["Range"].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= 0.4 * len(aimlapi_sim.video)


async def test_truncated_download_starts_over_when_the_cdn_ignores_ranges(client, aimlapi_sim, tmp_path):
    aimlapi_sim.video = padded_video(256 * 1024)
    aimlapi_sim.supports_range = False
    done = await client.wait((await client.submit(REQUEST)).id, model="google/veo3", deadline_s=30)
    aimlapi_sim.faults.add("cdn", "truncate", fraction=0.4)
    downloaded = await client.download(done, tmp_path)
    assert result_path(done, tmp_path).read_bytes() == aimlapi_sim.video
    assert downloaded.sha256 == hashlib.sha256(aimlapi_sim.video).hexdigest()
    assert "Range" in aimlapi_sim.ledger.of("cdn")[-1].headers  # asked, got the whole file
    assert list(tmp_path.iterdir()) == [result_path(done, tmp_path)]


async def test_a_stalled_body_times_out_and_resumes(client, aimlapi_sim, tmp_path):
    aimlapi_sim.video = padded_video(512 * 1024)
    done = await client.wait((await client.submit(REQUEST)).id, model="google/veo3", deadline_s=30)
    aimlapi_sim.faults.add("cdn", "stall", fraction=0.5, seconds=3)  # longer than the 1 s read timeout
    await client.download(done, tmp_path)
    assert result_path(done, tmp_path).read_bytes() == aimlapi_sim.video
    first, second = aimlapi_sim.ledger.of("cdn")
    assert "Range" in second.headers and "Range" not in first.headers


async def test_a_file_of_the_wrong_type_is_refused_and_never_published(client, aimlapi_sim, tmp_path):
    aimlapi_sim.video = b"<html>" + bytes(100_000)  # served as video/mp4, but not an MP4
    done = await client.wait((await client.submit(REQUEST)).id, model="google/veo3", deadline_s=30)
    with pytest.raises(DownloadError, match=r"not a \.mp4 file"):
        await client.download(done, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_seed_makes_the_emulator_repeatable():
    from aimlapi_sim import Emulator

    ids = []
    for _ in range(2):
        with Emulator(api_key="k", seed=42) as emulator:
            response = httpx.post(
                f"{emulator.base_url}/v2/video/generations",
                json={"model": "google/veo3", "prompt": "x"},
                headers={"Authorization": "Bearer k"},
            )
            ids.append((response.json()["id"], response.json()["meta"]["usage"]["credits_used"]))
    assert ids[0] == ids[1]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"kind": "truncate", "times": 3}, "incomplete|broke off"),
        ({"kind": "html", "times": 3}, "text/html"),
        ({"kind": "status", "status": 403}, "expired"),
        ({"kind": "status", "status": 502, "times": 3}, "502"),
    ],
)
async def test_failed_downloads_leave_nothing_on_disk(client, aimlapi_sim, tmp_path, fault, message):
    done = await client.wait((await client.submit(REQUEST)).id, model="google/veo3", deadline_s=30)
    aimlapi_sim.faults.add("cdn", **fault)
    with pytest.raises(DownloadError, match=message):
        await client.download(done, tmp_path)
    assert list(tmp_path.iterdir()) == []


async def test_a_non_http_video_url_is_refused(client, tmp_path):
    from aimlapi_client import Generation, Video

    with pytest.raises(DownloadError, match="file"):
        await client.download(Generation(id="x", status="completed", video=Video(url="file:///etc/passwd")), tmp_path)
    assert list(tmp_path.iterdir()) == []


async def test_a_slow_server_cannot_stretch_the_deadline(aimlapi_sim):
    async with VideoClient(SIM_API_KEY, base_url=aimlapi_sim.base_url, timeout=httpx.Timeout(30.0)) as client:
        generation = await client.submit(REQUEST)
        aimlapi_sim.faults.add("poll", "delay", seconds=10, times=5)  # answers long after the deadline
        started = time.monotonic()
        with pytest.raises(DeadlineExceededError, match=generation.id) as caught:
            await client.wait(generation.id, model="google/veo3", deadline_s=4, expected_s=4)
    assert 4 <= time.monotonic() - started < 5.5
    assert aimlapi_sim.ledger.polls(generation.id) == 1  # the first poll (at 3 s) hung until the deadline
    assert caught.value.generation_id == generation.id


async def test_faults_and_the_ledger_are_reachable_over_http(client, aimlapi_sim):
    async with httpx.AsyncClient(base_url=aimlapi_sim.base_url) as control:
        added = await control.post(
            "/_sim/faults", json={"target": "submit", "kind": "status", "status": 429, "retry_after": 0.01}
        )
        assert added.status_code == 201
        generation = await client.submit(REQUEST)
        ledger = (await control.get("/_sim/ledger")).json()
    assert ledger["accepted"] == [generation.id]
    assert [r["method"] for r in ledger["requests"]] == ["POST", "POST"]  # the 429, then the retry
    assert all(r["authorization"] for r in ledger["requests"])


async def test_lumas_legacy_long_poll_notices_completion_at_once_in_one_request(aimlapi_sim):
    from aimlapi_client import build_request

    aimlapi_sim.generation_s = 12
    async with VideoClient(SIM_API_KEY, base_url=aimlapi_sim.base_url, timeout=httpx.Timeout(2.0)) as client:
        generation = await client.submit(build_request("luma/ray-2", prompt="a long-poll"))
        await client.wait(generation.id, model="luma/ray-2", deadline_s=60)
        noticed = time.monotonic()
    late = noticed - (aimlapi_sim.ledger.accepted_at[generation.id] + 12)
    assert late < 1.0  # the plain schedule would notice at 17 s, 5 s late
    (poll,) = [
        r for r in aimlapi_sim.ledger.of("api", "GET")
    ]  # held from 7 s to completion, longer than the 2 s read timeout
    assert poll.query == {"generation_id": generation.id, "state": "completed"}


async def test_a_server_that_does_not_hold_the_long_poll_gets_the_plain_schedule(aimlapi_sim):
    from aimlapi_client import build_request

    aimlapi_sim.generation_s, aimlapi_sim.long_poll_s = 20, 0  # answers at once, whatever `state` says
    async with VideoClient(SIM_API_KEY, base_url=aimlapi_sim.base_url) as client:
        generation = await client.submit(build_request("luma/ray-2", prompt="no hold"))
        await client.wait(generation.id, model="luma/ray-2", deadline_s=60)
    assert aimlapi_sim.ledger.polls(generation.id) <= 4  # 7 s, 17 s, then 2 s steps: no busy loop


async def test_the_unified_route_has_no_long_poll(aimlapi_sim):
    from aimlapi_client import build_request

    async with VideoClient(SIM_API_KEY, base_url=aimlapi_sim.base_url, route_style="unified") as client:
        generation = await client.submit(build_request("luma/ray-2", prompt="unified"))
        await client.wait(generation.id, model="luma/ray-2", deadline_s=30)
    assert all("state" not in r.query for r in aimlapi_sim.ledger.of("api", "GET"))


async def test_polls_at_the_schedules_longest_interval_reuse_their_connection(aimlapi_sim):
    """No new connection (a TLS handshake on the real API) per poll: httpx's 5 s keep-alive would drop it."""
    aimlapi_sim.generation_s = 60
    async with VideoClient(SIM_API_KEY, base_url=aimlapi_sim.base_url) as client:
        generation = await client.submit(REQUEST)
        await client.status(generation.id, model="google/veo3")
        await asyncio.sleep(PollSchedule().max_late_s + 0.5)  # the longest regular gap between two polls
        await client.status(generation.id, model="google/veo3")
    ports = [r.client_port for r in aimlapi_sim.ledger.of("api")]
    assert len(ports) == 3 and ports[0] is not None
    assert len(set(ports)) == 1, ports
