"""The shape of the code that the import linter does not check."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "eventhub"


def _is_import(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(("from ", "import ", ")")) or (
        stripped.endswith(",") and not stripped.startswith("#")
    )


def _reason(line: str) -> bool:
    """A comment that says something: not only a linter's `noqa` or a formatter's `fmt`."""
    if "#" not in line:
        return False
    comment = line.split("#", 1)[1].strip()
    return bool(comment) and not comment.startswith(("noqa", "fmt:", "type:"))


def _explained(lines: list[str], node: ast.ImportFrom) -> bool:
    """An import is explained by a comment on one of its lines, or on the line above the
    block of imports it belongs to."""
    block = range(node.lineno - 1, (node.end_lineno or node.lineno))
    if any(_reason(lines[i]) for i in block):
        return True
    above = node.lineno - 2
    while above >= 0 and _is_import(lines[above]):
        if _reason(lines[above]):
            return True
        above -= 1
    return above >= 0 and _reason(lines[above])


def test_function_level_imports_of_eventhub_say_why():
    unexplained = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text()
        lines = source.splitlines()
        tree = ast.parse(source)
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if (
                    isinstance(node, ast.ImportFrom)
                    and (node.module or "").startswith("eventhub")
                    and not _explained(lines, node)
                ):
                    unexplained.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert unexplained == []
