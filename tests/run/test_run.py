"""bytespike run: the tool gets ByteSpike through its environment and command line only."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from bytespike_cli.fakegateway import TEST_KEYS
from bytespike_cli.fakegateway.catalogue import BY_ID

CLAUDE_VARS = ("ANTHROPIC_MODEL", "ANTHROPIC_DEFAULT_SONNET_MODEL", "ANTHROPIC_DEFAULT_OPUS_MODEL",
               "ANTHROPIC_DEFAULT_HAIKU_MODEL")


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_claude_gets_env_only_and_its_exit_code_passes_through(cli, standin, key, gateway, isolated_home, monkeypatch):
    standin.install("claude")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-user-own-anthropic-key-000")
    monkeypatch.setenv("STANDIN_EXIT", "42")
    before = files_under(isolated_home)
    result = cli("run", "claude", "--", "--resume", "abc")
    assert result.exit_code == 42
    seen = standin.record()
    env = seen["env"]
    flag, settings, *rest = seen["argv"]
    assert flag == "--settings" and rest == ["--resume", "abc"]
    assert json.loads(settings)["env"]["ANTHROPIC_BASE_URL"] == gateway.base_url
    assert key not in settings  # the key stays in the environment
    assert env["ANTHROPIC_BASE_URL"] == gateway.base_url
    assert env["ANTHROPIC_AUTH_TOKEN"] == key
    assert "ANTHROPIC_API_KEY" not in env  # it would win at the gateway (x-api-key)
    for name in CLAUDE_VARS:
        assert env[name] in BY_ID, name  # ids from the live catalogue
    assert env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] != env["ANTHROPIC_MODEL"]
    # the model's output limit: Claude Code would ask for 32000 tokens, more than the gateway allows
    assert env["CLAUDE_CODE_MAX_OUTPUT_TOKENS"] == str(BY_ID[env["ANTHROPIC_MODEL"]].max_output_tokens)
    assert files_under(isolated_home) == before  # nothing written
    assert "running: env -u ANTHROPIC_API_KEY" in result.stderr
    assert key not in result.stderr and key not in result.stdout and "sk-byts-…" in result.stderr


def test_claude_user_model_flag_is_kept(cli, standin, key):
    standin.install("claude")
    assert cli("run", "claude", "--", "--model", "claude-opus-4-8").exit_code == 0
    seen = standin.record()
    assert seen["argv"][2:] == ["--model", "claude-opus-4-8"] and "ANTHROPIC_MODEL" not in seen["env"]
    assert "ANTHROPIC_MODEL" not in json.loads(seen["argv"][1])["env"]


# A stand-in that resolves its settings the way Claude Code does (editor-facts §1.1): the env of
# ~/.claude/settings.json < .claude/settings.json < .claude/settings.local.json < --settings, each over
# the process environment; then it lists the models with the base URL and token that won.
FAKE_CLAUDE = """#!{python}
import json, os, sys, urllib.request
env = dict(os.environ)
home = os.environ.get("CLAUDE_CONFIG_DIR") or os.path.join(os.environ["HOME"], ".claude")
for path in (os.path.join(home, "settings.json"), ".claude/settings.json", ".claude/settings.local.json"):
    if os.path.exists(path):
        env.update(json.load(open(path)).get("env") or {{}})
argv = sys.argv[1:]
if "--settings" in argv:
    env.update(json.loads(argv[argv.index("--settings") + 1]).get("env") or {{}})
record = {{"argv": argv, "base": env["ANTHROPIC_BASE_URL"], "model": env.get("ANTHROPIC_MODEL")}}
req = urllib.request.Request(env["ANTHROPIC_BASE_URL"] + "/v1/models",
                             headers={{"authorization": "Bearer " + env["ANTHROPIC_AUTH_TOKEN"]}})
try:
    with urllib.request.urlopen(req) as resp:
        record["status"] = resp.status
except urllib.error.HTTPError as exc:
    record["status"] = exc.code
json.dump(record, open(os.environ["STANDIN_RECORD"], "w"))
"""


def install_fake_claude(standin):
    path = standin.folder / "claude"
    path.write_text(FAKE_CLAUDE.format(python=sys.executable))
    path.chmod(0o755)


def setup_claude_code_file(home, base_url, **env):
    """What `bytespike setup claude-code` leaves behind: the gateway URL and models in settings env."""
    (home / ".claude").mkdir(exist_ok=True)
    (home / ".claude" / "settings.json").write_text(json.dumps({
        "apiKeyHelper": "bytespike print-key --profile default", "model": "claude-sonnet-4-6",
        "env": {"ANTHROPIC_BASE_URL": base_url, "ANTHROPIC_DEFAULT_HAIKU_MODEL": "claude-haiku-4-5", **env}}))


def test_via_proxy_beats_the_settings_file_that_setup_wrote(cli, standin, gateway, isolated_home, monkeypatch):
    from bytespike_cli.proxy.app import ProxyConfig
    from bytespike_cli.proxy.server import ThreadedProxy

    setup_claude_code_file(isolated_home, gateway.base_url)
    install_fake_claude(standin)
    with ThreadedProxy(ProxyConfig(upstream=gateway.base_url, key=TEST_KEYS["default"], port=0)) as proxy:
        result = cli("run", "--proxy-url", proxy.url, "claude", "-p", "hi")
    assert result.exit_code == 0, result.stderr
    seen = standin.record()
    assert seen["base"] == proxy.url  # not the gateway from the settings file, with the placeholder token
    assert seen["status"] == 200
    assert seen["argv"][2:] == ["-p", "hi"]
    assert "warning" not in result.stderr


def test_settings_file_pointing_elsewhere_does_not_win(cli, standin, key, gateway, isolated_home):
    setup_claude_code_file(isolated_home, "https://other-gateway.example", ANTHROPIC_MODEL="claude-opus-4-8")
    install_fake_claude(standin)
    result = cli("run", "claude")
    assert result.exit_code == 0, result.stderr
    seen = standin.record()
    assert seen["base"] == gateway.base_url and seen["status"] == 200
    assert seen["model"] in BY_ID and seen["model"] != "claude-opus-4-8"
    assert "warning" not in result.stderr  # nothing to warn about: --settings outranks the file


def test_claude_warns_only_when_a_settings_file_key_really_differs(cli, standin, key, gateway, isolated_home):
    install_fake_claude(standin)
    setup_claude_code_file(isolated_home, gateway.base_url, ANTHROPIC_AUTH_TOKEN=key)
    result = cli("run", "claude")
    assert result.exit_code == 0 and "warning" not in result.stderr
    setup_claude_code_file(isolated_home, gateway.base_url, ANTHROPIC_AUTH_TOKEN=TEST_KEYS["revoked"])
    result = cli("run", "claude")
    assert "~/.claude/settings.json sets env.ANTHROPIC_AUTH_TOKEN" in result.stderr
    assert "this session sends that key instead of sk-byts-…" in result.stderr
    assert TEST_KEYS["revoked"] not in result.stderr and key not in result.stderr
    assert standin.record()["status"] == 401  # which is exactly what the warning says


def test_users_own_settings_flag_is_left_alone(cli, standin, key, gateway, isolated_home):
    setup_claude_code_file(isolated_home, "https://other-gateway.example")
    standin.install("claude")
    result = cli("run", "claude", "--settings", "/tmp/mine.json")
    assert standin.record()["argv"] == ["--settings", "/tmp/mine.json"]
    assert "sets env.ANTHROPIC_BASE_URL = 'https://other-gateway.example', and your own --settings" in result.stderr


# -- everything after the tool goes to the tool ---------------------------------------------------------------
@pytest.mark.parametrize("args", [["-p", "explain this"], ["-p", "hi"], ["--profile", "x"], ["--offline"],
                                  ["--help"], ["--via-proxy"], ["--", "--resume"]])
def test_tool_options_after_the_tool_name_go_to_the_tool(cli, standin, key, args):
    standin.install("claude")
    result = cli("run", "claude", *args)
    assert result.exit_code == 0, result.stderr
    expected = args[1:] if args[0] == "--" else args
    assert standin.record()["argv"][2:] == expected
    assert "Usage:" not in result.stdout


def test_bytespike_options_before_the_tool_still_work(cli, standin, key, monkeypatch):
    standin.install("claude")
    result = cli("run", "--offline", "claude", "-p", "hi")  # bytespike's --offline: the built-in gateway
    assert result.exit_code == 0, result.stderr
    assert standin.record()["argv"][2:] == ["-p", "hi"] and "127.0.0.1" in standin.record()["env"]["ANTHROPIC_BASE_URL"]
    result = cli("run", "--bogus", "claude")
    assert result.exit_code == 2 and "--bogus" in result.stderr


def test_real_entry_point_passes_print_mode_through(standin, key, tmp_path):
    standin.install("claude")
    exe = Path(sys.executable).parent / "bytespike"
    proc = subprocess.run([str(exe), "run", "claude", "-p", "explain this", "--output-format", "json"],
                          capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    assert standin.record()["argv"][2:] == ["-p", "explain this", "--output-format", "json"]


def test_codex_gets_inline_provider_overrides(cli, standin, key, gateway):
    standin.install("codex")
    assert cli("run", "codex", "--", "exec", "hello").exit_code == 0
    seen = standin.record()
    argv = seen["argv"]
    assert argv[-2:] == ["exec", "hello"]
    overrides = [argv[i + 1] for i, a in enumerate(argv[:-2]) if a == "-c"]
    parsed = tomllib.loads("\n".join(
        f'"{k}" = {v}' if "." not in k else f'{".".join(chr(34) + p + chr(34) for p in k.split("."))} = {v}'
        for k, v in (o.split("=", 1) for o in overrides)))
    provider = parsed["model_providers"]["bytespike-run"]
    assert parsed["model_provider"] == "bytespike-run"
    assert provider == {"name": "ByteSpike (bytespike run)", "base_url": gateway.base_url + "/v1",
                        "wire_api": "responses", "env_key": "BYTESPIKE_API_KEY"}
    assert parsed["model"] in BY_ID and BY_ID[parsed["model"]].family == "gpt"
    assert seen["env"]["BYTESPIKE_API_KEY"] == key
    assert not any(key in a for a in argv)  # the key never goes on the command line


def codex_provider(config_text: str, argv: list[str]) -> tuple[str, dict]:
    """The provider Codex picks, following codex-rs/core/src/config/model_provider_resolution.rs: `-c`
    overrides join the top-level config; the profile is --profile > `profile`; the provider is the
    profile's model_provider > the top-level model_provider."""
    config = tomllib.loads(config_text)
    for index, arg in enumerate(argv):
        if arg == "-c":
            path, value = argv[index + 1].split("=", 1)
            *parents, leaf = path.split(".")
            node = config
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = tomllib.loads(f"v = {value}")["v"]
    profile = next((argv[i + 1] for i, a in enumerate(argv) if a in ("--profile", "-p")), config.get("profile"))
    chosen = (config.get("profiles", {}).get(profile, {}) if profile else {}).get("model_provider")
    provider = chosen or config.get("model_provider") or "openai"
    return provider, config.get("model_providers", {}).get(provider, {})


AZURE_PROFILE = ('profile = "work"\n[profiles.work]\nmodel_provider = "azure"\nmodel = "my-azure-deployment"\n'
                 '[profiles.fast]\nmodel_provider = "azure"\nmodel = "gpt-5-4-mini"\n'
                 '[model_providers.azure]\nname = "Azure"\nbase_url = "https://x.openai.azure.com/openai"\n'
                 'env_key = "AZURE_OPENAI_API_KEY"\n')


def test_codex_session_goes_to_bytespike_despite_a_selected_profile(cli, standin, key, gateway, isolated_home, monkeypatch):
    monkeypatch.setenv("STANDIN_VERSION", "codex-cli 0.133.0")  # profiles in config.toml: before 0.134
    (isolated_home / ".codex").mkdir()
    (isolated_home / ".codex" / "config.toml").write_text(AZURE_PROFILE)
    standin.install("codex")
    result = cli("run", "codex")
    assert result.exit_code == 0, result.stderr
    argv = standin.record()["argv"]
    assert codex_provider(AZURE_PROFILE, []) == ("azure", tomllib.loads(AZURE_PROFILE)["model_providers"]["azure"])
    provider, table = codex_provider(AZURE_PROFILE, argv)
    assert provider == "bytespike-run" and table["base_url"] == gateway.base_url + "/v1"
    assert "selects profile 'work'" in result.stderr and "--profile work" in result.stderr


def test_codex_profile_named_by_the_user_is_redirected(cli, standin, key, gateway, isolated_home, monkeypatch):
    monkeypatch.setenv("STANDIN_VERSION", "codex-cli 0.133.0")  # profiles in config.toml: before 0.134
    (isolated_home / ".codex").mkdir()
    (isolated_home / ".codex" / "config.toml").write_text(AZURE_PROFILE)
    standin.install("codex")
    for name, keeps_model in (("fast", True), ("work", False)):
        result = cli("run", "codex", "--profile", name)
        assert result.exit_code == 0, result.stderr
        argv = standin.record()["argv"]
        assert argv[-2:] == ["--profile", name]  # codex gets the user's flag
        provider, table = codex_provider(AZURE_PROFILE, argv)
        assert provider == "bytespike-run" and table["base_url"] == gateway.base_url + "/v1"
        model_override = f"profiles.{name}.model=" in " ".join(argv)
        assert model_override is not keeps_model  # gpt-5-4-mini is on ByteSpike; the Azure deployment is not
    assert "'my-azure-deployment', which this ByteSpike key does not offer" in result.stderr


CURRENT_CODEX = "codex-cli 0.171.0"


def test_current_codex_gets_no_profile_override(cli, standin, key, gateway, isolated_home, monkeypatch):
    """Issue 10 item 1: Codex >= 0.134 refuses `-c profile=…` ("legacy profile config is no longer supported")."""
    monkeypatch.setenv("STANDIN_VERSION", CURRENT_CODEX)
    standin.install("codex")
    result = cli("run", "codex", "--", "exec", "hello")
    assert result.exit_code == 0, result.stderr
    argv = standin.record()["argv"]
    overrides = [argv[i + 1] for i, a in enumerate(argv) if a == "-c"]
    assert not any(o.startswith(("profile=", "profiles.")) for o in overrides)
    provider, table = codex_provider("", argv)
    assert provider == "bytespike-run" and table["base_url"] == gateway.base_url + "/v1"


def test_current_codex_profile_file_keeps_its_model_and_legacy_selector_is_warned(cli, standin, key, gateway,
                                                                                  isolated_home, monkeypatch):
    monkeypatch.setenv("STANDIN_VERSION", CURRENT_CODEX)
    codex_home = isolated_home / ".codex"
    codex_home.mkdir()
    (codex_home / "fast.config.toml").write_text('model_provider = "azure"\nmodel = "gpt-5-4-mini"\n')
    (codex_home / "work.config.toml").write_text('model = "my-azure-deployment"\n')
    standin.install("codex")
    result = cli("run", "codex", "--profile", "fast")
    argv = standin.record()["argv"]
    assert result.exit_code == 0 and argv[-2:] == ["--profile", "fast"]
    assert not any(a.startswith("model=") for a in argv)  # gpt-5-4-mini is on ByteSpike: the profile's model
    assert 'model_provider="bytespike-run"' in argv  # -c outranks the profile file's provider
    result = cli("run", "codex", "--profile", "work")
    assert any(a.startswith("model=") for a in standin.record()["argv"])
    assert "'my-azure-deployment', which this ByteSpike key does not offer" in result.stderr
    (codex_home / "config.toml").write_text('profile = "work"\n')
    assert "which this Codex refuses at start" in cli("run", "codex").stderr


def test_codex_user_model_is_kept(cli, standin, key):
    standin.install("codex")
    assert cli("run", "codex", "--", "-m", "gpt-5-4").exit_code == 0
    argv = standin.record()["argv"]
    assert not any(a.startswith("model=") for a in argv) and argv[-2:] == ["-m", "gpt-5-4"]


def test_aider(cli, standin, key, gateway):
    standin.install("aider")
    assert cli("run", "aider", "--", "--yes-always").exit_code == 0
    seen = standin.record()
    env, argv = seen["env"], seen["argv"]
    assert env["OPENAI_API_BASE"] == env["AIDER_OPENAI_API_BASE"] == gateway.base_url + "/v1"
    assert env["OPENAI_API_KEY"] == env["AIDER_OPENAI_API_KEY"] == key
    model = argv[argv.index("--model") + 1]
    assert model.startswith("openai/") and model.removeprefix("openai/") in BY_ID
    assert argv[-1] == "--yes-always"
    # model metadata (issue 10): a private file that exists only while Aider runs
    metadata = json.loads(seen["metadata"]["text"])
    assert metadata[model]["max_input_tokens"] == BY_ID[model.removeprefix("openai/")].context_window
    assert seen["metadata"]["mode"] == "0o600"
    assert not os.path.exists(argv[argv.index("--model-metadata-file") + 1])


def test_env_only_for_any_command(cli, standin, key, gateway, monkeypatch):
    standin.install("mytool")
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "sk-other")
    assert cli("run", "--env-only", "mytool", "--", "-x", "y").exit_code == 0
    seen = standin.record()
    env = seen["env"]
    assert seen["argv"] == ["-x", "y"]
    assert env["OPENAI_BASE_URL"] == gateway.base_url + "/v1" and env["ANTHROPIC_BASE_URL"] == gateway.base_url
    assert env["OPENAI_API_KEY"] == env["ANTHROPIC_API_KEY"] == key
    assert "ANTHROPIC_AUTH_TOKEN" not in env


def test_tool_not_installed(cli, bin_dir, key):
    result = cli("run", "codex")
    assert result.exit_code == 2
    assert "Codex CLI is not installed" in result.stderr and "npm install -g @openai/codex" in result.stderr


def test_unknown_tool(cli, bin_dir, key):
    result = cli("run", "cladue")
    assert result.exit_code == 2 and "did you mean `claude`" in result.stderr and "--env-only" in result.stderr


def test_unknown_tool_is_named_before_the_missing_key(cli, bin_dir, gateway, monkeypatch):
    monkeypatch.setenv("BYTESPIKE_BASE_URL", gateway.base_url)
    result = cli("run", "claud")
    assert result.exit_code == 2 and "did you mean `claude`" in result.stderr and "login" not in result.stderr


def test_no_key(cli, standin, gateway, monkeypatch):
    standin.install("claude")
    monkeypatch.setenv("BYTESPIKE_BASE_URL", gateway.base_url)
    result = cli("run", "claude")
    assert result.exit_code == 3 and "bytespike login" in result.stderr


def test_via_proxy_uses_the_running_proxy_and_a_placeholder_key(cli, standin, gateway, monkeypatch):
    from bytespike_cli.proxy.app import ProxyConfig
    from bytespike_cli.proxy.server import ThreadedProxy

    real = TEST_KEYS["default"]
    with ThreadedProxy(ProxyConfig(upstream=gateway.base_url, key=real, port=0)) as proxy:
        standin.install("claude")
        monkeypatch.setenv("STANDIN_FETCH", "1")
        result = cli("run", "--via-proxy", "--proxy-url", proxy.url, "claude")
    assert result.exit_code == 0, result.stderr
    seen = standin.record()
    env = seen["env"]
    assert env["ANTHROPIC_BASE_URL"] == proxy.url
    assert env["ANTHROPIC_AUTH_TOKEN"].startswith("sk-byts-") and env["ANTHROPIC_AUTH_TOKEN"] != real
    assert real not in "".join(env.values())
    assert "claude-sonnet-4-6" in seen["fetched"]  # the proxy added the real key


def test_via_proxy_when_no_proxy_answers(cli, standin, monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    standin.install("claude")
    result = cli("run", "--proxy-url", str(port), "claude")
    assert result.exit_code == 7
    assert f"no bytespike proxy answers at http://127.0.0.1:{port}" in result.stderr
    assert "bytespike proxy" in result.stderr.split("hint:")[1]
    assert not standin.record_path.exists()


SLEEPER = """#!{python}
import os, signal, sys, time
def stop(signum, frame):
    open(os.environ["STANDIN_RECORD"], "w").write(signal.Signals(signum).name)
    sys.exit(99)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
open(os.environ["STANDIN_RECORD"] + ".ready", "w").write("ready")
time.sleep(30)
sys.exit(1)
"""

LAUNCHER = """
import sys
from tests.doctor.conftest import build_app
build_app()(sys.argv[1:], prog_name="bytespike")
"""


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_are_forwarded_to_the_tool(standin, key, sig):
    path = standin.folder / "sleeper"
    path.write_text(SLEEPER.format(python=sys.executable))
    path.chmod(0o755)
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-c", LAUNCHER, "run", "--env-only", "sleeper"], cwd=root,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(root)})
    ready = Path(str(standin.record_path) + ".ready")
    deadline = time.monotonic() + 20
    while not ready.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert ready.exists(), proc.communicate(timeout=5)
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=20)
    assert standin.record_path.read_text() == sig.name
    assert proc.returncode == 99, err
