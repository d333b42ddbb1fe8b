"""Scenarios: the validated, sourced inputs of every report.

A scenario is one YAML file in ``params/``. Every input is an :class:`Input`: a ``value`` plus
either a ``source`` (URL and date) or ``assumption: true`` with a ``note`` saying why. Deal terms
use the names of the conventions (``monthly_fee_usd``, ``start``, ``end``, ``ramp_months``,
``ramp_discount``, ``notice_days``, ``lockup_months``, ``capacity_mw``).

:func:`load_scenario` reads a file defensively (size, encoding, YAML aliases and depth are
checked before anything is built) and turns every problem into one :class:`ScenarioError`
whose message names the file, the key, the value and what is allowed.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)

MAX_FILE_BYTES = 256 * 1024
"""A scenario is a few kilobytes; anything larger than this is refused unread."""
MAX_YAML_DEPTH = 12
"""Deepest nesting a scenario needs is 5; deeper documents are refused while parsing."""

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2200, 12, 31)
"""Every date of a scenario lies in this range (the calendar arithmetic needs room to move)."""
MAX_TERM_YEARS = 30
"""A deal's service runs at most this many years (``end`` at most 30 years after ``start``), so
that every figure is computed in bounded time."""
MAX_MONTHS = 12 * MAX_TERM_YEARS
"""Lock-ups and ramps are counted in calendar months; none is longer than the longest term."""
MAX_USD = 1e14
"""No amount of money in a scenario exceeds USD 100 trillion (sums of them stay finite)."""

if TYPE_CHECKING:
    from collections.abc import Iterator

    from neocloud.deal import DealTerms

T = TypeVar("T")


def _iso_date(value: Any) -> dt.date:
    """Dates are written ``YYYY-MM-DD``; numbers (timestamps) and times of day are refused."""
    if isinstance(value, dt.datetime):
        raise ValueError("a date without a time of day is expected, written YYYY-MM-DD")
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("not a calendar date (check the month and day)") from None
    if isinstance(value, dt.date):
        if not MIN_DATE <= value <= MAX_DATE:
            raise ValueError(f"a date from {MIN_DATE} to {MAX_DATE} is expected")
        return value
    raise ValueError("a date written YYYY-MM-DD is expected, e.g. 2026-05-01")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]

PositiveFloat = Annotated[float, Strict(), Field(gt=0, le=1e12, allow_inf_nan=False)]
Usd = Annotated[float, Strict(), Field(gt=0, le=MAX_USD, allow_inf_nan=False)]
"""An amount of money in USD, positive and below :data:`MAX_USD`."""
Months = Annotated[int, Strict(), Field(ge=0, le=MAX_MONTHS)]
"""A number of calendar months (a lock-up, a ramp), at most :data:`MAX_MONTHS`."""
NoticeDays = Annotated[int, Strict(), Field(gt=0, le=366 * MAX_TERM_YEARS)]
Fraction = Annotated[float, Strict(), Field(ge=0, le=1, allow_inf_nan=False)]
Probability = Annotated[float, Strict(), Field(ge=0, le=1, allow_inf_nan=False)]
NonNegativeInt = Annotated[int, Strict(), Field(ge=0)]
PositiveInt = Annotated[int, Strict(), Field(gt=0)]
Growth = Annotated[float, Strict(), Field(gt=-1, lt=10, allow_inf_nan=False)]
Text = Annotated[str, Strict(), Field(min_length=1, max_length=2000)]
Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,40}$")]


class ScenarioError(ValueError):
    """A scenario file could not be used. ``str(error)`` is the message for the user.

    ``problems`` lists one line per problem (file, key, value, what is allowed).
    """

    def __init__(self, path: str | Path, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(f"{self.path}: {p}" for p in problems))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    """Where a figure was read: a URL and the date of the publication (or of reading it)."""

    url: Annotated[str, Field(pattern=r"^https?://\S+$", max_length=500)]
    date: IsoDate
    dated: Literal["published", "gathered"] = "published"
    """``published``: the article's or filing's date. ``gathered``: the source is undated, and
    ``date`` is the day by which the figure had been gathered (``shared/facts.md``)."""
    title: Text | None = None
    quote: Text | None = None
    as_reported_by: "Source | None" = None
    """The secondary page (press, a note) where the figure was read, when ``url`` is the primary
    source (the filing or the company's own release) cited by name or URL but not read itself."""


class Reading(_Model):
    """Another source's value for the same input, kept where sources disagree."""

    value: Any
    source: Source
    note: Text | None = None


def _check_sourced(item: Any, what: str) -> None:
    """Every input has a source, or is an assumption with a note saying why."""
    if item.source is None and not item.assumption:
        raise ValueError("needs a 'source' (url and date) or 'assumption: true' with a 'note'")
    if item.source is not None and item.assumption:
        raise ValueError("give either a 'source' or 'assumption: true', not both")
    if item.assumption and not item.note:
        raise ValueError(f"an assumption needs a 'note' that says why this {what}")


class Input(_Model, Generic[T]):
    """One input: a value with its source, or an explicit assumption with a note."""

    value: T
    source: Source | None = None
    assumption: bool = False
    note: Text | None = None
    other_readings: list[Reading] = Field(default_factory=list)

    @model_validator(mode="after")
    def _sourced(self) -> "Input[T]":
        _check_sourced(self, "value")
        for i, other in enumerate(self.other_readings):
            _check_like(other.value, self.value, f"other_readings.{i}.value")
        if isinstance(self.value, dt.date) and any(not isinstance(o.value, dt.date) for o in self.other_readings):
            # a date another source gives is a date, whether it was read from YAML or from JSON data
            # (the scenario a render passes to its kernels): the two must be equal
            readings = [o if isinstance(o.value, dt.date) else o.model_copy(update={"value": _iso_date(o.value)})
                        for o in self.other_readings]
            object.__setattr__(self, "other_readings", readings)
        return self


def _check_like(other: Any, value: Any, key: str) -> None:
    """Another source's reading is a value of the same kind as the input's own (a finite number
    for a number, a date for a date), so that every report can compute with it."""
    import math

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(other, bool) or not isinstance(other, (int, float)) or not math.isfinite(other) or abs(other) > MAX_USD:
            raise _CrossFieldError(key, other, f"a number like the input's own value ({value!r}) is expected"
                                   + (number_hint(other) if isinstance(other, str) else ""))
    elif isinstance(value, dt.date):
        try:
            _iso_date(other)
        except ValueError as e:
            raise _CrossFieldError(key, other, str(e)) from None


class Terms(_Model):
    """The deal terms, named as in the conventions. ``earliest_notice_date`` is for clauses that
    name a date ("90 days' notice after 31 December 2026": 2027-01-01); it replaces the lock-up
    rule, and ``lockup_months`` is then ignored."""

    monthly_fee_usd: Input[Usd]
    start: Input[IsoDate]
    end: Input[IsoDate]
    ramp_months: Input[Months]
    ramp_discount: Input[Fraction]
    notice_days: Input[NoticeDays]  # at least one day: notice takes effect after the day it is served
    lockup_months: Input[Months]
    capacity_mw: Input[PositiveFloat]
    earliest_notice_date: Input[IsoDate] | None = None

    def deal_terms(self, signed: dt.date | None) -> "DealTerms":
        """These terms as plain values (the form the maths takes), with the signing date."""
        from neocloud.deal import DealTerms

        values = {k: getattr(self, k).value for k in type(self).model_fields if k != "earliest_notice_date"}
        clause = self.earliest_notice_date.value if self.earliest_notice_date is not None else None
        return DealTerms(**values, earliest_notice_clause=clause, signed=signed)


def _check_terms(terms: "DealTerms", prefix: str, signed_key: str) -> None:
    """The cross-field rules of one deal's terms (``prefix`` names where they are in the file)."""
    t = terms
    if t.end < t.start:
        raise _CrossFieldError(f"{prefix}terms.end.value", t.end, f"must be on or after terms.start ({t.start})")
    from neocloud.deal import add_months

    latest_end = add_months(t.start, MAX_MONTHS)
    if t.end > latest_end:
        raise _CrossFieldError(
            f"{prefix}terms.end.value", t.end,
            f"must be at most {MAX_TERM_YEARS} years after terms.start ({t.start}), i.e. on or before {latest_end}",
        )
    if t.lockup_months > t.months and t.earliest_notice_clause is None:
        raise _CrossFieldError(
            f"{prefix}terms.lockup_months.value", t.lockup_months,
            f"must be at most the {t.months} calendar months of the term (a lock-up within the term)",
        )
    if t.ramp_months > t.months:
        raise _CrossFieldError(
            f"{prefix}terms.ramp_months.value", t.ramp_months,
            f"must be at most the {t.months} calendar months of the term",
        )
    if t.notice_days > t.term_days:
        raise _CrossFieldError(
            f"{prefix}terms.notice_days.value", t.notice_days,
            f"must be at most the {t.term_days} days of the term ({t.start} to {t.end})",
        )
    if t.earliest_notice_date > t.end:
        if t.notice_rule.startswith("the signing"):
            key, value = signed_key, t.signed
        elif t.earliest_notice_clause is not None:
            key, value = f"{prefix}terms.earliest_notice_date.value", t.earliest_notice_clause
        else:
            key, value = f"{prefix}terms.lockup_months.value", t.lockup_months
        raise _CrossFieldError(
            key, value,
            f"lets the first notice fall on {t.earliest_notice_date} ({t.notice_rule}), after the end ({t.end})",
        )


class KeyDates(_Model):
    """Dates drawn on the reports' timelines (never the wall-clock date)."""

    signed: Input[IsoDate]
    announced: Input[IsoDate]
    ipo: Input[IsoDate]


class GpuBasis(Input[PositiveInt]):
    """A GPU count on which to price the deal per GPU-hour."""

    label: Text


class MarketPrice(Input[PositiveFloat]):
    """A market rental price in USD per GPU-hour, with the date it was observed and its basis
    (what is bought: a 1-year contract, on-demand, a list price...)."""

    label: Text
    observed: IsoDate
    basis: Literal["1-year contract", "on-demand", "spot", "list", "dedicated cluster"] | None = None


class Headline(_Model):
    """A figure reported in the press, to reconcile against the model."""

    label: Text
    value_usd: Usd
    kind: Literal["total", "annual"]
    comparison: Literal["over", "about"]
    tolerance: Fraction = 0.0
    source: Source
    note: Text | None = None


class BetaPrior(_Model):
    """Uncertainty about the monthly notice probability: Beta(alpha, beta), an assumption."""

    alpha: PositiveFloat
    beta: PositiveFloat
    note: Text


class Termination(_Model):
    """Inputs of the hazard model of notice."""

    monthly_notice_probability: Input[Probability]
    probability_prior: BetaPrior
    monte_carlo_paths: Annotated[int, Strict(), Field(ge=1000, le=5_000_000)]
    seed: NonNegativeInt


class Seller(_Model):
    """The seller's side: its revenue without the deal, its costs and its reporting calendar."""

    ledger_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9 .,&()'-]{0,79}$")] | None = None
    """The seller as the ledger and the reported figures name it (``neocloud/data/contracts.yaml``,
    ``reported.yaml``): the reports hold the book against what this filer reported."""

    baseline_revenue_usd_per_year: Input[Usd]
    baseline_year: Annotated[int, Strict(), Field(ge=2000, le=2100)]
    baseline_growth_per_year: Input[Growth]
    fiscal_year_end_month: Annotated[int, Strict(), Field(ge=1, le=12)] = 12
    owner_cost_usd_per_mw_year: Input[Usd]
    all_in_capex_usd_per_mw: Input[Usd]
    precedent_concentration: Input[Fraction]
    segment_revenue: list[ReportedRevenue] = Field(default_factory=list)
    """Revenue the seller reported for its AI segment, shown beside the book."""


Drift = Annotated[float, Strict(), Field(ge=-2, le=2, allow_inf_nan=False)]
Volatility = Annotated[float, Strict(), Field(ge=0, le=3, allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, Strict(), Field(ge=0, allow_inf_nan=False)]
Rate = Annotated[float, Strict(), Field(ge=0, le=1, allow_inf_nan=False)]


class MarketSection(_Model):
    """Inputs of the market-driven exit model (``neocloud.exit_option``). The drift and
    volatility default to the fit of the shipped price panel (``neocloud.market.calibrate_gbm``);
    give them to override it. Switching costs are in months of each deal's full fee, so that
    every deal of a book gets its own."""

    price_usd_per_h100e_hour: Input[PositiveFloat]
    drift_per_year: Input[Drift] | None = None
    volatility_per_year: Input[Volatility] | None = None
    buyer_switching_cost_months_of_fee: Input[NonNegativeFloat]
    seller_switching_cost_months_of_fee: Input[NonNegativeFloat]
    discount_rate_per_year: Input[Rate]
    monte_carlo_paths: Annotated[int, Strict(), Field(ge=100, le=1_000_000)]
    seed: NonNegativeInt


class DeliveryClause(_Model):
    """A buyer's right to walk away if the capacity is not delivered in time: if it is not
    delivered by ``deadline``, the buyer may terminate at once after ``grace_months``."""

    deadline: Input[IsoDate]
    grace_months: Input[Months]


class OtherDeal(_Model):
    """Another compute contract of the same seller, read with the scenario's deal as its book.

    Each has its own sourced terms and clauses; undisclosed terms are assumptions with a note.
    """

    deal_name: Text
    buyer_name: Text
    contract: Annotated[str, Strict(), Field(min_length=1, max_length=100)] | None = None
    """The ledger id of the contract this deal was read from (``book``), or None for a deal given inline."""
    site: Text | None = None
    signed: Input[IsoDate]
    terms: Terms
    gpus: GpuBasis
    gpus_h100e: Input[PositiveFloat]
    delivery: DeliveryClause | None = None
    headlines: list[Headline] = Field(default_factory=list)

    @property
    def deal(self) -> "DealTerms":
        """This deal's terms as plain values, with its signing date."""
        return self.terms.deal_terms(self.signed.value)


THIS_SCENARIO = "this scenario"
"""The label (and the identity, in sweeps and report controls) of the scenario's own reading of
its termination terms. It is not a :data:`Key`, so no reading's ``id`` can take it."""


class TerminationReading(_Model):
    """One reading of the scenario deal's termination terms, where sources word them
    differently: the rule it gives (a lock-up in months, or a first notice date) and its source.
    ``id`` is its identity (sweeps and report controls name it); ``label`` is what people read."""

    id: Key
    label: Text
    lockup_months: Months | None = None
    earliest_notice_date: IsoDate | None = None
    source: Source | None = None
    assumption: bool = False
    note: Text | None = None
    scenario: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,80}$")] | None = None
    """The scenario file (stem) that reports this reading in full."""

    @model_validator(mode="after")
    def _one_rule(self) -> "TerminationReading":
        if (self.lockup_months is None) == (self.earliest_notice_date is None):
            raise ValueError("give either 'lockup_months' or 'earliest_notice_date'")
        _check_sourced(self, "reading")
        return self


RevenueUsd = Annotated[float, Strict(), Field(ge=0, le=MAX_USD, allow_inf_nan=False)]


class ReportedRevenue(Input[RevenueUsd]):
    """A revenue figure the seller reported for a period (e.g. its AI segment), in USD; the
    period runs from ``period_start`` to ``period_end`` (both inclusive, in that order)."""

    label: Text
    period_start: IsoDate
    period_end: IsoDate

    @model_validator(mode="after")
    def _period_in_order(self) -> "ReportedRevenue":
        if self.period_end < self.period_start:
            raise _CrossFieldError("period_end", self.period_end,
                                   f"must be on or after period_start ({self.period_start})")
        return self


class BookRef(_Model):
    """The book a scenario reads from the contract ledger (``neocloud/data/contracts.yaml``):
    ``seller`` names the seller as the ledger does (any case), ``deal`` the id of the contract the
    reports are about (optional: without it the deal is given inline in ``terms``). See
    :func:`expand_book`."""

    seller: Annotated[str, Strict(), Field(min_length=1, max_length=200)]
    deal: Annotated[str, Strict(), Field(min_length=1, max_length=100)] | None = None


class Scenario(_Model):
    """One validated scenario. Build it with :func:`load_scenario` or ``Scenario.model_validate``.

    >>> s = load_scenario("params/base.yaml")
    >>> s.terms.monthly_fee_usd.value, s.terms.start.value.isoformat()
    (1250000000.0, '2026-05-01')
    """

    title: Text
    question: Text
    deal_name: Text
    seller_name: Text
    buyer_name: Text
    as_of: Input[IsoDate]
    terms: Terms
    key_dates: KeyDates
    gpu_bases: dict[Key, GpuBasis] = Field(min_length=1)
    market_prices: dict[Key, MarketPrice] = Field(min_length=1)
    headlines: list[Headline] = Field(default_factory=list)
    termination: Termination
    seller: Seller
    other_deals: list[OtherDeal] = Field(default_factory=list)
    """The seller's other compute contracts on the reporting date: with the scenario's deal,
    the seller's book (``neocloud.book``)."""
    termination_readings: list[TerminationReading] = Field(default_factory=list)
    """Every reading of this deal's termination terms, to show the range they give."""
    market: MarketSection | None = None
    """The GPU market the exit model prices the termination right against."""
    book: BookRef | None = None
    """The book read from the ledger: the deal's terms (``book.deal``) and the seller's other deals
    signed by the reporting date; ``terms`` then overrides single terms (:func:`expand_book`)."""

    @model_validator(mode="before")
    @classmethod
    def _from_ledger(cls, data: Any) -> Any:
        return expand_book(data)

    @field_validator("title")
    @classmethod
    def _one_line(cls, v: str) -> str:
        if "\n" in v:
            raise ValueError("a title is one line")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "Scenario":
        start, end = self.terms.start.value, self.terms.end.value
        if end < start:  # checked first: DealTerms refuses such terms
            raise _CrossFieldError("terms.end.value", end, f"must be on or after terms.start ({start})")
        _check_terms(self.deal, "", "key_dates.signed.value")
        names = {self.deal_name}
        for i, other in enumerate(self.other_deals):
            o_start, o_end = other.terms.start.value, other.terms.end.value
            if o_end < o_start:
                raise _CrossFieldError(f"other_deals.{i}.terms.end.value", o_end,
                                       f"must be on or after other_deals.{i}.terms.start ({o_start})")
            _check_terms(other.deal, f"other_deals.{i}.", f"other_deals.{i}.signed.value")
            if other.deal_name in names:
                raise _CrossFieldError(f"other_deals.{i}.deal_name", other.deal_name,
                                       "each deal of a book needs its own name")
            names.add(other.deal_name)
        self._check_readings()
        return self

    def _check_readings(self) -> None:
        """Readings of the termination terms are checked as terms are: each gives a first notice
        on or before the end and a lock-up within the term; ids and labels are unique, and no
        label is the scenario's own (``"this scenario"``)."""
        from dataclasses import replace

        base = self.deal
        ids: set[str] = set()
        labels: dict[str, int] = {}
        for i, r in enumerate(self.termination_readings):
            key = f"termination_readings.{i}"
            if r.id in ids:
                raise _CrossFieldError(f"{key}.id", r.id, "each reading needs its own id")
            ids.add(r.id)
            norm = " ".join(r.label.split()).casefold()
            if norm == THIS_SCENARIO:
                raise _CrossFieldError(f"{key}.label", r.label,
                                       f"'{THIS_SCENARIO}' names the scenario's own reading; give this reading its own label")
            if norm in labels:
                raise _CrossFieldError(f"{key}.label", r.label,
                                       f"the same label as termination_readings.{labels[norm]}; each reading needs its own")
            labels[norm] = i
            if r.lockup_months is not None and r.lockup_months > base.months:
                raise _CrossFieldError(f"{key}.lockup_months", r.lockup_months,
                                       f"must be at most the {base.months} calendar months of the term (a lock-up within the term)")
            t = replace(base, lockup_months=r.lockup_months if r.lockup_months is not None else base.lockup_months,
                        earliest_notice_clause=r.earliest_notice_date)
            if t.earliest_notice_date > base.end:
                field = "lockup_months" if r.lockup_months is not None else "earliest_notice_date"
                raise _CrossFieldError(f"{key}.{field}", getattr(r, field),
                                       f"lets the first notice fall on {t.earliest_notice_date} ({t.notice_rule}), "
                                       f"after the end ({base.end})")

    @property
    def deal(self) -> "DealTerms":
        """The deal terms as plain values, the form the maths takes (with the signing date:
        no notice before it)."""
        return self.terms.deal_terms(self.key_dates.signed.value)

    def inputs(self) -> list[tuple[str, Any, Input[Any]]]:
        """Every sourced input as ``(dotted key, value, Input)``, in file order."""
        out: list[tuple[str, Any, Input[Any]]] = []

        def walk(prefix: str, obj: Any) -> None:
            if isinstance(obj, Input):
                out.append((prefix, obj.value, obj))
            elif isinstance(obj, BaseModel):
                for name in type(obj).model_fields:
                    walk(f"{prefix}.{name}" if prefix else name, getattr(obj, name))
            elif isinstance(obj, dict):
                for k, v in obj.items():
                    walk(f"{prefix}.{k}", v)
            elif isinstance(obj, list):
                for i, v in enumerate(obj):
                    walk(f"{prefix}.{i}", v)

        walk("", self)
        return out

    def inputs_date(self, published_only: bool = False) -> dt.date:
        """The date of the newest source behind this scenario ("inputs as of"); with
        ``published_only``, of the newest dated publication (an undated source's date is the day
        it was read, not when its figure became known)."""
        sources = [i.source for _, _, i in self.inputs() if i.source is not None]
        sources += [h.source for h in self.headlines]
        sources += [h.source for o in self.other_deals for h in o.headlines]
        sources += [r.source for r in self.termination_readings if r.source is not None]
        dates = [x.date for x in sources if not published_only or x.dated == "published"]
        return max(dates) if dates else self.as_of.value


class _CrossFieldError(ValueError):
    def __init__(self, key: str, value: Any, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"{key} = {value!r}: {allowed}")


# --------------------------------------------------------------------------------------------
# A book named from the ledger

BOOK_EXAMPLE = "book: {seller: SpaceX, deal: spacex-anthropic-colossus-1}"


def _fact(item: Any) -> dict[str, Any]:
    """A ledger field as a scenario input: its value with its own source or assumption note."""
    return item.model_dump(exclude_defaults=True, exclude={"basis"})


def _assumed(value: Any, note: str) -> dict[str, Any]:
    return {"value": value, "assumption": True, "note": note}


def _ledger_terms(c: Any) -> dict[str, Any]:
    """A ledger record's terms as the inputs of a scenario's ``terms`` (the names of
    :class:`Terms`), each with the record's own source or assumption note; what the record does not
    give is an assumption saying so. ``capacity_mw`` is left out where the record gives none."""
    t = c.termination
    out: dict[str, Any] = {}
    if c.monthly_fee_usd is not None:
        out["monthly_fee_usd"] = _fact(c.monthly_fee_usd)
    else:
        total = _fact(c.total_usd)
        spread = (f"The ledger gives the total, ${c.total_usd.value:,.0f} over the term; the monthly fee spreads it "
                  "by daily accrual (conventions, 'Fee given as a total').")
        total["note"] = f"{total['note']} {spread}" if total.get("note") else spread
        out["monthly_fee_usd"] = {**total, "value": c.monthly_fee_usd_resolved}
    out["start"], out["end"] = _fact(c.start), _fact(c.end)
    out["ramp_months"] = _fact(c.ramp_months) if c.ramp_months is not None else _assumed(
        0, f"The ledger record {c.id} gives no ramp.")
    out["ramp_discount"] = _fact(c.ramp_discount) if c.ramp_discount is not None else _assumed(
        0.0, f"The ledger record {c.id} gives no ramp, so no discount.")
    out["notice_days"] = _fact(t.notice_days)
    if t.lockup_months is not None:
        out["lockup_months"] = _fact(t.lockup_months)
    elif t.earliest_notice_date is not None:
        out["lockup_months"] = _assumed(0, f"The ledger record {c.id} gives a dated clause (earliest_notice_date) "
                                           "instead of a lock-up.")
    else:
        out["lockup_months"] = _assumed(0, f"The ledger record {c.id} gives no lock-up: notice from the signing.")
    if t.earliest_notice_date is not None:
        out["earliest_notice_date"] = _fact(t.earliest_notice_date)
    if c.capacity_mw is not None:
        out["capacity_mw"] = _fact(c.capacity_mw)
    return out


def _unreadable(c: Any, other: bool) -> list[str]:
    """What of a ledger record a scenario's book cannot hold (empty: all of it)."""
    out = []
    if c.termination.kind == "none":
        out.append("take-or-pay terms (termination.kind: none)")
    if c.delivery_steps:
        out.append("delivery_steps")
    if other:
        out += [f"no {k}" for k in ("capacity_mw", "gpus", "gpus_h100e") if getattr(c, k) is None]
    return out


def _other_deal(c: Any) -> dict[str, Any]:
    """A ledger record as one of a scenario's ``other_deals``."""
    deal: dict[str, Any] = {
        "deal_name": c.display_name, "buyer_name": c.buyer, "contract": c.id, "signed": _fact(c.signed),
        "terms": _ledger_terms(c),
        "gpus": {**_fact(c.gpus), "value": int(round(c.gpus.value)), "label": f"GPU count ({c.display_name})"},
        "gpus_h100e": _fact(c.gpus_h100e),
    }
    f = c.delivery_failure
    if f is not None:
        deal["delivery"] = {"deadline": _fact(f.deadline), "grace_months": _fact(f.grace_months) if f.grace_months is not None
                            else _assumed(0, f"The ledger record {c.id} gives no grace after the delivery deadline.")}
    return deal


def _period_label(start: dt.date, end: dt.date) -> str:
    """A reported period in words: a calendar year (``2025``), a calendar quarter (``Q1 2026``),
    else its first and last days."""
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    if start.day == 1 and start.month % 3 == 1 and start.year == end.year and end.month == start.month + 2 and (end + dt.timedelta(days=1)).day == 1:
        return f"Q{(start.month + 2) // 3} {start.year}"
    return f"{start.isoformat()} to {end.isoformat()}"


def _reported_segment_revenue(seller: str, as_of: dt.date) -> list[dict[str, Any]]:
    """The seller's AI-segment revenue as its filings reported it (``neocloud/data/reported.yaml``:
    revenue of a line named "AI segment ...") and as known on ``as_of``: periods ended and
    figures published by then, each with its source; in period order.

    >>> [(r["label"], r["value"]) for r in _reported_segment_revenue("SpaceX", dt.date(2026, 6, 30))]
    [('2025', 3200000000.0), ('Q1 2026', 818000000.0)]
    """
    from neocloud.reported import load_reported

    try:
        figures = load_reported()
    except ScenarioError:  # the file's own problem: check reports it where it is read
        return []
    mine = [f for f in figures if f.filer.casefold() == seller.casefold() and f.measure == "revenue" and f.scope == "line"
            and f.line.casefold().startswith("ai segment") and f.period_start is not None
            and f.period_end <= as_of and f.source.date <= as_of]
    return [{"label": _period_label(f.period_start, f.period_end), "period_start": f.period_start, "period_end": f.period_end,
             "value": float(f.value_usd), "source": f.source.model_dump(exclude_defaults=True),
             **({"note": f.notes} if f.notes else {})}
            for f in sorted(mine, key=lambda f: (f.period_end, f.period_start))]  # type: ignore[arg-type, return-value]


def expand_book(data: Any) -> Any:
    """Scenario data with its ``book`` read from the shipped ledger (``neocloud/data/contracts.yaml``,
    read once per process): the form ``book: {seller: NAME, deal: ID}``.

    * ``terms``: the ledger record ``deal``'s terms, each input with the record's own source or
      assumption note; a term the scenario gives in ``terms`` replaces the ledger's (a reading of
      the terms: ``lockup_months``, ``earliest_notice_date``, ``ramp_discount``..., with its own
      source or assumption). Without ``deal``
      the deal is given inline in ``terms``, whole.
    * ``other_deals``: the seller's other contracts signed by the reporting date (``as_of``): the
      book on that date (conventions, "A book at a reporting date"). Given in the scenario, they
      replace the ledger's (a list replaces a list, as with ``extends``).
    * ``key_dates.signed``, ``deal_name``, ``buyer_name``, ``seller_name`` and
      ``seller.ledger_name``: the record's, unless the scenario gives them.
    * ``seller.segment_revenue``: the seller's AI-segment revenue as reported
      (``neocloud/data/reported.yaml``) and known on the reporting date, unless given.

    The scenario's own deal is read whatever its signing date (it is what the scenario asks about;
    a deal signed after ``as_of`` is warned of by ``check`` as before). A record the scenario
    format cannot hold (take-or-pay terms, delivery steps; another deal without capacity or GPU
    counts) is an error naming it: give such a book inline. Problems raise the cross-field error
    of a key (``book.seller``, ``book.deal``), which :func:`validate_scenario` reports with the
    file, the value and what is allowed. Data without ``book`` is returned as it is.

    >>> d = expand_book({"book": {"seller": "spacex", "deal": "spacex-anthropic-colossus-1"},
    ...                  "as_of": {"value": "2026-06-30"}, "terms": {"ramp_discount": {"value": 1.0, "assumption": True, "note": "n"}}})
    >>> d["terms"]["monthly_fee_usd"]["value"], d["terms"]["ramp_discount"]["value"], d["seller_name"]
    (1250000000.0, 1.0, 'SpaceX')
    >>> [(o["deal_name"], str(o["signed"]["value"])) for o in d["other_deals"]]   # signed by 30 June 2026
    [('Google - SpaceX', '2026-06-05'), ('Reflection AI - SpaceX, Colossus 2', '2026-06-22')]
    >>> expand_book({"book": {"seller": "SpaceX", "deal": "spacex-nope"}, "as_of": {"value": "2026-06-30"}})
    Traceback (most recent call last):
    ...
    neocloud.scenario._CrossFieldError: book.deal = 'spacex-nope': no contract of that id in neocloud/data/contracts.yaml; SpaceX's contracts: spacex-anthropic-colossus-1, spacex-google, spacex-reflection-ai, spacex-undisclosed-q3-2026
    """
    if not isinstance(data, dict) or data.get("book") is None:
        return data
    ref = data["book"]
    if not isinstance(ref, dict):
        raise _CrossFieldError("book", ref, f"a mapping naming the seller and the deal's contract id, e.g. {BOOK_EXAMPLE}")
    unknown = sorted(str(k) for k in ref if k not in ("seller", "deal"))
    if unknown:
        raise _CrossFieldError(f"book.{unknown[0]}", ref[unknown[0]], "not a key of book (allowed here: deal, seller)")
    seller, deal_id = ref.get("seller"), ref.get("deal")
    if not isinstance(seller, str) or not seller.strip():
        raise _CrossFieldError("book.seller", seller, f"the seller as the ledger names it, e.g. {BOOK_EXAMPLE}")
    if deal_id is not None and (not isinstance(deal_id, str) or not deal_id.strip()):
        raise _CrossFieldError("book.deal", deal_id, f"a contract id of the ledger, e.g. {BOOK_EXAMPLE}")
    from neocloud.ledger import load_ledger, seller_name

    where = "neocloud/data/contracts.yaml"
    try:
        ledger = load_ledger()
    except ScenarioError as e:
        raise _CrossFieldError("book", ref, f"the ledger cannot be read ({e.problems[0]})") from None
    name = seller_name(ledger, seller, missing_ok=True)
    if name is None:
        raise _CrossFieldError("book.seller", seller, f"no seller of that name in {where}; known sellers: "
                                                      f"{', '.join(ledger.sellers)}")
    own = [c for c in ledger.contracts if c.seller == name]
    data = dict(data)
    contract = None
    if deal_id is not None:
        contract = next((c for c in ledger.contracts if c.id == deal_id.strip()), None)
        if contract is None or contract.seller != name:
            whose = f"a contract of {contract.seller}, not of {name}" if contract is not None else f"no contract of that id in {where}"
            raise _CrossFieldError("book.deal", deal_id, f"{whose}; {name}'s contracts: {', '.join(c.id for c in own)}")
        cannot = _unreadable(contract, other=False)
        if cannot:
            raise _CrossFieldError("book.deal", deal_id, f"the ledger record has {' and '.join(cannot)}, which a scenario's "
                                   "deal cannot hold yet; give the deal inline (terms) or read it with `neocloud ledger`")
        terms = _ledger_terms(contract)
        given = data.get("terms", {})
        if isinstance(given, dict):
            for k, v in given.items():
                if v is None:
                    terms.pop(k, None)
                else:
                    terms[k] = v
            if "capacity_mw" not in terms:
                raise _CrossFieldError("book.deal", deal_id, "the ledger record gives no capacity_mw; give terms.capacity_mw "
                                       "in the scenario (with its source, or an assumption with a note)")
            data["terms"] = terms
        key_dates = data.get("key_dates")
        if key_dates is None or isinstance(key_dates, dict) and "signed" not in key_dates:
            data["key_dates"] = {**(key_dates or {}), "signed": _fact(contract.signed)}
        data.setdefault("deal_name", contract.display_name)
        data.setdefault("buyer_name", contract.buyer)
    data.setdefault("seller_name", name)
    try:
        as_of: dt.date | None = _iso_date(data["as_of"]["value"])
    except (KeyError, TypeError, ValueError):
        as_of = None  # the reporting date's own problem is reported by validation
    seller_data = data.get("seller")
    if isinstance(seller_data, dict):
        given_name = seller_data.get("ledger_name")
        if given_name is None:
            seller_data = data["seller"] = {"ledger_name": name, **seller_data}
        elif not isinstance(given_name, str) or seller_name(ledger, given_name, missing_ok=True) != name:
            raise _CrossFieldError("seller.ledger_name", given_name, f"names another seller than book.seller ({name!r}); "
                                   "drop it (the book names the seller)")
        if "segment_revenue" not in seller_data and as_of is not None:
            data["seller"] = {**seller_data, "segment_revenue": _reported_segment_revenue(name, as_of)}
    if "other_deals" not in data:
        if as_of is None:
            return data
        others = [c for c in own if c is not contract and c.signed.value <= as_of]
        bad = [(c.id, _unreadable(c, other=True)) for c in others]
        bad = [(i, why) for i, why in bad if why]
        if bad:
            listed = "; ".join(f"{i}: {', '.join(why)}" for i, why in bad)
            raise _CrossFieldError("book.seller", seller, f"the book at {as_of} holds contracts a scenario cannot read yet "
                                   f"({listed}); give other_deals inline, or see `neocloud ledger --seller {name}`")
        data["other_deals"] = [_other_deal(c) for c in others]
    return data


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format, for editors (``params/scenario.schema.json``). A
    file with ``extends`` is checked against a partial form of it (no key required, ``null`` to
    remove a key), as it states only what differs from the scenario it extends.

    >>> schema = scenario_json_schema()
    >>> sorted(schema["else"]["else"]["properties"])[:3], schema["if"], schema["else"]["if"]
    (['as_of', 'book', 'buyer_name'], {'required': ['extends']}, {'required': ['book']})
    """
    strict = Scenario.model_json_schema(mode="validation")
    defs = strict.pop("$defs", {})
    partial = json.loads(json.dumps({"top": strict, "defs": defs}).replace('"#/$defs/', '"#/$defs/Partial'))
    _relax(partial)
    partial["top"]["properties"]["extends"] = {
        "type": "string", "title": "Extends",
        "description": "A scenario file (relative to this one) that this file refines: mappings merge key by key, "
                       "an input or a source replaces the other's whole, lists and values replace, null removes "
                       "a key (neocloud.scenario.read_scenario_data).",
    }
    # with a book, the ledger gives the deal's terms, its signing date and names: terms overrides
    book_form = json.loads(json.dumps(strict))
    book_form["required"] = [k for k in strict["required"] if k not in _FROM_BOOK]
    book_form["properties"]["terms"] = {
        "$ref": "#/$defs/PartialTerms",
        "description": "With book.deal: only the terms this scenario changes, each replacing the ledger record's "
                       "(with its own source or assumption note) (neocloud.scenario.expand_book).",
    }
    book_form["properties"]["key_dates"] = {"$ref": "#/$defs/PartialKeyDates",
                                            "description": "signed: the ledger record's unless given."}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "neocloud scenario",
        "$defs": {**defs, **{f"Partial{k}": v for k, v in partial["defs"].items()}},
        "if": {"required": ["extends"]},
        "then": partial["top"],
        "else": {"if": {"required": ["book"]}, "then": book_form, "else": strict},
    }


_FROM_BOOK = ("terms", "deal_name", "buyer_name", "seller_name")
"""Keys a scenario with a ``book`` need not give (:func:`expand_book` reads them from the ledger)."""


def _relax(node: Any) -> None:
    """A schema made partial in place: no key required, and any object's value may be null."""
    if isinstance(node, dict):
        node.pop("required", None)
        for key in ("properties", "patternProperties"):
            for name, item in list(node.get(key, {}).items()):
                _relax(item)
                node[key][name] = {"anyOf": [item, {"type": "null"}]}
        for key, item in node.items():
            if key not in ("properties", "patternProperties"):
                _relax(item)
    elif isinstance(node, list):
        for item in node:
            _relax(item)


# --------------------------------------------------------------------------------------------
# Reading files


class _GuardedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases (no billion laughs) and deep nesting."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                None, None,
                "YAML aliases (*name) are not allowed in a scenario; write the value out",
                event.start_mark,
            )
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise yaml.MarkedYAMLError(
                    None, None,
                    f"nesting deeper than {MAX_YAML_DEPTH} levels; a scenario needs at most 6",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:  # type: ignore[override]
        """A key written twice in one mapping is an error (YAML would keep the last silently)."""
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str) and key in seen:
                raise yaml.MarkedYAMLError(
                    None, None, f"the key '{key}' is written twice in the same mapping (first on line "
                    f"{seen[key].line + 1}); keep one", key_node.start_mark)
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: Any) -> Any:  # type: ignore[override]
        """An unquoted date that is not a calendar date (2026-13-01, 2026-02-30) stays text, so
        that validation names the file, the key and the value instead of PyYAML raising."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_GuardedLoader.add_constructor("tag:yaml.org,2002:timestamp", _GuardedLoader.construct_yaml_timestamp)

_FLOAT_FORMS = re.compile(r"""^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$""")
"""Scientific notation as people write it (``1.25e9``, ``1.25E9``, ``1e9``, ``-2.5e-3``): YAML 1.1,
which PyYAML follows, reads these as text (it wants a dot and a signed exponent, ``1.25e+9``)."""
_GuardedLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_FORMS, list("-+0123456789."))


def number_hint(text: str) -> str:
    """What to write instead of a number typed in a form the loader does not read as a number
    (``"1,000"``, ``$2.65``, ``1000 MW``, ``5%``, a quoted number): a clause to append to the
    message, or ``""`` when the text does not look like a number at all.

    >>> number_hint("1,250,000,000"), number_hint("$2.65"), number_hint("300 MW")
    ('; write 1250000000 (no thousands separators)', '; write 2.65 (the unit is in the key name)', '; write 300 (the unit is in the key name)')
    >>> number_hint("5%"), number_hint("1.25e9"), number_hint("Colossus")
    ('; write 0.05 for 5% (a fraction)', '; write 1.25e9 without quotes (it is a number, not text)', '')
    """
    t = text.strip()
    m = re.fullmatch(r"([-+]?[0-9][0-9_.]*(?:[eE][-+]?[0-9]+)?)\s*%", t)
    if m and _as_number(m.group(1)) is not None:
        return f"; write {_as_number(m.group(1)) / 100:g} for {t} (a fraction)"
    if _as_number(t) is not None:
        return f"; write {t} without quotes (it is a number, not text)"
    if re.fullmatch(r"[-+]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?", t):
        return f"; write {t.replace(',', '')} (no thousands separators)"
    m = re.fullmatch(r"(?:US)?\$\s*([-+]?[0-9][0-9_.,]*(?:[eE][-+]?[0-9]+)?)\s*(?:USD)?|"
                     r"([-+]?[0-9][0-9_.,]*(?:[eE][-+]?[0-9]+)?)\s*(?:USD|MW|GW|kW|%|[A-Za-z][A-Za-z /-]*)", t)
    if m:
        number = (m.group(1) or m.group(2)).replace(",", "")
        if _as_number(number) is not None:
            return f"; write {number} (the unit is in the key name)"
    return ""


def _as_number(text: str) -> float | None:
    """``text`` as a finite float if Python reads it as one (``1_000``, ``1.25e9``), else None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


_READ_ONCE: "dict[str, Any] | None" = None
"""Inside :func:`each_file_read_once`: the data of each YAML file read so far, by resolved path."""


@contextlib.contextmanager
def each_file_read_once() -> "Iterator[None]":
    """Within this block, each YAML file (a scenario, what it ``extends``, a ledger) is opened and
    parsed once and its data reused (``neocloud render``: every scenario extending
    ``base.yaml`` reads it once in all). Problems are never kept: a bad file fails each time.

    >>> with each_file_read_once():
    ...     load_scenario("params/early_exit.yaml") == load_scenario("params/early_exit.yaml")
    True
    """
    global _READ_ONCE
    outer = _READ_ONCE
    _READ_ONCE = {} if outer is None else outer
    try:
        yield
    finally:
        _READ_ONCE = outer


def _read_yaml(path: Path, what: str = "scenario", example: str = "params/base.yaml") -> Any:
    """A YAML file read with the guarded loader; every problem a :class:`ScenarioError` that says
    what the file should be (``what``, like ``example``)."""
    memo, memo_key = _READ_ONCE, str(Path(path).resolve())
    if memo is not None and memo_key in memo:
        return copy.deepcopy(memo[memo_key])
    if not path.exists():
        raise ScenarioError(path, ["file not found"])
    if not path.is_file():
        raise ScenarioError(path, [f"not a file (give the path of a .yaml {what})"])
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ScenarioError(
            path, [f"file is {size:,} bytes; a {what} may be at most {MAX_FILE_BYTES:,} bytes"]
        )
    if path.is_symlink() and path.resolve().suffix.lower() not in (".yaml", ".yml"):
        raise ScenarioError(path, [f"is a link to {path.resolve()}, not to a .yaml {what}; give the {what} file itself"])
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ScenarioError(path, ["file is UTF-16 text; save it as UTF-8"])
    if b"\x00" in raw:
        raise ScenarioError(path, [f"file is binary (has NUL bytes); a {what} is YAML text"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ScenarioError(path, [f"file is not UTF-8 text (byte {e.start}); save it as UTF-8"]) from None
    if not text.strip():
        raise ScenarioError(path, [f"file is empty; a {what} is a YAML mapping (see {example})"])
    try:
        data = yaml.load(text, Loader=_GuardedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ScenarioError(path, [f"malformed YAML at {where}{e.problem or e.context}"]) from None
    except (yaml.YAMLError, RecursionError) as e:
        raise ScenarioError(path, [f"malformed YAML: {e}"]) from None
    if data is None:
        raise ScenarioError(path, [f"file is empty (only comments); a {what} is a YAML mapping (see {example})"])
    if not isinstance(data, dict):
        raise ScenarioError(
            path, [f"top level is a {type(data).__name__}; a {what} is a mapping of keys"]
        )
    if memo is not None:
        memo[memo_key] = copy.deepcopy(data)
    return data


def _allowed_keys(loc: tuple[Any, ...], root: Any = None) -> list[str]:
    """The keys a mapping at ``loc`` may have, walking the model classes from ``root`` (default
    :class:`Scenario`), for 'unknown key'."""
    model: Any = root or Scenario
    for part in loc[:-1]:
        fields = getattr(model, "model_fields", None)
        if fields is None:
            return []
        if isinstance(part, str) and part in fields:
            ann = fields[part].annotation
        else:
            continue  # a dict key or list index: the annotation's value type follows
        for _ in range(3):  # unwrap Optional / dict / list
            args = [a for a in getattr(ann, "__args__", ()) if a is not type(None)]
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                break
            ann = args[-1] if args else ann
        model = ann
    fields = getattr(model, "model_fields", None)
    return sorted(fields) if fields else []


def _short(value: Any) -> str:
    """A value as the user wrote it in YAML, shortened."""
    text = value.isoformat() if isinstance(value, dt.date) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _problems(error: ValidationError, root: Any = None) -> list[str]:
    problems = []
    for err in error.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        key = ".".join(str(p) for p in loc) or "(top level)"
        ctx = err.get("ctx") or {}
        cross = ctx.get("error")
        if isinstance(cross, _CrossFieldError):
            full = ".".join([*(str(p) for p in loc), cross.key])
            problems.append(f"key '{full}': value {_short(cross.value)}: {cross.allowed}")
            continue
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc, root)
            hint = f" (allowed here: {', '.join(allowed)})" if allowed else ""
            problems.append(f"unknown key '{key}'{hint}")
            continue
        if err["type"] == "missing":
            problems.append(f"key '{key}' is missing (required)")
            continue
        msg = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        if (err["type"] == "less_than_equal" and ctx.get("le") in (1, 2, 3) and isinstance(value, (int, float))
                and ctx["le"] < value <= 100 * ctx["le"]):
            msg += f"; a fraction is expected: write {value / 100:g} for {value:g}%"
        elif err["type"] in ("float_type", "int_type", "float_parsing", "int_parsing") and isinstance(value, str):
            msg += number_hint(value)
        problems.append(f"key '{key}': value {_short(value)}: {msg}")
    return problems


def validate_scenario(data: Any, path: str | Path = "<scenario>") -> Scenario:
    """Validate already-parsed scenario data; problems raise :class:`ScenarioError`.

    >>> validate_scenario({"title": "x"}, "demo.yaml")
    Traceback (most recent call last):
    ...
    neocloud.scenario.ScenarioError: demo.yaml: key 'question' is missing (required)
    demo.yaml: key 'deal_name' is missing (required)
    demo.yaml: key 'seller_name' is missing (required)
    demo.yaml: key 'buyer_name' is missing (required)
    demo.yaml: key 'as_of' is missing (required)
    demo.yaml: key 'terms' is missing (required)
    demo.yaml: key 'key_dates' is missing (required)
    demo.yaml: key 'gpu_bases' is missing (required)
    demo.yaml: key 'market_prices' is missing (required)
    demo.yaml: key 'termination' is missing (required)
    demo.yaml: key 'seller' is missing (required)
    """
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(path, _problems(e)) from None
    except RecursionError:
        raise ScenarioError(path, ["data nested too deeply"]) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario YAML file.

    Every user mistake (missing file, malformed YAML, unknown key, wrong type, value out of range,
    inconsistent dates) raises :class:`ScenarioError` naming the file, key, value and what is
    allowed; nothing else is raised for bad input.

    >>> s = load_scenario("params/base.yaml")
    >>> s.deal.notice_days, s.deal.lockup_months
    (90, 3)
    >>> load_scenario("params/nope.yaml")
    Traceback (most recent call last):
    ...
    neocloud.scenario.ScenarioError: params/nope.yaml: file not found
    """
    p = Path(path)
    return validate_scenario(read_scenario_data(p), path)


MAX_EXTENDS = 4
"""How many scenarios deep ``extends`` may go (a scenario that extends one that extends ...)."""


def read_scenario_data(path: Path) -> dict[str, Any]:
    """A scenario file's data with what it ``extends`` merged in: ``extends: base.yaml`` (a path
    relative to the file) reads that scenario first, and this file's keys replace or refine it.
    Mappings merge key by key, except an input (a mapping with a ``value``) and a ``source``
    (with a ``url``), which replace the other file's whole, with its own source or assumption;
    a list or a value replaces the other file's (``other_deals``, ``termination_readings``);
    ``null`` removes the key (a GPU basis the extended scenario gives and this one does not). So a scenario states only what differs from the one it
    extends. Problems (a missing file, a loop, more than :data:`MAX_EXTENDS` levels) are
    :class:`ScenarioError` lines naming the file and the key ``extends``.

    >>> d = read_scenario_data(Path("params/early_exit.yaml"))
    >>> "extends" in d, d["termination"]["monthly_notice_probability"]["value"], d["terms"]["monthly_fee_usd"]["value"]
    (False, 1.0, 1250000000.0)
    """
    data = _resolve_extends(path, _read_yaml(path), [])
    try:
        return expand_book(data)
    except _CrossFieldError as e:
        raise ScenarioError(path, [f"key '{e.key}': value {_short(e.value)}: {e.allowed}"]) from None


def scenario_files(path: str | Path) -> list[Path]:
    """The files a scenario is read from: itself, then what it extends, and so on, and the
    shipped contract ledger last where one of them names a ``book`` (for cache keys: a result is
    stale when any of them changes).

    >>> [p.name for p in scenario_files("params/early_exit.yaml")]
    ['early_exit.yaml', 'base.yaml', 'contracts.yaml']
    """
    from neocloud.ledger import SHIPPED_LEDGER

    chain = [Path(path)]
    book = False
    while True:
        try:
            data = _read_yaml(chain[-1])
        except ScenarioError:
            break
        book = book or data.get("book") is not None
        parent = data.get("extends")
        if not isinstance(parent, str) or len(chain) > MAX_EXTENDS:
            break
        nxt = chain[-1].parent / parent
        if nxt.resolve() in {c.resolve() for c in chain} or not nxt.is_file():
            break
        chain.append(nxt)
    return [*chain, SHIPPED_LEDGER] if book else chain


def _resolve_extends(path: Path, data: dict[str, Any], seen: list[Path]) -> dict[str, Any]:
    parent_ref = data.get("extends")
    if parent_ref is None:
        return data
    data = {k: v for k, v in data.items() if k != "extends"}
    if not isinstance(parent_ref, str) or not parent_ref.strip():
        raise ScenarioError(path, [f"key 'extends': value {_short(parent_ref)}: the path of a scenario file "
                                   "(relative to this one), e.g. extends: base.yaml"])
    parent = path.parent / parent_ref
    chain = [*seen, path]
    if parent.resolve() in {p.resolve() for p in chain}:
        loop = " -> ".join(str(p) for p in [*chain, parent])
        raise ScenarioError(path, [f"key 'extends': value {parent_ref!r}: a loop ({loop}); a scenario cannot extend itself"])
    if len(chain) > MAX_EXTENDS:
        raise ScenarioError(path, [f"key 'extends': value {parent_ref!r}: more than {MAX_EXTENDS} levels of extends"])
    if not parent.is_file():
        raise ScenarioError(path, [f"key 'extends': value {parent_ref!r}: no such file ({parent}); give a path "
                                   "relative to this file, e.g. extends: base.yaml"])
    base = _resolve_extends(parent, _read_yaml(parent), chain)
    return _merged(base, data)


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``over``'s keys: mappings merged key by key (an input or a source whole),
    ``None`` removing the key, anything else replaced.

    >>> _merged({"a": {"x": 1, "y": 2}, "l": [1, 2], "z": 0}, {"a": {"y": 3}, "l": [9], "z": None})
    {'a': {'x': 1, 'y': 3}, 'l': [9]}
    >>> _merged({"fee": {"value": 1, "assumption": True, "note": "n"}}, {"fee": {"value": 2, "source": {"url": "u"}}})
    {'fee': {'value': 2, 'source': {'url': 'u'}}}
    """
    out = dict(base)
    for k, v in over.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict) and not ("value" in v or "url" in v):
            out[k] = _merged(out[k], v)
        else:
            out[k] = v
    return out


def scenario_warnings(scenario: Scenario) -> list[str]:
    """Suspicious but valid inputs, one line each (``neocloud check`` prints them). Each fires only
    where its premise holds:

    * a fee under $1,000 a month (fees are USD);
    * growth over 100% a year, a drift over 50% or a volatility over 150% a year (a percent typed
      for a fraction?);
    * a reporting date after the end of the term (every backlog figure is then zero);
    * an IPO still to come on the reporting date that falls before the signing (the prospectus could
      not describe the deal; a seller already listed on the reporting date is not warned);
    * a source *published* after the reporting date (hindsight in a back-test), except the seller's
      results for a period that ended by the reporting date (published after it, as results are)
      and undated sources (``dated: gathered``);
    * deals of the book renting more MW than the seller owns (a rented share above 100%), or a
      seller without capacity data (``neocloud/data/capacity.csv``: the reports then show none);
    * a GPU price panel whose newest price on or before the reporting date is more than
      :data:`STALE_PRICE_DAYS` days older than it (the market model then starts from an old price).

    >>> scenario_warnings(load_scenario("params/base.yaml"))
    []
    """
    out = []
    s = scenario
    as_of = s.as_of.value
    deals = [("terms", s.terms)] + [(f"other_deals.{i}.terms", o.terms) for i, o in enumerate(s.other_deals)]
    for key, terms in deals:
        if terms.monthly_fee_usd.value < 1000:
            out.append(f"key '{key}.monthly_fee_usd.value': value {terms.monthly_fee_usd.value:g}: under $1,000 a month; "
                       "fees are in USD (1.25e9 for $1.25 billion)")
    growth = s.seller.baseline_growth_per_year.value
    if growth > 1.0:
        out.append(f"key 'seller.baseline_growth_per_year.value': value {growth:g}: over 100% a year; "
                   f"a fraction is expected ({growth / 100:g} for {growth:g}%)")
    if s.market is not None:
        for name, limit in (("drift_per_year", 0.5), ("volatility_per_year", 1.5)):
            item = getattr(s.market, name)
            if item is not None and abs(item.value) > limit:
                out.append(f"key 'market.{name}.value': value {item.value:g}: {abs(item.value):.0%} a year is implausible "
                           f"for a GPU rental price; a fraction is expected ({item.value / 100:g} for {item.value:g}%)")
    if as_of > s.terms.end.value:
        out.append(f"key 'as_of.value': value {as_of}: after the end of the term ({s.terms.end.value}); "
                   "every backlog figure is then zero")
    ipo, signed = s.key_dates.ipo.value, s.key_dates.signed.value
    if as_of < ipo < signed:
        out.append(f"key 'key_dates.ipo.value': value {ipo}: before the signing ({signed}), so the prospectus "
                   f"cannot describe this deal (if the seller was listed by the reporting date, {as_of}, "
                   "give the IPO date on or before it)")
    for key, _, item in s.inputs():
        if item.source is None or item.source.dated != "published" or item.source.date <= as_of:
            continue
        if isinstance(item, ReportedRevenue) and item.period_end <= as_of:
            continue  # a period's own results, published after it ended
        out.append(f"key '{key}.source.date': value {item.source.date}: published after the reporting date ({as_of}); "
                   "the scenario then uses what was not known on that date")
    out += _capacity_warnings(s)
    out += _price_warnings(s)
    out += _ledger_warnings(s)
    return out


def _ledger_warnings(scenario: Scenario) -> list[str]:
    """A ``seller.ledger_name`` that names no seller of the shipped ledger: the reports then show
    no ledger or filing figures for it."""
    name = scenario.seller.ledger_name
    if name is None:
        return []
    from neocloud.ledger import load_ledger, seller_name

    try:
        ledger = load_ledger()   # read once per process (neocloud.ledger.read_ledger_file)
    except ScenarioError:  # the ledger's own problem: reported where it is read
        return []
    if seller_name(ledger, name, missing_ok=True) is not None:
        return []
    return [f"key 'seller.ledger_name': value {name!r}: no seller of that name in neocloud/data/contracts.yaml "
            f"(sellers: {', '.join(ledger.sellers)}); the reports show no ledger or filing figures for it"]


STALE_PRICE_DAYS = 90
"""How much older than the reporting date the newest GPU price may be before ``check`` warns."""


def _price_warnings(scenario: Scenario) -> list[str]:
    """The newest price of ``neocloud/data/gpu_prices.csv`` dated on or before the reporting date,
    if it is more than :data:`STALE_PRICE_DAYS` days older than that date.

    >>> s = load_scenario("params/base.yaml")
    >>> late = s.model_copy(update={"as_of": s.as_of.model_copy(update={"value": dt.date(2027, 3, 31)})})
    >>> print(_price_warnings(late)[0])   # the panel's newest price is of 5 Oct 2026
    key 'as_of.value': value 2027-03-31: the newest GPU price on or before it (neocloud/data/gpu_prices.csv) is of 2026-10-05, 177 days older; add newer prices before pricing the exit right at this date
    """
    from neocloud.market import gpu_price_panel

    as_of = scenario.as_of.value
    try:
        panel = gpu_price_panel()
    except ScenarioError:  # a data file's problem: the data files' own check reports it
        return []
    dates = [d for d in panel.date if d <= as_of]
    if not dates:
        return [f"key 'as_of.value': value {as_of}: no GPU price in neocloud/data/gpu_prices.csv is dated on or before it"]
    newest = max(dates)
    if (as_of - newest).days <= STALE_PRICE_DAYS:
        return []
    return [f"key 'as_of.value': value {as_of}: the newest GPU price on or before it (neocloud/data/gpu_prices.csv) is of "
            f"{newest}, {(as_of - newest).days} days older; add newer prices before pricing the exit right at this date"]


def _capacity_warnings(scenario: Scenario) -> list[str]:
    """A rented share above 100%: the book's deals rent more MW than the seller's capacity ledger
    (``neocloud/data/capacity.csv``) says it owns in some quarter."""
    from neocloud.capacity import no_capacity_data, rented_share_by_quarter

    try:
        missing = no_capacity_data(scenario)
        if missing is not None:
            key = "seller.ledger_name" if scenario.seller.ledger_name is not None else "seller_name"
            value = scenario.seller.ledger_name or scenario.seller_name
            return [f"key '{key}': value {value!r}: {missing} in neocloud/data/capacity.csv; the reports show no owned "
                    "capacity, rented share or own-use figures for this seller"]
        shares = rented_share_by_quarter(scenario)
    except ScenarioError:  # a data file's problem: the data files' own check reports it
        return []
    if shares.empty:
        return []
    shares = shares.assign(rented_share=shares.rented_share.astype(float))
    shares = shares[shares.rented_share.notna()]
    if shares.empty or shares.rented_share.max() <= 1.0:
        return []
    peak = shares.loc[shares.rented_share.idxmax()]
    biggest = max([("terms", scenario.terms)] + [(f"other_deals.{i}.terms", o.terms) for i, o in enumerate(scenario.other_deals)],
                  key=lambda kv: kv[1].capacity_mw.value)
    return [f"key '{biggest[0]}.capacity_mw.value': value {biggest[1].capacity_mw.value:g}: the book rents "
            f"{peak.rented_share:.0%} of the capacity the seller owns in {peak.quarter} (more than it owns; "
            "check the MW, or the owned rows of neocloud/data/capacity.csv)"]


def scenario_stem(path: str | Path) -> str:
    """The name a scenario's reports go under: its file name without ``.yaml``.

    >>> scenario_stem("params/base.yaml")
    'base'
    """
    return Path(path).stem


def scenario_parameters(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain JSON-compatible data: what papermill injects into a notebook.

    >>> params = scenario_parameters(load_scenario("params/base.yaml"))
    >>> params["terms"]["start"]["value"]
    '2026-05-01'
    """
    return json.loads(scenario.model_dump_json(exclude_defaults=True))



def find_scenario_file(scenario_file: str | Path, search_from: "list[Path] | tuple[Path, ...]" = ()) -> Path | None:
    """Where a scenario path given to a report points: as given (absolute, or relative to the
    working directory), else relative to each folder of ``search_from`` and of the working
    directory and their parents up to three levels (a kernel started in ``notebooks/`` finds
    ``params/base.yaml`` in the project folder). ``None`` when nothing is there.

    >>> find_scenario_file("params/base.yaml").as_posix()
    'params/base.yaml'
    >>> find_scenario_file("params/nope.yaml") is None
    True
    """
    given = Path(scenario_file)
    if given.is_file() or given.is_absolute():
        return given if given.is_file() else None
    for folder in [*search_from, Path.cwd()]:
        folder = Path(folder).resolve()
        for parent in [folder, *folder.parents][:4]:
            candidate = parent / given
            if candidate.is_file():
                return candidate
    return None


def report_scenario(
    scenario_file: str | Path,
    scenario: Any = None,
    *,
    search_from: "list[Path] | tuple[Path, ...]" = (),
) -> Scenario:
    """The scenario a report computes, from its two parameters (what the first cell of every
    notebook calls).

    * ``scenario_file`` alone (``papermill NB OUT -p scenario_file params/early_exit.yaml``, or
      an edit in JupyterLab): the file is read and validated (:func:`find_scenario_file` says
      where it is looked for).
    * ``scenario`` as data too (what ``neocloud render`` injects, so that a report does not
      depend on where the kernel runs): it is validated, and if the file is found it must say
      the same, or a :class:`ScenarioError` names both.

    >>> report_scenario("params/base.yaml").terms.monthly_fee_usd.value
    1250000000.0
    >>> report_scenario("params/early_exit.yaml", scenario_parameters(load_scenario("params/base.yaml")))
    Traceback (most recent call last):
    ...
    neocloud.scenario.ScenarioError: params/early_exit.yaml: the 'scenario' parameter differs from this file; pass only scenario_file (the file is read), or the file's own content as scenario
    """
    label = str(scenario_file)
    found = find_scenario_file(scenario_file, search_from)
    if scenario is None:
        if found is None:
            where = ", ".join(str(Path(p)) for p in [*search_from, Path.cwd()])
            raise ScenarioError(label, [f"file not found (looked from {where} and up to three folders above)"])
        return load_scenario(found) if str(found) == label else _relabel(found, label)
    given = validate_scenario(scenario, label)
    if found is not None and load_scenario(found) != given:
        raise ScenarioError(label, [
            "the 'scenario' parameter differs from this file; pass only scenario_file (the file is read), "
            "or the file's own content as scenario"
        ])
    return given


def _relabel(found: Path, label: str) -> Scenario:
    """Load ``found`` but name the file as the user wrote it in every message."""
    try:
        return validate_scenario(read_scenario_data(found), label)
    except ScenarioError as e:
        raise ScenarioError(label, e.problems) from None
