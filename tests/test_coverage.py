"""``leadspec test --coverage``, ``RuleTests.coverage()`` and the pytest plugin's coverage section.

The hand-made rule files below are built so that which outcomes the cases
exercise, and which ones the rules allow, are known by construction; the
tables, percentages, JSON documents and exit codes are asserted exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, cli

import leadspec

pytest_plugins = ["pytester"]

# Possible outcomes, by construction (20 in all):
#   flags.big           pass fail unknown   (default policy, reads a field that can be missing)
#   fit.vip             pass fail unknown
#   disqualify.blocked  pass fail           (missing: fail decides unknown)
#   icp.size            pass fail unknown
#   icp.market          pass fail           (missing: fail)
#   mql.when            pass fail           (count() is never unknown)
#   stage icp           pass fail unknown   (icp.size can be unknown)
#   stage mql           pass fail
RULES = """\
leadspec: 1
name: cov
fields:
  employees: {type: integer}
  country: {type: string}
  vip: {type: boolean}
  events: {type: events, values: [demo]}
flags:
  big: employees >= 1000
scores:
  fit:
    rules:
      - {id: vip, when: vip, points: 10}
disqualify:
  - {id: blocked, when: "country == 'XX'", missing: fail}
stages:
  - id: icp
    all:
      - {id: size, when: employees >= 50}
      - {id: market, when: "country in ['US', 'DE']", missing: fail}
  - id: mql
    when: count('demo') >= 1
"""

# Case 1: big fail, vip pass, blocked fail, size pass, market pass, mql.when pass; icp pass, mql pass: ends at mql.
# Case 2: big fail, vip unknown, blocked pass, size fail, market fail, mql.when fail; icp fail, mql fail: disqualified.
# Covered: 15 of 20. Not exercised: flags.big pass/unknown, fit.vip fail, icp.size unknown, stage icp unknown.
CASES = """\
rules: cov.yaml
as_of: 2026-11-01T00:00:00Z
cases:
  - name: a US company of 100 that asked for a demo
    lead: {employees: 100, country: US, vip: true, events: [{type: demo, at: 2026-10-01T00:00:00Z}]}
    expect: {stage: mql}
  - name: a blocked country
    lead: {employees: 10, country: XX}
    expect: {stage: disqualified}
"""

TABLE = """\

coverage of {file} (2 cases): 15 of 20 outcomes, 75.0%
  criterion           pass  fail  unknown  not exercised
  flags.big           .     x     .        pass, unknown
  fit.vip             x     .     x        fail
  disqualify.blocked  x     x     -
  icp.size            x     x     .        unknown
  icp.market          x     x     -
  mql.when            x     x     -
  stage               pass  fail  unknown  ended  not exercised
  disqualified        -     -     -        1
  lead                -     -     -        0
  icp                 x     x     .        0      unknown
  mql                 x     x     -        1
"""

LEGEND = "(x: exercised, .: not exercised, -: cannot happen)\n"

ALL, DECIDED = ["pass", "fail", "unknown"], ["pass", "fail"]


def row(id: str, possible: list[str], seen: list[str], ended: int | None = None) -> dict[str, object]:
    out: dict[str, object] = {"id": id, "possible": possible, "seen": seen, "missed": [o for o in possible if o not in seen]}
    if ended is not None:
        out["ended"] = ended
    return out


def document_of(file: str) -> dict[str, object]:
    """The coverage of CASES as ``Coverage.to_dict()`` gives it."""
    return {
        "file": file,
        "rules": "cov",
        "cases": 2,
        "covered": 15,
        "possible": 20,
        "percent": 75.0,
        "criteria": [
            row("flags.big", ALL, ["fail"]),
            row("fit.vip", ALL, ["pass", "unknown"]),
            row("disqualify.blocked", DECIDED, ["pass", "fail"]),
            row("icp.size", ALL, ["pass", "fail"]),
            row("icp.market", DECIDED, ["pass", "fail"]),
            row("mql.when", DECIDED, ["pass", "fail"]),
        ],
        "stages": [
            row("disqualified", [], [], 1),
            row("lead", [], [], 0),
            row("icp", ALL, ["pass", "fail"], 0),
            row("mql", DECIDED, ["pass", "fail"], 1),
        ],
    }


@pytest.fixture
def cov_tests(tmp_path: Path) -> Path:
    (tmp_path / "cov.yaml").write_text(RULES, encoding="utf-8")
    path = tmp_path / "cov.test.yaml"
    path.write_text(CASES, encoding="utf-8")
    return path


# -- the Python API ---------------------------------------------------------------------------------


def test_coverage_gives_each_criterion_and_stage_its_possible_and_seen_outcomes(cov_tests: Path) -> None:
    tests = leadspec.load_tests(cov_tests)
    cov = tests.coverage(tests.run())
    assert isinstance(cov, leadspec.Coverage)
    assert (cov.covered, cov.possible, cov.percent, cov.cases) == (15, 20, 75.0, 2)
    assert cov.criteria[0] == leadspec.CriterionCoverage("flags.big", ("pass", "fail", "unknown"), ("fail",))
    assert cov.criteria[0].covered == ("fail",) and cov.criteria[0].missed == ("pass", "unknown")
    assert cov.stages[2] == leadspec.StageCoverage("icp", ("pass", "fail", "unknown"), ("pass", "fail"), ended=0)
    assert cov.missed == (("flags.big", "pass"), ("flags.big", "unknown"), ("fit.vip", "fail"), ("icp.size", "unknown"), ("icp", "unknown"))
    assert cov.to_dict() == document_of(str(cov_tests))
    assert [r.id for r in cov.criteria] == [c.id for c in tests.rules.plan.criteria]
    assert [s.id for s in cov.stages] == list(tests.rules.stage_ids)
    with pytest.raises(AttributeError):
        cov.cases = 3  # type: ignore[misc]  # frozen


def test_coverage_runs_the_cases_itself_and_takes_results_too(cov_tests: Path) -> None:
    tests = leadspec.load_tests(cov_tests)
    from_outcomes = tests.coverage(tests.run())
    assert tests.coverage() == from_outcomes
    assert tests.coverage([o.result for o in tests.run() if o.result is not None]) == from_outcomes
    assert tests.coverage([]).cases == 0 and tests.coverage([]).covered == 0
    only_first = tests.coverage(tests.run()[:1])
    assert only_first.cases == 1 and only_first.criteria[2].seen == ("fail",)  # disqualify.blocked
    other = leadspec.loads(RULES.replace("name: cov", "name: other"))
    with pytest.raises(ValueError, match="not of the rules 'cov'"):
        tests.coverage([other.evaluate({})])


def test_a_failing_case_counts_for_coverage_as_what_it_exercised(cov_tests: Path) -> None:
    cov_tests.write_text(CASES.replace("expect: {stage: mql}", "expect: {stage: icp}"), encoding="utf-8")
    tests = leadspec.load_tests(cov_tests)
    outcomes = tests.run()
    assert [o.passed for o in outcomes] == [False, True]
    assert tests.coverage(outcomes).to_dict() == document_of(str(cov_tests))


ERRORS = """\
leadspec: 1
name: err
fields:
  revenue: {type: number}
  employees: {type: integer}
stages:
  - id: icp
    all:
      - {id: per_head, when: revenue / employees > 1000, missing: fail}
      - id: either
        any:
          - {id: big, when: employees >= 50, missing: fail}
          - {id: rich, when: revenue >= 1000000, missing: pass}
"""


def test_a_group_is_unknown_only_when_an_item_can_be_and_an_error_is_shown_not_counted(tmp_path: Path) -> None:
    (tmp_path / "err.yaml").write_text(ERRORS, encoding="utf-8")
    path = tmp_path / "err.test.yaml"
    path.write_text("rules: err.yaml\ncases:\n  - name: no employees\n    lead: {revenue: 5000, employees: 0}\n    expect: {stage: lead}\n", encoding="utf-8")
    cov = leadspec.load_tests(path).coverage()
    # per_head: dividing by zero makes it unknown despite `missing: fail` -- seen, not possible, not counted
    assert cov.criteria[0] == leadspec.CriterionCoverage("icp.per_head", ("pass", "fail"), ("unknown",))
    assert cov.criteria[1].possible == ("pass", "fail")  # icp.either: neither item can be unknown
    assert cov.stages[2].possible == ("pass", "fail")  # nor can the stage's condition
    assert (cov.covered, cov.possible) == (4, 10)
    code, out, err = cli("test", "--coverage", path)
    assert code == 0
    assert "  icp.per_head  .     .     !        pass, fail\n" in out
    assert out.endswith(
        "total coverage: 4 of 10 outcomes, 40.0%\n"
        "(x: exercised, .: not exercised, -: cannot happen, !: unknown because an expression failed, not counted)\n"
    )


# -- the command line --------------------------------------------------------------------------------


def test_the_table_of_a_test_file(cov_tests: Path) -> None:
    code, out, err = cli("test", "--coverage", cov_tests)
    assert (code, err) == (0, "")
    assert out == (
        f"PASS {cov_tests}:4: a US company of 100 that asked for a demo\n"
        f"PASS {cov_tests}:7: a blocked country\n"
        "2 passed, 0 failed\n"
        + TABLE.format(file=cov_tests)
        + "\ntotal coverage: 15 of 20 outcomes, 75.0%\n"
        + LEGEND
    )


def test_two_files_have_a_table_each_and_one_total(cov_tests: Path, tmp_path: Path) -> None:
    (tmp_path / "err.yaml").write_text(ERRORS, encoding="utf-8")
    (tmp_path / "err.test.yaml").write_text("rules: err.yaml\ncases:\n  - {name: big, lead: {revenue: 5000, employees: 60}, expect: {stage: lead}}\n", encoding="utf-8")
    code, out, err = cli("test", "--coverage", "--quiet", tmp_path)
    assert code == 0
    assert out.count("\ncoverage of ") == 2
    # err: per_head fail, either pass, big pass, rich fail, stage icp fail = 5 of 10; with cov's 15 of 20
    assert out.endswith("\ntotal coverage: 20 of 30 outcomes, 66.7% (2 files)\n" + LEGEND)


def test_the_json_document(cov_tests: Path) -> None:
    code, out, err = cli("test", "--coverage", "--format", "json", cov_tests)
    assert code == 0
    assert json.loads(out) == {
        "files": [document_of(str(cov_tests))],
        "total": {"covered": 15, "possible": 20, "percent": 75.0},
        "cases": {"passed": 2, "failed": 0},
    }
    # the case lines go to standard error, so that standard output is the document alone
    assert err.endswith("PASS " + f"{cov_tests}:7: a blocked country\n2 passed, 0 failed\n")


@pytest.mark.parametrize(
    ("threshold", "code", "message"),
    [
        ("0", 0, ""),
        ("75", 0, ""),  # exactly the total: not under it
        ("75.01", 1, "coverage 75.0% (15 of 20 outcomes) is under --fail-under 75.01%\n"),
        ("80", 1, "coverage 75.0% (15 of 20 outcomes) is under --fail-under 80%\n"),
        ("100", 1, "coverage 75.0% (15 of 20 outcomes) is under --fail-under 100%\n"),
    ],
)
def test_fail_under(cov_tests: Path, threshold: str, code: int, message: str) -> None:
    got, out, err = cli("test", "--coverage", "--fail-under", threshold, cov_tests)
    assert (got, err) == (code, message)
    assert "2 passed, 0 failed\n" in out and "total coverage: 15 of 20 outcomes, 75.0%" in out


def test_fail_under_with_json_and_with_a_failing_case(cov_tests: Path) -> None:
    code, out, err = cli("test", "--coverage", "--format", "json", "--fail-under", "90", cov_tests)
    assert code == 1 and json.loads(out)["total"]["percent"] == 75.0
    assert err.endswith("coverage 75.0% (15 of 20 outcomes) is under --fail-under 90%\n")
    cov_tests.write_text(CASES.replace("expect: {stage: mql}", "expect: {stage: icp}"), encoding="utf-8")
    code, out, err = cli("test", "--coverage", "--fail-under", "50", cov_tests)
    assert code == 1 and err == ""  # the failed case, not the coverage
    assert "1 passed, 1 failed\n" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--fail-under", "80"], "Error: --fail-under needs --coverage: leadspec test --coverage --fail-under 80\n"),
        (["--format", "json"], "Error: --format needs --coverage: leadspec test --coverage --format json\n"),
        (["--format", "text", "--fail-under", "62.5"], "Error: --format and --fail-under need --coverage: leadspec test --coverage --format text --fail-under 62.5\n"),
    ],
)
def test_the_coverage_options_without_coverage_are_a_usage_error(cov_tests: Path, argv: list[str], message: str) -> None:
    code, out, err = cli("test", *argv, cov_tests)
    assert (code, out) == (2, "")
    assert err.endswith(message)


def test_fail_under_is_a_percentage(cov_tests: Path) -> None:
    code, out, err = cli("test", "--coverage", "--fail-under", "101", cov_tests)
    assert code == 2 and "101" in err and out == ""


def test_a_test_file_that_does_not_load_has_no_table(cov_tests: Path, tmp_path: Path) -> None:
    (tmp_path / "broken.test.yaml").write_text("rules: nowhere.yaml\ncases: []\n", encoding="utf-8")
    code, out, err = cli("test", "--coverage", tmp_path)
    assert code == 1
    assert out.count("\ncoverage of ") == 1 and "2 passed, 1 failed\n" in out
    assert "total coverage: 15 of 20 outcomes, 75.0%\n" in out


def test_the_shipped_test_files() -> None:
    code, out, err = cli("test", "--coverage", "--quiet", ROOT / "rules" / "b2b-saas.test.yaml")
    assert code == 0
    assert "coverage of " in out and ": 55 of 67 outcomes, 82.1%\n" in out
    assert "  icp.industry               x     .     .        fail, unknown\n" in out
    assert "  mql.demo_request           x     x     -\n" in out  # count() is never unknown
    assert "  mql                        x     x     -        5\n" in out
    for name, cases in (("b2b-saas", 11), ("x-education", 15)):
        tests = leadspec.load_tests(ROOT / "rules" / f"{name}.test.yaml")
        cov = tests.coverage()
        assert cov.cases == cases == len(tests.cases)
        assert [r.id for r in cov.criteria] == [c.id for c in tests.rules.plan.criteria]
        assert sum(s.ended for s in cov.stages) == cases
        for r in cov.criteria + cov.stages:
            assert set(r.seen) <= set(r.possible)  # no expression fails on the shipped cases
            assert sorted(r.covered + r.missed) == sorted(r.possible)
        assert 0 < cov.covered < cov.possible
    code, out, err = cli("test", "--coverage", "--fail-under", "80", ROOT / "rules")
    assert code == 0 and "total coverage: 127 of 150 outcomes, 84.7% (2 files)\n" in out
    code, out, err = cli("test", "--coverage", "--fail-under", "84.7", ROOT / "rules")
    # 84.666...%: shown with the decimals that make it visibly under, not rounded up to the threshold
    assert (code, err) == (1, "coverage 84.67% (127 of 150 outcomes) is under --fail-under 84.7%\n")


# -- the pytest plugin -----------------------------------------------------------------------------


def test_the_pytest_plugin_prints_each_files_coverage(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", cov=RULES)
    # the second case fails: its result still counts
    pytester.makefile(".test.yaml", cov=CASES.replace("expect: {stage: disqualified}", "expect: {stage: lead}"))
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.re_match_lines([r"=+ leadspec rule coverage =+"])
    result.stdout.fnmatch_lines([
        "cov.test.yaml: 75.0% of 20 outcomes exercised by 2 cases",
        "  not exercised: flags.big pass/unknown, fit.vip fail, icp.size unknown,",
        "    stage icp unknown",
    ])
    quiet = pytester.runpytest("-q", "-p", "no:cacheprovider")
    quiet.stdout.fnmatch_lines(["cov.test.yaml: 75.0% of 20 outcomes exercised by 2 cases"])
    assert "not exercised" not in quiet.stdout.str()
    off = pytester.runpytest("-p", "no:cacheprovider", "--leadspec-coverage=no")
    assert "leadspec rule coverage" not in off.stdout.str()


def test_the_pytest_plugin_counts_only_the_cases_that_ran(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", cov=RULES)
    pytester.makefile(".test.yaml", cov=CASES)
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "blocked")
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["cov.test.yaml: 40.0% of 20 outcomes exercised by 1 case"])


def test_the_pytest_plugin_says_nothing_without_rule_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "leadspec rule coverage" not in result.stdout.str()


def test_the_table_on_the_coverage_page_is_the_real_output(monkeypatch: pytest.MonkeyPatch) -> None:
    page = (ROOT / "docs" / "test-files.md").read_text(encoding="utf-8")
    block = page.split("## Coverage\n", 1)[1].split("```console\n", 1)[1].split("```", 1)[0]
    command, shown = block.split("\n", 1)
    assert command == "$ leadspec test --coverage --quiet rules/b2b-saas.test.yaml"
    monkeypatch.chdir(ROOT)
    code, out, err = cli(*command.split()[2:])
    assert (code, err) == (0, "")
    assert out == shown
