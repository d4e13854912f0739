"""`pip install .` ships every data file the code reads (catalogs, migrations, tips, spec)."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_data_file_in_a_package_is_declared_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns: dict[str, list[str]] = config["package-data"]
    packages = [name.rstrip("*") for name in config["packages"]["find"]["include"]]

    undeclared = []
    for package in packages:
        for path in (ROOT / package).rglob("*"):
            if path.is_dir() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            relative = path.relative_to(ROOT / package).as_posix()
            if not any(fnmatch.fnmatch(relative, pattern) for pattern in patterns.get(package, [])):
                undeclared.append(f"{package}/{relative}")

    assert undeclared == []
