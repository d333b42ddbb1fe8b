"""The files of ``outputs/``: atomic writes, the render lock, and which scenario file owns a folder.

* A file is written through a temporary file in the same folder and a rename, so a reader never
  sees half a file.
* A lock on ``outputs/.render.lock`` keeps two renders from writing at once (an ``flock``, which
  the OS releases if the holder dies); :func:`held_lock` is the same lock for any file (sweeps).
* ``outputs/<stem>/.scenario`` names the scenario file whose reports the folder holds, so two
  files of the same name never overwrite each other's reports; ``.figures.json`` beside it holds
  the figures those reports state, from which the index is built.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: the no-op render takes the lock without the scenario model
    from neocloud.inputs.sourced import ScenarioError

OWNER_FILE = ".scenario"
"""In ``outputs/<stem>/``: the path (relative to ``outputs/``) of the scenario file whose reports
the folder holds."""
FIGURES_FILE = ".figures.json"
"""In ``outputs/<stem>/``: the headline figures of the scenario as its reports there were rendered."""


class Locked(RuntimeError):
    """Another process holds a lock of :func:`held_lock` (raised with ``wait=False``)."""


class RenderLocked(Locked):
    """Another render holds the outputs lock (raised with ``wait=False``)."""


def display_path(path: Path) -> str:
    """A path as shown in reports: relative to the working directory when inside it (no
    machine-specific absolute paths in outputs).

    >>> display_path(Path("params/base.yaml"))
    'params/base.yaml'
    >>> display_path(Path("/elsewhere/mine.yaml"))
    'mine.yaml'
    """
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
    with held_lock(outputs / ".render.lock", "another `neocloud render` (pid {pid}) is writing " + f"{outputs}/",
                   wait, announce, RenderLocked):
        yield


@contextlib.contextmanager
def held_lock(path: Path, busy: str, wait: bool = True, announce: Callable[[str], None] = print,
              error: type[Locked] = Locked) -> Iterator[None]:
    """Hold an ``flock`` on the file ``path`` (created if missing; the OS releases the lock if we
    die), writing our pid in it. If another process holds it: raise ``error`` with ``busy``
    (``{pid}`` replaced by the holder's) when ``wait`` is false, else announce ``busy`` and wait for it."""
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            message = busy.replace("{pid}", f.read().strip() or "unknown")
            if not wait:
                raise error(message + "; try again when it has finished") from None
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


def claim_folders(outputs: Path, valid: dict[Path, Any], invalid: list[ScenarioError]) -> set[Path]:
    """Give each scenario file its ``outputs/<stem>/`` folder, refusing a file whose folder holds
    (or, in this render, will hold) another file's reports: two files of the same name never
    overwrite each other's reports. Refused files move from ``valid`` to ``invalid``."""
    from neocloud.inputs.scenario import scenario_stem
    from neocloud.inputs.sourced import ScenarioError

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
            invalid.append(ScenarioError(path, [
                f"its reports would go to {outputs / stem}/, which holds the reports of {other}; rename the file, "
                f"render into another folder with --outputs, or delete {outputs / stem}/ first"]))
            del valid[path]
            refused.add(path)
            continue
        claimed[stem] = mine
        if not owner.is_file():
            write_atomic(owner, (mine + "\n").encode("utf-8"))
    return refused


def write_figures(folder: Path, figures: "Mapping[str, Any]") -> None:
    """Record the figures the reports in ``folder`` state (read back by :func:`on_disk_figures`)."""
    write_atomic(folder / FIGURES_FILE, json.dumps(dict(figures)).encode("utf-8"))


def on_disk_figures(folder: Path) -> dict[str, Any] | None:
    """The figures a scenario's rendered reports state (written when they were rendered)."""
    try:
        return json.loads((folder / FIGURES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
