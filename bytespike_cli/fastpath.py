"""The console-script entry point, with a fast path for ``bytespike print-key``.

``print-key`` runs at the start of every Claude Code and Codex session (apiKeyHelper / auth
command), so it must not pay for Typer, Rich and Click (~150 ms). This module uses only the
standard library to answer the common case — a plain ``print-key [--profile P] [--offline]`` with a
readable config and a key — and hands everything else (errors, ``--help``, other commands) to the
full CLI, which says what is wrong in the usual ``error:``/``hint:`` form.

The lookup must match :func:`bytespike_cli.settings.resolve` exactly; a test compares the two over
every source of a key (tests/cli/test_print_key_fast.py).
"""

from __future__ import annotations

import os
import sys

_ROOT_FLAGS = {"-q", "--quiet"}
_DEMO_KEY = "sk-byts-offline-demo-0000-public-not-a-secret"  # == fakegateway.keys.DEMO_KEY (a test checks)


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _config_dir() -> str:
    home = os.environ.get("BYTESPIKE_HOME")
    if home:
        return os.path.expanduser(home)
    import platformdirs

    return platformdirs.user_config_dir("bytespike", appauthor=False)


_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_KEY_CHARS = _ALNUM | frozenset("_-")


def _valid_profile(name: str) -> bool:
    """config.check_profile_name's rule, without importing re (print-key stays small)."""
    return 0 < len(name) <= 64 and name[0] in _ALNUM and set(name) <= _ALNUM | frozenset("_.-")


def _parse(argv: list[str]) -> tuple[str | None, bool] | None:
    """(profile, offline) for ``[root flags] print-key [--profile P] [--offline]``; None: not ours."""
    offline = False
    args = list(argv)
    while args and args[0] in _ROOT_FLAGS | {"--offline"}:
        offline = offline or args[0] == "--offline"
        args.pop(0)
    if not args or args.pop(0) != "print-key":
        return None
    profile = None
    while args:
        arg = args.pop(0)
        if arg == "--offline":
            offline = True
        elif arg in ("--profile", "-p") and args:
            profile = args.pop(0)
        elif arg.startswith("--profile="):
            profile = arg.split("=", 1)[1]
        else:
            return None  # --help, a typo, an extra argument: the full CLI explains
    return profile, offline


def lookup_key(profile: str | None, offline: bool) -> str | None:
    """The key ``print-key`` prints, or None when the full CLI must decide (and explain)."""
    if profile is not None and not _valid_profile(profile):
        return None
    directory = _config_dir()
    try:
        with open(os.path.join(directory, "config.toml"), "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raw = b""
    except OSError:
        return None
    doc: dict = {}
    if raw.strip():
        try:
            import tomllib
        except ImportError:  # Python 3.10: the full CLI (tomlkit) handles it
            return None
        try:
            doc = tomllib.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None
    profiles = doc.get("profiles") if isinstance(doc.get("profiles"), dict) else {}
    if profile:
        name, explicit = profile, True
    elif os.environ.get("BYTESPIKE_PROFILE"):
        name, explicit = os.environ["BYTESPIKE_PROFILE"], False
    else:
        name, explicit = str(doc.get("active_profile") or "default"), False
    if not _valid_profile(name):
        return None
    stored = profiles.get(name) if isinstance(profiles.get(name), dict) else {}
    if offline or _truthy("BYTESPIKE_OFFLINE") or bool(stored.get("offline")):
        return _DEMO_KEY
    env_key = (os.environ.get("BYTESPIKE_API_KEY") or "").strip()
    try:
        with open(os.path.join(directory, "keys", name + ".key"), encoding="ascii") as handle:
            stored_key = handle.read().strip() or None
    except FileNotFoundError:
        stored_key = None
    except (OSError, UnicodeDecodeError):
        return None
    if stored_key and (explicit or not env_key):
        return stored_key
    body = env_key[len("sk-byts-"):]
    if env_key.startswith("sk-byts-") and 16 <= len(body) <= 200 and set(body) <= _KEY_CHARS:
        return env_key  # anything pasted with noise around it goes through the full cleaner
    return None


def _cache_dir() -> str:
    home = os.environ.get("BYTESPIKE_HOME")
    if home:
        return os.path.join(os.path.expanduser(home), "cache")
    import platformdirs

    return platformdirs.user_cache_dir("bytespike", appauthor=False)


def complete_values(kind: str) -> list[str]:
    """What shell completion offers for ``kind`` ("profiles" or "models"), from local files only:
    config.toml and the key files for profiles, the list `bytespike models` last saw for model ids."""
    if kind == "models":
        try:
            with open(os.path.join(_cache_dir(), "model-ids.txt"), encoding="utf-8") as handle:
                return [line.strip() for line in handle if line.strip()]
        except OSError:
            return []
    if kind != "profiles":
        return []
    directory = _config_dir()
    names: list[str] = []
    try:
        import tomllib

        with open(os.path.join(directory, "config.toml"), "rb") as handle:
            profiles = tomllib.load(handle).get("profiles")
        names += [name for name in (profiles if isinstance(profiles, dict) else {})]
    except (ImportError, OSError, ValueError):
        pass
    try:
        names += [entry[:-4] for entry in sorted(os.listdir(os.path.join(directory, "keys"))) if entry.endswith(".key")]
    except OSError:
        pass
    return [name for name in dict.fromkeys(names) if _valid_profile(name)]


def main() -> None:
    argv = sys.argv[1:]
    if len(argv) == 2 and argv[0] == "__complete":  # shell completion: never the full CLI, never the network
        try:
            sys.stdout.write("".join(f"{value}\n" for value in complete_values(argv[1])))
            sys.stdout.flush()
        except BrokenPipeError:
            sys.exit(141)
        sys.exit(0)
    parsed = _parse(argv)
    if parsed is not None:
        key = lookup_key(*parsed)
        if key:
            try:
                sys.stdout.write(key + "\n")
                sys.stdout.flush()
            except BrokenPipeError:
                sys.exit(141)
            sys.exit(0)
    from bytespike_cli.cli.app import main as full_main

    full_main()


if __name__ == "__main__":
    main()
