"""Grids behind the reports' controls: every value a reader can pick in the HTML, computed here.

A report's sliders and menus (Altair parameters bound to inputs, drawn offline by Vega) cannot run
the library in the browser; they select rows of a grid the library computed, so that every figure
they show equals the library's result for that input. Each grid holds the scenario's own value
(the control's default position) exactly, figures formatted as the report's words format them
(:func:`neocloud.report.narrative.usd`), and a ``title`` column: the chart's
finding at that row, which the chart's title shows when the control selects the row (words that
follow the controls).
"""

from __future__ import annotations

import datetime as dt  # noqa: F401 - the doctests use it
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from neocloud.analysis.sweeps import all_choices, reading_terms
from neocloud.model.deal import DealTerms, add_months, committed_floor, revenue_if_terminated_many, total_contract_value
from neocloud.model.hazard import expected_revenue_curve
from neocloud.report.narrative import day, notice_shares, pct, usd

if TYPE_CHECKING:
    from neocloud.model.exit_option import RationalExit
    from neocloud.inputs.scenario import Scenario

PROBABILITY_STEP = 0.005
"""Step of the monthly-probability slider (half a percentage point)."""


def probability_grid(scenario: "Scenario", step: float = PROBABILITY_STEP, upper: float = 0.30) -> pd.DataFrame:
    """Expected revenue (hazard model, closed form) on a grid of monthly probabilities of notice
    that runs through the scenario's own probability in steps of ``step`` from near 0 to ``upper``
    (or to the scenario's probability, if higher):
    ``probability``, ``expected_usd``, ``label`` (the revenue as the report writes it), ``p_label``,
    ``title``.

    >>> from neocloud import load_scenario
    >>> g = probability_grid(load_scenario("params/base.yaml"))
    >>> g[g.probability == 0.05].label.tolist(), len(g)
    (['$25.11B'], 61)
    >>> g[g.probability == 0.05].title.iloc[0]
    'At a 5.0% chance of notice a month, the expected revenue is $25.11B, 56% of the $45.0B headline'
    """
    p0 = scenario.termination.monthly_notice_probability.value
    upper = max(upper, p0)  # the scenario's own probability is always on the grid (1.0: leave at once)
    k_low = int(np.floor(p0 / step + 1e-9))
    first = p0 - k_low * step
    n = int(np.floor((upper - first) / step + 1e-9)) + 1
    p = np.round(first + step * np.arange(n), 10)
    curve = expected_revenue_curve(scenario.deal, np.clip(p, 0.0, 1.0))
    curve["label"] = [usd(x) for x in curve.expected_usd]
    curve["p_label"] = [pct(x) for x in curve.probability]
    total = total_contract_value(scenario.deal)
    curve["title"] = [f"At a {pct(p)} chance of notice a month, the expected revenue is {usd(e)}, {pct(e / total, 0)} of the "
                      f"{usd(total)} headline" for p, e in zip(curve.probability, curve.expected_usd)]
    return curve


def readings_grid(scenario: "Scenario") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Revenue realised and lost by notice date under every reading of the termination terms (the
    scenario's own first): ``reading``, ``notice_date``, ``realised_usd``, ``lost_usd``; and one row
    per reading: ``id``, ``reading``, ``earliest_notice_date``, ``committed_floor_usd``, ``title``.
    ``id`` is the reading's identity (``"this scenario"`` for the scenario's own); ``reading`` is
    the label people read (unique: the scenario's validation refuses two readings with one label).

    >>> from neocloud import load_scenario
    >>> lines, floors = readings_grid(load_scenario("params/base.yaml"))
    >>> floors.title.tolist()[0], floors.id.tolist()[:2]
    ('Notice from 1 Aug 2026 at the earliest: the seller is sure of $6.17B', ['this scenario', 'original_s1'])
    >>> floors.title.tolist()[1]
    'Notice from 3 May 2026 at the earliest: the seller is sure of $2.50B'
    """
    from neocloud.inputs.scenario import THIS_SCENARIO

    shown = {r.id: r.label for r in scenario.termination_readings}
    lines, floors = [], []
    for reading_id in all_choices(scenario, "termination_reading"):
        label = shown.get(reading_id, THIS_SCENARIO)
        t = reading_terms(scenario, reading_id)
        frame = revenue_if_terminated_many(t)
        frame.insert(0, "reading", label)
        lines.append(frame[["reading", "notice_date", "realised_usd", "lost_usd"]])
        floor = committed_floor(t)
        floors.append({"id": reading_id, "reading": label, "earliest_notice_date": t.earliest_notice_date,
                       "committed_floor_usd": floor,
                       "title": f"Notice from {day(t.earliest_notice_date)} at the earliest: the seller is sure of {usd(floor)}"})
    return pd.concat(lines, ignore_index=True), pd.DataFrame(floors)


def market_grid(scenario: "Scenario", prices: "list[float] | None" = None,
                drifts: "list[float] | None" = None, computed: "RationalExit | None" = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Market-driven exits over starting prices and drifts (each run as the scenario's own: its
    paths and seed), the scenario's values included: one row per grid point (``price``, ``drift``,
    ``expected_usd``, ``implied_probability``, ``buyer_share`` and ``seller_share`` (of paths on
    which each party serves notice), ``title``) and the monthly notice shares of each
    (``price``, ``drift``, ``notice_date``, ``buyer``, ``seller``). Prices default to the scenario's
    and $1 steps either side (7), drifts to the scenario's and 10 points either side (3).
    ``computed`` is the scenario's own :func:`~neocloud.model.exit_option.rational_exit` where the caller
    has it (the headline figures' ``market_exit_result``): used at the grid point of the
    scenario's own market instead of running it again."""
    from neocloud.model.exit_option import implied_monthly_probability, rational_exit, scenario_market
    from neocloud.model.market import MarketModel

    m = scenario_market(scenario)
    # the scenario's own values exactly (not rounded), so that its point is the scenario's own run
    prices = prices or [m.price_usd_per_h100e_hour if k == 0 else round(m.price_usd_per_h100e_hour + k, 10)
                        for k in range(-3, 4) if m.price_usd_per_h100e_hour + k > 0]
    drifts = drifts or [m.drift_per_year if k == 0 else round(m.drift_per_year + 0.1 * k, 10) for k in range(-1, 2)]
    rows, shares = [], []
    for price in prices:
        for drift in drifts:
            point = MarketModel(price, drift, m.volatility_per_year)
            own = (computed is not None and computed.market == point and computed.n_paths == scenario.market.monte_carlo_paths
                   and computed.seed == scenario.market.seed and computed.valuation_date == scenario.as_of.value)
            r = computed if own else rational_exit(scenario, point)
            implied = implied_monthly_probability(scenario, r.expected_revenue_usd)
            buyer, seller = float(r.notice_probability.buyer.sum()), float(r.notice_probability.seller.sum())
            walks = notice_shares(buyer, seller)
            rows.append({"price": price, "drift": drift, "expected_usd": r.expected_revenue_usd, "implied_probability": implied,
                         "buyer_share": buyer, "seller_share": seller,
                         "title": f"From {usd(price)} per H100e-hour, drifting {drift * 100:+.1f}% a year, the buyer walks on "
                                  f"{walks[0]} of paths and the seller on {walks[1]}: expected revenue "
                                  f"{usd(r.expected_revenue_usd)}"})
            s = r.notice_probability[["notice_date", "buyer", "seller"]].copy()
            s.insert(0, "drift", drift)
            s.insert(0, "price", price)
            shares.append(s)
    return pd.DataFrame(rows), pd.concat(shares, ignore_index=True)


RAMP_STEP = 0.05
"""Step of the ramp-discount slider."""


def ramp_grid(scenario: "Scenario", step: float = RAMP_STEP) -> pd.DataFrame:
    """The total contract value and the reported totals it fits over ramp discounts (from 0% to
    100% in ``step``s through the scenario's own discount, so that a slider of that step opens on
    it exactly) and start months (the scenario's start and one and two months either side):
    ``start``, ``start_label``, ``ramp_discount``, ``total_usd``, ``label``, ``title``.

    >>> from neocloud import load_scenario
    >>> g = ramp_grid(load_scenario("params/base.yaml"))
    >>> g[(g.ramp_discount == 0.5) & (g.start == dt.date(2026, 5, 1))].label.tolist()
    ['Total $45.0B: fits every reported total (2 of 2)']
    >>> g[(g.ramp_discount == 0.0) & (g.start == dt.date(2026, 3, 1))].title.iloc[0]
    'From Mar 2026 with no ramp discount the total is $48.75B and fits 1 of 2 reported totals: over $40B (TechCrunch); from that start the discount moves it between $46.25B and $48.75B'
    >>> ramp_grid(load_scenario("params/base.yaml"), step=0.3).ramp_discount.drop_duplicates().tolist()
    [0.2, 0.5, 0.8]
    """
    from neocloud.model.economics import _consistent

    t = scenario.deal
    d0 = float(t.ramp_discount)
    # the scenario's own discount and every step either side within [0, 1]
    discounts = [d0 if k == 0 else round(d0 + k * step, 10) for k in range(-int(d0 / step + 1e-9), int((1.0 - d0) / step + 1e-9) + 1)]
    heads = [h for h in scenario.headlines if h.kind == "total"]
    rows = []
    for k in range(-2, 3):
        start = add_months(t.start, k)
        if start > t.end:
            continue
        for d in discounts:
            # as the headline reconciliation does (neocloud.model.economics.headline_consistency_grid): fee,
            # end and ramp length as in the scenario
            total = total_contract_value(DealTerms(t.monthly_fee_usd, start, t.end, t.ramp_months, float(d), t.notice_days,
                                                   t.lockup_months, t.capacity_mw))
            fits = [h for h in heads if _consistent(total, h.value_usd, h.comparison, h.tolerance)]
            if not heads:
                verdict = "no reported total to compare"
            elif len(fits) == len(heads):
                verdict = f"fits every reported total ({len(fits)} of {len(heads)})"
            elif not fits:
                verdict = f"fits none of the {len(heads)} reported totals"
            else:
                verdict = f"fits {len(fits)} of {len(heads)} reported totals: " + "; ".join(h.label for h in fits)
            rows.append({"start": start, "start_label": f"{start:%b %Y}", "ramp_discount": float(d), "total_usd": total,
                         "label": f"Total {usd(total)}: {verdict}", "verdict": verdict})
    grid = pd.DataFrame(rows)
    low, high = (grid.groupby("start_label").total_usd.transform(f) for f in ("min", "max"))
    discount = ["no ramp discount" if d == 0 else f"a {d * 100:.4g}% ramp discount" for d in grid.ramp_discount]
    grid["title"] = [f"From {s} with {d} the total is {usd(x)} and {v}; from that start the discount moves it between "
                     f"{usd(lo)} and {usd(hi)}"
                     for s, d, x, v, lo, hi in zip(grid.start_label, discount, grid.total_usd, grid.verdict, low, high)]
    return grid.drop(columns=["verdict"])


