"""Altair charts for the reports: one theme, findings as titles, units on axes, sources below.

Split by job: :mod:`~neocloud.report.charts.theme` (the theme, palette, company colours, chart size and
the data transformer), :mod:`~neocloud.report.charts.labels` (titles, wrapped labels, tick formats, label
lanes above the plot), :mod:`~neocloud.report.charts.controls` (parameters bound to sliders and menus, and
the expressions that follow them) and :mod:`~neocloud.report.charts.catalogue` (the charts the reports
draw). This module names what the notebooks and the other chart modules use:
``from neocloud import charts; charts.enable(); charts.cumulative_chart(...)``.
"""

from __future__ import annotations

import sys

# Keep kernels lean: jsonschema (imported by Altair) loads `rfc3987_syntax` when installed (it
# comes with JupyterLab) to check IRI formats, and that import builds a grammar for ~1 s in every
# report. Altair never checks IRIs; marking the module absent skips it. No-op if already imported.
# Here, before any submodule imports Altair (importing a submodule runs this file first).
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

from neocloud.report.charts.catalogue import (  # noqa: E402
    backlog_chart,
    book_revenue_chart,
    boundary_chart,
    comparables_chart,
    consistency_heatmap,
    convergence_chart,
    cumulative_chart,
    distributions_chart,
    gpu_hour_chart,
    heatmap_chart,
    json_safe,
    margin_chart,
    market_control_chart,
    paths_chart,
    payment_schedule_chart,
    price_sweep_chart,
    probability_control_chart,
    ramp_control_chart,
    reading_control_chart,
    rented_share_chart,
    shares_chart,
    simulation_chart,
    sobol_chart,
    tornado_chart,
)
from neocloud.report.charts.labels import LABEL_CHARS, finding_title, wrapped_label_expr  # noqa: E402
from neocloud.report.charts.theme import FIT, MAX_CHART_ROWS, PALETTE, SIGNIFICANT_DIGITS, enable  # noqa: E402

__all__ = [
    # the theme (neocloud.report.start, the other chart modules, the pipeline's docs)
    "enable", "FIT", "PALETTE", "SIGNIFICANT_DIGITS", "MAX_CHART_ROWS",
    # labels and data shared with neocloud.report.filing_charts and neocloud.report.market_charts
    "LABEL_CHARS", "finding_title", "wrapped_label_expr", "json_safe",
    # the deal report
    "payment_schedule_chart", "cumulative_chart", "consistency_heatmap", "ramp_control_chart", "gpu_hour_chart",
    "comparables_chart", "margin_chart",
    # the IPO narrative
    "book_revenue_chart", "shares_chart", "backlog_chart", "paths_chart", "distributions_chart", "rented_share_chart",
    # the termination report
    "reading_control_chart", "probability_control_chart", "simulation_chart", "heatmap_chart", "tornado_chart",
    "market_control_chart", "boundary_chart", "price_sweep_chart", "sobol_chart", "convergence_chart",
]
