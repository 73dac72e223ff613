"""The `AimlApiCredentials` block: the API key and endpoint, and a client built from them."""

from __future__ import annotations

import os
from typing import Any, Literal, cast

import httpx
from prefect.blocks.abstract import CredentialsBlock
from pydantic import Field, SecretStr, field_validator

from aimlapi_client import (
    DEFAULT_BASE_URL,
    DEFAULT_ROUTE_STYLE,
    DEFAULT_TIMEOUTS,
    AuthError,
    RouteStyle,
    VideoClient,
    account_fingerprint,
    check_base_url,
)

__all__ = ["AimlApiCredentials", "resolve_credentials"]

API_KEY_ENV = "AIMLAPI_API_KEY"
BASE_URL_ENV = "AIMLAPI_BASE_URL"
ROUTE_STYLE_ENV = "AIMLAPI_ROUTE_STYLE"


class AimlApiCredentials(CredentialsBlock):
    """Credentials and endpoint for the AI/ML API (aimlapi.com).

    Holds the API key as a secret and the timeouts used for every request. Flows
    and tasks of prefect-aimlapi get their HTTP client from `get_client()`.

    Examples:
        Load a saved block and generate a video with it:
        ```python
        import asyncio
        from blocks import AimlApiCredentials
        from flows import generate_video

        credentials = AimlApiCredentials.load("BLOCK_NAME")
        asyncio.run(generate_video(prompt="A lighthouse at dawn", credentials=credentials))
        ```
    """

    _block_type_name = "AIMLAPI Credentials"
    _block_type_slug = "aimlapi-credentials"  # the server's key for this type: never rename
    _logo_url = "https://github.com/aimlapi.png"  # type: ignore[assignment]
    _documentation_url = "https://docs.aimlapi.com/api-references/video-models/google/veo3-text-to-video"  # type: ignore[assignment]
    _description = "Credentials and endpoint for the AI/ML API's video generation."

    api_key: SecretStr = Field(
        title="API key",
        description="The AI/ML API key, sent as a Bearer token to the API host only.",
    )
    base_url: str = Field(
        default=DEFAULT_BASE_URL,
        title="Base URL",
        description="The API's origin; change it for a proxy or the local emulator.",
    )
    route_style: Literal["legacy", "unified"] = Field(
        default=DEFAULT_ROUTE_STYLE,
        title="Route style",
        description=(
            "legacy: the per-provider routes of the vendor's model pages "
            "(/v2/generate/video/{provider}/generation); unified: /v2/video/generations."
        ),
    )
    connect_timeout_s: float = Field(
        default=DEFAULT_TIMEOUTS.connect, gt=0, title="Connect timeout (s)", description="Seconds to open a connection."
    )
    read_timeout_s: float = Field(
        default=DEFAULT_TIMEOUTS.read, gt=0, title="Read timeout (s)", description="Seconds to wait for each read."
    )
    write_timeout_s: float = Field(
        default=DEFAULT_TIMEOUTS.write, gt=0, title="Write timeout (s)", description="Seconds to wait for each write."
    )
    pool_timeout_s: float = Field(
        default=DEFAULT_TIMEOUTS.pool,
        gt=0,
        title="Pool timeout (s)",
        description="Seconds to wait for a free connection from the pool.",
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return check_base_url(value)

    @field_validator("api_key")
    @classmethod
    def _not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("api_key must not be empty")
        return value

    @property
    def timeout(self) -> httpx.Timeout:
        """The four-phase timeout applied to every request."""
        return httpx.Timeout(
            connect=self.connect_timeout_s,
            read=self.read_timeout_s,
            write=self.write_timeout_s,
            pool=self.pool_timeout_s,
        )

    @property
    def account_fingerprint(self) -> str:
        """A one-way fingerprint of the key that tells accounts apart without revealing it."""
        return account_fingerprint(self.api_key.get_secret_value())

    def get_client(self, transport: httpx.AsyncBaseTransport | None = None) -> VideoClient:
        """Return a new `VideoClient`; use it as an async context manager.

        Args:
            transport: An httpx transport to use instead of the default one.
        """
        return VideoClient(
            self.api_key.get_secret_value(),
            base_url=self.base_url,
            timeout=self.timeout,
            transport=transport,
            route_style=self.route_style,
        )

    @classmethod
    def from_env(cls) -> AimlApiCredentials:
        """Build credentials from `AIMLAPI_API_KEY`, `AIMLAPI_BASE_URL`, `AIMLAPI_ROUTE_STYLE`.

        Raises:
            AuthError: `AIMLAPI_API_KEY` is not set.
        """
        api_key = os.environ.get(API_KEY_ENV, "").strip()
        if not api_key:
            raise AuthError(
                "No AI/ML API key configured. Pass credentials= (an AimlApiCredentials "
                f"block or the name of a saved one), or set {API_KEY_ENV} (and optionally "
                f"{BASE_URL_ENV}). Keys are at https://aimlapi.com/app/keys."
            )
        return cls(
            api_key=SecretStr(api_key),
            base_url=os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL,
            route_style=cast(RouteStyle, os.environ.get(ROUTE_STYLE_ENV) or DEFAULT_ROUTE_STYLE),
        )


async def resolve_credentials(credentials: AimlApiCredentials | str | dict[str, Any] | None) -> AimlApiCredentials:
    """Turn a flow's `credentials` parameter into a block.

    Args:
        credentials: A block, the name of a saved block, a block reference as a flow
            run's parameters store it (`{"$ref": {...}}`), or None for the environment.
    """
    if isinstance(credentials, AimlApiCredentials):
        return credentials
    if isinstance(credentials, str):
        return await AimlApiCredentials.aload(credentials)
    if isinstance(credentials, dict) and "$ref" in credentials:  # a block as a run's parameters store it
        block = await AimlApiCredentials.aload_from_ref(credentials["$ref"])
        if isinstance(block, AimlApiCredentials):
            return block
        raise TypeError(f"credentials refer to a {type(block).__name__} block, not AimlApiCredentials")
    return AimlApiCredentials.from_env()
