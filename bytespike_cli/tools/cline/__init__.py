"""Cline (VS Code / JetBrains extension and the Cline CLI): the file stores under ``~/.cline/data/``.

Where (notes/editor-facts.md §6, cline/cline ``apps/vscode/src/shared/storage/data-dir.ts``): the data
directory is ``$CLINE_DATA_DIR``, else ``$CLINE_DIR/data``, else ``~/.cline/data`` (``%USERPROFILE%``
on Windows). Cline 3.66+ and 4.x keep two layers there, and we write both, because each client reads
a different one and neither overwrites the other ("file store wins, existing values are never
overwritten"):

- legacy layer, read by the VS Code and JetBrains extensions:
  ``globalState.json``: ``actModeApiProvider`` / ``planModeApiProvider`` = ``"openai"`` (Cline's
  "OpenAI Compatible" provider), ``openAiBaseUrl`` = root + ``/v1``, ``act/planModeOpenAiModelId`` and
  ``act/planModeOpenAiModelInfo`` (context window, output cap, images, tools), ``welcomeViewCompleted``;
  ``secrets.json``: ``openAiApiKey``. Cline reads the key from nowhere else (no env var, no command),
  so the key is written; the file is kept 0600. The single-mode ``apiProvider``/``openAiModelId`` keys
  are not written: current Cline never reads them.
- SDK layer, read by the Cline CLI and 4.x (``settings/providers.json``, ``settings/models.json``, or
  ``$CLINE_PROVIDER_SETTINGS_PATH``): ``providers["openai-compatible"].settings`` {provider, apiKey,
  baseUrl, model, contextWindow, maxTokens}, ``lastUsedProvider``, and our model ids in models.json with
  ``"tools"`` among their capabilities. Both files are zod-validated by Cline and an invalid file is
  read as *empty* (and saved back empty), so we refuse a ``version`` other than 1 instead of guessing.

Cline caches the stores in memory and writes them back whole, so we refuse while a Cline host runs
(an editor that has the extension, a JetBrains IDE with the plugin, the ``cline`` CLI). Cline for
VS Code up to 3.65 keeps its settings in VS Code's encrypted SecretStorage, which nobody else can
write: when that is the only Cline found, setup writes nothing and says what to type instead.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from bytespike_cli.errors import ConfigFileError
from bytespike_cli.formats import MISSING, open_document, same_value
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

EXTENSION_ID = "saoudrizwan.claude-dev"
FILE_STORE_SINCE = (3, 66, 0)  # commit 6ed3944f: VS Code storage exported to ~/.cline/data
LEGACY_PROVIDER = "openai"  # "OpenAI Compatible" in Cline's provider list
# The Cline CLI 3.0.65 bundle computes a request's max_tokens as min(32000, the model's maxOutputTokens), and
# the model info it builds for an openai-compatible provider has no maxOutputTokens (neither providers.json's
# maxTokens nor models.json's reach it): seen with the real CLI in tests/realclients, read in the
# @cline/cli-linux-x64 3.0.65 bundle (`yc=32000`, the max-tokens resolver next to it).
CLI_DEFAULT_OUTPUT_TOKENS = 32_000
SDK_PROVIDER = "openai-compatible"
STORE_VERSION = 1

# editor home folder -> (display name, process names of its main executable, app bundle/exe path hint)
EDITORS: dict[str, tuple[str, tuple[str, ...], str]] = {
    ".vscode": ("VS Code", ("code",), "Visual Studio Code.app"),
    ".vscode-insiders": ("VS Code Insiders", ("code-insiders",), "Visual Studio Code - Insiders.app"),
    ".vscode-oss": ("VSCodium", ("codium", "vscodium"), "VSCodium.app"),
    ".cursor": ("Cursor", ("cursor",), "Cursor.app"),
    ".windsurf": ("Windsurf", ("windsurf",), "Windsurf.app"),
    ".vscode-server": ("VS Code Server", (), ".vscode-server"),
}
JETBRAINS_LAUNCHERS = ("idea", "pycharm", "webstorm", "goland", "clion", "rider", "rubymine", "phpstorm",
                       "datagrip", "rustrover", "studio", "aqua", "dataspell")
_VERSION_DIR = re.compile(rf"^{re.escape(EXTENSION_ID)}-(\d+)\.(\d+)\.(\d+)", re.I)

if TYPE_CHECKING:  # doctor's types; the resolver module is imported only by doctor
    from bytespike_cli.doctor.effective import Context, Effective


# -- processes (injectable: tests pass a list instead of reading the real process table) -----------------
@dataclass(frozen=True)
class RunningProcess:
    pid: int
    name: str
    exe: str = ""
    cmdline: tuple[str, ...] = ()


ProcessLister = Callable[[], Iterable[RunningProcess]]


def system_processes() -> list[RunningProcess]:
    """The real process table (psutil); processes we may not inspect show what psutil could read."""
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "name", "exe", "cmdline"]):
        info = proc.info
        found.append(RunningProcess(int(info.get("pid") or 0), info.get("name") or "", info.get("exe") or "",
                                    tuple(info.get("cmdline") or ())))
    return found


def _base_name(proc: RunningProcess) -> str:
    name = (proc.name or Path(proc.exe).name).lower()
    return name[:-4] if name.endswith(".exe") else name


@dataclass(frozen=True)
class ExtensionInstall:
    editor: str  # display name, e.g. "VS Code"
    folder: str  # the editor's home folder name, e.g. ".vscode"
    path: Path
    version: tuple[int, int, int]

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))

    @property
    def uses_file_store(self) -> bool:
        return self.version >= FILE_STORE_SINCE


class Cline(Integration):
    name = "cline"
    version_program = "cline"
    verified_versions = ('3.0.65', '3.0.65')
    title = "Cline"
    key_modes = ("inline",)  # Cline reads the key only from its own secrets store

    def __init__(self, home: Path | None = None, env: dict[str, str] | None = None,
                 processes: ProcessLister | None = None):
        super().__init__(home, env)
        self._processes = processes or system_processes

    # -- where ---------------------------------------------------------------------------------------
    def cline_dir(self) -> Path:
        override = self.env("CLINE_DIR")
        return Path(override.strip()).expanduser() if override and override.strip() else self.home() / ".cline"

    def data_dir(self) -> Path:
        override = self.env("CLINE_DATA_DIR")
        if override and override.strip():
            return Path(override.strip()).expanduser()
        return self.cline_dir() / "data"

    def global_state_path(self) -> Path:
        return self.data_dir() / "globalState.json"

    def secrets_path(self) -> Path:
        return self.data_dir() / "secrets.json"

    def providers_path(self) -> Path:
        override = self.env("CLINE_PROVIDER_SETTINGS_PATH")
        if override and override.strip():
            return Path(override.strip()).expanduser()
        return self.data_dir() / "settings" / "providers.json"

    def models_path(self) -> Path:
        return self.providers_path().parent / "models.json"

    def resolve(self, ctx: "Context") -> list["Effective"]:
        from bytespike_cli.tools.cline.resolve import resolve_effective

        return resolve_effective(ctx)

    def files(self) -> tuple[Path, ...]:
        return (self.global_state_path(), self.secrets_path(), self.providers_path(), self.models_path())

    def _read(self, path: Path) -> dict:
        raw = read_bytes(path)
        return {} if raw is None else open_document("json", decode_text(raw, path), path).data

    # -- what is installed ------------------------------------------------------------------------------
    def extension_installs(self) -> list[ExtensionInstall]:
        """Cline extension folders in every VS Code-family editor's home (uninstalled leftovers skipped)."""
        found = []
        for folder, (editor, _names, _hint) in EDITORS.items():
            extensions = self.home() / folder / "extensions"
            if not extensions.is_dir():
                continue
            obsolete = _obsolete(extensions)
            for entry in sorted(extensions.iterdir()):
                match = _VERSION_DIR.match(entry.name)
                if match and entry.is_dir() and entry.name not in obsolete:
                    version = tuple(int(part) for part in match.groups())
                    found.append(ExtensionInstall(editor, folder, entry, version))  # type: ignore[arg-type]
        return found

    def jetbrains_plugins(self) -> list[Path]:
        """Cline plugin folders of JetBrains IDEs (plugins live in the config dir on macOS/Windows and in
        the data dir on Linux)."""
        roots = [_jetbrains_config_root(self), _jetbrains_plugins_root_linux(self)]
        found = []
        for root in roots:
            if root is None or not root.is_dir():
                continue
            for ide in sorted(root.iterdir()):
                for plugins in (ide / "plugins", ide):
                    if not plugins.is_dir():
                        continue
                    found.extend(p for p in sorted(plugins.iterdir()) if p.is_dir() and "cline" in p.name.lower())
        return sorted(set(found))

    def _file_store_users(self, installs: list[ExtensionInstall]) -> list[str]:
        """Evidence of a Cline that reads ~/.cline/data."""
        evidence = [f"Cline {i.version_text} in {i.editor}" for i in installs if i.uses_file_store]
        cli = self.which("cline")
        if cli:
            evidence.append(f"cline on PATH ({cli})")
        evidence.extend(f"JetBrains plugin {p}" for p in self.jetbrains_plugins())
        if self.global_state_path().exists() or self.providers_path().exists():
            evidence.append(f"{self.data_dir()} exists")
        return evidence

    def old_vscode_only(self) -> list[ExtensionInstall]:
        """The old (< 3.66) extension installs, when they are the only Cline on this machine."""
        installs = self.extension_installs()
        old = [i for i in installs if not i.uses_file_store]
        return old if old and not self._file_store_users(installs) else []

    # -- the interface -----------------------------------------------------------------------------------
    def detect(self) -> Detection:
        installs = self.extension_installs()
        modern = self._file_store_users(installs)
        old = [i for i in installs if not i.uses_file_store]
        if modern:
            installed, evidence = True, "; ".join(modern)
        elif old:
            installed, evidence = True, "; ".join(f"Cline {i.version_text} in {i.editor}" for i in old)
        elif self.cline_dir().is_dir():
            installed, evidence = True, f"{self.cline_dir()} exists"
        else:
            installed, evidence = False, "not found (no Cline extension, no `cline` on PATH, no ~/.cline)"
        state = self._read(self.global_state_path())
        legacy = state.get("actModeApiProvider") in (LEGACY_PROVIDER, SDK_PROVIDER) and \
            looks_like_bytespike_url(state.get("openAiBaseUrl"), known_roots())
        sdk = self._sdk_settings()
        cli = looks_like_bytespike_url(sdk.get("baseUrl"), known_roots())
        details = []
        if legacy:
            details.append(f"extension: act model {state.get('actModeOpenAiModelId')}, "
                           f"plan model {state.get('planModeOpenAiModelId')}")
        if cli:
            details.append(f"CLI: model {sdk.get('model')}")
        configured = legacy or cli
        if old and not modern:
            details.append(_old_explanation(old))
        return Detection(self.name, self.title, installed, evidence, self.files(), bool(configured), None,
                         tuple(details))

    def plan(self, request: SetupRequest) -> Plan:
        old = self.old_vscode_only()
        if old:
            # a warning, not a note: it is the whole answer, and notes are hidden when nothing changes
            return Plan(self.name, warnings=(_old_explanation(old),), manual_steps=_manual_steps(request))
        self.key_mode(request)
        key = request.key or ""
        chat = request.chat
        info = _model_info(chat)
        legacy = (
            Set(("actModeApiProvider",), LEGACY_PROVIDER),
            Set(("planModeApiProvider",), LEGACY_PROVIDER),
            Set(("openAiBaseUrl",), request.openai_base),
            Set(("actModeOpenAiModelId",), chat.id),
            Set(("actModeOpenAiModelInfo",), info),
            Set(("planModeOpenAiModelId",), chat.id),
            Set(("planModeOpenAiModelInfo",), info),
            Set(("welcomeViewCompleted",), True),
        )
        files = [
            FilePlan(self.global_state_path(), "json", legacy),
            FilePlan(self.secrets_path(), "json", (Set(("openAiApiKey",), key),), secret=True),
            FilePlan(self.providers_path(), "json", self._provider_edits(request, key), secret=True),
            FilePlan(self.models_path(), "json", self._models_edits(request)),
        ]
        notes = [
            "quit and reopen every editor that has Cline (and any `cline` session) so it reads the new settings",
        ]
        if request.fast_model is not None and request.fast_model.id != chat.id:
            notes.append(f"Plan mode uses {chat.id} too; to plan with the faster {request.fast_model.id}, "
                         "pick it for Plan mode in Cline's settings")
        warnings = [f"{i.editor}'s Cline {i.version_text} is older than 3.66 and keeps its own settings in "
                    f"{i.editor}'s encrypted storage: it will not see this change until it is updated"
                    for i in self.extension_installs() if not i.uses_file_store]
        limit = chat.max_output_tokens
        if limit and limit < CLI_DEFAULT_OUTPUT_TOKENS:
            warnings.append(
                f"the Cline CLI (3.0) asks for {CLI_DEFAULT_OUTPUT_TOKENS} output tokens on an OpenAI-compatible "
                f"provider whatever its settings say, and {chat.id} allows {limit}: the gateway will refuse its "
                f"requests; pick a model with an output limit of {CLI_DEFAULT_OUTPUT_TOKENS} or more with --model "
                "(`bytespike models` shows MAX OUT)")
        return Plan(self.name, tuple(files), tuple(notes), tuple(warnings), (key,) if key else ())

    def _provider_edits(self, request: SetupRequest, key: str) -> tuple:
        path = self.providers_path()
        current = self._read_versioned(path)
        entry = ("providers", SDK_PROVIDER)
        settings = {"provider": SDK_PROVIDER, "apiKey": key, "baseUrl": request.openai_base, "model": request.chat.id}
        if model_context(request.chat):
            settings["contextWindow"] = model_context(request.chat)
        if request.chat.max_output_tokens and request.chat.max_output_tokens > 0:
            settings["maxTokens"] = request.chat.max_output_tokens
        edits: list = [Set(("version",), STORE_VERSION), Set(("lastUsedProvider",), SDK_PROVIDER)]
        edits += [Set(entry + ("settings", name), value) for name, value in settings.items()]
        edits.append(Set(entry + ("tokenSource",), "manual"))
        providers = current.get("providers") if isinstance(current.get("providers"), dict) else {}
        stored = providers.get(SDK_PROVIDER) if isinstance(providers.get(SDK_PROVIDER), dict) else {}
        stored_settings = stored.get("settings")
        unchanged = isinstance(stored_settings, dict) and all(
            same_value(stored_settings.get(name, MISSING), value) for name, value in settings.items()
        )
        if not (unchanged and isinstance(stored.get("updatedAt"), str)):
            # zod wants an ISO datetime; only a real change gets a new stamp, so a re-run writes nothing
            edits.append(Set(entry + ("updatedAt",), _iso_now()))
        return tuple(edits)

    def _models_edits(self, request: SetupRequest) -> tuple:
        self._read_versioned(self.models_path())
        edits: list = [Set(("version",), STORE_VERSION)]
        for model in request.all_models:
            edits.append(Set(("providers", SDK_PROVIDER, "models", model.id),
                             {"id": model.id, "name": model.id, "capabilities": _sdk_capabilities(model)}))
        return tuple(edits)

    def _read_versioned(self, path: Path) -> dict:
        data = self._read(path)
        version = data.get("version", MISSING)
        if data and version is not MISSING and version != STORE_VERSION:
            raise ConfigFileError(
                path, f"has version {json.dumps(version)}, bytespike knows only version {STORE_VERSION}",
                "update bytespike, or set the provider with `cline auth -p openai-compatible` instead",
            )
        return data

    def _sdk_settings(self) -> dict:
        providers = self._read(self.providers_path()).get("providers")
        entry = providers.get(SDK_PROVIDER) if isinstance(providers, dict) else None
        settings = entry.get("settings") if isinstance(entry, dict) else None
        return settings if isinstance(settings, dict) else {}

    def plan_remove(self) -> Plan:
        """Without a journal: take out what points at ByteSpike (the user's earlier choice is unknown)."""
        roots = known_roots()
        files = []
        state = self._read(self.global_state_path())
        if looks_like_bytespike_url(state.get("openAiBaseUrl"), roots):
            ours = [name for name in ("openAiBaseUrl", "actModeOpenAiModelId", "actModeOpenAiModelInfo",
                                      "planModeOpenAiModelId", "planModeOpenAiModelInfo") if name in state]
            ours += [name for name in ("actModeApiProvider", "planModeApiProvider")
                     if state.get(name) in (LEGACY_PROVIDER, SDK_PROVIDER)]
            files.append(FilePlan(self.global_state_path(), "json", tuple(Delete((n,)) for n in ours)))
            secret = self._read(self.secrets_path()).get("openAiApiKey")
            if isinstance(secret, str) and secret.startswith("sk-byts-"):
                files.append(FilePlan(self.secrets_path(), "json", (Delete(("openAiApiKey",)),), secret=True))
        if looks_like_bytespike_url(self._sdk_settings().get("baseUrl"), roots):
            edits: list = [Delete(("providers", SDK_PROVIDER))]
            if self._read(self.providers_path()).get("lastUsedProvider") == SDK_PROVIDER:
                edits.append(Delete(("lastUsedProvider",)))
            files.append(FilePlan(self.providers_path(), "json", tuple(edits), secret=True))
        if not files:
            return Plan(self.name)
        warnings = ("no record of the original settings: the ByteSpike provider was removed and Cline falls "
                    "back to its default provider; model ids added to models.json were left in place",)
        return Plan(self.name, tuple(files), warnings=warnings)

    def running(self) -> list[str]:
        """Cline hosts that would write their in-memory copy of the stores back over ours."""
        editors = {i.folder for i in self.extension_installs()}
        plugin = bool(self.jetbrains_plugins())
        processes = list(self._processes())
        busy: dict[str, list[int]] = {}
        for proc in processes:
            name = _base_name(proc)
            label = None
            if _is_cline_cli(proc, name):
                label = "the Cline CLI"
            else:
                for folder in sorted(editors):
                    editor, names, hint = EDITORS[folder]
                    if name in names or hint.lower() in (proc.exe or "").lower() or (
                            folder == ".vscode-server" and any(hint in arg for arg in proc.cmdline)):
                        label = f"{editor} (it has the Cline extension)"
                        break
                if label is None and plugin and _is_jetbrains_ide(proc, name):
                    label = f"{proc.name or Path(proc.exe).name} (a JetBrains IDE with the Cline plugin)"
            if label is not None:
                busy.setdefault(label, []).append(proc.pid)
        alive = {p.pid for p in processes}
        for entry, pid in self._registered(alive):
            busy.setdefault(f"a Cline instance listed in {entry}", []).append(pid)
        return [f"{label}, pid {', '.join(map(str, sorted(pids)[:3]))}{'…' if len(pids) > 3 else ''}"
                for label, pids in busy.items()]

    def _registered(self, alive: set[int]) -> list[tuple[Path, int]]:
        """Older Cline cores list themselves in ~/.cline/registry/*.json with their process id."""
        registry = self.cline_dir() / "registry"
        found = []
        if registry.is_dir():
            for entry in sorted(registry.glob("*.json")):
                try:
                    pid = int(json.loads(entry.read_text(encoding="utf-8")).get("process_pid"))
                except (OSError, ValueError, TypeError, AttributeError):
                    continue
                if pid in alive:
                    found.append((entry, pid))
        return found


# -- helpers ------------------------------------------------------------------------------------------------
def _obsolete(extensions: Path) -> set[str]:
    """Extension folders VS Code has uninstalled but not deleted yet (``extensions/.obsolete``)."""
    try:
        data = json.loads((extensions / ".obsolete").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {name for name, gone in data.items() if gone} if isinstance(data, dict) else set()


def _jetbrains_config_root(tool: Integration) -> Path | None:
    if sys.platform == "darwin":
        return tool.home() / "Library" / "Application Support" / "JetBrains"
    if os.name == "nt":
        appdata = tool.env("APPDATA")
        return (Path(appdata) if appdata else tool.home() / "AppData" / "Roaming") / "JetBrains"
    xdg = tool.env("XDG_CONFIG_HOME")
    return (Path(xdg) if xdg else tool.home() / ".config") / "JetBrains"


def _jetbrains_plugins_root_linux(tool: Integration) -> Path | None:
    if sys.platform == "darwin" or os.name == "nt":
        return None
    xdg = tool.env("XDG_DATA_HOME")
    return (Path(xdg) if xdg else tool.home() / ".local" / "share") / "JetBrains"


def _is_cline_cli(proc: RunningProcess, name: str) -> bool:
    if name == "cline":
        return True
    if not name.startswith("node"):
        return False
    for arg in proc.cmdline[1:]:
        parts = re.split(r"[\\/]", arg.lower())
        if any(part == "cline" or part == "@cline" or part.startswith(("cline-", "cline.")) for part in parts):
            return True
    return False


def _is_jetbrains_ide(proc: RunningProcess, name: str) -> bool:
    bare = name.removesuffix("64")
    if bare in JETBRAINS_LAUNCHERS:
        return True
    return name == "java" and any("com.intellij" in arg for arg in proc.cmdline)


def _model_info(model) -> dict:
    """Cline's OpenAiCompatibleModelInfo for a catalogue model (unknown numbers are left out)."""
    info: dict = {}
    if model_context(model):
        info["contextWindow"] = model_context(model)
    if model.max_output_tokens and model.max_output_tokens > 0:
        info["maxTokens"] = model.max_output_tokens
    info.update({"supportsImages": supports_images(model), "supportsPromptCache": False,
                 "supportsTools": supports_tools(model)})
    return info


def _sdk_capabilities(model) -> list[str]:
    """models.json capability names. "tools" always: a list without it revokes tool calling, and Cline
    cannot work without tools."""
    caps = ["tools"]
    if "streaming" in model.capabilities or not model.capabilities:
        caps.append("streaming")
    if supports_images(model):
        caps.append("images")
    if "thinking" in model.capabilities or "reasoning" in model.capabilities:
        caps.append("reasoning")
    return caps


def _iso_now() -> str:
    now = _dt.datetime.now(_dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _old_explanation(old: list[ExtensionInstall]) -> str:
    which = ", ".join(f"Cline {i.version_text} in {i.editor}" for i in old)
    return (f"{which} keeps its settings in the editor's own storage and its key in the editor's encrypted "
            "SecretStorage, which no other program can write; bytespike writes nothing for it. Update Cline "
            "to 3.66 or later and run this again, or enter the values below in Cline's settings")


def _manual_steps(request: SetupRequest) -> tuple[str, ...]:
    return (
        "open Cline's panel → the gear icon (Settings) → API Configuration",
        "API Provider: OpenAI Compatible",
        f"Base URL: {request.openai_base}",
        f"API Key: paste the output of `bytespike print-key --profile {request.profile}`",
        f"Model ID: {request.chat.id}",
        "Done; do the same for Plan mode if \"Use different models for Plan and Act\" is on",
    )
