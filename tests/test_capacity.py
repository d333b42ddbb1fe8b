"""Dual monetisation: the capacity ledger is sourced and consistent; the figures by hand."""

from __future__ import annotations

import datetime as dt

import pytest

import neocloud as nc

D = dt.date


def test_ledger_and_signals_are_sourced_row_by_row():
    for frame in (nc.capacity_ledger(), nc.own_use_signals()):
        assert frame.source_url.str.match(r"^https?://\S+$").all()
        assert all(D(2024, 1, 1) <= d <= D(2026, 12, 31) for d in frame.date)
    c = nc.capacity_ledger()
    assert set(c.kind) == {"owned", "planned", "rented"}
    rented = c[c.kind == "rented"]
    assert set(rented.party) == {"Anthropic", "Google", "Reflection AI"}
    # a deal that gives GPUs but no MW is marked an assumption
    assert rented[rented.party != "Anthropic"].assumption.all() and not rented[rented.party == "Anthropic"].assumption.any()
    assert set(rented[rented.assumption].mw_basis) == {"assumed"}


def test_rented_never_exceeds_owned():
    s = nc.load_scenario("params/base.yaml")
    day = D(2026, 1, 1)
    while day <= D(2030, 1, 1):
        owned, rented = nc.owned_capacity(day), nc.rented_capacity(s, day)
        assert rented["mw"] <= owned["mw"], day
        if owned["h100e"] is not None:
            assert rented["h100e"] <= owned["h100e"], day
        day += dt.timedelta(days=15)


def test_capacity_figures_by_hand():
    s = nc.load_scenario("params/base.yaml")
    f = nc.capacity_figures(s)
    # 30 Jun 2026: Colossus 1 (300 MW) and Colossus 2 as measured (946 MW); Anthropic rents 300 MW
    assert f["owned_mw"] == 1246 and f["rented_mw"] == 300 and f["rented_share"] == pytest.approx(300 / 1246)
    assert f["rental_usd_per_mw_year"] == pytest.approx(12 * 1.25e9 / 300)
    # Q1 2026: $818M a quarter, all 1,300 MW (the claim, before the measurement) kept for own use
    # (Anthropic's service began in May)
    assert f["own_use_usd_per_mw_year"] == pytest.approx(4 * 818e6 / 1300)
    q = nc.rented_share_by_quarter(s).set_index("quarter")
    # from July 2026: Anthropic 300 + Google 225 (assumed) + Reflection 38 (assumed) of 1,246 MW
    assert q.rented_share["2026 Q3"] == pytest.approx(563 / 1246)
    assert q.rented_share_h100e["2026 Q3"] == pytest.approx((276_000 + 275_000 + 45_000) / 1_530_000)
    first = nc.rented_share_by_quarter(s, nc.first_opportunity_stops(s, D(2026, 6, 12))).set_index("quarter")
    # Anthropic's service ends 29 Oct 2026 and Reflection's 29 Dec; Google's runs to 31 Mar 2027
    assert first.rented_mw["2026 Q4"] == 225 and first.rented_mw["2027 Q2"] == 0


def test_rented_share_under_market_exits():
    s = nc.load_scenario("params/base.yaml")
    b = nc.book_rational_exit(s, n_paths=4000)
    m = nc.rented_share_under_exits(s, b.service_ends).set_index("quarter")
    full = nc.rented_share_by_quarter(s).set_index("quarter")
    assert (m.expected_rented_share <= full.rented_share + 1e-12).all()
    assert m.expected_rented_share["2026 Q3"] == pytest.approx(full.rented_share["2026 Q3"])  # nobody can leave yet


def test_summary_json_has_the_capacity_object():
    f = nc.headline_figures(nc.load_scenario("params/base.yaml"))
    assert {"owned_mw", "rented_mw", "rented_share", "rental_usd_per_mw_year", "own_use_usd_per_mw_year"} <= set(f["capacity"])


# --------------------------------------------------------------------------------------------
# Capacity is kept per owner: a seller without a capacity ledger gets none, never another's


def test_capacity_rows_name_their_owner_as_the_ledger_names_sellers():
    sellers = set(nc.load_ledger().sellers)
    for frame in (nc.capacity_ledger(), nc.own_use_signals()):
        assert set(frame.owner) <= sellers and set(frame.owner) == {"SpaceX"}


def test_an_owners_figures_are_its_own_rows_only():
    import pandas as pd

    spacex = nc.capacity_ledger("SpaceX")
    other = pd.DataFrame([
        {**spacex.iloc[0].to_dict(), "owner": "CoreWeave", "site": "Plano", "kind": "owned", "mw": 40.0, "h100e": float("nan"),
         "date": D(2025, 1, 1)},
        {**spacex.iloc[0].to_dict(), "owner": "CoreWeave", "site": "Plano", "kind": "owned", "mw": 55.0, "h100e": float("nan"),
         "date": D(2026, 1, 1)},
    ])
    both = pd.concat([spacex, other], ignore_index=True)
    on = D(2026, 6, 30)
    # by hand: SpaceX owns Colossus 1 (300) and Colossus 2 as measured (946); CoreWeave its latest Plano row, 55
    assert nc.owned_capacity(on, both, owner="SpaceX")["mw"] == 1246.0
    assert nc.owned_capacity(on, both, owner="coreweave")["mw"] == 55.0
    assert nc.owned_capacity(on, both, owner="IREN") == {"mw": None, "h100e": None}
    assert nc.owned_capacity(D(2024, 12, 31), both, owner="CoreWeave")["mw"] == 0.0   # rows, none yet: owns nothing


def _as_seller(s, name):
    return s.model_copy(update={"seller": s.seller.model_copy(update={"ledger_name": name})})


@pytest.mark.parametrize("name", ["CoreWeave", "IREN", None])
def test_a_seller_without_a_capacity_ledger_gets_no_capacity_figures(name):
    from neocloud.model.capacity import capacity_figures, no_capacity_data, own_use_revenue_per_mw_year

    s = _as_seller(nc.load_scenario("params/base.yaml"), name)
    missing = f"no capacity data for {name or s.seller_name}"
    assert no_capacity_data(s) == missing
    f = capacity_figures(s)
    assert all(f[k] is None for k in ("owned_mw", "rented_mw", "rented_share", "rental_usd_per_mw_year", "own_use_usd_per_mw_year"))
    assert f["note"].startswith(missing) and f["own_use_basis"] == missing
    shares = nc.rented_share_by_quarter(s)
    assert shares.owned_mw.isna().all() and shares.rented_share.isna().all() and shares.rented_share_h100e.isna().all()
    assert own_use_revenue_per_mw_year(s) == {"usd_per_mw_year": None, "basis": missing}
    from neocloud.analysis.checks import scenario_warnings

    warnings = scenario_warnings(s)
    assert [w for w in warnings if missing in w and "show no owned capacity" in w], warnings


def _later_base(tmp_path, as_of: str):
    from pathlib import Path

    (tmp_path / "base.yaml").write_text(Path("params/base.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "later.yaml"
    path.write_text(f"extends: base.yaml\nas_of:\n  value: {as_of}\n  assumption: true\n  note: a later reporting date\n",
                    encoding="utf-8")
    return nc.load_scenario(path)


def test_a_deal_without_capacity_is_left_out_and_named(tmp_path):
    from neocloud.model.capacity import capacity_left_out, capacity_left_out_note, rented_capacity

    s = _later_base(tmp_path, "2026-12-31")   # the undisclosed Q3 contracts ramp from October: in service
    q3 = s.other_deals[-1].deal_name
    assert capacity_left_out(s, dt.date(2026, 12, 31)) == {"mw": [q3], "h100e": [q3]}
    assert capacity_left_out(s, dt.date(2026, 9, 30)) == {"mw": [], "h100e": []}   # not yet in service
    # rented MW sum what is known
    known = sum(d.terms.capacity_mw for d in nc.book_of(s).deals
                if d.terms.capacity_mw is not None and d.terms.start <= dt.date(2026, 12, 31) <= d.terms.end)
    assert rented_capacity(s, dt.date(2026, 12, 31))["mw"] == pytest.approx(known)
    cap = nc.capacity_figures(s)
    assert q3 in cap["left_out"] and "capacity not disclosed" in cap["left_out"]
    assert cap["left_out"] == capacity_left_out_note(s, dt.date(2026, 12, 31))
    # the rental price per MW-year is over the deals whose MW are known, with their fees only
    in_service = [d for d in nc.book_of(s).deals if d.terms.start <= s.as_of.value <= d.terms.end and d.terms.capacity_mw]
    assert cap["rental_usd_per_mw_year"] == pytest.approx(12 * sum(d.terms.monthly_fee_usd for d in in_service)
                                                          / sum(d.terms.capacity_mw for d in in_service))
    shares = nc.rented_share_by_quarter(s)
    assert shares.rented_mw.notna().all() and shares.rented_share.notna().all()   # no NaN where owned MW are known
    assert "left_out" not in nc.capacity_figures(nc.load_scenario("params/base.yaml"))   # the shipped figures as they were
