"""The contract ledger (issue 19): its conventions by hand, its properties, its bad files, its
command. Conventions: shared/conventions.md, "Contracts and the ledger"."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import PARAMS, examples, neocloud_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from neocloud import DealTerms, load_scenario
from neocloud.commands.cli import main
from neocloud.model.deal import (
    accrued_usd,
    committed_floor,
    delivered_share,
    monthly_fee_for_total,
    payment_schedule,
    remaining_performance_obligation,
    total_contract_value,
)
from neocloud.model.hazard import expected_revenue
from neocloud.model.ledger import FIGURES, buyer_commitments, market_contracts, market_sellers, notice_calendar, walkable_usd, buyer_book, contract_figures, seller_book
from neocloud.inputs.ledger import SHIPPED_LEDGER, LedgerError, UnknownNameError, load_ledger, read_ledger_file, validate_ledger

SMALL = Path("tests/data/ledger_small.yaml")
PLAIN = Path("tests/data/ledger_plain.yaml")
D = dt.date
CENT = 0.01


def record(**over) -> dict:
    """A valid plain-value record; keyword arguments replace its fields (None drops one)."""
    r = {"id": "acme-bigco", "seller": "Acme", "buyer": "BigCo", "signed": "2026-01-15", "start": "2026-02-01",
         "end": "2027-01-31", "monthly_fee_usd": 1e9, "termination": {"kind": "for_convenience", "notice_days": 90}}
    r.update(over)
    return {k: v for k, v in r.items() if v is not None}


def one(**over):
    return validate_ledger({"contracts": [record(**over)]}, "mine.yaml", strict=False).contracts[0]


# --------------------------------------------------------------------------------------------
# Each convention by hand


def test_a_total_over_the_term_is_spread_so_that_the_contract_totals_it():
    # 2026 in full, two ramp months at half: W = 10 + 2 * 0.5 = 11 monthly fees
    c = one(start="2026-01-01", end="2026-12-31", monthly_fee_usd=None, total_usd=11e9, ramp_months=2, ramp_discount=0.5)
    assert c.monthly_fee_usd_resolved == pytest.approx(1e9, rel=1e-12)
    assert total_contract_value(c.terms()) == pytest.approx(11e9, abs=CENT)
    # a part first month: 17 of January's 31 days, then February to December in full
    c = one(start="2026-01-15", end="2026-12-31", monthly_fee_usd=None, total_usd=11e9 + 17 / 31 * 1e9)
    assert c.monthly_fee_usd_resolved == pytest.approx(1e9, rel=1e-12)


@given(st.integers(0, 1500), st.integers(1, 2500), st.floats(1e6, 1e12), st.integers(0, 6), st.floats(0, 0.95),
       st.lists(st.tuples(st.integers(0, 2500), st.floats(0.05, 1.0)), max_size=4))
@settings(max_examples=examples(100))
def test_any_total_is_the_contracts_total_to_the_cent(offset, days, total, ramp, discount, steps):
    start = D(2025, 1, 1) + dt.timedelta(days=offset)
    end = start + dt.timedelta(days=days - 1)
    froms = sorted({start + dt.timedelta(days=s % days) for s, _ in steps})
    shares = [s for _, s in steps][: len(froms)]
    t = DealTerms(1.0, start, end, ramp_months=min(ramp, 1 + (days // 28)), ramp_discount=discount,
                  delivery_steps=tuple(zip(froms, shares)))
    t = replace(t, ramp_months=min(t.ramp_months, t.months))
    fee = monthly_fee_for_total(total, t)
    assert total_contract_value(replace(t, monthly_fee_usd=fee)) == pytest.approx(total, abs=CENT, rel=1e-12)


def test_delivery_steps_bill_the_delivered_share_from_each_date():
    t = DealTerms(1e9, D(2026, 1, 1), D(2026, 12, 31), delivery_steps=((D(2026, 4, 1), 0.5), (D(2026, 7, 1), 1.0)))
    # before the first step the share is 1: Jan-Mar 3, Apr-Jun 3 * 0.5, Jul-Dec 6
    assert total_contract_value(t) == pytest.approx(10.5e9, abs=CENT)
    assert [delivered_share(t, d) for d in (D(2026, 3, 31), D(2026, 4, 1), D(2026, 7, 1))] == [1.0, 0.5, 1.0]
    s = payment_schedule(t)
    assert s.fee_usd.round(2).tolist() == [1e9] * 3 + [0.5e9] * 3 + [1e9] * 6
    # a step within a month: nothing delivered from 17 January, so 16 of January's 31 days
    t = DealTerms(1e9, D(2026, 1, 1), D(2026, 1, 31), delivery_steps=((D(2026, 1, 17), 0.0),))
    assert total_contract_value(t) == pytest.approx(16 / 31 * 1e9, abs=CENT)
    # with a ramp: the factors multiply (May at half price and a quarter delivered)
    t = DealTerms(1e9, D(2026, 5, 1), D(2026, 6, 30), ramp_months=1, ramp_discount=0.5,
                  delivery_steps=((D(2026, 5, 1), 0.25), (D(2026, 6, 1), 1.0)))
    assert total_contract_value(t) == pytest.approx(0.125e9 + 1e9, abs=CENT)
    assert accrued_usd(t, D(2026, 5, 1)) == 0.0


def test_no_steps_leave_every_figure_as_it_was(terms):
    same = replace(terms, delivery_steps=((terms.start, 1.0),))
    assert total_contract_value(same) == pytest.approx(total_contract_value(terms), abs=CENT)
    assert committed_floor(same) == pytest.approx(committed_floor(terms), abs=CENT)


def test_take_or_pay_counts_the_whole_contract_as_committed():
    c = one(termination={"kind": "none"})
    t = c.terms()
    tcv = total_contract_value(t)
    assert committed_floor(t) == tcv == 12e9
    for day in (D(2025, 12, 31), D(2026, 1, 31), D(2026, 6, 30), D(2027, 1, 31)):
        b = remaining_performance_obligation(t, day)
        assert b.enforceable_usd == b.headline_usd
    assert remaining_performance_obligation(t, D(2026, 6, 30)).headline_usd == pytest.approx(7e9, abs=CENT)
    assert expected_revenue(t, 0.3) == tcv   # no notice date: the hazard never applies
    assert contract_figures(c, D(2026, 6, 30))["earliest_notice_date"] is None


def test_contingent_amounts_are_never_firm():
    firm = one()
    both = one(contingent_usd=5e9, contingent_note="up to $5B more if unsold")
    a, b = contract_figures(firm, D(2026, 6, 30)), contract_figures(both, D(2026, 6, 30))
    assert b["contingent_usd"] == 5e9 and a["contingent_usd"] == 0.0
    for k in ("total_contract_value_usd", "committed_floor_usd", "headline_backlog_usd", "enforceable_rpo_usd"):
        assert a[k] == b[k]


def test_a_book_holds_only_the_contracts_signed_by_its_date():
    led = load_ledger()
    before = seller_book(led, "SpaceX", D(2026, 6, 21))
    after = seller_book(led, "SpaceX", D(2026, 6, 22))   # Reflection AI binds on 22 June
    assert [c.buyer for c in before.contracts] == ["Anthropic", "Google"]
    assert [c.buyer for c in after.contracts] == ["Anthropic", "Google", "Reflection AI"]
    # at the IPO (12 June 2026): Anthropic and Google only, Reflection's $6.30B not in the backlog
    ipo = seller_book(led, "SpaceX", D(2026, 6, 12)).totals
    anthropic = contract_figures(led.contract("spacex-anthropic-colossus-1"), D(2026, 6, 12))
    google = contract_figures(led.contract("spacex-google"), D(2026, 6, 12))
    for k in FIGURES:
        assert ipo[k] == pytest.approx(anthropic[k] + google[k], abs=CENT)
    assert ipo["headline_backlog_usd"] == pytest.approx(45e9 - 0.625e9 * (1 + 12 / 30) + 31.74e9, abs=1e3)   # May and 12 June days at half
    assert seller_book(led, "SpaceX", D(2026, 5, 2)).contracts == ()
    assert seller_book(led, "SpaceX", D(2026, 5, 2)).totals == dict.fromkeys(
        ("total_contract_value_usd", "committed_floor_usd", "headline_backlog_usd", "enforceable_rpo_usd", "contingent_usd"), 0.0)


def test_a_buyers_book_gathers_its_commitments_across_sellers():
    led = load_ledger(SMALL, with_shipped=False)
    meta = buyer_book(led, "meta", D(2026, 6, 30))
    assert meta.name == "Meta"
    assert [(c.seller, c.id) for c in meta.contracts] == [("CoreWeave", "test-coreweave-meta-1"), ("Nebius", "test-nebius-meta-2")]
    t = meta.totals
    assert t["total_contract_value_usd"] == pytest.approx(14.2e9 + 12e9, abs=CENT)
    assert t["contingent_usd"] == 15e9
    # both take-or-pay: nothing to walk away from
    assert t["enforceable_rpo_usd"] == t["headline_backlog_usd"]
    # Nebius - Meta starts in 2027: its whole $12B is backlog at mid-2026
    assert contract_figures(led.contract("test-nebius-meta-2"), D(2026, 6, 30))["headline_backlog_usd"] == pytest.approx(12e9, abs=CENT)
    # before Nebius - Meta was signed (16 March 2026), only CoreWeave's
    assert [c.seller for c in buyer_book(led, "Meta", D(2026, 3, 15)).contracts] == ["CoreWeave"]


@pytest.mark.parametrize("contract_id", ["spacex-anthropic-colossus-1", "spacex-google", "spacex-reflection-ai"])
def test_the_spacex_contracts_are_the_scenarios_deals(contract_id):
    base = load_scenario(PARAMS / "base.yaml")
    deals = {"spacex-anthropic-colossus-1": base.deal, "spacex-google": base.other_deals[0].deal,
             "spacex-reflection-ai": base.other_deals[1].deal}
    scenario_terms = deals[contract_id]
    c = load_ledger().contract(contract_id)
    assert c.terms() == scenario_terms
    for day in (D(2026, 6, 12), D(2026, 6, 30), D(2026, 12, 31), D(2028, 3, 31)):
        f = contract_figures(c, day)
        b = remaining_performance_obligation(scenario_terms, day)
        assert f["headline_backlog_usd"] == b.headline_usd
        assert f["enforceable_rpo_usd"] == b.enforceable_usd
    assert contract_figures(c, D(2026, 6, 30))["total_contract_value_usd"] == total_contract_value(scenario_terms)
    assert contract_figures(c, D(2026, 6, 30))["committed_floor_usd"] == committed_floor(scenario_terms)


def test_the_anthropic_contract_figures_to_the_cent():
    f = contract_figures(load_ledger().contract("spacex-anthropic-colossus-1"), D(2026, 6, 30))
    assert f["total_contract_value_usd"] == 45e9
    assert f["headline_backlog_usd"] == 43.75e9
    assert f["enforceable_rpo_usd"] == pytest.approx(3.75e9 + 1.25e9 * 29 / 31, abs=CENT)


def test_the_shipped_ledger_is_sourced_throughout():
    led = read_ledger_file(SHIPPED_LEDGER, strict=True)
    assert led.contracts
    for c in led.contracts:
        assert c.unsourced_keys() == [], c.id
    # and the strict reading refuses a plain value, naming the record and the key
    with pytest.raises(LedgerError) as e:
        read_ledger_file(PLAIN, strict=True)
    assert "contracts.0 (id 'my-acme-bigco'): key 'signed': a plain value" in str(e.value)
    assert "contracts.1 (id 'my-acme-smallco'): key 'termination.basis'" in str(e.value)


# --------------------------------------------------------------------------------------------
# Properties

dates = st.integers(0, 1800).map(lambda k: D(2025, 1, 1) + dt.timedelta(days=k))
companies = st.sampled_from(["Acme", "Globex", "Initech"])
buyers_ = st.sampled_from(["BigCo", "Umbrella", "Hooli"])


@st.composite
def records(draw, i: int) -> dict:
    start = draw(dates)
    days = draw(st.integers(31, 1500))
    end = start + dt.timedelta(days=days - 1)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    r: dict = {"id": f"c-{i}", "seller": draw(companies), "buyer": draw(buyers_),
               "signed": (start + dt.timedelta(days=draw(st.integers(-400, 20)))).isoformat(),
               "start": start.isoformat(), "end": end.isoformat(),
               "ramp_months": draw(st.integers(0, min(3, months))), "ramp_discount": draw(st.floats(0, 0.9))}
    if draw(st.booleans()):
        r["monthly_fee_usd"] = draw(st.floats(1e6, 2e9))
    else:
        r["total_usd"] = draw(st.floats(1e7, 5e10))
    if draw(st.booleans()):
        r["termination"] = {"kind": "none"}
    else:
        r["termination"] = {"kind": "for_convenience", "notice_days": draw(st.integers(1, min(days, 365))),
                            "lockup_months": draw(st.integers(0, months - 1))}
    steps = sorted({start + dt.timedelta(days=k) for k in draw(st.lists(st.integers(0, days - 1), max_size=3))})
    r["delivery_steps"] = [{"from": d.isoformat(), "share": draw(st.floats(0.1, 1.0))} for d in steps]
    if draw(st.booleans()):
        r["contingent_usd"] = draw(st.floats(1e6, 1e10))
        r["contingent_note"] = "an option"
    return r


@st.composite
def ledgers(draw):
    n = draw(st.integers(1, 6))
    return validate_ledger({"contracts": [draw(records(i)) for i in range(n)]}, "random.yaml", strict=False)


@given(ledgers(), dates)
@settings(max_examples=examples(60))
def test_a_books_figures_are_the_sums_of_its_contracts(led, as_of):
    for side, names, book in (("seller", led.sellers, seller_book), ("buyer", led.buyers, buyer_book)):
        for name in names:
            b = book(led, name, as_of)
            rows = b.figures
            assert all(c.signed.value <= as_of for c in b.contracts)
            assert len(rows) == sum(1 for c in led.contracts if getattr(c, side) == name and c.signed.value <= as_of)
            for k in (*FIGURES, "committed_floor_usd"):
                assert b.totals[k] == pytest.approx(float(rows[k].sum()), abs=CENT, rel=1e-12)
            assert b.totals["enforceable_rpo_usd"] <= b.totals["headline_backlog_usd"] + CENT


@given(ledgers(), dates)
@settings(max_examples=examples(60))
def test_the_seller_view_and_the_buyer_view_of_a_contract_agree(led, as_of):
    for c in led.contracts:
        if c.signed.value > as_of:
            continue
        s = seller_book(led, c.seller.upper(), as_of).figures.set_index("id").loc[c.id]
        b = buyer_book(led, c.buyer.lower(), as_of).figures.set_index("id").loc[c.id]
        assert s.to_dict() == b.to_dict()


@given(ledgers(), dates, st.integers(1, 400), st.data())
@settings(max_examples=examples(60))
def test_a_contract_signed_after_the_reporting_date_changes_no_figure(led, as_of, later, data):
    extra = data.draw(records(99))
    extra["signed"] = (as_of + dt.timedelta(days=later)).isoformat()
    raw = {"contracts": [c.model_dump(mode="json", by_alias=True, exclude_none=True) for c in led.contracts] + [extra]}
    more = validate_ledger(raw, "random.yaml", strict=False)
    for name in led.sellers:
        assert seller_book(more, name, as_of).totals == seller_book(led, name, as_of).totals
    for name in led.buyers:
        assert buyer_book(more, name, as_of).totals == buyer_book(led, name, as_of).totals
    # nor any market view: concentration, walkable shares, prices, commitments, the notice calendar
    pd.testing.assert_frame_equal(market_sellers(more, as_of), market_sellers(led, as_of))
    pd.testing.assert_frame_equal(buyer_commitments(more, as_of), buyer_commitments(led, as_of))
    pd.testing.assert_frame_equal(notice_calendar(more, as_of), notice_calendar(led, as_of))


# --------------------------------------------------------------------------------------------
# Bad ledger files: one house-style line each, exit 2


def _steps(*pairs):
    return [{"from": d, "share": s} for d, s in pairs]


BAD = [
    ("both fees", dict(total_usd=12e9), "key 'monthly_fee_usd': value 1000000000.0: give monthly_fee_usd or total_usd"),
    ("no fee", dict(monthly_fee_usd=None), "key 'monthly_fee_usd': value None: a fee is required"),
    ("reversed dates", dict(end="2026-01-01"), "key 'end.value': value 2026-01-01: must be on or after start (2026-02-01)"),
    ("share above 1", dict(delivery_steps=_steps(("2026-03-01", 1.5))), "key 'delivery_steps.0.share.value': value 1.5"),
    ("share below 0", dict(delivery_steps=_steps(("2026-03-01", -0.1))), "key 'delivery_steps.0.share.value': value -0.1"),
    ("steps out of order", dict(delivery_steps=_steps(("2026-06-01", 0.5), ("2026-03-01", 1.0))),
     "key 'delivery_steps.1.from': value 2026-03-01: must come after the step before it"),
    ("step outside the term", dict(delivery_steps=_steps(("2027-03-01", 0.5))),
     "key 'delivery_steps.0.from': value 2027-03-01: must fall within the term"),
    ("ramp discount above 1", dict(ramp_months=1, ramp_discount=2.0), "key 'ramp_discount.value': value 2.0"),
    ("fee of zero", dict(monthly_fee_usd=0.0), "key 'monthly_fee_usd.value': value 0.0: Input should be greater than 0"),
    ("unknown key", dict(fee=3), "unknown key 'fee' (allowed here: buyer, capacity_mw, contingent_note"),
    ("unknown key in a step", dict(delivery_steps=[{"from": "2026-03-01", "share": 0.5, "until": "2026-04-01"}]),
     "unknown key 'delivery_steps.0.until' (allowed here: from, share)"),
    ("unknown capacity basis", dict(capacity_mw={"value": 300, "basis": "nameplate"}),
     "key 'capacity_mw.basis': value 'nameplate': Input should be 'it_load', 'facility' or 'reported_unspecified'"),
    ("take-or-pay with notice", dict(termination={"kind": "none", "notice_days": 90}),
     "key 'termination.notice_days': value 90: kind: none (take-or-pay) has no notice terms"),
    ("no notice days", dict(termination={"kind": "for_convenience"}), "key 'termination.notice_days': value None"),
    ("lock-up and a date", dict(termination={"kind": "for_convenience", "notice_days": 90, "lockup_months": 3,
                                             "earliest_notice_date": "2026-06-01"}),
     "key 'termination.earliest_notice_date': value 2026-06-01: give lockup_months or earliest_notice_date, not both"),
    ("unknown kind", dict(termination={"kind": "maybe"}), "key 'termination.kind': value 'maybe'"),
    ("bad id", dict(id="Acme BigCo"), "key 'id': value 'Acme BigCo': an id is lowercase letters a-z"),
    ("half sourced", dict(signed={"value": "2026-01-15", "assumption": True}),
     "key 'signed': value {'value': '2026-01-15', 'assumption': True}: an assumption needs a 'note'"),
    ("not a date", dict(start="next spring"), "key 'start.value': value 'next spring': a date written YYYY-MM-DD"),
]


def _write(tmp_path: Path, data) -> Path:
    p = tmp_path / "mine.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return p


@pytest.mark.parametrize("what, change, expected", BAD, ids=[b[0] for b in BAD])
def test_a_bad_record_is_one_house_style_line_and_exit_2(tmp_path, capsys, what, change, expected):
    path = _write(tmp_path, {"contracts": [record(**change)]})
    assert main(["ledger", "--ledger", str(path), "--seller", "SpaceX", "--as-of", "2026-06-30"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    rid = change.get("id", "acme-bigco")
    assert lines[0].startswith(f"{path}: contracts.0 (id {rid!r}): "), lines[0]
    assert expected in lines[0], lines[0]
    assert "Traceback" not in err


BAD_FILES = [
    ("duplicate id", {"contracts": [record(), record(seller="Other")]},
     "contracts.1 (id 'acme-bigco'): key 'id': value 'acme-bigco': written twice (first as contracts.0)"),
    ("two spellings", {"contracts": [record(), record(id="acme-2", seller="ACME")]},
     "contracts.1 (id 'acme-2'): key 'seller': value 'ACME': spelled 'Acme' elsewhere in the ledger"),
    ("no contracts key", {"deals": []}, "unknown key 'deals' (allowed here: contracts)"),
    ("a record not a mapping", {"contracts": ["acme"]}, "contracts.0: a contract record is a mapping of keys, not a str"),
    ("an id of the shipped ledger", {"contracts": [record(id="spacex-google")]},
     "id 'spacex-google': also in"),
]


@pytest.mark.parametrize("what, data, expected", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_ledger_file_names_the_file_and_the_record(tmp_path, capsys, what, data, expected):
    path = _write(tmp_path, data)
    assert main(["ledger", "--ledger", str(path), "--buyer", "Anthropic", "--as-of", "2026-06-30"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: "), err
    assert expected in err, err


def test_a_bad_ledger_exits_2_from_the_installed_command(tmp_path):
    path = _write(tmp_path, {"contracts": [record(total_usd=12e9)]})
    proc = neocloud_cli("ledger", "--ledger", str(path), "--seller", "Acme", "--as-of", "2026-06-30", "--json")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == (f"{path}: contracts.0 (id 'acme-bigco'): key 'monthly_fee_usd': value 1000000000.0: "
                                   "give monthly_fee_usd or total_usd (the total over the term), not both")


def test_bad_yaml_and_missing_files_exit_2(tmp_path, capsys):
    p = tmp_path / "broken.yaml"
    p.write_text("contracts: [\n", encoding="utf-8")
    assert main(["ledger", "--ledger", str(p), "--seller", "SpaceX"]) == 2
    assert "malformed YAML" in capsys.readouterr().err
    assert main(["ledger", "--ledger", str(tmp_path / "nope.yaml"), "--seller", "SpaceX"]) == 2
    assert "file not found" in capsys.readouterr().err
    assert main(["ledger", "--seller", "SpaceX", "--as-of", "30/06/2026"]) == 2
    assert "--as-of '30/06/2026': a date written YYYY-MM-DD" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# The command and the Python API


def test_the_json_book_of_a_seller():
    proc = neocloud_cli("ledger", "--seller", "spacex", "--as-of", "2026-06-30", "--json")
    assert proc.returncode == 0, proc.stderr

    def no_nan(name):
        raise AssertionError(f"JSON holds {name}")

    data = json.loads(proc.stdout, parse_constant=no_nan)
    assert data["as_of"] == "2026-06-30" and data["seller"] == "SpaceX" and "buyer" not in data
    keys = {"id", "seller", "buyer", "signed", "monthly_fee_usd", *FIGURES}
    assert [c["id"] for c in data["contracts"]] == ["spacex-anthropic-colossus-1", "spacex-google", "spacex-reflection-ai"]
    for c in data["contracts"]:
        assert keys <= set(c)
        assert all(math.isfinite(c[k]) for k in ("monthly_fee_usd", *FIGURES))
    for k in FIGURES:
        assert data["totals"][k] == pytest.approx(sum(c[k] for c in data["contracts"]), abs=CENT)
    assert round(data["totals"]["headline_backlog_usd"] / 1e9, 2) == 81.79
    assert round(data["totals"]["enforceable_rpo_usd"] / 1e9, 2) == 12.71


def test_a_users_ledger_beside_the_shipped_one(capsys):
    assert main(["ledger", "--ledger", str(PLAIN), "--buyer", "bigco", "--as-of", "2026-06-30", "--json"]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["buyer"] == "BigCo" and [c["id"] for c in data["contracts"]] == ["my-acme-bigco"]
    assert "contracts.0 (id 'my-acme-bigco'): warning: unsourced (plain values): signed, start" in err
    # the table for people: one line per contract and the book's line
    assert main(["ledger", "--ledger", str(SMALL), "--seller", "Nebius", "--as-of", "2026-06-30"]) == 0
    out = capsys.readouterr().out
    nebius = len(seller_book(load_ledger(SMALL), "Nebius", D(2026, 6, 30)).contracts)   # the shipped ones and the file's 2
    assert nebius == len(seller_book(load_ledger(), "Nebius", D(2026, 6, 30)).contracts) + 2
    assert out.splitlines()[0] == f"seller Nebius: {nebius} contract(s) signed by 2026-06-30"
    assert "test-nebius-meta-2" in out and any(line.lstrip().startswith("book ") for line in out.splitlines())


def test_an_unknown_name_lists_the_known_ones(capsys):
    assert main(["ledger", "--ledger", str(SMALL), "--buyer", "Amazon", "--as-of", "2026-06-30"]) == 2
    err = capsys.readouterr().err
    assert "no buyer named 'Amazon' in the ledger; known buyers: " in err
    for name in ("Anthropic", "Meta", "Microsoft", "Undisclosed buyers"):
        assert name in err
    with pytest.raises(UnknownNameError, match="known sellers: CoreWeave, IREN, Nebius, SpaceX"):
        seller_book(load_ledger(SMALL, with_shipped=False), "Oracle", D(2026, 6, 30))
    with pytest.raises(SystemExit):   # --seller or --buyer, exactly one
        main(["ledger", "--seller", "SpaceX", "--buyer", "Anthropic"])


# --------------------------------------------------------------------------------------------
# The market views


@given(ledgers(), dates)
@settings(max_examples=examples(40))
def test_what_a_buyer_can_walk_from_is_the_backlog_less_the_enforceable_rpo(led, as_of):
    m = market_contracts(led, as_of)
    for r in m.itertuples():
        assert r.walkable_usd == pytest.approx(r.headline_backlog_usd - r.enforceable_rpo_usd, abs=CENT, rel=1e-12)
        assert 0.0 <= r.walkable_90d_usd <= r.walkable_365d_usd <= r.walkable_usd
    sellers = market_sellers(led, as_of)
    for r in sellers.itertuples():
        book = seller_book(led, r.seller, as_of)
        assert r.headline_backlog_usd == book.totals["headline_backlog_usd"]
        if r.headline_backlog_usd > 0:
            assert 0.0 <= r.walkable_90d_share <= r.walkable_365d_share <= 1.0 + 1e-12
            assert 0.0 < r.hhi <= 1.0 + 1e-12 and r.top_buyer_share ** 2 <= r.hhi + 1e-12
    commitments = buyer_commitments(led, as_of)
    for buyer in led.buyers:
        b = buyer_book(led, buyer, as_of).totals
        mine = commitments[commitments.buyer == buyer]
        assert float(mine.committed_usd.sum()) == pytest.approx(b["headline_backlog_usd"], abs=1.0, rel=1e-9)
        assert float(mine.walkable_usd.sum()) == pytest.approx(b["headline_backlog_usd"] - b["enforceable_rpo_usd"], abs=1.0, rel=1e-9)


def test_the_notice_calendar_by_hand():
    led = load_ledger()
    cal = notice_calendar(led, D(2026, 6, 30))
    rows = [(str(r.date), r.event, r.buyer) for r in cal.itertuples()]
    assert rows == [("2026-08-01", "notice window opens", "Anthropic"), ("2026-09-30", "delivery deadline", "Google"),
                    ("2026-10-01", "notice window opens", "Reflection AI"), ("2027-01-01", "notice window opens", "Google")]
    reflection = cal[cal.buyer == "Reflection AI"].iloc[0]
    # notice on 1 Oct 2026 ends service on 30 Dec: 30 Dec, 31 Dec and 2027-2029 (36 months) cancelled
    assert reflection.service_ends == D(2026, 12, 30)
    assert reflection.at_stake_usd == pytest.approx(0.15e9 * (2 / 31 + 36), abs=CENT)
    # a window already open is not "opening"; none beyond twelve months
    # (the undisclosed Q3 contracts, signed 15 July and starting in October, open with Google's on 1 Jan)
    assert list(notice_calendar(led, D(2026, 8, 1)).buyer) == ["Google", "Reflection AI", "Google", "Undisclosed"]
    assert notice_calendar(led, D(2026, 6, 30), months=1).empty   # nothing opens by 30 July 2026


def test_what_can_walk_within_a_horizon_by_hand():
    t = load_ledger().contract("spacex-anthropic-colossus-1").terms()
    a = D(2026, 6, 30)
    # notice may first be served on 1 Aug 2026 (32 days on): service ends 30 Oct, 45 - 6.169 cancelled
    cancelled = 45e9 - (1.25e9 + 3 * 1.25e9 + 1.25e9 * 29 / 31)
    assert walkable_usd(t, a, 90) == walkable_usd(t, a, 365) == walkable_usd(t, a) == pytest.approx(cancelled, abs=CENT)
    assert walkable_usd(t, a, 31) == 0.0   # the window opens on day 32
    assert walkable_usd(replace(t, take_or_pay=True), a) == 0.0


def test_a_seller_of_take_or_pay_contracts_has_nothing_to_lose_to_notice():
    s = market_sellers(load_ledger(SMALL, with_shipped=False), D(2026, 9, 30)).set_index("seller")
    assert s.loc["CoreWeave", "enforceable_share"] == 1.0 and s.loc["Nebius", "walkable_365d_share"] == 0.0
    # IREN's one contract: its 12-month lock-up from January 2026 opens notice on 1 Jan 2027, within the year
    assert s.loc["IREN", "walkable_90d_share"] == 0.0 and s.loc["IREN", "walkable_365d_share"] > 0.8
    fee = load_ledger(SMALL, with_shipped=False).contract("test-iren-microsoft").terms().monthly_fee_usd
    assert s.loc["IREN", "usd_per_mw_year"] == pytest.approx(12 * fee / 200, rel=1e-12)   # the full fee, 200 MW
    assert s.loc["IREN", "mw_basis"] == "it_load"


# --------------------------------------------------------------------------------------------
# One way to spell a seller; the shipped ledger read once per process


@pytest.mark.parametrize("given, expected", [("SpaceX", "SpaceX"), ("spacex", "SpaceX"), ("  SPACEX ", "SpaceX"),
                                             ("coreweave", "CoreWeave"), ("Acme", None)])
def test_seller_name_is_the_ledgers_spelling(given, expected):
    from neocloud.analysis.filings import known_since, ledger_seller
    from neocloud.inputs.ledger import UnknownNameError, seller_name
    from neocloud.analysis.reconcile import reconcile
    from neocloud.inputs.reported import load_reported

    led = load_ledger()
    assert seller_name(led, given, missing_ok=True) == expected
    base = load_scenario(PARAMS / "base.yaml")
    as_seller = base.model_copy(update={"seller": base.seller.model_copy(update={"ledger_name": given})})
    assert ledger_seller(as_seller, led) == expected
    if expected is None:
        for call in (lambda: seller_name(led, given), lambda: reconcile(led, load_reported(), given),
                     lambda: known_since(led, load_reported(), given, D(2026, 6, 30))):
            with pytest.raises(UnknownNameError, match=f"no seller named {given!r} in the ledger; known sellers: Akamai"):
                call()
    else:
        assert set(reconcile(led, load_reported(), given).filer.str.casefold()) <= {expected.casefold()}


def test_the_shipped_ledger_is_read_once_per_process(monkeypatch, tmp_path):
    import neocloud.inputs.ledger as ledger_module
    from neocloud.analysis.checks import scenario_warnings

    load_ledger()  # read (or already read) once
    reads = []
    real = ledger_module.validate_ledger
    monkeypatch.setattr(ledger_module, "validate_ledger", lambda *a, **k: reads.append(a[1]) or real(*a, **k))
    s = load_scenario(PARAMS / "base.yaml")
    scenario_warnings(s)
    load_ledger()
    assert reads == []   # the scenario's book, its warnings and the report sections share the one reading
    # a changed file is read again
    mine = tmp_path / "mine.yaml"
    mine.write_text((Path(__file__).parent / "data" / "ledger_plain.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    first = load_ledger(mine)
    assert load_ledger(mine).contracts == first.contracts and len(reads) == 1
    mine.write_text(mine.read_text(encoding="utf-8").replace("my-acme-bigco", "my-acme-bigco-2"), encoding="utf-8")
    assert "my-acme-bigco-2" in [c.id for c in load_ledger(mine).contracts] and len(reads) == 2


def test_the_notice_calendar_grid_by_hand():
    from neocloud.model.ledger import ALL_SELLERS, notice_calendar, notice_calendar_grid

    a = D(2026, 6, 30)
    g = notice_calendar_grid(notice_calendar(load_ledger(), a), a).set_index(["horizon_months", "seller"])
    # Anthropic: notice 1 Aug 2026, service ends 30 Oct: $45B less May-June at half fee ($1.25B) and July
    # to 29 October at the full fee ($3.75B + 29/31 of $1.25B)
    anthropic = 45e9 - 1.25e9 - 3.75e9 - 1.25e9 * 29 / 31
    # Reflection AI: notice 1 Oct 2026, service ends 30 Dec: $6.3B less July to November and 29/31 of December
    reflection = 6.3e9 - 5 * 0.15e9 - 0.15e9 * 29 / 31
    # Google: notice 1 Jan 2027, service ends 1 Apr 2027: $31.74B less July-September at half fee and October to March
    google = 31.74e9 - 3 * 0.46e9 - 6 * 0.92e9
    for h, windows, stake in [(3, 1, anthropic), (6, 2, anthropic + reflection), (12, 3, anthropic + reflection + google)]:
        for seller in (ALL_SELLERS, "SpaceX"):
            row = g.loc[(h, seller)]
            assert row.windows == windows and row.at_stake_usd == pytest.approx(stake, abs=1e-2)
            assert row.deadlines == 1   # Google's delivery deadline, 30 Sep 2026
    assert g.loc[(3, ALL_SELLERS)].until == D(2026, 9, 30) and g.loc[(12, ALL_SELLERS)].until == D(2027, 6, 30)
