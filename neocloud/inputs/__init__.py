"""Sourced inputs, read and validated: scenarios (``params/``), reported figures, the terms of a deal."""
