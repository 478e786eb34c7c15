"""``leadspec qualify --previous LAST_OUTPUT --key COLUMN`` (issue 12): the hand-off between two runs.

Expected values are worked out by hand from the small rule file below, or,
on the real export, computed independently with ``Ruleset.stage``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import sqlite3
import tempfile
from pathlib import Path

import pytest

import leadspec
from conftest import ROOT, SHARED_DATA, cli

RULES = """\
leadspec: 1
name: p
fields:
  employees: {type: integer}
  demo: {type: boolean}
  budget: {type: boolean}
  student: {type: boolean}
  touched_at: {type: datetime, role: touched}
disqualify:
  - {id: student, when: student}
stages:
  - {id: icp, when: employees >= 50, owner: marketing}
  - {id: mql, when: demo, owner: sdr, sla: 15m}
  - {id: sql, when: budget, owner: ae, sla: 4h}
"""
HEADER = ["id", "employees", "demo", "budget", "student", "touched_at"]
ADDED = ["stage", "reasons", "previous_stage", "stage_since", "owner", "due_by", "handoff"]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def previous_output(path: Path, *leads: tuple[str, str, str, str, str, str]) -> Path:
    """A previous output of qualify, a lead a row: (id, stage, stage_since, owner, due_by, handoff); the input's cells and
    the reasons empty (--previous reads only the key, the stage and stage_since)."""
    return write_csv(path, [[key, "", "", "", "", "", stage, "", "", *rest] for key, stage, *rest in leads], HEADER + ADDED)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(RULES)
    return path


def day(tmp_path: Path, rules: Path, name: str, rows: list[list[str]], as_of: str, previous: Path | None, *extra: str | Path) -> tuple[int, list[dict[str, str]], str]:
    source = write_csv(tmp_path / f"{name}-in.csv", rows)
    out = tmp_path / f"{name}.csv"
    args = ["qualify", rules, source, "-o", out, "--as-of", as_of]
    if previous is not None:
        args += ["--previous", previous, "--key", "id"]
    code, _, err = cli(*args, *extra)
    return code, read_csv(out) if out.exists() else [], err


def test_two_days_every_direction(rules: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    one = [
        ["a", "100", "yes", "yes", "", ""],  # sql
        ["b", "100", "yes", "", "", ""],  # mql
        ["c", "100", "", "", "", ""],  # icp
        ["d", "10", "", "", "", ""],  # lead
        ["e", "100", "yes", "", "", ""],  # mql
        ["f", "100", "yes", "yes", "", ""],  # sql, gone on day two
    ]
    code, first, err = day(tmp_path, rules, "day1", one, "2026-11-01T09:00:00Z", empty)
    assert code == 0, err
    assert list(first[0]) == HEADER + ADDED
    assert [(r["id"], r["stage"], r["previous_stage"], r["stage_since"], r["owner"], r["due_by"], r["handoff"]) for r in first] == [
        ("a", "sql", "", "2026-11-01T09:00:00Z", "ae", "2026-11-01T13:00:00Z", "new"),
        ("b", "mql", "", "2026-11-01T09:00:00Z", "sdr", "2026-11-01T09:15:00Z", "new"),
        ("c", "icp", "", "2026-11-01T09:00:00Z", "marketing", "", "new"),
        ("d", "lead", "", "2026-11-01T09:00:00Z", "", "", "new"),
        ("e", "mql", "", "2026-11-01T09:00:00Z", "sdr", "2026-11-01T09:15:00Z", "new"),
        ("f", "sql", "", "2026-11-01T09:00:00Z", "ae", "2026-11-01T13:00:00Z", "new"),
    ]
    assert "hand-off: new 6, unchanged 0" in err
    assert "due, not yet touched: ae 2 (0 overdue), sdr 2 (0 overdue)" in err
    two = [
        ["a", "100", "yes", "", "", ""],  # sql -> mql: down
        ["b", "100", "yes", "yes", "", ""],  # mql -> sql: up
        ["c", "100", "", "", "yes", ""],  # icp -> disqualified: down
        ["d", "10", "", "", "", ""],  # lead, same
        ["e", "100", "yes", "", "", "2026-11-01T09:10:00Z"],  # mql, same, touched in time
        ["g", "100", "", "", "", ""],  # new
    ]
    code, second, err = day(tmp_path, rules, "day2", two, "2026-11-02T08:00:00Z", tmp_path / "day1.csv")
    assert code == 0, err
    assert [(r["id"], r["stage"], r["previous_stage"], r["stage_since"], r["owner"], r["due_by"], r["handoff"]) for r in second] == [
        ("a", "mql", "sql", "2026-11-02T08:00:00Z", "sdr", "2026-11-02T08:15:00Z", "down"),
        ("b", "sql", "mql", "2026-11-02T08:00:00Z", "ae", "2026-11-02T12:00:00Z", "up"),
        ("c", "disqualified", "icp", "2026-11-02T08:00:00Z", "", "", "down"),
        ("d", "lead", "lead", "2026-11-01T09:00:00Z", "", "", "same"),
        ("e", "mql", "mql", "2026-11-01T09:00:00Z", "sdr", "2026-11-01T09:15:00Z", "same"),
        ("g", "icp", "", "2026-11-02T08:00:00Z", "marketing", "", "new"),
    ]
    assert "hand-off: new 1, icp → disqualified 1, mql → sql 1, sql → mql 1, unchanged 2" in err
    assert "due, not yet touched: ae 1 (0 overdue), sdr 1 (0 overdue)" in err  # e was touched: not waiting
    assert "1 lead of the previous output is not in this input (--removed FILE lists them)" in err


def test_overdue_and_the_work_queue(rules: Path, tmp_path: Path) -> None:
    previous = previous_output(
        tmp_path / "prev.csv",
        ("a", "sql", "2026-11-01T08:00:00Z", "ae", "2026-11-01T12:00:00Z", "new"),
        ("b", "mql", "2026-11-01T08:00:00Z", "sdr", "2026-11-01T08:15:00Z", "new"),
        ("x", "icp", "2026-10-01T00:00:00Z", "marketing", "", "new"),
    )
    rows = [["a", "100", "yes", "yes", "", ""], ["b", "100", "yes", "yes", "", ""], ["n", "10", "", "", "", ""]]
    removed = tmp_path / "removed.csv"
    code, out, err = day(tmp_path, rules, "q", rows, "2026-11-01T13:00:00Z", previous, "--only-changed", "--removed", removed)
    assert code == 0, err
    assert [(r["id"], r["handoff"]) for r in out] == [("b", "up"), ("n", "new")]  # a stayed: not in the work queue
    assert "3 rows read, 2 written, 0 rejected (disqualified 0, lead 1, icp 0, mql 0, sql 2); 1 unchanged, not written (--only-changed)" in err
    assert "due, not yet touched: ae 2 (1 overdue)" in err  # a: due 12:00, 13:00 now; b: due 17:00
    assert read_csv(removed) == [{"id": "x", "previous_stage": "icp", "stage_since": "2026-10-01T00:00:00Z"}]
    assert "written to" in err


def test_duplicate_keys_are_reported_not_merged(rules: Path, tmp_path: Path) -> None:
    previous = previous_output(
        tmp_path / "prev.csv",
        ("a", "sql", "2026-11-01T08:00:00Z", "ae", "", "new"),
        ("a", "mql", "2026-11-01T08:00:00Z", "sdr", "", "new"),
        ("b", "icp", "2026-11-01T08:00:00Z", "marketing", "", "new"),
    )
    rows = [["a", "100", "", "", "", ""], ["b", "100", "", "", "", ""], ["b", "100", "yes", "", "", ""]]
    code, out, err = day(tmp_path, rules, "dup", rows, "2026-11-02T00:00:00Z", previous)
    assert code == 1  # a row was rejected
    assert [(r["id"], r["stage"], r["handoff"]) for r in out] == [("b", "icp", "same"), ("b", "mql", "up")]
    assert "row 1 rejected: key 'a' is on 2 rows of the previous output" in err and "its previous stage is ambiguous" in err
    assert "warning: 1 key of the input is on more than one row ('b'); each is written with its own stage" in err
    assert "is on more than one row ('a'); a lead of the input with one of them is rejected: its previous stage is ambiguous" in err
    assert "(first on line 2)" in err
    assert "3 rows read, 2 written, 1 rejected" in err


def test_a_row_without_a_key_and_a_previous_stage_the_rules_lack_are_rejected(rules: Path, tmp_path: Path) -> None:
    previous = previous_output(tmp_path / "prev.csv", ("a", "opportunity", "", "", "", "new"))
    rows = [["a", "100", "", "", "", ""], ["", "100", "", "", "", ""], ["c", "100", "", "", "", ""]]
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = day(tmp_path, rules, "bad", rows, "2026-11-02T00:00:00Z", previous, "--rejects", rejects)
    assert code == 1
    assert [r["id"] for r in out] == ["c"]
    reasons = [json.loads(line)["reason"] for line in rejects.read_text().splitlines()]
    assert reasons[0].startswith("previous stage 'opportunity' is not a stage of p (its stages: disqualified, lead, icp, mql, sql)")
    assert reasons[0].endswith(f"(from line 2 of the previous output {previous})")
    assert reasons[1] == "no value in the key column 'id': the lead cannot be matched with the previous run"


def test_json_lines_in_and_out_with_numbers_as_keys(rules: Path, tmp_path: Path) -> None:
    previous = tmp_path / "prev.jsonl"
    previous.write_text(json.dumps({"id": 7, "stage": "mql", "stage_since": "2026-11-01T08:00:00Z"}) + "\n")
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "7", "employees": 100, "demo": True}) + "\n" + json.dumps({"id": 8, "employees": 1}) + "\n")
    out = tmp_path / "out.jsonl"
    code, _, err = cli("qualify", rules, source, "-o", out, "--as-of", "2026-11-01T09:00:00Z", "--previous", previous, "--key", "id")
    assert code == 0, err
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert {k: got[0][k] for k in ADDED[2:]} == {
        "previous_stage": "mql",
        "stage_since": "2026-11-01T08:00:00Z",
        "owner": "sdr",
        "due_by": "2026-11-01T08:15:00Z",
        "handoff": "same",
    }
    assert (got[1]["handoff"], got[1]["previous_stage"], got[1]["owner"]) == ("new", None, None)


def test_usage_errors(rules: Path, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [["a", "100", "", "", "", ""]])
    previous = write_csv(tmp_path / "prev.csv", [["a", "", "", "", "", "", "icp", ""]], HEADER + ["stage", "reasons"])
    code, _, err = cli("qualify", rules, source, "--previous", previous)
    assert code == 2 and "--previous needs --key COLUMN" in err
    code, _, err = cli("qualify", rules, source, "--key", "id")
    assert code == 2 and "--key goes with --previous LAST_OUTPUT" in err
    code, _, err = cli("qualify", rules, source, "--previous", previous, "--key", "ID")
    assert code == 2 and "--key 'ID' is not a column of the input (did you mean 'id'?)" in err
    code, _, err = cli("qualify", rules, source, "--previous", previous, "--key", "id", "-o", previous)
    assert code == 2 and "-o/--output is the --previous file; an input is never overwritten" in err
    assert read_csv(previous)[0]["stage"] == "icp"  # untouched
    code, _, err = cli("qualify", rules, source, "--previous", previous, "--key", "id", "--engine", "duckdb")
    assert code == 2 and "--previous runs on the Python engine" in err
    parquet = tmp_path / "in.parquet"
    parquet.write_bytes(b"PAR1")  # refused before it is read: the Python engine reads no Parquet (it ran on DuckDB, without the hand-off)
    code, _, err = cli("qualify", rules, parquet, "--previous", previous, "--key", "id")
    assert code == 2 and "--previous runs on the Python engine, which reads and writes CSV and JSON, not Parquet" in err
    code, _, err = cli("qualify", rules, source, "-o", tmp_path / "out.parquet", "--columns", "stage")
    assert code == 2 and "--columns runs on the Python engine, which reads and writes CSV and JSON, not Parquet" in err
    no_stage = write_csv(tmp_path / "plain.csv", [["a"]], ["id"])
    code, _, err = cli("qualify", rules, source, "--previous", no_stage, "--key", "id")
    assert code == 2 and "the previous output has no column 'stage'" in err
    taken = write_csv(tmp_path / "owner.csv", [["a", "100", "x"]], ["id", "employees", "owner"])
    code, _, err = cli("qualify", rules, taken, "--previous", previous, "--key", "id", "--allow-missing-columns")
    assert code == 2 and "the input has a column 'owner', which qualify adds; it is never overwritten: rename it in the export\n" in err


def test_a_previous_output_without_stage_since_is_said(rules: Path, tmp_path: Path) -> None:
    previous = write_csv(tmp_path / "prev.csv", [["a", "", "", "", "", "", "icp", ""]], HEADER + ["stage", "reasons"])
    code, out, err = day(tmp_path, rules, "plain", [["a", "100", "", "", "", ""]], "2026-11-02T00:00:00Z", previous)
    assert code == 0
    assert (out[0]["handoff"], out[0]["stage_since"]) == ("same", "")
    assert "has no stage_since column (it was written without --previous)" in err


def test_workers_give_the_same_output(rules: Path, tmp_path: Path) -> None:
    rng = random.Random(12)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    rows = [[f"k{i}", str(rng.choice([5, 60, 200])), rng.choice(["", "yes", "no"]), rng.choice(["", "yes"]), rng.choice(["", "", "yes"]), ""] for i in range(5000)]
    code, _, err = day(tmp_path, rules, "base", rows, "2026-11-01T00:00:00Z", empty)
    assert code == 0, err
    edited = [[r[0], r[1], rng.choice(["", "yes"]), r[3], r[4], r[5]] for r in rows[:4500]]
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"j{jobs}.csv"
        code, _, err = cli("qualify", rules, write_csv(tmp_path / "e.csv", edited), "-o", out, "--as-of", "2026-11-02T00:00:00Z",
                           "--previous", tmp_path / "base.csv", "--key", "id", "--jobs", jobs)
        assert code == 0, err
        assert "500 leads of the previous output are not in this input" in err
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


@pytest.mark.skipif(not (SHARED_DATA / "x-education-leads.csv").exists(), reason="the real export is in ../shared/data")
def test_the_real_export_twice_keeps_every_since_and_moves_exactly_the_edited_leads(tmp_path: Path) -> None:
    rules_path = ROOT / "rules" / "x-education.yaml"
    export = SHARED_DATA / "x-education-leads.csv"
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    first, second, third = tmp_path / "d1.csv", tmp_path / "d2.csv", tmp_path / "d3.csv"
    code, _, err = cli("qualify", rules_path, export, "-o", first, "--as-of", "2026-11-01T09:00:00Z", "--previous", empty, "--key", "Prospect ID")
    assert code == 0, err
    code, _, err = cli("qualify", rules_path, export, "-o", second, "--as-of", "2026-11-02T09:00:00Z", "--previous", first, "--key", "Prospect ID")
    assert code == 0, err
    assert "hand-off: new 0, unchanged 9,240" in err
    one, two = read_csv(first), read_csv(second)
    assert [r["stage_since"] for r in two] == [r["stage_since"] for r in one] == ["2026-11-01T09:00:00Z"] * 9240
    assert all(r["handoff"] == "same" for r in two)

    # day three: a few leads edited (Do Not Email set), checked against Ruleset.stage on each day's rows
    with open(export, newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    column = header.index("Do Not Email")
    picked = random.Random(3).sample(range(len(rows)), 40)
    for i in picked:
        rows[i][column] = "Yes" if rows[i][column] != "Yes" else "No"
    edited = write_csv(tmp_path / "edited.csv", rows, header)
    code, _, err = cli("qualify", rules_path, edited, "-o", third, "--as-of", "2026-11-03T09:00:00Z", "--previous", second, "--key", "Prospect ID")
    assert code == 0, err
    rules = leadspec.load(rules_path)
    with open(export, newline="", encoding="utf-8") as handle:
        before = [rules.stage(dict(zip(header, r)), as_of="2026-11-02T09:00:00Z") for r in list(csv.reader(handle))[1:]]
    after = [rules.stage(dict(zip(header, r)), as_of="2026-11-03T09:00:00Z") for r in rows]
    expected_moved = {rows[i][0] for i in range(len(rows)) if before[i] != after[i]}
    assert expected_moved and expected_moved <= {rows[i][0] for i in picked}
    three = read_csv(third)
    assert {r["Prospect ID"] for r in three if r["handoff"] != "same"} == expected_moved
    for r, b, a in zip(three, before, after):
        assert (r["previous_stage"], r["stage"]) == (b, a)
        assert r["stage_since"] == ("2026-11-03T09:00:00Z" if b != a else "2026-11-01T09:00:00Z")
    assert f"unchanged {9240 - len(expected_moved):,}" in err


def test_the_nightly_job_of_the_docs_says_what_the_page_shows(tmp_path: Path) -> None:
    """docs/handoff.md's two nights on the sample export: the summaries and the work queue the page shows."""
    page = (ROOT / "docs" / "handoff.md").read_text(encoding="utf-8")
    rules_path, examples = ROOT / "rules" / "x-education.yaml", ROOT / "examples"
    day1, queue, removed = tmp_path / "day1.csv", tmp_path / "queue.csv", tmp_path / "removed.csv"
    code, _, first = cli("qualify", rules_path, examples / "x-education-sample.csv", "-o", day1, "--as-of", "2026-11-01T09:00:00Z",
                         "--previous", examples / "no-previous-run.csv", "--key", "Prospect ID")
    assert code == 0
    code, _, second = cli("qualify", rules_path, examples / "x-education-sample-day2.csv", "-o", queue, "--as-of", "2026-11-02T09:00:00Z",
                          "--previous", day1, "--key", "Prospect ID", "--only-changed", "--removed", removed)
    assert code == 0
    for line in (first + second.replace(str(removed), "removed.csv")).splitlines():
        assert line in page, line
    table = [tuple(cell.strip() for cell in line.strip().strip("|").split("|")) for line in page.splitlines() if line.startswith("| ") and "-… |" in line]
    got = [(row["Prospect ID"][:8] + "-…", row["previous_stage"], row["stage"], row["owner"], row["due_by"], row["handoff"]) for row in read_csv(queue)]
    assert got == table
    assert read_csv(removed) == [{"Prospect ID": "149ea70e-6f74-4c23-8102-ff16b27d6b13", "previous_stage": "sql", "stage_since": "2026-11-01T09:00:00Z"}]


# -- --columns ----------------------------------------------------------------------------------------------------------


def test_columns_chooses_the_result_columns_without_previous(rules: Path, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [["a", "100", "yes", "yes", "", ""], ["b", "10", "", "", "", ""]])
    code, out, err = cli("qualify", rules, source, "--as-of", "2026-11-01", "--columns", "owner, stage,sla,label")
    assert code == 0, err
    assert list(csv.reader(io.StringIO(out))) == [
        HEADER + ["owner", "stage", "sla", "label"],
        ["a", "100", "yes", "yes", "", "", "ae", "sql", "4h", "SQL"],
        ["b", "10", "", "", "", "", "", "lead", "", "Lead"],
    ]


def test_columns_with_previous_and_json_lines(rules: Path, tmp_path: Path) -> None:
    previous = previous_output(tmp_path / "prev.csv", ("a", "mql", "2026-11-01T08:00:00Z", "sdr", "", "new"))
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "employees": 100, "demo": True, "budget": True}) + "\n")
    out = tmp_path / "out.jsonl"
    code, _, err = cli("qualify", rules, source, "-o", out, "--as-of", "2026-11-01T09:00:00Z", "--previous", previous, "--key", "id",
                       "--columns", "stage,owner,due_by,reasons")
    assert code == 0, err
    record = json.loads(out.read_text())
    assert list(record) == ["id", "employees", "demo", "budget", "stage", "owner", "due_by", "reasons"]
    assert (record["stage"], record["owner"], record["due_by"]) == ("sql", "ae", "2026-11-01T13:00:00Z")
    as_csv = tmp_path / "out.csv"
    code, _, err = cli("qualify", rules, source, "-o", as_csv, "--as-of", "2026-11-01T09:00:00Z", "--previous", previous, "--key", "id",
                       "--columns", "handoff,previous_stage", "--details")
    assert code == 0, err
    (row,) = read_csv(as_csv)
    assert list(row) == ["id", "employees", "demo", "budget", "handoff", "previous_stage", "details"]
    assert (row["handoff"], row["previous_stage"], json.loads(row["details"])["stage"]) == ("up", "mql", "sql")


def test_columns_usage_errors(rules: Path, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [["a", "100", "", "", "", ""]])
    for columns, message in [
        ("stage,ownr", "--columns: 'ownr' is not a result column (did you mean 'owner'?)"),
        ("stage,due_by", "--columns: 'due_by' comes from the previous run: give --previous LAST_OUTPUT --key COLUMN"),
        ("stage,stage", "--columns names 'stage' twice"),
        (" , ", "--columns needs at least one of stage, reasons"),
    ]:
        code, _, err = cli("qualify", rules, source, "--columns", columns)
        assert code == 2 and message in err, (columns, err)
    code, _, err = cli("qualify", rules, source, "--columns", "stage", "--engine", "duckdb")
    assert code == 2 and "--columns runs on the Python engine" in err
    code, _, err = cli("qualify", rules, source, "--columns", "stage,owner", "--stage-column", "owner")
    assert code == 2 and "the result columns need distinct names, not 'owner', 'owner'" in err
    taken = write_csv(tmp_path / "owner.csv", [["a", "100", "x"]], ["id", "employees", "label"])
    code, _, err = cli("qualify", rules, taken, "--columns", "stage,label", "--allow-missing-columns")
    assert code == 2 and "the input has a column 'label', which qualify adds; it is never overwritten: rename it in the export, or leave it out of --columns" in err


def test_as_of_with_a_zone_across_midnight(rules: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    # 22:30 in New York is 03:30 UTC the next day; an SQL is due 4 hours later, an MQL 15 minutes later
    code, out, err = day(tmp_path, rules, "ny", [["a", "100", "yes", "yes", "", ""], ["b", "100", "yes", "", "", ""]], "2026-11-01T22:30:00-05:00", empty)
    assert code == 0, err
    assert [(r["stage_since"], r["due_by"]) for r in out] == [("2026-11-02T03:30:00Z", "2026-11-02T07:30:00Z"), ("2026-11-02T03:30:00Z", "2026-11-02T03:45:00Z")]
    # the next night, at 00:10 in Tokyo (15:10 UTC): both still waiting and overdue
    code, again, err = day(tmp_path, rules, "tokyo", [["a", "100", "yes", "yes", "", ""], ["b", "100", "yes", "", "", ""]], "2026-11-03T00:10:00+09:00", tmp_path / "ny.csv")
    assert code == 0, err
    assert [(r["handoff"], r["stage_since"]) for r in again] == [("same", "2026-11-02T03:30:00Z"), ("same", "2026-11-02T03:30:00Z")]
    assert "due, not yet touched: ae 1 (1 overdue), sdr 1 (1 overdue)" in err



# -- found by review -------------------------------------------------------------------------------------------------------


def test_found_by_review_a_previous_output_without_the_key_is_refused(rules: Path, tmp_path: Path) -> None:
    # a JSON previous output keyed "ID" read with --key id: every lead became new, without a word
    previous = tmp_path / "prev.jsonl"
    previous.write_text(json.dumps({"ID": "a", "stage": "mql", "stage_since": "2026-11-01T08:00:00Z"}) + "\n")
    source = write_csv(tmp_path / "in.csv", [["a", "100", "yes", "", "", ""]])
    code, _, err = cli("qualify", rules, source, "--as-of", "2026-11-02", "--previous", previous, "--key", "id")
    assert code == 2 and f"{previous}: no record of the previous output has a value for the key 'id'" in err
    some = tmp_path / "some.jsonl"
    some.write_text(previous.read_text() + json.dumps({"id": "a", "stage": "mql", "stage_since": "2026-11-01T08:00:00Z"}) + "\n")
    code, out, err = cli("qualify", rules, source, "--as-of", "2026-11-02", "--previous", some, "--key", "id")
    assert code == 0 and "warning: 1 of the 2 records of the previous output have no value for the key 'id': they match no lead" in err


def test_found_by_review_an_added_column_named_like_a_handoff_column_is_refused(rules: Path, tmp_path: Path) -> None:
    # --stage-column owner: the JSON record lost its stage under the owner's name
    source = write_csv(tmp_path / "in.csv", [["a", "100", "", "", "", ""]])
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, _, err = cli("qualify", rules, source, "--previous", empty, "--key", "id", "--stage-column", "owner")
    assert code == 2 and "'owner': --previous adds a column of that name" in err


def test_found_by_review_a_rejected_row_is_not_a_removed_lead_and_its_history_loss_is_said(rules: Path, tmp_path: Path) -> None:
    previous = previous_output(
        tmp_path / "prev.csv", ("a", "icp", "2026-11-01T08:00:00Z", "marketing", "", "new"), ("b", "icp", "2026-11-01T08:00:00Z", "marketing", "", "new")
    )
    source = tmp_path / "in.csv"
    source.write_text(",".join(HEADER) + "\na,100,,,,\nb,100,,,,,extra\n")  # b has a value too many: a rejected row
    removed = tmp_path / "removed.csv"
    code, out, err = cli("qualify", rules, source, "--as-of", "2026-11-02", "--previous", previous, "--key", "id", "--removed", removed)
    assert code == 1
    assert read_csv(removed) == []  # b is in the input: it was reported as removed
    assert "not in this input" not in err
    assert "warning: 1 rejected row had a previous state: not in the output, it is new to the next run" in err


def test_found_by_review_an_empty_stage_in_the_previous_output_is_located(rules: Path, tmp_path: Path) -> None:
    previous = previous_output(tmp_path / "prev.csv", ("a", "", "2026-11-01T08:00:00Z", "", "", ""))
    rejects = tmp_path / "rejects.jsonl"
    source = write_csv(tmp_path / "in.csv", [["a", "100", "", "", "", ""]])
    code, _, err = cli("qualify", rules, source, "-o", tmp_path / "o.csv", "--as-of", "2026-11-02", "--previous", previous, "--key", "id", "--rejects", rejects)
    assert code == 1
    assert json.loads(rejects.read_text())["reason"] == f"line 2 of the previous output {previous} has no stage for key 'a'"


def test_found_by_review_removed_leads_use_the_runs_delimiter_and_json(rules: Path, tmp_path: Path) -> None:
    previous = tmp_path / "prev.csv"
    previous.write_text(";".join(HEADER + ADDED) + "\r\n" + "x;;;;;;icp;;;2026-11-01T08:00:00Z;marketing;;new\r\n")
    source = tmp_path / "in.csv"
    source.write_text(";".join(HEADER) + "\na;100;;;;\n")
    for name, expected in (("removed.csv", "id;previous_stage;stage_since\r\nx;icp;2026-11-01T08:00:00Z\r\n"),
                           ("removed.json", '[\n{"id": "x", "previous_stage": "icp", "stage_since": "2026-11-01T08:00:00Z"}\n]\n')):
        code, _, err = cli("qualify", rules, source, "-o", tmp_path / "o.csv", "--delimiter", ";", "--as-of", "2026-11-02",
                           "--previous", previous, "--key", "id", "--removed", tmp_path / name)
        assert code == 0, err
        assert (tmp_path / name).read_bytes().decode() == expected


def test_found_by_review_a_full_temporary_directory_is_a_clear_error(rules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import leadspec.cli._previous as previous_module

    def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(previous_module.PreviousIndex, "_insert", full)
    previous = previous_output(tmp_path / "prev.csv", ("a", "icp", "", "", "", "new"))
    source = write_csv(tmp_path / "in.csv", [["a", "100", "", "", "", ""]])
    before = set(Path(tempfile.gettempdir()).glob("leadspec-previous-*"))
    code, _, err = cli("qualify", rules, source, "-o", tmp_path / "o.csv", "--previous", previous, "--key", "id")
    assert code == 2 and "cannot index the previous output in" in err and "database or disk is full" in err
    assert set(Path(tempfile.gettempdir()).glob("leadspec-previous-*")) == before  # nothing left behind


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork: the start method of worker processes on Linux")
def test_found_by_review_a_forked_worker_opens_its_own_sqlite_connection(tmp_path: Path) -> None:
    from leadspec.cli._previous import PreviousIndex

    store = PreviousIndex(str(tmp_path / "index"))
    os.makedirs(store.directory)
    store.build(io.StringIO("id,stage,stage_since\na,icp,2026-11-01T00:00:00Z\n"), "csv", "prev.csv", "id", "stage")
    assert store.lookup_many(["a"]) == {"a": ("icp", "2026-11-01T00:00:00Z", 1, 2)}
    inherited = store._con
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the worker: SQLite's connections must not cross a fork
        found = store.lookup_many(["a"])
        os.write(writer, b"1" if store._con is not inherited and found["a"][0] == "icp" else b"0")
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(reader, 1) == b"1"
    store.remove()



def test_an_owner_with_the_delimiter_and_quotes_is_quoted(tmp_path: Path) -> None:
    # the hand-off's cells were pasted after the record unquoted: an owner "Sales, EMEA" split the row
    rules = tmp_path / "o.yaml"
    rules.write_text(RULES.replace("owner: ae", "owner: 'Sales, EMEA \"AE\"'"))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, out, err = day(tmp_path, rules, "q", [["a", "100", "yes", "yes", "", ""]], "2026-11-01T09:00:00Z", empty)
    assert code == 0, err
    assert out[0]["owner"] == 'Sales, EMEA "AE"' and out[0]["handoff"] == "new" and out[0]["due_by"] == "2026-11-01T13:00:00Z"
