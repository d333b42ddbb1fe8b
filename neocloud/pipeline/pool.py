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

from neocloud.pipeline.cache import cached_figures
from neocloud.pipeline.execute import execute_report, report_exporter
from neocloud.pipeline.kernels import shutdown_process_kernel
from neocloud.pipeline.reports import Outcome, Report, Status
from neocloud.scenario import load_scenario

_BUSY = False


def _worker_init() -> None:
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
        return execute_report(report, key)
    except KeyboardInterrupt:
        # a second stop request (the pool's terminate, then the parent's death signal) must not
        # interrupt the clean-up and print a traceback: the worker is leaving anyway
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        with contextlib.suppress(BaseException):
            shutdown_process_kernel()
        os._exit(130)  # clean-up has run; leave without multiprocessing's traceback
    finally:
        _BUSY = False


def _worker_figures(args: tuple[Path, Path, str]) -> None:
    outputs, path, env_key = args
    cached_figures(outputs, path, load_scenario(path), env_key)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run_all(todo: list[tuple[Report, str]], outputs: Path, jobs: int | None, say: Callable[[str], None],
            index_figures: Sequence[Path] = (), env_key: str = "") -> list[Outcome]:
    """Render ``todo`` (reports and their cache keys) in a pool of warm workers; then, in the same
    pool, compute (and cache) the index's figures of the scenario files ``index_figures``."""
    import nbconvert  # noqa: F401  imported before the fork so workers start warm
    import papermill  # noqa: F401

    from neocloud.pipeline.export import vega_javascript
    from neocloud.pipeline.vega import share_helper

    share_helper()  # one vl-convert helper for the render, started before the fork
    vega_javascript(report_exporter(outputs / ".cache").vega_cache_dir)  # built once, before the fork
    n = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
    say(f"rendering {len(todo)} report(s) with {n} worker(s)")
    outcomes: list[Outcome] = []
    ctx = multiprocessing.get_context("fork")
    previous_term = signal.signal(signal.SIGTERM, _raise_interrupt)
    pool = ctx.Pool(n, initializer=_worker_init)
    try:
        # longest first: notebooks with the Monte Carlo and sweeps take the most time
        ordered = sorted(todo, key=lambda rk: rk[0].name != "termination")
        for i, outcome in enumerate(pool.imap_unordered(_worker_run, ordered), 1):
            outcomes.append(outcome)
            mark = "ok" if outcome.status is Status.RENDERED else "FAILED"
            say(f"[{i}/{len(todo)}] {outcome.report.label}: {mark} ({outcome.seconds:.1f}s)")
        pool.map(_worker_figures, [(outputs, path, env_key) for path in index_figures])
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
