"""Functions stay small enough to read: none in ``ops_ui`` above a cyclomatic complexity of 15 (radon's measure)."""

from __future__ import annotations

from pathlib import Path

import pytest
from radon.complexity import cc_visit

OPS_UI = Path(__file__).resolve().parents[2] / "ops_ui"
MOST_BRANCHES = 15


@pytest.mark.parametrize("module", sorted(OPS_UI.rglob("*.py")), ids=lambda path: str(path.relative_to(OPS_UI)))
def test_no_function_is_too_complex_to_read(module: Path):
    blocks = cc_visit(module.read_text(encoding="utf-8"))
    too_complex = [f"{block.fullname} ({block.complexity})" for block in blocks if block.complexity > MOST_BRANCHES]
    assert too_complex == []
