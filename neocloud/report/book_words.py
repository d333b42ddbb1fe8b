"""Words for a seller's book (:mod:`neocloud.model.book`): the labels of its revenue paths and the
settings of its undisclosed terms, as the reports write them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from neocloud.model.book import book_of, book_path_stops, delivery_failure_date
from neocloud.report.narrative import UserText, day, pct

if TYPE_CHECKING:
    from neocloud.inputs.scenario import Scenario


def swing_setting(value: "float | dt.date") -> str:
    """A setting of :func:`neocloud.model.book.book_assumption_swings` in words: a ramp discount
    (a fraction) as a percentage, a date written out.

    >>> swing_setting(0.0), swing_setting(dt.date(2029, 6, 30))
    ('0%', '30 Jun 2029')
    """
    return day(value) if isinstance(value, dt.date) else pct(value, 0)


def book_path_labels(scenario: "Scenario") -> dict[str, str]:
    """Words for each path of :func:`book_path_stops`, as :class:`neocloud.report.narrative.UserText`
    (they carry buyers' names): plain in a chart, escaped when formatted into Markdown.

    >>> from neocloud import load_scenario
    >>> list(book_path_labels(load_scenario("params/base.yaml")).values())
    ['Every contract runs its course', 'Every buyer leaves at its first opportunity after the IPO', 'Google walks away on 1 Nov 2026: capacity not delivered by 30 Sep 2026']
    """
    book = book_of(scenario)
    labels = {"full": UserText("Every contract runs its course"),
              "first_opportunity": UserText("Every buyer leaves at its first opportunity after the IPO")}
    for key in book_path_stops(scenario):
        if key.startswith("delivery_failure: "):
            d = book.deal(key.removeprefix("delivery_failure: "))
            labels[key] = UserText(f"{d.buyer} walks away on {day(delivery_failure_date(d))}: capacity not delivered by "
                                   f"{day(d.delivery_deadline)}")
    return labels
