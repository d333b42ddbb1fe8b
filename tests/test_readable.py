"""Reports a person reads, checked in a real browser (Debian's Chromium) on a 390 px phone and a
1,440 px desktop, over every report of every scenario and the index (issue 21):

- every Markdown cell and heading shows, and no code does;
- no number, date or amount breaks inside itself (its text's line boxes, Range.getClientRects);
- every chart fits its box and the screen, its title and subtitle whole, its axes without two
  tick labels that read the same;
- every control (slider, menu) is on the screen and big enough to use;
- the index shows every scenario's figures and links without sideways scrolling, side by side on
  a desktop, with the figures that differ from the base case marked.

Each page is opened once at each width by the shared visits of ``browser_session`` (one browser
per test process, every measurement taken in that one visit); these tests assert on what the
visits measured, and the checks themselves are tried on pages made to break them.

Like every browser test, these fail (never skip) when Chromium is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from browser_session import (BROKEN_FIGURES, CHARTS, CONTROLS, FIGURE_PATTERN, HIDDEN_WORDS,  # noqa: F401
                             LAYOUT, WIDTHS, Visit, browser, survey)  # (the fixtures)
pytestmark = pytest.mark.browser


def report_problems(visit: dict, width: int) -> list:
    """Every problem a reader at ``width`` px meets in a report (or a sources page), from its visit
    (:func:`browser_session.visit_page`)."""
    problems: list = [*visit["hidden"]]
    problems += [f"broken figure: {b}" for b in visit["broken"]]
    problems += visit["charts"]
    problems += visit["controls"]
    scroll = visit["fit"]["scroll"]
    if scroll > width:
        problems.append(f"the page scrolls sideways ({scroll} px)")
    problems += visit["errors"]
    return problems


def index_problems(visit: dict, width: int) -> list:
    """Every problem a reader at ``width`` px meets in the index, from its visit."""
    problems: list = [f"broken figure: {b}" for b in visit["broken"]]
    scroll = visit["fit"]["scroll"]
    if scroll > width:
        problems.append(f"the index scrolls sideways ({scroll} px)")
    cards = visit["cards"]
    if not cards:
        problems.append("no scenario cards")
    for c in cards:
        if c["right"] > width + 1 or c["left"] < -1:
            problems.append(f"{c['id']}: the card runs off the screen")
        if not c["links"] or not c["linksOnScreen"]:
            problems.append(f"{c['id']}: its report links are missing or off the screen")
        if not c["figures"] or not c["figuresOnScreen"]:
            problems.append(f"{c['id']}: its figures are missing or off the screen")
    if width >= 1000 and len({c["top"] for c in cards}) == len(cards) > 1:
        problems.append("on a desktop the scenarios are not side by side")
    base = [c for c in cards if c["id"] == "scenario-base"]
    if base and base[0]["differs"]:
        problems.append("the base case is marked as differing from itself")
    problems += visit["errors"]
    return problems


def _pages(rendered: Path, pattern: str) -> list[str]:
    return sorted(p.relative_to(rendered).as_posix() for p in rendered.glob(pattern))


@pytest.mark.parametrize("width", WIDTHS)
def test_every_report_reads_on_a_phone_and_a_desktop(rendered, survey, width):
    pages = _pages(rendered, "*/*.html")
    assert len(pages) >= 12
    problems = []
    for page, _, visit in survey.each(pages, [width]):
        problems += [(page, p) for p in report_problems(visit, width)]
    assert not problems, problems[:30]


@pytest.mark.parametrize("width", WIDTHS)
def test_index_shows_every_scenario_on_a_phone_and_a_desktop(rendered, survey, width):
    problems = index_problems(survey.get("index.html", width), width)
    assert not problems, problems


def test_index_marks_the_figures_that_differ_from_the_base_case(rendered, survey):
    marked = {c["id"].replace("scenario-", ""): c["marked"] for c in survey.get("index.html", 1440)["cards"]}
    assert marked["base"] == []
    # early_exit differs from the base case in its termination terms, not in its monthly fee
    assert "Monthly fee" not in marked["early_exit"]
    assert any(label.startswith("Expected revenue") for label in marked["early_exit"]), marked["early_exit"]
    # no_ramp_discount differs in the ramp
    assert "Ramp: months x discount" in marked["no_ramp_discount"], marked["no_ramp_discount"]


def test_the_checks_find_what_they_look_for(browser, tmp_path):
    """Each check fails on a page that breaks its rule: a number split over lines, a hidden
    Markdown cell, a chart wider than the screen with a cut title and repeated ticks, a control off
    the screen."""
    page_html = """<!DOCTYPE html><html><body><main style="width:390px">
    <div class="jp-Cell jp-MarkdownCell"><div class="jp-InputArea" style="display:none"><h2>Hidden</h2><p>words</p></div></div>
    <table><tr><td style="width:10px; overflow-wrap:anywhere">276,000</td></tr></table>
    <div class="nc-chart"><svg width="900" height="100">
      <g class="role-title"><text x="300" y="20">A title that runs off the screen</text></g>
      <g class="mark-group role-axis"><g class="mark-text role-axis-label"><text x="10" y="60">$2</text><text x="40" y="60">$2</text></g></g>
    </svg></div>
    <div class="vega-bindings"><label><select name="m" style="position:relative; left:500px"><option>a menu of some width</option></select></label></div>
    </main></body></html>"""
    path = tmp_path / "bad.html"
    path.write_text(page_html, encoding="utf-8")
    v = Visit(browser, path, 390)
    page = v.page
    try:
        hidden = page.evaluate(HIDDEN_WORDS)
        assert len(hidden) == 2 and hidden[0].startswith("Markdown cell 0 is hidden") and hidden[1] == "heading hidden: Hidden", hidden
        assert page.evaluate(BROKEN_FIGURES, FIGURE_PATTERN) and "276,000" in page.evaluate(BROKEN_FIGURES, FIGURE_PATTERN)[0]
        kinds = {p["problem"] for p in page.evaluate(CHARTS, 390)}
        assert {"wider than its box", "off the screen", "title cut", "repeated tick label"} <= kinds, kinds
        assert [p["problem"] for p in page.evaluate(CONTROLS, 390)] == ["off the screen"]
    finally:
        v.close()


# ---- The answer first (issue 21, item 6) --------------------------------------------------------

SCENARIO_REPORTS = ("deal", "termination", "ipo_narrative")
"""The reports of a scenario's question (the market report reads the ledger on a date instead)."""

MAX_SCREENS = 9
"""Screens (the 1,440 x 900 viewport's height) a scenario report may take before its appendix."""


def layout_problems(where: str, lay: dict) -> list[str]:
    """What breaks "the answer first" in a report's layout (:data:`LAYOUT`): no Appendix section,
    more than :data:`MAX_SCREENS` screens before it, an answer that does not fit the first screen,
    a chart before the answer."""
    problems = []
    if not lay["appendix"]:
        problems.append(f"{where}: no Appendix section")
    if lay["screens"] > MAX_SCREENS:
        problems.append(f"{where}: {lay['screens']:.1f} screens before its appendix (at most {MAX_SCREENS})")
    if lay["answerBottom"] is None or lay["answerBottom"] > lay["screen"]:
        problems.append(f"{where}: the answer does not fit the first screen (ends at {lay['answerBottom']} px)")
    if lay["chartTop"] is not None and lay["answerBottom"] is not None and lay["chartTop"] < lay["answerBottom"]:
        problems.append(f"{where}: a chart comes before the answer")
    return problems


def test_each_scenario_report_answers_in_its_first_screen_and_is_short_before_its_appendix(rendered, survey):
    import neocloud as nc
    from neocloud.report.narrative import usd
    from neocloud.analysis.summary import contract_price_range

    problems = []
    today = contract_price_range()
    for folder in sorted(p for p in rendered.iterdir() if p.is_dir() and (p / "deal.html").is_file()):
        fig = nc.headline_figures(nc.load_scenario(Path("params") / f"{folder.name}.yaml"))
        for name in SCENARIO_REPORTS:
            where = f"{folder.name}/{name}"
            lay = survey.get(f"{folder.name}/{name}.html", 1440)["layout"]
            problems += layout_problems(where, lay)
            text = lay["answerText"].replace("\u00a0", " ")
            if name == "termination" and fig["market_exit"] and today:
                # the answer starts from today's contract prices, not from the assumed hazard
                if not text.split("\n", 3)[-1].lstrip().startswith("At today's contract prices"):
                    problems.append(f"{where}: the answer does not lead with today's contract prices: {text[:200]!r}")
                if usd(today["low_usd"]) not in text or usd(fig["committed_floor_usd"]) not in text:
                    problems.append(f"{where}: the answer does not state today's prices and the committed floor")
            if name == "ipo_narrative" and "of the backlog in the worst paths" not in text:
                problems.append(f"{where}: the answer does not state how much of the backlog correlated exits take")
            if name == "deal" and usd(fig["total_contract_value_usd"]) not in text:
                problems.append(f"{where}: the answer does not state the full-term value")
    assert not problems, problems


def test_the_market_report_answers_in_its_first_screen_and_is_short_before_its_appendix(rendered, survey):
    """The market report (one per reporting date: ``outputs/<stem>/market.html``, rendered for the
    base scenario) answers its question in its first screen, in the ledger's own figures on that
    date (how much of the headline backlog is enforceable, what can walk within 90 and 365 days,
    the notice windows of the next twelve months), and takes at most nine screens before its
    appendix; its long tables (every contract, every record's sources) are in the appendix."""
    import neocloud as nc
    from neocloud.model.ledger import load_ledger, market_totals, notice_calendar
    from neocloud.report.narrative import pct, usd

    pages = sorted(rendered.glob("*/market.html"))
    assert [p.parent.name for p in pages] == ["base"], pages
    problems = []
    for path in pages:
        where = f"{path.parent.name}/market"
        a = nc.load_scenario(Path("params") / f"{path.parent.name}.yaml").as_of.value
        led = load_ledger()
        total = market_totals(led, a)
        windows = notice_calendar(led, a)
        windows = windows[windows.event == "notice window opens"]
        visit = survey.get(path.relative_to(rendered).as_posix(), 1440)
        lay = visit["layout"]
        problems += layout_problems(where, lay)
        text = lay["answerText"].replace("\u00a0", " ")
        headline, enforceable = total["headline_backlog_usd"], total["enforceable_rpo_usd"]
        wanted = {"the enforceable RPO over the headline backlog":
                      f"{usd(enforceable)} of the {usd(headline)} headline backlog ({pct(enforceable / headline)})",
                  "what can walk within 90 days": f"{usd(total['walkable_90d_usd'])} ({pct(total['walkable_90d_usd'] / headline)})",
                  "what can walk within 365 days": f"{usd(total['walkable_365d_usd'])} ({pct(total['walkable_365d_usd'] / headline)})",
                  "the notice windows of the next twelve months": f"{len(windows)} notice window"}
        problems += [f"{where}: the answer does not state {what} ({figure!r})" for what, figure in wanted.items() if figure not in text]
        after = visit["after_appendix"]
        for long_table in ("Every contract", "Every record's sources"):
            if not any(h.startswith(long_table) for h in after):
                problems.append(f"{where}: {long_table!r} is not in the appendix ({after})")
    assert not problems, problems


def test_the_page_length_check_finds_a_long_report(browser, tmp_path):
    """The layout check measures: a page with its appendix after ten screens, and an answer below
    the first screen, read as such."""
    page_html = ("<!DOCTYPE html><html><body><main><div class='jp-Cell' style='margin-top:1000px'><h1>T</h1><p>answer</p></div>"
                 "<div style='height:9000px'></div><h2>Appendix</h2></main></body></html>")
    path = tmp_path / "long.html"
    path.write_text(page_html, encoding="utf-8")
    v = Visit(browser, path, 1440)
    try:
        lay = v.page.evaluate(LAYOUT)
    finally:
        v.close()
    assert lay["appendix"] and lay["screens"] > MAX_SCREENS and lay["answerBottom"] > lay["screen"], lay


@pytest.mark.parametrize("width", WIDTHS)
def test_every_sources_page_reads_on_a_phone_and_a_desktop(rendered, survey, width):
    pages = _pages(rendered, "*/sources/index.html")
    assert pages, "no sources pages"
    problems = []
    for page, _, visit in survey.each(pages, [width]):
        problems += [(page, p) for p in report_problems(visit, width)]
    assert not problems, problems[:30]
