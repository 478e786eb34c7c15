"""Plan expressions -> Python source, compiled once at load.

Only expressions the checker accepted reach this module, so the only
constructs emitted are the ones listed here: constants (as ``repr`` or
as named globals), locals for fields and scores, three-valued
operators written out with walrus temporaries, and calls of the
built-in functions, each written by its entry of the registry
(:data:`leadspec._functions.FUNCTIONS`). A flag read by name is the local
holding its outcome, computed before (``_compile``). The semantics are those of
``_interp.Interpreter``; the tests hold the two to agree.
"""

from __future__ import annotations

import itertools
import operator
from typing import Any, Callable

from ._functions import FUNCTIONS, SAFE_OPS
from .plan import Arith, BoolOp, Call, Compare, Const, Expr, FlagName, In, ListName, ListOf, Name, Negate, Not, walk

_LEVEL = {"+": "add", "-": "add", "*": "mult", "/": "mult", "//": "mult", "%": "mult", "**": "pow"}
_SAFE_BIN = ("+", "*", "**")
_PLAIN_FUNC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "//": operator.floordiv, "%": operator.mod, "**": operator.pow}
_SAFE_FUNC = {"+": SAFE_OPS["add"], "*": SAFE_OPS["mult"], "**": SAFE_OPS["pow"]}

HOIST_LEVELS = 24
"""Operators nested in one generated expression before a sub-expression moves to a helper function.

Each level writes at most four parentheses, and CPython refuses more
than 200 nested ones, so a deep expression (a 70-term sum, many nested
``not``) is cut into helper functions of at most this many levels.
"""


class Namespace:
    """Globals of the generated module: constants and helpers, by name."""

    def __init__(self) -> None:
        self.globals: dict[str, Any] = {}
        self.helpers: list[str] = []  # source of the helper functions of deep expressions
        self._functions: dict[str, str] = {}
        self._ids: dict[Any, str] = {}
        self._counter = itertools.count()

    def constant(self, value: Any, prefix: str = "_k") -> str:
        """A global holding ``value``; equal constants share one only when they are the same to the last type.

        ``(1, 2)`` and ``(1.0, 2.0)``, ``(True,)`` and ``(1,)``, ``0.0`` and
        ``-0.0`` are equal in Python but read differently (``contains_any``
        compares their text), so they are kept apart.
        """
        key = _key(value) if _hashable(value) else None
        if key is not None and key in self._ids:
            return self._ids[key]
        name = f"{prefix}{next(self._counter)}"
        self.globals[name] = value
        if key is not None:
            self._ids[key] = name
        return name

    def function(self, func: Callable[..., Any], name: str) -> str:
        """The global holding a built-in function's implementation (``_fn_<name>``)."""
        if name not in self._functions:
            self._functions[name] = f"_fn_{name}"
            self.globals[f"_fn_{name}"] = func
        return self._functions[name]

    def temp(self) -> str:
        return f"_t{next(self._counter)}"

    def helper(self, params: list[str], body: str) -> str:
        """A function ``name(*params)`` returning ``body``; returns its name.

        Its source goes into :attr:`helpers`, which the generated module
        defines before the functions that call it (same globals, same
        restricted builtins, and visible in ``generated_source()``).
        """
        name = f"_h{next(self._counter)}"
        self.helpers.append(f"def {name}({', '.join(params)}):\n    return {body}\n")
        return name


def _key(value: Any) -> Any:
    """A key equal only for values of exactly the same types all the way down (floats by their repr)."""
    if isinstance(value, (tuple, frozenset)):
        items = [_key(v) for v in value]
        if isinstance(value, frozenset):
            items.sort(key=repr)
        return (type(value).__name__, tuple(items))
    if isinstance(value, float):
        return ("float", repr(value))
    return (type(value).__name__, value)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


class Env:
    """Where a compiled expression finds its inputs."""

    def __init__(
        self,
        fields: dict[str, str],
        lists: dict[str, str],
        list_sets: dict[str, str],
        scores: dict[str, str],
        events: str | None,
        flags: dict[str, str] | None = None,
    ) -> None:
        self.fields = fields
        self.flags = flags or {}  # flag name -> the local holding its outcome (computed before it is read)
        self.lists = lists
        self.list_sets = list_sets
        self.scores = scores
        self.events = events
        self.precomputed: dict[Call, str] = {}  # count() calls computed before (in evaluate), by value


class ExprCompiler:
    """Writes the code of one expression; what a function's entry calls back to write its call."""

    def __init__(self, env: Env, ns: Namespace) -> None:
        self.env = env
        self.ns = ns
        self.level = 0  # operators nested around the node being written, in the current function
        self.events = env.events

    # -- what the registry's code writers use ------------------------------------
    def constant(self, value: Any, prefix: str = "_k") -> str:
        return self.ns.constant(value, prefix)

    def function(self, func: Callable[..., Any], name: str) -> str:
        return self.ns.function(func, name)

    def score(self, name: str) -> str:
        return self.env.scores[name]

    # -- the walk --------------------------------------------------------------------
    def code(self, node: Expr) -> str:
        if self.level >= HOIST_LEVELS and not isinstance(node, (Const, Name, ListName, FlagName)) and not (isinstance(node, Call) and node in self.env.precomputed):
            return self.hoist(node)
        self.level += 1
        try:
            return _WRITERS[type(node)](self, node)
        finally:
            self.level -= 1

    def hoist(self, node: Expr) -> str:
        """``node`` as a call of a helper function taking the locals it reads."""
        params = self.free_names(node)
        outer, self.level = self.level, 0
        try:
            body = self.code(node)
        finally:
            self.level = outer
        return f"{self.ns.helper(params, body)}({', '.join(params)})"

    def free_names(self, node: Expr) -> list[str]:
        """The local variables the code of ``node`` reads: fields, scores, events, counts computed before, as_of."""
        names: set[str] = set()
        for sub in walk(node):
            if isinstance(sub, Name):
                names.add(self.env.fields[sub.id])
            elif isinstance(sub, FlagName):
                names.add(self.env.flags[sub.id])
            elif isinstance(sub, Call):
                if sub in self.env.precomputed:
                    names.add(self.env.precomputed[sub])
                    continue
                function = FUNCTIONS[sub.fn]
                if function.takes == "events" and self.env.events:
                    names.add(self.env.events)
                if function.takes == "score_name":
                    names.add(self.env.scores[sub.args[0].value])  # type: ignore[union-attr,index]
                if function.reads_as_of:
                    names.add("as_of")
        return sorted(names)

    def bind(self, code: str) -> tuple[str, str]:
        """``(binding, name)``: code that evaluates ``code`` once, and how to refer to its value after.

        A local variable (a field, a count) needs no temporary: it is its own name.
        """
        if code.isidentifier():
            return code, code
        t = self.ns.temp()
        return f"({t} := {code})", t

    def truth(self, node: Expr) -> str:
        """Code for a node as True/False/None."""
        code = self.code(node)
        if node.type.kind == "bool":
            return code
        if node.type.nullable:
            first, t = self.bind(code)
            return f"(None if {first} is None else bool({t}))"
        return f"bool({code})"

    # -- leaves ----------------------------------------------------------
    def c_Const(self, node: Const) -> str:
        value = node.value
        if value is None or isinstance(value, bool):
            return repr(value)
        if isinstance(value, int) and abs(value) < 10**15 or isinstance(value, str) and len(value) <= 80:
            return repr(value)
        return self.ns.constant(value)  # long text, big numbers, floats (inf, nan) and tuples: by name

    def c_Name(self, node: Name) -> str:
        return self.env.fields[node.id]

    def c_FlagName(self, node: FlagName) -> str:
        return self.env.flags[node.id]

    def c_ListName(self, node: ListName) -> str:
        return self.env.lists[node.id]

    def c_ListOf(self, node: ListOf) -> str:
        """A list literal; unknown when an item is (every item is evaluated first, left to right)."""
        codes = [self.code(e) for e in node.items]
        if not node.type.nullable:
            return f"({', '.join(codes)},)"
        names, binds, checks = [], [], []
        for item, code in zip(node.items, codes):
            first, name = (code, code) if isinstance(item, Const) else self.bind(code)
            if first != name:
                binds.append(first)
            names.append(name)
            if item.type.nullable:
                checks.append(f"{name} is None")
        missing = " or ".join(checks)
        if binds:
            missing = f"({', '.join(binds)},) and ({missing})"
        return f"(None if {missing} else ({', '.join(names)},))"

    # -- logic -----------------------------------------------------------
    def c_BoolOp(self, node: BoolOp) -> str:
        decisive = "True" if node.op == "or" else "False"
        other = "False" if decisive == "True" else "True"
        values = node.values
        if not any(v.type.nullable for v in values) and all(v.type.kind == "bool" for v in values):
            joiner = " or " if decisive == "True" else " and "
            return "(" + joiner.join(self.code(v) for v in values) + ")"
        # flat, however many operands: `decisive if (t1 := a) is decisive or (t2 := b) is decisive ... else rest`;
        # operands are evaluated left to right and only until one decides, as the interpreter does
        nullable_temps: list[str] = []
        tests = []
        for v in values:
            first, t = self.bind(self.truth(v))
            if v.type.nullable:
                nullable_temps.append(t)
            tests.append(f"{first} is {decisive}")
        if nullable_temps:
            tail = f"(None if {' or '.join(f'{t} is None' for t in nullable_temps)} else {other})"
        else:
            tail = other
        return f"({decisive} if {' or '.join(tests)} else {tail})"

    def c_Not(self, node: Not) -> str:
        return self.unary("not ", node.operand)

    def c_Negate(self, node: Negate) -> str:
        return self.unary(node.op, node.operand)

    def unary(self, sym: str, operand: Expr) -> str:
        inner = self.code(operand)
        if not operand.type.nullable:
            return f"({sym}{inner})"
        first, t = self.bind(inner)
        return f"(None if {first} is None else {sym}{t})"

    def c_Arith(self, node: Arith) -> str:
        """A chain of operators of one precedence (``a + b - c + …``, ``a * b / c``) written flat.

        The chain is the left spine of the tree (operators of one
        precedence associate to the left). The code is linear in the
        chain's length: every operand once, one ``is None`` test per
        distinct nullable operand, then the arithmetic as Python writes
        it. The interpreter's semantics are kept: every operand is
        evaluated, left to right; the value is None when any operand is;
        when an operand is None, the operators before it still run
        (``_arith`` replays them: one that raises is an error, as in the
        interpreter). Chains that add or repeat text or lists, and powers,
        go through ``_arith`` with simpleeval's safe operators.
        """
        ops, leaves = self.spine(node)
        codes = [self.code(leaf) for leaf in leaves]
        safe = [self.safe(op) for op in ops]
        if any(safe):
            funcs = self.ns.constant(tuple(_SAFE_FUNC[op.op] if s else _PLAIN_FUNC[op.op] for op, s in zip(ops, safe)), "_ops")
            return f"_arith({funcs}, ({', '.join(codes)},))"
        plain = codes[0] + "".join(f" {op.op} {c}" for op, c in zip(ops, codes[1:]))
        if not any(leaf.type.nullable for leaf in leaves):
            return f"({plain})"
        # every operand is evaluated first (left to right) into a temporary unless it is a name or a constant
        names, binds, checks = [], [], []
        for leaf, code in zip(leaves, codes):
            first, name = (code, code) if isinstance(leaf, Const) else self.bind(code)
            if first != name:
                binds.append(first)
            names.append(name)
            if leaf.type.nullable and f"{names[-1]} is None" not in checks:
                checks.append(f"{names[-1]} is None")
        first_seen = {name: i for i, name in reversed(list(enumerate(names)))}
        if any(leaf.type.nullable and first_seen[name] >= 2 for leaf, name in zip(leaves, names)):
            # an operator may run before the first missing operand (and raise, as in the interpreter)
            funcs = self.ns.constant(tuple(_PLAIN_FUNC[op.op] for op in ops), "_ops")
            unknown = f"_arith({funcs}, ({', '.join(names)},))"
        else:
            unknown = "None"
        compute = names[0] + "".join(f" {op.op} {n}" for op, n in zip(ops, names[1:]))
        missing = " or ".join(checks)
        if binds:
            missing = f"({', '.join(binds)},) and ({missing})"
        return f"({unknown} if {missing} else {compute})"

    def spine(self, node: Arith) -> tuple[list[Arith], list[Expr]]:
        """The operators of one precedence along the left spine of ``node``, first first, and their operands."""
        level = _LEVEL[node.op]
        ops: list[Arith] = []
        cur: Expr = node
        while isinstance(cur, Arith) and _LEVEL[cur.op] == level and (not ops or level != "pow"):
            ops.append(cur)
            cur = cur.left
        ops.reverse()
        return ops, [cur] + [op.right for op in ops]

    def safe(self, node: Arith) -> bool:
        """Whether ``node`` needs simpleeval's safe operator: powers, and + or * on text or lists."""
        kinds = {node.left.type.kind, node.right.type.kind}
        return node.op in _SAFE_BIN and (node.op == "**" or not kinds <= {"num", "bool"})

    def c_In(self, node: In) -> str:
        return self.pair("not in" if node.negated else "in", node.item, node.container, self.code(node.item), self.container(node.container))

    def pair(self, sym: str, a: Expr, b: Expr, ca: str, cb: str) -> str:
        """One comparison: left first, then right, each only while the result is not decided (as the interpreter does)."""
        if not a.type.nullable and not b.type.nullable:
            return f"({ca} {sym} {cb})"
        first, ta = self.bind(ca)
        checks = [f"{first} is None"]
        if b.type.nullable:
            first, tb = self.bind(cb)
            checks.append(f"{first} is None")
            cb = tb
        return f"(None if {' or '.join(checks)} else {ta} {sym} {cb})"

    def c_Compare(self, node: Compare) -> str:
        operands = node.operands
        codes = [self.code(o) for o in operands[:-1]]
        if node.ops[-1] in ("in", "not in"):
            codes.append(self.container(operands[-1]))
        else:
            codes.append(self.code(operands[-1]))
        if len(node.ops) == 1:
            return self.pair(node.ops[0], operands[0], operands[1], codes[0], codes[1])
        nullable = [o.type.nullable for o in operands]
        constants = [isinstance(o, Const) for o in operands]
        every_pair_reads_it = all(nullable[i] or nullable[i + 1] for i in range(len(node.ops)))
        if sum(nullable) == 1 and every_pair_reads_it and all(n or c for n, c in zip(nullable, constants)):
            # constants around one nullable operand (50 <= x <= 5000): when it is missing every
            # comparison is unknown, so the chain is; otherwise Python's chain is exact
            temps, checks = [], []
            for o, code in zip(operands, codes):
                if o.type.nullable:
                    first, t = self.bind(code)
                    checks.append(f"{first} is None")
                    temps.append(t)
                else:
                    temps.append(code)
            text = temps[0] + "".join(f" {op} {t}" for op, t in zip(node.ops, temps[1:]))
            return f"(None if {' or '.join(checks)} else ({text}))"
        args = ", ".join(codes)
        ops = self.ns.constant(tuple(node.ops))
        return f"_chain({ops}, ({args},))"

    def container(self, node: Expr) -> str:
        """A right-hand side of `in`: constant lists become frozensets."""
        if isinstance(node, Const) and isinstance(node.value, tuple) and _hashable(node.value):
            return self.ns.constant(frozenset(node.value), "_set")
        if isinstance(node, ListName) and node.id in self.env.list_sets:
            return self.env.list_sets[node.id]
        return self.code(node)

    # -- calls -----------------------------------------------------------
    def c_Call(self, node: Call) -> str:
        if node in self.env.precomputed:
            return self.env.precomputed[node]
        function = FUNCTIONS[node.fn]
        args = [self.code(a) for a in node.args] if function.takes == "values" else []
        return function.python(node, args, self)


_WRITERS: dict[type, Callable[[ExprCompiler, Any], str]] = {
    Const: ExprCompiler.c_Const,
    Name: ExprCompiler.c_Name,
    ListName: ExprCompiler.c_ListName,
    FlagName: ExprCompiler.c_FlagName,
    ListOf: ExprCompiler.c_ListOf,
    BoolOp: ExprCompiler.c_BoolOp,
    Not: ExprCompiler.c_Not,
    Negate: ExprCompiler.c_Negate,
    Arith: ExprCompiler.c_Arith,
    Compare: ExprCompiler.c_Compare,
    In: ExprCompiler.c_In,
    Call: ExprCompiler.c_Call,
}


def compile_expr(expr: Expr, env: Env, ns: Namespace) -> str:
    """Python source of an expression evaluating ``expr`` with None for unknown."""
    return ExprCompiler(env, ns).code(expr)


def compile_truth(expr: Expr, env: Env, ns: Namespace) -> str:
    """Python source evaluating ``expr`` as a truth value: True, False or None."""
    return ExprCompiler(env, ns).truth(expr)
