"""`bytespike run` tests: stand-in executables that record what they received, a real fake gateway."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from bytespike_cli.fakegateway import TEST_KEYS
from tests.doctor.conftest import Cli

# Records argv and the environment to $STANDIN_RECORD, optionally asks $ANTHROPIC_BASE_URL/v1/models
# with the key it was given (to prove a proxy adds the real one), then exits with $STANDIN_EXIT.
# `--version` prints $STANDIN_VERSION when it is set (Codex's config rules depend on its version).
STANDIN = """#!{python}
import json, os, sys, urllib.request
if sys.argv[1:] == ["--version"] and os.environ.get("STANDIN_VERSION"):
    print(os.environ["STANDIN_VERSION"])
    sys.exit(0)
record = {{"argv": sys.argv[1:], "env": dict(os.environ)}}
if "--model-metadata-file" in sys.argv:  # Aider's: read it now, bytespike deletes it when we exit
    meta = sys.argv[sys.argv.index("--model-metadata-file") + 1]
    record["metadata"] = {{"text": open(meta).read(), "mode": oct(os.stat(meta).st_mode & 0o777)}}
if os.environ.get("STANDIN_FETCH"):
    req = urllib.request.Request(os.environ["ANTHROPIC_BASE_URL"] + "/v1/models",
                                 headers={{"x-api-key": os.environ["ANTHROPIC_AUTH_TOKEN"]}})
    with urllib.request.urlopen(req) as resp:
        record["fetched"] = [m["id"] for m in json.load(resp)["data"]]
with open(os.environ["STANDIN_RECORD"], "w") as f:
    json.dump(record, f)
sys.exit(int(os.environ.get("STANDIN_EXIT", "0")))
"""


@pytest.fixture
def cli(isolated_home) -> Cli:
    return Cli()




class StandIn:
    def __init__(self, folder: Path, record: Path) -> None:
        self.folder = folder
        self.record_path = record

    def install(self, name: str) -> Path:
        path = self.folder / name
        path.write_text(STANDIN.format(python=sys.executable))
        path.chmod(0o755)
        return path

    def record(self) -> dict:
        return json.loads(self.record_path.read_text())


@pytest.fixture
def standin(bin_dir, tmp_path, monkeypatch) -> StandIn:
    record = tmp_path / "record.json"
    monkeypatch.setenv("STANDIN_RECORD", str(record))
    return StandIn(bin_dir, record)


@pytest.fixture
def key(monkeypatch, gateway) -> str:
    value = TEST_KEYS["default"]
    monkeypatch.setenv("BYTESPIKE_BASE_URL", gateway.base_url)
    monkeypatch.setenv("BYTESPIKE_API_KEY", value)
    return value
