"""The deal maths: accrual, payment schedule, termination, backlog and RPO.

Conventions (``../shared/conventions.md``; stated once here and in the README):

* **Service days.** Service runs from ``start`` to ``end``, both inclusive.
* **Daily accrual.** A service day earns the monthly fee of its calendar month divided by the
  number of days in that month, so a full calendar month earns exactly the monthly fee and a part
  month earns its share by days. Fees are billed as they accrue, month by month.
* **Ramp.** The first ``ramp_months`` calendar months of service, counted from the month of
  ``start``, earn ``monthly_fee_usd * (1 - ramp_discount)``.
* **Notice.** Notice served on ``t`` ends service on ``t + notice_days`` (that day is not served).
  No notice before the first day of the month ``lockup_months`` after the month of ``start``,
  nor before the signing date where one is given. A clause that names a date ("90 days' notice
  after 31 December 2026") gives ``earliest_notice_clause`` (2027-01-01), which replaces the
  lock-up rule.
* **Backlog.** Headline backlog at the end of day ``a`` is the fees of all service days after
  ``a``; the enforceable remaining performance obligation (ASC 606) stops at
  ``max(a, earliest notice) + notice_days``.
* **Money** is USD as ``float``, dates are ``datetime.date``; reporting periods are calendar
  quarters and years unless a fiscal year end month is given (fiscal years are named by the
  calendar year in which they end).

Every function takes a :class:`DealTerms` or a :class:`~neocloud.inputs.scenario.Scenario`.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple, Union

import numpy as np
import pandas as pd

from neocloud.inputs.terms import DAY, DealTerms, add_months, month_index

if TYPE_CHECKING:
    from neocloud.inputs.scenario import Scenario


class NoticeDateError(ValueError):
    """A notice date falls before the earliest allowed one; the message names that date and why."""


Deal = Union[DealTerms, "Scenario"]


def terms_of(deal: Deal) -> DealTerms:
    """The :class:`DealTerms` of a scenario (or the terms themselves)."""
    return deal if isinstance(deal, DealTerms) else deal.deal


@functools.lru_cache(maxsize=256)  # terms are frozen: the same terms, the same (read-only) table
def _month_table(t: DealTerms) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per service month: first day (datetime64[D]), days in month, full fee, and the cumulative
    fees of all service days before the month's first day (exact month sums)."""
    table = _compute_month_table(t)
    for a in table:
        a.flags.writeable = False
    return table


def _compute_month_table(t: DealTerms) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    firsts = np.array(
        [add_months(t.start.replace(day=1), k) for k in range(t.months)], dtype="datetime64[D]"
    )
    nexts = (firsts.astype("datetime64[M]") + 1).astype("datetime64[D]")
    dim = (nexts - firsts).astype(np.int64)
    factor = np.where(np.arange(t.months) < t.ramp_months, 1.0 - t.ramp_discount, 1.0)
    full_fee = t.monthly_fee_usd * factor
    lo = np.maximum(firsts, np.datetime64(t.start, "D"))
    hi = np.minimum(nexts, np.datetime64(t.end + DAY, "D"))
    served = (hi - lo).astype(np.int64)
    month_fee = np.where(served == dim, full_fee, full_fee * served / dim)
    before = np.concatenate([[0.0], np.cumsum(month_fee)[:-1]])
    # fees of days before the first service day of the first month are not owed: shift by them
    first_gap = (lo[0] - firsts[0]).astype(np.int64)
    before_first_day = np.concatenate([[full_fee[0] * first_gap / dim[0]], np.zeros(t.months - 1)])
    return firsts, dim, full_fee, before - before_first_day


def accrued_usd(deal: Deal, days: "dt.date | np.ndarray | pd.Series") -> "float | np.ndarray":
    """Fees of all service days strictly before each of ``days`` (vectorised).

    This is the one accrual function every other figure is built on.

    >>> t = DealTerms(3.1e9, dt.date(2026, 5, 1), dt.date(2026, 6, 30))
    >>> accrued_usd(t, dt.date(2026, 5, 11))   # 10 of May's 31 days
    1000000000.0
    >>> accrued_usd(t, dt.date(2030, 1, 1))    # capped at the end: two full months
    6200000000.0
    """
    t = terms_of(deal)
    if t.delivery_steps:
        return _accrued_delivered_usd(t, days)
    scalar = isinstance(days, dt.date)
    d = np.atleast_1d(np.asarray(days, dtype="datetime64[D]"))
    start, stop = np.datetime64(t.start, "D"), np.datetime64(t.end + DAY, "D")
    d = np.clip(d, start, stop)
    firsts, dim, full_fee, before = _month_table(t)
    # `stop` may be the first day after the last month: it belongs to the last month, all served
    k = np.clip(month_index_np(t.start, d), 0, t.months - 1)
    into = (d - firsts[k]).astype(np.int64)
    partial = np.where(into == dim[k], full_fee[k], full_fee[k] * into / dim[k])
    out = before[k] + partial
    return float(out[0]) if scalar else out


def _accrued_delivered_usd(t: DealTerms, days: "dt.date | np.ndarray | pd.Series") -> "float | np.ndarray":
    """:func:`accrued_usd` with delivery steps: accrual is linear in the days served, so the fees
    before ``d`` are the undelivered-share accrual ``A`` (same terms, no steps) cut at each step:
    ``A(min(d, f1)) + sum_i s_i * (A(min(d, f_i+1)) - A(min(d, f_i)))`` (the last step runs to the end).

    >>> t = DealTerms(3.1e9, dt.date(2026, 5, 1), dt.date(2026, 6, 30),
    ...               delivery_steps=((dt.date(2026, 5, 11), 0.5),))
    >>> accrued_usd(t, dt.date(2026, 6, 1))   # 10 days in full, 21 at half: 1.0 + 0.5 * 2.1
    2050000000.0
    """
    base = replace(t, delivery_steps=())
    scalar = isinstance(days, dt.date)
    d = np.atleast_1d(np.asarray(days, dtype="datetime64[D]"))
    cuts = [np.datetime64(f, "D") for f, _ in t.delivery_steps] + [np.datetime64(t.end + DAY, "D")]
    shares = [s for _, s in t.delivery_steps]
    out = np.asarray(accrued_usd(base, np.minimum(d, cuts[0])), dtype=float)
    for i, share in enumerate(shares):
        lo = accrued_usd(base, np.minimum(d, cuts[i]))
        hi = accrued_usd(base, np.minimum(d, np.maximum(cuts[i + 1], cuts[i])))
        out = out + share * (hi - lo)
    return float(out[0]) if scalar else out


def delivered_share(deal: Deal, day: dt.date) -> float:
    """The share of the contracted capacity in service (and billed) on ``day``: the share of the
    last delivery step on or before it; 1 before the first step and without steps.

    >>> t = DealTerms(1e9, dt.date(2026, 10, 1), dt.date(2027, 12, 31),
    ...               delivery_steps=((dt.date(2026, 10, 1), 0.5), (dt.date(2027, 1, 1), 1.0)))
    >>> delivered_share(t, dt.date(2026, 11, 15)), delivered_share(t, dt.date(2027, 2, 1))
    (0.5, 1.0)
    """
    share = 1.0
    for start, s in terms_of(deal).delivery_steps:
        if start <= day:
            share = s
    return share


def monthly_fee_for_total(total_usd: float, terms: DealTerms) -> float:
    """The monthly fee that makes the contract's total under daily accrual ``total_usd``: the
    total over ``W``, the sum over service days of ``share(d) * ramp_factor(d) / days in the month
    of d`` (conventions, "Fee given as a total"). ``terms.monthly_fee_usd`` is ignored.

    >>> t = DealTerms(1.0, dt.date(2026, 1, 1), dt.date(2027, 12, 31), ramp_months=3, ramp_discount=0.5)
    >>> round(monthly_fee_for_total(22.5e9, t) / 1e9, 9)   # W = 21 + 3 * 0.5 = 22.5 months
    1.0
    """
    if not total_usd > 0:
        raise ValueError(f"total_usd {total_usd!r} must be positive")
    w = total_contract_value(replace(terms, monthly_fee_usd=1.0))
    if not w > 0:
        raise ValueError("no service is billed over the term (every delivered share or ramp factor is 0)")
    return total_usd / w


def month_index_np(start: dt.date, days: np.ndarray) -> np.ndarray:
    """Vectorised :func:`month_index` over an array of ``datetime64[D]``.

    >>> month_index_np(dt.date(2026, 5, 1), np.array(["2026-05-31", "2026-06-01"], "datetime64[D]"))
    array([0, 1])
    """
    return (days.astype("datetime64[M]") - np.datetime64(start, "M")).astype(np.int64)


def total_contract_value(deal: Deal) -> float:
    """Fees of every service day if the contract runs its course.

    >>> # 37 months at $1.25B, two of them at half price: 35 * 1.25 + 2 * 0.625 = $45.0B
    >>> total_contract_value(DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31),
    ...                                ramp_months=2, ramp_discount=0.5))
    45000000000.0
    """
    t = terms_of(deal)
    return float(accrued_usd(t, t.end + DAY))


def ramp_concession(deal: Deal) -> float:
    """Fees the seller forgoes through the ramp discount.

    >>> ramp_concession(DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5))   # 2 * 0.625
    1250000000.0
    """
    t = terms_of(deal)
    return total_contract_value(replace(t, ramp_discount=0.0)) - total_contract_value(t)


def payment_schedule(deal: Deal) -> pd.DataFrame:
    """One row per calendar month of service.

    Columns: ``month`` (first day, ``datetime.date``), ``service_days``, ``days_in_month``,
    ``discounted`` (a ramp month), ``fee_usd`` and ``cumulative_usd``.

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5)
    >>> s = payment_schedule(t)
    >>> len(s), float(s.fee_usd.iloc[0]), bool(s.discounted.iloc[1]), float(s.cumulative_usd.iloc[-1])
    (37, 625000000.0, True, 45000000000.0)
    """
    t = terms_of(deal)
    firsts, dim, _, before = _month_table(t)
    nexts = (firsts.astype("datetime64[M]") + 1).astype("datetime64[D]")
    lo = np.maximum(firsts, np.datetime64(t.start, "D"))
    hi = np.minimum(nexts, np.datetime64(t.end + DAY, "D"))
    cumulative = accrued_usd(t, hi)
    fee = cumulative - np.concatenate([[0.0], cumulative[:-1]])
    return pd.DataFrame(
        {
            "month": [d.astype(dt.date) for d in firsts],
            "service_days": (hi - lo).astype(np.int64),
            "days_in_month": dim,
            "discounted": np.arange(t.months) < t.ramp_months,
            "fee_usd": fee,
            "cumulative_usd": cumulative,
        }
    )


def check_notice_date(deal: Deal, notice_date: dt.date) -> None:
    """Raise :class:`NoticeDateError` if notice on ``notice_date`` is not allowed.

    >>> t = DealTerms(1e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), lockup_months=3)
    >>> check_notice_date(t, dt.date(2026, 7, 31))
    Traceback (most recent call last):
    ...
    neocloud.model.deal.NoticeDateError: notice date 2026-07-31 is before the earliest allowed notice date, 2026-08-01 (the 3-month lock-up)
    """
    t = terms_of(deal)
    if notice_date < t.earliest_notice_date:
        raise NoticeDateError(
            f"notice date {notice_date} is before the earliest allowed notice date, "
            f"{t.earliest_notice_date} ({t.notice_rule})"
        )


def termination_date(deal: Deal, notice_date: dt.date) -> dt.date:
    """First day without service after notice on ``notice_date`` (capped at the day after end).

    >>> t = DealTerms(1e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), lockup_months=3)
    >>> termination_date(t, dt.date(2026, 8, 1))
    datetime.date(2026, 10, 30)
    """
    t = terms_of(deal)
    check_notice_date(t, notice_date)
    return min(notice_date + dt.timedelta(days=t.notice_days), t.end + DAY)


def revenue_if_terminated(deal: Deal, notice_date: dt.date) -> float:
    """Revenue realised if notice is served on ``notice_date``: fees of ``[start, t + notice)``.

    Notice before the earliest allowed date raises :class:`NoticeDateError`; notice so late that the notice
    period outlasts the contract changes nothing (the total contract value).

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3)
    >>> # May+June at half (1.25), July-Sept (3.75), 29 of October's 31 days (1.25 * 29 / 31)
    >>> round(revenue_if_terminated(t, dt.date(2026, 8, 1)) / 1e9, 6)
    6.169355
    """
    return float(accrued_usd(deal, termination_date(deal, notice_date)))


def revenue_if_terminated_many(deal: Deal, notice_dates: "np.ndarray | pd.Series | list | None" = None) -> pd.DataFrame:
    """Vectorised :func:`revenue_if_terminated` over many notice dates, for charts.

    ``notice_dates`` defaults to every day from the earliest notice date to the end.
    Dates before the earliest notice date are dropped (they are not allowed). Columns: ``notice_date``,
    ``termination_date``, ``realised_usd``, ``lost_usd`` (total contract value minus realised).

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3)
    >>> f = revenue_if_terminated_many(t, [dt.date(2026, 7, 1), dt.date(2026, 8, 1), dt.date(2029, 6, 1)])
    >>> list(f.notice_date.astype(str)), list((f.realised_usd / 1e9).round(3))
    (['2026-08-01', '2029-06-01'], [6.169, 45.0])
    """
    t = terms_of(deal)
    if notice_dates is None:
        d = np.arange(np.datetime64(t.earliest_notice_date, "D"), np.datetime64(t.end + DAY, "D"))
    else:
        d = np.asarray(notice_dates, dtype="datetime64[D]")
    d = d[d >= np.datetime64(t.earliest_notice_date, "D")]
    stop = np.minimum(d + t.notice_days, np.datetime64(t.end + DAY, "D"))
    realised = accrued_usd(t, stop)
    return pd.DataFrame(
        {
            "notice_date": pd.to_datetime(d),
            "termination_date": pd.to_datetime(stop),
            "realised_usd": realised,
            "lost_usd": total_contract_value(t) - realised,
        }
    )


def first_exit_on_or_after(deal: Deal, day: dt.date) -> dt.date:
    """The first date on or after ``day`` on which notice may be served.

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3)
    >>> first_exit_on_or_after(t, dt.date(2026, 6, 12)), first_exit_on_or_after(t, dt.date(2027, 1, 5))
    (datetime.date(2026, 8, 1), datetime.date(2027, 1, 5))
    """
    return max(day, terms_of(deal).earliest_notice_date)


def committed_floor(deal: Deal) -> float:
    """Revenue if notice is served on the earliest allowed date: what the seller can count on.

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 0)
    >>> # no lock-up: notice on 2026-05-01 ends service on 2026-07-30 (90 days)
    >>> round(committed_floor(t) / 1e9, 6)   # 0.625 * 2 + 1.25 * 29 / 31
    2.419355
    """
    t = terms_of(deal)
    return revenue_if_terminated(t, t.earliest_notice_date)


class Backlog(NamedTuple):
    """Remaining contract value at the end of a day, two ways."""

    as_of: dt.date
    headline_usd: float
    enforceable_usd: float


def remaining_performance_obligation(deal: Deal, as_of: dt.date) -> Backlog:
    """Headline backlog and the enforceable RPO (ASC 606) at the end of day ``as_of``.

    Enforceable RPO counts only what the buyer cannot avoid: fees of service days after
    ``as_of`` and before ``max(as_of, earliest notice) + notice_days`` (ASC 606-10-25-3).

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3)
    >>> b = remaining_performance_obligation(t, dt.date(2026, 6, 30))
    >>> round(b.headline_usd / 1e9, 3), round(b.enforceable_usd / 1e9, 6)   # 45 - 1.25; 3.75 + 1.25*29/31
    (43.75, 4.919355)
    """
    t = terms_of(deal)
    after = as_of + DAY
    horizon = max(as_of, t.earliest_notice_date) + dt.timedelta(days=t.notice_days)
    done = float(accrued_usd(t, after))
    headline = total_contract_value(t) - done
    enforceable = max(0.0, float(accrued_usd(t, min(horizon, t.end + DAY))) - done)
    return Backlog(as_of, headline, enforceable)


def backlog_over_time(deal: Deal, dates: "list[dt.date] | pd.Series") -> pd.DataFrame:
    """:func:`remaining_performance_obligation` at many dates, one row each.

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3)
    >>> backlog_over_time(t, [dt.date(2029, 5, 31)]).headline_usd.tolist()
    [0.0]
    """
    rows = [remaining_performance_obligation(deal, d) for d in pd.to_datetime(pd.Series(dates)).dt.date]
    return pd.DataFrame(rows, columns=list(Backlog._fields))


def recognised_revenue(deal: Deal, start: dt.date, end: dt.date) -> float:
    """Revenue recognised for service days from ``start`` to ``end``, both inclusive.

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5)
    >>> recognised_revenue(t, dt.date(2026, 4, 1), dt.date(2026, 6, 30))   # Q2 2026: two ramp months
    1250000000.0
    """
    if end < start:
        raise ValueError(f"period end {end} is before its start {start}")
    return float(accrued_usd(deal, end + DAY) - accrued_usd(deal, start))


def fiscal_quarter(day: dt.date, fiscal_year_end_month: int = 12) -> tuple[int, int]:
    """``(fiscal year, quarter)`` of ``day``; a fiscal year is named by the year it ends in.

    >>> fiscal_quarter(dt.date(2026, 5, 1)), fiscal_quarter(dt.date(2026, 7, 1), 6)
    ((2026, 2), (2027, 1))
    """
    shifted = month_index(dt.date(2000, fiscal_year_end_month % 12 + 1, 1), day)
    fy_offset, month_in_fy = divmod(shifted, 12)
    fy_end_year = 2000 + fy_offset + (1 if fiscal_year_end_month != 12 else 0)
    return fy_end_year, month_in_fy // 3 + 1


def quarter_bounds(fiscal_year: int, quarter: int, fiscal_year_end_month: int = 12) -> tuple[dt.date, dt.date]:
    """First and last day of a fiscal quarter.

    >>> quarter_bounds(2027, 1, 6)
    (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
    """
    fy_start = add_months(dt.date(fiscal_year, fiscal_year_end_month, 1), -11)
    first = add_months(fy_start, 3 * (quarter - 1))
    return first, add_months(first, 3) - DAY


def quarters_between(first: dt.date, last: dt.date, fiscal_year_end_month: int = 12) -> list[tuple[int, int]]:
    """Every fiscal quarter touching ``[first, last]``, in order.

    >>> quarters_between(dt.date(2026, 5, 1), dt.date(2026, 12, 31))
    [(2026, 2), (2026, 3), (2026, 4)]
    """
    out: list[tuple[int, int]] = []
    day = first
    while day <= last:
        fq = fiscal_quarter(day, fiscal_year_end_month)
        out.append(fq)
        day = quarter_bounds(*fq, fiscal_year_end_month)[1] + DAY
    return out


def quarter_label(fiscal_year: int, quarter: int, fiscal_year_end_month: int = 12) -> str:
    """``'2026 Q2'`` for calendar quarters, ``'FY2027 Q1'`` for other fiscal years.

    >>> quarter_label(2026, 2), quarter_label(2027, 1, 6)
    ('2026 Q2', 'FY2027 Q1')
    """
    prefix = "" if fiscal_year_end_month == 12 else "FY"
    return f"{prefix}{fiscal_year} Q{quarter}"


def recognised_revenue_by_quarter(
    deal: Deal, fiscal_year_end_month: int = 12, notice_date: dt.date | None = None
) -> pd.DataFrame:
    """Revenue recognised in each (fiscal) quarter of the term, optionally with notice served
    on ``notice_date`` (quarters after termination then show zero).

    Columns: ``quarter`` (label), ``fiscal_year``, ``q``, ``period_start``, ``period_end``,
    ``revenue_usd``.

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3)
    >>> q = recognised_revenue_by_quarter(t)
    >>> q.quarter.iloc[0], float(q.revenue_usd.iloc[0]), len(q), float(q.revenue_usd.sum())
    ('2026 Q2', 1250000000.0, 13, 45000000000.0)
    >>> x = recognised_revenue_by_quarter(t, notice_date=dt.date(2026, 8, 1))
    >>> round(float(x.revenue_usd.sum()) / 1e9, 6), float(x.revenue_usd.iloc[3])
    (6.169355, 0.0)
    """
    t = terms_of(deal)
    stop = termination_date(t, notice_date) if notice_date is not None else t.end + DAY
    rows = []
    for fy, q in quarters_between(t.start, t.end, fiscal_year_end_month):
        lo, hi = quarter_bounds(fy, q, fiscal_year_end_month)
        rows.append(
            {
                "quarter": quarter_label(fy, q, fiscal_year_end_month),
                "fiscal_year": fy,
                "q": q,
                "period_start": lo,
                "period_end": hi,
                "revenue_usd": float(accrued_usd(t, min(hi + DAY, stop)) - accrued_usd(t, min(lo, stop))),
            }
        )
    return pd.DataFrame(rows)


def recognised_revenue_by_year(deal: Deal, fiscal_year_end_month: int = 12) -> pd.DataFrame:
    """Revenue recognised in each (fiscal) year of the term: ``fiscal_year``, ``revenue_usd``.

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5)
    >>> recognised_revenue_by_year(t).revenue_usd.tolist()   # 2026: 2*0.625 + 6*1.25; 2029: 5*1.25
    [8750000000.0, 15000000000.0, 15000000000.0, 6250000000.0]
    """
    q = recognised_revenue_by_quarter(deal, fiscal_year_end_month)
    return q.groupby("fiscal_year", as_index=False)["revenue_usd"].sum()


def quarter_ends(deal: Deal, fiscal_year_end_month: int = 12) -> list[dt.date]:
    """The (fiscal) quarter ends that fall within the term: the balance-sheet dates at which a
    seller reports backlog.

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2027, 3, 31))
    >>> quarter_ends(t)
    [datetime.date(2026, 6, 30), datetime.date(2026, 9, 30), datetime.date(2026, 12, 31), datetime.date(2027, 3, 31)]
    """
    t = terms_of(deal)
    ends = [quarter_bounds(fy, q, fiscal_year_end_month)[1] for fy, q in quarters_between(t.start, t.end, fiscal_year_end_month)]
    return [d for d in ends if t.start <= d <= t.end]
