"""Sweeps: many evaluations of a scenario's headline figures over uncertain inputs.

A sweep file (YAML, examples in ``params/sweeps/``) names a scenario, the uncertain inputs with
their ranges (or lists of choices) and the source or reason of each range, the figures to compute
and the sample design. This module reads and validates it, lays out the design (one row per
evaluation, with its own seed) and evaluates rows: pure functions, pandas out. Running a sweep on
many processes or machines is the pipeline's job (:mod:`neocloud.pipeline.sweep_runner`), the
analysis of its table is :mod:`neocloud.analysis.global_sensitivity`'s.

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
* **Checked before anything runs** (:func:`load_sweep`, :func:`sweep_scenario`): every range,
  choice and grid value against its input's domain (:data:`INPUT_DOMAINS`) and the scenario's
  readings and GPU bases, every output against what the scenario can compute, a model function's
  signature (it takes each input and ``seed`` as keywords), names against the table's own columns
  (:data:`RESERVED_COLUMNS`) and each other, and the design's size against
  :data:`MAX_EVALUATIONS`; one line per problem (file, key, value, what is allowed).
* **An evaluation that fails** (raises, or returns what is not a finite number for an output) raises
  :class:`EvaluationError` naming the evaluation, its inputs and the problem; non-finite values are
  kept only when asked (``nonfinite="keep"``).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import json
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, field_validator, model_validator

from neocloud.inputs.scenario import load_scenario
from neocloud.inputs.sourced import ScenarioError, Source, Text

if TYPE_CHECKING:
    from neocloud.inputs.scenario import Scenario


class SweepError(ScenarioError):
    """A sweep file could not be used (file, key, value and what is allowed, one line each)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Finite = Annotated[float, Strict(), Field(allow_inf_nan=False)]


class SweepInput(_Model):
    """One uncertain input: a ``range`` (low, high), ``choices`` (a list, or ``all``) or grid
    ``values``, with the ``source`` of the range or a ``note`` saying why it was chosen."""

    range: tuple[Finite, Finite] | None = None
    choices: Any = None
    """``all``, or a list of at least two different texts."""
    values: Any = None
    """A grid's points: finite numbers, or texts (one kind only), at most 1,000."""
    source: Source | None = None
    note: Text | None = None

    @field_validator("choices")
    @classmethod
    def _choices(cls, v: Any) -> Any:
        if v is None or v == "all":
            return v
        if not isinstance(v, list) or not all(isinstance(c, str) and c for c in v):
            raise ValueError("choices are 'all' or a list of texts")
        if len(v) < 2:
            raise ValueError("give at least two choices (or 'all')")
        if len(set(v)) < len(v):
            raise ValueError(f"each choice once (repeated: {', '.join(sorted({c for c in v if v.count(c) > 1}))})")
        return v

    @field_validator("values")
    @classmethod
    def _values(cls, v: Any) -> Any:
        if v is None:
            return v
        if not isinstance(v, list) or not 1 <= len(v) <= 1000:
            raise ValueError("grid values are a list of 1 to 1,000 numbers or texts")
        kinds = set()
        for i, x in enumerate(v):
            if isinstance(x, str) and x:
                kinds.add("text")
            elif isinstance(x, (int, float)) and not isinstance(x, bool):
                if not math.isfinite(x):
                    raise ValueError(f"item {i} is {x!r}; grid values are finite numbers or texts")
                kinds.add("number")
            else:
                raise ValueError(f"item {i} is {_short(x)} (a {type(x).__name__}); grid values are finite numbers or texts")
            if len(kinds) > 1:
                raise ValueError(f"item {i} is {_short(x)}; grid values are all numbers or all texts, not both")
        if len(set(v)) < len(v):
            raise ValueError("each grid value once (a value repeated would be evaluated twice)")
        return v

    @model_validator(mode="after")
    def _one_kind(self) -> "SweepInput":
        given = [k for k in ("range", "choices", "values") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of 'range', 'choices' or 'values' (given: {', '.join(given) or 'none'})")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"a range is [low, high] with low < high (given {list(self.range)})")
        if self.source is None and self.note is None:
            raise ValueError("needs a 'source' (url and date) or a 'note' saying why this range")
        return self


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
        # each problem as (key, value, what is allowed): one line in the house style
        from neocloud.inputs.sourced import _CrossFieldError as Problem

        if (self.scenario is None) == (self.model is None):
            raise Problem("scenario", self.scenario, "give either 'scenario' (a scenario file) or 'model' "
                          "(module:function), not both or neither")
        if self.scenario is not None:
            unknown = [k for k in self.inputs if k not in SCENARIO_INPUTS]
            if unknown:
                raise Problem(f"inputs.{unknown[0]}", unknown[0], f"unknown input(s) {', '.join(unknown)}; a scenario "
                              f"sweep takes {', '.join(SCENARIO_INPUTS)}")
            unknown = [k for k in self.outputs if k not in SCENARIO_OUTPUTS]
            if unknown:
                raise Problem(f"outputs.{self.outputs.index(unknown[0])}", unknown[0], f"unknown output(s) "
                              f"{', '.join(unknown)}; a scenario sweep computes {', '.join(SCENARIO_OUTPUTS)}")
        else:
            for name, spec in self.inputs.items():
                if spec.choices == "all":
                    raise Problem(f"inputs.{name}.choices", "all", "'choices: all' means every reading or GPU basis of "
                                  "a scenario; list the choices of a model sweep")
        for name, spec in self.inputs.items():
            if self.design.method == "grid" and spec.values is None:
                kind = "range" if spec.range is not None else "choices"
                given = getattr(spec, kind)
                raise Problem(f"inputs.{name}.{kind}", list(given) if isinstance(given, tuple) else given, "a 'grid' design needs 'values' (the grid's "
                              "points) for every input")
            if self.design.method != "grid" and spec.values is not None:
                raise Problem(f"inputs.{name}.values", spec.values, f"'values' are grid points; a "
                              f"'{self.design.method}' design takes a 'range' or 'choices'")
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


@dataclass(frozen=True)
class Domain:
    """The values a numeric input of a scenario sweep may take (as the scenario file allows them)."""

    low: float
    high: float
    allowed: str
    low_open: bool = False

    def holds(self, x: float) -> bool:
        return (x > self.low if self.low_open else x >= self.low) and x <= self.high


INPUT_DOMAINS: dict[str, Domain] = {
    "ramp_discount": Domain(0.0, 1.0, "a fraction in [0, 1]"),
    "monthly_notice_probability": Domain(0.0, 1.0, "a probability in [0, 1]"),
    "market_price_usd_per_h100e_hour": Domain(0.0, math.inf, "a price above 0 (USD per H100e-hour)", low_open=True),
    "drift_per_year": Domain(-2.0, 2.0, "a drift in [-2, 2] a year (as a scenario's market section allows)"),
    "volatility_per_year": Domain(0.0, 3.0, "a volatility in [0, 3] a year (as a scenario's market section allows)"),
    "buyer_switching_cost_months_of_fee": Domain(0.0, math.inf, "months of fee, 0 or more"),
    "seller_switching_cost_months_of_fee": Domain(0.0, math.inf, "months of fee, 0 or more"),
}
"""The domain of each numeric input of a scenario sweep; the others are choices."""

CHOICE_INPUTS: dict[str, str] = {
    "termination_reading": "a reading of the scenario's termination terms",
    "gpu_basis": "one of the scenario's GPU bases",
}
"""The inputs of a scenario sweep that take one of the scenario's choices (``choices`` or text grid values)."""

RESERVED_COLUMNS: dict[str, str] = {
    "evaluation": "the evaluation's number",
    "seed": "the evaluation's Monte Carlo seed, a model function's seed keyword",
}
"""The result table's own columns: no input or output may take these names."""

MAX_EVALUATIONS = 10_000_000
"""The most evaluations a sweep may have (a larger design is refused before anything runs)."""

MARKET_OUTPUTS = ("market_expected_revenue_usd",)
"""Outputs that need the scenario's ``market`` section."""


def sweep_hash(path: str | Path) -> str:
    """SHA-256 of a sweep file's bytes (kept in a result's metadata)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def design_size(sweep: Sweep) -> int:
    """The number of evaluations of a sweep's design, without laying it out.

    >>> design_size(load_sweep("params/sweeps/termination_sobol.yaml"))
    704
    """
    d, k = sweep.design, len(sweep.inputs)
    if d.method == "sobol":
        return int(d.base_samples) * (k + 2)
    if d.method == "morris":
        return int(d.trajectories) * (k + 1)
    if d.method == "random":
        return int(d.samples)
    return math.prod(len(i.values or ()) for i in sweep.inputs.values())


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file; every mistake raises :class:`SweepError` naming the file,
    the key, the value and what is allowed (one line per problem): the file's types, then names
    (:data:`RESERVED_COLUMNS`, inputs and outputs apart), the domain of each scenario input
    (:data:`INPUT_DOMAINS`), the design's size (:data:`MAX_EVALUATIONS`) and a model function's
    signature. What depends on the scenario is checked by :func:`sweep_scenario`.

    >>> s = load_sweep("params/sweeps/termination_sobol.yaml")
    >>> s.design.method, len(s.inputs) >= 8
    ('sobol', True)
    """
    from neocloud.inputs.sourced import _problems, _read_yaml

    path = Path(path)
    try:
        data = _read_yaml(path, what="sweep", example="params/sweeps/termination_sobol.yaml")
    except ScenarioError as e:
        raise SweepError(path, e.problems) from None
    try:
        sweep = Sweep.model_validate(data)
    except ValidationError as e:
        raise SweepError(path, _problems(e, Sweep)) from None
    problems = sweep_problems(sweep)
    if not problems and sweep.model is not None:
        problems = _model_problems(sweep)
    if problems:
        raise SweepError(path, problems)
    return sweep


def sweep_problems(sweep: Sweep) -> list[str]:
    """What a sweep's types allow but its meaning does not, one line each (empty: none): names
    taken by the table's own columns or by each other, values outside their input's domain or of
    the wrong kind, a design too large.

    >>> box = SweepInput(range=(0.0, 5.0), note="n")
    >>> sweep_problems(Sweep(title="t", scenario="x.yaml", inputs={"ramp_discount": box},
    ...                      outputs=["expected_revenue_usd"], design=Design(method="random", samples=4, seed=1)))
    ["key 'inputs.ramp_discount.range': value [0.0, 5.0]: ramp_discount is a fraction in [0, 1]"]
    """
    out = []
    for name in sweep.inputs:
        if name in RESERVED_COLUMNS:
            out.append(f"key 'inputs.{name}': the result table has its own column '{name}' ({RESERVED_COLUMNS[name]}); "
                       "name the input otherwise")
    seen: set[str] = set()
    for i, name in enumerate(sweep.outputs):
        if name in RESERVED_COLUMNS:
            out.append(f"key 'outputs.{i}': value {name!r}: the result table has its own column '{name}' "
                       f"({RESERVED_COLUMNS[name]}); name the output otherwise")
        elif name in sweep.inputs:
            out.append(f"key 'outputs.{i}': value {name!r}: also the name of an input; "
                       "an output and an input are two columns of the table")
        elif name in seen:
            out.append(f"key 'outputs.{i}': value {name!r}: listed twice; list each output once")
        seen.add(name)
    if sweep.scenario is not None:
        for name, spec in sweep.inputs.items():
            out.extend(_domain_problems(name, spec))
    n = design_size(sweep)
    if n > MAX_EVALUATIONS:
        d = sweep.design
        k = len(sweep.inputs)
        key, value, how = {
            "sobol": lambda: ("design.base_samples", d.base_samples, f"{d.base_samples:,} x ({k} inputs + 2)"),
            "morris": lambda: ("design.trajectories", d.trajectories, f"{d.trajectories:,} x ({k} inputs + 1)"),
            "random": lambda: ("design.samples", d.samples, f"{d.samples:,}"),
            "grid": lambda: ("design.method", d.method,
                             " x ".join(str(len(i.values or ())) for i in sweep.inputs.values()) + " grid values"),
        }[d.method]()
        out.append(f"key '{key}': value {_short(value)}: a design of {how} = {n:,} evaluations; a sweep may have at "
                   f"most {MAX_EVALUATIONS:,} (split it, or use a sample design)")
    return out


def _domain_problems(name: str, spec: SweepInput) -> list[str]:
    domain = INPUT_DOMAINS.get(name)
    if domain is not None:
        if spec.choices is not None:
            return [f"key 'inputs.{name}.choices': value {_short(spec.choices)}: {name} is a number ({domain.allowed}); "
                    "give a 'range' (or grid 'values')"]
        if spec.range is not None:
            if not all(domain.holds(x) for x in spec.range):
                return [f"key 'inputs.{name}.range': value {list(spec.range)}: {name} is {domain.allowed}"]
            return []
        texts = [v for v in spec.values or () if isinstance(v, str)]
        if texts:
            return [f"key 'inputs.{name}.values': value {_short(spec.values)}: {name} is a number ({domain.allowed}), "
                    f"not a text ({texts[0]!r})"]
        bad = [v for v in spec.values or () if not domain.holds(v)]
        if bad:
            return [f"key 'inputs.{name}.values': value {_short(spec.values)}: {name} is {domain.allowed} "
                    f"(not {bad[0]!r})"]
        return []
    if name in CHOICE_INPUTS:
        if spec.range is not None:
            return [f"key 'inputs.{name}.range': value {list(spec.range)}: {name} is {CHOICE_INPUTS[name]}; "
                    "give 'choices' (a list, or all)"]
        numbers_ = [v for v in spec.values or () if not isinstance(v, str)]
        if numbers_:
            return [f"key 'inputs.{name}.values': value {_short(spec.values)}: {name} is {CHOICE_INPUTS[name]} "
                    f"(a text), not a number ({numbers_[0]!r})"]
    return []


def _model_problems(sweep: Sweep) -> list[str]:
    """A model function that cannot be imported, or not called as ``f(<inputs>..., seed=N)``."""
    try:
        fn = model_function(sweep)
    except Exception as e:  # an import of the user's module may fail in any way
        return [f"key 'model': value {sweep.model!r}: cannot be imported ({type(e).__name__}: {e})"]
    if not callable(fn):
        return [f"key 'model': value {sweep.model!r}: is a {type(fn).__name__}, not a function"]
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return []  # a callable without a signature (a builtin): called as it is
    params = sig.parameters.values()
    given = [*sweep.inputs, "seed"]
    named = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params)
    missing = [] if takes_any else [k for k in given if k not in named]
    needed = [p.name for p in params if p.default is p.empty and p.name not in given
              and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    shown = f"{getattr(fn, '__name__', 'the function')}({', '.join(p.name for p in params)})"
    call = f"f({', '.join(f'{k}=...' for k in given)})"
    out = []
    if missing:
        out.append(f"key 'model': value {sweep.model!r}: {shown} does not take {', '.join(missing)} as keyword(s); "
                   f"a model function is called as {call}")
    if needed:
        out.append(f"key 'model': value {sweep.model!r}: {shown} needs {', '.join(needed)}, which the sweep does not "
                   f"give; a model function is called as {call}")
    return out


def sweep_scenario(sweep: Sweep, sweep_path: str | Path) -> "Scenario":
    """The scenario a sweep names, its path taken relative to the sweep file, with the sweep
    checked against it (:func:`scenario_problems`); problems raise :class:`SweepError`."""
    assert sweep.scenario is not None
    target = Path(sweep_path).parent / sweep.scenario
    if not target.is_file():
        raise SweepError(sweep_path, [f"key 'scenario': value {sweep.scenario!r}: no such file ({target})"])
    scenario = load_scenario(target)
    problems = scenario_problems(sweep, scenario)
    if problems:
        raise SweepError(sweep_path, problems)
    return scenario


def scenario_problems(sweep: Sweep, scenario: "Scenario") -> list[str]:
    """What a sweep asks that ``scenario`` cannot give, one line each: choices it does not have,
    outputs it cannot compute (the market model needs a ``market`` section)."""
    out = []
    for name, spec in sweep.inputs.items():
        if name not in CHOICE_INPUTS:
            continue
        given = spec.choices if isinstance(spec.choices, list) else spec.values
        if not given:
            continue
        have = all_choices(scenario, name)
        unknown = [c for c in given if c not in have]
        if unknown:
            key = "choices" if spec.choices is not None else "values"
            out.append(f"key 'inputs.{name}.{key}': value {_short(given)}: {', '.join(map(repr, unknown))} not "
                       f"{CHOICE_INPUTS[name]} (allowed: {', '.join(map(repr, have))}, or 'all')")
    for i, name in enumerate(sweep.outputs):
        if name in MARKET_OUTPUTS and scenario.market is None:
            out.append(f"key 'outputs.{i}': value {name!r}: the scenario {sweep.scenario} has no 'market' section "
                       "(see params/base.yaml), which this output needs")
    return out


def model_function(sweep: Sweep) -> Any:
    """The ``module:function`` of a model sweep."""
    assert sweep.model is not None
    module, name = sweep.model.split(":")
    return getattr(importlib.import_module(module), name)


def data_files() -> list[Path]:
    """The data files scenarios read (the package's ``neocloud/data/*.csv``), where they are read
    from: the edited copies in ``$NEOCLOUD_DATA`` where it names a folder, else the shipped files
    (:func:`neocloud.data.data_path`).

    >>> [p.name for p in data_files()][:2]
    ['capacity.csv', 'comparables.csv']
    """
    from importlib import resources

    from neocloud.data import data_path

    return [data_path(name) for name in sorted(p.name for p in resources.files("neocloud.data").iterdir()
                                               if p.name.endswith(".csv"))]


def sweep_dependencies(sweep: Sweep, sweep_path: str | Path) -> dict[str, str]:
    """What a sweep's evaluations depend on, each as a SHA-256 (or a version): the sweep file's
    text, the package version, and the scenario file (with every file it ``extends``) and the data
    files it reads (:func:`data_files`: ``neocloud/data/*.csv`` or their edited copies in
    ``$NEOCLOUD_DATA``), or the model function's module source. A result or kept chunks
    are reused only when this is unchanged (:func:`dependencies_changed`).

    >>> sorted(sweep_dependencies(load_sweep("params/sweeps/notice_grid.yaml"), "params/sweeps/notice_grid.yaml"))[:3]
    ['data file capacity.csv', 'data file comparables.csv', 'data file gpu_prices.csv']
    """
    from neocloud import __version__

    def digest(p: Path) -> str:
        return hashlib.sha256(p.read_bytes()).hexdigest()

    deps = {"sweep file": sweep_hash(sweep_path), "neocloud version": str(__version__)}
    if sweep.scenario is not None:
        from neocloud.inputs.scenario import scenario_files

        scenario_path, *extended = scenario_files(Path(sweep_path).parent / sweep.scenario)
        deps["scenario file"] = digest(scenario_path)
        for p in extended:  # what the scenario extends (its base): a change there changes the scenario
            deps[f"extended scenario file {p.name}"] = digest(p)
        for p in data_files():  # as the evaluations read them: edited copies where $NEOCLOUD_DATA is set
            deps[f"data file {p.name}"] = digest(p) if p.is_file() else "missing"
    else:
        assert sweep.model is not None
        module = sweep.model.split(":")[0]
        spec = importlib.util.find_spec(module)
        origin = Path(spec.origin) if spec is not None and spec.origin and Path(spec.origin).is_file() else None
        if origin is not None:
            deps["model source"] = digest(origin)
        else:
            fn = model_function(sweep)
            try:
                deps["model source"] = hashlib.sha256(inspect.getsource(fn).encode("utf-8")).hexdigest()
            except (OSError, TypeError):
                deps["model source"] = "unknown"
    return deps


def fingerprint(dependencies: dict[str, str]) -> str:
    """One SHA-256 of a sweep's dependencies (:func:`sweep_dependencies`)."""
    return hashlib.sha256(json.dumps(dependencies, sort_keys=True).encode("utf-8")).hexdigest()


def dependencies_changed(old: dict[str, str] | None, new: dict[str, str]) -> list[str]:
    """The dependencies that differ between two :func:`sweep_dependencies` (their names).

    >>> dependencies_changed({"sweep file": "a", "neocloud version": "1"}, {"sweep file": "b", "neocloud version": "1"})
    ['sweep file']
    """
    if not old:
        return ["the record of what the kept work depends on (written by an older neocloud)"]
    return sorted(k for k in {*old, *new} if old.get(k) != new.get(k))


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

    def values(self, u: np.ndarray) -> np.ndarray:
        """:meth:`value` of each coordinate in ``u`` (the same numbers, vectorised)."""
        if self.choices is not None:
            k = len(self.choices)
            return np.array(self.choices, dtype=object)[np.minimum((u * k).astype(np.int64), k - 1)]
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


@dataclass(frozen=True)
class DesignPlan:
    """A sweep's design, laid out row by row on demand (:meth:`rows`): a design of millions of
    evaluations is never held as one table. ``random`` rows are drawn from the seed's stream at
    their own offset, ``grid`` rows are unravelled from their number, ``sobol`` rows are built
    from the Sobol' base sequence (:func:`saltelli_rows`); ``morris`` keeps SALib's unit sample."""

    sweep: Sweep
    coords: list[Coordinate]
    size: int
    unit: np.ndarray | None = field(default=None, repr=False)
    grids: list[np.ndarray] = field(default_factory=list, repr=False)

    def rows(self, start: int, stop: int) -> pd.DataFrame:
        """Rows ``start`` to ``stop - 1``: ``evaluation``, ``seed`` and a column per input."""
        stop = min(stop, self.size)
        d = self.sweep.design
        if d.method == "grid":
            idx = np.unravel_index(np.arange(start, stop), [len(g) for g in self.grids])
            columns = {c.name: g[i] for c, g, i in zip(self.coords, self.grids, idx)}
        else:
            if d.method == "random":
                rng = np.random.default_rng(d.seed)
                rng.bit_generator.advance(start * len(self.coords))  # one draw per coordinate and row
                unit = rng.random((stop - start, len(self.coords)))
            elif d.method == "sobol":
                assert self.unit is not None
                unit = saltelli_rows(self.unit, start, stop)
            else:
                assert self.unit is not None
                unit = self.unit[start:stop]
            columns = {c.name: c.values(unit[:, j]) for j, c in enumerate(self.coords)}
        frame = pd.DataFrame({"evaluation": np.arange(start, stop, dtype=np.int64),
                              "seed": evaluation_seeds(d, stop - start, start), **columns})
        return frame


def saltelli_rows(base: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Rows ``start`` to ``stop - 1`` of Saltelli's sample (first and total indices) built on a
    base sequence of N rows and 2D columns (A, then B), as ``SALib.sample.sobol.sample`` lays it
    out: for each base row, A, then A with column j taken from B (j = 1..D), then B.

    >>> from SALib.sample import sobol
    >>> problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0.0, 1.0]] * 3}
    >>> from scipy.stats import qmc
    >>> base = qmc.Sobol(d=6, scramble=True, seed=5).random(8)
    >>> whole = sobol.sample(problem, 8, calc_second_order=False, scramble=True, seed=5)
    >>> bool((saltelli_rows(base, 0, 40) == whole).all()), bool((saltelli_rows(base, 7, 23) == whole[7:23]).all())
    (True, True)
    """
    d = base.shape[1] // 2
    r = np.arange(start, stop)
    i, k = np.divmod(r, d + 2)
    a, b = base[i, :d], base[i, d:]
    unit = a.copy()
    last = k == d + 1
    unit[last] = b[last]
    mid = np.nonzero((k >= 1) & (k <= d))[0]
    unit[mid, k[mid] - 1] = b[mid, k[mid] - 1]
    return unit


def design_plan(sweep: Sweep, scenario: "Scenario | None" = None) -> DesignPlan:
    """The design of ``sweep`` (``choices: all`` resolved on ``scenario``), ready to lay out."""
    coords = coordinates(sweep, scenario)
    n = design_size(sweep)
    if sweep.design.method == "grid":
        grids = []
        for c in coords:
            values = list(sweep.inputs[c.name].values or ())
            grids.append(np.asarray(values, dtype=object) if isinstance(values[0], str) else np.asarray(values))
        return DesignPlan(sweep, coords, n, grids=grids)
    if sweep.design.method == "random":
        return DesignPlan(sweep, coords, n)
    if sweep.design.method == "sobol":
        from scipy.stats import qmc

        # the base of SALib's Saltelli sample (SALib.sample.sobol.sample), rows laid out on demand
        base = qmc.Sobol(d=2 * len(coords), scramble=True, seed=sweep.design.seed).random(int(sweep.design.base_samples))
        return DesignPlan(sweep, coords, n, unit=base)
    unit = unit_sample(sweep, coords)
    return DesignPlan(sweep, coords, len(unit), unit=unit)


def design_table(sweep: Sweep, scenario: "Scenario | None" = None) -> pd.DataFrame:
    """One row per evaluation: ``evaluation`` (0, 1, ...), ``seed`` and a column per input.

    >>> t = design_table(load_sweep("params/sweeps/notice_grid.yaml"))
    >>> len(t), list(t.columns)[:3]
    (40, ['evaluation', 'seed', 'monthly_notice_probability'])
    """
    plan = design_plan(sweep, scenario)
    return plan.rows(0, plan.size)


def evaluation_seeds(design: Design, n: int, start: int = 0) -> np.ndarray:
    """The Monte Carlo seed of evaluations ``start`` to ``start + n - 1`` (see the module's
    conventions; evaluation ``i``'s seed is that of the ``i``-th child of
    ``numpy.random.SeedSequence(seed).spawn``).

    >>> d = Design(method="random", samples=3, seed=7)
    >>> evaluation_seeds(d, 3).tolist()
    [7, 7, 7]
    >>> e = d.model_copy(update={"common_random_numbers": False})
    >>> len(set(evaluation_seeds(e, 3).tolist())), evaluation_seeds(e, 2, 1).tolist() == evaluation_seeds(e, 3)[1:].tolist()
    (3, True)
    """
    if design.common_random_numbers:
        return np.full(n, design.seed, dtype=np.int64)
    return np.array([int(np.random.SeedSequence(design.seed, spawn_key=(i,)).generate_state(1, dtype=np.uint32)[0])
                     for i in range(start, start + n)], dtype=np.int64)


# --------------------------------------------------------------------------------------------
# Evaluation


def prepare(scenario: "Scenario", outputs: list[str]) -> dict[str, Any]:
    """What every evaluation of ``scenario`` shares, computed once: the market model's inputs
    (the calibration reads the price panel) and the enforceable RPO of the book's other deals."""
    from neocloud.model.book import book_of
    from neocloud.model.deal import remaining_performance_obligation

    prepared: dict[str, Any] = {}
    if "market_expected_revenue_usd" in outputs:
        from neocloud.model.exit_option import scenario_market_inputs

        prepared["market_inputs"] = scenario_market_inputs(scenario)
    if "book_enforceable_rpo_usd" in outputs:
        as_of = scenario.as_of.value
        prepared["other_deals_rpo_usd"] = float(sum(remaining_performance_obligation(d.terms, as_of).enforceable_usd
                                                    for d in book_of(scenario).deals[1:]))
    return prepared


def evaluation_reads(scenario: "Scenario", sweep: Sweep) -> dict[str, Any]:
    """What the evaluations of ``sweep`` (a scenario sweep) read from ``scenario``, as plain data:
    two scenarios with the same reads give the same table, evaluation for evaluation, so an
    analysis keyed by them (:func:`neocloud.analysis.global_sensitivity.sobol_cache_key`) is
    shared. Built from the same calls as :func:`evaluate` (:func:`coordinates`,
    :func:`reading_terms`, :func:`prepare`), each value a swept input overrides blanked
    (``None``): the deal's terms under every reading the design picks (``ramp_discount`` blanked
    when swept), the monthly chance of notice, the reporting date, the book's other deals'
    enforceable RPO, the market model's inputs (price, drift, volatility, GPU count and switching
    costs blanked where swept; paths and seed are the sweep's) and the GPU count of every basis the
    design picks. Raises ``ValueError`` for a reading or basis the scenario does not have.

    >>> from neocloud import load_scenario
    >>> sw = load_sweep("params/sweeps/termination_sobol.yaml")
    >>> base, free = load_scenario("params/base.yaml"), load_scenario("params/free_ramp.yaml")
    >>> evaluation_reads(base, sw) == evaluation_reads(free, sw)   # they differ only in a swept input
    True
    >>> evaluation_reads(base, sw)["terms"]["this scenario"]["ramp_discount"] is None
    True
    >>> evaluation_reads(base, sw) == evaluation_reads(load_scenario("params/original_s1.yaml"), sw)
    False
    """
    import dataclasses
    import datetime as dt

    from neocloud.inputs.scenario import THIS_SCENARIO

    swept = set(sweep.inputs)
    outputs = list(sweep.outputs)
    coords = coordinates(sweep, scenario)
    picks = {c.name: list(c.choices) for c in coords if c.choices is not None}
    readings = picks.get("termination_reading", [THIS_SCENARIO])

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        if isinstance(value, float):
            return repr(value)  # exact: the shortest text that reads back as the same float
        return value

    terms = {}
    for r in readings:
        terms[str(r)] = plain(reading_terms(scenario, str(r)))
        if "ramp_discount" in swept:
            terms[str(r)]["ramp_discount"] = None
    reads: dict[str, Any] = {
        "coordinates": [[c.name, repr(c.low), repr(c.high), list(c.choices) if c.choices is not None else None] for c in coords],
        "outputs": outputs,
        "market_paths": sweep.market_paths,
        "terms": terms,
    }
    if "expected_revenue_usd" in outputs:
        reads["monthly_notice_probability"] = (None if "monthly_notice_probability" in swept
                                               else repr(float(scenario.termination.monthly_notice_probability.value)))
    if "book_enforceable_rpo_usd" in outputs:
        reads["as_of"] = scenario.as_of.value.isoformat()
    prepared = prepare(scenario, outputs)
    if "other_deals_rpo_usd" in prepared:
        reads["other_deals_rpo_usd"] = repr(prepared["other_deals_rpo_usd"])
    if "market_inputs" in prepared:
        kw = dict(prepared["market_inputs"])
        m = kw.pop("market")
        kw.pop("n_paths"), kw.pop("seed")  # the sweep's, in every evaluation
        market = {"price_usd_per_h100e_hour": m.price_usd_per_h100e_hour, "drift_per_year": m.drift_per_year,
                  "volatility_per_year": m.volatility_per_year}
        for name in ("market_price_usd_per_h100e_hour", "drift_per_year", "volatility_per_year"):
            if name in swept:
                market["price_usd_per_h100e_hour" if name.startswith("market_price") else name] = None
        if "gpu_basis" in swept:
            kw["gpus_h100e"] = None
            reads["gpu_bases"] = {str(b): float(scenario.gpu_bases[str(b)].value) for b in picks.get("gpu_basis", [])}
        for party in ("buyer", "seller"):
            if f"{party}_switching_cost_months_of_fee" in swept:
                kw[f"{party}_switching_cost_usd"] = None
        reads["market"] = plain(market)
        reads["market_inputs"] = plain(kw)
    return json.loads(json.dumps(reads, sort_keys=True))


def evaluate(scenario: "Scenario", inputs: dict[str, Any], outputs: list[str], seed: int, market_paths: int,
             prepared: dict[str, Any] | None = None) -> dict[str, float]:
    """The figures ``outputs`` of ``scenario`` with ``inputs`` set (the rest as in the scenario).

    >>> from neocloud import load_scenario
    >>> sc = load_scenario("params/base.yaml")
    >>> f = evaluate(sc, {"ramp_discount": 0.5}, ["committed_floor_usd", "expected_revenue_usd"], 1, 1000)
    >>> round(f["committed_floor_usd"] / 1e9, 2), round(f["expected_revenue_usd"] / 1e9, 2)
    (6.17, 25.11)
    """
    from neocloud.model.deal import committed_floor, remaining_performance_obligation
    from neocloud.model.hazard import expected_revenue

    if prepared is None:
        prepared = prepare(scenario, outputs)


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
    from neocloud.model.exit_option import market_expected_revenue
    from neocloud.model.market import MarketModel

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
    return market_expected_revenue(t, market, **kw)  # rational_exit's expected revenue, without its tables


class EvaluationError(RuntimeError):
    """An evaluation failed: the model raised, or returned what is not a finite number for an
    output. ``str(error)`` is one line naming the evaluation, its inputs and the problem."""

    def __init__(self, evaluation: int, inputs: dict[str, Any], problem: str):
        super().__init__(evaluation, inputs, problem)  # picklable: travels back from a Dask worker
        self.evaluation, self.inputs, self.problem = evaluation, inputs, problem

    def __str__(self) -> str:
        shown = ", ".join(f"{k}={_value_text(v)}" for k, v in self.inputs.items())
        return f"evaluation {self.evaluation} ({shown}): {self.problem}"


def _value_text(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return _short(v)


def figures_of(got: Any, outputs: list[str], keep_nonfinite: bool = False) -> dict[str, float]:
    """A model function's return value as the figures ``outputs`` (floats), or ``ValueError``
    saying what is wrong: a mapping of every output to a real number (or one number for a single
    output); NaN and infinities only with ``keep_nonfinite``.

    >>> figures_of({"y": 2}, ["y"])
    {'y': 2.0}
    >>> figures_of("2", ["y"])
    Traceback (most recent call last):
    ...
    ValueError: returned '2' (a str); a model returns a number for its output y, or a mapping of outputs to numbers
    """
    if isinstance(got, Mapping):
        missing = [o for o in outputs if o not in got]
        if missing:
            returned = ", ".join(map(str, list(got)[:10])) or "nothing"
            raise ValueError(f"returned no output {', '.join(map(repr, missing))} (it returned {returned})")
        values = {o: got[o] for o in outputs}
    elif len(outputs) == 1:
        values = {outputs[0]: got}
    else:
        raise ValueError(f"returned {_short(got)} (a {type(got).__name__}); a model of several outputs returns a "
                         f"mapping of them ({', '.join(outputs)}) to numbers")
    out = {}
    for name, v in values.items():
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            if isinstance(got, Mapping):
                raise ValueError(f"returned {name} = {_short(v)} (a {type(v).__name__}); a figure is a number")
            raise ValueError(f"returned {_short(v)} (a {type(v).__name__}); a model returns a number for its output "
                             f"{name}, or a mapping of outputs to numbers")
        try:
            x = float(v)
        except OverflowError:
            raise ValueError(f"returned {name} = an integer of {len(str(abs(int(v))))} digits, too large for a "
                             "float") from None
        if not math.isfinite(x) and not keep_nonfinite:
            raise ValueError(f"returned {name} = {x}; a figure is a finite number (to keep such values, run with "
                             "--keep-nonfinite)")
        out[name] = x
    return out


def evaluate_rows(target: "Scenario | Any", rows: pd.DataFrame, outputs: list[str], market_paths: int,
                  keep_nonfinite: bool = False) -> pd.DataFrame:
    """Evaluate design rows (:func:`design_table`) of a scenario, or of a model function (called
    with the row's inputs and ``seed`` as keywords, returning a mapping of outputs or one number
    for a single output): the rows with an output column each. The first evaluation that fails
    (raises, or gives a value :func:`figures_of` refuses) raises :class:`EvaluationError`.

    >>> from neocloud.analysis.global_sensitivity import ishigami
    >>> rows = pd.DataFrame({"evaluation": [0], "seed": [1], "x1": [0.0], "x2": [0.0], "x3": [0.0]})
    >>> evaluate_rows(ishigami, rows, ["y"], 1000).y.tolist()
    [0.0]
    >>> evaluate_rows(lambda x1, x2, x3, seed: x1 / x2, rows, ["y"], 1000)
    Traceback (most recent call last):
    ...
    neocloud.analysis.sweeps.EvaluationError: evaluation 0 (x1=0, x2=0, x3=0, seed=1): the model raised ZeroDivisionError: float division by zero
    """
    inputs = [c for c in rows.columns if c not in ("evaluation", "seed")]
    prepared = None if callable(target) else prepare(target, outputs)
    results = []
    for row in rows.to_dict("records"):
        values = {k: row[k] for k in inputs}
        seed = int(row["seed"])
        try:
            if callable(target):
                got = target(**values, seed=seed)
                who = "the model"
            else:
                got = evaluate(target, values, outputs, seed, market_paths, prepared)
                who = "the scenario's evaluation"
        except Exception as e:  # the user's model may raise anything: reported with its evaluation
            raise EvaluationError(int(row["evaluation"]), {**values, "seed": seed},
                                  f"{'the model' if callable(target) else 'the evaluation'} raised "
                                  f"{type(e).__name__}: {e}") from None
        try:
            results.append(figures_of(got, outputs, keep_nonfinite))
        except ValueError as e:
            raise EvaluationError(int(row["evaluation"]), {**values, "seed": seed}, f"{who} {e}") from None
    return pd.concat([rows.reset_index(drop=True), pd.DataFrame(results, columns=outputs, dtype=float)], axis=1)


def reading_terms(scenario: "Scenario", reading_id: str) -> Any:
    """The scenario's deal under one reading of its termination terms, named by its ``id``
    (:data:`neocloud.inputs.scenario.THIS_SCENARIO`, ``"this scenario"``: the terms as they are). Labels
    are for people and never looked up; an unknown id raises ``ValueError`` naming the ids there are.

    >>> from neocloud import load_scenario
    >>> s = load_scenario("params/base.yaml")
    >>> reading_terms(s, "original_s1").earliest_notice_date.isoformat(), reading_terms(s, "this scenario").lockup_months
    ('2026-05-03', 3)
    """
    from neocloud.inputs.scenario import THIS_SCENARIO

    t = scenario.deal
    if reading_id == THIS_SCENARIO:
        return t
    reading = next((r for r in scenario.termination_readings if r.id == reading_id), None)
    if reading is None:
        known = ", ".join([repr(THIS_SCENARIO), *(repr(r.id) for r in scenario.termination_readings)])
        raise ValueError(f"no termination reading with id {reading_id!r} (the ids: {known})")
    return replace(t, lockup_months=reading.lockup_months if reading.lockup_months is not None else t.lockup_months,
                   earliest_notice_clause=reading.earliest_notice_date)


def all_choices(scenario: "Scenario", name: str) -> list[str]:
    """Every choice of a choice input in a scenario: its termination readings' ids (its own
    terms first, as ``"this scenario"``) or its GPU bases' keys."""
    if name == "termination_reading":
        return ["this scenario"] + [r.id for r in scenario.termination_readings]
    if name == "gpu_basis":
        return list(scenario.gpu_bases)
    raise ValueError(f"input {name} has no list of choices in a scenario; give a 'range' or list 'choices'")
