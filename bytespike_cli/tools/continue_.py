"""Continue: ``~/.continue/config.yaml`` (line edits, YAML 1.2) and the key in Continue's ``~/.continue/.env``.

What we write (notes/editor-facts.md §5, continuedev/continue ``packages/config-yaml``, ``core/util/paths.ts``):
- one ``models`` entry per chat model, named ``<id> (ByteSpike)``: ``provider: openai``, ``apiBase`` =
  root + ``/v1``, ``apiKey: ${{ secrets.BYTESPIKE_API_KEY }}``, ``roles: [chat, edit, apply]``,
  capabilities, and ``defaultCompletionOptions.contextLength``/``maxTokens`` from the catalogue;
- the fast model as ``<id> (ByteSpike fast)`` with ``roles: [chat, summarize]``. Not ``autocomplete``:
  Continue's autocomplete sends raw FIM prompts to ``/v1/completions``, which a chat gateway does not serve;
- ``BYTESPIKE_API_KEY=<key>`` in ``~/.continue/.env`` (0600), the first place Continue resolves
  ``${{ secrets.X }}`` from (before a project's ``.env`` and before asking Continue's hub). With
  ``--key-mode inline`` the key goes into ``apiKey`` itself (config.yaml kept 0600).
Entries are matched by name, so the user's own models and everything else in the file stay. Our
entries are the ones whose name ends in ``(ByteSpike)`` / ``(ByteSpike fast)`` (whatever gateway URL
they point at, so a changed model or base URL never leaves a stale one behind), and they are kept in
order: chat models first (Continue's default is the first chat model), the fast model after them.

The legacy ``config.json`` (Continue reads it only when there is no config.yaml) is edited in place
when it is what the user has: creating a config.yaml would silently replace it. Its entries use
``title`` for the name, model-level ``contextLength`` and ``completionOptions.maxTokens``; config.json has
no secrets syntax, so the key goes into ``apiKey`` and the file is kept 0600.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from bytespike_cli.doctor.effective import OPENAI, Candidate, Context, Effective, env_candidate, read_data, shown_path
from bytespike_cli.doctor.findings import fail, skip
from bytespike_cli.errors import ConfigFileError
from bytespike_cli.errors import UsageError
from bytespike_cli.formats import MISSING, open_document
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

SECRET = "BYTESPIKE_API_KEY"
CHAT_SUFFIX = " (ByteSpike)"
FAST_SUFFIX = " (ByteSpike fast)"


class Continue(Integration):
    name = "continue"
    version_program = "cn"
    verified_versions = ('1.5.47', '1.5.47')
    title = "Continue"
    key_modes = ("env", "inline")

    def global_dir(self) -> Path:
        override = self.env("CONTINUE_GLOBAL_DIR")
        return Path(override).expanduser() if override else self.home() / ".continue"

    def yaml_path(self) -> Path:
        return self.global_dir() / "config.yaml"

    def json_path(self) -> Path:
        return self.global_dir() / "config.json"

    def env_path(self) -> Path:
        return self.global_dir() / ".env"

    def uses_legacy_json(self) -> bool:
        """Continue reads config.json only when there is no config.yaml."""
        return not self.yaml_path().exists() and self.json_path().exists()

    def resolve(self, ctx: Context) -> list[Effective]:
        return resolve_effective(ctx)

    def files(self) -> tuple[Path, ...]:
        if self.uses_legacy_json():
            return (self.json_path(),)
        return (self.yaml_path(), self.env_path())

    def _config(self) -> dict:
        path, fmt = (self.json_path(), "jsonc") if self.uses_legacy_json() else (self.yaml_path(), "yaml")
        raw = read_bytes(path)
        return {} if raw is None else open_document(fmt, decode_text(raw, path), path).data

    def _ours(self, config: dict, name_key: str = "name") -> list[dict]:
        """Our entries: named with our suffix (the marker), or pointing at a known ByteSpike gateway."""
        models = config.get("models") if isinstance(config.get("models"), list) else []
        roots = known_roots()  # once: it reads bytespike's config
        return [m for m in models if isinstance(m, dict) and (
            _is_our_name(m.get(name_key)) or looks_like_bytespike_url(m.get("apiBase"), roots))]

    def detect(self) -> Detection:
        exe = self.which("cn")
        if self.global_dir().is_dir():
            installed, evidence = True, f"{self.global_dir()} exists"
        elif exe:
            installed, evidence = True, f"cn on PATH ({exe})"
        else:
            installed, evidence = False, "not found (no ~/.continue folder)"
        legacy = self.uses_legacy_json()
        ours = self._ours(self._config(), "title" if legacy else "name")
        details = tuple(f"model {m.get('model')}" for m in ours)
        if legacy:
            details += ("uses the legacy config.json",)
        return Detection(self.name, self.title, installed, evidence, self.files(), bool(ours), None, details)

    def _entry(self, model, request: SetupRequest, *, fast: bool, mode: str) -> dict:
        entry: dict = {
            "name": model.id + (FAST_SUFFIX if fast else CHAT_SUFFIX),
            "provider": "openai",
            "model": model.id,
            "apiBase": request.openai_base,
            "apiKey": request.key if mode == "inline" else "${{ secrets." + SECRET + " }}",
            "roles": ["chat", "summarize"] if fast else ["chat", "edit", "apply"],
        }
        capabilities = [c for c, ok in (("tool_use", supports_tools(model)), ("image_input", supports_images(model)))
                        if ok]
        if capabilities:
            entry["capabilities"] = capabilities
        options = {}
        if model_context(model):
            options["contextLength"] = model_context(model)
        if model.max_output_tokens:
            options["maxTokens"] = model.max_output_tokens
        if options:
            entry["defaultCompletionOptions"] = options
        return entry

    @staticmethod
    def _legacy_entry(model, request: SetupRequest, *, fast: bool) -> dict:
        """A config.json ``models`` item (extensions/vscode/config_schema.json ModelDescription)."""
        entry: dict = {
            "title": model.id + (FAST_SUFFIX if fast else CHAT_SUFFIX),
            "provider": "openai",
            "model": model.id,
            "apiBase": request.openai_base,
            "apiKey": request.key,
        }
        if model_context(model):
            entry["contextLength"] = model_context(model)
        if model.max_output_tokens:
            entry["completionOptions"] = {"maxTokens": model.max_output_tokens}
        entry["capabilities"] = {"tools": supports_tools(model), "uploadImage": supports_images(model)}
        return entry

    def _wanted(self, request: SetupRequest) -> list[tuple]:
        wanted = [(m, False) for m in request.chat_models]
        if request.fast_model is not None and request.fast_model not in request.chat_models:
            wanted.append((request.fast_model, True))
        return wanted

    def _model_edits(self, config: dict, entries: list[dict], name_key: str) -> list:
        """Set our entries in order (chat models, then the fast one) and delete our stale ones."""
        models = [m for m in config.get("models") or [] if isinstance(m, dict)] \
            if isinstance(config.get("models"), list) else []
        names = [e[name_key] for e in entries]
        stale = [m[name_key] for m in self._ours(config, name_key)
                 if m.get(name_key) not in names and _is_our_name(m.get(name_key))]
        # where each wanted entry ends up: existing ones keep their place, new ones are appended
        kept = [m.get(name_key) for m in models if m.get(name_key) not in stale]
        final = kept + [n for n in names if n not in kept]
        in_order = [n for n in final if n in names] == names
        # a stale entry goes only if bytespike wrote it (a same-named one the user made stays, with a warning)
        edits: list = [Delete(("models", Match(name_key, n)), only_if_ours=True) for n in stale]
        if not in_order:  # take ours out and append them again, in order
            edits += [Delete(("models", Match(name_key, n))) for n in names if n in kept]
        edits += [Set(("models", Match(name_key, e[name_key])), e) for e in entries]
        return edits

    def plan(self, request: SetupRequest) -> Plan:
        if self.uses_legacy_json():
            return self._plan_legacy(request)
        mode = self.key_mode(request)
        config = self._config()
        edits: list = []
        if "name" not in config:
            edits.append(Set(("name",), "Main Config"))
        if "version" not in config:
            edits.append(Set(("version",), "1.0.0"))
        if "schema" not in config and not config:
            edits.append(Set(("schema",), "v1"))
        entries = [self._entry(m, request, fast=fast, mode=mode) for m, fast in self._wanted(request)]
        edits += self._model_edits(config, entries, "name")
        claims = tuple(("models", Match("name", n)) for n in [e["name"] for e in entries] + _stale_names(edits))
        files = [FilePlan(self.yaml_path(), "yaml", tuple(edits), secret=mode == "inline", claims=claims)]
        notes = ["Continue reloads config.yaml by itself; pick the ByteSpike models in its model menu"]
        secrets: tuple[str, ...] = ()
        if mode == "inline":
            secrets = (request.key,) if request.key else ()
        else:
            files.append(FilePlan(self.env_path(), "dotenv", (Set((SECRET,), request.key or ""),), secret=True))
            secrets = (request.key,) if request.key else ()
            notes.append(f"the key is in {self.env_path()} (0600), Continue's own secrets file, not in config.yaml; "
                         "`bytespike login` with a new key updates this copy")
            if not request.key:
                raise UsageError("Continue needs the key in its .env file, and this profile has none",
                                 "run `bytespike login` first")
        return Plan(self.name, tuple(files), tuple(notes), (), secrets, key_mode=mode)

    def _plan_legacy(self, request: SetupRequest) -> Plan:
        if request.key_mode == "env":
            raise UsageError(
                f"{self.json_path()} (Continue's legacy format) has no secrets syntax: the key can only be written "
                "into it", "use --key-mode inline, or move to config.yaml (Continue's docs: yaml-migration) first")
        mode = self.key_mode(dataclasses.replace(request, key_mode="inline"))
        config = self._config()
        entries = [self._legacy_entry(m, request, fast=fast) for m, fast in self._wanted(request)]
        edits = self._model_edits(config, entries, "title")
        notes = [
            f"Continue reads {self.json_path()} (the legacy format, no config.yaml here): the ByteSpike models were "
            "added to it, with the key in their apiKey (the file is kept 0600); pick them in Continue's model menu",
            "moving to config.yaml (Continue's docs: yaml-migration) keeps the key out of the config file; run this "
            "setup again afterwards",
        ]
        claims = tuple(("models", Match("title", n)) for n in [e["title"] for e in entries] + _stale_names(edits))
        return Plan(self.name, (FilePlan(self.json_path(), "jsonc", tuple(edits), secret=True, claims=claims),),
                    tuple(notes), (),
                    (request.key,) if request.key else (), key_mode=mode)

    def plan_remove(self) -> Plan:
        legacy = self.uses_legacy_json()
        name_key = "title" if legacy else "name"
        config = self._config()
        edits = [Delete(("models", Match(name_key, m[name_key]))) for m in self._ours(config, name_key)
                 if m.get(name_key) is not None and m.get(name_key) is not MISSING]
        files = []
        if edits:
            files.append(FilePlan(self.json_path() if legacy else self.yaml_path(), "jsonc" if legacy else "yaml",
                                  tuple(edits)))
        raw = read_bytes(self.env_path())
        if raw is not None and SECRET in open_document("dotenv", decode_text(raw, self.env_path()), self.env_path()).data:
            files.append(FilePlan(self.env_path(), "dotenv", (Delete((SECRET,)),)))
        return Plan(self.name, tuple(files))


def _stale_names(edits: list) -> list:
    return [e.path[-1].value for e in edits if isinstance(e, Delete) and e.only_if_ours]


def _is_our_name(name) -> bool:
    return isinstance(name, str) and name.endswith((CHAT_SUFFIX, FAST_SUFFIX))


# -- resolve: what the tool will effectively use (bytespike doctor) --------------------
_SECRET_REF = re.compile(r"^\$\{\{\s*secrets\.([A-Za-z0-9_]+)\s*\}\}$")


def resolve_effective(ctx: Context) -> list[Effective]:
    tool = ctx.integration("continue")
    eff = Effective("continue", "Continue", OPENAI, base_default=None, setup="`bytespike setup continue`")
    try:
        config = read_data("yaml", tool.yaml_path())
    except ConfigFileError as exc:
        eff.findings.append(fail("continue", "config-unreadable", exc.message, exc.hint, 9))
        eff.key_unknown = "unreadable"
        return [eff]
    if config is None:
        eff.key_unknown = "no config.yaml"
        if tool.json_path().exists():
            eff.findings.append(skip("continue", "legacy-config",
                                     f"Continue uses the legacy {shown_path(tool.json_path(), ctx.home)}: "
                                     "not checked", "convert it to config.yaml, then `bytespike setup continue`"))
        return [eff]
    shown = shown_path(tool.yaml_path(), ctx.home)
    models = [m for m in (config.get("models") or []) if isinstance(m, dict)]
    ours = [m for m in models if ctx.is_gateway(m.get("apiBase"))]
    if not ours:
        eff.key_unknown = "no ByteSpike model"
        return [eff]
    first = ours[0]
    eff.base = [Candidate(f"{shown} models[{first.get('name')}].apiBase", first.get("apiBase"),
                          f"edit apiBase in {shown}")]
    eff.models = [(str(m.get("model")), f"{shown} models[{m.get('name')}]") for m in ours
                  if m.get("apiBase") == first.get("apiBase") and m.get("model")]
    raw_key = str(first.get("apiKey") or "")
    ref = _SECRET_REF.match(raw_key)
    if ref:
        name = ref.group(1)
        # Continue's lookup order for a local config: ~/.continue/.env, the workspace .env, process env
        places = [(tool.env_path(), None), (ctx.cwd / ".env", None)]
        for path, _ in places:
            try:
                data = read_data("dotenv", path) or {}
            except ConfigFileError as exc:
                eff.findings.append(fail("continue", "dotenv-unreadable", exc.message, exc.hint, 9))
                continue
            if data.get(name):
                eff.key, eff.key_source = data[name], f"{shown_path(path, ctx.home)} {name}"
                break
        else:
            found = env_candidate(ctx.env, name)
            if found.value:
                eff.key, eff.key_source = found.value, f"{found.source} (the editor's environment)"
            else:
                eff.key_unknown = f"secret {name} not found"
                eff.findings.append(fail("continue", "secret-missing",
                                         f"{shown} uses ${{{{ secrets.{name} }}}}, but no {name} is in "
                                         f"{shown_path(tool.env_path(), ctx.home)}, ./.env or the environment",
                                         "run `bytespike setup continue` (it writes the key to ~/.continue/.env)", 3))
    elif raw_key:
        eff.key, eff.key_source = raw_key, f"{shown} models[{first.get('name')}].apiKey"
    else:
        eff.key_unknown = "no apiKey"
    return [eff]
