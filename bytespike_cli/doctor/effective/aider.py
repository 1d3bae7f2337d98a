"""Aider, resolved the way Aider resolves it (notes/editor-facts.md §4, Aider-AI/aider main.py).

- ``.aider.conf.yml`` in the home, the git root and the current directory; later wins (cwd > git > home).
- ``.env`` files in the home, the git root, the current directory, then ``env-file``: loaded in that
  order *over* the environment (python-dotenv ``override=True``), so a project ``.env`` beats the shell.
- Option precedence (configargparse): ``AIDER_<OPTION>`` environment variables > conf files.
  ``openai-api-base``/``openai-api-key`` set ``OPENAI_API_BASE``/``OPENAI_API_KEY``; without them litellm
  reads those variables.
- Models need the ``openai/`` prefix to go to an OpenAI-compatible base URL.
"""

from __future__ import annotations

from pathlib import Path

from bytespike_cli.doctor.effective.common import (
    OPENAI,
    Candidate,
    Context,
    Effective,
    read_data,
    shown_path,
    winner,
)
from bytespike_cli.doctor.findings import fail
from bytespike_cli.errors import ConfigFileError

TOOL = "aider"


def resolve(ctx: Context) -> list[Effective]:
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
