"""A local emulator of the AI/ML API and its CDN, for demos, tests and benchmarks."""

from .catalog import MODELS, SimModel
from .faults import Fault, FaultPlan
from .ledger import Ledger, RecordedRequest
from .media import SAMPLE_MP3, SAMPLE_VIDEO, SAMPLE_WAV, padded_video
from .server import Emulator

__all__ = [
    "MODELS",
    "SAMPLE_MP3",
    "SAMPLE_VIDEO",
    "SAMPLE_WAV",
    "Emulator",
    "Fault",
    "FaultPlan",
    "Ledger",
    "RecordedRequest",
    "SimModel",
    "padded_video",
]
