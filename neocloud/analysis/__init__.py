"""Analyses built on the maths: headline figures, sensitivities, sweeps, explorable grids, filings checks."""
