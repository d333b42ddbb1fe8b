"""Words for the model held against the filings: the reconciliation's differences, the readings a
reported RPO fits, and the ramp discount reported revenue implies. Every number comes from
:mod:`neocloud.reconcile` and :mod:`neocloud.filings`; every text from a data file is escaped
(:func:`neocloud.narrative.esc`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from neocloud.narrative import day, esc, pct, usd
from neocloud.reconcile import DIFFERENCE_PARTS

if TYPE_CHECKING:
    from neocloud.filings import ImpliedDiscount


def difference_words(parts: Sequence[str], ratio: float) -> str:
    """What a reconciliation gap is made of, in one plain sentence (no Markdown: the JSON of
    ``neocloud ledger`` prints it too).

    >>> print(difference_words(["other_committed_amounts", "contracts_not_in_ledger"], 0.612))
    The model gives 61% of the reported figure; the rest is known to be: a wider definition: backlog is RPO plus other committed amounts; the filer's contracts that the ledger does not hold.
    >>> difference_words([], 1.0)
    'The model gives the reported figure.'
    """
    if not parts and abs(ratio - 1) < 5e-4:
        return "The model gives the reported figure."
    known = "; ".join(DIFFERENCE_PARTS[p] for p in parts)
    if ratio > 1:
        return f"The model gives {pct(ratio, 0)} of the reported figure: {known}."
    return f"The model gives {pct(ratio, 0)} of the reported figure; the rest is known to be: {known}."


def readings_against_filing(rpo: pd.DataFrame, reported_usd: float, as_of: object) -> str:
    """Which readings of the termination terms a reported RPO fits (rows of
    :func:`neocloud.filings.rpo_by_reading`), in Markdown: each reading's RPO, its range over the
    book's undisclosed terms, and whether the figure lies in it."""
    fits = [esc(r.reading) for r in rpo.itertuples() if r.consistent]
    lines = [f"- **{esc(r.reading)}** (notice from {day(r.earliest_notice_date)}): {usd(r.enforceable_rpo_usd)} "
             f"as assumed, {usd(r.low_usd)} to {usd(r.high_usd)} over the undisclosed terms: "
             + ("fits the filing." if r.consistent else "does not reach the filing." if r.high_usd < reported_usd
                else "exceeds the filing.")
             for r in rpo.itertuples()]
    head = (f"At {day(as_of)} the filing reports {usd(reported_usd)}. "
            + (f"Only {', '.join(fits)} can give it." if len(fits) == 1 else
               f"The readings that can give it: {', '.join(fits)}." if fits else
               "No reading of the terms gives it with the book as the ledger holds it."))
    return head + "\n\n" + "\n".join(lines)


def gap_closers_words(closers: pd.DataFrame) -> str:
    """The undisclosed terms that close the gap (rows of :func:`neocloud.filings.rpo_gap_closers`),
    one Markdown bullet each."""
    out = []
    for r in closers.itertuples():
        if r.closes_from is None or pd.isna(r.closes_from):
            out.append(f"- {esc(r.deal)}'s ramp discount: no value from 0% to 100% closes the gap "
                       f"(the RPO runs from {usd(r.rpo_at_1_usd)} to {usd(r.rpo_at_0_usd)}).")
        else:
            out.append(f"- {esc(r.deal)}'s ramp discount between {pct(r.closes_from)} and {pct(r.closes_to)} "
                       f"(assumed {pct(r.assumed, 0)}) closes it.")
    return "\n".join(out)


def implied_discount_words(r: "ImpliedDiscount", assumed: float, deal: str) -> str:
    """The ramp discount a reported revenue figure implies, against the assumed one, in Markdown."""
    period = f"{day(r.period_start)} to {day(r.period_end)}"
    if r.low is None:
        return (f"No ramp discount from 0% to 100% gives the reported {usd(r.reported_usd)} for {period}: the "
                f"contracts could bill from {usd(r.revenue_alone_usd[1])} to {usd(r.revenue_all_signed_usd[0])}.")
    alone = pct(r.alone) if r.alone is not None else "no discount"
    everyone = pct(r.all_signed) if r.all_signed is not None else "no discount"
    inside = r.low <= assumed <= r.high
    return (f"The reported {usd(r.reported_usd)} for {period} implies a ramp discount of **{alone}** if "
            f"{esc(deal)} billed alone, and **{everyone}** if every contract signed by {day(r.period_end)} billed "
            f"from the day after its signing at one discount. The model assumes {pct(assumed, 0)}, which gives "
            f"{usd(r.model_revenue_usd)}: " + ("inside what the filing supports." if inside else
                                                  "outside what the filing supports."))
