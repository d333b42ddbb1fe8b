"""Cache keys: a report is re-rendered only when something it depends on changes.

A report depends on its notebook, its scenario (content, and the path shown in the report),
the files its declaration names (:mod:`neocloud.pipeline.notebooks`), the package's source
files, the locked stack (``constraints.txt``) and the Python version. The headline figures are
cached under the scenario's content and the same environment.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neocloud.pipeline.files import display_path

if TYPE_CHECKING:
    from neocloud.pipeline.reports import Report
    from neocloud.analysis.summary import HeadlineFigures

PACKAGE_DIR = Path(__file__).resolve().parent.parent
"""The ``neocloud`` package folder, every file of which is part of the environment key."""


def _hash_files(paths: list[Path], root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def locked_stack_file() -> Path | None:
    """``constraints.txt`` beside the package (the pinned stack), when running from a checkout."""
    p = PACKAGE_DIR.parent / "constraints.txt"
    return p if p.is_file() else None


def environment_key(data_files: "list[Path] | tuple[Path, ...]" = ()) -> str:
    """Hash of what every report depends on besides its notebook, scenario and declared files:
    the package's source (every file, not only the version number), the locked stack, the
    Python version and any ``data_files`` given.

    >>> environment_key() == environment_key()
    True
    """
    files = [p for p in PACKAGE_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    h = hashlib.sha256(_hash_files(files, PACKAGE_DIR).encode())
    lock = locked_stack_file()
    h.update(lock.read_bytes() if lock else b"no lock file")
    h.update(sys.version.encode())
    for p in data_files:
        h.update(b"\0" + Path(p).read_bytes())
    edited = os.environ.get("NEOCLOUD_DATA")  # the figures read edited copies of their data files from there
    if edited:
        from neocloud.pipeline.notebooks import FIGURES_DATA

        for name in FIGURES_DATA:
            p = Path(edited) / name
            h.update(b"\0" + name.encode() + b"\0" + (p.read_bytes() if p.is_file() else b"(missing)"))
    return h.hexdigest()


def scenario_digest(scenario: Any) -> str:
    """A digest of a validated scenario's content (what its reports compute from: the file and
    whatever it ``extends``, merged; not its comments or layout).

    >>> from neocloud.inputs.scenario import load_scenario
    >>> scenario_digest(load_scenario("params/base.yaml")) == scenario_digest(load_scenario("params/base.yaml"))
    True
    """
    import json

    from neocloud.inputs.scenario import scenario_parameters

    text = json.dumps(scenario_parameters(scenario), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def report_key(report: Report, env_key: str, scenario: Any = None) -> str:
    """The cache key of one report: the environment, its notebook, its scenario's content
    (:func:`scenario_digest`, so a change to a file it ``extends`` counts too; ``scenario``, the
    scenario already read, else its file is read), the path the report shows and the files its
    declaration names (:func:`neocloud.pipeline.notebooks.declared_files`)."""
    from neocloud.pipeline.notebooks import declared_files

    if scenario is None:
        from neocloud.inputs.scenario import load_scenario

        scenario = load_scenario(report.scenario_path)
    h = hashlib.sha256(env_key.encode())
    h.update(report.notebook_path.read_bytes())
    h.update(scenario_digest(scenario).encode())
    h.update(display_path(report.scenario_path).encode())
    for name, p in declared_files(report.notebook_path):
        h.update(b"\0" + name.encode() + b"\0" + (p.read_bytes() if p is not None else b"(missing)"))
    return h.hexdigest()


def is_current(report: Report, key: str) -> bool:
    """True when the report's outputs exist and were made from exactly this key."""
    try:
        return report.html.is_file() and report.ipynb.is_file() and report.key_file.read_text() == key
    except OSError:
        return False


def cached_figures(outputs: Path, path: Path, scenario: Any, env_key: str) -> "HeadlineFigures":
    """A scenario's headline figures (with the simulated results they summarise), kept in
    ``outputs/.cache`` under a key of the scenario's content and the environment (package
    source, locked stack, data files): computed once per scenario and render, and read there by
    the index and by the reports' kernels (:func:`neocloud.analysis.summary.headline_figures`), so that a
    render with nothing changed recomputes nothing. ``path`` is the scenario's file (for callers
    that have no scenario yet)."""
    from neocloud.analysis.summary import compute_headline_figures, figures_key, read_cached_figures, write_cached_figures

    if scenario is None:
        from neocloud.inputs.scenario import load_scenario

        scenario = load_scenario(path)
    key = figures_key(scenario, env_key)
    found = read_cached_figures(figures_folder(outputs), key)
    if found is not None:
        return found
    figures = compute_headline_figures(scenario)
    with contextlib.suppress(OSError):
        write_cached_figures(figures_folder(outputs), key, figures)
    return figures


def figures_folder(outputs: Path) -> Path:
    """The folder of the render's cached figures (and other cached analyses)."""
    return Path(outputs).resolve() / ".cache"
