"""The terms of a deal as plain values: what a validated scenario or ledger record hands to the
maths (:mod:`neocloud.model.deal`), with the calendar arithmetic the terms themselves need.

The conventions they carry (service days, ramp, notice, lock-up, signing, take-or-pay) are stated
once in :mod:`neocloud.model.deal` and ``../shared/conventions.md``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, replace  # noqa: F401 - replace is used by the doctests


DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class DealTerms:
    """The terms of a compute-rental deal as plain values.

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), ramp_months=2,
    ...               ramp_discount=0.5, lockup_months=3)
    >>> t.months, t.term_days, t.earliest_notice_date
    (37, 1127, datetime.date(2026, 8, 1))
    """

    monthly_fee_usd: float
    start: dt.date
    end: dt.date
    ramp_months: int = 0
    ramp_discount: float = 0.0
    notice_days: int = 90
    lockup_months: int = 0
    capacity_mw: float | None = 1.0
    """Contracted capacity in MW; None where it is not disclosed (a book's other deal): figures
    that need it leave the deal out."""
    earliest_notice_clause: dt.date | None = None
    """A dated clause: no notice before this day (replaces the lock-up rule)."""
    signed: dt.date | None = None
    """The signing date: no notice before it, whatever the clauses say."""
    delivery_steps: tuple[tuple[dt.date, float], ...] = ()
    """Delivered share: ``(from, share)`` pairs in date order; from each ``from`` on, ``share`` of
    the contracted capacity is in service and billed (before the first step: 1; none: 1 throughout)."""
    take_or_pay: bool = False
    """No termination for convenience (``termination.kind: none``): no notice date falls within the
    term, so the committed floor is the total and the enforceable RPO the headline backlog."""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if not 0.0 <= self.ramp_discount <= 1.0:
            raise ValueError(f"ramp_discount {self.ramp_discount} is outside [0, 1]")
        if self.notice_days < 1:
            raise ValueError(f"notice_days {self.notice_days} must be at least 1")
        froms = [d for d, _ in self.delivery_steps]
        if froms != sorted(froms) or len(set(froms)) != len(froms):
            raise ValueError(f"delivery steps must be in strictly increasing date order: {froms}")
        for d, share in self.delivery_steps:
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"delivery share {share} from {d} is outside [0, 1]")

    @property
    def months(self) -> int:
        """Calendar months with at least one service day."""
        return month_index(self.start, self.end) + 1

    @property
    def term_days(self) -> int:
        """Number of service days, ``end - start + 1``."""
        return (self.end - self.start).days + 1

    @property
    def earliest_notice_date(self) -> dt.date:
        """The first day notice may be served: the dated clause if there is one, else the first
        day of the month ``lockup_months`` after the month of ``start``; never before signing.

        >>> t = DealTerms(1e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), signed=dt.date(2026, 5, 3))
        >>> t.earliest_notice_date   # no lock-up, but not before the contract was signed
        datetime.date(2026, 5, 3)
        >>> replace(t, earliest_notice_clause=dt.date(2027, 1, 1)).earliest_notice_date
        datetime.date(2027, 1, 1)
        """
        first = self._clause_notice_date
        return max(first, self.signed) if self.signed is not None else first

    @property
    def _clause_notice_date(self) -> dt.date:
        if self.take_or_pay:  # no termination for convenience: the first "notice" day is after the term
            return self.end + DAY
        if self.earliest_notice_clause is not None:
            return self.earliest_notice_clause
        return add_months(self.start.replace(day=1), self.lockup_months)

    @property
    def notice_rule(self) -> str:
        """What sets the earliest notice date, in words (for messages and reports).

        >>> DealTerms(1e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), lockup_months=3).notice_rule
        'the 3-month lock-up'
        """
        if self.take_or_pay:
            return "take-or-pay terms (no termination for convenience)"
        if self.signed is not None and self.signed > self._clause_notice_date:
            return f"the signing on {self.signed}"
        if self.earliest_notice_clause is not None:
            return f"the clause allowing notice from {self.earliest_notice_clause}"
        return f"the {self.lockup_months}-month lock-up"

    @property
    def earliest_termination_date(self) -> dt.date:
        """First day without service when notice is served at the earliest date."""
        return self.earliest_notice_date + dt.timedelta(days=self.notice_days)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole calendar months (first-of-month dates stay first-of-month).

    >>> add_months(dt.date(2026, 5, 1), 3), add_months(dt.date(2026, 11, 1), 2)
    (datetime.date(2026, 8, 1), datetime.date(2027, 1, 1))
    """
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def month_index(start: dt.date, day: dt.date) -> int:
    """Calendar months from the month of ``start`` to the month of ``day`` (0 for the same).

    >>> month_index(dt.date(2026, 5, 20), dt.date(2027, 1, 3))
    8
    """
    return (day.year - start.year) * 12 + day.month - start.month
