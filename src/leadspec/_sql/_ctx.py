"""What every part of the SQL backend shares: the dialects, the compile context, the chain of layers.

The backend turns a :class:`leadspec.plan.Plan` into one SELECT, built as
a sqlglot expression tree (never by pasting strings) and rendered for a
dialect. The query is a chain of layers (common table expressions): each
layer selects everything of the one before and adds columns computed from
it, so a value computed once (a field's value, a criterion's outcome) is
read by name afterwards instead of being repeated.

Representation of values in SQL (the contract between the modules):

========  ==============================================================
kind      SQL value (NULL: missing / unknown)
========  ==============================================================
num       DOUBLE (integer fields too: whole numbers as doubles)
str       VARCHAR
bool      BOOLEAN (Kleene logic: SQL's own AND, OR, NOT)
date      DATE
datetime  TIMESTAMP without time zone, meaning UTC
list      ARRAY of VARCHAR
events    ARRAY of STRUCT(type VARCHAR, at TIMESTAMP)
========  ==============================================================
"""

from __future__ import annotations

import functools
import itertools
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlglot import exp

from ..errors import DialectError

if TYPE_CHECKING:
    from ..plan import Plan
    from ..ruleset import Ruleset

DIALECTS = ("duckdb", "spark", "postgres", "snowflake", "bigquery")
"""The dialects :meth:`leadspec.Ruleset.to_sql` renders."""

PREFIX = "__ls_"
"""The start of every column the query adds between its layers (input columns may not start with it)."""


class Val(NamedTuple):
    """An expression compiled to SQL.

    ``value`` is the SQL value (NULL: missing or unknown). ``error`` is a
    SQL boolean that is TRUE where the Python engine raises while
    computing it (a division by zero, …): the criterion is then unknown
    and an issue, whatever its ``missing:`` policy. ``None``: it can
    never raise.
    """

    value: exp.Expr
    error: exp.Expr | None = None


class FieldCols(NamedTuple):
    """A field's columns once read (references usable from the next layer on).

    ``value``: the field's value in the SQL representation of its kind,
    NULL when missing or bad (the default applied when missing). ``bad``:
    VARCHAR, the message of the issue when the raw value could not be read
    (exactly the Python engine's message), else NULL. ``raw``: VARCHAR, the
    raw value as the issue's ``value`` shows it (text as it is, anything
    else as JSON), read only where ``bad`` is not NULL.
    """

    value: exp.Expr
    bad: exp.Expr
    raw: exp.Expr


@dataclass
class Env:
    """What an expression reads, as columns of the layers before it."""

    fields: dict[str, exp.Expr] = field(default_factory=dict)  # field name -> its value
    flags: dict[str, exp.Expr] = field(default_factory=dict)  # flag name -> its outcome (BOOLEAN)
    scores: dict[str, exp.Expr] = field(default_factory=dict)  # score name -> its total (DOUBLE)
    events: exp.Expr | None = None  # the events field's value (ARRAY of STRUCT(type, at)), if any


class Chain:
    """The layers of the query: each a list of (column name, expression), over the one before."""

    def __init__(self, base: exp.Expr) -> None:
        self.base = base  # the input relation (a table, or a subquery joining the events table)
        self.layers: list[list[tuple[str, exp.Expr]]] = [[]]
        self._names = itertools.count()

    def name(self, hint: str) -> str:
        """A new column name for an intermediate value: ``__ls_3_icp_size``."""
        clean = "".join(c if c.isalnum() else "_" for c in hint)[:40]
        return f"{PREFIX}{next(self._names)}_{clean}"

    def add(self, name: str, expr: exp.Expr) -> exp.Column:
        """Add a column to the current layer; the returned reference may be used from the next layer on."""
        self.layers[-1].append((name, expr))
        return column(name)

    def put(self, hint: str, expr: exp.Expr) -> exp.Column:
        """Add ``expr`` under a new name (see :meth:`name`); the reference may be used from the next layer on."""
        return self.add(self.name(hint), expr)

    def next(self) -> None:
        """Start a new layer: what was added so far can be read from now on."""
        if self.layers[-1]:
            self.layers.append([])

    def ctes(self) -> tuple[list[tuple[str, exp.Select]], str]:
        """The layers as (name, SELECT) pairs, each selecting all of the one before plus its columns; and the last name."""
        out: list[tuple[str, exp.Select]] = []
        previous: str | None = None
        for layer in (l for l in self.layers if l):
            name = f"{PREFIX}l{len(out)}"
            if previous is None:
                select = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("t"))).from_(_aliased(self.base, "t"))
            else:
                select = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(previous, quoted=True))).from_(exp.Table(this=exp.to_identifier(previous, quoted=True)))
            select = select.select(*(exp.alias_(e, n, quoted=True, copy=False) for n, e in layer), append=True, copy=False)
            out.append((name, select))
            previous = name
        return out, previous or ""


def _aliased(relation: exp.Expr, alias: str) -> exp.Expr:
    relation = relation.copy()
    if isinstance(relation, (exp.Table, exp.Subquery)):
        relation.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        return relation
    return exp.alias_(relation, alias, table=True)


@dataclass
class Ctx:
    """Everything a part of the backend needs to compile one rule file for one dialect."""

    dialect: str
    ruleset: Ruleset
    as_of: exp.Expr  # TIMESTAMP (UTC) of the evaluation
    chain: Chain
    types: dict[str, str] | None = None  # input column -> its SQL type as the engine names it (None: every column is text)
    typed: bool = False  # the caller gave the input's types: a dotted source may be a struct path (not so for the events column alone)
    env: Env = field(default_factory=Env)
    fields: dict[str, FieldCols] = field(default_factory=dict)  # field name -> its columns, once read

    @property
    def plan(self) -> Plan:
        return self.ruleset.plan

    def column_type(self, source: str) -> str:
        """The SQL type of input column ``source`` in upper case (``VARCHAR`` when the types are not known); a type with a
        struct in it as the engine names it (its field names are case-sensitive)."""
        if self.types is None:
            return "VARCHAR"
        kind = self.types.get(source, "VARCHAR")
        return kind if "STRUCT" in kind.upper() else kind.upper()

    def unsupported(self, what: str, where: str | None = None) -> DialectError:
        """The error for something this dialect cannot compute: name the thing, the criterion (or field) and the dialect."""
        place = f" (in {where})" if where else ""
        return DialectError(f"{what}{place} has no translation for the {self.dialect} dialect", dialect=self.dialect, what=what, where=where)

    # -- small builders every module uses ------------------------------------------------------
    def compact(self, items: Sequence[exp.Expr]) -> exp.Expr:
        """An ARRAY of VARCHAR of the non-NULL ``items``, in order (an empty array when there are none)."""
        if not items:
            return self.empty_array()
        arr = exp.Array(expressions=list(items))
        d = self.dialect
        if d in ("duckdb", "spark"):
            x = exp.to_identifier("x")
            return exp.ArrayFilter(this=arr, expression=exp.Lambda(this=exp.Not(this=exp.Is(this=exp.column("x"), expression=exp.Null())), expressions=[x]))
        if d == "postgres":
            return exp.Anonymous(this="ARRAY_REMOVE", expressions=[exp.Cast(this=arr, to=exp.DataType.build("TEXT[]", dialect="postgres")), exp.Null()])
        if d == "snowflake":
            return exp.Anonymous(this="ARRAY_COMPACT", expressions=[arr])
        # bigquery: ARRAY(SELECT x FROM UNNEST([...]) AS x WHERE x IS NOT NULL)
        sub = exp.select("x").from_(exp.Unnest(expressions=[arr], alias=exp.TableAlias(columns=[exp.to_identifier("x")]))).where(exp.Not(this=exp.Is(this=exp.column("x"), expression=exp.Null())))
        return exp.Array(expressions=[sub])

    def empty_array(self, item: str = "VARCHAR") -> exp.Expr:
        """An empty ARRAY of ``item``."""
        return exp.Cast(this=exp.Array(expressions=[]), to=exp.DataType.build(f"ARRAY<{item}>"))

    def join_parts(self, parts: Sequence[exp.Expr], sep: str) -> exp.Expr:
        """The non-NULL ``parts`` (VARCHAR) joined by ``sep``, in order ('' when all are NULL)."""
        if not parts:
            return text("")
        if self.dialect in ("duckdb", "spark", "postgres"):
            return exp.ConcatWs(expressions=[text(sep), *parts], coalesce=True)  # NULL parts are skipped
        return exp.ArrayToString(this=self.compact(parts), expression=text(sep))

    def concat(self, *parts: exp.Expr | str) -> exp.Expr:
        """Text concatenation, NULL when any part is NULL (as ``||``)."""
        items = [text(p) if isinstance(p, str) else p for p in parts]
        out = items[0]
        for item in items[1:]:
            out = exp.DPipe(this=out, expression=item, safe=False)
        return out

    def record(self, values: dict[str, exp.Expr]) -> exp.Expr:
        """A record (struct) with these named fields, in order (Postgres: a jsonb object)."""
        if self.dialect == "postgres":
            args: list[exp.Expr] = []
            for k, v in values.items():
                args += [text(k), v]
            return exp.Anonymous(this="JSONB_BUILD_OBJECT", expressions=args)
        if self.dialect == "snowflake":
            args = []
            for k, v in values.items():
                args += [text(k), v]
            return exp.Anonymous(this="OBJECT_CONSTRUCT_KEEP_NULL", expressions=args)
        return exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(k), expression=v) for k, v in values.items()])

    def compact_records(self, items: Sequence[exp.Expr]) -> exp.Expr:
        """An ARRAY of the non-NULL records ``items`` (Postgres: jsonb[])."""
        if not items:
            return self.empty_array("STRUCT(field VARCHAR, value VARCHAR, message VARCHAR, criterion VARCHAR)")
        if self.dialect == "postgres":
            return exp.Anonymous(this="ARRAY_REMOVE", expressions=[exp.Array(expressions=list(items)), exp.Null()])
        return self.compact(items)

    def star_without_intermediates(self) -> exp.Expr:
        """``*`` of the last layer without the columns the layers added (where the dialect can say so)."""
        names = [exp.column(n, quoted=True) for layer in self.chain.layers for n, _ in layer]
        if self.dialect in ("duckdb", "snowflake", "bigquery"):
            return exp.Star(except_=names) if names else exp.Star()
        raise DialectError(
            f"the {self.dialect} dialect cannot select every input column but the query's own: pass the input columns (columns=[...], or --columns)",
            dialect=self.dialect,
            what="SELECT * without the query's own columns",
        )


def column(name: str) -> exp.Column:
    """A quoted column reference."""
    return exp.column(name, quoted=True)


def text(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def null(sql_type: str | None = None) -> exp.Expr:
    """NULL, typed when ``sql_type`` is given (``DOUBLE``, ``VARCHAR``, …)."""
    return exp.Null() if sql_type is None else exp.Cast(this=exp.Null(), to=exp.DataType.build(sql_type))


def case(whens: Iterable[tuple[exp.Expr, exp.Expr]], default: exp.Expr | None = None) -> exp.Expr:
    # built in one step: Case.when() copies the whole CASE built so far at every WHEN
    return exp.Case(ifs=[exp.If(this=cond, true=value) for cond, value in whens], default=default)


def py_lower(x: exp.Expr, dialect: str) -> exp.Expr:
    """Python's ``str.lower()`` (full Unicode case mapping) of text ``x`` in ``dialect``.

    PostgreSQL's ``LOWER`` follows the database's collation (ASCII only under ``C``): ICU's root collation maps every
    letter; DuckDB maps one character to one, so the few whose lower case is longer (``İ``) are replaced first.
    Every SQL case fold of text goes through here (expressions, enum and boolean readers): they must agree.
    """
    return _py_case(x, dialect, exp.Lower, "lower")


def py_upper(x: exp.Expr, dialect: str) -> exp.Expr:
    """Python's ``str.upper()`` (full Unicode case mapping: ``ß`` is ``SS``) of text ``x`` in ``dialect`` (see :func:`py_lower`)."""
    return _py_case(x, dialect, exp.Upper, "upper")


def _py_case(x: exp.Expr, dialect: str, node: type[exp.Func], method: str) -> exp.Expr:
    """``node`` (``LOWER`` or ``UPPER``) of ``x`` as Python's ``str.<method>()`` maps it (see :func:`py_lower`)."""
    if dialect == "postgres":
        return node(this=exp.Collate(this=_wrapped(x), expression=exp.to_identifier("und-x-icu", quoted=True)))
    if dialect == "duckdb":
        for source, target in _longer_case(method):
            x = exp.func("REPLACE", x, text(source), text(target))
    return node(this=x)


def _wrapped(e: exp.Expr) -> exp.Expr:
    """``e`` in parentheses unless it is one term (``COLLATE`` binds tighter than any operator)."""
    return e if isinstance(e, (exp.Column, exp.Literal, exp.Cast, exp.Paren, exp.Null, exp.Boolean, exp.Func)) else exp.Paren(this=e)


@functools.cache
def every_character() -> str:
    """Every character but the surrogates, in code point order, built at once from UTF-32 (not a million ``chr()``
    calls): what Python's character classes and case mappings are read from."""
    points = array("I", range(0xD800)).tobytes() + array("I", range(0xE000, sys.maxunicode + 1)).tobytes()
    return points.decode("utf-32-le" if sys.byteorder == "little" else "utf-32-be")


@functools.cache
def _longer_case(method: str) -> tuple[tuple[str, str], ...]:
    """Characters whose Python ``lower()`` or ``upper()`` (``method``) is more than one character (``İ``; ``ß`` is
    ``SS``): DuckDB maps one character to one."""
    # (the blocks hold for lower and upper only: title() and capitalize() map a character by the one before it)
    out = []
    every = every_character()  # (a surrogate maps to itself)
    block = 1024  # a mapping is never shorter than its character: a block whose mapping keeps its length has none longer
    for start in range(0, len(every), block):
        chars = every[start : start + block]
        if len(getattr(chars, method)()) == len(chars):
            continue
        for c in chars:
            mapped = getattr(c, method)()
            if len(mapped) > 1:
                out.append((c, mapped))
    return tuple(out)


def balanced(cls: type[exp.Expr], items: Sequence[exp.Expr]) -> exp.Expr:
    """``items`` (at least one) joined by the associative operator ``cls`` (``exp.Or``, ``exp.And``, ``exp.Add``) as a
    balanced tree, each side in parentheses: a chain of a few hundred is deeper than sqlglot's generator can recurse
    (160 missing markers, a named list of 157 items in contains_any() raised RecursionError)."""
    if len(items) == 1:
        return items[0]
    middle = len(items) // 2
    return cls(this=exp.Paren(this=balanced(cls, items[:middle])), expression=exp.Paren(this=balanced(cls, items[middle:])))


def any_true(conds: Sequence[exp.Expr | None]) -> exp.Expr | None:
    """``a OR b OR …`` of the given SQL booleans, each taken as FALSE when NULL; None when none is given."""
    kept = [exp.Coalesce(this=c, expressions=[exp.false()]) for c in conds if c is not None]
    if not kept:
        return None
    return exp.Paren(this=balanced(exp.Or, kept)) if len(kept) > 1 else kept[0]  # sqlglot adds no parentheses by precedence


def is_true(expr: exp.Expr) -> exp.Expr:
    """TRUE when ``expr`` is TRUE, FALSE when it is FALSE or NULL (never NULL)."""
    return exp.Coalesce(this=expr, expressions=[exp.false()])


def let(dialect: str, name: str, value: exp.Expr, body: exp.Expr) -> exp.Expr:
    """``body`` reading the column ``name`` bound to ``value``, which is computed once per row.

    The texts read their intermediate values many times; repeating an
    expression in each place would grow the query exponentially. DuckDB,
    Spark and Snowflake bind the name as the parameter of a lambda over a
    one-item array; BigQuery as the column of a one-item UNNEST; PostgreSQL
    in a scalar subquery over a one-row subquery with ``OFFSET 0``, which
    keeps the planner from pulling the subquery up (pulled up, each place
    reading the name gets its own copy of ``value``: thousands of copies of
    a count over the events for one nested number text).
    """
    lam = exp.Lambda(this=body, expressions=[exp.to_identifier(name)])
    one = exp.Array(expressions=[value])
    if dialect == "duckdb":
        return exp.Anonymous(this="LIST_EXTRACT", expressions=[exp.Anonymous(this="LIST_TRANSFORM", expressions=[one, lam]), exp.Literal.number(1)])
    if dialect == "spark":
        return exp.Anonymous(this="ELEMENT_AT", expressions=[exp.Anonymous(this="TRANSFORM", expressions=[exp.Anonymous(this="ARRAY", expressions=[value]), lam]), exp.Literal.number(1)])
    if dialect == "snowflake":
        return exp.Anonymous(this="GET", expressions=[exp.Anonymous(this="TRANSFORM", expressions=[one, lam]), exp.Literal.number(0)])
    if dialect == "bigquery":
        source: exp.Expr = exp.Unnest(expressions=[one], alias=exp.TableAlias(columns=[exp.to_identifier(name)]))
        return exp.Subquery(this=exp.select(body).from_(source))
    bound = exp.select(exp.alias_(value, name)).offset(0).subquery(f"{name}_t")
    return exp.Subquery(this=exp.select(body).from_(bound))
