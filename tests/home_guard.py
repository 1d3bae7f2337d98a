"""The real-home guard used by tests/conftest.py (its own module, so it is installed exactly once)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REAL_HOME = Path(os.path.expanduser("~")).resolve()


class RealHomeGuard:
    """Refuses, and records, any file access under the real home while a test runs.

    An audit hook (PEP 578) sees every ``open`` (reads and writes, ``os.open`` included) and the
    calls that change the file system, whatever path they were given: code that finds the home some
    other way than ``$HOME`` (``pwd``, a cached path, a hard-coded ``/root``) is caught too. The
    operation fails with PermissionError, so nothing is written or read there, and the test fails at
    teardown even when the code under test swallowed that error. The interpreter's own files
    (pyenv's stdlib and site-packages often live under the home) are allowed, and reading the cached
    real clients of ``tests/realclients``.
    """

    EVENTS = {"open": 1, "os.rename": 2, "os.remove": 1, "os.rmdir": 1, "os.mkdir": 1, "os.chmod": 1,
              "os.chown": 1, "os.symlink": 2, "os.link": 2, "os.truncate": 1, "os.utime": 1, "os.listdir": 1,
              "os.scandir": 1, "shutil.copyfile": 2, "shutil.rmtree": 1, "sqlite3.connect": 1}

    def __init__(self, home: Path) -> None:
        self.home = str(home)
        prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        self.allowed = tuple(os.path.realpath(p) + os.sep for p in prefixes)
        self.readable = (os.path.join(self.home, ".cache", "bytespike-realclients") + os.sep,)
        self.active = False
        self.touched: list[str] = []

    def inside(self, path) -> bool:
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if not isinstance(path, (str, os.PathLike)):
            return False
        full = os.path.abspath(os.fspath(path))
        return (full == self.home or full.startswith(self.home + os.sep)) and not full.startswith(self.allowed)

    def __call__(self, event: str, args: tuple) -> None:
        if not self.active or event not in self.EVENTS:
            return
        for path in args[: self.EVENTS[event]]:
            if not self.inside(path):
                continue
            full = os.path.abspath(os.fsdecode(path) if isinstance(path, bytes) else os.fspath(path))
            if event == "open" and full.startswith(self.readable) and self._reading(args):
                continue
            self.touched.append(f"{event} {full}")
            raise PermissionError(f"a test touched the real home: {event} {full}")

    @staticmethod
    def _reading(args: tuple) -> bool:
        mode, flags = args[1], args[2]
        if isinstance(mode, str):
            return not any(c in mode for c in "wax+")
        return not (flags or 0) & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND)


REAL_HOME_GUARD = RealHomeGuard(REAL_HOME)
sys.addaudithook(REAL_HOME_GUARD)
