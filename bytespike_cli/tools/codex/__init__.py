"""Codex CLI: ``~/.codex/config.toml`` (or ``$CODEX_HOME/config.toml``), edited with tomlkit.

What we write (notes/editor-facts.md §2, read from openai/codex source):

    model_provider = "bytespike"          # top level: plain `codex` uses ByteSpike
    model = "<chat>"
    model_context_window = <ctx>          # only for a chat model Codex's catalogue cannot know

    [model_providers.bytespike]           # `openai`, `ollama`, … are reserved ids (a hard error)
    name = "ByteSpike"                    # must not be empty
    base_url = "<root>/v1"                # Codex POSTs {base_url}/responses
    wire_api = "responses"                # the only value Codex accepts

    [model_providers.bytespike.auth]      # command-backed bearer token (Codex >= 0.118)
    command = "/abs/path/bytespike"
    args = ["print-key", "--profile", "<p>"]

    # Codex has no fast slot: `codex --profile bytespike-fast` selects a profile with the fast model.
    # Codex >= 0.134 reads it from its own file, $CODEX_HOME/bytespike-fast.config.toml:
    model_provider = "bytespike"
    model = "<fast>"
    # older Codex reads [profiles.bytespike-fast] in config.toml, which >= 0.134 refuses outright
    # ("--profile x cannot be used while config.toml contains legacy [profiles.x]").

Profile files: openai/codex PR #23883 (`--profile` selects ``<name>.config.toml``) and PR #24051 (legacy
``profile = "x"`` / ``[profiles.x]`` rejected, core/src/config/mod.rs at 3d923366eca10a29143623124c6c6e538f058269);
first release with them: 0.134.0 (checked on the real binaries: 0.133.0 reads the table, 0.134.0 refuses it).
When ``codex --version`` cannot be read, the current form (the file) is written.

Why top level rather than only a profile: `bytespike setup codex` should make plain ``codex`` work;
the user's previous ``model``/``model_provider`` are recorded and put back by ``--remove``.
``auth`` cannot be combined with ``env_key``/``experimental_bearer_token``/``requires_openai_auth``,
so switching key mode deletes the other keys from our table. Codex older than 0.118 ignores
``auth`` silently (and sends no key): then we fall back to ``env_key`` and say why.
"""

from __future__ import annotations

import re
from dataclasses import replace
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from bytespike_cli.formats import open_document
from bytespike_cli.formats.common import decode_text
from bytespike_cli.formats.safe_write import read_bytes
from bytespike_cli.tools.base import (
    ENV_VAR,
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

PROVIDER = "bytespike"
FAST_PROFILE = "bytespike-fast"
AUTH_MIN_VERSION = (0, 118, 0)
PROFILE_FILES_VERSION = (0, 134, 0)  # profiles live in $CODEX_HOME/<name>.config.toml from this release
_OPENAI_SLUG = re.compile(r"^(gpt-|o[0-9]|codex-)")

if TYPE_CHECKING:  # doctor's types; the resolver module is imported only by doctor
    from bytespike_cli.doctor.effective import Context, Effective


def parse_version(text: str) -> tuple[int, int, int] | None:
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", text or "")
    return tuple(int(x) for x in match.groups()) if match else None  # type: ignore[return-value]


def executable_version(exe: str | None) -> tuple[int, int, int] | None:
    """``codex --version`` of one executable (None when it does not answer)."""
    if not exe:
        return None
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return parse_version(out.stdout + out.stderr)


def uses_profile_files(version: tuple[int, int, int] | None) -> bool:
    """True when this Codex reads profiles from ``<name>.config.toml`` (unknown version: the current form)."""
    return version is None or version >= PROFILE_FILES_VERSION


class Codex(Integration):
    name = "codex"
    version_program = "codex"
    verified_versions = ('0.133.0', '0.171.0')
    title = "Codex CLI"
    key_modes = ("helper", "env", "inline")
    prefer_family = "gpt"
    executables = ("codex",)
    install = "install it with `npm install -g @openai/codex`"

    def codex_home(self) -> Path:
        override = self.env("CODEX_HOME")
        return Path(override).expanduser() if override else self.home() / ".codex"

    def config_path(self) -> Path:
        return self.codex_home() / "config.toml"

    def resolve(self, ctx: "Context") -> list["Effective"]:
        from bytespike_cli.tools.codex.resolve import resolve_effective

        return resolve_effective(ctx)

    def launch(self, request: LaunchRequest) -> LaunchSpec:
        from bytespike_cli.tools.codex.launch import launch

        return launch(self, request)

    def files(self) -> tuple[Path, ...]:
        return (self.config_path(), self.profile_path())

    def profile_path(self, name: str = FAST_PROFILE) -> Path:
        return self.codex_home() / f"{name}.config.toml"

    def version(self) -> tuple[int, int, int] | None:
        """``codex --version`` (None when Codex is not on PATH or does not answer)."""
        return executable_version(self.which("codex"))

    def _read(self) -> dict:
        path = self.config_path()
        raw = read_bytes(path)
        return {} if raw is None else open_document("toml", decode_text(raw, path), path).data

    def detect(self) -> Detection:
        exe = self.which("codex")
        if exe:
            installed, evidence = True, f"codex on PATH ({exe})"
        elif self.codex_home().is_dir():
            installed, evidence = True, f"{self.codex_home()} exists"
        else:
            installed, evidence = False, "not found (no `codex` on PATH, no ~/.codex)"
        data = self._read()
        provider = (data.get("model_providers") or {}).get(PROVIDER) or {}
        auth = provider.get("auth") if isinstance(provider.get("auth"), dict) else {}
        configured = bool(provider) and (
            looks_like_bytespike_url(provider.get("base_url"), known_roots()) or is_bytespike_command(auth.get("command"))
        )
        profile = profile_from_args(auth.get("args")) if is_bytespike_command(auth.get("command")) else None
        details = []
        if configured:
            active = data.get("model_provider") == PROVIDER
            details.append(("active" if active else "not the default provider") + f", model {data.get('model', '?')}")
        return Detection(self.name, self.title, installed, evidence, self.files(), configured, profile, tuple(details))

    def plan(self, request: SetupRequest) -> Plan:
        mode = self.key_mode(request)
        notes: list[str] = []
        warnings: list[str] = []
        version = self.version()
        if mode == "helper":
            if version is not None and version < AUTH_MIN_VERSION:
                warnings.append(
                    f"Codex {_shown(version)} ignores a provider `auth` command (added in 0.118): using env_key "
                    f"{ENV_VAR} instead; upgrade Codex and run setup again to drop the variable"
                )
                mode = "env"
            elif version is None:
                notes.append("the key comes from `bytespike print-key` (needs Codex 0.118 or newer)")
        table = ("model_providers", PROVIDER)
        edits: list = [
            Set(("model_provider",), PROVIDER),
            Set(("model",), request.chat.id),
            Set(table + ("name",), "ByteSpike"),
            Set(table + ("base_url",), request.openai_base),
            Set(table + ("wire_api",), "responses"),
        ]
        context = model_context(request.chat)
        if context and not _OPENAI_SLUG.match(request.chat.id):
            edits.append(Set(("model_context_window",), context))
        else:
            edits.append(Delete(("model_context_window",), only_if_ours=True))
        # exactly one credential mechanism in our table (Codex rejects combinations)
        others = {
            "helper": ("env_key", "env_key_instructions", "experimental_bearer_token", "requires_openai_auth"),
            "env": ("auth", "experimental_bearer_token", "requires_openai_auth"),
            "inline": ("auth", "env_key", "env_key_instructions", "requires_openai_auth"),
        }[mode]
        secrets: tuple[str, ...] = ()
        if mode == "helper":
            edits.append(Set(table + ("auth",), {"command": request.key_command[0],
                                                 "args": list(request.key_command[1:])}))
        elif mode == "env":
            edits.append(Set(table + ("env_key",), ENV_VAR))
            edits.append(Set(table + ("env_key_instructions",),
                             f"export {ENV_VAR}=\"$(bytespike print-key --profile {request.profile})\""))
            notes.append(f"export {ENV_VAR}=\"$(bytespike print-key --profile {request.profile})\" in your shell "
                         "profile; Codex reads it at start (apps started from a desktop may not see it)")
        else:
            edits.append(Set(table + ("experimental_bearer_token",), request.key))
            secrets = (request.key,) if request.key else ()
        edits.extend(Delete(table + (key,)) for key in others)
        current = self._read()
        extra_files: list[FilePlan] = []
        if request.fast_model is not None:
            if uses_profile_files(version):
                extra_files.append(FilePlan(self.profile_path(), "toml", (
                    Set(("model_provider",), PROVIDER), Set(("model",), request.fast_model.id))))
                legacy = ((current.get("profiles") or {}).get(FAST_PROFILE) or {})
                if legacy.get("model_provider") == PROVIDER:  # ours, from a setup for an older Codex
                    edits.append(Delete(("profiles", FAST_PROFILE)))
                    if len(current.get("profiles") or {}) == 1:
                        edits.append(Delete(("profiles",)))
                form = (f"{self.profile_path()} (Codex {_shown(version)} reads profiles from their own file)"
                        if version else f"{self.profile_path()} (the profile file of Codex 0.134 and newer; "
                        "an older Codex needs `bytespike setup codex` again once it is on PATH)")
            else:
                edits.append(Set(("profiles", FAST_PROFILE, "model_provider"), PROVIDER))
                edits.append(Set(("profiles", FAST_PROFILE, "model"), request.fast_model.id))
                form = f"[profiles.{FAST_PROFILE}] in config.toml (Codex {_shown(version)} predates profile files)"
            notes.append(f"for the fast model run `codex --profile {FAST_PROFILE}`: written as {form}")
        warnings.extend(self._default_profile_warnings(current, request, version))
        notes.append("restart running Codex sessions (and the IDE extension / desktop app) to pick up the change")
        path = self.config_path()
        # a hand-made [model_providers.bytespike] or [profiles.bytespike-fast] is the user's: never merged into
        claims = (table, ("profiles", FAST_PROFILE))
        extra_files = [replace(f, claims=(("model_provider",),)) for f in extra_files]
        return Plan(self.name, (FilePlan(path, "toml", tuple(edits), secret=mode == "inline", claims=claims),
                                *extra_files),
                    tuple(notes), tuple(warnings), secrets, key_mode=mode)

    def _default_profile_warnings(self, current: dict, request: SetupRequest,
                                  version: tuple[int, int, int] | None = None) -> list[str]:
        """A `profile = "x"` at the top applies that profile's keys over ours at every start: say which."""
        name = current.get("profile")
        if not isinstance(name, str) or not name:
            return []
        if uses_profile_files(version):
            return [f"{self.config_path()} has `profile = {name!r}`, which Codex 0.134 and newer refuse "
                    f"(\"legacy profile config is no longer supported\"): Codex will not start until that line "
                    f"goes; move [profiles.{name}] into {self.profile_path(name)} and run `codex --profile {name}`"]
        profile = (current.get("profiles") or {}).get(name)
        where = f"{self.config_path()} selects profile {name!r} by default"
        if not isinstance(profile, dict):
            return [f"{where}, which is not defined there; Codex will refuse to start until it is, or the line goes"]
        provider, model = profile.get("model_provider"), profile.get("model")
        if provider not in (None, PROVIDER):
            return [f"{where}, and it sets model_provider = {provider!r}: Codex will keep using {provider!r}, not "
                    f"ByteSpike; remove that line, or run `codex --profile {FAST_PROFILE}`"]
        if model is not None and model != request.chat.id:
            return [f"{where}, and it sets model = {model!r}: Codex will ask ByteSpike for {model!r} instead of "
                    f"{request.chat.id!r}; remove that line from [profiles.{name}] if ByteSpike should pick"]
        return []

    def plan_remove(self) -> Plan:
        data = self._read()
        edits: list = []
        if PROVIDER in (data.get("model_providers") or {}):
            edits.append(Delete(("model_providers", PROVIDER)))
            if len(data["model_providers"]) == 1:
                edits.append(Delete(("model_providers",)))
        if data.get("model_provider") == PROVIDER:
            edits.append(Delete(("model_provider",)))
        profile = (data.get("profiles") or {}).get(FAST_PROFILE) or {}
        if profile.get("model_provider") == PROVIDER:
            edits.append(Delete(("profiles", FAST_PROFILE)))
        files = [FilePlan(self.config_path(), "toml", tuple(edits))] if edits else []
        raw = read_bytes(self.profile_path())
        if raw is not None:
            own = open_document("toml", decode_text(raw, self.profile_path()), self.profile_path()).data
            if own.get("model_provider") == PROVIDER:
                files.append(FilePlan(self.profile_path(), "toml", tuple(
                    Delete((key,)) for key in ("model_provider", "model") if key in own)))
        if not files:
            return Plan(self.name)
        warnings = ("no record of the original settings: the ByteSpike provider was removed, "
                    "but `model` was left as it is",)
        return Plan(self.name, tuple(files), warnings=warnings)


def _shown(version: tuple[int, int, int] | None) -> str:
    return ".".join(map(str, version)) if version else "?"
