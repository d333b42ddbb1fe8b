"""Explorable reports in a real browser: controls show the library's figures, nothing overlaps or
is cut, pages fit a phone and a desktop, and print keeps charts whole.

Like every browser test, these fail (never skip) when Debian's Chromium is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import neocloud as nc
from conftest import ROOT
from neocloud.deal import add_months, committed_floor, total_contract_value
from neocloud.narrative import day, pct, usd
from test_browser import Visit, browser, charts_drawn  # noqa: F401  (the browser fixture)

pytestmark = pytest.mark.browser

OVERLAPS = (Path(__file__).parent / "overlaps.js").read_text(encoding="utf-8")


def _texts(page, prefix: str) -> list[str]:
    return page.evaluate("p => [...document.querySelectorAll('.nc-chart svg text')].map(t => t.textContent)"
                         ".filter(t => t.startsWith(p))", prefix)


def _shows(page, expected: str, prefix: str) -> None:
    """Wait until a chart states ``expected`` (Vega redraws asynchronously after an input event)."""
    try:
        page.wait_for_function("e => [...document.querySelectorAll('.nc-chart svg text')].some(t => t.textContent === e)",
                               arg=expected, timeout=10_000)
    except Exception:
        raise AssertionError(f"the page does not show {expected!r}; it shows {_texts(page, prefix)}") from None


def _slide(page, name: str, value: float) -> None:
    page.eval_on_selector(f"input[name={name}]", "(el, v) => { el.value = String(v);"
                          " el.dispatchEvent(new Event('input', {bubbles: true})); }", value)


def _pick(page, name: str, index: int) -> None:
    page.eval_on_selector(f"select[name={name}]", "(el, i) => { el.selectedIndex = i;"
                          " el.dispatchEvent(new Event('change', {bubbles: true})); }", index)


def test_termination_controls_show_the_library_figures(rendered, browser):  # noqa: F811
    sc = nc.load_scenario(ROOT / "params/base.yaml")
    v = Visit(browser, rendered / "base" / "termination.html")
    try:
        charts_drawn(v.page)
        # defaults: the scenario's own values
        p0 = sc.termination.monthly_notice_probability.value
        _shows(v.page, f"At {pct(p0)} a month: {usd(nc.expected_revenue(sc.deal, p0))} expected", "At ")
        for p in (0.0, 0.02, 0.115, 0.3):
            _slide(v.page, "notice_p", p)
            _shows(v.page, f"At {pct(p)} a month: {usd(nc.expected_revenue(sc.deal, p))} expected", "At ")
        labels = ["this scenario"] + [r.id for r in sc.termination_readings]
        for i, label in enumerate(labels):
            t = nc.reading_terms(sc, label)
            _pick(v.page, "reading", i)
            _shows(v.page, f"Notice from {day(t.earliest_notice_date)}: committed floor {usd(committed_floor(t))}", "Notice from")
        m = nc.scenario_market(sc)
        prices = [round(m.price_usd_per_h100e_hour + k, 10) for k in range(-3, 4)]
        drifts = [round(m.drift_per_year + 0.1 * k, 10) for k in range(-1, 2)]
        for pi, di in ((3, 1), (0, 0), (6, 2), (5, 0)):
            _pick(v.page, "m_price", pi)
            _pick(v.page, "m_drift", di)
            r = nc.rational_exit(sc, nc.MarketModel(prices[pi], drifts[di], m.volatility_per_year))
            implied = nc.implied_monthly_probability(sc, r.expected_revenue_usd)
            _shows(v.page, f"Expected revenue {usd(r.expected_revenue_usd)}; the hazard model's equivalent: {pct(implied)} a month",
                   "Expected revenue ")
        assert not v.errors and not v.requests, (v.errors, v.requests)
    finally:
        v.close()


def test_deal_controls_show_the_library_figures(rendered, browser):  # noqa: F811
    sc = nc.load_scenario(ROOT / "params/base.yaml")
    t = sc.deal
    v = Visit(browser, rendered / "base" / "deal.html")
    try:
        charts_drawn(v.page)
        _shows(v.page, f"Total {usd(total_contract_value(t))}: fits every reported total (2 of 2)", "Total ")
        starts = [add_months(t.start, k) for k in range(-2, 3)]
        for si, d in ((2, 0.0), (2, 1.0), (0, 0.35), (4, 0.8)):
            _pick(v.page, "ramp_start", si)
            _slide(v.page, "ramp_d", d)
            total = total_contract_value(nc.DealTerms(t.monthly_fee_usd, starts[si], t.end, t.ramp_months, d, t.notice_days,
                                                      t.lockup_months, t.capacity_mw))
            row = nc.ramp_grid(sc)
            label = row[(row.start == starts[si]) & ((row.ramp_discount - d).abs() < 1e-9)].label.iloc[0]
            assert label.startswith(f"Total {usd(total)}: ")
            _shows(v.page, label, "Total ")
        assert not v.errors and not v.requests, (v.errors, v.requests)
    finally:
        v.close()


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
