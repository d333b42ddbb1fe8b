"""Vega from ``vl-convert``, in a helper process: Vega-Lite specs compiled to Vega, and the
Vega/Vega-Lite/vega-embed JavaScript bundle that reports inline (no network).

``vl-convert`` runs a JavaScript engine on a thread of the process that first calls it; a process
forked after that call (the render's workers are forked) inherits no such thread and hangs on its
first call. So no neocloud process calls ``vl-convert`` itself: a helper (``python -m
neocloud.pipeline.vega``, a new interpreter, never a fork) does, answering one JSON line per
request over a pipe. A process starts its own helper on first use (``neocloud render``'s workers
each their own, and only if a chart is not compiled yet: compiled charts are kept,
:func:`neocloud.pipeline.export.compiled_vega_json`); :func:`share_helper` starts one that a
process and the processes it forks afterwards share under a lock. The helper exits when the pipe
closes (its users are gone).
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
    return responsive(_ask({"op": "compile", "spec": container_width(spec), "vl_version": vega_lite_version()}))


def container_width(spec: dict[str, Any]) -> dict[str, Any]:
    """A chart that asks for its container's width in a report (``usermeta.width``, set by
    :data:`neocloud.report.charts.FIT`) gets it; its notebook width is kept for notebooks only.

    >>> container_width({"width": 620, "usermeta": {"width": "container"}})["width"]
    'container'
    >>> container_width({"width": 260})["width"]
    260
    """
    if (spec.get("usermeta") or {}).get("width") == "container":
        return {**spec, "width": "container"}
    return spec


TITLE_CHAR_PX = 9.2
"""Estimated width of a character of a chart title (15 px bold sans-serif, generous), to wrap it."""
SUBTITLE_CHAR_PX = 6.3
"""Estimated width of a character of a chart subtitle (11 px sans-serif, generous)."""


def wrap_expression(lines: "list[str] | str", width: str, char_px: float) -> str:
    r"""A Vega expression for ``lines`` wrapped at spaces into lines of at most ``width / char_px``
    characters (``width``: an expression in pixels, such as the chart's ``width`` signal, which
    follows its container): a list of strings, redrawn when the width changes. A word longer than
    a line stays whole; a given line break stays.

    >>> print(wrap_expression("Revenue reaches $45.0B", "width", 9.0))
    split(replace(replace("Revenue reaches $45.0B" + " ", regexp("(.{1," + max(12, floor((width) / 9)) + "})\\s+", "g"), "$1\n"), regexp("\n$"), ""), "\n")
    """
    items = [lines] if isinstance(lines, str) else list(lines)
    return wrap_text_expression([json.dumps(t) for t in items], width, char_px)


def wrap_text_expression(texts: list[str], width: str, char_px: float) -> str:
    """:func:`wrap_expression` of Vega expressions ``texts`` (such as ``datum.label``), each a line."""
    chars = f"max(12, floor(({width}) / {char_px:g}))"
    pattern = 'regexp("(.{1," + ' + chars + ' + "})\\\\s+", "g")'
    # each line wrapped ends with a line break; the last one is dropped before the split
    joined = " + ".join(f'replace({t} + " ", {pattern}, "$1\\n")' for t in texts)
    return f'split(replace({joined}, regexp("\\n$"), ""), "\\n")'


LEGEND_CHAR_PX = 6.3
"""Estimated width of a character of a legend label (11 px sans-serif, generous)."""
LEGEND_MIN_PX = 200
"""Legend labels wrap at no fewer than this many pixels (so that none of the reports' takes more than three lines)."""
LEGEND_ROOM_PX = 40
"""Room below a chart with a legend for the second and third lines of its last label."""
LEGEND_ONE_LINE_PX = 460
"""From this plot width on, every legend label of the reports takes one line."""


def _wrap_legend_labels(node: Any, plot_width: str = "width") -> bool:
    """Every legend's labels (at any depth) wrapped to the plot's width (``plot_width``, an
    expression), less the symbol. True if there was a legend."""
    found = False
    if isinstance(node, dict):
        for legend in node.get("legends", []) if isinstance(node.get("legends"), list) else []:
            if not isinstance(legend, dict):
                continue
            found = True
            update = legend.setdefault("encode", {}).setdefault("labels", {}).setdefault("update", {})
            if "text" not in update:
                # a legend below the chart starts where the plot does: its labels have the plot's width
                update["text"] = {"signal": wrap_text_expression(["datum.label"], f"max({LEGEND_MIN_PX}, {plot_width} - 24)", LEGEND_CHAR_PX)}
                # Vega spaces legend entries by one line: on a narrow plot, where a label may take
                # three lines, entries are two lines apart
                legend.setdefault("rowPadding", {"signal": f"{plot_width} - 24 < {LEGEND_ONE_LINE_PX} ? 27 : 2"})
        for value in node.values():
            found = _wrap_legend_labels(value, plot_width) or found
    elif isinstance(node, list):
        for value in node:
            found = _wrap_legend_labels(value, plot_width) or found
    return found


WHOLE_FORMATS = {".0%": 0.01, "$.0f": 1, ",d": 1, "d": 1, ".0f": 1, ",.0f": 1, "$,.0f": 1}
"""Axis label formats that show whole units, and the unit: ticks closer than it would repeat a label."""


def _distinct_ticks(node: Any) -> None:
    """Every axis (at any depth) whose labels show whole units gets ticks at least a unit apart
    (Vega's ``tickMinStep``), so that no two tick labels read the same ("$1 $2 $2 $3")."""
    if isinstance(node, dict):
        for axis in node.get("axes", []) if isinstance(node.get("axes"), list) else []:
            if isinstance(axis, dict) and isinstance(axis.get("format"), str) and axis["format"] in WHOLE_FORMATS \
                    and "tickMinStep" not in axis:
                axis["tickMinStep"] = WHOLE_FORMATS[axis["format"]]
        for value in node.values():
            _distinct_ticks(value)
    elif isinstance(node, list):
        for value in node:
            _distinct_ticks(value)


def responsive(vega: dict[str, Any]) -> dict[str, Any]:
    """A compiled chart made to read on any screen: axes without repeated tick labels; its title and subtitle wrapped to the chart's
    width (:func:`wrap_expression` over its ``width`` signal, or a facet's ``child_width``), so
    that a title is whole on a phone and takes one line on a desktop. The page fits a chart to
    its container (``neocloud/templates/report/index.html.j2``). Returns ``vega``, changed.

    >>> v = responsive({"signals": [{"name": "width", "init": "300"}], "title": {"text": "A b", "subtitle": ["c"]}})
    >>> v["title"]["text"]["signal"].startswith('split(replace(replace("A b"'), "signal" in v["title"]["subtitle"]
    (True, True)
    """
    _distinct_ticks(vega)
    if isinstance(vega.get("autosize"), dict):
        # the layout follows every change of width: a title that wraps to more lines gets them
        vega["autosize"] = {**vega["autosize"], "resize": True}
    names = {s.get("name") for s in vega.get("signals", [])}
    # a chart of panels sizes itself to its panels (child_width): its legend follows them, not it
    if _wrap_legend_labels(vega, "child_width" if "child_width" in names else "width") and "width" in names and isinstance(vega.get("padding"), dict):
        # Vega's bounds hold a legend label's first line only: the chart keeps room below for
        # the lines of its last label on a phone (a padding that followed the width would loop)
        vega["padding"] = {**vega["padding"], "bottom": max(vega["padding"].get("bottom", 5), LEGEND_ROOM_PX)}
    width = "width" if "width" in names else "child_width" if "child_width" in names else str(vega.get("width", 300))
    title = vega.get("title")
    if isinstance(title, dict) and title.get("frame") != "group":
        # a title that starts at the chart's left edge, not the plot's, has the container's whole
        # width (the width signal stays in the expression, so that the title follows a resize)
        width = f"max({width}, containerSize()[0] - 12)"
    if isinstance(title, dict):
        for key, char_px in (("text", TITLE_CHAR_PX), ("subtitle", SUBTITLE_CHAR_PX)):
            if isinstance(title.get(key), (str, list)) and title[key]:
                title[key] = {"signal": wrap_expression(title[key], width, char_px)}
    return vega


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
