"""`bytespike print-key` fast path: same answer as the full lookup, and a small import set."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bytespike_cli import fastpath
from bytespike_cli.fakegateway import DEMO_KEY

STORED = "sk-byts-stored-0123456789abcdef"
WORK = "sk-byts-work-0123456789abcdefgh"
ENV = "sk-byts-fromenv-0123456789abcdef"


def _home(isolated_home, active: str | None = "default", offline_profile: bool = False):
    home = isolated_home / ".bytespike-test"
    (home / "keys").mkdir(parents=True, exist_ok=True)
    (home / "keys" / "default.key").write_text(STORED + "\n")
    (home / "keys" / "work.key").write_text(WORK + "\n")
    text = f'active_profile = "{active}"\n' if active else ""
    text += '[profiles.default]\nbase_url = "https://llm.bytespike.ai"\n[profiles.work]\n'
    text += "offline = true\n" if offline_profile else 'base_url = "https://llm.bytespike.ai"\n'
    (home / "config.toml").write_text(text)
    return home


def test_demo_key_is_the_offline_gateways():
    assert fastpath._DEMO_KEY == DEMO_KEY


@pytest.mark.parametrize("profile, env, active, offline_profile", [
    (None, {}, "default", False),
    (None, {}, "work", False),
    (None, {}, None, False),
    ("work", {}, "default", False),
    (None, {"BYTESPIKE_API_KEY": ENV}, "default", False),        # env key outranks the active profile's
    ("work", {"BYTESPIKE_API_KEY": ENV}, "default", False),      # an explicit --profile outranks the env key
    (None, {"BYTESPIKE_PROFILE": "work"}, "default", False),
    (None, {"BYTESPIKE_PROFILE": "work", "BYTESPIKE_API_KEY": ENV}, "default", False),
    (None, {"BYTESPIKE_OFFLINE": "1"}, "default", False),
    ("work", {}, "default", True),                               # an offline profile prints the demo key
    ("nobody", {"BYTESPIKE_API_KEY": ENV}, "default", False),
])
def test_fast_lookup_matches_the_full_resolution(isolated_home, monkeypatch, profile, env, active, offline_profile):
    _home(isolated_home, active, offline_profile)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from bytespike_cli import settings

    monkeypatch.setattr(settings, "offline_gateway_url", lambda: "http://127.0.0.1:9")  # no server needed here
    expected = settings.resolve(profile).key
    assert fastpath.lookup_key(profile, False) == expected
    assert expected is not None


@pytest.mark.parametrize("args", [["print-key", "--help"], ["print-key", "extra"], ["verify"], []])
def test_anything_unusual_goes_to_the_full_cli(args):
    assert fastpath._parse(args) is None


def test_noisy_or_missing_keys_go_to_the_full_cli(isolated_home, monkeypatch):
    (isolated_home / ".bytespike-test").mkdir(parents=True, exist_ok=True)
    assert fastpath.lookup_key(None, False) is None  # no key: the full CLI prints error + hint
    monkeypatch.setenv("BYTESPIKE_API_KEY", f"Bearer {ENV}")
    assert fastpath.lookup_key(None, False) is None  # the full cleaner handles pasted noise
    (isolated_home / ".bytespike-test" / "config.toml").write_text("active_profile = [\n")
    assert fastpath.lookup_key(None, False) is None  # a broken config: the full CLI names file and line


def _run(args, env_extra, home):
    env = {**os.environ, "BYTESPIKE_HOME": str(home), **env_extra}
    code = (
        "import sys\n"
        f"sys.argv = ['bytespike', *{args!r}]\n"
        "from bytespike_cli.fastpath import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    status = exc.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('typer', 'click', 'rich', 'httpx', 'tomlkit', 'questionary', 'aiohttp', 'platformdirs'))\n"
        "sys.stderr.write(f'STATUS {status} MODULES {len(sys.modules)} HEAVY {heavy}\\n')\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)


def test_print_key_imports_no_framework_and_few_modules(isolated_home):
    # tomllib (with re) is most of what it loads; Typer + Rich would add several hundred modules
    home = _home(isolated_home)
    out = _run(["print-key"], {}, home)
    assert out.stdout == STORED + "\n"
    status_line = out.stderr.strip().splitlines()[-1]
    assert "STATUS 0" in status_line and "HEAVY []" in status_line, status_line
    baseline = subprocess.run([sys.executable, "-c", "import sys; print(len(sys.modules))"],
                              capture_output=True, text=True, check=True)
    extra = int(status_line.split("MODULES ")[1].split()[0]) - int(baseline.stdout)
    assert extra <= 25, f"print-key imported {extra} modules beyond the interpreter's own: {status_line}"


def test_without_a_key_the_full_cli_explains(isolated_home):
    (isolated_home / ".bytespike-test").mkdir(parents=True, exist_ok=True)
    out = _run(["print-key"], {}, isolated_home / ".bytespike-test")
    assert out.stdout == ""
    assert "error: no ByteSpike key for profile 'default'" in out.stderr and "STATUS 3" in out.stderr
