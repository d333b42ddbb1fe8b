"""The usual ways of running and exporting a report, as papermill, nbconvert and nbval users do
(issue 22): each gives the right report or a clear refusal. One scenario, one notebook (``deal``,
the quickest); every command is run as its users run it, in a fresh process."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import altair as alt
import nbformat
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import neocloud as nc
from neocloud.report.charts import MAX_CHART_ROWS
from neocloud.pipeline.export import RUN_MIME, ReportExporter, ReportRefused, run_record
from neocloud.report.start import PARAMETERS, ReportInputError, check_parameters, injected_parameters
from neocloud.inputs.scenario import Scenario, scenario_parameters

from conftest import NOTEBOOKS, PARAMS, ROOT, shared_papermill

BIN = Path(sys.executable).parent
DEAL = NOTEBOOKS / "deal.ipynb"
EARLY = nc.load_scenario(PARAMS / "early_exit.yaml")
VEGALITE = "application/vnd.vegalite.v5+json"


def run(*args: str, cwd: Path = ROOT, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def papermill(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return run(BIN / "papermill", *args, "--no-progress-bar", cwd=cwd)


def export(path: Path, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return run(BIN / "jupyter", "nbconvert", "--to", "neocloud-report", path, *args, cwd=cwd)


def outputs(nb) -> list[dict]:
    return [o for c in nb.cells for o in c.get("outputs", [])]


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> Path:
    """``deal`` executed by the papermill CLI for ``early_exit``, as the README shows (once for the
    test run: :func:`conftest.shared_papermill`), copied to a folder of this file's own."""
    out = tmp_path_factory.mktemp("executed") / "o.ipynb"
    shutil.copyfile(shared_papermill(tmp_path_factory, "deal", "params/early_exit.yaml"), out)
    return out


@pytest.fixture(scope="module")
def exported(executed, tmp_path_factory) -> bytes:
    """The executed notebook exported from the project folder by the nbconvert CLI."""
    res = export(executed)
    assert res.returncode == 0, res.stderr[-3000:]
    return executed.with_suffix(".html").read_bytes()


# --- parameters ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_papermill_shows_every_parameter_with_its_type(path):
    res = run(BIN / "papermill", "--help-notebook", path)
    assert res.returncode == 0, res.stderr
    assert "Unknown type" not in res.stdout
    assert "scenario_file: str (default 'params/base.yaml')" in res.stdout
    assert "scenario: Optional[dict] (default None)" in res.stdout


def test_a_scenario_given_as_papermill_parameters_file_is_refused_naming_scenario_file(tmp_path):
    out = tmp_path / "f.ipynb"
    res = papermill(DEAL, out, "-f", "params/early_exit.yaml")   # a scenario that extends the base: its own keys
    assert res.returncode != 0
    assert "ReportInputError: papermill parameters: 'extends', 'question', 'termination', 'title' are keys of a scenario file" in res.stderr
    assert "give the file as `-p scenario_file params/NAME.yaml`" in res.stderr
    # nothing of the base case was computed, and the notebook is not exported as a report
    nb = nbformat.read(out, as_version=4)
    assert not any(VEGALITE in o.get("data", {}) for o in outputs(nb))
    refused = export(out)
    assert refused.returncode == 2 and "its execution failed (cell [3] raised ReportInputError" in refused.stderr
    assert not out.with_suffix(".html").exists()


def test_unknown_parameters_are_an_error_through_the_python_api(tmp_path):
    import papermill as pm

    with pytest.raises(pm.PapermillExecutionError) as e:
        pm.execute_notebook(str(DEAL), str(tmp_path / "o.ipynb"), parameters={"scenario_fle": "params/early_exit.yaml"},
                            kernel_name="python3", progress_bar=False, cwd=str(ROOT))
    assert e.value.ename == "ReportInputError"
    assert "unknown parameter 'scenario_fle' = 'params/early_exit.yaml' (this report takes scenario_file, scenario)" \
        in e.value.evalue


NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True).filter(lambda s: s not in PARAMETERS)
VALUES = st.one_of(st.none(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=60),
                   st.lists(st.integers(), max_size=5), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))


@given(known=st.dictionaries(st.sampled_from(PARAMETERS), VALUES, max_size=2),
       unknown=st.dictionaries(st.one_of(NAMES, st.sampled_from(sorted(Scenario.model_fields))), VALUES, max_size=6))
def test_any_parameter_a_report_does_not_take_is_refused_in_one_line_each(known, unknown):
    """The kind: whatever papermill injects (its ``# Parameters`` cell, as the kernel's history
    holds it) is read back, and every name but ``scenario_file`` and ``scenario`` is refused,
    one line each; scenario keys get one line naming ``scenario_file``."""
    from papermill.translators import PythonTranslator

    injected = {**known, **unknown}
    source = PythonTranslator.codify(injected)
    assert injected_parameters(["x = 1", source, "y = 2"]) == injected
    if not unknown:
        check_parameters(injected)
        return
    with pytest.raises(ReportInputError) as e:
        check_parameters(injected)
    lines = str(e.value).splitlines()
    scenario_keys = [k for k in unknown if k in Scenario.model_fields]
    others = [k for k in unknown if k not in Scenario.model_fields]
    assert len(lines) == len(others) + bool(scenario_keys)
    assert all(line.startswith("papermill parameters: ") and "this report takes scenario_file, scenario" in line
               for line in lines)
    for name in others:
        assert any(f"unknown parameter '{name}' = " in line for line in lines)
    if scenario_keys:
        assert "-p scenario_file params/NAME.yaml" in lines[0]
        assert all(repr(k) in lines[0] for k in scenario_keys)


# --- what an executed notebook carries ---------------------------------------------------------


def test_the_executed_notebook_carries_its_record_and_exports_the_computed_scenario(executed, exported):
    nb = nbformat.read(executed, as_version=4)
    records = [o["data"][RUN_MIME] for o in outputs(nb) if RUN_MIME in o.get("data", {})]
    assert len(records) == 1 and records[0]["scenario_file"] == "params/early_exit.yaml"
    assert records[0]["scenario_title"] == EARLY.title and records[0]["version"] == nc.__version__
    html = exported.decode()
    assert f"<title>{EARLY.title}: deal</title>" in html
    assert "<code>params/early_exit.yaml</code>" in html
    assert RUN_MIME not in html


def test_export_is_the_same_from_any_folder_and_after_the_scenario_file_changed(executed, exported, tmp_path):
    # a folder with nothing of the project in it
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copyfile(executed, alone / "o.ipynb")
    res = export(Path("o.ipynb"), cwd=alone)
    assert res.returncode == 0, res.stderr[-2000:]
    assert (alone / "o.html").read_bytes() == exported
    # a project whose params/early_exit.yaml was edited after the run: the export shows what was computed
    edited = tmp_path / "edited"
    (edited / "params").mkdir(parents=True)
    text = (PARAMS / "early_exit.yaml").read_text(encoding="utf-8")
    (edited / "params" / "early_exit.yaml").write_text(text.replace(EARLY.title, "Edited after the run"), encoding="utf-8")
    shutil.copyfile(executed, edited / "o.ipynb")
    res = export(Path("o.ipynb"), cwd=edited)
    assert res.returncode == 0, res.stderr[-2000:]
    assert (edited / "o.html").read_bytes() == exported
    assert b"Edited after the run" not in exported
    # the Python API gives the same bytes
    body, _ = ReportExporter().from_filename(str(alone / "o.ipynb"))
    assert body.encode() == exported


def test_papermill_on_an_output_notebook_under_another_kernel_name_keeps_the_report_and_records_its_kernel(
        executed, exported, tmp_path):
    """The Python API with the project's engine: a notebook saved under a kernel this machine does
    not have ("my-env") runs on the current environment, records the kernel it ran on, and its
    report is named after the source notebook (``deal``), not the file papermill ran (``c1``)."""
    import papermill as pm

    from neocloud.pipeline.kernels import register_engine

    nb = nbformat.read(executed, as_version=4)
    nb.metadata.kernelspec = {"name": "my-env", "display_name": "My env", "language": "python"}
    c1 = tmp_path / "c1.ipynb"
    nbformat.write(nb, c1)
    c2 = tmp_path / "c2.ipynb"
    pm.execute_notebook(str(c1), str(c2), parameters={"scenario_file": "params/early_exit.yaml"},
                        engine_name=register_engine(), progress_bar=False, cwd=str(ROOT))
    ran = nbformat.read(c2, as_version=4)
    assert ran.metadata.kernelspec["name"] == "python3" and ran.metadata.kernelspec["language"] == "python"
    assert ran.metadata.papermill["input_path"] == str(c1)
    res = export(c2)
    assert res.returncode == 0, res.stderr[-2000:]
    assert c2.with_suffix(".html").read_bytes() == exported  # the same report: "...: deal"


# --- refusals ------------------------------------------------------------------------------------


def _never_executed(nb):
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    return nb


def _failed(nb):
    code = [c for c in nb.cells if c.cell_type == "code"]
    code[5].outputs.append(nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                                  traceback=[]))
    return nb


def _out_of_order(nb):
    code = [c for c in nb.cells if c.cell_type == "code"]
    code[4].execution_count, code[6].execution_count = code[6].execution_count, code[4].execution_count
    return nb


def _inject(nb, **parameters):
    """What ``papermill --prepare-only`` does to an executed notebook: new parameters in the
    injected cell and the metadata, over the old outputs."""
    from papermill.translators import PythonTranslator

    params = {**nb.metadata.papermill["parameters"], **parameters}
    nb.metadata.papermill["parameters"] = params
    cell = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    cell.source = PythonTranslator.codify(params)
    return nb


def _other_scenario(nb):
    return _inject(nb, scenario_file="params/base.yaml")


def _other_data(nb):
    return _inject(nb, scenario=scenario_parameters(nc.load_scenario(PARAMS / "base.yaml")))


def _no_record(nb):
    for c in nb.cells:
        if c.get("outputs"):
            c.outputs = [o for o in c.outputs if RUN_MIME not in o.get("data", {})]
    return nb


def _foreign(nb):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)", execution_count=1)])


REFUSALS = {
    "empty file": (None, "an empty file, not a notebook"),
    "not json": ("{not json", "not a notebook (NotJSONError"),
    "no cells": (lambda nb: nbformat.v4.new_notebook(), "an empty notebook (no cells)"),
    "not a neocloud report": (_foreign, "not a neocloud report"),
    "never executed": (_never_executed, "never executed: run it with `papermill"),
    "execution failed": (_failed, "its execution failed (cell [6] raised ZeroDivisionError: division by zero)"),
    "cells out of order": (_out_of_order, "its cells were not executed top to bottom in one run"),
    "parameters of another scenario": (_other_scenario, "its outputs were computed for params/early_exit.yaml, not "
                                                        "for the scenario its parameters name (params/base.yaml"),
    "scenario data of another scenario": (_other_data, "its outputs were computed for params/early_exit.yaml"),
    "no record": (_no_record, "its outputs carry no record of the scenario"),
}


def _write_case(executed: Path, path: Path, case: str) -> str:
    change, reason = REFUSALS[case]
    if change is None:
        path.write_text("", encoding="utf-8")
    elif isinstance(change, str):
        path.write_text(change, encoding="utf-8")
    else:
        nbformat.write(change(nbformat.read(executed, as_version=4)), path)
    return reason


@pytest.mark.parametrize("case", list(REFUSALS))
def test_the_exporter_refuses_what_is_not_an_executed_report(executed, tmp_path, case):
    """Through the exporter's Python API (what the nbconvert command calls): one line naming the
    file and what to do."""
    path = tmp_path / "x.ipynb"
    reason = _write_case(executed, path, case)
    with pytest.raises(ReportRefused) as e:
        ReportExporter().from_filename(str(path))
    assert str(e.value).startswith(f"{path}: ") and reason in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("case", ["empty file", "not a neocloud report", "never executed", "execution failed"])
def test_the_nbconvert_command_refuses_in_one_line_with_status_2(executed, tmp_path, case):
    path = tmp_path / "x.ipynb"
    reason = _write_case(executed, path, case)
    res = export(path, cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    ours = [line for line in res.stderr.splitlines() if not line.startswith("[NbConvertApp]")]
    assert len(ours) == 1 and ours[0].startswith(f"{path}: ") and reason in ours[0], res.stderr
    assert "Traceback" not in res.stderr and not path.with_suffix(".html").exists()


def test_prepare_only_is_never_exported_under_the_scenario_it_names(executed, tmp_path):
    """``papermill --prepare-only`` injects the parameters over outputs computed for another
    scenario (the committed notebook's, or an executed one's): refused, never exported."""
    for source, scenario in [(DEAL, "params/early_exit.yaml"), (executed, "params/base.yaml")]:
        p = tmp_path / f"p-{Path(source).stem}.ipynb"
        res = papermill("--prepare-only", source, p, "-p", "scenario_file", scenario)
        assert res.returncode == 0, res.stderr[-2000:]
        refused = export(p)
        assert refused.returncode == 2 and "run it with `papermill" in refused.stderr, refused.stderr
        assert not p.with_suffix(".html").exists()


@given(st.data())
def test_any_break_of_one_run_is_refused(executed, data):
    """The kind behind the examples above: the executed notebook with one cell's record broken
    at random (a count, an output, a parameter) is refused, never exported."""
    nb = nbformat.read(executed, as_version=4)
    run_record(nb)  # the unbroken notebook is a report
    broken = copy.deepcopy(nb)
    code = [c for c in broken.cells if c.cell_type == "code"]
    i = data.draw(st.integers(0, len(code) - 1), label="code cell")
    how = data.draw(st.sampled_from(["count", "unrun", "error", "parameter"]), label="break")
    if how == "count":
        other = data.draw(st.integers(0, len(code) - 1).filter(lambda j: j != i), label="other cell")
        code[i].execution_count = code[other].execution_count
    elif how == "unrun":
        code[i].execution_count = None
    elif how == "error":
        code[i].outputs.append(nbformat.v4.new_output("error", ename="E", evalue="x", traceback=[]))
    else:
        _inject(broken, scenario_file=data.draw(
            st.text(min_size=1, max_size=30).filter(lambda s: s != "params/early_exit.yaml"), label="scenario_file"))
    with pytest.raises(ReportRefused):
        run_record(broken)


# --- the plain HTML export, nbval, chart data ------------------------------------------------------


def test_plain_html_export_says_how_to_get_the_charts(executed, tmp_path):
    shutil.copyfile(executed, tmp_path / "o.ipynb")
    res = run(BIN / "jupyter", "nbconvert", "--to", "html", "--no-input", "o.ipynb", cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    html = (tmp_path / "o.html").read_text(encoding="utf-8")
    nb = nbformat.read(executed, as_version=4)
    charts = [o for o in outputs(nb) if VEGALITE in o.get("data", {})]
    assert len(charts) >= 4
    assert "renderer has not been properly enabled" not in html
    assert html.count("This export cannot draw charts: `jupyter nbconvert --to neocloud-report NOTEBOOK.ipynb`") \
        == len(charts)
    for chart in charts:  # each says which chart it stands for
        title = chart["data"][VEGALITE]["title"]["text"]
        title = chart["data"][VEGALITE]["usermeta"]["title"] if isinstance(title, dict) else title  # follows its controls
        assert f"[Chart: {title}. " in chart["data"]["text/plain"]


def test_nbval_runs_a_notebook_saved_under_another_kernel_name(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "params").mkdir()
    shutil.copyfile(PARAMS / "base.yaml", tmp_path / "params" / "base.yaml")
    nb = nbformat.read(DEAL, as_version=4)
    nb.metadata.kernelspec = {"name": "my-env", "display_name": "My env", "language": "python"}
    nbformat.write(nb, tmp_path / "notebooks" / "deal.ipynb")
    res = run(sys.executable, "-m", "pytest", "-c", ROOT / "pyproject.toml", "--rootdir", tmp_path,
              "notebooks/deal.ipynb", "-q", cwd=tmp_path)
    assert res.returncode == 0, res.stdout[-3000:]
    assert "NoSuchKernel" not in res.stdout and " passed" in res.stdout
    # without the project's configuration, nbval looks the saved kernel name up (the failure fixed)
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --nbval-lax -p no:cacheprovider\n", encoding="utf-8")
    bare = run(sys.executable, "-m", "pytest", "-c", tmp_path / "pytest.ini", "notebooks/deal.ipynb", "-q", "-x",
               cwd=tmp_path)
    assert bare.returncode != 0 and "NoSuchKernel" in bare.stdout


@pytest.mark.parametrize("rows", [1, MAX_CHART_ROWS, MAX_CHART_ROWS + 1, 200_000])
def test_chart_data_above_the_stated_size_is_refused(rows):
    chart = alt.Chart(pd.DataFrame({"x": range(rows), "y": 0.5})).mark_line().encode(x="x:Q", y="y:Q")
    with alt.data_transformers.enable("neocloud"):
        if rows <= MAX_CHART_ROWS:
            assert len(next(iter(chart.to_dict()["datasets"].values()))) == rows
        else:
            with pytest.raises(alt.MaxRowsError, match=f"chart data of {rows:,} rows is more than the {MAX_CHART_ROWS:,}"):
                chart.to_dict()


def test_every_notebook_names_its_report_and_records_the_kernel_it_ran_on():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        assert nb["metadata"]["neocloud"] == {"report": path.stem}
        assert nb["metadata"]["kernelspec"]["name"] == "python3"


def test_render_runs_a_notebook_saved_under_another_kernel_name_and_writes_the_papermill_report(
        exported, tmp_path):
    """``neocloud render`` (its warm kernel and papermill engine) runs ``deal`` saved under a
    kernel this machine does not have, records the kernel it ran on, and writes the very bytes
    that papermill + ``jupyter nbconvert --to neocloud-report`` write."""
    from conftest import neocloud_cli

    nbs = tmp_path / "nbs"
    nbs.mkdir()
    nb = nbformat.read(DEAL, as_version=4)
    nb.metadata.kernelspec = {"name": "my-env", "display_name": "My env", "language": "python"}
    nbformat.write(nb, nbs / "deal.ipynb")
    res = neocloud_cli("render", "--notebooks", str(nbs), "--outputs", str(tmp_path / "out"), "params/early_exit.yaml")
    assert res.returncode == 0, res.stdout + res.stderr
    rendered = nbformat.read(tmp_path / "out" / "early_exit" / "deal.ipynb", as_version=4)
    assert rendered.metadata.kernelspec["name"] == "python3"
    assert rendered.metadata.neocloud["run"]["scenario_file"] == "params/early_exit.yaml"
    assert (tmp_path / "out" / "early_exit" / "deal.html").read_bytes() == exported


def test_a_whole_scenario_file_given_as_papermill_parameters_is_refused_the_same_way():
    """The base case (every key written out) as papermill's parameters file: the same refusal."""
    from neocloud.report.start import ReportInputError, check_parameters
    from neocloud.inputs.sourced import _read_yaml

    with pytest.raises(ReportInputError, match=r"'as_of', (?:'book', )?'buyer_name', .* are keys of a scenario file"):
        check_parameters(_read_yaml(PARAMS / "base.yaml"))


# --- the sources page beside the report (issue 21, item 6) --------------------------------------


def _relative_links(html: str) -> list[str]:
    """The addresses a page links or loads that are files beside it (not the web, not anchors)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    found = [a.get(attr) for tag, attr in (("a", "href"), ("link", "href"), ("script", "src"), ("img", "src"))
             for a in soup.find_all(tag) if a.get(attr)]
    return [h for h in found if not h.startswith(("http://", "https://", "#", "mailto:", "data:"))]


def test_an_export_from_another_folder_writes_the_sources_page_its_links_need(executed, tmp_path):
    """The usual way is whole: the report exported from another folder links its sources page
    and the page exists beside it; every link of both resolves to a file; the page loads nothing
    from the web; a second export writes the same bytes; no scenario file is read (the
    notebook carries the scenario)."""
    from urllib.parse import unquote

    here, elsewhere = tmp_path / "reports", tmp_path / "elsewhere"
    here.mkdir(), elsewhere.mkdir()
    nb = here / "my deal.ipynb"
    shutil.copy(executed, nb)
    res = export(Path("../reports/my deal.ipynb"), cwd=elsewhere)
    assert res.returncode == 0, res.stderr[-3000:]
    html, page = here / "my deal.html", here / "sources" / "index.html"
    assert page.is_file(), sorted(p.name for p in here.rglob("*"))
    report, sources = html.read_text(encoding="utf-8"), page.read_text(encoding="utf-8")
    # the report's own links (its header, its Sources line; the words of a notebook may link other reports)
    assert "sources/index.html" in _relative_links(report) and "../index.html" not in _relative_links(report)
    links = _relative_links(sources)
    assert "../my%20deal.html" in links
    dead = [h for h in links if not (page.parent / unquote(h)).is_file()]
    assert not dead, dead
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?://", sources)
    assert "Monthly fee" in sources and "early_exit" in sources   # the scenario's inputs, computed for early_exit
    first = html.read_bytes(), page.read_bytes()
    res = export(nb, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-3000:]
    assert (html.read_bytes(), page.read_bytes()) == first


def test_the_usual_ways_sources_page_is_the_renders_but_for_the_links_to_what_it_did_not_write(
        executed, tmp_path, monkeypatch):
    """The page the export writes is the render's page for the same scenario and report, byte
    for byte, except its line of links: the render's also links its index of reports (which
    ``jupyter nbconvert`` does not write). A render of several reports lists them all there,
    with the data files they read."""
    from neocloud.pipeline.sources_page import SOURCES_PAGE, write_sources_pages

    monkeypatch.chdir(ROOT)
    out = tmp_path / "usual"
    out.mkdir()
    shutil.copy(executed, out / "deal.ipynb")
    res = export(out / "deal.ipynb")
    assert res.returncode == 0, res.stderr[-3000:]
    usual = (out / SOURCES_PAGE).read_text(encoding="utf-8")
    rendered = tmp_path / "render"
    [page] = write_sources_pages(rendered, {Path("params/early_exit.yaml"): nc.load_scenario("params/early_exit.yaml")},
                                 [DEAL], say=lambda s: None)
    nav = '<p class="nc-nav">'
    assert page.read_text(encoding="utf-8") == usual.replace(nav, nav + '<a href="../../index.html">All reports</a> &middot; ', 1)


def test_plain_html_export_shows_no_dead_link_to_the_sources_page(executed, tmp_path):
    """``jupyter nbconvert --to html`` (nbconvert's own exporter, which writes no sources page)
    names the page without linking it; ``--to neocloud-report`` links it."""
    nb = tmp_path / "r.ipynb"
    shutil.copy(executed, nb)
    res = run(BIN / "jupyter", "nbconvert", "--to", "html", nb, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "sources/index.html" in html and "sources and assumptions" in html   # named...
    assert 'href="sources/index.html"' not in html and not (tmp_path / "sources").exists()   # ...not linked


def test_a_notebook_that_carries_no_scenario_data_exports_with_no_link_to_a_page_it_cannot_write(executed):
    """An executed report run by an older neocloud (no scenario in its record, its words linking
    the page as plain Markdown): the export writes no sources page and links none."""
    from neocloud.report.narrative import LINKED_MARKDOWN_MIME

    nb = nbformat.read(executed, as_version=4)
    older = 0
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            if RUN_MIME in data:
                data[RUN_MIME].pop("scenario_json")
            if LINKED_MARKDOWN_MIME in data:
                data["text/markdown"] = data.pop(LINKED_MARKDOWN_MIME)
                older += 1
    assert older == 1
    body, resources = ReportExporter().from_notebook_node(nb, resources={"metadata": {"name": "o"}})
    assert not resources.get("outputs") and 'href="sources/index.html"' not in body
    assert "sources and assumptions (the page" in body   # named, not linked
    body, resources = ReportExporter().from_notebook_node(nbformat.read(executed, as_version=4),
                                                         resources={"metadata": {"name": "o"}})
    assert set(resources["outputs"]) == {"sources/index.html"} and body.count('href="sources/index.html"') == 2
