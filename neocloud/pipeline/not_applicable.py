"""The page ``neocloud render`` writes in the place of a report that does not apply to a scenario.

A report declares what it applies to (:attr:`neocloud.pipeline.notebooks.Declaration.applies`,
e.g. the termination report needs a notice right, which a take-or-pay deal does not have). For a
scenario it does not apply to, the render executes nothing: it writes ``outputs/<stem>/<report>.html``,
a short page in the reports' look saying in words why, linked from the index (marked "does not
apply") and from the scenario's sources page, and the render exits 0. The page is written only when
its bytes change; a notebook or key of an earlier render of that report (for other inputs) is
removed, so nothing beside the page claims to be the report.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from neocloud.pipeline.files import display_path, write_atomic
from neocloud.pipeline.reports import Report

if TYPE_CHECKING:
    from neocloud.inputs.scenario import Scenario

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def not_applicable_page(scenario: "Scenario", scenario_file: str, name: str, reason: str) -> str:
    """The HTML of the page that stands for the report ``name`` of ``scenario``, which does not
    apply to it for ``reason`` (words; escaped here). Offline: nothing is loaded.

    >>> from neocloud.inputs.scenario import load_scenario
    >>> page = not_applicable_page(load_scenario("params/base.yaml"), "params/base.yaml", "termination", "<b>no</b>")
    >>> "the termination report does not apply" in page, "&lt;b&gt;no&lt;/b&gt;" in page, "<script" in page
    (True, True, False)
    """
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from neocloud import __version__
    from neocloud.report.narrative import plain
    from neocloud.report.start import scenario_record

    record = scenario_record(scenario, scenario_file, None)
    env = Environment(loader=FileSystemLoader(str(PACKAGE_DIR / "templates")), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("not_applicable.html.j2").render(
        title=plain(scenario.title), deal=plain(scenario.deal_name), file=str(scenario_file), name=name.replace("_", " "),
        reason=plain(reason), inputs_date=record["inputs_date"], as_of=record["as_of"], version=__version__,
        css=(PACKAGE_DIR / "templates/report/report.css").read_text(encoding="utf-8"))


def write_not_applicable(report: Report, scenario: "Scenario", reason: str) -> Path:
    """Write the page of ``report`` (:func:`not_applicable_page`) in its place, only when its bytes
    change, and remove the notebook and key an earlier render of that report left there."""
    data = not_applicable_page(scenario, display_path(report.scenario_path), report.name, reason).encode("utf-8")
    if not report.html.is_file() or report.html.read_bytes() != data:
        write_atomic(report.html, data)
    for stale in (report.ipynb, report.key_file):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    return report.html
