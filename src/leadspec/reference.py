"""The reference interpreter: a slow, plain reading of a whole plan, used as an oracle.

:func:`evaluate` runs a :class:`~leadspec.plan.Plan` on one lead the way
the user documentation describes it, step by step and without any of the
engine's shortcuts: it reads every field (missing markers first, the
default only for no value, bad values as issues), computes the scores
(events inside the window, decay, caps, rule points, clamps), the
disqualifiers and the stages' criteria in three-valued logic, combines
the groups, applies the ``missing:`` policies and picks the stage.

It is written from ``docs/`` alone and shares nothing with the code
generator but the implementations of the built-in functions (through
:func:`_call`, one adapter). Engines (the generated Python today, SQL
next) are tested against it: for every rule file and lead, their stage,
outcomes, scores and values must equal its own. It is slow on purpose:
clarity is its only job.

>>> import leadspec
>>> from leadspec import reference
>>> rules = leadspec.loads('''
... leadspec: 1
... name: tiny
... fields:
...   employees: {type: integer}
... stages:
...   - id: icp
...     when: 50 <= employees <= 5000
... ''')
>>> outcome = reference.evaluate(rules.plan, {"employees": " 250 "}, "2026-11-01")
>>> outcome.stage, outcome.criteria, outcome.values
('icp', {'icp.when': 'pass'}, {'employees': 250})
"""

from __future__ import annotations

import json
import math
import numbers
import operator
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any, Callable, Literal, Union

from ._functions import FUNCTIONS
from .plan import (
    Arith,
    BoolOp,
    Call,
    Compare,
    Const,
    Criterion,
    Expr,
    FieldPlan,
    FlagName,
    Group,
    In,
    ListName,
    ListOf,
    Name,
    Negate,
    Not,
    Plan,
    ScorePlan,
)

__all__ = ["Event", "Outcome", "evaluate"]

Verdict = Literal["pass", "fail", "unknown"]
Event = tuple[str, datetime, Mapping[str, Any]]
"""One coerced event: its type, its moment (an aware UTC datetime) and the object as it came in."""

DISQUALIFIED = "disqualified"

# Limits at evaluation (docs/expressions.md, "Limits while evaluating"): joining or repeating text or
# lists, and powers; nothing else is bounded while a lead is evaluated.
MAX_SIZE = 100_000  # characters of text, items of a list, joined or repeated
MAX_POWER_OPERAND = 4_000_000  # either side of `**`, in absolute value
MAX_POWER_BITS = 4_096  # an integer power


@dataclass(frozen=True)
class Outcome:
    """Everything the reference interpreter decided for one lead.

    ``criteria``: each criterion's outcome by id (after its ``missing:``
    policy), in file order. ``stages``: each stage's own condition.
    ``scores``: each score's total. ``values``: each field's value after
    reading the lead (None: missing; events as :data:`Event` tuples).
    ``bad``: the fields whose value could not be used (an issue each).
    ``errors``: the criteria whose expression raised while evaluating
    (an issue each; their outcome is unknown before the policy).
    """

    stage: str
    criteria: dict[str, Verdict]
    stages: dict[str, Verdict]
    scores: dict[str, Union[int, float]]
    values: dict[str, Any]
    bad: frozenset[str]
    errors: tuple[str, ...]
    flags: dict[str, Verdict] = field(default_factory=dict)
    """Each flag's outcome by name (after its ``missing:`` policy)."""


class _Bad(Exception):
    """A raw value that cannot be read as its field's type."""


class _Raised(Exception):
    """An expression failed while evaluating; carries the original exception."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.error = error


# -- the built-in functions: the one place that reaches into the engine ------------------------


def _call(call: Call, args: list[Any], env: _Env) -> Any:
    """A built-in function's value, from the function registry's own implementation.

    The only use of leadspec's internals in this module: the registry
    (``leadspec._functions.FUNCTIONS``) holds one implementation of each
    function for every engine, and this oracle shares only those.
    """
    return FUNCTIONS[call.fn].evaluate(call, args, env)


# -- reading a lead (docs/rule-files.md "Fields", docs/missing-values.md) ---------------------------

_TRUE = {"true", "yes", "y", "t", "on", "1"}
_FALSE = {"false", "no", "n", "f", "off", "0"}
_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_NUMBER_TEXT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def _lookup(lead: Mapping[str, Any], source: str) -> Any:
    """The raw value at ``source``: the key as written wins, else the dotted path; None when absent."""
    if source in lead:
        return lead[source]
    if "." not in source:
        return None
    node: Any = lead
    for part in source.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _python_value(raw: Any) -> Any:
    """A numpy scalar as the Python value it holds (numpy's NaT: None; a ``longdouble`` as a float); a
    ``decimal.Decimal`` as the nearest float (its NaN: None); a subclass of ``str`` as the plain ``str``; another
    integer type (an ``int`` subclass, an ``IntEnum`` member) as an ``int``, another real number (a ``Fraction``, a
    ``float`` subclass) as a ``float``; anything else as it is."""
    if type(raw).__module__ == "numpy" and callable(getattr(raw, "item", None)):
        if getattr(raw, "size", 1) != 1:  # an array of several values (or none): not one value
            return raw
        if type(raw).__name__ == "datetime64":  # in microseconds: .item() is a datetime (None for NaT) within the
            value = raw.astype("datetime64[us]").item()  # years 1-9999, else an int: no datetime, left as it is
            return raw if isinstance(value, int) else value
        value = raw.item()
        if type(value) is type(raw) and isinstance(value, numbers.Real):  # longdouble: .item() keeps numpy's type
            value = float(value)
        return value
    if isinstance(raw, Decimal):
        return None if raw.is_nan() else float(raw) or 0.0  # Decimal('-0') too: 0.0
    if isinstance(raw, str) and type(raw) is not str:  # a subclass of str: the text it holds, read with str's own methods
        return str.__str__(raw)
    kind: type = type(raw)
    if isinstance(raw, numbers.Integral) and not isinstance(raw, bool) and kind is not int:
        return int(raw)
    if isinstance(raw, numbers.Real) and not isinstance(raw, (bool, int)) and kind is not float:
        try:
            number = float(raw)
        except OverflowError:  # a Fraction beyond any float: left as it is, which no reader takes (a bad value)
            return raw
        return None if number != number else number
    return raw


def _no_value(raw: Any, markers: tuple[str, ...]) -> bool:
    """None, a float NaN, pandas' NA/NaT, or text that is a missing marker once trimmed."""
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    if type(raw).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(raw, str) and raw.strip() in markers


def _is_number(raw: Any) -> bool:
    return isinstance(raw, (int, float)) and not isinstance(raw, bool)


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _read_datetime(raw: Any, formats: tuple[str, ...]) -> datetime:
    """A datetime in UTC: text in one of ``formats`` (the first that reads it) or in ISO 8601 (no offset: UTC); a date is midnight UTC."""
    try:
        return _datetime(raw, formats)
    except OverflowError:  # the moment in UTC is before the year 1 or after 9999
        raise _Bad("not a datetime") from None


def _strptime(text: str, formats: tuple[str, ...]) -> datetime | None:
    """``text`` read with the first of ``formats`` that reads all of it; None when none does."""
    for pattern in formats:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def _datetime(raw: Any, formats: tuple[str, ...]) -> datetime:
    if isinstance(raw, datetime):
        if type(raw) is not datetime:  # pandas' Timestamp and other subclasses: the plain datetime they hold
            raw = datetime(raw.year, raw.month, raw.day, raw.hour, raw.minute, raw.second, raw.microsecond, raw.tzinfo)
        return _as_utc(raw)
    if isinstance(raw, date):
        return datetime.combine(raw, time(), tzinfo=timezone.utc)
    if not isinstance(raw, str):
        raise _Bad("not a datetime")
    text = raw.strip()
    written = _strptime(text, formats)  # the rule file's formats first, in the order written
    if written is not None:
        return _as_utc(written)
    iso = text.translate(_RFC3339_CASE)  # ISO 8601 as RFC 3339 reads it: `t` and `z` may be written in lower case (nothing else)
    if len(iso) > 10 and iso[4:5] == "-" and iso[10] not in "T ":  # the date and the time are separated by T
        raise _Bad("not a datetime")
    try:
        return _as_utc(datetime.fromisoformat(iso))
    except ValueError:
        raise _Bad("not a datetime") from None


_RFC3339_CASE = {ord("t"): "T", ord("z"): "Z"}


def _read_date(raw: Any, formats: tuple[str, ...]) -> date:
    """A date: text in one of ``formats`` (the first that reads it) or in ISO 8601 (a datetime gives its date in UTC)."""
    try:
        return _date(raw, formats)
    except OverflowError:  # the day in UTC is before the year 1 or after 9999
        raise _Bad("not a date") from None


def _date(raw: Any, formats: tuple[str, ...]) -> date:
    if isinstance(raw, datetime):
        return _as_utc(raw).date()
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str):
        raise _Bad("not a date")
    text = raw.strip()
    written = _strptime(text, formats)
    if written is not None:
        return _as_utc(written).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    return _datetime(text, ()).date()  # a date and time in ISO 8601: its date in UTC (or not a date)


def _read_integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise _Bad("not an integer")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if math.isfinite(raw) and raw.is_integer():
            return int(raw)
        raise _Bad("not an integer")
    if isinstance(raw, str):
        # digits 0-9 only (not other scripts' digits), read exactly: "1e30" is 10**30, not the float nearest to it
        text = raw.strip()
        if not _NUMBER_TEXT.fullmatch(text):
            raise _Bad("not an integer")
        mantissa, _, power = text.lower().partition("e")
        whole, _, fraction = mantissa.lstrip("+-").partition(".")
        if not (whole + fraction).strip("0"):
            return 0
        if len(power.lstrip("+-")) > 20:
            raise _Bad("not an integer")  # a number of more than 10**20 digits, or a fraction
        # the power of ten of the first significant digit: above 308 the number is beyond every float
        first = len(whole.lstrip("0")) - 1 if whole.strip("0") else -(len(fraction) - len(fraction.lstrip("0")) + 1)
        if first + int(power or "0") > 308:
            raise _Bad("beyond the largest number")
        if first + int(power or "0") < 0:
            raise _Bad("not an integer")  # not zero, and less than 1 in size
        # exactly, from the digits: zeros at either end say nothing (and would make the text too long for int())
        digits = (whole + fraction).lstrip("0")
        exponent = int(power or "0") - len(fraction) + (len(digits) - len(digits.rstrip("0")))
        digits = digits.rstrip("0")
        if exponent < 0:
            raise _Bad("not an integer")  # significant digits after the point
        magnitude = int(digits + "0" * exponent)  # at most 309 digits: checked above
        return -magnitude if mantissa.startswith("-") else magnitude
    raise _Bad("not an integer")


def _read_number(raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise _Bad("not a number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if math.isfinite(raw):
            return raw
        raise _Bad("not a number")
    if isinstance(raw, str):
        text = raw.strip()
        if _NUMBER_TEXT.fullmatch(text):
            number = float(text)
            if math.isfinite(number):
                return number
    raise _Bad("not a number")


def _read_boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):  # the integers 1 and 0 (not 1.0: "1/0" are written as integers)
        return bool(raw)
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise _Bad("not a boolean")


def _number_as_text(number: int | float) -> str:
    try:
        return str(number)
    except ValueError:  # an integer of more than 4,300 digits has no text in Python
        raise _Bad("a number too long to read as text") from None


def _read_text(raw: Any) -> str:
    if isinstance(raw, str):
        return raw.strip()
    if _is_number(raw):
        return _number_as_text(raw)
    raise _Bad("not text")


def _read_enum(raw: Any, values: tuple[str, ...]) -> str:
    if not isinstance(raw, str) and not _is_number(raw):
        raise _Bad("not text")
    text = raw.strip() if isinstance(raw, str) else _number_as_text(raw)
    # values that differ only in case or spaces around them: the one spelled as the text (both trimmed), else the one
    # spelled as its lower case, else the first declared that matches without regard to case
    for wanted in (text, text.lower()):
        for value in values:
            if value.strip() == wanted:
                return value
    for value in values:
        if value.strip().lower() == text.lower():
            return value
    raise _Bad("not one of " + ", ".join(values))


def _read_list(raw: Any) -> tuple[str, ...]:
    items: Any
    if isinstance(raw, (list, tuple)):
        items = raw
    elif isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except (ValueError, RecursionError):  # not JSON, or nested too deeply
                raise _Bad("not a list") from None
            if not isinstance(items, list):
                raise _Bad("not a list")
        else:
            items = [part.strip() for part in text.split(";") if part.strip()]
    else:
        raise _Bad("not a list")
    out = []
    for item in items:
        item = _python_value(item)
        if _no_value(item, ()):  # None, NaN, pandas' NA: no item
            continue
        if isinstance(item, str):
            text = item.strip()
        elif _is_number(item):
            text = _number_as_text(item)
        else:
            raise _Bad("not a list of text")
        if text:  # items are trimmed; empty items are dropped
            out.append(text)
    return tuple(out)


def _read_events(raw: Any) -> list[Event]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):  # not JSON, or nested too deeply
            raise _Bad("not a list of events") from None
    if not isinstance(raw, (list, tuple)):
        raise _Bad("not a list of events")
    events: list[Event] = []
    for item in raw:
        if not isinstance(item, Mapping) or not isinstance(item.get("type"), str) or not item["type"] or "at" not in item:  # a type is non-empty text
            raise _Bad("not an event")
        events.append((str.__str__(item["type"]), _read_datetime(_python_value(item["at"]), ()), item))  # (a str subclass: its text)
    return events


def _read(spec: FieldPlan, raw: Any) -> Any:
    """``raw`` (not missing) as the field's type; :class:`_Bad` when it cannot be."""
    kind = spec.type
    if kind == "string":
        return _read_text(raw)
    if kind in ("integer", "number"):
        value = _read_integer(raw) if kind == "integer" else _read_number(raw)
        if abs(value) > sys.float_info.max:  # "above the largest number leadspec reads" (rule-files.md, Fields)
            raise _Bad("beyond the largest number")
        if (spec.min is not None and value < spec.min) or (spec.max is not None and value > spec.max):
            raise _Bad("out of bounds")
        return value
    if kind == "boolean":
        return _read_boolean(raw)
    if kind == "enum":
        return _read_enum(raw, spec.values or ())
    if kind == "date":
        return _read_date(raw, spec.format)
    if kind == "datetime":
        return _read_datetime(raw, spec.format)
    if kind == "list":
        return _read_list(raw)
    if kind == "events":
        return _read_events(raw)
    raise AssertionError(f"unknown field type {kind!r}")


def _field_value(spec: FieldPlan, lead: Mapping[str, Any], markers: tuple[str, ...]) -> tuple[Any, bool]:
    """The field's value for this lead, and whether its raw value was bad."""
    raw = _python_value(_lookup(lead, spec.source))
    if _no_value(raw, markers):
        if spec.default is None:
            return None, False
        return _read(spec, spec.default), False
    try:
        return _read(spec, raw), False
    except _Bad:
        return None, True


# -- expressions (docs/expressions.md, docs/missing-values.md "Three outcomes") ---------------------


class _Env:
    """What an expression reads: the fields' values, the named lists, the scores so far, the events, as_of."""

    def __init__(self, plan: Plan, values: dict[str, Any], as_of: datetime) -> None:
        self.values = values
        self.lists = {named.name: tuple(named.values) for named in plan.lists}
        self.scores: dict[str, Union[int, float]] = {}
        self.events: list[Event] | None = values.get(plan.events_field) if plan.events_field else None
        self.as_of = as_of
        self.flag_criteria = {crit.id.split(".", 1)[1]: crit for crit in plan.flags}
        self.flags: dict[str, Verdict] = {}
        self.outcomes: dict[str, Verdict] = {}
        self.errors: list[str] = []

    def flag(self, name: str) -> bool | None:
        """A flag's outcome as a boolean (None: unknown), decided the first time it is read."""
        if name not in self.flags:
            self.flags[name] = _decide(self.flag_criteria[name], self, self.outcomes, self.errors)
        return {"pass": True, "fail": False, "unknown": None}[self.flags[name]]


_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
    "**": operator.pow,
}

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}


def _arith(op: str, left: Any, right: Any) -> Any:
    sequences = (str, tuple)
    if op == "+" and isinstance(left, sequences) and isinstance(right, sequences) and len(left) + len(right) > MAX_SIZE:
        raise OverflowError(f"a result longer than {MAX_SIZE:,}")
    if op == "*" and isinstance(left, sequences) and len(left) * right > MAX_SIZE:
        raise OverflowError(f"a result longer than {MAX_SIZE:,}")
    if op == "*" and isinstance(right, sequences) and len(right) * left > MAX_SIZE:
        raise OverflowError(f"a result longer than {MAX_SIZE:,}")
    if op == "**":
        if abs(left) > MAX_POWER_OPERAND or abs(right) > MAX_POWER_OPERAND:
            raise OverflowError(f"a power of a number over {MAX_POWER_OPERAND:,}")
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1 and right * math.log2(abs(left)) > MAX_POWER_BITS:
            raise OverflowError(f"a power over {MAX_POWER_BITS:,} bits")
    result = _ARITH[op](left, right)
    if isinstance(result, complex):  # "a negative number to a fractional power is an error" (expressions.md)
        raise ValueError("not a real number")
    return result


def _value(node: Expr, env: _Env) -> Any:
    """The value of ``node``: None for unknown (missing). Errors propagate."""
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Name):
        return env.values[node.id]
    if isinstance(node, ListName):
        return env.lists[node.id]
    if isinstance(node, FlagName):
        return env.flag(node.id)
    if isinstance(node, ListOf):
        items = [_value(item, env) for item in node.items]
        return None if any(item is None for item in items) else tuple(items)
    if isinstance(node, BoolOp):
        unknown = False
        for operand in node.values:
            value = _value(operand, env)
            if value is None:
                unknown = True
            elif bool(value) is (node.op == "or"):
                return node.op == "or"  # decided: False in `and`, True in `or`
        return None if unknown else node.op == "and"
    if isinstance(node, Not):
        value = _value(node.operand, env)
        return None if value is None else not value
    if isinstance(node, Negate):
        value = _value(node.operand, env)
        if value is None:
            return None
        return -value if node.op == "-" else +value
    if isinstance(node, Arith):
        left = _value(node.left, env)
        right = _value(node.right, env)
        if left is None or right is None:
            return None
        return _arith(node.op, left, right)
    if isinstance(node, In):
        item = _value(node.item, env)
        if item is None:
            return None
        container = _value(node.container, env)
        if container is None:
            return None
        return (item not in container) if node.negated else (item in container)
    if isinstance(node, Compare):
        return _compare(node, env)
    if isinstance(node, Call):
        return _call_value(node, env)
    raise AssertionError(f"not an expression node: {type(node).__name__}")


def _compare(node: Compare, env: _Env) -> bool | None:
    if len(node.ops) == 1:
        # a single comparison reads its left side first and is unknown as soon as it is missing
        left = _value(node.operands[0], env)
        if left is None:
            return None
        right = _value(node.operands[1], env)
        if right is None:
            return None
        return bool(_COMPARE[node.ops[0]](left, right))
    # a chain reads every operand; false when one pair is false, else unknown when one is missing
    values = [_value(operand, env) for operand in node.operands]
    for op, left, right in zip(node.ops, values, values[1:]):
        if left is not None and right is not None and not _COMPARE[op](left, right):
            return False
    return None if any(v is None for v in values) else True


def _call_value(node: Call, env: _Env) -> Any:
    function = FUNCTIONS[node.fn]
    if function.takes == "score_name":
        name = node.args[0]
        assert isinstance(name, Const) and isinstance(name.value, str)
        return env.scores[name.value]
    if node.events is not None:
        return _call(node, [], env)
    args = [_value(arg, env) for arg in node.args]
    if function.nullable != "never" and any(arg is None for arg in args):
        return None  # every function but has (and count) is unknown when an argument is missing
    return _call(node, args, env)


# -- criteria, groups, scores, stages ---------------------------------------------------------------


def _decide(crit: Criterion, env: _Env, outcomes: dict[str, Verdict], errors: list[str]) -> Verdict:
    """A criterion's outcome: its expression's truth, an error as unknown, then its ``missing:`` policy."""
    assert crit.expr is not None
    try:
        value = _value(crit.expr, env)
    except Exception:  # noqa: BLE001 - any failure on a lead's values makes the criterion unknown
        # "That criterion is then unknown" (missing-values.md, errors while evaluating): an
        # error is not a missing value, so the `missing:` policy does not decide it.
        errors.append(crit.id)
        outcomes[crit.id] = "unknown"
        return "unknown"
    verdict: Verdict = "unknown" if value is None else ("pass" if value else "fail")
    if verdict == "unknown" and crit.missing != "unknown":
        verdict = crit.missing
    outcomes[crit.id] = verdict
    return verdict


def _combine(group: Group, verdicts: list[Verdict]) -> Verdict:
    passed = verdicts.count("pass")
    failed = verdicts.count("fail")
    unknown = verdicts.count("unknown")
    total = len(verdicts)
    if group.op == "all":
        return "pass" if passed == total else "fail" if failed else "unknown"
    if group.op == "any":
        return "pass" if passed else "fail" if failed == total else "unknown"
    if group.op == "none":
        return "pass" if failed == total else "fail" if passed else "unknown"
    # at_least: fail when fewer than n could pass even if every unknown passed
    return "pass" if passed >= group.n else "fail" if passed + unknown < group.n else "unknown"


def _group(group: Group, env: _Env, outcomes: dict[str, Verdict], errors: list[str]) -> Verdict:
    verdicts = [
        _group(item, env, outcomes, errors) if isinstance(item, Group) else _decide(item, env, outcomes, errors)
        for item in group.items
    ]
    verdict = _combine(group, verdicts)
    if group.criterion is not None:
        if verdict == "unknown" and group.criterion.missing != "unknown":
            verdict = group.criterion.missing
        outcomes[group.criterion.id] = verdict
    return verdict


def _event_points(score: ScorePlan, env: _Env) -> Union[int, float]:
    """Per listed type, in the file's order: its events inside the window up to as_of times its points (decayed: the
    sum of their decayed points, in the events' order), capped; added up from 0 (whatever the order of the events)."""
    as_of = env.as_of
    total: Union[int, float] = 0
    for entry in score.events:
        points: Union[int, float] = 0
        count = 0
        for kind, at, _ in env.events or ():
            if kind != entry.type or at > as_of:
                continue
            if score.window is not None and at < as_of - score.window:
                continue
            count += 1
            if score.half_life is not None:
                points += entry.points * 0.5 ** ((as_of - at) / score.half_life)
        if count == 0:
            continue
        if score.half_life is None:
            points = count * entry.points
        if entry.max is not None and points > entry.max:
            points = entry.max
        total += points
    return total


def _score(score: ScorePlan, env: _Env, outcomes: dict[str, Verdict], errors: list[str]) -> Union[int, float]:
    total = _event_points(score, env)
    for rule in score.rules:
        if _decide(rule, env, outcomes, errors) == "pass":
            total += rule.points
    if score.min is not None and total < score.min:
        total = score.min
    if score.max is not None and total > score.max:
        total = score.max
    return total


def _moment(as_of: datetime | date | str) -> datetime:
    if isinstance(as_of, datetime):
        return _as_utc(as_of)
    if isinstance(as_of, date):
        return datetime.combine(as_of, time(), tzinfo=timezone.utc)
    return _as_utc(datetime.fromisoformat(as_of))


def evaluate(plan: Plan, lead: Mapping[str, Any], as_of: datetime | date | str) -> Outcome:
    """Run ``plan`` on ``lead`` at ``as_of`` as the documentation describes, slowly and plainly.

    ``as_of`` is a datetime (naive: UTC), a date (midnight UTC) or ISO
    8601 text. The result holds the stage, every criterion's and stage's
    outcome, every score's total, every field's value, the fields with
    bad values and the criteria that raised.
    """
    moment = _moment(as_of)
    markers = tuple(plan.missing)
    values: dict[str, Any] = {}
    bad: set[str] = set()
    for spec in plan.fields:
        values[spec.name], is_bad = _field_value(spec, lead, markers)
        if is_bad:
            bad.add(spec.name)
    env = _Env(plan, values, moment)
    outcomes, errors = env.outcomes, env.errors

    for name in env.flag_criteria:  # every flag, for every lead (one that another flag read is decided already)
        env.flag(name)

    for score in plan.scores:  # in order: a rule may use the scores declared before it
        env.scores[score.name] = _score(score, env, outcomes, errors)

    disqualified = False
    for crit in plan.disqualify:
        if _decide(crit, env, outcomes, errors) == "pass":
            disqualified = True  # only a disqualifier that passes disqualifies

    stages: dict[str, Verdict] = {}
    for stage in plan.stages:
        stages[stage.id] = _group(stage.condition, env, outcomes, errors)

    reached = plan.base.id
    for stage in plan.stages:  # the last stage reached in order, each needing the one before
        if stages[stage.id] != "pass":
            break
        reached = stage.id

    ordered = {crit.id: outcomes[crit.id] for crit in plan.criteria}
    return Outcome(
        stage=DISQUALIFIED if disqualified else reached,
        criteria=ordered,
        stages=stages,
        scores=dict(env.scores),
        values=values,
        bad=frozenset(bad),
        errors=tuple(sorted(errors, key=lambda cid: plan.criterion(cid).index)),
        flags={name: env.flags[name] for name in env.flag_criteria},
    )
