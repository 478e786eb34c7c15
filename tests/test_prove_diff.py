"""``leadspec.analysis.compare`` / ``diff --prove`` and ``generate_tests`` / ``test --generate``.

Every witness a proof prints is evaluated here with the engine: it really
changes stage between the versions / the generated case really passes.
Random pairs of rule files check that "equivalent" is never said of two
versions that some random lead tells apart. ``LEADSPEC_FUZZ=1`` runs many
more examples.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leadspec
from leadspec.analysis import Equivalence, compare, generate_tests

from _rulegen import AS_OFS, leads, loaded_rule_file
from conftest import ROOT, cli

pytest.importorskip("z3")

AS_OF = "2026-12-01"
EXAMPLES = 400 if os.environ.get("LEADSPEC_FUZZ") else 12
SURE = 30
"""Seconds per solver question where a test asserts a definite answer: each takes well under a second here, and the
default 5 s could run out on a loaded machine (the answer would be undecided, not wrong)."""

BASE = """
leadspec: 1
name: pair
fields:
  employees: {type: integer, min: 0}
  industry: {type: enum, values: [saas, fintech, retail]}
  title: {type: string}
  email: {type: string}
  events: {type: events, values: [demo_request, webinar]}
disqualify:
  - id: personal
    when: domain(email) in ['gmail.com', 'yahoo.com']
stages:
  - id: icp
    all:
      - size: 50 <= employees <= 5000
      - industry: industry in ['saas', 'fintech']
  - id: mql
    any:
      - demo: count('demo_request', within='30d') >= 1
      - webinars: count('webinar', within='60d') >= 2
"""


def checked(old: leadspec.Ruleset, new: leadspec.Ruleset, proof: Equivalence) -> Equivalence:
    """Every transition's witness changes stage as it says, under both versions."""
    for t in proof.transitions:
        assert t.witness is not None
        assert old.evaluate(t.witness, as_of=AS_OF).stage == t.old, (t, "old")
        assert new.evaluate(t.witness, as_of=AS_OF).stage == t.new, (t, "new")
    return proof


def pair(new_text: str) -> tuple[leadspec.Ruleset, leadspec.Ruleset, Equivalence]:
    old, new = leadspec.loads(BASE), leadspec.loads(new_text)
    return old, new, checked(old, new, compare(old, new, as_of=AS_OF, timeout=SURE))


def test_the_same_rules_are_proved_equivalent() -> None:
    _, _, proof = pair(BASE)
    assert proof.equivalent is True and proof.transitions == () and proof.undecided == ()
    assert proof.text() == "the two versions are equivalent: every lead gets the same stage (proved)\n"


def test_a_refactor_that_changes_nothing_is_proved_equivalent() -> None:
    # a chain written as two criteria, the list spelt in the other order, the group's items reordered
    refactor = BASE.replace(
        "      - size: 50 <= employees <= 5000\n      - industry: industry in ['saas', 'fintech']\n",
        "      - industry: industry in ['fintech', 'saas']\n      - size: employees >= 50 and employees <= 5000\n",
    )
    assert refactor != BASE
    _, _, proof = pair(refactor)
    assert proof.equivalent is True, proof.text()


def test_a_narrower_size_band_moves_only_the_leads_in_between() -> None:
    old, new, proof = pair(BASE.replace("50 <= employees", "100 <= employees"))
    assert proof.equivalent is False
    moves = {(t.old, t.new): t for t in proof.transitions}
    assert set(moves) == {("icp", "lead"), ("mql", "lead")}
    for t in moves.values():
        assert "50 ≤ employees ≤ 99" in t.description
        assert 50 <= t.witness["employees"] <= 99  # type: ignore[index]
    assert moves[("icp", "lead")].description == ("50 ≤ employees ≤ 99",)  # only the fields the change reads


def test_a_change_that_only_adds_leads_lists_one_direction() -> None:
    _, _, proof = pair(BASE.replace("industry in ['saas', 'fintech']", "industry in ['saas', 'fintech', 'retail']"))
    assert {(t.old, t.new) for t in proof.transitions} == {("lead", "icp"), ("lead", "mql")}
    assert all("industry in [retail]" in t.description for t in proof.transitions)


def test_a_new_disqualifier_through_a_text_function_has_a_confirmed_witness() -> None:
    text = BASE.replace("when: domain(email) in ['gmail.com', 'yahoo.com']", "when: domain(email) in ['gmail.com', 'yahoo.com', 'hotmail.com']")
    old, new, proof = pair(text)
    assert {t.new for t in proof.transitions} == {"disqualified"}
    assert {t.old for t in proof.transitions} == {"lead", "icp", "mql"}
    for t in proof.transitions:
        assert t.witness["email"].endswith("@hotmail.com")  # type: ignore[index]


def test_a_field_added_in_the_new_version() -> None:
    text = BASE.replace("  title: {type: string}\n", "  title: {type: string}\n  country: {type: string}\n").replace(
        "      - industry: industry in ['saas', 'fintech']\n", "      - industry: industry in ['saas', 'fintech']\n      - country: country == 'US'\n"
    )
    _, _, proof = pair(text)
    assert ("icp", "lead") in {(t.old, t.new) for t in proof.transitions}


def test_a_field_whose_bounds_changed_is_described_by_the_number_given() -> None:
    _, _, proof = pair(BASE.replace("employees: {type: integer, min: 0}", "employees: {type: integer, min: 0, max: 1000}"))
    assert proof.transitions
    for t in proof.transitions:
        assert "1001 ≤ employees ≤ 5000" in t.description, t.description


def test_a_field_read_from_another_column_is_never_proved_equivalent() -> None:
    _, _, proof = pair(BASE.replace("employees: {type: integer, min: 0}", "employees: {type: integer, min: 0, source: headcount}"))
    assert proof.equivalent is not True
    assert any("headcount" in json.dumps(t.witness) for t in proof.transitions)


def test_the_shipped_rules_against_themselves_with_a_changed_threshold() -> None:
    path = ROOT / "rules" / "b2b-saas.yaml"
    old = leadspec.load(path)
    new = leadspec.loads(path.read_text(encoding="utf-8").replace("50 <= employees <= 5000", "100 <= employees <= 5000"))
    proof = checked(old, new, compare(old, new, as_of=AS_OF, timeout=SURE))
    assert proof.equivalent is False and proof.undecided == ()
    assert {(t.old, t.new) for t in proof.transitions} == {("icp", "lead"), ("mql", "lead"), ("sql", "lead")}
    assert all("50 ≤ employees ≤ 99" in t.description for t in proof.transitions)
    assert compare(old, leadspec.load(path), as_of=AS_OF, timeout=SURE).equivalent is True


# -- random pairs ---------------------------------------------------------------------------------

FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=not os.environ.get("LEADSPEC_FUZZ"))


@FUZZ
@given(st.data())
def test_equivalence_is_never_claimed_when_a_random_lead_tells_the_versions_apart(data: Any) -> None:
    old_file, old = loaded_rule_file(data)
    new_file, new = loaded_rule_file(data)
    as_of = data.draw(AS_OFS)
    proof = compare(old, new, as_of=as_of, timeout=2)
    for t in proof.transitions:
        assert old.evaluate(t.witness, as_of=as_of).stage == t.old
        assert new.evaluate(t.witness, as_of=as_of).stage == t.new
    for rule_file in (old_file, new_file):
        for _ in range(3):
            lead = data.draw(leads(rule_file))
            a, b = old.evaluate(lead, as_of=as_of).stage, new.evaluate(lead, as_of=as_of).stage
            if a != b:
                assert proof.equivalent is not True, (lead, a, b)


@FUZZ
@given(st.data())
def test_a_rule_file_is_equivalent_to_itself(data: Any) -> None:
    rule_file, rules = loaded_rule_file(data)
    again = leadspec.loads(rule_file.text)
    proof = compare(rules, again, as_of=data.draw(AS_OFS), timeout=2)
    assert proof.transitions == ()
    assert proof.equivalent is not False


# -- diff --prove ----------------------------------------------------------------------------------


def test_diff_prove_on_the_command_line(tmp_path: Path) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(BASE, encoding="utf-8")
    new.write_text(BASE.replace("50 <= employees", "100 <= employees"), encoding="utf-8")
    code, out, err = cli("diff", old, new, "--prove", "--timeout", SURE, "--as-of", AS_OF)
    assert code == 0, err
    assert "Proof over every possible lead:\n  icp -> lead: 50 ≤ employees ≤ 99" in out
    assert "      e.g. {" in out
    code, out, _ = cli("diff", old, new, "--prove", "--timeout", SURE, "--as-of", AS_OF, "--format", "json")
    proof = json.loads(out)["proof"]
    assert proof["equivalent"] is False and proof["undecided"] == []
    rules_old, rules_new = leadspec.load(old), leadspec.load(new)
    for t in proof["transitions"]:  # the witnesses printed are real
        assert rules_old.evaluate(t["witness"], as_of=AS_OF).stage == t["old"]
        assert rules_new.evaluate(t["witness"], as_of=AS_OF).stage == t["new"]
    code, out, _ = cli("diff", old, new, "--prove", "--timeout", SURE, "--as-of", AS_OF, "--format", "markdown")
    assert "### Proof over every possible lead" in out
    assert cli("diff", old, old, "--prove", "--timeout", SURE, "--exit-code", "--as-of", AS_OF)[0] == 0
    assert cli("diff", old, new, "--prove", "--timeout", SURE, "--exit-code", "--as-of", AS_OF)[0] == 1
    code, out, _ = cli("diff", old, old, "--prove", "--timeout", SURE, "--as-of", AS_OF)
    assert "the two versions are equivalent: every lead gets the same stage (proved)" in out


def test_diff_prove_gives_the_solver_the_time_limit_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import leadspec.analysis

    asked: list[float] = []
    real = leadspec.analysis.compare

    def spy(old: Any, new: Any, **options: Any) -> Equivalence:
        asked.append(options["timeout"])
        return real(old, new, **options)

    monkeypatch.setattr(leadspec.analysis, "compare", spy)
    old = tmp_path / "old.yaml"
    old.write_text(BASE, encoding="utf-8")
    assert cli("diff", old, old, "--prove", "--as-of", AS_OF)[0] == 0
    assert cli("diff", old, old, "--prove", "--timeout", "12.5", "--as-of", AS_OF)[0] == 0
    assert asked == [5.0, 12.5]
    code, _, err = cli("diff", old, old, "--prove", "--timeout", "0", "--as-of", AS_OF)
    assert code == 2 and "--timeout" in err


def test_diff_without_prove_prints_no_proof(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    old.write_text(BASE, encoding="utf-8")
    assert "Proof" not in cli("diff", old, old)[1]


# -- generated test files ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["b2b-saas", "x-education"])
def test_a_generated_test_file_runs_and_passes_on_the_shipped_rules(name: str, tmp_path: Path) -> None:
    rules = leadspec.load(ROOT / "rules" / f"{name}.yaml")
    text = generate_tests(rules, rules_path=str(ROOT / "rules" / f"{name}.yaml"), as_of=AS_OF)
    assert text.startswith("# Generated by `leadspec test --generate`")
    assert "REVIEW EVERY CASE" in text
    data = yaml.safe_load(text)
    stages = {case["expect"]["stage"] for case in data["cases"]}
    assert stages == {"lead", "icp", "mql", "sql", "disqualified"}  # every stage has a witness case
    seen = {(c.id, c.outcome) for case in data["cases"] for c in rules.evaluate(case["lead"], as_of=AS_OF).criteria}
    for crit in rules.plan.criteria:  # every outcome the analysis found possible is shown by some case
        for outcome in ("pass", "fail"):
            assert (crit.id, outcome) in seen, (crit.id, outcome)
    path = tmp_path / f"{name}.test.yaml"
    path.write_text(text, encoding="utf-8")
    outcomes = leadspec.run_tests(path)
    assert outcomes and all(o.passed for o in outcomes), [o.failures for o in outcomes if not o.passed]
    assert len(outcomes) == len(data["cases"])


def test_generated_cases_sit_on_both_sides_of_a_threshold() -> None:
    rules = leadspec.loads(BASE)
    data = yaml.safe_load(generate_tests(rules, rules_path="pair.yaml", as_of=AS_OF))
    values = {case["lead"].get("employees") for case in data["cases"]}  # an edge lead already there is not repeated
    assert {49, 50, 5000, 5001} <= values, values
    for case in data["cases"]:
        if case["name"].startswith("icp.size at employees = "):
            value = int(case["name"].split("= ")[1].split(" ")[0])
            assert case["lead"]["employees"] == value
            assert ("(pass)" in case["name"]) == (50 <= value <= 5000)
    assert data["rules"] == "pair.yaml" and str(data["as_of"]) == "2026-12-01 00:00:00+00:00"


def test_test_generate_on_the_command_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules" / "pair.yaml"
    rules.parent.mkdir()
    no_email = BASE.replace("disqualify:\n  - id: personal\n    when: domain(email) in ['gmail.com', 'yahoo.com']\n", "")
    assert no_email != BASE  # quicker: the text functions are what the solver needs longest for
    rules.write_text(no_email, encoding="utf-8")
    code, out, err = cli("test", "--generate", rules, "--as-of", AS_OF)
    assert code == 0, err
    assert yaml.safe_load(out)["rules"] == "pair.yaml"  # printed: for a file beside the rules
    beside = rules.parent / "pair.test.yaml"
    beside.write_text(out, encoding="utf-8")
    code, out, err = cli("test", beside)
    assert code == 0 and " 0 failed" in out, out + err
    elsewhere = tmp_path / "tests" / "pair.test.yaml"
    elsewhere.parent.mkdir()
    code, _, err = cli("test", "--generate", rules, "--as-of", AS_OF, "-o", elsewhere)
    assert code == 0 and "review every case" in err
    assert yaml.safe_load(elsewhere.read_text(encoding="utf-8"))["rules"] == "../rules/pair.yaml"
    assert cli("test", elsewhere)[0] == 0
    before = elsewhere.read_text(encoding="utf-8")
    code, _, err = cli("test", "--generate", rules, "-o", elsewhere)  # never over an existing file
    assert code == 2 and "never replaces" in err and elsewhere.read_text(encoding="utf-8") == before
    code, _, err = cli("test", "--generate", rules, "-o", tmp_path / "missing" / "x.test.yaml")
    assert code == 2 and "cannot write" in err
    assert sorted(p.name for p in elsewhere.parent.iterdir()) == ["pair.test.yaml"]  # no temporary file left
    assert cli("test", "--generate", "--coverage", rules)[0] == 2
    assert cli("test", "--generate", rules, beside)[0] == 2
    assert cli("test", "--as-of", AS_OF, beside)[0] == 2  # --as-of goes with --generate


def test_the_module_docstring_example_runs() -> None:
    import doctest

    import leadspec.analysis

    failures, tried = doctest.testmod(leadspec.analysis, verbose=False)
    assert tried > 0 and failures == 0
