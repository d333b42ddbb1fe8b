"""The exit right as an option: the price panel, the market model, LSM against the exact rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neocloud as nc
from conftest import examples
from neocloud import DealTerms, MarketModel
from test_properties import deals

D = dt.date


def test_price_panel_is_sourced_and_plausible():
    p = nc.gpu_price_panel()
    assert len(p) >= 25
    assert p.source_url.str.match(r"^https?://\S+$").all()
    assert all(D(2023, 1, 1) <= d <= D(2026, 12, 31) for d in p.date)
    assert p.usd_per_gpu_hour.between(0.5, 20).all()
    assert set(p.basis) <= set(nc.data.PANEL_BASES)
    chips = set(p.chip)
    assert {"H100", "H200"} <= chips and chips & {"B200", "GB200", "GB300"}
    dedicated = p[p.basis == "dedicated cluster"]
    assert len(dedicated) >= 2  # Anthropic and Google with SpaceX, implied
    anthropic = dedicated[dedicated.chip == "H100e"].usd_per_gpu_hour.iloc[0]
    assert anthropic == pytest.approx(1.25e9 / (276_000 * 730.5), abs=0.005)
    google = dedicated[dedicated.chip != "H100e"].usd_per_gpu_hour.iloc[0]
    assert google == pytest.approx(920e6 / (110_000 * 730.5), abs=0.005)
    cal = p[p.calibration]
    assert len(cal) >= 3 and set(cal.chip) == {"H100"} and cal.date.is_unique


def test_gbm_fit_by_hand():
    # increments +0.2 then -0.1 over 0.5 and 1 year (182.625 and 365.25 days are not whole: use 183, 365)
    d = [D(2025, 1, 1), D(2025, 7, 3), D(2026, 7, 3)]
    years = np.array([183, 365]) / 365.25
    x = np.array([0.2, -0.1])
    prices = 2.0 * np.exp(np.concatenate([[0.0], np.cumsum(x)]))
    f = nc.calibrate_gbm(d, prices)
    a = x.sum() / years.sum()
    var = np.mean((x - a * years) ** 2 / years)
    assert f.volatility_per_year == pytest.approx(var**0.5)
    assert f.drift_per_year == pytest.approx(a + var / 2)
    assert f.drift_se == pytest.approx(var**0.5 / years.sum() ** 0.5)


def test_price_paths_have_the_gbm_moments():
    m = MarketModel(3.0, 0.1, 0.5)
    n = 200_000
    paths = nc.simulate_prices(m, [D(2027, 6, 30)], D(2026, 6, 30), n, seed=3)[:, 0]
    years = 365 / 365.25
    mean, var = 3.0 * np.exp(0.1 * years), 9.0 * np.exp(0.2 * years) * (np.exp(0.25 * years) - 1)
    assert abs(paths.mean() - mean) <= 6 * (var / n) ** 0.5
    logs = np.log(paths)
    assert abs(logs.std() - 0.5 * years**0.5) <= 6 * 0.5 * years**0.5 / (2 * n) ** 0.5


def test_exit_values_by_hand():
    # 1 Jan to 31 Mar 2026 at $31M a month, notice 10 days, valuation 1 Jan, 10% a year
    t = DealTerms(31e6, D(2026, 1, 1), D(2026, 3, 31), notice_days=10)
    m = MarketModel(2.0, 0.05, 0.3)
    ev = nc.exit_values(t, m, gpus_h100e=1000, buyer_switching_cost_usd=1e5, seller_switching_cost_usd=2e5,
                        discount_rate_per_year=0.1, valuation_date=D(2026, 1, 1))
    assert ev.dates == [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)]
    # notice on 1 Feb ends service on 11 Feb: the fees of 11 Feb to 31 Mar, each day discounted
    days = [D(2026, 2, 11) + dt.timedelta(days=i) for i in range((D(2026, 4, 1) - D(2026, 2, 11)).days)]
    fee = [31e6 / (28 if d.month == 2 else 31) for d in days]
    df = [1.1 ** (-(d - D(2026, 1, 1)).days / 365.25) for d in days]
    assert ev.fees_pv[1] == pytest.approx(sum(f * x for f, x in zip(fee, df)), rel=1e-12)
    # the expected market cost of those days seen from 1 Feb, per dollar of the price on 1 Feb
    growth = [np.exp(0.05 * (d - D(2026, 2, 1)).days / 365.25) for d in days]
    assert ev.cost_per_price[1] == pytest.approx(24 * 1000 * sum(g * x for g, x in zip(growth, df)), rel=1e-12)
    assert ev.buyer_switch_pv[1] == pytest.approx(1e5 * 1.1 ** (-31 / 365.25))
    price = np.array([2.5, 2.5, 2.5])
    assert ev.buyer(price)[1] == pytest.approx(ev.fees_pv[1] - 2.5 * ev.cost_per_price[1] - ev.buyer_switch_pv[1])
    assert ev.seller(price)[1] == pytest.approx(2.5 * ev.cost_per_price[1] - ev.fees_pv[1] - 2e5 * 1.1 ** (-31 / 365.25))


@settings(max_examples=examples(40))
@given(deals(), st.floats(min_value=0.05, max_value=50), st.floats(min_value=-0.5, max_value=0.5),
       st.floats(min_value=0.0, max_value=0.3), st.floats(min_value=0, max_value=1e9), st.floats(min_value=0, max_value=1e9),
       st.integers(min_value=-400, max_value=400), st.floats(min_value=1e2, max_value=1e6))
def test_zero_volatility_reproduces_the_exact_rule(t, price, drift, rate, buyer_cost, seller_cost, shift, gpus):
    t0 = t.earliest_notice_date + dt.timedelta(days=shift)
    m = MarketModel(price, drift, 0.0)
    kw = dict(gpus_h100e=gpus, buyer_switching_cost_usd=buyer_cost, seller_switching_cost_usd=seller_cost,
              discount_rate_per_year=rate, valuation_date=t0)
    exact = nc.deterministic_exit(t, m, **kw)
    mc = nc.rational_exit(t, m, n_paths=64, seed=5, **kw)
    assert np.all(mc.revenue_usd == exact["revenue_usd"])  # every path, exactly
    if exact["notice_date"] is None:
        assert mc.no_notice_probability == 1.0
    else:
        shares = mc.notice_probability.set_index("notice_date")
        assert shares.loc[str(exact["notice_date"]), exact["party"]] == 1.0


def _small_case(**over):
    t = DealTerms(1e9, D(2026, 7, 1), D(2027, 12, 31), notice_days=60, lockup_months=2)
    kw = dict(gpus_h100e=200_000, buyer_switching_cost_usd=2e8, seller_switching_cost_usd=2e8, discount_rate_per_year=0.08,
              valuation_date=D(2026, 6, 30))
    kw.update(over)
    return t, kw


def _quadrature(t, m, kw):
    ev = nc.exit_values(t, m, **kw)
    buyer = nc.bermudan_value_by_quadrature((ev.fees_pv - ev.buyer_switch_pv, -ev.cost_per_price), m, ev.dates, kw["valuation_date"])
    seller = nc.bermudan_value_by_quadrature((-ev.fees_pv - ev.seller_switch_pv, ev.cost_per_price), m, ev.dates, kw["valuation_date"])
    return buyer, seller


def test_lsm_agrees_with_quadrature_within_its_standard_error():
    t, kw = _small_case()
    m = MarketModel(6.85, 0.05, 0.45)  # about the fee per H100e-hour: both options are live
    n = 40_000
    r = nc.rational_exit(t, m, n_paths=n, seed=11, **kw)
    buyer_q, seller_q = _quadrature(t, m, kw)
    assert buyer_q > 1e7 and seller_q > 1e7
    # standard errors of the option estimates, from the spread of exercise values on the paths
    ev = nc.exit_values(t, m, **kw)
    prices = nc.simulate_prices(m, ev.dates, kw["valuation_date"], n, 11)
    for exercise, estimate, exact in ((ev.buyer(prices), r.buyer_option_value_usd, buyer_q),
                                      (ev.seller(prices), r.seller_option_value_usd, seller_q)):
        _, value, _ = nc.lsm_stopping(exercise, prices)
        se = value.std() / n**0.5
        assert abs(estimate - exact) <= 6 * se, (estimate, exact, se)


def test_option_values_move_the_right_way():
    t, kw = _small_case()
    m = MarketModel(6.85, 0.0, 0.4)
    b0, s0 = _quadrature(t, m, kw)
    b_fee, s_fee = _quadrature(replace(t, monthly_fee_usd=1.3e9), m, kw)
    b_cost, s_cost = _quadrature(t, m, {**kw, "buyer_switching_cost_usd": 1e9, "seller_switching_cost_usd": 1e9})
    assert b_fee > b0 and s_fee < s0          # a dearer fee: worth more to the buyer to walk, less to the seller
    assert b_cost < b0 and s_cost < s0        # dearer switching: both options lose value
    # the Monte Carlo agrees in direction, on the same paths
    r0 = nc.rational_exit(t, m, n_paths=20_000, seed=2, **kw)
    r_fee = nc.rational_exit(replace(t, monthly_fee_usd=1.3e9), m, n_paths=20_000, seed=2, **kw)
    assert r_fee.buyer_option_value_usd > r0.buyer_option_value_usd and r_fee.seller_option_value_usd < r0.seller_option_value_usd


def test_a_market_far_above_the_fee_keeps_the_buyer():
    t, kw = _small_case()
    r = nc.rational_exit(t, MarketModel(60.0, 0.0, 0.3), n_paths=5000, seed=1, **kw)
    assert r.notice_probability.buyer.sum() == 0.0 and r.buyer_option_value_usd == 0.0
    assert np.isnan(r.boundary.buyer_exits_below).all()


def test_results_are_reproducible_for_a_seed():
    s = nc.load_scenario("params/base.yaml")
    a, b = nc.rational_exit(s, n_paths=3000, seed=9), nc.rational_exit(s, n_paths=3000, seed=9)
    assert np.array_equal(a.revenue_usd, b.revenue_usd) and a.boundary.equals(b.boundary)
    c = nc.rational_exit(s, n_paths=3000, seed=10)
    assert not np.array_equal(a.revenue_usd, c.revenue_usd)


def test_implied_probability_round_trips(terms):
    for p in (0.0, 0.013, 0.2, 1.0):
        assert nc.implied_monthly_probability(terms, nc.expected_revenue(terms, p)) == pytest.approx(p, abs=1e-9)
    assert nc.implied_monthly_probability(terms, 1e15) is None


def test_a_book_of_one_deal_is_that_deal(tmp_path):
    import yaml

    data = yaml.safe_load(open("params/base.yaml", encoding="utf-8"))
    data["other_deals"] = []
    s = nc.validate_scenario(data, "one.yaml")
    b = nc.book_rational_exit(s, n_paths=4000)
    r = nc.rational_exit(s, n_paths=4000)
    assert np.array_equal(b.book_revenue_usd, r.revenue_usd)


def test_the_book_sees_one_market():
    s = nc.load_scenario("params/base.yaml")
    b = nc.book_rational_exit(s, n_paths=20_000)
    assert b.revenue_usd.shape == (20_000, 3)
    assert np.array_equal(b.book_revenue_usd, b.revenue_usd.sum(axis=1))
    # on the same paths the seller reclaims Google's and Reflection's capacity together when the
    # market is dear: their revenues move together (on independent markets they would not)
    corr = np.corrcoef(b.revenue_usd[:, 1], b.revenue_usd[:, 2])[0, 1]
    assert corr > 0.5
    walk = nc.backlog_walking_in_worst_paths(s, b.book_revenue_usd)
    assert 0.0 < walk <= 1.0


@settings(max_examples=examples(60))
@given(n=st.integers(min_value=4, max_value=400), seed=st.integers(0, 2**32 - 1), sigma=st.floats(0.01, 1.5),
       distinct=st.integers(min_value=1, max_value=6))
def test_the_regression_is_the_least_squares_projection(n, seed, sigma, distinct):
    # the continuation fit (normal equations, lstsq for a degenerate sample) gives the fitted values
    # of numpy's least squares on the same cubic basis: also with few distinct prices (singular)
    from neocloud.model.exit_option import _fitted_continuation

    rng = np.random.default_rng(seed)
    x = np.exp(sigma * rng.standard_normal(n)) * 6.2
    if distinct < 6:  # a sample with only `distinct` prices
        x = rng.choice(x[:distinct], size=n)
    y = np.maximum(5.0 - x, 0.0) * 1e9 + rng.standard_normal(n) * 1e8
    got = _fitted_continuation(x, y)
    if np.ptp(y) == 0.0 or np.std(x) <= 1e-12 * max(abs(np.mean(x)), 1.0):
        return  # the constant cases are returned exactly (tested with zero volatility above)
    z = (x - x.mean()) / x.std()
    basis = np.vander(z, 4, increasing=True)
    want = basis @ np.linalg.lstsq(basis, y, rcond=None)[0]
    assert np.allclose(got, want, rtol=1e-7, atol=1e-7 * np.abs(y).max())


def test_lsm_stopping_layouts_agree():
    # the public (paths x dates) entry and the internal dates-by-paths loop are the same rule,
    # and the boundary of the model is the extreme exercised price on each date
    from neocloud.model.exit_option import _lsm_by_date

    rng = np.random.default_rng(3)
    prices = np.exp(np.cumsum(0.1 * rng.standard_normal((2000, 12)), axis=1)) * 6.0
    exercise = 6.0 - prices
    stop, value, ex = nc.lsm_stopping(exercise, prices)
    stop2, value2, lowest, highest, ex2 = _lsm_by_date(np.ascontiguousarray(exercise.T), np.ascontiguousarray(prices.T),
                                                      keep_exercises=True)
    assert np.array_equal(stop, stop2) and np.array_equal(value, value2) and np.array_equal(ex, ex2.T)
    for k in range(12):
        hit = prices[ex[:, k], k]
        assert (np.isnan(highest[k]) and hit.size == 0) or highest[k] == hit.max()
        assert (np.isnan(lowest[k]) and hit.size == 0) or lowest[k] == hit.min()


def test_market_grid_reuses_the_scenarios_own_run(monkeypatch):
    from neocloud.model import exit_option

    sc = nc.load_scenario("params/base.yaml")
    own = nc.rational_exit(sc)
    m = own.market
    prices, drifts = [m.price_usd_per_h100e_hour, m.price_usd_per_h100e_hour + 1], [m.drift_per_year]
    fresh = nc.market_grid(sc, prices, drifts)
    runs = []
    real = exit_option.rational_exit
    monkeypatch.setattr(exit_option, "rational_exit", lambda *a, **k: runs.append(a) or real(*a, **k))
    reused = nc.market_grid(sc, prices, drifts, computed=own)
    assert len(runs) == 1  # the other price only: the scenario's own point is the run given
    for a, b in zip(fresh, reused):
        assert a.equals(b)
    other = nc.rational_exit(sc, n_paths=1000)  # not the scenario's own run: not used
    runs.clear()
    assert nc.market_grid(sc, prices, drifts, computed=other)[0].equals(fresh[0]) and len(runs) == 2
    # by default the grid holds the scenario's own price and drift exactly
    grid, _ = nc.market_grid(sc, computed=own)
    assert ((grid.price == m.price_usd_per_h100e_hour) & (grid.drift == m.drift_per_year)).sum() == 1
