"""The conventions of shared/conventions.md, checked against numbers worked out by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pytest

import neocloud as nc
from neocloud import DealTerms
from neocloud.model.deal import NoticeDateError, fiscal_quarter, quarter_bounds

D = dt.date


def test_base_case_total(terms):
    # 37 calendar months (May 2026 .. May 2029) at $1.25B, two of them at half price:
    # 35 * 1.25 + 2 * 0.625 = 43.75 + 1.25 = $45.0B
    assert terms.months == 37
    assert nc.total_contract_value(terms) == 45.0e9


def test_unit_economics_by_hand(base):
    u = nc.unit_economics(base)
    assert round(u.usd_per_mw_month) == 4_166_667  # 1.25e9 / 300 MW
    assert u.hours_per_month == 730.5  # 8766 / 12
    assert u.usd_per_mwh == pytest.approx(1.25e9 / (300 * 730.5))  # $5,703.86 per MWh
    # 1.25e9 / (220,000 GPUs * 730.5 h) = $7.778 per GPU-hour
    assert u.usd_per_gpu_hour["reported"] == pytest.approx(7.77799, rel=1e-5)
    row = u.gpu_hours[(u.gpu_hours.basis == "reported") & (u.gpu_hours.market == "h100_one_year_contract")].iloc[0]
    assert row.ratio == pytest.approx(7.77799 / 2.35, rel=1e-5)


def test_full_month_earns_exactly_the_fee(terms):
    s = nc.payment_schedule(terms)
    full = s[~s.discounted]
    assert (full.fee_usd == 1.25e9).all()
    assert (s[s.discounted].fee_usd == 0.625e9).all()
    assert list(s.month.iloc[:2]) == [D(2026, 5, 1), D(2026, 6, 1)]
    assert isinstance(s.month.iloc[0], dt.date)


def test_part_months_prorate_by_days():
    # service 17 to 28 Feb 2027 (12 of 28 days) and 1 to 10 Mar 2027 (10 of 31 days), fee 2.8e9
    t = DealTerms(2.8e9, D(2027, 2, 17), D(2027, 3, 10))
    s = nc.payment_schedule(t)
    assert s.service_days.tolist() == [12, 10]
    assert s.fee_usd.iloc[0] == pytest.approx(2.8e9 * 12 / 28)  # 1.2e9
    assert s.fee_usd.iloc[1] == pytest.approx(2.8e9 * 10 / 31)
    assert nc.total_contract_value(t) == pytest.approx(1.2e9 + 2.8e9 * 10 / 31)


def test_leap_february_has_29_days():
    # February 2028 has 29 days: 29e9 a month is 1e9 a day; 1 to 10 Feb 2028 earns 10e9
    t = DealTerms(29e9, D(2028, 2, 1), D(2028, 2, 10))
    assert nc.total_contract_value(t) == pytest.approx(10e9)
    assert nc.payment_schedule(t).days_in_month.tolist() == [29]


def test_ramp_months_count_from_the_start_month():
    # start mid-month: the ramp covers May (17 days) and June; July is full price
    t = DealTerms(3.1e9, D(2026, 5, 15), D(2026, 7, 31), ramp_months=2, ramp_discount=1.0)
    s = nc.payment_schedule(t)
    assert s.discounted.tolist() == [True, True, False]
    assert s.fee_usd.tolist() == [0.0, 0.0, 3.1e9]


def test_earliest_notice_and_termination(terms):
    # lock-up of 3 months from May 2026: first notice 1 Aug 2026; + 90 days = 30 Oct 2026
    assert terms.earliest_notice_date == D(2026, 8, 1)
    assert terms.earliest_termination_date == D(2026, 10, 30)
    assert DealTerms(1e9, D(2026, 5, 1), D(2029, 5, 31), lockup_months=0).earliest_notice_date == D(2026, 5, 1)


def test_committed_floor_by_hand(terms):
    # notice 1 Aug 2026 -> service days 1 May .. 29 Oct 2026:
    # May + June at half (0.625 * 2 = 1.25), July, Aug, Sep (3.75), 29 of 31 October days
    expected = 1.25e9 + 3.75e9 + 1.25e9 * 29 / 31
    assert nc.committed_floor(terms) == pytest.approx(expected)
    assert nc.revenue_if_terminated(terms, D(2026, 8, 1)) == pytest.approx(6_169_354_838.71, abs=0.01)


def test_notice_inside_the_lockup_names_the_earliest_date(terms):
    with pytest.raises(NoticeDateError, match=r"earliest allowed notice date, 2026-08-01 \(the 3-month lock-up\)"):
        nc.revenue_if_terminated(terms, D(2026, 7, 31))


def test_notice_never_before_signing(terms):
    # the original S-1: notice at any time after signing on 3 May 2026, never on 1 May
    t = replace(terms, lockup_months=0, signed=D(2026, 5, 3))
    assert t.earliest_notice_date == D(2026, 5, 3)
    with pytest.raises(NoticeDateError, match=r"2026-05-03 \(the signing on 2026-05-03\)"):
        nc.revenue_if_terminated(t, D(2026, 5, 1))
    # notice on 3 May ends service on 1 Aug: May and June at half, all of July
    assert nc.committed_floor(t) == pytest.approx(0.625e9 * 2 + 1.25e9)
    # the hazard model's first notice date is the first of the next month
    assert nc.notice_dates(t)[0] == D(2026, 6, 1)


def test_dated_clause_replaces_the_lockup(terms):
    # Google - SpaceX: "90 days' notice after 31 December 2026"
    t = replace(terms, earliest_notice_clause=D(2027, 1, 1), signed=D(2026, 5, 3))
    assert t.earliest_notice_date == D(2027, 1, 1) and "clause" in t.notice_rule
    assert nc.termination_date(t, D(2027, 1, 1)) == D(2027, 4, 1)  # 90 days from 1 Jan 2027
    rpo = nc.remaining_performance_obligation(t, D(2026, 6, 30))
    assert rpo.enforceable_usd == pytest.approx(nc.revenue_if_terminated(t, D(2027, 1, 1)) - 1.25e9)


def test_notice_after_the_end_changes_nothing(terms):
    assert nc.revenue_if_terminated(terms, D(2029, 5, 31)) == 45.0e9
    assert nc.revenue_if_terminated(terms, D(2031, 1, 1)) == 45.0e9
    # notice on 3 Mar 2029 ends service on 1 Jun 2029 (90 days), the day after the end
    assert nc.revenue_if_terminated(terms, D(2029, 3, 3)) == 45.0e9
    # one day earlier it ends on 31 May 2029: one day of May (1.25e9 / 31) is lost
    assert nc.revenue_if_terminated(terms, D(2029, 3, 2)) == pytest.approx(45.0e9 - 1.25e9 / 31)


def test_vectorised_matches_scalar(terms):
    days = [D(2026, 8, 1) + dt.timedelta(days=k) for k in range(0, 1100, 37)]
    many = nc.revenue_if_terminated_many(terms, days)
    assert np.allclose(many.realised_usd, [nc.revenue_if_terminated(terms, d) for d in days], rtol=0, atol=1e-3)
    assert len(nc.revenue_if_terminated_many(terms)) == (D(2029, 5, 31) - D(2026, 8, 1)).days + 1


def test_rpo_before_the_lockup_ends(terms):
    # end of 30 Jun 2026: headline = 45 - 1.25 (May, June) = 43.75;
    # enforceable = days 1 Jul .. 29 Oct = 3.75 + 1.25 * 29/31
    b = nc.remaining_performance_obligation(terms, D(2026, 6, 30))
    assert b.headline_usd == pytest.approx(43.75e9)
    assert b.enforceable_usd == pytest.approx(3.75e9 + 1.25e9 * 29 / 31)


def test_rpo_after_the_lockup(terms):
    # end of 31 Dec 2027: enforceable = 1 Jan .. 30 Mar 2028 (notice horizon 31 Dec + 90 = 30 Mar)
    # = Jan + Feb (leap year, full) + 29 of 31 March days
    b = nc.remaining_performance_obligation(terms, D(2027, 12, 31))
    assert b.enforceable_usd == pytest.approx(2 * 1.25e9 + 1.25e9 * 29 / 31)
    assert b.headline_usd == pytest.approx(17 * 1.25e9)  # Jan 2028 .. May 2029


def test_rpo_invariant_on_every_day(terms):
    # for a on or after the earliest notice date: recognised through a + enforceable RPO at a
    # == revenue realised if notice is served on a
    for k in range(0, 1040, 11):
        a = D(2026, 8, 1) + dt.timedelta(days=k)
        rec = nc.recognised_revenue(terms, terms.start, a)
        rpo = nc.remaining_performance_obligation(terms, a).enforceable_usd
        assert rec + rpo == pytest.approx(nc.revenue_if_terminated(terms, a), rel=1e-12)


def test_rpo_after_the_end_is_zero(terms):
    b = nc.remaining_performance_obligation(terms, D(2030, 1, 1))
    assert (b.headline_usd, b.enforceable_usd) == (0.0, 0.0)


def test_calendar_quarters(terms):
    q = nc.recognised_revenue_by_quarter(terms)
    assert q.quarter.iloc[:3].tolist() == ["2026 Q2", "2026 Q3", "2026 Q4"]
    assert q.revenue_usd.iloc[:3].tolist() == [1.25e9, 3.75e9, 3.75e9]
    assert q.revenue_usd.iloc[-1] == 2.5e9  # 2029 Q2: April and May
    assert q.revenue_usd.sum() == pytest.approx(45e9)


def test_fiscal_year_ending_june():
    assert fiscal_quarter(D(2026, 6, 30), 6) == (2026, 4)
    assert fiscal_quarter(D(2026, 7, 1), 6) == (2027, 1)
    assert quarter_bounds(2026, 4, 6) == (D(2026, 4, 1), D(2026, 6, 30))
    t = DealTerms(1e9, D(2026, 5, 1), D(2026, 12, 31))
    q = nc.recognised_revenue_by_quarter(t, fiscal_year_end_month=6)
    assert q.quarter.tolist() == ["FY2026 Q4", "FY2027 Q1", "FY2027 Q2"]
    assert q.revenue_usd.tolist() == [2e9, 3e9, 3e9]


def test_expected_revenue_closed_form_against_a_plain_loop(terms):
    p = 0.05
    alive, expected = 1.0, 0.0
    for d in nc.notice_dates(terms):  # 1 Aug 2026 .. 1 May 2029: 34 first-of-month dates
        expected += alive * p * nc.revenue_if_terminated(terms, d)
        alive *= 1 - p
    expected += alive * 45e9
    assert len(nc.notice_dates(terms)) == 34
    assert nc.expected_revenue(terms, p) == pytest.approx(expected, rel=1e-12)
    assert nc.expected_revenue(terms, 0.0) == 45e9
    assert nc.expected_revenue(terms, 1.0) == pytest.approx(nc.committed_floor(terms))


def test_monte_carlo_agrees_with_closed_form(terms):
    for p in (0.02, 0.05, 0.2):
        paths = nc.simulate_termination(terms, 400_000, seed=11, monthly_notice_probability=p)
        assert abs(paths.mean() / nc.expected_revenue(terms, p) - 1) < 0.01


def test_monte_carlo_is_seeded(base):
    a = nc.simulate_termination(base, 10_000, seed=3)
    b = nc.simulate_termination(base, 10_000, seed=3)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, nc.simulate_termination(base, 10_000, seed=4))
    with pytest.raises(ValueError, match="monthly_notice_probability"):
        nc.simulate_termination(base.deal, 10, seed=1)


def test_monte_carlo_prior_mean_matches_integral(base):
    # with p drawn from Beta(2, 38), the mean is E[expected_revenue(p)] over the prior
    prior = base.termination.probability_prior
    grid = np.linspace(0.0005, 0.9995, 2000)
    weights = grid ** (prior.alpha - 1) * (1 - grid) ** (prior.beta - 1)  # Beta density, unnormalised
    curve = nc.expected_revenue_curve(base, grid).expected_usd.to_numpy()
    integral = np.sum(curve * weights) / np.sum(weights)
    paths = nc.simulate_termination(base, 400_000, seed=5)
    assert abs(paths.mean() / integral - 1) < 0.01


def test_headline_reconciliation(base):
    hc = nc.headline_check(base)
    assert hc.consistent.tolist() == [True, True, True]
    # 46.25 - 2.5 d within 45 +/- 2.5%: d from 0.05 to 0.95
    assert nc.consistent_discounts(base) == (0.05, 0.95)
    free = nc.headline_consistency_grid(base, [D(2026, 5, 1)], [1.0])
    assert free.total_usd.tolist() == [43.75e9] and free.consistent.tolist() == [False]


def test_seller_view(base):
    v = nc.seller_quarterly_view(base)
    # 2026 Q3: the deal's 3.75 against the seller's 2025 revenue grown 15.42% a year for three
    # quarters, plus the rest of the book (Google's ramp 3 * 0.46, Reflection 3 * 0.15)
    baseline = 18.674 / 4 * 1.1542 ** 0.75
    assert v.deal_share.iloc[1] == pytest.approx(3.75 / (3.75 + baseline + 1.38 + 0.45))
    assert v.other_deals_usd.iloc[1] == pytest.approx(1.83e9)
    e = nc.seller_economics(base)
    assert e["revenue_usd_per_mw_year"] == 50e6 and e["implied_margin"] == pytest.approx(1 - 8.5 / 50)
    assert e["all_in_capex_usd"] == 35e6 * 300


def test_comparables_have_sources_and_normalise():
    c = nc.comparable_deals()
    assert c.source_url.str.match(r"^https?://").all()
    n = nc.normalise_deals(c)
    iren = n[n.deal == "IREN - Microsoft"].iloc[0]
    assert iren.usd_per_year == pytest.approx(9.7e9 / 5)
    assert iren.usd_per_mw_month == pytest.approx(9.7e9 / (60 * 200))  # $808,333


def test_tornado_and_grids(base):
    tor = nc.tornado(base)
    assert set(tor.input) == set(nc.TORNADO_LABELS)
    assert (tor.width_usd.diff().dropna() <= 0).all()  # widest first
    grid = nc.realised_grid(base)
    assert set(grid.notice_days) == set(nc.DEFAULT_NOTICE_DAYS)
    assert (grid.realised_usd <= nc.total_contract_value(base) + 1e-3).all()
    floor = nc.committed_floor_over_time(base)
    assert floor.committed_usd.iloc[0] == pytest.approx(nc.committed_floor(base))
    assert floor.committed_usd.is_monotonic_increasing


def test_headline_figures_keys(base):
    f = nc.headline_figures(base)
    assert set(f["terms"]) == {"monthly_fee_usd", "start", "end", "ramp_months", "ramp_discount", "notice_days",
                               "lockup_months", "capacity_mw", "earliest_notice_date", "earliest_notice_rule"}
    for key in ("total_contract_value_usd", "months", "committed_floor_usd", "usd_per_mw_month", "usd_per_gpu_hour",
                "enforceable_rpo_usd", "headline_backlog_usd", "as_of"):
        assert key in f


def test_exact_and_two_stage_monte_carlo_agree(base):
    # the exact sampler integrates the Beta prior out (Beta-geometric law); drawing p per path
    # then the month must give the same distribution of outcomes
    exact = nc.simulate_termination(base, 400_000, seed=21)
    two = nc.simulate_termination(base, 400_000, seed=22, method="two_stage")
    assert abs(exact.mean() / two.mean() - 1) < 0.01
    outcomes = np.union1d(exact, two)
    freq_exact = np.array([(exact == o).mean() for o in outcomes])
    freq_two = np.array([(two == o).mean() for o in outcomes])
    assert np.abs(freq_exact - freq_two).max() < 0.005  # each outcome's share of paths
    probs = nc.notice_month_probabilities(base)
    assert probs.sum() == pytest.approx(1.0) and len(probs) == len(nc.notice_dates(base)) + 1


def test_fixed_probability_month_law(terms):
    probs = nc.notice_month_probabilities(terms, 0.05)
    assert probs[0] == 0.05 and probs[1] == pytest.approx(0.95 * 0.05)
    assert probs[-1] == pytest.approx(0.95 ** 34)
    assert nc.simulate_termination(terms, 1000, seed=1, monthly_notice_probability=0.0).tolist() == [45e9] * 1000
    assert set(nc.simulate_termination(terms, 1000, seed=1, monthly_notice_probability=1.0)) == {nc.committed_floor(terms)}
