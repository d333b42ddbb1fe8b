"""The rows of the side-by-side index: the metrics layer's figures, formatted once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from neocloud.narrative import day, pct, usd
from neocloud.summary import headline_figures

if TYPE_CHECKING:
    from neocloud.scenario import Scenario


def _readings_cell(f: dict[str, Any]) -> str:
    floors = [r["committed_floor_usd"] for r in f["termination_readings"]]
    return f"{usd(min(floors))} to {usd(max(floors))} ({len(floors)} readings)" if len(floors) > 1 else usd(floors[0])


def index_rows(scenarios: "list[Scenario]") -> list[dict[str, Any]]:
    """One row per headline figure with a formatted cell per scenario.

    >>> from neocloud import load_scenario
    >>> rows = index_rows([load_scenario("params/base.yaml")])
    >>> rows[0]["label"], rows[0]["cells"]
    ('Total contract value (full term)', ['$45.0B'])
    """
    return rows_from_figures([headline_figures(s) for s in scenarios])


def rows_from_figures(figures: "list[dict[str, Any]]") -> list[dict[str, Any]]:
    """:func:`index_rows` from already computed :func:`neocloud.summary.headline_figures`."""
    bases = sorted({b for f in figures for b in f["usd_per_gpu_hour"]})
    spec: list[tuple[str, Any]] = [
        ("Total contract value (full term)", lambda f: usd(f["total_contract_value_usd"])),
        ("Months of service", lambda f: str(f["months"])),
        ("Monthly fee", lambda f: usd(f["terms"]["monthly_fee_usd"])),
        ("Ramp: months x discount", lambda f: f"{f['terms']['ramp_months']} x {pct(f['terms']['ramp_discount'], 0)}"),
        ("Notice / lock-up", lambda f: f"{f['terms']['notice_days']} days / {f['terms']['lockup_months']} months"),
        ("Earliest notice date", lambda f: day(f["earliest_notice_date"])),
        ("Committed floor (notice at the earliest date)", lambda f: usd(f["committed_floor_usd"])),
        ("Expected revenue (hazard model)", lambda f: f"{usd(f['expected_revenue_usd'])} at {pct(f['monthly_notice_probability'])}/month"),
        ("Monte Carlo P5 / P50 / P95", lambda f: " / ".join(usd(f["simulated_revenue_usd"][k]) for k in ("p5_usd", "p50_usd", "p95_usd"))),
        ("Reporting date", lambda f: day(f["as_of"])),
        ("Headline backlog at the reporting date", lambda f: usd(f["headline_backlog_usd"])),
        ("Enforceable RPO at the reporting date (ASC 606)", lambda f: usd(f["enforceable_rpo_usd"])),
        ("USD per MW-month", lambda f: usd(f["usd_per_mw_month"])),
        ("USD per MWh", lambda f: usd(f["usd_per_mwh"])),
    ]
    for b in bases:
        spec.append((f"USD per GPU-hour: {b}", lambda f, b=b: usd(f["usd_per_gpu_hour"][b]) if b in f["usd_per_gpu_hour"] else "n/a"))
    spec.append(("Implied margin over owner cost", lambda f: pct(f["implied_margin"])))
    spec += [
        ("Committed floor over the readings of the terms", _readings_cell),
        ("Market-driven exits: expected revenue", lambda f: usd(f["market_exit"]["expected_revenue_usd"]) if f["market_exit"] else "n/a"),
        ("Market-driven exits: implied monthly probability", lambda f: pct(f["market_exit"]["implied_monthly_notice_probability"]) if f["market_exit"] else "n/a"),
        ("Book: contracts", lambda f: str(len(f["book"]["deals"]))),
        ("Book: total contract value", lambda f: usd(f["book"]["total_contract_value_usd"])),
        ("Book: committed floor", lambda f: usd(f["book"]["committed_floor_usd"])),
        ("Book: headline backlog / enforceable RPO at the reporting date",
         lambda f: f"{usd(f['book']['headline_backlog_usd'])} / {usd(f['book']['enforceable_rpo_usd'])}"),
        ("Book: peak customer share", lambda f: f"{pct(f['book']['peak_customer_share']['share'])} "
                                                f"({f['book']['peak_customer_share']['customer']}, {f['book']['peak_customer_share']['quarter']})"),
        ("Inputs as of", lambda f: day(f["inputs_date"])),
    ]
    return [{"label": label, "cells": [fn(f) for f in figures]} for label, fn in spec]
