"""`bytespike --help` stays light; shell completions match the app; the installed entry point works."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bytespike_cli.cli import completions

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("httpx", "questionary", "aiohttp", "uvloop", "bytespike_cli.proxy", "bytespike_cli.fakegateway")


def test_help_imports_no_network_or_prompt_stack():
    code = (
        "import sys\nsys.argv=['bytespike','--help']\nfrom bytespike_cli.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), code)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[] 0", out.stdout[-500:]


def test_checked_in_completions_are_current():
    for name, text in completions.render_all().items():
        path = ROOT / "completions" / name
        assert path.read_text(encoding="utf-8") == text, (
            f"{path} is stale: run `python -m bytespike_cli.cli.completions --write`"
        )


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
@pytest.mark.parametrize("line, expected, absent", [
    ("bytespike ", "verify", "--chat"),
    ("bytespike ver", "verify", "login"),
    ("bytespike verify --", "--chat", "--key-stdin"),
    ("bytespike profiles ", "use", "verify"),
])
def test_bash_completion_completes_commands_and_options(line, expected, absent):
    script = ROOT / "completions" / "bytespike.bash"
    words = line.split(" ")
    probe = (
        f"source {script}\nCOMP_WORDS=({' '.join(repr(w) for w in words)})\nCOMP_CWORD={len(words) - 1}\n"
        "_bytespike\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert expected in out and absent not in out


def test_installed_entry_point_runs_offline(tmp_path):
    exe = Path(sys.executable).with_name("bytespike")
    if not exe.exists():
        pytest.skip("the package is not installed with its console script in this environment")
    env = {**os.environ, "BYTESPIKE_HOME": str(tmp_path)}
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True, env=env, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("bytespike ")
    out = subprocess.run([str(exe), "--offline", "verify", "--chat"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "✓ streamed chat" in out.stdout and "✓ ready" in out.stdout
    missing = subprocess.run([str(exe), "nope"], capture_output=True, text=True, env=env, timeout=60)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_ctrl_c_stops_warm_cleanly(tmp_path):
    """SIGINT during `warm --keep-warm`: exit 130, what was measured is printed, no traceback."""
    import json
    import signal
    import time

    env = {**os.environ, "BYTESPIKE_HOME": str(tmp_path)}
    ids = json.loads(subprocess.run([sys.executable, "-m", "bytespike_cli", "--offline", "models", "--json"],
                                    capture_output=True, text=True, env=env, timeout=60, check=True).stdout)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bytespike_cli", "--offline", "warm", ids["models"][0]["model"], "--count", "2",
         "--keep-warm", "10", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        time.sleep(4)  # start-up plus the first two requests; then it idles in --keep-warm
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    report = json.loads(out)
    assert report["interrupted"] is True and len(report["models"][0]["requests"]) >= 1


def test_login_prompts_hidden_on_a_terminal(tmp_path):
    """On a TTY the key is asked with a hidden prompt: stars on screen, never the key."""
    import pty
    import select
    import time

    key = "sk-byts-PtyPtyPtyPtyPtyPty9876"
    master, slave = pty.openpty()
    env = {**os.environ, "BYTESPIKE_HOME": str(tmp_path), "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "bytespike_cli", "login", "--no-verify", "--profile", "tty"],
                            stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    screen = b""

    def read_until(marker: bytes, seconds: float) -> None:
        nonlocal screen
        end = time.time() + seconds
        while marker not in screen and time.time() < end:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    screen += os.read(master, 4096)
                except OSError:
                    return

    try:
        read_until(b"Paste your ByteSpike key", 30)
        os.write(master, key.encode() + b"\r")
        read_until(b"Logged in", 30)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        os.close(master)
    text = screen.decode("utf-8", "replace")
    assert "*" * 10 in text and "Logged in" in text and "sk-byts-…9876" in text
    assert key not in text
    assert (tmp_path / "keys" / "tty.key").read_text().strip() == key
