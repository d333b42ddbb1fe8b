"""The data files a user edits (neocloud/data/*.csv) are validated like scenarios (issue 23, item 6):
every problem named by file, row, column, value and what is allowed (exit 2 from check and render,
before any work), suspicious values warned, and random edits never end in a traceback."""

from __future__ import annotations

import csv
import io
import math
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, examples, neocloud_cli
from neocloud.data import DATA_ENV, TABLES, DataFileError, read_table
from neocloud.analysis.checks import check_data_files, data_warnings

DATA = ROOT / "neocloud" / "data"


def _copy(folder: Path) -> Path:
    for name in TABLES:
        shutil.copy(DATA / name, folder / name)
    return folder


def _edit(folder: Path, name: str, row: int, column: str, value: str) -> None:
    """Set one cell (``row`` counted as in the file: the header is row 1)."""
    path = folder / name
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    rows[row - 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _row_of(name: str, **match: str) -> int:
    """The file row of the first data row whose cells equal ``match``."""
    rows = list(csv.DictReader(io.StringIO((DATA / name).read_text(encoding="utf-8"), newline="")))
    return next(i + 2 for i, r in enumerate(rows) if all(r[k] == v for k, v in match.items()))


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    folder = _copy(tmp_path)
    monkeypatch.setenv(DATA_ENV, str(folder))
    return folder


def test_the_shipped_files_are_valid_without_warnings():
    assert check_data_files() == []


COLOSSUS_2 = ("capacity.csv", {"date": "2026-01-17", "site": "Colossus 2", "kind": "owned"})
JUNE_PRICE = ("gpu_prices.csv", {"date": "2026-06-26", "basis": "1-year contract"})

# (file and row, column, typed value, what the message must say)
BAD_CELLS = [
    (COLOSSUS_2, "date", "2026-02-30", "value '2026-02-30': not a calendar date"),
    (COLOSSUS_2, "date", "17/01/2026", "a date written YYYY-MM-DD is expected"),
    (COLOSSUS_2, "mw", "1000 MW", "value '1000 MW': a number is expected; write 1000 (the unit is in the column name)"),
    (COLOSSUS_2, "mw", "1,000", "write 1000 (no thousands separators)"),
    (COLOSSUS_2, "mw", "-1000", "Input should be greater than 0"),
    (COLOSSUS_2, "mw", "nan", "a finite number is expected"),
    (COLOSSUS_2, "mw", "inf", "a finite number is expected"),
    (COLOSSUS_2, "kind", "Owned", "write 'owned' exactly"),
    (COLOSSUS_2, "assumption", "yes", "write 1 (yes) or 0 (no)"),
    (COLOSSUS_2, "source_url", "javascript:alert(1)", "should match pattern"),
    (JUNE_PRICE, "usd_per_gpu_hour", "$2.65", "value '$2.65': a number is expected; write 2.65 (the unit is in the column name)"),
    (JUNE_PRICE, "usd_per_gpu_hour", "0", "Input should be greater than 0"),
    (JUNE_PRICE, "basis", "1-Year Contract", "write '1-year contract' exactly"),
    (JUNE_PRICE, "date", "2026-03-02", "a calibration price 1 day(s) after the one on row"),
    (JUNE_PRICE, "calibration", "", "write 1 (yes) or 0 (no)"),
    (("comparables.csv", {"deal": "IREN - Microsoft"}), "value_usd", "", "a value is required here"),
    (("comparables.csv", {"deal": "IREN - Microsoft"}), "capacity_basis", "Up To", "write 'up to' exactly"),
    (("own_use_signals.csv", {"signal": "Monthly users on X and Grok"}), "signal", "Users", "no row of 'Monthly users on X and Grok'"),
]


@pytest.mark.parametrize("where, column, value, message", BAD_CELLS, ids=[f"{c}={v}" for _, c, v, _ in BAD_CELLS])
def test_a_bad_cell_is_named_by_file_row_column_and_value(data, where, column, value, message):
    name, match = where
    row = _row_of(name, **match)
    _edit(data, name, row, column, value)
    with pytest.raises(DataFileError) as info:
        read_table(name)
    text = str(info.value)
    assert text.startswith(f"{data / name}: "), text
    assert message in text, text
    if "no row of" not in message and "day(s) after" not in message:
        assert f"row {row}, column '{column}'" in text, text


@pytest.mark.parametrize("value, expected", [("1000", 1000.0), ("1e3", 1000.0), ("1.0E3", 1000.0), ("1_000", 1000.0),
                                             ("1.0e+3", 1000.0), (" 1000 ", 1000.0)])
def test_numbers_are_read_as_typed(data, value, expected):
    name, match = COLOSSUS_2
    _edit(data, name, _row_of(name, **match), "mw", value)
    frame = read_table(name)
    assert frame[(frame.site == "Colossus 2") & (frame.kind == "owned")].mw.iloc[0] == expected


def test_a_missing_or_unknown_column_is_named(data):
    path = data / "capacity.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    k = rows[0].index("mw")
    path.write_text("\n".join(",".join(f'"{c}"' for c in r[:k] + r[k + 1:]) for r in rows) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"row 1: column 'mw' is missing \(the columns are: owner, date, site"):
        read_table("capacity.csv")
    text = (DATA / "gpu_prices.csv").read_text(encoding="utf-8").replace("usd_per_gpu_hour", "usd_per_hour", 1)
    (data / "gpu_prices.csv").write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        read_table("gpu_prices.csv")
    assert "unknown column 'usd_per_hour'" in str(info.value) and "column 'usd_per_gpu_hour' is missing" in str(info.value)


def test_no_row_is_silently_ignored(data):
    # an owned row with no figure, a row with a cell too many: each would drop out of the owned MW
    name, match = COLOSSUS_2
    row = _row_of(name, **match)
    _edit(data, name, row, "mw", "")
    with pytest.raises(DataFileError, match=rf"row {row}, column 'mw': value '': an owned row needs 'mw' or 'h100e'"):
        read_table(name)
    _copy(data)
    path = data / name
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[row - 1] = lines[row - 1].replace(",facility,", ",facility,extra,", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=rf"row {row}: 15 cells, but the header names 14 columns"):
        read_table(name)


def test_suspicious_values_are_warnings(data):
    name, match = JUNE_PRICE
    row = _row_of(name, **match)
    _edit(data, name, row, "usd_per_gpu_hour", "26.5")  # a typo of 2.65
    warnings = data_warnings()
    assert any(f"row {row}, column 'usd_per_gpu_hour': value 26.5: a calibration price far from its neighbours" in w
               for w in warnings), warnings
    assert any("the fitted drift" in w and "outside a plausible band" in w for w in warnings), warnings
    _copy(data)
    _edit(data, "capacity.csv", _row_of("capacity.csv", party="Anthropic"), "mw", "5000")
    assert any("rented rows of SpaceX" in w and "MW it owns (a rented share above 100%)" in w for w in data_warnings())


def test_check_and_render_refuse_bad_data_before_any_work(data, tmp_path):
    import os

    name, match = COLOSSUS_2
    _edit(data, name, _row_of(name, **match), "mw", "1,000")
    env = {**os.environ, DATA_ENV: str(data)}
    res = neocloud_cli("check", "params/base.yaml", env=env)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert f"{data / name}: row" in res.stderr and "write 1000 (no thousands separators)" in res.stderr
    out = tmp_path / "out"
    res = neocloud_cli("render", "--outputs", str(out), "params/base.yaml", env=env, timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert "write 1000 (no thousands separators)" in res.stderr
    assert not out.exists() or not any(out.iterdir())


# --------------------------------------------------------------------------------------------
# Fuzzer: random edits of cells. The loader accepts with finite, sane figures or refuses with
# house-style lines; never anything else.

CELL_VALUES = st.one_of(
    st.sampled_from(["", " ", "0", "-1", "1e400", "nan", "inf", "-inf", "1,000", "$2.65", "1000 MW", "2026-02-30",
                     "2026-13-01", "9999-12-31", "1800-01-01", "Owned", "RENTED", "planned", "1", "1_000", "1.25E9",
                     "https://example.com/x", "javascript:alert(1)", "\"", "a,b", "\u202e", "x" * 3000, "0x10", "1e-320"]),
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates().map(str),
    st.text(max_size=30),
)
EDITS = st.lists(st.tuples(st.sampled_from(sorted(TABLES)), st.integers(0, 40), st.integers(0, 20), CELL_VALUES),
                 min_size=1, max_size=4)


@settings(max_examples=examples(60))
@given(edits=EDITS)
def test_random_edits_are_accepted_sanely_or_refused_in_house_style(edits):
    import os

    with tempfile.TemporaryDirectory() as tmp:
        folder = _copy(Path(tmp))
        for name, row, col, value in edits:
            with (folder / name).open(encoding="utf-8", newline="") as f:
                rows = list(csv.reader(f))
            # An earlier edit may have split a row (a bare carriage return is a line end to CSV) or left a
            # blank line: the edited cell is one the row has, or the only cell of an empty row.
            r = 1 + row % (len(rows) - 1)
            if rows[r]:
                rows[r][col % len(rows[r])] = value
            else:
                rows[r] = [value]
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows(rows)
            (folder / name).write_text(out.getvalue(), encoding="utf-8")
        old = os.environ.get(DATA_ENV)
        os.environ[DATA_ENV] = str(folder)
        try:
            for name in TABLES:
                try:
                    frame = read_table(name)
                except DataFileError as e:
                    assert e.problems and all(p.startswith(f"{folder / name}: ") for p in e.problems), e.problems
                    assert all(("row " in p or "column" in p or "file" in p) for p in e.problems), e.problems
                    continue
                for column in frame.columns:
                    if frame[column].dtype.kind == "f":
                        values = frame[column].dropna()
                        assert all(math.isfinite(v) for v in values), (name, column)
                if "date" in frame:
                    assert all(1900 <= d.year <= 2200 for d in frame.date)
            try:
                for w in check_data_files():
                    assert w.startswith(str(folder)), w
                from neocloud.model.market import calibrate_gbm

                fit = calibrate_gbm()  # what the exit model is given: finite whenever the files are accepted
                assert math.isfinite(fit.drift_per_year) and math.isfinite(fit.volatility_per_year)
            except DataFileError as e:
                assert all(p.startswith(str(folder)) for p in e.problems)
        finally:
            if old is None:
                os.environ.pop(DATA_ENV, None)
            else:
                os.environ[DATA_ENV] = old
