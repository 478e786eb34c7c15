"""Declared fields -> coercion of raw CRM values.

A :class:`Coercer` turns one raw input value into the field's value or
``None`` (missing), appending an issue ``{field, value, message}`` when
the value is there but unusable. How each field type reads a value is one
table, :data:`READINGS` (missing markers first, then the types taken as
they are, then the text fast path, then the type's converter): the
generated evaluators inline the common cases from it
(:meth:`Coercer.code_lines`) and call :meth:`Coercer.coerce` for the
rest, so the slow path is shared, the fast path is cheap, and the two
cannot drift (tests/test_coercion_laws.py holds them equal).

:func:`lead_model` builds the pydantic model of the *input* record from
the same coercers, for integrations that want to validate or document
what they send.

Missing values have one definition, :meth:`Coercer.read`: ``None``, text
that is a missing marker after trimming, and the "not a value" of pandas
and numpy (a float NaN from any source, ``pd.NA``, ``pd.NaT``, numpy's
NaT). Numpy and pandas scalars become the plain Python value first
(``numpy.int64`` -> ``int``, ``numpy.bool_`` -> ``bool``,
``numpy.datetime64`` -> ``datetime``); neither library is imported: they
are recognised by type, so plain values pay nothing for it.
"""

from __future__ import annotations

import json
import math
import numbers
import re
import sys
from datetime import date, datetime, time, timezone
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Callable, NamedTuple, Optional

from pydantic import ConfigDict, Field, WrapValidator, create_model

from ._model import FieldSpec

if TYPE_CHECKING:
    from .plan import FieldPlan

TRUE = frozenset({"true", "yes", "y", "1", "t", "on"})
FALSE = frozenset({"false", "no", "n", "0", "f", "off"})
TEXT_BOOLEANS = {
    spelling: value for words, value in ((TRUE, True), (FALSE, False)) for word in words for spelling in (word, word.capitalize(), word.upper())
}
"""Boolean text as exports write it (exact spellings): what the generated fast path reads without a call."""
_BIG = sys.float_info.max
_INT_DIGITS = 4300
"""Digits of the longest integer text read as it is (Python's limit for ``int()`` of text); every such number is beyond the range anyway."""
_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_NUMBER_TEXT = re.compile(r"(?P<sign>[+-]?)(?:(?P<whole>[0-9]+)\.?(?P<fraction>[0-9]*)|\.(?P<decimals>[0-9]+))(?:[eE](?P<exponent>[+-]?[0-9]+))?")
"""Number text as leadspec reads it: ASCII digits (Python's ``int()`` and ``float()`` read other scripts' digits too), an optional exponent."""
_UTC = timezone.utc
_isoformat = datetime.fromisoformat


def _fromiso(text: str) -> datetime:
    """``datetime.fromisoformat`` with ISO 8601's separator: ``T`` (or a space, or ``t``) between date and time.

    Python takes any one character there, so ``2026-10-02+05:00`` read as
    5 a.m. on 2 October (the ``+`` as the separator), not as a date with
    an offset; such text is not a date and time.
    """
    if len(text) > 10 and text[4:5] == "-" and text[10] not in "Tt ":
        raise ValueError("not ISO 8601: the date and the time are separated by T")
    return _isoformat(text)
_ABSENT = object()
MISSING: Any = object()
"""What :meth:`Coercer.read` returns for a missing value (the caller decides: the default)."""
_PLAIN = frozenset({str, int, float, bool, list, tuple, dict, datetime, date})
_NOT_A_VALUE = frozenset({"NAType", "NaTType"})  # pandas' NA and NaT, by type name: pandas is not imported


def lookup(record: Any, source: str, path: tuple[str, ...] | None = None) -> Any:
    """The raw value at ``source`` in ``record``: the key as written, else the dotted path through nested objects
    (``path``: ``source`` split at its dots, given when already split); None when absent."""
    value = record.get(source, _ABSENT)
    if value is not _ABSENT:
        return value
    if path is None:
        if "." not in source:
            return None
        path = tuple(source.split("."))
    return walk_path(record, path)


def walk_path(record: Any, path: tuple[str, ...]) -> Any:
    """The value at ``path`` through nested objects from ``record``; None when a step is not there."""
    for part in path:  # (any Mapping: a MappingProxyType, a ChainMap, a driver's row; a dict first, as most are)
        if (type(record) is not dict and not isinstance(record, Mapping)) or part not in record:
            return None
        record = record[part]
    return record


class BadValue(ValueError):
    """A raw value that cannot become the field's value."""


def _aware(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    try:
        return dt.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+01:00 has no UTC moment
        raise BadValue("outside the range of dates in UTC") from None


def _formats_text(formats: tuple[str, ...], example: str) -> str:
    """What a bad date or datetime was not in: ``the format '%m/%d/%Y' or ISO 8601 (…)``."""
    iso = f"ISO 8601 ({example})"
    if not formats:
        return iso
    listed = ", ".join(repr(f) for f in formats)
    return f"the format{'s' if len(formats) > 1 else ''} {listed} or {iso}"


def parse_datetime(value: Any, formats: tuple[str, ...] = ()) -> datetime:
    """Text, a datetime or a date -> an aware UTC datetime.

    Text is read with each of ``formats`` (``strptime`` patterns) in
    order, then as ISO 8601: the first that reads the whole text wins.
    """
    if type(value) is str and not formats:  # the common case: ISO text with Z or +00:00
        try:
            parsed = _fromiso(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo is timezone.utc else _aware(parsed)
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=timezone.utc)
    if not isinstance(value, str):
        raise BadValue(f"not a datetime (got {type(value).__name__})")
    text = value.strip()
    for fmt in formats:
        try:
            return _aware(datetime.strptime(text, fmt))
        except ValueError:
            pass
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return _aware(_fromiso(text))
    except ValueError:
        raise BadValue(f"not a datetime in {_formats_text(formats, '2026-11-01T09:30:00Z')}") from None


def parse_date(value: Any, formats: tuple[str, ...] = ()) -> date:
    """Text, a date or a datetime -> a date (an aware datetime gives its date in UTC).

    Text is read with each of ``formats`` in order, then as ISO 8601 (a
    date, or a date and time: its date in UTC).
    """
    if isinstance(value, datetime):
        return _aware(value).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise BadValue(f"not a date (got {type(value).__name__})")
    text = value.strip()
    for fmt in formats:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return _aware(parsed).date() if parsed.tzinfo else parsed.date()  # with %z: its date in UTC, as ISO text gives
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return parse_datetime(text).date()
    except BadValue:
        pass
    raise BadValue(f"not a date in {_formats_text(formats, '2026-11-01')}")


class Reading(NamedTuple):
    """One row of the coercion table: how a field type reads a raw value.

    Every raw value goes through the same steps, in this order, on every
    path (:meth:`Coercer.read`, the generated fast path of
    :meth:`Coercer.code_lines`, :func:`lead_model`):

    1. missing: ``None``, NaN, pandas' NA/NaT, or text that is a missing
       marker after trimming: the default;
    2. ``exact``: a value of exactly one of these types (within ``min`` ..
       ``max`` when ``ranged``) is the field's value as it is;
    3. ``text``: the text fast path, for text that is not a marker:
       ``"strip"`` (trimmed text), ``"digits"`` (plain ASCII digits, read
       by ``int()``), ``"decimal"`` (plain ASCII digits with at most one
       point, read by ``float()``) or ``"spelling"`` (an exact spelling in
       the field's table of spellings, :attr:`Coercer.spellings`);
       the generated code also reads a marker exactly as written (not
       padded) as the default without a call (step 1 inlined);
    4. anything else: the type's converter (``Coercer.convert``), through
       the method ``slow`` of the generated code.
    """

    exact: tuple[type, ...]
    ranged: bool
    text: str | None
    slow: str
    python: Any
    """The Python type :func:`lead_model` documents (its JSON Schema)."""


READINGS: dict[str, Reading] = {
    "string": Reading((), False, "strip", "coerce", str),
    "integer": Reading((int,), True, "digits", "coerce", int),
    "number": Reading((int, float), True, "decimal", "coerce", float),
    "boolean": Reading((bool,), False, "spelling", "coerce", bool),
    "enum": Reading((), False, "spelling", "coerce", str),
    "date": Reading((date,), False, None, "coerce", date),
    "datetime": Reading((), False, None, "coerce", datetime),
    "list": Reading((), False, None, "coerce", tuple[str, ...]),
    "events": Reading((), False, None, "coerce_events", list[dict[str, Any]]),
}
"""The coercion table, one row per field type (see :class:`Reading`)."""

_DIGITS = "len({v}) < 19 and {v}.isdigit() and {v}.isascii()"
"""The text fast path of integers: plain ASCII digits, fewer than 19 (int() is exact; always within the largest number)."""
_is_digits: Callable[[str], bool] = eval("lambda v: " + _DIGITS.format(v="v"))  # noqa: S307 - our own constant
""":data:`_DIGITS` as a Python function: the markers it would let through are checked first in the generated code."""
_DECIMAL = "len({v}) < 19 and {v}.isascii() and {v}.replace('.', '', 1).isdigit()"
"""The text fast path of numbers: plain ASCII digits with at most one point (``2.5``, ``.5``, ``5.``, ``12``), fewer than
19 characters: what ``float()`` reads there is what the number converter reads (no space, sign, exponent, separator or
other script), and always finite."""
_is_decimal: Callable[[str], bool] = eval("lambda v: " + _DECIMAL.format(v="v"))  # noqa: S307 - our own constant


class Coercer:
    """Raw input value -> a declared field's value.

    Built from the plan's field (:meth:`from_plan`) or, as the checker does
    today, from the rule file's field and the file's markers.
    """

    def __init__(self, name: str, spec: FieldSpec, missing: frozenset[str]) -> None:
        self.spec = spec
        """The field as the rule file declares it (for the checker, until it reads the plan's field)."""
        self._setup(
            name,
            spec.type,
            spec.source or name,
            spec.default,
            frozenset(missing),
            tuple(spec.values) if spec.values is not None else None,
            spec.formats(),
            spec.min,
            spec.max,
            spec.description,
        )

    @classmethod
    def from_plan(cls, field: FieldPlan) -> Coercer:
        """The coercer of a :class:`leadspec.plan.FieldPlan`; :class:`BadValue` if its default is unusable."""
        self = cls.__new__(cls)
        default = _thawed(field.default)  # the plan's frozen containers stay in the plan: values are plain dicts and lists
        self.spec = FieldSpec.model_construct(
            type=field.type,
            source=field.source,
            default=default,
            min=field.min,
            max=field.max,
            values=list(field.values) if field.values is not None else None,
            format=list(field.format) or None,  # the rule file's spelling: no list, no formats
            description=field.description,
        )
        self._setup(
            field.name,
            field.type,
            field.source,
            default,
            frozenset(field.missing),
            field.values,
            field.format,
            field.min,
            field.max,
            field.description,
        )
        return self

    def _setup(
        self,
        name: str,
        type: str,
        source: str,
        default: Any,
        missing: frozenset[str],
        values: tuple[str, ...] | None,
        format: tuple[str, ...],
        min: float | None,
        max: float | None,
        description: str | None,
    ) -> None:
        self.name = name
        self.type = type
        self.reading = READINGS[type]
        self.source = source
        self.path = tuple(source.split(".")) if "." in source else None
        self.missing = missing
        self.values = values
        self.format = format
        self.declared_min = min
        self.declared_max = max
        self.description = description
        self.min: float | int = -_BIG if min is None else min
        self.max: float | int = _BIG if max is None else max
        self._bad_enum_texts: dict[str, str] = {}  # bad enum text -> its issue (see _not_one_of)
        self.spellings: dict[str, Any] = {}
        """The spellings a boolean or enum reads, trimmed: exact spellings first, then lower-cased ones.

        Text is looked up as it is (trimmed), then lower-cased. The
        generated fast path takes the exact spellings that are not missing
        markers (:attr:`fast_spellings`) and the markers as they are
        (their default): markers come first.
        """
        if type == "boolean":
            self.spellings = dict(TEXT_BOOLEANS)
        elif type == "enum":
            for v in values or ():
                self.spellings.setdefault(v.strip(), v)
            for v in values or ():
                self.spellings.setdefault(v.strip().lower(), v)
        self.fast_spellings = {text: value for text, value in self.spellings.items() if text not in missing}
        self.digit_markers = frozenset(m for m in missing if (_is_decimal if type == "number" else _is_digits)(m))
        """Markers the integer or number fast path (plain ASCII digits, with a point for numbers) would otherwise read as
        numbers: "0", "9999", "0.0"."""
        self._convert = {
            "string": self._string,
            "integer": self._ranged_integer,
            "number": self._ranged_number,
            "boolean": self._boolean,
            "enum": self._enum,
            "date": self._date,
            "datetime": self._datetime,
            "list": self._list,
            "events": self._events,
        }[type]
        self.default: Any = None
        if default is not None:
            self.default = self.convert(default)
            if isinstance(self.default, list):  # events: one shared default must not be changeable
                self.default = tuple(self.default)

    # -- the generated fast path -------------------------------------------
    def code_lines(self, var: str, constant: Callable[[Any, str], str]) -> list[str]:
        """Python lines that turn the raw value in ``var`` into the field's value, in ``var``.

        Exactly :meth:`coerce` (the same value, the same issues appended
        to ``issues``, which must be in scope), with the common cases
        inlined from :data:`READINGS`. ``constant(value, prefix)`` names a
        global holding ``value``. The lines may use the local ``_t``.
        """
        v = var
        row = self.reading
        me = constant(self, f"_c_{self.name}_")
        slow = f"{v} = {me}.{row.slow}({v}, issues)"
        exact = ""
        if row.exact:
            exact = " or ".join(f"type({v}) is {t.__name__ if t in (int, float, bool) else constant(t, '_type')}" for t in row.exact)
            if row.ranged:
                low, high = constant(self.min, "_min"), constant(self.max, "_max")
                exact = f"({exact}) and {low} <= {v} <= {high}" if len(row.exact) > 1 else f"{exact} and {low} <= {v} <= {high}"
        text = ""  # the condition and the value of the text fast path
        if row.text == "strip":
            text = f"type({v}) is str: {v} = {constant(self.default, '_dflt')} if (_t := {v}.strip()) in {constant(self.missing, '_miss')} else _t"
        elif row.text == "digits":
            condition = _DIGITS.format(v=v)
            if self.digit_markers:  # markers first: "0" or "9999" missing, not a number
                condition += f" and {v} not in {constant(self.digit_markers, '_miss')}"
            if self.declared_min is None and self.declared_max is None:  # fewer than 19 digits: always in range
                text = f"type({v}) is str and {condition}: {v} = int({v})"
            else:
                low, high = constant(self.min, "_min"), constant(self.max, "_max")
                text = f"type({v}) is str and {condition} and {low} <= (_t := int({v})) <= {high}: {v} = _t"
        elif row.text == "decimal":
            condition = _DECIMAL.format(v=v)
            if self.digit_markers:  # markers first: "0" or "0.0" missing, not a number
                condition += f" and {v} not in {constant(self.digit_markers, '_miss')}"
            low, high = constant(self.min, "_min"), constant(self.max, "_max")
            text = f"type({v}) is str and {condition} and {low} <= (_t := float({v})) <= {high}: {v} = _t"
        elif row.text == "spelling":  # exact spellings (none is a marker) and the markers themselves, read in one lookup
            table = constant({**dict.fromkeys(self.missing, self.default), **self.fast_spellings}, "_spell")
            text = f"type({v}) is str and {v} in {table}: {v} = {table}[{v}]"
        # a marker as it is (not padded): the default, without the call (a blank cell is the commonest); not for a list's
        # default, a tuple of text: the namespace shares equal constants, and a text function's is lowered once into
        # another type (a list's value must be the tuple itself)
        marker = ""
        if self.missing and row.slow == "coerce" and row.text not in ("strip", "spelling") and type(self.default) is not tuple:
            marker = f"type({v}) is str and {v} in {constant(self.missing, '_miss')}: {v} = {constant(self.default, '_dflt')}"
        if exact and not text and not marker:
            return [f"if not ({exact}): {slow}"]
        branches = [*([f"{exact}: pass"] if exact else []), *([text] if text else []), *([marker] if marker else [])]
        if not branches:
            return [slow]
        return [f"if {branches[0]}", *(f"elif {branch}" for branch in branches[1:]), f"else: {slow}"]

    # -- reading ---------------------------------------------------------
    def lookup(self, record: Any) -> Any:
        """The raw value in ``record``: its key, else the dotted path."""
        return lookup(record, self.source, self.path)

    # -- coercion --------------------------------------------------------
    def read(self, raw: Any) -> Any:
        """``raw`` as this field's type; :data:`MISSING` for a missing value; :class:`BadValue` if unusable.

        The one definition of a missing value: evaluation (the generated
        fast paths only take values this would take the same way),
        :meth:`coerce` and :func:`lead_model` all follow it.
        """
        kind = type(raw)
        if kind is str:
            if raw.strip() in self.missing:
                return MISSING
        elif raw is None:
            return MISSING
        elif kind is float:
            if raw != raw:  # NaN: pandas' "no value"
                return MISSING
        elif kind not in _PLAIN:
            try:
                raw = plain(raw)
            except Exception as exc:  # noqa: BLE001 - a value whose own methods raise (a hostile subclass, a huge Fraction)
                raise BadValue(f"cannot be read as {self.type}: {type(exc).__name__}") from None
            if raw is MISSING or (isinstance(raw, str) and raw.strip() in self.missing):
                return MISSING
        row = self.reading
        if type(raw) in row.exact and (not row.ranged or self.min <= raw <= self.max):
            return raw  # the value as it is (READINGS): what the generated code lets through
        try:
            return self._convert(raw)
        except BadValue:
            raise
        except Exception as exc:  # noqa: BLE001 - a value no converter foresaw (its own methods raised: a tzinfo, say)
            raise BadValue(f"cannot be read as {self.type}: {type(exc).__name__}") from None

    def coerce(self, raw: Any, issues: Any) -> Any:
        """The value for ``raw``: the default when it is missing; ``None`` with an issue when it is unusable."""
        if raw is None:  # the commonest missing value (an absent key), without the call
            return self.default
        try:
            value = self.read(raw)
        except BadValue as exc:
            issues.append({"field": self.name, "value": _jsonable(raw), "message": str(exc)})
            return None
        return self.default if value is MISSING else value

    def convert(self, raw: Any) -> Any:
        """``raw`` (not missing) as this field's type, or :class:`BadValue`."""
        return self._convert(raw)

    def _string(self, raw: Any) -> str:
        if isinstance(raw, str):
            return raw.strip()
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return _number_text(raw)
        raise BadValue(f"not text (got {type(raw).__name__})")

    def _enum(self, raw: Any) -> str:
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            raw = _number_text(raw)
        if isinstance(raw, str):
            found = self._spelling(raw)
            if isinstance(found, str):
                return found
            raise BadValue(self._not_one_of(raw.strip()))
        raise BadValue(f"not text (got {type(raw).__name__})")

    def _not_one_of(self, text: str) -> str:
        """The issue of a bad enum value, with the closest allowed value (:func:`closest_value`); remembered per text
        (an export repeats its bad values)."""
        memo = self._bad_enum_texts
        message = memo.get(text)
        if message is None:
            close = closest_value(text, self.values or ())
            message = f"not one of {', '.join(self.values or ())}" + (f" (did you mean {close!r}?)" if close is not None else "")
            if len(memo) < 4096:  # bounded: a column of unique bad values must not grow it without end
                memo[text] = message
        return message

    def _spelling(self, text: str) -> Any:
        """The value :attr:`spellings` gives trimmed ``text``, as written or lower-cased; ``None`` if none."""
        text = text.strip()
        found = self.spellings.get(text)
        return self.spellings.get(text.lower()) if found is None else found

    def _ranged_integer(self, raw: Any) -> int | float:
        return self._range(self._integer(raw))

    def _ranged_number(self, raw: Any) -> int | float:
        return self._range(self._number(raw))

    def _date(self, raw: Any) -> date:
        return parse_date(raw, self.format)

    def _datetime(self, raw: Any) -> datetime:
        return parse_datetime(raw, self.format)

    def _integer(self, raw: Any) -> int:
        if isinstance(raw, bool):
            raise BadValue("not an integer (got a boolean)")
        if isinstance(raw, int):
            return raw
        if isinstance(raw, float):
            if raw.is_integer():
                return int(raw)
            raise BadValue("not an integer")
        if isinstance(raw, str):
            text = raw.strip()
            if len(text) <= _INT_DIGITS and _INT_TEXT.fullmatch(text):
                return int(text)
            match = _NUMBER_TEXT.fullmatch(text)
            if match:
                return _exact_integer(match)
            raise BadValue("not an integer" + _script(text))
        raise BadValue("not an integer")

    def _number(self, raw: Any) -> float | int:
        if isinstance(raw, bool):
            raise BadValue("not a number (got a boolean)")
        if isinstance(raw, (int, float)):
            number = raw
        elif isinstance(raw, str) and "_" not in raw and "," not in raw:
            text = raw.strip()
            try:
                if not text.isascii():
                    raise ValueError(text)
                number = float(text)
            except ValueError:
                raise BadValue("not a number" + _script(text)) from None
        else:
            raise BadValue("not a number" + (" (thousands separators are not guessed)" if isinstance(raw, str) else ""))
        if isinstance(number, float) and not math.isfinite(number):
            raise BadValue("not a finite number")
        return number

    def _range(self, number: float | int) -> float | int:
        if number < self.min:
            if self.declared_min is None:
                raise BadValue(f"{_short(number)} is below the smallest number leadspec reads")
            raise BadValue(f"{_short(number)} is below the minimum {self.declared_min:g}")
        if number > self.max:
            if self.declared_max is None:
                raise BadValue(f"{_short(number)} is above the largest number leadspec reads")
            raise BadValue(f"{_short(number)} is above the maximum {self.declared_max:g}")
        return number

    def _boolean(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw)
        if isinstance(raw, str):
            found = self._spelling(raw)
            if found is not None:
                return bool(found)
        raise BadValue("not a boolean (use true/false, yes/no, y/n or 1/0)")

    def _list(self, raw: Any) -> tuple[str, ...]:
        """A list field's value: a tuple of text (compares with list literals; cannot be changed)."""
        if isinstance(raw, str):
            text = raw.strip()
            if text.startswith("["):
                raw = _json(text, "not a list: starts with [ but is not a JSON list")
            else:
                return tuple(part.strip() for part in text.split(";") if part.strip())
        if isinstance(raw, (list, tuple)):
            out = []
            for item in raw:
                if item is None:
                    continue
                if type(item) not in _PLAIN or type(item) is float:
                    item = plain(item)  # a NaN (pandas' "no value") is no item, as numpy's and pandas' are
                    if item is MISSING:
                        continue
                if isinstance(item, str):
                    text = item.strip()
                elif isinstance(item, bool):  # True is not text: "True" was read, a string field refuses it
                    raise BadValue("not a list of text values (an item is a boolean)")
                elif isinstance(item, (int, float)):
                    text = _number_text(item)
                else:
                    raise BadValue("not a list of text values")
                if text:
                    out.append(text)
            return tuple(out)
        raise BadValue(f"not a list (got {type(raw).__name__})")

    def coerce_events(self, raw: Any, issues: Any) -> Any:
        """:meth:`coerce` for an events field, with the common case (a list) first."""
        if type(raw) is list:
            try:
                return self._events(raw)
            except BadValue as exc:
                message = str(exc)
            except Exception as exc:  # noqa: BLE001 - an event whose own methods raise: an issue, not a crash
                message = f"cannot be read as events: {type(exc).__name__}"
            issues.append({"field": self.name, "value": _jsonable(raw), "message": message})
            return None
        return self.coerce(raw, issues)

    def _events(self, raw: Any) -> list[Event]:
        """Events as ``(type, at, original)`` tuples; see :data:`Event`."""
        if isinstance(raw, str):
            raw = _json(raw, "not a JSON list of events")
        if not isinstance(raw, (list, tuple)):
            raise BadValue(f"not a list of events (got {type(raw).__name__})")
        # the common cases in one plain loop (a comprehension's walrus would make ``kind`` and ``at`` cells of this
        # whole function, slower to read here and in the careful loop): each ``at`` an aware datetime in UTC (a
        # driver, a DataFrame) or ISO text in UTC (JSON, a plain ``str``: a subclass is read by the careful loop, as
        # the text it holds); at the first event that is not plainly one of them the careful loop below reads the list
        # (``stage()``'s one pass over the events, leadspec._compile, accepts the same events)
        fast: list[Event] = []
        try:
            for event in raw:
                kind = event["type"]
                at = event["at"]
                if type(at) is not datetime:
                    if type(at) is not str:
                        break
                    at = _fromiso(at)
                if type(kind) is not str or not kind or at.tzinfo is not _UTC:
                    break
                fast.append((kind, at, event))
            else:
                return fast
        except Exception:  # noqa: BLE001 - anything odd takes the careful loop below
            pass
        out: list[Event] = []
        append = out.append
        for event in raw:
            try:
                kind = event["type"]
                at = event["at"]
            except Exception:  # noqa: BLE001 - not an object with type and at (or one whose [] raises)
                break
            if type(kind) is not str:
                if not isinstance(kind, str):
                    break
                kind = str.__str__(kind)  # a subclass (numpy's str_): the text it holds, as plain() reads any value
            if not kind:
                break
            try:
                if type(at) is str:
                    try:
                        at = _fromiso(at)
                    except ValueError:  # " 2026-10-01 ", "...Z" on Python 3.10: the careful parse
                        at = parse_datetime(at)
                    if at.tzinfo is not _UTC:
                        at = _aware(at)
                elif type(at) is not datetime or at.tzinfo is not _UTC:
                    at = parse_datetime(plain(at))
            except BadValue:
                break
            append((kind, at, event))
        else:
            return out
        return self._event_problem(raw, len(out))

    @staticmethod
    def _event_problem(raw: Any, i: int) -> list[Event]:
        """Raise the precise problem of event ``i`` (the hot loop stopped there)."""
        event = raw[i]
        if not isinstance(event, dict):
            raise BadValue(f"event {i} is not an object with type and at")
        try:  # read as the loop read it: [] (a dict subclass's get() may say otherwise)
            kind = event["type"] if "type" in event else None
            at = event["at"] if "at" in event else None
        except Exception:  # noqa: BLE001 - its [] raises
            raise BadValue(f"event {i} is not an object with type and at") from None
        if not isinstance(kind, str) or not kind:
            raise BadValue(f"event {i} has no type")
        try:
            parse_datetime(plain(at))
        except BadValue as exc:
            raise BadValue(f"event {i}: `at` is {exc}") from None
        except Exception as exc:  # noqa: BLE001 - its own methods raise
            raise BadValue(f"event {i}: `at` cannot be read ({type(exc).__name__})") from None
        raise BadValue(f"event {i} cannot be read")  # the loop stopped at it for a reason not told apart here


Event = tuple[str, datetime, Any]
"""A coerced event: its type, its moment (aware, UTC) and the input object it came from."""


def events_as_dicts(events: list[Event] | None) -> list[dict[str, Any]] | None:
    """Coerced events as the objects of the input with ``at`` parsed."""
    if events is None:
        return None
    return [{**original, "type": kind, "at": at} if isinstance(original, dict) else {"type": kind, "at": at} for kind, at, original in events]


def plain(raw: Any) -> Any:
    """A value of another library (numpy, pandas) as the plain Python value; :data:`MISSING` for its "no value".

    Recognised by type, without importing either library: pandas' ``NA``
    and ``NaT``; numpy scalars (``.item()``; ``datetime64`` as a
    ``datetime``, its NaT missing); any float NaN; other
    :class:`numbers.Integral` and :class:`numbers.Real`; a
    ``decimal.Decimal`` (a database driver's NUMERIC) as the float nearest
    to it, as the SQL engines read a DECIMAL column, its NaN missing;
    ``datetime`` subclasses such as ``pd.Timestamp``; a subclass of ``str`` as
    the plain ``str`` it holds. Anything else is returned as is.
    """
    kind = type(raw)
    if kind.__name__ in _NOT_A_VALUE:
        return MISSING
    if kind.__module__ == "numpy" and hasattr(raw, "item"):
        try:
            if kind.__name__ == "datetime64":
                value = raw.astype("datetime64[us]").item()  # .item() of finer units is an int of nanoseconds
                if isinstance(value, int):  # beyond the years 1-9999 a datetime holds: left as numpy's (a bad value)
                    return raw
            else:
                value = raw.item()
        except (ValueError, TypeError, OverflowError):  # an array of several values, an odd unit
            return raw
        if value is None:
            return MISSING
        if type(value) is kind:  # longdouble, clongdouble: .item() keeps numpy's type (plain() of it would recurse)
            return float(value) if isinstance(value, numbers.Real) else value
        return plain(value)
    if isinstance(raw, float):
        return MISSING if raw != raw else float(raw)
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):  # a subclass (an enum.StrEnum member, markupsafe's Markup): the plain text it holds (str's
        return str.__str__(raw)  # own method: the subclass's strip(), __str__() or __format__() would say otherwise)
    if isinstance(raw, numbers.Integral):
        return int(raw)
    if isinstance(raw, numbers.Real):
        number = float(raw)
        return MISSING if number != number else number
    if isinstance(raw, numbers.Number) and callable(getattr(raw, "is_nan", None)):  # decimal.Decimal, not imported
        decimal: Any = raw
        return MISSING if decimal.is_nan() else float(decimal) or 0.0  # no DECIMAL column holds -0: 0.0, as SQL reads it
    if isinstance(raw, datetime) and kind is not datetime:  # pd.Timestamp and other subclasses
        return datetime(raw.year, raw.month, raw.day, raw.hour, raw.minute, raw.second, raw.microsecond, raw.tzinfo, fold=raw.fold)
    return raw


def _thawed(value: Any) -> Any:
    """A plan value (tuples, frozen mappings) as the plain lists and dicts an input would have."""
    if isinstance(value, tuple):
        return [_thawed(v) for v in value]
    if isinstance(value, dict):
        return {k: _thawed(v) for k, v in value.items()}
    return value


def _json(text: str, problem: str) -> Any:
    """JSON text of a list cell, or :class:`BadValue` (also for nesting Python cannot parse)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise BadValue(f"{problem} (nested too deeply)") from None
    except ValueError:
        raise BadValue(problem) from None


def _exact_integer(match: re.Match[str]) -> int:
    """Number text with a fraction or an exponent (:data:`_NUMBER_TEXT`) as an integer, exactly: ``"1e30"`` is
    10**30 and ``"12345678901234567.0"`` is 12345678901234567 (a float would round both); a fraction is a bad value."""
    fraction = match["fraction"] or match["decimals"] or ""
    significant = ((match["whole"] or "") + fraction).lstrip("0")
    if not significant:
        return 0
    written = match["exponent"] or "0"
    if len(written.lstrip("+-")) > 20:  # an exponent of more than 20 digits: far beyond any number, or a fraction
        raise BadValue("not an integer" if written.startswith("-") else f"a number with a {len(written.lstrip('+-')):,}-digit exponent is above the largest number leadspec reads")
    digits = significant.rstrip("0")
    exponent = int(written) - len(fraction) + len(significant) - len(digits)  # the value is digits followed by exponent zeros
    if exponent < 0:
        raise BadValue("not an integer")
    if len(digits) + exponent > _INT_DIGITS:  # "1e999999": said without building the integer (the range check words the rest)
        where = "below the smallest" if match["sign"] == "-" else "above the largest"
        raise BadValue(f"a {len(digits) + exponent:,}-digit number is {where} number leadspec reads")
    value = int(digits + "0" * exponent)
    return -value if match["sign"] == "-" else value


CLOSEST_LENGTH = 64
"""The longest bad enum text for which the closest allowed value is looked for."""


def closest_value(text: str, values: Sequence[str]) -> str | None:
    """The allowed value a bad enum text was probably meant to be, or None.

    The value at the smallest edit distance (Levenshtein: insertions,
    deletions and substitutions of characters, ignoring case), when that
    distance is at most a quarter of the text's length (at least 1); on a
    tie, the first declared. Text longer than :data:`CLOSEST_LENGTH`
    characters gets no suggestion. The rule is the same in SQL (each
    engine's ``levenshtein``), so both engines suggest the same value.
    """
    if len(text) > CLOSEST_LENGTH:
        return None
    limit = max(1, len(text) // 4)
    low = text.lower()
    best: str | None = None
    best_distance = limit + 1
    for value in values:
        distance = _edit_distance(low, value.lower(), best_distance)
        if distance < best_distance:
            best, best_distance = value, distance
    return best


def _edit_distance(a: str, b: str, bound: int) -> int:
    """The Levenshtein distance of ``a`` and ``b``, or ``bound`` when it is ``bound`` or more (stops early)."""
    if abs(len(a) - len(b)) >= bound:
        return bound
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) >= bound:
            return bound
        previous = current
    return min(previous[-1], bound)


def _script(text: str) -> str:
    """The hint for number text with digits other than 0-9 (Arabic-Indic, fullwidth): leadspec reads ASCII digits only."""
    return " (only the digits 0-9 are read)" if any(c.isdigit() and not c.isascii() for c in text) else ""


def _digits(number: int) -> int:
    """How many decimal digits ``number`` has, without ``str()`` (limited to 4,300 digits)."""
    return math.floor(math.log10(abs(number))) + 1 if number else 1


def _number_text(number: int | float) -> str:
    """A number as text; an integer too long for ``str()`` is a bad value."""
    try:
        return str(number)
    except ValueError:  # int over sys.get_int_max_str_digits() digits
        raise BadValue(f"{_short(number)} is too long to read as text") from None


def _short(number: float | int) -> str:
    if isinstance(number, float):
        return repr(number)
    if abs(number) < 10**30:
        return str(number)
    return f"a {_digits(number):,}-digit number"


def _jsonable(value: Any) -> Any:
    """``value`` as it can be shown in an issue (JSON-ready, never raising)."""
    if type(value) not in _PLAIN and value is not None:
        try:
            value = plain(value)
        except Exception:  # noqa: BLE001 - its own methods raise: shown by its repr below
            pass
        if value is MISSING:
            return None
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # NaN and Infinity are not JSON
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**30:
        return _short(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    try:
        json.dumps(value)
        return value
    except Exception:  # noqa: BLE001 - not JSON (or its own methods raise): shown by its repr
        pass
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - nested too deeply, huge numbers inside, or a repr that raises
        return f"<{type(value).__name__} that cannot be shown>"
    return text if len(text) <= 1000 else text[:1000] + "…"


def lead_model(ruleset_name: str, coercers: list[Coercer]) -> Any:
    """A pydantic model of the input record the declared fields read.

    Keys are the fields' sources; dotted sources become nested models.
    Validation uses the same coercion as evaluation, so a value the model
    accepts is a value the evaluator uses.
    """
    tree: dict[str, Any] = {}
    for c in coercers:
        parts = list(c.path) if c.path else [c.source]
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):  # pragma: no cover - a key that is also a path
                break
        else:
            node[parts[-1]] = c

    def validator(coercer: Coercer) -> Any:
        def run(value: Any, handler: Any) -> Any:  # the coercer's value as it is: pydantic's own conversion is skipped
            try:
                value = coercer.read(value)
            except BadValue as exc:
                raise ValueError(str(exc)) from None
            if value is MISSING:
                value = coercer.default
            return events_as_dicts(list(value)) if coercer.type == "events" and value is not None else value

        return run

    def build(name: str, node: dict[str, Any]) -> Any:
        definitions: dict[str, Any] = {}
        for i, (key, value) in enumerate(node.items()):
            attr = f"f{i}"
            if isinstance(value, Coercer):
                extra: dict[str, Any] = {}
                if value.type == "enum":
                    extra["json_schema_extra"] = {"enum": list(value.values or ())}
                default = value.default
                if value.type == "events" and default is not None:
                    default = events_as_dicts(list(default))
                python_type: Any = value.reading.python
                ann = Annotated[Optional[python_type], WrapValidator(validator(value))]
                low, high = value.declared_min, value.declared_max
                if value.type == "integer":  # the whole numbers within: pydantic's integer bounds must be whole
                    low = None if low is None else math.ceil(low)
                    high = None if high is None else math.floor(high)
                definitions[attr] = (
                    ann,
                    Field(
                        default,
                        alias=key,
                        description=value.description or f"{value.name} ({value.type})",
                        ge=low,  # for the JSON Schema: the coercer checks the range
                        le=high,
                        **extra,
                    ),
                )
            else:
                definitions[attr] = (Optional[build(f"{name}_{key}", value)], Field(None, alias=key))
        return create_model(
            name,
            __config__=ConfigDict(extra="allow", populate_by_name=False, frozen=True),
            **definitions,
        )

    title = "".join(part.capitalize() for part in ruleset_name.replace("-", "_").split("_")) + "Lead"
    return build(title, tree)
