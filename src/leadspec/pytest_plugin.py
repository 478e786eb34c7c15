"""A pytest plugin: rule test files (``*.test.yaml``) are collected as tests.

Installed with leadspec (entry point ``pytest11``), so a team that runs
``pytest`` sees every case of its rule tests as a test item, named
``rules/acme.test.yaml::<case name>``. A test file that does not load
(broken YAML, the wrong shape, broken rules) is one failing item that
lists the problems; a case naming a criterion, stage or score the rules
do not have fails alone, with the located problem. Turn it off with ``-p no:leadspec``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import pytest

from .errors import RulesError

if TYPE_CHECKING:
    from . import Result, RuleCase, Ruleset


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
            yield RuleTestCase.from_parent(self, name=case.name, case=case, rules=tests.rules)


class RuleTestCase(pytest.Item):
    """One case: evaluated as it is written; an exception while evaluating fails it with its traceback."""

    def __init__(self, *, case: RuleCase, rules: Ruleset, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case, self.rules, self.line = case, rules, case.line

    def runtest(self) -> None:
        result = self.rules.evaluate(self.case.lead, as_of=self.case.as_of)
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
