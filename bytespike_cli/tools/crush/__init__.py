"""Crush (charmbracelet/crush): ``crush.json`` (strict JSON), the key by variable or command expansion.

Facts, read in the source at tag v0.90.0 (commit 70d321626ca20ad8fcfb99e61bbe377a6b91748c, 2026-08-19), github
charmbracelet/crush, and its published schema (``schema.json``, https://charm.land/crush.json, copied under
tests/tools/schemas/crush.json):

- Where (``internal/config/load.go`` ``lookupConfigs``, ``GlobalConfig``, ``GlobalConfigData``): merged low to
  high: ``/etc/crush/crush.json`` (not on Windows); the user file ``$CRUSH_GLOBAL_CONFIG/crush.json``, else
  ``${XDG_CONFIG_HOME:-~/.config}/crush/crush.json`` (``internal/home``: the same on macOS and Windows); a shell
  config ``crushrc`` beside it; the *data* file ``$CRUSH_GLOBAL_DATA/crush.json``, else
  ``$XDG_DATA_HOME/crush/crush.json``, else ``~/.local/share/crush/crush.json`` (``%LOCALAPPDATA%\\crush`` on
  Windows) — Crush writes the models picked in its UI there, so it beats the user file; then per project,
  from the git root down to the current folder, ``crushrc``/``.crushrc`` and ``crush.json``/``.crush.json``
  (``.crush.json`` wins). JSON files are merged key by key (``jsons.Merge``) and must be strict JSON
  (``json.Valid``): no comments, no BOM.
- A custom provider (``configureProviders``): ``providers.<id>`` with ``type`` (``openai-compat`` for
  OpenAI-compatible APIs, ``anthropic`` for the Messages API), ``base_url``, ``api_key`` and ``models``
  (each: ``id``, ``name``, ``context_window``, ``default_max_tokens``, ``can_reason``,
  ``supports_attachments`` and the four ``cost_per_1m_*``, all required by the schema). With a models list and no
  ``discover_models``, Crush does not call ``/v1/models``. The ``anthropic`` type goes through
  charm.land/fantasy's Anthropic provider (v0.41.2: default URL ``https://api.anthropic.com``, the SDK adds
  ``/v1/messages``), so its ``base_url`` is the gateway root without ``/v1``; the key goes as ``x-api-key``.
  Claude models get their own ``anthropic`` provider (``bytespike-anthropic``): only that wire carries
  ``cache_control`` and thinking; every other model goes through ``bytespike`` (``openai-compat``, root + ``/v1``).
- The model in use: ``models.large`` / ``models.small`` = ``{"model": id, "provider": provider id}``.
- The key (``internal/config/resolve.go``): ``api_key`` and ``base_url`` go through shell expansion at load time:
  ``$VAR``, ``${VAR}`` and ``$(command)``; an unset variable expands to "" (Crush then only logs "missing API
  key"). While providers are configured, every ``CRUSH_<NAME>`` variable temporarily replaces ``<NAME>``
  (``PushPopCrushEnv``), so ``CRUSH_BYTESPIKE_API_KEY`` shadows ``BYTESPIKE_API_KEY``. So no key is ever written:
  ``--key-mode helper`` (default) writes ``$(bytespike print-key --profile P)``, ``--key-mode env``
  ``$BYTESPIKE_API_KEY``.
- The newest release on npm, 0.96.1 (its bundled README), still reads ``crush.json`` and the same
  ``CRUSH_GLOBAL_CONFIG``/``CRUSH_GLOBAL_DATA`` overrides, but calls the JSON format deprecated in favour of
  ``crushrc`` (Bash with Crush builtins, which cannot be edited by splicing); JSON is what the schema covers.
- ``bytespike run crush`` is not offered: Crush reads its provider (URL, models, key) only from these files, not
  from the environment or flags, so one process cannot be pointed at the gateway without writing a file.
- The real-client suite cannot run Crush here: the npm package ``@charmland/crush`` downloads its binary from
  GitHub releases in its install script, which these machines cannot reach. Proof is the schema and the harness;
  hence a ``version_program`` (``bytespike tools`` and ``doctor`` show the installed release) but no
  ``verified_versions`` (no release was verified by running it).
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from bytespike_cli.errors import ConfigFileError
from bytespike_cli.formats import open_document
from bytespike_cli.formats.common import decode_text
from bytespike_cli.formats.safe_write import read_bytes
from bytespike_cli.tools.base import (
    ENV_VAR,
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
)

if TYPE_CHECKING:
    from bytespike_cli.doctor.effective import Context, Effective
    from bytespike_cli.gateway import Model

OPENAI_PROVIDER = "bytespike"
ANTHROPIC_PROVIDER = "bytespike-anthropic"
PROVIDERS = (OPENAI_PROVIDER, ANTHROPIC_PROVIDER)
CONFIG_NAME = "crush.json"
# without a catalogue value, a default that every current chat model allows
FALLBACK_CONTEXT, FALLBACK_OUTPUT = 8192, 4096


def uses_anthropic_wire(model: "Model") -> bool:
    """Claude models go over the Messages API (their native wire); DeepSeek speaks both, and stays on OpenAI."""
    return model.family == "claude" or tuple(model.native_protocols) == ("anthropic",)


def key_template(request: SetupRequest, mode: str) -> str:
    if mode == "env":
        return f"${ENV_VAR}"
    # Crush expands this with its own POSIX shell (mvdan.cc/sh) on every OS, so POSIX quoting is right everywhere
    return "$(" + shlex.join(request.key_command) + ")"


class Crush(Integration):
    name = "crush"
    title = "Crush"
    key_modes = ("helper", "env")
    version_program = "crush"  # `crush --version`; no verified range: the real-client suite cannot run it here

    # -- where -------------------------------------------------------------------------------------
    def config_dir(self) -> Path:
        override = self.env("CRUSH_GLOBAL_CONFIG")
        if override:
            return Path(override)
        xdg = self.env("XDG_CONFIG_HOME")
        return (Path(xdg) if xdg else self.home() / ".config") / "crush"

    def config_path(self) -> Path:
        return self.config_dir() / CONFIG_NAME

    def data_path(self) -> Path:
        """The file Crush itself writes (models picked in its UI): it overrides the user file."""
        override = self.env("CRUSH_GLOBAL_DATA")
        if override:
            return Path(override) / CONFIG_NAME
        xdg = self.env("XDG_DATA_HOME")
        if xdg:
            return Path(xdg) / "crush" / CONFIG_NAME
        if os.name == "nt":
            local = self.env("LOCALAPPDATA")
            return (Path(local) if local else self.home() / "AppData" / "Local") / "crush" / CONFIG_NAME
        return self.home() / ".local" / "share" / "crush" / CONFIG_NAME

    def files(self) -> tuple[Path, ...]:
        return (self.config_path(),)

    def _read(self, path: Path) -> dict:
        raw = read_bytes(path)
        if raw is None:
            return {}
        data = open_document("json", decode_text(raw, path), path).data
        return data if isinstance(data, dict) else {}

    # -- the interface -----------------------------------------------------------------------------
    def resolve(self, ctx: "Context") -> list["Effective"]:
        return resolve_effective(ctx)

    def detect(self) -> Detection:
        exe = self.which("crush")
        if exe:
            installed, evidence = True, f"crush on PATH ({exe})"
        elif self.config_dir().is_dir() or self.data_path().parent.is_dir():
            installed, evidence = True, f"{self.config_dir()} exists"
        else:
            installed, evidence = False, "not found (no `crush` on PATH, no Crush config folder)"
        data = self._read(self.config_path())
        providers = data.get("providers") if isinstance(data.get("providers"), dict) else {}
        ours = {pid: p for pid, p in providers.items()
                if pid in PROVIDERS and isinstance(p, dict) and looks_like_bytespike_url(p.get("base_url"),
                                                                                         known_roots())}
        details: list[str] = []
        profile = None
        for provider in ours.values():
            profile = profile or _profile_of(provider.get("api_key"))
            if str(provider.get("api_key") or "").strip() in (f"${ENV_VAR}", f"${{{ENV_VAR}}}") \
                    and not self.env(ENV_VAR):
                details.append(f"{ENV_VAR} is not set in this environment")
                break
        large = (data.get("models") or {}).get("large") if isinstance(data.get("models"), dict) else None
        if ours:
            if isinstance(large, dict) and large.get("provider") in ours:
                details.insert(0, f"large model {large.get('model')}")
            else:
                details.insert(0, "provider present, not the large model")
        return Detection(self.name, self.title, installed, evidence, self.files(), bool(ours), profile,
                         tuple(details))

    def plan(self, request: SetupRequest) -> Plan:
        mode = self.key_mode(request)
        api_key = key_template(request, mode)
        groups: dict[str, list] = {OPENAI_PROVIDER: [], ANTHROPIC_PROVIDER: []}
        for model in request.all_models:
            groups[provider_for(model)].append(model)
        current = self._read(self.config_path()).get("providers")
        current = current if isinstance(current, dict) else {}
        edits: list = []
        claims = []
        for provider_id, models in groups.items():
            path = ("providers", provider_id)
            if not models:
                edits.append(Delete(path, only_if_ours=True))
                continue
            anthropic = provider_id == ANTHROPIC_PROVIDER
            claims.append(path)
            managed = {
                "name": "ByteSpike (Anthropic)" if anthropic else "ByteSpike",
                "type": "anthropic" if anthropic else "openai-compat",
                "base_url": request.anthropic_base if anthropic else request.openai_base,
                "api_key": api_key,
                "models": [model_entry(m) for m in models],
            }
            # the whole table, so that --remove and undo take all of it away; fields the user added to it since
            # (extra_headers, …) are carried over
            existing = current.get(provider_id)
            edits.append(Set(path, {**(existing if isinstance(existing, dict) else {}), **managed}))
        edits.append(Set(("models", "large"), {"model": request.chat.id, "provider": provider_for(request.chat)}))
        if request.fast_model is not None:
            edits.append(Set(("models", "small"), {"model": request.fast_model.id,
                                                  "provider": provider_for(request.fast_model)}))
        else:
            edits.append(Delete(("models", "small"), only_if_ours=True))
        notes = ["restart Crush (it reads crush.json when it starts)"]
        warnings = []
        if mode == "env":
            notes.insert(0, f"Crush expands ${ENV_VAR} when it starts: add `export {ENV_VAR}=\"$(bytespike print-key "
                            f"--profile {request.profile})\"` to your shell profile")
            if self.env(ENV_VAR) is None:
                warnings.append(f"{ENV_VAR} is not set in this shell, so Crush started from here has no key")
        if self.env("CRUSH_" + ENV_VAR) and mode == "env":
            warnings.append(f"CRUSH_{ENV_VAR} is set: Crush uses it instead of {ENV_VAR}")
        warnings += self._shadow_warnings(request)
        return Plan(self.name, (FilePlan(self.config_path(), "json", tuple(edits), claims=tuple(claims)),),
                    tuple(notes), tuple(warnings))

    def _shadow_warnings(self, request: SetupRequest) -> list[str]:
        """The data file (models picked in Crush's UI) beats the user file: say when it picks another model."""
        path = self.data_path()
        try:
            data = self._read(path)
        except ConfigFileError:
            return [f"{path} cannot be read, and Crush reads it after {self.config_path()}"]
        models = data.get("models") if isinstance(data.get("models"), dict) else {}
        found = []
        for slot in ("large", "small"):
            chosen = models.get(slot)
            if isinstance(chosen, dict) and chosen.get("provider") not in PROVIDERS:
                found.append(f"{path} sets models.{slot} to {chosen.get('provider')}/{chosen.get('model')} "
                             f"(picked in Crush's model menu), which wins over {self.config_path()}: pick the "
                             "ByteSpike model in Crush (ctrl+m) or remove that entry")
        return found

    def plan_remove(self) -> Plan:
        data = self._read(self.config_path())
        edits: list = []
        providers = data.get("providers") if isinstance(data.get("providers"), dict) else {}
        for provider_id in PROVIDERS:
            if provider_id in providers:
                edits.append(Delete(("providers", provider_id)))
        models = data.get("models") if isinstance(data.get("models"), dict) else {}
        for slot in ("large", "small"):
            chosen = models.get(slot)
            if isinstance(chosen, dict) and chosen.get("provider") in PROVIDERS:
                edits.append(Delete(("models", slot)))
        if not edits:
            return Plan(self.name)
        return Plan(self.name, (FilePlan(self.config_path(), "json", tuple(edits)),))


def provider_for(model: "Model") -> str:
    return ANTHROPIC_PROVIDER if uses_anthropic_wire(model) else OPENAI_PROVIDER


def model_entry(model: "Model") -> dict:
    """A catwalk.Model entry: every field the schema requires. Prices are the gateway's business (0 here)."""
    context = model_context(model) or FALLBACK_CONTEXT
    output = model.max_output_tokens or min(FALLBACK_OUTPUT, context)
    return {
        "id": model.id,
        "name": f"{model.id} (ByteSpike)",
        "context_window": context,
        "default_max_tokens": output,
        "can_reason": "reasoning" in model.capabilities or "thinking" in model.capabilities,
        "supports_attachments": supports_images(model),
        "cost_per_1m_in": 0,
        "cost_per_1m_out": 0,
        "cost_per_1m_in_cached": 0,
        "cost_per_1m_out_cached": 0,
    }


def _profile_of(api_key: object) -> str | None:
    from bytespike_cli.tools.base import profile_from_args

    command = command_of(api_key)
    return profile_from_args(command) if command else None


def command_of(api_key: object) -> str | None:
    """The command inside ``$(…)`` when the whole api_key is one command substitution."""
    text = str(api_key or "").strip()
    if text.startswith("$(") and text.endswith(")"):
        return text[2:-1].strip()
    return None


def variable_of(api_key: object) -> str | None:
    """The variable name when the whole api_key is ``$VAR`` or ``${VAR}``."""
    import re

    match = re.fullmatch(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))", str(api_key or "").strip())
    return (match.group(1) or match.group(2)) if match else None


def resolve_effective(ctx: "Context") -> list["Effective"]:
    from bytespike_cli.tools.crush.resolve import resolve

    return resolve(ctx)
