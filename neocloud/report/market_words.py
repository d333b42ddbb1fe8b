"""Words and tables of the market report (every seller's and buyer's book from the ledger). The
figures come from :mod:`neocloud.model.ledger`; every text from a ledger file is escaped
(:func:`neocloud.report.narrative.esc`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from neocloud.report.narrative import esc, pct, source_ref, usd


def share(x: float | None) -> str:
    """A share for a table, or "-" where there is none.

    >>> share(0.4751), share(None), share(float("nan"))
    ('47.5%', '-', '-')
    """
    return "-" if x is None or x != x else pct(x)


SELLERS_HEADER = ["Seller", "Contracts", "Headline backlog", "Enforceable RPO", "Enforceable", "Can walk within 90 days",
                  "within 365 days", "Largest buyer", "HHI"]


def seller_rows(sellers: pd.DataFrame) -> list[list[str]]:
    """Rows for :func:`neocloud.report.narrative.table` (:data:`SELLERS_HEADER`) from
    :func:`neocloud.model.ledger.market_sellers`, largest headline backlog first."""
    return [[esc(r.seller), str(r.contracts), usd(r.headline_backlog_usd), usd(r.enforceable_rpo_usd), share(r.enforceable_share),
             share(r.walkable_90d_share), share(r.walkable_365d_share), f"{esc(r.top_buyer)} ({share(r.top_buyer_share)})",
             "-" if r.hhi is None or r.hhi != r.hhi else f"{r.hhi:.2f}"]
            for r in sellers.sort_values("headline_backlog_usd", ascending=False).itertuples()]


SOURCES_HEADER = ["Contract", "Field", "Value", "Source"]


def _where(item: Any) -> str:
    if item.source is not None:
        return source_ref(item.source)
    if item.assumption:
        return f"*assumption:* {esc(item.note)}"
    return "*not sourced (your ledger)*"


def _value(key: str, v: Any) -> str:
    if key.endswith("_usd"):
        return usd(v)
    return f"{v:,.0f}" if isinstance(v, (int, float)) and v >= 1000 and float(v).is_integer() else esc(v)


def contract_source_rows(contracts: Any) -> list[list[str]]:
    """Every field of every contract with its source or, where nothing was disclosed, the
    assumption and why: rows for :func:`neocloud.report.narrative.table` (:data:`SOURCES_HEADER`).

    >>> import datetime as dt
    >>> from neocloud.model.ledger import load_ledger, signed_by
    >>> rows = contract_source_rows(signed_by(load_ledger(), dt.date(2026, 6, 30)))
    >>> rows[0][:3]
    ['spacex-anthropic-colossus-1', 'signed', '2026-05-03']
    """
    from neocloud.inputs.ledger import Fact

    rows = []
    for c in contracts:
        items = [(k, getattr(c, k)) for k in type(c).model_fields if isinstance(getattr(c, k), Fact)]
        items += [(f"termination.{k}", getattr(c.termination, k))
                  for k in ("notice_days", "lockup_months", "earliest_notice_date", "basis") if getattr(c.termination, k) is not None]
        items += [(f"delivery from {s.from_}", s.share) for s in c.delivery_steps]
        if c.delivery_failure is not None:
            items += [(f"delivery_failure.{k}", getattr(c.delivery_failure, k))
                      for k in ("deadline", "grace_months") if getattr(c.delivery_failure, k) is not None]
        rows += [[esc(c.id), esc(key), _value(key, item.value), _where(item)] for key, item in items]
    return rows


def calendar_readout(row: Any) -> str:
    """The readout of the notice calendar's controls for one row of
    :func:`neocloud.model.ledger.notice_calendar_grid` (plain text: a chart's text is not Markdown).

    >>> import datetime as dt
    >>> calendar_readout(pd.Series({"horizon_months": 3, "until": dt.date(2026, 9, 30), "seller": "All sellers",
    ...                             "windows": 1, "at_stake_usd": 38.83e9, "deadlines": 1}))
    'To 30 Sep 2026, all sellers: 1 notice window, $38.83B at stake; 1 delivery deadline'
    """
    from neocloud.model.ledger import ALL_SELLERS
    from neocloud.report.narrative import day

    who = "all sellers" if row.seller == ALL_SELLERS else str(row.seller)
    n, k = int(row.windows), int(row.deadlines)
    windows = "no notice window" if n == 0 else f"{n} notice window{'s' if n != 1 else ''}, {usd(row.at_stake_usd)} at stake"
    deadlines = f"; {k} delivery deadline{'s' if k != 1 else ''}" if k else ""
    return f"To {day(row.until)}, {who}: {windows}{deadlines}"


def _names(items: list[str]) -> str:
    """Items joined for a sentence.

    >>> _names(["a"]), _names(["a", "b"]), _names(["a", "b", "c"])
    ('a', 'a and b', 'a, b and c')
    """
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def market_answer(totals: dict[str, float], sellers: pd.DataFrame, buyers: pd.DataFrame, calendar: pd.DataFrame,
                  as_of: Any, months: int = 12) -> str:
    """The market report's answer in Markdown (a heading and five short paragraphs), every figure
    from the ledger's views on ``as_of``: how much of the headline backlog is enforceable
    (``totals``: :func:`neocloud.model.ledger.market_totals`), who can walk within 90 and 365
    days and how much (``sellers``: :func:`neocloud.model.ledger.market_sellers`), the largest
    seller and buyer exposures (``buyers``: :func:`neocloud.model.ledger.market_buyers`) and what
    would change it: the notice windows and delivery deadlines of the next ``months``
    (``calendar``: :func:`neocloud.model.ledger.notice_calendar`) and the contingent amounts.
    Every name from a ledger file is escaped.

    >>> import datetime as dt
    >>> from neocloud.model.ledger import load_ledger, market_buyers, market_sellers, market_totals, notice_calendar
    >>> led, a = load_ledger(), dt.date(2026, 6, 30)
    >>> text = market_answer(market_totals(led, a), market_sellers(led, a), market_buyers(led, a), notice_calendar(led, a), a)
    >>> text.splitlines()[2][:115]
    '**$996.78B of the $1,065.86B headline backlog (93.5%) is enforceable.** It is the fees of service after 30 Jun 2026'
    >>> "$38.83B (3.6%) by a notice within 90 days and $69.08B (6.5%) within 365 days" in text
    True
    >>> market_answer({"contracts": 0}, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), a).splitlines()[2]
    'No contract of the ledger is signed by 30 Jun 2026: there is no backlog to read.'
    """
    from neocloud.report.narrative import day

    head = f"# The market of compute contracts on {day(as_of)}\n\n"
    n = int(totals.get("contracts", 0))
    headline = totals.get("headline_backlog_usd", 0.0)
    if n == 0 or not len(sellers):
        return head + f"No contract of the ledger is signed by {day(as_of)}: there is no backlog to read."
    enforceable = totals["enforceable_rpo_usd"]

    def of_headline(x: float) -> str:
        return f"{usd(x)} ({pct(x / headline if headline else None)})"

    parts = [f"**{usd(enforceable)} of the {usd(headline)} headline backlog ({pct(enforceable / headline if headline else None)}) "
             f"is enforceable.** It is the fees of service after {day(as_of)} of the {n} contract{'s' if n != 1 else ''} signed by then, "
             f"between {len(sellers)} seller{'s' if len(sellers) != 1 else ''} and {len(buyers)} buyer{'s' if len(buyers) != 1 else ''}. "
             "Take-or-pay contracts count in full; a contract the buyer may leave for convenience counts only for its notice "
             "period (ASC 606)."]
    walkers = sellers[sellers.walkable_365d_usd > 0].sort_values("walkable_365d_usd", ascending=False)
    if len(walkers):
        who = _names([f"{esc(r.seller)} {usd(r.walkable_365d_usd)}" for r in walkers.itertuples()])
        parts.append(f"**Who can walk:** buyers can walk away from {of_headline(totals['walkable_90d_usd'])} by a notice within 90 days "
                     f"and {of_headline(totals['walkable_365d_usd'])} within 365 days (by seller, within the year: {who}).")
    else:
        parts.append(f"**Who can walk:** no buyer can walk away from any of it by a notice within 365 days of {day(as_of)}.")
    big = sellers.sort_values("headline_backlog_usd", ascending=False).iloc[0]
    seller_words = (f"**Largest exposures:** {esc(big.seller)} holds the largest book, {usd(big.headline_backlog_usd)}, "
                    f"{pct(big.top_buyer_share)} of it {esc(big.top_buyer)}'s")
    if len(walkers) and walkers.iloc[0].seller != big.seller:
        w = walkers.iloc[0]
        seller_words += (f"; {esc(w.seller)} is the most exposed to notice: its buyers can walk from {pct(w.walkable_365d_share)} "
                         f"of its {usd(w.headline_backlog_usd)} within a year")
    top = buyers.iloc[0]
    buyer_words = f"{esc(top.buyer)} has committed the most, {usd(top.headline_backlog_usd)}"
    buyer_words += (f", and can walk away from {usd(top.walkable_usd)} of it" if top.walkable_usd > 0
                    else ", none of it avoidable by notice")
    free = buyers[buyers.walkable_usd > 0].sort_values("walkable_usd", ascending=False)
    if len(free) and free.iloc[0].buyer != top.buyer:
        f = free.iloc[0]
        buyer_words += f"; {esc(f.buyer)} can walk away from the most: {usd(f.walkable_usd)} of its {usd(f.headline_backlog_usd)}"
    parts.append(seller_words + ". " + buyer_words + ".")
    windows = calendar[calendar.event == "notice window opens"] if len(calendar) else calendar
    deadlines = calendar[calendar.event == "delivery deadline"] if len(calendar) else calendar
    if len(windows):
        listed = [f"{esc(r.buyer)} ({esc(r.seller)}) from {day(r.date)}" for r in windows.head(4).itertuples()]
        if len(windows) > 4:
            listed.append(f"{len(windows) - 4} more")
        change = (f"**What would change it:** {len(windows)} notice window{'s' if len(windows) != 1 else ''} open in the next "
                  f"{months} months, {usd(float(windows.at_stake_usd.sum()))} of fees at stake: {_names(listed)}")
    else:
        change = f"**What would change it:** no notice window opens in the next {months} months"
    if len(deadlines):
        change += (f"; {len(deadlines)} delivery deadline{'s' if len(deadlines) != 1 else ''} may give a buyer a right to walk "
                   f"if capacity is late (the first, {esc(deadlines.iloc[0].seller)} - {esc(deadlines.iloc[0].buyer)}, "
                   f"on {day(deadlines.iloc[0].date)})")
    contingent = totals.get("contingent_usd", 0.0)
    if contingent:
        change += f". A further {usd(contingent)} binds only on an event (options, backstops, \"up to\"): never counted above"
    parts.append(change + ".")
    return head + "\n\n".join(parts)


CONTRACTS_HEADER = ["Seller", "Buyer", "Signed", "Headline backlog", "Enforceable RPO", "Service ends if notice at the first chance",
                    "Fee a month", "MW (basis)", "USD per MW-year", "USD per H100e-hour"]

MW_BASIS_WORDS = {"it_load": "IT load", "facility": "facility", "reported_unspecified": "basis not stated"}
"""A megawatt's basis (``capacity_mw.basis`` in the ledger) in words."""


def _known(x: Any) -> bool:
    return x is not None and x == x  # NaN and NaT are not equal to themselves


def contract_rows(contracts: pd.DataFrame) -> list[list[str]]:
    """Every contract of :func:`neocloud.model.ledger.market_contracts`, largest headline backlog
    first: rows for :func:`neocloud.report.narrative.table` (:data:`CONTRACTS_HEADER`), with the
    first day without service if the buyer serves notice at its first chance ("cannot walk" under
    take-or-pay or with no notice date left) and the prices where capacity is known ("-" else).

    >>> import datetime as dt
    >>> from neocloud.model.ledger import load_ledger, market_contracts
    >>> rows = contract_rows(market_contracts(load_ledger(), dt.date(2026, 6, 30)))
    >>> [r for r in rows if r[1] == "Anthropic" and r[0] == "SpaceX"][0]
    ['SpaceX', 'Anthropic', '3 May 2026', '$43.75B', '$4.92B', '30 Oct 2026', '$1.25B', '300 (basis not stated)', '$50.0M', '$6.20']
    """
    from neocloud.report.narrative import day

    return [[esc(r.seller), esc(r.buyer), day(r.signed), usd(r.headline_backlog_usd), usd(r.enforceable_rpo_usd),
             day(r.first_stop) if _known(r.first_stop) else "cannot walk", usd(r.monthly_fee_usd),
             f"{r.capacity_mw:,.0f} ({MW_BASIS_WORDS.get(r.capacity_basis, esc(r.capacity_basis))})" if _known(r.capacity_mw) else "-",
             usd(r.usd_per_mw_year) if _known(r.usd_per_mw_year) else "-",
             usd(r.usd_per_h100e_hour) if _known(r.usd_per_h100e_hour) else "-"]
            for r in contracts.sort_values("headline_backlog_usd", ascending=False, kind="stable").itertuples()]
