"""The controls of a report's charts: Altair parameters bound to sliders and menus over the values
of a grid the library computed (:mod:`neocloud.report.explore`), the Vega expression of the grid position
a control selects, and the title that follows it.

A chart with controls draws the grid rows at the controls' positions, and its title is the
``title`` of the same row: the words are drawn from the data the chart draws, never written once
for the scenario's own setting. Every control opens on the scenario's own value exactly (it is on
the grid, and the control's steps run through it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from neocloud.report.charts.labels import TITLE_CHAR_PX, wrapped_text_expr
from neocloud.report.charts.theme import FIT

CONTROL_NOTE = "Move the control: the figures are the library's, computed in advance on a grid"


@dataclass(frozen=True)
class Control:
    """An Altair parameter bound to an input over ``values`` (in order), and ``index``: a Vega
    expression for the position in ``values`` of the value the input holds."""

    param: alt.Parameter
    values: tuple[Any, ...]
    index: str

    @property
    def name(self) -> str:
        return str(self.param.name)

    def positions(self, column: pd.Series) -> pd.Series:
        """The position in ``values`` of each value of ``column`` (the nearest, for numbers), to
        select a grid row by :meth:`index`.

        >>> menu("m", "Price ", [3.2, 4.2], ["$3.20", "$4.20"], 4.2).positions(pd.Series([4.2, 3.2])).tolist()
        [1, 0]
        """
        if all(isinstance(v, str) for v in self.values):
            return column.map({v: i for i, v in enumerate(self.values)}).astype(int)
        grid = np.asarray(self.values, dtype=float)
        return pd.Series([int(np.abs(grid - float(v)).argmin()) for v in column], index=column.index)


def _nearest(values: Sequence[Any], value: Any) -> Any:
    if all(isinstance(v, str) for v in values):
        if value not in values:
            raise ValueError(f"the control's value {value!r} is not one of its options {list(values)!r}")
        return value
    return values[int(np.abs(np.asarray(values, dtype=float) - float(value)).argmin())]


def slider(name: str, label: str, values: Sequence[float], value: float) -> Control:
    """A slider over evenly spaced ``values`` (in increasing order), opening on the one nearest
    ``value`` (the scenario's own, which its grid holds exactly): its ends are the grid's, its step
    the grid's, so that every position is a grid row.

    >>> c = slider("notice_p", "Monthly probability ", [0.0, 0.005, 0.01], 0.005)
    >>> c.param.param.value, c.index
    (0.005, 'clamp(round((notice_p - 0) / 0.005), 0, 2)')
    """
    values = [float(v) for v in values]
    step = values[1] - values[0] if len(values) > 1 else 1.0
    start = _nearest(values, value)
    param = alt.param(name=name, value=start, bind=alt.binding_range(min=values[0], max=values[-1], step=step, name=label))
    return Control(param, tuple(values), f"clamp(round(({name} - {values[0]:.12g}) / {step:.12g}), 0, {len(values) - 1})")


def menu(name: str, label: str, values: Sequence[Any], labels: Sequence[str] | None, value: Any) -> Control:
    """A menu of ``values`` (shown as ``labels``), opening on the one nearest ``value``. Its index
    expression for numbers compares the value with the midpoints between neighbours (no float is
    compared for equality).

    >>> c = menu("m_price", "Price ", [3.2, 4.2, 5.2], ["$3.20", "$4.20", "$5.20"], 4.2000000001)
    >>> c.param.param.value, c.index
    (4.2, '(m_price < 3.7 ? 0 : m_price < 4.7 ? 1 : 2)')
    >>> menu("start", "Start ", ["Mar 2026", "Apr 2026"], None, "Apr 2026").index
    'indexof(["Mar 2026", "Apr 2026"], start)'
    """
    values = list(values)
    start = _nearest(values, value)
    bind = alt.binding_select(options=values, labels=list(labels), name=label) if labels is not None else \
        alt.binding_select(options=values, name=label)
    param = alt.param(name=name, value=start, bind=bind)
    if all(isinstance(v, str) for v in values):
        index = f"indexof({json.dumps(values, ensure_ascii=False)}, {name})"
    else:
        nums = [float(v) for v in values]
        if sorted(nums) != nums:
            raise ValueError(f"a menu's numeric options go in increasing order: {nums}")
        cuts = [(a + b) / 2 for a, b in zip(nums, nums[1:])]
        index = "(" + "".join(f"{name} < {c:.12g} ? {i} : " for i, c in enumerate(cuts)) + f"{len(nums) - 1})"
    return Control(param, tuple(values), index)


def selected(controls: Sequence[Control], fields: Sequence[str]) -> str:
    """A Vega filter for the grid rows at the controls' positions: each of ``fields`` (a column
    of positions, :meth:`Control.positions`) equals its control's index.

    >>> c = menu("r", "Reading ", [0, 1], ["a", "b"], 0)
    >>> selected([c], ["r_at"])
    'datum.r_at == (r < 0.5 ? 0 : 1)'
    """
    return " && ".join(f"datum.{f} == {c.index}" for c, f in zip(controls, fields))


TITLE_WIDTH = "max(width, containerSize()[0] - 12)"
"""The width a title wraps to: the chart's or its container's, whichever is wider (the title starts
at the chart's left edge), as the report wraps a fixed title (``neocloud.pipeline.vega.responsive``)."""
TITLE_LINE_PX = 18
"""Line height of a title that follows the controls (15 px type), in pixels."""
TITLE_OFFSET_PX = 10
"""Room between a title and its chart (the theme's ``title.offset``), in pixels."""
MIN_TITLE_CHARS = 12
"""A title line holds at least this many characters, however narrow the chart (as :func:`wrapped_text_expr`)."""


def wrapped_lines(text: str, chars: int) -> list[str]:
    """``text`` wrapped as the page wraps a title (:func:`wrapped_text_expr`: at spaces, into lines
    of at most ``chars`` characters; a longer word stays whole), in Python.

    >>> wrapped_lines("At a 5.0% chance of notice a month, the expected revenue is $25.11B", 30)
    ['At a 5.0% chance of notice a', 'month, the expected revenue is', '$25.11B']
    """
    return re.sub(r"\n$", "", re.sub("(.{1,%d})\\s+" % chars, "\\1\n", text + " ")).split("\n")


def most_title_lines(titles: Sequence[str]) -> list[int]:
    """The most lines any of ``titles`` wraps to (:func:`wrapped_lines`) at each line length from
    :data:`MIN_TITLE_CHARS` characters to the longest title's (beyond it, every title is one line).

    >>> most_title_lines(["Floor $6.17B at the earliest", "Floor $2.50B"])   # 12 to 28 characters a line
    [3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1]
    """
    longest = max([MIN_TITLE_CHARS, *(len(t) for t in titles)])
    return [max(len(wrapped_lines(t, chars)) for t in titles) for chars in range(MIN_TITLE_CHARS, longest + 1)]


def _flat(titles: Any) -> list[str]:
    return [t for row in titles for t in _flat(row)] if isinstance(titles, list) else [str(titles)]


def following_title(titles: Any, controls: Sequence[Control], lead: str | None, sources: Sequence[str], note: str) -> alt.TitleParams:
    """A title drawn from the grid row the controls select: ``titles`` is the ``title`` column of
    the grid as nested lists, one level per control (``titles[i][j]`` for the i-th value of the
    first control and the j-th of the second), picked by the controls' indexes and wrapped to the
    chart's width. The subtitle: ``lead`` (words that hold at every setting of the controls), the
    ``note`` on the controls and the sources.

    The title keeps one height at every setting of the controls: its room above the chart is that
    of the grid's title that wraps to the most lines at the chart's width (:func:`most_title_lines`),
    a shorter title leaving the rest as space between its subtitle and the chart (``offset``). So
    the chart does not move or change height when a control changes how many lines its title
    takes (Vega lays the chart out again then, and the plot jumped by a line under the reader's
    hand, most on a phone), and no title is ever taller than the room laid out for it.

    >>> c = menu("r", "Reading ", [0, 1], ["a", "b"], 0)
    >>> t = following_title(["Floor $6.17B", "Floor $2.50B"], [c], None, ["S-1"], "Move it").to_dict()
    >>> t["text"]["expr"].startswith('split(replace(replace(["Floor $6.17B", "Floor $2.50B"][(r < 0.5 ? 0 : 1)]')
    True
    >>> t["subtitle"], t["lineHeight"], t["offset"]["expr"].startswith("10 + 18 * ([1][min(max(12, floor((max(width, ")
    (['Move it', 'Sources: S-1'], 18, True)
    """
    picked = json.dumps(titles, ensure_ascii=False) + "".join(f"[{c.index}]" for c in controls)
    text = wrapped_text_expr(picked, TITLE_WIDTH, TITLE_CHAR_PX)
    most = most_title_lines(_flat(titles))
    chars = f"max({MIN_TITLE_CHARS}, floor(({TITLE_WIDTH}) / {TITLE_CHAR_PX:g}))"
    offset = (f"{TITLE_OFFSET_PX} + {TITLE_LINE_PX} * ({json.dumps(most)}[min({chars}, {MIN_TITLE_CHARS + len(most) - 1}) - "
              f"{MIN_TITLE_CHARS}] - length({text}))")
    subtitle = [*([lead] if lead else []), note, *(["Sources: " + "; ".join(sources)] if sources else [])]
    return alt.TitleParams(text=alt.ExprRef(expr=text), subtitle=subtitle, lineHeight=TITLE_LINE_PX,
                           offset=alt.ExprRef(expr=offset))


def with_controls(titles: Any, controls: Sequence[Control], lead: str | None, sources: Sequence[str], note: str) -> dict[str, Any]:
    """Chart properties of a chart with ``controls``: the size of :data:`~neocloud.report.charts.theme.FIT`,
    the title that follows the controls (:func:`following_title`), and in ``usermeta.title`` its
    words where the controls open (for an export that cannot draw the chart and names it instead).

    >>> c = menu("r", "Reading ", [0, 1], ["a", "b"], 1)
    >>> with_controls(["Floor $6.17B", "Floor $2.50B"], [c], None, [], "Move it")["usermeta"]
    {'width': 'container', 'title': 'Floor $2.50B'}
    """
    opening = titles
    for c in controls:
        opening = opening[c.values.index(c.param.param.value)]
    return {**FIT, "usermeta": {**FIT["usermeta"], "title": opening},
            "title": following_title(titles, controls, lead, sources, note)}


def pct_text(x: float) -> str:
    """A fraction as a percentage with no needless digits.

    >>> pct_text(0.005), pct_text(0.05)
    ('0.5%', '5%')
    """
    return f"{x * 100:g}%"
