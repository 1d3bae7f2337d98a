"""Qwen Code: a ByteSpike model provider in ``~/.qwen/settings.json``, the key in ``~/.qwen/.env``.

Facts, read in the source as published: the npm bundle of ``@qwen-code/qwen-code@0.24.4`` (the pinned release; it needs Node 22),
``chunks/chunk-Z4RLAAF3.js`` (``resolveCliGenerationConfig``), ``chunk-DPEB6S2R.js`` (``resolveModelConfig``),
``chunk-P5OXAI4R.js`` (``AUTH_ENV_MAPPINGS``), ``chunk-DYLGEL4Y.js`` (``findEnvFiles``, ``loadEnvironment``),
``chunk-IDS7MSUP.js`` / ``chunk-YWZOEHBT.js`` (paths), ``chunk-D2H63VR2.js`` (the settings schema):

- A Gemini CLI fork that speaks OpenAI Chat Completions with ``security.auth.selectedType = "openai"``.
  ``model.name`` picks the model (it beats ``OPENAI_MODEL``/``QWEN_MODEL``: when the model comes from
  settings, those variables are dropped). ``modelProviders.openai`` lists models as
  ``{id, name, baseUrl, envKey, generationConfig}``; for the selected model the provider's ``baseUrl`` beats
  ``--openai-base-url``, ``OPENAI_BASE_URL`` and ``security.auth.baseUrl``, and the variable named by
  ``envKey`` beats ``--openai-api-key``, ``OPENAI_API_KEY`` and ``security.auth.apiKey``. So a provider
  entry keeps working when the user's shell exports ``OPENAI_*`` for other tools; that is why setup
  writes one (instead of ``OPENAI_*`` in the .env file, which an exported ``OPENAI_API_KEY`` would hide).
- ``generationConfig.samplingParams.max_tokens``: Qwen Code asks for 64000 output tokens otherwise, which
  the gateway refuses for a model that allows fewer (found with the real client: "max_tokens: 64000 >
  8192"); ``contextWindowSize`` = the catalogue's context window. ``fastModel`` (top level) = the fast model.
- A settings file without ``"$version"`` is migrated and rewritten whole at start-up; a file setup
  creates gets ``"$version": 4`` (what 0.24.4 writes) so Qwen Code leaves it as written.
- Paths: ``QWEN_HOME`` is the ``.qwen`` folder itself (default ``~/.qwen``): ``settings.json``, ``.env``,
  ``trustedFolders.json``. System files: ``QWEN_CODE_SYSTEM_SETTINGS_PATH`` (default
  ``/etc/qwen-code/settings.json``), ``QWEN_CODE_SYSTEM_DEFAULTS_PATH``.
- .env files (``findEnvFiles``): several are read, the first to set a variable wins, and none replaces a
  non-empty process variable: from the working directory upwards the first ``.qwen/.env`` or ``.env``
  (trusted folders only), then always ``$QWEN_HOME/.env``, ``~/.qwen/.env`` (when QWEN_HOME moved it) and
  ``~/.env``; ``settings.env`` fills what is still unset. Folder trust is off by default
  (``security.folderTrust.enabled`` = false) in Qwen Code, unlike Gemini CLI.

The key: Qwen Code has no key command; ``envKey`` names a variable, and ``~/.qwen/.env`` is its own env
file, so the key is there (0600), never in settings.json.
"""

from __future__ import annotations

from pathlib import Path

from bytespike_cli.doctor.effective import OPENAI, Candidate, Context, Effective, shown_path
from bytespike_cli.doctor.findings import fail, warn
from bytespike_cli.errors import UsageError
from bytespike_cli.formats import open_document
from bytespike_cli.formats.common import Match, decode_text
from bytespike_cli.formats.safe_write import read_bytes
from bytespike_cli.tools import gemini_family as family
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
    has_option,
    known_roots,
    option_value,
    looks_like_bytespike_url,
    model_context,
)

TOOL = "qwen-code"
AUTH = "openai"
PROVIDERS = ("modelProviders", AUTH)
KEY_VAR = "BYTESPIKE_API_KEY"
SUFFIX = " (ByteSpike)"
SETTINGS_VERSION = 4


class QwenCode(Integration):
    name = TOOL
    title = "Qwen Code"
    key_modes = ("env",)
    executables = ("qwen",)
    install = "npm install -g @qwen-code/qwen-code (needs Node 22)"
    version_program = "qwen"
    verified_versions = ("0.24.4", "0.24.4")

    # -- where ---------------------------------------------------------------------------------------
    def qwen_dir(self) -> Path:
        override = self.env("QWEN_HOME")
        return Path(override).expanduser() if override else self.home() / ".qwen"

    def settings_path(self) -> Path:
        return self.qwen_dir() / "settings.json"

    def env_path(self) -> Path:
        return self.qwen_dir() / ".env"

    def files(self) -> tuple[Path, ...]:
        return (self.settings_path(), self.env_path())

    def system_settings_path(self) -> Path:
        return family.system_settings_path(self.env("QWEN_CODE_SYSTEM_SETTINGS_PATH"), "/etc/qwen-code/settings.json",
                                           "/Library/Application Support/QwenCode/settings.json",
                                           "C:\\ProgramData\\qwen-code\\settings.json")

    def system_defaults_path(self) -> Path:
        override = self.env("QWEN_CODE_SYSTEM_DEFAULTS_PATH")
        return Path(override) if override else self.system_settings_path().parent / "system-defaults.json"

    def trusted_folders_path(self) -> Path:
        override = self.env("QWEN_CODE_TRUSTED_FOLDERS_PATH")
        return Path(override) if override else self.qwen_dir() / "trustedFolders.json"

    # -- detect, plan ----------------------------------------------------------------------------------
    def _settings(self) -> dict:
        path = self.settings_path()
        raw = read_bytes(path)
        data = {} if raw is None else open_document("jsonc", decode_text(raw, path), path).data
        return data if isinstance(data, dict) else {}

    def _ours(self, settings: dict) -> list[dict]:
        providers = settings.get("modelProviders")
        entries = providers.get(AUTH) if isinstance(providers, dict) else None
        roots = known_roots()
        return [e for e in entries or [] if isinstance(e, dict) and (
            _is_our_name(e.get("name")) or looks_like_bytespike_url(e.get("baseUrl"), roots))]

    def detect(self) -> Detection:
        exe = self.which("qwen")
        if exe:
            installed, evidence = True, f"qwen on PATH ({exe})"
        elif self.qwen_dir().is_dir():
            installed, evidence = True, f"{self.qwen_dir()} exists"
        else:
            installed, evidence = False, "not found (no `qwen` on PATH, no ~/.qwen folder)"
        ours = self._ours(self._settings())
        details = tuple(f"model {e.get('id')}" for e in ours)
        return Detection(self.name, self.title, installed, evidence, self.files(), bool(ours), None, details)

    def _entry(self, model, request: SetupRequest) -> dict:
        entry: dict = {"id": model.id, "name": model.id + SUFFIX, "baseUrl": request.openai_base, "envKey": KEY_VAR}
        generation: dict = {}
        if model_context(model):
            generation["contextWindowSize"] = model_context(model)
        if model.max_output_tokens:
            generation["samplingParams"] = {"max_tokens": model.max_output_tokens}
        if generation:
            entry["generationConfig"] = generation
        return entry

    def plan(self, request: SetupRequest) -> Plan:
        mode = self.key_mode(request)
        if not request.key:
            raise UsageError("Qwen Code needs the key in its .env file, and this profile has none",
                             "run `bytespike login` first")
        settings = self._settings()
        entries = [self._entry(m, request) for m in request.all_models]
        ids = [e["id"] for e in entries]
        stale = [e["id"] for e in self._ours(settings) if e.get("id") not in ids and _is_our_name(e.get("name"))]
        edits: list = []
        if not settings:
            edits.append(Set(("$version",), SETTINGS_VERSION))
        edits += [Set(("security", "auth", "selectedType"), AUTH), Set(("model", "name"), request.chat.id)]
        edits += [Delete((*PROVIDERS, Match("id", i)), only_if_ours=True) for i in stale]
        edits += [Set((*PROVIDERS, Match("id", e["id"])), e) for e in entries]
        if request.fast_model is not None:
            edits.append(Set(("fastModel",), request.fast_model.id))
        claims = tuple((*PROVIDERS, Match("id", i)) for i in ids + stale)
        files = (
            FilePlan(self.settings_path(), "jsonc", tuple(edits), claims=claims),
            FilePlan(self.env_path(), "dotenv", (Set((KEY_VAR,), request.key),), secret=True),
        )
        notes = (
            f"the key is in {self.env_path()} (0600) as {KEY_VAR}, which the ByteSpike provider entries name "
            "(envKey); settings.json holds no key",
            "restart running Qwen Code sessions; `bytespike login` with a new key updates this copy",
        )
        warnings: tuple[str, ...] = ()
        exported = self._exported(KEY_VAR)
        if exported and exported != request.key:  # a .env file never replaces a non-empty process variable
            from bytespike_cli.redact import mask_key

            warnings = (f"{KEY_VAR} is set in this shell ({mask_key(exported)}): it wins over {self.env_path()}, so "
                        "Qwen Code sends that key instead of this profile's — unset it (and remove it from your shell "
                        "profile), or start Qwen Code with `bytespike run qwen`",)
        return Plan(self.name, files, notes, warnings, (request.key,), key_mode=mode)

    def _exported(self, name: str) -> str | None:
        import os

        return (self._env if self._env is not None else os.environ).get(name)

    def plan_remove(self) -> Plan:
        ours = [e.get("id") for e in self._ours(self._settings()) if e.get("id")]
        if not ours:
            return Plan(self.name)
        edits = tuple(Delete((*PROVIDERS, Match("id", i))) for i in ours)
        return Plan(self.name, (FilePlan(self.settings_path(), "jsonc", edits),
                                FilePlan(self.env_path(), "dotenv", (Delete((KEY_VAR,)),))))

    # -- run -------------------------------------------------------------------------------------------
    def launch(self, request: LaunchRequest) -> LaunchSpec:
        """``--auth-type openai``, ``--model`` and the OPENAI_* variables for one process. A provider entry in the
        settings with the same model id (the one ``bytespike setup`` writes) beats all three (``resolveModelConfig``:
        its baseUrl and envKey come first), so then the session also gets a system settings file of its own."""
        set_env = {"OPENAI_BASE_URL": request.target.openai_base, "OPENAI_API_KEY": request.target.key,
                   "OPENAI_MODEL": request.chat.id}
        argv: list[str] = []
        if not has_option(request.args, "--auth-type"):
            argv += ["--auth-type", AUTH]
        if not has_option(request.args, "--model", "-m"):
            argv += ["--model", request.chat.id]
        if request.chat.max_output_tokens:
            set_env["QWEN_CODE_MAX_OUTPUT_TOKENS"] = str(request.chat.max_output_tokens)
        model = option_value(request.args, "--model", "-m") or request.chat.id
        temp_files = self._run_provider_override(model, request, set_env)
        return LaunchSpec(tuple(argv), set_env, (), (), temp_files)

    def _run_provider_override(self, model: str, request: LaunchRequest, set_env: dict) -> tuple[tuple[str, str], ...]:
        """When the settings hold a provider entry for ``model``, Qwen Code would send the session to that entry's
        baseUrl with the key its envKey names (a setup for another profile, not the proxy ``run`` was asked for).
        The system settings scope wins over every other and replaces ``modelProviders`` whole (mergeStrategy
        "replace", 0.24.4 ``chunk-D2H63VR2.js``): a temporary one for this process holds the same providers, the
        real system settings' other values, and the entry pointed at ``run``'s target."""
        import copy
        import json
        import os
        import tempfile
        import uuid

        system = self.system_settings_path()
        settings = family.load_settings([system, Path.cwd() / ".qwen" / "settings.json", self.settings_path()], TOOL)
        providers = settings.value("modelProviders")
        entries = providers.get(AUTH) if isinstance(providers, dict) else None
        if not isinstance(entries, list) or not any(isinstance(e, dict) and e.get("id") == model for e in entries):
            return ()
        # bytespike's entries too: Qwen Code also calls the fast model (settings fastModel) through its entry
        ours = [id(e) for e in self._ours({"modelProviders": providers})]
        redirected = copy.deepcopy(providers)
        redirected[AUTH] = [dict(e, baseUrl=request.target.openai_base, envKey=KEY_VAR)
                            if isinstance(e, dict) and (e.get("id") == model or id(e) in ours) else e for e in entries]
        system_data = next((layer.data for layer in settings.layers if layer.path == system), {})
        content = {"$version": SETTINGS_VERSION, **copy.deepcopy(system_data), "modelProviders": redirected}
        path = os.path.join(tempfile.gettempdir(), f"bytespike-run-qwen-{uuid.uuid4().hex}.json")
        set_env["QWEN_CODE_SYSTEM_SETTINGS_PATH"] = path
        # Qwen Code looks for system defaults beside the system settings file: keep the real ones, never /tmp's
        set_env["QWEN_CODE_SYSTEM_DEFAULTS_PATH"] = str(self.system_defaults_path())
        set_env[KEY_VAR] = request.target.key  # a process variable beats every .env file
        return ((path, json.dumps(content, indent=2)),)

    # -- doctor ----------------------------------------------------------------------------------------
    def resolve(self, ctx: Context) -> list[Effective]:
        return [resolve_effective(self, ctx)]


def _is_our_name(name) -> bool:
    return isinstance(name, str) and name.endswith(SUFFIX)


def trusted(tool: QwenCode, ctx: Context, settings: family.Settings) -> bool:
    if settings.value("security", "folderTrust", "enabled") is not True:
        return True
    return family.path_trusted(family.trusted_folders(tool.trusted_folders_path()), ctx.cwd) is not False


def env_files(tool: QwenCode, ctx: Context, workspace_trusted: bool) -> list[Path]:
    """The .env files Qwen Code reads (``findEnvFiles``), first wins per variable."""
    home, qwen_dir = ctx.home, tool.qwen_dir()
    found: list[Path] = []
    if workspace_trusted and ctx.cwd != home:
        for directory in (ctx.cwd, *ctx.cwd.parents):
            if directory == home:
                break
            hit = next((p for p in (directory / ".qwen" / ".env", directory / ".env") if p.is_file()), None)
            if hit is not None:
                found.append(hit)
                break
    found += [qwen_dir / ".env"]
    if qwen_dir != home / ".qwen":
        found.append(home / ".qwen" / ".env")
    found.append(home / ".env")
    return found


def resolve_effective(tool: QwenCode, ctx: Context) -> Effective:
    eff = Effective(TOOL, "Qwen Code", OPENAI, base_default=None,
                    setup="`bytespike setup qwen-code` (or `bytespike run qwen` for one session)")
    user_layers = [tool.system_settings_path(), tool.settings_path(), tool.system_defaults_path()]
    settings = family.load_settings(user_layers, TOOL)
    if trusted(tool, ctx, settings):
        settings = family.load_settings([tool.system_settings_path(), ctx.cwd / ".qwen" / "settings.json",
                                         tool.settings_path(), tool.system_defaults_path()], TOOL)
        workspace_trusted = True
    else:
        workspace_trusted = False
    eff.findings += settings.findings
    files = family.read_env_files(env_files(tool, ctx, workspace_trusted), TOOL, eff.findings)
    extra = settings.value("env")
    if isinstance(extra, dict):  # settings.env fills what no .env file set
        shown = shown_path(tool.settings_path(), ctx.home)
        files.append(family.EnvFile(Path(f"{shown} env"), {k: v for k, v in extra.items() if isinstance(v, str)}))

    def var(name: str) -> tuple[Candidate | None, list[Candidate]]:
        return family.variable(name, ctx.env, files, ctx.home, empty_is_unset=True)

    selected = settings.first("security", "auth", "selectedType", home=ctx.home)
    if selected is not None and selected.value not in (AUTH, "openai-responses"):
        eff.key_unknown = f"auth type {selected.value}"
        if tool.detect().configured:
            eff.findings.append(fail(TOOL, "auth-type", f"Qwen Code uses '{selected.value}' ({selected.source}), not "
                                     "the OpenAI-compatible provider bytespike set up",
                                     f"set security.auth.selectedType to {AUTH} (`bytespike setup qwen-code` does)", 9))
        return eff
    model = settings.first("model", "name", home=ctx.home)
    if model is None:
        for name in ("OPENAI_MODEL", "QWEN_MODEL"):
            found, _ = var(name)
            if found is not None:
                model = found
                break
    if model is None:
        eff.key_unknown = "no model selected"
        return eff
    eff.models = [(str(model.value), model.source)]
    providers = settings.value(*PROVIDERS)
    provider = next((p for p in providers or [] if isinstance(p, dict) and p.get("id") == model.value), None) \
        if isinstance(providers, list) else None
    provider_source = f"{shown_path(tool.settings_path(), ctx.home)} modelProviders.openai[{model.value}]"

    base: list[Candidate] = []
    if provider and provider.get("baseUrl"):
        base.append(Candidate(f"{provider_source}.baseUrl", provider["baseUrl"], f"edit baseUrl in {provider_source}"))
    winner, _ = var("OPENAI_BASE_URL")
    if winner is not None:
        base.append(winner)
    auth_base = settings.first("security", "auth", "baseUrl", home=ctx.home)
    if auth_base is not None:
        base.append(auth_base)
    eff.base = base

    key_candidates: list[tuple[str, Candidate | None, list[Candidate]]] = []
    if provider and provider.get("envKey"):
        key_candidates.append((str(provider["envKey"]), *var(str(provider["envKey"]))))
    key_candidates.append(("OPENAI_API_KEY", *var("OPENAI_API_KEY")))
    chosen = next((c for _, c, _ in key_candidates if c is not None), None)
    if chosen is None:
        auth_key = settings.first("security", "auth", "apiKey", home=ctx.home)
        chosen = auth_key
    if chosen is not None:
        eff.key, eff.key_source, eff.key_remove = str(chosen.value), chosen.source, chosen.remove
    else:
        eff.key_unknown = "no key variable set"
        if provider and provider.get("envKey") and ctx.is_gateway(provider.get("baseUrl")):
            name = str(provider["envKey"])
            eff.findings.append(fail(TOOL, "key-missing",
                                     f"{provider_source} takes its key from {name}, but no {name} is in the environment, "
                                     f"{shown_path(tool.env_path(), ctx.home)} or another .env file Qwen Code reads",
                                     "run `bytespike setup qwen-code` (it writes the key to ~/.qwen/.env)", 3))
    ours = tool.env_path()
    for name, winner, places in key_candidates[:1]:
        shadow = family.shadowing(winner, places, ours, ctx.home)
        if shadow is not None:
            eff.findings.append(warn(TOOL, "shadowed", f"{shadow.source} wins over {shown_path(ours, ctx.home)} {name}",
                                     shadow.remove))
    return eff
