"""safe_write: atomic replace at the symlink target, modes kept, clear errors for read-only places."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from bytespike_cli.errors import ConfigFileError
from bytespike_cli.formats.safe_write import read_bytes, remove_file, write_atomic


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_file_gets_umask_mode_and_parents(tmp_path):
    target = tmp_path / "a" / "b" / "settings.json"
    write_atomic(target, b"{}\n")
    assert target.read_bytes() == b"{}\n"
    umask = os.umask(0)
    os.umask(umask)
    assert mode(target) == 0o666 & ~umask


def test_new_secret_file_is_0600(tmp_path):
    target = tmp_path / "secrets.env"
    write_atomic(target, b"K=v\n", secret=True)
    assert mode(target) == 0o600


def test_existing_mode_is_kept_and_secret_narrows_it(tmp_path):
    target = tmp_path / "f"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    write_atomic(target, b"new")
    assert mode(target) == 0o640
    write_atomic(target, b"newer", secret=True)
    assert mode(target) == 0o600
    assert target.read_bytes() == b"newer"


def test_symlink_is_kept_and_target_written(tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "settings.json"
    real.write_bytes(b"old")
    link = tmp_path / "settings.json"
    link.symlink_to(real)
    write_atomic(link, b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


def test_dangling_symlink_creates_the_target(tmp_path):
    real = tmp_path / "repo" / "conf.toml"
    (tmp_path / "repo").mkdir()
    link = tmp_path / "conf.toml"
    link.symlink_to(real)
    write_atomic(link, b"a = 1\n")
    assert link.is_symlink() and real.read_bytes() == b"a = 1\n"


def test_read_only_file_is_a_clear_error_and_untouched(tmp_path):
    target = tmp_path / "f.json"
    target.write_bytes(b"{}")
    os.chmod(target, 0o444)
    with pytest.raises(ConfigFileError) as info:
        write_atomic(target, b"[]")
    assert "read-only" in info.value.message and str(target) in info.value.message
    assert target.read_bytes() == b"{}"


def test_read_only_directory_is_a_clear_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    os.chmod(folder, 0o555)
    try:
        with pytest.raises(ConfigFileError) as info:
            write_atomic(folder / "new.json", b"{}")
        assert "read-only" in info.value.message
        assert not (folder / "new.json").exists()
    finally:
        os.chmod(folder, 0o755)


def test_no_temp_files_are_left_behind(tmp_path):
    target = tmp_path / "f"
    for i in range(5):
        write_atomic(target, str(i).encode())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_a_directory_in_the_way_is_an_error(tmp_path):
    (tmp_path / "settings.json").mkdir()
    with pytest.raises(ConfigFileError):
        write_atomic(tmp_path / "settings.json", b"{}")
    with pytest.raises(ConfigFileError):
        read_bytes(tmp_path / "settings.json")


def test_readers_never_see_a_partial_file(tmp_path):
    target = tmp_path / "big"
    small, large = b"a" * 10, b"b" * 2_000_000
    write_atomic(target, small)
    seen: set[int] = set()
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            seen.add(len(target.read_bytes()))

    thread = threading.Thread(target=reader)
    thread.start()
    for i in range(20):
        write_atomic(target, large if i % 2 == 0 else small)
    stop.set()
    thread.join()
    assert seen <= {len(small), len(large)}


def test_remove_file_deletes_the_target_keeps_the_link(tmp_path):
    real = tmp_path / "real"
    real.write_bytes(b"x")
    link = tmp_path / "link"
    link.symlink_to(real)
    assert remove_file(link) is True
    assert link.is_symlink() and not real.exists()
    assert remove_file(link) is False
