"""Where the words of a chart go: titles that state the finding with their sources below, axis
labels that wrap, tick formats that never repeat a label, key-date and percentile labels in lanes
above the plot (where no rule cuts them), and text wrapped to the chart's width.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd


LANE_WIDTH = 280.0
"""The narrowest plot (px) label lanes are computed for: a phone's. Lanes that keep labels apart at
this width keep them apart at any wider one (positions spread, labels keep their size)."""


def pct_axis(**kw: Any) -> alt.Axis:
    """A percentage axis whose ticks are whole percents at least a percent apart, so that no two
    tick labels read the same."""
    return alt.Axis(format=".0%", tickMinStep=0.01, **kw)


def finding_title(title: str, sources: Sequence[str] = (), note: str | None = None) -> alt.TitleParams:
    """A chart's title: ``title`` (the finding), then a subtitle of ``note`` and the sources.

    >>> finding_title("Revenue falls", ["S-1"], "Note").to_dict()
    {'text': 'Revenue falls', 'subtitle': ['Note', 'Sources: S-1']}
    """
    subtitle = []
    if note:
        subtitle.append(note)
    if sources:
        subtitle.append("Sources: " + "; ".join(sources))
    return alt.TitleParams(text=title, subtitle=subtitle or None)


KEY_DATE_CHAR_PX = 6.0
"""Width of a character of a key-date label (10 px sans-serif, generous), to keep labels apart."""


def key_date_lanes(events: dict[str, dt.date], domain: tuple[dt.date, dt.date], width: float = LANE_WIDTH) -> pd.DataFrame:
    """Where each key date's label goes so that no two labels overlap: labels are written above
    the plot (where no rule runs, so none is cut by one), left of their rule when they would run past the right edge, and a label
    that would touch an earlier one drops to the next lane. Columns: ``event``, ``date``,
    ``lane`` (0 at the top), ``align`` (``left`` or ``right``).

    >>> lanes = key_date_lanes({"signed": dt.date(2026, 5, 3), "IPO": dt.date(2026, 6, 12),
    ...                         "reporting date": dt.date(2026, 6, 30)}, (dt.date(2026, 5, 1), dt.date(2029, 5, 1)))
    >>> lanes[["event", "lane", "align"]].values.tolist()
    [['signed', 0, 'left'], ['IPO', 1, 'left'], ['reporting date', 2, 'left']]
    """
    lo = min(domain[0], *events.values())
    hi = max(domain[1], *events.values())
    span = max((hi - lo).days, 1)
    ordered = sorted(events.items(), key=lambda kv: (kv[1], kv[0]))
    lanes = label_lanes([e for e, _ in ordered], [(d - lo).days / span * width for _, d in ordered], width)
    return pd.DataFrame({"event": [e for e, _ in ordered], "date": [d for _, d in ordered],
                         "lane": [ln for ln, _ in lanes], "align": [a for _, a in lanes]})


def label_lanes(labels: list[str], px: list[float], width: float, char_px: float = KEY_DATE_CHAR_PX) -> list[tuple[int, str]]:
    """Lanes for labels written beside marks at ``px`` (in order), so that no two overlap: a label
    goes right of its mark, or left when it would run past ``width``, in the first lane where it
    clears the label before it. Returns ``(lane, align)`` per label.

    >>> label_lanes(["P5", "P50", "P95"], [100.0, 100.0, 100.0], 600)
    [(0, 'left'), (1, 'left'), (2, 'left')]
    """
    ends: list[float] = []  # the right end of the last label in each lane
    out = []
    for label, x in zip(labels, px):
        w = char_px * len(label) + 4
        align = "left" if x + 4 + w <= width else "right"
        x0 = x + 4 if align == "left" else x - 4 - w
        lane = next((i for i, end in enumerate(ends) if end + 6 < x0), len(ends))
        if lane == len(ends):
            ends.append(x0 + w)
        else:
            ends[lane] = x0 + w
        out.append((lane, align))
    return out


def key_date_rules(events: dict[str, dt.date], domain: tuple[dt.date, dt.date], width: float = LANE_WIDTH) -> alt.LayerChart:
    """Vertical rules for the key dates of a timeline, labelled above the plot (no rule crosses a
    label) in lanes that keep the labels apart (:func:`key_date_lanes`)."""
    frame = key_date_lanes(events, domain, width)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["y"] = -4 - 13 * frame["lane"]
    rules = alt.Chart(frame).mark_rule(strokeDash=[4, 3], color="#555").encode(
        x="date:T", tooltip=[alt.Tooltip("event:N", title="Event"), alt.Tooltip("date:T", title="Date")]
    )
    layers: list[Any] = [rules]
    for align, dx in (("left", 4), ("right", -4)):
        part = frame[frame["align"] == align]
        if len(part):
            layers.append(alt.Chart(part).mark_text(align=align, dx=dx, baseline="bottom", fontSize=10, color="#333").encode(
                x="date:T", y=alt.Y("y:Q", scale=None), text="event:N"))
    return alt.layer(*layers)


LABEL_CHARS = 24
"""Axis labels of input names wrap at about this many characters (a phone's chart keeps room to plot)."""


def wrapped_label_expr(chars: int) -> str:
    """A Vega expression for an axis label wrapped at spaces into lines of at most ``chars``
    characters (a longer word stays whole).

    >>> print(wrapped_label_expr(18))
    split(replace(replace(datum.label + " ", regexp("(.{1,18})\\\\s+", "g"), "$1\\n"), regexp("\\n$"), ""), "\\n")
    """
    return ('split(replace(replace(datum.label + " ", regexp("(.{1,' + str(chars) + '})\\\\s+", "g"), "$1\\n"), '
            'regexp("\\n$"), ""), "\\n")')


TITLE_CHAR_PX = 9.2
"""Estimated width of a character of a chart title (15 px bold sans-serif, generous), to wrap it:
the width the report uses to wrap a fixed title (``neocloud.pipeline.vega.TITLE_CHAR_PX``)."""


def wrapped_text_expr(text: str, width: str, char_px: float) -> str:
    """A Vega expression for the text of the expression ``text`` wrapped at spaces into lines of
    at most ``width / char_px`` characters (``width``: an expression in pixels, such as the
    chart's ``width`` signal, so that the lines follow the container), as a list of lines; a word
    longer than a line stays whole.

    >>> print(wrapped_text_expr("datum.label", "width", 9.2))
    split(replace(replace(datum.label + " ", regexp("(.{1," + max(12, floor((width) / 9.2)) + "})\\\\s+", "g"), "$1\\n"), regexp("\\n$"), ""), "\\n")
    """
    chars = f"max(12, floor(({width}) / {char_px:g}))"
    return (f'split(replace(replace({text} + " ", regexp("(.{{1," + {chars} + "}})\\\\s+", "g"), "$1\\n"), '
            'regexp("\\n$"), ""), "\\n")')
