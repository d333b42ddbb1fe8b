"""What the filings say about the terms: the model's book held against the seller's reported figures.

Two questions, each answered from the book and a reported figure (``neocloud.inputs.reported``):

* **Which readings of the termination terms fit the reported backlog?** The enforceable RPO of
  the book at the period end under every reading of the deal's termination terms
  (``termination_readings``), with its range over the book's undisclosed terms (each ramp
  discount that is an assumption at 0% and 100%, each assumed start moved to the first full-fee
  month): a reading is *consistent* with the reported figure when the figure lies in that range.
  :func:`rpo_gap_closers` names the single undisclosed term that would close the gap, and to what.
* **What ramp discount does reported revenue imply?** Revenue is linear in the discount ``d``
  (``R(d) = R(0) - d * (R(0) - R(1))``), so the discount at which the model's revenue equals the
  reported figure is solved exactly, under two readings of what billed in the period: the deal
  alone (the book as the scenario assumes it), and every contract signed by the period end billing
  from the day after its signing at the same discount (the most that could have billed). The two
  are the bounds the filing supports.

Conventions: ``shared/conventions.md`` ("Backlog and RPO", "Books", "Reported figures").
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, replace
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from neocloud.model.book import Book, book_backlog, book_of, book_sum
from neocloud.model.deal import DAY, DealTerms, add_months, month_index, recognised_revenue
from neocloud.inputs.reported import rounding_half_width_usd

if TYPE_CHECKING:
    from neocloud.inputs.ledger import Ledger
    from neocloud.inputs.reported import ReportedFigure
    from neocloud.inputs.scenario import Scenario


def reading_books(scenario: "Scenario") -> list[tuple[str, DealTerms]]:
    """The scenario's deal under every reading of its termination terms, as ``(label, terms)`` in
    the order of the file, then the scenario's own terms (``"this scenario"``) if no reading gives
    them.

    >>> from neocloud import load_scenario
    >>> [(label[:12], t.earliest_notice_date.isoformat()) for label, t in reading_books(load_scenario("params/base.yaml"))][:2]
    [('Original S-1', '2026-05-03'), ('Musk, read a', '2026-07-30')]
    """
    base = scenario.deal
    out = []
    for r in scenario.termination_readings:
        lockup = r.lockup_months if r.lockup_months is not None else base.lockup_months
        out.append((r.label, replace(base, lockup_months=lockup, earliest_notice_clause=r.earliest_notice_date)))
    if not any(t.earliest_notice_date == base.earliest_notice_date for _, t in out):
        out.append(("this scenario", base))
    return out


def assumption_variants(scenario: "Scenario") -> dict[str, list[tuple[str, DealTerms]]]:
    """Each deal of the book with the settings its undisclosed terms allow: ``{deal name: [(setting,
    terms), ...]}``, the scenario's own setting first (``"as assumed"``). A ramp discount that is an
    assumption goes to 0% and 100%; an assumed start goes to the first full-fee month with no ramp.
    Terms that are sourced have one setting.

    >>> from neocloud import load_scenario
    >>> v = assumption_variants(load_scenario("params/base.yaml"))
    >>> [s for s, _ in v["Google - SpaceX"]]
    ['as assumed', 'ramp discount 0%', 'ramp discount 100%', 'start 2026-10-01, no ramp']
    """
    sources = {scenario.deal_name: scenario.terms, **{o.deal_name: o.terms for o in scenario.other_deals}}
    out: dict[str, list[tuple[str, DealTerms]]] = {}
    for d in book_of(scenario).deals:
        terms, t = sources[d.name], d.terms
        settings = [("as assumed", t)]
        if terms.ramp_discount.assumption and t.ramp_months:
            settings += [(f"ramp discount {x:.0%}", replace(t, ramp_discount=x)) for x in (0.0, 1.0)]
        if terms.start.assumption and t.ramp_months:
            first_full = add_months(t.start.replace(day=1), t.ramp_months)
            settings.append((f"start {first_full.isoformat()}, no ramp", replace(t, start=first_full, ramp_months=0)))
        out[d.name] = settings
    return out


def _with(book: Book, name: str, terms: DealTerms) -> Book:
    return Book(tuple(replace(d, terms=terms) if d.name == name else d for d in book.deals))


def rpo_by_reading(scenario: "Scenario", as_of: dt.date, reported_usd: float) -> pd.DataFrame:
    """The book's enforceable RPO at the end of ``as_of`` under every reading of the deal's
    termination terms, beside a reported figure: one row per reading with ``reading``,
    ``earliest_notice_date``, ``headline_backlog_usd``, ``enforceable_rpo_usd`` (the book as
    assumed), ``low_usd`` and ``high_usd`` (its range over every combination of the book's
    undisclosed terms, :func:`assumption_variants`), ``ratio`` (model / reported) and
    ``consistent`` (the reported figure, read with the rounding it was given to, meets ``[low_usd,
    high_usd]``: $14.1B stands for $14.05B to $14.15B, :func:`~neocloud.inputs.reported.rounding_half_width_usd`). Only contracts signed by
    ``as_of`` count (``book_backlog`` of the scenario's book; a contract signed later holds no
    remaining obligation then).

    >>> from neocloud import load_scenario
    >>> r = rpo_by_reading(load_scenario("params/base.yaml"), dt.date(2026, 6, 30), 14.1e9)
    >>> row = r[r.earliest_notice_date == dt.date(2026, 8, 1)].iloc[0]   # the amended S-1's, the base's own
    >>> round(float(row.enforceable_rpo_usd) / 1e9, 2), round(float(row.high_usd) / 1e9, 2), bool(row.consistent)
    (12.71, 14.09, True)
    """
    if reported_usd <= 0:
        raise ValueError(f"reported_usd {reported_usd} must be positive")
    half = rounding_half_width_usd(reported_usd)
    book = _signed_by(book_of(scenario), as_of)
    variants = {name: v for name, v in assumption_variants(scenario).items() if name in book.names}
    rows = []
    for label, terms in reading_books(scenario):
        if scenario.deal_name not in book.names:
            break
        read = _with(book, scenario.deal_name, terms)
        b = book_backlog(read, as_of)
        values = []
        for combo in itertools.product(*(variants[d.name] for d in read.deals)):
            trial = Book(tuple(replace(d, terms=_reading_of(v, terms) if d.name == scenario.deal_name else v)
                               for d, (_, v) in zip(read.deals, combo)))
            values.append(book_backlog(trial, as_of).enforceable_usd)
        low, high = min(values), max(values)
        rows.append({"reading": label, "earliest_notice_date": terms.earliest_notice_date,
                     "headline_backlog_usd": b.headline_usd, "enforceable_rpo_usd": b.enforceable_usd,
                     "low_usd": low, "high_usd": high, "ratio": b.enforceable_usd / reported_usd,
                     "consistent": bool(low <= reported_usd + half and reported_usd - half <= high)})
    return pd.DataFrame(rows, columns=["reading", "earliest_notice_date", "headline_backlog_usd", "enforceable_rpo_usd",
                                       "low_usd", "high_usd", "ratio", "consistent"])


def _reading_of(variant: DealTerms, reading: DealTerms) -> DealTerms:
    """A variant of the deal's undisclosed terms under one reading of its termination clauses."""
    return replace(variant, lockup_months=reading.lockup_months, earliest_notice_clause=reading.earliest_notice_clause,
                   notice_days=reading.notice_days)


def _signed_by(book: Book, as_of: dt.date) -> Book:
    """The contracts of a book signed by the end of ``as_of`` (unsigned dates count as signed)."""
    kept = tuple(d for d in book.deals if d.terms.signed is None or d.terms.signed <= as_of)
    if not kept:
        raise ValueError(f"no contract of the book was signed by {as_of}")
    return Book(kept)


def rpo_gap_closers(scenario: "Scenario", as_of: dt.date, reported_usd: float) -> pd.DataFrame:
    """Which single undisclosed ramp discount of the book, changed alone under the scenario's own
    reading, brings the model's enforceable RPO at ``as_of`` within the reported figure's rounding
    (:func:`~neocloud.inputs.reported.rounding_half_width_usd`): one row per deal whose discount is an
    assumption and moves the RPO, with ``deal``, ``assumed`` (the scenario's discount),
    ``rpo_at_0_usd`` and ``rpo_at_1_usd`` (the book's RPO with that discount at 0% and 100%), and
    ``closes_from`` / ``closes_to`` (the discounts in [0, 1] that fit the figure; None when none
    does). The RPO is linear in a deal's discount, so the interval is exact.

    >>> from neocloud import load_scenario
    >>> g = rpo_gap_closers(load_scenario("params/base.yaml"), dt.date(2026, 6, 30), 14.1e9)
    >>> row = g[g.deal == "Google - SpaceX"].iloc[0]
    >>> float(row.assumed), float(row.closes_from), round(float(row.closes_to), 4)   # (14.0897 - 14.05) / 2.76: Google's ramp near full fee
    (0.5, 0.0, 0.0144)
    """
    half = rounding_half_width_usd(reported_usd)
    book = _signed_by(book_of(scenario), as_of)
    sources = {scenario.deal_name: scenario.terms, **{o.deal_name: o.terms for o in scenario.other_deals}}
    rows = []
    for d in book.deals:
        terms, t = sources[d.name], d.terms
        if not (terms.ramp_discount.assumption and t.ramp_months):
            continue
        at0, at1 = (book_backlog(_with(book, d.name, replace(t, ramp_discount=x)), as_of).enforceable_usd
                    for x in (0.0, 1.0))
        slope = at0 - at1
        if slope <= 0:
            continue  # the ramp is over by as_of: the discount moves no remaining obligation
        lo = max(0.0, (at0 - (reported_usd + half)) / slope)
        hi = min(1.0, (at0 - (reported_usd - half)) / slope)
        fits = lo <= hi
        rows.append({"deal": d.name, "assumed": t.ramp_discount, "rpo_at_0_usd": at0, "rpo_at_1_usd": at1,
                     "closes_from": lo if fits else None, "closes_to": hi if fits else None})
    return pd.DataFrame(rows, columns=["deal", "assumed", "rpo_at_0_usd", "rpo_at_1_usd", "closes_from", "closes_to"])


@dataclass(frozen=True)
class ImpliedDiscount:
    """The ramp discount at which the model's revenue in a period equals a reported figure.

    ``alone``: the deal's discount when only the book as the scenario assumes it billed;
    ``all_signed``: the common discount when every contract signed by the period end billed from
    the day after its signing. Each is None where no discount in [0, 1] reaches the figure (then
    ``revenue_at_bounds_usd`` shows why). ``low``/``high`` are the bounds the figure supports.
    """

    reported_usd: float
    period_start: dt.date
    period_end: dt.date
    alone: float | None
    all_signed: float | None
    revenue_alone_usd: tuple[float, float]
    revenue_all_signed_usd: tuple[float, float]
    model_revenue_usd: float
    """The model's revenue in the period at the scenario's own discounts."""

    @property
    def low(self) -> float | None:
        vals = [v for v in (self.alone, self.all_signed) if v is not None]
        return min(vals) if vals else None

    @property
    def high(self) -> float | None:
        vals = [v for v in (self.alone, self.all_signed) if v is not None]
        return max(vals) if vals else None


def _solve(r0: float, r1: float, reported: float) -> float | None:
    """``d`` with ``r0 - d * (r0 - r1) = reported``, if it lies in [0, 1]."""
    if r0 == r1:
        return None
    d = (r0 - reported) / (r0 - r1)
    return d if -1e-12 <= d <= 1 + 1e-12 else None


def billing_from_signing(t: DealTerms) -> DealTerms:
    """A contract's terms with service from the day after signing where it was signed before its
    start, the ramp stretched so that it still ends with the same month (the most it could have
    billed before its assumed start).

    >>> t = DealTerms(9.2e8, dt.date(2026, 7, 1), dt.date(2029, 6, 30), 3, 0.5, signed=dt.date(2026, 6, 5))
    >>> b = billing_from_signing(t)
    >>> b.start.isoformat(), b.ramp_months
    ('2026-06-06', 4)
    """
    if t.signed is None or t.signed + DAY >= t.start:
        return t
    start = t.signed + DAY
    extra = month_index(start, t.start)
    return replace(t, start=start, ramp_months=t.ramp_months + extra if t.ramp_months else 0)


def implied_ramp_discount(scenario: "Scenario", reported_usd: float, period_start: dt.date,
                          period_end: dt.date) -> ImpliedDiscount:
    """The ramp discount that a reported revenue figure for ``[period_start, period_end]`` implies
    (see the module's docstring): solved for the scenario's deal alone, and for every contract
    signed by ``period_end`` billing from its signing at one common discount.

    >>> from neocloud import load_scenario
    >>> r = implied_ramp_discount(load_scenario("params/base.yaml"), 1.6e9, dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    >>> round(r.alone, 4), round(r.all_signed, 4), round(r.model_revenue_usd / 1e9, 2)   # 1 - 1.6 / 2.5; (3.3067 - 1.6) / (3.3067 - 0.04)
    (0.36, 0.5224, 1.25)
    """
    if period_end < period_start:
        raise ValueError(f"period end {period_end} is before its start {period_start}")
    if reported_usd <= 0:
        raise ValueError(f"reported_usd {reported_usd} must be positive")
    book = _signed_by(book_of(scenario), period_end)

    def revenue(b: Book) -> float:
        return book_sum(b, lambda t: recognised_revenue(t, period_start, period_end))

    deal = book.deal(scenario.deal_name).terms
    alone = tuple(revenue(_with(book, scenario.deal_name, replace(deal, ramp_discount=x))) for x in (0.0, 1.0))
    signed = Book(tuple(replace(d, terms=billing_from_signing(d.terms)) for d in book.deals))
    everyone = tuple(revenue(Book(tuple(replace(d, terms=replace(d.terms, ramp_discount=x)) for d in signed.deals)))
                     for x in (0.0, 1.0))
    return ImpliedDiscount(reported_usd, period_start, period_end, _solve(*alone, reported_usd),
                           _solve(*everyone, reported_usd), alone, everyone, revenue(book))


@dataclass(frozen=True)
class FilingCheck:
    """The scenario's book held against its seller's filing for the period ending on the reporting
    date: the reported RPO-like figure and revenue of the contracts, the readings the RPO fits
    (:func:`rpo_by_reading`), the undisclosed terms that close the gap (:func:`rpo_gap_closers`) and
    the ramp discount the revenue implies (:func:`implied_ramp_discount`); each part None where the
    filing gives no such figure."""

    backlog_figure: "ReportedFigure | None"
    revenue_figure: "ReportedFigure | None"
    readings: pd.DataFrame | None
    closers: pd.DataFrame | None
    discount: ImpliedDiscount | None


def filing_check(scenario: "Scenario", reported: "Sequence[ReportedFigure]") -> FilingCheck | None:
    """What the seller's filing for the period ending on the scenario's reporting date says about
    the terms: the contracts' reported RPO (``rpo`` or ``contracted_sales`` of scope
    ``contracts``) and their reported revenue for the period (``revenue`` of scope ``contracts``).
    None when the scenario names no ``seller.ledger_name`` or the filer reported neither.

    >>> from neocloud import load_scenario
    >>> from neocloud.inputs.reported import load_reported
    >>> c = filing_check(load_scenario("params/base.yaml"), load_reported())
    >>> c.backlog_figure.value_usd, c.revenue_figure.value_usd, round(c.discount.alone, 2)
    (14100000000.0, 1600000000.0, 0.36)
    """
    name = scenario.seller.ledger_name
    if name is None:
        return None
    as_of = scenario.as_of.value  # a name no filer has gives no figure: None below
    mine = [f for f in reported if f.filer.casefold() == name.casefold() and f.period_end == as_of and f.scope == "contracts"]
    backlog = next((f for f in mine if f.measure in ("rpo", "contracted_sales")), None)
    revenue = next((f for f in mine if f.measure == "revenue"), None)
    if backlog is None and revenue is None:
        return None
    readings = rpo_by_reading(scenario, as_of, backlog.value_usd) if backlog else None
    closers = rpo_gap_closers(scenario, as_of, backlog.value_usd) if backlog else None
    discount = (implied_ramp_discount(scenario, revenue.value_usd, revenue.period_start, revenue.period_end)
                if revenue is not None and revenue.period_start is not None else None)
    return FilingCheck(backlog, revenue, readings, closers, discount)


def known_since(ledger: "Ledger", reported: "Sequence[ReportedFigure]", seller: str, as_of: dt.date) -> pd.DataFrame:
    """What became known about ``seller`` after the reporting date: its contracts signed after
    ``as_of`` (in the ledger, each joining the book from its signing) and its figures published
    after it. One row each, by date: ``date``, ``kind`` (``contract`` or ``filing``), ``what``,
    ``usd`` (a contract's total value; a figure's value), ``source_url``.

    >>> import neocloud as nc
    >>> k = known_since(nc.load_ledger(), nc.load_reported(), "SpaceX", dt.date(2026, 6, 30))
    >>> k[k.kind == "contract"][["date", "what"]].values.tolist()
    [[datetime.date(2026, 7, 15), 'contract signed: Undisclosed (spacex-undisclosed-q3-2026)']]
    """
    from neocloud.model.deal import total_contract_value
    from neocloud.inputs.ledger import seller_name

    name = seller_name(ledger, seller)
    rows = [{"date": c.signed.value, "kind": "contract", "what": f"contract signed: {c.buyer} ({c.id})",
             "usd": total_contract_value(c.terms()), "source_url": c.signed.source.url if c.signed.source else None}
            for c in ledger.contracts if c.seller == name and c.signed.value > as_of]
    rows += [{"date": f.source.date, "kind": "filing",
              "what": f"{f.measure.replace('_', ' ')} for the period ending {f.period_end.isoformat()}: {f.line}",
              "usd": f.value_usd, "source_url": f.source.url}
             for f in reported if f.filer.casefold() == name.casefold() and f.source.date > as_of]
    frame = pd.DataFrame(rows, columns=["date", "kind", "what", "usd", "source_url"])
    return frame.sort_values(["date", "kind"], kind="stable").reset_index(drop=True)


def ledger_seller(scenario: "Scenario", ledger: "Ledger") -> str | None:
    """The scenario's seller as the ledger spells it (``seller.ledger_name``, in any case), or
    None where the scenario names none or the ledger has no such seller.

    >>> import neocloud as nc
    >>> ledger_seller(nc.load_scenario("params/base.yaml"), nc.load_ledger())
    'SpaceX'
    """
    from neocloud.inputs.ledger import seller_name

    name = scenario.seller.ledger_name
    return None if name is None else seller_name(ledger, name, missing_ok=True)
