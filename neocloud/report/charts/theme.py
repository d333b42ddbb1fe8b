"""The one look of every chart: the Altair theme ``neocloud``, Okabe and Ito's colour-blind-safe
palette, one colour per company, the size a chart takes, and the data transformer that inlines a
chart's data with floats rounded (the same JSON on every machine).

Importing this module registers the theme and the transformer; :func:`enable` switches them on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import altair as alt


PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7f7f7f"]
"""Okabe and Ito's colour-blind-safe palette (blue, vermillion, green, purple, orange, sky blue, grey):
every pair stays apart under the common colour-vision deficiencies; the first two are the usual pair."""


NEUTRAL = "#c8c8c8"
"""A light grey for marks that are background to coloured ones (every palette colour reads on it)."""

COMPANY_COLOURS = {
    "Anthropic": "#D55E00",
    "Google": "#0072B2",
    "Reflection AI": "#009E73",
    "The whole book": "#000000",
    "Seller without the book": "#bdbdbd",
}
"""One colour per company in every chart of every report (a chart that colours by company takes
its colours from here, :func:`company_scale`)."""


NOTEBOOK_WIDTH = 620
"""A chart's width in a notebook (JupyterLab, nbconvert's own HTML): a notebook's output area takes
its width from its content, so a chart sized to its container there grows without end."""


FIT = {"width": NOTEBOOK_WIDTH, "autosize": alt.AutoSizeParams(type="fit-x", contains="padding"),
       "usermeta": {"width": "container"}}
"""Chart properties: in a report the chart takes its container's width (a phone's or a
desktop's), axes and legends included, its height its own (``usermeta.width``, read where the
report compiles the chart: :func:`neocloud.pipeline.vega.compile_to_vega`); in a notebook it is
:data:`NOTEBOOK_WIDTH` wide."""


@alt.theme.register("neocloud", enable=False)
def _theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "view": {"continuousWidth": 620, "continuousHeight": 260, "stroke": None},
            "font": "Helvetica, Arial, sans-serif",
            # room for a last axis label, and above the title, whose first line Vega places up to
            # a line too high when the title wraps on a phone (tests/test_readable.py measures it)
            "padding": {"left": 5, "top": 22, "right": 16, "bottom": 5},
            "title": {"anchor": "start", "fontSize": 15, "subtitleFontSize": 11,
                      "subtitleColor": "#555", "offset": 10},
            # no label is cut with an ellipsis: labels take the room they need (labelLimit 0)
            # a time axis names month and year at every tick, so that no two ticks read the same
            "axisTemporal": {"format": "%b %Y"},
            # the first and last labels of a horizontal axis stay within the plot's ends
            "axisX": {"labelFlush": True},
            "axis": {"labelFontSize": 11, "titleFontSize": 12, "grid": True, "gridColor": "#eee", "labelLimit": 0,
                     "labelOverlap": True},
            # one column: a legend of long labels fits a phone's width
            "legend": {"orient": "bottom", "labelFontSize": 11, "titleFontSize": 11, "labelLimit": 0, "columns": 1},
            "range": {"category": PALETTE},
            "bar": {"color": PALETTE[0]},
            "line": {"color": PALETTE[0], "strokeWidth": 2},
        }
    }


def enable() -> None:
    """Use the package theme and emit charts as Vega-Lite JSON (rendered by JupyterLab and by
    the offline HTML template; no JavaScript inside the notebook)."""
    alt.theme.enable("neocloud")
    alt.renderers.enable("mimetype")
    alt.data_transformers.enable("neocloud")


SIGNIFICANT_DIGITS = 10
"""Chart data carry floats to this many significant digits: far beyond what a chart or tooltip
shows, and short of the last bits, which differ between machines (NumPy and BLAS pick CPU-specific
kernels), so that a chart's JSON, and with it a committed notebook or a report, is the same on
every machine."""


MAX_CHART_ROWS = 10_000
"""The most rows of data one chart inlines into a notebook and its report (the reports' charts
hold at most about 1,500; Altair's own default limit is 5,000). More is refused with Altair's
``MaxRowsError``: a chart of 200,000 rows would put megabytes into every notebook."""


def stable_values(data: Any, max_rows: int = MAX_CHART_ROWS) -> dict[str, Any]:
    """Altair data transformer ``neocloud``: the data inlined as values, floats rounded to
    :data:`SIGNIFICANT_DIGITS` significant digits; more than ``max_rows`` rows (default
    :data:`MAX_CHART_ROWS`) raise ``altair.MaxRowsError`` (thin or aggregate the frame first).

    >>> import pandas as pd
    >>> stable_values(pd.DataFrame({"x": [0.1 + 0.2, 2 / 3], "n": [1, 2]}))["values"]
    [{'x': 0.3, 'n': 1}, {'x': 0.6666666667, 'n': 2}]
    >>> stable_values(pd.DataFrame({"x": range(3)}), max_rows=2)
    Traceback (most recent call last):
    ...
    altair.utils.data.MaxRowsError: chart data of 3 rows is more than the 2 a chart may inline (neocloud.report.charts.MAX_CHART_ROWS): thin or aggregate the data first
    """
    from altair.utils.data import MaxRowsError, to_values

    values = to_values(data)
    if "values" not in values or not isinstance(values["values"], list):
        return values
    if max_rows is not None and len(values["values"]) > max_rows:
        raise MaxRowsError(f"chart data of {len(values['values']):,} rows is more than the {max_rows:,} a chart may inline "
                           "(neocloud.report.charts.MAX_CHART_ROWS): thin or aggregate the data first")

    def stable(v: Any) -> Any:
        return float(f"{v:.{SIGNIFICANT_DIGITS}g}") if isinstance(v, float) and math.isfinite(v) else v

    return {**values, "values": [{k: stable(v) for k, v in row.items()} if isinstance(row, dict) else stable(row)
                                 for row in values["values"]]}


alt.data_transformers.register("neocloud", stable_values)


def company_scale(names: Sequence[str]) -> alt.Scale:
    """A colour scale for ``names`` (in order) giving each company its colour of
    :data:`COMPANY_COLOURS` and anything else the next palette colour that no company has.

    >>> company_scale(["Seller without the book", "Anthropic", "Google", "Other"]).to_dict()["range"]
    ['#bdbdbd', '#D55E00', '#0072B2', '#CC79A7']
    """
    spare = iter([c for c in PALETTE if c not in COMPANY_COLOURS.values()] + PALETTE)
    return alt.Scale(domain=list(names), range=[COMPANY_COLOURS.get(n) or next(spare) for n in names])
