"""The exit right as an option: each party serves notice when the GPU market makes walking away
worth more than staying (``shared/conventions.md``, "Exit as an option").

* **Decision dates**: the hazard model's notice dates (the first day of each month from the
  earliest notice month) on or after the valuation date ``t0`` (the reporting date).
* **Present values** are at ``t0`` with discount factor ``(1 + r) ** (-(s - t0).days / 365.25)``.
* **Exit values** of notice on decision date ``d`` (service ends at ``e = d + notice_days``),
  with ``A`` the PV of the fees of the service days from ``e`` to ``end`` and ``C`` the PV of the
  expected market cost of the same days given ``m(d)`` (price x 24 h x ``gpus_h100e`` a day):
  buyer ``B(d) = A - C - PV(buyer's switching cost at d)``, seller ``S(d) = C - A - PV(seller's
  switching cost at d)``. Both are linear in ``m(d)``: ``A - K * m`` and ``K * m - A``.
* **Stopping**: each party follows its optimal stopping rule for its own exit value, as if the
  other never served notice: a Bermudan option valued by Longstaff-Schwartz least squares on
  the simulated paths (regression of the realised value of waiting on 1, z, z**2, z**3 of the
  standardised price, in-the-money paths only; exercise when the exit value is positive and at
  least the fitted value of waiting). On each path the contract ends at the earlier notice (the
  buyer's on a tie); the path's revenue is ``revenue_if_terminated`` of that date, or the total
  contract value. A party's option value is the mean of its exit value at its own stopping date
  (0 where it never stops).
* With zero volatility the path is known: each party serves notice on the decision date that
  maximises its exit value if that maximum is positive (the earliest on a tie), never otherwise.
  :func:`deterministic_exit` states that rule directly; the Monte Carlo reproduces it exactly
  (tested), because a regression on identical paths returns their common value.
* A book's deals see the same price paths (:func:`book_rational_exit`): their exits are correlated.

:func:`bermudan_value_by_quadrature` values one party's option a second way (backward induction
on a grid of log prices with Gauss-Hermite quadrature), to show the gap of the LSM estimate.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from neocloud.model.deal import (
    DAY,
    Deal,
    DealTerms,
    accrued_usd,
    revenue_if_terminated,
    terms_of,
    total_contract_value,
)
from neocloud.model.hazard import _outcomes, notice_dates
from neocloud.model.market import DAYS_PER_YEAR, MarketModel, expected_prices, simulate_prices

if TYPE_CHECKING:
    from neocloud.inputs.scenario import Scenario

HOURS_PER_DAY = 24.0


# --------------------------------------------------------------------------------------------
# Exit values


@dataclass(frozen=True)
class ExitValues:
    """Exit values on each decision date as linear functions of the market price ``m``:
    buyer ``fees_pv - cost_per_price * m - buyer_switch_pv``, seller ``cost_per_price * m -
    fees_pv - seller_switch_pv`` (USD, present values at the valuation date)."""

    dates: list[dt.date]
    fees_pv: np.ndarray
    cost_per_price: np.ndarray
    buyer_switch_pv: np.ndarray
    seller_switch_pv: np.ndarray

    def buyer(self, prices: np.ndarray) -> np.ndarray:
        return self.fees_pv - self.cost_per_price * prices - self.buyer_switch_pv

    def seller(self, prices: np.ndarray) -> np.ndarray:
        return self.cost_per_price * prices - self.fees_pv - self.seller_switch_pv


def decision_dates(deal: Deal, valuation_date: dt.date) -> list[dt.date]:
    """The hazard model's notice dates on or after the valuation date.

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3)
    >>> d = decision_dates(t, dt.date(2026, 6, 30))
    >>> d[0], d[-1], len(d)
    (datetime.date(2026, 8, 1), datetime.date(2029, 5, 1), 34)
    """
    return [d for d in notice_dates(deal) if d >= valuation_date]


def discount_factors(days: np.ndarray, rate_per_year: float) -> np.ndarray:
    """``(1 + r) ** (-days / 365.25)`` for days after the valuation date.

    >>> discount_factors(np.array([0, 365]), 0.1).round(4).tolist()
    [1.0, 0.9092]
    """
    return (1.0 + rate_per_year) ** (-np.asarray(days, dtype=float) / DAYS_PER_YEAR)


def exit_values(
    deal: Deal,
    market: MarketModel,
    *,
    gpus_h100e: float,
    buyer_switching_cost_usd: float,
    seller_switching_cost_usd: float,
    discount_rate_per_year: float,
    valuation_date: dt.date,
) -> ExitValues:
    """The coefficients of both parties' exit values on every decision date (see the module).

    >>> t = DealTerms(1e9, dt.date(2026, 1, 1), dt.date(2026, 12, 31), notice_days=30)
    >>> ev = exit_values(t, MarketModel(1.0, 0.0, 0.0), gpus_h100e=1e6, buyer_switching_cost_usd=0.0,
    ...                  seller_switching_cost_usd=0.0, discount_rate_per_year=0.0, valuation_date=dt.date(2026, 1, 1))
    >>> # notice on 1 Dec ends service on 31 Dec: one day's fee (1e9 / 31) against 1e6 GPUs x 24 h x $1
    >>> ev.dates[-1], round(float(ev.fees_pv[-1])), round(float(ev.cost_per_price[-1]))
    (datetime.date(2026, 12, 1), 32258065, 24000000)
    """
    t = terms_of(deal)
    dates = decision_dates(t, valuation_date)
    t0 = np.datetime64(valuation_date, "D")
    days = np.arange(np.datetime64(t.start, "D"), np.datetime64(t.end + DAY, "D"))
    fees = np.diff(accrued_usd(t, np.append(days, days[-1] + 1)))
    since = (days - t0).astype(np.int64)
    df = discount_factors(since, discount_rate_per_year)
    growth = np.exp(market.drift_per_year * (since / DAYS_PER_YEAR))
    # suffix sums: the PV of what runs from each day to the end (0 past the end)
    fees_suffix = np.append(np.cumsum((fees * df)[::-1])[::-1], 0.0)
    growth_suffix = np.append(np.cumsum((growth * df)[::-1])[::-1], 0.0)
    d = np.asarray(dates, dtype="datetime64[D]")
    first_off = np.clip((d + t.notice_days - np.datetime64(t.start, "D")).astype(np.int64), 0, len(days))
    d_since = (d - t0).astype(np.int64)
    cost_per_price = HOURS_PER_DAY * gpus_h100e * np.exp(-market.drift_per_year * (d_since / DAYS_PER_YEAR)) * growth_suffix[first_off]
    df_d = discount_factors(d_since, discount_rate_per_year)
    return ExitValues(
        dates=dates,
        fees_pv=fees_suffix[first_off],
        cost_per_price=cost_per_price,
        buyer_switch_pv=buyer_switching_cost_usd * df_d,
        seller_switch_pv=seller_switching_cost_usd * df_d,
    )


# --------------------------------------------------------------------------------------------
# Least-squares Monte Carlo


def _fitted_continuation(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares fit of ``y`` (realised value of waiting) on 1, z, z**2, z**3 of ``x``
    (``z`` the standardised ``x``), evaluated at ``x``.

    The fit solves the 4 x 4 normal equations, built from one product of the stacked basis
    with itself (no per-row work beyond the basis). On a standardised cubic basis those are
    well conditioned; when they are not (fewer than 4 distinct values, a degenerate sample) the
    fit falls back to ``numpy.linalg.lstsq`` on the basis, whose fitted values are the same
    projection.

    >>> x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    >>> (_fitted_continuation(x, x ** 3 - x).round(9) + 0.0).tolist()   # a cubic is fitted exactly
    [0.0, 6.0, 24.0, 60.0, 120.0]
    >>> x = np.array([1.0, 1.0, 1.0, 2.0, 2.0, 2.0])   # two values: the normal equations are singular
    >>> _fitted_continuation(x, np.arange(1.0, 7.0)).round(9).tolist()   # lstsq: the mean at each value
    [2.0, 2.0, 2.0, 5.0, 5.0, 5.0]
    """
    # the arithmetic of np.ptp, np.mean, np.std and np.linalg.cond, value for value, without
    # their wrappers (this runs once per date, party and evaluation: ~50,000 times an analysis)
    if y.max() - y.min() == 0.0:
        return np.full(len(y), y[0])  # identical outcomes (e.g. zero volatility): exactly that value
    n = len(x)
    mean = np.add.reduce(x) / n
    d = x - mean
    spread = math.sqrt(np.add.reduce(np.square(d)) / n)
    if spread <= 1e-12 * max(abs(float(mean)), 1.0) or n < 4:
        return np.full(len(y), float(np.add.reduce(y) / len(y)))
    z = d / spread
    basis = np.empty((4, len(z)))
    basis[0] = 1.0
    basis[1] = z
    np.multiply(z, z, out=basis[2])
    np.multiply(basis[2], z, out=basis[3])
    gram = basis @ basis.T
    sv = np.linalg.svd(gram, compute_uv=False)  # the 2-norm condition number is sv[0] / sv[-1]
    if float(sv[-1]) > 0.0 and float(sv[0]) / float(sv[-1]) < 1e8:
        coef = np.linalg.solve(gram, basis @ y)
        return coef @ basis
    coef, *_ = np.linalg.lstsq(basis.T, y, rcond=None)
    return coef @ basis


def _lsm_by_date(
    exercise: "np.ndarray | Callable[[int], np.ndarray]", state: np.ndarray, *, keep_exercises: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """:func:`lsm_stopping` on arrays laid out date by date (``exercise[k, i]``, ``state[k, i]``,
    C-contiguous, so that each date's values are one contiguous row); ``exercise`` may also be
    a function giving date ``k``'s row (so the whole matrix is never held). Returns the stopping
    index and value of each path, the lowest and highest state at which the rule stops on each
    date (NaN where it never does) and, with ``keep_exercises``, the exercise decisions (dates x
    paths)."""
    k_dates, n = state.shape
    row = exercise if callable(exercise) else exercise.__getitem__
    stop = np.full(n, k_dates)
    value = np.zeros(n)
    lowest = np.full(k_dates, np.nan)
    highest = np.full(k_dates, np.nan)
    exercises = np.zeros((k_dates, n), dtype=bool) if keep_exercises else None
    # paths are addressed by index arrays, not boolean masks: a scattered mask over 1e5 paths
    # costs far more to apply than its indices
    for k in range(k_dates - 1, -1, -1):
        now = row(k)
        itm = (now > 0.0).nonzero()[0]  # np.flatnonzero of a 1-D array, without its wrapper
        if not itm.size:
            continue
        if k == k_dates - 1:
            go = itm
        else:
            now_itm = now[itm]
            wait = _fitted_continuation(state[k, itm], value[itm])
            go = itm[(now_itm >= wait).nonzero()[0]]
            if not go.size:
                continue
        if exercises is not None:
            exercises[k, go] = True
        value[go] = now[go]
        stop[go] = k
        where = state[k, go]
        lowest[k], highest[k] = where.min(), where.max()
    return stop, value, lowest, highest, exercises


def lsm_stopping(exercise: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Longstaff-Schwartz optimal stopping of a Bermudan option.

    ``exercise[i, k]`` is the (present) value of stopping on path ``i`` at date ``k``,
    ``state[i, k]`` the regressor (the market price). Returns the stopping index of each path
    (``K`` = never), the value at that stop (0 if never) and ``exercises[i, k]``: whether the
    fitted rule stops at ``k`` on path ``i`` (for the exercise boundary).

    >>> x = np.array([[1.0, 3.0], [1.0, 0.5]])   # two paths, two dates
    >>> stop, value, _ = lsm_stopping(x, np.array([[1.0, 2.0], [1.0, 0.5]]))
    >>> stop.tolist(), value.tolist()   # waiting is worth (3 + 0.5) / 2 = 1.75 > 1 at the first date
    ([1, 1], [3.0, 0.5])
    """
    stop, value, _, _, exercises = _lsm_by_date(np.ascontiguousarray(np.asarray(exercise, dtype=float).T),
                                                np.ascontiguousarray(np.asarray(state, dtype=float).T), keep_exercises=True)
    return stop, value, exercises.T


@dataclass(frozen=True)
class RationalExit:
    """The market-driven exit of one deal: what :func:`rational_exit` returns.

    ``revenue_usd`` has one revenue per path; ``notice_probability`` has, per decision date, the
    share of paths on which the contract ends by the buyer's (``buyer``) or the seller's
    (``seller``) notice served that date; ``boundary`` has the price below which the buyer and
    above which the seller serve notice on each date (NaN where that party never does)."""

    expected_revenue_usd: float
    revenue_usd: np.ndarray
    notice_probability: pd.DataFrame
    buyer_option_value_usd: float
    seller_option_value_usd: float
    boundary: pd.DataFrame
    no_notice_probability: float
    notice_index: np.ndarray
    dates: list[dt.date]
    market: MarketModel
    valuation_date: dt.date
    n_paths: int
    seed: int

    def summary(self) -> dict[str, Any]:
        """Mean, P5/P50/P95 of revenue, option values and the notice shares, as plain data."""
        p5, p50, p95 = np.percentile(self.revenue_usd, [5, 50, 95])
        return {
            "expected_revenue_usd": self.expected_revenue_usd,
            "p5_usd": float(p5), "p50_usd": float(p50), "p95_usd": float(p95),
            "buyer_option_value_usd": self.buyer_option_value_usd,
            "seller_option_value_usd": self.seller_option_value_usd,
            "buyer_notice_share": float(self.notice_probability.buyer.sum()),
            "seller_notice_share": float(self.notice_probability.seller.sum()),
            "no_notice_share": self.no_notice_probability,
            "paths": self.n_paths,
            "seed": self.seed,
        }


def _exit_on_paths(
    terms: DealTerms, values: ExitValues, prices: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float, pd.DataFrame, pd.DataFrame]:
    """Both parties' stopping on given price paths: revenue per path, notice index (K = none),
    who (0 buyer, 1 seller, -1 none), option values, notice shares, boundary."""
    k_dates = len(values.dates)
    n = prices.shape[0]
    # the hazard model's outcomes (computed once per terms): the decision dates are the last of its notice dates
    revenue, tcv = _outcomes(terms)
    outcomes = np.append(revenue[len(revenue) - k_dates:], tcv)
    if k_dates == 0:
        empty = pd.DataFrame({"notice_date": pd.Series([], dtype="datetime64[ns]"), "buyer": [], "seller": []})
        bound = pd.DataFrame({"notice_date": pd.Series([], dtype="datetime64[ns]"), "buyer_exits_below": [], "seller_exits_above": []})
        return np.full(n, outcomes[-1]), np.zeros(n, dtype=int), np.full(n, -1), 0.0, 0.0, empty, bound
    b_stop, b_value, below, s_stop, s_value, above = _both_parties(values, prices)
    notice = np.minimum(b_stop, s_stop)
    who = np.where(notice == k_dates, -1, np.where(b_stop <= s_stop, 0, 1))
    counts_b = np.bincount(notice, weights=who == 0, minlength=k_dates + 1)[:k_dates] / n
    counts_s = np.bincount(notice, weights=who == 1, minlength=k_dates + 1)[:k_dates] / n
    when = pd.to_datetime(pd.Series(values.dates))
    shares = pd.DataFrame({"notice_date": when, "buyer": counts_b, "seller": counts_s})
    bound = pd.DataFrame({"notice_date": when, "buyer_exits_below": below, "seller_exits_above": above})
    return outcomes[notice], notice, who, float(b_value.mean()), float(s_value.mean()), shares, bound


def _both_parties(values: ExitValues, prices: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each party's Longstaff-Schwartz stopping on the price paths (paths x dates): the buyer's
    stopping index, value and lowest exercise price per date, then the seller's (highest)."""
    by_date = np.ascontiguousarray(prices.T)  # dates x paths: each date's prices contiguous
    # each date's exit values as the loop reaches it (element for element what ExitValues gives)
    b_stop, b_value, _, below, _ = _lsm_by_date(
        lambda k: values.fees_pv[k] - values.cost_per_price[k] * by_date[k] - values.buyer_switch_pv[k], by_date)
    s_stop, s_value, above, _, _ = _lsm_by_date(
        lambda k: values.cost_per_price[k] * by_date[k] - values.fees_pv[k] - values.seller_switch_pv[k], by_date)
    return b_stop, b_value, below, s_stop, s_value, above


def _market_inputs(deal: Deal, market: MarketModel | None, kw: dict[str, Any]) -> tuple[DealTerms, MarketModel, dict[str, Any]]:
    """Fill the keyword inputs from a scenario's ``market`` section where not given."""
    terms = terms_of(deal)
    if isinstance(deal, DealTerms):
        missing = [k for k, v in kw.items() if v is None and k != "valuation_date"]
        if market is None or missing:
            raise ValueError(f"with plain DealTerms, give the market and {', '.join(missing) or 'every input'} (a scenario supplies them)")
        if kw["valuation_date"] is None:
            raise ValueError("with plain DealTerms, give valuation_date (a scenario uses its reporting date)")
        return terms, market, kw
    defaults = scenario_market_inputs(deal)
    market = market or defaults.pop("market")
    return terms, market, {k: (defaults[k] if v is None else v) for k, v in kw.items()}


def scenario_market(scenario: "Scenario") -> MarketModel:
    """The scenario's market model: its starting price, and its drift and volatility or, where
    it gives none, those fitted to the shipped price panel's prices up to its reporting date."""
    from neocloud.model.market import calibrate_gbm

    section = _market_section(scenario)
    fit = None if (section.drift_per_year and section.volatility_per_year) else calibrate_gbm(as_of=scenario.as_of.value)
    drift = section.drift_per_year.value if section.drift_per_year else fit.drift_per_year
    vol = section.volatility_per_year.value if section.volatility_per_year else fit.volatility_per_year
    return MarketModel(section.price_usd_per_h100e_hour.value, drift, vol)


def _market_section(scenario: "Scenario") -> Any:
    if scenario.market is None:
        raise ValueError("this scenario has no 'market' section (see params/base.yaml) for the exit model")
    return scenario.market


def scenario_market_inputs(scenario: "Scenario") -> dict[str, Any]:
    """The keyword inputs of :func:`rational_exit` for a scenario's own deal, from its file."""
    section = _market_section(scenario)
    h100e = scenario.gpu_bases.get("h100_equivalent") or next(iter(scenario.gpu_bases.values()))
    fee = scenario.deal.monthly_fee_usd
    return {
        "market": scenario_market(scenario),
        "gpus_h100e": float(h100e.value),
        "buyer_switching_cost_usd": section.buyer_switching_cost_months_of_fee.value * fee,
        "seller_switching_cost_usd": section.seller_switching_cost_months_of_fee.value * fee,
        "discount_rate_per_year": section.discount_rate_per_year.value,
        "n_paths": section.monte_carlo_paths,
        "seed": section.seed,
        "valuation_date": scenario.as_of.value,
    }


def _exit_values_of(terms: DealTerms, market: MarketModel, kw: dict[str, Any]) -> ExitValues:
    """:func:`exit_values` from the keyword inputs of :func:`rational_exit`."""
    return exit_values(terms, market, gpus_h100e=kw["gpus_h100e"], buyer_switching_cost_usd=kw["buyer_switching_cost_usd"],
                       seller_switching_cost_usd=kw["seller_switching_cost_usd"],
                       discount_rate_per_year=kw["discount_rate_per_year"], valuation_date=kw["valuation_date"])


def rational_exit(
    deal: Deal,
    market: MarketModel | None = None,
    *,
    gpus_h100e: float | None = None,
    buyer_switching_cost_usd: float | None = None,
    seller_switching_cost_usd: float | None = None,
    discount_rate_per_year: float | None = None,
    n_paths: int | None = None,
    seed: int | None = None,
    valuation_date: dt.date | None = None,
) -> RationalExit:
    """Market-driven termination of one deal by least-squares Monte Carlo (see the module).

    ``deal`` is a :class:`DealTerms` (then every input must be given) or a scenario, whose
    ``market`` section supplies each input not given (``valuation_date`` defaults to its
    reporting date).

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3)
    >>> m = MarketModel(2.0, 0.0, 0.0)   # a market far below the fee ($6.20 per H100e-hour), known
    >>> r = rational_exit(t, m, gpus_h100e=276_000, buyer_switching_cost_usd=0, seller_switching_cost_usd=0,
    ...                   discount_rate_per_year=0.1, n_paths=1000, seed=1, valuation_date=dt.date(2026, 6, 30))
    >>> float(np.ptp(r.revenue_usd)), round(r.expected_revenue_usd / 1e9, 2)   # every path: the buyer leaves at once
    (0.0, 6.17)
    """
    terms, market, kw = _market_inputs(deal, market, {
        "gpus_h100e": gpus_h100e, "buyer_switching_cost_usd": buyer_switching_cost_usd,
        "seller_switching_cost_usd": seller_switching_cost_usd, "discount_rate_per_year": discount_rate_per_year,
        "n_paths": n_paths, "seed": seed, "valuation_date": valuation_date,
    })
    t0 = kw["valuation_date"]
    values = _exit_values_of(terms, market, kw)
    prices = simulate_prices(market, values.dates, t0, int(kw["n_paths"]), int(kw["seed"]))
    revenue, notice, who, b_opt, s_opt, shares, bound = _exit_on_paths(terms, values, prices)
    return RationalExit(
        expected_revenue_usd=float(revenue.mean()), revenue_usd=revenue, notice_probability=shares,
        buyer_option_value_usd=b_opt, seller_option_value_usd=s_opt, boundary=bound,
        no_notice_probability=float((who == -1).mean()), notice_index=notice, dates=values.dates,
        market=market, valuation_date=t0, n_paths=int(kw["n_paths"]), seed=int(kw["seed"]),
    )


def market_expected_revenue(
    terms: DealTerms,
    market: MarketModel,
    *,
    gpus_h100e: float,
    buyer_switching_cost_usd: float,
    seller_switching_cost_usd: float,
    discount_rate_per_year: float,
    n_paths: int,
    seed: int,
    valuation_date: dt.date,
) -> float:
    """``rational_exit(terms, market, ...).expected_revenue_usd`` (USD), the same number by the
    same operations, without the per-date tables and per-path results :class:`RationalExit`
    keeps: what a sweep's evaluation needs (:mod:`neocloud.analysis.sweeps`). Every input is given.

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3)
    >>> kw = dict(gpus_h100e=276_000, buyer_switching_cost_usd=6e8, seller_switching_cost_usd=6e8,
    ...           discount_rate_per_year=0.1, n_paths=500, seed=1, valuation_date=dt.date(2026, 6, 30))
    >>> m = MarketModel(6.2, 0.05, 0.4)
    >>> market_expected_revenue(t, m, **kw) == rational_exit(t, m, **kw).expected_revenue_usd
    True
    """
    kw = {"gpus_h100e": gpus_h100e, "buyer_switching_cost_usd": buyer_switching_cost_usd,
          "seller_switching_cost_usd": seller_switching_cost_usd, "discount_rate_per_year": discount_rate_per_year,
          "valuation_date": valuation_date}
    values = _exit_values_of(terms, market, kw)
    k_dates = len(values.dates)
    revenue, tcv = _outcomes(terms)
    outcomes = np.append(revenue[len(revenue) - k_dates:], tcv)
    if k_dates == 0:
        return float(np.full(int(n_paths), outcomes[-1]).mean())
    prices = simulate_prices(market, values.dates, valuation_date, int(n_paths), int(seed))
    b_stop, _, _, s_stop, _, _ = _both_parties(values, prices)
    return float(outcomes[np.minimum(b_stop, s_stop)].mean())


def deterministic_exit(
    deal: DealTerms,
    market: MarketModel,
    *,
    gpus_h100e: float,
    buyer_switching_cost_usd: float,
    seller_switching_cost_usd: float,
    discount_rate_per_year: float,
    valuation_date: dt.date,
) -> dict[str, Any]:
    """The zero-volatility case stated directly: on the expected price path each party serves
    notice on the decision date that maximises its exit value if that maximum is positive (the
    earliest on a tie). Returns ``notice_date`` (None if neither does), ``party`` (``"buyer"``,
    ``"seller"`` or None; the buyer's on a tie) and ``revenue_usd``.

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3)
    >>> r = deterministic_exit(t, MarketModel(2.0, 0.0, 0.0), gpus_h100e=276_000, buyer_switching_cost_usd=0,
    ...                        seller_switching_cost_usd=0, discount_rate_per_year=0.1, valuation_date=dt.date(2026, 6, 30))
    >>> r["notice_date"], r["party"], round(r["revenue_usd"] / 1e9, 2)   # the market at $2: the buyer leaves at once
    (datetime.date(2026, 8, 1), 'buyer', 6.17)
    """
    values = exit_values(deal, market, gpus_h100e=gpus_h100e, buyer_switching_cost_usd=buyer_switching_cost_usd,
                         seller_switching_cost_usd=seller_switching_cost_usd,
                         discount_rate_per_year=discount_rate_per_year, valuation_date=valuation_date)
    if not values.dates:
        return {"notice_date": None, "party": None, "revenue_usd": total_contract_value(deal)}
    path = expected_prices(market, values.dates, valuation_date)
    choices = []
    for party, exit_value in (("buyer", values.buyer(path)), ("seller", values.seller(path))):
        k = int(np.argmax(exit_value))  # the first index of the maximum
        if exit_value[k] > 0.0:
            choices.append((k, party))
    if not choices:
        return {"notice_date": None, "party": None, "revenue_usd": total_contract_value(deal)}
    k, party = min(choices, key=lambda c: (c[0], c[1] != "buyer"))
    return {"notice_date": values.dates[k], "party": party, "revenue_usd": revenue_if_terminated(deal, values.dates[k])}


def implied_monthly_probability(deal: Deal, expected_revenue_usd: float) -> float | None:
    """The constant monthly probability of notice at which the hazard model's expected revenue
    equals ``expected_revenue_usd`` (bisection; the hazard expectation falls as ``p`` rises), or
    None if no ``p`` in [0, 1] gives it.

    >>> from neocloud.model.hazard import expected_revenue
    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3)
    >>> round(implied_monthly_probability(t, expected_revenue(t, 0.07)), 6)
    0.07
    """
    from neocloud.model.hazard import _outcomes, expected_from_outcomes

    revenue, tcv = _outcomes(deal)  # once: every step of the bisection uses the same outcomes

    def expected_revenue(p: float) -> float:
        return expected_from_outcomes(revenue, tcv, p)

    hi_value, lo_value = expected_revenue(0.0), expected_revenue(1.0)
    tol = 1e-9 * max(hi_value, 1.0)
    if not (lo_value - tol <= expected_revenue_usd <= hi_value + tol):
        return None
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if expected_revenue(mid) > expected_revenue_usd:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


# --------------------------------------------------------------------------------------------
# A second method: backward induction by quadrature


def bermudan_value_by_quadrature(
    exercise_coefficients: tuple[np.ndarray, np.ndarray],
    market: MarketModel,
    dates: Sequence[dt.date],
    valuation_date: dt.date,
    grid_points: int = 4001,
) -> float:
    """The value of a Bermudan option whose exercise value on date ``k`` is ``a[k] + b[k] * m``
    (``exercise_coefficients = (a, b)``), by backward induction on a grid of log prices, the
    expectation between dates integrated against the Gaussian density by the trapezoid rule (no
    simulation, no regression).

    >>> m = MarketModel(1.0, 0.0, 0.2)
    >>> d = [dt.date(2027, 1, 1)]
    >>> # a European put struck at 1 (exercise value 1 - m, kept only if positive), 365 days out:
    >>> # Black-Scholes with no drift or discounting, 2 N(0.2 sqrt(T) / 2) - 1 = 0.07961
    >>> round(bermudan_value_by_quadrature((np.array([1.0]), np.array([-1.0])), m, d, dt.date(2026, 1, 1)), 4)
    0.0796
    """
    a, b = (np.asarray(c, dtype=float) for c in exercise_coefficients)
    days = np.diff(np.asarray([valuation_date, *dates], dtype="datetime64[D]")).astype(np.int64)
    years = days / DAYS_PER_YEAR
    mu, sigma = market.drift_per_year, market.volatility_per_year
    x0 = math.log(market.price_usd_per_h100e_hour)
    half_span = 8 * sigma * math.sqrt(max(years.sum(), 1e-9)) + abs(mu) * years.sum() + 1e-6
    n = grid_points | 1  # odd: the middle point is the starting price
    grid = np.linspace(x0 - half_span, x0 + half_span, n)
    dx = grid[1] - grid[0]

    def expect(values: np.ndarray, dt_years: float) -> np.ndarray:
        """E[values(x + drift + s Z)] at every grid point: the Gaussian transition density
        integrated by the trapezoid rule on the grid (exact for kinks up to O(dx**2))."""
        shift, s = (mu - sigma**2 / 2) * dt_years, sigma * math.sqrt(dt_years)
        if s < 4 * dx:  # narrower than the grid resolves: move the values by the drift only
            return np.interp(grid + shift, grid, values)
        half = min(int(math.ceil((8 * s + abs(shift)) / dx)), n - 1)
        offsets = np.arange(-half, half + 1) * dx
        w = np.exp(-0.5 * ((offsets - shift) / s) ** 2)
        w /= w.sum()
        return np.correlate(np.pad(values, half, mode="edge"), w, mode="valid")

    value = np.zeros(n)
    for k in range(len(dates) - 1, -1, -1):
        wait = expect(value, years[k + 1]) if k + 1 < len(dates) else np.zeros(n)
        value = np.maximum(a[k] + b[k] * np.exp(grid), wait)
    return float(expect(value, years[0])[n // 2])


def convergence_table(
    deal: Deal, market: MarketModel | None = None, paths: Sequence[int] = (1_000, 4_000, 16_000, 64_000), seed: int = 1, **kw: Any
) -> pd.DataFrame:
    """Option values and expected revenue by LSM as the paths grow, against the quadrature
    value of each party's option (the second method): ``paths``, ``buyer_option_usd``,
    ``seller_option_usd``, ``expected_revenue_usd``, ``buyer_quadrature_usd``, ``seller_quadrature_usd``."""
    terms, market, inputs = _market_inputs(deal, market, {
        "gpus_h100e": kw.get("gpus_h100e"), "buyer_switching_cost_usd": kw.get("buyer_switching_cost_usd"),
        "seller_switching_cost_usd": kw.get("seller_switching_cost_usd"), "discount_rate_per_year": kw.get("discount_rate_per_year"),
        "n_paths": 1, "seed": seed, "valuation_date": kw.get("valuation_date"),
    })
    values = _exit_values_of(terms, market, inputs)
    t0 = inputs["valuation_date"]
    buyer_q = bermudan_value_by_quadrature((values.fees_pv - values.buyer_switch_pv, -values.cost_per_price), market, values.dates, t0)
    seller_q = bermudan_value_by_quadrature((-values.fees_pv - values.seller_switch_pv, values.cost_per_price), market, values.dates, t0)
    rows = []
    for n in paths:
        r = rational_exit(terms, market, **{**inputs, "n_paths": n, "seed": seed})
        rows.append({"paths": n, "buyer_option_usd": r.buyer_option_value_usd, "seller_option_usd": r.seller_option_value_usd,
                     "expected_revenue_usd": r.expected_revenue_usd, "buyer_quadrature_usd": buyer_q,
                     "seller_quadrature_usd": seller_q})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# A book under one market


@dataclass(frozen=True)
class BookExit:
    """Market-driven exits of every deal of a book on the same price paths: ``revenue_usd``
    (paths x deals, in book order), ``service_ends`` (paths x deals, the first day without
    service, ``datetime64[D]``), ``deals`` (names), and per-deal summaries in ``per_deal``."""

    revenue_usd: np.ndarray
    service_ends: np.ndarray
    deals: list[str]
    per_deal: list[dict[str, Any]]

    @property
    def book_revenue_usd(self) -> np.ndarray:
        """The book's revenue on each path."""
        return self.revenue_usd.sum(axis=1)


def book_rational_exit(scenario: "Scenario", market: MarketModel | None = None, n_paths: int | None = None,
                       seed: int | None = None) -> BookExit:
    """Every deal of the scenario's book under one market: each deal's exit values use its own
    fee, terms, ``gpus_h100e`` and switching costs (months of its own fee), and all deals see
    the same simulated price paths, so their exits are correlated.

    >>> from neocloud import load_scenario
    >>> b = book_rational_exit(load_scenario("params/base.yaml"), n_paths=2000)
    >>> b.deals[1], b.revenue_usd.shape
    ('Google - SpaceX', (2000, 3))
    """
    from neocloud.model.book import book_of

    section = _market_section(scenario)
    market = market or scenario_market(scenario)
    n = int(n_paths or section.monte_carlo_paths)
    rng_seed = int(section.seed if seed is None else seed)
    t0 = scenario.as_of.value
    book = book_of(scenario)
    per_values = []
    for d in book.deals:
        # a deal without a disclosed H100e count cannot be priced against the market: it runs its
        # course (no notice date to price, as under take-or-pay terms); the reports name such deals
        terms = d.terms if d.gpus_h100e is not None else replace(d.terms, take_or_pay=True)
        fee = d.terms.monthly_fee_usd
        per_values.append(exit_values(
            terms, market, gpus_h100e=d.gpus_h100e or 0.0,
            buyer_switching_cost_usd=section.buyer_switching_cost_months_of_fee.value * fee,
            seller_switching_cost_usd=section.seller_switching_cost_months_of_fee.value * fee,
            discount_rate_per_year=section.discount_rate_per_year.value, valuation_date=t0))
    every = sorted({day for v in per_values for day in v.dates})
    prices = simulate_prices(market, every, t0, n, rng_seed) if every else np.zeros((n, 0))
    column = {day: i for i, day in enumerate(every)}
    revenue = np.zeros((n, len(book.deals)))
    ends = np.empty((n, len(book.deals)), dtype="datetime64[D]")
    summaries = []
    for j, (d, values) in enumerate(zip(book.deals, per_values)):
        own = prices[:, [column[day] for day in values.dates]]
        rev, notice, who, b_opt, s_opt, shares, _ = _exit_on_paths(d.terms if d.gpus_h100e is not None
                                                                   else replace(d.terms, take_or_pay=True), values, own)
        revenue[:, j] = rev
        stop = np.append(np.minimum(np.asarray(values.dates, dtype="datetime64[D]") + d.terms.notice_days,
                                    np.datetime64(d.terms.end + DAY, "D")), np.datetime64(d.terms.end + DAY, "D"))
        ends[:, j] = stop[notice]
        summaries.append({"deal": d.name, "expected_revenue_usd": float(rev.mean()), "buyer_option_value_usd": b_opt,
                          "seller_option_value_usd": s_opt, "buyer_notice_share": float(shares.buyer.sum()) if len(shares) else 0.0,
                          "seller_notice_share": float(shares.seller.sum()) if len(shares) else 0.0})
    return BookExit(revenue_usd=revenue, service_ends=ends, deals=[d.name for d in book.deals], per_deal=summaries)


def book_independent_hazards(scenario: "Scenario", n_paths: int, seed: int) -> np.ndarray:
    """The book's revenue per path when each deal's notice follows its own, independent hazard
    at the scenario's monthly probability (paths x deals), for comparison with one market."""
    from neocloud.model.book import book_of
    from neocloud.model.hazard import simulate_termination

    p = scenario.termination.monthly_notice_probability.value
    seeds = np.random.SeedSequence(seed).spawn(len(book_of(scenario).deals))
    columns = [simulate_termination(d.terms, n_paths, int(s.generate_state(1)[0]), monthly_notice_probability=p)
               for d, s in zip(book_of(scenario).deals, seeds)]
    return np.column_stack(columns)


def backlog_walking_in_worst_paths(scenario: "Scenario", book_revenue_usd: np.ndarray, worst_share: float = 0.05) -> float:
    """The share of the book's headline backlog at the reporting date that the worst
    ``worst_share`` of paths lose (mean over those paths of lost revenue / headline backlog).

    >>> from neocloud import load_scenario
    >>> s = load_scenario("params/base.yaml")
    >>> from neocloud.model.book import book_total_contract_value
    >>> backlog_walking_in_worst_paths(s, np.full(100, book_total_contract_value(s)))   # nothing walks
    0.0
    """
    from neocloud.model.book import book_backlog, book_total_contract_value

    headline = book_backlog(scenario, scenario.as_of.value).headline_usd
    cut = np.quantile(book_revenue_usd, worst_share)
    worst = book_revenue_usd[book_revenue_usd <= cut]
    lost = book_total_contract_value(scenario) - worst
    return float(max(lost.mean(), 0.0) / headline) if headline > 0 else 0.0


def market_price_sweep(scenario: "Scenario", prices_usd: Sequence[float] | None = None, n_paths: int | None = None) -> pd.DataFrame:
    """Expected revenue and option values of the scenario's deal over starting prices (by default
    $1 to $12 per H100e-hour in steps of $0.50), every other input as in the scenario: ``price_usd``,
    ``expected_revenue_usd``, ``buyer_option_value_usd``, ``seller_option_value_usd``. The same seed
    at every price (common random numbers), so the curve is smooth."""
    base = scenario_market(scenario)
    grid = np.round(np.arange(1.0, 12.01, 0.5), 2) if prices_usd is None else np.asarray(prices_usd, dtype=float)
    rows = []
    for price in grid:
        m = MarketModel(float(price), base.drift_per_year, base.volatility_per_year)
        r = rational_exit(scenario, m, n_paths=n_paths)
        rows.append({"price_usd": float(price), "expected_revenue_usd": r.expected_revenue_usd,
                     "buyer_option_value_usd": r.buyer_option_value_usd, "seller_option_value_usd": r.seller_option_value_usd})
    return pd.DataFrame(rows)


def fee_price_per_h100e_hour(scenario: "Scenario") -> float:
    """The deal's own fee per H100-equivalent hour: the market price at which staying and walking
    are even for both parties (before switching costs).

    >>> from neocloud import load_scenario
    >>> round(fee_price_per_h100e_hour(load_scenario("params/base.yaml")), 2)   # 1.25e9 / (276,000 * 730.5)
    6.2
    """
    from neocloud.model.economics import HOURS_PER_MONTH

    return scenario.deal.monthly_fee_usd / (scenario_market_inputs(scenario)["gpus_h100e"] * HOURS_PER_MONTH)


def market_exit_figures(scenario: "Scenario", computed: RationalExit | None = None) -> dict[str, Any] | None:
    """The headline figures of the market-driven exit model for ``neocloud summary --json``
    (None when the scenario has no ``market`` section). ``computed`` is the scenario's own
    :func:`rational_exit`, where the caller has already run it."""
    if scenario.market is None:
        return None
    from neocloud.model.market import calibrate_gbm

    r = computed if computed is not None else rational_exit(scenario)
    m = r.market
    implied = implied_monthly_probability(scenario, r.expected_revenue_usd)
    fit = calibrate_gbm(as_of=scenario.as_of.value)
    return {
        "market": {"price_usd_per_h100e_hour": m.price_usd_per_h100e_hour, "drift_per_year": m.drift_per_year,
                   "volatility_per_year": m.volatility_per_year,
                   "calibrated": scenario.market.drift_per_year is None or scenario.market.volatility_per_year is None,
                   "calibration": {"observations": fit.observations, "first": fit.first.isoformat(), "last": fit.last.isoformat(),
                                   "drift_per_year": fit.drift_per_year, "drift_se": fit.drift_se,
                                   "volatility_per_year": fit.volatility_per_year, "volatility_se": fit.volatility_se}},
        "fee_usd_per_h100e_hour": fee_price_per_h100e_hour(scenario),
        **r.summary(),
        "implied_monthly_notice_probability": implied,
    }
