"""Issue 10: `bytespike tools` and `doctor` show each tool's version and warn outside the verified range."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bytespike_cli.compat import installed_version, parse, programs, verified
from tests.doctor.conftest import Cli

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomlkit as tomllib

LOCK = Path(__file__).resolve().parents[1] / "realclients" / "clients.lock"


def stand_in(bin_dir: Path, program: str, output: str) -> None:
    exe = bin_dir / program
    exe.write_text(f"#!/bin/sh\necho '{output}'\n")
    exe.chmod(0o755)


def test_verified_ranges_are_the_lock_file_pins():
    """The ranges bytespike shows are exactly what the real-client suite runs: oldest and newest pin."""
    lock = tomllib.loads(LOCK.read_text(encoding="utf-8"))
    VERIFIED, PROGRAMS = verified(), programs()
    assert set(lock) == set(VERIFIED)
    assert set(PROGRAMS) - set(lock) == {"crush"}  # its version is shown, but no release could be run here
    for tool, spec in lock.items():
        versions = sorted(spec["versions"], key=parse)
        assert VERIFIED[tool] == (versions[0], versions[-1]), tool
        assert PROGRAMS[tool] == spec["bin"], tool


@pytest.mark.parametrize("output, version, in_range", [
    ("codex-cli 0.171.0", "0.171.0", True),
    ("codex-cli 0.133.0", "0.133.0", True),
    ("codex-cli 0.172.0", "0.172.0", False),
    ("codex-cli 0.120.5", "0.120.5", False),
    ("no version here", None, None),
])
def test_installed_version(isolated_home, bin_dir, output, version, in_range):
    stand_in(bin_dir, "codex", output)
    found = installed_version("codex")
    assert (found.version, found.in_range) == (version, in_range)
    assert (found.warning() is not None) is (in_range is False)


def test_not_on_path_and_unknown_tools(isolated_home, bin_dir):
    assert installed_version("aider").version is None
    assert installed_version("zed").program is None


def test_tools_lists_versions_and_warns_outside_the_range(isolated_home, bin_dir):
    stand_in(bin_dir, "claude", "2.1.197 (Claude Code)")
    stand_in(bin_dir, "cline", "9.9.9")
    cli = Cli()
    rows = {r["tool"]: r for r in json.loads(cli("tools", "--json").stdout)["tools"]}
    assert rows["claude-code"]["version"] == "2.1.197" and rows["claude-code"]["in_verified_range"] is True
    assert rows["cline"]["version"] == "9.9.9" and rows["cline"]["in_verified_range"] is False
    assert rows["aider"]["version"] is None and rows["aider"]["verified"] == "0.86.2"
    assert rows["codex"]["verified"] == "0.133.0 – 0.171.0"
    shown = cli("tools")
    assert "\tyes\t2.1.197\tno\t" in shown.stdout  # a pipe: one tab-separated record per tool, no header
    assert "cline: cline 9.9.9 is outside the versions bytespike's real-client suite verified (3.0.65)" \
        in shown.stderr


def test_doctor_shows_the_version_and_warns_outside_the_range(isolated_home, bin_dir, gateway, monkeypatch):
    from bytespike_cli.fakegateway import TEST_KEYS

    monkeypatch.setenv("BYTESPIKE_BASE_URL", gateway.base_url)
    monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS["default"])
    stand_in(bin_dir, "codex", "codex-cli 0.171.0")
    code, report = Cli().doctor_json("codex")
    versions = [f for f in report["findings"] if f["code"].startswith("codex.version")]
    assert versions == [{"area": "codex", "code": "codex.version", "status": "info",
                         "detail": "codex 0.171.0 (verified: 0.133.0 – 0.171.0)", "hint": None, "exit_code": 0,
                         "tool": "codex"}]
    stand_in(bin_dir, "codex", "codex-cli 0.200.1")
    code, report = Cli().doctor_json("codex")
    found = [f for f in report["findings"] if f["code"] == "codex.version-unverified"]
    assert len(found) == 1 and found[0]["status"] == "warn" and "0.200.1" in found[0]["detail"]


def test_a_tool_the_suite_cannot_run_shows_its_version_and_says_it_is_unverified(isolated_home, bin_dir, gateway,
                                                                                 monkeypatch):
    from bytespike_cli.fakegateway import TEST_KEYS

    stand_in(bin_dir, "crush", "crush version v0.96.1")
    rows = {r["tool"]: r for r in json.loads(Cli()("tools", "--json").stdout)["tools"]}
    assert rows["crush"]["version"] == "0.96.1" and rows["crush"]["verified"] is None
    assert rows["crush"]["in_verified_range"] is None
    monkeypatch.setenv("BYTESPIKE_BASE_URL", gateway.base_url)
    monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS["default"])
    code, report = Cli().doctor_json("crush")
    versions = [f for f in report["findings"] if f["code"].startswith("crush.version")]
    assert len(versions) == 1 and versions[0]["status"] == "info"
    assert "crush 0.96.1" in versions[0]["detail"] and "no release was verified" in versions[0]["detail"]


def test_doctor_fails_a_legacy_profile_selector_on_current_codex(isolated_home, bin_dir, gateway, monkeypatch):
    from bytespike_cli.fakegateway import TEST_KEYS

    monkeypatch.setenv("BYTESPIKE_BASE_URL", gateway.base_url)
    monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS["default"])
    (isolated_home / ".codex").mkdir()
    (isolated_home / ".codex" / "config.toml").write_text('profile = "work"\n[profiles.work]\nmodel = "gpt-5-5"\n')
    stand_in(bin_dir, "codex", "codex-cli 0.171.0")
    code, report = Cli().doctor_json("codex")
    found = [f for f in report["findings"] if f["code"] == "codex.legacy-profile"]
    assert code == 1 and len(found) == 1 and "refuses to start" in found[0]["detail"]
    stand_in(bin_dir, "codex", "codex-cli 0.133.0")  # the last release that reads it
    code, report = Cli().doctor_json("codex")
    assert not [f for f in report["findings"] if f["code"] == "codex.legacy-profile"]


def test_an_npm_tool_version_is_read_from_its_package_without_running_it(isolated_home, bin_dir, tmp_path):
    """The new-user walkthrough of issue 12: `bytespike tools` ran `gemini --version`, which left files in
    ~/.gemini. A program that belongs to an npm package is known by that package's manifest."""
    package = tmp_path / "lib" / "node_modules" / "@google" / "gemini-cli"
    (package / "bundle").mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": "@google/gemini-cli", "version": "0.61.0",
                                                      "bin": {"gemini": "bundle/gemini.js"}}))
    marker = tmp_path / "ran"
    script = package / "bundle" / "gemini.js"
    script.write_text(f"#!/bin/sh\ntouch '{marker}'\necho 9.9.9\n")
    script.chmod(0o755)
    (bin_dir / "gemini").symlink_to(script)
    found = installed_version("gemini-cli")
    assert found.version == "0.61.0" and found.in_range is True
    assert not marker.exists()
    # a manifest that is another package's (no `gemini` in its bin) is not trusted: the program is asked
    (package / "package.json").write_text(json.dumps({"name": "other", "version": "1.0.0", "bin": {"x": "y"}}))
    assert installed_version("gemini-cli").version == "9.9.9" and marker.exists()
