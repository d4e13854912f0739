"""`pip install .` ships every data file the code reads (catalogs, migrations, tips, spec)."""

from __future__ import annotations

import ast
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


def test_test_support_stays_out_of_the_installed_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    include = config["packages"]["find"]["include"]

    shipped = [
        name
        for name in ("testing", "tests", "benchmarks", "emulator")
        if any(fnmatch.fnmatch(name, pattern) for pattern in include)
    ]

    assert shipped == []


def test_benchmarks_and_test_support_do_not_import_the_tests() -> None:
    """Benchmarks and ``testing/`` share what they need through ``testing/``, never by
    importing a test module."""
    importing_tests = []
    for path in sorted([*(ROOT / "benchmarks").rglob("*.py"), *(ROOT / "testing").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(name == "tests" or name.startswith("tests.") for name in names):
                importing_tests.append(path.relative_to(ROOT).as_posix())

    assert importing_tests == []
