"""Vega from ``vl-convert``, in a helper process: Vega-Lite specs compiled to Vega, and the
Vega/Vega-Lite/vega-embed JavaScript bundle that reports inline (no network).

``vl-convert`` runs a JavaScript engine on a thread of the process that first calls it; a process
forked after that call (the render's workers are forked) inherits no such thread and hangs on its
first call. So no neocloud process calls ``vl-convert`` itself: a helper (``python -m
neocloud.pipeline.vega``, a new interpreter, never a fork) does, answering one JSON line per
request over a pipe. ``neocloud render`` starts one helper before it forks its workers
(:func:`share_helper`), and the workers take turns with it under a lock; any other process starts
its own on first use. The helper exits when the pipe closes (its users are gone).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from typing import Any

_HELPERS: dict[int, subprocess.Popen[str]] = {}
_SHARED: "tuple[subprocess.Popen[str], Any] | None" = None
_LOCK = threading.Lock()


def _start() -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "neocloud.pipeline.vega"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1)


def share_helper() -> None:
    """Start one helper that this process and the processes it forks from now on share (each
    request under a lock across the processes). Call before forking workers."""
    global _SHARED
    import multiprocessing

    if _SHARED is None or _SHARED[0].poll() is not None:
        _SHARED = (_start(), multiprocessing.get_context("fork").Lock())


def _ask(request: dict[str, Any]) -> Any:
    if _SHARED is not None and _SHARED[0].poll() is None:
        proc, lock = _SHARED
    else:
        pid = os.getpid()
        if pid not in _HELPERS or _HELPERS[pid].poll() is not None:
            _HELPERS.clear()  # a helper inherited through a fork belongs to the parent
            _HELPERS[pid] = _start()
        proc, lock = _HELPERS[pid], _LOCK
    assert proc.stdin is not None and proc.stdout is not None
    with lock:
        proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
    if not line:
        raise RuntimeError("the vl-convert helper process stopped (python -m neocloud.pipeline.vega)")
    answer = json.loads(line)
    if "error" in answer:
        raise ValueError(f"vl-convert: {answer['error']}")
    return answer["result"]


def vega_lite_version() -> str:
    """The Vega-Lite version (major.minor) of Altair's specs, for the compiler and the bundle.

    >>> vega_lite_version()
    '5.20'
    """
    import altair as alt

    return ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


def compile_to_vega(spec: dict[str, Any]) -> dict[str, Any]:
    """A Vega-Lite spec compiled to Vega by ``vl-convert`` (in the helper process).

    >>> compiled = compile_to_vega({"mark": "point", "data": {"values": [{"x": 1}]},
    ...                             "encoding": {"x": {"field": "x", "type": "quantitative"}}})
    >>> compiled["marks"][0]["type"], compiled["data"][0]["values"]
    ('symbol', [{'x': 1}])
    """
    return _ask({"op": "compile", "spec": spec, "vl_version": vega_lite_version()})


def javascript_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script, from ``vl-convert`` (in the helper process)."""
    return _ask({"op": "bundle", "vl_version": vega_lite_version()})


def _serve() -> None:
    import signal

    import vl_convert as vlc

    # Ctrl-C reaches the whole process group: the helper leaves the interrupt to its parent and
    # exits when the parent closes the pipe
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    for line in sys.stdin:
        try:
            request = json.loads(line)
            if request["op"] == "compile":
                result: Any = vlc.vegalite_to_vega(request["spec"], vl_version=request["vl_version"])
            else:
                result = vlc.javascript_bundle(vl_version=request["vl_version"])
            answer = {"result": result}
        except Exception as e:  # answered, not raised: the caller says what failed
            answer = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve()
