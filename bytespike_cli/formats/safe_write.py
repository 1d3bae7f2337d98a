"""The one way bytespike writes a file: atomically, at the symlink's target, keeping the file's mode.

Steps: resolve symlinks (a dotfile repo keeps the link), write a temp file next to the target (same
file system, so ``os.replace`` is atomic), fsync it, give it the original mode (or 0600 for a new
file that holds a key), replace, fsync the directory. A reader sees the old bytes or the new bytes,
never half of them.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bytespike_cli.errors import ConfigFileError

SECRET_MODE = 0o600


def real_path(path: Path | str) -> Path:
    """The file a path finally points at (symlinks followed, even when the target does not exist yet)."""
    return Path(os.path.realpath(os.path.expanduser(str(path))))


def read_bytes(path: Path | str) -> bytes | None:
    """The file's bytes, or None when it does not exist. Other failures become ConfigFileError."""
    target = real_path(path)
    try:
        return target.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigFileError(path, "is a directory, expected a file", "move the directory away") from None
    except PermissionError:
        raise ConfigFileError(path, "cannot read: permission denied", f"check the permissions of {target}") from None
    except OSError as exc:
        raise ConfigFileError(path, f"cannot read: {exc.strerror or exc}") from None


def _is_writable(st_mode: int, path: Path) -> bool:
    # Running as root, os.access() says yes to everything; a file or directory whose write bits are all
    # off was made read-only on purpose, so honour that as well.
    return bool(st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)) and os.access(path, os.W_OK)


def check_writable(path: Path | str) -> Path:
    """Raise ConfigFileError if ``path`` (after symlinks) could not be replaced. Returns the real path."""
    target = real_path(path)
    try:
        st = target.stat()
    except FileNotFoundError:
        st = None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise ConfigFileError(path, "is a directory, expected a file", "move the directory away")
        if not _is_writable(st.st_mode, target):
            raise ConfigFileError(
                path, "the file is read-only", f"make it writable (chmod u+w {target}) or leave this tool out"
            )
    directory = _existing_ancestor(target.parent)
    try:
        dst = directory.stat()
    except OSError as exc:  # pragma: no cover - an ancestor that vanished under us
        raise ConfigFileError(path, f"cannot inspect {directory}: {exc.strerror}") from None
    if not stat.S_ISDIR(dst.st_mode):
        raise ConfigFileError(path, f"{directory} is not a directory", "move that file away")
    if not _is_writable(dst.st_mode, directory):
        raise ConfigFileError(
            path, f"the directory {directory} is read-only", f"make it writable (chmod u+w {directory})"
        )
    return target


def _existing_ancestor(directory: Path) -> Path:
    while not directory.exists() and directory != directory.parent:
        directory = directory.parent
    return directory


TEMP_SUFFIX = ".bytespike-tmp"


@dataclass
class Staged:
    """A temp file next to ``target`` holding the new bytes, fsynced, with the final mode: ready to rename."""

    path: Path | str  # as the caller names it (for messages)
    target: Path
    tmp: Path

    def commit(self) -> Path:
        try:
            os.replace(self.tmp, self.target)
        except OSError as exc:
            self.discard()
            raise _write_error(self.path, exc) from None
        _fsync_directory(self.target.parent)
        return self.target

    def discard(self) -> None:
        try:
            self.tmp.unlink()
        except OSError:
            pass


def _write_error(path: Path | str, exc: OSError) -> ConfigFileError:
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ConfigFileError(path, "cannot write: permission denied or read-only file system")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return ConfigFileError(path, f"cannot write: {exc.strerror or 'no space left'}", "free some space and run again")
    return ConfigFileError(path, f"cannot write: {exc.strerror or exc}")


def stage(path: Path | str, data: bytes, *, mode: int | None = None, secret: bool = False) -> Staged:
    """Write ``data`` to a temp file beside ``path``'s target (same file system), fsync it and give it its
    final mode; nothing is replaced yet. Mode rules as in :func:`write_atomic`."""
    target = check_writable(path)
    try:
        existing = target.stat()
    except FileNotFoundError:
        existing = None
    if mode is None:
        if existing is not None:
            mode = stat.S_IMODE(existing.st_mode)
            if secret:
                mode &= SECRET_MODE
        elif secret:
            mode = SECRET_MODE
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
    except PermissionError:
        raise ConfigFileError(path, f"cannot write in {target.parent}: permission denied") from None
    except OSError as exc:
        raise ConfigFileError(path, f"cannot write: {exc.strerror or exc}") from None
    tmp = Path(tmp_name)
    try:
        # the temp file is private from its first byte: it may hold a key
        os.chmod(tmp, SECRET_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if existing is not None and hasattr(os, "chown") and os.geteuid() == 0:
            # root editing a user's file must not hand it over to root
            try:
                os.chown(tmp, existing.st_uid, existing.st_gid)
            except OSError:
                pass
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _write_error(path, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Staged(path, target, tmp)


def write_atomic(path: Path | str, data: bytes, *, mode: int | None = None, secret: bool = False) -> Path:
    """Replace the file at ``path`` (its symlink target) with ``data``. Returns the path written.

    Mode: ``mode`` if given; else the existing file's mode (narrowed to 0600 when ``secret``); else
    0600 for a new secret file and the umask default for any other new file.
    """
    return stage(path, data, mode=mode, secret=secret).commit()


def stale_temp_files(directory: Path) -> list[Path]:
    """Temp files a killed bytespike left in ``directory``: our name pattern, owned by this user."""
    found = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return found
    uid = os.getuid() if hasattr(os, "getuid") else None
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX)):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and (uid is None or st.st_uid == uid):
            found.append(Path(entry.path))
    return found


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_file(path: Path | str) -> bool:
    """Delete the symlink's target (the link itself stays, as a user's dotfile repo expects). True if removed."""
    target = check_writable(path)
    try:
        target.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise ConfigFileError(path, f"cannot remove: {exc.strerror or exc}") from None
    _fsync_directory(target.parent)
    return True
