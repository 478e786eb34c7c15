"""The expression interpreter: plan expressions evaluated node by node, in three-valued logic.

This is the executable definition of what an expression means, written
as plainly as the docs say it: a missing value is ``None`` (unknown) and
spreads through operators and functions; ``and``/``or`` are Kleene's;
operators on text and lists and powers use simpleeval's safe versions
(bounded sizes). The generated code must compute exactly the same (the
tests compare them on generated expressions and leads); constants are
folded at load with it, and explanations compute the values they show
(``because`` placeholders, ``count(...)`` in a criterion's values) with it.
Built-in functions come from the registry
(:data:`leadspec._functions.FUNCTIONS`), each with its ``evaluate``.
"""

from __future__ import annotations

import operator as op
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Callable

from . import _functions as fn
from .plan import Arith, BoolOp, Call, Compare, Const, Expr, FlagName, In, ListName, ListOf, Name, Negate, Not

COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": op.lt,
    "<=": op.le,
    ">": op.gt,
    ">=": op.ge,
    "==": op.eq,
    "!=": op.ne,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}
"""The comparison operators on two known values."""

ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": fn.SAFE_OPS["add"],
    "-": op.sub,
    "*": fn.SAFE_OPS["mult"],
    "/": op.truediv,
    "//": op.floordiv,
    "%": op.mod,
    "**": fn.SAFE_OPS["pow"],
}
"""The arithmetic operators on two known values (``+``, ``*`` and ``**`` bounded by simpleeval's limits)."""


def truth(value: Any) -> bool | None:
    """A value as a three-valued truth: None stays unknown."""
    return None if value is None else bool(value)


class Interpreter:
    """Evaluates plan expressions for one lead's coerced values.

    Holds no state that changes while evaluating, so one interpreter can
    serve several threads.
    """

    __slots__ = ("values", "lists", "scores", "events", "as_of", "flags")

    def __init__(
        self,
        values: Mapping[str, Any],
        lists: Mapping[str, tuple[Any, ...]],
        scores: Mapping[str, Any],
        events: list[Any] | None,
        as_of: datetime,
        flags: Mapping[str, bool | None] | None = None,
    ) -> None:
        self.values = values
        self.lists = lists
        self.scores = scores
        self.events = events
        self.as_of = as_of
        self.flags: Mapping[str, bool | None] = flags or {}
        """Each flag's outcome (after its ``missing:`` policy), by name: what a :class:`FlagName` reads."""

    def run(self, node: Expr) -> Any:
        """The value of ``node``: None when unknown; an exception when the expression fails for this lead."""
        return _EVAL[type(node)](self, node)

    def _const(self, node: Const) -> Any:
        return node.value

    def _name(self, node: Name) -> Any:
        return self.values.get(node.id)

    def _flag_name(self, node: FlagName) -> Any:
        return self.flags.get(node.id)

    def _list_name(self, node: ListName) -> Any:
        return self.lists[node.id]

    def _list_of(self, node: ListOf) -> Any:
        items = tuple(self.run(e) for e in node.items)  # every item, left to right
        return None if None in items else items  # a missing item: the list is unknown

    def _bool_op(self, node: BoolOp) -> Any:
        decisive = node.op == "or"  # True decides `or`, False decides `and`
        unknown = False
        for value in node.values:
            t = truth(self.run(value))
            if t is decisive:
                return decisive
            unknown = unknown or t is None
        return None if unknown else not decisive

    def _not(self, node: Not) -> Any:
        value = self.run(node.operand)
        return None if value is None else not value

    def _negate(self, node: Negate) -> Any:
        value = self.run(node.operand)
        if value is None:
            return None
        return -value if node.op == "-" else +value

    def _arith(self, node: Arith) -> Any:
        left, right = self.run(node.left), self.run(node.right)
        if left is None or right is None:
            return None
        return ARITH[node.op](left, right)

    def _compare(self, node: Compare) -> Any:
        if len(node.ops) == 1:  # the left side decides first: a missing value needs no right side
            return self._pair(node.ops[0], node.operands[0], node.operands[1])
        values = [self.run(o) for o in node.operands]
        unknown = False
        for symbol, a, b in zip(node.ops, values, values[1:]):
            if a is None or b is None:
                unknown = True
            elif not COMPARE[symbol](a, b):
                return False
        return None if unknown else True

    def _in(self, node: In) -> Any:
        return self._pair("not in" if node.negated else "in", node.item, node.container)

    def _pair(self, symbol: str, a: Expr, b: Expr) -> Any:
        left = self.run(a)
        if left is None:
            return None
        right = self.run(b)
        return None if right is None else COMPARE[symbol](left, right)

    def _call(self, node: Call) -> Any:
        function = fn.FUNCTIONS[node.fn]
        args = [self.run(a) for a in node.args] if function.takes == "values" else []
        return function.evaluate(node, args, self)


_EVAL: dict[type, Callable[[Interpreter, Any], Any]] = {
    Const: Interpreter._const,
    Name: Interpreter._name,
    ListName: Interpreter._list_name,
    FlagName: Interpreter._flag_name,
    ListOf: Interpreter._list_of,
    BoolOp: Interpreter._bool_op,
    Not: Interpreter._not,
    Negate: Interpreter._negate,
    Arith: Interpreter._arith,
    Compare: Interpreter._compare,
    In: Interpreter._in,
    Call: Interpreter._call,
}


def interpret(
    expr: Expr,
    values: Mapping[str, Any],
    lists: Mapping[str, tuple[Any, ...]],
    scores: Mapping[str, Any],
    events: list[Any] | None,
    as_of: datetime,
    flags: Mapping[str, bool | None] | None = None,
) -> Any:
    """Evaluate ``expr`` for a lead's coerced values (and its flags' outcomes)."""
    return Interpreter(values, lists, scores, events, as_of, flags).run(expr)
