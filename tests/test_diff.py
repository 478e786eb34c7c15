"""Quarterly review: edits between two versions of a ruleset, and their impact on leads."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

import leadspec
from conftest import FIXTURES, ROOT, cli

ACME = (FIXTURES / "acme-b2b.yaml").read_text()
AS_OF = "2026-11-01T00:00:00Z"


def edits(old: str, new: str) -> list[str]:
    return [e.sentence for e in leadspec.diff(leadspec.loads(old), leadspec.loads(new)).edits]


def changed(*replacements: tuple[str, str]) -> str:
    text = ACME
    for a, b in replacements:
        assert a in text, a
        text = text.replace(a, b)
    return text


@pytest.mark.parametrize(
    ("replacements", "expected"),
    [
        # numeric bounds, read from the expression tree
        ([("50 <= employees <= 5000", "100 <= employees <= 5000")], ["icp.size: employees lower bound 50 → 100"]),
        ([("50 <= employees <= 5000", "50 <= employees <= 10000")], ["icp.size: employees upper bound 5,000 → 10,000"]),
        ([("timeline_days <= 90", "timeline_days <= 60")], ["sql.timeline: timeline_days upper bound 90 → 60"]),
        ([("score('engagement') >= 40", "score('engagement') >= 35")], ["mql.engaged: engagement score threshold 40 → 35"]),
        ([("within='30d'", "within='45d'")], ["mql.demo_request: window 30d → 45d"]),
        # list members, in a literal and in a named list
        ([("['manager', 'director', 'vp', 'c_level']", "['director', 'vp', 'c_level']")], ["icp.buyer: seniority values: removed 'manager'"]),
        ([("target_industries: [saas, fintech, healthcare]", "target_industries: [saas, fintech, healthcare, retail]")], ["list target_industries: added 'retail'"]),
        # any other change of an expression shows both
        ([("when: budget_confirmed", "when: budget_confirmed or decision_maker")], ["sql.budget: condition budget_confirmed true → budget_confirmed true or decision_maker true"]),
        # score rules and event points
        ([("points: -50}", "points: -40}")], ["score fit: rule student points -50 → -40"]),
        ([("      - {id: student, when: \"contains_any(title, ['student', 'intern'])\", points: -50}\n", "")], ["score fit: rule student removed (was -50 points)"]),
        ([("demo_request: 30\n", "demo_request: 40\n")], ["score engagement: demo_request points 30 → 40"]),
        ([("{points: 1, max: 10}", "{points: 1, max: 20}")], ["score engagement: page_view cap 10 → 20"]),
        ([("    window: 90d", "    window: 60d")], ["score engagement: window 90d → 60d"]),
        ([("    max: 100\n", "    max: 80\n")], ["score engagement: max 100 → 80"]),
        # stages and their metadata
        ([("sla: 15m", "sla: 30m")], ["stage sql: sla 15m → 30m"]),
        ([("label: ICP fit", "label: Ideal customer")], ["stage icp: label ICP fit → Ideal customer"]),
        ([("    owner: marketing\n    any:", "    owner: marketing\n    all:")], ["stage mql: needs any of its criteria → all"]),
        ([("      - {id: timeline, when: timeline_days <= 90}\n", "")], ["sql.timeline removed (was timeline_days at most 90)"]),
        ([("      - {id: timeline, when: timeline_days <= 90}\n", "      - {id: timeline, when: timeline_days <= 90}\n      - {id: champion, when: decision_maker}\n")], ["sql.champion added: decision_maker true"]),
        ([("{id: timeline, when: timeline_days <= 90}", "{id: timeline, when: timeline_days <= 90, missing: fail}")], ["sql.timeline: a missing value now counts as fail (was unknown)"]),
        ([("because: budget confirmed", "because: budget signed off")], ["sql.budget: explanation 'budget confirmed' → 'budget signed off'"]),
        # disqualifiers
        ([("    because: works for a competitor\n", "    because: works for a competitor\n  - {id: tiny, when: employees < 5}\n")], ["disqualify.tiny added: employees below 5"]),
        # fields and ruleset metadata
        ([("source: NumberOfEmployees", "source: Employees")], ["field employees: source NumberOfEmployees → Employees"]),
        # no source reads the field's name: said so, never "None"; spelling it out is no change
        ([("  title:      {type: string}\n", "  title:      {type: string, source: Title}\n")], ["field title: source title (the field's name) → Title"]),
        ([("  title:      {type: string}\n", "  title:      {type: string, source: title}\n")], []),
        ([("  title:      {type: string}\n", "  title:      {type: string, default: x}\n")], ["field title: default none → x"]),
        ([("  title:      {type: string}\n", "  title:      {type: string}\n  phone:      {type: string}\n")], ["field phone added (string)"]),
        ([("values: [saas, fintech, healthcare, retail, other]", "values: [saas, fintech, healthcare, retail, other, edtech]")], ["field industry values: added 'edtech'"]),
        ([('version: "2026-Q4"', 'version: "2027-Q1"')], ["version 2026-Q4 → 2027-Q1"]),
        ([('"Select", "null"]', '"Select", "null", "none"]')], ["missing markers: added 'none'"]),
    ],
)
def test_each_kind_of_edit_reads_as_one_sentence(replacements: list[tuple[str, str]], expected: list[str]) -> None:
    assert edits(ACME, changed(*replacements)) == expected


def test_reordering_comments_and_formatting_are_not_changes() -> None:
    text = ACME.replace("  fit:                               # profile: points per rule", "  fit:")
    # move the sql stage's criteria around and the fields' order
    text = text.replace(
        "      - {id: budget, when: budget_confirmed, because: budget confirmed}\n      - {id: authority, when: decision_maker, because: talking to the decision-maker}\n",
        "      - {id: authority, when: decision_maker, because: talking to the decision-maker}\n      - {id: budget, when: budget_confirmed, because: budget confirmed}\n",
    )
    text = text.replace("  title:      {type: string}\n  email:      {type: string}\n", "  email:      {type: string}\n  title:      {type: string}\n")
    text = text.replace("50 <= employees <= 5000", "50<=employees<=5000")
    assert text != ACME
    result = leadspec.diff(leadspec.loads(ACME), leadspec.loads(text))
    assert result.edits == () and not result.changed


def test_a_renamed_criterion_is_removed_and_added() -> None:
    assert edits(ACME, changed(("id: size", "id: headcount"))) == [
        "icp.size removed (was employees from 50 to 5,000)",
        "icp.headcount added: employees from 50 to 5,000",
    ]


def test_stage_order_is_a_change() -> None:
    text = "fields: {a: {type: integer}}\nstages: [{id: one, when: a > 1}, {id: two, when: a > 2}]\n"
    swapped = "fields: {a: {type: integer}}\nstages: [{id: two, when: a > 2}, {id: one, when: a > 1}]\n"
    got = edits("leadspec: 1\nname: t\n" + text, "leadspec: 1\nname: t\n" + swapped)
    assert got == ["stage order one → two changed to two → one"]


SAMPLE = ROOT / "examples" / "x-education-sample.csv"


def _sample_rows() -> list[dict[str, str]]:
    with open(SAMPLE, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_transitions_equal_evaluating_both_versions_on_real_leads() -> None:
    old_text = (ROOT / "rules" / "x-education.yaml").read_text()
    new_text = old_text.replace("seconds_on_site >= 600", "seconds_on_site >= 900")
    assert new_text != old_text
    old, new = leadspec.loads(old_text), leadspec.loads(new_text)
    rows = _sample_rows()
    result = leadspec.diff(old, new, leads=rows, as_of=AS_OF)
    expected = Counter((old.evaluate(r, as_of=AS_OF).stage, new.evaluate(r, as_of=AS_OF).stage) for r in rows)
    assert {(t.from_stage, t.to_stage): t.count for t in result.transitions} == dict(expected)
    assert result.leads == len(rows) == sum(t.count for t in result.transitions)
    assert result.moved == sum(n for (a, b), n in expected.items() if a != b) > 0
    before = Counter(a for a, _ in expected.elements())
    after = Counter(b for _, b in expected.elements())
    assert {s: (b, a) for s, b, a in result.totals} == {s: (before[s], after[s]) for s in set(before) | set(after)}
    moved = [t for t in result.transitions if t.from_stage != t.to_stage]
    for t in moved:
        assert 1 <= len(t.samples) <= 3
        for sample in t.samples:
            row = next(r for r in rows if r["Lead Number"] == sample.lead)  # named by the lead_number column
            a, b = old.evaluate(row, as_of=AS_OF), new.evaluate(row, as_of=AS_OF)
            assert (a.stage, b.stage) == (t.from_stage, t.to_stage)
            assert ("engagement.long_visit", "pass", "fail") in sample.flipped
    assert all(t.samples == () for t in result.transitions if t.from_stage == t.to_stage)


def test_markdown_renders_a_summary_the_edits_and_a_transition_table() -> None:
    from markdown_it import MarkdownIt

    old_text = (ROOT / "rules" / "x-education.yaml").read_text()
    new_text = old_text.replace("seconds_on_site >= 600", "seconds_on_site >= 900")
    result = leadspec.diff(leadspec.loads(old_text), leadspec.loads(new_text), leads=_sample_rows(), as_of=AS_OF)
    html = MarkdownIt("commonmark").enable("table").render(result.to_markdown())
    assert html.count("<table>") == 2
    assert "<th>from</th>\n<th>to</th>\n<th style=\"text-align:right\">leads</th>" in html
    assert "<li>score engagement: rule long_visit: seconds_on_site lower bound 600 → 900</li>" in html
    assert re.match(r"<p><strong>2 changes from x-education 2026-11 \([0-9a-f]{12}\) to x-education 2026-11 \([0-9a-f]{12}; bump <code>version:</code> to tell them apart\);", html), html[:200]
    rows = html.split("<tbody>")[1].split("</tbody>")[0].count("<tr>")
    assert rows == len(result.transitions)


def test_json_output_is_the_whole_diff() -> None:
    result = leadspec.diff(leadspec.loads(ACME), leadspec.loads(changed(("sla: 15m", "sla: 30m"))))
    data = json.loads(json.dumps(result.to_dict()))
    assert data["changed"] is True and data["leads"] is None
    assert data["edits"] == [{"kind": "changed", "area": "stage", "id": "sql", "what": "sla", "old": "15m", "new": "30m", "sentence": "stage sql: sla 15m → 30m"}]


# -- the command, with REV:PATH -------------------------------------------------------------

@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git = ["git", "-c", "user.name=leadspec", "-c", "user.email=leadspec@example.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "rules").mkdir()
    shutil.copy(ROOT / "rules" / "x-education.yaml", tmp_path / "rules" / "x.yaml")
    subprocess.run([*git, "add", "."], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "Q3"], cwd=tmp_path, check=True)
    subprocess.run([*git, "tag", "v2026-Q3"], cwd=tmp_path, check=True)
    path = tmp_path / "rules" / "x.yaml"
    path.write_text(path.read_text().replace("seconds_on_site >= 600", "seconds_on_site >= 900"))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(cwd)


def test_diff_reads_rev_path_with_git(repo: Path) -> None:
    code, out, err = cli("diff", "v2026-Q3:rules/x.yaml", "rules/x.yaml")
    assert code == 0, err
    assert re.fullmatch(r"2 changes from x-education 2026-11 \([0-9a-f]{12}\) to x-education 2026-11 \([0-9a-f]{12}; bump `version:` to tell them apart\)", out.splitlines()[0])  # the same version, other rules
    assert "  mql.time_on_site: seconds_on_site lower bound 600 → 900" in out
    assert "  score engagement: rule long_visit: seconds_on_site lower bound 600 → 900" in out
    code, out, _ = cli("diff", "HEAD:rules/x.yaml", "rules/x.yaml", "--exit-code")
    assert code == 1
    code, out, _ = cli("diff", "HEAD:rules/x.yaml", "v2026-Q3:rules/x.yaml", "--exit-code")
    assert code == 0 and out.startswith("0 changes")
    code, out, err = cli("diff", "v2026-Q3:rules/x.yaml", "rules/x.yaml", "--leads", str(SAMPLE), "--as-of", "2026-11-01", "--format", "markdown")
    assert code == 0, err
    assert "| from | to | leads | share |" in out


def test_diff_unknown_revision_and_outside_a_repository(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    code, _, err = cli("diff", "v1999:rules/x.yaml", "rules/x.yaml")
    assert code == 2 and err.startswith("v1999:rules/x.yaml: invalid object name 'v1999'")
    outside = tmp_path_factory.mktemp("outside")
    os.chdir(outside)
    code, _, err = cli("diff", "HEAD:rules/x.yaml", str(repo / "rules" / "x.yaml"))
    assert code == 2 and "not in a git repository" in err


def test_diff_of_broken_rules_is_a_usage_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("leadspec: 1\nname: b\nfields: {a: {type: integer}}\nstages: [{id: s, when: aa > 1}]\n")
    code, _, err = cli("diff", str(FIXTURES / "acme-b2b.yaml"), str(broken))
    assert code == 2 and "error[unknown-name]" in err


def test_leadspec_diff_stays_the_function_after_the_command_ran() -> None:
    code = (
        "import io, leadspec; from leadspec.cli import run; "
        "run(['diff', 'rules/x-education.yaml', 'rules/x-education.yaml'], stdout=io.StringIO(), stderr=io.StringIO()); "
        "r = leadspec.load('rules/x-education.yaml'); assert not leadspec.diff(r, r).changed"
    )
    subprocess.run([__import__("sys").executable, "-c", code], cwd=ROOT, check=True)


def test_values_that_are_not_plain_words_are_quoted_and_small_shares_are_not_zero() -> None:
    got = edits(ACME, changed(("free_mail: [gmail.com,", "free_mail: ['mail .com', gmail.com,")))
    assert got == ["list free_mail: added 'mail .com'"]
    from leadspec._diff import _share

    assert (_share(3 / 9240), _share(0.0), _share(0.25)) == ("<0.1%", "0.0%", "25.0%")


def test_a_removed_criterion_shows_in_the_samples_and_a_renamed_ruleset_is_an_edit() -> None:
    old = leadspec.loads(ACME)
    new = leadspec.loads(changed(("name: acme-b2b", "name: acme"), ("  - id: competitor\n    when: is_competitor\n    because: works for a competitor\n", "")))
    result = leadspec.diff(old, new, leads=[{"is_competitor": True}], as_of=AS_OF)
    assert result.edits[0].sentence == "name acme-b2b → acme"
    [moved] = [t for t in result.transitions if t.from_stage != t.to_stage]
    assert ("disqualify.competitor", "pass", "removed") in moved.samples[0].flipped


def test_regrouping_conditions_is_a_change() -> None:
    base = "leadspec: 1\nname: t\nfields: {a: {type: boolean}, b: {type: boolean}, c: {type: boolean}}\nstages:\n  - id: s\n    all:\n"
    old = base + "      - {x: a}\n      - any: [{y: b}, {z: c}]\n"
    new = base + "      - {x: a}\n      - all: [{y: b}, {z: c}]\n"
    moved = base + "      - {x: a}\n      - {y: b}\n      - any: [{z: c}]\n"
    assert edits(old, new) == ["stage s: conditions regrouped: all(any(y, z), x) → all(all(y, z), x)"]
    assert edits(old, moved) == ["stage s: conditions regrouped: all(any(y, z), x) → all(any(z), x, y)"]
    assert edits(old, base + "      - any: [{z: c}, {y: b}]\n      - {x: a}\n") == []  # reordered only


def test_samples_show_criteria_added_or_removed_whatever_their_outcome() -> None:
    old = leadspec.loads(ACME)
    new = leadspec.loads(changed(("      - id: buyer\n", "      - id: vp\n        when: seniority == 'vp'\n      - id: buyer\n")))
    lead = {"NumberOfEmployees": "250", "industry": "saas", "company": {"country": "US"}, "seniority": "manager", "email": "a@co.example"}
    result = leadspec.diff(old, new, leads=[lead], as_of=AS_OF)
    [moved] = [t for t in result.transitions if t.from_stage != t.to_stage]
    assert (moved.from_stage, moved.to_stage) == ("icp", "lead")
    assert ("icp.vp", "new", "fail") in moved.samples[0].flipped


def test_rev_path_may_climb_out_of_the_current_folder(repo: Path) -> None:
    (repo / "rules" / "sub").mkdir()
    os.chdir(repo / "rules" / "sub")
    code, out, err = cli("diff", "HEAD:../x.yaml", "../x.yaml")
    assert code == 0, err
    assert "seconds_on_site lower bound 600 → 900" in out


OBSERVED = """\
leadspec: 1
name: a
fields: {tags: {type: list}, s: {type: string}, ev: {type: events}}
lists: {hot: [demo, webinar]}
stages:
  - id: a
    all:
      - c1: "'vp' in tags"
      - c2: "'a' not in s"
      - c3: "count(hot, within='14d') >= 1"
      - c4: "days_since(last(hot)) < 3"
      - c5: "count('visit', within='720h') > 0"
"""


def test_a_value_looked_for_with_in_is_named_by_its_container() -> None:
    """`'vp' in tags` → `'cto' in tags` reads `tags value vp → cto` (the plan-based diff said only `vp → cto`)."""
    new = OBSERVED.replace("'vp' in tags", "'cto' in tags").replace("'a' not in s", "'b' not in s")
    assert [e.sentence for e in leadspec.diff(leadspec.loads(OBSERVED), leadspec.loads(new)).edits] == [
        "a.c1: tags value vp → cto",
        "a.c2: s value a → b",
    ]


def test_an_edited_list_of_event_types_is_said_once_under_lists() -> None:
    new = OBSERVED.replace("hot: [demo, webinar]", "hot: [demo, webinar, visit]")
    assert [e.sentence for e in leadspec.diff(leadspec.loads(OBSERVED), leadspec.loads(new)).edits] == ["list hot: added 'visit'"]


def test_explanations_show_calls_as_written_inner_first() -> None:
    """The values of count/last/days_since are shown under the text of the rule file (list names, windows as written), inner calls first."""
    rules = leadspec.loads(OBSERVED)
    result = rules.evaluate({"ev": [{"type": "demo", "at": "2026-10-30T00:00:00Z"}]}, as_of="2026-11-01")
    values = {c.id: list(c.values) for c in result.criteria}
    assert values["a.c3"] == ["count(hot, within='14d')"]
    assert values["a.c4"] == ["last(hot)", "days_since(last(hot))"]
    assert values["a.c5"] == ["count('visit', within='720h')"]
    assert result.criteria[2].because == "count(hot, within='14d') is 1 (at least one hot (demo or webinar) event in the last 2 weeks)"
    assert leadspec.plan.unparse(rules.plan.criterion("a.c3").expr) == "count(hot, within='2w') >= 1"  # type: ignore[arg-type]


# -- naming the sample leads by the id field ------------------------------------------------

NAMED = """\
leadspec: 1
name: n
fields:
  key: {type: string, source: account.key, role: id}
  email: {type: string}
  account_id: {type: string}
  size: {type: integer}
stages:
  - id: big
    when: size >= 100
"""
NAMED_LEADS = [
    {"account": {"key": "A-7"}, "email": "a@x.example", "account_id": "acc-1", "size": 150},
    {"email": "b@x.example", "account_id": "acc-2", "size": 120},  # no id: named by its row
]


def test_samples_are_named_by_the_rules_id_field() -> None:
    old, new = leadspec.loads(NAMED), leadspec.loads(NAMED.replace("size >= 100", "size >= 200"))
    [moved] = [t for t in leadspec.diff(old, new, leads=NAMED_LEADS, as_of=AS_OF).transitions if t.from_stage != t.to_stage]
    assert [s.lead for s in moved.samples] == ["A-7", "row 2"]  # the dotted source reads the nested object
    # a field named like an id (account_id) is not taken for one: only role: id names the leads
    unnamed = NAMED.replace(", role: id", "")
    plain = leadspec.diff(leadspec.loads(unnamed), leadspec.loads(unnamed.replace("size >= 100", "size >= 200")), leads=NAMED_LEADS, as_of=AS_OF)
    [moved] = [t for t in plain.transitions if t.from_stage != t.to_stage]
    assert [s.lead for s in moved.samples] == ["row 1", "row 2"]


def test_id_field_names_the_samples_by_another_column(tmp_path: Path) -> None:
    old, new = leadspec.loads(NAMED), leadspec.loads(NAMED.replace("size >= 100", "size >= 200"))
    [moved] = [t for t in leadspec.diff(old, new, leads=NAMED_LEADS, as_of=AS_OF, id_field="email").transitions if t.from_stage != t.to_stage]
    assert [s.lead for s in moved.samples] == ["a@x.example", "b@x.example"]
    (tmp_path / "old.yaml").write_text(NAMED)
    (tmp_path / "new.yaml").write_text(NAMED.replace("size >= 100", "size >= 200"))
    (tmp_path / "leads.jsonl").write_text("".join(json.dumps(lead) + "\n" for lead in NAMED_LEADS))
    base = ["diff", tmp_path / "old.yaml", tmp_path / "new.yaml", "--leads", tmp_path / "leads.jsonl", "--as-of", "2026-11-01"]
    code, out, err = cli(*base)
    assert code == 0, err
    assert "      A-7: big.when pass → fail\n      row 2: big.when pass → fail\n" in out
    code, out, err = cli(*base, "--id-field", "account_id", "--format", "markdown")
    assert code == 0, err
    assert "- big → lead: acc-1 (`big.when` pass → fail)\n- big → lead: acc-2 (`big.when` pass → fail)\n" in out


def test_a_changed_role_is_an_edit() -> None:
    assert edits(NAMED, NAMED.replace(", role: id", "")) == ["field key: role id removed"]
    assert edits(NAMED, NAMED.replace("role: id", "role: output")) == ["field key: role id → output"]
    assert edits(NAMED.replace(", role: id", ""), NAMED) == ["field key: role id added"]


def test_diff_reads_leads_split_at_another_delimiter_with_a_column_of_json_objects(tmp_path: Path) -> None:
    old = "leadspec: 1\nname: d\nfields:\n  sector: {type: string, source: account.sector}\n  n: {type: integer, source: Employees}\n" \
        "stages:\n  - id: icp\n    when: n > 10\n"
    (tmp_path / "old.yaml").write_text(old)
    (tmp_path / "new.yaml").write_text(old.replace("when: n > 10", "when: n > 10 and sector == 'software'"))
    (tmp_path / "leads.csv").write_text('Employees;account\n20;"{""sector"": ""software""}"\n30;"{""sector"": ""retail""}"\n')
    code, out, err = cli("diff", tmp_path / "old.yaml", tmp_path / "new.yaml", "--leads", tmp_path / "leads.csv", "--delimiter", ";", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["leads"], data["moved"]) == (2, 1)  # the software account stays icp: its sector was read from the JSON column


def test_diff_and_explain_check_the_header_as_qualify_does(tmp_path: Path) -> None:
    rules = "leadspec: 1\nname: d\nfields:\n  n: {type: integer, source: Employees}\nstages:\n  - id: icp\n    when: n > 10\n"
    (tmp_path / "a.yaml").write_text(rules)
    (tmp_path / "typo.yaml").write_text(rules.replace("source: Employees", "source: Employes"))
    (tmp_path / "semi.csv").write_text("Employees;Name\n20;Ana\n")
    (tmp_path / "comma.csv").write_text("Employees,Name\n20,Ana\n")
    semi = f"{tmp_path / 'semi.csv'}: this looks like a ';'-separated file: use --delimiter ';'"
    # a file split at ';' read at ',': every lead would be 'missing' and the diff would say nothing moves
    code, out, err = cli("diff", tmp_path / "a.yaml", tmp_path / "typo.yaml", "--leads", tmp_path / "semi.csv")
    assert (code, out) == (2, "") and err.startswith(semi), err
    code, out, err = cli("explain", tmp_path / "a.yaml", tmp_path / "semi.csv", "--row", "1")
    assert (code, out) == (2, "") and err.startswith(semi), err
    # a source the header lacks is a warning beside the answer (the lead is explained, the diff is made)
    typo = "warning: new rules: field 'n' reads column 'Employes', which the header does not have; the closest header is 'Employees'"
    code, out, err = cli("diff", tmp_path / "a.yaml", tmp_path / "typo.yaml", "--leads", tmp_path / "comma.csv")
    assert code == 0 and err == f"{tmp_path / 'comma.csv'}: {typo}\n", err
    assert "1 of 1 leads change stage" in out
    code, out, err = cli("explain", tmp_path / "typo.yaml", tmp_path / "comma.csv", "--row", "1")
    assert code == 0 and err == f"{tmp_path / 'comma.csv'}: {typo.replace('new rules: ', '')}\n", err
