"""The metrics layer: the headline figures of a scenario, computed once.

``neocloud summary PATH --json``, the index page and the reports all read these figures, so a
number stated anywhere comes from one computation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from neocloud.model.book import (
    book_backlog,
    book_committed_floor,
    book_deal_table,
    book_expected_revenue,
    book_of,
    book_run_rate_usd,
    book_total_contract_value,
    committed_floor_by_reading,
    peak_customer_share,
)
from neocloud.model.deal import (
    DealTerms,
    committed_floor,
    remaining_performance_obligation,
    total_contract_value,
)
from neocloud.model.capacity import capacity_figures
from neocloud.analysis.checks import newest_input_date
from neocloud.model.exit_option import RationalExit, market_exit_figures, rational_exit
from neocloud.model.economics import first_exit_after_ipo, seller_economics, unit_economics
from neocloud.model.hazard import expected_revenue, simulate_termination, simulation_summary

if TYPE_CHECKING:
    from pathlib import Path

    from neocloud.inputs.scenario import Scenario


@dataclass(frozen=True, eq=False)
class HeadlineFigures(Mapping[str, Any]):
    """The headline figures of one scenario, computed once (:func:`headline_figures`) and shared
    by the reports, the index and ``neocloud summary --json``.

    Every field but the last two is a figure of the JSON form (:meth:`to_json`, the shape of
    ``neocloud summary --json``, version :data:`SCHEMA_VERSION`), in that order: money in USD,
    dates as ISO strings, shares and probabilities as fractions. The object also reads as a
    mapping of those names (``fig["committed_floor_usd"]``), as the notebooks quote it.
    ``hazard_paths`` (USD, one revenue per path of the hazard model's Monte Carlo,
    ``simulation["paths"]`` long) and ``market_exit_result`` (the market-driven exit model's
    :class:`~neocloud.model.exit_option.RationalExit`, None without a ``market`` section) are the
    results the figures summarise, kept so a report charts them without running them again;
    they are not part of the JSON form and are None in figures read back from it
    (:meth:`from_json`).

    >>> from neocloud import load_scenario
    >>> f = headline_figures(load_scenario("params/base.yaml"))
    >>> f.total_contract_value_usd == f["total_contract_value_usd"] == 45e9, len(f.hazard_paths) == f.simulation["paths"]
    (True, True)
    >>> HeadlineFigures.from_json(f.to_json()).to_json() == f.to_json()
    True
    """

    schema_version: int
    title: str
    terms: dict[str, Any]
    as_of: str
    inputs_date: str
    months: int
    total_contract_value_usd: float
    annual_run_rate_usd: float
    earliest_notice_date: str
    earliest_termination_date: str
    first_exit_after_ipo: str
    committed_floor_usd: float
    usd_per_mw_month: float | None
    usd_per_mwh: float | None
    usd_per_gpu_hour: dict[str, float]
    enforceable_rpo_usd: float
    headline_backlog_usd: float
    monthly_notice_probability: float
    expected_revenue_usd: float
    expected_share_of_total: float | None
    simulated_revenue_usd: dict[str, float]
    simulation: dict[str, int]
    implied_margin: float | None
    termination_readings: list[dict[str, Any]]
    book: dict[str, Any]
    market_exit: dict[str, Any] | None
    capacity: dict[str, Any] | None
    hazard_paths: "np.ndarray | None" = field(default=None, repr=False, metadata={"json": False})
    market_exit_result: "RationalExit | None" = field(default=None, repr=False, metadata={"json": False})

    @classmethod
    def json_keys(cls) -> list[str]:
        """The names of the JSON form, in its order."""
        return [f.name for f in fields(cls) if f.metadata.get("json", True)]

    def to_json(self) -> dict[str, Any]:
        """The JSON form (plain data): what ``neocloud summary --json`` prints after ``scenario_file``."""
        return {k: getattr(self, k) for k in self.json_keys()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "HeadlineFigures":
        """Figures read back from their JSON form (without the simulated results)."""
        return cls(**{k: data[k] for k in cls.json_keys()})

    def __getitem__(self, key: str) -> Any:
        if key not in self.json_keys():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.json_keys())

    def __len__(self) -> int:
        return len(self.json_keys())


FIGURES_CACHE_ENV = "NEOCLOUD_FIGURES_CACHE"
"""Environment variable naming a folder of figures computed for this render, and
:data:`FIGURES_SALT_ENV` the key of the environment they were computed in: set by ``neocloud
render`` for its workers and so for their kernels, so that each report reads the figures the
render computed once (:func:`cached_headline_figures`) instead of computing them again."""

FIGURES_SALT_ENV = "NEOCLOUD_FIGURES_SALT"


def figures_key(scenario: "Scenario", salt: str) -> str:
    """The cache key of a scenario's figures: SHA-256 of ``salt`` (the environment: package
    source, locked stack) and the scenario's content as data (so a scenario read from a file
    and the same scenario handed to a kernel as data share one key).

    >>> from neocloud import load_scenario
    >>> s = load_scenario("params/base.yaml")
    >>> figures_key(s, "a") == figures_key(s, "a") != figures_key(s, "b")
    True
    """
    import hashlib
    import json

    from neocloud.inputs.scenario import scenario_parameters

    text = json.dumps(scenario_parameters(scenario), sort_keys=True)
    return hashlib.sha256(salt.encode() + b"\0" + text.encode()).hexdigest()


def figures_cache_file(folder: "str | Path", key: str) -> "Path":
    """Where the figures of ``key`` are kept in a cache folder."""
    from pathlib import Path

    return Path(folder) / f"figures-{key}.pickle"


def read_cached_figures(folder: "str | Path", key: str) -> "HeadlineFigures | None":
    """Figures kept under ``key`` in ``folder`` (written by :func:`write_cached_figures`), or None.
    The folder is the render's own cache (``outputs/.cache``), written by this package only."""
    from neocloud.analysis.kept import read_kept

    found = read_kept(figures_cache_file(folder, key))
    return found if isinstance(found, HeadlineFigures) else None


def write_cached_figures(folder: "str | Path", key: str, figures: HeadlineFigures) -> None:
    """Keep ``figures`` under ``key`` in ``folder`` (atomically: written aside, then renamed)."""
    from neocloud.analysis.kept import write_kept

    write_kept(figures_cache_file(folder, key), figures)


def headline_figures(scenario: "Scenario") -> HeadlineFigures:
    """The headline figures of a scenario (see :class:`HeadlineFigures`): computed
    (:func:`compute_headline_figures`), or read from the render's cache where ``neocloud render``
    set one up for its workers and their kernels (:data:`FIGURES_CACHE_ENV`) and it holds this
    scenario's figures, so that a render computes them once per scenario.

    >>> from neocloud import load_scenario
    >>> f = headline_figures(load_scenario("params/base.yaml"))
    >>> f["total_contract_value_usd"], f["months"], round(f["committed_floor_usd"] / 1e9, 3)
    (45000000000.0, 37, 6.169)
    >>> round(f["enforceable_rpo_usd"] / 1e9, 3), f["headline_backlog_usd"]
    (4.919, 43750000000.0)
    """
    import os

    folder, salt = os.environ.get(FIGURES_CACHE_ENV), os.environ.get(FIGURES_SALT_ENV)
    if folder and salt:
        found = read_cached_figures(folder, figures_key(scenario, salt))
        if found is not None:
            return found
    return compute_headline_figures(scenario)


def compute_headline_figures(scenario: "Scenario") -> HeadlineFigures:
    """The headline figures of a scenario, computed (every call runs the simulations).

    ``terms`` are the resolved deal terms named as in the conventions; ``as_of`` is the
    scenario's reporting date, at which the backlog figures are taken.

    >>> from neocloud import load_scenario
    >>> compute_headline_figures(load_scenario("params/base.yaml")).expected_share_of_total > 0.5
    True
    """
    t = scenario.deal
    as_of = scenario.as_of.value
    backlog = remaining_performance_obligation(t, as_of)
    unit = unit_economics(scenario)
    term = scenario.termination
    p = term.monthly_notice_probability.value
    paths = simulate_termination(scenario, term.monte_carlo_paths, term.seed)
    seller = seller_economics(scenario)
    expected = expected_revenue(t, p)
    total = total_contract_value(t)
    market = rational_exit(scenario) if scenario.market is not None else None
    return HeadlineFigures(
        schema_version=SCHEMA_VERSION,
        title=scenario.title,
        terms=terms_json(t),
        as_of=as_of.isoformat(),
        inputs_date=newest_input_date(scenario).isoformat(),
        months=t.months,
        total_contract_value_usd=total,
        annual_run_rate_usd=12 * t.monthly_fee_usd,
        earliest_notice_date=t.earliest_notice_date.isoformat(),
        earliest_termination_date=t.earliest_termination_date.isoformat(),
        first_exit_after_ipo=first_exit_after_ipo(scenario).isoformat(),
        committed_floor_usd=committed_floor(t),
        usd_per_mw_month=unit.usd_per_mw_month,
        usd_per_mwh=unit.usd_per_mwh,
        usd_per_gpu_hour=unit.usd_per_gpu_hour,
        enforceable_rpo_usd=backlog.enforceable_usd,
        headline_backlog_usd=backlog.headline_usd,
        monthly_notice_probability=p,
        expected_revenue_usd=expected,
        expected_share_of_total=expected / total if total > 0 else None,  # a free contract: undefined
        simulated_revenue_usd=simulation_summary(paths),
        simulation={"paths": term.monte_carlo_paths, "seed": term.seed},
        implied_margin=seller["implied_margin"],
        termination_readings=readings_json(scenario),
        book=book_figures(scenario),
        market_exit=market_exit_figures(scenario, market),
        capacity=capacity_figures(scenario),
        hazard_paths=paths,
        market_exit_result=market,
    )


SCHEMA_VERSION = 2
"""Version of the ``neocloud summary --json`` shape (2: books, readings, ``earliest_notice_date``)."""


def terms_json(t: DealTerms) -> dict[str, Any]:
    """A deal's terms as JSON, named as in the conventions, with the earliest notice date they
    give (a dated clause, the lock-up or the signing) and what sets it. A take-or-pay deal has no
    notice terms: its ``notice_days`` and ``lockup_months`` are null, its earliest notice date the
    day after its end (no notice date falls in the term) and ``take_or_pay`` true.

    >>> import datetime as dt
    >>> t = DealTerms(1e9, dt.date(2026, 1, 1), dt.date(2026, 12, 31), take_or_pay=True)
    >>> j = terms_json(t)
    >>> j["notice_days"], j["lockup_months"], j["earliest_notice_date"], j["take_or_pay"]
    (None, None, '2027-01-01', True)
    """
    return {
        "monthly_fee_usd": t.monthly_fee_usd,
        "start": t.start.isoformat(),
        "end": t.end.isoformat(),
        "ramp_months": t.ramp_months,
        "ramp_discount": t.ramp_discount,
        "notice_days": None if t.take_or_pay else t.notice_days,  # take-or-pay: no notice right
        "lockup_months": None if t.take_or_pay else t.lockup_months,
        "capacity_mw": t.capacity_mw,
        "earliest_notice_date": t.earliest_notice_date.isoformat(),
        "earliest_notice_rule": t.notice_rule,
        # only where given, so that the JSON of a deal without them is as it was
        **({"take_or_pay": True} if t.take_or_pay else {}),
        **({"delivery_steps": [{"from": d.isoformat(), "share": share} for d, share in t.delivery_steps]}
           if t.delivery_steps else {}),
    }


def readings_json(scenario: "Scenario") -> list[dict[str, Any]]:
    """The committed floor under every reading of the termination terms, lowest notice date first."""
    return [
        {"reading": r.reading, "earliest_notice_date": r.earliest_notice_date.isoformat(),
         "termination_date": r.termination_date.isoformat(), "committed_floor_usd": r.committed_floor_usd,
         "scenario": r.scenario, "this_scenario": bool(r.this_scenario)}
        for r in committed_floor_by_reading(scenario).itertuples()
    ]


def book_figures(scenario: "Scenario") -> dict[str, Any]:
    """The seller's book on the reporting date: each deal's figures and the book's totals (sums
    of the deals', ``neocloud.model.book``), with the peak customer share of the seller's revenue.

    >>> from neocloud import load_scenario
    >>> b = book_figures(load_scenario("params/base.yaml"))
    >>> [d["buyer"] for d in b["deals"]], round(b["total_contract_value_usd"] / 1e9, 2)
    (['Anthropic', 'Google', 'Reflection AI'], 83.04)
    """
    as_of = scenario.as_of.value
    p = scenario.termination.monthly_notice_probability.value
    book = book_of(scenario)
    table = book_deal_table(book, as_of, p)
    deals = []
    for d, row in zip(book.deals, table.itertuples()):
        deals.append({
            "deal": d.name, "buyer": d.buyer, "terms": terms_json(d.terms),
            "total_contract_value_usd": row.total_contract_value_usd, "committed_floor_usd": row.committed_floor_usd,
            "headline_backlog_usd": row.headline_backlog_usd, "enforceable_rpo_usd": row.enforceable_rpo_usd,
            "expected_revenue_usd": row.expected_revenue_usd,
        })
    backlog = book_backlog(book, as_of)
    peak = peak_customer_share(scenario)
    return {
        "as_of": as_of.isoformat(),
        "deals": deals,
        "total_contract_value_usd": book_total_contract_value(book),
        "committed_floor_usd": book_committed_floor(book),
        "headline_backlog_usd": backlog.headline_usd,
        "enforceable_rpo_usd": backlog.enforceable_usd,
        "expected_revenue_usd": book_expected_revenue(book, p),
        "annual_run_rate_usd": book_run_rate_usd(book, max(as_of, max(d.terms.start for d in book.deals))),
        "peak_customer_share": {"customer": peak["customer"], "quarter": peak["quarter"], "share": peak["share"]},
        "peak_book_share": {"quarter": peak["book_quarter"], "share": peak["book_share"]},
    }


def key_dates(scenario: "Scenario") -> dict[str, "dt.date"]:
    """The dates drawn on the reports' timelines: signing, IPO, the reporting date, the earliest
    notice and termination, and the natural end (never the wall-clock date).

    >>> from neocloud import load_scenario
    >>> [f"{k}: {v}" for k, v in key_dates(load_scenario("params/base.yaml")).items()][-2:]
    ['earliest termination: 2026-10-30', 'natural end: 2029-05-31']
    """
    t = scenario.deal
    return {
        "signed": scenario.key_dates.signed.value,
        "IPO": scenario.key_dates.ipo.value,
        "reporting date": scenario.as_of.value,
        "earliest notice": t.earliest_notice_date,
        "earliest termination": t.earliest_termination_date,
        "natural end": t.end,
    }


CONTRACT_BASES = ("1-year contract", "rental index", "dedicated cluster")
"""The price panel's bases that price capacity held for months or years (not on-demand or spot
hours): what "today's contract prices" means in the reports."""


def contract_price_range(panel: "Any" = None, chip: str = "H100", within_days: int = 183) -> "dict[str, Any] | None":
    """Today's contract prices: the range of the price panel's newest prices of ``chip`` on a
    contract basis (:data:`CONTRACT_BASES`), those dated within ``within_days`` of its newest such
    row. USD per GPU-hour; None when the panel has no such row.

    >>> r = contract_price_range()
    >>> r["low_usd"] <= r["high_usd"], r["rows"] >= 1, r["first"] <= r["last"]
    (True, True, True)
    """
    import pandas as pd

    from neocloud.model.market import gpu_price_panel

    p = gpu_price_panel() if panel is None else panel
    rows = p[(p.chip == chip) & p.basis.isin(CONTRACT_BASES)]
    if rows.empty:
        return None
    newest = pd.Timestamp(rows.date.max())
    recent = rows[pd.to_datetime(rows.date) >= newest - pd.Timedelta(days=within_days)]
    return {"low_usd": float(recent.usd_per_gpu_hour.min()), "high_usd": float(recent.usd_per_gpu_hour.max()),
            "first": pd.Timestamp(recent.date.min()).date(), "last": newest.date(), "rows": int(len(recent)),
            "bases": sorted(set(recent.basis))}


def walk_at_first_chance(scenario: "Scenario", prices_usd: "list[float]", n_paths: int | None = None) -> "Any":
    """The market-driven exit model (:func:`neocloud.model.exit_option.rational_exit`) started at each
    of ``prices_usd`` (USD per H100-equivalent hour on the reporting date), every other input as
    in the scenario, with the same seed at every price: one row per price, ``price_usd``,
    ``first_notice_date`` (the first date notice may be served), ``buyer_first_share`` (share of
    paths on which the buyer serves notice on that date), ``buyer_share`` (on any date),
    ``expected_revenue_usd``. Raises ValueError for a scenario without a ``market`` section.

    >>> from neocloud import load_scenario
    >>> w = walk_at_first_chance(load_scenario("params/base.yaml"), [2.0, 12.0], n_paths=500)
    >>> w.buyer_first_share.round(2).tolist()
    [1.0, 0.0]
    """
    import pandas as pd

    from neocloud.model.exit_option import MarketModel, scenario_market

    if scenario.market is None:
        raise ValueError("the scenario has no market section: the market-driven exit model needs one")
    base = scenario_market(scenario)
    rows = []
    for price in prices_usd:
        r = rational_exit(scenario, MarketModel(float(price), base.drift_per_year, base.volatility_per_year), n_paths=n_paths)
        first = r.notice_probability.iloc[0] if len(r.notice_probability) else None
        rows.append({"price_usd": float(price),
                     "first_notice_date": pd.Timestamp(first.notice_date).date() if first is not None else None,
                     "buyer_first_share": float(first.buyer) if first is not None else 0.0,
                     "buyer_share": float(r.notice_probability.buyer.sum()),
                     "expected_revenue_usd": r.expected_revenue_usd})
    return pd.DataFrame(rows)
