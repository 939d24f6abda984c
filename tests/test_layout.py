"""The package reads left to right: data -> models -> reasons -> metrics ->
evaluation. A module imports only from its own package and from packages to
its left (``checks`` imports nothing of reclib; ``protocol``
sits between data and models)."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "reclib"
LAYER = {"checks": 0, "losses": 1, "data": 1, "protocol": 2, "models": 3, "llm": 3, "reasons": 4,
         "metrics": 5, "evaluation": 6, "plots": 6, "gan1d": 6, "spark": 6,
         "exercises": 7}
MODULES = sorted(p for p in ROOT.rglob("*.py") if p.name != "__init__.py" or p.parent != ROOT)


def part(path_or_name):
    """The top-level part of reclib a module belongs to ("data", "models", ...)."""
    if isinstance(path_or_name, Path):
        rel = path_or_name.relative_to(ROOT).with_suffix("")
        return rel.parts[0]
    return path_or_name.split(".")[1]


def reclib_imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("reclib."):
            yield node.module, node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("reclib."):
                    yield alias.name, node.lineno


def test_every_part_has_a_layer():
    assert {part(p) for p in MODULES} <= set(LAYER)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_import_runs_back(path):
    here = part(path)
    for module, line in reclib_imports(path):
        there = part(module)
        assert there == here or LAYER[there] < LAYER[here], \
            f"{path.relative_to(ROOT)}:{line} imports {module} ({there} is not left of {here})"


def test_the_checker_sees_a_back_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from reclib.evaluation.reasons import head_to_head\n")
    assert [m for m, _ in reclib_imports(bad)] == ["reclib.evaluation.reasons"]
    assert LAYER[part("reclib.evaluation.reasons")] > LAYER["models"]
