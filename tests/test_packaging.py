"""The package ships whole: setuptools' find_packages (pyproject.toml) skips a folder without __init__.py."""

from __future__ import annotations

from pathlib import Path

import bytespike_cli

ROOT = Path(bytespike_cli.__file__).parent


def test_every_source_folder_is_a_regular_package():
    folders = {p.parent for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts}
    missing = sorted(str(f.relative_to(ROOT.parent)) for f in folders if not (f / "__init__.py").is_file())
    assert not missing, f"not in a wheel without __init__.py: {missing}"
