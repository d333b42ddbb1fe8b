"""Titles that a control changes stay whole on a phone and on a desktop (issue 21), in a real
browser: for every control of every report of the base case and of another scenario, moved
through every position it has (each option of a menu, each step of a slider), at 390 px and
1,440 px, the chart's title (the grid row's words, wrapped to the chart's width) starts inside the
chart, ends above the plot and its marks, and the plot (its axes' frame) does not move: its room for the title is laid out for the
grid's longest title at that width (``neocloud.report.charts.controls.following_title``).

Like every browser test, this fails (never skips) when Debian's Chromium is missing.
"""

from __future__ import annotations


import pytest

import neocloud as nc
from conftest import ROOT
from browser_session import TITLE, browser, charts_drawn  # noqa: F401  (the browser fixture: fails when Chromium is missing)
from test_explorable import Grids

pytestmark = pytest.mark.browser

SCENARIOS = ("base", "original_s1")
"""The base case and another reading of its terms (other readings, another earliest notice)."""
WIDTHS = (390, 1440)

GEOMETRY = """i => {
  const el = document.querySelectorAll('.nc-chart')[i], svg = el.querySelector('svg'), box = svg.getBoundingClientRect();
  const title = svg.querySelector('g.role-title'), text = svg.querySelector('g.role-title-text');
  const t = title.getBoundingClientRect();
  const marks = [...svg.querySelectorAll('g.role-axis, g.mark-rect, g.mark-line, g.mark-rule, g.mark-area, g.mark-symbol, g.mark-text')]
    .filter(g => !title.contains(g)).map(g => g.getBoundingClientRect()).filter(r => r.height > 0 || r.width > 0);
  const frame = [...svg.querySelectorAll('g.role-axis-grid, g.role-axis-domain')].map(g => g.getBoundingClientRect())
    .filter(r => r.height > 0 || r.width > 0);
  const lines = [...text.querySelectorAll('tspan')].length || text.querySelectorAll('text').length;
  return {lines, top: t.top - box.top, bottom: t.bottom - box.top, left: t.left - box.left, right: t.right - box.left,
          width: box.width, marks: Math.min(...marks.map(r => r.top)) - box.top, plot: Math.min(...frame.map(r => r.top)) - box.top,
          screen: document.documentElement.clientWidth, chartRight: box.right};
}"""


CONTROLS = """() => [...document.querySelectorAll('.nc-chart')].flatMap((el, chart) =>
  [...el.querySelectorAll('.vega-bindings input[type=range], .vega-bindings select')].map(c => ({
    chart, name: c.name, kind: c.tagName === 'SELECT' ? 'menu' : 'slider', value: c.value,
    options: c.tagName === 'SELECT' ? [...c.options].map(o => o.value) : null,
    min: +c.min, max: +c.max, step: +c.step})))"""
"""Every control of the page: its chart, name, kind, opening value, and its options or range."""


def _titled(page, chart: int, expected: str, after: str) -> None:
    """Wait until the chart's title reads ``expected`` (Vega redraws asynchronously after an input event)."""
    try:
        page.wait_for_function(f"([i, e]) => ({TITLE})(i) === e", arg=[chart, expected], timeout=10_000)
    except Exception:
        raise AssertionError(f"after {after} the title reads {page.evaluate(TITLE, chart)!r}, "
                             f"not the grid row's {expected!r}") from None


def _set(page, name: str, value: str) -> str:
    """Move the control ``name`` to ``value`` as a reader does (an input or change event); returns
    the value the control then holds."""
    return page.eval_on_selector(f".vega-bindings [name={name}]", "(el, v) => { el.value = v;"
                                 " el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', {bubbles: true}));"
                                 " return el.value; }", value)


def _positions(control: dict) -> list[str]:
    """Every position of a control: each option of a menu, each step of a slider (ends included),
    then its opening value again."""
    if control["kind"] == "menu":
        return [*control["options"], control["value"]]
    lo, hi, step = control["min"], control["max"], control["step"]
    n = int(round((hi - lo) / step))
    return [repr(round(lo + k * step, 10)) for k in range(n + 1)] + [control["value"]]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_title_a_control_changes_stays_whole_and_the_chart_stays_put(rendered, browser, scenario, width):  # noqa: F811
    grids = Grids(nc.load_scenario(ROOT / f"params/{scenario}.yaml"))
    pages = sorted((rendered / scenario).glob("*.html"))
    assert pages, f"no report of {scenario} rendered"
    moved = 0
    # one tab goes from report to report, as a reader does (browser_session.Tab)
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        for path in pages:
            page.goto("about:blank")
            errors.clear()
            page.goto(path.resolve().as_uri())
            charts_drawn(page)
            controls = page.evaluate(CONTROLS)
            for chart in sorted({c["chart"] for c in controls}):
                mine = [c for c in controls if c["chart"] == chart]
                values = {c["name"]: c["value"] for c in mine}
                _titled(page, chart, grids.row(values)[0], "loading")
                opened = page.evaluate(GEOMETRY, chart)
                for c, value in [(None, None)] + [(c, value) for c in mine for value in _positions(c)]:
                    if c is None:   # as the page opens
                        where, g = f"{scenario}/{path.name} at {width} px, as it opens", opened
                    else:
                        values[c["name"]] = _set(page, c["name"], value)
                        where = f"{scenario}/{path.name} at {width} px, {c['name']} = {value}"
                        _titled(page, chart, grids.row(values)[0], where)   # drawn: the grid row's words
                        g = page.evaluate(GEOMETRY, chart)
                        moved += 1
                    # whole: inside the chart and the screen, above the plot, never over it
                    assert g["top"] >= -0.5 and g["left"] >= -0.5, f"{where}: the title is cut at the top or left: {g}"
                    assert g["right"] <= g["width"] + 0.5 and g["chartRight"] <= g["screen"] + 0.5, \
                        f"{where}: the title runs past the chart or the screen: {g}"
                    assert g["bottom"] <= min(g["plot"], g["marks"]) + 0.5, f"{where}: the title runs into the plot: {g}"
                    # the chart stays put: its title's room is the same at every position
                    assert abs(g["plot"] - opened["plot"]) < 0.5 and abs(g["top"] - opened["top"]) < 0.5, \
                        f"{where}: the plot moved from {opened['plot']} to {g['plot']} px (title {opened['lines']} -> {g['lines']} lines)"
            assert not errors, (path.name, errors)
    finally:
        context.close()
    assert moved > 0, f"no control in the reports of {scenario}"
