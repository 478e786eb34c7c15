"""A pytest plugin: rule test files (``*.test.yaml``) are collected as tests.

Installed with leadspec (entry point ``pytest11``), so a team that runs
``pytest`` sees every case of its rule tests as a test item, named
``rules/acme.test.yaml::<case name>``. A test file that does not load
(broken YAML, unknown criterion, broken rules) is one failing item that
lists the problems. Turn it off with ``-p no:leadspec``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from .errors import RulesError


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name.endswith((".test.yaml", ".test.yml")):
        return RuleTestFile.from_parent(parent, path=file_path)
    return None


class RuleTestFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        from ._testfile import load_test_file

        try:
            spec, rules, lines = load_test_file(self.path)
        except RulesError as exc:
            yield BrokenRuleTestFile.from_parent(self, name="<load>", problems=[str(p) for p in exc.problems])
            return
        for case, line in zip(spec.cases, lines):
            yield RuleTestCase.from_parent(self, name=case.name, case=case, rules=rules, as_of=case.as_of or spec.as_of, line=line)


class RuleTestCase(pytest.Item):
    def __init__(self, *, case: Any, rules: Any, as_of: Any, line: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case, self.rules, self.as_of, self.line = case, rules, as_of, line

    def runtest(self) -> None:
        from ._testfile import check_case

        result = self.rules.evaluate(self.case.lead, as_of=self.as_of)
        failures = check_case(result, self.case.expect)
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
    def __init__(self, failures: list[str], result: Any) -> None:
        super().__init__("; ".join(failures))
        self.failures = failures
        self.result = result
