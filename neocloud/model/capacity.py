"""Dual monetisation, measured: the seller's compute capacity, how much of it is rented out, and
what a megawatt earns rented against kept for the seller's own products.

Conventions:

* **Owned capacity** on a date is the latest ``owned`` row of each site in the sourced ledger
  (``neocloud/data/capacity.csv``) dated on or before it, in MW of facility power; ``planned``
  rows (1.5 GW and 2 GW for Colossus 2) are announcements, never counted as owned.
* **Rented capacity** on a date is the MW of every deal of the book in service that day (its
  ``terms.capacity_mw``; stated as an assumption where a deal gives GPUs but no MW), and the same
  in H100-equivalents. With ``stops``, a deal stops at its stop date (a notice, a delivery failure).
* **Rented share** is rented over owned MW (and rented over owned H100e where the ledger gives
  an owned H100e figure: more than 1,000,000 for Colossus 1 and 2 together).
* **Revenue per MW-year**: renting earns the book's annualised fees over the rented MW; own use
  earns the AI segment's annualised reported revenue over the MW kept (owned less rented) in the
  same period. Own use also trains models whose value is not revenue yet, so the comparison
  flatters renting; the report says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from neocloud.model.book import book_of
from neocloud.model.deal import quarter_bounds, quarter_label, quarters_between

if TYPE_CHECKING:
    from neocloud.inputs.scenario import Scenario


def _csv(name: str) -> pd.DataFrame:
    """A data file, validated (:func:`neocloud.data.read_table`: bad rows raise
    :class:`neocloud.data.DataFileError` naming the file, row, column and value)."""
    from neocloud.data import read_table

    return read_table(name)


def _of(frame: pd.DataFrame, owner: str | None) -> pd.DataFrame:
    """The rows of ``owner`` (matched case-insensitively, as the ledger matches sellers), or every
    row when ``owner`` is None."""
    if owner is None:
        return frame
    return frame[frame.owner.str.casefold() == owner.strip().casefold()]


def capacity_ledger(owner: str | None = None) -> pd.DataFrame:
    """The sourced capacity ledger (``neocloud/data/capacity.csv``): one dated row per site figure
    (``owned`` or ``planned``) or rental (``rented``) of an ``owner`` (the seller, named as the
    contract ledger names it), with ``mw`` and its ``mw_basis``, ``gpus``, ``h100e``,
    ``chip_mix``, ``assumption`` and the source. With ``owner``, that owner's rows only (none for a
    seller without a capacity ledger).

    >>> c = capacity_ledger("spacex")
    >>> sorted(c.kind.unique()), int(c[c.party == "Anthropic"].mw.iloc[0])
    (['owned', 'planned', 'rented'], 300)
    >>> len(capacity_ledger("CoreWeave"))
    0
    """
    return _of(_csv("capacity.csv"), owner)


def own_use_signals(owner: str | None = None) -> pd.DataFrame:
    """Sourced, dated signals of an owner's own demand for its compute (for SpaceX: Grok usage,
    the AI segment's revenue and loss), one row each: ``owner``, ``date``, ``signal``, ``value``,
    ``unit``, source. With ``owner``, that owner's rows only.

    >>> s = own_use_signals("SpaceX")
    >>> int(s[s.signal == "AI segment revenue in Q1 2026"].value.iloc[0]), len(own_use_signals("Nebius"))
    (818000000, 0)
    """
    return _of(_csv("own_use_signals.csv"), owner)


def capacity_owner(scenario: "Scenario") -> str | None:
    """The owner whose capacity rows are the scenario's seller's: ``seller.ledger_name`` (set by a
    ``book``), if ``neocloud/data/capacity.csv`` has rows of it; else None (no capacity data: the
    reports show none, never another seller's).

    >>> from neocloud import load_scenario
    >>> s = load_scenario("params/base.yaml")
    >>> capacity_owner(s), capacity_owner(s.model_copy(update={"seller": s.seller.model_copy(update={"ledger_name": "CoreWeave"})}))
    ('SpaceX', None)
    """
    name = scenario.seller.ledger_name
    if name is None:
        return None
    rows = capacity_ledger(name)
    return str(rows.owner.iloc[0]) if len(rows) else None


def no_capacity_data(scenario: "Scenario") -> str | None:
    """``"no capacity data for <seller>"`` where the scenario's seller has no capacity ledger (the
    line every report and ``check`` shows in place of capacity figures), else None.

    >>> from neocloud import load_scenario
    >>> s = load_scenario("params/base.yaml")
    >>> no_capacity_data(s) is None, no_capacity_data(s.model_copy(update={"seller": s.seller.model_copy(update={"ledger_name": "Nebius"})}))
    (True, 'no capacity data for Nebius')
    """
    if capacity_owner(scenario) is not None:
        return None
    return f"no capacity data for {scenario.seller.ledger_name or scenario.seller_name}"


def owned_capacity(on: dt.date, ledger: pd.DataFrame | None = None, owner: str | None = None) -> dict[str, float | None]:
    """Owned MW (facility basis) on ``on``: each site's latest ``owned`` row up to that day;
    and owned H100-equivalents where the ledger states them (None otherwise). ``owner`` selects
    one owner's rows (of ``ledger``, default the shipped capacity ledger); an owner with no rows
    at all has ``mw`` None (no capacity data), never another owner's.

    >>> owned_capacity(dt.date(2026, 6, 30), owner="SpaceX")["mw"]   # Colossus 1 (300) + Colossus 2 as measured from 15 Jun (946)
    1246.0
    >>> owned_capacity(dt.date(2026, 6, 14), owner="SpaceX")["mw"]   # before: the company's claim of 1 GW
    1300.0
    >>> owned_capacity(dt.date(2025, 12, 31), owner="SpaceX")["mw"], owned_capacity(dt.date(2026, 6, 30), owner="IREN")
    (300.0, {'mw': None, 'h100e': None})
    """
    c = _of(capacity_ledger() if ledger is None else ledger, owner)
    if owner is not None and c.empty:
        return {"mw": None, "h100e": None}
    owned = c[(c.kind == "owned") & (c.date <= on)].sort_values("date", kind="stable")
    sites = owned.dropna(subset=["mw"]).groupby("site").tail(1)
    h100e = owned.dropna(subset=["h100e"])
    combined = h100e[h100e.site.str.contains(" and ")]
    return {"mw": float(sites.mw.sum()),
            "h100e": float(combined.h100e.iloc[-1]) if len(combined) else None}


def rented_capacity(scenario: "Scenario", on: dt.date, stops: Mapping[str, dt.date] | None = None) -> dict[str, float]:
    """MW and H100-equivalents of the book's deals in service on ``on`` (a deal named in
    ``stops`` has no service from that day).

    >>> from neocloud import load_scenario
    >>> s = load_scenario("params/base.yaml")
    >>> rented_capacity(s, dt.date(2026, 6, 30))["mw"], rented_capacity(s, dt.date(2026, 7, 1))["mw"]
    (300.0, 563.0)
    """
    stops = stops or {}
    mw = h100e = 0.0
    for d in book_of(scenario).deals:
        last = min(d.terms.end, stops.get(d.name, d.terms.end + dt.timedelta(days=1)) - dt.timedelta(days=1))
        if d.terms.start <= on <= last:
            mw += d.terms.capacity_mw or 0.0  # not disclosed: left out (capacity_left_out names it)
            h100e += d.gpus_h100e or 0.0
    return {"mw": mw, "h100e": h100e}


def capacity_left_out(scenario: "Scenario", on: dt.date | None = None) -> dict[str, list[str]]:
    """The book's deals whose capacity is not disclosed, so that rented figures leave them out:
    ``mw`` (no ``capacity_mw``) and ``h100e`` (no ``gpus_h100e``), deal names in book order; with
    ``on``, only the deals in service that day. Rented MW and H100e are sums of what is known.

    >>> from neocloud import load_scenario
    >>> capacity_left_out(load_scenario("params/base.yaml"))   # every deal of the base case gives both
    {'mw': [], 'h100e': []}
    """
    deals = [d for d in book_of(scenario).deals if on is None or d.terms.start <= on <= d.terms.end]
    return {"mw": [d.name for d in deals if d.terms.capacity_mw is None],
            "h100e": [d.name for d in deals if d.gpus_h100e is None]}


def capacity_left_out_note(scenario: "Scenario", on: dt.date | None = None) -> str | None:
    """In words, the deals rented capacity leaves out (None: none), for a note under a table or chart.

    >>> from neocloud import load_scenario
    >>> capacity_left_out_note(load_scenario("params/base.yaml")) is None
    True
    """
    out = capacity_left_out(scenario, on)
    parts = []
    if out["mw"]:
        parts.append(f"rented MW leave out {', '.join(out['mw'])} (capacity not disclosed)")
    if out["h100e"]:
        parts.append(f"rented H100e leave out {', '.join(out['h100e'])} (H100-equivalent count not disclosed)")
    text = "; ".join(parts)
    return f"{text[0].upper()}{text[1:]}: the figures sum what is known." if parts else None


def rented_share_by_quarter(scenario: "Scenario", stops: Mapping[str, dt.date] | None = None) -> pd.DataFrame:
    """At each quarter end from the reporting date to the end of the book: ``quarter``,
    ``as_of``, ``owned_mw``, ``rented_mw``, ``rented_share`` (MW), ``owned_h100e``,
    ``rented_h100e``, ``rented_share_h100e`` (None where the ledger gives no owned H100e). A
    seller without a capacity ledger (:func:`no_capacity_data`) has owned figures and shares None.

    >>> from neocloud import load_scenario
    >>> s = load_scenario("params/base.yaml")
    >>> float(rented_share_by_quarter(s).rented_share.max()) > 0
    True
    >>> other = s.model_copy(update={"seller": s.seller.model_copy(update={"ledger_name": "CoreWeave"})})
    >>> bool(rented_share_by_quarter(other)[["owned_mw", "rented_share"]].isna().all().all())
    True
    """
    book = book_of(scenario)
    fye = scenario.seller.fiscal_year_end_month
    first = scenario.as_of.value
    last = max(d.terms.end for d in book.deals)
    rows = []
    owner = capacity_owner(scenario)
    for fy, q in quarters_between(first, last, fye):
        end = quarter_bounds(fy, q, fye)[1]
        owned = owned_capacity(end, owner=owner) if owner is not None else {"mw": None, "h100e": None}
        rented = rented_capacity(scenario, end, stops)
        rows.append({
            "quarter": quarter_label(fy, q, fye), "as_of": end,
            "owned_mw": owned["mw"], "rented_mw": rented["mw"],
            "rented_share": rented["mw"] / owned["mw"] if owned["mw"] else None,
            "owned_h100e": owned["h100e"], "rented_h100e": rented["h100e"],
            "rented_share_h100e": rented["h100e"] / owned["h100e"] if owned["h100e"] else None,
        })
    return pd.DataFrame(rows)


def capacity_figures(scenario: "Scenario") -> dict[str, Any]:
    """The ``capacity`` object of ``neocloud summary --json`` on the reporting date:
    ``owned_mw``, ``rented_mw``, ``rented_share``, ``rental_usd_per_mw_year`` (twelve times the
    monthly fees of the deals in service over their MW) and ``own_use_usd_per_mw_year`` (the AI
    segment's latest reported quarter, annualised, over the MW kept in that quarter), with the
    bases named. A seller without a capacity ledger gets None for every figure and ``note``
    ``"no capacity data for <seller> ..."`` (never another seller's capacity).

    >>> from neocloud import load_scenario
    >>> f = capacity_figures(load_scenario("params/base.yaml"))
    >>> f["owned_mw"], f["rented_mw"], round(f["rented_share"], 4)   # 300 / 1,246 on 30 Jun 2026
    (1246.0, 300.0, 0.2408)
    >>> f["rental_usd_per_mw_year"], round(f["own_use_usd_per_mw_year"])   # 12 * 1.25e9 / 300; 4 * 818M / 1,300 MW
    (50000000.0, 2516923)
    """
    on = scenario.as_of.value
    missing = no_capacity_data(scenario)
    if missing is not None:
        return {"as_of": on.isoformat(), "owned_mw": None, "rented_mw": None, "rented_share": None,
                "rental_usd_per_mw_year": None, "own_use_usd_per_mw_year": None, "own_use_basis": missing,
                "mw_basis": missing, "note": f"{missing} (neocloud/data/capacity.csv); the book's deals give their own MW"}
    owned = owned_capacity(on, owner=capacity_owner(scenario))
    rented = rented_capacity(scenario, on)
    fees = sum(12 * d.terms.monthly_fee_usd for d in book_of(scenario).deals
               if d.terms.start <= on <= d.terms.end and d.terms.capacity_mw is not None)
    own = own_use_revenue_per_mw_year(scenario)
    left_out = capacity_left_out_note(scenario, on)
    return {
        "as_of": on.isoformat(),
        "owned_mw": owned["mw"],
        "rented_mw": rented["mw"],
        "rented_share": rented["mw"] / owned["mw"] if owned["mw"] else None,
        "rental_usd_per_mw_year": fees / rented["mw"] if rented["mw"] else None,
        "own_use_usd_per_mw_year": own["usd_per_mw_year"],
        "own_use_basis": own["basis"],
        "mw_basis": "facility power; rented MW of deals that give no MW are assumptions (see the ledger)",
        **({"left_out": left_out} if left_out else {}),  # only where a deal in service gives no capacity
    }


def own_use_revenue_per_mw_year(scenario: "Scenario") -> dict[str, Any]:
    """The AI segment's revenue per MW-year of capacity kept for own use, from its latest
    reported quarter on or before the reporting date: annualised revenue over the owned MW less
    the rented MW in the middle of that quarter."""
    owner = capacity_owner(scenario)
    if owner is None:
        return {"usd_per_mw_year": None, "basis": no_capacity_data(scenario)}
    reported = [r for r in scenario.seller.segment_revenue if r.period_end <= scenario.as_of.value]
    quarterly = [r for r in reported if (r.period_end - r.period_start).days < 100]
    if not quarterly:
        return {"usd_per_mw_year": None, "basis": "no quarterly AI segment revenue in the scenario"}
    latest = max(quarterly, key=lambda r: r.period_end)
    middle = latest.period_start + (latest.period_end - latest.period_start) / 2
    kept = float(owned_capacity(middle, owner=owner)["mw"] or 0.0) - rented_capacity(scenario, middle)["mw"]
    months = round(((latest.period_end - latest.period_start).days + 1) / 30.4375)
    annual = latest.value * 12 / max(months, 1)
    return {"usd_per_mw_year": annual / kept if kept > 0 else None,
            "basis": f"AI segment revenue {latest.label} annualised (${annual / 1e9:.2f}B a year) over {kept:,.0f} MW kept"}


def rented_share_under_exits(scenario: "Scenario", service_ends: "Any") -> pd.DataFrame:
    """The expected rented share of owned MW at each quarter end under simulated exits:
    ``service_ends`` is paths x deals (book order) of first days without service, e.g.
    :attr:`neocloud.model.exit_option.BookExit.service_ends`. Columns: ``quarter``, ``as_of``,
    ``expected_rented_mw``, ``expected_rented_share``."""
    import numpy as np

    book = book_of(scenario)
    fye = scenario.seller.fiscal_year_end_month
    owner = capacity_owner(scenario)
    rows = []
    for fy, q in quarters_between(scenario.as_of.value, max(d.terms.end for d in book.deals), fye):
        end = quarter_bounds(fy, q, fye)[1]
        day = np.datetime64(end, "D")
        mw = sum(d.terms.capacity_mw * float(np.mean(service_ends[:, j] > day))
                 for j, d in enumerate(book.deals) if d.terms.start <= end and d.terms.capacity_mw is not None)
        owned = owned_capacity(end, owner=owner)["mw"] if owner is not None else None
        rows.append({"quarter": quarter_label(fy, q, fye), "as_of": end, "expected_rented_mw": mw,
                     "expected_rented_share": mw / owned if owned else None})
    return pd.DataFrame(rows)


def rented_share_paths(scenario: "Scenario", service_ends: "Any" = None) -> pd.DataFrame:
    """The rented share of owned MW by quarter on each path, in long form for a chart:
    ``quarter``, ``path``, ``rented_share``: every contract runs its course; every renter leaves at
    its first opportunity after the IPO; and, with ``service_ends``, the expected share under
    market-driven exits."""
    from neocloud.model.book import first_opportunity_stops

    full = rented_share_by_quarter(scenario)
    first = rented_share_by_quarter(scenario, first_opportunity_stops(scenario, scenario.key_dates.ipo.value))
    frames = [full.assign(path="Every contract runs its course")[["quarter", "path", "rented_share"]],
              first.assign(path="Every renter leaves at its first opportunity")[["quarter", "path", "rented_share"]]]
    if service_ends is not None:
        market = rented_share_under_exits(scenario, service_ends).rename(columns={"expected_rented_share": "rented_share"})
        frames.append(market.assign(path="Market-driven exits (expected)")[["quarter", "path", "rented_share"]])
    return pd.concat(frames, ignore_index=True)
