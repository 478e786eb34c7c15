"""Proofs about the funnel: which stages and outcomes some lead can reach, with a witness lead for each.

:func:`analyze` turns a loaded rule file into formulas for the z3 SMT
solver (the ``leadspec[analysis]`` extra) and asks, for every stage,
whether some lead ends there, and for every criterion, whether it can
pass, fail and be unknown. Every "yes" comes with a **witness lead**
that the engine itself has evaluated to confirm it; every "no" is a
proof over all leads (given the fields' types, ranges, enum values and
missing markers). It also reports the mistakes that follow from those
answers, located at file:line:column like any other warning:

``stage-never-reached``, ``never-passes``, ``never-fails``,
``contradiction`` (items of a group that cannot pass together),
``redundant-criterion`` (an item that changes no lead's outcome of its
group) and ``score-gap`` / ``score-overlap`` (score rules over one
number that leave values without points, or give two rules' points
where neither contains the other).

Functions the solver does not model (text functions such as ``lower``
and ``contains``, ``last``/``first``, list fields, decayed scores) are
replaced by a value that may be anything: the proofs stay true, and a
question whose answer then depends on such a value stays **undecided**
and is reported as such (:attr:`Analysis.undecided`).

:func:`compare` proves two versions of a rule file equivalent (every
lead gets the same stage), or lists each stage change with a witness lead
and what every lead that makes that change has in common.

>>> import leadspec
>>> from leadspec.analysis import analyze
>>> rules = leadspec.loads('''
... leadspec: 1
... name: tiny
... fields:
...   employees: {type: integer}
... stages:
...   - id: icp
...     all:
...       - big: employees >= 500
...       - small: employees < 200
... ''')
>>> report = analyze(rules, as_of="2026-12-01")
>>> report.stage("icp").reachable
False
>>> [p.code for p in report.findings]
['stage-never-reached', 'contradiction']
>>> report.findings[1].message
'`employees < 200` cannot pass together with icp.big (`employees >= 500`, line 9): no lead passes both'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Union

from .errors import Problem
from .plan import Criterion, Group, Plan

if TYPE_CHECKING:
    from .ruleset import Ruleset

__all__ = ["Analysis", "CriterionReach", "Equivalence", "StageChange", "StageReach", "analyze", "compare", "generate_tests"]

Answer = Union[bool, None]
"""True: some lead does (a witness shows it); False: no lead does (proved); None: undecided."""

OUTCOMES = ("pass", "fail", "unknown")
DEFAULT_TIMEOUT = 5.0
PREFERENCE_TIMEOUT_MS = 500  # looking for a more readable witness once one exists


def _z3() -> Any:
    try:
        import z3
    except ImportError:  # pragma: no cover - the extra is installed in the tests
        raise ImportError("proofs need the z3 solver: pip install 'leadspec[analysis]'") from None
    return z3


@dataclass(frozen=True)
class StageReach:
    """Whether some lead ends at ``stage`` (``reachable``), a ``witness`` lead that does, or ``why`` not."""

    stage: str
    reachable: Answer
    witness: dict[str, Any] | None = None
    why: str = ""


@dataclass(frozen=True)
class CriterionReach:
    """Which outcomes criterion ``id`` can have: ``outcomes[o]`` is an :data:`Answer`, ``witnesses[o]`` a lead with it."""

    id: str
    outcomes: dict[str, Answer]
    witnesses: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Analysis:
    """What :func:`analyze` found for one rule file at one ``as_of``.

    ``findings`` are warnings located in the rule file (their ``code``
    is one of the deep codes listed in the module docs), but those the
    file's ``allow:`` entries silence (``allowed``);
    ``approximated`` maps a criterion id to the expressions of it the
    solver replaced by free values; ``undecided`` says which questions
    stayed open and why.
    """

    file: str
    as_of: datetime
    stages: tuple[StageReach, ...]
    criteria: tuple[CriterionReach, ...]
    findings: tuple[Problem, ...]
    approximated: dict[str, tuple[str, ...]]
    undecided: tuple[str, ...]
    allowed: tuple[Problem, ...] = ()
    """The findings the file's ``allow:`` entries silence."""

    def stage(self, stage_id: str) -> StageReach:
        """The reachability of one stage (``disqualified`` and the base stage included)."""
        for reach in self.stages:
            if reach.stage == stage_id:
                return reach
        raise KeyError(f"no stage {stage_id!r}")

    def criterion(self, criterion_id: str) -> CriterionReach:
        """The possible outcomes of one criterion."""
        for reach in self.criteria:
            if reach.id == criterion_id:
                return reach
        raise KeyError(f"no criterion {criterion_id!r}")

    def to_dict(self) -> dict[str, Any]:
        """The analysis as JSON-ready data (the shape ``leadspec check --deep --format json`` prints)."""
        return {
            "file": self.file,
            "as_of": _iso(self.as_of),
            "stages": [{"stage": s.stage, "reachable": s.reachable, "witness": s.witness, "why": s.why} for s in self.stages],
            "criteria": [{"id": c.id, "outcomes": c.outcomes, "witnesses": c.witnesses} for c in self.criteria],
            "findings": [p.to_dict() for p in self.findings],
            "approximated": {k: list(v) for k, v in self.approximated.items()},
            "undecided": list(self.undecided),
        }

    def text(self) -> str:
        """The stages and criteria tables, the approximations and the undecided questions, for people."""
        mark = {True: "yes", False: "no", None: "?"}
        lines = [f"{self.file}: what some lead can reach, as of {_iso(self.as_of)}", "", "stages (where a lead can end):"]
        width = max((len(s.stage) for s in self.stages), default=5)
        for s in self.stages:
            detail = f"e.g. {json.dumps(s.witness, sort_keys=True)}" if s.witness is not None else s.why
            lines.append(f"  {s.stage:<{width}}  {mark[s.reachable]:<3}  {detail}")
        lines += ["", "criteria:"]
        width = max((len(c.id) for c in self.criteria), default=8)
        lines.append(f"  {'':<{width}}  pass fail unknown")
        for c in self.criteria:
            lines.append(f"  {c.id:<{width}}  {mark[c.outcomes['pass']]:<4} {mark[c.outcomes['fail']]:<4} {mark[c.outcomes['unknown']]}")
        if self.approximated:
            lines += ["", "not modelled exactly (any value assumed, the proofs hold; some answers may be undecided):"]
            for where, texts in self.approximated.items():
                lines.append(f"  {where}: {', '.join(texts)}")
        if self.undecided:
            lines += ["", "undecided:"] + [f"  {u}" for u in self.undecided]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class StageChange:
    """Leads that go from ``old`` to ``new`` stage: ``possible`` (:data:`Answer`), a ``witness`` and what all of them share (``description``)."""

    old: str
    new: str
    possible: Answer
    witness: dict[str, Any] | None = None
    description: tuple[str, ...] = ()


@dataclass(frozen=True)
class Equivalence:
    """:func:`compare`'s answer: ``equivalent`` (:data:`Answer`) and every stage change some lead makes."""

    equivalent: Answer
    transitions: tuple[StageChange, ...]
    undecided: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: ``equivalent``, ``transitions`` (``old``, ``new``, ``witness``, ``leads``), ``undecided``."""
        return {
            "equivalent": self.equivalent,
            "transitions": [{"old": t.old, "new": t.new, "witness": t.witness, "leads": list(t.description)} for t in self.transitions],
            "undecided": list(self.undecided),
        }

    def text(self) -> str:
        """The proof for people: "the two versions are equivalent", or a line per stage change with its witness."""
        if self.equivalent:
            return "the two versions are equivalent: every lead gets the same stage (proved)\n"
        lines = []
        if self.equivalent is None and not self.transitions:
            lines.append("could not prove the two versions equivalent, nor find a lead that changes stage")
        for t in self.transitions:
            lines.append(f"{t.old} -> {t.new}: " + ("; ".join(t.description) if t.description else "some leads"))
            lines.append(f"    e.g. {json.dumps(t.witness, sort_keys=True)}")
        lines += [f"undecided: {u}" for u in self.undecided]
        return "\n".join(lines) + "\n"


def _iso(moment: datetime) -> str:
    from ._proof._encode import _iso as iso

    return iso(moment)


def _moment(as_of: datetime | date | str | None) -> datetime:
    from .reference import _moment as reference_moment

    if as_of is None:
        from datetime import timezone

        now = datetime.now(timezone.utc)
        return now.replace(microsecond=0)
    return reference_moment(as_of)


class _Session:
    """Questions put to the solver over the formulas of one or two plans.

    Each question gets its own solver holding only the facts that share a
    variable with it (directly or through other facts): a question about
    the events does not carry the text constraints of the email field.
    """

    def __init__(self, facts: list[Any], nice: list[Any], timeout: float, exact: list[Any] | None = None) -> None:
        z3 = _z3()
        self.z3 = z3
        self.timeout = int(timeout * 1000)
        self._facts = [(f, _variables(z3, f)) for f in facts]
        self._nice = [(f, _variables(z3, f)) for f in nice]
        self._exact = [(f, _variables(z3, f)) for f in exact or ()]
        self.nice = z3.Bool("nice!")
        self.exact = z3.Bool("exact!")
        self._n = 0
        self._memo: dict[int, frozenset[str]] = {}
        self._kept: list[Any] = []  # the formulas of the memo, kept alive so that their ids stay theirs

    def remember(self, formulas: Iterable[Any]) -> None:
        """Work out once the variables of formulas that many questions are made of (the criteria's outcomes)."""
        for formula in formulas:
            ident = formula.get_id()
            if ident not in self._memo:
                self._memo[ident] = frozenset(_variables(self.z3, formula, self._memo))
                self._kept.append(formula)

    def solver(self, formulas: Iterable[Any]) -> Any:
        """A solver with the facts the formulas depend on, and the readable and exact preferences under ``nice``/``exact``."""
        z3 = self.z3
        wanted: set[str] = set()
        for f in formulas:
            wanted |= _variables(z3, f, self._memo)
        chosen: list[Any] = []
        rest = list(self._facts)
        grew = True
        while grew:
            grew = False
            keep = []
            for fact, names in rest:
                if names & wanted:
                    chosen.append(fact)
                    wanted |= names
                    grew = True
                else:
                    keep.append((fact, names))
            rest = keep
        solver = z3.Solver()
        solver.set("timeout", self.timeout)
        solver.add(*chosen)
        nice = [f for f, names in self._nice if names & wanted]
        exact = [f for f, names in self._exact if names & wanted]
        if nice:
            solver.add(z3.Implies(self.nice, z3.And(nice)))
        if exact:
            solver.add(z3.Implies(self.exact, z3.And(exact)))
        return solver

    def ask(self, *formulas: Any) -> tuple[Answer, Any]:
        """(True, model) when some lead satisfies every formula, (False, None) when none does, (None, None) when undecided."""
        z3 = self.z3
        solver = self.solver(formulas)
        solver.add(*formulas)
        found = solver.check()
        if found == z3.sat:
            return True, solver.model()
        return (False, None) if found == z3.unsat else (None, None)

    def models(self, *formulas: Any) -> Iterator[tuple[Answer, Any]]:
        """Whether some lead satisfies the formulas, and its models, the most readable first.

        The plain question is asked first, with the full time limit: it
        decides (False, None: proved impossible; None, None: undecided).
        When there is a model, more readable ones are looked for briefly
        (text functions exact, readable values), and the plain one comes last.
        """
        z3 = self.z3
        solver = self.solver(formulas)
        solver.add(*formulas)
        found = solver.check()
        if found != z3.sat:
            yield (False, None) if found == z3.unsat else (None, None)
            return
        plain = solver.model()
        solver.set("timeout", min(self.timeout, PREFERENCE_TIMEOUT_MS))
        quick = solver.check(self.nice, self.exact)
        if quick == z3.sat:
            yield True, solver.model()
        yield True, plain
        # neither was confirmed: the exact text functions with the full time, readable or not
        solver.set("timeout", self.timeout)
        for assumptions in ([self.nice, self.exact], [self.exact]) if quick == z3.unknown else ([self.exact],):
            if solver.check(*assumptions) == z3.sat:
                yield True, solver.model()

    def core(self, named: Mapping[str, Any]) -> list[str] | None:
        """The names of a small set of formulas that cannot hold together (None when they can, or undecided)."""
        z3 = self.z3
        solver = self.solver(named.values())
        lits = {}
        for name, formula in named.items():
            self._n += 1
            lit = z3.Bool(f"core!{self._n}")
            solver.add(z3.Implies(lit, formula))
            lits[lit] = name
        if solver.check(*lits) != z3.unsat:
            return None
        core = {str(c) for c in solver.unsat_core()}
        keep = [lit for lit in lits if str(lit) in core]
        for lit in list(keep):  # shrink: drop each member that is not needed
            trial = [k for k in keep if k is not lit]
            if trial and solver.check(*trial) == z3.unsat:
                keep = trial
        return [lits[lit] for lit in keep]


def _variables(z3: Any, formula: Any, memo: dict[int, frozenset[str]] | None = None) -> set[str]:
    """The names of the solver variables a formula reads (``memo``: those of sub-formulas already known, by id)."""
    out: set[str] = set()
    seen: set[int] = set()
    stack = [formula]
    while stack:
        node = stack.pop()
        ident = node.get_id()
        if ident in seen:
            continue
        seen.add(ident)
        if memo is not None and ident in memo:
            out |= memo[ident]
        elif z3.is_const(node) and node.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            out.add(node.decl().name())
        else:
            stack.extend(node.children())
    return out


def _nice(enc: Any, z3: Any) -> list[Any]:
    """Restrictions that make witnesses readable (printable text, few events, modest numbers); never used for proofs."""
    out: list[Any] = []
    def words(*ranges: Any) -> Any:  # starts and ends with a letter or digit; . _ - @ and spaces inside
        edge = z3.Union(*ranges, z3.Range("0", "9"))
        inner = z3.Union(edge, z3.Re("."), z3.Re("_"), z3.Re("-"), z3.Re("@"), z3.Re(" "))
        return z3.Union(edge, z3.Concat(edge, z3.Star(inner), edge))

    readable = words(z3.Range("a", "z"), z3.Range("A", "Z"))
    lowercase = words(z3.Range("a", "z"))
    out += enc.preferred
    for name, (known, value) in enc.fields.items():
        kind = enc.field_specs[name].type
        if kind == "string":
            # text functions are modelled exactly on text without capitals
            out.append(z3.InRe(value, lowercase if name in enc.text_fields else readable))
            out.append(z3.Length(value) <= 40)
        elif kind in ("integer", "number"):
            out.append(z3.And(value >= -10**9, value <= 10**9))
        elif kind == "date":
            out.append(z3.And(value >= -36500, value <= 36500))
        elif kind == "datetime":
            out.append(z3.And(value >= -36500 * 86400, value <= 36500 * 86400))
    for var in enc.counters.values():
        out.append(var <= 50)
    return out


def shrink(lead: dict[str, Any], ok: Any) -> dict[str, Any]:
    """A smaller lead for which ``ok`` still holds: values and events dropped one at a time while it does."""
    import copy

    current = copy.deepcopy(lead)

    def paths(node: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = []
        for key, value in node.items():
            out += paths(value, prefix + (key,)) if isinstance(value, dict) and value else []
            out.append(prefix + (key,))
        return out

    for path in paths(current):
        trial = copy.deepcopy(current)
        parent = trial
        for key in path[:-1]:
            parent = parent.get(key, {})
        if path[-1] not in parent:
            continue
        value = parent.pop(path[-1])
        if ok(trial):
            current = trial
            continue
        if isinstance(value, list) and len(value) > 1:  # events: drop them one by one, latest first
            kept = list(value)
            for i in reversed(range(len(kept))):
                fewer = kept[:i] + kept[i + 1 :]
                parent[path[-1]] = fewer
                if ok(trial):
                    kept = fewer
            parent[path[-1]] = kept
            if ok(trial):
                current = trial
    return current


def _criteria_of(plan: Plan) -> list[Criterion]:
    return list(plan.criteria)


def _located(file: str, crit: Criterion, code: str, message: str) -> Problem:
    return Problem(file, crit.location.line, crit.location.column, code, message, crit.location.path, severity="warning")


def _text(crit: Criterion) -> str:
    return f"`{crit.when}`" if crit.when else crit.id


def _called(crit: Criterion) -> str:
    """A criterion as messages name it: ``icp.size (`50 <= employees`)``, or ``the group icp.fit``."""
    return f"{crit.id} ({_text(crit)})" if crit.when else f"the group {crit.id}"


def _groups(group: Group) -> list[Group]:
    out = [group]
    for item in group.items:
        if isinstance(item, Group):
            out += _groups(item)
    return out


def _anchor(item: Union[Criterion, Group]) -> Criterion | None:
    if isinstance(item, Criterion):
        return item
    if item.criterion is not None:
        return item.criterion
    for sub in item.items:
        found = _anchor(sub)
        if found is not None:
            return found
    return None


def _name(item: Union[Criterion, Group]) -> str:
    crit = _anchor(item)
    if crit is None:
        return "a group"
    if isinstance(item, Group) and item.criterion is None:
        return f"the group of {crit.id}"
    return f"{crit.id} ({_text(crit)}, line {crit.location.line})"


class _Analyzer:
    def __init__(self, rules: Ruleset, as_of: datetime, timeout: float) -> None:
        from ._proof._encode import Encoder

        self.z3 = _z3()
        self.rules = rules
        self.plan: Plan = rules.plan
        self.file = rules.file if getattr(rules, "file", None) else "<string>"
        self.as_of = as_of
        self.enc = Encoder(self.plan, as_of)
        self.session = _Session(self.enc.facts(), _nice(self.enc, self.z3), timeout, self.enc.exact)
        self.session.remember(part for crit in self.plan.criteria if crit.id in self.enc.trits for part in (self.enc.trits[crit.id].P, self.enc.trits[crit.id].F))
        self.findings: list[Problem] = []
        self.undecided: list[str] = []

    # -- witnesses ---------------------------------------------------------------------------------
    def witness(self, model: Any) -> dict[str, Any]:
        from ._proof._encode import lead_of

        return lead_of(model, [self.enc], self.as_of)

    def evaluate(self, lead: Mapping[str, Any]) -> Any:
        return self.rules.evaluate(lead, as_of=self.as_of)

    def rounding(self, criterion: Criterion | None = None) -> str | None:
        """Why a "no" about ``criterion`` (None: about stages) is no proof: arithmetic that floating point rounds."""
        inexact = self.enc.inexact
        if not inexact or (criterion is not None and criterion.id not in inexact):
            return None
        names = ", ".join(sorted(i for i in inexact if i))
        return f"proved only for exact numbers ({names}: arithmetic with fractions, which floating point rounds)"

    def find(self, what: str, check: Any, *formulas: Any, criterion: Criterion | None = None) -> tuple[Answer, dict[str, Any] | None]:
        """Ask; a model becomes a lead that ``check(result)`` must confirm, else the question is undecided.

        A "no" is a proof unless rounding could make it wrong (:meth:`rounding`): then it is undecided.
        """
        modelled = False
        for answer, model in self.session.models(*formulas):
            if answer is True:
                modelled = True
                lead = self.witness(model)
                if check(self.evaluate(lead)):
                    return True, shrink(lead, lambda smaller: bool(check(self.evaluate(smaller))))
                continue
            if answer is None:
                self.undecided.append(f"{what}: the solver gave no answer in time")
            if answer is False:
                doubt = self.rounding(criterion) if criterion is not None or what.startswith("stage ") else None
                if doubt is None:
                    return False, None
                self.undecided.append(f"{what}: {doubt}")
                return None, None
        if modelled:
            self.undecided.append(f"{what}: the leads the solver found do not confirm it (they depend on what it does not model)")
        return None, None

    # -- the questions -----------------------------------------------------------------------------
    def stages(self) -> list[StageReach]:
        out = []
        for stage_id in self.enc.stage_ids():
            answer, lead = self.find(f"stage {stage_id}", lambda r, s=stage_id: r.stage == s, self.enc.stage_is(stage_id))
            why = "" if answer is not False else self.why_unreached(stage_id)
            out.append(StageReach(stage_id, answer, lead, why))
        return out

    def why_unreached(self, stage_id: str) -> str:
        plan, enc = self.plan, self.enc
        if stage_id == "disqualified":
            return "no disqualifier can pass"
        ids = [s.id for s in plan.stages]
        if stage_id == plan.base.id:
            if not ids:
                return "every lead is disqualified"
            named = {"disqualified": self.z3.Not(enc.disqualified), "stage one": self.z3.Not(enc.stages[ids[0]].P)}
            base_core = self.session.core(named) or ["disqualified", "stage one"]
            if base_core == ["disqualified"]:
                return "every lead is disqualified"
            if base_core == ["stage one"]:
                return f"every lead passes the condition of {ids[0]}"
            return f"every lead is disqualified or passes the condition of {ids[0]}"
        i = ids.index(stage_id)
        named = {"not disqualified": self.z3.Not(enc.disqualified)}
        for sid in ids[: i + 1]:
            named[f"the condition of {sid}"] = enc.stages[sid].P
        if i + 1 < len(ids):
            named[f"failing the condition of {ids[i + 1]}"] = self.z3.Not(enc.stages[ids[i + 1]].P)
        core = self.session.core(named)
        if not core:
            return "no lead ends here"
        own = f"the condition of {stage_id}"
        if core == [own]:
            return "its condition can never pass"
        if i + 1 < len(ids) and set(core) == {own, f"failing the condition of {ids[i + 1]}"}:
            return f"every lead that passes its condition also passes {ids[i + 1]}'s, so it goes on to {ids[i + 1]}"
        parts = [c for c in core if c != own]
        if own not in core and len(core) == 1 and core[0].startswith("the condition of "):
            return f"{core[0]}, a stage before it, can never pass"
        if "not disqualified" in parts and len(parts) == 1:
            return "every lead that passes its condition is disqualified"
        if own not in core:  # what is impossible lies before this stage
            return "no lead gets this far: " + " and ".join(core) + " cannot hold together"
        return "no lead passes its condition together with " + " and ".join(parts)

    def criteria(self) -> list[CriterionReach]:
        out = []
        for crit in _criteria_of(self.plan):
            trit = self.enc.trits.get(crit.id)
            if trit is None:
                continue
            outcomes: dict[str, Answer] = {}
            witnesses: dict[str, dict[str, Any]] = {}
            for outcome in OUTCOMES:
                if outcome == "unknown" and crit.missing != "unknown" and crit.expr is None:
                    outcomes[outcome] = False  # a group with a policy is never unknown
                    continue
                answer, lead = self.find(f"{crit.id} {outcome}", lambda r, c=crit.id, o=outcome: _outcome(r, c) == o, trit.outcome(outcome), criterion=crit)
                outcomes[outcome] = answer
                if lead is not None:
                    witnesses[outcome] = lead
            out.append(CriterionReach(crit.id, outcomes, witnesses))
        return out


def _outcome(result: Any, criterion_id: str) -> str | None:
    for c in result.criteria:
        if c.id == criterion_id:
            return str(c.outcome)
    return None


def analyze(rules: Ruleset, *, as_of: datetime | date | str | None = None, timeout: float = DEFAULT_TIMEOUT) -> Analysis:
    """Prove what leads can reach in ``rules`` at ``as_of`` (default: now, to the second).

    ``timeout`` bounds each question put to the solver, in seconds; a
    question not answered in time is undecided. Needs the
    ``leadspec[analysis]`` extra (the z3 solver).
    """
    from ._proof._findings import allowed, findings

    moment = _moment(as_of)
    an = _Analyzer(rules, moment, timeout)
    stages = an.stages()
    criteria = an.criteria()
    shown, silenced = allowed(rules, findings(an, stages, criteria))
    approximated = {k: tuple(sorted(v)) for k, v in an.enc.approximated.items() if k}
    return Analysis(an.file, moment, tuple(stages), tuple(criteria), tuple(shown), approximated, tuple(dict.fromkeys(an.undecided)), tuple(silenced))


def compare(old: Ruleset, new: Ruleset, *, as_of: datetime | date | str | None = None, timeout: float = DEFAULT_TIMEOUT) -> Equivalence:
    """Prove two versions of a rule file equivalent, or find every stage change with a witness lead.

    Fields read the same way in both versions are one value; a field whose
    reading changed (type, source, bounds, default, markers) is read
    separately in each. Needs the ``leadspec[analysis]`` extra.
    """
    from ._proof._findings import transitions

    return transitions(old, new, _moment(as_of), timeout)



def generate_tests(rules: Ruleset, *, rules_path: str, as_of: datetime | date | str | None = None, timeout: float = DEFAULT_TIMEOUT) -> str:
    """A starting rule test file (YAML text) for ``rules``: witness cases for every reachable stage and every
    criterion outcome, and leads on both sides of each number threshold, with ``expect`` filled in by
    evaluating them and a comment on each asking for review.

    ``rules_path`` is what the file's ``rules:`` says (the rule file relative to where the test file
    will be). ``as_of`` defaults to today at midnight UTC, and is written in the file.
    """
    from ._proof._generate import generate

    if as_of is None:
        as_of = _moment(None).date()
    return generate(rules, analyze(rules, as_of=as_of, timeout=timeout), rules_path)
