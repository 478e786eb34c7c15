"""docs/bad-input.md is kept true: every row of its table is run here.

The page has one table: an input fault, the exit code of the command (or
``-`` for the Python API), and what the user gets, with the words the user
reads in backticks. For every row this file has a scenario that produces
the fault for real and returns the exit code and everything the user can
read (standard output and error, the output and rejects files, issues and
problems). The test checks the exit code and that every backticked text
of the row is in what the user reads; a scenario also asserts what must
not happen (an input changed, a partial output left behind). A row without
a scenario, or a scenario without a row, fails.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

import leadspec
from conftest import ROOT, ClosedAfter, cli, default_stop_signals
from leadspec.cli import run

PAGE = ROOT / "docs" / "bad-input.md"

RULES = """\
leadspec: 1
name: bad-input
fields:
  employees: {type: integer, min: 0}
  country:   {type: string}
  tags:      {type: list}
  signed:    {type: date, format: "%d/%m/%Y"}
stages:
  - id: icp
    when: employees >= 50
"""
CSV = "employees,country,tags,signed\n120,DE,a;b,01/02/2026\n40,FR,,\n"


class Seen:
    """What a user can read after one run: exit code and text."""

    def __init__(self, code: int | str, *texts: str) -> None:
        self.code = code
        self.text = "\n".join(texts)


def files(work: Path, rules: str = RULES, data: str = CSV, name: str = "in.csv") -> tuple[Path, Path]:
    (work / "rules.yaml").write_text(rules, encoding="utf-8")
    (work / name).write_text(data, encoding="utf-8")
    return work / "rules.yaml", work / name


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


def no_temporary_files(work: Path) -> None:
    leftovers = [p.name for p in work.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == [], leftovers


# -- qualify: where the output goes ---------------------------------------------------------
def output_is_input(work: Path) -> Seen:
    rules, data = files(work)
    code, out, err = cli("qualify", rules, data, "-o", data)
    assert read(data) == CSV  # not truncated, not read
    return Seen(code, out, err)


def output_is_rejects(work: Path) -> Seen:
    rules, data = files(work)
    code, out, err = cli("qualify", rules, data, "-o", work / "x", "--rejects", work / "x")
    assert not (work / "x").exists()
    return Seen(code, out, err)


def directory_missing(work: Path) -> Seen:
    rules, data = files(work)
    (work / "out.csv").write_text("yesterday\n")
    code, out, err = cli("qualify", rules, data, "-o", work / "out.csv", "--rejects", work / "nowhere" / "r.jsonl")
    assert read(work / "out.csv") == "yesterday\n"
    return Seen(code, out, err)


def qualify_over_yesterday(work: Path, rules: Path, source: Path) -> Seen:
    """qualify ``source`` onto an ``out.csv`` from an earlier run that a failed run must leave as it was."""
    (work / "out.csv").write_text("yesterday\n")
    code, out, err = cli("qualify", rules, source, "-o", work / "out.csv")
    assert read(work / "out.csv") == "yesterday\n"
    no_temporary_files(work)
    return Seen(code, out, err)


def truncated_gzip(work: Path) -> Seen:
    rules, _ = files(work)
    packed = gzip.compress((CSV + "120,DE,a,01/02/2026\n" * 20000).encode())
    (work / "in.csv.gz").write_bytes(packed[: len(packed) // 2])
    return qualify_over_yesterday(work, rules, work / "in.csv.gz")


def not_utf8(work: Path) -> Seen:
    rules, data = files(work)
    data.write_bytes("employees,country,tags,signed\n120,Österreich,,\n".encode("latin-1"))
    code, out, err = cli("qualify", rules, data, "-o", work / "out.csv")
    assert not (work / "out.csv").exists()
    return Seen(code, out, err)


def terminated(work: Path, sig: int = signal.SIGTERM) -> Seen:
    """A signal while qualify waits for more input (a named pipe): the previous output stays."""
    rules, _ = files(work)
    fifo = work / "in.csv"
    fifo.unlink()
    os.mkfifo(fifo)
    (work / "out.csv").write_text("yesterday\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "leadspec", "qualify", str(rules), str(fifo), "-o", str(work / "out.csv")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, preexec_fn=default_stop_signals,
    )
    with open(fifo, "w", encoding="utf-8") as writer:
        writer.write(CSV)
        writer.flush()
        deadline = time.monotonic() + 60
        while not any(p.name.endswith(".tmp") for p in work.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)  # the temporary output exists: the run has started
        time.sleep(0.3)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    assert read(work / "out.csv") == "yesterday\n"
    no_temporary_files(work)
    return Seen(proc.returncode, out, err)


def hung_up(work: Path) -> Seen:
    return terminated(work, signal.SIGHUP)


def corrupt_gzip(work: Path) -> Seen:
    import zlib

    rules, _ = files(work)
    packer = zlib.compressobj(wbits=31)
    data = packer.compress((CSV + "120,DE,a,01/02/2026\n" * 5000).encode()) + packer.flush(zlib.Z_FULL_FLUSH)
    (work / "in.csv.gz").write_bytes(data + b"\x00\x05\x00\x00\x00hello")  # a stored block whose length check fails
    return qualify_over_yesterday(work, rules, work / "in.csv.gz")


def output_closed_early(work: Path) -> Seen:
    rules, data = files(work, data=CSV + "120,DE,a,01/02/2026\nmany,DE,,\n" * 3000)
    (work / "r.jsonl").write_text("yesterday\n")
    out, err = ClosedAfter(500), io.StringIO()
    code = run(["qualify", str(rules), str(data), "--strict", "--rejects", str(work / "r.jsonl")], stdout=out, stderr=err, stdin=io.StringIO())
    assert read(work / "r.jsonl") == "yesterday\n"  # not replaced by a part of the rejects
    no_temporary_files(work)
    return Seen(code, err.getvalue())


def rejects_to_stdout_without_output(work: Path) -> Seen:
    rules, data = files(work)
    code, out, err = cli("qualify", rules, data, "--rejects", "-")
    return Seen(code, out, err)


# -- qualify: records that cannot be read ---------------------------------------------------------
def qualify_rejects(work: Path, data: str, name: str = "in.csv", *extra: str) -> Seen:
    rules, path = files(work, data=data, name=name)
    code, out, err = cli("qualify", rules, path, "-o", work / "out", "--output-format", "jsonl", "--rejects", work / "r.jsonl", *extra)
    rejects = [json.loads(line) for line in read(work / "r.jsonl").splitlines()]
    written = read(work / "out").splitlines()
    counts = re.search(r"(\d+) rows? read, (\d+) written, (\d+) rejected", err)
    assert counts, err
    read_, wrote, rejected = map(int, counts.groups())
    assert (len(written), len(rejects)) == (wrote, rejected) and read_ == wrote + rejected
    assert all(r.get("text") or r.get("record") is not None for r in rejects)  # each with what it was
    return Seen(code, out, err, read(work / "r.jsonl"), "\n".join(written))


def csv_long_row(work: Path) -> Seen:
    return qualify_rejects(work, CSV + "7,DE,a,01/01/2026,surplus\n60,NL,,\n")


def csv_short_row(work: Path) -> Seen:
    return qualify_rejects(work, CSV + "60,NL\n70,BE,,\n")


def csv_unclosed_quote(work: Path) -> Seen:
    seen = qualify_rejects(work, CSV + '80,"DE,,\n90,NL,,\n95,BE,,\n')
    assert '"employees": "95"' in seen.text  # the rows after it are read
    return seen


def repeated_header(work: Path) -> Seen:
    return qualify_rejects(work, CSV + CSV)


def trailing_delimiter(work: Path) -> Seen:
    return qualify_rejects(work, CSV + "60,NL,,,\n")


def many_rejects_on_stderr(work: Path) -> Seen:
    rules, data = files(work, data=CSV + "7,DE,a,01/01/2026,surplus\n" * 50)
    code, out, err = cli("qualify", rules, data, "-o", work / "out.csv")
    assert err.count("rejected: ") == 20
    return Seen(code, out, err)


def jsonl_bad_line(work: Path) -> Seen:
    return qualify_rejects(work, '{"employees": 60}\nnot json\n{"employees": 70}\n', "in.jsonl")


def jsonl_carriage_returns(work: Path) -> Seen:
    # a JSON Lines file whose records end with a lone CR is one line of JSON Lines: rejected whole, with a hint
    seen = qualify_rejects(work, '{"employees": 60}\r{"employees": 70}\r', "in.jsonl")
    assert "1 row read" in seen.text
    return seen


def json_unclosed(work: Path) -> Seen:
    seen = qualify_rejects(work, '[{"employees": 60}, {"employees": 70}', "in.json")
    assert '"employees": 60' in seen.text and '"employees": 70' in seen.text and "3 rows read, 2 written, 1 rejected" in seen.text
    return seen


def json_empty(work: Path) -> Seen:
    return qualify_rejects(work, "", "in.json")


def json_deep(work: Path) -> Seen:
    return qualify_rejects(work, '{"employees": 60}\n' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "\n", "in.jsonl")


def json_lone_surrogate(work: Path) -> Seen:
    return qualify_rejects(work, '{"employees": 60}\n{"country": "\\ud800"}\n', "in.jsonl")


def json_array_bad_element(work: Path) -> Seen:
    seen = qualify_rejects(work, '[{"employees": 60}, {"employees": 6 0}, {"employees": 70}]', "in.json")
    assert '"employees": 70' in seen.text  # read on after the broken element
    return seen


def json_long_number(work: Path) -> Seen:
    return qualify_rejects(work, '[{"employees": 60}, {"employees": ' + "1" * 5000 + '}, {"employees": 70}]', "in.json")


def json_element_with_objects_inside(work: Path) -> Seen:
    broken = '{"employees": 80, "history": [{"employees": 90}, {"employees": 95}], "title": undefined}'
    seen = qualify_rejects(work, '[{"employees": 60},\n' + broken + ',\n{"employees": 70}]', "in.json")
    written = [json.loads(line)["employees"] for line in seen.text.splitlines() if line.startswith('{"employees"')]
    assert written == [60, 70]  # nothing from inside the broken element became a lead
    return seen


def bad_value(work: Path) -> Seen:
    return qualify_rejects(work, CSV + "many,DE,,\n")


def bad_value_strict(work: Path) -> Seen:
    return qualify_rejects(work, CSV + "many,DE,,\n", "in.csv", "--strict")


def nan_in_json(work: Path) -> Seen:
    seen = qualify_rejects(work, '{"employees": 60, "score": NaN, "x": Infinity}\n', "in.jsonl")
    assert json.loads(seen.text.splitlines()[-1])["score"] is None  # valid JSON out
    return seen


# -- qualify: the input as a whole -------------------------------------------------------------------
def stage_column(work: Path) -> Seen:
    rules, data = files(work, data="employees,stage\n60,Open\n")
    code, out, err = cli("qualify", rules, data, "--allow-missing-columns", "-o", work / "out.csv")
    assert not (work / "out.csv").exists()
    return Seen(code, out, err)


def duplicated_column(work: Path) -> Seen:
    rules, data = files(work, data="employees,country,tags,signed,employees\n120,DE,,,\n")
    code, out, err = cli("qualify", rules, data, "-o", work / "out.csv")
    assert not (work / "out.csv").exists()
    return Seen(code, out, err)


def stdin_is_the_output(work: Path) -> Seen:
    rules, data = files(work)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with open(data, "rb") as stdin:
        proc = subprocess.run([sys.executable, "-m", "leadspec", "qualify", str(rules), "-", "-o", str(data)], stdin=stdin, capture_output=True, text=True, env=env, timeout=120)
    assert read(data) == CSV
    return Seen(proc.returncode, proc.stdout, proc.stderr)


def gzip_without_its_name(work: Path) -> Seen:
    rules, _ = files(work)
    (work / "in.csv").write_bytes(gzip.compress(CSV.encode()))
    code, out, err = cli("qualify", rules, work / "in.csv", "-o", work / "out.csv")
    return Seen(code, out, err, read(work / "out.csv"))


def missing_column(work: Path) -> Seen:
    rules, data = files(work, data="employes,country\n60,DE\n")
    code, out, err = cli("qualify", rules, data, "-o", work / "out.csv")
    return Seen(code, out, err)


def other_delimiter(work: Path) -> Seen:
    rules, data = files(work, data="employees;country;tags;signed\n120;DE;a;01/02/2026\n")
    code, out, err = cli("qualify", rules, data, "-o", work / "out.csv")
    assert not (work / "out.csv").exists()
    return Seen(code, out, err)


def no_value_anywhere(work: Path) -> Seen:
    rules, data = files(work, data='{"Employees": 60}\n{"Employees": 70}\n', name="in.jsonl")
    code, out, err = cli("qualify", rules, data, "-o", work / "out.jsonl")
    return Seen(code, out, err)


def as_of_too_early(work: Path) -> Seen:
    windowed = RULES.replace("fields:\n", "fields:\n  events: {type: events, values: [demo]}\n") + "  - id: mql\n    when: count('demo', within='30d') >= 1\n"
    rules, data = files(work, rules=windowed)
    code, out, err = cli("qualify", rules, data, "--allow-missing-columns", "--as-of", "0001-01-02", "-o", work / "out.csv")
    assert not (work / "out.csv").exists()
    return Seen(code, out, err)


# -- the Python API -----------------------------------------------------------------------------------------
def evaluate(lead: dict) -> Seen:
    result = leadspec.loads(RULES).evaluate(lead, as_of="2026-11-01")
    return Seen("-", result.stage, result.summary(), *(f"{i.field}: {i.message}" for i in result.issues))


def api_bad_value(work: Path) -> Seen:
    return evaluate({"employees": "many"})


def api_missing_marker_nan(work: Path) -> Seen:
    result = leadspec.loads(RULES).evaluate({"employees": float("nan"), "country": math.nan, "signed": None}, as_of="2026-11-01")
    assert list(result.issues) == []  # missing, not a bad value
    return Seen("-", result.stage, result.summary())


def api_deep_cell(work: Path) -> Seen:
    return evaluate({"employees": 60, "tags": "[" * 100_000 + "]" * 100_000})


def api_huge_integer(work: Path) -> Seen:
    return evaluate({"employees": 10**5000})


def api_not_a_mapping(work: Path) -> Seen:
    with pytest.raises(leadspec.LeadError) as info:
        leadspec.loads(RULES).evaluate(["employees", 60])
    return Seen("-", type(info.value).__name__, str(info.value))


def api_strict(work: Path) -> Seen:
    with pytest.raises(leadspec.LeadError) as info:
        leadspec.loads(RULES).evaluate({"employees": "many"}, strict=True)
    return Seen("-", type(info.value).__name__, str(info.value))


# -- rule files --------------------------------------------------------------------------------------------
def check(work: Path, text: str) -> Seen:
    (work / "rules.yaml").write_text(text, encoding="utf-8")
    code, out, err = cli("check", work / "rules.yaml")
    with pytest.raises(leadspec.RulesError):  # the Python API refuses it too, with RulesError only
        leadspec.load(work / "rules.yaml")
    return Seen(code, out, err)


def rules_bad_format(work: Path) -> Seen:
    return check(work, RULES.replace('"%d/%m/%Y"', '"%d/%m/%Y (%d)"'))


def rules_huge_constant(work: Path) -> Seen:
    return check(work, RULES.replace("employees >= 50", "contains_any(country, ['x' * 99999] * 5000)"))


def rules_too_deep(work: Path) -> Seen:
    return check(work, RULES.replace("employees >= 50", "not " * 105 + "employees >= 50"))


def rules_text_times_float(work: Path) -> Seen:
    return check(work, RULES.replace("employees >= 50", "country * 2.5 == 'DEDE'"))


def rules_too_many_criteria(work: Path) -> Seen:
    return check(work, RULES.replace("    when: employees >= 50\n", "    all:\n" + "".join(f"      - c{i}: employees > {i}\n" for i in range(2001))))


def rules_too_many_operators(work: Path) -> Seen:
    sums = "".join(f"      - c{i}: " + " + ".join(["employees"] * 95) + f" > {i}\n" for i in range(300))
    return check(work, RULES.replace("    when: employees >= 50\n", "    all:\n" + sums))


def rules_huge_number(work: Path) -> Seen:
    return check(work, RULES.replace("employees: {type: integer, min: 0}", "employees: {type: integer, min: 0, default: 0x" + "f" * 4000 + "}"))


def rules_stream(work: Path) -> Seen:
    with pytest.raises(leadspec.RulesError) as info:
        leadspec.load("/dev/zero")
    code, out, err = cli("check", "/dev/zero")
    return Seen(code, out, err, str(info.value))


def rules_format_never_matches(work: Path) -> Seen:
    return check(work, RULES.replace('"%d/%m/%Y"', '"%G"'))


def rules_tag_that_does_not_fit(work: Path) -> Seen:
    return check(work, RULES.replace("name: bad-input", "name: bad-input\nversion: !!bool maybe"))


def rules_too_many_nodes(work: Path) -> Seen:
    return check(work, RULES + "lists:\n  domains: [" + ",".join(["a"] * 500_000) + "]\n")


def rules_too_large(work: Path) -> Seen:
    return check(work, RULES + "#" * (1 << 20))


SCENARIOS: dict[str, Callable[[Path], Seen]] = {
    "output is the input": output_is_input,
    "output and rejects are one file": output_is_rejects,
    "a destination's directory is missing": directory_missing,
    "the input is cut short": truncated_gzip,
    "the input is not UTF-8": not_utf8,
    "the run is stopped": terminated,
    "the terminal is closed": hung_up,
    "a `.gz` is corrupt": corrupt_gzip,
    "standard output closes early": output_closed_early,
    "`--rejects -` without `-o`": rejects_to_stdout_without_output,
    "a CSV row has too many values": csv_long_row,
    "a CSV row has too few values": csv_short_row,
    "a CSV quote is never closed": csv_unclosed_quote,
    "a JSON Lines line is not JSON": jsonl_bad_line,
    "JSON Lines separated by carriage returns": jsonl_carriage_returns,
    "a JSON array is not closed": json_unclosed,
    "an empty JSON file": json_empty,
    "JSON nested too deeply": json_deep,
    "half a surrogate pair": json_lone_surrogate,
    "a broken element of a JSON array": json_array_bad_element,
    "a broken JSON element with objects inside": json_element_with_objects_inside,
    "a JSON number too long": json_long_number,
    "NaN or Infinity in JSON input": nan_in_json,
    "a bad value": bad_value,
    "a bad value with `--strict`": bad_value_strict,
    "an input column that `qualify` adds": stage_column,
    "a CSV column the rules read is missing": missing_column,
    "a CSV split at `;` read as `,`": other_delimiter,
    "a column the rules read appears twice": duplicated_column,
    "two exports joined": repeated_header,
    "a trailing delimiter": trailing_delimiter,
    "many rejected rows, no `--rejects`": many_rejects_on_stderr,
    "standard input is the output file": stdin_is_the_output,
    "a gzip file without `.gz` in its name": gzip_without_its_name,
    "no row has a value for a field": no_value_anywhere,
    "`--as-of` before the rules' windows reach": as_of_too_early,
    "a bad value (Python)": api_bad_value,
    "NaN, `pd.NA`, `pd.NaT` (Python)": api_missing_marker_nan,
    "a list cell nested too deeply (Python)": api_deep_cell,
    "an integer of 5,000 digits (Python)": api_huge_integer,
    "a lead that is not a mapping (Python)": api_not_a_mapping,
    "a bad value with `strict=True` (Python)": api_strict,
    "a date format strptime cannot use": rules_bad_format,
    "a constant too large to build": rules_huge_constant,
    "an expression nested too deeply": rules_too_deep,
    "text repeated a fractional number of times": rules_text_times_float,
    "too many criteria": rules_too_many_criteria,
    "a rule file over 1 MiB": rules_too_large,
    "a rule file that is a stream": rules_stream,
    "a YAML value that does not fit its tag": rules_tag_that_does_not_fit,
    "a YAML document of too many nodes": rules_too_many_nodes,
    "a huge number in the YAML": rules_huge_number,
    "too many operators in a file": rules_too_many_operators,
    "a date format that never matches": rules_format_never_matches,
}


def table() -> list[tuple[str, str, str]]:
    """``(fault, exit, what you get)`` of every row of the page's table."""
    rows = []
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| ") or line.startswith("| input fault"):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        assert len(cells) == 4, line
        rows.append((cells[0], cells[2], cells[3]))
    return rows


def test_every_row_has_a_scenario_and_every_scenario_a_row() -> None:
    faults = [fault for fault, _, _ in table()]
    assert len(faults) == len(set(faults))
    assert sorted(faults) == sorted(SCENARIOS)


@pytest.mark.parametrize("fault, exit_code, what", table(), ids=[row[0] for row in table()])
def test_the_page_says_what_happens(fault: str, exit_code: str, what: str, tmp_path: Path) -> None:
    if fault in ("the run is stopped", "the terminal is closed") and not hasattr(os, "mkfifo"):
        pytest.skip("needs a named pipe")
    if fault == "a rule file that is a stream" and not os.path.exists("/dev/zero"):
        pytest.skip("needs /dev/zero")
    seen = SCENARIOS[fault](tmp_path)
    assert str(seen.code) == exit_code, seen.text
    quoted = re.findall(r"`([^`]+)`", what)
    assert quoted, f"the row of {fault!r} quotes nothing to check"
    for text in quoted:
        assert text.replace("\\|", "|") in seen.text, f"{fault}: {text!r} not in:\n{seen.text}"
