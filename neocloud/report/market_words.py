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
