"""The real-home guard in tests/conftest.py can fail: it refuses and records access under the real home."""

from __future__ import annotations

import os
import sys

import pytest

from tests.home_guard import REAL_HOME, REAL_HOME_GUARD


def test_home_is_not_the_real_one():
    assert os.path.realpath(os.path.expanduser("~")) != str(REAL_HOME)


def test_an_access_under_the_real_home_is_refused_and_recorded():
    target = REAL_HOME / ".bytespike-guard-probe"
    try:
        # the audit event `open(path, "w")` raises before any file is made; sys.audit raises the same event
        # without even reaching the file system, so this test cannot write to the real home
        with pytest.raises(PermissionError, match="real home"):
            sys.audit("open", str(target), "w", 0)
        assert REAL_HOME_GUARD.touched == [f"open {target}"]
        with pytest.raises(PermissionError):
            sys.audit("os.rename", "/tmp/elsewhere", str(target), -1, -1)
    finally:
        REAL_HOME_GUARD.touched.clear()  # this test's own probe must not fail it at teardown
    assert not target.exists()


def test_the_interpreter_and_other_places_are_not_refused(tmp_path):
    sys.audit("open", os.path.join(sys.base_prefix, "lib", "x.py"), "r", 0)
    sys.audit("open", str(tmp_path / "x"), "w", 0)
    assert REAL_HOME_GUARD.touched == []
