"""The import graph of ``spmkb/`` keeps the layers of ARCHITECTURE.md honest.

Every ``import`` in a module counts, including those inside functions (a lazy import still
couples two modules); imports under ``if TYPE_CHECKING:`` do not. The layers, bottom up:

    base        spmkb (the package), config, errors, _lazy, jsonable, fmt, __main__
    content     content/, storage, notebooks, csvsafe
    engines     search/, deals/          (engines do not import each other)
    practices   reviews/, onboarding/, coaching/   (practices do not import each other)
    faces       widgets/, cli/, app (the hosted Voila app)

A module may import its own layer and those below it; a cycle between modules is refused.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "spmkb"

LAYERS: dict[str, int] = {
    "spmkb": 0, "config": 0, "errors": 0, "_lazy": 0, "jsonable": 0, "fmt": 0, "__main__": 4,
    "content": 1, "storage": 1, "notebooks": 1, "csvsafe": 1, "kernel_poll": 0,
    "search": 2, "deals": 2,
    "reviews": 3, "onboarding": 3, "coaching": 3,
    "widgets": 4, "cli": 4, "app": 4,
}  # fmt: skip
ENGINES = {"search", "deals"}
PRACTICES = {"reviews", "onboarding", "coaching"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _group(module: str) -> str:
    """The top-level part under spmkb: ``spmkb.deals.metrics`` -> ``deals``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "spmkb"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, module: str, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            skip.update(id(n) for n in ast.walk(node))
    out: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*up, base] if base else up)
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        for name in names:
            if not name.startswith("spmkb"):
                continue
            # the most specific known module this name refers to
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                out.add(name)
    return out


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    known = set(files)
    return {m: _imports(p, m, known) for m, p in files.items()}


GRAPH = _graph()


def _violations() -> list[str]:
    bad = []
    for mod, targets in sorted(GRAPH.items()):
        src = _group(mod)
        for target in sorted(targets):
            dst = _group(target)
            if target == "spmkb" or src == dst:
                continue  # the package root re-exports lazily; a package may import itself
            assert src in LAYERS, f"{mod}: add its folder to LAYERS in this test"
            assert dst in LAYERS, f"{target}: add its folder to LAYERS in this test"
            if LAYERS[dst] > LAYERS[src]:
                bad.append(f"{mod} imports {target}: upwards ({src} -> {dst})")
            elif src in ENGINES and dst in ENGINES:
                bad.append(f"{mod} imports {target}: engines do not import each other")
            elif src in PRACTICES and dst in PRACTICES:
                bad.append(f"{mod} imports {target}: practices do not import each other")
    return bad


def test_no_import_runs_upwards_or_across_engines_or_practices() -> None:
    assert _violations() == []


def _cycles() -> list[list[str]]:
    """Every elementary cycle found by DFS (one per back edge), smallest first."""
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH.get(node, ())):
            if nxt == "spmkb":
                continue
            if state.get(nxt) == 1:
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(GRAPH):
        if node not in state:
            visit(node)
    return sorted(found, key=len)


def test_no_import_cycles_between_modules() -> None:
    # Package __init__ files re-export names lazily (by string), so they add no edges.
    cycles = _cycles()
    assert cycles == [], "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize(
    ("module", "target"),
    [("spmkb.deals.metrics", "spmkb.reviews.scorecard"), ("spmkb.search.query", "spmkb.deals")],
)
def test_the_checker_sees_a_planted_violation(module: str, target: str) -> None:
    """The check can fail: an upward or cross-engine edge added to the graph is reported."""
    GRAPH.setdefault(module, set()).add(target)
    try:
        assert any(v.startswith(f"{module} imports {target}") for v in _violations())
    finally:
        GRAPH[module].discard(target)
