"""What ``bytespike run opencode`` (and ``run kilo``) sets for one process: no file is written.

opencode reads ``OPENCODE_CONFIG_CONTENT`` (Kilo: ``KILO_CONFIG_CONTENT``) last, over every config file,
and creates no global file when it is set (opencode-ai 1.18.33 bundle, ``Config.loadInstanceState``). It
holds a provider of its own id, ``bytespike-run`` (so it never merges with a ``provider.bytespike`` that
``bytespike setup`` wrote), with the key's text models, and selects the chat and fast models. The key
travels as ``BYTESPIKE_API_KEY`` in the child's environment, referenced as ``{env:BYTESPIKE_API_KEY}``.
"""

from __future__ import annotations

import json

from bytespike_cli.tools.base import ENV_VAR, LaunchRequest, LaunchSpec
from bytespike_cli.tools.opencode import env_ref, provider_entry

RUN_PROVIDER = "bytespike-run"


def text_models(models) -> list:
    return [m for m in models if "text" in m.capabilities or not m.capabilities]


def launch_spec(tool, request: LaunchRequest) -> LaunchSpec:
    variable = f"{tool.env_prefix}_CONFIG_CONTENT"
    wanted = {m.id: m for m in [request.chat, *([request.fast] if request.fast else []), *text_models(request.models)]}
    content: dict = {}
    warnings: list[str] = []
    existing = request.env.get(variable)
    if existing:
        try:
            parsed = json.loads(existing)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            content = parsed
            warnings.append(f"{variable} was already set: the ByteSpike provider and model were added to it")
        else:
            warnings.append(f"{variable} was already set but is not a JSON object: it was replaced for this session")
    providers = content.get("provider") if isinstance(content.get("provider"), dict) else {}
    providers[RUN_PROVIDER] = provider_entry(request.target.openai_base, env_ref(ENV_VAR), wanted.values(),
                                             name="ByteSpike (bytespike run)")
    content["provider"] = providers
    content["model"] = f"{RUN_PROVIDER}/{request.chat.id}"
    if request.fast is not None:
        content["small_model"] = f"{RUN_PROVIDER}/{request.fast.id}"
    set_env = {variable: json.dumps(content, separators=(",", ":")), ENV_VAR: request.target.key}
    return LaunchSpec((), set_env, (), tuple(warnings))
