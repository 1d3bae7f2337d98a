"""Continue: ``~/.continue/config.yaml`` (ruamel round-trip) and the key in Continue's ``~/.continue/.env``.

What we write (notes/editor-facts.md §5, continuedev/continue ``packages/config-yaml``, ``core/util/paths.ts``):
- one ``models`` entry per chat model, named ``<id> (ByteSpike)``: ``provider: openai``, ``apiBase`` =
  root + ``/v1``, ``apiKey: ${{ secrets.BYTESPIKE_API_KEY }}``, ``roles: [chat, edit, apply]``,
  capabilities, and ``defaultCompletionOptions.contextLength``/``maxTokens`` from the catalogue;
- the fast model as ``<id> (ByteSpike fast)`` with ``roles: [chat, summarize]``. Not ``autocomplete``:
  Continue's autocomplete sends raw FIM prompts to ``/v1/completions``, which a chat gateway does not serve;
- ``BYTESPIKE_API_KEY=<key>`` in ``~/.continue/.env`` (0600), the first place Continue resolves
  ``${{ secrets.X }}`` from (before a project's ``.env`` and before asking Continue's hub). With
  ``--key-mode inline`` the key goes into ``apiKey`` itself (config.yaml kept 0600).
Entries are matched by name, so the user's own models and everything else in the file stay.
The legacy ``config.json`` (read only when there is no config.yaml) is not edited: creating a
config.yaml would silently replace it, so setup stops and says how to move on.
"""

from __future__ import annotations

from pathlib import Path

from bytespike_cli.errors import UsageError
from bytespike_cli.formats import open_document
from bytespike_cli.formats.common import Match, decode_text
from bytespike_cli.formats.safe_write import read_bytes
from bytespike_cli.integrations.base import (
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

    def files(self) -> tuple[Path, ...]:
        return (self.yaml_path(), self.env_path())

    def _config(self) -> dict:
        path = self.yaml_path()
        raw = read_bytes(path)
        return {} if raw is None else open_document("yaml", decode_text(raw, path), path).data

    def _ours(self, config: dict) -> list[dict]:
        models = config.get("models") if isinstance(config.get("models"), list) else []
        return [m for m in models if isinstance(m, dict) and looks_like_bytespike_url(m.get("apiBase"), known_roots())]

    def detect(self) -> Detection:
        exe = self.which("cn")
        if self.global_dir().is_dir():
            installed, evidence = True, f"{self.global_dir()} exists"
        elif exe:
            installed, evidence = True, f"cn on PATH ({exe})"
        else:
            installed, evidence = False, "not found (no ~/.continue folder)"
        config = self._config()
        ours = self._ours(config)
        details = tuple(f"model {m.get('model')}" for m in ours)
        if not self.yaml_path().exists() and self.json_path().exists():
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

    def plan(self, request: SetupRequest) -> Plan:
        mode = self.key_mode(request)
        if not self.yaml_path().exists() and self.json_path().exists():
            raise UsageError(
                f"Continue reads {self.json_path()} (the legacy format); bytespike edits only config.yaml, and "
                "creating one would make Continue ignore your config.json",
                "convert it first (Continue's docs: yaml-migration), then run setup again",
            )
        config = self._config()
        edits: list = []
        if "name" not in config:
            edits.append(Set(("name",), "Main Config"))
        if "version" not in config:
            edits.append(Set(("version",), "1.0.0"))
        if "schema" not in config and not config:
            edits.append(Set(("schema",), "v1"))
        wanted = [(m, False) for m in request.chat_models]
        if request.fast_model is not None and request.fast_model not in request.chat_models:
            wanted.append((request.fast_model, True))
        names = set()
        for model, fast in wanted:
            entry = self._entry(model, request, fast=fast, mode=mode)
            names.add(entry["name"])
            edits.append(Set(("models", Match("name", entry["name"])), entry))
        # entries bytespike wrote for models no longer chosen
        for old in self._ours(config):
            if old.get("name") not in names and str(old.get("name", "")).endswith((CHAT_SUFFIX, FAST_SUFFIX)):
                edits.append(Delete(("models", Match("name", old["name"])), only_if_ours=True))
        files = [FilePlan(self.yaml_path(), "yaml", tuple(edits), secret=mode == "inline")]
        notes = ["Continue reloads config.yaml by itself; pick the ByteSpike models in its model menu"]
        secrets: tuple[str, ...] = ()
        if mode == "inline":
            secrets = (request.key,) if request.key else ()
        else:
            files.append(FilePlan(self.env_path(), "dotenv", (Set((SECRET,), request.key or ""),), secret=True))
            secrets = (request.key,) if request.key else ()
            notes.append(f"the key is in {self.env_path()} (0600); after rotating the key, run this setup again")
            if not request.key:
                raise UsageError("Continue needs the key in its .env file, and this profile has none",
                                 "run `bytespike login` first")
        return Plan(self.name, tuple(files), tuple(notes), (), secrets)

    def plan_remove(self) -> Plan:
        config = self._config()
        edits = [Delete(("models", Match("name", m["name"]))) for m in self._ours(config) if m.get("name")]
        files = []
        if edits:
            files.append(FilePlan(self.yaml_path(), "yaml", tuple(edits)))
        raw = read_bytes(self.env_path())
        if raw is not None and SECRET in open_document("dotenv", decode_text(raw, self.env_path()), self.env_path()).data:
            files.append(FilePlan(self.env_path(), "dotenv", (Delete((SECRET,)),)))
        return Plan(self.name, tuple(files))
