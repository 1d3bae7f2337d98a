"""Every setup, every `run`, the proxy, `--remove` and `doctor`, proven by the real tool.

The offline gateway answers "echo: <prompt>", so a client printing the prompt back proves the request
went through ByteSpike; the gateway's request log proves which key and which model it carried.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest

from tests.realclients.conftest import (
    BYTESPIKE,
    KEY,
    LOCK,
    PLACEHOLDER,
    RUN_TOOLS,
    World,
    model_requests,
    pins,
    request_model,
    sent_key,
)

PINS = pins()
IDS = [f"{tool}-{version}" for tool, version in PINS]
# The Cline CLI asks for 32000 output tokens whatever it is told (see tools/cline): give it a model
# that allows that many. Every other tool takes bytespike's default choice.
SETUP_ARGS = {"cline": ("--model", "claude-opus-4-8")}


def setup(world: World, *extra: str, profile: str | None = None) -> dict:
    args = ["setup", world.tool, "--yes", "--json", *SETUP_ARGS.get(world.tool, ()), *extra]
    if profile:
        args += ["--profile", profile]
    outcome = world.bytespike(*args)
    assert outcome.code == 0, outcome.text
    report = json.loads(outcome.out)["tools"][0]
    assert report["written"], report
    return report


def assert_answered(world: World, prompt: str, outcome, *, key: str, models: list[str], since: int) -> None:
    """The client printed the gateway's echo of our prompt, and the gateway saw our key and model."""
    assert outcome.code == 0, f"{world.tool} {world.version} exit {outcome.code}:\n{outcome.text[-3000:]}"
    assert prompt in outcome.out, f"no echo of the prompt in {world.tool}'s output:\n{outcome.text[-3000:]}"
    seen = model_requests(world.gateway)[since:]
    carrying = [r for r in seen if prompt in json.dumps(r.json)]
    assert carrying, f"the gateway saw no request with the prompt ({len(seen)} model requests)"
    assert {sent_key(r) for r in carrying} == {key}
    assert {request_model(r) for r in carrying} & set(models), (
        [request_model(r) for r in carrying], models)
    if world.tool == "aider":
        assert "Unknown context window" not in outcome.text


def start_proxy(world: World) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([str(BYTESPIKE), "proxy", "--port", "0",
                             "--log", "json"], env=world.env, cwd=world.workdir, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    world.spawned.append(proc.pid)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        event = json.loads(line)
        if event.get("event") == "ready":
            return proc, event["anthropic_base_url"]
    proc.kill()
    raise AssertionError(f"bytespike proxy did not start: {proc.stderr.read()}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


world_pins = pytest.mark.parametrize("world", PINS, indirect=True, ids=IDS)


@world_pins
def test_setup_then_the_client_answers_and_doctor_is_clean(world):
    report = setup(world)
    prompt, outcome = world.ask()
    assert_answered(world, prompt, outcome, key=KEY, models=report["models"]["chat"], since=0)
    doctor = world.bytespike("doctor", world.tool, "--json")
    findings = json.loads(doctor.out)["findings"]
    assert doctor.code == 0, [f for f in findings if f["status"] == "fail"]
    # doctor names the installed release (a warning when the pins do not cover it: drift.py runs the latest)
    version = [f for f in findings if f["code"] in (f"{world.tool}.version", f"{world.tool}.version-unverified")]
    assert len(version) == 1 and world.version in version[0]["detail"], findings


@world_pins
def test_through_the_proxy(world):
    """A profile whose base URL is `bytespike proxy` with a placeholder key: the proxy adds the real key."""
    proxy, base = start_proxy(world)
    try:
        login = world.bytespike("login", "--profile", "viaproxy", "--base-url", base, "--key-stdin",
                                input=PLACEHOLDER + "\n")
        assert login.code == 0, login.text
        report = setup(world, profile="viaproxy")
        before = len(model_requests(world.gateway))
        prompt, outcome = world.ask()
        assert_answered(world, prompt, outcome, key=KEY, models=report["models"]["chat"], since=before)
        if world.tool in RUN_TOOLS:  # and `bytespike run --via-proxy` for the tools `run` knows
            before = len(model_requests(world.gateway))
            prompt = f"via proxy {time.monotonic_ns()}"
            outcome = world.run([str(BYTESPIKE), "run", "--via-proxy", "--proxy-url", base,
                                 RUN_TOOLS[world.tool], "--", *world.client_argv(prompt)[1:]])
            assert_answered(world, prompt, outcome, key=KEY, models=[m for m in all_ids(world)], since=before)
    finally:
        stop(proxy)


def all_ids(world: World) -> list[str]:
    from bytespike_cli.fakegateway.catalogue import CATALOGUE

    return [m.id for m in CATALOGUE]


@world_pins
def test_run_answers_and_writes_no_file(world):
    if world.tool not in RUN_TOOLS:
        pytest.skip(f"`bytespike run` does not launch {world.tool} (its settings live in files only)")
    from bytespike_cli import tools as registry

    if world.tool == "gemini-cli":  # the user's own choice of "Use Gemini API key" in /auth (see tools/gemini_cli)
        settings = world.home / ".gemini" / "settings.json"
        settings.parent.mkdir(exist_ok=True)
        settings.write_text('{"security": {"auth": {"selectedType": "gemini-api-key"}}}')
    prompt = f"run probe {time.monotonic_ns()}"
    outcome = world.bytespike("run", RUN_TOOLS[world.tool], "--", *world.client_argv(prompt)[1:],
                              timeout=180)
    assert_answered(world, prompt, outcome, key=KEY, models=all_ids(world), since=0)
    tool = registry.get(world.tool, env=world.env)
    assert not tool.detect().configured  # the tool's own files do not point at ByteSpike
    journal = world.home / ".bytespike-test" / "state" / "setup" / "journal.json"
    assert not journal.exists() or not json.loads(journal.read_text()).get("history")


@world_pins
def test_remove_gives_the_client_back_its_own_provider(world, tmp_path):
    """Before setup the client used another gateway (the user's own); after --remove it does again."""
    from bytespike_cli.fakegateway import FakeGateway

    with FakeGateway() as theirs:
        # the user's own configuration: written here by a setup whose records are then forgotten
        login = world.bytespike("login", "--profile", "theirs", "--base-url", theirs.base_url, "--key-stdin",
                                input=KEY + "\n")
        assert login.code == 0, login.text
        setup(world, profile="theirs")
        shutil.rmtree(world.home / ".bytespike-test" / "state")
        assert world.bytespike("profiles", "use", "default").code == 0
        # entries named like ours that bytespike did not write (its records are gone) are the user's:
        # setup refuses to merge into them (issue 15), --replace takes them over and --remove gives them back
        refused = world.bytespike("setup", world.tool, "--dry-run", *SETUP_ARGS.get(world.tool, ()))
        named = refused.code == 9
        if named:
            assert "--replace" in refused.err, refused.text
        report = setup(world, *(("--replace",) if named else ()))
        prompt, outcome = world.ask()
        assert_answered(world, prompt, outcome, key=KEY, models=report["models"]["chat"], since=0)
        removed = world.bytespike("setup", world.tool, "--remove", "--yes")
        assert removed.code == 0, removed.text
        before = len(model_requests(world.gateway))
        prompt, outcome = world.ask()
        assert outcome.code == 0 and prompt in outcome.out, outcome.text[-3000:]
        assert len(model_requests(world.gateway)) == before  # ByteSpike's gateway heard nothing
        assert any(prompt in json.dumps(r.json) for r in model_requests(theirs))


def test_lock_names_every_tool_with_a_version():
    assert set(LOCK) == {"claude-code", "codex", "continue", "cline", "aider", "opencode", "kilo", "gemini-cli",
                         "qwen-code"}
    assert all(spec["versions"] for spec in LOCK.values())
    assert not set(LOCK) & set(NO_REAL_CLIENT)  # tools proven by schema and harness only, never pinned


# Registered tools this suite cannot run, with the reason (README "Compatibility" says the same).
NO_REAL_CLIENT = {
    "crush": "Crush: npm @charmland/crush downloads its binary from GitHub releases in its install script, which "
             "these machines cannot reach; proven by its published schema and the harness only",
    "vscode-copilot": "GitHub Copilot in VS Code: a GUI editor with no headless client; proven by the harness and "
                      "doctor only",
}


@pytest.mark.parametrize("tool", sorted(NO_REAL_CLIENT))
def test_tools_without_a_real_client_say_why(tool):
    from bytespike_cli import tools as registry

    assert registry.canonical(tool) == tool
    pytest.skip(NO_REAL_CLIENT[tool])


codex_pins = pytest.mark.parametrize("world", [p for p in PINS if p[0] == "codex"], indirect=True,
                                     ids=[i for i in IDS if i.startswith("codex-")])


@codex_pins
def test_codex_fast_profile_works_in_the_form_this_version_reads(world):
    """Issue 10 item 2: `codex --profile bytespike-fast` answers with the fast model, old and new Codex."""
    outcome = world.bytespike("setup", "codex", "--yes", "--fast-model", "gpt-5-4-mini")
    assert outcome.code == 0, outcome.text
    old = tuple(map(int, world.version.split("."))) < (0, 134, 0)
    written = "[profiles.bytespike-fast] in config.toml" if old else "bytespike-fast.config.toml"
    assert written in outcome.err
    prompt = f"fast probe {time.monotonic_ns()}"
    answer = world.run(["codex", "--profile", "bytespike-fast", "-c", "analytics.enabled=false", "exec",
                        "--skip-git-repo-check", prompt])
    assert_answered(world, prompt, answer, key=KEY, models=["gpt-5-4-mini"], since=0)


aider_pins = pytest.mark.parametrize("world", [p for p in PINS if p[0] == "aider"], indirect=True,
                                     ids=[i for i in IDS if i.startswith("aider-")])


@aider_pins
def test_aider_without_context_window_in_the_catalogue(world, monkeypatch):
    """Issue 10 items 3-4: right after login + setup, `aider --message` answers with no export and no
    "Unknown context window" warning, also when the catalogue has no context_window at all."""
    from bytespike_cli.fakegateway.catalogue import CatalogueModel

    original = CatalogueModel.payload

    def without_limits(self):
        item = original(self)
        item.pop("context_window", None)
        item.pop("max_output_tokens", None)
        return item

    monkeypatch.setattr(CatalogueModel, "payload", without_limits)
    outcome = world.bytespike("setup", "aider", "--yes")
    assert outcome.code == 0, outcome.text
    assert "from the documented per-model table" in outcome.err  # setup says where the windows came from
    assert not any(name.startswith(("AIDER_", "OPENAI_")) for name in world.env)  # nothing exported
    prompt, answer = world.ask()
    chat = [r.json["model"] for r in model_requests(world.gateway)]
    assert_answered(world, prompt, answer, key=KEY, models=chat, since=0)  # includes "no Unknown context window"


opencode_family_pins = pytest.mark.parametrize("world", [p for p in PINS if p[0] in ("opencode", "kilo")],
                                               indirect=True,
                                               ids=[i for i in IDS if i.startswith(("opencode-", "kilo-"))])


@opencode_family_pins
def test_opencode_family_doctor_names_a_missing_or_shadowed_key(world):
    """Issue 12 proof: the key variable unset → the real client sends no key and doctor names the variable;
    a project file's key wins over ours → the real client sends that key and doctor names the file."""
    from bytespike_cli.fakegateway import TEST_KEYS

    outcome = world.bytespike("setup", world.tool, "--yes", "--key-mode", "env")
    assert outcome.code == 0, outcome.text
    assert "BYTESPIKE_API_KEY" not in world.env
    prompt, answer = world.ask()
    assert answer.code != 0 or prompt not in answer.out, answer.text[-2000:]
    assert {sent_key(r) for r in model_requests(world.gateway)} <= {None, ""}  # no key went out
    doctor = world.bytespike("doctor", world.tool, "--json")
    missing = [f for f in json.loads(doctor.out)["findings"] if f["code"] == f"{world.tool}.key-env-missing"]
    assert doctor.code != 0 and missing and "BYTESPIKE_API_KEY" in missing[0]["detail"], doctor.text

    exported = dict(world.env, BYTESPIKE_API_KEY=KEY)
    before = len(model_requests(world.gateway))
    prompt, answer = world.ask(env=exported)
    assert_answered(world, prompt, answer, key=KEY, models=all_ids(world), since=before)

    # a project file that defines a provider is not applied by the client (measured), and doctor says so
    other = TEST_KEYS["claude"]
    project = world.workdir / f"{world.tool}.json"
    project.write_text(json.dumps({"provider": {"bytespike": {"options": {"apiKey": other}}}}))
    before = len(model_requests(world.gateway))
    prompt, answer = world.ask(env=exported)
    assert_answered(world, prompt, answer, key=KEY, models=all_ids(world), since=before)
    doctor = world.run([str(BYTESPIKE), "doctor", world.tool, "--json"], env=exported)
    codes = {f["code"] for f in json.loads(doctor.out)["findings"]}
    assert f"{world.tool}.project-provider-ignored" in codes and doctor.code == 0, doctor.text
    project.unlink()

    # the config variable is read last: its key wins over ours, in the client and in doctor
    variable = {"opencode": "OPENCODE_CONFIG_CONTENT", "kilo": "KILO_CONFIG_CONTENT"}[world.tool]
    shadowing = dict(exported, **{variable: json.dumps({"provider": {"bytespike": {"options": {"apiKey": other}}}})})
    before = len(model_requests(world.gateway))
    prompt, answer = world.ask(env=shadowing)
    assert_answered(world, prompt, answer, key=other, models=all_ids(world), since=before)
    doctor = world.run([str(BYTESPIKE), "doctor", world.tool, "--json"], env=shadowing)
    shadowed = [f for f in json.loads(doctor.out)["findings"] if f["code"] == f"{world.tool}.key-shadowed"]
    assert shadowed and f"env {variable}" in shadowed[0]["detail"], doctor.text


gemini_family_pins = pytest.mark.parametrize("world", [p for p in PINS if p[0] in ("gemini-cli", "qwen-code")],
                                             indirect=True,
                                             ids=[i for i in IDS if i.startswith(("gemini-cli-", "qwen-code-"))])


@gemini_family_pins
def test_gemini_family_doctor_names_a_missing_or_shadowed_key(world):
    """Issue 12 proof for the .env tools: the key variable gone from the tool's .env → the real client sends no
    key of ours and doctor names the variable; the variable exported with another key → the real client sends
    that key and doctor names the environment as shadowing the file."""
    from bytespike_cli import tools as registry
    from bytespike_cli.fakegateway import TEST_KEYS

    setup(world)
    variable = {"gemini-cli": "GEMINI_API_KEY", "qwen-code": "BYTESPIKE_API_KEY"}[world.tool]
    env_file = registry.get(world.tool, env=world.env).env_path()
    healthy = env_file.read_text()
    assert f"{variable}=" in healthy
    env_file.write_text("".join(line for line in healthy.splitlines(True) if not line.startswith(f"{variable}=")))
    before = len(model_requests(world.gateway))
    prompt, answer = world.ask()
    assert answer.code != 0 or prompt not in answer.out, answer.text[-2000:]
    assert KEY not in {sent_key(r) for r in model_requests(world.gateway)[before:]}
    doctor = world.bytespike("doctor", world.tool, "--json")
    missing = [f for f in json.loads(doctor.out)["findings"] if f["code"] == f"{world.tool}.key-missing"]
    assert doctor.code != 0 and missing and variable in missing[0]["detail"], doctor.text

    env_file.write_text(healthy)
    other = TEST_KEYS["low_balance"]  # a working key of the same group, not the profile's
    shadowing = dict(world.env, **{variable: other})
    before = len(model_requests(world.gateway))
    prompt, answer = world.ask(env=shadowing)
    assert_answered(world, prompt, answer, key=other, models=all_ids(world), since=before)
    doctor = world.run([str(BYTESPIKE), "doctor", world.tool, "--json"], env=shadowing)
    shadowed = [f for f in json.loads(doctor.out)["findings"] if f["code"] == f"{world.tool}.shadowed"]
    assert shadowed and variable in shadowed[0]["detail"], doctor.text
