"""The reference interpreter: simpleeval, taught three-valued logic.

This walks a checked tree node by node with :class:`simpleeval.SimpleEval`
machinery. It is the executable definition of the semantics that the
generated code must match (the tests compare them on generated leads),
and it computes the values explanations show (``because`` placeholders,
``count(...)`` in a criterion's values), which are needed only when a
caller asks for them.
"""

from __future__ import annotations

import ast
import operator as op
from datetime import datetime
from typing import TYPE_CHECKING, Any

import simpleeval

from . import _functions as fn

if TYPE_CHECKING:  # _expr folds constants with the interpreter
    from ._expr import Checked

_COMPARE = {
    ast.Lt: op.lt,
    ast.LtE: op.le,
    ast.Gt: op.gt,
    ast.GtE: op.ge,
    ast.Eq: op.eq,
    ast.NotEq: op.ne,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_ARITH = {
    ast.Add: fn.SAFE_OPS["add"],
    ast.Sub: op.sub,
    ast.Mult: fn.SAFE_OPS["mult"],
    ast.Div: op.truediv,
    ast.FloorDiv: op.floordiv,
    ast.Mod: op.mod,
    ast.Pow: fn.SAFE_OPS["pow"],
}


def truth(value: Any) -> bool | None:
    """A value as a three-valued truth: None stays unknown."""
    return None if value is None else bool(value)


class Interpreter(simpleeval.EvalWithCompoundTypes):
    """Evaluate checked expressions for one lead.

    Holds no state that changes while evaluating, so one interpreter can
    serve several threads. simpleeval's own ``__init__`` builds a table of
    bound methods per instance; here the table is built once per class,
    which makes an interpreter cheap enough to create per result.
    """

    def __init__(
        self,
        checked: Checked | None,
        values: dict[str, Any],
        lists: dict[str, tuple[Any, ...]],
        scores: dict[str, Any],
        events: list[Any] | None,
        as_of: datetime,
        event_args: dict[int, Any] | None = None,
    ) -> None:
        self.operators = _SIMPLEEVAL_OPERATORS
        self.functions: dict[str, Any] = {}
        self.names: dict[str, Any] = {}
        self.allowed_attrs = None
        self.ATTR_INDEX_FALLBACK = simpleeval.ATTR_INDEX_FALLBACK
        self.expr = ""
        self.checked = checked
        self.event_args = event_args if event_args is not None else (checked.event_args if checked else {})
        self.values = values
        self.lists = lists
        self.scores = scores
        self.events = events
        self.as_of = as_of

    def run(self, node: ast.expr | None = None) -> Any:
        """Evaluate the expression, or one node of it (or of another checked expression of the same rules)."""
        if node is None:
            assert self.checked is not None
            node = self.checked.tree
        return self._eval(node)

    def _eval(self, node: Any) -> Any:
        handler = _HANDLERS.get(type(node))
        if handler is None:  # pragma: no cover - the checker lets no other node through
            raise simpleeval.FeatureNotAvailable(f"Sorry, {type(node).__name__} is not available in this evaluator")
        result = handler(self, node)
        self._check_disallowed_items(result)
        return result

    def _eval_name(self, node: ast.Name) -> Any:
        if node.id in self.lists:
            return self.lists[node.id]
        return self.values.get(node.id)

    def _eval_tuple(self, node: ast.Tuple) -> Any:
        return tuple(self._eval(e) for e in node.elts)

    _eval_list = _eval_tuple

    def _eval_boolop(self, node: ast.BoolOp) -> Any:
        decisive = isinstance(node.op, ast.Or)  # True decides `or`, False decides `and`
        unknown = False
        for value in node.values:
            t = truth(self._eval(value))
            if t is decisive:
                return decisive
            unknown = unknown or t is None
        return None if unknown else not decisive

    def _eval_unaryop(self, node: ast.UnaryOp) -> Any:
        value = self._eval(node.operand)
        if value is None:
            return None
        if isinstance(node.op, ast.Not):
            return not value
        return -value if isinstance(node.op, ast.USub) else +value

    def _eval_binop(self, node: ast.BinOp) -> Any:
        left, right = self._eval(node.left), self._eval(node.right)
        if left is None or right is None:
            return None
        return _ARITH[type(node.op)](left, right)

    def _eval_compare(self, node: ast.Compare) -> Any:
        if len(node.ops) == 1:  # the left side decides first: a missing value needs no right side
            left = self._eval(node.left)
            if left is None:
                return None
            right = self._eval(node.comparators[0])
            return None if right is None else _COMPARE[type(node.ops[0])](left, right)
        operands = [self._eval(node.left)] + [self._eval(c) for c in node.comparators]
        unknown = False
        for cmp, a, b in zip(node.ops, operands, operands[1:]):
            if a is None or b is None:
                unknown = True
            elif not _COMPARE[type(cmp)](a, b):
                return False
        return None if unknown else True

    def _eval_call(self, node: ast.Call) -> Any:
        name = node.func.id  # type: ignore[attr-defined]
        if name in ("count", "last", "first"):
            types, within = self.event_args[id(node)]
            if name == "count":
                return fn.count(self.events, types, fn.window_start(self.as_of, within), self.as_of)
            return (fn.last if name == "last" else fn.first)(self.events, types, self.as_of)
        if name == "score":
            return self.scores[node.args[0].value]  # type: ignore[attr-defined]
        args = [self._eval(a) for a in node.args]
        if name == "days_since":
            return fn.days_since(args[0], self.as_of)
        return fn.PLAIN[name](*args)


_SIMPLEEVAL_OPERATORS = dict(simpleeval.DEFAULT_OPERATORS)
_HANDLERS: dict[type, Any] = {
    ast.Name: Interpreter._eval_name,
    ast.Constant: lambda self, node: simpleeval.SimpleEval._eval_constant(node),
    ast.Tuple: Interpreter._eval_tuple,
    ast.List: Interpreter._eval_list,
    ast.BoolOp: Interpreter._eval_boolop,
    ast.UnaryOp: Interpreter._eval_unaryop,
    ast.BinOp: Interpreter._eval_binop,
    ast.Compare: Interpreter._eval_compare,
    ast.Call: Interpreter._eval_call,
}


def interpret(
    checked: Checked,
    values: dict[str, Any],
    lists: dict[str, tuple[Any, ...]],
    scores: dict[str, Any],
    events: list[dict[str, Any]] | None,
    as_of: datetime,
    node: ast.expr | None = None,
) -> Any:
    """Evaluate ``checked`` (or one of its nodes) for a lead's coerced values."""
    return Interpreter(checked, values, lists, scores, events, as_of).run(node)
