"""The ``neocloud`` command: check, summary, render, sweep, schema, notebooks, bench.

Exit codes (also in ``neocloud --help``): 0 success; 1 a report failed, or a sweep's evaluation;
2 bad input (a scenario, a path, an option); 3 outputs locked by another render, or a sweep's
result by another sweep (with ``--no-wait``); 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the rest is imported by the commands that need it (a no-op render imports no pandas)
    import datetime as dt

    from neocloud.inputs.ledger import Ledger

SCHEMA_PATH = Path("params/scenario.schema.json")


def _err(message: str) -> None:
    print(f"neocloud: {message}", file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> int:
    from neocloud.data import DataFileError
    from neocloud.inputs.scenario import load_scenario
    from neocloud.inputs.sourced import ScenarioError
    from neocloud.analysis.checks import check_data_files
    from neocloud.analysis.checks import scenario_warnings

    bad = 0
    data_ok = True
    try:  # the data files every report reads, validated like the scenarios
        for w in check_data_files():
            print(w.replace(": ", ": warning: ", 1), file=sys.stderr)
    except DataFileError as e:
        print(str(e), file=sys.stderr)
        data_ok = False
    for path in args.paths:
        try:
            scenario = load_scenario(path)
            warnings = scenario_warnings(scenario)
            for w in warnings:
                print(f"{path}: warning: {w}", file=sys.stderr)
            print(f"{path}: ok" + (f" ({len(warnings)} warning(s))" if warnings else ""))
        except ScenarioError as e:
            bad += 1
            print(str(e), file=sys.stderr)
    if bad:
        _err(f"{bad} of {len(args.paths)} file(s) invalid")
    if not data_ok:
        _err("the data files are invalid (every report reads them); fix the rows named above")
    return 2 if bad or not data_ok else 0


def _finite(data: object) -> object:
    """``data`` (JSON-ready dicts, lists, numbers, text) with every NaN or infinite float as None.

    >>> _finite({"a": [1.0, float("nan")], "b": float("inf"), "c": "x"})
    {'a': [1.0, None], 'b': None, 'c': 'x'}
    """
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data


def cmd_summary(args: argparse.Namespace) -> int:
    from neocloud.report.narrative import pct, usd
    from neocloud.analysis.summary import headline_figures
    from neocloud.inputs.scenario import load_scenario
    from neocloud.inputs.sourced import ScenarioError

    try:
        figures = headline_figures(load_scenario(args.path))
    except ScenarioError as e:
        print(str(e), file=sys.stderr)
        return 2
    if args.json:
        # strict JSON: a figure that is not a finite number (a share of nothing) is null, never NaN
        print(json.dumps(_finite({"scenario_file": str(args.path), **figures}), indent=2, sort_keys=False,
                         allow_nan=False))
        return 0
    t = figures["terms"]
    print(f"{args.path}: {figures['title']}")
    print(f"  term {t['start']} to {t['end']} ({figures['months']} months), fee {usd(t['monthly_fee_usd'])}/month")
    print(f"  total contract value     {usd(figures['total_contract_value_usd'])}")
    print(f"  committed floor          {usd(figures['committed_floor_usd'])} (notice on {figures['earliest_notice_date']})")
    print(f"  expected revenue         {usd(figures['expected_revenue_usd'])} at {pct(figures['monthly_notice_probability'])} a month")
    print(f"  at {figures['as_of']}: headline backlog {usd(figures['headline_backlog_usd'])}, "
          f"enforceable RPO {usd(figures['enforceable_rpo_usd'])}")
    per_gpu = ", ".join(f"{k} {usd(v)}" for k, v in figures["usd_per_gpu_hour"].items())
    print(f"  {usd(figures['usd_per_mw_month'])} per MW-month; per GPU-hour: {per_gpu}")
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    if args.jobs is not None and args.jobs < 1:
        _err(f"--jobs must be at least 1, got {args.jobs}")
        return 2
    missing = [p for p in (args.notebooks, *args.paths) if not Path(p).exists()]
    if missing:
        _err("not found: " + ", ".join(str(p) for p in missing))
        return 2
    if not args.force:
        done = _noop_render(args)
        if done is not None:
            return done
    from neocloud.pipeline.render import RenderLocked, render, summary_lines
    from neocloud.analysis.checks import check_data_files

    check_data_files()  # bad data files: DataFileError, exit 2 (main) before any work
    try:
        result = render(
            [Path(p) for p in args.paths] or None,
            params=Path(args.params),
            notebooks=Path(args.notebooks),
            outputs=Path(args.outputs),
            jobs=args.jobs,
            force=args.force,
            wait=not args.no_wait,
        )
    except RenderLocked as e:
        _err(str(e))
        return 3
    except FileNotFoundError as e:
        _err(str(e))
        return 2
    except OSError as e:  # e.g. a read-only outputs folder: nothing was written
        where = e.filename or args.outputs
        _err(f"cannot write to {where}: {e.strerror or e}; make it writable or choose another folder with --outputs")
        return 2
    for line in summary_lines(result):
        print(line)
    if result.invalid:
        return 2
    return 0 if result.ok else 1


def _noop_render(args: argparse.Namespace) -> int | None:
    """Exit code of a render with nothing to do, answered from its stamp without the stack
    (:mod:`neocloud.pipeline.stamp`); None when there is something to do (or no stamp)."""
    import time

    from neocloud.pipeline.files import RenderLocked, outputs_lock
    from neocloud.pipeline.stamp import index_lines, noop_render, stamp_path, summary_head

    t0 = time.perf_counter()
    outputs = Path(args.outputs)
    if not stamp_path(outputs).is_file():
        return None
    try:
        with outputs_lock(outputs, wait=not args.no_wait, announce=lambda line: print(line, flush=True)):
            reports = noop_render([Path(p) for p in args.paths] or None, Path(args.params), Path(args.notebooks), outputs)
    except RenderLocked as e:
        _err(str(e))
        return 3
    except OSError:
        return None  # the normal path says what is wrong with the folder
    if reports is None:
        return None
    cached, not_applicable = reports
    for line in [summary_head(0, cached, 0, 0, time.perf_counter() - t0, not_applicable=len(not_applicable)),
                 *not_applicable, *index_lines(outputs / "index.html", set())]:
        print(line)
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from neocloud.pipeline.sweep_runner import BadSweepOption, SweepFailed, SweepLocked, parts_folder, run_sweep
    from neocloud.analysis.sweeps import SweepError

    if args.workers is not None and args.workers < 1:
        _err(f"--workers must be at least 1, got {args.workers}")
        return 2
    if args.workers is not None and args.scheduler:
        _err("give --workers (a local cluster) or --scheduler (an existing cluster), not both")
        return 2
    out = Path(args.out)
    resume = f"run the same command again to resume (the chunks written are kept in {parts_folder(out)}/)"
    try:
        run = run_sweep(args.sweep, out, workers=args.workers, scheduler=args.scheduler,
                        progress=not args.no_progress, say=lambda s: print(s, flush=True), wait=not args.no_wait,
                        keep_nonfinite=args.keep_nonfinite)
    except SweepError as e:
        print(str(e), file=sys.stderr)
        return 2
    except BadSweepOption as e:
        _err(str(e))
        return 2
    except SweepLocked as e:
        _err(str(e))
        return 3
    except SweepFailed as e:
        _err(f"{args.sweep}: {e}")
        _err(f"the sweep stopped; fix the model or its inputs, then {resume}")
        return 1
    except KeyboardInterrupt:
        _err(f"interrupted; {resume}")
        return 130
    except OSError as e:
        _err(f"cannot write {e.filename or out}: {e.strerror or e}; make it writable or choose another --out")
        return 2
    if run.up_to_date:
        return 0
    done = f"{run.evaluations:,} evaluations" + (f" ({run.skipped_chunks} of {run.chunks} chunks from an earlier run)" if run.skipped_chunks else "")
    print(f"{done} in {run.seconds:.1f}s -> {run.out}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from neocloud.inputs.scenario import scenario_json_schema

    text = json.dumps(scenario_json_schema(), indent=2) + "\n"
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")
        print(f"wrote {args.write}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_notebooks(args: argparse.Namespace) -> int:
    from neocloud.pipeline.refresh import refresh_notebooks

    for path in refresh_notebooks(Path(args.notebooks), Path(args.base)):
        print(f"refreshed {path}")
    return 0


def cmd_ledger(args: argparse.Namespace) -> int:
    import datetime as dt

    from neocloud.model.ledger import buyer_book, seller_book
    from neocloud.inputs.ledger import UnknownNameError, load_ledger
    from neocloud.inputs.sourced import ScenarioError
    from neocloud.report.narrative import usd

    try:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else dt.date.today()
    except ValueError:
        _err(f"--as-of {args.as_of!r}: a date written YYYY-MM-DD is expected, e.g. 2026-06-30")
        return 2
    if args.ledger is not None and not Path(args.ledger).is_file():
        _err(f"--ledger {args.ledger}: file not found (give a ledger YAML file, like neocloud/data/contracts.yaml)")
        return 2
    try:
        ledger = load_ledger(args.ledger)
        book = seller_book(ledger, args.seller, as_of) if args.seller is not None else buyer_book(ledger, args.buyer, as_of)
    except ScenarioError as e:
        print(str(e), file=sys.stderr)
        return 2
    except UnknownNameError as e:
        _err(str(e))
        return 2
    for w in ledger.warnings:
        print(w, file=sys.stderr)
    data = book.to_json()
    if book.side == "seller":
        data.update(_reported_json(ledger, book.name, as_of))
    if args.json:
        print(json.dumps(data, indent=2, allow_nan=False))
        return 0
    other = "buyer" if book.side == "seller" else "seller"
    print(f"{book.side} {book.name}: {len(book.contracts)} contract(s) signed by {as_of}")
    rows = [(c[other], c["id"], c["signed"], usd(c["monthly_fee_usd"]), usd(c["total_contract_value_usd"]),
             usd(c["headline_backlog_usd"]), usd(c["enforceable_rpo_usd"]), usd(c["contingent_usd"]) if c["contingent_usd"] else "-")
            for c in data["contracts"]]
    t = data["totals"]
    rows.append(("book", "", "", "", usd(t["total_contract_value_usd"]), usd(t["headline_backlog_usd"]),
                 usd(t["enforceable_rpo_usd"]), usd(t["contingent_usd"]) if t["contingent_usd"] else "-"))
    header = (other, "id", "signed", "fee/month", "total", "headline backlog", "enforceable RPO", "contingent")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  " + "  ".join(str(v).ljust(w) if i < 3 else str(v).rjust(w) for i, (v, w) in enumerate(zip(r, widths))))
    if data.get("reconciliation"):
        print(f"\nreported by {book.name} against the ledger (periods ending by {as_of}):")
        for r in data["reconciliation"]:
            print(f"  {r['period_end']}  {r['measure']:<16} reported {usd(r['reported_usd']):>8}  model {usd(r['model_usd']):>8}"
                  f"  ({r['ratio']:.0%})  {r['line']}")
    return 0


def _reported_json(ledger: "Ledger", seller: str, as_of: "dt.date") -> dict[str, list[dict[str, object]]]:
    """``reported`` (the seller's reported figures for periods ending by ``as_of``) and
    ``reconciliation`` (each beside the model's figure from the ledger, :func:`neocloud.analysis.reconcile.reconcile`)
    for ``neocloud ledger --seller NAME --json``."""
    from neocloud.report.filing_words import difference_words
    from neocloud.analysis.reconcile import reconcile
    from neocloud.inputs.reported import load_reported

    figures = [f for f in load_reported() if f.filer.casefold() == seller.casefold() and f.period_end <= as_of]
    reported = [{"id": f.id, "period_start": f.period_start.isoformat() if f.period_start else None,
                 "period_end": f.period_end.isoformat(), "measure": f.measure, "line": f.line, "scope": f.scope,
                 "definition": f.definition, "reported_usd": f.value_usd, "source_url": f.source.url,
                 "source_date": f.source.date.isoformat()} for f in figures]
    rows = [{"id": r.id, "period_end": r.period_end.isoformat(), "measure": r.measure, "line": r.line,
             "definition": r.definition, "reported_usd": float(r.reported_usd), "model_usd": float(r.model_usd),
             "ratio": float(r.ratio), "difference": difference_words(r.difference_parts, r.ratio),
             "difference_parts": list(r.difference_parts)}
            for r in reconcile(ledger, figures, seller).itertuples()]
    return {"reported": reported, "reconciliation": rows}


def cmd_bench(args: argparse.Namespace) -> int:
    from neocloud.commands.bench import main as bench_main

    return bench_main(args.rest)


EXIT_CODES = """exit codes:
  0    success
  1    a report failed to render (the summary names it and its partial notebook), or a
       sweep's evaluation failed: its model raised or gave what is not a finite number
  2    bad input: a scenario or sweep file, a path or an option (one line per problem)
  3    outputs/ is locked by another render, or a sweep's --out by another sweep (--no-wait)
  130  interrupted (Ctrl-C or SIGTERM); complete reports (a sweep's written chunks) are kept,
       nothing partial is"""


class _Version(argparse.Action):
    """``--version``, which reads the installed version only when asked (argparse's own reads it
    when the parser is built, for every command)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, default: str = argparse.SUPPRESS,
                 help: str = "show program's version number and exit") -> None:
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        from neocloud import __version__

        print(f"neocloud {__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neocloud",
        description="Reproducible, parameterised reports on AI compute-rental deals: check scenarios, "
                    "print their figures, render the reports.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("check", help="validate scenario files (exit 0 if all valid, 2 otherwise)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("summary", help="headline figures of a scenario")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("render", help="render every scenario x notebook to outputs/ (HTML + executed notebooks)")
    p.add_argument("paths", nargs="*", metavar="PATH", help="scenario files (default: every params/*.yaml)")
    p.add_argument("--jobs", "-j", type=int, default=None, help="reports in parallel (default: the core count)")
    p.add_argument("--force", action="store_true", help="re-render even what is up to date")
    p.add_argument("--no-wait", action="store_true", help="refuse instead of waiting when another render runs")
    p.add_argument("--params", default="params", help="folder of scenario files rendered when no PATH is given (default: params)")
    p.add_argument("--notebooks", default="notebooks", help="folder of report notebooks (default: notebooks)")
    p.add_argument("--outputs", default="outputs", help="folder the reports and index.html are written to (default: outputs)")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("sweep", help="run a sweep file (params/sweeps/) on Dask into one Parquet table",
                       description="Evaluate a sweep's design (inputs, ranges, figures, sample) on a local Dask cluster "
                                   "or an existing one; write one row per evaluation to OUT (Parquet). A re-run "
                                   "resumes: chunks already written in OUT.parts/ are skipped if nothing the "
                                   "evaluations depend on changed (sweep file, scenario, data files, model source, "
                                   "package version); a finished OUT with the same dependencies is left as it is.")
    p.add_argument("sweep", metavar="SWEEP.yaml", help="the sweep file (see params/sweeps/)")
    p.add_argument("--out", required=True, metavar="RESULT.parquet", help="the result table (written when every chunk is in)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes of the local cluster (default: the core count)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on the Dask cluster at ADDRESS (e.g. tcp://10.0.0.5:8786) instead of a local one")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (on stderr)")
    p.add_argument("--no-wait", action="store_true", help="refuse (exit 3) instead of waiting when another sweep writes --out")
    p.add_argument("--keep-nonfinite", action="store_true",
                   help="keep evaluations whose outputs are NaN or infinite (counted in a warning) instead of stopping")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("schema", help="print (or --write) the JSON Schema of the scenario format")
    p.add_argument("--write", metavar="PATH", nargs="?", const=str(SCHEMA_PATH),
                   help=f"write it to PATH (default: {SCHEMA_PATH}) instead of printing it")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("notebooks", help="re-execute the committed notebooks with params/base.yaml (maintainers)")
    p.add_argument("--notebooks", default="notebooks", help="folder of notebooks to refresh (default: notebooks)")
    p.add_argument("--base", default="params/base.yaml", help="the scenario their parameters cell names (default: params/base.yaml)")
    p.set_defaults(func=cmd_notebooks)

    p = sub.add_parser("ledger", help="a seller's or a buyer's book of compute contracts from the ledger",
                       description="The contracts of one seller (or buyer) signed by the reporting date, from the "
                                   "shipped ledger (neocloud/data/contracts.yaml) and your own file beside it: "
                                   "each contract's total, headline backlog, enforceable RPO and contingent amounts, "
                                   "and the book's sums.")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--seller", metavar="NAME", help="the seller (any case)")
    who.add_argument("--buyer", metavar="NAME", help="the buyer (any case)")
    p.add_argument("--ledger", metavar="FILE", default=None,
                   help="your own ledger file, read beside the shipped one (ids must differ)")
    p.add_argument("--as-of", metavar="DATE", default=None,
                   help="the reporting date, YYYY-MM-DD (default: today): contracts signed after it are left out")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_ledger)

    p = sub.add_parser("bench", help="run the benchmarks and print one JSON object (options: neocloud bench --help)",
                       add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_bench)
    return parser


INTERRUPTED = {
    "render": "interrupted; outputs that were complete are kept, nothing partial was moved into outputs/",
    "sweep": "interrupted before the sweep started; nothing was computed or written",
}
"""What an interrupt the command did not handle itself means, by command (else "interrupted")."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:  # its options are the benchmark's own (python -m neocloud.bench)
        from neocloud.commands.bench import main as bench_main

        return bench_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:  # one the command did not handle itself (a sweep says how to resume)
        _err(INTERRUPTED.get(args.command, "interrupted"))
        return 130
    except Exception as e:
        from neocloud.inputs.sourced import ScenarioError

        if not isinstance(e, ScenarioError):
            raise
        print(str(e), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
