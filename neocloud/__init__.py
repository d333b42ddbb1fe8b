"""neocloud: reproducible, parameterised reports on AI compute-rental deals.

The package's folders follow the data: :mod:`neocloud.inputs` (and the shipped files of
:mod:`neocloud.data`) read and validate what is sourced; :mod:`neocloud.model` is the maths, pure
functions over the validated inputs; :mod:`neocloud.analysis` builds headline figures,
sensitivities, sweeps and the checks against filings on the maths; :mod:`neocloud.report` holds
the reports' words and charts; :mod:`neocloud.pipeline` renders the notebooks to ``outputs/``;
:mod:`neocloud.commands` is the command line. A module imports only from its own folder or an
earlier one (``tests/test_layout.py``). Nothing is imported until it is used: each public name is
loaded from its module on first access (PEP 562), so that ``import neocloud`` stays light (the
command line's no-op render imports neither pandas nor pydantic), while ``neocloud.X``, ``from
neocloud import X``, ``dir(neocloud)`` and ``help(neocloud)`` see every name of ``__all__``.

The public API, by topic in the order data flows (each topic names the modules that define it):

- Scenarios and their inputs: :mod:`neocloud.inputs.sourced`, :mod:`neocloud.inputs.scenario`, :mod:`neocloud.inputs.terms`, :mod:`neocloud.inputs.reported`.
- The deal maths: accrual, schedule, termination, backlog and RPO: :mod:`neocloud.model.deal`.
- Termination as a hazard: :mod:`neocloud.model.hazard`.
- The GPU market and the exit right priced from it (Longstaff-Schwartz): :mod:`neocloud.model.market`, :mod:`neocloud.model.exit_option`.
- A seller's book and its economics: :mod:`neocloud.model.book`, :mod:`neocloud.model.economics`, :mod:`neocloud.model.capacity`.
- The ledger of contracts: its records, seller, buyer and market views: :mod:`neocloud.inputs.ledger`, :mod:`neocloud.model.ledger`.
- Headline figures and checks: :mod:`neocloud.analysis.summary`.
- Sensitivity, sweeps and global sensitivity: :mod:`neocloud.analysis.sensitivity`, :mod:`neocloud.analysis.sweeps`, :mod:`neocloud.analysis.global_sensitivity`.
- The model against the filings: :mod:`neocloud.analysis.filings`, :mod:`neocloud.analysis.reconcile`.
- Reports: explorable grids and the call that starts a report: :mod:`neocloud.report.explore`, :mod:`neocloud.report.start`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_SOURCES: dict[str, tuple[str, ...]] = {
    # the module of each public name, by topic in the order data flows
    "neocloud.inputs.sourced": (  # Scenarios and their inputs
        "ScenarioError",
    ),
    "neocloud.inputs.scenario": (  # Scenarios and their inputs
        "load_scenario",
        "report_scenario",
        "Scenario",
        "scenario_json_schema",
        "scenario_parameters",
        "validate_scenario",
    ),
    "neocloud.inputs.terms": (  # Scenarios and their inputs
        "DealTerms",
    ),
    "neocloud.inputs.reported": (  # Scenarios and their inputs
        "load_reported",
        "reported_table",
        "ReportedFigure",
    ),
    "neocloud.model.deal": (  # The deal maths: accrual, schedule, termination, backlog and RPO
        "accrued_usd",
        "Backlog",
        "backlog_over_time",
        "committed_floor",
        "delivered_share",
        "first_exit_on_or_after",
        "monthly_fee_for_total",
        "NoticeDateError",
        "payment_schedule",
        "quarter_ends",
        "ramp_concession",
        "recognised_revenue",
        "recognised_revenue_by_quarter",
        "recognised_revenue_by_year",
        "remaining_performance_obligation",
        "revenue_if_terminated",
        "revenue_if_terminated_many",
        "termination_date",
        "total_contract_value",
    ),
    "neocloud.model.hazard": (  # Termination as a hazard
        "compare_distributions",
        "expected_revenue",
        "expected_revenue_curve",
        "monte_carlo_check",
        "notice_dates",
        "notice_month_probabilities",
        "revenue_variance",
        "simulate_termination",
        "simulation_histogram",
        "simulation_summary",
    ),
    "neocloud.model.market": (  # The GPU market and the exit right priced from it (Longstaff-Schwartz)
        "calibrate_gbm",
        "expected_prices",
        "GbmFit",
        "gpu_price_panel",
        "MarketModel",
        "simulate_prices",
    ),
    "neocloud.model.exit_option": (  # The GPU market and the exit right priced from it (Longstaff-Schwartz)
        "backlog_walking_in_worst_paths",
        "bermudan_value_by_quadrature",
        "book_independent_hazards",
        "book_rational_exit",
        "BookExit",
        "convergence_table",
        "deterministic_exit",
        "exit_values",
        "implied_monthly_probability",
        "lsm_stopping",
        "market_price_sweep",
        "rational_exit",
        "RationalExit",
        "scenario_market",
    ),
    "neocloud.model.book": (  # A seller's book and its economics
        "Book",
        "book_assumption_swings",
        "book_backlog",
        "book_backlog_over_time",
        "book_committed_floor",
        "book_deal_table",
        "book_expected_revenue",
        "book_of",
        "book_paths",
        "book_revenue_by_quarter",
        "book_run_rate_usd",
        "book_shares",
        "book_sum",
        "book_total_contract_value",
        "BookDeal",
        "committed_floor_by_reading",
        "delivery_failure_date",
        "first_opportunity_stops",
        "peak_customer_share",
        "seller_book_view",
        "share_series",
    ),
    "neocloud.model.economics": (  # A seller's book and its economics
        "comparable_deals",
        "consistent_discounts",
        "first_exit_after_ipo",
        "headline_check",
        "headline_consistency_grid",
        "like_for_like_price",
        "margin_over_costs",
        "normalise_deals",
        "seller_economics",
        "seller_quarterly_view",
        "unit_economics",
        "UnitEconomics",
    ),
    "neocloud.model.capacity": (  # A seller's book and its economics
        "capacity_figures",
        "capacity_ledger",
        "own_use_signals",
        "owned_capacity",
        "rented_capacity",
        "rented_share_by_quarter",
        "rented_share_paths",
        "rented_share_under_exits",
    ),
    "neocloud.inputs.ledger": (  # The ledger of contracts: its records, seller, buyer and market views
        "Contract",
        "Ledger",
        "LedgerError",
        "load_ledger",
        "read_ledger_file",
        "UnknownNameError",
    ),
    "neocloud.model.ledger": (  # The ledger of contracts: its records, seller, buyer and market views
        "book_totals",
        "buyer_book",
        "contract_figures",
        "LedgerBook",
        "seller_book",
    ),
    "neocloud.analysis.summary": (  # Headline figures and checks
        "headline_figures",
        "key_dates",
    ),
    "neocloud.analysis.sensitivity": (  # Sensitivity, sweeps and global sensitivity
        "committed_floor_over_time",
        "DEFAULT_NOTICE_DAYS",
        "realised_grid",
        "tornado",
        "TORNADO_LABELS",
    ),
    "neocloud.analysis.sweeps": (  # Sensitivity, sweeps and global sensitivity
        "design_table",
        "evaluate",
        "evaluate_rows",
        "load_sweep",
        "reading_terms",
        "SCENARIO_INPUTS",
        "SCENARIO_OUTPUTS",
        "Sweep",
        "SweepError",
    ),
    "neocloud.analysis.global_sensitivity": (  # Sensitivity, sweeps and global sensitivity
        "ishigami",
        "ishigami_indices",
        "morris_indices",
        "sobol_analysis",
        "sobol_convergence",
        "sobol_findings",
        "sobol_indices",
        "SobolAnalysis",
    ),
    "neocloud.analysis.filings": (  # The model against the filings
        "filing_check",
        "implied_ramp_discount",
        "rpo_by_reading",
        "rpo_gap_closers",
    ),
    "neocloud.analysis.reconcile": (  # The model against the filings
        "reconcile",
    ),
    "neocloud.report.explore": (  # Reports: explorable grids and the call that starts a report
        "market_grid",
        "probability_grid",
        "ramp_grid",
        "readings_grid",
    ),
    "neocloud.report.start": (  # Reports: explorable grids and the call that starts a report
        "start_report",
    ),
}
"""The modules of the public API and the names each gives, imported on first use."""

_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}
_SUBPACKAGES = ("data", "inputs", "model", "analysis", "report", "pipeline", "commands")

if TYPE_CHECKING:  # what type checkers and editors see: the same names, imported eagerly
    from neocloud.inputs.sourced import ScenarioError
    from neocloud.inputs.scenario import (
        load_scenario, report_scenario, Scenario, scenario_json_schema, scenario_parameters, validate_scenario,
    )
    from neocloud.inputs.terms import DealTerms
    from neocloud.inputs.reported import load_reported, reported_table, ReportedFigure
    from neocloud.model.deal import (
        accrued_usd, Backlog, backlog_over_time, committed_floor, delivered_share, first_exit_on_or_after,
        monthly_fee_for_total, NoticeDateError, payment_schedule, quarter_ends, ramp_concession,
        recognised_revenue, recognised_revenue_by_quarter, recognised_revenue_by_year,
        remaining_performance_obligation, revenue_if_terminated, revenue_if_terminated_many, termination_date,
        total_contract_value,
    )
    from neocloud.model.hazard import (
        compare_distributions, expected_revenue, expected_revenue_curve, monte_carlo_check, notice_dates,
        notice_month_probabilities, revenue_variance, simulate_termination, simulation_histogram,
        simulation_summary,
    )
    from neocloud.model.market import (
        calibrate_gbm, expected_prices, GbmFit, gpu_price_panel, MarketModel, simulate_prices,
    )
    from neocloud.model.exit_option import (
        backlog_walking_in_worst_paths, bermudan_value_by_quadrature, book_independent_hazards,
        book_rational_exit, BookExit, convergence_table, deterministic_exit, exit_values,
        implied_monthly_probability, lsm_stopping, market_price_sweep, rational_exit, RationalExit,
        scenario_market,
    )
    from neocloud.model.book import (
        Book, book_assumption_swings, book_backlog, book_backlog_over_time, book_committed_floor, book_deal_table,
        book_expected_revenue, book_of, book_paths, book_revenue_by_quarter, book_run_rate_usd, book_shares,
        book_sum, book_total_contract_value, BookDeal, committed_floor_by_reading, delivery_failure_date,
        first_opportunity_stops, peak_customer_share, seller_book_view, share_series,
    )
    from neocloud.model.economics import (
        comparable_deals, consistent_discounts, first_exit_after_ipo, headline_check, headline_consistency_grid,
        like_for_like_price, margin_over_costs, normalise_deals, seller_economics, seller_quarterly_view,
        unit_economics, UnitEconomics,
    )
    from neocloud.model.capacity import (
        capacity_figures, capacity_ledger, own_use_signals, owned_capacity, rented_capacity,
        rented_share_by_quarter, rented_share_paths, rented_share_under_exits,
    )
    from neocloud.inputs.ledger import Contract, Ledger, LedgerError, load_ledger, read_ledger_file, UnknownNameError
    from neocloud.model.ledger import book_totals, buyer_book, contract_figures, LedgerBook, seller_book
    from neocloud.analysis.summary import headline_figures, key_dates
    from neocloud.analysis.sensitivity import (
        committed_floor_over_time, DEFAULT_NOTICE_DAYS, realised_grid, tornado, TORNADO_LABELS,
    )
    from neocloud.analysis.sweeps import (
        design_table, evaluate, evaluate_rows, load_sweep, reading_terms, SCENARIO_INPUTS, SCENARIO_OUTPUTS,
        Sweep, SweepError,
    )
    from neocloud.analysis.global_sensitivity import (
        ishigami, ishigami_indices, morris_indices, sobol_analysis, sobol_convergence, sobol_findings,
        sobol_indices, SobolAnalysis,
    )
    from neocloud.analysis.filings import filing_check, implied_ramp_discount, rpo_by_reading, rpo_gap_closers
    from neocloud.analysis.reconcile import reconcile
    from neocloud.report.explore import market_grid, probability_grid, ramp_grid, readings_grid
    from neocloud.report.start import start_report



def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first access (PEP 562) and kept here."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value: Any = version("neocloud")
        except PackageNotFoundError:  # running from a source tree that was never installed
            value = "0.0.0+unknown"
    elif name in _MODULE_OF:
        value = getattr(importlib.import_module(_MODULE_OF[name]), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = ["__version__", *_MODULE_OF]
"""Every public name, by topic in the order data flows (:data:`_SOURCES`), and the version."""
