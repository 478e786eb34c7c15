"""Rule test coverage: which outcomes the cases of a test file exercised.

:meth:`RuleTests.coverage <leadspec.RuleTests.coverage>` builds a
:class:`Coverage` from the results of running the cases: for every
criterion of the rules the outcomes (``pass``, ``fail``, ``unknown``)
some case gave it and the outcomes it can have, and for every stage the
outcomes of its own condition and the number of cases that ended there.
The command line (``leadspec test --coverage``) and the pytest plugin
print it; ``to_dict()`` is the JSON shape both document.

What an outcome "can have" is read from the rules alone, not from the
values leads can take: ``pass`` and ``fail`` always; ``unknown`` when
the criterion's ``missing:`` policy is ``unknown`` (a ``pass`` or
``fail`` policy decides an unknown outcome) and its expression can be
unknown (``count()``, ``has()`` and ``score()`` never are), and for a
group's own criterion or a stage's condition when one of its items can be.
An expression that fails on a lead's values (a division by zero) makes
its criterion unknown whatever its policy: such an outcome is listed in
``seen`` but not counted, as it is not one the rules mean to give.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Literal, Mapping, Union

from .plan import Criterion, Group, Plan

if TYPE_CHECKING:
    from ._testfile import CaseOutcome
    from .result import Result
    from .ruleset import Ruleset

__all__ = ["OUTCOMES", "Coverage", "CriterionCoverage", "Outcome", "StageCoverage", "coverage"]

Outcome = Literal["pass", "fail", "unknown"]
OUTCOMES: tuple[Outcome, ...] = ("pass", "fail", "unknown")
"""The outcomes of a criterion or a stage's condition, in the order every table and list gives them."""


def _ordered(outcomes: Iterable[str]) -> tuple[Outcome, ...]:
    given = set(outcomes)
    return tuple(o for o in OUTCOMES if o in given)


@dataclass(frozen=True)
class CriterionCoverage:
    """One criterion (``icp.size``, ``disqualify.student``, ``flags.customer``, ``engagement.demo``) and the outcomes the cases gave it.

    ``possible`` and ``seen`` are outcomes in the order pass, fail,
    unknown. ``seen`` may hold an ``unknown`` that is not ``possible``
    (an expression that failed on a lead's values); it is not counted.
    """

    id: str
    possible: tuple[Outcome, ...]
    seen: tuple[Outcome, ...]

    @property
    def covered(self) -> tuple[Outcome, ...]:
        """The possible outcomes some case gave."""
        return tuple(o for o in self.possible if o in self.seen)

    @property
    def missed(self) -> tuple[Outcome, ...]:
        """The possible outcomes no case gave: what a new case could exercise."""
        return tuple(o for o in self.possible if o not in self.seen)

    def to_dict(self) -> dict[str, Any]:
        """``{"id", "possible", "seen", "missed"}``, the outcomes as lists of text."""
        return {"id": self.id, "possible": list(self.possible), "seen": list(self.seen), "missed": list(self.missed)}


@dataclass(frozen=True)
class StageCoverage(CriterionCoverage):
    """One stage a lead can end at: the outcomes its own condition had, and ``ended``, the number of cases that ended there.

    A stage's condition is evaluated for every lead, reached or not (the
    ``stages`` of a result). ``disqualified`` and the base stage have no
    condition of their own (``possible`` is empty: the disqualifiers are
    criteria); they are here for ``ended``.
    """

    ended: int = 0

    def to_dict(self) -> dict[str, Any]:
        """``{"id", "possible", "seen", "missed", "ended"}``."""
        return {**super().to_dict(), "ended": self.ended}


@dataclass(frozen=True)
class Coverage:
    """What the cases of one rule test file exercised: per criterion and per stage, which outcomes.

    ``file`` is the test file, ``rules`` the name of the rule set, ``cases``
    the number of case results counted (a case whose evaluation raised has
    none). ``criteria`` are in file order (as a result lists them),
    ``stages`` in the order of ``Ruleset.stage_ids``: ``disqualified``, the
    base stage, then the stages. The percentage counts the possible
    outcomes of the criteria and of the stages' conditions; ``ended`` is
    reported, not counted.
    """

    file: str
    rules: str
    cases: int
    criteria: tuple[CriterionCoverage, ...]
    stages: tuple[StageCoverage, ...]

    @property
    def possible(self) -> int:
        """The number of outcomes the criteria and the stages' conditions can have."""
        return sum(len(row.possible) for row in self._rows())

    @property
    def covered(self) -> int:
        """The number of those outcomes some case gave."""
        return sum(len(row.covered) for row in self._rows())

    @property
    def percent(self) -> float:
        """``covered`` as a percentage of ``possible`` (100.0 when nothing is possible)."""
        return percent(self.covered, self.possible)

    @property
    def missed(self) -> tuple[tuple[str, Outcome], ...]:
        """``(id, outcome)`` for every possible outcome no case gave: criteria first, then stages (a stage's id has no dot)."""
        return tuple((row.id, o) for row in self._rows() for o in row.missed)

    def _rows(self) -> tuple[CriterionCoverage, ...]:
        return self.criteria + self.stages

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: ``{"file", "rules", "cases", "covered", "possible", "percent", "criteria": [...], "stages": [...]}``.

        ``percent`` is rounded to one decimal; ``covered`` and ``possible``
        are exact.
        """
        return {
            "file": self.file,
            "rules": self.rules,
            "cases": self.cases,
            "covered": self.covered,
            "possible": self.possible,
            "percent": round(self.percent, 1),
            "criteria": [row.to_dict() for row in self.criteria],
            "stages": [row.to_dict() for row in self.stages],
        }


def percent(covered: int, possible: int) -> float:
    """``covered`` of ``possible`` as a percentage; 100.0 when ``possible`` is 0."""
    return 100.0 * covered / possible if possible else 100.0


def coverage(file: str, rules: Ruleset, outcomes: Iterable[Union[CaseOutcome, Result]]) -> Coverage:
    """The :class:`Coverage` of ``rules`` by these case outcomes (or results); see :meth:`RuleTests.coverage`."""
    from .result import Result

    plan = rules.plan
    seen: dict[str, set[str]] = {c.id: set() for c in plan.criteria}
    conditions: dict[str, set[str]] = {s.id: set() for s in plan.stages}
    ended: dict[str, int] = dict.fromkeys(rules.stage_ids, 0)
    cases = 0
    for outcome in outcomes:
        result = outcome if isinstance(outcome, Result) else outcome.result
        if result is None:
            continue
        if result.ruleset.digest != rules.digest:
            raise ValueError(f"a result of rules {result.ruleset.name!r} ({result.ruleset.digest[:19]}), not of the rules {rules.name!r} of {file}")
        cases += 1
        for row in result.criteria:
            seen[row.id].add(row.outcome)
        for stage, verdict in result.stages.items():
            conditions[stage].add(verdict)
        ended[result.stage] += 1
    possible = _possible(plan)
    criteria = tuple(CriterionCoverage(c.id, possible[c.id], _ordered(seen[c.id])) for c in plan.criteria)
    stage_rows = []
    for stage_id in rules.stage_ids:
        stage_possible = possible.get(f"stage:{stage_id}", ())
        stage_seen = _ordered(conditions.get(stage_id, ()))
        stage_rows.append(StageCoverage(stage_id, stage_possible, stage_seen, ended[stage_id]))
    return Coverage(file, rules.name, cases, criteria, tuple(stage_rows))


def _possible(plan: Plan) -> Mapping[str, tuple[Outcome, ...]]:
    """Criterion id (and ``stage:ID`` for each stage's condition) -> the outcomes the rules allow it."""
    out: dict[str, tuple[Outcome, ...]] = {}
    for crit in plan.criteria:  # a group's criterion is decided by its items, below
        out[crit.id] = OUTCOMES if _may_be_unknown(crit, out) else ("pass", "fail")
    for stage in plan.stages:
        out[f"stage:{stage.id}"] = OUTCOMES if _may_be_unknown(stage.condition, out) else ("pass", "fail")
    return out


def _may_be_unknown(item: Union[Criterion, Group], out: dict[str, tuple[Outcome, ...]]) -> bool:
    """Whether ``item`` can be unknown: a criterion under the ``unknown`` policy whose expression can be; a group with an item that can be.

    An expression's type says whether it can be unknown (``nullable``:
    it reads a value that can be missing). Records a group's own
    criterion in ``out`` on the way (its policy is ``unknown``: it is
    unknown exactly when its group is).
    """
    if isinstance(item, Criterion):
        return item.missing == "unknown" and (item.expr is None or item.expr.type.nullable)
    unknown = any([_may_be_unknown(i, out) for i in item.items])  # a list: every group's criterion is recorded
    if item.criterion is not None:
        unknown = unknown and item.criterion.missing == "unknown"
        out[item.criterion.id] = OUTCOMES if unknown else ("pass", "fail")
    return unknown
