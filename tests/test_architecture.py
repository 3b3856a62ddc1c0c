"""The architecture as a checked contract: the import contracts in pyproject.toml
([tool.importlinter]: layers, frameworks only in bot/adapters/, no SQLAlchemy in handlers/, no
cycles among sibling modules), and modules small enough to read."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 500  # a module a reader can hold in mind; a longer one is two concerns


def test_the_import_contracts_hold(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    status = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert status == 0, report
    assert "5 kept, 0 broken" in report  # every contract was read and checked


def test_no_module_in_handlers_or_storage_is_longer_than_a_reader_can_hold():
    long = {str(path.relative_to(ROOT)): lines for package in ("handlers", "storage")
            for path in (ROOT / package).rglob("*.py")
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_contracts_do_catch_a_framework_import_in_the_core(tmp_path, capsys, monkeypatch):
    """A copy of the tree with one forbidden import breaks the contracts: they are not vacuous."""
    for package in ("bot", "handlers", "storage", "seeds"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "fonts", "locales"))
    (tmp_path / "handlers" / "core" / "leak.py").write_text("import aiogram\n", encoding="utf-8")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m.split(".")[0] in ("bot", "handlers", "storage", "seeds")]:
        monkeypatch.delitem(sys.modules, name)  # so the copy, not the installed tree, is analysed
    status = lint_imports(config_filename=str(tmp_path / "pyproject.toml"), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert status != 0
    assert "handlers.core.leak -> aiogram" in report
