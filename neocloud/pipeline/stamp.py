"""The no-op render: a second ``neocloud render`` with nothing changed answers from a stamp, with
neither pandas nor pydantic imported and no scenario file opened.

A render that ends clean (every report rendered or up to date, no invalid scenario, every sources
page and the index written) writes ``outputs/.cache/noop-stamp.json``: the digest of everything
the render read (:func:`input_files`), each file's own digest with its status (size,
modification and change times in nanoseconds, inode), and every file it left in the scenarios'
folders of ``outputs/`` and ``index.html`` with its status and digest. A later render with the
same options lists its inputs again and reuses a file's recorded digest while its status is
unchanged (a write changes the change time, which no tool sets back; a file changed within
:data:`RACY_NS` of the render that recorded it is always read again), so a no-op opens no input.
When the digest and every recorded output's status agree, the render has nothing to do and says
so in the same summary lines. Anything else (a byte of any input changed, an input added or
removed, an output deleted or edited, other options, ``--force``) takes the normal path, which
first deletes the stamp, re-renders what changed and the outputs whose bytes were edited or
deleted since the stamp, and writes a new stamp when it ends clean and no input changed while it
ran. The scenario files' digests are those of the bytes the render's loader read
(:func:`neocloud.inputs.sourced.digests_read`), so each is still opened once.

What the digest covers (each, raw bytes):

* the options: the scenario files given (or the ``--params`` folder), ``--notebooks``,
  ``--outputs``, the working directory (reports show paths relative to it) and
  ``$NEOCLOUD_DATA`` (with every file of that folder);
* the scenario files the render reads and the index lists (the given ones and every
  ``params/*.yaml``), each with what it ``extends``, as the loader follows them
  (:func:`neocloud.inputs.scenario.scenario_files`, recorded by the render that wrote the stamp:
  the chain is a function of these bytes, so equal bytes follow the same chain);
* the notebooks (the list of ``*.ipynb`` and each file) and the files their declarations name
  (:mod:`neocloud.pipeline.notebooks`: sweep files, found as :func:`~neocloud.inputs.scenario.find_scenario_file`
  finds them, every place it would look before);
* the environment key of the reports (:func:`neocloud.pipeline.cache.environment_key`: every file
  of the package, its data files, templates and source, ``constraints.txt``, the Python version)
  and the installed package's metadata (its version, which the pages show).

Nothing a render writes depends on the date or on other environment variables, so neither is
part of the digest; a render prints no warnings (``neocloud check`` does), so a no-op has none
to repeat.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

STAMP_FILE = "noop-stamp.json"
"""In ``outputs/.cache/``: the stamp of the last render that ended clean."""
STAMP_VERSION = 1
PARAMS_SUFFIX = "*.yaml"


def discover(params: Path, notebooks: Path, paths: list[Path] | None) -> tuple[list[Path], list[Path]]:
    """Scenario files (the given paths, a folder standing for its ``*.yaml``, or every ``*.yaml``
    in ``params``) and notebooks.

    >>> s, n = discover(Path("params"), Path("notebooks"), None)
    >>> s[0].as_posix(), sorted(p.name for p in n)[0]
    ('params/base.yaml', 'deal.ipynb')
    """
    scenario_files: list[Path] = []
    for p in [Path(p) for p in paths] if paths else [params]:
        scenario_files += sorted(p.glob(PARAMS_SUFFIX)) if p.is_dir() else [p]
    notebook_files = sorted(p for p in notebooks.glob("*.ipynb") if not p.name.startswith("."))
    return scenario_files, notebook_files


def stamp_path(outputs: Path) -> Path:
    """Where the stamp of ``outputs`` is.

    >>> stamp_path(Path("outputs")).as_posix()
    'outputs/.cache/noop-stamp.json'
    """
    return Path(outputs) / ".cache" / STAMP_FILE


class Digests:
    """The SHA-256 of files' raw bytes, re-read only where a file's status changed: a digest the
    stamp recorded is reused while the file's size, modification and change times (nanoseconds)
    and inode are those recorded with it (a write changes the change time, which no tool sets
    back), so a no-op opens no input. :meth:`table` is what the next render reuses."""

    def __init__(self, recorded: dict[str, list[Any]] | None = None) -> None:
        self.recorded = recorded or {}
        self.seen: dict[str, list[Any]] = {}

    def __call__(self, path: Path) -> str | None:
        key = str(path)
        if key in self.seen:  # once per render: the bytes as they were when first hashed
            return self.seen[key][-1]
        st = _stat(path)
        if st is None:
            self.seen[key] = [None]
            return None
        old = self.recorded.get(key)
        if old is not None and old[:-1] == st:
            digest = old[-1]
        else:
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except (IsADirectoryError, NotADirectoryError, FileNotFoundError):
                digest = None
        self.seen[key] = [*st, digest]
        return digest

    def changed(self) -> list[str]:
        """The files whose status changed since they were hashed (or that appeared)."""
        out = []
        for k, v in self.seen.items():
            now = _stat(Path(k))
            if (now is None) != (v[0] is None) or (now is not None and now != v[:-1]):
                out.append(k)
        return out

    def table(self, racy_from_ns: int | None = None) -> dict[str, list[Any]]:
        """The digests for the next render: a file changed at or after ``racy_from_ns`` keeps its
        digest without its status, so that the next render reads it again (a second change within
        the file system's clock tick could leave its times as they were)."""
        return {k: (v if racy_from_ns is None or v[0] is None or max(v[1], v[2]) < racy_from_ns
                    else [None, None, None, None, v[-1]])
                for k, v in self.seen.items()}


def _stat(path: Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _declared_candidates(name: str, notebook: Path) -> list[Path]:
    """Every place :func:`neocloud.inputs.scenario.find_scenario_file` looks for ``name`` declared by
    ``notebook``, in its order (the first that is a file is the one read)."""
    given = Path(name)
    if given.is_absolute():
        return [given]
    out = [given]
    for folder in [Path(notebook).resolve().parent, Path.cwd()]:
        folder = folder.resolve()
        out += [parent / given for parent in [folder, *folder.parents][:4]]
    return out


def _dist_metadata() -> list[Path]:
    """The installed ``neocloud`` distribution's metadata files (its version, which pages show),
    wherever on ``sys.path`` they are."""
    found = []
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for n in sorted(names):
            if n.startswith("neocloud-") and n.endswith((".dist-info", ".egg-info")):
                found.append(Path(entry or ".").resolve() / n / ("METADATA" if n.endswith(".dist-info") else "PKG-INFO"))
    return found


def render_context(paths: list[Path] | None, params: Path, notebooks: Path, outputs: Path) -> dict[str, Any]:
    """The options and surroundings of a render that decide what it writes."""
    return {
        "cwd": str(Path.cwd().resolve()),
        "paths": [str(p) for p in paths] if paths else None,
        "params": str(params),
        "notebooks": str(notebooks),
        "outputs": str(Path(outputs).resolve()),
        "data_env": os.environ.get("NEOCLOUD_DATA"),
        "python": sys.version,
    }


def input_files(context: dict[str, Any], scenario_files: list[Path], listed: list[Path], notebook_files: list[Path],
                chains: list[str], sha: Digests) -> dict[str, Any]:
    """Everything a render with these options reads (see the module's docstring), each file with
    the digest of its bytes: ``scenario_files`` (rendered), ``listed`` (the index's
    ``params/*.yaml``), ``notebook_files``, and ``chains``, the files the scenarios were read from
    (what they extend, the ledger)."""
    from neocloud.pipeline.cache import PACKAGE_DIR, locked_stack_file
    from neocloud.pipeline.notebooks import declaration

    declared = []
    for nb in notebook_files:
        for name in declaration(nb).files:
            looked = []
            for candidate in _declared_candidates(name, nb):
                digest = sha(candidate)
                looked.append((str(candidate), digest))
                if digest is not None:
                    break
            declared.append((nb.name, name, looked))
    package = sorted(p for p in PACKAGE_DIR.rglob("*") if "__pycache__" not in p.parts and p.is_file())
    data_env = context.get("data_env")
    edited_data = sorted(p for p in Path(data_env).rglob("*") if p.is_file()) if data_env and Path(data_env).is_dir() else []
    lock = locked_stack_file()
    files = sorted({*scenario_kind(scenario_files, listed, chains), *map(str, notebook_files), *map(str, package),
                    *map(str, edited_data), *map(str, _dist_metadata()), *([str(lock)] if lock else [])})
    return {
        "stamp": STAMP_VERSION,
        "context": context,
        "scenario_files": [str(p) for p in scenario_files],
        "listed": [str(p) for p in listed],
        "notebooks": [str(p) for p in notebook_files],
        "chains": chains,
        "package": [str(p) for p in package],
        "data_env_files": [str(p) for p in edited_data],
        "files": [(f, sha(Path(f))) for f in files],
        "declared": declared,
    }


def scenario_kind(scenario_files: list[Path], listed: list[Path], chains: list[str]) -> list[str]:
    """The scenario files of a render and what they extend, by resolved path."""
    return sorted({*(str(Path(p).resolve()) for p in [*scenario_files, *listed]), *chains})


def inputs_digest(inputs: dict[str, Any]) -> str:
    """The digest of :func:`input_files`."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def outputs_record(outputs: Path, stems: list[str], recorded: dict[str, list[Any]] | None = None) -> dict[str, list[Any]]:
    """Status (size, modification and change times, inode) and digest of every file in the
    scenarios' folders ``stems`` of ``outputs`` and of ``index.html``, by path relative to
    ``outputs`` (a digest in ``recorded`` is reused while its file's status is unchanged)."""
    sha = Digests({str(outputs / k): v for k, v in (recorded or {}).items()})
    files = [outputs / "index.html"] + [p for stem in stems for p in sorted((outputs / stem).rglob("*")) if p.is_file()]
    for p in files:
        sha(p)
    return {Path(k).relative_to(outputs).as_posix(): v for k, v in sha.table().items()}


def _read(outputs: Path) -> dict[str, Any] | None:
    try:
        stamp = json.loads(stamp_path(outputs).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) and stamp.get("stamp") == STAMP_VERSION else None


def previous_outputs(outputs: Path) -> dict[str, list[Any]]:
    """The files the last clean render left, from its stamp (see :func:`outputs_record`)."""
    stamp = _read(outputs)
    return dict(stamp.get("outputs", {})) if stamp is not None else {}


def edited_outputs(outputs: Path, previous: dict[str, list[Any]]) -> tuple[set[Path], dict[str, list[Any]]]:
    """The files of ``previous`` (:func:`previous_outputs`) whose bytes were edited, or that were
    deleted, since; and their record now (a copied folder, the same bytes, is not edited)."""
    sha = Digests({str(outputs / k): v for k, v in previous.items()})
    edited = set()
    for rel, old in previous.items():
        if sha(outputs / rel) != old[-1] or old[0] is None:
            edited.add(outputs / rel)
    now = {Path(k).relative_to(outputs).as_posix(): v for k, v in sha.table().items()}
    return edited, now


def forget(outputs: Path) -> None:
    """Delete the stamp (a render that is about to write takes the normal path to its end)."""
    try:
        stamp_path(outputs).unlink()
    except FileNotFoundError:
        pass


RACY_NS = 100_000_000
"""A file changed less than this before a render hashed it is read again by the next render
(file times advance by the clock's tick, a few milliseconds at most)."""


def begin(context: dict[str, Any], scenario_files: list[Path], listed: list[Path],
          notebook_files: list[Path]) -> tuple[Digests, int]:
    """Hash the inputs of a render as it begins (before it reads them), for :func:`write_stamp`;
    the scenario files are not opened here (the render reads each once, and
    :func:`neocloud.inputs.sourced.digests_read` gives their digests)."""
    began = time.time_ns()
    sha = Digests()
    input_files(context, [], [], notebook_files, [], sha)
    return sha, began


def write_stamp(outputs: Path, context: dict[str, Any], scenario_files: list[Path], listed: list[Path],
                notebook_files: list[Path], chains: list[str], reports: int, stems: list[str],
                begun: tuple[Digests, int], seen_outputs: dict[str, list[Any]] | None = None,
                not_applicable: list[str] | tuple[str, ...] = ()) -> bool:
    """Record a render that ended clean: the digest of its inputs as they were when it began
    (:func:`begin`), its ``reports`` (how many were rendered or up to date), the summary's line of
    each report that does not apply (``not_applicable``) and the files it left
    (:func:`outputs_record`).
    False (no stamp) where an input changed while it ran, or an output is missing."""
    from neocloud.pipeline.files import write_atomic

    from neocloud.inputs.sourced import digests_read

    sha, began = begun
    if sha.changed():
        return False  # an input changed while the render read it
    read = digests_read()  # the scenario files' bytes as the render read them (each once)
    for key in scenario_kind(scenario_files, listed, chains):
        st = _stat(Path(key))
        if st is None:
            continue
        if max(st[1], st[2]) >= began - RACY_NS:
            return False  # changed since shortly before the render began: its bytes now may not be those read
        if key in read:
            sha.seen[key] = [*st, read[key]]
        # else read before the render began (the ledger, kept by its reader) and unchanged since: hashed below
    inputs = input_files(context, scenario_files, listed, notebook_files, chains, sha)
    stamp = {"stamp": STAMP_VERSION, "inputs": inputs_digest(inputs), "files": sha.table(began - RACY_NS),
             "chains": chains, "reports": reports,
             "not_applicable": list(not_applicable), "outputs": outputs_record(outputs, stems, seen_outputs)}
    if any(st[0] is None for st in stamp["outputs"].values()):
        return False
    write_atomic(stamp_path(outputs), json.dumps(stamp, sort_keys=True).encode("utf-8"))
    return True


def noop_render(paths: list[Path] | None, params: Path, notebooks: Path,
                outputs: Path) -> tuple[int, list[str]] | None:
    """How many reports are up to date, and the summary's line of each report that does not apply,
    if a render with these options has nothing to do (its stamp's digest and every recorded output
    agree), else None. Call it holding the outputs lock."""
    stamp = _read(outputs)
    if stamp is None:
        return None
    if any(_stat(outputs / rel) != st[:-1] for rel, st in stamp.get("outputs", {}).items()):
        return None  # an output changed, or its folder was copied: the normal path finds which
    scenario_files, notebook_files = discover(params, notebooks, paths)
    listed = sorted(params.glob(PARAMS_SUFFIX))
    inputs = input_files(render_context(paths, params, notebooks, outputs), scenario_files, listed, notebook_files,
                         list(stamp.get("chains", [])), Digests(stamp.get("files")))
    if inputs_digest(inputs) != stamp.get("inputs"):
        return None
    return int(stamp["reports"]), [str(line) for line in stamp.get("not_applicable", [])]


def summary_head(rendered: int, cached: int, failed: int, invalid: int, seconds: float, not_applicable: int = 0) -> str:
    """The first line of a render's summary (reports that do not apply to their scenario counted
    apart, when there are any).

    >>> summary_head(0, 25, 0, 0, 0.42)
    '0 rendered, 25 up to date, 0 failed, 0 invalid scenario file(s) in 0.4s'
    >>> summary_head(2, 0, 0, 0, 9.0, not_applicable=1)
    '2 rendered, 0 up to date, 0 failed, 1 not applicable (a page says why), 0 invalid scenario file(s) in 9.0s'
    """
    return (f"{rendered} rendered, {cached} up to date, {failed} failed, "
            + (f"{not_applicable} not applicable (a page says why), " if not_applicable else "")
            + f"{invalid} invalid scenario file(s) in {seconds:.1f}s")


def index_lines(index: Path, current_partials: set[Path | None]) -> list[str]:
    """The summary's last lines: partial notebooks of earlier failed renders still kept (not
    ``current_partials``, this render's), and where the index is."""
    lines = []
    stale = sorted(index.parent.glob("_failed/*/*.ipynb"))
    older = [p for p in stale if p not in current_partials]
    if older:
        lines.append(f"{len(older)} partial notebook(s) from earlier failed renders remain in "
                     f"{index.parent / '_failed'}/ (delete the folder when you no longer need them)")
    lines.append(f"index: {index.resolve()}")
    return lines
