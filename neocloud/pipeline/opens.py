"""Which files a render opens, process by process: how the tests prove that a render reads each
scenario file once, in the process that needs it (the parent), and never again in its workers,
their kernels or the exporter.

Set :data:`RECORD_OPENS_ENV` to a log file and call :func:`record_opens` in a process (the render's
warm kernels call it when they start, :mod:`neocloud.pipeline.kernels`; forked workers inherit the
parent's hook): every file opened whose name ends in one of ``suffixes`` is appended to the log as
``pid<TAB>role<TAB>absolute path``. An audit hook (:func:`sys.addaudithook`, the ``open`` event)
sees every ``open()`` by Python code and the standard library, whatever the caller.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

RECORD_OPENS_ENV = "NEOCLOUD_RECORD_OPENS"
"""The environment variable naming the log file of :func:`record_opens` (unset: nothing recorded)."""

_RECORDING: set[str] = set()


def record_opens(log: str | os.PathLike[str], role: str, suffixes: tuple[str, ...] = (".yaml", ".yml")) -> None:
    """Append every later open of a file ending in ``suffixes`` to ``log`` (``pid``, ``role``,
    absolute path, tab-separated, one line each). Once per process and log; an audit hook cannot
    be removed, so this is for tests and diagnostics only.

    >>> import tempfile
    >>> log = Path(tempfile.mkdtemp()) / "opens.log"
    >>> record_opens(log, "doctest")
    >>> _ = Path("params/base.yaml").read_bytes()
    >>> [line.split("\\t")[1:] for line in log.read_text().splitlines()][-1][1].endswith("params/base.yaml")
    True
    """
    target = str(Path(log).resolve())
    if target in _RECORDING:
        return
    _RECORDING.add(target)
    write = os.write
    installer = os.getpid()
    open_fd = os.open
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT

    def hook(event: str, args: tuple[object, ...]) -> None:
        if event != "open" or not args:
            return
        name = args[0]
        if isinstance(name, int):
            return
        try:
            text = os.fsdecode(os.fspath(name))  # type: ignore[arg-type]
        except TypeError:
            return
        if not text.endswith(suffixes) or text == target:
            return
        pid = os.getpid()
        who = role if pid == installer else f"{role} (forked)"
        line = f"{pid}\t{who}\t{os.path.abspath(text)}\n".encode()
        fd = open_fd(target, flags, 0o644)  # its own "open" event ends above (not a suffix)
        try:
            write(fd, line)
        finally:
            os.close(fd)

    sys.addaudithook(hook)


def opens_by_file(log: str | os.PathLike[str]) -> dict[str, list[tuple[int, str]]]:
    """The opens :func:`record_opens` logged, by absolute path: ``[(pid, role), ...]``.

    >>> import tempfile
    >>> log = Path(tempfile.mkdtemp()) / "opens.log"
    >>> _ = log.write_text("12\\tparent\\t/p/a.yaml\\n13\\tkernel\\t/p/a.yaml\\n")
    >>> opens_by_file(log)
    {'/p/a.yaml': [(12, 'parent'), (13, 'kernel')]}
    """
    out: dict[str, list[tuple[int, str]]] = {}
    p = Path(log)
    if not p.is_file():
        return out
    for line in p.read_text(encoding="utf-8").splitlines():
        pid, role, path = line.split("\t", 2)
        out.setdefault(path, []).append((int(pid), role))
    return out
