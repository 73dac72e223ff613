"""The credentials block: Prefect's block standards, secrecy, validation, the client it makes."""

from __future__ import annotations

import pytest
from prefect.testing.standard_test_suites import BlockStandardTestSuite
from pydantic import ValidationError

from blocks import AimlApiCredentials

KEY = "sk-canary-block-77"


class TestAimlApiCredentialsStandards(BlockStandardTestSuite):
    @pytest.fixture
    def block(self):
        return AimlApiCredentials

    def test_has_a_valid_image(self, block):
        # The standard version downloads the logo; offline we check it is an https PNG URL.
        assert str(block._logo_url).startswith("https://") and str(block._logo_url).endswith(".png")


def test_the_key_is_hidden_in_repr_str_and_dumps():
    credentials = AimlApiCredentials(api_key=KEY)
    for text in (repr(credentials), str(credentials), credentials.model_dump_json(), str(credentials.model_dump())):
        assert KEY not in text


def test_the_client_gets_the_blocks_timeouts_and_base_url():
    credentials = AimlApiCredentials(
        api_key=KEY,
        base_url="http://127.0.0.1:9/",
        connect_timeout_s=1,
        read_timeout_s=2,
        write_timeout_s=3,
        pool_timeout_s=4,
    )
    client = credentials.get_client()
    assert client.base_url == "http://127.0.0.1:9"
    timeout = client._http.timeout
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (1, 2, 3, 4)
    assert KEY not in repr(client)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"base_url": "api.aimlapi.com"}, "base_url must be an http"),
        ({"api_key": "  "}, "api_key must not be empty"),
        ({"read_timeout_s": 0}, "read_timeout_s"),
    ],
)
def test_bad_configuration_fails_at_construction(fields, message):
    with pytest.raises(ValidationError, match=message):
        AimlApiCredentials(**{"api_key": KEY, **fields})


def test_the_block_is_registered_through_the_collections_entry_point():
    from importlib.metadata import entry_points

    (entry,) = [e for e in entry_points(group="prefect.collections") if e.name == "prefect_aimlapi"]
    assert entry.load().AimlApiCredentials is AimlApiCredentials
