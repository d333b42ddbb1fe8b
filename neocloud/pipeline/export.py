"""The offline HTML report as an nbconvert exporter: ``jupyter nbconvert --to neocloud-report``.

``neocloud render`` writes each report's HTML with this exporter, and the package registers it
with nbconvert (entry point ``nbconvert.exporters``), so that an analyst who runs a notebook with
papermill and exports it the usual way gets the same file, byte for byte::

    papermill notebooks/deal.ipynb out.ipynb -p scenario_file params/early_exit.yaml
    jupyter nbconvert --to neocloud-report out.ipynb      # writes out.html

The exporter hides the code, scrubs what differs between runs (timings, paths, random ids), draws
charts with one inlined copy of Vega (no network), and heads the report with the scenario it was
computed from: the record the report's first cell made when it ran (:func:`run_record`), so that
the export needs nothing outside the notebook (no scenario file is read: the same bytes from any
folder, also after the scenario file changed). Beside the HTML it writes the scenario's sources
page (``sources/index.html``, nbconvert's writer writes ``resources["outputs"]`` next to the
output), made from the scenario the run record carries as data: the report's links resolve.
It is the page ``neocloud render`` writes for the same scenario and report but for its line of
links: both list the scenario's reports, each linked only where it is written beside the page (an
export writes one; the render's also links its index of reports). A report's own words name
other reports without linking them, so that a report exported alone has no dead link. A notebook that carries no scenario data gets no page and links none.

It refuses, in one line and with exit status 2, what is not an executed report: an empty file or
notebook, a notebook that is not a neocloud report, one never executed, one whose execution failed
(refused, not exported with a mark), and one whose outputs were computed for another scenario than
its parameters name (``papermill --prepare-only``).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import re
import sys
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


class ReportRefused(ValueError):
    """A notebook the exporter will not turn into a report; ``str(error)`` says why and what to do,
    in one line. ``jupyter nbconvert --to neocloud-report`` prints it (after the file's name) and
    exits with status 2, with no traceback."""


LINKED_MARKDOWN_MIME = "text/vnd.neocloud.linked-markdown"
"""Words that link the sources page beside the report (:data:`neocloud.report.narrative.LINKED_MARKDOWN_MIME`)."""

SOURCES_PAGE = "sources/index.html"
"""Where the sources page is beside a report (:data:`neocloud.pipeline.sources_page.SOURCES_PAGE`)."""

RUN_MIME = "application/vnd.neocloud.run+json"
"""The record a report's first cell displays when it runs (:data:`neocloud.report.start.RUN_MIME`)."""

RUN_IT = "run it with `papermill NOTEBOOK.ipynb OUT.ipynb -p scenario_file params/NAME.yaml` (or Run All in JupyterLab)"


def report_name(nb: Any, fallback: str) -> str:
    """The report a notebook is (``deal``, ``termination``...): what the source notebook's
    metadata names (``neocloud.report``, kept by papermill in every output, also when papermill
    runs an output notebook again), else the notebook papermill ran, else ``fallback`` (the
    file's own name).

    >>> import nbformat
    >>> report_name(nbformat.v4.new_notebook(metadata={"papermill": {"input_path": "notebooks/deal.ipynb"}}), "out")
    'deal'
    >>> report_name(nbformat.v4.new_notebook(metadata={"neocloud": {"report": "deal"},
    ...                                                 "papermill": {"input_path": "c1.ipynb"}}), "c2")
    'deal'
    """
    named = nb.metadata.get("neocloud", {}).get("report")
    if isinstance(named, str) and named:
        return named
    input_path = nb.metadata.get("papermill", {}).get("input_path")
    return Path(input_path).stem if input_path else fallback


def report_title(scenario_title: str, name: str) -> str:
    """The title of a report page: the scenario's title and the report's name.

    >>> report_title("Base case: the reported terms of the amended S-1", "ipo_narrative")
    'Base case: the reported terms of the amended S-1: ipo narrative'
    """
    return f"{scenario_title}: {name.replace('_', ' ')}"


def notebook_parameters(nb: Any) -> dict[str, Any]:
    """The parameters a notebook ran with: its ``parameters`` cell's defaults, overridden by what
    papermill injected (recorded in the notebook's metadata, and the cell it injected)."""
    from neocloud.pipeline.notebooks import parameter_defaults
    from neocloud.report.start import injected_parameters

    try:
        params = parameter_defaults(nb)
    except (ValueError, SyntaxError):
        params = {}
    params.update(nb.metadata.get("papermill", {}).get("parameters", {}))
    for cell in nb.cells:
        if cell.get("cell_type") == "code" and "injected-parameters" in _tags(cell):
            params.update(injected_parameters([str(cell.get("source", ""))]))
    return params


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _record_in_outputs(nb: Any) -> dict[str, Any] | None:
    records = [o["data"][RUN_MIME] for c in nb.cells if c.get("cell_type") == "code" for o in c.get("outputs", [])
               if isinstance(o.get("data"), dict) and isinstance(o["data"].get(RUN_MIME), dict)]
    return records[-1] if records else None


def run_record(nb: Any, supplied: dict[str, Any] | None = None) -> dict[str, Any]:
    """What an executed report was computed from (the record its first cell displayed when it ran,
    :func:`neocloud.report.start.scenario_record`; else ``supplied``, the record of the scenario
    ``neocloud render`` injected, for a notebook that does not call ``start_report``; in a
    rendered notebook, kept in its metadata as ``neocloud.run``), after checking that the notebook is a report of one complete run of the
    scenario its parameters name. Raises :class:`ReportRefused` (one line) for:

    * an empty notebook, or one that is not a neocloud report (no cell calls ``start_report``);
    * a notebook never executed, or whose execution failed (an error output, or papermill's
      ``exception`` flag): it is refused rather than exported with a mark;
    * outputs computed for another scenario than its parameters name (``papermill
      --prepare-only`` over executed outputs, a parameter edited and not run), or no record of
      the scenario at all;
    * cells not executed top to bottom in one run (execution counts not increasing).

    >>> import nbformat
    >>> run_record(nbformat.v4.new_notebook())
    Traceback (most recent call last):
    ...
    neocloud.pipeline.export.ReportRefused: an empty notebook (no cells): nothing to export
    >>> run_record(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]))
    Traceback (most recent call last):
    ...
    neocloud.pipeline.export.ReportRefused: not a neocloud report (no cell calls neocloud's start_report); export other notebooks with `jupyter nbconvert --to html`
    """
    cells = nb.get("cells") or []
    if not cells:
        raise ReportRefused("an empty notebook (no cells): nothing to export")
    meta = nb.metadata.get("neocloud") if isinstance(nb.metadata.get("neocloud"), dict) else {}
    code = [c for c in cells if c.get("cell_type") == "code" and str(c.get("source", "")).strip()
            and "skip-execution" not in _tags(c)]
    if not any("start_report(" in str(c.get("source", "")) for c in code) and not meta and supplied is None:
        raise ReportRefused("not a neocloud report (no cell calls neocloud's start_report); "
                            "export other notebooks with `jupyter nbconvert --to html`")
    for c in code:
        for o in c.get("outputs", []):
            if o.get("output_type") == "error":
                evalue = (str(o.get("evalue", "")).strip().splitlines() or [""])[0]
                n = c.get("execution_count")
                raise ReportRefused(f"its execution failed (cell [{n}] raised {o.get('ename', 'an error')}: {evalue}); "
                                    f"fix the cause and {RUN_IT}")
    if nb.metadata.get("papermill", {}).get("exception"):
        raise ReportRefused(f"its execution failed (papermill recorded an exception); fix the cause and {RUN_IT}")
    counts = [c.get("execution_count") for c in code]
    if all(n is None for n in counts):
        raise ReportRefused(f"never executed: {RUN_IT}, then export the executed notebook")
    record = _record_in_outputs(nb) or supplied or meta.get("run")
    if not isinstance(record, dict) or not all(isinstance(record.get(k), str) for k in HEADER_KEYS):
        raise ReportRefused("its outputs carry no record of the scenario they were computed for (its first cells "
                            f"were not run, or it ran on an older neocloud): {RUN_IT}")
    from neocloud.report.start import parameters_digest

    params = notebook_parameters(nb)
    label = str(params.get("scenario_file", ""))
    if record["scenario_file"] != label or record.get("scenario_digest") != parameters_digest(params.get("scenario")):
        raise ReportRefused(f"its outputs were computed for {record['scenario_file']}, not for the scenario its parameters "
                            f"name ({label or 'none'}; papermill --prepare-only, or a parameter changed and not run): {RUN_IT}")
    for i, n in enumerate(counts):
        previous = counts[i - 1] if i else 0
        if n is None or previous is None or n <= previous:
            how = "never ran" if n is None else f"ran as [{n}] after [{previous}]"
            raise ReportRefused(f"its cells were not executed top to bottom in one run (code cell {i + 1} {how}): "
                                f"restart the kernel and run all cells, or {RUN_IT}")
    return dict(record)


HEADER_KEYS = ("scenario_title", "scenario_file", "inputs_date", "as_of", "version")
"""What the header of a report shows (never the wall-clock date), all from the run record."""


def report_meta(record: dict[str, Any]) -> dict[str, str]:
    """The header of a report, from its run record (:func:`run_record`).

    >>> report_meta({"scenario_title": "T", "scenario_file": "params/t.yaml", "inputs_date": "1 Jan 2026",
    ...              "as_of": "2 Jan 2026", "version": "1.0", "scenario_digest": None})["scenario_file"]
    'params/t.yaml'
    """
    return {k: str(record[k]) for k in HEADER_KEYS}


_VEGA_JS: dict[str, str] = {}


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/neocloud`` (else ``~/.cache/neocloud``): what every project's renders share."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "neocloud"


def vega_javascript(cache_dir: Path | None = None, build: bool = True) -> str | None:
    """The Vega, Vega-Lite and vega-embed JavaScript from ``vl-convert`` (:mod:`neocloud.pipeline.vega`),
    ready to inline in a ``<script>`` element (no network). Building it takes seconds, so it is
    cached by version in the process, in ``cache_dir`` and in :func:`user_cache_dir`; with
    ``build=False``, ``None`` when no cache holds it."""
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
    if js is None and not build:
        return None
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
    The compiled JSON is kept in :func:`user_cache_dir` (``vega/``) under a key of the spec's
    exact JSON, the compiler's versions and the post-processing code (``pipeline/vega.py``), so
    that a chart compiles once per machine (``--force``, another scenario with the same chart, the
    tests' many renders) and is read back byte for byte.
    """
    from neocloud.pipeline.vega import compile_to_vega

    key = hashlib.sha256(_compiler_salt() + json.dumps(spec).encode()).hexdigest()
    kept = user_cache_dir() / "vega" / f"{key}.json"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        return kept.read_text(encoding="utf-8")
    compiled = compile_to_vega(spec)
    compiled.pop("$schema", None)
    text = json.dumps(compiled)
    with contextlib.suppress(OSError):  # a cache: written aside and renamed, never read half-written
        kept.parent.mkdir(parents=True, exist_ok=True)
        aside = kept.with_name(f".{kept.name}.{os.getpid()}.tmp")
        aside.write_text(text, encoding="utf-8")
        os.replace(aside, kept)
    return text


_SALT: list[bytes] = []


def _compiler_salt() -> bytes:
    """What a compiled chart depends on besides its spec: vl-convert's version, the Vega-Lite
    version and the source of :mod:`neocloud.pipeline.vega` (its post-processing)."""
    if not _SALT:
        from importlib.metadata import version

        from neocloud.pipeline.vega import vega_lite_version

        text = f"{version('vl-convert-python')}\0{vega_lite_version()}\0".encode()
        _SALT.append(hashlib.sha256(text + (PACKAGE_DIR / "pipeline" / "vega.py").read_bytes()).digest())
    return _SALT[0]


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

    def prepare(self, nb: Any, fallback_name: str = "report", supplied: dict[str, Any] | None = None,
                linked: bool = True) -> tuple[Any, dict[str, Any]]:
        """A scrubbed copy of ``nb`` with its title, and the header of its report, both from the
        notebook alone (:func:`run_record`; no scenario file is read). The run record leaves the
        cell outputs for the notebook's metadata (``neocloud.run``): the page shows it in the
        header, and the rendered notebook exports again to the same bytes. ``linked``: the
        sources page is beside the report (``neocloud render`` and ``jupyter nbconvert --to
        neocloud-report`` write it), so the header and the words link the sources page (in a render it links the index and the
        scenario's other reports); else they do not link it.

        Raises :class:`ReportRefused` for a notebook that is not an executed report."""
        record = run_record(nb, supplied)
        name = report_name(nb, fallback_name)
        nb = clean_notebook(copy.deepcopy(nb))
        for cell in nb.cells:
            if cell.get("outputs"):
                cell.outputs = [o for o in cell.outputs if RUN_MIME not in o.get("data", {})]
                for o in cell.outputs:  # the words that link the sources page, where it is beside the report
                    data = o.get("data", {})
                    if LINKED_MARKDOWN_MIME in data:
                        linked_text = data.pop(LINKED_MARKDOWN_MIME)
                        if linked:
                            data["text/markdown"] = linked_text
                    elif not linked and isinstance(data.get("text/markdown"), str):  # run by an older neocloud
                        from neocloud.report.narrative import unlinked_sources

                        data["text/markdown"] = unlinked_sources(data["text/markdown"])
        nb.metadata["neocloud"] = {**nb.metadata.get("neocloud", {}), "report": name, "run": record}
        nb.metadata["title"] = report_title(record["scenario_title"], name)
        return nb, {**report_meta(record), "sources": linked}

    def sources_page(self, nb: Any, fallback_name: str = "report", file_name: str | None = None) -> str | None:
        """The sources page of an executed report (:func:`neocloud.pipeline.sources_page.sources_page`),
        made from what the notebook carries (the scenario as JSON text in its run record,
        ``scenario_json``, else its ``scenario`` parameter; no scenario file is read), listing the scenario's reports
        (:func:`neocloud.pipeline.notebooks.scenario_reports`: this one linked to ``../FILE_NAME.html``, the HTML
        written beside it, the others named without a link) and the data files it declares; ``None`` when the notebook carries no scenario data (an older run) or the
        page cannot be made: the report then links no sources page.

        Raises :class:`ReportRefused` for a notebook that is not an executed report."""
        record = run_record(nb)
        data = None
        with contextlib.suppress(TypeError, ValueError):
            data = json.loads(record.get("scenario_json"))  # type: ignore[arg-type]
        if not isinstance(data, dict):
            data = notebook_parameters(nb).get("scenario")
        if not isinstance(data, dict):
            return None
        from neocloud.inputs.scenario import validate_scenario
        from neocloud.inputs.sourced import ScenarioError
        from neocloud.pipeline.notebooks import declaration, scenario_reports
        from neocloud.pipeline.sources_page import sources_page

        name = report_name(nb, fallback_name)
        try:
            scenario = validate_scenario(data, record["scenario_file"])
            declared = declaration(Path(f"{name}.ipynb"))
            reports = scenario_reports([name])  # the scenario's reports, this one linked (the others are not written)
            return sources_page(scenario, record["scenario_file"], reports, declared.data, declared.files, index=False,
                                report_files=[file_name or name if r == name else r for r in reports], written=[name])
        except (ScenarioError, OSError, ValueError):
            return None

    def from_notebook_node(self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any) -> tuple[str, dict[str, Any]]:
        resources = dict(resources or {})
        meta = resources.get("metadata") or {}
        if "neocloud" not in resources:  # jupyter nbconvert: the sources page is written beside the report
            # the HTML's name as nbconvert's writer names it (--output may add a folder): the page goes beside it
            written = str(resources.get("unique_key") or meta.get("name") or "report")
            folder, _, file_name = written.replace(os.sep, "/").rpartition("/")
            page = self.sources_page(nb, meta.get("name") or "report", file_name)
            nb, header = self.prepare(nb, meta.get("name") or "report", linked=page is not None)
            resources["neocloud"] = header
            if page is not None:
                where = f"{folder}/{SOURCES_PAGE}" if folder else SOURCES_PAGE
                resources["outputs"] = {**(resources.get("outputs") or {}), where: page.encode("utf-8")}
        has_chart = any(VEGALITE_MIME in out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", []))
        css = package_resources.files("neocloud").joinpath("templates/report/report.css").read_text(encoding="utf-8")
        resources["neocloud"] = {
            **resources["neocloud"],
            "css": css,
            "vega_js": vega_javascript(self.vega_cache_dir) if has_chart else "",
        }
        return super().from_notebook_node(nb, resources, **kw)

    def from_file(self, file_stream: Any, resources: dict[str, Any] | None = None, **kw: Any) -> tuple[str, dict[str, Any]]:
        import nbformat

        name = getattr(file_stream, "name", "<stdin>")
        text = file_stream.read()
        if not text.strip():
            _refuse(ReportRefused("an empty file, not a notebook"), name)
        try:
            nb = nbformat.reads(text, as_version=4)
        except Exception as e:  # noqa: BLE001 - nbformat raises many types for what is not a notebook
            _refuse(ReportRefused(f"not a notebook ({type(e).__name__}: {(str(e).strip().splitlines() or [''])[0][:200]})"), name)
        try:
            return self.from_notebook_node(nb, resources=resources, **kw)
        except ReportRefused as e:
            _refuse(e, name)
            raise  # not reached


def _refuse(error: ReportRefused, name: str) -> None:
    """In ``jupyter nbconvert``, print the refusal in one line and exit with status 2 (no
    traceback); elsewhere (``neocloud render``, the Python API) raise it."""
    from nbconvert.nbconvertapp import NbConvertApp

    if NbConvertApp.initialized():
        sys.stderr.write(f"{name}: {error}\n")
        sys.stderr.flush()
        raise SystemExit(2)
    raise ReportRefused(f"{name}: {error}") from None
