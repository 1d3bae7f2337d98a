"""GitHub Copilot in VS Code: a "Custom Endpoint" model group in ``chatLanguageModels.json``; the key by hand.

Facts, read in the source (github microsoft/vscode, where Copilot Chat now lives under ``extensions/copilot``;
and microsoft/vscode-copilot-chat up to v0.42, commit 31acd00a86424e2ee6e980e54919cf31fbf88030, 2026-03-29):

- Where: bring-your-own-key models are *provider groups* that VS Code itself keeps in the profile's
  ``chatLanguageModels.json`` (``languageModelsResource``), in the User folder: macOS ``~/Library/Application
  Support/<Product>/User``, Linux ``${XDG_CONFIG_HOME:-~/.config}/<Product>/User``, Windows
  ``%APPDATA%\\<Product>\\User``, with ``<Product>`` = ``Code``, ``Code - Insiders`` or ``VSCodium``. The file is a
  JSON list of groups ``{"name", "vendor", "apiKey"?, "apiType"?, "models": [...]}`` (JSONC: people comment it).
- The vendor: ``customendpoint`` (``extensions/copilot/src/extension/byok/vscode-node/customEndpointProvider.ts``
  @ 2613af9f21a68dc305bcc283517e48afe54e6039: ``CustomEndpointModelProviderConfig`` {url?, apiType?, models}, each
  model {id, name, url, apiType?, maxInputTokens, maxOutputTokens, toolCalling, vision, thinking?, streaming?,
  requestHeaders?, ...}; a model URL without ``/chat/completions``, ``/responses`` or ``/messages`` gets the
  path of ``apiType`` appended); ``byokContribution.ts`` registers it next to ``CustomOAI``. Copilot Chat 0.42
  and older had only ``customoai`` (same model fields, no ``apiType``), shown in Insiders only (``"when":
  "productQualityType != 'stable'"``, still so in the 0.49.0 manifest, microsoft/vscode 0024ccf9); VS Code's
  language-model service lists both as built-in BYOK vendors. We write ``customendpoint`` with full
  ``…/v1/chat/completions`` URLs, which both read the same way.
- The key: ``apiKey`` is declared ``"secret": true``; VS Code stores what the user types in its SecretStorage
  and writes only a ``${input:chat.lm.secret.…}`` reference into the file (``_resolveLanguageModelProviderGroup``);
  a plain string there is read as the *name* of a secret, not as a key. So bytespike never writes ``apiKey``:
  the user enters the key once in *Chat: Manage Language Models* (printed as manual steps), and a key already
  entered (its reference) is kept: setup writes the whole group (so ``--remove`` takes all of it away) but
  carries over what VS Code added to it (``apiKey``'s reference, per-model ``settings``).
- The setting the issue names, ``github.copilot.chat.customOAIModels`` in ``settings.json``, is
  ``ConfigKey.Deprecated.CustomOAIModels``: Copilot Chat reads it once, migrates it into a ``CustomOAI`` group
  and marks the migration done in its global state (``customOAIProvider.ts`` ``migrateConfig``); later edits are
  never read. So bytespike does not write it; setup and doctor say so when a user has ByteSpike there.
- Editions: every edition whose User folder exists gets the group (as for Cline, which covers every VS Code
  family editor); with none, VS Code. VSCodium's marketplace (Open VSX) does not carry Copilot Chat.
- No real client: VS Code is a GUI; proof is the harness (every file state) and doctor.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bytespike_cli.errors import ConfigFileError
from bytespike_cli.formats import open_document
from bytespike_cli.formats.common import Match, decode_text
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

if TYPE_CHECKING:
    from bytespike_cli.doctor.effective import Context, Effective
    from bytespike_cli.gateway import Model

GROUP_NAME = "ByteSpike"
GROUP = Match("name", GROUP_NAME)
VENDOR = "customendpoint"
OLD_VENDOR = "customoai"
LEGACY_SETTING = "github.copilot.chat.customOAIModels"
FORMAT = "jsonc-list"
MODELS_FILE = "chatLanguageModels.json"
FALLBACK_CONTEXT, FALLBACK_OUTPUT = 8192, 4096


@dataclass(frozen=True)
class Edition:
    title: str
    folder: str  # the product folder under the OS's config root
    programs: tuple[str, ...]  # command-line launchers


EDITIONS = (
    Edition("VS Code", "Code", ("code",)),
    Edition("VS Code Insiders", "Code - Insiders", ("code-insiders",)),
    Edition("VSCodium", "VSCodium", ("codium", "vscodium")),
)


class VSCodeCopilot(Integration):
    name = "vscode-copilot"
    title = "GitHub Copilot in VS Code"
    key_modes = ("helper",)  # the user pastes what `bytespike print-key` prints into VS Code

    # -- where -------------------------------------------------------------------------------------
    def config_root(self) -> Path:
        if sys.platform == "darwin":
            return self.home() / "Library" / "Application Support"
        if os.name == "nt":
            appdata = self.env("APPDATA")
            return Path(appdata) if appdata else self.home() / "AppData" / "Roaming"
        xdg = self.env("XDG_CONFIG_HOME")
        return Path(xdg) if xdg else self.home() / ".config"

    def user_dir(self, edition: Edition) -> Path:
        return self.config_root() / edition.folder / "User"

    def editions(self) -> tuple[Edition, ...]:
        """The editions to set up: those whose User folder exists; with none, VS Code."""
        found = tuple(e for e in EDITIONS if self.user_dir(e).is_dir())
        return found or EDITIONS[:1]

    def models_path(self, edition: Edition) -> Path:
        return self.user_dir(edition) / MODELS_FILE

    def settings_path(self, edition: Edition) -> Path:
        return self.user_dir(edition) / "settings.json"

    def files(self) -> tuple[Path, ...]:
        return tuple(self.models_path(e) for e in self.editions())

    def read_groups(self, path: Path) -> list:
        raw = read_bytes(path)
        if raw is None:
            return []
        data = open_document(FORMAT, decode_text(raw, path), path).data
        return data if isinstance(data, list) else []

    def legacy_entries(self, edition: Edition) -> dict[str, Any]:
        """ByteSpike models in the deprecated settings.json entry (read once by Copilot Chat, then ignored)."""
        path = self.settings_path(edition)
        raw = read_bytes(path)
        if raw is None:
            return {}
        try:
            data = open_document("jsonc", decode_text(raw, path), path).data
        except ConfigFileError:
            return {}
        entries = data.get(LEGACY_SETTING) if isinstance(data, dict) else None
        if not isinstance(entries, dict):
            return {}
        return {model_id: entry for model_id, entry in entries.items()
                if isinstance(entry, dict) and is_gateway_url(entry.get("url"), known_roots())}

    # -- the interface -----------------------------------------------------------------------------
    def resolve(self, ctx: "Context") -> list["Effective"]:
        return resolve_effective(ctx)

    def detect(self) -> Detection:
        present = [e for e in EDITIONS if self.user_dir(e).is_dir()]
        on_path = [(e, exe) for e in EDITIONS if (exe := self.which(*e.programs))]
        if present:
            evidence = ", ".join(f"{e.title} ({self.user_dir(e)})" for e in present)
        elif on_path:
            evidence = ", ".join(f"{e.title} ({exe})" for e, exe in on_path)
        else:
            evidence = "not found (no VS Code, VS Code Insiders or VSCodium user folder)"
        configured, details = False, []
        for edition in self.editions():
            group = find_group(self.read_groups(self.models_path(edition)), GROUP_NAME)
            if group is not None and group_is_ours(group, known_roots()):
                configured = True
                ids = ", ".join(str(m.get("id")) for m in group.get("models") or [] if isinstance(m, dict))
                key = "key entered" if group.get("apiKey") else "no key entered yet (Chat: Manage Language Models)"
                details.append(f"{edition.title}: models {ids}; {key}")
        details.append("VS Code keeps the key in its secret storage: bytespike cannot read whether it is right")
        return Detection(self.name, self.title, bool(present or on_path), evidence, self.files(), configured,
                         None, tuple(details))

    def plan(self, request: SetupRequest) -> Plan:
        self.key_mode(request)
        models = [model_entry(m, request) for m in request.all_models]
        editions = self.editions()
        files = tuple(FilePlan(self.models_path(e), FORMAT, (Set((GROUP,), self._group(e, models)),),
                               claims=((GROUP,),)) for e in editions)
        names = " and ".join(e.title for e in editions)
        warnings = []
        for edition in editions:
            legacy = self.legacy_entries(edition)
            if legacy:
                warnings.append(
                    f"{self.settings_path(edition)} has ByteSpike models in {LEGACY_SETTING} "
                    f"({', '.join(legacy)}): Copilot Chat reads that deprecated setting only once (it moves it "
                    f"into {MODELS_FILE}), so remove it to avoid a second, stale group")
            if edition.folder == "VSCodium":
                warnings.append("VSCodium: Copilot Chat is not on Open VSX; the models only show up if you "
                                "installed it yourself")
        steps = (
            f"in {names}: open the Command Palette (Ctrl+Shift+P, on macOS ⇧⌘P) → \"Chat: Manage Language "
            "Models\"",
            f"find the group \"{GROUP_NAME}\" (Custom Endpoint) and choose Configure / Update API Key",
            f"API Key: run {_copy_command(request.profile)} to copy the key, then paste it there "
            f"(`bytespike print-key --profile {request.profile}` prints it); VS Code keeps it in its secret storage",
            f"in the Chat view's model picker, pick {request.chat.id} ({GROUP_NAME})",
        )
        notes = (
            "bytespike writes the models, never the key: VS Code only takes it through its own UI",
            "bring-your-own-key covers Chat and agent mode, not inline completions; on Copilot Business/Enterprise "
            "the organisation must allow \"Bring Your Own Language Model Key\"",
        )
        return Plan(self.name, files, notes, tuple(warnings), (), steps)

    def _group(self, edition: Edition, models: list[dict]) -> dict:
        """The whole group, so that --remove and undo take all of it away; what VS Code added to it since
        (the ``${input:…}`` reference of the key typed in, per-model ``settings``) is carried over."""
        current = find_group(self.read_groups(self.models_path(edition)), GROUP_NAME) or {}
        managed = {"name": GROUP_NAME, "vendor": VENDOR, "apiType": "chat-completions", "models": models}
        return {**current, **managed}

    def plan_remove(self) -> Plan:
        files = []
        for edition in self.editions():
            path = self.models_path(edition)
            group = find_group(self.read_groups(path), GROUP_NAME)
            if group is not None and group_is_ours(group, known_roots()):
                files.append(FilePlan(path, FORMAT, (Delete((GROUP,)),)))
        return Plan(self.name, tuple(files))


def model_entry(model: "Model", request: SetupRequest) -> dict:
    context = model_context(model) or FALLBACK_CONTEXT
    output = model.max_output_tokens or min(FALLBACK_OUTPUT, context)
    return {
        "id": model.id,
        "name": f"{model.id} (ByteSpike)",
        "url": request.openai_base + "/chat/completions",
        "toolCalling": supports_tools(model),
        "vision": supports_images(model),
        # Copilot budgets the prompt with maxInputTokens: the window minus what the answer may take
        "maxInputTokens": context - output if context > output else context,
        "maxOutputTokens": output,
    }


def find_group(groups: list, name: str) -> dict | None:
    return next((g for g in groups if isinstance(g, dict) and g.get("name") == name), None)


def is_gateway_url(url: Any, roots: tuple[str, ...]) -> bool:
    return looks_like_bytespike_url(url, roots)


def group_is_ours(group: dict, roots: tuple[str, ...]) -> bool:
    models = [m for m in group.get("models") or [] if isinstance(m, dict)]
    return group.get("vendor") in (VENDOR, OLD_VENDOR) and any(is_gateway_url(m.get("url"), roots) for m in models)


def _copy_command(profile: str) -> str:
    command = f"bytespike print-key --profile {profile}"
    if sys.platform == "darwin":
        return f"`{command} | pbcopy`"
    if os.name == "nt":
        return f"`{command} | clip`"
    return f"`{command} | xclip -selection clipboard` (Wayland: `{command} | wl-copy`)"


# -- resolve: what Copilot will use (bytespike doctor) -------------------------------------------------
def resolve_effective(ctx: "Context") -> list["Effective"]:
    from bytespike_cli.doctor.effective import OPENAI, Candidate, Effective, shown_path
    from bytespike_cli.doctor.findings import fail, info, warn

    tool: VSCodeCopilot = ctx.integration("vscode-copilot")
    roots = ctx.gateway_roots()
    results = []
    for edition in tool.editions():
        path = tool.models_path(edition)
        shown = shown_path(path, ctx.home)
        label = f"Copilot in {edition.title}"
        eff = Effective("vscode-copilot", label, OPENAI, base_default=None, setup="`bytespike setup vscode-copilot`",
                        key_unknown="VS Code keeps the key in its secret storage (entered in Chat: Manage Language "
                                    "Models): bytespike cannot read or test it")
        try:
            groups = tool.read_groups(path)
        except ConfigFileError as exc:
            eff.findings.append(fail("vscode-copilot", "models-unreadable", exc.message,
                                     exc.hint or f"fix {shown}: VS Code ignores a file it cannot parse", 9))
            results.append(eff)
            continue
        ours = [g for g in groups if isinstance(g, dict) and group_is_ours(g, roots)]
        for legacy_id in tool.legacy_entries(edition):
            eff.findings.append(warn("vscode-copilot", "legacy-setting",
                                     f"{shown_path(tool.settings_path(edition), ctx.home)} {LEGACY_SETTING} has "
                                     f"'{legacy_id}': Copilot Chat reads that deprecated setting once, then ignores "
                                     "it (edits there change nothing)",
                                     f"remove it from settings.json and run `bytespike setup vscode-copilot`"))
        if not ours:
            results.append(eff)
            continue
        group = next((g for g in ours if g.get("name") == GROUP_NAME), ours[0])
        where = f"{shown} group \"{group.get('name')}\""
        models = [m for m in group.get("models") or [] if isinstance(m, dict)]
        urls = [str(m.get("url") or "") for m in models if is_gateway_url(m.get("url"), roots)]
        base = urls[0].split("/chat/completions")[0].split("/responses")[0] if urls else None
        eff.base = [Candidate(f"{where} models[].url", base, f"edit the url of the models in {shown}")]
        eff.models = [(str(m.get("id")), where) for m in models if m.get("id")]
        if group.get("vendor") == OLD_VENDOR:
            eff.findings.append(warn("vscode-copilot", "old-vendor",
                                     f"{where} uses vendor \"{OLD_VENDOR}\" (older Copilot Chat, Insiders only)",
                                     "run `bytespike setup vscode-copilot` (it writes a Custom Endpoint group)"))
        if len(ours) > 1:
            eff.findings.append(warn("vscode-copilot", "duplicate-groups",
                                     f"{shown} has {len(ours)} groups pointing at ByteSpike: the model picker lists "
                                     "the models twice, each with its own key",
                                     "remove the extra group in Chat: Manage Language Models"))
        key = group.get("apiKey")
        if not key:
            eff.findings.append(warn("vscode-copilot", "no-key",
                                     f"{where} has no API key yet: every request is refused until one is entered",
                                     "Chat: Manage Language Models → ByteSpike → Configure / Update API Key, paste "
                                     "`bytespike print-key`"))
        elif not str(key).startswith("${input:"):
            eff.findings.append(fail("vscode-copilot", "key-in-file",
                                     f"{where} apiKey is plain text: VS Code reads it as the name of a stored "
                                     "secret, not as a key (and the file is not private)",
                                     "remove apiKey from the file, then enter the key in Chat: Manage Language "
                                     "Models", 3))
        else:
            eff.findings.append(info("vscode-copilot", "key-stored",
                                     f"{where}: a key is stored in VS Code's secret storage (bytespike cannot test it: "
                                     "if chat answers 401, enter `bytespike print-key` again there)"))
        results.append(eff)
    return results
