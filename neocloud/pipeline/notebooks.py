"""The reports' declarations (what each depends on, how heavy it is), and keeping the committed
notebooks in step with ``params/base.yaml`` (maintainers' tooling).

Every notebook in ``notebooks/`` is a report of every scenario. What a report reads besides its
scenario is declared once here (:data:`DECLARATIONS`), and the pipeline follows from it: the
report's cache key holds the bytes of its declared files, the render starts the heaviest
reports first, and nothing in the pipeline names a report. A notebook without a declaration
depends on its scenario only. Adding a report is a notebook and a line here.

The committed notebooks name ``params/base.yaml`` in their ``parameters`` cell and carry its
executed outputs (which nbval compares in CI). ``neocloud notebooks`` rewrites the parameters cell
and re-executes each notebook in place, scrubbed like a rendered report.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any



@dataclass(frozen=True)
class Declaration:
    """What one report depends on besides its notebook, its scenario, the package's source and
    the locked stack: ``files``, project files it reads (sweep files), each found as a kernel
    started in ``notebooks/`` finds it (relative to that folder and its parents); ``data``, the
    package's data files (``neocloud/data/NAME``) it reads; ``weight``, its execution time
    relative to the others (the render starts the heaviest first, so that the pool ends
    together)."""

    files: tuple[str, ...] = ()
    data: tuple[str, ...] = ()
    weight: float = 1.0
    per_reporting_date: bool = False
    """The report reads the whole ledger on a date, not one scenario's deal: it is rendered once
    per reporting date (for the first scenario of the render with that date)."""
    parameters: tuple[str, ...] = ()
    """Its parameters besides ``scenario_file`` and ``scenario``, each a line of the parameters
    cell in papermill's form (``name: type = default  # help``)."""
    applies: str | None = None
    """What the report applies to: the name of its rule in :data:`neocloud.report.start.APPLIES`, a
    function of the validated scenario giving the reason in words the report does not apply to
    it, or None where it does (None here: every scenario). ``neocloud render`` writes, in the place
    of a report that does not apply, a page saying why (:mod:`neocloud.pipeline.not_applicable`);
    the notebook's first cell stops with that reason (the same rule). Named, not imported, so that
    reading the declarations imports nothing heavy (a no-op render reads them)."""


FIGURES_DATA = ("gpu_prices.csv", "capacity.csv")
"""Data files every report reads through the headline figures (market calibration, capacity)."""

DECLARATIONS: dict[str, Declaration] = {
    "deal": Declaration(data=(*FIGURES_DATA, "comparables.csv"), weight=1.0),
    "ipo_narrative": Declaration(data=(*FIGURES_DATA, "own_use_signals.csv"), weight=2.0),
    "termination": Declaration(files=("params/sweeps/termination_sobol.yaml",), data=FIGURES_DATA, weight=6.0,
                               applies="termination"),
    "market": Declaration(data=(*FIGURES_DATA, "contracts.yaml", "reported.yaml"), weight=2.5, per_reporting_date=True,
                          parameters=(
                              'as_of: "Optional[str]" = None  # the reporting date, YYYY-MM-DD (None: the scenario\'s); '
                              'a contract signed after it is in no figure',
                              'ledger_file: "Optional[str]" = None  # your own ledger (YAML), read beside the shipped '
                              'neocloud/data/contracts.yaml; None: the shipped ledger alone',
                          )),
}
"""Each report's declaration, by notebook name (its file name without ``.ipynb``)."""


def why_not_applicable(notebook: Path, scenario: Any) -> str | None:
    """Why the report ``notebook`` does not apply to ``scenario`` (its declaration's ``applies``),
    in words, or None where it applies.

    >>> from neocloud.inputs.scenario import load_scenario
    >>> why_not_applicable(Path("notebooks/termination.ipynb"), load_scenario("params/base.yaml")) is None
    True
    """
    rule = declaration(notebook).applies
    if rule is None:
        return None
    from neocloud.report.start import APPLIES

    return APPLIES[rule](scenario)


def scenario_reports(written: "list[str] | tuple[str, ...]" = ()) -> list[str]:
    """The names of a scenario's reports, as its sources page lists them: every declared report
    and those ``written`` (the reports a render or an export wrote), sorted. Both ways list the
    same reports, each linked only where it was written beside the page.

    >>> scenario_reports(["deal"])
    ['deal', 'ipo_narrative', 'market', 'termination']
    """
    return sorted({*DECLARATIONS, *written})


def declaration(notebook: Path) -> Declaration:
    """The declaration of the report ``notebook`` (a scenario-only one where none is given).

    >>> declaration(Path("notebooks/termination.ipynb")).files
    ('params/sweeps/termination_sobol.yaml',)
    >>> declaration(Path("notebooks/new_report.ipynb")) == Declaration()
    True
    """
    return DECLARATIONS.get(Path(notebook).stem, Declaration())


def report_pairs(scenarios: "dict[Path, Any]", notebooks: list[Path]) -> list[tuple[Path, Path]]:
    """The reports of a render, ``(scenario file, notebook)``: every scenario through every
    notebook, except that a report declared ``per_reporting_date`` is made once per reporting date,
    for the first scenario (in the order given) with that date.

    >>> from neocloud.inputs.scenario import load_scenario
    >>> s = {Path(p): load_scenario(p) for p in ("params/base.yaml", "params/early_exit.yaml")}
    >>> [(a.stem, b.stem) for a, b in report_pairs(s, [Path("notebooks/deal.ipynb"), Path("notebooks/market.ipynb")])]
    [('base', 'deal'), ('base', 'market'), ('early_exit', 'deal')]
    """
    pairs, dates_done = [], set()
    for path, scenario in scenarios.items():
        for nb in notebooks:
            if declaration(nb).per_reporting_date:
                key = (nb.stem, scenario.as_of.value)
                if key in dates_done:
                    continue
                dates_done.add(key)
            pairs.append((path, nb))
    return pairs


def declared_files(notebook: Path) -> list[tuple[str, Path | None]]:
    """Each file the report ``notebook`` declares, with where it is (None: not found; the report
    then fails with the notebook's own message, and its key changes when the file appears).

    >>> [(name, p.name) for name, p in declared_files(Path("notebooks/termination.ipynb"))][-1]
    ('params/sweeps/termination_sobol.yaml', 'termination_sobol.yaml')
    """
    from neocloud.data import data_path
    from neocloud.inputs.scenario import find_scenario_file

    d = declaration(notebook)
    found: list[tuple[str, Path | None]] = []
    for name in d.data:
        p = data_path(name)  # the edited copy where $NEOCLOUD_DATA names a folder, as the kernel reads it
        found.append((f"neocloud/data/{name}", p if p.is_file() else None))
    for name in d.files:
        found.append((name, find_scenario_file(name, search_from=[Path(notebook).resolve().parent])))
    return found


HEADER = """\
# Parameters (papermill injects its values below this cell; any other parameter is refused).
#   papermill notebooks/NAME.ipynb OUT.ipynb -p scenario_file params/early_exit.yaml
#   In JupyterLab, edit the path and run all cells."""


def parameters_source(scenario_file: str, extra: tuple[str, ...] = ()) -> str:
    """The source of a notebook's ``parameters`` cell (``extra``: the report's own parameters,
    :attr:`Declaration.parameters`).

    Each parameter carries its type and help in the form papermill reads
    (``papermill --help-notebook``: ``name: type = default  # help``).

    >>> print(parameters_source("params/base.yaml").splitlines()[-2].split("  #")[0])
    scenario_file: str = 'params/base.yaml'
    """
    return "\n".join([
        HEADER,
        f"scenario_file: str = {scenario_file!r}  # the scenario this report computes (YAML); the next cell reads and validates it",
        'scenario: "Optional[dict]" = None  # the same scenario as data (neocloud render passes both; they must agree), or None to read the file',
        *extra])


def parameters_cell(nb: Any) -> Any:
    """The cell tagged ``parameters`` (exactly one is required)."""
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"expected one cell tagged 'parameters', found {len(cells)}")
    return cells[0]


def parameter_defaults(nb: Any) -> dict[str, Any]:
    """The values the ``parameters`` cell assigns, read without running any code.

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = {'a': 1}", metadata={"tags": ["parameters"]})])
    >>> parameter_defaults(nb)
    {'x': {'a': 1}}
    """
    out: dict[str, Any] = {}
    for node in ast.parse(parameters_cell(nb).source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = ast.literal_eval(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            out[node.target.id] = ast.literal_eval(node.value)
    return out


