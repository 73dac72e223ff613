"""Generation jobs: their ids, their lifecycle, and how each family reports them."""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .catalog import SimModel

__all__ = ["Job"]

# result kind -> (content type, file name) of what the CDN serves
_CONTENT = {"audio_wav": ("audio/wav", "output.wav"), "audio_mp3": ("audio/mpeg", "output.mp3")}
_VIDEO = ("video/mp4", "output.mp4")
# Luma's long-poll order: asking for a state returns once it or a later one is reached.
_LUMA_ORDER = ("queued", "dreaming", "completed", "failed")


@dataclass
class Job:
    """One accepted generation."""

    id: str
    model: SimModel
    route: str
    unified: bool
    created: float
    generation_s: float
    failure: str | None = None
    credits: int = 0

    @classmethod
    def create(
        cls, model: SimModel, route: str, unified: bool, generation_s: float, failure: str | None, rng: random.Random
    ) -> Job:
        if model.id_style == "numeric":
            job_id = str(rng.randrange(10**14, 10**15))  # MiniMax: 15 digits
        elif model.id_style == "uuid":
            job_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))  # Runway, Alibaba
        else:
            alias = model.id if model.provider == "kling" else model.id.rsplit("/", 1)[-1]
            job_id = f"{uuid.UUID(int=rng.getrandbits(128), version=4)}:{alias}"  # via fal: "<uuid>:<alias>"
        credits = rng.randrange(50_000, 2_000_000) if unified else 0
        return cls(job_id, model, route, unified, time.monotonic(), generation_s, failure, credits)

    @property
    def is_audio(self) -> bool:
        return self.model.provider == "audio"

    @property
    def luma_legacy(self) -> bool:
        return self.model.provider == "luma-ai" and not self.unified

    def reached(self, state: str) -> bool:
        """Whether the job is in `state` or past it, in Luma's order (unknown states: never)."""
        if state not in _LUMA_ORDER:
            return False
        age = time.monotonic() - self.created
        now = "queued" if age < 0.2 * self.generation_s else "dreaming" if age < self.generation_s else "completed"
        if now == "completed" and self.failure:
            now = "failed"
        return _LUMA_ORDER.index(now) >= _LUMA_ORDER.index(state)

    def created_body(self) -> tuple[int, dict[str, Any]]:
        """Status code and body of the create answer."""
        if self.unified:
            return 200, {"id": self.id, "status": "queued", "meta": {"usage": {"credits_used": self.credits}}}
        if self.model.provider == "minimax":
            return 201, {"generation_id": self.id}  # no "id", no status
        return 201, {"id": self.id, "status": "queued"}

    def finished_at_once(self, audio: bytes) -> dict[str, Any]:
        """MiniMax music-01's create answer: the finished audio, hex-encoded, or the failure."""
        if self.failure:
            return {"data": None, "trace_id": self.id, "base_resp": {"status_code": 1027, "status_msg": self.failure}}
        return {
            "data": {"status": 2, "audio": audio.hex()},
            "extra_info": {"audio_size": len(audio), "audio_bitrate": 128000, "audio_sample_rate": 44100},
            "trace_id": self.id,
            "base_resp": {"status_code": 0, "status_msg": "success"},
        }

    def content_type(self) -> str:
        return _CONTENT.get(self.model.result, _VIDEO)[0]

    def file_name(self) -> str:
        return _CONTENT.get(self.model.result, _VIDEO)[1]

    def state(self, cdn_url: str, size: int) -> dict[str, Any]:
        """The poll answer now."""
        age = time.monotonic() - self.created
        if age < 0.2 * self.generation_s:
            return {"id": self.id, "status": "queued"}
        if age < self.generation_s:
            return {"id": self.id, "status": "dreaming" if self.luma_legacy else "generating"}
        if self.failure:
            return {"id": self.id, "status": "failed" if self.luma_legacy else "error", "error": self._error()}
        url = f"{cdn_url}/files/{quote(self.id, safe='')}/{self.file_name()}"
        body: dict[str, Any] = {"id": self.id, "status": "completed"}
        if self.unified:
            body |= {"video": {"url": url}, "meta": {"usage": {"credits_used": self.credits}}}
        elif self.model.result == "runway":
            body |= {"video": [url], "error": None}
        elif self.is_audio or self.model.result == "fal":  # served through fal: the file's details too
            body["audio_file" if self.is_audio else "video"] = {
                "url": url, "content_type": self.content_type(), "file_name": self.file_name(), "file_size": size,
            }  # fmt: skip
        else:
            body["video"] = {"url": url}
        return body

    def _error(self) -> Any:
        if self.unified:
            return {"name": "GenerationError", "message": self.failure}
        if self.model.result == "runway":
            return self.failure
        if self.model.provider == "kling":
            return {"detail": [{"loc": ["body", "image_url"], "msg": self.failure, "type": "generation_error"}]}
        return {"name": "GenerationError", "message": self.failure}
