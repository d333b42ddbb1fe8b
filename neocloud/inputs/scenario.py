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

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)

from neocloud.inputs.ledger import expand_book
from neocloud.inputs.sourced import (  # the inputs' shared vocabulary, also read from here
    _check_sourced,
    _CrossFieldError,
    _Model,
    _problems,
    _read_yaml,
    _short,
    Fraction,
    Growth,
    Input,
    IsoDate,
    Key,
    MAX_MONTHS,
    MAX_TERM_YEARS,
    MAX_USD,
    Months,
    NonNegativeInt,
    NoticeDays,
    PositiveFloat,
    PositiveInt,
    Probability,
    ScenarioError,
    Source,
    Text,
    Usd,
)


if TYPE_CHECKING:
    from neocloud.inputs.terms import DealTerms


class DeliveryStepInput(_Model):
    """One step of phased delivery: from ``from`` on, ``share`` of the contracted capacity is in
    service and billed (conventions, "Delivery steps")."""

    from_: IsoDate = Field(alias="from")
    share: Input[Fraction]


class Terms(_Model):
    """The deal terms, named as in the conventions. ``earliest_notice_date`` is for clauses that
    name a date ("90 days' notice after 31 December 2026": 2027-01-01); it replaces the lock-up
    rule, and ``lockup_months`` is then ignored.

    ``take_or_pay`` (value ``true``): no termination for convenience (the ledger's
    ``termination.kind: none``); ``notice_days`` and ``lockup_months`` are then not given.
    ``delivery_steps``: phased delivery, ``(from, share)`` steps in date order within the term.
    ``capacity_mw`` may be left out for another deal of the book whose capacity is not disclosed
    (figures that need it leave that deal out and say so); the scenario's own deal needs it.

    >>> src = {"assumption": True, "note": "example"}
    >>> t = Terms.model_validate({"monthly_fee_usd": {"value": 1e8, **src}, "start": {"value": "2027-01-01", **src},
    ...     "end": {"value": "2028-12-31", **src}, "ramp_months": {"value": 0, **src}, "ramp_discount": {"value": 0.0, **src},
    ...     "take_or_pay": {"value": True, **src},
    ...     "delivery_steps": [{"from": "2027-01-01", "share": {"value": 0.5, **src}}, {"from": "2027-07-01", "share": {"value": 1.0, **src}}]})
    >>> d = t.deal_terms(None)
    >>> d.take_or_pay, d.delivery_steps[0], d.capacity_mw is None
    (True, (datetime.date(2027, 1, 1), 0.5), True)
    """

    monthly_fee_usd: Input[Usd]
    start: Input[IsoDate]
    end: Input[IsoDate]
    ramp_months: Input[Months]
    ramp_discount: Input[Fraction]
    notice_days: Input[NoticeDays] | None = None  # at least one day: notice takes effect after the day it is served
    lockup_months: Input[Months] | None = None
    capacity_mw: Input[PositiveFloat] | None = None
    earliest_notice_date: Input[IsoDate] | None = None
    take_or_pay: Input[Annotated[bool, Strict()]] | None = None
    delivery_steps: list[DeliveryStepInput] = Field(default_factory=list, max_length=MAX_MONTHS)

    @model_validator(mode="after")
    def _notice_rules(self) -> "Terms":
        # keys relative to this mapping: the error's location names ``terms``
        start, end = self.start.value, self.end.value
        previous: dt.date | None = None
        for i, step in enumerate(self.delivery_steps if start <= end else []):
            if not start <= step.from_ <= end:
                raise _CrossFieldError(f"delivery_steps.{i}.from", step.from_, f"must fall within the term, {start} to {end}")
            if previous is not None and step.from_ <= previous:
                raise _CrossFieldError(f"delivery_steps.{i}.from", step.from_,
                                       f"must come after the step before it ({previous}); steps are in date order")
            previous = step.from_
        if self.take_or_pay is not None and self.take_or_pay.value:
            for k in ("notice_days", "lockup_months", "earliest_notice_date"):
                if getattr(self, k) is not None:
                    raise _CrossFieldError(f"{k}.value", getattr(self, k).value,
                                           "take-or-pay terms (take_or_pay: true) have no notice terms; remove it, "
                                           "or set take_or_pay to false")
            return self
        for k in ("notice_days", "lockup_months"):
            if getattr(self, k) is None:
                raise _CrossFieldError(k, None, "is missing (required unless take_or_pay is true)")
        return self

    def deal_terms(self, signed: dt.date | None) -> "DealTerms":
        """These terms as plain values (the form the maths takes), with the signing date
        (``capacity_mw`` None where not given: not disclosed)."""
        from neocloud.inputs.terms import DealTerms

        values = {k: getattr(self, k).value for k in ("monthly_fee_usd", "start", "end", "ramp_months", "ramp_discount",
                                                      "notice_days", "lockup_months") if getattr(self, k) is not None}
        clause = self.earliest_notice_date.value if self.earliest_notice_date is not None else None
        return DealTerms(**values, capacity_mw=self.capacity_mw.value if self.capacity_mw is not None else None,
                         earliest_notice_clause=clause, signed=signed,
                         delivery_steps=tuple((s.from_, float(s.share.value)) for s in self.delivery_steps),
                         take_or_pay=bool(self.take_or_pay is not None and self.take_or_pay.value))


def _check_terms(terms: "DealTerms", prefix: str, signed_key: str) -> None:
    """The cross-field rules of one deal's terms (``prefix`` names where they are in the file)."""
    t = terms
    if t.end < t.start:
        raise _CrossFieldError(f"{prefix}terms.end.value", t.end, f"must be on or after terms.start ({t.start})")
    from neocloud.inputs.terms import add_months

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
    if t.take_or_pay:  # no notice within the term: the notice rules below do not apply
        return
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
    """Inputs of the market-driven exit model (``neocloud.model.exit_option``). The drift and
    volatility default to the fit of the shipped price panel (``neocloud.model.market.calibrate_gbm``);
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
    gpus: GpuBasis | None = None
    """Its GPU count (None: not disclosed; GPU figures leave the deal out and say so)."""
    gpus_h100e: Input[PositiveFloat] | None = None
    """Its H100-equivalent count (None: not disclosed)."""
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
    the seller's book (``neocloud.model.book``)."""
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
        if self.terms.capacity_mw is None:
            raise _CrossFieldError("terms.capacity_mw", None, "is missing (required for the scenario's own deal: "
                                   "give it with its source, or as an assumption with a note)")
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


# --------------------------------------------------------------------------------------------
# A book named from the ledger


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
                       "a key (neocloud.inputs.scenario.read_scenario_data).",
    }
    # with a book, the ledger gives the deal's terms, its signing date and names: terms overrides
    book_form = json.loads(json.dumps(strict))
    book_form["required"] = [k for k in strict["required"] if k not in _FROM_BOOK]
    book_form["properties"]["terms"] = {
        "$ref": "#/$defs/PartialTerms",
        "description": "With book.deal: only the terms this scenario changes, each replacing the ledger record's "
                       "(with its own source or assumption note) (neocloud.inputs.scenario.expand_book).",
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


def validate_scenario(data: Any, path: str | Path = "<scenario>") -> Scenario:
    """Validate already-parsed scenario data; problems raise :class:`ScenarioError`.

    >>> validate_scenario({"title": "x"}, "demo.yaml")
    Traceback (most recent call last):
    ...
    neocloud.inputs.sourced.ScenarioError: demo.yaml: key 'question' is missing (required)
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
        raise ScenarioError(path, _problems(e, Scenario)) from None
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
    neocloud.inputs.sourced.ScenarioError: params/nope.yaml: file not found
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
    from neocloud.inputs.ledger import SHIPPED_LEDGER

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
    neocloud.inputs.sourced.ScenarioError: params/early_exit.yaml: the 'scenario' parameter differs from this file; pass only scenario_file (the file is read), or the file's own content as scenario
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
