"""Local images in: base64 where the model's docs take it, checked against their limits first."""

from __future__ import annotations

import base64
import struct

import pytest

from aimlapi_client import RequestValidationError, build_request, get_model


def png(width: int, height: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + struct.pack(">II", width, height) + b"\x08\x02" + b"\0" * 64


def jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0" + b"\0" * 9
    sof0 = b"\xff\xc0" + struct.pack(">HBHH", 17, 8, height, width) + b"\x03" + b"\0" * 9
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


@pytest.fixture
def image(tmp_path):
    def write(content: bytes, name: str = "frame.png"):
        path = tmp_path / name
        path.write_bytes(content)
        return path

    return write


def test_a_local_png_goes_as_base64_where_the_docs_allow_it(image):
    path = image(png(1280, 720))
    request = build_request("video-01-live2d", prompt="x", image_url=str(path))
    header, payload = request.to_api()["image_url"].split(",", 1)
    assert header == "data:image/png;base64" and base64.b64decode(payload) == path.read_bytes()
    # the legacy route names the field first_frame_image; the data URI goes there
    assert get_model("video-01-live2d").body(request, "legacy")["first_frame_image"].startswith("data:image/png")


def test_file_uris_and_jpegs_work_too(image):
    path = image(jpeg(1024, 768), "frame.jpg")
    request = build_request("runway/gen4_turbo", image_url=path.as_uri(), tail_image_url=str(path))
    assert request.to_api()["image_url"].startswith("data:image/jpeg;base64,")
    assert request.to_api()["tail_image_url"] == request.to_api()["image_url"]


def test_models_whose_docs_take_only_urls_refuse_a_local_file_before_paying(image):
    path = image(png(1280, 720))
    with pytest.raises(RequestValidationError) as caught:
        build_request("google/veo-3.1-i2v", prompt="x", image_url=str(path))
    assert "google/veo-3.1-i2v: image_url is a local file" in str(caught.value)
    assert "public URL" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (png(200, 200), "200x200 px; the short side must be at least 301 px"),
        (png(1500, 400), "aspect ratio 1500:400; allowed 0.40 to 2.50"),
        (b"GIF89a" + b"\0" * 100, "not an image; allowed: jpeg, png"),
        (b"RIFF\0\0\0\0WEBPVP8X" + b"\0" * 40, "webp; allowed: jpeg, png"),
        (png(2000, 1200) + b"\0" * (20 * 1024 * 1024), "bytes; at most 20,971,520"),
    ],
)
def test_the_documented_limits_are_checked_before_paying(image, content, message):
    path = image(content)
    with pytest.raises(RequestValidationError) as caught:
        build_request("video-01", prompt="x", image_url=str(path))
    assert str(caught.value).startswith("video-01: image_url frame.png: ")
    assert message in str(caught.value) and "MiniMax video-01 page" in str(caught.value)


def test_a_missing_file_uri_and_a_path_that_is_no_file(tmp_path):
    with pytest.raises(RequestValidationError, match="cannot be read"):
        build_request("video-01", prompt="x", image_url=(tmp_path / "gone.png").as_uri())
    with pytest.raises(RequestValidationError, match="must be an http\\(s\\) URL or a data: URI"):
        build_request("video-01", prompt="x", image_url="images/not-here.png")


def test_local_audio_video_and_nested_files_need_a_public_url(image, tmp_path):
    voice = image(b"ID3" + b"\0" * 64, "voice.mp3")
    with pytest.raises(RequestValidationError, match="klingai/avatar-pro: audio_url is a local file .*public URL"):
        build_request("klingai/avatar-pro", image_url="https://example.com/a.png", audio_url=str(voice))
    keyframes = {"frame0": {"type": "image", "url": (tmp_path / "k.png").as_uri()}}
    with pytest.raises(RequestValidationError, match="luma/ray-2: keyframes holds a local file"):
        build_request("luma/ray-2", prompt="x", keyframes=keyframes)
    # a prompt that happens to name a file is a prompt
    assert build_request("google/veo3", prompt=str(voice)).to_api()["prompt"] == str(voice)
