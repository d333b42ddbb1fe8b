"""Small notebooks and scenarios for pipeline tests (fast: no deal maths inside)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from conftest import PARAMS, neocloud_cli

HELLO = "print(scenario['title'])"
"""A report cell that needs no maths: the scenario's title, from the injected data."""

FIGURES_TITLE = ("import neocloud as nc\nsc = nc.report_scenario(scenario_file, scenario)\n"
                 "print(nc.headline_figures(sc).title)")
"""A report cell that reads the scenario as the reports do and prints its figures' title."""

KERNEL = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}


def make_notebook(path: Path, *cells: str) -> Path:
    """A notebook with a parameters cell and the given code cells."""
    params = new_code_cell("scenario_file = 'x'\nscenario = {}", metadata={"tags": ["parameters"]})
    params["id"] = "params"
    body = []
    for i, code in enumerate(cells):
        c = new_code_cell(code)
        c["id"] = f"c{i}"
        body.append(c)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=[params, *body], metadata=KERNEL), path)
    return path


def copy_scenario(dest: Path, name: str = "base", **replace: str) -> Path:
    """params/base.yaml copied to ``dest/<name>.yaml`` with text replacements."""
    dest.mkdir(parents=True, exist_ok=True)
    text = (PARAMS / "base.yaml").read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    out = dest / f"{name}.yaml"
    out.write_text(text, encoding="utf-8")
    return out


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes), hidden cache folders excepted."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".cache" not in p.parts and p.name != ".render.lock"}


def reports_only(snap: dict[str, bytes]) -> dict[str, bytes]:
    """The reports (html and ipynb) of a snapshot; the index, which flags failures, left out."""
    return {k: v for k, v in snap.items()
            if k.endswith((".html", ".ipynb")) and not k.startswith("_failed") and k != "index.html"}



def wait_for(condition, what: str, timeout_s: float = 60.0) -> None:
    """Wait until ``condition()`` is true (an event another process makes happen, such as a file
    it writes), failing with ``what`` after ``timeout_s``: a bounded wait, never a fixed sleep."""
    import time

    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.02)


def wait_for_file_code(path: Path, timeout_s: float = 120.0) -> str:
    """Notebook code that blocks until ``path`` exists (the test's go-ahead), at most ``timeout_s``."""
    return (f"import os, time\ndeadline = time.monotonic() + {timeout_s}\n"
            f"while not os.path.exists({str(path)!r}) and time.monotonic() < deadline:\n    time.sleep(0.02)")


def touch_code(path: Path) -> str:
    """Notebook code that creates ``path`` (tells the test the kernel got there)."""
    return f"open({str(path)!r}, 'w').close()"


def render_cli(outputs: Path, *args: str, notebooks: Path | None = None, **kw) -> subprocess.CompletedProcess:
    """``neocloud render --outputs OUTPUTS [--notebooks NOTEBOOKS] ARGS`` in a fresh interpreter."""
    extra = ["--notebooks", str(notebooks)] if notebooks else []
    return neocloud_cli("render", "--outputs", str(outputs), *extra, *args, **kw)
