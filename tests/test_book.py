"""The seller's book: figures by hand for the SpaceX book, sums as a property, bad book files."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neocloud as nc
from conftest import examples
from neocloud import ScenarioError, validate_scenario
from neocloud.model.book import Book, BookDeal
from neocloud.inputs.scenario import read_scenario_data
from test_properties import deals

D = dt.date


@pytest.fixture(scope="module")
def book():
    return nc.book_of(nc.load_scenario("params/base.yaml"))


def test_the_spacex_book_by_hand(book):
    anthropic, google, reflection = book.deals
    assert [d.buyer for d in book.deals] == ["Anthropic", "Google", "Reflection AI"]
    # Google: July-September 2026 at half of $920M (assumed), then 33 full months to June 2029
    assert nc.total_contract_value(google.terms) == pytest.approx(3 * 0.46e9 + 33 * 0.92e9)
    # notice from 1 Jan 2027 (the dated clause) ends service on 1 Apr 2027: ramp + 6 full months
    assert google.terms.earliest_notice_date == D(2027, 1, 1)
    assert nc.committed_floor(google.terms) == pytest.approx(1.38e9 + 6 * 0.92e9)
    rpo = nc.remaining_performance_obligation(google.terms, D(2026, 6, 30))
    assert rpo.headline_usd == pytest.approx(31.74e9) and rpo.enforceable_usd == pytest.approx(6.90e9)
    # Reflection: 42 months at $150M from 1 July 2026 = $6.3B; notice from 1 Oct 2026 ends 30 Dec
    assert nc.total_contract_value(reflection.terms) == pytest.approx(6.3e9)
    assert reflection.terms.earliest_notice_date == D(2026, 10, 1)
    assert nc.committed_floor(reflection.terms) == pytest.approx(5 * 0.15e9 + 0.15e9 * 29 / 31)
    # the book
    assert nc.book_total_contract_value(book) == pytest.approx(45e9 + 31.74e9 + 6.3e9)
    b = nc.book_backlog(book, D(2026, 6, 30))
    assert b.enforceable_usd == pytest.approx(1.25e9 * (3 + 29 / 31) + 6.90e9 + 0.15e9 * (5 + 29 / 31))
    assert nc.book_run_rate_usd(book, D(2026, 10, 1)) == pytest.approx(12 * (1.25e9 + 0.92e9 + 0.15e9))


def test_google_delivery_failure_path_by_hand():
    s = nc.load_scenario("params/base.yaml")
    google = nc.book_of(s).deal("Google - SpaceX")
    # not delivered by 30 Sep 2026, one month's grace: no service from 1 Nov 2026
    assert nc.delivery_failure_date(google) == D(2026, 11, 1)
    paths = nc.book_paths(s)
    walk = "delivery_failure: Google - SpaceX"
    assert paths[walk].sum() == pytest.approx(45e9 + (1.38e9 + 0.92e9) + 6.3e9)
    assert paths["full"].sum() == pytest.approx(nc.book_total_contract_value(s))


def test_customer_share_follows_the_book_convention():
    s = nc.load_scenario("params/base.yaml")
    v = nc.seller_book_view(s)
    q3 = v[v.quarter == "2026 Q3"].set_index("source").revenue_usd
    baseline = 18.674e9 / 4 * 1.1542 ** 0.75
    assert q3["baseline"] == pytest.approx(baseline)
    assert q3["Google"] == pytest.approx(1.38e9) and q3["Reflection AI"] == pytest.approx(0.45e9)
    share = v[(v.quarter == "2026 Q3") & (v.source == "Anthropic")].share.iloc[0]
    assert share == pytest.approx(3.75e9 / (baseline + 3.75e9 + 1.38e9 + 0.45e9))
    # the single-deal view agrees with the book view
    single = nc.seller_quarterly_view(s)
    assert single[single.quarter == "2026 Q3"].deal_share.iloc[0] == pytest.approx(share)


@st.composite
def books(draw):
    n = draw(st.integers(min_value=1, max_value=4))
    return Book(tuple(BookDeal(f"deal {i}", f"buyer {i}", draw(deals())) for i in range(n)))


@settings(max_examples=examples(60))
@given(books(), st.dates(min_value=D(2019, 1, 1), max_value=D(2040, 1, 1)), st.floats(min_value=0, max_value=1))
def test_book_figures_are_sums_of_deal_figures(b, as_of, p):
    terms = [d.terms for d in b.deals]
    scale = max(sum(nc.total_contract_value(t) for t in terms), 1.0)
    close = dict(rel=1e-9, abs=1e-6 * scale)
    assert nc.book_total_contract_value(b) == pytest.approx(sum(nc.total_contract_value(t) for t in terms), **close)
    assert nc.book_committed_floor(b) == pytest.approx(sum(nc.committed_floor(t) for t in terms), **close)
    backlog = nc.book_backlog(b, as_of)
    rpos = [nc.remaining_performance_obligation(t, as_of) for t in terms]
    assert backlog.headline_usd == pytest.approx(sum(r.headline_usd for r in rpos), **close)
    assert backlog.enforceable_usd == pytest.approx(sum(r.enforceable_usd for r in rpos), **close)
    assert nc.book_expected_revenue(b, p) == pytest.approx(sum(nc.expected_revenue(t, p) for t in terms), **close)
    quarters = nc.book_revenue_by_quarter(b)
    assert quarters.revenue_usd.sum() == pytest.approx(nc.book_total_contract_value(b), **close)
    for d in b.deals:
        mine = quarters[quarters.deal == d.name].revenue_usd.sum()
        assert mine == pytest.approx(nc.total_contract_value(d.terms), rel=1e-9, abs=1e-6 * scale)
    stops = nc.first_opportunity_stops(b, as_of)
    cut = nc.book_revenue_by_quarter(b, stops=stops).revenue_usd.sum()
    expected = sum(nc.revenue_if_terminated(d.terms, nc.first_exit_on_or_after(d.terms, as_of)) for d in b.deals)
    assert cut == pytest.approx(expected, **close)


def test_every_reading_of_the_termination_terms_has_its_scenario():
    s = nc.load_scenario("params/base.yaml")
    readings = nc.committed_floor_by_reading(s)
    assert list(readings.earliest_notice_date) == [D(2026, 5, 3), D(2026, 7, 30), D(2026, 8, 1), D(2026, 10, 28)]
    for r in readings.itertuples():
        other = nc.load_scenario(f"params/{r.scenario}.yaml")
        assert other.deal.earliest_notice_date == r.earliest_notice_date
        assert nc.committed_floor(other) == pytest.approx(r.committed_floor_usd)
    # 180-day lease then notice: 1 May-31 Dec 2026 (1.25 + 6 * 1.25) and 25 of January's 31 days
    assert readings.committed_floor_usd.iloc[-1] == pytest.approx(1.25e9 + 7.5e9 + 1.25e9 * 25 / 31)


def test_summary_json_covers_the_book(base_summary_json):
    res = base_summary_json  # `neocloud summary params/base.yaml --json`, run once for the test run
    assert res.returncode == 0, res.stderr
    f = json.loads(res.stdout)
    assert f["schema_version"] == 2 and f["terms"]["earliest_notice_date"] == "2026-08-01"
    b = f["book"]
    assert [d["buyer"] for d in b["deals"]] == ["Anthropic", "Google", "Reflection AI"]
    assert b["deals"][1]["terms"]["earliest_notice_date"] == "2027-01-01"
    for key in ("total_contract_value_usd", "committed_floor_usd", "headline_backlog_usd", "enforceable_rpo_usd",
                "expected_revenue_usd"):
        assert b[key] == pytest.approx(sum(d[key] for d in b["deals"]))
    assert b["peak_customer_share"] == {"customer": "Anthropic", "quarter": "2026 Q3",
                                        "share": pytest.approx(0.3479, abs=1e-4)}
    assert [r["committed_floor_usd"] for r in f["termination_readings"]] == sorted(
        r["committed_floor_usd"] for r in f["termination_readings"])


BASE = read_scenario_data(Path("params/base.yaml"))   # the book read from the ledger, written out


@pytest.mark.parametrize("change, expected", [
    (lambda d: d["other_deals"][1].update(deal_name=d["other_deals"][0]["deal_name"]),
     "key 'other_deals.1.deal_name': value 'Google - SpaceX': each deal of a book needs its own name"),
    (lambda d: d["other_deals"][0]["terms"]["end"].update(value=D(2026, 1, 1)),
     "key 'other_deals.0.terms.end.value': value 2026-01-01: must be on or after other_deals.0.terms.start (2026-07-01)"),
    (lambda d: d["other_deals"][0]["terms"]["earliest_notice_date"].update(value=D(2030, 1, 1)),
     "key 'other_deals.0.terms.earliest_notice_date.value': value 2030-01-01: lets the first notice fall on 2030-01-01"),
    (lambda d: d["termination_readings"][0].update(earliest_notice_date=D(2026, 6, 1)),
     "give either 'lockup_months' or 'earliest_notice_date'"),
    (lambda d: d["other_deals"][0]["gpus_h100e"].pop("assumption"),
     "key 'other_deals.0.gpus_h100e': value"),
    (lambda d: d["key_dates"]["signed"].update(value=D(2030, 1, 1)),
     "key 'key_dates.signed.value': value 2030-01-01: lets the first notice fall on 2030-01-01 (the signing on 2030-01-01)"),
])
def test_bad_book_files_name_the_key_and_value(change, expected):
    data = copy.deepcopy(BASE)
    change(data)
    with pytest.raises(ScenarioError) as info:
        validate_scenario(data, "book.yaml")
    assert expected in str(info.value), str(info.value)
    assert str(info.value).startswith("book.yaml: ")


def test_the_index_shows_the_book():
    from neocloud.pipeline.index import index_rows

    rows = {r["label"]: r["cells"] for r in index_rows([nc.load_scenario("params/base.yaml")])}
    assert rows["Book: total contract value"] == ["$83.04B"]
    assert rows["Book: headline backlog / enforceable RPO at the reporting date"] == ["$81.79B / $12.71B"]
    assert rows["Committed floor over the readings of the terms"] == ["$2.50B to $9.76B (4 readings)"]


def test_what_the_undisclosed_terms_move_by_hand():
    f = nc.book_assumption_swings(nc.load_scenario("params/base.yaml")).set_index(["deal", "assumption", "setting"])
    total = f.total_contract_value_usd
    # Google from October with no ramp loses its 3 ramp months at half of $920M
    assert total["Google - SpaceX", "start of service, no ramp", dt.date(2026, 10, 1)] == pytest.approx(83.04e9 - 1.38e9)
    # Reflection to June 2029 (as the other deals) instead of December: 6 months of $150M fewer
    assert total["Reflection AI - SpaceX, Colossus 2", "end of service", dt.date(2029, 6, 30)] == pytest.approx(83.04e9 - 0.9e9)
    # Anthropic's ramp free or full: two months of $1.25B at 0% or 100% instead of 50%
    assert total["xAI (SpaceX) - Anthropic, Colossus 1", "ramp discount", 0.0] == pytest.approx(83.04e9 + 1.25e9)
    assert ("Reflection AI - SpaceX, Colossus 2", "ramp discount", 0.0) not in total.index  # no ramp to discount


# ---- every ledger record readable in a scenario's book (issue 19) ----------------------------

_LEDGER = nc.load_ledger()
_BASE_DATA = read_scenario_data(Path("params/base.yaml"))


def _seller_scenario(seller: str, deal: str, as_of: dt.date) -> "nc.Scenario":
    """The base case's inputs with the book of ``seller`` (its contract ``deal``) at ``as_of``."""
    data = copy.deepcopy(_BASE_DATA)
    for k in ("deal_name", "seller_name", "buyer_name", "other_deals"):
        data.pop(k, None)
    record = _LEDGER.contract(deal)
    data["terms"] = {} if record.capacity_mw is not None else {
        "capacity_mw": {"value": 100.0, "assumption": True, "note": "the per-MW figures need one; the book figures do not"}}
    data.update(book={"seller": seller, "deal": deal}, termination_readings=[], headlines=[],
                as_of={"value": as_of.isoformat(), "assumption": True, "note": "a reporting date of the test"})
    data["key_dates"] = {k: v for k, v in data["key_dates"].items() if k != "signed"}
    data["seller"] = {k: v for k, v in data["seller"].items() if k not in ("ledger_name", "segment_revenue")}
    return validate_scenario(data, f"{seller}.yaml")


@settings(max_examples=examples(40))
@given(st.sampled_from(_LEDGER.sellers), st.dates(min_value=D(2023, 1, 1), max_value=D(2028, 12, 31)), st.data())
def test_a_scenarios_book_gives_the_ledgers_figures_for_every_seller(seller, as_of, data):
    from hypothesis import assume
    from neocloud.model.ledger import seller_book

    signed = [c for c in _LEDGER.contracts if c.seller == seller and c.signed.value <= as_of]
    assume(signed)
    deal = data.draw(st.sampled_from([c.id for c in signed]))
    s = _seller_scenario(seller, deal, as_of)   # take-or-pay, delivery steps, undisclosed capacity: all readable
    ledger = seller_book(_LEDGER, seller, as_of).to_json()   # what `neocloud ledger --seller X --json` prints
    assert sorted([deal] + [o.contract for o in s.other_deals]) == sorted(c["id"] for c in ledger["contracts"])
    close = dict(rel=1e-9, abs=1e-3)
    totals = ledger["totals"]
    assert nc.book_total_contract_value(s) == pytest.approx(totals["total_contract_value_usd"], **close)
    assert nc.book_committed_floor(s) == pytest.approx(totals["committed_floor_usd"], **close)
    backlog = nc.book_backlog(s, as_of)
    assert backlog.headline_usd == pytest.approx(totals["headline_backlog_usd"], **close)
    assert backlog.enforceable_usd == pytest.approx(totals["enforceable_rpo_usd"], **close)
    by_id = {c["id"]: c for c in ledger["contracts"]}
    for contract, d in zip([deal] + [o.contract for o in s.other_deals], nc.book_of(s).deals):
        row = by_id[contract]
        assert d.terms.monthly_fee_usd == pytest.approx(row["monthly_fee_usd"], rel=1e-12)
        assert row["earliest_notice_date"] == (None if d.terms.take_or_pay else d.terms.earliest_notice_date.isoformat())
        assert nc.remaining_performance_obligation(d.terms, as_of).enforceable_usd == pytest.approx(row["enforceable_rpo_usd"], **close)
        record = _LEDGER.contract(contract)
        assert (d.terms.take_or_pay, d.terms.delivery_steps) == (record.terms().take_or_pay, record.terms().delivery_steps)
        if contract != deal:   # never invented: undisclosed capacity and GPU counts stay undisclosed
            assert (d.terms.capacity_mw is None) == (record.capacity_mw is None)
            assert (d.gpus_h100e is None) == (record.gpus_h100e is None)
