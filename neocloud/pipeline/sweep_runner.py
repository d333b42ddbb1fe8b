"""``neocloud sweep``: a sweep's evaluations on Dask, in chunks, into one Parquet table.

* **Where**: by default a local Dask cluster on this machine (one single-threaded worker process
  per core, or ``--workers N``), made and closed by the command; with ``--scheduler ADDRESS`` any
  running Dask cluster, unchanged (its workers need ``neocloud`` installed; the scenario travels
  with the tasks as data, so they need no files).
* **Chunks and resume**: the design's rows are cut into chunks of ``chunk_size``; each finished
  chunk is written at once (atomically) to ``RESULT.parquet.parts/``, beside the result, under the
  sweep file's hash. A re-run of the same sweep file skips the chunks already written, so a crash
  or Ctrl-C loses at most the chunks in flight; a changed sweep file starts afresh.
* **The result**: one row per evaluation (``evaluation``, ``seed``, the inputs, the outputs), in
  evaluation order, written atomically when every chunk is in, with the package version, the
  sweep file's hash and text, the design and the scenario's path in the Parquet metadata
  (:func:`read_result`). The table does not depend on the number of workers: each row's seed
  is fixed by the design.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from neocloud.sweeps import Sweep, design_table, evaluate_rows, load_sweep, model_function, sweep_hash, sweep_scenario

METADATA_KEY = b"neocloud"
PARTS_SUFFIX = ".parts"


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


def _chunk_name(i: int) -> str:
    return f"chunk-{i:06d}.parquet"


def _evaluate_chunk(target: Any, rows: pd.DataFrame, outputs: list[str], market_paths: int) -> pd.DataFrame:
    # on a worker: one thread of BLAS per process, as many processes as cores
    return evaluate_rows(target, rows, outputs, market_paths)


def _write_parquet(frame: pd.DataFrame, path: Path, metadata: dict[str, Any] | None = None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
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


def read_result(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A sweep's result table and its metadata (``neocloud_version``, ``sweep_sha256``,
    ``sweep_file``, ``sweep_text``, ``scenario``, ``design``, ``evaluations``)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = json.loads((table.schema.metadata or {}).get(METADATA_KEY, b"{}"))
    return table.to_pandas(), meta


@contextlib.contextmanager
def dask_client(workers: int | None, scheduler: str | None) -> Iterator[Any]:
    """A Dask client: of the cluster at ``scheduler``, or of a local cluster of ``workers``
    single-threaded processes (default: one per core), closed on exit."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler, timeout="10s") as client:  # a wrong address fails in seconds, not minutes
            yield client
        return
    n = workers or os.cpu_count() or 1
    env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    with contextlib.ExitStack() as stack:
        for k, v in env.items():  # worker processes inherit these; restored on exit
            stack.enter_context(_env(k, v))
        cluster = stack.enter_context(LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                                   dashboard_address=None, silence_logs=50))
        yield stack.enter_context(Client(cluster))


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


def run_sweep(sweep_path: str | Path, out: str | Path, *, workers: int | None = None, scheduler: str | None = None,
              progress: bool = True, say: Callable[[str], None] = print) -> SweepRun:
    """Run a sweep file on Dask into ``out`` (Parquet), resuming from chunks already written."""
    from neocloud import __version__

    t0 = time.perf_counter()
    sweep_path, out = Path(sweep_path), Path(out)
    sweep = load_sweep(sweep_path)
    scenario = sweep_scenario(sweep, sweep_path) if sweep.scenario else None
    target: Any = scenario if scenario is not None else model_function(sweep)
    design = design_table(sweep, scenario)
    digest = sweep_hash(sweep_path)
    parts = out.with_name(out.name + PARTS_SUFFIX)
    marker = parts / "sweep.sha256"
    if parts.is_dir() and (not marker.is_file() or marker.read_text().strip() != digest):
        say(f"{parts}/ holds chunks of another version of the sweep file; starting afresh")
        shutil.rmtree(parts)
    parts.mkdir(parents=True, exist_ok=True)
    marker.write_text(digest + "\n")
    size = sweep.chunk_size
    chunks = [(i, design.iloc[i * size:(i + 1) * size]) for i in range((len(design) + size - 1) // size)]
    todo = [(i, rows) for i, rows in chunks if not (parts / _chunk_name(i)).is_file()]
    skipped = len(chunks) - len(todo)
    if skipped:
        say(f"resuming: {skipped} of {len(chunks)} chunk(s) already written in {parts}/")
    used_workers = None
    compute_s = 0.0
    if todo:
        with dask_client(workers, scheduler) as client:
            used_workers = len(client.scheduler_info().get("workers", {}))
            say(f"{len(design)} evaluations in {len(chunks)} chunk(s) of {size}; {len(todo)} to run on "
                f"{used_workers} Dask worker(s) ({scheduler or 'local cluster'})")
            t_compute = time.perf_counter()
            _run_chunks(client, target, todo, sweep, parts, progress)
            compute_s = time.perf_counter() - t_compute
    frames = [pd.read_parquet(parts / _chunk_name(i)) for i, _ in chunks]
    result = pd.concat(frames, ignore_index=True).sort_values("evaluation", ignore_index=True)
    if len(result) != len(design) or not result.evaluation.is_unique:
        raise RuntimeError(f"{parts}/ holds {len(result)} rows for {len(design)} evaluations; delete it and run again")
    metadata = {"neocloud_version": __version__, "sweep_sha256": digest, "sweep_file": sweep_path.name,
                "sweep_text": sweep_path.read_text(encoding="utf-8"), "scenario": sweep.scenario, "model": sweep.model,
                "design": sweep.design.model_dump(), "evaluations": len(design), "outputs": sweep.outputs,
                "inputs": list(sweep.inputs)}
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_parquet(result, out, metadata)
    shutil.rmtree(parts, ignore_errors=True)
    return SweepRun(out, len(design), len(chunks), skipped, time.perf_counter() - t0, compute_s, used_workers,
                    scheduler or "local")


def _run_chunks(client: Any, target: Any, todo: list[tuple[int, pd.DataFrame]], sweep: Sweep, parts: Path,
                progress: bool) -> None:
    from dask.distributed import as_completed
    from tqdm import tqdm

    # the target (a scenario, or a model function) is sent once, not with every chunk
    [remote] = client.scatter([target], broadcast=True) if not callable(target) else [target]
    run = uuid.uuid4().hex  # task keys unique on a cluster that other clients share
    futures = {client.submit(_evaluate_chunk, remote, rows, list(sweep.outputs), sweep.market_paths,
                             key=f"neocloud-chunk-{i}-{run}", pure=False): i for i, rows in todo}
    bar = tqdm(total=sum(len(r) for _, r in todo), unit="eval", disable=not progress, file=sys.stderr,
               dynamic_ncols=True, mininterval=0.5)
    try:
        for future in as_completed(futures):
            frame = future.result()
            _write_parquet(frame, parts / _chunk_name(futures[future]))
            bar.update(len(frame))
    finally:
        bar.close()
        for f in futures:
            f.cancel()
