"""Claude Code: ``~/.claude/settings.json`` (or ``$CLAUDE_CONFIG_DIR/settings.json``), strict JSON.

What we write (notes/editor-facts.md §1):
- ``env.ANTHROPIC_BASE_URL`` = the gateway root (Claude Code appends ``/v1/messages`` itself).
- top-level ``model`` = the chat model (not ``env.ANTHROPIC_MODEL``, which would override the
  user's later ``/model`` choice at every start); ``env.ANTHROPIC_DEFAULT_SONNET_MODEL`` /
  ``_OPUS_MODEL`` pin the aliases; ``env.ANTHROPIC_DEFAULT_HAIKU_MODEL`` = the fast model (the
  deprecated ``ANTHROPIC_SMALL_FAST_MODEL`` is not written).
- ``env.CLAUDE_CODE_MAX_CONTEXT_TOKENS`` when the chat model is not a Claude id (Claude Code would
  assume 200k).
- ``env.CLAUDE_CODE_MAX_OUTPUT_TOKENS`` = the smallest output limit of the chat models, when the catalogue
  (or the documented table) knows it: Claude Code 2.1 asks for ``max_tokens`` 32000 by default, and the
  gateway refuses more than a model's limit ("max_tokens: 32000 > 8192"), so without it every request
  fails (seen with the real client in tests/realclients).
- Credential: ``apiKeyHelper`` = ``<abs path>/bytespike print-key --profile P`` (default; the key never
  lands in the file and a rotation needs no new setup), or ``env.ANTHROPIC_AUTH_TOKEN`` with
  ``--key-mode inline`` (file kept 0600), or nothing with ``--key-mode env`` (the user exports
  ``ANTHROPIC_AUTH_TOKEN``). Never ``ANTHROPIC_API_KEY``, and never a token next to the helper: the
  token outranks the helper. A token variable the user already has in ``env`` (their Anthropic key,
  typically) is taken out and the user is told; the journal keeps it, ``--remove``/``undo`` put it back.
- The file must be strict JSON (Claude Code rejects comments and trailing commas): such a file is an
  error naming its line, and is left alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bytespike_cli.formats import open_document
from bytespike_cli.formats.common import decode_text
from bytespike_cli.formats.safe_write import read_bytes
from bytespike_cli.tools.base import (
    Delete,
    Detection,
    FilePlan,
    Integration,
    LaunchRequest,
    LaunchSpec,
    Plan,
    Set,
    SetupRequest,
    is_bytespike_command,
    known_roots,
    looks_like_bytespike_url,
    model_context,
    profile_from_args,
)

TOKEN_VARS = ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY")

if TYPE_CHECKING:  # doctor's types; the resolver module is imported only by doctor
    from bytespike_cli.doctor.effective import Context, Effective


class ClaudeCode(Integration):
    name = "claude-code"
    version_program = "claude"
    verified_versions = ('2.1.197', '2.1.332')
    title = "Claude Code"
    key_modes = ("helper", "env", "inline")
    prefer_family = "claude"
    executables = ("claude",)
    install = "install it with `npm install -g @anthropic-ai/claude-code`"

    def config_dir(self) -> Path:
        override = self.env("CLAUDE_CONFIG_DIR")
        return Path(override).expanduser() if override else self.home() / ".claude"

    def settings_path(self) -> Path:
        return self.config_dir() / "settings.json"

    def resolve(self, ctx: "Context") -> list["Effective"]:
        from bytespike_cli.tools.claude_code.resolve import resolve_effective

        return resolve_effective(ctx)

    def launch(self, request: LaunchRequest) -> LaunchSpec:
        from bytespike_cli.tools.claude_code.launch import launch

        return launch(self, request)

    def files(self) -> tuple[Path, ...]:
        return (self.settings_path(),)

    def _read(self) -> dict:
        path = self.settings_path()
        raw = read_bytes(path)
        if raw is None:
            return {}
        return open_document("json", decode_text(raw, path), path).data

    def detect(self) -> Detection:
        exe = self.which("claude")
        if exe:
            installed, evidence = True, f"claude on PATH ({exe})"
        elif self.config_dir().is_dir():
            installed, evidence = True, f"{self.config_dir()} exists"
        else:
            installed, evidence = False, "not found (no `claude` on PATH, no ~/.claude)"
        data = self._read()
        env = data.get("env") if isinstance(data.get("env"), dict) else {}
        helper = data.get("apiKeyHelper")
        configured = looks_like_bytespike_url(env.get("ANTHROPIC_BASE_URL"), known_roots()) or is_bytespike_command(
            helper if isinstance(helper, str) else None
        )
        profile = profile_from_args(helper) if isinstance(helper, str) and is_bytespike_command(helper) else None
        details = []
        if configured:
            details.append(f"base URL {env.get('ANTHROPIC_BASE_URL', '(not set)')}, model {data.get('model', '(default)')}")
        return Detection(self.name, self.title, installed, evidence, self.files(), bool(configured), profile,
                         tuple(details))

    def plan(self, request: SetupRequest) -> Plan:
        mode = self.key_mode(request)
        chat = request.chat
        opus = request.chat_models[1] if len(request.chat_models) > 1 else chat
        edits: list = [
            Set(("env", "ANTHROPIC_BASE_URL"), request.anthropic_base),
            Set(("model",), chat.id),
            Set(("env", "ANTHROPIC_DEFAULT_SONNET_MODEL"), chat.id),
            Set(("env", "ANTHROPIC_DEFAULT_OPUS_MODEL"), opus.id),
        ]
        if request.fast_model is not None:
            edits.append(Set(("env", "ANTHROPIC_DEFAULT_HAIKU_MODEL"), request.fast_model.id))
        outputs = [m.max_output_tokens for m in (chat, opus) if m.max_output_tokens]
        if outputs:
            edits.append(Set(("env", "CLAUDE_CODE_MAX_OUTPUT_TOKENS"), str(min(outputs))))
        else:
            edits.append(Delete(("env", "CLAUDE_CODE_MAX_OUTPUT_TOKENS"), only_if_ours=True))
        context = model_context(chat)
        if context and not chat.id.startswith("claude-"):
            edits.append(Set(("env", "CLAUDE_CODE_MAX_CONTEXT_TOKENS"), str(context)))
        else:
            edits.append(Delete(("env", "CLAUDE_CODE_MAX_CONTEXT_TOKENS"), only_if_ours=True))
        # Claude Code's order: ANTHROPIC_AUTH_TOKEN > ANTHROPIC_API_KEY > apiKeyHelper. A token variable left
        # in `env` would win over our credential and send the user's own (Anthropic) key to the gateway, so
        # it goes; the journal keeps its value for --remove and undo.
        sent_instead = "Claude Code would send it to ByteSpike instead of your ByteSpike key"
        notes: list[str] = []
        warnings: list[str] = []
        secrets: tuple[str, ...] = ()
        if mode == "helper":
            edits.append(Set(("apiKeyHelper",), request.key_command_line))
            edits.append(Delete(("env", "ANTHROPIC_AUTH_TOKEN"), reason=sent_instead, announce=True))
        elif mode == "inline":
            edits.append(Set(("env", "ANTHROPIC_AUTH_TOKEN"), request.key))
            edits.append(Delete(("apiKeyHelper",), reason="the token in env wins over it, so it would never run",
                                announce=True))
            secrets = (request.key,) if request.key else ()
        else:
            edits.append(Delete(("apiKeyHelper",), only_if_ours=True))
            edits.append(Delete(("env", "ANTHROPIC_AUTH_TOKEN"), announce=True,
                                reason="a value in settings.json wins over the one you export"))
            notes.append(
                "export ANTHROPIC_AUTH_TOKEN=\"$(bytespike print-key --profile "
                f"{request.profile})\" in your shell profile before starting claude"
            )
        # never next to our credential: it outranks the helper, and goes out as x-api-key next to a token
        edits.append(Delete(("env", "ANTHROPIC_API_KEY"), reason=sent_instead, announce=True))
        for var in TOKEN_VARS:
            if self.env(var) and not (mode == "env" and var == "ANTHROPIC_AUTH_TOKEN"):
                warnings.append(
                    f"{var} is set in your environment; Claude Code sends it instead of the ByteSpike key: "
                    "unset it (remove it from your shell profile) before starting claude"
                )
        notes.append("restart running claude sessions (and reload the IDE extension) to pick up the change")
        notes.append("while these settings are active Claude Code uses ByteSpike, not a claude.ai login; "
                     "`bytespike setup claude-code --remove` switches back")
        path = self.settings_path()
        return Plan(self.name, (FilePlan(path, "json", tuple(edits), secret=mode == "inline"),),
                    tuple(notes), tuple(warnings), secrets)

    def plan_remove(self) -> Plan:
        """Without a journal: remove the entries that point at ByteSpike."""
        data = self._read()
        env = data.get("env") if isinstance(data.get("env"), dict) else {}
        if not looks_like_bytespike_url(env.get("ANTHROPIC_BASE_URL"), known_roots()):
            return Plan(self.name)
        edits = [Delete(("env", name)) for name in (
            "ANTHROPIC_BASE_URL", "ANTHROPIC_DEFAULT_SONNET_MODEL", "ANTHROPIC_DEFAULT_OPUS_MODEL",
            "ANTHROPIC_DEFAULT_HAIKU_MODEL", "CLAUDE_CODE_MAX_CONTEXT_TOKENS", "CLAUDE_CODE_MAX_OUTPUT_TOKENS",
            "ANTHROPIC_AUTH_TOKEN",
        ) if name in env]
        if is_bytespike_command(data.get("apiKeyHelper") if isinstance(data.get("apiKeyHelper"), str) else None):
            edits.append(Delete(("apiKeyHelper",)))
        warnings = ("no record of the original settings: the ByteSpike entries were removed, "
                    "but `model` was left as it is",)
        return Plan(self.name, (FilePlan(self.settings_path(), "json", tuple(edits)),), warnings=warnings)
