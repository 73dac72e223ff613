"""Faults the emulator can inject, switched on per test and consumed in order."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Fault", "FaultPlan"]

Target = Literal["submit", "poll", "cdn"]
Kind = Literal[
    "status",  # answer `status` with the API's error envelope (optionally Retry-After)
    "drop",  # close the connection without answering
    "delay",  # wait `seconds`, then answer normally
    "body",  # answer 200 with `body` (a dict, or raw text when it is a str)
    "truncate",  # cdn: announce the full length, send `fraction` of it, close
    "stall",  # cdn: send `fraction` of the body, pause `seconds`, send the rest
    "html",  # cdn: answer 200 with an HTML error page
    "fail",  # submit: accept the job, but let it end in status "error"
    "not_found",  # poll: answer 404 as if the job were not visible yet
]


@dataclass
class Fault:
    """One injected fault.

    Attributes:
        target: Which route it hits: `submit`, `poll` or `cdn`.
        kind: What happens (see `Kind`).
        times: How many matching requests it applies to.
        status: HTTP status for `status` faults.
        retry_after: Retry-After header value for `status` faults.
        after_accept: For `submit` faults: create the job first, then misbehave
            (the client cannot know the job exists).
        seconds: Delay for `delay` faults.
        body: Response body for `body` faults.
        fraction: Share of the file sent by `truncate` faults.
        message: Failure message for `fail` faults.
    """

    target: Target
    kind: Kind
    times: int = 1
    status: int = 500
    retry_after: float | None = None
    after_accept: bool = False
    seconds: float = 0.0
    body: Any = None
    fraction: float = 0.5
    message: str = "The generation failed in the emulator"


@dataclass
class FaultPlan:
    """The queue of faults still to inject; thread-safe."""

    _faults: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, target: Target, kind: Kind, **options: Any) -> Fault:
        """Queue a fault for the next matching request(s) and return it."""
        fault = Fault(target=target, kind=kind, **options)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, target: Target) -> Fault | None:
        """Consume one application of the first fault queued for `target`."""
        with self._lock:
            for fault in self._faults:
                if fault.target == target and fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._faults.clear()
