"""Invariants of the conventions, for any deal (hypothesis), and fuzzed scenarios."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neocloud as nc
from conftest import examples
from neocloud import DealTerms, ScenarioError, validate_scenario
from neocloud.inputs.scenario import read_scenario_data

@pytest.fixture(autouse=True, scope="module")
def _data_files_parsed_once():
    """The YAML data files the headline figures read (the ledger, the filings) parsed once for
    this module's many examples rather than once per example (none of them is changed here)."""
    from neocloud.inputs.sourced import each_file_read_once

    with each_file_read_once():
        yield


dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31))


@st.composite
def deals(draw) -> DealTerms:
    start = draw(dates)
    length = draw(st.integers(min_value=0, max_value=2500))
    end = start + dt.timedelta(days=length)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    return DealTerms(
        monthly_fee_usd=draw(st.floats(min_value=1.0, max_value=1e10, allow_nan=False)),
        start=start,
        end=end,
        ramp_months=draw(st.integers(min_value=0, max_value=months)),
        ramp_discount=draw(st.floats(min_value=0.0, max_value=1.0)),
        notice_days=draw(st.integers(min_value=1, max_value=length + 1)),
        lockup_months=draw(st.integers(min_value=0, max_value=months - 1)),
        capacity_mw=draw(st.floats(min_value=0.1, max_value=5000)),
        earliest_notice_clause=draw(st.none() | st.dates(min_value=start, max_value=end)),
        signed=draw(st.none() | st.dates(min_value=start - dt.timedelta(days=90), max_value=end)),
    )


@given(deals())
def test_schedule_sums_to_the_total(t):
    s = nc.payment_schedule(t)
    total = nc.total_contract_value(t)
    assert s.fee_usd.sum() == pytest.approx(total, rel=1e-9, abs=1e-6)
    assert s.cumulative_usd.iloc[-1] == pytest.approx(total, rel=1e-12, abs=1e-6)
    assert (s.fee_usd >= -1e-6).all()
    assert s.service_days.sum() == t.term_days


@given(deals(), st.lists(st.integers(min_value=0, max_value=3000), min_size=2, max_size=30))
def test_realised_is_monotone_and_capped(t, offsets):
    days = sorted(t.earliest_notice_date + dt.timedelta(days=o) for o in offsets)
    realised = nc.revenue_if_terminated_many(t, days).realised_usd.to_numpy()
    total = nc.total_contract_value(t)
    assert np.all(np.diff(realised) >= -1e-6 * max(total, 1.0))
    assert np.all(realised <= total * (1 + 1e-12) + 1e-6)


@given(deals(), st.integers(min_value=0, max_value=3000))
def test_rpo_invariant(t, offset):
    a = t.earliest_notice_date + dt.timedelta(days=offset)
    recognised = nc.recognised_revenue(t, t.start, a) if a >= t.start else 0.0
    rpo = nc.remaining_performance_obligation(t, a)
    realised = nc.revenue_if_terminated(t, a)
    scale = max(nc.total_contract_value(t), 1.0)
    assert recognised + rpo.enforceable_usd == pytest.approx(realised, rel=1e-9, abs=1e-6 * scale)
    assert -1e-6 * scale <= rpo.enforceable_usd <= rpo.headline_usd + 1e-6 * scale


@given(deals(), st.floats(min_value=0.0, max_value=1.0))
def test_expected_revenue_between_floor_and_total(t, p):
    e = nc.expected_revenue(t, p)
    scale = max(nc.total_contract_value(t), 1.0)
    assert nc.committed_floor(t) - 1e-6 * scale <= e <= nc.total_contract_value(t) + 1e-6 * scale


@settings(max_examples=examples(25))
@given(deals(), st.floats(min_value=0.0, max_value=1.0), st.integers(min_value=0, max_value=2**32 - 1))
def test_monte_carlo_mean_within_six_standard_errors(t, p, seed):
    # the bound comes from the exact variance of the outcome law: a correct sampler fails it
    # about twice in a billion draws; the slack covers float rounding of the sums only
    n = 200_000
    paths = nc.simulate_termination(t, n, seed=seed, monthly_notice_probability=p)
    expected = nc.expected_revenue(t, p)
    sigma = nc.revenue_variance(t, p) ** 0.5
    rounding = 1e-9 * max(nc.total_contract_value(t), 1.0)
    assert abs(paths.mean() - expected) <= 6 * sigma / n**0.5 + rounding


# ------------------------------------------------------------------------------------------
# Fuzzed scenarios: valid ones never raise and keep the invariants; invalid ones raise
# ScenarioError and nothing else.

BASE = read_scenario_data(Path("params/base.yaml"))   # the book read from the ledger, written out


@st.composite
def valid_scenarios(draw):
    data = copy.deepcopy(BASE)
    t = data["terms"]
    start = draw(dates)
    end = start + dt.timedelta(days=draw(st.integers(min_value=31, max_value=2000)))
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    t["start"]["value"], t["end"]["value"] = start, end
    data["key_dates"]["signed"]["value"] = start - dt.timedelta(days=draw(st.integers(min_value=-20, max_value=90)))
    t["monthly_fee_usd"]["value"] = draw(st.floats(min_value=1e3, max_value=1e11))
    t["ramp_months"]["value"] = draw(st.integers(min_value=0, max_value=months))
    t["ramp_discount"]["value"] = draw(st.floats(min_value=0, max_value=1))
    t["notice_days"]["value"] = draw(st.integers(min_value=1, max_value=30))
    t["lockup_months"]["value"] = draw(st.integers(min_value=0, max_value=months - 1))
    t["capacity_mw"]["value"] = draw(st.floats(min_value=1, max_value=10000))
    data["termination"]["monthly_notice_probability"]["value"] = draw(st.floats(min_value=0, max_value=1))
    data["title"] = draw(st.text(min_size=1, max_size=80).filter(lambda s: "\n" not in s and "\r" not in s))
    # a reading of the terms must fit them (first notice on or before the end): keep the one that always does
    data["termination_readings"] = [r for r in data["termination_readings"] if r.get("lockup_months") == 0]
    return data


@settings(max_examples=examples(60))
@given(valid_scenarios())
def test_fuzzed_valid_scenarios(data):
    s = validate_scenario(data, "fuzz.yaml")
    f = nc.headline_figures(s)
    total = f["total_contract_value_usd"]
    assert 0 <= f["committed_floor_usd"] <= total * (1 + 1e-12) + 1e-6
    assert f["enforceable_rpo_usd"] <= f["headline_backlog_usd"] + 1e-6 * max(total, 1)
    assert nc.payment_schedule(s).fee_usd.sum() == pytest.approx(total, rel=1e-9)


def _set(data, path, value):
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


MUTATIONS = st.sampled_from([
    (("terms", "monthly_fee_usd", "value"), st.one_of(st.floats(max_value=0), st.text(), st.booleans(), st.none())),
    (("terms", "ramp_discount", "value"), st.one_of(st.floats(min_value=1.0001, max_value=1e6), st.floats(max_value=-0.0001))),
    (("terms", "notice_days", "value"), st.one_of(st.integers(max_value=0), st.floats(allow_nan=True), st.text())),
    (("terms", "start", "value"), st.one_of(st.text(min_size=1), st.integers())),
    (("terms", "end", "value"), st.just(dt.date(2020, 1, 1))),
    (("terms", "notice_days", "value"), st.integers(min_value=1128, max_value=10**6)),
    (("terms", "unknown_key"), st.integers()),
    (("terms", "capacity_mw", "source"), st.none()),
    (("gpu_bases",), st.one_of(st.just({}), st.lists(st.integers()))),
    (("title",), st.one_of(st.just(""), st.integers(), st.just("two\nlines"))),
    (("termination", "monte_carlo_paths"), st.integers(max_value=999)),
])


@settings(max_examples=examples(80))
@given(MUTATIONS.flatmap(lambda m: st.tuples(st.just(m[0]), m[1])))
def test_fuzzed_invalid_scenarios_raise_scenario_error(mutation):
    path, value = mutation
    data = copy.deepcopy(BASE)
    _set(data, path, value)
    with pytest.raises(ScenarioError) as info:
        validate_scenario(data, "fuzz.yaml")
    assert str(info.value).startswith("fuzz.yaml: ")


@settings(max_examples=examples(80))
@given(st.recursive(st.none() | st.booleans() | st.floats() | st.text(max_size=20) | st.integers(),
                    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
                    max_leaves=20))
def test_arbitrary_data_raises_only_scenario_error(data):
    with pytest.raises(ScenarioError):
        validate_scenario(data, "fuzz.yaml")


@given(st.lists(st.floats(min_value=0.0, max_value=1.0, allow_nan=False), min_size=1, max_size=6),
       st.integers(min_value=0, max_value=2))
def test_shares_of_a_whole_add_up_to_100_percent_as_shown(weights, digits):
    """``narrative.shares``: shares of one whole (normalised weights) shown with ``digits`` decimals
    add up to exactly 100%, each within one unit of its last digit of the exact share, and a larger
    share never shows less than a smaller one."""
    from neocloud.report.narrative import shares

    total = sum(weights)
    if total <= 0:
        return
    fractions = [w / total for w in weights]
    shown = shares(*fractions, digits=digits)
    units = [round(float(t.removesuffix("%")) * 10 ** digits) for t in shown]
    assert sum(units) == 100 * 10 ** digits, (fractions, shown)
    for f, u in zip(fractions, units):
        assert abs(u - f * 100 * 10 ** digits) < 1 + 1e-6, (fractions, shown)
    for (f, u), (g, v) in zip(zip(fractions, units), zip(fractions[1:], units[1:])):
        assert (f > g and u >= v) or (f < g and u <= v) or f == g, (fractions, shown)
