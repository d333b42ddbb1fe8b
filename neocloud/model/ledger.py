"""Views of the contract ledger (:mod:`neocloud.inputs.ledger` reads it): every seller's and
buyer's book, the market's sellers and buyers side by side, and the calendar of notice windows.

Conventions (``shared/conventions.md``, "Contracts and the ledger"; the YAML format is fixed in
the README, "The ledger"):

* A ledger file is YAML whose top-level key ``contracts`` holds a list of contract records. A
  field is a plain value or an input, ``{value, source}`` / ``{value, assumption: true, note}``,
  sourced exactly as scenario inputs are (:class:`neocloud.inputs.scenario.Source`). The shipped ledger
  (``neocloud/data/contracts.yaml``) is sourced throughout; a user's own ledger may hold plain
  values (a warning names the unsourced fields of each record).
* The fee is ``monthly_fee_usd`` or ``total_usd`` (never both); with ``total_usd`` the monthly fee
  is the total over ``W`` (:func:`neocloud.model.deal.monthly_fee_for_total`), so the contract's total
  under daily accrual is ``total_usd``.
* ``delivery_steps`` give the delivered (and billed) share of capacity from each date on.
* ``termination.kind: none`` is take-or-pay: committed floor = total, enforceable RPO = headline.
* ``contingent_usd`` (options, backstops, "up to" beyond the firm part) is kept apart and never
  counted in firm figures.
* A book at reporting date ``a`` holds the contracts with ``signed <= a`` only, and every book
  figure is the sum of its contracts' figures (:func:`book_totals`, through
  :func:`neocloud.model.book.book_sum`).

Every per-contract figure is :mod:`neocloud.model.deal`'s, on the :class:`~neocloud.model.deal.DealTerms` of
the record (:meth:`Contract.terms`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from neocloud.inputs.ledger import Contract, Ledger, LedgerError, _match, load_ledger
from neocloud.model.book import Book, BookDeal, book_backlog, book_committed_floor, book_total_contract_value
from neocloud.model.deal import DealTerms, committed_floor, remaining_performance_obligation, total_contract_value

FIGURES = ("total_contract_value_usd", "headline_backlog_usd", "enforceable_rpo_usd", "contingent_usd")
"""The book figures of ``neocloud ledger --json``: each the sum of its contracts' figures."""


# --------------------------------------------------------------------------------------------
# The records


# --------------------------------------------------------------------------------------------
# Reading ledger files


# --------------------------------------------------------------------------------------------
# Books


def contract_figures(contract: Contract, as_of: dt.date) -> dict[str, Any]:
    """One contract's figures at the end of ``as_of`` (all from :mod:`neocloud.model.deal`): ``id``,
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
    :func:`neocloud.model.book.book_sum` (the one place book figures are added), the contingent amounts
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
    neocloud.inputs.ledger.UnknownNameError: no seller named 'Acme' in the ledger; known sellers: CoreWeave, IREN, Nebius, SpaceX
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
    """``figure(terms)`` summed over ``contracts`` through :func:`neocloud.model.book.book_sum`."""
    from neocloud.model.book import book_sum

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
    from neocloud.model.deal import first_exit_on_or_after, termination_date

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
    from neocloud.model.deal import DAY, accrued_usd, first_exit_on_or_after

    stop = first_stop(terms, as_of)
    if stop is None:
        return 0.0
    if within_days is not None and first_exit_on_or_after(terms, as_of) > as_of + dt.timedelta(days=within_days):
        return 0.0
    return total_contract_value(terms) - float(accrued_usd(terms, max(stop, as_of + DAY)))


def _prices(c: Contract) -> dict[str, Any]:
    from neocloud.model.economics import HOURS_PER_MONTH

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
    from neocloud.model.economics import HOURS_PER_MONTH

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
    from neocloud.model.deal import DAY, accrued_usd

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
    from neocloud.model.deal import accrued_usd, add_months, termination_date

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
    from neocloud.inputs.terms import add_months

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
    ``walkable_usd`` (headline backlog less enforceable RPO), ``walkable_90d_usd`` and
    ``walkable_365d_usd`` (the part a notice served within 90 or 365 days of ``as_of`` would
    cancel, :func:`walkable_usd`) and ``contracts``. USD; an empty market gives zeros.

    >>> t = market_totals(load_ledger(), dt.date(2026, 6, 30))
    >>> round(t["headline_backlog_usd"] / 1e9, 2), round(t["walkable_usd"] / 1e9, 2), t["contracts"]
    (1065.86, 69.08, 30)
    >>> round(t["walkable_90d_usd"] / 1e9, 2), round(t["walkable_365d_usd"] / 1e9, 2)
    (38.83, 69.08)
    """
    contracts = signed_by(ledger, as_of)
    totals: dict[str, float] = book_totals(contracts, as_of)
    totals["walkable_usd"] = _book_sum(contracts, lambda t: walkable_usd(t, as_of))
    for h in WALK_HORIZONS_DAYS:
        totals[f"walkable_{h}d_usd"] = _book_sum(contracts, lambda t, h=h: walkable_usd(t, as_of, h))
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
    :func:`neocloud.inputs.scenario.find_scenario_file`), and ``as_of`` as ``YYYY-MM-DD``. Bad input
    raises :class:`LedgerError` naming the parameter, the value and what is allowed.

    >>> led, a = market_report_inputs(None, "2026-06-30")
    >>> a, len(signed_by(led, a)) >= 3
    (datetime.date(2026, 6, 30), True)
    >>> market_report_inputs(None, "30 June")
    Traceback (most recent call last):
    ...
    neocloud.inputs.ledger.LedgerError: as_of: value '30 June': a date written YYYY-MM-DD is expected, e.g. 2026-05-01
    """
    from neocloud.inputs.scenario import find_scenario_file
    from neocloud.inputs.sourced import _iso_date

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
