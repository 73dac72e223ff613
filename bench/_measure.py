"""Shared by the benchmarks: run a child process and read its wall time, CPU and peak RSS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests._services import descendants, memory_mb

ROOT = Path(__file__).parents[1]


@dataclass
class Run:
    """One measured child process."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    report: dict
    """The JSON object the child printed on its last line."""


def measure(command: list[str], env: dict[str, str] | None = None, timeout: float = 1800) -> Run:
    """Run `command`, wait for it with wait4, and return its usage and last-line JSON."""
    # Output goes to files, not pipes: a child that logs at INFO would fill a pipe
    # nobody reads until it ends, and block.
    with tempfile.TemporaryFile("w+") as out_file, tempfile.TemporaryFile("w+") as err_file:
        started = time.monotonic()
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out_file, stderr=err_file, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read(), err_file.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{command} failed ({process.returncode}):\n{out[-2000:]}\n{err[-4000:]}")
    report = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    # ru_maxrss survives exec, so a child of a big parent would report the parent's
    # size: children report their own VmHWM (see `own_peak_rss_mb`) where it matters.
    peak = report.get("peak_rss_mb", usage.ru_maxrss / 1024)
    return Run(wall, usage.ru_utime + usage.ru_stime, peak, report)


def own_peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM), which, unlike ru_maxrss, starts afresh at exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def tree_peak_rss_mb(pid: int) -> float:
    """Sum of VmHWM (peak RSS) over a process and its descendants, from /proc."""
    return sum(memory_mb(process, "VmHWM") for process in [pid, *descendants(pid)])
