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

from bytespike_cli.doctor.effective import OPENAI, Candidate, Context, Effective, read_data, shown_path, winner
from bytespike_cli.doctor.findings import fail
from bytespike_cli.errors import ConfigFileError
from bytespike_cli.formats import open_document
from bytespike_cli.formats.common import Match, decode_text
from bytespike_cli.formats.safe_write import read_bytes
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
    model_context,
)

KEY_VAR = "AIDER_OPENAI_API_KEY"


def aider_name(model_id: str) -> str:
    return f"openai/{model_id}"


def model_metadata(model) -> dict | None:
    """Aider's (litellm's) metadata entry for one model, or None when its context window is unknown."""
    context = model_context(model)
    if not context:
        return None
    out = model.max_output_tokens or context
    return {"max_input_tokens": context, "max_output_tokens": out, "max_tokens": out,
            "input_cost_per_token": 0, "output_cost_per_token": 0, "litellm_provider": "openai", "mode": "chat"}


class Aider(Integration):
    name = "aider"
    version_program = "aider"
    verified_versions = ('0.86.2', '0.86.2')
    title = "Aider"
    executables = ("aider",)
    install = "install it with `python -m pip install aider-install && aider-install`"
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

    def resolve(self, ctx: Context) -> list[Effective]:
        return resolve_effective(ctx)

    def launch(self, request: LaunchRequest) -> LaunchSpec:
        return launch_spec(request)

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

        metadata = [Set((aider_name(model.id),), entry)
                    for model in request.all_models if (entry := model_metadata(model)) is not None]
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


# -- resolve: what Aider will effectively use (bytespike doctor) ------------------------------
# Aider, resolved the way Aider resolves it (notes/editor-facts.md §4, Aider-AI/aider main.py).
#
# - ``.aider.conf.yml`` in the home, the git root and the current directory; later wins (cwd > git > home).
# - ``.env`` files in the home, the git root, the current directory, then ``env-file``: loaded in that
#   order *over* the environment (python-dotenv ``override=True``), so a project ``.env`` beats the shell.
# - Option precedence (configargparse): ``AIDER_<OPTION>`` environment variables > conf files.
#   ``openai-api-base``/``openai-api-key`` set ``OPENAI_API_BASE``/``OPENAI_API_KEY``; without them litellm
#   reads those variables.
# - Models need the ``openai/`` prefix to go to an OpenAI-compatible base URL.
TOOL = "aider"


def resolve_effective(ctx: Context) -> list[Effective]:
    eff = Effective(TOOL, "Aider", OPENAI, base_default="https://api.openai.com/v1",
                    setup="`bytespike setup aider` (or `bytespike run aider` for one session)",
                    strip_model_prefix="openai/")
    dirs: list[Path] = [ctx.home]
    git = ctx.git_root()
    for directory in (git, ctx.cwd):
        if directory is not None and directory not in dirs:
            dirs.append(directory)

    confs: list[tuple[Path, dict]] = []  # lowest precedence first
    for directory in dirs:
        path = directory / ".aider.conf.yml"
        try:
            data = read_data("yaml", path)
        except ConfigFileError as exc:
            eff.findings.append(fail(TOOL, "conf-unreadable", exc.message, exc.hint or f"fix {path}", 9))
            continue
        if data is not None:
            confs.append((path, data))

    def conf(option: str) -> list[Candidate]:
        return [Candidate(f"{shown_path(p, ctx.home)} {option}", d.get(option),
                          f"remove {option} from {shown_path(p, ctx.home)}")
                for p, d in reversed(confs) if d.get(option) not in (None, "")]

    env_file = winner(conf("env-file"))
    env_sources: dict[str, Candidate] = {}
    for name, value in ctx.env.items():
        env_sources[name] = Candidate(f"env {name}", value, f"unset {name} (and remove it from your shell profile)")
    dotenvs = [d / ".env" for d in dirs]
    if env_file is not None:
        target = Path(str(env_file.value)).expanduser()
        dotenvs.append(target if target.is_absolute() else ctx.cwd / target)
    for path in dotenvs:
        try:
            data = read_data("dotenv", path)
        except ConfigFileError as exc:
            eff.findings.append(fail(TOOL, "dotenv-unreadable", exc.message, exc.hint or f"fix {path}", 9))
            continue
        for name, value in (data or {}).items():
            shown = shown_path(path, ctx.home)
            env_sources[name] = Candidate(f"{shown} {name}", value, f"remove {name} from {shown}")

    def option(name: str, env_name: str | None = None) -> list[Candidate]:
        found = [env_sources.get(f"AIDER_{name.upper().replace('-', '_')}")] + conf(name)
        if env_name:
            found.append(env_sources.get(env_name))
        return [c for c in found if c is not None and c.value not in (None, "")]

    eff.base = option("openai-api-base", "OPENAI_API_BASE")
    key = winner(option("openai-api-key", "OPENAI_API_KEY"))
    if key is not None:
        eff.key, eff.key_source, eff.key_remove = str(key.value), key.source, key.remove
    else:
        eff.key_unknown = "no OPENAI_API_KEY / AIDER_OPENAI_API_KEY / openai-api-key"
    if key is None and ctx.is_gateway(eff.base_url):
        eff.findings.append(fail(TOOL, "no-key", "Aider finds no OpenAI-compatible key (OPENAI_API_KEY, "
                                                 "AIDER_OPENAI_API_KEY or openai-api-key)",
                                 "export AIDER_OPENAI_API_KEY=\"$(bytespike print-key)\" in your shell profile "
                                 "(or use `bytespike run aider`)", 3))
    for name in ("model", "weak-model", "editor-model"):
        chosen = winner(option(name))
        if chosen is None:
            continue
        model = str(chosen.value)
        eff.models.append((model, chosen.source))
        if ctx.is_gateway(eff.base_url) and not model.startswith("openai/"):
            eff.findings.append(fail(
                TOOL, "model-prefix",
                f"{name} '{model}' ({chosen.source}) has no openai/ prefix: Aider sends it to its own provider "
                "for that name, not to the OpenAI-compatible base URL",
                f"use openai/{model.split('/', 1)[-1]} ({chosen.remove.replace('remove', 'edit', 1)})", 5))
    return [eff]


# -- launch: what `bytespike run aider` sets for one process ------------------------------------------------
# OPENAI_API_BASE/OPENAI_API_KEY (and Aider's own AIDER_ forms, which beat its conf files), --model
# openai/<id> and --model-metadata-file with the models' context windows (a private temporary file that
# lives as long as the child), so Aider does not warn about unknown models.
def launch_spec(request: LaunchRequest) -> LaunchSpec:
    import json
    import os

    args, chat, fast = request.args, request.chat, request.fast
    set_env: dict[str, str] = {}
    for name in ("OPENAI_API_BASE", "AIDER_OPENAI_API_BASE"):
        set_env[name] = request.target.openai_base
    for name in ("OPENAI_API_KEY", "AIDER_OPENAI_API_KEY"):
        set_env[name] = request.target.key
    argv: list[str] = []
    temp_files: list[tuple[str, str]] = []
    if not has_option(args, "--model"):
        argv += ["--model", f"openai/{chat.id}"]
    if fast is not None and not has_option(args, "--weak-model"):
        argv += ["--weak-model", f"openai/{fast.id}"]
    if not has_option(args, "--model-metadata-file"):
        metadata = run_metadata([chat] + ([fast] if fast is not None else []))
        if metadata:
            import tempfile
            import uuid

            path = os.path.join(tempfile.gettempdir(), f"bytespike-run-aider-{uuid.uuid4().hex}.json")
            temp_files.append((path, json.dumps(metadata, indent=2)))
            argv += ["--model-metadata-file", path]
    return LaunchSpec(tuple(argv), set_env, (), (), tuple(temp_files))


def run_metadata(models: list) -> dict:
    """The metadata file for one `run`: the same entries `setup aider` writes."""
    return {aider_name(m.id): entry for m in models if (entry := model_metadata(m)) is not None}
