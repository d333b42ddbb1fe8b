"""Unit economics, comparable deals, the seller's view and the press headlines.

Conventions:

* ``usd_per_mw_month = monthly_fee_usd / capacity_mw`` (the full, undiscounted fee).
* ``usd_per_mwh = monthly_fee_usd / (capacity_mw * HOURS_PER_MONTH)`` and the implied price per
  GPU-hour is ``monthly_fee_usd / (gpu_count * HOURS_PER_MONTH)``, with
  ``HOURS_PER_MONTH = 8766 / 12 = 730.5`` (an average year of 365.25 days).
* The seller's baseline revenue spreads its base year evenly over four quarters and grows at
  ``baseline_growth_per_year`` after it: quarter ``n`` after the base year earns
  ``baseline / 4 * (1 + growth) ** (n / 4)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from neocloud.model.deal import (
    DealTerms,
    add_months,
    committed_floor,
    first_exit_on_or_after,
    recognised_revenue_by_quarter,
    total_contract_value,
)
from neocloud.model.hazard import expected_revenue

if TYPE_CHECKING:
    from neocloud.inputs.scenario import Scenario

HOURS_PER_MONTH = 8766 / 12
"""Hours in an average month: 365.25 days * 24 h / 12 = 730.5."""


@dataclass(frozen=True)
class UnitEconomics:
    """Prices implied by the deal. ``gpu_hours`` has one row per GPU basis and market price."""

    usd_per_mw_month: float
    usd_per_mwh: float
    hours_per_month: float
    usd_per_gpu_hour: dict[str, float]
    gpu_hours: pd.DataFrame


def usd_per_gpu_hour(monthly_fee_usd: float, gpu_count: float) -> float:
    """Implied rental price per GPU-hour.

    >>> round(usd_per_gpu_hour(1.25e9, 220_000), 4)   # 1.25e9 / (220,000 * 730.5)
    7.778
    """
    return monthly_fee_usd / (gpu_count * HOURS_PER_MONTH)


def unit_economics(scenario: "Scenario") -> UnitEconomics:
    """$ per MW-month, $ per MWh, implied $ per GPU-hour on every GPU basis and the ratio of each
    to each market price the scenario gives.

    >>> from neocloud import load_scenario
    >>> u = unit_economics(load_scenario("params/base.yaml"))
    >>> round(u.usd_per_mw_month), round(u.usd_per_mwh, 2)   # 1.25e9 / 300; / 730.5
    (4166667, 5703.86)
    >>> sorted(u.usd_per_gpu_hour)
    ['colossus_1_and_2', 'h100_equivalent', 'reported']
    """
    t = scenario.deal
    per_gpu = {name: usd_per_gpu_hour(t.monthly_fee_usd, b.value) for name, b in scenario.gpu_bases.items()}
    rows = []
    for name, basis in scenario.gpu_bases.items():
        for price_name, price in scenario.market_prices.items():
            rows.append(
                {
                    "basis": name,
                    "basis_label": basis.label,
                    "gpu_count": basis.value,
                    "implied_usd_per_gpu_hour": per_gpu[name],
                    "market": price_name,
                    "market_label": price.label,
                    "market_usd_per_gpu_hour": price.value,
                    "market_observed": price.observed,
                    "ratio": per_gpu[name] / price.value,
                }
            )
    return UnitEconomics(
        usd_per_mw_month=t.monthly_fee_usd / t.capacity_mw,
        usd_per_mwh=t.monthly_fee_usd / (t.capacity_mw * HOURS_PER_MONTH),
        hours_per_month=HOURS_PER_MONTH,
        usd_per_gpu_hour=per_gpu,
        gpu_hours=pd.DataFrame(rows),
    )


def like_for_like_price(scenario: "Scenario") -> dict[str, Any]:
    """The deal's price per GPU-hour as a range over its GPU bases, and like for like: per
    H100-equivalent against the latest dated H100 one-year contract price (the nearest market
    basis to a multi-year dedicated cluster; the fee also buys power, cooling, networking and
    operations, which a per-GPU contract price includes only in part).

    Keys: ``low_usd``, ``high_usd`` (over the bases), ``per_h100e_usd`` (None without an
    ``h100_equivalent`` basis), ``contract_usd``, ``contract_label``, ``contract_observed``
    (None without a ``1-year contract`` price), ``ratio``.

    >>> from neocloud import load_scenario
    >>> p = like_for_like_price(load_scenario("params/base.yaml"))
    >>> round(p["low_usd"], 2), round(p["high_usd"], 2), round(p["per_h100e_usd"], 2), p["contract_usd"], round(p["ratio"], 2)
    (5.27, 7.78, 6.2, 2.65, 2.34)
    """
    per_gpu = unit_economics(scenario).usd_per_gpu_hour
    h100e = per_gpu.get("h100_equivalent")
    contracts = [p for p in scenario.market_prices.values() if p.basis == "1-year contract"]
    latest = max(contracts, key=lambda p: p.observed) if contracts else None
    return {
        "low_usd": min(per_gpu.values()),
        "high_usd": max(per_gpu.values()),
        "per_h100e_usd": h100e,
        "contract_usd": latest.value if latest else None,
        "contract_label": latest.label if latest else None,
        "contract_observed": latest.observed if latest else None,
        "ratio": h100e / latest.value if (h100e is not None and latest is not None) else None,
    }


# --------------------------------------------------------------------------------------------
# Comparable deals


def comparable_deals() -> pd.DataFrame:
    """The comparable compute deals shipped in ``neocloud/data/comparables.csv``, one row each,
    every row with its ``source_url``.

    >>> c = comparable_deals()
    >>> bool(c.source_url.str.startswith("http").all()), "IREN - Microsoft" in set(c.deal)
    (True, True)
    """
    from neocloud.data import read_table

    return read_table("comparables.csv")  # validated: bad rows raise DataFileError


def normalise_deals(deals: pd.DataFrame, scenario: "Scenario | None" = None) -> pd.DataFrame:
    """Put deals on one footing: USD per year, USD per MW-month where power is known, term.

    Per MW-month is the value over the whole term (ramp discounts included) / (term in months
    x MW), so a deal with a discounted ramp shows less than its monthly fee per MW. Each row keeps
    its ``capacity_basis``; ``like_basis`` marks the rows whose power is stated (not "up to").
    With a scenario, its own deal is added as the first row (``this_deal`` true).

    >>> from neocloud import load_scenario
    >>> n = normalise_deals(comparable_deals(), load_scenario("params/base.yaml"))
    >>> row = n.iloc[0]
    >>> bool(row.this_deal), round(float(row.usd_per_year) / 1e9, 2), round(row.usd_per_mw_month)
    (True, 14.59, 4054054)
    """
    frame = deals.copy()
    frame["this_deal"] = False
    if scenario is not None:
        t = scenario.deal
        own = {
            "deal": scenario.deal_name,
            "seller": scenario.seller_name,
            "buyer": scenario.buyer_name,
            "value_usd": total_contract_value(t),
            "value_basis": "full term",
            "term_years": t.months / 12,
            "capacity_mw": t.capacity_mw,
            "capacity_basis": "over",
            "notice_terms": notice_terms_text(t),
            "source_url": scenario.terms.monthly_fee_usd.source.url
            if scenario.terms.monthly_fee_usd.source
            else "",
            "this_deal": True,
        }
        frame = pd.concat([pd.DataFrame([own]), frame], ignore_index=True)
    frame["usd_per_year"] = frame["value_usd"] / frame["term_years"]
    frame["usd_per_mw_month"] = frame["value_usd"] / (frame["term_years"] * 12 * frame["capacity_mw"])
    frame["like_basis"] = frame["capacity_basis"].isin(FIRM_CAPACITY_BASES) & frame["usd_per_mw_month"].notna()
    return frame


FIRM_CAPACITY_BASES = ("reported", "over", "about")
"""Capacity bases that state the power a deal buys (``over`` a floor, ``about``); ``up to`` is a
ceiling, so per-MW figures on it are not comparable and stay out of the comparables chart."""


def notice_terms_text(terms: DealTerms) -> str:
    """The notice terms in words.

    >>> notice_terms_text(DealTerms(1e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), lockup_months=3))
    'either party, 90 days, after a 3-month lock-up'
    """
    lock = f", after a {terms.lockup_months}-month lock-up" if terms.lockup_months else ", at any time"
    return f"either party, {terms.notice_days} days{lock}"


# --------------------------------------------------------------------------------------------
# The seller


def seller_quarterly_view(scenario: "Scenario", notice_date: dt.date | None = None) -> pd.DataFrame:
    """The seller's revenue by (fiscal) quarter of the deal's term: its baseline, the deal, and
    the other deals of its book (the book conventions: a customer's share is its revenue over the
    baseline plus every deal of the book).

    Columns: ``quarter``, ``period_start``, ``period_end``, ``baseline_usd``, ``deal_usd``,
    ``other_deals_usd``, ``total_usd`` and ``deal_share`` (customer concentration). With
    ``notice_date`` the deal stops as if notice were served then.

    >>> from neocloud import load_scenario
    >>> v = seller_quarterly_view(load_scenario("params/base.yaml"))
    >>> # Q3 2026: 3.75 / (18.674 / 4 * 1.1542 ** 0.75 + 3.75 + Google 1.38 + Reflection 0.45)
    >>> v.quarter.iloc[1], round(float(v.deal_share.iloc[1]), 3)
    ('2026 Q3', 0.348)
    """
    from neocloud.model.book import baseline_revenue, book_revenue_by_quarter

    fye = scenario.seller.fiscal_year_end_month
    frame = recognised_revenue_by_quarter(scenario, fye, notice_date).rename(columns={"revenue_usd": "deal_usd"})
    book = book_revenue_by_quarter(scenario, fye)
    others = book[book.deal != scenario.deal_name].groupby("quarter").revenue_usd.sum()
    frame["baseline_usd"] = [baseline_revenue(scenario, lo) for lo in frame.period_start]
    frame["other_deals_usd"] = frame.quarter.map(others).fillna(0.0)
    frame["total_usd"] = frame.baseline_usd + frame.deal_usd + frame.other_deals_usd
    frame["deal_share"] = frame.deal_usd / frame.total_usd
    return frame[["quarter", "period_start", "period_end", "baseline_usd", "deal_usd", "other_deals_usd", "total_usd",
                  "deal_share"]]


def first_exit_after_ipo(scenario: "Scenario") -> dt.date:
    """The first date on or after the IPO on which the buyer may serve notice.

    >>> from neocloud import load_scenario
    >>> first_exit_after_ipo(load_scenario("params/base.yaml"))
    datetime.date(2026, 8, 1)
    """
    return first_exit_on_or_after(scenario, scenario.key_dates.ipo.value)


def seller_economics(scenario: "Scenario") -> dict[str, float]:
    """The seller's price against an owner's cost: revenue and cost per MW-year, the implied
    margin (also at the highest sourced variant of the owner cost, ``other_readings``), and how
    far the committed floor, the expected revenue and the full term go towards the all-in capital
    cost of the capacity.

    >>> from neocloud import load_scenario
    >>> e = seller_economics(load_scenario("params/base.yaml"))
    >>> e["revenue_usd_per_mw_year"], round(e["implied_margin"], 3)   # 12 * 1.25e9 / 300; 1 - 8.5 / 50
    (50000000.0, 0.83)
    """
    t = scenario.deal
    s = scenario.seller
    revenue = 12 * t.monthly_fee_usd / t.capacity_mw
    cost = s.owner_cost_usd_per_mw_year.value
    capex = s.all_in_capex_usd_per_mw.value * t.capacity_mw
    expected = expected_revenue(scenario, scenario.termination.monthly_notice_probability.value)
    highest = max([cost, *[float(r.value) for r in s.owner_cost_usd_per_mw_year.other_readings]])
    return {
        "revenue_usd_per_mw_year": revenue,
        "owner_cost_usd_per_mw_year": cost,
        "owner_cost_high_usd_per_mw_year": highest,
        "implied_margin": 1.0 - cost / revenue,
        "implied_margin_at_high_cost": 1.0 - highest / revenue,
        "markup": revenue / cost,
        "annual_run_rate_usd": 12 * t.monthly_fee_usd,
        "run_rate_to_baseline": 12 * t.monthly_fee_usd / s.baseline_revenue_usd_per_year.value,
        "all_in_capex_usd": capex,
        "committed_floor_to_capex": committed_floor(scenario) / capex,
        "expected_revenue_to_capex": expected / capex,
        "total_contract_value_to_capex": total_contract_value(scenario) / capex,
    }


def margin_over_costs(scenario: "Scenario", costs_usd_per_mw_year: "list[float] | np.ndarray | None" = None) -> pd.DataFrame:
    """Implied margin of the deal's price over a range of owner costs per MW-year (by default
    half to four times the scenario's sourced owner cost).

    >>> from neocloud import load_scenario
    >>> margin_over_costs(load_scenario("params/base.yaml"), [25e6]).implied_margin.tolist()
    [0.5]
    """
    t = scenario.deal
    revenue = 12 * t.monthly_fee_usd / t.capacity_mw
    if costs_usd_per_mw_year is None:
        costs_usd_per_mw_year = scenario.seller.owner_cost_usd_per_mw_year.value * np.arange(0.5, 4.01, 0.25)
    cost = np.asarray(costs_usd_per_mw_year, dtype=float)
    return pd.DataFrame({"owner_cost_usd_per_mw_year": cost, "implied_margin": 1.0 - cost / revenue})


# --------------------------------------------------------------------------------------------
# Press headlines


def _consistent(model_usd: float, value_usd: float, comparison: str, tolerance: float) -> bool:
    if comparison == "over":
        return model_usd > value_usd
    return abs(model_usd / value_usd - 1.0) <= tolerance + 1e-12  # boundary inclusive despite rounding


def headline_check(scenario: "Scenario") -> pd.DataFrame:
    """Each reported headline against the model: ``label``, ``reported_usd``, ``comparison``,
    ``model_usd`` (total contract value, or 12 x the monthly fee for annual figures) and
    ``consistent``.

    >>> from neocloud import load_scenario
    >>> headline_check(load_scenario("params/base.yaml")).consistent.tolist()
    [True, True, True]
    """
    t = scenario.deal
    rows = []
    for h in scenario.headlines:
        model = total_contract_value(t) if h.kind == "total" else 12 * t.monthly_fee_usd
        rows.append(
            {
                "label": h.label,
                "reported_usd": h.value_usd,
                "comparison": h.comparison,
                "tolerance": h.tolerance,
                "model_usd": model,
                "consistent": _consistent(model, h.value_usd, h.comparison, h.tolerance),
                "source_url": h.source.url,
                "source_date": h.source.date,
            }
        )
    return pd.DataFrame(rows)


def headline_consistency_grid(
    scenario: "Scenario",
    start_dates: "list[dt.date] | None" = None,
    ramp_discounts: "list[float] | np.ndarray | None" = None,
) -> pd.DataFrame:
    """Which start dates and ramp discounts give a total consistent with every "total" headline.

    The end date, fee and ramp length stay as in the scenario. By default starts run from two
    months before to two months after the scenario's start month, discounts 0% to 100% by 10%. Columns: ``start``,
    ``ramp_discount``, ``total_usd``, ``consistent`` (with all total headlines).

    >>> from neocloud import load_scenario
    >>> # no discount: 37 * 1.25 = $46.25B, 2.8% above 'roughly $45B'
    >>> g = headline_consistency_grid(load_scenario("params/base.yaml"), [dt.date(2026, 5, 1)], [0.0, 0.5])
    >>> g.total_usd.tolist(), g.consistent.tolist()
    ([46250000000.0, 45000000000.0], [False, True])
    """
    t = scenario.deal
    if start_dates is None:
        start_dates = [add_months(t.start.replace(day=1), k) for k in range(-2, 3)]
    if ramp_discounts is None:
        ramp_discounts = np.round(np.arange(0.0, 1.0001, 0.1), 4)
    totals = [h for h in scenario.headlines if h.kind == "total"]
    rows = []
    for start in start_dates:
        for discount in ramp_discounts:
            alt = DealTerms(
                t.monthly_fee_usd, start, t.end, t.ramp_months, float(discount), t.notice_days, t.lockup_months, t.capacity_mw
            )
            total = total_contract_value(alt)
            ok = all(_consistent(total, h.value_usd, h.comparison, h.tolerance) for h in totals)
            rows.append({"start": start, "ramp_discount": float(discount), "total_usd": total, "consistent": ok})
    return pd.DataFrame(rows)


def consistent_discounts(scenario: "Scenario", step: float = 0.01) -> tuple[float, float] | None:
    """The lowest and highest ramp discount (on a grid of ``step``) at which the scenario's total
    fits every reported total headline, or ``None`` if none does.

    >>> from neocloud import load_scenario
    >>> consistent_discounts(load_scenario("params/base.yaml"))   # 46.25 - 2.5 d within 45 +/- 2.5%
    (0.05, 0.95)
    """
    discounts = np.round(np.arange(0.0, 1.0 + step / 2, step), 10)
    grid = headline_consistency_grid(scenario, [scenario.deal.start], discounts)
    fits = grid[grid.consistent]
    if fits.empty:
        return None
    return float(fits.ramp_discount.min()), float(fits.ramp_discount.max())
