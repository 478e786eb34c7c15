"""Rule test files (NAME.test.yaml): their JSON Schema, one bad case among good ones, `check DIR`, `test` without rules/.

The schema (`leadspec schema --tests`) is made from the models the loader
validates with, so the shipped test files must validate against it and a
broken one must not. A case naming what the rules do not have fails alone,
with a message located in the test file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import leadspec
from conftest import FIXTURES, ROOT, cli

RULES = "leadspec: 1\nname: r\nfields:\n  n: {type: integer, source: Employees}\n  country: {type: string, source: company.country}\n" \
    "scores:\n  fit:\n    rules:\n      - {id: big, when: n > 100, points: 10}\n" \
    "stages:\n  - id: icp\n    all:\n      - {many: n > 10}\n"


class _JsonLikeLoader(yaml.SafeLoader):
    """YAML as an editor's JSON Schema support sees it: dates stay text."""


_JsonLikeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def json_like(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_JsonLikeLoader)  # noqa: S506 - a SafeLoader


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    code, out, _ = cli("schema", "--tests")
    assert code == 0
    document: dict[str, Any] = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(document)
    return document


# -- item 7: the JSON Schema of test files ----------------------------------------------------------

SHIPPED = sorted((ROOT / "rules").glob("*.test.yaml")) + sorted(FIXTURES.glob("*.test.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_test_file_validates_against_the_schema(schema: dict[str, Any], path: Path) -> None:
    jsonschema.validate(json_like(path), schema, cls=jsonschema.Draft202012Validator)


BROKEN_FOR_THE_SCHEMA = [
    ("a misspelt key", {"rules": "r.yaml", "cases": [{"name": "x", "lead": {}, "expect": {"stage": "lead", "pased": []}}]}, "pased"),
    ("no cases", {"rules": "r.yaml", "cases": []}, "[]"),
    ("no expect", {"rules": "r.yaml", "cases": [{"name": "x", "lead": {}}]}, "expect"),
    ("no rules", {"cases": [{"name": "x", "lead": {}, "expect": {"stage": "lead"}}]}, "rules"),
    ("a score that is text", {"rules": "r.yaml", "cases": [{"name": "x", "lead": {}, "expect": {"stage": "lead", "scores": {"fit": "ten"}}}]}, "ten"),
    ("a lead that is a list", {"rules": "r.yaml", "cases": [{"name": "x", "lead": [1], "expect": {"stage": "lead"}}]}, "[1]"),
]


@pytest.mark.parametrize("what, document, named", BROKEN_FOR_THE_SCHEMA, ids=[b[0] for b in BROKEN_FOR_THE_SCHEMA])
def test_a_broken_test_file_fails_the_schema_as_it_fails_the_loader(schema: dict[str, Any], tmp_path: Path, what: str, document: Any, named: str) -> None:
    with pytest.raises(jsonschema.ValidationError) as info:
        jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    assert named in str(info.value.message) or named in str(list(info.value.path)), info.value.message
    (tmp_path / "r.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "r.test.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(leadspec.RulesError):
        leadspec.load_tests(tmp_path / "r.test.yaml")


def test_the_schema_documents_every_key_the_loader_takes(schema: dict[str, Any]) -> None:
    keys = {
        "": set(schema["properties"]),
        "cases[]": set(schema["$defs"]["Case"]["properties"]),
        "expect": set(schema["$defs"]["Expect"]["properties"]),
    }
    assert keys == {
        "": {"rules", "as_of", "cases"},
        "cases[]": {"name", "lead", "as_of", "expect"},
        "expect": {"stage", "passed", "failed", "unknown", "scores", "flags", "missing", "issues"},
    }
    for definition in [schema, schema["$defs"]["Case"], schema["$defs"]["Expect"]]:
        for name, prop in definition["properties"].items():
            assert prop.get("description"), f"{name} has no description in the schema"
    assert schema["title"] == "leadspec rule test file"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_committed_schema_is_the_one_the_command_prints() -> None:
    code, out, _ = cli("schema", "--tests")
    committed = (ROOT / "docs" / "test-file.schema.json").read_text(encoding="utf-8")
    assert code == 0 and json.loads(committed) == json.loads(out), "docs/test-file.schema.json is out of date: leadspec schema --tests > docs/test-file.schema.json"


def test_schema_takes_one_of_plan_and_tests() -> None:
    code, _, err = cli("schema", "--tests", "--plan")
    assert code == 2 and "give one of them" in err


def test_every_key_of_the_format_has_its_section_in_the_reference_page(schema: dict[str, Any]) -> None:
    page = (ROOT / "docs" / "test-files.md").read_text(encoding="utf-8")
    for key in ["rules", "as_of", "cases", "name", "lead", "expect", "stage", "passed", "failed", "unknown", "scores", "missing", "issues"]:
        assert f"`{key}`" in page, f"docs/test-files.md does not document `{key}`"
    assert "leadspec schema --tests" in page


# -- item 14: one bad reference fails that case alone ----------------------------------------------

GOOD_CASE = "  - name: good\n    lead: {Employees: 11}\n    expect: {stage: icp, passed: [icp.many]}\n"
BAD_CASES = [
    # (what, the case's text, line, column, code, message)
    ("an unknown criterion", "  - name: bad\n    lead: {Employees: 11}\n    expect: {stage: icp, passed: [icp.mny]}\n",
     8, 35, "unknown-criterion", "no criterion 'icp.mny' in r.yaml (did you mean 'icp.many'?)"),
    ("an unknown stage", "  - name: bad\n    lead: {Employees: 11}\n    expect: {stage: ipc}\n",
     8, 21, "unknown-stage", "no stage 'ipc' in r.yaml (did you mean 'icp'?); stages: disqualified, lead, icp"),
    ("an unknown score", "  - name: bad\n    lead: {Employees: 11}\n    expect: {stage: icp, scores: {fitt: 0}}\n",
     8, 35, "unknown-score", "no score 'fitt' in r.yaml (did you mean 'fit'?)"),
    ("an unknown key in the lead", "  - name: bad\n    lead: {Employes: 11}\n    expect: {stage: lead}\n",
     7, 12, "unknown-key", "no field of r.yaml reads 'Employes' (did you mean 'Employees'?); a lead's keys are the fields' sources: Employees, company.country"),
    ("an unknown key in a nested object", "  - name: bad\n    lead: {Employees: 11, company: {contry: FR}}\n    expect: {stage: icp}\n",
     7, 37, "unknown-key", "no field of r.yaml reads 'company.contry' (did you mean 'company.country'?); a lead's keys are the fields' sources: Employees, company.country"),
    ("an unknown field in missing", "  - name: bad\n    lead: {Employees: 11}\n    expect: {stage: icp, missing: [contry]}\n",
     8, 36, "unknown-name", "no field 'contry' in r.yaml (did you mean 'country'?)"),
]


@pytest.mark.parametrize("what, case, line, column, code, message", BAD_CASES, ids=[b[0] for b in BAD_CASES])
def test_one_bad_reference_fails_that_case_alone_with_a_located_message(
    tmp_path: Path, what: str, case: str, line: int, column: int, code: str, message: str
) -> None:
    (tmp_path / "r.yaml").write_text(RULES, encoding="utf-8")
    test_file = tmp_path / "r.test.yaml"
    test_file.write_text("rules: r.yaml\ncases:\n" + GOOD_CASE + case + GOOD_CASE.replace("good", "also good"), encoding="utf-8")
    expected = f"{test_file}:{line}:{column}: error[{code}]: {message}"

    outcomes = leadspec.run_tests(test_file)
    assert [(o.name, o.passed) for o in outcomes] == [("good", True), ("bad", False), ("also good", True)]
    assert outcomes[1].failures == [expected]

    exit_code, out, _ = cli("test", test_file)
    assert exit_code == 1
    assert f"FAIL {test_file}:6: bad\n    {expected}\n" in out
    assert out.splitlines()[-1] == "2 passed, 1 failed"

    exit_code, out, _ = cli("check", tmp_path / "r.yaml")
    assert exit_code == 1 and out.startswith(expected + "\n")


def test_a_lead_read_through_a_nested_source_is_not_an_unknown_key(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "r.test.yaml").write_text(
        "rules: r.yaml\ncases:\n  - {name: nested, lead: {Employees: 11, company: {country: FR}}, expect: {stage: icp}}\n"
        "  - {name: dotted key, lead: {Employees: 11, company.country: FR}, expect: {stage: icp, missing: [], issues: []}}\n",
        encoding="utf-8",
    )
    assert [o.failures for o in leadspec.run_tests(tmp_path / "r.test.yaml")] == [[], []]


def test_the_pytest_plugin_fails_only_the_bad_case(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "r.test.yaml").write_text("rules: r.yaml\ncases:\n" + GOOD_CASE + BAD_CASES[0][1], encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "r.test.yaml"],
        cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert run.returncode == 1, run.stdout
    assert "1 failed, 1 passed" in run.stdout
    assert "error[unknown-criterion]: no criterion 'icp.mny' in r.yaml (did you mean 'icp.many'?)" in run.stdout


# -- item 14: check DIR, test without rules/ --------------------------------------------------------

def test_check_a_folder_checks_every_rule_file_and_test_file_in_it(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".github").mkdir()
    (tmp_path / "good.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "good.test.yaml").write_text("rules: good.yaml\ncases:\n" + GOOD_CASE, encoding="utf-8")
    (tmp_path / "sub" / "bad.yml").write_text("leadspec: 1\nname: bad\nfields: {n: {type: integr}}\nstages: [{id: s, when: n > 1}]\n", encoding="utf-8")
    (tmp_path / "sub" / "orphan.test.yaml").write_text("rules: ../good.yaml\ncases:\n" + BAD_CASES[1][1], encoding="utf-8")
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n", encoding="utf-8")
    (tmp_path / "compose.yaml").write_text("services: {}\n", encoding="utf-8")  # not a rule file: skipped
    (tmp_path / ".github" / "ci.yaml").write_text("leadspec: 1\n", encoding="utf-8")  # hidden folder: not searched
    code, out, err = cli("check", tmp_path)
    assert code == 1
    files = sorted({line.split(":", 1)[0] for line in out.splitlines() if ": error[" in line})
    assert files == [str(tmp_path / "sub" / "bad.yml"), str(tmp_path / "sub" / "orphan.test.yaml")]
    assert err.splitlines()[-1].startswith("4 files checked: 2 errors")


def test_check_a_folder_without_rule_files_says_what_it_looked_for(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services: {}\n", encoding="utf-8")
    code, out, err = cli("check", tmp_path)
    assert code == 2 and out == ""
    assert err == f"no rule files in {tmp_path}: a rule file is a *.yaml with a top-level `leadspec:` key, a test file a *.test.yaml (1 other YAML file skipped)\n"


def test_check_the_shipped_rules_folder() -> None:
    code, _, err = cli("check", ROOT / "rules")
    assert code == 0 and err.startswith("4 files checked: 0 errors")


def test_test_without_a_rules_folder_says_what_it_expected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("test")
    assert (code, out) == (2, "")
    assert err == "no rules/ folder here: run `leadspec test PATH`, or create rules/NAME.yaml with rules/NAME.test.yaml beside it\n"
    (tmp_path / "rules").mkdir()
    code, out, err = cli("test")
    assert code == 2 and err == "no *.test.yaml files under rules\n"


FLAGGED = "leadspec: 1\nname: f\nfields:\n  deal_stage: {type: string}\n  sector: {type: string}\n" \
    "flags:\n  customer: deal_stage == 'Won'\n  software: sector == 'software'\n" \
    "stages:\n  - id: won\n    when: customer\n"


def test_a_case_expects_each_flag_true_false_or_unknown(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text(FLAGGED, encoding="utf-8")
    (tmp_path / "f.test.yaml").write_text(
        "rules: f.yaml\ncases:\n"
        "  - {name: right, lead: {deal_stage: Won}, expect: {stage: won, flags: {customer: true, software: null}}}\n"
        "  - {name: wrong, lead: {deal_stage: Lost, sector: software}, expect: {stage: lead, flags: {customer: true, software: false}}}\n",
        encoding="utf-8",
    )
    outcomes = leadspec.run_tests(tmp_path / "f.test.yaml")
    assert [o.failures for o in outcomes] == [
        [],
        ["flag customer: expected true, got false", "flag software: expected false, got true"],
    ]


def test_a_case_naming_a_flag_the_rules_do_not_have_fails_alone(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text(FLAGGED, encoding="utf-8")
    test_file = tmp_path / "f.test.yaml"
    test_file.write_text(
        "rules: f.yaml\ncases:\n"
        "  - {name: typo, lead: {deal_stage: Won}, expect: {stage: won, flags: {custmer: true}}}\n"
        "  - {name: good, lead: {deal_stage: Won}, expect: {stage: won, flags: {customer: true}}}\n",
        encoding="utf-8",
    )
    outcomes = leadspec.run_tests(test_file)
    assert [o.passed for o in outcomes] == [False, True]
    assert outcomes[0].failures == [
        f"{test_file}:3:72: error[unknown-name]: no flag 'custmer' in f.yaml (did you mean 'customer'?); flags: customer, software"
    ]


def test_check_a_folder_reports_a_rule_file_whose_leadspec_key_is_misspelt(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "typo.yaml").write_text(RULES.replace("leadspec: 1", "leadpsec: 1"), encoding="utf-8")
    (tmp_path / "ci.yaml").write_text("jobs:\n  check: {runs-on: ubuntu-latest}\n", encoding="utf-8")  # not a rule file: skipped
    code, out, err = cli("check", tmp_path)
    assert code == 1  # was 0: the misspelt file was skipped as "not a rule file"
    assert f"{tmp_path / 'typo.yaml'}:1:1: error[unknown-key]: unknown key 'leadpsec' (did you mean 'leadspec'?)" in out
    assert err.startswith("2 files checked: ")


def test_a_case_key_that_is_a_field_s_name_asks_whether_the_source_is_misspelt(tmp_path: Path) -> None:
    # second new-user trial: a typo in `source:` made every case say to copy the typo into the test file
    (tmp_path / "p.yaml").write_text("leadspec: 1\nname: p\nfields:\n  revenue: {type: number, source: Revenu}\nstages:\n  - id: s\n    when: revenue > 1\n")
    (tmp_path / "p.test.yaml").write_text("rules: p.yaml\ncases:\n  - {name: big, lead: {revenue: 5}, expect: {stage: s}}\n")
    (outcome,) = leadspec.run_tests(tmp_path / "p.test.yaml")
    assert "or is `source: Revenu` of field 'revenue' on line 4 of p.yaml misspelt?" in outcome.failures[0]
