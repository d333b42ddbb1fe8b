"""``neocloud render``: every scenario x notebook -> executed notebooks and offline HTML, then the index.

Guarantees (each kept by one module of :mod:`neocloud.pipeline`):

* **Atomic** (:mod:`~neocloud.pipeline.execute`). A report is written under ``outputs/.tmp/`` and
  moved into place (``os.replace``) only when both its ``.ipynb`` and ``.html`` are complete. A
  failure of any kind leaves the previous good report byte for byte; the partial notebook goes to
  ``outputs/_failed/``.
* **Reproducible** (:mod:`~neocloud.pipeline.export`). Executed notebooks are scrubbed of timings,
  machine paths and random ids, and the HTML holds nothing that changes between runs.
* **Incremental** (:mod:`~neocloud.pipeline.cache`). A report is re-rendered only when its cache key
  changes: the notebook, the scenario file, the files its declaration names
  (:mod:`~neocloud.pipeline.notebooks`), the package's source files and the locked stack. Each
  scenario's headline figures are computed once per render and shared by its reports and the index.
* **Isolated failures.** A scenario whose reports or figures fail is marked failed in the summary
  and the index; the other scenarios and the index are rendered all the same.
* **Parallel** (:mod:`~neocloud.pipeline.pool`). Reports run in a pool of workers with warm kernels.
* **One writer, no collisions** (:mod:`~neocloud.pipeline.files`). A lock on
  ``outputs/.render.lock`` keeps two renders from writing at once, and a folder of reports belongs
  to one scenario file.
* **An index that agrees** (:mod:`~neocloud.pipeline.index`). The index is built from the figures
  the reports on disk state.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from neocloud.pipeline.cache import cached_figures, environment_key, is_current, report_key
from neocloud.pipeline.files import FIGURES_FILE, RenderLocked, claim_folders, outputs_lock, write_figures
from neocloud.pipeline.index import write_index
from neocloud.pipeline.not_applicable import write_not_applicable
from neocloud.pipeline.notebooks import declaration, report_pairs, why_not_applicable
from neocloud.pipeline.pool import run_all
from neocloud.pipeline.reports import Outcome, RenderResult, Report, Status
from neocloud.pipeline.sources_page import write_sources_pages
from neocloud.pipeline.stamp import (begin, discover, edited_outputs, forget, index_lines, previous_outputs,
                                     render_context, summary_head, write_stamp)
from neocloud.inputs.scenario import load_scenario, scenario_stem
from neocloud.inputs.sourced import ScenarioError, each_file_read_once

__all__ = ["RenderLocked", "RenderResult", "Status", "discover", "render", "say_now", "summary_lines"]


def say_now(line: str) -> None:
    """Print a progress line at once, also when stdout is a pipe (a log, a test, CI)."""
    print(line, flush=True)


def render(
    paths: list[Path] | None = None,
    *,
    params: Path = Path("params"),
    notebooks: Path = Path("notebooks"),
    outputs: Path = Path("outputs"),
    jobs: int | None = None,
    force: bool = False,
    wait: bool = True,
    say: Callable[[str], None] = say_now,
) -> RenderResult:
    """Render every scenario x notebook that is not current, then the index."""
    t0 = time.perf_counter()
    result = RenderResult()
    scenario_files, notebook_files = discover(params, notebooks, paths)
    if not notebook_files:
        raise FileNotFoundError(f"no notebooks (*.ipynb) in {notebooks}/")
    if not scenario_files:
        raise FileNotFoundError(f"no scenarios (*.yaml) in {params}/")
    context = render_context(paths, params, notebooks, outputs)  # for the no-op stamp (neocloud.pipeline.stamp)
    stamp = (context, begin(context, scenario_files, sorted(params.glob("*.yaml")), notebook_files))
    with each_file_read_once():  # each scenario file read once in all, also what many extend
        return _render(scenario_files, notebook_files, params, outputs, jobs, force, wait, say, result, t0, stamp)


def _render(scenario_files: list[Path], notebook_files: list[Path], params: Path, outputs: Path, jobs: int | None,
            force: bool, wait: bool, say: Callable[[str], None], result: RenderResult, t0: float,
            stamp: tuple[dict[str, Any], Any]) -> RenderResult:
    valid: dict[Path, Any] = {}
    for path in scenario_files:
        try:
            valid[path] = load_scenario(path)
        except ScenarioError as e:
            result.invalid.append(e)
    with outputs_lock(outputs, wait=wait, announce=say):
        shutil.rmtree(outputs / ".tmp", ignore_errors=True)  # left by a run that was killed
        edited, seen = edited_outputs(outputs, previous_outputs(outputs))  # since the last clean render: made again
        forget(outputs)  # the no-op stamp holds only once this render has ended clean
        claim_folders(outputs, valid, result.invalid)
        env_key = environment_key()
        todo: list[tuple[Report, str]] = []
        for path, nb in report_pairs(valid, notebook_files):
            report = Report(path, nb, outputs)
            why_not = why_not_applicable(nb, valid[path])
            if why_not is not None:  # a page saying why, in the report's place; nothing executed
                write_not_applicable(report, valid[path], why_not)
                result.outcomes.append(Outcome(report, Status.NOT_APPLICABLE, error=why_not))
                continue
            key = report_key(report, env_key, valid[path])
            if force or not is_current(report, key) or {report.html, report.ipynb} & edited:
                todo.append((report, key))
            else:
                result.outcomes.append(Outcome(report, Status.CACHED))
        changed: list[Path] = []
        if todo:
            changed = [p for p in valid if p in {r.scenario_path for r, _ in todo}]
            result.outcomes += run_all(todo, outputs, jobs, say, [(p, valid[p]) for p in changed], env_key,
                                       weight=lambda r: declaration(r.notebook_path).weight)
        failed = {o.report.scenario_path for o in result.failed}
        for path in valid:  # the figures the reports on disk state, for the index: of the scenarios rendered
            folder = outputs / scenario_stem(path)  # now, and of any whose figures were deleted or edited since
            stale = folder / FIGURES_FILE in edited or not (folder / FIGURES_FILE).is_file()
            if path in failed or not (path in changed or stale):
                continue
            try:
                write_figures(folder, cached_figures(outputs, path, valid[path], env_key))
            except Exception:  # noqa: BLE001 - reports that rendered without figures: the index says so
                continue
        pages = write_sources_pages(outputs, valid, notebook_files, say)  # one sources page per scenario, linked by its reports
        # the index lists params/ and the files rendered now (never a file that is not a scenario)
        every = sorted({*params.glob("*.yaml"), *valid}, key=lambda p: (scenario_stem(p), str(p)))
        result.index = write_index(outputs, every, notebook_files, result, env_key, loaded=valid)
        if result.ok and len(pages) == len(valid):
            _stamp(outputs, (*stamp, seen), scenario_files, sorted(params.glob("*.yaml")), notebook_files, every, valid, result)
    result.seconds = time.perf_counter() - t0
    return result


def _stamp(outputs: Path, stamp: tuple[Any, ...], scenario_files: list[Path], listed: list[Path],
           notebook_files: list[Path], every: list[Path], valid: dict[Path, Any], result: RenderResult) -> None:
    """Write the no-op stamp of a render that ended clean, when every scenario the index lists is
    valid (:func:`neocloud.pipeline.stamp.write_stamp`)."""
    from neocloud.inputs.scenario import scenario_files as files_read

    for path in every:
        if path not in valid:
            try:
                load_scenario(path)
            except ScenarioError:
                return
    chains = sorted({str(f.resolve()) for path in every for f in files_read(path)})
    stems = [scenario_stem(p) for p in valid]
    if all((outputs / stem / FIGURES_FILE).is_file() for stem in stems):
        not_applicable = not_applicable_lines(result)
        write_stamp(outputs, stamp[0], scenario_files, listed, notebook_files, chains,
                    len(result.outcomes) - len(not_applicable), stems, stamp[1], stamp[2], not_applicable=not_applicable)


def not_applicable_lines(result: RenderResult) -> list[str]:
    """A line per report that does not apply to its scenario, saying why (the page in its place says it too)."""
    return [f"does not apply: {o.report.label}: {o.error}" for o in result.outcomes if o.status is Status.NOT_APPLICABLE]


def summary_lines(result: RenderResult) -> list[str]:
    """The closing summary of a render, naming each failure and where its partial notebook is."""
    counts = {s.value: sum(o.status is s for o in result.outcomes) for s in Status}
    lines = [summary_head(counts["rendered"], counts["cached"], counts["failed"], len(result.invalid), result.seconds,
                          not_applicable=counts["does not apply"])]
    lines += not_applicable_lines(result)
    for e in result.invalid:
        lines.append("invalid scenario (its reports were left as they were):\n  " + str(e).replace("\n", "\n  "))
    for o in result.failed:
        where = f"; partial notebook: {o.partial}" if o.partial else ""
        lines.append(f"FAILED {o.report.label}: {o.error}{where} (the previous report, if any, is untouched)")
    if result.index:
        lines += index_lines(result.index, {o.partial for o in result.failed})
    return lines
