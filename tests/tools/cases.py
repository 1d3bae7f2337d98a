"""Per-tool facts the shared harness needs: a file full of the user's own settings, a broken file, and
how to recognise our settings in the result. Adding a tool to the harness = adding one ToolCase."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import json

from bytespike_cli.formats import open_document
from bytespike_cli.tools.base import Integration, SetupRequest

from .helpers import GEMINI_FLASH, GEMINI_PRO, GPT, GPT_MINI, HAIKU, SONNET

CLAUDE_RICH = """\
{
  "$schema": "https://json.schemastore.org/claude-code-settings.json",
  "permissions": {
    "allow": [
      "Bash(npm run lint)",
      "Read(~/.zshrc)"
    ],
    "deny": ["Read(./.env)"]
  },
  "model": "opus",
  "env": {
    "DISABLE_TELEMETRY": "1",
    "ANTHROPIC_DEFAULT_SONNET_MODEL": "claude-sonnet-4-5"
  },
  "includeCoAuthoredBy": false,
  "statusLine": {"type": "command", "command": "~/.claude/statusline.sh"},
  "hooks": {
    "PostToolUse": [
      {"matcher": "Edit", "hooks": [{"type": "command", "command": "prettier --write"}]}
    ]
  },
  "cleanupPeriodDays": 30
}
"""

CODEX_RICH = """\
# my codex config
model = "o3"   # default model
approval_policy = "on-request"
sandbox_mode = "workspace-write"

[mcp_servers.docs]
command = "npx"
args = ["-y", "mcp-docs"]   # docs server

[profiles.deep]
model = "o3-pro"
model_reasoning_effort = "high"

# terminal UI
[tui]
notifications = true
"""

ZED_RICH = """\
// Zed settings
//
// For information on how to configure Zed, see the Zed documentation.
{
  "theme": "One Dark", // my theme
  "buffer_font_size": 15,
  "vim_mode": true,
  /* the agent panel */
  "agent": {
    "default_model": {
      "provider": "anthropic",
      "model": "claude-sonnet-4"
    },
    "always_allow_tool_actions": false,
  },
  "language_models": {
    "openai_compatible": {
      "local": {"api_url": "http://localhost:1234/v1", "available_models": []}
    }
  },
  "languages": {"Python": {"tab_size": 4}},
}
"""


AIDER_RICH = """\
##########################################################
# Sample .aider.conf.yml
# Place in your home dir, or at the root of your git repo.
##########################################################

## Specify the model to use for the main chat
model: gpt-4o    # my default
dark-mode: true
auto-commits: false
read:
  - CONVENTIONS.md
alias:
  - "fast:gpt-4o-mini"
"""


CONTINUE_RICH = """\
# Continue config
name: Local Assistant   # my assistant
version: 1.0.0
schema: v1
models:
  - name: Llama 3
    provider: ollama
    model: llama3.1:8b
    roles:
      - chat
      - edit
context:
  - provider: code
  - provider: docs
rules:
  - Always answer in English
"""


CRUSH_RICH = """\
{
  "$schema": "https://charm.land/crush.json",
  "providers": {
    "deepseek": {
      "type": "openai-compat",
      "base_url": "https://api.deepseek.com/v1",
      "api_key": "$DEEPSEEK_API_KEY",
      "models": [
        {"id": "deepseek-chat", "name": "Deepseek V3", "cost_per_1m_in": 0.27, "cost_per_1m_out": 1.1,
         "cost_per_1m_in_cached": 0.07, "cost_per_1m_out_cached": 1.1, "context_window": 64000,
         "default_max_tokens": 5000, "can_reason": false, "supports_attachments": false}
      ]
    }
  },
  "models": {"large": {"model": "deepseek-chat", "provider": "deepseek", "max_tokens": 4000}},
  "lsp": {"go": {"command": "gopls"}},
  "permissions": {"allowed_tools": ["view", "ls"]},
  "options": {"debug": false, "context_paths": ["CONVENTIONS.md"]}
}
"""

COPILOT_RICH = """\
// VS Code: Chat > Manage Language Models
[
  {
    "name": "Local", // my ollama
    "vendor": "ollama",
    "url": "http://localhost:11434"
  },
  /* OpenRouter, key in VS Code's secret storage */
  {
    "name": "OpenRouter",
    "vendor": "openrouter",
    "apiKey": "${input:chat.lm.secret.6f1a2b}"
  }
]
"""

OPENCODE_RICH = """\
// my opencode settings
{
  "$schema": "https://opencode.ai/config.json",
  "share": "manual", // never share by itself
  "model": "anthropic/claude-sonnet-4-5",
  /* a local model server */
  "provider": {
    "ollama": {
      "npm": "@ai-sdk/openai-compatible",
      "options": {"baseURL": "http://localhost:11434/v1"},
      "models": {"llama3.1:8b": {"name": "Llama 3.1"}},
    },
  },
  "autoupdate": false,
}
"""


@dataclass(frozen=True)
class ToolCase:
    name: str
    fmt: str
    path: Callable[[Integration], Path]
    rich: str
    broken: str
    broken_line: int
    check: Callable[[dict, SetupRequest], None]
    chat: tuple = (SONNET,)
    fast: object = HAIKU
    schema: str | None = None
    comments: bool = True  # the rich file has comments that must survive
    holds_model: bool = True  # the file names the chosen model (a tool's .env file holds only URL and key)


def check_claude(data: dict, request: SetupRequest) -> None:
    env = data["env"]
    assert env["ANTHROPIC_BASE_URL"] == request.base_url  # root, no /v1
    assert data["model"] == request.chat.id
    assert env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == request.fast_model.id
    assert data["apiKeyHelper"] == "/opt/bytespike/bin/bytespike print-key --profile default"
    assert "ANTHROPIC_API_KEY" not in env and "ANTHROPIC_AUTH_TOKEN" not in env
    assert "ANTHROPIC_SMALL_FAST_MODEL" not in env and "ANTHROPIC_MODEL" not in env
    # Claude Code asks for 32000 output tokens unless told; the gateway refuses more than the model's limit
    assert env["CLAUDE_CODE_MAX_OUTPUT_TOKENS"] == str(request.chat.max_output_tokens)


def check_codex(data: dict, request: SetupRequest) -> None:
    provider = data["model_providers"]["bytespike"]
    assert provider["base_url"] == request.base_url + "/v1"
    assert provider["wire_api"] == "responses"
    assert provider["name"]
    assert provider["auth"] == {"command": "/opt/bytespike/bin/bytespike",
                                "args": ["print-key", "--profile", "default"]}
    assert not {"env_key", "experimental_bearer_token", "requires_openai_auth"} & set(provider)
    assert data["model_provider"] == "bytespike" and data["model"] == request.chat.id
    # no codex on PATH: the fast profile goes to its own file (Codex >= 0.134 refuses a legacy table)
    assert "bytespike-fast" not in (data.get("profiles") or {})
    assert "openai" not in data["model_providers"]


def check_zed(data: dict, request: SetupRequest) -> None:
    provider = data["language_models"]["openai_compatible"]["bytespike"]
    assert provider["api_url"] == request.base_url + "/v1"
    names = [m["name"] for m in provider["available_models"]]
    assert names == [m.id for m in request.all_models]
    for entry, model in zip(provider["available_models"], request.all_models):
        assert entry["max_tokens"] == model.context_window
        assert set(entry["capabilities"]) >= {"tools", "images", "parallel_tool_calls", "prompt_cache_key"}
    assert data["agent"]["default_model"] == {"provider": "bytespike", "model": request.chat.id}
    assert data["agent"]["thread_summary_model"]["model"] == request.fast_model.id
    assert "api_key" not in repr(data).lower() and "sk-byts" not in repr(data)


def check_aider(data: dict, request: SetupRequest) -> None:
    from bytespike_cli.tools.aider import Aider

    assert data["openai-api-base"] == request.base_url + "/v1"
    assert data["model"] == "openai/" + request.chat.id
    assert data["weak-model"] == "openai/" + request.fast_model.id
    tool = Aider()
    # default key mode: the key only in bytespike's own 0600 env-file, which the conf names (issue 10)
    assert "openai-api-key" not in data and data["env-file"] == str(tool.env_file())
    assert tool.env_file().read_text() == f"AIDER_OPENAI_API_KEY={request.key}\n"
    assert oct(tool.env_file().stat().st_mode & 0o777) == "0o600"
    settings = open_document("yaml", tool.settings_path().read_text(), "s").data
    allowed = {"name", "edit_format", "weak_model_name", "use_repo_map", "editor_model_name", "editor_edit_format"}
    assert [s["name"] for s in settings] == ["openai/" + m.id for m in request.all_models]
    assert all(set(s) <= allowed for s in settings)
    metadata = json.loads(tool.metadata_path().read_text())
    assert metadata["openai/" + request.chat.id]["max_input_tokens"] == request.chat.context_window
    assert metadata["openai/" + request.chat.id]["litellm_provider"] == "openai"


def check_continue(data: dict, request: SetupRequest) -> None:
    from bytespike_cli.tools.continue_ import Continue

    ours = [m for m in data["models"] if m.get("apiBase") == request.base_url + "/v1"]
    assert [m["model"] for m in ours] == [m.id for m in request.all_models]
    chat, fast = ours
    assert chat["roles"] == ["chat", "edit", "apply"] and "autocomplete" not in fast["roles"]
    assert chat["apiKey"] == "${{ secrets.BYTESPIKE_API_KEY }}"
    assert chat["defaultCompletionOptions"]["contextLength"] == request.chat.context_window
    others = [m for m in data["models"] if m not in ours]
    assert all(m.get("provider") != "openai" for m in others)
    env = Continue().env_path()
    assert env.read_text() == f"BYTESPIKE_API_KEY={request.key}\n"
    assert env.stat().st_mode & 0o777 == 0o600


def check_crush(data: dict, request: SetupRequest) -> None:
    providers = data["providers"]
    command = "$(/opt/bytespike/bin/bytespike print-key --profile default)"
    openai, anthropic = providers["bytespike"], providers["bytespike-anthropic"]
    assert openai["type"] == "openai-compat" and openai["base_url"] == request.base_url + "/v1"
    assert anthropic["type"] == "anthropic" and anthropic["base_url"] == request.base_url  # the SDK adds /v1
    assert openai["api_key"] == anthropic["api_key"] == command
    assert [m["id"] for m in openai["models"]] == [m.id for m in request.all_models if m.family != "claude"]
    assert [m["id"] for m in anthropic["models"]] == [m.id for m in request.all_models if m.family == "claude"]
    for entry in openai["models"] + anthropic["models"]:
        model = next(m for m in request.all_models if m.id == entry["id"])
        assert entry["context_window"] == model.context_window
        assert entry["default_max_tokens"] == model.max_output_tokens
    assert data["models"]["large"] == {"model": request.chat.id, "provider": "bytespike"}
    assert data["models"]["small"] == {"model": request.fast_model.id, "provider": "bytespike"}
    assert "sk-byts" not in repr(data)


def check_vscode_copilot(data: list, request: SetupRequest) -> None:
    groups = {g["name"]: g for g in data}
    group = groups["ByteSpike"]
    assert group["vendor"] == "customendpoint" and group["apiType"] == "chat-completions"
    assert "apiKey" not in group and "sk-byts" not in repr(data)  # the key only goes in through VS Code's UI
    assert [m["id"] for m in group["models"]] == [m.id for m in request.all_models]
    for entry, model in zip(group["models"], request.all_models):
        assert entry["url"] == request.base_url + "/v1/chat/completions"
        assert entry["maxInputTokens"] + entry["maxOutputTokens"] == model.context_window
        assert entry["maxOutputTokens"] == model.max_output_tokens
        assert isinstance(entry["toolCalling"], bool) and isinstance(entry["vision"], bool)
    others = [g for g in data if g["name"] != "ByteSpike"]
    assert all(g["vendor"] != "customendpoint" for g in others)


def _crush_path(tool):
    return tool.config_path()


def _vscode_copilot_path(tool):
    from bytespike_cli.tools.vscode_copilot import EDITIONS

    return tool.models_path(EDITIONS[0])


def check_opencode_family(data: dict, request: SetupRequest) -> None:
    from bytespike_cli import paths

    provider = data["provider"]["bytespike"]
    assert provider["npm"] == "@ai-sdk/openai-compatible"
    assert provider["options"]["baseURL"] == request.base_url + "/v1"
    # default key mode: bytespike's own key file by {file:}; without one (the key came from the environment)
    # the variable by {env:}; never the key itself
    key_file = paths.key_file(request.profile)
    expected = "{file:%s}" % key_file if key_file.exists() else "{env:BYTESPIKE_API_KEY}"
    assert provider["options"]["apiKey"] == expected
    assert "sk-byts" not in json.dumps(data)
    assert list(provider["models"]) == [m.id for m in request.all_models]
    for model in request.all_models:
        entry = provider["models"][model.id]
        assert entry["limit"] == {"context": model.context_window, "output": model.max_output_tokens}
        # Claude ids go over the Anthropic wire (the gateway's native one for them), the rest over chat/completions
        assert entry.get("provider", {}).get("npm") == ("@ai-sdk/anthropic" if model.family == "claude" else None)
    assert data["model"] == "bytespike/" + request.chat.id
    assert data["small_model"] == "bytespike/" + request.fast_model.id
    others = {k: v for k, v in data["provider"].items() if k != "bytespike"}
    assert all("bytespike" not in json.dumps(v) for v in others.values())


GEMINI_RICH = """\
{
  // my Gemini CLI settings
  "general": {"vimMode": true},
  "ui": {"theme": "GitHub"},  /* the theme */
  "security": {"auth": {"selectedType": "oauth-personal"}},
  "model": {"name": "gemini-2.5-pro"},
  "mcpServers": {"docs": {"command": "npx", "args": ["-y", "mcp-docs"]}}
}
"""

GEMINI_ENV_RICH = """\
# my Gemini CLI environment
GOOGLE_CLOUD_PROJECT=my-project   # billing project
GEMINI_API_KEY=AIza-my-own-google-key
DEBUG=false
"""

QWEN_RICH = """\
{
  // Qwen Code settings
  "$version": 4,
  "general": {"vimMode": false},
  "security": {"auth": {"selectedType": "qwen-oauth"}},
  "model": {"name": "coder-model"},
  "modelProviders": {
    "openai": [
      {"id": "qwen3-coder-plus", "name": "Qwen3 Coder (DashScope)", "baseUrl": "https://dashscope.aliyuncs.com/compatible-mode/v1", "envKey": "DASHSCOPE_API_KEY"}
    ]
  }
}
"""

QWEN_ENV_RICH = """\
# keys for Qwen Code
DASHSCOPE_API_KEY=sk-dashscope-mine
export OPENAI_MODEL=qwen3-coder-plus
"""


def check_gemini(data: dict, request: SetupRequest) -> None:
    from bytespike_cli.tools.gemini_cli import GeminiCli

    assert data["security"]["auth"]["selectedType"] == "gemini-api-key"
    assert data["model"]["name"] == request.chat.id
    assert "sk-byts" not in json.dumps(data)  # the key is only in the .env file
    env_path = GeminiCli().env_path()
    env = open_document("dotenv", env_path.read_text(), env_path).data
    assert env["GOOGLE_GEMINI_BASE_URL"] == request.base_url  # the root: the SDK adds /v1beta
    assert env["GEMINI_API_KEY"] == request.key
    assert env_path.stat().st_mode & 0o777 == 0o600


def check_gemini_env(data: dict, request: SetupRequest) -> None:
    assert data["GOOGLE_GEMINI_BASE_URL"] == request.base_url and data["GEMINI_API_KEY"] == request.key


def check_qwen(data: dict, request: SetupRequest) -> None:
    from bytespike_cli.tools.qwen_code import QwenCode

    assert data["security"]["auth"]["selectedType"] == "openai"
    assert data["model"]["name"] == request.chat.id
    ours = [p for p in data["modelProviders"]["openai"] if p.get("baseUrl") == request.base_url + "/v1"]
    assert [p["id"] for p in ours] == [m.id for m in request.all_models]
    for entry, model in zip(ours, request.all_models):
        assert entry["envKey"] == "BYTESPIKE_API_KEY" and "apiKey" not in entry
        assert entry["generationConfig"]["samplingParams"]["max_tokens"] == model.max_output_tokens
        assert entry["generationConfig"]["contextWindowSize"] == model.context_window
    assert data["fastModel"] == request.fast_model.id
    assert "sk-byts" not in json.dumps(data)
    env_path = QwenCode().env_path()
    assert open_document("dotenv", env_path.read_text(), env_path).data["BYTESPIKE_API_KEY"] == request.key
    assert env_path.stat().st_mode & 0o777 == 0o600


def check_qwen_env(data: dict, request: SetupRequest) -> None:
    assert data["BYTESPIKE_API_KEY"] == request.key


def _claude_path(tool):
    return tool.settings_path()


def _codex_path(tool):
    return tool.config_path()


def _zed_path(tool):
    return tool.settings_path()


def _aider_path(tool):
    return tool.conf_path()


def _settings_path(tool):
    return tool.settings_path()


def _continue_path(tool):
    return tool.yaml_path()


CASES = [
    ToolCase("claude-code", "json", _claude_path, CLAUDE_RICH,
             '{\n  "model": "opus",\n  "env": {"A": "1",, }\n}\n', 3, check_claude,
             schema="claude-code-settings.json", comments=False),
    ToolCase("codex", "toml", _codex_path, CODEX_RICH,
             'model = "o3"\n\n[profiles.deep\nmodel = "x"\n', 3, check_codex, chat=(GPT,), fast=GPT_MINI),
    ToolCase("zed", "jsonc", _zed_path, ZED_RICH,
             '// zed\n{\n  "theme": "One Dark",\n  "vim_mode": tru\n}\n', 4, check_zed),
    ToolCase("aider", "yaml", _aider_path, AIDER_RICH, "model: gpt-4o\nread: [a, b\ndark-mode: true\n", 3,
             check_aider, schema="aider-conf-0.82.json"),
    ToolCase("continue", "yaml", _continue_path, CONTINUE_RICH, "name: x\nversion: 1\n  bad: indent\n", 3,
             check_continue, schema="continue-config-yaml.json"),
    ToolCase("crush", "json", _crush_path, CRUSH_RICH,
             '{\n  "providers": {\n    "x": {"type": "openai-compat",, }\n  }\n}\n', 3, check_crush,
             chat=(GPT, SONNET), fast=GPT_MINI, schema="crush.json", comments=False),
    ToolCase("vscode-copilot", "jsonc-list", _vscode_copilot_path, COPILOT_RICH,
             '// models\n[\n  {"name": "Local",\n   "vendor": tru}\n]\n', 4, check_vscode_copilot,
             chat=(SONNET, GPT), fast=HAIKU),
    ToolCase("opencode", "jsonc", _settings_path, OPENCODE_RICH,
             '{\n  "model": "x",\n  "provider": {,\n}\n', 3, check_opencode_family,
             schema="opencode-config-1.18.33.json"),
    ToolCase("kilo", "jsonc", _settings_path, OPENCODE_RICH.replace("opencode.ai", "app.kilo.ai"),
             '{\n  "model": "x",\n  "provider": {,\n}\n', 3, check_opencode_family, chat=(GPT,),
             fast=GPT_MINI, schema="kilo-config-7.7.7.json"),


    ToolCase("gemini-cli", "jsonc", lambda tool: tool.settings_path(), GEMINI_RICH,
             '{\n  "model": {"name": "x"},\n  "ui": {"theme": }\n}\n', 3, check_gemini, chat=(GEMINI_PRO,),
             fast=GEMINI_FLASH, schema="gemini-cli-settings.json"),
    ToolCase("gemini-cli", "dotenv", lambda tool: tool.env_path(), GEMINI_ENV_RICH,
             'GEMINI_API_KEY=x\nDEBUG="never closed\n', 2, check_gemini_env, chat=(GEMINI_PRO,), fast=GEMINI_FLASH,
             holds_model=False),
    ToolCase("qwen-code", "jsonc", lambda tool: tool.settings_path(), QWEN_RICH,
             '{\n  "$version": 4,\n  "model": {"name": "x",, }\n}\n', 3, check_qwen, chat=(GPT,), fast=GPT_MINI),
    ToolCase("qwen-code", "dotenv", lambda tool: tool.env_path(), QWEN_ENV_RICH,
             'OPENAI_MODEL=x\nOPENAI_BASE_URL="never closed\n', 2, check_qwen_env, chat=(GPT,), fast=GPT_MINI,
             holds_model=False),
]
