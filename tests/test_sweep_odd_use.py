"""Sweeps under odd use: bad files and options refused before a cluster starts, models that
misbehave, two sweeps on one result, signals, resumes after a dependency changed, a finished
sweep run again (issue 23)."""

from __future__ import annotations

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

from conftest import ROOT, examples
from helpers import wait_for

import neocloud.pipeline.sweep_runner as runner
from neocloud.commands.cli import main as cli_main
from neocloud.analysis.sweeps import (
    MAX_EVALUATIONS,
    Design,
    EvaluationError,
    Sweep,
    SweepInput,
    design_plan,
    design_table,
    evaluate_rows,
)

TESTS = Path(__file__).resolve().parent


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**env, **extra}


def _cmd(sweep: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "neocloud.commands.cli", "sweep", str(sweep), "--out", str(out), "--no-progress", *extra]


@pytest.fixture
def no_cluster(monkeypatch):
    """Fail the test if a Dask cluster is started."""
    def refuse(*a, **k):
        raise AssertionError("a Dask cluster was started")
    monkeypatch.setattr(runner, "dask_client", refuse)


def _scenario_copy(folder: Path, without_market: bool = False) -> Path:
    text = (ROOT / "params/base.yaml").read_text(encoding="utf-8")
    if without_market:
        text = text[:text.index("\nmarket:\n") + 1] + text[text.index("\ntermination_readings:") + 1:]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.yaml").write_text(text, encoding="utf-8")
    return folder / "base.yaml"


SCENARIO_SWEEP = """\
title: odd
scenario: base.yaml
design: {method: random, samples: 4, seed: 1}
outputs: [expected_revenue_usd]
inputs:
  ramp_discount: {range: [0.0, 1.0], note: test}
"""

MODEL_SWEEP = """\
title: odd model
model: sweep_odd_models:misbehave
design: {method: grid, seed: 1}
chunk_size: 2
outputs: [y]
inputs:
  x: {values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], note: test}
  kind: {values: [raise], note: test}
"""

BIG = ", ".join(str(i / 1000) for i in range(1000))

# (base file, text replaced, replacement, the line expected): each a kind of bad sweep file
BAD_FILES = [
    ("scenario", "ramp_discount: {range: [0.0, 1.0], note: test}", "ramp_discount: {range: [0, 5], note: test}",
     "key 'inputs.ramp_discount.range': value [0.0, 5.0]: ramp_discount is a fraction in [0, 1]"),
    ("scenario", "ramp_discount: {range: [0.0, 1.0], note: test}",
     "monthly_notice_probability: {range: [0.5, 1.5], note: test}",
     "key 'inputs.monthly_notice_probability.range': value [0.5, 1.5]: monthly_notice_probability is a probability in [0, 1]"),
    ("scenario", "ramp_discount: {range: [0.0, 1.0], note: test}", "volatility_per_year: {range: [-0.2, 0.5], note: test}",
     "key 'inputs.volatility_per_year.range': value [-0.2, 0.5]: volatility_per_year is a volatility in [0, 3]"),
    ("scenario", "ramp_discount: {range: [0.0, 1.0], note: test}",
     "market_price_usd_per_h100e_hour: {range: [-1.0, 5.0], note: test}",
     "key 'inputs.market_price_usd_per_h100e_hour.range': value [-1.0, 5.0]: market_price_usd_per_h100e_hour is a price above 0"),
    ("scenario", "ramp_discount: {range: [0.0, 1.0], note: test}", "termination_reading: {choices: [nope, this scenario], note: test}",
     "key 'inputs.termination_reading.choices': value ['nope', 'this scenario']: 'nope' not a reading of the scenario's termination terms (allowed: 'this scenario'"),
    ("scenario", "ramp_discount: {range: [0.0, 1.0], note: test}", "gpu_basis: {choices: [nope, reported], note: test}",
     "key 'inputs.gpu_basis.choices': value ['nope', 'reported']: 'nope' not one of the scenario's GPU bases (allowed: 'reported'"),
    ("scenario", "ramp_discount: {range: [0.0, 1.0], note: test}", "ramp_discount: {choices: [low, high], note: test}",
     "key 'inputs.ramp_discount.choices': value ['low', 'high']: ramp_discount is a number (a fraction in [0, 1]); give a 'range'"),
    ("scenario", "ramp_discount: {range: [0.0, 1.0], note: test}", "gpu_basis: {range: [0, 1], note: test}",
     "key 'inputs.gpu_basis.range': value [0.0, 1.0]: gpu_basis is one of the scenario's GPU bases; give 'choices'"),
    ("scenario", "design: {method: random, samples: 4, seed: 1}\n", "design: {method: grid, seed: 1}\n",
     "key 'inputs.ramp_discount.range': value [0.0, 1.0]: a 'grid' design needs 'values' (the grid's points) for every input"),
    ("scenario", "outputs: [expected_revenue_usd]", "outputs: [expected_revenue_usd, revenue]",
     "key 'outputs.1': value 'revenue': unknown output(s) revenue; a scenario sweep computes expected_revenue_usd"),
    ("model", "kind: {values: [raise], note: test}", "kind: {choices: all, note: test}",
     "key 'inputs.kind.choices': value 'all': 'choices: all' means every reading or GPU basis of a scenario"),
    ("grid", "[0.0, 0.5]", "[0.0, .nan]", "key 'inputs.ramp_discount.values': value [0.0, nan]: item 1 is nan; grid values are finite numbers or texts"),
    ("grid", "[0.0, 0.5]", "[0.0, a]", "key 'inputs.ramp_discount.values': value [0.0, 'a']: item 1 is 'a'; grid values are all numbers or all texts"),
    ("grid", "[0.0, 0.5]", "[a, b]", "key 'inputs.ramp_discount.values': value ['a', 'b']: ramp_discount is a number (a fraction in [0, 1]), not a text ('a')"),
    ("grid", "[0.0, 0.5]", "[0.0, 2.0]", "key 'inputs.ramp_discount.values': value [0.0, 2.0]: ramp_discount is a fraction in [0, 1] (not 2.0)"),
    ("grid", "[0.0, 0.5]", "[0.0, true]", "key 'inputs.ramp_discount.values': value [0.0, True]: item 1 is True (a bool)"),
    ("grid", "[0.0, 0.5]", "[0.5, 0.5]", "key 'inputs.ramp_discount.values': value [0.5, 0.5]: each grid value once"),
    ("grid", "ramp_discount: {values: [0.0, 0.5], note: test}",
     f"ramp_discount: {{values: [{BIG}], note: t}}\n  monthly_notice_probability: {{values: [{BIG}], note: t}}\n"
     f"  drift_per_year: {{values: [{BIG}], note: t}}",
     f"key 'design.method': value 'grid': a design of 1000 x 1000 x 1000 grid values = 1,000,000,000 evaluations; "
     f"a sweep may have at most {MAX_EVALUATIONS:,}"),
    ("scenario", "design: {method: random, samples: 4, seed: 1}", "design: {method: sobol, base_samples: 4194304, seed: 1}",
     "key 'design.base_samples': value 4194304"),
    ("no_market", "outputs: [expected_revenue_usd]", "outputs: [expected_revenue_usd, market_expected_revenue_usd]",
     "key 'outputs.1': value 'market_expected_revenue_usd': the scenario base.yaml has no 'market' section"),
    ("model", "outputs: [y]", "outputs: [evaluation]",
     "key 'outputs.0': value 'evaluation': the result table has its own column 'evaluation'"),
    ("model", "outputs: [y]", "outputs: [y, y]", "key 'outputs.1': value 'y': listed twice"),
    ("model", "outputs: [y]", "outputs: [x]", "key 'outputs.0': value 'x': also the name of an input"),
    ("model", "  kind: {values: [raise], note: test}", "  kind: {values: [raise], note: test}\n  seed: {values: [1, 2], note: test}",
     "key 'inputs.seed': the result table has its own column 'seed'"),
    ("model", "sweep_odd_models:misbehave", "sweep_odd_models:no_seed",
     "key 'model': value 'sweep_odd_models:no_seed': no_seed(x) does not take kind, seed as keyword(s); a model function is called as f(x=..., kind=..., seed=...)"),
    ("model", "sweep_odd_models:misbehave", "sweep_odd_models:one_input",
     "key 'model': value 'sweep_odd_models:one_input': one_input(x, seed) does not take kind as keyword(s)"),
    ("model", "sweep_odd_models:misbehave", "sweep_odd_models:nope", "key 'model': value 'sweep_odd_models:nope': cannot be imported"),
    ("model", "kind: {values: [raise], note: test}", "kind: {choices: [raise], note: test}",
     "key 'inputs.kind.choices': value ['raise']: give at least two choices"),
    ("model", "kind: {values: [raise], note: test}", "kind: {choices: [raise, raise], note: test}",
     "key 'inputs.kind.choices': value ['raise', 'raise']: each choice once"),
]


def _bad_file(tmp_path: Path, base: str, old: str, new: str) -> Path:
    body = {"scenario": SCENARIO_SWEEP, "no_market": SCENARIO_SWEEP, "model": MODEL_SWEEP,
            "grid": SCENARIO_SWEEP.replace("random, samples: 4", "grid").replace("{range: [0.0, 1.0], note: test}",
                                                                                  "{values: [0.0, 0.5], note: test}")}[base]
    assert old in body, old
    _scenario_copy(tmp_path, without_market=base == "no_market")
    path = tmp_path / "bad.yaml"
    path.write_text(body.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize("base, old, new, expected", BAD_FILES, ids=[f"{i}-{c[3][:40]}" for i, c in enumerate(BAD_FILES)])
def test_a_bad_sweep_file_is_one_line_in_house_style_before_any_cluster(tmp_path, capsys, no_cluster, base, old, new,
                                                                        expected):
    sweep = _bad_file(tmp_path, base, old, new)
    out = tmp_path / "r.parquet"
    assert cli_main(["sweep", str(sweep), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line]
    assert any(line.startswith(f"{sweep}: ") and expected in line for line in lines), err
    # no pydantic branch names, no traceback, nothing written (not even the lock)
    assert "Traceback" not in err and ".float" not in err and ".str" not in err and "function-after" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "base.yaml"]


@pytest.mark.parametrize("args, expected", [
    (["--scheduler", "notanaddress"], "cannot reach the Dask scheduler at notanaddress: missing port number"),
    (["--scheduler", "http://10.0.0.5:8786"], "cannot reach the Dask scheduler at http://10.0.0.5:8786: 'http' is not a protocol of Dask"),
    (["--scheduler", "tcp://"], "cannot reach the Dask scheduler at tcp://"),
])
def test_a_malformed_scheduler_gets_the_unreachable_schedulers_message(tmp_path, capsys, no_cluster, args, expected):
    assert cli_main(["sweep", str(ROOT / "params/sweeps/notice_grid.yaml"), "--out", str(tmp_path / "r.parquet"),
                     "--no-progress", *args]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err, err
    assert not list(tmp_path.iterdir())


def test_an_out_that_is_a_folder_or_unwritable_is_refused_first(tmp_path, capsys, no_cluster):
    folder = tmp_path / "results.parquet"
    folder.mkdir()
    assert cli_main(["sweep", str(ROOT / "params/sweeps/notice_grid.yaml"), "--out", str(folder)]) == 2
    assert f"--out {folder} is a folder" in capsys.readouterr().err
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    assert cli_main(["sweep", str(ROOT / "params/sweeps/notice_grid.yaml"), "--out", str(blocker / "r.parquet")]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {blocker / 'r.parquet'}: {blocker} is not a folder" in err and "Traceback" not in err


def test_an_out_holding_something_else_is_never_overwritten(tmp_path, capsys, no_cluster):
    _scenario_copy(tmp_path)
    sweep = tmp_path / "s.yaml"
    sweep.write_text(SCENARIO_SWEEP)
    out = tmp_path / "r.parquet"
    out.write_bytes(b"my own data")
    assert cli_main(["sweep", str(sweep), "--out", str(out)]) == 2
    assert "exists and is not a neocloud sweep result" in capsys.readouterr().err
    assert out.read_bytes() == b"my own data"


@pytest.mark.parametrize("kind, expected", [
    ("raise", "evaluation 7 (x=7, kind='raise', seed=1): the model raised ZeroDivisionError: division by zero"),
    ("nan", "evaluation 7 (x=7, kind='nan', seed=1): the model returned y = nan; a figure is a finite number"),
    ("inf", "the model returned y = -inf; a figure is a finite number"),
    ("string", "the model returned '12.5' (a str); a model returns a number for its output y"),
    ("none", "the model returned None (a NoneType)"),
    ("list", "the model returned [1.0] (a list)"),
    ("bool", "the model returned True (a bool)"),
    ("huge", "the model returned y = an integer of 401 digits, too large for a float"),
    ("missing", "the model returned no output 'y' (it returned z)"),
])
def test_a_misbehaving_model_is_named_by_evaluation_and_inputs(kind, expected):
    from sweep_odd_models import misbehave

    rows = pd.DataFrame({"evaluation": np.arange(10), "seed": 1, "x": np.arange(10), "kind": kind})
    with pytest.raises(EvaluationError) as e:
        evaluate_rows(misbehave, rows, ["y"], 0)
    assert expected in str(e.value) and e.value.evaluation == 7
    assert "\n" not in str(e.value)


def test_nonfinite_values_are_kept_only_when_asked():
    from sweep_odd_models import misbehave

    rows = pd.DataFrame({"evaluation": np.arange(10), "seed": 1, "x": np.arange(10), "kind": "nan"})
    table = evaluate_rows(misbehave, rows, ["y"], 0, keep_nonfinite=True)
    assert table.y.isna().tolist() == [x == 7 for x in range(10)]


def test_a_failing_evaluation_stops_the_sweep_with_one_line_and_keeps_its_chunks(tmp_path):
    sweep = tmp_path / "m.yaml"
    sweep.write_text(MODEL_SWEEP)
    out = tmp_path / "m.parquet"
    res = subprocess.run(_cmd(sweep, out, "--workers", "1"), cwd=ROOT, env=_env(), capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 1, res.stdout + res.stderr
    assert (f"neocloud: {sweep}: evaluation 7 (x=7, kind='raise', seed=1): the model raised ZeroDivisionError"
            in res.stderr), res.stderr
    assert "run the same command again to resume" in res.stderr and "Traceback" not in res.stderr
    assert not out.exists()
    kept = sorted(p.name for p in (tmp_path / "m.parquet.parts").glob("chunk-*"))
    assert "chunk-000003.parquet" not in kept  # evaluations 6 and 7
    # NaN kept on request: the run finishes and counts them
    sweep.write_text(MODEL_SWEEP.replace("values: [raise]", "values: [nan]"))
    res = subprocess.run(_cmd(sweep, out, "--workers", "1", "--keep-nonfinite"), cwd=ROOT, env=_env(),
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "warning: non-finite values (NaN or infinite) in y: 1 evaluation(s)" in res.stdout
    table, meta = runner.read_result(out)
    assert table.y.isna().sum() == 1 and meta["nonfinite"] == {"y": 1}


GATED = """\
title: gated {n}
model: sweep_models:gated
design: {{method: grid, seed: 1}}
chunk_size: 5
outputs: [y]
inputs:
  x: {{values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14], note: test}}
"""


def test_two_sweeps_on_one_out_never_mix_or_delete_each_others_results(tmp_path):
    gate = tmp_path / "gate"
    gate.mkdir()
    env = _env(SWEEP_GATE=str(gate))
    first, other = tmp_path / "first.yaml", tmp_path / "other.yaml"
    first.write_text(GATED.format(n=1))
    other.write_text(GATED.format(n=2))
    out = tmp_path / "r.parquet"
    logs = {name: (tmp_path / f"{name}.out").open("w+") for name in ("a", "c")}
    a = subprocess.Popen(_cmd(first, out, "--workers", "1"), cwd=ROOT, env=env, stdout=logs["a"],
                         stderr=subprocess.STDOUT, text=True, start_new_session=True)
    c = None
    try:
        wait_for(lambda: any(gate.glob("waiting-*")), "the first sweep at its gate", timeout_s=120)
        # another sweep file, --no-wait: refused at once with its own exit code
        b = subprocess.run(_cmd(other, out, "--no-wait"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert b.returncode == 3, b.stdout + b.stderr
        assert f"another `neocloud sweep` (pid {a.pid}) is writing {out}; try again" in b.stderr
        # the same sweep file again: waits for the first, then finds its result finished
        c = subprocess.Popen(_cmd(first, out), cwd=ROOT, env=env, stdout=logs["c"], stderr=subprocess.STDOUT, text=True,
                             start_new_session=True)
        wait_for(lambda: "waiting for it to finish" in (tmp_path / "c.out").read_text(), "the second run waiting",
                 timeout_s=120)
        (gate / "open").touch()
        assert a.wait(timeout=300) == 0, (tmp_path / "a.out").read_text()
        assert c.wait(timeout=120) == 0, (tmp_path / "c.out").read_text()
    finally:
        for p in (a, c):
            if p is not None and p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
    said = (tmp_path / "c.out").read_text()
    assert "is up to date" in said and "Dask worker" not in said, said
    table, meta = runner.read_result(out)
    assert table.y.tolist() == [float(x) for x in range(15)] and meta["sweep_file"] == "first.yaml"
    # the other sweep file, waiting its turn, is refused: the finished result stays as it is
    before = out.read_bytes()
    d = subprocess.run(_cmd(other, out), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert d.returncode == 2 and "holds the result of another sweep file (first.yaml)" in d.stderr, d.stderr
    assert out.read_bytes() == before


@pytest.mark.parametrize("how", ["SIGTERM to the command", "SIGTERM to its process group", "Ctrl-C"])
def test_a_signal_stops_the_sweep_quietly_and_it_resumes(tmp_path, how):
    gate = tmp_path / "gate"
    gate.mkdir()
    sweep = tmp_path / "g.yaml"
    sweep.write_text(GATED.format(n=1))
    out = tmp_path / "g.parquet"
    parts = tmp_path / "g.parquet.parts"
    env = _env(SWEEP_GATE=str(gate))
    cmd = _cmd(sweep, out, "--workers", "2")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        wait_for(lambda: (parts / "chunk-000000.parquet").is_file() and (parts / "chunk-000001.parquet").is_file()
                 and any(gate.glob("waiting-*")), "two chunks written and a third waiting", timeout_s=120)
        if how == "SIGTERM to the command":  # as `timeout` sends it
            os.kill(proc.pid, signal.SIGTERM)
        else:  # systemd and batch schedulers signal the group; so does Ctrl-C in a terminal
            os.killpg(proc.pid, signal.SIGINT if how == "Ctrl-C" else signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stdout + stderr
    assert "interrupted; run the same command again to resume" in stderr
    assert "Traceback" not in stderr and "leaked" not in stderr and "Warning" not in stderr, stderr
    assert not out.exists()
    (gate / "open").touch()
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "resuming: 2 of 3 chunk(s) already written" in res.stdout
    table, _ = runner.read_result(out)
    assert table.evaluation.tolist() == list(range(15)) and table.y.tolist() == [float(x) for x in range(15)]


MARKET_SWEEP = """\
title: market
scenario: base.yaml
design: {method: random, samples: 40, seed: 3}
market_paths: 1000
chunk_size: 1
outputs: [market_expected_revenue_usd, expected_revenue_usd]
inputs:
  drift_per_year: {range: [-0.2, 0.2], note: test}
"""


def test_kept_chunks_are_not_reused_after_the_scenario_changed(tmp_path):
    scenario = _scenario_copy(tmp_path)
    sweep = tmp_path / "m.yaml"
    sweep.write_text(MARKET_SWEEP)
    out = tmp_path / "m.parquet"
    parts = tmp_path / "m.parquet.parts"
    cmd = _cmd(sweep, out, "--workers", "1")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        wait_for(lambda: (parts / "chunk-000000.parquet").is_file(), "a first chunk", timeout_s=180)
        os.kill(proc.pid, signal.SIGTERM)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    kept = len(list(parts.glob("chunk-*")))
    assert 1 <= kept < 40
    text = scenario.read_text()
    assert "monthly_notice_probability:\n    value: 0.05" in text
    scenario.write_text(text.replace("monthly_notice_probability:\n    value: 0.05", "monthly_notice_probability:\n    value: 0.02"))
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    said = [line for line in res.stdout.splitlines() if "starting afresh" in line]
    assert len(said) == 1 and "another scenario file" in said[0], res.stdout
    assert "resuming" not in res.stdout
    table, meta = runner.read_result(out)
    from neocloud import load_scenario
    from neocloud.model.hazard import expected_revenue

    now = load_scenario(scenario)
    assert table.expected_revenue_usd.tolist() == [pytest.approx(expected_revenue(now.deal, 0.02), rel=1e-12)] * 40
    # and a finished result with a changed dependency is recomputed, saying why
    scenario.write_text(scenario.read_text().replace("value: 0.02", "value: 0.03", 1))
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0 and "holds a result computed with another scenario file" in res.stdout, res.stdout
    assert runner.read_result(out)[0].expected_revenue_usd.iloc[0] == pytest.approx(
        expected_revenue(load_scenario(scenario).deal, 0.03), rel=1e-12)


def test_a_finished_sweep_run_again_computes_nothing(tmp_path, capsys, monkeypatch):
    sweep = tmp_path / "sq.yaml"
    sweep.write_text("title: sq\nmodel: sweep_models:square\ndesign: {method: random, samples: 6, seed: 2}\n"
                     "outputs: [y, noise]\ninputs:\n  x: {range: [0.0, 1.0], note: t}\n")
    out = tmp_path / "sq.parquet"
    res = subprocess.run(_cmd(sweep, out, "--workers", "1"), cwd=ROOT, env=_env(), capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    before = (out.read_bytes(), out.stat().st_mtime_ns)

    def refuse(*a, **k):
        raise AssertionError("a Dask cluster was started")
    monkeypatch.setattr(runner, "dask_client", refuse)
    assert cli_main(["sweep", str(sweep), "--out", str(out)]) == 0
    assert "is up to date" in capsys.readouterr().out
    assert (out.read_bytes(), out.stat().st_mtime_ns) == before
    assert not (tmp_path / "sq.parquet.parts").exists()
    # a changed model source is a changed dependency
    meta = runner.result_metadata(out)
    assert set(meta["dependencies"]) == {"sweep file", "neocloud version", "model source"}


def test_kept_chunks_of_another_sweep_file_are_refused_and_of_an_older_version_dropped(tmp_path):
    from neocloud.analysis.sweeps import load_sweep, sweep_dependencies

    said: list[str] = []
    sweep = tmp_path / "s.yaml"
    sweep.write_text(MODEL_SWEEP)
    parts = tmp_path / "r.parquet.parts"
    deps = sweep_dependencies(load_sweep(sweep), sweep)
    runner._claim_parts(parts, "s.yaml", deps, said.append)
    (parts / "chunk-000000.parquet").write_bytes(b"kept")
    runner._claim_parts(parts, "s.yaml", deps, said.append)
    assert (parts / "chunk-000000.parquet").exists() and not said
    with pytest.raises(runner.BadSweepOption, match="holds the chunks of another sweep file"):
        runner._claim_parts(parts, "other.yaml", deps, said.append)
    runner._claim_parts(parts, "s.yaml", {**deps, "neocloud version": "0.0.1"}, said.append)
    assert said == [f"{parts}/ holds chunks computed with another neocloud version; starting afresh"]
    assert not (parts / "chunk-000000.parquet").exists()


@settings(max_examples=examples(30), deadline=None)
@given(method=st.sampled_from(["random", "grid", "sobol", "morris"]), crn=st.booleans(), seed=st.integers(0, 2**32 - 1),
       cuts=st.lists(st.integers(0, 200), max_size=6))
def test_a_design_laid_out_by_chunks_is_the_design(method, crn, seed, cuts):
    inputs = {"a": SweepInput(range=(-1.0, 2.0), note="n"), "b": SweepInput(choices=["p", "q", "r"], note="n")}
    if method == "grid":
        inputs = {"a": SweepInput(values=[0.5, 1.5, 2.5], note="n"), "b": SweepInput(values=["p", "q"], note="n")}
    design = Design(method=method, seed=seed, common_random_numbers=crn, samples=37, base_samples=8, trajectories=5)
    sweep = Sweep(title="t", model="sweep_models:square", outputs=["y"], inputs=inputs, design=design)
    whole = design_table(sweep)
    plan = design_plan(sweep)
    edges = sorted({0, plan.size, *(c % (plan.size + 1) for c in cuts)})
    pieces = pd.concat([plan.rows(lo, hi) for lo, hi in zip(edges, edges[1:])], ignore_index=True)
    pd.testing.assert_frame_equal(pieces, whole)
    assert len(whole) == plan.size


def test_a_ten_million_sample_design_is_laid_out_by_the_chunk():
    sweep = Sweep(title="t", model="sweep_models:square", outputs=["y"],
                  inputs={"x": SweepInput(range=(0.0, 1.0), note="n")},
                  design=Design(method="random", samples=10_000_000, seed=4, common_random_numbers=False))
    plan = design_plan(sweep)
    assert plan.size == 10_000_000 and plan.unit is None
    last = plan.rows(9_999_990, 10_000_000)
    rng = np.random.default_rng(4)
    rng.bit_generator.advance(9_999_990)
    assert last.x.tolist() == rng.random(10).tolist()
    assert last.seed.tolist() == [int(np.random.SeedSequence(4, spawn_key=(i,)).generate_state(1)[0])
                                  for i in range(9_999_990, 10_000_000)]


def test_a_stop_while_the_cluster_starts_is_quiet(tmp_path):
    """SIGTERM as soon as the run says it resumes (before and while its cluster starts): exit 130,
    no traceback, no hang, the kept chunks untouched."""
    sweep = tmp_path / "m.yaml"
    sweep.write_text(MODEL_SWEEP)
    out = tmp_path / "m.parquet"
    first = subprocess.run(_cmd(sweep, out, "--workers", "1"), cwd=ROOT, env=_env(), capture_output=True, text=True,
                           timeout=300)
    assert first.returncode == 1, first.stdout + first.stderr  # evaluation 7 fails; chunks before it are kept
    parts = tmp_path / "m.parquet.parts"
    kept = {p.name: p.read_bytes() for p in parts.glob("chunk-*")}
    assert kept
    proc = subprocess.Popen(_cmd(sweep, out, "--workers", "2"), cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdout.readline().startswith("resuming:")
        os.kill(proc.pid, signal.SIGTERM)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "Warning" not in stderr and "interrupted; run the same command" in stderr
    assert {p.name: p.read_bytes() for p in parts.glob("chunk-*")} == kept


def test_a_sweep_of_an_extending_scenario_depends_on_its_base(tmp_path):
    """A scenario that extends another is read from both files: a change in the base is a change
    of the sweep's dependencies (kept chunks are then not reused)."""
    from neocloud.analysis.sweeps import dependencies_changed, load_sweep, sweep_dependencies

    base_text = (ROOT / "params/base.yaml").read_text()
    (tmp_path / "base.yaml").write_text(base_text)
    (tmp_path / "free_ramp.yaml").write_text((ROOT / "params/free_ramp.yaml").read_text())
    sweep_text = (ROOT / "params/sweeps/notice_grid.yaml").read_text().replace("scenario: ../base.yaml", "scenario: free_ramp.yaml")
    (tmp_path / "sweep.yaml").write_text(sweep_text)
    sw = load_sweep(tmp_path / "sweep.yaml")
    before = sweep_dependencies(sw, tmp_path / "sweep.yaml")
    assert "extended scenario file base.yaml" in before
    (tmp_path / "base.yaml").write_text(base_text.replace("value: 0.05\n", "value: 0.06\n", 1))
    after = sweep_dependencies(sw, tmp_path / "sweep.yaml")
    assert dependencies_changed(before, after) == ["extended scenario file base.yaml"]


def test_a_sweep_on_edited_data_files_depends_on_the_copies_it_reads(tmp_path, monkeypatch):
    """With ``$NEOCLOUD_DATA`` naming a folder of edited data files, the evaluations read those
    copies: they are what the sweep depends on, so a result finished on the shipped files is not
    "up to date", nor are its kept chunks resumed, under edited ones (nor the reverse)."""
    import shutil

    from neocloud.analysis.sweeps import dependencies_changed, load_sweep, sweep_dependencies

    path = ROOT / "params/sweeps/notice_grid.yaml"
    sw = load_sweep(path)
    shipped = sweep_dependencies(sw, path)
    edited = tmp_path / "data"
    shutil.copytree(ROOT / "neocloud/data", edited)
    monkeypatch.setenv("NEOCLOUD_DATA", str(edited))
    assert sweep_dependencies(sw, path) == shipped  # copies of the same bytes: the same dependencies
    prices = edited / "gpu_prices.csv"
    prices.write_bytes(prices.read_bytes() + b"\n")  # one byte more (a blank line the reader skips)
    assert dependencies_changed(shipped, sweep_dependencies(sw, path)) == ["data file gpu_prices.csv"]
    (edited / "capacity.csv").unlink()
    assert sweep_dependencies(sw, path)["data file capacity.csv"] == "missing"
    monkeypatch.delenv("NEOCLOUD_DATA")
    assert sweep_dependencies(sw, path) == shipped


@pytest.mark.parametrize("command, said", [
    (["sweep", "params/sweeps/notice_grid.yaml", "--out", "never.parquet"], "before the sweep started; nothing was computed"),
    (["render", "--outputs", "never"], "outputs that were complete are kept"),
    (["check", "params/base.yaml"], "interrupted"),
])
def test_an_interrupt_a_command_did_not_handle_is_said_for_that_command(monkeypatch, capsys, command, said):
    """An interrupt that reaches the command line before the command's own handling (a sweep
    interrupted while it imports, before any cluster) is one line about that command: a sweep
    speaks of no outputs/ folder, which only the render writes."""
    from neocloud.commands import cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, f"cmd_{command[0]}", interrupted)
    assert cli.main(command) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0] and "Traceback" not in err[0], err
    if command[0] != "render":
        assert "outputs/" not in err[0]
