"""The charts the reports draw: each takes the frames the maths returns and a ``title`` that
states the finding (the notebook writes it from computed figures), and carries its sources in a
caption line. Nothing here computes a deal figure.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from neocloud.report.charts.controls import CONTROL_NOTE, menu, pct_text, selected, slider, with_controls
from neocloud.report.charts.labels import (LABEL_CHARS, LANE_WIDTH, finding_title, key_date_rules, label_lanes, pct_axis,
                                    wrapped_label_expr)
from neocloud.report.charts.theme import FIT, NEUTRAL, PALETTE, company_scale


MAX_POINTS = 400
"""Longer series are thinned to about this many points (the ends kept): a chart needs no more,
and the report stays small."""


def json_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values as nulls (NaN is not JSON)."""
    return frame.astype(object).where(frame.notna(), None)


def _thin(frame: pd.DataFrame, points: int = MAX_POINTS) -> pd.DataFrame:
    if len(frame) <= points:
        return frame
    step = -(-len(frame) // points)
    keep = list(range(0, len(frame), step))
    if keep[-1] != len(frame) - 1:
        keep.append(len(frame) - 1)
    return frame.iloc[keep]


def _thin_by(frame: pd.DataFrame, keys: list[str], points: int = MAX_POINTS) -> pd.DataFrame:
    """:func:`_thin` within each group of ``keys``, to about ``points`` rows a group."""
    return pd.concat([_thin(g, points) for _, g in frame.groupby(keys, sort=False)], ignore_index=True)


def usd_billions(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """A copy with ``<column>`` in USD also given as ``<column>_bn`` (billions) for axes."""
    out = frame.copy()
    for c in columns:
        out[c.removesuffix("_usd") + "_usd_bn"] = out[c] / 1e9
    return out


def _dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    out = frame.copy()
    for c in columns:
        out[c] = pd.to_datetime(out[c])
    return out


def payment_schedule_chart(schedule: pd.DataFrame, title: str, sources: Sequence[str]) -> alt.Chart:
    """Monthly fee bars, ramp months marked."""
    f = usd_billions(_dates(schedule, "month"), "fee_usd")
    f["period"] = f["discounted"].map({True: "Ramp month (discounted)", False: "Full fee"})
    return (
        alt.Chart(f, title=finding_title(title, sources))
        .mark_bar()
        .encode(
            x=alt.X("yearmonth(month):T", title="Month of service"),
            y=alt.Y("fee_usd_bn:Q", title="Fee (USD billions per month)"),
            color=alt.Color("period:N", title=None, scale=alt.Scale(range=[PALETTE[0], PALETTE[4]])),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month"),
                alt.Tooltip("fee_usd_bn:Q", title="Fee (USD bn)", format=",.3f"),
                alt.Tooltip("service_days:Q", title="Service days"),
                alt.Tooltip("period:N", title="Period"),
            ],
        )
        .properties(**FIT)
    )


def cumulative_chart(schedule: pd.DataFrame, events: dict[str, dt.date], title: str, sources: Sequence[str]) -> alt.LayerChart:
    """Cumulative revenue over the term with the key dates: each month's cumulative revenue (to
    the end of its last day) drawn at the end of that month, from nothing on the first service day."""
    f = month_end_points(schedule)
    line = (
        alt.Chart(f)
        .mark_line(point=True)
        .encode(
            x=alt.X("at:T", title="End of day"),
            y=alt.Y("cumulative_usd_bn:Q", title="Cumulative revenue (USD billions)"),
            tooltip=[
                alt.Tooltip("at:T", title="End of day"),
                alt.Tooltip("cumulative_usd_bn:Q", title="Cumulative (USD bn)", format=",.2f"),
            ],
        )
    )
    domain = (pd.Timestamp(f["at"].min()).date(), pd.Timestamp(f["at"].max()).date())
    return alt.layer(line, key_date_rules(events, domain), title=finding_title(title, sources)).properties(**FIT)


def month_end_points(schedule: pd.DataFrame) -> pd.DataFrame:
    """Cumulative revenue where it belongs in time: ``at`` (the last day of each month of the
    schedule, the cumulative revenue being through the end of that day) and
    ``cumulative_usd_bn``, after a first point of nothing on the day before the first month.

    >>> s = pd.DataFrame({"month": [dt.date(2026, 5, 1), dt.date(2026, 6, 1)], "cumulative_usd": [1e9, 2.25e9]})
    >>> month_end_points(s).assign(at=lambda x: x["at"].dt.strftime("%Y-%m-%d")).values.tolist()
    [['2026-04-30', 0.0], ['2026-05-31', 1.0], ['2026-06-30', 2.25]]
    """
    months = pd.to_datetime(schedule["month"])
    at = [months.iloc[0] - pd.Timedelta(days=1), *(months + pd.offsets.MonthEnd(0))]
    return pd.DataFrame({"at": at, "cumulative_usd_bn": [0.0, *(schedule["cumulative_usd"] / 1e9)]})


def consistency_heatmap(grid: pd.DataFrame, title: str, sources: Sequence[str]) -> alt.LayerChart:
    """Total contract value over start month and ramp discount, consistent cells outlined."""
    f = usd_billions(_dates(grid, "start"), "total_usd")
    f["fits"] = f["consistent"].map({True: "fits every total headline", False: "contradicts one"})
    base = alt.Chart(f).encode(
        x=alt.X("ramp_discount:O", title="Ramp discount (share of fee)", axis=pct_axis()),
        y=alt.Y("yearmonth(start):O", title="Start of service (month)"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("total_usd_bn:Q", title="Total (USD bn)", scale=alt.Scale(scheme="blues")),
        tooltip=[
            alt.Tooltip("yearmonth(start):T", title="Start"),
            alt.Tooltip("ramp_discount:Q", title="Ramp discount", format=".0%"),
            alt.Tooltip("total_usd_bn:Q", title="Total (USD bn)", format=",.2f"),
            alt.Tooltip("fits:N", title="Headlines"),
        ],
    )
    # the cells that fit every reported total: outlined and ticked, readable on light and dark cells
    outline = base.mark_rect(fill=None, stroke=PALETTE[4], strokeWidth=3).encode().transform_filter("datum.consistent")
    mid = float(f.total_usd_bn.min() + f.total_usd_bn.max()) / 2
    marks = base.mark_text(fontSize=16, fontWeight="bold").encode(
        text=alt.condition("datum.consistent", alt.value("✓"), alt.value("")),
        color=alt.condition(f"datum.total_usd_bn > {mid!r}", alt.value("#ffffff"), alt.value("#111111")),
    )
    return (alt.layer(cells, outline, marks, title=finding_title(title, sources, "✓ and outline = consistent with every reported total"))
            .properties(**FIT, height=alt.Step(36)))


def gpu_hour_chart(gpu_hours: pd.DataFrame, title: str, sources: Sequence[str]) -> alt.LayerChart:
    """Implied USD per GPU-hour on each basis, with market prices as rules: the bars in a light
    neutral grey, so that every rule's palette colour shows where it crosses a bar."""
    implied = gpu_hours.drop_duplicates("basis")
    market = gpu_hours.drop_duplicates("market").assign(observed=lambda x: pd.to_datetime(x.market_observed))
    bars = (
        alt.Chart(implied)
        .mark_bar(color=NEUTRAL)
        .encode(
            y=alt.Y("basis_label:N", title=None, sort=None,  # the labels name the bases
                    axis=alt.Axis(labelExpr=wrapped_label_expr(LABEL_CHARS))),
            x=alt.X("implied_usd_per_gpu_hour:Q", title="USD per GPU-hour"),
            tooltip=[
                alt.Tooltip("basis_label:N", title="Basis"),
                alt.Tooltip("gpu_count:Q", title="GPUs", format=","),
                alt.Tooltip("implied_usd_per_gpu_hour:Q", title="Implied USD/GPU-h", format="$.2f"),
            ],
        )
    )
    rules = (
        alt.Chart(market)
        .mark_rule(strokeDash=[5, 3], strokeWidth=2)
        .encode(
            x="market_usd_per_gpu_hour:Q",
            color=alt.Color("market_label:N", title="Market price"),
            tooltip=[
                alt.Tooltip("market_label:N", title="Market price"),
                alt.Tooltip("market_usd_per_gpu_hour:Q", title="USD/GPU-h", format="$.2f"),
                alt.Tooltip("observed:T", title="Observed"),
            ],
        )
    )
    return alt.layer(bars, rules, title=finding_title(title, sources)).properties(**FIT, height=140)


def comparables_chart(deals: pd.DataFrame, title: str, sources: Sequence[str]) -> alt.Chart:
    """USD per MW-month of the deals whose power is stated on a like basis (``like_basis``:
    reported, over or about; "up to" ceilings left out), this deal highlighted."""
    f = deals[deals["like_basis"]].copy()
    f["usd_per_mw_month_m"] = f["usd_per_mw_month"] / 1e6
    f["usd_per_year_bn"] = f["usd_per_year"] / 1e9
    f["which"] = f["this_deal"].map({True: "This deal", False: "Comparable"})
    f = json_safe(f[["deal", "usd_per_mw_month_m", "usd_per_year_bn", "term_years", "capacity_mw", "capacity_basis",
                      "notice_terms", "which"]])
    return (
        alt.Chart(f, title=finding_title(title, sources, "Deal value over the term / (months x MW); only deals whose power is stated, not 'up to'"))
        .mark_bar()
        .encode(
            y=alt.Y("deal:N", title=None, sort="-x"),
            x=alt.X("usd_per_mw_month_m:Q", title="USD millions per MW-month"),
            color=alt.Color("which:N", title=None, scale=alt.Scale(range=[PALETTE[4], PALETTE[0]])),
            tooltip=[
                alt.Tooltip("deal:N", title="Deal"),
                alt.Tooltip("usd_per_mw_month_m:Q", title="USD m per MW-month", format=",.2f"),
                alt.Tooltip("usd_per_year_bn:Q", title="USD bn per year", format=",.2f"),
                alt.Tooltip("term_years:Q", title="Term (years)", format=".1f"),
                alt.Tooltip("capacity_mw:Q", title="MW", format=","),
                alt.Tooltip("capacity_basis:N", title="MW basis"),
                alt.Tooltip("notice_terms:N", title="Notice terms"),
            ],
        )
        .properties(**FIT)
    )


def margin_chart(margins: pd.DataFrame, marker_cost: float, title: str, sources: Sequence[str]) -> alt.LayerChart:
    """Implied margin over owner costs per MW-year, the sourced cost marked."""
    f = margins.assign(cost_m=lambda x: x.owner_cost_usd_per_mw_year / 1e6)
    line = (
        alt.Chart(f)
        .mark_line(point=True)
        .encode(
            x=alt.X("cost_m:Q", title="Owner cost (USD m per MW-year)"),
            y=alt.Y("implied_margin:Q", title="Implied margin (share of revenue)", axis=pct_axis()),
            tooltip=[
                alt.Tooltip("cost_m:Q", title="Cost (USD m/MW-yr)", format=",.1f"),
                alt.Tooltip("implied_margin:Q", title="Margin", format=".1%"),
            ],
        )
    )
    rule = alt.Chart(pd.DataFrame({"cost_m": [marker_cost / 1e6], "label": ["Sourced owner cost"]})).mark_rule(
        color=PALETTE[1], strokeDash=[4, 3]
    ).encode(x="cost_m:Q", tooltip=[alt.Tooltip("label:N", title=""), alt.Tooltip("cost_m:Q", title="USD m/MW-yr")])
    return alt.layer(line, rule, title=finding_title(title, sources)).properties(**FIT)


def book_revenue_chart(view: pd.DataFrame, title: str, sources: Sequence[str]) -> alt.Chart:
    """The seller's revenue by quarter, stacked: its business without the book, then each
    customer of the book (``view`` is :func:`neocloud.model.book.seller_book_view`)."""
    f = view.copy()
    f["part"] = f["source"].where(f["source"] != "baseline", "Seller without the book")
    f["usd_bn"] = f["revenue_usd"] / 1e9
    parts = ["Seller without the book", *[p for p in f["part"].unique() if p != "Seller without the book"]]
    f["order"] = f["part"].map({p: i for i, p in enumerate(parts)})
    return (
        alt.Chart(f[["quarter", "part", "usd_bn", "share", "order"]], title=finding_title(title, sources))
        .mark_bar()
        .encode(
            x=alt.X("quarter:O", title="Quarter", sort=None),
            y=alt.Y("usd_bn:Q", title="Revenue (USD billions per quarter)", stack="zero"),
            color=alt.Color("part:N", title=None, sort=parts, scale=company_scale(parts)),
            order=alt.Order("order:Q", sort="ascending"),
            tooltip=[
                alt.Tooltip("quarter:O", title="Quarter"),
                alt.Tooltip("part:N", title="Source"),
                alt.Tooltip("usd_bn:Q", title="USD bn", format=",.2f"),
                alt.Tooltip("share:Q", title="Share of seller revenue", format=".1%"),
            ],
        )
        .properties(**FIT)
    )


def _share_lines(frame: pd.DataFrame, series: str, share: str, x_title: str, y_title: str, series_title: str,
                 share_title: str) -> alt.Chart:
    """Shares (0 to 100%) by quarter as one line per ``series``, in the order they first appear."""
    order = list(dict.fromkeys(frame[series]))
    return (
        alt.Chart(frame[["quarter", series, share]])
        .mark_line(point=True)
        .encode(
            x=alt.X("quarter:O", title=x_title, sort=None),
            y=alt.Y(f"{share}:Q", title=y_title, axis=pct_axis(), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color(f"{series}:N", title=None, sort=order, scale=company_scale(order)),
            tooltip=[alt.Tooltip("quarter:O", title="Quarter"), alt.Tooltip(f"{series}:N", title=series_title),
                     alt.Tooltip(f"{share}:Q", title=share_title, format=".1%")],
        )
    )


def shares_chart(shares: pd.DataFrame, precedent: float, precedent_label: str, title: str, sources: Sequence[str]) -> alt.LayerChart:
    """Each series' share of the seller's revenue by quarter (``quarter``, ``series``, ``share``)
    against a prospectus precedent."""
    line = _share_lines(shares, "series", "share", "Quarter", "Share of seller revenue", "Customer", "Share")
    rule = alt.Chart(pd.DataFrame({"share": [precedent], "label": [precedent_label]})).mark_rule(
        color=PALETTE[1], strokeDash=[4, 3]
    ).encode(y="share:Q", tooltip=[alt.Tooltip("label:N", title="Precedent"), alt.Tooltip("share:Q", title="Share", format=".0%")])
    return alt.layer(line, rule, title=finding_title(title, sources)).properties(**FIT)


def backlog_chart(backlog: pd.DataFrame, title: str, sources: Sequence[str]) -> alt.Chart:
    """Headline backlog against enforceable RPO at each reporting date (grouped bars)."""
    f = backlog.melt(id_vars=["as_of"], value_vars=["headline_usd", "enforceable_usd"], var_name="measure", value_name="usd")
    f["measure"] = f["measure"].map({"headline_usd": "Headline backlog", "enforceable_usd": "Enforceable RPO (ASC 606)"})
    f["usd_bn"] = f["usd"] / 1e9
    f["as_of"] = pd.to_datetime(f["as_of"]).dt.strftime("%Y-%m-%d")
    return (
        alt.Chart(f, title=finding_title(title, sources))
        .mark_bar()
        .encode(
            x=alt.X("as_of:O", title="Reporting date (end of day)"),
            xOffset=alt.XOffset("measure:N"),
            y=alt.Y("usd_bn:Q", title="Remaining contract value (USD billions)"),
            color=alt.Color("measure:N", title=None),
            tooltip=[
                alt.Tooltip("as_of:O", title="As of"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("usd_bn:Q", title="USD bn", format=",.2f"),
            ],
        )
        .properties(**FIT)
    )


def paths_chart(frame: pd.DataFrame, series: dict[str, str], x: str, x_title: str, y_title: str, title: str,
                sources: Sequence[str], events: dict[str, dt.date] | None = None, x_type: str = "T") -> alt.Chart:
    """Several USD series over one x axis as lines (USD shown in billions)."""
    long = _thin(frame).melt(id_vars=[x], value_vars=list(series), var_name="series", value_name="usd")
    long["series"] = long["series"].map(series)
    long["usd_bn"] = long.pop("usd") / 1e9
    fmt = {"T": alt.Tooltip(f"{x}:T", title=x_title), "O": alt.Tooltip(f"{x}:O", title=x_title),
           "Q": alt.Tooltip(f"{x}:Q", title=x_title, format=".1%")}[x_type]
    lines = (
        alt.Chart(long)
        .mark_line(point=x_type != "T")
        .encode(
            x=alt.X(f"{x}:{x_type}", title=x_title, sort=None, axis=pct_axis() if x_type == "Q" else alt.Axis()),
            y=alt.Y("usd_bn:Q", title=y_title),
            color=alt.Color("series:N", title=None, sort=list(series.values())),
            tooltip=[fmt, alt.Tooltip("series:N", title="Series"), alt.Tooltip("usd_bn:Q", title="USD bn", format=",.2f")],
        )
    )
    layers: list[Any] = [lines]
    if events:
        layers.append(key_date_rules(events, (pd.Timestamp(long[x].min()).date(), pd.Timestamp(long[x].max()).date())))
    return alt.layer(*layers, title=finding_title(title, sources)).properties(**FIT)


def simulation_chart(histogram: pd.DataFrame, percentiles: dict[str, float], title: str, sources: Sequence[str]) -> alt.LayerChart:
    """Histogram of simulated revenue (from :func:`neocloud.model.hazard.simulation_histogram`) with
    percentiles marked (``percentiles`` maps a label to USD)."""
    f = histogram.assign(bin_start=histogram.bin_start_usd / 1e9, bin_end=histogram.bin_end_usd / 1e9)
    bars = (
        alt.Chart(f)
        .mark_bar()
        .encode(
            x=alt.X("bin_start:Q", bin="binned", title="Revenue realised (USD billions)"),
            x2="bin_end:Q",
            y=alt.Y("share:Q", title="Share of simulated paths", axis=pct_axis()),
            tooltip=[
                alt.Tooltip("bin_start:Q", title="From (USD bn)", format=",.1f"),
                alt.Tooltip("bin_end:Q", title="To (USD bn)", format=",.1f"),
                alt.Tooltip("share:Q", title="Share of paths", format=".1%"),
            ],
        )
    )
    marks = pd.DataFrame({"label": list(percentiles), "usd_bn": [v / 1e9 for v in percentiles.values()]})
    rules = alt.Chart(marks).mark_rule(color=PALETTE[1], strokeDash=[4, 3]).encode(
        x="usd_bn:Q", tooltip=[alt.Tooltip("label:N", title="Percentile"), alt.Tooltip("usd_bn:Q", title="USD bn", format=",.2f")]
    )
    lo, hi = float(min(f.bin_start.min(), marks.usd_bn.min())), float(max(f.bin_end.max(), marks.usd_bn.max()))
    marks = marks.sort_values("usd_bn", kind="stable").reset_index(drop=True)
    lanes = label_lanes(marks.label.tolist(), [(v - lo) / ((hi - lo) or 1.0) * LANE_WIDTH for v in marks.usd_bn], LANE_WIDTH, 7.0)
    marks["y"] = [-4 - 14 * lane for lane, _ in lanes]  # above the plot, where no rule cuts a label
    marks["align"] = [a for _, a in lanes]
    layers: list[Any] = [bars, rules]
    for align, dx in (("left", 4), ("right", -4)):
        part = marks[marks["align"] == align]
        if len(part):
            layers.append(alt.Chart(part).mark_text(align=align, dx=dx, baseline="bottom", color=PALETTE[1])
                          .encode(x="usd_bn:Q", y=alt.Y("y:Q", scale=None), text="label:N"))
    return alt.layer(*layers, title=finding_title(title, sources)).properties(**FIT)


def heatmap_chart(grid: pd.DataFrame, title: str, sources: Sequence[str]) -> alt.Chart:
    """Revenue realised over notice date (month) and notice period."""
    f = usd_billions(grid, "realised_usd")
    return (
        alt.Chart(f, title=finding_title(title, sources))
        .mark_rect()
        .encode(
            x=alt.X("yearmonth(notice_date):O", title="Notice served (month)"),
            y=alt.Y("notice_days:O", title="Notice period (days)", sort="descending"),
            color=alt.Color("realised_usd_bn:Q", title="Realised (USD bn)", scale=alt.Scale(scheme="viridis")),
            tooltip=[
                alt.Tooltip("notice_date:T", title="Notice served"),
                alt.Tooltip("notice_days:O", title="Notice (days)"),
                alt.Tooltip("realised_usd_bn:Q", title="Realised (USD bn)", format=",.2f"),
                alt.Tooltip("share_of_total:Q", title="Share of full term", format=".0%"),
            ],
        )
        .properties(**FIT)
    )


def tornado_chart(tor: pd.DataFrame, labels: dict[str, str], title: str, sources: Sequence[str]) -> alt.LayerChart:
    """Low and high expected revenue for each input swung alone, widest first."""
    f = tor.copy()
    f["label"] = f["input"].map(labels).fillna(f["input"])
    for c in ("low_usd", "high_usd", "base_usd"):
        f[c.replace("_usd", "_bn")] = f[c] / 1e9
    order = f["label"].tolist()
    bars = (
        alt.Chart(f)
        .mark_bar(height=16)
        .encode(
            y=alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelExpr=wrapped_label_expr(LABEL_CHARS))),
            x=alt.X("low_bn:Q", title="Expected revenue (USD bn)"),
            x2="high_bn:Q",
            tooltip=[
                alt.Tooltip("label:N", title="Input"),
                alt.Tooltip("low_bn:Q", title="At low setting (USD bn)", format=",.2f"),
                alt.Tooltip("high_bn:Q", title="At high setting (USD bn)", format=",.2f"),
            ],
        )
    )
    base = alt.Chart(f.head(1)).mark_rule(color=PALETTE[1]).encode(
        x="base_bn:Q", tooltip=[alt.Tooltip("base_bn:Q", title="Scenario (USD bn)", format=",.2f")]
    )
    # a band takes a label of two lines (labels wrap on a phone)
    return alt.layer(bars, base, title=finding_title(title, sources)).properties(**FIT, height=alt.Step(32))


def boundary_chart(boundary: pd.DataFrame, fee_price: float, start_price: float, title: str, sources: Sequence[str]) -> alt.LayerChart:
    """The market price (USD per H100e-hour) below which the buyer and above which the seller
    serve notice on each decision date, with the deal's own price and the starting price."""
    long = _dates(boundary, "notice_date").melt(id_vars=["notice_date"], value_vars=["buyer_exits_below", "seller_exits_above"],
                                              var_name="rule", value_name="price").dropna()
    long["rule"] = long["rule"].map({"buyer_exits_below": "Buyer walks below", "seller_exits_above": "Seller walks above"})
    lines = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("notice_date:T", title="Date notice is served"),
            y=alt.Y("price:Q", title="Market price (USD per H100e-hour)", scale=alt.Scale(zero=True)),
            color=alt.Color("rule:N", title=None, scale=alt.Scale(range=[PALETTE[0], PALETTE[1]])),
            tooltip=[alt.Tooltip("notice_date:T", title="Notice date"), alt.Tooltip("rule:N", title="Rule"),
                     alt.Tooltip("price:Q", title="USD per H100e-hour", format="$.2f")],
        )
    )
    marks = pd.DataFrame({"price": [fee_price, start_price],
                          "label": ["The deal's fee per H100e-hour", "Starting market price"]})
    rules = alt.Chart(marks).mark_rule(strokeDash=[4, 3]).encode(
        y="price:Q", color=alt.value("#555"),
        tooltip=[alt.Tooltip("label:N", title="Line"), alt.Tooltip("price:Q", title="USD per H100e-hour", format="$.2f")],
    )
    return alt.layer(lines, rules, title=finding_title(title, sources)).properties(**FIT)


def price_sweep_chart(sweep: pd.DataFrame, marks: dict[str, float], title: str, sources: Sequence[str]) -> alt.LayerChart:
    """Expected revenue under market-driven exits over the starting market price, with vertical
    rules at ``marks`` (label -> USD per H100e-hour)."""
    f = usd_billions(sweep, "expected_revenue_usd")
    line = (
        alt.Chart(f[["price_usd", "expected_revenue_usd_bn"]])
        .mark_line(point=True)
        .encode(
            x=alt.X("price_usd:Q", title="Starting price (USD per H100e-hour)", axis=alt.Axis(format="$.0f", tickMinStep=1)),
            y=alt.Y("expected_revenue_usd_bn:Q", title="Expected revenue (USD billions)"),
            tooltip=[alt.Tooltip("price_usd:Q", title="Starting price", format="$.2f"),
                     alt.Tooltip("expected_revenue_usd_bn:Q", title="Expected revenue (USD bn)", format=",.2f")],
        )
    )
    rules = alt.Chart(pd.DataFrame({"label": list(marks), "price": list(marks.values())})).mark_rule(strokeDash=[4, 3], color="#555").encode(
        x="price:Q", tooltip=[alt.Tooltip("label:N", title="Line"), alt.Tooltip("price:Q", title="USD per H100e-hour", format="$.2f")],
    )
    return alt.layer(line, rules, title=finding_title(title, sources)).properties(**FIT)


def distributions_chart(histograms: pd.DataFrame, title: str, sources: Sequence[str]) -> alt.Chart:
    """Several revenue distributions on one axis (``model``, ``bin_start_usd``, ``bin_end_usd``,
    ``share``), as step lines."""
    f = usd_billions(histograms, "bin_start_usd", "bin_end_usd")
    f["mid_bn"] = (f["bin_start_usd_bn"] + f["bin_end_usd_bn"]) / 2
    return (
        alt.Chart(f[["model", "mid_bn", "bin_start_usd_bn", "bin_end_usd_bn", "share"]], title=finding_title(title, sources))
        .mark_line(interpolate="step", point=False)
        .encode(
            x=alt.X("mid_bn:Q", title="Book revenue (USD billions)"),
            y=alt.Y("share:Q", title="Share of simulated paths", axis=pct_axis()),
            color=alt.Color("model:N", title=None),
            tooltip=[alt.Tooltip("model:N", title="Model"), alt.Tooltip("bin_start_usd_bn:Q", title="From (USD bn)", format=",.1f"),
                     alt.Tooltip("bin_end_usd_bn:Q", title="To (USD bn)", format=",.1f"),
                     alt.Tooltip("share:Q", title="Share of paths", format=".1%")],
        )
        .properties(**FIT)
    )


def rented_share_chart(paths: pd.DataFrame, title: str, sources: Sequence[str]) -> alt.Chart:
    """The share of the seller's owned capacity (MW) rented out by quarter on each path
    (``quarter``, ``path``, ``rented_share`` from :func:`neocloud.model.capacity.rented_share_paths`)."""
    line = _share_lines(json_safe(paths[["quarter", "path", "rented_share"]]), "path", "rented_share", "Quarter end",
                        "Share of owned MW rented out", "Path", "Rented share")
    return line.properties(title=finding_title(title, sources), **FIT)


def sobol_chart(indices: pd.DataFrame, input_labels: dict[str, str], output_labels: dict[str, str],
                title: str, sources: Sequence[str]) -> alt.FacetChart:
    """Sobol' first-order and total indices with their confidence intervals, one panel per
    output (``output``, ``input``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` from
    :func:`neocloud.analysis.global_sensitivity.sobol_indices`)."""
    f = indices.copy()
    long = pd.concat([
        pd.DataFrame({"output": f.output, "input": f.input, "kind": "First-order (alone)", "index": f.S1, "conf": f.S1_conf}),
        pd.DataFrame({"output": f.output, "input": f.input, "kind": "Total (with interactions)", "index": f.ST, "conf": f.ST_conf}),
    ], ignore_index=True)
    long["panel"] = long.output.map(output_labels).fillna(long.output)
    long["label"] = long.input.map(input_labels).fillna(long.input)
    long["low"] = (long["index"] - long.conf).clip(lower=0.0)
    long["high"] = (long["index"] + long.conf).clip(upper=1.0)
    order = (f.groupby("input", sort=False).ST.max().sort_values(ascending=False).index.map(lambda k: input_labels.get(k, k))).tolist()
    base = alt.Chart().encode(
        y=alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=0, labelExpr=wrapped_label_expr(LABEL_CHARS))),
        yOffset=alt.YOffset("kind:N", sort=["First-order (alone)", "Total (with interactions)"]),
    )
    bars = base.mark_bar(height=8).encode(
        # estimates a little outside [0, 1] are sampling noise (their intervals say how much): drawn at the edge
        x=alt.X("index:Q", title="Share of the figure's variance", axis=pct_axis(),
                scale=alt.Scale(domain=[0, 1], clamp=True)),
        color=alt.Color("kind:N", title=None, scale=alt.Scale(range=[PALETTE[0], PALETTE[1]]), legend=alt.Legend(orient="top", labelLimit=0)),
        tooltip=[alt.Tooltip("panel:N", title="Figure"), alt.Tooltip("label:N", title="Input"), alt.Tooltip("kind:N", title="Index"),
                 alt.Tooltip("index:Q", title="Estimate", format=".1%"), alt.Tooltip("low:Q", title="Interval from", format=".1%"),
                 alt.Tooltip("high:Q", title="Interval to", format=".1%")],
    )
    ci = base.mark_rule(color="#333333").encode(x=alt.X("low:Q", scale=alt.Scale(domain=[0, 1], clamp=True)), x2="high:Q")
    return (
        alt.layer(bars, ci, data=json_safe(long))
        .properties(width=260, height=alt.Step(18))
        .facet(facet=alt.Facet("panel:N", title=None, header=alt.Header(labelLimit=0, labelFontWeight="bold"),
                               sort=[output_labels.get(o, o) for o in dict.fromkeys(f.output)]), columns=1)
        .properties(title=finding_title(title, sources))
        .resolve_scale(y="shared")
    )


SHOWN_FROM = 0.05
"""The convergence chart draws the inputs whose total index reaches this share of variance at some
sample size (the others, near zero throughout, are named in its caption): so that each line has a
colour of its own from the colour-blind-safe palette."""


def _in_sentence(label: str) -> str:
    """A label inside a sentence: its first letter in lower case unless the word is an acronym.

    >>> _in_sentence("Market price drift"), _in_sentence("GPU count")
    ('market price drift', 'GPU count')
    """
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def convergence_title(shift: pd.DataFrame, input_labels: dict[str, str], output_labels: dict[str, str]) -> str:
    """What the last doubling of the sample shows (``shift`` from
    :func:`neocloud.analysis.global_sensitivity.last_doubling`): the index that still moves most and by how
    much, or that none moves more than the threshold.

    >>> from neocloud.analysis.global_sensitivity import last_doubling
    >>> rows = pd.DataFrame({"output": "y", "input": ["a", "b", "a", "b"], "evaluations": [352, 352, 704, 704],
    ...                      "ST": [0.835, 0.30, 0.669, 0.31]})
    >>> convergence_title(last_doubling(rows), {"a": "Market price drift"}, {"y": "Expected revenue"})
    'Not settled at 704 evaluations: over the last doubling the total index of market price drift (expected revenue) still moves 17 points (84% to 67%)'
    >>> convergence_title(last_doubling(rows[rows.input == "b"]), {}, {"y": "Expected revenue"})
    'The total indices settle: over the last doubling, to 704 evaluations, none moves more than 1 point'
    """
    from neocloud.analysis.global_sensitivity import SETTLED_POINTS

    top = shift.iloc[0]
    points = abs(float(top.change)) * 100
    n = int(top.evaluations)
    if points <= SETTLED_POINTS * 100 + 1e-9:
        most = max(1, math.ceil(points - 1e-9))
        return (f"The total indices settle: over the last doubling, to {n:,} evaluations, none moves more than "
                f"{most} point{'s' if most != 1 else ''}")
    moving = int((~shift.settled).sum())
    others = "one other index moves" if moving == 2 else f"{moving - 1} other indices move"
    also = f"; {others} more than {SETTLED_POINTS * 100:g} points" if moving > 1 else ""
    return (f"Not settled at {n:,} evaluations: over the last doubling the total index of "
            f"{_in_sentence(input_labels.get(top.input, top.input))} ({_in_sentence(output_labels.get(top.output, top.output))}) "
            f"still moves {points:.0f} points ({top.before:.0%} to {top.after:.0%}){also}")


def convergence_chart(convergence: pd.DataFrame, input_labels: dict[str, str], output_labels: dict[str, str],
                      title: str | None = None, sources: Sequence[str] = ()) -> alt.FacetChart:
    """Total Sobol' indices against the number of evaluations (``output``, ``base_samples``,
    ``evaluations``, ``input``, ``ST``, ``ST_conf`` from
    :func:`neocloud.analysis.global_sensitivity.sobol_convergence`), one panel per output, one colour per
    input that matters (:data:`SHOWN_FROM`). The title, unless given, states what the last doubling
    of the sample shows (:func:`convergence_title`): whether the estimates have settled."""
    from neocloud.analysis.global_sensitivity import last_doubling

    f = convergence.copy()
    if title is None:
        title = convergence_title(last_doubling(f), input_labels, output_labels)
    f["panel"] = f.output.map(output_labels).fillna(f.output)
    f["label"] = f.input.map(input_labels).fillna(f.input)
    reach = f.groupby("label", sort=False).ST.max()
    final = f[f.evaluations == f.evaluations.max()].groupby("label", sort=False).ST.max()
    shown = [x for x in final.sort_values(ascending=False, kind="stable").index if reach[x] >= SHOWN_FROM]
    left_out = [x for x in reach.index if x not in shown]
    f = f[f.label.isin(shown)]
    # a share of variance lies in [0, 1]; an estimate outside it is the estimator's sampling error
    # at small samples: drawn at the edge (the caption says so), the tooltip keeps the estimate
    f["shown"] = f.ST.clip(lower=0.0, upper=1.0)
    clipped = bool((f.ST != f.shown).any())
    notes = ([CLIPPED_NOTE] if clipped else []) + \
        ([f"Left out, under {SHOWN_FROM:.0%} at every size: " + ", ".join(_in_sentence(x) for x in left_out)] if left_out else [])
    # one palette colour per input; past the palette's seven, lines are dashed as well
    dashes = [[1, 0] if i < len(PALETTE) else [6, 3] for i in range(len(shown))]
    line = alt.Chart().mark_line(point=True).encode(
        x=alt.X("evaluations:Q", title="Evaluations (log scale)", scale=alt.Scale(type="log", base=2), axis=alt.Axis(format=",d", tickMinStep=1)),
        y=alt.Y("shown:Q", title="Total index (share of variance)", axis=pct_axis(), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("label:N", title="Input", sort=shown,
                        scale=alt.Scale(domain=shown, range=[PALETTE[i % len(PALETTE)] for i in range(len(shown))]),
                        legend=alt.Legend(orient="bottom", columns=1, labelLimit=0)),
        strokeDash=alt.StrokeDash("label:N", sort=shown, scale=alt.Scale(domain=shown, range=dashes), legend=None),
        tooltip=[alt.Tooltip("panel:N", title="Figure"), alt.Tooltip("label:N", title="Input"),
                 alt.Tooltip("base_samples:Q", title="Base samples", format=",d"),
                 alt.Tooltip("evaluations:Q", title="Evaluations", format=",d"),
                 alt.Tooltip("ST:Q", title="Total index", format=".1%"), alt.Tooltip("ST_conf:Q", title="Interval +/-", format=".1%")],
    )
    return (
        alt.layer(line, data=json_safe(f)).properties(width=260, height=170)
        .facet(facet=alt.Facet("panel:N", title=None, header=alt.Header(labelLimit=0, labelFontWeight="bold"),
                               sort=[output_labels.get(o, o) for o in dict.fromkeys(f.output)]), columns=1)
        .properties(title=finding_title(title, sources, " ".join(n.rstrip(".") + "." for n in notes) if notes else None))
    )


CLIPPED_NOTE = ("Estimates above 100% or below 0% are sampling error of the estimator at small samples "
                "(a share of variance lies between them): drawn at the edge; the tooltip gives each estimate")


def probability_control_chart(grid: pd.DataFrame, p0: float, step: float, title: str | None = None,
                              sources: Sequence[str] = ()) -> alt.LayerChart:
    """Expected revenue against the monthly probability of notice (``probability``,
    ``expected_usd``, ``label``, ``p_label``, ``title`` from :func:`neocloud.report.explore.probability_grid`),
    with a slider over the grid's probabilities opening on ``p0``: the point and the chart's title
    (the grid row's ``title``) follow it. ``title``: words that hold at every position of the
    slider, shown under it."""
    f = grid.copy()
    f["expected_bn"] = f.expected_usd / 1e9
    p = slider("notice_p", "Monthly probability of notice ", f.probability.tolist(), p0)
    f["at"] = p.positions(f.probability)
    x = alt.X("probability:Q", title="Monthly probability of notice", axis=pct_axis())
    y = alt.Y("expected_bn:Q", title="Expected revenue (USD billions)")
    tips = [alt.Tooltip("p_label:N", title="Monthly probability"), alt.Tooltip("label:N", title="Expected revenue")]
    data = f[["probability", "expected_bn", "p_label", "label", "at"]]
    line = alt.Chart(data).mark_line(color=PALETTE[0]).encode(x=x, y=y, tooltip=tips)
    dot = alt.Chart(data).mark_point(filled=True, size=90, color=PALETTE[1]).encode(x=x, y=y, tooltip=tips) \
        .transform_filter(selected([p], ["at"]))
    return (alt.layer(line, dot).add_params(p.param)
            .properties(**with_controls(f.title.tolist(), [p], title, sources,
                                                     CONTROL_NOTE + f" (steps of {pct_text(step)}).")))


def reading_control_chart(lines: pd.DataFrame, floors: pd.DataFrame, default: str, title: str | None = None,
                          sources: Sequence[str] = ()) -> alt.LayerChart:
    """Revenue realised and lost by notice date under the reading of the termination terms picked
    in a menu (``reading``, ``notice_date``, ``realised_usd``, ``lost_usd``; and ``floors`` from
    :func:`neocloud.report.explore.readings_grid`), opening on the reading ``default``: the lines and the
    chart's title (the reading's ``title``) follow it. Readings travel as their index in ``floors``
    (the menu shows their labels), so that long labels are not repeated on every row of the data.
    ``title``: words that hold under every reading, shown under it."""
    readings = floors.reading.tolist()
    index = {label: i for i, label in enumerate(readings)}
    long = _dates(lines, "notice_date").melt(id_vars=["reading", "notice_date"], value_vars=["realised_usd", "lost_usd"],
                                             var_name="series", value_name="usd")
    long["series"] = long.series.map({"realised_usd": "Revenue realised", "lost_usd": "Revenue lost"})
    long["bn"] = long.usd / 1e9
    long["r"] = long.reading.map(index)
    long = _thin_by(long.drop(columns=["reading", "usd"]), ["r", "series"], 150)
    r = menu("reading", "Reading of the terms ", list(range(len(readings))), readings, index[default])
    line = (alt.Chart(long).mark_line()
            .encode(x=alt.X("notice_date:T", title="Date notice is served"),
                    y=alt.Y("bn:Q", title="Revenue (USD billions)"),
                    color=alt.Color("series:N", title=None, scale=alt.Scale(range=[PALETTE[0], PALETTE[1]])),
                    tooltip=[alt.Tooltip("notice_date:T", title="Notice served"), alt.Tooltip("series:N", title="Series"),
                             alt.Tooltip("bn:Q", title="USD billions", format=",.2f")])
            .transform_filter(selected([r], ["r"])))
    return (alt.layer(line).add_params(r.param)
            .properties(**with_controls(floors.title.tolist(), [r], title, sources,
                                                     CONTROL_NOTE + " (every reading the scenario lists).")))


def market_control_chart(summary: pd.DataFrame, shares: pd.DataFrame, price0: float, drift0: float, title: str | None = None,
                         sources: Sequence[str] = ()) -> alt.LayerChart:
    """Monthly notice shares of each party under market-driven exits, with menus for the starting
    price and the drift (``summary`` and ``shares`` from :func:`neocloud.report.explore.market_grid`)
    opening on ``price0`` and ``drift0``: the bars and the chart's title (the grid point's
    ``title``) follow them. ``title``: words that hold at every setting, shown under it."""
    prices = sorted(summary.price.unique().tolist())
    drifts = sorted(summary.drift.unique().tolist())
    price = menu("m_price", "Starting price (USD per H100e-hour) ", prices, [f"${p:,.2f}" for p in prices], price0)
    drift = menu("m_drift", "Drift a year ", drifts, [f"{d * 100:+.1f}%" for d in drifts], drift0)
    titles = [[summary[(summary.price == p) & (summary.drift == d)].title.iloc[0] for d in drifts] for p in prices]
    long = _dates(shares, "notice_date").melt(id_vars=["price", "drift", "notice_date"], value_vars=["buyer", "seller"],
                                              var_name="party", value_name="share")
    long["party"] = long.party.map({"buyer": "Buyer serves notice", "seller": "Seller serves notice"})
    long["pi"], long["di"] = price.positions(long.pop("price")), drift.positions(long.pop("drift"))
    # one scale for every price and drift (the tallest stack of the grid): the axis and the chart do not
    # move when a menu does, and the bars compare across settings
    tallest = float(long.groupby(["pi", "di", "notice_date"]).share.sum().max()) if len(long) else 1.0
    bars = (alt.Chart(long).mark_bar()
            .encode(x=alt.X("yearmonth(notice_date):T", title="Date notice is served"),
                    y=alt.Y("share:Q", title="Share of simulated paths", axis=pct_axis(), stack="zero",
                            scale=alt.Scale(domain=[0, min(1.0, tallest) or 1.0])),
                    color=alt.Color("party:N", title=None, scale=alt.Scale(range=[PALETTE[0], PALETTE[1]]),
                                    legend=alt.Legend(orient="bottom", labelLimit=0)),
                    tooltip=[alt.Tooltip("yearmonth(notice_date):T", title="Notice date"), alt.Tooltip("party:N", title="Party"),
                             alt.Tooltip("share:Q", title="Share of paths", format=".2%")])
            .transform_filter(selected([price, drift], ["pi", "di"])))
    return (alt.layer(bars).add_params(price.param, drift.param)
            .properties(**with_controls(titles, [price, drift], title, sources,
                                                     CONTROL_NOTE + " ($1 and 10-point steps around the scenario).")))


def ramp_control_chart(grid: pd.DataFrame, discount0: float, start0: str, step: float, title: str | None = None,
                       sources: Sequence[str] = ()) -> alt.LayerChart:
    """The total contract value against the ramp discount for the start month picked in a menu,
    with a slider over the grid's discounts (``start_label``, ``ramp_discount``, ``total_usd``,
    ``label``, ``title`` from :func:`neocloud.report.explore.ramp_grid`) opening on ``discount0`` and
    ``start0``: the line, the point and the chart's title (the grid row's ``title``) follow them.
    ``title``: words that hold at every setting, shown under it."""
    f = grid.drop(columns=["start"]).copy()
    f["total_bn"] = f.total_usd / 1e9
    starts = list(dict.fromkeys(f.start_label))
    discounts = sorted(f.ramp_discount.unique().tolist())
    d = slider("ramp_d", "Ramp discount ", discounts, discount0)
    s = menu("ramp_start", "Service starts ", starts, None, start0)
    titles = [[f[(f.start_label == a) & (f.ramp_discount == x)].title.iloc[0] for x in discounts] for a in starts]
    f["si"], f["di"] = s.positions(f.start_label), d.positions(f.ramp_discount)
    data = f[["start_label", "ramp_discount", "total_bn", "label", "si", "di"]]
    same_start = selected([s], ["si"])
    x = alt.X("ramp_discount:Q", title="Ramp discount (share of fee waived)", axis=pct_axis())
    # one scale for every start month, with room for the point at its ends: the axis and the chart do not
    # move when the menu or the slider does, and the lines compare
    low, high = float(f.total_bn.min()), float(f.total_bn.max())
    room = 0.05 * (high - low) or 0.05 * abs(high) or 1.0
    y = alt.Y("total_bn:Q", title="Total contract value (USD billions)",
              scale=alt.Scale(zero=False, domain=[low - room, high + room], nice=False))
    tips = [alt.Tooltip("start_label:N", title="Service starts"), alt.Tooltip("ramp_discount:Q", title="Ramp discount", format=".0%"),
            alt.Tooltip("label:N", title="Total")]
    line = alt.Chart(data).mark_line(color=PALETTE[0]).encode(x=x, y=y, tooltip=tips).transform_filter(same_start)
    dot = alt.Chart(data).mark_point(filled=True, size=90, color=PALETTE[1]).encode(x=x, y=y, tooltip=tips) \
        .transform_filter(selected([s, d], ["si", "di"]))
    return (alt.layer(line, dot).add_params(d.param, s.param)
            .properties(**with_controls(titles, [s, d], title, sources,
                                                     CONTROL_NOTE + f" (discount steps of {pct_text(step)}).")))
