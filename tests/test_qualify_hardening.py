"""``leadspec qualify`` against messy real exports (issue 8): nothing lost, nothing silently wrong.

Each test names the item of the issue it keeps fixed; each failed on the
code before its fix.
"""

from __future__ import annotations

import csv
import errno
import gzip
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import leadspec
from leadspec.cli import run
from conftest import ROOT, ClosedAfter, cli, default_stop_signals

AS_OF = ["--as-of", "2026-11-01"]
R_YAML = (
    "leadspec: 1\nname: r\nfields:\n  lead_id: {type: string, source: id}\n  employees: {type: integer}\n  note: {type: string}\n"
    "stages: [{id: icp, all: [{big: employees >= 50}, {ok: \"note != 'x'\"}]}]\n"
)
NESTED_YAML = (
    "leadspec: 1\nname: n\nfields:\n  lead_id: {type: string, source: id}\n  sector: {type: string, source: account.sector}\n"
    "  size: {type: integer, source: account.size}\nstages: [{id: icp, all: [{saas: \"sector == 'saas'\"}, {big: size >= 50}]}]\n"
)


def byte_stdin(data: bytes) -> io.TextIOWrapper:
    """Standard input as a process has it: bytes under a text layer (here as lenient as a C locale makes it)."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape")


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def leftovers(folder: Path) -> list[str]:
    """Temporary files left beside the outputs."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def r_rules(tmp_path: Path) -> str:
    path = tmp_path / "r.yaml"
    path.write_text(R_YAML)
    return str(path)


@pytest.fixture
def nested_rules(tmp_path: Path) -> str:
    path = tmp_path / "n.yaml"
    path.write_text(NESTED_YAML)
    return str(path)


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    monkeypatch.setattr(importlib.import_module("leadspec.cli.qualify"), "BATCH", 3)


# -- item 1: an output that is the input ---------------------------------------------------------------
def test_item1_output_or_rejects_that_is_the_input_is_refused_before_reading(r_rules: str, tmp_path: Path) -> None:
    data = "id,employees,note\n" + "".join(f"{i},100,n\n" for i in range(500))
    source = tmp_path / "in.csv"
    source.write_text(data)
    link = tmp_path / "link.csv"
    link.symlink_to(source)
    for args in (["-o", str(source)], ["--rejects", str(source)], ["-o", str(link)], ["-o", str(tmp_path / "." / "in.csv")]):
        code, out, err = cli("qualify", r_rules, str(source), *args, *AS_OF)
        assert code == 2, args
        assert "is the input file" in err and out == ""
        assert source.read_text() == data  # not truncated
    code, out, err = cli("qualify", r_rules, str(link), "-o", str(source), *AS_OF)  # the input through a link
    assert code == 2 and source.read_text() == data


def test_item1_output_and_rejects_on_the_same_file_are_refused(r_rules: str, tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text("id,employees,note\n1,100,a\n")
    both = tmp_path / "both.csv"
    code, _, err = cli("qualify", r_rules, str(tmp_path / "in.csv"), "-o", str(both), "--rejects", str(both), *AS_OF)
    assert code == 2 and "--rejects is the output file too" in err
    assert not both.exists()


# -- item 2: atomic output -------------------------------------------------------------------------------
def test_item2_a_bad_rejects_path_leaves_the_existing_output_alone(r_rules: str, tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text("id,employees,note\n1,100,a\n")
    out = tmp_path / "out.csv"
    out.write_text("yesterday's output\n")
    code, _, err = cli("qualify", r_rules, str(tmp_path / "in.csv"), "-o", str(out), "--rejects", str(tmp_path / "nope" / "r.jsonl"), *AS_OF)
    assert code == 2
    assert "cannot write" in err and "does not exist" in err
    assert out.read_text() == "yesterday's output\n"
    assert leftovers(tmp_path) == []


def test_item2_a_truncated_gzip_input_leaves_no_partial_output(r_rules: str, tmp_path: Path) -> None:
    whole = tmp_path / "s.csv.gz"
    with gzip.open(whole, "wt") as handle:
        handle.write("id,employees,note\n" + "".join(f"{i},{i},n{i}\n" for i in range(20000)))
    truncated = tmp_path / "t.csv.gz"
    truncated.write_bytes(whole.read_bytes()[: len(whole.read_bytes()) // 2])
    out = tmp_path / "out.csv"
    code, _, err = cli("qualify", r_rules, str(truncated), "-o", str(out), *AS_OF)
    assert code == 2 and err.splitlines()[-1].startswith(f"{truncated}: cannot read") and err.endswith("; nothing written\n")
    assert re.fullmatch(r"stopped after [\d,]+ rows read \([\d,]+ qualified, 0 rejected\)", err.splitlines()[0])  # how far it got
    assert not out.exists()
    out.write_text("previous\n")
    rejects = tmp_path / "rejects.jsonl"
    code, _, err = cli("qualify", r_rules, str(truncated), "-o", str(out), "--rejects", str(rejects), *AS_OF)
    assert code == 2 and out.read_text() == "previous\n" and not rejects.exists()
    assert leftovers(tmp_path) == []


def test_item2_a_full_disk_is_an_output_error_and_the_destination_is_kept(r_rules: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leadspec.cli import _io

    class Full(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    real = _io.Output._create_temp

    def full_disk(self: Any, *args: Any) -> Any:
        real(self, *args).close()  # the temporary file is made, then the disk is full
        return io.BufferedWriter(Full())

    monkeypatch.setattr(_io.Output, "_create_temp", full_disk)
    (tmp_path / "in.csv").write_text("id,employees,note\n" + "".join(f"{i},100,n\n" for i in range(3000)))
    out = tmp_path / "out.csv"
    out.write_text("previous\n")
    code, _, err = cli("qualify", r_rules, str(tmp_path / "in.csv"), "-o", str(out), *AS_OF)
    assert code == 2
    assert re.fullmatch(r"(stopped after [\d,]+ rows read \([\d,]+ qualified, 0 rejected\)\n)?" + re.escape(f"{out}: cannot write: {os.strerror(errno.ENOSPC)}; nothing written\n"), err), err
    assert out.read_text() == "previous\n"
    assert leftovers(tmp_path) == []


def test_item2_standard_output_on_a_full_disk_is_an_output_error(r_rules: str, tmp_path: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    (tmp_path / "in.csv").write_text("id,employees,note\n" + "".join(f"{i},100,n\n" for i in range(3000)))
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "leadspec", "qualify", r_rules, str(tmp_path / "in.csv"), *AS_OF], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120
        )
    assert proc.returncode == 2, proc.stderr
    assert re.search(r"^-: cannot write: No space left on device", proc.stderr, re.MULTILINE), proc.stderr
    assert "Traceback" not in proc.stderr and "cannot read" not in proc.stderr


def test_item2_the_output_keeps_the_mode_of_the_file_it_replaces(r_rules: str, tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text("id,employees,note\n1,100,a\n")
    out = tmp_path / "out.csv"
    out.write_text("old\n")
    out.chmod(0o640)
    code, _, _ = cli("qualify", r_rules, str(tmp_path / "in.csv"), "-o", str(out), *AS_OF)
    assert code == 0 and (out.stat().st_mode & 0o777) == 0o640
    fresh = tmp_path / "fresh.csv"
    code, _, _ = cli("qualify", r_rules, str(tmp_path / "in.csv"), "-o", str(fresh), *AS_OF)
    umask = os.umask(0)
    os.umask(umask)
    assert code == 0 and (fresh.stat().st_mode & 0o777) == 0o666 & ~umask
    code, _, _ = cli("qualify", r_rules, str(tmp_path / "in.csv"), "-o", os.devnull, *AS_OF)  # not a regular file: written directly
    assert code == 0


def _big_csv(folder: Path, rows: int) -> Path:
    """``big.csv`` in ``folder``: ``rows`` leads, long enough to stop qualify while it runs."""
    source = folder / "big.csv"
    with open(source, "w") as handle:
        handle.write("id,employees,note\n")
        for start in range(0, rows, 10_000):
            handle.write("".join(f"{i},{i % 500},note {i}\n" for i in range(start, start + 10_000)))
    return source


def _kill_while_writing(tmp_path: Path, rules: str, sig: int, jobs: str) -> tuple[subprocess.CompletedProcess[str] | Any, Path]:
    source = _big_csv(tmp_path, 400_000)
    out = tmp_path / "out.csv"
    out.write_text("previous\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "leadspec", "qualify", rules, str(source), "-o", str(out), "--jobs", jobs, *AS_OF],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_stop_signals,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:  # until it has written something
        temps = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        if any(p.exists() and p.stat().st_size > 100_000 for p in temps) or out.read_text() != "previous\n":
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be interrupted: make the input bigger"
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    return (proc.returncode, stderr), out


@pytest.mark.parametrize(("sig", "jobs", "code"), [(signal.SIGTERM, "1", 143), (signal.SIGINT, "2", 130), (signal.SIGHUP, "2", 129)])
def test_item2_killing_qualify_leaves_the_previous_output(r_rules: str, tmp_path: Path, sig: int, jobs: str, code: int) -> None:
    """SIGHUP (review defect 7) too: it used to leave the temporary file, and the workers running."""
    (returncode, stderr), out = _kill_while_writing(tmp_path, r_rules, sig, jobs)
    assert out.read_text() == "previous\n"
    assert leftovers(tmp_path) == []
    assert returncode == code and "nothing written" in stderr and "Traceback" not in stderr
    assert re.search(r"^stopped after [\d,]+ rows read \([\d,]+ qualified, 0 rejected\)$", stderr, re.MULTILINE), stderr


# -- item 3: one bad record is one reject, never a crash ----------------------------------------------------
def test_item3_a_lone_surrogate_in_json_lines_is_one_rejected_row(r_rules: str, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "1", "employees": 100}\n{"id": "2", "note": "\\ud800"}\n{"id": "3", "note": "\\ud83d\\ude00"}\n')
    out, rejects = tmp_path / "out.jsonl", tmp_path / "rejects.jsonl"
    code, _, err = cli("qualify", r_rules, str(source), "-o", str(out), "--rejects", str(rejects), *AS_OF)
    assert code == 1, err
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == ["1", "3"]
    [reject] = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert reject["row"] == 2 and "without its pair" in reject["reason"]
    assert reject["record"] == '{"id": "2", "note": "\\ud800"}'  # the raw line, written back as it came
    assert "3 rows read, 2 written, 1 rejected" in err


def test_item3_deep_nesting_in_json_lines_is_one_reject_with_its_text(r_rules: str, tmp_path: Path) -> None:
    deep = '{"id": "2", "note": ' + "[" * 100_000 + "]" * 100_000 + "}"
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "1", "employees": 100}\n' + deep + '\n{"id": "3"}\n')
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = cli("qualify", r_rules, str(source), "--rejects", str(rejects), *AS_OF)
    assert code == 1, err
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["1", "3"]
    [reject] = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert reject["reason"] == "invalid JSON: nested too deeply" and reject["record"] == deep


def test_item3_deep_nesting_in_a_json_array_is_one_reject_and_reading_goes_on(r_rules: str, tmp_path: Path) -> None:
    deep = '{"id": "2", "note": ' + "[" * 100_000 + "]" * 100_000 + "}"
    source = tmp_path / "in.json"
    source.write_text('[{"id": "1", "employees": 100},\n' + deep + ',\n{"id": "3"}]\n')
    code, out, err = cli("qualify", r_rules, str(source), "--output-format", "jsonl", *AS_OF)
    assert code == 1, err
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["1", "3"]
    assert "3 rows read, 2 written, 1 rejected" in err


@pytest.mark.parametrize("extra", [[], ["--columns", "stage,reasons,label"]])  # CSV rows by position (row_evaluator), or as dicts
def test_item3_any_failure_of_one_record_is_a_reject(r_rules: str, monkeypatch: pytest.MonkeyPatch, extra: list[str]) -> None:
    real, real_rows = leadspec.Ruleset.evaluate, leadspec.Ruleset.row_evaluator

    def flaky(self: Any, lead: Any, *args: Any, **kwargs: Any) -> Any:
        if lead.get("note") == "boom":
            raise RecursionError("maximum recursion depth exceeded")
        return real(self, lead, *args, **kwargs)

    def flaky_rows(self: Any, columns: Any) -> Any:
        evaluate_row = real_rows(self, columns)

        def flaky_row(values: Any, *args: Any, **kwargs: Any) -> Any:
            if "boom" in values:
                raise RecursionError("maximum recursion depth exceeded")
            return evaluate_row(values, *args, **kwargs)

        return flaky_row

    monkeypatch.setattr(leadspec.Ruleset, "evaluate", flaky)
    monkeypatch.setattr(leadspec.Ruleset, "row_evaluator", flaky_rows)
    code, out, err = cli("qualify", r_rules, "-", "--input-format", "csv", *extra, *AS_OF, stdin="id,employees,note\n1,100,a\n2,100,boom\n3,100,c\n")
    assert code == 1
    assert [row[0] for row in csv_rows(out)[1:]] == ["1", "3"]
    assert "-:3: row 2 rejected: cannot qualify this record: RecursionError: maximum recursion depth exceeded" in err


def test_item3_non_utf8_on_standard_input_with_an_output_file(r_rules: str, tmp_path: Path) -> None:
    data = b"id,employees,note\n1,100,caf\xe9\n2,100,b\n"
    out = tmp_path / "out.csv"
    code, _, err = cli("qualify", r_rules, "-", "--input-format", "csv", "-o", str(out), *AS_OF, stdin=byte_stdin(data))
    assert code == 2 and err.startswith("-: not UTF-8 text") and not out.exists()
    proc = subprocess.run(
        [sys.executable, "-m", "leadspec", "qualify", r_rules, "-", "-o", str(out), *AS_OF], input=data, capture_output=True, timeout=60,
        env={**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0"},
    )
    assert proc.returncode == 2 and b"not UTF-8 text" in proc.stderr and b"Traceback" not in proc.stderr
    assert not out.exists()


# -- item 4: rejects that can be recovered, and resynchronisation -------------------------------------------
def test_item4_an_unclosed_quote_in_a_quote_everything_export(r_rules: str, tmp_path: Path) -> None:
    text = '"id","employees","note"\n"1","100","a"\n"2","100","unclosed\n"3","100","c"\n"4","100","d"\n'
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = cli("qualify", r_rules, "-", "--input-format", "csv", "--rejects", str(rejects), *AS_OF, stdin=text)
    assert code == 1
    assert [row[0] for row in csv_rows(out)[1:]] == ["1", "3", "4"]
    [reject] = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert reject["row"] == 2 and reject["line"] == 3
    assert reject["record"] == '"2","100","unclosed'
    assert reject["reason"].startswith("malformed CSV (line 3): ")


def test_item4_a_quote_open_for_too_many_lines_is_cut_off(r_rules: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from leadspec.cli import _io

    monkeypatch.setattr(_io, "MAX_RECORD_LINES", 5)
    lines = ["id,employees,note", '1,100,"never closed'] + [f"{i},100,n" for i in range(2, 30)]
    code, out, err = cli("qualify", r_rules, "-", "--input-format", "csv", *AS_OF, stdin="\n".join(lines) + "\n")
    assert code == 1
    assert len(csv_rows(out)) == 1 + 28
    assert "-:2: row 1 rejected: malformed CSV (line 2): a quoted value runs on over 5 lines" in err
    assert "29 rows read, 28 written, 1 rejected" in err


def test_item4_a_bad_element_of_a_json_array_does_not_drop_the_rest(r_rules: str, tmp_path: Path) -> None:
    source = tmp_path / "in.json"
    source.write_text('[\n{"id": "1", "employees": 100},\n{"id": "2", "employees": tru},\n{"id": "3"},\n{"id": "4"}\n]\n')
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = cli("qualify", r_rules, str(source), "--output-format", "jsonl", "--rejects", str(rejects), *AS_OF)
    assert code == 1
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["1", "3", "4"]
    [reject] = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert (reject["row"], reject["line"]) == (2, 3)
    assert reject["record"] == '{"id": "2", "employees": tru}'
    assert "4 rows read, 3 written, 1 rejected" in err


def test_item4_a_json_array_that_cannot_be_read_further_stops_with_a_count(r_rules: str, tmp_path: Path) -> None:
    source = tmp_path / "in.json"
    source.write_text('[{"id": "1", "employees": 100}, {"id": "2", "employees": tru, "x": [1, 2}, {"id": "3"}]')  # a [ never closed
    code, out, err = cli("qualify", r_rules, str(source), "--output-format", "jsonl", *AS_OF)
    assert code == 1
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["1"]
    assert "row 2 rejected: invalid JSON: Expecting value; the rest of the JSON array cannot be read" in err
    assert "2 rows read, 1 written, 1 rejected" in err
    assert err.endswith(f"{source}:1: stopped reading: the rest of the input from row 2 cannot be read (it is one rejected row)\n")


# -- item 5: stage, reasons, details columns are never overwritten ------------------------------------------
def test_item5_an_input_stage_column_is_refused_with_a_hint_and_kept_with_stage_column(r_rules: str, tmp_path: Path) -> None:
    text = "id,employees,note,stage\n1,100,a,Closed Won\n"
    code, out, err = cli("qualify", r_rules, "-", "--input-format", "csv", *AS_OF, stdin=text)
    assert code == 2 and out == ""
    assert "the input has a column 'stage', which qualify adds; it is never overwritten: name the added column with --stage-column NAME" in err
    code, out, err = cli("qualify", r_rules, "-", "--input-format", "csv", "--stage-column", "leadspec_stage", *AS_OF, stdin=text)
    assert code == 0, err
    assert csv_rows(out) == [["id", "employees", "note", "stage", "leadspec_stage", "reasons"], ["1", "100", "a", "Closed Won", "icp", "ICP"]]
    code, out, err = cli("qualify", r_rules, "-", "--input-format", "csv", "--details", *AS_OF, stdin="id,employees,note,details\n1,100,a,x\n")
    assert code == 2 and "--details-column NAME" in err


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_item5_a_json_key_named_reasons_is_refused_when_writing_csv_too(r_rules: str, tmp_path: Path, fmt: str, jobs: str) -> None:
    """JSON in, CSV out (stage and reasons only): a later record's key named like an added column is refused."""
    records = [{"id": "1", "employees": 100}, {"id": "2", "reasons": "from the CRM"}]
    source = tmp_path / f"in.{fmt}"
    source.write_text("".join(json.dumps(r) + "\n" for r in records) if fmt == "jsonl" else json.dumps(records))
    out = tmp_path / "out.csv"
    code, _, err = cli("qualify", r_rules, str(source), "-o", str(out), "--jobs", jobs, *AS_OF)
    assert code == 2 and not out.exists(), err
    assert "row 2 has a key 'reasons', which qualify adds" in err and "--reasons-column NAME" in err


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_item5_a_json_key_named_reasons_is_refused_and_nothing_written(r_rules: str, tmp_path: Path, fmt: str) -> None:
    records = [{"id": "1", "employees": 100}, {"id": "2", "reasons": "from the CRM"}]
    source = tmp_path / f"in.{fmt}"
    source.write_text("".join(json.dumps(r) + "\n" for r in records) if fmt == "jsonl" else json.dumps(records))
    out = tmp_path / f"out.{fmt}"
    code, _, err = cli("qualify", r_rules, str(source), "-o", str(out), *AS_OF)
    assert code == 2 and not out.exists()
    assert "row 2 has a key 'reasons', which qualify adds" in err and "--reasons-column NAME" in err
    code, _, err = cli("qualify", r_rules, str(source), "-o", str(out), "--reasons-column", "why", *AS_OF)
    assert code == 0, err
    written = [json.loads(line) for line in out.read_text().splitlines()] if fmt == "jsonl" else json.loads(out.read_text())
    assert written[1]["reasons"] == "from the CRM" and written[1]["why"].startswith("Lead")


def test_item5_added_names_must_differ(r_rules: str) -> None:
    code, _, err = cli("qualify", r_rules, "-", "--stage-column", "reasons", *AS_OF, stdin="id\n")
    assert code == 2 and "distinct names" in err


# -- item 9: --jobs 2 agrees with --jobs 1 after a stray quote ----------------------------------------------
@pytest.mark.parametrize("batch", [1, 2, 3])
def test_item9_a_stray_quote_row_does_not_move_the_chunk_ends(r_rules: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int) -> None:
    import importlib

    monkeypatch.setattr(importlib.import_module("leadspec.cli.qualify"), "BATCH", batch)
    lines = ["id,employees,note"] + [f"{i},100,n{i}" for i in range(1, 40)]
    lines[5] = '"abc"def,"ghi'  # the csv module rejects this line alone
    lines[6] = '6,100,"multi'
    lines[7] = 'line"'
    source = tmp_path / "in.csv"
    source.write_text("\n".join(lines) + "\n")
    results = []
    for jobs in ("1", "2"):
        rejects = tmp_path / f"rejects{jobs}.jsonl"
        code, out, err = cli("qualify", r_rules, str(source), "--jobs", jobs, "--rejects", str(rejects), *AS_OF)
        results.append((code, out, err, rejects.read_text()))
    assert results[0] == results[1]
    code, out, err, rejects_text = results[0]
    assert ["6", "100", "multi\nline"] in [row[:3] for row in csv_rows(out)]
    assert [json.loads(line)["line"] for line in rejects_text.splitlines()] == [6]


# -- item 10: nested sources read from a CSV ------------------------------------------------------------------
def test_item10_a_csv_column_of_json_objects_feeds_nested_sources(nested_rules: str, tmp_path: Path) -> None:
    text = 'id,account\n1,"{""sector"": ""saas"", ""size"": 80}"\n2,"{""sector"": ""retail"", ""size"": 80}"\n3,\n4,plain text\n'
    code, out, err = cli("qualify", nested_rules, "-", "--input-format", "csv", *AS_OF, stdin=text)
    assert code == 1
    rows = csv_rows(out)
    assert [(row[0], row[2]) for row in rows[1:]] == [("1", "icp"), ("2", "lead"), ("3", "lead")]
    assert "-:5: row 4 rejected: column 'account' holds 'plain text', not a JSON object" in err
    code, out, err = cli("qualify", nested_rules, "-", "--input-format", "csv", *AS_OF, stdin="id,account.sector,account.size\n1,saas,80\n")
    assert code == 0 and csv_rows(out)[1][3] == "icp"


def test_item10_nested_json_to_csv_and_back_gives_the_same_stages(nested_rules: str, tmp_path: Path) -> None:
    leads = [{"id": str(i), "account": {"sector": "saas" if i % 2 else "retail", "size": 10 * i}} for i in range(1, 12)]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(lead) + "\n" for lead in leads))
    as_csv = tmp_path / "out.csv"
    code, _, err = cli("qualify", nested_rules, str(source), "-o", str(as_csv), *AS_OF)
    assert code == 0, err
    header, *rows = csv_rows(as_csv.read_text())
    assert header == ["id", "account.sector", "account.size", "stage", "reasons"]  # nested objects as dotted columns
    first = [row[3] for row in rows]
    assert first.count("icp") == 4  # 5, 7, 9, 11
    code, out, err = cli("qualify", nested_rules, str(as_csv), "--stage-column", "again", "--reasons-column", "why", *AS_OF)
    assert code == 0, err
    assert [row[5] for row in csv_rows(out)[1:]] == first


# -- item 11: a row with fewer values than the header --------------------------------------------------------
def test_item11_a_short_row_is_rejected_with_its_text(r_rules: str, tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = cli("qualify", r_rules, "-", "--input-format", "csv", "--rejects", str(rejects), *AS_OF, stdin="id,employees,note\n1,100,a\n2,10")
    assert code == 1 and len(csv_rows(out)) == 2
    [reject] = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert reject == {"row": 2, "line": 3, "reason": "2 values but the header has 3 columns", "record": ["2", "10"], "text": "2,10"}


# -- item 12: the summary names the data issues and the fields no row had ------------------------------------
def test_item12_a_source_typo_with_json_input_is_warned_about(tmp_path: Path) -> None:
    rules = tmp_path / "t.yaml"
    rules.write_text("leadspec: 1\nname: t\nfields:\n  employees: {type: integer, source: NumberOfEmployes}\n  note: {type: string}\nstages: [{id: big, when: employees >= 50}]\n")
    text = "".join(json.dumps({"NumberOfEmployees": 100 + i, "note": "x"}) + "\n" for i in range(3))
    code, out, err = cli("qualify", str(rules), "-", *AS_OF, stdin=text)
    assert code == 0
    assert err == "3 rows read, 3 written, 0 rejected (lead 3, big 0)\nwarning: no row has a value for field 'employees' (source 'NumberOfEmployes'); check its source\n"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_item12_a_csv_column_blank_in_every_row_is_warned_about(tmp_path: Path, jobs: str) -> None:
    """CSV rows are evaluated by position, with no lead dict: the fields no row had a value for are still found."""
    rules = tmp_path / "t.yaml"
    rules.write_text("leadspec: 1\nname: t\nfields:\n  employees: {type: integer}\n  note: {type: string}\nstages: [{id: big, when: employees >= 50}]\n")
    text = "note,employees,employees2\n" + "".join(f"x{i}, ,{i}\n" for i in range(3))
    code, out, err = cli("qualify", str(rules), "-", "--input-format", "csv", "--jobs", jobs, *AS_OF, stdin=text)
    assert code == 0
    assert err == "3 rows read, 3 written, 0 rejected (lead 3, big 0)\nwarning: no row has a value for field 'employees'; check its source\n"
    code, out, err = cli("qualify", str(rules), "-", "--input-format", "csv", "--jobs", jobs, *AS_OF, stdin=text + "x, 60 ,\n")
    assert code == 0 and err == "4 rows read, 4 written, 0 rejected (lead 3, big 1)\n"


def test_item12_the_summary_counts_data_issues_by_field_and_message(r_rules: str) -> None:
    text = "id,employees,note\n1,lots,a\n2,many,b\n3,100,c\n"
    code, out, err = cli("qualify", r_rules, "-", "--input-format", "csv", *AS_OF, stdin=text)
    assert code == 0
    assert err == "3 rows read, 3 written, 0 rejected (lead 2, icp 1); 2 with data issues\n  data issue: employees: not an integer (2 rows)\n"


# -- item 17: readers are linear -----------------------------------------------------------------------------
def test_item17_leading_white_space_on_standard_input_is_read_in_blocks() -> None:
    from leadspec.cli._io import sniff

    class Counting(io.StringIO):
        reads = 0

        def read(self, size: int | None = -1) -> str:
            Counting.reads += 1
            return super().read(size)

    stream = Counting(" \n" * 100_000 + '{"id": "1"}\n')
    fmt, rest = sniff(stream)
    assert fmt == "jsonl" and Counting.reads < 20
    assert rest.read() == " \n" * 100_000 + '{"id": "1"}\n'


def test_item17_one_huge_json_element_is_decoded_a_few_times_not_once_per_block(monkeypatch: pytest.MonkeyPatch) -> None:
    from leadspec.cli import _io

    attempts = []

    class Counting(json.JSONDecoder):
        def raw_decode(self, s: str, idx: int = 0) -> Any:
            attempts.append(len(s) - idx)
            return super().raw_decode(s, idx)

    monkeypatch.setattr(_io.json, "JSONDecoder", Counting)
    big = {"id": "1", "note": "x" * 2_000_000}
    rows = list(_io.JsonArrayReader(io.StringIO(json.dumps([big, {"id": "2"}])), chunk=1024))
    assert [row.lead["id"] for row in rows if row.lead] == ["1", "2"]
    assert len(attempts) < 40  # doubling reads: about log2(2 MB / 1 KB); reading a block at a time took ~2,000
    assert sum(attempts) < 10 * 2_000_000


def test_item17_a_huge_json_line_and_a_wide_header_are_read_whole(r_rules: str, tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    big.write_text(json.dumps({"id": "1", "employees": 100, "note": "y" * 4_000_000}) + "\n" + json.dumps({"id": "2"}) + "\n")
    code, out, err = cli("qualify", r_rules, str(big), "--output-format", "csv", *AS_OF)
    assert code == 0, err
    assert [row[0] for row in csv_rows(out)[1:]] == ["1", "2"] and len(csv_rows(out)[1][2]) == 4_000_000
    header = ["id", "employees", "note"] + [f"c{i}" for i in range(50_000)] + ["c7"]
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(header) + "\n" + ",".join(["1", "100", "a"] + ["v"] * 50_001) + "\n")
    code, out, err = cli("qualify", r_rules, str(wide), "--output-format", "jsonl", *AS_OF)
    assert code == 2 and "column 'c7' appears more than once in the header" in err


# -- item 21: standard input reads as a file does; JSON written is valid JSON -----------------------------------
CASES = {
    "cr-only.csv": b"id,employees,note\r1,100,a\r2,10,\"two\r\nlines\"\r",
    "latin1.csv": b"id,employees,note\n1,100,caf\xe9\n",
    "first-is-list.jsonl": b'[1]\n{"id": "2", "employees": 100}\n{"id": "3"}\n',
    "one-line-array.json": b'[{"id": "1", "employees": 100}, {"id": "2"}]\n',
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_item21_standard_input_and_a_file_agree(r_rules: str, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(CASES[name])
    code_f, out_f, err_f = cli("qualify", r_rules, str(path), "--output-format", "jsonl", *AS_OF)
    code_s, out_s, err_s = cli("qualify", r_rules, "-", "--output-format", "jsonl", *AS_OF, stdin=byte_stdin(CASES[name]))
    assert (code_s, out_s) == (code_f, out_f)
    # a file is read again to name the byte and line where it stops being UTF-8; standard input cannot be
    err_f = re.sub(r" at byte [\d,]+ \(line [\d,]+\)", "", err_f)
    assert err_s.replace("-:", "@:").replace("-: ", "@: ") == err_f.replace(f"{path}:", "@:").replace(f"{path}: ", "@: ")
    assert code_f in (0, 1) or "not UTF-8" in err_f


def test_item21_nan_and_infinity_are_written_as_null(r_rules: str, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "1", "employees": 100, "score": NaN, "deep": {"x": [Infinity, -Infinity]}}\n')
    for fmt in ("jsonl", "json"):
        code, out, err = cli("qualify", r_rules, str(source), "--output-format", fmt, "--details", *AS_OF)
        assert code == 0, err

        def refuse(constant: str) -> Any:
            raise AssertionError(f"{constant} written: not JSON")

        parsed = json.loads(out, parse_constant=refuse)
        record = parsed[0] if fmt == "json" else parsed
        assert record["score"] is None and record["deep"] == {"x": [None, None]}


def test_item3_explain_says_a_too_deep_or_non_utf8_lead_is_not_readable(r_rules: str) -> None:
    code, out, err = cli("explain", r_rules, stdin='{"note": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert (code, out, err) == (2, "", "-: not JSON: nested too deeply\n")
    code, out, err = cli("explain", r_rules, stdin=byte_stdin(b'{"note": "caf\xe9"}'))
    assert code == 2 and err.startswith("-: not UTF-8 text")


def _dies_on_row_750(unit: Any) -> Any:
    """A worker's work that ends its process on its first unit past row 750, as the out-of-memory killer would
    (``--jobs 2`` is this process and one worker: the units this process does itself go on)."""
    from leadspec.cli.qualify import _state

    if os.getpid() != _state["parent"] and unit[0] == "csv" and unit[1] > 750:
        os._exit(9)
    return _state["real_work"](unit)


def test_item2_a_worker_that_dies_stops_the_run_and_nothing_is_written(r_rules: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    qualify = importlib.import_module("leadspec.cli.qualify")
    monkeypatch.setitem(qualify._state, "real_work", qualify._work)
    monkeypatch.setitem(qualify._state, "parent", os.getpid())
    monkeypatch.setattr(qualify, "_work", _dies_on_row_750)  # workers are forked: they see it too
    monkeypatch.setattr(qualify, "BATCH", 100)
    (tmp_path / "in.csv").write_text("id,employees,note\n" + "".join(f"{i},100,n\n" for i in range(2000)))
    out = tmp_path / "out.csv"
    code, _, err = cli("qualify", r_rules, str(tmp_path / "in.csv"), "-o", str(out), "--jobs", "2", *AS_OF)
    assert code == 2 and "a worker process stopped unexpectedly" in err and "nothing written" in err
    assert "ended with exit code 9)" in err  # the status it ended with (review: it said None)
    assert not out.exists() and leftovers(tmp_path) == []


def _slow_worker(unit: Any) -> Any:
    """A unit's work, slow in a worker; the units this process does itself are listed (by their first line)."""
    from leadspec.cli.qualify import _state

    if os.getpid() == _state["parent"]:
        _state["here"].append(unit[1])
    else:
        time.sleep(0.03)
    return _state["real_work"](unit)


@pytest.mark.parametrize("jobs", ["2", "3"])
def test_jobs_units_done_here_while_the_workers_are_busy_keep_the_input_order(
    r_rules: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    """--jobs N is this process and N-1 workers: a unit that finds the workers busy is done here, and its rows are
    written in their place among the workers' (the same bytes and rejects as --jobs 1)."""
    import importlib

    qualify = importlib.import_module("leadspec.cli.qualify")
    monkeypatch.setattr(qualify, "BATCH", 100)
    rows = "".join(f"{i},{i % 700},n\n" if i % 97 else f"{i},1,2,3\n" for i in range(2000))  # every 97th row has too many values
    (tmp_path / "in.csv").write_text("id,employees,note\n" + rows)
    code, one, err = cli("qualify", r_rules, str(tmp_path / "in.csv"), "--rejects", str(tmp_path / "r1.csv"), *AS_OF)
    assert code == 1, err
    monkeypatch.setitem(qualify._state, "real_work", qualify._work)
    monkeypatch.setitem(qualify._state, "parent", os.getpid())
    monkeypatch.setitem(qualify._state, "here", [])
    monkeypatch.setattr(qualify, "_work", _slow_worker)  # workers are forked: they see it too
    code, many, err = cli("qualify", r_rules, str(tmp_path / "in.csv"), "--rejects", str(tmp_path / "r2.csv"), "--jobs", jobs, *AS_OF)
    assert code == 1, err
    assert many == one and (tmp_path / "r2.csv").read_bytes() == (tmp_path / "r1.csv").read_bytes()
    assert len(many.splitlines()) == 1 + 2000 - len(range(0, 2000, 97))
    here = qualify._state["here"]
    assert 0 < len(here) < 20, here  # some of the 20 units here, the rest in the workers


def test_jobs_a_refused_key_in_a_unit_done_here_is_said_after_the_units_before_it(r_rules: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Review finding: a unit this process did raised its refusal at once, before the workers' earlier units were
    collected: the message named row 50 of its unit instead of row 650, and not how far the run got."""
    import importlib

    qualify = importlib.import_module("leadspec.cli.qualify")
    monkeypatch.setattr(qualify, "BATCH", 100)
    records = [{"id": str(i), "employees": 100} for i in range(1, 1001)]
    records[649]["stage"] = "from the CRM"  # row 650: in the seventh unit, done here while the worker is three units behind
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    code, _, one = cli("qualify", r_rules, str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "one.csv"), *AS_OF)
    assert code == 2 and "row 650 has a key 'stage'" in one
    monkeypatch.setitem(qualify._state, "real_work", qualify._work)
    monkeypatch.setitem(qualify._state, "parent", os.getpid())
    monkeypatch.setitem(qualify._state, "here", [])
    monkeypatch.setattr(qualify, "_work", _slow_worker)
    code, _, two = cli("qualify", r_rules, str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "two.csv"), "--jobs", "2", *AS_OF)
    here = [first if isinstance(first, int) else first[0].line for first in qualify._state["here"]]  # (JSON to CSV: units of rows)
    assert 601 in here, here  # the clash's unit was done here
    assert (code, two) == (2, one)
    assert not (tmp_path / "two.csv").exists()


@pytest.mark.parametrize("name", ["out.csv", "out.csv.gz"])
def test_item2_the_finished_output_is_on_disk_before_it_is_renamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """fsync once per run, on the whole temporary file (gzip trailer included), then the rename."""
    import leadspec.cli._io as io_module

    events: list[tuple[str, int]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.fstat(fd).st_size))
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        events.append(("replace", os.stat(src).st_size))
        real_replace(src, dst)

    monkeypatch.setattr(io_module.os, "fsync", fsync)
    monkeypatch.setattr(io_module.os, "replace", replace)
    out = tmp_path / name
    code, _, err = cli("qualify", str(ROOT / "rules" / "x-education.yaml"), str(ROOT / "examples" / "x-education-sample.csv"), "-o", str(out), *AS_OF)
    assert code == 0, err
    assert [kind for kind, _ in events] == ["fsync", "replace"]
    assert events[0][1] == events[1][1] == out.stat().st_size  # nothing was written after the fsync
    if name.endswith(".gz"):
        import gzip

        assert gzip.decompress(out.read_bytes()).count(b"\n") == 301


# -- the adversarial review of the issue 8 work: each test failed before its fix ------------------------------
DEEP = "[" * 500 + "]" * 500  # pickle recurses deeper than json: this decodes, but could not be sent to a worker


@pytest.mark.parametrize(("name", "extra"), [("in.json", []), ("in.json", ["--output-format", "csv"]), ("in.jsonl", ["--strict"])])
def test_review1_a_deep_json_value_gives_the_same_with_jobs_2_as_with_jobs_1(r_rules: str, tmp_path: Path, name: str, extra: list[str]) -> None:
    """Review defect 1: --jobs 2 died pickling a 500-deep value (a lead going out, or a reject coming back)."""
    records = [f'{{"id": "1", "employees": "many", "x": {DEEP}}}', '{"id": "2", "employees": 100}']
    source = tmp_path / name
    source.write_text("[" + ",\n".join(records) + "]\n" if name.endswith(".json") else "\n".join(records) + "\n")
    results = []
    for jobs in ("1", "2"):
        rejects = tmp_path / f"rejects{jobs}.jsonl"
        code, out, err = cli("qualify", r_rules, str(source), "--jobs", jobs, "--rejects", str(rejects), *extra, *AS_OF)
        assert "Traceback" not in err and "RecursionError" not in err
        results.append((code, out, err, rejects.read_text()))
    assert results[0] == results[1]
    code, out, err, rejected = results[1]
    if "--strict" in extra:  # "many" is not an integer: the deep record comes back as a reject
        assert code == 1 and json.loads(rejected)["record"]["x"] == json.loads(DEEP)
    else:
        assert code == 0 and "2 rows read, 2 written, 0 rejected" in err
        assert (DEEP in out) if "csv" in extra else (json.loads(out)[0]["x"] == json.loads(DEEP))


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_review2_an_integer_over_4300_digits_is_one_reject(r_rules: str, tmp_path: Path, fmt: str) -> None:
    """Review defect 2: a JSON array with a 5,000-digit integer stopped the run with a ValueError traceback."""
    records = ['{"id": "1", "employees": 100}', '{"id": "2", "n": ' + "1" * 5000 + "}", '{"id": "3", "employees": 100}']
    source = tmp_path / f"in.{fmt}"
    source.write_text("[" + ",\n".join(records) + "]\n" if fmt == "json" else "\n".join(records) + "\n")
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = cli("qualify", r_rules, str(source), "--output-format", "jsonl", "--rejects", str(rejects), *AS_OF)
    assert code == 1, err
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["1", "3"]
    [reject] = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert reject["row"] == 2 and reject["reason"] == "invalid JSON: a number has more than 4,300 digits"
    assert reject["record"] == records[1]
    assert "3 rows read, 2 written, 1 rejected" in err


def _corrupt_gzip(path: Path, text: str) -> None:
    """A .gz whose compressed data breaks mid-stream: valid blocks, then a stored block whose length check fails."""
    import zlib

    packer = zlib.compressobj(wbits=31)
    data = packer.compress(text.encode()) + packer.flush(zlib.Z_FULL_FLUSH)  # byte-aligned: a block may follow
    path.write_bytes(data + b"\x00\x05\x00\x00\x00hello")  # LEN 5, NLEN 0 (not ~LEN): zlib.error


def test_review3_a_corrupt_gzip_input_is_exit_2_and_nothing_written(r_rules: str, tmp_path: Path) -> None:
    """Review defect 3: zlib.error (not an OSError) escaped as a traceback from qualify and diff --leads."""
    source = tmp_path / "in.csv.gz"
    _corrupt_gzip(source, "id,employees,note\n" + "".join(f"{i},100,n\n" for i in range(5000)))
    out = tmp_path / "out.csv"
    out.write_text("previous\n")
    code, _, err = cli("qualify", r_rules, str(source), "-o", str(out), *AS_OF)
    assert code == 2 and "Traceback" not in err
    second, first = err.splitlines()
    assert first == f"{source}: cannot read: the compressed data is corrupt (Error -3 while decompressing data: invalid stored block lengths); nothing written"
    assert re.fullmatch(r"stopped after [\d,]+ rows read \([\d,]+ qualified, 0 rejected\)", second), second
    assert out.read_text() == "previous\n" and leftovers(tmp_path) == []
    code, _, err = cli("diff", r_rules, r_rules, "--leads", str(source), *AS_OF)
    assert code == 2 and err.startswith(f"{source}: cannot read: the compressed data is corrupt") and "Traceback" not in err


def test_review4_resync_never_takes_an_object_inside_a_broken_element_for_a_lead(r_rules: str, tmp_path: Path) -> None:
    """Review defect 4: a `},{` inside a broken element's events list was taken for the next element."""
    broken = '{"id": "2", "events": [{"type": "a", "at": "2026-10-01T00:00:00Z"}, {"type": "webinar_attended", "at": "2026-10-02T00:00:00Z"}], "title": undefined}'
    source = tmp_path / "in.json"
    source.write_text('[{"id": "1"},\n' + broken + ',\n{"id": "3", "note": "a },{ in text"},\n{"id": "4"}]\n')
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = cli("qualify", r_rules, str(source), "--output-format", "jsonl", "--rejects", str(rejects), *AS_OF)
    assert code == 1, err
    assert [json.loads(line).get("id") for line in out.splitlines()] == ["1", "3", "4"]
    [reject] = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert (reject["row"], reject["line"], reject["record"]) == (2, 2, broken)
    assert err.startswith("4 rows read, 3 written, 1 rejected")


def test_review5_output_closed_early_keeps_no_rejects_file_and_is_not_exit_0(r_rules: str, tmp_path: Path, small_batches: None) -> None:
    """Review defect 5: `| head` kept a --rejects file that looked complete, with exit 0 and no counts."""
    source = tmp_path / "in.jsonl"
    source.write_text("".join('{"id": "%d", "employees": 100}\n' % i if i % 10 else '{"id": bad}\n' for i in range(200)))
    rejects = tmp_path / "rejects.jsonl"
    rejects.write_text("previous\n")
    out, err = ClosedAfter(300), io.StringIO()
    code = run(["qualify", r_rules, str(source), "--rejects", str(rejects), *AS_OF], stdout=out, stderr=err, stdin=io.StringIO())
    assert code == 141
    lines = err.getvalue().splitlines()
    assert re.fullmatch(r"stopped after [\d,]+ rows read \(\d+ qualified, \d+ rejected\)", lines[0]), lines
    assert re.fullmatch(r"output closed after \d+ rows; stopped", lines[1]), lines
    assert lines[2:] == [f"{rejects}: nothing written (the run did not finish)"]
    assert rejects.read_text() == "previous\n" and leftovers(tmp_path) == []


def test_review6_rejects_to_standard_output(r_rules: str, tmp_path: Path) -> None:
    """Review defect 6: `--rejects -` was an AssertionError; it is standard output when -o names a file, else refused."""
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "1", "employees": 100}\n{"id": bad}\n')
    code, out, err = cli("qualify", r_rules, str(source), "--rejects", "-", *AS_OF)
    assert code == 2 and out == "" and "Traceback" not in err
    assert "Error: --rejects -: standard output already carries the leads; give -o FILE for them, or --rejects FILE" in err
    target = tmp_path / "out.jsonl"
    code, out, err = cli("qualify", r_rules, str(source), "--rejects", "-", "-o", str(target), *AS_OF)
    assert code == 1, err
    [reject] = [json.loads(line) for line in out.splitlines()]
    assert (reject["row"], reject["record"]) == (2, '{"id": bad}')
    assert [json.loads(line)["id"] for line in target.read_text().splitlines()] == ["1"]
    assert not (tmp_path / "-").exists()


def _alive(pid: int, started: str) -> bool:
    """Whether process ``pid`` (started at ``started`` clock ticks) still runs: not gone, not a zombie, not a new process with its pid."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z" and fields[19] == started


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG and /proc are Linux")
def test_review7_workers_end_when_qualify_is_killed(r_rules: str, tmp_path: Path) -> None:
    """Review defect 7: after SIGKILL of qualify --jobs 2, both workers lived on (parent pid 1). --jobs 3 is this
    process and two workers."""
    source = _big_csv(tmp_path, 400_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "leadspec", "qualify", r_rules, str(source), "-o", str(tmp_path / "out.csv"), "--jobs", "3", *AS_OF],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    workers: dict[int, str] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and len(workers) < 2:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if fields[1] == str(proc.pid):
                    workers[int(entry.name)] = fields[19]
        time.sleep(0.05)
    assert proc.poll() is None and len(workers) == 2, "the run ended before its workers were seen: make the input bigger"
    proc.kill()
    proc.wait(timeout=60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(pid, started) for pid, started in workers.items()):
        time.sleep(0.05)
    assert not any(_alive(pid, started) for pid, started in workers.items())


def test_review4_text_after_an_element_makes_it_one_broken_element(r_rules: str, tmp_path: Path) -> None:
    """Found by the strengthened fuzz test: `{"id": "2"} x,` was written as a lead, then the rest of the array was one reject."""
    source = tmp_path / "in.json"
    source.write_text('[{"id": "1"},\n{"id": "2"} {"oops": 1},\n{"id": "3"}]\n')
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = cli("qualify", r_rules, str(source), "--output-format", "jsonl", "--rejects", str(rejects), *AS_OF)
    assert code == 1, err
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["1", "3"]
    [reject] = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert (reject["row"], reject["record"], reject["reason"]) == (2, '{"id": "2"} {"oops": 1}', "invalid JSON: '{' after the end of the element")


# -- CLI-3 findings on messy real exports --------------------------------------------------------------------
def test_finding1_a_stopped_jobs_2_run_always_ends_cleanly(r_rules: str, tmp_path: Path) -> None:
    """Finding 1 (and 9): SIGTERM or Ctrl-C on --jobs 2 sometimes hung for ever after 'nothing written'
    (the executor's threads blocked on a pipe a killed worker half wrote), or printed 'Exception ignored
    in: <module 'threading'>... KeyboardInterrupt' or a stray 'Process ForkProcess-2:'. The signal is sent
    as `timeout` and a terminal's Ctrl-C send it: to qualify, and to its whole process group (the workers
    too; qualify gets it twice). Ten stops at different moments: each ends within its deadline, with its
    exit code and no traceback."""
    source = _big_csv(tmp_path, 300_000)
    out = tmp_path / "out.csv"
    for attempt in range(10):
        sig, code = (signal.SIGINT, 130) if attempt % 2 else (signal.SIGTERM, 143)
        proc = subprocess.Popen(
            [sys.executable, "-m", "leadspec", "qualify", r_rules, str(source), "-o", str(out), "--jobs", "2", "--details", *AS_OF],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=default_stop_signals,
        )
        wanted = 1 + 400_000 * (attempt % 5)  # stopped at different points of the run
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if any(p.name.endswith(".tmp") and p.stat().st_size >= wanted for p in tmp_path.iterdir() if p.exists()):
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the run ended before it could be stopped: make the input bigger"
        proc.send_signal(sig)
        os.killpg(proc.pid, sig)
        try:
            _, stderr = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"attempt {attempt}: qualify --jobs 2 hung after {signal.Signals(sig).name}")
        assert proc.returncode == code, (attempt, stderr)
        assert stderr.endswith("nothing written\n"), (attempt, stderr)
        assert not any(word in stderr for word in ("Traceback", "Exception ignored", "Process ForkProcess")), (attempt, stderr)
        assert not out.exists() and leftovers(tmp_path) == []


def test_finding2_a_duplicated_column_the_rules_read_is_refused(r_rules: str, tmp_path: Path) -> None:
    """Finding 2: with two `note` columns the last one was read silently (`x` in the first, empty in the second: passed)."""
    source = tmp_path / "in.csv"
    source.write_text("id,note,employees,note\n1,x,100,\n")
    out = tmp_path / "out.csv"
    code, _, err = cli("qualify", r_rules, str(source), "-o", str(out), *AS_OF)
    assert code == 2 and not out.exists()
    assert (
        f"{source}: column 'note' appears twice in the header (columns 2 and 4): leadspec cannot tell which one the rules mean; rename one\n"
    ) in err
    assert err.endswith(f"{source}: stopped before reading any row\n")
    source.write_text("id,note,employees,note,note\n1,x,100,,\n")
    code, _, err = cli("qualify", r_rules, str(source), *AS_OF)
    assert code == 2 and "column 'note' appears 3 times in the header (columns 2, 4 and 5)" in err
    source.write_text("id,x,employees,note,x\n1,a,100,n,b\n")  # a duplicated column no field reads: kept, written back as it is
    code, out_text, err = cli("qualify", r_rules, str(source), *AS_OF)
    assert code == 0, err
    assert csv_rows(out_text) == [["id", "x", "employees", "note", "x", "stage", "reasons"], ["1", "a", "100", "n", "b", "icp", csv_rows(out_text)[1][6]]]


def test_finding2_a_duplicated_column_of_json_objects_is_refused(nested_rules: str, tmp_path: Path) -> None:
    """Finding 2: `account` twice, read as JSON objects for account.sector: which one?"""
    source = tmp_path / "in.csv"
    source.write_text('id,account,account\n1,"{""sector"": ""saas"", ""size"": 60}",\n')
    code, _, err = cli("qualify", nested_rules, str(source), *AS_OF)
    assert code == 2 and "column 'account' appears twice in the header (columns 2 and 3)" in err


def test_finding12_every_header_problem_is_reported_at_once(r_rules: str, tmp_path: Path) -> None:
    """Finding 12: a clashing 'stage'/'reasons' was reported only once the missing columns were fixed (two runs); 'a column 'stage', 'reasons'' → 'columns'."""
    source = tmp_path / "in.csv"
    source.write_text("id,employes,note,stage,reasons,note\n1,100,a,won,x,b\n")
    code, out, err = cli("qualify", r_rules, str(source), *AS_OF)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0] == f"{source}: field 'employees' reads column 'employees', which the header does not have; the closest header is 'employes'"
    assert lines[1].startswith(f"{source}: column 'note' appears twice in the header (columns 3 and 6)")
    assert lines[2].startswith(f"{source}: the input has columns 'stage', 'reasons', which qualify adds; it is never overwritten: ")
    assert lines[3] == f"{source}: stopped before reading any row"
    assert len(lines) == 4


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_finding3_a_repeated_header_line_is_a_reject(r_rules: str, tmp_path: Path, small_batches: None, jobs: str) -> None:
    """Finding 3: two exports joined, the second header line was qualified as a lead (exit 0)."""
    source = tmp_path / "in.csv"
    source.write_text("id,employees,note\n1,100,a\n2,100,b\nid,employees,note\n3,100,c\n4,100,d\n")
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = cli("qualify", r_rules, str(source), "--rejects", str(rejects), "--jobs", jobs, *AS_OF)
    assert code == 1, err
    assert [row[0] for row in csv_rows(out)] == ["id", "1", "2", "3", "4"]
    [reject] = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert (reject["row"], reject["line"], reject["reason"]) == (3, 4, "the row repeats the header (two exports joined?)")
    assert reject["text"] == "id,employees,note"
    assert "5 rows read, 4 written, 1 rejected" in err


def test_finding15_a_trailing_delimiter_is_hinted_at(r_rules: str, tmp_path: Path) -> None:
    """Finding 15: rows ending in a delimiter the header lacks were rejected `4 values but the header has 3 columns`, with no clue why."""
    source = tmp_path / "in.csv"
    source.write_text("id,employees,note\n1,100,a,\n2,100,b,,\n3,100,c,x\n")
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = cli("qualify", r_rules, str(source), "--rejects", str(rejects), *AS_OF)
    assert code == 1
    reasons = [json.loads(line)["reason"] for line in rejects.read_text().splitlines()]
    assert reasons == [
        "4 values but the header has 3 columns; the extra values are empty: a trailing delimiter?",
        "5 values but the header has 3 columns; the extra values are empty: a trailing delimiter?",
        "4 values but the header has 3 columns",
    ]


def test_finding14_standard_input_that_is_the_output_file_is_refused(r_rules: str, tmp_path: Path) -> None:
    """Finding 14: `qualify R - -o in.csv < in.csv` replaced the input it was reading."""
    data = "id,employees,note\n" + "".join(f"{i},100,n\n" for i in range(500))
    source = tmp_path / "in.csv"
    source.write_text(data)
    for option, args in (("-o/--output", ["-o", str(source)]), ("--rejects", ["-o", str(tmp_path / "out.csv"), "--rejects", str(source)])):
        with open(source, "rb") as stdin:
            proc = subprocess.run([sys.executable, "-m", "leadspec", "qualify", r_rules, "-", *args, *AS_OF], stdin=stdin, capture_output=True, text=True)
        assert proc.returncode == 2, (args, proc.stderr)
        assert f"{source}: {option} is the input file (standard input); it would be overwritten while it is read" in proc.stderr
        assert source.read_text() == data and not (tmp_path / "out.csv").exists()
    with open(source, "rb") as stdin:  # another file: fine
        proc = subprocess.run([sys.executable, "-m", "leadspec", "qualify", r_rules, "-", "-o", str(tmp_path / "out.csv"), *AS_OF], stdin=stdin, capture_output=True)
    assert proc.returncode == 0 and source.read_text() == data


def test_finding4_a_stop_after_rows_went_to_standard_output_says_the_output_is_incomplete(r_rules: str, tmp_path: Path, small_batches: None) -> None:
    """Finding 4: 'nothing written' after 6,000 rows had gone to standard output (a latin-1 byte further on)."""
    source = tmp_path / "in.csv"
    source.write_bytes(b"id,employees,note\n" + b"".join(b"%d,100,n\n" % i for i in range(20_000)) + b"20000,100,caf\xe9\n")
    code, out, err = cli("qualify", r_rules, str(source), *AS_OF)
    assert code == 2 and len(csv_rows(out)) > 1  # rows were written before the bad byte was met
    assert "nothing written" not in err
    assert err.endswith("convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8); the output is incomplete\n"), err
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = cli("qualify", r_rules, str(source), "--rejects", str(rejects), *AS_OF)
    assert code == 2 and err.endswith(f"; the output is incomplete ({rejects} not written)\n"), err
    code, out, err = cli("qualify", r_rules, str(source), "-o", str(tmp_path / "out.csv"), *AS_OF)
    assert code == 2 and err.endswith("; nothing written\n") and not (tmp_path / "out.csv").exists()
    code, out, err = cli("qualify", r_rules, str(source), "-o", str(tmp_path / "out.csv"), "--rejects", "-", *AS_OF)
    assert code == 2 and err.endswith(f"; nothing written to {tmp_path / 'out.csv'}; the rejects on standard output are incomplete\n"), err


def test_finding13_rejects_on_standard_error_stop_after_20(r_rules: str) -> None:
    """Finding 13: without --rejects every reject went to standard error (1,480 lines before the summary)."""
    text = "id,employees,note\n" + "".join(f"{i},100,n,extra\n" if i % 2 else f"{i},100,n\n" for i in range(100))
    code, out, err = cli("qualify", r_rules, "-", "--input-format", "csv", *AS_OF, stdin=text)
    assert code == 1
    lines = err.splitlines()
    assert [line.split(": row ")[1].split(" ")[0] for line in lines[:20]] == [str(n) for n in range(2, 41, 2)]
    assert lines[20] == "... and 30 more rejected rows: pass --rejects FILE to keep them all"
    assert lines[21].startswith("100 rows read, 50 written, 50 rejected")
    code, out, err = cli("qualify", r_rules, "-", "--input-format", "csv", *AS_OF, stdin="id,employees,note\n" + "1,2\n" * 20)
    assert code == 1 and "more rejected rows" not in err and err.count("rejected: ") == 20


def test_finding6_gzip_on_standard_input_or_without_gz_in_its_name_is_read(r_rules: str, tmp_path: Path) -> None:
    """Finding 6: `qualify R - < leads.csv.gz` said 'not UTF-8 ... convert it to UTF-8 (e.g. iconv ...)'. Gzip is known by its first bytes (1f 8b) and read."""
    text = "id,employees,note\n" + "".join(f"{i},{i},n{i}\n" for i in range(3000))
    packed = gzip.compress(text.encode())
    plain_code, plain, _ = cli("qualify", r_rules, "-", *AS_OF, stdin=text)
    assert plain_code == 0
    code, out, err = cli("qualify", r_rules, "-", *AS_OF, stdin=byte_stdin(packed))
    assert (code, out) == (0, plain), err
    named = tmp_path / "leads.csv"  # gzip without .gz in its name
    named.write_bytes(packed)
    code, out, err = cli("qualify", r_rules, str(named), *AS_OF)
    assert (code, out) == (0, plain), err
    with open(named, "rb") as stdin:  # a real standard input (a file descriptor)
        proc = subprocess.run([sys.executable, "-m", "leadspec", "qualify", r_rules, "-", *AS_OF], stdin=stdin, capture_output=True)
    assert (proc.returncode, proc.stdout.decode()) == (0, plain), proc.stderr
    jsonl = gzip.compress(b'{"id": "1", "employees": 100, "note": "n"}\n')  # the format is guessed from the decompressed text
    code, out, err = cli("qualify", r_rules, "-", *AS_OF, stdin=byte_stdin(jsonl))
    assert code == 0 and json.loads(out)["stage"] == "icp", err


def test_final_review_ctrl_c_before_qualify_handles_it_is_exit_130(r_rules: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while the rules load (before qualify installs its handlers) was click's 'Aborted.' and exit 2, a usage error."""
    import importlib

    qualify_module = importlib.import_module("leadspec.cli.qualify")  # the module (the package's attribute is the command)

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(qualify_module, "load_rules", interrupted)
    source = tmp_path / "in.csv"
    source.write_text("id,employees,note\n1,100,a\n")
    code, out, err = cli("qualify", r_rules, str(source), "-o", str(tmp_path / "out.csv"), *AS_OF)
    assert (code, out, err) == (130, "", "\ninterrupted\n")  # click ends the ^C line first
    assert not (tmp_path / "out.csv").exists()


def test_final_review_gzip_twice_and_gzip_look_alikes(r_rules: str, tmp_path: Path) -> None:
    """A .gz of a .gz is read (its iconv advice was wrong); text that only starts with 1f 8b is not taken for gzip."""
    import gzip

    text = "id,employees,note\n1,100,a\n"
    twice = tmp_path / "in.csv.gz"
    twice.write_bytes(gzip.compress(gzip.compress(text.encode())))
    code, out, err = cli("qualify", r_rules, str(twice), *AS_OF)
    assert code == 0, err
    assert csv_rows(out)[1][:2] == ["1", "100"]
    code, out_stdin, err = cli("qualify", r_rules, "-", *AS_OF, stdin=byte_stdin(twice.read_bytes()))
    assert (code, out_stdin) == (0, out), err
    look_alike = tmp_path / "odd.csv"
    look_alike.write_bytes(b"\x1f\x8b,n\nx,1\n")
    code, _, err = cli("qualify", r_rules, str(look_alike), *AS_OF)
    assert code == 2
    assert err.endswith(f"{look_alike}: not UTF-8 text: invalid start byte at byte 1 (line 1); convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8)\n"), err
