"""Reading a lead's raw values in SQL: missing markers, defaults, coercion per field type, bad values.

Owner: the fields part of the SQL backend. It reads every raw value
exactly as the Python engine does (``leadspec._fields.Coercer``): the same
values, the same missing values, the same bad values with the same
messages.

Text is read with regular expressions written in the subset every engine
shares (RE2 in DuckDB and BigQuery, Java in Spark, PostgreSQL's ARE,
POSIX in Snowflake): literal characters, bracket classes of literal
characters, ``|``, ``?``, ``*``, ``+``, ``{m,n}``, ``^``, ``$`` and
groups. Python's notions are spelled out as classes computed from
Python's own tables: ``str.strip()``'s whitespace, ``re``'s ``\\d`` (every
Unicode decimal digit, which ``strptime`` reads) and ``re.IGNORECASE``'s
letters. Numbers are checked on their digits before any cast, so no cast
can fail or overflow in any engine; dates and times are built from day
numbers and microseconds with integer arithmetic, after their ranges are
checked (February 30 is not a date).

A field is read over a few layers of the query (:class:`Chain`): the
trimmed text first, then the pieces the patterns extract, then the value
and the message.
"""

from __future__ import annotations

import math
import re
import string
import sys
import unicodedata
from collections.abc import Callable, Generator, Sequence
from datetime import date, datetime, timezone
from decimal import Decimal, localcontext
from functools import lru_cache
from typing import Any

from sqlglot import exp

from .._fields import FALSE, TRUE, BadValue, Coercer, _formats_text
from ..plan import FieldPlan
from . import _events
from ._ctx import Ctx, FieldCols, balanced, case, column, every_character, is_true, null, py_lower, text
from ._unicode import Spans, classes

__all__ = ["add_fields", "read_field"]

# -- Python's character classes, as bracket classes of literal characters -----------------------

_CLASSES = classes()
"""Python's character classes (written out for CPython 3.11, computed once on any other Python)."""
WHITESPACE = "".join(chr(c) for first, last in _CLASSES.whitespace for c in range(first, last + 1))
"""What ``str.strip()`` removes (and what ``\\s`` matches in Python's ``re``)."""
_ND = [chr(c) for first, last in _CLASSES.decimal for c in range(first, last + 1)]
"""What ``\\d`` matches in Python's ``re`` (and ``int()`` reads): every Unicode decimal digit (category Nd)."""
_ND_ASCII = "".join(str(unicodedata.decimal(c)) for c in _ND)

_BIG = sys.float_info.max
_BIG_INT = int(_BIG)


def _ranges(ranges: Spans) -> str:
    """A bracket class body for the code points of ``ranges`` (no ``]``, ``\\``, ``^`` or ``-`` among them): a range of
    three or more consecutive ones written ``a-z``."""
    return "".join(chr(first) if first == last else chr(first) + ("-" if last > first + 1 else "") + chr(last) for first, last in ranges)


D = "[" + _ranges(_CLASSES.decimal) + "]"
"""``\\d`` of Python's ``re``."""
S = "[" + _ranges(_CLASSES.whitespace) + "]"
"""``\\s`` of Python's ``re``."""


@lru_cache(maxsize=None)
def _script() -> str:
    """The digits ``_fields._script`` names (``str.isdigit()`` and not ASCII), as a class."""
    return "[" + _ranges(_CLASSES.script) + "]"


_NON_ASCII = "[" + chr(0x80) + "-" + chr(0x10FFFF) + "]"


@lru_cache(maxsize=None)
def _ci(char: str) -> str:
    """``char`` as ``re.IGNORECASE`` matches it in Python (``k`` is also the Kelvin sign), as a regex piece."""
    folds = _ascii_folds()
    found = folds[char] if char in folds else [m.group() for m in re.finditer(re.escape(char), every_character(), re.IGNORECASE)]
    if len(found) == 1:
        return _literal(char)
    return "[" + "".join(found) + "]"


@lru_cache(maxsize=None)
def _ascii_folds() -> dict[str, list[str]]:
    """For each ASCII letter, the characters ``re.IGNORECASE`` matches it with (in code point order): its two cases, or
    more (``k`` is also the Kelvin sign)."""
    more = dict(_CLASSES.folds)
    return {c: list(more[c]) if c in more else sorted({c.lower(), c.upper()}) for c in string.ascii_letters}


def _literal(char: str) -> str:
    """One literal character as a regex piece every engine reads the same."""
    if char.isalnum() or not char.isascii():
        return char
    if char in " ":
        return "[ ]"
    return "\\" + char


# -- regular expressions: one capturing group per extraction -----------------------------------

_OPEN = re.compile(r"\(\?P<(\w+)>|\(\?:|\((?!\?)")


def _pattern(pattern: str, keep: str | None, dialect: str) -> tuple[str, int]:
    """``pattern`` (Python named groups) for ``dialect``: group ``keep`` capturing, the others not; and its number."""
    index = 0
    number = 0

    def swap(m: re.Match[str]) -> str:
        nonlocal index, number
        if dialect == "postgres" and m.group(1) is not None:  # every named group captures: one pattern (PostgreSQL caches 32)
            index += 1
            if m.group(1) == keep:
                number = index
            return "("
        if dialect == "snowflake":  # POSIX: every group captures
            index += 1
            if m.group(1) == keep:
                number = index
            return "("
        if m.group(1) is not None and m.group(1) == keep:
            number = 1
            return "("
        return "(?:"

    return _OPEN.sub(swap, pattern), number


def rx_like(ctx: Ctx, value: exp.Expr, pattern: str) -> exp.Expr:
    """TRUE when ``pattern`` (anchored as written) matches ``value``; NULL for NULL.

    Snowflake's ``REGEXP_LIKE`` anchors every pattern at both ends (``'[_,]'`` matches only a text of one ``_`` or
    ``,``): there ``REGEXP_INSTR(...) <> 0``, which searches as the other engines' matches do.
    """
    pat, _ = _pattern(pattern, None, ctx.dialect)
    if ctx.dialect == "snowflake":
        return exp.NEQ(this=exp.Anonymous(this="REGEXP_INSTR", expressions=[value, text(pat)]), expression=exp.Literal.number(0))
    return exp.RegexpLike(this=value, expression=text(pat))


def rx_group(ctx: Ctx, value: exp.Expr, pattern: str, name: str) -> exp.Expr:
    """The text of group ``name`` of the first match of ``pattern`` in ``value`` ('' when the group took no part)."""
    pat, number = _pattern(pattern, name, ctx.dialect)
    d = ctx.dialect
    if d == "postgres":
        found: exp.Expr = exp.Bracket(this=exp.Paren(this=exp.Anonymous(this="REGEXP_MATCH", expressions=[value, text(pat)])), expressions=[exp.Literal.number(number)], offset=1)
    elif d == "snowflake":
        found = exp.Anonymous(this="REGEXP_SUBSTR", expressions=[value, text(pat), exp.Literal.number(1), exp.Literal.number(1), text("e"), exp.Literal.number(number)])
    elif d == "bigquery":
        found = exp.Anonymous(this="REGEXP_EXTRACT", expressions=[value, text(pat)])
    elif d == "spark":
        found = exp.Anonymous(this="REGEXP_EXTRACT", expressions=[value, text(pat), exp.Literal.number(1)])
    else:
        found = exp.RegexpExtract(this=value, expression=text(pat), group=exp.Literal.number(1))
    return exp.func("COALESCE", found, text(""), copy=False)


# -- small SQL builders ------------------------------------------------------------------------


def num(value: int | float) -> exp.Expr:
    return exp.Literal.number(value) if value >= 0 else exp.Neg(this=exp.Literal.number(-value))


def cast(value: exp.Expr, to: str) -> exp.Expr:
    """A cast that cannot fail: only used on text the patterns checked."""
    return exp.Cast(this=value, to=exp.DataType.build(to))


def py_strip(value: exp.Expr, dialect: str) -> exp.Expr:
    """``str.strip()``: every Unicode whitespace character at either end.

    Text that starts and ends with a printable ASCII character (most values) is returned as it is:
    a TRIM with a set of characters costs ten times a plain one in DuckDB, and reading a lead trims
    each of its values. The end characters are told by their code (``ASCII()``: the code point of
    the first character), or in BigQuery (whose ``ASCII`` is documented for ASCII only) by comparing
    them with ``'!'`` and ``'~'`` (BigQuery compares text by its UTF-8 bytes); in DuckDB by ``ORD()``
    of the first and the last character (``ORD('')`` is -1).
    """
    ends = [value, exp.Right(this=value.copy(), expression=exp.Literal.number(1))]
    if dialect == "duckdb":  # ORD and the last character by index: about half the time of ASCII and RIGHT
        last = exp.Anonymous(this="ARRAY_EXTRACT", expressions=[value.copy(), exp.Literal.number(-1)])
        printable = and_(*(exp.Between(this=exp.Anonymous(this="ORD", expressions=[end]), low=exp.Literal.number(33), high=exp.Literal.number(126)) for end in (value, last)))
    elif dialect == "bigquery":
        ends[0] = exp.Left(this=value.copy(), expression=exp.Literal.number(1))
        printable = and_(*(exp.Between(this=end, low=text("!"), high=text("~")) for end in ends))
    else:
        printable = and_(*(exp.Between(this=exp.Ascii(this=end), low=exp.Literal.number(33), high=exp.Literal.number(126)) for end in ends))
    return exp.Case(ifs=[exp.If(this=printable, true=value.copy())], default=exp.Trim(this=value.copy(), expression=text(WHITESPACE)))


def ltrim(value: exp.Expr, chars: str) -> exp.Expr:
    return exp.Trim(this=value, expression=text(chars), position="LEADING")


def rtrim(value: exp.Expr, chars: str) -> exp.Expr:
    return exp.Trim(this=value, expression=text(chars), position="TRAILING")


def length(value: exp.Expr) -> exp.Expr:
    return exp.Length(this=value)


def octets(ctx: Ctx, value: exp.Expr) -> exp.Expr:
    """The length of ``value`` in UTF-8 bytes."""
    name = {"duckdb": "STRLEN", "bigquery": "BYTE_LENGTH"}.get(ctx.dialect, "OCTET_LENGTH")
    return exp.Anonymous(this=name, expressions=[value])


def substr(value: exp.Expr, start: int | exp.Expr, count: int | exp.Expr | None = None) -> exp.Expr:
    s = exp.Literal.number(start) if isinstance(start, int) else cast(start, "INT")  # PostgreSQL takes INT, not BIGINT
    if count is None:
        return exp.Substring(this=value, start=s)
    return exp.Substring(this=value, start=s, length=exp.Literal.number(count) if isinstance(count, int) else cast(count, "INT"))


def repeat(chars: str, times: exp.Expr) -> exp.Expr:
    return exp.Repeat(this=text(chars), times=cast(times, "INT"))


def eq(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.EQ(this=a, expression=b)


def and_(*conds: exp.Expr) -> exp.Expr:
    return balanced(exp.And, conds)


def or_(*conds: exp.Expr) -> exp.Expr:
    return balanced(exp.Or, conds)


def not_(cond: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Paren(this=cond))


def is_null(value: exp.Expr) -> exp.Expr:
    return exp.Is(this=value, expression=exp.Null())


def not_null(value: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Is(this=value, expression=exp.Null()))


def add(*parts: exp.Expr | int) -> exp.Expr:
    items = [num(p) if isinstance(p, int) else p for p in parts]
    out = items[0]
    for p in items[1:]:
        out = exp.Add(this=out, expression=p)
    return exp.Paren(this=out)


def sub(a: exp.Expr | int, b: exp.Expr | int) -> exp.Expr:
    return exp.Paren(this=exp.Sub(this=num(a) if isinstance(a, int) else a, expression=num(b) if isinstance(b, int) else b))


def mul(a: exp.Expr | int, b: exp.Expr | int) -> exp.Expr:
    return exp.Paren(this=exp.Mul(this=num(a) if isinstance(a, int) else a, expression=num(b) if isinstance(b, int) else b))


def idiv(a: exp.Expr, b: int) -> exp.Expr:
    """``a // b`` for ``a >= 0`` (BIGINT)."""
    return cast(exp.Floor(this=exp.Div(this=cast(a, "DOUBLE"), expression=exp.Literal.number(b))), "BIGINT")


def mod(a: exp.Expr, b: int) -> exp.Expr:
    """``a % b`` as Python computes it (never negative), for BIGINT ``a``."""
    m = exp.Paren(this=exp.Mod(this=a, expression=exp.Literal.number(b)))
    return exp.Paren(this=exp.Mod(this=exp.Paren(this=exp.Add(this=m, expression=exp.Literal.number(b))), expression=exp.Literal.number(b)))


def in_(value: exp.Expr, items: Sequence[str]) -> exp.Expr:
    return exp.In(this=value, expressions=[text(i) for i in items])


def to_text(value: exp.Expr) -> exp.Expr:
    return cast(value, "VARCHAR")


def int_text(value: exp.Expr) -> exp.Expr:
    """A BIGINT (or whole DECIMAL) as its digits."""
    return to_text(value)


def commas(digits: exp.Expr) -> exp.Expr:
    """Digits (at most 24, no sign) with thousands separators, as ``f"{n:,}"`` writes them."""
    padded = exp.Anonymous(this="LPAD", expressions=[digits, exp.Literal.number(24), text("0")])
    groups = [substr(padded, i, 3) for i in range(1, 25, 3)]
    joined = groups[0]
    for g in groups[1:]:
        joined = exp.DPipe(this=joined, expression=exp.DPipe(this=text(","), expression=g, safe=False), safe=False)
    return ltrim(joined, "0,")


def cat(*parts: exp.Expr | str) -> exp.Expr:
    items = [text(p) if isinstance(p, str) else p for p in parts]
    out = items[0]
    for p in items[1:]:
        out = exp.DPipe(this=out, expression=p, safe=False)
    return out


def digits_value(ctx: Ctx, digits: exp.Expr) -> exp.Expr:
    """Text of Python ``\\d`` digits (at most 18, possibly with spaces around) as a BIGINT."""
    ascii_digits = exp.Anonymous(this="TRANSLATE", expressions=[digits, text("".join(_ND)), text(_ND_ASCII)])
    return cast(exp.Trim(this=ascii_digits, expression=text(" ")), "BIGINT")


def log10(ctx: Ctx, value: exp.Expr) -> exp.Expr:
    if ctx.dialect == "postgres":
        return exp.Anonymous(this="LOG", expressions=[value])
    if ctx.dialect == "bigquery":
        return exp.Anonymous(this="LOG10", expressions=[value])
    return exp.Anonymous(this="LOG10", expressions=[value])


def levenshtein(ctx: Ctx, a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.Levenshtein(this=a, expression=b)


# -- Python's repr of a float, from the engine's shortest text of it ---------------------------

_ENGINE_FLOAT = r"^(?P<int>[0-9]*)(?:[.](?P<frac>[0-9]*))?(?:[eE](?P<exp>[+-]?[0-9]+))?$"


def py_repr_parts(
    ctx: Ctx, put: Callable[[str, exp.Expr], exp.Expr], magnitude: exp.Expr, shortest: exp.Expr | None = None
) -> Generator[None, None, exp.Expr]:
    """``repr()`` of a finite, non-negative DOUBLE as Python writes it (``1e+20``, ``1500.5``, ``1e-05``), over two layers.

    ``shortest``: the shortest text of ``magnitude`` that reads back as it, where the engine's own text
    (``CAST(… AS VARCHAR)``) is not that (Spark, PostgreSQL); the digits are taken from it.
    """
    t = put("reprt", to_text(magnitude) if shortest is None else shortest)
    yield
    whole = put("reprw", rx_group(ctx, t, _ENGINE_FLOAT, "int"))
    frac = put("reprf", rx_group(ctx, t, _ENGINE_FLOAT, "frac"))
    power = put("reprx", rx_group(ctx, t, _ENGINE_FLOAT, "exp"))
    yield
    mant = cat(whole, frac)
    sig = ltrim(mant, "0")
    zeros = sub(length(mant), length(sig))
    written = cast(exp.func("COALESCE", exp.Nullif(this=ltrim(power, "+"), expression=text("")), text("0"), copy=False), "BIGINT")
    e10 = put("repre", add(written, sub(length(whole), 1), exp.Neg(this=zeros)))
    dig = put("reprd", rtrim(sig, "0"))
    yield
    n = length(dig)
    fixed_big = cat(dig, repeat("0", sub(e10, sub(n, 1))), ".0")
    fixed_mid = cat(substr(dig, 1, add(e10, 1)), ".", substr(dig, add(e10, 2)))
    fixed_small = cat("0.", repeat("0", sub(exp.Neg(this=e10), 1)), dig)
    mantissa = case([(exp.GT(this=n, expression=exp.Literal.number(1)), cat(substr(dig, 1, 1), ".", substr(dig, 2)))], substr(dig, 1, 1))
    power_text = cat(case([(exp.LT(this=exp.Abs(this=e10), expression=num(10)), text("0"))], text("")), int_text(exp.Abs(this=e10)))  # LPAD would cut
    sci = cat(mantissa, "e", case([(exp.LT(this=e10, expression=exp.Literal.number(0)), text("-"))], text("+")), power_text)
    return case(
        [
            (eq(dig, text("")), text("0.0")),
            (or_(exp.LT(this=e10, expression=num(-4)), exp.GTE(this=e10, expression=exp.Literal.number(16))), sci),
            (exp.GTE(this=e10, expression=sub(n, 1)), fixed_big),
            (exp.GTE(this=e10, expression=exp.Literal.number(0)), fixed_mid),
        ],
        fixed_small,
    )


# -- the plan of reading: generators that yield where a new layer starts ----------------------

Put = Callable[[str, exp.Expr], exp.Expr]
Step = Generator[None, None, tuple[exp.Expr, exp.Expr]]


def add_fields(ctx: Ctx) -> list[FieldCols]:
    """Add every field of ``ctx.plan`` to the chain (as many layers as needed); one :class:`FieldCols` per field, in plan order."""
    readers: list[Step] = []
    raws: list[exp.Expr] = []
    for spec in ctx.plan.fields:
        raw, sql_type = _source(ctx, spec)
        raws.append(_raw_text(ctx, raw, sql_type))
        readers.append(_reader(ctx, spec, raw, sql_type, _chain_put(ctx, spec.name)))
    results: list[tuple[exp.Expr, exp.Expr] | None] = [None] * len(readers)
    live = list(range(len(readers)))
    while live:
        still = []
        for i in live:
            try:
                next(readers[i])
            except StopIteration as done:
                results[i] = done.value
            else:
                still.append(i)
        live = still
        ctx.chain.next()
    out = []
    for spec, raw, result in zip(ctx.plan.fields, raws, results):
        assert result is not None
        value, bad = result
        v = ctx.chain.put(f"value_{spec.name}", value)
        b = ctx.chain.put(f"bad_{spec.name}", bad)
        r = ctx.chain.put(f"raw_{spec.name}", raw)
        out.append(FieldCols(v, b, r))
    return out


def _chain_put(ctx: Ctx, name: str) -> Put:
    """Columns of the field ``name`` in the chain, named after it."""

    def put(hint: str, expr: exp.Expr) -> exp.Expr:
        return ctx.chain.put(f"{name}_{hint}", expr)

    return put


def read_field(ctx: Ctx, spec: FieldPlan, raw: exp.Expr, sql_type: str = "VARCHAR") -> tuple[exp.Expr, exp.Expr]:
    """(value, bad message) expressions of one field from its raw input expression (for the events table and tests).

    One expression each, without layers (larger than what :func:`add_fields` builds).
    """
    reader = _reader(ctx, spec, raw, sql_type.upper(), lambda hint, e: exp.Paren(this=e))
    while True:
        try:
            next(reader)
        except StopIteration as done:
            result: tuple[exp.Expr, exp.Expr] = done.value
            return result


def _source(ctx: Ctx, spec: FieldPlan) -> tuple[exp.Expr, str]:
    """The raw column of a field and its SQL type: the column named ``source``, else a struct path (typed input only)."""
    from ._typed import either, type_name

    if not ctx.typed or ctx.types is None or "." not in spec.source:  # text columns (an events table's column typed alone)
        return column(spec.source), type_name(ctx, ctx.column_type(spec.source))
    if spec.source in ctx.types:  # a column named so, and maybe a struct path too: the column where it has a value, else the path
        path, path_type = _struct_path(ctx, spec.source)
        if path_type == "NULL":
            return column(spec.source), type_name(ctx, ctx.column_type(spec.source))
        return either(column(spec.source), type_name(ctx, ctx.column_type(spec.source)), path, path_type)
    return _struct_path(ctx, spec.source)


def _struct_path(ctx: Ctx, source: str) -> tuple[exp.Expr, str]:
    """The struct path of a dotted source through the typed input columns, and its type (NULL, "NULL" when there is none)."""
    assert ctx.types is not None
    parts = source.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:cut])
        if head in ctx.types:
            node: exp.Expr = column(head)
            sql_type = ctx.types[head]  # as the engine names it: a struct's field names keep their case
            for part in parts[cut:]:
                inner = _struct_field_type(ctx, sql_type, part)
                if inner is None:
                    return null("VARCHAR"), "NULL"
                node = exp.Dot(this=node, expression=exp.to_identifier(part, quoted=True)) if ctx.dialect != "duckdb" else exp.Anonymous(this="STRUCT_EXTRACT", expressions=[node, text(part)])
                sql_type = inner
            from ._typed import type_name

            return node, type_name(ctx, sql_type)
    return null("VARCHAR"), "NULL"


def _struct_field_type(ctx: Ctx, sql_type: str, name: str) -> str | None:
    """The type of field ``name`` of a struct type (``_typed.struct_field_type``); None when it has none."""
    from ._typed import struct_field_type

    return struct_field_type(ctx, sql_type, name)


# -- the raw value as an issue shows it --------------------------------------------------------


def _raw_text(ctx: Ctx, raw: exp.Expr, sql_type: str) -> exp.Expr:
    """The raw value as the issue's ``value`` shows it: text as it is, anything else as the Python engine shows it (``_typed.raw_text``)."""
    if sql_type in ("VARCHAR", "TEXT", "STRING") or sql_type.startswith("VARCHAR"):
        return raw
    from ._typed import raw_text

    return raw_text(ctx, raw, sql_type)


# -- the reader of one field -------------------------------------------------------------------


def _default(ctx: Ctx, spec: FieldPlan) -> exp.Expr:
    """The field's default as the field's type reads it (NULL without one)."""
    kind = _KIND[spec.type]
    if spec.default is None or spec.type == "events":
        return null(kind)
    value = Coercer.from_plan(spec).default
    return literal(ctx, spec.type, value)


_KIND = {
    "string": "VARCHAR",
    "enum": "VARCHAR",
    "integer": "DOUBLE",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "list": "ARRAY<VARCHAR>",
    "events": "VARCHAR",
}


def literal(ctx: Ctx, type_: str, value: Any) -> exp.Expr:
    """A Python value of a field type as a SQL literal of its representation."""
    if value is None:
        return null(_KIND[type_])
    if type_ in ("string", "enum"):
        return text(value)
    if type_ in ("integer", "number"):
        return cast(text(repr(float(value))), "DOUBLE")
    if type_ == "boolean":
        return exp.true() if value else exp.false()
    if type_ == "date":
        return cast(text(value.isoformat()), "DATE")
    if type_ == "datetime":
        moment = value.astimezone(timezone.utc).replace(tzinfo=None)
        return cast(text(moment.isoformat(sep=" ")), "TIMESTAMP")
    if type_ == "list":
        if not value:
            return ctx.empty_array()
        arr = exp.Array(expressions=[text(v) for v in value])
        return exp.Cast(this=arr, to=exp.DataType.build("TEXT[]", dialect="postgres")) if ctx.dialect == "postgres" else arr
    raise ValueError(type_)


def _reader(ctx: Ctx, spec: FieldPlan, raw: exp.Expr, sql_type: str, put: Put) -> Step:
    """The value and the message of a field, over as many layers as it needs."""
    if spec.type == "events":
        value, bad = _events.read_events(ctx, spec, raw, layered=True, sql_type=sql_type)  # (a dotted source's: its struct path's type)
        missing: exp.Expr = is_null(raw)
        if sql_type in ("VARCHAR", "TEXT", "STRING"):
            missing = or_(missing, in_(py_strip(raw, ctx.dialect), list(spec.missing)) if spec.missing else exp.false())
        return case([(missing, _events.default_events(ctx, spec))], value), case([(missing, null("VARCHAR"))], bad)
    if sql_type not in ("VARCHAR", "TEXT", "STRING") and not sql_type.startswith("VARCHAR"):
        result = yield from _typed(ctx, spec, raw, sql_type, put)
        return result
    t = put("t", py_strip(raw, ctx.dialect))
    yield
    # missing: NULL (t is NULL just where raw is), or a marker. When t is a column of the layer before,
    # COALESCE(t = m1 OR t = m2 ..., TRUE) costs DuckDB a third of raw IS NULL OR t IN (m1, m2, ...) (fewer vectors
    # evaluated and combined); an expression t (no layers) is written once, in the IN form
    if not spec.missing:
        missing_when = is_null(raw)
    elif isinstance(t, exp.Column):
        missing_when = exp.Coalesce(this=or_(*(exp.EQ(this=t.copy(), expression=text(m)) for m in spec.missing)), expressions=[exp.true()])
    else:
        missing_when = or_(is_null(raw), in_(t, list(spec.missing)))
    missing = put("missing", missing_when)
    reader = _TEXT_READERS[spec.type]
    if spec.type == "enum":
        value, bad = yield from _enum(ctx, spec, t, raw, put, missing, missing_when.copy())
    elif spec.type in _FAST_NUMBER:
        value, bad = yield from _fast_number(ctx, spec, t, raw, missing, put, reader)
    else:
        value, bad = yield from reader(ctx, spec, t, raw, put)
    default = _default(ctx, spec)
    return case([(missing, default)], value), case([(missing, null("VARCHAR"))], bad)


# the short way for plain numbers -------------------------------------------------------------

_FAST_NUMBER = {
    "integer": "^(?:0|-?[1-9][0-9]{0,14})$",
    "number": "^-?[0-9]{1,15}(?:[.][0-9]{1,15})?$",
}
"""Number text every engine's cast reads as Python does (at most 15 digits each side, ASCII, no
exponent; an integer without leading zeros or ``-0``): the value is the cast of the text itself."""
_FAST_LIMIT = 10**16
"""Beyond every value the short way of an integer reads (at most 15 digits)."""

_FAST = "fast"
"""The hint of the column that is TRUE where a field's value took the short way."""


def _guarded(put: Put, long_way: exp.Expr) -> Put:
    """``put`` for the columns of the long way of reading a number: each is computed only where
    ``long_way`` holds (NULL elsewhere, at no cost: the engines evaluate a CASE branch only for
    the rows that take it)."""

    def guarded(hint: str, expr: exp.Expr) -> exp.Expr:
        return put(hint, exp.Case(ifs=[exp.If(this=long_way.copy(), true=expr)]))

    return guarded


def _fast_number(ctx: Ctx, spec: FieldPlan, t: exp.Expr, raw: exp.Expr, missing: exp.Expr, put: Put, reader: Callable[[Ctx, FieldPlan, exp.Expr, exp.Expr, Put], Step]) -> Step:
    """An integer or number field read the short way where its text is plain and within the
    bounds (:data:`_FAST_NUMBER`), the long way (``reader``, whose columns are computed only
    where the short way is not taken and the value is not missing) elsewhere: the same value
    and message, without the long way's pattern matching on every row.

    Python's ``int()`` and ``float()`` and every engine's cast read such text to the same double
    (correctly rounded); the bounds are compared on that double (an integer's bounds rounded
    inwards, as the long way does).
    """
    value = cast(t, "DOUBLE")
    if spec.type == "integer":
        # the short way reads at most 15 digits (below 10**15 either way): a bound beyond 10**16 decides as 10**16 does,
        # and a literal of 301 digits (min: -1e300) is a DECIMAL(301) that Spark, Snowflake and BigQuery refuse
        def bound(b: int) -> int:
            return max(-_FAST_LIMIT, min(_FAST_LIMIT, b))

        low_e = num(bound(math.ceil(spec.min))) if spec.min is not None else None
        high_e = num(bound(math.floor(spec.max))) if spec.max is not None else None
    else:
        low_e = literal(ctx, "number", spec.min) if spec.min is not None else None
        high_e = literal(ctx, "number", spec.max) if spec.max is not None else None
    checks: list[exp.Expr] = []
    if low_e is not None:
        checks.append(exp.GTE(this=value, expression=low_e))
    if high_e is not None:
        checks.append(exp.LTE(this=value.copy(), expression=high_e))
    plain = rx_like(ctx, t, _FAST_NUMBER[spec.type])
    short = case([(plain, and_(*checks))], exp.false()) if checks else plain  # the cast only where the text is plain
    fast = put(_FAST, exp.func("COALESCE", short, exp.false(), copy=False))
    yield
    fast_value = put("fastv", case([(fast, value.copy())], null("DOUBLE")))
    slow_value, slow_bad = yield from reader(ctx, spec, t, raw, _guarded(put, and_(not_(fast), not_(missing))))
    return case([(fast, fast_value)], slow_value), case([(fast, null("VARCHAR"))], slow_bad)


# string ------------------------------------------------------------------------------------


def _string(ctx: Ctx, spec: FieldPlan, t: exp.Expr, raw: exp.Expr, put: Put) -> Step:
    return t, null("VARCHAR")
    yield  # a generator


# boolean -----------------------------------------------------------------------------------

_BOOL_MESSAGE = "not a boolean (use true/false, yes/no, y/n or 1/0)"


def _boolean(ctx: Ctx, spec: FieldPlan, t: exp.Expr, raw: exp.Expr, put: Put) -> Step:
    low = py_lower(t, ctx.dialect)  # Coercer._spelling: str.lower(), as lower() in an expression
    value = case([(in_(low, sorted(TRUE)), exp.true()), (in_(low, sorted(FALSE)), exp.false())], null("BOOLEAN"))
    v = put("bool", value)
    yield
    return v, case([(is_null(v), text(_BOOL_MESSAGE))], null("VARCHAR"))


# enum --------------------------------------------------------------------------------------


def _enum(
    ctx: Ctx, spec: FieldPlan, t: exp.Expr, raw: exp.Expr, put: Put, missing: exp.Expr | None = None, missing_when: exp.Expr | None = None
) -> Step:
    """``missing``: the column that is TRUE where the value is missing; ``missing_when``: its condition, over the columns
    of the layer before (the lookup is skipped where it holds: the value of a missing field is not read)."""
    coercer = Coercer.from_plan(spec)
    spellings = coercer.spellings
    # Coercer._spelling: the text as written, else lower-cased. A spelling in lower case is found by the
    # second look whenever the first finds it (lower() leaves it as it is), and only a spelling in lower
    # case can equal lower-cased text: each spelling is looked up once. A missing value first: the engines
    # compare the rows that a WHEN leaves with the next one only (a missing value would go through them all)
    whens = [(missing_when, null("VARCHAR"))] if missing_when is not None else []
    whens += [(eq(t, text(k)), text(v)) for k, v in spellings.items() if k != k.lower()]
    low = py_lower(t, ctx.dialect)  # str.lower(), as lower() in an expression (İ, and every letter in PostgreSQL)
    whens += [(eq(low, text(k)), text(v)) for k, v in spellings.items() if k == k.lower()]
    v = put("enum", case(whens, null("VARCHAR")))
    values = list(spec.values or ())
    yield
    # the distances, only for bad text of at most 64 characters (PostgreSQL's levenshtein stops at 255), not for a
    # missing value (a marker such as 'Select' is not a bad value: its distances would be computed for nothing).
    # Whether to compute them is a column of its own: each distance's CASE reads it (not its length of the text again)
    short = put("short", is_true(and_(exp.LTE(this=length(t), expression=num(64)), is_null(v), *([not_(missing)] if missing is not None else []))))
    yield
    dists = [put(f"lev{i}", case([(short, levenshtein(ctx, low.copy(), text(value.lower())))], null("BIGINT"))) for i, value in enumerate(values)]
    yield
    nearest = exp.Least(this=dists[0], expressions=dists[1:]) if len(dists) > 1 else dists[0]
    best = put("best", case([(short, nearest)], null("BIGINT")))
    yield
    message = text(f"not one of {', '.join(values)}")
    limit = exp.Greatest(this=num(1), expressions=[idiv(length(t), 4)])
    pick = case([(eq(d, best), text(f" (did you mean {value!r}?)")) for d, value in zip(dists, values)], null("VARCHAR"))
    hint = case([(exp.LTE(this=best, expression=limit), pick)], text(""))
    bad = case([(is_null(v), cat(message, exp.func("COALESCE", hint, text(""), copy=False)))], null("VARCHAR"))
    return v, bad


# list --------------------------------------------------------------------------------------

_JSON_WS = "[ \t\n\r]*"
_JSON_STRING = '"[^"\\\\' + "".join(chr(c) for c in range(1, 32)) + ']*"'
_JSON_NUMBER = "-?(?:0|[1-9][0-9]*)(?:[.][0-9]+)?(?:[eE][+-]?[0-9]+)?"
_JSON_SCALAR = f"(?:{_JSON_STRING}|{_JSON_NUMBER}|null|true|false|NaN|-?Infinity)"
"""An item ``json.loads`` reads that is not a list or an object: a string without escapes, a number, ``null``, a boolean,
``NaN`` or an infinity (Python reads those three too)."""


def _json_list_of(item: str) -> str:
    """A pattern of a whole JSON list (no nesting) of items matching ``item``, white space allowed between them."""
    return f"^\\[{_JSON_WS}(?:{item}(?:{_JSON_WS},{_JSON_WS}{item})*)?{_JSON_WS}\\]$"


_JSON_FLAT = _json_list_of(_JSON_SCALAR)
"""A JSON list of :data:`_JSON_SCALAR` items: what the SQL reader takes items from."""
_JSON_NESTING = 8
"""The levels of lists and objects that :func:`_json_valid` follows (deeper text is not a JSON list in SQL: documented)."""
_JSON_FIRST_BAD = f"^\\[{_JSON_WS}(?:(?:\"\"|[-+.0-9eE]+|null|NaN|-?Infinity){_JSON_WS},{_JSON_WS})*(?P<bad>true|false|\\[|\\{{)"
"""In JSON text whose strings are blanked, the first item that is a boolean, a list or an object (``Coercer._list`` names
the first bad item it meets)."""
_NOT_JSON_LIST = "not a list: starts with [ but is not a JSON list"


def _list(ctx: Ctx, spec: FieldPlan, t: exp.Expr, raw: exp.Expr, put: Put) -> Step:
    if ctx.dialect not in _LIST_ENGINES:
        return (yield from _list_of_strings(ctx, t, put))
    is_json = put("json", exp.Like(this=t, expression=text("[%")))
    flat = put("flat", rx_like(ctx, t, _JSON_FLAT))
    yield
    # text with a list or an object inside is valid JSON (a bad value, named by its first bad item) or not JSON
    blanked = put("blank", case([(is_json, exp.RegexpReplace(this=t, expression=text(_JSON_STRING), replacement=text('""')))], text("")))
    tokens = put("tokens", case([(flat, _json_tokens(ctx, t))], ctx.empty_array()))
    yield
    valid = put("valid", or_(flat, and_(is_json, _json_valid(blanked))))
    first_bad = put("firstbad", rx_group(ctx, blanked, _JSON_FIRST_BAD, "bad"))
    long_int = put("longint", _has_long_integer(ctx, tokens))
    yield
    split = _split_items(ctx, t)
    items = _json_items(ctx, tokens)
    read = and_(flat, eq(first_bad, text("")), not_(long_int))
    value = case([(not_(is_json), split), (read, items)], null("ARRAY<VARCHAR>") if ctx.dialect != "postgres" else exp.Cast(this=exp.Null(), to=exp.DataType.build("TEXT[]", dialect="postgres")))
    bad = case(
        [
            (not_(is_json), null("VARCHAR")),
            (or_(not_(valid), long_int), text(_NOT_JSON_LIST)),  # json.loads refuses an integer of over 4,300 digits
            (in_(first_bad, ["true", "false"]), text("not a list of text values (an item is a boolean)")),
            (exp.NEQ(this=first_bad, expression=text("")), text("not a list of text values")),
        ],
        null("VARCHAR"),
    )
    return value, bad


_LIST_ENGINES = ("duckdb", "spark", "postgres")
"""The dialects whose list functions read a JSON list's numbers, booleans and nesting as Python does (:func:`_list`)."""

_JSON_STRING_ITEM = f"(?:{_JSON_STRING}|null)"
_JSON_STRINGS = _json_list_of(_JSON_STRING_ITEM)


def _list_of_strings(ctx: Ctx, t: exp.Expr, put: Put) -> Step:
    """Snowflake and BigQuery (written, not run here): a JSON list of strings (without escapes) and nulls is read, any
    other JSON text is "not a JSON list" (a documented difference: Python reads numbers as their text)."""
    is_json = put("json", exp.Like(this=t, expression=text("[%")))
    flat = put("flat", rx_like(ctx, t, _JSON_STRINGS))
    yield
    value = case([(not_(is_json), _split_items(ctx, t)), (flat, _json_strings(ctx, t))], null("ARRAY<VARCHAR>"))
    bad = case([(and_(is_json, not_(flat)), text(_NOT_JSON_LIST))], null("VARCHAR"))
    return value, bad


def _json_strings(ctx: Ctx, t: exp.Expr) -> exp.Expr:
    """The strings of a flat JSON list of strings (:data:`_JSON_STRINGS`), unquoted and trimmed, non-empty, in order:
    Snowflake's and BigQuery's."""
    x = exp.column("x")
    item = py_strip(substr(x, 2, sub(length(x), 2)), ctx.dialect)
    found = exp.Anonymous(this="REGEXP_EXTRACT_ALL", expressions=[t, text(_JSON_STRING)])
    if ctx.dialect == "snowflake":
        mapped = exp.Anonymous(this="TRANSFORM", expressions=[found, exp.Lambda(this=item, expressions=[exp.to_identifier("x")])])
        return exp.Anonymous(this="FILTER", expressions=[mapped, exp.Lambda(this=exp.NEQ(this=x, expression=text("")), expressions=[exp.to_identifier("x")])])
    sub_ = exp.select(item).from_(exp.Unnest(expressions=[found], alias=exp.TableAlias(columns=[exp.to_identifier("x")]))).where(exp.NEQ(this=item, expression=text("")))
    return exp.Array(expressions=[sub_])


def _json_valid(blanked: exp.Expr) -> exp.Expr:
    """Whether JSON text with its strings blanked (``""``) is valid JSON as ``json.loads`` reads it, up to
    :data:`_JSON_NESTING` levels: each other scalar becomes ``0`` and each string ``s``, then each innermost list or
    object ``0``, level by level."""
    ws = _JSON_WS
    scalar = f"{_JSON_NUMBER}|null|true|false|NaN|-?Infinity"
    zeros = exp.RegexpReplace(this=exp.RegexpReplace(this=blanked, expression=text(scalar), replacement=text("0")), expression=text('""'), replacement=text("s"))
    item = "[0s]"
    innermost = f"\\[{ws}(?:{item}(?:{ws},{ws}{item})*)?{ws}\\]|\\{{{ws}(?:s{ws}:{ws}{item}(?:{ws},{ws}s{ws}:{ws}{item})*)?{ws}\\}}"
    reduced: exp.Expr = zeros
    for _ in range(_JSON_NESTING):
        reduced = exp.RegexpReplace(this=reduced, expression=text(innermost), replacement=text("0"))
    return eq(reduced, text("0"))


def _json_tokens(ctx: Ctx, t: exp.Expr) -> exp.Expr:
    """The items of a flat JSON list (:data:`_JSON_FLAT`) as written, in order."""
    pat = _JSON_SCALAR
    d = ctx.dialect
    if d == "spark":
        return exp.Anonymous(this="REGEXP_EXTRACT_ALL", expressions=[t, text(pat), exp.Literal.number(0)])
    if d == "postgres":
        rows = exp.Anonymous(this="REGEXP_MATCHES", expressions=[t, text(f"({pat})"), text("g")])
        inner = exp.select(exp.alias_(exp.Bracket(this=exp.Paren(this=rows), expressions=[exp.Literal.number(1)], offset=1), "x"))
        sub_ = exp.select(exp.column("x")).from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("m"))))
        return exp.Cast(this=exp.Array(expressions=[sub_]), to=exp.DataType.build("TEXT[]", dialect="postgres"))
    return exp.Anonymous(this="REGEXP_EXTRACT_ALL", expressions=[t, text(pat)])


_INT_TOKEN = "^-?[0-9]+$"


def _has_long_integer(ctx: Ctx, tokens: exp.Expr) -> exp.Expr:
    """Whether an item is an integer of more than 4,300 digits (``int()``'s limit, which ``json.loads`` keeps)."""
    from ._typed import _Lists

    lists = _Lists(ctx)
    x = exp.column("__ls_t")
    long_ = and_(exp.GT(this=length(ltrim(x, "-")), expression=num(sys.get_int_max_str_digits() or 4300)), rx_like(ctx, x, _INT_TOKEN))
    return exp.GT(this=lists.size(lists.filter(tokens, "__ls_t", long_)), expression=num(0))


def _json_items(ctx: Ctx, tokens: exp.Expr) -> exp.Expr:
    """``Coercer._list`` of the items of a flat JSON list without booleans: strings trimmed, numbers as ``str()`` writes the
    int or float ``json.loads`` gives (``-0`` is ``0``, ``1E5`` is ``100000.0``, ``1e400`` is ``inf``); ``null``, ``NaN``
    (pandas' "no value") and empty strings are no item."""
    from ._typed import _float_text, _Lists

    lists = _Lists(ctx)
    var = "__ls_j"
    x = exp.column(var)
    each = case(
        [
            (exp.Like(this=x, expression=text('"%')), py_strip(substr(x, 2, sub(length(x), 2)), ctx.dialect)),
            (in_(x, ["null", "NaN"]), null("VARCHAR")),
            (eq(x, text("Infinity")), text("inf")),
            (eq(x, text("-Infinity")), text("-inf")),
            (eq(x, text("-0")), text("0")),
            (rx_like(ctx, x, _INT_TOKEN), x),
        ],
        _float_text(ctx, _json_float(ctx, x)),
    )
    return lists.filter(lists.map(tokens, var, each), var, and_(not_null(x), exp.NEQ(this=x, expression=text(""))))


def _json_float(ctx: Ctx, token: exp.Expr) -> exp.Expr:
    """``float(token)`` of a JSON number with a fraction or an exponent (``1e400`` is infinity, ``1e-400`` zero), as one
    expression. DuckDB's and Spark's casts read every such text as Python does (correctly rounded, infinity beyond the
    largest double); PostgreSQL's fails beyond the doubles' range, so there it is read by :func:`_number` (whose layers,
    bound in a lambda, take DuckDB's binder minutes)."""
    from ._typed import _bound

    if ctx.dialect in ("duckdb", "spark"):
        return exp.TryCast(this=token, to=exp.DataType.build("DOUBLE"), safe=True)

    def build(put: Put) -> Generator[None, None, exp.Expr]:
        value, bad = yield from _number(ctx, _JSON_NUMBER_PLAN, token, token, put)
        infinity = cast(text("Infinity"), "DOUBLE")  # the only bad value of a JSON number: too large to be finite
        return case([(is_null(bad), value), (exp.Like(this=token, expression=text("-%")), exp.Neg(this=infinity))], infinity)

    return _bound(ctx, build)


_JSON_NUMBER_PLAN = FieldPlan("item", "number", "item", None, (), None, (), None, None)
"""A number without a range: how :func:`_json_float` reads an item."""


def _split_items(ctx: Ctx, t: exp.Expr) -> exp.Expr:
    """``a; b`` -> the trimmed, non-empty items, in order."""
    x = exp.column("x")
    trimmed = py_strip(x, ctx.dialect)
    d = ctx.dialect
    if d == "duckdb":
        parts = exp.Anonymous(this="STRING_SPLIT", expressions=[t, text(";")])
        mapped = exp.Anonymous(this="LIST_TRANSFORM", expressions=[parts, exp.Lambda(this=trimmed, expressions=[exp.to_identifier("x")])])
        return exp.Anonymous(this="LIST_FILTER", expressions=[mapped, exp.Lambda(this=exp.NEQ(this=x, expression=text("")), expressions=[exp.to_identifier("x")])])
    if d == "spark":
        parts = exp.Anonymous(this="SPLIT", expressions=[t, text(";"), num(-1)])
        mapped = exp.Anonymous(this="TRANSFORM", expressions=[parts, exp.Lambda(this=trimmed, expressions=[exp.to_identifier("x")])])
        return exp.Anonymous(this="FILTER", expressions=[mapped, exp.Lambda(this=exp.NEQ(this=x, expression=text("")), expressions=[exp.to_identifier("x")])])
    if d == "postgres":
        rows = exp.Anonymous(this="UNNEST", expressions=[exp.Anonymous(this="STRING_TO_ARRAY", expressions=[t, text(";")])])
        sub_ = exp.select(trimmed).from_(exp.Alias(this=rows, alias=exp.TableAlias(this=exp.to_identifier("u"), columns=[exp.to_identifier("x")]))).where(exp.NEQ(this=trimmed, expression=text("")))
        return exp.Cast(this=exp.Array(expressions=[sub_]), to=exp.DataType.build("TEXT[]", dialect="postgres"))
    if d == "snowflake":
        parts = exp.Anonymous(this="SPLIT", expressions=[t, text(";")])
        mapped = exp.Anonymous(this="TRANSFORM", expressions=[parts, exp.Lambda(this=trimmed, expressions=[exp.to_identifier("x")])])
        return exp.Anonymous(this="FILTER", expressions=[mapped, exp.Lambda(this=exp.NEQ(this=x, expression=text("")), expressions=[exp.to_identifier("x")])])
    sub_ = exp.select(trimmed).from_(exp.Unnest(expressions=[exp.Anonymous(this="SPLIT", expressions=[t, text(";")])], alias=exp.TableAlias(columns=[exp.to_identifier("x")]))).where(exp.NEQ(this=trimmed, expression=text("")))
    return exp.Array(expressions=[sub_])


# numbers -----------------------------------------------------------------------------------

NUMBER_RX = r"^(?P<sign>[+-]?)(?:(?P<whole>[0-9]+)[.]?(?P<fraction>[0-9]*)|[.](?P<decimals>[0-9]+))(?:[eE](?P<exponent>[+-]?[0-9]+))?$"
"""``_fields._NUMBER_TEXT``, anchored."""
@lru_cache(maxsize=None)
def _not_finite_rx() -> str:
    """``inf``, ``infinity`` and ``nan`` in any case, signed, as Python's ``float()`` reads them (computed when first needed)."""
    return "^[+-]?(?:" + "".join(_ci(c) for c in "inf") + "(?:" + "".join(_ci(c) for c in "inity") + ")?|" + "".join(_ci(c) for c in "nan") + ")$"


def _decimal_parts(ctx: Ctx, t: exp.Expr, put: Put) -> Generator[None, None, dict[str, exp.Expr]]:
    """Number text split into its sign, significant digits and powers of ten (over two layers).

    ``ok``: the text is number text; ``neg``; ``digits``: the significant digits without zeros at
    either end ('' for zero); ``whole``/``fraction`` as written; ``xdigits``: the exponent's digits as
    written; ``xneg``; ``xbig``: the exponent has more than 18 digits once its zeros are dropped;
    ``x``: the exponent (BIGINT, 0 when ``xbig``); ``tz``: the zeros ``digits`` lost at its end.
    """
    ok = put("isnum", rx_like(ctx, t, NUMBER_RX))
    sign = put("sign", rx_group(ctx, t, NUMBER_RX, "sign"))
    whole = put("whole", rx_group(ctx, t, NUMBER_RX, "whole"))
    fraction = put("frac", exp.func("CONCAT", rx_group(ctx, t, NUMBER_RX, "fraction"), rx_group(ctx, t, NUMBER_RX, "decimals"), copy=False))
    written = put("exp", rx_group(ctx, t, NUMBER_RX, "exponent"))
    yield
    mant = cat(whole, fraction)
    sig = ltrim(mant, "0")
    xdigits = ltrim(written, "+-")
    xbig = exp.GT(this=length(ltrim(xdigits, "0")), expression=exp.Literal.number(18))
    x_value = case([(or_(xbig, eq(xdigits, text(""))), num(0))], cast(cat(case([(exp.Like(this=written, expression=text("-%")), text("-"))], text("")), xdigits), "BIGINT"))
    parts = {
        "ok": ok,
        "neg": put("neg", eq(sign, text("-"))),
        "sig": put("sig", sig),
        "digits": put("digits", rtrim(sig, "0")),
        "whole": whole,
        "fraction": fraction,
        "xdigits": put("xdigits", xdigits),
        "xneg": put("xneg", exp.Like(this=written, expression=text("-%"))),
        "xbig": put("xbig", xbig),
        "x": put("x", x_value),
        "z": put("z", sub(length(mant), length(sig))),
    }
    yield
    parts["tz"] = put("tz", sub(length(parts["sig"]), length(parts["digits"])))
    yield
    return parts


def _integer(ctx: Ctx, spec: FieldPlan, t: exp.Expr, raw: exp.Expr, put: Put) -> Step:
    p = yield from _decimal_parts(ctx, t, put)
    ok, neg, digits = p["ok"], p["neg"], p["digits"]
    zero = eq(p["sig"], text(""))
    xlen = length(p["xdigits"])
    # the power of ten after the significant digits (exponent - fraction + dropped zeros)
    e = put("e", add(p["x"], exp.Neg(this=length(p["fraction"])), p["tz"]))
    short_exp = and_(exp.NEQ(this=p["xdigits"], expression=text("")), exp.LTE(this=length(p["xdigits"]), expression=num(20)))
    e_big = put("ebig", case([(short_exp, cast(cat(case([(p["xneg"], text("-"))], text("")), p["xdigits"]), "DECIMAL(38,0)"))], cast(num(0), "DECIMAL(38,0)")))
    yield
    # as _exact_integer, in order
    too_long_exp = and_(not_(zero), exp.GT(this=xlen, expression=exp.Literal.number(20)))
    long_exp_msg = case([(p["xneg"], text("not an integer"))], cat("a number with a ", commas(int_text(xlen)), "-digit exponent is above the largest number leadspec reads"))
    fraction_left = and_(not_(zero), or_(and_(p["xbig"], p["xneg"]), and_(not_(p["xbig"]), exp.LT(this=e, expression=exp.Literal.number(0)))))
    n_small = add(length(digits), e)
    n_big = add(e_big, exp.Neg(this=length(p["fraction"])), p["tz"], length(digits))
    huge = and_(not_(zero), or_(p["xbig"], exp.GT(this=n_small, expression=exp.Literal.number(4300))))
    where = case([(neg, text("below the smallest"))], text("above the largest"))
    n_text = case([(p["xbig"], int_text(cast(n_big, "DECIMAL(38,0)")))], int_text(n_small))
    huge_msg = cat("a ", commas(n_text), "-digit number is ", where, " number leadspec reads")
    script = case([(rx_like(ctx, t, _script()), text(" (only the digits 0-9 are read)"))], text(""))
    first = case(
        [
            (not_(ok), cat("not an integer", script)),
            (too_long_exp, long_exp_msg),
            (fraction_left, text("not an integer")),
            (huge, huge_msg),
        ],
        null("VARCHAR"),
    )
    bad1 = put("bad1", first)
    mag = put("mag", case([(zero, text("0")), (or_(p["xbig"], exp.LT(this=e, expression=num(0)), exp.GT(this=n_small, expression=num(4300))), null("VARCHAR"))], cat(digits, repeat("0", e))))
    negv = put("negv", and_(neg, not_(zero)))
    yield
    n = length(mag)
    low = math.ceil(spec.min) if spec.min is not None else -_BIG_INT
    high = math.floor(spec.max) if spec.max is not None else _BIG_INT
    below = _int_lt(negv, mag, low)
    above = _int_gt(negv, mag, high)
    digits_n = case([(exp.LTE(this=n, expression=exp.Literal.number(308)), int_text(cast(add(exp.Floor(this=log10(ctx, cast(mag, "DOUBLE"))), 1), "BIGINT")))], int_text(n))
    short = case([(exp.LTE(this=n, expression=exp.Literal.number(30)), cat(case([(negv, text("-"))], text("")), mag))], cat("a ", commas(digits_n), "-digit number"))
    below_msg = cat(short, " is below the smallest number leadspec reads" if spec.min is None else f" is below the minimum {spec.min:g}")
    above_msg = cat(short, " is above the largest number leadspec reads" if spec.max is None else f" is above the maximum {spec.max:g}")
    bad = case([(not_null(bad1), bad1), (below, below_msg), (above, above_msg)], null("VARCHAR"))
    b = put("bad", bad)
    yield
    value = case([(is_null(b), cast(cat(case([(negv, text("-"))], text("")), mag), "DOUBLE"))], null("DOUBLE"))
    return value, b


def _int_gt(neg: exp.Expr, mag: exp.Expr, k: int) -> exp.Expr:
    """The integer (``neg``, digits ``mag``) is greater than ``k``, exactly."""
    ks = text(str(abs(k)))
    kl = exp.Literal.number(len(str(abs(k))))
    n = length(mag)
    if k >= 0:
        return and_(not_(neg), or_(exp.GT(this=n, expression=kl), and_(eq(n, kl), exp.GT(this=mag, expression=ks))))
    return or_(not_(neg), exp.LT(this=n, expression=kl), and_(eq(n, kl), exp.LT(this=mag, expression=ks)))


def _int_lt(neg: exp.Expr, mag: exp.Expr, k: int) -> exp.Expr:
    """The integer (``neg``, digits ``mag``) is less than ``k``, exactly."""
    ks = text(str(abs(k)))
    kl = exp.Literal.number(len(str(abs(k))))
    n = length(mag)
    if k > 0:
        return or_(neg, exp.LT(this=n, expression=kl), and_(eq(n, kl), exp.LT(this=mag, expression=ks)))
    return and_(neg, or_(exp.GT(this=n, expression=kl), and_(eq(n, kl), exp.GT(this=mag, expression=ks))))


def _exact_digits(value: Decimal) -> str:
    """The significant digits of a positive decimal, without zeros at either end."""
    return str(value.normalize()).split("E")[0].replace(".", "").lstrip("0").rstrip("0")


with localcontext() as _c:
    _c.prec = 2000
    _OVERFLOW = _exact_digits(Decimal(2) ** 1024 - Decimal(2) ** 970)
    """The digits of the smallest number text that is infinity as a float (ties go to even: infinity)."""
    _UNDERFLOW = _exact_digits(Decimal(2) ** -1075)
    """The digits of the largest number text that is zero as a float (exactly half the smallest subnormal: zero)."""
    _UNDERFLOW_E10 = (Decimal(2) ** -1075).adjusted()


def _number(ctx: Ctx, spec: FieldPlan, t: exp.Expr, raw: exp.Expr, put: Put) -> Step:
    p = yield from _decimal_parts(ctx, t, put)
    ok, neg, digits = p["ok"], p["neg"], p["digits"]
    zero = eq(p["sig"], text(""))
    e10 = put("e10", add(p["x"], length(p["whole"]), num(-1), exp.Neg(this=p["z"])))
    separators = put("seps", rx_like(ctx, t, "[_,]"))
    not_finite = put("nonfin", rx_like(ctx, t, _not_finite_rx()))
    script = put("script", case([(rx_like(ctx, t, _script()), text(" (only the digits 0-9 are read)"))], text("")))
    yield
    inf = and_(
        not_(zero),
        or_(
            and_(p["xbig"], not_(p["xneg"])),
            and_(not_(p["xbig"]), or_(exp.GT(this=e10, expression=num(308)), and_(eq(e10, num(308)), exp.GTE(this=digits, expression=text(_OVERFLOW))))),
        ),
    )
    to_zero = or_(
        zero,
        and_(p["xbig"], p["xneg"]),
        and_(not_(p["xbig"]), or_(exp.LT(this=e10, expression=num(_UNDERFLOW_E10)), and_(eq(e10, num(_UNDERFLOW_E10)), exp.LTE(this=digits, expression=text(_UNDERFLOW))))),
    )
    sign = case([(neg, text("-"))], text(""))
    magnitude = case([(to_zero, cast(text("0"), "DOUBLE"))], cast(cat(digits, "e", int_text(add(e10, exp.Neg(this=length(digits)), 1))), "DOUBLE"))
    bad1 = case(
        [
            (separators, text("not a number (thousands separators are not guessed)")),
            (and_(ok, inf), text("not a finite number")),
            (ok, null("VARCHAR")),
            (not_finite, text("not a finite number")),
        ],
        cat("not a number", script),
    )
    b1 = put("bad1", bad1)
    mag = put("mag", case([(and_(ok, not_(inf), not_(separators)), magnitude)], null("DOUBLE")))
    negv = put("negv", neg)
    yield
    value = case([(negv, exp.Neg(this=mag))], mag)
    if spec.min is None and spec.max is None:
        return case([(is_null(b1), value)], null("DOUBLE")), b1
    shown = yield from py_repr_parts(ctx, put, mag)
    whens = [(not_null(b1), b1)]
    if spec.min is not None:
        whens.append((exp.LT(this=value, expression=literal(ctx, "number", spec.min)), cat(case([(negv, text("-"))], text("")), shown, f" is below the minimum {spec.min:g}")))
    if spec.max is not None:
        whens.append((exp.GT(this=value, expression=literal(ctx, "number", spec.max)), cat(case([(negv, text("-"))], text("")), shown, f" is above the maximum {spec.max:g}")))
    b = put("bad", case(whens, null("VARCHAR")))
    yield
    return case([(is_null(b), value)], null("DOUBLE")), b


# dates and datetimes -----------------------------------------------------------------------

_DAY_US = 86_400_000_000
_MIN_DAY = (date(1, 1, 1) - date(1970, 1, 1)).days
_MAX_DAY = (date(9999, 12, 31) - date(1970, 1, 1)).days


def day_number(y: exp.Expr, m: exp.Expr, d: exp.Expr) -> exp.Expr:
    """Days since 1970-01-01 of a valid date (year >= 1), with integer arithmetic only."""
    yy = sub(y, case([(exp.LTE(this=m, expression=num(2)), num(1))], num(0)))
    era = idiv(yy, 400)
    yoe = sub(yy, mul(era, 400))
    mp = case([(exp.GT(this=m, expression=num(2)), sub(m, 3))], add(m, 9))
    doy = add(idiv(add(mul(153, mp), 2), 5), d, num(-1))
    doe = add(mul(yoe, 365), idiv(yoe, 4), exp.Neg(this=idiv(yoe, 100)), doy)
    return add(mul(era, 146097), doe, num(-719468))


def valid_date(y: exp.Expr, m: exp.Expr, d: exp.Expr) -> exp.Expr:
    """The year, month and day make a date of the proleptic Gregorian calendar, years 1 to 9999."""
    leap = or_(and_(eq(mod(y, 4), num(0)), exp.NEQ(this=mod(y, 100), expression=num(0))), eq(mod(y, 400), num(0)))
    dim = case(
        [(eq(m, num(2)), case([(leap, num(29))], num(28))), (in_num(m, [4, 6, 9, 11]), num(30))],
        num(31),
    )
    return and_(
        exp.Between(this=y, low=num(1), high=num(9999)),
        exp.Between(this=m, low=num(1), high=num(12)),
        exp.Between(this=d, low=num(1), high=dim),
    )


def in_num(value: exp.Expr, items: Sequence[int]) -> exp.Expr:
    return exp.In(this=value, expressions=[num(i) for i in items])


def weekday(days: exp.Expr) -> exp.Expr:
    """Monday = 0 of a day number."""
    return mod(add(days, 3), 7)


def date_of(ctx: Ctx, days: exp.Expr) -> exp.Expr:
    """A DATE from days since 1970-01-01."""
    d = ctx.dialect
    epoch = cast(text("1970-01-01"), "DATE")
    if d == "spark":
        return exp.Anonymous(this="DATE_ADD", expressions=[epoch, cast(days, "INT")])
    if d == "snowflake":
        return exp.Anonymous(this="DATEADD", expressions=[exp.var("DAY"), days, epoch])
    if d == "bigquery":
        return exp.Anonymous(this="DATE_ADD", expressions=[epoch, exp.Interval(this=days, unit=exp.var("DAY"))])
    return exp.Add(this=epoch, expression=cast(days, "INT"))


def timestamp_of(ctx: Ctx, micros: exp.Expr) -> exp.Expr:
    """A TIMESTAMP (UTC) from microseconds since 1970-01-01."""
    d = ctx.dialect
    if d == "duckdb":
        return exp.Anonymous(this="MAKE_TIMESTAMP", expressions=[micros])
    if d == "spark":
        return exp.Anonymous(this="TIMESTAMPADD", expressions=[exp.var("MICROSECOND"), micros, cast(text("1970-01-01 00:00:00"), "TIMESTAMP")])
    if d == "postgres":
        # a number times an interval is float8 arithmetic in PostgreSQL, exact only up to 2**53 microseconds (285 years
        # from 1970): whole days and the microseconds left, each well within it (integer division truncates, and the
        # remainder keeps the sign: days * D + rest is micros either way)
        day = exp.Literal.number(86_400_000_000)
        days = exp.Mul(this=exp.Paren(this=exp.Div(this=micros.copy(), expression=day, typed=True)), expression=exp.Interval(this=text("1"), unit=exp.var("DAY")))
        rest = exp.Mul(this=exp.Paren(this=exp.Mod(this=micros.copy(), expression=day.copy())), expression=exp.Interval(this=text("1"), unit=exp.var("MICROSECOND")))
        return exp.Add(this=exp.Add(this=cast(text("1970-01-01 00:00:00"), "TIMESTAMP"), expression=days), expression=rest)
    if d == "snowflake":
        return exp.Anonymous(this="TO_TIMESTAMP_NTZ", expressions=[micros, exp.Literal.number(6)])
    return exp.Anonymous(this="DATETIME_ADD", expressions=[cast(text("1970-01-01 00:00:00"), "DATETIME"), exp.Interval(this=micros, unit=exp.var("MICROSECOND"))])


class _Moment:
    """A date and time read from text: validity, day number, microseconds of the day, offset (microseconds)."""

    def __init__(self, ok: exp.Expr, days: exp.Expr, micros: exp.Expr, offset: exp.Expr | None) -> None:
        self.ok = ok
        self.days = days
        self.micros = micros
        self.offset = offset


_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_DIRECTIVES = {
    "d": "(?P<d>3[0-1]|[1-2]D|0[1-9]|[1-9]|[ ][1-9])",
    "f": "(?P<f>[0-9]{1,6})",
    "H": "(?P<H>2[0-3]|[0-1]D|D)",
    "I": "(?P<I>1[0-2]|0[1-9]|[1-9])",
    "j": "(?P<j>36[0-6]|3[0-5]D|[1-2]DD|0[1-9]D|00[1-9]|[1-9]D|0[1-9]|[1-9])",
    "m": "(?P<m>1[0-2]|0[1-9]|[1-9])",
    "M": "(?P<M>[0-5]D|D)",
    "S": "(?P<S>6[0-1]|[0-5]D|D)",
    "w": "(?P<w>[0-6])",
    "u": "(?P<u>[1-7])",
    "y": "(?P<y>DD)",
    "Y": "(?P<Y>DDDD)",
    "z": "(?P<z>(?P<zsign>[+-])(?P<zh>DD)(?P<zc1>:?)(?P<zm>[0-5]D)(?:(?P<zc2>:?)(?P<zs>[0-5]D)(?:[.](?P<zf>D{1,6}))?)?|(?P<zz>Z))",
}


def _names(names: Sequence[str], group: str) -> str:
    ordered = sorted(names, key=len, reverse=True)
    return f"(?P<{group}>" + "|".join("".join(_ci(c) for c in n) for n in ordered) + ")"


def strptime_pattern(fmt: str, where: str, ctx: Ctx) -> tuple[str, list[str]]:
    """``fmt`` as an anchored regex (Python named groups) the way ``_strptime`` builds it; and its directives in order."""
    out = []
    found: list[str] = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c == "%":
            key = fmt[i + 1]
            i += 2
            if key == "%":
                out.append("%")
                continue
            found.append(key)
            if key in _DIRECTIVES:
                out.append(_DIRECTIVES[key].replace("D", "\x00"))
            elif key in ("b", "B"):
                out.append(_names([m[:3] if key == "b" else m for m in _MONTHS], key))
            elif key in ("a", "A"):
                out.append(_names([w[:3] if key == "a" else w for w in _DAYS], key))
            elif key == "p":
                out.append(_names(["am", "pm"], "p"))
            else:
                raise ctx.unsupported(f"the date format directive '%{key}' (in {fmt!r})", where)
            continue
        if c.isspace():
            j = i
            while j < len(fmt) and fmt[j].isspace():
                j += 1
            out.append(S + "+")
            i = j
            continue
        out.append(_ci(c) if c.isalpha() else _literal(c))
        i += 1
    if ("G" in found) or ("V" in found):
        raise ctx.unsupported(f"the date format {fmt!r}", where)
    return "^" + "".join(out).replace("\x00", D) + "$", found


def _strptime_moment(ctx: Ctx, fmt: str, where: str, t: exp.Expr, put: Put) -> Generator[None, None, _Moment]:
    """What ``datetime.strptime(t, fmt)`` reads, as a moment (validity, day number, microseconds, offset)."""
    pattern, found = strptime_pattern(fmt, where, ctx)
    ok = put("fmt", rx_like(ctx, t, pattern))
    g: dict[str, exp.Expr] = {}
    for key in found:
        for name in ([key] if key != "z" else ["zsign", "zh", "zc1", "zm", "zc2", "zs", "zf", "zz"]):
            g[name] = put(f"g{name}", rx_group(ctx, t, pattern, name))
    yield

    def number(key: str) -> exp.Expr:
        return case([(and_(ok, exp.NEQ(this=g[key], expression=text(""))), digits_value(ctx, g[key]))], num(0))

    comp: dict[str, exp.Expr] = {"year": num(1900), "month": num(1), "day": num(1), "hour": num(0), "minute": num(0), "second": num(0), "micro": num(0)}
    valid: list[exp.Expr] = []
    julian: exp.Expr | None = None
    for key in found:
        if key == "y":
            y = number("y")
            comp["year"] = case([(exp.LTE(this=y, expression=num(68)), add(y, 2000))], add(y, 1900))
        elif key == "Y":
            comp["year"] = number("Y")
        elif key == "m":
            comp["month"] = number("m")
        elif key in ("b", "B"):
            names = [m[:3] if key == "b" else m for m in _MONTHS]
            month = case([(eq(exp.Lower(this=g[key]), text(n)), num(i + 1)) for i, n in enumerate(names)], num(0))
            comp["month"] = month
            valid.append(exp.GT(this=month, expression=num(0)))
        elif key in ("a", "A"):
            names = [w[:3] if key == "a" else w for w in _DAYS]
            valid.append(in_(exp.Lower(this=g[key]), names))
        elif key == "d":
            comp["day"] = number("d")
        elif key == "H":
            comp["hour"] = number("H")
        elif key == "I":
            hour = number("I")
            ampm = exp.Lower(this=g["p"]) if "p" in found else text("")
            comp["hour"] = case(
                [
                    (and_(in_(ampm, ["", "am"]), eq(hour, num(12))), num(0)),
                    (and_(eq(ampm, text("pm")), exp.NEQ(this=hour, expression=num(12))), add(hour, 12)),
                ],
                hour,
            )
        elif key == "M":
            comp["minute"] = number("M")
        elif key == "S":
            comp["second"] = number("S")
        elif key == "f":
            comp["micro"] = case([(ok, cast(exp.Anonymous(this="RPAD", expressions=[g["f"], exp.Literal.number(6), text("0")]), "BIGINT"))], num(0))
        elif key == "j":
            julian = number("j")
        elif key == "p":
            valid.append(in_(exp.Lower(this=g["p"]), ["am", "pm"]))
    offset: exp.Expr | None = None
    if "z" in found:
        zh, zm = number("zh"), number("zm")
        zs = case([(and_(ok, exp.NEQ(this=g["zs"], expression=text(""))), digits_value(ctx, g["zs"]))], num(0))
        zf_digits = exp.Anonymous(this="RPAD", expressions=[exp.Anonymous(this="TRANSLATE", expressions=[g["zf"], text("".join(_ND)), text(_ND_ASCII)]), exp.Literal.number(6), text("0")])
        zf = case([(and_(ok, exp.NEQ(this=g["zf"], expression=text(""))), cast(zf_digits, "BIGINT"))], num(0))
        total = add(mul(add(mul(zh, 3600), mul(zm, 60), zs), 1_000_000), zf)
        offset = case([(eq(g["zz"], text("Z")), num(0)), (eq(g["zsign"], text("-")), exp.Neg(this=total))], total)
        consistent = or_(eq(g["zz"], text("Z")), eq(g["zs"], text("")), eq(g["zc1"], g["zc2"]))
        valid += [consistent, exp.LT(this=total, expression=num(_DAY_US))]
    year, month, day = comp["year"], comp["month"], comp["day"]
    v_year = put("year", year)
    v_month = put("month", month)
    v_day = put("day", day)
    v_julian = put("julian", julian) if julian is not None else None
    v_tod = put("tod", add(mul(add(mul(comp["hour"], 3600), mul(comp["minute"], 60), comp["second"]), 1_000_000), comp["micro"]))
    v_ok = put("ok", and_(ok, *valid, exp.LTE(this=comp["second"], expression=num(59))) if valid else and_(ok, exp.LTE(this=comp["second"], expression=num(59))))
    v_off = put("off", offset) if offset is not None else None
    yield
    if v_julian is not None:
        ok2 = and_(v_ok, exp.Between(this=v_year, low=num(1), high=num(9999)))
        jan1 = case([(ok2, day_number(v_year, num(1), num(1)))], num(0))
        days = add(jan1, v_julian, num(-1))
        ok2 = and_(ok2, exp.LTE(this=days, expression=num(_MAX_DAY)))
    else:
        ok2 = and_(v_ok, valid_date(v_year, v_month, v_day))
        days = case([(ok2, day_number(v_year, v_month, v_day))], num(0))
    r_ok = put("mok", ok2)
    r_days = put("days", days)
    yield
    return _Moment(r_ok, r_days, v_tod, v_off)


_NN = "[0-9][0-9]"
def _hh_mm_ss_ff(p: str, before_zone: bool) -> str:
    """``parse_hh_mm_ss_ff`` of Python 3.11 as a regex (groups prefixed ``p``): ``HH[:MM[:SS]]`` or ``HH[MM[SS]]``, then a
    fraction after ``.`` or ``,`` (after the seconds also after ``:``, or straight after them without separators: two
    digits at least). Before a time zone, Python ignores what it calls trailing data: one more character after a
    component, anything after six digits of a fraction."""
    if before_zone:
        junk = "|[^Z+-]"
        f = "[0-9]{1,5}|[0-9]{6}[^Z+-]*"
        f2 = "[0-9]{2,5}|[0-9]{6}[^Z+-]*"
    else:
        junk = ""
        f = "[0-9]+"
        f2 = "[0-9]{2,}"
    return (
        rf"(?P<{p}h>{_NN})(?:"
        rf":(?P<{p}m>{_NN})(?::(?P<{p}s>{_NN})(?:[.,:](?P<{p}f1>{f}){junk})?|[.,](?P<{p}f2>{f}){junk})?"
        rf"|(?P<{p}bm>{_NN})(?:(?P<{p}bs>{_NN})(?:[.,](?P<{p}f3>{f})|(?P<{p}f6>{f2}){junk})?|[.,](?P<{p}f4>{f}){junk})?"
        rf"|[.,](?P<{p}f5>{f}){junk})?"
    )


_FRACTIONS = ("f1", "f2", "f3", "f4", "f5", "f6")
_TIME_RX = "^(?:" + _hh_mm_ss_ff("", False) + "|" + _hh_mm_ss_ff("", True).replace("(?P<", "(?P<y") + "(?:(?P<zz>Z)|(?P<zsign>[+-])" + _hh_mm_ss_ff("z", False) + "))$"
"""The time after the date in ISO 8601 as Python 3.11 reads it: ``HH[:MM[:SS]]`` or ``HH[MM[SS]]``, a fraction, ``Z`` or an offset."""


def _iso_moment(ctx: Ctx, s: exp.Expr, put: Put) -> Generator[None, None, _Moment]:
    """What ``datetime.fromisoformat`` (Python 3.11, with leadspec's T-or-space rule) reads from ``s``."""
    n = length(s)
    c5 = substr(s, 5, 1)
    c6 = substr(s, 6, 1)
    # where the date ends (_find_isoformat_datetime_separator), 0-based: 7, 8 or 10
    run = rx_group(ctx, s, r"^[0-9]{4}W[0-9]{2}(?P<r>[0-9]*)", "r")
    k = length(run)
    basic_week = case([(or_(eq(k, num(0)), and_(exp.GTE(this=k, expression=num(2)), eq(mod(k, 2), num(1)))), num(7))], num(8))
    sep = case(
        [
            (eq(n, num(7)), num(7)),
            (and_(eq(c5, text("-")), eq(c6, text("W"))), case([(and_(exp.GT(this=n, expression=num(8)), eq(substr(s, 9, 1), text("-"))), num(10))], num(8))),
            (eq(c5, text("-")), num(10)),
            (eq(c5, text("W")), case([(eq(n, num(8)), num(8))], basic_week)),
        ],
        num(8),
    )
    at = put("sep", sep)
    ascii_ok = put("ascii", not_(rx_like(ctx, s, _NON_ASCII)))
    yield
    date_part = substr(s, 1, at)
    time_part = substr(s, add(at, 2))
    has_time = exp.GT(this=n, expression=at)
    # leadspec's rule: with a dash after the year, the date and the time are separated by T, t or a space
    sep_ok = or_(not_(has_time), exp.NEQ(this=c5, expression=text("-")), in_(substr(s, add(at, 1), 1), ["T", "t", " "]))
    dp = put("dpart", date_part)
    tp = put("tpart", case([(has_time, time_part)], null("VARCHAR")))
    okp = put("okp", and_(ascii_ok, exp.GTE(this=n, expression=num(7)), sep_ok))
    yield
    date_m = yield from _iso_date(ctx, dp, put)
    tm = yield from _iso_time(ctx, tp, put)
    ok = and_(okp, date_m.ok, or_(is_null(tp), tm.ok))
    micros = case([(is_null(tp), num(0))], tm.micros)
    offset = case([(is_null(tp), num(0))], exp.func("COALESCE", tm.offset, num(0), copy=False))
    return _Moment(ok, date_m.days, micros, offset)


def _iso_date(ctx: Ctx, s: exp.Expr, put: Put, *, loose: bool = False) -> Generator[None, None, _Moment]:
    """``parse_isoformat_date`` of exactly ``s`` (``YYYY-MM-DD``, ``YYYYMMDD``, ``YYYY-Www[-D]``, ``YYYYWww[D]``)."""
    forms = {
        "ext": r"^(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})$",
        "bas": r"^(?P<y>[0-9]{4})(?P<mo>[0-9]{2})(?P<d>[0-9]{2})",
        "wext": r"^(?P<y>[0-9]{4})-W(?P<w>[0-9]{2})(?:-(?P<wd>[0-9]))?$",
        "wbas": r"^(?P<y>[0-9]{4})W(?P<w>[0-9]{2})(?P<wd>[0-9])?",
    }
    n = octets(ctx, s) if loose else length(s)
    conds = {
        "ext": eq(n, num(10)),
        "bas": in_num(n, [8, 10]) if loose else eq(n, num(8)),
        "wext": in_num(n, [8, 10]),
        "wbas": in_num(n, [7, 8, 10]) if loose else in_num(n, [7, 8]),
    }
    which = case([(and_(conds[f], rx_like(ctx, s, rx)), text(f)) for f, rx in forms.items()], null("VARCHAR"))
    w = put("form", which)
    yield

    def grp(name: str) -> exp.Expr:
        return case([(eq(w, text(f)), rx_group(ctx, s, rx, name)) for f, rx in forms.items() if f"<{name}>" in rx], text(""))

    def as_int(e: exp.Expr) -> exp.Expr:
        return case([(exp.NEQ(this=e, expression=text("")), cast(e, "BIGINT"))], num(0))

    y = put("y", as_int(grp("y")))
    mo = put("mo", as_int(grp("mo")))
    d = put("d", as_int(grp("d")))
    wk = put("wk", as_int(grp("w")))
    wd = put("wd", case([(exp.NEQ(this=grp("wd"), expression=text("")), cast(grp("wd"), "BIGINT"))], num(1)))
    is_week = put("isweek", in_(w, ["wext", "wbas"]))
    yield
    # ISO week dates: Monday of week 1 is the Monday of the week of January 4
    y_ok = exp.Between(this=y, low=num(1), high=num(9999))
    jan1 = case([(y_ok, day_number(y, num(1), num(1)))], num(0))
    j1 = put("jan1", jan1)
    yield
    first = weekday(j1)  # Monday = 0
    leap = or_(and_(eq(mod(y, 4), num(0)), exp.NEQ(this=mod(y, 100), expression=num(0))), eq(mod(y, 400), num(0)))
    long_year = or_(eq(first, num(3)), and_(eq(first, num(2)), leap))
    week_ok = and_(y_ok, or_(exp.Between(this=wk, low=num(1), high=num(52)), and_(eq(wk, num(53)), long_year)), exp.Between(this=wd, low=num(1), high=num(7)))
    monday1 = add(sub(j1, first), case([(exp.GT(this=first, expression=num(3)), num(7))], num(0)))
    week_days = add(monday1, mul(sub(wk, 1), 7), sub(wd, 1))
    date_ok = valid_date(y, mo, d)
    ok = case([(is_null(w), exp.false()), (is_week, and_(week_ok, exp.Between(this=week_days, low=num(_MIN_DAY), high=num(_MAX_DAY))))], date_ok)
    ok_c = put("dok", ok)
    days = put("ddays", case([(and_(is_week, week_ok), week_days), (and_(not_(is_week), not_null(w), date_ok), day_number(y, mo, d))], num(0)))
    yield
    return _Moment(ok_c, days, num(0), None)


def _iso_time(ctx: Ctx, s: exp.Expr, put: Put) -> Generator[None, None, _Moment]:
    """``parse_isoformat_time`` of ``s``: the microseconds of the day and the offset (NULL: none)."""
    rx = _TIME_RX
    ok = put("tok", rx_like(ctx, s, rx))
    own = ["h", "m", "s", "bm", "bs", *_FRACTIONS]
    names = [*own, *(f"y{n}" for n in own), "zz", "zsign", "zh", "zm", "zs", "zbm", "zbs", *(f"z{f}" for f in _FRACTIONS)]
    g = {name: put(f"t{name}", rx_group(ctx, s, rx, name)) for name in names}
    yield

    def two(*names: str) -> exp.Expr:
        whens = [(exp.NEQ(this=g[nm], expression=text("")), cast(g[nm], "BIGINT")) for nm in names]
        return case(whens, num(0))

    def micro(*prefixes: str) -> exp.Expr:
        whens = [
            (exp.NEQ(this=g[p + f], expression=text("")), cast(exp.Anonymous(this="RPAD", expressions=[substr(g[p + f], 1, 6), exp.Literal.number(6), text("0")]), "BIGINT"))
            for p in prefixes
            for f in _FRACTIONS
        ]
        return case(whens, num(0))

    h, m, sec = two("h", "yh"), two("m", "bm", "ym", "ybm"), two("s", "bs", "ys", "ybs")
    zh, zm, zs = two("zh"), two("zm", "zbm"), two("zs", "zbs")
    total = add(mul(add(mul(zh, 3600), mul(zm, 60), zs), 1_000_000), micro("z"))
    has_tz = exp.NEQ(this=g["zsign"], expression=text(""))
    offset = case([(has_tz, case([(eq(g["zsign"], text("-")), exp.Neg(this=total))], total)), (eq(g["zz"], text("Z")), num(0))], null("BIGINT"))
    valid = and_(ok, exp.LTE(this=h, expression=num(23)), exp.LTE(this=m, expression=num(59)), exp.LTE(this=sec, expression=num(59)), or_(not_(has_tz), exp.LT(this=total, expression=num(_DAY_US))))
    okc = put("tvalid", case([(is_null(s), exp.false())], valid))
    micros = put("tmicros", case([(ok, add(mul(add(mul(h, 3600), mul(m, 60), sec), 1_000_000), micro("", "y")))], num(0)))
    off = put("toff", case([(ok, offset)], null("BIGINT")))
    yield
    return _Moment(okc, num(0), micros, off)


def _utc(m: _Moment) -> tuple[exp.Expr, exp.Expr]:
    """(in range, microseconds since 1970 in UTC) of a moment."""
    local = add(mul(cast(m.days, "BIGINT"), _DAY_US), m.micros)
    utc = local if m.offset is None else sub(local, exp.func("COALESCE", m.offset, num(0), copy=False))
    in_range = exp.Between(this=utc, low=num(_MIN_DAY * _DAY_US), high=num((_MAX_DAY + 1) * _DAY_US - 1))
    return in_range, utc


def _utc_days(utc: exp.Expr) -> exp.Expr:
    """The day number of microseconds since 1970 (floor division, for negative moments too)."""
    shifted = add(utc, num(-_MIN_DAY * _DAY_US))  # never negative within the range
    return add(idiv_big(shifted, _DAY_US), num(_MIN_DAY))


def idiv_big(a: exp.Expr, b: int) -> exp.Expr:
    """``a // b`` for BIGINT ``a >= 0`` without a float (exact beyond 2**53)."""
    return exp.Paren(this=exp.IntDiv(this=a, expression=exp.Literal.number(b)))


def _datetime(ctx: Ctx, spec: FieldPlan, t: exp.Expr, raw: exp.Expr, put: Put) -> Step:
    result = yield from _dates(ctx, spec, t, raw, put, as_date=False)
    return result


def _date(ctx: Ctx, spec: FieldPlan, t: exp.Expr, raw: exp.Expr, put: Put) -> Step:
    result = yield from _dates(ctx, spec, t, raw, put, as_date=True)
    return result


def _dates(ctx: Ctx, spec: FieldPlan, t: exp.Expr, raw: exp.Expr, put: Put, *, as_date: bool) -> Step:
    formats = spec.format
    where = f"field {spec.name}"
    moments: list[tuple[str, _Moment]] = []
    gens: list[tuple[str, Generator[None, None, _Moment]]] = [(f"f{i}", _strptime_moment(ctx, fmt, where, t, _prefixed(put, f"f{i}"))) for i, fmt in enumerate(formats)]
    zless = exp.Anonymous(this="REGEXP_REPLACE", expressions=[t, text("[Zz]$"), text("+00:00")])
    gens.append(("iso", _iso_moment(ctx, zless, _prefixed(put, "iso"))))
    if as_date:
        gens.append(("isod", _iso_date(ctx, t, _prefixed(put, "isod"), loose=True)))
    results: dict[str, _Moment] = {}
    live = list(gens)
    while live:
        nxt = []
        for name, gen in live:
            try:
                next(gen)
            except StopIteration as done:
                results[name] = done.value
            else:
                nxt.append((name, gen))
        live = nxt
        if live:
            yield
    whens: list[tuple[exp.Expr, exp.Expr]] = []
    values: list[tuple[exp.Expr, exp.Expr]] = []
    kind = "date" if as_date else "datetime"
    generic = f"not a {kind} in {_formats_text(formats, '2026-11-01' if as_date else '2026-11-01T09:30:00Z')}"
    out_of_range = text("outside the range of dates in UTC")
    for i in range(len(formats)):
        m = results[f"f{i}"]
        in_range, utc = _utc(m)
        if as_date and m.offset is not None:
            # parse_date: a format read it, but its moment has no date in UTC: that is the issue
            whens.append((and_(m.ok, not_(in_range)), out_of_range))
        good = and_(m.ok, in_range)
        values.append((good, _utc_days(utc) if as_date else utc))
    iso = results["iso"]
    in_range, utc = _utc(iso)
    if as_date:
        isod = results["isod"]
        values.append((isod.ok, isod.days))
        values.append((and_(iso.ok, in_range), _utc_days(utc)))
    else:
        values.append((and_(iso.ok, in_range), utc))
        if not formats:  # the fast path of parse_datetime: text as it is, read, then out of range in UTC
            whens.append((and_(iso.ok, not_(in_range), eq(raw, t)), out_of_range))
    # the first format that reads the text wins; an out-of-range moment of a date format stops there
    ordered: list[tuple[exp.Expr, exp.Expr, bool]] = []  # (condition, value or message, is a message)
    vi = wi = 0
    for i in range(len(formats)):
        if as_date and results[f"f{i}"].offset is not None:
            ordered.append((whens[wi][0], whens[wi][1], True))
            wi += 1
        ordered.append((values[vi][0], values[vi][1], False))
        vi += 1
    ordered += [(c, v, False) for c, v in values[vi:]]
    ordered += [(c, m, True) for c, m in whens[wi:]]
    num_value = case([(c, null("BIGINT") if is_msg else v) for c, v, is_msg in ordered], null("BIGINT"))
    message = case([(c, v if is_msg else null("VARCHAR")) for c, v, is_msg in ordered], text(generic))
    nv = put("n", num_value)
    msg = put("msg", message)
    yield
    value = case([(not_null(nv), date_of(ctx, nv) if as_date else timestamp_of(ctx, nv))], null(_KIND[spec.type]))
    return value, case([(is_null(nv), msg)], null("VARCHAR"))


def _prefixed(put: Put, prefix: str) -> Put:
    return lambda hint, e: put(f"{prefix}{hint}", e)


_TEXT_READERS: dict[str, Callable[[Ctx, FieldPlan, exp.Expr, exp.Expr, Put], Step]] = {
    "string": _string,
    "boolean": _boolean,
    "enum": _enum,
    "list": _list,
    "integer": _integer,
    "number": _number,
    "date": _date,
    "datetime": _datetime,
}


# -- typed input columns -----------------------------------------------------------------------


def _typed(ctx: Ctx, spec: FieldPlan, raw: exp.Expr, sql_type: str, put: Put) -> Step:
    """A typed input column, read as the Python engine reads the Python value it holds (``_typed.read_typed``)."""
    from ._typed import read_typed

    result = yield from read_typed(ctx, spec, raw, sql_type, put)
    return result
