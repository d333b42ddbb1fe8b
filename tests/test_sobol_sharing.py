"""Scenarios share a Sobol' analysis exactly when its evaluations read the same from them.

The analysis of the termination report is cached by what its evaluations read from the scenario
(``neocloud.analysis.sweeps.evaluation_reads``): the inputs the design sweeps are left out, so
the base case, its ramp discounts and its chance of notice share one analysis. Sound only if an
unchanged key means an unchanged table; these tests compute the tables to show it.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from typing import Any

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conftest import PARAMS, ROOT, examples

from neocloud import load_scenario
from neocloud.analysis import global_sensitivity as gs
from neocloud.analysis.sweeps import design_table, evaluate_rows, evaluation_reads, load_sweep
from neocloud.inputs.scenario import scenario_parameters, validate_scenario
from neocloud.inputs.sourced import ScenarioError

SWEEP_FILE = ROOT / "params" / "sweeps" / "termination_sobol.yaml"
SHIPPED = sorted(p.stem for p in PARAMS.glob("*.yaml"))


@functools.cache
def _small_sweep() -> Any:
    """The shipped analysis's sweep (its inputs, ranges, outputs and seed) on 2 base samples
    (22 evaluations) and 100 market paths: the same evaluations, fewer of them."""
    sw = load_sweep(SWEEP_FILE)
    return sw.model_copy(update={"design": sw.design.model_copy(update={"base_samples": 2}), "market_paths": 100})


def _table(scenario: Any) -> pd.DataFrame:
    sw = _small_sweep()
    return evaluate_rows(scenario, design_table(sw, scenario), list(sw.outputs), sw.market_paths)


@functools.cache
def _base() -> tuple[dict[str, Any], Any, pd.DataFrame]:
    data = scenario_parameters(load_scenario(PARAMS / "base.yaml"))
    sc = validate_scenario(data)
    return data, sc, _table(sc)


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths of the numbers and ISO dates in scenario data."""
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))]
    if isinstance(node, bool):
        return []
    if isinstance(node, (int, float)):
        return [path]
    if isinstance(node, str) and _iso_date(node) is not None:
        return [path]
    return []


def _iso_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def _changed(data: Any, path: tuple[Any, ...], step: int, factor: float) -> Any:
    """``data`` (a deep copy) with the leaf at ``path`` moved: a date by ``step`` days, an integer
    by ``step``, a float by ``factor``."""
    import copy

    out = copy.deepcopy(data)
    node = out
    for k in path[:-1]:
        node = node[k]
    old = node[path[-1]]
    if isinstance(old, str):
        node[path[-1]] = (dt.date.fromisoformat(old) + dt.timedelta(days=step)).isoformat()
    elif isinstance(old, int):
        node[path[-1]] = old + step
    else:
        node[path[-1]] = old * factor if old != 0.0 else factor - 1.0
    return out


@settings(max_examples=examples(15), deadline=None)
@given(data=st.data(), step=st.sampled_from([-40, -3, -1, 1, 2, 31, 400]),
       factor=st.sampled_from([0.5, 0.9, 0.999, 1.001, 1.1, 2.0]))
def test_a_scenario_changed_anywhere_gets_another_key_or_the_same_table(data, step, factor):
    # every number and date of the scenario, one at a time: where the change leaves what the
    # evaluations read unchanged, the table (computed afresh) is the same, value for value
    base_data, base_sc, base_table = _base()
    path = data.draw(st.sampled_from(_leaves(base_data)), label="field")
    try:
        sc = validate_scenario(_changed(base_data, path, step, factor))
    except (ScenarioError, ValueError):
        assume(False)  # the change made the scenario invalid: nothing to key
    sw = _small_sweep()
    try:
        reads = evaluation_reads(sc, sw)
    except ValueError:
        assume(False)  # e.g. a reading that now falls after the end: the sweep is refused before it runs
    if reads == evaluation_reads(base_sc, sw):
        pd.testing.assert_frame_equal(_table(sc), base_table, check_exact=True)


@pytest.mark.parametrize(("path", "step"), [
    (("terms", "monthly_fee_usd", "value"), 1), (("terms", "end", "value"), -1), (("terms", "notice_days", "value"), 1),
    (("terms", "ramp_months", "value"), 1), (("as_of", "value"), 1), (("market", "discount_rate_per_year", "value"), 1),
    (("gpu_bases", "h100_equivalent", "value"), -100_000), (("termination_readings", 0, "lockup_months"), 1),
])
def test_a_field_the_evaluations_read_changes_the_key_and_the_table(path, step):
    # the converse, on fields the evaluations are known to read: the key moves with each, and so
    # does the table (so a key that ignored the field would serve a wrong analysis)
    base_data, base_sc, base_table = _base()
    sc = validate_scenario(_changed(base_data, path, step, 1.1))
    assert evaluation_reads(sc, _small_sweep()) != evaluation_reads(base_sc, _small_sweep())
    assert not _table(sc).equals(base_table)


def test_swept_inputs_are_left_out_of_the_key():
    # the design sets each of these in every evaluation: the scenario's own value is never read
    base_data, base_sc, _ = _base()
    for path in [("terms", "ramp_discount", "value"), ("termination", "monthly_notice_probability", "value"),
                 ("market", "price_usd_per_h100e_hour", "value"), ("market", "drift_per_year", "value"),
                 ("market", "volatility_per_year", "value"), ("market", "buyer_switching_cost_months_of_fee", "value"),
                 ("market", "seller_switching_cost_months_of_fee", "value")]:
        if path[0] == "market" and path[1] not in base_data["market"]:
            continue
        sc = validate_scenario(_changed(base_data, path, 1, 0.5))
        assert evaluation_reads(sc, _small_sweep()) == evaluation_reads(base_sc, _small_sweep()), path


def _groups() -> dict[str, list[str]]:
    by_key: dict[str, list[str]] = {}
    for name in SHIPPED:
        by_key.setdefault(gs.sobol_cache_key(load_scenario(PARAMS / f"{name}.yaml"), SWEEP_FILE), []).append(name)
    return by_key


def test_the_shipped_scenarios_need_five_analyses():
    # the base case, its two ramp discounts and early exit share one; the GPU reading and the
    # three readings of the terms (their own terms are one of the readings swept, counted again)
    # each have their own
    groups = sorted(sorted(g) for g in _groups().values())
    assert groups == [["base", "early_exit", "free_ramp", "no_ramp_discount"], ["colossus_1_and_2"],
                      ["musk_180_days_in_all"], ["musk_lease_then_notice"], ["original_s1"]]


@pytest.mark.parametrize("name", ["early_exit", "free_ramp", "no_ramp_discount"])
def test_scenarios_that_share_a_key_give_the_same_table_computed_apart(name):
    # computed separately, without the cache: the same table, value for value
    _, _, base_table = _base()
    other = load_scenario(PARAMS / f"{name}.yaml")
    assert gs.sobol_cache_key(other, SWEEP_FILE) == gs.sobol_cache_key(load_scenario(PARAMS / "base.yaml"), SWEEP_FILE)
    pd.testing.assert_frame_equal(_table(other), base_table, check_exact=True)


def test_an_analysis_is_computed_once_for_scenarios_that_share_it(tmp_path, monkeypatch):
    # through sobol_analysis with a cache: the second scenario reads the first one's analysis back
    sweep = tmp_path / "small.yaml"
    text = SWEEP_FILE.read_text(encoding="utf-8")
    small = text.replace("base_samples: 64", "base_samples: 8").replace("market_paths: 500", "market_paths: 100")
    small = small.replace("bootstrap_resamples: 500", "bootstrap_resamples: 20")
    assert small != text
    sweep.write_text(small.replace("scenario: ../base.yaml", f"scenario: {PARAMS / 'base.yaml'}"), encoding="utf-8")
    runs = []
    real = gs._compute_sobol_analysis
    monkeypatch.setattr(gs, "_compute_sobol_analysis", lambda *a: runs.append(a) or real(*a))
    cache = tmp_path / "cache"
    a = gs.sobol_analysis(load_scenario(PARAMS / "base.yaml"), sweep, cache_dir=cache)
    b = gs.sobol_analysis(load_scenario(PARAMS / "no_ramp_discount.yaml"), sweep, cache_dir=cache)
    assert len(runs) == 1
    fresh = gs.sobol_analysis(load_scenario(PARAMS / "no_ramp_discount.yaml"), sweep, cache_dir=False)
    assert len(runs) == 2
    for x in (a, b):
        pd.testing.assert_frame_equal(x.table, fresh.table, check_exact=True)
        pd.testing.assert_frame_equal(x.indices, fresh.indices, check_exact=True)
    assert math.isfinite(float(fresh.indices.ST.sum()))


def test_the_key_holds_every_file_of_the_package_an_analysis_runs(tmp_path):
    """The key hashes the source an analysis runs (``analysis_source_files``: inputs, data, model,
    analysis), not the whole package, so that an edit of the reports' words or of the pipeline keeps
    the analyses: sound only if every neocloud module a process imports to compute an analysis is
    among those files. Shown on a fresh process computing one (8 base samples, 100 market paths)."""
    import subprocess
    import sys

    sweep = tmp_path / "small_sobol.yaml"
    text = SWEEP_FILE.read_text(encoding="utf-8")
    for old, new in (("base_samples: 64", "base_samples: 8"), ("market_paths: 500", "market_paths: 100"),
                     ("bootstrap_resamples: 500", "bootstrap_resamples: 20"),
                     ("scenario: ../base.yaml", f"scenario: {PARAMS / 'base.yaml'}")):
        assert old in text
        text = text.replace(old, new)
    sweep.write_text(text, encoding="utf-8")
    code = ("import sys\nfrom pathlib import Path\nfrom neocloud import load_scenario\n"
            "from neocloud.analysis.global_sensitivity import sobol_analysis\n"
            f"a = sobol_analysis(load_scenario({str(PARAMS / 'base.yaml')!r}), {str(sweep)!r}, cache_dir=False)\n"
            "assert a.evaluations == 88, a.evaluations\n"
            "for name, m in sorted(sys.modules.items()):\n"
            "    if name.split('.')[0] == 'neocloud' and getattr(m, '__file__', None):\n"
            "        print(Path(m.__file__).resolve())\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ran = set(proc.stdout.split())
    hashed = {str(p) for p in gs.analysis_source_files()}
    assert {str(ROOT / "neocloud" / "model" / "exit_option.py"), str(ROOT / "neocloud" / "analysis" / "sweeps.py")} <= ran
    assert ran <= hashed, f"run by an analysis but not in its cache key: {sorted(ran - hashed)}"
    assert not [p for p in hashed if "/neocloud/report/" in p or "/neocloud/pipeline/" in p]
