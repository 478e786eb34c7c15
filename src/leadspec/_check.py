"""Validate a parsed rule file and check it into a :class:`Plan`.

Steps: shorthand criteria (``id: expression``) are written out; the data
is validated by the pydantic models of ``_model``; then ids, references
and every expression are checked. Every problem found is collected, with
its file, line and column, before anything is raised; where one part of
the file is broken the other parts are still checked.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Union

from pydantic import TypeAdapter, ValidationError

from . import plan as _plan
from ._expr import Budget, Checked, Context, ExprProblem, check_expression, suggest
from ._fields import BadValue, Coercer
from ._functions import digits_at_most
from ._model import (
    GROUP_KEYS,
    KNOWN_KEYS,
    MAX_INT_BITS,
    ListItem,
    AtLeast,
    Base,
    Criterion,
    FieldSpec,
    Group,
    RuleFile,
    Score,
    ScoreRule,
    Stage,
    number_text,
    parse_duration,
)
from ._yaml import Positions, format_path
from .errors import Problem

_ITEM_KEYS = {"id", "when", "because", "missing", *GROUP_KEYS}

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


# -- problems ----------------------------------------------------------------


class _Collector:
    """Problems of one file, located by their path in the document (errors, or warnings for lints)."""

    def __init__(self, positions: Positions, severity: str = "error") -> None:
        self.positions = positions
        self.severity = severity
        self.problems: list[Problem] = []

    def at(self, path: tuple[Any, ...], code: str, message: str, *, key: bool = False) -> None:
        line, col = self.positions.of(path, key=key)
        self.problems.append(Problem(self.positions.file, line, col, code, message, format_path(path), severity=self.severity))

    def expr(self, path: tuple[Any, ...], text: str, problem: ExprProblem, offset: int = 0) -> None:
        line, col = self.positions.of(path)
        path = tuple(path)
        style = self.positions.styles.get(path, "")
        source_line = text
        start, end = problem.start + offset, problem.end + offset
        end_line, end_col = self.positions.ends.get(path, (0, 0))
        quotes = 2 if style in ("'", '"') else 0
        # only where the file holds the text as is (one line, no escapes) is a column inside it exact
        if path in self.positions.values and style in (None, "", "'", '"') and end_line == line and end_col - col == len(text) + quotes:
            col += start + quotes // 2
        self.problems.append(
            Problem(
                self.positions.file,
                line,
                col,
                problem.code,
                problem.message,
                format_path(path),
                source=source_line,
                span=(start, end),
            )
        )


# -- step 1: shorthand ---------------------------------------------------------


def _expand_shorthand(data: Any, positions: Positions) -> Any:
    """``- size: 50 <= employees`` -> ``- {id: size, when: 50 <= employees}`` (positions kept)."""

    def items(lst: Any, path: tuple[Any, ...]) -> None:
        if not isinstance(lst, list):
            return
        for i, item in enumerate(lst):
            p = path + (i,)
            if isinstance(item, dict) and len(item) == 1:
                (key, value), = item.items()
                if key not in _ITEM_KEYS and isinstance(value, str):
                    lst[i] = {"id": key, "when": value}
                    positions.values[p + ("id",)] = positions.keys.get(p + (key,), positions.of(p))
                    positions.values[p + ("when",)] = positions.of(p + (key,))
                    positions.styles[p + ("when",)] = positions.styles.get(p + (key,))
                    if p + (key,) in positions.ends:
                        positions.ends[p + ("when",)] = positions.ends[p + (key,)]
                    continue
            group(item, p)

    def group(node: Any, path: tuple[Any, ...]) -> None:
        if not isinstance(node, dict):
            return
        for k in ("all", "any", "none"):
            items(node.get(k), path + (k,))
        at_least = node.get("at_least")
        if isinstance(at_least, dict):
            items(at_least.get("of"), path + ("at_least", "of"))

    if isinstance(data, dict):
        items(data.get("disqualify"), ("disqualify",))
        stages = data.get("stages")
        if isinstance(stages, list):
            for i, stage in enumerate(stages):
                group(stage, ("stages", i))
    return data


# -- step 2: numbers too large to print ----------------------------------------------


def _huge_numbers(data: Any, out: _Collector) -> bool:
    """Report every integer of the file over :data:`MAX_INT_BITS` bits (``too-large``); True if there was one.

    YAML reads ``0xfff…`` of any length. Python refuses to print an
    integer over 4,300 digits, so such a number in points, a cap, a
    default or ``at_least`` would make messages, explanations, ``diff``
    and JSON output raise; the bound is the one of numbers computed in
    expressions.
    """
    found = False
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if _huge(key):
                    found = True
                    out.at(path, "too-large", f"a key of this mapping is an integer of {key.bit_length():,} bits; {_LIMIT}")
                else:
                    stack.append((value, path + (key,)))
        elif isinstance(node, list):
            stack.extend((item, path + (i,)) for i, item in enumerate(node))
        elif _huge(node):
            found = True
            out.at(path, "too-large", f"this integer has {node.bit_length():,} bits (about {digits_at_most(node):,} digits); {_LIMIT}")
    return found


MAX_CRITERIA = 2_000
"""Most criteria (score rules, disqualifiers, stage criteria and named groups) one rule file may have.

Loading costs time in proportion to the criteria (checking and compiling
each); this bound keeps every load of a file under the size limit within
about two seconds. Real rule files have tens of criteria: many alike are
one criterion with a list.
"""


_GROUPS = ("all", "any", "none", "at_least")


def _too_many_criteria(data: Any, out: _Collector) -> bool:
    """Whether the rules have more than :data:`MAX_CRITERIA` criteria, counted on the parsed YAML before any check.

    The problem is at the first criterion over the limit.
    """
    if not isinstance(data, dict):
        return False
    count = 0
    over: tuple[Any, ...] | None = None  # the path of criterion number MAX_CRITERIA + 1

    def counted(n: int, path_of: Callable[[int], tuple[Any, ...]]) -> None:
        """``n`` more criteria; ``path_of(i)`` is the path of the i-th of them."""
        nonlocal count, over
        if over is None and count + n > MAX_CRITERIA:
            over = path_of(MAX_CRITERIA - count)
        count += n

    def listed(where: tuple[Any, ...], items: list[Any]) -> None:
        counted(len(items), lambda i: where + (i,))

    scores = data.get("scores")
    if isinstance(scores, dict):
        for name, score in scores.items():
            rules = score.get("rules") if isinstance(score, dict) else None
            if isinstance(rules, list):
                listed(("scores", name, "rules"), rules)
    if isinstance(data.get("disqualify"), list):
        listed(("disqualify",), data["disqualify"])
    pending: list[tuple[tuple[Any, ...], Any]] = []
    if isinstance(data.get("stages"), list):
        pending = [(("stages", i), stage) for i, stage in enumerate(data["stages"])]
    while pending:  # conditions and nested groups: each item is one criterion (a group with an id too)
        path, node = pending.pop()
        if not isinstance(node, dict):
            continue
        if "when" in node and len(path) == 2:
            counted(1, lambda _i: path + ("when",))
        for key in _GROUPS:
            value = node.get(key)
            where = path + (key,)
            if key == "at_least" and isinstance(value, dict):
                value, where = value.get("of"), where + ("of",)
            if isinstance(value, list):
                listed(where, value)
                pending += [(where + (i,), item) for i, item in enumerate(value) if isinstance(item, dict) and any(k in item for k in _GROUPS)]
    if over is None:
        return False
    out.at(
        over,
        "too-large",
        f"the rules have {count:,} criteria; leadspec loads at most {MAX_CRITERIA:,} per rule file "
        "(criteria that differ only in a value are usually one criterion with a list: `industry in target_industries`)",
    )
    return True


_LIMIT = f"numbers in a rule file are limited to {MAX_INT_BITS:,} bits (about 4,200 digits)"


def _huge(value: Any) -> bool:
    return type(value) is int and value.bit_length() > MAX_INT_BITS


# -- step 3: pydantic --------------------------------------------------------------


def _loc_to_path(data: Any, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[str]]:
    """Follow a pydantic error location through the data; returns the path and the tags skipped."""
    path: list[Any] = []
    tags: list[str] = []
    cur = data
    for part in loc:
        if isinstance(cur, dict) and part in cur:
            path.append(part)
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            path.append(part)
            cur = cur[part]
        else:
            tags.append(str(part))
    return tuple(path), tags


_MODEL_KEYS = {
    "file": RuleFile,
    "field": FieldSpec,
    "score": Score,
    "rule": ScoreRule,
    "stage": Stage,
    "group": Group,
    "criterion": Criterion,
    "at_least": AtLeast,
    "base": Base,
}


def _allowed_keys(path: tuple[Any, ...], tags: list[str]) -> list[str]:
    parent = path[:-1]
    if not parent:
        kind = "file"
    elif "group" in tags:
        kind = "group"
    elif "criterion" in tags or parent[0] == "disqualify":
        kind = "criterion"
    elif parent[-1] == "at_least":
        kind = "at_least"
    elif parent[0] == "fields" and len(parent) == 2:
        kind = "field"
    elif parent[0] == "scores" and len(parent) == 2:
        kind = "score"
    elif parent[0] == "scores" and len(parent) == 4 and parent[2] == "rules":
        kind = "rule"
    elif parent[0] == "scores" and len(parent) == 4:
        return ["points", "max"]
    elif parent[0] == "stages" and len(parent) == 2:
        kind = "stage"
    elif parent[0] == "base":
        kind = "base"
    else:
        return KNOWN_KEYS
    model: Any = _MODEL_KEYS[kind]
    return list(model.model_fields)


def _pydantic_problems(
    exc: ValidationError,
    data: Any,
    out: _Collector,
    prefix: tuple[Any, ...] = (),
    allowed_keys: Callable[[tuple[Any, ...], list[str]], list[str]] | None = None,
) -> None:
    """Pydantic's errors as located problems; ``allowed_keys(path, tags)`` names the keys allowed where one is unknown."""
    allowed_keys = allowed_keys or _allowed_keys
    for err in exc.errors(include_url=False):
        path, tags = _loc_to_path(data, prefix + tuple(err["loc"]))
        kind = err["type"]
        name = str(err["loc"][-1]) if err["loc"] else ""
        value = err.get("input")
        on_key = "[key]" in tags
        if kind == "extra_forbidden":
            allowed = allowed_keys(path, tags)
            hint = suggest(name, allowed)
            out.at(path, "unknown-key", f"unknown key {name!r}{hint}; allowed here: {', '.join(allowed)}", key=True)
        elif kind == "missing":
            out.at(path, "missing-key", f"required key {name!r} is missing")
        elif path and path[-1] in ("window", "half_life", "sla") and kind in ("string_pattern_mismatch", "value_error"):
            message = err["msg"].removeprefix("Value error, ")
            out.at(path, "bad-duration", f"{path[-1]}: {message}" if kind == "value_error" else f"{value!r} is not a duration; write a number and a unit s, m, h, d or w, e.g. '30d'")
        elif kind == "string_pattern_mismatch":
            what = "a name" if path == ("name",) else "an id"
            rule = "[a-z0-9][a-z0-9_-]*" if path == ("name",) else "[a-z][a-z0-9_]*"
            if "window" in path or "half_life" in path or "sla" in path:
                out.at(path, "bad-duration", f"{value!r} is not a duration; write a number and a unit s, m, h, d or w, e.g. '30d'")
            else:
                out.at(path, "bad-id", f"{value!r} is not {what}: use {rule} (lower-case letters, digits, _)", key=on_key)
        elif kind == "union_tag_invalid":
            out.at(path, "bad-value", f"{name}: expected a criterion, a nested condition or `id: expression`")
        else:
            message = err["msg"].removeprefix("Value error, ")
            if isinstance(value, bool) and kind in ("string_type",):
                message += "; YAML reads yes/no/on/off (and NO) as booleans: quote the value"
            label = name if name and not name.isdigit() and name not in tags else format_path(path) or "file"
            code = "version" if path == ("leadspec",) else "bad-value"
            out.at(path, code, f"{label}: {message}")


def _validate(data: Any, out: _Collector) -> RuleFile | None:
    if not isinstance(data, dict):
        out.at((), "bad-value", "a rule file is a mapping with leadspec, name, fields and stages")
        return None
    try:
        return RuleFile.model_validate(data)
    except ValidationError as exc:
        _pydantic_problems(exc, data, out)
        return None


def _salvage(data: dict[str, Any]) -> dict[str, Any]:
    """The parts of a broken file that validate on their own, so their expressions are checked too."""

    def one(adapter: TypeAdapter[Any], value: Any) -> Any:
        try:
            return adapter.validate_python(value)
        except ValidationError:
            return None

    fields: dict[Any, Any] = data["fields"] if isinstance(data.get("fields"), dict) else {}
    field_adapter = TypeAdapter(FieldSpec)
    out: dict[str, Any] = {
        "fields": {k: one(field_adapter, v) for k, v in fields.items() if isinstance(k, str)},
        "lists": {},
        "scores": {},
        "disqualify": [],
        "stages": [],
        "missing": [""],
    }
    lists = data.get("lists")
    if isinstance(lists, dict):
        adapter: TypeAdapter[Any] = TypeAdapter(dict[str, list[ListItem]])
        for k, v in lists.items():
            good = one(adapter, {k: v})
            out["lists"][k] = good[k] if good else []
    scores = data.get("scores")
    if isinstance(scores, dict):
        adapter = TypeAdapter(Score)
        for k, v in scores.items():
            out["scores"][k] = one(adapter, v)
    if isinstance(data.get("disqualify"), list):
        adapter = TypeAdapter(Criterion)
        out["disqualify"] = [one(adapter, item) for item in data["disqualify"]]
    if isinstance(data.get("stages"), list):
        adapter = TypeAdapter(Stage)
        out["stages"] = [one(adapter, _salvage_condition(item)) for item in data["stages"]]
    missing = data.get("missing")
    if isinstance(missing, list) and all(isinstance(m, str) for m in missing):
        out["missing"] = missing
    return out


def _salvage_condition(node: Any, model: type[Any] = Stage) -> Any:
    """A stage or nested condition without the items that do not validate."""
    if not isinstance(node, dict):
        return node
    criterion: TypeAdapter[Any] = TypeAdapter(Criterion)
    group: TypeAdapter[Any] = TypeAdapter(Group)

    def keep(item: Any) -> Any:
        adapter: TypeAdapter[Any]
        if isinstance(item, dict) and any(k in item for k in GROUP_KEYS):
            item = _salvage_condition(item, Group)
            adapter = group
        else:
            adapter = criterion
            if isinstance(item, dict):
                item = _known_keys(item, Criterion)
        try:
            adapter.validate_python(item)
        except ValidationError:
            return SKIP  # keeps the positions of the items after it
        return item

    out = _known_keys(node, model)
    for key in ("all", "any", "none"):
        if isinstance(out.get(key), list):
            out[key] = [keep(item) for item in out[key]]
    at_least = out.get("at_least")
    if isinstance(at_least, dict) and isinstance(at_least.get("of"), list):
        out["at_least"] = {**at_least, "of": [keep(item) for item in at_least["of"]]}
    return out


def _known_keys(node: dict[str, Any], model: type[Any]) -> dict[str, Any]:
    """``node`` without the keys ``model`` does not have (reported already as unknown keys)."""
    return {k: v for k, v in node.items() if k in model.model_fields}


SKIP = Criterion.model_construct(id="", when="True", because=None, missing="unknown")
"""Stands in for an item that did not validate (already reported), so the rest can be checked."""


# -- step 4: semantics and expressions ----------------------------------------------


class _Checker:
    def __init__(self, out: _Collector, sections: dict[str, Any], broken_fields: set[str]) -> None:
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

    def context(self, scores: list[str]) -> Context:
        fields = dict(self.fields)
        for name in self.broken_fields:  # declared but broken: known, of any type
            fields.setdefault(name, FieldSpec.model_construct(type="string", values=None, default=None))
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
            for name in checked.fields:
                if name in self.broken_fields:  # its type is unknown; don't compile
                    return None
        for p in problems:
            self.out.expr(path, text, p)
        return checked

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

    def field_specs(self) -> list[Coercer]:
        coercers = []
        for name, spec in self.fields.items():
            path = ("fields", name)
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
        seen: set[str] = set()
        for i, stage in enumerate(self.s["stages"]):
            if stage is None:
                continue
            path = ("stages", i)
            if stage.id in seen or stage.id in ("disqualified", base.id):
                why = "is used twice" if stage.id in seen else "is reserved (disqualified, or the base stage)"
                self.out.at(path + ("id",), "duplicate-id", f"stage id {stage.id!r} {why}")
            seen.add(stage.id)
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

    def unique(self, cid: str, stage: str, path: tuple[Any, ...], ids: set[str]) -> None:
        if cid in ids:
            self.out.at(path, "duplicate-id", f"criterion id {cid!r} is used twice in stage {stage!r}")
        ids.add(cid)


def check(data: Any, positions: Positions) -> tuple[Plan | None, list[Problem]]:
    """Validate and check parsed rule-file data; the plan, or every problem found."""
    out = _Collector(positions)
    if _huge_numbers(data, out):  # nothing else can be said safely about such a file
        return None, out.problems
    if _too_many_criteria(data, out):  # refused before checking what would take too long to check
        return None, out.problems
    data = _expand_shorthand(data, positions)
    model = _validate(data, out)
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
        }
        base = model.base
    else:
        sections = _salvage(data)
        base = Base()
    broken = {k for k, v in sections["fields"].items() if v is None}
    checker = _Checker(out, sections, broken)
    checker.names()
    coercers = checker.field_specs()
    scores = checker.scores()
    disqualify = checker.disqualifiers()
    stages = checker.stages(base)
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
    )
    plan.public = public_plan(plan, positions)
    return plan, []


def public_plan(plan: Plan, positions: Positions) -> _plan.Plan:
    """The checked rules as the public, frozen :class:`leadspec.plan.Plan`."""

    def location(path: tuple[Any, ...]) -> _plan.Location:
        line, column = positions.of(path)
        return _plan.Location(line, column, format_path(path))

    def template(t: Template | None) -> _plan.Template | None:
        if t is None:
            return None
        return _plan.Template(t.text, tuple(p if isinstance(p, str) else p.expr for p in t.parts))

    done: dict[int, _plan.Criterion] = {}

    def criterion(c: CritPlan) -> _plan.Criterion:
        if c.index not in done:
            done[c.index] = _plan.Criterion(
                index=c.index,
                id=c.id,
                expr=c.checked.expr if c.checked is not None else None,
                when=c.checked.text if c.checked is not None else None,
                because=template(c.because),
                missing=c.missing,  # type: ignore[arg-type]
                location=location(c.path),
                points=c.points,
            )
        return done[c.index]

    def group(g: GroupPlan) -> _plan.Group:
        items = tuple(group(i) if isinstance(i, GroupPlan) else criterion(i) for i in g.items)
        return _plan.Group(g.op, items, g.n, criterion(g.crit) if g.crit is not None else None)  # type: ignore[arg-type]

    model = plan.model
    markers = tuple(sorted(plan.missing))
    fields = tuple(
        _plan.FieldPlan(
            name=c.name,
            type=c.spec.type,
            source=c.source,
            default=_plan.freeze(c.spec.default),
            missing=markers,
            values=tuple(c.spec.values) if c.spec.values is not None else None,
            format=c.spec.format,
            min=c.spec.min,
            max=c.spec.max,
            description=c.spec.description,
            location=location(("fields", c.name)),
        )
        for c in plan.coercers
    )
    scores = tuple(
        _plan.ScorePlan(
            index=s.index,
            name=s.name,
            window=s.window,
            half_life=s.half_life,
            events=tuple(_plan.EventPoints(kind, points, cap) for kind, (points, cap) in s.events.items()),
            rules=tuple(criterion(r) for r in s.rules),
            min=s.min,
            max=s.max,
        )
        for s in plan.scores
    )
    disqualify = tuple(criterion(c) for c in plan.disqualify)
    stages = tuple(
        _plan.StagePlan(
            index=st.index,
            id=st.id,
            label=st.label,
            owner=st.owner,
            sla=parse_duration(st.sla) if st.sla else None,
            description=st.description,
            condition=group(st.cond),
            location=location(st.path),
        )
        for st in plan.stages
    )
    return _plan.Plan(
        name=model.name,
        version=model.version,
        description=model.description,
        owners=tuple(model.owners),
        fields=fields,
        lists=tuple(_plan.NamedList(name, _plan.freeze(values)) for name, values in plan.lists.items()),
        missing=markers,
        events_field=plan.events_field,
        scores=scores,
        disqualify=disqualify,
        base=_plan.Base(plan.base.id, plan.base.label),
        stages=stages,
    )


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
