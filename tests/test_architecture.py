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


# The composition roots may use any area; nothing but them imports these.
WIRING = {"cli", "demo", "models", "templating", "gunicorn_conf"}
# The unbound Flask extensions are part of core (core/db.py defines their base model).
CORE = {"core", "extensions"}


def _area(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 2 or parts[1] in WIRING:
        return None
    return "core" if parts[1] in CORE else parts[1]


def test_areas_import_each_other_in_one_direction_only():
    """Package by package, not only layer by layer: if area A imports area B, B imports nothing
    of A, function-level imports included (the contracts allow none of those either)."""
    import grimp  # the import linter's own graph builder, a dev dependency

    graph = grimp.build_graph("eventhub", exclude_type_checking_imports=True)
    arrows: set[tuple[str, str]] = set()
    for module in graph.modules:
        source = _area(module)
        for imported in graph.find_modules_directly_imported_by(module):
            target = _area(imported)
            if source and target and source != target:
                arrows.add((source, target))
    two_way = sorted((a, b) for a, b in arrows if (b, a) in arrows and a < b)
    assert two_way == []
    # and the areas that must stay at the bottom import nothing above them
    assert {b for a, b in arrows if a == "core"} == set()
    assert {b for a, b in arrows if a == "accounts"} <= {"core"}
