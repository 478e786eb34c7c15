"""The built-in functions of the expression language (FORMAT.md section 4).

Every function takes ``None`` (a missing value) to ``None`` (unknown),
except ``has`` and ``count``, which are never unknown. The same
functions serve the generated code and the reference interpreter.
Event functions receive the lead's events (a list of dicts with a
``type`` and an aware ``at``) and ``as_of``; the code generator and the
interpreter pass those, expressions never name them.
"""

from __future__ import annotations

import builtins
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable

from simpleeval import NumberTooHigh, safe_add, safe_mult
from simpleeval import safe_power as _simpleeval_power

MAX_POWER_BITS = 4096
"""Largest result of ``**`` on integers, in bits (about 1,233 digits); more is refused."""


def safe_power(a: Any, b: Any) -> Any:
    """``a ** b`` with simpleeval's limits, and integer results bounded by :data:`MAX_POWER_BITS`."""
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        if b * math.log2(abs(a)) > MAX_POWER_BITS:
            raise NumberTooHigh(f"{a} ** {b} would have more than {MAX_POWER_BITS:,} bits")
    return _simpleeval_power(a, b)

__all__ = ["PLAIN", "Parts", "SIGNATURES", "Signature"]


@dataclass(frozen=True)
class Signature:
    """What the checker knows about a built-in function."""

    name: str
    min_args: int
    max_args: int | None
    params: tuple[str, ...]  # static types of positional params ("any", "str", "num", "time", "types", "score")
    returns: str
    keywords: tuple[str, ...] = ()
    nullable: bool = True  # may return None
    propagates: bool = True  # None in -> None out
    doc: str = ""


def has(x: Any) -> bool:
    return x is not None


def count(events: list[Any] | None, types: frozenset[str], start: datetime | None, as_of: datetime) -> int:
    """Events (``(type, at, original)`` tuples) of these types at or before as_of, from start on."""
    if not events:
        return 0
    n = 0
    if start is None:
        for kind, at, _ in events:
            if kind in types and at <= as_of:
                n += 1
    else:
        for kind, at, _ in events:
            if kind in types and start <= at <= as_of:
                n += 1
    return n


def last(events: list[Any] | None, types: frozenset[str], as_of: datetime) -> datetime | None:
    best = None
    for kind, at, _ in events or ():
        if kind in types and at <= as_of and (best is None or at > best):
            best = at
    return best


def first(events: list[Any] | None, types: frozenset[str], as_of: datetime) -> datetime | None:
    best = None
    for kind, at, _ in events or ():
        if kind in types and at <= as_of and (best is None or at < best):
            best = at
    return best


def days_since(dt: Any, as_of: datetime) -> int | None:
    if dt is None:
        return None
    if isinstance(dt, datetime):
        return (as_of - dt).days
    if isinstance(dt, date):
        return (as_of.date() - dt).days
    raise TypeError(f"days_since() needs a date or datetime, not {type(dt).__name__}")


def domain(email: Any) -> str | None:
    if email is None:
        return None
    text = str(email)
    at = text.rfind("@")
    if at < 0:
        return None
    return text[at + 1 :].strip().lower() or None


def lower(s: Any) -> str | None:
    return None if s is None else _lowered(s)


def upper(s: Any) -> str | None:
    return None if s is None else str(s).upper()


def length(x: Any) -> int | None:
    return None if x is None else builtins.len(x)


class Parts(tuple):  # type: ignore[type-arg]
    """A constant list of text (``contains_any``, ``startswith``, ``endswith``) lowered once, at load.

    It is the tuple itself (equal to it, hashable like it) with
    ``lowered``: each distinct item lower-cased once, duplicates dropped
    (they cannot change an ``any`` or a prefix test). Without it every
    call lower-cases every item again: 20,000 items of 100 KB were 2 GB
    and seconds per lead.
    """

    lowered: tuple[str, ...]

    def __new__(cls, items: tuple[Any, ...]) -> Parts:
        self = super().__new__(cls, items)
        done: dict[str, str] = {}
        for item in items:
            text = item if type(item) is str else str(item)
            if text not in done:  # equal items are lowered once (hashing a str is cached)
                done[text] = text.lower()
        self.lowered = tuple(dict.fromkeys(done.values()))
        return self

    def __reduce__(self) -> Any:
        return (Parts, (tuple(self),))


def _parts(parts: Any) -> tuple[str, ...]:
    if type(parts) is Parts:
        return parts.lowered
    if isinstance(parts, str):
        return (parts.lower(),)
    return tuple(str(p).lower() for p in parts)


_BIG_TEXT = 4096
"""Text at least this long is lower-cased once per value, not once per criterion (:func:`_lowered`)."""
_last_lowered: tuple[Any, str] = (None, "")


def _lowered(s: Any) -> str:
    """``str(s).lower()``, remembered for the last long text.

    A long text field (a note, a description) is usually read by several
    text functions of one lead; lower-casing it again for each was most of
    their cost. The one remembered pair holds its text, so ``is`` can only
    find that same object, and it is read and replaced as one tuple, so
    threads cannot see half of it.
    """
    if type(s) is not str:
        return str(s).lower()
    last = _last_lowered
    if last[0] is s:
        return last[1]
    text = s.lower()
    if len(s) >= _BIG_TEXT:
        globals()["_last_lowered"] = (s, text)
    return text


def contains(s: Any, part: Any) -> bool | None:
    if s is None or part is None:
        return None
    return _lowered(part) in _lowered(s)


def contains_any(s: Any, parts: Any) -> bool | None:
    if s is None or parts is None:
        return None
    text = _lowered(s)
    return any(p in text for p in _parts(parts))


def startswith(s: Any, p: Any) -> bool | None:
    if s is None or p is None:
        return None
    return _lowered(s).startswith(_parts(p))


def endswith(s: Any, p: Any) -> bool | None:
    if s is None or p is None:
        return None
    return _lowered(s).endswith(_parts(p))


def minimum(*args: Any) -> Any:
    if any(a is None for a in args):
        return None
    return builtins.min(*args)


def maximum(*args: Any) -> Any:
    if any(a is None for a in args):
        return None
    return builtins.max(*args)


def absolute(x: Any) -> Any:
    return None if x is None else builtins.abs(x)


def rounded(x: Any, n: Any = None) -> Any:
    """``round(x, n)``, in time that does not grow with ``n``.

    Python rounds an integer to ``n < 0`` digits by computing ``10 ** -n``:
    ``round(5, -10_000_000)`` took 30 s. An integer with ``d`` digits
    rounds to 0 as soon as ``-n > d`` (it is below half of ``10 ** -n``),
    so that is answered at once; floats are already bounded by Python.
    """
    if x is None or n is None:
        return None if x is None else builtins.round(x)
    if n < 0 and isinstance(x, int) and isinstance(n, int) and -n > digits_at_most(x):
        return 0
    return builtins.round(x, n)


def digits_at_most(x: int) -> int:
    """At least the number of decimal digits of ``x``, from its bit length (no ``str()``, no big powers of ten).

    Python refuses ``str()`` of an integer over 4,300 digits; this bound
    sizes such a number for a message or a limit at no cost.
    """
    return (abs(x).bit_length() * 30103) // 100000 + 1


# score(name) and the event functions are bound by the evaluator; the
# entries here describe them for the checker.
SIGNATURES: dict[str, Signature] = {
    s.name: s
    for s in (
        Signature("has", 1, 1, ("any",), "bool", nullable=False, propagates=False, doc="True when the value is there"),
        Signature("count", 1, 1, ("types",), "int", ("within",), nullable=False, propagates=False, doc="events of a type"),
        Signature("last", 1, 1, ("types",), "datetime", propagates=False, doc="latest event of a type"),
        Signature("first", 1, 1, ("types",), "datetime", propagates=False, doc="earliest event of a type"),
        Signature("days_since", 1, 1, ("time",), "int", doc="whole days to as_of"),
        Signature("score", 1, 1, ("score",), "num", nullable=False, propagates=False, doc="a score's total"),
        Signature("domain", 1, 1, ("str",), "str", doc="lower-cased part after @"),
        Signature("lower", 1, 1, ("str",), "str"),
        Signature("upper", 1, 1, ("str",), "str"),
        Signature("len", 1, 1, ("sized",), "int"),
        Signature("contains", 2, 2, ("str", "str"), "bool"),
        Signature("contains_any", 2, 2, ("str", "strs"), "bool"),
        Signature("startswith", 2, 2, ("str", "strs"), "bool"),
        Signature("endswith", 2, 2, ("str", "strs"), "bool"),
        Signature("min", 2, None, ("num",), "num"),
        Signature("max", 2, None, ("num",), "num"),
        Signature("abs", 1, 1, ("num",), "num"),
        Signature("round", 1, 2, ("num", "int"), "num"),
    )
}

# Plain functions: called with the expression's arguments only.
PLAIN: dict[str, Callable[..., Any]] = {
    "has": has,
    "domain": domain,
    "lower": lower,
    "upper": upper,
    "len": length,
    "contains": contains,
    "contains_any": contains_any,
    "startswith": startswith,
    "endswith": endswith,
    "min": minimum,
    "max": maximum,
    "abs": absolute,
    "round": rounded,
}



def window_start(as_of: datetime, within: timedelta | None) -> datetime | None:
    return None if within is None else as_of - within


# Operators with simpleeval's limits, for values only known at evaluation.
SAFE_OPS = {"add": safe_add, "mult": safe_mult, "pow": safe_power}
