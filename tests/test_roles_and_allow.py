"""Field roles (``role: id | output``) and lints allowed in the file (``allow:``).

A field with a role is declared on purpose without being read by the
rules (the lead's identifier, a column kept for reports), so the
unused-field lint leaves it alone; any lint can be silenced in the file
with an ``allow:`` entry that says why. ``rules_text`` adds a two-line
header, so a body starts on line 3.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import leadspec
from leadspec import plan as ir
from leadspec._lint import lint

from conftest import ROOT, assert_problems, cli, rules_text

ROLES = rules_text(
    """\
    fields:
      lead_number: {type: string, source: Lead Number, role: id}
      owner_email: {type: string, role: output}
      country: {type: string}
      notes: {type: string}
      employees: {type: integer}
    stages:
      - id: icp
        when: employees >= 50
    """
)


def codes(problems: list[leadspec.Problem]) -> list[tuple[int, int, str]]:
    return [(p.line, p.column, p.code) for p in problems]


# -- roles -------------------------------------------------------------------------------


def test_roles_are_in_the_plan_and_survive_its_json() -> None:
    plan = leadspec.loads(ROLES).plan
    assert [(f.name, f.role) for f in plan.fields] == [
        ("lead_number", "id"),
        ("owner_email", "output"),
        ("country", None),
        ("notes", None),
        ("employees", None),
    ]
    assert plan.id_field == "lead_number"
    again = ir.Plan.from_json(plan.to_json())
    assert again == plan and again.id_field == "lead_number"
    assert leadspec.loads(rules_text("fields: {a: {type: integer}}\nstages: [{id: s, when: a > 1}]\n")).plan.id_field is None


def test_a_field_with_a_role_is_not_an_unused_field() -> None:
    problems = lint(leadspec.loads(ROLES, name="r.yaml"))
    # lead_number (id) and owner_email (output) are declared on purpose; country and notes are not
    assert codes(problems) == [(6, 3, "unused-field"), (7, 3, "unused-field")]
    assert [p.path for p in problems] == ["fields.country", "fields.notes"]


def test_an_output_field_may_still_be_read_by_the_rules() -> None:
    rules = leadspec.loads(rules_text("fields:\n  a: {type: integer, role: output}\nstages: [{id: s, when: a > 1}]\n"))
    assert lint(rules) == []
    assert rules.evaluate({"a": 2}).stage == "s"


def test_a_second_id_field_is_a_located_error() -> None:
    text = rules_text(
        """\
        fields:
          lead_number: {type: string, role: id}
          email: {type: string, role: id}
          a: {type: integer}
        stages: [{id: s, when: a > 1}]
        """
    )
    [problem] = assert_problems(text, (5, 31, "duplicate-id"))
    assert "'email'" in problem.message and "'lead_number'" in problem.message and "one id field" in problem.message


@pytest.mark.parametrize("kind", ["boolean", "date", "list", "number"])
def test_an_id_field_is_text_or_an_integer(kind: str) -> None:
    text = rules_text(f"fields:\n  key: {{type: {kind}, role: id}}\n  a: {{type: integer}}\nstages: [{{id: s, when: a > 1}}]\n")
    [problem] = assert_problems(text, (4, 8, "bad-value"))
    assert "role: id" in problem.message and "string or integer" in problem.message


def test_an_unknown_role_is_refused() -> None:
    text = rules_text("fields:\n  key: {type: string, role: primary}\n  a: {type: integer}\nstages: [{id: s, when: a > 1}]\n")
    [problem] = assert_problems(text, (4, 29, "bad-value"))
    assert "'id'" in problem.message and "'output'" in problem.message


# -- allow: ------------------------------------------------------------------------------

ALLOWING = rules_text(
    """\
    fields:
      lead_number: {type: integer}
      notes: {type: string}
      a: {type: integer}
    stages:
      - id: icp
        all:
          - big: a > 1
          - always: 1 < 2
    allow:
      - {code: unused-field, at: lead_number, because: kept for the CRM sync}
      - {code: always-true, at: icp.always, because: a placeholder until sales decide}
    """
)


def test_an_allowed_lint_is_not_reported_but_counted() -> None:
    problems = lint(leadspec.loads(ALLOWING, name="r.yaml"))
    assert codes(problems) == [(5, 3, "unused-field")]  # notes: no entry names it
    assert problems[0].path == "fields.notes"
    assert sorted((p.path, p.code) for p in problems.allowed) == [("fields.lead_number", "unused-field"), ("stages[0].all[1].when", "always-true")]


def test_an_entry_without_at_allows_every_warning_of_its_code() -> None:
    text = ALLOWING.replace("{code: unused-field, at: lead_number,", "{code: unused-field,")
    problems = lint(leadspec.loads(text, name="r.yaml"))
    assert problems == []
    assert len(problems.allowed) == 3


def test_an_entry_that_allows_nothing_is_a_warning_at_the_entry() -> None:
    text = ALLOWING + "  - {code: unused-list, because: none yet}\n  - {code: unused-field, at: a, because: a is read}\n"
    problems = lint(leadspec.loads(text, name="r.yaml"))
    assert codes(problems) == [(5, 3, "unused-field"), (15, 5, "unused-allow"), (16, 5, "unused-allow")]
    assert "no unused-list warning" in problems[1].message
    assert "no unused-field warning at a" in problems[2].message
    assert problems[1].path == "allow[2]" and all(p.severity == "warning" for p in problems)


def test_the_same_warning_allowed_twice_leaves_the_second_entry_unused() -> None:
    text = ALLOWING + "  - {code: unused-field, at: lead_number, because: again}\n"
    problems = lint(leadspec.loads(text, name="r.yaml"))
    assert codes(problems) == [(5, 3, "unused-field"), (15, 5, "unused-allow")]


@pytest.mark.parametrize(
    ("entry", "where", "code", "words"),
    [
        ("{code: unused-fields, because: x}", (15, 12), "bad-value", ["'unused-fields' is not a warning", "did you mean 'unused-field'", "always-true"]),
        ("{code: syntax, because: x}", (15, 12), "bad-value", ["'syntax' is an error", "cannot be allowed"]),
        ("{code: unused-allow, because: x}", (15, 12), "bad-value", ["remove the entry"]),
        ("{code: unused-field, at: lead_nmuber, because: x}", (15, 30), "unknown-name", ["'lead_nmuber' names nothing", "did you mean 'lead_number'"]),
        ("{code: always-true, at: always, because: x}", (15, 29), "unknown-name", ["did you mean 'icp.always'"]),
        ("{code: unused-field, at: notes}", (15, 5), "missing-key", ["say why", "because:"]),
        ("{code: unused-field, at: notes, because: ' '}", (15, 46), "bad-value", ["say why"]),
    ],
)
def test_a_bad_allow_entry_is_a_located_error(entry: str, where: tuple[int, int], code: str, words: list[str]) -> None:
    [problem] = assert_problems(ALLOWING + f"  - {entry}\n", (*where, code))
    for word in words:
        assert word in problem.message, problem.message


def test_every_name_kind_can_be_allowed() -> None:
    text = rules_text(
        """\
        fields:
          a: {type: integer}
          b: {type: integer}
        lists:
          spare: [x]
        scores:
          fit:
            rules:
              - {id: always, when: 2 > 1, points: 5}
        disqualify:
          - never: 1 > 2
        stages:
          - id: icp
            when: a > 1
          - id: mql
            all:
              - nope: 1 > 2
          - id: sql
            when: a > 5
        allow:
          - {code: unused-field, at: b, because: r}
          - {code: unused-list, at: spare, because: r}
          - {code: always-true, at: fit.always, because: r}
          - {code: always-false, at: disqualify.never, because: r}
          - {code: always-false, at: mql.nope, because: r}
          - {code: unreachable-stage, at: mql, because: r}
          - {code: unreachable-stage, at: sql, because: r}
        """
    )
    problems = lint(leadspec.loads(text, name="r.yaml"))
    assert problems == [] and len(problems.allowed) == 7


# -- the command line ----------------------------------------------------------------------


def test_check_strict_passes_when_the_file_allows_its_warnings(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(ALLOWING)
    code, out, err = cli("check", "--strict", path)
    assert code == 1 and "fields.notes" not in out and "unused-field" in out and "lead_number" not in out
    path.write_text(ALLOWING.replace("  notes: {type: string}\n", ""))
    code, out, err = cli("check", "--strict", "--format", "github", path)
    assert (code, out) == (0, ""), out + err
    code, out, err = cli("check", path)  # the summary counts what the file allows
    assert (code, out, err) == (0, "", "1 file checked: 0 errors, 0 warnings (2 more allowed by `allow:` entries)\n")


def test_the_docs_ci_command_passes_on_the_shipped_rules() -> None:
    files = sorted(str(p) for p in (ROOT / "rules").glob("*.yaml"))
    assert len(files) == 4
    code, out, err = cli("check", "--format", "github", "--strict", *files)
    assert (code, out) == (0, ""), out + err
    for name in ("x-education", "b2b-saas"):
        assert leadspec.load(ROOT / "rules" / f"{name}.yaml").plan.id_field is not None


def test_a_stage_with_a_single_when_is_named_by_the_stage_or_its_criterion() -> None:
    body = "fields:\n  a: {type: integer}\nstages:\n  - id: s\n    when: 1 < 2\n  - id: t\n    when: a > 1\nallow:\n  - {code: always-true, at: AT, because: r}\n"
    for at in ("s", "s.when"):
        problems = lint(leadspec.loads(rules_text(body.replace("AT", at))))
        assert problems == [] and [p.code for p in problems.allowed] == ["always-true"]
    problems = lint(leadspec.loads(rules_text(body.replace("AT", "t"))))
    assert [p.code for p in problems] == ["always-true", "unused-allow"]
