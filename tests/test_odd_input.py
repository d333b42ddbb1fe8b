"""Odd use and bad input (issue 13): each case failed before its fix."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import PARAMS, neocloud_cli
from neocloud import ScenarioError, load_scenario
from neocloud.analysis.checks import scenario_warnings


def _base_text() -> str:
    # the base case in the inline form (deal and other deals written out): text edits reach its terms
    return (PARAMS.parent / "tests" / "data" / "inline_base.yaml").read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("date", ["2026-13-01", "2026-02-30"])
def test_an_unquoted_impossible_date_names_the_key(tmp_path, date):
    p = _write(tmp_path, _base_text().replace("  start:\n    value: 2026-05-01", f"  start:\n    value: {date}", 1))
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert f"key 'terms.start.value': value '{date}': not a calendar date" in str(info.value)
    res = neocloud_cli("check", str(p))
    assert res.returncode == 2 and "Traceback" not in res.stderr


def test_a_key_written_twice_is_an_error(tmp_path):
    p = _write(tmp_path, _base_text().replace("  monthly_fee_usd:\n", "  monthly_fee_usd:\n    value: 1.0\n", 1))
    with pytest.raises(ScenarioError, match=r"the key 'value' is written twice in the same mapping \(first on line \d+\)"):
        load_scenario(p)


def test_a_percentage_for_a_fraction_gets_a_hint(tmp_path):
    p = _write(tmp_path, _base_text().replace("  ramp_discount:\n    value: 0.5", "  ramp_discount:\n    value: 50.0", 1))
    with pytest.raises(ScenarioError, match=r"write 0.5 for 50%"):
        load_scenario(p)


def test_utf16_is_named(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_bytes(_base_text().encode("utf-16"))
    with pytest.raises(ScenarioError, match="UTF-16 text; save it as UTF-8"):
        load_scenario(p)


def test_a_link_to_a_system_file_is_refused(tmp_path):
    link = tmp_path / "s.yaml"
    os.symlink("/etc/hostname", link)
    with pytest.raises(ScenarioError, match="is a link to /etc/hostname, not to a .yaml scenario"):
        load_scenario(link)


def test_suspicious_values_are_warnings(tmp_path):
    text = _base_text().replace("  monthly_fee_usd:\n    value: 1250000000.0", "  monthly_fee_usd:\n    value: 1.25", 1)
    p = _write(tmp_path, text)
    warnings = scenario_warnings(load_scenario(p))
    assert any("under $1,000 a month" in w for w in warnings)
    res = neocloud_cli("check", str(p))
    assert res.returncode == 0 and "warning: key 'terms.monthly_fee_usd.value': value 1.25" in res.stderr
    assert "(1 warning(s))" in res.stdout


def test_a_short_contract_gets_its_tornado():
    import datetime as dt

    import neocloud as nc

    # four months at most: the tornado's "6 months earlier" end stops at the start
    t = nc.DealTerms(1e9, dt.date(2026, 5, 1), dt.date(2026, 7, 31), ramp_months=1, ramp_discount=0.5,
                     notice_days=30, lockup_months=0)
    from neocloud.analysis.sensitivity import _swung

    shorter, _ = _swung(t, 0.05, "end", -6.0)
    assert shorter.end == t.start
    s = nc.validate_scenario(_short_scenario(), "short.yaml")
    tor = nc.tornado(s)
    assert set(tor.input) == set(nc.TORNADO_LABELS)


def _short_scenario():
    import copy

    from neocloud.inputs.scenario import read_scenario_data

    data = copy.deepcopy(read_scenario_data(PARAMS / "base.yaml"))
    import datetime as dt

    data["terms"]["end"]["value"] = dt.date(2026, 7, 31)
    data["terms"]["ramp_months"]["value"] = 1
    data["terms"]["notice_days"]["value"] = 30
    data["terms"]["lockup_months"]["value"] = 0
    # readings that give a first notice after the end are refused for so short a term: keep those that fit
    data["termination_readings"] = [r for r in data["termination_readings"]
                                    if r.get("lockup_months", 99) < 3 or str(r.get("earliest_notice_date", "9")) <= "2026-07-31"]
    return data


def test_outputs_that_cannot_be_written_get_a_message(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    res = neocloud_cli("render", "params/base.yaml", "--outputs", str(blocker / "out"))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert f"cannot write to {blocker / 'out'}" in res.stderr


def _small_render(tmp_path: Path, *args: str):
    from helpers import make_notebook

    nbs = tmp_path / "nbs"
    if not nbs.exists():
        make_notebook(nbs / "one.ipynb", "print(scenario['title'])")
    return neocloud_cli("render", "--notebooks", str(nbs), "--outputs", str(tmp_path / "out"), *args)


def test_a_same_named_scenario_from_elsewhere_never_overwrites(tmp_path):
    params, elsewhere = tmp_path / "params", tmp_path / "elsewhere"
    params.mkdir()
    elsewhere.mkdir()
    (params / "base.yaml").write_text(_base_text(), encoding="utf-8")
    (elsewhere / "base.yaml").write_text(_base_text().replace('title: "Base case', 'title: "Copy', 1), encoding="utf-8")
    assert _small_render(tmp_path, "--params", str(params)).returncode == 0
    before = (tmp_path / "out" / "base" / "one.html").read_bytes()
    res = _small_render(tmp_path, "--params", str(params), str(elsewhere / "base.yaml"))
    assert res.returncode == 2 and "which holds the reports of" in res.stdout and "Traceback" not in res.stderr
    assert (tmp_path / "out" / "base" / "one.html").read_bytes() == before
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert index.count('href="base/one.html"') == 1 and "Copy" not in index


def test_the_index_states_what_the_reports_on_disk_say(tmp_path):
    params = tmp_path / "params"
    params.mkdir()
    mine = params / "mine.yaml"
    mine.write_text(_base_text(), encoding="utf-8")
    (params / "other.yaml").write_text(_base_text(), encoding="utf-8")
    assert _small_render(tmp_path, "--params", str(params)).returncode == 0
    # edit mine, then render only the other file: mine's reports still say $45.0B, so must the index
    mine.write_text(_base_text().replace("    value: 1250000000.0", "    value: 1000000000.0", 1), encoding="utf-8")
    assert _small_render(tmp_path, "--params", str(params), str(params / "other.yaml")).returncode == 0
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "$36.0B" not in index.replace("\\$", "$") and index.count("$45.0B") >= 2
    # rendering mine brings its reports and the index to the edit together
    assert _small_render(tmp_path, "--params", str(params), str(mine)).returncode == 0
    assert "$36.0B" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


def test_a_folder_or_a_file_that_is_no_scenario(tmp_path):
    params = tmp_path / "params"
    params.mkdir()
    (params / "a.yaml").write_text(_base_text(), encoding="utf-8")
    res = _small_render(tmp_path, "--params", str(params), str(params))  # a folder: its *.yaml
    assert res.returncode == 0 and "1 rendered" in res.stdout
    res = _small_render(tmp_path, "--params", str(params), "README.md")
    assert res.returncode == 2 and "README.md" in res.stdout
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "README" not in index  # not a scenario: no row in the index


def test_odd_file_names_and_direction_controls(tmp_path):
    from urllib.parse import quote

    params = tmp_path / "params"
    params.mkdir()
    name = "Q3 #2 ünï?"
    (params / f"{name}.yaml").write_text(
        _base_text().replace('title: "Base case', 'title: "Deal \u202e Base case', 1), encoding="utf-8")
    assert _small_render(tmp_path, "--params", str(params)).returncode == 0
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    href = f'href="{quote(name)}/one.html"'
    assert href in index and (tmp_path / "out" / name / "one.html").is_file()
    assert "\u202e" not in index
    from neocloud.report.narrative import esc

    assert "\u202e" not in esc("x \u202e 45.0B")


def test_partial_notebooks_from_earlier_failures_are_mentioned(tmp_path):
    params = tmp_path / "params"
    params.mkdir()
    (params / "a.yaml").write_text(_base_text(), encoding="utf-8")
    stale = tmp_path / "out" / "_failed" / "gone" / "one.ipynb"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    res = _small_render(tmp_path, "--params", str(params))
    assert res.returncode == 0 and "1 partial notebook(s) from earlier failed renders remain" in res.stdout


def test_workers_die_with_their_parent(tmp_path):
    import signal
    import subprocess
    import sys

    from conftest import ROOT
    from helpers import make_notebook, touch_code, wait_for, wait_for_file_code

    params = tmp_path / "params"
    params.mkdir()
    (params / "a.yaml").write_text(_base_text(), encoding="utf-8")
    started, never = tmp_path / "started", tmp_path / "never"
    make_notebook(tmp_path / "nbs" / "one.ipynb", touch_code(started), wait_for_file_code(never))
    proc = subprocess.Popen([sys.executable, "-m", "neocloud.commands.cli", "render", "--params", str(params), "--notebooks",
                             str(tmp_path / "nbs"), "--outputs", str(tmp_path / "out"), "--jobs", "1"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(started.exists, "the worker's kernel to start the notebook")
    workers = [int(p) for p in subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()]
    assert workers, "the render has a worker process"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)

    def gone() -> bool:
        return all(not Path(f"/proc/{w}").exists() or "zombie" in Path(f"/proc/{w}/status").read_text().lower()
                   for w in workers)

    wait_for(gone, "the orphaned worker to stop", timeout_s=60)


# --------------------------------------------------------------------------------------------
# Issue 22 item 2, issue 23 item 6: readings validated like terms and named by identity; warnings
# whose premise holds; accepted values the code can compute with.


def _base_data() -> dict:
    from neocloud.inputs.scenario import read_scenario_data

    return read_scenario_data(PARAMS / "base.yaml")   # the book read from the ledger, written out


def _problem(data: dict) -> str:
    from neocloud import validate_scenario

    with pytest.raises(ScenarioError) as info:
        validate_scenario(data, "r.yaml")
    return str(info.value)


READING_CASES = {
    "first notice after the end": (lambda r: r[1].update(earliest_notice_date="2030-01-01"),
                                   "key 'termination_readings.1.earliest_notice_date': value 2030-01-01: lets the first notice fall on 2030-01-01"),
    "lock-up outlasting the term": (lambda r: r[0].update(lockup_months=100),
                                    "key 'termination_readings.0.lockup_months': value 100: must be at most the 37 calendar months"),
    "lock-up of 100,000 months": (lambda r: r[0].update(lockup_months=100000),
                                  "key 'termination_readings.0.lockup_months': value 100000: Input should be less than or equal to 360"),
    "a label twice": (lambda r: r[2].update(label=r[0]["label"]), "key 'termination_readings.2.label'"),
    "a label like the scenario's own": (lambda r: r[3].update(label="This scenario"),
                                        "'this scenario' names the scenario's own reading"),
    "an id twice": (lambda r: r[3].update(id=r[1]["id"]), "key 'termination_readings.3.id': value 'musk_180_days_in_all': each reading needs its own id"),
    "no id": (lambda r: r[0].pop("id"), "key 'termination_readings.0.id' is missing (required)"),
    "an id that is not a key": (lambda r: r[0].update(id="this scenario"), "key 'termination_readings.0.id'"),
}


@pytest.mark.parametrize("case", READING_CASES, ids=list(READING_CASES))
def test_readings_are_checked_like_terms(case):
    edit, expected = READING_CASES[case]
    data = _base_data()
    edit(data["termination_readings"])
    message = _problem(data)
    assert expected in message and "(top level)" not in message, message


def test_readings_are_named_by_id_never_by_label():
    import neocloud as nc
    from neocloud.analysis.sweeps import all_choices

    data = _base_data()
    # two readings whose labels look alike, and one whose label is another's id: ids decide
    data["termination_readings"][0]["label"] = "musk_180_days_in_all"
    s = nc.validate_scenario(data, "r.yaml")
    assert all_choices(s, "termination_reading") == ["this scenario", "original_s1", "musk_180_days_in_all", "amended_s1",
                                                     "musk_lease_then_notice"]
    assert nc.reading_terms(s, "musk_180_days_in_all").earliest_notice_date.isoformat() == "2026-07-30"
    assert nc.reading_terms(s, "original_s1").lockup_months == 0
    with pytest.raises(ValueError, match="no termination reading with id"):
        nc.reading_terms(s, data["termination_readings"][1]["label"])
    lines, floors = nc.readings_grid(s)
    assert floors.id.tolist()[0] == "this scenario" and floors.reading.is_unique
    assert floors.set_index("id").reading["original_s1"] == "musk_180_days_in_all"  # the label, shown to people


def test_the_ipo_warning_does_not_fire_for_a_seller_already_listed():
    from neocloud import validate_scenario

    data = _base_data()  # IPO 12 Jun 2026, before the reporting date 30 Jun 2026: listed
    data["key_dates"]["signed"]["value"] = data["key_dates"]["ipo"]["value"].replace(day=20)
    assert not [w for w in scenario_warnings(validate_scenario(data)) if "key_dates.ipo" in w]
    data["as_of"]["value"] = data["key_dates"]["ipo"]["value"].replace(day=1)  # the IPO still to come, before the signing
    warnings = [w for w in scenario_warnings(validate_scenario(data)) if "key_dates.ipo" in w]
    assert warnings and "before the signing" in warnings[0]


def test_a_quarters_own_results_are_not_hindsight():
    import datetime as dt

    from neocloud import validate_scenario

    data = _base_data()
    data["as_of"]["value"] = dt.date(2026, 3, 31)  # a back-test on the quarter's end
    data["seller"]["segment_revenue"][1]["source"]["date"] = dt.date(2026, 5, 1)  # its Q1 results, published after
    data["seller"]["segment_revenue"][1]["source"]["dated"] = "published"
    warnings = scenario_warnings(validate_scenario(data))
    assert not [w for w in warnings if w.startswith("key 'seller.segment_revenue.1.")]
    # a published figure about later events is hindsight, and an undated (gathered) source is not dated after
    assert [w for w in warnings if w.startswith("key 'terms.monthly_fee_usd.source.date'") and "published after" in w]
    gathered = [k for k, _, i in validate_scenario(data).inputs() if i.source is not None and i.source.dated == "gathered"
                and i.source.date > dt.date(2026, 3, 31)]
    assert gathered and not [w for w in warnings if any(w.startswith(f"key '{k}.") for k in gathered)]


def test_more_mw_rented_than_owned_is_a_warning():
    from neocloud import validate_scenario

    data = _base_data()
    data["other_deals"][0]["terms"]["capacity_mw"]["value"] = 5000.0
    warnings = scenario_warnings(validate_scenario(data))
    assert any(w.startswith("key 'other_deals.0.terms.capacity_mw.value': value 5000") and "more than it owns" in w for w in warnings)


@pytest.mark.parametrize("name, typed, hint", [("volatility_per_year", 40, "write 0.4 for 40%"),
                                               ("drift_per_year", 5, "write 0.05 for 5%")])
def test_a_percent_typed_for_the_market_gets_a_hint(name, typed, hint):
    data = _base_data()
    data["market"][name] = {"value": typed, "assumption": True, "note": "typed as a percent"}
    assert f"key 'market.{name}.value': value {typed}" in _problem(data) and hint in _problem(data)
    data["market"][name]["value"] = 1.8 if name == "drift_per_year" else 2.5  # possible, implausible: a warning
    from neocloud import validate_scenario

    assert any(w.startswith(f"key 'market.{name}.value'") for w in scenario_warnings(validate_scenario(data)))


def test_check_accepts_nothing_that_summary_cannot_compute(tmp_path):
    import json

    # the longest term and lock-up accepted, at the largest fee: summary answers in bounded time, in JSON
    text = (_base_text().replace("    value: 2029-05-31\n", "    value: 2056-04-30\n", 1)
            .replace("  lockup_months:\n    value: 3\n", "  lockup_months:\n    value: 359\n", 1)
            .replace("    value: 1250000000.0\n", "    value: 1.0e14\n", 1))
    p = _write(tmp_path, text)
    assert neocloud_cli("check", str(p)).returncode == 0
    res = neocloud_cli("summary", str(p), "--json", timeout=300)
    assert res.returncode == 0, res.stderr
    json.loads(res.stdout, parse_constant=lambda c: pytest.fail(f"not JSON: {c}"))
