"""Hostile rule files are refused at load, quickly, with nothing executed."""

from __future__ import annotations

import time

import pytest

import leadspec
from leadspec import _yaml
from conftest import problems_of, rules_text

FIELDS = "fields: {a: {type: integer}, s: {type: string}}\n"


@pytest.mark.parametrize(
    ("expression", "code"),
    [
        ("9**9**9 > a", "too-large"),
        ("'a' * 10**9 == s", "too-large"),
        ("len('x' * 100001) > a", "too-large"),
        ("a.__class__.__mro__", "not-allowed"),
        ("s.__class__", "not-allowed"),
        ("__import__('os').system('touch /tmp/leadspec-pwned')", "not-allowed"),
        ("__import__('os') == s", "unknown-function"),
        ("open('/etc/passwd')", "unknown-function"),
        ("eval('1')", "unknown-function"),
        ("(lambda: 1)()", "not-allowed"),
        ("[x for x in 'abc']", "not-allowed"),
        ("s[0]", "not-allowed"),
        ("f'{s}'", "not-allowed"),
        ("a if a else 1", "not-allowed"),
        ("(b := 1)", "not-allowed"),
        ("a << 10", "not-allowed"),
        ("__builtins__", "unknown-name"),
        ("a is 1", "not-allowed"),
        ("{'a': 1}", "not-allowed"),
    ],
)
def test_hostile_expression_is_refused_at_load(expression: str, code: str, tmp_path) -> None:
    text = rules_text(FIELDS + "stages:\n  - id: s\n    when: >-\n      " + expression + "\n")
    started = time.perf_counter()
    problems = problems_of(text)
    elapsed = time.perf_counter() - started
    assert code in [p.code for p in problems], "\n".join(map(str, problems))
    assert elapsed < 5  # refused without computing anything huge (a generous bound, not a benchmark)


def test_nothing_is_executed_at_load(tmp_path) -> None:
    marker = tmp_path / "pwned"
    text = rules_text(FIELDS + f"stages:\n  - id: s\n    when: \"__import__('os').system('touch {marker}')\"\n")
    problems_of(text)
    assert not marker.exists()


def test_yaml_alias_bomb_is_refused_quickly() -> None:
    bomb = "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n"
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    started = time.perf_counter()
    problems = problems_of("leadspec: 1\nname: t\nlists:\n  " + bomb.replace("\n", "\n  ") + "\n")
    assert time.perf_counter() - started < 5
    assert [p.code for p in problems] == ["too-many-nodes"]
    assert "alias bomb" in problems[0].message


def test_deep_nesting_is_refused() -> None:
    depth = _yaml.MAX_DEPTH + 5
    text = "leadspec: 1\nname: t\nfields: " + "[" * depth + "]" * depth + "\n"
    problems = problems_of(text)
    assert [p.code for p in problems] == ["too-deep"]
    assert problems[0].line == 3


def test_huge_nesting_does_not_overflow_the_stack() -> None:
    text = "x: " + "[" * 100_000 + "]" * 100_000 + "\n"
    problems = problems_of(text)
    assert len(problems) == 1
    assert problems[0].code in ("too-deep", "yaml-syntax")  # libyaml stops at 1,000 levels itself
    assert "nesting" in problems[0].message


def test_file_over_the_size_limit_is_refused(tmp_path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("leadspec: 1\n" + "# padding\n" * (_yaml.MAX_BYTES // 10 + 10))
    with pytest.raises(leadspec.RulesError) as info:
        leadspec.load(path)
    assert [p.code for p in info.value.problems] == ["file-too-large"]
    with pytest.raises(leadspec.RulesError):
        leadspec.loads(path.read_text())


def test_overlong_expression_is_refused() -> None:
    expression = " + ".join(["a"] * 1000) + " > 1"
    problems = problems_of(rules_text(FIELDS + f"stages: [{{id: s, when: '{expression}'}}]\n"))
    assert [p.code for p in problems] == ["too-long"]


def test_deeply_nested_expression_is_refused_not_crashing() -> None:
    expression = "(" * 400 + "a" + ")" * 400 + " > 1"
    problems = problems_of(rules_text(FIELDS + f"stages: [{{id: s, when: '{expression}'}}]\n"))
    assert problems and problems[0].code in ("syntax", "too-deep")


def test_python_yaml_tags_are_refused() -> None:
    text = rules_text(FIELDS + "stages: !!python/object/apply:os.system ['touch /tmp/x']\n")
    problems = problems_of(text)
    assert problems[0].code == "yaml-value"


def test_runtime_limits_still_apply_to_values_from_leads() -> None:
    rules = leadspec.loads(rules_text("fields: {a: {type: integer}, s: {type: string}}\nstages: [{id: s, when: \"len(s * a) > 1\"}]\n"))
    result = rules.evaluate({"a": 10**9, "s": "ab"}, as_of="2026-01-01")
    assert result.stages == {"s": "unknown"}
    assert result.issues[0].criterion == "s.when"
    assert result.issues[0].message == "could not be evaluated: a result longer than 100,000"
    assert rules.stage({"a": 10**9, "s": "ab"}) == "lead"
