"""Global sensitivity: which uncertain inputs move a figure, alone and jointly.

The tornado (:func:`neocloud.analysis.sensitivity.tornado`) moves one input at a time around the base case;
it cannot see interactions (the ramp discount matters only under some readings of the terms; the
market drift only with enough volatility). Here every input moves at once over its range:

* **Sobol' indices** (SALib: Saltelli's sample, Jansen's total-effect estimator): the first-order
  index ``S1`` of an input is the share of the figure's variance it explains alone; its total
  index ``ST`` adds every interaction it takes part in (``ST >= S1``; ``ST - S1`` is interaction).
  Confidence intervals come from bootstrap resamples of the evaluations.
* **Morris screening** (elementary effects): ``mu_star``, the mean absolute effect of moving one
  input a step, at a small cost ((D + 1) evaluations a trajectory), to drop inputs that do not
  matter before a Sobol' analysis.

Functions take a sweep's design and table (:mod:`neocloud.analysis.sweeps`) and return pandas frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from neocloud.analysis.sweeps import Sweep, coordinates, salib_problem, unit_sample

if TYPE_CHECKING:
    from neocloud.inputs.scenario import Scenario


def ishigami(x1: float, x2: float, x3: float, seed: int = 0, a: float = 7.0, b: float = 0.1) -> float:
    """The Ishigami function, a standard test of sensitivity analysis (inputs on [-pi, pi]):
    ``sin(x1) + a sin(x2)^2 + b x3^4 sin(x1)``. ``seed`` is ignored (it has no noise).

    >>> round(ishigami(math.pi / 2, math.pi / 2, 0.0), 6)
    8.0
    """
    return math.sin(x1) + a * math.sin(x2) ** 2 + b * x3**4 * math.sin(x1)


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> pd.DataFrame:
    """The Ishigami function's Sobol' indices in closed form (Ishigami and Homma 1990):
    ``input``, ``S1``, ``ST``.

    >>> ishigami_indices().round(4).to_dict("list")
    {'input': ['x1', 'x2', 'x3'], 'S1': [0.3139, 0.4424, 0.0], 'ST': [0.5576, 0.4424, 0.2437]}
    """
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    return pd.DataFrame({"input": ["x1", "x2", "x3"], "S1": [v1 / var, v2 / var, 0.0],
                         "ST": [(v1 + v13) / var, v2 / var, v13 / var]})


def _sobol_rows(sweep: Sweep, table: pd.DataFrame, output: str, base_samples: int, names: list[str],
                seed: int) -> pd.DataFrame:
    from SALib.analyze import sobol

    d = len(names)
    y = table.sort_values("evaluation")[output].to_numpy(dtype=float)[: base_samples * (d + 2)]
    if len(y) < base_samples * (d + 2):
        raise ValueError(f"the table has {len(y)} evaluations; {base_samples} base samples need {base_samples * (d + 2)}")
    problem = {"num_vars": d, "names": names, "bounds": [[0.0, 1.0]] * d}
    if np.ptp(y) == 0.0:  # a figure no input moves: every index is zero, known exactly
        zeros = np.zeros(d)
        res: Any = {"S1": zeros, "S1_conf": zeros, "ST": zeros, "ST_conf": zeros}
    else:
        res = sobol.analyze(problem, y, calc_second_order=False, num_resamples=sweep.design.bootstrap_resamples,
                            conf_level=sweep.design.confidence_level, seed=seed)
    return pd.DataFrame({"output": output, "input": names, "base_samples": base_samples, "evaluations": len(y),
                         "S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"], "ST_conf": res["ST_conf"],
                         "variance": float(np.var(y))})


def sobol_indices(sweep: Sweep, table: pd.DataFrame, outputs: list[str] | None = None,
                  base_samples: int | None = None) -> pd.DataFrame:
    """Sobol' first-order and total indices with bootstrap confidence half-widths (at the sweep's
    confidence level) of each output of a ``sobol`` sweep's table: ``output``, ``input``,
    ``base_samples``, ``evaluations``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``, ``variance``.
    ``base_samples`` (a power of two up to the sweep's) uses the first evaluations only: Saltelli's
    sample of N base points is the first N x (D + 2) rows of a larger one.

    >>> from neocloud.analysis.sweeps import Design, Sweep, SweepInput, design_table, evaluate_rows
    >>> box = SweepInput(range=(-math.pi, math.pi), note="the Ishigami function's domain")
    >>> sw = Sweep(title="Ishigami", model="neocloud.analysis.global_sensitivity:ishigami", outputs=["y"],
    ...            inputs={"x1": box, "x2": box, "x3": box}, design=Design(method="sobol", base_samples=1024, seed=1))
    >>> s = sobol_indices(sw, evaluate_rows(ishigami, design_table(sw), ["y"], 0))
    >>> s[["input", "S1", "ST"]].round(1).to_dict("list")
    {'input': ['x1', 'x2', 'x3'], 'S1': [0.3, 0.4, 0.0], 'ST': [0.6, 0.4, 0.2]}
    """
    if sweep.design.method != "sobol":
        raise ValueError(f"Sobol' indices need a 'sobol' design (this sweep's is '{sweep.design.method}')")
    n = base_samples or int(sweep.design.base_samples)
    names = list(sweep.inputs)
    frames = [_sobol_rows(sweep, table, o, n, names, sweep.design.seed) for o in (outputs or sweep.outputs)]
    return pd.concat(frames, ignore_index=True)


def sobol_convergence(sweep: Sweep, table: pd.DataFrame, outputs: list[str] | None = None,
                      smallest: int = 8) -> pd.DataFrame:
    """:func:`sobol_indices` at 8, 16, ... base samples up to the sweep's, from the same table
    (so the indices can be seen to settle as the sample grows): the rows of every size."""
    top = int(sweep.design.base_samples or 0)
    sizes = [n for n in (1 << k for k in range(max(1, smallest.bit_length() - 1), 31)) if n <= top]
    return pd.concat([sobol_indices(sweep, table, outputs, n) for n in sizes], ignore_index=True)


SETTLED_POINTS = 0.05
"""A Sobol' index has settled when its estimate moves by at most this much (5 percentage points)
over the last doubling of the sample (from half the base samples to all of them)."""


def last_doubling(convergence: pd.DataFrame, index: str = "ST") -> pd.DataFrame:
    """How far each estimate of ``index`` (``ST`` or ``S1``) still moves over the last doubling of
    the sample, from :func:`sobol_convergence` rows: one row per output and input with
    ``evaluations_before``, ``evaluations``, ``before``, ``after``, ``change`` (``after - before``,
    a fraction of variance) and ``settled`` (``abs(change) <= SETTLED_POINTS``), the largest move
    first. Raises ``ValueError`` when the rows hold fewer than two sample sizes.

    >>> rows = pd.DataFrame({"output": "y", "input": ["a", "b", "a", "b"], "evaluations": [44, 44, 88, 88],
    ...                      "ST": [0.85, 0.30, 0.68, 0.31]})
    >>> d = last_doubling(rows)
    >>> d[["input", "before", "after", "settled"]].values.tolist()
    [['a', 0.85, 0.68, False], ['b', 0.3, 0.31, True]]
    >>> round(float(d.change.iloc[0]), 2), int(d.evaluations.iloc[0])
    (-0.17, 88)
    """
    sizes = sorted(convergence.evaluations.unique())
    if len(sizes) < 2:
        raise ValueError(f"convergence rows of {len(sizes)} sample size(s): the last doubling needs two")
    before = convergence[convergence.evaluations == sizes[-2]].set_index(["output", "input"])[index]
    after = convergence[convergence.evaluations == sizes[-1]].set_index(["output", "input"])[index]
    out = pd.DataFrame({"evaluations_before": int(sizes[-2]), "evaluations": int(sizes[-1]), "before": before, "after": after})
    out["change"] = out.after - out.before
    out["settled"] = out.change.abs() <= SETTLED_POINTS + 1e-12
    out = out.reset_index()
    return out.iloc[out.change.abs().sort_values(ascending=False, kind="stable").index].reset_index(drop=True)


def morris_indices(sweep: Sweep, table: pd.DataFrame, scenario: "Scenario | None" = None,
                   outputs: list[str] | None = None) -> pd.DataFrame:
    """Morris elementary effects of each output of a ``morris`` sweep: ``output``, ``input``,
    ``mu_star`` (mean absolute effect of a step across the input's range, in the output's units),
    ``mu_star_conf``, ``sigma`` (spread: non-linearity or interaction), ``relevance``
    (``mu_star`` over the largest ``mu_star`` of that output)."""
    from SALib.analyze import morris

    if sweep.design.method != "morris":
        raise ValueError(f"Morris screening needs a 'morris' design (this sweep's is '{sweep.design.method}')")
    coords = coordinates(sweep, scenario)
    x = unit_sample(sweep, coords)
    frames = []
    for output in outputs or sweep.outputs:
        y = table.sort_values("evaluation")[output].to_numpy(dtype=float)
        res = morris.analyze(salib_problem(coords), x, y, num_resamples=sweep.design.bootstrap_resamples,
                             conf_level=sweep.design.confidence_level, num_levels=sweep.design.levels, seed=sweep.design.seed)
        mu_star = np.asarray(res["mu_star"], dtype=float)
        top = float(mu_star.max()) if len(mu_star) else 0.0
        frames.append(pd.DataFrame({"output": output, "input": [c.name for c in coords], "mu_star": mu_star,
                                    "mu_star_conf": np.asarray(res["mu_star_conf"], dtype=float),
                                    "sigma": np.asarray(res["sigma"], dtype=float),
                                    "relevance": mu_star / top if top > 0 else 0.0}))
    return pd.concat(frames, ignore_index=True)


def tornado_comparison(indices: pd.DataFrame, tornado_inputs: list[str], output: str = "expected_revenue_usd") -> pd.DataFrame:
    """Beside the tornado: for each input of the Sobol' analysis of ``output``, whether the tornado
    moves it, its rank by total index, and its interaction share (``ST - S1``, floored at 0):
    ``input``, ``in_tornado``, ``rank``, ``S1``, ``ST``, ``interaction``."""
    s = indices[indices.output == output].copy()
    s["interaction"] = (s.ST - s.S1).clip(lower=0.0)
    s["in_tornado"] = s.input.isin(tornado_inputs)
    s = s.sort_values("ST", ascending=False, kind="stable").reset_index(drop=True)
    s["rank"] = np.arange(1, len(s) + 1)
    return s[["input", "in_tornado", "rank", "S1", "ST", "interaction"]]


DEFAULT_SWEEP_FILE = "params/sweeps/termination_sobol.yaml"
"""The Sobol' analysis the termination report shows, applied to the report's scenario."""


@dataclass(frozen=True)
class SobolAnalysis:
    """A Sobol' sweep evaluated on one scenario (in this process): the sweep, its file as the
    report names it, the table of evaluations, the indices and their convergence."""

    sweep: Sweep
    sweep_file: str
    table: pd.DataFrame
    indices: pd.DataFrame
    convergence: pd.DataFrame

    @property
    def evaluations(self) -> int:
        return len(self.table)


def sobol_analysis(scenario: "Scenario", sweep_file: str | Path = DEFAULT_SWEEP_FILE,
                   cache_dir: "str | Path | None | bool" = None) -> SobolAnalysis:
    """Evaluate a ``sobol`` sweep file's design on ``scenario`` (not the scenario the file names)
    in this process, and its indices with their convergence. The file is looked for like a
    scenario file: from the working directory and up to three parents. ``neocloud sweep`` on the
    same file (with the same scenario) gives the same table, on as many machines as it is given.

    The analysis is cached by the content of what it depends on (:func:`sobol_cache_key`: the
    sweep file's text, the scenario as data, the package's version and the source it runs, the
    numeric stack's versions), so an unchanged analysis is read back and a changed input
    recomputes it.
    ``cache_dir``: where (default :func:`user_cache_dir`, shared by every render, report and
    test on the machine: the key holds everything the result depends on); ``False`` computes
    without the cache.

    >>> from neocloud import load_scenario
    >>> a = sobol_analysis(load_scenario("params/base.yaml"))
    >>> a.evaluations, sorted(a.indices.output.unique())[0]
    (704, 'book_enforceable_rpo_usd')
    """
    from neocloud.inputs.scenario import find_scenario_file
    from neocloud.analysis.sweeps import SweepError, load_sweep

    found = find_scenario_file(sweep_file)
    if found is None:
        raise SweepError(sweep_file, ["file not found (looked in the working directory and up to three parents)"])
    sweep = load_sweep(found)
    if sweep.design.method != "sobol":
        raise SweepError(found, [f"key 'design.method': value {sweep.design.method!r}: this analysis needs 'sobol'"])
    folder = _analysis_cache_dir(cache_dir)
    target = folder / f"sobol-{sobol_cache_key(scenario, found)}.pickle" if folder is not None else None
    if target is None:
        return _compute_sobol_analysis(scenario, sweep, str(sweep_file))
    kept = _read_kept(target)
    if isinstance(kept, SobolAnalysis) and kept.sweep_file == str(sweep_file):
        return kept
    # one process computes a key at a time (scenarios that share a key render side by side in
    # the render's pool, and tests share the cache): the others wait for it, then read it back
    with _computing(target):
        kept = _read_kept(target)
        if isinstance(kept, SobolAnalysis) and kept.sweep_file == str(sweep_file):
            return kept
        analysis = _compute_sobol_analysis(scenario, sweep, str(sweep_file))
        _keep(target, analysis)
    return analysis


def _computing(target: Path) -> Any:
    """An exclusive lock (``fcntl.flock``, released when its process ends, however it ends) on
    ``target``'s lock file while it is computed; no lock where the folder cannot be written or
    the platform has no ``flock``."""
    import contextlib

    @contextlib.contextmanager
    def held() -> Any:
        try:
            import fcntl

            target.parent.mkdir(parents=True, exist_ok=True)
            fh = open(target.with_suffix(".lock"), "a+b")  # noqa: SIM115 - closed below
        except (ImportError, OSError):
            yield
            return
        try:
            fcntl.flock(fh, fcntl.LOCK_EX)
            yield
        finally:
            fh.close()

    return held()


def _compute_sobol_analysis(scenario: "Scenario", sweep: Sweep, sweep_file: str) -> SobolAnalysis:
    from neocloud.analysis.sweeps import design_table, evaluate_rows

    table = evaluate_rows(scenario, design_table(sweep, scenario), list(sweep.outputs), sweep.market_paths)
    return SobolAnalysis(sweep, sweep_file, table, sobol_indices(sweep, table), sobol_convergence(sweep, table))


def sobol_cache_key(scenario: "Scenario", sweep_path: str | Path) -> str:
    """SHA-256 of what a :func:`sobol_analysis` depends on: the sweep file's bytes, what its
    evaluations read from the scenario (:func:`neocloud.analysis.sweeps.evaluation_reads`: the
    inputs the design sweeps are left out, since every evaluation sets them), the package's
    version and every file of the source an analysis runs (:func:`analysis_source_files`: the
    model's code and data; not the reports' words and charts, nor the pipeline), and the
    versions of Python, NumPy, pandas, SALib and SciPy (whose scrambled Sobol' sequence is the
    design). Scenarios that differ only in swept inputs (the
    base case, its ramp discounts and its chance of notice) share one analysis.

    >>> from neocloud import load_scenario
    >>> s = load_scenario("params/base.yaml")
    >>> sobol_cache_key(s, DEFAULT_SWEEP_FILE) == sobol_cache_key(load_scenario("params/early_exit.yaml"), DEFAULT_SWEEP_FILE)
    True
    >>> sobol_cache_key(s, DEFAULT_SWEEP_FILE) == sobol_cache_key(load_scenario("params/original_s1.yaml"), DEFAULT_SWEEP_FILE)
    False
    """
    import hashlib
    import json
    import sys
    from importlib.metadata import version

    import neocloud
    from neocloud.analysis.sweeps import evaluation_reads, load_sweep

    h = hashlib.sha256()
    h.update(Path(sweep_path).read_bytes() + b"\0")
    reads = evaluation_reads(scenario, load_sweep(sweep_path))
    h.update(json.dumps(reads, sort_keys=True).encode() + b"\0")
    stack = [sys.version, neocloud.__version__, np.__version__, pd.__version__, version("SALib"), version("scipy")]
    h.update("\0".join(stack).encode() + b"\0")
    package = Path(neocloud.__file__).resolve().parent
    for p in analysis_source_files():
        h.update(str(p.relative_to(package)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


ANALYSIS_STAGES = ("inputs", "data", "model", "analysis")
"""The package's folders an analysis runs and reads: the stages of the flow up to the analysis,
which import no later stage (``tests/test_layout.py``), so that no word, chart or pipeline code
can change an analysis's result."""


def analysis_source_files() -> list[Path]:
    """The package's files an analysis depends on, sorted: ``neocloud/__init__.py`` and every file
    of :data:`ANALYSIS_STAGES` (code and shipped data). An edit of the reports' words or charts or
    of the pipeline keeps the analyses cached; an edit of these recomputes them.

    >>> names = [p.parent.name + "/" + p.name for p in analysis_source_files()]
    >>> "model/exit_option.py" in names, "data/gpu_prices.csv" in names, any(n.startswith("report/") for n in names)
    (True, True, False)
    """
    import neocloud

    package = Path(neocloud.__file__).resolve().parent
    files = [package / "__init__.py"]
    for stage in ANALYSIS_STAGES:
        files += sorted(q for q in (package / stage).rglob("*") if q.is_file() and "__pycache__" not in q.parts)
    return files


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/neocloud`` (``~/.cache/neocloud`` by default): where analyses are cached."""
    import os

    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "neocloud"


def _analysis_cache_dir(cache_dir: "str | Path | None | bool") -> Path | None:
    if cache_dir is False:
        return None
    if cache_dir is None or cache_dir is True:
        return user_cache_dir()
    return Path(cache_dir)


def _read_kept(path: Path) -> Any:
    from neocloud.analysis.kept import read_kept

    return read_kept(path)


def _keep(path: Path, value: Any) -> None:
    """Write ``value`` to ``path`` atomically; a cache that cannot be written is skipped."""
    import contextlib

    from neocloud.analysis.kept import write_kept

    with contextlib.suppress(OSError):
        write_kept(path, value)


def sobol_findings(analysis: SobolAnalysis, tornado_inputs: list[str]) -> dict[str, Any]:
    """What the Sobol' analysis shows that the tornado does not, as figures for the report's words:
    per output, the input with the largest total index and its indices, the share of variance in
    interactions (1 minus the sum of first-order indices, floored at 0), and the inputs outside
    the tornado ranked by total index."""
    out: dict[str, Any] = {}
    for output, rows in analysis.indices.groupby("output", sort=False):
        rows = rows.sort_values("ST", ascending=False, kind="stable")
        top = rows.iloc[0]
        outside = rows[~rows.input.isin(tornado_inputs)]
        out[str(output)] = {
            "top_input": str(top.input), "top_S1": float(top.S1), "top_ST": float(top.ST),
            "interaction_share": float(max(0.0, 1.0 - rows.S1.clip(lower=0.0).sum())),
            "outside_tornado": [(str(r.input), float(r.ST)) for r in outside.itertuples()],
            "variance": float(top.variance),
        }
    return out
