"""The sourced data files a user may edit (``neocloud/data/*.csv``), read and validated like scenarios.

Each file has a fixed set of columns, one pydantic row model per file (:data:`TABLES`), and rules
across rows. :func:`read_table` reads one file and either returns it as a data frame of finite,
sane figures or raises one :class:`DataFileError` with a line per problem naming the file, the
row (its line in the file, the header being row 1), the column, the value and what is allowed.
:func:`data_warnings` lists what is possible but suspicious (a calibration price far from its
neighbours, a fitted drift or volatility outside a plausible band, more MW rented than owned).

``neocloud check`` and ``neocloud render`` validate every file before any work. The environment
variable ``NEOCLOUD_DATA`` names a folder of files to read instead of the shipped ones (to try an
edited copy without touching the package).
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from neocloud.inputs.sourced import ScenarioError, _iso_date, number_hint

DATA_ENV = "NEOCLOUD_DATA"
"""Environment variable: a folder whose CSV files replace the shipped ones."""
MAX_DATA_BYTES = 1024 * 1024
"""A data file is a few kilobytes; larger files are refused unread."""


class DataFileError(ScenarioError):
    """Data files that cannot be used: ``problems`` holds one line per problem, each starting with
    the file's path (``str(error)`` is the message for the user)."""

    def __init__(self, lines: list[str]):
        self.path = "neocloud/data"
        self.problems = lines
        ValueError.__init__(self, "\n".join(lines))


# --------------------------------------------------------------------------------------------
# Cell types: every cell is text in the file; these read it as the user means it, or refuse it
# with the form that works.


def _blank(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _number(value: Any) -> Any:
    """A number as people type it (``1000``, ``2.65``, ``1.25e9``, ``1.25E9``, ``1_000``); refused
    with the form that works for ``"1,000"``, ``$2.65``, ``1000 MW``; never NaN or infinity."""
    value = _blank(value)
    if value is None or not isinstance(value, str):
        return value
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        hint = number_hint(text).replace("key name", "column name")
        raise ValueError("a number is expected" + hint) from None
    if not math.isfinite(number):
        raise ValueError("a finite number is expected")
    return number


def _flag(value: Any) -> Any:
    text = str(value).strip()
    if text in ("0", "1"):
        return text == "1"
    raise ValueError("write 1 (yes) or 0 (no)")


def _choice(allowed: tuple[str, ...]) -> Any:
    def check(value: Any) -> Any:
        text = str(value).strip()
        if text in allowed:
            return text
        close = [a for a in allowed if a.casefold() == text.casefold()]
        spelled = f"; write '{close[0]}' exactly" if close else ""
        raise ValueError("one of " + ", ".join(f"'{a}'" for a in allowed) + " is expected" + spelled)
    return check


def _date(value: Any) -> Any:
    value = _blank(value)
    return None if value is None else _iso_date(value)


def _text(value: Any) -> Any:
    value = _blank(value)
    return None if value is None else value.strip()


Number = Annotated[float, BeforeValidator(_number)]


def _optional(**bounds: float) -> Any:
    """An optional number (an empty cell is None) within ``bounds`` (pydantic's gt, ge, le)."""
    return Annotated[Annotated[float, Field(**bounds)] | None, BeforeValidator(_number)]


OptionalMw = _optional(gt=0, le=100_000)
OptionalCount = _optional(gt=0, le=1e8)
OptionalYears = _optional(gt=0, le=30)
Date = Annotated[Any, BeforeValidator(_date)]
Text = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=2000)]
OptionalText = Annotated[Annotated[str, Field(min_length=1, max_length=2000)] | None, BeforeValidator(_text)]
Url = Annotated[str, BeforeValidator(_text), Field(pattern=r"^https?://\S+$", max_length=500)]
Flag = Annotated[bool, BeforeValidator(_flag)]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


CAPACITY_KINDS = ("owned", "planned", "rented")
CAPACITY_BASES = ("facility", "assumed")


class CapacityRow(_Row):
    """A row of ``capacity.csv``: a dated figure of a site (``owned`` or ``planned``) or a rental,
    of the ``owner`` named as the ledger names sellers (each seller's capacity is its own)."""

    owner: Text
    date: Annotated[Any, BeforeValidator(_iso_date)]
    site: Text
    kind: Annotated[str, BeforeValidator(_choice(CAPACITY_KINDS))]
    party: Text
    mw: OptionalMw = None
    mw_basis: Annotated[str, BeforeValidator(_choice(CAPACITY_BASES))]
    gpus: OptionalCount = None
    h100e: OptionalCount = None
    chip_mix: OptionalText = None
    assumption: Flag
    source_url: Url
    source_date: Date = None
    note: OptionalText = None


PANEL_BASES = ("on-demand", "spot", "1-year contract", "list", "marketplace", "rental index", "dedicated cluster")


class GpuPriceRow(_Row):
    """A row of ``gpu_prices.csv``: a dated rental price in USD per GPU-hour."""

    date: Annotated[Any, BeforeValidator(_iso_date)]
    chip: Text
    basis: Annotated[str, BeforeValidator(_choice(PANEL_BASES))]
    usd_per_gpu_hour: Annotated[Number, Field(gt=0, le=1000)]
    source_url: Url
    source_date: Date = None
    calibration: Flag
    note: OptionalText = None


COMPARABLE_CAPACITY_BASES = ("reported", "over", "about", "up to")


class ComparableRow(_Row):
    """A row of ``comparables.csv``: another compute deal, its value, term and power."""

    deal: Text
    seller: Text
    buyer: Text
    value_usd: Annotated[Number, Field(gt=0, le=1e14)]
    value_basis: Text
    term_years: OptionalYears = None
    capacity_mw: OptionalMw = None
    capacity_basis: Annotated[str | None, BeforeValidator(lambda v: None if _blank(v) is None
                                                         else _choice(COMPARABLE_CAPACITY_BASES)(v))] = None
    notice_terms: Text
    announced: Date = None
    source_url: Url
    source_date: Date = None
    note: OptionalText = None


REQUIRED_SIGNALS = ("Grok app downloads in the month", "Monthly AI users (X and Grok)", "Monthly users on X and Grok")
"""The own-use signals the IPO narrative quotes by name."""


class OwnUseSignalRow(_Row):
    """A row of ``own_use_signals.csv``: a dated signal of the ``owner``'s own demand for compute."""

    owner: Text
    date: Annotated[Any, BeforeValidator(_iso_date)]
    signal: Text
    value: Annotated[Number, Field(ge=-1e14, le=1e14)]
    unit: Text
    source_url: Url
    source_date: Date = None
    note: OptionalText = None


@dataclass(frozen=True)
class Table:
    """One data file: its row model and the columns kept as they are written (text, not parsed)."""

    model: type[_Row]
    raw_columns: tuple[str, ...] = ()


TABLES: dict[str, Table] = {
    "capacity.csv": Table(CapacityRow, ("source_date",)),
    "gpu_prices.csv": Table(GpuPriceRow, ("source_date",)),
    "comparables.csv": Table(ComparableRow, ("announced", "source_date")),
    "own_use_signals.csv": Table(OwnUseSignalRow, ("source_date",)),
}
"""Every data file a user may edit, by file name."""

MIN_CALIBRATION_DAYS = 28
"""Calibration prices are at least this many days apart: the exit model decides monthly, and a
fit to increments of a day or two reads noise as volatility."""


def data_path(name: str) -> Path:
    """Where the data file ``name`` is read from: ``$NEOCLOUD_DATA/name`` if set, else the package's.

    >>> data_path("gpu_prices.csv").name
    'gpu_prices.csv'
    """
    folder = os.environ.get(DATA_ENV)
    if folder:
        return Path(folder) / name
    return Path(str(resources.files("neocloud.data").joinpath(name)))


def _shown(path: Path) -> str:
    """The path as a user knows it (``neocloud/data/NAME`` for the shipped files)."""
    if not os.environ.get(DATA_ENV):
        return f"neocloud/data/{path.name}"
    return str(path)


_CACHE: dict[tuple[str, str], pd.DataFrame] = {}


def read_table(name: str) -> pd.DataFrame:
    """The validated data file ``name`` (a key of :data:`TABLES`) as a data frame, one row per
    line: dates as ``datetime.date``, numbers as floats (NaN where a cell is empty), flags as
    bools, text as text. Raises :class:`DataFileError` listing every problem. A file is parsed
    once per content (cached by its bytes' hash).

    >>> f = read_table("gpu_prices.csv")
    >>> f.usd_per_gpu_hour.dtype.name, type(f.date.iloc[0]).__name__, f.calibration.dtype.name
    ('float64', 'date', 'bool')
    """
    path = data_path(name)
    try:
        if path.stat().st_size > MAX_DATA_BYTES:
            raise DataFileError([f"{_shown(path)}: file is {path.stat().st_size:,} bytes; "
                                 f"a data file may be at most {MAX_DATA_BYTES:,}"])
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        raise DataFileError([f"{_shown(path)}: file not found"]) from None
    except OSError as e:
        raise DataFileError([f"{_shown(path)}: cannot be read ({e.strerror or e})"]) from None
    key = (str(path), hashlib.sha256(raw).hexdigest())
    if key not in _CACHE:
        frame, problems = _parse(name, raw)
        if problems:
            raise DataFileError([f"{_shown(path)}: {p}" for p in problems])
        if len(_CACHE) > 32:
            _CACHE.clear()
        _CACHE[key] = frame
    return _CACHE[key].copy()


def _parse(name: str, raw: bytes) -> tuple[pd.DataFrame, list[str]]:
    """The file's rows validated by its model, and the problems found (empty if none)."""
    table = TABLES[name]
    columns = list(table.model.model_fields)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return pd.DataFrame(), [f"file is not UTF-8 text (byte {e.start}); save it as UTF-8 CSV"]
    if "\x00" in text:
        return pd.DataFrame(), ["file is binary (has NUL bytes); a data file is CSV text"]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as e:
        return pd.DataFrame(), [f"row 1: not CSV ({e})"]
    if not header or not any(h.strip() for h in header):
        return pd.DataFrame(), [f"file is empty; its first row names the columns: {', '.join(columns)}"]
    header = [h.strip() for h in header]
    problems = []
    for col in sorted({h for h in header if header.count(h) > 1}):
        problems.append(f"row 1: column '{col}' is written more than once; keep one")
    for col in header:
        if col not in columns:
            problems.append(f"row 1: unknown column '{col}' (the columns are: {', '.join(columns)})")
    for col in columns:
        if col not in header:
            problems.append(f"row 1: column '{col}' is missing (the columns are: {', '.join(columns)})")
    if problems:
        return pd.DataFrame(), problems
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            problems.append(f"row {reader.line_num}: not CSV ({e})")
            break
        row_no = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) != len(header):
            problems.append(f"row {row_no}: {len(cells)} cells, but the header names {len(header)} columns "
                            "(a comma inside a text cell needs the cell in double quotes)")
            continue
        raw = dict(zip(header, cells))
        try:
            row = table.model.model_validate(raw)
        except ValidationError as e:
            for err in e.errors(include_url=False):
                col = str(err["loc"][0]) if err["loc"] else "(row)"
                msg = err["msg"].removeprefix("Value error, ")
                if err["type"] == "missing" or (err["type"] in ("float_type", "string_type", "date_type")
                                                 and err.get("input") is None):
                    msg = "a value is required here"
                problems.append(f"row {row_no}, column '{col}': value {raw.get(col, '')!r}: {msg}")
            continue
        values = row.model_dump()
        for col in table.raw_columns:
            values[col] = raw[col].strip() or None
        rows.append(values)
        lines.append(row_no)
    if not problems and not rows:
        problems.append("file has no rows; a data file needs at least one")
    if problems:
        return pd.DataFrame(), problems
    frame = pd.DataFrame(rows, columns=columns)
    for col, field in table.model.model_fields.items():
        if col not in table.raw_columns and (field.annotation is float or float in getattr(field.annotation, "__args__", ())):
            frame[col] = frame[col].astype(float)  # an empty cell is NaN
        elif frame[col].dtype == object:
            frame[col] = frame[col].map(lambda v: float("nan") if v is None else v)  # as pandas reads an empty cell
    problems += _rules(name, frame, lines)
    frame.attrs["rows"] = lines  # the file row of each frame row, for messages
    return frame, problems


def _rules(name: str, frame: pd.DataFrame, lines: list[int]) -> list[str]:
    """Rules across rows and columns of one file (row numbers as in the file)."""
    out = []
    row = dict(enumerate(lines))
    if name == "capacity.csv":
        for i, r in frame.iterrows():
            if r.kind in ("owned", "planned") and math.isnan(r.mw) and math.isnan(r.h100e):
                out.append(f"row {row[i]}, column 'mw': value '': an {r.kind} row needs 'mw' or 'h100e' "
                           "(a row with neither would be ignored)")
            if r.kind == "rented" and math.isnan(r.mw):
                out.append(f"row {row[i]}, column 'mw': value '': a rented row needs its MW")
        dup = frame[frame.kind == "owned"].duplicated(subset=["site", "date"], keep="first")
        for i in dup[dup].index:
            out.append(f"row {row[i]}, column 'date': value '{frame.date[i]}': a second 'owned' row of "
                       f"'{frame.site[i]}' on the same date; keep one (the latest row of a site counts)")
    elif name == "gpu_prices.csv":
        cal = frame[frame.calibration].sort_values("date", kind="stable")
        if len(cal) < 3:
            out.append(f"column 'calibration': {len(cal)} row(s) marked 1; the market model's fit needs at least 3")
        prev = None
        for i, r in cal.iterrows():
            if prev is not None and (r.date - cal.date[prev]).days < MIN_CALIBRATION_DAYS:
                out.append(f"row {row[i]}, column 'date': value '{r.date}': a calibration price "
                           f"{(r.date - cal.date[prev]).days} day(s) after the one on row {row[prev]}; calibration "
                           f"prices must be at least {MIN_CALIBRATION_DAYS} days apart (mark one of them 0)")
            prev = i
    elif name == "comparables.csv":
        dup = frame.duplicated(subset=["deal"], keep="first")
        for i in dup[dup].index:
            out.append(f"row {row[i]}, column 'deal': value {frame.deal[i]!r}: each deal needs its own name")
    elif name == "own_use_signals.csv":
        for signal in REQUIRED_SIGNALS:
            if signal not in set(frame.signal):
                out.append(f"column 'signal': no row of {signal!r}, which the IPO narrative quotes; keep one")
    return out


