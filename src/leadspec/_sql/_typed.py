"""Reading typed input columns in SQL: numbers, booleans, dates, timestamps, lists and structs as the Python engine reads them.

Owner: the typed-columns part of the SQL backend. When the caller knows the
input's schema (``types`` of :meth:`leadspec.Ruleset.to_sql`: a DataFrame,
Parquet, JSON Lines read by DuckDB, a Spark DataFrame), a column that is not
text holds the values pandas, pyarrow, ``json`` or Spark's ``Row`` give
Python: a BIGINT is an ``int``, a DOUBLE a ``float`` (NaN: missing), a
BOOLEAN a ``bool``, a DATE a ``date``, a TIMESTAMP a naive ``datetime``
(meaning UTC), a TIMESTAMP WITH TIME ZONE (Spark's ``timestamp``) an aware
one, an ARRAY a ``list``, a STRUCT or MAP a ``dict``. Each is read exactly as
``Coercer.read`` reads that Python value: the same value, the same missing
values, the same bad values with the same messages (computed here by
``Coercer`` itself on a value of that Python type wherever every value of the
column gets the same message), and the issue's ``value`` as the Python engine
shows it (the JSON of ``_jsonable(raw)``, or its text when that is text).

A DECIMAL is read as the DOUBLE nearest to it (the float of
``decimal.Decimal``). Column types are parsed with sqlglot in the query's
dialect (struct field names keep their case).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import date, datetime, timezone
from typing import Any

from sqlglot import exp

from .._fields import BadValue, Coercer
from ..plan import FieldPlan
from ._ctx import Ctx, case, let, null, text
from ._fields import and_ as _and
from ._fields import cast as _cast
from ._fields import cat as _cat
from ._fields import eq as _eq
from ._fields import is_null as _is_null
from ._fields import not_ as _not
from ._fields import num as _num
from ._fields import or_ as _or

__all__ = ["either", "is_text_type", "json_shown", "kind_of", "parse_type", "raw_text", "read_typed", "shortest_text", "struct_field_type", "type_name"]

Put = Callable[[str, exp.Expr], exp.Expr]
Step = Generator[None, None, tuple[exp.Expr, exp.Expr]]

T = exp.DataType.Type
_INTS = {t for t in exp.DataType.INTEGER_TYPES if t != T.BIT}
_FLOATS = {T.FLOAT, T.DOUBLE, T.UDOUBLE}
_DECIMALS = {T.DECIMAL, T.DECIMAL32, T.DECIMAL64, T.DECIMAL128, T.DECIMAL256, T.BIGDECIMAL, T.UDECIMAL, T.DECFLOAT, T.MONEY, T.SMALLMONEY}
_TEXTS = set(exp.DataType.TEXT_TYPES) | {T.JSON, T.ENUM}
_NAIVE = {T.TIMESTAMP, T.TIMESTAMP_S, T.TIMESTAMP_MS, T.TIMESTAMP_NS, T.TIMESTAMPNTZ, T.DATETIME, T.DATETIME2, T.DATETIME64, T.SMALLDATETIME}
_MOMENTS = {T.TIMESTAMPTZ, T.TIMESTAMPLTZ}
_DATES = {T.DATE, T.DATE32}
_LISTS = {T.ARRAY, T.LIST}
_DICTS = {T.STRUCT, T.MAP, T.OBJECT}

_PYTHON_SAMPLE: dict[str, Any] = {
    "int": 5,
    "float": 5.5,
    "bool": True,
    "date": date(2026, 1, 1),
    "datetime": datetime(2026, 1, 1, tzinfo=timezone.utc),
    "list": ["x"],
    "dict": {"x": "y"},
}
"""A Python value of each kind of column: what ``Coercer`` says of it is the message of every such value it refuses."""


# -- a column named like a struct path -------------------------------------------------------------

_EITHER = "\x00either\x00"


def either(flat: exp.Expr, flat_type: str, path: exp.Expr, path_type: str) -> tuple[exp.Expr, str]:
    """The raw value of a dotted source that is both a column's name and a struct path (as ``_fields.lookup``: the key
    first): the column where it is not NULL, else the path. A pair the readers below take apart."""
    return exp.Tuple(expressions=[flat, path]), f"{_EITHER}{flat_type}{_EITHER}{path_type}"


def _split_either(raw: exp.Expr, sql_type: str) -> tuple[exp.Expr, str, exp.Expr, str] | None:
    if not sql_type.startswith(_EITHER) or not isinstance(raw, exp.Tuple):
        return None
    flat_type, path_type = sql_type[len(_EITHER) :].split(_EITHER)
    flat, path = raw.expressions
    return flat, flat_type, path, path_type


_CHECKED = ("duckdb", "spark", "postgres")
"""The dialects whose reading of every column type is run against the Python engine; the others read integers, booleans
and dates (exact in any SQL) and refuse the rest."""


# -- types -------------------------------------------------------------------------------------


def parse_type(ctx: Ctx, sql_type: str) -> exp.DataType:
    """``sql_type`` (as the engine names it) as a sqlglot type; VARCHAR when it cannot be parsed."""
    try:
        return exp.DataType.build(sql_type.strip().replace('"NULL"', "NULL"), dialect=ctx.dialect)  # DuckDB's "NULL"[] (of [])
    except Exception:  # noqa: BLE001 - an odd name reads as text, as an untyped column
        if sql_type.strip().strip('"').upper() == "NULL":
            return exp.DataType.build("NULL")
        return exp.DataType.build("VARCHAR")


def type_name(ctx: Ctx, sql_type: str) -> str:
    """The name the readers go by: ``VARCHAR`` for text (and for no type), else the type as sqlglot writes it for the dialect
    (``VARCHAR[]`` is ``TEXT[]``: a list, not text)."""
    if sql_type.upper() in ("VARCHAR", "TEXT", "STRING"):
        return "VARCHAR"
    dtype = parse_type(ctx, sql_type)
    kind = kind_of(dtype)
    if kind == "text":
        return "VARCHAR"
    if kind == "null":
        return "NULL"
    name = dtype.sql(ctx.dialect)
    return name if "STRUCT" in name.upper() else name.upper()


_KIND_OF = ((_TEXTS, "text"), (_INTS, "int"), (_FLOATS, "float"), (_DECIMALS, "decimal"), (_DATES, "date"), (_NAIVE, "naive"),
            (_MOMENTS, "moment"), (_LISTS, "list"), (_DICTS, "dict"))
"""The Python value a column holds, by its type (:func:`kind_of`)."""


def kind_of(dtype: exp.DataType) -> str:
    """The Python value a column of ``dtype`` holds: int, float, decimal, bool, date, naive, moment, list, dict, null, text or other."""
    t = dtype.this
    if t == T.BOOLEAN:
        return "bool"
    if t == T.NULL:
        return "null"
    return next((kind for types, kind in _KIND_OF if t in types), "other")


def _python_kind(kind: str) -> str:
    return {"naive": "datetime", "moment": "datetime", "decimal": "float"}.get(kind, kind)


def struct_field_type(ctx: Ctx, sql_type: str, name: str) -> str | None:
    """The type (in the dialect's spelling) of field ``name`` of a struct type; None when it has none (case as written)."""
    dtype = parse_type(ctx, sql_type)
    if dtype.this != T.STRUCT:
        return None
    for item in dtype.expressions:
        if isinstance(item, exp.ColumnDef) and item.name == name:
            kind = item.args.get("kind")
            return kind.sql(ctx.dialect) if kind is not None else None
    return None


def _item_type(dtype: exp.DataType) -> exp.DataType:
    items = dtype.expressions
    if items and isinstance(items[0], exp.DataType):
        return items[0]
    return exp.DataType.build("NULL")


def _struct_fields(dtype: exp.DataType) -> list[tuple[str, exp.DataType]]:
    out = []
    for item in dtype.expressions:
        if isinstance(item, exp.ColumnDef):
            kind = item.args.get("kind")
            out.append((item.name, kind if isinstance(kind, exp.DataType) else exp.DataType.build("NULL")))
    return out


# -- small builders ----------------------------------------------------------------------------


def _text_of(value: exp.Expr) -> exp.Expr:
    return _cast(value, "VARCHAR")


def _double(value: exp.Expr) -> exp.Expr:
    return _cast(value, "DOUBLE")


_ROUNDS_TO_INFINITY = str(2**1024 - 2**970)  # from this magnitude on, a decimal's nearest double is infinity
_ROUNDS_TO_ZERO = "0." + str(5**1075).rjust(1075, "0")  # 2**-1075: up to this magnitude, the nearest double is 0


def _decimal_double(ctx: Ctx, v: exp.Expr) -> exp.Expr:
    """The DOUBLE nearest to a DECIMAL, as ``float(Decimal)`` gives it. PostgreSQL's NUMERIC reaches far beyond the
    doubles and its cast fails there (``1e400``, ``1e-400``): infinity and 0 are given instead, as Python gives them
    (0.0 for a negative value too, as Python's engine reads ``Decimal('-0')``); NaN stays NaN. DuckDB's and Spark's
    DECIMALs (38 digits) always cast."""
    if ctx.dialect != "postgres":
        return _double(v)
    size = exp.Abs(this=v)
    nan = exp.EQ(this=v, expression=_cast(text("NaN"), "DECIMAL"))
    return case(
        [
            (nan, _double(text("NaN"))),
            (exp.GTE(this=size, expression=_cast(exp.Literal.number(_ROUNDS_TO_INFINITY), "DECIMAL")), case([(exp.GT(this=v, expression=_num(0)), _infinity())], exp.Neg(this=_infinity()))),
            (exp.LTE(this=size, expression=_cast(exp.Literal.number(_ROUNDS_TO_ZERO), "DECIMAL")), _double(_num(0))),
        ],
        _double(v),
    )


def _as_double(ctx: Ctx, v: exp.Expr, kind: str) -> exp.Expr:
    """A numeric column's value as DOUBLE: a DECIMAL (``kind == "decimal"``) as :func:`_decimal_double` reads it."""
    return _decimal_double(ctx, v) if kind == "decimal" else _double(v)


def _infinity() -> exp.Expr:
    return _double(text("Infinity"))


def is_nan(ctx: Ctx, v: exp.Expr) -> exp.Expr:
    """TRUE for a NaN DOUBLE."""
    if ctx.dialect in ("duckdb", "spark"):
        return exp.Anonymous(this="ISNAN", expressions=[v])
    if ctx.dialect == "bigquery":
        return exp.Anonymous(this="IS_NAN", expressions=[v])
    return _eq(v, _double(text("NaN")))  # PostgreSQL and Snowflake: NaN equals NaN


def _is_inf(v: exp.Expr) -> exp.Expr:
    return _eq(exp.Abs(this=v), _infinity())


def _bigint_text(v: exp.Expr) -> exp.Expr:
    """The digits of a whole DOUBLE below 2**63 in magnitude."""
    return _text_of(_cast(v, "BIGINT"))


# -- lists -------------------------------------------------------------------------------------


class _Lists:
    """Higher-order functions on arrays, per dialect (lambda variables named by the caller)."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.d = ctx.dialect
        if self.d not in ("duckdb", "spark", "postgres"):
            raise ctx.unsupported("reading an ARRAY column")

    def map(self, arr: exp.Expr, var: str, body: exp.Expr) -> exp.Expr:
        if self.d == "duckdb":
            return exp.Anonymous(this="LIST_TRANSFORM", expressions=[arr, exp.Lambda(this=body, expressions=[exp.to_identifier(var)])])
        if self.d == "spark":
            return exp.Anonymous(this="TRANSFORM", expressions=[arr, exp.Lambda(this=body, expressions=[exp.to_identifier(var)])])
        return exp.Cast(this=self._pg(arr, var, body, None), to=exp.DataType.build("TEXT[]", dialect="postgres"))

    def filter(self, arr: exp.Expr, var: str, cond: exp.Expr) -> exp.Expr:
        if self.d == "duckdb":
            return exp.Anonymous(this="LIST_FILTER", expressions=[arr, exp.Lambda(this=cond, expressions=[exp.to_identifier(var)])])
        if self.d == "spark":
            return exp.Anonymous(this="FILTER", expressions=[arr, exp.Lambda(this=cond, expressions=[exp.to_identifier(var)])])
        return self._pg(arr, var, exp.column(var), cond)

    def _pg(self, arr: exp.Expr, var: str, body: exp.Expr, cond: exp.Expr | None) -> exp.Expr:
        """``ARRAY(SELECT body FROM UNNEST(arr) AS t(var) [WHERE cond])`` (in the order of UNNEST)."""
        rows = exp.Alias(this=exp.Anonymous(this="UNNEST", expressions=[arr]), alias=exp.TableAlias(this=exp.to_identifier(f"{var}_t"), columns=[exp.to_identifier(var)]))
        query = exp.select(body).from_(rows)
        if cond is not None:
            query = query.where(cond)
        return exp.Array(expressions=[query])

    def size(self, arr: exp.Expr) -> exp.Expr:
        if self.d == "duckdb":
            return exp.Anonymous(this="LEN", expressions=[arr])
        if self.d == "spark":
            return exp.Anonymous(this="SIZE", expressions=[arr])
        return exp.func("COALESCE", exp.Anonymous(this="CARDINALITY", expressions=[arr]), _num(0))

    def join(self, arr: exp.Expr, sep: str) -> exp.Expr:
        """The items (text, none NULL) joined by ``sep``."""
        if self.d == "spark":
            return exp.Anonymous(this="ARRAY_JOIN", expressions=[arr, text(sep)])
        return exp.Anonymous(this="ARRAY_TO_STRING", expressions=[arr, text(sep)])

    def chars(self, s: exp.Expr) -> exp.Expr:
        """The characters (code points) of ``s`` as an array of text."""
        if self.d == "duckdb":
            return exp.Anonymous(this="STRING_SPLIT", expressions=[s, text("")])
        if self.d == "spark":
            return exp.Anonymous(this="SPLIT", expressions=[s, text(""), _num(-1)])
        return exp.Anonymous(this="REGEXP_SPLIT_TO_ARRAY", expressions=[s, text("")])

    def code_point(self, c: exp.Expr) -> exp.Expr:
        if self.d == "duckdb":
            return exp.Anonymous(this="UNICODE", expressions=[c])
        return exp.Anonymous(this="ASCII", expressions=[c])

    def hex4(self, n: exp.Expr) -> exp.Expr:
        """``n`` (0..0xFFFF) as four lower-case hex digits."""
        h = exp.Anonymous(this="TO_HEX", expressions=[n]) if self.d == "postgres" else exp.Lower(this=exp.Anonymous(this="HEX", expressions=[n]))
        return exp.Anonymous(this="LPAD", expressions=[h, _num(4), text("0")])


# -- the value: JSON as json.dumps writes it (or the text Python shows) -----------------

_ASCII_PRINTABLE = "^[ -~]*$"


def _json_string(ctx: Ctx, s: exp.Expr, var: str) -> exp.Expr:
    """``json.dumps(s)`` of text ``s`` (``ensure_ascii``: every character outside space..~ escaped)."""
    simple = s
    for a, b in (("\\", "\\\\"), ('"', '\\"')):
        simple = exp.func("REPLACE", simple, text(a), text(b))
    simple = _cat('"', simple, '"')
    lists = _Lists(ctx)
    c = exp.column(var)
    cp = lists.code_point(c)
    short = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
    high = _cat("\\u", lists.hex4(exp.Add(this=_num(0xD800), expression=_idiv(exp.Paren(this=exp.Sub(this=cp, expression=_num(0x10000))), 1024))))
    low = _cat("\\u", lists.hex4(exp.Add(this=_num(0xDC00), expression=_mod(exp.Paren(this=exp.Sub(this=cp, expression=_num(0x10000))), 1024))))
    each = case(
        [
            (_eq(c, text("\\")), text("\\\\")),
            (_eq(c, text('"')), text('\\"')),
            *((_eq(c, text(k)), text(v)) for k, v in short.items()),
            (exp.RegexpLike(this=c, expression=text(_ASCII_PRINTABLE)), c),
            (exp.LT(this=cp, expression=_num(0x10000)), _cat("\\u", lists.hex4(cp))),
        ],
        _cat(high, low),
    )
    escaped = _cat('"', lists.join(lists.map(lists.chars(s), var, each), ""), '"')
    return case([(_is_null(s), null("VARCHAR")), (exp.RegexpLike(this=s, expression=text(_ASCII_PRINTABLE)), simple)], escaped)


def _idiv(a: exp.Expr, b: int) -> exp.Expr:
    return _cast(exp.Floor(this=exp.Div(this=_double(a), expression=exp.Literal.number(b))), "BIGINT")


def _mod(a: exp.Expr, b: int) -> exp.Expr:
    return exp.Paren(this=exp.Mod(this=a, expression=exp.Literal.number(b)))


def _float_repr(ctx: Ctx, v: exp.Expr, put: Put | None = None) -> Generator[None, None, exp.Expr]:
    """``repr(v)`` of a DOUBLE that is not NaN (``inf``, ``-0.0``, ``1e+16``), over the layers of ``put`` (one expression without)."""
    from ._fields import py_repr_parts

    layered = put is not None
    p: Put = put if put is not None else (lambda hint, e: exp.Paren(this=e))
    neg = p("fneg", exp.Like(this=_text_of(v), expression=text("-%")))  # -0.0 too (every engine writes its sign)
    mag = p("fmag", exp.Abs(this=v))
    if layered:
        yield
    finite_mag = case([(_or(_is_inf(mag), is_nan(ctx, mag)), _double(_num(0)))], mag)  # no cast may fail on NaN
    shortest = shortest_text(ctx, finite_mag) if ctx.dialect in ("spark", "postgres") else None  # their own text has digits more
    parts = py_repr_parts(ctx, p, finite_mag, shortest)
    while True:
        try:
            next(parts)
        except StopIteration as done:
            shown: exp.Expr = done.value
            break
        if layered:
            yield
    finite = _cat(case([(neg, text("-"))], text("")), shown)
    return case([(_is_inf(mag), case([(neg, text("-inf"))], text("inf")))], finite)


def _spark_shortest(m: exp.Expr) -> exp.Expr:
    """The shortest text of a finite, non-negative DOUBLE that reads back as it (what Python's ``repr`` writes).

    Spark writes a double as Java 17's ``Double.toString`` does, sometimes with a few digits more than needed
    (``4.9E-324`` for ``5e-324``, ``2.28429866853658848E17``): the same number with three, two or one digits fewer
    (Java's digits rounded half up by ``format_string('%.Ne')``, else cut) is taken when it reads back as the same double.
    """
    t = _text_of(m)
    digits = exp.RegexpReplace(this=exp.RegexpReplace(this=t, expression=text("[eE].*$"), replacement=text("")), expression=text("[^0-9]"), replacement=text(""))
    n = exp.Length(this=exp.Trim(this=digits, expression=text("0")))

    def fmt(digits: exp.Expr) -> exp.Expr:
        precision = exp.Greatest(this=exp.Sub(this=digits, expression=_num(1)), expressions=[_num(0)])  # never '%.-1e' (an error)
        return exp.func("CONCAT", text("%."), _text_of(precision), text("e"))

    full = exp.Anonymous(this="FORMAT_STRING", expressions=[fmt(n), m])  # Java's own digits, as d.ddde+XX
    mantissa = exp.Anonymous(this="SUBSTRING_INDEX", expressions=[full, text("e"), _num(1)])
    power = exp.Substring(this=full, start=exp.Anonymous(this="INSTR", expressions=[full, text("e")]))

    def rounded(fewer: int) -> exp.Expr:  # Java rounds its own digits half up (...2255 -> ...226)
        return exp.Anonymous(this="FORMAT_STRING", expressions=[fmt(exp.Sub(this=n, expression=_num(fewer))), m])

    def cut(fewer: int) -> exp.Expr:  # ... and the other neighbour (...225)
        return _cat(exp.Anonymous(this="LEFT", expressions=[mantissa, exp.Sub(this=n, expression=_num(fewer - 1))]), power)

    whens = [
        (_and(exp.GTE(this=n, expression=_num(fewer + 1)), _eq(exp.TryCast(this=candidate, to=exp.DataType.build("DOUBLE"), safe=True), m)), candidate)
        for fewer in (3, 2, 1)  # TRY_CAST: of a NULL number, FORMAT_STRING gives '' (ANSI mode's CAST fails on it)
        for candidate in (rounded(fewer), cut(fewer))
    ]
    return case(whens, t)


def shortest_text(ctx: Ctx, m: exp.Expr) -> exp.Expr:
    """The engine's text of a finite, non-negative DOUBLE with Python's digits (what ``py_repr_parts`` should read):
    DuckDB's own; Spark's and PostgreSQL's made shortest (:func:`_spark_shortest`, :func:`_pg_shortest`)."""
    if ctx.dialect == "spark":
        return _spark_shortest(m)
    if ctx.dialect == "postgres":
        return _pg_shortest(m)
    return _text_of(m)


def _pg_shortest(m: exp.Expr) -> exp.Expr:
    """:func:`_spark_shortest` for PostgreSQL, whose shortest text leaves out a decimal exactly halfway between two doubles
    (``9.999999999999999e+22`` for ``1e+23``, which reads back as the same double): one digit fewer, rounded by
    ``to_char`` (C's ``printf``), when it reads back as the same double (its zeros at the end are dropped after)."""
    t = _text_of(m)
    digits = exp.RegexpReplace(this=exp.RegexpReplace(this=t, expression=text("[eE].*$"), replacement=text("")), expression=text("[^0-9]"), replacement=text(""))
    n = exp.Length(this=exp.Trim(this=digits, expression=text("0")))
    fmt = _cat("9.", exp.Repeat(this=text("9"), times=_cast(exp.Sub(this=n, expression=_num(2)), "INT")), "EEEE")
    fewer = exp.Trim(this=exp.Anonymous(this="TO_CHAR", expressions=[m, fmt]))
    below_max = exp.LT(this=m, expression=_double(text("1e308")))  # rounded, the largest doubles would not read back (an error)
    return case([(_and(exp.GTE(this=n, expression=_num(3)), below_max), case([(_eq(_double(fewer), m), fewer)], t))], t)


def _run(gen: Generator[None, None, exp.Expr]) -> exp.Expr:
    while True:
        try:
            next(gen)
        except StopIteration as done:
            result: exp.Expr = done.value
            return result


def _bound(ctx: Ctx, build: Callable[[Put], Generator[None, None, exp.Expr]]) -> exp.Expr:
    """One expression of a layered computation: each value it puts bound to a name once (not repeated where it is read)."""
    bindings: list[tuple[str, exp.Expr]] = []

    def put(hint: str, e: exp.Expr) -> exp.Expr:
        name = ctx.chain.name(hint)
        bindings.append((name, e))
        return exp.column(name)

    result = _run(build(put))
    for name, e in reversed(bindings):
        result = _let(ctx, name, e, result)
    return result


def _let(ctx: Ctx, name: str, value: exp.Expr, body: exp.Expr) -> exp.Expr:
    """``body`` with ``name`` bound to ``value`` (see ``_ctx.let``); DuckDB, Spark and PostgreSQL only."""
    if ctx.dialect not in ("duckdb", "spark", "postgres"):
        raise ctx.unsupported("showing a DOUBLE as Python does")
    return let(ctx.dialect, name, value, body)


def _float_text(ctx: Ctx, v: exp.Expr) -> exp.Expr:
    """``repr(v)`` of a DOUBLE that is not NaN, as one expression."""
    return _bound(ctx, lambda put: _float_repr(ctx, v, put))


def _int_short(ctx: Ctx, v: exp.Expr, dtype: exp.DataType) -> exp.Expr:
    """``_short(v)`` of an integer column: its digits, or ``a 31-digit number`` from 10**30 on."""
    t = _text_of(v)
    if dtype.this not in (T.INT128, T.UINT128, T.INT256, T.UINT256):
        return t
    from ._fields import commas

    digits = exp.Length(this=exp.Trim(this=t, expression=text("-"), position="LEADING"))
    return case([(exp.GT(this=digits, expression=_num(30)), _cat("a ", commas(_text_of(digits)), "-digit number"))], t)


def _json(ctx: Ctx, v: exp.Expr, dtype: exp.DataType, depth: int = 0) -> exp.Expr:
    """JSON text of a value of ``dtype`` as ``json.dumps`` writes the Python value (NULL for NULL)."""
    kind = kind_of(dtype)
    var = f"__ls_j{depth}"
    if kind == "text":
        return _json_string(ctx, _text_of(v), f"__ls_c{depth}")
    if kind == "int":
        return _text_of(v)
    if kind in ("float", "decimal"):
        d = _as_double(ctx, v, kind)
        return case([(_is_null(d), null("VARCHAR")), (is_nan(ctx, d), text("NaN")), (_is_inf(d), case([(exp.LT(this=d, expression=_num(0)), text("-Infinity"))], text("Infinity")))], _float_text(ctx, d))
    if kind == "bool":
        return case([(v, text("true")), (exp.Not(this=v), text("false"))], null("VARCHAR"))
    if kind == "null":
        return text("null")
    if kind == "list":
        lists = _Lists(ctx)
        item = exp.column(var)
        each = exp.func("COALESCE", _json(ctx, item, _item_type(dtype), depth + 1), text("null"))
        return _cat("[", lists.join(lists.map(v, var, each), ", "), "]")
    if kind == "dict" and dtype.this == T.STRUCT:
        parts: list[exp.Expr | str] = ["{"]
        for i, (name, inner) in enumerate(_struct_fields(dtype)):
            if i:
                parts.append(", ")
            shown = _json_string_literal(name)
            parts += [shown + ": ", exp.func("COALESCE", _json(ctx, _field_of(ctx, v, name), inner, depth + 1), text("null"))]
        parts.append("}")
        return _cat(*parts)
    if kind == "date":
        return _date_repr(v)
    if kind in ("naive", "moment"):
        return _datetime_repr(ctx, v, kind)
    if ctx.dialect == "duckdb":
        return exp.Anonymous(this="TO_JSON", expressions=[v])
    if ctx.dialect == "spark":
        return exp.Anonymous(this="TO_JSON", expressions=[v])
    return _text_of(v)


def _json_string_literal(value: str) -> str:
    import json

    return json.dumps(value)


def _field_of(ctx: Ctx, v: exp.Expr, name: str) -> exp.Expr:
    if ctx.dialect == "duckdb":
        return exp.Anonymous(this="STRUCT_EXTRACT", expressions=[v, text(name)])
    return exp.Dot(this=exp.Paren(this=v), expression=exp.to_identifier(name, quoted=True))


def _date_repr(v: exp.Expr) -> exp.Expr:
    """``repr(date)``: ``datetime.date(2026, 5, 1)``."""
    return _cat("datetime.date(", *_ymd(v), ")")


def _ymd(v: exp.Expr) -> list[exp.Expr | str]:
    return [_part("YEAR", v), ", ", _part("MONTH", v), ", ", _part("DAY", v)]


def _part(unit: str, v: exp.Expr) -> exp.Expr:
    return _text_of(_cast(exp.Extract(this=exp.var(unit), expression=v), "BIGINT"))


def _micros_of_second(ctx: Ctx, v: exp.Expr) -> exp.Expr:
    """The microseconds within the minute's second (0..999999) of a TIMESTAMP."""
    if ctx.dialect == "duckdb":
        return exp.Anonymous(this="MICROSECOND", expressions=[v])  # seconds and microseconds, in microseconds
    if ctx.dialect == "postgres":
        return _cast(exp.Extract(this=exp.var("MICROSECONDS"), expression=v), "BIGINT")
    # Spark: EXTRACT(SECOND) is seconds with the fraction (DECIMAL(8,6)), exact
    return _cast(exp.Mul(this=exp.Extract(this=exp.var("SECOND"), expression=v), expression=_num(1000000)), "BIGINT")


def _datetime_repr(ctx: Ctx, v: exp.Expr, kind: str) -> exp.Expr:
    """``repr(datetime)`` of a TIMESTAMP (UTC): ``datetime.datetime(2026, 5, 1, 9, 30[, s[, us]][, tzinfo=datetime.timezone.utc])``."""
    us = _micros_of_second(ctx, v)
    sec = _text_of(_cast(exp.Floor(this=exp.Div(this=_double(us), expression=_num(1000000))), "BIGINT"))
    frac = _text_of(_mod(us, 1000000))
    tail = case(
        [(exp.NEQ(this=_mod(us, 1000000), expression=_num(0)), _cat(", ", sec, ", ", frac)), (exp.NEQ(this=us, expression=_num(0)), _cat(", ", sec))],
        text(""),
    )
    zone = ", tzinfo=datetime.timezone.utc" if kind == "moment" else ""
    return _cat("datetime.datetime(", *_ymd(v), ", ", _part("HOUR", v), ", ", _part("MINUTE", v), tail, zone + ")")


def raw_text(ctx: Ctx, raw: exp.Expr, sql_type: str) -> exp.Expr:
    """The issue's ``value`` of a typed column (VARCHAR): the JSON of ``_jsonable(raw)``, or the text it is when it is text."""
    pair = _split_either(raw, sql_type)
    if pair is not None:
        from ._fields import _raw_text

        flat, flat_type, path, path_type = pair
        return case([(exp.Not(this=_is_null(flat)), _raw_text(ctx, flat, flat_type))], _raw_text(ctx, path, path_type))
    dtype = parse_type(ctx, sql_type)
    kind = kind_of(dtype)
    if kind == "text":
        return _text_of(raw)
    if kind == "null" or kind == "other" or (ctx.dialect not in _CHECKED and kind not in ("int", "bool", "date")):
        return null("VARCHAR")  # read_typed refuses the column, naming the field
    if kind == "int":
        return _int_short(ctx, raw, dtype)
    if kind in ("float", "decimal"):
        d = _as_double(ctx, raw, kind)
        return case([(is_nan(ctx, d), null("VARCHAR"))], _float_text(ctx, d))
    if kind == "date":
        return _date_repr(raw)
    if kind in ("naive", "moment"):
        return _datetime_repr(ctx, _utc(ctx, raw, kind), kind)
    if kind == "list" and kind_of(_item_type(dtype)) in ("date", "naive", "moment"):
        item = _item_type(dtype)
        lists = _Lists(ctx)
        var = "__ls_r"
        shown = exp.func("COALESCE", _json(ctx, _utc(ctx, exp.column(var), kind_of(item)) if kind_of(item) != "date" else exp.column(var), item, 1), text("None"))
        nulls = lists.map(raw, var, text("null"))
        dated = exp.GT(this=lists.size(lists.filter(raw, var, exp.Not(this=_is_null(exp.column(var))))), expression=_num(0))
        # repr of the list where json.dumps refuses a date in it; JSON of a list of None
        return case([(dated, _cat("[", lists.join(lists.map(raw, var, shown), ", "), "]"))], _cat("[", lists.join(nulls, ", "), "]"))
    return _json(ctx, raw, dtype)


def is_text_type(ctx: Ctx, sql_type: str) -> bool:
    """A column of this type holds text (its issue value is text, which the reasons quote); ``VARCHAR[]`` does not."""
    return type_name(ctx, sql_type) == "VARCHAR"


_JSON_SHOWN = r'^(-?[0-9]|true$|false$|null$|\[(\]|[-"0-9tfn\[{]|NaN|Infinity)|\{(\}|"))'


def json_shown(raw: exp.Expr) -> exp.Expr:
    """SQL boolean: the issue value of a typed column (:func:`raw_text`) is JSON, which the reasons show as it is; FALSE
    when it is the text Python made of the value (``inf``, ``datetime.date(2026, 5, 1)``, ``a 31-digit number``), which
    ``Result._bad_values`` quotes as it quotes text."""
    return exp.RegexpLike(this=raw, expression=text(_JSON_SHOWN))


# -- values ------------------------------------------------------------------------------------


def _utc(ctx: Ctx, v: exp.Expr, kind: str) -> exp.Expr:
    """A TIMESTAMP (UTC wall clock) of a timestamp column: naive ones as they are, moments in UTC (whatever the session's zone)."""
    if kind != "moment":
        return _cast(v, "TIMESTAMP") if ctx.dialect != "spark" else v
    from ._fields import timestamp_of

    if ctx.dialect == "duckdb":
        return timestamp_of(ctx, exp.Anonymous(this="EPOCH_US", expressions=[v]))
    if ctx.dialect == "spark":
        return timestamp_of(ctx, exp.Anonymous(this="UNIX_MICROS", expressions=[v]))
    if ctx.dialect == "postgres":
        return exp.AtTimeZone(this=v, zone=text("UTC"))
    raise ctx.unsupported("reading a TIMESTAMP WITH TIME ZONE column")


def _refusal(coercer: Coercer, kind: str) -> str:
    """What ``Coercer`` says of every value of a column of this kind (it reads none of them)."""
    try:
        coercer.convert(_PYTHON_SAMPLE[kind])
    except BadValue as exc:
        return str(exc)
    raise AssertionError(f"{coercer.type} reads a {kind}")  # pragma: no cover - the callers ask only for refusals


def read_typed(ctx: Ctx, spec: FieldPlan, raw: exp.Expr, sql_type: str, put: Put) -> Step:
    """(value, bad message) of field ``spec`` from a column of type ``sql_type``, over the layers of ``put``."""
    from . import _fields as F

    pair = _split_either(raw, sql_type)
    if pair is not None:
        flat, flat_type, path, path_type = pair
        readers = [F._reader(ctx, spec, flat, flat_type, lambda h, e: put(f"a{h}", e)), F._reader(ctx, spec, path, path_type, lambda h, e: put(f"b{h}", e))]
        done: list[tuple[exp.Expr, exp.Expr] | None] = [None, None]
        while any(d is None for d in done):
            for i, reader in enumerate(readers):
                if done[i] is None:
                    try:
                        next(reader)
                    except StopIteration as stop:
                        done[i] = stop.value
            if any(d is None for d in done):
                yield
        (v1, b1), (v2, b2) = done  # type: ignore[misc]
        has = put("flat", exp.Not(this=_is_null(flat)))
        yield
        return case([(has, v1)], v2), case([(has, b1)], b2)
    dtype = parse_type(ctx, sql_type)
    kind = kind_of(dtype)
    where = f"field {spec.name}"
    coercer = Coercer.from_plan(spec)
    default = F._default(ctx, spec)
    ft = spec.type
    vtype = F._KIND[ft]
    nothing = null("VARCHAR")

    if kind == "other" or (ctx.dialect not in _CHECKED and kind not in ("int", "bool", "date", "null", "text")):
        raise ctx.unsupported(f"reading a {sql_type} column", where)
    if kind == "null":
        return default, nothing
    if kind == "text":  # JSON, ENUM, CHAR: read as text, as an untyped column
        t = put("t", F.py_strip(_text_of(raw), ctx.dialect))
        missing = put("missing", _or(_is_null(raw), F.in_(F.py_strip(_text_of(raw), ctx.dialect), list(spec.missing))) if spec.missing else _is_null(raw))
        yield
        value, bad = yield from F._TEXT_READERS[ft](ctx, spec, t, raw, put)
        return case([(missing, default)], value), case([(missing, nothing)], bad)

    def finish(missing: exp.Expr, value: exp.Expr, bad: exp.Expr) -> tuple[exp.Expr, exp.Expr]:
        return case([(missing, default)], value), case([(missing, nothing)], bad)

    def refuse(missing: exp.Expr) -> tuple[exp.Expr, exp.Expr]:
        return finish(missing, null(vtype), text(_refusal(coercer, _python_kind(kind))))

    if kind in ("int", "float", "decimal"):
        number = raw if kind == "int" else _as_double(ctx, raw, kind)
        missing = _is_null(raw) if kind == "int" else _or(_is_null(raw), is_nan(ctx, number))
        if ft in ("date", "datetime", "list"):
            return refuse(missing)
        if ft in ("string", "enum"):
            if kind == "int":
                shown = put("text", _text_of(raw))
                yield
            else:
                v = put("num", number)
                m = put("missing", missing)
                yield
                shown_gen = _float_repr(ctx, v, put)
                shown = yield from shown_gen
                shown = put("text", shown)
                missing = m
                yield
            if ft == "string":
                return finish(missing, shown, nothing)
            value, bad = yield from F._enum(ctx, spec, shown, shown, put)
            return finish(missing, value, bad)
        if ft == "boolean":
            if kind != "int":
                return refuse(missing)
            value = case([(_eq(raw, _num(1)), exp.true()), (_eq(raw, _num(0)), exp.false())], null("BOOLEAN"))
            return finish(missing, value, case([(_is_null(value), text(F._BOOL_MESSAGE))], nothing))
        # integer and number
        if kind == "int":
            if spec.min is None and spec.max is None:  # every integer is within the largest number
                return finish(missing, _double(raw), nothing)
            b = put("bad", _int_range(ctx, spec, raw, dtype))
            yield
            return finish(missing, case([(_is_null(b), _double(raw))], null("DOUBLE")), b)
        v = put("num", number)
        m = put("missing", missing)
        yield
        whole = _whole(ctx, v)
        if ft == "integer":
            first = case([(_not(whole), text("not an integer"))], nothing)
        else:
            first = case([(_is_inf(v), text("not a finite number"))], nothing)
        if spec.min is None and spec.max is None:
            return finish(m, case([(_is_null(first), v)], null("DOUBLE")), first)
        b1 = put("bad1", first)
        if ft == "integer":
            shown = put("short", _whole_short(ctx, v))
        else:
            shown = put("short", (yield from _float_repr(ctx, v, put)))
        yield
        bad = case([(exp.Not(this=_is_null(b1)), b1), *_range_whens(spec, v, shown, ft == "integer")], nothing)
        b = put("bad", bad)
        yield
        return finish(m, case([(_is_null(b), v)], null("DOUBLE")), b)

    missing = _is_null(raw)
    if kind == "bool":
        if ft == "boolean":
            return finish(missing, raw, nothing)
        return refuse(missing)
    if kind in ("date", "naive", "moment"):
        if ft not in ("date", "datetime"):
            return refuse(missing)
        if kind == "date":
            value = _cast(raw, "DATE") if ft == "date" else _cast(raw, "TIMESTAMP")
            return finish(missing, value, nothing)
        moment = put("utc", _utc(ctx, raw, kind))
        yield
        return finish(missing, _cast(moment, "DATE") if ft == "date" else moment, nothing)
    if kind == "list":
        if ft != "list":
            return refuse(missing)
        value, bad = _list_items(ctx, raw, _item_type(dtype))
        return finish(missing, value, bad)
    # a dict
    return refuse(missing)


def _whole(ctx: Ctx, v: exp.Expr) -> exp.Expr:
    """A finite DOUBLE with no fraction (NaN and infinities are not)."""
    big = exp.GTE(this=exp.Abs(this=v), expression=_num(2**52))
    return case([(_or(_is_inf(v), is_nan(ctx, v)), exp.false()), (big, exp.true())], _eq(_double(_cast(v, "BIGINT")), v))


def _whole_short(ctx: Ctx, v: exp.Expr) -> exp.Expr:
    """``_short(int(v))`` of a whole finite DOUBLE: its exact digits below 10**30, else ``a 31-digit number``."""
    from ._fields import commas, log10

    a = case([(_whole(ctx, v), exp.Abs(this=v))], _double(_num(0)))  # computed for every row: no cast may fail on NaN or a fraction
    sign = case([(exp.LT(this=v, expression=_num(0)), text("-"))], text(""))
    small = _bigint_text(a)
    # 2**63 <= |v| < 10**30: v = m * 2**k exactly, m and 2**k below 2**63
    log2 = exp.Div(this=exp.Ln(this=a), expression=exp.Ln(this=_num(2.0))) if ctx.dialect == "postgres" else exp.Anonymous(this="LOG2", expressions=[a])
    # k is at most one off log2's floor either way: v / 2**k stays a whole number below 2**63
    k = exp.Greatest(this=_num(0), expressions=[exp.Sub(this=_cast(exp.Floor(this=log2), "BIGINT"), expression=_num(53))])
    p2 = exp.Pow(this=_num(2.0), expression=k)
    m = _cast(exp.Div(this=a, expression=p2), "BIGINT")
    big = _text_of(exp.Mul(this=_cast(m, "DECIMAL(38,0)"), expression=_cast(_cast(p2, "BIGINT"), "DECIMAL(38,0)")))
    digits_n = _text_of(_cast(exp.Add(this=exp.Floor(this=log10(ctx, a)), expression=_num(1)), "BIGINT"))
    huge = _cat("a ", commas(digits_n), "-digit number")
    return case(
        [
            (exp.LT(this=a, expression=_num(2.0**63)), _cat(sign, small)),
            (exp.LT(this=a, expression=_double(text("1e30"))), _cat(sign, big)),
        ],
        huge,
    )


def _range_whens(spec: FieldPlan, v: exp.Expr, shown: exp.Expr, integral: bool) -> list[tuple[exp.Expr, exp.Expr]]:
    """The range checks of ``Coercer._range`` on a DOUBLE with the value's text ``shown``."""
    import math

    whens: list[tuple[exp.Expr, exp.Expr]] = []
    if spec.min is not None:
        low = math.ceil(spec.min) if integral else spec.min
        whens.append((exp.LT(this=v, expression=_double(text(repr(float(low))))), _cat(shown, f" is below the minimum {spec.min:g}")))
    if spec.max is not None:
        high = math.floor(spec.max) if integral else spec.max
        whens.append((exp.GT(this=v, expression=_double(text(repr(float(high))))), _cat(shown, f" is above the maximum {spec.max:g}")))
    return whens


def _int_range(ctx: Ctx, spec: FieldPlan, v: exp.Expr, dtype: exp.DataType) -> exp.Expr:
    """The range message of an integer column's value (exact: compared with whole bounds), NULL within."""
    import math

    whens: list[tuple[exp.Expr, exp.Expr]] = []
    shown = _int_short(ctx, v, dtype)
    if spec.min is not None:
        whens.append((exp.LT(this=v, expression=_num(math.ceil(spec.min))), _cat(shown, f" is below the minimum {spec.min:g}")))
    if spec.max is not None:
        whens.append((exp.GT(this=v, expression=_num(math.floor(spec.max))), _cat(shown, f" is above the maximum {spec.max:g}")))
    return case(whens, null("VARCHAR")) if whens else null("VARCHAR")


def _list_items(ctx: Ctx, raw: exp.Expr, item: exp.DataType) -> tuple[exp.Expr, exp.Expr]:
    """``Coercer._list`` of a list of ``item``: (ARRAY of text, message)."""
    from ._fields import py_strip

    lists = _Lists(ctx)
    kind = kind_of(item)
    x = "__ls_x"
    col = exp.column(x)
    empty = ctx.empty_array()
    nothing = null("VARCHAR")
    if kind == "null":
        return empty, nothing
    if kind == "text":
        items = lists.filter(lists.map(raw, x, py_strip(_text_of(col), ctx.dialect)), x, exp.NEQ(this=col, expression=text("")))
        return items, nothing
    if kind == "int":
        return lists.map(lists.filter(raw, x, exp.Not(this=_is_null(col))), x, _text_of(col)), nothing
    if kind in ("float", "decimal"):
        number = _as_double(ctx, col, kind)
        kept = lists.filter(raw, x, _and(exp.Not(this=_is_null(col)), _not(is_nan(ctx, number))))
        return lists.map(kept, x, _float_text(ctx, number)), nothing
    present = exp.GT(this=lists.size(lists.filter(raw, x, exp.Not(this=_is_null(col)))), expression=_num(0))
    message = "not a list of text values (an item is a boolean)" if kind == "bool" else "not a list of text values"
    return case([(present, null("ARRAY<VARCHAR>"))], empty), case([(present, text(message))], nothing)
