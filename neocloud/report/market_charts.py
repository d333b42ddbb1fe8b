"""Altair charts of the market report (every seller's and buyer's book from the ledger), in the
conventions of :mod:`neocloud.report.charts`: its theme, findings as titles, units on axes, sources in
the subtitle. Charts take the frames :mod:`neocloud.model.ledger` returns; nothing here computes a
contract figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import altair as alt
import pandas as pd

from neocloud.report.charts import FIT, PALETTE, finding_title as _title

def _records(frame: pd.DataFrame) -> alt.Data:
    """Chart data as plain JSON values: dates as ``YYYY-MM-DD``, missing values as null, floats
    to :data:`neocloud.report.charts.SIGNIFICANT_DIGITS` significant digits (the same on every machine).

    >>> _records(pd.DataFrame({"d": [pd.Timestamp("2026-08-01"), pd.NaT], "x": [1 / 3, float("nan")]})).values
    [{'d': '2026-08-01', 'x': 0.3333333333}, {'d': None, 'x': None}]
    """
    from neocloud.report.charts import SIGNIFICANT_DIGITS

    def clean(v: object) -> object:
        if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
            return None
        if isinstance(v, (pd.Timestamp, dt.date)):
            return v.strftime("%Y-%m-%d")
        if isinstance(v, float):
            return float(f"{v:.{SIGNIFICANT_DIGITS}g}")
        if hasattr(v, "item"):  # numpy scalars
            return clean(v.item())  # type: ignore[attr-defined]
        return v

    return alt.Data(values=[{k: clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")])


BAR_ROW_PX = 22
"""Height of one bar row: labels never overlap."""


def seller_backlog_chart(sellers: pd.DataFrame, title: str, sources: Sequence[str]) -> alt.Chart:
    """Each seller's headline backlog against its enforceable RPO, USD billions, largest first
    (from :func:`neocloud.model.ledger.market_sellers`).

    >>> import datetime as dt, neocloud as nc
    >>> from neocloud.model.ledger import market_sellers
    >>> c = seller_backlog_chart(market_sellers(nc.load_ledger(), dt.date(2026, 6, 30)), "t", ["s"])
    >>> sorted({r["measure"] for r in c.data.values})
    ['Enforceable RPO', 'Headline backlog']
    """
    long = sellers.melt(id_vars=["seller"], value_vars=["headline_backlog_usd", "enforceable_rpo_usd"],
                        var_name="measure", value_name="usd")
    long["measure"] = long.measure.map({"headline_backlog_usd": "Headline backlog", "enforceable_rpo_usd": "Enforceable RPO"})
    long["usd_bn"] = long.usd / 1e9
    order = sellers.sort_values("headline_backlog_usd", ascending=False).seller.tolist()
    return (
        alt.Chart(_records(long[["seller", "measure", "usd_bn"]]),
                  title=_title(title, sources, "Fees of service after the reporting date; enforceable: what the buyer cannot avoid by notice"))
        .mark_bar()
        .encode(
            y=alt.Y("seller:N", title=None, sort=order),
            yOffset=alt.YOffset("measure:N", sort=["Headline backlog", "Enforceable RPO"]),
            x=alt.X("usd_bn:Q", title="USD billions"),
            color=alt.Color("measure:N", title=None, sort=["Headline backlog", "Enforceable RPO"],
                            scale=alt.Scale(range=[PALETTE[0], PALETTE[4]])),
            tooltip=[alt.Tooltip("seller:N", title="Seller"), alt.Tooltip("measure:N", title="Figure"),
                     alt.Tooltip("usd_bn:Q", title="USD bn", format=",.2f")],
        )
        .properties(**FIT, height=alt.Step(BAR_ROW_PX))
    )


def walk_share_chart(sellers: pd.DataFrame, title: str, sources: Sequence[str]) -> alt.Chart:
    """The share of each seller's headline backlog its buyers can walk away from by serving
    notice within 90 and within 365 days of the reporting date."""
    long = sellers.melt(id_vars=["seller"], value_vars=["walkable_90d_share", "walkable_365d_share"],
                        var_name="horizon", value_name="share")
    long["horizon"] = long.horizon.map({"walkable_90d_share": "Notice within 90 days",
                                        "walkable_365d_share": "Notice within 365 days"})
    order = sellers.sort_values("headline_backlog_usd", ascending=False).seller.tolist()
    return (
        alt.Chart(_records(long[["seller", "horizon", "share"]]), title=_title(title, sources, "Fees a notice at the first opportunity would cancel, over the headline backlog; take-or-pay contracts: none"))
        .mark_bar()
        .encode(
            y=alt.Y("seller:N", title=None, sort=order),
            yOffset=alt.YOffset("horizon:N", sort=["Notice within 90 days", "Notice within 365 days"]),
            x=alt.X("share:Q", title="Share of the headline backlog", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("horizon:N", title=None, sort=["Notice within 90 days", "Notice within 365 days"],
                            scale=alt.Scale(range=[PALETTE[1], PALETTE[3]])),
            tooltip=[alt.Tooltip("seller:N", title="Seller"), alt.Tooltip("horizon:N", title="Horizon"),
                     alt.Tooltip("share:Q", title="Share", format=".1%")],
        )
        .properties(**FIT, height=alt.Step(BAR_ROW_PX))
    )


def buyer_commitments_chart(commitments: pd.DataFrame, title: str, sources: Sequence[str]) -> alt.Chart:
    """Each buyer's commitments by calendar year, stacked by seller, USD billions (from
    :func:`neocloud.model.ledger.buyer_commitments`): one row of bars per buyer."""
    f = commitments.copy()
    f["committed_usd_bn"] = f.committed_usd / 1e9
    f["walkable_usd_bn"] = f.walkable_usd / 1e9
    f["year"] = f.year.astype(str)
    return (
        alt.Chart(_records(f[["buyer", "seller", "year", "committed_usd_bn", "walkable_usd_bn"]]))
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="Calendar year", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("committed_usd_bn:Q", title="USD billions"),
            color=alt.Color("seller:N", title="Seller"),
            tooltip=[alt.Tooltip("buyer:N", title="Buyer"), alt.Tooltip("seller:N", title="Seller"),
                     alt.Tooltip("year:O", title="Year"),
                     alt.Tooltip("committed_usd_bn:Q", title="Committed, USD bn", format=",.2f"),
                     alt.Tooltip("walkable_usd_bn:Q", title="Of which it can walk from, USD bn", format=",.2f")],
        )
        .properties(width=260, height=110)   # a panel's width: the page fits the panels to their box
        .facet(row=alt.Row("buyer:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left", labelFontSize=12)),
               title=_title(title, sources, "Fees of service after the reporting date if every contract runs its course"))
        .resolve_scale(y="independent")
    )


def notice_calendar_chart(calendar: pd.DataFrame, as_of: dt.date, months: int, title: str,
                          sources: Sequence[str]) -> alt.LayerChart:
    """The notice windows opening in the next ``months`` (and the delivery deadlines) on a time
    line, one row per contract; a window's point is sized by the fees a notice that day would
    cancel (from :func:`neocloud.model.ledger.notice_calendar`)."""
    from neocloud.inputs.terms import add_months

    f = calendar.copy()
    f["at_stake_usd_bn"] = f.at_stake_usd / 1e9
    f["size_bn"] = f.at_stake_usd_bn.fillna(0.0)  # a deadline has no amount: drawn at the smallest size
    f["contract"] = f.seller + " - " + f.buyer
    f = _records(f[["date", "event", "contract", "service_ends", "at_stake_usd_bn", "size_bn", "right"]])
    pad = dt.timedelta(days=10)  # a point on the first or last day is drawn whole
    domain = [(as_of - pad).isoformat(), (add_months(as_of, months) + pad).isoformat()]
    heading = _title(title, sources, "Circles: notice may first be served that day (size: fees it would cancel); "
                                     "diamonds: delivery deadlines")
    points = alt.Chart(f).mark_point(filled=True, opacity=0.85).encode(
        x=alt.X("date:T", title=None, scale=alt.Scale(domain=domain), axis=alt.Axis(format="%b %Y", tickCount={"interval": "month", "step": 2})),
        y=alt.Y("contract:N", title=None),
        shape=alt.Shape("event:N", title=None, scale=alt.Scale(domain=["notice window opens", "delivery deadline"],
                                                                 range=["circle", "diamond"])),
        size=alt.Size("size_bn:Q", title="USD bn at stake", scale=alt.Scale(range=[80, 900], zero=True)),
        color=alt.Color("event:N", title=None, scale=alt.Scale(domain=["notice window opens", "delivery deadline"],
                                                                 range=[PALETTE[1], PALETTE[0]]), legend=None),
        tooltip=[alt.Tooltip("contract:N", title="Contract"), alt.Tooltip("event:N", title="Event"),
                 alt.Tooltip("date:T", title="Date", format="%d %b %Y"),
                 alt.Tooltip("service_ends:T", title="Service ends if notice that day", format="%d %b %Y"),
                 alt.Tooltip("at_stake_usd_bn:Q", title="USD bn at stake", format=",.2f"),
                 alt.Tooltip("right:N", title="Right")],
    )
    return alt.layer(points, title=heading).properties(**FIT, height=alt.Step(28))


def notice_calendar_control_chart(calendar: pd.DataFrame, grid: pd.DataFrame, as_of: dt.date, title: str,
                                  sources: Sequence[str]) -> alt.LayerChart:
    """The notice calendar (:func:`notice_calendar_chart`) with two controls: a horizon (the
    horizons of ``grid``, :func:`neocloud.model.ledger.notice_calendar_grid`) and a seller to pick out.
    The rows outside the choice are dimmed, never dropped (the chart keeps its size), a rule marks
    the horizon's last day, and the chart's title is the grid's row for the choice (its
    ``readout`` text, :func:`neocloud.report.market_words.calendar_readout`): every figure shown is the
    library's. ``title`` must state what no control changes.

    >>> import neocloud as nc
    >>> from neocloud.model.ledger import notice_calendar, notice_calendar_grid
    >>> from neocloud.report.market_words import calendar_readout
    >>> a = dt.date(2026, 6, 30)
    >>> cal = notice_calendar(nc.load_ledger(), a)
    >>> g = notice_calendar_grid(cal, a)
    >>> c = notice_calendar_control_chart(cal, g.assign(readout=g.apply(calendar_readout, axis=1)), a, "t", ["s"])
    >>> sorted(p.name for p in c.params)
    ['cal_horizon', 'cal_seller']
    """
    from neocloud.report.charts.controls import CONTROL_NOTE, menu, with_controls
    from neocloud.model.ledger import ALL_SELLERS

    horizons = sorted(int(h) for h in grid.horizon_months.unique())
    sellers = [ALL_SELLERS, *[s for s in grid.seller.unique() if s != ALL_SELLERS]]
    until = {int(r.horizon_months): r.until for r in grid[grid.seller == ALL_SELLERS].itertuples()}
    f = calendar.copy()
    f["h_min"] = [min((h for h in horizons if d <= until[h]), default=horizons[-1]) for d in f.date]
    f["at_stake_usd_bn"] = f.at_stake_usd / 1e9
    f["size_bn"] = f.at_stake_usd_bn.fillna(0.0)  # a deadline has no amount: drawn at the smallest size
    f["contract"] = f.seller + " - " + f.buyer
    data = _records(f[["date", "event", "seller", "contract", "h_min", "service_ends", "at_stake_usd_bn", "size_bn", "right"]])
    shown = grid.assign(until=grid.until.map(lambda d: d.isoformat()))[["horizon_months", "seller", "until", "readout"]]
    h = menu("cal_horizon", "Horizon ", horizons, [f"{x} months" for x in horizons], horizons[-1])
    who = menu("cal_seller", "Seller ", sellers, None, ALL_SELLERS)
    chosen = f"datum.h_min <= cal_horizon && (cal_seller == '{ALL_SELLERS}' || datum.seller == cal_seller)"
    row = "datum.horizon_months == cal_horizon && datum.seller == cal_seller"
    readouts = shown.set_index(["horizon_months", "seller"]).readout
    titles = [[readouts[(hz, sl)] for sl in sellers] for hz in horizons]
    pad = dt.timedelta(days=10)  # a point on the first or last day is drawn whole
    domain = [(as_of - pad).isoformat(), (until[horizons[-1]] + pad).isoformat()]
    x = alt.X("date:T", title=None, scale=alt.Scale(domain=domain), axis=alt.Axis(format="%b %Y", tickCount={"interval": "month", "step": 2}))
    events = ["notice window opens", "delivery deadline"]
    points = alt.Chart(data).mark_point(filled=True).encode(
        x=x,
        y=alt.Y("contract:N", title=None),
        shape=alt.Shape("event:N", title=None, scale=alt.Scale(domain=events, range=["circle", "diamond"])),
        size=alt.Size("size_bn:Q", title="USD bn at stake", scale=alt.Scale(range=[80, 900], zero=True)),
        color=alt.Color("event:N", title=None, scale=alt.Scale(domain=events, range=[PALETTE[1], PALETTE[0]]), legend=None),
        opacity=alt.condition(chosen, alt.value(0.9), alt.value(0.12)),
        tooltip=[alt.Tooltip("contract:N", title="Contract"), alt.Tooltip("event:N", title="Event"),
                 alt.Tooltip("date:T", title="Date", format="%d %b %Y"),
                 alt.Tooltip("service_ends:T", title="Service ends if notice that day", format="%d %b %Y"),
                 alt.Tooltip("at_stake_usd_bn:Q", title="USD bn at stake", format=",.2f"),
                 alt.Tooltip("right:N", title="Right")],
    )
    rule = (alt.Chart(_records(shown)).mark_rule(strokeDash=[4, 3], color=PALETTE[4])
            .encode(x=alt.X("until:T", scale=alt.Scale(domain=domain)))
            .transform_filter(row))
    note = (CONTROL_NOTE + ". Circles: notice may first be served that day (size: fees it would cancel); "
            "diamonds: delivery deadlines; dashed: the horizon's last day")
    return (alt.layer(points, rule).add_params(h.param, who.param)
            .properties(**with_controls(titles, [h, who], title, sources, note), height=alt.Step(28)))
