"""Fixtures for integration tests: an engine whose state lives in the temp home."""

from __future__ import annotations

from pathlib import Path

import pytest

from bytespike_cli.setup.engine import Engine


@pytest.fixture
def home(isolated_home) -> Path:
    return isolated_home


@pytest.fixture
def engine() -> Engine:
    return Engine()


