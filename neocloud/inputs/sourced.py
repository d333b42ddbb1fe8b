"""What every input file is made of: sourced values (:class:`Input`: a value with its
:class:`Source`, or an assumption with a note), the bounds of plain values, the error that names
a file, key, value and what is allowed (:class:`ScenarioError`), and the guarded YAML reader.
Scenarios (:mod:`neocloud.inputs.scenario`), the ledger (:mod:`neocloud.inputs.ledger`), the
reported figures (:mod:`neocloud.inputs.reported`) and the data tables (:mod:`neocloud.data`) are
all read with them."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, ValidationError, model_validator


MAX_FILE_BYTES = 256 * 1024
"""A scenario is a few kilobytes; anything larger than this is refused unread."""


MAX_YAML_DEPTH = 12
"""Deepest nesting a scenario needs is 5; deeper documents are refused while parsing."""


MIN_DATE = dt.date(1900, 1, 1)


MAX_DATE = dt.date(2200, 12, 31)
"""Every date of a scenario lies in this range (the calendar arithmetic needs room to move)."""


MAX_TERM_YEARS = 30
"""A deal's service runs at most this many years (``end`` at most 30 years after ``start``), so
that every figure is computed in bounded time."""


MAX_MONTHS = 12 * MAX_TERM_YEARS
"""Lock-ups and ramps are counted in calendar months; none is longer than the longest term."""


MAX_USD = 1e14
"""No amount of money in a scenario exceeds USD 100 trillion (sums of them stay finite)."""


T = TypeVar("T")


def _iso_date(value: Any) -> dt.date:
    """Dates are written ``YYYY-MM-DD``; numbers (timestamps) and times of day are refused."""
    if isinstance(value, dt.datetime):
        raise ValueError("a date without a time of day is expected, written YYYY-MM-DD")
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("not a calendar date (check the month and day)") from None
    if isinstance(value, dt.date):
        if not MIN_DATE <= value <= MAX_DATE:
            raise ValueError(f"a date from {MIN_DATE} to {MAX_DATE} is expected")
        return value
    raise ValueError("a date written YYYY-MM-DD is expected, e.g. 2026-05-01")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


PositiveFloat = Annotated[float, Strict(), Field(gt=0, le=1e12, allow_inf_nan=False)]


Usd = Annotated[float, Strict(), Field(gt=0, le=MAX_USD, allow_inf_nan=False)]
"""An amount of money in USD, positive and below :data:`MAX_USD`."""


Months = Annotated[int, Strict(), Field(ge=0, le=MAX_MONTHS)]
"""A number of calendar months (a lock-up, a ramp), at most :data:`MAX_MONTHS`."""


NoticeDays = Annotated[int, Strict(), Field(gt=0, le=366 * MAX_TERM_YEARS)]


Fraction = Annotated[float, Strict(), Field(ge=0, le=1, allow_inf_nan=False)]


Probability = Annotated[float, Strict(), Field(ge=0, le=1, allow_inf_nan=False)]


NonNegativeInt = Annotated[int, Strict(), Field(ge=0)]


PositiveInt = Annotated[int, Strict(), Field(gt=0)]


Growth = Annotated[float, Strict(), Field(gt=-1, lt=10, allow_inf_nan=False)]


Text = Annotated[str, Strict(), Field(min_length=1, max_length=2000)]


Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,40}$")]


class ScenarioError(ValueError):
    """A scenario file could not be used. ``str(error)`` is the message for the user.

    ``problems`` lists one line per problem (file, key, value, what is allowed).
    """

    def __init__(self, path: str | Path, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(f"{self.path}: {p}" for p in problems))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    """Where a figure was read: a URL and the date of the publication (or of reading it)."""

    url: Annotated[str, Field(pattern=r"^https?://\S+$", max_length=500)]
    date: IsoDate
    dated: Literal["published", "gathered"] = "published"
    """``published``: the article's or filing's date. ``gathered``: the source is undated, and
    ``date`` is the day by which the figure had been gathered (``shared/facts.md``)."""
    title: Text | None = None
    quote: Text | None = None
    as_reported_by: "Source | None" = None
    """The secondary page (press, a note) where the figure was read, when ``url`` is the primary
    source (the filing or the company's own release) cited by name or URL but not read itself."""


class Reading(_Model):
    """Another source's value for the same input, kept where sources disagree."""

    value: Any
    source: Source
    note: Text | None = None


def _check_sourced(item: Any, what: str) -> None:
    """Every input has a source, or is an assumption with a note saying why."""
    if item.source is None and not item.assumption:
        raise ValueError("needs a 'source' (url and date) or 'assumption: true' with a 'note'")
    if item.source is not None and item.assumption:
        raise ValueError("give either a 'source' or 'assumption: true', not both")
    if item.assumption and not item.note:
        raise ValueError(f"an assumption needs a 'note' that says why this {what}")


class Input(_Model, Generic[T]):
    """One input: a value with its source, or an explicit assumption with a note."""

    value: T
    source: Source | None = None
    assumption: bool = False
    note: Text | None = None
    other_readings: list[Reading] = Field(default_factory=list)

    @model_validator(mode="after")
    def _sourced(self) -> "Input[T]":
        _check_sourced(self, "value")
        for i, other in enumerate(self.other_readings):
            _check_like(other.value, self.value, f"other_readings.{i}.value")
        if isinstance(self.value, dt.date) and any(not isinstance(o.value, dt.date) for o in self.other_readings):
            # a date another source gives is a date, whether it was read from YAML or from JSON data
            # (the scenario a render passes to its kernels): the two must be equal
            readings = [o if isinstance(o.value, dt.date) else o.model_copy(update={"value": _iso_date(o.value)})
                        for o in self.other_readings]
            object.__setattr__(self, "other_readings", readings)
        return self


def _check_like(other: Any, value: Any, key: str) -> None:
    """Another source's reading is a value of the same kind as the input's own (a finite number
    for a number, a date for a date), so that every report can compute with it."""
    import math

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(other, bool) or not isinstance(other, (int, float)) or not math.isfinite(other) or abs(other) > MAX_USD:
            raise _CrossFieldError(key, other, f"a number like the input's own value ({value!r}) is expected"
                                   + (number_hint(other) if isinstance(other, str) else ""))
    elif isinstance(value, dt.date):
        try:
            _iso_date(other)
        except ValueError as e:
            raise _CrossFieldError(key, other, str(e)) from None


class _CrossFieldError(ValueError):
    def __init__(self, key: str, value: Any, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"{key} = {value!r}: {allowed}")


class _GuardedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases (no billion laughs) and deep nesting."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                None, None,
                "YAML aliases (*name) are not allowed in a scenario; write the value out",
                event.start_mark,
            )
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise yaml.MarkedYAMLError(
                    None, None,
                    f"nesting deeper than {MAX_YAML_DEPTH} levels; a scenario needs at most 6",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:  # type: ignore[override]
        """A key written twice in one mapping is an error (YAML would keep the last silently)."""
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str) and key in seen:
                raise yaml.MarkedYAMLError(
                    None, None, f"the key '{key}' is written twice in the same mapping (first on line "
                    f"{seen[key].line + 1}); keep one", key_node.start_mark)
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: Any) -> Any:  # type: ignore[override]
        """An unquoted date that is not a calendar date (2026-13-01, 2026-02-30) stays text, so
        that validation names the file, the key and the value instead of PyYAML raising."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_FLOAT_FORMS = re.compile(r"""^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$""")
"""Scientific notation as people write it (``1.25e9``, ``1.25E9``, ``1e9``, ``-2.5e-3``): YAML 1.1,
which PyYAML follows, reads these as text (it wants a dot and a signed exponent, ``1.25e+9``)."""


_GuardedLoader.add_constructor("tag:yaml.org,2002:timestamp", _GuardedLoader.construct_yaml_timestamp)
_GuardedLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_FORMS, list("-+0123456789."))


def number_hint(text: str) -> str:
    """What to write instead of a number typed in a form the loader does not read as a number
    (``"1,000"``, ``$2.65``, ``1000 MW``, ``5%``, a quoted number): a clause to append to the
    message, or ``""`` when the text does not look like a number at all.

    >>> number_hint("1,250,000,000"), number_hint("$2.65"), number_hint("300 MW")
    ('; write 1250000000 (no thousands separators)', '; write 2.65 (the unit is in the key name)', '; write 300 (the unit is in the key name)')
    >>> number_hint("5%"), number_hint("1.25e9"), number_hint("Colossus")
    ('; write 0.05 for 5% (a fraction)', '; write 1.25e9 without quotes (it is a number, not text)', '')
    """
    t = text.strip()
    m = re.fullmatch(r"([-+]?[0-9][0-9_.]*(?:[eE][-+]?[0-9]+)?)\s*%", t)
    if m and _as_number(m.group(1)) is not None:
        return f"; write {_as_number(m.group(1)) / 100:g} for {t} (a fraction)"
    if _as_number(t) is not None:
        return f"; write {t} without quotes (it is a number, not text)"
    if re.fullmatch(r"[-+]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?", t):
        return f"; write {t.replace(',', '')} (no thousands separators)"
    m = re.fullmatch(r"(?:US)?\$\s*([-+]?[0-9][0-9_.,]*(?:[eE][-+]?[0-9]+)?)\s*(?:USD)?|"
                     r"([-+]?[0-9][0-9_.,]*(?:[eE][-+]?[0-9]+)?)\s*(?:USD|MW|GW|kW|%|[A-Za-z][A-Za-z /-]*)", t)
    if m:
        number = (m.group(1) or m.group(2)).replace(",", "")
        if _as_number(number) is not None:
            return f"; write {number} (the unit is in the key name)"
    return ""


def _as_number(text: str) -> float | None:
    """``text`` as a finite float if Python reads it as one (``1_000``, ``1.25e9``), else None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


_READ_ONCE: "dict[str, Any] | None" = None
"""Inside :func:`each_file_read_once`: the data of each YAML file read so far, by resolved path."""
_READ_DIGESTS: dict[str, str] = {}
"""Inside :func:`each_file_read_once`: the SHA-256 of each YAML file's bytes as read, by resolved path."""


def digests_read() -> dict[str, str]:
    """The SHA-256 of the bytes of each YAML file read in the current :func:`each_file_read_once`
    block, by resolved path (the digests ``neocloud render``'s no-op stamp records)."""
    return dict(_READ_DIGESTS)


@contextlib.contextmanager
def each_file_read_once() -> "Iterator[None]":
    """Within this block, each YAML file (a scenario, what it ``extends``, a ledger) is opened and
    parsed once and its data reused (``neocloud render``: every scenario extending
    ``base.yaml`` reads it once in all). Problems are never kept: a bad file fails each time.

    >>> from neocloud import load_scenario
    >>> with each_file_read_once():
    ...     load_scenario("params/early_exit.yaml") == load_scenario("params/early_exit.yaml")
    True
    """
    global _READ_ONCE
    outer = _READ_ONCE
    if outer is None:
        _READ_DIGESTS.clear()
    _READ_ONCE = {} if outer is None else outer
    try:
        yield
    finally:
        _READ_ONCE = outer


def _read_yaml(path: Path, what: str = "scenario", example: str = "params/base.yaml") -> Any:
    """A YAML file read with the guarded loader; every problem a :class:`ScenarioError` that says
    what the file should be (``what``, like ``example``)."""
    memo, memo_key = _READ_ONCE, str(Path(path).resolve())
    if memo is not None and memo_key in memo:
        return copy.deepcopy(memo[memo_key])
    if not path.exists():
        raise ScenarioError(path, ["file not found"])
    if not path.is_file():
        raise ScenarioError(path, [f"not a file (give the path of a .yaml {what})"])
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ScenarioError(
            path, [f"file is {size:,} bytes; a {what} may be at most {MAX_FILE_BYTES:,} bytes"]
        )
    if path.is_symlink() and path.resolve().suffix.lower() not in (".yaml", ".yml"):
        raise ScenarioError(path, [f"is a link to {path.resolve()}, not to a .yaml {what}; give the {what} file itself"])
    raw = path.read_bytes()
    if memo is not None:
        _READ_DIGESTS[memo_key] = hashlib.sha256(raw).hexdigest()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ScenarioError(path, ["file is UTF-16 text; save it as UTF-8"])
    if b"\x00" in raw:
        raise ScenarioError(path, [f"file is binary (has NUL bytes); a {what} is YAML text"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ScenarioError(path, [f"file is not UTF-8 text (byte {e.start}); save it as UTF-8"]) from None
    if not text.strip():
        raise ScenarioError(path, [f"file is empty; a {what} is a YAML mapping (see {example})"])
    try:
        data = yaml.load(text, Loader=_GuardedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ScenarioError(path, [f"malformed YAML at {where}{e.problem or e.context}"]) from None
    except (yaml.YAMLError, RecursionError) as e:
        raise ScenarioError(path, [f"malformed YAML: {e}"]) from None
    if data is None:
        raise ScenarioError(path, [f"file is empty (only comments); a {what} is a YAML mapping (see {example})"])
    if not isinstance(data, dict):
        raise ScenarioError(
            path, [f"top level is a {type(data).__name__}; a {what} is a mapping of keys"]
        )
    if memo is not None:
        memo[memo_key] = copy.deepcopy(data)
    return data


def _allowed_keys(loc: tuple[Any, ...], root: Any = None) -> list[str]:
    """The keys a mapping at ``loc`` may have, walking the model classes from ``root`` (default
    the model read), for 'unknown key'."""
    model: Any = root
    for part in loc[:-1]:
        fields = getattr(model, "model_fields", None)
        if fields is None:
            return []
        if isinstance(part, str) and part in fields:
            ann = fields[part].annotation
        else:
            continue  # a dict key or list index: the annotation's value type follows
        for _ in range(3):  # unwrap Optional / dict / list
            args = [a for a in getattr(ann, "__args__", ()) if a is not type(None)]
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                break
            ann = args[-1] if args else ann
        model = ann
    fields = getattr(model, "model_fields", None)
    return sorted(fields) if fields else []


def _short(value: Any) -> str:
    """A value as the user wrote it in YAML, shortened."""
    text = value.isoformat() if isinstance(value, dt.date) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _problems(error: ValidationError, root: Any = None) -> list[str]:
    problems = []
    for err in error.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        key = ".".join(str(p) for p in loc) or "(top level)"
        ctx = err.get("ctx") or {}
        cross = ctx.get("error")
        if isinstance(cross, _CrossFieldError):
            full = ".".join([*(str(p) for p in loc), cross.key])
            problems.append(f"key '{full}': value {_short(cross.value)}: {cross.allowed}")
            continue
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc, root)
            hint = f" (allowed here: {', '.join(allowed)})" if allowed else ""
            problems.append(f"unknown key '{key}'{hint}")
            continue
        if err["type"] == "missing":
            problems.append(f"key '{key}' is missing (required)")
            continue
        msg = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        if (err["type"] == "less_than_equal" and ctx.get("le") in (1, 2, 3) and isinstance(value, (int, float))
                and ctx["le"] < value <= 100 * ctx["le"]):
            msg += f"; a fraction is expected: write {value / 100:g} for {value:g}%"
        elif err["type"] in ("float_type", "int_type", "float_parsing", "int_parsing") and isinstance(value, str):
            msg += number_hint(value)
        problems.append(f"key '{key}': value {_short(value)}: {msg}")
    return problems
