"""JetBrains AI Assistant: nothing is written; setup finds the installed IDEs and prints what to enter.

Why no file (notes/editor-facts.md §8): AI Assistant is closed source, the options file for third-party
providers is not public, and the key lives in the IDE's PasswordSafe (macOS Keychain, Secret Service,
KeePass), which only the IDE writes. So ``bytespike setup jetbrains`` gives the exact screen, fields and
values of the *OpenAI-compatible* provider (URL = root + ``/v1``, model ids from the live catalogue, the
key from ``bytespike print-key``), and never shows the key itself.

Installed IDEs are found from their per-version config folders (IDE 2020.1 and later):
``~/Library/Application Support/JetBrains/<Product><Version>`` (macOS),
``${XDG_CONFIG_HOME:-~/.config}/JetBrains/<Product><Version>`` (Linux),
``%APPDATA%\\JetBrains\\<Product><Version>`` (Windows); Android Studio uses ``Google/`` instead of
``JetBrains/``. AI Assistant is taken as present when ``options/AIAssistant*.xml`` exists or a plugin
folder named ``ml-llm`` is there.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from bytespike_cli.doctor.effective import OPENAI, Context, Effective
from bytespike_cli.doctor.findings import skip
from bytespike_cli.tools.base import Detection, Integration, Plan, SetupRequest, supports_tools

PRODUCTS = {
    "IntelliJIdea": "IntelliJ IDEA Ultimate", "IdeaIC": "IntelliJ IDEA Community", "IntelliJIdeaCE": "IntelliJ IDEA",
    "PyCharm": "PyCharm Professional", "PyCharmCE": "PyCharm Community", "WebStorm": "WebStorm",
    "GoLand": "GoLand", "PhpStorm": "PhpStorm", "CLion": "CLion", "Rider": "Rider", "RubyMine": "RubyMine",
    "DataGrip": "DataGrip", "RustRover": "RustRover", "Aqua": "Aqua", "DataSpell": "DataSpell",
    "AppCode": "AppCode", "AndroidStudio": "Android Studio", "AndroidStudioPreview": "Android Studio Preview",
}
AI_PLUGIN_DIR = "ml-llm"  # AI Assistant's plugin folder name [unverified, editor-facts §8.2]
_IDE_DIR = re.compile(r"^([A-Za-z]+?)(\d{4})\.(\d+)(?:\.(\d+))?$")


@dataclass(frozen=True)
class InstalledIde:
    product: str  # the folder's product part, e.g. "PyCharm"
    version: tuple[int, ...]
    config_dir: Path
    ai_assistant: bool

    @property
    def title(self) -> str:
        return f"{PRODUCTS.get(self.product, self.product)} {'.'.join(map(str, self.version))}"


class JetBrains(Integration):
    name = "jetbrains"
    title = "JetBrains AI Assistant"
    key_modes = ("helper",)  # the user pastes what `bytespike print-key` prints
    writes_files = False

    def config_roots(self) -> tuple[Path, ...]:
        """Where the IDEs keep one config folder per product and version (JetBrains, then Google)."""
        if sys.platform == "darwin":
            base = self.home() / "Library" / "Application Support"
        elif os.name == "nt":
            appdata = self.env("APPDATA")
            base = Path(appdata) if appdata else self.home() / "AppData" / "Roaming"
        else:
            xdg = self.env("XDG_CONFIG_HOME")
            base = Path(xdg) if xdg else self.home() / ".config"
        return (base / "JetBrains", base / "Google")

    def plugin_dirs(self, config_dir: Path) -> tuple[Path, ...]:
        """Plugins sit in ``<config>/plugins`` on macOS/Windows, in the data dir on Linux."""
        dirs = [config_dir / "plugins"]
        if sys.platform != "darwin" and os.name != "nt":
            xdg = self.env("XDG_DATA_HOME")
            data = Path(xdg) if xdg else self.home() / ".local" / "share"
            dirs.append(data / config_dir.parent.name / config_dir.name)
        return tuple(dirs)

    def installed_ides(self) -> list[InstalledIde]:
        """The newest version of each installed product."""
        newest: dict[str, InstalledIde] = {}
        for root in self.config_roots():
            if not root.is_dir():
                continue
            for entry in root.iterdir():
                match = _IDE_DIR.match(entry.name)
                if not match or not entry.is_dir():
                    continue
                if root.name == "Google" and not match.group(1).startswith("AndroidStudio"):
                    continue
                version = tuple(int(part) for part in match.groups()[1:] if part is not None)
                ide = InstalledIde(match.group(1), version, entry, self._has_ai_assistant(entry))
                current = newest.get(ide.product)
                if current is None or ide.version > current.version:
                    newest[ide.product] = ide
        return sorted(newest.values(), key=lambda ide: ide.title)

    def _has_ai_assistant(self, config_dir: Path) -> bool:
        options = config_dir / "options"
        if options.is_dir() and any(options.glob("AIAssistant*.xml")):
            return True
        return any((plugins / AI_PLUGIN_DIR).is_dir() for plugins in self.plugin_dirs(config_dir))

    # -- the interface -----------------------------------------------------------------------------------
    def resolve(self, ctx: Context) -> list[Effective]:
        return resolve_effective(ctx)

    def files(self) -> tuple[Path, ...]:
        return ()

    def detect(self) -> Detection:
        ides = self.installed_ides()
        if ides:
            evidence = ", ".join(f"{ide.title} ({ide.config_dir})" for ide in ides)
        else:
            evidence = "not found (no " + " or ".join(str(r / "<Product><Version>") for r in self.config_roots()) + ")"
        details = tuple(
            f"{ide.title}: AI Assistant {'found' if ide.ai_assistant else 'not found (install it under Settings → Plugins)'}"
            for ide in ides
        ) + ("AI Assistant keeps the provider in the IDE and the key in its password safe: "
             "bytespike cannot read whether it is set up",)
        return Detection(self.name, self.title, bool(ides), evidence, (), False, None, details)

    def plan(self, request: SetupRequest) -> Plan:
        self.key_mode(request)
        ides = self.installed_ides()
        names = ", ".join(ide.title for ide in ides) or "your JetBrains IDE"
        chat_ids = [m.id for m in request.chat_models]
        steps = [
            f"in {names}: Settings (Ctrl+Alt+S, on macOS ⌘,) → Tools → AI Assistant → Providers & API keys "
            "(called \"Models & API Keys\" in some versions)",
            "under Third-party AI providers, Provider: OpenAI-compatible",
            f"URL: {request.openai_base}",
            f"API Key: run {_copy_command(request.profile)} to copy the key, then paste it here "
            f"(`bytespike print-key --profile {request.profile}` prints it)",
        ]
        if supports_tools(request.chat):
            steps.append("turn on tool calling (MCP) support")
        steps.append("Test Connection, then Apply")
        steps.append(f"in the AI Chat window, pick the model: {', '.join(chat_ids)}")
        if request.fast_model is not None:
            steps.append(f"if your version lets you choose models per feature (quick helpers, completion), "
                         f"use {request.fast_model.id} there")
        steps.append("first time, from the AI Chat window instead: \"Use API Key or Local Models\" → Provider "
                      f"OpenAI-compatible → Base URL {request.openai_base}, Key as above, Model {request.chat.id} "
                      "→ Continue")
        notes = [
            "bytespike writes no file for JetBrains: AI Assistant keeps the provider in the IDE's settings and the "
            "key in the IDE's password safe, which only the IDE can write",
            "with your own key AI Assistant needs no JetBrains AI subscription, but some of its features may be "
            "unavailable",
        ]
        warnings = [f"{ide.title}: AI Assistant not found; install it under Settings → Plugins first"
                    for ide in ides if not ide.ai_assistant]
        if not ides:
            warnings.append("no JetBrains IDE found (looked in "
                            + ", ".join(str(r) for r in self.config_roots()) + ")")
        return Plan(self.name, (), tuple(notes), tuple(warnings), (), tuple(steps))


def _copy_command(profile: str) -> str:
    command = f"bytespike print-key --profile {profile}"
    if sys.platform == "darwin":
        return f"`{command} | pbcopy`"
    if os.name == "nt":
        return f"`{command} | clip`"
    return f"`{command} | xclip -selection clipboard` (Wayland: `{command} | wl-copy`)"


# -- resolve: what the tool will effectively use (bytespike doctor) --------------------
def resolve_effective(ctx: Context) -> list[Effective]:
    eff = Effective("jetbrains", "JetBrains AI Assistant", OPENAI, base_default=None,
                    key_unknown="kept in the IDE's password safe")
    eff.findings.append(skip("jetbrains", "not-inspectable",
                             "AI Assistant keeps its provider in the IDE and the key in the IDE's password safe: "
                             "nothing to read from outside",
                             "in the IDE: Settings → Tools → AI Assistant → Providers & API keys → Test Connection"))
    return [eff]
