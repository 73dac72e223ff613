"""AIMLAPI_LOCKS: submission locks shared by machines, on a real Redis server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL

from aimlapi_sim.pytest_plugin import SIM_API_KEY
from tasks import FlockLockManager, submission_locks

ROOT = Path(__file__).parents[2]
SCRIPT = Path(__file__).with_name("flow_process.py")


def test_the_switch_is_read_when_asked_not_at_import(monkeypatch, redis_url):
    monkeypatch.delenv("AIMLAPI_LOCKS", raising=False)
    assert isinstance(submission_locks(), FlockLockManager)
    monkeypatch.setenv("AIMLAPI_LOCKS", redis_url)
    assert type(submission_locks()).__name__ == "RedisSubmissionLocks"
    assert submission_locks() is submission_locks()  # one client pool per URL
    monkeypatch.setenv("AIMLAPI_LOCKS", "memcached://127.0.0.1:1")
    with pytest.raises(ValueError, match="AIMLAPI_LOCKS must be a redis:// or rediss:// URL"):
        submission_locks()


async def test_a_redis_lock_of_a_dead_holder_expires_and_async_holders_release(monkeypatch, redis_url):
    monkeypatch.setenv("AIMLAPI_LOCKS", redis_url)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_DIE, redis_url], cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait()
    locks = submission_locks()
    assert not await locks.aacquire_lock("k", "me", acquire_timeout=0.2)  # still held after its holder died...
    assert await locks.aacquire_lock("k", "me", acquire_timeout=5)  # ...until its hold timeout (2 s) ends
    locks.release_lock("k", "me")  # what Prefect's async transactions call: a synchronous release
    assert not locks.is_locked("k")


HOLD_AND_DIE = """
import sys, time
from tasks._locks import _redis_locks
assert _redis_locks(sys.argv[1]).acquire_lock("k", "doomed", hold_timeout=2)
print("held", flush=True)
time.sleep(60)
"""


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_server")
async def test_two_machines_racing_on_one_request_pay_once(aimlapi_sim, redis_url, tmp_path):
    aimlapi_sim.faults.add("submit", "delay", seconds=3, times=2)  # the create answers 3 s after it arrives
    shared_results = tmp_path / "results"
    parameters = {"prompt": "Two machines, one request", "output_dir": str(tmp_path / "videos")}
    machines = []
    for name in ("machine-a", "machine-b"):
        env = {
            **os.environ,
            "PREFECT_HOME": str(tmp_path / name),  # nothing local is shared...
            "PREFECT_LOCAL_STORAGE_PATH": str(shared_results),  # ...but the result storage
            "AIMLAPI_LOCKS": redis_url,  # ...and the locks
            "AIMLAPI_API_KEY": SIM_API_KEY,
            "AIMLAPI_BASE_URL": aimlapi_sim.base_url,
            "PREFECT_API_URL": PREFECT_API_URL.value(),
            "PYTHONPATH": str(ROOT),
        }
        command = [sys.executable, str(SCRIPT), json.dumps(parameters)]
        machines.append(
            subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        )
    finished = []
    for machine in machines:
        out, err = machine.communicate(timeout=180)
        assert machine.returncode == 0, err[-3000:]
        finished.append((time.monotonic(), json.loads(out.strip().splitlines()[-1])))
    (first_done, first), (second_done, second) = finished
    assert len(aimlapi_sim.ledger.of("api", "POST")) == 1
    assert first["generation_id"] == second["generation_id"] == aimlapi_sim.ledger.accepted[0]
    assert first["sha256"] == second["sha256"] and first["path"] == second["path"]
    assert abs(second_done - first_done) < 15  # the second went on as soon as the first committed
