"""The first cell every report shares: check the parameters, read the scenario, set the chart
theme, record what the report was computed from, show warnings.

The record (:data:`RUN_MIME`) is a display output of that cell, written by the kernel at run time:
the scenario's title, file and dates, the parameters the kernel received and the version of
neocloud that computed the report. The exporter (``jupyter nbconvert --to neocloud-report``,
:mod:`neocloud.pipeline.export`) heads the report with it and never reads a scenario file, so an
executed notebook exports the same bytes from any folder, also after its scenario file changed.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from neocloud.inputs.sourced import ScenarioError

if TYPE_CHECKING:
    from neocloud.inputs.scenario import Scenario

PARAMETERS = ("scenario_file", "scenario")
"""The parameters every report takes (its ``parameters`` cell); papermill may inject no other."""

RUN_MIME = "application/vnd.neocloud.run+json"
"""The mimetype of the record a report's first cell displays (what its export needs)."""

PAPERMILL_COMMENT = "# Parameters"
"""The first line of the cell papermill injects (``papermill.translators.PythonTranslator.codify``)."""


class ReportInputError(ScenarioError):
    """A report's parameters or scenario cannot be used. In a notebook it shows as its message
    alone (one line per problem, no traceback: IPython's ``_render_traceback_``)."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class ReportDoesNotApply(Exception):
    """A report that does not apply to the scenario it was given (:data:`APPLIES`): in a notebook it
    shows as one sentence saying why, with no traceback (IPython's ``_render_traceback_``)."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


def no_notice_right(sc: "Scenario") -> str | None:
    """Why a report about the right to end the deal on notice (the termination report) does not
    apply to ``sc``, in words, or None where it does: a take-or-pay deal (``terms.take_or_pay``, the
    ledger's ``termination.kind: none``) has no notice right, no notice date and no exit option
    to model (``shared/conventions.md``, "Contracts and the ledger": its committed floor is its
    total and its enforceable RPO its headline backlog).

    >>> from neocloud.inputs.scenario import load_scenario
    >>> no_notice_right(load_scenario("params/base.yaml")) is None
    True
    """
    if not sc.deal.take_or_pay:
        return None
    from neocloud.report.narrative import plain

    return (f"{plain(sc.deal_name)} is take-or-pay (no termination for convenience), so there is no notice right, "
            "notice date or exit option for this report to model: the seller counts on the whole contract, "
            "its committed floor being its total and its enforceable RPO its headline backlog.")


APPLIES: "dict[str, Callable[[Scenario], str | None]]" = {"termination": no_notice_right}
"""What each report applies to, by report name: a function of the validated scenario giving the
reason in words the report does not apply, or None where it does. A report not named here applies
to every scenario. The reports' declarations (:mod:`neocloud.pipeline.notebooks`) carry the same
functions, so that ``neocloud render`` writes a page saying why in the report's place."""


def not_applicable(report: str | None, sc: "Scenario") -> str | None:
    """Why the report named ``report`` does not apply to ``sc`` (:data:`APPLIES`), or None.

    >>> from neocloud.inputs.scenario import load_scenario
    >>> not_applicable("termination", load_scenario("params/base.yaml")) is None
    True
    """
    test = APPLIES.get(report or "")
    return test(sc) if test is not None else None


def injected_parameters(history: Sequence[str]) -> dict[str, Any]:
    """The parameters papermill injected in this kernel session, read from the session's input
    history (IPython's ``In``): the assignments of the last cell whose first line is papermill's
    ``# Parameters`` comment. Values that are not literals are given as their source text.

    >>> injected_parameters(["x = 1", "# Parameters\\nscenario_file = 'a.yaml'\\ntitle = 'T'\\n", "y = 2"])
    {'scenario_file': 'a.yaml', 'title': 'T'}
    >>> injected_parameters(["# Parameters (papermill injects its values below this cell)\\nscenario = None"])
    {}
    """
    for source in reversed(history):
        if source.split("\n", 1)[0].strip() != PAPERMILL_COMMENT:
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return {}
        out: dict[str, Any] = {}
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            for target in targets:
                if isinstance(target, ast.Name) and getattr(node, "value", None) is not None:
                    try:
                        out[target.id] = ast.literal_eval(node.value)  # type: ignore[union-attr]
                    except (ValueError, SyntaxError, TypeError, RecursionError):
                        out[target.id] = ast.get_source_segment(source, node.value)  # type: ignore[union-attr]
        return out
    return {}


def check_parameters(given: dict[str, Any], own: tuple[str, ...] = ()) -> None:
    """Refuse parameters a report does not take (papermill only warns "Passed unknown parameter"
    and runs the default scenario). ``own`` names the report's parameters besides those of every
    report (:data:`PARAMETERS`). A scenario file given as papermill's parameters file
    (``-f params/early_exit.yaml``) is refused with the parameter to use instead.

    >>> check_parameters({"scenario_file": "params/base.yaml"})
    >>> check_parameters({"title": "Exit", "terms": {}, "scenario_file": "params/base.yaml", "n": 3})
    Traceback (most recent call last):
    ...
    neocloud.report.start.ReportInputError: papermill parameters: 'terms', 'title' are keys of a scenario file, not parameters (this report takes scenario_file, scenario): give the file as `-p scenario_file params/NAME.yaml`, not as papermill's parameters file (-f)
    papermill parameters: unknown parameter 'n' = 3 (this report takes scenario_file, scenario)
    """
    from neocloud.inputs.scenario import Scenario

    allowed = (*PARAMETERS, *own)
    unknown = sorted(k for k in given if k not in allowed)
    if not unknown:
        return
    takes = f"this report takes {', '.join(allowed)}"
    keys = [k for k in unknown if k in Scenario.model_fields or k == "extends"]  # a scenario file's own keys
    problems = []
    if keys:
        problems.append(f"{', '.join(repr(k) for k in keys)} {'is a key' if len(keys) == 1 else 'are keys'} of a scenario file, "
                        f"not parameters ({takes}): give the file as `-p scenario_file params/NAME.yaml`, "
                        "not as papermill's parameters file (-f)")
    for name in (k for k in unknown if k not in keys):
        shown = repr(given[name])
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        problems.append(f"unknown parameter '{name}' = {shown} ({takes})")
    raise ReportInputError("papermill parameters", problems)


def parameters_digest(scenario: Any) -> str | None:
    """A short digest of the ``scenario`` parameter (``None`` when none was given): the record
    and the notebook's own parameters must name the same data.

    >>> parameters_digest(None) is None
    True
    >>> parameters_digest({"b": 1, "a": [1, 2]}) == parameters_digest({"a": [1, 2], "b": 1})
    True
    """
    if scenario is None:
        return None
    text = json.dumps(scenario, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def scenario_record(sc: "Scenario", scenario_file: str, scenario: Any, as_of: Any = None) -> dict[str, Any]:
    """What a report's export needs, recorded when it runs (:data:`RUN_MIME`); ``as_of``, a
    report's own reporting date (``YYYY-MM-DD``) where it takes one, else the scenario's.

    >>> from neocloud.inputs.scenario import load_scenario
    >>> r = scenario_record(load_scenario("params/base.yaml"), "params/base.yaml", None)
    >>> r["scenario_file"], r["inputs_date"], r["as_of"], r["scenario_digest"]   # the price panel's newest is of 5 Oct 2026
    ('params/base.yaml', '5 Oct 2026', '30 Jun 2026', None)
    """
    from neocloud import __version__
    from neocloud.analysis.checks import newest_input_date
    from neocloud.inputs.scenario import scenario_parameters
    from neocloud.report.narrative import day

    return {
        "scenario_title": sc.title,
        "scenario_file": str(scenario_file),
        "scenario_digest": parameters_digest(scenario),
        # the newest input of the scenario and of the data every report reads, in the reports' one style
        "inputs_date": day(newest_input_date(sc)),
        "as_of": day(as_of or sc.as_of.value),
        "version": __version__,
        # the scenario as data (what its sources page is made of, by the exporter: no file read again),
        # as JSON text: a notebook's JSON is written with sorted keys, which would reorder its mappings
        "scenario_json": json.dumps(scenario_parameters(sc)),
    }


def chart_bundle(spec: dict[str, Any], **metadata: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Altair renderer ``neocloud``: Altair's ``mimetype`` bundle (Vega-Lite JSON, drawn by
    JupyterLab and by ``--to neocloud-report``) whose plain-text form says where the chart is
    drawn, in place of Altair's "renderer has not been properly enabled": it is what
    ``jupyter nbconvert --to html`` shows, as that export cannot draw Vega-Lite offline.

    >>> bundle, _ = chart_bundle({"title": {"text": "Revenue by quarter"}})
    >>> print(bundle["text/plain"])
    [Chart: Revenue by quarter. This export cannot draw charts: `jupyter nbconvert --to neocloud-report NOTEBOOK.ipynb` draws them offline, as does JupyterLab.]
    """
    from altair.vegalite.v5.display import VEGALITE_MIME_TYPE

    title = spec.get("title")
    text = title.get("text") if isinstance(title, dict) else title
    text = " ".join(text) if isinstance(text, list) else text
    if isinstance(text, dict):  # a title that follows the chart's controls: its words where they open
        text = (spec.get("usermeta") or {}).get("title")
    name = f"Chart: {text}. " if text else "Chart. "
    bundle = {VEGALITE_MIME_TYPE: spec, "text/plain": (
        f"[{name}This export cannot draw charts: `jupyter nbconvert --to neocloud-report NOTEBOOK.ipynb` "
        "draws them offline, as does JupyterLab.]")}
    return bundle, ({VEGALITE_MIME_TYPE: metadata} if metadata else {})


def _enable_chart_renderer() -> None:
    import altair as alt

    if "neocloud" not in alt.renderers.names():
        alt.renderers.register("neocloud", chart_bundle)
    alt.renderers.enable("neocloud")


def _vouched_scenario(scenario_file: str, scenario: Any) -> "Scenario | None":
    """In a kernel of ``neocloud render``: the injected ``scenario``, validated as data, when the
    render vouches that it read it from ``scenario_file`` (the kernel's ``vouched`` record,
    :mod:`neocloud.pipeline.kernels`), so that the file is not read again to compare; else None
    (papermill, JupyterLab: :func:`neocloud.report_scenario` reads and compares).

    >>> _vouched_scenario("params/base.yaml", {"title": "x"}) is None
    True
    """
    import sys

    vouched = getattr(sys.modules.get("__neocloud_kernel__"), "vouched", None)
    if scenario is None or vouched is None or tuple(vouched) != (str(scenario_file), parameters_digest(scenario)):
        return None
    from neocloud.inputs.scenario import validate_scenario

    return validate_scenario(scenario, str(scenario_file))


def _each_file_read_once(start: Any) -> Any:
    """``start`` with each YAML file it reads parsed once (its record, its warnings and the figures
    all read the ledger: :func:`neocloud.inputs.scenario.each_file_read_once`)."""
    import functools

    @functools.wraps(start)
    def started(*args: Any, **kwargs: Any) -> Any:
        from neocloud.inputs.sourced import each_file_read_once

        with each_file_read_once():
            return start(*args, **kwargs)

    return started


@_each_file_read_once
def start_report(scenario_file: str, scenario: dict[str, Any] | None = None, *, report: str | None = None,
                 **own: Any) -> "tuple[Scenario, dict[str, Any]]":
    """Start a report: refuse parameters the report does not take (:func:`check_parameters`),
    read and validate the scenario (:func:`neocloud.report_scenario`: bad input stops here with a
    clear message, no traceback), enable the one chart theme, record what the report computes
    (:func:`scenario_record`, displayed as :data:`RUN_MIME` in a kernel), display the scenario's
    suspicious but valid inputs (if any) as a note, and return the scenario with its headline
    figures (:func:`neocloud.headline_figures`), which the report's words and tables quote.
    ``own`` are the report's own parameters (the market report's ``as_of`` and ``ledger_file``):
    they may be injected too, and a reporting date among them is the one the header states.
    ``report``, the report's name: a report that does not apply to the scenario (:data:`APPLIES`,
    e.g. the termination report of a take-or-pay deal) stops here with
    :class:`ReportDoesNotApply`, one sentence saying why, before anything is computed.

    >>> sc, fig = start_report("params/base.yaml")
    >>> sc.deal_name, round(fig["total_contract_value_usd"] / 1e9, 2)
    ('xAI (SpaceX) - Anthropic, Colossus 1', 45.0)
    """
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.display import display

    from neocloud.report import charts
    from neocloud.report.narrative import md, warnings_markdown
    from neocloud.inputs.scenario import report_scenario
    from neocloud.analysis.summary import headline_figures

    shell = InteractiveShell.instance() if InteractiveShell.initialized() else None
    if shell is not None:
        check_parameters(injected_parameters(shell.user_ns.get("In", [])), tuple(own))
    charts.enable()
    _enable_chart_renderer()
    try:
        sc = _vouched_scenario(scenario_file, scenario) or report_scenario(scenario_file, scenario)
    except ScenarioError as e:
        raise ReportInputError(e.path, e.problems) from None
    why_not = not_applicable(report, sc)
    if why_not is not None:
        raise ReportDoesNotApply(f"The {(report or '').replace('_', ' ')} report does not apply to {scenario_file}: {why_not}")
    as_of = own.get("as_of")
    if as_of is not None:
        from neocloud.inputs.sourced import _iso_date

        try:
            as_of = _iso_date(as_of)
        except ValueError as e:
            raise ReportInputError("papermill parameters", [f"as_of: value {as_of!r}: {e}"]) from None
    if shell is not None:
        record = scenario_record(sc, scenario_file, scenario, as_of=as_of)
        display({RUN_MIME: record, "text/plain": (
            f"Scenario: {record['scenario_title']} ({record['scenario_file']}); inputs as of {record['inputs_date']}; "
            f"reporting date {record['as_of']}; neocloud {record['version']}")}, raw=True)
    note = warnings_markdown(sc)
    if note:
        display(md(note))
    return sc, headline_figures(sc)
