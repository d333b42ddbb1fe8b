"""The seller's book: several compute contracts of one seller, read together on one date.

Convention (``shared/conventions.md``, "Books"): every per-deal figure follows the deal
conventions (:mod:`neocloud.model.deal`), deal by deal, and **a book figure is the sum of its deals'
figures**: the schedule, the total contract value, the committed floor, the headline backlog,
the enforceable RPO and the expected revenue under independent hazards. :func:`book_sum` is the
one place that adds them up.

A customer's share of the seller's revenue in a period is that customer's deal revenue over the
seller's baseline revenue plus the revenue of every deal of the book in the same period.

A scenario's book is its deal followed by its ``other_deals`` (:func:`book_of`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

import pandas as pd

from neocloud.model.deal import (
    DAY,
    Backlog,
    DealTerms,
    accrued_usd,
    add_months,
    committed_floor,
    first_exit_on_or_after,
    quarter_bounds,
    quarter_label,
    quarters_between,
    remaining_performance_obligation,
    termination_date,
    total_contract_value,
)
from neocloud.model.hazard import expected_revenue

if TYPE_CHECKING:
    from neocloud.inputs.scenario import Scenario


@dataclass(frozen=True)
class BookDeal:
    """One contract of a book: its name, its buyer and its terms, with what the reports need
    besides (GPU counts, and a delivery clause where the buyer may walk if capacity is late).

    >>> d = BookDeal("Google", "Google", DealTerms(9.2e8, dt.date(2026, 7, 1), dt.date(2029, 6, 30)),
    ...              delivery_deadline=dt.date(2026, 9, 30), delivery_grace_months=1)
    >>> delivery_failure_date(d)   # delivered by 30 Sep, one month's grace: no service from 1 Nov
    datetime.date(2026, 11, 1)
    """

    name: str
    buyer: str
    terms: DealTerms
    gpus: float | None = None
    gpus_h100e: float | None = None
    delivery_deadline: dt.date | None = None
    delivery_grace_months: int = 0


@dataclass(frozen=True)
class Book:
    """A seller's contracts (at least one, each with its own name).

    >>> t = DealTerms(1e9, dt.date(2026, 5, 1), dt.date(2026, 12, 31))
    >>> Book((BookDeal("a", "A", t), BookDeal("b", "B", t))).names
    ['a', 'b']
    """

    deals: tuple[BookDeal, ...]

    def __post_init__(self) -> None:
        if not self.deals:
            raise ValueError("a book needs at least one deal")
        names = [d.name for d in self.deals]
        if len(set(names)) != len(names):
            raise ValueError(f"deal names must differ within a book: {names}")

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.deals]

    def deal(self, name: str) -> BookDeal:
        """The deal called ``name``."""
        for d in self.deals:
            if d.name == name:
                return d
        raise KeyError(f"no deal named {name!r} in the book (deals: {', '.join(self.names)})")


BookLike = Union[Book, "Scenario"]


def book_of(book: BookLike) -> Book:
    """The book of a scenario: its deal first, then its ``other_deals`` (or a book itself). The
    scenario's deal counts its ``h100_equivalent`` GPU basis as H100-equivalents, or else its
    first GPU basis at one H100e per GPU (as :func:`neocloud.model.exit_option.rational_exit` does).

    >>> from neocloud import load_scenario
    >>> [d.buyer for d in book_of(load_scenario("params/base.yaml")).deals]
    ['Anthropic', 'Google', 'Reflection AI']
    """
    if isinstance(book, Book):
        return book
    s = book
    first_basis = next(iter(s.gpu_bases.values()))
    h100e = s.gpu_bases.get("h100_equivalent", first_basis)  # else one H100e per GPU of the first basis
    first = BookDeal(s.deal_name, s.buyer_name, s.deal, gpus=float(first_basis.value), gpus_h100e=float(h100e.value))
    others = [
        BookDeal(o.deal_name, o.buyer_name, o.deal, gpus=float(o.gpus.value) if o.gpus is not None else None,
                 gpus_h100e=float(o.gpus_h100e.value) if o.gpus_h100e is not None else None,
                 delivery_deadline=o.delivery.deadline.value if o.delivery else None,
                 delivery_grace_months=o.delivery.grace_months.value if o.delivery else 0)
        for o in s.other_deals
    ]
    return Book((first, *others))


def book_sum(book: BookLike, figure: Callable[[DealTerms], float]) -> float:
    """A book figure: the sum over its deals of ``figure(deal terms)``. Every book total is
    computed here, so that "a book figure is the sum of its deals' figures" holds by construction.

    >>> t = DealTerms(1e9, dt.date(2026, 5, 1), dt.date(2026, 12, 31))
    >>> book_sum(Book((BookDeal("a", "A", t), BookDeal("b", "B", t))), total_contract_value)
    16000000000.0
    """
    return float(sum(figure(d.terms) for d in book_of(book).deals))


def book_total_contract_value(book: BookLike) -> float:
    """Fees of every service day of every deal if each runs its course."""
    return book_sum(book, total_contract_value)


def book_committed_floor(book: BookLike) -> float:
    """What the seller can count on: every deal ended by notice on its earliest allowed date."""
    return book_sum(book, committed_floor)


def book_backlog(book: BookLike, as_of: dt.date) -> Backlog:
    """Headline backlog and enforceable RPO of the book at the end of ``as_of`` (sums).

    >>> from neocloud import load_scenario
    >>> b = book_backlog(load_scenario("params/base.yaml"), dt.date(2026, 6, 30))
    >>> # headline: 43.75 + 31.74 + 6.30; enforceable: Anthropic to 29 Oct 2026 (4.92), Google to
    >>> # 31 Mar 2027 (1.38 + 6 * 0.92), Reflection to 29 Dec 2026 (5 * 0.15 + 0.15 * 29 / 31)
    >>> round(b.headline_usd / 1e9, 2), round(b.enforceable_usd / 1e9, 2)
    (81.79, 12.71)
    """
    headline = book_sum(book, lambda t: remaining_performance_obligation(t, as_of).headline_usd)
    enforceable = book_sum(book, lambda t: remaining_performance_obligation(t, as_of).enforceable_usd)
    return Backlog(as_of, headline, enforceable)


def book_expected_revenue(book: BookLike, monthly_notice_probability: float) -> float:
    """Expected revenue of the book with each deal under its own, independent hazard of
    notice at the same monthly probability (the closed form, deal by deal)."""
    return book_sum(book, lambda t: expected_revenue(t, monthly_notice_probability))


def book_backlog_over_time(book: BookLike, dates: "list[dt.date]") -> pd.DataFrame:
    """Book backlog at each date: ``as_of``, ``headline_usd``, ``enforceable_usd``, and the same
    per deal in ``deal`` rows (``deal`` is ``"book"`` for the totals)."""
    b = book_of(book)
    rows = []
    for day in dates:
        for d in b.deals:
            r = remaining_performance_obligation(d.terms, day)
            rows.append({"as_of": day, "deal": d.name, "headline_usd": r.headline_usd, "enforceable_usd": r.enforceable_usd})
        total = book_backlog(b, day)
        rows.append({"as_of": day, "deal": "book", "headline_usd": total.headline_usd, "enforceable_usd": total.enforceable_usd})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Paths: how each deal ends


def delivery_failure_date(deal: BookDeal) -> dt.date:
    """The day a delivery clause lets the buyer end service at once: the day after the grace
    period that follows the delivery deadline (service days before it are paid). A grace of whole
    months after a month-end deadline ends at a month end (30 Sep + 1 month: 31 Oct).

    >>> t = DealTerms(1e9, dt.date(2026, 7, 1), dt.date(2029, 6, 30))
    >>> delivery_failure_date(BookDeal("g", "G", t, delivery_deadline=dt.date(2026, 9, 15), delivery_grace_months=1))
    datetime.date(2026, 10, 16)
    """
    deadline = deal.delivery_deadline
    if deadline is None:
        raise ValueError(f"{deal.name} has no delivery clause")
    if (deadline + DAY).day == 1:  # a month-end deadline: the grace runs to a month end
        return add_months(deadline + DAY, deal.delivery_grace_months)
    return add_months(deadline, deal.delivery_grace_months) + DAY


def first_opportunity_stops(book: BookLike, on_or_after: dt.date) -> dict[str, dt.date]:
    """For each deal, the first day without service if its buyer serves notice at the first
    opportunity on or after ``on_or_after`` (e.g. the IPO).

    >>> from neocloud import load_scenario
    >>> {k: str(v) for k, v in first_opportunity_stops(load_scenario("params/base.yaml"), dt.date(2026, 6, 12)).items()}
    {'xAI (SpaceX) - Anthropic, Colossus 1': '2026-10-30', 'Google - SpaceX': '2027-04-01', 'Reflection AI - SpaceX, Colossus 2': '2026-12-30'}
    """
    b = book_of(book)
    return {d.name: termination_date(d.terms, first_exit_on_or_after(d.terms, on_or_after)) for d in b.deals}


def book_revenue_by_quarter(
    book: BookLike,
    fiscal_year_end_month: int = 12,
    stops: Mapping[str, dt.date] | None = None,
) -> pd.DataFrame:
    """Revenue recognised per (fiscal) quarter for each deal of the book, in long form:
    ``quarter``, ``period_start``, ``period_end``, ``deal``, ``buyer``, ``revenue_usd``. With
    ``stops``, a deal named there has no service from that day on (a notice's termination date,
    or a delivery failure).

    >>> from neocloud import load_scenario
    >>> q = book_revenue_by_quarter(load_scenario("params/base.yaml"))
    >>> q[q.quarter == "2026 Q4"].groupby("buyer").revenue_usd.sum().round(-6).to_dict()
    {'Anthropic': 3750000000.0, 'Google': 2760000000.0, 'Reflection AI': 450000000.0}
    """
    b = book_of(book)
    stops = stops or {}
    first = min(d.terms.start for d in b.deals)
    last = max(d.terms.end for d in b.deals)
    rows = []
    for fy, q in quarters_between(first, last, fiscal_year_end_month):
        lo, hi = quarter_bounds(fy, q, fiscal_year_end_month)
        for d in b.deals:
            stop = min(stops.get(d.name, d.terms.end + DAY), d.terms.end + DAY)
            revenue = float(accrued_usd(d.terms, min(hi + DAY, stop)) - accrued_usd(d.terms, min(lo, stop)))
            rows.append({"quarter": quarter_label(fy, q, fiscal_year_end_month), "period_start": lo, "period_end": hi,
                         "deal": d.name, "buyer": d.buyer, "revenue_usd": max(revenue, 0.0)})
    return pd.DataFrame(rows)


def seller_book_view(scenario: "Scenario", stops: Mapping[str, dt.date] | None = None) -> pd.DataFrame:
    """The seller's revenue by quarter: its baseline and each customer of the book, with shares.

    Long form, one row per quarter and ``source`` (``"baseline"`` or a buyer): ``quarter``,
    ``period_start``, ``period_end``, ``source``, ``revenue_usd``, ``total_usd`` (baseline plus
    the book, that quarter) and ``share`` (``revenue_usd / total_usd``). The baseline grows at
    ``seller.baseline_growth_per_year`` from its base year.

    >>> from neocloud import load_scenario
    >>> v = seller_book_view(load_scenario("params/base.yaml"))
    >>> row = v[(v.quarter == "2026 Q4") & (v.source == "Anthropic")].iloc[0]
    >>> round(float(row.share), 3)   # 3.75 / (18.674 / 4 * 1.1542 + 3.75 + 2.76 + 0.45)
    0.304
    """
    s = scenario.seller
    fye = s.fiscal_year_end_month
    deals = book_revenue_by_quarter(scenario, fye, stops)
    quarters = deals.drop_duplicates("quarter")[["quarter", "period_start", "period_end"]].reset_index(drop=True)
    baseline = quarters.copy()
    baseline["source"] = "baseline"
    baseline["revenue_usd"] = [baseline_revenue(scenario, lo) for lo in baseline.period_start]
    by_buyer = deals.groupby(["quarter", "period_start", "period_end", "buyer"], as_index=False, sort=False).revenue_usd.sum()
    by_buyer = by_buyer.rename(columns={"buyer": "source"})
    frame = pd.concat([baseline, by_buyer], ignore_index=True)
    frame["total_usd"] = frame.groupby("quarter").revenue_usd.transform("sum")
    frame["share"] = frame.revenue_usd / frame.total_usd
    order = {q: i for i, q in enumerate(quarters.quarter)}
    return frame.sort_values("quarter", key=lambda c: c.map(order), kind="stable").reset_index(drop=True)


def baseline_revenue(scenario: "Scenario", quarter_start: dt.date) -> float:
    """The seller's revenue without the book in the quarter starting ``quarter_start``: the
    base year's revenue spread evenly over its quarters, grown at ``baseline_growth_per_year``
    (quarter ``n`` after the base year's last: ``base / 4 * (1 + g) ** (n / 4)``).

    >>> from neocloud import load_scenario
    >>> s = load_scenario("params/base.yaml")
    >>> round(baseline_revenue(s, dt.date(2026, 1, 1)) / 1e9, 4)   # 18.674 / 4 * 1.1542 ** 0.25
    4.8389
    """
    from neocloud.model.deal import fiscal_quarter

    s = scenario.seller
    fy, q = fiscal_quarter(quarter_start, s.fiscal_year_end_month)
    n = (fy - s.baseline_year - 1) * 4 + q
    return s.baseline_revenue_usd_per_year.value / 4.0 * (1.0 + s.baseline_growth_per_year.value) ** (n / 4.0)


def book_shares(view: pd.DataFrame) -> pd.DataFrame:
    """Per quarter, the book's share of the seller's revenue and the largest customer's:
    ``quarter``, ``book_share``, ``top_customer``, ``top_share`` (from :func:`seller_book_view`)."""
    deals = view[view.source != "baseline"]
    rows = []
    for quarter, g in deals.groupby("quarter", sort=False):
        top = g.loc[g.share.idxmax()]
        rows.append({"quarter": quarter, "book_share": float(g.share.sum()), "top_customer": top.source,
                     "top_share": float(top.share)})
    return pd.DataFrame(rows)


def share_series(view: pd.DataFrame) -> pd.DataFrame:
    """Each customer's share of the seller's revenue by quarter, and the whole book's, in long
    form for a chart: ``quarter``, ``series``, ``share`` (from :func:`seller_book_view`)."""
    customers = view[view.source != "baseline"].rename(columns={"source": "series"})[["quarter", "series", "share"]]
    whole = book_shares(view).rename(columns={"book_share": "share"}).assign(series="The whole book")
    return pd.concat([customers, whole[["quarter", "series", "share"]]], ignore_index=True)


def peak_customer_share(scenario: "Scenario") -> dict[str, object]:
    """The largest share of the seller's quarterly revenue any one customer of the book reaches,
    with the customer and the quarter, and the book's peak share.

    >>> from neocloud import load_scenario
    >>> p = peak_customer_share(load_scenario("params/base.yaml"))
    >>> # 2026 Q3: 3.75 / (18.674 / 4 * 1.1542 ** 0.75 + 3.75 + 3 * 0.46 + 3 * 0.15)
    >>> p["customer"], p["quarter"], round(p["share"], 3)
    ('Anthropic', '2026 Q3', 0.348)
    """
    shares = book_shares(seller_book_view(scenario))
    top = shares.loc[shares.top_share.idxmax()]
    book_peak = shares.loc[shares.book_share.idxmax()]
    return {"customer": top.top_customer, "quarter": top.quarter, "share": float(top.top_share),
            "book_share": float(book_peak.book_share), "book_quarter": book_peak.quarter}


def book_path_stops(scenario: "Scenario") -> dict[str, dict[str, dt.date]]:
    """The stops of each path the reports draw: ``"full"`` (no stop), ``"first_opportunity"``
    (every buyer serves notice at its first chance on or after the IPO) and, for each deal with a
    delivery clause, ``"delivery_failure: <deal>"`` (that buyer walks when delivery fails)."""
    book = book_of(scenario)
    paths: dict[str, dict[str, dt.date]] = {
        "full": {},
        "first_opportunity": first_opportunity_stops(book, scenario.key_dates.ipo.value),
    }
    for d in book.deals:
        if d.delivery_deadline is not None:
            paths[f"delivery_failure: {d.name}"] = {d.name: delivery_failure_date(d)}
    return paths


def book_paths(scenario: "Scenario") -> pd.DataFrame:
    """The book's revenue per quarter on each path of :func:`book_path_stops`: one column per
    path, indexed by ``quarter``.

    >>> from neocloud import load_scenario
    >>> p = book_paths(load_scenario("params/base.yaml"))
    >>> # full: 45 + 31.74 + 6.3; first opportunity: Anthropic 6.17 + Google to 31 Mar 2027
    >>> # (1.38 + 6 * 0.92) + Reflection to 29 Dec 2026 (0.89); Google walks: 45 + (1.38 + 0.92) + 6.3
    >>> (p.sum() / 1e9).round(2).tolist()
    [83.04, 13.96, 53.6]
    """
    fye = scenario.seller.fiscal_year_end_month
    columns = {}
    for key, stops in book_path_stops(scenario).items():
        q = book_revenue_by_quarter(scenario, fye, stops)
        columns[key] = q.groupby("quarter", sort=False).revenue_usd.sum()
    return pd.DataFrame(columns).rename_axis("quarter")


def book_run_rate_usd(book: BookLike, on: dt.date) -> float:
    """Annualised run-rate of the book on ``on``: twelve times the full monthly fee of every
    deal in service that day (ramp discounts ignored, as run-rates are quoted).

    >>> from neocloud import load_scenario
    >>> book_run_rate_usd(load_scenario("params/base.yaml"), dt.date(2026, 10, 1)) / 1e9   # 12 * (1.25 + 0.92 + 0.15)
    27.84
    """
    return book_sum(book, lambda t: 12 * t.monthly_fee_usd if t.start <= on <= t.end else 0.0)


def book_deal_table(book: BookLike, as_of: dt.date, monthly_notice_probability: float) -> pd.DataFrame:
    """One row per deal with its headline figures: ``deal``, ``buyer``, ``monthly_fee_usd``,
    ``start``, ``end``, ``earliest_notice_date``, ``notice_rule``, ``total_contract_value_usd``,
    ``committed_floor_usd``, ``headline_backlog_usd``, ``enforceable_rpo_usd``,
    ``expected_revenue_usd`` (at ``as_of`` and the given monthly probability of notice)."""
    rows = []
    for d in book_of(book).deals:
        t = d.terms
        backlog = remaining_performance_obligation(t, as_of)
        rows.append({
            "deal": d.name, "buyer": d.buyer, "monthly_fee_usd": t.monthly_fee_usd, "start": t.start, "end": t.end,
            "earliest_notice_date": t.earliest_notice_date, "notice_rule": t.notice_rule,
            "total_contract_value_usd": total_contract_value(t), "committed_floor_usd": committed_floor(t),
            "headline_backlog_usd": backlog.headline_usd, "enforceable_rpo_usd": backlog.enforceable_usd,
            "expected_revenue_usd": expected_revenue(t, monthly_notice_probability),
        })
    return pd.DataFrame(rows)


def committed_floor_by_reading(scenario: "Scenario") -> pd.DataFrame:
    """The committed floor of the scenario's deal under every reading of its termination terms
    (``termination_readings``), plus the scenario's own reading if it is not among them:
    ``reading``, ``earliest_notice_date``, ``termination_date``, ``committed_floor_usd``,
    ``scenario`` (the file reporting that reading), ``this_scenario``.

    >>> from neocloud import load_scenario
    >>> f = committed_floor_by_reading(load_scenario("params/base.yaml"))
    >>> [(r.earliest_notice_date.isoformat(), round(r.committed_floor_usd / 1e9, 2)) for r in f.itertuples()]
    [('2026-05-03', 2.5), ('2026-07-30', 6.09), ('2026-08-01', 6.17), ('2026-10-28', 9.76)]
    """
    from dataclasses import replace

    base = scenario.deal
    rows = []
    for r in scenario.termination_readings:
        t = replace(base, lockup_months=r.lockup_months if r.lockup_months is not None else base.lockup_months,
                    earliest_notice_clause=r.earliest_notice_date)
        rows.append(_reading_row(r.label, t, r.scenario, t.earliest_notice_date == base.earliest_notice_date))
    if not any(row["this_scenario"] for row in rows):
        rows.append(_reading_row("this scenario", base, None, True))
    frame = pd.DataFrame(rows).sort_values("earliest_notice_date", kind="stable").reset_index(drop=True)
    return frame


def _reading_row(label: str, t: DealTerms, scenario: str | None, this: bool) -> dict[str, object]:
    floor = committed_floor(t)
    return {"reading": label, "earliest_notice_date": t.earliest_notice_date,
            "termination_date": termination_date(t, t.earliest_notice_date), "committed_floor_usd": floor,
            "scenario": scenario, "this_scenario": this}


def book_assumption_swings(scenario: "Scenario") -> pd.DataFrame:
    """What each undisclosed term of the book moves: for every deal, its ramp discount at 0% and
    100%, and for deals whose start or end is an assumption, the term moved to the nearest
    disclosed reading (a start on the first full-fee month with no ramp; an end at the last month
    the other deals run to). Columns: ``deal``, ``assumption``, ``setting`` (a ramp discount as a
    fraction, a start or an end as a date; :func:`neocloud.report.book_words.swing_setting` writes it),
    ``total_contract_value_usd`` and ``committed_floor_usd`` of the book.

    >>> from neocloud import load_scenario
    >>> f = book_assumption_swings(load_scenario("params/base.yaml"))
    >>> g = f[f.assumption == "start of service, no ramp"].iloc[0]
    >>> g.setting, round(float(g.total_contract_value_usd) / 1e9, 2)   # Google from October, no ramp: 83.04 - 1.38
    (datetime.date(2026, 10, 1), 81.66)
    """
    from dataclasses import replace

    book = book_of(scenario)
    sources = {scenario.deal_name: scenario.terms, **{o.deal_name: o.terms for o in scenario.other_deals}}
    latest_disclosed_end = max(
        (terms.end.value for terms in sources.values() if not terms.end.assumption), default=None)
    rows = []

    def row(name: str, what: str, setting: "float | dt.date", swapped: DealTerms) -> None:
        other = Book(tuple(replace(d, terms=swapped) if d.name == name else d for d in book.deals))
        rows.append({"deal": name, "assumption": what, "setting": setting,
                     "total_contract_value_usd": book_total_contract_value(other),
                     "committed_floor_usd": book_committed_floor(other)})

    for d in book.deals:
        terms = sources[d.name]
        t = d.terms
        if terms.ramp_discount.assumption and t.ramp_months:
            for discount in (0.0, 1.0):
                row(d.name, "ramp discount", discount, replace(t, ramp_discount=discount))
        if terms.start.assumption and t.ramp_months:
            from neocloud.inputs.terms import add_months

            first_full = add_months(t.start.replace(day=1), t.ramp_months)
            row(d.name, "start of service, no ramp", first_full, replace(t, start=first_full, ramp_months=0))
        if terms.end.assumption and latest_disclosed_end is not None and latest_disclosed_end != t.end:
            row(d.name, "end of service", latest_disclosed_end, replace(t, end=latest_disclosed_end))
    return pd.DataFrame(rows, columns=["deal", "assumption", "setting", "total_contract_value_usd", "committed_floor_usd"])
