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
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._expr import suggest
from ._problems import Collector
from ._validate import pydantic_problems
from ._yaml import Positions, load_yaml
from .errors import Problem, RulesError
from .result import Result
from .ruleset import Ruleset, load, read_rules_file

if TYPE_CHECKING:
    from ._coverage import Coverage

__all__ = ["CaseOutcome", "RuleCase", "RuleTests", "load_test_file", "load_tests", "run_file", "run_tests"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expect(_Strict):
    """What a case expects of its result: the stage always, each other key only when written."""

    stage: str = Field(description="The stage the lead must reach: disqualified, the base stage (lead unless the rule file names it) or a stage id.")
    passed: list[str] = Field([], description="Criteria (dotted ids such as icp.size) that must pass.")
    failed: list[str] = Field([], description="Criteria that must fail.")
    unknown: list[str] = Field([], description="Criteria that must be unknown (a value they read is missing or bad).")
    scores: dict[str, float] = Field({}, description="Score name -> the total it must have.")
    flags: dict[str, Optional[bool]] = Field({}, description="Flag name -> true, false, or null for unknown: what the flag must be.")
    missing: Optional[list[str]] = Field(None, description="Exactly the fields that must be missing (any order); [] for none. Not checked when absent.")
    issues: Optional[list[str]] = Field(None, description="Exactly the fields (or criteria) that must have an issue, such as a bad value (any order); [] for none. Not checked when absent.")


class Case(_Strict):
    """One case: a lead and what it must come out as."""

    name: str = Field(description="What the case is about; the name a failure prints.")
    lead: dict[str, Any] = Field(description="The lead, as the rules read it: keys are the fields' sources (a CSV header, or nested objects for dotted sources).")
    as_of: Union[datetime, date, str, None] = Field(None, description="The moment to evaluate this lead at (ISO 8601); default: the file's as_of.")
    expect: Expect = Field(description="What the result must be.")


class TestFile(_Strict):
    """A rule test file, NAME.test.yaml: cases run against the rule file it names."""

    rules: str = Field(description="The rule file to test, relative to this file (usually NAME.yaml beside it).")
    as_of: Union[datetime, date, str, None] = Field(None, description="The moment every case is evaluated at (ISO 8601), unless a case sets its own; default: now.")
    cases: list[Case] = Field(min_length=1, description="The cases, at least one.")


def test_file_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of the test-file format, from the models the loader validates with."""
    schema = TestFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "leadspec rule test file"
    return schema


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
    is where the case starts in ``file``. ``problems``: what the case names
    that the rules do not have (a stage, a criterion, a score, a key of the
    lead), each located in ``file``; a case with problems fails with them,
    and the other cases of the file still run.
    """

    file: str
    line: int
    name: str
    lead: Mapping[str, Any]
    as_of: datetime | date | str | None
    expect: Expect
    problems: tuple[Problem, ...] = ()

    def check(self, result: Result) -> list[str]:
        """The differences between ``result`` and what this case expects; empty when it passes."""
        return check_case(result, self.expect)

    def run(self, rules: Ruleset) -> CaseOutcome:
        """Evaluate the lead with ``rules`` and check the result; an exception is a failure, not a crash.

        A case with :attr:`problems` fails with them (``FILE:LINE:COL:
        error[CODE]: message``) instead of the differences, which would
        only repeat them.
        """
        outcome = CaseOutcome(self.file, self.line, self.name)
        try:
            result = rules.evaluate(self.lead, as_of=self.as_of)
        except Exception as exc:  # a case must never crash the run
            outcome.failures.append(f"evaluation raised {type(exc).__name__}: {exc}")
        else:
            outcome.result = result
            outcome.failures = self.check(result)
        if self.problems:
            outcome.failures = [str(p) for p in self.problems] + [f for f in outcome.failures if f.startswith("evaluation raised")]
        return outcome


@dataclass(frozen=True)
class RuleTests:
    """A loaded rule test file: its ``file``, the ``rules`` it names (loaded) and its ``cases``."""

    file: str
    rules: Ruleset
    cases: tuple[RuleCase, ...]

    @property
    def problems(self) -> list[Problem]:
        """Every case's :attr:`RuleCase.problems`, in file order (what ``leadspec check`` reports)."""
        return [p for case in self.cases for p in case.problems]

    def run(self) -> list[CaseOutcome]:
        """Run every case, in file order."""
        return [case.run(self.rules) for case in self.cases]

    def coverage(self, outcomes: Iterable[CaseOutcome | Result] | None = None) -> Coverage:
        """Which outcomes the cases exercised: per criterion and per stage, pass, fail and unknown.

        ``outcomes`` are what :meth:`run` returned (or the cases' results);
        ``None`` runs the cases. Every case that was evaluated counts,
        passed or failed; one whose evaluation raised has no result and
        does not. A result of other rules is a :class:`ValueError`. See
        :class:`~leadspec.Coverage`.
        """
        from ._coverage import coverage

        return coverage(self.file, self.rules, self.run() if outcomes is None else outcomes)

    @staticmethod
    def json_schema() -> dict[str, Any]:
        """JSON Schema of the test-file format (``leadspec schema --tests``), made from the models the loader validates with."""
        return test_file_schema()


def load_tests(path: str | os.PathLike[str]) -> RuleTests:
    """Load a rule test file (``NAME.test.yaml``) and the rules it names.

    Raises :class:`~leadspec.RulesError` with every problem when the file
    cannot be read, has the wrong shape or is a rule file, and with the
    rules' own problems when they do not load. A case that names a stage,
    criterion or score the rules do not have, or whose lead has a key no
    field reads, loads with those :attr:`RuleCase.problems`: it fails when
    run, the other cases still run.
    """
    spec, rules, positions = _read(path)
    name = os.fspath(path)
    cases = tuple(
        RuleCase(name, positions.of(("cases", i))[0], case.name, case.lead, case.as_of or spec.as_of, case.expect, tuple(_case_problems(spec, i, rules, positions)))
        for i, case in enumerate(spec.cases)
    )
    return RuleTests(name, rules, cases)


def run_tests(path: str | os.PathLike[str]) -> list[CaseOutcome]:
    """Load a rule test file and run every case: one :class:`CaseOutcome` per case, in file order.

    Raises :class:`~leadspec.RulesError` as :func:`load_tests` does; a
    case whose evaluation raises is a failed case.
    """
    return load_tests(path).run()


def load_test_file(path: str | os.PathLike[str]) -> tuple[TestFile, Ruleset, list[int]]:
    """The test file as read, its rules, and the line of each case; raises RulesError with every problem.

    Stricter than :func:`load_tests`: a case naming what the rules do not
    have is a problem of the file here.
    """
    spec, rules, positions = _read(path)
    problems = [p for i in range(len(spec.cases)) for p in _case_problems(spec, i, rules, positions)]
    if problems:
        raise RulesError(problems)
    return spec, rules, [positions.of(("cases", i))[0] for i in range(len(spec.cases))]


def _read(path: str | os.PathLike[str]) -> tuple[TestFile, Ruleset, Positions]:
    """The test file validated, its rules loaded, and the positions of its nodes; raises RulesError."""
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
    return spec, rules, positions


def _case_problems(spec: TestFile, i: int, rules: Ruleset, positions: Positions) -> list[Problem]:
    """What case ``i`` names that ``rules`` do not have: its stage, criteria, scores, the keys of its lead."""
    out = Collector(positions)
    case = spec.cases[i]
    plan = rules.plan
    stage_ids = list(rules.stage_ids)
    criteria = [c.id for c in plan.criteria]
    scores = [s.name for s in plan.scores]
    where: tuple[Any, ...] = ("cases", i, "expect")
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
    flags = [f.id.split(".", 1)[1] for f in plan.flags]
    for flag in case.expect.flags:
        if flag not in flags:
            known = f"; flags: {', '.join(flags)}" if flags else f"; {spec.rules} has no flags"
            out.at(where + ("flags", flag), "unknown-name", f"no flag {flag!r} in {spec.rules}{suggest(flag, flags)}{known}", key=True)
    fields = [f.name for f in plan.fields]
    for key, names in (("missing", fields), ("issues", fields + criteria)):
        for j, name in enumerate(getattr(case.expect, key) or ()):
            if name not in names:
                what = "field" if key == "missing" else "field or criterion"
                out.at(where + (key, j), "unknown-name", f"no {what} {name!r} in {spec.rules}{suggest(name, names)}")
    sources = [f.source for f in plan.fields]
    for key_path in _unread_keys(case.lead, sources):
        shown = ".".join(key_path)
        out.at(
            ("cases", i, "lead") + key_path,
            "unknown-key",
            f"no field of {spec.rules} reads {shown!r}{suggest(shown, sources)}{_misspelt_source(shown, plan.fields, spec.rules)}; "
            f"a lead's keys are the fields' sources: {', '.join(sources)}",
            key=True,
        )
    return out.problems


def _misspelt_source(key: str, fields: Any, rules: str) -> str:
    """When ``key`` is a field's name but not its source, that field's ``source:`` may be the typo, not the case."""
    for f in fields:
        if f.source != key and f.name.lower() == key.lower():
            where = f" on line {f.location.line} of {rules}" if f.location is not None else f" in {rules}"
            return f"; or is `source: {f.source}` of field {f.name!r}{where} misspelt?"
    return ""


def _unread_keys(lead: Mapping[str, Any], sources: list[str], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The keys of ``lead`` (nested objects too) that no source reads: neither a source nor on a source's dotted path."""
    unread = []
    for key, value in lead.items():
        path = prefix + (str(key),)
        dotted = ".".join(path)
        if dotted in sources:
            continue
        if any(s.startswith(dotted + ".") for s in sources):
            if isinstance(value, dict):
                unread += _unread_keys(value, sources, path)
            continue
        unread.append(path)
    return unread


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
    for flag, expected in expect.flags.items():
        if flag not in result.flags:
            failures.append(f"flag {flag}: no such flag")
        elif result.flags[flag] is not expected:
            failures.append(f"flag {flag}: expected {_flag_text(expected)}, got {_flag_text(result.flags[flag])}")
    if expect.missing is not None and sorted(expect.missing) != sorted(result.missing):
        failures.append(f"missing: expected {sorted(expect.missing)}, got {sorted(result.missing)}")
    if expect.issues is not None:
        got_issues = sorted(i.field or i.criterion or "" for i in result.issues)
        if sorted(expect.issues) != got_issues:
            failures.append(f"issues: expected {sorted(expect.issues)}, got {got_issues}")
    return failures


def _flag_text(value: bool | None) -> str:
    return "unknown" if value is None else str(value).lower()


run_file = run_tests
"""The old name of :func:`run_tests`, still used by some tests."""
