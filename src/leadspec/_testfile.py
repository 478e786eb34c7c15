"""Rule tests: ``NAME.test.yaml`` files next to the rules.

:func:`load_tests` loads a test file and its rules (a :class:`RuleTests`
of :class:`RuleCase`); :func:`run_tests` also evaluates every case,
returning one :class:`CaseOutcome` per case with the differences between
what was expected and what came out. Both are public as
``leadspec.load_tests`` and ``leadspec.run_tests``; the command line
(``leadspec check``, ``leadspec test``) and the pytest plugin are thin
layers over them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._problems import Collector
from ._validate import pydantic_problems
from ._expr import suggest
from ._yaml import load_yaml
from .errors import RulesError
from .result import Result
from .ruleset import Ruleset, load, read_rules_file

__all__ = ["CaseOutcome", "RuleCase", "RuleTests", "load_test_file", "load_tests", "run_file", "run_tests"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expect(_Strict):
    stage: str
    passed: list[str] = []
    failed: list[str] = []
    unknown: list[str] = []
    scores: dict[str, float] = {}
    missing: Optional[list[str]] = None
    issues: Optional[list[str]] = Field(None, description="Fields expected to have an issue.")


class Case(_Strict):
    name: str
    lead: dict[str, Any]
    as_of: Union[datetime, date, str, None] = None
    expect: Expect


class TestFile(_Strict):
    rules: str
    as_of: Union[datetime, date, str, None] = None
    cases: list[Case] = Field(min_length=1)


@dataclass
class CaseOutcome:
    """One case run: where it is (``file``, ``line``), its ``name``, the differences found (``failures``) and the ``result``.

    ``result`` is ``None`` when evaluating the lead raised; the failure
    says what it raised.
    """

    file: str
    line: int
    name: str
    failures: list[str] = field(default_factory=list)
    result: Result | None = None

    @property
    def passed(self) -> bool:
        """Whether the result was as expected."""
        return not self.failures


@dataclass(frozen=True)
class RuleCase:
    """One case of a rule test file: a ``lead``, the moment to evaluate it (``as_of``) and what to ``expect``.

    ``as_of`` is the case's own, else the file's (``None``: now); ``line``
    is where the case starts in ``file``.
    """

    file: str
    line: int
    name: str
    lead: Mapping[str, Any]
    as_of: datetime | date | str | None
    expect: Expect

    def check(self, result: Result) -> list[str]:
        """The differences between ``result`` and what this case expects; empty when it passes."""
        return check_case(result, self.expect)

    def run(self, rules: Ruleset) -> CaseOutcome:
        """Evaluate the lead with ``rules`` and check the result; an exception is a failure, not a crash."""
        outcome = CaseOutcome(self.file, self.line, self.name)
        try:
            result = rules.evaluate(self.lead, as_of=self.as_of)
        except Exception as exc:  # a case must never crash the run
            outcome.failures.append(f"evaluation raised {type(exc).__name__}: {exc}")
        else:
            outcome.result = result
            outcome.failures = self.check(result)
        return outcome


@dataclass(frozen=True)
class RuleTests:
    """A loaded rule test file: its ``file``, the ``rules`` it names (loaded) and its ``cases``."""

    file: str
    rules: Ruleset
    cases: tuple[RuleCase, ...]

    def run(self) -> list[CaseOutcome]:
        """Run every case, in file order."""
        return [case.run(self.rules) for case in self.cases]


def load_tests(path: str | os.PathLike[str]) -> RuleTests:
    """Load a rule test file (``NAME.test.yaml``) and the rules it names.

    Raises :class:`~leadspec.RulesError` with every problem when the file
    cannot be read, has the wrong shape, is a rule file, or names a stage,
    criterion or score the rules do not have (a renamed criterion fails
    here, not as a failing case); and with the rules' own problems when
    they do not load.
    """
    spec, rules, lines = load_test_file(path)
    name = os.fspath(path)
    cases = tuple(RuleCase(name, line, case.name, case.lead, case.as_of or spec.as_of, case.expect) for case, line in zip(spec.cases, lines))
    return RuleTests(name, rules, cases)


def run_tests(path: str | os.PathLike[str]) -> list[CaseOutcome]:
    """Load a rule test file and run every case: one :class:`CaseOutcome` per case, in file order.

    Raises :class:`~leadspec.RulesError` as :func:`load_tests` does; a
    case whose evaluation raises is a failed case.
    """
    return load_tests(path).run()


def load_test_file(path: str | os.PathLike[str]) -> tuple[TestFile, Ruleset, list[int]]:
    """The test file as read, its rules, and the line of each case; raises RulesError (see :func:`load_tests`).

    Besides the file's shape, every stage, criterion and score a case
    names must exist in the rules, so a renamed criterion fails here.
    """
    name = os.fspath(path)
    text = read_rules_file(name)  # bounded: a test file is read like a rule file
    data, positions, problems = load_yaml(text, name)
    if data is None or problems:
        raise RulesError(problems)
    out = Collector(positions)
    if isinstance(data, dict) and "leadspec" in data and "cases" not in data:
        out.at((), "not-a-test-file", "this is a rule file, not a test file; its cases go in a NAME.test.yaml beside it")
        raise RulesError(out.problems)
    try:
        spec = TestFile.model_validate(data)
    except ValidationError as exc:
        pydantic_problems(exc, data, out, allowed_keys=_allowed_keys)
        raise RulesError(out.problems) from None
    rules = load(os.path.join(os.path.dirname(name), spec.rules))
    stage_ids = rules.stage_ids
    criteria = [c.id for c in rules._plan.criteria]
    scores = [s.name for s in rules._plan.scores]
    for i, case in enumerate(spec.cases):
        where = ("cases", i, "expect")
        if case.expect.stage not in stage_ids:
            hint = suggest(case.expect.stage, stage_ids)
            out.at(where + ("stage",), "unknown-stage", f"no stage {case.expect.stage!r} in {spec.rules}{hint}; stages: {', '.join(stage_ids)}")
        for key in ("passed", "failed", "unknown"):
            for j, cid in enumerate(getattr(case.expect, key)):
                if cid not in criteria:
                    out.at(where + (key, j), "unknown-criterion", f"no criterion {cid!r} in {spec.rules}{suggest(cid, criteria)}")
        for score in case.expect.scores:
            if score not in scores:
                out.at(where + ("scores", score), "unknown-score", f"no score {score!r} in {spec.rules}{suggest(score, scores)}", key=True)
    if out.problems:
        raise RulesError(out.problems)
    lines = [positions.of(("cases", i))[0] for i in range(len(spec.cases))]
    return spec, rules, lines


def _allowed_keys(path: tuple[Any, ...], tags: list[str]) -> list[str]:
    """The keys a test file allows where ``path`` has an unknown one."""
    parent = path[:-1]
    if not parent:
        return list(TestFile.model_fields)
    if parent[-1] == "expect":
        return list(Expect.model_fields)
    return list(Case.model_fields)


def check_case(result: Result, expect: Expect) -> list[str]:
    """The differences between a result and what a case expects."""
    failures = []
    if result.stage != expect.stage:
        failures.append(f"stage: expected {expect.stage}, got {result.stage}")
    outcomes = {c.id: c for c in result.criteria}
    for want, ids in (("pass", expect.passed), ("fail", expect.failed), ("unknown", expect.unknown)):
        for cid in ids:
            got = outcomes.get(cid)
            if got is None:
                failures.append(f"{cid}: no such criterion (criteria: {', '.join(outcomes)})")
            elif got.outcome != want:
                failures.append(f"{cid}: expected {want}, got {got.outcome} ({got.because})")
    for name, total in expect.scores.items():
        score = result.scores.get(name)
        if score is None:
            failures.append(f"score {name}: no such score")
        elif abs(float(score.total) - total) > 1e-9:
            failures.append(f"score {name}: expected {total:g}, got {score.total:g}")
    if expect.missing is not None and sorted(expect.missing) != sorted(result.missing):
        failures.append(f"missing: expected {sorted(expect.missing)}, got {sorted(result.missing)}")
    if expect.issues is not None:
        got_issues = sorted(i.field or i.criterion or "" for i in result.issues)
        if sorted(expect.issues) != got_issues:
            failures.append(f"issues: expected {sorted(expect.issues)}, got {got_issues}")
    return failures


run_file = run_tests
"""The old name of :func:`run_tests`, still used by some tests."""
