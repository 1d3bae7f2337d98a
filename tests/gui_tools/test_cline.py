"""Cline: both file layers under ~/.cline/data, through the real engine, on real files in the temp home."""

from __future__ import annotations

import json
import os
import re
import stat

import pytest

from bytespike_cli.errors import ConfigFileError, ExitCode, ToolBusy, UsageError
from bytespike_cli.formats import open_document
from bytespike_cli.formats.common import data_get
from bytespike_cli.tools.base import Set
from bytespike_cli.tools.cline import Cline, RunningProcess, system_processes
from bytespike_cli.setup.engine import diff

from .helpers import (
    GPT,
    HAIKU,
    KEY,
    SONNET,
    backups,
    fake_executable,
    history,
    leaves,
    make_request,
    no_processes,
    under_any,
)

RICH = {
    "globalState.json": {
        "clineVersion": "4.1.13",
        "actModeApiProvider": "anthropic",
        "planModeApiProvider": "anthropic",
        "actModeApiModelId": "claude-sonnet-4-5",
        "telemetrySetting": "disabled",
        "autoApprovalSettings": {"version": 1, "enabled": True, "actions": {"readFiles": True, "editFiles": False}},
        "openAiHeaders": {},
        "mode": "act",
        "__vscodeMigrationVersion": 2,
        "favoritedModelIds": ["anthropic/claude-sonnet-4.5"],
    },
    "secrets.json": {"apiKey": "sk-ant-users-own-key", "openRouterApiKey": "sk-or-v1-abc"},
    "settings/providers.json": {
        "version": 1, "lastUsedProvider": "anthropic", "modes": {},
        "providers": {"anthropic": {"settings": {"provider": "anthropic", "apiKey": "sk-ant-x",
                                                 "model": "claude-sonnet-4-5"},
                                    "updatedAt": "2026-07-01T10:00:00.000Z", "tokenSource": "manual"}},
    },
    "settings/models.json": {"version": 1, "providers": {"ollama": {"models": {"qwen3": {"id": "qwen3"}}}}},
}
NAMES = tuple(RICH)
KINDS = ["missing-dir", "missing-files", "empty", "rich", "crlf", "bom", "symlink"]
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def tool_for(home, processes=no_processes, env=None) -> Cline:
    return Cline(home=home, env=env if env is not None else {}, processes=processes)


def paths_of(tool: Cline) -> dict:
    return dict(zip(NAMES, tool.files()))


def lay_out(kind: str, tool: Cline, home) -> dict:
    """Write the fixture files; returns name -> original bytes (None: no file)."""
    paths = paths_of(tool)
    if kind == "missing-dir":
        assert not tool.cline_dir().exists()
        return dict.fromkeys(NAMES)
    tool.data_dir().mkdir(parents=True)
    if kind == "missing-files":
        return dict.fromkeys(NAMES)
    originals = {}
    for name, path in paths.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "" if kind == "empty" else json.dumps(RICH[name], indent=2)
        if kind == "crlf":
            text = text.replace("\n", "\r\n")
        if kind == "bom":
            text = "\ufeff" + text
        data = text.encode("utf-8")
        if kind == "symlink" and name in ("globalState.json", "secrets.json"):
            real = home / "dotfiles" / "cline" / name
            real.parent.mkdir(parents=True, exist_ok=True)
            real.write_bytes(data)
            path.symlink_to(real)
        else:
            path.write_bytes(data)
            os.chmod(path, 0o640)
        originals[name] = data
    return originals


def read(path) -> dict:
    return open_document("json", path.read_bytes().decode("utf-8"), path).data


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("kind", KINDS)
def test_lifecycle(kind, home, engine, empty_path):
    tool = tool_for(home)
    paths = paths_of(tool)
    originals = lay_out(kind, tool, home)
    modes = {n: mode_of(p) for n, p in paths.items() if originals[n] is not None}
    if kind == "bom":  # issue 15: Cline's JSON.parse rejects a BOM: the file is refused and left alone
        with pytest.raises(ConfigFileError, match="byte-order mark"):
            engine.changes(tool.plan(make_request()))
        assert all(p.read_bytes() == originals[n] for n, p in paths.items())
        return

    detection = tool.detect()
    assert not detection.configured and detection.files == tool.files()
    assert detection.installed == (kind != "missing-dir")

    request = make_request()
    plan = tool.plan(request)
    shown = diff(engine.changes(plan), plan.secrets)
    assert shown.count("+++ ") == 4 and KEY not in shown and "sk-byts-…WXYZ" in shown
    assert all((p.read_bytes() if p.exists() else None) == originals[n] for n, p in paths.items())

    result = engine.apply(tool, plan, profile="default")
    assert set(result.written) == set(paths.values())
    state, secrets = read(paths["globalState.json"]), read(paths["secrets.json"])
    providers, models = read(paths["settings/providers.json"]), read(paths["settings/models.json"])
    info = {"contextWindow": 200000, "maxTokens": 8192, "supportsImages": True, "supportsPromptCache": False,
            "supportsTools": True}
    for mode in ("act", "plan"):
        assert state[f"{mode}ModeApiProvider"] == "openai"
        assert state[f"{mode}ModeOpenAiModelId"] == "claude-sonnet-4-6"
        assert state[f"{mode}ModeOpenAiModelInfo"] == info
    assert state["openAiBaseUrl"] == "https://llm.bytespike.ai/v1" and state["welcomeViewCompleted"] is True
    assert "apiProvider" not in state and "openAiModelId" not in state  # current Cline never reads these
    assert secrets["openAiApiKey"] == KEY
    entry = providers["providers"]["openai-compatible"]
    assert providers["version"] == 1 and providers["lastUsedProvider"] == "openai-compatible"
    assert entry["settings"] == {"provider": "openai-compatible", "apiKey": KEY, "baseUrl": "https://llm.bytespike.ai/v1",
                                 "model": "claude-sonnet-4-6", "contextWindow": 200000, "maxTokens": 8192}
    assert ISO.match(entry["updatedAt"]) and entry["tokenSource"] == "manual"
    ours = models["providers"]["openai-compatible"]["models"]
    assert list(ours) == ["claude-sonnet-4-6", "claude-haiku-4-5"] and models["version"] == 1
    assert ours["claude-sonnet-4-6"]["capabilities"] == ["tools", "streaming", "images", "reasoning"]
    assert all("tools" in m["capabilities"] for m in ours.values())
    for name in ("secrets.json", "settings/providers.json"):  # files holding the key
        assert mode_of(paths[name]) == 0o600
    if kind in ("rich", "crlf", "bom", "symlink"):
        for name, path in paths.items():
            before = json.loads(originals[name].decode("utf-8-sig"))
            after = read(path)
            touched = [e.path for f in plan.files if f.path == path for e in f.edits if isinstance(e, Set)]
            for key_path, value in leaves(before):
                if not under_any(key_path, touched):
                    assert data_get(after, key_path) == value, f"{name}: {key_path} changed"
            text = path.read_bytes().decode("utf-8")
            if kind == "crlf":
                assert "\n" not in text.replace("\r\n", "")
            if kind == "bom":
                assert text.startswith("\ufeff") and text.count("\ufeff") == 1
    if kind == "symlink":
        assert paths["globalState.json"].is_symlink()
        assert (home / "dotfiles" / "cline" / "globalState.json").read_bytes() == paths["globalState.json"].read_bytes()
    assert mode_of(paths["globalState.json"]) == modes.get("globalState.json", mode_of(paths["globalState.json"]))
    assert tool.detect().configured

    written = {n: p.read_bytes() for n, p in paths.items()}
    entries, saved = len(history(engine)), backups(engine)
    again = engine.apply(tool, tool.plan(request), profile="default")
    assert again.written == () and again.entry_id is None
    assert {n: p.read_bytes() for n, p in paths.items()} == written
    assert len(history(engine)) == entries and backups(engine) == saved

    engine.remove(tool)
    # --remove gives back every file byte for byte (issue 15), folders we made go too
    for name, path in paths.items():
        if originals[name] is None:
            assert not path.exists()
        else:
            assert path.read_bytes() == originals[name]
            assert mode_of(path) == modes[name]
    assert not tool.detect().configured
    if kind == "missing-dir":
        assert not (tool.data_dir() / "settings").exists()
    if kind == "symlink":
        assert paths["secrets.json"].is_symlink()
    assert engine.undo("cline") is None  # the setup is taken out already: nothing older comes back


def test_undo_straight_after_setup_restores_every_file(home, engine):
    tool = tool_for(home)
    originals = lay_out("rich", tool, home)
    engine.apply(tool, tool.plan(make_request()), profile="default")
    result = engine.undo()
    assert set(result.restored) == set(tool.files())
    assert {n: p.read_bytes() for n, p in paths_of(tool).items()} == originals


def test_second_setup_with_another_model_keeps_the_first_stamp_rules(home, engine):
    tool = tool_for(home)
    lay_out("rich", tool, home)
    engine.apply(tool, tool.plan(make_request()), profile="default")
    providers = paths_of(tool)["settings/providers.json"]
    first = read(providers)["providers"]["openai-compatible"]
    engine.apply(tool, tool.plan(make_request(chat=(GPT,))), profile="default")
    second = read(providers)["providers"]["openai-compatible"]
    assert second["settings"]["model"] == "gpt-5-5" and second["settings"]["contextWindow"] == 128000
    assert ISO.match(second["updatedAt"]) and second["updatedAt"] >= first["updatedAt"]
    assert read(paths_of(tool)["globalState.json"])["actModeOpenAiModelId"] == "gpt-5-5"
    engine.remove(tool)
    assert read(paths_of(tool)["globalState.json"]) == RICH["globalState.json"]
    assert read(providers) == RICH["settings/providers.json"]


@pytest.mark.parametrize("name, broken, line", [
    ("globalState.json", '{\n  "mode": "act",\n  "telemetrySetting": disabled\n}\n', 3),
    ("secrets.json", '{\n  "apiKey": "x",,\n}\n', 2),
    ("settings/providers.json", '{\n  "version": 1,\n  "providers": {\n    "a": [\n}\n', 5),
])
def test_broken_file_is_an_error_naming_file_and_line_and_nothing_is_written(name, broken, line, home, engine):
    tool = tool_for(home)
    originals = lay_out("rich", tool, home)
    path = paths_of(tool)[name]
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ConfigFileError) as info:
        engine.apply(tool, tool.plan(make_request()), profile="default")
    assert info.value.line == line and str(path) in info.value.message
    assert info.value.exit_code == ExitCode.CONFIG
    assert path.read_text(encoding="utf-8") == broken
    for other, other_path in paths_of(tool).items():
        if other != name:
            assert other_path.read_bytes() == originals[other]
    assert backups(engine) == [] and history(engine) == []


def test_unknown_store_version_is_refused_and_untouched(home, engine):
    tool = tool_for(home)
    lay_out("rich", tool, home)
    path = paths_of(tool)["settings/providers.json"]
    path.write_text('{"version": 2, "providers": {}}\n', encoding="utf-8")
    with pytest.raises(ConfigFileError) as info:
        tool.plan(make_request())
    assert "version 2" in info.value.message and str(path) in info.value.message
    assert path.read_text(encoding="utf-8") == '{"version": 2, "providers": {}}\n'


def test_the_key_is_required_and_no_other_key_mode_is_offered(home):
    tool = tool_for(home)
    with pytest.raises(UsageError):
        tool.plan(make_request(key=None))
    with pytest.raises(UsageError) as info:
        tool.plan(make_request(key_mode="env"))
    assert "inline" in info.value.hint


def test_environment_overrides_move_the_stores(home, tmp_path):
    data = tmp_path / "elsewhere" / "data"
    tool = tool_for(home, env={"CLINE_DATA_DIR": str(data), "CLINE_PROVIDER_SETTINGS_PATH": str(tmp_path / "p.json")})
    assert tool.files() == (data / "globalState.json", data / "secrets.json", tmp_path / "p.json",
                            tmp_path / "models.json")
    assert tool_for(home, env={"CLINE_DIR": str(tmp_path / "c")}).global_state_path() == \
        tmp_path / "c" / "data" / "globalState.json"


def test_plan_mode_note_names_the_fast_model_and_single_mode_keys_are_not_written(home):
    plan = tool_for(home).plan(make_request(chat=(GPT,), fast=HAIKU))
    assert any("claude-haiku-4-5" in note and "Plan mode" in note for note in plan.notes)
    paths = {e.path for f in plan.files for e in f.edits}
    assert ("apiProvider",) not in paths and ("openAiModelId",) not in paths


# -- a running Cline refuses the write ---------------------------------------------------------------
def install_extension(home, folder=".vscode", version="4.1.13"):
    path = home / folder / "extensions" / f"saoudrizwan.claude-dev-{version}"
    path.mkdir(parents=True)
    return path


@pytest.mark.parametrize("process, setup_extension, blocker", [
    (RunningProcess(4242, "code", "/usr/share/code/code"), ".vscode", "VS Code"),
    (RunningProcess(77, "Cursor.exe", "C:\\Users\\u\\AppData\\Local\\Programs\\cursor\\Cursor.exe"), ".cursor", "Cursor"),
    (RunningProcess(5, "Electron", "/Applications/Visual Studio Code.app/Contents/MacOS/Electron"), ".vscode", "VS Code"),
    (RunningProcess(99, "node", "/usr/bin/node", ("node", "/usr/lib/node_modules/cline/bin/cline", "task")), None,
     "the Cline CLI"),
    (RunningProcess(12, "cline", "/home/u/.local/bin/cline"), None, "the Cline CLI"),
])
def test_a_running_cline_host_is_refused_with_exit_10_naming_it(process, setup_extension, blocker, home, engine):
    if setup_extension:
        install_extension(home, setup_extension)
    tool = tool_for(home, processes=lambda: [RunningProcess(1, "systemd", "/usr/lib/systemd/systemd"), process])
    originals = lay_out("rich", tool, home)
    plan = tool.plan(make_request())
    with pytest.raises(ToolBusy) as info:
        engine.apply(tool, plan, profile="default")
    assert info.value.exit_code == ExitCode.BUSY == 10
    assert blocker in info.value.message and str(process.pid) in info.value.message
    assert "quit" in info.value.hint
    assert {n: p.read_bytes() for n, p in paths_of(tool).items()} == originals
    assert history(engine) == [] and backups(engine) == []
    with pytest.raises(ToolBusy):
        engine.remove(tool)


def test_an_editor_without_the_extension_does_not_block(home, engine):
    install_extension(home, ".cursor")  # Cline lives in Cursor only
    tool = tool_for(home, processes=lambda: [RunningProcess(4242, "code", "/usr/share/code/code"),
                                             RunningProcess(7, "node", "/usr/bin/node", ("node", "/srv/app/server.js"))])
    assert tool.running() == []
    assert engine.apply(tool, tool.plan(make_request()), profile="default").written


def test_a_jetbrains_ide_with_the_cline_plugin_and_a_registered_instance_block(home):
    plugin = home / ".local" / "share" / "JetBrains" / "PyCharm2025.1" / "cline"
    plugin.mkdir(parents=True)
    registry = home / ".cline" / "registry"
    registry.mkdir(parents=True)
    (registry / "127.0.0.1_50051.json").write_text(json.dumps({"process_pid": 31337, "status": "running"}))
    (registry / "stale.json").write_text(json.dumps({"process_pid": 4, "status": "running"}))
    processes = [RunningProcess(2001, "pycharm", "/opt/pycharm/bin/pycharm"), RunningProcess(31337, "node", "/usr/bin/node")]
    busy = tool_for(home, processes=lambda: processes).running()
    assert any("JetBrains IDE with the Cline plugin" in b and "2001" in b for b in busy)
    assert any("registry" in b and "31337" in b for b in busy)
    assert not any("stale" in b for b in busy)


def test_many_editor_processes_are_one_line(home):
    install_extension(home)
    processes = [RunningProcess(pid, "code", "/usr/share/code/code") for pid in (10, 11, 12, 13, 14)]
    busy = tool_for(home, processes=lambda: processes).running()
    assert busy == ["VS Code (it has the Cline extension), pid 10, 11, 12…"]


def test_the_default_process_list_is_the_real_one():
    assert any(p.pid == os.getpid() for p in system_processes())


# -- old VS Code builds: explained, not written ---------------------------------------------------------
def test_only_an_old_vscode_build_gets_an_explanation_and_no_write(home, engine, empty_path):
    install_extension(home, ".vscode", "3.65.2")
    tool = tool_for(home)
    detection = tool.detect()
    assert detection.installed and "3.65.2" in detection.evidence
    assert any("SecretStorage" in d for d in detection.details)
    plan = tool.plan(make_request(key=None))  # no key needed: nothing is written
    assert plan.files == ()
    assert any("3.65.2" in w and "encrypted" in w and "3.66" in w for w in plan.warnings)
    steps = "\n".join(plan.manual_steps)
    assert "OpenAI Compatible" in steps and "https://llm.bytespike.ai/v1" in steps
    assert "bytespike print-key --profile default" in steps and "claude-sonnet-4-6" in steps and KEY not in steps
    result = engine.apply(tool, plan, profile="default")
    assert result.written == () and not tool.data_dir().exists()


def test_old_build_next_to_a_current_cline_writes_and_warns(home, engine, empty_path):
    install_extension(home, ".vscode", "3.60.0")
    fake_executable(empty_path, "cline")
    tool = tool_for(home)
    plan = tool.plan(make_request())
    assert len(plan.files) == 4
    assert any("3.60.0" in w and "older than 3.66" in w for w in plan.warnings)
    assert engine.apply(tool, plan, profile="default").written


def test_uninstalled_leftover_and_new_build_count_as_current(home, empty_path):
    old = install_extension(home, ".vscode", "3.50.0")
    install_extension(home, ".vscode", "3.70.1")
    (home / ".vscode" / "extensions" / ".obsolete").write_text(json.dumps({old.name: True}))
    tool = tool_for(home)
    assert [i.version_text for i in tool.extension_installs()] == ["3.70.1"]
    assert tool.old_vscode_only() == [] and len(tool.plan(make_request()).files) == 4


def test_cline_cli_output_limit_is_warned_when_the_model_allows_less(isolated_home):
    """Issue 10: the Cline CLI sends max_tokens 32000 on an OpenAI-compatible provider whatever it is told."""
    from bytespike_cli.tools.cline import Cline
    from tests.tools.helpers import GPT, make_request, model

    big = model("claude-opus-4-8", "claude", 200000, 32768, ("text", "tool_use", "streaming"))
    warned = [w for w in Cline().plan(make_request(chat=(GPT,), fast=None)).warnings if "32000 output tokens" in w]
    assert len(warned) == 1 and "gpt-5-5 allows 16384" in warned[0]
    assert not [w for w in Cline().plan(make_request(chat=(big,), fast=None)).warnings if "32000" in w]
