"""The first cell every report shares: read the scenario, set the chart theme, show warnings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neocloud.scenario import Scenario


def start_report(scenario_file: str, scenario: dict[str, Any] | None = None) -> "tuple[Scenario, dict[str, Any]]":
    """Start a report: read and validate the scenario (:func:`neocloud.report_scenario`: bad input
    stops here with a clear message), enable the one chart theme, display the scenario's
    suspicious but valid inputs (if any) as a note, and return the scenario with its headline
    figures (:func:`neocloud.headline_figures`), which the report's words and tables quote.

    >>> sc, fig = start_report("params/base.yaml")
    >>> sc.deal_name, round(fig["total_contract_value_usd"] / 1e9, 2)
    ('xAI (SpaceX) - Anthropic, Colossus 1', 45.0)
    """
    from IPython.display import display

    from neocloud import charts
    from neocloud.narrative import md, warnings_markdown
    from neocloud.scenario import report_scenario
    from neocloud.summary import headline_figures

    charts.enable()
    sc = report_scenario(scenario_file, scenario)
    note = warnings_markdown(sc)
    if note:
        display(md(note))
    return sc, headline_figures(sc)
