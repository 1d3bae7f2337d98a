"""Gemini CLI and Qwen Code: their own rules (tools/gemini_cli.py, tools/qwen_code.py, tools/gemini_family.py)
on real files in the temporary home: which .env file counts, folder trust, the catalogue check, run's launch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bytespike_cli.errors import PermissionDenied
from bytespike_cli.formats import open_document
from bytespike_cli.runner import Target
from bytespike_cli.tools import gemini_family as family
from bytespike_cli.tools.base import LaunchRequest
from bytespike_cli.tools.gemini_cli import GeminiCli, env_files
from bytespike_cli.tools.qwen_code import QwenCode
from bytespike_cli.tools.qwen_code import env_files as qwen_env_files

from .helpers import DEEPSEEK, GEMINI_FLASH, GEMINI_PRO, GPT, GPT_MINI, HAIKU, KEY, SONNET, make_request


class Ctx:
    """The parts of doctor's Context the env-file rules read."""

    def __init__(self, home: Path, cwd: Path, env: dict | None = None):
        self.home, self.cwd, self.env = home, cwd, env or {}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- folder trust (shared) ----------------------------------------------------------------------------
def test_the_longest_trust_rule_wins(tmp_path):
    project = tmp_path / "work" / "repo"
    project.mkdir(parents=True)
    rules = {str(tmp_path / "work"): "TRUST_FOLDER", str(project): "DO_NOT_TRUST"}
    assert family.path_trusted(rules, project) is False
    assert family.path_trusted(rules, project / "sub") is False
    assert family.path_trusted(rules, tmp_path / "work" / "other") is True
    assert family.path_trusted({str(project / "marker"): "TRUST_PARENT"}, project) is True
    assert family.path_trusted({}, project) is None


# -- Gemini CLI: the one .env file it reads -------------------------------------------------------------------
def test_gemini_reads_only_the_first_env_file_found(home, tmp_path):
    tool = GeminiCli()
    project = tmp_path / "code" / "repo"
    project.mkdir(parents=True)
    ours = write(tool.env_path(), "GEMINI_API_KEY=x\n")
    assert env_files(tool, Ctx(home, project), trusted=True) == [ours]
    assert env_files(tool, Ctx(home, project), trusted=False) == []  # ~/.gemini/.env: trusted folders only
    home_env = write(home / ".env", "GEMINI_API_KEY=y\n")
    assert env_files(tool, Ctx(home, project), trusted=False) == [home_env]
    parent = write(tmp_path / "code" / ".env", "DEBUG=1\n")  # a .env above the project hides ours entirely
    assert env_files(tool, Ctx(home, project), trusted=True) == [parent]
    nested = write(project / ".gemini" / ".env", "X=1\n")
    assert env_files(tool, Ctx(home, project), trusted=True) == [nested]
    assert env_files(tool, Ctx(home, project), trusted=False) == [parent]


def test_gemini_cli_home_moves_every_file(home, tmp_path):
    tool = GeminiCli(env={"GEMINI_CLI_HOME": str(tmp_path / "elsewhere")})
    assert tool.files() == (tmp_path / "elsewhere" / ".gemini" / "settings.json",
                            tmp_path / "elsewhere" / ".gemini" / ".env")
    assert tool.trusted_folders_path() == tmp_path / "elsewhere" / ".gemini" / "trustedFolders.json"


def test_gemini_needs_a_key_whose_group_has_gemini_models():
    with pytest.raises(PermissionDenied) as info:
        GeminiCli().check_catalogue([SONNET, HAIKU, DEEPSEEK])
    assert "no Gemini models" in info.value.message and "claude" in info.value.message
    assert "gemini-default" in info.value.hint
    GeminiCli().check_catalogue([SONNET, GEMINI_PRO])  # one is enough


def test_gemini_setup_with_a_translated_model_warns(home):
    plan = GeminiCli().plan(make_request(chat=(GPT,), fast=GPT_MINI))
    assert any("not a Gemini model" in w for w in plan.warnings)
    assert not GeminiCli().plan(make_request(chat=(GEMINI_PRO,), fast=GEMINI_FLASH)).warnings


def test_gemini_remove_gives_back_the_users_own_key(home, engine):
    tool = GeminiCli()
    write(tool.env_path(), "GEMINI_API_KEY=AIza-mine\n")
    engine.apply(tool, tool.plan(make_request(chat=(GEMINI_PRO,), fast=GEMINI_FLASH)), profile="default")
    assert open_document("dotenv", tool.env_path().read_text()).data["GEMINI_API_KEY"] == KEY
    engine.remove(tool)
    assert tool.env_path().read_text() == "GEMINI_API_KEY=AIza-mine\n"


def launch(tool, args=(), env=None):
    return tool.launch(LaunchRequest("/usr/bin/x", tuple(args), Target("http://127.0.0.1:9", KEY), (GEMINI_PRO,),
                                     GEMINI_PRO, GEMINI_FLASH, env or {}))


def test_gemini_run_says_when_no_api_key_sign_in_is_selected(home):
    tool = GeminiCli()
    spec = launch(tool)
    assert spec.set_env == {"GOOGLE_GEMINI_BASE_URL": "http://127.0.0.1:9", "GEMINI_API_KEY": KEY}
    assert spec.argv == ("--model", "gemini-3-1-pro")
    assert any("Use Gemini API key" in w for w in spec.warnings)
    write(tool.settings_path(), json.dumps({"security": {"auth": {"selectedType": "gemini-api-key"}}}))
    spec = launch(tool, ["-m", "gemini-2-5-flash", "-p", "hi"], env={"GOOGLE_GENAI_USE_VERTEXAI": "true"})
    assert spec.argv == () and spec.warnings == () and spec.removed == ("GOOGLE_GENAI_USE_VERTEXAI",)


# -- Qwen Code ---------------------------------------------------------------------------------------------
def test_qwen_env_files_in_order(home, tmp_path):
    tool = QwenCode()
    project = tmp_path / "repo"
    project.mkdir()
    assert qwen_env_files(tool, Ctx(home, project), workspace_trusted=True) == [home / ".qwen" / ".env", home / ".env"]
    local = write(project / ".env", "X=1\n")
    assert qwen_env_files(tool, Ctx(home, project), workspace_trusted=True)[0] == local
    assert local not in qwen_env_files(tool, Ctx(home, project), workspace_trusted=False)
    moved = QwenCode(env={"QWEN_HOME": str(tmp_path / "q")})
    assert qwen_env_files(moved, Ctx(home, project), workspace_trusted=False) == [
        tmp_path / "q" / ".env", home / ".qwen" / ".env", home / ".env"]


def test_qwen_new_settings_file_gets_its_version_and_stale_entries_go(home, engine):
    tool = QwenCode()
    engine.apply(tool, tool.plan(make_request(chat=(GPT,), fast=GPT_MINI)), profile="default")
    data = open_document("jsonc", tool.settings_path().read_text()).data
    assert data["$version"] == 4  # else Qwen Code migrates and rewrites the whole file at start-up
    assert [p["id"] for p in data["modelProviders"]["openai"]] == ["gpt-5-5", "gpt-5-4-mini"]
    engine.apply(tool, tool.plan(make_request(chat=(DEEPSEEK,), fast=GPT_MINI)), profile="default")
    data = open_document("jsonc", tool.settings_path().read_text()).data
    assert [p["id"] for p in data["modelProviders"]["openai"]] == ["gpt-5-4-mini", "deepseek-v4-pro"]
    assert data["model"]["name"] == "deepseek-v4-pro"


def test_qwen_run_sets_the_provider_for_one_process(home):
    spec = launch(QwenCode())
    assert spec.argv == ("--auth-type", "openai", "--model", "gemini-3-1-pro")
    assert spec.set_env["OPENAI_BASE_URL"] == "http://127.0.0.1:9/v1" and spec.set_env["OPENAI_API_KEY"] == KEY
    assert spec.set_env["QWEN_CODE_MAX_OUTPUT_TOKENS"] == str(GEMINI_PRO.max_output_tokens)
