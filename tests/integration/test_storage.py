"""Storage blocks out: a verified copy in S3 (a real S3 protocol server on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import s3fs
from moto.server import ThreadedMotoServer
from prefect.filesystems import RemoteFileSystem

from aimlapi_sim import SAMPLE_VIDEO
from flows import generate_video
from tests._services import free_port

from ._helpers import read_events

pytestmark = pytest.mark.usefixtures("prefect_server")


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def s3(endpoint: str) -> dict:
    # no region: s3fs would send it as a location constraint, which us-east-1 refuses
    return {"key": "testing", "secret": "testing", "client_kwargs": {"endpoint_url": endpoint}}


async def test_the_file_is_copied_to_s3_verified_recorded_and_reused(
    s3_endpoint, aimlapi_sim, aimlapi_credentials, tmp_path, monkeypatch
):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    fs = s3fs.S3FileSystem(**s3(s3_endpoint))
    fs.mkdir("videos")
    await RemoteFileSystem(basepath="s3://videos/generated", settings=s3(s3_endpoint)).save("moto", overwrite=True)
    options = dict(prompt="A kite over the bucket", credentials=aimlapi_credentials, output_dir=str(tmp_path))

    result = await generate_video(output_storage="remote-file-system/moto", **options)
    name = Path(result.path).name
    assert result.storage_uri == f"s3://videos/generated/{name}"
    assert fs.cat(f"videos/generated/{name}") == SAMPLE_VIDEO
    written = fs.info(f"videos/generated/{name}")["LastModified"]
    (asset,) = await read_events("prefect.asset.materialization.succeeded", result.storage_uri, 1)
    assert asset.resource.id == result.storage_uri

    block = await RemoteFileSystem.aload("moto")  # a block object works as well as its name
    again = await generate_video(output_storage=block, **options)
    assert again.storage_uri == result.storage_uri and len(aimlapi_sim.ledger.accepted) == 1
    assert fs.info(f"videos/generated/{name}", refresh=True)["LastModified"] == written  # the copy was reused
