"""Refresh the committed notebooks (``neocloud notebooks``, for maintainers): rewrite each
notebook's parameters from the base scenario and re-execute it in place, cleaned as a render
cleans it, so that nbval compares them with what the code computes today."""

from __future__ import annotations

from pathlib import Path

from neocloud.inputs.scenario import load_scenario
from neocloud.pipeline.export import clean_notebook
from neocloud.pipeline.files import display_path
from neocloud.pipeline.notebooks import declaration, parameters_cell, parameters_source


def refresh_notebooks(notebooks: Path, base: Path, timeout_s: int = 600) -> list[Path]:
    """Rewrite each notebook's parameters from ``base`` and re-execute it in place."""
    import nbformat
    from nbclient import NotebookClient

    load_scenario(base)  # a clear message if the base scenario is invalid
    done = []
    for path in sorted(notebooks.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        cell = parameters_cell(nb)
        cell.source = parameters_source(display_path(base), declaration(path).parameters)
        cell.metadata.pop("jupyter", None)  # shown in JupyterLab: the path is what a reader edits
        NotebookClient(nb, timeout=timeout_s, kernel_name="python3", resources={"metadata": {"path": str(notebooks)}}).execute()
        clean_notebook(nb)
        nb.metadata.pop("papermill", None)
        nbformat.write(nb, path)
        done.append(path)
    return done
