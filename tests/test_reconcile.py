"""The reconciliation of reported figures with the ledger's books: by hand on a small book, the
signing rule and the ratio as properties, and the shipped figures held against the shipped ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples
from neocloud.inputs.ledger import UnknownNameError, load_ledger
from neocloud.analysis.reconcile import DIFFERENCE_PARTS, reconcile
from neocloud.inputs.reported import ReportedFigure, load_reported

LEDGER = """\
contracts:
  - id: acme-x
    seller: Acme
    buyer: X
    signed: 2026-01-01
    start: 2026-01-01
    end: 2026-12-31
    monthly_fee_usd: 1.0e+9
    termination: {kind: none}
  - id: acme-y
    seller: Acme
    buyer: Y
    signed: 2026-05-15
    start: 2026-07-01
    end: 2027-06-30
    monthly_fee_usd: 2.0e+9
    termination: {kind: for_convenience, notice_days: 90, lockup_months: 0}
"""
LATE = """\
  - id: acme-z
    seller: Acme
    buyer: Z
    signed: {signed}
    start: 2026-01-01
    end: 2028-12-31
    monthly_fee_usd: 5.0e+9
    termination: {{kind: none}}
"""
SOURCE = {"url": "https://example.com/acme-10-q", "date": dt.date(2026, 8, 1)}


def figure(id, measure, end, value, start=None, scope="contracts", definition="as the filer defines it"):
    return ReportedFigure.model_validate({"id": id, "filer": "Acme", "measure": measure, "line": "compute",
                                          "scope": scope, "period_start": start, "period_end": end, "value_usd": value,
                                          "definition": definition, "source": SOURCE})


REPORTED = [
    figure("acme-backlog-q1", "backlog", dt.date(2026, 3, 31), 10e9,
           definition="RPO plus other amounts under committed contracts"),
    figure("acme-rpo-q2", "rpo", dt.date(2026, 6, 30), 11e9),
    figure("acme-revenue-q2", "revenue", dt.date(2026, 6, 30), 4e9, start=dt.date(2026, 4, 1), scope="line"),
    figure("acme-arr-q2", "arr", dt.date(2026, 6, 30), 12e9),
]


@pytest.fixture
def ledger(tmp_path):
    p = tmp_path / "acme.yaml"
    p.write_text(LEDGER)
    return load_ledger(p, with_shipped=False)


def test_reconciliation_by_hand(ledger):
    r = reconcile(ledger, REPORTED, "ACME").set_index("id")   # names in any case
    # Backlog at 31 Mar: acme-y is not signed yet; acme-x has April to December left.
    assert r.loc["acme-backlog-q1", "model_usd"] == pytest.approx(9e9)
    assert r.loc["acme-backlog-q1", "contracts"] == 1
    assert r.loc["acme-backlog-q1", "difference_parts"] == ["other_committed_amounts", "contracts_not_in_ledger"]
    # RPO at 30 Jun: acme-x is take-or-pay (July to December, $6B); acme-y may be left on notice
    # from 1 Jul, so only 90 days count: July, August and 28 days of September at $2B a month.
    rpo = 6e9 + 2e9 + 2e9 + 2e9 * 28 / 30
    assert r.loc["acme-rpo-q2", "model_usd"] == pytest.approx(rpo)
    assert r.loc["acme-rpo-q2", "ratio"] == pytest.approx(rpo / 11e9)
    assert r.loc["acme-rpo-q2", "difference_parts"] == ["ledger_counts_more", "terminable_contracts"]
    # Revenue in Q2: acme-x's three months; acme-y has not started.
    assert r.loc["acme-revenue-q2", "model_usd"] == pytest.approx(3e9)
    assert r.loc["acme-revenue-q2", "difference_parts"] == ["other_sales_of_the_line", "contracts_not_in_ledger"]
    # ARR at 30 Jun: June's revenue times twelve.
    assert r.loc["acme-arr-q2", "model_usd"] == pytest.approx(12e9)
    assert r.loc["acme-arr-q2", "difference_parts"] == []
    assert list(r.period_end) == sorted(r.period_end)


def test_other_sellers_and_unknown_names(ledger):
    assert reconcile(ledger, [], "Acme").empty
    with pytest.raises(UnknownNameError, match="known sellers: Acme"):
        reconcile(ledger, REPORTED, "Nobody")


@settings(max_examples=examples(25))
@given(st.dates(min_value=dt.date(2025, 6, 1), max_value=dt.date(2027, 6, 30)))
def test_a_contract_signed_after_a_period_end_is_in_no_figure_of_it(tmp_path_factory, signed):
    """Adding a contract changes no model figure of a period that ends before its signing, and
    every ratio is model / reported."""
    path = tmp_path_factory.mktemp("late") / "acme.yaml"
    path.write_text(LEDGER + LATE.format(signed=signed.isoformat()))
    base_path = tmp_path_factory.mktemp("base") / "acme.yaml"
    base_path.write_text(LEDGER)
    with_late = reconcile(load_ledger(path, with_shipped=False), REPORTED, "Acme").set_index("id")
    without = reconcile(load_ledger(base_path, with_shipped=False), REPORTED, "Acme").set_index("id")
    for f in REPORTED:
        if f.period_end < signed:
            assert with_late.loc[f.id, "model_usd"] == without.loc[f.id, "model_usd"]
        else:
            assert with_late.loc[f.id, "model_usd"] > without.loc[f.id, "model_usd"]
    assert (with_late.ratio == with_late.model_usd / with_late.reported_usd).all()


def test_shipped_figures_against_the_shipped_ledger():
    ledger, reported = load_ledger(), load_reported()
    for seller in ("SpaceX", "CoreWeave", "Nebius", "Oracle"):
        r = reconcile(ledger, reported, seller)
        assert len(r) >= 4, seller
        assert (r.reported_usd > 0).all() and (r.model_usd >= 0).all()
        assert all(set(parts) <= set(DIFFERENCE_PARTS) for parts in r.difference_parts)
        # A gap always has at least one known component named.
        assert all(parts for parts, ratio in zip(r.difference_parts, r.ratio) if abs(ratio - 1) > 1e-6)
    spacex = reconcile(ledger, reported, "SpaceX").set_index("id")
    assert spacex.loc["spacex-2026q2-new-cloud-contracts-revenue", "model_usd"] == pytest.approx(1.25e9)
    # Anthropic's ramp discount is an assumption: the gap to $1.6B may be made of it (the filings
    # section solves for it); no contract is known to be missing, but none can be ruled out.
    assert spacex.loc["spacex-2026q2-new-cloud-contracts-revenue", "difference_parts"] == [
        "assumed_terms", "contracts_not_in_ledger"]
    coreweave = reconcile(ledger, reported, "CoreWeave")
    assert coreweave[coreweave.measure == "backlog"].period_end.min() == dt.date(2024, 12, 31)


def test_every_reported_figure_is_sourced_and_parsable():
    figures = load_reported()
    assert len({f.id for f in figures}) == len(figures) >= 20
    filers = {f.filer for f in figures}
    assert {"SpaceX", "CoreWeave", "Nebius", "Oracle"} <= filers
    for f in figures:
        assert f.source.url.startswith("https://") and f.definition.strip()
    spacex = {(f.measure, f.period_end) for f in figures if f.filer == "SpaceX"}
    assert ("revenue", dt.date(2026, 3, 31)) in spacex and ("contracted_sales", dt.date(2026, 6, 30)) in spacex
    coreweave = sorted(f.period_end for f in figures if f.filer == "CoreWeave" and f.measure == "backlog")
    assert coreweave[0] == dt.date(2024, 12, 31) and coreweave[-1] == dt.date(2026, 6, 30) and len(coreweave) == 7


def test_the_ledger_command_gains_reported_and_reconciliation(capsys):
    import json
    import math

    from neocloud.commands.cli import main

    assert main(["ledger", "--seller", "spacex", "--as-of", "2026-06-30", "--json"]) == 0
    data = json.loads(capsys.readouterr().out, parse_constant=lambda name: pytest.fail(f"JSON holds {name}"))
    assert {"reported", "reconciliation"} <= set(data)
    rows = {r["id"]: r for r in data["reconciliation"]}
    assert {r["id"] for r in data["reported"]} == set(rows)
    row = rows["spacex-2026q2-contracted-sales"]
    assert set(row) >= {"period_end", "measure", "definition", "reported_usd", "model_usd", "ratio", "difference"}
    assert row["period_end"] == "2026-06-30" and row["reported_usd"] == 14.1e9
    assert round(row["model_usd"] / 1e9, 2) == 12.71 and math.isclose(row["ratio"], row["model_usd"] / 14.1e9)
    assert row["difference"].startswith("The model gives 90% of the reported figure")
    # only periods that ended by the date asked for
    assert main(["ledger", "--seller", "SpaceX", "--as-of", "2026-03-31", "--json"]) == 0
    early = json.loads(capsys.readouterr().out)
    assert all(r["period_end"] <= "2026-03-31" for r in early["reconciliation"]) and early["reconciliation"]
    # a buyer's book is not a filer's
    assert main(["ledger", "--buyer", "Anthropic", "--as-of", "2026-06-30", "--json"]) == 0
    assert "reconciliation" not in json.loads(capsys.readouterr().out)
