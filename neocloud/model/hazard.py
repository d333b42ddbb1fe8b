"""The hazard model of notice: closed-form expectation and Monte Carlo.

Convention: from the earliest notice month on, notice is served on the first day of each
calendar month with probability ``p``, independently each month, until it is served. If it is
never served (no notice on the first day of any month up to ``end``) the contract runs its
course. With ``R_k`` the revenue realised if notice is served on the ``k``-th such date
(:func:`~neocloud.model.deal.revenue_if_terminated`) and ``K`` the number of such dates, the expected
revenue is ``sum_k (1 - p)**k * p * R_k + (1 - p)**K * total_contract_value``.
"""

from __future__ import annotations

import datetime as dt
import functools
import math

import numpy as np
import pandas as pd

from neocloud.model.deal import (
    Deal,
    DealTerms,
    add_months,
    month_index,
    revenue_if_terminated_many,
    terms_of,
    total_contract_value,
)


def notice_dates(deal: Deal) -> list[dt.date]:
    """The dates on which the hazard model may serve notice: first days of months, from the
    earliest notice date up to the end of the contract.

    >>> t = DealTerms(1e9, dt.date(2026, 5, 1), dt.date(2026, 12, 31), lockup_months=3)
    >>> [d.month for d in notice_dates(t)]
    [8, 9, 10, 11, 12]
    """
    t = terms_of(deal)
    first = t.earliest_notice_date
    if first.day != 1:  # cannot happen with the conventions, kept for hand-built terms
        first = add_months(first.replace(day=1), 1)
    n = month_index(first, t.end) + 1
    return [add_months(first, k) for k in range(max(n, 0))]


def _outcomes(deal: Deal) -> tuple[np.ndarray, float]:
    """``R_k`` for each notice date (read-only), and the total contract value (the no-notice
    outcome). Kept for the last few terms: an evaluation asks for them in the hazard and in the
    exit model."""
    t = terms_of(deal)
    try:
        return _outcomes_of_terms(t)
    except TypeError:  # terms that cannot be hashed (hand-built with unhashable parts)
        return _compute_outcomes(t)


def _compute_outcomes(t: DealTerms) -> tuple[np.ndarray, float]:
    revenue = revenue_if_terminated_many(t, notice_dates(t)).realised_usd.to_numpy()
    revenue.flags.writeable = False  # shared by every caller of the same terms
    return revenue, total_contract_value(t)


@functools.lru_cache(maxsize=32)
def _outcomes_of_terms(t: DealTerms) -> tuple[np.ndarray, float]:
    return _compute_outcomes(t)


def _check_probability(p: float) -> float:
    if not 0.0 <= float(p) <= 1.0 or np.isnan(p):
        raise ValueError(f"monthly_notice_probability {p!r} is outside [0, 1]")
    return float(p)


def expected_revenue(deal: Deal, monthly_notice_probability: float) -> float:
    """Expected revenue under the hazard model (closed form).

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3)
    >>> expected_revenue(t, 0.0), round(expected_revenue(t, 1.0) / 1e9, 6)   # never / at once
    (45000000000.0, 6.169355)
    >>> round(expected_revenue(t, 0.05) / 1e9, 3)
    25.115
    """
    p = _check_probability(monthly_notice_probability)
    revenue, tcv = _outcomes(deal)
    return expected_from_outcomes(revenue, tcv, p)


def expected_from_outcomes(revenue: np.ndarray, tcv: float, p: float) -> float:
    """:func:`expected_revenue` from the outcomes ``R_k`` (USD, one per notice date) and the
    total contract value, for callers that evaluate many probabilities of one deal (the outcomes
    are computed once).

    >>> expected_from_outcomes(np.array([1.0, 2.0]), 3.0, 0.5)   # 0.5 * 1 + 0.25 * 2 + 0.25 * 3
    1.75
    """
    k = np.arange(len(revenue))
    survive = (1.0 - p) ** k
    return float(np.sum(survive * p * revenue) + (1.0 - p) ** len(revenue) * tcv)


def revenue_variance(deal: Deal, monthly_notice_probability: float) -> float:
    """Exact variance (USD squared) of the realised revenue under the hazard model at a fixed
    monthly probability: ``sum_k q_k R_k**2 - E**2`` over the outcome law ``q`` of
    :func:`notice_month_probabilities`. The Monte Carlo mean of ``n`` paths has standard error
    ``sqrt(variance / n)``; the tests bound it by six of those.

    >>> t = DealTerms(1e9, dt.date(2026, 5, 1), dt.date(2026, 5, 31), notice_days=10)
    >>> # notice on 1 May (p = 0.5) realises 10/31 of the fee, no notice all of it
    >>> round(revenue_variance(t, 0.5) ** 0.5 / 1e9, 6)   # half the spread: 0.5 * (1 - 10/31)
    0.33871
    """
    q = notice_month_probabilities(deal, monthly_notice_probability)
    revenue, tcv = _outcomes(deal)
    outcomes = np.append(revenue, tcv)
    mean = float(np.sum(q * outcomes))
    return max(0.0, float(np.sum(q * (outcomes - mean) ** 2)))


def expected_revenue_curve(deal: Deal, probabilities: "np.ndarray | list[float] | None" = None) -> pd.DataFrame:
    """:func:`expected_revenue` over many monthly probabilities: ``probability``, ``expected_usd``.
    ``probabilities`` defaults to 0% to 30% in steps of 1%.

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3)
    >>> expected_revenue_curve(t, [0.0]).expected_usd.tolist()
    [45000000000.0]
    """
    p = np.round(np.arange(0.0, 0.305, 0.01), 4) if probabilities is None else np.asarray(probabilities, dtype=float)
    for value in p:
        _check_probability(value)
    revenue, tcv = _outcomes(deal)
    k = np.arange(len(revenue))
    survive = (1.0 - p[:, None]) ** k[None, :]
    expected = (survive * p[:, None] * revenue[None, :]).sum(axis=1) + (1.0 - p) ** len(revenue) * tcv
    return pd.DataFrame({"probability": p, "expected_usd": expected})


def notice_month_probabilities(deal: Deal, monthly_notice_probability: float | None = None) -> np.ndarray:
    """Probability that notice is first served on each notice date, then of no notice at all.

    With a fixed ``p`` this is geometric: ``(1 - p)**k * p``, and ``(1 - p)**K`` for none. With
    ``p`` drawn from the scenario's Beta(a, b) prior it is the Beta-geometric law
    ``B(a + 1, b + k) / B(a, b)``, and ``B(a, b + K) / B(a, b)`` for none: the same model with
    ``p`` integrated out exactly.

    >>> t = DealTerms(1e9, dt.date(2026, 5, 1), dt.date(2026, 7, 31))
    >>> notice_month_probabilities(t, 0.5).tolist()   # notice 1 May, 1 Jun, 1 Jul, or never
    [0.5, 0.25, 0.125, 0.125]
    """
    n = len(notice_dates(deal))
    k = np.arange(n)
    if monthly_notice_probability is not None:
        p = _check_probability(monthly_notice_probability)
        return np.append((1.0 - p) ** k * p, (1.0 - p) ** n)
    prior = _prior(deal)
    a, b = prior.alpha, prior.beta

    def log_beta(x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
        return _lgamma(x) + _lgamma(y) - _lgamma(np.add(x, y))

    first = np.exp(log_beta(a + 1.0, b + k) - log_beta(a, b))
    never = float(np.exp(log_beta(a, b + n) - log_beta(a, b)))
    return np.append(first, never)


def _prior(deal: Deal):
    """The scenario's Beta prior on the monthly probability (plain terms have none)."""
    if isinstance(deal, DealTerms):
        raise ValueError(
            "give monthly_notice_probability, or pass a Scenario whose "
            "termination.probability_prior states the uncertainty"
        )
    return deal.termination.probability_prior


def _lgamma(x: "np.ndarray | float") -> np.ndarray:
    return np.vectorize(math.lgamma, otypes=[float])(x)


def simulate_termination(
    deal: Deal,
    n_paths: int,
    seed: int,
    monthly_notice_probability: float | None = None,
    method: str = "exact",
) -> np.ndarray:
    """Monte Carlo of the hazard model: the realised revenue (USD) of each of ``n_paths`` paths.

    With ``monthly_notice_probability`` given, every path uses it. Otherwise each path's
    probability comes from the scenario's stated uncertainty (``termination.probability_prior``,
    a Beta distribution), which needs a scenario.

    ``method="exact"`` (the default) draws each path's notice month directly from its exact
    distribution under the model (:func:`notice_month_probabilities`: geometric, or
    Beta-geometric when the probability is uncertain), as multinomial counts of the outcomes
    in a uniformly random order (the same joint law as independent draws).
    ``method="two_stage"`` draws a probability for each path, then the month given it; the two
    agree in distribution (tested), the first is several times faster. Results depend only on
    ``seed`` (NumPy's PCG64).

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3)
    >>> r = simulate_termination(t, 200_000, seed=1, monthly_notice_probability=0.05)
    >>> se = (revenue_variance(t, 0.05) / 200_000) ** 0.5   # exact standard error of the mean
    >>> bool(abs(r.mean() - expected_revenue(t, 0.05)) < 6 * se)
    True
    """
    if n_paths < 1:
        raise ValueError(f"n_paths must be at least 1, got {n_paths}")
    rng = np.random.default_rng(seed)
    revenue, tcv = _outcomes(deal)
    outcomes = np.append(revenue, tcv)  # last index: notice never served
    if method == "exact":
        # i.i.d. draws from the outcome law, made as multinomial counts in a uniformly random
        # order: the same joint distribution, without a search per path
        probs = notice_month_probabilities(deal, monthly_notice_probability)
        paths = np.repeat(outcomes, rng.multinomial(n_paths, probs / probs.sum()))
        rng.shuffle(paths)
        return paths
    if method != "two_stage":
        raise ValueError(f"method must be 'exact' or 'two_stage', got {method!r}")
    if monthly_notice_probability is not None:
        p = np.full(n_paths, _check_probability(monthly_notice_probability))
    else:
        prior = _prior(deal)
        p = rng.beta(prior.alpha, prior.beta, n_paths)
    # failures before the first success; p == 0 never succeeds
    month = np.where(p > 0.0, rng.geometric(np.where(p > 0.0, p, 1.0)) - 1, len(revenue))
    return outcomes[np.minimum(month, len(revenue))]


def simulation_summary(paths: np.ndarray) -> dict[str, float]:
    """Mean and P5/P50/P95 of simulated revenue (USD).

    >>> simulation_summary(np.array([1.0, 2.0, 3.0]))["p50_usd"]
    2.0
    """
    p5, p50, p95 = np.percentile(paths, [5, 50, 95])
    return {"mean_usd": float(paths.mean()), "p5_usd": float(p5), "p50_usd": float(p50), "p95_usd": float(p95)}



def simulation_histogram(paths: np.ndarray, bins: int = 30) -> pd.DataFrame:
    """Simulated revenue binned for a histogram: ``bin_start_usd``, ``bin_end_usd``, ``paths``,
    ``share`` (of all paths).

    >>> simulation_histogram(np.array([0.0, 1.0, 1.0, 2.0]), bins=2).paths.tolist()
    [1, 3]
    """
    counts, edges = np.histogram(paths, bins=bins)
    return pd.DataFrame(
        {"bin_start_usd": edges[:-1], "bin_end_usd": edges[1:], "paths": counts, "share": counts / len(paths)}
    )


def monte_carlo_check(deal: Deal, monthly_notice_probability: float, n_paths: int, seed: int) -> dict[str, float]:
    """The Monte Carlo mean at a fixed probability against the closed form: their difference,
    the exact standard error of the mean (:func:`revenue_variance`) and the difference in
    standard errors (the report states them; a correct sampler stays within a few).

    >>> t = DealTerms(1.25e9, dt.date(2026, 5, 1), dt.date(2029, 5, 31), 2, 0.5, 90, 3)
    >>> c = monte_carlo_check(t, 0.05, 200_000, seed=7)
    >>> round(c["standard_error_usd"] / 1e6, 1), c["standard_errors"] < 6
    (30.8, True)
    """
    closed = expected_revenue(deal, monthly_notice_probability)
    mean = float(simulate_termination(deal, n_paths, seed, monthly_notice_probability).mean())
    se = math.sqrt(revenue_variance(deal, monthly_notice_probability) / n_paths)
    diff = mean - closed
    return {
        "closed_form_usd": closed,
        "monte_carlo_mean_usd": mean,
        "difference_usd": diff,
        "relative_difference": abs(diff) / closed if closed else 0.0,
        "standard_error_usd": se,
        "standard_errors": abs(diff) / se if se > 0 else 0.0,
    }


def compare_distributions(samples: "dict[str, np.ndarray]", bins: int = 40) -> pd.DataFrame:
    """Histograms of several samples on common bins, for one chart: ``model``, ``bin_start_usd``,
    ``bin_end_usd``, ``paths``, ``share``.

    >>> f = compare_distributions({"a": np.array([0.0, 1.0]), "b": np.array([1.0, 1.0])}, bins=2)
    >>> f[f.model == "b"].paths.tolist()
    [0, 2]
    """
    edges = np.histogram_bin_edges(np.concatenate(list(samples.values())), bins=bins)
    frames = []
    for name, values in samples.items():
        counts, _ = np.histogram(values, bins=edges)
        frames.append(pd.DataFrame({"model": name, "bin_start_usd": edges[:-1], "bin_end_usd": edges[1:], "paths": counts,
                                    "share": counts / len(values)}))
    return pd.concat(frames, ignore_index=True)
