from __future__ import annotations

import pytest

from bytespike_cli.fakegateway import TEST_KEYS
from tests.doctor.conftest import Cli, Stub  # noqa: F401  (Stub re-exported for the tests)


@pytest.fixture
def cli(isolated_home) -> Cli:
    return Cli()



@pytest.fixture
def use_key(monkeypatch, gateway):
    def use(name: str = "default", base_url: str | None = None) -> str:
        monkeypatch.setenv("BYTESPIKE_BASE_URL", base_url or gateway.base_url)
        monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS[name])
        return TEST_KEYS[name]

    return use
