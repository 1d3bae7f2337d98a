"""`bytespike run qwen` after `bytespike setup qwen-code` (issue 12 review): the provider entry setup wrote for a
model beats OPENAI_BASE_URL/OPENAI_API_KEY in Qwen Code 0.24.4 (``resolveModelConfig``), so the session needs its own
system settings scope (the real client proves it: tests/realclients/test_review12.py)."""

from __future__ import annotations

import json
import os
import sys


# records argv, the environment and the system settings file Qwen Code would read, while it exists
QWEN_STANDIN = """#!{python}
import json, os, sys
path = os.environ.get("QWEN_CODE_SYSTEM_SETTINGS_PATH")
record = {{"argv": sys.argv[1:], "env": dict(os.environ), "system": None}}
if path and os.path.exists(path):
    record["system"] = {{"text": open(path).read(), "mode": oct(os.stat(path).st_mode & 0o777)}}
with open(os.environ["STANDIN_RECORD"], "w") as f:
    json.dump(record, f)
"""


def _install(standin) -> None:
    path = standin.folder / "qwen"
    path.write_text(QWEN_STANDIN.format(python=sys.executable))
    path.chmod(0o755)


def test_run_redirects_the_provider_entries_that_setup_wrote(cli, standin, key, gateway, isolated_home, tmp_path,
                                                             monkeypatch):
    system = tmp_path / "etc" / "settings.json"
    system.parent.mkdir()
    system.write_text('{"general": {"vimMode": true}, // the administrator\'s\n "$version": 4}\n')
    monkeypatch.setenv("QWEN_CODE_SYSTEM_SETTINGS_PATH", str(system))
    assert cli("setup", "qwen-code", "--yes").exit_code == 0
    settings_path = isolated_home / ".qwen" / "settings.json"
    settings = json.loads(settings_path.read_text())
    ours = list(settings["modelProviders"]["openai"])
    # the setup was for another gateway (another profile); the user also has a provider of their own
    for entry in ours:
        entry["baseUrl"] = "https://staging.example/v1"
    mine = {"id": "llama3", "name": "mine", "baseUrl": "http://localhost:11434/v1", "envKey": "OLLAMA_KEY"}
    settings["modelProviders"]["openai"].append(mine)
    settings_path.write_text(json.dumps(settings))
    _install(standin)

    result = cli("run", "qwen", "--", "-p", "hi")

    assert result.exit_code == 0, result.output
    seen = standin.record()
    env, system_seen = seen["env"], seen["system"]
    assert system_seen is not None and system_seen["mode"] == "0o600"
    content = json.loads(system_seen["text"])
    entries = {e["id"]: e for e in content["modelProviders"]["openai"]}
    model = seen["argv"][seen["argv"].index("--model") + 1]
    assert model in entries
    for entry in ours:  # every entry setup wrote now goes where run says, with the key run gives
        assert entries[entry["id"]]["baseUrl"] == gateway.base_url + "/v1"
        assert env[entries[entry["id"]]["envKey"]] == key
    assert entries["llama3"] == mine  # the user's own entry is left as it is
    assert content["general"] == {"vimMode": True} and content["$version"] == 4  # the real system scope still counts
    # system defaults stay where Qwen Code looks for them, never beside the temporary file
    assert env["QWEN_CODE_SYSTEM_DEFAULTS_PATH"] == str(system.parent / "system-defaults.json")
    assert not os.path.exists(env["QWEN_CODE_SYSTEM_SETTINGS_PATH"])  # deleted when Qwen Code ends
    assert key not in result.output


def test_run_without_a_provider_entry_writes_no_settings(cli, standin, key):
    _install(standin)
    assert cli("run", "qwen", "--", "-p", "hi").exit_code == 0
    seen = standin.record()
    assert seen["system"] is None and "QWEN_CODE_SYSTEM_SETTINGS_PATH" not in seen["env"]
