"""Expressions in SQL: every node of :mod:`leadspec.plan` and every built-in function, with Python's errors.

Owner: the expressions part of the SQL backend.
"""

from __future__ import annotations

from sqlglot import exp

from ..plan import Criterion, Expr
from ._ctx import Ctx, Val


def compile_expr(ctx: Ctx, node: Expr, where: str) -> Val:
    """``node`` as SQL over ``ctx.env``; ``where`` is the criterion id (for :meth:`Ctx.unsupported`)."""
    raise NotImplementedError("expressions part of the SQL backend")


def truth(ctx: Ctx, val: Val, node: Expr) -> Val:
    """A criterion's value as a SQL BOOLEAN (NULL: unknown), as Python's ``bool()`` of the value reads it."""
    raise NotImplementedError("expressions part of the SQL backend")


def error_message(ctx: Ctx, crit: Criterion) -> exp.Expression:
    """VARCHAR: the message of the issue of criterion ``crit`` when its expression raised (``_runtime.runtime_issue``)."""
    raise NotImplementedError("expressions part of the SQL backend")
