"""Functions stay small enough to read: none in ``ops_ui`` or ``calcom_simulator`` above a cyclomatic complexity of 15
(radon's measure)."""

from __future__ import annotations

from pathlib import Path

import pytest
from radon.complexity import cc_visit

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [ROOT / "ops_ui", ROOT / "calcom_simulator"]
MOST_BRANCHES = 15
MODULES = sorted(path for package in PACKAGES for path in package.rglob("*.py"))


@pytest.mark.parametrize("module", MODULES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_function_is_too_complex_to_read(module: Path):
    blocks = cc_visit(module.read_text(encoding="utf-8"))
    too_complex = [f"{block.fullname} ({block.complexity})" for block in blocks if block.complexity > MOST_BRANCHES]
    assert too_complex == []


def test_the_walk_covers_both_packages():
    assert {path.relative_to(ROOT).parts[0] for path in MODULES} == {"ops_ui", "calcom_simulator"}
