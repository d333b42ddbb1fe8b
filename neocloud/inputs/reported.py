"""Reported figures: what each filer reported per period, with its own definition and its source.

The shipped dataset is ``neocloud/data/reported.yaml`` (``shared/conventions.md``, "Reported
figures"): one record per figure, with the filer, the ``measure`` (``revenue`` of a named line,
``backlog``, ``rpo``, ``contracted_sales``, ``arr``), the line or scope it is of, the period it
covers (``period_start`` for flows, ``period_end`` always), the value in USD, the filer's
definition in its own words and the source (the filing itself where one exists; the page where it
was read as ``as_reported_by``).

:func:`load_reported` reads the file with the scenarios' guarded YAML reader and turns every
problem into one :class:`~neocloud.inputs.sourced.ScenarioError` naming the file, the record, the key,
the value and what is allowed.
"""

from __future__ import annotations

import datetime as dt
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import Field, ValidationError, model_validator

from neocloud.inputs.sourced import IsoDate, ScenarioError, Source, Text, _CrossFieldError, _Model, _problems, _read_yaml

Measure = Literal["revenue", "backlog", "rpo", "contracted_sales", "arr"]
"""What a reported figure measures. ``revenue`` is a flow over ``[period_start, period_end]``;
the others are stocks at the end of ``period_end`` (``arr``: a run-rate a year)."""

FLOWS = frozenset({"revenue"})

Scope = Literal["contracts", "line", "company"]
"""What a reported figure covers: ``contracts`` (the filer's compute contracts only, what a ledger
can hold), ``line`` (a whole line of business: the contracts and the line's other sales),
``company`` (every line of business of the filer)."""

RecordId = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]


class ReportedFigure(_Model):
    """One figure a filer reported for one period."""

    id: RecordId
    filer: Text
    measure: Measure
    line: Text
    """The line of business or the scope the figure is of, in the filer's terms."""
    scope: Scope
    """What the figure covers against what a ledger of compute contracts can hold."""
    period_start: IsoDate | None = None
    period_end: IsoDate
    value_usd: Annotated[float, Field(gt=0, lt=1e14, allow_inf_nan=False)]
    definition: Text
    """The filer's definition in its own words (a quote where one was found)."""
    source: Source
    as_reported_by: Source | None = None
    notes: Text | None = None

    @model_validator(mode="after")
    def _period(self) -> "ReportedFigure":
        if self.measure in FLOWS and self.period_start is None:
            raise _CrossFieldError("period_start", None, f"a {self.measure} figure covers a period: give its first day")
        if self.measure not in FLOWS and self.period_start is not None:
            raise _CrossFieldError("period_start", self.period_start,
                                   f"a {self.measure} figure is a balance at period_end: leave period_start out")
        if self.period_start is not None and self.period_start > self.period_end:
            raise _CrossFieldError("period_start", self.period_start,
                                   f"must be on or before period_end ({self.period_end})")
        if self.source.date < self.period_end:
            raise _CrossFieldError("source.date", self.source.date,
                                   f"a figure for the period ending {self.period_end} cannot be published before it")
        return self


class _ReportedFile(_Model):
    reported: list[ReportedFigure] = Field(min_length=1)


SHIPPED = "reported.yaml"


def shipped_reported_path() -> Path:
    """The path of the shipped dataset, ``neocloud/data/reported.yaml``."""
    return Path(str(files("neocloud.data").joinpath(SHIPPED)))


def load_reported(path: str | Path | None = None) -> tuple[ReportedFigure, ...]:
    """Read and validate a reported-figures file (default: the shipped one).

    Problems raise :class:`~neocloud.inputs.sourced.ScenarioError`, one line each, naming the record by
    its ``id`` (or its position when it has none), the key, the value and what is allowed.

    >>> figures = load_reported()
    >>> f = next(f for f in figures if f.id == "spacex-2026q2-contracted-sales")
    >>> f.filer, f.measure, f.period_end.isoformat(), f.value_usd
    ('SpaceX', 'contracted_sales', '2026-06-30', 14100000000.0)
    """
    p = Path(path) if path is not None else shipped_reported_path()
    data = _read_yaml(p, what="reported-figures file", example="neocloud/data/reported.yaml")
    try:
        _ReportedFile.model_validate({**data, "reported": [] if isinstance(data.get("reported"), list) else data.get("reported")})
    except ValidationError as e:
        problems = [line for line in _problems(e, _ReportedFile) if "List should have at least 1 item" not in line]
        if problems:
            raise ScenarioError(p, problems) from None
    records = data.get("reported") or []
    if not records:
        raise ScenarioError(p, ["key 'reported' holds no records (a list of figures, see neocloud/data/reported.yaml)"])
    figures, problems, seen = [], [], set()
    for i, record in enumerate(records):
        rid = record.get("id") if isinstance(record, dict) else None
        name = f"record {rid} (reported.{i})" if isinstance(rid, str) else f"record reported.{i}"
        try:
            figure = ReportedFigure.model_validate(record)
        except ValidationError as e:
            problems += [f"{name}: {line}" for line in _problems(e, ReportedFigure)]
            continue
        if figure.id in seen:
            problems.append(f"{name}: key 'id': value {figure.id!r}: each record needs its own id")
        seen.add(figure.id)
        figures.append(figure)
    if problems:
        raise ScenarioError(p, problems)
    return tuple(figures)


def reported_table(figures: "tuple[ReportedFigure, ...] | list[ReportedFigure]", filer: str | None = None) -> pd.DataFrame:
    """Reported figures as a table (one row each, by filer, measure and period end): ``id``,
    ``filer``, ``measure``, ``line``, ``period_start``, ``period_end``, ``reported_usd``,
    ``definition``, ``source_url``, ``source_date``. ``filer`` matches case-insensitively.

    >>> t = reported_table(load_reported(), "coreweave")
    >>> backlog = t[t.measure == "backlog"]
    >>> backlog.period_end.min().isoformat(), backlog.period_end.is_monotonic_increasing
    ('2024-12-31', True)
    """
    rows = [{"id": f.id, "filer": f.filer, "measure": f.measure, "line": f.line, "period_start": f.period_start,
             "period_end": f.period_end, "reported_usd": f.value_usd, "definition": f.definition,
             "source_url": f.source.url, "source_date": f.source.date}
            for f in figures if filer is None or f.filer.casefold() == filer.casefold()]
    cols = ["id", "filer", "measure", "line", "period_start", "period_end", "reported_usd", "definition",
            "source_url", "source_date"]
    return pd.DataFrame(rows, columns=cols).sort_values(["filer", "measure", "period_end"], kind="stable").reset_index(drop=True)


def reported_figure(figures: "tuple[ReportedFigure, ...] | list[ReportedFigure]", id: str) -> ReportedFigure:
    """The figure with this ``id``; an unknown id raises ``KeyError`` listing the known ones."""
    for f in figures:
        if f.id == id:
            return f
    raise KeyError(f"no reported figure {id!r}; known: {', '.join(sorted(f.id for f in figures))}")


def period_of(figure: ReportedFigure) -> tuple[dt.date | None, dt.date]:
    """``(period_start, period_end)`` of a figure (``period_start`` is None for a balance)."""
    return figure.period_start, figure.period_end


def rounding_half_width_usd(value_usd: float) -> float:
    """Half the unit of the last digit a reported figure was given to: a figure stated as $14.1B
    stands for anything from $14.05B to $14.15B. The unit is the largest power of ten (from $1) that
    divides the value.

    >>> rounding_half_width_usd(14.1e9), rounding_half_width_usd(1.6e9), rounding_half_width_usd(2_575_000_000)
    (50000000.0, 50000000.0, 500000.0)
    """
    if not value_usd > 0:
        raise ValueError(f"value_usd {value_usd} must be positive")
    unit = 1.0
    while unit * 10 <= value_usd and abs(round(value_usd / (unit * 10)) * unit * 10 - value_usd) <= 1e-6 * unit:
        unit *= 10
    return unit / 2
