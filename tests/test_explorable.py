"""Explorable reports in a real browser: controls show the library's figures, nothing overlaps or
is cut, pages fit a phone and a desktop, and print keeps charts whole.

Like every browser test, these fail (never skip) when Debian's Chromium is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import neocloud as nc
from conftest import ROOT
from neocloud.model.deal import committed_floor, total_contract_value
from neocloud.report.narrative import pct, usd
from test_browser import Visit, browser, charts_drawn  # noqa: F401  (the browser fixture)

pytestmark = pytest.mark.browser

OVERLAPS = (Path(__file__).parent / "overlaps.js").read_text(encoding="utf-8")


CONTROLS = """() => [...document.querySelectorAll('.nc-chart')].flatMap((el, chart) =>
  [...el.querySelectorAll('.vega-bindings input[type=range], .vega-bindings select')].map(c => ({
    chart, name: c.name, kind: c.tagName === 'SELECT' ? 'menu' : 'slider', value: c.value,
    label: c.tagName === 'SELECT' ? c.options[c.selectedIndex].text : null,
    options: c.tagName === 'SELECT' ? [...c.options].map(o => o.value) : null,
    min: +c.min, max: +c.max, step: +c.step})))"""

TITLE = """i => [...document.querySelectorAll('.nc-chart')[i].querySelectorAll('svg g.role-title-text text')]
  .map(t => t.querySelectorAll('tspan').length ? [...t.querySelectorAll('tspan')].map(s => s.textContent).join(' ') : t.textContent)
  .join(' ')"""


def _title(page, chart: int) -> str:
    """The chart's title as drawn (SVG text; its wrapped lines joined by spaces)."""
    return page.evaluate(TITLE, chart)


def _titled(page, chart: int, expected: str, after: str) -> None:
    """Wait until the chart's title reads ``expected`` (Vega redraws asynchronously after an input event)."""
    try:
        page.wait_for_function(f"([i, e]) => ({TITLE})(i) === e", arg=[chart, expected], timeout=10_000)
    except Exception:
        raise AssertionError(f"after {after} the title reads {_title(page, chart)!r}, not the grid row's {expected!r}") from None


def _set(page, name: str, value: str) -> str:
    """Move the control ``name`` to ``value`` as a reader does (an input or change event); returns
    the value the control then holds."""
    return page.eval_on_selector(f".vega-bindings [name={name}]", "(el, v) => { el.value = v;"
                                 " el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', {bubbles: true}));"
                                 " return el.value; }", value)


class Grids:
    """What each control drives, from the library: the grid row at the controls' values (its
    ``title`` is what the chart's title must read), the scenario's own value of each control, and
    the figure the report's words state for the scenario, which the title at the scenario's values
    must show."""

    def __init__(self, sc):
        self.sc, self.fig = sc, nc.headline_figures(sc)
        self.probability = nc.probability_grid(sc)
        self.lines, self.floors = nc.readings_grid(sc)
        self.market, _ = nc.market_grid(sc, computed=self.fig.market_exit_result)
        self.ramp = nc.ramp_grid(sc)
        m, t = nc.scenario_market(sc), sc.deal
        self.own = {"notice_p": sc.termination.monthly_notice_probability.value, "reading": 0,
                    "m_price": m.price_usd_per_h100e_hour, "m_drift": m.drift_per_year,
                    "ramp_d": t.ramp_discount, "ramp_start": f"{t.start:%b %Y}"}
        # the market report's notice calendar at the scenario's reporting date, as the notebook draws it
        from neocloud.model.ledger import ALL_SELLERS, notice_calendar, notice_calendar_grid
        from neocloud.report.market_words import calendar_readout

        calendar = notice_calendar(nc.load_ledger(), sc.as_of.value, 12)
        self.calendar = notice_calendar_grid(calendar, sc.as_of.value, (3, 6, 12))
        self.own |= {"cal_horizon": 12, "cal_seller": ALL_SELLERS}
        self.readout = calendar_readout
        mx = self.fig["market_exit"]
        self.stated = {"notice_p": [usd(self.fig["expected_revenue_usd"])], "reading": [usd(self.fig["committed_floor_usd"])],
                       "m_price": [usd(mx["expected_revenue_usd"]), f"buyer walks on {pct(mx['buyer_notice_share'], 0)}"],
                       "ramp_d": [usd(self.fig["total_contract_value_usd"])], "cal_horizon": []}

    CHARTS = ({"notice_p"}, {"reading"}, {"m_price", "m_drift"}, {"ramp_d", "ramp_start"}, {"cal_horizon", "cal_seller"})

    def row(self, values: dict[str, str]) -> "tuple[str, list[str]]":
        """The title of the grid row at ``values`` (control name -> value as the input holds it),
        and figures the library computes afresh for that setting, which the title must show."""
        sc = self.sc
        if "notice_p" in values:
            p = float(values["notice_p"])
            g = self.probability.iloc[[(self.probability.probability - p).abs().argmin()]]
            return g.title.iloc[0], [usd(nc.expected_revenue(sc.deal, float(g.probability.iloc[0])))]
        if "reading" in values:
            f = self.floors.iloc[int(values["reading"])]
            return f.title, [usd(committed_floor(nc.reading_terms(sc, f.id)))]
        if "m_price" in values:
            price, drift = float(values["m_price"]), float(values["m_drift"])
            g = self.market[((self.market.price - price).abs() < 1e-9) & ((self.market.drift - drift).abs() < 1e-9)]
            r = nc.rational_exit(sc, nc.MarketModel(price, drift, nc.scenario_market(sc).volatility_per_year))
            return g.title.iloc[0], [usd(r.expected_revenue_usd), f"buyer walks on {pct(r.notice_probability.buyer.sum(), 0)}"]
        if "cal_horizon" in values:   # the windows and fees of the ledger's grid row, recomputed by the library
            g = self.calendar[(self.calendar.horizon_months == int(float(values["cal_horizon"])))
                              & (self.calendar.seller == values["cal_seller"])]
            return self.readout(g.iloc[0]), [usd(float(g.at_stake_usd.iloc[0]))] if "at_stake_usd" in g else []
        t, d = sc.deal, float(values["ramp_d"])
        g = self.ramp[(self.ramp.start_label == values["ramp_start"]) & ((self.ramp.ramp_discount - d).abs() < 1e-9)]
        total = total_contract_value(nc.DealTerms(t.monthly_fee_usd, g.start.iloc[0], t.end, t.ramp_months, d, t.notice_days,
                                                  t.lockup_months, t.capacity_mw))
        return g.title.iloc[0], [usd(total)]


def _moves(control: dict) -> list[str]:
    """Values to move a control to: every option of a menu; a slider's ends, a point between and
    its start again."""
    if control["kind"] == "menu":
        return [o for o in control["options"] if o != control["value"]] + [control["value"]]
    lo, hi, step = control["min"], control["max"], control["step"]
    mid = lo + step * round((hi - lo) / step * 0.37)
    return [repr(lo), repr(hi), repr(round(mid, 10)), control["value"]]


def test_every_control_opens_on_the_scenario_and_the_title_follows_it(rendered, browser):  # noqa: F811
    """For each control of each base report: on load it holds the scenario's own value, its
    chart's title is the grid row there and states the figure the report's words state; moved to
    every other option (or a slider's ends and a point between), the title reads the grid row at
    the new setting, with the figures the library computes for it; the controls sit above the
    chart they drive."""
    grids = Grids(nc.load_scenario(ROOT / "params/base.yaml"))
    found: list[set[str]] = []
    for path in sorted((rendered / "base").glob("*.html")):
        v = Visit(browser, path)
        try:
            charts_drawn(v.page)
            controls = v.page.evaluate(CONTROLS)
            for chart in sorted({c["chart"] for c in controls}):
                mine = [c for c in controls if c["chart"] == chart]
                names = {c["name"] for c in mine}
                found.append(names)
                assert names in Grids.CHARTS, f"{path.name}: controls {names} with no test of what they drive"
                where = f"{path.name}, chart {chart}"
                # (a) on load: the scenario's own value, exactly
                for c in mine:
                    own = grids.own[c["name"]]
                    held = c["value"] if isinstance(own, str) else float(c["value"])
                    assert held == own or (not isinstance(own, str) and abs(held - own) < 1e-12), \
                        f"{where}: {c['name']} opens on {c['value']} ({c['label']}), the scenario's is {own}"
                values = {c["name"]: c["value"] for c in mine}
                title, figures = grids.row(values)
                _titled(v.page, chart, title, "loading")
                for stated in grids.stated.get(sorted(names & grids.stated.keys())[0], []) + figures:
                    assert stated in title, f"{where}: the title at the scenario's values {title!r} does not state {stated}"
                # (b) moved: the title is the grid row at the new setting
                for c in mine:
                    for value in _moves(c):
                        values[c["name"]] = _set(v.page, c["name"], value)
                        title, figures = grids.row(values)
                        _titled(v.page, chart, title, f"moving {c['name']} to {value}")
                        assert all(f in title for f in figures), (where, title, figures)
                # (c) the controls sit above the chart they drive, below the words before it
                above = v.page.evaluate("i => { const el = document.querySelectorAll('.nc-chart')[i];"
                                        " return el.querySelector('.vega-bindings').getBoundingClientRect().bottom"
                                        " <= el.querySelector('svg').getBoundingClientRect().top + 0.5; }", chart)
                assert above, f"{where}: the controls are not above their chart"
            assert not v.errors and not v.requests, (path.name, v.errors, v.requests)
        finally:
            v.close()
    assert sorted(map(sorted, found)) == sorted(map(sorted, Grids.CHARTS)), f"controls found: {found}"


def test_no_label_overlaps_or_is_cut_in_any_chart(rendered, browser):  # noqa: F811
    problems = []
    for path in sorted(rendered.glob("*/*.html")):
        v = Visit(browser, path)
        try:
            charts_drawn(v.page)
            problems += [(path.relative_to(rendered).as_posix(), p) for p in v.page.evaluate(OVERLAPS)]
        finally:
            v.close()
    assert not problems, problems[:20]


@pytest.mark.parametrize("width", [390, 1440])
def test_pages_fit_a_phone_and_a_desktop(rendered, browser, width):  # noqa: F811
    pages = [rendered / "index.html", *sorted((rendered / "base").glob("*.html"))]
    for path in pages:
        context = browser.new_context(viewport={"width": width, "height": 900})
        try:
            page = context.new_page()
            page.goto(path.resolve().as_uri())
            if path.name != "index.html":
                charts_drawn(page)
            page_width = page.evaluate("() => document.documentElement.scrollWidth")
            assert page_width <= width, f"{path.name} at {width} px: the page scrolls sideways ({page_width} px)"
            # what is wider than the screen scrolls inside its own box
            wide = page.evaluate("w => [...document.querySelectorAll('table, .nc-chart-wrap')].filter(e =>"
                                 " e.getBoundingClientRect().right > w + 1).map(e => e.tagName)", width)
            assert not wide, (path.name, width, wide)
        finally:
            context.close()


def test_print_keeps_every_chart_whole(rendered, browser, tmp_path):  # noqa: F811
    for path in sorted((rendered / "base").glob("*.html")):
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        try:
            page = context.new_page()
            page.goto(path.resolve().as_uri())
            charts_drawn(page)
            page.emulate_media(media="print")
            # A4 at 96 dpi less 10 mm margins each side: 718 x 1047 px
            page.set_viewport_size({"width": 718, "height": 1047})
            sizes = page.evaluate("() => [...document.querySelectorAll('.nc-chart svg')].map(s => {"
                                  " const r = s.getBoundingClientRect(); return [r.width, r.height]; })")
            assert sizes and all(w <= 718.5 and h <= 1047 for w, h in sizes), (path.name, sizes)
            avoid = page.evaluate("() => [...document.querySelectorAll('.nc-chart-wrap')].every(e =>"
                                  " getComputedStyle(e).breakInside === 'avoid')")
            assert avoid, path.name
            pdf = tmp_path / f"{path.stem}.pdf"
            page.pdf(path=str(pdf), format="A4", margin={"top": "10mm", "bottom": "10mm", "left": "10mm", "right": "10mm"})
            assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
        finally:
            context.close()
