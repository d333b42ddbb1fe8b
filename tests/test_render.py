"""The pipeline: reproducible bytes, incremental renders, nothing good lost on any failure."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT
from helpers import FIGURES_TITLE, HELLO, copy_scenario, make_notebook, render_cli, reports_only, snapshot

def digest(folder: Path) -> dict[str, str]:
    return {k: hashlib.sha256(v).hexdigest() for k, v in reports_only(snapshot(folder)).items()}


def test_same_inputs_give_the_same_bytes(tmp_path, rendered, rendered_base_alone):
    # two fresh processes: a render of the base case alone, and the session's render of every
    # scenario (other workers, kernels and order); then the index again in a third process
    a = rendered_base_alone
    b = a.with_name(f"{a.name}-again-{os.getpid()}")  # beside it: the reports name their scenario file relative to the folder
    da = digest(a)
    db = {k: v for k, v in digest(rendered).items() if k.startswith("base/")}
    assert len(da) == 9 and da == db  # 4 notebooks (the market report once for this date) x (html, ipynb), the sources page; the index below
    shutil.rmtree(b, ignore_errors=True)
    shutil.copytree(a, b)
    (b / "index.html").unlink()
    res = render_cli(b, "params/base.yaml")
    assert res.returncode == 0 and "0 rendered, 4 up to date" in res.stdout, res.stdout + res.stderr
    text = (a / "base" / "deal.ipynb").read_text()
    nb = nbformat.reads(text, as_version=4)
    assert set(nb.metadata.papermill) <= {"parameters", "version"}  # no times, no paths
    assert all("execution" not in c.metadata and "papermill" not in c.metadata for c in nb.cells)
    assert str(a) not in text and str(tmp_path) not in text and str(ROOT) not in text
    assert (a / "index.html").read_bytes() == (b / "index.html").read_bytes()


def test_incremental_render(tmp_path):
    nbs = tmp_path / "nbs"
    make_notebook(nbs / "one.ipynb", HELLO)
    make_notebook(nbs / "two.ipynb", HELLO)
    params = tmp_path / "params"
    s1 = copy_scenario(params, "s1")
    copy_scenario(params, "s2")
    out = tmp_path / "out"
    first = render_cli(out, "--params", str(params), notebooks=nbs)
    assert first.returncode == 0 and "4 rendered" in first.stdout, first.stdout + first.stderr

    again = render_cli(out, "--params", str(params), notebooks=nbs)  # its time is in `neocloud.commands.bench`
    assert again.returncode == 0 and "0 rendered, 4 up to date" in again.stdout

    s1.write_text(s1.read_text().replace('title: "Base case', 'title: "Changed case'))
    changed = render_cli(out, "--params", str(params), notebooks=nbs)
    assert "2 rendered, 2 up to date" in changed.stdout, changed.stdout
    assert "Changed case" in (out / "s1" / "one.ipynb").read_text()

    make_notebook(nbs / "two.ipynb", HELLO, "print('edited')")
    assert "2 rendered, 2 up to date" in render_cli(out, "--params", str(params), notebooks=nbs).stdout
    assert "6 rendered" not in (forced := render_cli(out, "--params", str(params), "--force", notebooks=nbs)).stdout
    assert "4 rendered" in forced.stdout


def test_cache_key_covers_package_source_and_lock(tmp_path, monkeypatch):
    from neocloud.pipeline import cache

    key = cache.environment_key()
    assert key == cache.environment_key()
    monkeypatch.setattr(cache, "PACKAGE_DIR", ROOT / "tests")  # other source files -> other key
    assert cache.environment_key() != key


def test_string_parameters_reach_the_kernel_exactly(tmp_path):
    marker = tmp_path / "pwned"
    nasty = (f'He said "quit" \'now\'\nline two \\n """triple""" \u00e9\u2603 {{braces}} '
             f'"); open({str(marker)!r}, "w").write("x"); ("')
    nbs = tmp_path / "nbs"
    make_notebook(nbs / "echo.ipynb", "import json\nprint(json.dumps(scenario['question']))")
    params = tmp_path / "params"
    copy_scenario(params, "s", **{"question: >-\n  What is the Colossus 1 deal worth to the seller on the terms reported from the amended S-1,\n  and how much of that can the buyer walk away from?\n":
                                  "question: " + json.dumps(nasty) + "\n"})
    out = tmp_path / "out"
    res = render_cli(out, "--params", str(params), notebooks=nbs)
    assert res.returncode == 0, res.stdout + res.stderr
    nb = nbformat.read(out / "s" / "echo.ipynb", as_version=4)
    printed = [o["text"] for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream"]
    assert printed == [json.dumps(nasty) + "\n"]
    assert not marker.exists()


def _compile_in_child(spec, queue):
    from neocloud.pipeline.vega import compile_to_vega

    queue.put(compile_to_vega(spec)["marks"][0]["type"])


def test_charts_compile_in_a_fork_of_a_process_that_compiled():
    """vl-convert hangs in a process forked after it ran (its engine thread is not forked); the
    helper process keeps every neocloud process, forked workers included, clear of that."""
    import multiprocessing

    from neocloud.pipeline.vega import compile_to_vega

    spec = {"mark": "bar", "data": {"values": [{"x": 1}]}, "encoding": {"x": {"field": "x", "type": "quantitative"}}}
    assert compile_to_vega(spec)["marks"][0]["type"] == "rect"
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_compile_in_child, args=(spec, queue))
    child.start()
    try:
        assert queue.get(timeout=120) == "rect"  # bounded: a hang fails the test instead of stalling the suite
    finally:
        child.join(timeout=30)
        if child.is_alive():
            child.kill()


def test_reports_read_the_figures_the_render_computed_once(tmp_path):
    # the render computes each scenario's figures once and its kernels read them: a marker put in
    # the cached figures reaches the report, which a recomputation would not show
    from neocloud.pipeline.cache import environment_key, figures_folder
    from neocloud.analysis.summary import HeadlineFigures, figures_key, read_cached_figures, write_cached_figures

    nbs = tmp_path / "nbs"
    make_notebook(nbs / "report.ipynb", FIGURES_TITLE)
    params = tmp_path / "params"
    path = copy_scenario(params, "s")
    out = tmp_path / "out"
    assert render_cli(out, "--params", str(params), notebooks=nbs).returncode == 0
    key = figures_key(nc_load(path), environment_key())
    kept = read_cached_figures(figures_folder(out), key)
    assert isinstance(kept, HeadlineFigures) and kept.hazard_paths is not None and kept.market_exit_result is not None
    write_cached_figures(figures_folder(out), key, dataclasses_replace(kept, title="MARKER from the cache"))
    res = render_cli(out, "--params", str(params), "--force", notebooks=nbs)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "MARKER from the cache" in (out / "s" / "report.ipynb").read_text(encoding="utf-8")


def nc_load(path):
    from neocloud import load_scenario

    return load_scenario(path)


def dataclasses_replace(obj, **changes):
    import dataclasses

    return dataclasses.replace(obj, **changes)


def test_the_pipeline_knows_no_report_by_name():
    # each report declares what it reads (neocloud/pipeline/notebooks.py); the pipeline's code
    # names no report and imports no report's sweep file
    import ast

    from neocloud.pipeline.notebooks import DECLARATIONS

    names = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert set(DECLARATIONS) == names
    for module in ("render", "pool", "cache", "index", "files", "reports", "execute"):
        tree = ast.parse((ROOT / "neocloud" / "pipeline" / f"{module}.py").read_text(encoding="utf-8"))
        strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        assert not strings & names, (module, strings & names)
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        assert "DEFAULT_SWEEP_FILE" not in imported, module


def test_a_declared_file_is_in_its_reports_key_only(tmp_path, monkeypatch):
    from neocloud.pipeline import notebooks
    from neocloud.pipeline.cache import report_key
    from neocloud.pipeline.reports import Report

    nbs = tmp_path / "notebooks"
    for name in ("reads", "plain"):
        make_notebook(nbs / f"{name}.ipynb", HELLO)
    sweep = tmp_path / "params" / "sweeps" / "x.yaml"
    sweep.parent.mkdir(parents=True)
    sweep.write_text("a: 1\n")
    scenario = copy_scenario(tmp_path / "params", "s")
    monkeypatch.setitem(notebooks.DECLARATIONS, "reads", notebooks.Declaration(files=("params/sweeps/x.yaml",), weight=3.0))
    monkeypatch.setitem(notebooks.DECLARATIONS, "plain", notebooks.Declaration())
    reads, plain = (Report(scenario, nbs / f"{n}.ipynb", tmp_path / "out") for n in ("reads", "plain"))
    before = report_key(reads, "env"), report_key(plain, "env")
    sweep.write_text("a: 2\n")
    after = report_key(reads, "env"), report_key(plain, "env")
    assert before[0] != after[0] and before[1] == after[1]
    sweep.unlink()  # a declared file that is missing changes the key too (the report then fails on its own)
    assert report_key(reads, "env") not in (before[0], after[0])
    assert notebooks.declaration(nbs / "reads.ipynb").weight > notebooks.declaration(nbs / "plain.ipynb").weight


def test_the_sobol_analysis_is_computed_once_per_content(tmp_path, monkeypatch):
    # cached by what it depends on: the same inputs are read back (equal to a fresh computation);
    # a changed sweep file, scenario or package source computes it again
    import pandas as pd

    from neocloud.analysis import global_sensitivity as gs
    from neocloud import load_scenario

    scenario = copy_scenario(tmp_path / "params", "base")
    text = (ROOT / "params" / "sweeps" / "termination_sobol.yaml").read_text(encoding="utf-8")
    small = text.replace("base_samples: 64", "base_samples: 8").replace("bootstrap_resamples: 500", "bootstrap_resamples: 20")
    assert small != text
    sweep = tmp_path / "params" / "sweeps" / "small.yaml"
    sweep.parent.mkdir(parents=True)
    sweep.write_text(small, encoding="utf-8")
    runs = []
    real = gs._compute_sobol_analysis
    monkeypatch.setattr(gs, "_compute_sobol_analysis", lambda *a: runs.append(a) or real(*a))
    sc, cache = load_scenario(scenario), tmp_path / "cache"
    first = gs.sobol_analysis(sc, sweep, cache_dir=cache)
    again = gs.sobol_analysis(sc, sweep, cache_dir=cache)
    assert len(runs) == 1 and len(list(cache.glob("sobol-*.pickle"))) == 1
    fresh = gs.sobol_analysis(sc, sweep, cache_dir=False)
    for a in (first, again):
        pd.testing.assert_frame_equal(a.table, fresh.table)
        pd.testing.assert_frame_equal(a.indices, fresh.indices)
        pd.testing.assert_frame_equal(a.convergence, fresh.convergence)
    sweep.write_text(small.replace("seed: 20260630", "seed: 20260631"), encoding="utf-8")
    gs.sobol_analysis(sc, sweep, cache_dir=cache)
    assert len(runs) == 3  # fresh (uncached) + the changed sweep file
    other = load_scenario(copy_scenario(tmp_path / "params", "other", **{"    value: 0.10\n": "    value: 0.12\n"}))  # the discount rate: read, not swept
    gs.sobol_analysis(other, sweep, cache_dir=cache)
    assert len(runs) == 4
    key = gs.sobol_cache_key(other, sweep)
    monkeypatch.setattr(gs.Path, "read_bytes", _also_changed(gs.Path.read_bytes))
    assert gs.sobol_cache_key(other, sweep) != key  # the package's source is part of the key


def _also_changed(read_bytes):
    def changed(self):
        data = read_bytes(self)
        return data + b"# changed" if self.name == "exit_option.py" else data
    return changed


def test_headline_figures_are_one_typed_object_with_their_json_form(base_summary_json):
    import dataclasses

    from neocloud import load_scenario
    from neocloud.analysis.summary import HeadlineFigures

    f = nc_headline(load_scenario(ROOT / "params" / "base.yaml"))
    assert isinstance(f, HeadlineFigures) and dataclasses.is_dataclass(f)
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.title = "x"
    data = f.to_json()
    assert list(data) == HeadlineFigures.json_keys() and dict(f) == data
    assert json.loads(json.dumps(data)) == data  # plain JSON
    assert f["market_exit"]["expected_revenue_usd"] == f.market_exit_result.expected_revenue_usd
    assert f["simulated_revenue_usd"]["mean_usd"] == float(f.hazard_paths.mean())
    with pytest.raises(KeyError):
        f["hazard_paths"]  # the simulated results are not figures of the JSON form
    back = HeadlineFigures.from_json(json.loads(json.dumps(data)))
    assert back.to_json() == data and back.hazard_paths is None
    cli = base_summary_json  # `neocloud summary params/base.yaml --json`, run once for the test run
    assert cli.returncode == 0 and list(json.loads(cli.stdout)) == ["scenario_file", *HeadlineFigures.json_keys()]


def nc_headline(scenario):
    from neocloud import headline_figures

    return headline_figures(scenario)


START = "import neocloud as nc\nsc, fig = nc.start_report(scenario_file, scenario)\nprint(fig.title)"
RECORDING = ("import sys\nfrom neocloud.pipeline.opens import record_opens\nrecord_opens(sys.argv[1], 'parent')\n"
             "sys.argv = sys.argv[2:]\n")


def _recorded(log: Path, code: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``code`` (with ``sys.argv`` = ``args``) in a fresh interpreter whose opens of YAML
    files, and those of its forked workers and warm kernels, are written to ``log``."""
    from neocloud.pipeline.opens import RECORD_OPENS_ENV

    return subprocess.run([sys.executable, "-c", RECORDING + code, str(log), "prog", *args], cwd=cwd,
                          env={**os.environ, RECORD_OPENS_ENV: str(log)}, capture_output=True, text=True, timeout=900)


def test_a_render_reads_each_scenario_file_once_in_its_parent_and_exports_need_none(tmp_path):
    # the render reads and validates each scenario once (a scenario and the file it extends: one
    # open each, in the parent); its workers and kernels receive the data and open no scenario file
    from neocloud.pipeline.opens import opens_by_file

    probe = tmp_path / "kernel-probe.yaml"  # the kernels' recording is on: they log this file
    nbs = tmp_path / "nbs"
    for name in ("one", "two"):
        make_notebook(nbs / f"{name}.ipynb", START + f"\nopen({str(probe)!r}, 'a').close()")
    params = tmp_path / "params"
    base = copy_scenario(params, "base")
    child = params / "child.yaml"
    child.write_text('extends: base.yaml\ntitle: "Child of the base case"\n', encoding="utf-8")
    out, log = tmp_path / "out", tmp_path / "opens.log"
    run = _recorded(log, "from neocloud.commands.cli import main\nsys.exit(main(['render', *sys.argv[1:]]))",
                    "--params", str(params), "--notebooks", str(nbs), "--outputs", str(out))
    assert run.returncode == 0 and "4 rendered" in run.stdout, run.stdout + run.stderr
    opens = opens_by_file(log)
    assert {role for _, role in opens[str(probe)]} == {"kernel"}, opens
    for path in (base, child):
        assert [role for _, role in opens[str(path.resolve())]] == ["parent"], (path, opens)
    assert "Child of the base case" in (out / "child" / "one.ipynb").read_text(encoding="utf-8")

    # an executed report, copied to another folder, exports with no scenario file anywhere
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "one.ipynb").write_bytes((out / "child" / "one.ipynb").read_bytes())
    for p in params.glob("*.yaml"):
        p.unlink()
    log.unlink()
    export = _recorded(log, "from nbconvert.nbconvertapp import main\nsys.exit(main())",
                       "--to", "neocloud-report", "one.ipynb", cwd=elsewhere)
    assert export.returncode == 0, export.stderr[-3000:]
    assert (elsewhere / "one.html").read_bytes() == (out / "child" / "one.html").read_bytes()
    assert not any(p.endswith("/params/" + n) for p in opens_by_file(log) for n in ("base.yaml", "child.yaml"))
