"""Words for the model held against the filings: the reconciliation's differences, the readings a
reported RPO fits, and the ramp discount reported revenue implies. Every number comes from
:mod:`neocloud.analysis.reconcile` and :mod:`neocloud.analysis.filings`; every text from a data file is escaped
(:func:`neocloud.report.narrative.esc`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from neocloud.report.narrative import as_reported_by, day, esc, link, pct, usd
from neocloud.analysis.reconcile import DIFFERENCE_PARTS

if TYPE_CHECKING:
    from neocloud.analysis.filings import FilingCheck, ImpliedDiscount


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
    :func:`neocloud.analysis.filings.rpo_by_reading`), in Markdown: each reading's RPO, its range over the
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
    """The undisclosed terms that close the gap (rows of :func:`neocloud.analysis.filings.rpo_gap_closers`),
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


def filing_section(check: "FilingCheck", deal: str, assumed_discount: float) -> str:
    """The section's answer in Markdown: the reported figures with their sources, the readings
    the reported RPO fits and what closes the gap, and the ramp discount the revenue implies."""
    parts = []
    if check.backlog_figure is not None and check.readings is not None and check.closers is not None:
        f = check.backlog_figure
        parts.append(f"**{esc(f.filer)} reported {usd(f.value_usd)} of {MEASURE_WORDS[f.measure]} at "
                     f"{day(f.period_end)}** ({link(f.source.url, f.source.title or 'the filing')}{as_reported_by(f.source, getattr(f, 'as_reported_by', None))}): "
                     f"{esc(f.definition)}")
        parts.append(readings_against_filing(check.readings, f.value_usd, f.period_end))
        closers = gap_closers_words(check.closers)
        if closers:
            parts.append("Under the scenario's own reading, one undisclosed term alone would close the gap:\n\n" + closers)
    if check.revenue_figure is not None and check.discount is not None:
        f = check.revenue_figure
        parts.append(implied_discount_words(check.discount, assumed_discount, deal)
                     + f" ({link(f.source.url, f.source.title or 'the filing')}{as_reported_by(f.source, getattr(f, 'as_reported_by', None))}: {esc(f.definition)})")
    return "\n\n".join(parts)


def readings_chart_title(rpo: pd.DataFrame, reported_usd: float) -> str:
    """The chart's finding: how many readings of the terms reach the reported figure.

    >>> readings_chart_title(pd.DataFrame({"reading": ["a", "b"], "consistent": [True, False]}), 14.1e9)
    'Only a reaches the reported $14.1B'
    """
    fits = rpo[rpo.consistent].reading.tolist()
    if len(fits) == 1:
        return f"Only {fits[0]} reaches the reported {usd(reported_usd)}"
    if not fits:
        return f"No reading of the terms reaches the reported {usd(reported_usd)}"
    return f"{len(fits)} of {len(rpo)} readings of the terms reach the reported {usd(reported_usd)}"


MEASURE_WORDS = {"backlog": "backlog", "rpo": "RPO", "contracted_sales": "contracted sales",
                 "arr": "annualised run-rate", "revenue": "revenue"}
"""Each measure of :data:`neocloud.inputs.reported.Measure` as the reports write it."""


def reconciliation_rows(rec: pd.DataFrame) -> list[list[str]]:
    """Rows for :func:`neocloud.report.narrative.table`: period end, figure, reported, model, model /
    reported, what the difference is known to be made of."""
    return [[day(r.period_end), f"{MEASURE_WORDS[r.measure]}: {esc(r.line)}", usd(r.reported_usd),
             usd(r.model_usd), pct(r.ratio, 0), esc(difference_words(r.difference_parts, r.ratio))]
            for r in rec.itertuples()]


RECONCILIATION_HEADER = ["Period end", "Figure", "Reported", "Model (ledger)", "Model / reported", "The difference"]


def known_since_rows(known: pd.DataFrame) -> list[list[str]]:
    """Rows for :func:`neocloud.report.narrative.table` from :func:`neocloud.analysis.filings.known_since`: date,
    what, amount, source (a contract's signing date without a source is an assumption)."""
    return [[day(r.date), esc(r.what), usd(r.usd),
             link(r.source_url) if isinstance(r.source_url, str) else "assumption (see the ledger's note)"]
            for r in known.itertuples()]


KNOWN_SINCE_HEADER = ["Date", "What", "Amount", "Source"]


def reconciliation_chart_title(series: pd.DataFrame, filer: str) -> str:
    """The finding of a seller's reconciliation chart (``series``: :func:`neocloud.analysis.reconcile.main_series`).

    >>> import datetime as dt
    >>> print(reconciliation_chart_title(pd.DataFrame({"period_end": [dt.date(2026, 6, 30)], "measure": ["backlog"],
    ...                                                 "ratio": [0.612]}), "CoreWeave"))
    The ledger holds 61% of CoreWeave's reported backlog at 30 Jun 2026
    """
    last = series.iloc[-1]
    return f"The ledger holds {pct(last.ratio, 0)} of {filer}'s reported {MEASURE_WORDS[last.measure]} at {day(last.period_end)}"
