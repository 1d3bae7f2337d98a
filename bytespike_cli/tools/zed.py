"""Zed: ``settings.json`` (JSON with comments and trailing commas), never the key.

Where (notes/editor-facts.md §3, zed-industries/zed ``crates/paths``): ``$FLATPAK_XDG_CONFIG_HOME/zed``
under Flatpak, else ``${XDG_CONFIG_HOME:-~/.config}/zed`` on Linux and macOS, ``%APPDATA%\\Zed`` on Windows.

What we write:
- ``language_models.openai_compatible.bytespike``: ``api_url`` = root + ``/v1`` and ``available_models``
  (the chat models and the fast model, ``max_tokens`` = context window, ``max_output_tokens``, and all
  capability booleans: Zed has no per-field defaults, a partial object is a schema error).
- ``agent.default_model`` = the chat model; ``agent.commit_message_model`` and
  ``agent.thread_summary_model`` = the fast model (Zed derives no fast model from this provider).
  ``inline_assistant_model`` is left alone: it falls back to the default model, and it is interactive.
- The key: Zed reads ``<PROVIDER ID>_API_KEY`` from the environment, so provider ``bytespike`` reads
  ``BYTESPIKE_API_KEY`` (the same variable bytespike itself reads). Zed has no command hook, and the
  keychain entry it writes itself cannot be forged, so only ``--key-mode env`` is offered.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bytespike_cli.doctor.effective import OPENAI, Candidate, Context, Effective, dig, env_candidate, read_data, shown_path
from bytespike_cli.doctor.findings import fail, warn
from bytespike_cli.errors import ConfigFileError
from bytespike_cli.formats import open_document
from bytespike_cli.formats.common import decode_text
from bytespike_cli.formats.safe_write import read_bytes
from bytespike_cli.tools.base import (
    Delete,
    Detection,
    FilePlan,
    Integration,
    Plan,
    Set,
    SetupRequest,
    known_roots,
    looks_like_bytespike_url,
    model_context,
    supports_images,
    supports_tools,
)

PROVIDER = "bytespike"
PROVIDER_PATH = ("language_models", "openai_compatible", PROVIDER)
KEY_VAR = "BYTESPIKE_API_KEY"  # Zed: f"{id}_API_KEY" in UPPER_SNAKE case
FAST_SLOTS = ("commit_message_model", "thread_summary_model")


class Zed(Integration):
    name = "zed"
    title = "Zed"
    key_modes = ("env",)

    def config_dir(self) -> Path:
        flatpak = self.env("FLATPAK_XDG_CONFIG_HOME")
        if flatpak:
            return Path(flatpak) / "zed"
        if os.name == "nt":
            appdata = self.env("APPDATA")
            return (Path(appdata) if appdata else self.home() / "AppData" / "Roaming") / "Zed"
        xdg = self.env("XDG_CONFIG_HOME") if sys.platform != "darwin" else None
        return (Path(xdg) if xdg else self.home() / ".config") / "zed"

    def settings_path(self) -> Path:
        return self.config_dir() / "settings.json"

    def resolve(self, ctx: Context) -> list[Effective]:
        return resolve_effective(ctx)

    def files(self) -> tuple[Path, ...]:
        return (self.settings_path(),)

    def _read(self) -> dict:
        path = self.settings_path()
        raw = read_bytes(path)
        return {} if raw is None else open_document("jsonc", decode_text(raw, path), path).data

    def detect(self) -> Detection:
        exe = self.which("zed", "zeditor", "zedit")
        mac_app = Path("/Applications/Zed.app")
        if exe:
            installed, evidence = True, f"zed on PATH ({exe})"
        elif sys.platform == "darwin" and mac_app.exists():
            installed, evidence = True, str(mac_app)
        elif self.config_dir().is_dir():
            installed, evidence = True, f"{self.config_dir()} exists"
        else:
            installed, evidence = False, "not found (no `zed` on PATH, no Zed settings folder)"
        data = self._read()
        provider = ((data.get("language_models") or {}).get("openai_compatible") or {}).get(PROVIDER) or {}
        configured = bool(provider) and looks_like_bytespike_url(provider.get("api_url"), known_roots())
        details = []
        if configured:
            default = (data.get("agent") or {}).get("default_model") or {}
            active = isinstance(default, dict) and default.get("provider") == PROVIDER
            details.append(("default agent model " + str(default.get("model"))) if active
                           else "provider present, not the agent's default")
            if not self.env(KEY_VAR):
                details.append(f"{KEY_VAR} is not set in this environment")
        return Detection(self.name, self.title, installed, evidence, self.files(), configured, None, tuple(details))

    def plan(self, request: SetupRequest) -> Plan:
        self.key_mode(request)
        models = []
        for model in request.all_models:
            entry: dict = {"name": model.id, "display_name": f"{model.id} (ByteSpike)"}
            context = model_context(model)
            # max_tokens (the context window) is required; without a catalogue value use a safe floor
            entry["max_tokens"] = context or 8192
            if model.max_output_tokens:
                entry["max_output_tokens"] = model.max_output_tokens
            entry["capabilities"] = {
                "tools": supports_tools(model),
                "images": supports_images(model),
                "parallel_tool_calls": False,
                "prompt_cache_key": False,
                "chat_completions": True,
            }
            models.append(entry)
        edits: list = [
            Set(PROVIDER_PATH + ("api_url",), request.openai_base),
            Set(PROVIDER_PATH + ("available_models",), models),
            Set(("agent", "default_model"), {"provider": PROVIDER, "model": request.chat.id}),
        ]
        for slot in FAST_SLOTS:
            if request.fast_model is not None:
                edits.append(Set(("agent", slot), {"provider": PROVIDER, "model": request.fast_model.id}))
            else:
                edits.append(Delete(("agent", slot), only_if_ours=True))
        notes = [
            f"Zed reads the key from {KEY_VAR}: add `export {KEY_VAR}=\"$(bytespike print-key --profile "
            f"{request.profile})\"` to your shell profile, then restart Zed (settings apply live, the variable does not)",
        ]
        if os.name == "nt":
            notes[0] = (f"Zed reads the key from {KEY_VAR}: set it as a user environment variable "
                        f"(setx {KEY_VAR} <key>), then restart Zed")
        warnings = []
        if self.env(KEY_VAR) is None:
            warnings.append(f"{KEY_VAR} is not set in this shell, so Zed will ask for a key until you export it")
        return Plan(self.name, (FilePlan(self.settings_path(), "jsonc", tuple(edits)),), tuple(notes),
                    tuple(warnings))

    def plan_remove(self) -> Plan:
        data = self._read()
        edits: list = []
        compat = (data.get("language_models") or {}).get("openai_compatible") or {}
        if PROVIDER in compat:
            edits.append(Delete(PROVIDER_PATH))
        agent = data.get("agent") or {}
        for slot in ("default_model",) + FAST_SLOTS:
            value = agent.get(slot)
            if isinstance(value, dict) and value.get("provider") == PROVIDER:
                edits.append(Delete(("agent", slot)))
        if not edits:
            return Plan(self.name)
        return Plan(self.name, (FilePlan(self.settings_path(), "jsonc", tuple(edits)),))


# -- resolve: what the tool will effectively use (bytespike doctor) --------------------
def resolve_effective(ctx: Context) -> list[Effective]:
    from bytespike_cli.tools.zed import KEY_VAR, PROVIDER

    tool = ctx.integration("zed")
    eff = Effective("zed", "Zed", OPENAI, base_default=None, setup="`bytespike setup zed`")
    layers = []
    for path in (ctx.cwd / ".zed" / "settings.json", tool.settings_path()):
        try:
            data = read_data("jsonc", path)
        except ConfigFileError as exc:
            eff.findings.append(fail("zed", "settings-unreadable", exc.message, exc.hint, 9))
            continue
        if data is not None:
            layers.append((path, data))
    provider_layers = [(p, dig(d, "language_models", "openai_compatible", PROVIDER)) for p, d in layers]
    provider = next(((p, v) for p, v in provider_layers if isinstance(v, dict)), None)
    if provider is None:
        eff.key_unknown = "no bytespike provider"
        return [eff]
    path, table = provider
    shown = shown_path(path, ctx.home)
    eff.base = [Candidate(f"{shown} language_models.openai_compatible.{PROVIDER}.api_url", table.get("api_url"),
                          f"edit api_url in {shown}")]
    key = env_candidate(ctx.env, KEY_VAR)
    if key.value:
        eff.key, eff.key_source = key.value, f"{key.source} (Zed reads it from the environment it starts in)"
    else:
        eff.key_unknown = f"{KEY_VAR} not set"
        eff.findings.append(warn("zed", "key-env",
                                 f"{KEY_VAR} is not set in this environment: Zed started from here has no key "
                                 "(unless you typed one into Zed, which keeps it in the keychain)",
                                 f"export {KEY_VAR}=\"$(bytespike print-key)\" in your shell profile and restart Zed"))
    names = [str(m.get("name")) for m in table.get("available_models") or [] if isinstance(m, dict) and m.get("name")]
    eff.models = [(n, f"{shown} available_models") for n in names]
    for layer_path, data in layers:
        default = dig(data, "agent", "default_model")
        if isinstance(default, dict):
            where = shown_path(layer_path, ctx.home)
            if default.get("provider") != PROVIDER:
                eff.findings.append(warn("zed", "default-model",
                                         f"{where} agent.default_model uses provider '{default.get('provider')}', "
                                         "so the agent does not use ByteSpike by default",
                                         f"pick a ByteSpike model in Zed's agent panel, or fix {where}"))
            elif default.get("model") and default.get("model") not in names:
                eff.findings.append(fail("zed", "default-model",
                                         f"{where} agent.default_model '{default.get('model')}' is not in the "
                                         "bytespike provider's available_models", "run `bytespike setup zed`", 5))
            break
    return [eff]
