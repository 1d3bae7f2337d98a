from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bytespike_cli.cli.app import app


class Run:
    """Run the CLI as a user does; stdout and stderr kept apart."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None):
        return self.runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)


@pytest.fixture
def run() -> Run:
    return Run()



@pytest.fixture
def use_key(monkeypatch, gateway):
    """Point the CLI at the fake gateway with one of its test keys."""
    from bytespike_cli.fakegateway import TEST_KEYS

    def use(name: str = "default") -> str:
        key = TEST_KEYS[name]
        monkeypatch.setenv("BYTESPIKE_BASE_URL", gateway.base_url)
        monkeypatch.setenv("BYTESPIKE_API_KEY", key)
        return key

    return use
