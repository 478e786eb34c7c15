"""The findings of ``check --deep`` and the transitions of ``diff``, from the answers of :mod:`leadspec.analysis`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Union

import z3

from ._encode import Encoder, Trit, combine, lead_of
from ..analysis import (
    Answer,
    Equivalence,
    CriterionReach,
    StageReach,
    StageChange,
    _Analyzer,
    _anchor,
    _called,
    _groups,
    _located,
    _name,
    _nice,
    _Session,
    _text,
    shrink,
)
from ..errors import Problem
from ..plan import Arith, BoolOp, Compare, Const, Criterion, Group, In, Name, Negate, Not, Plan, unparse, walk

if TYPE_CHECKING:
    from ..ruleset import Ruleset

__all__ = ["allowed", "findings", "transitions"]

MAX_GROUP = 40  # redundancy is looked for in groups of at most this many items (n² questions)


def _trit(enc: Encoder, item: Union[Criterion, Group]) -> Trit:
    if isinstance(item, Criterion):
        return enc.trits[item.id]
    if item.criterion is not None:
        return enc.trits[item.criterion.id]
    return combine(item.op, item.n, [_trit(enc, i) for i in item.items])


def _raw_trit(enc: Encoder, group: Group) -> Trit:
    """A group's outcome before its own ``missing:`` policy."""
    return combine(group.op, group.n, [_trit(enc, i) for i in group.items])


def findings(an: _Analyzer, stages: list[StageReach], criteria: list[CriterionReach]) -> list[Problem]:
    from .._lint import lint

    shown = {(p.line, p.code) for p in lint(an.rules)} | {(p.line, p.code) for p in lint(an.rules).allowed}
    out: list[Problem] = []
    reach = {c.id: c for c in criteria}
    flagged: set[str] = set()
    for crit in an.plan.criteria:
        r = reach.get(crit.id)
        if r is None:
            continue
        if r.outcomes["pass"] is False and (crit.location.line, "always-false") not in shown:
            out.append(_located(an.file, crit, "never-passes", f"no lead passes {_called(crit)}, given the fields' types, ranges and values"))
            flagged.add(crit.id)
        if r.outcomes["fail"] is False and (crit.location.line, "always-true") not in shown:
            what = "every lead is disqualified by it" if crit.id.startswith("disqualify.") else "it passes for every lead, or is decided by its `missing:` policy"
            out.append(_located(an.file, crit, "never-fails", f"no lead fails {_called(crit)}: {what}"))
            flagged.add(crit.id)
    samples = _samples(an, stages, criteria)
    for stage in an.plan.stages:
        for group in _groups(stage.condition):
            out += _contradiction(an, group, samples)
            out += _redundant(an, group, flagged, samples)
    for stage, answer in zip(an.plan.stages, [s for s in stages if s.stage in {st.id for st in an.plan.stages}]):
        if answer.reachable is False and (stage.location.line, "unreachable-stage") not in shown:
            out.append(Problem(an.file, stage.location.line, stage.location.column, "stage-never-reached", f"no lead ends at stage {stage.id}: {answer.why}", stage.location.path, severity="warning"))
    for score in an.plan.scores:
        out += _score_bands(an, score.name, score.rules)
    return sorted(dict.fromkeys(out), key=lambda p: (p.line, p.column, p.code))


def allowed(rules: Ruleset, problems: list[Problem]) -> tuple[list[Problem], list[Problem]]:
    """The findings split into those shown and those an ``allow:`` entry of the file silences (by code, and ``at`` a stage or criterion id)."""
    entries = rules._plan.model.allow
    plan = rules.plan
    subjects: dict[tuple[int, int], set[str]] = {}
    for crit in plan.criteria:
        subjects.setdefault((crit.location.line, crit.location.column), set()).add(crit.id)
    for stage in plan.stages:
        subjects.setdefault((stage.location.line, stage.location.column), set()).add(stage.id)
    shown: list[Problem] = []
    silenced: list[Problem] = []
    used = [False] * len(entries)
    for problem in problems:
        about = subjects.get((problem.line, problem.column), set())
        match = next((i for i, e in enumerate(entries) if e.code == problem.code and (e.at is None or e.at in about or any(a.startswith(e.at + ".") for a in about))), None)
        if match is None:
            shown.append(problem)
        else:
            used[match] = True
            silenced.append(problem)
    # an entry for a deep warning that silences nothing: only the deep check can tell (a plain check leaves it alone)
    from .._lint import DEEP_CODES, _Located
    from .._yaml import Positions

    late = _Located(rules._plan.positions or Positions(rules.file))
    for i, entry in enumerate(entries):
        if entry.code in DEEP_CODES and not used[i]:
            where = f" at {entry.at}" if entry.at is not None else ""
            late.at(("allow", i), "unused-allow", f"this allow entry silences nothing: check --deep finds no {entry.code} warning{where}; remove the entry")
    return shown + late.problems, silenced


# -- contradictions and redundancy inside groups ---------------------------------------------------------


Outcomes = dict[str, str]


def _samples(an: _Analyzer, stages: list[StageReach], criteria: list[CriterionReach]) -> list[Outcomes]:
    """Every criterion's outcome for each witness lead found so far: leads that settle many questions without the solver."""
    leads = [s.witness for s in stages if s.witness is not None] + [w for c in criteria for w in c.witnesses.values()]
    return [{c.id: str(c.outcome) for c in an.evaluate(lead).criteria} for lead in leads]


def _verdict(item: Union[Criterion, Group], outcomes: Outcomes) -> str:
    if isinstance(item, Criterion):
        return outcomes[item.id]
    if item.criterion is not None:
        return outcomes[item.criterion.id]
    return _combined(item.op, item.n, [_verdict(i, outcomes) for i in item.items])


def _combined(op: str, n: int, verdicts: list[str]) -> str:
    """A group's outcome from its items' (as the reference interpreter's ``_combine``)."""
    passed, failed, unknown, total = verdicts.count("pass"), verdicts.count("fail"), verdicts.count("unknown"), len(verdicts)
    if op == "all":
        return "pass" if passed == total else "fail" if failed else "unknown"
    if op == "any":
        return "pass" if passed else "fail" if failed == total else "unknown"
    if op == "none":
        return "pass" if failed == total else "fail" if passed else "unknown"
    return "pass" if passed >= n else "fail" if passed + unknown < n else "unknown"


def _contradiction(an: _Analyzer, group: Group, samples: list[Outcomes]) -> list[Problem]:
    if group.op not in ("all", "none") or len(group.items) < 2 or any(c.id in an.enc.inexact for c in group.criteria()):
        return []  # (rounding: a "no" about these items would be no proof)
    if any(_combined(group.op, group.n, [_verdict(i, o) for i in group.items]) == "pass" for o in samples):
        return []  # a lead passes it
    wanted = "pass" if group.op == "all" else "fail"
    raw = _raw_trit(an.enc, group)
    answer, _ = an.session.ask(raw.P)
    if answer is not False:
        return []
    for item in group.items:  # each item alone can have the outcome the group needs
        alone, _ = an.session.ask(_trit(an.enc, item).outcome(wanted))
        if alone is not True:
            return []
    named = {_name(item): _trit(an.enc, item).outcome(wanted) for item in group.items}
    core = an.session.core(named)
    if not core or len(core) < 2:
        return []
    items = {_name(item): item for item in group.items}
    last = _anchor(items[core[-1]])
    if last is None:
        return []
    others = " and ".join(core[:-1])
    verb = "pass" if wanted == "pass" else "fail"
    every = "both" if len(core) == 2 else f"all {len(core)}"
    return [_located(an.file, last, "contradiction", f"{_text(last)} cannot {verb} together with {others}: no lead {verb}{'es' if verb == 'pass' else 's'} {every}")]


def _redundant(an: _Analyzer, group: Group, flagged: set[str], samples: list[Outcomes]) -> list[Problem]:
    items = list(group.items)
    if len(items) < 2 or len(items) > MAX_GROUP or any(c.id in an.enc.inexact for c in group.criteria()):
        return []
    out: list[Problem] = []
    whole = _raw_trit(an.enc, group)
    texts = [unparse(i.expr) if isinstance(i, Criterion) and i.expr is not None else None for i in items]
    for j, item in enumerate(items):
        if not isinstance(item, Criterion) or item.id in flagged or texts[j] is None or texts.count(texts[j]) > 1:
            continue
        others = items[:j] + items[j + 1 :]
        if group.op == "at_least" and len(others) < group.n:
            continue
        if any(_combined(group.op, group.n, [_verdict(i, o) for i in items]) != _combined(group.op, group.n, [_verdict(i, o) for i in others]) for o in samples):
            continue  # a lead the group decides otherwise without it
        without = combine(group.op, group.n, [_trit(an.enc, i) for i in others])
        answer, _ = an.session.ask(z3.Or(whole.P != without.P, whole.F != without.F))
        if answer is not False:
            continue
        mine = _trit(an.enc, item)
        because = ""
        if group.op != "at_least":
            for other in others:
                if any(_combined(group.op, 1, [_verdict(other, o), _verdict(item, o)]) != _combined(group.op, 1, [_verdict(other, o)]) for o in samples):
                    continue
                theirs = _trit(an.enc, other)
                pair, single = combine(group.op, 1, [theirs, mine]), combine(group.op, 1, [theirs])
                found, _ = an.session.ask(z3.Or(pair.P != single.P, pair.F != single.F))
                if found is False:
                    because = f" (it is implied by {_name(other)})"
                    break
        out.append(_located(an.file, item, "redundant-criterion", f"{_called(item)} changes no lead's outcome of its group: the group decides every lead the same way without it{because}"))
    return out


# -- score rules over one number --------------------------------------------------------------------------

_PLAIN = (Const, Name, Compare, BoolOp, Not, Arith, Negate, In)


def _one_number(plan: Plan, crit: Criterion) -> str | None:
    """The numeric field a score rule reads, when it reads only that one and constants."""
    if crit.expr is None:
        return None
    names = set()
    for node in walk(crit.expr):
        if not isinstance(node, _PLAIN):
            return None
        if isinstance(node, In) and not isinstance(node.container, Const):
            return None
        if isinstance(node, Name):
            names.add(node.id)
    if len(names) != 1:
        return None
    (name,) = names
    return name if plan.field(name).type in ("integer", "number") else None


def _var(value: Any) -> Any:
    return value.arg(0) if z3.is_app_of(value, z3.Z3_OP_TO_REAL) else value


def _score_bands(an: _Analyzer, score: str, rules: tuple[Criterion, ...]) -> list[Problem]:
    by_field: dict[str, list[Criterion]] = {}
    for rule in rules:
        name = _one_number(an.plan, rule)
        if name is not None:
            by_field.setdefault(name, []).append(rule)
    out: list[Problem] = []
    for name, bands in by_field.items():
        if len(bands) < 2:
            continue
        spec = an.plan.field(name)
        known, value = an.enc.raw[name]  # substituted below: a number is given, and it is the point
        var = _var(value)
        make = z3.Int if spec.type == "integer" else z3.Real

        def at(rule: Criterion, point: Any) -> Any:
            return z3.substitute(an.enc.trits[rule.id].P, (known, z3.BoolVal(True)), (var, point))

        def bounds(point: Any) -> Any:
            term = z3.ToReal(point) if spec.type == "integer" else point
            parts = [z3.BoolVal(True)]
            if spec.min is not None:
                parts.append(term >= z3.RealVal(spec.min))
            if spec.max is not None:
                parts.append(term <= z3.RealVal(spec.max))
            return z3.And(parts)

        v, lo, hi = make(f"gap:{score}:{name}"), make(f"gap-lo:{score}:{name}"), make(f"gap-hi:{score}:{name}")
        gap = z3.And(bounds(v), bounds(lo), bounds(hi), lo < v, v < hi, z3.Not(z3.Or([at(b, v) for b in bands])), z3.Or([at(b, lo) for b in bands]), z3.Or([at(b, hi) for b in bands]))
        answer, model = an.session.ask(gap)
        if answer is True:
            point, below, above = (_number(model.eval(x, model_completion=True)) for x in (v, lo, hi))
            result = an.evaluate(_lead(spec.source, point))
            outcomes = {c.id: c.outcome for c in result.criteria}
            if all(outcomes[b.id] != "pass" for b in bands):
                listed = ", ".join(f"{b.id} (`{b.when}`)" for b in bands)
                first = bands[0]
                out.append(
                    _located(an.file, first, "score-gap", f"score {score}: a lead with {name} = {point} gets the points of none of {listed}, while lower and higher values do (e.g. {below} and {above}): a gap between the bands")
                )
            else:
                an.undecided.append(f"score {score}: a gap over {name} at {point} the engine does not confirm")
        for i, a in enumerate(bands):
            for b in bands[i + 1 :]:
                both, model = an.session.ask(bounds(v), at(a, v), at(b, v))
                if both is not True:
                    continue
                only_a, _ = an.session.ask(bounds(v), at(a, v), z3.Not(at(b, v)))
                only_b, _ = an.session.ask(bounds(v), at(b, v), z3.Not(at(a, v)))
                if only_a is not True or only_b is not True:
                    continue  # one band inside the other: tiers that add up, on purpose
                point = _number(model.eval(v, model_completion=True))
                result = an.evaluate(_lead(spec.source, point))
                outcomes = {c.id: c.outcome for c in result.criteria}
                if outcomes[a.id] == outcomes[b.id] == "pass":
                    out.append(
                        _located(an.file, b, "score-overlap", f"score {score}: a lead with {name} = {point} gets the points of both {a.id} (`{a.when}`) and {b.id} (`{b.when}`), and neither band contains the other: an edge written twice?")
                    )
    return out


def _number(term: Any) -> int | float:
    from ._encode import _number as number

    return number(term, False)


def _lead(source: str, value: Any) -> dict[str, Any]:
    from ._encode import _put

    lead: dict[str, Any] = {}
    _put(lead, source, value)
    return lead


# -- two versions --------------------------------------------------------------------------------------


def transitions(old: Ruleset, new: Ruleset, as_of: datetime, timeout: float) -> Equivalence:
    before = Encoder(old.plan, as_of, prefix="old:")
    after = Encoder(new.plan, as_of, prefix="new:", share=before)
    session = _Session(before.facts() + after.facts(), _nice(before, z3) + _nice(after, z3), timeout, before.exact + after.exact)
    found: list[StageChange] = []
    undecided: list[str] = []
    proved = True
    for a in before.stage_ids():
        for b in after.stage_ids():
            if a == b:
                continue
            change = z3.And(before.stage_is(a), after.stage_is(b))

            def moves(candidate: dict[str, Any], a: str = a, b: str = b) -> bool:
                return bool(old.evaluate(candidate, as_of=as_of).stage == a and new.evaluate(candidate, as_of=as_of).stage == b)

            witness: dict[str, Any] | None = None
            answer: Answer = False
            for answer, model in session.models(change):  # the most readable model first, the plain one last
                if answer is True:
                    lead = lead_of(model, [before, after], as_of)
                    if moves(lead):
                        witness = shrink(lead, moves)
                        break
            if answer is False and not (before.inexact or after.inexact):
                continue
            proved = False
            if answer is False:  # no lead makes this change, with exact numbers; floating point may differ
                undecided.append(f"{a} -> {b}: proved only for exact numbers ({', '.join(sorted(before.inexact | after.inexact))}: arithmetic with fractions, which floating point rounds)")
                continue
            if answer is None:
                undecided.append(f"{a} -> {b}: the solver gave no answer in time")
            elif witness is None:
                undecided.append(f"{a} -> {b}: the leads the solver found do not confirm it (they depend on what it does not model)")
            else:
                found.append(StageChange(a, new=b, possible=True, witness=witness, description=_describe(session, before, after, change)))
    equivalent: Answer = True if proved else (False if found else None)
    return Equivalence(equivalent, tuple(found), tuple(undecided))


def _changed_fields(before: Encoder, after: Encoder) -> list[str]:
    """The fields read by criteria that differ between the versions (added, removed or changed), in field order."""
    old = {c.id: c for c in before.plan.criteria}
    new = {c.id: c for c in after.plan.criteria}
    names: set[str] = set()
    for cid in set(old) | set(new):
        a, b = old.get(cid), new.get(cid)
        same = a is not None and b is not None and a.expr == b.expr and a.missing == b.missing and a.points == b.points
        if same:
            continue
        for crit in (a, b):
            if crit is not None and crit.expr is not None:
                names |= {n.id for n in walk(crit.expr) if isinstance(n, Name)}
                names |= {"@events" for n in walk(crit.expr) if getattr(n, "events", None) is not None}
    if before.plan.scores != after.plan.scores:
        names.add("@events")
    for name, spec in after.field_specs.items():  # a field read another way (bounds, source, default, …)
        other = before.field_specs.get(name)
        if other is not None and (other.type, other.source, other.default, other.missing, other.values, other.format, other.min, other.max) != (
            spec.type, spec.source, spec.default, spec.missing, spec.values, spec.format, spec.min, spec.max
        ):
            names.add(name)
    order = [f.name for f in after.plan.fields] + [f.name for f in before.plan.fields if f.name not in {g.name for g in after.plan.fields}]
    return [n for n in order if n in names] + (["@events"] if "@events" in names else [])


def _describe(session: _Session, before: Encoder, after: Encoder, change: Any) -> tuple[str, ...]:
    """What every lead making this change has in common, field by field (value ranges, enum values, presence)."""
    out: list[str] = []
    for name in _changed_fields(before, after):
        if name == "@events":
            for (kind, window), var in sorted(before.counters.items(), key=lambda kv: (kv[0][0], kv[0][1].total_seconds() if kv[0][1] else 1e18)):
                low, high = _range(session, change, var)
                span = f"within {_window(window)}" if window is not None else "ever"
                if high == 0:
                    out.append(f"no {kind} {span}")
                elif low is not None and low > 0:
                    out.append(f"at least {low} {kind} {span}")
            continue
        enc = after if name in after.fields else before
        spec = enc.field_specs[name]
        known, value = enc.raw.get(name) or enc.fields[name]  # a number as given, even where a version's bounds refuse it
        if session.ask(change, known)[0] is False:
            out.append(f"no {name}")
            continue
        text = ""
        if spec.type in ("integer", "number"):
            low, high = _range(session, z3.And(change, known), value)
            bounds = [f for f in (before.field_specs.get(name), after.field_specs.get(name)) if f is not None]
            if low is not None and all(f.min is not None and low <= f.min for f in bounds):
                low = None  # the field's own bound says nothing about these leads
            if high is not None and all(f.max is not None and high >= f.max for f in bounds):
                high = None
            if low is not None and high is not None:
                text = f"{name} = {low}" if low == high else f"{low} ≤ {name} ≤ {high}"
            elif low is not None:
                text = f"{name} ≥ {low}"
            elif high is not None:
                text = f"{name} ≤ {high}"
        elif spec.type in ("enum", "boolean"):
            options: list[Any] = list(spec.values or ()) if spec.type == "enum" else [True, False]
            possible = [o for o in options if session.ask(change, known, value == (z3.StringVal(o) if isinstance(o, str) else z3.BoolVal(o)))[0] is not False]
            if len(possible) < len(options):
                text = f"{name} in [{', '.join(str(o) for o in possible)}]" if spec.type == "enum" else f"{name} {'true' if possible == [True] else 'false'}"
        if text:
            out.append(text if session.ask(change, z3.Not(known))[0] is False else f"{text} or no {name}")
    return tuple(out)


def _range(session: _Session, where: Any, term: Any) -> tuple[Any, Any]:
    """The least and greatest value of ``term`` over the leads in ``where`` (None: unbounded or not found)."""
    found: list[Any] = []
    for goal in ("least", "greatest"):
        opt = z3.Optimize()
        opt.set("timeout", 2000)
        opt.add(*session.solver([where, term]).assertions())
        opt.add(where)
        handle = opt.minimize(term) if goal == "least" else opt.maximize(term)
        if opt.check() != z3.sat:
            found.append(None)
            continue
        bound = opt.lower(handle) if goal == "least" else opt.upper(handle)
        if z3.is_int_value(bound) or z3.is_rational_value(bound):
            found.append(_number(bound))
        else:
            found.append(None)  # unbounded, or a bound not attained
    return found[0], found[1]


def _window(window: Any) -> str:
    from ..plan import duration_text

    return duration_text(window)
