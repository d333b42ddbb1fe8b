"""Altair charts of the model held against the filings, in the conventions of :mod:`neocloud.report.charts`
(its theme, findings as titles, units on axes, sources in the subtitle). They draw the frames of
:mod:`neocloud.analysis.filings` and :mod:`neocloud.analysis.reconcile`; nothing here computes a figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from neocloud.report.charts import FIT, LABEL_CHARS, PALETTE, wrapped_label_expr, finding_title as _title, json_safe as _json_safe
from neocloud.analysis.reconcile import main_series

ROW_PX = 56
"""Height of one reading's row: a label wrapped on four lines."""


def readings_filing_chart(rpo: pd.DataFrame, reported_usd: float, half_width_usd: float, title: str,
                          sources: Sequence[str]) -> alt.LayerChart:
    """The book's enforceable RPO under each reading of the termination terms (a dot as assumed, a
    bar over the range the undisclosed terms allow) against the reported figure (a band as wide as
    its rounding), USD billions. ``rpo`` is :func:`neocloud.analysis.filings.rpo_by_reading`.

    >>> import datetime as dt, neocloud as nc
    >>> from neocloud.analysis.filings import rpo_by_reading
    >>> r = rpo_by_reading(nc.load_scenario("params/base.yaml"), dt.date(2026, 6, 30), 14.1e9)
    >>> spec = readings_filing_chart(r, 14.1e9, 5e7, "t", ["s"]).to_dict()
    >>> len(spec["layer"])
    3
    """
    frame = rpo[["reading", "enforceable_rpo_usd", "low_usd", "high_usd", "consistent"]].copy()
    for c in ("enforceable_rpo_usd", "low_usd", "high_usd"):
        frame[c.replace("_usd", "_bn")] = frame.pop(c) / 1e9
    frame["fits"] = frame.pop("consistent").map({True: "fits the filing", False: "does not fit"})
    order = frame.reading.tolist()
    band = pd.DataFrame({"low_bn": [(reported_usd - half_width_usd) / 1e9], "high_bn": [(reported_usd + half_width_usd) / 1e9],
                         "label": [f"reported ${reported_usd / 1e9:,.1f}B"]})
    y = alt.Y("reading:N", title=None, sort=order, axis=alt.Axis(labelLimit=0, labelExpr=wrapped_label_expr(LABEL_CHARS)))
    colour = alt.Color("fits:N", title=None, sort=["fits the filing", "does not fit"],
                       scale=alt.Scale(range=[PALETTE[2], PALETTE[6]]))
    reported = (alt.Chart(_json_safe(band)).mark_rect(opacity=0.35, color=PALETTE[1])
                .encode(x="low_bn:Q", x2="high_bn:Q", tooltip=[alt.Tooltip("label:N", title="Filing")]))
    ranges = (alt.Chart(_json_safe(frame)).mark_bar(height=8, opacity=0.5)
              .encode(y=y, x=alt.X("low_bn:Q", title="Enforceable RPO, USD bn",
                                   scale=alt.Scale(zero=False)),
                      x2="high_bn:Q", color=colour,
                      tooltip=[alt.Tooltip("reading:N", title="Reading"),
                               alt.Tooltip("low_bn:Q", title="Lowest, USD bn", format=",.2f"),
                               alt.Tooltip("high_bn:Q", title="Highest, USD bn", format=",.2f")]))
    assumed = (alt.Chart(_json_safe(frame)).mark_point(filled=True, size=70)
               .encode(y=y, x="enforceable_rpo_bn:Q", color=colour,
                       tooltip=[alt.Tooltip("reading:N", title="Reading"),
                                alt.Tooltip("enforceable_rpo_bn:Q", title="As assumed, USD bn", format=",.2f")]))
    return (alt.layer(reported, ranges, assumed,
                      title=_title(title, sources, "Dot: the book as assumed. Bar: over its undisclosed terms. "
                                                   "Band: the reported figure and its rounding."))
            .properties(**FIT, height=alt.Step(ROW_PX)))


def reconciliation_chart(rec: pd.DataFrame, title: str, sources: Sequence[str]) -> alt.Chart:
    """A seller's reported figure against the model's, by period end, USD billions, for the
    measure and line it reported most often (``rec`` is :func:`neocloud.analysis.reconcile.reconcile`,
    the series :func:`neocloud.analysis.reconcile.main_series`).

    >>> import neocloud as nc
    >>> from neocloud.analysis.reconcile import reconcile
    >>> from neocloud.inputs.reported import load_reported
    >>> c = reconciliation_chart(reconcile(nc.load_ledger(), load_reported(), "CoreWeave"), "t", ["s"]).to_dict()
    >>> sorted(c["encoding"]["color"]["sort"]), c["encoding"]["y"]["title"]
    (['Model (ledger)', 'Reported'], 'Backlog, USD bn')
    """
    one = main_series(rec)
    measure, line = one.measure.iloc[0], one.line.iloc[0]
    long = one.melt(id_vars=["period_end"], value_vars=["reported_usd", "model_usd"], var_name="figure", value_name="usd")
    long["figure"] = long.figure.map({"reported_usd": "Reported", "model_usd": "Model (ledger)"})
    long["usd_bn"] = long.pop("usd") / 1e9
    long["period_end"] = pd.to_datetime(long.period_end)
    words = {"backlog": "Backlog", "rpo": "RPO", "contracted_sales": "Contracted sales", "arr": "Annualised run-rate",
             "revenue": "Revenue"}[measure]
    return (alt.Chart(_json_safe(long), title=_title(title, sources, f"{line}; model: the ledger's contracts signed by each period end"))
            .mark_line(point=True)
            .encode(x=alt.X("period_end:T", title="Period end",
                            axis=alt.Axis(format="%b %Y", tickCount={"interval": "month", "step": 3})),
                    y=alt.Y("usd_bn:Q", title=f"{words}, USD bn"),
                    color=alt.Color("figure:N", title=None, sort=["Reported", "Model (ledger)"],
                                    scale=alt.Scale(range=[PALETTE[1], PALETTE[0]])),
                    tooltip=[alt.Tooltip("period_end:T", title="Period end", format="%d %b %Y"),
                             alt.Tooltip("figure:N", title="Figure"), alt.Tooltip("usd_bn:Q", title="USD bn", format=",.2f")])
            .properties(**FIT, height=220))
