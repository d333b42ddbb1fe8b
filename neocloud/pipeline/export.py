"""The offline HTML report as an nbconvert exporter: ``jupyter nbconvert --to neocloud-report``.

``neocloud render`` writes each report's HTML with this exporter, and the package registers it
with nbconvert (entry point ``nbconvert.exporters``), so that an analyst who runs a notebook with
papermill and exports it the usual way gets the same file, byte for byte::

    papermill notebooks/deal.ipynb out.ipynb -p scenario_file params/early_exit.yaml
    jupyter nbconvert --to neocloud-report out.ipynb      # writes out.html

The exporter hides the code, scrubs what differs between runs (timings, paths, random ids), draws
charts with one inlined copy of Vega (no network), and heads the report with the scenario it was
computed from: the notebook's own parameters (papermill's, or the ``parameters`` cell's defaults).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
from importlib import resources as package_resources
from pathlib import Path
from typing import Any

from nbconvert.exporters import HTMLExporter
from traitlets import default

PACKAGE_DIR = Path(__file__).resolve().parent.parent
VEGALITE_MIME = "application/vnd.vegalite.v5+json"
"""The chart mimetype the reports carry (Altair 5, the Vega-Lite version JupyterLab 4 draws)."""


def clean_notebook(nb: Any) -> Any:
    """Remove what differs between runs of the same inputs: timings, paths, random cell ids.

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(metadata={"papermill": {"duration": 3.2, "parameters": {"a": 1}}})
    >>> clean_notebook(nb).metadata.papermill
    {'parameters': {'a': 1}}
    """
    pm = nb.metadata.get("papermill", {})
    nb.metadata["papermill"] = {k: pm[k] for k in ("parameters", "version") if k in pm}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"
    return nb


def report_name(nb: Any, fallback: str) -> str:
    """The report a notebook is (``deal``, ``termination``...): the notebook papermill ran, or
    ``fallback`` (the file's own name).

    >>> import nbformat
    >>> report_name(nbformat.v4.new_notebook(metadata={"papermill": {"input_path": "notebooks/deal.ipynb"}}), "out")
    'deal'
    """
    input_path = nb.metadata.get("papermill", {}).get("input_path")
    return Path(input_path).stem if input_path else fallback


def report_title(scenario: Any, name: str) -> str:
    """The title of a report page: the scenario's title and the report's name.

    >>> from neocloud import load_scenario
    >>> report_title(load_scenario("params/base.yaml"), "ipo_narrative")
    'Base case: the reported terms of the amended S-1: ipo narrative'
    """
    return f"{scenario.title}: {name.replace('_', ' ')}"


def notebook_parameters(nb: Any) -> dict[str, Any]:
    """The parameters a notebook ran with: its ``parameters`` cell's defaults, overridden by what
    papermill injected (recorded in the notebook's metadata)."""
    from neocloud.pipeline.notebooks import parameter_defaults

    try:
        params = parameter_defaults(nb)
    except ValueError:
        params = {}
    params.update(nb.metadata.get("papermill", {}).get("parameters", {}))
    return params


def report_meta(scenario: Any, scenario_label: str) -> dict[str, str]:
    """What the header of a report shows (never the wall-clock date)."""
    from neocloud import __version__
    from neocloud.narrative import day

    return {
        "scenario_title": scenario.title,
        "scenario_file": scenario_label,
        "inputs_date": day(scenario.inputs_date()),  # dates in the report's one style: 30 Jun 2026
        "as_of": day(scenario.as_of.value),
        "version": __version__,
    }


_VEGA_JS: dict[str, str] = {}


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/neocloud`` (else ``~/.cache/neocloud``): what every project's renders share."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "neocloud"


def vega_javascript(cache_dir: Path | None = None) -> str:
    """The Vega, Vega-Lite and vega-embed JavaScript from ``vl-convert`` (:mod:`neocloud.pipeline.vega`),
    ready to inline in a ``<script>`` element (no network). Building it takes seconds, so it is
    cached by version in the process, in ``cache_dir`` and in :func:`user_cache_dir`."""
    from importlib.metadata import version

    from neocloud.pipeline.files import write_atomic
    from neocloud.pipeline.vega import javascript_bundle, vega_lite_version

    name = f"vega-{version('vl-convert-python')}-{vega_lite_version()}.js"
    if name in _VEGA_JS:
        return _VEGA_JS[name]
    caches = [d / name for d in (cache_dir, user_cache_dir()) if d is not None]
    js = None
    for cached in caches:
        with contextlib.suppress(OSError):
            js = cached.read_text(encoding="utf-8")
            break
    if js is None:
        # inside <script>, only "</script" (any case) and "<!--" can end or derail the element
        js = re.sub(r"</(script)", r"<\\/\1", javascript_bundle(), flags=re.IGNORECASE)
        js = js.replace("<!--", "<\\!--")
    for cached in caches:
        if not cached.is_file():
            with contextlib.suppress(OSError):
                write_atomic(cached, js.encode("utf-8"))
    _VEGA_JS[name] = js
    return js


def compiled_vega_json(spec: dict[str, Any]) -> str:
    """A chart's Vega-Lite spec compiled to Vega (:func:`neocloud.pipeline.vega.compile_to_vega`), as JSON.

    Reports carry charts compiled here, at render time, and draw them as Vega (the page does not
    compile, so it opens faster). The compiled spec names the Vega schema its compiler targets (v5)
    while the inlined Vega is v6, which draws it unchanged; the name is dropped (the page says
    ``mode: "vega"``) so that the browser's console holds no version warning for every chart.
    """
    from neocloud.pipeline.vega import compile_to_vega

    compiled = compile_to_vega(spec)
    compiled.pop("$schema", None)
    return json.dumps(compiled)


class ReportExporter(HTMLExporter):
    """nbconvert exporter ``neocloud-report``: the offline, code-hidden HTML of a report.

    ``vega_cache_dir`` keeps the inlined chart library on disk between runs (``neocloud
    render`` points it at ``outputs/.cache``).
    """

    export_from_notebook = "neocloud report (offline HTML)"
    vega_cache_dir: Path | None = None

    @default("template_name")
    def _template_name_default(self) -> str:
        return "report"

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self) -> list[str]:
        return [str(PACKAGE_DIR / "templates")]

    @default("exclude_input")
    def _exclude_input_default(self) -> bool:
        return True

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self) -> bool:
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self) -> bool:
        return True

    def default_filters(self) -> Any:
        yield from super().default_filters()
        yield ("vega_spec", compiled_vega_json)

    @property
    def default_config(self) -> Any:
        config = super().default_config
        priority = list(config.NbConvertBase.display_data_priority)
        config.NbConvertBase.display_data_priority = [VEGALITE_MIME, *[m for m in priority if m != VEGALITE_MIME]]
        return config

    def prepare(self, nb: Any, fallback_name: str = "report", search_from: "tuple[Path, ...]" = ()) -> tuple[Any, dict[str, str]]:
        """A scrubbed copy of ``nb`` with its title, and the header of its report."""
        from neocloud.scenario import report_scenario

        name = report_name(nb, fallback_name)
        nb = clean_notebook(copy.deepcopy(nb))
        params = notebook_parameters(nb)
        label = str(params.get("scenario_file", ""))
        scenario = report_scenario(label, params.get("scenario"), search_from=search_from)
        nb.metadata.setdefault("title", report_title(scenario, name))
        return nb, report_meta(scenario, label)

    def from_notebook_node(self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any) -> tuple[str, dict[str, Any]]:
        resources = dict(resources or {})
        meta = resources.get("metadata") or {}
        where = tuple(Path(p) for p in [meta.get("path")] if p)
        if "neocloud" not in resources:
            nb, header = self.prepare(nb, meta.get("name") or "report", where)
            resources["neocloud"] = header
        has_chart = any(VEGALITE_MIME in out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", []))
        css = package_resources.files("neocloud").joinpath("templates/report/report.css").read_text(encoding="utf-8")
        resources["neocloud"] = {
            **resources["neocloud"],
            "css": css,
            "vega_js": vega_javascript(self.vega_cache_dir) if has_chart else "",
        }
        return super().from_notebook_node(nb, resources, **kw)
