"""The contract ledger: every compute contract the project knows, and every seller's and buyer's
book as a view of it.

Conventions (``shared/conventions.md``, "Contracts and the ledger"; the YAML format is fixed in
the README, "The ledger"):

* A ledger file is YAML whose top-level key ``contracts`` holds a list of contract records. A
  field is a plain value or an input, ``{value, source}`` / ``{value, assumption: true, note}``,
  sourced exactly as scenario inputs are (:class:`neocloud.scenario.Source`). The shipped ledger
  (``neocloud/data/contracts.yaml``) is sourced throughout; a user's own ledger may hold plain
  values (a warning names the unsourced fields of each record).
* The fee is ``monthly_fee_usd`` or ``total_usd`` (never both); with ``total_usd`` the monthly fee
  is the total over ``W`` (:func:`neocloud.deal.monthly_fee_for_total`), so the contract's total
  under daily accrual is ``total_usd``.
* ``delivery_steps`` give the delivered (and billed) share of capacity from each date on.
* ``termination.kind: none`` is take-or-pay: committed floor = total, enforceable RPO = headline.
* ``contingent_usd`` (options, backstops, "up to" beyond the firm part) is kept apart and never
  counted in firm figures.
* A book at reporting date ``a`` holds the contracts with ``signed <= a`` only, and every book
  figure is the sum of its contracts' figures (:func:`book_totals`, through
  :func:`neocloud.book.book_sum`).

Every per-contract figure is :mod:`neocloud.deal`'s, on the :class:`~neocloud.deal.DealTerms` of
the record (:meth:`Contract.terms`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar, overload

import pandas as pd
from pydantic import AfterValidator, BeforeValidator, Field, Strict, ValidationError, model_validator

from neocloud.book import Book, BookDeal, book_backlog, book_committed_floor, book_total_contract_value
from neocloud.deal import (
    DealTerms,
    committed_floor,
    monthly_fee_for_total,
    remaining_performance_obligation,
    total_contract_value,
)
from neocloud.scenario import (
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
    _Model,
    _problems,
    _read_yaml,
)

T = TypeVar("T")

SHIPPED_LEDGER = Path(__file__).parent / "data" / "contracts.yaml"
"""The ledger shipped with the package: every field sourced or a marked assumption."""
EXAMPLE = "neocloud/data/contracts.yaml"

FIGURES = ("total_contract_value_usd", "headline_backlog_usd", "enforceable_rpo_usd", "contingent_usd")
"""The book figures of ``neocloud ledger --json``: each the sum of its contracts' figures."""


class LedgerError(ScenarioError):
    """A ledger file could not be used; ``problems`` holds one line per problem (file, record id,
    key, value, what is allowed). A :class:`~neocloud.scenario.ScenarioError`, so the command
    line reports it the same way (exit 2)."""


class UnknownNameError(ValueError):
    """A seller or buyer the ledger does not know; the message lists the names it knows."""


# --------------------------------------------------------------------------------------------
# The records


class Fact(Input[T], Generic[T]):
    """A field of a ledger record: an :class:`~neocloud.scenario.Input` whose sourcing rules
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
        """The record as :class:`~neocloud.deal.DealTerms`, the form every figure is computed on
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


# --------------------------------------------------------------------------------------------
# Reading ledger files


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
    neocloud.ledger.LedgerError: mine.yaml: contracts.0 (id 'a-b'): key 'end.value': value 2026-01-31: must be on or after start (2026-02-01)
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
    neocloud.scenario.ScenarioError: tests/data/nope.yaml: file not found
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
    neocloud.ledger.LedgerError: tests/data/ledger_small.yaml: id 'test-coreweave-meta-1': also in tests/data/ledger_small.yaml; each contract needs its own id (rename yours, or drop it if it is the same contract)
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

    Raises :class:`LedgerError` (a :class:`~neocloud.scenario.ScenarioError`) for any problem of
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


# --------------------------------------------------------------------------------------------
# Books


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
    neocloud.ledger.UnknownNameError: no seller named 'Acme' in the ledger; known sellers: CoreWeave, IREN, Nebius, SpaceX
    """
    try:
        return _match(name, ledger.sellers, "seller")
    except UnknownNameError:
        if missing_ok:
            return None
        raise


def contract_figures(contract: Contract, as_of: dt.date) -> dict[str, Any]:
    """One contract's figures at the end of ``as_of`` (all from :mod:`neocloud.deal`): ``id``,
    ``seller``, ``buyer``, ``signed``, ``start``, ``end``, ``termination`` (``for_convenience`` or
    ``none``), ``earliest_notice_date`` (``None`` under take-or-pay), ``monthly_fee_usd``,
    ``total_contract_value_usd``, ``committed_floor_usd``, ``headline_backlog_usd``,
    ``enforceable_rpo_usd``, ``contingent_usd`` (0 when none; never in the firm figures).

    >>> c = load_ledger().contract("spacex-anthropic-colossus-1")
    >>> f = contract_figures(c, dt.date(2026, 6, 30))
    >>> round(f["total_contract_value_usd"] / 1e9, 2), round(f["enforceable_rpo_usd"] / 1e9, 6)
    (45.0, 4.919355)
    """
    t = contract.terms()
    backlog = remaining_performance_obligation(t, as_of)
    return {
        "id": contract.id, "seller": contract.seller, "buyer": contract.buyer, "signed": contract.signed.value,
        "start": t.start, "end": t.end, "termination": contract.termination.kind,
        "earliest_notice_date": None if t.take_or_pay else t.earliest_notice_date,
        "monthly_fee_usd": t.monthly_fee_usd, "total_contract_value_usd": total_contract_value(t),
        "committed_floor_usd": committed_floor(t), "headline_backlog_usd": backlog.headline_usd,
        "enforceable_rpo_usd": backlog.enforceable_usd,
        "contingent_usd": float(contract.contingent_usd.value) if contract.contingent_usd is not None else 0.0,
    }


def book_totals(contracts: Sequence[Contract], as_of: dt.date) -> dict[str, float]:
    """The book figures at ``as_of``: sums over ``contracts`` of their figures, firm ones through
    :func:`neocloud.book.book_sum` (the one place book figures are added), the contingent amounts
    beside them. Keys: ``total_contract_value_usd``, ``committed_floor_usd``,
    ``headline_backlog_usd``, ``enforceable_rpo_usd``, ``contingent_usd``. No contract: all 0.

    >>> book_totals([], dt.date(2026, 6, 30))["headline_backlog_usd"]
    0.0
    """
    keys = ("total_contract_value_usd", "committed_floor_usd", "headline_backlog_usd", "enforceable_rpo_usd")
    out = dict.fromkeys(keys, 0.0)
    if contracts:
        book = Book(tuple(BookDeal(c.id, c.buyer, c.terms()) for c in contracts))
        backlog = book_backlog(book, as_of)
        out = {"total_contract_value_usd": book_total_contract_value(book), "committed_floor_usd": book_committed_floor(book),
               "headline_backlog_usd": backlog.headline_usd, "enforceable_rpo_usd": backlog.enforceable_usd}
    out["contingent_usd"] = float(sum(c.contingent_usd.value for c in contracts if c.contingent_usd is not None))
    return out


@dataclass(frozen=True)
class LedgerBook:
    """A seller's or a buyer's book at a reporting date: the contracts signed by then.

    ``side`` is ``"seller"`` or ``"buyer"``, ``name`` the company as the ledger spells it.

    >>> b = buyer_book(load_ledger(), "Reflection AI", dt.date(2026, 6, 30))   # its Nebius deal came in July
    >>> b.figures[["id", "seller", "headline_backlog_usd"]].values.tolist()
    [['spacex-reflection-ai', 'SpaceX', 6300000000.0]]
    >>> j = b.to_json()
    >>> j["buyer"], j["as_of"], j["totals"]["total_contract_value_usd"], j["contracts"][0]["termination"]
    ('Reflection AI', '2026-06-30', 6300000000.0, 'for_convenience')
    """

    side: Literal["seller", "buyer"]
    name: str
    as_of: dt.date
    contracts: tuple[Contract, ...]

    @property
    def figures(self) -> pd.DataFrame:
        """One row per contract (:func:`contract_figures`), in ledger order."""
        return pd.DataFrame([contract_figures(c, self.as_of) for c in self.contracts], columns=_FIGURE_COLUMNS)

    @property
    def totals(self) -> dict[str, float]:
        """The book's figures (:func:`book_totals`)."""
        return book_totals(self.contracts, self.as_of)

    def to_json(self) -> dict[str, Any]:
        """The book as JSON-ready data (what ``neocloud ledger --json`` prints): ``as_of``,
        ``seller`` or ``buyer``, ``contracts`` (each with ``id``, ``seller``, ``buyer``, ``signed``,
        ``monthly_fee_usd`` and the figures of :data:`FIGURES`), ``totals`` (their sums)."""
        keep = ("id", "seller", "buyer", "signed", "start", "end", "termination", "earliest_notice_date",
                "monthly_fee_usd", "committed_floor_usd", *FIGURES)
        rows = []
        for c in self.contracts:
            f = contract_figures(c, self.as_of)
            rows.append({k: (f[k].isoformat() if isinstance(f[k], dt.date) else f[k]) for k in keep})
        totals = self.totals
        return {"as_of": self.as_of.isoformat(), self.side: self.name, "contracts": rows,
                "totals": {k: totals[k] for k in ("committed_floor_usd", *FIGURES)}}


_FIGURE_COLUMNS = ["id", "seller", "buyer", "signed", "start", "end", "termination", "earliest_notice_date",
                   "monthly_fee_usd", "total_contract_value_usd", "committed_floor_usd", "headline_backlog_usd",
                   "enforceable_rpo_usd", "contingent_usd"]


def _book(ledger: Ledger, side: Literal["seller", "buyer"], name: str, as_of: dt.date) -> LedgerBook:
    known = ledger.sellers if side == "seller" else ledger.buyers
    canonical = _match(name, known, side)
    chosen = tuple(c for c in ledger.contracts if getattr(c, side) == canonical and c.signed.value <= as_of)
    return LedgerBook(side, canonical, as_of, chosen)


def seller_book(ledger: Ledger, seller: str, as_of: dt.date) -> LedgerBook:
    """The seller's book at the end of ``as_of``: its contracts signed by then (conventions). The
    name matches case-insensitively; an unknown one raises :class:`UnknownNameError` listing the
    sellers the ledger knows.

    >>> led = load_ledger()
    >>> b = seller_book(led, "spacex", dt.date(2026, 6, 30))
    >>> [c.buyer for c in b.contracts], round(b.totals["headline_backlog_usd"] / 1e9, 2)
    (['Anthropic', 'Google', 'Reflection AI'], 81.79)
    >>> [c.buyer for c in seller_book(led, "SpaceX", dt.date(2026, 6, 12)).contracts]   # at the IPO
    ['Anthropic', 'Google']
    >>> seller_book(load_ledger("tests/data/ledger_small.yaml", with_shipped=False), "Acme", dt.date(2026, 6, 30))
    Traceback (most recent call last):
    ...
    neocloud.ledger.UnknownNameError: no seller named 'Acme' in the ledger; known sellers: CoreWeave, IREN, Nebius, SpaceX
    """
    return _book(ledger, "seller", seller, as_of)


def buyer_book(ledger: Ledger, buyer: str, as_of: dt.date) -> LedgerBook:
    """The buyer's book at the end of ``as_of``: its commitments to every seller, signed by then.

    >>> b = buyer_book(load_ledger(), "GOOGLE", dt.date(2026, 6, 30))
    >>> b.name, [c.seller for c in b.contracts], round(b.totals["total_contract_value_usd"] / 1e9, 2)
    ('Google', ['SpaceX'], 31.74)
    """
    return _book(ledger, "buyer", buyer, as_of)


# --------------------------------------------------------------------------------------------
# The market: every seller's and every buyer's book side by side (the `market` report)

WALK_HORIZONS_DAYS = (90, 365)
"""The horizons of "the share of the backlog that can walk within N days"."""


def _book_sum(contracts: Sequence[Contract], figure: Any) -> float:
    """``figure(terms)`` summed over ``contracts`` through :func:`neocloud.book.book_sum`."""
    from neocloud.book import book_sum

    if not contracts:
        return 0.0
    return book_sum(Book(tuple(BookDeal(c.id, c.buyer, c.terms()) for c in contracts)), figure)


def signed_by(ledger: Ledger, as_of: dt.date) -> tuple[Contract, ...]:
    """The contracts of the whole ledger signed by the end of ``as_of`` (the market on that day).

    >>> [c.id for c in signed_by(load_ledger(), dt.date(2026, 6, 12))][:2]
    ['spacex-anthropic-colossus-1', 'spacex-google']
    """
    return tuple(c for c in ledger.contracts if c.signed.value <= as_of)


def first_stop(terms: DealTerms, as_of: dt.date) -> dt.date | None:
    """The first day without service if the buyer serves notice at its first opportunity on or
    after ``as_of`` (notice on ``as_of`` itself counts, as the enforceable RPO reads it); ``None``
    when it cannot (take-or-pay, or no notice date left in the term).

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3)
    >>> first_stop(t, dt.date(2026, 6, 30)), first_stop(t, dt.date(2027, 3, 1))
    (datetime.date(2026, 10, 30), datetime.date(2027, 5, 30))
    """
    from neocloud.deal import first_exit_on_or_after, termination_date

    if terms.take_or_pay:
        return None
    notice = first_exit_on_or_after(terms, as_of)
    if notice > terms.end:
        return None
    return termination_date(terms, notice)


def walkable_usd(terms: DealTerms, as_of: dt.date, within_days: int | None = None) -> float:
    """Fees after ``as_of`` the buyer can walk away from by serving notice at its first
    opportunity (fees of the days from :func:`first_stop` on), counted only if that opportunity
    comes within ``within_days`` of ``as_of`` (``None``: whenever it comes; then it is the headline
    backlog less the enforceable RPO). Take-or-pay: 0.

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3)
    >>> # notice from 1 Aug 2026 (32 days after 30 June): service ends 30 Oct; 45 - 6.17 walkable
    >>> round(walkable_usd(t, dt.date(2026, 6, 30), 90) / 1e9, 2), walkable_usd(t, dt.date(2026, 6, 30), 30)
    (38.83, 0.0)
    """
    from neocloud.deal import DAY, accrued_usd, first_exit_on_or_after

    stop = first_stop(terms, as_of)
    if stop is None:
        return 0.0
    if within_days is not None and first_exit_on_or_after(terms, as_of) > as_of + dt.timedelta(days=within_days):
        return 0.0
    return total_contract_value(terms) - float(accrued_usd(terms, max(stop, as_of + DAY)))


def _prices(c: Contract) -> dict[str, Any]:
    from neocloud.economics import HOURS_PER_MONTH

    fee = c.monthly_fee_usd_resolved
    return {
        "capacity_mw": float(c.capacity_mw.value) if c.capacity_mw is not None else None,
        "capacity_basis": c.capacity_mw.basis if c.capacity_mw is not None else None,
        "usd_per_mw_year": 12 * fee / c.capacity_mw.value if c.capacity_mw is not None else None,
        "gpus_h100e": float(c.gpus_h100e.value) if c.gpus_h100e is not None else None,
        "usd_per_h100e_hour": fee / (c.gpus_h100e.value * HOURS_PER_MONTH) if c.gpus_h100e is not None else None,
    }


def market_contracts(ledger: Ledger, as_of: dt.date) -> pd.DataFrame:
    """Every contract signed by ``as_of``, one row each: the columns of :func:`contract_figures`,
    ``first_stop`` (:func:`first_stop`), ``walkable_usd`` and ``walkable_90d_usd`` /
    ``walkable_365d_usd`` (:func:`walkable_usd`), and prices where capacity is known:
    ``capacity_mw``, ``capacity_basis``, ``usd_per_mw_year`` (twelve full monthly fees per MW),
    ``gpus_h100e``, ``usd_per_h100e_hour`` (the full fee over H100e x 730.5 hours).

    >>> m = market_contracts(load_ledger(), dt.date(2026, 6, 30))
    >>> m.loc[m.id == "spacex-anthropic-colossus-1", ["usd_per_mw_year", "capacity_basis"]].values.tolist()
    [[50000000.0, 'reported_unspecified']]
    """
    rows = []
    for c in signed_by(ledger, as_of):
        t = c.terms()
        row = contract_figures(c, as_of)
        row["first_stop"] = first_stop(t, as_of)
        row["walkable_usd"] = walkable_usd(t, as_of)
        for h in WALK_HORIZONS_DAYS:
            row[f"walkable_{h}d_usd"] = walkable_usd(t, as_of, h)
        row.update(_prices(c))
        rows.append(row)
    columns = [*_FIGURE_COLUMNS, "first_stop", "walkable_usd", *(f"walkable_{h}d_usd" for h in WALK_HORIZONS_DAYS),
               "capacity_mw", "capacity_basis", "usd_per_mw_year", "gpus_h100e", "usd_per_h100e_hour"]
    return pd.DataFrame(rows, columns=columns)


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


def market_sellers(ledger: Ledger, as_of: dt.date) -> pd.DataFrame:
    """Every seller's book at ``as_of`` side by side, one row per seller with contracts signed by
    then: ``seller``, ``contracts``, the book totals (:func:`book_totals`), ``enforceable_share``
    (enforceable RPO over headline backlog), ``walkable_90d_share`` and ``walkable_365d_share``
    (of the headline backlog), ``top_buyer`` and ``top_buyer_share`` (the largest buyer's share
    of the headline backlog), ``hhi`` (the sum of squared buyer shares of it), and the prices of
    the contracts whose capacity is known: ``usd_per_mw_year`` (twelve fees over their MW, with
    ``mw_basis`` the bases mixed in) and ``usd_per_h100e_hour``. Shares are ``None`` for an
    empty backlog, prices where no capacity is known.

    >>> s = market_sellers(load_ledger(), dt.date(2026, 6, 30)).set_index("seller").loc["SpaceX"]
    >>> s.top_buyer, round(float(s.top_buyer_share), 3), round(float(s.walkable_90d_share), 3)
    ('Anthropic', 0.535, 0.475)
    """
    from neocloud.economics import HOURS_PER_MONTH

    rows = []
    for seller in ledger.sellers:
        book = seller_book(ledger, seller, as_of)
        if not book.contracts:
            continue
        totals = book.totals
        headline = totals["headline_backlog_usd"]
        by_buyer: dict[str, float] = {}
        for c in book.contracts:
            by_buyer[c.buyer] = by_buyer.get(c.buyer, 0.0) + _book_sum(
                [c], lambda t: remaining_performance_obligation(t, as_of).headline_usd)
        top = max(by_buyer, key=lambda b: by_buyer[b])
        with_mw = [c for c in book.contracts if c.capacity_mw is not None]
        with_h100e = [c for c in book.contracts if c.gpus_h100e is not None]
        fees_mw = _book_sum(with_mw, lambda t: 12 * t.monthly_fee_usd)
        mw = sum(float(c.capacity_mw.value) for c in with_mw)  # type: ignore[union-attr]
        fees_h = _book_sum(with_h100e, lambda t: t.monthly_fee_usd)
        h100e = sum(float(c.gpus_h100e.value) for c in with_h100e)  # type: ignore[union-attr]
        row: dict[str, Any] = {"seller": seller, "contracts": len(book.contracts), **totals,
                               "enforceable_share": _share(totals["enforceable_rpo_usd"], headline)}
        for h in WALK_HORIZONS_DAYS:
            row[f"walkable_{h}d_usd"] = _book_sum(book.contracts, lambda t, h=h: walkable_usd(t, as_of, h))
            row[f"walkable_{h}d_share"] = _share(row[f"walkable_{h}d_usd"], headline)
        row.update({
            "top_buyer": top, "top_buyer_share": _share(by_buyer[top], headline),
            "hhi": sum((v / headline) ** 2 for v in by_buyer.values()) if headline > 0 else None,
            "usd_per_mw_year": fees_mw / mw if mw else None,
            "mw_basis": ", ".join(sorted({c.capacity_mw.basis for c in with_mw})) or None,  # type: ignore[union-attr]
            "usd_per_h100e_hour": fees_h / (h100e * HOURS_PER_MONTH) if h100e else None,
        })
        rows.append(row)
    return pd.DataFrame(rows)


def buyer_commitments(ledger: Ledger, as_of: dt.date) -> pd.DataFrame:
    """Every buyer's commitments by seller and calendar year, for service after ``as_of``: one
    row per buyer, seller and year with ``committed_usd`` (the fees of those days if every
    contract runs its course) and ``walkable_usd`` (the part a notice at the first opportunity
    after ``as_of`` would cancel; 0 under take-or-pay).

    >>> f = buyer_commitments(load_ledger(), dt.date(2026, 6, 30))
    >>> g = f[(f.buyer == "Anthropic") & (f.year == 2027) & (f.seller == "SpaceX")].iloc[0]
    >>> g.seller, float(g.committed_usd) / 1e9, float(g.walkable_usd) / 1e9
    ('SpaceX', 15.0, 15.0)
    """
    from neocloud.deal import DAY, accrued_usd

    rows = []
    for c in signed_by(ledger, as_of):
        t = c.terms()
        stop = first_stop(t, as_of)
        first = max(t.start, as_of + DAY)
        for year in range(first.year, t.end.year + 1):
            lo, hi = max(dt.date(year, 1, 1), first), dt.date(year + 1, 1, 1)
            committed = float(accrued_usd(t, hi) - accrued_usd(t, lo))
            walk = 0.0 if stop is None else float(accrued_usd(t, hi) - accrued_usd(t, max(lo, stop)))
            rows.append({"buyer": c.buyer, "seller": c.seller, "year": year, "committed_usd": committed,
                         "walkable_usd": max(walk, 0.0)})
    frame = pd.DataFrame(rows, columns=["buyer", "seller", "year", "committed_usd", "walkable_usd"])
    return frame.groupby(["buyer", "seller", "year"], as_index=False, sort=True)[["committed_usd", "walkable_usd"]].sum()


def notice_calendar(ledger: Ledger, as_of: dt.date, months: int = 12) -> pd.DataFrame:
    """The notice windows opening after ``as_of`` and within ``months``, across the whole ledger,
    and the delivery deadlines in the same window: ``date``, ``event`` (``"notice window opens"``
    or ``"delivery deadline"``), ``id``, ``seller``, ``buyer``, ``service_ends`` (the first day
    without service if notice is served that day) and ``at_stake_usd`` (the fees that notice
    would cancel); the delivery rows carry the right in words instead. In date order.

    >>> cal = notice_calendar(load_ledger(), dt.date(2026, 6, 30))
    >>> [(str(r.date), r.buyer) for r in cal.itertuples() if r.event == "notice window opens"]
    [('2026-08-01', 'Anthropic'), ('2026-10-01', 'Reflection AI'), ('2027-01-01', 'Google')]
    """
    from neocloud.deal import DAY, accrued_usd, add_months, termination_date

    horizon = add_months(as_of, months)
    rows = []
    for c in signed_by(ledger, as_of):
        t = c.terms()
        opens = t.earliest_notice_date
        if not t.take_or_pay and as_of < opens <= min(horizon, t.end):
            stop = termination_date(t, opens)
            rows.append({"date": opens, "event": "notice window opens", "id": c.id, "seller": c.seller,
                         "buyer": c.buyer, "service_ends": stop, "notice_days": t.notice_days,
                         "at_stake_usd": total_contract_value(t) - float(accrued_usd(t, stop)), "right": None})
        if c.delivery_failure is not None and as_of < c.delivery_failure.deadline.value <= horizon:
            rows.append({"date": c.delivery_failure.deadline.value, "event": "delivery deadline", "id": c.id,
                         "seller": c.seller, "buyer": c.buyer, "service_ends": None, "notice_days": None,
                         "at_stake_usd": None, "right": c.delivery_failure.right})
    columns = ["date", "event", "id", "seller", "buyer", "service_ends", "notice_days", "at_stake_usd", "right"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["date", "id"], kind="stable").reset_index(drop=True) if rows else frame


ALL_SELLERS = "All sellers"
"""The seller choice of :func:`notice_calendar_grid` that stands for the whole ledger."""


def notice_calendar_grid(calendar: pd.DataFrame, as_of: dt.date, horizons: Sequence[int] = (3, 6, 12)) -> pd.DataFrame:
    """The notice calendar (:func:`notice_calendar`) summed for each horizon in months and each
    seller (and :data:`ALL_SELLERS`), for the report's controls: ``horizon_months``, ``until``
    (``as_of`` plus the horizon), ``seller``, ``windows`` (notice windows opening after ``as_of``
    and by ``until``), ``at_stake_usd`` (the fees those notices would cancel, summed) and
    ``deadlines`` (delivery deadlines in the same days). Every row of ``calendar`` must fall within
    the longest horizon.

    >>> a = dt.date(2026, 6, 30)
    >>> g = notice_calendar_grid(notice_calendar(load_ledger(), a), a).set_index(["horizon_months", "seller"])
    >>> g.loc[(3, ALL_SELLERS), ["windows", "deadlines"]].tolist(), round(float(g.loc[(12, "SpaceX")].at_stake_usd) / 1e9, 2)
    ([1, 1], 69.08)
    """
    from neocloud.deal import add_months

    sellers = [ALL_SELLERS, *sorted(set(calendar.seller), key=str.casefold)]
    rows = []
    for h in sorted(horizons):
        until = add_months(as_of, h)
        within = calendar[calendar.date <= until] if len(calendar) else calendar
        for seller in sellers:
            mine = within if seller == ALL_SELLERS else within[within.seller == seller]
            windows = mine[mine.event == "notice window opens"]
            rows.append({"horizon_months": h, "until": until, "seller": seller, "windows": len(windows),
                         "at_stake_usd": float(windows.at_stake_usd.sum()) if len(windows) else 0.0,
                         "deadlines": int((mine.event == "delivery deadline").sum())})
    return pd.DataFrame(rows, columns=["horizon_months", "until", "seller", "windows", "at_stake_usd", "deadlines"])


def market_totals(ledger: Ledger, as_of: dt.date) -> dict[str, float]:
    """The whole market at ``as_of``: :func:`book_totals` of every contract signed by then, with
    ``walkable_usd`` (headline backlog less enforceable RPO) and ``contracts``.

    >>> t = market_totals(load_ledger(), dt.date(2026, 6, 30))
    >>> round(t["headline_backlog_usd"] / 1e9, 2), round(t["walkable_usd"] / 1e9, 2), t["contracts"]
    (1065.86, 69.08, 30)
    """
    contracts = signed_by(ledger, as_of)
    totals: dict[str, float] = book_totals(contracts, as_of)
    totals["walkable_usd"] = _book_sum(contracts, lambda t: walkable_usd(t, as_of))
    totals["contracts"] = len(contracts)
    return totals


def market_buyers(ledger: Ledger, as_of: dt.date) -> pd.DataFrame:
    """Every buyer's book at ``as_of``, one row per buyer with contracts signed by then:
    ``buyer``, ``sellers`` (joined), ``contracts``, the book totals (:func:`book_totals`) and
    ``walkable_usd`` (what it can walk away from: headline backlog less enforceable RPO), largest
    commitment first.

    >>> b = market_buyers(load_ledger(), dt.date(2026, 6, 30))
    >>> b.buyer.tolist()[:3], round(float(b.set_index("buyer").walkable_usd["Anthropic"]) / 1e9, 2)
    (['OpenAI', 'Anthropic', 'Meta'], 38.83)
    """
    rows = []
    for buyer in ledger.buyers:
        book = buyer_book(ledger, buyer, as_of)
        if not book.contracts:
            continue
        totals = book.totals
        rows.append({"buyer": book.name, "sellers": ", ".join(sorted({c.seller for c in book.contracts}, key=str.casefold)),
                     "contracts": len(book.contracts), **totals,
                     "walkable_usd": _book_sum(book.contracts, lambda t: walkable_usd(t, as_of))})
    frame = pd.DataFrame(rows)
    return frame.sort_values("headline_backlog_usd", ascending=False, kind="stable").reset_index(drop=True) if rows else frame


def market_report_inputs(ledger_file: str | Path | None, as_of: str | dt.date,
                         search_from: Sequence[Path] = ()) -> tuple[Ledger, dt.date]:
    """The ledger and the reporting date of the market report, from its two parameters: the
    shipped ledger with ``ledger_file`` beside it (looked for as scenario files are,
    :func:`neocloud.scenario.find_scenario_file`), and ``as_of`` as ``YYYY-MM-DD``. Bad input
    raises :class:`LedgerError` naming the parameter, the value and what is allowed.

    >>> led, a = market_report_inputs(None, "2026-06-30")
    >>> a, len(signed_by(led, a)) >= 3
    (datetime.date(2026, 6, 30), True)
    >>> market_report_inputs(None, "30 June")
    Traceback (most recent call last):
    ...
    neocloud.ledger.LedgerError: as_of: value '30 June': a date written YYYY-MM-DD is expected, e.g. 2026-05-01
    """
    from neocloud.scenario import _iso_date, find_scenario_file

    try:
        day = _iso_date(as_of)
    except ValueError as e:
        raise LedgerError("as_of", [f"value {as_of!r}: {e}"]) from None
    path: Path | None = None
    if ledger_file is not None:
        path = find_scenario_file(ledger_file, list(search_from))
        if path is None:
            raise LedgerError(str(ledger_file), ["file not found (ledger_file: your own ledger, read beside the shipped one)"])
    return load_ledger(path), day
