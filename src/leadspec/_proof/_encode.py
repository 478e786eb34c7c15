"""A plan as z3 formulas: every lead the rule file can see, in three-valued logic, for ``check --deep`` and ``diff``.

Each field is a pair of solver variables, whether it has a value and the
value (numbers as reals, integers kept whole, text as z3 strings, enums
as one of their values, dates as whole days from ``as_of`` and datetimes
as whole seconds from it, events as counts of each type inside each window
the rules use). Each expression becomes ``(known, value, error)`` and
each criterion three exclusive outcomes, following the reference
interpreter step by step (which operand is read first, what raises, the
``missing:`` policies, the groups, the disqualifiers, the stage order).

What the encoding does not model exactly it *over-approximates*: the
expression is replaced by a fresh value (known or not, any value, maybe
an error), the same one wherever the same expression appears. So a
question the solver answers "impossible" is proved for every lead; an
answer "possible" comes with a model that is turned into a real lead and
evaluated by the engine, and is reported only when the engine agrees
(otherwise the question stays undecided). The expressions replaced this
way are recorded (:attr:`Encoder.approximated`) for the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from typing import Any, Iterable

import z3

from ..plan import (
    Arith,
    BoolOp,
    Call,
    Compare,
    Const,
    Criterion,
    Expr,
    FieldPlan,
    FlagName,
    Group,
    In,
    ListName,
    ListOf,
    Name,
    Negate,
    Not,
    Plan,
    ScorePlan,
    unparse,
    walk,
)

__all__ = ["Encoder", "Sym", "Trit", "lead_of"]

SECONDS_PER_DAY = 86_400
MAX_SIZE = 100_000  # joined text longer than this is an error while evaluating (docs/expressions.md)


class Unmodeled(Exception):
    """An expression the encoding has no exact formula for (its parent replaces it by a fresh value)."""


@dataclass(frozen=True)
class Sym:
    """An expression for one lead: whether it has a value, the value (its z3 term), whether it raised; ``kind`` its sort."""

    known: Any
    value: Any
    err: Any
    kind: str


@dataclass(frozen=True)
class Trit:
    """A criterion's or group's outcome: exactly one of ``P`` (pass), ``F`` (fail), ``U`` (unknown) holds."""

    P: Any
    F: Any
    U: Any

    def outcome(self, name: str) -> Any:
        return {"pass": self.P, "fail": self.F, "unknown": self.U}[name]


_MODELED_KINDS = ("num", "str", "bool", "date", "datetime")
_FIELD_KINDS = {"integer": "num", "number": "num", "string": "str", "enum": "str", "boolean": "bool", "date": "date", "datetime": "datetime"}


def _truth(s: Sym) -> Any:
    """Python's truth of the value (when known)."""
    if s.kind == "bool":
        return s.value
    if s.kind == "num":
        return s.value != 0
    if s.kind == "str":
        return z3.Length(s.value) > 0
    if s.kind in ("date", "datetime"):
        return z3.BoolVal(True)
    raise Unmodeled("truth of a list")


def _const_term(value: Any, kind: str) -> Any:
    if kind == "num":
        if isinstance(value, bool):
            return z3.RealVal(int(value))
        if isinstance(value, int):
            return z3.RealVal(value)
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise Unmodeled("not a finite number")
            return z3.RealVal(Fraction(value))
        raise Unmodeled("not a number")
    if kind == "str" and isinstance(value, str):
        return z3.StringVal(value)
    if kind == "bool" and isinstance(value, bool):
        return z3.BoolVal(value)
    raise Unmodeled(f"a constant {value!r} as {kind}")


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "num"
    if isinstance(value, str):
        return "str"
    raise Unmodeled("a constant of another kind")


class Encoder:
    """The formulas of one plan at one ``as_of``; fields and event counts may be shared with another encoder (``share``).

    ``prefix`` keeps the names of two plans' private variables apart.
    """

    def __init__(self, plan: Plan, as_of: datetime, *, prefix: str = "", share: Encoder | None = None) -> None:
        self.plan = plan
        self.as_of = as_of
        self.prefix = prefix
        self.domain: list[Any] = []  # facts true of every lead (sound)
        self.approximated: dict[str, set[str]] = {}  # criterion id -> expressions replaced by fresh values
        self.fields: dict[str, tuple[Any, Any]] = {}  # name -> (known, value)
        self.raw: dict[str, tuple[Any, Any]] = {}  # number fields: name -> (a number was given, that number)
        self.field_specs: dict[str, FieldPlan] = {f.name: f for f in plan.fields}
        self._share = share
        events_here = next((f for f in plan.fields if f.type == "events"), None)
        events_there = next((f for f in share.plan.fields if f.type == "events"), None) if share is not None else None
        if share is not None and events_here is not None and events_there is not None and _same_reading(events_here, events_there):
            self.counters: dict[tuple[str, timedelta | None], Any] = share.counters  # the same events, read the same way
            self._counter_prefix: str = share._counter_prefix
        else:
            self.counters = {}
            self._counter_prefix = prefix
        self._opaque: dict[tuple[str, str], Sym] = {}
        self._flags: dict[str, Trit] = {}
        self._flag_crit = {c.id.split(".", 1)[1]: c for c in plan.flags}
        self.scores: dict[str, Sym] = {}
        self.exact: list[Any] = []  # conditions under which the text functions are modelled exactly
        self.preferred: list[Any] = []  # what witnesses should rather be (not facts)
        self.inexact: set[str] = set()  # criteria whose arithmetic floating point may round
        self.text_fields: set[str] = set()  # fields read by text functions (witnesses prefer them without capitals)
        self.trits: dict[str, Trit] = {}  # criterion id -> outcome
        self.stages: dict[str, Trit] = {}
        self._current = ""
        self._fresh = 0
        for spec in plan.fields:
            self._field(spec)
        for name in self._flag_crit:
            self.flag(name)
        for score in plan.scores:
            self.scores[score.name] = self._score(score)
        for crit in plan.disqualify:
            self.criterion(crit)
        for stage in plan.stages:
            self.stages[stage.id] = self.group(stage.condition)
        self.disqualified = z3.Or([self.trits[c.id].P for c in plan.disqualify]) if plan.disqualify else z3.BoolVal(False)

    # -- fields --------------------------------------------------------------------------------------
    def _name(self, what: str) -> str:
        self._fresh += 1
        return f"{self.prefix}{what}!{self._fresh}"

    def _field(self, spec: FieldPlan) -> None:
        kind = spec.type
        same_markers = self._share is not None and self._share.plan.missing == self.plan.missing
        if self._share is not None and same_markers:
            twin = next((f for f in self._share.plan.fields if f.source == spec.source and _same_reading(f, spec)), None)
            if twin is not None:  # the other version reads this raw value the same way: one value for both
                self.fields[spec.name] = self._share.fields[twin.name]
                if twin.name in self._share.raw:
                    self.raw[spec.name] = self._share.raw[twin.name]
                return
        name = f"{self.prefix}{spec.name}"
        if kind in ("integer", "number"):
            # the raw number and whether there is one; it is the value when inside the field's bounds
            raw: tuple[Any, Any] | None = None
            if self._share is not None and same_markers:
                twin = next((f for f in self._share.plan.fields if f.source == spec.source and _same_number(f, spec)), None)
                raw = self._share.raw.get(twin.name) if twin is not None else None
            if raw is None:
                var = z3.Int(f"int:{name}") if kind == "integer" else z3.Real(f"num:{name}")
                raw = (z3.Bool(f"raw:{name}"), z3.ToReal(var) if kind == "integer" else var)
            present, number = raw
            inside = [present]
            if spec.min is not None:
                inside.append(number >= _const_term(spec.min, "num"))
            if spec.max is not None:
                inside.append(number <= _const_term(spec.max, "num"))
            self.raw[spec.name] = raw
            self.fields[spec.name] = (z3.And(inside), number)
            return
        known = z3.Bool(f"has:{name}")
        value: Any
        if kind in ("string", "enum"):
            value = z3.String(f"str:{name}")
        elif kind == "boolean":
            value = z3.Bool(f"bool:{name}")
        elif kind == "date":
            value = z3.Int(f"date:{name}")  # whole days from as_of's date
        elif kind == "datetime":
            value = z3.Int(f"datetime:{name}")  # whole seconds from as_of
        else:  # list, events: read only through functions (events: the counters)
            value = None
        if kind == "enum":
            self.domain.append(z3.Implies(known, z3.Or([value == z3.StringVal(v) for v in spec.values or ()])))
        if kind == "string":
            # text is rarely a marker (it can be: a default that is one, a number read as text): only preferred
            for marker in self.plan.missing:
                self.preferred.append(z3.Implies(known, value != z3.StringVal(marker)))
        self.fields[spec.name] = (known, value)

    def counter(self, kind: str, within: timedelta | None) -> Any:
        """The number of events of ``kind`` at or before as_of, inside ``within`` (None: ever)."""
        key = (kind, within)
        if key not in self.counters:
            var = z3.Int(f"{self._counter_prefix}events:{kind}:{within.total_seconds() if within else 'all'}")
            self.counters[key] = var
        return self.counters[key]

    def counter_facts(self) -> list[Any]:
        """Counts are whole, not negative, and grow with the window (a window inside another counts fewer)."""
        facts: list[Any] = []
        events = next((f for f in self.plan.fields if f.type == "events"), None)
        if events is not None:  # no events (missing or bad): every count is 0
            has_events, _ = self.fields[events.name]
            facts += [z3.Implies(z3.Not(has_events), var == 0) for var in self.counters.values()]
        kinds = sorted({k for k, _ in self.counters})
        for kind in kinds:
            windows = sorted((w for k, w in self.counters if k == kind and w is not None), key=lambda w: w.total_seconds())
            chain = [self.counters[(kind, w)] for w in windows] + ([self.counters[(kind, None)]] if (kind, None) in self.counters else [])
            for var in chain:
                facts.append(var >= 0)
            for small, big in zip(chain, chain[1:]):
                facts.append(small <= big)
        return facts

    # -- expressions ---------------------------------------------------------------------------------
    def expr(self, node: Expr) -> Sym:
        try:
            return self._expr(node)
        except Unmodeled:
            return self.opaque(node)

    def opaque(self, node: Expr) -> Sym:
        """A fresh value for ``node`` (the same for the same expression): anything it could be, known or not, or an error."""
        kind = node.type.kind
        if kind not in _MODELED_KINDS:
            raise Unmodeled(f"{kind} value")
        text = unparse(node)
        self.approximated.setdefault(self._current, set()).add(text)
        key = (text, kind)
        if self._share is not None and key in self._share._opaque and self._shareable(node):
            return self._share._opaque[key]
        if key not in self._opaque:
            name = self._name("opaque")
            sort_value = {"num": z3.Real, "str": z3.String, "bool": z3.Bool, "date": z3.Int, "datetime": z3.Int}[kind](name)
            self._opaque[key] = Sym(z3.Bool(name + ":known"), sort_value, z3.Bool(name + ":err"), kind)
        return self._opaque[key]

    def _shareable(self, node: Expr) -> bool:
        """Whether ``node`` has the same value in the other version for every lead (what it reads is read the same way)."""
        assert self._share is not None
        for part in walk(node):
            if isinstance(part, FlagName) or (isinstance(part, Call) and part.fn == "score"):
                return False
            if isinstance(part, Name) and self.fields.get(part.id) is not self._share.fields.get(part.id):
                return False
            if isinstance(part, Call) and part.events is not None and self.counters is not self._share.counters:
                return False
        return True

    def _expr(self, node: Expr) -> Sym:
        true, false = z3.BoolVal(True), z3.BoolVal(False)
        if isinstance(node, Const):
            if node.value is None:
                return Sym(false, z3.BoolVal(False), false, "bool")
            kind = _kind_of(node.value)
            return Sym(true, _const_term(node.value, kind), false, kind)
        if isinstance(node, Name):
            spec = self.field_specs[node.id]
            known, value = self.fields[node.id]
            field_kind = _FIELD_KINDS.get(spec.type)
            if field_kind is None:
                raise Unmodeled(f"a {spec.type} field")
            return Sym(known, value, false, field_kind)
        if isinstance(node, FlagName):
            trit = self.flag(node.id)
            if self._flag_crit[node.id].id in self.inexact:  # rounding in the flag reaches what reads it
                self.inexact.add(self._current)
            return Sym(z3.Not(trit.U), trit.P, false, "bool")
        if isinstance(node, Not):
            s = self.expr(node.operand)
            return Sym(s.known, z3.Not(_truth(s)), s.err, "bool")
        if isinstance(node, Negate):
            s = self.expr(node.operand)
            if s.kind != "num":
                raise Unmodeled("negating a non-number")
            return Sym(s.known, -s.value if node.op == "-" else s.value, s.err, "num")
        if isinstance(node, BoolOp):
            return self._boolop(node)
        if isinstance(node, Arith):
            return self._arith(node)
        if isinstance(node, Compare):
            return self._compare(node)
        if isinstance(node, In):
            return self._in(node)
        if isinstance(node, Call):
            return self._call(node)
        raise Unmodeled(type(node).__name__)

    def _boolop(self, node: BoolOp) -> Sym:
        is_or = node.op == "or"
        err: Any = z3.BoolVal(False)
        decided: Any = z3.BoolVal(False)
        unknown: Any = z3.BoolVal(False)
        for operand in node.values:
            s = self.expr(operand)
            t = _truth(s)
            live = z3.And(z3.Not(decided), z3.Not(err))
            err = z3.Or(err, z3.And(live, s.err))
            decided = z3.Or(decided, z3.And(live, z3.Not(s.err), s.known, t if is_or else z3.Not(t)))
            unknown = z3.Or(unknown, z3.And(live, z3.Not(s.err), z3.Not(s.known)))
        known = z3.Or(decided, z3.Not(unknown))
        return Sym(known, decided if is_or else z3.Not(decided), err, "bool")

    def _arith(self, node: Arith) -> Sym:
        left, right = self.expr(node.left), self.expr(node.right)
        both = z3.And(left.known, right.known)
        err = z3.Or(left.err, right.err)
        if left.kind == "str" and right.kind == "str" and node.op == "+":
            value = z3.Concat(left.value, right.value)
            err = z3.Or(err, z3.And(both, z3.Length(left.value) + z3.Length(right.value) > MAX_SIZE))
            return Sym(both, value, err, "str")
        if left.kind != "num" or right.kind != "num":
            raise Unmodeled("arithmetic on other values")
        if not node.type.integral:  # floating point rounds what the formulas compute exactly
            self.inexact.add(self._current)
        a, b = left.value, right.value
        if node.op == "+":
            return Sym(both, a + b, err, "num")
        if node.op == "-":
            return Sym(both, a - b, err, "num")
        if node.op == "*":
            return Sym(both, a * b, err, "num")
        if node.op in ("/", "//", "%"):
            err = z3.Or(err, z3.And(both, b == 0))
            quotient = a / b
            if node.op == "/":
                return Sym(both, quotient, err, "num")
            floor = z3.ToReal(z3.ToInt(quotient))
            return Sym(both, floor if node.op == "//" else a - b * floor, err, "num")
        raise Unmodeled(f"the operator {node.op}")

    def _pair(self, op: str, left: Sym, right: Sym) -> Any:
        a, b = left.value, right.value
        if left.kind != right.kind:
            if {left.kind, right.kind} == {"num", "bool"} and op in ("==", "!="):
                a = z3.If(a, z3.RealVal(1), z3.RealVal(0)) if left.kind == "bool" else a
                b = z3.If(b, z3.RealVal(1), z3.RealVal(0)) if right.kind == "bool" else b
            else:
                raise Unmodeled("comparing different kinds")
        if op == "==":
            return a == b
        if op == "!=":
            return a != b
        if left.kind == "bool":
            raise Unmodeled("ordering booleans")
        if left.kind == "str":
            less = {"<": z3.StrLT, ">": lambda x, y: z3.StrLT(y, x), "<=": z3.StrLE, ">=": lambda x, y: z3.StrLE(y, x)}
            return less[op](a, b)
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]

    def _compare(self, node: Compare) -> Sym:
        if any(op in ("in", "not in") for op in node.ops):
            raise Unmodeled("`in` inside a chain")
        if len(node.ops) == 1:
            left = self.expr(node.operands[0])
            right = self.expr(node.operands[1])
            # the right side is read only when the left has a value
            err = z3.Or(left.err, z3.And(left.known, right.err))
            return Sym(z3.And(left.known, right.known), self._pair(node.ops[0], left, right), err, "bool")
        values = [self.expr(o) for o in node.operands]
        err = z3.Or([v.err for v in values])
        false_pair = z3.Or([z3.And(l.known, r.known, z3.Not(self._pair(op, l, r))) for op, l, r in zip(node.ops, values, values[1:])])
        all_known = z3.And([v.known for v in values])
        return Sym(z3.Or(false_pair, all_known), z3.Not(false_pair), err, "bool")

    def _members(self, container: Expr) -> tuple[list[Sym], Any, Any]:
        """The items of a list container as values, whether the list is known, and whether reading it raised."""
        if isinstance(container, Const) and isinstance(container.value, tuple):
            items = [Sym(z3.BoolVal(True), _const_term(v, _kind_of(v)), z3.BoolVal(False), _kind_of(v)) for v in container.value]
            return items, z3.BoolVal(True), z3.BoolVal(False)
        if isinstance(container, ListName):
            values = self.plan.list(container.id).values
            items = [Sym(z3.BoolVal(True), _const_term(v, _kind_of(v)), z3.BoolVal(False), _kind_of(v)) for v in values]
            return items, z3.BoolVal(True), z3.BoolVal(False)
        if isinstance(container, ListOf):
            items = [self.expr(i) for i in container.items]
            return items, z3.And([i.known for i in items]), z3.Or([i.err for i in items])
        raise Unmodeled("a list computed for each lead")

    def _in(self, node: In) -> Sym:
        item = self.expr(node.item)
        if node.container.type.kind == "str":
            text = self.expr(node.container)
            if item.kind != "str" or text.kind != "str":
                raise Unmodeled("text in non-text")
            found = z3.Contains(text.value, item.value)
            known, cerr = text.known, text.err
        else:
            items, known, cerr = self._members(node.container)
            found = z3.Or([self._pair("==", item, other) for other in items if _comparable(item, other)]) if items else z3.BoolVal(False)
        err = z3.Or(item.err, z3.And(item.known, cerr))
        return Sym(z3.And(item.known, known), z3.Not(found) if node.negated else found, err, "bool")

    def _call(self, node: Call) -> Sym:
        true, false = z3.BoolVal(True), z3.BoolVal(False)
        fn = node.fn
        if fn == "count" and node.events is not None:
            total = z3.Sum([self.counter(kind, node.within) for kind in sorted(set(node.events))]) if node.events else z3.IntVal(0)
            return Sym(true, z3.ToReal(total), false, "num")
        if fn == "score":
            name = node.args[0]
            assert isinstance(name, Const) and isinstance(name.value, str)
            if f"score {name.value}" in self.inexact:  # rounding in the score reaches what reads it
                self.inexact.add(self._current)
            return self.scores[name.value]
        if fn == "has":
            s = self.expr(node.args[0]) if node.args[0].type.kind in _MODELED_KINDS else self._field_presence(node.args[0])
            return Sym(true, s.known, s.err, "bool")
        if fn in _TEXT_FUNCTIONS:
            return self._text_call(node)
        if fn in ("days_since", "abs", "min", "max", "len"):
            args = [self.expr(a) for a in node.args]
            known = z3.And([a.known for a in args])
            err = z3.Or([a.err for a in args])
            if fn == "days_since":
                (d,) = args
                if d.kind == "date":
                    return Sym(known, z3.ToReal(-d.value), err, "num")
                if d.kind == "datetime":
                    return Sym(known, z3.ToReal((-d.value) / SECONDS_PER_DAY), err, "num")  # z3's div floors for a positive divisor
                raise Unmodeled("days_since of another kind")
            if fn == "len":
                (s,) = args
                if s.kind != "str":
                    raise Unmodeled("len of a list")
                return Sym(known, z3.ToReal(z3.Length(s.value)), err, "num")
            if any(a.kind != "num" for a in args):
                raise Unmodeled(f"{fn} of non-numbers")
            if fn == "abs":
                v = args[0].value
                return Sym(known, z3.If(v < 0, -v, v), err, "num")
            best = args[0].value
            for a in args[1:]:
                best = z3.If(a.value < best, a.value, best) if fn == "min" else z3.If(a.value > best, a.value, best)
            return Sym(known, best, err, "num")
        raise Unmodeled(f"{fn}()")

    def _text_call(self, node: Call) -> Sym:
        """Case-insensitive text functions: exact for text without capital letters (printable ASCII), a free value otherwise."""
        fn = node.fn
        self.text_fields |= {n.id for arg in node.args for n in walk(arg) if isinstance(n, Name)}
        text = self.expr(node.args[0])
        if text.kind != "str":
            raise Unmodeled(f"{fn} of another kind")
        other = self.opaque(node)  # what the function gives for text it is not exact for
        plain = _lowercase(text.value)
        self.exact.append(plain)
        if fn in ("lower", "upper"):
            same = plain if fn == "lower" else z3.InRe(text.value, _UPPER)
            return Sym(text.known, z3.If(same, text.value, other.value), z3.Or(text.err, z3.And(z3.Not(same), other.err)), "str")
        if fn == "domain":
            # exact when the email is LOCAL@DOMAIN with DOMAIN free of '@', capitals and edge spaces (the solver picks LOCAL, DOMAIN)
            local, dom = z3.String(f"{other.value}:local"), z3.String(f"{other.value}:domain")
            good = z3.And(
                text.value == z3.Concat(local, z3.StringVal("@"), dom),
                z3.Not(z3.Contains(dom, z3.StringVal("@"))),
                z3.Length(dom) > 0,
                _lowercase(dom),
                z3.Not(z3.PrefixOf(z3.StringVal(" "), dom)),
                z3.Not(z3.SuffixOf(z3.StringVal(" "), dom)),
            )
            self.exact.append(good)
            known = z3.And(text.known, z3.Or(good, other.known))
            return Sym(known, z3.If(good, dom, other.value), z3.Or(text.err, z3.And(z3.Not(good), other.err)), "str")
        # contains, contains_any, startswith, endswith: the second argument
        arg = node.args[1]
        if fn == "contains":
            part = self.expr(arg)
            if part.kind != "str":
                raise Unmodeled("contains of another kind")
            both = z3.And(plain, _lowercase(part.value))
            self.exact.append(both)
            found = z3.If(both, z3.Contains(text.value, part.value), other.value)
            err = z3.Or(text.err, part.err, z3.And(z3.Not(both), other.err))
            return Sym(z3.And(text.known, part.known), found, err, "bool")
        parts = _constant_texts(self.plan, arg)
        if parts is None:
            raise Unmodeled(f"{fn} of a list computed for each lead")
        test = {"contains_any": z3.Contains, "startswith": lambda s, p: z3.PrefixOf(p, s), "endswith": lambda s, p: z3.SuffixOf(p, s)}[fn]
        exact = z3.Or([test(text.value, z3.StringVal(p.lower())) for p in parts]) if parts else z3.BoolVal(False)
        return Sym(text.known, z3.If(plain, exact, other.value), z3.Or(text.err, z3.And(z3.Not(plain), other.err)), "bool")

    def _field_presence(self, node: Expr) -> Sym:
        if isinstance(node, Name):
            known, _ = self.fields[node.id]
            return Sym(known, None, z3.BoolVal(False), "list")
        raise Unmodeled("has() of a computed list")

    # -- criteria, groups, flags, scores -----------------------------------------------------------
    def criterion(self, crit: Criterion) -> Trit:
        if crit.id in self.trits:
            return self.trits[crit.id]
        assert crit.expr is not None
        previous, self._current = self._current, crit.id
        try:
            s = self.expr(crit.expr)
            t = _truth(s)
        except Unmodeled:  # a list taken for its truth
            s = self._opaque_truth(crit)
            t = s.value
        finally:
            self._current = previous
        decided = z3.BoolVal(crit.missing == "pass"), z3.BoolVal(crit.missing == "fail")
        ok = z3.Not(s.err)
        P = z3.Or(z3.And(ok, s.known, t), z3.And(ok, z3.Not(s.known), decided[0]))
        F = z3.Or(z3.And(ok, s.known, z3.Not(t)), z3.And(ok, z3.Not(s.known), decided[1]))
        trit = Trit(P, F, z3.And(z3.Not(P), z3.Not(F)))
        self.trits[crit.id] = trit
        return trit

    def _opaque_truth(self, crit: Criterion) -> Sym:
        assert crit.expr is not None
        text = unparse(crit.expr)
        self.approximated.setdefault(crit.id, set()).add(text)
        name = self._name("truth")
        return Sym(z3.Bool(name + ":known"), z3.Bool(name), z3.Bool(name + ":err"), "bool")

    def group(self, group: Group) -> Trit:
        items = [self.group(i) if isinstance(i, Group) else self.criterion(i) for i in group.items]
        trit = combine(group.op, group.n, items)
        if group.criterion is not None and any(c.id in self.inexact for c in group.criteria()[1:]):
            self.inexact.add(group.criterion.id)
        if group.criterion is not None:
            policy = group.criterion.missing
            if policy != "unknown":
                trit = Trit(z3.Or(trit.P, trit.U) if policy == "pass" else trit.P, z3.Or(trit.F, trit.U) if policy == "fail" else trit.F, z3.BoolVal(False))
            self.trits[group.criterion.id] = trit
        return trit

    def flag(self, name: str) -> Trit:
        if name not in self._flags:
            self._flags[name] = self.criterion(self._flag_crit[name])
        return self._flags[name]

    def _score(self, score: ScorePlan) -> Sym:
        total: Any = z3.RealVal(0)
        if score.events:
            if score.half_life is not None:  # decay: a fresh amount of points (approximated)
                self.approximated.setdefault(f"score {score.name}", set()).add(f"the decayed event points of {score.name}")
                total = z3.Real(self._name(f"decayed:{score.name}"))
            else:
                for entry in score.events:
                    points = _const_term(entry.points, "num") * z3.ToReal(self.counter(entry.type, score.window))
                    if entry.max is not None:
                        cap = _const_term(entry.max, "num")
                        points = z3.If(points > cap, cap, points)
                    total = total + points
        for rule in score.rules:
            total = total + z3.If(self.criterion(rule).P, _const_term(rule.points, "num"), z3.RealVal(0))
        fractions = any(not float(e.points).is_integer() for e in score.events) or any(not float(r.points).is_integer() for r in score.rules)
        if fractions or any(rule.id in self.inexact for rule in score.rules):
            self.inexact.add(f"score {score.name}")  # a sum of fractions rounds too
        if score.min is not None:
            low = _const_term(score.min, "num")
            total = z3.If(total < low, low, total)
        if score.max is not None:
            high = _const_term(score.max, "num")
            total = z3.If(total > high, high, total)
        return Sym(z3.BoolVal(True), total, z3.BoolVal(False), "num")

    # -- stages ------------------------------------------------------------------------------------
    def stage_is(self, stage_id: str) -> Any:
        """The lead's stage is ``stage_id`` (a stage, the base stage, or ``disqualified``)."""
        if stage_id == "disqualified":
            return self.disqualified
        ids = [s.id for s in self.plan.stages]
        if stage_id == self.plan.base.id:
            return z3.And(z3.Not(self.disqualified), z3.Not(self.stages[ids[0]].P)) if ids else z3.Not(self.disqualified)
        i = ids.index(stage_id)
        parts = [z3.Not(self.disqualified)] + [self.stages[s].P for s in ids[: i + 1]]
        if i + 1 < len(ids):
            parts.append(z3.Not(self.stages[ids[i + 1]].P))
        return z3.And(parts)

    def stage_ids(self) -> list[str]:
        """Every stage a lead can end in: the base, the stages, and ``disqualified`` when there are disqualifiers."""
        return [self.plan.base.id] + [s.id for s in self.plan.stages] + (["disqualified"] if self.plan.disqualify else [])

    def facts(self) -> list[Any]:
        return self.domain + self.counter_facts()


_TEXT_FUNCTIONS = ("lower", "upper", "domain", "contains", "contains_any", "startswith", "endswith")
_LOWER = z3.Star(z3.Union(z3.Range(" ", "@"), z3.Range("[", "~")))  # printable ASCII but A-Z: lower() leaves it as is
_UPPER = z3.Star(z3.Union(z3.Range(" ", "`"), z3.Range("{", "~")))  # printable ASCII but a-z: upper() leaves it as is


def _lowercase(term: Any) -> Any:
    return z3.InRe(term, _LOWER)


def _constant_texts(plan: Plan, node: Expr) -> tuple[str, ...] | None:
    """The texts of a constant argument (one text, a list literal, a named list); None for anything computed per lead."""
    if isinstance(node, Const):
        if isinstance(node.value, str):
            return (node.value,)
        if isinstance(node.value, tuple) and all(isinstance(v, str) for v in node.value):
            return tuple(node.value)
    if isinstance(node, ListName):
        values = plan.list(node.id).values
        if all(isinstance(v, str) for v in values):
            return tuple(values)
    return None


def _comparable(a: Sym, b: Sym) -> bool:
    return a.kind == b.kind or {a.kind, b.kind} == {"num", "bool"}


def combine(op: str, n: int, items: list[Trit]) -> Trit:
    """A group's outcome from its items' (``_combine`` of the reference interpreter)."""
    if not items:
        return Trit(z3.BoolVal(op in ("all", "none")), z3.BoolVal(op in ("any", "at_least")), z3.BoolVal(False))
    if op == "all":
        P, F = z3.And([t.P for t in items]), z3.Or([t.F for t in items])
    elif op == "any":
        P, F = z3.Or([t.P for t in items]), z3.And([t.F for t in items])
    elif op == "none":
        P, F = z3.And([t.F for t in items]), z3.Or([t.P for t in items])
    else:
        passed = z3.Sum([z3.If(t.P, 1, 0) for t in items])
        maybe = z3.Sum([z3.If(z3.Or(t.P, t.U), 1, 0) for t in items])
        P, F = passed >= n, maybe < n
    return Trit(P, F, z3.And(z3.Not(P), z3.Not(F)))


def _same_number(a: FieldPlan, b: FieldPlan) -> bool:
    """Two versions of a number field that read the same raw number, perhaps with other bounds."""
    return (a.type, a.source, a.default, a.missing, a.format) == (b.type, b.source, b.default, b.missing, b.format)


def _same_reading(a: FieldPlan, b: FieldPlan) -> bool:
    """Two versions of a field read every raw value the same way (so one variable serves both)."""
    return (a.type, a.source, a.default, a.missing, a.values, a.format, a.min, a.max) == (b.type, b.source, b.default, b.missing, b.values, b.format, b.min, b.max)


# -- models as leads ----------------------------------------------------------------------------------

_BAD = {"integer": "not a number", "number": "not a number", "boolean": "not a boolean", "enum": "not one of the values", "date": "not a date", "datetime": "not a datetime", "events": "not a list of events"}


def _number(term: Any, whole: bool) -> int | float:
    if z3.is_int_value(term):
        return int(term.as_long())
    if z3.is_rational_value(term):
        frac = Fraction(term.numerator_as_long(), term.denominator_as_long())
        return int(frac) if frac.denominator == 1 else float(frac)
    if z3.is_algebraic_value(term):
        return float(term.approx(20).as_fraction())
    raise ValueError(f"not a number: {term}")


def lead_of(model: Any, encoders: Iterable[Encoder], as_of: datetime) -> dict[str, Any]:
    """The lead a z3 model describes, as raw values (a dict like a JSON record).

    Every field gets the model's value (free variables their default
    completion): a field with a ``default:`` left out would read as the
    default, which the model may not mean. Witnesses are shrunk afterwards.
    """
    lead: dict[str, Any] = {}
    seen: set[str] = set()
    for enc in encoders:
        for spec in enc.plan.fields:
            if spec.source in seen:
                continue
            seen.add(spec.source)
            known, value = enc.raw.get(spec.name) or enc.fields[spec.name]
            has = z3.is_true(model.eval(known, model_completion=True))
            raw: Any
            if spec.type == "events":
                items = _events(model, enc, as_of)
                raw = items if has else (_BAD["events"] if spec.default is not None else _MISSING)
            elif not has:
                raw = _BAD.get(spec.type, {"not": "a value"}) if spec.default is not None else _MISSING
            elif spec.type == "list":
                raw = []  # what is asked of a list's items is not modelled: an empty list has a value
            else:
                raw = _raw(model.eval(value, model_completion=True), spec, as_of)
            if raw is not _MISSING:
                _put(lead, spec.source, raw)
    return lead


_MISSING = object()


def _put(lead: dict[str, Any], source: str, raw: Any) -> None:
    parts = source.split(".")
    target = lead
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = raw


def _raw(term: Any, spec: FieldPlan, as_of: datetime) -> Any:
    if spec.type == "integer":
        return int(_number(term, True))
    if spec.type == "number":
        return _number(term, False)
    if spec.type in ("string", "enum"):
        return term.as_string()
    if spec.type == "boolean":
        return z3.is_true(term)
    if spec.type == "date":
        return (as_of.date() + timedelta(days=term.as_long())).isoformat()
    if spec.type == "datetime":
        return _iso(as_of + timedelta(seconds=term.as_long()))
    raise ValueError(spec.type)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _events(model: Any, enc: Encoder, as_of: datetime) -> list[dict[str, str]]:
    """Events that give every counter its value in the model: each at the middle of its slice between windows."""
    out: list[dict[str, str]] = []
    kinds = sorted({k for k, _ in enc.counters})
    for kind in kinds:
        windows = sorted((w for k, w in enc.counters if k == kind and w is not None), key=lambda w: w.total_seconds())
        keys: list[timedelta | None] = list(windows) + ([None] if (kind, None) in enc.counters else [])
        done = 0
        inner = timedelta(0)
        for key in keys:
            n = model.eval(enc.counters[(kind, key)], model_completion=True).as_long()
            at = as_of - (inner + (key - inner) / 2 if key is not None else inner + timedelta(days=1))
            for _ in range(max(0, n - done)):
                out.append({"type": kind, "at": _iso(at)})
            done = max(done, n)
            inner = key if key is not None else inner
    return out

