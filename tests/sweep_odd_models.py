"""Model functions that misbehave, for tests/test_sweep_odd_use.py (imported by Dask workers:
tests/ is on their PYTHONPATH)."""

from __future__ import annotations

import math
from typing import Any

BEHAVIOURS: dict[str, Any] = {
    "raise": lambda: 1 / 0,
    "nan": lambda: {"y": math.nan},
    "inf": lambda: {"y": -math.inf},
    "string": lambda: "12.5",
    "none": lambda: None,
    "list": lambda: [1.0],
    "bool": lambda: True,
    "huge": lambda: {"y": 10**400},
    "missing": lambda: {"z": 1.0},
}
"""What evaluation 7 (``x == 7``) returns, by ``kind``."""


def misbehave(x: float, kind: str, seed: int) -> Any:
    """``{"y": x}``, but at ``x == 7`` what ``BEHAVIOURS[kind]`` gives."""
    if x == 7:
        return BEHAVIOURS[kind]()
    return {"y": float(x)}


def no_seed(x: float) -> float:
    """A model without the ``seed`` keyword (refused at load)."""
    return x


def one_input(x: float, seed: int) -> float:
    """A model of one input (a sweep giving it two is refused at load)."""
    return x
