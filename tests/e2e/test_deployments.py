"""The Prefect way, end to end: `prefect server start`, `make deploy`, a process worker,
runs started by `prefect deployment run` and by an event, and the chained publish flow.

Everything runs against processes this test starts (own PREFECT_HOME, free ports)
and ends them all, by process group, whatever happens.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from ._stack import BIN, ROOT, Stack, query, result_of, wait_for_runs

pytestmark = pytest.mark.slow


def files_in(*folders: Path) -> set[Path]:
    return {path for folder in folders if folder.is_dir() for path in folder.iterdir()}


@pytest.fixture
def stack(tmp_path, aimlapi_sim):
    aimlapi_sim.generation_s = 1.0
    stack = Stack(tmp_path / "prefect-home", aimlapi_sim)
    # Triggered runs use the deployments' default folders in this checkout.
    outputs = (ROOT / "videos", ROOT / "published")
    before = files_in(*outputs)
    try:
        # The README's commands, with the user's own settings: a server on another port,
        # the API URL in the active Prefect profile for `make deploy`, in the
        # environment for `make worker`.
        stack.start("server", "make", "server", f"PREFECT_PORT={stack.port}")
        stack.wait_healthy()
        stack.run(str(BIN / "prefect"), "config", "set", f"PREFECT_API_URL={stack.api}")
        stack.run("make", "deploy", env={"PREFECT_API_URL": None})
        stack.start("worker", "make", "worker")
        yield stack
    finally:
        stack.stop()
        for path in files_in(*outputs) - before:
            path.unlink()


def test_deployments_run_by_hand_by_event_and_chained(stack, aimlapi_sim, tmp_path):
    deployments = query(stack, "/deployments/filter", {})
    by_name = {d["name"]: d for d in deployments}
    assert {"on-demand", "nightly", "on-request", "publish-on-completed", "collect", "hourly"} <= set(by_name)
    nightly = httpx.get(f"{stack.api}/deployments/{by_name['nightly']['id']}/schedules", timeout=10).json()
    assert nightly and nightly[0]["schedule"]["cron"] == "0 2 * * *"
    sweeper = httpx.get(f"{stack.api}/deployments/{by_name['hourly']['id']}/schedules", timeout=10).json()
    assert sweeper and sweeper[0]["schedule"]["cron"] == "15 * * * *"
    assert by_name["on-demand"]["parameters"]["credentials"] == "aimlapi"  # a block name, no secret

    # 1. By hand, as from the UI's Run button.
    out_dir = tmp_path / "by-hand"
    stack.run(
        str(BIN / "prefect"),
        "deployment",
        "run",
        "generate-video/on-demand",
        "--param",
        "prompt=A red kite over the sea",
        "--param",
        f"output_dir={out_dir}",
        "--watch",
        "--watch-timeout",
        "240",
    )
    (by_hand,) = wait_for_runs(stack, "generate-video/on-demand", 1)
    artifacts = result_of(stack, by_hand)
    assert {"markdown", "progress"} <= set(artifacts)
    assert artifacts["progress"]["data"] == 100.0
    (video,) = out_dir.iterdir()
    assert video.read_bytes()[4:8] == b"ftyp" and video.name in artifacts["markdown"]["data"]

    # 2. By an event whose payload carries the prompt.
    stack.run(
        str(BIN / "prefect"),
        "event",
        "emit",
        "aimlapi.video.requested",
        "--resource-id",
        "aimlapi.request.e2e",
        "--payload",
        json.dumps({"prompt": "A fox in the snow"}),
    )
    (triggered,) = wait_for_runs(stack, "generate-video/on-request", 1)
    assert triggered["parameters"]["prompt"] == "A fox in the snow"

    # 3. Chained: every completed video is published by the publish deployment.
    published = wait_for_runs(stack, "publish-video/publish-on-completed", 2)
    paths = {run["parameters"]["path"] for run in published}
    assert str(video) in paths
    for path in paths:
        assert (ROOT / "published" / Path(path).name).is_file()
    completed = query(
        stack, "/events/filter", {"filter": {"event": {"name": ["aimlapi.video.completed"]}}, "limit": 50}
    )["events"]
    assert len(completed) >= 2
    assert len(aimlapi_sim.ledger.accepted) == 2

    # 4. Collect by id, as from the UI with the id of an error message: the file is there, verified.
    stack.run(
        str(BIN / "prefect"), "deployment", "run", "collect-generation/collect",
        "--param", f"generation_id={aimlapi_sim.ledger.accepted[0]}", "--param", f"output_dir={out_dir}",
        "--watch", "--watch-timeout", "240",
    )  # fmt: skip
    (collected,) = wait_for_runs(stack, "collect-generation/collect", 1)
    assert str(video.resolve()) in result_of(stack, collected)["markdown"]["data"]
    assert [path.name for path in out_dir.iterdir()] == [video.name]
    assert len(aimlapi_sim.ledger.accepted) == 2  # collecting never submits
