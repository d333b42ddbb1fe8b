"""Rendered reports in a real browser (Debian's Chromium), with every network request blocked.

Each rendered page is opened once at 390 px and once at 1,440 px by the shared visits of
``browser_session``; these tests assert on what the visits saw. These tests fail, never skip, when
Chromium is missing: `.ci/run` installs it.
"""

from __future__ import annotations

import pytest
import yaml

from browser_session import CHROMIUM, FLAGS, Tab, browser, charts_drawn, survey  # noqa: F401  (the fixtures)
from test_hostile_text import PAYLOAD, hostile_render  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


def test_every_report_draws_offline_with_tooltips(rendered, survey):
    """Every report of every scenario, at 390 and 1,440 px: every chart draws marks, a bar shows
    its tooltip when hovered, the console stays silent and nothing is fetched from the network."""
    pages = sorted(p.relative_to(rendered).as_posix() for p in rendered.glob("*/*.html"))
    assert len(pages) >= 12
    for page, width, visit in survey.each(pages):
        where = f"{page} at {width} px"
        marks = visit["marks"]
        assert marks and all(n > 0 for n in marks), (where, marks)
        assert visit["tooltip"] is not None, f"{where}: no bar with a visible size to hover"
        assert visit["tooltip"], (where, "no tooltip shown on hover", visit.get("tooltip_error"))
        assert not visit["errors"], (where, visit["errors"])
        assert not visit["requests"], (where, visit["requests"])


def test_index_opens_offline_and_links_resolve(rendered, survey):
    for width in (390, 1440):
        visit = survey.get("index.html", width)
        hrefs = visit["links"]
        assert len(hrefs) >= 12 and all((rendered / h).is_file() for h in hrefs), hrefs
        assert not visit["errors"] and not visit["requests"], (width, visit["errors"], visit["requests"])


def test_hostile_scenario_text_shows_as_text(hostile_render, browser):  # noqa: F811
    """The hostile scenario (tests/test_hostile_text.py: the payload of markup, a javascript: link,
    emphasis and a dollar sign in every text field, and in the data files) shows its title, deal
    name and question as the text they are, in every report and the index: no element of the
    payload made live, no dialog, a silent console."""
    out, _, _ = hostile_render
    data = yaml.safe_load((out.parent / "hostile.yaml").read_text(encoding="utf-8"))
    title, deal_name, question = data["title"], data["deal_name"], data["question"]
    assert all(PAYLOAD in t for t in (title, deal_name, question)), (title, deal_name, question)
    pages = [*sorted(out.glob("hostile/*.html")), out / "index.html"]
    assert len(pages) >= 4, pages
    v = Tab(browser, 1100)  # one tab from page to page
    try:
        for path in pages:
            v.goto(path)
            if path.name != "index.html":
                charts_drawn(v.page)
            text = v.page.inner_text("body")
            assert title in text, (path, title)
            if path.name != "index.html":  # the index shows titles and questions, not deal names
                assert deal_name in text, (path, deal_name)
            if path.name in ("index.html", "deal.html"):  # the pages that state the question
                assert question in text, (path, question)
            assert v.page.locator("main img, main iframe, main b").count() == 0, path
            assert not v.dialogs, (path, v.dialogs)
            assert not v.errors, (path, v.errors)
    finally:
        v.close()
