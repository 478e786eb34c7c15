"""Reading a lead's raw values in SQL: missing markers, defaults, coercion per field type, bad values.

Owner: the fields part of the SQL backend. It must read every raw value
exactly as the Python engine does (``leadspec._fields.Coercer``): the same
values, the same missing values, the same bad values with the same
messages.
"""

from __future__ import annotations

from sqlglot import exp

from ..plan import FieldPlan
from ._ctx import Ctx, FieldCols


def add_fields(ctx: Ctx) -> list[FieldCols]:
    """Add every field of ``ctx.plan`` to the chain (as many layers as needed); one :class:`FieldCols` per field, in plan order."""
    raise NotImplementedError("fields part of the SQL backend")


def read_field(ctx: Ctx, spec: FieldPlan, raw: exp.Expression) -> tuple[exp.Expression, exp.Expression]:
    """(value, bad message) expressions of one field from its raw input expression (for the events table and tests)."""
    raise NotImplementedError("fields part of the SQL backend")
