"""Issue 10 item 4: context windows from the catalogue's aliases, then the documented table."""

from __future__ import annotations

import json

import pytest

from bytespike_cli.gateway import Model
from bytespike_cli.tools import get
from bytespike_cli.tools.base import context_notes
from bytespike_cli.model_limits import DOCUMENTED_LIMITS, limits
from tests.tools.helpers import make_request


@pytest.mark.parametrize("item, expected", [
    ({"id": "m", "context_window": 1000, "max_output_tokens": 10}, (1000, 10, "catalogue")),
    ({"id": "m", "max_input_tokens": 2000, "max_tokens": 20}, (2000, 20, "catalogue:max_input_tokens")),  # LiteLLM
    ({"id": "m", "max_model_len": 3000}, (3000, None, "catalogue:max_model_len")),  # vLLM
    ({"id": "m", "context_length": 4000, "top_provider": {"max_completion_tokens": 40}},
     (4000, 40, "catalogue:context_length")),  # OpenRouter
    ({"id": "m", "inputTokenLimit": 5000, "outputTokenLimit": 50}, (5000, 50, "catalogue:inputTokenLimit")),
    ({"id": "m", "model_info": {"max_input_tokens": 6000}}, (6000, None, "catalogue:max_input_tokens")),
    ({"id": "m", "max_tokens": 700}, (None, None, None)),  # ambiguous alone: neither window nor output
    ({"id": "m", "context_window": "0", "max_model_len": True}, (None, None, None)),  # junk is no window
    ({"id": "claude-sonnet-4-6"}, (200_000, 8_192, "documented")),
    ({"id": "gpt-5-5", "max_output_tokens": 9000}, (128_000, 9000, "documented")),
    ({"id": "unknown-model"}, (None, None, None)),
])
def test_limits(item, expected):
    assert limits(item) == expected


def test_model_from_api_keeps_the_source():
    model = Model.from_api({"id": "deepseek-v4-pro", "family": "deepseek"})
    assert (model.context_window, model.max_output_tokens, model.context_source) == (64_000, 16_384, "documented")
    assert model.to_json()["context_source"] == "documented"


def test_documented_table_matches_the_docs(shared_docs):
    """Every id in the table appears in gateway-api.md §6.1 (the docs are the source of these numbers)."""
    text = (shared_docs / "gateway-api.md").read_text(encoding="utf-8")
    section = text.split("### 6.1", 1)[1].split("### 6.2", 1)[0]
    for model_id in DOCUMENTED_LIMITS:
        assert f"`{model_id}`" in section or model_id in section, model_id


@pytest.fixture
def shared_docs():
    from pathlib import Path

    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "shared" / "gateway-api.md").exists():
            return parent / "shared"
        if (parent.parent / "shared" / "gateway-api.md").exists():
            return parent.parent / "shared"
    pytest.skip("../shared is not beside this checkout")


def test_aider_metadata_from_a_catalogue_without_context_window(isolated_home, engine):
    """A LiteLLM-style and a bare catalogue both still give Aider its metadata (no "Unknown context window")."""
    litellm = Model.from_api({"id": "my-model", "family": "gpt", "max_input_tokens": 32000, "max_tokens": 4096,
                              "capabilities": ["tool_use", "streaming"]})
    bare = Model.from_api({"id": "claude-haiku-4-5", "family": "claude", "capabilities": ["tool_use"]})
    tool = get("aider")
    request = make_request(chat=(litellm,), fast=bare)
    engine.apply(tool, tool.plan(request), profile="default")
    metadata = json.loads(tool.metadata_path().read_text())
    assert metadata["openai/my-model"]["max_input_tokens"] == 32000
    assert metadata["openai/my-model"]["max_output_tokens"] == 4096
    assert metadata["openai/claude-haiku-4-5"]["max_input_tokens"] == 200_000
    notes = context_notes(request.all_models)
    assert any("my-model" in n and "`max_input_tokens`" in n for n in notes)
    assert any("claude-haiku-4-5" in n and "documented per-model table" in n for n in notes)


def test_no_note_when_the_catalogue_says_context_window():
    model = Model.from_api({"id": "x", "family": "gpt", "context_window": 1000})
    assert context_notes((model,)) == ()


def test_setup_says_where_the_windows_came_from(isolated_home, gateway, monkeypatch):
    """A gateway whose catalogue has no context_window: setup still writes Aider's metadata and says why."""
    from typer.testing import CliRunner

    from bytespike_cli.fakegateway import TEST_KEYS
    from bytespike_cli.fakegateway.catalogue import CatalogueModel
    from tests.doctor.conftest import build_app

    original = CatalogueModel.payload

    def litellm_style(self):
        item = original(self)
        item["max_input_tokens"] = item.pop("context_window")
        return item

    monkeypatch.setattr(CatalogueModel, "payload", litellm_style)
    monkeypatch.setenv("BYTESPIKE_BASE_URL", gateway.base_url)
    monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS["default"])
    result = CliRunner().invoke(build_app(), ["setup", "aider", "--yes"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "from the catalogue's `max_input_tokens` field" in result.stderr
    metadata = json.loads(get("aider").metadata_path().read_text())
    assert all(entry["max_input_tokens"] > 0 for entry in metadata.values()) and metadata
