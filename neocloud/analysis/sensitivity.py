"""Sensitivity of the termination figures: grids over two drivers and a tornado over inputs."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from neocloud.model.deal import DAY, Deal, DealTerms, accrued_usd, terms_of, total_contract_value
from neocloud.model.hazard import expected_revenue

if TYPE_CHECKING:
    from neocloud.inputs.scenario import Scenario


def committed_floor_over_time(deal: Deal, dates: "list[dt.date] | pd.DatetimeIndex | None" = None) -> pd.DataFrame:
    """What the seller is sure of at the end of each day ``a``: revenue recognised through ``a``
    plus the enforceable RPO at ``a`` (so, from the earliest notice date on, the revenue realised
    if notice is served on ``a``). Columns: ``date``, ``recognised_usd``, ``enforceable_rpo_usd``,
    ``committed_usd``. ``dates`` defaults to every day of the term.

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3)
    >>> f = committed_floor_over_time(t, [dt.date(2026, 5, 1), dt.date(2029, 5, 31)])
    >>> [round(x / 1e9, 3) for x in f.committed_usd]
    [6.169, 45.0]
    """
    t = terms_of(deal)
    if dates is None:
        d = np.arange(np.datetime64(t.start, "D"), np.datetime64(t.end + DAY, "D"))
    else:
        d = np.asarray(pd.to_datetime(pd.Series(dates)).dt.date.tolist(), dtype="datetime64[D]")
    earliest = np.datetime64(t.earliest_notice_date, "D")
    horizon = np.minimum(np.maximum(d, earliest) + t.notice_days, np.datetime64(t.end + DAY, "D"))
    recognised = accrued_usd(t, d + 1)
    committed = np.maximum(accrued_usd(t, horizon), recognised)
    return pd.DataFrame(
        {
            "date": pd.to_datetime(d),
            "recognised_usd": recognised,
            "enforceable_rpo_usd": committed - recognised,
            "committed_usd": committed,
        }
    )


DEFAULT_NOTICE_DAYS = (30, 60, 90, 120, 150, 180)
"""Notice periods swept by the heat map of the termination report."""


def realised_grid(deal: Deal, notice_dates: "list[dt.date] | None" = None,
                  notice_days: "list[int] | tuple[int, ...]" = DEFAULT_NOTICE_DAYS) -> pd.DataFrame:
    """Revenue realised for each notice date and each notice period (a heat map's data).

    ``notice_dates`` defaults to the first day of every month in which notice is allowed.

    Notice dates inside the lock-up are left out. Columns: ``notice_date``, ``notice_days``,
    ``realised_usd``, ``share_of_total``.

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3)
    >>> g = realised_grid(t, [dt.date(2026, 8, 1)], [30, 90])
    >>> # service ends before 2026-08-31 (30 of August's 31 days) / before 2026-10-30
    >>> [round(x / 1e9, 3) for x in g.realised_usd]
    [3.71, 6.169]
    """
    t = terms_of(deal)
    if notice_dates is None:
        from neocloud.model.hazard import notice_dates as monthly_notice_dates

        notice_dates = monthly_notice_dates(t)
    d = np.asarray(notice_dates, dtype="datetime64[D]")
    d = d[d >= np.datetime64(t.earliest_notice_date, "D")]
    stop_cap = np.datetime64(t.end + DAY, "D")
    total = total_contract_value(t)
    frames = []
    for n in notice_days:
        realised = accrued_usd(t, np.minimum(d + int(n), stop_cap))
        frames.append(
            pd.DataFrame(
                {"notice_date": pd.to_datetime(d), "notice_days": int(n), "realised_usd": realised,
                 "share_of_total": realised / total if total > 0 else np.nan}
            )
        )
    return pd.concat(frames, ignore_index=True)


DEFAULT_SWINGS: dict[str, tuple[float, float]] = {
    "monthly_notice_probability": (0.5, 2.0),
    "ramp_discount": (0.0, 1.0),
    "notice_days": (60.0, 180.0),
    "lockup_months": (0.0, 6.0),
    "monthly_fee_usd": (0.9, 1.1),
    "end": (-6.0, 6.0),
}
TORNADO_LABELS = {
    "monthly_notice_probability": "Monthly notice probability (x0.5 to x2)",
    "ramp_discount": "Ramp discount (0% to 100%)",
    "notice_days": "Notice period (60 to 180 days)",
    "lockup_months": "Lock-up (0 to 6 months)",
    "monthly_fee_usd": "Monthly fee (-10% to +10%)",
    "end": "End date (6 months earlier to later)",
}
"""Default tornado swings: the probability is scaled (x0.5, x2), the fee scaled (-10%, +10%),
``end`` moved by months (never before ``start``: a short contract's earlier end is its first
day), the other terms set to the low and high values given."""


def _swung(t: DealTerms, p: float, name: str, value: float) -> tuple[DealTerms, float]:
    from neocloud.inputs.terms import add_months

    if name == "monthly_notice_probability":
        return t, min(1.0, p * value)
    if name == "monthly_fee_usd":
        return replace(t, monthly_fee_usd=t.monthly_fee_usd * value), p
    if name == "end":  # moved by whole months, but never before the first service day
        return replace(t, end=max(add_months(t.end + DAY, int(value)) - DAY, t.start)), p
    if name in ("notice_days", "lockup_months", "ramp_months"):
        return replace(t, **{name: int(value)}), p
    return replace(t, **{name: float(value)}), p


def tornado(scenario: "Scenario", swings: dict[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """How the expected revenue (hazard model, closed form) moves when each input swings alone.

    Rows are sorted by the width of the swing. Columns: ``input``, ``low_setting``,
    ``high_setting``, ``low_usd``, ``high_usd``, ``base_usd``, ``width_usd``.

    >>> from neocloud import load_scenario
    >>> tor = tornado(load_scenario("params/base.yaml"))
    >>> tor.input.iloc[0], bool((tor.width_usd >= 0).all())
    ('monthly_notice_probability', True)
    """
    t = scenario.deal
    p = scenario.termination.monthly_notice_probability.value
    base = expected_revenue(t, p)
    rows = []
    for name, (lo, hi) in (swings or DEFAULT_SWINGS).items():
        values = []
        for setting in (lo, hi):
            terms, prob = _swung(t, p, name, setting)
            values.append(expected_revenue(terms, prob))
        rows.append(
            {
                "input": name,
                "low_setting": lo,
                "high_setting": hi,
                "low_usd": values[0],
                "high_usd": values[1],
                "base_usd": base,
                "width_usd": abs(values[1] - values[0]),
            }
        )
    return pd.DataFrame(rows).sort_values("width_usd", ascending=False, ignore_index=True)
