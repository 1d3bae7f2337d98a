"""The engine on its own: ownership, the running-tool guard, the lock, journal damage, key masking."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bytespike_cli.errors import ConfigFileError, ToolBusy
from bytespike_cli.tools.base import Delete, Detection, FilePlan, Integration, Plan, Set, running_processes
from bytespike_cli.setup.engine import Engine, diff

from tests.tools.helpers import KEY


class Scripted(Integration):
    """An integration whose plan and running processes the test decides."""

    name = "scripted"
    title = "Scripted Tool"

    def __init__(self, plan: Plan, running: list[str] | None = None, fallback: Plan | None = None):
        super().__init__()
        self._plan, self._running, self._fallback = plan, running or [], fallback

    def files(self):
        return tuple(f.path for f in self._plan.files)

    def detect(self):
        return Detection(self.name, self.title, True, "test", self.files(), False)

    def plan(self, request=None):
        return self._plan

    def plan_remove(self):
        return self._fallback or Plan(self.name)

    def running(self):
        return self._running


def plan_for(path: Path, *edits, fmt="json", secret=False) -> Plan:
    return Plan("scripted", (FilePlan(path, fmt, tuple(edits), secret=secret),))


def test_running_tool_blocks_writing(isolated_home):
    path = isolated_home / "s.json"
    tool = Scripted(plan_for(path, Set(("a",), 1)), running=["Cursor (pid 42)"])
    with pytest.raises(ToolBusy) as info:
        Engine().apply(tool, tool.plan())
    assert "Cursor (pid 42)" in info.value.message and "quit" in info.value.hint
    assert not path.exists()


def test_running_processes_finds_this_python():
    name = Path(sys.executable).name
    assert any(f"pid {os.getpid()}" in p or name in p for p in running_processes(name))
    assert running_processes("no-such-process-bytespike") == []


def test_only_if_ours_deletes_leave_user_values_and_warn(isolated_home):
    path = isolated_home / "s.json"
    path.write_text('{"env": {"TOKEN": "users-own"}}')
    tool = Scripted(plan_for(path, Set(("env", "URL"), "u"), Delete(("env", "TOKEN"), only_if_ours=True, reason="r")))
    engine = Engine()
    result = engine.apply(tool, tool.plan())
    assert json.loads(path.read_text())["env"] == {"TOKEN": "users-own", "URL": "u"}
    assert any("left env.TOKEN in place" in w for w in result.warnings)


def test_only_if_ours_deletes_what_we_wrote_earlier(isolated_home):
    path = isolated_home / "s.json"
    engine = Engine()
    first = Scripted(plan_for(path, Set(("env", "TOKEN"), "ours")))
    engine.apply(first, first.plan())
    second = Scripted(plan_for(path, Delete(("env", "TOKEN"), only_if_ours=True), Set(("helper",), "cmd")))
    engine.apply(second, second.plan())
    assert json.loads(path.read_text()) == {"env": {}, "helper": "cmd"}
    engine.remove(second)
    assert not path.exists()  # we created the file; nothing of the user's was in it


def test_remove_restores_replaced_values_and_skips_values_changed_since(isolated_home):
    path = isolated_home / "s.json"
    path.write_text('{\n  "model": "opus",\n  "keep": 1\n}\n')
    engine = Engine()
    tool = Scripted(plan_for(path, Set(("model",), "ours"), Set(("extra",), "ours")))
    engine.apply(tool, tool.plan())
    path.write_text(path.read_text().replace('"extra": "ours"', '"extra": "edited by user"'))
    result = engine.remove(tool)
    assert json.loads(path.read_text()) == {"model": "opus", "keep": 1, "extra": "edited by user"}
    assert any("extra was changed after setup" in w for w in result.warnings)


def test_remove_without_journal_uses_the_tools_fallback(isolated_home):
    path = isolated_home / "s.json"
    path.write_text('{"a": 1, "ours": 2}')
    tool = Scripted(plan_for(path, Set(("x",), 1)), fallback=plan_for(path, Delete(("ours",))))
    Engine().remove(tool)
    assert json.loads(path.read_text()) == {"a": 1}


def test_inline_secret_file_is_0600_and_diff_is_masked(isolated_home):
    path = isolated_home / "c.toml"
    path.write_text('a = 1\n')
    os.chmod(path, 0o644)
    plan = Plan("scripted", (FilePlan(path, "toml", (Set(("token",), KEY),), secret=True),), secrets=(KEY,))
    engine = Engine()
    shown = diff(engine.changes(plan), plan.secrets)
    assert KEY not in shown and "sk-byts-…" in shown
    engine.apply(Scripted(plan), plan)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    engine.undo()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644 and path.read_text() == "a = 1\n"


def test_state_is_private(isolated_home):
    path = isolated_home / "s.json"
    path.write_text('{"secret": "users"}')
    engine = Engine()
    tool = Scripted(plan_for(path, Set(("a",), 1)))
    engine.apply(tool, tool.plan())
    assert stat.S_IMODE(os.stat(engine.root).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(engine.journal_path).st_mode) == 0o600
    (backup,) = (engine.root / "backups").rglob("*.bak")
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    assert backup.read_bytes() == b'{"secret": "users"}'
    assert not list(isolated_home.glob("*.bak")) and sorted(p.name for p in isolated_home.iterdir() if p.is_file()) == ["s.json"]


def test_damaged_journal_is_a_clear_error(isolated_home):
    engine = Engine()
    engine.root.mkdir(parents=True)
    engine.journal_path.write_text("{not json")
    with pytest.raises(ConfigFileError) as info:
        engine.undo()
    assert "journal" in info.value.message


def test_undo_groups_one_run_and_single_tool_undo(isolated_home):
    a, b = isolated_home / "a.json", isolated_home / "b.json"
    engine = Engine()
    ta = Scripted(plan_for(a, Set(("x",), 1)))
    tb = Scripted(plan_for(b, Set(("x",), 1)))
    tb.name = "other"
    engine.apply(ta, ta.plan(), run="r1")
    engine.apply(tb, Plan("other", tb.plan().files), run="r1")
    result = engine.undo()
    assert set(result.tools) == {"scripted", "other"} and not a.exists() and not b.exists()


def test_parallel_setups_do_not_lose_each_others_keys(isolated_home, tmp_path):
    """Two processes run 15 setups each on one file; the lock makes every read-modify-write whole."""
    target = isolated_home / "shared.json"
    target.write_text("{\n}\n")
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from bytespike_cli.tools.base import FilePlan, Plan, Set
        from bytespike_cli.setup.engine import Engine
        sys.path.insert(0, {str(Path(__file__).parent.parent.parent)!r})
        from tests.setup.test_engine import Scripted
        who = sys.argv[1]
        engine = Engine()
        for i in range(15):
            plan = Plan("scripted", (FilePlan(Path({str(target)!r}), "json", (Set((who,), i),)),))
            tool = Scripted(plan)
            tool.name = who
            engine.apply(tool, Plan(who, plan.files))
    """)
    env = dict(os.environ)
    procs = [subprocess.Popen([sys.executable, "-c", script, who], env=env, stderr=subprocess.PIPE)
             for who in ("alpha", "beta")]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    assert json.loads(target.read_text()) == {"alpha": 14, "beta": 14}
    history = Engine().load_journal()["history"]
    assert len(history) == 30


def test_the_journal_never_holds_a_key_we_wrote(isolated_home):
    path = isolated_home / "s.json"
    plan = Plan("scripted", (FilePlan(path, "json", (Set(("token",), KEY), Set(("url",), "u")), secret=True),),
                secrets=(KEY,))
    engine = Engine()
    tool = Scripted(plan)
    engine.apply(tool, plan)
    assert KEY not in engine.journal_path.read_text()
    assert engine.still_configured("scripted")
    engine.remove(tool)  # the hash still proves the token is ours
    assert not path.exists()


@pytest.mark.parametrize("fmt, value", [
    ("json", {"baseURL": "u", "apiKey": KEY}),  # a table holding the key (opencode's options, review of issue 12)
    ("json", ["x", {"headers": {"Authorization": "Bearer " + KEY}}]),  # deep in a list, inside a longer string
    ("toml", "Bearer " + KEY),
    ("yaml", {"models": [{"apiKey": KEY}]}),
], ids=["json-table", "json-list", "toml-string", "yaml-nested"])
def test_the_journal_never_holds_a_key_anywhere_in_a_value_we_wrote(isolated_home, fmt, value):
    path = isolated_home / f"s.{fmt}"
    path.write_text({"json": "{}\n", "toml": "", "yaml": "name: x\n"}[fmt])
    plan = Plan("scripted", (FilePlan(path, fmt, (Set(("provider",), value),), secret=True),), secrets=(KEY,))
    engine = Engine()
    tool = Scripted(plan)
    engine.apply(tool, plan)
    assert KEY in path.read_text()
    assert KEY not in engine.journal_path.read_text()
    assert engine.still_configured("scripted")
    engine.remove(tool)  # the hash still proves the whole value is ours
    assert KEY not in path.read_text()


def test_remove_puts_a_replaced_object_back_as_it_was_written(isolated_home):
    """Review B3: the journal kept objects with sorted keys, so --remove reordered and reformatted them."""
    from bytespike_cli import tools as registry

    from tests.tools.helpers import make_request

    tool = registry.get("zed")
    path = tool.settings_path()
    path.parent.mkdir(parents=True)
    original = '{\n  "agent": {\n    "default_model": { "provider": "zed.dev", "model": "claude-sonnet-4" }\n  }\n}\n'
    path.write_text(original)
    engine = Engine()
    engine.apply(tool, tool.plan(make_request()))
    assert "zed.dev" not in path.read_text()
    engine.remove(tool)
    assert path.read_text() == original


@pytest.mark.parametrize("fmt, text", [
    ("yaml", "model:\n  zeta: 1\n  alpha: 2\nother: x\n"),
    ("toml", 'other = "x"\n\n[model]\nzeta = 1\nalpha = 2\n'),
])
def test_remove_keeps_the_key_order_of_restored_values(isolated_home, fmt, text):
    from bytespike_cli.formats import open_document

    path = isolated_home / f"s.{fmt}"
    path.write_text(text)
    engine = Engine()
    tool = Scripted(plan_for(path, Set(("model",), {"ours": True}), fmt=fmt))
    engine.apply(tool, tool.plan())
    engine.remove(tool)
    assert list(open_document(fmt, path.read_text(), path).data["model"]) == ["zeta", "alpha"]


def test_remove_gives_back_an_empty_or_comment_only_file_as_it_was(isolated_home):
    """Review P1: Zed's default settings.json is comments only; --remove used to leave `{}` in it."""
    from bytespike_cli import tools as registry

    from tests.tools.helpers import make_request

    zed = registry.get("zed")
    zed.settings_path().parent.mkdir(parents=True)
    zed.settings_path().write_text("// Zed settings\n//\n// see the docs\n")
    aider = registry.get("aider")
    aider.settings_path().write_text("# my model settings\n")
    aider.metadata_path().write_text("")
    engine = Engine()
    for tool in (zed, aider):
        engine.apply(tool, tool.plan(make_request()))
        assert "{}" not in zed.settings_path().read_text()
        engine.remove(tool)
    assert zed.settings_path().read_text() == "// Zed settings\n//\n// see the docs\n"
    assert aider.settings_path().read_text() == "# my model settings\n"
    assert aider.metadata_path().read_text() == ""
    assert not aider.conf_path().exists()  # created by the setup: deleted


def test_remove_keeps_what_the_user_added_to_a_once_empty_file(isolated_home):
    from bytespike_cli import tools as registry

    from tests.tools.helpers import make_request

    zed = registry.get("zed")
    path = zed.settings_path()
    path.parent.mkdir(parents=True)
    path.write_text("// Zed settings\n")
    engine = Engine()
    engine.apply(zed, zed.plan(make_request()))
    path.write_text(path.read_text() + "// my note, added later\n")
    engine.remove(zed)
    assert "// my note, added later" in path.read_text() and "// Zed settings" in path.read_text()


@pytest.mark.parametrize("name, before, secret_values", [
    (".env", "OPENAI_API_KEY=sk-openai-user\nexport GEMINI_KEY='AIzaSyA1234567890abcdefghijklmnopq'\n",
     ["sk-openai-user", "AIzaSyA1234567890abcdefghijklmnopq"]),
    ("secrets.json", '{"apiKey":"sk-ant-cline-user-secret","openRouterApiKey": "or-v1-abcdef"}\n',
     ["sk-ant-cline-user-secret", "or-v1-abcdef"]),
    ("settings.json", '{\n  "env": {\n    "ANTHROPIC_API_KEY": "sk-ant-user-secret-123",\n'
                      '    "GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_0123456789abcdefghijABCDEFGHIJ"\n  }\n}\n',
     ["sk-ant-user-secret-123", "ghp_0123456789abcdefghijABCDEFGHIJ"]),
    ("config.toml", '[mcp_servers.x.env]\nAPI_TOKEN = "tok-123456"\nDB_PASSWORD = \'hunter2\'\n',
     ["tok-123456", "hunter2"]),
    ("config.yaml", "models:\n  - name: a\n    apiKey: sk-x   # mine\n    auth_secret: \"s3cr3t\"\n",
     ["sk-x", "s3cr3t"]),
    ("notes.txt", "my key is sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX and that is it\n",
     ["sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX"]),
])
def test_diffs_mask_every_credential_not_only_ours(isolated_home, name, before, secret_values):
    """Review B7: the user's own keys were shown in clear in dry runs and confirmations."""
    from bytespike_cli.setup.engine import FileChange

    after = before + "# a line bytespike adds\n"
    shown = diff([FileChange(isolated_home / name, "text", before.encode(), after.encode())])
    assert shown.startswith("---")
    for value in secret_values:
        assert value not in shown, shown
    assert "# a line bytespike adds" in shown


def test_diffs_keep_what_is_not_a_secret_readable(isolated_home):
    from bytespike_cli.setup.engine import FileChange

    lines = ['"apiKeyHelper": "/opt/bytespike/bin/bytespike print-key --profile default",',
             'env_key = "BYTESPIKE_API_KEY"', "apiKey: ${{ secrets.BYTESPIKE_API_KEY }}", '"maxTokens": 8192,',
             '"useOpenAIKey": true,', '[model_providers.bytespike.auth]', 'command = "/usr/bin/bytespike"',
             '"auth": {"type": "command"},',
             # issue 12's tools: opencode/Kilo substitutions, Crush's $VAR and $(command), VS Code's secret reference
             '"apiKey": "{file:/home/me/.config/bytespike/keys/default.key}",', '"apiKey": "{env:BYTESPIKE_API_KEY}",',
             '"api_key": "$(/usr/bin/bytespike print-key --profile default)",', '"api_key": "$BYTESPIKE_API_KEY",',
             '"apiKey": "${input:chat.lm.secret.6f1a2b}",']
    text = "\n".join(lines) + "\n"
    shown = diff([FileChange(isolated_home / "f", "text", b"", text.encode())])
    for line in lines:
        assert "+" + line in shown
