"""A local stand-in for api.aimlapi.com and its CDN, with fault injection.

Two aiohttp apps on two ports: the API and a CDN on a different origin. The API
serves every model of `catalog.py` (the vendor's per-model schemas) on the routes
its schema names, the unified `/v2/video/generations` route, and the legacy
per-provider routes of the models that have them, with Bearer auth, the API's
validation messages, and each family's response shapes (MiniMax's `generation_id`,
Runway's URL list, Luma's `dreaming`, music's `audio_file`, music-01's audio in
the create answer). The
CDN serves a small playable MP4, a WAV or an MP3. Every request is recorded in a
`Ledger`.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from .catalog import MODELS, MUSIC_01_ROUTE, UNIFIED_ALIASES, UNIFIED_ROUTE, SimModel, legacy_route
from .faults import Fault, FaultPlan
from .jobs import Job
from .ledger import Ledger, RecordedRequest
from .media import SAMPLE_MP3, SAMPLE_VIDEO, SAMPLE_WAV
from .validation import check_body

__all__ = ["Emulator"]

UNAUTHORIZED = (
    "This request requires a valid API key. You can create a new API key on the "
    "Billing page: https://aimlapi.com/app/keys"
)


@dataclass
class Emulator:
    """The API and CDN emulator.

    Start it with `start()` (a background thread, for tests and scripts) or `serve()`
    (in the running event loop). `base_url` and `cdn_url` are set once started.

    Attributes:
        api_key: The key the API accepts.
        other_api_keys: More accepted keys, each its own account: a generation is
            visible only to the key that paid for it (others get 404).
        generation_s: Seconds from submission to `completed`.
        video: The bytes the CDN serves for every finished video generation.
        host: The interface to listen on.
        supports_range: Whether the CDN honours Range requests.
        seed: Makes generation ids and reported credits repeatable.
        cdn_bytes_per_s: Throttles every CDN body to this rate (a slow CDN).
        long_poll_s: How long Luma's legacy poll holds a request that asks for a
            `state` the job has not reached (the vendor documents up to 30 s).
        models: The models served, by id (every catalogue model unless given); add
            one to stand in for a model newer than the client's catalogue.
    """

    api_key: str = "sim-key"
    other_api_keys: tuple[str, ...] = ()
    generation_s: float = 2.0
    video: bytes = SAMPLE_VIDEO
    host: str = "127.0.0.1"
    supports_range: bool = True
    seed: int | None = None
    cdn_bytes_per_s: float | None = None
    long_poll_s: float = 30.0
    models: dict[str, SimModel] = field(default_factory=lambda: dict(MODELS))
    ledger: Ledger = field(default_factory=Ledger)
    faults: FaultPlan = field(default_factory=FaultPlan)
    base_url: str = ""
    cdn_url: str = ""
    _jobs: dict[str, Job] = field(default_factory=dict)
    _owners: dict[str, str] = field(default_factory=dict)  # generation id -> the key that paid
    _runners: list[web.AppRunner] = field(default_factory=list)
    _thread: threading.Thread | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _stopping: asyncio.Event | None = None
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    # -- lifecycle -------------------------------------------------------------

    async def serve(self, api_port: int = 0, cdn_port: int = 0) -> None:
        """Start both apps in the running event loop."""
        api = web.Application(client_max_size=8 * 1024 * 1024)
        routes = {UNIFIED_ROUTE, *(route for model in self.models.values() for route in model.routes)}
        for route in sorted(routes):
            api.router.add_post(route, self._create)
            if route not in (*UNIFIED_ALIASES, MUSIC_01_ROUTE):  # those are polled on the unified route, or not at all
                api.router.add_get(route, self._poll)
        # Control routes for tests in other processes; not part of the API, not recorded.
        api.router.add_get("/_sim/ledger", self._ledger_view)
        api.router.add_post("/_sim/faults", self._add_fault)
        cdn = web.Application()
        cdn.router.add_get("/files/{generation_id}/{name}", self._file)
        self.base_url = await self._listen(api, api_port)
        self.cdn_url = await self._listen(cdn, cdn_port)

    async def close(self) -> None:
        """Stop both apps."""
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()

    def start(self, api_port: int = 0, cdn_port: int = 0) -> Emulator:
        """Run the emulator in a background thread; returns once it listens."""
        ready = threading.Event()
        failure: list[BaseException] = []

        async def run() -> None:
            self._loop, self._stopping = asyncio.get_running_loop(), asyncio.Event()
            try:
                await self.serve(api_port, cdn_port)
            except BaseException as exc:  # reported to the caller below
                failure.append(exc)
                return
            finally:
                ready.set()
            await self._stopping.wait()
            await self.close()

        # asyncio.run also cancels handlers still sleeping in a fault when it ends.
        self._thread = threading.Thread(target=asyncio.run, args=(run(),), name="aimlapi-sim", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        """Stop the background thread started by `start()`."""
        if self._loop and self._thread and self._stopping:
            self._loop.call_soon_threadsafe(self._stopping.set)
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _listen(self, app: web.Application, port: int) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, port))
        sock.listen(1024)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.1)
        await runner.setup()
        await web.SockSite(runner, sock, backlog=1024).start()
        self._runners.append(runner)
        return f"http://{self.host}:{sock.getsockname()[1]}"

    # -- API -------------------------------------------------------------------

    async def _create(self, request: web.Request) -> web.StreamResponse:
        raw = await self._record("api", request)
        if not (key := self._account(request)):
            return _error(request, 401, UNAUTHORIZED)
        fault = await self._take("submit")
        if fault and not fault.after_accept and fault.kind != "fail":
            return await self._misbehave(request, fault)
        try:
            body = json.loads(raw or b"null")
        except json.JSONDecodeError:
            return _error(request, 400, "Body validation error! Invalid JSON")
        if not isinstance(body, dict):
            return _error(request, 400, "Body validation error! Expected object")
        model, problem = _resolve_model(self.models, request.path, body.get("model"))
        if model is None:
            return _error(request, 400, problem or "Body validation error!")
        problem = check_body(body, *model.schema_for(request.path))
        if problem:
            return _error(request, 400, problem)
        unified = request.path in (UNIFIED_ROUTE, *UNIFIED_ALIASES)
        job = Job.create(
            model,
            UNIFIED_ROUTE if unified else request.path,
            unified=unified,
            generation_s=self.generation_s,
            failure=fault.message if fault and fault.kind == "fail" else None,
            rng=self._rng,
        )
        self._jobs[job.id] = job
        self._owners[job.id] = key
        self.ledger.accept(job.id)
        if fault and fault.after_accept:
            return await self._misbehave(request, fault)
        if request.path == MUSIC_01_ROUTE:  # answers with the audio itself, hex-encoded
            return web.json_response(job.finished_at_once(SAMPLE_MP3))
        status, answer = job.created_body()
        return web.json_response(answer, status=status)

    async def _poll(self, request: web.Request) -> web.StreamResponse:
        await self._record("api", request)
        if not (key := self._account(request)):
            return _error(request, 401, UNAUTHORIZED)
        generation_id = request.query.get("generation_id")
        if not generation_id:
            return _error(request, 400, "Query validation error! generation_id: Required")
        fault = await self._take("poll")
        if fault and fault.kind == "not_found":
            return _error(request, 404, "Generation not found")
        if fault:
            return await self._misbehave(request, fault)
        job = self._jobs.get(generation_id)
        if job is None or job.route != request.path or self._owners[job.id] != key:
            return _error(request, 404, "Generation not found")
        wanted = request.query.get("state")
        if wanted and job.luma_legacy:  # a long-poll: answer once the job reaches `wanted`, or time is up
            held_until = time.monotonic() + self.long_poll_s
            while not job.reached(wanted) and time.monotonic() < held_until:
                await asyncio.sleep(0.05)
        return web.json_response(job.state(self.cdn_url, len(self._content(job))))

    def _content(self, job: Job) -> bytes:
        return {"audio_wav": SAMPLE_WAV, "audio_mp3": SAMPLE_MP3}.get(job.model.result, self.video)

    async def _ledger_view(self, request: web.Request) -> web.StreamResponse:
        ledger = self.ledger
        return web.json_response(
            {
                "accepted": list(ledger.accepted),
                "polls": {generation_id: ledger.polls(generation_id) for generation_id in ledger.accepted},
                "requests": [
                    {"host": r.host, "method": r.method, "path": r.path, "query": r.query,
                     "authorization": "Authorization" in r.headers}
                    for r in ledger.requests
                ],
            }
        )  # fmt: skip

    async def _add_fault(self, request: web.Request) -> web.StreamResponse:
        options = await request.json()
        try:
            fault = self.faults.add(options.pop("target"), options.pop("kind"), **options)
        except (KeyError, TypeError) as exc:
            return web.json_response({"message": f"bad fault: {exc}"}, status=400)
        return web.json_response({"target": fault.target, "kind": fault.kind, "times": fault.times}, status=201)

    # -- CDN -------------------------------------------------------------------

    async def _file(self, request: web.Request) -> web.StreamResponse:
        await self._record("cdn", request)
        job = self._jobs.get(request.match_info["generation_id"])
        if job is None or request.match_info["name"] != job.file_name():
            return web.Response(status=404, text="NoSuchKey", content_type="application/xml")
        fault = await self._take("cdn")
        if fault:
            return await self._misbehave(request, fault)
        content, content_type = self._content(job), job.content_type()
        start = _range_start(request.headers.get("Range"), len(content))
        if start is None or not self.supports_range:
            return await self._send(request, content, content_type)
        headers = {"Content-Range": f"bytes {start}-{len(content) - 1}/{len(content)}"}
        return await self._send(request, content[start:], content_type, status=206, headers=headers)

    async def _send(
        self,
        request: web.Request,
        body: bytes,
        content_type: str,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> web.StreamResponse:
        if self.cdn_bytes_per_s is None:
            return web.Response(status=status, body=body, content_type=content_type, headers=headers)
        response = web.StreamResponse(status=status, headers={"Content-Type": content_type, **(headers or {})})
        response.content_length = len(body)
        await response.prepare(request)
        chunk = max(1, int(self.cdn_bytes_per_s / 20))  # 20 writes a second
        for offset in range(0, len(body), chunk):
            await response.write(body[offset : offset + chunk])
            await asyncio.sleep(chunk / self.cdn_bytes_per_s)
        return response

    # -- shared ----------------------------------------------------------------

    async def _misbehave(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.kind == "status":
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            return _error(request, fault.status, _REASONS.get(fault.status, "Error"), headers)
        if fault.kind == "drop":
            _hang_up(request)
            raise asyncio.CancelledError
        if fault.kind == "body":
            if isinstance(fault.body, str):
                return web.Response(text=fault.body, content_type="application/json")
            return web.json_response(fault.body)
        if fault.kind == "html":
            return web.Response(text="<html><body>Access denied</body></html>", content_type="text/html")
        if fault.kind in ("stall", "truncate"):
            job = self._jobs[request.match_info["generation_id"]]
            content = self._content(job)
            cut = int(len(content) * fault.fraction)
            response = web.StreamResponse(headers={"Content-Type": job.content_type()})
            response.content_length = len(content)  # announce it all
            await response.prepare(request)
            await response.write(content[:cut])
            if fault.kind == "truncate":
                _hang_up(request)
                return response
            await asyncio.sleep(fault.seconds)  # a body that stops flowing, then goes on
            await response.write(content[cut:])
            return response
        raise ValueError(f"fault {fault.kind!r} does not apply to {request.path}")

    async def _take(self, target: str) -> Fault | None:
        fault = self.faults.take(target)  # type: ignore[arg-type]
        if fault and fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
            return None
        return fault

    def _account(self, request: web.Request) -> str | None:
        """The accepted key a request carries, if any."""
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return given if given in (self.api_key, *self.other_api_keys) else None

    async def _record(self, host: str, request: web.Request) -> bytes:
        body = await request.read()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.ledger.record(
            RecordedRequest(
                host=host,
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=dict(request.headers),
                body=body,
                client_port=peer[1] if peer else None,
            )
        )
        return body


_REASONS = {
    429: "Too Many Requests",
    500: "Internal server error",
    502: "Bad Gateway",
    503: "Service unavailable",
    504: "Generation timeout",
    403: "You've run out of credits. Please top up your balance or update your payment method to continue: https://aimlapi.com/app/billing/",
}


def _resolve_model(models: dict[str, SimModel], path: str, model_id: Any) -> tuple[SimModel | None, str | None]:
    """The model a create request names, if the route serves it; else the 400 message."""
    served = {(m.legacy_id if path == legacy_route(m.provider) and m.legacy_id else m.id): m for m in models.values()}
    served = {name: m for name, m in served.items() if path in m.routes}
    if model_id in served:
        return served[model_id], None
    expected = " | ".join(f"'{name}'" for name in served)
    return None, f"Body validation error! model: Invalid enum value. Expected {expected}, received '{model_id}'"


def _error(request: web.Request, status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    envelope = {
        "message": message,
        "path": request.path,
        "requestId": str(uuid.uuid4()),
        "statusCode": status,
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    return web.json_response(envelope, status=status, headers=headers)


def _hang_up(request: web.Request) -> None:
    """Close the connection without a (complete) answer."""
    if request.transport is not None:
        request.transport.close()


def _range_start(header: str | None, size: int) -> int | None:
    if not header or not header.startswith("bytes=") or not header.endswith("-"):
        return None
    start = header[len("bytes=") : -1]
    return int(start) if start.isdigit() and int(start) < size else None
