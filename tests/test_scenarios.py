"""Scenario files: every input sourced, every mistake a clear message, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

import neocloud as nc
from neocloud import ScenarioError, load_scenario, scenario_json_schema

from conftest import PARAMS, SCENARIOS, neocloud_cli

BASE_TEXT = (PARAMS / "base.yaml").read_text(encoding="utf-8")


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
    "no source": (("      quote: \"over 300 MW\"\n", "      quote: \"over 300 MW\"\n    assumption: true\n"), ["terms.capacity_mw", "either a 'source' or 'assumption: true', not both"]),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_values_name_file_key_value_and_rule(tmp_path, case):
    (old, new), expected = CASES[case]
    assert old in BASE_TEXT
    text = BASE_TEXT.replace(old, new, 1)
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
    bad = write(tmp_path, BASE_TEXT.replace("    value: 0.5\n", "    value: 7\n", 1), "bad.yaml")
    ok = neocloud_cli("check", *map(str, SCENARIOS))
    assert ok.returncode == 0, ok.stderr
    res = neocloud_cli("check", str(PARAMS / "base.yaml"), str(bad), str(tmp_path / "missing.yaml"))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert f"{bad}: key 'terms.ramp_discount.value': value 7" in res.stderr
    assert "missing.yaml: file not found" in res.stderr


def test_cli_summary_json():
    res = neocloud_cli("summary", "params/base.yaml", "--json")
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


def test_cli_bad_input_never_tracebacks(tmp_path):
    junk = write(tmp_path, b"\x00\x01\x02", "junk.yaml")
    for args in (["summary", str(junk)], ["summary", "nope.yaml", "--json"], ["render", "nope.yaml"], ["render", "--jobs", "0"]):
        res = neocloud_cli(*args)
        assert res.returncode == 2, (args, res.stdout, res.stderr)
        assert "Traceback" not in res.stderr, (args, res.stderr)
