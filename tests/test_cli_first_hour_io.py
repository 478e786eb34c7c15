"""Issue 10, the command line's reading and writing (items 4, 13, 15 and the flags column).

A new user's first exports: a missing column named with a suggestion that
is really close (or none), a ``;``-separated file said once with the option
to use, ``explain`` of one row of an export, JSON written as CSV that reads
back, and rejects that can be fixed and fed in again.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from conftest import SHARED_DATA, cli

AS_OF = ("--as-of", "2026-11-01")

MAVEN = """\
leadspec: 1
name: maven
fields:
  opportunity_id: {type: string}
  product:   {type: string}
  account:   {type: string}
  deal_stage: {type: string}
  close_value: {type: number}
stages:
  - id: icp
    when: account != ''
  - id: sql
    when: deal_stage in ['Engaging', 'Won']
"""

NESTED = """\
leadspec: 1
name: nested
fields:
  employees: {type: integer, source: account.employees}
  sector:    {type: string, source: account.sector}
stages:
  - id: icp
    when: employees >= 50
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def csv_rows(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


# -- item 4: the closest header, and a file split at another delimiter ----------------------


@pytest.mark.parametrize(
    ("source", "header", "suggested"),
    [
        ("account.employees", ["id", "account.name"], None),  # the example: unrelated, not suggested
        ("account.employees", ["account.name", "company.employees"], "company.employees"),  # same last part
        ("employees", ["id", "employes"], "employes"),  # a typo
        ("TotalVisits", ["Total Visits", "Tags"], "Total Visits"),  # case and spaces
        ("total_visits", ["Total Visits"], "Total Visits"),  # punctuation
        ("Lead Quality", ["Lead Number", "Quality"], "Quality"),  # a word dropped
        ("Lead Quality", ["Lead", "Lead Number"], None),  # a short common word is not enough
        ("Lead Source", ["Lead Origin", "Lead Number"], None),
        ("close_value", ["close_date", "deal_stage"], None),
    ],
)
def test_the_closest_header_is_only_a_header_that_is_really_close(source: str, header: list[str], suggested: str | None) -> None:
    from leadspec.cli._io import closest_column

    assert closest_column(source, header) == suggested


def test_a_missing_nested_column_gets_no_unrelated_suggestion(tmp_path: Path) -> None:
    rules = write(tmp_path / "r.yaml", NESTED)
    source = write(tmp_path / "in.csv", "id,account.name,account.sector\n1,Acme,saas\n")
    code, out, err = cli("qualify", rules, source, *AS_OF)
    assert code == 2 and out == ""
    assert err == (
        f"{source}: field 'employees' reads column 'account.employees', which the header does not have\n"
        f"{source}: stopped before reading any row (--allow-missing-columns goes on anyway)\n"
    )


@pytest.mark.parametrize(("sep", "shown"), [(";", "';'"), ("\t", "tab"), ("|", "'|'")])
def test_a_file_split_at_another_delimiter_gets_one_message_with_the_option(tmp_path: Path, sep: str, shown: str) -> None:
    rules = write(tmp_path / "r.yaml", MAVEN)
    source = write(
        tmp_path / "in.csv",
        sep.join(["opportunity_id", "product", "account", "deal_stage", "close_value"]) + "\n" + sep.join(["A1", "GTXPro", "Isdom", "Won", "4514"]) + "\n",
    )
    code, out, err = cli("qualify", rules, source, *AS_OF)
    assert code == 2 and out == ""
    assert err == (
        f"{source}: this looks like a {shown}-separated file: use --delimiter {shown} "
        "(split at ',', its header has none of the columns the rules read)\n"
        f"{source}: stopped before reading any row\n"
    )
    code, out, err = cli("qualify", rules, source, "--delimiter", {"tab": "\\t"}.get(shown, sep), *AS_OF)
    assert code == 0, err
    rows = csv_rows(out, sep)
    assert rows[0][-2:] == ["stage", "reasons"] and rows[1][:6] == ["A1", "GTXPro", "Isdom", "Won", "4514", "sql"]


def test_the_delimiter_hint_looks_only_at_the_header_line() -> None:
    from leadspec.cli._io import looks_delimited

    assert looks_delimited(["a;b;c"], ",", ["a", "c"]) == ";"
    assert looks_delimited(["id;note"], ",", ["x", "y"]) == ";"  # read as one column: the separator it holds
    assert looks_delimited(["a", "b"], ",", ["a", "c"]) is None  # a column the rules read is there
    assert looks_delimited(["x", "y;z"], ",", ["a"]) is None  # two columns and none found by another split
    assert looks_delimited(["a,b"], ";", ["a", "b"]) == ","


@pytest.mark.parametrize(("given", "char"), [(";", ";"), ("\\t", "\t"), ("tab", "\t"), ("TAB", "\t"), ("\t", "\t"), ("|", "|"), (",", ",")])
def test_delimiter_accepts_the_usual_spellings(tmp_path: Path, given: str, char: str) -> None:
    rules = write(tmp_path / "r.yaml", MAVEN)
    source = write(tmp_path / "in.csv", char.join(["opportunity_id", "account", "deal_stage"]) + "\n" + char.join(["A1", "Isdom", "Won"]) + "\n")
    code, out, err = cli("qualify", rules, source, "--delimiter", given, "--allow-missing-columns", *AS_OF)
    assert code == 0, err
    assert csv_rows(out, char)[1] == ["A1", "Isdom", "Won", "sql", csv_rows(out, char)[1][4]]


def test_an_unknown_delimiter_is_a_usage_error(tmp_path: Path) -> None:
    rules = write(tmp_path / "r.yaml", MAVEN)
    code, out, err = cli("qualify", rules, write(tmp_path / "in.csv", "a\n"), "--delimiter", "::")
    assert code == 2
    assert "Invalid value for '--delimiter': '::' is not a delimiter leadspec reads: use ',', ';', '|' or tab (also written '\\t')" in err


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_semicolon_file_keeps_its_delimiter_quoting_and_rejects(tmp_path: Path, jobs: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    monkeypatch.setattr(importlib.import_module("leadspec.cli.qualify"), "BATCH", 2)  # several batches, cut where one process would cut them
    rules = write(tmp_path / "r.yaml", MAVEN)
    text = (
        "opportunity_id;product;account;deal_stage;close_value\n"
        'A1;"GTX; Plus";Isdom;Won;4514\n'
        "A2;GTXPro;Cancity;Lost\n"  # a value short
        'A3;"MG\nSpecial";;Engaging;10\n'
        "A4;GTXPro;Acme;Won;1,5\n"  # a comma is no separator here
    )
    source = write(tmp_path / "in.csv", text)
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = cli("qualify", rules, source, "--delimiter", ";", "--rejects", rejects, "--jobs", jobs, *AS_OF)
    assert code == 1, err
    rows = csv_rows(out, ";")
    assert [row[:6] for row in rows[1:]] == [
        ["A1", "GTX; Plus", "Isdom", "Won", "4514", "sql"],
        ["A3", "MG\nSpecial", "", "Engaging", "10", "lead"],
        ["A4", "GTXPro", "Acme", "Won", "1,5", "sql"],
    ]
    [reject] = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert (reject["line"], reject["reason"], reject["text"]) == (3, "4 values but the header has 5 columns", "A2;GTXPro;Cancity;Lost")


def test_the_maven_pipeline_saved_with_semicolons(tmp_path: Path) -> None:
    """The real Maven CRM export, re-saved as a European spreadsheet does: one message, then read with --delimiter."""
    pipeline = SHARED_DATA / "maven-crm" / "sales_pipeline.csv"
    if not pipeline.exists():
        pytest.skip("the Maven CRM export is not in ../shared/data (a public data set: Maven Analytics' CRM Sales Opportunities)")
    with pipeline.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))[:201]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    source = write(tmp_path / "pipeline.csv", buffer.getvalue())
    rules = write(tmp_path / "r.yaml", MAVEN)
    code, out, err = cli("qualify", rules, source, *AS_OF)
    assert code == 2
    assert err.count("\n") == 2 and "this looks like a ';'-separated file: use --delimiter ';'" in err
    assert "which the header does not have" not in err
    code, out, err = cli("qualify", rules, source, "--delimiter", ";", *AS_OF)
    assert code == 0, err
    assert err.startswith("200 rows read, 200 written, 0 rejected")


# -- item 13: explain one row of an export -----------------------------------------------------

IDS = """\
leadspec: 1
name: ids
fields:
  lead_number: {type: integer, source: "Lead Number", role: id}
  employees: {type: integer}
  sector:    {type: string, source: account.sector}
stages:
  - id: icp
    when: employees >= 50
  - id: mql
    when: sector == 'saas'
"""

NO_ID = IDS.replace(", role: id", "")

EXPORT_CSV = 'Lead Number,employees,account\n101,10,\n102,60,"{""sector"": ""saas""}"\n103,70,\n102,5,\n'
EXPORT_LEADS = [
    {"Lead Number": 101, "employees": 10},
    {"Lead Number": 102, "employees": 60, "account": {"sector": "saas"}},
    {"Lead Number": 103, "employees": 70},
    {"Lead Number": 102, "employees": 5},
]


def exports(tmp_path: Path) -> dict[str, Path]:
    return {
        "csv": write(tmp_path / "export.csv", EXPORT_CSV),
        "jsonl": write(tmp_path / "export.jsonl", "".join(json.dumps(lead) + "\n" for lead in EXPORT_LEADS)),
        "json": write(tmp_path / "export.json", json.dumps(EXPORT_LEADS, indent=1)),
    }


def employees(result: dict | None) -> object:
    """The employees value the first criterion read."""
    assert result is not None
    return result["criteria"][0]["values"]["employees"]


def explained(*argv: object, stdin: str = "") -> tuple[int, dict | None, str]:
    code, out, err = cli("explain", *argv, "--json", *AS_OF, stdin=stdin)
    return code, (json.loads(out) if out else None), err


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_explain_picks_a_row_of_an_export_by_number(tmp_path: Path, fmt: str) -> None:
    rules = write(tmp_path / "r.yaml", IDS)
    export = exports(tmp_path)[fmt]
    code, result, err = explained(rules, export, "--row", "2")
    assert (code, err) == (0, "")
    assert result is not None and result["stage"] == "mql"  # a CSV's column of JSON objects is read as qualify reads it
    assert employees(result) == 60
    code, result, err = explained(rules, export, "--row", "1")
    assert code == 0 and result is not None and result["stage"] == "lead"


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_explain_without_row_or_id_says_how_to_pick_one(tmp_path: Path, fmt: str) -> None:
    rules = write(tmp_path / "r.yaml", IDS)
    export = exports(tmp_path)[fmt]
    code, out, err = cli("explain", rules, export, *AS_OF)
    kind = {"csv": "a CSV export", "jsonl": "a JSON Lines export", "json": "a JSON array"}[fmt]
    assert (code, out) == (2, "")
    assert err == f"{export}: this is {kind} with 4 rows: pick one with --row N or --id VALUE\n"


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_explain_by_id_finds_the_lead_says_how_many_matched_or_that_none_did(tmp_path: Path, fmt: str) -> None:
    rules = write(tmp_path / "r.yaml", IDS)
    export = exports(tmp_path)[fmt]
    code, result, err = explained(rules, export, "--id", "103")
    assert (code, err) == (0, "")
    assert result is not None and result["stage"] == "icp" and employees(result) == 70
    code, result, err = explained(rules, export, "--id", "102")
    assert code == 0 and employees(result) == 60  # the first of the two
    assert err == f"{export}: 2 leads have Lead Number = 102 (rows 2 and 4): explained the first, row 2\n"
    code, result, err = explained(rules, export, "--id", "123")
    assert (code, result) == (2, None)
    assert err == f"no lead with Lead Number = 123 in {export} (4 rows read)\n"


def test_explain_by_id_uses_id_field_when_the_rules_name_none(tmp_path: Path) -> None:
    rules = write(tmp_path / "r.yaml", NO_ID)
    export = exports(tmp_path)["csv"]
    code, out, err = cli("explain", rules, export, "--id", "103", *AS_OF)
    assert code == 2
    assert "--id needs to know which column holds the id: mark a field with `role: id` in the rules, or pass --id-field COLUMN" in err
    code, result, err = explained(rules, export, "--id", "103", "--id-field", "Lead Number")
    assert code == 0 and employees(result) == 70
    code, result, err = explained(rules, export, "--id", "103", "--id-field", "lead_number")  # a field's name stands for its column
    assert code == 0 and employees(result) == 70
    code, out, err = cli("explain", rules, export, "--id", " ", "--id-field", "Lead Number", *AS_OF)
    assert (code, out) == (2, "") and "--id needs a value: the id of the lead to explain" in err  # was a lead without an id
    code, out, err = cli("explain", rules, export, "--id", "103", "--id-field", "Lead Numbr", *AS_OF)
    assert (code, out) == (2, "")
    assert err == f"{export}: --id looks in column 'Lead Numbr', which the header does not have; the closest header is 'Lead Number'\n"


def test_explain_row_past_the_end_and_a_broken_row_are_said_plainly(tmp_path: Path) -> None:
    rules = write(tmp_path / "r.yaml", IDS)
    export = write(tmp_path / "export.csv", "Lead Number,employees\n1,60\n2,60,extra\n")
    warning = f"{export}: warning: field 'sector' reads column 'account.sector', which the header does not have\n"  # as qualify says
    code, out, err = cli("explain", rules, export, "--row", "3", *AS_OF)
    assert (code, out, err) == (2, "", f"{warning}{export}: no row 3: a CSV export with 2 rows after its header\n")
    code, out, err = cli("explain", rules, export, "--row", "2", *AS_OF)
    assert (code, out, err) == (2, "", f"{warning}{export}:3: row 2 is not a lead: 3 values but the header has 2 columns\n")
    code, out, err = cli("explain", rules, export, "--row", "0", *AS_OF)
    assert code == 2 and "Invalid value for '--row'" in err
    code, out, err = cli("explain", rules, export, "--row", "1", "--id", "1", *AS_OF)
    assert code == 2 and "give --row N or --id VALUE, not both" in err


def test_explain_of_one_lead_works_as_before(tmp_path: Path) -> None:
    rules = write(tmp_path / "r.yaml", IDS)
    pretty = write(tmp_path / "lead.json", json.dumps({"employees": 60}, indent=2))
    code, result, err = explained(rules, pretty)
    assert code == 0 and result is not None and result["stage"] == "icp"
    code, result, err = explained(rules, stdin='{"employees": 60}')
    assert code == 0 and result is not None and result["stage"] == "icp"
    one_row = write(tmp_path / "one.csv", "Lead Number,employees\n7,60\n")  # a single lead needs no --row
    code, result, err = explained(rules, one_row)
    assert code == 0 and employees(result) == 60
    code, out, err = cli("explain", rules, "-", "--row", "2", "--input-format", "csv", *AS_OF, stdin="Lead Number,employees\n7,60\n8,10\n")
    assert code == 0 and out.startswith("Lead\n")


def test_explain_a_row_of_the_real_x_education_sample() -> None:
    from conftest import ROOT

    rules, sample = ROOT / "rules" / "x-education.yaml", ROOT / "examples" / "x-education-sample.csv"
    with sample.open(encoding="utf-8", newline="") as f:
        twelfth = list(csv.DictReader(f))[11]
    import leadspec

    expected = leadspec.load(rules).evaluate(twelfth, as_of="2026-11-01").to_dict()
    code, result, err = explained(rules, sample, "--row", "12")
    assert (code, err) == (0, "") and result == expected
    code, result, err = explained(rules, sample, "--id", twelfth["Lead Number"], "--id-field", "Lead Number")
    assert (code, err) == (0, "") and result == expected


# -- item 15: JSON written as CSV reads back; rejects as CSV ------------------------------------

NESTED_LEADS = [
    {"id": "1", "account": {"employees": 60, "sector": "saas", "hq": {"city": "Lyon"}}, "tags": ["a", "b"]},
    {"id": "2", "account": {"employees": "many", "sector": "retail"}},
    {"id": "3", "account": None, "tags": []},
    {"id": "4", "account": {"employees": 49}},
]


def test_json_written_as_csv_has_dotted_columns_that_the_same_rules_read_again(tmp_path: Path) -> None:
    rules = write(tmp_path / "r.yaml", NESTED)
    source = write(tmp_path / "in.jsonl", "".join(json.dumps(lead) + "\n" for lead in NESTED_LEADS))
    first = tmp_path / "first.csv"
    code, out, err = cli("qualify", rules, source, "-o", first, *AS_OF)  # the format follows -o's extension
    assert code == 0, err
    rows = csv_rows(first.read_text(encoding="utf-8"))
    assert rows[0] == ["id", "account.employees", "account.sector", "account.hq.city", "tags", "stage", "reasons"]
    assert rows[1][:5] == ["1", "60", "saas", "Lyon", '["a", "b"]']
    assert rows[3][:5] == ["3", "", "", "", "[]"]
    again = tmp_path / "again.jsonl"
    code, out, err = cli("qualify", rules, first, "-o", again, "--stage-column", "stage2", "--reasons-column", "reasons2", *AS_OF)
    assert code == 0, err  # no missing column: account.employees is a column of its own now
    back = [json.loads(line) for line in again.read_text(encoding="utf-8").splitlines()]
    assert [lead["stage2"] for lead in back] == [lead["stage"] for lead in back] == ["icp", "lead", "lead", "lead"]
    assert [lead["reasons2"] for lead in back] == [lead["reasons"] for lead in back]


def test_a_later_record_with_a_nested_key_the_first_lacked_is_rejected_by_its_dotted_name(tmp_path: Path) -> None:
    rules = write(tmp_path / "r.yaml", NESTED)
    leads = [{"id": "1", "account": {"employees": 60}}, {"id": "2", "account": {"employees": 70, "sector": "saas"}}]
    source = write(tmp_path / "in.json", json.dumps(leads))
    code, out, err = cli("qualify", rules, source, "--output-format", "csv", *AS_OF)
    assert code == 1
    assert csv_rows(out)[0] == ["id", "account.employees", "stage", "reasons"]
    assert "row 2 rejected: 'account.sector' is not a column of the CSV output (its columns come from the first record)" in err


def test_an_empty_nested_object_loses_nothing_and_is_no_column(tmp_path: Path) -> None:
    rules = write(tmp_path / "r.yaml", NESTED)
    leads = [{"id": "1", "account": {"employees": 60}}, {"id": "2", "account": {}}, {"id": "3", "account": {"employees": 3}, "meta": {}}]
    source = write(tmp_path / "in.jsonl", "".join(json.dumps(lead) + "\n" for lead in leads))
    code, out, err = cli("qualify", rules, source, "--output-format", "csv", *AS_OF)
    assert code == 0, err  # was "row 2 rejected: 'account' is not a column of the CSV output"
    rows = csv_rows(out)
    assert rows[0] == ["id", "account.employees", "stage", "reasons"]
    assert [row[:2] for row in rows[1:]] == [["1", "60"], ["2", ""], ["3", "3"]]


def test_a_dotted_key_and_the_same_nested_key_cannot_share_a_column(tmp_path: Path) -> None:
    rules = write(tmp_path / "r.yaml", NESTED)
    text = '{"id": "1", "account": {"employees": 60}}\n{"id": "2", "account.employees": 1, "account": {"employees": 70}}\n'
    code, out, err = cli("qualify", rules, "-", "--input-format", "jsonl", "--output-format", "csv", *AS_OF, stdin=text)
    assert code == 1
    assert "row 2 rejected: 'account.employees' is both a key and the path of a nested key" in err
    assert len(csv_rows(out)) == 2


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_csv_rejects_keep_the_input_header_and_text_so_they_can_be_fixed_and_fed_in(tmp_path: Path, jobs: str) -> None:
    rules = write(tmp_path / "r.yaml", NESTED.replace("source: account.employees", "source: Employees").replace("source: account.sector", "default: ''"))
    source = write(tmp_path / "in.csv", 'id;Employees;note\n1;60;a\n2;many;"b;c"\n3;70\n4;80;"open\n')
    rejects = tmp_path / "rejects.csv"
    code, out, err = cli("qualify", rules, source, "--delimiter", ";", "--strict", "--rejects", rejects, "--jobs", jobs, *AS_OF)
    assert code == 1, err
    assert rejects.read_text(encoding="utf-8").splitlines() == [
        "reject_row;reject_line;reject_reason;id;Employees;note",
        "2;3;employees: not an integer ('many');2;many;\"b;c\"",
        "3;4;2 values but the header has 3 columns;3;70",
        "4;5;malformed CSV (line 5): unexpected end of data;4;80;\"open",
    ]
    fixed = write(tmp_path / "fixed.csv", rejects.read_text(encoding="utf-8").replace("many", "90").replace(";3;70", ";3;70;x").replace('"open', '"open"'))
    code, out, err = cli("qualify", rules, fixed, "--delimiter", ";", "--strict", *AS_OF)
    assert code == 0, err
    assert [row[3:5] + row[-2:-1] for row in csv_rows(out, ";")[1:]] == [["2", "90", "icp"], ["3", "70", "icp"], ["4", "80", "icp"]]


def test_csv_rejects_need_csv_input(tmp_path: Path) -> None:
    rules = write(tmp_path / "r.yaml", NESTED)
    source = write(tmp_path / "in.jsonl", '{"id": "1"}\n')
    code, out, err = cli("qualify", rules, source, "--rejects", tmp_path / "rejects.csv", *AS_OF)
    assert (code, out) == (2, "")
    assert err == f"{tmp_path / 'rejects.csv'}: --rejects writes a CSV only for CSV input (its rows, under the input's header); name it .jsonl for jsonl input\n"
    assert not (tmp_path / "rejects.csv").exists()


def test_csv_rejects_refuse_an_input_column_named_like_theirs(tmp_path: Path) -> None:
    rules = write(tmp_path / "r.yaml", IDS)
    source = write(tmp_path / "in.csv", "Lead Number,employees,account.sector,reject_reason\n1,60,saas,\n2,lots,saas,\n")
    code, out, err = cli("qualify", rules, source, "--strict", "--rejects", tmp_path / "rejects.csv", *AS_OF)
    assert (code, out) == (2, "")  # was a rejects file with two reject_reason columns, which could not be read again
    assert err == (
        f"{source}: the column 'reject_reason' has the name of a column --rejects {tmp_path / 'rejects.csv'} adds before the input's own; "
        "rename it in the export, or write the rejects as JSON Lines (--rejects NAME.jsonl)\n"
    )
    assert not (tmp_path / "rejects.csv").exists()
    code, _, err = cli("qualify", rules, source, "--strict", "--rejects", tmp_path / "rejects.jsonl", "-o", tmp_path / "out.csv", *AS_OF)
    assert code == 1 and (tmp_path / "rejects.jsonl").exists()  # JSON Lines rejects keep the row as an object: no clash


# -- the flags of the rules in qualify's output ---------------------------------------------------

FLAGS = """\
leadspec: 1
name: flags
fields:
  employees: {type: integer}
  deal_stage: {type: string}
  partner: {type: boolean}
flags:
  customer: deal_stage == 'Won'
  partner_account: partner
stages:
  - id: icp
    when: employees >= 50 and not customer
"""

FLAGGED = "employees,deal_stage,partner\n60,Won,true\n70,Lost,false\n10,,\n"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_qualify_writes_a_column_per_flag_in_csv(tmp_path: Path, jobs: str) -> None:
    rules = write(tmp_path / "r.yaml", FLAGS)
    code, out, err = cli("qualify", rules, write(tmp_path / "in.csv", FLAGGED), "--jobs", jobs, *AS_OF)
    assert code == 0, err
    rows = csv_rows(out)
    assert rows[0] == ["employees", "deal_stage", "partner", "stage", "reasons", "flags.customer", "flags.partner_account"]
    assert [row[3:4] + row[5:] for row in rows[1:]] == [["lead", "true", "true"], ["icp", "false", "false"], ["lead", "", ""]]


def test_qualify_writes_the_flags_as_an_object_in_json(tmp_path: Path) -> None:
    rules = write(tmp_path / "r.yaml", FLAGS)
    code, out, err = cli("qualify", rules, write(tmp_path / "in.csv", FLAGGED), "--output-format", "jsonl", "--details", *AS_OF)
    assert code == 0, err
    leads = [json.loads(line) for line in out.splitlines()]
    assert [lead["flags"] for lead in leads] == [
        {"customer": True, "partner_account": True},
        {"customer": False, "partner_account": False},
        {"customer": None, "partner_account": None},
    ]
    assert [lead["details"]["flags"] for lead in leads] == [lead["flags"] for lead in leads]


def test_rules_without_flags_add_no_flags_column(tmp_path: Path) -> None:
    rules = write(tmp_path / "r.yaml", MAVEN)
    code, out, err = cli("qualify", rules, write(tmp_path / "in.csv", "opportunity_id,product,account,deal_stage,close_value\nA,B,C,Won,1\n"), *AS_OF)
    assert code == 0 and csv_rows(out)[0][-2:] == ["stage", "reasons"]


def test_flags_of_qualify_s_own_output_need_flags_column_to_be_read_again(tmp_path: Path) -> None:
    rules = write(tmp_path / "r.yaml", FLAGS)
    first = tmp_path / "first.csv"
    code, _, err = cli("qualify", rules, write(tmp_path / "in.csv", FLAGGED), "-o", first, *AS_OF)
    assert code == 0, err
    code, out, err = cli("qualify", rules, first, "--stage-column", "s2", "--reasons-column", "r2", *AS_OF)
    assert (code, out) == (2, "")
    assert (
        "the input has columns 'flags.customer', 'flags.partner_account', which qualify adds; it is never overwritten: "
        "name the added columns with --flags-column NAME (e.g. --flags-column leadspec_flags)"
    ) in err
    code, out, err = cli("qualify", rules, first, "--stage-column", "s2", "--reasons-column", "r2", "--flags-column", "f2", *AS_OF)
    assert code == 0, err
    header, *rows = csv_rows(out)
    assert header[-4:] == ["s2", "r2", "f2.customer", "f2.partner_account"]
    assert [row[5:7] for row in rows] == [row[-2:] for row in rows]  # the same flags again
    jsonl = "".join(json.dumps({"employees": 60, "flags": "x"}) + "\n" for _ in range(2))
    code, out, err = cli("qualify", rules, "-", "--input-format", "jsonl", *AS_OF, stdin=jsonl)
    assert code == 2 and "has a key 'flags', which qualify adds; it is never overwritten: name the added key with --flags-column NAME" in err


def test_the_summary_names_every_stage_an_empty_one_too(tmp_path: Path) -> None:
    rules = write(tmp_path / "r.yaml", "leadspec: 1\nname: s\nfields:\n  n: {type: integer}\nstages:\n  - {id: icp, when: n > 1}\n  - {id: mql, when: n > 100}\n  - {id: sql, when: n > 1000}\n")
    leads = write(tmp_path / "in.csv", "n\n5\n2000\n0\n")
    code, _, err = cli("qualify", rules, leads, "-o", tmp_path / "out.csv", *AS_OF)
    assert code == 0
    assert err.splitlines()[0] == "3 rows read, 3 written, 0 rejected (lead 1, icp 1, mql 0, sql 1)"  # was "(lead 1, icp 1, sql 1)": mql 0 is news


def test_explain_by_id_names_an_id_that_differs_only_in_case(tmp_path: Path) -> None:
    rules = write(tmp_path / "r.yaml", "leadspec: 1\nname: o\nfields:\n  opp: {type: string, source: opportunity_id, role: id}\n  n: {type: integer}\nstages:\n  - {id: icp, when: n > 1}\n")
    export = write(tmp_path / "o.csv", "opportunity_id,n\nUKXRWZ3P,5\n")
    code, out, err = cli("explain", rules, export, "--id", "ukxrwz3p", *AS_OF)
    assert (code, out) == (2, "")  # ids are matched exactly, but the message says which one was meant
    assert err == f"no lead with opportunity_id = ukxrwz3p in {export} (1 row read); did you mean --id UKXRWZ3P? (ids are matched exactly)\n"
