"""Fixtures for the Cline, Cursor and JetBrains integration tests (all files live in the temp home)."""

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


@pytest.fixture
def empty_path(monkeypatch, tmp_path):
    """PATH with nothing on it but what a test puts in the returned folder (no real `cline`/`cursor`)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    return folder
