"""The GPU market: a sourced price panel, a geometric Brownian motion fitted to it, and price paths.

Conventions (``shared/conventions.md``, "Exit as an option"):

* The market price ``m(t)`` is USD per H100-equivalent hour of comparable dedicated capacity,
  ``m0`` on the valuation date ``t0``. On the decision dates ``d_1 < d_2 < ...`` (after ``t0``)
  ``m_k = m_{k-1} * exp((mu - sigma**2 / 2) * dt + sigma * sqrt(dt) * Z_k)`` with
  ``dt = (d_k - d_{k-1}).days / 365.25`` (``d_0 = t0``) and independent standard normal ``Z_k``.
* The expected price of day ``s`` seen from date ``d`` is ``m(d) * exp(mu * (s - d).days / 365.25)``.

Calibration (:func:`calibrate_gbm`): the panel rows flagged ``calibration`` form one series of
H100 rental prices (the V-shaped series of SemiAnalysis and Latent Space: early 2024, October
2024, the October 2025 trough, March and June 2026). With log-price increments ``x_i`` over
``dt_i`` years, the maximum-likelihood estimates of a GBM are ``a = sum x_i / sum dt_i`` (the
drift of the log price), ``sigma**2 = mean((x_i - a * dt_i)**2 / dt_i)`` and ``mu = a +
sigma**2 / 2``; standard errors ``sigma / sqrt(sum dt_i)`` for ``a`` and ``sigma / sqrt(2n)``
for ``sigma``. Few points make wide errors: the reports say so and sweep the inputs.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

DAYS_PER_YEAR = 365.25
"""Years in the market model are days / 365.25 (as in the conventions)."""

"""What a panel row's price buys."""


def gpu_price_panel() -> pd.DataFrame:
    """The GPU rental price panel shipped in ``neocloud/data/gpu_prices.csv``: one row per dated
    observation, ``date``, ``chip``, ``basis``, ``usd_per_gpu_hour``, ``source_url``,
    ``source_date``, ``calibration`` (the rows the drift and volatility are fitted to), ``note``.

    >>> p = gpu_price_panel()
    >>> len(p) >= 25, sorted(p.basis.unique())[:3]
    (True, ['1-year contract', 'dedicated cluster', 'list'])
    """
    from neocloud.data import read_table

    return read_table("gpu_prices.csv")  # validated: bad rows raise DataFileError


@dataclass(frozen=True)
class GbmFit:
    """A geometric Brownian motion fitted to dated prices, with standard errors."""

    drift_per_year: float
    drift_se: float
    volatility_per_year: float
    volatility_se: float
    observations: int
    first: dt.date
    last: dt.date
    last_price_usd: float


def calibrate_gbm(dates: Sequence[dt.date] | None = None, prices: Sequence[float] | None = None,
                 as_of: dt.date | None = None) -> GbmFit:
    """Maximum-likelihood GBM drift and volatility of a dated price series (by default the panel's
    calibration rows, only those dated on or before ``as_of`` where it is given: a valuation never
    uses prices from after its date), with standard errors (the module docstring gives the formulas).

    >>> f = calibrate_gbm([dt.date(2024, 1, 1), dt.date(2025, 1, 1), dt.date(2026, 1, 1)], [2.0, 2.0 * math.e ** 0.1, 2.0])
    >>> round(f.volatility_per_year, 4), round(f.drift_per_year, 4)   # increments +0.1, -0.1 over ~1 year each
    (0.1, 0.005)
    >>> f = calibrate_gbm()   # the panel's H100 rental series
    >>> f.observations, f.first.isoformat(), f.last.isoformat(), round(f.drift_per_year, 3), round(f.volatility_per_year, 3)
    (6, '2024-01-01', '2026-10-05', 0.058, 0.356)
    >>> f = calibrate_gbm(as_of=dt.date(2026, 6, 30))   # what was known on the base case's reporting date
    >>> f.observations, f.last.isoformat(), round(f.drift_per_year, 3), round(f.volatility_per_year, 3)
    (5, '2026-06-26', 0.048, 0.393)
    """
    if dates is None or prices is None:
        panel = gpu_price_panel()
        rows = panel[panel.calibration & (panel.date <= as_of if as_of is not None else True)].sort_values("date")
        dates, prices = list(rows.date), list(rows.usd_per_gpu_hour)
    order = np.argsort(np.asarray(dates, dtype="datetime64[D]"))
    d = np.asarray(dates, dtype="datetime64[D]")[order]
    p = np.asarray(prices, dtype=float)[order]
    if len(p) < 3 or np.any(p <= 0) or np.any(np.diff(d).astype(int) <= 0):
        raise ValueError("calibration needs at least 3 positive prices on distinct dates")
    x = np.diff(np.log(p))
    years = np.diff(d).astype(np.int64) / DAYS_PER_YEAR
    a = float(x.sum() / years.sum())
    var = float(np.mean((x - a * years) ** 2 / years))
    sigma = math.sqrt(var)
    return GbmFit(
        drift_per_year=a + var / 2,
        drift_se=sigma / math.sqrt(float(years.sum())),
        volatility_per_year=sigma,
        volatility_se=sigma / math.sqrt(2 * len(x)),
        observations=len(p),
        first=d[0].astype(dt.date),
        last=d[-1].astype(dt.date),
        last_price_usd=float(p[-1]),
    )


@dataclass(frozen=True)
class MarketModel:
    """The market price of dedicated capacity, USD per H100-equivalent hour: a GBM starting at
    ``price_usd_per_h100e_hour`` on the valuation date, with yearly drift and volatility.

    >>> MarketModel(6.2, 0.05, 0.4).volatility_per_year
    0.4
    >>> MarketModel(-1.0, 0.0, 0.4)
    Traceback (most recent call last):
    ...
    ValueError: price_usd_per_h100e_hour must be a positive number, got -1.0
    """

    price_usd_per_h100e_hour: float
    drift_per_year: float
    volatility_per_year: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.price_usd_per_h100e_hour) and self.price_usd_per_h100e_hour > 0):
            raise ValueError(f"price_usd_per_h100e_hour must be a positive number, got {self.price_usd_per_h100e_hour}")
        if not math.isfinite(self.drift_per_year) or abs(self.drift_per_year) > 5:
            raise ValueError(f"drift_per_year must be between -5 and 5, got {self.drift_per_year}")
        if not (math.isfinite(self.volatility_per_year) and 0 <= self.volatility_per_year <= 5):
            raise ValueError(f"volatility_per_year must be between 0 and 5, got {self.volatility_per_year}")


def expected_prices(market: MarketModel, dates: Sequence[dt.date], valuation_date: dt.date) -> np.ndarray:
    """The expected price on each date seen from the valuation date, ``m0 * exp(mu * years)``:
    the path every simulation follows when the volatility is zero.

    >>> expected_prices(MarketModel(2.0, 0.1, 0.3), [dt.date(2027, 7, 1)], dt.date(2026, 7, 1)).round(4).tolist()
    [2.2102]
    """
    days = (np.asarray(dates, dtype="datetime64[D]") - np.datetime64(valuation_date, "D")).astype(np.int64)
    return np.exp(math.log(market.price_usd_per_h100e_hour) + market.drift_per_year * (days / DAYS_PER_YEAR))


_NORMALS_KEPT_MAX = 2_000_000
"""The largest draw (numbers) :func:`_standard_normals` keeps: 16 MB; larger ones are drawn each time."""


def _standard_normals(seed: int, n_paths: int, n_steps: int) -> np.ndarray:
    """``numpy.random.default_rng(seed).standard_normal((n_paths, n_steps))``, read-only, kept for
    the next call with the same arguments (a report, a grid and a sweep's evaluations draw the
    same paths again and again under common random numbers) when it is at most
    :data:`_NORMALS_KEPT_MAX` numbers.

    >>> a = _standard_normals(1, 3, 2)
    >>> bool((a == np.random.default_rng(1).standard_normal((3, 2))).all()), a.flags.writeable
    (True, False)
    """
    if n_paths * n_steps > _NORMALS_KEPT_MAX:
        return np.random.default_rng(seed).standard_normal((n_paths, n_steps))
    return _kept_normals(seed, n_paths, n_steps)


@functools.lru_cache(maxsize=8)
def _kept_normals(seed: int, n_paths: int, n_steps: int) -> np.ndarray:
    z = np.random.default_rng(seed).standard_normal((n_paths, n_steps))
    z.flags.writeable = False
    return z


def simulate_prices(
    market: MarketModel, dates: Sequence[dt.date], valuation_date: dt.date, n_paths: int, seed: int
) -> np.ndarray:
    """Price paths on ``dates`` (on or after the valuation date, increasing): an array of shape
    ``(n_paths, len(dates))``. With zero volatility every path is the expected path exactly.
    Results depend only on ``seed`` (NumPy's PCG64).

    >>> m = MarketModel(2.0, 0.1, 0.0)
    >>> simulate_prices(m, [dt.date(2027, 7, 1)], dt.date(2026, 7, 1), 2, seed=1).round(4).tolist()
    [[2.2102], [2.2102]]
    """
    if n_paths < 1:
        raise ValueError(f"n_paths must be at least 1, got {n_paths}")
    d = np.asarray([valuation_date, *dates], dtype="datetime64[D]")
    steps = np.diff(d).astype(np.int64)
    if np.any(steps < 0):
        raise ValueError("decision dates must be increasing and on or after the valuation date")
    years = steps / DAYS_PER_YEAR
    mu, sigma = market.drift_per_year, market.volatility_per_year
    log_m0 = math.log(market.price_usd_per_h100e_hour)
    if sigma == 0.0:
        return np.broadcast_to(expected_prices(market, dates, valuation_date), (n_paths, len(years))).copy()
    # in place (one array, the same operations in the same order): increments, their sums, prices
    paths = np.multiply(_standard_normals(int(seed), int(n_paths), len(years)), sigma * np.sqrt(years))
    paths += (mu - sigma**2 / 2) * years
    np.cumsum(paths, axis=1, out=paths)
    paths += log_m0
    return np.exp(paths, out=paths)
