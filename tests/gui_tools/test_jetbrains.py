"""JetBrains AI Assistant: no file is written; installed IDEs are found and the exact steps are given."""

from __future__ import annotations

import sys

import pytest

from bytespike_cli.errors import UsageError
from bytespike_cli.tools import jetbrains as jetbrains_module
from bytespike_cli.tools.jetbrains import JetBrains

from .helpers import GPT, GPT_MINI, KEY, KIMI, history, make_request


def ide_dir(root, name, ai=False):
    path = root / name
    (path / "options").mkdir(parents=True)
    (path / "options" / "ide.general.xml").write_text("<application/>")
    if ai:
        (path / "options" / "AIAssistantQuotaManager2.xml").write_text("<application/>")
    return path


def test_nothing_installed(home):
    tool = JetBrains(home=home, env={})
    detection = tool.detect()
    assert not detection.installed and not detection.configured and detection.files == ()
    plan = tool.plan(make_request())
    assert plan.files == () and any("no JetBrains IDE found" in w for w in plan.warnings)
    assert any("https://llm.bytespike.ai/v1" in s for s in plan.manual_steps)


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="Linux folder layout")
def test_installed_ides_from_their_config_folders_newest_version_wins(home):
    root = home / ".config" / "JetBrains"
    ide_dir(root, "PyCharm2024.3")
    ide_dir(root, "PyCharm2025.1")
    ide_dir(root, "IntelliJIdea2025.2", ai=True)
    ide_dir(root, "WebStorm2025.1.2")
    (root / "consentOptions").mkdir()
    (root / "Toolbox").mkdir()
    (root / "PhpStorm2025.1").write_text("not a folder")
    ide_dir(home / ".config" / "Google", "AndroidStudio2024.2")
    ide_dir(home / ".config" / "Google", "Chrome2024.1")  # Google's folder holds other apps too
    (home / ".local" / "share" / "JetBrains" / "PyCharm2025.1" / "ml-llm").mkdir(parents=True)

    tool = JetBrains(home=home, env={"XDG_CONFIG_HOME": str(home / ".config")})
    ides = {ide.product: ide for ide in tool.installed_ides()}
    assert set(ides) == {"PyCharm", "IntelliJIdea", "WebStorm", "AndroidStudio"}
    assert ides["PyCharm"].version == (2025, 1) and ides["WebStorm"].version == (2025, 1, 2)
    assert ides["IntelliJIdea"].ai_assistant and ides["PyCharm"].ai_assistant  # options file / plugin folder
    assert not ides["WebStorm"].ai_assistant and not ides["AndroidStudio"].ai_assistant
    detection = tool.detect()
    assert detection.installed and "PyCharm Professional 2025.1" in detection.evidence
    assert any("WebStorm 2025.1.2: AI Assistant not found" in d for d in detection.details)
    plan = tool.plan(make_request())
    assert any(w.startswith("WebStorm 2025.1.2: AI Assistant not found") for w in plan.warnings)
    assert "IntelliJ IDEA Ultimate 2025.2" in plan.manual_steps[0]


def test_xdg_config_home_moves_the_config_root(home, tmp_path):
    if sys.platform in ("darwin", "win32"):
        pytest.skip("Linux folder layout")
    ide_dir(tmp_path / "cfg" / "JetBrains", "GoLand2025.1", ai=True)
    assert [i.product for i in JetBrains(home=home, env={"XDG_CONFIG_HOME": str(tmp_path / "cfg")}).installed_ides()] \
        == ["GoLand"]


def test_macos_folders(home, monkeypatch):
    monkeypatch.setattr(jetbrains_module.sys, "platform", "darwin")
    ide_dir(home / "Library" / "Application Support" / "JetBrains", "Rider2025.1", ai=True)
    ides = JetBrains(home=home, env={}).installed_ides()
    assert [(i.product, i.ai_assistant) for i in ides] == [("Rider", True)]


def test_steps_give_the_exact_values_and_never_the_key(home, engine):
    tool = JetBrains(home=home, env={})
    request = make_request(chat=(GPT, KIMI), fast=GPT_MINI, profile="work", base_url="https://gw.example.com")
    plan = tool.plan(request)
    steps = plan.manual_steps
    text = "\n".join(steps + plan.notes + plan.warnings)
    assert KEY not in text and "sk-byts" not in text
    assert "Tools → AI Assistant → Providers & API keys" in steps[0]
    assert "Provider: OpenAI-compatible" in steps[1]
    assert steps[2] == "URL: https://gw.example.com/v1"
    assert "bytespike print-key --profile work" in steps[3]
    assert any("gpt-5-5, kimi-k2-6" in s for s in steps)
    assert any("gpt-5-4-mini" in s for s in steps)
    assert any("tool calling" in s for s in steps)
    assert any("Use API Key or Local Models" in s and "Model gpt-5-5" in s for s in steps)
    assert any("writes no file" in n for n in plan.notes)
    result = engine.apply(tool, plan, profile="work")  # nothing to write: no entry, no backup
    assert result.written == () and result.entry_id is None and history(engine) == []


def test_no_tool_calling_step_for_a_model_without_tools(home):
    from .helpers import model

    plain = model("text-only-1", "other", 8000, 1000, ("text", "streaming"))
    plan = JetBrains(home=home, env={}).plan(make_request(chat=(plain,), fast=None))
    assert not any("tool calling" in s for s in plan.manual_steps)
    assert not any("per feature" in s for s in plan.manual_steps)


def test_other_key_modes_are_refused(home):
    with pytest.raises(UsageError):
        JetBrains(home=home, env={}).plan(make_request(key_mode="inline"))


def test_it_never_blocks_on_running_ides(home):
    assert JetBrains(home=home, env={}).running() == [] and JetBrains.writes_files is False
