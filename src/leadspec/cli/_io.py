"""Reading and writing CRM exports: CSV, JSON Lines and JSON arrays, streamed.

Readers yield one :class:`Row` per record with its number and the line it
starts on; a record that cannot be parsed (broken CSV quoting, an invalid
JSON line, a JSON value nested too deeply) is a row with an ``error`` and
its raw text, so the caller can reject it and go on — nothing is dropped
silently, and after a broken record reading starts again at the next one
(see :func:`csv_records` and :class:`JsonArrayReader` for where). Writers
render a row to text; they are picklable so worker processes can render in
parallel.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import os
import re
import secrets
import shutil
import stat
import sys
from collections import deque
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Callable, Generator, Iterator, Mapping, Sequence, cast

import click

if TYPE_CHECKING:
    from ..result import Result

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # CRM exports carry long notes; events as JSON

FORMATS = ("csv", "jsonl", "json")

MAX_RECORD_LINES = 10_000
"""A quoted CSV value may run over at most this many lines; past it the record is broken (see csv_records)."""
MAX_RECORD_CHARS = 64 << 20
"""... and a record of several lines over at most this many characters."""
MAX_SKIP_CHARS = 64 << 20
"""How far a JSON array is searched for the next element after a broken one."""


@dataclass(slots=True)
class Row:
    number: int  # 1-based record number in the input
    line: int  # line of the input the record starts on
    lead: dict[str, Any] | None  # what is evaluated
    original: Any  # what is written back: a list of CSV values, or the JSON object
    error: str | None = None
    text: str | None = None  # a CSV record as the file has it, without its line ending
    raw: str | None = None  # a rejected record's text as the input has it (for --rejects)
    stop: bool = False  # the input cannot be read past this row (the row holds the rest)


def format_of(path: str) -> str | None:
    """``csv``, ``jsonl`` or ``json`` from a file name (``.gz`` allowed), or None."""
    name = path[:-3] if path.endswith(".gz") else path
    ext = os.path.splitext(name)[1].lower()
    return {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}.get(ext)


def open_text(path: str, stdin: IO[str]) -> IO[str]:
    """A text stream for ``path`` (``-``: standard input; gzip-compressed: decompressed).

    Standard input is read as a file is: its bytes decoded as strict UTF-8
    (a byte order mark dropped) and lines left as they are (a CSV with
    ``\\r`` line ends reads the same from a file and from a pipe).
    Gzip-compressed input is known by its first bytes (1f 8b 08) and
    decompressed as it is read, whatever its name: standard input
    (``< leads.csv.gz``), a file without ``.gz``, and a .gz of a .gz too.
    """
    if path == "-":
        binary: Any = None
        try:
            binary = open(stdin.fileno(), "rb", closefd=False)
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            binary = getattr(stdin, "buffer", None)
        if binary is not None:
            return _decoded(binary)
        first = stdin.read(1)  # a text stream without bytes (a StringIO): drop a byte order mark
        return Prefixed("" if first == "\ufeff" else first, stdin)  # type: ignore[return-value]
    return _decoded(open_binary(path))


GZIP_MAGIC = b"\x1f\x8b\x08"
"""The first bytes of gzip data (the magic number and deflate, its one compression method)."""
GZIP_LAYERS = 3
"""At most this many layers of gzip are taken off (a .gz of a .gz is read too)."""


def open_binary(path: str) -> IO[bytes]:
    """The bytes of the file at ``path``, decompressed: by its name (``.gz``) or by its first bytes."""
    if path.endswith(".gz"):
        return _unpacked(gzip.open(path, "rb"))
    return _unpacked(open(path, "rb"))


def _unpacked(binary: Any) -> IO[bytes]:
    """``binary`` with its gzip layers decompressed as it is read, known by their first bytes."""
    if not hasattr(binary, "peek"):
        binary = io.BufferedReader(binary)
    for _ in range(GZIP_LAYERS):
        if binary.peek(len(GZIP_MAGIC))[: len(GZIP_MAGIC)] != GZIP_MAGIC:
            break
        binary = gzip.GzipFile(fileobj=binary, mode="rb")
    return cast("IO[bytes]", binary)


def _decoded(binary: Any) -> IO[str]:
    """``binary`` as UTF-8 text, decompressed first when it starts as gzip does."""
    return io.TextIOWrapper(_unpacked(binary), encoding="utf-8-sig", newline="")


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def sniff(stream: IO[str], block: int = 1 << 16) -> tuple[str, IO[str]]:
    """Guess the format of a stream without a name; returns it and the stream to read.

    Text starting with ``{`` is JSON Lines, with ``[`` a JSON array —
    unless its first line is a whole JSON value followed by more lines (JSON
    Lines whose first record is an array: ``[1]``) — anything else CSV.
    Reads ahead the leading white space (in blocks: linear) and at most the
    first line and the blank lines after it.
    """
    parts: list[str] = []
    char = ""
    while True:
        data = stream.read(block)
        if not data:
            break
        parts.append(data)
        stripped = data.lstrip()
        if stripped:
            char = stripped[0]
            break
    if data and data.endswith("\r"):
        parts.append(stream.read(1))  # keep a \r\n in one piece
    head = "".join(parts)
    fmt = {"{": "jsonl", "[": "json"}.get(char, "csv")
    if fmt == "json":
        if not head.endswith(("\n", "\r")):
            head += stream.readline()
        first = head.lstrip()
        cut = min((i for i in (first.find("\n"), first.find("\r")) if i >= 0), default=len(first))
        line, after = first[:cut], first[cut:]
        more = after.strip()
        while not more:  # the lines after the first: blank, or the next record?
            extra = stream.readline()
            if not extra:
                break
            head += extra
            more = extra.strip()
        if more:
            try:
                json.loads(line)
            except (ValueError, RecursionError):
                pass
            else:
                fmt = "jsonl"
    return fmt, Prefixed(head, stream)  # type: ignore[return-value]


class Prefixed:
    """A text stream with some already-read text put back in front (whole lines, as newline='' splits them)."""

    def __init__(self, prefix: str, stream: IO[str]) -> None:
        self._prefix = prefix
        self._at = 0
        self._stream = stream

    def read(self, size: int | None = -1) -> str:
        rest = len(self._prefix) - self._at
        if size is None or size < 0:
            text = self._prefix[self._at :] + self._stream.read()
            self._prefix, self._at = "", 0
            return text
        if rest > 0:
            text = self._prefix[self._at : self._at + size]  # a slice from an offset: linear however big the prefix
            self._at += len(text)
            if self._at >= len(self._prefix):
                self._prefix, self._at = "", 0
            return text + (self._stream.read(size - len(text)) if len(text) < size else "")
        return self._stream.read(size)

    def readline(self, size: int | None = -1) -> str:
        if self._at < len(self._prefix):
            match = _LINE.match(self._prefix, self._at)
            assert match is not None
            self._at = match.end()
            line = match.group()
            if self._at >= len(self._prefix):
                self._prefix, self._at = "", 0
                if not line.endswith(("\n", "\r")):
                    line += self._stream.readline()
            return line
        return self._stream.readline()

    def __iter__(self) -> Iterator[str]:
        while self._at < len(self._prefix):
            yield self.readline()
        yield from self._stream

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._stream.close()


# -- readers -----------------------------------------------------------------


class _TooLong(Exception):
    """A quoted CSV value runs on past MAX_RECORD_LINES lines or MAX_RECORD_CHARS characters."""


_LINE_ENDS = frozenset({"", "\n", "\r\n", "\r"})
"""What may end a line the csv module reads as one record without a quote (a carriage return elsewhere is its error)."""


def csv_records(
    stream: IO[str] | Iterator[str], first_line: int = 1, parse_plain: bool = True, delimiter: str = ",", again: deque[str] | None = None
) -> Iterator[tuple[int, int, str, list[str] | None, str | None, int]]:
    """The records of CSV text as the csv module reads them: ``(line, lines, text, values, error, reach)``.

    ``text`` is the record as the input has it (its line ending included),
    ``lines`` how many lines it spans. The csv module itself decides where a
    record ends (strict quoting), so a chunk of whole records cut here reads
    the same everywhere. A record the module cannot parse — broken quoting,
    or a quote still open at the end of the input or after
    MAX_RECORD_LINES lines / MAX_RECORD_CHARS characters — is rejected as
    the text of the line it starts on, and reading starts again at the line
    after it: an unclosed quote costs one row, not the rest of the file.

    ``reach`` is the last line read to decide (past the record when it is
    broken): a chunk that ends before it would decide differently.
    With ``parse_plain=False`` (finding record ends only), a line without a
    quote is a record of its own and is not parsed: ``values`` is None.
    ``delimiter`` separates the values (one character: see DELIMITERS).
    ``again``: the lines to read before the rest of ``stream`` (those after a
    broken record go there); a caller that goes on reading ``stream`` itself
    reads them first.
    """
    source = iter(stream)
    again = deque() if again is None else again
    number = first_line
    longest = csv.field_size_limit()  # a longer line goes to the csv module, which refuses a value over its limit
    while True:
        line = again.popleft() if again else next(source, None)
        if line is None:
            return
        if '"' not in line and len(line) <= longest:  # no quote: the record is this line (str.split reads it as the csv module would, for less)
            if not parse_plain:
                yield number, 1, line, None, None, number
                number += 1
                continue
            body = line.rstrip("\r\n")
            if line[len(body) :] in _LINE_ENDS and "\r" not in body and "\n" not in body:
                yield number, 1, line, body.split(delimiter) if body else [], None, number
                number += 1
                continue
        record = csv_record(line, source, again, number, delimiter)
        if record is None:
            return
        yield record
        number += record[1]


def csv_record(
    line: str, source: Iterator[str], again: deque[str], number: int, delimiter: str = ","
) -> tuple[int, int, str, list[str] | None, str | None, int] | None:
    """The record that starts with ``line`` (on line ``number``), read by the csv module: as :func:`csv_records` gives
    it. The lines it goes on over come from ``again``, then ``source``; a broken record puts back the lines after its
    first into ``again``. None when nothing is left to read."""
    pending: list[str] = []
    size = 0

    def feed() -> Iterator[str]:
        nonlocal size
        current: str | None = line
        while current is not None:
            pending.append(current)
            size += len(current)
            if len(pending) > 1 and (len(pending) > MAX_RECORD_LINES or size > MAX_RECORD_CHARS):
                raise _TooLong
            yield current
            current = again.popleft() if again else next(source, None)

    try:
        values = next(csv.reader(feed(), strict=True, delimiter=delimiter))
    except StopIteration:
        return None
    except (csv.Error, _TooLong) as exc:
        if not pending:  # nothing read: cannot happen, but never loop
            return None
        first = pending[0]
        why = f"a quoted value runs on over {MAX_RECORD_LINES:,} lines or {MAX_RECORD_CHARS:,} characters" if isinstance(exc, _TooLong) else str(exc)
        if len(pending) > 1:
            error = f"malformed CSV (line {number}): {why} (at line {number + len(pending) - 1}); the next line is read as a new record"
            again.extendleft(reversed(pending[1:]))
        else:
            error = f"malformed CSV (line {number}): {why}"
        return number, 1, first, None, error, number + len(pending) - 1
    count = len(pending)
    return number, count, pending[0] if count == 1 else "".join(pending), values, None, number + count - 1


def _picker(picks: list[tuple[str, int]]) -> Callable[[list[str]], dict[str, str]]:
    """A function of a record's values that returns the lead: ``{name: values[index]}`` for each of ``picks``, written out
    as one dict display (a comprehension over ``picks`` cost twice as much per row)."""
    if len(picks) > PICKER_COLUMNS:
        return lambda values: {name: values[i] for name, i in picks}
    source = "def pick(values):\n    return {" + ", ".join(f"{name!r}: values[{i}]" for name, i in picks) + "}\n"
    space: dict[str, Any] = {}
    exec(compile(source, "<leadspec csv columns>", "exec"), space)  # the names are repr() literals, the indexes ints
    return cast("Callable[[list[str]], dict[str, str]]", space["pick"])


PICKER_COLUMNS = 2000
"""A lead of more columns than this is picked by a comprehension (a dict display that large compiles slowly)."""


def _strip_eol(text: str) -> str:
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith(("\n", "\r")) else text


class CsvReader:
    """Rows of a CSV export; ``header`` is its first line.

    With ``header`` given, ``stream`` is a chunk of records that starts at
    line ``first_line`` of the file (see :func:`chunks`). ``columns``: a lead
    holds only these columns (what the rules read); ``json_columns``: these
    cells are JSON objects (a nested source, ``account.sector``, read from
    an ``account`` column); ``delimiter``: what separates the values.
    """

    def __init__(
        self,
        stream: IO[str],
        header: list[str] | None = None,
        first_line: int = 1,
        columns: list[str] | None = None,
        json_columns: list[str] | None = None,
        delimiter: str = ",",
    ) -> None:
        self.delimiter = delimiter
        self._source = iter(stream)
        self._again: deque[str] = deque()  # lines to read again (after a broken record), before the rest of the stream
        self._rows: Iterator[Row] | None = None  # the one reading of the rows (see __iter__)
        self.header_error: str | None = None
        self.columns = columns
        self.json_columns = json_columns or []
        self.next_line = first_line  # the line after the header
        if header is not None:
            self.header = header
            return
        self.header = []
        for number, count, _text, values, error, _reach in csv_records(self._source, first_line, delimiter=delimiter, again=self._again):
            self.next_line = number + count
            if error is not None:
                self.header_error = error.replace(" the next line is read as a new record", "")
                return
            if values:  # blank lines before the header are skipped
                self.header = values
                return
        self.header_error = "the file is empty: no header line"

    def __iter__(self) -> Iterator[Row]:
        """The rows, as :func:`csv_records` reads the records; iterating again goes on where the last iteration
        stopped (one reading of the stream, its lines and records numbered on)."""
        if self._rows is None:
            self._rows = self._read()
        return self._rows

    def _read(self) -> Iterator[Row]:
        """The rows. A line without a quote that is a whole row of the header's width is made a row here, in one loop
        (a sixth less per row than a loop over csv_records' tuples); any other line goes through :func:`csv_record`
        and :meth:`_row`."""
        header = self.header
        width = len(header)
        pick = None
        if self.columns is not None:  # the last of equal headers wins, as in dict(zip(...))
            index = {name: i for i, name in enumerate(header)}
            pick = _picker([(name, index[name]) for name in self.columns if name in index])
        plain = not self.json_columns
        source, delimiter = self._source, self.delimiter
        longest = csv.field_size_limit()  # a longer line goes to the csv module, which refuses a value over its limit
        number, line_number = yield from self._through_csv(None, 0, self.next_line, pick)  # lines given back before
        for line in source:
            if plain and '"' not in line and len(line) <= longest:
                body = line.rstrip("\r\n")
                if body and line[len(body) :] in _LINE_ENDS and "\r" not in body and "\n" not in body:
                    values = body.split(delimiter)
                    if len(values) == width and values != header:
                        number += 1
                        yield Row(number, line_number, dict(zip(header, values)) if pick is None else pick(values), values, None, body, body)
                        line_number += 1
                        continue
            number, line_number = yield from self._through_csv(line, number, line_number, pick)

    def _through_csv(self, line: str | None, number: int, line_number: int, pick: Any) -> Generator[Row, None, tuple[int, int]]:
        """The rows of the record that starts with ``line`` (on line ``line_number``, after ``number`` records), read
        by the csv module, then of any lines a broken record gave back; the records and the line after them."""
        again = self._again
        if line is None:
            line = again.popleft() if again else None
        while line is not None:
            record = csv_record(line, self._source, again, line_number, self.delimiter)
            if record is None:
                break
            line_number += record[1]
            number, row = self._row(record, number, pick)
            if row is not None:
                yield row
            line = again.popleft() if again else None
        return number, line_number

    def _row(self, record: tuple[int, int, str, list[str] | None, str | None, int], number: int, pick: Any) -> tuple[int, Row | None]:
        """The row of one record of :func:`csv_record`, after ``number`` records, and the records with it (a blank line
        is no record: None)."""
        line, _lines, text, values, error, _reach = record
        header = self.header
        width = len(header)
        if error is not None:
            raw = _strip_eol(text)
            return number + 1, Row(number + 1, line, None, raw, error, raw=raw)
        assert values is not None
        if not values:  # a blank line is no record
            return number, None
        number += 1
        raw = _strip_eol(text)
        if len(values) != width:
            reason = f"{len(values)} values but the header has {width} columns"
            if len(values) > width and not any(values[width:]):
                reason += "; the extra values are empty: a trailing delimiter?"
            return number, Row(number, line, None, values, reason, raw=raw)
        if values == header:  # a second export's header: never a lead
            return number, Row(number, line, None, values, "the row repeats the header (two exports joined?)", raw=raw)
        lead = dict(zip(header, values)) if pick is None else pick(values)
        if self.json_columns:
            bad = _parse_nested(lead, self.json_columns)
            if bad:
                return number, Row(number, line, None, values, bad, raw=raw)
        return number, Row(number, line, lead, values, None, raw, raw)


def _parse_nested(lead: dict[str, Any], columns: list[str]) -> str | None:
    """Read the JSON object in each of ``columns`` (an empty cell is missing); a message when one is not."""
    for name in columns:
        cell = lead.get(name)
        if not isinstance(cell, str):
            continue
        if not cell.strip():
            lead[name] = None
            continue
        try:
            value = json.loads(cell)
        except (ValueError, RecursionError):
            value = None
        if not isinstance(value, dict):
            shown = cell if len(cell) <= 60 else cell[:57] + "..."
            return f"column {name!r} holds {shown!r}, not a JSON object (the rules read fields inside it, {name}.…)"
        lead[name] = value
    return None


def _lone_surrogate(line: str, obj: Any) -> bool:
    """Whether a decoded JSON value holds half of a surrogate pair (``"\\ud800"``: not a character, cannot be written)."""
    if "\\ud" not in line and "\\uD" not in line:  # the only way one gets in: a \\u escape
        return False
    return _unwritable(obj)


def _unwritable(obj: Any) -> bool:
    """Whether ``obj`` holds a lone surrogate (UTF-8 cannot encode it)."""
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    except (ValueError, RecursionError):
        return False
    return False


def json_error(exc: ValueError | RecursionError) -> str:
    """What is wrong with a JSON record whose decoding raised ``exc``.

    Nesting deeper than Python parses and a number too long for Python to
    convert are said plainly.
    """
    if isinstance(exc, RecursionError):
        return "invalid JSON: nested too deeply"
    if not isinstance(exc, json.JSONDecodeError) and "integer string conversion" in str(exc):
        return f"invalid JSON: a number has more than {sys.get_int_max_str_digits():,} digits"
    return f"invalid JSON: {exc}"


SURROGATE = "invalid JSON: a \\ud800-\\udfff escape without its pair is not a character"


def _rejected_line(number: int, line_number: int, line: str, error: str) -> Row:
    """A JSON line that is no lead, with the reason: its text, as its record too."""
    raw = line.rstrip("\n")
    return Row(number, line_number, None, raw, error, raw=raw)


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
            except (ValueError, RecursionError) as exc:
                error = json_error(exc)
                if "\r" in line.rstrip("\r\n") and isinstance(exc, json.JSONDecodeError) and exc.msg == "Extra data":
                    error += "; the line holds more than one record: are they separated by a carriage return only? JSON Lines ends each with a line feed"
                yield _rejected_line(number, line_number, line, error)
                continue
            if not isinstance(obj, dict):
                # its record is the line's text (not str() of the value read: True for true, str without its quotes)
                yield _rejected_line(number, line_number, line, f"a lead is a JSON object, not {type(obj).__name__}")
            elif _lone_surrogate(line, obj):
                yield _rejected_line(number, line_number, line, SURROGATE)
            else:
                yield Row(number, line_number, obj, obj, raw=line)


def lf_lines(stream: IO[str], block: int = 1 << 16) -> Iterator[str]:
    """Lines ending in \\n only (JSON Lines: a \\r inside a record is JSON whitespace, not a line end).

    A line longer than a block is gathered in a list and joined once: linear in its length.
    """
    rest: list[str] = []
    while True:
        data = stream.read(block)
        if not data:
            break
        if "\n" not in data:
            rest.append(data)
            continue
        parts = data.split("\n")
        if rest:
            rest.append(parts[0])
            parts[0] = "".join(rest)
            rest = []
        tail = parts.pop()
        if tail:
            rest.append(tail)
        for part in parts:
            yield part + "\n"
    if rest:
        yield "".join(rest)


def chunks(stream: IO[str], first_line: int, records: int, csv_format: bool, delimiter: str = ",") -> Iterator[tuple[int, str]]:
    """The rest of ``stream`` as ``(first line, text)`` pieces of about ``records`` whole records.

    CSV records end where :func:`csv_records` ends them (the csv module
    decides, for lines with a quote), and a piece never ends inside the
    lines read to decide that a record is broken, so each piece reads the
    same where it is parsed again as it would in one pass.
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
    count = reach = 0
    number = first_line
    longest = csv.field_size_limit()
    source = iter(stream)
    again: deque[str] = deque()
    for line in source:
        if '"' not in line and len(line) <= longest:  # a record of one line (as csv_records reads it), here in the loop
            pending.append(line)  # (past any broken record's reach: the lines it gave back are read below, through the csv module)
            count += 1
            if count >= records:
                yield start, "".join(pending)
                start = number + 1
                pending = []
                count = 0
            number += 1
            continue
        again.append(line)
        while again:  # the record the csv module reads, and those of any lines a broken record gives back
            record = csv_record(again.popleft(), source, again, number, delimiter)
            if record is None:
                break
            _, lines, text, _values, _error, last = record
            pending.append(text)
            count += 1
            reach = max(reach, last)
            number += lines
            if count >= records and number - 1 >= reach:
                yield start, "".join(pending)
                start = number
                pending = []
                count = 0
    if pending:
        yield start, "".join(pending)


_STRUCTURE = re.compile(r'["\[\]{},]')
"""What changes the nesting of JSON text outside strings (and where strings start)."""
_IN_STRING = re.compile(r'["\\]')
"""What ends a JSON string, or escapes the next character in it."""


class JsonArrayReader:
    """Rows of a JSON array of objects, decoded one element at a time (constant memory).

    An element that is not valid JSON is a rejected row with its text: it
    ends at the first ``,`` (or the ``]`` closing the array) outside its
    strings and brackets, and reading goes on after it — never inside the
    broken element, so nothing in it is taken for a lead. When there is no
    such end (within MAX_SKIP_CHARS: a bracket or quote never closed), the
    rest of the input is one rejected row marked ``stop``: never a silent drop.
    """

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

        def fill(want: int = 0) -> bool:
            """Read more: at least a chunk, or as much as is already buffered (doubling: linear for a huge element)."""
            nonlocal buffer, position, consumed_lines, eof
            if eof:
                return False
            more = self._stream.read(max(self._chunk, want))
            if not more:
                eof = True
                return False
            consumed_lines += buffer.count("\n", 0, position)
            buffer = buffer[position:] + more
            position = 0
            return True

        def rest_of_input(start: int) -> str:
            nonlocal buffer, position
            parts = [buffer[start:]]
            while True:
                more = self._stream.read(self._chunk)
                if not more:
                    break
                if sum(map(len, parts)) < MAX_SKIP_CHARS:
                    parts.append(more)
            buffer, position = "", 0
            return "".join(parts)[:MAX_SKIP_CHARS]

        while True:
            if not eof and len(buffer) - position < self._chunk:
                fill()  # keep a chunk of look-ahead: a number (1e5, 1.5) is never cut at the end
            while position < len(buffer) and buffer[position] in " \t\r\n":
                position += 1
            if position >= len(buffer):
                if eof or not fill():
                    if state == "start":  # nothing but white space: no array at all
                        number += 1
                        yield Row(number, consumed_lines, None, "", "the input is empty: a JSON input is an array of objects: [ {...}, {...} ]", raw="")
                    elif state != "end":
                        number += 1
                        yield Row(number, consumed_lines, None, "", "the JSON array is not closed with ]", raw="")  # (its elements were read)
                    return
                continue
            char = buffer[position]
            line = consumed_lines + buffer.count("\n", 0, position)
            if state == "start":
                if char != "[":
                    number += 1
                    raw = rest_of_input(position)
                    yield Row(number, line, None, raw, "a JSON input is an array of objects: [ {...}, {...} ]", raw=raw, stop=True)
                    return
                position += 1
                state = "first"
                continue
            if state in ("first", "item", "comma") and char == "]":
                state = "end"
                position += 1
                continue
            if state == "end":
                number += 1
                raw = rest_of_input(position)
                yield Row(number, line, None, raw, "text after the end of the JSON array", raw=raw, stop=True)
                return
            if state == "comma":
                if char != ",":
                    number += 1
                    raw = rest_of_input(position)
                    yield Row(number, line, None, raw, f"expected , or ] between array elements, found {char!r}", raw=raw, stop=True)
                    return
                position += 1
                state = "item"
                continue
            error = ""
            try:
                obj, end = decoder.raw_decode(buffer, position)
            except json.JSONDecodeError as exc:
                if not eof and (exc.pos >= len(buffer) - 8 or exc.msg.startswith("Unterminated string")):
                    fill(len(buffer) - position)  # the element may go on in the input
                    continue
                error = f"invalid JSON: {exc.msg}"
            except (ValueError, RecursionError) as exc:  # nesting Python cannot parse, a number over 4,300 digits
                error = json_error(exc)
            else:
                if end == len(buffer) and not eof and isinstance(obj, (int, float)):
                    if fill():  # a number may continue in the next chunk
                        continue
                # an element ends at a , or the closing ]: text after it is part of it ({...} x, → one broken element)
                size = end - position
                after = size
                while True:
                    at = position + after
                    while at < len(buffer) and buffer[at] in " \t\r\n":
                        at += 1
                    after = at - position
                    if at < len(buffer) or not fill():
                        break
                start, end = position, position + size
                follow = buffer[start + after] if start + after < len(buffer) else ""
                if follow and follow not in ",]":
                    error = f"invalid JSON: {follow!r} after the end of the element"
                else:
                    position = end
                    state = "comma"
                    number += 1
                    if not isinstance(obj, dict):  # its record is the element's text, as a JSON line's
                        raw = buffer[start:end]
                        yield Row(number, line, None, raw, f"a lead is a JSON object, not {type(obj).__name__}", raw=raw)
                    elif (buffer.find("\\ud", start, end) >= 0 or buffer.find("\\uD", start, end) >= 0) and _unwritable(obj):
                        raw = buffer[start:end]
                        yield Row(number, line, None, raw, SURROGATE, raw=raw)
                    else:
                        yield Row(number, line, obj, obj)
                    continue
            # a broken element: it ends at the next , (or ]) outside strings and brackets
            offset = 0  # scanned so far, from position (fill() moves the buffer)
            depth = 0
            in_string = False
            found: int | None = None
            while found is None:
                at = position + offset
                match = (_IN_STRING if in_string else _STRUCTURE).search(buffer, at)
                if match is None or (match.group() == "\\" and match.end() >= len(buffer) and not eof):
                    if eof or len(buffer) - position > MAX_SKIP_CHARS:
                        break
                    offset = (len(buffer) if match is None else match.start()) - position
                    if not fill(len(buffer) - position):
                        if match is None:
                            break
                    continue
                char = match.group()
                offset = match.end() - position
                if in_string:
                    if char == '"':
                        in_string = False
                    else:  # an escape: the next character is part of the string
                        offset += 1
                elif char == '"':
                    in_string = True
                elif char in "[{":
                    depth += 1
                elif depth > 0:
                    if char in "]}":
                        depth -= 1
                elif char in ",]":
                    found = match.start()
                # a } with nothing open: stray, skipped
            number += 1
            if found is None:
                raw = rest_of_input(position)
                yield Row(number, line, None, raw, f"{error}; the rest of the JSON array cannot be read", raw=raw, stop=True)
                return
            raw = buffer[position:found].rstrip(" \t\r\n")
            yield Row(number, line, None, raw, error, raw=raw)
            if buffer[found] == ",":
                position = found + 1
                state = "item"
            else:  # the ] that closes the array
                position = found
                state = "comma"


# -- the header of a CSV export -------------------------------------------------

DELIMITERS = {",": ",", ";": ";", "|": "|", "\t": "\t", "\\t": "\t", "tab": "\t"}
"""What ``--delimiter`` accepts, and the character each stands for."""

SHOWN_DELIMITER = {",": "','", ";": "';'", "|": "'|'", "\t": "tab"}
"""How a delimiter is named in messages (and what to type after ``--delimiter``)."""


def delimiter_of(text: str) -> str:
    """The character ``--delimiter TEXT`` stands for; ValueError when it is none of DELIMITERS."""
    try:
        return DELIMITERS[text.lower()]
    except KeyError:
        raise ValueError(f"{text!r} is not a delimiter leadspec reads: use ',', ';', '|' or tab (also written '\\t')") from None


def looks_delimited(header: list[str], delimiter: str, sources: list[str]) -> str | None:
    """The delimiter a CSV header line seems to use when it was read with ``delimiter`` and does not fit, else None.

    The rule (on the header line alone, never on the data): the header read
    with ``delimiter`` lacks every column in ``sources`` (those the rules
    need), and splitting its line at another of ``;``, tab, ``|``, ``,``
    gives at least two columns, one of them in ``sources`` -- or, when
    the line was read as a single column, the other character that occurs
    in it most often.
    """
    present = set(header)
    if not sources or any(source in present for source in sources):
        return None
    line = delimiter.join(header)
    wanted = set(sources) | {source.split(".")[0] for source in sources}
    best: tuple[int, int, str] | None = None
    for candidate in (";", "\t", "|", ","):
        if candidate == delimiter or candidate not in line:
            continue
        try:
            columns = next(csv.reader([line], delimiter=candidate), [])
        except csv.Error:
            continue
        found = sum(1 for column in columns if column.strip() in wanted)
        score = (found, line.count(candidate) if len(header) == 1 else 0, candidate)
        if len(columns) >= 2 and (found or len(header) == 1) and (best is None or score[:2] > best[:2]):
            best = score
    return best[2] if best is not None else None


def _key(name: str) -> str:
    """A column name compared without case, spaces or punctuation (``Total Visits`` ~ ``total_visits``)."""
    return "".join(c for c in name.casefold() if c.isalnum())


def _words(name: str) -> list[str]:
    return re.findall(r"[^\W_]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", name).casefold())


CLOSE = 0.8
"""How alike (difflib's ratio, 0 to 1) a header must be to a missing column to be suggested."""


def closest_column(source: str, header: list[str]) -> str | None:
    """The header that ``source`` was probably meant to be, or None: no suggestion is better than a wrong one.

    Compared without case, spaces and punctuation. In order: the same name
    so compared (``TotalVisits``, ``Total Visits``); for a dotted source,
    a column with the same last part (``company.employees`` for
    ``account.employees``); a name at least CLOSE alike as a whole *and*
    in its last dotted part (``employes``; never ``account.name`` for
    ``account.employees``); a name whose words are all words of the other
    and make up at least half of it (``Quality`` for ``Lead Quality``).
    """
    import difflib

    want = _key(source)
    if not want:
        return None
    want_last = _key(source.rsplit(".", 1)[-1])
    want_words = set(_words(source))
    best: tuple[float, int, str] | None = None
    for position, column in enumerate(header[:2000]):
        key = _key(column)
        if not key:
            continue
        last = _key(column.rsplit(".", 1)[-1])
        if key == want:
            score = 4.0
        elif ("." in source or "." in column) and last == want_last:
            score = 3.0
        else:
            whole = difflib.SequenceMatcher(None, want, key).ratio()
            part = difflib.SequenceMatcher(None, want_last, last).ratio()
            if min(whole, part) >= CLOSE:
                score = 2.0 + min(whole, part)
            else:
                words = set(_words(column))
                shared = "".join(sorted(words & want_words))
                if words and (words <= want_words or want_words <= words) and 2 * len(shared) >= max(len(key), len(want)):
                    score = 1.0 + len(shared) / max(len(key), len(want))
                else:
                    continue
        if best is None or (score, -position) > (best[0], -best[1]):
            best = (score, position, column)
    return best[2] if best is not None else None


def nested_columns(rules: Any, header: list[str]) -> list[str]:
    """Columns that hold JSON objects: the first part of a nested source (``account.sector``) with no column of its own."""
    columns = set(header)
    heads = {source.split(".")[0] for source in (spec.source or name for name, spec in rules.fields.items()) if "." in source and source not in columns}
    return sorted(head for head in heads if head in columns)


def missing_columns(rules: Any, header: list[str]) -> list[str]:
    """Messages for fields whose source column the CSV header lacks.

    A nested source (``account.sector``) is read from a column with that
    exact name, or else from the JSON object in an ``account`` column; a
    field with a default is meant to be absent sometimes.
    """
    messages = []
    columns = set(header)
    for name, spec in rules.fields.items():
        source = spec.source or name
        if spec.default is not None:
            continue
        if source in columns or ("." in source and source.split(".")[0] in columns):
            continue
        close = closest_column(source, header)
        hint = f"; the closest header is {close!r}" if close else ""
        messages.append(f"field {name!r} reads column {source!r}, which the header does not have{hint}")
    return messages


def wrong_delimiter(rules: Any, header: list[str], delimiter: str) -> str | None:
    """The message for a CSV read at ``delimiter`` whose header line is split at another one, else None."""
    other = looks_delimited(header, delimiter, [spec.source or name for name, spec in rules.fields.items()])
    if other is None:
        return None
    shown = SHOWN_DELIMITER[other]
    return f"this looks like a {shown}-separated file: use --delimiter {shown} (split at {SHOWN_DELIMITER[delimiter]}, its header has none of the columns the rules read)"


def reader_for(fmt: str, stream: IO[str], delimiter: str = ",") -> CsvReader | JsonlReader | JsonArrayReader:
    """The reader of ``fmt`` (``csv``, ``jsonl``, ``json``) over ``stream``; ``delimiter``: a CSV's separator."""
    if fmt == "csv":
        return CsvReader(stream, delimiter=delimiter)
    if fmt == "jsonl":
        return JsonlReader(stream)
    return JsonArrayReader(stream)


# -- writers -------------------------------------------------------------------


class Unwritable(ValueError):
    """A record the output format cannot hold without losing data."""


def dumps(value: Any) -> str:
    """JSON text that is always valid JSON: NaN and ±Infinity (not JSON) are written as null."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except ValueError:
        return json.dumps(finite(value), ensure_ascii=False, allow_nan=False)


def finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


ADDED = ("stage", "reasons", "details")
"""The names of the columns (keys) qualify adds, by default."""


class Writer:
    """Renders qualified rows as text in one format (picklable, for worker processes).

    ``names``: what the added columns are called (stage, reasons, details);
    ``delimiter``: what separates CSV values (the input's, so a CSV record is written back as it was);
    ``flags``: the names of the rules' flags, written under ``flags_name`` (CSV: a column
    ``flags.NAME`` each, ``true``/``false``/empty for unknown; JSON: an object NAME -> true/false/null).
    """

    def __init__(
        self,
        fmt: str,
        header: list[str],
        details: bool,
        names: tuple[str, str, str] = ADDED,
        delimiter: str = ",",
        flags: tuple[str, ...] = (),
        flags_name: str = "flags",
        handoff: tuple[str, ...] = (),
        layout: tuple[str, ...] | None = None,
    ) -> None:
        self.fmt = fmt
        self.layout = layout  # qualify --columns: the result columns to write, in order (None: stage, reasons, flags, hand-off, details)
        self.delimiter = delimiter
        self.flags = flags
        self.flags_name = flags_name
        self.handoff = handoff  # the names of the hand-off columns (qualify --previous), after the flags
        self.header = header
        self.details = details
        self.names = names
        self._columns = frozenset(header)
        self.plain = fmt == "csv" and layout is None and not flags and not handoff and not details  # plain_row(): the input's record, stage and reasons
        self._stage_cells: dict[str, str] = {}  # plain_row(): a stage's cell with the delimiters either side
        self._buffer: io.StringIO | None = None
        self._csv: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_buffer": None, "_csv": None}

    def _name(self, key: str) -> str:
        """The name a result column of ``layout`` is written under (stage, reasons and details as the options name them)."""
        return {"stage": self.names[0], "reasons": self.names[1], "details": self.names[2], "flags": self.flags_name}.get(key, key)

    @property
    def added(self) -> tuple[str, ...]:
        """The names of the keys this writer adds to a JSON record."""
        if self.layout is not None:
            return tuple(self._name(key) for key in self.layout if key != "flags" or self.flags)
        return self.names[:2] + ((self.flags_name,) if self.flags else ()) + self.handoff + (self.names[2:] if self.details else ())

    @property
    def added_columns(self) -> tuple[str, ...]:
        """The names of the columns this writer adds to a CSV, in order."""
        flags = tuple(f"{self.flags_name}.{name}" for name in self.flags)
        if self.layout is not None:
            return tuple(column for key in self.layout for column in (flags if key == "flags" else (self._name(key),)))
        return self.names[:2] + flags + self.handoff + (self.names[2:] if self.details else ())

    def start(self) -> str:
        if self.fmt == "csv":
            return self._csv_line(self.header + list(self.added_columns))
        return "[\n" if self.fmt == "json" else ""

    def separator(self, first: bool) -> str:
        return "" if self.fmt != "json" or first else ",\n"

    def end(self, wrote_any: bool) -> str:
        return ("\n]\n" if wrote_any else "]\n") if self.fmt == "json" else ""

    def row(
        self,
        original: Any,
        lead: dict[str, Any],
        stage: str,
        reasons: str,
        details: Result | None,
        text: str | None = None,
        flags: Mapping[str, bool | None] | None = None,
        handoff: Sequence[str | None] = (),
        more: Mapping[str, Any] | None = None,
    ) -> str:
        """One qualified row; ``handoff``: the values of the hand-off columns (None: no value); ``more``: the other
        result columns ``layout`` may name (label, owner, sla, the hand-off's), by name."""
        if self.plain and text is not None:
            return self.plain_row(text, stage, reasons)
        if self.layout is not None:
            return self._laid_out(original, lead, stage, reasons, details, text, flags, more or {})
        if self.fmt == "csv":
            marks = [_FLAG_CELL[(flags or {}).get(name)] for name in self.flags] if self.flags else []
            if handoff:
                marks += ["" if value is None else value for value in handoff]
            if text is not None:  # CSV in, CSV out: the record as it was, and the new cells
                sep = self.delimiter
                line = f"{text}{sep}{_quote(stage, sep)}{sep}{_quote(reasons, sep)}"
                for mark in marks:  # a flag's cell, or a hand-off's (an owner is free text: quoted when it has to be)
                    line += sep + _quote(mark, sep)
                if details is not None:  # the result as JSON in one quoted cell, written so at once
                    line += sep + details._csv_json()
                return line + "\r\n"
            values = self._input_cells(original, lead)  # JSON in, CSV out: the header comes from the first object, nested objects as dotted columns
            values += [stage, reasons, *marks]
            if details is not None:
                values.append(details.to_json())
            return self._csv_line(values)
        if isinstance(original, dict):
            obj = dict(original)
        elif isinstance(original, list):  # a CSV row: every column, not only those the rules read
            obj = dict(zip(self.header, original))
        else:
            obj = dict(lead)
        names = self.names
        obj[names[0]] = stage
        obj[names[1]] = reasons
        if self.flags:
            obj[self.flags_name] = {name: (flags or {}).get(name) for name in self.flags}
        for name, value in zip(self.handoff, handoff):
            obj[name] = value
        if details is not None and names[2] not in obj:  # the result's JSON text, written at once, as the last key
            text = dumps(obj)[:-1] + ", " + dumps(names[2]) + ": " + details.to_json() + "}"
        else:
            if details is not None:
                obj[names[2]] = details.to_dict()
            text = dumps(obj)
        return text + "\n" if self.fmt == "jsonl" else text

    def plain_row(self, text: str, stage: str, reasons: str) -> str:
        """:meth:`row` in the common case (``plain``: CSV in and out with stage and reasons only): the input's record
        ``text`` as it was, then the two cells."""
        cell = self._stage_cells.get(stage)
        if cell is None:
            sep = self.delimiter
            cell = self._stage_cells[stage] = f"{sep}{_quote(stage, sep)}{sep}"
        return f"{text}{cell}{_quote(reasons, self.delimiter)}\r\n"

    def _laid_out(
        self,
        original: Any,
        lead: dict[str, Any],
        stage: str,
        reasons: str,
        details: Result | None,
        text: str | None,
        flags: Mapping[str, bool | None] | None,
        values: Mapping[str, Any],
    ) -> str:
        """A row with the result columns of ``layout`` (qualify --columns)."""
        given = {**values, "stage": stage, "reasons": reasons}
        if self.fmt == "csv":
            cells: list[str] = []
            for key in self.layout or ():
                if key == "flags":
                    cells += [_FLAG_CELL[(flags or {}).get(name)] for name in self.flags]
                elif key == "details":
                    cells.append(dumps(None) if details is None else details.to_json())
                else:
                    cells.append("" if given.get(key) is None else str(given[key]))
            if text is not None:
                sep = self.delimiter
                return text + "".join(sep + _quote(cell, sep) for cell in cells) + "\r\n"
            return self._csv_line(self._input_cells(original, lead) + cells)
        obj = dict(original) if isinstance(original, dict) else dict(zip(self.header, original)) if isinstance(original, list) else dict(lead)
        for key in self.layout or ():
            if key == "flags":
                if self.flags:
                    obj[self.flags_name] = {name: (flags or {}).get(name) for name in self.flags}
            else:
                obj[self._name(key)] = (None if details is None else details.to_dict()) if key == "details" else given.get(key)
        dumped = dumps(obj)
        return dumped + "\n" if self.fmt == "jsonl" else dumped

    def _input_cells(self, original: Any, lead: dict[str, Any]) -> list[str]:
        """The input's cells of a CSV row: the CSV record's values, or a JSON record flattened under the header."""
        if isinstance(original, list):
            return list(original)
        flat = flatten(lead)
        extra = [k for k, v in flat.items() if k not in self._columns and v is not None]  # null is an empty cell: nothing lost
        if extra:
            raise Unwritable(
                f"{', '.join(map(repr, extra))} {'is not a column' if len(extra) == 1 else 'are not columns'} of the CSV output "
                "(its columns come from the first record); write JSON Lines to keep every key"
            )
        return ["" if flat.get(k) is None else _cell(flat.get(k)) for k in self.header]

    def _csv_line(self, values: list[Any]) -> str:
        if self._buffer is None:
            self._buffer = io.StringIO()
            self._csv = csv.writer(self._buffer, delimiter=self.delimiter)
        buffer = self._buffer
        buffer.seek(0)
        buffer.truncate()
        self._csv.writerow(values)
        return buffer.getvalue()


_FLAG_CELL = {True: "true", False: "false", None: ""}
"""A flag's outcome in a CSV cell: unknown is an empty cell, as a missing value is."""


def _quote(cell: str, delimiter: str = ",") -> str:
    """One CSV cell as csv.writer writes it (quoted when it has to be)."""
    if '"' in cell or "\n" in cell or "\r" in cell or delimiter in cell:  # (four `in`: any() over a generator cost 2 µs a row)
        return '"' + cell.replace('"', '""') + '"'
    return cell


FLAT_DEPTH = 32
"""Objects nested deeper than this are written as JSON text in one column (a.b.c… stops there)."""


def flatten(obj: dict[str, Any]) -> dict[str, Any]:
    """A JSON object as CSV cells: a nested object's keys become dotted columns (``account.sector``).

    What a dotted ``source`` reads again. An empty object holds nothing and
    has no cell (as null is an empty one); lists and other values are one
    cell each (lists as JSON text, see :func:`_cell`). A
    dotted key that a nested object gives too (``{"a.b": 1, "a": {"b": 2}}``)
    cannot be two columns of one name: :class:`Unwritable`.
    """
    flat: dict[str, Any] = {}
    stack: list[tuple[str, Any, int]] = [(str(key), value, 1) for key, value in reversed(list(obj.items()))]
    while stack:
        key, value, depth = stack.pop()
        if isinstance(value, dict) and value and depth < FLAT_DEPTH:
            stack.extend((f"{key}.{inner}", item, depth + 1) for inner, item in reversed(list(value.items())))
            continue
        if isinstance(value, dict) and not value:  # {}: no key below it, nothing to write (a later record may fill its columns)
            continue
        if key in flat:
            raise Unwritable(f"{key!r} is both a key and the path of a nested key: one CSV column cannot hold both; write JSON Lines")
        flat[key] = value
    return flat


def _cell(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return dumps(value)
    return str(value)


# -- output files ----------------------------------------------------------------


class OutputError(Exception):
    """An output could not be written (a missing directory, a full disk): never reported as an input error."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: cannot write: {message}")
        self.path = path


class Output:
    """An output written whole or not at all.

    A file is written to a temporary file beside its destination (same
    directory, so the rename cannot cross file systems) and renamed onto
    it by :meth:`commit`; :meth:`discard` removes the temporary file and
    the destination keeps its previous content, or stays absent. The
    destination's directory is checked, and the temporary file created,
    when the object is made: before any input is read. A destination that
    is not a regular file (``/dev/null``, a pipe) is written directly, and
    ``-`` is standard output. A new file gets the permissions the umask
    gives; a replaced one keeps its mode.
    """

    def __init__(self, path: str, stdout: IO[str] | None) -> None:
        self.path = path
        self._temp: str | None = None
        self._direct = False  # another writer (DuckDB's COPY) wrote the temporary file whole: see direct_path
        self._target = path
        self._layers: list[Any] = []
        if path == "-":
            assert stdout is not None
            self._stream: IO[str] = stdout
            return
        target = os.path.realpath(path)  # beside the file a symbolic link points to; the link stays
        self._target = target
        if os.path.isdir(target):
            raise OutputError(path, "it is a directory")
        folder = os.path.dirname(target) or "."
        if not os.path.isdir(folder):
            raise OutputError(path, f"the directory {folder} does not exist")
        try:
            existing: os.stat_result | None = os.stat(target)
        except OSError:
            existing = None
        try:
            if existing is not None and not stat.S_ISREG(existing.st_mode):  # /dev/null, a named pipe
                binary: Any = open(target, "wb")
            else:
                binary = self._create_temp(folder, os.path.basename(target), existing)
        except OSError as exc:
            raise OutputError(path, exc.strerror or str(exc)) from exc
        self._layers.append(binary)
        if path.endswith(".gz"):
            binary = gzip.GzipFile(filename=os.path.basename(path)[:-3], mode="wb", fileobj=binary)
            self._layers.append(binary)
        self._stream = io.TextIOWrapper(binary, encoding="utf-8", newline="", write_through=False)
        self._layers.append(self._stream)

    def _create_temp(self, folder: str, name: str, existing: os.stat_result | None) -> IO[bytes]:
        for _ in range(100):
            temp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
            try:
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as for a new file
            except FileExistsError:
                continue
            self._temp = temp
            if existing is not None:
                try:
                    os.fchmod(fd, stat.S_IMODE(existing.st_mode))
                except OSError:
                    pass
            return open(fd, "wb")
        raise OSError(f"cannot create a temporary file in {folder}")

    def write(self, text: str) -> None:
        try:
            self._stream.write(text)
        except (OSError, UnicodeEncodeError) as exc:
            self._failed(exc)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            self._failed(exc)

    def direct_path(self) -> str | None:
        """The temporary file's path, for another writer to write the whole output to (DuckDB's ``COPY``, which truncates
        the file and writes it in place); None when the output is not written so (standard output, a ``.gz`` file, a
        device) or something was written to it already. :meth:`commit` puts that file in place, synced to disk;
        :meth:`undirect` empties it for this object's own writes."""
        if self._temp is None or len(self._layers) != 2 or self._direct:
            return None
        try:  # another writer opens it by name: a name it can be given (UTF-8), a file it may write (a mode kept from a
            self._temp.encode("utf-8")  # read-only destination is not)
            if not os.stat(self._temp).st_mode & stat.S_IWUSR:
                return None
        except (UnicodeEncodeError, OSError):
            return None
        self.flush()
        raw = self._layers[0]
        raw.flush()
        if raw.tell() or os.fstat(raw.fileno()).st_size:
            return None
        self._direct = True
        return self._temp

    def undirect(self) -> None:
        """Empty the file another writer wrote through :meth:`direct_path` (the output is written otherwise after all)."""
        if self._direct and self._temp is not None:
            try:
                os.truncate(self._temp, 0)
            except OSError as exc:
                self._failed(exc)
            self._direct = False

    def append_file(self, path: str) -> None:
        """Append the file at ``path`` (the CSV DuckDB's COPY wrote) after what was written: by the kernel into a plain file,
        else (standard output, .gz) as text through the same stream as everything written before."""
        if self.path == "-" or len(self._layers) != 2:
            try:
                with open(path, encoding="utf-8", newline="") as part:
                    while chunk := part.read(1 << 20):
                        self.write(chunk)
            except OSError as exc:
                self._failed(exc)
            return
        try:
            self._stream.flush()
            raw = self._layers[0]
            raw.flush()
            with open(path, "rb") as part:
                try:  # in the kernel where it can (Linux)
                    while os.sendfile(raw.fileno(), part.fileno(), None, 1 << 30):
                        pass
                except (AttributeError, OSError):  # elsewhere (macOS sends only to sockets): through a buffer, from where it stopped
                    part.seek(os.lseek(part.fileno(), 0, os.SEEK_CUR))
                    shutil.copyfileobj(part, raw, 1 << 20)
        except OSError as exc:
            self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        if self.path == "-" and not isinstance(exc, UnicodeEncodeError):
            _drop_stdout(self._stream)
        message = getattr(exc, "strerror", None) or str(exc)
        raise OutputError(self.path, message) from exc

    def commit(self) -> None:
        """Finish the file and put it in place of the destination."""
        if self.path == "-":
            self.flush()
            return
        try:
            raw = self._layers[0]
            for layer in reversed(self._layers[1:]):
                if isinstance(layer, io.TextIOWrapper):
                    layer.flush()
                    layer.detach()  # leaves the layers below open
                else:
                    layer.close()  # gzip: writes its trailer; the file it was given stays open
            raw.flush()
            if self._temp is not None:
                os.fsync(raw.fileno())  # on disk before it takes the destination's name (once per run)
            if self._direct and self._temp is not None:  # written by another writer: synced by its name too (its own file object)
                fd = os.open(self._temp, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            raw.close()
            self._layers = []
            if self._temp is not None:
                os.replace(self._temp, self._target)
                self._temp = None
        except OSError as exc:
            raise OutputError(self.path, exc.strerror or str(exc)) from exc

    def discard(self) -> None:
        """Leave the destination as it was: remove the temporary file."""
        for layer in reversed(self._layers):
            try:
                layer.close()
            except (OSError, ValueError):
                pass
        self._layers = []
        if self._temp is not None:
            try:
                os.unlink(self._temp)
            except OSError:
                pass
            self._temp = None


def _drop_stdout(stream: IO[str]) -> None:
    """After standard output failed (a full disk, a closed pipe): send what is still buffered nowhere, so exiting does not fail again."""
    if stream is not sys.stdout:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


class SourceError(Exception):
    """A file or revision that cannot be read as the command needs it (the message says which and why)."""


def read_leads(path: str, fmt: str | None, io: Any, rulesets: list[Any], delimiter: str = ",", labels: Sequence[str] = ("",)) -> Iterator[dict[str, Any]]:
    """The leads of ``path`` for ``leadspec diff --leads`` and ``leadspec report``: a CSV column of JSON objects feeds the dotted
    sources of every ruleset, as in qualify; a column a ruleset lacks is a warning, after its label. A row that cannot be
    read is skipped, said with its line; a file the rules cannot read raises :class:`SourceError`. A Parquet file (``.parquet``,
    or ``fmt`` parquet) is read with pyarrow, a batch of rows at a time, its values typed as the file stores them."""
    fmt = fmt or ("parquet" if path.lower().endswith(".parquet") else format_of(path))
    if fmt is None:
        raise click.UsageError(f"cannot tell the format of {path!r} from its name; use --leads-format csv|jsonl|json|parquet")
    if fmt == "parquet":
        yield from _parquet_leads(path, rulesets, labels, io)
        return
    source = open_text(path, io.inp)
    try:
        reader = reader_for(fmt, source, delimiter)
        if isinstance(reader, CsvReader):
            if reader.header_error:
                raise SourceError(f"{path}: {reader.header_error}")
            wrong = wrong_delimiter(rulesets[-1], reader.header, delimiter)
            if wrong is not None:
                raise SourceError(f"{path}: {wrong}")
            for which, rules in zip(labels, rulesets):  # a typo in a source moves leads: say so beside the results
                for message in missing_columns(rules, reader.header):
                    io.err.write(f"{path}: warning: {which + ': ' if which else ''}{message}\n")
            reader.json_columns = sorted({column for rules in rulesets for column in nested_columns(rules, reader.header)})
        for row in reader:
            if row.lead is not None:
                yield row.lead
            else:
                io.err.write(f"{path}:{row.line}: row {row.number} skipped: {row.error}\n")
    finally:
        if source is not io.inp:
            source.close()


PARQUET_BATCH = 10_000
"""Rows of a Parquet file read at a time."""


def _parquet_leads(path: str, rulesets: list[Any], labels: Sequence[str], io: Any) -> Iterator[dict[str, Any]]:
    if path == "-":
        raise SourceError("-: Parquet is read from a file, not from standard input")
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise SourceError(f"{path}: Parquet is read with pyarrow: pip install 'leadspec[duckdb]'") from None
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow's errors for a file that is not Parquet (ArrowInvalid) and the like
        if isinstance(exc, OSError) and not type(exc).__module__.startswith("pyarrow"):
            raise
        raise SourceError(f"{path}: not a Parquet file ({exc})") from None
    header = list(parquet.schema_arrow.names)
    for which, rules in zip(labels, rulesets):  # a typo in a source moves leads: say so beside the results
        for message in missing_columns(rules, header):
            io.err.write(f"{path}: warning: {which + ': ' if which else ''}{message}\n")
    for batch in parquet.iter_batches(batch_size=PARQUET_BATCH):
        yield from batch.to_pylist()


def write_text(path: str, text: str, stdout: IO[str]) -> None:
    """Write ``text`` to ``path`` whole or not at all (``-``: ``stdout``); :class:`OutputError` when it cannot be."""
    sink = Output(path, stdout)
    try:
        sink.write(text)
        sink.commit()
    finally:
        sink.discard()
