"""One sources page per scenario, linked from every report and the index, and inputs labelled in
words (issue 21, items 1 and 6)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

import neocloud as nc
from neocloud.report.narrative import INPUT_LABELS, input_label, input_pattern, sources_table
from neocloud.pipeline.notebooks import report_pairs
from neocloud.pipeline.sources_page import SOURCES_PAGE, data_file_sources, write_sources_pages

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "params").glob("*.yaml"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
DOTTED_KEY = re.compile(r"^[a-z_0-9]+(\.[a-z_0-9]+)+$")


def schema_leaf_keys() -> set[str]:
    """Every input of the scenario schema (an object with a ``value``), as a dotted key with
    ``*`` for a list index or a name of the file's choosing."""
    schema = json.loads((ROOT / "params/scenario.schema.json").read_text(encoding="utf-8"))
    defs = schema["$defs"]
    out: set[str] = set()

    def walk(node: dict, prefix: str) -> None:
        if "$ref" in node:
            name = node["$ref"].split("/")[-1]
            d = defs[name]
            if name.endswith("Source"):
                return
            if "value" in d.get("properties", {}):
                out.add(prefix)
                return
            walk(d, prefix)
            return
        for k in ("anyOf", "oneOf", "allOf"):
            for x in node.get(k, []):
                walk(x, prefix)
        for k, v in node.get("properties", {}).items():
            walk(v, f"{prefix}.{k}" if prefix else k)
        for v in node.get("patternProperties", {}).values():
            walk(v, f"{prefix}.*")
        if isinstance(node.get("additionalProperties"), dict):
            walk(node["additionalProperties"], f"{prefix}.*")
        if node.get("type") == "array" and isinstance(node.get("items"), dict):
            walk(node["items"], f"{prefix}.*")

    for branch in ("then", "else"):
        walk(schema[branch], "")
    return out


def test_every_input_of_the_schema_has_a_label_in_words():
    keys = schema_leaf_keys()
    assert {"terms.monthly_fee_usd", "gpu_bases.*", "other_deals.*.terms.notice_days", "market.drift_per_year"} <= keys, keys
    missing = []
    for key in sorted(keys):
        pattern = key.removeprefix("other_deals.*.") if key.startswith("other_deals.*.terms.") else key
        if pattern not in INPUT_LABELS:
            missing.append(key)
    assert not missing, f"inputs with no label in words in neocloud.report.narrative.INPUT_LABELS: {missing}"
    for key in keys:
        label = input_label(key.replace("*", "0"))
        assert label and not DOTTED_KEY.match(label) and "_" not in label, (key, label)
    assert not set(INPUT_LABELS) - {input_pattern(k) for k in keys} - {k.removeprefix("other_deals.*.") for k in keys}, \
        "a label for a key the schema does not have"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_row_of_the_inputs_table_is_labelled_in_words_with_its_key_in_small_print(path):
    sc = nc.load_scenario(path)
    html = BeautifulSoup(__import__("mistune").html(sources_table(sc)), "html.parser")
    rows = html.find_all("tr")[1:]
    assert len(rows) == len(sc.inputs())
    for row, (key, _, _) in zip(rows, sc.inputs()):
        cell = row.find("td")
        words = cell.find("span")
        assert words is not None and words["title"] == key, (key, str(cell))
        assert words.get_text().strip() and not DOTTED_KEY.match(words.get_text().strip()), (key, str(cell))
        assert cell.find("small").get_text() == key


def test_data_file_sources_reads_every_shipped_file():
    for name in ("gpu_prices.csv", "capacity.csv", "comparables.csv", "own_use_signals.csv", "contracts.yaml", "reported.yaml"):
        text = (ROOT / "neocloud/data" / name).read_text(encoding="utf-8")
        found = data_file_sources(name, text)
        assert found and all(s["url"].startswith("http") and s["rows"] >= 1 for s in found), name
        assert sum(s["rows"] for s in found) >= len(found)


def test_the_sources_page_is_written_once_and_the_same_bytes_again(tmp_path):
    scenarios = {p: nc.load_scenario(p) for p in (ROOT / "params/base.yaml", ROOT / "params/early_exit.yaml")}
    pages = write_sources_pages(tmp_path, scenarios, NOTEBOOKS, say=pytest.fail)
    assert [p.relative_to(tmp_path).as_posix() for p in pages] == [f"base/{SOURCES_PAGE}", f"early_exit/{SOURCES_PAGE}"]
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in pages}
    assert write_sources_pages(tmp_path, scenarios, NOTEBOOKS, say=pytest.fail) == pages
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in pages} == before  # unchanged, not rewritten
    html = pages[0].read_text(encoding="utf-8")
    assert not re.search(r"""<(script|link|img|iframe)\b""", html, re.I)  # nothing loaded, offline
    soup = BeautifulSoup(html, "html.parser")
    headers = [[th.get_text() for th in t.find_all("th")] for t in soup.find_all("table")]
    assert ["input", "value", "source or assumption"] in headers
    # every data file the base's reports declare has its section
    for name in ("gpu_prices.csv", "capacity.csv", "comparables.csv", "own_use_signals.csv", "contracts.yaml", "reported.yaml"):
        assert f"neocloud/data/{name}" in soup.get_text(), name
    # the page links back to the index and to the scenario's reports
    hrefs = {a["href"] for a in soup.find_all("a")}
    assert "../../index.html" in hrefs and "../deal.html" in hrefs


def test_every_report_links_its_scenario_sources_page_and_repeats_no_sources_table(rendered):
    scenarios = {p: nc.load_scenario(p) for p in SCENARIOS if (rendered / p.stem).is_dir()}
    index = BeautifulSoup((rendered / "index.html").read_text(encoding="utf-8"), "html.parser")
    index_links = {a["href"] for a in index.find_all("a")}
    for path, nb in report_pairs(scenarios, NOTEBOOKS):
        page = rendered / path.stem / SOURCES_PAGE
        assert page.is_file(), page
        assert f"{path.stem}/{SOURCES_PAGE}" in index_links, path.stem
        soup = BeautifulSoup((rendered / path.stem / f"{nb.stem}.html").read_text(encoding="utf-8"), "html.parser")
        assert soup.find("a", href=SOURCES_PAGE) is not None, (path.stem, nb.stem)
        headers = [[th.get_text(" ", strip=True) for th in t.find_all("th")] for t in soup.find_all("table")]
        assert not any(h[-1:] == ["source or assumption"] for h in headers), f"{path.stem}/{nb.stem} repeats the sources table"


def test_a_source_read_on_another_page_shows_both_links():
    """A source that cites the primary text (a filing) and keeps the page where the figure was
    read (``as_reported_by``) shows both on the sources page, in the same cell: the primary
    source, then ", as reported by" the secondary page; so do the data files' sources."""
    from neocloud.pipeline.sources_page import sources_page

    sc = nc.load_scenario(ROOT / "params/base.yaml")
    cited = [(k, item.source) for k, _, item in sc.inputs() if item.source is not None and item.source.as_reported_by]
    assert cited, "base cites no source read on another page"
    page = BeautifulSoup(sources_page(sc, "params/base.yaml", ["deal"], ["reported.yaml"], [], index=False), "html.parser")
    for key, source in cited:
        row = page.find("small", string=key).find_parent("tr")
        cell = next(td for td in row.find_all("td") if td.find("a", href=source.url))
        hrefs = [a["href"] for a in cell.find_all("a")]
        assert hrefs.index(source.url) < hrefs.index(source.as_reported_by.url), (key, hrefs)
        assert "as reported by" in cell.get_text(), key
    reported = yaml.safe_load((ROOT / "neocloud/data/reported.yaml").read_text(encoding="utf-8"))
    records = [r for r in reported["reported"] if r.get("as_reported_by")]
    assert records
    section = next(h for h in page.find_all("h3") if "reported.yaml" in h.get_text()).find_next("table")
    for r in records:
        cell = next(td for td in section.find_all("td") if td.find("a", href=r["source"]["url"]))
        assert cell.find("a", href=r["as_reported_by"]["url"]) is not None, r["id"]
