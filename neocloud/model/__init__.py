"""The maths: pure functions over validated inputs (deal, hazard, market, books, ledger views, exit option)."""
