"""Sweeps: many evaluations of a scenario's headline figures over uncertain inputs.

A sweep file (YAML, examples in ``params/sweeps/``) names a scenario, the uncertain inputs with
their ranges (or lists of choices) and the source or reason of each range, the figures to compute
and the sample design. This module reads and validates it, lays out the design (one row per
evaluation, with its own seed) and evaluates rows: pure functions, pandas out. Running a sweep on
many processes or machines is the pipeline's job (:mod:`neocloud.pipeline.sweep_runner`), the
analysis of its table is :mod:`neocloud.global_sensitivity`'s.

Conventions, stated once:

* A **range** input is sampled on ``[low, high]``; a **choices** input (``all`` = every reading,
  every GPU basis the scenario gives) is sampled as one of its choices, each equally likely
  (a unit-interval coordinate ``u`` picks choice ``floor(u * k)``).
* Every input not swept keeps the scenario's value; ``values`` lists the points of a ``grid``.
* **Seeds per evaluation**: evaluation ``i`` of a sweep with seed ``s`` runs its Monte Carlo with
  seed ``s`` when ``common_random_numbers`` is true (the default: every evaluation sees the same
  market paths, so differences between evaluations come from the inputs, not from sampling noise),
  else with the ``i``-th seed spawned from ``s`` (``numpy.random.SeedSequence(s).spawn``). Either
  way the table does not depend on how the evaluations are spread over processes or machines.
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, model_validator

from neocloud.scenario import ScenarioError, Source, Text, load_scenario

if TYPE_CHECKING:
    from neocloud.scenario import Scenario


class SweepError(ScenarioError):
    """A sweep file could not be used (file, key, value and what is allowed, one line each)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Finite = Annotated[float, Strict(), Field(allow_inf_nan=False)]


class SweepInput(_Model):
    """One uncertain input: a ``range`` (low, high), ``choices`` (a list, or ``all``) or grid
    ``values``, with the ``source`` of the range or a ``note`` saying why it was chosen."""

    range: tuple[Finite, Finite] | None = None
    choices: list[Annotated[str, Strict()]] | Literal["all"] | None = None
    values: list[Finite | Annotated[str, Strict()]] | None = Field(default=None, min_length=1, max_length=1000)
    source: Source | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> "SweepInput":
        given = [k for k in ("range", "choices", "values") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of 'range', 'choices' or 'values' (given: {', '.join(given) or 'none'})")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"a range is [low, high] with low < high (given {list(self.range)})")
        if isinstance(self.choices, list) and len(self.choices) < 2:
            raise ValueError("give at least two choices (or 'all')")
        if self.source is None and self.note is None:
            raise ValueError("needs a 'source' (url and date) or a 'note' saying why this range")
        return self


class Design(_Model):
    """The sample design: ``sobol`` (Saltelli's scheme for first-order and total indices, via
    SALib; ``base_samples`` N, a power of two, gives N x (D + 2) evaluations for D inputs),
    ``morris`` (elementary effects; ``trajectories`` x (D + 1) evaluations), ``grid`` (every
    combination of the inputs' ``values``) or ``random`` (``samples`` independent draws)."""

    method: Literal["sobol", "morris", "grid", "random"]
    base_samples: Annotated[int, Strict(), Field(ge=2, le=1 << 20)] | None = None
    trajectories: Annotated[int, Strict(), Field(ge=2, le=10_000)] | None = None
    levels: Annotated[int, Strict(), Field(ge=2, le=100)] = 4
    samples: Annotated[int, Strict(), Field(ge=1, le=10_000_000)] | None = None
    seed: Annotated[int, Strict(), Field(ge=0, lt=2**32)]
    common_random_numbers: bool = True
    bootstrap_resamples: Annotated[int, Strict(), Field(ge=10, le=100_000)] = 1000
    confidence_level: Annotated[float, Strict(), Field(gt=0.5, lt=1)] = 0.95

    @model_validator(mode="after")
    def _sizes(self) -> "Design":
        need = {"sobol": "base_samples", "morris": "trajectories", "random": "samples"}.get(self.method)
        if need and getattr(self, need) is None:
            raise ValueError(f"method '{self.method}' needs '{need}'")
        if self.method == "sobol" and self.base_samples & (self.base_samples - 1):
            raise ValueError(f"base_samples {self.base_samples} is not a power of two (Sobol' points balance at 2^k; "
                             f"try {1 << (self.base_samples.bit_length() - 1)} or {1 << self.base_samples.bit_length()})")
        return self


class Sweep(_Model):
    """A sweep file: what to evaluate, over which inputs, with which design."""

    title: Text
    scenario: Annotated[str, Strict(), Field(min_length=1, max_length=500)] | None = None
    model: Annotated[str, Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")] | None = None
    inputs: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,60}$")], SweepInput] = Field(min_length=1, max_length=50)
    outputs: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,60}$")]] = Field(min_length=1, max_length=50)
    design: Design
    market_paths: Annotated[int, Strict(), Field(ge=100, le=1_000_000)] = 2000
    chunk_size: Annotated[int, Strict(), Field(ge=1, le=100_000)] = 64

    @model_validator(mode="after")
    def _target(self) -> "Sweep":
        if (self.scenario is None) == (self.model is None):
            raise ValueError("give either 'scenario' (a scenario file) or 'model' (module:function), not both or neither")
        if self.scenario is not None:
            unknown = sorted(set(self.inputs) - set(SCENARIO_INPUTS))
            if unknown:
                raise ValueError(f"unknown input(s) {', '.join(unknown)}; a scenario sweep takes {', '.join(SCENARIO_INPUTS)}")
            unknown = sorted(set(self.outputs) - set(SCENARIO_OUTPUTS))
            if unknown:
                raise ValueError(f"unknown output(s) {', '.join(unknown)}; a scenario sweep computes {', '.join(SCENARIO_OUTPUTS)}")
        elif any(i.choices == "all" for i in self.inputs.values()):
            raise ValueError("'choices: all' means every reading or GPU basis of a scenario; list the choices of a model sweep")
        if self.design.method == "grid" and any(i.values is None for i in self.inputs.values()):
            raise ValueError("a 'grid' design needs 'values' for every input")
        if self.design.method != "grid" and any(i.values is not None for i in self.inputs.values()):
            raise ValueError(f"'values' are grid points; a '{self.design.method}' design takes a 'range' or 'choices'")
        return self


SCENARIO_INPUTS: dict[str, str] = {
    "ramp_discount": "Ramp discount (fraction of the fee waived in the ramp months)",
    "termination_reading": "Reading of the termination terms (lock-up or first notice date)",
    "monthly_notice_probability": "Monthly probability of notice (hazard model)",
    "gpu_basis": "GPU count taken as H100-equivalents (market cost of the capacity)",
    "market_price_usd_per_h100e_hour": "Market price (USD per H100e-hour at the reporting date)",
    "drift_per_year": "Market price drift (per year)",
    "volatility_per_year": "Market price volatility (per year)",
    "buyer_switching_cost_months_of_fee": "Buyer's switching cost (months of fee)",
    "seller_switching_cost_months_of_fee": "Seller's switching cost (months of fee)",
}
"""The inputs a scenario sweep can vary, with their labels."""

SCENARIO_OUTPUTS: dict[str, str] = {
    "expected_revenue_usd": "Expected revenue, hazard model",
    "market_expected_revenue_usd": "Expected revenue, market-driven exits",
    "committed_floor_usd": "Committed floor",
    "book_enforceable_rpo_usd": "Book's enforceable RPO at the reporting date",
}
"""The figures a scenario sweep can compute, with their labels."""


def sweep_hash(path: str | Path) -> str:
    """SHA-256 of a sweep file's bytes (kept in a result's metadata; resuming checks it)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file; every mistake raises :class:`SweepError` naming the file,
    the key, the value and what is allowed.

    >>> s = load_sweep("params/sweeps/termination_sobol.yaml")
    >>> s.design.method, len(s.inputs) >= 8
    ('sobol', True)
    """
    from neocloud.scenario import _problems, _read_yaml

    path = Path(path)
    try:
        data = _read_yaml(path, what="sweep", example="params/sweeps/termination_sobol.yaml")
    except ScenarioError as e:
        raise SweepError(path, e.problems) from None
    try:
        sweep = Sweep.model_validate(data)
    except ValidationError as e:
        raise SweepError(path, _problems(e, Sweep)) from None
    if sweep.model is not None:
        try:
            model_function(sweep)
        except (ImportError, AttributeError) as e:
            raise SweepError(path, [f"key 'model': value {sweep.model!r}: cannot be imported ({e})"]) from None
    return sweep


def sweep_scenario(sweep: Sweep, sweep_path: str | Path) -> "Scenario":
    """The scenario a sweep names, its path taken relative to the sweep file."""
    assert sweep.scenario is not None
    target = Path(sweep_path).parent / sweep.scenario
    if not target.is_file():
        raise SweepError(sweep_path, [f"key 'scenario': value {sweep.scenario!r}: no such file ({target})"])
    return load_scenario(target)


def model_function(sweep: Sweep) -> Any:
    """The ``module:function`` of a model sweep."""
    assert sweep.model is not None
    module, name = sweep.model.split(":")
    return getattr(importlib.import_module(module), name)


# --------------------------------------------------------------------------------------------
# Design


@dataclass(frozen=True)
class Coordinate:
    """How a unit-interval coordinate of the design maps to an input's value."""

    name: str
    low: float
    high: float
    choices: tuple[str, ...] | None = None

    def value(self, u: float) -> float | str:
        if self.choices is not None:
            return self.choices[min(int(u * len(self.choices)), len(self.choices) - 1)]
        return self.low + u * (self.high - self.low)


def coordinates(sweep: Sweep, scenario: "Scenario | None" = None) -> list[Coordinate]:
    """The design's coordinates, one per input, with ``choices: all`` resolved on ``scenario``.

    >>> from neocloud import load_scenario
    >>> sc = load_scenario("params/base.yaml")
    >>> [c.choices for c in coordinates(load_sweep("params/sweeps/termination_sobol.yaml"), sc)
    ...  if c.name == "gpu_basis"]
    [('reported', 'h100_equivalent', 'colossus_1_and_2')]
    """
    out = []
    for name, spec in sweep.inputs.items():
        if spec.range is not None:
            out.append(Coordinate(name, spec.range[0], spec.range[1]))
            continue
        choices = spec.choices if spec.choices is not None else spec.values
        if choices == "all":
            if scenario is None:
                raise ValueError(f"input {name}: 'all' needs a scenario")
            choices = all_choices(scenario, name)
        out.append(Coordinate(name, 0.0, 1.0, tuple(choices)))  # type: ignore[arg-type]
    return out


def all_choices(scenario: "Scenario", name: str) -> list[str]:
    """Every choice of a choice input in a scenario: its termination readings' ids (its own
    terms first, as ``"this scenario"``) or its GPU bases' keys."""
    if name == "termination_reading":
        return ["this scenario"] + [r.id for r in scenario.termination_readings]
    if name == "gpu_basis":
        return list(scenario.gpu_bases)
    raise ValueError(f"input {name} has no list of choices in a scenario; give a 'range' or list 'choices'")


def salib_problem(coords: list[Coordinate]) -> dict[str, Any]:
    """The SALib problem of a design: every coordinate on the unit interval (choices included,
    mapped by :meth:`Coordinate.value`)."""
    return {"num_vars": len(coords), "names": [c.name for c in coords], "bounds": [[0.0, 1.0]] * len(coords)}


def unit_sample(sweep: Sweep, coords: list[Coordinate]) -> np.ndarray:
    """The design's points on the unit cube (one row per evaluation), deterministic in the seed."""
    d = sweep.design
    problem = salib_problem(coords)
    if d.method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, d.base_samples, calc_second_order=False, scramble=True, seed=d.seed)
    if d.method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, d.trajectories, num_levels=d.levels, seed=d.seed)
    if d.method == "random":
        return np.random.default_rng(d.seed).random((int(d.samples), len(coords)))
    raise ValueError("a grid has no unit sample")


def design_table(sweep: Sweep, scenario: "Scenario | None" = None) -> pd.DataFrame:
    """One row per evaluation: ``evaluation`` (0, 1, ...), ``seed`` and a column per input.

    >>> t = design_table(load_sweep("params/sweeps/notice_grid.yaml"))
    >>> len(t), list(t.columns)[:3]
    (40, ['evaluation', 'seed', 'monthly_notice_probability'])
    """
    coords = coordinates(sweep, scenario)
    if sweep.design.method == "grid":
        grids = [list(sweep.inputs[c.name].values or ()) for c in coords]
        mesh = np.array(np.meshgrid(*[np.arange(len(g)) for g in grids], indexing="ij")).reshape(len(grids), -1).T
        columns = {c.name: [grids[j][i] for i in mesh[:, j]] for j, c in enumerate(coords)}
        n = len(mesh)
    else:
        unit = unit_sample(sweep, coords)
        n = len(unit)
        columns = {c.name: [c.value(float(u)) for u in unit[:, j]] for j, c in enumerate(coords)}
    return pd.DataFrame({"evaluation": np.arange(n, dtype=np.int64), "seed": evaluation_seeds(sweep.design, n), **columns})


def evaluation_seeds(design: Design, n: int) -> np.ndarray:
    """The Monte Carlo seed of each evaluation (see the module's conventions).

    >>> d = Design(method="random", samples=3, seed=7)
    >>> evaluation_seeds(d, 3).tolist()
    [7, 7, 7]
    >>> len(set(evaluation_seeds(d.model_copy(update={"common_random_numbers": False}), 3).tolist()))
    3
    """
    if design.common_random_numbers:
        return np.full(n, design.seed, dtype=np.int64)
    children = np.random.SeedSequence(design.seed).spawn(n)
    return np.array([int(c.generate_state(1, dtype=np.uint32)[0]) for c in children], dtype=np.int64)


# --------------------------------------------------------------------------------------------
# Evaluation


def prepare(scenario: "Scenario", outputs: list[str]) -> dict[str, Any]:
    """What every evaluation of ``scenario`` shares, computed once: the market model's inputs
    (the calibration reads the price panel) and the enforceable RPO of the book's other deals."""
    from neocloud.book import book_of
    from neocloud.deal import remaining_performance_obligation

    prepared: dict[str, Any] = {}
    if "market_expected_revenue_usd" in outputs:
        from neocloud.exit_option import scenario_market_inputs

        prepared["market_inputs"] = scenario_market_inputs(scenario)
    if "book_enforceable_rpo_usd" in outputs:
        as_of = scenario.as_of.value
        prepared["other_deals_rpo_usd"] = float(sum(remaining_performance_obligation(d.terms, as_of).enforceable_usd
                                                    for d in book_of(scenario).deals[1:]))
    return prepared


def evaluate(scenario: "Scenario", inputs: dict[str, Any], outputs: list[str], seed: int, market_paths: int,
             prepared: dict[str, Any] | None = None) -> dict[str, float]:
    """The figures ``outputs`` of ``scenario`` with ``inputs`` set (the rest as in the scenario).

    >>> from neocloud import load_scenario
    >>> sc = load_scenario("params/base.yaml")
    >>> f = evaluate(sc, {"ramp_discount": 0.5}, ["committed_floor_usd", "expected_revenue_usd"], 1, 1000)
    >>> round(f["committed_floor_usd"] / 1e9, 2), round(f["expected_revenue_usd"] / 1e9, 2)
    (6.17, 25.11)
    """
    from neocloud.deal import committed_floor, remaining_performance_obligation
    from neocloud.hazard import expected_revenue

    if prepared is None:
        prepared = prepare(scenario, outputs)

    from neocloud.explore import reading_terms

    t = reading_terms(scenario, str(inputs.get("termination_reading", "this scenario")))
    if "ramp_discount" in inputs:
        t = replace(t, ramp_discount=float(inputs["ramp_discount"]))
    out: dict[str, float] = {}
    for name in outputs:
        if name == "expected_revenue_usd":
            p = float(inputs.get("monthly_notice_probability", scenario.termination.monthly_notice_probability.value))
            out[name] = float(expected_revenue(t, p))
        elif name == "committed_floor_usd":
            out[name] = float(committed_floor(t))
        elif name == "book_enforceable_rpo_usd":
            out[name] = float(remaining_performance_obligation(t, scenario.as_of.value).enforceable_usd
                              + prepared["other_deals_rpo_usd"])
        elif name == "market_expected_revenue_usd":
            out[name] = _market_expected_revenue(scenario, t, inputs, seed, market_paths, prepared["market_inputs"])
        else:
            raise ValueError(f"unknown output {name!r}")
    return out


def _market_expected_revenue(scenario: "Scenario", t: Any, inputs: dict[str, Any], seed: int, paths: int,
                             market_inputs: dict[str, Any]) -> float:
    from neocloud.exit_option import rational_exit
    from neocloud.market import MarketModel

    kw = dict(market_inputs)
    m = kw.pop("market")
    market = MarketModel(float(inputs.get("market_price_usd_per_h100e_hour", m.price_usd_per_h100e_hour)),
                         float(inputs.get("drift_per_year", m.drift_per_year)),
                         float(inputs.get("volatility_per_year", m.volatility_per_year)))
    if "gpu_basis" in inputs:
        kw["gpus_h100e"] = float(scenario.gpu_bases[str(inputs["gpu_basis"])].value)
    for party in ("buyer", "seller"):
        key = f"{party}_switching_cost_months_of_fee"
        if key in inputs:
            kw[f"{party}_switching_cost_usd"] = float(inputs[key]) * t.monthly_fee_usd
    kw.update(n_paths=int(paths), seed=int(seed))
    return float(rational_exit(t, market, **kw).expected_revenue_usd)


def evaluate_rows(target: "Scenario | Any", rows: pd.DataFrame, outputs: list[str], market_paths: int) -> pd.DataFrame:
    """Evaluate design rows (:func:`design_table`) of a scenario, or of a model function (called
    with the row's inputs and ``seed`` as keywords, returning a mapping of outputs or one number
    for a single output): the rows with an output column each.

    >>> from neocloud.global_sensitivity import ishigami
    >>> rows = pd.DataFrame({"evaluation": [0], "seed": [1], "x1": [0.0], "x2": [0.0], "x3": [0.0]})
    >>> evaluate_rows(ishigami, rows, ["y"], 1000).y.tolist()
    [0.0]
    """
    inputs = [c for c in rows.columns if c not in ("evaluation", "seed")]
    prepared = None if callable(target) else prepare(target, outputs)
    results = []
    for row in rows.to_dict("records"):
        values = {k: row[k] for k in inputs}
        if callable(target):
            got = target(**values, seed=int(row["seed"]))
            got = got if isinstance(got, dict) else {outputs[0]: got}
            results.append({k: float(got[k]) for k in outputs})
        else:
            results.append(evaluate(target, values, outputs, int(row["seed"]), market_paths, prepared))
    return pd.concat([rows.reset_index(drop=True), pd.DataFrame(results, columns=outputs)], axis=1)
