"""What generated code calls at run time: Kleene groups, event scores, chains, error reporting.

Everything here is used by the functions generated in ``_compile`` (and
by explanations for the event-score breakdown); none of it knows about
rule files.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import Any, Callable

from simpleeval import MAX_STRING_LENGTH, IterableTooLong, NumberTooHigh

from .plan import ScorePlan

EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


class Sink:
    """An issues list that forgets: the fast path reports no issues."""

    __slots__ = ()

    def append(self, item: Any) -> None:
        pass


ERROR_PREFIX = "could not be evaluated: "
DIVISION_BY_ZERO = "division by zero"
NUMBER_TOO_LARGE = "a number too large"
TOO_LONG = f"a result longer than {MAX_STRING_LENGTH:,}"
INVALID = "an operation its values do not allow"


def error_text(exc: BaseException) -> str:
    """What went wrong, in words that depend on neither the Python version nor the engine (the SQL backend writes the same).

    A rule can fail on a lead's values in three ways: a division (``/``,
    ``//``, ``%``, or zero to a negative power) by zero, a number too large
    (``**`` beyond its limits or beyond the largest float, ``round()`` of
    infinity), and text or a list joined or repeated beyond
    :data:`MAX_STRING_LENGTH`. Anything else is an operation its values do
    not allow.
    """
    if isinstance(exc, ZeroDivisionError):
        return DIVISION_BY_ZERO
    if isinstance(exc, IterableTooLong):
        return TOO_LONG
    if isinstance(exc, (NumberTooHigh, OverflowError)):
        return NUMBER_TOO_LARGE
    return INVALID


def runtime_issue(criterion: str, exc: BaseException) -> dict[str, Any]:
    """The issue of a criterion whose expression raised ``exc`` on a lead's values."""
    return {"field": None, "value": None, "criterion": criterion, "message": ERROR_PREFIX + error_text(exc)}


def failed(issues: Any, criterion: str) -> None:
    """A criterion raised (called in its ``except``): report it; its outcome is unknown.

    The generated ``except Exception:`` does not bind the exception: ``as
    name`` costs the compiler a hidden ``try/finally`` per criterion.
    """
    issues.append(runtime_issue(criterion, sys.exc_info()[1]))  # type: ignore[arg-type]


def k_all(values: tuple[Any, ...]) -> bool | None:
    return False if False in values else (None if None in values else True)


def k_any(values: tuple[Any, ...]) -> bool | None:
    return True if True in values else (None if None in values else False)


def k_none(values: tuple[Any, ...]) -> bool | None:
    return False if True in values else (None if None in values else True)


def k_at_least(n: int, values: tuple[Any, ...]) -> bool | None:
    passed = values.count(True)
    if passed >= n:
        return True
    if passed + values.count(None) < n:
        return False
    return None


class EventScore:
    """Points per event inside a window, capped per type, optionally decayed.

    The total is defined so that it does not depend on the order of the
    lead's events and every engine computes it alike (the SQL engines
    too): per event type, in the rule file's order, the number of its
    events inside the window times its points (with a half-life: the sum
    of its events' decayed points, in the events' order), capped by its
    ``max``; those parts added up from 0 in the rule file's order.
    ``total`` runs once per lead; ``contributions`` (the parts) when a
    result's scores are asked for.
    """

    def __init__(self, plan: ScorePlan) -> None:
        self.table = {e.type: e.points for e in plan.events}
        self.caps = {e.type: e.max for e in plan.events if e.max is not None}
        self.order = [e.type for e in plan.events]
        self.capped_order = [kind for kind in self.order if kind in self.caps]
        self.window = plan.window
        self.half_life = plan.half_life.total_seconds() if plan.half_life else None
        self.place = {kind: i for i, kind in enumerate(self.order)}
        self.parts = [(self.table[kind], self.caps.get(kind)) for kind in self.order]  # each type's points and cap
        # whole points without a half-life: the total is exact in any order, so an uncapped type's points are added
        # per event and only the capped types are counted (see total)
        self.whole = self.half_life is None and all(type(p) is int and (c is None or type(c) is int) for p, c in self.parts)
        self.uncapped = {kind: self.table[kind] for kind in self.order if kind not in self.caps}
        self.capped_place = {kind: i for i, kind in enumerate(self.capped_order)}
        self.capped_parts: list[tuple[Any, Any]] = [(self.table[kind], self.caps[kind]) for kind in self.capped_order]

    def total(self, events: list[Any] | None, as_of: datetime) -> Any:
        """What :meth:`contributions` adds up, without building it (``stage()`` calls this for every lead)."""
        if not events:
            return 0
        if self.whole:
            return self._whole_total(events, as_of)
        counts, sums = self._tally(events, as_of)
        total: Any = 0
        for count, part, (points, cap) in zip(counts, sums, self.parts):
            if count:
                if self.half_life is None:
                    part = count * points
                total += cap if cap is not None and part > cap else part
        return total

    def _whole_total(self, events: list[Any], as_of: datetime) -> int:
        """:meth:`total` of whole points without a half-life: exact in any order, so the same sum as by type in the
        file's order (each type's count × points, capped): an uncapped type's points are added per event, and only
        the capped types are counted."""
        start = EARLIEST if self.window is None else as_of - self.window
        uncapped: dict[str, Any] = self.uncapped
        capped = self.capped_place
        total: int = 0
        counted = [0] * len(capped)
        for kind, at, _ in events:
            if at > as_of or at < start:
                continue
            points = uncapped.get(kind)
            if points is not None:
                total += points
            else:
                i = capped.get(kind)
                if i is not None:
                    counted[i] += 1
        for n, (whole, cap) in zip(counted, self.capped_parts):
            if n:
                part = n * whole
                total += cap if part > cap else part
        return total

    def contributions(self, events: list[Any] | None, as_of: datetime) -> list[tuple[str, Any, int]]:
        """``(event type, points, count)`` per type that scored, in the order of the rule file."""
        counts, sums = self._tally(events or (), as_of)
        out = []
        for kind, count, part, (points, cap) in zip(self.order, counts, sums, self.parts):
            if count:
                if self.half_life is None:
                    part = count * points
                out.append((kind, cap if cap is not None and part > cap else part, count))
        return out

    def _tally(self, events: Any, as_of: datetime) -> tuple[list[int], list[Any]]:
        """Per type, by its place in the rule file: how many of ``events`` count (inside the window, not after ``as_of``)
        and, with a half-life, the sum of their decayed points in the events' order (else 0)."""
        start = EARLIEST if self.window is None else as_of - self.window
        place, half_life = self.place, self.half_life
        counts = [0] * len(place)
        sums: list[Any] = [0] * len(place)
        for kind, at, _ in events:
            i = place.get(kind)
            if i is None or at > as_of or at < start:
                continue
            counts[i] += 1
            if half_life is not None:
                sums[i] += self.parts[i][0] * 0.5 ** ((as_of - at).total_seconds() / half_life)
        return counts, sums


class NotYet:
    __slots__ = ()

    def __repr__(self) -> str:
        return "_NOT_YET"


NOT_YET = NotYet()
"""A value not computed yet (the fast path computes values where first needed)."""



def arith(funcs: tuple[Any, ...], values: tuple[Any, ...]) -> Any:
    """A chain of operators over operands already evaluated, as the interpreter computes it.

    ``values[0] f1 values[1] f2 …`` from the left; once an operand is
    None the value is None and no operator after it runs (the ones before
    it have, and may have raised).
    """
    result = values[0]
    for func, value in zip(funcs, values[1:]):
        if result is None or value is None:
            return None
        result = func(result, value)
    return result


def chain(ops: tuple[str, ...], values: tuple[Any, ...]) -> bool | None:
    """A chained comparison in three-valued logic (all operands evaluated)."""
    unknown = False
    for sym, a, b in zip(ops, values, values[1:]):
        if a is None or b is None:
            unknown = True
        elif not _OPS[sym](a, b):
            return False
    return None if unknown else True


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}


__all__ = ["EARLIEST", "EventScore", "NOT_YET", "NotYet", "Sink", "arith", "chain", "error_text", "failed", "k_all", "k_any", "k_at_least", "k_none", "runtime_issue"]
