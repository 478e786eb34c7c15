"""The command line, driven in-process through ``run`` and a few times as the installed ``leadspec``."""

from __future__ import annotations

import ast
import csv
import gzip
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import leadspec
from conftest import FIXTURES, ROOT, SHARED_DATA, cli

RULES = str(ROOT / "rules" / "x-education.yaml")
SAMPLE = str(ROOT / "examples" / "x-education-sample.csv")
EXPORT = SHARED_DATA / "x-education-leads.csv"
B2B = str(ROOT / "rules" / "b2b-saas.yaml")
AS_OF = ["--as-of", "2026-11-01"]


def acme_with_tests(folder: Path, test_yaml: str) -> Path:
    """The acme rules and a test file for them in FOLDER; returns the test file."""
    shutil.copy(FIXTURES / "acme-b2b.yaml", folder / "acme.yaml")
    (folder / "acme.test.yaml").write_text(test_yaml)
    return folder / "acme.test.yaml"


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# -- check ---------------------------------------------------------------------------
BROKEN = """\
leadspec: 1
name: broken
fields:
  employees: {type: integer}
stages:
  - id: icp
    all:
      - {id: size, when: "employes >= 50"}
"""


def test_check_reports_every_problem_with_location_and_marked_expression(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    code, out, err = cli("check", str(path))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"{path}:8:27: error[unknown-name]: unknown name 'employes' (did you mean 'employees'?); declare it under fields, lists or flags"
    assert lines[1:] == ["    employes >= 50", "    ^^^^^^^^"]
    assert err == "1 file checked: 1 error, 0 warnings\n"


def test_check_formats(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    code, out, _ = cli("check", "--format", "json", str(path))
    assert code == 1
    [problem] = json.loads(out)
    assert (problem["line"], problem["column"], problem["code"], problem["severity"]) == (8, 27, "unknown-name", "error")
    code, out, _ = cli("check", "--format", "github", str(path))
    assert out.startswith(f"::error file={path},line=8,col=27,title=leadspec unknown-name::unknown name 'employes'")


def test_check_passes_clean_files_and_lints_as_warnings_unless_strict() -> None:
    code, out, err = cli("check", B2B)
    assert (code, out) == (0, "")
    assert err == "2 files checked: 0 errors, 0 warnings\n"  # the rules and rules/b2b-saas.test.yaml
    code, out, _ = cli("check", str(FIXTURES / "acme-b2b.yaml"))
    assert code == 0 and "warning[unused-field]: field 'created_at'" in out
    code, out, _ = cli("check", "--strict", str(FIXTURES / "acme-b2b.yaml"))
    assert code == 1 and "error[unused-field]" in out


def test_check_checks_the_test_file_beside_the_rules(tmp_path: Path) -> None:
    acme_with_tests(
        tmp_path,
        "rules: acme.yaml\ncases:\n  - name: x\n    lead: {}\n    expect: {stage: mq, passed: [icp.sise]}\n"
    )
    code, out, _ = cli("check", str(tmp_path / "acme.yaml"))
    assert code == 1
    assert f"{tmp_path / 'acme.test.yaml'}:5:21: error[unknown-stage]: no stage 'mq' in acme.yaml (did you mean 'mql'?)" in out
    assert "error[unknown-criterion]: no criterion 'icp.sise' in acme.yaml (did you mean 'icp.size'?)" in out


def test_check_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    code, out, _ = cli("check", str(tmp_path / "missing.yaml"))
    assert code == 2 and "error[unreadable]" in out


# -- qualify -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def export_text() -> str:
    if not EXPORT.exists():
        pytest.skip(f"the full X Education export (Kaggle's \"Leads Dataset\", Leads.csv) is not at {EXPORT}; see examples/README.md")
    return EXPORT.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def qualified_export(export_text: str) -> tuple[int, str, str]:
    return cli("qualify", RULES, str(EXPORT), *AS_OF)


def test_qualify_the_real_export_keeps_every_column_and_adds_stage_and_reasons(export_text: str, qualified_export: tuple[int, str, str]) -> None:
    code, out, err = qualified_export
    assert code == 0, err
    source = csv_rows(export_text)
    written = csv_rows(out)
    assert len(source) == len(written) == 9241
    header = source[0]
    # the export has 37 named columns and a last, unnamed one (every line ends with a comma): all kept
    assert len(header) == 38 and header[-1] == "" and len([h for h in header if h]) == 37
    assert written[0] == header + ["stage", "reasons"]
    for before, after in zip(source[1:], written[1:]):
        assert after[:38] == before
        assert after[38] in ("disqualified", "lead", "icp", "mql", "sql") and after[39]
    assert err == "9,240 rows read, 9,240 written, 0 rejected (disqualified 1,740, lead 3,044, icp 1,787, mql 966, sql 1,703)\n"


def test_qualify_jsonl_through_stdin_and_stdout(export_text: str, qualified_export: tuple[int, str, str]) -> None:
    code, out, err = cli("qualify", RULES, "-", "--input-format", "csv", "--output-format", "jsonl", *AS_OF, stdin=export_text)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 9240
    by_csv = csv_rows(qualified_export[1])
    first = json.loads(lines[0])
    assert list(first)[:2] == ["Prospect ID", "Lead Number"] and list(first)[-2:] == ["stage", "reasons"]
    assert [json.loads(line)["stage"] for line in lines] == [row[38] for row in by_csv[1:]]
    # and JSON Lines back in, the format guessed from the first character; the stage it has is kept
    code, again, err = cli("qualify", RULES, "-", "--output-format", "jsonl", "--stage-column", "stage2", "--reasons-column", "reasons2", *AS_OF, stdin=out)
    assert code == 0, err
    assert [json.loads(line)["stage2"] for line in again.splitlines()] == [json.loads(line)["stage"] for line in lines]


def test_qualify_with_two_jobs_writes_the_same_bytes(export_text: str, qualified_export: tuple[int, str, str]) -> None:
    code, out, err = cli("qualify", RULES, str(EXPORT), "--jobs", "2", *AS_OF)
    assert code == 0, err
    assert out == qualified_export[1]
    assert err == qualified_export[2]


def test_qualify_gzip_input_and_json_array_output(tmp_path: Path) -> None:
    gz = tmp_path / "sample.csv.gz"
    with open(SAMPLE, "rb") as src, gzip.open(gz, "wb") as dst:
        dst.write(src.read())
    out_path = tmp_path / "out.json"
    code, _, err = cli("qualify", RULES, str(gz), "-o", str(out_path), *AS_OF)
    assert code == 0, err
    data = json.loads(out_path.read_text())
    assert len(data) == 300 and data[0]["Lead Number"] == "660737" and data[0]["stage"] == "lead"
    # a JSON array back in, streamed element by element
    code, out, err = cli("qualify", RULES, str(out_path), "--output-format", "csv", "--stage-column", "new_stage", "--reasons-column", "new_reasons", *AS_OF)
    assert code == 0, err
    assert len(csv_rows(out)) == 301


def test_qualify_details(tmp_path: Path) -> None:
    code, out, _ = cli("qualify", RULES, SAMPLE, "--details", *AS_OF)
    rows = csv_rows(out)
    assert rows[0][-3:] == ["stage", "reasons", "details"]
    details = json.loads(rows[1][-1])
    assert details["stage"] == rows[1][-3] and details["ruleset"]["name"] == "x-education"
    code, out, _ = cli("qualify", RULES, SAMPLE, "--details", "--output-format", "jsonl", *AS_OF)
    first = json.loads(out.splitlines()[0])
    assert first["details"]["criteria"][0]["id"] == "engagement.long_visit"


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_qualify_details_writes_a_row_whose_bad_value_is_nested_600_deep(tmp_path: Path, fmt: str) -> None:
    """Found by a review of Result.to_json(): such a row was rejected (RecursionError) once --details wrote to_json()."""
    rules = tmp_path / "r.yaml"
    rules.write_text("leadspec: 1\nname: m\nfields:\n  name: {type: string}\nstages:\n  - id: s\n    when: has(name)\n", encoding="utf-8")
    deep = "[" * 600 + '"x"' + "]" * 600
    code, out, err = cli("qualify", rules, "-", "--input-format", "jsonl", "--output-format", fmt, "--details", *AS_OF, stdin=f'{{"name": "a"}}\n{{"name": {deep}}}\n')
    assert code == 0, err
    assert "2 rows read, 2 written, 0 rejected" in err
    text = out if fmt != "csv" else csv_rows(out)[2][-1]
    assert deep in text


SMALL = (
    "Lead Number,TotalVisits,Tags,Total Time Spent on Website\n"
    "1,5,Ringing,700\n"
    '2,"3"x,Ringing,10\n'  # broken quoting: text after a closing quote
    "3,4,Busy,20\n"
    "4,lots,Busy,30\n"
    "5,2,Busy,40,extra\n"
    "6,1,Busy,50\n"
)


def test_item4_an_unclosed_quote_costs_one_row_not_the_rest_of_the_file() -> None:
    text = 'Lead Number,Tags\n1,Ringing\n2,"Busy\n3,Busy\n'
    code, out, err = cli("qualify", RULES, "-", "--input-format", "csv", "--allow-missing-columns", *AS_OF, stdin=text)
    assert code == 1 and [row[:2] for row in csv_rows(out)[1:]] == [["1", "Ringing"], ["3", "Busy"]]
    assert "-:3: row 2 rejected: malformed CSV (line 3): unexpected end of data (at line 4); the next line is read as a new record" in err
    assert "3 rows read, 2 written, 1 rejected" in err


def test_qualify_broken_csv_is_reported_with_its_line_and_the_rest_processed() -> None:
    code, out, err = cli("qualify", RULES, "-", "--input-format", "csv", "--allow-missing-columns", *AS_OF, stdin=SMALL)
    assert code == 1
    written = csv_rows(out)
    assert [row[0] for row in written[1:]] == ["1", "3", "4", "6"]
    assert "-:3: row 2 rejected: malformed CSV (line 3): ',' expected after '\"'" in err
    assert "-:6: row 5 rejected: 5 values but the header has 4 columns" in err
    assert "6 rows read, 4 written, 2 rejected" in err


def test_qualify_missing_column_is_reported_up_front_with_the_closest_header(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("Lead Number,Total Visits,Tags\n1,5,Ringing\n")
    code, out, err = cli("qualify", RULES, str(path), *AS_OF)
    assert code == 2 and out == ""
    assert "field 'visits' reads column 'TotalVisits', which the header does not have; the closest header is 'Total Visits'" in err
    code, out, err = cli("qualify", RULES, str(path), "--allow-missing-columns", *AS_OF)
    assert code == 0 and len(csv_rows(out)) == 2


def test_qualify_invalid_json_line_is_rejected_with_its_line_number() -> None:
    lines = [json.dumps({"Lead Number": "1", "Tags": "Ringing"}), "{not json", "", json.dumps(["a list"]), json.dumps({"Lead Number": "2"})]
    code, out, err = cli("qualify", RULES, "-", "--input-format", "jsonl", *AS_OF, stdin="\n".join(lines) + "\n")
    assert code == 1
    assert [json.loads(line)["Lead Number"] for line in out.splitlines()] == ["1", "2"]
    assert "-:2: row 2 rejected: invalid JSON" in err
    assert "-:4: row 3 rejected: a lead is a JSON object, not list" in err
    assert "4 rows read, 2 written, 2 rejected" in err


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_a_json_value_that_is_not_an_object_is_rejected_with_its_raw_text_as_the_record(tmp_path: Path, fmt: str) -> None:
    # Found by review: the reject's record was Python's str() of the value (true -> "True", "str" without its quotes),
    # and null differed between JSON Lines and a JSON array. The docs: the object as read, or else the raw text.
    values = ["true", '"str"', "null", "1.50", "[1, 2]"]
    source = tmp_path / f"leads.{fmt}"
    lead = json.dumps({"Lead Number": "1"})
    source.write_text("\n".join([lead, *values]) + "\n" if fmt == "jsonl" else "[" + ", ".join([lead, *values]) + "]")
    rejects = tmp_path / "rejects.jsonl"
    code, _out, _err = cli("qualify", RULES, str(source), "-o", str(tmp_path / "out.jsonl"), "--rejects", str(rejects), "--allow-missing-columns", *AS_OF)
    assert code == 1
    written = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert [entry["record"] for entry in written] == values
    assert [entry["reason"] for entry in written] == [f"a lead is a JSON object, not {kind}" for kind in ("bool", "str", "NoneType", "float", "list")]


def test_qualify_bad_value_lenient_is_written_with_an_issue_and_strict_is_rejected(tmp_path: Path) -> None:
    text = "Lead Number,TotalVisits,Tags\n1,5,Ringing\n2,lots,Ringing\n3,7,Busy\n"
    code, out, err = cli("qualify", RULES, "-", "--input-format", "csv", "--allow-missing-columns", *AS_OF, stdin=text)
    assert code == 0
    rows = csv_rows(out)
    assert len(rows) == 4 and "1 data issue" in rows[2][-1]
    assert "3 rows read, 3 written, 0 rejected" in err and "1 with data issues" in err
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = cli("qualify", RULES, "-", "--input-format", "csv", "--allow-missing-columns", "--strict", "--rejects", str(rejects), *AS_OF, stdin=text)
    assert code == 1
    assert [row[0] for row in csv_rows(out)[1:]] == ["1", "3"]
    [reject] = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert (reject["row"], reject["line"]) == (2, 3)
    assert reject["reason"] == "visits: not an integer ('lots')"
    assert reject["record"] == ["2", "lots", "Ringing"]
    assert "3 rows read, 2 written, 1 rejected" in err


def test_qualify_unreadable_input_and_unknown_format(tmp_path: Path) -> None:
    code, _, err = cli("qualify", RULES, str(tmp_path / "nope.csv"))
    assert code == 2 and "cannot read" in err
    code, _, err = cli("qualify", RULES, str(tmp_path / "leads.txt"))
    assert code == 2 and "--input-format" in err


def test_qualify_invalid_rules_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    code, out, err = cli("qualify", str(path), SAMPLE)
    assert code == 2 and out == "" and "error[unknown-name]" in err


# -- explain, test, schema ----------------------------------------------------------------
LEAD = {
    "email": "ana@bigco.example",
    "seniority": "VP",
    "company": {"employees": "250", "industry": "SaaS", "country": "US"},
    "events": [{"type": "demo_request", "at": "2026-10-25T10:00:00Z"}],
}


def test_explain_a_lead_from_a_file_or_stdin(tmp_path: Path) -> None:
    path = tmp_path / "lead.json"
    path.write_text(json.dumps(LEAD))
    code, out, _ = cli("explain", B2B, str(path), "--as-of", "2026-11-01")
    assert code == 0
    assert out.startswith("MQL — Marketing qualified lead (owner: marketing)\n")
    code, out, _ = cli("explain", B2B, "--json", "--as-of", "2026-11-01", stdin=json.dumps(LEAD))
    assert code == 0 and json.loads(out)["stage"] == "mql"
    code, _, err = cli("explain", B2B, stdin="[1]")
    assert code == 2 and "a lead is a JSON object" in err


def test_test_command_reports_failures_and_ends_with_the_plain_summary(tmp_path: Path) -> None:
    acme_with_tests(
        tmp_path,
        "rules: acme.yaml\nas_of: 2026-11-01\ncases:\n"
        "  - name: small company\n    lead: {NumberOfEmployees: '12'}\n    expect: {stage: lead, failed: [icp.size]}\n"
        "  - name: wrong expectation\n    lead: {NumberOfEmployees: '12'}\n    expect: {stage: mql, passed: [icp.size]}\n"
    )
    code, out, _ = cli("test", str(tmp_path))
    assert code == 1
    assert f"FAIL {tmp_path / 'acme.test.yaml'}:7: wrong expectation" in out
    assert "    stage: expected mql, got lead" in out
    assert "    icp.size: expected pass, got fail (employees is 12, needs employees from 50 to 5,000)" in out
    assert any(line.startswith("    why: Lead; not ICP fit: icp.size fail") for line in out.splitlines())  # the reasons line says why at once
    assert out.splitlines()[-1] == "1 passed, 1 failed"
    code, out, _ = cli("test", str(ROOT / "rules"))
    assert code == 0 and out.splitlines()[-1].endswith(" passed, 0 failed")


def test_schema_prints_the_json_schema() -> None:
    code, out, _ = cli("schema")
    assert code == 0 and json.loads(out)["title"] == "leadspec rule file"


def test_compile_prints_the_generated_python_of_the_rules() -> None:
    code, out, err = cli("compile", B2B)
    assert (code, err) == (0, "")
    assert out.rstrip("\n") == leadspec.load(B2B).generated_source().rstrip("\n") and out.endswith("\n")
    tree = ast.parse(out)  # plain Python
    assert "_evaluate" in {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert "rec.get('email')" in out  # a field read from the lead


def test_compile_json_prints_the_plan_which_reads_back_as_the_same_plan() -> None:
    from leadspec.plan import Plan

    code, out, err = cli("compile", "--json", B2B)
    assert (code, err) == (0, "")
    assert Plan.from_json(out) == leadspec.load(B2B).plan
    assert json.loads(out)["name"] == "b2b-saas"


def test_compile_of_rules_that_do_not_load_prints_their_problems_and_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("leadspec: 1\nname: b\nfields: {a: {type: integer}}\nstages: [{id: s, when: b > 1}]\n", encoding="utf-8")
    for argv in (["compile", str(broken)], ["compile", "--json", str(broken)]):
        code, out, err = cli(*argv)
        assert (code, out) == (2, "")
        assert err.startswith(f"{broken}:4:24: error[unknown-name]: unknown name 'b'")
    code, out, err = cli("compile", str(tmp_path / "missing.yaml"))
    assert (code, out) == (2, "") and "error[unreadable]" in err


@pytest.mark.parametrize("command", ["check", "qualify", "explain", "test", "schema", "compile"])
def test_help_of_every_command_has_an_example(command: str) -> None:
    code, out, _ = cli(command, "--help")
    assert code == 0
    assert "Example" in out and f"leadspec {command}" in out


def test_usage_error_exit_code() -> None:
    code, _, err = cli("qualify", RULES)
    assert code == 2 and "Missing argument" in err


# -- the installed executable and the pytest plugin ------------------------------------------
def _installed(name: str) -> str:
    path = shutil.which(name, path=str(Path(sys.executable).parent))
    if path is None:
        pytest.skip(f"{name} is not installed beside {sys.executable}")
    return path


def test_installed_leadspec_qualifies_from_stdin_to_stdout() -> None:
    with open(SAMPLE, encoding="utf-8") as handle:
        sample = handle.read()
    proc = subprocess.run(
        [_installed("leadspec"), "qualify", RULES, "-", "--output-format", "jsonl", *AS_OF],
        input=sample, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 300
    assert proc.stderr.startswith("300 rows read, 300 written, 0 rejected")


def test_installed_leadspec_check_exit_codes(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    leadspec = _installed("leadspec")
    assert subprocess.run([leadspec, "check", B2B], capture_output=True, timeout=60).returncode == 0
    proc = subprocess.run([leadspec, "check", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and ":8:27: error[unknown-name]" in proc.stdout


def test_pytest_collects_rule_test_files(tmp_path: Path) -> None:
    acme_with_tests(
        tmp_path,
        "rules: acme.yaml\nas_of: 2026-11-01\ncases:\n"
        "  - name: small company\n    lead: {NumberOfEmployees: '12'}\n    expect: {stage: lead}\n"
        "  - name: wrong expectation\n    lead: {NumberOfEmployees: '12'}\n    expect: {stage: mql}\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stdout
    assert "acme.test.yaml::wrong expectation" in proc.stdout
    assert "stage: expected mql, got lead" in proc.stdout
    assert "1 failed, 1 passed" in proc.stdout


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Units of 100 records, so a test of a thousand rows crosses many of them."""
    import importlib

    monkeypatch.setattr(importlib.import_module("leadspec.cli.qualify"), "BATCH", 100)


def test_jobs_keep_order_and_account_for_rejects_across_batches(small_batches: None) -> None:
    lines = ["Lead Number,TotalVisits,Tags"]
    for i in range(1, 1601):
        visits = "lots" if i % 97 == 0 else str(i % 13)
        lines.append(f"{i},{visits},{'Ringing' if i % 3 else 'Busy'}")
    lines.insert(700, '699x,"bad"quote,Busy')  # a malformed record in the middle of a batch
    text = "\n".join(lines) + "\n"
    args = ["qualify", RULES, "-", "--input-format", "csv", "--allow-missing-columns", "--strict", *AS_OF]
    one = cli(*args, "--jobs", "1", stdin=text)
    two = cli(*args, "--jobs", "2", stdin=text)
    assert one == two
    code, out, err = one
    assert code == 1
    assert "1,601 rows read, 1,584 written, 17 rejected" in err  # 16 bad values, 1 malformed record
    assert [int(row[0]) for row in csv_rows(out)[1:]] == [i for i in range(1, 1601) if i % 97]


def test_progress_is_shown_only_on_a_terminal() -> None:
    from leadspec.cli.qualify import _Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    shown = Terminal()
    progress = _Progress(shown)
    progress.last -= 1  # as if half a second had passed
    progress.update(1234)
    progress.done()
    assert "qualify: 1,234 rows" in shown.getvalue()
    quiet = io.StringIO()
    progress = _Progress(quiet)
    progress.last -= 1
    progress.update(1234)
    assert quiet.getvalue() == ""


def test_json_to_csv_rejects_a_record_whose_keys_the_header_cannot_hold(tmp_path: Path) -> None:
    path = tmp_path / "leads.json"
    path.write_text(json.dumps([{"email": "a@bigco.example"}, {"email": "b@x.example", "note": "met at fair"}]))
    code, out, err = cli("qualify", B2B, str(path), "--output-format", "csv", *AS_OF)
    assert code == 1
    assert csv_rows(out)[0] == ["email", "stage", "reasons"] and len(csv_rows(out)) == 2
    assert "row 2 rejected: 'note' is not a column of the CSV output" in err
    assert "2 rows read, 1 written, 1 rejected" in err


def test_fields_with_a_default_may_be_absent_from_the_header(tmp_path: Path) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text("leadspec: 1\nname: r\nfields:\n  a: {type: integer}\n  flag: {type: boolean, default: false}\nstages: [{id: s, when: a > 1 and not flag}]\n")
    (tmp_path / "in.csv").write_text("a\n5\n")
    code, out, err = cli("qualify", str(rules), str(tmp_path / "in.csv"), *AS_OF)
    assert code == 0, err
    assert csv_rows(out)[1][:2] == ["5", "s"]


def test_an_empty_csv_says_so(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    code, _, err = cli("qualify", RULES, str(tmp_path / "empty.csv"), *AS_OF)
    assert code == 2 and err == f"{tmp_path / 'empty.csv'}: the file is empty: no header line\n"


def test_test_command_on_a_rule_file_or_a_missing_file(tmp_path: Path) -> None:
    code, out, _ = cli("test", B2B)
    assert code == 1 and "error[not-a-test-file]: this is a rule file, not a test file" in out
    code, out, _ = cli("test", str(tmp_path / "nope.test.yaml"))
    assert code == 2 and "error[unreadable]" in out


def test_test_file_typos_get_test_file_suggestions(tmp_path: Path) -> None:
    acme_with_tests(
        tmp_path,
        "rules: acme.yaml\ncase:\n  - name: x\n    lead: {}\n    expect: {stage: lead, pased: []}\n"
    )
    code, out, _ = cli("test", str(tmp_path / "acme.test.yaml"))
    assert code == 1
    assert "unknown key 'case' (did you mean 'cases'?); allowed here: rules, as_of, cases" in out
    (tmp_path / "acme.test.yaml").write_text("rules: acme.yaml\ncases:\n  - name: x\n    lead: {}\n    expect: {stage: lead, pased: []}\n")
    code, out, _ = cli("test", str(tmp_path / "acme.test.yaml"))
    assert "unknown key 'pased' (did you mean 'passed'?); allowed here: stage, passed, failed, unknown, scores, flags, missing, issues" in out


def test_csv_records_are_written_back_exactly_as_they_were() -> None:
    from leadspec.cli._io import _quote

    for cell in ["a", "a,b", 'say "hi"', " lead", "x\ny", "", "Lead; not ICP fit: icp.x fail"]:
        buffer = io.StringIO()
        csv.writer(buffer).writerow([cell, "z"])
        assert buffer.getvalue() == f"{_quote(cell)},z\r\n"
    text = 'Lead Number,Tags,Notes\n1,"Ringing","quoted, as exported"\n2,Busy,"two\nlines"\n3,Busy,\n'
    code, out, _ = cli("qualify", RULES, "-", "--input-format", "csv", "--allow-missing-columns", *AS_OF, stdin=text)
    assert code == 0
    lines = out.split("\r\n")
    assert lines[1].startswith('1,"Ringing","quoted, as exported",')  # the input's own quoting is kept
    assert lines[2].startswith('2,Busy,"two\nlines",')
    assert lines[3].startswith("3,Busy,,")
    assert [row[:3] for row in csv_rows(out)] == [["Lead Number", "Tags", "Notes"], ["1", "Ringing", "quoted, as exported"], ["2", "Busy", "two\nlines"], ["3", "Busy", ""]]


# -- found by an adversarial review of the command line; each failed before its fix ------------
R_YAML = "leadspec: 1\nname: r\nfields:\n  lead_id: {type: string, source: id}\n  employees: {type: integer}\n  note: {type: string}\nstages: [{id: icp, all: [{big: employees >= 50}, {ok: \"note != 'x'\"}]}]\n"


@pytest.fixture
def r_rules(tmp_path: Path) -> str:
    path = tmp_path / "r.yaml"
    path.write_text(R_YAML)
    return str(path)


def test_a_stray_quote_in_an_unquoted_value_does_not_break_the_chunks(r_rules: str, tmp_path: Path, small_batches: None) -> None:
    lines = ["id,employees,note"] + [f"{i},100,plain" for i in range(1, 1300)]
    lines[2] = '2,100,5" screen'
    lines[500] = '500,100,"multi\nline"'
    path = tmp_path / "b1.csv"
    path.write_text("\n".join(lines) + "\n")
    expected = len(list(csv.reader(io.StringIO(path.read_text())))) - 1
    for jobs in ("1", "2"):
        code, out, err = cli("qualify", r_rules, str(path), "--jobs", jobs, *AS_OF)
        assert code == 0, err
        assert err.startswith(f"{expected:,} rows read, {expected:,} written, 0 rejected")
        assert len(csv_rows(out)) == expected + 1


def test_json_lines_split_only_at_line_feeds(r_rules: str, tmp_path: Path, small_batches: None) -> None:
    records = [f'{{"id": "{i}",\r"employees": 100}}' for i in range(1, 1201)]
    path = tmp_path / "b2.jsonl"
    path.write_text("\n".join(records) + "\n")
    code, out, err = cli("qualify", r_rules, str(path), *AS_OF)
    assert code == 0 and err.startswith("1,200 rows read, 1,200 written, 0 rejected")


def test_a_number_cut_at_a_read_boundary_of_a_json_array(tmp_path: Path) -> None:
    from leadspec.cli._io import JsonArrayReader

    head = '[{"a": "' + "x" * 100 + '"}, '
    text = head + '{"n": 1e5}, {"b": 1}, 7]'
    cut = text.index("1e5") + 2  # the first read ends after "1e"
    rows = list(JsonArrayReader(io.StringIO(text), chunk=cut))
    assert [r.lead for r in rows[:3]] == [{"a": "x" * 100}, {"n": 1e5}, {"b": 1}]
    assert rows[3].error == "a lead is a JSON object, not int"


def test_json_to_csv_takes_its_header_from_the_first_valid_record(r_rules: str) -> None:
    text = 'not json\n{"id": "1", "employees": 100}\n{"id": "2", "employees": 10}\n'
    code, out, err = cli("qualify", r_rules, "-", "--input-format", "jsonl", "--output-format", "csv", *AS_OF, stdin=text)
    assert code == 1
    assert [row[:2] for row in csv_rows(out)] == [["id", "employees"], ["1", "100"], ["2", "10"]]
    assert "3 rows read, 2 written, 1 rejected" in err


def test_duplicate_csv_columns_cannot_become_json_keys(r_rules: str) -> None:
    """A duplicated column no field reads (a column the rules read twice is refused in any format: test_finding2_*)."""
    code, out, err = cli("qualify", r_rules, "-", "--input-format", "csv", "--output-format", "jsonl", *AS_OF, stdin="id,employees,note,x,x\n1,100,n,first,second\n")
    assert code == 2 and out == "" and "column 'x' appears more than once in the header; JSON needs one key per column" in err
    code, out, _ = cli("qualify", r_rules, "-", "--input-format", "csv", *AS_OF, stdin="id,employees,note,x,x\n1,100,n,first,second\n")
    assert code == 0 and csv_rows(out)[1][:5] == ["1", "100", "n", "first", "second"]  # CSV keeps both


def test_a_byte_order_mark_on_standard_input_is_dropped(r_rules: str) -> None:
    code, out, err = cli("qualify", r_rules, "-", *AS_OF, stdin="\ufeffid,employees,note\n1,100,a\n")
    assert code == 0, err
    assert csv_rows(out)[0][0] == "id"
    code, out, err = cli("qualify", r_rules, "-", *AS_OF, stdin='\ufeff{"id": "1", "employees": 100, "note": "a"}\n')
    assert code == 0 and json.loads(out)["stage"] == "icp"


def test_blank_lines_before_the_csv_header_are_skipped(r_rules: str) -> None:
    code, out, err = cli("qualify", r_rules, "-", "--input-format", "csv", *AS_OF, stdin="\n\nid,employees,note\n1,100,a\n")
    assert code == 0, err
    assert len(csv_rows(out)) == 2


def test_undecodable_and_truncated_inputs_are_clear_errors(r_rules: str, tmp_path: Path) -> None:
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(R_YAML.replace("note", "n\xf6te").encode("latin-1"))
    code, _, err = cli("diff", r_rules, str(latin))
    assert code == 2 and "not UTF-8 text" in err
    binary = tmp_path / "lead.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    code, _, err = cli("explain", r_rules, str(binary))
    assert code == 2 and "not UTF-8 text" in err
    whole = tmp_path / "s.csv.gz"
    with gzip.open(whole, "wt") as handle:
        handle.write("id,employees,note\n" + "".join(f"{i},{i},n{i}\n" for i in range(20000)))
    truncated = tmp_path / "t.csv.gz"
    truncated.write_bytes(whole.read_bytes()[:2000])
    code, _, err = cli("qualify", r_rules, str(truncated), *AS_OF)
    assert code == 2 and err.startswith(f"{truncated}: cannot read")


def test_rejected_rows_of_a_json_array_are_numbered_from_the_start_of_the_file(r_rules: str, tmp_path: Path, small_batches: None) -> None:
    records = [{"id": str(i), "employees": 100, "note": "a"} if i % 400 else 7 for i in range(1, 1201)]
    path = tmp_path / "leads.json"
    path.write_text(json.dumps(records))
    code, _, err = cli("qualify", r_rules, str(path), "-o", str(tmp_path / "out.json"), *AS_OF)
    assert code == 1
    assert [line.split(" rejected")[0].split(": ")[-1] for line in err.splitlines() if "rejected:" in line] == ["row 400", "row 800", "row 1200"]


def test_csv_chunks_end_where_the_csv_module_ends_records() -> None:
    import random

    from leadspec.cli._io import chunks

    rng = random.Random(20261124)
    cells = ["a", "", '5" screen', '"q"', '"multi\nline"', '"with ""esc"" quote"', '"a,b"', '"\n"', 'tail"', '"x""\n""y"']
    checked = 0
    for _ in range(1500):
        text = "\n".join(",".join(rng.choice(cells) for _ in range(3)) for _ in range(rng.randint(1, 20))) + "\n"
        try:
            expected = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        except csv.Error:
            continue
        pieces = [piece for _, piece in chunks(io.StringIO(text, newline=""), 1, 1, True)]
        got = [row for piece in pieces for row in csv.reader(io.StringIO(piece, newline=""), strict=True)]
        assert got == expected, text
        assert len(pieces) == len(expected)  # one record a piece, when asked for one
        checked += 1
    assert checked > 500
