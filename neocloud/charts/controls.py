"""The controls of a report's charts: Altair parameters bound to sliders and menus, and the Vega
expressions that pick the grid row (:mod:`neocloud.explore`) a control selects.
"""

from __future__ import annotations


CONTROL_NOTE = "Move the control: the figures are the library's, computed in advance on a grid"


def near(param: str, field: str, tolerance: float) -> str:
    """A Vega expression true for the grid rows whose ``field`` is within ``tolerance`` of the
    value of the parameter ``param``.

    >>> near("notice_p", "probability", 0.0025)
    'abs(datum.probability - notice_p) < 0.0025'
    """
    return f"abs(datum.{field} - {param}) < {tolerance:.12g}"


def pct_text(x: float) -> str:
    """A fraction as a percentage with no needless digits.

    >>> pct_text(0.005), pct_text(0.05)
    ('0.5%', '5%')
    """
    return f"{x * 100:g}%"
