"""Run the CLI in a real pseudo-terminal, as a person at a terminal would (spinners, prompts)."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time


class PtySession:
    def __init__(self, args: list[str], env: dict[str, str], *, stdout_tty: bool = True):
        import pty

        self.master, slave = pty.openpty()
        self.out_path = None
        stdout = slave
        if not stdout_tty:
            import tempfile

            handle = tempfile.NamedTemporaryFile(delete=False)
            self.out_path = handle.name
            stdout = handle
        self.proc = subprocess.Popen([sys.executable, "-m", "bytespike_cli", *args], stdin=slave, stdout=stdout,
                                     stderr=slave, env={**os.environ, "TERM": "xterm", "COLUMNS": "160", **env},
                                     close_fds=True)
        os.close(slave)
        self.screen = b""

    def read_until(self, marker: bytes | str, seconds: float = 30) -> bool:
        marker = marker.encode() if isinstance(marker, str) else marker
        end = time.time() + seconds
        while marker not in self.screen and time.time() < end:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                self.screen += chunk
        return marker in self.screen

    def read_until_after(self, first: str, then: str, seconds: float = 30) -> bool:
        """Wait for ``then`` to appear after ``first`` (a prompt shown again, for instance)."""
        end = time.time() + seconds
        while time.time() < end:
            if then in self.text.split(first, 1)[-1] and first in self.text:
                return True
            self.read_until(b"\x00never\x00", 0.1)
        return False

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def finish(self, seconds: float = 30) -> int:
        end = time.time() + seconds
        while self.proc.poll() is None and time.time() < end:
            self.read_until(b"\x00never\x00", 0.1)
        self.read_until(b"\x00never\x00", 0.2)
        try:
            return self.proc.wait(timeout=1)
        finally:
            self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            os.close(self.master)
        except OSError:
            pass

    @property
    def text(self) -> str:
        return self.screen.decode("utf-8", "replace")

    @property
    def stdout_file(self) -> str:
        assert self.out_path is not None
        with open(self.out_path, encoding="utf-8") as handle:
            return handle.read()
