"""The reconciliation: each reported figure beside the model's figure for the same definition.

For a filer that sells in the ledger, each reported figure (``neocloud.inputs.reported``) is matched with
the model's figure from the seller's book on the figure's period end (only contracts signed by
then: ``shared/conventions.md``, "Contracts and the ledger"), for the same definition:

=====================  ========================================================================
``measure``            the model's figure
=====================  ========================================================================
``backlog``            headline backlog at the end of ``period_end`` (fees of every service day
                       after it)
``rpo``                enforceable RPO at the end of ``period_end`` (ASC 606: what the buyers
                       cannot walk away from)
``contracted_sales``   enforceable RPO, as for ``rpo`` (the filer's "contracted" amounts)
``revenue``            revenue recognised from ``period_start`` to ``period_end``
``arr``                twelve times the revenue recognised in the calendar month of
                       ``period_end`` ("revenue from the last month of the quarter multiplied by
                       12", Nebius's definition)
=====================  ========================================================================

``ratio`` is model / reported. What the difference is known to be made of is kept as codes
(:data:`DIFFERENCE_PARTS`), each following from the figure's scope and definition and the
direction of the gap; :func:`neocloud.report.filing_words.difference_words` says them in words. Nothing is
fudged: the model's figure is the ledger's, whatever the gap.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from neocloud.model.deal import recognised_revenue
from neocloud.model.ledger import book_totals, seller_book
from neocloud.inputs.ledger import Contract, Ledger, seller_name
from neocloud.inputs.reported import ReportedFigure

DIFFERENCE_PARTS = {
    "assumed_terms": "the ledger's assumed terms of these contracts (undisclosed starts, ramps and discounts)",
    "contracts_not_in_ledger": "the filer's contracts that the ledger does not hold",
    "other_committed_amounts": "a wider definition: backlog is RPO plus other committed amounts",
    "other_sales_of_the_line": "the line's other sales (subscriptions, API, smaller customers)",
    "other_business_lines": "the filer's other lines of business",
    "terminable_contracts": "contracts either party can end on notice: the model's RPO stops at the notice period, "
                            "and a filer may count a different part of them",
    "ledger_counts_more": "the ledger counts more than the filer: contracts or service the filer does not yet count "
                          "(delivery and availability conditions), or terms read differently",
}
"""The known components of a gap between a reported figure and the model's, by code."""

RECONCILIATION_COLUMNS = ["id", "filer", "period_end", "measure", "line", "scope", "definition", "reported_usd",
                          "model_usd", "ratio", "contracts", "difference_parts"]


def model_figure(contracts: Sequence[Contract], figure: ReportedFigure) -> float:
    """The model's figure for ``figure``'s measure and period from ``contracts`` (all signed by the
    period end; see the module's table).

    >>> from neocloud.model.ledger import load_ledger, seller_book
    >>> from neocloud.inputs.reported import load_reported, reported_figure
    >>> f = reported_figure(load_reported(), "spacex-2026q2-new-cloud-contracts-revenue")
    >>> book = seller_book(load_ledger(), "SpaceX", f.period_end)
    >>> model_figure(book.contracts, f) / 1e9   # May and June at half of $1.25B
    1.25
    """
    end = figure.period_end
    if any(c.signed.value > end for c in contracts):
        raise ValueError(f"a contract signed after {end} cannot count in a figure of that date")
    if figure.measure in ("backlog", "rpo", "contracted_sales"):
        key = "headline_backlog_usd" if figure.measure == "backlog" else "enforceable_rpo_usd"
        return book_totals(contracts, end)[key]
    terms = [c.terms() for c in contracts]
    if figure.measure == "revenue":
        assert figure.period_start is not None  # validated: a revenue figure has a period
        return float(sum(recognised_revenue(t, figure.period_start, end) for t in terms))
    month_start = end.replace(day=1)
    return 12.0 * float(sum(recognised_revenue(t, month_start, end) for t in terms))


def difference_parts(figure: ReportedFigure, model_usd: float, contracts: Sequence[Contract]) -> list[str]:
    """What a gap between ``figure`` and the model's figure is known to be made of, as codes of
    :data:`DIFFERENCE_PARTS`, most certain first: a wider scope (other lines of business, the
    line's other sales), a wider definition (backlog = RPO + other committed amounts), contracts
    not in the ledger; or, where the model exceeds the figure, that the ledger counts more (and,
    for an RPO of terminable contracts, nothing further to explain a shortfall of the model).

    >>> from neocloud.inputs.reported import load_reported, reported_figure
    >>> f = reported_figure(load_reported(), "coreweave-2026-06-30-backlog")
    >>> difference_parts(f, 60e9, [])
    ['other_committed_amounts', 'contracts_not_in_ledger']
    """
    parts = []
    reported = figure.value_usd
    if model_usd < reported:
        if figure.scope == "company" and _has_other_lines(figure):
            parts.append("other_business_lines")
        if figure.scope == "line":
            parts.append("other_sales_of_the_line")
        if figure.measure == "backlog" and "other amounts" in figure.definition:
            parts.append("other_committed_amounts")
        if _assumed_terms(contracts):
            parts.append("assumed_terms")
        parts.append("contracts_not_in_ledger")
    elif model_usd > reported:
        parts.append("ledger_counts_more")
        if _assumed_terms(contracts):
            parts.append("assumed_terms")
    terminable = any(c.termination.kind == "for_convenience" for c in contracts)
    if terminable and figure.measure in ("backlog", "rpo", "contracted_sales") and model_usd != reported:
        parts.append("terminable_contracts")
    return parts


FEE_SHAPING_TERMS = ("start", "end", "monthly_fee_usd", "total_usd", "ramp_months", "ramp_discount")
"""The fields of a contract that shape its revenue in time: where one is an assumption, the
model's figure for a period moves with it."""


def _assumed_terms(contracts: Sequence[Contract]) -> bool:
    """Whether any contract's revenue in time rests on an assumption (a marked field of
    :data:`FEE_SHAPING_TERMS` or an assumed delivery step)."""
    for c in contracts:
        fields = [getattr(c, k) for k in FEE_SHAPING_TERMS] + [s.share for s in c.delivery_steps]
        if any(f is not None and f.assumption for f in fields):
            return True
    return False


def _has_other_lines(figure: ReportedFigure) -> bool:
    """A company-wide figure of a filer with several lines of business (all segments, all lines):
    for a filer whose only business is renting compute (CoreWeave's "all customers") the company
    is its contracts."""
    words = figure.line.casefold()
    return "segment" in words or "lines of business" in words


def reconcile(ledger: Ledger, reported: Sequence[ReportedFigure], seller: str) -> pd.DataFrame:
    """Every figure ``seller`` reported, beside the model's figure from its book in the ledger on
    the period end: one row per reported figure (sorted by period end, then measure) with
    :data:`RECONCILIATION_COLUMNS`: ``reported_usd``, ``model_usd``, ``ratio`` (model / reported),
    ``contracts`` (how many of the seller's contracts the ledger holds by then) and
    ``difference_parts`` (codes of :data:`DIFFERENCE_PARTS`). The seller's name matches
    case-insensitively (an unknown one raises :class:`~neocloud.inputs.ledger.UnknownNameError`); a seller
    with no reported figure gets an empty table.

    >>> from neocloud.model.ledger import load_ledger
    >>> from neocloud.inputs.reported import load_reported
    >>> r = reconcile(load_ledger(), load_reported(), "spacex").set_index("id")
    >>> row = r.loc["spacex-2026q2-contracted-sales"]
    >>> round(float(row.model_usd) / 1e9, 2), round(float(row.ratio), 3)   # the book's enforceable RPO against $14.1B
    (12.71, 0.901)
    """
    rows = []
    name = seller_name(ledger, seller)   # the ledger's spelling; an unknown name lists the known
    for f in reported:
        if f.filer.casefold() != name.casefold():
            continue
        book = seller_book(ledger, name, f.period_end)
        model = model_figure(book.contracts, f)
        rows.append({"id": f.id, "filer": f.filer, "period_end": f.period_end, "measure": f.measure, "line": f.line,
                     "scope": f.scope, "definition": f.definition, "reported_usd": f.value_usd, "model_usd": model,
                     "ratio": model / f.value_usd, "contracts": len(book.contracts),
                     "difference_parts": difference_parts(f, model, book.contracts)})
    frame = pd.DataFrame(rows, columns=RECONCILIATION_COLUMNS)
    return frame.sort_values(["period_end", "measure"], kind="stable").reset_index(drop=True)


def main_series(rec: pd.DataFrame) -> pd.DataFrame:
    """The rows of a reconciliation (:func:`reconcile`) for the measure and line the seller
    reported most often (the first such on a tie), by period end: the series a chart follows.

    >>> from neocloud.model.ledger import load_ledger
    >>> from neocloud.inputs.reported import load_reported
    >>> s = main_series(reconcile(load_ledger(), load_reported(), "Nebius"))
    >>> s.measure.unique().tolist(), len(s)   # the three quarters of "core AI cloud" ARR
    (['arr'], 3)
    """
    measure, line = rec.groupby(["measure", "line"], sort=False).size().sort_values(ascending=False, kind="stable").index[0]
    return rec[(rec.measure == measure) & (rec.line == line)].reset_index(drop=True)
