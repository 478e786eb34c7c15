"""Fuzzing ``leadspec qualify`` (issue 8): its laws on random, malformed input.

- CSV records end where the csv module ends them, and chunks cut for
  worker processes read exactly as one pass does (items 4, 9);
- ``--jobs 1`` and ``--jobs 2`` write the same bytes and reject the same
  rows, with a small batch so the input crosses many units (item 9);
- read = written + rejected on random malformed CSV, JSON Lines and JSON;
- a JSON array of known valid and broken elements gives back exactly the
  valid ones, in order, and each broken one as one reject with its text
  (whatever `},{` its strings and lists hold), at any chunk size.

``LEADSPEC_FUZZ=1`` runs many more examples.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadspec.cli import run
from leadspec.cli._io import CsvReader, JsonArrayReader, Row, chunks, csv_records

EXAMPLES = 2000 if os.environ.get("LEADSPEC_FUZZ") else 60
SLOW_EXAMPLES = 300 if os.environ.get("LEADSPEC_FUZZ") else 12  # examples that start worker processes

R_YAML = (
    "leadspec: 1\nname: r\nfields:\n  lead_id: {type: string, source: id}\n  employees: {type: integer}\n  note: {type: string}\n"
    "stages: [{id: icp, all: [{big: employees >= 50}, {ok: \"note != 'x'\"}]}]\n"
)
AS_OF = ["--as-of", "2026-11-01"]

# pieces of CSV: quotes in every place the csv module treats differently, line ends of every kind
PIECES = ["a", "100", "", ",", ",", '"', '""', '"q"', '"a,b"', 'x"y', '"abc"def', "\n", "\n", "\r\n", "\r", " ", "é"]
csv_text = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)


def records(text: str) -> list[tuple[int, int, str, list[str] | None, str | None]]:
    return [r[:5] for r in csv_records(io.StringIO(text, newline=""))]


@settings(max_examples=EXAMPLES, deadline=None)
@given(csv_text)
def test_csv_records_agree_with_the_csv_module_where_it_reads_the_whole_text(text: str) -> None:
    """On text the csv module reads without error, csv_records gives the same records."""
    try:
        expected = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        return
    got = records(text)
    assert [values for _, _, _, values, _ in got] == expected
    assert "".join(t for _, _, t, _, _ in got) == text  # every character in exactly one record


# lines as any source may give them (a lone carriage return inside, no line end, a NUL), and every delimiter
LINE_PIECES = ["a", "1", "", " ", ",", ";", "\t", "|", '"', '""', '"x;y"', "\r", "\r\n", "\n", "\x00", "é", "\u2028"]


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.lists(st.sampled_from(LINE_PIECES), max_size=12).map("".join), max_size=8), st.sampled_from(",;\t|"))
def test_csv_records_read_lines_without_quotes_as_the_csv_module_does(lines: list[str], delimiter: str) -> None:
    """A line without a quote is split without the csv module (the fast path): the same values, the same errors."""
    try:
        expected: list[list[str]] | str = list(csv.reader(iter(lines), strict=True, delimiter=delimiter))
    except csv.Error as exc:
        expected = str(exc)
    got = list(csv_records(iter(lines), delimiter=delimiter))
    errors = [r[4] for r in got if r[4] is not None]
    if isinstance(expected, str):
        assert errors and expected in errors[0]
    else:
        assert not errors
        assert [r[3] for r in got] == expected
        assert "".join(r[2] for r in got) == "".join(lines)


def test_a_line_without_a_quote_is_held_to_the_csv_modules_field_limit_too() -> None:
    # Found by review: the split of a line without a quote skipped csv.field_size_limit(), which the csv module applies
    old = csv.field_size_limit(10)
    try:
        got = list(csv_records(iter(["aaaaaaaaaaaaaaaa,b\n", "a,b\n"])))
    finally:
        csv.field_size_limit(old)
    assert got[0][3] is None and got[0][4] == "malformed CSV (line 1): field larger than field limit (10)"
    assert got[1][3] == ["a", "b"]


@settings(max_examples=EXAMPLES, deadline=None)
@given(csv_text, st.integers(min_value=1, max_value=4))
def test_chunks_read_as_one_pass_does(text: str, size: int) -> None:
    """Items 4 and 9: chunk ends are record ends, and each chunk parsed alone gives the records of one pass."""
    whole = records(text)
    assert "".join(t for _, _, t, _, _ in whole) == text
    pieces = list(chunks(io.StringIO(text, newline=""), 1, size, True))
    assert "".join(piece for _, piece in pieces) == text
    again = [r[:5] for line, piece in pieces for r in csv_records(io.StringIO(piece, newline=""), line)]
    assert again == whole


def expected_rows(text: str, header: list[str], columns: list[str] | None, first_line: int) -> list[Row]:
    """The rows the records of ``csv_records`` make, by the rules CsvReader documents: a broken record or one of the
    wrong width or repeating the header is a rejected row with its text, a blank line no row, any other a lead."""
    rows: list[Row] = []
    for line, _count, text_, values, error, _reach in csv_records(io.StringIO(text, newline=""), first_line):
        raw = text_[:-2] if text_.endswith("\r\n") else text_[:-1] if text_.endswith(("\n", "\r")) else text_
        if error is not None:
            rows.append(Row(len(rows) + 1, line, None, raw, error, raw=raw))
        elif not values:
            continue
        elif len(values) != len(header):
            reason = f"{len(values)} values but the header has {len(header)} columns"
            if len(values) > len(header) and not any(values[len(header) :]):
                reason += "; the extra values are empty: a trailing delimiter?"
            rows.append(Row(len(rows) + 1, line, None, values, reason, raw=raw))
        elif values == header:
            rows.append(Row(len(rows) + 1, line, None, values, "the row repeats the header (two exports joined?)", raw=raw))
        else:
            lead = dict(zip(header, values))
            lead = lead if columns is None else {name: lead[name] for name in columns if name in lead}
            rows.append(Row(len(rows) + 1, line, lead, values, None, raw, raw))
    return rows


# rows of about the header's width: plain lines (the reader's fast path) beside quotes, blank lines, the header again
ROW_PIECES = ["a", "1", "", " ", '"', '"q"', '"a\nb"', 'x"y', "\r", "é"]
csv_line = st.one_of(st.lists(st.sampled_from(ROW_PIECES), min_size=0, max_size=4).map(",".join), st.sampled_from(["a,b,c", "a"]))
csv_rows = st.lists(st.tuples(csv_line, st.sampled_from(["\n", "\r\n", "\r", ""])).map("".join), max_size=12).map("".join)


@settings(max_examples=EXAMPLES, deadline=None)
@given(csv_rows, st.sampled_from([["a", "b", "c"], ["a"]]), st.sampled_from([None, ["c", "a"], ["zz"]]), st.booleans())
def test_the_csv_reader_makes_the_rows_the_records_make(text: str, header: list[str], columns: list[str] | None, given_header: bool) -> None:
    """CsvReader makes most rows in a loop of its own, not from csv_records' tuples: the same rows, the same numbers."""
    if given_header:  # a chunk of a file: its header read before
        reader = CsvReader(io.StringIO(text, newline=""), header=header, columns=columns)
    else:
        reader = CsvReader(io.StringIO(",".join(header) + "\r\n" + text, newline=""), columns=columns)
        assert reader.header == header and reader.next_line == 2
    assert list(reader) == expected_rows(text, header, columns, 1 if given_header else 2)


def _summary(err: str) -> tuple[int, int, int]:
    match = re.search(r"^([\d,]+) rows? read, ([\d,]+) written, ([\d,]+) rejected", err, re.MULTILINE)
    assert match, err
    read, written, rejected = (int(g.replace(",", "")) for g in match.groups())
    return read, written, rejected


def _qualify(rules: str, text: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(["qualify", rules, "-", *args, *AS_OF], stdout=out, stderr=err, stdin=io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("fuzz") / "r.yaml"
    path.write_text(R_YAML)
    return str(path)


def _rows_of(piece: str) -> str:
    return "id,employees,note\n" + piece


@settings(max_examples=SLOW_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(csv_text, st.integers(min_value=1, max_value=3))
def test_jobs_1_and_jobs_2_write_the_same_bytes(rules: str, monkeypatch: pytest.MonkeyPatch, text: str, batch: int) -> None:
    """Item 9: the same output, the same rejects (on stderr, in order), the same summary."""
    monkeypatch.setattr(importlib.import_module("leadspec.cli.qualify"), "BATCH", batch)
    data = _rows_of(text)
    one = _qualify(rules, data, "--input-format", "csv", "--jobs", "1")
    two = _qualify(rules, data, "--input-format", "csv", "--jobs", "2")
    assert one == two


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(csv_text)
def test_every_csv_row_read_is_written_or_rejected(rules: str, tmp_path: Path, text: str) -> None:
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = _qualify(rules, _rows_of(text), "--input-format", "csv", "--rejects", str(rejects))
    assert code in (0, 1), err
    read, written, rejected = _summary(err)
    assert read == written + rejected
    assert len(list(csv.reader(io.StringIO(out, newline="")))) == written + 1
    lines = rejects.read_text(encoding="utf-8").splitlines()
    assert len(lines) == rejected and all(isinstance(json.loads(line)["record"], (str, list)) for line in lines)


JSON_PIECES = ['{"id": "1", "employees": 100}', '{"id": "2"}', "{", "}", "[", "]", ",", ", ", "\n", '"x"', "7", "tru", '{"a": [1, {"b": 2}]}', '"\\ud800"', "NaN", " "]
json_text = st.lists(st.sampled_from(JSON_PIECES), max_size=30).map("".join)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(json_text, st.sampled_from(["jsonl", "json"]))
def test_every_json_record_read_is_written_or_rejected(rules: str, tmp_path: Path, text: str, fmt: str) -> None:
    if fmt == "json":
        text = "[" + text
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = _qualify(rules, text, "--input-format", fmt, "--output-format", "jsonl", "--rejects", str(rejects))
    if code == 2:  # refused as a whole (a record with a key qualify adds cannot come from these pieces)
        raise AssertionError(err)
    read, written, rejected = _summary(err)
    assert read == written + rejected
    assert len(out.splitlines()) == written
    for line in out.splitlines():
        json.loads(line, parse_constant=lambda c: pytest.fail(f"{c} written"))
    assert len(rejects.read_text(encoding="utf-8").splitlines()) == rejected


# a JSON array built from known elements: what comes out is checked against the list, not against the tool's own counts
TEXTS = ["a", "},{", '}, {"id": "9"}', "[1, 2]", "]", "[", '"', "\\", ",", "\n", "é", "\u00e9"]
keys = st.sampled_from(["note", "x", "events", "title", "a b", "},{"])
values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 500) | st.sampled_from(TEXTS),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=8,
)
valid_elements = st.dictionaries(keys, values, max_size=3)
BAD_MEMBERS = ['"title": undefined', '"a": tru', '"a": [1, 2,]', '"a": {"b": 1,}', "'n': 'single'", '"a" 1', '"k": 01', '"e": [{"t": 1}, {"t": 2}] "z"', "}{"]


@st.composite
def broken_elements(draw: st.DrawFn) -> str:
    """An object with at least one bad member among good ones; brackets balanced and strings closed, as an export's are."""
    good = draw(st.lists(st.tuples(keys, values), max_size=3))
    members = [json.dumps(k) + ": " + json.dumps(v) for k, v in good]
    members.insert(draw(st.integers(0, len(members))), draw(st.sampled_from(BAD_MEMBERS)))
    return "{" + ", ".join(members) + "}"


elements = st.lists(st.one_of(valid_elements.map(lambda d: ("valid", d)), broken_elements().map(lambda t: ("broken", t))), max_size=8)
separators = st.sampled_from([",", ", ", ",\n", "\n, ", " ,\n  "])


def _array(items: list[tuple[str, object]], seps: list[str]) -> str:
    texts = [json.dumps(item, ensure_ascii=False) if kind == "valid" else str(item) for kind, item in items]
    body = "".join(text + (seps[i % len(seps)] if i < len(texts) - 1 else "") for i, text in enumerate(texts))
    return "[\n" + body + "\n]\n"


@settings(max_examples=EXAMPLES, deadline=None)
@given(elements, st.lists(separators, min_size=1, max_size=3), st.integers(min_value=1, max_value=64))
def test_a_json_array_gives_back_its_valid_elements_and_rejects_each_broken_one(items: list[tuple[str, object]], seps: list[str], chunk: int) -> None:
    """Review defect 4: resync starts at the next top-level element, never inside a broken one (any chunk size)."""
    text = _array(items, seps)
    rows = list(JsonArrayReader(io.StringIO(text), chunk=chunk))
    assert [row.number for row in rows] == list(range(1, len(items) + 1))
    for row, (kind, item) in zip(rows, items):
        if kind == "valid":
            assert row.error is None and row.lead == item
        else:
            assert row.error is not None and not row.stop and row.raw == item and row.lead is None


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(elements, st.lists(separators, min_size=1, max_size=3))
def test_qualify_writes_exactly_the_valid_elements_of_a_json_array(rules: str, tmp_path: Path, items: list[tuple[str, object]], seps: list[str]) -> None:
    """Review defect 4: the leads written are the valid elements in order; each broken element is one reject with its text."""
    numbered = [(kind, {"id": str(i), **item} if kind == "valid" else item) for i, (kind, item) in enumerate(items)]  # type: ignore[dict-item]
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = _qualify(rules, _array(numbered, seps), "--input-format", "json", "--output-format", "jsonl", "--rejects", str(rejects))
    assert code in (0, 1), err
    written = [json.loads(line) for line in out.splitlines()]
    for lead in written:
        del lead["stage"], lead["reasons"]
    assert written == [item for kind, item in numbered if kind == "valid"]
    got = [(entry["row"], entry["record"]) for entry in map(json.loads, rejects.read_text(encoding="utf-8").splitlines())]
    assert got == [(i + 1, item) for i, (kind, item) in enumerate(numbered) if kind == "broken"]
    assert _summary(err) == (len(items), len(written), len(got))


def test_a_csv_reader_iterated_again_goes_on_where_it_stopped() -> None:
    # Found by review: a second iteration numbered its lines from the header's next line again (the row on line 3
    # said line 2); now every iteration goes on with the one reading, lines and record numbers alike
    reader = CsvReader(io.StringIO("id\n1\n2\n3\n", newline=""))
    assert next(iter(reader)).original == ["1"]
    assert [(row.number, row.line, row.original) for row in reader] == [(2, 3, ["2"]), (3, 4, ["3"])]
