"""``leadspec qualify --engine duckdb``: the Python engine's output file, read and written by DuckDB itself.

On a CSV or Parquet file written to a CSV or Parquet file, DuckDB reads the
input, runs the rules' query and writes the output (the native path); what it
would read otherwise than the Python engine's reader (broken quoting, a row
repeating the header, extra empty values at a row's end), standard input,
JSON, ``--strict`` go through the batch path (the Python engine's readers and
writer, DuckDB evaluating batch by batch). Every output here is compared with
``--engine python``'s, the oracle: byte for byte on both real exports, row
for row on messy generated CSVs (the native path quotes a value only where
it must), and the rejects, summaries and exit codes as they are.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT, SHARED_DATA, cli

pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")

EXAMPLES = 2000 if os.environ.get("LEADSPEC_FUZZ") else 12
AS_OF = ("--as-of", "2026-11-01")
X_EDUCATION = SHARED_DATA / "x-education-leads.csv"
MAVEN = SHARED_DATA / "maven-crm" / "sales_pipeline.csv"




@pytest.fixture
def native(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The formats the native path wrote, one per run that went through it (a run through the batch path adds nothing)."""
    from leadspec.cli import _native

    runs: list[str] = []
    original = _native.Native.write

    def spy(self: Any, fmt: str, sink: Any, writer: Any) -> None:
        runs.append(fmt)
        original(self, fmt, sink, writer)

    monkeypatch.setattr(_native.Native, "write", spy)
    return runs


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The thread each check for extra values at a row's end ran in, one per native run over a CSV."""
    import threading

    from leadspec.cli import _native

    ran: list[str] = []
    original = _native.Native._trailing_values

    def spy(self: Any, whole: bool = False) -> None:
        ran.append(threading.current_thread().name)
        original(self, whole)

    monkeypatch.setattr(_native.Native, "_trailing_values", spy)
    return ran


def both(tmp_path: Path, rules: Path | str, source: Path | str, *extra: str, out: str = "out.csv") -> tuple[bytes, tuple[int, str], tuple[int, str]]:
    """Run qualify with each engine; the Python engine's output bytes, and (exit code, stderr) of each engine."""
    outputs = {}
    results = {}
    for engine in ("python", "duckdb"):
        target = tmp_path / f"{engine}-{out}"
        code, _out, err = cli("qualify", str(rules), str(source), "-o", str(target), *AS_OF, "--engine", engine, *extra)
        outputs[engine] = target.read_bytes() if target.exists() else b""
        results[engine] = (code, err)
    assert outputs["duckdb"] == outputs["python"], _first_difference(outputs["python"], outputs["duckdb"])
    return outputs["python"], results["python"], results["duckdb"]


def _first_difference(a: bytes, b: bytes) -> str:
    lines_a, lines_b = a.splitlines(keepends=True), b.splitlines(keepends=True)
    for i, (x, y) in enumerate(zip(lines_a, lines_b), 1):
        if x != y:
            return f"line {i}:\n python {x!r}\n duckdb {y!r}"
    return f"python wrote {len(lines_a)} lines, duckdb {len(lines_b)}"


# -- the real exports ---------------------------------------------------------------------------


def _need(path: Path) -> None:
    if not path.is_file():
        pytest.skip(f"the real export {path} is not there (see ../shared/data/README.md beside the checkout)")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_x_education_export_is_written_byte_for_byte_as_the_python_engine_writes_it(tmp_path: Path, jobs: str, native: list[str]) -> None:
    _need(X_EDUCATION)  # CRLF line ends, an empty last header name (DuckDB would call it column37)
    written, python, duckdb = both(tmp_path, ROOT / "rules" / "x-education.yaml", X_EDUCATION, "--jobs", jobs)
    assert native == ["csv"]  # DuckDB read and wrote it
    assert python == duckdb
    assert python[0] == 0, python[1]
    assert written.count(b"\r\n") == 9241  # the header and every lead
    assert "9,240 rows read, 9,240 written, 0 rejected" in duckdb[1]


def test_the_x_education_export_as_json_lines_is_the_python_engines(tmp_path: Path) -> None:
    _need(X_EDUCATION)
    written, python, duckdb = both(tmp_path, ROOT / "rules" / "x-education.yaml", X_EDUCATION, out="out.jsonl")
    assert python == duckdb
    assert len(written.splitlines()) == 9240


def test_the_maven_pipeline_export_is_written_byte_for_byte_as_the_python_engine_writes_it(tmp_path: Path, native: list[str]) -> None:
    _need(MAVEN)
    written, python, duckdb = both(tmp_path, FIXTURES / "maven-pipeline.yaml", MAVEN)
    assert native == ["csv"]
    assert python == duckdb
    assert python[0] == 0
    assert written.splitlines()[0].endswith(b",stage,reasons,flags.gtx,flags.big_deal")


def test_strict_rejects_the_same_maven_leads_with_the_same_reasons(tmp_path: Path) -> None:
    _need(MAVEN)
    source = tmp_path / "pipeline.csv"
    text = MAVEN.read_text(encoding="utf-8").splitlines(keepends=True)
    source.write_text("".join(text[:200] + [text[5].replace("Won", "Wonn", 1), text[6].replace("/", "-", 1)]), encoding="utf-8", newline="")
    rejects = {}
    for engine in ("python", "duckdb"):
        target = tmp_path / f"{engine}.jsonl"
        code, _out, err = cli("qualify", str(FIXTURES / "maven-pipeline.yaml"), str(source), "-o", str(tmp_path / f"{engine}.csv"), *AS_OF,
                              "--engine", engine, "--strict", "--rejects", str(target))
        assert code == 1, err
        rejects[engine] = target.read_bytes()
    assert rejects["duckdb"] == rejects["python"]
    assert len(rejects["python"].splitlines()) >= 2
    assert (tmp_path / "duckdb.csv").read_bytes() == (tmp_path / "python.csv").read_bytes()


# -- messy generated CSVs ------------------------------------------------------------------------

MESSY_RULES = """\
leadspec: 1
name: messy
missing: ["", "n/a", "Select"]
fields:
  size:    {type: integer, source: Employees}
  spend:   {type: number, source: "Spend, USD"}
  active:  {type: boolean}
  tier:    {type: enum, values: [Gold, Silver, Bronze]}
  since:   {type: date, format: "%m/%d/%Y"}
  country: {type: string}
flags:
  rich: spend >= 1000
  gold: tier == 'Gold'
disqualify:
  - inactive: active == False
stages:
  - id: icp
    all:
      - big: size >= 50
      - where: country in ['US', 'UK']
  - id: mql
    any:
      - spender: spend > 500
      - recent: 0 <= days_since(since) <= 365
"""

HEADER = ["Id", "Employees", "Spend, USD", "active", "tier", "since", "country", "Notes"]

CELL = st.one_of(
    st.sampled_from(["", " ", "n/a", "Select", "N/A", "0", "12", "50", "1e3", "1.5", "-7", "١٢", "abc", "1,000", "999.99", "1500", "nan", "inf"]),
    st.sampled_from(["yes", "No", "TRUE", "0", "1", "maybe", "gold", "Silver", " Bronze ", "Platinum", "10/02/2026", "2026-02-30", "2026-10-02", "13/01/2026"]),
    st.sampled_from(["US", "UK", "us", "Germany", 'say "hi"', "line\nbreak", "cr\r\nlf", "a,b", "ünïcödé", "\t"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8),
)


def _cell(value: str, quote: bool) -> str:
    if quote or any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


@st.composite
def messy_csv(draw: Any) -> str:
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [",".join(_cell(h, False) for h in HEADER)]
    for number in range(draw(st.integers(0, 25))):
        shape = draw(st.sampled_from(["row"] * 8 + ["short", "long", "blank", "broken", "header"]))
        cells = [str(number)] + [draw(CELL) for _ in HEADER[1:]]
        if shape == "short":
            cells = cells[:3]
        elif shape == "long":
            cells = cells + ["extra"]
        if shape == "blank":
            lines.append("")
        elif shape == "broken":
            lines.append(",".join(cells[:2]) + ',"unclosed' + eol + "next,line")
        elif shape == "header":
            lines.append(",".join(_cell(h, False) for h in HEADER))
        else:
            lines.append(",".join(_cell(c, draw(st.booleans())) for c in cells))
    return eol.join(lines) + (eol if draw(st.booleans()) else "")


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=messy_csv(), strict=st.booleans(), block=st.sampled_from([None, None, 8, 25, 64]), jobs=st.sampled_from(["1", "2"]))
def test_messy_csvs_are_written_and_rejected_as_the_python_engine_does(tmp_path: Path, text: str, strict: bool, block: int | None, jobs: str) -> None:
    # block: the bytes the check for extra values reads at a time (small: blocks end inside lines and quoted values);
    # jobs: DuckDB reads a column more than the header with one thread, as many with two
    from leadspec.cli import _native

    kept = _native.LINES_BLOCK
    _native.LINES_BLOCK = block or kept
    try:
        _messy(tmp_path, text, strict, jobs)
    finally:
        _native.LINES_BLOCK = kept


def _messy(tmp_path: Path, text: str, strict: bool, jobs: str = "1") -> None:
    rules = tmp_path / "messy.yaml"
    rules.write_text(MESSY_RULES, encoding="utf-8")
    source = tmp_path / "leads.csv"
    source.write_bytes(text.encode("utf-8"))
    extra = ["--strict"] if strict else []
    runs = {}
    for engine in ("python", "duckdb"):
        code, _out, err = cli("qualify", str(rules), str(source), "-o", str(tmp_path / f"{engine}.csv"), *AS_OF, "--engine", engine, *extra,
                              "--rejects", str(tmp_path / f"{engine}-rejects.jsonl"), "--jobs", jobs)
        written = (tmp_path / f"{engine}.csv").read_bytes()
        rejected = (tmp_path / f"{engine}-rejects.jsonl").read_bytes()
        runs[engine] = (code, err, _records(written), rejected)
    assert runs["duckdb"][2] == runs["python"][2]  # the same values (the native path quotes only where it must)
    assert runs["duckdb"] == runs["python"]


VALUE_TEXT = st.text(alphabet=st.sampled_from([",", '"', "\n", " ", "a", "b"]), max_size=5)


@st.composite
def csv_lines(draw: Any) -> tuple[str, int]:
    """Records of 2-4 values (a value quoted, bare, or with a space before its quote), some with a value more or
    fewer than the width, blank lines, "\\n" or "\\r\\n" line ends: whole lines, as the check reads a block."""
    width = draw(st.integers(1, 4))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        if draw(st.integers(0, 9)) == 0:
            lines.append("")
            continue
        count = width + draw(st.sampled_from([0, 0, 0, -1, 1, 2]))
        values = [draw(VALUE_TEXT) for _ in range(max(count, 1))]
        shown = []
        for value in values:
            how = draw(st.sampled_from(["quoted", "bare", "spaced"]))
            quoted = '"' + value.replace('"', '""') + '"'
            shown.append(quoted if how == "quoted" else " " + quoted if how == "spaced" else value)
        lines.append(",".join(shown))
    return eol.join(lines) + eol, width


QUOTE_SOUP = st.text(alphabet='",\n\r a', max_size=40).map(lambda t: t.encode("utf-8"))
"""Short texts of quotes, delimiters, line breaks and spaces: every way a quote can stand."""


@settings(max_examples=EXAMPLES * 20, deadline=None)
@given(case=csv_lines())
def test_counting_a_block_at_once_never_misses_a_record_with_more_values_than_columns(case: tuple[str, int]) -> None:
    # The law the check for extra values rests on: when the whole-block count says every record has width - 1
    # delimiters (or one has fewer), the Python reader finds no record with more values than columns, or it finds one
    # with fewer (a row DuckDB rejects: the rejects are then compared record by record).
    from leadspec.cli._native import counted

    text, width = case
    if not counted(text.encode("utf-8"), b",", width):
        return
    try:
        records = [r for r in csv.reader(io.StringIO(text, newline=""), strict=True) if r]
    except csv.Error:
        return  # a record neither reader reads as a row of values
    assert all(len(r) <= width for r in records) or any(len(r) < width for r in records), (text, width, records)


@settings(max_examples=EXAMPLES * 20, deadline=None)
@given(case=csv_lines())
def test_the_line_breaks_inside_quoted_values_are_the_ones_the_bare_text_lost(case: tuple[str, int]) -> None:
    # counted as the quoted values are taken out (the block is not counted a second time): the same number
    from leadspec.cli._native import bare, quoted_breaks

    data, width = case[0].encode("utf-8"), case[1]
    found = quoted_breaks(data, b",", width)
    if found is not None:
        assert found == data.count(b"\n") - bare(data, b",").count(b"\n"), case


def _quoted_breaks_by_bare(data: bytes, d: bytes, width: int) -> int | None:
    """quoted_breaks as it was first written: on :func:`bare`'s text, made with one regular expression substitution."""
    from leadspec.cli._native import _blank, _lines, bare

    records = bare(data, d) if b'"' in data else data
    if b'"' in records or _blank(records) or records.count(d) != (width - 1) * _lines(records):
        return None
    return data.count(b"\n") - records.count(b"\n")


@settings(max_examples=EXAMPLES * 20, deadline=None)
@given(case=st.one_of(csv_lines().map(lambda c: (c[0].encode("utf-8"), c[1])), st.tuples(QUOTE_SOUP, st.integers(1, 4))))
def test_the_quoted_values_found_one_by_one_are_the_ones_the_substitution_takes_out(case: tuple[bytes, int]) -> None:
    # quoted_breaks finds each quote with bytes.find instead of substituting over the whole text (a tenth of the time
    # on a 260 MB export): it decides as the substitution's text does, with the same count
    from leadspec.cli._native import quoted_breaks

    data, width = case
    assert quoted_breaks(data, b",", width) == _quoted_breaks_by_bare(data, b",", width), case


@settings(max_examples=EXAMPLES * 20, deadline=None)
@given(data=QUOTE_SOUP)
def test_the_line_breaks_counted_before_a_record_left_open_are_its_prefixs(data: bytes) -> None:
    # the check carries a record a block ends inside to the next block, and counts the line breaks before it once
    from leadspec.cli._native import quoted_scan, quoted_spans

    inside, at, record, before = quoted_scan(data, b",")
    if at < 0:
        assert inside == quoted_spans(data, b",")
    else:
        assert record <= at and before == quoted_spans(data[:record], b","), data


def test_the_quoted_values_found_one_by_one_decide_as_the_substitution_whatever_the_delimiter() -> None:
    # a quoted value after a carriage return delimiter is a whole line of the bare text (found by review; the command
    # line takes no such delimiter, the function is right for any)
    from leadspec.cli._native import quoted_breaks

    for data, d, width in ((b'\r""', b"\r", 2), (b'a\r""\r\n', b"\r", 2), (b'"x"\r\n"y"', b";", 1), (b'1;"a\n\nb"\n', b";", 2)):
        assert quoted_breaks(data, d, width) == _quoted_breaks_by_bare(data, d, width), (data, d, width)


def test_counting_a_block_at_once_takes_out_only_quoted_values_that_start_and_end_a_value() -> None:
    from leadspec.cli._native import bare, counted

    assert bare(b'1,"a,""b""",c\n"x\ny",2,3\n', b",") == b"1,,c\n,2,3\n"
    assert bare(b'1, "a,b",c\n', b",") == b'1, "a,b",c\n'  # after a space: the Python reader keeps the quotes as text
    assert bare(b'1,a"b,c"d,e\n', b",") == b'1,a"b,c"d,e\n'  # inside a value
    assert counted(b'1,"a,b",c\n2,x,y\n', b",", 3)
    assert counted(b'1,"a,b",c,\n2,x\n', b",", 3)  # totals equal: the row with fewer is a reject, compared record by record
    assert not counted(b'1,"a,b",c,\n2,x,y\n', b",", 3)  # a delimiter more: counted line by line
    assert not counted(b'1,"a,b",c,\n\n2,x,y\n', b",", 3)  # a blank line: counted line by line
    assert not counted(b'1, "a,b",c\n', b",", 3)  # a quote after a space
    assert not counted(b'1,60,US\n6, "80",US\n', b",", 3)  # the same count, but the readers read ' "80"' and '80'
    assert not counted(b'1,2,3\n', "§".encode(), 3)  # a delimiter of two bytes


def _quoted_spans_by_bare(data: bytes, d: bytes) -> int | None:
    """quoted_spans by its definition: :func:`bare`'s text (one regular expression substitution) holds no quote."""
    from leadspec.cli._native import bare

    records = bare(data, d)
    return None if b'"' in records else data.count(b"\n") - records.count(b"\n")


@settings(max_examples=EXAMPLES * 20, deadline=None)
@given(case=st.one_of(csv_lines().map(lambda c: (c[0].encode("utf-8"), c[1])), st.tuples(QUOTE_SOUP, st.integers(1, 4))))
def test_the_quoted_values_found_one_by_one_are_the_ones_the_substitution_takes_out(case: tuple[bytes, int]) -> None:
    # quoted_spans finds each quote with bytes.find instead of substituting over the whole text (a tenth of the time
    # on a 260 MB export): it decides as the substitution's text does, with the line breaks the bare text lost
    from leadspec.cli._native import quoted_spans

    data, _width = case
    assert quoted_spans(data, b",") == _quoted_spans_by_bare(data, b","), case


@settings(max_examples=EXAMPLES * 20, deadline=None)
@given(case=csv_lines())
def test_where_the_quoted_values_are_whole_the_python_reader_reads_the_values_duckdb_reads(case: tuple[str, int]) -> None:
    # The law the fast look at a block rests on: when each quote is part of a quoted value that starts and ends where a
    # value does, a record's values are the text between the delimiters outside them (what DuckDB's reader takes),
    # the quoted ones unquoted.
    from leadspec.cli._native import quoted_spans, quoted_value

    text, _width = case
    data = text.encode("utf-8")
    if quoted_spans(data, b",") is None:
        return
    records = [r for r in csv.reader(io.StringIO(text, newline=""), strict=True) if r]
    # each quoted value as one character (a line that is one quoted value is a record, not a blank line)
    plain = quoted_value(b",").sub(b"Q", data)
    lines = [line for line in plain.replace(b"\r\n", b"\n").split(b"\n") if line]
    assert [len(r) for r in records] == [line.count(b",") + 1 for line in lines], (text, records)


def test_the_quoted_values_found_one_by_one_decide_as_the_substitution_whatever_the_delimiter() -> None:
    # a quoted value after a carriage return delimiter is a whole line of the bare text (found by review; the command
    # line takes no such delimiter, the function is right for any)
    from leadspec.cli._native import quoted_spans

    for data, d in ((b'\r""', b"\r"), (b'a\r""\r\n', b"\r"), (b'"x"\r\n"y"', b";"), (b'1;"a\n\nb"\n', b";")):
        assert quoted_spans(data, d) == _quoted_spans_by_bare(data, d), (data, d)


def test_a_block_is_looked_at_whole_only_where_its_quoted_values_start_and_end_a_value() -> None:
    from leadspec.cli._native import bare, quoted_spans

    assert bare(b'1,"a,""b""",c\n"x\ny",2,3\n', b",") == b"1,,c\n,2,3\n"
    assert bare(b'1, "a,b",c\n', b",") == b'1, "a,b",c\n'  # after a space: the Python reader keeps the quotes as text
    assert bare(b'1,a"b,c"d,e\n', b",") == b'1,a"b,c"d,e\n'  # inside a value
    assert quoted_spans(b'1,"a,b",c\n2,x,y\n', b",") == 0
    assert quoted_spans(b'1,"a\nb",c\n"x\r\n\ny",2\n', b",") == 3
    assert quoted_spans(b"1,2,3,,\n\n", b",") == 0  # extra values and blank lines: DuckDB tells rows of the wrong width apart
    assert quoted_spans(b'1, "a,b",c\n', b",") is None  # a quote after a space
    assert quoted_spans(b'1,"a" ,c\n', b",") is None  # a space after a closing quote
    assert quoted_spans(b'1,"a\nb', b",") is None  # a quoted value the block does not close
    assert quoted_spans(b'1,2,3\n', "§".encode()) is None  # a delimiter of two bytes


def _records(written: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(written.decode("utf-8"), newline="")))


# -- JSON Lines: values of every JSON type ---------------------------------------------------------

TYPED_RULES = """\
leadspec: 1
name: typed
fields:
  size:    {type: integer, source: account.employees}
  sector:  {type: string, source: account.sector}
  spend:   {type: number}
  active:  {type: boolean}
  tags:    {type: list}
  name:    {type: string}
flags:
  tagged: "'vip' in tags"
stages:
  - id: icp
    all:
      - big: size >= 50
      - tech: sector == 'software'
  - id: mql
    any:
      - spender: spend > 500
      - switched_on: active
"""

TYPED_LEADS = [
    {"name": "a", "account": {"employees": 120, "sector": "software"}, "spend": 900, "active": True, "tags": ["vip", "x"]},
    {"name": "b", "account": {"employees": "75", "sector": "software"}, "spend": "12.5", "active": "yes", "tags": "vip; y"},
    {"name": 7, "account": {"employees": 10.0}, "spend": 1e3, "active": False, "tags": []},
    {"name": None, "account": None, "spend": None, "active": None},
    {"name": "c", "account": {"employees": True, "sector": 5}, "spend": True, "active": 1, "tags": [1, "vip"]},
    {"name": "d", "account.employees": 60, "account": {"sector": "software"}, "spend": -1, "active": "maybe"},
    {"name": "e", "account": {"employees": 2**70}, "spend": 2.5},
    {"name": "f", "account": "not an object", "spend": [1], "active": {"x": 1}},
    {"name": "g", "extra": {"deep": [1, {"x": None}]}, "spend": 501, "active": "true"},
]


@pytest.mark.parametrize("out", ["out.jsonl", "out.csv", "out.json"])
def test_json_lines_of_every_json_type_are_qualified_as_the_python_engine_qualifies_them(tmp_path: Path, out: str) -> None:
    rules = tmp_path / "typed.yaml"
    rules.write_text(TYPED_RULES, encoding="utf-8")
    source = tmp_path / "leads.jsonl"
    lines = [json.dumps(lead) for lead in TYPED_LEADS]
    lines.insert(3, '{"name": broken')
    lines.insert(5, "[1, 2]")
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    written, python, duckdb = both(tmp_path, rules, source, out=out)
    assert python == duckdb
    assert python[0] == 1  # the broken line and the array are rejects
    assert "11 rows read" in python[1]
    if out == "out.jsonl":
        stages = [json.loads(line)["stage"] for line in written.decode().splitlines()]
        assert len(stages) == len(TYPED_LEADS)


# -- the output file is written whole or not at all ---------------------------------------------------


def test_a_failing_duckdb_run_leaves_the_destination_as_it_was(tmp_path: Path) -> None:
    rules = tmp_path / "typed.yaml"
    rules.write_text(TYPED_RULES, encoding="utf-8")
    source = tmp_path / "leads.jsonl"
    leads = [{"name": f"n{i}", "spend": i} for i in range(30_000)]
    leads[25_000]["stage"] = "theirs"  # a key qualify would overwrite: the run stops, in the second batch
    source.write_text("".join(json.dumps(lead) + "\n" for lead in leads), encoding="utf-8")
    target = tmp_path / "out.jsonl"
    target.write_text("what was there\n", encoding="utf-8")
    code, _out, err = cli("qualify", str(rules), str(source), "-o", str(target), *AS_OF, "--engine", "duckdb")
    assert code == 2
    assert "has a key 'stage', which qualify adds" in err
    assert target.read_text(encoding="utf-8") == "what was there\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leads.jsonl", "out.jsonl", "typed.yaml"]  # no temporary file left


def _qualify_module() -> Any:
    """The module of the qualify command (the package's attribute of that name is the command)."""
    import leadspec.cli  # noqa: F401

    return sys.modules["leadspec.cli.qualify"]


# -- options --------------------------------------------------------------------------------------


def test_details_are_refused_with_the_duckdb_engine(tmp_path: Path) -> None:
    code, _out, err = cli("qualify", str(ROOT / "rules" / "x-education.yaml"), str(ROOT / "examples" / "x-education-sample.csv"), "--engine", "duckdb", "--details")
    assert code == 2
    assert "--details needs --engine python" in err


def test_without_duckdb_the_engine_says_what_to_install_and_auto_uses_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb raises ImportError
    sample = ROOT / "examples" / "x-education-sample.csv"
    rules = ROOT / "rules" / "x-education.yaml"
    code, out, err = cli("qualify", str(rules), str(sample), "--engine", "duckdb", *AS_OF)
    assert code == 2
    assert "pip install 'leadspec[duckdb]'" in err
    assert out == ""
    monkeypatch.setattr(_qualify_module(), "AUTO_BYTES", 1)
    code, out_auto, err = cli("qualify", str(rules), str(sample), "--engine", "auto", *AS_OF)
    code_python, out_python, _err = cli("qualify", str(rules), str(sample), "--engine", "python", *AS_OF)
    assert (code, out_auto) == (code_python, out_python)
    assert out_auto


def test_auto_uses_duckdb_from_the_documented_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import leadspec.duckdb

    calls: list[int] = []
    original = leadspec.duckdb.Qualifier.outcomes

    def counting(self: Any, leads: Any) -> Any:
        calls.append(len(leads))
        return original(self, leads)

    monkeypatch.setattr(leadspec.duckdb.Qualifier, "outcomes", counting)
    sample = ROOT / "examples" / "x-education-sample.csv"
    rules = ROOT / "rules" / "x-education.yaml"
    size = sample.stat().st_size
    monkeypatch.setattr(_qualify_module(), "AUTO_BYTES", size + 1)
    assert cli("qualify", str(rules), str(sample), "--engine", "auto", *AS_OF)[0] == 0
    assert calls == []  # smaller than the threshold: Python
    monkeypatch.setattr(_qualify_module(), "AUTO_BYTES", size)
    code, _out, err = cli("qualify", str(rules), str(sample), "--engine", "auto", *AS_OF)
    assert code == 0, err
    assert sum(calls) > 0  # as large as the threshold: DuckDB


MIXED_LIST_RULES = """\
leadspec: 1
name: mixed
fields:
  n: {type: integer}
  title: {type: string}
  tags: {type: list}
stages:
  - id: mql
    all:
      - id: same
        when: "[n, title] == tags"
"""


def test_rules_without_a_translation_stop_the_duckdb_engine_before_any_output_and_auto_uses_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a list of a number and a text loaded and ran in Python; `--engine duckdb` wrote the header to standard output and
    # ended in DuckDB's Binder Error with a traceback: to_sql refuses it, the command says so (exit 2), nothing is written
    rules = tmp_path / "mixed.yaml"
    rules.write_text(MIXED_LIST_RULES, encoding="utf-8")
    source = tmp_path / "in.csv"
    source.write_text('n,title,tags\n1,a,"[""1"",""a""]"\n2,b,x\n', encoding="utf-8")
    for output in ("-", str(tmp_path / "out.csv")):
        code, out, err = cli("qualify", str(rules), str(source), "-o", output, "--engine", "duckdb", *AS_OF)
        assert (code, out) == (2, "")
        assert err == "--engine duckdb: a list of numbers and text (in mql.same) has no translation for the duckdb dialect; use --engine python\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "mixed.yaml"]
    monkeypatch.setattr(_qualify_module(), "AUTO_BYTES", 1)  # large enough for DuckDB: auto takes the engine that runs these rules
    code, out_auto, err = cli("qualify", str(rules), str(source), "--engine", "auto", *AS_OF)
    assert (code, out_auto) == cli("qualify", str(rules), str(source), "--engine", "python", *AS_OF)[:2]
    assert "mql.same fail" in out_auto and err == "2 rows read, 2 written, 0 rejected (lead 2, mql 0)\n"
    parquet = tmp_path / "out.parquet"  # only DuckDB writes Parquet: auto cannot choose Python
    code, _out, err = cli("qualify", str(rules), str(source), "-o", str(parquet), "--engine", "auto", *AS_OF)
    assert code == 2 and err.startswith("--engine auto: a list of numbers and text (in mql.same) has no translation") and not parquet.exists()


NESTED_EVENTS_RULES = """\
leadspec: 1
name: nested-events
fields:
  events: {type: events, source: activity.events, values: [demo]}
stages:
  - id: engaged
    when: count('demo') > 0
"""


def test_an_events_field_read_from_a_nested_json_object_agrees_with_python(tmp_path: Path) -> None:
    # the events of {"activity": {"events": [...]}} ended in DuckDB's Binder Error with a traceback: the reader took the
    # source column's type (text) for the struct path's (a list of structs); a key "activity.events" wins over the path
    rules = tmp_path / "nested.yaml"
    rules.write_text(NESTED_EVENTS_RULES, encoding="utf-8")
    source = tmp_path / "in.jsonl"
    rows = [
        {"id": 1, "activity": {"events": [{"type": "demo", "at": "2026-10-01T00:00:00Z"}]}},
        {"id": 2, "activity": {"events": []}},
        {"id": 3, "activity": {}},
        {"id": 4},
        {"id": 5, "activity": {"events": [{"type": "demo", "at": "not a date"}]}},
        {"id": 6, "activity.events": '[{"type": "demo", "at": "2026-10-02"}]'},
        {"id": 7, "activity": {"events": None}},
    ]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    runs = {engine: cli("qualify", str(rules), str(source), "--engine", engine, *AS_OF) for engine in ("python", "duckdb")}
    assert runs["duckdb"] == runs["python"]
    assert [json.loads(line)["stage"] for line in runs["python"][1].splitlines()] == ["engaged", "lead", "lead", "lead", "lead", "engaged", "lead"]


def test_rules_the_engine_refuses_on_the_inputs_types_end_the_run_with_a_clear_message(tmp_path: Path) -> None:
    # JSON events given as an object: the Python engine says so lead by lead; the DuckDB engine's query (typed by the
    # first batch) is refused by to_sql, and the run ended in a DialectError traceback (exit 1)
    rules = tmp_path / "events.yaml"
    rules.write_text("leadspec: 1\nname: ev\nfields:\n  events: {type: events, values: [demo]}\nstages:\n  - id: engaged\n    when: count('demo') > 0\n", encoding="utf-8")
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "events": {"a": 1}}\n{"id": 2, "events": 5}\n', encoding="utf-8")
    for jobs in ("1", "2"):
        output = tmp_path / "out.jsonl"
        code, out, err = cli("qualify", str(rules), str(source), "-o", str(output), "--engine", "duckdb", "--jobs", jobs, *AS_OF)
        assert (code, out) == (2, "")
        assert err == "--engine duckdb: an events column of type STRUCT(a BIGINT) (in events) has no translation for the duckdb dialect; use --engine python; nothing written\n"
        assert not output.exists()
    assert cli("qualify", str(rules), str(source), "--engine", "python", *AS_OF)[0] == 0


def _without_auto_line(err: str) -> str:
    """Standard error without --engine auto's one line saying that the Python engine runs the leads (there must be one)."""
    lines = err.splitlines(keepends=True)
    said = [line for line in lines if line.startswith("--engine auto: DuckDB cannot run these leads")]
    assert len(said) == 1 and said[0].endswith(": the Python engine runs them\n"), err
    return "".join(line for line in lines if line is not said[0])


def test_auto_runs_the_python_engine_when_duckdb_refuses_the_inputs_types(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # --engine auto took DuckDB for a large file and stopped (exit 2) when the query typed by the first batch was refused:
    # the output is the same with either engine, so auto runs the Python engine over the file instead (a file is
    # read again, and nothing of the first attempt was put in place)
    monkeypatch.setattr(_qualify_module(), "AUTO_BYTES", 1)
    rules = tmp_path / "events.yaml"
    rules.write_text("leadspec: 1\nname: ev\nfields:\n  events: {type: events, values: [demo]}\nstages:\n  - id: engaged\n    when: count('demo') > 0\n", encoding="utf-8")
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "events": {"a": 1}}\n{"id": 2, "events": [{"type": "demo", "at": "2026-10-01"}]}\n', encoding="utf-8")
    for jobs in ("1", "2"):
        output, expected = tmp_path / f"auto{jobs}.jsonl", tmp_path / f"python{jobs}.jsonl"
        code, out, err = cli("qualify", str(rules), str(source), "-o", str(output), "--engine", "auto", "--jobs", jobs, *AS_OF)
        python = cli("qualify", str(rules), str(source), "-o", str(expected), "--engine", "python", "--jobs", jobs, *AS_OF)
        assert (code, out) == (python[0], python[1]) == (0, "")
        assert err.startswith("--engine auto: DuckDB cannot run these leads (an events column of type STRUCT(a BIGINT) (in events) has no translation")
        assert _without_auto_line(err) == python[2]
        assert output.read_bytes() == expected.read_bytes()
    # standard output cannot be taken back, nor standard input read again: said as for --engine duckdb
    code, _out, err = cli("qualify", str(rules), str(source), "--engine", "auto", *AS_OF)
    assert code == 2 and "use --engine python" in err
    # refused in a later batch, after a reject was listed on standard error: listed once (found by review: twice)
    monkeypatch.setattr(_qualify_module(), "DUCKDB_BATCH", 2)
    event = '[{"type": "demo", "at": "2026-09-01T00:00:00Z"}]'
    source.write_text(
        f'{{"id": 1, "events": {event}}}\n{{"id": 2\n{{"id": 3, "events": {event}}}\n{{"id": 4, "events": {event}}}\n'
        '{"id": 5, "events": {"a": 1}}\n{"id": 6, "events": [{"type": "demo", "at": "2026-10-01"}]}\n',
        encoding="utf-8",
    )
    for jobs in ("1", "2"):
        output, expected = tmp_path / f"auto{jobs}.jsonl", tmp_path / f"python{jobs}.jsonl"
        code, out, err = cli("qualify", str(rules), str(source), "-o", str(output), "--engine", "auto", "--jobs", jobs, *AS_OF)
        python = cli("qualify", str(rules), str(source), "-o", str(expected), "--engine", "python", "--jobs", jobs, *AS_OF)
        assert (code, out) == (python[0], python[1]) == (1, "")
        assert err.count("row 2 rejected") == python[2].count("row 2 rejected") == 1, err
        assert _without_auto_line(err) == python[2]
        assert output.read_bytes() == expected.read_bytes()


def test_the_documented_auto_size_is_the_one_used() -> None:
    AUTO_BYTES = _qualify_module().AUTO_BYTES
    page = (ROOT / "docs" / "command-line.md").read_text(encoding="utf-8")
    assert AUTO_BYTES == 150_000_000  # measured: about where the DuckDB engine becomes the faster one (see the page)
    assert "`--engine auto` uses DuckDB for Parquet, and for CSV and JSON files of\n150 MB (150,000,000 bytes) or more" in page


# -- the native path: rejects, Parquet, order, atomic output ---------------------------------------

SMALL_RULES = """\
leadspec: 1
name: small
fields:
  size: {type: integer, source: Employees}
  country: {type: string}
flags:
  home: country == 'US'
stages:
  - id: icp
    all:
      - big: size >= 50
      - where: country in ['US', 'UK']
"""

RAGGED = (
    "Id,Employees,country\r\n"
    "1,60,US\r\n"
    "\r\n"  # a blank line: no record
    '2,"a ""b""",UK\r\n'
    "3,short\r\n"
    '4,"multi\r\nline",US,extra\r\n'
    '5,70,"U\r\nS"\r\n'
    "7,9,US\r\n"
)


def test_rows_duckdb_cannot_read_are_the_python_engines_rejects_with_their_lines_and_text(tmp_path: Path, native: list[str]) -> None:
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "ragged.csv"
    source.write_bytes(RAGGED.encode("utf-8"))
    code, _out, err = cli("qualify", rules, source, "-o", tmp_path / "out.csv", *AS_OF, "--engine", "duckdb", "--rejects", tmp_path / "rejects.jsonl")
    assert native == ["csv"]
    assert code == 1
    assert [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text(encoding="utf-8").splitlines()] == [
        {"row": 3, "line": 5, "reason": "2 values but the header has 3 columns", "record": ["3", "short"], "text": "3,short"},
        {"row": 4, "line": 6, "reason": "4 values but the header has 3 columns", "record": ["4", "multi\r\nline", "US", "extra"],
         "text": '4,"multi\r\nline",US,extra'},
    ]
    assert err.startswith("6 rows read, 4 written, 2 rejected (lead 3, icp 1); 1 with data issues\n")
    assert (tmp_path / "out.csv").read_bytes() == (
        b"Id,Employees,country,stage,reasons,flags.home\r\n"
        b"1,60,US,icp,ICP; flags home,true\r\n"
        b'2,"a ""b""",UK,lead,"Lead; not ICP: icp.big unknown; size \'a ""b""\' is not an integer; 1 data issue",false\r\n'
        b'5,70,"U\r\nS",lead,Lead; not ICP: icp.where fail,false\r\n'
        b"7,9,US,lead,Lead; not ICP: icp.big fail; flags home,true\r\n"
    )
    python = tmp_path / "python-rejects.jsonl"
    assert cli("qualify", rules, source, "-o", tmp_path / "python.csv", *AS_OF, "--rejects", python)[0] == 1
    assert python.read_bytes() == (tmp_path / "rejects.jsonl").read_bytes()
    assert (tmp_path / "python.csv").read_bytes() == (tmp_path / "out.csv").read_bytes()


def test_a_reject_after_a_value_with_a_line_break_has_the_python_engines_row_and_line(tmp_path: Path, native: list[str]) -> None:
    """DuckDB numbers its rejects' lines without a quoted value's line breaks: the numbers are the Python reader's."""
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "broken-lines.csv"
    source.write_bytes(b'Id,Employees,country\r\n1,"cr\r\nlf",US\r\n2,3\r\n3,"a\nb\nc",UK\r\n4,5,UK,x\r\n')
    code, _out, _err = cli("qualify", rules, source, "-o", tmp_path / "out.csv", *AS_OF, "--engine", "duckdb", "--rejects", tmp_path / "rejects.jsonl")
    assert native == ["csv"]
    assert code == 1
    assert [(r["row"], r["line"], r["text"]) for r in map(json.loads, (tmp_path / "rejects.jsonl").read_text(encoding="utf-8").splitlines())] == [
        (2, 4, "2,3"),
        (4, 8, "4,5,UK,x"),
    ]
    python = tmp_path / "python-rejects.jsonl"
    assert cli("qualify", rules, source, "-o", tmp_path / "python.csv", *AS_OF, "--rejects", python)[0] == 1
    assert python.read_bytes() == (tmp_path / "rejects.jsonl").read_bytes()
    assert (tmp_path / "python.csv").read_bytes() == (tmp_path / "out.csv").read_bytes()


@pytest.mark.parametrize(
    "line, why, one_thread",
    [
        # DuckDB drops the extra values, the check finds the row: the batch path (RAGGED's quoted values hold line
        # breaks, so with one thread too DuckDB reads as many columns as the header: see the next test)
        ("6,80,US,,\r\n", "extra empty values at the end: the Python reader rejects the row", []),
        ("6,80,US,\r\n", "one extra empty value: DuckDB takes it for a trailing delimiter with as many columns as the header", []),
        ('6,"unclosed,US\r\n', "a broken quote", []),
        ("Id,Employees,country\r\n", "a row repeating the header", []),
    ],
)
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_rows_duckdb_reads_otherwise_than_the_python_reader_send_the_run_through_the_batch_path(
    tmp_path: Path, native: list[str], checks: list[str], line: str, why: str, one_thread: list[str], jobs: str
) -> None:
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "ragged.csv"
    source.write_bytes((RAGGED + line + "8,90,UK\r\n").encode("utf-8"))
    written, python, duckdb = both(tmp_path, rules, source, "--rejects", str(tmp_path / "rejects.jsonl"), "--jobs", jobs)
    assert native == (one_thread if jobs == "1" else []), why
    assert python == duckdb
    assert python[0] == 1
    # with two threads the check reads the input beside DuckDB's query (a thread of its own), with one after it
    assert set(checks) <= {"leadspec-check" if jobs == "2" else "MainThread"}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_check_for_extra_values_runs_beside_the_query_with_two_threads(tmp_path: Path, native: list[str], checks: list[str], jobs: str) -> None:
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "ragged.csv"
    source.write_bytes((RAGGED + "8,90,UK\r\n").encode("utf-8"))
    written, python, duckdb = both(tmp_path, rules, source, "--rejects", str(tmp_path / "rejects.jsonl"), "--jobs", jobs)
    assert native == ["csv"]
    assert python == duckdb
    # with one thread the check runs before the query (its quoted values hold line breaks: it runs again after it, counting values)
    assert checks == (["leadspec-check"] if jobs == "2" else ["MainThread", "MainThread"])


def test_a_query_that_fails_stops_the_check_beside_it(tmp_path: Path, native: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The query's error is what is said, and the check reading the input beside the query stops at its next block."""
    import threading
    import time

    from leadspec.cli import _native

    monkeypatch.setattr(_native, "LINES_BLOCK", 64)
    started = threading.Event()
    blocks: list[int] = []
    original = _native.Native._block

    def slow_block(self: Any, *args: Any) -> bool:
        blocks.append(1)
        started.set()
        time.sleep(0.01)  # the whole input: a minute
        return original(self, *args)

    def failing(self: Any, select: str, options: str, sort: bool) -> Any:
        assert started.wait(10)
        raise RuntimeError("the query failed")

    monkeypatch.setattr(_native.Native, "_block", slow_block)
    monkeypatch.setattr(_native.Native, "_copy", failing)
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "long.csv"
    source.write_bytes(("Id,Employees,country\r\n" + "".join(f"{i},{i},US\r\n" for i in range(20_000))).encode("utf-8"))
    with pytest.raises(RuntimeError, match="the query failed"):
        cli("qualify", str(rules), str(source), "-o", str(tmp_path / "out.csv"), *AS_OF, "--engine", "duckdb", "--jobs", "2")
    assert not (tmp_path / "out.csv").exists()
    assert 0 < len(blocks) < 100 < source.stat().st_size // 64


def test_a_parquet_input_is_qualified_as_the_python_engine_qualifies_the_same_csv(tmp_path: Path, native: list[str]) -> None:
    import duckdb

    source = ROOT / "examples" / "x-education-sample.csv"
    parquet = tmp_path / "leads.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{source}', all_varchar = true, header = true)) TO '{parquet}' (FORMAT parquet)")
    rules = ROOT / "rules" / "x-education.yaml"
    code, _out, err = cli("qualify", rules, parquet, "-o", tmp_path / "duckdb.csv", *AS_OF, "--engine", "auto")  # Parquet: DuckDB, whatever its size
    assert code == 0, err
    assert native == ["csv"]
    assert cli("qualify", rules, source, "-o", tmp_path / "python.csv", *AS_OF)[0] == 0
    python = _records((tmp_path / "python.csv").read_bytes())
    got = _records((tmp_path / "duckdb.csv").read_bytes())
    assert got[0][:-2] == [name or f"column{len(python[0]) - 3}" for name in python[0][:-2]]  # Parquet has no empty column name
    assert got[1:] == python[1:]
    assert err.split("\n")[0] == cli("qualify", rules, source, "-o", tmp_path / "python.csv", *AS_OF)[2].split("\n")[0]


def test_a_csv_written_as_parquet_holds_the_python_engines_rows(tmp_path: Path, native: list[str]) -> None:
    import duckdb

    rules = ROOT / "rules" / "x-education.yaml"
    source = ROOT / "examples" / "x-education-sample.csv"
    code, _out, err = cli("qualify", rules, source, "-o", tmp_path / "out.parquet", *AS_OF, "--engine", "duckdb")
    assert code == 0, err
    assert native == ["parquet"]
    assert cli("qualify", rules, source, "-o", tmp_path / "python.csv", *AS_OF)[0] == 0
    python = _records((tmp_path / "python.csv").read_bytes())
    table = duckdb.sql(f"SELECT * FROM read_parquet('{tmp_path / 'out.parquet'}')")
    assert table.columns == [name or f"column{i}" for i, name in enumerate(python[0])]  # Parquet has no empty name: DuckDB's
    assert [["" if v is None else v for v in row] for row in table.fetchall()] == python[1:]


LIST_RULES = """\
leadspec: 1
name: lists
fields:
  id: {type: string, role: id}
  tags: {type: list}
stages:
  - id: tagged
    when: "'1' in tags or '1.5' in tags"
"""


def test_json_list_cells_with_numbers_are_qualified_by_duckdb_as_by_python(tmp_path: Path, native: list[str]) -> None:
    # Found by review: [1] and [1.5] were bad values in SQL ("starts with [ but is not a JSON list"), where Python reads
    # the numbers as their text: another stage, and --strict rejected rows with DuckDB only.
    rules = tmp_path / "lists.yaml"
    rules.write_text(LIST_RULES, encoding="utf-8")
    source = tmp_path / "lists.csv"
    source.write_text('id,tags\n1,[1]\n2,[1.5]\n3,"[[""a""]]"\n4,[true]\n5,"[2, 1E5, -0, null, ""b""]"\n6,[1e400]\n', encoding="utf-8")
    python, ran_python, ran_duckdb = both(tmp_path, rules, source)
    assert ran_python == ran_duckdb and ran_python[0] == 0
    assert native == ["csv"]
    assert b"1,[1],tagged," in python and b"2,[1.5],tagged," in python
    python, ran_python, ran_duckdb = both(tmp_path, rules, source, "--strict", out="strict.csv")
    assert ran_python == ran_duckdb and ran_python[0] == 1  # rows 3 and 4 rejected by both, with the same reasons
    assert python.count(b"\n") == 5


DECIMAL_RULES = """\
leadspec: 1
name: decimals
fields:
  revenue: {type: number}
  size: {type: number, source: employees}
  score: {type: number}
  count: {type: integer}
  seen: {type: datetime}
stages:
  - id: big
    when: revenue > 1000 and size >= 100 and score > 0 and count > 0
"""


def test_a_parquet_inputs_decimal_and_other_read_columns_are_written_as_they_were(tmp_path: Path, native: list[str]) -> None:
    # Found by review: a column a field reads was written as the type it is read as: decimal(38,2)
    # 99999999999999999999999.99 became 1e+23 (a DOUBLE column in Parquet), decimal(10,3) 100.000 became 100.0, -0.00 0.0.
    import decimal

    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    rules = tmp_path / "decimals.yaml"
    rules.write_text(DECIMAL_RULES, encoding="utf-8")
    source = tmp_path / "dec.parquet"
    d = decimal.Decimal
    pq.write_table(pa.table({
        "id": ["1", "2"],
        "employees": pa.array([d("100.000"), d("-0.000")], pa.decimal128(10, 3)),
        "revenue": pa.array([d("99999999999999999999999.99"), d("-0.00")], pa.decimal128(38, 2)),
        "score": pa.array([0.1, None], pa.float32()),
        "count": pa.array([7, 2**31 - 1], pa.int32()),
        "seen": pa.array([1_000_000_000_000_000_123, None], pa.timestamp("ns")),
    }), source)
    code, _out, err = cli("qualify", rules, source, "-o", tmp_path / "out.csv", *AS_OF, "--engine", "duckdb")
    assert code == 0, err
    duckdb.connect().execute(f"COPY (SELECT * FROM read_parquet('{source}')) TO '{tmp_path / 'want.csv'}' (FORMAT csv)")
    written = _records((tmp_path / "out.csv").read_bytes())
    assert [row[:-2] for row in written] == _records((tmp_path / "want.csv").read_bytes())  # as DuckDB writes each value
    assert written[1][:-1] == ["1", "100.000", "99999999999999999999999.99", "0.1", "7", "2001-09-09 01:46:40.000000123", "big"]
    assert written[2][:-1] == ["2", "0.000", "0.00", "", "2147483647", "", "lead"]
    code, _out, err = cli("qualify", rules, source, "-o", tmp_path / "out.parquet", *AS_OF, "--engine", "duckdb")
    assert code == 0, err
    assert native == ["csv", "parquet"]
    got, given = pq.read_table(tmp_path / "out.parquet"), pq.read_table(source)
    for name in given.column_names:  # every input column: its type and its values (DuckDB marks a column without NULLs required)
        assert (name, got.column(name).type, got.column(name).to_pylist()) == (name, given.column(name).type, given.column(name).to_pylist())
    assert got.column("stage").to_pylist() == ["big", "lead"]


@pytest.mark.parametrize("content", [b"", b"id,country\n1,US\n", b"PAR1" + b"\0" * 40])
def test_a_file_that_is_not_readable_parquet_is_said_with_exit_2_not_a_traceback(tmp_path: Path, content: bytes) -> None:
    # Found by review: an empty or truncated file, or a CSV named .parquet, crashed with a traceback
    # (_duckdb.InvalidInputException from DESCRIBE) and exit 1; a file corrupt further on was said, exit 2.
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "leads.parquet"
    source.write_bytes(content)
    target = tmp_path / "out.csv"
    target.write_text("previous\n")
    code, _out, err = cli("qualify", rules, source, "-o", target, *AS_OF, "--engine", "duckdb")
    assert code == 2, err
    assert err.startswith(f"{source}: DuckDB cannot read the input: ") and "Traceback" not in err
    assert target.read_text() == "previous\n"
    code, _out, err = cli("qualify", rules, tmp_path / "missing.parquet", "-o", target, *AS_OF, "--engine", "duckdb")
    assert (code, err) == (2, f"{tmp_path / 'missing.parquet'}: cannot read: No such file or directory\n")


def test_a_parquet_input_written_to_standard_output_without_a_format_is_csv(tmp_path: Path, native: list[str]) -> None:
    # Found by review: the output took the input's format, Parquet, and its bytes went through the CSV reader
    # ("not UTF-8 text", exit 2). The docs: a Parquet input may be written as CSV to standard output.
    import duckdb

    source = ROOT / "examples" / "x-education-sample.csv"
    parquet = tmp_path / "leads.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{source}', all_varchar = true, header = true)) TO '{parquet}' (FORMAT parquet)")
    rules = ROOT / "rules" / "x-education.yaml"
    code, default, err = cli("qualify", rules, parquet, *AS_OF, "--engine", "duckdb")
    assert code == 0, err
    assert native == ["csv"]
    assert (code, default) == cli("qualify", rules, parquet, "--output-format", "csv", *AS_OF, "--engine", "duckdb")[:2]
    assert default.startswith("Prospect ID,")
    code, out, err = cli("qualify", rules, parquet, "-o", "-", "--output-format", "parquet", *AS_OF, "--engine", "duckdb")
    assert (code, out) == (2, "") and "Parquet is written to a file, not to standard output" in err


def test_parquet_needs_the_duckdb_engine(tmp_path: Path) -> None:
    code, _out, err = cli("qualify", ROOT / "rules" / "x-education.yaml", ROOT / "examples" / "x-education-sample.csv", "-o", tmp_path / "o.parquet",
                          "--engine", "python")
    assert code == 2
    assert "Parquet is read and written by DuckDB: use --engine duckdb" in err
    assert not (tmp_path / "o.parquet").exists()


def _reordered(query: str) -> str:
    """The rules' query in a plan that does not keep the order of its rows (DuckDB keeps it only through operators that
    preserve it: not through an aggregate, a UNION or some joins, which a query may come to hold)."""
    return f"SELECT * FROM ({query}) WHERE stage = 'icp' UNION ALL SELECT * FROM ({query}) WHERE stage <> 'icp'"


def _wrap_query(monkeypatch: pytest.MonkeyPatch, wrap: Any) -> None:
    """Make ``Ruleset.to_sql`` return ``wrap`` of the rules' query."""
    import leadspec

    to_sql = leadspec.Ruleset.to_sql

    def wrapped(self: Any, *args: Any, **kwargs: Any) -> str:
        return str(wrap(to_sql(self, *args, **kwargs)))

    monkeypatch.setattr(leadspec.Ruleset, "to_sql", wrapped)


def _qualified_in_order(tmp_path: Path, rows: int, country: Any, *extra: str) -> str:
    """Qualify ``rows`` leads (Id, Employees, ``country(i)``) with the small rules through DuckDB; the output must hold
    them in input order. Standard error."""
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "leads.csv"
    with open(source, "w", encoding="utf-8", newline="") as handle:
        handle.write("Id,Employees,country\r\n")
        handle.writelines(f"{i},{i % 97},{country(i)}\r\n" for i in range(rows))
    code, _out, err = cli("qualify", rules, source, "-o", tmp_path / "out.csv", *AS_OF, "--engine", "duckdb", *extra)
    assert code == 0, err
    ids = [row[0] for row in _records((tmp_path / "out.csv").read_bytes())[1:]]
    assert ids == [str(i) for i in range(rows)]
    return err


def test_rows_stay_in_input_order_when_duckdb_reads_a_large_file_in_parallel(tmp_path: Path, native: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from leadspec.cli import _native

    monkeypatch.setattr(_native, "BUFFER_SIZE", 1 << 16)  # 64 KiB pieces: a few hundred, read by 2 threads
    _wrap_query(monkeypatch, _reordered)
    _qualified_in_order(tmp_path, 200_000, lambda i: '"US"' if i % 3 else '"U, K"', "--jobs", "2")
    assert native == ["csv"]


@pytest.mark.parametrize("direct", [True, False])
def test_a_failing_native_run_leaves_the_destination_as_it_was(tmp_path: Path, native: list[str], monkeypatch: pytest.MonkeyPatch, direct: bool) -> None:
    """DuckDB writes the output's temporary file itself (direct), or a file of its own that is copied into it."""
    import errno

    from leadspec.cli import _io

    def full_disk(*args: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def copy_to_full_disk(self: Any, path: str) -> None:
        self._failed(OSError(errno.ENOSPC, "No space left on device"))

    if direct:  # the disk fills as the file DuckDB wrote is synced
        monkeypatch.setattr(_io.os, "fsync", full_disk)
    else:
        monkeypatch.setattr(_io.Output, "direct_path", lambda self: None)
        monkeypatch.setattr(_io.Output, "append_file", copy_to_full_disk)
    target = tmp_path / "out.csv"
    target.write_text("what was there\n", encoding="utf-8")
    code, _out, err = cli("qualify", ROOT / "rules" / "x-education.yaml", ROOT / "examples" / "x-education-sample.csv", "-o", target, *AS_OF, "--engine", "duckdb")
    assert code == 2
    assert native == ["csv"]
    assert "out.csv: cannot write: No space left on device; nothing written" in err
    assert target.read_text(encoding="utf-8") == "what was there\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temporary file left


def test_a_column_the_header_lacks_is_missing_on_the_native_path_too(tmp_path: Path, native: list[str]) -> None:
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "leads.csv"
    source.write_bytes(b"Id,country\r\n1,US\r\n2,UK\r\n")
    written, python, duckdb = both(tmp_path, rules, source, "--allow-missing-columns")
    assert native == ["csv"]
    assert python == duckdb
    assert "warning: no row has a value for field 'size' (source 'Employees'); check its source" in duckdb[1]
    assert written.splitlines()[1] == b"1,US,lead,Lead; not ICP: icp.big unknown; flags home; missing size,true"


@pytest.mark.parametrize("late", [0, 2047, 2048, 4999])
def test_the_fields_no_row_had_are_found_as_the_python_engine_finds_them(tmp_path: Path, native: list[str], late: int) -> None:
    # The native path asks the input for them after the run: the first 2,048 rows, then all the rows for a field still
    # without a value. Here Employees has one value only, on row ``late``; country has only blank text (spaces Python's
    # str.strip() removes, an ideographic space among them), which is no value.
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "leads.csv"
    lines = ["Id,Employees,country"]
    blanks = [" ", "\t", "\u3000", "\u00a0 ", ""]
    for i in range(5000):
        lines.append(f"{i},{'60' if i == late else ''},{blanks[i % len(blanks)]}")
    source.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    _written, python, duckdb = both(tmp_path, rules, source)
    assert native == ["csv"]
    assert python == duckdb
    assert "no row has a value for field 'country'" in duckdb[1]
    assert "field 'size'" not in duckdb[1]


def test_an_empty_value_is_read_as_the_python_engine_reads_it_when_the_missing_markers_leave_it_out(tmp_path: Path, native: list[str]) -> None:
    # Found by review: DuckDB reads an empty CSV value as NULL (missing); the Python reader reads '' (here a bad integer,
    # the rule file's missing markers holding only 'n/a'). The output still writes the value as it was read.
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES.replace("fields:", 'missing: ["n/a"]\nfields:'), encoding="utf-8")
    source = tmp_path / "leads.csv"
    source.write_bytes(b'Id,Employees,country\r\n1,,US\r\n2,70,\r\n3,n/a,UK\r\n')
    written, python, duckdb = both(tmp_path, rules, source)
    assert native == ["csv"]
    assert python == duckdb
    assert b"size '' is not an integer" in written.splitlines()[1]
    assert written.splitlines()[1].startswith(b"1,,US,")


def test_a_value_starting_with_a_letter_outside_ascii_is_a_value_for_the_fields_no_row_had(tmp_path: Path, native: list[str]) -> None:
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "leads.csv"
    source.write_text("Id,Employees,country\r\n1,,\u3000Über\r\n2,,\r\n", encoding="utf-8")
    _written, python, duckdb = both(tmp_path, rules, source)
    assert native == ["csv"]
    assert python == duckdb
    assert "field 'country'" not in duckdb[1]
    assert "no row has a value for field 'size' (source 'Employees')" in duckdb[1]


def test_a_csv_duckdbs_strict_reader_stops_on_goes_through_the_batch_path(tmp_path: Path, native: list[str]) -> None:
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "leads.csv"
    source.write_bytes(b'Id,country\r\n1,US\r\n2,"a ""b""\r\n3,UK\r\n')  # a quote left open to the end: DuckDB stops reading
    written, python, duckdb = both(tmp_path, rules, source, "--allow-missing-columns")
    assert native == []
    assert python == duckdb


@pytest.mark.parametrize(
    "line",
    [
        '6,"80" ,US\r\n',  # a space after the closing quote: the Python reader rejects the row, DuckDB read 80
        '6, "80",US\r\n',  # a space before the opening quote: the Python reader reads ' "80"' (a bad integer), DuckDB read 80
        '6,80,"US"\t\r\n',
        '6,"" ,US\r\n',
    ],
)
def test_a_space_beside_a_quote_sends_the_run_through_the_batch_path(tmp_path: Path, native: list[str], line: str) -> None:
    # Found by a new user: the two engines gave different stages (or one rejected the row) with exit 0 both.
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "spaced.csv"
    source.write_bytes((RAGGED + line + "8,90,UK\r\n").encode("utf-8"))
    _written, python, duckdb = both(tmp_path, rules, source, "--rejects", str(tmp_path / "rejects.jsonl"))
    assert native == []
    assert python == duckdb


@pytest.mark.parametrize("line", ['6, "80",US\r\n', '6,80,\t"US"\r\n'])
def test_a_space_before_a_quote_in_a_file_of_regular_rows_sends_the_run_through_the_batch_path(tmp_path: Path, native: list[str], line: str) -> None:
    # The same number of values to both readers, but not the same values: the whole-block count alone would let it by.
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "spaced.csv"
    source.write_bytes(("Id,Employees,country\r\n1,60,US\r\n" + line + '8,"9,0",UK\r\n').encode("utf-8"))
    _written, python, duckdb = both(tmp_path, rules, source)
    assert native == []
    assert python == duckdb


@pytest.mark.parametrize("line", ['6,"80" ,US\r\n', '6,80,"US"\t\r\n', '6,80,"US" \r\n', '6,"8""0"  ,US\r\n'])
def test_a_space_after_a_closing_quote_in_a_file_of_regular_rows_sends_the_run_through_the_batch_path(
    tmp_path: Path, native: list[str], line: str
) -> None:
    # Found by review: the Python reader rejects the row ("',' expected after '\"'"), DuckDB read the value without the
    # space and wrote the row (exit 0): a space after a closing quote goes through the batch path, as one before an opening quote.
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "spaced.csv"
    source.write_bytes(("Id,Employees,country\r\n1,60,US\r\n" + line + '8,"9,0",UK\r\n').encode("utf-8"))
    rejects = {engine: tmp_path / f"{engine}-rejects.jsonl" for engine in ("python", "duckdb")}
    outputs = {}
    for engine, target in rejects.items():
        code, _out, err = cli("qualify", rules, source, "-o", tmp_path / f"{engine}.csv", "--rejects", target, *AS_OF, "--engine", engine)
        outputs[engine] = (code, (tmp_path / f"{engine}.csv").read_bytes(), target.read_text(encoding="utf-8"))
    assert native == []
    assert outputs["duckdb"] == outputs["python"]
    code, _written, rejected = outputs["python"]
    assert code == 1 and "expected after" in rejected


@pytest.fixture(scope="module")
def long_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000,000 leads (47 MB): DuckDB's pass over them lasts a few seconds, long enough to stop it."""
    source = tmp_path_factory.mktemp("long") / "long.csv"
    with open(source, "w") as handle:
        handle.write("Id,Employees,country\n")
        for start in range(0, 2_000_000, 10_000):
            handle.write("".join(f"{i},{i % 500},{'US' if i % 3 else 'UK'}\n" for i in range(start, start + 10_000)))
    return source


@pytest.mark.parametrize(("sig", "code", "said"), [("SIGTERM", 143, "terminated"), ("SIGINT", 130, "interrupted"), ("SIGHUP", 129, "hung up")])
def test_a_stop_signal_during_duckdbs_pass_stops_the_run_and_keeps_the_previous_output(
    tmp_path: Path, long_csv: Path, sig: str, code: int, said: str
) -> None:
    # Found by review: DuckDB turned the signal handler's exception into its own error, which the native path took for
    # an input it cannot read: the run was done again on the batch path, exit 0, the output replaced (or a traceback
    # "RuntimeError: Query interrupted", exit 1). A real process, stopped while DuckDB writes its rows.
    import signal
    import subprocess
    import time

    from conftest import default_stop_signals

    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    spill = tmp_path / "tmp"
    spill.mkdir()
    out = tmp_path / "out.csv"
    out.write_text("previous\n")
    env = {**os.environ, "TMPDIR": str(spill), "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "leadspec", "qualify", str(rules), str(long_csv), "-o", str(out), "--engine", "duckdb", "--jobs", "1", *AS_OF],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, preexec_fn=default_stop_signals,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:  # until DuckDB is writing its rows
            # (DuckDB writes the output's temporary file itself, or a file of its own in the run's temporary directory)
            if any(side.stat().st_size > 0 for side in [*tmp_path.glob(".out.csv.*.tmp"), *spill.glob("leadspec-duckdb-*/out.csv")]):
                break
            time.sleep(0.005)
        assert proc.poll() is None, "the run ended before it could be stopped: make the input longer"
        proc.send_signal(getattr(signal, sig))
        _stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (proc.returncode, out.read_text()) == (code, "previous\n"), stderr
    assert f"{said}: nothing written" in stderr and "Traceback" not in stderr
    assert list(spill.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []


@pytest.mark.parametrize(
    ("lines", "block"),
    [
        (('"' + "a\n" * 20_000 + '"', "60"), None),  # one value over 20,000 lines
        (('"' + "a\r\n" * 6_000 + '"', '"' + "b\n" * 6_000 + '"'), None),  # two values, a record of 12,001 lines
        (('"' + "a\n" * 20_000 + '"', "60"), 4096),  # the value spans many blocks of lines
        (('"' + "a\n" * 9_999 + '"', "60"), None),  # a record of 10,000 lines: read by DuckDB, as the Python reader reads it
    ],
)
def test_a_record_over_the_documented_10000_lines_is_rejected_as_the_python_engine_rejects_it(
    tmp_path: Path, native: list[str], monkeypatch: pytest.MonkeyPatch, lines: tuple[str, str], block: int | None
) -> None:
    # Found by review: the Python reader rejects a record over 10,000 lines (and reads the lines after its first as new
    # records); the native path wrote it (exit 0).
    from leadspec.cli import _native

    if block:
        monkeypatch.setattr(_native, "LINES_BLOCK", block)
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "long.csv"
    source.write_bytes(("Id,Employees,country\n1,60,US\n2," + lines[1] + "," + lines[0] + "\n3,70,UK\n").encode("utf-8"))
    outputs = {}
    for engine in ("python", "duckdb"):
        rejects = tmp_path / f"{engine}-rejects.jsonl"
        code, _out, err = cli("qualify", rules, source, "-o", tmp_path / f"{engine}.csv", "--rejects", rejects, *AS_OF, "--engine", engine)
        outputs[engine] = (code, (tmp_path / f"{engine}.csv").read_bytes(), rejects.read_bytes())
    assert outputs["duckdb"] == outputs["python"]
    over = lines[0].count("\n") + lines[1].count("\n") + 1 > 10_000
    assert native == ([] if over else ["csv"])
    assert outputs["python"][0] == (1 if over else 0)


def test_a_value_holding_a_hash_is_written_as_the_python_engine_writes_it(tmp_path: Path, native: list[str]) -> None:
    # DuckDB quoted every value holding '#' (its comment character): '"C#"' where the Python engine wrote 'C#'.
    # Found by a new user.
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "hash.csv"
    source.write_bytes(b"Id,Employees,country\r\n1,60,C#\r\n#2,70,US\r\n3,#,UK\r\n")
    written, python, duckdb = both(tmp_path, rules, source)
    assert native == ["csv"]
    assert python == duckdb
    assert b"\r\n1,60,C#," in written and b"\r\n#2,70,US," in written


@pytest.mark.parametrize("destination", ["-", "out.csv.gz"])
def test_a_parquet_input_written_to_standard_output_or_gzip_is_the_python_engines_csv(tmp_path: Path, native: list[str], destination: str) -> None:
    # It crashed with a traceback ("append_file needs an uncompressed file destination"). Found by a new user.
    import gzip

    import duckdb

    source = ROOT / "examples" / "x-education-sample.csv"
    parquet = tmp_path / "leads.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{source}', all_varchar = true, header = true)) TO '{parquet}' (FORMAT parquet)")
    rules = ROOT / "rules" / "x-education.yaml"
    target = "-" if destination == "-" else str(tmp_path / destination)
    code, out, err = cli("qualify", rules, parquet, "-o", target, "--output-format", "csv", *AS_OF, "--engine", "duckdb")
    assert code == 0, err
    assert native == ["csv"]
    got = out if destination == "-" else gzip.decompress((tmp_path / destination).read_bytes()).decode("utf-8")
    assert cli("qualify", rules, source, "-o", tmp_path / "python.csv", *AS_OF)[0] == 0
    python = _records((tmp_path / "python.csv").read_bytes())
    records = _records(got.encode("utf-8"))
    assert records[1:] == python[1:] and len(records) == len(python) > 1


# -- one pass: the checks beside DuckDB's read, the order, the summary ------------------------------


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_row_with_extra_empty_values_beside_a_short_row_goes_through_the_batch_path(tmp_path: Path, native: list[str], jobs: str) -> None:
    # With two threads the lines without a quote are counted a block at a time: a line with a delimiter too many and one
    # with a delimiter too few hold as many as two rows do. DuckDB rejects the short row and drops the other's empty
    # value; the Python reader rejects both, and the difference between the rejects sends the run through the batch
    # path. With one, DuckDB reads a column more and finds both rows itself: the same rejects, on the native path.
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "balanced.csv"
    source.write_bytes(b"Id,Employees,country\r\n1,60,US\r\n6,80,US,\r\n7,80\r\n8,90,UK\r\n")
    _written, python, duckdb = both(tmp_path, rules, source, "--rejects", str(tmp_path / "rejects.jsonl"), "--jobs", jobs)
    assert native == (["csv"] if jobs == "1" else [])
    assert python == duckdb
    assert python[0] == 1
    assert "2 rejected" in python[1]


@pytest.mark.parametrize(
    "text, block, one_thread",
    [
        # found by review: a block ending inside a value over several lines; the next block, counted at once, read the
        # closing quote as an opening one and took the rows between for one quoted value
        ('Employees,country\n1,"ppp\n,"\n2,3,\n44444444444444,"\nz"\n', 25, []),  # '2,3,': one empty value too many
        ('Employees,country\n1,"ppp\n,"\n60, ""\n444444444444,"\nUS"\n', 25, []),  # a space before a quote
        ('h0,h1\n,x\n"a\r\n", ",\r\n"', 8, []),
    ],
)
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_block_that_starts_inside_a_quoted_value_is_looked_at_line_by_line(
    tmp_path: Path, native: list[str], monkeypatch: pytest.MonkeyPatch, text: str, block: int, one_thread: list[str], jobs: str
) -> None:
    from leadspec.cli import _native

    monkeypatch.setattr(_native, "LINES_BLOCK", block)
    rules = tmp_path / "small.yaml"
    first, second = text.split("\n")[0].split(",")  # the header's names: the rules read both columns
    rules.write_text(
        SMALL_RULES.replace("source: Employees", f"source: {first}").replace("country: {type: string}", f"country: {{type: string, source: {second}}}"),
        encoding="utf-8",
    )
    source = tmp_path / "leads.csv"
    source.write_bytes(text.encode("utf-8"))
    _written, python, duckdb = both(tmp_path, rules, source, "--rejects", str(tmp_path / "rejects.jsonl"), "--jobs", jobs)
    assert python[0] in (0, 1)  # qualified (a reject: 1), not refused
    assert native == (one_thread if jobs == "1" else [])
    assert python == duckdb


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("block", [None, 7])
def test_extra_empty_values_are_found_whatever_the_line_breaks_and_wherever_a_block_ends(
    tmp_path: Path, native: list[str], monkeypatch: pytest.MonkeyPatch, eol: str, block: int | None, jobs: str
) -> None:
    # with one thread DuckDB finds the row itself (a reject of the native path), with two the check does (the batch path)
    from leadspec.cli import _native

    if block is not None:  # blocks of 7 bytes: a line, the header, a \r\n are cut in pieces
        monkeypatch.setattr(_native, "LINES_BLOCK", block)
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    lines = ["Id,Employees,country", "1,60,US", '2,"7,0",UK', "3,80,US", "4,90,UK"]
    clean = tmp_path / "clean.csv"
    clean.write_bytes(eol.join(lines).encode("utf-8") + eol.encode("utf-8"))
    _written, python, duckdb = both(tmp_path, rules, clean, "--jobs", jobs)
    assert python == duckdb
    read_natively = native == ["csv"]
    native.clear()
    lines[3] = "3,80,US,,"  # two empty values too many (not balanced by a short row)
    extra = tmp_path / "extra.csv"
    extra.write_bytes(eol.join(lines).encode("utf-8") + eol.encode("utf-8"))
    _written, python, duckdb = both(tmp_path, rules, extra, "--rejects", str(tmp_path / "rejects.jsonl"), "--jobs", jobs)
    assert native == (["csv"] if jobs == "1" and read_natively else [])
    assert python == duckdb
    assert python[0] == 1
    if eol != "\r":  # (a file of \r line breaks: whichever path DuckDB's reader takes)
        assert read_natively


def _sorted(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each native run sorted its rows back into input order."""
    from leadspec.cli import _native

    found: list[bool] = []
    prepare = _native.Native.prepare

    def spy(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            prepare(self, *args, **kwargs)
        finally:
            found.append(self.sorted)

    monkeypatch.setattr(_native.Native, "prepare", spy)
    return found


def test_a_plan_that_reorders_rows_unforeseen_is_run_again_sorted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A query of projections is run unsorted, and the plan DuckDB ran checked afterwards: here the look at the query
    # misses the UNION ALL that reorders its rows, and the plan's check catches it.
    from leadspec.cli import _native

    monkeypatch.setattr(_native, "REORDERING", _native.re.compile("(?!)"))  # finds nothing
    orders = _sorted(monkeypatch)
    _wrap_query(monkeypatch, _reordered)
    err = _qualified_in_order(tmp_path, 5_000, lambda i: "US")
    assert orders == [True]
    assert "5,000 rows read, 5,000 written" in err  # the first run's counts are not added to the second's


@pytest.mark.parametrize("values, sorted_back", [(6, False), (200, True)])
def test_rows_keep_their_order_when_duckdb_runs_a_long_list_as_a_join(
    tmp_path: Path, native: list[str], monkeypatch: pytest.MonkeyPatch, values: int, sorted_back: bool
) -> None:
    # DuckDB runs an IN list as a join, which may reorder rows. A query whose lists are short has them compared value by
    # value: its plan keeps the input's order and the rows are written as they come. With a long list the join stays:
    # the plan says so, and the rows are sorted back. (No rule file makes a long list DuckDB joins: one is added.)
    from leadspec.cli import _native

    monkeypatch.setattr(_native, "BUFFER_SIZE", 1 << 16)  # 64 KiB pieces read by 2 threads
    orders = _sorted(monkeypatch)
    listed = ", ".join(f"'C{i}'" for i in range(values))
    _wrap_query(monkeypatch, lambda query: f"SELECT *, country IN ({listed}) AS listed FROM ({query}) AS q")
    _qualified_in_order(tmp_path, 100_000, lambda i: "US" if i % 3 else "C1", "--jobs", "2")
    assert native == ["csv"]
    assert orders == [sorted_back]


@pytest.mark.parametrize(
    "query, longest",
    [
        ("SELECT 1", 0),
        ("SELECT a IN ('x', 'y, z', 'it''s') FROM t", 3),
        ("SELECT a IN (1, 2) OR b IN ('(', ')', 'x, y', 'z') FROM t", 4),
        ("SELECT a IN (CAST(1 AS INT), 2) FROM t", None),  # a list holding parentheses: not counted
    ],
)
def test_the_longest_in_list_of_a_query_is_counted(query: str, longest: int | None) -> None:
    from leadspec.cli._native import longest_in_list

    assert longest_in_list(query) == longest


def test_a_mistake_in_counting_the_summary_is_raised_not_taken_for_an_unreadable_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # DuckDB says only that a function failed: the native path must not take its own mistake for an input DuckDB cannot
    # read (and quietly run the batch path); the error is raised as it is, and the destination stays as it was.
    from collections import Counter

    from leadspec.cli import _native

    def broken(*args: Any) -> Any:
        if args:  # counting a chunk's stages
            raise ZeroDivisionError("a mistake in the tap")
        return Counter()

    monkeypatch.setattr(_native, "Counter", broken)
    target = tmp_path / "out.csv"
    target.write_text("what was there\n", encoding="utf-8")
    with pytest.raises(ZeroDivisionError, match="a mistake in the tap"):
        cli("qualify", ROOT / "rules" / "x-education.yaml", ROOT / "examples" / "x-education-sample.csv", "-o", target, *AS_OF, "--engine", "duckdb")
    assert target.read_text(encoding="utf-8") == "what was there\n"


ONE_FIELD_RULES = """\
leadspec: 1
name: one
fields:
  country: {type: string}
stages:
  - id: us
    all:
      - home: country == 'US'
"""


@pytest.mark.parametrize(
    "text",
    [
        "Id,country\n1,US\n2,UK,\n\n",  # a blank line holds no delimiter: the extra one above went unseen in the count
        "Id,country\r\n1,US\r\n\r\n2,UK,\r\n",
        "Id,country\r1,US\r2,UK,\r\r",
        'Id,country\n1,US\n2,UK,""\n',  # a quoted empty value too many: DuckDB drops it as well
        'Id,country\n1,US\n2,UK,"",""\n',
        "country\nUS\n\nUK\n",  # one column: DuckDB reads the blank line as a row, the Python reader skips it
    ],
)
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_what_duckdb_reads_otherwise_found_by_review_goes_through_the_batch_path(tmp_path: Path, native: list[str], text: str, jobs: str) -> None:
    # Found by review: the first five wrote a row the Python engine rejects (exit 0 instead of 1), the last one a lead more.
    # With one thread DuckDB reads a column more and rejects the first five's rows itself, on the native path.
    rules = tmp_path / "one.yaml"
    rules.write_text(ONE_FIELD_RULES, encoding="utf-8")
    source = tmp_path / "leads.csv"
    source.write_bytes(text.encode("utf-8"))
    _written, python, duckdb = both(tmp_path, rules, source, "--rejects", str(tmp_path / "rejects.jsonl"), "--jobs", jobs)
    assert native == (["csv"] if jobs == "1" and text.startswith("Id,") else [])
    assert python == duckdb


def test_a_csv_the_native_path_cannot_read_as_the_python_engine_is_not_written_as_parquet(tmp_path: Path, native: list[str]) -> None:
    # Found by review: the batch path, which writes no Parquet, wrote JSON into out.parquet and exited 0 or 1.
    rules = tmp_path / "one.yaml"
    rules.write_text(ONE_FIELD_RULES, encoding="utf-8")
    source = tmp_path / "leads.csv"
    source.write_bytes(b"Id,country\n1,US\n2, \"UK\"\n")  # a space before a quote: the Python reader keeps the quotes
    target = tmp_path / "out.parquet"
    code, _out, err = cli("qualify", rules, source, "-o", target, *AS_OF, "--engine", "duckdb")
    assert code == 2
    assert native == []
    assert f"{target}: DuckDB writes Parquet only from a CSV or Parquet file it reads itself, and it reads {source} otherwise" in err
    assert "write a CSV output" in err
    assert not target.exists()


def test_a_gzip_csv_is_read_by_duckdb_itself(tmp_path: Path, native: list[str]) -> None:
    # Found by review: the gzip check read the file decompressed, so DuckDB read a .csv.gz as plain text, found it
    # unreadable, and every .csv.gz went through the batch path (the docs say DuckDB reads it).
    import gzip

    source = tmp_path / "leads.csv.gz"
    source.write_bytes(gzip.compress((ROOT / "examples" / "x-education-sample.csv").read_bytes()))
    _written, python, duckdb = both(tmp_path, ROOT / "rules" / "x-education.yaml", source)
    assert native == ["csv"]
    assert python == duckdb
    native.clear()
    ragged = tmp_path / "ragged.csv.gz"
    ragged.write_bytes(gzip.compress(b"Id,country\r\n1,US\r\n2,UK,,\r\n"))  # the check for extra values reads it decompressed
    rules = tmp_path / "one.yaml"
    rules.write_text(ONE_FIELD_RULES, encoding="utf-8")
    _written, python, duckdb = both(tmp_path, rules, ragged, "--rejects", str(tmp_path / "rejects.jsonl"), "--jobs", "2")
    assert native == []
    assert python == duckdb


def test_an_in_list_of_texts_with_quotes_is_counted_without_trying_every_split() -> None:
    # Found by review: each '' inside a text could end it or not, and a list that did not match tried every split
    # (twice the time for each text more: hours for 30). A rule file made one: country in ["O'B0", ..., lower(country)].
    from leadspec.cli._native import longest_in_list

    texts = ", ".join(f"'O''B{i}'" for i in range(40))
    assert longest_in_list(f"SELECT a IN ({texts}) FROM t") == 40
    assert longest_in_list(f"SELECT a IN ({texts}, LOWER(a)) FROM t") is None


def test_the_spaces_a_value_of_only_which_is_no_value_are_what_str_strip_removes() -> None:
    import unicodedata

    from leadspec.cli._native import SPACES_IN_BMP, python_space

    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert python_space() == python_space(sys.maxunicode + 1) == every
    if unicodedata.unidata_version in SPACES_IN_BMP:  # the claim that lets it look at the first plane only
        assert python_space(0x10000) == every


def test_duckdb_writes_the_outputs_own_file_and_nothing_is_copied(tmp_path: Path, native: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSV DuckDB writes is the output itself (the header line as COPY's PREFIX): no file of DuckDB's is copied after it."""
    from leadspec.cli import _io

    copied: list[str] = []
    original = _io.Output.append_file

    def spy(self: Any, path: str) -> None:
        copied.append(path)
        original(self, path)

    monkeypatch.setattr(_io.Output, "append_file", spy)
    rules = ROOT / "rules" / "x-education.yaml"
    source = ROOT / "examples" / "x-education-sample.csv"
    written, python, duckdb = both(tmp_path, rules, source)
    assert native == ["csv"]
    assert copied == []
    assert python == duckdb and python[0] == 0
    assert written.startswith(b"Prospect ID,Lead Number,") and written.endswith(b"\r\n") and written.count(b"\r\n") == 301
    code, _out, err = cli("qualify", rules, source, "-o", tmp_path / "out.parquet", *AS_OF, "--engine", "duckdb")
    assert (code, native, copied) == (0, ["csv", "parquet"], [])
    import duckdb as db

    assert db.sql(f"SELECT count(*) FROM read_parquet('{tmp_path / 'out.parquet'}')").fetchall() == [(300,)]


def test_a_csv_of_no_rows_is_the_header_line_alone(tmp_path: Path, native: list[str]) -> None:
    """COPY writes its SUFFIX (the last row's line break) after the PREFIX even with no row: taken off again."""
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "empty.csv"
    source.write_bytes(b"Id,Employees,country\r\n")
    written, python, duckdb = both(tmp_path, rules, source)
    assert native == ["csv"]
    assert python == duckdb
    assert written == b"Id,Employees,country,stage,reasons,flags.home\r\n"


def test_the_header_line_duckdb_writes_is_the_python_engines_however_its_names_are_quoted(tmp_path: Path, native: list[str]) -> None:
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "names.csv"
    source.write_bytes('Id,Employees,country,"a,b","q""r",,# c, s \'t\',é\r\n1,60,US,x,y,,z,w,v\r\n'.encode("utf-8"))
    written, python, duckdb = both(tmp_path, rules, source)
    assert native == ["csv"]
    assert python == duckdb
    assert written.splitlines()[0] == 'Id,Employees,country,"a,b","q""r",,# c, s \'t\',é,stage,reasons,flags.home'.encode("utf-8")


def test_a_replaced_output_keeps_its_mode_when_duckdb_writes_it(tmp_path: Path, native: list[str]) -> None:
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "leads.csv"
    source.write_bytes(b"Id,Employees,country\r\n1,60,US\r\n")
    out = tmp_path / "out.csv"
    out.write_text("before\n")
    out.chmod(0o640)
    code, _out, err = cli("qualify", rules, source, "-o", out, *AS_OF, "--engine", "duckdb")
    assert (code, native) == (0, ["csv"]), err
    assert out.stat().st_mode & 0o777 == 0o640
    assert out.read_bytes().startswith(b"Id,Employees,country,stage")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_rows_found_after_duckdb_wrote_the_output_are_written_by_the_batch_path_alone(tmp_path: Path, native: list[str], checks: list[str]) -> None:
    """The check for extra empty values runs after DuckDB wrote the output's file (--jobs 1): the batch path starts it again."""
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "ragged.csv"
    source.write_bytes((RAGGED + '6,80, "US"\r\n' + "".join(f"{i},{i},UK\r\n" for i in range(7, 3000))).encode("utf-8"))
    written, python, duckdb = both(tmp_path, rules, source, "--rejects", str(tmp_path / "rejects.jsonl"), "--jobs", "1")
    assert native == [] and checks == ["MainThread"]
    assert python == duckdb
    assert written.count(b"\r\n") == written.count(b"\n") and written.startswith(b"Id,Employees,country,stage")


def test_an_output_tells_when_another_writer_may_write_its_file(tmp_path: Path) -> None:
    import gzip

    from leadspec.cli._io import Output

    plain = Output(str(tmp_path / "a.csv"), None)
    path = plain.direct_path()
    assert path is not None and Path(path).parent == tmp_path and path.endswith(".tmp")
    assert plain.direct_path() is None  # once
    Path(path).write_bytes(b"theirs\r\n")
    plain.undirect()  # written otherwise after all: empty again, for its own writes
    plain.write("mine\r\n")
    plain.commit()
    assert (tmp_path / "a.csv").read_bytes() == b"mine\r\n"

    written = Output(str(tmp_path / "b.csv"), None)
    written.write("x")
    assert written.direct_path() is None  # something was written already
    written.discard()
    packed = Output(str(tmp_path / "c.csv.gz"), None)
    assert packed.direct_path() is None
    packed.commit()
    assert gzip.decompress((tmp_path / "c.csv.gz").read_bytes()) == b""
    assert Output("-", io.StringIO()).direct_path() is None
    device = Output(os.devnull, None)
    assert device.direct_path() is None
    device.commit()

    theirs = Output(str(tmp_path / "d.csv"), None)
    path = theirs.direct_path()
    assert path is not None
    Path(path).write_bytes(b"whole\r\n")
    theirs.commit()
    assert (tmp_path / "d.csv").read_bytes() == b"whole\r\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "c.csv.gz", "d.csv"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_csvs_empty_value_is_null_in_parquet_whatever_the_threads(tmp_path: Path, native: list[str], jobs: str) -> None:
    import duckdb as db

    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "leads.csv"
    source.write_bytes(b'Id,Employees,country,note\r\n1,60,US,\r\n2,,"",x\r\n3,70,UK,"a,b"\r\n')
    target = tmp_path / "out.parquet"
    code, _out, err = cli("qualify", rules, source, "-o", target, *AS_OF, "--engine", "duckdb", "--jobs", jobs)
    assert (code, native) == (0, ["parquet"]), err
    rows = db.sql(f"SELECT Id, Employees, country, note FROM read_parquet('{target}')").fetchall()
    assert rows == [("1", "60", "US", None), ("2", None, None, "x"), ("3", "70", "UK", "a,b")]


@pytest.mark.parametrize(
    "text",
    [
        'Id,Employees,country\r\n1,60,US\r\n"2,70,UK\r\n3,80,US\r\n4,90,UK\r\n',  # a quote never closed, at a record's start
        'Id,Employees,country\r\n1,60,US\r\n2,70,UK\r\n"\r\n',  # a line of one quote
        'Id,Employees,country\r\n1,60,US\r\n2,70,UK\r\n"',  # a quote as the file's last byte
        'Id,Employees,country\r\n1,60,US\r\n"x,y',  # on the last line, no line break after it
    ],
)
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_quote_never_closed_loses_no_row(tmp_path: Path, native: list[str], text: str, jobs: str) -> None:
    # Found by review: with one thread DuckDB (reading the file in one piece, rows padded) read the quoted value to the
    # end of the file and dropped it with every row after it: "1 row read, 1 written", exit 0.
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "unclosed.csv"
    source.write_bytes(text.encode("utf-8"))
    _written, python, duckdb = both(tmp_path, rules, source, "--rejects", str(tmp_path / "rejects.jsonl"), "--jobs", jobs)
    assert native == []
    assert python == duckdb


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_record_a_block_ends_inside_is_read_whole_by_the_next_block(tmp_path: Path, native: list[str], monkeypatch: pytest.MonkeyPatch, jobs: str) -> None:
    """Blocks of a few bytes end inside quoted values over several lines (doubled quotes too): read natively all the same."""
    from leadspec.cli import _native

    monkeypatch.setattr(_native, "LINES_BLOCK", 5)
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "long-values.csv"
    source.write_bytes(b'Id,Employees,country\r\n1,60,"U,""S"","\r\n2,"7,0",UK\r\n3,80,US,\r\n4,,\r\n')
    _written, python, duckdb = both(tmp_path, rules, source, "--rejects", str(tmp_path / "rejects.jsonl"), "--jobs", jobs)
    assert python == duckdb
    assert python[0] == 1  # row 3: a value too many
    assert native == (["csv"] if jobs == "1" else [])  # (with two threads the check finds row 3's extra empty value)
    native.clear()
    # a quoted value holding a line break: with one thread too, DuckDB reads as many columns as the header, and the
    # check counts values after the query (row 3: the batch path)
    source.write_bytes(b'Id,Employees,country\r\n1,60,"U\r\n""S""\r\n"\r\n2,"7\r\n0",UK\r\n3,80,US,\r\n4,,\r\n')
    _written, python, duckdb = both(tmp_path, rules, source, "--rejects", str(tmp_path / "rejects.jsonl"), "--jobs", jobs)
    assert python == duckdb and python[0] == 1
    assert native == []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_value_that_is_the_text_backslash_x00_is_a_value(tmp_path: Path, native: list[str], jobs: str) -> None:
    # Found by review: DuckDB was told to read the text \x00 (four characters) as NULL: a row of four values was kept,
    # a bad number became a missing one.
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "text.csv"
    source.write_bytes(b"Id,Employees,country\r\n1,60,US\r\n2,70,UK,\\x00\r\n3,\\x00,US\r\n4,80,\\x00\r\n")
    written, python, duckdb = both(tmp_path, rules, source, "--rejects", str(tmp_path / "rejects.jsonl"), "--jobs", jobs)
    assert native == ["csv"]
    assert python == duckdb and python[0] == 1
    assert b"is not an integer" in written


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_unknown_flag_is_an_empty_cell_byte_for_byte(tmp_path: Path, native: list[str], jobs: str) -> None:
    # Found by review: with two threads an unknown flag was written "" (DuckDB quotes an empty text by default).
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "flags.csv"
    source.write_bytes(b"Id,Employees,country\r\n1,60,\r\n2,70,UK\r\n")
    written, python, duckdb = both(tmp_path, rules, source, "--jobs", jobs)  # (both compares the bytes)
    assert native == ["csv"]
    assert written.splitlines()[1].endswith(b",")


def test_an_output_another_writer_cannot_open_by_name_is_written_through_a_file_of_duckdbs(tmp_path: Path) -> None:
    # Found by review: a read-only destination gave its mode to the temporary file, which DuckDB then could not open
    # (for a user other than root); a directory whose name is not UTF-8 cannot be given to DuckDB at all.
    from leadspec.cli._io import Output

    readonly = tmp_path / "ro.csv"
    readonly.write_text("old\n")
    readonly.chmod(0o444)
    out = Output(str(readonly), None)
    assert out.direct_path() is None
    out.write("new\n")
    out.commit()
    assert readonly.read_text() == "new\n" and readonly.stat().st_mode & 0o777 == 0o444
    if sys.platform != "darwin":  # (macOS refuses names that are not UTF-8)
        odd = tmp_path / os.fsdecode(b"dir\xff")
        odd.mkdir()
        out = Output(str(odd / "out.csv"), None)
        assert out.direct_path() is None
        out.discard()


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS refuses names that are not UTF-8")
@pytest.mark.parametrize("name", ["out.csv", "out.parquet"])
def test_an_output_in_a_directory_whose_name_is_not_utf8_is_written_natively(tmp_path: Path, native: list[str], name: str) -> None:
    rules = tmp_path / "small.yaml"
    rules.write_text(SMALL_RULES, encoding="utf-8")
    source = tmp_path / "ok.csv"
    source.write_bytes(b"Id,Employees,country\r\n1,60,US\r\n")
    odd = tmp_path / os.fsdecode(b"dir\xff")
    odd.mkdir()
    code, _out, err = cli("qualify", rules, source, "-o", odd / name, *AS_OF, "--engine", "duckdb")
    assert (code, native) == (0, [name.split(".")[1]]), err
    assert (odd / name).stat().st_size > 0
