"""The contract ledger as read: every compute contract the project knows, one sourced record
each (``neocloud/data/contracts.yaml``, or a user's own file beside it), and a scenario's book
named from it (:func:`expand_book`). The books and market views of the ledger are computed in
:mod:`neocloud.model.ledger`.

Conventions (``shared/conventions.md``, "Contracts and the ledger"; the YAML format is fixed in
the README, "The ledger"):

* A ledger file is YAML whose top-level key ``contracts`` holds a list of contract records. A
  field is a plain value or an input, ``{value, source}`` / ``{value, assumption: true, note}``,
  sourced exactly as scenario inputs are (:class:`neocloud.inputs.sourced.Source`). The shipped
  ledger is sourced throughout; a user's own ledger may hold plain values (a warning names the
  unsourced fields of each record).
* The fee is ``monthly_fee_usd`` or ``total_usd`` (never both); with ``total_usd`` the monthly fee
  is the total over ``W`` (:func:`neocloud.model.deal.monthly_fee_for_total`: the one use of the
  deal maths while reading inputs, so that the contract's total under daily accrual is
  ``total_usd``).
* ``delivery_steps`` give the delivered (and billed) share of capacity from each date on.
* ``termination.kind: none`` is take-or-pay; ``contingent_usd`` is kept apart from firm figures.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar, overload

from pydantic import AfterValidator, BeforeValidator, Field, Strict, ValidationError, model_validator

from neocloud.inputs.sourced import (
    Fraction,
    Input,
    IsoDate,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ScenarioError,
    Text,
    _check_sourced,
    _CrossFieldError,
    _iso_date,
    _Model,
    _problems,
    _read_yaml,
)
from neocloud.inputs.terms import DealTerms
from neocloud.model.deal import monthly_fee_for_total, total_contract_value


T = TypeVar("T")


SHIPPED_LEDGER = Path(str(files("neocloud.data").joinpath("contracts.yaml")))
"""The ledger shipped with the package: every field sourced or a marked assumption."""


EXAMPLE = "neocloud/data/contracts.yaml"


class LedgerError(ScenarioError):
    """A ledger file could not be used; ``problems`` holds one line per problem (file, record id,
    key, value, what is allowed). A :class:`~neocloud.inputs.sourced.ScenarioError`, so the command
    line reports it the same way (exit 2)."""


class UnknownNameError(ValueError):
    """A seller or buyer the ledger does not know; the message lists the names it knows."""


class Fact(Input[T], Generic[T]):
    """A field of a ledger record: an :class:`~neocloud.inputs.scenario.Input` whose sourcing rules
    apply whenever a ``source``, ``assumption`` or ``note`` is given; a plain value (``unsourced``)
    is allowed by the model and refused for the shipped ledger by :func:`read_ledger_file`."""

    @model_validator(mode="after")
    def _sourced(self) -> "Fact[T]":
        if self.source is not None or self.assumption:
            _check_sourced(self, "value")
        return self

    @property
    def unsourced(self) -> bool:
        """True for a plain value: neither a source nor a marked assumption."""
        return self.source is None and not self.assumption


def _as_fact(value: Any) -> Any:
    """A plain value ``v`` is read as ``{value: v}`` (an unsourced fact)."""
    return value if isinstance(value, dict) else {"value": value}


FDate = Annotated[Fact[IsoDate], BeforeValidator(_as_fact)]


FMoney = Annotated[Fact[PositiveFloat], BeforeValidator(_as_fact)]


FCount = Annotated[Fact[NonNegativeInt], BeforeValidator(_as_fact)]


FPositiveInt = Annotated[Fact[PositiveInt], BeforeValidator(_as_fact)]


FFraction = Annotated[Fact[Fraction], BeforeValidator(_as_fact)]


FPositive = Annotated[Fact[PositiveFloat], BeforeValidator(_as_fact)]


def _contract_id(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", value):
        raise ValueError("an id is lowercase letters a-z, digits 0-9 and single '-' between words, "
                         "e.g. spacex-anthropic-colossus-1")
    return value


ContractId = Annotated[str, Strict(), Field(max_length=100), AfterValidator(_contract_id)]


Name = Annotated[str, Strict(), Field(min_length=1, max_length=200, pattern=r"\S")]


class Capacity(Fact[PositiveFloat]):
    """Contracted capacity in MW with its basis: IT load, facility (with cooling and losses), or
    reported without saying which."""

    basis: Literal["it_load", "facility", "reported_unspecified"] = "reported_unspecified"


class ContractTermination(_Model):
    """``kind: for_convenience`` with ``notice_days`` and ``lockup_months`` or
    ``earliest_notice_date`` (neither: no lock-up), or ``kind: none`` (take-or-pay) with the
    ``basis`` of that reading sourced."""

    kind: Literal["for_convenience", "none"]
    notice_days: FPositiveInt | None = None
    lockup_months: FCount | None = None
    earliest_notice_date: FDate | None = None
    basis: Annotated[Fact[Literal["take_or_pay"]], BeforeValidator(_as_fact)] | None = None

    @model_validator(mode="after")
    def _kind_rules(self) -> "ContractTermination":
        # keys relative to this mapping: the error's location names ``termination``
        notice = [k for k in ("notice_days", "lockup_months", "earliest_notice_date") if getattr(self, k) is not None]
        if self.kind == "none":
            if notice:
                raise _CrossFieldError(notice[0], getattr(self, notice[0]).value,
                                       "kind: none (take-or-pay) has no notice terms; remove it, or use kind: for_convenience")
            return self
        if self.basis is not None:
            raise _CrossFieldError("basis", self.basis.value,
                                   "only for kind: none (take-or-pay); remove it for kind: for_convenience")
        if self.notice_days is None:
            raise _CrossFieldError("notice_days", None,
                                   "kind: for_convenience needs notice_days (the notice period in days)")
        if self.lockup_months is not None and self.earliest_notice_date is not None:
            raise _CrossFieldError("earliest_notice_date", self.earliest_notice_date.value,
                                   "give lockup_months or earliest_notice_date, not both")
        return self


class DeliveryStep(_Model):
    """From ``from`` on, ``share`` of the contracted capacity is in service (and billed)."""

    from_: IsoDate = Field(alias="from")
    share: FFraction


class DeliveryFailure(_Model):
    """A right on late delivery: the deadline and the right, in words (recorded and shown; the
    figures do not assume it is used)."""

    deadline: FDate
    right: Text | None = None
    grace_months: FCount | None = None
    """Months of grace after the deadline before the buyer may walk (optional; a scenario's book
    reads it as its deal's ``delivery.grace_months``, 0 when not given)."""


class Contract(_Model):
    """One compute contract of the ledger (format: README, "The ledger").

    >>> c = Contract.model_validate({
    ...     "id": "acme-bigco", "seller": "Acme", "buyer": "BigCo", "signed": "2026-01-15",
    ...     "start": "2026-02-01", "end": "2027-01-31", "total_usd": 12e9,
    ...     "termination": {"kind": "none"}})
    >>> c.monthly_fee_usd_resolved, c.unsourced_keys()[:3]
    (1000000000.0, ['signed', 'start', 'end'])
    """

    id: ContractId
    seller: Name
    buyer: Name
    name: Text | None = None
    """A short name for reports (optional; default ``"<buyer> - <seller>"``, :attr:`display_name`)."""
    description: Text | None = None
    signed: FDate
    start: FDate
    end: FDate
    monthly_fee_usd: FMoney | None = None
    total_usd: FMoney | None = None
    ramp_months: FCount | None = None
    ramp_discount: FFraction | None = None
    termination: ContractTermination
    delivery_steps: list[DeliveryStep] = Field(default_factory=list)
    delivery_failure: DeliveryFailure | None = None
    contingent_usd: FMoney | None = None
    contingent_note: Text | None = None
    capacity_mw: Annotated[Capacity, BeforeValidator(_as_fact)] | None = None
    gpus: FPositive | None = None
    gpus_h100e: FPositive | None = None
    notes: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Contract":
        if (self.monthly_fee_usd is None) == (self.total_usd is None):
            given = self.monthly_fee_usd.value if self.monthly_fee_usd is not None else None
            raise _CrossFieldError(
                "monthly_fee_usd", given,
                "give monthly_fee_usd or total_usd (the total over the term), not both" if given is not None
                else "a fee is required: give monthly_fee_usd or total_usd (the total over the term)")
        start, end = self.start.value, self.end.value
        if end < start:
            raise _CrossFieldError("end.value", end, f"must be on or after start ({start})")
        previous: dt.date | None = None
        for i, step in enumerate(self.delivery_steps):
            if not start <= step.from_ <= end:
                raise _CrossFieldError(f"delivery_steps.{i}.from", step.from_,
                                       f"must fall within the term, {start} to {end}")
            if previous is not None and step.from_ <= previous:
                raise _CrossFieldError(f"delivery_steps.{i}.from", step.from_,
                                       f"must come after the step before it ({previous}); steps are in date order")
            previous = step.from_
        t = self._base_terms(1.0)
        if t.ramp_months > t.months:
            raise _CrossFieldError("ramp_months.value", t.ramp_months,
                                   f"must be at most the {t.months} calendar months of the term")
        if not t.take_or_pay:
            if t.notice_days > t.term_days:
                raise _CrossFieldError("termination.notice_days.value", t.notice_days,
                                       f"must be at most the {t.term_days} days of the term ({start} to {end})")
            if t._clause_notice_date > end:
                key, value = (("termination.earliest_notice_date.value", t.earliest_notice_clause)
                              if t.earliest_notice_clause is not None else ("termination.lockup_months.value", t.lockup_months))
                raise _CrossFieldError(key, value, f"lets the first notice fall on {t._clause_notice_date}, after the end "
                                                   f"({end}); a contract with no notice in its term is kind: none")
        if self.total_usd is not None and total_contract_value(t) <= 0:
            raise _CrossFieldError("total_usd.value", self.total_usd.value,
                                   "cannot be spread: no service day is billed (every delivered share or ramp factor is 0)")
        return self

    def _base_terms(self, monthly_fee_usd: float) -> DealTerms:
        term = self.termination
        return DealTerms(
            monthly_fee_usd=monthly_fee_usd,
            start=self.start.value,
            end=self.end.value,
            ramp_months=self.ramp_months.value if self.ramp_months is not None else 0,
            ramp_discount=self.ramp_discount.value if self.ramp_discount is not None else 0.0,
            notice_days=term.notice_days.value if term.notice_days is not None else 90,
            lockup_months=term.lockup_months.value if term.lockup_months is not None else 0,
            capacity_mw=self.capacity_mw.value if self.capacity_mw is not None else 1.0,
            earliest_notice_clause=term.earliest_notice_date.value if term.earliest_notice_date is not None else None,
            signed=self.signed.value,
            delivery_steps=tuple((s.from_, float(s.share.value)) for s in self.delivery_steps),
            take_or_pay=term.kind == "none",
        )

    @property
    def display_name(self) -> str:
        """The contract's name in reports: its ``name``, else ``"<buyer> - <seller>"``.

        >>> load_ledger().contract("spacex-google").display_name
        'Google - SpaceX'
        """
        return self.name or f"{self.buyer} - {self.seller}"

    @property
    def monthly_fee_usd_resolved(self) -> float:
        """The monthly fee: as given, or ``total_usd / W`` (conventions, "Fee given as a total")."""
        if self.monthly_fee_usd is not None:
            return float(self.monthly_fee_usd.value)
        assert self.total_usd is not None  # the validator requires one of the two
        return monthly_fee_for_total(float(self.total_usd.value), self._base_terms(1.0))

    def terms(self) -> DealTerms:
        """The record as :class:`~neocloud.model.deal.DealTerms`, the form every figure is computed on
        (``capacity_mw`` is 1.0 when the record gives none).

        >>> c = load_ledger("tests/data/ledger_small.yaml", with_shipped=False).contract("test-nebius-meta-2")
        >>> t = c.terms()
        >>> t.take_or_pay, t.notice_rule   # no termination for convenience
        (True, 'take-or-pay terms (no termination for convenience)')
        >>> round(t.monthly_fee_usd / 1e6, 2)   # $12B over 60 months
        200.0
        """
        return self._base_terms(self.monthly_fee_usd_resolved)

    def unsourced_keys(self) -> list[str]:
        """The fields given as plain values (neither a source nor a marked assumption), in
        record order; a take-or-pay reading without its ``basis`` counts as ``termination.basis``."""
        out = []
        for name in type(self).model_fields:
            item = getattr(self, name)
            if isinstance(item, Fact) and item.unsourced:
                out.append(name)
            elif isinstance(item, ContractTermination):
                for k in ("notice_days", "lockup_months", "earliest_notice_date", "basis"):
                    sub = getattr(item, k)
                    if sub is not None and sub.unsourced:
                        out.append(f"termination.{k}")
                if item.kind == "none" and item.basis is None:
                    out.append("termination.basis")
            elif name == "delivery_steps":
                out += [f"delivery_steps.{i}.share" for i, s in enumerate(item) if s.share.unsourced]
            elif isinstance(item, DeliveryFailure):
                out += [f"delivery_failure.{k}" for k in ("deadline", "grace_months")
                        if getattr(item, k) is not None and getattr(item, k).unsourced]
        return out

    def warnings(self) -> list[str]:
        """Suspicious but valid: service starting before the contract binds; a contingent amount
        without a note saying on what event it binds."""
        out = []
        if self.signed.value > self.start.value:
            out.append(f"key 'signed.value': value {self.signed.value}: after the start of service ({self.start.value}); "
                       "fees of the days before signing are counted as this contract's")
        if self.contingent_usd is not None and not self.contingent_note:
            out.append("key 'contingent_usd': no contingent_note saying on what event it binds")
        return out


@dataclass(frozen=True)
class Ledger:
    """The contracts of one or more ledger files, ids unique across them.

    ``files[i]`` is the file ``contracts[i]`` was read from; ``warnings`` are the suspicious but
    valid inputs of the files read with ``strict=False`` (one line each, file and record named).
    """

    contracts: tuple[Contract, ...]
    files: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    @property
    def sellers(self) -> list[str]:
        """The sellers, sorted case-insensitively."""
        return sorted({c.seller for c in self.contracts}, key=str.casefold)

    @property
    def buyers(self) -> list[str]:
        """The buyers, sorted case-insensitively."""
        return sorted({c.buyer for c in self.contracts}, key=str.casefold)

    def contract(self, contract_id: str) -> Contract:
        """The record with id ``contract_id`` (``KeyError`` naming the known ids if none)."""
        for c in self.contracts:
            if c.id == contract_id:
                return c
        raise KeyError(f"no contract {contract_id!r} in the ledger (ids: {', '.join(c.id for c in self.contracts)})")


def _where(i: int, record: Any) -> str:
    rid = record.get("id") if isinstance(record, dict) else None
    return f"contracts.{i} (id {rid!r})" if isinstance(rid, str) else f"contracts.{i}"


def validate_ledger(data: Any, path: str | Path = "<ledger>", *, strict: bool = True) -> Ledger:
    """Validate already-parsed ledger data. ``strict`` (the shipped ledger): every field of every
    record is sourced or a marked assumption; otherwise plain values are warnings.

    Problems raise :class:`LedgerError`, one line each: file, record (index and id), key, value
    and what is allowed.

    >>> validate_ledger({"contracts": [{"id": "a-b", "seller": "A", "buyer": "B", "signed": "2026-01-01",
    ...     "start": "2026-02-01", "end": "2026-01-31", "monthly_fee_usd": 1e6,
    ...     "termination": {"kind": "none"}}]}, "mine.yaml", strict=False)
    Traceback (most recent call last):
    ...
    neocloud.inputs.ledger.LedgerError: mine.yaml: contracts.0 (id 'a-b'): key 'end.value': value 2026-01-31: must be on or after start (2026-02-01)
    """
    problems: list[str] = []
    if not isinstance(data, dict):
        raise LedgerError(path, [f"top level is a {type(data).__name__}; a ledger is a mapping with the key 'contracts'"])
    extra = sorted(str(k) for k in data if k != "contracts")
    if extra:
        problems += [f"unknown key '{k}' (allowed here: contracts)" for k in extra]
    records = data.get("contracts")
    if not isinstance(records, list):
        problems.append(f"key 'contracts': value {records!r:.80}: a list of contract records is expected (see {EXAMPLE})")
        raise LedgerError(path, problems)
    contracts: list[Contract] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    for i, record in enumerate(records):
        where = _where(i, record)
        if not isinstance(record, dict):
            problems.append(f"{where}: a contract record is a mapping of keys, not a {type(record).__name__}")
            continue
        try:
            c = Contract.model_validate(record)
        except ValidationError as e:
            # a delivery step's date is written `from` (a Python keyword: the field is `from_`)
            problems += [f"{where}: {p.replace('(allowed here: from_, ', '(allowed here: from, ')}"
                         for p in _problems(e, Contract)]
            continue
        except RecursionError:
            problems.append(f"{where}: data nested too deeply")
            continue
        if c.id in seen:
            problems.append(f"{where}: key 'id': value {c.id!r}: written twice (first as contracts.{seen[c.id]}); "
                            "each contract needs its own id")
            continue
        seen[c.id] = i
        unsourced = c.unsourced_keys()
        if unsourced and strict:
            problems += [f"{where}: key '{k}': a plain value; the shipped ledger needs a 'source' (url and date) "
                         "or 'assumption: true' with a 'note'" for k in unsourced]
        elif unsourced:
            warnings.append(f"{path}: {where}: warning: unsourced (plain values): {', '.join(unsourced)}")
        warnings += [f"{path}: {where}: warning: {w}" for w in c.warnings()]
        contracts.append(c)
    problems += _spelling_problems(contracts, records)
    if problems:
        raise LedgerError(path, problems)
    return Ledger(tuple(contracts), tuple(str(path) for _ in contracts), tuple(warnings) if not strict else ())


def _spelling_problems(contracts: Sequence[Contract], records: list[Any]) -> list[str]:
    """One spelling per company across a file: names equal but for case are an error."""
    out: list[str] = []
    first: dict[str, str] = {}
    index = {r.get("id"): i for i, r in enumerate(records) if isinstance(r, dict)}
    for c in contracts:
        for key in ("seller", "buyer"):
            name = getattr(c, key)
            known = first.setdefault(name.casefold(), name)
            if known != name:
                out.append(f"contracts.{index.get(c.id)} (id {c.id!r}): key '{key}': value {name!r}: spelled "
                           f"{known!r} elsewhere in the ledger; use one spelling")
    return out


def read_ledger_file(path: str | Path, *, strict: bool = False) -> Ledger:
    """Read and validate one ledger file (the guarded YAML reading of scenarios).

    >>> led = read_ledger_file("tests/data/ledger_small.yaml")
    >>> len(led.contracts), led.sellers
    (5, ['CoreWeave', 'IREN', 'Nebius', 'SpaceX'])
    >>> read_ledger_file("tests/data/nope.yaml")
    Traceback (most recent call last):
    ...
    neocloud.inputs.sourced.ScenarioError: tests/data/nope.yaml: file not found
    """
    p = Path(path)
    try:
        stat = p.stat()
        key: tuple[Any, ...] | None = (str(path), str(p.resolve()), stat.st_mtime_ns, stat.st_size, strict)
    except OSError:
        key = None  # not there: _read_yaml says so
    if key is not None and key in _READ:
        return _READ[key]
    ledger = validate_ledger(_read_yaml(p, "ledger", EXAMPLE), path, strict=strict)
    if key is not None:
        if len(_READ) >= _READ_KEEP:
            _READ.pop(next(iter(_READ)))
        _READ[key] = ledger
    return ledger


_READ: dict[tuple[Any, ...], Ledger] = {}
"""Ledger files read in this process, keyed by the path as given, the file it resolves to, its
modification time and size, and ``strict``: a file is read and validated once per process (the
scenario loader, ``check`` and every report section read the shipped ledger), and again when
it changes. A :class:`Ledger` is immutable, so sharing it is safe."""


_READ_KEEP = 16


def merge_ledgers(ledgers: Iterable[Ledger]) -> Ledger:
    """Several ledgers as one; an id in two files, or a company spelled two ways, is a
    :class:`LedgerError` naming both files.

    >>> small = read_ledger_file("tests/data/ledger_small.yaml")
    >>> len(merge_ledgers([small, read_ledger_file("tests/data/ledger_plain.yaml")]).contracts)
    7
    >>> merge_ledgers([small, small])
    Traceback (most recent call last):
    ...
    neocloud.inputs.ledger.LedgerError: tests/data/ledger_small.yaml: id 'test-coreweave-meta-1': also in tests/data/ledger_small.yaml; each contract needs its own id (rename yours, or drop it if it is the same contract)
    ...
    """
    contracts: list[Contract] = []
    files: list[str] = []
    warnings: list[str] = []
    where: dict[str, str] = {}
    spelled: dict[str, tuple[str, str]] = {}
    problems: dict[str, list[str]] = {}
    for led in ledgers:
        warnings += led.warnings
        for c, f in zip(led.contracts, led.files):
            if c.id in where:
                problems.setdefault(f, []).append(
                    f"id {c.id!r}: also in {where[c.id]}; each contract needs its own id "
                    "(rename yours, or drop it if it is the same contract)")
                continue
            for key in ("seller", "buyer"):
                name = getattr(c, key)
                known, known_file = spelled.setdefault(name.casefold(), (name, f))
                if known != name:
                    problems.setdefault(f, []).append(
                        f"id {c.id!r}: key '{key}': value {name!r}: spelled {known!r} in {known_file}; use one spelling")
            where[c.id] = f
            contracts.append(c)
            files.append(f)
    if problems:
        path, lines = next(iter(problems.items()))  # the later file is the one to fix
        raise LedgerError(path, lines)
    return Ledger(tuple(contracts), tuple(files), tuple(warnings))


def load_ledger(path: str | Path | None = None, *, with_shipped: bool = True) -> Ledger:
    """The ledger: the shipped one (``neocloud/data/contracts.yaml``, every field sourced) and,
    with ``path``, the user's own file read beside it (plain values allowed: a warning each
    record). ``with_shipped=False`` reads ``path`` alone.

    Raises :class:`LedgerError` (a :class:`~neocloud.inputs.sourced.ScenarioError`) for any problem of
    either file, and for an id found in both.

    >>> led = load_ledger()
    >>> [c.id for c in led.contracts if c.seller == "SpaceX"][:3]
    ['spacex-anthropic-colossus-1', 'spacex-google', 'spacex-reflection-ai']
    >>> mine = load_ledger("tests/data/ledger_plain.yaml")   # the user's plain values: warnings
    >>> len(mine.contracts) - len(led.contracts)
    2
    >>> print(mine.warnings[0])
    tests/data/ledger_plain.yaml: contracts.0 (id 'my-acme-bigco'): warning: unsourced (plain values): signed, start, end, monthly_fee_usd, termination.notice_days, termination.lockup_months
    """
    parts: list[Ledger] = []
    if with_shipped and SHIPPED_LEDGER.exists():
        parts.append(read_ledger_file(SHIPPED_LEDGER, strict=True))
    if path is not None:
        parts.append(read_ledger_file(path, strict=False))
    return merge_ledgers(parts)


def _match(name: str, known: list[str], side: str) -> str:
    for k in known:
        if k.casefold() == name.strip().casefold():
            return k
    listed = ", ".join(known) if known else "(none)"
    raise UnknownNameError(f"no {side} named {name!r} in the ledger; known {side}s: {listed}")


@overload
def seller_name(ledger: Ledger, name: str, *, missing_ok: Literal[False] = False) -> str: ...


@overload
def seller_name(ledger: Ledger, name: str, *, missing_ok: bool) -> str | None: ...


def seller_name(ledger: Ledger, name: str, *, missing_ok: bool = False) -> str | None:
    """The seller ``name`` as the ledger spells it (names match case-insensitively, around
    spaces): the one way a seller's name is made canonical. An unknown name raises
    :class:`UnknownNameError` listing the sellers the ledger knows, or with ``missing_ok`` gives
    ``None``.

    >>> led = load_ledger()
    >>> seller_name(led, " spacex"), seller_name(led, "Acme", missing_ok=True)
    ('SpaceX', None)
    >>> seller_name(load_ledger("tests/data/ledger_small.yaml", with_shipped=False), "Acme")
    Traceback (most recent call last):
    ...
    neocloud.inputs.ledger.UnknownNameError: no seller named 'Acme' in the ledger; known sellers: CoreWeave, IREN, Nebius, SpaceX
    """
    try:
        return _match(name, ledger.sellers, "seller")
    except UnknownNameError:
        if missing_ok:
            return None
        raise


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
    if t.kind == "none":  # take-or-pay: no notice terms
        if t.basis is not None:
            out["take_or_pay"] = {**_fact(t.basis), "value": True}
        else:
            out["take_or_pay"] = _assumed(True, f"The ledger record {c.id} gives no termination for convenience "
                                                "(termination.kind: none) without a sourced basis.")
    else:
        out.update(_notice_terms(c))
    if c.delivery_steps:
        out["delivery_steps"] = [{"from": s.from_, "share": _fact(s.share)} for s in c.delivery_steps]
    if c.capacity_mw is not None:
        out["capacity_mw"] = _fact(c.capacity_mw)
    return out


def _notice_terms(c: Any) -> dict[str, Any]:
    """A for-convenience record's notice terms as scenario inputs."""
    t = c.termination
    out: dict[str, Any] = {"notice_days": _fact(t.notice_days)}
    if t.lockup_months is not None:
        out["lockup_months"] = _fact(t.lockup_months)
    elif t.earliest_notice_date is not None:
        out["lockup_months"] = _assumed(0, f"The ledger record {c.id} gives a dated clause (earliest_notice_date) "
                                           "instead of a lock-up.")
    else:
        out["lockup_months"] = _assumed(0, f"The ledger record {c.id} gives no lock-up: notice from the signing.")
    if t.earliest_notice_date is not None:
        out["earliest_notice_date"] = _fact(t.earliest_notice_date)
    return out


def _other_deal(c: Any) -> dict[str, Any]:
    """A ledger record as one of a scenario's ``other_deals``."""
    deal: dict[str, Any] = {
        "deal_name": c.display_name, "buyer_name": c.buyer, "contract": c.id, "signed": _fact(c.signed),
        "terms": _ledger_terms(c),
    }
    if c.gpus is not None:  # left out where not disclosed: GPU figures then leave the deal out
        deal["gpus"] = {**_fact(c.gpus), "value": int(round(c.gpus.value)), "label": f"GPU count ({c.display_name})"}
    if c.gpus_h100e is not None:
        deal["gpus_h100e"] = _fact(c.gpus_h100e)
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
    from neocloud.inputs.reported import load_reported

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
    a deal signed after ``as_of`` is warned of by ``check`` as before). Every record is readable:
    take-or-pay terms become ``terms.take_or_pay``, delivery steps ``terms.delivery_steps`` (each
    with the record's source), and another deal's undisclosed ``capacity_mw``, ``gpus`` or
    ``gpus_h100e`` is left out (never invented): figures that need it leave the deal out and say
    so. A scenario that gives ``notice_days``, ``lockup_months`` or ``take_or_pay`` in ``terms``
    replaces the ledger's reading of the termination terms. Problems raise the cross-field error
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
    neocloud.inputs.sourced._CrossFieldError: book.deal = 'spacex-nope': no contract of that id in neocloud/data/contracts.yaml; SpaceX's contracts: spacex-anthropic-colossus-1, spacex-google, spacex-reflection-ai, spacex-undisclosed-q3-2026
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
    from neocloud.inputs.ledger import load_ledger, seller_name

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
        terms = _ledger_terms(contract)
        given = data.get("terms", {})
        if isinstance(given, dict):
            if given.get("take_or_pay") is not None or any(given.get(k) is not None for k in ("notice_days", "lockup_months")):
                # the scenario reads the termination terms its own way: the ledger's reading goes
                for k in ("take_or_pay", "notice_days", "lockup_months", "earliest_notice_date"):
                    terms.pop(k, None)
                if contract.termination.kind != "none" and not (isinstance(given.get("take_or_pay"), dict)
                                                                and given["take_or_pay"].get("value") is True):
                    terms.update(_notice_terms(contract))
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
        deals = [_other_deal(c) for c in others]
        taken = [str(data.get("deal_name", ""))] + [d["deal_name"] for d in deals]
        for d in deals:  # records without a name of their own may share one ("OpenAI - CoreWeave"): add the id
            if taken.count(d["deal_name"]) > 1:
                d["deal_name"] = f"{d['deal_name']} ({d['contract']})"
        data["other_deals"] = deals
    return data
