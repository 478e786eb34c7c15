"""The SQL backend: a plan as one SELECT (a sqlglot expression tree), rendered for a dialect.

It walks the same plan as the Python code generator, layer by layer:
load → validate → plan → **SQL** (fields, flags, scores, disqualifiers,
stages, the stage reached, its reasons). See docs/warehouse.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING

from sqlglot import exp

from ..errors import DialectError
from . import _events, _fields, _query
from ._ctx import DIALECTS, PREFIX, Chain, Ctx

if TYPE_CHECKING:
    from ..ruleset import Ruleset

__all__ = ["DIALECTS", "build", "render"]


def as_of_literal(as_of: datetime | date | str | None, dialect: str = "duckdb") -> exp.Expr:
    """The moment of evaluation as a TIMESTAMP (UTC) literal; the current time in UTC when None."""
    if as_of is None:
        if dialect == "spark":  # the session's time zone shows the moment: move it so that it shows UTC
            now = exp.Anonymous(this="TO_UTC_TIMESTAMP", expressions=[exp.CurrentTimestamp(), exp.Anonymous(this="CURRENT_TIMEZONE", expressions=[])])
            return exp.Cast(this=now, to=exp.DataType.build("TIMESTAMP"))
        return exp.Cast(this=exp.AtTimeZone(this=exp.CurrentTimestamp(), zone=exp.Literal.string("UTC")), to=exp.DataType.build("TIMESTAMP"))
    from ..ruleset import _as_of

    moment = _as_of(as_of).astimezone(timezone.utc).replace(tzinfo=None)
    return exp.Cast(this=exp.Literal.string(moment.isoformat(sep=" ")), to=exp.DataType.build("TIMESTAMP"))


def build(
    ruleset: Ruleset,
    *,
    dialect: str = "duckdb",
    table: str = "leads",
    events_table: str | None = None,
    key: str | None = None,
    columns: Sequence[str] | None = None,
    as_of: datetime | date | str | None = None,
    types: Mapping[str, str] | None = None,
) -> exp.Select:
    """The query of ``ruleset`` over ``table`` as a sqlglot tree (see :meth:`leadspec.Ruleset.to_sql`)."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}: use one of {', '.join(DIALECTS)}")
    if (events_table is None) != (key is None):
        raise ValueError("events_table and key go together: the events table is joined to the leads on key")
    if events_table is not None and ruleset.plan.events_field is None:
        raise ValueError("events_table given, but the rule file declares no events field to gather them into")
    for name in columns or ():
        if name.startswith(PREFIX):
            raise ValueError(f"input column {name!r} starts with {PREFIX!r}, which the query keeps for its own columns")
    if "{{" in table:  # a template (dbt's {{ ref('stg_leads') }}): written as it is, for the template engine to fill in
        source = exp.Table(this=exp.Var(this=table))
    else:
        source = exp.to_table(table, dialect=dialect)
    ctx = Ctx(dialect=dialect, ruleset=ruleset, as_of=as_of_literal(as_of, dialect), chain=Chain(source), types=dict(types) if types is not None else None, typed=types is not None)
    if events_table is not None:
        ctx.chain.base = _events.base_relation(ctx, source, events_table, key)
    fields = _fields.add_fields(ctx)
    for spec, cols in zip(ctx.plan.fields, fields):
        ctx.fields[spec.name] = cols
        ctx.env.fields[spec.name] = cols.value
        if spec.type == "events" and spec.name == ctx.plan.events_field:
            ctx.env.events = cols.value
    ctx.chain.next()
    pipeline = _query.build(ctx, fields)
    ctes, last = ctx.chain.ctes()
    select = _query.final_select(ctx, pipeline, last, columns)
    for name, cte in ctes:
        # copying the query per CTE was quadratic; PostgreSQL folds the layers into one expression, repeating each
        # column wherever it is read (minutes to plan, or the server killed): there each layer is computed once
        select = select.with_(exp.to_identifier(name, quoted=True), as_=cte, copy=False, materialized=True if dialect == "postgres" else None)
    return select


def render(select: exp.Select, dialect: str, *, pretty: bool = True) -> str:
    """The query as text in ``dialect``.

    Spark's TIMESTAMP is a moment shown in the session's time zone; the
    query's datetimes are UTC wall-clock values, so in Spark every
    TIMESTAMP is TIMESTAMP_NTZ (whatever the session's time zone).
    """
    from sqlglot.errors import ErrorLevel

    query: exp.Expr = select.transform(_spark_ntz) if dialect == "spark" else select
    # the tree is built for this one rendering: sqlglot need not copy it first (a large rule file's tree
    # takes a second to copy)
    return query.sql(dialect=dialect, pretty=pretty, unsupported_level=ErrorLevel.RAISE, copy=False)


def _spark_ntz(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.TIMESTAMP:
        return exp.DataType.build("TIMESTAMP_NTZ", dialect="spark")
    return node


__all__ += ["DialectError"]
