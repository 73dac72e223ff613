"""Typed responses of the AI/ML API's generation routes (requests: `requests/`).

Responses are read tolerantly: the API's families differ in small ways (the id key,
the status key, the shape of `video` and `error`), and `Generation.from_api` folds
them into one model.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DownloadedFile",
    "Generation",
    "GenerationState",
    "Video",
]

GenerationState = Literal["pending", "completed", "failed"]

PENDING_STATUSES = frozenset(
    {"queued", "generating", "waiting", "active", "processing", "dreaming", "queueing", "preparing"}
)
COMPLETED_STATUSES = frozenset({"completed", "succeeded", "success"})


class Video(BaseModel):
    """Where a finished result can be downloaded, with what the API says about it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    url: str
    content_type: str | None = None
    file_name: str | None = None
    file_size: int | None = Field(default=None, ge=0)


class Generation(BaseModel):
    """One generation job as the API reports it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    status: str = Field(description="The status string exactly as the API sent it.")
    video: Video | None = None
    error: str | None = Field(None, description="The API's reason for a failure, made readable.")
    credits_used: float | None = None

    @property
    def state(self) -> GenerationState:
        """`pending`, `completed` or `failed`; an unknown status counts as failed."""
        status = self.status.lower()
        if status in PENDING_STATUSES:
            return "pending"
        if status in COMPLETED_STATUSES:
            return "completed"
        return "failed"

    @classmethod
    def from_api(cls, payload: Any, *, generation_id: str | None = None) -> Generation:
        """Build a `Generation` from any documented response shape.

        Args:
            payload: The decoded JSON body of a create or poll response.
            generation_id: The id that was polled, used when the body omits it.

        Raises:
            ValueError: The body is not an object, or has no id or status.
        """
        if not isinstance(payload, dict):
            raise ValueError(f"expected a JSON object, got {type(payload).__name__}")
        try:
            return cls._from_object(payload, generation_id)
        except (AttributeError, TypeError) as exc:  # a field of an unexpected type
            raise ValueError(f"unexpected shape ({exc})") from None

    @classmethod
    def _from_object(cls, payload: dict[str, Any], generation_id: str | None) -> Generation:
        found_id = payload.get("id") or payload.get("generation_id") or generation_id
        if not isinstance(found_id, str | int) or found_id == "":
            raise ValueError("the response has no generation id")
        status = payload.get("status") or payload.get("state")  # Luma's own responses say "state"
        if status is None and generation_id is None:
            status = "queued"  # MiniMax answers a create with only {"generation_id": ...}
        if not isinstance(status, str):
            raise ValueError("the response has no status")
        meta = payload.get("meta")
        usage = meta.get("usage") if isinstance(meta, dict) else None
        return cls(
            id=str(found_id),
            status=status,
            video=_read_video(payload.get("video") or payload.get("audio_file")),
            error=_read_error(payload.get("error")),
            credits_used=usage.get("credits_used") if isinstance(usage, dict) else None,
        )

    @classmethod
    def from_audio_answer(cls, payload: Any) -> Generation:
        """Build a finished `Generation` from MiniMax music-01's create answer, which
        carries the audio itself (hex) instead of a job id; the result URL is a
        `data:` URI of it.

        Raises:
            ValueError: The answer is not of that shape.
        """
        if not isinstance(payload, dict) or not isinstance(payload.get("base_resp"), dict):
            raise ValueError("expected an object with base_resp")
        trace_id = str(payload.get("trace_id") or "")
        data, outcome = payload.get("data"), payload["base_resp"]
        if outcome.get("status_code") not in (0, None):
            return cls(id=trace_id or "unknown", status="error", error=str(outcome.get("status_msg")))
        if not isinstance(data, dict) or data.get("status") != 2 or not isinstance(data.get("audio"), str):
            return cls(id=trace_id or "unknown", status="error", error="the answer carries no finished audio")
        try:
            audio = bytes.fromhex(data["audio"])
        except ValueError:
            raise ValueError("the audio is not hex") from None
        url = "data:audio/mpeg;base64," + base64.b64encode(audio).decode()
        return cls(
            id=trace_id or hashlib.sha256(audio).hexdigest()[:32],
            status="completed",
            video=Video(url=url, content_type="audio/mpeg", file_size=len(audio)),
            error=None,
        )


def _read_video(value: Any) -> Video | None:
    if isinstance(value, list):  # Runway's legacy poll lists plain URLs
        value = value[0] if value else None
    if isinstance(value, str):
        return Video(url=value)
    if isinstance(value, dict) and isinstance(value.get("url"), str) and value["url"]:
        return Video.model_validate(value)
    return None


def _read_error(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if isinstance(value.get("detail"), list):
            return "; ".join(_read_error(item) or "" for item in value["detail"])
        if "msg" in value:
            location = ".".join(str(part) for part in value.get("loc", []))
            return f"{location}: {value['msg']}" if location else str(value["msg"])
        name, message = value.get("name"), value.get("message")
        if message:
            return f"{name}: {message}" if name else str(message)
    return str(value)


class DownloadedFile(BaseModel):
    """A verified result file on local disk."""

    model_config = ConfigDict(frozen=True)

    path: str
    bytes: int
    sha256: str
    url: str
    reused: bool = False
    """True if a verified file was already in place (an earlier run or a twin wrote it)."""
