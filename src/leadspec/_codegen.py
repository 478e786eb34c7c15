"""Checked expression trees -> Python source, compiled once at load.

Only trees that ``_expr`` accepted reach this module, so the only
constructs emitted are the ones listed here: constants (as ``repr`` or
as named globals), locals for fields and scores, three-valued
operators written out with walrus temporaries, and calls to the
functions of ``_functions``. The semantics are those of
``_interp.Interpreter``; the tests hold the two to agree.
"""

from __future__ import annotations

import ast
import itertools
import operator
from typing import Any

from ._expr import BOOL, NUM, Checked
from ._functions import SAFE_OPS

_CMP = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in"}
_SYM = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**"}
_LEVEL = {ast.Add: "add", ast.Sub: "add", ast.Mult: "mult", ast.Div: "mult", ast.FloorDiv: "mult", ast.Mod: "mult", ast.Pow: "pow"}
_SAFE_BIN = (ast.Add, ast.Mult, ast.Pow)
_PLAIN_FUNC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
_SAFE_FUNC = {ast.Add: SAFE_OPS["add"], ast.Mult: SAFE_OPS["mult"], ast.Pow: SAFE_OPS["pow"]}


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

    def __init__(self, fields: dict[str, str], lists: dict[str, str], list_sets: dict[str, str], scores: dict[str, str], events: str | None) -> None:
        self.fields = fields
        self.lists = lists
        self.list_sets = list_sets
        self.scores = scores
        self.events = events
        self.precomputed: dict[int, str] = {}  # call node id -> variable computed before (count() in evaluate)


class ExprCompiler:
    def __init__(self, checked: Checked, env: Env, ns: Namespace) -> None:
        self.checked = checked
        self.env = env
        self.ns = ns
        self.level = 0  # operators nested around the node being written, in the current function

    def nullable(self, node: ast.expr) -> bool:
        return self.checked.types[id(node)].nullable

    def is_bool(self, node: ast.expr) -> bool:
        return self.checked.types[id(node)].kind == BOOL

    def code(self, node: ast.expr | None = None) -> str:
        node = self.checked.tree if node is None else node
        if self.level >= HOIST_LEVELS and not isinstance(node, (ast.Constant, ast.Name)) and id(node) not in self.env.precomputed:
            return self.hoist(node)
        self.level += 1
        try:
            return getattr(self, "c_" + type(node).__name__)(node)
        finally:
            self.level -= 1

    def hoist(self, node: ast.expr) -> str:
        """``node`` as a call of a helper function taking the locals it reads."""
        params = self.free_names(node)
        outer, self.level = self.level, 0
        try:
            body = self.code(node)
        finally:
            self.level = outer
        return f"{self.ns.helper(params, body)}({', '.join(params)})"

    def free_names(self, node: ast.expr) -> list[str]:
        """The local variables the code of ``node`` reads: fields, scores, events, counts computed before, as_of."""
        names: set[str] = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id in self.env.fields:
                names.add(self.env.fields[sub.id])
            elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
                name = sub.func.id
                if id(sub) in self.env.precomputed:
                    names.add(self.env.precomputed[id(sub)])
                elif name in ("count", "last", "first"):
                    names.update((self.env.events or "None", "as_of"))
                elif name == "score":
                    names.add(self.env.scores[sub.args[0].value])  # type: ignore[attr-defined]
                elif name == "days_since":
                    names.add("as_of")
        names.discard("None")
        return sorted(names)

    def bind(self, code: str) -> tuple[str, str]:
        """``(binding, name)``: code that evaluates ``code`` once, and how to refer to its value after.

        A local variable (a field, a count) needs no temporary: it is its own name.
        """
        if code.isidentifier():
            return code, code
        t = self.ns.temp()
        return f"({t} := {code})", t

    def truth(self, node: ast.expr) -> str:
        """Code for a node as True/False/None."""
        code = self.code(node)
        if self.is_bool(node):
            return code
        if self.nullable(node):
            first, t = self.bind(code)
            return f"(None if {first} is None else bool({t}))"
        return f"bool({code})"

    # -- leaves ----------------------------------------------------------
    def c_Constant(self, node: ast.Constant) -> str:
        value = node.value
        if value is None or isinstance(value, bool):
            return repr(value)
        if isinstance(value, int) and abs(value) < 10**15 or isinstance(value, str) and len(value) <= 80:
            return repr(value)
        return self.ns.constant(value)  # long text, big numbers, floats (inf, nan) and tuples: by name

    def c_Name(self, node: ast.Name) -> str:
        if node.id in self.env.fields:
            return self.env.fields[node.id]
        return self.env.lists[node.id]

    def c_Tuple(self, node: ast.Tuple) -> str:
        items = ", ".join(self.code(e) for e in node.elts)
        return f"({items},)"

    # -- logic -----------------------------------------------------------
    def c_BoolOp(self, node: ast.BoolOp) -> str:
        decisive = "True" if isinstance(node.op, ast.Or) else "False"
        other = "False" if decisive == "True" else "True"
        values = node.values
        if not any(self.nullable(v) for v in values) and all(self.is_bool(v) for v in values):
            joiner = " or " if decisive == "True" else " and "
            return "(" + joiner.join(self.code(v) for v in values) + ")"
        # flat, however many operands: `decisive if (t1 := a) is decisive or (t2 := b) is decisive ... else rest`;
        # operands are evaluated left to right and only until one decides, as the interpreter does
        nullable_temps: list[str] = []
        tests = []
        for v in values:
            first, t = self.bind(self.truth(v))
            if self.nullable(v):
                nullable_temps.append(t)
            tests.append(f"{first} is {decisive}")
        if nullable_temps:
            tail = f"(None if {' or '.join(f'{t} is None' for t in nullable_temps)} else {other})"
        else:
            tail = other
        return f"({decisive} if {' or '.join(tests)} else {tail})"

    def c_UnaryOp(self, node: ast.UnaryOp) -> str:
        sym = {ast.Not: "not ", ast.USub: "-", ast.UAdd: "+"}[type(node.op)]
        inner = self.code(node.operand)
        if not self.nullable(node.operand):
            return f"({sym}{inner})"
        first, t = self.bind(inner)
        return f"(None if {first} is None else {sym}{t})"

    def c_BinOp(self, node: ast.BinOp) -> str:
        """A chain of operators of one precedence (``a + b - c + …``, ``a * b / c``) written flat.

        The chain is the left spine of the tree (Python's operators of one
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
            funcs = self.ns.constant(tuple(_SAFE_FUNC[type(op.op)] if s else _PLAIN_FUNC[type(op.op)] for op, s in zip(ops, safe)), "_ops")
            return f"_arith({funcs}, ({', '.join(codes)},))"
        plain = codes[0] + "".join(f" {_SYM[type(op.op)]} {c}" for op, c in zip(ops, codes[1:]))
        if not any(self.nullable(leaf) for leaf in leaves):
            return f"({plain})"
        # every operand is evaluated first (left to right) into a temporary unless it is a name or a constant
        names, binds, checks = [], [], []
        for leaf, code in zip(leaves, codes):
            first, name = (code, code) if isinstance(leaf, ast.Constant) else self.bind(code)
            if first != name:
                binds.append(first)
            names.append(name)
            if self.nullable(leaf) and f"{names[-1]} is None" not in checks:
                checks.append(f"{names[-1]} is None")
        first_seen = {name: i for i, name in reversed(list(enumerate(names)))}
        if any(self.nullable(leaf) and first_seen[name] >= 2 for leaf, name in zip(leaves, names)):
            # an operator may run before the first missing operand (and raise, as in the interpreter)
            funcs = self.ns.constant(tuple(_PLAIN_FUNC[type(op.op)] for op in ops), "_ops")
            unknown = f"_arith({funcs}, ({', '.join(names)},))"
        else:
            unknown = "None"
        compute = names[0] + "".join(f" {_SYM[type(op.op)]} {n}" for op, n in zip(ops, names[1:]))
        missing = " or ".join(checks)
        if binds:
            missing = f"({', '.join(binds)},) and ({missing})"
        return f"({unknown} if {missing} else {compute})"

    def spine(self, node: ast.BinOp) -> tuple[list[ast.BinOp], list[ast.expr]]:
        """The operators of one precedence along the left spine of ``node``, first first, and their operands."""
        level = _LEVEL[type(node.op)]
        ops: list[ast.BinOp] = []
        cur: ast.expr = node
        while isinstance(cur, ast.BinOp) and _LEVEL[type(cur.op)] == level and (not ops or level != "pow"):
            ops.append(cur)
            cur = cur.left
        ops.reverse()
        return ops, [cur] + [op.right for op in ops]

    def safe(self, node: ast.BinOp) -> bool:
        """Whether ``node`` needs simpleeval's safe operator: powers, and + or * on text or lists."""
        kinds = {self.checked.types[id(node.left)].kind, self.checked.types[id(node.right)].kind}
        return type(node.op) in _SAFE_BIN and (isinstance(node.op, ast.Pow) or not kinds <= {NUM, BOOL})

    def c_Compare(self, node: ast.Compare) -> str:
        operands = [node.left] + list(node.comparators)
        right = node.comparators[-1]
        codes = [self.code(o) for o in operands[:-1]]
        if isinstance(node.ops[-1], (ast.In, ast.NotIn)):
            codes.append(self.container(right))
        else:
            codes.append(self.code(right))
        if len(node.ops) == 1:
            # left first, then right, each only while the result is not decided (as the interpreter does)
            a, b = operands
            sym = _CMP[type(node.ops[0])]
            ca, cb = codes
            if not self.nullable(a) and not self.nullable(b):
                return f"({ca} {sym} {cb})"
            first, ta = self.bind(ca)
            checks = [f"{first} is None"]
            if self.nullable(b):
                first, tb = self.bind(cb)
                checks.append(f"{first} is None")
                cb = tb
            return f"(None if {' or '.join(checks)} else {ta} {sym} {cb})"
        nullable = [self.nullable(o) for o in operands]
        constants = [isinstance(o, ast.Constant) for o in operands]
        every_pair_reads_it = all(nullable[i] or nullable[i + 1] for i in range(len(node.ops)))
        if sum(nullable) == 1 and every_pair_reads_it and all(n or c for n, c in zip(nullable, constants)):
            # constants around one nullable operand (50 <= x <= 5000): when it is missing every
            # comparison is unknown, so the chain is; otherwise Python's chain is exact
            temps, checks = [], []
            for o, code in zip(operands, codes):
                if self.nullable(o):
                    first, t = self.bind(code)
                    checks.append(f"{first} is None")
                    temps.append(t)
                else:
                    temps.append(code)
            text = temps[0] + "".join(f" {_CMP[type(op)]} {t}" for op, t in zip(node.ops, temps[1:]))
            return f"(None if {' or '.join(checks)} else ({text}))"
        args = ", ".join(codes)
        ops = self.ns.constant(tuple(_CMP[type(o)] for o in node.ops))
        return f"_chain({ops}, ({args},))"

    def container(self, node: ast.expr) -> str:
        """A right-hand side of `in`: constant lists become frozensets."""
        if isinstance(node, ast.Constant) and isinstance(node.value, tuple) and _hashable(node.value):
            return self.ns.constant(frozenset(node.value), "_set")
        if isinstance(node, ast.Name) and node.id in self.env.list_sets:
            return self.env.list_sets[node.id]
        return self.code(node)

    # -- calls -----------------------------------------------------------
    def c_Call(self, node: ast.Call) -> str:
        name = node.func.id  # type: ignore[attr-defined]
        if id(node) in self.env.precomputed:
            return self.env.precomputed[id(node)]
        if name in ("count", "last", "first"):
            types, within = self.checked.event_args[id(node)]
            kinds = self.ns.constant(types, "_ev")
            events = self.env.events
            if name == "count":
                if within is None:
                    return f"_count({events}, {kinds}, None, as_of)"
                delta = self.ns.constant(within, "_dt")
                return f"_count({events}, {kinds}, as_of - {delta}, as_of)"
            return f"_{name}({events}, {kinds}, as_of)"
        if name == "score":
            return self.env.scores[node.args[0].value]  # type: ignore[attr-defined]
        args = [self.code(a) for a in node.args]
        if name == "has":
            return f"({args[0]} is not None)"
        if name == "days_since":
            return f"_days_since({args[0]}, as_of)"
        return f"_fn_{name}({', '.join(args)})"


def compile_expr(checked: Checked, env: Env, ns: Namespace) -> str:
    """Python source of an expression evaluating ``checked`` with None for unknown."""
    return ExprCompiler(checked, env, ns).code()


def compile_truth(checked: Checked, env: Env, ns: Namespace) -> str:
    """Python source evaluating ``checked`` as a truth value: True, False or None."""
    return ExprCompiler(checked, env, ns).truth(checked.tree)


def arith(funcs: tuple[Any, ...], values: tuple[Any, ...]) -> Any:
    """A chain of operators over operands already evaluated, as the interpreter computes it.

    ``values[0] f1 values[1] f2 …`` from the left; once an operand is
    None the value is None and no operator after it runs (the ones before
    it have, and may have raised).
    """
    result = values[0]
    for func, value in zip(funcs, values[1:]):
        if result is None or value is None:
            return None
        result = func(result, value)
    return result


def chain(ops: tuple[str, ...], values: tuple[Any, ...]) -> bool | None:
    """A chained comparison in three-valued logic (all operands evaluated)."""
    unknown = False
    for sym, a, b in zip(ops, values, values[1:]):
        if a is None or b is None:
            unknown = True
        elif not _OPS[sym](a, b):
            return False
    return None if unknown else True


_OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}
