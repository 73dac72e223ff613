"""What the emulator saw: every request, every accepted job."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

__all__ = ["Ledger", "RecordedRequest"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as it arrived."""

    host: str  # "api" or "cdn"
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)
    client_port: int | None = None
    """The client's TCP port: requests with the same one came on one connection."""


@dataclass
class Ledger:
    """A thread-safe record that tests read to assert what happened on the wire."""

    requests: list[RecordedRequest] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    """Generation ids of accepted (billed) create requests, in order."""
    accepted_at: dict[str, float] = field(default_factory=dict)
    """When each generation was accepted (time.monotonic)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def accept(self, generation_id: str) -> None:
        with self._lock:
            self.accepted.append(generation_id)
            self.accepted_at[generation_id] = time.monotonic()

    def of(self, host: str, method: str | None = None) -> list[RecordedRequest]:
        """The requests to `host` ("api" or "cdn"), optionally of one method."""
        with self._lock:
            return [r for r in self.requests if r.host == host and method in (None, r.method)]

    def polls(self, generation_id: str) -> int:
        """How many status requests named `generation_id`."""
        return sum(1 for r in self.of("api", "GET") if r.query.get("generation_id") == generation_id)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self.accepted.clear()
            self.accepted_at.clear()
