"""Gemini CLI: ``~/.gemini/settings.json`` (auth type, model) and ``~/.gemini/.env`` (gateway URL and key).

Facts, read in the npm bundle of ``@google/gemini-cli@0.61.0`` (the pinned release, published 2026-09-25;
newer than google-gemini/gemini-cli HEAD 5411f113 that ../shared describes) — ``bundle/chunk-JDPZ4CE3.js``
(core) and ``bundle/chunk-2YTYPKEZ.js`` (cli settings):

- Gemini API only: ``@google/genai`` calls ``{GOOGLE_GEMINI_BASE_URL}/v1beta/models/{model}:generateContent``
  (and ``:streamGenerateContent?alt=sse``) with the key in ``x-goog-api-key``. The base URL is the gateway
  **root**: the SDK adds ``/v1beta`` itself. It is checked only with ``new URL(...)``
  (``validateBaseUrl``): **http is accepted** in 0.61, so the offline gateway on http://127.0.0.1 works
  (../shared/editor-configs.md §9.3 says HTTPS is required; the source at 0.61 does not).
- ``security.auth.selectedType = "gemini-api-key"`` in settings.json: the key is ``GEMINI_API_KEY`` from the
  environment, else one saved by ``/auth`` (keychain or an encrypted file: never forged here).
  ``model.name`` is the model. 0.61 also knows ``"gateway"`` (chosen from ``GOOGLE_GEMINI_BASE_URL`` when no
  type is selected); ``gemini-api-key`` with the base URL works the same and is what the docs describe.
- ``GEMINI_CLI_HOME`` replaces the home directory: the files are ``$GEMINI_CLI_HOME/.gemini/…``.
- The .env file (``findEnvFile``): from the working directory upwards, in each directory
  ``.gemini/.env`` (trusted folders only) then ``.env``; past the top, ``~/.gemini/.env`` (trusted only),
  then ``~/.env``. **Only the first file found is read**, so a project's ``.env`` hides ``~/.gemini/.env``
  entirely. Its values never replace a variable the process already has (even an empty one). In an
  untrusted folder only ``GEMINI_API_KEY``, ``GOOGLE_API_KEY``, ``GOOGLE_CLOUD_PROJECT`` and
  ``GOOGLE_CLOUD_LOCATION`` are taken from a plain ``.env`` and ``.gemini/.env`` files are skipped.
- Folder trust is on by default: headless runs in an untrusted folder stop ("use ``--skip-trust``, set
  ``GEMINI_CLI_TRUST_WORKSPACE=true``, or trust this directory in interactive mode"); interactive runs
  ask. Trusting a folder is the user's decision, so setup only says so.

The key: Gemini CLI has no key command and no variable substitution for it; its documented ways are the
environment, ``~/.gemini/.env`` and the keychain entry ``/auth`` writes. Setup writes it to
``~/.gemini/.env`` (0600), the tool's own env file, next to ``GOOGLE_GEMINI_BASE_URL``; ``bytespike run
gemini`` passes both in the environment of one process and writes nothing.
"""

from __future__ import annotations

from pathlib import Path

from bytespike_cli.doctor.effective import GEMINI, Context, Effective, shown_path
from bytespike_cli.doctor.findings import fail, warn
from bytespike_cli.errors import PermissionDenied, UsageError
from bytespike_cli.formats import open_document
from bytespike_cli.formats.common import decode_text
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
    looks_like_bytespike_url,
)

TOOL = "gemini-cli"
BASE_VAR, KEY_VAR = "GOOGLE_GEMINI_BASE_URL", "GEMINI_API_KEY"
API_KEY_AUTH = "gemini-api-key"
# the auth types that send GEMINI_API_KEY to the base URL ("gateway" is refused by headless 0.61, see launch)
KEY_AUTH_TYPES = (API_KEY_AUTH, "gateway")
UNTRUSTED_ALLOWED = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION")
GOOGLE_DEFAULT = "https://generativelanguage.googleapis.com"
TRUST_HINT = ("trust the folder when Gemini CLI asks (interactive), or run it with --skip-trust / "
              "GEMINI_CLI_TRUST_WORKSPACE=true (headless)")


def is_gemini_model(model) -> bool:
    return "gemini" in getattr(model, "native_protocols", ()) or getattr(model, "family", "") == "gemini"


class GeminiCli(Integration):
    name = TOOL
    title = "Gemini CLI"
    key_modes = ("env",)
    prefer_family = "gemini"
    executables = ("gemini",)
    install = "npm install -g @google/gemini-cli"
    version_program = "gemini"
    verified_versions = ("0.61.0", "0.61.0")

    # -- where ---------------------------------------------------------------------------------------
    def cli_home(self) -> Path:
        override = self.env("GEMINI_CLI_HOME")
        return Path(override).expanduser() if override else self.home()

    def gemini_dir(self) -> Path:
        return self.cli_home() / ".gemini"

    def settings_path(self) -> Path:
        return self.gemini_dir() / "settings.json"

    def env_path(self) -> Path:
        return self.gemini_dir() / ".env"

    def files(self) -> tuple[Path, ...]:
        return (self.settings_path(), self.env_path())

    def system_settings_path(self) -> Path:
        return family.system_settings_path(self.env("GEMINI_CLI_SYSTEM_SETTINGS_PATH"), "/etc/gemini-cli/settings.json",
                                           "/Library/Application Support/GeminiCli/settings.json",
                                           "C:\\ProgramData\\gemini-cli\\settings.json")

    def system_defaults_path(self) -> Path:
        override = self.env("GEMINI_CLI_SYSTEM_DEFAULTS_PATH")
        return Path(override) if override else self.system_settings_path().parent / "system-defaults.json"

    def trusted_folders_path(self) -> Path:
        override = self.env("GEMINI_CLI_TRUSTED_FOLDERS_PATH")
        return Path(override) if override else self.gemini_dir() / "trustedFolders.json"

    # -- the catalogue, detect, plan ---------------------------------------------------------------
    def check_catalogue(self, catalogue: list) -> None:
        if not any(is_gemini_model(m) for m in catalogue if "text" in m.capabilities or not m.capabilities):
            families = ", ".join(sorted({m.family for m in catalogue})) or "none"
            raise PermissionDenied(
                f"Gemini CLI speaks only the Gemini API, and this key's group has no Gemini models "
                f"(its {len(catalogue)} models are {families} models)",
                "use a key whose group includes Gemini models (e.g. the gemini-default group; groups are set per "
                "key at https://console.bytespike.ai/keys), then `bytespike login --profile gemini` and "
                "`bytespike setup gemini-cli --profile gemini`")

    def _dotenv(self) -> dict:
        raw = read_bytes(self.env_path())
        return {} if raw is None else open_document("dotenv", decode_text(raw, self.env_path()), self.env_path()).data

    def detect(self) -> Detection:
        exe = self.which("gemini")
        if exe:
            installed, evidence = True, f"gemini on PATH ({exe})"
        elif self.gemini_dir().is_dir():
            installed, evidence = True, f"{self.gemini_dir()} exists"
        else:
            installed, evidence = False, "not found (no `gemini` on PATH, no ~/.gemini folder)"
        env = self._dotenv()
        configured = looks_like_bytespike_url(env.get(BASE_VAR), known_roots())
        details = (f"{BASE_VAR} {env.get(BASE_VAR)}",) if configured else ()
        return Detection(self.name, self.title, installed, evidence, self.files(), configured, None, details)

    def plan(self, request: SetupRequest) -> Plan:
        mode = self.key_mode(request)
        if not request.key:
            raise UsageError("Gemini CLI needs the key in its .env file, and this profile has none",
                             "run `bytespike login` first")
        chat = request.chat
        settings = FilePlan(self.settings_path(), "jsonc", (
            Set(("security", "auth", "selectedType"), API_KEY_AUTH),
            Set(("model", "name"), chat.id),
        ))
        dotenv = FilePlan(self.env_path(), "dotenv", (
            Set((BASE_VAR,), request.base_url.rstrip("/")),
            Set((KEY_VAR,), request.key),
        ), secret=True)
        warnings = []
        if not is_gemini_model(chat):
            warnings.append(f"{chat.id} is not a Gemini model: the gateway translates Gemini API requests for it, "
                            "and Gemini CLI's tool calls may come back malformed; a gemini-* model is native")
        warnings += self._shell_outranks(request)
        notes = [
            f"the key is in {self.env_path()} (0600), the .env file Gemini CLI loads by itself; settings.json "
            f"selects {API_KEY_AUTH} and {chat.id}",
            "Gemini CLI reads ~/.gemini/.env only in a trusted folder, and only when no project .env or .gemini/.env "
            f"is found first: {TRUST_HINT}",
            "restart running Gemini CLI sessions; `bytespike login` with a new key updates this copy",
        ]
        return Plan(self.name, (settings, dotenv), tuple(notes), tuple(warnings), (request.key,), key_mode=mode)

    def _shell_outranks(self, request: SetupRequest) -> list[str]:
        """A variable this shell exports wins over the .env file (Gemini CLI 0.61 ``loadEnvironment`` sets only what
        the process lacks): a Google key would go to the gateway, or the ByteSpike key to another address."""
        import os

        from bytespike_cli.redact import mask_key

        source = self._env if self._env is not None else os.environ
        found = []
        exported_key = source.get(KEY_VAR)
        if exported_key is not None and exported_key != request.key:
            shown = mask_key(exported_key) if exported_key else "empty"
            found.append(f"{KEY_VAR} is set in this shell ({shown}): it wins over {self.env_path()}, so Gemini CLI "
                         f"sends that key instead of this profile's — unset it (and remove it from your shell profile), "
                         "or start Gemini CLI with `bytespike run gemini`")
        exported_base = source.get(BASE_VAR)
        if exported_base is not None and exported_base.rstrip("/") != request.base_url.rstrip("/"):
            found.append(f"{BASE_VAR} is set in this shell ({exported_base or 'empty'}): it wins over "
                         f"{self.env_path()}, so Gemini CLI sends the ByteSpike key there — unset it (and remove it "
                         "from your shell profile), or start Gemini CLI with `bytespike run gemini`")
        return found

    def plan_remove(self) -> Plan:
        env = self._dotenv()
        if not looks_like_bytespike_url(env.get(BASE_VAR), known_roots()):
            return Plan(self.name)
        return Plan(self.name, (FilePlan(self.env_path(), "dotenv", (Delete((BASE_VAR,)), Delete((KEY_VAR,)))),))

    # -- run -------------------------------------------------------------------------------------------
    def launch(self, request: LaunchRequest) -> LaunchSpec:
        """The URL and key in the environment, the model by ``--model``. The auth type cannot come from the
        environment: with none selected, Gemini CLI 0.61 derives "gateway" from ``GOOGLE_GEMINI_BASE_URL``, which
        its headless mode then refuses ("Invalid auth method selected", ``validateAuthMethod``); the only other
        place is a system settings file, which it reads only when root owns it and every folder above it. So
        ``run`` says so when the user's settings select no API-key sign-in (an interactive session asks)."""
        set_env = {BASE_VAR: request.target.root.rstrip("/"), KEY_VAR: request.target.key}
        argv: tuple[str, ...] = ()
        if not has_option(request.args, "--model", "-m"):
            argv = ("--model", request.chat.id)
        warnings = []
        selected = _selected_auth(self)
        if selected != API_KEY_AUTH:
            now = f"select '{selected}'" if selected else "select no sign-in method"
            warnings.append(f"Gemini CLI's settings {now} (security.auth.selectedType): choose \"Use Gemini API key\" "
                            "when it asks (headless `gemini -p` stops instead), or run `bytespike setup gemini-cli`")
        # Vertex / Google sign-in switches would take Gemini CLI to Google instead
        removed = tuple(n for n in ("GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_GCA") if n in request.env)
        return LaunchSpec(argv, set_env, removed, tuple(warnings))

    # -- doctor ----------------------------------------------------------------------------------------
    def resolve(self, ctx: Context) -> list[Effective]:
        return [resolve_effective(self, ctx)]


def _settings(tool: GeminiCli, cwd: Path, trusted: bool) -> family.Settings:
    paths = [tool.system_settings_path()]
    if trusted:
        paths.append(cwd / ".gemini" / "settings.json")
    paths += [tool.settings_path(), tool.system_defaults_path()]
    return family.load_settings(paths, TOOL)


def _selected_auth(tool: GeminiCli) -> str | None:
    from bytespike_cli.errors import ConfigFileError

    try:
        value = _settings(tool, Path.cwd(), True).value("security", "auth", "selectedType")
    except ConfigFileError:
        return None
    return value if isinstance(value, str) else None


def trust(tool: GeminiCli, ctx: Context) -> tuple[bool | None, str]:
    """Is the working folder trusted (None: not decided yet), and why."""
    switch = ctx.env.get("GEMINI_CLI_TRUST_WORKSPACE")
    if ctx.env.get("GEMINI_RESTRICTED_MODE") == "true" or switch == "false":
        return False, "env GEMINI_RESTRICTED_MODE/GEMINI_CLI_TRUST_WORKSPACE"
    if switch == "true":
        return True, "env GEMINI_CLI_TRUST_WORKSPACE=true"
    user = _settings(tool, ctx.cwd, False).value("security", "folderTrust", "enabled")
    if user is False:
        return True, "folder trust is off (security.folderTrust.enabled)"
    rules = family.trusted_folders(tool.trusted_folders_path())
    decided = family.path_trusted(rules, ctx.cwd)
    return decided, shown_path(tool.trusted_folders_path(), ctx.home)


def env_files(tool: GeminiCli, ctx: Context, trusted: bool) -> list[Path]:
    """The one .env file Gemini CLI reads (``findEnvFile``), as a list (empty when none exists)."""
    home = tool.cli_home()
    for directory in (ctx.cwd, *ctx.cwd.parents):
        if trusted and (directory / ".gemini" / ".env").is_file():
            return [directory / ".gemini" / ".env"]
        if (directory / ".env").is_file():
            return [directory / ".env"]
    if trusted and (home / ".gemini" / ".env").is_file():
        return [home / ".gemini" / ".env"]
    if (home / ".env").is_file():
        return [home / ".env"]
    return []


def resolve_effective(tool: GeminiCli, ctx: Context) -> Effective:
    eff = Effective(TOOL, "Gemini CLI", GEMINI, base_default=GOOGLE_DEFAULT,
                    setup="`bytespike setup gemini-cli` (or `bytespike run gemini` for one session)")
    decided, why = trust(tool, ctx)
    trusted = decided is not False  # undecided: Gemini CLI asks (or, headless, stops) before it reads anything
    settings = _settings(tool, ctx.cwd, trusted)
    eff.findings += settings.findings
    found = family.read_env_files(env_files(tool, ctx, trusted), TOOL, eff.findings)
    if not trusted:  # only the allow-listed variables come from a file in an untrusted folder
        found = [family.EnvFile(f.path, {k: v for k, v in f.data.items() if k in UNTRUSTED_ALLOWED}) for f in found]

    base, base_places = family.variable(BASE_VAR, ctx.env, found, ctx.home, empty_is_unset=False)
    key, key_places = family.variable(KEY_VAR, ctx.env, found, ctx.home, empty_is_unset=False)
    selected = settings.first("security", "auth", "selectedType", home=ctx.home)
    model = settings.first("model", "name", home=ctx.home)
    ours = tool.env_path()
    wrote = family.read_env_files([ours], TOOL, [])
    set_up = bool(wrote) and ctx.is_gateway(wrote[0].data.get(BASE_VAR))

    if selected is not None and selected.value not in KEY_AUTH_TYPES:
        if set_up or (base and ctx.is_gateway(base.value)):
            eff.findings.append(fail(TOOL, "auth-type",
                                     f"Gemini CLI signs in with '{selected.value}' ({selected.source}): it ignores "
                                     f"{BASE_VAR} and {KEY_VAR} and never calls ByteSpike",
                                     f"set security.auth.selectedType to {API_KEY_AUTH} "
                                     "(`bytespike setup gemini-cli` does)", 9))
        eff.key_unknown = f"auth type {selected.value}"
        return eff

    if selected is not None and selected.value == "gateway":
        eff.findings.append(warn(TOOL, "auth-type", f"{selected.source} selects 'gateway': interactive sessions work, "
                                 "but Gemini CLI 0.61 refuses it in headless runs (`gemini -p`: \"Invalid auth method "
                                 "selected\")", f"select {API_KEY_AUTH} (`bytespike setup gemini-cli` does)"))
    if base is not None and base.value:
        eff.base = [base]
    if decided is None and set_up:
        eff.findings.append(warn(TOOL, "untrusted-folder",
                                 f"{ctx.cwd} is not a trusted folder yet: Gemini CLI reads {shown_path(ours, ctx.home)} "
                                 "only once it is trusted (headless runs stop until then)", TRUST_HINT))
    elif decided is False and set_up:
        eff.findings.append(fail(TOOL, "untrusted-folder",
                                 f"{ctx.cwd} is not trusted ({why}): Gemini CLI skips {shown_path(ours, ctx.home)} "
                                 f"here, so {BASE_VAR} is not set", TRUST_HINT, 9))
    for name, winner, places in ((BASE_VAR, base, base_places), (KEY_VAR, key, key_places)):
        shadow = family.shadowing(winner, places, ours, ctx.home)
        if shadow is not None and set_up:
            detail = f"{shadow.source} wins over {shown_path(ours, ctx.home)} {name}"
            if shadow.value:
                eff.findings.append(warn(TOOL, "shadowed", detail, shadow.remove))
            else:  # Gemini CLI checks only that the variable exists: an empty one hides the file's value
                eff.findings.append(fail(TOOL, "shadowed", detail + " (set but empty: Gemini CLI sees no value)",
                                         shadow.remove, 3 if name == KEY_VAR else 9))
        elif set_up and found and found[0].path != ours and winner is None and name in wrote[0].data:
            eff.findings.append(fail(TOOL, "shadowed",
                                     f"{shown_path(found[0].path, ctx.home)} is the .env file Gemini CLI reads here (the "
                                     f"first one it finds), so {shown_path(ours, ctx.home)} is ignored and no {name} is set",
                                     # not "add the key to that .env": projects commit and share theirs
                                     "start it with `bytespike run gemini` here (the URL and key go in its environment, "
                                     "which no .env file overrides), or run Gemini CLI outside that folder", 9))
    if key is not None and key.value:
        eff.key, eff.key_source, eff.key_remove = key.value, key.source, key.remove
    elif eff.base_url and ctx.is_gateway(eff.base_url):
        eff.key_unknown = f"no {KEY_VAR}"
        if not any(f.code == f"{TOOL}.shadowed" for f in eff.findings):
            eff.findings.append(fail(TOOL, "key-missing",
                                     f"Gemini CLI calls ByteSpike ({eff.base_source}) but finds no {KEY_VAR} in the "
                                     f"environment or in {shown_path(found[0].path, ctx.home) if found else 'a .env file'}",
                                     "run `bytespike setup gemini-cli` (it writes the key to ~/.gemini/.env)", 3))
    else:
        eff.key_unknown = "the key /auth saved (keychain), if any"
    if model is not None:
        eff.models = [(str(model.value), model.source)]
    return eff
