"""The metrics layer: the headline figures of a scenario, computed once.

``neocloud summary PATH --json``, the index page and the reports all read these figures, so a
number stated anywhere comes from one computation.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from neocloud.book import (
    book_backlog,
    book_committed_floor,
    book_deal_table,
    book_expected_revenue,
    book_of,
    book_run_rate_usd,
    book_total_contract_value,
    committed_floor_by_reading,
    peak_customer_share,
)
from neocloud.deal import (
    DealTerms,
    committed_floor,
    remaining_performance_obligation,
    total_contract_value,
)
from neocloud.capacity import capacity_figures
from neocloud.exit_option import market_exit_figures
from neocloud.economics import first_exit_after_ipo, seller_economics, unit_economics
from neocloud.hazard import expected_revenue, simulate_termination, simulation_summary

if TYPE_CHECKING:
    from neocloud.scenario import Scenario


def headline_figures(scenario: "Scenario") -> dict[str, Any]:
    """The headline figures of a scenario as plain JSON-ready data.

    ``terms`` are the resolved deal terms named as in the conventions; ``as_of`` is the
    scenario's reporting date, at which the backlog figures are taken.

    >>> from neocloud import load_scenario
    >>> f = headline_figures(load_scenario("params/base.yaml"))
    >>> f["total_contract_value_usd"], f["months"], round(f["committed_floor_usd"] / 1e9, 3)
    (45000000000.0, 37, 6.169)
    >>> round(f["enforceable_rpo_usd"] / 1e9, 3), f["headline_backlog_usd"]
    (4.919, 43750000000.0)
    """
    t = scenario.deal
    as_of = scenario.as_of.value
    backlog = remaining_performance_obligation(t, as_of)
    unit = unit_economics(scenario)
    term = scenario.termination
    p = term.monthly_notice_probability.value
    paths = simulate_termination(scenario, term.monte_carlo_paths, term.seed)
    seller = seller_economics(scenario)
    expected = expected_revenue(t, p)
    total = total_contract_value(t)
    return {
        "schema_version": SCHEMA_VERSION,
        "title": scenario.title,
        "terms": terms_json(t),
        "as_of": as_of.isoformat(),
        "inputs_date": scenario.inputs_date().isoformat(),
        "months": t.months,
        "total_contract_value_usd": total,
        "annual_run_rate_usd": 12 * t.monthly_fee_usd,
        "earliest_notice_date": t.earliest_notice_date.isoformat(),
        "earliest_termination_date": t.earliest_termination_date.isoformat(),
        "first_exit_after_ipo": first_exit_after_ipo(scenario).isoformat(),
        "committed_floor_usd": committed_floor(t),
        "usd_per_mw_month": unit.usd_per_mw_month,
        "usd_per_mwh": unit.usd_per_mwh,
        "usd_per_gpu_hour": unit.usd_per_gpu_hour,
        "enforceable_rpo_usd": backlog.enforceable_usd,
        "headline_backlog_usd": backlog.headline_usd,
        "monthly_notice_probability": p,
        "expected_revenue_usd": expected,
        "expected_share_of_total": expected / total if total > 0 else None,  # a free contract: undefined
        "simulated_revenue_usd": simulation_summary(paths),
        "simulation": {"paths": term.monte_carlo_paths, "seed": term.seed},
        "implied_margin": seller["implied_margin"],
        "termination_readings": readings_json(scenario),
        "book": book_figures(scenario),
        "market_exit": market_exit_figures(scenario),
        "capacity": capacity_figures(scenario),
    }


SCHEMA_VERSION = 2
"""Version of the ``neocloud summary --json`` shape (2: books, readings, ``earliest_notice_date``)."""


def terms_json(t: DealTerms) -> dict[str, Any]:
    """A deal's terms as JSON, named as in the conventions, with the earliest notice date they
    give (a dated clause, the lock-up or the signing) and what sets it."""
    return {
        "monthly_fee_usd": t.monthly_fee_usd,
        "start": t.start.isoformat(),
        "end": t.end.isoformat(),
        "ramp_months": t.ramp_months,
        "ramp_discount": t.ramp_discount,
        "notice_days": t.notice_days,
        "lockup_months": t.lockup_months,
        "capacity_mw": t.capacity_mw,
        "earliest_notice_date": t.earliest_notice_date.isoformat(),
        "earliest_notice_rule": t.notice_rule,
    }


def readings_json(scenario: "Scenario") -> list[dict[str, Any]]:
    """The committed floor under every reading of the termination terms, lowest notice date first."""
    return [
        {"reading": r.reading, "earliest_notice_date": r.earliest_notice_date.isoformat(),
         "termination_date": r.termination_date.isoformat(), "committed_floor_usd": r.committed_floor_usd,
         "scenario": r.scenario, "this_scenario": bool(r.this_scenario)}
        for r in committed_floor_by_reading(scenario).itertuples()
    ]


def book_figures(scenario: "Scenario") -> dict[str, Any]:
    """The seller's book on the reporting date: each deal's figures and the book's totals (sums
    of the deals', ``neocloud.book``), with the peak customer share of the seller's revenue.

    >>> from neocloud import load_scenario
    >>> b = book_figures(load_scenario("params/base.yaml"))
    >>> [d["buyer"] for d in b["deals"]], round(b["total_contract_value_usd"] / 1e9, 2)
    (['Anthropic', 'Google', 'Reflection AI'], 83.04)
    """
    as_of = scenario.as_of.value
    p = scenario.termination.monthly_notice_probability.value
    book = book_of(scenario)
    table = book_deal_table(book, as_of, p)
    deals = []
    for d, row in zip(book.deals, table.itertuples()):
        deals.append({
            "deal": d.name, "buyer": d.buyer, "terms": terms_json(d.terms),
            "total_contract_value_usd": row.total_contract_value_usd, "committed_floor_usd": row.committed_floor_usd,
            "headline_backlog_usd": row.headline_backlog_usd, "enforceable_rpo_usd": row.enforceable_rpo_usd,
            "expected_revenue_usd": row.expected_revenue_usd,
        })
    backlog = book_backlog(book, as_of)
    peak = peak_customer_share(scenario)
    return {
        "as_of": as_of.isoformat(),
        "deals": deals,
        "total_contract_value_usd": book_total_contract_value(book),
        "committed_floor_usd": book_committed_floor(book),
        "headline_backlog_usd": backlog.headline_usd,
        "enforceable_rpo_usd": backlog.enforceable_usd,
        "expected_revenue_usd": book_expected_revenue(book, p),
        "annual_run_rate_usd": book_run_rate_usd(book, max(as_of, max(d.terms.start for d in book.deals))),
        "peak_customer_share": {"customer": peak["customer"], "quarter": peak["quarter"], "share": peak["share"]},
        "peak_book_share": {"quarter": peak["book_quarter"], "share": peak["book_share"]},
    }


def key_dates(scenario: "Scenario") -> dict[str, "dt.date"]:
    """The dates drawn on the reports' timelines: signing, IPO, the reporting date, the earliest
    notice and termination, and the natural end (never the wall-clock date).

    >>> from neocloud import load_scenario
    >>> [f"{k}: {v}" for k, v in key_dates(load_scenario("params/base.yaml")).items()][-2:]
    ['earliest termination: 2026-10-30', 'natural end: 2029-05-31']
    """
    t = scenario.deal
    return {
        "signed": scenario.key_dates.signed.value,
        "IPO": scenario.key_dates.ipo.value,
        "reporting date": scenario.as_of.value,
        "earliest notice": t.earliest_notice_date,
        "earliest termination": t.earliest_termination_date,
        "natural end": t.end,
    }
