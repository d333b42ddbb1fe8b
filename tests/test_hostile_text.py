"""Text from a scenario or a data file never reaches a report as live markup (issue 23, item 0).

A hostile payload is put in every text field of the scenario (found by walking the Scenario model,
not listed by hand) and in every text cell of the data files; the scenario is rendered once
through every notebook, and every page and notebook written is read for live markup: an ``<img>``
of the payload, an ``onerror=`` attribute, a ``javascript:`` link.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import re
import shutil
import typing
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from conftest import PARAMS, ROOT, neocloud_cli, once_per_run
from neocloud.data import DATA_ENV, REQUIRED_SIGNALS, TABLES
from neocloud.inputs.scenario import Scenario, read_scenario_data, validate_scenario
from neocloud.inputs.sourced import ScenarioError

PAYLOAD = ("G[click](javascript:alert(1)) <img src=x onerror=alert(2)></script><img src=x onerror=alert(3)>"
           ' "><iframe src=javascript:alert(6)> <script>alert(7)</script> <b>bold</b> $5 *not italic*')
"""Markup, a Markdown link and emphasis, a dollar sign (maths to some renderers): each must show
as the text it is (tests/test_browser.py reads the rendered pages in a browser)."""
URL_PAYLOAD = "https://example.com/?q=\"><img/src=x/onerror=alert(4)>[x](javascript:alert(5))"


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The model classes an annotation holds (through Optional, list, dict, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _takes_text(annotation: Any) -> bool:
    if annotation is str or annotation is Any:
        return True
    return any(_takes_text(arg) for arg in typing.get_args(annotation))


def text_fields(data: Any, model: type[BaseModel], path: tuple = ()) -> list[tuple]:
    """Every place in ``data`` (parsed scenario YAML) where the model takes text: fields present
    with a text value and optional text fields left out."""
    out: list[tuple] = []
    for name, field in model.model_fields.items():
        value = data.get(name) if isinstance(data, dict) else None
        here = (*path, name)
        models = _models_in(field.annotation)
        if isinstance(value, dict) and models:
            if set(value) & set(models[0].model_fields) or not value:
                out += text_fields(value, models[0], here)
            else:  # a mapping of keys to models
                for k, v in value.items():
                    out += text_fields(v, models[0], (*here, k))
        elif isinstance(value, list) and models:
            for i, v in enumerate(value):
                out += text_fields(v, models[0], (*here, i))
        elif models and value is None and field.annotation is not Any:
            continue  # an optional section left out
        elif isinstance(value, str) or (value is None and _takes_text(field.annotation)) or field.annotation is Any:
            out.append(here)
    return out


def _set(data: Any, path: tuple, value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _get(data: Any, path: tuple) -> Any:
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        else:
            data = data[part]
    return data


def hostile_scenario() -> tuple[dict, int]:
    """Base's data with the payload in every text field the model accepts it in, and the count."""
    data = read_scenario_data(PARAMS / "base.yaml")   # the book read from the ledger, written out
    kept = 0
    for path in text_fields(data, Scenario):
        old = _get(data, path)
        trial = copy.deepcopy(data)
        new = URL_PAYLOAD if path[-1] == "url" else f"{PAYLOAD} {old}" if isinstance(old, str) else PAYLOAD
        _set(trial, path, new)
        try:
            validate_scenario(trial)
        except ScenarioError:
            continue  # a constrained text (a Key, a choice, a date): never free text
        data, kept = trial, kept + 1
    return data, kept


def hostile_data(folder: Path) -> int:
    """The data files with the payload in every text cell (the signals the report looks up by
    name keep their names); the count of cells changed."""
    changed = 0
    for name, table in TABLES.items():
        rows = list(csv.reader(io.StringIO((ROOT / "neocloud/data" / name).read_text(encoding="utf-8"), newline="")))
        header = rows[0]
        for r in rows[1:]:
            for c, col in enumerate(header):
                if col in ("source_url",):
                    r[c], changed = URL_PAYLOAD, changed + 1
                elif col in ("site", "party", "chip", "deal", "seller", "buyer", "value_basis", "notice_terms",
                             "note", "unit", "chip_mix") or (col == "signal" and r[c] not in REQUIRED_SIGNALS):
                    r[c], changed = f"{PAYLOAD} {r[c]}", changed + 1
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        (folder / name).write_text(out.getvalue(), encoding="utf-8")
    return changed


class _Live(HTMLParser):
    """Collects live markup: elements and attributes the payload would create if not escaped
    (the parser reads <script> content as text, as a browser does)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img" and (a.get("src") or "").startswith("x"):
            self.found.append(f"<img src={a.get('src')}>")
        for k, v in attrs:
            if k.startswith("on") and "alert(" in (v or ""):
                self.found.append(f"{tag} {k}={v}")
            if k in ("href", "src", "action", "formaction") and (v or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {k}={v}")


def live_markup(html: str) -> list[str]:
    p = _Live()
    p.feed(html)
    p.close()
    return p.found


def markdown_problems(text: str) -> list[str]:
    """Raw payload in Markdown: an unescaped tag or a link to javascript:."""
    out = []
    if re.search(r"<img[\s/]", text, re.I):
        out.append("raw <img")
    if re.search(r"(?<!\\)\]\(\s*javascript:", text, re.I):
        out.append("markdown link to javascript:")
    return out


@pytest.fixture(scope="session")
def hostile_render(tmp_path_factory) -> tuple[Path, int, int]:
    """The hostile scenario rendered once through every notebook, with hostile data files: the
    outputs folder (the scenario's file is ``../hostile.yaml`` beside it), the count of text fields
    and of data cells given the payload. Rendered once for the test run and shared by the xdist
    workers (:func:`conftest.once_per_run`; tests/test_browser.py reads it too)."""
    def make(tmp: Path) -> None:
        shutil.rmtree(tmp, ignore_errors=True)  # a failed attempt's
        tmp.mkdir()
        data, fields = hostile_scenario()
        scenario = tmp / "hostile.yaml"
        scenario.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        folder = tmp / "data"
        folder.mkdir()
        cells = hostile_data(folder)
        res = neocloud_cli("render", "--outputs", str(tmp / "out"), str(scenario), env={**os.environ, DATA_ENV: str(folder)})
        assert res.returncode == 0, res.stdout + res.stderr
        (tmp / "counts.json").write_text(json.dumps([fields, cells]), encoding="utf-8")

    tmp = once_per_run(tmp_path_factory, "hostile-render", make)
    fields, cells = json.loads((tmp / "counts.json").read_text(encoding="utf-8"))
    return tmp / "out", fields, cells


def test_the_payload_reaches_every_text_field():
    data, fields = hostile_scenario()
    s = validate_scenario(data)
    # the model's free text: titles, names, labels, notes, quotes, sources... (114 and more in base)
    assert fields >= 100, fields
    assert s.other_deals[0].buyer_name.startswith(PAYLOAD) and s.title.startswith(PAYLOAD)
    assert all(r.label.startswith(PAYLOAD) for r in s.termination_readings)


def test_no_report_holds_live_markup(hostile_render):
    out, _, _ = hostile_render
    pages = sorted(out.rglob("*.html"))
    notebooks = sorted(out.rglob("*.ipynb"))
    assert len(pages) >= 4 and len(notebooks) >= 3, [p.name for p in out.rglob("*")]
    problems = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        problems += [f"{page.relative_to(out)}: {p}" for p in live_markup(text)]
    escaped = sum("&lt;img src=x onerror=alert(2)&gt;" in p.read_text(encoding="utf-8") for p in pages)
    assert escaped >= 3, "the payload should be shown, escaped, in the reports"
    for nb in notebooks:
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            for output in cell.get("outputs", []):
                md = output.get("data", {}).get("text/markdown")
                if md:
                    problems += [f"{nb.relative_to(out)} cell {i}: {p}" for p in markdown_problems("".join(md))]
                html = output.get("data", {}).get("text/html")
                if html:
                    problems += [f"{nb.relative_to(out)} cell {i}: {p}" for p in live_markup("".join(html))]
    assert not problems, "\n".join(problems[:20])


def test_book_path_labels_are_escaped_in_words_and_plain_in_charts():
    data = read_scenario_data(PARAMS / "base.yaml")   # the book read from the ledger, written out
    data["other_deals"][0]["buyer_name"] = PAYLOAD
    s = validate_scenario(data)
    from neocloud.report.book_words import book_path_labels

    labels = book_path_labels(s)
    words = "\n".join(f"- **{labels[k]}**" for k in labels)  # as the IPO narrative writes them
    assert not markdown_problems(words) and "&lt;img" in words
    assert any(str(v).startswith(PAYLOAD) for v in labels.values())  # the chart's legend shows the name itself


def test_links_are_only_http():
    from neocloud.report.narrative import link

    assert "](" not in link("javascript:alert(1)") and "](" not in link(" JavaScript:alert(1)", "x")
    assert link("https://example.com/a").startswith("[example.com](https://")





def _with_hostile_secondary_pages(data: dict) -> int:
    """Give every source in ``data`` (a mapping with ``url`` and ``date``) a hostile
    ``as_reported_by``: the payload in its address, title and quote; the count."""
    count = 0

    def walk(node: Any) -> None:
        nonlocal count
        if isinstance(node, dict):
            if isinstance(node.get("url"), str) and "date" in node and "as_reported_by" not in node:
                node["as_reported_by"] = {"url": URL_PAYLOAD, "date": node["date"], "title": PAYLOAD, "quote": PAYLOAD}
                count += 1
            for k, v in list(node.items()):
                if k != "as_reported_by":
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(data)
    return count


def test_as_reported_by_is_escaped_in_the_words_and_on_the_sources_page():
    """A source's secondary page (``as_reported_by``) is shown beside its primary source, and a
    hostile one (its address, title and quote) reaches neither Markdown nor the page live."""
    from neocloud.pipeline.sources_page import sources_page
    from neocloud.report.narrative import cite, source_ref, sources_table

    data = read_scenario_data(PARAMS / "base.yaml")
    count = _with_hostile_secondary_pages(data)
    s = validate_scenario(data)
    assert count >= 20, count
    words = sources_table(s)
    assert words.count(", as reported by ") >= 10 and not markdown_problems(words)
    assert not markdown_problems(source_ref(s.terms.monthly_fee_usd.source))
    assert all("<" not in line and "](" not in line for line in cite(*[h.source for h in s.headlines]))
    page = sources_page(s, "hostile.yaml", ["deal"], ["comparables.csv", "reported.yaml"], [], index=False)
    assert not live_markup(page), live_markup(page)[:5]
    assert page.count("as reported by") >= count // 2
