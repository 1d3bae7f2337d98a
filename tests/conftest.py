"""Shared fixtures. Every test runs with HOME and all platform directories in a temp dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.home_guard import REAL_HOME_GUARD


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    """Point HOME, XDG dirs, APPDATA and BYTESPIKE_HOME at a fresh temp dir; drop ambient credentials."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    for var, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_DATA_HOME", ".local/share"),
        ("APPDATA", "AppData/Roaming"),
        ("LOCALAPPDATA", "AppData/Local"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("BYTESPIKE_HOME", str(home / ".bytespike-test"))
    for var in (
        "BYTESPIKE_API_KEY", "BYTESPIKE_BASE_URL", "BYTESPIKE_PROFILE", "BYTESPIKE_OFFLINE", "BYTESPIKE_DEBUG",
        "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL",
        "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    REAL_HOME_GUARD.touched.clear()
    REAL_HOME_GUARD.active = True
    try:
        yield home
    finally:
        REAL_HOME_GUARD.active = False
    if REAL_HOME_GUARD.touched:
        pytest.fail("the test touched the real home: " + "; ".join(dict.fromkeys(REAL_HOME_GUARD.touched)),
                    pytrace=False)


@pytest.fixture
def gateway():
    """The offline gateway on a real loopback socket, fresh for each test."""
    from bytespike_cli.fakegateway import FakeGateway

    with FakeGateway() as gw:
        yield gw


@pytest.fixture
def bin_dir(tmp_path, monkeypatch) -> Path:
    """PATH holds only this folder and the system's: no real AI tool is found by accident."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}/usr/bin{os.pathsep}/bin")
    return folder
