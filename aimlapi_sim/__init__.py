"""A local emulator of the AI/ML API and its CDN, for demos, tests and benchmarks."""

from .faults import Fault, FaultPlan
from .ledger import Ledger, RecordedRequest
from .server import SAMPLE_VIDEO, Emulator, padded_video

__all__ = ["SAMPLE_VIDEO", "Emulator", "Fault", "FaultPlan", "Ledger", "RecordedRequest", "padded_video"]
