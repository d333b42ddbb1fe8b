"""Rendered reports in a real browser (Debian's Chromium), with every network request blocked.

Each rendered page is opened once at 390 px and once at 1,440 px by the shared visits of
``browser_session``; these tests assert on what the visits saw. These tests fail, never skip, when
Chromium is missing: `.ci/run` installs it.
"""

from __future__ import annotations

import pytest

from browser_session import CHROMIUM, FLAGS, Visit, browser, charts_drawn, survey  # noqa: F401  (the fixtures)
from conftest import NOTEBOOKS, neocloud_cli
from helpers import copy_scenario

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


def test_hostile_scenario_text_shows_as_text(tmp_path, browser):
    title = "<script>alert(1)</script>"
    question = '"><img src=x onerror=alert(2)> and <b>bold</b> $5 *not italic*'
    params = tmp_path / "params"
    copy_scenario(params, "hostile", **{
        'title: "Base case: the reported terms of the amended S-1"': f"title: '{title}'",
        'deal_name: "xAI (SpaceX) - Anthropic, Colossus 1"': "deal_name: '<iframe src=javascript:alert(3)>'",
        "question: >-\n  What is the Colossus 1 deal worth to the seller on the terms reported from the amended S-1,\n  and how much of that can the buyer walk away from?\n":
            f"question: '{question}'\n",
    })
    out = tmp_path / "out"
    res = neocloud_cli("render", "--outputs", str(out), "--params", str(params), "--notebooks", str(NOTEBOOKS))
    assert res.returncode == 0, res.stdout + res.stderr
    for path in [*sorted(out.glob("hostile/*.html")), out / "index.html"]:
        v = Visit(browser, path)
        try:
            if path.name != "index.html":
                charts_drawn(v.page)
            text = v.page.inner_text("body")
            assert title in text, path
            if path.name != "index.html":  # the index shows titles and questions, not deal names
                assert "<iframe src=javascript:alert(3)>" in text, path
            if path.name in ("index.html", "deal.html"):  # the pages that state the question
                assert question in text, path
            assert v.page.locator("main img, main iframe, main b").count() == 0, path
            assert not v.dialogs, (path, v.dialogs)
            assert not v.errors, (path, v.errors)
        finally:
            v.close()
