"""The package's folders show the flow of data, and imports follow it (issue 18).

inputs (``neocloud.data``, ``neocloud.inputs``) -> model -> analysis -> report -> pipeline ->
commands: a module imports only from its own stage or earlier ones (imports for type checking
only, under ``if TYPE_CHECKING``, are not imports at run time and are not counted); no module
of the maths (model, analysis) imports a plotting library; no two modules import each other,
directly or round a circle, even inside a function.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "neocloud"
STAGES = ["inputs", "model", "analysis", "report", "pipeline", "commands"]
"""The folders in the order data flows through them; ``neocloud.data`` (the shipped files and
their readers) is part of the inputs."""
PLOTTING = ("altair", "vl_convert", "matplotlib")
READ_WITH_THE_CONVENTIONS = {("neocloud.inputs.ledger", "neocloud.model.deal")}
"""The one import against the flow, and why: a ledger record may give its fee as a total over the
term, and reading it means spreading that total by the accrual convention
(:func:`neocloud.model.deal.monthly_fee_for_total`), which is stated once, in the deal maths.
:mod:`neocloud.model.deal` itself imports nothing of neocloud but :mod:`neocloud.inputs.terms`,
so this adds no circle (the test below checks it)."""


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _stage(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None  # the package itself: the public API gathers every stage
    folder = "inputs" if parts[1] == "data" else parts[1]
    return STAGES.index(folder) if folder in STAGES else None


def _runtime_imports(path: Path) -> list[tuple[str, int]]:
    """(imported module or package.name, line) of every import that runs (type-checking ones skipped)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    out = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out += [(node.module, node.lineno)] + [(f"{node.module}.{a.name}", node.lineno) for a in node.names]
    return out


MODULES = {_module(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for m, path in MODULES.items():
        for name, _ in _runtime_imports(path):
            while name not in MODULES and "." in name:
                name = name.rsplit(".", 1)[0]
            if name in MODULES and name not in (m, "neocloud"):
                graph[m].add(name)
    return graph


def test_every_module_sits_in_a_stage_folder():
    loose = [m for m in MODULES if _stage(m) is None and m not in ("neocloud", "neocloud.bench")]
    assert not loose, f"modules outside the stage folders {STAGES}: {loose}"
    assert (PACKAGE / "bench.py").read_text().count("\n") < 10, "neocloud/bench.py only runs neocloud.commands.bench"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _stage(m) is not None))
def test_imports_follow_the_flow(module):
    own = _stage(module)
    late = []
    for name, line in _runtime_imports(MODULES[module]):
        target = name
        while target not in MODULES and "." in target:
            target = target.rsplit(".", 1)[0]
        stage = _stage(target) if target in MODULES else None
        if stage is not None and stage > own and (module, target) not in READ_WITH_THE_CONVENTIONS:
            late.append(f"line {line}: {name} ({STAGES[stage]})")
        if own <= STAGES.index("analysis") and name.split(".")[0] in PLOTTING:
            late.append(f"line {line}: {name} (plotting)")
    assert not late, f"{module} ({STAGES[own]}) imports a later stage: {late}"


def test_no_import_circles():
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert not circles, f"modules that import each other: {circles}"


def test_the_deal_maths_needs_nothing_read():
    graph = _graph()
    assert graph["neocloud.model.deal"] <= {"neocloud.inputs.terms"}, graph["neocloud.model.deal"]


def test_the_checks_find_a_late_import(tmp_path):
    """The rule above can fail: a model module importing a report module is caught."""
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from neocloud.report.narrative import usd\n")
    assert ("neocloud.report.narrative.usd", 2) in _runtime_imports(path)
    assert _stage("neocloud.report.narrative") > _stage("neocloud.model.deal")


def test_the_public_api_has_nothing_dead():
    """Each name ``neocloud`` exports is used: by a notebook, a test or the README, or (a function)
    by its own runnable example, or (a class) as what an exported function takes, returns or raises."""
    import inspect

    import neocloud as nc

    root = PACKAGE.parent
    # the words of each text (a name is used where it stands as a whole word: \bname\b)
    words = set()
    for p in [*root.glob("notebooks/*.ipynb"), *root.glob("tests/*.py"), root / "README.md"]:
        if p.name != "test_layout.py":
            words.update(re.findall(r"\w+", p.read_text(encoding="utf-8")))
    functions = [getattr(nc, n) for n in nc.__all__ if inspect.isfunction(getattr(nc, n))]
    described = set(re.findall(r"\w+", " ".join(str(inspect.signature(f)) + (f.__doc__ or "") for f in functions)))
    dead = []
    for name in nc.__all__:
        if name == "__version__" or name in words:
            continue
        obj = getattr(nc, name)
        if inspect.isfunction(obj) and ">>>" in (obj.__doc__ or ""):
            continue
        if isinstance(obj, type) and name in described:
            continue
        dead.append(name)
    assert not dead, f"exported but used nowhere: {dead}"
    assert len(set(nc.__all__)) == len(nc.__all__) and all(hasattr(nc, n) for n in nc.__all__)


def test_the_lazy_api_lists_each_name_once_and_type_checkers_see_the_same():
    """``neocloud`` loads each public name from the module :data:`neocloud._SOURCES` gives (PEP 562);
    ``__all__`` is that list, and the block type checkers read (``if TYPE_CHECKING:``) imports the
    same names from the same modules, so the three never drift apart."""
    import ast

    import neocloud as nc

    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    eager = {(n.module, a.name) for n in block.body if isinstance(n, ast.ImportFrom) for a in n.names}
    lazy = {(module, name) for module, names in nc._SOURCES.items() for name in names}
    assert eager == lazy, {"only for type checkers": sorted(eager - lazy), "only loaded lazily": sorted(lazy - eager)}
    assert nc.__all__ == ["__version__", *(n for names in nc._SOURCES.values() for n in names)]
    assert all(getattr(nc, n) is getattr(__import__(m, fromlist=[n]), n) for m, n in sorted(lazy))
