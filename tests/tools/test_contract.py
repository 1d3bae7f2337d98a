"""The tool contract: every registered tool implements the whole interface, consistently.

A tool cannot be half-added: for each one in the registry, with every key mode it offers,
``plan`` applied by the real engine in a temporary home must be what ``detect`` then calls configured
and what ``resolve`` (doctor's view) reports: the ByteSpike URL, the key that was written (or where
it comes from) and the models that were written. Before the setup, ``resolve`` must not report them,
so a resolver that returns constants fails. Tools ``bytespike run`` starts must put the gateway in
the child's settings and the key only in its environment.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from bytespike_cli import tools as registry
from bytespike_cli.doctor.effective import Context
from bytespike_cli.setup.engine import Engine
from bytespike_cli.tools.base import KEY_MODES, Integration, LaunchRequest, LaunchSpec
from tests.tools.helpers import GPT, GPT_MINI, KEY, make_request

EIGHT = {"cursor", "continue", "cline", "aider", "zed", "jetbrains", "claude-code", "codex"}
GATEWAY = "https://llm.bytespike.ai"
# Cursor keeps the key in its encrypted store: in helper mode the user pastes `bytespike print-key`
# into Cursor's settings, so nothing outside Cursor can read it back.
KEY_PASTED_BY_HAND = {("cursor", "helper")}
# VS Code keeps the Copilot key in its secret storage: entered through its UI, never readable from outside
KEY_PASTED_BY_HAND |= {("vscode-copilot", "helper")}


def cases() -> list[tuple[str, str]]:
    found = []
    for name in registry.names():
        cls = registry.tool_class(name)
        modes = cls.key_modes if cls.writes_files else cls.key_modes[:1]
        found += [(name, mode) for mode in modes]
    return found


def overrides(cls: type, method: str) -> bool:
    return getattr(cls, method) is not getattr(Integration, method)


@pytest.fixture
def world(isolated_home, tmp_path, monkeypatch):
    """A temp home with bytespike's default profile holding the test key, and an empty project."""
    from bytespike_cli import credentials
    from bytespike_cli.settings import resolve

    credentials.store_key("default", KEY)
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    resolved = resolve("default")
    assert resolved.key == KEY and resolved.base_url == GATEWAY

    def context(env: dict | None = None) -> Context:
        return Context(resolved, env=dict(env or {}), home=isolated_home, cwd=project, processes=lambda: [])

    return context


def test_the_registry_holds_the_eight_tools_under_their_canonical_names():
    assert EIGHT <= set(registry.names())
    for name in registry.names():
        assert registry.tool_class(name).name == name
    for alias, name in registry.ALIASES.items():
        assert registry.get(alias).name == name
    assert registry.canonical("claude") == "claude-code" and registry.canonical("Claude-Code") == "claude-code"


@pytest.mark.parametrize("name", registry.names())
def test_every_tool_implements_the_whole_interface(name):
    cls = registry.tool_class(name)
    module = inspect.getmodule(cls)
    assert cls.title and cls.key_modes and set(cls.key_modes) <= set(KEY_MODES)
    for method in ("files", "detect", "plan", "resolve"):
        assert overrides(cls, method), f"{name} does not implement {method}"
    # the facts it relies on, with where they were read
    assert module.__doc__ and len(module.__doc__) > 200, f"{name}: the module must open with its facts"
    assert re.search(r"source|docs|github|commit|notes/editor-facts|PR #", module.__doc__, re.I), name
    # run: a launch needs a program to start and a way to install it, and the other way round
    assert cls.supports_run() == overrides(cls, "launch") == bool(cls.executables) == bool(cls.install), name
    # a verified range needs the program that tells the installed version (a tool the real-client suite cannot
    # run, like Crush, may show its version with no range)
    assert cls.verified_versions is None or cls.version_program is not None, name


@pytest.mark.parametrize("name, mode", cases())
def test_plan_applied_is_what_detect_and_resolve_report(name, mode, world):
    env = {}
    tool = world(env).integration(name)
    prepare(name, tool)
    request = make_request(chat=(GPT,), fast=GPT_MINI, key_mode=mode)
    for path in tool.files():
        assert isinstance(path, Path) and path.is_absolute(), (name, path)

    before = world(env)
    assert not tool.detect().configured
    assert not any(before.is_gateway(eff.base_url) and eff.key == KEY for eff in tool.resolve(before))

    plan = tool.plan(request)
    assert plan.tool == name
    if not tool.writes_files:  # JetBrains: the user types it in; doctor can only say it cannot look
        assert plan.manual_steps and not plan.files
        assert all(eff.key_unknown for eff in tool.resolve(before))
        return
    assert plan.files, f"{name} plans no file in {mode} mode"
    Engine().apply(tool, plan, profile="default")

    for note in plan.notes:  # env mode: the user exports what the plan says
        for var in re.findall(r"export ([A-Z_][A-Z0-9_]*)=", note):
            env[var] = KEY
    after = world(env)
    tool = after.integration(name)
    detection = tool.detect()
    assert detection.configured, f"{name} ({mode}): detect does not see the setup it planned"
    assert detection.profile in (None, "default")

    effective = tool.resolve(after)
    ours = [eff for eff in effective if after.is_gateway(eff.base_url)]
    assert ours, f"{name} ({mode}): resolve does not report the ByteSpike URL: {[e.base_url for e in effective]}"
    eff = ours[0]
    assert eff.base_url.rstrip("/") in (GATEWAY, GATEWAY + "/v1")
    if (name, mode) in KEY_PASTED_BY_HAND:
        assert eff.key is None and eff.key_unknown
    else:
        assert eff.key == KEY, f"{name} ({mode}): resolve finds no key ({eff.key_source or eff.key_unknown})"
        assert eff.key_source
    sent = {model_id.removeprefix(eff.strip_model_prefix) for model_id, _where in eff.models}
    assert GPT.id in sent, f"{name} ({mode}): resolve does not report the chat model written ({sorted(sent)})"


@pytest.mark.parametrize("name", registry.runnable())
def test_launch_sends_the_tool_to_the_target_with_the_key_only_in_the_environment(name, world):
    from bytespike_cli.runner import Target

    tool = world().integration(name)
    target = Target("http://127.0.0.1:9", KEY)
    request = LaunchRequest(f"/usr/bin/{tool.executables[0]}", (), target, (GPT, GPT_MINI), GPT, GPT_MINI, {})
    spec = tool.launch(request)
    assert isinstance(spec, LaunchSpec)
    assert KEY not in " ".join(spec.argv), f"{name}: the key is on the command line"
    assert KEY in spec.set_env.values(), f"{name}: the key is not in the child's environment"
    everything = " ".join([*spec.argv, *spec.set_env.values()])
    assert target.root in everything, f"{name}: the child is not pointed at the target"
    assert GPT.id in everything, f"{name}: the chat model is not chosen"


def test_tools_run_cannot_start_say_so():
    for name in set(registry.names()) - set(registry.runnable()):
        with pytest.raises(NotImplementedError):
            registry.get(name).launch(None)


def prepare(name: str, tool) -> None:
    """What must exist before a setup can happen at all (the tool created it at its first start)."""
    if name == "cursor":  # Cursor's settings database: setup edits it, never creates it
        from tests.gui_tools.test_cursor import make_db

        make_db(tool.db_path())


def test_help_imports_no_tool_module():
    """`bytespike --help` stays fast: the registry, the tools, the engine, doctor and the runner load on use."""
    import subprocess
    import sys

    code = (
        "import sys\nsys.argv=['bytespike','--help']\nfrom bytespike_cli.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "heavy = ('bytespike_cli.tools', 'bytespike_cli.setup', 'bytespike_cli.doctor', 'bytespike_cli.runner',"
        " 'bytespike_cli.compat')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)), code)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[] 0", out.stdout[-500:]
