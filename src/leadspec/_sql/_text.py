"""Text in SQL: values shown as a sales rep reads them, ``because`` templates, bad values, the reasons' parts.

Owner: the text part of the SQL backend. Every text must equal what
``leadspec.result`` writes for the same lead.
"""

from __future__ import annotations

from sqlglot import exp

from ..plan import Criterion, Type
from ._ctx import Ctx


def show(ctx: Ctx, value: exp.Expression, type_: Type) -> exp.Expression:
    """VARCHAR: ``result._show(value)`` ('missing' for NULL)."""
    raise NotImplementedError("text part of the SQL backend")


def passing_because(ctx: Ctx, crit: Criterion, outcome_raw: exp.Expression) -> exp.Expression:
    """VARCHAR: the ``because`` text ``Result`` gives criterion ``crit`` when it passes (``Result._because``)."""
    raise NotImplementedError("text part of the SQL backend")


def bad_value_text(ctx: Ctx, name: str, raw: exp.Expression, message: exp.Expression) -> exp.Expression:
    """VARCHAR: ``result._bad_value_text(name, shown raw, message)`` as ``Result._bad_values`` builds it."""
    raise NotImplementedError("text part of the SQL backend")

