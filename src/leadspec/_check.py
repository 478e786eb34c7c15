"""Check a validated rule file: ids, references, every expression; the checked records.

The data has been validated (``_validate``); here ids must be unique,
names must refer to declared fields, lists and scores, and every
expression and ``because`` template is checked (``_expr``). Every
problem found is collected, with its file, line and column, before
anything is raised; where one part of the file is broken the other parts
are still checked. What comes out is the checked records below (with
their place in the file, for lints and diffs), from which ``_build``
makes the public plan.
"""

from __future__ import annotations

import keyword
import dataclasses
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Iterator, Union

from . import plan as _plan
from ._expr import Budget, Checked, Context, ExprProblem, check_expression, suggest
from ._fields import BadValue, Coercer
from ._model import Allow, Base, Criterion, FieldSpec, Group, RuleFile, ScoreRule, Stage, number_text, parse_duration
from ._problems import Collector
from ._validate import SKIP, expand_shorthand, huge_numbers, salvage, too_many_criteria, validate
from ._yaml import Positions
from .errors import CODES, Problem

# -- the plan: what the code generator and the results work from ----------


@dataclass
class Template:
    """A ``because`` text: literal parts and checked ``{expression}`` parts."""

    text: str
    parts: list[Union[str, Checked]]


@dataclass
class CritPlan:
    index: int  # position in the outcome tuple and in Result.criteria
    id: str  # full id: "icp.size", "disqualify.competitor", "fit.student"
    checked: Checked | None  # None for a nested condition with an id
    because: Template | None
    missing: str  # "pass" | "fail" | "unknown"
    group: GroupPlan | None = None
    points: int | float = 0  # score rules
    path: tuple[Any, ...] = ()  # where it is in the rule file (Plan.positions)


@dataclass
class GroupPlan:
    op: str  # "all" | "any" | "none" | "at_least"
    items: list[Union[CritPlan, GroupPlan]]
    n: int = 1
    crit: CritPlan | None = None  # set when the group has an id


@dataclass
class StagePlan:
    index: int
    id: str
    label: str
    owner: str | None
    sla: str | None
    description: str | None
    cond: GroupPlan
    path: tuple[Any, ...] = ()


@dataclass
class ScorePlan:
    index: int
    name: str
    window: timedelta | None
    half_life: timedelta | None
    events: dict[str, tuple[int | float, int | float | None]]
    rules: list[CritPlan]
    min: int | float | None
    max: int | float | None


@dataclass
class Plan:
    name: str
    model: RuleFile
    coercers: list[Coercer]
    lists: dict[str, tuple[Any, ...]]
    scores: list[ScorePlan]
    criteria: list[CritPlan]  # file order: score rules, disqualifiers, stages
    disqualify: list[CritPlan]
    stages: list[StagePlan]
    base: Base
    events_field: str | None
    missing: frozenset[str]
    positions: Positions | None = None  # where everything is in the file, for lints
    public: _plan.Plan | None = None  # the same rules as the public plan (leadspec.plan)
    flags: list[CritPlan] = field(default_factory=list)  # in the order they are evaluated (each after the flags it reads)


# -- step 4: semantics and expressions ----------------------------------------------


ONE_FIELD_ROLES = {"id": "a rule file has one id field", "touched": "the SLA clock stops at one field's moment"}
"""The field roles a rule file gives one field at most, and why (said when a second field has one)."""

class _Checker:
    def __init__(self, out: Collector, sections: dict[str, Any], broken_fields: set[str]) -> None:
        self.out = out
        self.s = sections
        self.fields: dict[str, FieldSpec] = {k: v for k, v in sections["fields"].items() if v is not None}
        self.broken_fields = broken_fields
        self.lists: dict[str, list[Any]] = dict(sections["lists"])
        self.score_names = [k for k in sections["scores"]]
        events_fields = [k for k, v in self.fields.items() if v.type == "events"]
        self.events_fields = events_fields
        self.events_field = events_fields[0] if len(events_fields) == 1 else None
        spec = self.fields.get(self.events_field) if self.events_field else None
        self.event_types = tuple(spec.values) if spec is not None and spec.values else None
        self.criteria: list[CritPlan] = []
        self.missing = frozenset(m.strip() for m in sections["missing"])
        self.budget = Budget()  # constants computed at load, over the whole file
        self.flags: dict[str, Any] = dict(sections.get("flags") or {})  # name -> Flag (None: broken, still a known name)

    def context(self, scores: list[str]) -> Context:
        fields = dict(self.fields)
        for name in self.broken_fields:  # declared but broken: known, of any type
            fields.setdefault(name, FieldSpec.model_construct(type="string", values=None, default=None))
        for name in self.flags:  # a flag reads as a boolean; its Name nodes become FlagName (resolve())
            fields.setdefault(name, FieldSpec.model_construct(type="boolean", values=None, default=None))
        return Context(
            fields=fields,
            lists=self.lists,
            scores=scores,
            all_scores=self.score_names,
            event_types=self.event_types,
            events_field=self.events_field,
            events_fields=self.events_fields,
            broken=frozenset(self.broken_fields),
            budget=self.budget,
        )

    # -- expressions ---------------------------------------------------------
    def expression(self, text: str, path: tuple[Any, ...], ctx: Context) -> Checked | None:
        checked, problems = check_expression(text, ctx)
        if checked is not None:
            self.resolve(checked)
            for name in checked.fields:
                if name in self.broken_fields:  # its type is unknown; don't compile
                    return None
        for p in problems:
            self.out.expr(path, text, p)
        return checked

    def resolve(self, checked: Checked) -> None:
        """The flags an expression reads are flags, not fields: :class:`~leadspec.plan.FlagName` nodes in its plan tree."""
        read = [name for name in checked.fields if name in self.flags and name not in self.fields]
        if read:
            checked.fields = [name for name in checked.fields if name not in read]
            checked.expr = _flag_refs(checked.expr, frozenset(read))

    def template(self, text: str | None, path: tuple[Any, ...], ctx: Context) -> Template | None:
        if text is None:
            return None
        parts: list[Union[str, Checked]] = []
        i, literal = 0, ""
        while i < len(text):
            ch = text[i]
            if ch in "{}" and text[i : i + 2] in ("{{", "}}"):
                literal += ch
                i += 2
                continue
            if ch == "}":
                self.out.expr(path, text, ExprProblem("template", "unmatched } in because; write }} for a brace", i, i + 1))
                return None
            if ch == "{":
                end = text.find("}", i)
                if end < 0:
                    self.out.expr(path, text, ExprProblem("template", "unclosed { in because; write {{ for a brace", i, i + 1))
                    return None
                if literal:
                    parts.append(literal)
                    literal = ""
                inner = text[i + 1 : end]
                checked, problems = check_expression(inner, ctx)
                for p in problems:
                    self.out.expr(path, text, p, offset=i + 1)
                if checked is not None:
                    self.resolve(checked)
                    parts.append(checked)
                i = end + 1
                continue
            literal += ch
            i += 1
        if literal:
            parts.append(literal)
        return Template(text, parts)

    def criterion(self, c: Criterion | ScoreRule, full_id: str, path: tuple[Any, ...], ctx: Context) -> CritPlan:
        checked = self.expression(c.when, path + ("when",), ctx)
        because = self.template(c.because, path + ("because",), ctx)
        plan = CritPlan(len(self.criteria), full_id, checked, because, c.missing, points=getattr(c, "points", 0), path=path)
        self.criteria.append(plan)
        return plan

    # -- sections ------------------------------------------------------------------
    def names(self) -> None:
        for kind, names in (("field", self.s["fields"]), ("list", self.s["lists"])):
            for name in names:
                if keyword.iskeyword(name):  # soft keywords (match, case, type) are fine as names
                    self.out.at((kind + "s", name), "bad-id", f"{name!r} is a Python keyword and cannot be used as a {kind} name", key=True)
        for name in self.s["lists"]:
            if name in self.s["fields"]:
                self.out.at(("lists", name), "duplicate-id", f"list {name!r} has the name of a field; names must be unique", key=True)
        for name in self.flags:
            if keyword.iskeyword(name):
                self.out.at(("flags", name), "bad-id", f"{name!r} is a Python keyword and cannot be used as a flag name", key=True)
            for kind, names in (("field", self.s["fields"]), ("list", self.s["lists"]), ("score", self.s["scores"])):
                if name in names:
                    self.out.at(
                        ("flags", name),
                        "duplicate-id",
                        f"flag {name!r} has the name of a {kind}: fields, lists, flags and scores share one namespace "
                        f"(expressions read them by name); rename the flag, e.g. is_{name}",
                        key=True,
                    )

    def flag_section(self) -> list[CritPlan]:
        """The flags, checked, in the order they are evaluated: each after the flags it reads (a cycle is a problem)."""
        if self.flags:  # criterion ids flags.x would be ambiguous
            for i, stage in enumerate(self.s["stages"]):
                if stage is not None and stage.id == "flags":
                    self.out.at(("stages", i, "id"), "duplicate-id", "stage id 'flags' is reserved in a file with flags: criterion ids flags.x would be ambiguous")
            if "flags" in self.s["scores"]:
                self.out.at(("scores", "flags"), "duplicate-id", "score 'flags' is reserved in a file with flags: criterion ids flags.x would be ambiguous", key=True)
        ctx = self.context([])  # flags are evaluated before the scores: they cannot read one
        ctx.in_flag = True
        checked: dict[str, tuple[Any, Checked | None, Template | None]] = {}
        for name, flag in self.flags.items():
            if flag is None:
                continue
            when, because, missing = (flag, None, "unknown") if isinstance(flag, str) else (flag.when, flag.because, flag.missing)
            path = ("flags", name) if isinstance(flag, str) else ("flags", name, "when")
            expr = self.expression(when, path, ctx)
            if expr is not None and expr.expr is not None and expr.expr.type.kind not in ("bool", "any"):
                kind = {"num": "a number", "str": "text", "date": "a date", "datetime": "a datetime", "list": "a list", "events": "events"}.get(expr.expr.type.kind, "a value")
                self.out.at(path, "type-mismatch", f"flag {name!r} is {kind}, not true or false: compare it, e.g. `{when.strip()} == …` or `has({when.strip()})`")
            tmpl = self.template(because, ("flags", name, "because"), ctx)
            checked[name] = ((when, missing, path), expr, tmpl)
        reads = {name: [n.id for n in _plan.walk(c.expr) if isinstance(n, _plan.FlagName)] if c is not None and c.expr is not None else [] for name, (_, c, _) in checked.items()}
        order: list[str] = []
        state: dict[str, str] = {}
        for root in checked:  # depth first, each flag after the flags it reads; a stack, not recursion (a chain may be long)
            if state.get(root) == "done":
                continue
            trail: list[str] = [root]  # the flags being visited, outermost first
            pending: list[Iterator[str]] = [iter(reads[root])]
            state[root] = "visiting"
            while pending:
                dep = next(pending[-1], None)
                if dep is None:
                    pending.pop()
                    done = trail.pop()
                    state[done] = "done"
                    order.append(done)
                    continue
                if state.get(dep) == "done" or dep not in checked:
                    continue
                if state.get(dep) == "visiting":
                    loop = trail[trail.index(dep) :] + [dep]
                    self.out.at(checked[dep][0][2], "flag-cycle", f"flag {dep!r} depends on itself: {' → '.join(loop)}; a flag may read other flags, but not in a circle")
                    continue
                state[dep] = "visiting"
                trail.append(dep)
                pending.append(iter(reads[dep]))
        plans = []
        for name in order:
            (when, missing, path), expr, tmpl = checked[name]
            crit = CritPlan(len(self.criteria), f"{_plan.FLAG_PREFIX}{name}", expr, tmpl, missing, path=("flags", name))
            self.criteria.append(crit)
            plans.append(crit)
        return plans

    def field_specs(self) -> list[Coercer]:
        coercers = []
        holders: dict[str, str] = {}  # a role one field at most may have -> the first field with it
        for name, spec in self.fields.items():
            path = ("fields", name)
            if spec.role in ONE_FIELD_ROLES:
                first = holders.setdefault(spec.role, name)
                if first != name:
                    self.out.at(
                        path + ("role",),
                        "duplicate-id",
                        f"field {name!r} has `role: {spec.role}`, but {first!r} has it already; {ONE_FIELD_ROLES[spec.role]}: "
                        "give this one `role: output`, or none",
                    )
            if spec.values is not None and len(set(spec.values)) != len(spec.values):
                self.out.at(path + ("values",), "duplicate-id", "values are listed twice")
            try:
                coercers.append(Coercer(name, spec, self.missing))
            except BadValue as exc:
                self.out.at(path + ("default",), "bad-value", f"default {number_text(spec.default)}: {exc}")
                self.broken_fields.add(name)
        return coercers

    def scores(self) -> list[ScorePlan]:
        plans = []
        visible: list[str] = []
        for index, (name, score) in enumerate(self.s["scores"].items()):
            path = ("scores", name)
            if score is None:
                visible.append(name)
                continue
            events: dict[str, tuple[Any, Any]] = {}
            if score.events:
                if self.events_field is None:
                    self.out.at(path + ("events",), "events-field", "scores over events need exactly one field of type events")
                for kind, points in score.events.items():
                    if self.event_types is not None and kind not in self.event_types:
                        hint = suggest(kind, self.event_types)
                        self.out.at(path + ("events", kind), "unknown-event", f"unknown event type {kind!r}{hint}; declared: {', '.join(self.event_types)}", key=True)
                    events[kind] = (points, None) if isinstance(points, (int, float)) else (points.points, points.max)
            rules = []
            seen: set[str] = set()
            ctx = self.context(list(visible))
            for i, rule in enumerate(score.rules or ()):
                rpath = path + ("rules", i)
                if rule.id in seen:
                    self.out.at(rpath + ("id",), "duplicate-id", f"rule id {rule.id!r} is used twice in score {name!r}")
                seen.add(rule.id)
                rules.append(self.criterion(rule, f"{name}.{rule.id}", rpath, ctx))
            plans.append(
                ScorePlan(
                    index,
                    name,
                    parse_duration(score.window) if score.window else None,
                    parse_duration(score.half_life) if score.half_life else None,
                    events,
                    rules,
                    score.min,
                    score.max,
                )
            )
            visible.append(name)
        return plans

    def disqualifiers(self) -> list[CritPlan]:
        ctx = self.context(self.score_names)
        out, seen = [], set()
        for i, c in enumerate(self.s["disqualify"]):
            if c is None:
                continue
            if c.id in seen:
                self.out.at(("disqualify", i, "id"), "duplicate-id", f"disqualifier id {c.id!r} is used twice")
            seen.add(c.id)
            out.append(self.criterion(c, f"disqualify.{c.id}", ("disqualify", i), ctx))
        return out

    def stages(self, base: Base) -> list[StagePlan]:
        ctx = self.context(self.score_names)
        if base.id == "disqualified":
            self.out.at(("base", "id"), "duplicate-id", "the base stage cannot be called 'disqualified': that is the stage of disqualified leads")
        stage_ids = {stage.id for stage in self.s["stages"] if stage is not None}
        for name in self.score_names:
            if name in stage_ids or name == "disqualify":
                what = "a stage" if name in stage_ids else "the disqualifiers"
                self.out.at(("scores", name), "duplicate-id", f"score {name!r} has the name of {what}: criterion ids like {name}.x would be ambiguous", key=True)
        plans: list[StagePlan] = []
        seen: dict[str, int] = {}  # stage id -> index of its first stage
        for i, stage in enumerate(self.s["stages"]):
            if stage is None:
                continue
            path = ("stages", i)
            if stage.id in seen or stage.id in ("disqualified", "disqualify", base.id):
                if stage.id in seen:
                    first, _ = self.out.positions.of(("stages", seen[stage.id], "id"))
                    why = f"is used twice (first on line {first}): give this stage another id"
                elif stage.id == "disqualify":
                    why = "is reserved: its criteria's ids (disqualify.x) would be taken for the disqualifiers'; give this stage another id"
                else:
                    why = "is reserved (disqualified, or the base stage)"
                self.out.at(path + ("id",), "duplicate-id", f"stage id {stage.id!r} {why}")
            seen.setdefault(stage.id, i)
            ids: set[str] = set()
            for key, unset in (("because", None), ("missing", "unknown")):
                if stage.when is None and getattr(stage, key) != unset:
                    self.out.at(
                        path + (key,),
                        "bad-value",
                        f"`{key}` on a stage applies only to a stage with a single `when:`; put it on a criterion",
                        key=True,
                    )
            if stage.when is not None:
                crit = Criterion(id="when", when=stage.when, because=stage.because, missing=stage.missing)
                cond = GroupPlan("all", [self.criterion(crit, f"{stage.id}.when", path, ctx)])
            else:
                cond = self.group(stage, stage.id, path, ctx, ids)
            plans.append(StagePlan(i, stage.id, stage.label or stage.id.upper(), stage.owner, stage.sla, stage.description, cond, path))
        return plans

    def group(self, node: Stage | Group, stage: str, path: tuple[Any, ...], ctx: Context, ids: set[str]) -> GroupPlan:
        op = node.condition_keys()[0]
        if op == "at_least":
            assert node.at_least is not None
            raw, n, ipath = node.at_least.of, node.at_least.n, path + ("at_least", "of")
            if n > len(raw):
                self.out.at(path + ("at_least", "n"), "bad-value", f"at_least n is {number_text(n)} but there are only {len(raw)} items; it can never pass")
        else:
            raw, n, ipath = getattr(node, op), 1, path + (op,)
        plan = GroupPlan(op, [], n)
        if isinstance(node, Group) and node.id is not None:
            self.unique(node.id, stage, path + ("id",), ids)
            because = self.template(node.because, path + ("because",), ctx)
            plan.crit = CritPlan(len(self.criteria), f"{stage}.{node.id}", None, because, "unknown", plan, path=path)
            self.criteria.append(plan.crit)
        for j, item in enumerate(raw):
            if isinstance(item, dict):  # shorthand that reached here unexpanded
                (cid, when), = item.items()
                item = Criterion(id=cid, when=when)
            if item is SKIP:
                continue
            if isinstance(item, Group):
                plan.items.append(self.group(item, stage, ipath + (j,), ctx, ids))
            else:
                self.unique(item.id, stage, ipath + (j, "id"), ids)
                plan.items.append(self.criterion(item, f"{stage}.{item.id}", ipath + (j,), ctx))
        return plan

    def allows(self, entries: list[Allow]) -> None:
        """Each ``allow:`` entry names a lint code and, with ``at``, something the file declares."""
        names = [*self.s["fields"], *self.s["lists"], *self.s["scores"], *self.s.get("flags", {})]
        names += [stage.id for stage in self.s["stages"] if stage is not None] + [c.id for c in self.criteria]
        lints = allowable_codes()
        for i, entry in enumerate(entries):
            path = ("allow", i)
            if entry.code not in lints:
                if entry.code in CODES:
                    why = f"{entry.code!r} is an error, not a warning: errors cannot be allowed; fix what it reports"
                    if entry.code == "unused-allow":
                        why = "an allow entry that silences nothing cannot itself be allowed: remove the entry"
                else:
                    why = f"{entry.code!r} is not a warning code{suggest(entry.code, lints)}; the warnings a file can allow: {', '.join(lints)}"
                self.out.at(path + ("code",), "bad-value", why)
            if entry.at is not None and entry.at not in names:
                ends = [n for n in names if n.endswith("." + entry.at)]
                hint = f" (did you mean {ends[0]!r}?)" if len(ends) == 1 else suggest(entry.at, names)
                self.out.at(
                    path + ("at",),
                    "unknown-name",
                    f"{entry.at!r} names nothing in this file{hint}; `at` is a field, list, score, stage or flag name, "
                    "or a criterion's full id (icp.size, disqualify.student, fit.big)",
                )

    def unique(self, cid: str, stage: str, path: tuple[Any, ...], ids: set[str]) -> None:
        if cid in ids:
            self.out.at(path, "duplicate-id", f"criterion id {cid!r} is used twice in stage {stage!r}")
        ids.add(cid)


def check(data: Any, positions: Positions) -> tuple[Plan | None, list[Problem]]:
    """Validate and check parsed rule-file data; the plan, or every problem found."""
    out = Collector(positions)
    if huge_numbers(data, out):  # nothing else can be said safely about such a file
        return None, out.problems
    if too_many_criteria(data, out):  # refused before checking what would take too long to check
        return None, out.problems
    data = expand_shorthand(data, positions)
    _allow_reasons(data, out)
    model = validate(data, out)
    if model is None and not isinstance(data, dict):
        return None, out.problems
    if model is not None:
        sections: dict[str, Any] = {
            "fields": dict(model.fields),
            "lists": {k: list(v) for k, v in model.lists.items()},
            "scores": dict(model.scores),
            "disqualify": list(model.disqualify),
            "stages": list(model.stages),
            "missing": model.missing,
            "flags": dict(model.flags),
        }
        base = model.base
    else:
        sections = salvage(data)
        sections["flags"] = _salvage_flags(data)
        base = Base()
    broken = {k for k, v in sections["fields"].items() if v is None}
    checker = _Checker(out, sections, broken)
    checker.names()
    coercers = checker.field_specs()
    flags = checker.flag_section()
    scores = checker.scores()
    disqualify = checker.disqualifiers()
    stages = checker.stages(base)
    if model is not None:
        checker.allows(model.allow)
    if out.problems or model is None:
        return None, out.problems
    plan = Plan(
        name=model.name,
        model=model,
        coercers=coercers,
        lists={k: tuple(v) for k, v in model.lists.items()},
        scores=scores,
        criteria=checker.criteria,
        disqualify=disqualify,
        stages=stages,
        base=base,
        events_field=checker.events_field,
        missing=checker.missing,
        positions=positions,
        flags=flags,
    )
    from ._build import public_plan  # _build reads these records

    plan.public = public_plan(plan, positions)
    return plan, []


def _salvage_flags(data: dict[str, Any]) -> dict[str, Any]:
    """The flags of a broken file: each that validates on its own, else None (a known name, not checked)."""
    from pydantic import TypeAdapter, ValidationError

    from ._model import FlagItem

    flags = data.get("flags")
    if not isinstance(flags, dict):
        return {}
    adapter: TypeAdapter[Any] = TypeAdapter(FlagItem)
    out: dict[str, Any] = {}
    for name, value in flags.items():
        if not isinstance(name, str):
            continue
        try:
            out[name] = adapter.validate_python(value)
        except ValidationError:
            out[name] = None
    return out


def _flag_refs(node: Any, names: frozenset[str]) -> Any:
    """``node`` with each :class:`~leadspec.plan.Name` of a flag in ``names`` as a :class:`~leadspec.plan.FlagName`."""
    if isinstance(node, _plan.Name):
        return _plan.FlagName(node.id, node.type) if node.id in names else node
    if not dataclasses.is_dataclass(node) or isinstance(node, (_plan.Const, _plan.ListName, _plan.FlagName)):
        return node
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            new = tuple(_flag_refs(v, names) for v in value)
            if new != value:
                changes[f.name] = new
        elif dataclasses.is_dataclass(value) and not isinstance(value, _plan.Type):
            new_one = _flag_refs(value, names)
            if new_one is not value:
                changes[f.name] = new_one
    return dataclasses.replace(node, **changes) if changes else node  # type: ignore[type-var]  # an expression node


def allowable_codes() -> list[str]:
    """The codes an ``allow:`` entry may name: every warning but ``unused-allow``."""
    return [c.code for c in CODES.values() if c.severity == "warning" and c.code != "unused-allow"]


def _allow_reasons(data: Any, out: Collector) -> None:
    """An ``allow:`` entry without ``because`` is refused here, with the hint to say why.

    The entry gets a stand-in reason so that validation does not report
    the same missing key again in its own words (the file fails anyway).
    """
    entries = data.get("allow") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return
    for i, entry in enumerate(entries):
        if isinstance(entry, dict) and "because" not in entry:
            if set(entry) - {"code", "at"}:  # an unknown key (`reason:`) is reported with the key to write instead: said once
                entries[i] = {**entry, "because": "-"}
                continue
            what = f"{entry.get('code')} warning" if isinstance(entry.get("code"), str) else "warning"
            out.at(("allow", i), "missing-key", f"this allow entry has no `because:`: say why the {what} is accepted, e.g. `because: kept for the CRM sync`")
            entries[i] = {**entry, "because": "-"}


def walk_criteria(group: GroupPlan) -> list[CritPlan]:
    """Criteria of a condition in file order (a group's own criterion first)."""
    out: list[CritPlan] = []
    if group.crit is not None:
        out.append(group.crit)
    for item in group.items:
        out.extend(walk_criteria(item) if isinstance(item, GroupPlan) else [item])
    return out


def leaf_criteria(group: GroupPlan) -> list[CritPlan]:
    out: list[CritPlan] = []
    for item in group.items:
        out.extend(leaf_criteria(item) if isinstance(item, GroupPlan) else [item])
    return out
