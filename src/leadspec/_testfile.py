"""Rule tests: ``NAME.test.yaml`` files next to the rules (FORMAT.md section 9).

:func:`run_file` loads a test file and its rules and evaluates every
case, returning one :class:`CaseOutcome` per case with the differences
between what was expected and what came out. The command line and the
pytest plugin are thin layers over this.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._check import _Collector, _pydantic_problems
from ._expr import suggest
from ._yaml import load_yaml
from .errors import RulesError
from .result import Result
from .ruleset import Ruleset, load, read_rules_file

__all__ = ["CaseOutcome", "TestFile", "load_test_file", "run_file"]


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
    """One case: passed, or the list of differences (``failures``)."""

    file: str
    line: int
    name: str
    failures: list[str] = field(default_factory=list)
    result: Result | None = None

    @property
    def passed(self) -> bool:
        return not self.failures


def load_test_file(path: str | os.PathLike[str]) -> tuple[TestFile, Ruleset, list[int]]:
    """The test file, its rules, and the line of each case; raises RulesError.

    Besides the file's shape, every stage, criterion and score a case
    names must exist in the rules, so a renamed criterion fails here.
    """
    name = os.fspath(path)
    text = read_rules_file(name)  # bounded: a test file is read like a rule file
    data, positions, problems = load_yaml(text, name)
    if data is None or problems:
        raise RulesError(problems)
    out = _Collector(positions)
    if isinstance(data, dict) and "leadspec" in data and "cases" not in data:
        out.at((), "not-a-test-file", "this is a rule file, not a test file; its cases go in a NAME.test.yaml beside it")
        raise RulesError(out.problems)
    try:
        spec = TestFile.model_validate(data)
    except ValidationError as exc:
        _pydantic_problems(exc, data, out, allowed_keys=_allowed_keys)
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


def run_file(path: str | os.PathLike[str]) -> list[CaseOutcome]:
    """Run every case of a test file."""
    spec, rules, lines = load_test_file(path)
    out = []
    for case, line in zip(spec.cases, lines):
        outcome = CaseOutcome(os.fspath(path), line, case.name)
        try:
            result = rules.evaluate(case.lead, as_of=case.as_of or spec.as_of)
        except Exception as exc:  # a case must never crash the run
            outcome.failures.append(f"evaluation raised {type(exc).__name__}: {exc}")
        else:
            outcome.result = result
            outcome.failures = check_case(result, case.expect)
        out.append(outcome)
    return out
