"""Keeping the committed notebooks in step with ``params/base.yaml`` (maintainers' tooling).

The committed notebooks name ``params/base.yaml`` in their ``parameters`` cell and carry its
executed outputs (which nbval compares in CI). ``neocloud notebooks`` rewrites the parameters cell
and re-executes each notebook in place, scrubbed like a rendered report.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from neocloud.pipeline.export import clean_notebook
from neocloud.pipeline.files import display_path
from neocloud.scenario import load_scenario

HEADER = """\
# Parameters (papermill injects its values below this cell; any other parameter is refused).
#   papermill notebooks/NAME.ipynb OUT.ipynb -p scenario_file params/early_exit.yaml
#   In JupyterLab, edit the path and run all cells."""


def parameters_source(scenario_file: str) -> str:
    """The source of a notebook's ``parameters`` cell.

    Each parameter carries its type and help in the form papermill reads
    (``papermill --help-notebook``: ``name: type = default  # help``).

    >>> print(parameters_source("params/base.yaml").splitlines()[-2].split("  #")[0])
    scenario_file: str = 'params/base.yaml'
    """
    return (f"{HEADER}\n"
            f"scenario_file: str = {scenario_file!r}  # the scenario this report computes (YAML); the next cell reads and validates it\n"
            'scenario: "Optional[dict]" = None  # the same scenario as data (neocloud render passes both; they must agree), or None to read the file')


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


def refresh_notebooks(notebooks: Path, base: Path, timeout_s: int = 600) -> list[Path]:
    """Rewrite each notebook's parameters from ``base`` and re-execute it in place."""
    import nbformat
    from nbclient import NotebookClient

    load_scenario(base)  # a clear message if the base scenario is invalid
    done = []
    for path in sorted(notebooks.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        cell = parameters_cell(nb)
        cell.source = parameters_source(display_path(base))
        cell.metadata.pop("jupyter", None)  # shown in JupyterLab: the path is what a reader edits
        NotebookClient(nb, timeout=timeout_s, kernel_name="python3", resources={"metadata": {"path": str(notebooks)}}).execute()
        clean_notebook(nb)
        nb.metadata.pop("papermill", None)
        nbformat.write(nb, path)
        done.append(path)
    return done
