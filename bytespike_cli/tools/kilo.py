"""Kilo Code CLI (npm ``@kilocode/cli``, command ``kilo``): an opencode fork, set up by the opencode module.

Facts, read in the bundled source of the @kilocode/cli 7.7.7 package (``@kilocode/cli-linux-x64/bin/kilo``;
github Kilo-Org/kilocode) and checked with the real binary against the offline gateway (tests/realclients). 7.7.7 is pinned because its
platform package is published; 7.8.1's is not, so 7.8.1 does not install.
- The config format is opencode's (the same ``Config`` schema, ``provider.<id>`` with ``npm``,
  ``options.baseURL``/``apiKey``, ``models``; ``model``/``small_model``), under Kilo's own names: global
  folder ``$XDG_CONFIG_HOME/kilo`` (default ``~/.config/kilo``), files merged in the order ``config.json``,
  ``kilo.json``, ``kilo.jsonc``, ``opencode.json``, ``opencode.jsonc``; ``KILO_CONFIG``; project
  ``kilo.json[c]`` and ``opencode.json[c]`` and ``.kilo``/``.kilocode`` folders; ``KILO_CONFIG_DIR``;
  ``KILO_CONFIG_CONTENT``; credentials in ``$XDG_DATA_HOME/kilo/auth.json``. The file Kilo edits itself
  is the first of ``kilo.jsonc``, ``kilo.json``, ``opencode.jsonc``, ``opencode.json``, ``config.json``.
- ``{env:VAR}`` and ``{file:PATH}`` work in the global files; project files may not use ``{env:…}``
  ("environment references are not allowed in project config") and their ``{file:…}`` must stay inside
  the project (Kilo ``ConfigVariable.substitute``).
- The per-model ``provider.npm`` override sends Claude models to ``/v1/messages`` (seen on the gateway).
- Telemetry: ``KILO_TELEMETRY_LEVEL`` (anything but ``all`` turns PostHog off); ``KILO_DISABLE_AUTOUPDATE``,
  ``KILO_DISABLE_MODELS_FETCH``, ``KILO_DISABLE_SESSION_INGEST``.

What we write and how the key is given: as for opencode (tools/opencode), in ``~/.config/kilo/kilo.json``
(or ``kilo.jsonc`` when that is the one present).
"""

from __future__ import annotations

from bytespike_cli.tools.opencode import OpencodeFamily


class Kilo(OpencodeFamily):
    name = "kilo"
    title = "Kilo Code CLI"
    executables = ("kilo",)
    install = "install it with `npm install -g @kilocode/cli`"
    version_program = "kilo"
    verified_versions = ("7.7.7", "7.7.7")

    app = "kilo"
    global_names = ("config.json", "kilo.json", "kilo.jsonc", "opencode.json", "opencode.jsonc")
    edit_preference = ("kilo.jsonc", "kilo.json")
    project_stems = ("kilo", "opencode")
    project_dirs = (".kilo", ".kilocode")
    env_prefix = "KILO"
    schema_url = "https://app.kilo.ai/config.json"
