"""Rendered reports in a real browser (Debian's Chromium), with every network request blocked.

These tests fail, never skip, when Chromium is missing: `.ci/run` installs it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import NOTEBOOKS, neocloud_cli
from helpers import copy_scenario

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (apt-get install chromium); the browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


class Visit:
    """One page opened offline, with what it tried and what it said."""

    def __init__(self, browser, path: Path):
        self.context = browser.new_context(viewport={"width": 1100, "height": 900})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []

        def route(r):
            if r.request.url.startswith("file://"):
                r.continue_()
            else:
                self.requests.append(r.request.url)
                r.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        # errors and warnings both count: a report's console stays silent
        self.page.on("console", lambda m: self.errors.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(path.resolve().as_uri())

    def close(self):
        self.context.close()


def charts_drawn(page) -> list[int]:
    """Number of drawn marks inside each chart container (waits for vega-embed and for each chart
    to be fitted to its box: the page marks it ``data-nc-drawn``)."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.nc-chart')].every(el => el.querySelector('svg') && el.hasAttribute('data-nc-drawn'))",
        timeout=20_000)
    return page.evaluate(
        "() => [...document.querySelectorAll('.nc-chart')].map(el =>"
        " el.querySelectorAll('svg g[class*=\"mark-\"] path, svg g[class*=\"mark-\"] line,"
        " svg g[class*=\"mark-\"] text, svg g[class*=\"mark-\"] rect').length)")


HOVER_TARGET = """() => {
  for (const p of document.querySelectorAll('.nc-chart g.mark-rect path')) {
    const r = p.getBoundingClientRect();
    if (r.width > 3 && r.height > 3) {
      p.scrollIntoView({block: 'center'});
      const q = p.getBoundingClientRect();
      return {x: q.x + q.width / 2, y: q.y + q.height / 2};
    }
  }
  return null;
}"""


def test_every_report_draws_offline_with_tooltips(rendered, browser):
    pages = sorted(rendered.glob("*/*.html"))
    assert len(pages) >= 12
    for path in pages:
        v = Visit(browser, path)
        try:
            marks = charts_drawn(v.page)
            assert marks and all(n > 0 for n in marks), (path, marks)
            point = v.page.evaluate(HOVER_TARGET)
            assert point, f"{path}: no bar with a visible size to hover"
            v.page.mouse.move(point["x"], point["y"])
            v.page.wait_for_selector("#vg-tooltip-element.visible", timeout=5_000)
            assert v.page.inner_text("#vg-tooltip-element").strip(), path
            assert not v.errors, (path, v.errors)
            assert not v.requests, (path, v.requests)
        finally:
            v.close()


def test_index_opens_offline_and_links_resolve(rendered, browser):
    v = Visit(browser, rendered / "index.html")
    try:
        hrefs = v.page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")
        assert len(hrefs) >= 12 and all((rendered / h).is_file() for h in hrefs)
        assert not v.errors and not v.requests
    finally:
        v.close()


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
