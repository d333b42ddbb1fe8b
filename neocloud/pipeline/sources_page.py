"""One sources page per scenario: every input of the scenario with its source or assumption, the
press figures it is reconciled with, and the sources of the data files its reports read.

The reports keep a short "Sources" line that links here (``outputs/<stem>/sources/index.html``,
a folder of its own so that ``outputs/<stem>/*.html`` are the reports), and the index links it
from each scenario's card. The page is written by ``neocloud render`` for every scenario it
renders, from the scenario and the files the reports' declarations name
(:mod:`neocloud.pipeline.notebooks`: the pipeline names no report), and only when its bytes
change: a render of the same inputs writes the same bytes, offline. ``jupyter nbconvert --to
neocloud-report`` writes it too, beside the report it exports
(:meth:`neocloud.pipeline.export.ReportExporter.sources_page`).
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neocloud.report.narrative import as_reported_by, day, esc, input_value, link, plain, sources_table, table
from neocloud.pipeline.files import display_path, write_atomic
from neocloud.pipeline.notebooks import declaration, report_pairs, scenario_reports
from neocloud.inputs.scenario import scenario_stem

if TYPE_CHECKING:
    from neocloud.inputs.scenario import Scenario

SOURCES_PAGE = "sources/index.html"
"""Where a scenario's sources page is, relative to its folder of reports."""

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _walk_sources(node: Any, found: list[dict[str, Any]], reported_by: Any = None) -> None:
    """Every mapping with a ``url`` (a source) inside parsed YAML, in file order, each with
    ``as_reported_by``: the secondary page it was read on (its own ``as_reported_by``, else its
    record's, kept beside it), which is not listed as a source of its own."""
    if isinstance(node, dict):
        if isinstance(node.get("url"), str):
            secondary = node.get("as_reported_by") if isinstance(node.get("as_reported_by"), dict) else reported_by
            found.append({**node, "as_reported_by": secondary})
        beside = node.get("as_reported_by") if isinstance(node.get("as_reported_by"), dict) else None
        for k, v in node.items():
            if k != "as_reported_by":
                _walk_sources(v, found, beside if k == "source" else None)
    elif isinstance(node, list):
        for v in node:
            _walk_sources(v, found)


def _secondary_url(source: dict[str, Any]) -> str:
    page = source.get("as_reported_by")
    url = page.get("url") if isinstance(page, dict) else None
    return url.strip() if isinstance(url, str) else ""


def data_file_sources(name: str, text: str) -> list[dict[str, Any]]:
    """The sources a data file cites, one per address in first-seen order: ``url``, ``title``
    (where the file gives one), ``date`` (the newest given, ``YYYY-MM-DD`` or ``""``), ``rows``
    (how many rows or records cite it) and ``as_reported_by`` (the addresses of the secondary
    pages the figures were read on, in first-seen order). A CSV cites through its
    ``source_url`` column (dated by ``source_date``, else ``date``); a YAML file through every
    mapping with a ``url``, whose ``as_reported_by`` (its own, or its record's beside its
    ``source``) is its secondary page, not a source of its own.

    >>> data_file_sources("x.csv", "date,value,source_url,source_date\\n2026-01-01,1,https://a.org/x,\\n2026-02-01,2,https://a.org/x,2026-03-01\\n")
    [{'url': 'https://a.org/x', 'title': '', 'date': '2026-03-01', 'rows': 2, 'as_reported_by': []}]
    >>> data_file_sources("y.yaml", "a: {source: {url: 'https://b.org', date: 2026-05-20, title: 'S-1'}, "
    ...                   "as_reported_by: {url: 'https://c.org/p', date: 2026-05-21}}")
    [{'url': 'https://b.org', 'title': 'S-1', 'date': '2026-05-20', 'rows': 1, 'as_reported_by': ['https://c.org/p']}]
    """
    cites: list[dict[str, Any]] = []
    if name.endswith(".csv"):
        for row in csv.DictReader(text.splitlines()):
            url = (row.get("source_url") or "").strip()
            if url:
                cites.append({"url": url, "title": "", "date": (row.get("source_date") or row.get("date") or "").strip(),
                              "as_reported_by": ""})
    elif name.endswith((".yaml", ".yml")):
        import yaml

        found: list[dict[str, Any]] = []
        _walk_sources(yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)), found)  # libyaml where built
        cites = [{"url": s["url"].strip(), "title": str(s.get("title") or ""), "date": str(s.get("date") or ""),
                  "as_reported_by": _secondary_url(s)} for s in found]
    out: dict[str, dict[str, Any]] = {}
    for c in cites:
        seen = out.setdefault(c["url"], {"url": c["url"], "title": "", "date": "", "rows": 0, "as_reported_by": []})
        seen["rows"] += 1
        seen["title"] = seen["title"] or c["title"]
        seen["date"] = max(seen["date"], c["date"])
        if c["as_reported_by"] and c["as_reported_by"] not in seen["as_reported_by"]:
            seen["as_reported_by"].append(c["as_reported_by"])
    return list(out.values())


def _data_section(name: str) -> str:
    path = Path(str(resources.files("neocloud.data").joinpath(name)))
    if not path.is_file():
        return f"### `neocloud/data/{name}`\n\nNot found in this installation."
    return _data_section_of(name, path.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=32)
def _data_section_of(name: str, text: str) -> str:
    """The section of one data file, from its text (kept per process: every scenario's page of a
    render lists the same files, and a no-op render re-reads them only to compare)."""
    found = data_file_sources(name, text)
    rows = [[link(s["url"]) + (f" ({esc(s['title'])})" if s["title"] else "")
             + (", as reported by " + ", ".join(link(u) for u in s["as_reported_by"]) if s["as_reported_by"] else ""), day(s["date"]) if s["date"] else "undated", str(s["rows"])]
            for s in found]
    head = f"### `neocloud/data/{name}`\n\n"
    if not rows:
        return head + "Cites no source by address."
    return head + f"{len(found)} source(s):\n\n" + table(rows, ["source", "dated", "rows citing it"])


def _press_section(scenario: "Scenario") -> str:
    rows = [[esc(scenario.deal_name), esc(h.label), esc(input_value("value_usd", h.value_usd)),
             link(h.source.url) + as_reported_by(h.source), day(h.source.date)] for h in scenario.headlines]
    for o in scenario.other_deals:
        rows += [[esc(o.deal_name), esc(h.label), esc(input_value("value_usd", h.value_usd)),
                  link(h.source.url) + as_reported_by(h.source), day(h.source.date)] for h in o.headlines]
    readings = [[esc(r.label), link(r.source.url) + as_reported_by(r.source) if r.source else "**assumption**", esc(r.note or "")]
                for r in scenario.termination_readings]
    out = []
    if rows:
        out.append("## Figures reported in the press\n\nThe reports hold the model's figures against these.\n\n"
                   + table(rows, ["deal", "figure", "reported", "source", "dated"]))
    if readings:
        out.append("## Readings of the termination terms\n\n" + table(readings, ["reading", "source", "note"]))
    return "\n\n".join(out)


def sources_markdown(scenario: "Scenario", data: Iterable[str], files: Iterable[str]) -> str:
    """The body of a scenario's sources page as Markdown: its inputs (labelled in words), the
    press figures and readings of its terms, and the sources of the data files ``data``
    (names in ``neocloud/data/``) and project files ``files`` its reports read."""
    parts = ["## The scenario's inputs\n\nEvery input, labelled in words with its key in the scenario file below "
             "it, its value and its source or, where nothing was disclosed, the assumption made.\n\n" + sources_table(scenario)]
    press = _press_section(scenario)
    if press:
        parts.append(press)
    data = list(data)
    if data:
        parts.append("## The data files the reports read\n\nEach row of these files carries its own source; "
                     "the sources each file cites, with how many of its rows cite them:\n\n"
                     + "\n\n".join(_data_section(name) for name in data))
    files = list(files)
    if files:
        parts.append("## Other files the reports read\n\n" + "\n".join(f"- `{f}`" for f in files))
    return "\n\n".join(parts)


MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
         r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?")
FIGURE_WITH_SPACES = re.compile(r"(?<![\w/])((?:\d{1,2} )?" + MONTH + r",? \d{4}"
                                r"|[$]?\d[\d,.]* (?:MW|GW|MWh|days|months|years|hours|GPUs))(?![\w])")
"""A figure of several words ("30 Jun 2026", "300 MW") in the page's text."""


def keep_figures_whole(body: str) -> str:
    """Keep every figure of several words on one line (``span.nc-nw``, which the reports' style
    sheet never breaks), as the reports' page script does for theirs.

    >>> keep_figures_whole("<td>undated (gathered by 30 Jun 2026)</td><td>300 MW</td>")
    '<td>undated (gathered by <span class="nc-nw">30 Jun 2026</span>)</td><td><span class="nc-nw">300 MW</span></td>'
    """
    return FIGURE_WITH_SPACES.sub(r'<span class="nc-nw">\1</span>', body)


def sources_page(scenario: "Scenario", scenario_file: str, reports: list[str], data: Iterable[str], files: Iterable[str],
                 index: bool = True, report_files: list[str] | None = None, written: Iterable[str] | None = None) -> str:
    """The HTML of a scenario's sources page (``reports``: the names of its reports, each linked to
    ``../NAME.html``, or to ``../FILE.html`` for the names of ``report_files`` where the report's
    file is named otherwise, where it is among ``written`` (the reports written beside the page;
    None: all), and named without a link where it is not; ``scenario_file``, the file as the
    reports' headers show it; ``index``, link the index of reports, which ``neocloud render``
    writes and ``jupyter nbconvert`` does not)."""
    from urllib.parse import quote

    import mistune
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from neocloud import __version__
    from neocloud.report.narrative import dollars

    body = keep_figures_whole(mistune.html(dollars(sources_markdown(scenario, data, files))))
    env = Environment(loader=FileSystemLoader(str(PACKAGE_DIR / "templates")), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("sources.html.j2").render(
        title=plain(scenario.title), deal=plain(scenario.deal_name), file=str(scenario_file), version=__version__, index=index,
        reports=[{"name": r, "href": f"../{quote(f)}.html" if written is None or r in written else None}
                 for r, f in zip(reports, report_files or reports)], body=body,
        css=(PACKAGE_DIR / "templates/report/report.css").read_text(encoding="utf-8"))


def write_sources_pages(outputs: Path, scenarios: "dict[Path, Scenario]", notebook_files: list[Path],
                        say: Callable[[str], None] = print) -> list[Path]:
    """Write ``outputs/<stem>/sources/index.html`` for each scenario given, listing the data
    files its reports declare; a page is written only when its bytes change. A page that cannot
    be made is said (``say``) and skipped: the reports and the index are rendered all the same."""
    written = []
    pairs = report_pairs(scenarios, notebook_files)
    for path, scenario in scenarios.items():
        notebooks = [nb for p, nb in pairs if p == path]
        data = list(dict.fromkeys(name for nb in notebooks for name in declaration(nb).data))
        files = list(dict.fromkeys(name for nb in notebooks for name in declaration(nb).files))
        page = outputs / scenario_stem(path) / SOURCES_PAGE
        beside = [nb.stem for nb in notebooks]
        try:  # the scenario's reports, linked where this render writes them beside the page
            text = sources_page(scenario, display_path(path), scenario_reports(beside), data, files, written=beside)
        except Exception as e:  # noqa: BLE001 - one page's failure never takes the render with it
            say(f"the sources page of {scenario_stem(path)} could not be made: {type(e).__name__}: {e}")
            continue
        bytes_ = text.encode("utf-8")
        if not page.is_file() or page.read_bytes() != bytes_:
            write_atomic(page, bytes_)
        written.append(page)
    return written
