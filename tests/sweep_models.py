"""Model functions for the sweep tests (imported by Dask workers: tests/ is on their PYTHONPATH)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def square(x: float, seed: int) -> dict[str, float]:
    """A cheap model with a noise term from its seed (so seeds per evaluation show in the table)."""
    import numpy as np

    return {"y": x * x, "noise": float(np.random.default_rng(seed).normal())}


def gated(x: float, seed: int) -> float:
    """``x``, but for ``x >= 10`` only once the file ``$SWEEP_GATE/open`` exists: the test lets two
    chunks finish, interrupts the sweep while the others wait, then opens the gate and resumes.
    Waits at most five minutes (then fails) so that nothing hangs for ever."""
    gate = Path(os.environ["SWEEP_GATE"])
    if x >= 10:
        (gate / f"waiting-{os.getpid()}").touch()
        deadline = time.monotonic() + 300
        while not (gate / "open").exists():
            if time.monotonic() > deadline:
                raise TimeoutError("the test never opened the gate")
            time.sleep(0.05)  # polling a file the test writes; not a wait standing in for one
    return float(x)
