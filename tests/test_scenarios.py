"""Scenario files: every input sourced, every mistake a clear message, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

import neocloud as nc
from neocloud import ScenarioError, load_scenario, scenario_json_schema

from conftest import NOTEBOOKS, PARAMS, SCENARIOS, neocloud_cli

BASE_TEXT = (PARAMS / "base.yaml").read_text(encoding="utf-8")
INLINE_TEXT = (Path(__file__).parent / "data" / "inline_base.yaml").read_text(encoding="utf-8")
"""The base case in the inline form (its deal and other deals written out, no ``book``): what
every scenario was before books were read from the ledger, and what a user writes for a deal the
ledger does not hold. Its mistakes are reported as before."""


def write(tmp_path: Path, text: str | bytes, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_is_valid_and_sourced(path):
    s = load_scenario(path)
    for key, _, item in s.inputs():
        assert item.source is not None or (item.assumption and item.note), key
    assert len(SCENARIOS) >= 4


def test_scenarios_answer_different_questions():
    loaded = [load_scenario(p) for p in SCENARIOS]
    assert len({s.question for s in loaded}) == len(loaded)
    assert len({json.dumps(nc.headline_figures(s).to_json(), sort_keys=True) for s in loaded}) == len(loaded)


def test_schema_is_checked_in_and_current():
    checked_in = json.loads((PARAMS / "scenario.schema.json").read_text())
    assert checked_in == json.loads(json.dumps(scenario_json_schema())), "run: neocloud schema --write"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_schema_accepts_every_scenario(path):
    data = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
    jsonschema.validate(data, json.loads((PARAMS / "scenario.schema.json").read_text()))


CASES = {
    "unknown key": (("    value: 1250000000.0\n", "    value: 1250000000.0\n    valeu: 3\n"),
                    ["terms.monthly_fee_usd.valeu", "unknown key", "allowed here:", "value"]),
    "wrong type": (("    value: 300.0\n", '    value: "300"\n'), ["terms.capacity_mw.value", "'300'", "valid number"]),
    "negative fee": (("    value: 1250000000.0\n", "    value: -5.0\n"), ["terms.monthly_fee_usd.value", "-5.0", "greater than 0"]),
    "zero fee": (("    value: 1250000000.0\n", "    value: 0\n"), ["terms.monthly_fee_usd.value", "greater than 0"]),
    "end before start": (("    value: 2029-05-31\n", "    value: 2026-04-30\n"), ["terms.end.value", "2026-04-30", "on or after terms.start (2026-05-01)"]),
    "discount above 1": (("    value: 0.5\n", "    value: 1.5\n"), ["terms.ramp_discount.value", "1.5", "less than or equal to 1"]),
    "discount below 0": (("    value: 0.5\n", "    value: -0.1\n"), ["terms.ramp_discount.value", "-0.1", "greater than or equal to 0"]),
    "notice longer than the term": (("    value: 90\n", "    value: 5000\n"), ["terms.notice_days.value", "5000", "at most the 1127 days"]),
    "date as a number": (("    value: 2026-05-01\n", "    value: 20260501\n"), ["terms.start.value", "20260501", "YYYY-MM-DD"]),
    "impossible date": (("    value: 2029-05-31\n", '    value: "2029-02-30"\n'), ["terms.end.value", "not a calendar date"]),
    "no source": (("      quote: \"more than 300 megawatts of new capacity (over 220,000 NVIDIA GPUs) within the month\"\n",
                   "      quote: \"more than 300 megawatts of new capacity (over 220,000 NVIDIA GPUs) within the month\"\n    assumption: true\n"),
                  ["terms.capacity_mw", "either a 'source' or 'assumption: true', not both"]),
    # issue 22 item 2 and issue 23 item 6: periods in order, bounded terms, readings checked as terms
    "revenue period ends before it starts": (("      period_start: 2026-01-01\n      period_end: 2026-03-31\n",
                                               "      period_start: 2026-03-31\n      period_end: 2026-01-01\n"),
                                              ["seller.segment_revenue.1.period_end", "2026-01-01", "on or after period_start (2026-03-31)"]),
    "end in 9999": (("    value: 2029-05-31\n", "    value: 9999-12-31\n"), ["terms.end.value", "9999-12-31", "from 1900-01-01 to 2200-12-31"]),
    "a term of 100 years": (("    value: 2029-05-31\n", "    value: 2126-05-31\n"), ["terms.end.value", "at most 30 years after terms.start", "2056-05-01"]),
    "lock-up of 100,000 months": (("  lockup_months:\n    value: 3\n", "  lockup_months:\n    value: 100000\n"),
                                  ["key 'terms.lockup_months.value': value 100000", "less than or equal to 360"]),
    "lock-up longer than the term": (("  lockup_months:\n    value: 3\n", "  lockup_months:\n    value: 40\n"),
                                     ["terms.lockup_months.value", "at most the 37 calendar months of the term"]),
    "absurd fee": (("    value: 1250000000.0\n", "    value: 1.0e300\n"), ["terms.monthly_fee_usd.value", "less than or equal to 100000000000000"]),
    "infinite fee": (("    value: 1250000000.0\n", "    value: .inf\n"), ["terms.monthly_fee_usd.value", "finite number"]),
    "another source's reading as text": (("    other_readings:\n      - value: ", "    other_readings:\n      - value: about "),
                                         ["other_readings.0.value", "a number like the input's own value"]),
    "drift typed as a percent": (("\nmarket:\n", "\nmarket:\n  drift_per_year:\n    value: 5\n    assumption: true\n    note: typed as a percent\n"),
                                 ["market.drift_per_year.value", "write 0.05 for 5%"]),
    "a number with thousands separators": (("    value: 1250000000.0\n", "    value: 1,250,000,000\n"),
                                           ["terms.monthly_fee_usd.value", "write 1250000000 (no thousands separators)"]),
    "a fee with its unit": (("    value: 300.0\n", "    value: 300 MW\n"), ["terms.capacity_mw.value", "write 300 (the unit is in the key name)"]),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_values_name_file_key_value_and_rule(tmp_path, case):
    (old, new), expected = CASES[case]
    assert old in INLINE_TEXT
    text = INLINE_TEXT.replace(old, new, 1)
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(str(path) + ": ")
    for part in expected:
        assert part in message, (part, message)


FILES = {
    "malformed YAML": ("title: [unclosed\n", ["malformed YAML at line"]),
    "empty file": ("", ["file is empty"]),
    "only a comment": ("# nothing\n", ["file is empty"]),
    "a list": ("- 1\n- 2\n", ["top level is a list"]),
    "python object tag": ("title: !!python/object/apply:os.system ['touch /tmp/neocloud-pwned']\n", ["malformed YAML", "python/object"]),
    "billion laughs": ("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(9)), ["aliases", "not allowed"]),
    "deep nesting": ("a: " + "[" * 5000 + "]" * 5000 + "\n", ["nesting deeper than"]),
    "binary junk": (bytes(range(256)) * 40, ["binary"]),
    "latin-1 text": ("title: caf\xe9\n".encode("latin-1"), ["not UTF-8"]),
    "10 MB file": ("title: " + "x" * 10_000_000 + "\n", ["bytes; a scenario may be at most"]),
}


@pytest.mark.parametrize("case", FILES, ids=list(FILES))
def test_hostile_files_fail_fast_and_clearly(tmp_path, case):
    content, expected = FILES[case]
    path = write(tmp_path, content)
    with pytest.raises(ScenarioError) as info:  # how fast: `python -m neocloud.bench` (hostile_files_max_s)
        load_scenario(path)
    for part in expected:
        assert part in str(info.value), (part, str(info.value))
    assert not Path("/tmp/neocloud-pwned").exists()


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.yaml")
    with pytest.raises(ScenarioError, match="not a file"):
        load_scenario(tmp_path)


def test_cli_check_exit_codes(tmp_path):
    bad = write(tmp_path, INLINE_TEXT.replace("    value: 0.5\n", "    value: 7\n", 1), "bad.yaml")
    ok = neocloud_cli("check", *map(str, SCENARIOS))
    assert ok.returncode == 0, ok.stderr
    res = neocloud_cli("check", str(PARAMS / "base.yaml"), str(bad), str(tmp_path / "missing.yaml"))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert f"{bad}: key 'terms.ramp_discount.value': value 7" in res.stderr
    assert "missing.yaml: file not found" in res.stderr


def test_cli_summary_json(base_summary_json):
    res = base_summary_json  # `neocloud summary params/base.yaml --json`, run once for the test run
    assert res.returncode == 0, res.stderr
    f = json.loads(res.stdout)
    assert f["terms"] == {"monthly_fee_usd": 1.25e9, "start": "2026-05-01", "end": "2029-05-31", "ramp_months": 2,
                          "ramp_discount": 0.5, "notice_days": 90, "lockup_months": 3, "capacity_mw": 300.0,
                          "earliest_notice_date": "2026-08-01", "earliest_notice_rule": "the 3-month lock-up"}
    assert f["scenario_file"] == "params/base.yaml" and f["schema_version"] == 2
    assert f["as_of"] == "2026-06-30"
    assert f["total_contract_value_usd"] == 45e9 and f["months"] == 37
    assert f["committed_floor_usd"] == pytest.approx(6_169_354_838.71, abs=0.01)
    assert round(f["usd_per_mw_month"]) == 4_166_667
    assert set(f["usd_per_gpu_hour"]) == {"reported", "h100_equivalent", "colossus_1_and_2"}
    assert f["enforceable_rpo_usd"] == pytest.approx(3.75e9 + 1.25e9 * 29 / 31)
    assert f["headline_backlog_usd"] == 43.75e9


@pytest.mark.parametrize("typed", ["1.25e9", "1.25E9", "1_250_000_000", "1.25e+9", "1250000000", "1.25e9  # USD"])
def test_a_number_is_read_as_typed(tmp_path, typed):
    path = write(tmp_path, INLINE_TEXT.replace("    value: 1250000000.0\n", f"    value: {typed}\n", 1))
    assert load_scenario(path).terms.monthly_fee_usd.value == 1.25e9


def test_the_fee_warning_suggests_a_form_that_is_accepted(tmp_path):
    from neocloud.analysis.checks import scenario_warnings

    low = load_scenario(write(tmp_path, INLINE_TEXT.replace("    value: 1250000000.0\n", "    value: 1.25\n", 1)))
    warning = next(w for w in scenario_warnings(low) if "under $1,000" in w)
    suggested = warning.split("(")[-1].split(" for ")[0]
    fixed = write(tmp_path, INLINE_TEXT.replace("    value: 1250000000.0\n", f"    value: {suggested}\n", 1), "fixed.yaml")
    assert load_scenario(fixed).terms.monthly_fee_usd.value == 1.25e9


def test_cli_summary_json_is_strict_json_at_the_bounds(tmp_path):
    # the largest fee accepted, a term of 30 years: every figure finite, no NaN or Infinity tokens
    text = INLINE_TEXT.replace("    value: 1250000000.0\n", "    value: 1.0e14\n", 1).replace("    value: 2029-05-31\n", "    value: 2056-04-30\n", 1)
    res = neocloud_cli("summary", str(write(tmp_path, text)), "--json")
    assert res.returncode == 0, res.stderr
    assert "NaN" not in res.stdout and "Infinity" not in res.stdout
    json.loads(res.stdout, parse_constant=lambda c: pytest.fail(f"not JSON: {c}"))


def test_summary_json_turns_non_finite_figures_into_null():
    from neocloud.commands.cli import _finite

    text = json.dumps(_finite({"a": float("nan"), "b": [float("inf"), 1.0], "c": {"d": float("-inf")}}), allow_nan=False)
    assert json.loads(text) == {"a": None, "b": [None, 1.0], "c": {"d": None}}


def test_cli_bad_input_never_tracebacks(tmp_path):
    junk = write(tmp_path, b"\x00\x01\x02", "junk.yaml")
    for args in (["summary", str(junk)], ["summary", "nope.yaml", "--json"], ["render", "nope.yaml"], ["render", "--jobs", "0"]):
        res = neocloud_cli(*args)
        assert res.returncode == 2, (args, res.stdout, res.stderr)
        assert "Traceback" not in res.stderr, (args, res.stderr)


# --- scenarios that extend another ------------------------------------------------------------


def test_every_scenario_but_base_states_only_what_differs():
    """The seven scenarios beside the base extend it: each is a few lines, and a source corrected
    in the base is corrected in all of them."""
    from neocloud.inputs.ledger import SHIPPED_LEDGER
    from neocloud.inputs.scenario import scenario_files

    for path in SCENARIOS:
        if path.stem == "base":
            assert scenario_files(path) == [path, SHIPPED_LEDGER]   # its book is read from the ledger
            continue
        assert [p.name for p in scenario_files(path)] == [path.name, "base.yaml", "contracts.yaml"], path
        assert path.stat().st_size < 2500, path
        s = load_scenario(path)
        assert s.terms.monthly_fee_usd.source.url == load_scenario(PARAMS / "base.yaml").terms.monthly_fee_usd.source.url


def test_an_extended_scenario_follows_its_base(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE_TEXT)
    (tmp_path / "mine.yaml").write_text(
        "extends: base.yaml\ntitle: Mine\nterms:\n  ramp_discount:\n    value: 0.25\n    assumption: true\n"
        "    note: a quarter off\n")
    mine = load_scenario(tmp_path / "mine.yaml")
    assert mine.title == "Mine" and mine.terms.ramp_discount.value == 0.25
    # an input replaces the base's whole: its source or assumption with it
    assert mine.terms.ramp_discount.note == "a quarter off"
    # every other key is the base's, and follows an edit of the base
    assert mine.terms.monthly_fee_usd.value == 1.25e9
    (tmp_path / "base.yaml").write_text(INLINE_TEXT.replace("value: 1250000000.0", "value: 1300000000.0", 1))
    assert load_scenario(tmp_path / "mine.yaml").terms.monthly_fee_usd.value == 1.3e9


@pytest.mark.parametrize("files, expected", [
    ({"mine.yaml": "extends: nope.yaml\n"}, "mine.yaml: key 'extends': value 'nope.yaml': no such file"),
    ({"mine.yaml": "extends: 3\n"}, "mine.yaml: key 'extends': value 3: the path of a scenario file"),
    ({"mine.yaml": "extends: mine.yaml\n"}, "mine.yaml: key 'extends': value 'mine.yaml': a loop"),
    ({"mine.yaml": "extends: a.yaml\n", "a.yaml": "extends: mine.yaml\n"}, "a.yaml: key 'extends': value 'mine.yaml': a loop"),
    ({"mine.yaml": "extends: a.yaml\n", "a.yaml": "extends: b.yaml\n", "b.yaml": "extends: c.yaml\n",
      "c.yaml": "extends: d.yaml\n", "d.yaml": "extends: e.yaml\n", "e.yaml": "title: x\n"},
     "key 'extends': value 'e.yaml': more than 4 levels of extends"),
    ({"mine.yaml": "extends: base.yaml\nterms:\n  ramp_discount:\n    value: 2\n    assumption: true\n    note: n\n"},
     "mine.yaml: key 'terms.ramp_discount.value': value 2: Input should be less than or equal to 1"),
])
def test_bad_extends_say_where(tmp_path, files, expected):
    (tmp_path / "base.yaml").write_text(BASE_TEXT)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(ScenarioError) as e:
        load_scenario(tmp_path / "mine.yaml")
    assert expected in str(e.value), str(e.value)
    res = neocloud_cli("check", str(tmp_path / "mine.yaml"))
    assert res.returncode == 2 and expected in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_scenario_a_render_passes_as_data_is_the_file(path):
    """A render hands each scenario to its kernels as JSON data; validated again it is the very
    scenario the file gives (dates in other readings included), or every report would refuse it."""
    import json

    from neocloud.inputs.scenario import scenario_parameters, validate_scenario

    s = load_scenario(path)
    assert validate_scenario(json.loads(json.dumps(scenario_parameters(s), default=str)), path) == s


# --------------------------------------------------------------------------------------------
# Books named from the ledger (issue 19 item 3)

INLINE_BASE = Path(__file__).parent / "data" / "inline_base.yaml"


@pytest.fixture(scope="module")
def inline_params(tmp_path_factory):
    """Every scenario of params/ beside the base case in its inline form: the same files, the
    deals written out instead of read from the ledger."""
    folder = tmp_path_factory.mktemp("inline")
    for path in SCENARIOS:
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "base.yaml").write_text(INLINE_TEXT, encoding="utf-8")
    return folder


def test_the_base_case_names_its_book_and_states_only_what_differs():
    data = yaml.safe_load(BASE_TEXT)
    assert data["book"] == {"seller": "SpaceX", "deal": "spacex-anthropic-colossus-1"}
    assert "other_deals" not in data and set(data.get("terms", {})) <= {"start"}
    assert "seller" not in data.get("key_dates", {}) and "signed" not in data.get("key_dates", {})
    assert not {"segment_revenue", "ledger_name"} & set(data["seller"])   # read from reported.yaml and the book
    assert len(BASE_TEXT.encode("utf-8")) < 0.7 * len(INLINE_TEXT.encode("utf-8"))   # (primary sources made both longer)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_a_book_named_from_the_ledger_gives_the_inline_figures(path, inline_params):
    from neocloud.model.book import book_of

    book, inline = load_scenario(path), load_scenario(inline_params / path.name)
    assert book.deal == inline.deal
    # the same dates (their sources are the ledger's and base.yaml's, which may cite newer pages)
    assert {k: getattr(v, "value", v) for k, v in book.key_dates} == {k: getattr(v, "value", v) for k, v in inline.key_dates}
    assert book_of(book) == book_of(inline)
    assert [o.contract for o in book.other_deals] == ["spacex-google", "spacex-reflection-ai"]
    assert nc.headline_figures(book).to_json() == nc.headline_figures(inline).to_json()


def test_a_book_keeps_the_ledgers_sources_and_the_scenarios_own_readings():
    from neocloud.inputs.ledger import load_ledger

    led = load_ledger()
    free = load_scenario(PARAMS / "free_ramp.yaml")
    record = led.contract("spacex-anthropic-colossus-1")
    assert free.terms.monthly_fee_usd.source == record.monthly_fee_usd.source   # the ledger record's source
    assert free.terms.ramp_discount.value == 1.0 and free.terms.ramp_discount.assumption   # the scenario's own reading
    assert "ramp months given free of charge" in free.terms.ramp_discount.note
    assert free.key_dates.signed.source == record.signed.source
    google = free.other_deals[0]
    assert google.terms.earliest_notice_date.source == led.contract("spacex-google").termination.earliest_notice_date.source
    assert google.delivery.grace_months.value == 1 and google.delivery.grace_months.source is not None
    assert all(i.source is not None or (i.assumption and i.note) for _, _, i in free.inputs())


def _book_scenario(tmp_path: Path, body: str, name: str = "mine.yaml") -> Path:
    (tmp_path / "base.yaml").write_text(BASE_TEXT, encoding="utf-8")
    return write(tmp_path, "extends: base.yaml\n" + body, name)


@pytest.mark.parametrize("as_of, buyers", [
    ("2026-06-04", []),                             # before Google's signing (5 June): the deal alone
    ("2026-06-12", ["Google"]),                     # at the IPO: Reflection AI signed ten days later
    ("2026-06-30", ["Google", "Reflection AI"]),
])
def test_a_book_holds_the_contracts_signed_by_the_reporting_date(tmp_path, as_of, buyers):
    s = load_scenario(_book_scenario(tmp_path, f"as_of:\n  value: {as_of}\n  assumption: true\n  note: a back-test\n"))
    assert [o.buyer_name for o in s.other_deals] == buyers
    # by hand at the IPO (12 June 2026): Anthropic's $45B less May at half fee ($0.625B) and 12 of June's
    # 30 days at half fee ($0.25B); Google's $31.74B, no service yet
    if as_of == "2026-06-12":
        f = nc.headline_figures(s).to_json()["book"]
        assert f["headline_backlog_usd"] == pytest.approx(45e9 - 0.625e9 - 0.25e9 + 31.74e9, abs=0.01)


LATER = "as_of:\n  value: 2026-09-30\n  assumption: true\n  note: the third quarter end of 2026\n"


def test_the_base_case_at_a_later_reporting_date_reads_the_undisclosed_contracts(tmp_path):
    # 15 July 2026: SpaceX's undisclosed contracts ($6.7B in total, no MW or GPU count) join the book
    path = _book_scenario(tmp_path, LATER)
    s = load_scenario(path)
    assert [o.contract for o in s.other_deals] == ["spacex-google", "spacex-reflection-ai", "spacex-undisclosed-q3-2026"]
    q3 = s.other_deals[-1]
    assert q3.gpus is None and q3.gpus_h100e is None and q3.terms.capacity_mw is None   # never invented
    assert q3.terms.monthly_fee_usd.note and "$6,700,000,000 over the term" in q3.terms.monthly_fee_usd.note
    # by hand: its total over the term is the CFO's $6.7B; ramping from October, all of it is backlog on 30 Sep
    assert nc.total_contract_value(q3.deal) == pytest.approx(6.7e9)
    book = nc.headline_figures(s).to_json()["book"]
    without = nc.headline_figures(load_scenario(_book_scenario(
        tmp_path, LATER + "other_deals: []\n", "alone.yaml"))).to_json()["book"]
    at_q3 = {d["deal"]: d for d in book["deals"]}
    assert at_q3[q3.deal_name]["headline_backlog_usd"] == pytest.approx(6.7e9)
    assert book["headline_backlog_usd"] == pytest.approx(without["headline_backlog_usd"]
                                                         + sum(d["headline_backlog_usd"] for d in book["deals"][1:]))
    assert book["headline_backlog_usd"] == pytest.approx(sum(d["headline_backlog_usd"] for d in book["deals"]))
    res = neocloud_cli("check", str(path))
    assert res.returncode == 0 and "ok" in res.stdout, res.stdout + res.stderr
    res = neocloud_cli("summary", str(path), "--json")
    assert res.returncode == 0, res.stderr
    assert "NaN" not in res.stdout and json.loads(res.stdout)["book"]["headline_backlog_usd"] == pytest.approx(book["headline_backlog_usd"])


def test_take_or_pay_and_delivery_steps_read_through_a_book(tmp_path):
    # Nebius - Microsoft: take-or-pay with phased delivery and 300 MW; the scenario's deal is the ledger's
    path = _book_scenario(tmp_path, "book:\n  seller: Nebius\n  deal: nebius-microsoft\ndeal_name: Microsoft - Nebius\n"
                          "seller_name: Nebius\nbuyer_name: Microsoft\nterms:\n  start: null\nkey_dates:\n  signed: null\n"
                          "termination_readings: []\n" + LATER)
    s = load_scenario(path)
    record = nc.load_ledger().contract("nebius-microsoft")
    assert s.deal == record.terms()   # the same terms: take-or-pay, the delivery steps, 300 MW, the signing
    assert s.deal.take_or_pay and len(s.deal.delivery_steps) == 3
    basis = record.termination.basis   # the record's reading of take-or-pay, with its own source or note
    assert (s.terms.take_or_pay.assumption, s.terms.take_or_pay.note) == (basis.assumption, basis.note)
    assert s.terms.notice_days is None and s.terms.lockup_months is None
    assert [st.share.value for st in s.terms.delivery_steps] == [float(st.share.value) for st in record.delivery_steps]


BAD_TERMS = {
    "notice under take-or-pay": ("take_or_pay:\n    value: true\n    assumption: true\n    note: n\n  notice_days:\n"
                                 "    value: 90\n    assumption: true\n    note: n\n",
                                 "key 'terms.notice_days.value': value 90: take-or-pay terms (take_or_pay: true) have no notice terms"),
    "a step before the term": ("delivery_steps:\n    - from: 2026-01-01\n      share: {value: 0.5, assumption: true, note: n}\n",
                               "key 'terms.delivery_steps.0.from': value 2026-01-01: must fall within the term, 2026-05-01 to 2029-05-31"),
    "steps out of order": ("delivery_steps:\n    - from: 2027-01-01\n      share: {value: 0.5, assumption: true, note: n}\n"
                           "    - from: 2026-07-01\n      share: {value: 1.0, assumption: true, note: n}\n",
                           "key 'terms.delivery_steps.1.from': value 2026-07-01: must come after the step before it (2027-01-01)"),
    "a share above one": ("delivery_steps:\n    - from: 2027-01-01\n      share: {value: 1.5, assumption: true, note: n}\n",
                          "key 'terms.delivery_steps.0.share.value': value 1.5"),
    "an unsourced step": ("delivery_steps:\n    - from: 2027-01-01\n      share: {value: 0.5}\n",
                          "key 'terms.delivery_steps.0.share'"),
}


def test_the_scenarios_own_deal_needs_its_capacity(tmp_path):
    data = yaml.safe_load(INLINE_TEXT)
    del data["terms"]["capacity_mw"]   # another deal may leave it out; the scenario's own deal may not
    path = write(tmp_path, yaml.safe_dump(data, sort_keys=False), "nocap.yaml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}: key 'terms.capacity_mw': value None: is missing (required for the scenario's own deal")


@pytest.mark.parametrize("case", BAD_TERMS)
def test_bad_take_or_pay_and_delivery_terms_name_the_key(tmp_path, case):
    body, expected = BAD_TERMS[case]
    path = _book_scenario(tmp_path, "terms:\n  " + body)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert f"{path}: {expected}" in str(info.value), str(info.value)


def test_a_deal_given_inline_reads_the_sellers_book_beside_it(tmp_path):
    inline = yaml.safe_load(INLINE_TEXT)["terms"]
    terms = json.loads(json.dumps({**inline, "monthly_fee_usd": {"value": 5e8, "assumption": True, "note": "a new deal"}}, default=str))
    path = _book_scenario(tmp_path, "book:\n  seller: SpaceX\n  deal: null\ndeal_name: A new deal\nbuyer_name: Acme\n"
                          "key_dates:\n  signed:\n    value: 2026-05-03\n    assumption: true\n    note: n\n"
                          + yaml.safe_dump({"terms": terms}, sort_keys=False))
    s = load_scenario(path)
    assert s.deal.monthly_fee_usd == 5e8 and s.book.deal is None
    assert [o.contract for o in s.other_deals] == ["spacex-anthropic-colossus-1", "spacex-google", "spacex-reflection-ai"]


def test_an_override_replaces_a_ledger_term(tmp_path):
    # Google's deal as the scenario's, read with notice from 1 October 2026 instead of its dated clause
    path = _book_scenario(tmp_path, "book:\n  deal: spacex-google\ndeal_name: Google - SpaceX (alone)\nbuyer_name: Google\n"
                          "terms:\n  start: null\n  earliest_notice_date:\n    value: 2026-10-01\n"
                          "    assumption: true\n    note: a reading\nkey_dates:\n  signed: null\n")
    s = load_scenario(path)
    assert s.deal.earliest_notice_date == dt_date(2026, 10, 1) and s.terms.earliest_notice_date.note == "a reading"
    assert s.deal.monthly_fee_usd == 9.2e8 and s.terms.lockup_months.assumption   # a dated clause: no lock-up in the ledger
    assert s.key_dates.signed.value == dt_date(2026, 6, 5) and s.terms.start.value == dt_date(2026, 7, 1)
    assert "Google" not in [o.buyer_name for o in s.other_deals] and "Anthropic" in [o.buyer_name for o in s.other_deals]


def dt_date(*a):
    import datetime

    return datetime.date(*a)


BAD_BOOKS = {
    "unknown seller": ("book:\n  seller: Acme Compute\n",
                       "key 'book.seller': value 'Acme Compute': no seller of that name in neocloud/data/contracts.yaml; "
                       "known sellers: Akamai, Amazon, CoreWeave"),
    "unknown contract": ("book:\n  deal: spacex-colossus-3\n",
                         "key 'book.deal': value 'spacex-colossus-3': no contract of that id in neocloud/data/contracts.yaml; "
                         "SpaceX's contracts: spacex-anthropic-colossus-1, spacex-google, spacex-reflection-ai"),
    "another seller's contract": ("book:\n  deal: iren-microsoft\n",
                                  "key 'book.deal': value 'iren-microsoft': a contract of IREN, not of SpaceX; SpaceX's contracts:"),
    "a deal without capacity": ("book:\n  seller: CoreWeave\n  deal: coreweave-openai-1\nterms:\n  capacity_mw: null\n",
                                "key 'book.deal': value 'coreweave-openai-1': the ledger record gives no capacity_mw; give "
                                "terms.capacity_mw"),
    "not a mapping": ("book: SpaceX\n",
                      "key 'book': value 'SpaceX': a mapping naming the seller and the deal's contract id, e.g. book: {seller: SpaceX"),
    "unknown key": ("book:\n  contract: spacex-google\n", "key 'book.contract': value 'spacex-google': not a key of book (allowed here: deal, seller)"),
    "two sellers": ("seller:\n  ledger_name: Nebius\n",
                    "key 'seller.ledger_name': value 'Nebius': names another seller than book.seller ('SpaceX')"),
}


def test_bad_book_references_name_file_key_value_and_the_known_ones(tmp_path):
    paths = {case: _book_scenario(tmp_path, body, f"{i}.yaml") for i, (case, (body, _)) in enumerate(BAD_BOOKS.items())}
    res = neocloud_cli("check", *map(str, paths.values()))
    assert res.returncode == 2, res.stdout + res.stderr
    out = res.stdout + res.stderr
    assert "Traceback" not in out
    for case, (_, expected) in BAD_BOOKS.items():
        assert f"{paths[case]}: {expected}" in out, (case, out)


def test_a_non_spacex_seller_gets_no_capacity_figures_through_the_cli(tmp_path):
    # a user's own CoreWeave deal, given inline, read against CoreWeave's filings: no capacity is SpaceX's
    (tmp_path / "base.yaml").write_text(INLINE_TEXT, encoding="utf-8")
    path = write(tmp_path, "extends: base.yaml\ntitle: A CoreWeave deal\ndeal_name: CoreWeave - OpenAI (mine)\n"
                 "seller_name: CoreWeave\nbuyer_name: OpenAI\nseller:\n  ledger_name: CoreWeave\nother_deals: []\n"
                 "termination_readings: []\n", "coreweave.yaml")
    res = neocloud_cli("summary", str(path), "--json")
    assert res.returncode == 0, res.stderr
    cap = json.loads(res.stdout)["capacity"]
    assert cap["owned_mw"] is None and cap["rented_share"] is None and cap["own_use_usd_per_mw_year"] is None
    assert cap["note"].startswith("no capacity data for CoreWeave")
    res = neocloud_cli("check", str(path))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "key 'seller.ledger_name': value 'CoreWeave': no capacity data for CoreWeave" in res.stdout + res.stderr
    assert "1246" not in res.stdout + res.stderr and "1,246" not in res.stdout + res.stderr


def test_the_segment_revenue_is_the_reported_one_known_by_the_reporting_date(tmp_path):
    from neocloud.inputs.reported import load_reported

    s = load_scenario(PARAMS / "base.yaml")
    assert [(r.label, r.value, r.period_end.isoformat()) for r in s.seller.segment_revenue] == [
        ("2025", 3.2e9, "2025-12-31"), ("Q1 2026", 8.18e8, "2026-03-31")]
    reported = {f.id: f for f in load_reported()}
    assert s.seller.segment_revenue[1].source == reported["spacex-2026q1-ai-segment-revenue"].source
    # on 30 September 2026 the Q2 results (published in August) are known, and own use reads them
    later = load_scenario(_book_scenario(tmp_path, "as_of:\n  value: 2026-09-30\n  assumption: true\n  note: later\n"
                                         "other_deals: []\n"))
    q2 = reported["spacex-2026q2-ai-segment-revenue"]
    assert later.seller.segment_revenue[-1].label == "Q2 2026" and later.seller.segment_revenue[-1].value == q2.value_usd
    from neocloud.model.capacity import own_use_revenue_per_mw_year

    assert own_use_revenue_per_mw_year(later)["basis"].startswith("AI segment revenue Q2 2026 annualised ($10.24B a year)")


COREWEAVE_TEXT = """\
extends: base.yaml
title: "CoreWeave's book, if Meta's first contract could be ended on notice"
question: >-
  What would Meta's first CoreWeave contract be worth to CoreWeave if Meta could end it on 90 days'
  notice after a one-year lock-up, the rest of the book staying take-or-pay?
deal_name: "Meta - CoreWeave (1)"
seller_name: "CoreWeave"
buyer_name: "Meta"
book: {seller: CoreWeave, deal: coreweave-meta-1}
terms:
  start: null
  capacity_mw: {value: 250.0, assumption: true, note: "Not disclosed; for the per-MW figures only."}
  notice_days: {value: 90, assumption: true, note: "A reading for comparison; the ledger reads take-or-pay."}
  lockup_months: {value: 12, assumption: true, note: "A one-year lock-up, for comparison."}
key_dates:
  announced: {value: 2025-09-30, assumption: true, note: "Taken as the signing date."}
  ipo: {value: 2025-03-28, assumption: true, note: "CoreWeave's Nasdaq listing, 28 March 2025."}
gpu_bases:
  reported: null
  colossus_1_and_2: null
  h100_equivalent: {value: 100000, label: "H100-equivalents (illustrative)", assumption: true, note: "Not disclosed."}
headlines: []
termination_readings: []
seller:
  baseline_revenue_usd_per_year: {value: 5.13e+9, assumption: true, note: "CoreWeave's 2025 revenue, about $5.1B."}
"""


def test_a_later_base_case_and_a_coreweave_book_render(tmp_path):
    """The base case at 2026-12-31 (the undisclosed Q3 contracts in service, no MW or GPU count) and
    a CoreWeave book (take-or-pay contracts, no capacity ledger) render every report: no failure, no
    NaN shown, the deals left out named and the capacity section in words."""
    params = tmp_path / "params"
    params.mkdir()
    (params / "base.yaml").write_text(BASE_TEXT, encoding="utf-8")
    later = write(params, "extends: base.yaml\ntitle: The base case at the end of 2026\n"
                          "as_of:\n  value: 2026-12-31\n  assumption: true\n  note: a later reporting date\n", "later.yaml")
    coreweave = write(params, COREWEAVE_TEXT, "coreweave.yaml")
    out = tmp_path / "out"
    # the two scenarios (the base case they extend is the shipped one, which the session's render
    # renders): every report of each
    res = neocloud_cli("render", "--outputs", str(out), "--params", str(params), str(later), str(coreweave))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 failed" in res.stdout + res.stderr
    from neocloud.pipeline.notebooks import report_pairs

    pairs = report_pairs({p: load_scenario(p) for p in (later, coreweave)}, sorted(NOTEBOOKS.glob("*.ipynb")))
    assert {str(p.relative_to(out)) for p in out.glob("*/*.html")} == {f"{s.stem}/{nb.stem}.html" for s, nb in pairs}
    import html
    import re

    def words(name: str, report: str) -> str:
        return html.unescape(re.sub(r"<[^>]+>", " ", (out / name / f"{report}.html").read_text(encoding="utf-8")))

    later = words("later", "ipo_narrative")
    assert "Rented MW leave out Undisclosed - SpaceX (capacity not disclosed)" in later
    assert "Undisclosed - SpaceX gives no H100-equivalent count" in later
    coreweave = words("coreweave", "ipo_narrative")
    assert "No capacity data for CoreWeave." in coreweave and "Colossus" not in coreweave
    assert "are take-or-pay (no termination for convenience)" in coreweave
    for text in (later, coreweave):
        assert " nan " not in text.lower() and "Traceback" not in text
