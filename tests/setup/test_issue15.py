"""Regression tests for issue 15 (setup safety, round two), items 1–6, on real files in a temp home."""

from __future__ import annotations

import errno
import os

import pytest

from bytespike_cli import tools as registry
from bytespike_cli.errors import ConfigFileError
from bytespike_cli.formats import open_document
from bytespike_cli.formats import safe_write
from bytespike_cli.formats.yaml import YamlDocument, YamlEditRefused
from bytespike_cli.setup.engine import Engine, NameCollision

from tests.tools.helpers import GPT, GPT_MINI, HAIKU, SONNET, make_request


def setup_file(name: str, text: str, path_of=None):
    tool = registry.get(name)
    path = (path_of or (lambda t: t.files()[0]))(tool)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return tool, path


def request_for(name: str):
    return make_request(chat=(GPT,), fast=GPT_MINI) if name == "codex" else make_request(chat=(SONNET,), fast=HAIKU)


# -- item 1: a value in the way comes back, whatever its type --------------------------------------------
@pytest.mark.parametrize("name, text", [
    ("zed", '{\n  "agent": null,\n  "theme": "One Dark"\n}\n'),
    ("claude-code", '{\n  "env": null,\n  "model": "opus"\n}\n'),
    ("continue", "name: Mine\nversion: 1.0.0\nschema: v1\nmodels:\n  # - name: old\n  #   provider: ollama\n"
                 "context:\n  - provider: code\n"),
    ("zed", '{\n  "agent": false\n}\n'),
    ("zed", '{\n  "agent": "",\n  "language_models": 0\n}\n'),
])
def test_a_replaced_null_false_string_or_list_comes_back_with_remove(name, text, isolated_home):
    tool, path = setup_file(name, text)
    engine = Engine()
    engine.apply(tool, tool.plan(request_for(name)))
    assert path.read_text() != text
    engine.remove(tool)
    assert path.read_text() == text


def test_a_replaced_null_comes_back_even_when_the_user_edited_the_same_object_since(isolated_home):
    """The byte-level revert cannot apply (the user's edit touches our lines): key-by-key removal must still
    give back the null that setup replaced, not leave an empty object."""
    tool, path = setup_file("claude-code", '{\n  "env": null,\n  "model": "opus"\n}\n')
    engine = Engine()
    engine.apply(tool, tool.plan(request_for("claude-code")))
    data = open_document("json", path.read_text(), path)
    data.set(("env", "MY_VAR"), "1")  # the user adds a variable next to ours
    path.write_text(data.text)
    engine.remove(tool)
    after = open_document("json", path.read_text(), path).data
    assert after["env"] == {"MY_VAR": "1"} and after["model"] == "opus"
    data = open_document("json", path.read_text(), path)
    data.delete(("env", "MY_VAR"))
    path.write_text(data.text)
    before_second = path.read_text()
    engine.apply(tool, tool.plan(request_for("claude-code")))
    engine.remove(tool)
    assert path.read_text() == before_second  # the user's own empty env object stays as they left it


def test_remove_keeps_a_user_edit_made_after_setup_and_is_otherwise_exact(isolated_home):
    text = 'model = "o3"  # mine\n\n[features]\nweb_search = true\n'
    tool, path = setup_file("codex", text)
    engine = Engine()
    engine.apply(tool, tool.plan(request_for("codex")))
    path.write_text(path.read_text() + '\n[tui]\nnotifications = true\n')  # the user's own later edit
    engine.remove(tool)
    assert path.read_text() == text + '\n[tui]\nnotifications = true\n'


# -- item 2: YAML is never re-emitted; refusals name the construct; the tool's YAML version is checked --------
def test_column_aligned_yaml_lines_are_kept_byte_for_byte(isolated_home):
    text = ("model:           openai/x   # aligned\neditor-model:    openai/e\ncode-theme:      nord\n"
            "pretty:          true\n")
    tool, path = setup_file("aider", text, lambda t: t.conf_path())
    engine = Engine()
    engine.apply(tool, tool.plan(request_for("aider")))
    out = path.read_text().splitlines()
    for line in ("editor-model:    openai/e", "code-theme:      nord", "pretty:          true"):
        assert line in out  # not re-spaced
    assert "model:           openai/claude-sonnet-4-6   # aligned" in out  # our value, the user's spacing
    engine.remove(tool)
    assert path.read_text() == text


def test_yaml_11_header_and_octal_value_survive_for_aider(isolated_home):
    text = "%YAML 1.1\n---\n# mine\numask: 0777\nauto-commits: no\n"
    tool, path = setup_file("aider", text, lambda t: t.conf_path())
    engine = Engine()
    engine.apply(tool, tool.plan(request_for("aider")))
    out = path.read_text()
    assert out.startswith("%YAML 1.1\n---\n# mine\numask: 0777\nauto-commits: no\n")
    import yaml

    data = yaml.safe_load(out)  # as Aider reads it
    assert data["umask"] == 0o777 and data["auto-commits"] is False
    engine.remove(tool)
    assert path.read_text() == text


def test_continue_models_alias_is_refused_naming_the_construct(isolated_home):
    text = "name: Mine\nversion: 1.0.0\nschema: v1\nshared: &list\n  - name: Llama\n    provider: ollama\n" \
           "models: *list\n"
    tool, path = setup_file("continue", text)
    with pytest.raises(YamlEditRefused) as info:
        Engine().changes(tool.plan(request_for("continue")))
    assert "alias (*list)" in info.value.message and f"{path}:7:" in info.value.message
    assert path.read_text() == text


def test_flow_style_list_in_the_way_is_refused_not_reformatted():
    doc = YamlDocument("models: [{name: a, provider: ollama}]\n", "c.yaml")
    from bytespike_cli.formats.common import Match

    with pytest.raises(YamlEditRefused) as info:
        doc.set(("models", Match("name", "b")), {"name": "b"})
    assert "flow style" in info.value.message and "bytespike would add to" in info.value.message


def test_several_yaml_documents_are_refused():
    with pytest.raises(ConfigFileError) as info:
        YamlDocument("a: 1\n---\nb: 2\n", "c.yaml")
    assert "several YAML documents" in info.value.message and info.value.line == 2


# -- item 3: all or nothing, and the sweep ----------------------------------------------------------------
def test_a_failing_write_puts_back_every_file_already_replaced(isolated_home, monkeypatch):
    tools = [registry.get(n) for n in ("zed", "codex", "claude-code")]
    originals = {}
    for tool, text in zip(tools, ('{\n  "theme": "x"\n}\n', 'model = "o3"\n', '{\n  "model": "opus"\n}\n')):
        path = tool.files()[0]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        originals[path] = text
    commits = []
    real_commit = safe_write.Staged.commit

    def commit(self):
        if self.target in originals or self.target.name == "settings.json":
            commits.append(self.target)
        if len(commits) == 3 and commits[-1] == self.target:  # the third rename: the file system is full (or over a file-size limit)
            self.discard()
            raise safe_write._write_error(self.path, OSError(errno.EFBIG, "File too large"))
        return real_commit(self)

    monkeypatch.setattr(safe_write.Staged, "commit", commit)
    engine = Engine()
    with pytest.raises(ConfigFileError) as info:
        engine.apply_many([(t, t.plan(request_for(t.name)), "default") for t in tools])
    assert "put back" in info.value.message
    assert {p: p.read_text() for p in originals} == originals  # the two written first are back
    assert not list(isolated_home.rglob("*.bytespike-tmp"))
    assert engine.load_journal()["owned"] == {}
    assert engine.undo() is None


def test_the_start_up_sweep_removes_stale_temp_files_and_says_so(isolated_home):
    tool, path = setup_file("claude-code", '{\n  "model": "opus"\n}\n')
    engine = Engine()
    engine.apply(tool, tool.plan(request_for("claude-code")))
    stale = path.parent / f".{path.name}.k3y9x.bytespike-tmp"
    stale.write_text('{"env": {"ANTHROPIC_AUTH_TOKEN": "sk-byts-stale"}}')
    mine = path.parent / "notes.tmp"  # not ours: stays
    mine.write_text("x")
    result = engine.apply(tool, tool.plan(make_request(chat=(HAIKU,), fast=HAIKU)))
    assert not stale.exists() and mine.exists()
    assert any(str(stale) in line for line in result.recovered)


def test_an_editor_save_between_plan_and_rename_is_never_lost(isolated_home, monkeypatch):
    tool, path = setup_file("zed", '{\n  "theme": "x"\n}\n')
    real_stage = safe_write.stage

    def stage_then_editor_saves(target, data, **kwargs):
        staged = real_stage(target, data, **kwargs)
        path.write_text('{\n  "theme": "saved by the editor"\n}\n')
        return staged

    monkeypatch.setattr("bytespike_cli.setup.engine.stage", stage_then_editor_saves)
    with pytest.raises(ConfigFileError) as info:
        Engine().apply(tool, tool.plan(request_for("zed")))
    assert "changed while bytespike was writing" in info.value.message
    assert path.read_text() == '{\n  "theme": "saved by the editor"\n}\n'
    assert not list(path.parent.glob("*.bytespike-tmp"))


# -- item 4: an entry with our name that we did not write -------------------------------------------------
CODEX_OWN = """# my own ByteSpike entry, made by hand
[model_providers.bytespike]
name = "ByteSpike (mine)"
base_url = "https://llm.bytespike.ai/v1"
env_key = "MY_BYTESPIKE_KEY"
query_params = { team = "a" }
"""


def test_a_hand_made_codex_provider_is_not_taken_over(isolated_home):
    tool, path = setup_file("codex", CODEX_OWN)
    engine = Engine()
    with pytest.raises(NameCollision) as info:
        engine.apply(tool, tool.plan(request_for("codex")))
    assert "model_providers.bytespike" in info.value.message and "--replace" in info.value.hint
    assert path.read_text() == CODEX_OWN
    engine.apply(tool, tool.plan(request_for("codex")), replace=True)
    assert "env_key" not in path.read_text()
    engine.remove(tool)
    assert path.read_text() == CODEX_OWN  # comments, order, inline table: byte for byte


def test_a_continue_model_named_like_ours_is_not_replaced(isolated_home):
    text = ("name: Mine\nversion: 1.0.0\nschema: v1\nmodels:\n  - name: claude-sonnet-4-6 (ByteSpike)\n"
            "    provider: anthropic\n    model: claude-sonnet-4-6\n")
    tool, path = setup_file("continue", text)
    with pytest.raises(NameCollision):
        Engine().apply(tool, tool.plan(request_for("continue")))
    assert path.read_text() == text


def test_our_own_earlier_entry_is_no_collision(isolated_home):
    tool, path = setup_file("codex", 'model = "o3"\n')
    engine = Engine()
    engine.apply(tool, tool.plan(request_for("codex")))
    engine.apply(tool, tool.plan(make_request(chat=(GPT_MINI,), fast=GPT_MINI)))  # no NameCollision
    engine.remove(tool)
    assert path.read_text() == 'model = "o3"\n'


# -- item 5: the edges of a file ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, text", [
    ("codex", '\n# leading blank line above\nmodel = "o3"'),
    ("aider", "model: gpt-4o\nauto-commits: false"),
    ("continue", "name: Mine\nversion: 1.0.0\nschema: v1\nmodels:\n  - name: Llama\n    provider: ollama"),
    ("zed", '{\n  "theme": "x"\n}'),
    ("codex", '\ufeffmodel = "o3"\r\n\r\n[features]\r\nweb_search = true'),
])
def test_final_newline_leading_blank_lines_bom_and_crlf_are_untouched(name, text, isolated_home):
    path_of = (lambda t: t.conf_path()) if name == "aider" else None
    tool, path = setup_file(name, text, path_of)
    engine = Engine()
    engine.apply(tool, tool.plan(request_for(name)))
    out = path.read_bytes().decode("utf-8")
    assert out.endswith("\n") == text.endswith("\n")
    assert out.startswith("\ufeff") == text.startswith("\ufeff")
    assert len(out) - len(out.lstrip("\ufeff\r\n")) == len(text) - len(text.lstrip("\ufeff\r\n"))
    assert ("\r\n" in out) == ("\r\n" in text) and ("\r\n" not in text or "\n" not in out.replace("\r\n", ""))
    engine.remove(tool)
    assert path.read_bytes().decode("utf-8") == text


# -- item 6: small ones --------------------------------------------------------------------------------------
def test_a_lone_surrogate_is_an_error_naming_file_and_line(isolated_home):
    tool, path = setup_file("zed", '{\n  "theme": "One Dark",\n  "x": "\\ud800"\n}\n')
    with pytest.raises(ConfigFileError) as info:
        Engine().changes(tool.plan(request_for("zed")))
    assert f"{path}:3:" in info.value.message and "surrogate" in info.value.message


@pytest.mark.parametrize("text, what", [
    ('\ufeff{\n  "model": "opus"\n}\n', "byte-order mark"),
    ('{\n  "model": "op\tus"\n}\n', "raw control character"),
])
def test_strict_json_for_claude_code_is_what_json_parse_accepts(text, what, isolated_home):
    tool, path = setup_file("claude-code", text)
    with pytest.raises(ConfigFileError) as info:
        Engine().changes(tool.plan(request_for("claude-code")))
    assert what in info.value.message and path.read_text() == text


def test_dry_run_diff_masks_every_credential_looking_value(isolated_home):
    from bytespike_cli.setup.engine import diff

    text = ('{\n  "language_models": {"openai": {"api_url": "https://bob:hunter2secret@proxy.example/v1"}},\n'
            '  "context_servers": {"x": {"env": {"GITHUB_TOKEN": "ghp_abcdefghijklmnopqrstuvwx1234"},\n'
            '    "headers": {"Authorization": "Bearer my-own-bearer-token-123456"}}}\n}\n')
    tool, path = setup_file("zed", text)
    plan = tool.plan(request_for("zed"))
    shown = diff(Engine().changes(plan), plan.secrets)
    # the whole file is in the diff when it is one line... show the context lines at least
    full = diff(Engine().changes(plan), plan.secrets)
    for secret in ("hunter2secret", "my-own-bearer-token-123456", "ghp_abcdefghijklmnopqrstuvwx1234"):
        assert secret not in shown and secret not in full
    assert "Bearer …" in shown and "bob:…@" in shown


def test_undo_after_remove_does_not_bring_back_an_earlier_setup(isolated_home):
    tool, path = setup_file("codex", 'model = "o3"\n')
    engine = Engine()
    engine.apply(tool, tool.plan(make_request(chat=(GPT,), fast=GPT_MINI)))
    engine.apply(tool, tool.plan(make_request(chat=(GPT_MINI,), fast=GPT_MINI)))
    engine.remove(tool)
    assert path.read_text() == 'model = "o3"\n'
    assert engine.undo() is None
    assert path.read_text() == 'model = "o3"\n'


def test_a_journal_of_the_current_release_is_migrated(isolated_home):
    import json

    tool, path = setup_file("codex", 'model = "o3"\n')
    engine = Engine()
    engine.apply(tool, tool.plan(request_for("codex")))
    journal = json.loads(engine.journal_path.read_text())
    # what bytespike 0.1 wrote: version 1, no states, no patches, no after bytes
    journal["version"] = 1
    for entry in journal["history"]:
        entry.pop("state")
        for item in entry["files"]:
            item.pop("after_backup")
    for owned in journal["owned"].values():
        for info in owned["files"].values():
            info.pop("patches")
    engine.journal_path.write_text(json.dumps(journal))
    loaded = engine.load_journal()
    assert loaded["version"] == 2 and loaded["history"][0]["state"] == "done"
    engine.remove(tool)  # key by key, as 0.1 did
    assert open_document("toml", path.read_text(), path).data == {"model": "o3"}


def test_a_journal_from_a_newer_bytespike_is_refused(isolated_home):
    engine = Engine()
    engine.journal_path.parent.mkdir(parents=True, exist_ok=True)
    engine.journal_path.write_text('{"version": 99, "owned": {}, "history": [], "written": {}}')
    with pytest.raises(ConfigFileError) as info:
        engine.load_journal()
    assert "newer" in info.value.message
    assert os.path.exists(engine.journal_path)
