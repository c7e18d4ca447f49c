"""The simulator stands apart: it is a stand-in for Cal.com, which knows nothing of Sync Desk.

``calcom_simulator`` imports nothing from ``ops_ui``; ``ops_ui`` imports from ``calcom_simulator`` only its admin
client, and only to seed the demo and start the local stack. Read from the source (AST), so a forbidden import fails
here even in a module no test happens to run, and checked once more in a fresh interpreter.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SIMULATOR = ROOT / "calcom_simulator"
OPS_UI = ROOT / "ops_ui"
ADMIN_CLIENT = "calcom_simulator.admin_client"
ADMIN_CLIENT_USERS = {"ops_ui/demo/seed.py", "ops_ui/demo/commands.py", "ops_ui/local_stack.py"}
DYNAMIC_IMPORTS = {"import_module", "__import__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    return imports_of(path.read_text(encoding="utf-8"), package)


def imports_of(source: str, package: str) -> set[str]:
    """Every module ``source`` (a module of ``package``) imports, made absolute; ``from a import b`` counts as
    ``a.b``, since ``b`` may be a module."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            names.update(f"{base}.{alias.name}" if base else alias.name for alias in node.names)
        elif (dynamic := _dynamically_imported(node)) is not None:
            names.add(dynamic)
    return names


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
    return ".".join([*anchor, node.module] if node.module else anchor)


def _dynamically_imported(node: ast.AST) -> str | None:
    """The literal name in ``importlib.import_module("x")`` or ``__import__("x")``, if ``node`` is such a call."""
    if not isinstance(node, ast.Call) or not node.args or not isinstance(node.args[0], ast.Constant):
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    value = node.args[0].value
    return value if name in DYNAMIC_IMPORTS and isinstance(value, str) else None


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def sources(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


@pytest.mark.parametrize("module", sources(SIMULATOR), ids=lambda path: path.name)
def test_simulator_module_imports_nothing_from_ops_ui(module: Path) -> None:
    offending = sorted(name for name in imported_modules(module) if within(name, "ops_ui"))
    assert offending == [], f"{module.relative_to(ROOT)} imports {offending}: Cal.com knows nothing of Sync Desk"


def test_ops_ui_imports_only_the_simulators_admin_client() -> None:
    used = {
        (str(path.relative_to(ROOT)), name)
        for path in sources(OPS_UI)
        for name in imported_modules(path)
        if within(name, "calcom_simulator")
    }
    assert {name for _, name in used if not within(name, ADMIN_CLIENT)} == set(), sorted(used)
    assert {path for path, _ in used} <= ADMIN_CLIENT_USERS, sorted(used)


def test_importing_the_whole_simulator_loads_no_ops_ui_module() -> None:
    modules = [module_name(path) for path in sources(SIMULATOR)]
    probe = f"import sys\nfor m in {modules!r}: __import__(m)\nprint(sorted(m for m in sys.modules if m == 'ops_ui' "
    probe += "or m.startswith('ops_ui.')))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_import_reader_sees_every_form_of_import() -> None:
    """The checks above are only as good as ``imports_of``: plain, from-, relative and dynamic imports all count."""
    source = (
        "import ops_ui.models\n"
        "from ops_ui import errors\n"
        "from .store import Store\n"
        "from . import slots\n"
        "import importlib\n"
        "def later():\n"
        "    from ops_ui.calcom import categories\n"
        "    return importlib.import_module('ops_ui.cli'), __import__('ops_ui.config')\n"
    )
    assert imports_of(source, "calcom_simulator") == {
        "ops_ui.models", "ops_ui.errors", "calcom_simulator.store.Store", "calcom_simulator.slots", "importlib",
        "ops_ui.calcom.categories", "ops_ui.cli", "ops_ui.config",
    }  # fmt: skip
