"""Doctor tests: broken situations built in a temporary home and project, a real fake gateway."""

from __future__ import annotations

import email.utils
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bytespike_cli.fakegateway import TEST_KEYS


def build_app() -> typer.Typer:
    """The real root app, as `bytespike` runs it: a command that is not mounted fails here, not silently."""
    from bytespike_cli.cli import app as root_module

    mounted = {c.name for c in root_module.app.registered_commands}
    missing = {"doctor", "run", "usage", "balance"} - mounted
    assert not missing, f"not mounted in the root CLI: {sorted(missing)}"
    return root_module.app


class Cli:
    def __init__(self) -> None:
        self.app = build_app()
        self.runner = CliRunner()

    def __call__(self, *args: str):
        return self.runner.invoke(self.app, list(args), catch_exceptions=False)

    def doctor_json(self, *args: str) -> tuple[int, dict]:
        result = self("doctor", *args, "--json")
        return result.exit_code, json.loads(result.stdout)


def by_code(report: dict, code: str) -> list[dict]:
    return [f for f in report["findings"] if f["code"] == code]


def one(report: dict, code: str) -> dict:
    found = by_code(report, code)
    assert len(found) == 1, (code, [f["code"] for f in report["findings"]])
    return found[0]


@pytest.fixture
def cli(isolated_home) -> Cli:
    return Cli()




@pytest.fixture
def project(tmp_path, monkeypatch, bin_dir) -> Path:
    """The current directory: a project folder outside the home."""
    folder = tmp_path / "project"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def use_key(monkeypatch, gateway, project):
    """bytespike's own profile: the fake gateway, and a test key saved in the key file."""
    from bytespike_cli import credentials

    def use(name: str = "default") -> str:
        key = TEST_KEYS[name]
        monkeypatch.setenv("BYTESPIKE_BASE_URL", gateway.base_url)
        credentials.store_key("default", key)
        return key

    return use


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


class Stub:
    """A plain HTTP server on loopback answering from a routes table: path -> (status, headers, body).
    A dict body is sent as JSON, a str body as an HTML page. Requests are kept in ``seen``."""

    def __init__(self, routes: dict, date_offset_s: float = 0.0) -> None:
        routes_ = routes
        offset = date_offset_s
        seen = self.seen = []

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                seen.append((self.command, self.path, self.headers.get("Authorization") or self.headers.get("x-api-key")))
                status, headers, body = routes_.get(self.path.split("?")[0], (404, {}, {"error": {
                    "type": "not_found", "code": "not_found", "message": "no route"}}))
                raw = isinstance(body, str)  # a str body is sent as it is, as an HTML page
                data = body.encode() if raw else json.dumps(body).encode()
                self.send_response_only(status)
                self.send_header("Date", email.utils.formatdate(time.time() + offset, usegmt=True))
                self.send_header("Content-Type", "text/html" if raw else "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_HEAD = do_CONNECT = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "Stub":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
