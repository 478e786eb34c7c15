"""Parse and check expressions at load time (docs/expressions.md).

An expression is parsed with :func:`simpleeval.SimpleEval.parse`, then
walked once: every construct must be one the language allows, every name
a declared field or list, every function a built-in with the right
arguments; obvious type mismatches and enum values that are not declared
are refused, and constant sub-expressions are folded with simpleeval's
limits (so ``9**9**9`` fails here, at load, not on the first lead).

The result, :class:`Checked`, is the folded tree plus what the code
generator and the explanations need: the static type and nullability of
every node, the fields, lists and scores it reads, and the resolved
arguments of event functions.
"""

from __future__ import annotations

import ast
import difflib
import re
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Final

import simpleeval

from . import plan as _plan
from ._functions import FUNCTIONS
from ._interp import Interpreter
from ._model import MAX_INT_BITS, FieldSpec, parse_duration

MAX_EXPRESSION = 2000
"""Longest expression accepted, in characters."""

MAX_DEPTH = 100
"""Deepest nesting of an expression (operators, calls and lists inside each other)."""

MAX_CONSTANT = 100_000
"""Largest total size of the constants computed at load in one expression (characters of text plus items of lists)."""

MAX_FILE_CONSTANTS = 10_000_000
"""Largest total size of the constants computed at load in one rule file."""

MAX_FILE_NODES = 50_000
"""Most operators, names and calls in all the expressions of one rule file (literals not counted).

Checking and compiling cost time in proportion to them: a file of 2,000
criteria each a 95-term sum (190,000) took 37 s to load; this many load
in about 2 s.
"""


# static kinds of values
NUM: Final = "num"
STR: Final = "str"
BOOL: Final = "bool"
DATE: Final = "date"
DATETIME: Final = "datetime"
LIST: Final = "list"
EVENTS: Final = "events"
ANY: Final = "any"

FIELD_KINDS: dict[str, _plan.Kind] = {
    "string": STR,
    "integer": NUM,
    "number": NUM,
    "boolean": BOOL,
    "enum": STR,
    "date": DATE,
    "datetime": DATETIME,
    "list": LIST,
    "events": EVENTS,
}

KIND_WORDS = {
    NUM: "a number",
    STR: "text",
    BOOL: "a boolean",
    DATE: "a date",
    DATETIME: "a datetime",
    LIST: "a list",
    EVENTS: "events",
}

_NOT_ALLOWED = {
    ast.Attribute: "attribute access (x.y) is not allowed",
    ast.Subscript: "indexing (x[i]) is not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.IfExp: "`x if c else y` is not allowed",
    ast.Dict: "dict literals are not allowed",
    ast.Set: "set literals are not allowed",
    ast.NamedExpr: "assignment (:=) is not allowed",
    ast.Starred: "unpacking (*x) is not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}

_HINTS = {
    ast.JoinedStr: "; a `because` template takes {expression} placeholders",
    ast.IfExp: "; write two criteria, or use any/all",
    ast.Set: "; write a list [a, b]",
}

_NULL_WORDS = ("null", "none", "nil", "nan", "undefined")

_ORDER_OPS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_EQ_OPS = (ast.Eq, ast.NotEq)
_IN_OPS = (ast.In, ast.NotIn)
_ARITH = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)


T = _plan.Type
"""Static type of a node (the public :class:`leadspec.plan.Type`): kind, whether it can be missing, enum values,
and ``integral`` for numbers that are always whole (integer fields, ``len()``, ``count()``, whole constants, sums
of them): only those may repeat text or lists (``'ab' * 2``; ``'ab' * 2.5`` always fails)."""


def _never(op: ast.cmpop) -> str:
    """What comparing values that are never equal gives: ``==`` and ``in`` are never true, ``!=`` and ``not in`` always."""
    return "this is always true" if isinstance(op, (ast.NotEq, ast.NotIn)) else "this is never true"


@dataclass
class ExprProblem:
    code: str
    message: str
    start: int  # character offsets into the expression text
    end: int


@dataclass
class Budget:
    """How much of :data:`MAX_FILE_CONSTANTS` and :data:`MAX_FILE_NODES` the expressions of one rule file have used."""

    used: int = 0
    nodes: int = 0


@dataclass
class Context:
    """What an expression may refer to."""

    fields: dict[str, FieldSpec]
    lists: dict[str, list[Any]]
    scores: list[str]  # score names visible here
    all_scores: list[str]
    event_types: tuple[str, ...] | None  # declared types, or None for any
    events_field: str | None  # the single events field, when there is one
    events_fields: list[str]
    broken: frozenset[str] = frozenset()  # fields whose spec is broken: known names of any type
    budget: Budget = field(default_factory=Budget)  # shared by the expressions of one file
    fold: bool = True  # False: keep constant sub-expressions as written (the reference of the fuzz tests)
    in_flag: bool = False  # checking a flag: flags are evaluated before every score


@dataclass
class Checked:
    """A checked, folded expression."""

    text: str
    tree: ast.expr
    types: dict[int, T]
    fields: list[str] = field(default_factory=list)
    lists: list[str] = field(default_factory=list)
    scores: list[str] = field(default_factory=list)
    uses_events: bool = False
    event_args: dict[int, tuple[tuple[str, ...], timedelta | None, str | None]] = field(default_factory=dict)  # types as written, window, list name
    expr: Any = None  # the checked tree as a public plan expression (leadspec.plan)

    def type_of(self, node: ast.AST) -> T:
        return self.types[id(node)]


def suggest(name: str, candidates: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean 'employees'?)`` or an empty string."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in candidates}
        if name.lower() in lowered:
            close = [lowered[name.lower()]]
    if not close and len(name) >= 3:  # a shortened word: 'telecom' for 'telecommunications', when only one starts so
        starting = [c for c in candidates if c.lower().startswith(name.lower())]
        close = starting if len(starting) == 1 else []
    return f" (did you mean {close[0]!r}?)" if close else ""


CONTROLS = [*range(0x00, 0x20), *range(0x7F, 0xA1), 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000]
"""The characters :func:`quoted` writes as escapes: control characters, and the Unicode spaces and separators
(Python's ``str.split`` whitespace but the space)."""
CONTROL_SET = frozenset(CONTROLS)
SHORT_ESCAPES = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}


def quoted(value: str) -> str:
    """Text in quotes as ``repr`` writes it, with a rule every engine can compute: only control characters and
    Unicode spaces are escaped.

    ``repr`` escapes every character ``str.isprintable`` rejects, which
    depends on the Unicode version (unassigned code points, format and
    private-use characters): no SQL engine can tell those apart. This keeps
    ``repr``'s quotes and its escapes of backslashes, quotes, tabs, line
    breaks and control characters, and writes other characters as they
    are. Results show a bad text value with it; the SQL backend computes
    the same text.
    """
    quote = '"' if "'" in value and '"' not in value else "'"
    out = []
    for ch in value:
        code = ord(ch)
        if ch == "\\" or ch == quote:
            out.append("\\" + ch)
        elif code in SHORT_ESCAPES:
            out.append(SHORT_ESCAPES[code])
        elif code in CONTROL_SET:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return quote + "".join(out) + quote


def shorten(text: str, limit: int = 80) -> str:
    """``text`` on one line, cut to about ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def brief(value: Any, limit: int = 80) -> str:
    """A short repr of any value, safe for huge numbers and long text or lists."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"<a {value.bit_length():,}-bit integer>"
    if isinstance(value, str) and len(value) > limit:
        return repr(value[: limit - 10]) + f"… ({len(value):,} characters)"
    if isinstance(value, tuple):
        items = [brief(v, 20) for v in value[:5]]
        more = f", … ({len(value):,} items)" if len(value) > 5 else ""
        return "[" + ", ".join(items) + more + "]"
    return shorten(repr(value), limit)


def size_of(value: Any) -> int:
    """Size of a constant against :data:`MAX_CONSTANT`: characters of text, items (and their characters) of a list."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, tuple):
        return len(value) + sum(len(v) for v in value if isinstance(v, str))
    return 1


def _estimate(node: ast.expr, values: list[Any]) -> tuple[int, int]:
    """(size, integer bits) of the result of folding ``node`` over ``values``, computed without building it."""
    if isinstance(node, ast.BinOp) and len(values) == 2:
        a, b = values
        ints = [v for v in values if isinstance(v, int)]
        seqs = [v for v in values if isinstance(v, (str, tuple))]
        if isinstance(node.op, ast.Mult) and len(seqs) == 1 and len(ints) == 1:
            return size_of(seqs[0]) * max(ints[0], 0), 0
        if isinstance(node.op, ast.Add) and len(seqs) == 2:
            return size_of(a) + size_of(b), 0
        if len(ints) == 2:
            bits = [abs(v).bit_length() for v in ints]
            if isinstance(node.op, ast.Mult):
                return 1, sum(bits)
            if isinstance(node.op, (ast.Add, ast.Sub)):
                return 1, max(bits) + 1
    return max([size_of(v) for v in values] or [1]), 0


def _depth(tree: ast.AST) -> int:
    """How deeply expressions nest in ``tree`` (iteratively: a deep tree must not exhaust the stack here)."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        for child in ast.iter_child_nodes(node):
            stack.append((child, level + 1 if isinstance(child, ast.expr) else level))
    return deepest


_FOLDER = Interpreter({}, {}, {}, None, datetime(2000, 1, 1, tzinfo=timezone.utc))
"""Folds constant sub-expressions with exactly the semantics of evaluation (no names, no events: never used)."""


class _Fail(Exception):
    pass


class Checker:
    def __init__(self, text: str, ctx: Context) -> None:
        self.text = text
        self.ctx = ctx
        self.problems: list[ExprProblem] = []
        self.types: dict[int, T] = {}
        self.result: Checked | None = None
        self._encoded = text.encode("utf-8")
        self._lead = len(text) - len(text.lstrip())
        self._stripped = text.strip()
        self._computed = False  # whether folding built text or a list
        self.nodes = 0  # operators, names and calls visited (literals not counted)

    # -- positions -------------------------------------------------------
    def _offset(self, byte_offset: int) -> int:
        return len(self._encoded[:byte_offset].decode("utf-8", errors="ignore"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self._offset(getattr(node, "col_offset", 0))
        end_b = getattr(node, "end_col_offset", None)
        end = self._offset(end_b) if end_b is not None else start + 1
        return start, max(end, start + 1)

    def source(self, node: ast.AST, limit: int = 80) -> str:
        """The text of ``node`` as written (never an unparse of a folded constant), shortened."""
        if "\n" not in self._stripped and "\r" not in self._stripped:
            start, end = self.span(node)
            text = self.text[start:end]
        else:  # offsets are per line: let ast find the segment (node offsets are shifted by the lead)
            class _At:
                lineno = getattr(node, "lineno", 1)
                end_lineno = getattr(node, "end_lineno", None)
                col_offset = getattr(node, "col_offset", 0) - self._lead
                end_col_offset = (getattr(node, "end_col_offset", None) or 0) - self._lead

            text = ast.get_source_segment(self._stripped, _At) or ""  # type: ignore[arg-type]
        return shorten(text or "the expression", limit)

    def describe(self, node: ast.AST, t: T) -> str:
        text = self.source(node)
        return f"{text} ({KIND_WORDS.get(t.kind, t.kind)})" if t.kind != ANY else text

    def date_hint(self, a: ast.AST, ta: T, b: ast.AST, tb: T) -> str:
        """For a date compared with text: how to say it (there is no date literal)."""
        for x, tx, ty in ((a, ta, tb), (b, tb, ta)):
            if tx.kind in (DATE, DATETIME) and ty.kind == STR:
                return f"; compare its age in days instead, e.g. `days_since({self.source(x)}) <= 90` (there are no date literals)"
        return ""

    def error(self, node: ast.AST, code: str, message: str) -> None:
        start, end = self.span(node)
        self.problems.append(ExprProblem(code, message, start, end))

    # -- entry -----------------------------------------------------------
    def check(self) -> Checked | None:
        text = self.text
        if self.ctx.budget.nodes > MAX_FILE_NODES:  # said at the expression that crossed the limit: the file is refused
            return None
        if len(text) > MAX_EXPRESSION:
            self.problems.append(
                ExprProblem("too-long", f"expression is {len(text):,} characters; the limit is {MAX_EXPRESSION:,}", 0, 1)
            )
            return None
        if not text.strip():
            self.problems.append(ExprProblem("syntax", "the expression is empty", 0, 1))
            return None
        try:
            with warnings.catch_warnings():  # "invalid decimal literal" and the like: the syntax error says it
                warnings.simplefilter("ignore")
                parsed = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            problem = syntax_problem(text.strip(), exc)
            lead = len(text) - len(text.lstrip())
            problem.start += lead
            problem.end += lead
            self.problems.append(problem)
            return None
        except (RecursionError, MemoryError, ValueError) as exc:
            self.problems.append(ExprProblem("syntax", f"expression cannot be parsed: {exc}", 0, 1))
            return None
        depth = _depth(parsed.body) if len(text) > MAX_DEPTH else 0  # each level takes a character at least
        if depth > MAX_DEPTH:
            self.problems.append(
                ExprProblem("too-deep", f"expression is nested {depth} levels deep; the limit is {MAX_DEPTH}: split it into several criteria", 0, 1)
            )
            return None
        lead = len(text) - len(text.lstrip())
        if lead:
            for node in ast.walk(parsed):
                if hasattr(node, "col_offset"):
                    node.col_offset += lead
                    if getattr(node, "end_col_offset", None) is not None:
                        node.end_col_offset += lead  # type: ignore[attr-defined]
        self.result = Checked(text=text.strip(), tree=parsed.body, types=self.types)
        try:
            tree = self.visit(parsed.body)
        except RecursionError:
            self.problems.append(ExprProblem("too-deep", "expression is nested too deeply", 0, 1))
            return None
        if self.problems:
            return None
        budget = self.ctx.budget
        budget.nodes += self.nodes
        if budget.nodes > MAX_FILE_NODES:
            self.problems.append(
                ExprProblem(
                    "too-large",
                    f"the expressions of this rule file have more than {MAX_FILE_NODES:,} operators, names and calls "
                    f"(this one brings the total to {budget.nodes:,}): split the rules into several files, or use lists and scores "
                    "instead of long sums and chains",
                    0,
                    len(text.rstrip()) or 1,
                )
            )
            return None
        if self._computed:
            total = sum(size_of(n.value) for n in ast.walk(tree) if isinstance(n, ast.Constant))
        else:  # literals only: their size is at most their text's (a walk of every tree cost 10% of a big load)
            total = len(text)
        if total > MAX_CONSTANT:
            self.problems.append(
                ExprProblem(
                    "too-large",
                    f"the constants of this expression add up to {total:,} characters and list items; the limit is {MAX_CONSTANT:,}: "
                    "put long lists under `lists:` and name them",
                    0,
                    len(text.rstrip()) or 1,
                )
            )
            return None
        before = self.ctx.budget.used
        self.ctx.budget.used += total
        if self.ctx.budget.used > MAX_FILE_CONSTANTS >= before:  # said once, at the expression that crosses the limit
            self.problems.append(
                ExprProblem(
                    "too-large",
                    f"the constants of this rule file add up to more than {MAX_FILE_CONSTANTS:,} characters and list items; "
                    "put long lists under `lists:` and name them",
                    0,
                    len(text.rstrip()) or 1,
                )
            )
            return None
        self.result.tree = tree
        self.result.expr = self.lower(tree)
        return self.result

    # -- lowering: the checked ast as the plan's nodes ------------------------
    def lower(self, node: ast.expr) -> _plan.Expr:
        """The checked, folded ``node`` as a :mod:`leadspec.plan` expression (every node with its type)."""
        t = self.types[id(node)]
        if isinstance(node, ast.Constant):
            return _plan.Const(node.value, t)  # type: ignore[arg-type]  # the checker lets only these constants through
        if isinstance(node, ast.Name):
            if node.id in self.ctx.fields:
                return _plan.Name(node.id, t)
            return _plan.ListName(node.id, t)
        if isinstance(node, (ast.Tuple, ast.List)):
            return _plan.ListOf(tuple(self.lower(e) for e in node.elts), t)
        if isinstance(node, ast.BoolOp):
            return _plan.BoolOp("or" if isinstance(node.op, ast.Or) else "and", tuple(self.lower(v) for v in node.values), t)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return _plan.Not(self.lower(node.operand), t)
            return _plan.Negate("-" if isinstance(node.op, ast.USub) else "+", self.lower(node.operand), t)
        if isinstance(node, ast.BinOp):
            return _plan.Arith(_OP_SYMBOLS[type(node.op)], self.lower(node.left), self.lower(node.right), t)  # type: ignore[arg-type]
        if isinstance(node, ast.Compare):
            if len(node.ops) == 1 and isinstance(node.ops[0], _IN_OPS):
                return _plan.In(self.lower(node.left), self.lower(node.comparators[0]), isinstance(node.ops[0], ast.NotIn), t)
            ops = tuple(_CMP_SYMBOLS[type(op)] for op in node.ops)
            return _plan.Compare(ops, tuple(self.lower(o) for o in [node.left, *node.comparators]), t)  # type: ignore[arg-type]
        if isinstance(node, ast.Call):
            name = node.func.id  # type: ignore[attr-defined]
            text = ast.unparse(node) if FUNCTIONS[name].observed else None  # explanations show its value under this
            assert self.result is not None
            if id(node) in self.result.event_args:
                types, within, listed = self.result.event_args[id(node)]
                return _plan.Call(name, (), t, events=types, within=within, events_from=listed, text=text)
            if FUNCTIONS[name].takes == "score_name":
                arg = node.args[0]
                return _plan.Call(name, (_plan.Const(arg.value, T(STR, nullable=False)),), t, text=text)  # type: ignore[attr-defined]
            return _plan.Call(name, tuple(self.lower(a) for a in node.args), t, text=text)
        raise TypeError(f"cannot lower {type(node).__name__}")  # pragma: no cover - the checker lets no other node through

    # -- helpers ---------------------------------------------------------
    def typed(self, node: ast.expr, t: T) -> ast.expr:
        self.types[id(node)] = t
        return node

    def const(self, node: ast.expr, value: Any) -> ast.expr:
        new = ast.copy_location(ast.Constant(value=value), node)
        new.end_col_offset = getattr(node, "end_col_offset", None)
        if value is None:  # folded to a missing value: unknown, of the type the operation has
            kind = self.types[id(node)].kind if id(node) in self.types else ANY
            return self.typed(new, T(kind, nullable=True))
        return self.typed(new, T(_kind_of_value(value), nullable=False, integral=isinstance(value, int)))

    def fold(self, node: ast.expr, children: list[ast.expr]) -> ast.expr:
        """Replace an operation on constants by its value, computed as evaluation would (the reference interpreter).

        A missing value stays unknown (``domain('x') != 'y'`` folds to
        unknown, not to True). Sizes are estimated before anything is
        built: text and lists above :data:`MAX_CONSTANT`, integers above
        :data:`MAX_INT_BITS` bits are refused.
        """
        if not self.ctx.fold or not all(isinstance(c, ast.Constant) for c in children):
            return node
        values = [c.value for c in children]  # type: ignore[attr-defined]
        size, bits = _estimate(node, values)
        if size > MAX_CONSTANT:
            self.error(
                node,
                "too-large",
                f"{self.source(node)} would be {size:,} characters or list items; constants computed at load are limited to "
                f"{MAX_CONSTANT:,}: put long lists under `lists:` and name them",
            )
            raise _Fail
        if bits > MAX_INT_BITS:
            self.error(node, "too-large", f"{self.source(node)} would have about {bits:,} bits; numbers computed at load are limited to {MAX_INT_BITS:,} bits")
            raise _Fail
        try:
            value = _FOLDER.run(self.lower(node))
        except simpleeval.NumberTooHigh as exc:
            self.error(node, "too-large", f"{self.source(node)} is too large to compute: {exc}")
            raise _Fail from None
        except simpleeval.IterableTooLong:
            limit = f"{simpleeval.MAX_STRING_LENGTH:,}"
            self.error(node, "too-large", f"{self.source(node)} is too long: text and lists above {limit} items are refused")
            raise _Fail from None
        except ZeroDivisionError:
            self.error(node, "constant-error", f"{self.source(node)} divides by zero")
            raise _Fail from None
        except (TypeError, ValueError, OverflowError, ArithmeticError) as exc:
            self.error(node, "type-mismatch", f"{self.source(node)} cannot be computed: {shorten(str(exc))}")
            raise _Fail from None
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
            self.error(node, "too-large", f"{self.source(node)} has {value.bit_length():,} bits; numbers computed at load are limited to {MAX_INT_BITS:,} bits")
            raise _Fail
        if size_of(value) > MAX_CONSTANT:  # pragma: no cover - estimated above
            self.error(node, "too-large", f"{self.source(node)} is longer than {MAX_CONSTANT:,} characters or list items")
            raise _Fail
        self._computed = self._computed or isinstance(value, (str, tuple))
        return self.const(node, value)

    # -- visitors --------------------------------------------------------
    def visit(self, node: ast.expr) -> ast.expr:
        if type(node) is not ast.Constant:
            self.nodes += 1
        try:
            method = getattr(self, "visit_" + type(node).__name__, None)
            if method is None:
                what = _NOT_ALLOWED.get(type(node), f"{type(node).__name__} is not allowed")
                self.error(node, "not-allowed", f"{what} in leadspec expressions{_HINTS.get(type(node), '')}")
                raise _Fail
            result: ast.expr = method(node)
            return result
        except _Fail:
            return self.typed(node, T(ANY))

    def visit_Constant(self, node: ast.Constant) -> ast.expr:
        if node.value is None:
            self.error(node, "none-literal", "None is not a value here; use has(field) to test whether a field has a value")
            raise _Fail
        if not isinstance(node.value, (bool, int, float, str)):
            self.error(node, "not-allowed", f"{type(node.value).__name__} literals are not allowed")
            raise _Fail
        return self.typed(node, T(_kind_of_value(node.value), nullable=False, integral=isinstance(node.value, int)))

    def visit_Name(self, node: ast.Name) -> ast.expr:
        name, ctx = node.id, self.ctx
        if name in ctx.fields:
            spec = ctx.fields[name]
            assert self.result is not None
            if name not in self.result.fields:
                self.result.fields.append(name)
            if name in ctx.broken:  # declared but its spec is broken (reported): any type
                return self.typed(node, T(ANY))
            values = tuple(spec.values) if spec.type == "enum" and spec.values else None
            # always nullable: a bad value counts as missing even when the field has a default
            return self.typed(node, T(FIELD_KINDS[spec.type], nullable=True, values=values, integral=spec.type == "integer"))
        if name in ctx.lists:
            assert self.result is not None
            if name not in self.result.lists:
                self.result.lists.append(name)
            return self.typed(node, T(LIST, nullable=False))
        if name in FUNCTIONS:
            self.error(node, "function-as-name", f"{name} is a function; call it: {name}(...)")
            raise _Fail
        candidates = list(ctx.fields) + list(ctx.lists)
        if name.lower() in ("true", "false"):
            self.error(node, "unknown-name", f"unknown name {name!r}: the booleans are written `True` and `False`")
            raise _Fail
        if name.lower() in _NULL_WORDS:
            self.error(node, "unknown-name", f"`{name}` is not a value in leadspec: a missing value is tested with has(x) or not has(x)")
            raise _Fail
        close = suggest(name, candidates)
        text = "" if close else f", or quote it if it is text: '{name}'"  # `deal_stage == Won`
        self.error(node, "unknown-name", f"unknown name {name!r}{close}; declare it under fields, lists or flags{text}")
        raise _Fail

    def visit_List(self, node: ast.List | ast.Tuple) -> ast.expr:
        elts = [self.visit(e) for e in node.elts]
        for e in elts:
            if self.types[id(e)].kind in (LIST, EVENTS):
                self.error(e, "type-mismatch", "lists cannot be nested")
                raise _Fail
        if all(isinstance(e, ast.Constant) for e in elts):
            values = tuple(e.value for e in elts)  # type: ignore[attr-defined]
            if any(v is None for v in values):  # an item folded to a missing value: the list is unknown
                self.typed(node, T(LIST, nullable=True))
                return self.const(node, None)
            return self.const(node, values)
        new = ast.copy_location(ast.Tuple(elts=elts, ctx=ast.Load()), node)
        new.end_col_offset = getattr(node, "end_col_offset", None)
        # a list with a missing item is unknown (not a list with a hole): it can be missing when an item can
        return self.typed(new, T(LIST, nullable=any(self.types[id(e)].nullable for e in elts)))

    visit_Tuple = visit_List

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.expr:
        node.values = [self.visit(v) for v in node.values]
        nullable = any(self.types[id(v)].nullable for v in node.values)
        self.typed(node, T(BOOL, nullable=nullable))
        return self.fold(node, node.values)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        node.operand = self.visit(node.operand)
        t = self.types[id(node.operand)]
        if isinstance(node.op, ast.Not):
            self.typed(node, T(BOOL, nullable=t.nullable))
        elif isinstance(node.op, (ast.USub, ast.UAdd)):
            if t.kind not in (NUM, ANY, BOOL):
                self.error(node, "type-mismatch", f"cannot negate {self.describe(node.operand, t)}")
                raise _Fail
            self.typed(node, T(NUM, nullable=t.nullable, integral=t.integral or t.kind == BOOL))
        else:
            self.error(node, "not-allowed", "bitwise operators are not allowed")
            raise _Fail
        return self.fold(node, [node.operand])

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        if not isinstance(node.op, _ARITH):
            self.error(node, "not-allowed", "bitwise and shift operators are not allowed")
            raise _Fail
        node.left, node.right = self.visit(node.left), self.visit(node.right)
        lt, rt = self.types[id(node.left)], self.types[id(node.right)]
        kind = _arith_kind(node.op, lt.kind, rt.kind)
        if kind is None:
            sym = _OP_SYMBOLS[type(node.op)]
            self.error(node, "type-mismatch", f"cannot compute {self.describe(node.left, lt)} {sym} {self.describe(node.right, rt)}")
            raise _Fail
        if isinstance(node.op, ast.Mult) and kind in (STR, LIST):
            count, ct = (node.right, rt) if lt.kind == kind else (node.left, lt)
            if not ct.integral:
                what = "text" if kind == STR else "a list"
                self.error(
                    node,
                    "type-mismatch",
                    f"cannot repeat {what} {self.describe(count, ct)} times: it may not be a whole number; "
                    "repeat by an integer field, len(), count() or a whole number",
                )
                raise _Fail
        if isinstance(node.op, ast.Add) and kind == LIST:
            sides = [self.item_kinds(node.left), self.item_kinds(node.right)]
            if all(len(k) == 1 and "other" not in k for k in sides) and sides[0] != sides[1]:
                joined = [next(iter(k)) for k in sides]
                self.error(
                    node,
                    "type-mismatch",
                    f"cannot join a list of {joined[0]} with a list of {joined[1]}: a list holds items of one kind",
                )
                raise _Fail
        whole = all(t.integral or t.kind == BOOL for t in (lt, rt)) and isinstance(node.op, _WHOLE_OPS)
        self.typed(node, T(kind, nullable=lt.nullable or rt.nullable, integral=kind == NUM and whole))
        return self.fold(node, [node.left, node.right])

    def item_kinds(self, node: ast.expr) -> set[str]:
        """What the items of the list ``node`` are ("numbers", "booleans", "text", "dates", "datetimes"), as far as known
        at load: a list field's items are text; an empty set when it has none or they cannot be told."""
        names = {NUM: "numbers", BOOL: "booleans", STR: "text", DATE: "dates", DATETIME: "datetimes"}
        values: list[Any] | None = self.list_items(node)
        if values is not None:
            constants = {bool: "booleans", int: "numbers", float: "numbers", str: "text"}
            return {constants.get(type(v), "other") for v in values}
        if isinstance(node, ast.Name) and node.id in self.ctx.fields:
            return {"text"}  # a list field: text items
        if isinstance(node, ast.Tuple):
            return {names.get(self.types[id(e)].kind, "other") for e in node.elts}
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.item_kinds(node.left) | self.item_kinds(node.right)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            return self.item_kinds(node.left if self.types[id(node.left)].kind == LIST else node.right)
        return set()

    def has_items(self, node: ast.expr) -> bool:
        """Whether the list ``node`` always has an item: written with some (``[i]``, a named list that has values), or
        joined from such a list (a list repeated may be empty: ``[i] * 0``; a list field may be)."""
        values = self.list_items(node)
        if values is not None:
            return bool(values)
        if isinstance(node, ast.Tuple):
            return bool(node.elts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.has_items(node.left) or self.has_items(node.right)
        return False

    def _is_null(self, node: ast.expr) -> bool:
        """Whether ``node`` is how another language writes a missing value: ``None``, or ``null``/``NULL``/``nil`` not declared."""
        if isinstance(node, ast.Constant):
            return node.value is None
        return isinstance(node, ast.Name) and node.id.lower() in _NULL_WORDS and node.id not in self.ctx.fields and node.id not in self.ctx.lists

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.Is, ast.IsNot, ast.Eq, ast.NotEq)):
            (op,), left, right = node.ops, node.left, node.comparators[0]
            if self._is_null(left) != self._is_null(right):
                other, null = (right, left) if self._is_null(left) else (left, right)
                test = f"has({self.source(other)})"
                negated = isinstance(op, (ast.Is, ast.Eq))
                fix = f"not {test}" if negated else test
                word = self.source(null)
                code = "none-literal" if isinstance(null, ast.Constant) else "unknown-name"
                self.error(null, code, f"`{word}` is not a value in leadspec: a missing value is tested with has(); write `{fix}`")
                raise _Fail
        for op in node.ops:
            if not isinstance(op, _ORDER_OPS + _EQ_OPS + _IN_OPS):
                self.error(node, "not-allowed", "`is` is not allowed; compare with == (`x == 'a'`), or test for a value with has(x)")
                raise _Fail
        node.left = self.visit(node.left)
        node.comparators = [self.visit(c) for c in node.comparators]
        operands = [node.left] + node.comparators
        ok = True
        for op, a, b in zip(node.ops, operands, operands[1:]):
            ok = self.check_compare(op, a, b) and ok
        if not ok:
            raise _Fail
        nullable = any(self.types[id(o)].nullable for o in operands)
        self.typed(node, T(BOOL, nullable=nullable))
        return self.fold(node, operands)

    def check_compare(self, op: ast.cmpop, a: ast.expr, b: ast.expr) -> bool:
        ta, tb = self.types[id(a)], self.types[id(b)]
        if isinstance(op, _IN_OPS):
            if tb.kind == STR:
                if ta.kind not in (STR, ANY):
                    self.error(a, "type-mismatch", f"`in` text needs text on the left, not {self.describe(a, ta)}")
                    return False
                return True
            if tb.kind not in (LIST, ANY):
                self.error(b, "type-mismatch", f"`in` needs a list or text on the right, not {self.describe(b, tb)}")
                return False
            if ta.kind == LIST:
                self.error(a, "type-mismatch", f"{self.describe(a, ta)} cannot be a member of a list; use contains_any() to test for shared values")
                return False
            items = self.list_items(b)
            if items is None:
                return True
            return self.check_members(a, ta, b, items, op)
        if ta.kind == ANY or tb.kind == ANY:
            return True
        if isinstance(op, _ORDER_OPS):
            if ta.kind != tb.kind or ta.kind in (BOOL, LIST, EVENTS):
                self.error(
                    b if isinstance(b, ast.Constant) else a,
                    "type-mismatch",
                    f"cannot compare {self.describe(a, ta)} with {self.describe(b, tb)}{self.date_hint(a, ta, b, tb)}",
                )
                return False
            return True
        # == and !=
        if {ta.kind, tb.kind} == {NUM, BOOL}:
            return True
        if ta.kind != tb.kind or EVENTS in (ta.kind, tb.kind):
            self.error(
                b if isinstance(b, ast.Constant) else a,
                "type-mismatch",
                f"cannot compare {self.describe(a, ta)} with {self.describe(b, tb)}; {_never(op)}{self.date_hint(a, ta, b, tb)}",
            )
            return False
        if ta.kind == LIST:  # two lists: equal only when their items are (a number never equals a text, nor a date a datetime)
            sides = [self.item_kinds(a), self.item_kinds(b)]
            never = all(len(k) == 1 and "other" not in k for k in sides) and sides[0] != sides[1] and sides[0] | sides[1] != {"numbers", "booleans"}
            if never and (self.has_items(a) or self.has_items(b)):  # (two lists that may both be empty may be equal)
                kinds = [next(iter(k)) for k in sides]
                self.error(
                    b if isinstance(b, ast.Constant) else a,
                    "type-mismatch",
                    f"cannot compare a list of {kinds[0]} ({self.source(a)}) with a list of {kinds[1]} ({self.source(b)}); {_never(op)}",
                )
                return False
        for x, tx, y in ((a, ta, b), (b, tb, a)):
            if tx.values is not None and isinstance(y, ast.Constant):
                return self.check_members(x, tx, y, [y.value], op)
        return True

    def list_items(self, node: ast.expr) -> list[Any] | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, tuple):
            return list(node.value)
        if isinstance(node, ast.Name) and node.id in self.ctx.lists:
            return list(self.ctx.lists[node.id])
        return None

    def check_members(self, left: ast.expr, lt: T, where: ast.expr, items: list[Any], op: ast.cmpop) -> bool:
        """``op``: the comparison (``not in`` with members of another kind is always true, not never: :func:`_never`)."""
        ok = True
        said = _never(op)
        if lt.kind == NUM and any(isinstance(i, str) for i in items):
            self.error(where, "type-mismatch", f"{self.describe(left, lt)} is compared with text values; {said}")
            return False
        if lt.kind == STR and any(not isinstance(i, str) for i in items):
            self.error(where, "type-mismatch", f"{self.describe(left, lt)} is compared with numbers; {said}")
            return False
        if lt.kind in (BOOL, DATE, DATETIME) and any(isinstance(i, str) for i in items):
            self.error(where, "type-mismatch", f"{self.describe(left, lt)} is compared with text values; {said}")
            return False
        if lt.values is not None:
            for item in items:
                if item not in lt.values:
                    hint = suggest(str(item), lt.values)
                    allowed = ", ".join(lt.values)
                    source = f" (in list {where.id})" if isinstance(where, ast.Name) else ""
                    self.error(
                        where,
                        "enum-value",
                        f"{brief(item)}{source} is not a value of {self.source(left)}{hint}; allowed: {allowed}",
                    )
                    ok = False
        return ok

    def visit_Call(self, node: ast.Call) -> ast.expr:
        if not isinstance(node.func, ast.Name):
            self.error(node, "not-allowed", "only the built-in functions can be called")
            raise _Fail
        name = node.func.id
        function = FUNCTIONS.get(name)
        if function is None:
            self.error(node.func, "unknown-function", f"unknown function {name!r}{suggest(name, list(FUNCTIONS))}")
            raise _Fail
        nargs = len(node.args)
        if nargs < function.min_args or (function.max_args is not None and nargs > function.max_args):
            if function.max_args is None:
                want = f"at least {function.min_args}"
            elif function.min_args == function.max_args:
                want = str(function.min_args)
            else:
                want = f"{function.min_args} to {function.max_args}"
            self.error(node, "arity", f"{name}() takes {want} argument{'s' if want != '1' else ''}, got {nargs}")
            raise _Fail
        for kw in node.keywords:
            if kw.arg not in function.keywords:
                allowed = f"; it takes {', '.join(function.keywords)}=" if function.keywords else ""
                self.error(kw.value, "arity", f"{name}() has no argument {kw.arg}={allowed}")
                raise _Fail
        if function.takes == "events":
            return self.event_call(node, name)
        if function.takes == "score_name":
            return self.score_call(node)
        node.args = [self.visit(a) for a in node.args]
        for i, arg in enumerate(node.args):
            want = function.params[min(i, len(function.params) - 1)]
            t = self.types[id(arg)]
            if not _accepts(want, t.kind):
                self.error(arg, "type-mismatch", f"{name}() cannot take {self.describe(arg, t)}")
                raise _Fail
        self.typed(node, function.type_of([self.types[id(a)] for a in node.args]))
        if function.constant:
            return self.fold(node, node.args)
        return node

    def event_call(self, node: ast.Call, name: str) -> ast.expr:
        ctx = self.ctx
        assert self.result is not None
        if ctx.events_field is None:
            if ctx.events_fields:
                self.error(node, "events-field", f"{name}() needs exactly one events field; found {', '.join(ctx.events_fields)}")
            else:
                self.error(node, "events-field", f"{name}() needs a field of type events; declare one under fields")
            raise _Fail
        arg = node.args[0]
        types: list[Any] | None = None
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            types = [arg.value]
        elif isinstance(arg, (ast.List, ast.Tuple)) and all(isinstance(e, ast.Constant) for e in arg.elts):
            types = [e.value for e in arg.elts]  # type: ignore[attr-defined]
        elif isinstance(arg, ast.Name) and arg.id in ctx.lists:
            types = list(ctx.lists[arg.id])
            if arg.id not in self.result.lists:
                self.result.lists.append(arg.id)
        if types is None or not all(isinstance(t, str) for t in types):
            self.error(arg, "type-mismatch", f"{name}() takes an event type: a text literal, a list of them or a list name")
            raise _Fail
        if ctx.event_types is not None:
            bad = [t for t in types if t not in ctx.event_types]
            for t in bad:
                self.error(
                    arg,
                    "unknown-event",
                    f"unknown event type {t!r}{suggest(t, ctx.event_types)}; declared: {', '.join(ctx.event_types)}",
                )
            if bad:
                raise _Fail
        within: timedelta | None = None
        for kw in node.keywords:
            if isinstance(kw.value, ast.Constant) and kw.value.value is None:
                continue  # within=None: no window
            if not (isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)):
                self.error(kw.value, "type-mismatch", "within= takes a duration literal such as '30d'")
                raise _Fail
            try:
                within = parse_duration(kw.value.value)
            except ValueError as exc:
                self.error(kw.value, "duration", str(exc))
                raise _Fail from None
        if ctx.events_field not in self.result.fields:
            self.result.fields.append(ctx.events_field)
        self.result.uses_events = True
        listed = arg.id if isinstance(arg, ast.Name) else None
        self.result.event_args[id(node)] = (tuple(dict.fromkeys(types)), within, listed)  # in the order written, each once
        return self.typed(node, FUNCTIONS[name].type_of([]))

    def score_call(self, node: ast.Call) -> ast.expr:
        ctx = self.ctx
        assert self.result is not None
        arg = node.args[0]
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            self.error(arg, "type-mismatch", "score() takes a score name in quotes, e.g. score('engagement')")
            raise _Fail
        if arg.value not in ctx.scores:
            if arg.value in ctx.all_scores:
                if ctx.in_flag:
                    self.error(arg, "score-order", f"a flag cannot read score {arg.value!r}: flags are evaluated before the scores (a score rule may read a flag instead)")
                else:
                    self.error(arg, "score-order", f"score {arg.value!r} is not computed yet here; a score rule may use only scores declared before it")
            else:
                self.error(arg, "unknown-score", f"unknown score {arg.value!r}{suggest(arg.value, ctx.all_scores)}")
            raise _Fail
        if arg.value not in self.result.scores:
            self.result.scores.append(arg.value)
        return self.typed(node, FUNCTIONS[node.func.id].type_of([]))  # type: ignore[attr-defined]


_WHOLE_OPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)

_CMP_SYMBOLS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in"}

_OP_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**"}


def _kind_of_value(value: Any) -> _plan.Kind:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, float)):
        return NUM
    if isinstance(value, str):
        return STR
    if isinstance(value, tuple):
        return LIST
    return ANY


def _arith_kind(op: ast.operator, a: _plan.Kind, b: _plan.Kind) -> _plan.Kind | None:
    numeric = (NUM, BOOL)
    if a == ANY or b == ANY:
        if isinstance(op, ast.Add) and STR in (a, b):
            return STR
        return ANY
    if a in numeric and b in numeric:
        return NUM
    if isinstance(op, ast.Add) and a == b and a in (STR, LIST):
        return a
    if isinstance(op, ast.Mult) and {a, b} in ({STR, NUM}, {LIST, NUM}):
        return STR if STR in (a, b) else LIST
    return None


def _accepts(want: str, kind: str) -> bool:
    if kind == ANY or want == "any":
        return True
    return {
        "str": kind == STR,
        "strs": kind in (STR, LIST),
        "num": kind in (NUM, BOOL),
        "int": kind == NUM,
        "time": kind in (DATE, DATETIME),
        "sized": kind in (STR, LIST, EVENTS),
    }.get(want, True)


# -- syntax errors that teach -------------------------------------------------

_TYPOGRAPHIC = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00b4": "'", "`": "'"}
_CLOSERS = {"(": ")", "[": "]", "{": "}"}

# operators other languages have, and what leadspec writes instead: (pattern on the text with its
# quoted text blanked out, what it is, the replacement); each replacement is applied to every occurrence
_OPERATORS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"&&"), "`&&` is not an operator in leadspec", "and"),
    (re.compile(r"\|\|"), "`||` is not an operator in leadspec", "or"),
    (re.compile(r"=<"), "`=<` is not an operator", "<="),
    (re.compile(r"=>"), "`=>` is not an operator", ">="),
    (re.compile(r"<>"), "`<>` is not an operator in leadspec", "!="),
    (re.compile(r"==="), "`===` is not an operator", "=="),
    (re.compile(r"!(?!=)"), "`!` is not an operator in leadspec", "not "),
)
_UPPER_WORDS = re.compile(r"\b(?!(?:and|or|not|in)\b)((?i:and|or|not|in))\b")
_BETWEEN = re.compile(r"(?i)(\S+)\s+between\s+(\S+)\s+and\s+(\S+)")
_OPERAND = r"""(?:\w+\([^()]*\)|'[^']*'|"[^"]*"|\[[^\[\]]*\]|[\w.]+)"""
_INFIX = re.compile(rf"({_OPERAND})\s+(contains_any|contains|startswith|endswith)\s+({_OPERAND})")
_TRAILING = re.compile(r"(?:(?<![\w.])(?i:and|or|not|in|is)|==|!=|<=|>=|<|>|\+|-|\*\*|\*|//|/|%|,)$")


_KEYWORDS = frozenset({"and", "or", "not", "in", "is", "if", "else", "for", "lambda", "None", "True", "False", "between", "contains", "AND", "OR", "NOT", "IN", "IS"})


def _blank_quoted(text: str) -> str:
    """``text`` with the inside of its quoted text replaced by spaces (same length), so patterns see only the code."""
    out = list(text)
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                out[i] = " "
                if i + 1 < len(text):
                    out[i + 1] = " "
                i += 2
                continue
            if ch == quote:
                quote = ""
            else:
                out[i] = " "
        elif ch in "'\"":
            quote = ch
        i += 1
    return "".join(out)


def _parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _as_in(fixed: str) -> str:
    """``, as in `FIXED`'' when the fixed expression can be read (and is short enough to show), else nothing."""
    shown = " ".join(line.strip() for line in fixed.splitlines())
    return f", as in `{shown}`" if len(shown) <= 120 and _parses(fixed) else ""


def _replace_all(text: str, blanked: str, pattern: re.Pattern[str], new: str) -> str:
    """``text`` with every match of ``pattern`` outside quoted text replaced by ``new`` (spaces kept as they are)."""
    out, last = [], 0
    for m in pattern.finditer(blanked):
        out.append(text[last : m.start()])
        out.append(new if not new.endswith(" ") or text[m.end() : m.end() + 1] != " " else new.rstrip())
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def syntax_problem(text: str, exc: SyntaxError) -> ExprProblem:
    """A syntax error of the (stripped) expression ``text`` as a problem that says what is wrong and how to write it.

    The caret is on the offending token, or just after the end of the
    expression when something is missing there (a trailing ``and``, an
    unclosed bracket or quote).
    """
    lines = text.split("\n")
    row = min(max((exc.lineno or 1) - 1, 0), len(lines) - 1)
    at = sum(len(line) + 1 for line in lines[:row]) + max((exc.offset or 1) - 1, 0)
    at = min(at, max(len(text) - 1, 0))
    end = len(text)
    blanked = _blank_quoted(text)
    msg = exc.msg or "invalid syntax"

    def here(message: str, start: int, stop: int | None = None) -> ExprProblem:
        return ExprProblem("syntax", message, start, max(stop if stop is not None else start + 1, start + 1))

    for i, ch in enumerate(text):  # typographic quotes (word processors put them in)
        if ch in _TYPOGRAPHIC and ch != "`" or (ch == "`" and "invalid character" not in msg and blanked[i] == "`"):
            fixed = "".join(_TYPOGRAPHIC.get(c, c) for c in text)
            return here(f"{ch} is not a quote leadspec reads: write text in straight quotes ' or \"{_as_in(fixed)}", i)
    if "\n" in text and (text[at : at + 1] == "\n" or _parses(text.replace("\n", " "))):
        first = text.index("\n") if text[at : at + 1] != "\n" else at
        return here(
            "the expression goes on after a line break, which ends it: fold the lines with `>` instead of `|`, "
            "or put the whole expression in parentheses",
            first,
        )
    closed = re.match(r"'([(\[{])' was never closed", msg)
    if closed:
        opener = closed.group(1)
        return here(f"the `{opener}` at character {at + 1} is never closed: add the missing `{_CLOSERS[opener]}`", end)
    if msg.startswith("unterminated string literal") or msg.startswith("unterminated triple-quoted"):
        quote = text[at] if at < len(text) and text[at] in "'\"" else "'"
        return here(f"the text opened by `{quote}` at character {at + 1} is never closed: add the closing `{quote}`", end)
    if msg.startswith("unmatched"):
        return here(f"{msg.removeprefix('unmatched ')} has no opening bracket to match: remove it, or add the opening one", at)
    candidates: list[tuple[int, int, str]] = []  # (start, end, message): a mistake found in the text
    between = _BETWEEN.search(blanked)
    if between:
        value, low, high = (text[between.start(i) : between.end(i)] for i in (1, 2, 3))
        chain = f"{low} <= {value} <= {high}"
        fixed = text[: between.start()] + chain + text[between.end() :]
        start = between.end(1) + blanked[between.end(1) :].lower().index("between")
        candidates.append((start, start + 7, f"`between` is not an operator in leadspec: write `{chain}`{_as_in(fixed) if fixed != chain else ''}"))
    infix = _INFIX.search(blanked)
    if infix:
        left, function, right = text[infix.start(1) : infix.end(1)], infix.group(2), text[infix.start(3) : infix.end(3)]
        call = f"{function}({left}, {right})"
        candidates.append((infix.start(2), infix.end(2), f"`{function}` is a function, not an operator: write `{call}`"))
    for pattern, what, new in _OPERATORS:
        m = pattern.search(blanked)
        if m:
            fixed = _replace_all(text, blanked, pattern, new)
            candidates.append((m.start(), m.end(), f"{what}: use `{new.strip()}`{_as_in(fixed)}"))
    upper = _UPPER_WORDS.search(blanked)
    if upper:
        fixed = _UPPER_WORDS.sub(lambda w: w.group(1).lower(), blanked)
        fixed = "".join(f if b != f else t for t, b, f in zip(text, blanked, fixed))
        word = upper.group(1)
        candidates.append((upper.start(), upper.end(), f"`{word}` is written in lower case in leadspec: `{word.lower()}`{_as_in(fixed)}"))
    if msg == "invalid syntax" and at < len(text) and blanked[at] == "=" and blanked[at : at + 2] != "==":
        prev = blanked[at - 1] if at else ""
        if prev not in "=!<>":
            fixed = text[:at] + "==" + text[at + 1 :]
            candidates.append((at, at + 1, f"a single `=` does not compare: use `==`{_as_in(fixed)}"))
    if candidates:
        # the mistake under Python's caret, else the first one in the text
        hit = [c for c in candidates if c[0] <= at < c[1]] or sorted(candidates)
        start, stop, message = hit[0]
        return here(message, start, stop)
    trailing = _TRAILING.search(blanked.rstrip())
    if trailing and msg == "invalid syntax" and (at == 0 or at >= len(text.rstrip()) - len(trailing.group(0))):
        word = trailing.group(0)
        what = "the condition" if word.lower() in ("and", "or", "not") else "the value"
        return here(f"the expression ends with `{word}`: write {what} that follows it, or remove `{word}`", end)
    words = re.compile(r"(?<![\w'\"])([A-Za-z_]\w*(?:[ \t]+[A-Za-z_]\w*)+)(?![\w(])")
    for run in words.finditer(blanked):  # `product == GTX Pro`: text written without quotes
        names = run.group(1).split()
        if run.start() <= at < run.end() and not any(n in _KEYWORDS for n in names):
            quoted = "'" + " ".join(names) + "'"
            fixed = text[: run.start()] + quoted + text[run.end() :]
            return here(f"`{run.group(1)}` is not one name: if it is text, quote it: {quoted}{_as_in(fixed)}", run.start(), run.end())
    token = re.match(r"\w+|[^\w\s]+", blanked[at:])
    shown = text[at : at + len(token.group(0))] if token else text[at : at + 1]
    if msg == "invalid syntax" or msg.startswith("invalid syntax."):
        detail = msg.removeprefix("invalid syntax").lstrip(". ")
        return here(
            f"unexpected `{shown}`: an expression is values and names joined by operators "
            f"(==, !=, <, <=, >, >=, in, and, or, not, +, -, *, /){'; ' + detail[0].lower() + detail[1:] if detail else ''}",
            at,
            at + len(shown),
        )
    if msg.startswith("invalid character"):
        return here(f"{msg}: only the characters of names, numbers, operators and quoted text may appear outside quotes", at)
    if msg.startswith("invalid decimal literal") or msg.startswith("invalid digit"):
        return here(f"`{shown}` is neither a number nor a name: a duration is quoted text ('30d'), a name starts with a letter", at, at + len(shown))
    return here(msg[0].upper() + msg[1:] if msg else "the expression cannot be read", at)


def check_expression(text: str, ctx: Context) -> tuple[Checked | None, list[ExprProblem]]:
    """Check one expression; returns the checked tree or the problems found."""
    checker = Checker(text, ctx)
    try:
        result = checker.check()
    except RecursionError:  # pragma: no cover - depth is bounded before anything recurses
        return None, [ExprProblem("too-deep", "expression is nested too deeply", 0, 1)]
    except MemoryError:  # pragma: no cover - constants are sized before they are built
        return None, [ExprProblem("too-large", "expression needs too much memory to check", 0, 1)]
    return result, checker.problems
