"""Generated code you can debug: comments naming each criterion, tracebacks that show the line."""

from __future__ import annotations

import gc
import linecache
import traceback
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

import pytest

import leadspec
from conftest import rules_text

AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
RULES = rules_text("fields: {employees: {type: integer}}\nstages:\n  - id: icp\n    all:\n      - size: employees >= 50\n")


class Exploding(Mapping[str, Any]):
    """A record whose values cannot be read (a broken CRM client object)."""

    def __getitem__(self, key: str) -> Any:
        raise RuntimeError("the CRM connection dropped")

    def get(self, key: str, default: Any = None) -> Any:
        raise RuntimeError("the CRM connection dropped")

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def test_a_traceback_through_generated_code_shows_its_line() -> None:
    rules = leadspec.loads(RULES, "r.yaml")
    with pytest.raises(RuntimeError) as info:
        rules.evaluate(Exploding(), as_of=AS_OF)
    text = "".join(traceback.format_exception(info.value))
    assert "f_employees = rec.get('employees')" in text  # the generated line, read through linecache
    assert "<leadspec t #" in text  # the rules' name, and a number: two rulesets of one name do not share lines


def test_each_criterion_names_its_place_in_the_rule_file() -> None:
    lines = [line.strip() for line in leadspec.loads(RULES, "rules/r.yaml").generated_source().splitlines()]
    where = lines.index("# icp.size (rules/r.yaml:7:9)")  # `- size: …` is on line 7, column 9
    assert lines[where + 1] == "try:" and "f_employees >= 50" in lines[where + 2]


def test_a_file_name_cannot_write_code_into_the_comments() -> None:
    rules = leadspec.loads(RULES, "evil\nimport os\nos.system('echo hi')\r#")
    lines = rules.generated_source().splitlines()
    assert not any(line.strip().startswith("import os") or line.strip().startswith("os.system") for line in lines)
    assert rules.stage({"employees": "60"}, as_of=AS_OF) == "icp"


def test_the_line_cache_forgets_rules_that_are_gone() -> None:
    rules = leadspec.loads(RULES, "gone.yaml")
    name = rules._compiled.filename
    assert name in linecache.cache
    del rules
    gc.collect()
    assert name not in linecache.cache


@pytest.mark.parametrize("file", ["a\u2028b\u2029c\x85d\x0be\x0cf.yaml", "nul\x00.yaml", "tab\there.yaml"])
def test_any_file_name_loads_and_tracebacks_show_the_right_line(file: str) -> None:
    """Found by review: a NUL in the name stopped a valid file from loading; other line breaks shifted the lines shown."""
    rules = leadspec.loads(RULES, file)
    assert rules.stage({"employees": "60"}, as_of=AS_OF) == "icp"
    with pytest.raises(RuntimeError) as info:
        rules.evaluate(Exploding(), as_of=AS_OF)
    assert "f_employees = rec.get('employees')" in "".join(traceback.format_exception(info.value))
