"""The real-client conformance suite: the real tools, at pinned versions, against the offline gateway.

Opt-in (each test is skipped with the reason unless ``BYTESPIKE_REALCLIENTS=1``): the clients come from
npm and PyPI through ``tests/realclients/install.py`` (cached outside the repository). Everything runs
on 127.0.0.1: each client in a fresh temp HOME, telemetry, update checks and other traffic switched
off with the tools' own switches, under a timeout so a hung client fails instead of hanging CI.

``BYTESPIKE_REALCLIENTS_LOCK`` names another lock file (drift.py writes one with the latest releases).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import install  # noqa: E402  (the installer is a plain script beside this file)

ENABLED = os.environ.get("BYTESPIKE_REALCLIENTS") == "1"
LOCK_PATH = Path(os.environ.get("BYTESPIKE_REALCLIENTS_LOCK") or install.LOCK)
LOCK = install.read_lock(LOCK_PATH)
CACHE = install.cache_root()  # read now: the autouse fixture points XDG_CACHE_HOME into a temp home
if ENABLED:
    os.environ["BYTESPIKE_REALCLIENTS_CACHE"] = str(CACHE)
BYTESPIKE = Path(sys.executable).with_name("bytespike")
CLIENT_TIMEOUT = float(os.environ.get("BYTESPIKE_REALCLIENTS_TIMEOUT", "120"))
KEY = "sk-byts-test-default-7f3a9c2e5b1d"  # the offline gateway's "default" test key (public)
PLACEHOLDER = "sk-byts-via-local-proxy-placeholder"

# Every switch each tool offers against traffic that is not the request under test (read in the tools'
# docs and bundles at the pinned versions; see README "Compatibility").
QUIET_ENV = {
    # Claude Code: docs "Environment variables"
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_AUTOUPDATER": "1", "DISABLE_TELEMETRY": "1",
    "DISABLE_ERROR_REPORTING": "1", "DISABLE_BUG_COMMAND": "1", "DISABLE_COST_WARNINGS": "1",
    # Continue CLI (@continuedev/cli dist/index.js): metrics off, no self-update
    "CONTINUE_CLI_ENABLE_TELEMETRY": "0", "CONTINUE_METRICS_ENABLED": "0", "CONTINUE_CLI_AUTO_UPDATED": "true",
    # Cline CLI bundle: no background hub daemon (it would outlive the test), no self-update
    "CLINE_SESSION_BACKEND_MODE": "local", "CLINE_NO_AUTO_UPDATE": "1",
    # Aider/litellm: the model price map from the package, not from GitHub
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    # opencode 1.18.33 / Kilo 7.7.7 bundles: no self-update, the bundled models.dev snapshot instead of a fetch,
    # no default plugins from npm; Kilo: PostHog off (any level but "all"), no session upload
    "OPENCODE_DISABLE_AUTOUPDATE": "1", "OPENCODE_DISABLE_MODELS_FETCH": "1", "OPENCODE_DISABLE_DEFAULT_PLUGINS": "1",
    "KILO_DISABLE_AUTOUPDATE": "1", "KILO_DISABLE_MODELS_FETCH": "1", "KILO_DISABLE_DEFAULT_PLUGINS": "1",
    "KILO_TELEMETRY_LEVEL": "off", "KILO_DISABLE_SESSION_INGEST": "1",
    # Gemini CLI 0.61 / Qwen Code 0.24 (bundles): usage statistics and auto-update are settings only, so they come
    # from a system-defaults file (the lowest settings scope: setup's user settings.json still wins)
    "GEMINI_CLI_SYSTEM_DEFAULTS_PATH": str(HERE / "gemini-quiet-settings.json"), "GEMINI_TELEMETRY_ENABLED": "false",
    "QWEN_CODE_SYSTEM_DEFAULTS_PATH": str(HERE / "qwen-quiet-settings.json"), "QWEN_TELEMETRY_ENABLED": "false",
    "NO_COLOR": "1", "TERM": "dumb", "CI": "true",
}
RUN_TOOLS = {"claude-code": "claude", "codex": "codex", "aider": "aider",  # what `bytespike run` launches
             "opencode": "opencode", "kilo": "kilo", "gemini-cli": "gemini", "qwen-code": "qwen"}


def pytest_collection_modifyitems(config, items):
    if ENABLED:
        return
    reason = ("real-client suite: set BYTESPIKE_REALCLIENTS=1 (and run tests/realclients/install.py) to run "
              "the real tools")
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.skip(reason=reason))


def pins() -> list[tuple[str, str]]:
    return [(tool, version) for tool, spec in LOCK.items() for version in spec["versions"]]


@dataclass
class Outcome:
    code: int | None  # None: killed at the timeout
    out: str
    err: str
    seconds: float

    @property
    def text(self) -> str:
        return self.out + self.err


@dataclass
class World:
    """One temp HOME with a logged-in bytespike, the offline gateway, and one client at one version."""

    tool: str
    version: str
    home: Path
    gateway: object
    env: dict[str, str]
    workdir: Path
    spawned: list[int] = field(default_factory=list)

    @property
    def spec(self) -> dict:
        return LOCK[self.tool]

    def bytespike(self, *args: str, input: str | None = None, timeout: float = 60) -> Outcome:
        return self.run([str(BYTESPIKE), *args], input=input, timeout=timeout)

    def run(self, argv: list[str], *, input: str | None = None, timeout: float = CLIENT_TIMEOUT,
            env: dict[str, str] | None = None) -> Outcome:
        started = time.monotonic()
        proc = subprocess.Popen(argv, cwd=self.workdir, env=env or self.env, text=True, start_new_session=True,
                                stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.spawned.append(proc.pid)
        try:
            out, err = proc.communicate(input, timeout=timeout)
            code: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            code = None
        return Outcome(code, out, err, time.monotonic() - started)

    def client_argv(self, prompt: str) -> list[str]:
        """The client's own non-interactive mode, one prompt, found in each tool's docs."""
        exe = self.spec["bin"]
        return {
            "claude-code": [exe, "-p", prompt],
            "codex": [exe, "-c", "analytics.enabled=false", "exec", "--skip-git-repo-check", prompt],
            "continue": [exe, "-p", prompt],
            "cline": [exe, "--json", prompt],
            "aider": [exe, *AIDER_FLAGS, "--message", prompt],
            "opencode": [exe, "run", prompt],
            "kilo": [exe, "run", prompt],
            # headless Gemini CLI stops in a folder the user has not trusted; --skip-trust is the user's own choice
            "gemini-cli": [exe, "--skip-trust", "-p", prompt],
            "qwen-code": [exe, "-p", prompt],
        }[self.tool]

    def ask(self, prompt: str | None = None, env: dict[str, str] | None = None) -> tuple[str, Outcome]:
        prompt = prompt or f"bytespike probe {uuid.uuid4().hex[:12]}"
        return prompt, self.run(self.client_argv(prompt), env=env)

    def cleanup(self) -> None:
        """Kill whatever a client left running (by pid: only processes started from this test's HOME)."""
        import psutil

        for proc in psutil.process_iter(["pid"]):
            try:
                if proc.environ().get("HOME") == str(self.home) and proc.pid != os.getpid():
                    proc.kill()
            except (psutil.Error, OSError):
                continue


AIDER_FLAGS = ["--yes-always", "--no-git", "--no-check-update", "--analytics-disable", "--no-show-release-notes",
               "--no-pretty", "--no-stream", "--no-fancy-input", "--no-detect-urls", "--map-tokens", "0"]


def client_path(tool: str, version: str) -> Path:
    exe = install.executable(tool, version, LOCK[tool])
    if not install.is_installed(tool, version):
        pytest.fail(f"{tool} {version} is not installed: run `python tests/realclients/install.py` "
                    f"(cache {CACHE})")
    return exe


@pytest.fixture
def world(request, isolated_home, gateway, tmp_path) -> World:
    tool, version = request.param
    exe = client_path(tool, version)
    workdir = tmp_path / "work"
    workdir.mkdir()
    node = install.node_dir(tool, version)  # a newer Node than the machine's, when the release needs one
    path = os.pathsep.join([*([str(node)] if node else []), str(exe.parent), str(BYTESPIKE.parent),
                            "/usr/local/bin", "/usr/bin", "/bin"])
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANTHROPIC_", "OPENAI_", "CODEX_", "CLAUDE_", "AIDER_", "CONTINUE_", "CLINE_",
                                  "GEMINI_", "GOOGLE_", "QWEN_"))}
    env = {k: v for k, v in env.items() if not k.startswith(("OPENCODE_", "KILO_"))}
    env.update(QUIET_ENV, PATH=path, HOME=str(isolated_home), NO_PROXY="127.0.0.1,localhost")
    world = World(tool, version, isolated_home, gateway, env, workdir)
    login = world.bytespike("login", "--base-url", gateway.base_url, "--key-stdin", input=KEY + "\n")
    assert login.code == 0, login.text
    yield world
    world.cleanup()


def model_requests(gateway) -> list:
    """The gateway's billed requests (the model calls), in order."""
    return [r for r in gateway.requests if r.method == "POST" and request_model(r)]


def request_model(request) -> str | None:
    """The model a request asks for: in the body, or in the path for the Gemini API (/v1beta/models/M:action)."""
    if isinstance(request.json, dict) and request.json.get("model"):
        return request.json["model"]
    if request.path.startswith("/v1beta/models/") and ":" in request.path:
        return request.path.removeprefix("/v1beta/models/").rsplit(":", 1)[0]
    return None


def sent_key(request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth:
        return auth.removeprefix("Bearer ").strip()
    return request.headers.get("x-api-key") or request.headers.get("x-goog-api-key") or request.query.get("key")
