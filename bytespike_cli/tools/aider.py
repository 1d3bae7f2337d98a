"""Aider: ``~/.aider.conf.yml`` plus the model settings and metadata files built from the catalogue.

What we write (notes/editor-facts.md §4, Aider-AI/aider ``aider/main.py``, ``aider/models.py``):
- ``~/.aider.conf.yml``: ``openai-api-base`` = root + ``/v1``, ``model: openai/<chat>``,
  ``weak-model: openai/<fast>`` (the ``openai/`` prefix is how litellm picks the OpenAI-compatible route).
- ``~/.aider.model.settings.yml`` (a list): one entry per model with only fields Aider knows (an unknown
  key stops Aider from starting): edit format, repo map, weak/editor model names.
- ``~/.aider.model.metadata.json``: context window and output limit per ``openai/<id>``, so Aider stops
  warning about unknown models.
- The key: Aider has no command hook. ``--key-mode inline`` (default): the key goes into a
  bytespike-owned 0600 dotenv (``aider.env`` beside bytespike's own config, as private as its key file)
  that the conf names as ``env-file``, never into the YAML nor the shared ``~/.env``. Aider loads the
  ``.env`` files it always reads and then ``env-file``, each with python-dotenv ``override=True``, and
  parses its options again afterwards (aider/main.py ``load_dotenv_files`` at 0.86.2), so Aider works
  right after setup with no export. The variable is ``AIDER_OPENAI_API_KEY`` (Aider's own name for
  ``openai-api-key``: a shell ``OPENAI_API_KEY`` meant for OpenAI is left alone). ``bytespike login``
  refreshes the copy when the profile's key changes (setup/keysync.py).
  ``--key-mode env``: nothing is written, the user exports ``AIDER_OPENAI_API_KEY``.
"""

from __future__ import annotations

from pathlib import Path

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
)

KEY_VAR = "AIDER_OPENAI_API_KEY"


def aider_name(model_id: str) -> str:
    return f"openai/{model_id}"


class Aider(Integration):
    name = "aider"
    title = "Aider"
    key_modes = ("inline", "env")  # inline: bytespike's own 0600 env-file, so Aider needs no export

    def conf_path(self) -> Path:
        return self.home() / ".aider.conf.yml"

    def settings_path(self) -> Path:
        return self.home() / ".aider.model.settings.yml"

    def metadata_path(self) -> Path:
        return self.home() / ".aider.model.metadata.json"

    def env_file(self) -> Path:
        from bytespike_cli import paths

        return paths.config_dir() / "aider.env"

    def files(self) -> tuple[Path, ...]:
        return (self.conf_path(), self.settings_path(), self.metadata_path())

    def _conf(self) -> dict:
        path = self.conf_path()
        raw = read_bytes(path)
        return {} if raw is None else open_document("yaml-1.1", decode_text(raw, path), path).data

    def detect(self) -> Detection:
        exe = self.which("aider")
        conf = self._conf()
        if exe:
            installed, evidence = True, f"aider on PATH ({exe})"
        elif self.conf_path().exists():
            installed, evidence = True, f"{self.conf_path()} exists"
        else:
            installed, evidence = False, "not found (no `aider` on PATH, no ~/.aider.conf.yml)"
        configured = isinstance(conf, dict) and looks_like_bytespike_url(conf.get("openai-api-base"), known_roots())
        details = (f"model {conf.get('model')}",) if configured else ()
        return Detection(self.name, self.title, installed, evidence, self.files(), configured, None, details)

    def plan(self, request: SetupRequest) -> Plan:
        mode = self.key_mode(request)
        chat, fast = request.chat, request.fast_model
        conf: list = [
            Set(("openai-api-base",), request.openai_base),
            Set(("model",), aider_name(chat.id)),
        ]
        if fast is not None:
            conf.append(Set(("weak-model",), aider_name(fast.id)))
        files: list[FilePlan] = []
        notes: list[str] = []
        secrets: tuple[str, ...] = ()
        if mode == "inline":
            conf.append(Set(("env-file",), str(self.env_file())))
            files.append(FilePlan(self.env_file(), "dotenv", (
                Set((KEY_VAR,), request.key),
                Delete(("OPENAI_API_KEY",), only_if_ours=True),  # what setups before issue 10 wrote
            ), secret=True))
            secrets = (request.key,) if request.key else ()
            notes.append(f"the key is in {self.env_file()} (mode 0600), which Aider loads through `env-file`; "
                         "`bytespike login` keeps it up to date")
        else:
            conf.append(Delete(("env-file",), only_if_ours=True))
            notes.append(f"export {KEY_VAR}=\"$(bytespike print-key --profile {request.profile})\" in your shell "
                         "profile: Aider reads it as its OpenAI-compatible key")
        files.insert(0, FilePlan(self.conf_path(), "yaml-1.1", tuple(conf)))

        settings = []
        for model in request.all_models:
            is_chat = model in request.chat_models
            entry = {"name": aider_name(model.id), "edit_format": "diff" if is_chat else "whole", "use_repo_map": True}
            if is_chat:
                if fast is not None:
                    entry["weak_model_name"] = aider_name(fast.id)
                entry["editor_model_name"] = aider_name(chat.id)
            settings.append(Set((Match("name", entry["name"]),), entry))
        files.append(FilePlan(self.settings_path(), "yaml-1.1", tuple(settings)))

        metadata = []
        for model in request.all_models:
            context = model_context(model)
            if not context:
                continue
            out = model.max_output_tokens or context
            metadata.append(Set((aider_name(model.id),), {
                "max_input_tokens": context, "max_output_tokens": out, "max_tokens": out,
                "input_cost_per_token": 0, "output_cost_per_token": 0, "litellm_provider": "openai", "mode": "chat",
            }))
        if metadata:
            files.append(FilePlan(self.metadata_path(), "json", tuple(metadata)))
        notes.append("a .aider.conf.yml (or model settings/metadata file) in a project or git root overrides these")
        return Plan(self.name, tuple(files), tuple(notes), (), secrets)

    def plan_remove(self) -> Plan:
        conf = self._conf()
        if not (isinstance(conf, dict) and looks_like_bytespike_url(conf.get("openai-api-base"), known_roots())):
            return Plan(self.name)
        edits = [Delete((key,)) for key in ("openai-api-base",) if key in conf]
        if str(conf.get("env-file", "")) == str(self.env_file()):
            edits.append(Delete(("env-file",)))
        warnings = ("no record of the original settings: openai-api-base was removed; `model`, the model settings "
                    "and metadata files were left as they are",)
        return Plan(self.name, (FilePlan(self.conf_path(), "yaml-1.1", tuple(edits)),), warnings=warnings)
