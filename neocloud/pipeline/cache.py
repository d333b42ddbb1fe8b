"""Cache keys: a report is re-rendered only when something it depends on changes.

A report depends on its notebook, its scenario file (bytes and the path shown in the report),
the package's source files, the locked stack (``constraints.txt``) and the Python version. The
index's figures are cached under the scenario file's bytes and the same environment.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from neocloud.pipeline.files import display_path, write_atomic
from neocloud.pipeline.reports import Report

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
    """Hash of what every report depends on besides its notebook and scenario: the package's
    source (every file, not only the version number), the locked stack, the Python version and
    the data files the notebooks read (:func:`report_data_files`).

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
    return h.hexdigest()


def report_data_files(notebooks: Path) -> list[Path]:
    """Files besides the scenario that the reports read, as a kernel started in ``notebooks``
    finds them: the sweep file of the termination report's Sobol' analysis."""
    from neocloud.global_sensitivity import DEFAULT_SWEEP_FILE
    from neocloud.scenario import find_scenario_file

    found = find_scenario_file(DEFAULT_SWEEP_FILE, search_from=[Path(notebooks).resolve()])
    return [found] if found is not None else []


def report_key(report: Report, env_key: str) -> str:
    """The cache key of one report."""
    h = hashlib.sha256(env_key.encode())
    for p in (report.notebook_path, report.scenario_path):
        h.update(p.read_bytes())
    h.update(display_path(report.scenario_path).encode())
    return h.hexdigest()


def is_current(report: Report, key: str) -> bool:
    """True when the report's outputs exist and were made from exactly this key."""
    try:
        return report.html.is_file() and report.ipynb.is_file() and report.key_file.read_text() == key
    except OSError:
        return False


def cached_figures(outputs: Path, path: Path, scenario: Any, env_key: str) -> dict[str, Any]:
    """A scenario's headline figures for the index, kept in ``outputs/.cache`` under a key of
    the scenario file's bytes and the environment (package source, locked stack), so that a
    render with nothing changed recomputes nothing."""

    from neocloud.summary import headline_figures

    key = hashlib.sha256(env_key.encode() + b"\0" + Path(path).read_bytes()).hexdigest()
    cached = outputs / ".cache" / f"figures-{key}.json"
    try:
        return json.loads(cached.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        figures = headline_figures(scenario)
        with contextlib.suppress(OSError):
            write_atomic(cached, json.dumps(figures).encode("utf-8"))
        return figures
