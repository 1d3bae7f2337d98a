"""Issue 10 items 1-2: the fast profile in the form the installed Codex reads.

Codex 0.134 moved profiles into ``$CODEX_HOME/<name>.config.toml`` and refuses a legacy
``[profiles.<name>]`` table for the profile it is asked for; 0.133 and older only read the table.
A stand-in ``codex`` that prints a version is enough here; tests/realclients runs the real binaries.
"""

from __future__ import annotations

import os

import pytest

from bytespike_cli.formats import open_document
from bytespike_cli.tools.codex import Codex, uses_profile_files
from tests.tools.helpers import GPT, GPT_MINI, make_request


def fake_codex(bin_dir, version: str) -> None:
    exe = bin_dir / "codex"
    exe.write_text(f"#!/bin/sh\necho 'codex-cli {version}'\n")
    exe.chmod(0o755)


def toml(path) -> dict:
    return open_document("toml", path.read_text(encoding="utf-8"), path).data


@pytest.mark.parametrize("version, expected", [((0, 133, 0), False), ((0, 134, 0), True), ((0, 171, 0), True),
                                               (None, True)])
def test_profile_files_from_0_134(version, expected):
    assert uses_profile_files(version) is expected


def test_current_codex_gets_a_profile_file_and_no_legacy_table(isolated_home, bin_dir, engine):
    fake_codex(bin_dir, "0.171.0")
    tool = Codex()
    plan = tool.plan(make_request(chat=(GPT,), fast=GPT_MINI))
    result = engine.apply(tool, plan, profile="default")
    assert tool.profile_path() in result.written
    assert toml(tool.profile_path()) == {"model_provider": "bytespike", "model": GPT_MINI.id}
    assert "profiles" not in toml(tool.config_path())
    assert any("bytespike-fast.config.toml (Codex 0.171.0 reads profiles from their own file)" in n
               for n in plan.notes)


def test_old_codex_gets_the_legacy_table(isolated_home, bin_dir, engine):
    fake_codex(bin_dir, "0.133.0")
    tool = Codex()
    plan = tool.plan(make_request(chat=(GPT,), fast=GPT_MINI))
    engine.apply(tool, plan, profile="default")
    assert toml(tool.config_path())["profiles"]["bytespike-fast"] == {"model_provider": "bytespike",
                                                                     "model": GPT_MINI.id}
    assert not tool.profile_path().exists()
    assert any("[profiles.bytespike-fast] in config.toml (Codex 0.133.0 predates profile files)" in n
               for n in plan.notes)


def test_upgrading_codex_moves_our_table_into_the_file_and_remove_takes_both_out(isolated_home, bin_dir, engine):
    tool = Codex()
    tool.config_path().parent.mkdir()
    original = '# mine\nmodel = "o3"\n\n[profiles.deep]\nmodel = "o3-pro"\n'
    tool.config_path().write_text(original)
    fake_codex(bin_dir, "0.133.0")
    engine.apply(tool, tool.plan(make_request(chat=(GPT,), fast=GPT_MINI)), profile="default")
    assert "bytespike-fast" in toml(tool.config_path())["profiles"]
    fake_codex(bin_dir, "0.171.0")  # the user upgrades Codex and runs setup again
    engine.apply(tool, tool.plan(make_request(chat=(GPT,), fast=GPT_MINI)), profile="default")
    data = toml(tool.config_path())
    assert list(data["profiles"]) == ["deep"]  # the user's profile stays, ours moved out
    assert toml(tool.profile_path())["model"] == GPT_MINI.id
    engine.remove(tool)
    assert not tool.profile_path().exists()
    assert tool.config_path().read_text() == original


def test_current_codex_warns_that_a_default_profile_line_stops_it(isolated_home, bin_dir):
    fake_codex(bin_dir, "0.171.0")
    tool = Codex()
    tool.config_path().parent.mkdir()
    tool.config_path().write_text('profile = "work"\n[profiles.work]\nmodel = "gpt-5"\n')
    warnings = tool.plan(make_request(chat=(GPT,))).warnings
    assert any("Codex 0.134 and newer refuse" in w and "work.config.toml" in w for w in warnings)


def test_remove_without_journal_takes_our_profile_file_keys(isolated_home, bin_dir, engine):
    fake_codex(bin_dir, "0.171.0")
    tool = Codex()
    tool.codex_home().mkdir()
    tool.profile_path().write_text('model_provider = "bytespike"\nmodel = "gpt-5-4-mini"\n')
    plan = tool.plan_remove()
    assert any(f.path == tool.profile_path() for f in plan.files)
    assert os.path.exists(tool.profile_path())
