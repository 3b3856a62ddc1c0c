"""The architecture as a checked contract: the import contracts in pyproject.toml
([tool.importlinter]: layers, frameworks only in bot/adapters/, no SQLAlchemy in handlers/, no
cycles among sibling modules), and modules small enough to read."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "storage", "seeds")
MAX_LINES = 500  # a module a reader can hold in mind; a longer one is two concerns


def lint_imports(cwd: Path, **env) -> subprocess.CompletedProcess:
    """``lint-imports`` in a child process: it configures logging for itself (disabling every
    logger already made), which must not happen to the process running the tests."""
    return subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=cwd,
                          env={**os.environ, **env}, capture_output=True, text=True)


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout  # every contract was read and checked


def test_no_module_in_handlers_or_storage_is_longer_than_a_reader_can_hold():
    long = {str(path.relative_to(ROOT)): lines for package in ("handlers", "storage")
            for path in (ROOT / package).rglob("*.py")
            if "migrations" not in path.parts  # revisions are written by Alembic, read one change at a time
            and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_contracts_do_catch_a_framework_import_in_the_core(tmp_path):
    """A copy of the tree with one forbidden import breaks the contracts: they are not vacuous."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "fonts", "locales"))
    (tmp_path / "handlers" / "core" / "leak.py").write_text("import aiogram\n", encoding="utf-8")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    result = lint_imports(tmp_path, PYTHONPATH=str(tmp_path))
    assert result.returncode != 0
    assert "handlers.core.leak -> aiogram" in result.stdout
