"""A report that does not apply to a scenario (issue 21): the termination report of a deal that is
take-or-pay (no notice right to model). ``neocloud render`` writes, in the report's place, a page
saying why (linked from the index, marked "does not apply", counted as such) and exits 0;
papermill stops the notebook in its first cell with one sentence; the words of the other reports
and the JSON assume no notice right."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

import neocloud as nc
from neocloud.analysis.summary import headline_figures
from neocloud.pipeline.notebooks import DECLARATIONS
from neocloud.report.narrative import prospectus_questions
from neocloud.report.start import APPLIES

from conftest import NOTEBOOKS, PARAMS, ROOT, neocloud_cli
from test_links import dead_links

BIN = Path(sys.executable).parent
TAKE_OR_PAY = """\
extends: base.yaml
title: "CoreWeave's first OpenAI contract, take-or-pay"
question: What is OpenAI's first CoreWeave contract worth to CoreWeave, with no termination for convenience?
deal_name: "OpenAI - CoreWeave (1)"
seller_name: "CoreWeave"
buyer_name: "OpenAI"
book: {seller: CoreWeave, deal: coreweave-openai-1}
terms:
  start: null
  capacity_mw: {value: 250.0, assumption: true, note: "Not disclosed; for the per-MW figures only."}
key_dates:
  announced: {value: 2025-03-10, assumption: true, note: "Taken as the signing date."}
  ipo: {value: 2025-03-28, assumption: true, note: "CoreWeave's Nasdaq listing, 28 March 2025."}
gpu_bases:
  reported: null
  colossus_1_and_2: null
  h100_equivalent: {value: 100000, label: "H100-equivalents (illustrative)", assumption: true, note: "Not disclosed."}
headlines: []
termination_readings: []
seller:
  baseline_revenue_usd_per_year: {value: 5.13e+9, assumption: true, note: "CoreWeave's 2025 revenue, about $5.1B."}
"""
WHY = "OpenAI - CoreWeave (1) is take-or-pay (no termination for convenience), so there is no notice right"


@pytest.fixture(scope="module")
def params(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("params")
    shutil.copy(PARAMS / "base.yaml", folder / "base.yaml")
    (folder / "take_or_pay.yaml").write_text(TAKE_OR_PAY, encoding="utf-8")
    return folder


def words(path: Path) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


def test_the_declarations_and_the_first_cell_read_the_same_rule(params):
    sc = nc.load_scenario(params / "take_or_pay.yaml")
    assert DECLARATIONS["termination"].applies == "termination"
    assert all(d.applies is None or d.applies in APPLIES for d in DECLARATIONS.values())
    assert WHY in APPLIES["termination"](sc)
    assert APPLIES["termination"](nc.load_scenario(PARAMS / "base.yaml")) is None
    assert all(d.applies is None or APPLIES[d.applies](nc.load_scenario(PARAMS / "base.yaml")) is None
               for d in DECLARATIONS.values())


def test_a_take_or_pay_scenario_renders_with_a_page_where_the_termination_report_would_be(params, tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name in ("deal", "termination"):  # the report that applies and the one that does not
        shutil.copy(NOTEBOOKS / f"{name}.ipynb", notebooks / f"{name}.ipynb")
    out = tmp_path / "out"
    args = ("render", "--outputs", str(out), "--params", str(params), "--notebooks", str(notebooks),
            str(params / "take_or_pay.yaml"))
    res = neocloud_cli(*args)
    said = res.stdout + res.stderr
    assert res.returncode == 0, said
    assert "1 rendered, 0 up to date, 0 failed, 1 not applicable (a page says why), 0 invalid" in said, said
    assert f"does not apply: take_or_pay/termination: {WHY}" in said
    folder = out / "take_or_pay"
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "deal.html", "deal.ipynb", "sources", "termination.html"]   # nothing executed, no notebook
    page = words(folder / "termination.html")
    assert "OpenAI - CoreWeave (1): the termination report does not apply" in page and WHY in page
    assert "Traceback" not in page and "Error" not in page
    # the page has the reports' look and header, and loads nothing
    soup = BeautifulSoup((folder / "termination.html").read_text(encoding="utf-8"), "html.parser")
    assert "nc-report" in soup.body["class"] and soup.find(class_="nc-meta") is not None
    assert not soup.find_all(["script", "img", "iframe"]) and not soup.find_all("link")
    # the index links it, marked "does not apply" (not failed); the sources page links it too
    index = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser")
    card = index.find(id="scenario-take_or_pay")
    item = next(li for li in card.find_all("li") if li.find("a", href="take_or_pay/termination.html"))
    assert "(does not apply)" in item.get_text() and "failed" not in item.get_text()
    assert WHY in item.find(class_="nc-not-applicable")["title"]
    assert "Notice / lock-up" in card.get_text() and "none (take-or-pay)" in card.get_text()
    sources = BeautifulSoup((folder / "sources" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert sources.find("a", href="../termination.html") is not None
    assert dead_links(out) == []
    # the deal report assumes no notice right
    deal = words(folder / "deal.html")
    assert "take-or-pay (no termination for convenience)" in deal and "days' notice from" not in deal
    assert "None applies here" in deal and "reading the termination terms as" not in deal
    # a second render writes the same page and says the same
    before = (folder / "termination.html").read_bytes()
    again = neocloud_cli(*args)
    said = again.stdout + again.stderr  # a no-op: answered from the render's stamp, saying the same
    assert again.returncode == 0 and "0 rendered, 1 up to date, 0 failed, 1 not applicable" in said, said
    assert f"does not apply: take_or_pay/termination: {WHY}" in said
    assert (folder / "termination.html").read_bytes() == before


def test_papermill_of_the_termination_notebook_stops_in_its_first_cell_with_one_sentence(params, tmp_path):
    out = tmp_path / "t.ipynb"
    res = subprocess.run([str(BIN / "papermill"), str(NOTEBOOKS / "termination.ipynb"), str(out), "-p", "scenario_file",
                          str(params / "take_or_pay.yaml"), "-k", "python3", "--no-progress-bar"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode != 0
    sentence = f"ReportDoesNotApply: The termination report does not apply to {params / 'take_or_pay.yaml'}: {WHY}"
    assert sentence in res.stderr, res.stderr[-3000:]
    nb = nbformat.read(out, as_version=4)
    errors = [(i, o) for i, c in enumerate(nb.cells) for o in c.get("outputs", []) if o.get("output_type") == "error"]
    [(i, error)] = errors
    assert "start_report(" in nb.cells[i].source   # the first cell, before anything is computed
    assert len(error["traceback"]) == 1 and error["traceback"][0].startswith(sentence)   # one sentence, no traceback
    assert error["traceback"][0].count(". ") == 0 and error["traceback"][0].endswith("headline backlog.")
    assert not any(c.get("execution_count") for c in nb.cells[i + 1:] if c.cell_type == "code")


def test_the_words_and_the_json_of_a_take_or_pay_deal_assume_no_notice_right(params):
    f = headline_figures(nc.load_scenario(params / "take_or_pay.yaml"))
    assert f["terms"]["take_or_pay"] is True
    assert f["terms"]["notice_days"] is None and f["terms"]["lockup_months"] is None
    qs = " ".join(prospectus_questions(f, 0.3, 0.62))
    assert "termination right." not in qs and "leave with notice" not in qs and "chance of notice" not in qs
    assert "walk away on notice" not in qs   # CoreWeave's book is take-or-pay throughout
    assert "The contract is take-or-pay (no termination for convenience)" in qs
    base = headline_figures(nc.load_scenario(PARAMS / "base.yaml"))
    assert base["terms"]["notice_days"] == 90
    assert "under a 90-day termination right" in " ".join(prospectus_questions(base, 0.3, 0.62))
