"""The rendering pipeline: scenarios x notebooks -> executed notebooks and offline HTML.

``neocloud render`` runs every report of every scenario with papermill in a pool of worker
processes (each starts once and keeps one nbconvert exporter), then writes ``outputs/index.html``.

Guarantees:

* **Atomic.** A report is written under ``outputs/.tmp/`` and moved into place (``os.replace``)
  only when both its ``.ipynb`` and ``.html`` are complete. A failure of any kind leaves the
  previous good report byte for byte; the partial notebook goes to ``outputs/_failed/``.
* **Reproducible.** Executed notebooks are scrubbed of timings, machine paths and random ids,
  and the HTML holds nothing that changes between runs.
* **Incremental.** A report is re-rendered only when its cache key changes: the notebook, the
  scenario file, the package's source files and the locked stack (``constraints.txt``).
* **One writer.** A lock on ``outputs/.render.lock`` keeps two renders from writing at once.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import fcntl
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Iterator
from typing import Any

from neocloud.scenario import ScenarioError, load_scenario, scenario_parameters, scenario_stem

PACKAGE_DIR = Path(__file__).resolve().parent
KEY_SUFFIX = ".key"


class RenderLocked(RuntimeError):
    """Another render holds the outputs lock (raised with ``wait=False``)."""


@dataclass(frozen=True)
class Report:
    """One report to render: a scenario file through one notebook."""

    scenario_path: Path
    notebook_path: Path
    outputs: Path

    @property
    def scenario(self) -> str:
        return scenario_stem(self.scenario_path)

    @property
    def name(self) -> str:
        return self.notebook_path.stem

    @property
    def html(self) -> Path:
        return self.outputs / self.scenario / f"{self.name}.html"

    @property
    def ipynb(self) -> Path:
        return self.outputs / self.scenario / f"{self.name}.ipynb"

    @property
    def key_file(self) -> Path:
        return self.outputs / self.scenario / f".{self.name}{KEY_SUFFIX}"

    @property
    def failed(self) -> Path:
        return self.outputs / "_failed" / self.scenario / f"{self.name}.ipynb"

    @property
    def label(self) -> str:
        return f"{self.scenario}/{self.name}"


class Status(str, enum.Enum):
    """What happened to a report in a render."""

    RENDERED = "rendered"
    CACHED = "cached"
    FAILED = "failed"


@dataclass
class Outcome:
    """What happened to one report."""

    report: Report
    status: Status
    seconds: float = 0.0
    error: str = ""
    partial: Path | None = None


@dataclass
class RenderResult:
    """Everything a render did, for the summary and the exit code."""

    outcomes: list[Outcome] = field(default_factory=list)
    invalid: list[ScenarioError] = field(default_factory=list)
    index: Path | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status is Status.FAILED]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.invalid


# --------------------------------------------------------------------------------------------
# Cache keys


def _hash_files(paths: list[Path], root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def locked_stack_file() -> Path | None:
    """``constraints.txt`` beside the package (the pinned stack), when running from a checkout."""
    p = PACKAGE_DIR.parent / "constraints.txt"
    return p if p.is_file() else None


def environment_key() -> str:
    """Hash of what every report depends on besides its notebook and scenario: the package's
    source (every file, not only the version number), the locked stack and the Python version."""
    files = [p for p in PACKAGE_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    h = hashlib.sha256(_hash_files(files, PACKAGE_DIR).encode())
    lock = locked_stack_file()
    h.update(lock.read_bytes() if lock else b"no lock file")
    h.update(sys.version.encode())
    return h.hexdigest()


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


# --------------------------------------------------------------------------------------------
# Files


def display_path(path: Path) -> str:
    """A path as shown in reports: relative to the working directory when inside it (no
    machine-specific absolute paths in outputs)."""
    p = Path(path).resolve()
    try:
        return p.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return p.name


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextlib.contextmanager
def outputs_lock(outputs: Path, wait: bool = True, announce: Callable[[str], None] = print) -> Iterator[None]:
    """Hold the render lock of ``outputs`` (an ``flock``, released by the OS if we die)."""
    outputs.mkdir(parents=True, exist_ok=True)
    path = outputs / ".render.lock"
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "unknown"
            message = f"another `neocloud render` (pid {holder}) is writing {outputs}/"
            if not wait:
                raise RenderLocked(message + "; try again when it has finished") from None
            announce(message + "; waiting for it to finish (Ctrl-C to stop waiting)")
            fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)


# --------------------------------------------------------------------------------------------
# Notebooks


_EXPORTER: Any = None


def report_exporter(cache_dir: Path | None = None) -> Any:
    """One :class:`~neocloud.export.ReportExporter` per process (workers fork with it warm)."""
    global _EXPORTER
    if _EXPORTER is None:
        from neocloud.export import ReportExporter

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


def execute_report(report: Report, key: str, timeout_s: int = 600) -> Outcome:
    """Execute and export one report, moving it into place only when complete."""
    import nbformat
    import papermill as pm

    from neocloud.kernels import register_engine

    t0 = time.perf_counter()
    tmp = report.outputs / ".tmp" / f"{report.scenario}.{report.name}.{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    executed = tmp / f"{report.name}.ipynb"
    try:
        scenario = load_scenario(report.scenario_path)
        parameters = {"scenario": scenario_parameters(scenario), "scenario_file": display_path(report.scenario_path)}
        kernel = worker_kernel(report.outputs)
        try:
            km = kernel.manager_for(report.notebook_path.parent.resolve())
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
        nb, header = report_exporter().prepare(nbformat.read(executed, as_version=4), report.name)
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
    except ScenarioError as e:
        return Outcome(report, Status.FAILED, time.perf_counter() - t0, str(e))
    except OSError as e:
        reason = "disk full" if e.errno == errno.ENOSPC else e.strerror or str(e)
        where = f" ({e.filename})" if e.filename else ""
        return Outcome(report, Status.FAILED, time.perf_counter() - t0, f"could not write outputs: {reason}{where}",
                       _keep_partial(report, executed))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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


# --------------------------------------------------------------------------------------------
# Worker processes


_BUSY = False
_KERNEL: Any = None


def worker_kernel(outputs: Path) -> Any:
    """This worker's :class:`~neocloud.kernels.WarmKernel`, created on first use and shut down
    when the worker exits (its log under ``outputs/.tmp/``)."""
    global _KERNEL
    if _KERNEL is None:
        from multiprocessing.util import Finalize

        from neocloud.kernels import WarmKernel

        (outputs / ".tmp").mkdir(parents=True, exist_ok=True)
        _KERNEL = WarmKernel(log=outputs / ".tmp" / f"kernel-{os.getpid()}.log")
        Finalize(_KERNEL, _KERNEL.shutdown, exitpriority=100)
    return _KERNEL


def _shutdown_kernel() -> None:
    if _KERNEL is not None:
        _KERNEL.shutdown()


def _append_log(source: Path | None, dest: Path) -> None:
    """Add the warm kernel's own log (its stderr since it started) to a report's log."""
    with contextlib.suppress(OSError):
        if source is not None and source.is_file():
            with open(dest, "ab") as out:
                out.write(source.read_bytes())


def _worker_init() -> None:
    # SIGTERM from the parent (interrupt, shutdown): an idle worker just exits; a busy one raises
    # KeyboardInterrupt so that papermill shuts its kernel down and the temporary files go.
    def _stop(signum: int, frame: Any) -> None:
        if not _BUSY:
            _shutdown_kernel()
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
        _shutdown_kernel()
        os._exit(130)  # clean-up has run; leave without multiprocessing's traceback
    finally:
        _BUSY = False


# --------------------------------------------------------------------------------------------
# The command


def discover(params: Path, notebooks: Path, paths: list[Path] | None) -> tuple[list[Path], list[Path]]:
    """Scenario files (the given paths, a folder standing for its ``*.yaml``, or every ``*.yaml``
    in ``params``) and notebooks."""
    scenario_files: list[Path] = []
    for p in [Path(p) for p in paths] if paths else [params]:
        scenario_files += sorted(p.glob("*.yaml")) if p.is_dir() else [p]
    notebook_files = sorted(p for p in notebooks.glob("*.ipynb") if not p.name.startswith("."))
    return scenario_files, notebook_files


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
    valid: dict[Path, Any] = {}
    for path in scenario_files:
        try:
            valid[path] = load_scenario(path)
        except ScenarioError as e:
            result.invalid.append(e)
    with outputs_lock(outputs, wait=wait, announce=say):
        shutil.rmtree(outputs / ".tmp", ignore_errors=True)  # left by a run that was killed
        claim_folders(outputs, valid, result)
        env_key = environment_key()
        todo: list[tuple[Report, str]] = []
        for path in valid:
            for nb in notebook_files:
                report = Report(path, nb, outputs)
                key = report_key(report, env_key)
                if force or not is_current(report, key):
                    todo.append((report, key))
                else:
                    result.outcomes.append(Outcome(report, Status.CACHED))
        if todo:
            changed = [p for p in valid if p in {r.scenario_path for r, _ in todo}]
            result.outcomes += _run_all(todo, outputs, jobs, say, changed, env_key)
            failed = {o.report.scenario_path for o in result.failed}
            for path in changed:  # the figures the reports on disk now state, for the index
                if path not in failed:
                    figures = cached_figures(outputs, path, valid[path], env_key)
                    write_atomic(outputs / scenario_stem(path) / FIGURES_FILE, json.dumps(figures).encode("utf-8"))
        # the index lists params/ and the files rendered now (never a file that is not a scenario)
        every = sorted({*params.glob("*.yaml"), *valid}, key=lambda p: (scenario_stem(p), str(p)))
        result.index = write_index(outputs, every, notebook_files, result, env_key, loaded=valid)
    result.seconds = time.perf_counter() - t0
    return result


OWNER_FILE = ".scenario"
"""In ``outputs/<stem>/``: the path (relative to ``outputs/``) of the scenario file whose reports
the folder holds."""
FIGURES_FILE = ".figures.json"
"""In ``outputs/<stem>/``: the headline figures of the scenario as its reports there were rendered."""


def claim_folders(outputs: Path, valid: dict[Path, Any], result: RenderResult) -> set[Path]:
    """Give each scenario file its ``outputs/<stem>/`` folder, refusing a file whose folder holds
    (or, in this render, will hold) another file's reports: two files of the same name never
    overwrite each other's reports. Refused files move from ``valid`` to ``result.invalid``."""
    claimed: dict[str, str] = {}
    refused: set[Path] = set()
    for path in list(valid):
        stem = scenario_stem(path)
        # relative to outputs/, so that moving the project with its outputs keeps the claim
        mine = os.path.relpath(Path(path).resolve(), outputs.resolve())
        owner = outputs / stem / OWNER_FILE
        try:
            other = claimed.get(stem) or (owner.read_text(encoding="utf-8").strip() if owner.is_file() else None)
        except OSError:
            other = None
        if other and other != mine:
            result.invalid.append(ScenarioError(path, [
                f"its reports would go to {outputs / stem}/, which holds the reports of {other}; rename the file, "
                f"render into another folder with --outputs, or delete {outputs / stem}/ first"]))
            del valid[path]
            refused.add(path)
            continue
        claimed[stem] = mine
        if not owner.is_file():
            write_atomic(owner, (mine + "\n").encode("utf-8"))
    return refused


def _worker_figures(args: tuple[Path, Path, str]) -> None:
    outputs, path, env_key = args
    cached_figures(outputs, path, load_scenario(path), env_key)


def _run_all(todo: list[tuple[Report, str]], outputs: Path, jobs: int | None, say: Callable[[str], None],
             index_figures: list[Path] = (), env_key: str = "") -> list[Outcome]:
    """Render ``todo`` in a pool of warm workers; then, in the same pool, compute (and cache) the
    index's figures of the scenario files ``index_figures`` in parallel."""
    import nbconvert  # noqa: F401  imported before the fork so workers start warm
    import papermill  # noqa: F401

    from neocloud.export import vega_javascript

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
        for i, outcome in enumerate(pool.imap_unordered(_worker_run, [(r, k) for r, k in ordered]), 1):
            outcomes.append(outcome)
            mark = "ok" if outcome.status is Status.RENDERED else "FAILED"
            say(f"[{i}/{len(todo)}] {outcome.report.label}: {mark} ({outcome.seconds:.1f}s)")
        pool.map(_worker_figures, [(outputs, path, env_key) for path in index_figures])
        pool.close()
    except KeyboardInterrupt:
        say("interrupted: stopping the workers; every finished report is kept, nothing partial is")
        pool.terminate()
        raise
    finally:
        pool.join()
        signal.signal(signal.SIGTERM, previous_term)
        shutil.rmtree(outputs / ".tmp", ignore_errors=True)
    return outcomes


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


# --------------------------------------------------------------------------------------------
# Index


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


def on_disk_figures(folder: Path) -> dict[str, Any] | None:
    """The figures a scenario's rendered reports state (written when they were rendered)."""

    try:
        return json.loads((folder / FIGURES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_index(outputs: Path, scenario_files: list[Path], notebook_files: list[Path], result: RenderResult,
                env_key: str | None = None, loaded: dict[Path, Any] | None = None) -> Path:
    """``outputs/index.html``: every report linked, headline figures side by side. Written only
    when its content changes. ``loaded`` holds scenarios already read (by path)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from urllib.parse import quote

    from neocloud import __version__
    from neocloud.index import rows_from_figures
    from neocloud.narrative import plain

    env_key = env_key or environment_key()

    failed = {o.report.label for o in result.failed}
    columns = []
    for path in scenario_files:
        stem = scenario_stem(path)
        try:
            scenario = (loaded or {}).get(path) or load_scenario(path)
        except ScenarioError as e:
            columns.append({"stem": stem, "file": display_path(path), "error": str(e), "reports": [], "figures": None})
            continue
        reports = []
        for nb in notebook_files:
            html = outputs / stem / f"{nb.stem}.html"
            reports.append({"name": nb.stem, "href": f"{quote(stem)}/{quote(nb.stem)}.html", "exists": html.is_file(),
                            "failed": f"{stem}/{nb.stem}" in failed})
        figures = on_disk_figures(outputs / stem) or cached_figures(outputs, path, scenario, env_key)
        columns.append({"stem": stem, "file": display_path(path), "error": None, "reports": reports,
                        "title": plain(figures["title"]), "question": plain(scenario.question), "figures": figures})
    env = Environment(loader=FileSystemLoader(str(PACKAGE_DIR / "templates")), autoescape=select_autoescape(["html", "j2"]))
    rows = rows_from_figures([c["figures"] for c in columns if c["figures"] is not None])
    text = env.get_template("index.html.j2").render(columns=columns, rows=rows, version=__version__,
                                                     css=(PACKAGE_DIR / "templates/report/report.css").read_text())
    index = outputs / "index.html"
    data = text.encode("utf-8")
    if not index.is_file() or index.read_bytes() != data:
        write_atomic(index, data)
    return index


def summary_lines(result: RenderResult) -> list[str]:
    """The closing summary of a render, naming each failure and where its partial notebook is."""
    counts = {s.value: sum(o.status is s for o in result.outcomes) for s in Status}
    lines = [
        f"{counts['rendered']} rendered, {counts['cached']} up to date, {counts['failed']} failed, "
        f"{len(result.invalid)} invalid scenario file(s) in {result.seconds:.1f}s"
    ]
    for e in result.invalid:
        lines.append("invalid scenario (its reports were left as they were):\n  " + str(e).replace("\n", "\n  "))
    for o in result.failed:
        where = f"; partial notebook: {o.partial}" if o.partial else ""
        lines.append(f"FAILED {o.report.label}: {o.error}{where} (the previous report, if any, is untouched)")
    if result.index:
        stale = sorted(result.index.parent.glob("_failed/*/*.ipynb"))
        current = {o.partial for o in result.failed}
        older = [p for p in stale if p not in current]
        if older:
            lines.append(f"{len(older)} partial notebook(s) from earlier failed renders remain in "
                         f"{result.index.parent / '_failed'}/ (delete the folder when you no longer need them)")
        lines.append(f"index: {result.index.resolve()}")
    return lines

