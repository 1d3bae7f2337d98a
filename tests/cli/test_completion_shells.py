"""Shell completion as a person gets it: `bytespike completion bash` sourced into a real interactive bash
in a pseudo-terminal, then TAB TAB. zsh and fish run where they are installed."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
TOOLS = ("claude-code", "codex", "cursor", "zed", "aider")


def _home_with_profiles(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "BYTESPIKE_HOME": str(tmp_path / "bs"), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           "HOME": str(tmp_path), "TERM": "dumb", "INPUTRC": "/dev/null", "PS1": "$ "}
    env.pop("BYTESPIKE_API_KEY", None)
    for name in ("work", "personal"):
        subprocess.run([str(BIN / "bytespike"), "--offline", "login", "--profile", name], env=env, check=True,
                       capture_output=True, timeout=60)
    subprocess.run([str(BIN / "bytespike"), "--offline", "models"], env=env, check=True, capture_output=True, timeout=60)
    return env


def _interactive_bash_tab(env: dict[str, str], typed: str, script: Path) -> str:
    return _interactive_tab(["bash", "--norc", "--noprofile", "-i"], env, typed,
                            f"source {script}; bind 'set show-all-if-ambiguous on'; echo READY\n")


def _interactive_tab(shell: list[str], env: dict[str, str], typed: str, prepare: str) -> str:
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(shell, stdin=slave, stdout=slave, stderr=slave,
                            env=env, close_fds=True, start_new_session=True)
    os.close(slave)
    screen = b""

    def read(seconds: float) -> None:
        nonlocal screen
        end = time.time() + seconds
        while time.time() < end:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    screen += os.read(master, 65536)
                except OSError:
                    return

    try:
        os.write(master, prepare.encode())
        read(1.5)
        marker = len(screen)
        os.write(master, f"{typed}\t\t".encode())
        read(3.0)
        os.write(master, b"\x03exit\n")
        return screen[marker:].decode("utf-8", "replace")
    finally:
        proc.kill()
        proc.wait()
        os.close(master)


@pytest.fixture
def scripts(tmp_path):
    env = _home_with_profiles(tmp_path)
    out = {}
    for shell in ("bash", "zsh", "fish"):
        text = subprocess.run([str(BIN / "bytespike"), "completion", shell], env=env, capture_output=True,
                              text=True, check=True, timeout=60).stdout
        out[shell] = tmp_path / f"completion.{shell}"
        out[shell].write_text(text)
    return env, out


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
@pytest.mark.parametrize("typed, expected, absent", [
    ("bytespike setup ", TOOLS, ("verify",)),
    ("bytespike profiles use ", ("work", "personal"), ("verify",)),
    ("bytespike setup --key-mode ", ("helper", "env", "inline"), ("claude-code",)),
    ("bytespike warm claude-opus-4-", ("claude-opus-4-8", "claude-opus-4-7"), ("gpt",)),
    ("bytespike verify --profile ", ("work", "personal"), ("claude-code",)),
    ("bytespike usage --by ", ("day", "model", "key"), ("work",)),
])
def test_bash_tab_tab_offers_values(scripts, typed, expected, absent):
    env, files = scripts
    shown = _interactive_bash_tab(env, typed, files["bash"])
    for word in expected:
        assert word in shown, shown
    for word in absent:
        assert word not in shown.replace(typed, ""), shown


def test_completion_script_is_what_the_package_generates(scripts):
    from bytespike_cli.cli import completions

    _env, files = scripts
    for shell, name in (("bash", "bytespike.bash"), ("zsh", "_bytespike"), ("fish", "bytespike.fish")):
        assert files[shell].read_text() == completions.render_all()[name]


def test_completion_never_runs_the_full_cli_or_the_network(scripts):
    env, _files = scripts
    started = time.perf_counter()
    out = subprocess.run([str(BIN / "bytespike"), "__complete", "profiles"], env={**env, "HTTPS_PROXY": "http://0.0.0.0:9"},
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and set(out.stdout.split()) == {"work", "personal"}, out.stderr
    code = ("import sys; sys.argv=['bytespike','__complete','models']\nfrom bytespike_cli import fastpath\n"
            "try:\n    fastpath.main()\nexcept SystemExit:\n    pass\n"
            "print('LOADED', sorted(m for m in ('typer','rich','httpx','bytespike_cli.cli.app') if m in sys.modules))")
    probe = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
    assert "claude-opus-4-8" in probe.stdout and probe.stdout.strip().endswith("LOADED []"), probe.stdout[-300:]
    assert time.perf_counter() - started < 20


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh not installed")
@pytest.mark.parametrize("typed, expected", [
    ("bytespike setup ", ("claude-code", "codex", "cursor")),
    ("bytespike profiles use ", ("work", "personal")),
    ("bytespike setup --key-mode ", ("helper", "inline")),
])
def test_zsh_tab_offers_values(scripts, typed, expected):
    env, files = scripts
    prepare = (f"autoload -U compinit; compinit -u -d {files['zsh'].parent}/.zcompdump; "
               f"source {files['zsh']}; echo READY\n")
    shown = _interactive_tab(["zsh", "-f", "-i"], {**env, "ZDOTDIR": str(files["zsh"].parent)}, typed, prepare)
    for word in expected:
        assert word in shown, shown


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish not installed")
def test_fish_completes_tools_and_profiles(scripts):
    env, files = scripts
    for line, expected in (("bytespike setup ", "claude-code"), ("bytespike profiles use ", "work")):
        out = subprocess.run(["fish", "-c", f"source {files['fish']}; complete -C '{line}'"], env=env,
                             capture_output=True, text=True, timeout=60)
        assert expected in out.stdout, out.stderr


def test_no_typer_completion_flags_anywhere(scripts):
    env, _files = scripts
    out = subprocess.run([str(BIN / "bytespike"), "--help"], env=env, capture_output=True, text=True, timeout=60)
    assert "--install-completion" not in out.stdout and "--show-completion" not in out.stdout
    bad = subprocess.run([str(BIN / "bytespike"), "--install-completion"], env=env, capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 2 and "error: no such flag: --install-completion" in bad.stderr


def test_the_wheel_installs_every_completion_script():
    """pyproject's data-files name the three generated scripts (so `pipx install` leaves them under share/)."""
    tomllib = pytest.importorskip("tomllib")

    root = Path(__file__).resolve().parents[2]
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    shipped = {Path(f).name: folder for folder, files in data.items() for f in files}
    assert shipped == {"bytespike.bash": "share/bash-completion/completions", "_bytespike": "share/zsh/site-functions",
                       "bytespike.fish": "share/fish/vendor_completions.d"}
    assert all((root / "completions" / name).is_file() for name in shipped)
