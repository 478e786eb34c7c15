"""The registry of built-in functions is the one place a function is defined."""

from __future__ import annotations

import ast
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import leadspec
from leadspec import reference
from leadspec._functions import FUNCTIONS, Function, function_table
from conftest import ROOT, rules_text

SRC = ROOT / "src" / "leadspec"
AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)


def test_the_docs_function_table_is_the_generated_one() -> None:
    text = (ROOT / "docs" / "expressions.md").read_text(encoding="utf-8")
    assert function_table() in text, "docs/expressions.md: paste leadspec._functions.function_table() over the table"
    rows = [line for line in text.splitlines() if line.startswith("| `") and "(" in line.split("|")[1]]
    assert len([r for r in rows if r.split("`")[1].split("(")[0] in FUNCTIONS]) == len(FUNCTIONS)


def test_every_function_has_a_section_in_the_docs() -> None:
    headings = re.findall(r"^### (.+)$", (ROOT / "docs" / "expressions.md").read_text(encoding="utf-8"), flags=re.M)
    named = {name.strip() for heading in headings for name in re.split(r",| and ", heading)}
    assert set(FUNCTIONS) <= named, set(FUNCTIONS) - named


def _special_cases(path: Path) -> list[str]:
    """Places in ``path`` that compare something with a function's name (``x == "count"``, ``x in ("last", "first")``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Compare):
            continue
        for operand in [node.left, *node.comparators]:
            names = [operand] if isinstance(operand, ast.Constant) else getattr(operand, "elts", [])
            hits = [n.value for n in names if isinstance(n, ast.Constant) and n.value in FUNCTIONS]
            if hits:
                found.append(f"{path.name}:{node.lineno}: {', '.join(hits)}")
    return found


def test_no_function_name_is_special_cased_outside_the_registry() -> None:
    # the package's modules (the command line reads files, it knows no functions)
    found = [hit for path in sorted(SRC.glob("*.py")) if path.name != "_functions.py" for hit in _special_cases(path)]
    assert found == []


def test_the_special_case_finder_finds_them() -> None:
    """The check above can fail: the code before the registry had these."""
    old = 'if name in ("count", "last", "first"):\n    pass\nif name == "score":\n    pass\nif kind == "string":\n    pass\n'
    path = Path(__file__).parent / "fixtures" / "_special_case_sample.py"
    path.write_text(old, encoding="utf-8")
    try:
        assert _special_cases(path) == ["_special_case_sample.py:1: count, last, first", "_special_case_sample.py:3: score"]
    finally:
        path.unlink()


def test_a_new_function_is_added_in_one_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """One registry entry: the checker, the code generator, explanations and the reference interpreter all know it."""

    def clamp(x: Any, low: Any, high: Any) -> Any:
        return None if x is None or low is None or high is None else min(max(x, low), high)

    entry = Function(
        "clamp",
        "clamp(x, low, high)",
        "`x` kept between `low` and `high`",
        3,
        3,
        evaluate=lambda call, args, env: clamp(*args),
        python=lambda call, args, env: f"{env.function(clamp, 'clamp')}({', '.join(args)})",
        params=("num",),
        whole=lambda args: all(a.integral for a in args),
    )
    monkeypatch.setitem(FUNCTIONS, "clamp", entry)
    rules = leadspec.loads(
        rules_text(
            "fields: {x: {type: integer}}\n"
            "stages:\n  - id: s\n    when: clamp(x, 0, 10) >= 5\n"
            "    because: 'clamped to {clamp(x, 0, 10)}'\n"
        )
    )
    for lead, stage in (({"x": "7"}, "s"), ({"x": "70"}, "s"), ({"x": "-3"}, "lead"), ({}, "lead")):
        result = rules.evaluate(lead, as_of=AS_OF)
        assert result.stage == stage == rules.stage(lead, as_of=AS_OF) == reference.evaluate(rules.plan, lead, AS_OF).stage, lead
    assert rules.evaluate({"x": "70"}, as_of=AS_OF).criteria[0].because == "clamped to 10"
    assert "_fn_clamp(f_x, 0, 10)" in rules.generated_source()
    assert rules.plan.criteria[0].expr.operands[0].type.integral  # type: ignore[union-attr]
    with pytest.raises(leadspec.RulesError, match=r"clamp\(\) takes 3 arguments, got 2"):
        leadspec.loads(rules_text("fields: {x: {type: integer}}\nstages: [{id: s, when: 'clamp(x, 1) > 0'}]\n"))


def test_every_function_is_in_the_checker_code_generator_and_interpreter() -> None:
    """Each entry is complete: a call of it loads, compiles and agrees with the reference (one lead, every function)."""
    body = (
        "fields:\n  n: {type: number}\n  s: {type: string}\n  d: {type: date}\n"
        "  ev: {type: events}\n  tags: {type: list}\n"
        "scores: {sc: {events: {demo: 5}}}\n"
        "stages:\n  - id: s\n    all:\n"
    )
    calls = {
        "has": "has(n)",
        "count": "count('demo', within='30d') >= 1",
        "last": "last('demo') < last('demo')",
        "first": "has(first('demo'))",
        "days_since": "days_since(d) > 3",
        "score": "score('sc') > 1",
        "domain": "domain(s) == 'x.io'",
        "lower": "lower(s) == 'a@x.io'",
        "upper": "upper(s) == 'A@X.IO'",
        "len": "len(tags) == 2",
        "contains": "contains(s, 'X')",
        "contains_any": "contains_any(s, tags)",
        "startswith": "startswith(s, 'a')",
        "endswith": "endswith(s, ['io'])",
        "min": "min(n, 3) == 3",
        "max": "max(n, 3) > 3",
        "abs": "abs(n) > 1",
        "round": "round(n / 3, 1) == 1.7",
    }
    assert set(calls) == set(FUNCTIONS)
    body += "".join(f"      - {{id: c_{name}, when: \"{expr}\"}}\n" for name, expr in calls.items())
    rules = leadspec.loads(rules_text(body))
    lead = {"n": "5", "s": "A@X.io", "d": "2026-10-01", "tags": "a;io", "ev": [{"type": "demo", "at": "2026-10-20T00:00:00Z"}]}
    result = rules.evaluate(lead, as_of=AS_OF)
    outcomes = {c.id: c.outcome for c in result.criteria}
    assert outcomes == reference.evaluate(rules.plan, lead, AS_OF).criteria
    assert outcomes == {f"s.c_{name}": ("fail" if name == "last" else "pass") for name in calls}
