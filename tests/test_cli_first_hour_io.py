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
