"""The committed notebooks and the reports rendered from them."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import neocloud as nc
from neocloud.report.narrative import pct, usd
from neocloud.pipeline.notebooks import declaration, parameter_defaults, report_pairs
from neocloud.inputs.scenario import scenario_parameters

from conftest import NOTEBOOKS, ROOT, SCENARIOS, shared_papermill

NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("*.ipynb"))
NAMES = [p.stem for p in NOTEBOOK_FILES]
PAIRS = [(s.stem, nb.stem) for s, nb in report_pairs({p: nc.load_scenario(p) for p in SCENARIOS}, NOTEBOOK_FILES)]
"""Every report a render makes: every scenario through every notebook, the market once per date."""


def own_parameters(path: Path) -> list[str]:
    return [line.split(":")[0] for line in declaration(path).parameters]


def test_the_four_reports_exist():
    assert NAMES == ["deal", "ipo_narrative", "market", "termination"]
    assert ("base", "market") in PAIRS and ("early_exit", "market") not in PAIRS   # one date, one market report
    assert len(PAIRS) == 3 * len(SCENARIOS) + 1


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=NAMES)
def test_parameters_default_to_base_yaml(path):
    nb = nbformat.read(path, as_version=4)
    defaults = parameter_defaults(nb)
    assert defaults == {"scenario_file": "params/base.yaml", "scenario": None, **dict.fromkeys(own_parameters(path))}, \
        "the parameters cell should name params/base.yaml: run `neocloud notebooks`"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=NAMES)
def test_notebooks_are_lean_and_call_the_library(path):
    raw = path.read_text(encoding="utf-8")
    assert len(raw) < 1_000_000
    assert "vegaEmbed" not in raw and "<script" not in raw  # no chart library inside
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                assert module.split(".")[0] == "neocloud", f"{path.name}: imports {module}; maths belongs in neocloud"
            assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda)), f"{path.name} defines code"
    tagged = [c for c in nb.cells if "nbval-check-output" in c.get("metadata", {}).get("tags", [])]
    assert tagged, "headline cells are tagged for nbval"
    assert all(c.get("outputs") for c in tagged), "committed notebooks carry outputs for nbval"


def test_the_notebooks_share_one_setup_call():
    """The cell after the parameters reads the scenario through one library function, the same in
    every report (nothing to keep in step by hand)."""
    for path in NOTEBOOK_FILES:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert "parameters" in code[0].metadata.get("tags", [])
        calls = [n for n in ast.walk(ast.parse(code[1].source)) if isinstance(n, ast.Call)]
        assert [ast.unparse(c.func) for c in calls] == ["nc.start_report"], path.name
        own = "".join(f", {name}={name}" for name in own_parameters(path))
        if declaration(path).applies:  # a report that does not apply to every scenario names itself
            own += f', report="{path.stem}"'
        assert f"sc, fig = nc.start_report(scenario_file, scenario{own})" in code[1].source, path.name


def test_the_termination_report_states_the_sobol_indices_the_library_computes(rendered):
    sc = nc.load_scenario(ROOT / "params/base.yaml")
    found = nc.sobol_findings(nc.sobol_analysis(sc), list(nc.TORNADO_LABELS))
    html = (rendered / "base" / "termination.html").read_text(encoding="utf-8")
    hz = found["expected_revenue_usd"]
    assert f"explains {pct(hz['top_S1'], 0)} alone ({pct(hz['top_ST'], 0)} with interactions)" in html
    assert "Market-driven revenue hinges on the market price" in html


@pytest.mark.parametrize("scenario, name", PAIRS)
def test_every_notebook_runs_for_every_scenario(rendered, scenario, name):
    nb = nbformat.read(rendered / scenario / f"{name}.ipynb", as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    streams = [o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream"]
    assert not errors and not any("Warning" in s for s in streams), (errors, streams)
    assert nb.metadata.papermill["parameters"]["scenario_file"] == f"params/{scenario}.yaml"
    charts = [o for c in nb.cells for o in c.get("outputs", []) if "application/vnd.vegalite.v5+json" in o.get("data", {})]
    assert len(charts) >= 4
    for chart in charts:
        spec = chart["data"]["application/vnd.vegalite.v5+json"]
        text = json.dumps(spec)
        assert spec["title"]["text"] and "Sources: " in text  # a finding as title, sources below
        assert '"tooltip"' in text


def test_reports_state_the_figures_the_code_computed(rendered):
    for scenario in SCENARIOS:
        f = nc.headline_figures(nc.load_scenario(scenario))
        html = (rendered / scenario.stem / "deal.html").read_text(encoding="utf-8")
        for value in (f["total_contract_value_usd"], f["committed_floor_usd"]):
            assert usd(value) in html.replace("\\$", "$")
    base = (rendered / "base" / "deal.html").read_text(encoding="utf-8")
    free = (rendered / "free_ramp" / "deal.html").read_text(encoding="utf-8")
    assert "$45.0B" in base and "$43.75B" in free and "$43.75B</strong> if the contract" not in base


@pytest.mark.parametrize("scenario", [p.stem for p in SCENARIOS])
def test_html_is_offline_small_and_hides_code(rendered, scenario):
    for name in (n for s, n in PAIRS if s == scenario):
        html = (rendered / scenario / f"{name}.html").read_text(encoding="utf-8")
        assert len(html.encode()) < 2_000_000
        assert not re.search(r"""<(script|link|img|iframe)[^>]+(src|href)=["']?(https?:)?//""", html, re.I)
        assert "@import" not in html and not re.search(r"""url\(\s*["']?(https?:)?//""", html)
        assert html.count("window.vegaEmbed=") == 1  # the chart library, once
        assert "import neocloud" not in html and "jp-InputArea-editor" not in html
        assert f"params/{scenario}.yaml" in html and nc.__version__ in html and "Inputs as of" in html


def test_index_links_every_report(rendered):
    html = (rendered / "index.html").read_text(encoding="utf-8")
    for scenario, name in PAIRS:
        href = f"{scenario}/{name}.html"
        assert f'href="{href}"' in html and (rendered / href).is_file()
    assert "$45.0B" in html and "$43.75B" in html and "$46.25B" in html


BIN = Path(sys.executable).parent


def _papermill(notebook: str, out: Path, *args: str) -> subprocess.CompletedProcess:
    """The papermill command as its users call it, from the project folder."""
    return subprocess.run([str(BIN / "papermill"), notebook, str(out), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_papermill_cli_computes_the_scenario_file_and_nbconvert_exports_the_same_report(rendered, tmp_path, tmp_path_factory):
    out = tmp_path / "termination.ipynb"  # the README's papermill command, run once for the test run
    shutil.copyfile(shared_papermill(tmp_path_factory, "termination", "params/early_exit.yaml"), out)
    executed = nbformat.read(out, as_version=4)
    # the report's words (its Markdown outputs), not the chart data: a control's grid holds the
    # expected revenue at other probabilities too, the base case's 5% among them
    text = "\n".join(o["data"]["text/markdown"] for c in executed.cells for o in c.get("outputs", [])
                     if "text/markdown" in o.get("data", {})).replace("\\$", "$")
    early = nc.headline_figures(nc.load_scenario("params/early_exit.yaml"))
    base = nc.headline_figures(nc.load_scenario("params/base.yaml"))
    assert usd(early["expected_revenue_usd"]) in text and usd(base["expected_revenue_usd"]) not in text
    assert early["title"] in text

    export = subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "neocloud-report", str(out)], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert export.returncode == 0, export.stderr[-3000:]
    html = out.with_suffix(".html").read_bytes()
    assert html == (rendered / "early_exit" / "termination.html").read_bytes()

    # exporting a rendered notebook again gives its report, byte for byte
    again = tmp_path / "again"
    again.mkdir()
    (again / "deal.ipynb").write_bytes((rendered / "early_exit" / "deal.ipynb").read_bytes())
    export = subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "neocloud-report", str(again / "deal.ipynb")],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert export.returncode == 0, export.stderr[-3000:]
    assert (again / "deal.html").read_bytes() == (rendered / "early_exit" / "deal.html").read_bytes()


def test_papermill_scenario_that_disagrees_with_its_file_is_a_clear_error(tmp_path):
    base = json.dumps({"scenario": scenario_parameters(nc.load_scenario("params/base.yaml"))})
    run = _papermill("notebooks/deal.ipynb", tmp_path / "out.ipynb", "-p", "scenario_file", "params/early_exit.yaml",
                     "-y", base)
    assert run.returncode != 0
    assert "params/early_exit.yaml: the 'scenario' parameter differs from this file" in run.stderr


def test_a_missing_scenario_file_is_a_clear_error(tmp_path):
    run = _papermill("notebooks/deal.ipynb", tmp_path / "out.ipynb", "-p", "scenario_file", "params/nope.yaml")
    assert run.returncode != 0 and "params/nope.yaml: file not found" in run.stderr
