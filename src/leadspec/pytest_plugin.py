"""A pytest plugin: rule test files (``*.test.yaml``) are collected as tests.

Installed with leadspec (entry point ``pytest11``), so a team that runs
``pytest`` sees every case of its rule tests as a test item, named
``rules/acme.test.yaml::<case name>``. A test file that does not load
(broken YAML, the wrong shape, broken rules) is one failing item that
lists the problems; a case naming a criterion, stage or score the rules
do not have fails alone, with the located problem. Turn it off with ``-p no:leadspec``.

After the run, a section "leadspec rule coverage" of the terminal summary
gives each test file's coverage: the share of the outcomes (pass, fail,
unknown) its criteria and stage conditions can have that the cases which
ran gave them, and, unless ``-q``, the outcomes no case gave. It is
printed only when some rule case ran (``--leadspec-coverage=no`` leaves
it out); it never changes the exit status (``leadspec test --coverage
--fail-under PCT`` is the gate). Under pytest-xdist the cases run in
other processes and the section is left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import pytest

from .errors import RulesError

if TYPE_CHECKING:
    from . import Result, RuleCase, RuleTests

_RESULTS = pytest.StashKey[dict[str, tuple["RuleTests", list["Result"]]]]()
"""Per test file that ran a case (by node id): its loaded tests and the results of the cases that evaluated (for the coverage section)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("leadspec", "leadspec rule tests")
    group.addoption(
        "--leadspec-coverage",
        choices=("yes", "no"),
        default="yes",
        help="Print the 'leadspec rule coverage' section after a run that ran rule cases (default: yes).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_RESULTS] = {}


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name.endswith((".test.yaml", ".test.yml")):
        return RuleTestFile.from_parent(parent, path=file_path)
    return None


class RuleTestFile(pytest.File):
    """A ``*.test.yaml``: one item per case, or one failing item when it does not load."""

    def collect(self) -> Iterator[pytest.Item]:
        from . import load_tests

        try:
            tests = load_tests(self.path)
        except RulesError as exc:
            yield BrokenRuleTestFile.from_parent(self, name="<load>", problems=[str(p) for p in exc.problems])
            return
        for case in tests.cases:
            yield RuleTestCase.from_parent(self, name=case.name, case=case, tests=tests)


class RuleTestCase(pytest.Item):
    """One case: evaluated as it is written; an exception while evaluating fails it with its traceback."""

    def __init__(self, *, case: RuleCase, tests: RuleTests, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case, self.tests, self.rules, self.line = case, tests, tests.rules, case.line

    def runtest(self) -> None:
        result = self.rules.evaluate(self.case.lead, as_of=self.case.as_of)
        ran = self.config.stash.setdefault(_RESULTS, {})
        ran.setdefault(self.parent.nodeid if self.parent is not None else self.tests.file, (self.tests, []))[1].append(result)
        # a case naming what the rules do not have fails with those problems, located in the test file
        failures = [str(p) for p in self.case.problems] or self.case.check(result)
        if failures:
            raise RuleCaseFailed(failures, result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RuleCaseFailed):
            lines = [f"case {self.name!r} ({self.path.name}:{self.line}):"]
            lines += [f"  {f}" for f in excinfo.value.failures]
            lines += ["", "explanation:"] + ["  " + line for line in excinfo.value.result.explain().splitlines()]
            return "\n".join(lines)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.line - 1, f"rule case: {self.name}"


class BrokenRuleTestFile(pytest.Item):
    """A test file that does not load: one failing item listing its problems."""

    def __init__(self, *, problems: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.problems = problems

    def runtest(self) -> None:
        raise RulesError([])

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return "the rule test file does not load:\n" + "\n".join(self.problems)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, "rule test file"


class RuleCaseFailed(AssertionError):
    """A case whose result is not what it expects: the differences, and the result (for its explanation)."""

    def __init__(self, failures: list[str], result: Result) -> None:
        super().__init__("; ".join(failures))
        self.failures = failures
        self.result = result


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """The "leadspec rule coverage" section: each test file's coverage by the cases that ran, and what no case exercised."""
    ran = config.stash.get(_RESULTS, {})
    if not ran or config.getoption("leadspec_coverage") == "no":
        return
    terminalreporter.section("leadspec rule coverage")
    quiet = config.getoption("verbose") < 0
    for name, (tests, results) in ran.items():
        cov = tests.coverage(results)
        cases = f"{cov.cases} case{'s' if cov.cases != 1 else ''}"
        terminalreporter.line(f"{name}: {cov.percent:.1f}% of {cov.possible} outcomes exercised by {cases}")
        if quiet:
            continue
        stages = {stage.id for stage in cov.stages}
        missed: dict[str, list[str]] = {}
        for where, outcome in cov.missed:
            missed.setdefault(f"stage {where}" if where in stages else where, []).append(outcome)
        if missed:
            for line in _packed([f"{where} {'/'.join(outcomes)}" for where, outcomes in missed.items()], "  not exercised: "):
                terminalreporter.line(line)


def _packed(items: list[str], first: str, width: int = 88) -> list[str]:
    """``items`` joined with ", " in lines of at most ``width`` characters where they fit (an item is never split); the first line starts with ``first``."""
    lines, line = [], first
    for i, item in enumerate(items):
        text = item + ("," if i < len(items) - 1 else "")
        if line != first and len(line) + 1 + len(text) > width:
            lines.append(line)
            line = "    " + text
        else:
            line += text if line == first else " " + text
    return lines + [line]
