"""``outputs/index.html``: every report linked, the scenarios' headline figures side by side.

The rows are the metrics layer's figures (:func:`neocloud.analysis.summary.headline_figures`), formatted
once. The figures of a rendered scenario are those its reports on disk state (``.figures.json``
written beside them), so the index never disagrees with the reports it links.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from neocloud.report.narrative import day, pct, plain, usd
from neocloud.pipeline.cache import PACKAGE_DIR, cached_figures, environment_key
from neocloud.pipeline.files import display_path, on_disk_figures, write_atomic
from neocloud.pipeline.notebooks import report_pairs, why_not_applicable
from neocloud.pipeline.reports import RenderResult
from neocloud.pipeline.sources_page import SOURCES_PAGE
from neocloud.inputs.scenario import load_scenario, scenario_stem
from neocloud.inputs.sourced import ScenarioError
from neocloud.analysis.summary import headline_figures

if TYPE_CHECKING:
    from neocloud.inputs.scenario import Scenario


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
    """:func:`index_rows` from already computed :func:`neocloud.analysis.summary.headline_figures`."""
    bases = sorted({b for f in figures for b in f["usd_per_gpu_hour"]})
    spec: list[tuple[str, Any]] = [
        ("Total contract value (full term)", lambda f: usd(f["total_contract_value_usd"])),
        ("Months of service", lambda f: str(f["months"])),
        ("Monthly fee", lambda f: usd(f["terms"]["monthly_fee_usd"])),
        ("Ramp: months x discount", lambda f: f"{f['terms']['ramp_months']} x {pct(f['terms']['ramp_discount'], 0)}"),
        ("Notice / lock-up", lambda f: "none (take-or-pay)" if f["terms"].get("take_or_pay")
         else f"{f['terms']['notice_days']} days / {f['terms']['lockup_months']} months"),
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


def write_index(outputs: Path, scenario_files: list[Path], notebook_files: list[Path], result: RenderResult,
                env_key: str | None = None, loaded: dict[Path, Any] | None = None) -> Path:
    """``outputs/index.html``: every report linked, headline figures side by side. Written only
    when its content changes. ``loaded`` holds scenarios already read (by path)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from neocloud import __version__

    env_key = env_key or environment_key()
    failed = {o.report.label for o in result.failed}
    columns = []
    scenarios: dict[Path, Any] = {}
    errors: dict[Path, ScenarioError] = {}
    for path in scenario_files:
        try:
            scenarios[path] = (loaded or {}).get(path) or load_scenario(path)
        except ScenarioError as e:
            errors[path] = e
    pairs = report_pairs(scenarios, notebook_files)
    for path in scenario_files:
        stem = scenario_stem(path)
        scenario = scenarios.get(path)
        if scenario is None:
            columns.append({"stem": stem, "file": display_path(path), "error": str(errors[path]), "reports": [], "figures": None})
            continue
        reports = []
        for nb in (nb for p, nb in pairs if p == path):
            html = outputs / stem / f"{nb.stem}.html"
            reports.append({"name": nb.stem, "href": f"{quote(stem)}/{quote(nb.stem)}.html", "exists": html.is_file(),
                            "failed": f"{stem}/{nb.stem}" in failed, "not_applicable": why_not_applicable(nb, scenario)})
        figures: Any = on_disk_figures(outputs / stem)
        if figures is None:
            try:
                figures = cached_figures(outputs, path, scenario, env_key)
            except Exception as e:  # noqa: BLE001 - one scenario's failure never takes the index with it
                columns.append({"stem": stem, "file": display_path(path), "reports": reports, "figures": None,
                                "error": f"its headline figures could not be computed: {type(e).__name__}: {e}"})
                continue
        sources = outputs / stem / SOURCES_PAGE
        columns.append({"stem": stem, "file": display_path(path), "error": None, "reports": reports,
                        "sources": f"{quote(stem)}/{SOURCES_PAGE}" if sources.is_file() else None,
                        "title": plain(figures["title"]), "question": plain(scenario.question), "figures": figures})
    env = Environment(loader=FileSystemLoader(str(PACKAGE_DIR / "templates")), autoescape=select_autoescape(["html", "j2"]))
    rows = rows_from_figures([c["figures"] for c in columns if c["figures"] is not None])
    text = env.get_template("index.html.j2").render(columns=columns, rows=rows, version=__version__,
                                                     css=(PACKAGE_DIR / "templates/report/report.css").read_text())
    index = outputs / "index.html"
    data = text.encode("utf-8")
    if not index.is_file() or index.read_bytes() != data:
        write_atomic(index, data)
    return index
