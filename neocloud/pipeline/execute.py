"""One report: a scenario file through papermill (in this process's warm kernel), then the
HTML exporter, moved into place only when both files are complete.

A failure of any kind leaves the previous good report byte for byte; the partial notebook and the
kernel's log go to ``outputs/_failed/``. Failures are recognised by exception type.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from neocloud.pipeline.files import display_path, write_atomic
from neocloud.pipeline.reports import Outcome, Report, Status
from neocloud.inputs.scenario import load_scenario, scenario_parameters
from neocloud.inputs.sourced import ScenarioError

_EXPORTER: Any = None


def report_exporter(cache_dir: Path | None = None) -> Any:
    """One :class:`~neocloud.pipeline.export.ReportExporter` per process (workers fork with it warm)."""
    global _EXPORTER
    if _EXPORTER is None:
        from neocloud.pipeline.export import ReportExporter

        _EXPORTER = ReportExporter()
    if cache_dir is not None:
        _EXPORTER.vega_cache_dir = cache_dir
    return _EXPORTER


def notebook_to_html(nb: Any, header: dict[str, str]) -> str:
    """Export a prepared notebook (:meth:`ReportExporter.prepare`) to the offline HTML report."""
    body, _ = report_exporter().from_notebook_node(nb, resources={"neocloud": header})
    return body


@contextlib.contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Send this process's stderr (and so the kernel's, which inherits it) to ``path``."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def execute_report(report: Report, key: str, timeout_s: int = 600, scenario: Any = None) -> Outcome:
    """Execute and export one report, moving it into place only when complete. ``scenario``: the
    scenario the render read and validated (else its file is read here). The kernel receives it
    as data, vouched for (:func:`neocloud.report.start.start_report`), and reads no file."""
    import nbformat
    import papermill as pm

    from neocloud.pipeline.export import ReportRefused
    from neocloud.pipeline.kernels import process_kernel, register_engine
    from neocloud.report.start import parameters_digest, scenario_record

    t0 = time.perf_counter()
    tmp = report.outputs / ".tmp" / f"{report.scenario}.{report.name}.{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    executed = tmp / f"{report.name}.ipynb"
    try:
        if scenario is None:
            scenario = load_scenario(report.scenario_path)
        parameters = {"scenario": scenario_parameters(scenario), "scenario_file": display_path(report.scenario_path)}
        kernel = process_kernel(report.outputs)
        try:
            vouched = (parameters["scenario_file"], parameters_digest(parameters["scenario"]))
            km = kernel.manager_for(report.notebook_path.parent.resolve(), vouched)
            with _stderr_to(tmp / "kernel.log"):
                pm.execute_notebook(
                    str(report.notebook_path),
                    str(executed),
                    parameters=parameters,
                    cwd=str(report.notebook_path.parent),
                    progress_bar=False,
                    log_output=False,
                    execution_timeout=timeout_s,
                    start_timeout=120,
                    report_mode=False,
                    km=km,
                    engine_name=register_engine(),  # saved once at the end, also on failure
                )
        except BaseException as e:
            _append_log(kernel.log, tmp / "kernel.log")
            kernel.discard()  # a kernel that failed a report is not reused
            partial = _keep_partial(report, executed)
            if isinstance(e, Exception):
                return Outcome(report, Status.FAILED, time.perf_counter() - t0, _describe(e), partial)
            raise
        # the header comes from the record the kernel made; for a notebook that does not call
        # start_report, from the scenario the render read (no file is read again)
        supplied = scenario_record(scenario, parameters["scenario_file"], parameters["scenario"])
        nb, header = report_exporter().prepare(nbformat.read(executed, as_version=4), report.name, supplied)
        ipynb_text = nbformat.writes(nb) + "\n"
        html = notebook_to_html(nb, header)
        (tmp / "out.ipynb").write_text(ipynb_text, encoding="utf-8")
        (tmp / "out.html").write_text(html, encoding="utf-8")
        report.html.parent.mkdir(parents=True, exist_ok=True)
        report.key_file.unlink(missing_ok=True)  # the pair is not current until both are moved
        os.replace(tmp / "out.html", report.html)
        os.replace(tmp / "out.ipynb", report.ipynb)
        write_atomic(report.key_file, key.encode())
        report.failed.unlink(missing_ok=True)  # an earlier failure's partial notebook and log
        report.failed.with_suffix(".log").unlink(missing_ok=True)
        return Outcome(report, Status.RENDERED, time.perf_counter() - t0)
    except (ScenarioError, ReportRefused) as e:
        return Outcome(report, Status.FAILED, time.perf_counter() - t0, str(e))
    except OSError as e:
        reason = "disk full" if e.errno == errno.ENOSPC else e.strerror or str(e)
        where = f" ({e.filename})" if e.filename else ""
        return Outcome(report, Status.FAILED, time.perf_counter() - t0, f"could not write outputs: {reason}{where}",
                       _keep_partial(report, executed))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _append_log(source: Path | None, dest: Path) -> None:
    """Add the warm kernel's own log (its stderr since it started) to a report's log."""
    with contextlib.suppress(OSError):
        if source is not None and source.is_file():
            with open(dest, "ab") as out:
                out.write(source.read_bytes())


def _keep_partial(report: Report, executed: Path) -> Path | None:
    """Keep the partial notebook (and the kernel's log) under ``outputs/_failed/``."""
    if not executed.is_file():
        return None
    try:
        report.failed.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(executed, report.failed)
        log = executed.parent / "kernel.log"
        if log.is_file():
            shutil.copyfile(log, report.failed.with_suffix(".log"))
        return report.failed
    except OSError:  # e.g. the disk is full: the temporary copy is removed too, so report none
        return None


def _describe(e: BaseException) -> str:
    """A failure in words, recognised by its exception type."""
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if isinstance(e, PapermillExecutionError):
        return f"cell {e.exec_count} raised {e.ename}: {e.evalue}"
    if isinstance(e, DeadKernelError):
        return "the kernel died while running the notebook"
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"
