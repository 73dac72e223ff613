"""VideoClient against a respx router: requests sent, answers read, errors mapped."""

from __future__ import annotations

import http.cookiejar
import json

import httpx
import pytest
import respx

from aimlapi_client import (
    AimlApiError,
    AuthError,
    RateLimitError,
    RequestValidationError,
    SubmissionUnknownError,
    TransientError,
    UnreadableStatusError,
    VideoClient,
    build_request,
)

from ._helpers import API, KEY, ROUTE, Body, client_on

REQUEST = build_request("google/veo3", prompt="a red kite over the sea", duration=8, seed=7)


@pytest.fixture
def router():
    with respx.mock(assert_all_called=False) as router:
        yield router


async def test_submit_posts_the_documented_body_with_bearer_auth(router):
    route = router.post(ROUTE).respond(201, json={"id": "abc:veo3", "status": "queued"})
    async with client_on(router) as client:
        generation = await client.submit(REQUEST)
    assert generation.id == "abc:veo3" and generation.state == "pending"
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.headers["User-Agent"].startswith("prefect-aimlapi/")
    assert json.loads(sent.content) == {
        "model": "google/veo3",
        "prompt": "a red kite over the sea",
        "resolution": "720P",
        "duration": 8,
        "enhance_prompt": True,
        "seed": 7,
        "generate_audio": True,
    }


@pytest.mark.parametrize(
    ("status_code", "body"),
    [
        (201, {"id": "g-1", "status": "queued"}),
        (200, {"id": "g-1", "status": "queued"}),  # the unified route documents 200
        (201, {"generation_id": "g-1"}),  # MiniMax answers with generation_id only
    ],
)
async def test_submit_accepts_every_documented_create_answer(router, status_code, body):
    router.post(ROUTE).respond(status_code, json=body)
    async with client_on(router) as client:
        generation = await client.submit(REQUEST)
    assert generation.id == "g-1" and generation.state == "pending"


async def test_status_percent_encodes_the_generation_id(router):
    route = router.get(ROUTE).respond(200, json={"id": "u:kling/v2", "status": "generating"})
    async with client_on(router) as client:
        generation = await client.status("u:kling/v2", model="google/veo3")
    assert generation.status == "generating"
    assert b"generation_id=u%3Akling%2Fv2" in route.calls.last.request.url.raw_path


@pytest.mark.parametrize(
    ("status_code", "error_type"),
    [
        (401, AuthError),
        (403, AuthError),
        (400, RequestValidationError),
        (422, RequestValidationError),
        (404, AimlApiError),
    ],
)
async def test_submit_maps_client_errors_without_retrying(router, status_code, error_type):
    route = router.post(ROUTE).respond(status_code, json={"message": "Body validation error! prompt: Required"})
    async with client_on(router) as client:
        with pytest.raises(error_type) as caught:
            await client.submit(REQUEST)
    assert caught.value.status_code == status_code
    assert "Body validation error! prompt: Required" in str(caught.value)
    assert route.call_count == 1


@pytest.mark.parametrize("status_code", [500, 502, 504])
async def test_a_5xx_on_submit_is_ambiguous_and_never_repeated(router, status_code):
    route = router.post(ROUTE).respond(status_code, json={"message": "Internal server error"})
    async with client_on(router) as client:
        with pytest.raises(SubmissionUnknownError, match="may exist"):
            await client.submit(REQUEST)
    assert route.call_count == 1


@pytest.mark.parametrize("exc", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.WriteError])
async def test_a_lost_answer_on_submit_is_ambiguous_and_never_repeated(router, exc):
    route = router.post(ROUTE).mock(side_effect=exc("boom"))
    async with client_on(router) as client:
        with pytest.raises(SubmissionUnknownError):
            await client.submit(REQUEST)
    assert route.call_count == 1


async def test_a_429_on_submit_is_repeated_after_retry_after(router):
    route = router.post(ROUTE).mock(
        side_effect=[
            httpx.Response(429, json={"message": "Too Many Requests"}, headers={"Retry-After": "7"}),
            httpx.Response(201, json={"id": "g-2", "status": "queued"}),
        ]
    )
    from ._helpers import FakeClock

    clock = FakeClock()
    async with client_on(router, clock) as client:
        generation = await client.submit(REQUEST)
    assert generation.id == "g-2" and route.call_count == 2
    assert clock.sleeps == [7.0]


async def test_a_refused_connection_on_submit_is_repeated_then_reported(router):
    route = router.post(ROUTE).mock(side_effect=httpx.ConnectError("refused"))
    async with client_on(router, submit_attempts=3) as client:
        with pytest.raises(TransientError) as caught:
            await client.submit(REQUEST)
    assert not isinstance(caught.value, SubmissionUnknownError)
    assert route.call_count == 3


async def test_rate_limit_error_carries_retry_after(router):
    router.post(ROUTE).respond(429, json={"message": "Too Many Requests"}, headers={"Retry-After": "3"})
    async with client_on(router, submit_attempts=1) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.submit(REQUEST)
    assert caught.value.retry_after == 3.0


@pytest.mark.parametrize("status_code", [500, 502, 503, 504])
async def test_a_5xx_on_status_is_transient(router, status_code):
    router.get(ROUTE).respond(status_code, text="<html>Bad Gateway</html>")
    async with client_on(router) as client:
        with pytest.raises(TransientError):
            await client.status("g-1", model="google/veo3")


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps({"id": "g-1"}),
        json.dumps([1, 2]),
        json.dumps({"id": {"nested": 1}, "status": "queued"}),
        json.dumps({"id": "g-1", "status": "completed", "video": {"url": "https://cdn.test/v.mp4", "file_size": -1}}),
        json.dumps({"id": "g-1", "status": ["queued"]}),
    ],
)
async def test_an_unreadable_status_names_the_generation_and_what_came_back(router, body):
    router.get(ROUTE).respond(200, text=body)
    async with client_on(router) as client:
        with pytest.raises(UnreadableStatusError, match="g-1") as caught:
            await client.status("g-1", model="google/veo3")
    assert caught.value.generation_id == "g-1"
    assert caught.value.excerpt == " ".join(body.split())[:200]


async def test_odd_optional_fields_do_not_make_a_status_unreadable(router):
    router.get(ROUTE).respond(200, json={"id": "g-1", "status": "queued", "meta": "usage", "error": {"detail": [5]}})
    async with client_on(router) as client:
        generation = await client.status("g-1", model="google/veo3")  # once an AttributeError
    assert generation.state == "pending" and generation.credits_used is None


async def test_an_unreadable_status_excerpt_is_short_one_line_and_key_free(router):
    router.get(ROUTE).respond(200, text=f"<html>\n<p>Gateway says: Bearer {KEY}</p>\n" + "x" * 5000)
    async with client_on(router) as client:
        with pytest.raises(UnreadableStatusError) as caught:
            await client.status("g-1", model="google/veo3")
    excerpt = caught.value.excerpt
    assert KEY not in str(caught.value) and KEY not in excerpt
    assert "\n" not in excerpt and len(excerpt) <= 200
    assert excerpt.startswith("<html> <p>Gateway says: Bearer ***</p>")


async def test_the_key_never_appears_in_errors_or_reprs(router):
    router.post(ROUTE).respond(401, json={"message": f"Invalid key {KEY}"})
    client = client_on(router)
    async with client:
        with pytest.raises(AuthError) as caught:
            await client.submit(REQUEST)
    assert KEY not in str(caught.value)
    assert KEY not in repr(caught.value)
    assert KEY not in repr(client)
    assert KEY not in repr(client._http.auth)


async def test_authorization_is_sent_to_the_api_origin_only(router):
    router.get("https://cdn.test/out.mp4").respond(200, content=b"....ftypisom", headers={"Content-Type": "video/mp4"})
    router.get(path="/v2/elsewhere").respond(200, json={})
    async with client_on(router) as client:
        await client._http.get("https://cdn.test/out.mp4")
        await client._http.get(f"{API}/v2/elsewhere")
        await client._http.get("http://api.test/v2/elsewhere")  # another scheme: another origin
    sent = [call.request for call in router.calls]
    assert "Authorization" not in sent[0].headers
    assert sent[1].headers["Authorization"] == f"Bearer {KEY}"
    assert "Authorization" not in sent[2].headers


async def test_cookies_are_kept_and_only_answers_that_set_one_are_parsed_for_them(router, monkeypatch):
    parsed = []
    extract = http.cookiejar.CookieJar.extract_cookies
    monkeypatch.setattr(
        http.cookiejar.CookieJar, "extract_cookies", lambda jar, *args: parsed.append(1) or extract(jar, *args)
    )
    status = {"id": "g-1", "status": "generating"}
    route = router.get(ROUTE).mock(
        side_effect=[
            httpx.Response(200, json=status),
            httpx.Response(200, json=status, headers={"Set-Cookie": "edge=abc; Path=/"}),
            httpx.Response(200, json=status),
        ]
    )
    async with client_on(router) as client:
        for _ in range(3):
            await client.status("g-1", model="google/veo3")
    assert len(parsed) == 1  # the one answer that set a cookie
    first, second, third = (call.request for call in route.calls)
    assert "Cookie" not in first.headers and "Cookie" not in second.headers
    assert third.headers["Cookie"] == "edge=abc"


@pytest.mark.parametrize("base_url", ["api.aimlapi.com", "ftp://api.aimlapi.com", "https://"])
def test_base_url_needs_an_http_scheme(base_url):
    with pytest.raises(RequestValidationError, match="base_url"):
        VideoClient(KEY, base_url=base_url)


def test_an_empty_key_is_refused():
    with pytest.raises(RequestValidationError, match="api_key"):
        VideoClient("", base_url=API)


async def test_a_503_with_retry_after_on_submit_is_repeated(router):
    route = router.post(ROUTE).mock(
        side_effect=[
            httpx.Response(503, json={"message": "Service unavailable"}, headers={"Retry-After": "2"}),
            httpx.Response(201, json={"id": "g-3", "status": "queued"}),
        ]
    )
    async with client_on(router) as client:
        assert (await client.submit(REQUEST)).id == "g-3"
    assert route.call_count == 2


async def test_authorization_is_dropped_when_a_download_redirects_off_the_api_host(router, tmp_path):
    from aimlapi_client import Generation, Video

    router.get(f"{API}/files/g.mp4").respond(302, headers={"Location": "https://cdn.test/g.mp4"})
    body = b"\x00\x00\x00\x18ftypisom" + bytes(100)
    router.get("https://cdn.test/g.mp4").respond(200, stream=Body(body), headers={"Content-Type": "video/mp4"})
    async with client_on(router) as client:
        await client.download(Generation(id="g", status="completed", video=Video(url=f"{API}/files/g.mp4")), tmp_path)
    api_request, cdn_request = (call.request for call in router.calls)
    assert api_request.headers["Authorization"] == f"Bearer {KEY}"
    assert "Authorization" not in cdn_request.headers
    assert cdn_request.headers["Accept-Encoding"] == "identity"
    assert (tmp_path / "g.mp4").read_bytes() == body


@pytest.mark.parametrize("body", ["<html>502</html>", '{"status": "queued"}'])
async def test_an_unreadable_create_answer_is_ambiguous(router, body):
    route = router.post(ROUTE).respond(201, text=body)
    async with client_on(router) as client:
        with pytest.raises(SubmissionUnknownError, match="may exist") as caught:
            await client.submit(REQUEST)
    assert route.call_count == 1
    assert body[:10] in str(caught.value)
    assert "collect_generation(generation_id='<id from the dashboard>', model='google/veo3')" in str(caught.value)


async def test_a_lost_create_answer_says_how_to_collect_without_paying_again(router):
    router.post(ROUTE).mock(side_effect=httpx.ReadTimeout("timed out"))
    async with client_on(router) as client:
        with pytest.raises(SubmissionUnknownError) as caught:
            await client.submit(REQUEST)
    assert "collect_generation(generation_id='<id from the dashboard>', model='google/veo3')" in str(caught.value)


def test_the_account_fingerprint_tells_keys_apart_and_hides_them():
    one, same, other = (
        VideoClient(KEY, base_url=API),
        VideoClient(KEY, base_url=API),
        VideoClient(KEY + "x", base_url=API),
    )
    assert one.account_fingerprint == same.account_fingerprint != other.account_fingerprint
    assert KEY not in one.account_fingerprint and len(one.account_fingerprint) == 16
