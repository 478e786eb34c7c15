"""``qualify --engine duckdb`` on a file: DuckDB reads it, runs the rules' query and writes the output itself.

No record passes through Python: DuckDB reads the CSV (``read_csv``, every
value as text, strict quoting, unreadable rows stored as rejects) or
Parquet (``read_parquet``) input, runs :meth:`leadspec.Ruleset.to_sql`
over it into a temporary table (spilled to disk when it outgrows memory),
and writes the output with ``COPY``: a CSV with the header the Python
engine writes (the input's header names and the added columns) and the
values quoted only where needed, or a Parquet file. The summary (leads
per stage, data issues, fields no row had) is read from the same table.

What the Python engine's reader would read otherwise than DuckDB — a
broken quote, a row that repeats the header, a reject DuckDB cannot place
— raises :class:`Redo`: the caller runs the batch path instead, whose
reading is the Python engine's own.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
from collections import Counter
from datetime import datetime
from typing import Any, NamedTuple

from leadspec.duckdb import read_type

from ._io import GZIP_MAGIC, Output, Writer, csv_records, open_binary

OUTPUTS = ("csv", "parquet")
"""Output formats DuckDB writes itself."""

MEMORY_LIMIT = "1GB"
"""DuckDB's memory: the qualified rows beyond it go to a temporary directory (memory stays flat)."""

PYTHON_SPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
"""The characters str.strip() removes: a value of only these is no value (the summary's fields no row had)."""

ROW = "row_number() OVER () AS __leadspec_row"
"""The input's order: the query may reorder rows (DuckDB runs a long IN list as a join, which does not keep the order), the output is sorted by it."""

TABLE = "__leadspec_input"
"""The view of the input the rules' query reads."""

BUFFER_SIZE: int | None = None
"""DuckDB's CSV buffer in bytes (None: DuckDB's own, 16 times its 2 MB longest line: a longer record is read by the batch path).
Pieces of that size are read in parallel; a small one reads a small file in many pieces (tests)."""


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
    with open_binary(path) as raw:
        return raw.read(len(GZIP_MAGIC)) == GZIP_MAGIC


class Native:
    """One native run: ``prepare`` reads and qualifies into a table, ``write`` writes the output, ``counts`` the summary."""

    def __init__(self, rules: Any, as_of: datetime, threads: int, flags: tuple[str, ...], watched: list[tuple[str, str, tuple[str, ...]]]) -> None:
        import duckdb

        self.rules = rules
        self.as_of = as_of
        self.flags = flags
        self.watched = watched
        self.spill = tempfile.mkdtemp(prefix="leadspec-duckdb-")
        self.con = duckdb.connect(":memory:")
        self.con.execute(f"SET threads = {int(threads)}")
        self.con.execute("SET preserve_insertion_order = true")
        self.con.execute(f"SET temp_directory = {literal(self.spill)}")
        self.con.execute(f"SET memory_limit = {literal(MEMORY_LIMIT)}")
        self.header: list[str] = []
        self.names: list[str] = []  # the input's columns in the query (a column no field reads: by position)
        self.types: list[str] = []
        self.read = 0
        self.rejects: list[tuple[Any, ...]] = []

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
        columns = ", ".join(f"{literal(f'__leadspec_c{i}')}: 'VARCHAR'" for i in range(len(header)))
        options = (
            f"header = false, skip = {skip}, columns = {{{columns}}}, delim = {literal(delimiter)}, quote = '\"', escape = '\"', "
            f"strict_mode = true, store_rejects = true, auto_detect = false, null_padding = false, "
            f"compression = {literal('gzip' if is_gzip(path) else 'none')}"
            + (f", buffer_size = {BUFFER_SIZE}, max_line_size = {BUFFER_SIZE}" if BUFFER_SIZE else "")
        )
        picked = ", ".join([*(f"__leadspec_c{i} AS {quoted(name)}" for i, name in enumerate(self.names)), *self._absent_columns(), ROW])
        self.con.execute(f"CREATE TEMP VIEW {TABLE} AS SELECT {picked} FROM read_csv({literal(path)}, {options})")
        self.repeat = " AND ".join(f"COALESCE({quoted(name)}, '') = {literal(text)}" for name, text in zip(self.names, header))
        self.path = path
        self.skip = skip
        self._delimiter = delimiter

    def read_parquet(self, path: str) -> list[str]:
        """Read a Parquet file; its column names (the header)."""
        described = self.con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal(path)})").fetchall()
        self.header = [str(row[0]) for row in described]
        self.names = self._names(self.header)
        picked = []
        self.types = []
        for (column, kind, *_rest), name in zip(described, self.names):
            target = read_type(str(kind)) if not name.startswith("__leadspec_c") else str(kind)
            cast = quoted(column) if target == kind else f"CAST({quoted(column)} AS {target})"
            picked.append(f"{cast} AS {quoted(name)}")
            self.types.append(target)
        picked += [*self._absent_columns(), ROW]
        self.con.execute(f"CREATE TEMP VIEW {TABLE} AS SELECT {', '.join(picked)} FROM read_parquet({literal(path)})")
        self.repeat = ""
        return self.header

    # -- qualifying -----------------------------------------------------------------------

    def prepare(self, text_query: str | None = None) -> None:
        """Run the rules' query into the table the output and the summary are read from.

        ``text_query``: the rules' query over ``__leadspec_input`` with every column text, when
        already made (``to_sql`` takes a while on a large rule file); used for a CSV.
        """
        types = {name: kind for name, kind in zip(self.names, self.types) if not name.startswith("__leadspec_c")}
        if text_query is not None and all(kind == "VARCHAR" for kind in types.values()):
            query = text_query
        else:
            query = self.rules.to_sql("duckdb", table=TABLE, as_of=self.as_of, types=types or None, pretty=False)
        own = ", ".join(quoted(name) for name in self.names)
        flags = "".join(f", {quoted('flags.' + name)}" for name in self.flags)
        columns = set(self.names)
        present = "".join(  # as _absent: no value is NULL or blank text (a source no column has: no value either); text
            # starting with a printable ASCII character has a value without the (costly) trim of every Unicode space
            f", CASE WHEN {quoted(source)} IS NULL THEN FALSE WHEN ascii(CAST({quoted(source)} AS VARCHAR)) BETWEEN 33 AND 126 THEN TRUE"
            f" ELSE length(trim(CAST({quoted(source)} AS VARCHAR), {literal(PYTHON_SPACE)})) > 0 END AS __leadspec_has{i}"
            if source in columns
            else f", {'TRUE' if source.split('.')[0] in columns else 'FALSE'} AS __leadspec_has{i}"  # inside a struct: not told apart
            for i, (_name, source, _path) in enumerate(self.watched)
        )
        repeat = f", COALESCE({self.repeat}, FALSE) AS __leadspec_repeat" if self.repeat else ", FALSE AS __leadspec_repeat"
        import duckdb

        try:
            self.con.execute(f"CREATE TEMP TABLE __leadspec_out AS SELECT {own}, stage, reasons{flags}, issues{repeat}{present}, __leadspec_row FROM ({query}) AS q")
        except duckdb.Error as exc:  # the reader stopped (a state its strict mode refuses): the Python reader decides
            raise Redo(f"DuckDB cannot read the input: {str(exc).splitlines()[0]}") from None
        if self.repeat:
            self._trailing_values()
            self._rejects()
        self.read = self.con.execute("SELECT count(*) FROM __leadspec_out").fetchall()[0][0] + len(self.rejects)

    def _rejects(self) -> None:
        """The rows DuckDB could not read, as the Python engine's rejects; :class:`Redo` when they are not the Python reader's."""
        if self.con.execute("SELECT count(*) FROM __leadspec_out WHERE __leadspec_repeat").fetchall()[0][0]:
            raise Redo("a row repeats the header")
        errors = self.con.execute(
            "SELECT line, any_value(CAST(error_type AS VARCHAR)), any_value(csv_line) FROM reject_errors GROUP BY line ORDER BY line"
        ).fetchall()
        if not errors:
            return
        if any(kind not in ("MISSING COLUMNS", "TOO MANY COLUMNS") for _line, kind, _text in errors):
            raise Redo("DuckDB cannot read a row (broken quoting, encoding or length)")
        width = len(self.header)
        delimiter = self._delimiter
        # DuckDB's line numbers count a value's line breaks otherwise than the Python reader: the rejects are
        # the Python reader's records of the wrong width, matched with DuckDB's by their text, in order
        theirs = [str(text).strip("\r\n") for _line, _kind, text in errors]
        ours = self._wrong_widths(width)
        if [raw for _number, _line, raw in ours] != theirs:
            raise Redo("DuckDB's rejects are not the Python reader's records of the wrong width")
        for number, line, raw in ours:
            values = next(csv.reader([raw], delimiter=delimiter, strict=True), [])
            reason = f"{len(values)} values but the header has {width} columns"
            if len(values) > width and not any(values[width:]):
                reason += "; the extra values are empty: a trailing delimiter?"
            self.rejects.append((number, line, reason, values, raw, False))
        self.rejects.sort()

    def _trailing_values(self) -> None:
        """:class:`Redo` when a line may hold a row with extra empty values at its end: DuckDB drops them, the Python reader rejects the row.

        Read as plain lines: the delimiters outside quotes count the values; a line with an
        odd number of quotes (part of a value over several lines) that ends with the
        delimiter cannot be counted, and is taken for one.
        """
        d = literal(self._delimiter)
        lines = (
            f"read_csv({literal(self.path)}, header = false, columns = {{'l': 'VARCHAR'}}, delim = '\0', quote = '', escape = '', "
            f"auto_detect = false, strict_mode = false, skip = {self.skip}, "
            f"compression = {literal('gzip' if is_gzip(self.path) else 'none')})"
        )
        outside = "regexp_replace(l, '\"[^\"]*\"', '', 'g')"
        quotes = "length(l) - length(replace(l, '\"', ''))"
        values = f"length({outside}) - length(replace({outside}, {d}, '')) + 1"
        trailing = f"suffix(l, {d}) AND ({quotes} % 2 = 1 OR {values} > {len(self.header)})"
        # a space or tab before a value's opening quote: the Python reader keeps the quote as text, DuckDB reads a quoted value
        opening = literal("(^|" + re.escape(self._delimiter) + ")[ \t]+\"")
        spaced = f"contains(l, '\"') AND regexp_matches(l, {opening})"
        check = f"SELECT count(*) FILTER ({trailing}), count(*) FILTER ({spaced}) FROM {lines}"
        try:
            found, spaces = self.con.execute(check).fetchall()[0]
        except Exception as exc:  # a line DuckDB cannot read even as plain text (a NUL byte): the Python reader decides
            raise Redo(f"the input's lines cannot be read as text by DuckDB ({exc})") from None
        if found:
            raise Redo("a row may end with extra empty values")
        if spaces:
            raise Redo("a quote may follow a space at the start of a value")

    def _wrong_widths(self, width: int) -> list[tuple[int, int, str]]:
        """(record number, line, text) of each record of the input whose number of values is not ``width``, as the
        Python reader reads and numbers them; :class:`Redo` when it finds a record it cannot read at all."""
        found: list[tuple[int, int, str]] = []
        number = 0
        with open(self.path, "rb") as raw:
            binary: Any = raw
            if is_gzip(self.path):
                import gzip

                binary = gzip.GzipFile(fileobj=raw)
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

    _delimiter = ","

    # -- the summary ----------------------------------------------------------------------

    def counts(self) -> Counts:
        con = self.con
        stages = {str(s): int(n) for s, n in con.execute("SELECT stage, count(*) FROM __leadspec_out GROUP BY stage").fetchall()}
        with_issues = con.execute("SELECT count(*) FROM __leadspec_out WHERE len(issues) > 0").fetchall()[0][0]
        issues: Counter[tuple[str, str]] = Counter()
        if with_issues:
            for field, message, n in con.execute(
                "SELECT COALESCE(i.field, i.criterion), i.message, count(*) FROM (SELECT unnest(issues) AS i FROM __leadspec_out) GROUP BY ALL"
            ).fetchall():
                issues[(str(field), str(message))] += int(n)
        absent: list[str] | None = None
        evaluated = sum(stages.values())
        if evaluated:
            absent = []
            if self.watched:
                has = ", ".join(f"bool_or(__leadspec_has{i})" for i in range(len(self.watched)))
                seen = con.execute(f"SELECT {has} FROM __leadspec_out").fetchall()[0]
                absent = [w[0] for w, any_value in zip(self.watched, seen) if not any_value]
        return Counts(self.read, stages, int(with_issues), self.rejects, dict(issues), absent)

    # -- writing --------------------------------------------------------------------------

    def write(self, fmt: str, sink: Output, writer: Writer) -> None:
        """Write the qualified rows to ``sink`` (an Output file): CSV after the header line the Python engine writes, or Parquet."""
        own = [quoted(name) for name in self.names]
        stage, reasons = writer.names[0], writer.names[1]
        flag_columns = [f"{writer.flags_name}.{name}" for name in self.flags]
        side = os.path.join(self.spill, "out." + fmt)
        if fmt == "csv":
            flags = [f"CASE {quoted('flags.' + name)} WHEN 'pass' THEN 'true' WHEN 'fail' THEN 'false' END" for name in self.flags]
            picked = ", ".join([*own, "stage", "reasons", *flags])
            # COMMENT '': DuckDB quotes every value holding its comment character (#) otherwise
            options = f"FORMAT csv, HEADER false, DELIMITER {literal(writer.delimiter)}, QUOTE '\"', ESCAPE '\"', NEW_LINE '\\r\\n', COMMENT ''"
        else:
            flags = [f"CASE {quoted('flags.' + name)} WHEN 'pass' THEN TRUE WHEN 'fail' THEN FALSE END" for name in self.flags]
            columns = [name or f"column{i}" for i, name in enumerate(self.header)]  # Parquet has no empty name: DuckDB's for it
            names = [*columns, stage, reasons, *flag_columns]
            picked = ", ".join(f"{value} AS {quoted(name)}" for value, name in zip([*own, "stage", "reasons", *flags], names))
            options = "FORMAT parquet"
        self.con.execute(f"COPY (SELECT {picked} FROM __leadspec_out WHERE NOT __leadspec_repeat ORDER BY __leadspec_row) TO {literal(side)} ({options})")
        if fmt == "csv":
            sink.write(writer.start())
        sink.append_file(side)
        os.unlink(side)
