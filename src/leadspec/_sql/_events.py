"""Events in SQL: the events field (a list-of-struct column, JSON text, or the events table), the event
functions ``count``/``last``/``first``, and the points of event scores.

Owner: the events part of the SQL backend.
"""

from __future__ import annotations

from sqlglot import exp

from ..plan import Call, FieldPlan, ScorePlan
from ._ctx import Ctx


def base_relation(ctx: Ctx, table: exp.Expression, events_table: str | None, key: str | None) -> exp.Expression:
    """The relation the query reads: ``table``, or ``table`` with the events of ``events_table`` gathered per ``key``
    into the events field's input column."""
    raise NotImplementedError("events part of the SQL backend")


def read_events(ctx: Ctx, spec: FieldPlan, raw: exp.Expression) -> tuple[exp.Expression, exp.Expression]:
    """(value, bad message) of an events field from its raw column (list of struct, or JSON text)."""
    raise NotImplementedError("events part of the SQL backend")


def event_call(ctx: Ctx, call: Call, events: exp.Expression | None) -> exp.Expression:
    """``count(...)`` (DOUBLE, never NULL), ``last(...)``/``first(...)`` (TIMESTAMP or NULL) over the lead's events."""
    raise NotImplementedError("events part of the SQL backend")


def event_points(ctx: Ctx, score: ScorePlan, events: exp.Expression | None) -> exp.Expression:
    """The points of a score's ``events:`` part (window, half-life, caps per type): DOUBLE, 0 without events."""
    raise NotImplementedError("events part of the SQL backend")
