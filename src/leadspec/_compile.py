"""A :class:`~leadspec.plan.Plan` -> two generated Python functions.

``evaluate(rec, as_of, issues)`` coerces every field, computes every
flag (each once, before anything reads it), every score and every
criterion (file order) and returns raw tuples that
:class:`~leadspec.result.Result` turns into readable parts on demand.

``stage(rec, as_of)`` is the fast path: disqualifiers first, then stage
by stage, coercing a field only when the first block that needs it runs,
short-circuiting groups, and returning as soon as a stage is not reached.
Both use the same expression code and the same per-criterion error
handling, so ``stage(lead) == evaluate(lead).stage`` always.

The source is kept (``Ruleset.generated_source()``) so it can be read.
"""

from __future__ import annotations

import itertools
import linecache
import weakref
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping, NamedTuple

from ._codegen import Env, Namespace, compile_truth
from ._fields import Coercer, _fromiso, lookup, walk_path
from ._functions import FUNCTIONS, Parts
from ._runtime import EARLIEST, NOT_YET, EventScore, Sink, arith, chain, failed, k_all, k_any, k_at_least, k_none
from .plan import Call, Criterion, Expr, FlagName, Group, Location, Name, Plan, ScorePlan, flag_name, walk

DISQUALIFIED = "disqualified"

MAX_SOURCE = 1_500_000
"""Most characters of generated Python one rule file may compile to.

``compile()`` takes about a second per 1.5 MB on an ordinary machine, and
much more memory than the source; a file over this is refused before
anything is compiled (generation stops as soon as the bound is crossed).
"""


class TooMuchCode(Exception):
    """The generated source crossed :data:`MAX_SOURCE` at ``location`` in the rule file (None: at the end)."""

    def __init__(self, size: int, location: Location | None) -> None:
        super().__init__(f"{size:,} characters of Python")
        self.size = size
        self.location = location


def reads(expr: Expr, events_field: str | None) -> tuple[list[str], list[str]]:
    """The fields and the scores ``expr`` reads, each once, in the order first read (events for event functions)."""
    fields: list[str] = []
    scores: list[str] = []
    for node in walk(expr):
        if isinstance(node, Name) and node.id not in fields:
            fields.append(node.id)
        elif isinstance(node, Call):
            function = FUNCTIONS[node.fn]
            if function.takes == "events" and events_field is not None and events_field not in fields:
                fields.append(events_field)
            elif function.takes == "score_name":
                name = node.args[0].value  # type: ignore[union-attr]
                if name not in scores:
                    scores.append(name)  # type: ignore[arg-type]
    return fields, scores


def flags_read(expr: Expr) -> list[str]:
    """The flags ``expr`` reads by name, each once, in the order first read."""
    return list(dict.fromkeys(node.id for node in walk(expr) if isinstance(node, FlagName)))


def _flag_var(name: str) -> str:
    return f"fl_{name}"


FUSED_VALUES = 8
"""The most counts and event scores ``stage()`` computes in its one pass over the lead's events (:meth:`_Gen.fused_event_lines`):
the call of the pass names each, and a call in a branch that may not run is written again by each later reader."""


class _EventParts(NamedTuple):
    """The pieces of the one pass over the events (:meth:`_Gen.event_parts`)."""

    init: list[str]  # each count and event score's variable at 0 (before anything reads the events)
    windows: list[str]  # each window's start (as_of minus its length)
    prepare: list[str]  # each event score's list of counts by type
    loop: list[str]  # for one event (`_k` its type, `_at` its moment, at or before as_of): what it adds
    after: list[str]  # each event score's total from its counts

    def over(self, events: str) -> list[str]:
        """The pass over ``events``, a list of ``(type, at, original)`` (or None), after :attr:`init`."""
        lines = [f"if {events}:"] + ["    " + line for line in self.windows + self.prepare]
        lines += [f"    for _k, _at, _ in {events}:", "        if _at > as_of: continue"]
        lines += ["        " + line for line in self.loop]
        return lines + ["    " + line for line in self.after]


class _Gen:
    def __init__(self, plan: Plan, file: str, positions: Mapping[str, int] | None = None) -> None:
        self.plan = plan
        self.positions = positions  # a lead given as a sequence of values: each column's place in it (see Compiled.by_position)
        # in a comment: every character Python or linecache could read as a line break (or refuse) becomes a space
        self.file = "".join(ch if ch.isprintable() else " " for ch in file)
        self.ns = Namespace()
        self.ns.globals.update(
            {
                "_chain": chain,
                "_arith": arith,
                "_all": k_all,
                "_any": k_any,
                "_none": k_none,
                "_at_least": k_at_least,
                "_failed": failed,
                "_sink": Sink(),
            }
        )
        self.coercers = {f.name: Coercer.from_plan(f) for f in plan.fields}
        self.field_locations = {f.name: f.location for f in plan.fields if f.location is not None}
        lists = {named.name: self.ns.constant(named.values, f"_L_{named.name}_") for named in plan.lists}
        list_sets = {}
        for name, values in ((named.name, named.values) for named in plan.lists):
            try:
                list_sets[name] = self.ns.constant(frozenset(values), f"_S_{name}_")
            except TypeError:  # pragma: no cover - lists hold text and numbers only
                list_sets[name] = lists[name]
        self.env = Env(
            fields={name: f"f_{name}" for name in self.coercers},
            lists=lists,
            list_sets=list_sets,
            scores={s.name: f"s_{s.name}" for s in plan.scores},
            events=f"f_{plan.events_field}" if plan.events_field else None,
            flags={flag_name(c.id) or c.id: _flag_var(flag_name(c.id) or c.id) for c in plan.flags},
        )
        self.flags = {flag_name(c.id) or c.id: c for c in plan.flags}
        self.flag_reads = {c.index: flags_read(c.expr) for c in plan.criteria if c.expr is not None}
        self.scores = {s.name: s for s in plan.scores}
        self.event_scores = {s.name: EventScore(s) for s in plan.scores if s.events}
        self.reads = {c.index: reads(c.expr, plan.events_field) for c in plan.criteria if c.expr is not None}
        self.codes: dict[tuple[int, bool], str] = {}  # code of each criterion's truth, by (index, counts precomputed)
        self.events_pass: str | None = None  # the source of stage()'s one pass over the events (fused_event_lines)
        self.size = 0  # characters generated so far, against MAX_SOURCE

    def counted(self, lines: list[str], location: Location | None) -> list[str]:
        """``lines``, after adding their size to what was generated; :class:`TooMuchCode` past :data:`MAX_SOURCE`."""
        self.size += sum(len(line) + 5 for line in lines)  # indentation and newline
        if self.size > MAX_SOURCE:
            raise TooMuchCode(self.size, location)
        return lines

    # -- pieces ------------------------------------------------------------
    def field_lines(self, name: str) -> list[str]:
        """Read a field's raw value and coerce it: the fast paths come from the coercion table (``Coercer.code_lines``)."""
        c = self.coercers[name]
        var = self.env.fields[name]
        at = self.positions
        if at is not None:  # rec: a sequence of values; a column it lacks is a field without a value
            if c.source in at:
                lines = [f"{var} = rec[{at[c.source]}]"]
            elif c.path is not None and c.path[0] in at:
                lines = [f"{var} = {self.ns.function(walk_path, 'walk_path')}(rec[{at[c.path[0]]}], {self.ns.constant(c.path[1:])})"]
            else:
                lines = [f"{var} = None"]
        elif c.path is None:
            lines = [f"{var} = rec.get({c.source!r})"]
        else:
            lines = [f"{var} = {self.ns.function(lookup, 'lookup')}(rec, {c.source!r}, {self.ns.constant(c.path)})"]
        lines += c.code_lines(var, self.ns.constant)
        return self.counted(lines, self.field_locations.get(name))

    def criterion_lines(self, c: Criterion, var: str) -> list[str]:
        assert c.expr is not None
        key = (c.index, bool(self.env.precomputed))  # evaluate() reads counts computed before; stage() calls _count
        code = self.codes.get(key)
        if code is None:  # the same code in both functions: generated once
            code = self.codes[key] = compile_truth(c.expr, self.env, self.ns)
        lines = [f"# {c.id} ({self.file}:{c.location.line}:{c.location.column})", "try:", f"    {var} = {code}"]
        if c.missing != "unknown":  # the policy decides a missing value, not an error
            lines.append(f"    if {var} is None: {var} = {c.missing == 'pass'}")
        lines.append(f"except Exception: {var} = _failed(issues, {c.id!r})")
        return self.counted(lines, c.location)

    def score_lines(self, s: ScorePlan, outcome: Callable[[Criterion], str], fused: bool = False) -> list[str]:
        lines: list[str] = []
        terms = []
        if s.events and fused:
            terms.append(f"_es_{s.name}")
        elif s.events:
            helper = self.ns.constant(self.event_scores[s.name].total, f"_score_{s.name}_")
            terms.append(f"{helper}({self.env.events}, as_of)")
        for rule in s.rules:
            var = outcome(rule)
            lines += self.criterion_lines(rule, var)
            terms.append(f"({self.ns.constant(rule.points, '_pts')} if {var} is True else 0)")
        total = " + ".join(terms) or "0"
        lines.append(f"s_{s.name} = {total}")
        if s.min is not None:
            low = self.ns.constant(s.min, "_low")
            lines.append(f"if s_{s.name} < {low}: s_{s.name} = {low}")
        if s.max is not None:
            high = self.ns.constant(s.max, "_high")
            lines.append(f"if s_{s.name} > {high}: s_{s.name} = {high}")
        return lines

    # -- evaluate: everything ---------------------------------------------------
    def evaluate_source(self) -> str:
        plan = self.plan
        body: list[str] = []
        for name in self.coercers:
            body += self.field_lines(name)
        body += self.event_pass()
        for name, flag in self.flags.items():  # every flag, once, before anything that may read it
            body += self.criterion_lines(flag, _flag_var(name))
        for s in plan.scores:
            body += self.score_lines(s, lambda c: f"o{c.index}", fused=True)
        for c in plan.disqualify:
            body += self.criterion_lines(c, f"o{c.index}")
        stage_vars = []
        for st in plan.stages:
            for c in st.condition.criteria():
                if c.expr is not None:
                    body += self.criterion_lines(c, f"o{c.index}")
            var = f"g{st.index}"
            body.append(f"{var} = {self.group_expr(st.condition)}")
            stage_vars.append(var)
        self.env.precomputed.clear()  # the fast path calls _count itself
        fields = ", ".join(self.env.fields[n] for n in self.coercers)
        outcome_of = {c.index: _flag_var(name) for name, c in self.flags.items()}
        outcomes = ", ".join(outcome_of.get(c.index, f"o{c.index}") for c in plan.criteria)
        scores = ", ".join(f"s_{s.name}" for s in plan.scores)
        # the stage: disqualified, else the last stage reached in order. Flat ifs, from the last
        # stage back, so the first stage not reached wins: an elif chain nests one level per stage
        # and Python's compiler gives up at a few thousand (RecursionError).
        previous = [plan.base.id] + [st.id for st in plan.stages]
        body.append(f"_stage = {previous[-1]!r}")
        for i in reversed(range(len(plan.stages))):
            body.append(f"if {stage_vars[i]} is not True: _stage = {previous[i]!r}")
        if plan.disqualify:
            body.append(f"if {' or '.join(f'o{c.index} is True' for c in plan.disqualify)}: _stage = {DISQUALIFIED!r}")
        body.append(
            f"return _stage, (({fields},), ({outcomes}{',' if outcomes else ''}), ({', '.join(stage_vars)},), "
            f"({scores}{',' if scores else ''}))"
        )
        return "def _evaluate(rec, as_of, issues):\n" + "\n".join("    " + line for line in body) + "\n"

    def event_pass(self) -> list[str]:
        """One loop over the events for every count() and event score (evaluate, and stage() when the rule file reads
        its events through nothing else: see :meth:`fused_event_lines`).

        Computes the same values as ``_count`` and ``EventScore.total``, in
        the same order of additions, so evaluate() and stage() agree.
        """
        parts = self.event_parts()
        if parts is None:
            return []
        return parts.init + parts.over(str(self.env.events))

    def events_only_counted(self) -> bool:
        """Whether every reading of the events field is a count() or an event score (no last(), first(), no field
        read as a value), and they are at most :data:`FUSED_VALUES` counts and scores: then one pass over the events
        computes all the rules need of them (:meth:`fused_event_lines`)."""
        events = self.plan.events_field
        if events is None:
            return False
        counts: set[tuple[frozenset[str], Any]] = set()
        for crit in self.plan.criteria:
            for node in walk(crit.expr) if crit.expr is not None else ():
                if isinstance(node, Name) and node.id == events:
                    return False
                if isinstance(node, Call) and FUNCTIONS[node.fn].takes == "events":
                    if not FUNCTIONS[node.fn].counts_events:
                        return False
                    counts.add((frozenset(node.events or ()), node.within))
        return len(counts) + sum(1 for s in self.plan.scores if s.events) <= FUSED_VALUES

    def fused_event_lines(self) -> tuple[list[str], str | None]:
        """``stage()``'s reading of the events field when :meth:`events_only_counted`: the loop of :meth:`event_pass`
        over the input's own list while each event is plainly an object with a text ``type`` and an ``at`` in UTC (an
        aware datetime, or ISO text that reads as one), with no list of ``(type, at, original)`` tuples built; at the
        first event that is not (or anything that raises), the field is read as ``evaluate()`` reads it and the pass
        runs again over what it gives.

        The pass is one helper function, written once: ``stage()`` calls it wherever the events are first needed
        (a value first needed in a branch that may not run is computed again by each later reader, and the pass
        written out at each would grow with readers times counts). The lines that read the field and call it, and the
        function's source (None: nothing to count)."""
        events = self.plan.events_field
        assert events is not None
        read, *coerce = self.field_lines(events)
        parts = self.event_parts()
        if parts is None:  # (no count and no event score: nothing reads the events)
            return [read, *coerce], None
        var = str(self.env.events)
        fromiso = self.ns.constant(_fromiso, "_fromiso")
        utc = self.ns.constant(timezone.utc, "_UTC")
        dt = self.ns.constant(datetime, "_datetime")
        body = [*parts.init, "_evok = False", f"if type({var}) is {self.ns.constant(list, '_list')}:", "    try:"]
        body += ["        " + line for line in parts.windows + parts.prepare]
        body += [
            f"        for _e in {var}:",
            "            _k = _e['type']",
            "            _at = _e['at']",
            f"            if type(_at) is not {dt}:",
            "                if type(_at) is not str: break",  # (a subclass of str: evaluate()'s careful reading)
            f"                _at = {fromiso}(_at)",
            f"            if type(_k) is not str or not _k or _at.tzinfo is not {utc}: break",
            "            if _at > as_of: continue",
        ]
        body += ["            " + line for line in parts.loop]
        body += ["        else:", "            _evok = True", "    except Exception:", "        _evok = False"]
        again = ["    " + line for line in coerce + parts.init + parts.over(var)]
        if parts.after:
            body += ["if _evok:", *("    " + line for line in parts.after), "else:", *again]
        else:
            body += ["if not _evok:", *again]
        values = [var, *(line.split(" = ", 1)[0] for line in parts.init)]  # the field, each count and event score
        body.append(f"return {', '.join(values)}")
        helper = "_events_pass"
        source = f"def {helper}({var}, as_of, issues):\n" + "".join(f"    {line}\n" for line in self.counted(body, self.field_locations.get(events)))
        return [read, f"{', '.join(values)} = {helper}({var}, as_of, issues)"], source

    def event_parts(self) -> _EventParts | None:
        """The pieces of :meth:`event_pass`, every count() call of the rules noted as precomputed; None when the
        rules count nothing and have no event score (or no events field)."""
        plan = self.plan
        events = self.env.events
        counts: dict[tuple[frozenset[str], Any], str] = {}
        for crit in plan.criteria:
            if crit.expr is None:
                continue
            for node in walk(crit.expr):
                if isinstance(node, Call) and FUNCTIONS[node.fn].counts_events:
                    key = (frozenset(node.events or ()), node.within)
                    var = counts.setdefault(key, f"_n{len(counts)}")
                    self.env.precomputed[node] = var
        scores = [s for s in plan.scores if s.events]
        if events is None or (not counts and not scores):
            return None
        windows: dict[Any, str] = {}

        def window(delta: Any) -> str | None:
            if delta is None:
                return None
            return windows.setdefault(delta, f"_w{len(windows)}")

        init = [f"{var} = 0" for var in counts.values()]
        loop: list[str] = []
        for (types, within), var in counts.items():
            kinds = self.ns.constant(types, "_ev")
            start = window(within)
            condition = f"_k in {kinds}" + (f" and _at >= {start}" if start else "")
            loop.append(f"if {condition}: {var} += 1")
        after: list[str] = []
        prepare: list[str] = []  # (inside the `if events:`: a lead without events allocates nothing)
        for s in scores:
            # per type: its count (decayed: the sum of its points) in a list; after the loop, in the file's order, count
            # times points, capped, added up from 0 (EventScore.total's order: not the events')
            helper = self.event_scores[s.name]
            total, acc = f"_es_{s.name}", f"_acc_{s.name}"
            init.append(f"{total} = 0")
            prepare.append(f"{acc} = [0] * {len(helper.order)}")
            place = self.ns.constant({kind: i for i, kind in enumerate(helper.order)}, "_place")
            start = window(s.window)
            loop.append(f"_i = {place}.get(_k)")
            loop.append(f"if _i is not None{f' and _at >= {start}' if start else ''}:")
            if helper.half_life is not None:
                points = self.ns.constant(tuple(helper.table[kind] for kind in helper.order), "_pts")
                loop.append(f"    {acc}[_i] += {points}[_i] * 0.5 ** ((as_of - _at).total_seconds() / {helper.half_life!r})")
                tally = f"_cnt_{s.name}"  # (a decayed sum may be 0.0: whether the type had events is counted apart)
                prepare.append(f"{tally} = [0] * {len(helper.order)}")
                loop.append(f"    {tally}[_i] += 1")
            else:
                loop.append(f"    {acc}[_i] += 1")
            for i, kind in enumerate(helper.order):
                part = f"{acc}[{i}]" if helper.half_life is not None else f"{acc}[{i}] * {self.ns.constant(helper.table[kind], '_pts')}"
                had = f"_cnt_{s.name}[{i}]" if helper.half_life is not None else f"{acc}[{i}]"
                if kind in helper.caps:
                    cap = self.ns.constant(helper.caps[kind], "_capv")
                    after.append(f"if {had}: _p = {part}; {total} += {cap} if _p > {cap} else _p")
                else:
                    after.append(f"if {had}: {total} += {part}")
        starts = [f"{var} = as_of - {self.ns.constant(delta, '_dt')}" for delta, var in windows.items()]
        return _EventParts(init, starts, prepare, loop, after)

    def group_expr(self, g: Group) -> str:
        parts = [f"o{i.index}" if isinstance(i, Criterion) else self.group_expr(i) for i in g.items]
        if g.op == "at_least":
            code = f"_at_least({g.n}, ({', '.join(parts)},))"
        elif all(p.isidentifier() for p in parts):  # plain outcomes: Kleene logic written out
            decisive, other = ("False", "True") if g.op == "all" else ("True", "False")
            is_decisive = " or ".join(f"{p} is {decisive}" for p in parts)
            is_unknown = " or ".join(f"{p} is None" for p in parts)
            if g.op == "none":
                decisive, other = "False", "True"
            code = f"({decisive} if {is_decisive} else (None if {is_unknown} else {other}))"
        else:
            code = f"_{g.op}(({', '.join(parts)},))"
        if g.criterion is not None:
            return f"(o{g.criterion.index} := {code})"
        return code

    # -- stage: the fast path -------------------------------------------------------
    def stage_source(self) -> str:
        return _FastPath(self).source()


class _FastPath:
    """Generates ``_stage``: each value is computed just before the first criterion that reads it.

    A value first computed inside a branch that may not run (an item of an
    ``any`` after the first) is "maybe" computed: it starts as ``_NOT_YET``
    and later readers compute it under ``if var is _NOT_YET:``.
    """

    def __init__(self, gen: _Gen) -> None:
        self.gen = gen
        self.plan = gen.plan
        self.state: dict[str, str] = {}  # variable -> "ready" | "maybe"
        self.late: list[str] = []  # variables that start as _NOT_YET
        self.temps = itertools.count()
        gen.ns.globals["_NOT_YET"] = NOT_YET
        # when the rules read the events only through count() and event scores, the events are read in one pass that
        # computes all of them (fused_event_lines, written here, before any criterion: every count() reads its
        # precomputed variable)
        self.fused = gen.events_only_counted()
        self.events_lines: list[str] = []  # (fused: the lines that read the events field, wherever it is first needed)
        if self.fused:
            self.events_lines, gen.events_pass = gen.fused_event_lines()

    def source(self) -> str:
        plan = self.plan
        body: list[str] = ["issues = _sink"]
        for c in plan.disqualify:
            var = f"_d{c.index}"
            body += self.item(c, var, conditional=False)
            body.append(f"if {var} is True: return {DISQUALIFIED!r}")
        previous = plan.base.id
        for st in plan.stages:
            if st.condition.op == "all" and st.condition.criterion is None:
                for item in st.condition.items:  # reached only if every item passes: stop at the first that does not
                    var = f"_v{next(self.temps)}"
                    body += self.item(item, var, conditional=False)
                    body.append(f"if {var} is not True: return {previous!r}")
            else:
                var = f"_g{next(self.temps)}"
                body += self.item(st.condition, var, conditional=False)
                body.append(f"if {var} is not True: return {previous!r}")
            previous = st.id
        body.append(f"return {previous!r}")
        body[1:1] = [f"{var} = _NOT_YET" for var in self.late]
        self.gen.env.precomputed.clear()
        return "def _stage(rec, as_of):\n" + "\n".join("    " + line for line in body) + "\n"

    # -- values ------------------------------------------------------------------
    def ensure(self, crit: Criterion, conditional: bool, own_only: bool = False) -> list[str]:
        """The lines that compute what ``crit`` reads: the flags it reads directly or through other flags (in
        evaluation order, each after the flags it reads), its scores and fields. ``own_only``: not the flags (a
        flag's code, whose flags its reader computed just before it)."""
        fields, scores = self.gen.reads[crit.index]
        lines: list[str] = []
        for name in () if own_only else self.flags_needed(crit.index):  # a chain of flags is a loop here, not recursion
            lines += self.value(_flag_var(name), self.flag_code(name), conditional)
        for name in scores:
            lines += self.value(f"s_{name}", self.score_code(name), conditional)
        for name in fields:
            lines += self.value(f"f_{name}", self.field_code(name), conditional)
        return lines

    def field_code(self, name: str) -> Callable[[bool], list[str]]:
        def build(conditional: bool) -> list[str]:
            if self.fused and name == self.plan.events_field:
                return list(self.events_lines)
            return self.gen.field_lines(name)

        return build

    def flags_needed(self, index: int) -> list[str]:
        """The flags criterion ``index`` reads, directly or through other flags, in evaluation order."""
        needed: set[str] = set()
        todo = list(self.gen.flag_reads[index])
        while todo:
            name = todo.pop()
            if name not in needed:
                needed.add(name)
                todo.extend(self.gen.flag_reads[self.gen.flags[name].index])
        return [name for name in self.gen.flags if name in needed]  # plan.flags is in evaluation order

    def flag_code(self, name: str) -> Callable[[bool], list[str]]:
        def build(conditional: bool) -> list[str]:
            flag = self.gen.flags[name]
            return self.ensure(flag, conditional, own_only=True) + self.gen.criterion_lines(flag, _flag_var(name))

        return build

    def score_code(self, name: str) -> Callable[[bool], list[str]]:
        def build(conditional: bool) -> list[str]:
            s = self.gen.scores[name]
            lines: list[str] = []
            events = self.plan.events_field
            if s.events and events:
                lines += self.value(f"f_{events}", self.field_code(events), conditional)
            for rule in s.rules:
                lines += self.ensure(rule, conditional)
            return lines + self.gen.score_lines(s, lambda c: f"_r{next(self.temps)}", fused=self.fused)

        return build

    def value(self, var: str, build: Callable[[bool], list[str]], conditional: bool) -> list[str]:
        state = self.state.get(var)
        if state == "ready":
            return []
        # dependencies are computed inside, under this value's guard when it has one
        lines = build(conditional or state == "maybe")
        if state == "maybe":
            lines = [f"if {var} is _NOT_YET:"] + ["    " + line for line in lines]
        elif conditional:
            self.late.append(var)
        self.state[var] = "maybe" if conditional and state is None else ("ready" if not conditional else state or "maybe")
        return lines

    # -- criteria and groups ----------------------------------------------------
    def item(self, item: Criterion | Group, var: str, conditional: bool) -> list[str]:
        if isinstance(item, Criterion):
            return self.ensure(item, conditional) + self.gen.criterion_lines(item, var)
        g = item
        lines: list[str] = []
        if g.op == "at_least":
            passed, unknown = f"_p{next(self.temps)}", f"_u{next(self.temps)}"
            lines += [f"{passed} = 0", f"{unknown} = 0"]
            for i, sub in enumerate(g.items):
                v = f"_v{next(self.temps)}"
                inner = self.item(sub, v, conditional or i >= g.n)
                count = [f"if {v} is True: {passed} += 1", f"elif {v} is None: {unknown} += 1"]
                if i < g.n:  # the first n items always run
                    lines += inner + count
                else:
                    lines.append(f"if {passed} < {g.n}:")
                    lines += ["    " + x for x in inner + count]
            lines.append(f"{var} = True if {passed} >= {g.n} else (False if {passed} + {unknown} < {g.n} else None)")
            return lines
        decisive = "False" if g.op == "all" else "True"  # any and none both stop at the first True
        start = "True" if g.op == "all" else "False"
        acc = var if g.op != "none" else f"_h{next(self.temps)}"
        lines.append(f"{acc} = {start}")
        for i, sub in enumerate(g.items):
            v = f"_v{next(self.temps)}"
            inner = self.item(sub, v, conditional or i > 0)
            update = [f"if {v} is {decisive}: {acc} = {decisive}", f"elif {v} is None: {acc} = None"]
            if i == 0:  # the first item always runs
                lines += inner + update
            else:
                lines.append(f"if {acc} is not {decisive}:")
                lines += ["    " + x for x in inner + update]
        if g.op == "none":
            lines.append(f"{var} = None if {acc} is None else not {acc}")
        return lines


class Compiled:
    """The generated functions and their source.

    The source is registered with :mod:`linecache` under its own file name
    (``<leadspec NAME #N>``), so a traceback through generated code shows
    the line; each criterion's code starts with a comment naming it and
    its place in the rule file.
    """

    _serial = itertools.count(1)

    def __init__(self, plan: Plan, file: str = "<rules>") -> None:
        gen = _Gen(plan, file)
        body = gen.evaluate_source() + "\n\n" + gen.stage_source()
        if gen.events_pass is not None:  # stage()'s one pass over the events, after the two functions a reader looks for
            body += "\n\n" + gen.events_pass
        self._plan, self._file = plan, file
        self.filename = f"<leadspec {plan.name} #{next(Compiled._serial)}>"
        self.source, namespace = self._functions(gen, body, self.filename)
        # evaluate(rec, as_of, issues) -> (stage, fields, outcomes, stage outcomes, scores)
        self.evaluate: Callable[[Any, datetime, Any], tuple[Any, ...]] = namespace["_evaluate"]
        self.stage: Callable[[Any, datetime], str] = namespace["_stage"]
        self.event_scores = gen.event_scores
        self.reads = gen.reads
        """The fields and scores each criterion's expression reads, by criterion index (see :func:`reads`)."""
        self.flag_reads = gen.flag_reads
        """The flags each criterion's expression reads by name, by criterion index (see :func:`flags_read`)."""
        windows = [s.window for s in plan.scores if s.window is not None]
        for crit in plan.criteria:
            exprs = [crit.expr] if crit.expr is not None else []
            exprs += [p for p in (crit.because.parts if crit.because else ()) if not isinstance(p, str)]
            windows += [n.within for e in exprs for n in walk(e) if isinstance(n, Call) and n.within is not None]
        self.earliest_as_of = EARLIEST + max(windows, default=timedelta(0))
        """The earliest ``as_of`` whose windows start after the year 1 (``as_of - window`` overflows before)."""

    def _functions(self, gen: _Gen, body: str, filename: str, owner: Any = None) -> tuple[str, dict[str, Any]]:
        """The whole source of ``body`` (with the helpers ``gen`` wrote) and the namespace it defines, compiled under
        ``filename`` and registered with linecache for as long as ``owner`` lives (these rules by default)."""
        source = "".join(helper + "\n" for helper in gen.ns.helpers) + body  # helpers of deep expressions first
        if len(source) > MAX_SOURCE:  # what the items did not count (groups, stage selection): still before compile()
            raise TooMuchCode(len(source), None)
        namespace = {name: _lowered_once(value) for name, value in gen.ns.globals.items()}
        namespace["__builtins__"] = {"type": type, "int": int, "float": float, "str": str, "bool": bool, "len": len, "Exception": Exception}
        code = compile(source, filename, "exec")
        exec(code, namespace)  # noqa: S102 - source generated from a checked plan, see module docstring
        lines = [line + "\n" for line in source.split("\n")]  # the lines as compile() counted them (splitlines() breaks at more)
        linecache.cache[filename] = (len(source), None, lines, filename)
        weakref.finalize(self if owner is None else owner, linecache.cache.pop, filename, None)  # forgotten with its owner
        return source, namespace

    def by_position(self, positions: Mapping[str, int]) -> Callable[[Any, datetime, Any], tuple[Any, ...]]:
        """``evaluate`` of a lead given as a sequence of values: ``positions`` is each column's place in it (a column
        missing there is a field without a value, as a key missing from a dict is). The same code but for the reads."""
        gen = _Gen(self._plan, self._file, positions)
        body = gen.evaluate_source()
        filename = f"<leadspec {self._plan.name} by position #{next(Compiled._serial)}>"
        owner = _Owner()  # its source is forgotten with the function, not kept as long as the rules (a header a day)
        function: Callable[[Any, datetime, Any], tuple[Any, ...]] = self._functions(gen, body, filename, owner)[1]["_evaluate"]
        function.__dict__["_owner"] = owner
        return function


class _Owner:
    """What a generated function holds while it lives: its source leaves linecache when this is collected."""


def _lowered_once(value: Any) -> Any:
    """A constant tuple of text as :class:`~leadspec._functions.Parts` (lower-cased once, for the text functions)."""
    if type(value) is tuple and value and all(type(item) is str for item in value):
        return Parts(value)
    return value


__all__ = ["Compiled", "DISQUALIFIED", "MAX_SOURCE", "TooMuchCode", "flags_read", "reads"]
