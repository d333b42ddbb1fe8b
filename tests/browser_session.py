"""One browser per test process and one visit per page and width, shared by the test files (the
fixtures :func:`browser` and :func:`survey`, which test files import).

The browser tests check many rules (issue 21, item 8) on the same rendered pages. Opening each
page at each width once per rule was most of their cost, so each page of the run's ``rendered``
folder (every report of every scenario, every sources page, the index) is opened once at 390 px and
once at 1,440 px (in one tab per width, as a reader goes from page to page: :class:`Tab`), and that
one visit takes every measurement the tests assert on (:func:`visit_page`:
what is hidden, figures broken over lines, charts and controls against the screen, overlapping
labels, the page's length, each control moved through its settings with its chart's title read
after each move, a tooltip, the console, the network, print for the base case). The tests then
assert on those results, a test per rule, each with its own message.

Two xdist workers share the visits: each visit's result is a JSON file in the run's folder, written
by whichever worker takes it first (under a lock of its own); a worker takes the visits no other is
taking, then reads the rest.

Like every browser test, these fail (never skip) when Chromium is missing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTHS = (390, 1440)
"""A phone and a desktop (CSS px); the viewport is 900 px high at both."""

HERE = Path(__file__).parent


def need_chromium() -> None:
    """Fail (never skip) the test when Debian's Chromium is missing."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (apt-get install chromium); the browser tests need it")


_SHARED: dict = {"users": 0, "playwright": None, "browser": None}
"""The test process's one Playwright and Chromium, and how many fixtures hold them (a test file
that imports :func:`browser` has a fixture of its own; Playwright's sync API runs one instance a
thread)."""


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the test process (each test opens its own context), closed after the
    last test that uses it."""
    need_chromium()
    if not _SHARED["users"]:
        from playwright.sync_api import sync_playwright

        _SHARED["playwright"] = sync_playwright().start()
        _SHARED["browser"] = _SHARED["playwright"].chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    _SHARED["users"] += 1
    try:
        yield _SHARED["browser"]
    finally:
        _SHARED["users"] -= 1
        if not _SHARED["users"]:
            _SHARED["browser"].close()
            _SHARED["playwright"].stop()


class Tab:
    """One tab at ``width`` px, offline (a request off the machine is refused and recorded), with
    what it tried and what it said: the console's errors and warnings, uncaught errors, dialogs.
    ``views``: keep each chart's Vega view on its element (``el.__ncView``) so that a test can wait
    for the view to finish a run after it moved a control. A tab visits page after page
    (:meth:`goto`), as a reader goes from report to report (the survey's visits: a report's scripts
    are compiled once per tab, not once per visit); each :meth:`goto` starts the console, the
    requests and the dialogs afresh, and :meth:`reset` leaves the tab as a visit found it (the
    screen's media and size, the pointer off the page)."""

    def __init__(self, browser, width: int = 1100, views: bool = True):
        self.width = width
        self.context = browser.new_context(viewport={"width": width, "height": 900})
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
        if views:
            self.context.add_init_script(KEEP_VIEWS)
        self.page = self.context.new_page()
        # errors and warnings both count: a report's console stays silent
        self.page.on("console", lambda m: self.errors.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def goto(self, path: Path) -> None:
        self.page.goto("about:blank")  # the previous page unloaded before this visit's record starts
        self.requests, self.errors, self.dialogs = [], [], []
        self.page.goto(path.resolve().as_uri())

    def reset(self) -> None:
        self.page.mouse.move(0, 0)
        self.page.emulate_media(media="screen")
        self.page.set_viewport_size({"width": self.width, "height": 900})

    def close(self):
        self.context.close()


class Visit(Tab):
    """One page opened offline in a tab of its own at ``width`` px (:class:`Tab`; ``views`` off
    unless asked for)."""

    def __init__(self, browser, path: Path, width: int = 1100, views: bool = False):
        super().__init__(browser, width, views)
        self.page.goto(path.resolve().as_uri())


KEEP_VIEWS = """(() => {
  // vega-embed's result view kept on the chart's element; the page's own code is unchanged
  let embed;
  Object.defineProperty(window, 'vegaEmbed', {configurable: true, get: () => embed, set: f => {
    embed = Object.assign((el, spec, opt) => f(el, spec, opt).then(r => { el.__ncView = r.view; return r; }), f);
  }});
})()"""


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


def _js(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


# ---- what one visit measures (each a JavaScript function) ------------------------------------------

FIGURE_PATTERN = (r"\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{4}"  # 30 Jun 2026
                  r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{4}"  # Jun 2026
                  r"|[$]?\d[\d,]*(?:\.\d+)?(?:%|[BMK]\b)?")  # 276,000  $45.0B  4.1%

BROKEN_FIGURES = """pattern => {
  // every figure in the page's text whose line boxes are on more than one line
  const re = new RegExp(pattern, 'g'), out = [];
  const root = document.querySelector('main') || document.body;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {acceptNode: n =>
      n.parentElement.closest('script, style, svg, .nc-spec') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  while (walker.nextNode()) {
    const node = walker.currentNode, text = node.nodeValue;
    if (!node.parentElement.getClientRects().length) continue;  // not displayed (checked elsewhere)
    re.lastIndex = 0;
    let m;
    while ((m = re.exec(text))) {
      if (m[0].length < 2) continue;
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const rects = [...range.getClientRects()].filter(r => r.width > 0.5 && r.height > 0.5);
      const broken = rects.some(a => rects.some(b => b.top >= a.bottom - 1));
      if (broken) out.push(m[0] + ' in "' + text.slice(Math.max(0, m.index - 30), m.index + m[0].length + 30).trim() + '"');
    }
  }
  return out;
}"""

HIDDEN_WORDS = """() => {
  const out = [];
  document.querySelectorAll('.jp-MarkdownCell').forEach((cell, i) => {
    const text = cell.textContent.trim();
    if (!text) return;
    const shown = cell.innerText.trim();  // innerText leaves out what is not rendered
    const r = cell.getBoundingClientRect();
    if (!shown || r.height < 4 || r.width < 4) out.push('Markdown cell ' + i + ' is hidden: ' + text.slice(0, 60));
  });
  document.querySelectorAll('.jp-MarkdownCell h1, .jp-MarkdownCell h2, .jp-MarkdownCell h3').forEach(h => {
    if (!h.getClientRects().length) out.push('heading hidden: ' + h.textContent);
  });
  document.querySelectorAll('.jp-CodeCell .jp-InputArea, .jp-CodeCell .jp-Editor').forEach(e => {
    if (e.getClientRects().length && e.innerText.trim()) out.push('code shows: ' + e.innerText.trim().slice(0, 60));
  });
  return out;
}"""

CHARTS = """viewport => {
  const out = [];
  document.querySelectorAll('.nc-chart').forEach((chart, ci) => {
    const svg = chart.querySelector('svg');
    if (!svg) { out.push({chart: ci, problem: 'not drawn'}); return; }
    const s = svg.getBoundingClientRect(), box = chart.getBoundingClientRect();
    if (s.width > box.width + 1) out.push({chart: ci, problem: 'wider than its box', svg: Math.round(s.width), box: Math.round(box.width)});
    if (s.right > viewport + 1 || s.left < -1) out.push({chart: ci, problem: 'off the screen', left: Math.round(s.left), right: Math.round(s.right)});
    // title and subtitle whole: inside the chart and the screen
    svg.querySelectorAll('g[class*="role-title"] text').forEach(t => {
      const r = t.getBoundingClientRect();
      if (!t.textContent.trim() || r.width < 0.5) return;
      if (r.left < s.left - 1 || r.right > Math.min(s.right, viewport) + 1 || r.top < s.top - 1 || r.bottom > s.bottom + 1)
        out.push({chart: ci, problem: 'title cut', text: t.textContent, left: Math.round(r.left), right: Math.round(r.right)});
      if (t.textContent.includes('\\u2026')) out.push({chart: ci, problem: 'title shortened', text: t.textContent});
    });
    // no text of the chart (an axis title, a label) runs out of it
    svg.querySelectorAll('text').forEach(t => {
      const r = t.getBoundingClientRect();
      if (!t.textContent.trim() || r.width < 0.5 || t.closest('g[class*="role-title"]')) return;
      if (t.getAttribute('opacity') === '0' || getComputedStyle(t).opacity === '0') {
        // an axis label hidden for want of room: a name the reader does not see
        if (t.closest('g[class*="role-axis-label"]') && t.closest('g[class*="role-axis"]')
            && !/^[-$\\d.,%\\s]+$|\\d{4}$/.test(t.textContent.trim()))
          out.push({chart: ci, problem: 'axis label hidden', text: t.textContent});
        return;
      }
      if (r.left < s.left - 1 || r.right > s.right + 1 || r.top < s.top - 1 || r.bottom > s.bottom + 1)
        out.push({chart: ci, problem: 'text out of the chart', text: t.textContent});
    });
    // no axis repeats a tick label
    svg.querySelectorAll('g[class*="role-axis"]').forEach(axis => {
      if (axis.parentElement.closest('g[class*="role-axis"]')) return;  // an axis's own parts
      const labels = [...axis.querySelectorAll('g[class*="role-axis-label"] text')]
        .filter(t => t.textContent.trim() && t.getAttribute('opacity') !== '0' && getComputedStyle(t).opacity !== '0')
        .map(t => t.textContent.trim());
      const seen = new Set();
      for (const l of labels) {
        if (seen.has(l)) { out.push({chart: ci, problem: 'repeated tick label', label: l, labels: labels.join(' ')}); break; }
        seen.add(l);
      }
    });
  });
  return out;
}"""

CONTROLS = """viewport => {
  const out = [];
  document.querySelectorAll('.vega-bindings input, .vega-bindings select').forEach(c => {
    const r = c.getBoundingClientRect();
    const name = c.name || c.getAttribute('name');
    if (r.width < 40 || r.height < 10) out.push({control: name, problem: 'too small', w: r.width, h: r.height});
    if (r.left < -1 || r.right > viewport + 1) out.push({control: name, problem: 'off the screen', left: r.left, right: r.right});
    const label = c.closest('label');
    if (label) {
      const l = label.getBoundingClientRect();
      if (l.left < -1 || l.right > viewport + 1) out.push({control: name, problem: 'label off the screen'});
    }
  });
  return out;
}"""

LAYOUT = """() => {
  const screen = window.innerHeight;
  const appendix = [...document.querySelectorAll('h2')].find(h => /^Appendix/.test(h.textContent.trim()));
  const h1 = document.querySelector('main h1:not(.nc-header h1)');
  const answer = h1 ? h1.closest('.jp-Cell') || h1.parentElement : null;
  const r = answer ? answer.getBoundingClientRect() : null;
  const firstChart = document.querySelector('.nc-chart');
  return {
    screens: (appendix ? appendix.getBoundingClientRect().top + window.scrollY : document.documentElement.scrollHeight) / screen,
    appendix: !!appendix,
    answerBottom: r ? r.bottom + window.scrollY : null,
    answerText: answer ? answer.innerText : '',
    chartTop: firstChart ? firstChart.getBoundingClientRect().top + window.scrollY : null,
    screen: screen,
  };
}"""

AFTER_APPENDIX = """() => {
  const appendix = [...document.querySelectorAll('h2')].find(h => /^Appendix/.test(h.textContent.trim()));
  const y = appendix ? appendix.getBoundingClientRect().top : Infinity;
  return [...document.querySelectorAll('h3')].filter(h => h.getBoundingClientRect().top > y).map(h => h.textContent.trim());
}"""

INDEX_CARDS = """w => [...document.querySelectorAll('.nc-card')].map(c => {
    const r = c.getBoundingClientRect();
    const links = [...c.querySelectorAll('a')].map(a => a.getBoundingClientRect());
    const figures = [...c.querySelectorAll('.nc-figures dd')].filter(d => d.getClientRects().length && d.innerText.trim());
    return {id: c.id, top: Math.round(r.top), left: r.left, right: r.right, links: links.length,
            linksOnScreen: links.every(l => l.left >= -1 && l.right <= w + 1 && l.width > 0),
            figures: figures.length, figuresOnScreen: figures.every(d => d.getBoundingClientRect().right <= w + 1),
            differs: c.querySelectorAll('.nc-differs').length,
            marked: [...c.querySelectorAll('.nc-differs dt')].map(d => d.textContent)};
})"""

OVERLAPS = _js("overlaps.js")

WIDE = """w => ({scroll: document.documentElement.scrollWidth,
  wide: [...document.querySelectorAll('table, .nc-chart-wrap')].filter(e => e.getBoundingClientRect().right > w + 1).map(e => e.tagName)})"""

CONTROL_STATE = """() => [...document.querySelectorAll('.nc-chart')].flatMap((el, chart) =>
  [...el.querySelectorAll('.vega-bindings input[type=range], .vega-bindings select')].map(c => ({
    chart, name: c.name, kind: c.tagName === 'SELECT' ? 'menu' : 'slider', value: c.value,
    label: c.tagName === 'SELECT' ? c.options[c.selectedIndex].text : null,
    options: c.tagName === 'SELECT' ? [...c.options].map(o => o.value) : null,
    min: +c.min, max: +c.max, step: +c.step})))"""

TITLE = """i => [...document.querySelectorAll('.nc-chart')[i].querySelectorAll('svg g.role-title-text text')]
  .map(t => t.querySelectorAll('tspan').length ? [...t.querySelectorAll('tspan')].map(s => s.textContent).join(' ') : t.textContent)
  .join(' ')"""

MOVE_EVERY_CONTROL = f"""async () => {{
  // Each chart's controls moved as a reader moves them (an input or change event on the control):
  // a menu to each other option and back, a slider to its ends, a point between and back. After
  // each move, once the chart's Vega view has finished its run, the chart's title is read.
  const title = {TITLE};
  const boxes = [...document.querySelectorAll('.nc-chart')];
  const out = [];
  for (let i = 0; i < boxes.length; i++) {{
    const el = boxes[i], view = el.__ncView;
    const controls = [...el.querySelectorAll('.vega-bindings input[type=range], .vega-bindings select')];
    if (!controls.length) continue;
    if (!view) {{ out.push({{chart: i, problem: 'no Vega view kept for this chart'}}); continue; }}
    await view.runAsync();
    const values = Object.fromEntries(controls.map(c => [c.name, c.value]));
    const bindings = el.querySelector('.vega-bindings').getBoundingClientRect(), svg = el.querySelector('svg').getBoundingClientRect();
    const record = {{chart: i, names: controls.map(c => c.name), values: {{...values}}, title: title(i),
                    above: bindings.bottom <= svg.top + 0.5, moves: []}};
    for (const c of controls) {{
      let targets;
      if (c.tagName === 'SELECT') targets = [...c.options].map(o => o.value).filter(v => v !== c.value).concat([c.value]);
      else {{
        const lo = +c.min, hi = +c.max, step = +c.step;
        const mid = lo + step * Math.round((hi - lo) / step * 0.37);
        targets = [String(lo), String(hi), String(+mid.toFixed(10)), c.value];
      }}
      for (const t of targets) {{
        c.value = t;
        c.dispatchEvent(new Event(c.tagName === 'SELECT' ? 'change' : 'input', {{bubbles: true}}));
        await view.runAsync();
        values[c.name] = c.value;
        record.moves.push({{name: c.name, to: t, values: {{...values}}, title: title(i)}});
      }}
    }}
    out.push(record);
  }}
  return out;
}}"""

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

STATIC = f"""([w, pattern]) => ({{
  hidden: ({HIDDEN_WORDS})(), broken: ({BROKEN_FIGURES})(pattern), charts: ({CHARTS})(w), controls: ({CONTROLS})(w),
  layout: ({LAYOUT})(), after_appendix: ({AFTER_APPENDIX})(), cards: ({INDEX_CARDS})(w), overlaps: ({OVERLAPS})(),
  fit: ({WIDE})(w), control_state: ({CONTROL_STATE})(), links: [...document.querySelectorAll('a')].map(e => e.getAttribute('href')),
}})"""

PRINT_WIDTH, PRINT_HEIGHT = 718, 1047
"""A4 at 96 dpi less 10 mm margins each side (CSS px)."""


def visit_page(tab: Tab, path: Path, pdf: Path | None = None) -> dict:
    """Everything the browser tests check on one page at the tab's width, in one visit: the marks
    of each chart, then (:data:`STATIC`) hidden words, broken figures, charts and controls against
    the screen, the layout, the index's cards, overlapping labels, sideways scrolling, the
    controls as loaded; then every control moved (:data:`MOVE_EVERY_CONTROL`); then a tooltip
    hovered; then, given ``pdf``, the page printed to it (``print``: each chart's size on A4 and
    whether its box avoids a page break). Last, the console, the requests tried and the dialogs
    opened through the whole visit."""
    width = tab.width
    v = tab
    v.goto(path)
    try:
        out: dict = {"marks": charts_drawn(v.page)}
        out |= v.page.evaluate(STATIC, [width, FIGURE_PATTERN])
        out["moved"] = v.page.evaluate(MOVE_EVERY_CONTROL)
        point = v.page.evaluate(HOVER_TARGET)
        out["tooltip"] = None
        if point:
            v.page.mouse.move(point["x"], point["y"])
            try:
                v.page.wait_for_selector("#vg-tooltip-element.visible", timeout=5_000)
                out["tooltip"] = v.page.inner_text("#vg-tooltip-element").strip()
            except Exception as e:  # the test says what is missing
                out["tooltip"] = ""
                out["tooltip_error"] = str(e).splitlines()[0]
        if pdf is not None:
            v.page.emulate_media(media="print")
            v.page.set_viewport_size({"width": PRINT_WIDTH, "height": PRINT_HEIGHT})
            out["print"] = {
                "sizes": v.page.evaluate("() => [...document.querySelectorAll('.nc-chart svg')].map(s => {"
                                         " const r = s.getBoundingClientRect(); return [r.width, r.height]; })"),
                "avoid": v.page.evaluate("() => [...document.querySelectorAll('.nc-chart-wrap')].every(e =>"
                                         " getComputedStyle(e).breakInside === 'avoid')"),
                "pdf": str(pdf)}
            v.page.pdf(path=str(pdf), format="A4", margin={"top": "10mm", "bottom": "10mm", "left": "10mm", "right": "10mm"})
        out["errors"], out["requests"], out["dialogs"] = list(v.errors), list(v.requests), list(v.dialogs)
        return out
    finally:
        v.reset()


PRINTED = ("base/",)
"""The pages printed to PDF in their visit (at 1,440 px): the base case's reports."""


class Survey:
    """The visits of the run's ``rendered`` folder: :meth:`pages` lists what is visited (every
    report and sources page of every scenario, and the index); :meth:`get` gives a page's results
    at a width (visiting it if no worker has); the first call of :meth:`get` takes every visit no
    other worker is taking, so that the two workers share them out."""

    def __init__(self, rendered: Path, browser, folder: Path):
        self.rendered, self.browser, self.folder = rendered, browser, folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._got: dict[tuple[str, int], dict] = {}
        self._all_done = False
        self._tabs: dict[int, Tab] = {}

    def pages(self) -> list[str]:
        r = self.rendered
        return sorted(p.relative_to(r).as_posix() for p in [*r.glob("*/*.html"), *r.glob("*/sources/index.html"), r / "index.html"])

    def _file(self, page: str, width: int) -> Path:
        return self.folder / f"{page.replace('/', '__')}@{width}.json"

    def _visit(self, page: str, width: int) -> dict:
        pdf = None
        if width == max(WIDTHS) and page.startswith(PRINTED) and page.count("/") == 1:
            pdf = self._file(page, width).with_suffix(".pdf")
        if width not in self._tabs:
            self._tabs[width] = Tab(self.browser, width)
        result = visit_page(self._tabs[width], self.rendered / page, pdf)
        tmp = self._file(page, width).with_suffix(".part")
        tmp.write_text(json.dumps(result), encoding="utf-8")
        tmp.replace(self._file(page, width))
        return result

    def _take(self, page: str, width: int, wait: bool) -> dict | None:
        from filelock import FileLock, Timeout

        done = self._file(page, width)
        lock = FileLock(str(done.with_suffix(".lock")))
        try:
            lock.acquire(timeout=-1 if wait else 0)
        except Timeout:
            return None  # another worker is on it
        try:
            return json.loads(done.read_text(encoding="utf-8")) if done.is_file() else self._visit(page, width)
        finally:
            lock.release()

    def _everything(self) -> None:
        keys = [(p, w) for w in WIDTHS for p in self.pages()]
        later = []
        for key in keys:
            got = self._take(*key, wait=False)
            if got is None:
                later.append(key)
            else:
                self._got[key] = got
        for key in later:
            self._got[key] = self._take(*key, wait=True)
        for tab in self._tabs.values():
            tab.close()
        self._tabs.clear()
        self._all_done = True

    def get(self, page: str, width: int) -> dict:
        if not self._all_done:
            self._everything()
        return self._got[(page, width)]

    def each(self, pages: "list[str]", widths=WIDTHS):
        """``(page, width, results)`` for each of ``pages`` at each of ``widths``."""
        for w in widths:
            for p in pages:
                yield p, w, self.get(p, w)


@pytest.fixture(scope="session")
def survey(rendered, browser, tmp_path_factory) -> Survey:
    """The visits of every rendered page at each width (:class:`Survey`), shared by the workers."""
    from conftest import run_folder

    return Survey(rendered, browser, run_folder(tmp_path_factory) / "browser-survey")
