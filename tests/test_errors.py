"""A broken rule file: every problem at once, each at its line and column."""

from __future__ import annotations

import ast
import fnmatch
import re

import pytest

import leadspec
from conftest import ROOT, assert_problems, problems_of, rules_text
from leadspec.errors import CODES

BROKEN = """\
leadspec: 1
name: broken
fields:
  employees: {type: integer, sorce: NumberOfEmployees}
  industry: {type: enum, values: [saas, fintech]}
  country: {type: strin}
lists:
  targets: [US, NO]
stages:
  - id: icp
    all:
      - id: size
        when: employes >= 50
      - id: industry
        whne: industry == 'sas'
      - industry2: industry == 'sas'
      - id: pow
        when: employees > 9**9**9
      - id: bad
        when: employees.__class__
      - {id: f, when: "lenn(industry) > 2"}
      - {id: g, when: "industry > 5"}
"""


def test_every_problem_of_a_broken_file_at_once_with_line_and_column() -> None:
    problems = assert_problems(
        BROKEN,
        (4, 30, "unknown-key"),  # sorce
        (6, 19, "bad-value"),  # type: strin
        (8, 17, "bad-value"),  # NO read as a boolean
        (13, 15, "unknown-name"),  # employes
        # (no missing-key for the `when` of line 14: the unknown key `whne` below is it, and says so)
        (15, 9, "unknown-key"),  # whne
        (16, 32, "enum-value"),  # 'sas' in the shorthand form
        (18, 27, "too-large"),  # 9**9**9
        (20, 15, "not-allowed"),  # attribute access
        (21, 24, "unknown-function"),  # lenn, inside a quoted flow scalar
        (22, 35, "type-mismatch"),  # industry > 5
    )
    by_line = {p.line: p for p in problems}
    assert "did you mean 'source'?" in by_line[4].message
    assert "did you mean 'when'?" in by_line[15].message
    assert "did you mean 'employees'?" in by_line[13].message
    assert "did you mean 'saas'?" in by_line[16].message
    assert "did you mean 'len'?" in by_line[21].message
    assert "quote it" in by_line[8].message
    assert by_line[13].path == "stages[0].all[0].when"


def test_problem_text_shows_the_expression_with_the_bad_part_underlined() -> None:
    problem = next(p for p in problems_of(BROKEN) if p.code == "enum-value")
    lines = str(problem).splitlines()
    assert lines[0].startswith("r.yaml:16:32: error[enum-value]: 'sas' is not a value of industry")
    assert lines[1] == "    industry == 'sas'"
    assert lines[2] == "    " + " " * 12 + "^^^^^"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # unknown top-level key
        ("fields: {a: {type: integer}}\nstages: [{id: s, when: a > 1}]\nstagse: []\n", [(5, 1, "unknown-key")]),
        # missing required keys
        ("fields: {a: {type: integer}}\n", [(1, 1, "missing-key")]),
        # a duplicate YAML key would silently drop a rule
        ("fields: {a: {type: integer}}\nstages: [{id: s, when: a > 1}]\nfields: {}\n", [(5, 1, "duplicate-key")]),
        # bad ids
        ("fields: {Employees: {type: integer}}\nstages: [{id: s, when: 'True'}]\n", [(3, 10, "bad-id")]),
        # duplicate criterion ids in one stage
        (
            "fields: {a: {type: integer}}\nstages:\n  - id: s\n    all:\n      - {id: x, when: a > 1}\n      - {id: x, when: a > 2}\n",
            [(8, 14, "duplicate-id")],
        ),
        # reserved stage id
        ("fields: {a: {type: integer}}\nstages: [{id: lead, when: a > 1}]\n", [(4, 15, "duplicate-id")]),
        # a stage called disqualify: its criteria's ids (disqualify.x) would be taken for disqualifiers'
        ("fields: {a: {type: integer}}\nstages: [{id: disqualify, when: a > 1}]\n", [(4, 15, "duplicate-id")]),
        # syntax error: something is missing after `>`, so the caret is just after the expression (at the closing quote)
        ("fields: {a: {type: integer}}\nstages: [{id: s, when: 'a >'}]\n", [(4, 28, "syntax")]),
        # a comparison with None
        ("fields: {a: {type: integer}}\nstages: [{id: s, when: a == None}]\n", [(4, 29, "none-literal")]),
        # wrong argument count
        ("fields: {a: {type: string}}\nstages: [{id: s, when: 'contains(a)'}]\n", [(4, 25, "arity")]),
        # unknown keyword argument
        ("fields: {e: {type: events}}\nstages: [{id: s, when: \"count('x', within2='3d') > 1\"}]\n", [(4, 44, "arity")]),
        # bad duration
        ("fields: {e: {type: events}}\nstages: [{id: s, when: \"count('x', within='3 days') > 1\"}]\n", [(4, 43, "duration")]),
        # unknown event type when the events field declares its types
        (
            "fields: {e: {type: events, values: [demo_request]}}\nstages: [{id: s, when: \"count('demo') > 1\"}]\n",
            [(4, 31, "unknown-event")],
        ),
        # event functions need an events field
        ("fields: {a: {type: integer}}\nstages: [{id: s, when: \"count('demo') > 1\"}]\n", [(4, 25, "events-field")]),
        # unknown score
        ("fields: {a: {type: integer}}\nstages: [{id: s, when: \"score('fit') > 1\"}]\n", [(4, 31, "unknown-score")]),
        # a number compared with text
        ("fields: {a: {type: integer}}\nstages: [{id: s, when: \"a == 'ten'\"}]\n", [(4, 30, "type-mismatch")]),
        # text function on a number
        ("fields: {a: {type: integer}}\nstages: [{id: s, when: \"lower(a) == 'x'\"}]\n", [(4, 31, "type-mismatch")]),
        # enum literal in a list
        (
            "fields: {i: {type: enum, values: [saas]}}\nstages: [{id: s, when: \"i in ['saas', 'fintec']\"}]\n",
            [(4, 30, "enum-value")],
        ),
        # enum against a named list
        (
            "fields: {i: {type: enum, values: [saas]}}\nlists: {t: [saas, retail]}\nstages: [{id: s, when: i in t}]\n",
            [(5, 29, "enum-value")],
        ),
        # at_least that can never pass
        (
            "fields: {a: {type: integer}}\nstages:\n  - id: s\n    at_least: {n: 3, of: [{id: x, when: a > 1}]}\n",
            [(6, 19, "bad-value")],
        ),
        # a field default that is not of its type
        ("fields: {a: {type: integer, default: many}}\nstages: [{id: s, when: 'True'}]\n", [(3, 38, "bad-value")]),
        # unsupported format version
        ("fields: {a: {type: integer}}\nstages: [{id: s, when: 'True'}]\n", None),
        # a template placeholder with an unknown name
        (
            "fields: {a: {type: integer}}\nstages: [{id: s, when: a > 1, because: 'a is {aa}'}]\n",
            [(4, 47, "unknown-name")],
        ),
        # a score rule using a score declared after it
        (
            "fields: {a: {type: integer}}\nscores:\n  one: {rules: [{id: r, when: \"score('two') > 1\", points: 1}]}\n"
            "  two: {rules: [{id: r, when: a > 1, points: 1}]}\nstages: [{id: s, when: 'True'}]\n",
            [(5, 38, "score-order")],
        ),
    ],
)
def test_located_problem(body: str, expected: list[tuple[int, int, str]] | None) -> None:
    if expected is None:  # the version case: replace the header
        problems = problems_of("leadspec: 2\nname: t\n" + body)
        assert [(p.line, p.column, p.code) for p in problems] == [(1, 11, "version")]
        assert "this release reads version 1" in problems[0].message
        return
    assert_problems(rules_text(body), *expected)


def test_enum_value_from_a_named_list_names_the_list() -> None:
    problems = problems_of(rules_text("fields: {i: {type: enum, values: [saas]}}\nlists: {t: [sass]}\nstages: [{id: s, when: i in t}]\n"))
    assert problems[0].message.startswith("'sass' (in list t) is not a value of i (did you mean 'saas'?)")


def test_yaml_syntax_error_is_located() -> None:
    problems = problems_of(rules_text("fields: {a: {type: integer}\nstages: []\n"))
    assert len(problems) == 1 and problems[0].code == "yaml-syntax"
    # where the user must act: the `{` left open (PyYAML gave up on line 4)
    assert (problems[0].line, problems[0].column) == (3, 9)
    assert "the `{` that opens this mapping is never closed" in problems[0].message


def test_not_a_mapping() -> None:
    problems = problems_of("- just\n- a list\n")
    assert [p.code for p in problems] == ["bad-value"]


def test_empty_file() -> None:
    assert [p.code for p in problems_of("")] == ["empty"]


def test_load_reports_unreadable_file(tmp_path) -> None:
    with pytest.raises(leadspec.RulesError) as info:
        leadspec.load(tmp_path / "nope.yaml")
    assert info.value.problems[0].code == "unreadable"


def test_rules_error_is_a_leadspec_error_and_lists_problems_in_its_message() -> None:
    with pytest.raises(leadspec.LeadspecError) as info:
        leadspec.loads(BROKEN, name="r.yaml")
    text = str(info.value)
    assert text.startswith("10 problems in rule file:")
    assert "r.yaml:13:15: error[unknown-name]" in text


def test_problem_to_dict() -> None:
    problem = problems_of(BROKEN)[0]
    assert problem.to_dict() == {
        "file": "r.yaml",
        "line": 4,
        "column": 30,
        "code": "unknown-key",
        "severity": "error",
        "path": "fields.employees.sorce",
        "message": problem.message,
    }


def test_a_typo_in_a_stage_does_not_hide_the_problems_of_its_criteria() -> None:
    assert_problems(
        rules_text(
            """
            fields: {a: {type: integer}, i: {type: enum, values: [saas]}}
            stages:
              - id: s
                lable: Stage S
                all:
                  - {id: x, when: aa > 1, bcause: typo}
                  - {id: y, when: "i == 'sas'"}
            """
        ),
        (7, 5, "unknown-key"),  # lable
        (9, 23, "unknown-name"),  # aa, in a criterion with an unknown key
        (9, 31, "unknown-key"),  # bcause
        (10, 29, "enum-value"),  # 'sas', in the same broken stage
    )


def test_because_and_missing_on_a_stage_with_a_group_are_refused() -> None:
    assert_problems(
        rules_text("fields: {a: {type: boolean}}\nstages: [{id: s, missing: pass, because: x, all: [{x: a}]}]\n"),
        (4, 18, "bad-value"),
        (4, 33, "bad-value"),
    )


def test_min_and_max_need_two_arguments() -> None:
    assert_problems(rules_text("fields: {a: {type: integer}}\nstages: [{id: s, when: min(a) > 1}]\n"), (4, 24, "arity"))


def test_not_allowed_messages_are_sentences() -> None:
    problems = problems_of(rules_text("fields: {s: {type: string}}\nstages: [{id: s, when: \"f'{s}' == s\"}]\n"))
    assert problems[0].message == (
        "f-strings are not allowed in leadspec expressions; a `because` template takes {expression} placeholders"
    )


# -- the registry of codes ------------------------------------------------------

SOURCE = ROOT / "src" / "leadspec"
CODE_ARGUMENT = {"Problem": 3, "ExprProblem": 0, "at": 1, "error": 1, "problem": 2, "_Limit": 0, "_located": 2}
"""Where the code is among the positional arguments of what makes a problem (``code=`` also counts)."""


def codes_in_source() -> dict[str, list[str]]:
    """Every code literal of the package -> where it is (``file:line``).

    A code is the code argument of a call making a problem (``Problem``,
    ``ExprProblem``, a collector's ``at``, the checker's ``error``, the YAML
    loader's ``problem`` and ``_Limit``, the deep check's ``_located``), or a text assigned to a variable
    named ``code`` (``code = "version" if ... else "bad-value"``; not an
    f-string there: the code generator's ``code`` is Python source). An
    f-string argument is kept as a pattern (``always-*``).
    """
    found: dict[str, list[str]] = {}

    def note(node: ast.AST, where: str, patterns: bool = True) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.setdefault(node.value, []).append(where)
        elif isinstance(node, ast.JoinedStr) and patterns:
            pattern = "".join(v.value if isinstance(v, ast.Constant) else "*" for v in node.values)
            found.setdefault(pattern, []).append(where)
        elif isinstance(node, ast.IfExp):
            note(node.body, where, patterns)
            note(node.orelse, where, patterns)

    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if name in CODE_ARGUMENT:
                    if len(node.args) > CODE_ARGUMENT[name]:
                        note(node.args[CODE_ARGUMENT[name]], where)
                    for keyword in node.keywords:
                        if keyword.arg == "code":
                            note(keyword.value, where)
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "code" for t in node.targets):
                note(node.value, where, patterns=False)
    return found


def test_every_code_in_the_source_is_registered() -> None:
    found = codes_in_source()
    assert len(found) >= 40, f"the scan found only {sorted(found)}: has the way problems are made changed?"
    for code, where in found.items():
        if "*" in code:
            assert fnmatch.filter(CODES, code), f"no registered code matches {code!r} ({', '.join(where)})"
        else:
            assert code in CODES, f"{code!r} ({', '.join(where)}) is not in leadspec.errors.CODES"


def test_every_registered_code_is_used_in_the_source() -> None:
    found = codes_in_source()
    patterns = [code for code in found if "*" in code]
    unused = [code for code in CODES if code not in found and not any(fnmatch.fnmatchcase(code, p) for p in patterns)]
    assert unused == [], f"registered but never made: {unused}"


def test_every_code_has_a_severity_and_a_one_line_meaning() -> None:
    assert {entry.severity for entry in CODES.values()} == {"error", "warning"}
    for code, entry in CODES.items():
        assert entry.code == code and re.fullmatch(r"[a-z]+(-[a-z]+)*", code)
        assert entry.meaning and "\n" not in entry.meaning and not entry.meaning.endswith(".")


def test_the_lints_are_the_warnings() -> None:
    lints = {"unused-field", "unused-list", "always-true", "always-false", "unreachable-stage", "duplicate-criterion", "unused-allow", "open-age-window", "format-reads-iso", "enum-values-alike"}
    deep = {"stage-never-reached", "never-passes", "never-fails", "contradiction", "redundant-criterion", "score-gap", "score-overlap"}
    lints |= deep
    assert {code for code, entry in CODES.items() if entry.severity == "warning"} == lints


def test_a_problem_with_an_unregistered_code_cannot_be_made() -> None:
    with pytest.raises(ValueError, match="'unknwon-key' is not in leadspec.errors.CODES"):
        leadspec.Problem("r.yaml", 1, 1, "unknwon-key", "a typo in the code itself")
    with pytest.raises(ValueError, match="severity 'fatal'"):
        leadspec.Problem("r.yaml", 1, 1, "unknown-key", "message", severity="fatal")
    assert CODES["unknown-key"].severity == "error"
    with pytest.raises(TypeError):
        CODES["new-code"] = CODES["unknown-key"]  # type: ignore[index]


def test_the_error_codes_page_lists_every_code_as_registered() -> None:
    page = (ROOT / "docs" / "error-codes.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z-]+)` \| (error|warning) \| (.+) \|$", page, re.MULTILINE)
    listed = [code for code, _, _ in rows]
    assert sorted(set(listed)) == sorted(listed), "a code is listed twice"
    assert set(listed) - set(CODES) == set(), "listed in docs/error-codes.md but not in CODES"
    assert set(CODES) - set(listed) == set(), "in CODES but not listed in docs/error-codes.md"
    for code, severity, meaning in rows:
        assert (severity, meaning) == (CODES[code].severity, CODES[code].meaning), code
