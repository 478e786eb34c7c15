"""The built-in functions of the expression language (docs/expressions.md, "Functions").

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
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Literal, Protocol

from simpleeval import NumberTooHigh, safe_add, safe_mult

from .plan import Call, Type
from simpleeval import safe_power as _simpleeval_power

MAX_POWER_BITS = 4096
"""Largest result of ``**`` on integers, in bits (about 1,233 digits); more is refused."""


def safe_power(a: Any, b: Any) -> Any:
    """``a ** b`` with simpleeval's limits, and integer results bounded by :data:`MAX_POWER_BITS`."""
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        if b * math.log2(abs(a)) > MAX_POWER_BITS:
            raise NumberTooHigh(f"{a} ** {b} would have more than {MAX_POWER_BITS:,} bits")
    result = _simpleeval_power(a, b)
    if isinstance(result, complex):  # a negative number to a fractional power: no real number
        raise ValueError("a negative number to a fractional power is not a real number")
    return result

__all__ = ["FUNCTIONS", "Function", "Parts", "function_table"]


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


# -- the registry -------------------------------------------------------------------------


class EvalEnv(Protocol):
    """What an interpreter gives a function besides its arguments."""

    @property
    def as_of(self) -> datetime:
        """The moment of evaluation."""

    @property
    def events(self) -> list[Any] | None:
        """The lead's coerced events: ``(type, at, original)`` tuples."""

    @property
    def scores(self) -> Mapping[str, Any]:
        """Totals of the scores computed so far."""


class CodeEnv(Protocol):
    """What the Python code generator gives a function to write its call."""

    @property
    def events(self) -> str | None:
        """The variable holding the coerced events."""

    def constant(self, value: Any, prefix: str = "_k") -> str:
        """The name of a global holding ``value``."""

    def function(self, func: Callable[..., Any], name: str) -> str:
        """The name of a global holding ``func``."""

    def score(self, name: str) -> str:
        """The variable holding score ``name``'s total."""


def _numeric(t: Type) -> bool:
    return t.integral or t.kind == "bool"


@dataclass(frozen=True)
class Function:
    """A built-in function: everything every part of leadspec knows about it, in one place.

    The checker reads the signature and the type rule, the code generator
    :attr:`python`, the interpreters (explanations, folding, the reference)
    :attr:`evaluate`; the SQL backend fills :attr:`sql`. ``takes`` says
    what the arguments are: values (``values``), event types with an
    optional ``within=`` window (``events``), or a score name (``score_name``).
    """

    name: str
    usage: str  # as the docs write it: "count(type, within=None)"
    doc: str  # what it returns, for the docs' table
    min_args: int
    max_args: int | None
    evaluate: Callable[[Call, list[Any], EvalEnv], Any]
    python: Callable[[Call, list[str], CodeEnv], str]
    params: tuple[str, ...] = ("any",)  # static kinds of value arguments: any, str, strs, num, int, time, sized
    returns: str = "num"  # static kind of the result; "int" is a whole number
    takes: Literal["values", "events", "score_name"] = "values"
    keywords: tuple[str, ...] = ()
    nullable: Literal["never", "args", "always"] = "args"  # when the result can be missing
    whole: Callable[[Sequence[Type]], bool] | None = None  # whether a "num" result is always whole, from the argument types
    constant: bool = True  # computed at load when its arguments are constants (not when it reads as_of)
    reads_as_of: bool = False
    observed: bool = False  # explanations show the value of its calls
    counts_events: bool = False  # evaluate() counts all such calls in one pass over the events
    sql: Callable[..., Any] | None = None  # filled by the SQL backend
    words: str = ""  # the value in words (leadspec._words): {0}, {1}: the arguments, {all}: every one, {events}, {window};
    # "[a|b]": a when every argument it names was given, else b
    truth: tuple[str, str] | None = None  # a boolean function as a condition in words, and its negation
    unit: str | None = None  # compared with a number, the number's unit after it (days_since: "days ago", read of {0})

    def type_of(self, args: Sequence[Type]) -> Type:
        """The static type of a call with arguments of these types."""
        kind = "num" if self.returns in ("int", "num") else self.returns
        if self.nullable == "never":
            nullable = False
        elif self.nullable == "always":
            nullable = True
        else:
            nullable = any(a.nullable for a in args)
        whole = self.returns == "int" or (self.whole is not None and self.whole(args))
        return Type(kind, nullable=nullable, integral=whole)  # type: ignore[arg-type]


def _plain(name: str, impl: Callable[..., Any], usage: str, doc: str, min_args: int, max_args: int | None, params: tuple[str, ...], returns: str, **more: Any) -> Function:
    """A function computed from its arguments' values only."""
    return Function(
        name,
        usage,
        doc,
        min_args,
        max_args,
        evaluate=lambda call, args, env: impl(*args),
        python=lambda call, args, env: f"{env.function(impl, name)}({', '.join(args)})",
        params=params,
        returns=returns,
        **more,
    )


def _event_types(call: Call, env: CodeEnv) -> str:
    assert call.events is not None
    return env.constant(frozenset(call.events), "_ev")


def _count_code(call: Call, args: list[str], env: CodeEnv) -> str:
    start = "None" if call.within is None else f"as_of - {env.constant(call.within, '_dt')}"
    return f"{env.function(count, 'count')}({env.events}, {_event_types(call, env)}, {start}, as_of)"


def _moment_code(impl: Callable[..., Any], name: str) -> Callable[[Call, list[str], CodeEnv], str]:
    return lambda call, args, env: f"{env.function(impl, name)}({env.events}, {_event_types(call, env)}, as_of)"


def _all_whole(args: Sequence[Type]) -> bool:
    return all(_numeric(a) for a in args)


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function(
            "has", "has(x)", "True when `x` has a value (never unknown)", 1, 1,
            evaluate=lambda call, args, env: args[0] is not None,
            python=lambda call, args, env: f"({args[0]} is not None)",
            returns="bool", nullable="never", words="whether {0} is known", truth=("{0} known", "{0} missing"),
        ),
        Function(
            "count", "count(type, within=None)",
            "the number of events of `type` (text, a list of text, or a list name) at or before `as_of`, inside the window "
            "if `within` is given (`'30d'`, `'12h'`, `'2w'`); 0 when there are none (never unknown)",
            1, 1,
            evaluate=lambda call, args, env: count(env.events, frozenset(call.events or ()), window_start(env.as_of, call.within), env.as_of),
            python=_count_code,
            params=("types",), returns="int", takes="events", keywords=("within",), nullable="never",
            reads_as_of=True, observed=True, counts_events=True, words="the number of {events} events{window}",
        ),
        Function(
            "last", "last(type)", "the datetime of the latest such event at or before `as_of`; missing when there is none", 1, 1,
            evaluate=lambda call, args, env: last(env.events, frozenset(call.events or ()), env.as_of),
            python=_moment_code(last, "last"),
            params=("types",), returns="datetime", takes="events", nullable="always", reads_as_of=True, observed=True, words="the last {events} event",
        ),
        Function(
            "first", "first(type)", "the datetime of the earliest such event at or before `as_of`; missing when there is none", 1, 1,
            evaluate=lambda call, args, env: first(env.events, frozenset(call.events or ()), env.as_of),
            python=_moment_code(first, "first"),
            params=("types",), returns="datetime", takes="events", nullable="always", reads_as_of=True, observed=True, words="the first {events} event",
        ),
        Function(
            "days_since", "days_since(d)", "whole days from a date or datetime to `as_of`; negative for one after `as_of`", 1, 1,
            evaluate=lambda call, args, env: days_since(args[0], env.as_of),
            python=lambda call, args, env: f"{env.function(days_since, 'days_since')}({args[0]}, as_of)",
            params=("time",), returns="int", constant=False, reads_as_of=True, observed=True, words="the days since {0}", unit="days ago",
        ),
        Function(
            "score", "score(name)", "the named score's total", 1, 1,
            evaluate=lambda call, args, env: env.scores[call.args[0].value],  # type: ignore[union-attr,index]
            python=lambda call, args, env: env.score(call.args[0].value),  # type: ignore[union-attr,arg-type]
            params=("score",), takes="score_name", nullable="never", observed=True, words="the {0} score",
        ),
        _plain("domain", domain, "domain(email)", "the part after `@`, lower-cased; missing when there is no `@`", 1, 1, ("str",), "str", nullable="always", words="the domain of {0}"),
        _plain("lower", lower, "lower(s)", "text in lower case", 1, 1, ("str",), "str", words="{0} in lower case"),
        _plain("upper", upper, "upper(s)", "text in upper case", 1, 1, ("str",), "str", words="{0} in upper case"),
        _plain("len", length, "len(x)", "the length of text or a list", 1, 1, ("sized",), "int", words="the length of {0}"),
        _plain("contains", contains, "contains(s, part)", "True when `part` is in `s`, ignoring case", 2, 2, ("str", "str"), "bool",
            words="whether {0} contains {1}", truth=("{0} containing {1} (any case)", "{0} not containing {1} (any case)"),
        ),
        _plain(
            "contains_any", contains_any, "contains_any(s, parts)",
            "True when any of `parts` (a list, a list name or a `list` field) is in `s`, ignoring case", 2, 2, ("str", "strs"), "bool",
            words="whether {0} contains {1}", truth=("{0} containing {1} (any case)", "{0} not containing {1} (any case)"),
        ),
        _plain("startswith", startswith, "startswith(s, p)", "True when `s` starts with `p` (text or a list of text), ignoring case", 2, 2, ("str", "strs"), "bool",
            words="whether {0} starts with {1}", truth=("{0} starting with {1} (any case)", "{0} not starting with {1} (any case)"),
        ),
        _plain("endswith", endswith, "endswith(s, p)", "True when `s` ends with `p` (text or a list of text), ignoring case", 2, 2, ("str", "strs"), "bool",
            words="whether {0} ends with {1}", truth=("{0} ending with {1} (any case)", "{0} not ending with {1} (any case)"),
        ),
        _plain("min", minimum, "min(a, b, …)", "the smallest number", 2, None, ("num",), "num", whole=_all_whole, words="the smallest of {all}"),
        _plain("max", maximum, "max(a, b, …)", "the largest number", 2, None, ("num",), "num", whole=_all_whole, words="the largest of {all}"),
        _plain("abs", absolute, "abs(x)", "the absolute value", 1, 1, ("num",), "num", whole=_all_whole, words="the absolute value of {0}"),
        _plain(
            "round", rounded, "round(x, n=None)", "`x` rounded as in Python (half to even), to `n` digits; a whole number without `n`",
            1, 2, ("num", "int"), "num", whole=lambda args: len(args) == 1 or _numeric(args[0]),
            words="{0} rounded [to {1} digits after the decimal point|to a whole number]",
        ),
    )
}
"""Every built-in function by name: the one place a function is defined (see :class:`Function`)."""


def function_table() -> str:
    """The Markdown table of the built-in functions that docs/expressions.md shows (generated from :data:`FUNCTIONS`)."""
    rows = ["| function | returns |", "|---|---|"]
    rows += [f"| `{f.usage}` | {f.doc} |" for f in FUNCTIONS.values()]
    return "\n".join(rows) + "\n"


def window_start(as_of: datetime, within: timedelta | None) -> datetime | None:
    return None if within is None else as_of - within


# Operators with simpleeval's limits, for values only known at evaluation.
SAFE_OPS = {"add": safe_add, "mult": safe_mult, "pow": safe_power}
