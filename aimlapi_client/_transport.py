"""The default HTTP transport: httpx's API on aiohttp's connection pool.

httpx's own async pool slows down sharply when many requests wait for a connection;
aiohttp's does not (see DESIGN.md). httpx-aiohttp maps aiohttp's errors onto httpx's,
but folds "could not connect" and "connection dropped after the request was sent"
into the same `ConnectTimeout`. That difference decides whether a paid POST may be
repeated, so this transport restores it.
"""

from __future__ import annotations

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from httpx_aiohttp.transport import AiohttpResponseStream

__all__ = ["default_transport"]


_BODY_CHUNK = 1 << 18  # httpx-aiohttp's 16 KiB costs a Python round trip per 16 KiB
KEEPALIVE_S = 15.0
"""How long an idle connection is kept: longer than the poll schedule's longest regular
interval (10 s), so a wait's polls reuse their connection instead of each opening a new
one (a TLS handshake against the real API; httpx's default is 5 s); shorter than the
idle timeouts of common servers and load balancers (60 s and more)."""


class _PreciseAiohttpTransport(AiohttpTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await super().handle_async_request(request)
        except httpx.TransportError as exc:
            raise _precise(exc, request) from exc.__cause__ or exc
        if isinstance(response.stream, AiohttpResponseStream):
            response.stream.CHUNK_SIZE = _BODY_CHUNK
        return response


def _precise(exc: httpx.TransportError, request: httpx.Request) -> httpx.TransportError:
    cause, message = exc.__cause__, str(exc)
    if isinstance(cause, aiohttp.ClientConnectorError):
        return httpx.ConnectError(message, request=request)
    if isinstance(cause, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(cause, aiohttp.SocketTimeoutError):
        return httpx.ReadTimeout(message, request=request)
    if isinstance(cause, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
        # The connection broke after it was established: the request may have arrived.
        return httpx.RemoteProtocolError(message, request=request)
    exc.request = request
    return exc


def default_transport(max_connections: int = 100) -> httpx.AsyncBaseTransport:
    """Return the transport `VideoClient` uses unless one is injected."""
    return _PreciseAiohttpTransport(
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_S)
    )
