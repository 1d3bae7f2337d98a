"""opencode: ``~/.config/opencode/opencode.json`` (or ``.jsonc``), JSON with comments; the key by reference.

Facts, read in the opencode-ai 1.18.33 npm package (its bundled JS, ``bin/opencode``) and checked with the
real binary against the offline gateway (tests/realclients); docs: anomalyco/opencode
``packages/web/src/content/docs/config.mdx``, ``providers.mdx``:
- Global files, merged in this order (later wins): ``$XDG_CONFIG_HOME/opencode`` (default ``~/.config``, on
  every OS: xdg-basedir) ``config.json``, ``opencode.json``, ``opencode.jsonc``; then the file named by
  ``OPENCODE_CONFIG``; then project ``opencode.json[c]`` from the git root down to the working directory
  (unless ``OPENCODE_DISABLE_PROJECT_CONFIG``); then ``opencode.json[c]`` in ``.opencode`` folders and in
  ``OPENCODE_CONFIG_DIR``; last the JSON in ``OPENCODE_CONFIG_CONTENT``. The file opencode itself edits
  is the first of ``opencode.jsonc``, ``opencode.json``, ``config.json`` that exists (it creates
  ``opencode.jsonc`` at first start when none does and no override is set).
- Substitution on the raw text before parsing: ``{env:VAR}`` (empty when unset) and ``{file:PATH}``
  (``~/`` expanded, relative to the config file's folder, contents trimmed; a missing file stops opencode
  with "bad file reference").
- A custom provider: ``provider.<id>`` with ``npm`` (the AI SDK package), ``name``, ``options.baseURL``,
  ``options.apiKey`` and ``models.<id>`` (``name``, ``limit.context``/``limit.output`` — both required
  by the schema —, ``tool_call``, ``attachment``, and a per-model ``provider.npm`` override); top-level
  ``model``/``small_model`` as ``<provider>/<model>``. ``small_model`` writes session titles.
- ``@ai-sdk/openai-compatible`` sends ``POST {baseURL}/chat/completions``; a model whose
  ``provider.npm`` is ``@ai-sdk/anthropic`` sends ``POST {baseURL}/messages`` with ``x-api-key`` (same
  baseURL, root + ``/v1``); ``@ai-sdk/openai`` would send ``/responses``. ``max_tokens`` is
  ``limit.output``. Seen on the offline gateway's request log with the real 1.18.33.

What we write: ``provider.bytespike`` (``@ai-sdk/openai-compatible``, baseURL root + ``/v1``, the chat
and fast models with their limits from the catalogue; Claude models — Anthropic-native at the gateway —
on ``@ai-sdk/anthropic``, which keeps tool use, thinking and caching intact, gateway-api.md "Tool
fidelity"); GPT models stay on Chat Completions, their native wire at the gateway: opencode does not
need the Responses API for them. ``model`` = ``bytespike/<chat>``, ``small_model`` = ``bytespike/<fast>``.

The key (``options.apiKey``): ``--key-mode file`` (default) ``{file:<bytespike's own 0600 key file for the
profile>}``: no copy anywhere, works with no export, and ``bytespike login`` changes what opencode reads;
``--key-mode env``: ``{env:BYTESPIKE_API_KEY}`` (the user exports it); ``--key-mode inline``: the key
itself (file kept 0600; ``bytespike login`` refreshes it). When the profile's key is not in a file
(it came from ``BYTESPIKE_API_KEY``), file mode falls back to env mode and says so.

Kilo Code CLI (tools/kilo.py) is an opencode fork: it shares this module through :class:`OpencodeFamily`.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, ClassVar

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
    known_roots,
    looks_like_bytespike_url,
    model_context,
    supports_images,
    supports_tools,
)

if TYPE_CHECKING:
    from bytespike_cli.doctor.effective import Context, Effective

PROVIDER = "bytespike"
OPENAI_COMPATIBLE = "@ai-sdk/openai-compatible"
ANTHROPIC_SDK = "@ai-sdk/anthropic"
CHAT_SUFFIX = " (ByteSpike)"


def env_ref(name: str) -> str:
    return "{env:" + name + "}"


def file_ref(path: PurePath) -> str:
    # opencode substitutes {file:…} in the raw JSON text, where a Windows "\\" is still escaped as "\\\\":
    # forward slashes read the same on every OS
    return "{file:" + path.as_posix() + "}"


def sdk_package(model) -> str | None:
    """The per-model AI SDK package, when it is not the provider's OpenAI-compatible one."""
    native = tuple(getattr(model, "native_protocols", ()) or ())
    return ANTHROPIC_SDK if "anthropic" in native and "openai" not in native else None


def model_entry(model) -> dict:
    entry: dict = {"name": model.id + CHAT_SUFFIX}
    context = model_context(model)
    if context and model.max_output_tokens:  # the schema wants both or neither
        entry["limit"] = {"context": context, "output": min(model.max_output_tokens, context)}
    entry["tool_call"] = supports_tools(model)
    entry["attachment"] = supports_images(model)
    package = sdk_package(model)
    if package:
        entry["provider"] = {"npm": package}
    return entry


def provider_entry(base_url: str, api_key: str, models, name: str = "ByteSpike") -> dict:
    return {
        "npm": OPENAI_COMPATIBLE,
        "name": name,
        "options": {"baseURL": base_url, "apiKey": api_key},
        "models": {model.id: model_entry(model) for model in models},
    }


class OpencodeFamily(Integration):
    """opencode and its forks: the same config format under another name (folder, files, variables)."""

    app: ClassVar[str] = "opencode"  # the folder under XDG config/data, and the project file stem
    global_names: ClassVar[tuple[str, ...]] = ("config.json", "opencode.json", "opencode.jsonc")  # merge order
    edit_preference: ClassVar[tuple[str, ...]] = ("opencode.jsonc", "opencode.json")  # the file setup edits
    project_stems: ClassVar[tuple[str, ...]] = ("opencode",)
    project_dirs: ClassVar[tuple[str, ...]] = (".opencode",)
    env_prefix: ClassVar[str] = "OPENCODE"
    schema_url: ClassVar[str] = "https://opencode.ai/config.json"
    key_modes = ("file", "env", "inline")

    # -- where ------------------------------------------------------------------------------------
    def xdg(self, variable: str, default: str) -> Path:
        value = self.env(variable)
        return Path(value).expanduser() if value else self.home() / default

    def config_dir(self) -> Path:
        return self.xdg("XDG_CONFIG_HOME", ".config") / self.app

    def data_dir(self) -> Path:
        return self.xdg("XDG_DATA_HOME", os.path.join(".local", "share")) / self.app

    def auth_path(self) -> Path:
        return self.data_dir() / "auth.json"

    def custom_config(self) -> Path | None:
        """The file named by ``<PREFIX>_CONFIG``: read after the global files, so it wins over them."""
        value = self.env(f"{self.env_prefix}_CONFIG")
        return Path(value).expanduser() if value else None

    def global_files(self) -> tuple[Path, ...]:
        return tuple(self.config_dir() / name for name in self.global_names)

    def settings_path(self) -> Path:
        """The file setup edits: ``<PREFIX>_CONFIG`` when set (it outranks the global files), else the
        global file opencode would edit itself, else a new ``<app>.json``."""
        custom = self.custom_config()
        if custom is not None:
            return custom
        for name in self.edit_preference:
            path = self.config_dir() / name
            if path.exists():
                return path
        return self.config_dir() / self.edit_preference[-1]

    def files(self) -> tuple[Path, ...]:
        return (self.settings_path(),)

    def _read(self, path: Path | None = None) -> dict:
        path = path or self.settings_path()
        raw = read_bytes(path)
        if raw is None:
            return {}
        data = open_document("jsonc", decode_text(raw, path), path).data
        return data if isinstance(data, dict) else {}

    # -- detect -----------------------------------------------------------------------------------
    def detect(self) -> Detection:
        exe = self.which(*self.executables)
        if exe:
            installed, evidence = True, f"{self.executables[0]} on PATH ({exe})"
        elif self.config_dir().is_dir():
            installed, evidence = True, f"{self.config_dir()} exists"
        else:
            installed, evidence = False, f"not found (no `{self.executables[0]}` on PATH, no {self.config_dir()})"
        data = self._read()
        provider = (data.get("provider") or {}).get(PROVIDER) if isinstance(data.get("provider"), dict) else None
        options = provider.get("options") if isinstance(provider, dict) else None
        base = options.get("baseURL") if isinstance(options, dict) else None
        configured = looks_like_bytespike_url(base, known_roots())
        details: list[str] = []
        if configured:
            model = data.get("model")
            details.append(f"model {model}" if str(model or "").startswith(PROVIDER + "/")
                           else "provider present, not the default model")
            key = str(options.get("apiKey") or "")
            if key == env_ref(ENV_VAR) and not self.env(ENV_VAR):
                details.append(f"{ENV_VAR} is not set in this environment")
        return Detection(self.name, self.title, installed, evidence, self.files(), configured, None, tuple(details))

    # -- plan -------------------------------------------------------------------------------------
    def _key_reference(self, request: SetupRequest, mode: str) -> tuple[str, str, list[str], list[str]]:
        """(options.apiKey, the mode really used, notes, warnings)."""
        from bytespike_cli import paths

        if mode == "inline":
            return request.key or "", mode, [
                f"the key is in {self.settings_path()} (kept 0600); `bytespike login` keeps it up to date"], []
        if mode == "file":
            key_file = paths.key_file(request.profile)
            if key_file.is_file():
                return file_ref(key_file), mode, [
                    f"{self.title} reads the key from bytespike's own key file {key_file} (0600) through "
                    "{file:…}: nothing to export, and `bytespike login` changes what it reads"], []
            warnings = [f"profile '{request.profile}' has no saved key file, so {self.title} reads "
                        f"{env_ref(ENV_VAR)} instead; run `bytespike login` and this setup again to need no export"]
            mode = "env"
        else:
            warnings = []
        notes = [f"{self.title} reads the key from {ENV_VAR}: add `export {ENV_VAR}=\"$(bytespike print-key "
                 f"--profile {request.profile})\"` to your shell profile"]
        if self.env(ENV_VAR) is None and not warnings:
            warnings.append(f"{ENV_VAR} is not set in this shell: {self.title} sends an empty key until you export it")
        return env_ref(ENV_VAR), mode, notes, warnings

    def plan(self, request: SetupRequest) -> Plan:
        mode = self.key_mode(request)
        api_key, mode, notes, warnings = self._key_reference(request, mode)
        data = self._read()
        path = self.settings_path()
        edits: list = []
        if not data:
            edits.append(Set(("$schema",), self.schema_url))
        # one Set per setting, so the journal records the key (inline mode) as its own value, kept as a hash
        provider = provider_entry(request.openai_base, api_key, request.all_models)
        for field in ("npm", "name"):
            edits.append(Set(("provider", PROVIDER, field), provider[field]))
        for option, value in provider["options"].items():
            edits.append(Set(("provider", PROVIDER, "options", option), value))
        edits.append(Set(("provider", PROVIDER, "models"), provider["models"]))
        edits.append(Set(("model",), f"{PROVIDER}/{request.chat.id}"))
        if request.fast_model is not None:
            edits.append(Set(("small_model",), f"{PROVIDER}/{request.fast_model.id}"))
        else:
            edits.append(Delete(("small_model",), only_if_ours=True))
        missing = [m.id for m in request.all_models if "limit" not in model_entry(m)]
        if missing:
            warnings.append(f"no context window or output limit known for {', '.join(missing)}: {self.title} "
                            "uses its own defaults (it may ask for more output tokens than the gateway allows)")
        notes.append(f"restart {self.title} to load the new settings; a project {self.project_stems[0]}.json can "
                     f"choose another model, and {self.env_prefix}_CONFIG_CONTENT overrides everything")
        secrets = (request.key,) if request.key else ()
        file_plan = FilePlan(path, "jsonc", tuple(edits), secret=mode == "inline", claims=(("provider", PROVIDER),))
        return Plan(self.name, (file_plan,), tuple(notes), tuple(warnings), secrets, key_mode=mode)

    def plan_remove(self) -> Plan:
        data = self._read()
        provider = (data.get("provider") or {}).get(PROVIDER) if isinstance(data.get("provider"), dict) else None
        if not isinstance(provider, dict):
            return Plan(self.name)
        edits: list = [Delete(("provider", PROVIDER))]
        for slot in ("model", "small_model"):
            if str(data.get(slot) or "").startswith(PROVIDER + "/"):
                edits.append(Delete((slot,)))
        return Plan(self.name, (FilePlan(self.settings_path(), "jsonc", tuple(edits)),))

    # -- doctor and run ---------------------------------------------------------------------------
    def resolve(self, ctx: "Context") -> list["Effective"]:
        from bytespike_cli.tools.opencode.resolve import resolve_effective

        return resolve_effective(self, ctx)

    def launch(self, request: LaunchRequest) -> LaunchSpec:
        from bytespike_cli.tools.opencode.launch import launch_spec

        return launch_spec(self, request)


class Opencode(OpencodeFamily):
    name = "opencode"
    title = "opencode"
    executables = ("opencode",)
    install = "install it with `npm install -g opencode-ai`"
    version_program = "opencode"
    verified_versions = ("1.18.33", "1.18.33")
