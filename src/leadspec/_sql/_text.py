"""Text in SQL: values shown as a sales rep reads them, ``because`` templates, bad values, the reasons' parts.

Owner: the text part of the SQL backend. Every text must equal what
``leadspec.result`` writes for the same lead:

- :func:`show` is ``result._show``. Numbers are DOUBLE in SQL, so their
  digits are computed exactly with integer arithmetic on the bits of the
  double (never with an engine's own float formatting, which rounds
  differently from Python's): two decimals rounded half to even from the
  exact binary value, ``{:.4g}`` below 1 in size (C's ``%g``: four
  significant digits, exponent notation below 1e-4), thousands separators
  from 10,000 on.
- :func:`bad_value_text` is ``Result._bad_values`` for one field: the raw
  value quoted as :func:`quoted` says, cut to 40 characters, then
  ``result._bad_value_text``.
- :func:`passing_because` is ``Result._because`` of a criterion that passes.

What remains different is said where it happens (:func:`show`) and in
docs/warehouse.md.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence

from sqlglot import exp

from .._expr import CONTROL_SET as _CONTROL_SET
from .._expr import CONTROLS as _CONTROLS
from .._expr import SHORT_ESCAPES as _SHORT_ESCAPES
from .._expr import quoted
from ..plan import Arith, Const, Criterion, Expr, ListName, ListOf, Template, Type
from ._ctx import Chain, Ctx, FieldCols, case, is_true, let, null, text
from ._typed import json_shown
from ._unicode import spans

__all__ = ["bad_value_text", "passing_because", "prepare", "quoted", "show"]

_FIELD_TYPES: dict[str, Type] = {
    "string": Type("str"),
    "enum": Type("str"),
    "integer": Type("num", integral=True),
    "number": Type("num"),
    "boolean": Type("bool"),
    "date": Type("date"),
    "datetime": Type("datetime"),
    "list": Type("list"),
    "events": Type("events"),
}

_BIG_TYPES = {"duckdb": "HUGEINT", "spark": "DECIMAL(38, 0)", "postgres": "NUMERIC", "snowflake": "NUMBER(38, 0)", "bigquery": "BIGNUMERIC"}
"""An exact integer type of at least 38 digits in each dialect (the rounding of ``{:.4g}`` needs about 2^126)."""

_EXACT_BELOW_ONE = 30
"""``{:.4g}`` is computed exactly for numbers down to 1e-27 (10^-(this - 3)); below, from the double's product (see :func:`show`)."""

_MAX_DOUBLE = "1.7976931348623157e308"
_TWO_52 = 2**52
_TWO_63 = 2**63


# -- small builders ------------------------------------------------------------------------------


def _num(value: int | float | str) -> exp.Expr:
    return exp.Literal.number(value)


def _double(value: exp.Expr | int | float) -> exp.Expr:
    return exp.Cast(this=value if isinstance(value, exp.Expr) else _num(value), to=exp.DataType.build("DOUBLE"))


def _bigint(value: exp.Expr) -> exp.Expr:
    return exp.Cast(this=value, to=exp.DataType.build("BIGINT"))


def _varchar(value: exp.Expr) -> exp.Expr:
    return exp.Cast(this=value, to=exp.DataType.build("VARCHAR"))


def _big(ctx: Ctx, value: exp.Expr) -> exp.Expr:
    return exp.Cast(this=value, to=exp.DataType.build(_BIG_TYPES[ctx.dialect], dialect=ctx.dialect))


def _pow(base: int, exponent: exp.Expr) -> exp.Expr:
    """``base ** exponent`` as a DOUBLE (exact for the powers of 2 and of 5 used here)."""
    return exp.Pow(this=_double(base), expression=_double(exponent))


def _idiv(ctx: Ctx, a: exp.Expr, b: exp.Expr) -> exp.Expr:
    """Integer division of non-negative integers (exact: never through a float)."""
    if ctx.dialect == "snowflake":  # Snowflake renders DIV as TRUNC(a / b), and a / b is rounded to 6 decimals
        return exp.Div(this=exp.Paren(this=exp.Sub(this=a, expression=exp.Mod(this=a, expression=b))), expression=b)
    return exp.IntDiv(this=a, expression=b)


def _paren(e: exp.Expr) -> exp.Expr:
    return exp.Paren(this=e)


def _add(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return _paren(exp.Add(this=a, expression=b))


def _sub(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return _paren(exp.Sub(this=a, expression=b))


def _mul(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return _paren(exp.Mul(this=a, expression=b))


def _mod(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return _paren(exp.Mod(this=a, expression=b))


def _eq(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.EQ(this=a, expression=b)


def _if(cond: exp.Expr, then: exp.Expr, otherwise: exp.Expr) -> exp.Expr:
    return case([(cond, then)], otherwise)


def _one_if(cond: exp.Expr) -> exp.Expr:
    return _if(cond, _num(1), _num(0))


def _is_null(e: exp.Expr) -> exp.Expr:
    return exp.Is(this=e, expression=exp.Null())


def _not_null(e: exp.Expr) -> exp.Expr:
    return exp.Not(this=_is_null(e))


def _concat(ctx: Ctx, *parts: exp.Expr | str) -> exp.Expr:
    return ctx.concat(*parts)


def _contains(haystack: exp.Expr, needle: str) -> exp.Expr:
    return exp.GT(this=exp.StrPosition(this=haystack, substr=text(needle)), expression=_num(0))


# -- show --------------------------------------------------------------------------------------


def show(ctx: Ctx, value: exp.Expr, type_: Type) -> exp.Expr:
    """VARCHAR: ``result._show(value)`` ('missing' for NULL).

    ``type_`` is the static type of the value (:class:`leadspec.plan.Type`):
    its kind says how to show it, and ``integral`` that the Python value is
    an ``int`` (a negative zero in SQL shows as ``0`` then, as Python's
    ``-0`` is ``0``).
    """
    kind = type_.kind
    if kind == "bool":
        return case([(is_true(value), text("yes")), (is_true(exp.Not(this=value)), text("no"))], text("missing"))
    if kind == "num":
        shown = _number(ctx, value, type_.integral)
    elif kind == "str":
        shown = value
    elif kind == "date":
        shown = exp.TimeToStr(this=value, format=text("%Y-%m-%d"))
    elif kind == "datetime":
        # Python's strftime writes %Y without leading zeros (year 5 is '5')
        year = _varchar(exp.Year(this=value))
        shown = _concat(ctx, year, exp.TimeToStr(this=value, format=text("-%m-%d %H:%M")), " UTC")
    elif kind == "list":
        shown = _concat(ctx, "[", exp.ArrayToString(this=value, expression=text(", ")), "]")
    else:
        raise ctx.unsupported(f"showing a value of kind {kind}")
    return exp.func("COALESCE", shown, text("missing"))


def _is_nan(ctx: Ctx, v: exp.Expr) -> exp.Expr:
    if ctx.dialect in ("duckdb", "spark"):
        return exp.func("ISNAN", v)
    if ctx.dialect == "bigquery":
        return exp.func("IS_NAN", v)
    return _eq(v, exp.Cast(this=text("NaN"), to=exp.DataType.build("DOUBLE")))  # NaN equals NaN in Postgres and Snowflake


def _commas(ctx: Ctx, n: exp.Expr) -> exp.Expr:
    """A BIGINT (0 ≤ n < 2^63) with a comma between each group of three digits."""
    d = ctx.dialect
    if d == "duckdb":
        return exp.func("FORMAT", text("{:,}"), n)
    if d == "spark":
        return exp.func("FORMAT_NUMBER", n, _num(0))
    if d == "bigquery":
        return exp.func("FORMAT", text("%'d"), n)
    return exp.func("TO_CHAR", n, text("FM9,999,999,999,999,999,999"))  # postgres, snowflake: 19 digits


def _number(ctx: Ctx, value: exp.Expr, integral: bool) -> exp.Expr:
    """VARCHAR: a DOUBLE as ``result._show`` shows the float (or, ``integral``, the int) of the same value; NULL for NULL."""

    def body(v: exp.Expr) -> exp.Expr:
        a = exp.Abs(this=v)
        sign = _if(exp.LT(this=v, expression=_num(0)), text("-"), text(""))
        if integral:
            zero: exp.Expr = text("0")
        else:  # -0.0 shows as '-0': the engines write its sign in its text
            zero = _if(exp.Like(this=_varchar(v), expression=text("-%")), text("-0"), text("0"))
        return case(
            [
                (_is_nan(ctx, v), text("nan")),
                (exp.GT(this=a, expression=_double(exp.Literal.number(_MAX_DOUBLE))), _if(exp.GT(this=v, expression=_num(0)), text("inf"), text("-inf"))),
                (_eq(v, _num(0)), zero),
                (exp.LT(this=a, expression=_num(1)), _concat(ctx, sign, _below_one(ctx, a))),
                (exp.LT(this=a, expression=_double(_TWO_63)), _concat(ctx, sign, _fixed(ctx, a))),
            ],
            _concat(ctx, sign, _huge(ctx, a)),
        )

    return _let(ctx, value, body)


def _let(ctx: Ctx, value: exp.Expr, body: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
    """``body`` of a fresh name bound to ``value``, computed once (see ``_ctx.let``)."""
    name = ctx.chain.name("v")
    return let(ctx.dialect, name, value, body(exp.column(name)))


def _fixed(ctx: Ctx, a: exp.Expr) -> exp.Expr:
    """``f"{a:,.2f}"`` with trailing zeros and point stripped, commas from 10,000 on, for 1 ≤ a < 2^63.

    The fraction of a double of 1 or more is a whole number of 2^-52: its
    two decimals and the rounding (half to even, of the exact value) are
    integer arithmetic on that number.
    """
    whole = exp.Floor(this=a)

    def rounded(n: exp.Expr) -> exp.Expr:  # n: the fraction in units of 2^-52 (exact), times 100
        cents0 = _idiv(ctx, n, _num(_TWO_52))
        rest2 = _mul(_mod(n, _num(_TWO_52)), _num(2))
        up = exp.or_(
            exp.GT(this=rest2, expression=_num(_TWO_52)),
            exp.and_(_eq(rest2, _num(_TWO_52)), _eq(_mod(cents0, _num(2)), _num(1))),
        )
        return _add(cents0, _one_if(up))  # 0 … 100

    def text_of(c: exp.Expr) -> exp.Expr:
        integer = _add(_bigint(whole), _one_if(_eq(c, _num(100))))
        cents = _mod(c, _num(100))
        int_text = _if(exp.GTE(this=a, expression=_num(10000)), _commas(ctx, integer), _varchar(integer))
        frac_text = case(
            [
                (_eq(cents, _num(0)), text("")),
                (_eq(_mod(cents, _num(10)), _num(0)), _concat(ctx, ".", _varchar(_idiv(ctx, cents, _num(10))))),
            ],
            _concat(ctx, ".", exp.Pad(this=_varchar(cents), expression=_num(2), fill_pattern=text("0"), is_left=True)),
        )
        return _concat(ctx, int_text, frac_text)

    k = _bigint(_mul(_sub(a, whole), _double(_TWO_52)))
    return _let(ctx, _let(ctx, _mul(k, _num(100)), rounded), text_of)


def _below_one(ctx: Ctx, a: exp.Expr) -> exp.Expr:
    """``f"{a:.4g}"`` for 0 < a < 1.

    R, the four significant digits, is a * 10^p rounded half to even, with
    p = 3 - floor(log10(a)). Exactly: a = m / 2^t (m the double's
    significand, a whole number below 2^55), so R is the quotient of
    m * 5^p by 2^(t - p), rounded by its remainder: integers of at most 126
    bits in the dialect's exact type, for a down to 1e-27. Below that, R
    is rounded from the double a * 10^p (it may differ from Python's when
    the value lies within about 1e-12 of a rounding tie).

    log10 may be off by one next to a power of ten: R is then 1000 - ε or
    10000 + ε, which round to 1000 and 10000, and 10000 is 1000 with the
    next exponent, as C rounds it.
    """

    def with_x0(x0: exp.Expr) -> exp.Expr:
        p = _sub(_num(3), x0)

        def exact(e: exp.Expr) -> exp.Expr:
            t = _sub(_num(53), e)  # scaled one bit more than needed, so that an e off by one still gives a whole m
            m = _bigint(_mul(a, _pow(2, t)))
            s = _sub(t, p)
            p1 = exp.Least(this=p, expressions=[_num(15)])
            p2 = exp.Greatest(this=_sub(p, _num(15)), expressions=[_num(0)])
            s1 = exp.Least(this=s, expressions=[_num(62)])
            s2 = exp.Greatest(this=_sub(s, _num(62)), expressions=[_num(0)])
            num = _mul(_mul(_big(ctx, m), _big(ctx, _bigint(_pow(5, p1)))), _big(ctx, _bigint(_pow(5, p2))))
            den = _mul(_big(ctx, _bigint(_pow(2, s1))), _big(ctx, _bigint(_pow(2, s2))))

            def quotient(nd: tuple[exp.Expr, exp.Expr]) -> exp.Expr:
                n, d = nd
                r0 = _idiv(ctx, n, d)
                rest2 = _mul(_mod(n, d), _big(ctx, _num(2)))
                up = exp.or_(exp.GT(this=rest2, expression=d), exp.and_(_eq(rest2, d), _eq(_mod(r0, _num(2)), _num(1))))
                return _bigint(_add(r0, _one_if(up)))

            return _let(ctx, num, lambda n: _let(ctx, den, lambda d: quotient((n, d))))

        # below 1e-27: from the double (10^p in two factors: 10^p alone overflows)
        half = _idiv(ctx, p, _num(2))
        scaled = _mul(_mul(a, _pow(10, half)), _pow(10, _sub(p, half)))
        approx = _bigint(exp.Floor(this=_add(scaled, _double(0.5))))
        r = _if(exp.LTE(this=p, expression=_num(_EXACT_BELOW_ONE)), _let(ctx, _bigint(exp.Floor(this=_log(a, 2))), exact), approx)
        return _let(ctx, r, lambda r_: _g_text(ctx, r_, x0))

    return _let(ctx, _bigint(exp.Floor(this=_log(a, 10))), with_x0)


def _log(a: exp.Expr, base: int) -> exp.Expr:
    """The logarithm of a DOUBLE in ``base``, as a DOUBLE (within a few units in the last place: enough here)."""
    return exp.Div(this=exp.Ln(this=a), expression=exp.Ln(this=_double(base)))


def _g_text(ctx: Ctx, r: exp.Expr, x0: exp.Expr) -> exp.Expr:
    """C's ``%.4g`` of R * 10^(x0 - 3) (1000 ≤ R ≤ 10000; 10000 is 1000 with exponent x0 + 1), below 1."""
    carry = _eq(r, _num(10000))
    x = _add(x0, _one_if(carry))
    r = _if(carry, _num(1000), r)

    def significant(digits: exp.Expr) -> exp.Expr:  # the significant digits without trailing zeros
        first = exp.Substring(this=digits, start=_num(1), length=_num(1))
        others = exp.Substring(this=digits, start=_num(2))
        neg_x = _sub(_num(0), x)
        exponent = _if(exp.LT(this=neg_x, expression=_num(10)), _concat(ctx, "0", _varchar(neg_x)), _varchar(neg_x))
        scientific = _concat(ctx, first, _if(exp.GT(this=exp.Length(this=digits), expression=_num(1)), _concat(ctx, ".", others), text("")), "e-", exponent)
        zeros = exp.Repeat(this=text("0"), times=exp.Cast(this=_sub(neg_x, _num(1)), to=exp.DataType.build("INT")))
        fixed = _concat(ctx, "0.", zeros, digits)
        return case([(exp.GTE(this=x, expression=_num(0)), digits), (exp.GTE(this=x, expression=_num(-4)), fixed)], scientific)

    def stripped(r_: exp.Expr) -> exp.Expr:
        return _varchar(
            case(
                [
                    (_eq(_mod(r_, _num(1000)), _num(0)), _idiv(ctx, r_, _num(1000))),
                    (_eq(_mod(r_, _num(100)), _num(0)), _idiv(ctx, r_, _num(100))),
                    (_eq(_mod(r_, _num(10)), _num(0)), _idiv(ctx, r_, _num(10))),
                ],
                r_,
            )
        )

    return _let(ctx, stripped(r), significant)


def _huge(ctx: Ctx, a: exp.Expr) -> exp.Expr:
    """A whole number of 2^63 or more: the engine's own text of the double (a difference that remains: Python
    writes every digit of the exact value, ``f"{a:,.2f}"``)."""
    return _varchar(a)


# -- bad values ----------------------------------------------------------------------------------

_WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B)) + "\u2028\u2029\u202f\u205f\u3000"
"""What Python's ``str.split()`` splits on."""




def _escape_class(ctx: Ctx, quotes: bool = True) -> str:
    """The regular expression (a character class) of the characters :func:`quoted` escapes or that choose its quote.

    A backslash and the single quote (unless not ``quotes``), and every
    control character or Unicode space: written as ``\\xNN`` below U+0100
    (the same in RE2, Java's and PostgreSQL's regular expressions), as
    themselves above.
    """
    codes = [c for c in _CONTROLS if not (c == 0 and ctx.dialect == "postgres")]  # Postgres text cannot hold NUL

    def one(c: int) -> str:
        return f"\\x{c:02x}" if c < 0x100 else chr(c)

    parts = ["\\\\", "'"] if quotes else []
    for first, last in spans(codes):
        parts.append(one(first) if first == last else f"{one(first)}-{one(last)}")
    return "[" + "".join(parts) + "]"


def _needs_escapes(ctx: Ctx, raw: exp.Expr) -> exp.Expr | None:
    """BOOLEAN: ``raw`` holds a character :func:`quoted` escapes or a single quote; None where it is not worth asking.

    Snowflake's ``REGEXP_LIKE`` matches the whole text (it would need a
    pattern of its own): it takes the long path for every value.
    """
    if ctx.dialect == "snowflake":
        return None
    return exp.RegexpLike(this=raw, expression=text(_escape_class(ctx)))


def _escape_char(ctx: Ctx, c: exp.Expr, quote: exp.Expr) -> exp.Expr:
    """VARCHAR: one character ``c`` as :func:`quoted` writes it between the quotes ``quote``."""
    code = exp.Anonymous(this="UNICODE" if ctx.dialect == "duckdb" else "ASCII", expressions=[c])
    hex_ = exp.Lower(this=exp.Hex(this=code))
    short = [(_eq(c, text(chr(k))), text(v)) for k, v in _SHORT_ESCAPES.items()]
    control = exp.RegexpLike(this=c, expression=text(_escape_class(ctx, quotes=False)))
    escape = _if(
        exp.LT(this=code, expression=_num(0x100)),
        _concat(ctx, "\\x", exp.Pad(this=hex_, expression=_num(2), fill_pattern=text("0"), is_left=True)),
        _concat(ctx, "\\u", hex_),  # the Unicode spaces escaped are all above U+0FFF: four digits
    )
    return case([(exp.or_(_eq(c, text("\\")), _eq(c, quote)), _concat(ctx, "\\", c)), *short, (control, escape)], c)


def _escaped(ctx: Ctx, raw: exp.Expr, quote: exp.Expr) -> exp.Expr:
    """VARCHAR: what :func:`quoted` writes between the quotes ``quote`` for ``raw``.

    DuckDB and Spark map each character (a lambda over the characters:
    one expression, whatever the number of characters escaped); the other
    dialects replace each escaped character in turn.
    """
    d = ctx.dialect
    if d in ("duckdb", "spark"):
        name = ctx.chain.name("c")
        lam = exp.Lambda(this=_escape_char(ctx, exp.column(name), quote), expressions=[exp.to_identifier(name)])
        if d == "duckdb":
            chars: exp.Expr = exp.Anonymous(this="STRING_SPLIT", expressions=[raw, text("")])
            return exp.ArrayToString(this=exp.Anonymous(this="LIST_TRANSFORM", expressions=[chars, lam]), expression=text(""))
        chars = exp.Anonymous(this="SPLIT", expressions=[raw, text("")])
        return exp.ArrayToString(this=exp.Anonymous(this="TRANSFORM", expressions=[chars, lam]), expression=text(""))
    body: exp.Expr = exp.Anonymous(this="REPLACE", expressions=[raw, text("\\"), text("\\\\")])
    for code in _CONTROLS:
        if code == 0 and d == "postgres":
            continue  # Postgres text cannot hold NUL
        escape = _SHORT_ESCAPES.get(code) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        body = exp.Anonymous(this="REPLACE", expressions=[body, text(chr(code)), text(escape)])
    return exp.Anonymous(this="REPLACE", expressions=[body, quote, _concat(ctx, "\\", quote)])


def _quote_choice(raw: exp.Expr) -> exp.Expr:
    """VARCHAR: the quote :func:`quoted` puts around ``raw``: ``"`` when it holds a ``'`` and no ``"``, else ``'``."""
    double = exp.and_(_contains(raw, "'"), exp.Not(this=_contains(raw, '"')))
    return _if(double, text('"'), text("'"))


def _quoted_sql(ctx: Ctx, raw: exp.Expr) -> exp.Expr:
    """VARCHAR: :func:`quoted` of ``raw``.

    Text without a backslash, a single quote or a character to escape (a
    regular expression asks) is ``'raw'`` as it is; only other text is
    escaped character by character.
    """

    def full(q: exp.Expr) -> exp.Expr:
        return _concat(ctx, q, _escaped(ctx, raw, q), q)

    escaped = _let(ctx, _quote_choice(raw), full)
    needs = _needs_escapes(ctx, raw)
    if needs is None:
        return escaped
    return _if(needs, escaped, _concat(ctx, "'", raw, "'"))


def _collapse_spaces(text_: exp.Expr) -> exp.Expr:
    """Runs of spaces as one space, none at the ends (``" ".join(s.split())`` of a text whose only whitespace is spaces).

    Only runs of two or more are replaced: text with single spaces (most
    text) has nothing to replace, and the engines replace nothing quickly.
    """
    return exp.Trim(this=exp.RegexpReplace(this=text_, expression=text(" {2,}"), replacement=text(" ")))


def _collapse_whitespace(text_: exp.Expr) -> exp.Expr:
    """``" ".join(s.split())``: runs of Python's whitespace as one space, none at the ends.

    What is replaced is a run of two or more, or one character other than
    the space (a single space is already what the run becomes).
    """
    others = _WHITESPACE.replace(" ", "")
    pattern = f"[{_WHITESPACE}]{{2,}}|[{others}]"
    return exp.Trim(this=exp.RegexpReplace(this=text_, expression=text(pattern), replacement=text(" ")))


def _shorten(ctx: Ctx, shown: exp.Expr, limit: int = 40) -> exp.Expr:
    """``_expr.shorten(shown, limit)`` of a text already on one line."""
    return _if(
        exp.GT(this=exp.Length(this=shown), expression=_num(limit)),
        _concat(ctx, exp.Substring(this=shown, start=_num(1), length=_num(limit - 1)), "…"),
        shown,
    )


def _is_text_column(ctx: Ctx, name: str) -> bool:
    """The field's input column holds text (its issue value is that text, always quoted); ``VARCHAR[]`` does not."""
    from ._typed import is_text_type

    source = next((f.source for f in ctx.plan.fields if f.name == name), name)
    return is_text_type(ctx, ctx.column_type(source))


_PREPARED: weakref.WeakKeyDictionary[Chain, dict[str, tuple[exp.Expr, exp.Expr, exp.Expr]]] = weakref.WeakKeyDictionary()
"""Per query (its chain): field name -> (raw, message, the column holding its bad-value text), see :func:`prepare`."""


def _can_be_bad(message: exp.Expr) -> bool:
    """False when a field's issue message is a NULL literal (a field that is never bad)."""
    inner = message.this if isinstance(message, exp.Cast) else message
    return not isinstance(inner, exp.Null)


def prepare(ctx: Ctx, fields: Sequence[FieldCols]) -> None:
    """Compute the :func:`bad_value_text` of each field that can have a bad value once, in columns of the chain:
    from the layer after the current one on, :func:`bad_value_text` of that field reads its column.

    The reasons name a field's bad value in several places (what is
    missing, the because of a ``missing: pass`` disqualifier): each place
    reads the text computed once instead of repeating it. Its steps are
    columns of three layers (the current one and two new ones), each step
    computed only for a lead whose value is bad: the message on one line
    and the quote to use (only for text that needs escapes), then the
    value quoted, then the text.
    """
    chain = ctx.chain
    items = [(spec.name, cols) for spec, cols in zip(ctx.plan.fields, fields) if _can_be_bad(cols.bad)]
    messages: dict[str, exp.Expr] = {}
    quotes: dict[str, exp.Expr] = {}
    texts: dict[str, exp.Expr] = {}
    for name, cols in items:
        bad = _not_null(cols.bad)
        messages[name] = chain.put(f"bad_msg_{name}", _if(bad, _collapse_whitespace(cols.bad), null("VARCHAR")))
        # a typed column's issue value is JSON (shown as it is) or the text Python made of the value (quoted as text)
        as_text = None if _is_text_column(ctx, name) else exp.Not(this=exp.Paren(this=json_shown(cols.raw)))
        if as_text is not None:
            bad = exp.and_(bad, as_text)
        needs = _needs_escapes(ctx, cols.raw)
        quotes[name] = chain.put(f"bad_quote_{name}", _if(bad if needs is None else exp.and_(bad, needs), _quote_choice(cols.raw), null("VARCHAR")))
        if as_text is not None:
            texts[name] = chain.put(f"bad_astext_{name}", as_text)
    chain.next()
    shown: dict[str, exp.Expr] = {}
    for name, cols in items:
        q = quotes[name]
        value = _if(_is_null(q), _concat(ctx, "'", cols.raw, "'"), _concat(ctx, q, _escaped(ctx, cols.raw, q), q))
        if name in texts:
            value = _if(texts[name], value, cols.raw)
        shown[name] = chain.put(f"bad_shown_{name}", _if(_not_null(messages[name]), _collapse_spaces(value), null("VARCHAR")))
    chain.next()
    prepared: dict[str, tuple[exp.Expr, exp.Expr, exp.Expr]] = {}
    for name, cols in items:
        msg = messages[name]
        value = _if(_not_null(msg), _bad_text(ctx, text(name + " "), _shorten(ctx, shown[name]), msg), null("VARCHAR"))
        prepared[name] = (cols.raw, cols.bad, chain.put(f"bad_text_{name}", value))
    _PREPARED[chain] = prepared


def bad_value_text(ctx: Ctx, name: str, raw: exp.Expr, message: exp.Expr) -> exp.Expr:
    """VARCHAR: ``result._bad_value_text(name, shown raw, message)`` as ``Result._bad_values`` builds it.

    ``raw`` is the issue's value as :class:`leadspec._sql._ctx.FieldCols`
    holds it: the text read (quoted by :func:`quoted`) when the input
    column is text, else JSON (shown as it is). After :func:`prepare`, the
    field's own raw value and message give the column it computed.
    """
    found = _PREPARED.get(ctx.chain, {}).get(name)
    if found is not None and found[0] == raw and found[1] == message:
        return found[2]
    return _bad_value_text(ctx, name, raw, message)


def _bad_value_text(ctx: Ctx, name: str, raw: exp.Expr, message: exp.Expr) -> exp.Expr:
    """:func:`bad_value_text` as one expression."""
    quoted_raw = _quoted_sql(ctx, raw) if _is_text_column(ctx, name) else _if(json_shown(raw), raw, _quoted_sql(ctx, raw))
    head = text(name + " ")

    def with_shown(shown: exp.Expr) -> exp.Expr:
        return _let(ctx, _collapse_whitespace(message), lambda msg: _bad_text(ctx, head, shown, msg))

    return _let(ctx, _let(ctx, _collapse_spaces(quoted_raw), lambda q: _shorten(ctx, q)), with_shown)


def _bad_text(ctx: Ctx, head: exp.Expr, shown: exp.Expr, msg: exp.Expr) -> exp.Expr:
    """``result._bad_value_text``: the value, then the message (the value said once when the message starts with it)."""
    # "-1 is below the minimum 0": the value once (result._VALUE_IS: ^[-+0-9.,e]+ is (.*)$)
    at = exp.StrPosition(this=msg, substr=text(" is "))
    token = exp.Substring(this=msg, start=_num(1), length=_sub(at, _num(1)))
    restated = exp.and_(exp.GT(this=at, expression=_num(1)), _eq(exp.func("TRANSLATE", token, text("-+0123456789.,e"), text("")), text("")))
    starts = [_eq(exp.Substring(this=msg, start=_num(1), length=_num(len(w))), text(w)) for w in ("not ", "outside ", "above ", "below ")]
    tail = case(
        [
            (exp.or_(*starts), _concat(ctx, " is ", msg)),
            (restated, _concat(ctx, " is ", exp.Substring(this=msg, start=_add(at, _num(4))))),
        ],
        _concat(ctx, ": ", msg),
    )
    return _concat(ctx, head, shown, tail)


# -- because -------------------------------------------------------------------------------------


def _values(ctx: Ctx, crit: Criterion) -> list[tuple[str, exp.Expr, Type, bool]]:
    """``Result._criterion_values``: (name, SQL value, type, is a field) of the fields, flags and observed calls it reads."""
    from . import _expr

    rs = ctx.ruleset
    out: list[tuple[str, exp.Expr, Type, bool]] = []
    seen: set[str] = set()
    fields, _scores = rs._reads(crit)
    for name in fields:
        if name != ctx.plan.events_field and name not in seen:
            spec = next(f for f in ctx.plan.fields if f.name == name)
            out.append((name, ctx.env.fields[name], _FIELD_TYPES[spec.type], True))
            seen.add(name)
    for name in rs._compiled.flag_reads.get(crit.index, ()):
        if name not in seen:
            out.append((name, ctx.env.flags[name], Type("bool"), False))
            seen.add(name)
    for label, node in rs._observed(crit):
        if label not in seen:
            val = _expr.compile_expr(ctx, node, crit.id)
            value = val.value if val.error is None else _if(is_true(val.error), null(), val.value)
            out.append((label, value, node.type, False))
            seen.add(label)
    return out


def _render(ctx: Ctx, template: Template, where: str) -> exp.Expr:
    """VARCHAR: ``Result._render(template)``; NULL when a part is unknown (or raised)."""
    from . import _expr

    pieces: list[exp.Expr] = []
    known: list[exp.Expr] = []
    for part in template.parts:
        if isinstance(part, str):
            if part:
                pieces.append(text(part))
            continue
        val = _expr.compile_expr(ctx, part, where)
        known.append(_not_null(val.value))
        if val.error is not None:
            known.append(exp.Not(this=is_true(val.error)))
        if part.type.kind == "list":  # each item as it is shown alone (the ARRAY's text would be the engine's)
            pieces.append(exp.func("COALESCE", _concat(ctx, "[", _items(ctx, part, where), "]"), text("missing")))
        else:
            pieces.append(show(ctx, val.value, part.type))
    rendered = _concat(ctx, *pieces) if pieces else text("")
    return _if(exp.and_(*known), rendered, null("VARCHAR")) if known else rendered


def _absent(ctx: Ctx, names: Sequence[str]) -> list[exp.Expr]:
    """``Result._absent``: each name's text, for the names whose value is missing (NULL elsewhere)."""
    parts = []
    for name in names:
        cols = ctx.fields[name]
        missing_text = _if(_not_null(cols.bad), bad_value_text(ctx, name, cols.raw, cols.bad), text(f"{name} is missing"))
        parts.append(case([(_is_null(ctx.env.fields[name]), missing_text)]))
    return parts


def passing_because(ctx: Ctx, crit: Criterion, outcome_raw: exp.Expr | None) -> exp.Expr:
    """VARCHAR: the ``because`` text ``Result`` gives criterion ``crit`` when it passes (``Result._because``).

    ``outcome_raw`` is the criterion's value before its ``missing:`` policy
    (NULL when unknown or when it raised); it is needed only for
    ``missing: pass``.
    """
    if crit.expr is None:
        raise ValueError(f"{crit.id}: passing_because is for criteria with an expression")
    when = ctx.ruleset._sentence(crit)
    values = _values(ctx, crit)
    shown = [_concat(ctx, text(f"{name} is "), show(ctx, value, type_)) for name, value, type_, _field in values]
    default: exp.Expr = _concat(ctx, ctx.join_parts(shown, ", "), f" ({when})") if shown else text(when)
    because = default
    if crit.because is not None:
        because = exp.func("COALESCE", _render(ctx, crit.because, crit.id), default)
    fields = [name for name, _v, _t, is_field in values if is_field]
    if crit.missing == "pass" and outcome_raw is not None and fields:
        any_missing = exp.or_(*(_is_null(ctx.env.fields[n]) for n in fields))
        policy = _concat(ctx, ctx.join_parts(_absent(ctx, fields), ", "), f" (counted as pass: {when})")
        because = _if(exp.and_(_is_null(outcome_raw), any_missing), policy, because)
    return because


def _items(ctx: Ctx, node: Expr, where: str) -> exp.Expr:
    """VARCHAR: ``", ".join(result._show(v) for v in value)`` of the list ``node`` (``''`` for an empty list).

    Built from the expression rather than from its SQL ARRAY: an ARRAY holds numbers as DOUBLE (booleans among them
    as 1 and 0) and each engine writes its own text of them; each item is shown by :func:`show` (as ``_show`` shows a
    number, a boolean, a date), a constant by ``_show`` itself, a list joined or repeated from its parts. A list of
    text items from the lead (a ``list`` field) is its items joined. NULL parts only where the list is unknown (then
    the text is not used).
    """
    from . import _expr
    from ..result import _show

    if isinstance(node, Const) and isinstance(node.value, tuple):
        return text(", ".join(_show(v) for v in node.value))
    if isinstance(node, ListName):
        return text(", ".join(_show(v) for v in ctx.plan.list(node.id).values))
    if isinstance(node, ListOf):
        shown = [show(ctx, _expr.compile_expr(ctx, item, where).value, item.type) for item in node.items]
        return ctx.join_parts(shown, ", ")
    if isinstance(node, Arith) and node.op == "+":  # the parts joined, an empty one adding no separator
        parts = [exp.Nullif(this=_items(ctx, side, where), expression=text("")) for side in (node.left, node.right)]
        return ctx.join_parts(parts, ", ")
    if isinstance(node, Arith) and node.op == "*":
        seq, times = (node.left, node.right) if node.left.type.kind == "list" else (node.right, node.left)
        if times.type.kind == "num":  # n >= 1 copies: n - 1 of them followed by a separator
            n = exp.Cast(this=_expr.compile_expr(ctx, times, where).value, to=exp.DataType.build("INT"))

            def repeated(once: exp.Expr) -> exp.Expr:  # the items' text bound once: read three times, nested lists would grow
                more = exp.func("REPEAT", _concat(ctx, once, ", "), exp.Sub(this=n, expression=_num(1)), copy=False)
                return _if(exp.or_(exp.LTE(this=n.copy(), expression=_num(0)), _eq(once.copy(), text(""))), text(""), _concat(ctx, more, once.copy()))

            return _let(ctx, _items(ctx, seq, where), repeated)
    value = _expr.compile_expr(ctx, node, where).value
    return exp.ArrayToString(this=value, expression=text(", "))

