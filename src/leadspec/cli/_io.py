"""Reading and writing CRM exports: CSV, JSON Lines and JSON arrays, streamed.

Readers yield one :class:`Row` per record with its number and the line it
starts on; a record that cannot be parsed (broken CSV quoting, an invalid
JSON line) is a row with an ``error``, so the caller can reject it and go
on — nothing is dropped silently. Writers render a row to text; they are
picklable so worker processes can render in parallel.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import sys
from dataclasses import dataclass
from typing import IO, Any, Iterator

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # CRM exports carry long notes; events as JSON

FORMATS = ("csv", "jsonl", "json")


@dataclass(slots=True)
class Row:
    number: int  # 1-based record number in the input
    line: int  # line of the input the record starts on
    lead: dict[str, Any] | None  # what is evaluated
    original: Any  # what is written back: a list of CSV values, or the JSON object
    error: str | None = None
    text: str | None = None  # a CSV record as the file has it, without its line ending


def format_of(path: str) -> str | None:
    """``csv``, ``jsonl`` or ``json`` from a file name (``.gz`` allowed), or None."""
    name = path[:-3] if path.endswith(".gz") else path
    ext = os.path.splitext(name)[1].lower()
    return {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}.get(ext)


def open_text(path: str, stdin: IO[str]) -> IO[str]:
    """A text stream for ``path`` (``-``: standard input; ``.gz``: decompressed)."""
    if path == "-":
        first = stdin.read(1)
        return stdin if first == "" else (_Prefixed("", stdin) if first == "\ufeff" else _Prefixed(first, stdin))  # type: ignore[return-value]
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def sniff(stream: IO[str]) -> tuple[str, IO[str]]:
    """Guess the format of a stream without a name from its first character."""
    head = stream.read(1)
    while head and head.isspace():
        more = stream.read(1)
        if not more:
            break
        head += more
    fmt = {"{": "jsonl", "[": "json"}.get(head.strip()[:1], "csv")
    rest = _Prefixed(head, stream)
    return fmt, rest  # type: ignore[return-value]


class _Prefixed:
    """A text stream with some already-read text put back in front."""

    def __init__(self, prefix: str, stream: IO[str]) -> None:
        self._prefix = prefix
        self._stream = stream

    def read(self, size: int | None = -1) -> str:
        if size is None or size < 0:
            text, self._prefix = self._prefix + self._stream.read(), ""
            return text
        if self._prefix:
            text, self._prefix = self._prefix[:size], self._prefix[size:]
            return text + (self._stream.read(size - len(text)) if len(text) < size else "")
        return self._stream.read(size)

    def readline(self, size: int | None = -1) -> str:
        if self._prefix:
            if "\n" in self._prefix:
                line, _, self._prefix = self._prefix.partition("\n")
                return line + "\n"
            text, self._prefix = self._prefix, ""
            return text + self._stream.readline()
        return self._stream.readline()

    def __iter__(self) -> Iterator[str]:
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._stream.close()


# -- readers -----------------------------------------------------------------


class CsvReader:
    """Rows of a CSV export; ``header`` is its first line.

    With ``header`` given, ``stream`` is a chunk of records that starts at
    line ``first_line`` of the file (see :func:`chunks`).
    """

    def __init__(self, stream: IO[str], header: list[str] | None = None, first_line: int = 1, columns: list[str] | None = None) -> None:
        self._pending: list[str] | None = None
        if header is not None:  # the rows after the header: keep each record's lines to write it back as it was
            self._pending = []
            stream = self._recording(stream)  # type: ignore[assignment]
        self._reader = csv.reader(stream, strict=True)
        self.header_error: str | None = None
        self._offset = first_line - 1
        self._columns = columns  # when given, a lead holds only these columns (what the rules read)
        if header is not None:
            self.header = header
            return
        try:
            self.header = next(self._reader)
            while not self.header:  # blank lines before the header
                self.header = next(self._reader)
        except StopIteration:
            self.header = []
            self.header_error = "the file is empty: no header line"
        except csv.Error as exc:
            self.header = []
            self.header_error = f"line {self._reader.line_num}: {exc}"

    def _recording(self, stream: IO[str]) -> Iterator[str]:
        pending = self._pending
        assert pending is not None
        for line in stream:
            pending.append(line)
            yield line

    def __iter__(self) -> Iterator[Row]:
        header = self.header
        width = len(header)
        number = 0
        reader = self._reader
        offset = self._offset
        pending = self._pending
        picks = None
        if self._columns is not None:  # the last of equal headers wins, as in dict(zip(...))
            index = {name: i for i, name in enumerate(header)}
            picks = [(name, index[name]) for name in self._columns if name in index]
        line = reader.line_num + 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                number += 1
                end = reader.line_num
                where = f"line {offset + line}" if end == line else f"lines {offset + line}-{offset + end}"
                yield Row(number, offset + line, None, None, f"malformed CSV ({where}): {exc}")
                line = end + 1
                if pending is not None:
                    pending.clear()
                continue
            start, line = line, reader.line_num + 1
            text = None
            if pending is not None:
                text = pending[0] if len(pending) == 1 else "".join(pending)
                pending.clear()
            if not values:  # a blank line is no record
                continue
            number += 1
            if len(values) > width:
                yield Row(number, offset + start, None, values, f"{len(values)} values but the header has {width} columns")
                continue
            pad = width - len(values)
            if pad:
                values = values + [""] * pad
            lead = dict(zip(header, values)) if picks is None else {name: values[i] for name, i in picks}
            if text is not None:
                text = text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith(("\n", "\r")) else text
                if pad:
                    text += "," * pad
            yield Row(number, offset + start, lead, values, None, text)


class JsonlReader:
    """Rows of a JSON Lines file: one object a line (a chunk of it from ``first_line``)."""

    header: list[str] = []
    header_error: str | None = None

    def __init__(self, stream: IO[str], first_line: int = 1) -> None:
        self._stream = stream
        self._first_line = first_line

    def __iter__(self) -> Iterator[Row]:
        number = 0
        for line_number, line in enumerate(lf_lines(self._stream), self._first_line):
            if not line.strip():
                continue
            number += 1
            try:
                obj = json.loads(line)
            except ValueError as exc:
                yield Row(number, line_number, None, line.rstrip("\n"), f"invalid JSON: {exc}")
                continue
            if not isinstance(obj, dict):
                yield Row(number, line_number, None, obj, f"a lead is a JSON object, not {type(obj).__name__}")
                continue
            yield Row(number, line_number, obj, obj)


def lf_lines(stream: IO[str], block: int = 1 << 16) -> Iterator[str]:
    """Lines ending in \\n only (JSON Lines: a \\r inside a record is JSON whitespace, not a line end)."""
    rest = ""
    while True:
        data = stream.read(block)
        if not data:
            break
        parts = (rest + data).split("\n")
        rest = parts.pop()
        for part in parts:
            yield part + "\n"
    if rest:
        yield rest


def chunks(stream: IO[str], first_line: int, records: int, csv_format: bool) -> Iterator[tuple[int, str]]:
    """The rest of ``stream`` as ``(first line, text)`` pieces of about ``records`` whole records.

    CSV records are found by the csv module itself (a quoted value with line
    breaks stays in one piece; a stray quote in an unquoted value does not
    open one); the pieces are parsed again where they are evaluated.
    """
    pending: list[str] = []
    start = first_line
    if not csv_format:
        for line in lf_lines(stream):
            pending.append(line)
            if len(pending) >= records:
                yield start, "".join(pending)
                start += len(pending)
                pending = []
        if pending:
            yield start, "".join(pending)
        return

    quoted = False  # inside a quoted value that runs on to the next line
    count = 0
    for line in stream:
        pending.append(line)
        if quoted or '"' in line:  # the rare line with quotes: follow the csv rules, character by character
            quoted = _still_quoted(line, quoted)
        if not quoted:
            count += 1
            if count >= records:
                yield start, "".join(pending)
                start += len(pending)
                pending = []
                count = 0
    if pending:
        yield start, "".join(pending)


def _still_quoted(line: str, quoted: bool) -> bool:
    """Whether a CSV record is still inside a quoted value at the end of ``line``.

    As the csv module reads: a quote opens a value only at its start (after
    a comma or at the start of a record); inside, ``""`` is a quote and a
    lone ``"`` closes the value.
    """
    at_start = not quoted
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if quoted:
            if ch == '"':
                if i + 1 < n and line[i + 1] == '"':
                    i += 1
                else:
                    quoted = False
        elif ch == '"' and at_start:
            quoted = True
        at_start = ch == "," and not quoted
        i += 1
    return quoted


class JsonArrayReader:
    """Rows of a JSON array of objects, decoded one element at a time (constant memory)."""

    header: list[str] = []
    header_error: str | None = None

    def __init__(self, stream: IO[str], chunk: int = 1 << 16) -> None:
        self._stream = stream
        self._chunk = chunk

    def __iter__(self) -> Iterator[Row]:
        decoder = json.JSONDecoder()
        buffer = ""
        consumed_lines = 1
        position = 0
        state = "start"
        number = 0
        eof = False

        def fill() -> bool:
            nonlocal buffer, position, consumed_lines, eof
            more = self._stream.read(self._chunk)
            if not more:
                eof = True
                return False
            consumed_lines += buffer.count("\n", 0, position)
            buffer = buffer[position:] + more
            position = 0
            return True

        while True:
            if not eof and len(buffer) - position < self._chunk:
                fill()  # keep a chunk of look-ahead: a number (1e5, 1.5) is never cut at the end
            while position < len(buffer) and buffer[position] in " \t\r\n":
                position += 1
            if position >= len(buffer):
                if eof or not fill():
                    if state != "end":
                        number += 1
                        yield Row(number, consumed_lines, None, None, "the JSON array is not closed with ]")
                    return
                continue
            char = buffer[position]
            line = consumed_lines + buffer.count("\n", 0, position)
            if state == "start":
                if char != "[":
                    number += 1
                    yield Row(number, line, None, None, "a JSON input is an array of objects: [ {...}, {...} ]")
                    return
                position += 1
                state = "first"
                continue
            if state in ("first", "item") and char == "]" or state == "comma" and char == "]":
                state = "end"
                position += 1
                continue
            if state == "end":
                number += 1
                yield Row(number, line, None, None, "text after the end of the JSON array")
                return
            if state == "comma":
                if char != ",":
                    number += 1
                    yield Row(number, line, None, None, f"expected , or ] between array elements, found {char!r}")
                    return
                position += 1
                state = "item"
                continue
            try:
                obj, end = decoder.raw_decode(buffer, position)
            except ValueError as exc:
                if not eof and fill():
                    continue
                number += 1
                yield Row(number, line, None, None, f"invalid JSON: {exc}")
                return
            if end == len(buffer) and not eof and isinstance(obj, (int, float)):
                if fill():  # a number may continue in the next chunk
                    continue
            position = end
            state = "comma"
            number += 1
            if not isinstance(obj, dict):
                yield Row(number, line, None, obj, f"a lead is a JSON object, not {type(obj).__name__}")
            else:
                yield Row(number, line, obj, obj)


def reader_for(fmt: str, stream: IO[str]) -> CsvReader | JsonlReader | JsonArrayReader:
    if fmt == "csv":
        return CsvReader(stream)
    if fmt == "jsonl":
        return JsonlReader(stream)
    return JsonArrayReader(stream)


# -- writers -------------------------------------------------------------------


class Unwritable(ValueError):
    """A record the output format cannot hold without losing data."""


class Writer:
    """Renders qualified rows as text in one format (picklable, for worker processes)."""

    def __init__(self, fmt: str, header: list[str], details: bool) -> None:
        self.fmt = fmt
        self.header = header
        self.details = details
        self._columns = frozenset(header)
        self._buffer: io.StringIO | None = None
        self._csv: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_buffer": None, "_csv": None}

    def start(self) -> str:
        if self.fmt == "csv":
            extra = ["stage", "reasons"] + (["details"] if self.details else [])
            return self._csv_line(self.header + extra)
        return "[\n" if self.fmt == "json" else ""

    def separator(self, first: bool) -> str:
        return "" if self.fmt != "json" or first else ",\n"

    def end(self, wrote_any: bool) -> str:
        return ("\n]\n" if wrote_any else "]\n") if self.fmt == "json" else ""

    def row(self, original: Any, lead: dict[str, Any], stage: str, reasons: str, details: dict[str, Any] | None, text: str | None = None) -> str:
        if self.fmt == "csv":
            if text is not None:  # CSV in, CSV out: the record as it was, and the new cells
                line = f"{text},{_quote(stage)},{_quote(reasons)}"
                if self.details:
                    line += "," + _quote(json.dumps(details, ensure_ascii=False))
                return line + "\r\n"
            if isinstance(original, list):
                values = list(original)
            else:  # JSON in, CSV out: the header comes from the first object
                extra = [k for k in lead if k not in self._columns]
                if extra:
                    raise Unwritable(
                        f"{', '.join(map(repr, extra))} {'is not a column' if len(extra) == 1 else 'are not columns'} of the CSV output "
                        "(its columns come from the first record); write JSON Lines to keep every key"
                    )
                values = ["" if lead.get(k) is None else _cell(lead.get(k)) for k in self.header]
            values += [stage, reasons]
            if self.details:
                values.append(json.dumps(details, ensure_ascii=False))
            return self._csv_line(values)
        if isinstance(original, dict):
            obj = dict(original)
        elif isinstance(original, list):  # a CSV row: every column, not only those the rules read
            obj = dict(zip(self.header, original))
        else:
            obj = dict(lead)
        obj["stage"] = stage
        obj["reasons"] = reasons
        if self.details:
            obj["details"] = details
        text = json.dumps(obj, ensure_ascii=False)
        return text + "\n" if self.fmt == "jsonl" else text

    def _csv_line(self, values: list[Any]) -> str:
        if self._buffer is None:
            self._buffer = io.StringIO()
            self._csv = csv.writer(self._buffer)
        buffer = self._buffer
        buffer.seek(0)
        buffer.truncate()
        self._csv.writerow(values)
        return buffer.getvalue()


def _quote(cell: str) -> str:
    """One CSV cell as csv.writer writes it (quoted when it has to be)."""
    if any(c in cell for c in ',"\r\n'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _cell(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
