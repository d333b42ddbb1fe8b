"""Worker processes: reports execute in parallel in a pool of forked workers, each with one warm
kernel (:mod:`neocloud.pipeline.kernels`) and one exporter, started once per render.

Interrupts: Ctrl-C or SIGTERM to the parent stops the workers; a busy worker raises
``KeyboardInterrupt`` so that papermill shuts its kernel down and the temporary files go; every
finished report is kept and nothing partial is. A worker dies with its parent (even kill -9).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from neocloud.pipeline.cache import cached_figures, figures_folder
from neocloud.pipeline.execute import execute_report, report_exporter
from neocloud.pipeline.files import display_path
from neocloud.pipeline.kernels import shutdown_process_kernel
from neocloud.pipeline.reports import Outcome, Report, Status

_BUSY = False


def _worker_init(figures_folder: str = "", env_key: str = "") -> None:
    # the figures this render computes once per scenario: the worker's kernels read them there
    # (neocloud.analysis.summary.headline_figures) instead of computing them again
    if figures_folder and env_key:
        from neocloud.analysis.summary import FIGURES_CACHE_ENV, FIGURES_SALT_ENV

        os.environ[FIGURES_CACHE_ENV] = figures_folder
        os.environ[FIGURES_SALT_ENV] = env_key
    # SIGTERM from the parent (interrupt, shutdown): an idle worker just exits; a busy one raises
    # KeyboardInterrupt so that papermill shuts its kernel down and the temporary files go.
    def _stop(signum: int, frame: Any) -> None:
        if not _BUSY:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            with contextlib.suppress(BaseException):
                shutdown_process_kernel()
            os._exit(0)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interrupt means
    _die_with_parent()


def _die_with_parent() -> None:
    """Ask Linux to send this worker SIGTERM if the parent dies (even by kill -9), so an orphaned
    worker stops quietly instead of writing tracebacks into a closed pipe. No-op elsewhere."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _worker_run(args: tuple[Report, str]) -> Outcome:
    global _BUSY
    report, key = args
    _BUSY = True
    try:
        return execute_report(report, key, scenario=_SCENARIOS.get(report.scenario_path))
    except KeyboardInterrupt:
        # a second stop request (the pool's terminate, then the parent's death signal) must not
        # interrupt the clean-up and print a traceback: the worker is leaving anyway
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        with contextlib.suppress(BaseException):
            shutdown_process_kernel()
        os._exit(130)  # clean-up has run; leave without multiprocessing's traceback
    finally:
        _BUSY = False


_SCENARIOS: dict[Path, Any] = {}
"""The scenarios the render read and validated, by file: set before the workers fork, so that
they have them as data (a validated scenario is not picklable; nor need it be sent), for their
figures and their reports (no worker reads a scenario file)."""


def _worker_figures(args: tuple[Path, Path, str]) -> str | None:
    """Compute and cache one scenario's figures; the error, if it fails (its reports then fail
    on their own, and the index marks them; the render goes on)."""
    outputs, path, env_key = args
    try:
        cached_figures(outputs, path, _SCENARIOS.get(path), env_key)
    except Exception as e:  # noqa: BLE001 - any failure of one scenario's maths is that scenario's
        return f"{type(e).__name__}: {e}"
    return None


def _worker_task(task: tuple[str, Any]) -> Any:
    kind, args = task
    return (kind, args[1], _worker_figures(args)) if kind == "figures" else (kind, None, _worker_run(args))


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run_all(todo: list[tuple[Report, str]], outputs: Path, jobs: int | None, say: Callable[[str], None],
            figures_of: "Sequence[tuple[Path, Any]]" = (), env_key: str = "",
            weight: "Callable[[Report], float] | None" = None) -> list[Outcome]:
    """Render ``todo`` (reports and their cache keys) in a pool of warm workers, the heaviest first
    (``weight``: a report's expected cost, from its declaration). First, in the same pool, the
    headline figures of the scenarios ``figures_of`` (``(path, scenario)``) are computed once and
    cached, where the reports' kernels read them."""
    import nbconvert  # noqa: F401  imported before the fork so workers start warm
    import papermill  # noqa: F401

    from neocloud.pipeline.export import vega_javascript

    # read from a cache before the fork, so that the workers fork with it; on a machine that has
    # none (the first render), built by this process after the fork, while the workers start their
    # kernels and run their first reports (a worker that needs it sooner builds it itself; both
    # write the same file aside and rename it). No vl-convert helper is started otherwise: a worker
    # starts its own only if a chart is not compiled yet (charts compile once per machine,
    # neocloud.pipeline.export.compiled_vega_json), so a render whose charts are all compiled starts none
    js_cache = report_exporter(outputs / ".cache").vega_cache_dir
    js_ready = vega_javascript(js_cache, build=False) is not None
    n = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
    say(f"rendering {len(todo)} report(s) with {n} worker(s)")
    outcomes: list[Outcome] = []
    ctx = multiprocessing.get_context("fork")
    previous_term = signal.signal(signal.SIGTERM, _raise_interrupt)
    _SCENARIOS.clear()
    _SCENARIOS.update(figures_of)
    pool = ctx.Pool(n, initializer=_worker_init, initargs=(str(figures_folder(outputs)), env_key))
    try:
        # the figures first (the reports read them), then the reports, the heaviest first
        ordered = sorted(todo, key=lambda rk: -(weight(rk[0]) if weight else 0.0))
        tasks = [("figures", (outputs, path, env_key)) for path, _ in figures_of]
        tasks += [("report", rk) for rk in ordered]
        done = 0
        results = pool.imap_unordered(_worker_task, tasks) if tasks else iter(())  # the workers start on them now
        if not js_ready:
            vega_javascript(js_cache)
        for kind, path, result in results:
            if kind == "figures":
                if result is not None:
                    say(f"figures of {display_path(path)} failed: {result}")
                continue
            done += 1
            outcomes.append(result)
            mark = "ok" if result.status is Status.RENDERED else "FAILED"
            say(f"[{done}/{len(todo)}] {result.report.label}: {mark} ({result.seconds:.1f}s)")
        pool.close()
    except KeyboardInterrupt:
        say("interrupted: stopping the workers; every finished report is kept, nothing partial is")
        pool.terminate()
        raise
    except BaseException:
        pool.terminate()  # a fault of the pipeline itself: stop the workers and say what it was
        raise
    finally:
        pool.join()
        signal.signal(signal.SIGTERM, previous_term)
        shutil.rmtree(outputs / ".tmp", ignore_errors=True)
    return outcomes
