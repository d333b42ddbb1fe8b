"""neocloud: reproducible, parameterised reports on AI compute-rental deals.

The maths is pure functions over plain data (see :mod:`neocloud.deal` for the conventions);
scenarios are validated YAML files (:mod:`neocloud.scenario`); charts live in
:mod:`neocloud.charts` and the rendering pipeline in :mod:`neocloud.render`, neither imported
here so that ``import neocloud`` stays light.
"""

from importlib.metadata import PackageNotFoundError, version

from neocloud.deal import (
    Backlog,
    DealTerms,
    NoticeDateError,
    accrued_usd,
    backlog_over_time,
    committed_floor,
    first_exit_on_or_after,
    payment_schedule,
    quarter_ends,
    ramp_concession,
    recognised_revenue,
    recognised_revenue_by_quarter,
    recognised_revenue_by_year,
    remaining_performance_obligation,
    revenue_if_terminated,
    revenue_if_terminated_many,
    termination_date,
    total_contract_value,
)
from neocloud.economics import (
    HOURS_PER_MONTH,
    UnitEconomics,
    comparable_deals,
    consistent_discounts,
    deal_revenue_paths,
    first_exit_after_ipo,
    headline_check,
    headline_consistency_grid,
    margin_over_costs,
    normalise_deals,
    seller_economics,
    seller_quarterly_view,
    unit_economics,
)
from neocloud.hazard import (
    expected_revenue,
    expected_revenue_curve,
    monte_carlo_check,
    notice_month_probabilities,
    simulation_histogram,
    notice_dates,
    revenue_variance,
    simulate_termination,
    simulation_summary,
)
from neocloud.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    report_scenario,
    scenario_json_schema,
    scenario_parameters,
    validate_scenario,
)
from neocloud.sensitivity import (
    DEFAULT_NOTICE_DAYS,
    TORNADO_LABELS,
    committed_floor_over_time,
    realised_grid,
    tornado,
)
from neocloud.summary import headline_figures, key_dates

try:
    __version__ = version("neocloud")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "Backlog",
    "DEFAULT_NOTICE_DAYS",
    "DealTerms",
    "HOURS_PER_MONTH",
    "NoticeDateError",
    "Scenario",
    "ScenarioError",
    "TORNADO_LABELS",
    "UnitEconomics",
    "accrued_usd",
    "backlog_over_time",
    "committed_floor",
    "committed_floor_over_time",
    "comparable_deals",
    "consistent_discounts",
    "deal_revenue_paths",
    "expected_revenue",
    "expected_revenue_curve",
    "first_exit_after_ipo",
    "first_exit_on_or_after",
    "headline_check",
    "headline_consistency_grid",
    "headline_figures",
    "key_dates",
    "load_scenario",
    "margin_over_costs",
    "monte_carlo_check",
    "normalise_deals",
    "notice_dates",
    "notice_month_probabilities",
    "payment_schedule",
    "quarter_ends",
    "ramp_concession",
    "realised_grid",
    "recognised_revenue",
    "recognised_revenue_by_quarter",
    "recognised_revenue_by_year",
    "remaining_performance_obligation",
    "report_scenario",
    "revenue_if_terminated",
    "revenue_if_terminated_many",
    "revenue_variance",
    "scenario_json_schema",
    "scenario_parameters",
    "seller_economics",
    "seller_quarterly_view",
    "simulate_termination",
    "simulation_histogram",
    "simulation_summary",
    "termination_date",
    "tornado",
    "total_contract_value",
    "unit_economics",
    "validate_scenario",
    "__version__",
]
