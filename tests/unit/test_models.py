"""Reading every documented response shape into one `Generation`."""

import pytest

from aimlapi_client import Generation


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("queued", "pending"),
        ("generating", "pending"),
        ("waiting", "pending"),
        ("active", "pending"),
        ("processing", "pending"),
        ("dreaming", "pending"),
        ("completed", "completed"),
        ("succeeded", "completed"),
        ("success", "completed"),
        ("error", "failed"),
        ("failed", "failed"),
        ("unknown", "failed"),
        ("something-new", "failed"),
    ],
)
def test_status_strings_map_to_three_states(status, state):
    assert Generation(id="g", status=status).state == state


def test_the_vendor_example_completed_body():
    body = {
        "id": "df43b636-6b09-4b6d-bbd2-f710ac0a3cfd:veo3",
        "status": "completed",
        "video": {
            "url": "https://cdn.aimlapi.com/eagle/files/tiger/R6LdSHLx937-O7ra31ySQ_output.mp4",
            "content_type": "video/mp4",
            "file_name": "output.mp4",
            "file_size": 3716781,
        },
    }
    generation = Generation.from_api(body)
    assert generation.state == "completed"
    assert generation.video.file_size == 3716781
    assert generation.video.url.endswith("_output.mp4")


@pytest.mark.parametrize(
    ("video", "url"),
    [
        (["https://cdn/a.mp4", "https://cdn/b.mp4"], "https://cdn/a.mp4"),  # Runway legacy
        ({"url": "https://cdn/a.mp4"}, "https://cdn/a.mp4"),
        ({"url": None}, None),
        (None, None),
        ([], None),
    ],
)
def test_video_url_shapes(video, url):
    generation = Generation.from_api({"id": "g", "status": "completed", "video": video})
    assert (generation.video.url if generation.video else None) == url


def test_audio_results_and_credits_are_read():
    generation = Generation.from_api(
        {
            "id": "g",
            "status": "completed",
            "audio_file": {"url": "https://cdn/out.wav", "content_type": "audio/wav"},
            "meta": {"usage": {"credits_used": 1575000}},
        }
    )
    assert generation.video.content_type == "audio/wav"
    assert generation.credits_used == 1575000


@pytest.mark.parametrize(
    ("error", "text"),
    [
        ("quota exceeded", "quota exceeded"),
        ({"name": "Error", "message": "content policy"}, "Error: content policy"),
        (
            {"detail": [{"loc": ["body", "image_url"], "msg": "Could not detect face in the image"}]},
            "body.image_url: Could not detect face in the image",
        ),
    ],
)
def test_error_shapes_become_readable_text(error, text):
    assert Generation.from_api({"id": "g", "status": "error", "error": error}).error == text


def test_the_polled_id_fills_in_when_the_body_omits_it():
    assert Generation.from_api({"status": "queued"}, generation_id="g-9").id == "g-9"


@pytest.mark.parametrize("body", [None, [], {"status": "queued"}, {"id": "g"}])
def test_unusable_bodies_are_rejected(body):
    with pytest.raises(ValueError):
        Generation.from_api(body, generation_id=None if body != {"id": "g"} else "g")
