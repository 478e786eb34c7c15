"""Expressions in plain words: the one place that turns a rule into a sentence.

``leadspec render`` (the agreement), ``diff`` (what changed) and
explanations (``needs …``) all word a criterion with :func:`sentence`, so
the same criterion never reads two ways. A condition reads as a phrase
that fits after "needs": ``employees from 50 to 5,000``, ``at least one
demo_request event in the last 30 days``, ``industry one of
target_industries ('saas', 'fintech', 'healthcare')``, ``title
containing any of ('student', 'intern') (any case)``. Functions are worded by
their entry in the registry (:attr:`leadspec._functions.Function.words`
and ``truth``), operators here.

Negation is pushed inwards (``not (a and b)`` is ``not a or not b``,
``not x < 5`` is ``x at least 5``): each step holds in the three-valued
logic of the rules, so the words mean what the expression means, unknown
included. A form with no words is shown as code, in backticks, on
purpose: the truth of a date (``signed_up``) is one, and ``not title``
for text (empty text is a missing value, so it never passes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from ._expr import brief
from ._functions import FUNCTIONS
from ._model import number_text
from .plan import Arith, BoolOp, Call, Compare, Const, Criterion, Expr, FlagName, In, ListName, ListOf, Name, Negate, Not, Plan, unparse

__all__ = ["Words", "duration", "listing", "member", "missing_policy", "number"]

SHOWN = 20
"""List members named in one sentence; the rest are counted (``and 12 more``)."""


def number(value: Any) -> str:
    """A number as people read it: thousands separated (``5,000``, ``1,234.5``); never raises (an integer too long to
    print shows its size)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        return f"{value:,}" if isinstance(value, (int, float)) and abs(value) >= 1000 else str(value)
    except ValueError:
        return number_text(value)


def member(value: Any) -> str:
    """A value as people read it: text always quoted (``'US'``, so it never reads as a field's name; shortened when
    long), numbers as :func:`number`, booleans ``true``/``false``."""
    if isinstance(value, _Raw):
        return str(value)
    if isinstance(value, str):
        return brief(value) if len(value) > 80 else repr(value)
    if isinstance(value, (int, float)):
        return number(value)
    if value is None:
        return "unknown"
    return str(value)


def listing(values: Sequence[Any], last: str = ", ", shown: int | None = SHOWN) -> str:
    """``a, b, c`` (``last``: what joins the last two) — at most ``shown`` of them (None: all), then how many more."""
    items = [member(v) for v in (values if shown is None else values[:shown])]
    if len(items) < len(values):
        return ", ".join(items) + f" and {len(values) - len(items):,} more"
    if len(items) > 1 and last != ", ":
        return ", ".join(items[:-1]) + last + items[-1]
    return ", ".join(items)


_UNITS = (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def duration(delta: timedelta) -> str:
    """A duration in words: ``30 days``, ``1 week``, ``15 minutes``, ``36 hours``."""
    seconds = delta.total_seconds()
    for unit, size in _UNITS:
        if seconds and seconds % size == 0:
            n = int(seconds // size)
            return f"{n:,} {unit}{'s' if n != 1 else ''}"
    return f"{seconds:g} seconds"


def missing_policy(policy: str) -> str:
    """A criterion's ``missing:`` policy in words (empty for the default, ``unknown``)."""
    return {"pass": "when unknown: counts as passed", "fail": "when unknown: counts as failed"}.get(policy, "")


_OPS = {"<": "below", "<=": "at most", ">": "above", ">=": "at least", "==": "equal to", "!=": "other than"}
_NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "==", "in": "not in", "not in": "in"}
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}  # a OP b is b FLIPPED[OP] a
_ARITH = {"+": "plus", "-": "minus", "*": "times", "/": "divided by", "%": "modulo", "**": "to the power of"}
_OPTIONAL = re.compile(r"\[([^|\]]*)\|([^\]]*)\]")


class Words:
    """Words for the expressions of one rule file (its named lists are shown with their members).

    ``shown``: the members of a list named in a sentence (None: all of them); ``code``: the marks around a form that
    has no words (backticks; the agreement page uses its own marks, so a backtick in a value is never read as code).
    """

    def __init__(self, lists: Mapping[str, Sequence[Any]], shown: int | None = SHOWN, code: tuple[str, str] = ("`", "`")) -> None:
        self.lists = lists
        self.shown = shown
        self.marks = code

    @classmethod
    def of(cls, plan: Plan, shown: int | None = SHOWN, code: tuple[str, str] = ("`", "`")) -> Words:
        return cls({named.name: named.values for named in plan.lists}, shown, code)

    # -- criteria ---------------------------------------------------------------------------

    def sentence(self, crit: Criterion) -> str:
        """What a criterion with an expression needs, in words (a nested condition has none: its group says it)."""
        return self.condition(crit.expr) if crit.expr is not None else ""

    # -- conditions -------------------------------------------------------------------------

    def condition(self, node: Expr, negated: bool = False) -> str:
        """``node`` as a condition in words (``negated``: its negation)."""
        return self._condition(node, negated)[0]

    def _condition(self, node: Expr, negated: bool) -> tuple[str, str | None]:
        """The words, and the connective that joins their parts at the top (``and``/``or``; None: one part), so that a
        group inside the other kind of group is marked (``either … or …``)."""
        if isinstance(node, Not):
            return self._condition(node.operand, not negated)
        if isinstance(node, BoolOp):
            return self._bool(node, negated)
        if isinstance(node, Compare):
            return self._compare(node, negated)
        if isinstance(node, In):
            return self._membership(node.item, node.container, node.negated != negated), None
        if isinstance(node, Const):
            if node.value is None:
                return "never (the value is unknown)", None
            return ("never" if bool(node.value) == negated else "always"), None
        if isinstance(node, Call):
            fn = FUNCTIONS[node.fn]
            if fn.truth is not None:
                return self._format(node, fn.truth[1 if negated else 0]), None
            if fn.counts_events:
                return self._count(node, "==" if negated else ">", 0), None
        kind = node.type.kind
        if kind == "bool" or isinstance(node, FlagName):  # unknown is neither: `not x` passes only when x is false
            return f"{self.value(node)} {'false' if negated else 'true'}", None
        if kind in ("str", "list") and not negated:
            return f"{self.value(node)} not empty", None
        if kind == "num":
            return f"{self.value(node)} {'zero' if negated else 'not zero'}", None
        # no words: the truth of a date (true whenever it has a value), and `not title` for text or a list, which
        # never passes when empty text and an empty list are missing values (unknown), as by default
        return self.code(Not(node, node.type) if negated else node), None

    def _bool(self, node: BoolOp, negated: bool) -> tuple[str, str | None]:
        op = {"and": "or", "or": "and"}[node.op] if negated else node.op
        parts = []
        marked = False
        for value in node.values:
            text, inner = self._condition(value, negated)
            if inner is not None and inner != op:  # a group inside the other kind of group: say where it starts
                group = value.operand if isinstance(value, Not) else value
                many = isinstance(group, BoolOp) and len(group.values) > 2
                text = (("all of " if inner == "and" else "any of ") if many else ("both " if inner == "and" else "either ")) + text
                marked = True
            parts.append(text)
        if any(_lists(part) for part in parts):  # a part lists values: semicolons keep the parts apart
            return "; ".join(parts[:-1]) + f"; {op} " + parts[-1], op
        if marked:  # and where it ends: a comma before this group's own connective
            return ", ".join(parts[:-1]) + f", {op} " + parts[-1], op
        if len(parts) == 2:
            return f"{parts[0]} {op} {parts[1]}", op
        return ", ".join(parts[:-1]) + f" {op} " + parts[-1], op

    def _compare(self, node: Compare, negated: bool) -> tuple[str, str | None]:
        ops, operands = node.ops, node.operands
        if len(ops) == 1:
            op = _NEGATED[ops[0]] if negated else ops[0]
            return self._relation(operands[0], op, operands[1]), None
        if len(ops) == 2 and isinstance(operands[0], Const) and isinstance(operands[2], Const) and not isinstance(operands[1], Const):
            rising = all(op in ("<", "<=") for op in ops)
            if rising or all(op in (">", ">=") for op in ops):
                low, high = (operands[0], operands[2]) if rising else (operands[2], operands[0])
                low_op, high_op = (ops[0], ops[1]) if rising else (_FLIPPED[ops[1]], _FLIPPED[ops[0]])  # low LOW_OP x HIGH_OP high
                return self._range(operands[1], low, low_op, high, high_op, negated)
        pairs = [(operands[i], op, operands[i + 1]) for i, op in enumerate(ops)]
        if negated:  # a chain is false when one pair is false: its negation, any pair negated
            return " or ".join(self._relation(a, _NEGATED[op], b) for a, op, b in pairs), "or"
        return " and ".join(self._relation(a, op, b) for a, op, b in pairs), "and"

    def _range(self, subject: Expr, low: Const, low_op: str, high: Const, high_op: str, negated: bool) -> tuple[str, str | None]:
        name, unit = self._subject(subject)
        a, b = self.value(low), self.value(high)
        if negated:  # not (low <= x <= high): x below low, or above high
            return f"{name} {_OPS[_FLIPPED[_NEGATED[low_op]]]} {a}{unit} or {_OPS[_NEGATED[high_op]]} {b}{unit}", "or"
        if low_op == "<=" and high_op == "<=":
            return f"{name} from {a} to {b}{unit}", None
        return f"{name} {_OPS[_FLIPPED[low_op]]} {a}{unit} and {_OPS[high_op]} {b}{unit}", "and"

    def _relation(self, left: Expr, op: str, right: Expr) -> str:
        """``left OP right`` in words, the side that is not a constant first."""
        if op in ("in", "not in"):
            return self._membership(left, right, op == "not in")
        if isinstance(left, Const) and not isinstance(right, Const):
            left, right, op = right, left, _FLIPPED[op]
        if isinstance(left, Call) and FUNCTIONS[left.fn].counts_events and _is_number(right):
            return self._count(left, op, right.value)  # type: ignore[union-attr]
        name, unit = self._subject(left)
        if unit and _is_number(right):
            how = {"==": "exactly", "!=": "not exactly", "<": "less than", ">": "more than"}.get(op, _OPS[op])
            return f"{name} {how} {self.value(right)}{unit}"
        return f"{self.value(left)} {_OPS[op]} {self.value(right)}"

    def _count(self, call: Call, op: str, n: Any) -> str:
        """``count(types, within) OP n`` in words: ``at least one demo_request event in the last 30 days``."""
        events, window = self._events(call)
        if isinstance(n, bool) or not isinstance(n, (int, float)):  # pragma: no cover - the checker compares counts with numbers
            return f"{self.value(call)} {_OPS[op]} {self.value(Const(n, call.type))}"

        def some(k: Any) -> str:
            return f"one {events} event" if k == 1 else f"{number(k)} {events} events"

        none = f"no {events} events"
        if op == ">=":
            core = f"any number of {events} events" if n <= 0 else f"at least {some(n)}"
        elif op == ">":
            core = f"at least {some(1)}" if n == 0 else f"more than {some(n)}"
        elif op == "<=":
            core = none if n == 0 else f"at most {some(n)}"
        elif op == "<":
            core = none if n == 1 else f"fewer than {some(n)}"
        elif op == "==":
            core = none if n == 0 else f"exactly {some(n)}"
        else:
            core = f"at least {some(1)}" if n == 0 else f"a number of {events} events other than {number(n)}"
        return core + window

    def _membership(self, item: Expr, container: Expr, negated: bool) -> str:
        kind = container.type.kind
        if kind == "str":  # text inside text
            return f"{self.value(container)} {'not containing' if negated else 'containing'} {self.value(item)} (matching case)"
        if isinstance(container, Name) or (kind == "list" and not isinstance(container, (ListName, ListOf, Const))):
            return f"{self.value(container)} {'not including' if negated else 'including'} {self.value(item)}"
        return f"{self.value(item)} {'not one of' if negated else 'one of'} {self.value(container)}"

    # -- values -----------------------------------------------------------------------------

    def value(self, node: Expr) -> str:
        """``node`` as a value in words: ``employees``, ``'US'``, ``the engagement score``, ``revenue divided by employees``.

        Text is quoted and field names are not, so ``title == country`` and ``title == 'country'`` read apart; a
        list is in parentheses (``('vp', 'c_level')``), so its commas never run into the words around it."""
        if isinstance(node, Const):
            value = node.value
            return f"({listing(value, shown=self.shown)})" if isinstance(value, tuple) else member(value)
        if isinstance(node, Name):
            return node.id
        if isinstance(node, ListName):
            return f"{node.id} ({listing(self.lists.get(node.id, ()), shown=self.shown)})"
        if isinstance(node, FlagName):
            return f"flag {node.id}"
        if isinstance(node, ListOf):
            return "(" + ", ".join(self.value(item) for item in node.items) + ")"
        if isinstance(node, Negate):
            return self.value(node.operand) if node.op == "+" else f"minus {self._operand(node.operand, '-', True)}"
        if isinstance(node, Arith):
            left, right = self._operand(node.left, node.op, False), self._operand(node.right, node.op, True)
            if node.op == "*" and node.type.kind in ("str", "list"):
                text, times = (left, right) if node.left.type.kind in ("str", "list") else (right, left)  # 2 * title is title * 2
                return f"{text} repeated {times} times"
            if node.op == "//":
                return f"{left} divided by {right} rounded down"
            word = "followed by" if node.op == "+" and node.type.kind in ("str", "list") else _ARITH[node.op]
            return f"{left} {word} {right}"
        if isinstance(node, Call):
            return self._format(node, FUNCTIONS[node.fn].words)
        return f"whether {self.condition(node)}"  # a condition used as a value (``(a > b) == True``)

    def _operand(self, node: Expr, parent: str, right: bool) -> str:
        """An operand of arithmetic, in parentheses when it is other arithmetic (words have no precedence to lean
        on); the same operation on the left reads on (``a plus b plus c``)."""
        text = self.value(node)
        if isinstance(node, Arith) and (node.op != parent or right or parent == "**"):
            return f"({text})"
        if isinstance(node, Negate) and node.op == "-":
            return f"({text})"
        return text

    def _subject(self, node: Expr) -> tuple[str, str]:
        """What a comparison with a number is about, and the unit after the number (``the last demo_request event``, `` days ago``)."""
        if isinstance(node, Call):
            fn = FUNCTIONS[node.fn]
            if fn.unit is not None:
                return self.value(node.args[0]), f" {fn.unit}"
        return self.value(node), ""

    def _events(self, call: Call) -> tuple[str, str]:
        """The event types of an event function (their declared names, not quoted), and its window in words."""
        types = [_Raw(t) for t in call.events or ()]
        events = listing(types, " or ", shown=self.shown)
        if call.events_from is not None:
            events = f"{call.events_from} ({events})"
        return events, f" in the last {duration(call.within)}" if call.within is not None else ""

    def _format(self, call: Call, template: str) -> str:
        fn = FUNCTIONS[call.fn]
        if fn.takes == "score_name":
            args = [str(call.args[0].value) if isinstance(call.args[0], Const) else self.value(call.args[0])]
        else:
            args = [self._argument(a, fn.params[min(i, len(fn.params) - 1)]) for i, a in enumerate(call.args)]

        def optional(match: re.Match[str]) -> str:
            wanted = [int(i) for i in re.findall(r"\{(\d+)\}", match.group(1))]
            return match.group(1) if all(i < len(args) for i in wanted) else match.group(2)

        events, window = self._events(call) if fn.takes == "events" else ("", "")
        every = listing([_Raw(a) for a in args], " and ", shown=None)
        return _OPTIONAL.sub(optional, template).format(*args, all=every, events=events, window=window)

    def _argument(self, node: Expr, param: str) -> str:
        text = self.value(node)
        if param == "strs" and node.type.kind == "list":
            return f"any of {text}"
        return text

    def code(self, node: Expr) -> str:
        """A form with no words, shown as code on purpose."""
        return f"{self.marks[0]}{unparse(node)}{self.marks[1]}"


class _Raw(str):
    """Words already written, listed as they are (:func:`member` quotes text that is not one word)."""

    __slots__ = ()


_INNER = re.compile(r"\([^()]*\)|'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def _lists(text: str) -> bool:
    """Whether ``text`` lists values with commas outside parentheses and quotes (``country one of US, CA``)."""
    while True:
        bare = _INNER.sub("", text)
        if bare == text:
            return ", " in text
        text = bare


def _is_number(node: Expr) -> bool:
    return isinstance(node, Const) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
