"""The built wheel ships every module and asset (an editable install would hide a gap)."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PACKAGES = ["aimlapi_client", "aimlapi_sim", "blocks", "tasks", "flows"]


@pytest.mark.slow
def test_the_wheel_contains_every_module_and_asset(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("prefect_aimlapi-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    sources = {
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*")
        if path.suffix in (".py", ".mp4", ".mp3", ".json") and "__pycache__" not in path.parts
    }
    assert sources and sources <= shipped, sorted(sources - shipped)
    entry_points = next(name for name in shipped if name.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "prefect_aimlapi = blocks" in text and "aimlapi_sim = aimlapi_sim.pytest_plugin" in text
