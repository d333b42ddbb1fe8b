"""Checks of the inputs that need the maths: suspicious but valid values of a scenario
(:func:`scenario_warnings`) and of the data files (:func:`data_warnings`, :func:`check_data_files`),
and the newest input behind a report (:func:`newest_input_date`).

The inputs themselves are read and validated in :mod:`neocloud.inputs` and :mod:`neocloud.data`
(errors: bad input stops there); what is only suspicious is judged here, where the price model,
the capacity ledger and the contract ledger can be consulted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from neocloud.data import TABLES, DataFileError, _shown, data_path, read_table
from neocloud.inputs.scenario import ReportedRevenue, Scenario, load_scenario
from neocloud.inputs.sourced import ScenarioError


def scenario_warnings(scenario: Scenario) -> list[str]:
    """Suspicious but valid inputs, one line each (``neocloud check`` prints them). Each fires only
    where its premise holds:

    * a fee under $1,000 a month (fees are USD);
    * growth over 100% a year, a drift over 50% or a volatility over 150% a year (a percent typed
      for a fraction?);
    * a reporting date after the end of the term (every backlog figure is then zero);
    * an IPO still to come on the reporting date that falls before the signing (the prospectus could
      not describe the deal; a seller already listed on the reporting date is not warned);
    * a source *published* after the reporting date (hindsight in a back-test), except the seller's
      results for a period that ended by the reporting date (published after it, as results are)
      and undated sources (``dated: gathered``);
    * deals of the book renting more MW than the seller owns (a rented share above 100%), or a
      seller without capacity data (``neocloud/data/capacity.csv``: the reports then show none);
    * a GPU price panel whose newest price on or before the reporting date is more than
      :data:`STALE_PRICE_DAYS` days older than it (the market model then starts from an old price).

    >>> scenario_warnings(load_scenario("params/base.yaml"))
    []
    """
    out = []
    s = scenario
    as_of = s.as_of.value
    deals = [("terms", s.terms)] + [(f"other_deals.{i}.terms", o.terms) for i, o in enumerate(s.other_deals)]
    for key, terms in deals:
        if terms.monthly_fee_usd.value < 1000:
            out.append(f"key '{key}.monthly_fee_usd.value': value {terms.monthly_fee_usd.value:g}: under $1,000 a month; "
                       "fees are in USD (1.25e9 for $1.25 billion)")
    growth = s.seller.baseline_growth_per_year.value
    if growth > 1.0:
        out.append(f"key 'seller.baseline_growth_per_year.value': value {growth:g}: over 100% a year; "
                   f"a fraction is expected ({growth / 100:g} for {growth:g}%)")
    if s.market is not None:
        for name, limit in (("drift_per_year", 0.5), ("volatility_per_year", 1.5)):
            item = getattr(s.market, name)
            if item is not None and abs(item.value) > limit:
                out.append(f"key 'market.{name}.value': value {item.value:g}: {abs(item.value):.0%} a year is implausible "
                           f"for a GPU rental price; a fraction is expected ({item.value / 100:g} for {item.value:g}%)")
    if as_of > s.terms.end.value:
        out.append(f"key 'as_of.value': value {as_of}: after the end of the term ({s.terms.end.value}); "
                   "every backlog figure is then zero")
    ipo, signed = s.key_dates.ipo.value, s.key_dates.signed.value
    if as_of < ipo < signed:
        out.append(f"key 'key_dates.ipo.value': value {ipo}: before the signing ({signed}), so the prospectus "
                   f"cannot describe this deal (if the seller was listed by the reporting date, {as_of}, "
                   "give the IPO date on or before it)")
    for key, _, item in s.inputs():
        if item.source is None or item.source.dated != "published" or item.source.date <= as_of:
            continue
        if isinstance(item, ReportedRevenue) and item.period_end <= as_of:
            continue  # a period's own results, published after it ended
        out.append(f"key '{key}.source.date': value {item.source.date}: published after the reporting date ({as_of}); "
                   "the scenario then uses what was not known on that date")
    out += _capacity_warnings(s)
    out += _price_warnings(s)
    out += _ledger_warnings(s)
    return out


def _ledger_warnings(scenario: Scenario) -> list[str]:
    """A ``seller.ledger_name`` that names no seller of the shipped ledger: the reports then show
    no ledger or filing figures for it."""
    name = scenario.seller.ledger_name
    if name is None:
        return []
    from neocloud.inputs.ledger import load_ledger, seller_name

    try:
        ledger = load_ledger()   # read once per process (neocloud.model.ledger.read_ledger_file)
    except ScenarioError:  # the ledger's own problem: reported where it is read
        return []
    if seller_name(ledger, name, missing_ok=True) is not None:
        return []
    return [f"key 'seller.ledger_name': value {name!r}: no seller of that name in neocloud/data/contracts.yaml "
            f"(sellers: {', '.join(ledger.sellers)}); the reports show no ledger or filing figures for it"]


STALE_PRICE_DAYS = 90
"""How much older than the reporting date the newest GPU price may be before ``check`` warns."""


def _price_warnings(scenario: Scenario) -> list[str]:
    """The newest price of ``neocloud/data/gpu_prices.csv`` dated on or before the reporting date,
    if it is more than :data:`STALE_PRICE_DAYS` days older than that date.

    >>> s = load_scenario("params/base.yaml")
    >>> late = s.model_copy(update={"as_of": s.as_of.model_copy(update={"value": dt.date(2027, 3, 31)})})
    >>> print(_price_warnings(late)[0])   # the panel's newest price is of 5 Oct 2026
    key 'as_of.value': value 2027-03-31: the newest GPU price on or before it (neocloud/data/gpu_prices.csv) is of 2026-10-05, 177 days older; add newer prices before pricing the exit right at this date
    """
    from neocloud.model.market import gpu_price_panel

    as_of = scenario.as_of.value
    try:
        panel = gpu_price_panel()
    except ScenarioError:  # a data file's problem: the data files' own check reports it
        return []
    dates = [d for d in panel.date if d <= as_of]
    if not dates:
        return [f"key 'as_of.value': value {as_of}: no GPU price in neocloud/data/gpu_prices.csv is dated on or before it"]
    newest = max(dates)
    if (as_of - newest).days <= STALE_PRICE_DAYS:
        return []
    return [f"key 'as_of.value': value {as_of}: the newest GPU price on or before it (neocloud/data/gpu_prices.csv) is of "
            f"{newest}, {(as_of - newest).days} days older; add newer prices before pricing the exit right at this date"]


def _capacity_warnings(scenario: Scenario) -> list[str]:
    """A rented share above 100%: the book's deals rent more MW than the seller's capacity ledger
    (``neocloud/data/capacity.csv``) says it owns in some quarter."""
    from neocloud.model.capacity import no_capacity_data, rented_share_by_quarter

    try:
        missing = no_capacity_data(scenario)
        if missing is not None:
            key = "seller.ledger_name" if scenario.seller.ledger_name is not None else "seller_name"
            value = scenario.seller.ledger_name or scenario.seller_name
            return [f"key '{key}': value {value!r}: {missing} in neocloud/data/capacity.csv; the reports show no owned "
                    "capacity, rented share or own-use figures for this seller"]
        shares = rented_share_by_quarter(scenario)
    except ScenarioError:  # a data file's problem: the data files' own check reports it
        return []
    if shares.empty:
        return []
    shares = shares.assign(rented_share=shares.rented_share.astype(float))
    shares = shares[shares.rented_share.notna()]
    if shares.empty or shares.rented_share.max() <= 1.0:
        return []
    peak = shares.loc[shares.rented_share.idxmax()]
    biggest = max([("terms", scenario.terms)] + [(f"other_deals.{i}.terms", o.terms) for i, o in enumerate(scenario.other_deals)],
                  key=lambda kv: kv[1].capacity_mw.value)
    return [f"key '{biggest[0]}.capacity_mw.value': value {biggest[1].capacity_mw.value:g}: the book rents "
            f"{peak.rented_share:.0%} of the capacity the seller owns in {peak.quarter} (more than it owns; "
            "check the MW, or the owned rows of neocloud/data/capacity.csv)"]


def data_warnings() -> list[str]:
    """Possible but suspicious values in the (valid) data files, one line each starting with the
    file: a calibration price more than 3 times (or under a third of) each neighbour, the fitted
    drift outside -50% to +50% a year or volatility above 150% a year, rented MW above the MW owned
    on a date.

    >>> data_warnings()
    []
    """
    out = []
    panel = read_table("gpu_prices.csv")
    where = _shown(data_path("gpu_prices.csv"))
    cal = panel[panel.calibration].sort_values("date", kind="stable").reset_index()
    prices = cal.usd_per_gpu_hour.tolist()
    for k, p in enumerate(prices):
        near = [prices[j] for j in (k - 1, k + 1) if 0 <= j < len(prices)]
        if near and all(p > 3 * q or p < q / 3 for q in near):
            out.append(f"{where}: row {panel.attrs['rows'][cal['index'][k]]}, column 'usd_per_gpu_hour': value {p:g}: "
                       f"a calibration price far from its neighbours ({', '.join(f'{q:g}' for q in near)}); a typo?")
    from neocloud.model.market import calibrate_gbm

    try:
        fit = calibrate_gbm()
    except ValueError:
        fit = None
    if fit is not None and not (-0.5 <= fit.drift_per_year <= 0.5 and fit.volatility_per_year <= 1.5):
        out.append(f"{where}: column 'calibration': the fitted drift {fit.drift_per_year:.0%} and volatility "
                   f"{fit.volatility_per_year:.0%} a year are outside a plausible band (drift -50% to +50%, "
                   "volatility up to 150%); check the calibration prices and dates")
    cap = read_table("capacity.csv")
    where = _shown(data_path("capacity.csv"))
    from neocloud.model.capacity import owned_capacity

    for owner in sorted(set(cap.owner)):  # each owner's rentals against its own capacity
        mine = cap[cap.owner == owner]
        for on in sorted(set(mine[mine.kind == "rented"].date)):
            rented = mine[(mine.kind == "rented") & (mine.date <= on)].mw.sum()
            owned = owned_capacity(on, mine)["mw"]
            if rented > owned:
                out.append(f"{where}: on {on} the rented rows of {owner} add up to {rented:,.0f} MW, more than the "
                           f"{owned:,.0f} MW it owns (a rented share above 100%); check the rows of that date")
                break
    return out


def check_data_files() -> list[str]:
    """Validate every data file; return the warnings (:func:`data_warnings`), or raise one
    :class:`DataFileError` listing every problem of every file.

    >>> check_data_files()
    []
    """
    problems: list[str] = []
    for name in TABLES:
        try:
            read_table(name)
        except DataFileError as e:
            problems += e.problems
    if problems:
        raise DataFileError(problems)
    return data_warnings()


def newest_data_date() -> dt.date:
    """The newest date of the shipped data every report reads: a price observation
    (``gpu_prices.csv``), a source of a capacity row, a signal or a comparable deal (their
    ``source_date``; a planned capacity row's own date is a plan, not an input), and a published
    source of a reported figure (``reported.yaml``) or a ledger contract (``contracts.yaml``; an
    undated source's ``date`` is the day it was gathered, not an input's date).

    >>> newest_data_date() >= dt.date(2026, 10, 1)   # the price panel reaches October 2026
    True
    """
    from neocloud.inputs.ledger import load_ledger
    from neocloud.inputs.reported import load_reported

    dates = list(read_table("gpu_prices.csv").date)
    for name in ("capacity.csv", "own_use_signals.csv", "comparables.csv"):
        dates += [d for d in read_table(name).source_date if isinstance(d, dt.date)]
    dates += [f.source.date for f in load_reported() if f.source.dated == "published"]
    for c in load_ledger().contracts:
        dates += [item.source.date for item in vars(c).values()
                  if getattr(item, "source", None) is not None and item.source.dated == "published"]
    return max(dates)


def newest_input_date(scenario: Any) -> dt.date:
    """The newest input behind a scenario's reports: its own published sources and the shipped data
    every report reads (:func:`newest_data_date`; an undated source's date is the day it was
    read, not when its figure became known). The reports' headers and the index state it.

    >>> from neocloud.inputs.scenario import load_scenario
    >>> newest_input_date(load_scenario("params/base.yaml")).isoformat()
    '2026-10-05'
    """
    return max(scenario.inputs_date(published_only=True), newest_data_date())
