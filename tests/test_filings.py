"""The model held against the filings: reported figures read and checked, the readings that fit a
reported RPO, and the ramp discount reported revenue implies (hand-computed, and as properties)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples
from neocloud import load_scenario
from neocloud.model.book import book_backlog, book_of
from neocloud.model.deal import DealTerms, recognised_revenue
from neocloud.analysis.filings import (
    billing_from_signing,
    implied_ramp_discount,
    reading_books,
    rpo_by_reading,
    rpo_gap_closers,
)
from neocloud.inputs.reported import rounding_half_width_usd

Q2 = (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
JUNE_30 = dt.date(2026, 6, 30)


BASE = load_scenario("params/base.yaml")


@pytest.fixture
def base():
    return BASE


def test_rpo_under_each_reading_by_hand(base):
    r = rpo_by_reading(base, JUNE_30, 14.1e9).set_index("earliest_notice_date")
    # Google to 31 Mar 2027 (3 ramp months at half of $0.92B, then 6 full: 1.38 + 5.52) and Reflection
    # to 29 Dec 2026 (5 * 0.15 + 0.15 * 29 / 31) are the same under every reading of Anthropic's terms.
    others = 1.38e9 + 5.52e9 + 5 * 0.15e9 + 0.15e9 * 29 / 31
    anthropic = {
        # notice at any time: the horizon is 30 Jun + 90 days = 28 Sep (service through 27 Sep)
        dt.date(2026, 5, 3): 2 * 1.25e9 + 1.25e9 * 27 / 30,
        dt.date(2026, 7, 30): 3 * 1.25e9 + 1.25e9 * 27 / 31,       # notice 30 Jul: service to 27 Oct
        dt.date(2026, 8, 1): 3 * 1.25e9 + 1.25e9 * 29 / 31,        # notice 1 Aug: service to 29 Oct
        dt.date(2026, 10, 28): 6 * 1.25e9 + 1.25e9 * 25 / 31,      # notice 28 Oct: service to 25 Jan 2027
    }
    for day, value in anthropic.items():
        assert r.loc[day, "enforceable_rpo_usd"] == pytest.approx(value + others, rel=1e-12)
    # The figures of issue 20: 11.42, 12.63, 12.71, 16.30 ($B).
    assert [round(x / 1e9, 2) for x in r.sort_index().enforceable_rpo_usd] == [11.42, 12.63, 12.71, 16.30]


def test_which_readings_fit_the_reported_rpo(base):
    r = rpo_by_reading(base, JUNE_30, 14.1e9)
    fits = dict(zip(r.earliest_notice_date, r.consistent))
    # Only the amended S-1's 3-month initial period reaches $14.05B (the least $14.1B stands for),
    # and only with Google's ramp at nearly the full fee: 12.71 + 1.38 = 14.09.
    assert fits == {dt.date(2026, 5, 3): False, dt.date(2026, 7, 30): False,
                    dt.date(2026, 8, 1): True, dt.date(2026, 10, 28): False}
    amended = r[r.earliest_notice_date == dt.date(2026, 8, 1)].iloc[0]
    assert amended.high_usd == pytest.approx(amended.enforceable_rpo_usd + 0.5 * 3 * 0.92e9, rel=1e-12)
    assert amended.ratio == pytest.approx(amended.enforceable_rpo_usd / 14.1e9)


def test_gap_closer_by_hand(base):
    g = rpo_gap_closers(base, JUNE_30, 14.1e9).set_index("deal")
    # Anthropic's ramp (May, June) is over at 30 June: it moves no remaining obligation.
    assert list(g.index) == ["Google - SpaceX"]
    row = g.loc["Google - SpaceX"]
    slope = 3 * 0.92e9
    assert row.rpo_at_0_usd - row.rpo_at_1_usd == pytest.approx(slope)
    assert row.closes_from == 0.0
    assert row.closes_to == pytest.approx((row.rpo_at_0_usd - 14.05e9) / slope)


def test_implied_ramp_discount_by_hand(base):
    r = implied_ramp_discount(base, 1.6e9, *Q2)
    # Alone: May and June at (1 - d) * $1.25B = $1.6B.
    assert r.alone == pytest.approx(1 - 1.6 / 2.5, abs=1e-12)
    # Everyone signed by 30 June billing from the day after signing: Google from 6 June (25 of 30
    # days, a ramp month) and Reflection from 23 June (8 days, no ramp).
    r0 = 2.5e9 + 0.92e9 * 25 / 30 + 0.15e9 * 8 / 30
    r1 = 0.15e9 * 8 / 30
    assert r.revenue_all_signed_usd == pytest.approx((r0, r1), rel=1e-12)
    assert r.all_signed == pytest.approx((r0 - 1.6e9) / (r0 - r1), rel=1e-12)
    assert (r.low, r.high) == (r.alone, r.all_signed)
    assert r.low < base.terms.ramp_discount.value < r.high   # the assumed 50% is within what the filing supports
    assert r.model_revenue_usd == pytest.approx(1.25e9)


def test_a_figure_no_discount_reaches(base):
    r = implied_ramp_discount(base, 9e9, *Q2)   # more than the whole book could bill in the quarter
    assert r.alone is None and r.all_signed is None and r.low is None and r.high is None


def test_contract_signed_after_the_period_is_in_no_figure(base):
    # Push Reflection's signing past 30 June: it leaves the RPO at 30 June and Q2's revenue.
    later = base.model_copy(update={"other_deals": [
        o if o.buyer_name != "Reflection AI" else o.model_copy(update={"signed": o.signed.model_copy(update={"value": dt.date(2026, 7, 2)})})
        for o in base.other_deals]})
    before = rpo_by_reading(base, JUNE_30, 14.1e9).enforceable_rpo_usd
    after = rpo_by_reading(later, JUNE_30, 14.1e9).enforceable_rpo_usd
    reflection = 5 * 0.15e9 + 0.15e9 * 29 / 31
    assert list(before - after) == pytest.approx([reflection] * len(before))
    assert implied_ramp_discount(later, 1.6e9, *Q2).revenue_all_signed_usd[1] == 0.0


def test_billing_from_signing_keeps_the_ramp_end():
    t = DealTerms(9.2e8, dt.date(2026, 7, 1), dt.date(2029, 6, 30), 3, 0.5, signed=dt.date(2026, 6, 5))
    b = billing_from_signing(t)
    assert (b.start, b.ramp_months) == (dt.date(2026, 6, 6), 4)
    # The months from October on are unchanged; June to September are ramp months.
    assert recognised_revenue(b, dt.date(2026, 10, 1), dt.date(2029, 6, 30)) == recognised_revenue(
        t, dt.date(2026, 10, 1), dt.date(2029, 6, 30))
    late = replace(t, signed=dt.date(2026, 6, 30))
    assert billing_from_signing(late) == late   # service starts the next day anyway
    unsigned = replace(t, signed=None)
    assert billing_from_signing(unsigned) == unsigned


def test_reading_books_lists_each_reading_once(base):
    labels = [label for label, _ in reading_books(base)]
    assert len(labels) == len(base.termination_readings)   # the base's own reading is the amended S-1's
    assert len({t.earliest_notice_date for _, t in reading_books(base)}) == len(labels)


@settings(max_examples=examples(30))
@given(st.floats(min_value=0.01, max_value=0.99), st.integers(min_value=1, max_value=3))
def test_implied_discount_reproduces_the_figure(fraction, ramp_months):
    """Any figure between what the deal bills in the quarter at 100% and at 0% discount is met
    exactly by the implied discount, and the deal alone never needs a smaller discount than the
    whole book (the other contracts only add revenue)."""
    s = BASE.model_copy(update={"terms": BASE.terms.model_copy(update={
        "ramp_months": BASE.terms.ramp_months.model_copy(update={"value": ramp_months})})})
    full, none = (recognised_revenue(replace(s.deal, ramp_discount=x), *Q2) for x in (0.0, 1.0))
    reported = none + fraction * (full - none)
    r = implied_ramp_discount(s, reported, *Q2)
    assert r.alone is not None
    assert recognised_revenue(replace(s.deal, ramp_discount=r.alone), *Q2) == pytest.approx(reported, rel=1e-9)
    if r.all_signed is not None:
        assert r.alone <= r.all_signed + 1e-12


@settings(max_examples=examples(10))
@given(st.floats(min_value=1e8, max_value=1e11))
def test_model_range_holds_the_as_assumed_figure(reported):
    s = BASE
    r = rpo_by_reading(s, JUNE_30, reported)
    assert (r.low_usd <= r.enforceable_rpo_usd + 1e-3).all() and (r.enforceable_rpo_usd <= r.high_usd + 1e-3).all()
    assert r.ratio.tolist() == pytest.approx((r.enforceable_rpo_usd / reported).tolist())
    b = book_backlog(book_of(s), JUNE_30)
    assert r[r.earliest_notice_date == s.deal.earliest_notice_date].enforceable_rpo_usd.iloc[0] == pytest.approx(b.enforceable_usd)


@pytest.mark.parametrize("value, half", [(14.1e9, 5e7), (1.6e9, 5e7), (2_575_000_000, 5e5), (518e9, 5e8), (3.0e9, 5e8), (582.3e6, 5e4)])
def test_rounding_of_a_reported_figure(value, half):
    assert rounding_half_width_usd(value) == half


GOOD_RECORD = """\
  - id: demo-2026q2-revenue
    filer: Demo
    measure: revenue
    line: "cloud"
    scope: line
    period_start: 2026-04-01
    period_end: 2026-06-30
    value_usd: 1.6e+9
    definition: "revenue of the cloud line"
    source: {url: "https://www.sec.gov/demo", date: 2026-08-04}
"""


def _reported_file(tmp_path, body):
    p = tmp_path / "reported.yaml"
    p.write_text(body)
    return p


def test_a_good_reported_file_reads(tmp_path):
    from neocloud.inputs.reported import load_reported, reported_table

    figures = load_reported(_reported_file(tmp_path, "reported:\n" + GOOD_RECORD))
    t = reported_table(figures, "DEMO")   # filer names match case-insensitively
    assert t.reported_usd.tolist() == [1.6e9] and t.period_start.tolist() == [dt.date(2026, 4, 1)]


@pytest.mark.parametrize("change, expected", [
    (("period_start: 2026-04-01", "period_start: 2026-07-01"),
     "record demo-2026q2-revenue (reported.0): key 'period_start': value 2026-07-01: must be on or before period_end (2026-06-30)"),
    (("    period_start: 2026-04-01\n", ""),
     "record demo-2026q2-revenue (reported.0): key 'period_start': value None: a revenue figure covers a period: give its first day"),
    (("measure: revenue", "measure: backlog"),
     "record demo-2026q2-revenue (reported.0): key 'period_start': value 2026-04-01: a backlog figure is a balance at period_end: leave period_start out"),
    (("measure: revenue", "measure: bookings"),
     "record demo-2026q2-revenue (reported.0): key 'measure': value 'bookings': Input should be 'revenue', 'backlog', 'rpo', 'contracted_sales' or 'arr'"),
    (("value_usd: 1.6e+9", "value_usd: -5"),
     "record demo-2026q2-revenue (reported.0): key 'value_usd': value -5: Input should be greater than 0"),
    (("date: 2026-08-04", "date: 2026-06-01"),
     "record demo-2026q2-revenue (reported.0): key 'source.date': value 2026-06-01: a figure for the period ending 2026-06-30 cannot be published before it"),
    (("    line: \"cloud\"\n", "    line: \"cloud\"\n    colour: red\n"),
     "record demo-2026q2-revenue (reported.0): unknown key 'colour'"),
    (("id: demo-2026q2-revenue", "id: Demo Q2"),
     "record Demo Q2 (reported.0): key 'id': value 'Demo Q2': String should match pattern"),
])
def test_bad_reported_files_say_where(tmp_path, change, expected):
    from neocloud.inputs.reported import load_reported
    from neocloud.inputs.sourced import ScenarioError

    p = _reported_file(tmp_path, "reported:\n" + GOOD_RECORD.replace(*change))
    with pytest.raises(ScenarioError) as e:
        load_reported(p)
    assert str(e.value).startswith(f"{p}: {expected}"), str(e.value)


def test_duplicate_reported_ids(tmp_path):
    from neocloud.inputs.reported import load_reported
    from neocloud.inputs.sourced import ScenarioError

    with pytest.raises(ScenarioError, match=r"record demo-2026q2-revenue \(reported.1\): key 'id': .*each record needs its own id"):
        load_reported(_reported_file(tmp_path, "reported:\n" + GOOD_RECORD + GOOD_RECORD))


def test_the_calibration_never_looks_past_the_reporting_date():
    """The price panel reaches October 2026; the base case (30 Jun 2026) calibrates on what was
    known then, a later reporting date refits on the newer prices."""
    import neocloud as nc

    base = nc.load_scenario("params/base.yaml")
    known = nc.calibrate_gbm(as_of=base.as_of.value)
    assert known.last <= base.as_of.value and known.observations == 5
    later = base.model_copy(update={"as_of": base.as_of.model_copy(update={"value": dt.date(2026, 10, 31)})})
    refit = nc.calibrate_gbm(as_of=later.as_of.value)
    assert refit.last == dt.date(2026, 10, 5) and refit.observations == known.observations + 1
    from neocloud.model.exit_option import scenario_market

    assert scenario_market(base).drift_per_year == pytest.approx(known.drift_per_year)
    assert scenario_market(later).drift_per_year == pytest.approx(refit.drift_per_year)


def test_a_seller_the_ledger_does_not_know_is_a_warning_and_no_figure():
    from neocloud.analysis.filings import filing_check, ledger_seller
    from neocloud.analysis.checks import scenario_warnings
    import neocloud as nc

    s = BASE.model_copy(update={"seller": BASE.seller.model_copy(update={"ledger_name": "Acme Compute"})})
    assert ledger_seller(s, nc.load_ledger()) is None
    assert filing_check(s, nc.load_reported()) is None
    assert any("key 'seller.ledger_name': value 'Acme Compute': no seller of that name" in w for w in scenario_warnings(s))
    assert ledger_seller(BASE.model_copy(update={"seller": BASE.seller.model_copy(update={"ledger_name": "spacex"})}),
                         nc.load_ledger()) == "SpaceX"
