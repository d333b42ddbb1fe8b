"""Keeping the committed notebooks in step with ``params/base.yaml`` (maintainers' tooling).

The committed notebooks hold the base scenario in their ``parameters`` cell and its executed
outputs (which nbval compares in CI). ``neocloud notebooks`` rewrites the parameters cell from
``params/base.yaml`` and re-executes each notebook in place, scrubbed like a rendered report.
"""

from __future__ import annotations

import ast
import pprint
from pathlib import Path
from typing import Any

from neocloud.render import clean_notebook, display_path
from neocloud.scenario import load_scenario, scenario_parameters

HEADER = (
    "# Parameters: papermill injects each scenario below this cell (see `neocloud render`).\n"
    "# These defaults equal params/base.yaml (checked by tests/test_notebooks.py)."
)


def parameters_source(scenario: dict[str, Any], scenario_file: str) -> str:
    """The source of a ``parameters`` cell holding a scenario as a Python literal.

    >>> print(parameters_source({"title": "x"}, "params/base.yaml"))
    # Parameters: papermill injects each scenario below this cell (see `neocloud render`).
    # These defaults equal params/base.yaml (checked by tests/test_notebooks.py).
    scenario_file = 'params/base.yaml'
    scenario = {'title': 'x'}
    """
    body = pprint.pformat(scenario, width=100, sort_dicts=False)
    return f"{HEADER}\nscenario_file = {scenario_file!r}\nscenario = {body}"


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
    return out


def refresh_notebooks(notebooks: Path, base: Path, timeout_s: int = 600) -> list[Path]:
    """Rewrite each notebook's parameters from ``base`` and re-execute it in place."""
    import nbformat
    from nbclient import NotebookClient

    scenario = scenario_parameters(load_scenario(base))
    done = []
    for path in sorted(notebooks.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        cell = parameters_cell(nb)
        cell.source = parameters_source(scenario, display_path(base))
        cell.metadata["jupyter"] = {"source_hidden": True}  # collapsed in JupyterLab: the report comes first
        NotebookClient(nb, timeout=timeout_s, kernel_name="python3", resources={"metadata": {"path": str(notebooks)}}).execute()
        clean_notebook(nb)
        nb.metadata.pop("papermill", None)
        nbformat.write(nb, path)
        done.append(path)
    return done
