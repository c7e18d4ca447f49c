"""The Cal.com client stays usable from a shell: none of its modules imports Flask, SQLAlchemy or the models; and
the models do not reach into the client package for the error categories they store."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

OPS_UI = Path(__file__).resolve().parents[2] / "ops_ui"
CALCOM = OPS_UI / "calcom"
CLIENT_MODULES = ["client.py", "errors.py", "types.py", "classify.py"]
FORBIDDEN = ("flask", "sqlalchemy", "ops_ui.models", "ops_ui.extensions", "ops_ui.engine", "ops_ui.actions")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", CLIENT_MODULES)
def test_client_module_imports_no_web_or_database_code(module: str) -> None:
    offending = {
        name
        for name in imported_modules(CALCOM / module)
        for bad in FORBIDDEN
        if name == bad or name.startswith(bad + ".")
    }
    assert not offending, f"{module} imports {sorted(offending)}"


@pytest.mark.parametrize("module", ["models.py", "categories.py"])
def test_models_and_categories_import_nothing_of_the_client_package(module: str) -> None:
    offending = {name for name in imported_modules(OPS_UI / module) if name.startswith("ops_ui.calcom")}
    assert not offending, f"{module} imports {sorted(offending)}"
