"""Sweeps and global sensitivity: known indices, workers, resume, bad files."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, examples, neocloud_cli
from helpers import wait_for

from neocloud.analysis.global_sensitivity import ishigami, ishigami_indices, morris_indices, sobol_indices
from neocloud.analysis.sweeps import Design, Sweep, SweepInput, design_table, evaluate_rows, load_sweep

TESTS = Path(__file__).resolve().parent
Z95 = 1.959963984540054  # SALib's confidence half-widths are z * bootstrap standard error


def _ishigami_sweep(seed: int, n: int = 1024) -> Sweep:
    box = SweepInput(range=(-math.pi, math.pi), note="the Ishigami function's domain")
    return Sweep(title="Ishigami", model="neocloud.analysis.global_sensitivity:ishigami", outputs=["y"],
                 inputs={"x1": box, "x2": box, "x3": box},
                 design=Design(method="sobol", base_samples=n, seed=seed, bootstrap_resamples=200))


@settings(max_examples=examples(8), deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_sobol_indices_of_the_ishigami_function_match_the_closed_form(seed):
    sweep = _ishigami_sweep(seed)
    table = evaluate_rows(ishigami, design_table(sweep), ["y"], 0)
    got = sobol_indices(sweep, table).set_index("input")
    exact = ishigami_indices().set_index("input")
    for name in ("x1", "x2", "x3"):
        for index in ("S1", "ST"):
            se = got.loc[name, f"{index}_conf"] / Z95
            # the bound comes from the estimator's own spread: six bootstrap standard errors, plus
            # a floor for an index whose estimate has (almost) no spread
            assert abs(got.loc[name, index] - exact.loc[name, index]) <= 6 * se + 0.01, (name, index, got.loc[name], seed)


def test_morris_ranks_the_ishigami_inputs():
    box = SweepInput(range=(-math.pi, math.pi), note="domain")
    sweep = Sweep(title="Ishigami", model="neocloud.analysis.global_sensitivity:ishigami", outputs=["y"],
                  inputs={"x1": box, "x2": box, "x3": box}, design=Design(method="morris", trajectories=50, seed=3))
    m = morris_indices(sweep, evaluate_rows(ishigami, design_table(sweep), ["y"], 0)).set_index("input")
    assert m.mu_star.idxmax() in ("x1", "x2") and m.loc["x3", "mu_star"] > 0


def test_a_grid_holds_every_combination_once():
    sweep = load_sweep(ROOT / "params/sweeps/notice_grid.yaml")
    design = design_table(sweep)
    assert len(design) == 40 and not design[["monthly_notice_probability", "ramp_discount"]].duplicated().any()


def test_sobol_design_uses_every_choice_of_a_choice_input():
    from neocloud import load_scenario

    sc = load_scenario(ROOT / "params/base.yaml")
    design = design_table(load_sweep(ROOT / "params/sweeps/termination_sobol.yaml"), sc)
    assert set(design.termination_reading) == {"this scenario", *(r.id for r in sc.termination_readings)}
    assert set(design.gpu_basis) == set(sc.gpu_bases)


def test_evaluation_at_the_scenario_values_gives_the_headline_figures():
    from neocloud import headline_figures, load_scenario

    sc = load_scenario(ROOT / "params/base.yaml")
    fig = headline_figures(sc)
    from neocloud.analysis.sweeps import evaluate

    got = evaluate(sc, {}, ["expected_revenue_usd", "committed_floor_usd", "book_enforceable_rpo_usd",
                            "market_expected_revenue_usd"], sc.market.seed, sc.market.monte_carlo_paths)
    assert got["expected_revenue_usd"] == pytest.approx(fig["expected_revenue_usd"], rel=1e-12)
    assert got["committed_floor_usd"] == pytest.approx(fig["committed_floor_usd"], rel=1e-12)
    assert got["book_enforceable_rpo_usd"] == pytest.approx(fig["book"]["enforceable_rpo_usd"], rel=1e-12)
    assert got["market_expected_revenue_usd"] == pytest.approx(fig["market_exit"]["expected_revenue_usd"], rel=1e-12)


def _write_sweep(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


SQUARES = """\
title: squares
model: sweep_models:square
design: {method: random, samples: 60, seed: 5, common_random_numbers: false}
chunk_size: 7
outputs: [y, noise]
inputs:
  x: {range: [0.0, 3.0], note: test}
"""


def test_two_workers_give_the_table_of_one(tmp_path):
    from neocloud.pipeline.sweep_runner import read_result

    sweep = _write_sweep(tmp_path, "squares.yaml", SQUARES)
    tables = []
    for n in (1, 2):
        res = neocloud_cli("sweep", str(sweep), "--out", str(tmp_path / f"w{n}.parquet"), "--workers", str(n), env=_env())
        assert res.returncode == 0, res.stdout + res.stderr
        assert f"on {n} Dask worker" in res.stdout
        table, meta = read_result(tmp_path / f"w{n}.parquet")
        tables.append(table)
        assert meta["evaluations"] == 60 and len(meta["sweep_sha256"]) == 64 and meta["neocloud_version"]
        # what the evaluations depend on, by which a re-run knows the result is up to date
        assert set(meta["dependencies"]) == {"sweep file", "neocloud version", "model source"}
        assert len(meta["fingerprint"]) == 64 and meta["sweep_path"] == "squares.yaml" and meta["nonfinite"] == {}
    pd.testing.assert_frame_equal(tables[0], tables[1])
    assert tables[0].evaluation.tolist() == list(range(60))
    assert tables[0].seed.nunique() == 60  # a seed per evaluation, not per worker
    assert np.allclose(tables[0].y, tables[0].x ** 2)


def test_a_scenario_sweep_on_two_workers_gives_the_table_of_one(tmp_path):
    from neocloud.pipeline.sweep_runner import read_result

    (tmp_path / "params").mkdir()
    (tmp_path / "params/base.yaml").write_bytes((ROOT / "params/base.yaml").read_bytes())
    text = (ROOT / "params/sweeps/termination_sobol.yaml").read_text().replace("base_samples: 64", "base_samples: 4")
    text = text.replace("market_paths: 500", "market_paths: 200").replace("chunk_size: 32", "chunk_size: 9")
    sweep = _write_sweep(tmp_path / "params/sweeps", "small.yaml", text)
    tables = []
    for n in (1, 2):
        res = neocloud_cli("sweep", str(sweep), "--out", str(tmp_path / f"s{n}.parquet"), "--workers", str(n), "--no-progress")
        assert res.returncode == 0, res.stdout + res.stderr
        tables.append(read_result(tmp_path / f"s{n}.parquet")[0])
    pd.testing.assert_frame_equal(tables[0], tables[1])
    assert len(tables[0]) == 4 * 11


GATED = """\
title: gated
model: sweep_models:gated
design: {method: grid, seed: 1}
chunk_size: 5
outputs: [y]
inputs:
  x: {values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39], note: test}
"""


def test_an_interrupted_sweep_resumes_without_lost_or_repeated_rows(tmp_path):
    from neocloud.pipeline.sweep_runner import read_result

    sweep = _write_sweep(tmp_path, "gated.yaml", GATED)
    gate = tmp_path / "gate"
    gate.mkdir()
    out = tmp_path / "gated.parquet"
    parts = tmp_path / "gated.parquet.parts"
    env = {**_env(), "SWEEP_GATE": str(gate)}
    cmd = [sys.executable, "-m", "neocloud.commands.cli", "sweep", str(sweep), "--out", str(out), "--workers", "2", "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        # chunks 0 and 1 (x < 10) finish; the others wait at the gate
        wait_for(lambda: (parts / "chunk-000000.parquet").is_file() and (parts / "chunk-000001.parquet").is_file()
                 and any(gate.glob("waiting-*")), "two chunks written and a third waiting", timeout_s=120)
        before = {p.name: p.read_bytes() for p in parts.glob("chunk-*.parquet")}
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group, Dask's workers too
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stdout + stderr
    assert "run the same command again to resume" in stderr and "Traceback" not in stderr
    assert not out.exists()
    assert set(before) == {"chunk-000000.parquet", "chunk-000001.parquet"}
    (gate / "open").touch()
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "resuming: 2 of 8 chunk(s) already written" in res.stdout
    table, _ = read_result(out)
    assert table.evaluation.tolist() == list(range(40)) and table.y.tolist() == [float(x) for x in range(40)]
    assert not parts.exists()


@pytest.mark.parametrize("edit, expected", [
    (("design: {method: random, samples: 60, seed: 5, common_random_numbers: false}",
      "design: {method: sobol, base_samples: 60, seed: 5}"),
     "key 'design': value"),
    (("x: {range: [0.0, 3.0], note: test}", "x: {range: [3.0, 0.0], note: test}"), "low < high"),
    (("x: {range: [0.0, 3.0], note: test}", "x: {range: [0.0, 3.0]}"), "needs a 'source'"),
    (("chunk_size: 7", "chunk_size: 0"), "key 'chunk_size': value 0"),
    (("chunk_size: 7", "chunk_sise: 7"), "unknown key 'chunk_sise'"),
    (("model: sweep_models:square", "model: sweep_models:nope"), "key 'model': value 'sweep_models:nope'"),
])
def test_a_bad_sweep_file_gets_a_clear_error(tmp_path, edit, expected):
    old, new = edit
    assert old in SQUARES
    sweep = _write_sweep(tmp_path, "bad.yaml", SQUARES.replace(old, new))
    out = tmp_path / "r.parquet"
    res = neocloud_cli("sweep", str(sweep), "--out", str(out), env=_env())
    assert res.returncode == 2, res.stdout + res.stderr
    assert str(sweep) in res.stderr and expected in res.stderr, res.stderr
    assert "Traceback" not in res.stderr and not out.exists()


def test_a_scenario_sweep_names_unknown_inputs(tmp_path):
    (tmp_path / "base.yaml").write_bytes((ROOT / "params/base.yaml").read_bytes())
    text = (ROOT / "params/sweeps/notice_grid.yaml").read_text().replace("scenario: ../base.yaml", "scenario: base.yaml")
    sweep = _write_sweep(tmp_path, "bad.yaml", text.replace("  ramp_discount:\n", "  ramp_discont:\n"))
    res = neocloud_cli("sweep", str(sweep), "--out", str(tmp_path / "r.parquet"))
    assert res.returncode == 2 and "unknown input(s) ramp_discont" in res.stderr and "ramp_discount" in res.stderr, res.stderr


@pytest.mark.parametrize("args, expected", [
    (["--out", "r.csv"], "name it *.parquet"),
    (["--out", "r.parquet", "--workers", "0"], "--workers must be at least 1"),
    (["--out", "r.parquet", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
])
def test_bad_sweep_options_get_a_clear_error(tmp_path, args, expected):
    res = neocloud_cli("sweep", str(ROOT / "params/sweeps/notice_grid.yaml"), *args, cwd=tmp_path)
    assert res.returncode == 2 and expected in res.stderr and "Traceback" not in res.stderr, res.stderr


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path):
    res = neocloud_cli("sweep", str(ROOT / "params/sweeps/notice_grid.yaml"), "--out", str(tmp_path / "r.parquet"),
                       "--scheduler", "tcp://127.0.0.1:9", "--no-progress")
    assert res.returncode == 2, res.stdout + res.stderr
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9: Connection refused" in res.stderr  # at once, not after Dask's retries
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "r.parquet").exists()


def test_every_shipped_sweep_file_is_valid_and_sourced():
    from neocloud import load_scenario
    from neocloud.analysis.sweeps import sweep_scenario

    files = sorted((ROOT / "params/sweeps").glob("*.yaml"))
    assert len(files) >= 4
    for path in files:
        sweep = load_sweep(path)
        sc = sweep_scenario(sweep, path)
        assert all(i.source or i.note for i in sweep.inputs.values())
        assert len(design_table(sweep, sc)) >= 40
    big = load_sweep(ROOT / "params/sweeps/market_sobol_10k.yaml")
    assert len(design_table(big, load_scenario(ROOT / "params/base.yaml"))) >= 10_000
