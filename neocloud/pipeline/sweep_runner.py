"""``neocloud sweep``: a sweep's evaluations on Dask, in chunks, into one Parquet table.

* **Checked first**: ``--out`` (a ``.parquet`` file in a folder that can be written) and
  ``--scheduler`` (an address of a Dask scheduler), then the sweep file against its scenario or
  model (:func:`neocloud.analysis.sweeps.load_sweep`, :func:`neocloud.analysis.sweeps.sweep_scenario`): a mistake
  stops the run before a lock is taken or a cluster started.
* **One result, one sweep**: a run holds a lock on its result (``.RESULT.parquet.lock`` beside it,
  the render's ``flock``: :func:`neocloud.pipeline.files.held_lock`); a second run on the same
  ``--out`` waits for it, or with ``wait=False`` raises :class:`SweepLocked`. A result or kept
  chunks of *another* sweep file are never deleted or mixed in: such an ``--out`` is refused.
* **Where**: by default a local Dask cluster on this machine (one single-threaded worker process
  per core, or ``--workers N``), made and closed by the command; with ``--scheduler ADDRESS`` any
  running Dask cluster, unchanged (its workers need ``neocloud`` installed; the scenario travels
  with the tasks as data, so they need no files). At most a few chunks per worker are in flight:
  chunks are laid out and submitted as others come back, so progress starts within seconds
  whatever the design's size.
* **Chunks and resume**: the design's rows are cut into chunks of ``chunk_size``; each finished
  chunk is written at once (atomically) to ``RESULT.parquet.parts/``, with what the evaluations
  depend on (:func:`neocloud.analysis.sweeps.sweep_dependencies`: the sweep file, the scenario and the
  data files it reads, or the model's source, and the package version). A re-run skips the
  chunks already written if none of that changed, and otherwise starts afresh saying what
  changed; a crash, Ctrl-C or SIGTERM loses at most the chunks in flight.
* **A failed evaluation** stops the run (:class:`SweepFailed`, one line naming the evaluation,
  its inputs and the problem); the chunks written are kept for the resume.
* **The result**: one row per evaluation (``evaluation``, ``seed``, the inputs, the outputs), in
  evaluation order, written atomically when every chunk is in, with the package version, the
  dependencies and their fingerprint, the sweep file's text, the design and the scenario's path in
  the Parquet metadata (:func:`read_result`). A finished result whose fingerprint matches is
  up to date: a re-run reads the metadata only and returns (no cluster). The table does not
  depend on the number of workers: each row's seed is fixed by the design.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neocloud.pipeline.files import Locked, held_lock
from neocloud.analysis.sweeps import (
    EvaluationError,
    dependencies_changed,
    design_plan,
    evaluate_rows,
    fingerprint,
    load_sweep,
    model_function,
    sweep_dependencies,
    sweep_scenario,
)

METADATA_KEY = b"neocloud"
PARTS_SUFFIX = ".parts"
DEPENDENCIES_FILE = "dependencies.json"
"""In ``RESULT.parquet.parts/``: the sweep file the chunks belong to and what they depend on."""
IN_FLIGHT_PER_WORKER = 3
"""Chunks submitted ahead per worker thread (enough to keep it busy; few enough to stop fast)."""


class SweepLocked(Locked):
    """Another sweep holds the lock of the same result (raised with ``wait=False``)."""


class BadSweepOption(ValueError):
    """An ``--out`` or ``--scheduler`` that cannot be used (the message says why and what to do)."""


class SweepFailed(RuntimeError):
    """An evaluation failed (the message names it, its inputs and the problem); the chunks
    written are kept in ``parts``."""

    def __init__(self, message: str, parts: Path):
        super().__init__(message)
        self.parts = parts


@dataclass
class SweepRun:
    """What a sweep run did."""

    out: Path
    evaluations: int
    chunks: int
    skipped_chunks: int
    seconds: float
    compute_seconds: float
    """From the first chunk submitted to the last one written (no cluster start-up or shut-down)."""
    workers: int | None
    scheduler: str
    up_to_date: bool = False
    """The result was already finished with the same dependencies: nothing was computed."""
    nonfinite: dict[str, int] = field(default_factory=dict)
    """Per output, the evaluations whose value is NaN or infinite (kept with ``keep_nonfinite``)."""


def _chunk_name(i: int) -> str:
    return f"chunk-{i:06d}.parquet"


def parts_folder(out: Path) -> Path:
    """Where the chunks of the result ``out`` are kept until it is written."""
    return out.with_name(out.name + PARTS_SUFFIX)


def lock_file(out: Path) -> Path:
    """The lock file of the result ``out`` (beside it, hidden)."""
    return out.with_name(f".{out.name}.lock")


def _evaluate_chunk(target: Any, rows: Any, outputs: list[str], market_paths: int, keep_nonfinite: bool) -> Any:
    # on a worker: one thread of BLAS per process, as many processes as cores
    return evaluate_rows(target, rows, outputs, market_paths, keep_nonfinite)


def dask_setup(worker: Any) -> None:
    """Preload of the local cluster's worker processes: an interrupt is the command's to handle
    (Ctrl-C reaches the whole process group), so a worker ignores SIGINT and prints nothing when
    the command closes it; SIGTERM keeps its default (a quiet exit)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.getLogger("distributed").setLevel(logging.CRITICAL)


def _write_parquet(frame: Any, path: Path, metadata: dict[str, Any] | None = None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    if metadata is not None:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               METADATA_KEY: json.dumps(metadata, sort_keys=True).encode("utf-8")})
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def read_result(path: str | Path) -> tuple[Any, dict[str, Any]]:
    """A sweep's result table and its metadata (``neocloud_version``, ``sweep_sha256``,
    ``sweep_file``, ``sweep_path``, ``sweep_text``, ``scenario``, ``model``, ``design``,
    ``evaluations``, ``inputs``, ``outputs``, ``dependencies``, ``fingerprint``, ``nonfinite``)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = json.loads((table.schema.metadata or {}).get(METADATA_KEY, b"{}"))
    return table.to_pandas(), meta


def result_metadata(path: Path) -> dict[str, Any] | None:
    """The metadata of a sweep result (read from the Parquet footer only), or ``None`` if
    ``path`` is not a sweep result."""
    import pyarrow.parquet as pq

    try:
        raw = (pq.read_schema(path).metadata or {}).get(METADATA_KEY)
        return json.loads(raw) if raw else None
    except Exception:  # not Parquet, or unreadable: not a result of ours
        return None


def out_problem(out: Path) -> str | None:
    """Why ``out`` cannot be a sweep's result (one line), or ``None``."""
    if out.suffix.lower() != ".parquet":
        return f"--out {out}: the result is a Parquet table; name it *.parquet"
    if out.is_dir():
        return f"--out {out} is a folder; give the path of the result file in it (e.g. {out / 'result.parquet'})"
    folder = out.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"cannot write {out}: {folder} is not a folder; choose another --out"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot write {out}: {folder} is not writable; make it writable or choose another --out"
    return None


def scheduler_problem(address: str) -> str | None:
    """Why ``address`` is not the address of a Dask scheduler (the line an unreachable scheduler
    gets), or ``None``.

    >>> scheduler_problem("tcp://10.0.0.5:8786") is None
    True
    >>> scheduler_problem("http://10.0.0.5:8786")
    "cannot reach the Dask scheduler at http://10.0.0.5:8786: 'http' is not a protocol of Dask (give tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786)"
    """
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import backends

    hint = "give tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786"
    head = f"cannot reach the Dask scheduler at {address}"
    try:
        scheme, loc = parse_address(address)
    except (ValueError, TypeError) as e:
        return f"{head}: {e} ({hint})"
    if scheme not in backends:
        return f"{head}: {scheme!r} is not a protocol of Dask ({hint})"
    if scheme != "inproc":
        try:
            host, port = parse_host_port(loc)
        except (ValueError, TypeError) as e:
            return f"{head}: {e} ({hint})"
        if not host or not port:
            return f"{head}: no host or port ({hint})"
    return None


def scheduler_refuses(address: str, timeout_s: float = 10.0) -> str | None:
    """The line an unreachable scheduler gets when nothing answers at ``address`` (a TCP or TLS
    address: the host refuses the connection, or has no route, or does not answer within
    ``timeout_s`` seconds), or ``None`` when something listens there (Dask's client then says
    whether it is a scheduler). Dask's own client retries a refused connection until its timeout;
    this says at once what the system said. Other protocols (``inproc``, ``ucx``) are left to Dask.

    >>> import socket
    >>> with socket.socket() as s:
    ...     s.bind(("127.0.0.1", 0))
    ...     port = s.getsockname()[1]  # a port nothing listens on (bound, never listening)
    ...     scheduler_refuses(f"tcp://127.0.0.1:{port}").startswith("cannot reach the Dask scheduler")
    True
    """
    import socket

    from distributed.comm.addressing import parse_address, parse_host_port

    scheme, loc = parse_address(address)
    if scheme not in ("tcp", "tls"):
        return None
    host, port = parse_host_port(loc)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return None
    except OSError as e:
        reason = "timed out" if isinstance(e, TimeoutError) else (e.strerror or str(e))
        return f"cannot reach the Dask scheduler at {address}: {reason} (is the scheduler running, and is the address right?)"


@contextlib.contextmanager
def dask_client(workers: int | None, scheduler: str | None) -> Iterator[Any]:
    """A Dask client: of the cluster at ``scheduler``, or of a local cluster of ``workers``
    single-threaded processes (default: one per core), closed on exit. An unreachable
    scheduler raises :class:`BadSweepOption`."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        problem = scheduler_problem(scheduler)
        if problem:
            raise BadSweepOption(problem)
    n = workers or os.cpu_count() or 1
    env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    with contextlib.ExitStack() as stack:
        # a stop request while the cluster starts or closes is acted on after (see _DEFERRED)
        stack.callback(_defer_end)
        _defer_begin()
        if scheduler:
            refused = scheduler_refuses(scheduler)
            if refused:
                raise BadSweepOption(refused)
            try:
                client = stack.enter_context(Client(scheduler, timeout="10s"))  # a wrong address fails in seconds
            except (OSError, ValueError) as e:
                raise BadSweepOption(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
        else:
            _quiet_resource_tracker()
            for k, v in env.items():  # worker processes inherit these; restored on exit
                stack.enter_context(_env(k, v))
            cluster = stack.enter_context(LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                                       dashboard_address=None, silence_logs=logging.CRITICAL,
                                                       # no dashboard; its HTTP server (health routes) on a free
                                                       # port, not 8787, which another cluster may hold (a warning)
                                                       scheduler_kwargs={"dashboard_address": ":0"},
                                                       preload=[__name__]))
            client = stack.enter_context(Client(cluster))
        stack.callback(_defer_begin)  # runs first on exit: closing is not interrupted half-way
        _defer_end()
        _stop_if_requested()
        yield client


def _quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker (which Dask's worker processes use) without a
    stderr: if this process is killed (kill -9), the tracker still frees the workers' semaphores,
    but does not print "leaked semaphore" warnings over the user's terminal."""
    from multiprocessing import resource_tracker

    # the tracker inherits file descriptor 2: point it at /dev/null for the instant the tracker
    # starts (before the cluster: no other thread of ours writes then)
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            resource_tracker.ensure_running()
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def _env(key: str, value: str) -> Iterator[None]:
    old = os.environ.get(key)
    os.environ[key] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = old


_DEFERRED = {"depth": 0, "pending": False}
"""While a cluster starts (depth > 0) a stop request is recorded, and acted on once it has
started: an interrupt inside Dask's start-up would leave a half-made cluster that never closes."""


def _defer_begin() -> None:
    _DEFERRED["depth"] += 1


def _defer_end() -> None:
    _DEFERRED["depth"] -= 1


def _stop_if_requested() -> None:
    """Act on a stop request that came while a cluster started or closed."""
    if _DEFERRED["pending"] and not _DEFERRED["depth"]:
        raise KeyboardInterrupt


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM (from ``timeout``, systemd, a batch scheduler) stops the run as Ctrl-C does; a
    second signal during the clean-up is ignored (no traceback from a half-closed cluster)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _stop(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if _DEFERRED["depth"]:
            _DEFERRED["pending"] = True
            return
        raise KeyboardInterrupt

    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGTERM, _stop)
    if previous[signal.SIGINT] is signal.default_int_handler:
        signal.signal(signal.SIGINT, _stop)
    _DEFERRED["pending"] = False
    try:
        yield
    finally:
        _DEFERRED["pending"] = False
        for s, h in previous.items():
            signal.signal(s, h)


def run_sweep(sweep_path: str | Path, out: str | Path, *, workers: int | None = None, scheduler: str | None = None,
              progress: bool = True, say: Callable[[str], None] = print, wait: bool = True,
              keep_nonfinite: bool = False) -> SweepRun:
    """Run a sweep file on Dask into ``out`` (Parquet), resuming from chunks already written.

    Raises :class:`BadSweepOption` (``out`` or ``scheduler`` unusable),
    :class:`neocloud.analysis.sweeps.SweepError` (the sweep file), :class:`SweepLocked` (another run
    writes ``out``, with ``wait=False``), :class:`SweepFailed` (an evaluation failed) and
    ``KeyboardInterrupt`` (Ctrl-C or SIGTERM); in every case the chunks written are kept."""
    from neocloud import __version__

    t0 = time.perf_counter()
    sweep_path, out = Path(sweep_path), Path(out)
    problem = out_problem(out) or (scheduler_problem(scheduler) if scheduler else None)
    if problem:
        raise BadSweepOption(problem)
    sweep = load_sweep(sweep_path)
    scenario = sweep_scenario(sweep, sweep_path) if sweep.scenario else None
    deps = sweep_dependencies(sweep, sweep_path)
    mark = fingerprint(deps)
    out.parent.mkdir(parents=True, exist_ok=True)
    me = os.path.relpath(sweep_path.resolve(), out.parent.resolve())  # relative: moving both keeps the claim
    parts = parts_folder(out)
    with _signals_interrupt(), held_lock(lock_file(out), f"another `neocloud sweep` (pid {{pid}}) is writing {out}",
                                         wait, say, SweepLocked):
        old = None
        if out.exists():
            old = result_metadata(out)
            if old is None:
                raise BadSweepOption(f"--out {out} exists and is not a neocloud sweep result; choose another --out, "
                                     "or delete it first")
            other = old.get("sweep_path")  # results of an older neocloud name the sweep file only
            if not (other == me if other else old.get("sweep_file") == sweep_path.name):
                raise BadSweepOption(f"--out {out} holds the result of another sweep file "
                                     f"({old.get('sweep_path') or old.get('sweep_file')}); choose another --out, "
                                     "or delete it first")
            if old.get("fingerprint") == mark:
                say(f"{out} is up to date: finished with the same sweep file, "
                    f"{'scenario, data files' if sweep.scenario else 'model source'} and neocloud version; "
                    "nothing to compute")
                nonfinite = old.get("nonfinite") or {}
                if nonfinite:
                    say(f"warning: {_nonfinite_text(nonfinite)} (kept with --keep-nonfinite)")
                return SweepRun(out, int(old.get("evaluations", 0)), 0, 0, time.perf_counter() - t0, 0.0, None,
                                scheduler or "local", up_to_date=True, nonfinite=nonfinite)
            say(f"{out} holds a result computed with another {', '.join(dependencies_changed(old.get('dependencies'), deps))}; "
                "computing it afresh (it is replaced when this run finishes)")
        _claim_parts(parts, me, deps, say)
        target: Any = scenario if scenario is not None else model_function(sweep)
        plan = design_plan(sweep, scenario)
        n, size = plan.size, sweep.chunk_size
        n_chunks = (n + size - 1) // size
        written = {name for name in os.listdir(parts) if name.startswith("chunk-")}
        todo = [i for i in range(n_chunks) if _chunk_name(i) not in written]
        skipped = n_chunks - len(todo)
        if skipped:
            say(f"resuming: {skipped} of {n_chunks} chunk(s) already written in {parts}/")
        used_workers = None
        compute_s = 0.0
        if todo:
            with dask_client(workers, scheduler) as client:
                used_workers = len(client.scheduler_info().get("workers", {}))
                say(f"{n:,} evaluations in {n_chunks} chunk(s) of {size}; {len(todo)} to run on "
                    f"{used_workers} Dask worker(s) ({scheduler or 'local cluster'})")
                t_compute = time.perf_counter()
                _run_chunks(client, target, plan, todo, parts, progress, keep_nonfinite)
                compute_s = time.perf_counter() - t_compute
            _stop_if_requested()
        result = _assemble(parts, n_chunks, n)
        nonfinite = _count_nonfinite(result, sweep.outputs)
        if nonfinite and not keep_nonfinite:
            raise SweepFailed(f"{parts}/ holds {_nonfinite_text(nonfinite)}, computed with --keep-nonfinite; run with "
                              f"--keep-nonfinite to keep them, or delete {parts}/ to compute afresh", parts)
        if nonfinite:
            say(f"warning: {_nonfinite_text(nonfinite)} (kept with --keep-nonfinite)")
        metadata = {"neocloud_version": __version__, "sweep_sha256": deps["sweep file"], "sweep_file": sweep_path.name,
                    "sweep_path": me, "sweep_text": sweep_path.read_text(encoding="utf-8"), "scenario": sweep.scenario,
                    "model": sweep.model, "design": sweep.design.model_dump(), "evaluations": n,
                    "outputs": sweep.outputs, "inputs": list(sweep.inputs), "dependencies": deps,
                    "fingerprint": mark, "nonfinite": nonfinite}
        _write_parquet(result, out, metadata)
        shutil.rmtree(parts, ignore_errors=True)
    return SweepRun(out, n, n_chunks, skipped, time.perf_counter() - t0, compute_s, used_workers,
                    scheduler or "local", nonfinite=nonfinite)


def _claim_parts(parts: Path, me: str, deps: dict[str, str], say: Callable[[str], None]) -> None:
    """Make ``parts`` the chunk folder of this sweep: kept if its chunks have the same
    dependencies; emptied (saying why) if they are of another version of this sweep file;
    refused if they belong to another sweep file."""
    record = parts / DEPENDENCIES_FILE
    if parts.is_dir():
        try:
            kept = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            kept = {}
        if kept.get("sweep_path") not in (None, me):
            raise BadSweepOption(f"{parts}/ holds the chunks of another sweep file ({kept['sweep_path']}); choose "
                                 "another --out, or delete it first")
        changed = dependencies_changed(kept.get("dependencies"), deps)
        if not changed:
            return
        say(f"{parts}/ holds chunks computed with another {', '.join(changed)}; starting afresh")
        shutil.rmtree(parts)
    parts.mkdir(parents=True)
    from neocloud.pipeline.files import write_atomic

    write_atomic(record, json.dumps({"sweep_path": me, "dependencies": deps}, indent=1, sort_keys=True).encode("utf-8"))


def _nonfinite_text(counts: dict[str, int]) -> str:
    return "non-finite values (NaN or infinite) in " + ", ".join(f"{k}: {v:,} evaluation(s)" for k, v in counts.items())


def _count_nonfinite(table: Any, outputs: list[str]) -> dict[str, int]:
    import numpy as np

    out = {}
    for name in outputs:
        bad = int((~np.isfinite(table.column(name).to_numpy().astype(float))).sum())
        if bad:
            out[name] = bad
    return out


def _assemble(parts: Path, n_chunks: int, n: int) -> Any:
    """The chunks of ``parts`` as one table in evaluation order (pyarrow)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = [pq.read_table(parts / _chunk_name(i)) for i in range(n_chunks)]
    table = pa.concat_tables(tables, promote_options="permissive") if tables else None
    if table is None or table.num_rows != n:
        raise SweepFailed(f"{parts}/ holds {0 if table is None else table.num_rows} rows for {n} evaluations; delete it "
                          "and run again", parts)
    import numpy as np

    table = table.sort_by("evaluation")
    if not np.array_equal(table.column("evaluation").to_numpy(), np.arange(n)):
        raise SweepFailed(f"{parts}/ does not hold evaluations 0 to {n - 1} once each; delete it and run again", parts)
    return table


def _run_chunks(client: Any, target: Any, plan: Any, todo: list[int], parts: Path, progress: bool,
                keep_nonfinite: bool) -> None:
    """Evaluate the chunks ``todo`` on the cluster, a few per worker in flight, each laid out
    just before it is submitted and written as soon as it is back."""
    from dask.distributed import as_completed
    from tqdm import tqdm

    sweep = plan.sweep
    size = sweep.chunk_size
    # the target (a scenario, or a model function) is sent once, not with every chunk
    [remote] = client.scatter([target], broadcast=True) if not callable(target) else [target]
    run = uuid.uuid4().hex  # task keys unique on a cluster that other clients share
    threads = sum(w.get("nthreads", 1) for w in client.scheduler_info().get("workers", {}).values()) or 1
    window = max(2, IN_FLIGHT_PER_WORKER * threads)
    pending = iter(todo)
    index: dict[str, int] = {}
    live: set[Any] = set()
    ac = as_completed()

    def submit_next() -> None:
        i = next(pending, None)
        if i is None:
            return
        rows = plan.rows(i * size, (i + 1) * size)
        f = client.submit(_evaluate_chunk, remote, rows, list(sweep.outputs), sweep.market_paths, keep_nonfinite,
                          key=f"neocloud-chunk-{i}-{run}", pure=False)
        index[f.key] = i
        live.add(f)
        ac.add(f)

    bar = tqdm(total=sum(min(plan.size, (i + 1) * size) - i * size for i in todo), unit="eval",
               disable=not progress, file=sys.stderr, dynamic_ncols=True, mininterval=0.5)
    try:
        for _ in range(window):
            submit_next()
        for future in ac:
            live.discard(future)
            try:
                frame = future.result()
            except EvaluationError as e:
                raise SweepFailed(str(e), parts) from None
            except Exception as e:  # the cluster's failure (a worker lost, a model it cannot import): one line
                raise SweepFailed(f"chunk {index[future.key]} could not be evaluated on the cluster: "
                                  f"{type(e).__name__}: {e}", parts) from None
            _write_parquet(frame, parts / _chunk_name(index[future.key]))
            bar.update(len(frame))
            submit_next()
    finally:
        bar.close()
        if live:  # stopped (an interrupt, a failed evaluation): the chunks under way are dropped
            with contextlib.suppress(Exception):
                client.cancel(list(live))
            _stop_local_workers(client)


def _stop_local_workers(client: Any, timeout_s: float = 0.5) -> None:
    """Stop the worker processes of the local cluster this command started, at once: a worker busy
    in a chunk that was cancelled does not finish it, so Dask's close would wait 0.8 x its nanny's
    5 s for the worker to stop on its own before killing it (``distributed.nanny.WorkerProcess.kill``);
    here each worker gets ``timeout_s``. The workers of a cluster given by ``--scheduler`` (not this
    command's) are left alone."""
    import asyncio

    cluster = getattr(client, "cluster", None)
    if cluster is None:
        return

    async def kill_all() -> None:
        await asyncio.gather(*(w.kill(timeout=timeout_s, reason="neocloud-sweep-stopped")
                               for w in list(cluster.workers.values()) if hasattr(w, "kill")), return_exceptions=True)

    with contextlib.suppress(Exception):
        cluster.sync(kill_all)


__all__ = ["BadSweepOption", "SweepFailed", "SweepLocked", "SweepRun", "dask_client", "lock_file",
           "out_problem", "parts_folder", "read_result", "result_metadata", "run_sweep", "scheduler_problem"]
