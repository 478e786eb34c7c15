"""``qualify --engine duckdb`` on a file: DuckDB reads it, runs the rules' query and writes the output itself.

Python reads and writes no record: DuckDB reads the CSV (``read_csv``, every
value as text, strict quoting, unreadable rows stored as rejects; with one
thread and no line break inside a quoted value, a column more than the
header, so that DuckDB tells rows of the wrong width apart itself) or
Parquet (``read_parquet``) input, runs :meth:`leadspec.Ruleset.to_sql`
over it and writes the rows with ``COPY`` in one pass, in input order: a CSV
with the values quoted only where needed, after the header line the Python
engine writes (the input's header names and the added columns), or a
Parquet file. The summary (leads per stage, data issues) is counted on the
way, chunk by chunk, by a vectorised function over the rows DuckDB writes
(:class:`Tap`); the fields no row had a value for are asked of the input
afterwards (:meth:`Native._present`).

What the Python engine's reader would read otherwise than DuckDB — a
broken quote, a row that repeats the header, a reject DuckDB cannot place
— raises :class:`Redo`: the caller runs the batch path instead, whose
reading is the Python engine's own.
"""

from __future__ import annotations

import csv
import functools
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import unicodedata
from array import array
from collections import Counter
from datetime import datetime
from itertools import compress, repeat
from operator import le
from typing import Any, Callable, NamedTuple

from leadspec.duckdb import read_type

from ._io import GZIP_MAGIC, MAX_RECORD_CHARS, MAX_RECORD_LINES, Output, Writer, csv_records, open_binary

OUTPUTS = ("csv", "parquet")
"""Output formats DuckDB writes itself."""

MEMORY_LIMIT = "1GB"
"""DuckDB's memory: what a sort of the rows needs beyond it goes to a temporary directory (memory stays flat)."""

@functools.cache
def python_space(top: int | None = None) -> str:
    """The characters str.strip() removes: a value of only these is no value (the summary's fields no row had).

    Computed when first needed: ``\\s`` of a str pattern is ``str.isspace()``; every code point (surrogates left out)
    below ``top`` is decoded at once from UTF-32 and searched by one regular expression (a loop of ``chr()`` calls took
    0.1 s). By default up to the last code point, but only the Basic Multilingual Plane for the Unicode versions in
    :data:`SPACES_IN_BMP` (2 ms instead of 40)."""
    if top is None:
        top = 0x10000 if unicodedata.unidata_version in SPACES_IN_BMP else sys.maxunicode + 1
    points = array("I", range(min(top, 0xD800))).tobytes() + array("I", range(0xE000, top)).tobytes()
    return "".join(re.findall(r"\s", points.decode("utf-32-le" if sys.byteorder == "little" else "utf-32-be")))


SPACES_IN_BMP = frozenset({"14.0.0"})
"""Unicode versions whose every white-space character is in the Basic Multilingual Plane (checked by the tests for the
running Python's version: the whole range gives the same characters)."""

ROW = "row_number() OVER () AS __leadspec_row"

EXTRA = "__leadspec_extra"
"""The column a CSV is read with beyond its header's: a value in it (even empty) is a row of too many values."""

NULL_TEXT = "chr(0)"
"""SQL for the text DuckDB's CSV reader reads as NULL and its writer writes for NULL: a NUL byte, which no CSV DuckDB
reads for leadspec holds (a value is never NULL; a row padded with NULL is one of too few values)."""

KEPT = "__leadspec_kept"
"""The function the output query's WHERE calls with whether each row has as many values as the header (see :class:`Widths`)."""

LINE_END = "\r\n"
"""The line break of a CSV output (the Python engine's writer's)."""
"""The input's order: a plan that may reorder rows (a join, say) has its output sorted by it (see Native.prepare)."""

TABLE = "__leadspec_input"
"""The view of the input the rules' query reads."""

BUFFER_SIZE: int | None = None
"""DuckDB's CSV buffer in bytes (None: DuckDB's own, 16 times its 2 MB longest line: a longer record is read by the batch path).
Pieces of that size are read in parallel; a small one reads a small file in many pieces (tests)."""


TAP = "__leadspec_tap"
"""The function of :class:`Tap` in the output's query."""

ISSUES = "STRUCT(field VARCHAR, \"value\" VARCHAR, message VARCHAR, criterion VARCHAR)[]"
"""The type of the rules' query's ``issues`` column."""

ORDERED_OPERATORS = frozenset(
    {"READ_CSV", "READ_PARQUET", "TABLE_SCAN", "PROJECTION", "FILTER", "STREAMING_WINDOW", "COPY_TO_FILE", "BATCH_COPY_TO_FILE", "RESULT_COLLECTOR"}
)
"""DuckDB's operators that keep their rows in input order (DuckDB documents the order kept by a scan, SELECT, WHERE,
``row_number() OVER ()`` and COPY): a plan of only these writes the rows in input order without sorting them."""

REORDERING = re.compile(r"(?<!AS )\(\s*SELECT\b|\bJOIN\b|\bUNION\b|\bINTERSECT\b|\bEXCEPT\b|\bGROUP\s+BY\b|\bOVER\b|\bDISTINCT\b")
"""What in a query (its texts left out) may give DuckDB's plan an operator that does not keep the input's order: a
subquery other than a WITH layer's, a join, a set operation, a grouping, a window. A query without any is run unsorted
(and the plan DuckDB ran is checked after the run)."""

SHORT_IN_LISTS = 64
"""The longest IN list of constants compared value by value rather than run as a join (a join costs more for a few
values, and does not keep the rows' order; comparing is linear in the list's length)."""

IN_LIST = re.compile(r"\bIN \(((?:'(?:[^']|'')*'(?!')|[^()'])*)\)")
"""An IN list of constants in the rules' query (strings as sqlglot writes them, numbers)."""

STRING = re.compile(r"'(?:[^']|'')*'(?!')")
"""A text in SQL (a quote inside doubled; the lookahead ends it at its last quote: no split of ``''`` to try again)."""

FIRST_ROWS = 2048
"""The rows :meth:`Native._present` looks at first for a value of each watched source (one chunk of DuckDB's)."""

LINES_BLOCK = 1 << 22
"""Bytes of the input read at a time by the check for extra values at a row's end."""

OPEN_VALUE = re.compile(b'"(?:[^"]|"")*"?')
"""A quoted value not closed yet (up to the end of the text ``fullmatch`` is given; a last quote may be half of a doubled one)."""

QUOTED = re.compile(b'"[^"]*"')
"""A quoted piece of a line (the delimiters in it are not between values)."""

BARE_CR = re.compile(b"\r(?!\n)")
"""A carriage return that is a line break by itself."""

BLANK = re.compile(b"\n\r?\n")
"""A blank line after a line (one search: ``b"\\n\\n" in data`` alone took twice as long on lines of text)."""


@functools.cache
def quoted_value(delimiter: bytes) -> re.Pattern[bytes]:
    """A quoted value that ends where a value ends (quotes inside doubled): its opening quote is checked by :func:`bare`.

    It starts with the quote (the regular expression engine finds a literal first character fast); a lookbehind for
    the delimiter or a line break before it made the search try every position (25 times slower)."""
    return re.compile(b'"(?:[^"]|"")*"(?=[\r\n' + re.escape(delimiter) + b"]|\\Z)")


@functools.cache
def closing(delimiter: bytes) -> re.Pattern[bytes]:
    """A quote followed by spaces or tabs up to the next delimiter or the line's end: a closing quote with a space after it
    (or, seldom, a quote inside a quoted value: the check is then only cautious)."""
    return re.compile(b'"[ \t]+(?:' + re.escape(delimiter) + b"|$)")


def bare(data: bytes, delimiter: bytes) -> bytes:
    """``data`` (whole lines of a CSV) without its quoted values: each quoted value that starts and ends where a value
    does (after a delimiter or a line break, before one or the end) is taken out, line breaks inside it too. A quote
    left in the result stands anywhere else (inside an unquoted value, after a space): the text cannot be read this way.

    The definition :func:`quoted_spans` computes faster (the tests compare the two)."""
    at_start = (delimiter[0], 10)

    def one(match: re.Match[bytes]) -> bytes:
        start = match.start()
        return b"" if start == 0 or data[start - 1] in at_start else match.group()

    return quoted_value(delimiter).sub(one, data)


def longest_in_list(query: str) -> int | None:
    """The most values an ``IN (...)`` list of ``query`` holds (0: none); None when one cannot be counted."""
    found = [len(STRING.sub("x", m.group(1)).split(",")) for m in IN_LIST.finditer(query)]
    if len(found) != query.count(" IN ("):  # a list holding parentheses (or the words inside a text): not counted
        return None
    return max(found, default=0)


class Tap:
    """Counts what the summary needs while DuckDB writes the output: the query calls it with each chunk of rows
    (a vectorised function over Arrow arrays: stage, issues and whether the row repeats the header) and writes the
    stages it returns, unchanged. (Whether each watched field has a value in some row is asked afterwards, by
    :meth:`Native._present`: a row-by-row test of every value in the output's query cost a tenth of the run.)

    Only Arrow's arrays and Python are used: a first call of ``pyarrow.compute`` imports pandas (most of a second)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # DuckDB's threads call it at once: each call's counts are added under the lock
        self.rows = 0
        self.stages: Counter[str] = Counter()
        self.with_issues = 0
        self.issues: Counter[tuple[str, str]] = Counter()
        self.repeats = 0
        self.error: BaseException | None = None

    def __call__(self, stage: Any, issues: Any, repeat: Any) -> Any:
        try:
            stages = Counter(stage.to_pylist())
            with_issues = 0
            found: list[tuple[str, str]] = []
            for chunk in issues.chunks:
                flat = chunk.flatten()
                if len(flat):  # a row has an issue
                    offsets = chunk.offsets.to_pylist()
                    with_issues += sum(end > start for start, end in zip(offsets, offsets[1:]))
                    fields, criteria = flat.field("field").to_pylist(), flat.field("criterion").to_pylist()
                    names = [criterion if field is None else field for field, criterion in zip(fields, criteria)]
                    found += zip(map(str, names), map(str, flat.field("message").to_pylist()))
            repeats = sum(chunk.true_count for chunk in repeat.chunks)
            with self.lock:
                self.rows += len(stage)
                self.stages.update(stages)
                self.with_issues += with_issues
                self.issues.update(found)
                self.repeats += repeats
        except BaseException as exc:  # DuckDB says only that the function failed: the error is kept to be raised as it is
            self.error = exc
            raise
        return stage


class Widths:
    """The ``WHERE`` of the output query over a CSV: called with each chunk of rows (whether each has as many values as the
    header, and its row number), it keeps those and notes the others' row numbers (the Python reader's rejects)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # DuckDB's threads call it at once
        self.other: list[int] = []  # the row numbers (``__leadspec_row``) of the rows of too many or too few values
        self.error: BaseException | None = None

    def __call__(self, kept: Any, row: Any) -> Any:
        try:
            if any(chunk.false_count for chunk in kept.chunks):
                other = [number for ok, number in zip(kept.to_pylist(), row.to_pylist()) if not ok]
                with self.lock:
                    self.other += other
        except BaseException as exc:  # DuckDB says only that the function failed: the error is kept to be raised as it is
            self.error = exc
            raise
        return kept


class Beside:
    """A check run in a thread of its own while this one waits for DuckDB; :meth:`wait` joins it and gives what it raised."""

    def __init__(self, check: Callable[[], None]) -> None:
        self.raised: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(check,), name="leadspec-check", daemon=True)
        self.thread.start()

    def _run(self, check: Callable[[], None]) -> None:
        try:
            check()
        except BaseException as exc:  # (raised in the waiting thread: a Redo, or a mistake of leadspec's said as it is)
            self.raised = exc

    def wait(self) -> BaseException | None:
        self.thread.join()
        return self.raised


class Redo(Exception):
    """DuckDB reads this input otherwise than the Python engine's reader: the run goes through the batch path (``args[0]``: why)."""


class Counts(NamedTuple):
    """What a native run gave: as ``Done`` of the batch path, for the same summary."""

    read: int
    stages: dict[str, int]
    with_issues: int
    rejects: list[tuple[Any, ...]]  # (row, line, reason, values, raw text, stop)
    issues: dict[tuple[str, str], int]
    absent: list[str] | None


def quoted(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def is_gzip(path: str) -> bool:
    """Whether the file starts as a gzip stream does (the Python engine's readers know it by its first bytes too)."""
    with open(path, "rb") as raw:  # (not open_binary: it reads a gzip stream decompressed)
        return raw.read(len(GZIP_MAGIC)) == GZIP_MAGIC


class Native:
    """One native run: ``prepare`` reads, qualifies and writes the rows to a file of its own, ``write`` puts them in the output, ``counts`` gives the summary."""

    def __init__(self, rules: Any, as_of: datetime, threads: int, flags: tuple[str, ...], watched: list[tuple[str, str, tuple[str, ...]]]) -> None:
        import duckdb

        self.rules = rules
        self.as_of = as_of
        self.flags = flags
        self.watched = watched
        self.spill = tempfile.mkdtemp(prefix="leadspec-duckdb-")
        self.con = duckdb.connect(":memory:")
        self.threads = int(threads)
        self.con.execute(f"SET threads = {self.threads}")
        self.con.execute("SET preserve_insertion_order = true")
        self.con.execute(f"SET temp_directory = {literal(self.spill)}")
        self.con.execute(f"SET memory_limit = {literal(MEMORY_LIMIT)}")
        self.header: list[str] = []
        self.names: list[str] = []  # the input's columns in the query (a column no field reads: by position)
        self.raw: list[str] = []  # the input's columns as read, for the output (a CSV's empty value: NULL, written empty)
        self.types: list[str] = []
        self.read = 0
        self.rejects: list[tuple[Any, ...]] = []
        self.side = ""  # the rows DuckDB wrote, in the run's temporary directory (copied into the output by write)
        self.sorted = False  # whether the rows were sorted back into input order
        self.direct = False  # whether DuckDB wrote the output's own file (see prepare)
        self.tap = Tap()
        self.kept = ""  # SQL: whether a row of a CSV read with a column more than its header has as many values (_csv_view)
        self._reading: tuple[str, int, str] | None = None  # a CSV's path, the lines before its first record, its delimiter
        self.widths = Widths()
        self.present: list[bool] = []  # whether each watched source has a value in some row (see _present)
        self.quoted_lines = 0  # line breaks that may be inside quoted values (_block: a bound, exact for a block counted whole)
        self.stop = threading.Event()  # set when the query failed: the check beside it (see prepare) stops at its next block

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self.spill, ignore_errors=True)

    # -- reading --------------------------------------------------------------------------

    def _names(self, header: list[str]) -> list[str]:
        sources = [spec.source or name for name, spec in self.rules.fields.items()]
        read = set(sources) | {s.split(".")[0] for s in sources}
        taken: set[str] = set()
        names = []
        for i, name in enumerate(header):
            if name in read and name not in taken:
                taken.add(name)
                names.append(name)
            else:
                names.append(f"__leadspec_c{i}")
        return names

    def _absent_columns(self) -> list[str]:
        """A NULL text column for each source the input has no column for (--allow-missing-columns: the field is missing)."""
        have = set(self.names)
        sources = dict.fromkeys(spec.source or name for name, spec in self.rules.fields.items())
        return [f"CAST(NULL AS VARCHAR) AS {quoted(s)}" for s in sources if s not in have and s.split(".")[0] not in have]

    def read_csv(self, path: str, header: list[str], skip: int, delimiter: str) -> None:
        """Read a CSV (every value as text) whose header, on line ``skip``, the Python reader read as ``header``."""
        self.header = header
        self.names = self._names(header)
        self.types = ["VARCHAR"] * len(header)
        self.raw = [f"__leadspec_c{i}" for i in range(len(header))]
        self._reading = (path, skip, delimiter)
        same = [f"COALESCE({quoted(name)}, '') = {literal(text)}" for name, text in zip(self.names, header)]
        # the other values are compared only on the rows whose first value is the header's (CASE runs THEN on those rows)
        self.repeat = f"CASE WHEN {same[0]} THEN {' AND '.join(same[1:]) or 'TRUE'} ELSE FALSE END" if same else ""
        self.path = path
        self.skip = skip
        self._delimiter = delimiter

    def _csv_view(self, one_more: bool) -> None:
        """The view of the CSV :meth:`read_csv` was given, made when :meth:`prepare` knows how DuckDB reads it.

        ``one_more`` (one thread, and no quoted value holds a line break): one column more than the header has (EXTRA),
        rows padded with NULL, and no value read as NULL (NULLSTR a NUL byte: an input holding one is not read by
        DuckDB, see _trailing_values). A row of more values than the header's then has EXTRA (one more, even empty:
        DuckDB takes a single trailing delimiter for none otherwise) or is one of DuckDB's rejects (more); a row of
        fewer has NULL in its last column. Both are the Python reader's rejects (see _rejects), and the check of the
        input need not count values. (DuckDB refuses to pad rows in a file whose quoted values hold line breaks when
        it reads it in parallel; reading it in one piece keeps the whole file in memory.) Else, as many columns as the
        header: DuckDB rejects the rows of too few or too many values, drops a row's extra empty values (a trailing
        delimiter's), and the check counts values to find those rows (see _block)."""
        assert self._reading is not None
        path, skip, delimiter = self._reading
        names = [*self.raw, *([EXTRA] if one_more else [])]
        columns = ", ".join(f"{literal(name)}: 'VARCHAR'" for name in names)
        reading = f"null_padding = true, nullstr = {NULL_TEXT}" if one_more else "null_padding = false"
        options = (
            f"header = false, skip = {skip}, columns = {{{columns}}}, delim = {literal(delimiter)}, quote = '\"', escape = '\"', "
            f"strict_mode = true, store_rejects = true, auto_detect = false, {reading}, "
            f"compression = {literal('gzip' if is_gzip(path) else 'none')}"
            + (f", buffer_size = {BUFFER_SIZE}, max_line_size = {BUFFER_SIZE}" if BUFFER_SIZE else "")
        )
        # The Python reader reads an empty value as '' (a bad value, or a missing one when the rule file's missing
        # markers hold ''): where a field reading the column takes '' for missing, the rules read NULL (the same, and
        # cheaper: a function is not called on NULL), else ''; the output writes the value as read. DuckDB reads it as
        # '' with one_more (NULLSTR), else as NULL
        empty = {spec.source for spec in self.rules.plan.fields if "" not in spec.missing}
        if one_more:
            read = [
                f"{raw}, {raw} AS {quoted(name)}" if name in empty else raw if name == raw else f"{raw}, NULLIF({raw}, '') AS {quoted(name)}"
                for raw, name in zip(self.raw, self.names)
            ]
            read.append(EXTRA)
            self.kept = f"{EXTRA} IS NULL AND {self.raw[-1]} IS NOT NULL"  # a row of as many values as the header has
        else:
            read = [
                f"{raw}, COALESCE({raw}, '') AS {quoted(name)}" if name in empty else raw if name == raw else f"{raw}, {raw} AS {quoted(name)}"
                for raw, name in zip(self.raw, self.names)
            ]
            self.kept = ""
        picked = ", ".join([*read, *self._absent_columns(), ROW])
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {TABLE} AS SELECT {picked} FROM read_csv({literal(path)}, {options})")

    def read_parquet(self, path: str) -> list[str]:
        """Read a Parquet file; its column names (the header).

        :class:`Redo` (said, as for a file corrupt further on: no other reader) when DuckDB cannot read it as Parquet (empty,
        truncated, another format); the OSError of a file that cannot be opened at all, said as for any input."""
        import duckdb

        with open(path, "rb"):  # missing, a directory, not allowed: said as for a CSV input, not in DuckDB's words
            pass
        try:
            described = self.con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal(path)})").fetchall()
        except duckdb.Error as exc:
            raise Redo(f"DuckDB cannot read the input: {str(exc).splitlines()[0]}") from None
        self.header = [str(row[0]) for row in described]
        self.names = self._names(self.header)
        picked = []
        self.types = []
        self.raw = []  # (a NULL of Parquet is no value, as in a JSON record)
        for i, ((column, kind, *_rest), name) in enumerate(zip(described, self.names)):
            target = read_type(str(kind)) if not name.startswith("__leadspec_c") else str(kind)
            self.types.append(target)
            if target == kind:
                picked.append(f"{quoted(column)} AS {quoted(name)}")
                self.raw.append(name)
                continue
            # read as another type (a DECIMAL as DOUBLE, a TIMESTAMP_NS as TIMESTAMP), but written as it was: its own
            # column too, under the name of position i (free: a column no field reads has it, and this one is read)
            picked.append(f"CAST({quoted(column)} AS {target}) AS {quoted(name)}")
            picked.append(f"{quoted(column)} AS {quoted(f'__leadspec_c{i}')}")
            self.raw.append(f"__leadspec_c{i}")
        picked += [*self._absent_columns(), ROW]
        self.con.execute(f"CREATE TEMP VIEW {TABLE} AS SELECT {', '.join(picked)} FROM read_parquet({literal(path)})")
        self.repeat = ""
        return self.header

    # -- qualifying -----------------------------------------------------------------------

    def prepare(self, fmt: str, writer: Writer, text_query: str | None = None, sink: Output | None = None) -> None:
        """Run the rules' query and write its rows, in input order (``fmt``: csv or parquet): to the output's own file when
        ``sink`` lets another writer write it whole (:meth:`Output.direct_path`), else to a file in the run's temporary directory.

        One pass: DuckDB reads the input, qualifies it and writes the rows with ``COPY``;
        what the summary needs (leads per stage, data issues) is counted on the way by
        :class:`Tap`. Then the checks that can send the run through the batch path
        (:class:`Redo`) look at the input: nothing is in the output yet. Last, the fields
        no row had a value for (:meth:`_present`).

        ``text_query``: the rules' query over ``__leadspec_input`` with every column text, when
        already made (``to_sql`` takes a while on a large rule file); used for a CSV.
        ``writer``: the output's column names and CSV delimiter (the Python engine's writer's).
        When the run goes through the batch path instead (:class:`Redo`) or fails, ``sink`` is left empty.
        """
        if self._reading is not None:
            # With one thread, the check of the input runs first, looking only at its quoted values (_whole_records):
            # where none holds a line break, DuckDB reads a column more than the header (and the check is done: self.kept
            # is set); else as many, and the check that counts values runs after the query
            one_more = False
            if self.threads == 1:
                self._trailing_values(whole=True)
                one_more = self.quoted_lines == 0
                self.quoted_lines = 0
            self._csv_view(one_more)
        types = {name: kind for name, kind in zip(self.names, self.types) if not name.startswith("__leadspec_c")}
        if text_query is not None and all(kind == "VARCHAR" for kind in types.values()):
            query = text_query
        else:
            query = self.rules.to_sql("duckdb", table=TABLE, as_of=self.as_of, types=types or None, pretty=False)
        longest = longest_in_list(query)
        # DuckDB runs an IN list of constants as a join, which costs more than comparing a few values and does not keep
        # the rows' order (the output would need sorting): short lists are compared
        self.con.execute(f"SET disabled_optimizers = {literal('in_clause' if longest is not None and longest <= SHORT_IN_LISTS else '')}")
        repeat = self.repeat or "FALSE"
        stage = f"{TAP}(stage, issues, {repeat})"
        picked, options = self._output(fmt, writer, stage)
        select = f"SELECT {picked} FROM ({query}) AS q" + (f" WHERE {KEPT}({self.kept}, __leadspec_row)" if self.kept else "")
        # DuckDB writes the output's own file (its temporary file beside the destination) when it is a plain file: a CSV
        # with the header line first (COPY's PREFIX; its rows are then written with a line break between them, and after
        # the last one by SUFFIX), or a Parquet file. Else a file of its own, copied into the output after the header line.
        target = sink.direct_path() if sink is not None else None
        self.direct = target is not None
        self.side = target if target is not None else os.path.join(self.spill, "out." + fmt)
        head = writer.start() if fmt == "csv" and target is not None else ""
        if head:
            options += f", PREFIX {literal(head)}, SUFFIX {literal(LINE_END)}"
        try:
            self._run(select, options, longest, query, head)
        except BaseException:
            if sink is not None:
                sink.undirect()  # the batch path writes the output (a Redo), or it is discarded
            raise

    def _run(self, select: str, options: str, longest: int | None, query: str, head: str) -> None:
        """:meth:`prepare` once the query is made: run it, check what it read, count (``head``: the header line DuckDB
        writes first, or '')."""
        # rows are sorted back into input order only when the plan may reorder them; a query of projections is run as it
        # is, and the plan DuckDB ran is checked afterwards: one that reordered rows after all is run again, sorted
        self.sorted = longest is None or longest > SHORT_IN_LISTS or REORDERING.search(STRING.sub("''", query)) is not None
        # with more than one thread, the check for rows with extra empty values reads the input beside the query (in a
        # thread of this process: DuckDB runs the query without the GIL); with one, after it (the run uses one core)
        beside = Beside(self._trailing_values) if self.repeat and self.threads > 1 else None
        try:
            written, tap = self._copy(select, options, sort=self.sorted)
            if not self.sorted and not self._kept_order():
                self.sorted = True
                written, tap = self._copy(select, options, sort=True)
        except BaseException:
            self.stop.set()
            raise
        finally:
            try:
                checked = beside.wait() if beside is not None else None
            except BaseException:  # (a stop signal while waiting for the check)
                self.stop.set()
                raise
        if written != tap.rows:  # every row written went through the tap once: otherwise the summary would not be the output's
            raise RuntimeError(f"leadspec counted {tap.rows:,} rows of DuckDB's output, which has {written:,}")
        if head:
            self._headed(head, written)
        if self.repeat:
            if tap.repeats:
                raise Redo("a row repeats the header")
            if checked is not None:
                raise checked
            if beside is None and not self.kept:  # (read with a column more: checked before the query)
                self._trailing_values()
            self._rejects()
        self.tap = tap
        self.read = tap.rows + len(self.rejects)
        self.present = self._present() if tap.rows else []  # (after _rejects: another read of the CSV may replace DuckDB's table of rejects)

    def _output(self, fmt: str, writer: Writer, stage: str) -> tuple[str, str]:
        """The output's columns as a SELECT list over the rules' query, and COPY's options for ``fmt``."""
        own = [quoted(name) for name in self.raw]
        if fmt == "csv":
            unknown = " ELSE ''" if self.kept else ""  # (written empty: '' with NULLSTR set, NULL by default)
            flags = [f"CASE {quoted('flags.' + name)} WHEN 'pass' THEN 'true' WHEN 'fail' THEN 'false'{unknown} END" for name in self.flags]
            picked = ", ".join([*own, stage, "reasons", *flags])
            # COMMENT '': DuckDB quotes every value holding its comment character (#) otherwise. A CSV input read with a
            # column more than its header has no NULL value (_csv_view), and '' is written as the Python engine writes it only when NULL is written otherwise
            # (NULLSTR); a Parquet input's NULL is written empty, as DuckDB writes NULL by default
            nulls = f", NULLSTR {NULL_TEXT}" if self.kept else ""
            options = f"FORMAT csv, HEADER false, DELIMITER {literal(writer.delimiter)}, QUOTE '\"', ESCAPE '\"', NEW_LINE {literal(LINE_END)}, COMMENT ''{nulls}"
            return picked, options
        flags = [f"CASE {quoted('flags.' + name)} WHEN 'pass' THEN TRUE WHEN 'fail' THEN FALSE END" for name in self.flags]
        if self.kept:  # a CSV's empty value is NULL in Parquet, however it was read (see _csv_view)
            own = [f"NULLIF({value}, '')" for value in own]
        columns = [name or f"column{i}" for i, name in enumerate(self.header)]  # Parquet has no empty name: DuckDB's for it
        names = [*columns, writer.names[0], writer.names[1], *(f"{writer.flags_name}.{name}" for name in self.flags)]
        picked = ", ".join(f"{value} AS {quoted(name)}" for value, name in zip([*own, stage, "reasons", *flags], names))
        return picked, "FORMAT parquet"

    def _copy(self, select: str, options: str, sort: bool) -> tuple[int, Tap]:
        """Write ``select``'s rows to the side file (sorted by input order when ``sort``): the rows written and the tap's counts.

        Unsorted, the run is profiled, for :meth:`_kept_order`."""
        import duckdb

        tap = Tap()
        create: Any = self.con.create_function  # (duckdb's stubs want its enums, and know no callable object)
        create(TAP, tap, ["VARCHAR", ISSUES, "BOOLEAN"], "VARCHAR", type="arrow", null_handling="special", side_effects=True)
        self.widths = Widths()
        if self.kept:
            create(KEPT, self.widths, ["BOOLEAN", "BIGINT"], "BOOLEAN", type="arrow", null_handling="special", side_effects=True)
        if not sort:
            self.con.execute("PRAGMA enable_profiling = 'no_output'")
        try:
            statement = f"COPY ({select}{' ORDER BY __leadspec_row' if sort else ''}) TO {literal(self.side)} ({options}, USE_TMP_FILE false)"
            written = int(self.con.execute(statement).fetchall()[0][0])
        except duckdb.Error as exc:  # the reader stopped (a state its strict mode refuses): the Python reader decides
            for error in (tap.error, self.widths.error):
                if error is not None:  # not the input: leadspec's own mistake, said as it is
                    raise error from None
            raise Redo(f"DuckDB cannot read the input: {str(exc).splitlines()[0]}") from None
        finally:
            self.con.remove_function(TAP)
            if self.kept:
                self.con.remove_function(KEPT)
        return written, tap

    def _headed(self, head: str, written: int) -> None:
        """Check the CSV DuckDB wrote with ``head`` as its PREFIX: the header line first, and (no row) nothing else."""
        start = head.encode("utf-8")
        with open(self.side, "rb+") as output:
            if output.read(len(start)) != start:
                raise RuntimeError("DuckDB's output does not start with the header line")
            if not written:  # DuckDB writes the SUFFIX after the PREFIX: a blank line the output does not have
                if output.read() != LINE_END.encode("ascii"):
                    raise RuntimeError("DuckDB's output of no row is not the header line alone")
                output.truncate(len(start))
            else:
                output.seek(-len(LINE_END), os.SEEK_END)
                if output.read() != LINE_END.encode("ascii"):
                    raise RuntimeError("DuckDB's output does not end with a line break")

    def _kept_order(self) -> bool:
        """Whether the plan of the last (profiled) COPY kept the input's order: only :data:`ORDERED_OPERATORS` in it."""
        profile = json.loads(self.con.get_profiling_information(format="json"))
        self.con.execute("PRAGMA disable_profiling")
        found: set[str] = set()
        todo = list(profile.get("operator", ()))
        while todo:
            node = todo.pop()
            found.add(str(node.get("name")))
            todo.extend(node.get("children", ()))
        return bool(found) and found <= ORDERED_OPERATORS

    def _rejects(self) -> None:
        """The rows of too many or too few values, as the Python engine's rejects; :class:`Redo` when they are not the Python reader's.

        The rejects are the Python reader's records of the wrong width, matched with DuckDB's. DuckDB's own rejects
        (rows of too many values; read with as many columns as the header, of too few too) by their text, in order: its
        line numbers count a value's line breaks otherwise. Read with a column more than the header (:meth:`_csv_view`),
        the other rows of the wrong width went through the query and were left out of the output (:class:`Widths`): by
        their row number (DuckDB's rows are the records less the ones it rejected)."""
        errors = self.con.execute(
            "SELECT line, any_value(CAST(error_type AS VARCHAR)), any_value(csv_line) FROM reject_errors GROUP BY line ORDER BY line"
        ).fetchall()
        other = sorted(self.widths.other)  # (none unless read with a column more)
        if not errors and not other:
            return
        kinds = ("TOO MANY COLUMNS",) if self.kept else ("MISSING COLUMNS", "TOO MANY COLUMNS")
        if any(kind not in kinds for _line, kind, _text in errors):
            raise Redo("DuckDB cannot read a row (broken quoting, encoding or length)")
        width = len(self.header)
        delimiter = self._delimiter
        ours = [(number, line, raw, next(csv.reader([raw], delimiter=delimiter, strict=True), [])) for number, line, raw in self._wrong_widths(width)]
        theirs = []  # the records DuckDB rejected itself
        rows = []  # the row numbers of the others
        for number, _line, raw, values in ours:
            if not self.kept or len(values) > width + 1:
                theirs.append(raw)
            else:
                rows.append(number - len(theirs))
        if theirs != [str(text).strip("\r\n") for _line, _kind, text in errors] or rows != other:
            raise Redo("DuckDB's rejects are not the Python reader's records of the wrong width")
        for number, line, raw, values in ours:
            reason = f"{len(values)} values but the header has {width} columns"
            if len(values) > width and not any(values[width:]):
                reason += "; the extra values are empty: a trailing delimiter?"
            self.rejects.append((number, line, reason, values, raw, False))
        self.rejects.sort()

    def _trailing_values(self, whole: bool = False) -> None:
        """:class:`Redo` when the input holds what DuckDB reads otherwise than the Python reader: a NUL byte, a quote after
        a space or a space after a closing quote, and (more than one thread) a row whose extra empty values DuckDB drops,
        where the Python reader rejects the row; the line breaks inside quoted values are counted (for :meth:`_long_records`).

        Read as plain lines (a line break is ``\\n``, ``\\r\\n`` or ``\\r``), a block at a time (:meth:`_block`).
        (With one thread, DuckDB tells rows of too many or too few values apart itself, see :meth:`read_csv`.)
        """
        d = self._delimiter.encode("utf-8")
        width = len(self.header)
        # a space or tab before a value's opening quote: the Python reader keeps the quote as text, DuckDB reads a quoted value
        opening = re.compile(b"(?:^|" + re.escape(d) + b')[ \t]+"')
        skip = self.skip
        # whether the block starts at a record (not inside a quoted value over several lines, which a block may end in):
        # the first does; a block whose quotes are all whole quoted values (quoted_spans) ends at a record too; after any
        # other block it is not known, and every later block is looked at line by line
        aligned = True
        with open_binary(self.path) as binary:  # decompressed
            rest = b""
            while not self.stop.is_set():
                block = binary.read(LINES_BLOCK)
                data = rest + block
                if block:
                    # after the last line break (a \r at the end may be the first half of a \r\n)
                    cut = data.rfind(b"\n") + 1 or data.rfind(b"\r", 0, len(data) - 1) + 1
                    data, rest = data[:cut], data[cut:]
                if b"\0" in data:  # DuckDB reads no NUL byte as the Python reader does: the Python reader decides
                    raise Redo("the input holds a NUL byte")
                if b"\r" in data and BARE_CR.search(data):  # a line break of \r alone (of \r\n: the \r stays at the line's end)
                    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
                if skip:  # the lines before the first record
                    parts = data.split(b"\n", skip)
                    data, skip = (parts[skip], 0) if len(parts) > skip else (b"", skip - len(parts) + 1)
                if whole:  # (a record a block ends inside is looked at with the next block)
                    carried = self._whole_records(data, d, width, last=not block)
                    if carried:
                        data, rest = data[: len(data) - carried], data[len(data) - carried :] + rest
                else:
                    aligned = self._block(data, d, width, opening, aligned)
                if not block:
                    break
        if self.quoted_lines >= MAX_RECORD_LINES and not self.stop.is_set():  # a record may run over more lines than the Python reader reads
            self._long_records()

    def _whole_records(self, data: bytes, d: bytes, width: int, last: bool) -> int:
        """The check with one thread, before the query (see prepare): count the line breaks inside the quoted values of
        ``data`` (whole lines from a record's start); the bytes at its end that are a record whose quoted value the
        block ends inside (the next block looks at them), 0 when none.

        :class:`Redo` when a quote is not part of a quoted value that starts and ends where a value does (after a
        space, inside an unquoted value, or never closed: DuckDB reads a quoted value not closed to the end of the
        file, and drops it), when a record left open runs on over MAX_RECORD_CHARS bytes, and when a file of one
        column has a blank line (DuckDB reads it as a row)."""
        inside, at, record, before = quoted_scan(data, d)
        carried = 0
        if at >= 0:
            if last or not (at == 0 or data[at - 1] in (d[0], 10)) or OPEN_VALUE.fullmatch(data, at) is None:
                raise Redo("a quote that is not part of a whole quoted value")
            carried = len(data) - record
            if carried > MAX_RECORD_CHARS:
                raise Redo(f"a quoted value runs on over {MAX_RECORD_CHARS:,} bytes")
            inside = before  # (the record's quoted values are counted with the next block)
        if width == 1 and _blank(data[: len(data) - carried]):
            raise Redo("a blank line in a file of one column")
        self.quoted_lines += inside
        return carried

    def _block(self, data: bytes, d: bytes, width: int, opening: re.Pattern[bytes], aligned: bool) -> bool:
        """Check the whole lines of ``data`` (lines end with ``\\n``; the last one may not).

        With one thread, DuckDB tells rows of the wrong width apart itself (:meth:`read_csv`):
        when every quote of a block that starts at a record (``aligned``) is part of a quoted
        value that starts and ends where a value does (:func:`quoted_spans`), both readers read
        its values alike; only the line breaks inside them are counted.

        With more threads, DuckDB drops a row's extra empty values (a trailing delimiter's), and
        the values are counted here. The lines with a quote one by one. The others are counted
        together: a row has ``width - 1`` delimiters, so when they hold ``width - 1`` per line
        and no line is blank, either each line has that many or one has fewer. A line with
        fewer (not blank) is a row DuckDB rejects (missing columns), and :meth:`_rejects` then
        compares DuckDB's rejects with the Python reader's records of the wrong width, which
        hold any line with more: a difference sends the run through the batch path. Otherwise
        (the counts differ, a line is blank, or a value goes over several lines) each line with
        ``width`` delimiters is looked at. First, the same count over the whole block with its
        quoted values taken out (:func:`quoted_breaks`): when no quote is left, no line is
        blank and the delimiters are ``width - 1`` per record, the block holds no row with
        extra values, and the line-by-line look is not needed.

        Either way, only for a block that starts at a record: one that starts inside a quoted
        value would be read with its quotes the wrong way round. Returns whether the block was
        decided whole (the next block then starts at a record); else each line with a quote is
        looked at (:meth:`_one_line`) and the values are counted as above (with one thread,
        cautiously: the batch path writes the same output).
        """
        inside = quoted_breaks(data, d, width) if aligned else None
        if inside is not None:
            self.quoted_lines += inside
            return True
        lines = _lines(data)
        delimiters = data.count(d)
        over_lines = False
        at = data.find(b'"')
        while at >= 0:  # a line with a quote
            end = data.find(b"\n", at)
            end = len(data) if end < 0 else end
            line = data[data.rfind(b"\n", 0, at) + 1 : end]
            self._one_line(line, d, width, opening)
            over_lines = over_lines or line.count(b'"') % 2 == 1
            lines -= 1
            delimiters -= line.count(d)
            at = data.find(b'"', end)
        # a blank line is no record to either reader: it holds no delimiter, and is not a row DuckDB rejects
        blank = _blank(data)
        if blank and width == 1:  # DuckDB reads a blank line of a file of one column as a row: the Python reader does not
            raise Redo("a blank line in a file of one column")
        if over_lines or not aligned:  # a value may go over lines: each line break may be inside it (for _long_records)
            self.quoted_lines += data.count(b"\n")
        if not over_lines and not blank and delimiters == (width - 1) * lines:
            return False
        each = data.split(b"\n")
        for line in compress(each, map(le, repeat(width), map(bytes.count, each, repeat(d)))):
            self._one_line(line, d, width, opening)
        return False

    @staticmethod
    def _one_line(line: bytes, d: bytes, width: int, opening: re.Pattern[bytes]) -> None:
        """:class:`Redo` when ``line`` (a line of the input, without its line break) may end with extra empty values or
        hold a quote after a space or a space after a closing quote."""
        if line.endswith(b"\r"):
            line = line[:-1]
        if b'"' not in line:
            if line.count(d) >= width and line.endswith(d):
                raise Redo("a row may end with extra empty values")
            return
        if (b' "' in line or b'\t"' in line) and opening.search(line):
            raise Redo("a quote may follow a space at the start of a value")
        # a space or tab after a value's closing quote: the Python reader rejects the row, DuckDB reads the value without it
        if (b'" ' in line or b'"\t' in line) and closing(d).search(line):
            raise Redo("a space may follow a value's closing quote")
        if line.endswith(d) and line.count(b'"') % 2:
            raise Redo("a row may end with extra empty values")
        if QUOTED.sub(b"", line).count(d) >= width:  # more values than columns, the last ones maybe empty ("" too)
            raise Redo("a row may end with extra empty values")

    def _wrong_widths(self, width: int) -> list[tuple[int, int, str]]:
        """(record number, line, text) of each record of the input whose number of values is not ``width``, as the
        Python reader reads and numbers them; :class:`Redo` when it finds a record it cannot read at all."""
        found: list[tuple[int, int, str]] = []
        number = 0
        with open_binary(self.path) as binary:  # decompressed
            import io

            text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="", errors="replace")
            for line, _count, record, values, error, _reach in csv_records(text, 1, parse_plain=True, delimiter=self._delimiter):
                if line <= self.skip or (values is not None and not values) or not record.strip("\r\n"):
                    continue  # the header, or a blank line (no record)
                if error is not None:
                    raise Redo(f"the Python reader cannot read the record on line {line}")
                number += 1
                if values is not None and len(values) != width:
                    found.append((number, line, record.strip("\r\n")))
        return found

    def _long_records(self) -> None:
        """:class:`Redo` when a record runs over more than MAX_RECORD_LINES lines: the Python reader rejects it and reads
        the lines after its first as records; DuckDB reads it whole. Read with the Python reader (only the lines with a
        quote are parsed), only when the quoted values hold that many line breaks (see :meth:`_block`)."""
        with open_binary(self.path) as binary:  # decompressed
            import io

            text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="", errors="replace")
            for line, _count, _record, _values, error, _reach in csv_records(text, 1, parse_plain=False, delimiter=self._delimiter):
                if self.stop.is_set():  # (the query failed: see prepare)
                    return
                if error is not None and line > self.skip:
                    raise Redo(f"the Python reader cannot read the record on line {line} (a quoted value over {MAX_RECORD_LINES:,} lines?)")

    _delimiter = ","

    def _present(self) -> list[bool]:
        """Whether each watched source has a value in some row DuckDB read (as qualify's ``_absent``: a value is
        neither NULL nor blank text; a source no column has has none; one inside a struct column: not told apart).

        Asked of the input after the run: the first rows (:data:`FIRST_ROWS`) answer for most sources; the ones
        still without a value are looked for in all the rows (one more scan of the input, when a field has no value
        in the first rows: a sparse or an absent column)."""
        columns = set(self.names)
        present = [source not in columns and source.split(".")[0] in columns for _name, source, _path in self.watched]
        tests = {  # text starting with a printable ASCII character has a value without the (costly) trim of every Unicode space
            i: f"CASE WHEN {quoted(source)} IS NULL THEN FALSE WHEN ascii(CAST({quoted(source)} AS VARCHAR)) BETWEEN 33 AND 126 THEN TRUE"
            f" ELSE length(trim(CAST({quoted(source)} AS VARCHAR), {literal(python_space())})) > 0 END"
            for i, (_name, source, _path) in enumerate(self.watched)
            if source in columns
        }
        table = f"(SELECT * FROM {TABLE} WHERE {self.kept})" if self.kept else TABLE  # (not a row the Python reader rejects)
        for rows in (f"(SELECT * FROM {table} LIMIT {FIRST_ROWS})", table):
            todo = [i for i in tests if not present[i]]
            if not todo:
                break
            found = self.con.execute(f"SELECT {', '.join(f'bool_or({tests[i]})' for i in todo)} FROM {rows}").fetchone() or ()
            for i, has in zip(todo, found):
                present[i] = bool(has)
        return present

    # -- the summary ----------------------------------------------------------------------

    def counts(self) -> Counts:
        """What the run gave, for the summary (after :meth:`prepare`)."""
        tap = self.tap
        absent = [w[0] for w, seen in zip(self.watched, self.present) if not seen] if tap.rows else None
        return Counts(self.read, dict(tap.stages), tap.with_issues, self.rejects, dict(tap.issues), absent)

    # -- writing --------------------------------------------------------------------------

    def write(self, fmt: str, sink: Output, writer: Writer) -> None:
        """Write the qualified rows to ``sink`` (an Output file): CSV after the header line the Python engine writes, or Parquet
        (nothing to do when DuckDB wrote the output's own file)."""
        if self.direct:
            return
        if fmt == "csv":
            sink.write(writer.start())
        sink.append_file(self.side)
        os.unlink(self.side)


def counted(data: bytes, d: bytes, width: int) -> bool:
    """Whether every record of ``data`` (whole lines of a CSV, delimiter ``d``) has ``width - 1`` delimiters, or one
    has fewer, by counting them over the whole text with its quoted values taken out (:func:`bare`): False when a quote
    is left, a line is blank, or the counts differ (and for a delimiter of more than one byte)."""
    return quoted_breaks(data, d, width) is not None


def quoted_breaks(data: bytes, d: bytes, width: int) -> int | None:
    """The line breaks inside the quoted values of ``data`` when :func:`counted` decides; None when it does not.

    The counts are those of :func:`bare`'s text without making it: each quote is found with ``bytes.find`` (quotes are
    few in most exports), matched where it stands, and the delimiters and line breaks inside the quoted value are
    taken from the whole text's counts. :func:`bare`'s text has a blank line only where ``data`` has one outside the
    quoted values or a quoted value is a whole line: then it is made (one join) and looked at. A substitution over the
    whole text took 0.65 s on a 260 MB export, the join 0.24 s; this takes 0.05 s besides the counts. A quote that
    does not open a quoted value at a value's start stays in :func:`bare`'s text: None at once."""
    if len(d) != 1:
        return None
    at = data.find(b'"')
    if at < 0:
        return 0 if _records_counted(data, d, width) else None
    pattern = quoted_value(d)
    at_start = (d[0], 10)
    size = len(data)
    spans = []
    inside = inside_d = 0
    whole_line = False
    while at >= 0:
        found = pattern.match(data, at)
        if found is None or (at and data[at - 1] not in at_start):
            return None  # a quote the bare text keeps
        end = found.end()
        spans.append((at, end))
        inside += data.count(b"\n", at, end)
        inside_d += data.count(d, at, end)
        # a value that is its line: the line is blank once it is taken out
        whole_line = whole_line or ((at == 0 or data[at - 1] in (10, 13)) and (end == size or data[end] in (10, 13)))
        at = data.find(b'"', end)
    if whole_line or _blank(data):  # (the blank line may be inside a quoted value: made and looked at)
        kept = 0
        pieces = []
        for start, end in spans:
            pieces.append(data[kept:start])
            kept = end
        pieces.append(data[kept:])
        return inside if _records_counted(b"".join(pieces), d, width) else None
    # the bare text ends as ``data`` does, or with the delimiter before a quoted value at the end: not with a line break
    ends_line = spans[-1][1] < size and data.endswith(b"\n")
    lines = data.count(b"\n") - inside + (not ends_line)
    return None if data.count(d) - inside_d != (width - 1) * lines else inside


def _records_counted(records: bytes, d: bytes, width: int) -> bool:
    """Whether ``records`` (whole lines without quoted values) has no blank line and ``width - 1`` delimiters a line."""
    return not _blank(records) and records.count(d) == (width - 1) * _lines(records)


def quoted_spans(data: bytes, d: bytes) -> int | None:
    """The line breaks inside the quoted values of ``data`` (whole lines of a CSV, delimiter ``d``) when each of its quotes
    is part of a quoted value that starts and ends where a value does, as :func:`bare` takes them out; None when a quote
    stands anywhere else (after a space, inside an unquoted value, a quoted value not closed in ``data``)."""
    inside, at, _record, _before = quoted_scan(data, d)
    return inside if at < 0 else None


def quoted_scan(data: bytes, d: bytes) -> tuple[int, int, int, int]:
    """(the line breaks inside the whole quoted values before ``at``, ``at``: the first quote of ``data`` not part of a
    quoted value that starts and ends where a value does or -1, ``record``: the start of the record ``at`` is in, the
    line breaks inside the quoted values before ``record``).

    Each quote is found with ``bytes.find`` (quotes are few in most exports) and its quoted value matched where it
    stands: on the 260 MB X Education export, about a quarter of a second. A delimiter of more than one byte: -1 never."""
    if len(d) != 1:
        return 0, 0, 0, 0
    pattern = quoted_value(d)
    at_start = (d[0], 10)
    inside = record = before = end = 0
    at = data.find(b'"')
    while at >= 0:
        line_break = data.rfind(b"\n", end, at)  # outside quoted values: a record starts after it
        if line_break >= 0:
            record, before = line_break + 1, inside
        found = pattern.match(data, at)
        if found is None or (at and data[at - 1] not in at_start):
            return inside, at, record, before
        end = found.end()
        inside += data.count(b"\n", at, end)
        at = data.find(b'"', end)
    return inside, -1, record, before


def _lines(data: bytes) -> int:
    """The lines of ``data`` (lines end with ``\\n``; the last one may not)."""
    return data.count(b"\n") + (bool(data) and not data.endswith(b"\n"))


def _blank(data: bytes) -> bool:
    """Whether ``data`` (whole lines) has a blank line: no record to either reader (it holds no delimiter, and is not a
    row DuckDB rejects)."""
    return data.startswith((b"\n", b"\r\n")) or BLANK.search(data) is not None or data.endswith(b"\n\r") or data == b"\r"
