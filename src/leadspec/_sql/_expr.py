"""Expressions in SQL: every node of :mod:`leadspec.plan` and every built-in function, with Python's errors.

Owner: the expressions part of the SQL backend.

Each node compiles to an :class:`_Out`: its SQL value in the
representation of :mod:`._ctx` (numbers DOUBLE, text VARCHAR, lists
ARRAY, …; NULL is unknown) and the ways it can raise, in the order the
Python engine would meet them: ``(condition, message)`` pairs, where the
condition is TRUE when that operation is reached with values that make
Python raise. The criterion's error (:attr:`Val.error`) is any of them;
its issue's message (:func:`error_message`) is the first that holds,
reading left to right as Python evaluates.

Python's semantics are followed node by node (``reference._value``):

- a single comparison and ``in`` read their left side first and are
  unknown as soon as it is missing (the right side is not computed, so an
  error there does not happen); a chain reads every operand and is the
  Kleene ``AND`` of its pairs (false when one pair is false, else unknown
  when an operand is missing);
- ``and``/``or`` are SQL's own Kleene ``AND``/``OR`` for the value, and
  stop at the first operand that decides for the errors (``False and 1/0
  > 0`` does not raise);
- arithmetic reads both sides and is unknown when either is missing;
  ``/``, ``//``, ``%`` by zero, zero to a negative power, ``**`` beyond
  its limits, text and lists joined or repeated beyond 100,000 raise.

No SQL here may raise on any value: divisors go through ``NULLIF``,
casts are guarded, and where an engine raises on floating-point overflow
(PostgreSQL, Snowflake, BigQuery) the overflow is detected before the
operation runs.
"""

from __future__ import annotations

import functools
import itertools
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlglot import exp

from .._runtime import DIVISION_BY_ZERO, ERROR_PREFIX, INVALID, NUMBER_TOO_LARGE, TOO_LONG
from ..plan import Arith, BoolOp, Call, Compare, Const, Criterion, Expr, FlagName, In, ListName, ListOf, Name, Negate, Not
from ..reference import MAX_POWER_BITS, MAX_POWER_OPERAND, MAX_SIZE
from . import _events
from ._ctx import Ctx, Val, any_true, balanced, case, is_true, let, null, py_lower, py_upper, text

__all__ = ["compile_expr", "error_message", "truth"]

DBL_MAX = sys.float_info.max
_GUARDED = ("postgres", "snowflake", "bigquery")  # dialects whose floating-point arithmetic raises on overflow
_SQL_TYPES = {"num": "DOUBLE", "str": "VARCHAR", "bool": "BOOLEAN", "date": "DATE", "datetime": "TIMESTAMP", "list": "ARRAY<VARCHAR>"}
_KIND_NAMES = {"num": "numbers", "str": "text", "bool": "booleans", "date": "dates", "datetime": "datetimes", "list": "lists", "events": "events"}
MAX_NODES = 100_000
"""The most parts (sqlglot nodes) one expression's SQL may have, with its error conditions: an operation that reads its
operand several times (``//``, ``%``, ``round()``, lists joined) multiplies the SQL's size, and a few nested made a
query of hundreds of megabytes that took minutes to write (``revenue // 1000 // 10 // 10 // 10``). The rule files of
rules/ need fewer than 100 per criterion; ``x // 10 // 10`` needs 16,000, one more ``// 10`` 480,000."""

_MIXED = "leadspec_mixed"
"""The key, in an ARRAY node's ``meta``, of what its items mix (``a list of numbers and text``): no SQL array type holds them."""


@dataclass
class _Out:
    """A compiled node: its value, the ways it raises (in evaluation order), and, for a list known item by item, its items."""

    value: exp.Expr
    errs: list[tuple[exp.Expr, str]] = field(default_factory=list)
    items: list[tuple[exp.Expr, str]] | None = None  # (item, its kind) of a list literal, a constant list or a named list
    nullable_items: bool = False  # an item of `items` may be NULL (then the list is unknown)
    elem: str = "str"  # the kind of the SQL ARRAY's items, for a list: "num", "bool", "date", "datetime" or "str" (a list field's text)


# -- small SQL builders ------------------------------------------------------------------------------------


def num(value: float) -> exp.Expr:
    """A DOUBLE literal (infinities and NaN as text cast to DOUBLE, which every engine reads)."""
    if math.isnan(value):
        return exp.Cast(this=text("nan"), to=exp.DataType.build("DOUBLE"))
    if math.isinf(value):
        return exp.Cast(this=text("inf" if value > 0 else "-inf"), to=exp.DataType.build("DOUBLE"))
    return exp.Cast(this=exp.Literal.number(repr(float(value))), to=exp.DataType.build("DOUBLE"))


def _p(e: exp.Expr) -> exp.Expr:
    return e if isinstance(e, (exp.Column, exp.Literal, exp.Cast, exp.Paren, exp.Null, exp.Boolean, exp.Func)) else exp.Paren(this=e)


def _and(*conds: exp.Expr) -> exp.Expr:
    """``a AND b AND …``: two or one as they were always written (parentheses only where needed), more as a balanced tree."""
    if len(conds) > 2:
        return balanced(exp.And, conds)
    return exp.And(this=_p(conds[0]), expression=_p(conds[1])) if len(conds) == 2 else conds[0]


def _or(*conds: exp.Expr) -> exp.Expr:
    """``(a OR b OR …)``, as :func:`_and`."""
    if len(conds) > 2:
        return exp.Paren(this=balanced(exp.Or, conds))
    return exp.Paren(this=exp.Or(this=_p(conds[0]), expression=_p(conds[1])) if len(conds) == 2 else conds[0])


def _not_null(e: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Is(this=_p(e), expression=exp.Null()))


def _is_null(e: exp.Expr) -> exp.Expr:
    return exp.Is(this=_p(e), expression=exp.Null())


def _eq(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.EQ(this=_p(a), expression=_p(b))


def _bin(cls: type[exp.Expr], a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return cls(this=_p(a), expression=_p(b))


def _abs(e: exp.Expr) -> exp.Expr:
    return exp.Abs(this=e)


def _finite(e: exp.Expr) -> exp.Expr:
    return exp.LTE(this=_abs(e), expression=num(DBL_MAX))


# -- the compiler ----------------------------------------------------------------------------------------------


class _Compiler:
    """Compiles the nodes of one criterion's expression (``where``: its id, for errors at to_sql time)."""

    def __init__(self, ctx: Ctx, where: str) -> None:
        self.ctx = ctx
        self.d = ctx.dialect
        self.where = where
        self.mixed = False  # an ARRAY of items of different kinds was built (see array())

    def unsupported(self, what: str) -> Exception:
        return self.ctx.unsupported(what, self.where)

    # -- dispatch ------------------------------------------------------------------------------
    def out(self, node: Expr) -> _Out:
        method: Callable[[Expr], _Out] = getattr(self, "n_" + type(node).__name__)
        result = method(node)
        parts = itertools.chain(result.value.walk(), *(cond.walk() for cond, _ in result.errs))
        if next(itertools.islice(parts, MAX_NODES, None), None) is not None:  # refused as soon as one node's SQL is too large
            raise self.unsupported(f"an expression whose SQL would exceed {MAX_NODES:,} parts (//, % or round() nested, or a very long list)")
        return result

    # -- leaves ------------------------------------------------------------------------------------
    def n_Const(self, node: Const) -> _Out:  # noqa: N802 - named after the node
        value = node.value
        if value is None:
            return _Out(null(_SQL_TYPES.get(node.type.kind)))
        if isinstance(value, tuple):
            items = [self.constant(v) for v in value]
            return _Out(self.array(items), items=items, elem=self.elem_kind(items))
        return _Out(self.constant(value)[0])

    def constant(self, value: object) -> tuple[exp.Expr, str]:
        """A constant's SQL value and kind."""
        if isinstance(value, bool):
            return (exp.true() if value else exp.false()), "bool"
        if isinstance(value, (int, float)):
            try:
                as_float = float(value)
            except OverflowError:
                raise self.unsupported(f"the whole number {str(value)[:20]}… (beyond the largest DOUBLE)") from None
            return num(as_float), "num"
        if isinstance(value, str):
            return text(value), "str"
        raise self.unsupported(f"a constant of type {type(value).__name__}")

    def n_Name(self, node: Name) -> _Out:  # noqa: N802
        return _Out(self.ctx.env.fields[node.id])

    def n_FlagName(self, node: FlagName) -> _Out:  # noqa: N802
        return _Out(self.ctx.env.flags[node.id])

    def n_ListName(self, node: ListName) -> _Out:  # noqa: N802
        items = [self.constant(v) for v in self.ctx.plan.list(node.id).values]
        return _Out(self.array(items), items=items, elem=self.elem_kind(items))

    def n_ListOf(self, node: ListOf) -> _Out:  # noqa: N802
        outs = [self.out(item) for item in node.items]
        items: list[tuple[exp.Expr, str]] = [(o.value, str(item.type.kind)) for o, item in zip(outs, node.items)]
        errs = [e for o in outs for e in o.errs]
        nullable = any(item.type.nullable for item in node.items)
        value = self.array(items)
        if nullable:
            value = case([(any_true([_is_null(v) for v, _ in items]) or exp.false(), null(self.array_type(items)))], value)
        return _Out(value, errs, items=items, nullable_items=nullable, elem=self.elem_kind(items))

    def array_type(self, items: Sequence[tuple[exp.Expr, str]]) -> str:
        return f"ARRAY<{_SQL_TYPES[self.elem_kind(items)]}>"

    def elem_kind(self, items: Sequence[tuple[exp.Expr, str]]) -> str:
        """The kind of the items of :meth:`array` of ``items``: "num" (booleans among numbers too), "bool", "date",
        "datetime" or "str" (text, and items of different kinds: see :meth:`array`)."""
        kinds = {k for _, k in items}
        if kinds and kinds <= {"num", "bool"} and "num" in kinds:
            return "num"
        if len(kinds) == 1 and kinds <= {"bool", "date", "datetime"}:  # (a list of dates typed as text failed in every engine)
            return kinds.pop()
        return "str"

    def array(self, items: Sequence[tuple[exp.Expr, str]]) -> exp.Expr:
        """An ARRAY of the items (numbers with booleans as numbers; text as it is).

        Items of different kinds (text with numbers, dates with datetimes) have no SQL array type: the ARRAY is
        marked, and a criterion whose SQL keeps it is refused (:func:`compile_expr`). ``x in [n, 'a']`` still
        translates: membership reads the items one by one and leaves the ARRAY out.
        """
        if not items:
            return self.ctx.empty_array()
        kinds = {k for _, k in items}
        if "num" in kinds:
            values = [self.as_num(v, k) for v, k in items]
        else:
            values = [v for v, _ in items]
        array = exp.Array(expressions=values)
        mixed = list(dict.fromkeys(_KIND_NAMES.get(k, k) for _, k in items if k not in ("any", "bool" if "num" in kinds else "")))
        if len(mixed) > 1:
            array.meta[_MIXED] = f"a list of {', '.join(mixed[:-1])} and {mixed[-1]}"
            self.mixed = True
        return array

    # -- logic ---------------------------------------------------------------------------------------
    def n_BoolOp(self, node: BoolOp) -> _Out:  # noqa: N802
        outs = [self.out(v) for v in node.values]
        truths = [self.truth(o.value, v.type.kind) for o, v in zip(outs, node.values)]
        value = truths[0]
        for t in truths[1:]:
            value = exp.And(this=_p(value), expression=_p(t)) if node.op == "and" else exp.Or(this=_p(value), expression=_p(t))
        # an operand is read only while no operand before it decided (False for `and`, True for `or`)
        errs: list[tuple[exp.Expr, str]] = []
        undecided: list[exp.Expr] = []
        for o, t in zip(outs, truths):
            for cond, message in o.errs:
                errs.append((_and(*undecided, cond) if undecided else cond, message))
            decided = is_true(exp.Not(this=_p(t))) if node.op == "and" else is_true(t)
            undecided.append(exp.Not(this=decided))
        return _Out(exp.Paren(this=value), errs)

    def n_Not(self, node: Not) -> _Out:  # noqa: N802
        o = self.out(node.operand)
        return _Out(exp.Not(this=_p(self.truth(o.value, node.operand.type.kind))), o.errs)

    def n_Negate(self, node: Negate) -> _Out:  # noqa: N802
        o = self.out(node.operand)
        value = self.as_num(o.value, node.operand.type.kind)
        return _Out(exp.Neg(this=_p(value)) if node.op == "-" else value, o.errs)

    # -- arithmetic ----------------------------------------------------------------------------------
    def n_Arith(self, node: Arith) -> _Out:  # noqa: N802
        left, right = self.out(node.left), self.out(node.right)
        errs = left.errs + right.errs
        lk, rk = node.left.type.kind, node.right.type.kind
        both = _and(_not_null(left.value), _not_null(right.value))
        if node.op == "+" and lk == rk == "list" and (left.items == [] or right.items == []):  # `x + []`: x (no ARRAY type to agree on)
            kept = right if left.items == [] else left
            return _Out(kept.value, errs, items=kept.items, nullable_items=kept.nullable_items, elem=kept.elem)
        if node.op == "+" and lk == rk and lk in ("str", "list"):
            value, too_long = self.join(left.value, right.value, lk, left.elem)
            return _Out(value, [*errs, (_and(both, too_long), TOO_LONG)], elem=left.elem)
        if node.op == "*" and "str" in (lk, rk) or node.op == "*" and "list" in (lk, rk):
            seq, seq_kind, times, times_kind = (left, lk, right, rk) if lk in ("str", "list") else (right, rk, left, lk)
            value, too_long = self.repeat(seq.value, seq_kind, self.as_num(times.value, times_kind), seq.elem)
            return _Out(value, [*errs, (_and(both, too_long), TOO_LONG)], elem=seq.elem)
        a, b = self.as_num(left.value, lk), self.as_num(right.value, rk)
        integral = node.left.type.integral and node.right.type.integral
        if node.op in ("+", "-", "*"):
            return _Out(self.basic(node.op, a, b), errs)
        if node.op == "/":
            return _Out(self.divide(a, self.nonzero(b)), [*errs, (_and(both, _eq(b, num(0.0))), DIVISION_BY_ZERO)])
        if node.op in ("//", "%"):
            value = self.floordiv(a, b, integral) if node.op == "//" else self.modulo(a, b, integral)
            return _Out(value, [*errs, (_and(both, _eq(b, num(0.0))), DIVISION_BY_ZERO)])
        value, power_errs = self.power(a, b, integral)
        return _Out(value, errs + [(_and(both, cond), message) for cond, message in power_errs])

    def nonzero(self, b: exp.Expr) -> exp.Expr:
        return exp.Nullif(this=b, expression=num(0.0))

    def bound(self, values: Sequence[exp.Expr], body: Callable[..., exp.Expr]) -> exp.Expr:
        """``body(*values)`` with each value that is not a column or a constant bound once (``_ctx.let``): the guards
        of the dialects below read their operands several times each, and nested arithmetic would grow the query
        exponentially (``(count('demo') * 2 + n) / 3 - n`` copied the count 952 times on PostgreSQL)."""
        names: list[tuple[str, exp.Expr]] = []
        args: list[exp.Expr] = []
        for value in values:
            inner = value.this if isinstance(value, exp.Paren) else value
            if isinstance(inner, (exp.Column, exp.Literal, exp.Null)) or (isinstance(inner, exp.Cast) and isinstance(inner.this, exp.Literal)):
                args.append(value)
            else:
                name = self.ctx.chain.name("o")
                names.append((name, value))
                args.append(exp.column(name))
        out = body(*args)
        for name, value in reversed(names):
            out = let(self.d, name, value, out)
        if names and self.d == "snowflake":  # GET of an array is a VARIANT
            out = exp.Cast(this=out, to=exp.DataType.build("DOUBLE"))
        return out

    def basic(self, op: str, a: exp.Expr, b: exp.Expr) -> exp.Expr:
        """``a + b``, ``a - b``, ``a * b`` of DOUBLEs as IEEE arithmetic (infinity on overflow, never an error)."""
        if self.d in _GUARDED:
            return self.bound([a, b], functools.partial(self._guarded_basic, op))
        cls = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}[op]
        return _bin(cls, a, b)

    def _guarded_basic(self, op: str, a: exp.Expr, b: exp.Expr) -> exp.Expr:
        cls = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}[op]
        plain = _bin(cls, a, b)
        finite = _and(_finite(a), _finite(b))
        if op in ("+", "-"):
            b2 = b if op == "+" else exp.Neg(this=_p(b))
            half = _bin(exp.Add, _bin(exp.Div, a, num(2.0)), _bin(exp.Div, b2, num(2.0)))  # (a ± b) / 2, which cannot overflow
            over = _and(finite, exp.GT(this=_abs(half), expression=num(DBL_MAX / 2)))
            return case([(over, case([(exp.GT(this=half, expression=num(0.0)), num(math.inf))], num(-math.inf)))], plain)
        scaled_down = _bin(exp.Mul, _bin(exp.Mul, a, num(2.0**-600)), b)
        over = _and(finite, exp.GT(this=_abs(scaled_down), expression=num(DBL_MAX * 2.0**-600)))
        sign_neg = exp.NEQ(this=exp.LT(this=a, expression=num(0.0)), expression=exp.LT(this=b, expression=num(0.0)))
        scaled_up = _bin(exp.Mul, _bin(exp.Mul, a, num(2.0**600)), b)
        tiny = _and(
            exp.NEQ(this=a, expression=num(0.0)), exp.NEQ(this=b, expression=num(0.0)),
            exp.LT(this=_abs(a), expression=num(1.0)), exp.LT(this=_abs(b), expression=num(1.0)),
        )
        under = case([(tiny, exp.LTE(this=_abs(scaled_up), expression=num(2.0**-475)))], exp.false())
        return case([(over, case([(sign_neg, num(-math.inf))], num(math.inf))), (under, num(0.0))], plain)

    def divide(self, a: exp.Expr, b: exp.Expr) -> exp.Expr:
        """``a / b`` of DOUBLEs (``b`` never 0 here: NULL instead) as IEEE division, never an error."""
        if self.d in _GUARDED:
            return self.bound([a, b], self._guarded_divide)
        return _bin(exp.Div, a, b)

    def _guarded_divide(self, a: exp.Expr, b: exp.Expr) -> exp.Expr:
        plain = _bin(exp.Div, a, b)
        finite = _and(_finite(a), _finite(b))
        over = _and(finite, exp.GT(this=_abs(_bin(exp.Div, _bin(exp.Mul, a, num(2.0**-600)), b)), expression=num(DBL_MAX * 2.0**-600)))
        sign_neg = exp.NEQ(this=exp.LT(this=a, expression=num(0.0)), expression=exp.LT(this=b, expression=num(0.0)))
        small = _and(finite, exp.NEQ(this=a, expression=num(0.0)), exp.LT(this=_abs(a), expression=num(1.0)))
        under = case([(small, exp.LTE(this=_abs(_bin(exp.Div, _bin(exp.Mul, a, num(2.0**600)), b)), expression=num(2.0**-475)))], exp.false())
        return case([(over, case([(sign_neg, num(-math.inf))], num(math.inf))), (under, num(0.0))], plain)

    def floor(self, x: exp.Expr) -> exp.Expr:
        """FLOOR of a DOUBLE as a DOUBLE (Spark's FLOOR is a BIGINT that overflows: values from 2**52 on are whole already)."""
        if self.d == "spark":
            return case([(exp.GTE(this=_abs(x), expression=num(2.0**52)), x)], exp.Cast(this=exp.Floor(this=x), to=exp.DataType.build("DOUBLE")))
        return exp.Floor(this=x)

    def fmod(self, a: exp.Expr, b: exp.Expr) -> exp.Expr:
        """C's fmod (the remainder with the sign of ``a``), exactly, where the dialect has it."""
        if self.d == "duckdb":
            return exp.func("FMOD", a, b, copy=False)
        if self.d == "spark":
            return exp.Mod(this=_p(a), expression=_p(b))  # Java's % on doubles: IEEE fmod
        raise self.unsupported("`//` and `%` of numbers that may have a fraction")

    def floordiv(self, a: exp.Expr, b: exp.Expr, integral: bool) -> exp.Expr:
        """Python's ``a // b`` (``b`` = 0 gives NULL: the error is reported apart)."""
        b = self.nonzero(b)
        if integral:  # whole numbers below 2**53: the rounded quotient floors exactly
            return self.floor(self.divide(a, b))
        # float.__floordiv__: mod = fmod(a, b); div = (a - mod) / b, less one when mod and b differ in sign; then rounded
        mod = self.fmod(a, b)
        div = _bin(exp.Div, _bin(exp.Sub, a, mod), b)
        adjust = _and(exp.NEQ(this=mod, expression=num(0.0)), exp.NEQ(this=exp.LT(this=b, expression=num(0.0)), expression=exp.LT(this=mod, expression=num(0.0))))
        div = case([(adjust, _bin(exp.Sub, div, num(1.0)))], div)
        floored = self.floor(div)
        return case(
            [(_eq(div, num(0.0)), num(0.0)), (exp.GT(this=_bin(exp.Sub, div, floored), expression=num(0.5)), _bin(exp.Add, floored, num(1.0)))],
            floored,
        )

    def modulo(self, a: exp.Expr, b: exp.Expr, integral: bool) -> exp.Expr:
        """Python's ``a % b``: the sign of ``b`` (``b`` = 0 gives NULL)."""
        b = self.nonzero(b)
        if integral:
            return _bin(exp.Sub, a, _bin(exp.Mul, b, self.floor(_bin(exp.Div, a, b))))
        mod = self.fmod(a, b)
        adjust = _and(exp.NEQ(this=mod, expression=num(0.0)), exp.NEQ(this=exp.LT(this=b, expression=num(0.0)), expression=exp.LT(this=mod, expression=num(0.0))))
        return case([(adjust, _bin(exp.Add, mod, b)), (_eq(mod, num(0.0)), num(0.0))], mod)

    def power(self, a: exp.Expr, b: exp.Expr, integral: bool) -> tuple[exp.Expr, list[tuple[exp.Expr, str]]]:
        """Python's ``a ** b`` with leadspec's limits: the value, and its errors in the order Python checks them."""
        errs: list[tuple[exp.Expr, str]] = [
            (_or(exp.GT(this=_abs(a), expression=num(MAX_POWER_OPERAND)), exp.GT(this=_abs(b), expression=num(MAX_POWER_OPERAND))), NUMBER_TOO_LARGE)
        ]
        log2a = _bin(exp.Div, exp.Ln(this=case([(exp.GT(this=_abs(a), expression=num(0.0)), _abs(a))], num(1.0))), num(math.log(2)))
        if integral:
            bits = _and(exp.GT(this=b, expression=num(0.0)), exp.GT(this=_abs(a), expression=num(1.0)), exp.GT(this=_bin(exp.Mul, b, log2a), expression=num(MAX_POWER_BITS)))
            errs.append((bits, NUMBER_TOO_LARGE))
        errs.append((_and(_eq(a, num(0.0)), exp.LT(this=b, expression=num(0.0))), DIVISION_BY_ZERO))
        fractional = exp.NEQ(this=b, expression=self.floor(b))
        errs.append((_and(exp.LT(this=a, expression=num(0.0)), fractional), INVALID))  # Python's result is a complex number
        # the magnitude of the result in bits, where it is not 0 or 1
        simple = _or(_eq(a, num(0.0)), _eq(_abs(a), num(1.0)), _eq(b, num(0.0)))
        size = _bin(exp.Mul, b, log2a)
        safe_a = case([(_and(exp.LT(this=a, expression=num(0.0)), fractional), num(1.0))], a)
        safe_a = case([(_and(_eq(a, num(0.0)), exp.LT(this=b, expression=num(0.0))), num(1.0))], safe_a)
        safe_a = case([(_or(exp.GT(this=_abs(a), expression=num(MAX_POWER_OPERAND)), exp.GT(this=_abs(b), expression=num(MAX_POWER_OPERAND))), num(1.0))], safe_a)
        raw = exp.Pow(this=safe_a, expression=b)
        odd = _and(exp.LT(this=a, expression=num(0.0)), exp.Not(this=fractional), _eq(self.fmod_whole(b, 2.0), num(1.0)))
        infinite = case([(odd, num(-math.inf))], num(math.inf))
        if self.d in _GUARDED:
            value = case(
                [
                    (simple, raw),
                    (exp.GT(this=size, expression=num(1023.999999)), infinite),
                    (exp.LT(this=size, expression=num(-1074.5)), num(0.0)),
                ],
                raw,
            )
            overflow = _and(exp.Not(this=_p(simple)), exp.GT(this=size, expression=num(1023.999999)))
        else:
            value = raw
            overflow = exp.GT(this=_abs(raw), expression=num(DBL_MAX))
        if not integral:  # a float power beyond the largest float raises OverflowError (an integer one is exact in Python)
            errs.append((overflow, NUMBER_TOO_LARGE))
        return value, errs

    def fmod_whole(self, x: exp.Expr, m: float) -> exp.Expr:
        """``abs(x) mod m`` of a whole DOUBLE, in any dialect."""
        ax = _abs(x)
        return _bin(exp.Sub, ax, _bin(exp.Mul, num(m), self.floor(_bin(exp.Div, ax, num(m)))))

    def join(self, a: exp.Expr, b: exp.Expr, kind: str, elem: str = "str") -> tuple[exp.Expr, exp.Expr]:
        """Text or lists (of items of kind ``elem``) joined with ``+``: the value (NULL when too long) and the condition that it is too long."""
        if kind == "str":
            too_long = exp.GT(this=_bin(exp.Add, exp.Length(this=a), exp.Length(this=b)), expression=exp.Literal.number(MAX_SIZE))
            return case([(too_long, null("VARCHAR"))], exp.DPipe(this=_p(a), expression=_p(b), safe=False)), too_long
        too_long = exp.GT(this=_bin(exp.Add, self.array_size(a), self.array_size(b)), expression=exp.Literal.number(MAX_SIZE))
        joined: exp.Expr
        if self.d == "postgres":
            joined = exp.DPipe(this=_p(a), expression=_p(b), safe=False)
        else:
            joined = exp.ArrayConcat(this=a, expressions=[b])
        # the NULL typed as the list is (a list of numbers beside a NULL of text is refused by DuckDB)
        return case([(_or(_is_null(a), _is_null(b), too_long), null(f"ARRAY<{_SQL_TYPES[elem]}>"))], joined), too_long

    def repeat(self, seq: exp.Expr, kind: str, times: exp.Expr, elem: str = "str") -> tuple[exp.Expr, exp.Expr]:
        """Text or a list (of items of kind ``elem``) repeated ``times`` (a whole number) times: the value and the condition
        that it is too long. The NULL and the empty list are typed as the list is: DuckDB refuses a CASE mixing
        DOUBLE[] with VARCHAR[], and Spark would make a list of numbers text."""
        size = exp.Length(this=seq) if kind == "str" else self.array_size(seq)
        too_long = exp.GT(this=_bin(exp.Mul, size, times), expression=exp.Literal.number(MAX_SIZE))
        count = exp.Cast(this=times, to=exp.DataType.build("INT"))
        if kind == "str":
            empty: exp.Expr = text("")
            repeated: exp.Expr = exp.func("REPEAT", seq, count, copy=False)
        else:
            empty = self.ctx.empty_array(_SQL_TYPES[elem])
            if self.d == "duckdb":
                i = exp.to_identifier("__ls_rep")  # not a name the list may read (a column `i` would be shadowed)
                repeated = exp.func("FLATTEN", exp.func("LIST_TRANSFORM", exp.func("RANGE", count), exp.Lambda(this=seq, expressions=[i])), copy=False)
            elif self.d == "spark":
                repeated = exp.func("FLATTEN", exp.func("ARRAY_REPEAT", seq, count), copy=False)
            else:
                raise self.unsupported("a list repeated with `*`")
        sql_type = "VARCHAR" if kind == "str" else f"ARRAY<{_SQL_TYPES[elem]}>"
        value = case([(too_long, null(sql_type)), (_or(exp.LTE(this=times, expression=num(0.0)), _eq(size, exp.Literal.number(0))), empty)], repeated)
        value = case([(_or(_is_null(seq), _is_null(times)), null(sql_type))], value)
        return value, too_long

    # -- comparisons ---------------------------------------------------------------------------------
    def n_Compare(self, node: Compare) -> _Out:  # noqa: N802
        outs = [self.out(o) for o in node.operands]
        kinds = [o.type.kind for o in node.operands]
        pairs = []
        for i, op in enumerate(node.ops):
            pairs.append(self.compare(op, outs[i], kinds[i], outs[i + 1], kinds[i + 1]))
        if len(pairs) == 1:
            left, right = outs
            errs = list(left.errs) + [(_and(_not_null(left.value), cond), message) for cond, message in right.errs]
            return _Out(pairs[0], errs)
        value = pairs[0]
        for p in pairs[1:]:
            value = exp.And(this=_p(value), expression=_p(p))
        return _Out(exp.Paren(this=value), [e for o in outs for e in o.errs])

    def compare(self, op: str, a: _Out, ak: str, b: _Out, bk: str) -> exp.Expr:
        """One pair of a comparison as a SQL boolean (NULL when either side is)."""
        if op in ("in", "not in"):
            found = self.member(a.value, ak, b, bk)
            return exp.Not(this=_p(found)) if op == "not in" else found
        x, y = a.value, b.value
        if "num" in (ak, bk) and "bool" in (ak, bk):
            x, y = self.as_num(x, ak), self.as_num(y, bk)
        elif ak == bk == "list" and op in ("==", "!=") and (a.items == [] or b.items == []):  # `x == []`: x has no item
            other = b.value if a.items == [] else a.value
            return (exp.EQ if op == "==" else exp.NEQ)(this=self.array_size(other), expression=exp.Literal.number(0))
        elif ak == bk == "list" and {a.elem, b.elem} == {"num", "bool"}:  # [True] == [1]: booleans as numbers, as Python
            x, y = (self.as_numbers(a), y) if a.elem == "bool" else (x, self.as_numbers(b))
        elif ak == "str" and self.d == "postgres" and op not in ("==", "!="):
            x = exp.Collate(this=_p(x), expression=exp.to_identifier("C", quoted=True))  # code-point order, whatever the database's collation
        cls = {"<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE, "==": exp.EQ, "!=": exp.NEQ}[op]
        return cls(this=_p(x), expression=_p(y))

    def as_numbers(self, lst: _Out) -> exp.Expr:
        """A list of booleans as the ARRAY of their numbers (1, 0), to compare with a list of numbers (the engines do
        not compare the two ARRAY types). A list computed item by item unknown (booleans joined or repeated) is cast
        where the engine casts an ARRAY of BOOLEAN to DOUBLE (DuckDB, Spark), and refused elsewhere."""
        if lst.items is None:
            if self.d in ("duckdb", "spark"):
                return exp.Cast(this=lst.value, to=exp.DataType.build("ARRAY<DOUBLE>", dialect=self.d))
            raise self.unsupported("a computed list of booleans compared with a list of numbers")
        value = self.array([(self.as_num(v, k), "num") for v, k in lst.items])
        if lst.nullable_items:
            value = case([(any_true([_is_null(v) for v, _ in lst.items]) or exp.false(), null("ARRAY<DOUBLE>"))], value)
        return value

    def n_In(self, node: In) -> _Out:  # noqa: N802
        item, container = self.out(node.item), self.out(node.container)
        found = self.member(item.value, node.item.type.kind, container, node.container.type.kind)
        value = exp.Not(this=_p(found)) if node.negated else found
        errs = list(item.errs) + [(_and(_not_null(item.value), cond), message) for cond, message in container.errs]
        return _Out(value, errs)

    def member(self, x: exp.Expr, kind: str, container: _Out, container_kind: str) -> exp.Expr:
        """``x in container`` (a substring of text, or an item of a list; NULL when either is missing)."""
        if container_kind == "str":
            return exp.GT(this=exp.StrPosition(this=container.value, substr=x), expression=exp.Literal.number(0))
        if container.items is not None:
            numeric = kind in ("num", "bool") and any(k != kind and k in ("num", "bool") for _, k in container.items)
            same = [self.as_num(i, k) if numeric else i for i, k in container.items if k == kind or numeric and k in ("num", "bool")]
            probe = self.as_num(x, kind) if numeric else x
            found = exp.In(this=_p(probe), expressions=same) if same else exp.false()
            whens = [(_is_null(x), null("BOOLEAN"))]
            if container.nullable_items:
                whens.append((any_true([_is_null(i) for i, _ in container.items]) or exp.false(), null("BOOLEAN")))
            return case(whens, is_true(found))
        # a list computed item by item unknown (a list field's text, a list repeated): by the kind of its items
        missing = _or(_is_null(x), _is_null(container.value))
        hit: exp.Expr
        if kind == container.elem:
            hit = self.array_contains(container.value, x)
        elif kind not in ("num", "bool") or container.elem not in ("num", "bool"):
            hit = exp.false()  # text never equals a number, nor a date anything in a list
        elif container.elem == "num":  # numbers and booleans compare as numbers (True == 1)
            hit = self.array_contains(container.value, self.as_num(x, kind))
        else:  # a number among booleans: only 1 and 0 can be found
            flag = case([(_eq(x, num(1.0)), exp.true()), (_eq(x, num(0.0)), exp.false())], null("BOOLEAN"))
            hit = is_true(self.array_contains(container.value, flag))
        return case([(missing, null("BOOLEAN"))], hit)

    def array_contains(self, arr: exp.Expr, x: exp.Expr) -> exp.Expr:
        if self.d == "postgres":
            return exp.EQ(this=_p(x), expression=exp.Any(this=exp.Paren(this=arr)))
        if self.d == "bigquery":
            return exp.In(this=_p(x), unnest=exp.Unnest(expressions=[arr]))
        return exp.ArrayContains(this=arr, expression=x)

    def array_size(self, arr: exp.Expr) -> exp.Expr:
        if self.d == "postgres":
            return exp.func("CARDINALITY", arr, copy=False)
        return exp.ArraySize(this=arr)

    # -- calls ----------------------------------------------------------------------------------------
    def n_Call(self, node: Call) -> _Out:  # noqa: N802
        name = node.fn
        if name == "score":
            arg = node.args[0]
            assert isinstance(arg, Const) and isinstance(arg.value, str)
            return _Out(self.ctx.env.scores[arg.value])
        if node.events is not None:
            return _Out(_events.event_call(self.ctx, node, self.ctx.env.events))
        outs = [self.out(a) for a in node.args]
        errs = [e for o in outs for e in o.errs]
        kinds = [a.type.kind for a in node.args]
        values = [o.value for o in outs]
        if name == "has":
            return _Out(_not_null(values[0]), errs)
        method: Callable[..., tuple[exp.Expr, list[tuple[exp.Expr, str]]]] | None = getattr(self, "f_" + name, None)
        if method is None:
            raise self.unsupported(f"{name}()")
        value, own = method(node, outs, kinds)
        if own:
            every = _and(*[_not_null(v) for v in values])
            errs += [(_and(every, cond), message) for cond, message in own]
        return _Out(value, errs)

    def f_days_since(self, node: Call, outs: list[_Out], kinds: list[str]) -> tuple[exp.Expr, list[tuple[exp.Expr, str]]]:
        x = outs[0].value
        as_of_day = exp.Cast(this=self.ctx.as_of, to=exp.DataType.build("DATE"))
        if kinds[0] == "date":
            days = self.day_diff(x, as_of_day)
        else:  # whole days of as_of - x, floored as timedelta.days: the days between their dates, less one when x's time of day is later
            days = _bin(exp.Sub, self.day_diff(exp.Cast(this=x, to=exp.DataType.build("DATE")), as_of_day), case([(exp.LT(this=self.time_of_day(self.ctx.as_of), expression=self.time_of_day(x)), exp.Literal.number(1))], exp.Literal.number(0)))
        return exp.Cast(this=days, to=exp.DataType.build("DOUBLE")), []

    def day_diff(self, start: exp.Expr, end: exp.Expr) -> exp.Expr:
        """Whole days from DATE ``start`` to DATE ``end``."""
        if self.d == "postgres":
            return _bin(exp.Sub, end, start)
        return exp.DateDiff(this=end, expression=start, unit=exp.var("DAY"))

    def time_of_day(self, ts: exp.Expr) -> exp.Expr:
        """The time of day of a TIMESTAMP, in a form that compares in time order."""
        if self.d == "spark":
            return exp.TimeToStr(this=ts, format=text("%H:%M:%S.%f"))
        return exp.Cast(this=ts, to=exp.DataType.build("TIME"))

    def f_domain(self, node: Call, outs: list[_Out], kinds: list[str]) -> tuple[exp.Expr, list[tuple[exp.Expr, str]]]:
        x = outs[0].value
        pattern = "^.*@" if self.d == "postgres" else "(?s)^.*@"
        after = exp.RegexpReplace(this=x, expression=text(pattern), replacement=text(""))
        stripped = self.strip(after)
        lowered = self.lower(stripped)
        return case([(_eq(exp.StrPosition(this=x, substr=text("@")), exp.Literal.number(0)), null("VARCHAR")), (_eq(stripped, text("")), null("VARCHAR"))], lowered), []

    def strip(self, x: exp.Expr) -> exp.Expr:
        """Python's ``str.strip()``: the Unicode whitespace at both ends."""
        cls = "[" + _WHITESPACE + "]+"
        return exp.RegexpReplace(this=x, expression=text(f"^{cls}|{cls}$"), replacement=text(""))

    def lower(self, x: exp.Expr) -> exp.Expr:
        """Python's ``str.lower()`` (full Unicode case mapping) in this dialect."""
        return py_lower(x, self.d)

    def upper(self, x: exp.Expr) -> exp.Expr:
        """Python's ``str.upper()`` (full Unicode case mapping: ``ß`` is ``SS``) in this dialect."""
        return py_upper(x, self.d)

    def f_lower(self, node: Call, outs: list[_Out], kinds: list[str]) -> tuple[exp.Expr, list[tuple[exp.Expr, str]]]:
        return self.lower(outs[0].value), []

    def f_upper(self, node: Call, outs: list[_Out], kinds: list[str]) -> tuple[exp.Expr, list[tuple[exp.Expr, str]]]:
        return self.upper(outs[0].value), []

    def f_len(self, node: Call, outs: list[_Out], kinds: list[str]) -> tuple[exp.Expr, list[tuple[exp.Expr, str]]]:
        o = outs[0]
        if kinds[0] == "str":
            size: exp.Expr = exp.Length(this=o.value)
        elif o.items is not None:
            size = exp.Literal.number(len(o.items))
            if o.nullable_items:
                size = case([(_is_null(o.value), null("DOUBLE"))], size)
        else:
            size = self.array_size(o.value)
        return exp.Cast(this=size, to=exp.DataType.build("DOUBLE")), []

    def parts(self, o: _Out, kind: str) -> tuple[list[exp.Expr] | None, exp.Expr | None]:
        """The lowered parts of a text-or-list argument: a list of SQL texts (known items), or an ARRAY to test item by item."""
        if kind == "str":
            if isinstance(o.value, exp.Literal) and o.value.is_string:
                return [text(o.value.this.lower())], None  # a constant: lowered by Python itself
            return [self.lower(o.value)], None
        if o.items is not None:
            found: list[exp.Expr] = []
            for item, item_kind in o.items:
                if isinstance(item, exp.Literal) and item.is_string:
                    found.append(text(item.this.lower()))
                elif item_kind == "str":
                    found.append(self.lower(item))
                else:
                    raise self.unsupported("a list of numbers or booleans read as text")
            return found, None
        return None, o.value

    def text_test(self, outs: list[_Out], kinds: list[str], test: Callable[[exp.Expr, exp.Expr], exp.Expr]) -> exp.Expr:
        """``any(test(s.lower(), part) for part in parts)``: NULL when ``s`` or the parts are missing."""
        s = self.lower(outs[0].value)
        known, array = self.parts(outs[1], kinds[1])
        missing = _or(_is_null(outs[0].value), _is_null(outs[1].value))
        if known is not None:
            found = _or(*[test(s, p) for p in known]) if known else exp.false()
        else:
            assert array is not None
            found = self.exists(array, lambda p: test(s, self.lower(p)))
        return case([(missing, null("BOOLEAN"))], is_true(found))

    def exists(self, array: exp.Expr, test: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
        """Whether ``test`` holds for an item of ``array``."""
        p = exp.to_identifier("p")
        if self.d == "duckdb":
            return exp.GT(this=exp.func("LEN", exp.ArrayFilter(this=array, expression=exp.Lambda(this=test(exp.column("p")), expressions=[p])), copy=False), expression=exp.Literal.number(0))
        if self.d == "spark":
            return exp.func("EXISTS", array, exp.Lambda(this=test(exp.column("p")), expressions=[p]), copy=False)
        if self.d in ("postgres", "bigquery"):
            sub = exp.select("1").from_(exp.Unnest(expressions=[array], alias=exp.TableAlias(this=exp.to_identifier("u"), columns=[p]))).where(test(exp.column("p", table="u")))
            return exp.Exists(this=sub)
        raise self.unsupported("a text test over the items of a list field")

    def f_contains(self, node: Call, outs: list[_Out], kinds: list[str]) -> tuple[exp.Expr, list[tuple[exp.Expr, str]]]:
        return self.text_test(outs, kinds, lambda s, p: exp.GT(this=exp.StrPosition(this=s, substr=p), expression=exp.Literal.number(0))), []

    f_contains_any = f_contains

    def f_startswith(self, node: Call, outs: list[_Out], kinds: list[str]) -> tuple[exp.Expr, list[tuple[exp.Expr, str]]]:
        return self.text_test(outs, kinds, lambda s, p: _eq(exp.Left(this=s, expression=exp.Length(this=p)), p)), []

    def f_endswith(self, node: Call, outs: list[_Out], kinds: list[str]) -> tuple[exp.Expr, list[tuple[exp.Expr, str]]]:
        return self.text_test(outs, kinds, lambda s, p: _eq(exp.Right(this=s, expression=exp.Length(this=p)), p)), []

    def f_min(self, node: Call, outs: list[_Out], kinds: list[str]) -> tuple[exp.Expr, list[tuple[exp.Expr, str]]]:
        return self.extreme(exp.Least, outs, kinds), []

    def f_max(self, node: Call, outs: list[_Out], kinds: list[str]) -> tuple[exp.Expr, list[tuple[exp.Expr, str]]]:
        return self.extreme(exp.Greatest, outs, kinds), []

    def extreme(self, cls: type[exp.Expr], outs: list[_Out], kinds: list[str]) -> exp.Expr:
        values = [self.as_num(o.value, k) for o, k in zip(outs, kinds)]
        return case([(_or(*[_is_null(v) for v in values]), null("DOUBLE"))], cls(this=values[0], expressions=values[1:]))

    def f_abs(self, node: Call, outs: list[_Out], kinds: list[str]) -> tuple[exp.Expr, list[tuple[exp.Expr, str]]]:
        return _abs(self.as_num(outs[0].value, kinds[0])), []

    def f_round(self, node: Call, outs: list[_Out], kinds: list[str]) -> tuple[exp.Expr, list[tuple[exp.Expr, str]]]:
        x = self.as_num(outs[0].value, kinds[0])
        integral = node.args[0].type.integral or kinds[0] == "bool"
        if len(node.args) == 1:
            errs: list[tuple[exp.Expr, str]] = []
            if not integral:  # round() of a float is an integer: infinity and NaN have none
                errs = [(exp.GT(this=_abs(x), expression=num(DBL_MAX)), NUMBER_TOO_LARGE), (self.is_nan(x), INVALID)]
            return self.round_whole(x), errs
        digits = node.args[1]
        if not (isinstance(digits, Const) and isinstance(digits.value, int) and not isinstance(digits.value, bool)):
            raise self.unsupported("round() to a number of digits that is not a constant")
        n = digits.value
        if integral and n >= 0:
            return x, []
        if n < 0:
            if -n > 308:  # beyond every finite DOUBLE: 0 (Python's round(1e308, -309)); infinity and NaN stay
                return case([(_is_null(x), null("DOUBLE")), (_or(exp.GT(this=_abs(x), expression=num(DBL_MAX)), self.is_nan(x)), x)], num(0.0)), []
            if -n > 22:  # 10**-n is no exact DOUBLE: x / 10**-n would round twice (round(5e25, -23) gave 0, Python 5e25)
                raise self.unsupported(f"round() to {n} digits")
            m = num(10.0 ** -n)
            return case([(_or(exp.GT(this=_abs(x), expression=num(DBL_MAX)), self.is_nan(x)), x)], _bin(exp.Mul, self.round_whole(_bin(exp.Div, x, m)), m)), []
        if n == 0:
            return case([(_or(exp.GT(this=_abs(x), expression=num(DBL_MAX)), self.is_nan(x)), x)], self.round_whole(x)), []
        if n > 11:
            raise self.unsupported(f"round() to {n} digits")
        return self.round_digits(x, n), []

    def round_whole(self, x: exp.Expr) -> exp.Expr:
        """``x`` rounded to a whole number, half to even (a tie is exactly .5 away: 2 * round(x / 2) is the even one)."""
        tie = _eq(_abs(self.fraction(x)), num(0.5))
        return case([(tie, _bin(exp.Mul, num(2.0), exp.Round(this=_bin(exp.Div, x, num(2.0)))))], exp.Round(this=x))

    def fraction(self, x: exp.Expr) -> exp.Expr:
        """``x`` less its whole part (exact)."""
        if self.d in ("duckdb", "spark"):
            return self.fmod(x, num(1.0))
        return _bin(exp.Sub, x, exp.func("TRUNC", x, copy=False))

    def round_digits(self, x: exp.Expr, n: int) -> exp.Expr:
        """Python's ``round(x, n)`` of a float for 1 <= n <= 11: the exact value of ``x`` rounded half to even.

        ``p = x * 10**n`` is rounded; Dekker's product (``x`` split in two
        halves of 26 bits, ``10**n`` fits in 26) gives its exact error, which
        says on which side of a tie the exact product is.
        """
        m = num(10.0**n)
        p = _bin(exp.Mul, x, m)
        c = _bin(exp.Mul, num(134217729.0), x)
        xh = _bin(exp.Sub, c, _bin(exp.Sub, c, x))
        xl = _bin(exp.Sub, x, xh)
        err = _bin(exp.Add, _bin(exp.Sub, _bin(exp.Mul, xh, m), p), _bin(exp.Mul, xl, m))
        half = case([(exp.GT(this=p, expression=num(0.0)), num(0.5))], num(-0.5))
        away = _bin(exp.Add, p, half)
        toward = _bin(exp.Sub, p, half)
        same_side = exp.GT(this=_bin(exp.Mul, err, p), expression=num(0.0))
        tie_k = case([(_eq(err, num(0.0)), _bin(exp.Mul, num(2.0), exp.Round(this=_bin(exp.Div, p, num(2.0))))), (same_side, away)], toward)
        k = case([(_eq(_abs(self.fraction(p)), num(0.5)), tie_k)], exp.Round(this=p))
        special = _or(exp.GTE(this=_abs(p), expression=num(2.0**52)), self.is_nan(x))
        return case([(special, x)], _bin(exp.Div, k, m))

    def is_nan(self, x: exp.Expr) -> exp.Expr:
        if self.d == "bigquery":
            return exp.func("IS_NAN", x, copy=False)
        return _eq(x, num(math.nan))  # NaN equals NaN in DuckDB, Spark, PostgreSQL and Snowflake

    # -- conversions ------------------------------------------------------------------------------
    def as_num(self, value: exp.Expr, kind: str) -> exp.Expr:
        """A number or a boolean as a DOUBLE (True is 1, False 0)."""
        if kind == "bool":
            return case([(is_true(value), num(1.0)), (is_true(exp.Not(this=_p(value))), num(0.0))], null("DOUBLE"))
        return value

    def truth(self, value: exp.Expr, kind: str) -> exp.Expr:
        """Python's ``bool()`` of a value as a SQL BOOLEAN (NULL stays NULL)."""
        if kind == "bool":
            return value
        if kind == "num":
            return exp.NEQ(this=_p(value), expression=num(0.0))
        if kind == "str":
            return exp.GT(this=exp.Length(this=value), expression=exp.Literal.number(0))
        if kind in ("list", "events"):
            return exp.GT(this=self.array_size(value), expression=exp.Literal.number(0))
        if kind in ("date", "datetime"):
            return case([(_not_null(value), exp.true())], null("BOOLEAN"))
        raise self.unsupported(f"the truth of a value of kind {kind}")


_WHITESPACE = "".join(
    chr(c) for c in (*range(0x09, 0x0E), *range(0x1C, 0x21), 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)
)
"""Every character Python's ``str.strip()`` removes (``str.isspace()``), for a regular expression's class."""


def _parenthesised(tree: exp.Expr) -> exp.Expr:
    """``tree`` with every operator operand of an operator in parentheses (sqlglot writes the tree as built)."""

    def wrap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, (exp.Binary, exp.Not, exp.Neg, exp.Is)) and not isinstance(node, exp.Dot):
            for key in ("this", "expression"):
                child = node.args.get(key)
                if isinstance(child, (exp.Binary, exp.Not, exp.Neg, exp.Is)) and not isinstance(child, exp.Dot):
                    node.set(key, exp.Paren(this=child))
        return node

    return tree.transform(wrap, copy=False)


# -- the contract ----------------------------------------------------------------------------------------


def compile_expr(ctx: Ctx, node: Expr, where: str) -> Val:
    """``node`` as SQL over ``ctx.env``; ``where`` is the criterion id (for :meth:`Ctx.unsupported`)."""
    compiler = _Compiler(ctx, where)
    out = compiler.out(node)
    if compiler.mixed:  # refused when an ARRAY of mixed items is left in the SQL (every engine would fail on it)
        for part in (out.value, *(cond for cond, _ in out.errs)):
            found = next((a for a in part.find_all(exp.Array) if _MIXED in a.meta), None)
            if found is not None:
                raise compiler.unsupported(found.meta[_MIXED])
    error = any_true([cond for cond, _ in out.errs])
    return Val(_parenthesised(out.value), None if error is None else _parenthesised(error))


def truth(ctx: Ctx, val: Val, node: Expr) -> Val:
    """A criterion's value as a SQL BOOLEAN (NULL: unknown), as Python's ``bool()`` of the value reads it."""
    return Val(_parenthesised(_Compiler(ctx, "").truth(val.value, node.type.kind)), val.error)


def error_message(ctx: Ctx, crit: Criterion) -> exp.Expr:
    """VARCHAR: the message of the issue of criterion ``crit`` when its expression raised (``_runtime.runtime_issue``).

    The first error Python would meet, reading the expression as it
    evaluates it; a constant when the expression can raise in one way only.
    """
    assert crit.expr is not None
    errs = _Compiler(ctx, crit.id).out(crit.expr).errs
    messages = list(dict.fromkeys(message for _, message in errs))
    if len(messages) <= 1:
        return text(ERROR_PREFIX + (messages[0] if messages else INVALID))
    return _parenthesised(case([(is_true(cond), text(ERROR_PREFIX + message)) for cond, message in errs], text(ERROR_PREFIX + INVALID)))

