"""``leadspec init``: write a starter rule file, its test file and a pre-commit configuration.

With ``--from EXPORT`` the fields are the export's columns (CSV or JSON
Lines), each with a type guessed from the first rows; the starter stage
reads one of them, and the test file has cases that pass against it. The
files are commented to teach the format; they pass ``leadspec check
--strict`` and ``leadspec test`` as written.
"""

from __future__ import annotations

import collections
import csv
import itertools
import json
import keyword
import os
import re
import math
import shlex
import statistics
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterator

import click
import yaml


from ._common import EXIT_OK, EXIT_USAGE, READ_ERRORS, read_error, streams
from ._io import format_of, open_text

SAMPLE_ROWS = 20_000
"""How many rows of the export the types (and the values of an enum) are taken from."""

ENUM_MAX = 12
"""A text column with at most this many distinct values (each seen at least twice) becomes an enum."""

MAX_FIELDS = 2_000
"""The most columns a starter declares (the others are named in a comment): the file stays far within a rule file's limits (100,000 YAML nodes, 1 MiB)."""

MAX_FIELDS_BYTES = 600_000
"""The most bytes of field declarations a starter writes (long headers): the rest are named in a comment."""

MAX_LISTED_BYTES = 200_000
"""The most bytes of headers a comment names (the columns not declared), then how many more."""

CELLS = 2_000_000
"""The most values read from the export: a wide export is sampled on fewer rows (at least 100)."""

ENUM_VALUE_MAX = 200
"""The longest value an enum is made of, in characters: a longer text is free text, not a category."""

DATE_FORMATS = ("%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y", "%m-%d-%Y")
"""The date patterns tried on a column that is not ISO 8601, in this order (the first that reads every value wins)."""

DATETIME_FORMATS = ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M", "%Y/%m/%d %H:%M:%S")
"""The date-and-time patterns tried, likewise."""

_YAML_WORDS = {"y", "yes", "n", "no", "true", "false", "on", "off", "null", "none"}
"""Ids a YAML reader would take for a boolean or null as a key."""

# ASCII digits only ([0-9], not \d, which matches other scripts' digits too): leadspec reads numbers and dates written with the digits 0-9
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?([Zz]|[+-][0-9]{2}:?[0-9]{2})?")
_BOOLEAN = {"yes", "no", "true", "false", "y", "n"}

PRE_COMMIT_CONFIG = """\
# pre-commit (https://pre-commit.com) runs leadspec before each commit:
#   pip install pre-commit && pre-commit install
# The hooks run the leadspec installed in this environment ("repo: local"),
# the release the rules are written for. See "Keeping rules in git" in the
# leadspec documentation.
repos:
  - repo: local            # the leadspec installed in this environment
    hooks:
      - id: leadspec-check
        name: leadspec check
        entry: leadspec check
        language: system
        files: ^rules/.*\\.ya?ml$
        require_serial: true
      - id: leadspec-test
        name: leadspec test
        entry: leadspec test --quiet
        language: system
        files: ^rules/.*\\.ya?ml$
        pass_filenames: false
"""
"""The pre-commit configuration ``init`` writes: the one the "Keeping rules in git" page documents, with comments."""

HOOKS = PRE_COMMIT_CONFIG[PRE_COMMIT_CONFIG.index("repos:\n") + len("repos:\n") :]
"""The leadspec entry of :data:`PRE_COMMIT_CONFIG`'s ``repos:``: what to add to a configuration ``init`` keeps."""


def _has_hooks(path: str) -> bool:
    """Whether the pre-commit configuration at ``path`` runs both leadspec hooks (False when it cannot be read)."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except (OSError, ValueError, yaml.YAMLError):
        return False
    ids: set[object] = set()
    repos = data.get("repos") if isinstance(data, dict) else None
    for repo in repos if isinstance(repos, list) else ():
        hooks = repo.get("hooks") if isinstance(repo, dict) else None
        ids.update(h.get("id") for h in (hooks if isinstance(hooks, list) else ()) if isinstance(h, dict))
    return {"leadspec-check", "leadspec-test"} <= ids


@dataclass
class Column:
    """A column of the sample export: its header, the field id made from it, the values seen, and the guessed type."""

    header: str
    id: str
    values: list[str] = field(default_factory=list)
    type: str = "string"
    format: str | None = None
    choices: list[str] = field(default_factory=list)
    role: str | None = None
    note: str | None = None


def field_id(header: str, position: int, taken: set[str]) -> str:
    """A valid field id (``^[a-z][a-z0-9_]*$``) for ``header``, unique among ``taken``; ``column_N`` when the header has no letters or digits."""
    text = unicodedata.normalize("NFKD", header.replace("ß", "ss")).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)  # NumberOfEmployees -> number_of_employees
    text = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60].strip("_")
    if not text:
        text = f"column_{position}"
    elif not text[0].isalpha():
        text = "c_" + text
    if keyword.iskeyword(text) or text in _YAML_WORDS:
        text += "_"
    unique, n = text, 2
    while unique in taken:
        unique, n = f"{text}_{n}", n + 1
    taken.add(unique)
    return unique


def _text(value: Any) -> str:
    """A JSON value as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _flatten(record: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(dotted key, value)`` for every value of a JSON record, nested objects opened."""
    for key, value in record.items():
        if isinstance(value, dict) and value:
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def guess_delimiter(line: str) -> str:
    """The delimiter of a CSV whose first line is ``line``: the commonest of ``,`` ``;`` tab ``|`` outside quotes, else ``,``.

    Quoted text is left out (a header may hold ``;`` or a line break inside
    its quotes), and so is the rest of a line whose quote does not close on it.
    """
    outside = re.sub(r'"[^"]*"', "", line)
    outside = outside.split('"', 1)[0]  # an open quote: the text after it is quoted
    counts = {d: outside.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])  # ties: the order above, comma first
    return best if counts[best] else ","


def read_sample(path: str, rows: int = SAMPLE_ROWS) -> tuple[list[str], list[list[str]], str | None]:
    """The header, the first ``rows`` rows (as text) and the CSV delimiter (None: JSON Lines) of an export; raises ValueError or OSError.

    A wide export is read on fewer rows: :data:`CELLS` values in all, 100 rows at least.
    """
    fmt = format_of(path)
    with open_text(path, streams().inp) as handle:
        if fmt in ("jsonl", "json"):
            if fmt == "json":
                raise ValueError("a JSON array is not read here: give a CSV or JSON Lines (.jsonl) sample")
            headers: dict[str, None] = {}
            records: list[dict[str, Any]] = []
            cells = 0
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError(f"line {number} is not a JSON object")
                flat = dict(_flatten(record))
                headers.update(dict.fromkeys(flat))
                records.append(flat)
                cells += len(flat)
                if len(records) >= rows or (cells >= CELLS and len(records) >= 100):
                    break
            if not records:
                raise ValueError("no record: the file is empty")
            header = list(headers)
            return header, [[_text(r.get(h)) for h in header] for r in records], None
        first = handle.readline()
        while first and not first.strip():  # blank lines before the header
            first = handle.readline()
        delimiter = guess_delimiter(first)
        reader = csv.reader(itertools.chain([first], handle), delimiter=delimiter)
        header = next(reader, [])
        if not header:
            raise ValueError("the file is empty: no header line")
        out: list[list[str]] = []
        rows = min(rows, max(100, CELLS // len(header)))
        for row in reader:
            if not row:
                continue
            out.append((row + [""] * len(header))[: len(header)])
            if len(out) >= rows:
                break
    return header, out, delimiter


def _all_read(values: list[str], pattern: str) -> bool:
    """Whether every value is ``pattern`` written with the digits 0-9 (strptime reads other scripts' digits too)."""
    for value in values:
        if not value.isascii():
            return False
        try:
            datetime.strptime(value, pattern)
        except ValueError:
            return False
    return True


def _iso_date(text: str) -> object:
    """``text`` read as leadspec reads an ISO 8601 date (ValueError when it is not one: 2026-13-45)."""
    return date.fromisoformat(text)


def _iso_datetime(text: str) -> object:
    """``text`` read as leadspec reads an ISO 8601 date and time (ValueError when it is not one: 25:00, or no moment in UTC)."""
    moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    try:
        return moment.astimezone(timezone.utc) if moment.tzinfo else moment
    except OverflowError:  # 0001-01-01T00:00+01:00
        raise ValueError("outside the range of dates in UTC") from None


def _all_dates(values: list[str], pattern: re.Pattern[str], parse: Callable[[str], object]) -> bool:
    """Whether every value is ISO 8601 text of the shape ``pattern`` that leadspec reads (2026-13-45 is the shape, not a date)."""
    for value in values:
        if not pattern.fullmatch(value):
            return False
        try:
            parse(value)
        except ValueError:
            return False
    return True


def _json_list(text: str) -> bool:
    """Whether ``text`` is a JSON list of text or numbers (what a ``list`` field reads)."""
    if not text.startswith("["):
        return False
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value)


def guess(column: Column) -> None:
    """Set the column's type (and format or choices) from its values."""
    seen = [v.strip() for v in column.values if v.strip()]
    if not seen:
        column.note = "empty in the sample: typed as text"
        return
    if all(_INTEGER.fullmatch(v) for v in seen) and not any(len(v.lstrip("+-")) > 1 and v.lstrip("+-").startswith("0") for v in seen):
        column.type = "integer"
    elif all(_NUMBER.fullmatch(v) for v in seen) and not all(_INTEGER.fullmatch(v) for v in seen):
        column.type = "number"
    elif all(v.lower() in _BOOLEAN for v in seen):
        column.type = "boolean"
    elif _all_dates(seen, _ISO_DATE, _iso_date):
        column.type = "date"
    elif _all_dates(seen, _ISO_DATETIME, _iso_datetime):
        column.type = "datetime"
    elif all(_json_list(v) for v in seen):
        column.type = "list"
    elif (pattern := next((p for p in DATE_FORMATS if _all_read(seen, p)), None)) is not None:
        column.type, column.format = "date", pattern
    elif (pattern := next((p for p in DATETIME_FORMATS if _all_read(seen, p)), None)) is not None:
        column.type, column.format = "datetime", pattern
    else:
        # spellings that differ in case are one value, as leadspec reads an enum (str.lower, not casefold)
        counts = collections.Counter(v.lower() for v in seen)
        if 2 <= len(counts) <= ENUM_MAX and len(seen) >= 2 * len(counts) and all(len(v) <= ENUM_VALUE_MAX for v in counts):
            spelled: dict[str, str] = {}
            for v in seen:
                spelled.setdefault(v.lower(), v)
            column.type = "enum"
            column.choices = sorted(spelled.values(), key=lambda v: -counts[v.lower()])


_YAML_BREAKS = frozenset("\x85\u2028\u2029\ufeff")
"""Printable to Python, but a line break (or a byte order mark) to YAML: escaped."""

_PLAIN_EXPRESSION = re.compile(r"[a-z][a-z0-9_]*( >= [+-]?[0-9.eE+-]+)?|has\([a-z][a-z0-9_]*\)")
"""The starter expressions written without quotes: a field, a threshold, has(field)."""


def _escape(ch: str) -> str:
    """``ch`` as a YAML double-quoted escape."""
    code = ord(ch)
    special = {"\"": '\\"', "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
    if ch in special:
        return special[ch]
    if code < 0x100:
        return f"\\x{code:02X}"
    if code < 0x10000:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"


def _q(text: str) -> str:
    """``text`` as a YAML double-quoted scalar that reads back exactly, whatever it holds.

    Every value taken from the export (a header, an enum value, a lead
    value, a case name) is written through this: ``: `` and `` #`` are
    plain text inside quotes, and every character YAML would refuse
    (``\\x7f``), fold (a line break, ``\\x85`` NEL) or drop (a byte order
    mark) is an escape. Printable letters of any script are kept as they are.
    """
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append(_escape(ch))
        elif " " <= ch <= "~" or (ch > "\x7f" and ch.isprintable() and ch not in _YAML_BREAKS):
            out.append(ch)
        else:
            out.append(_escape(ch))
    out.append('"')
    return "".join(out)


def _expression(text: str) -> str:
    """An expression as a YAML scalar: as written when it is one of the starter's plain shapes, else quoted by :func:`_q`."""
    return text if _PLAIN_EXPRESSION.fullmatch(text) and text.lower() not in _YAML_WORDS else _q(text)


def _shown(text: str, limit: int = 60) -> str:
    """A header for a comment: Python's repr (one line, every control character escaped), cut at ``limit`` characters."""
    return repr(text[:limit]) + ("…" if len(text) > limit else "")


@dataclass
class Starter:
    """The starter files' contents, and what ``leadspec qualify`` needs to read the export they came from."""

    rules: str
    tests: str
    options: list[tuple[list[str], str]] = field(default_factory=list)
    """The qualify options this export needs, each with the reason: ``(["--delimiter", ";"], "… is separated by ';'")``."""


def _default_starter(name: str) -> Starter:
    """The starter without an export: a size and a country, as most B2B exports have."""
    columns = [Column("NumberOfEmployees", "employees", type="integer"), Column("Country", "country")]
    crit = f"{columns[0].id} >= 50"
    cases = [
        ("a 250-person company is an ICP fit", {"NumberOfEmployees": "250", "Country": "US"}, "icp", "passed"),
        ("a 12-person company is not", {"NumberOfEmployees": "12", "Country": "US"}, "lead", "failed"),
        ("size not given: the criterion is unknown", {"Country": "US"}, "lead", "unknown"),
    ]
    return _write(name, None, columns, "size", crit, cases, extra_fields=("country",))


def _numbers(places: list[int], limit: int = 20) -> str:
    """``3, 4, 9`` (at most ``limit`` of them, then how many in all)."""
    shown = ", ".join(map(str, places[:limit]))
    return shown if len(places) <= limit else f"{shown}, … ({len(places):,} in all)"


def _listed(headers: list[str], budget: int = MAX_LISTED_BYTES) -> list[str]:
    """Lines for a comment naming ``headers`` (as many as fit in ``budget`` bytes, then how many more)."""
    lines: list[str] = []
    line: list[str] = []
    size = 0
    for i, title in enumerate(headers):
        shown = _shown(title)
        size += len(shown.encode("utf-8")) + 2
        if size > budget:
            line.append(f"… and {len(headers) - i:,} more")
            break
        line.append(shown)
        if len(line) == 6:
            lines.append("  " + ", ".join(line))
            line = []
    if line:
        lines.append("  " + ", ".join(line))
    return lines


def _free_name(name: str, header: set[str]) -> str:
    """``leadspec_NAME``, or ``leadspec_NAME_2``… when the export has that column too."""
    unique, n = f"leadspec_{name}", 2
    while unique in header:
        unique, n = f"leadspec_{name}_{n}", n + 1
    return unique


def qualify_options(export: str, header: list[str], delimiter: str | None) -> list[tuple[list[str], str]]:
    """The options ``leadspec qualify`` needs to read ``export`` with the starter rules, each with the reason.

    ``--input-format csv`` when the name does not say CSV (``.tsv``,
    ``.txt``); ``--delimiter`` when the values are not separated by commas;
    ``--stage-column`` / ``--reasons-column`` when the export has a
    ``stage`` / ``reasons`` column (qualify adds those and never overwrites
    a column of the input).
    """
    name = os.path.basename(export)
    columns = set(header)
    if delimiter is None:  # JSON Lines: a nested object's key is a key of the record too
        columns.update(h.split(".", 1)[0] for h in header)
    what = "a column" if delimiter is not None else "a key"
    options: list[tuple[list[str], str]] = []
    if delimiter is not None and format_of(export) is None:
        options.append((["--input-format", "csv"], f"qualify tells the format from the name (.csv, .jsonl); {name} is read as CSV"))
    if delimiter not in (None, ","):
        assert delimiter is not None
        shown = "tab" if delimiter == "\t" else delimiter
        options.append((["--delimiter", shown], f"{name} is separated by {shown if delimiter == chr(9) else repr(delimiter)}"))
    for added, option in (("stage", "--stage-column"), ("reasons", "--reasons-column")):
        if added in columns:
            options.append(([option, _free_name(added, columns)], f"{name} has {what} {added!r}, which qualify adds (and never overwrites): the added one needs another name"))
    return options


def _later_options(header: list[str]) -> list[str]:
    """What a later use of qualify needs for this export: ``--details-column`` with --details, ``--flags-column`` once the rules have flags."""
    columns = set(header)
    notes = []
    if "details" in columns:
        notes.append(f"the export has a column 'details': with --details, qualify needs --details-column {_free_name('details', columns)}")
    if any(title == "flags" or title.startswith("flags.") for title in header):
        notes.append(f"the export has columns named flags.…: once the rules have flags:, qualify needs --flags-column {_free_name('flags', columns)}")
    return notes


def _usable_number(c: Column) -> bool:
    """A number worth a threshold: at least three different values (0/1 is an outcome or a flag, not a size), each short and finite."""
    values = {v.strip() for v in c.values if v.strip()}
    return (
        c.type in ("integer", "number")
        and len(values) >= 3
        and all(len(v) <= 30 and math.isfinite(float(v)) for v in values)
    )


def starter(name: str, export: str | None) -> Starter:
    """The starter rule file and test file for ``name``, with the fields of ``export``'s columns when given.

    Raises ValueError when no column of the export can be declared (every
    header blank or repeated).
    """
    if export is None:
        return _default_starter(name)
    header, rows, delimiter = read_sample(export)
    taken: set[str] = set()
    columns: list[Column] = []
    notes: list[str] = []
    places: dict[str, list[int]] = {}
    for i, title in enumerate(header, 1):
        places.setdefault(title, []).append(i)
    blank = [i for i, title in enumerate(header, 1) if not title.strip()]
    repeated = [(title, where) for title, where in places.items() if len(where) > 1 and title.strip()]
    if blank:
        notes.append(
            f"column {blank[0]} has no header: a field cannot name it as its source, so it is not declared"
            if len(blank) == 1
            else f"columns {_numbers(blank)} have no header: a field cannot name them as their source, so they are not declared"
        )
    for title, where in repeated[:20]:
        notes.append(f"the header {_shown(title)} is in columns {_numbers(where)}: rename them in the export to read them (not declared)")
    if len(repeated) > 20:
        notes.append(f"… and {len(repeated) - 20:,} more headers are repeated: not declared")
    readable = [(i, title) for i, title in enumerate(header, 1) if title.strip() and len(places[title]) == 1]
    if not readable:
        raise ValueError(
            "no column can be declared: every header is blank or repeated (" + "; ".join(notes) + "). Give each column its own header"
        )
    size = 0
    left: list[str] = []
    for i, title in readable:
        if left or len(columns) >= MAX_FIELDS:
            left.append(title)
            continue
        column = Column(title, field_id(title, i, taken), [row[i - 1] for row in rows])
        guess(column)
        size += sum(len(line.encode("utf-8")) + 1 for line in _field_line(column))
        if size > MAX_FIELDS_BYTES and columns:
            left.append(title)
            continue
        columns.append(column)
    has_id = False
    for column in columns:  # the lead's identifier: a column named like an id, unique in the sample
        values = [v for v in column.values if v.strip()]
        if (
            column.type in ("string", "integer")
            and re.search(r"(^|_)(id|number|key)$", column.id)
            and values
            and len(set(values)) == len(values) == len(column.values)
        ):
            # the first is the lead's id; another (a CRM's second key) is kept for reports, never a criterion
            column.role = "output" if has_id else "id"
            has_id = True
    export_name = os.path.basename(export)
    options = qualify_options(export, header, delimiter)
    usable = [c for c in columns if c.role is None]
    # the criterion's column is one whose header is short enough to be a key in the test file's `lead:`
    short = [c for c in usable if len(_q(c.header)) <= 1000] or usable
    numeric = [c for c in short if _usable_number(c)]
    enums = [c for c in short if c.type == "enum" and len(c.choices) >= 2]
    booleans = [c for c in short if c.type == "boolean"]
    for words, why in options:
        notes.append(f"qualify it with {shlex.join(words)}: {why}")
    notes += _later_options(header)
    if left:
        what = f"more columns than the {MAX_FIELDS:,} fields" if len(columns) >= MAX_FIELDS else "more column headers than fit"
        notes.append(f"the export has {what} a starter declares: the other {len(left):,} are not declared:")
    if numeric:
        c = numeric[0]
        numbers = sorted(float(v) for v in c.values if v.strip())
        mid = statistics.median_low(numbers)
        at = next(v.strip() for v in c.values if v.strip() and float(v) == mid)
        below = [v.strip() for v in c.values if v.strip() and float(v) < mid]
        low = below[0] if below else str(int(mid) - 1 if c.type == "integer" else mid - 1)
        crit = f"{c.id} >= {at}"
        cases = [
            (f"{_cut(c.header)} {at} (the median of the sample) passes", {c.header: at}, "icp", "passed"),
            (f"{_cut(c.header)} {low} is below", {c.header: low}, "lead", "failed"),
            (f"{_cut(c.header)} not given: the criterion is unknown", {}, "lead", "unknown"),
        ]
        criterion = "big_enough"
    elif enums:
        c = enums[0]
        top, other = c.choices[0], c.choices[1]
        crit = f"{c.id} == {top!r}"  # a Python string literal: the expression language reads it back exactly
        cases = [
            (f"{_cut(c.header)} {_cut(top)} passes", {c.header: top}, "icp", "passed"),
            (f"{_cut(c.header)} {_cut(other)} does not", {c.header: other}, "lead", "failed"),
            (f"{_cut(c.header)} not given: the criterion is unknown", {}, "lead", "unknown"),
        ]
        criterion = "right_kind"
    elif booleans:
        c = booleans[0]
        crit = c.id
        cases = [
            (f"{_cut(c.header)} yes passes", {c.header: "yes"}, "icp", "passed"),
            (f"{_cut(c.header)} no does not", {c.header: "no"}, "lead", "failed"),
            (f"{_cut(c.header)} not given: the criterion is unknown", {}, "lead", "unknown"),
        ]
        criterion = "flagged"
    else:
        c = short[0] if short else columns[0]
        sample = min((v.strip() for v in c.values if v.strip()), key=len, default="x")  # a value the sample has: of the field's type
        crit = f"has({c.id})"
        cases = [
            (f"{_cut(c.header)} given passes", {c.header: sample}, "icp", "passed"),
            (f"{_cut(c.header)} not given does not", {}, "lead", "failed"),
        ]
        criterion = "known"
    written = _write(
        name,
        export_name,
        columns,
        criterion,
        crit,
        cases,
        extra_fields=tuple(x.id for x in columns if x is not c),
        notes=notes + _listed(left),
        command=_command(f"rules/{name}.yaml", export_name, options),
    )
    written.options = options
    return written


def _cut(text: str, limit: int = 60) -> str:
    """The start of a header or value, for a case name."""
    return text if len(text) <= limit else text[:limit] + "…"


def _command(rules: str, export: str, options: list[tuple[list[str], str]]) -> str:
    """The qualify command for the export, as a shell reads it."""
    return shlex.join(["leadspec", "qualify", rules, export, "-o", "qualified.csv"] + [w for words, _ in options for w in words])


def _field_line(c: Column) -> list[str]:
    parts = [f"type: {c.type}"]
    if c.header != c.id:
        parts.append(f"source: {_q(c.header)}")
    if c.format:
        parts.append(f"format: {_q(c.format)}")
    if c.choices:
        parts.append("values: [" + ", ".join(_q(v) for v in c.choices) + "]")
    if c.role:
        parts.append(f"role: {c.role}")
    lines = []
    if c.note:
        lines.append(f"  # {c.note}")
    if c.type == "enum":
        lines.append("  # the values seen in the sample: add the others your CRM has (any other value is a bad value)")
    if c.format:
        lines.append(f"  # dates written {c.format!r} in the sample; ISO 8601 (2026-10-02) is read too")
    lines.append(f"  {c.id}: {{{', '.join(parts)}}}")
    return lines


def _write(
    name: str,
    export: str | None,
    columns: list[Column],
    criterion: str,
    expression: str,
    cases: list[tuple[str, dict[str, str], str, str]],
    extra_fields: tuple[str, ...],
    notes: list[str] | None = None,
    command: str | None = None,
) -> Starter:
    """The two files' text; every value taken from the export goes through :func:`_q` (or :func:`_expression`)."""
    qualify = command if command is not None and command.isprintable() else f"leadspec qualify rules/{name}.yaml EXPORT -o qualified.csv"
    rules = [
        f"# {name}: the agreed lead definitions, as a leadspec rule file.",
        "#",
        "# leadspec reads this file, checks it and gives every lead a stage with the",
        "# reasons. Check it with `leadspec check rules/`, run its cases with",
        "# `leadspec test`, qualify an export with",
        f"# `{qualify}`.",
        "# Every key is described in the leadspec documentation, page \"Rule files\";",
        "# the `when:` language in \"Expressions\".",
        "leadspec: 1",
        f"name: {_q(name)}",
        'version: "1"',
        "",
        "# fields: what the rules read from a lead. `source:` is the column header",
        "# (or a dotted path into JSON); without it, the field's name. A value that",
        "# cannot be read as the type is a bad value: the lead gets an issue, and the",
        "# criteria that read it are unknown, never silently false.",
    ]
    if export:
        rules.append(f"# The fields below are the columns of {export if export.isprintable() else repr(export)}, typed from its first rows: check them.")
    rules.append("fields:")
    for c in columns:
        rules += _field_line(c)
    rules += [f"  # {note}" for note in notes or ()]
    # extra_fields are the fields the expression does not read (a name inside its text literal is not read)
    with_role = {c.id for c in columns if c.role}
    unread = [f for f in extra_fields if f not in with_role]
    if unread:
        rules += [
            "",
            "# allow: lint warnings this file accepts, each with the reason. `leadspec check`",
            "# warns about a field that no rule reads; the starter rules read few of them.",
            "# Remove this entry once the rules use them (or remove the fields you do not need).",
            "allow:",
            "  - code: unused-field",
            '    because: "starter file: the rules do not read every declared field yet"',
        ]
    rules += [
        "",
        "# stages: the funnel, first to last. A lead's stage is the last one whose",
        "# condition passes (each needs the one before); none: the base stage, `lead`.",
        "# Add the next stages (mql, sql) below this one, and disqualifiers under",
        "# `disqualify:` (see \"Rule files\").",
        "stages:",
        "  - id: icp",
        "    label: ICP fit",
        "    all:                   # every criterion must pass (also: any, none, at_least)",
        f"      - id: {criterion}",
        f"        when: {_expression(expression)}",
    ]
    tests = [
        f"# Cases for rules/{name}.yaml: a lead, and what it must come out as.",
        "# `leadspec test` runs them (and pytest, through leadspec's plugin). Keys of",
        "# `lead` are the fields' sources (the column headers); `expect` takes stage,",
        "# passed, failed, unknown, scores, flags, missing and issues. Every key is described",
        "# in the leadspec documentation, page \"Rule test files\".",
        f"rules: {name}.yaml",
        "as_of: 2026-01-01T00:00:00Z     # the moment the cases are evaluated at",
        "cases:",
    ]
    for title, lead, stage, outcome in cases:
        # a key of more than 1,024 characters must be written `? KEY : VALUE` in YAML
        shown = "{" + ", ".join(f"{'? ' if len(_q(k)) > 1000 else ''}{_q(k)}: {_q(v)}" for k, v in lead.items()) + "}"
        tests += [
            f"  - name: {_q(title)}",
            f"    lead: {shown}",
            f"    expect: {{stage: {stage}, {outcome}: [icp.{criterion}]}}",
        ]
    return Starter("\n".join(rules) + "\n", "\n".join(tests) + "\n")


def _atomic_write(path: str, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (a temporary file beside it, then renamed)."""
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".leadspec-init-", suffix=".tmp")
    try:
        umask = os.umask(0)  # mkstemp makes the file 0600: give it the mode a new file gets (0666 less the umask)
        os.umask(umask)
        os.fchmod(handle, 0o666 & ~umask)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _ask(question: str, default: str) -> str:
    """Ask on the terminal (standard error), read one line from standard input; an empty answer is the default."""
    io = streams()
    io.err.write(f"{question} [{default}]: " if default else f"{question}: ")
    io.err.flush()
    answer = io.inp.readline()
    return answer.strip() or default


@click.command()
@click.option("--name", help="The rules' name, also the file name: rules/NAME.yaml (default: the export's name, else leads).")
@click.option("--from", "export", type=click.Path(dir_okay=False), help="A sample export (CSV or JSON Lines): one field per column, typed from its first rows.")
@click.option("--dir", "folder", default=".", show_default=True, type=click.Path(file_okay=False), help="Where to write the files.")
@click.option("--force", is_flag=True, help="Overwrite the rule and test files that exist (never a .pre-commit-config.yaml).")
def init(name: str | None, export: str | None, folder: str, force: bool) -> int:
    """Write a starter rule file, its test file and a pre-commit configuration.

    Writes DIR/rules/NAME.yaml, DIR/rules/NAME.test.yaml and
    DIR/.pre-commit-config.yaml, commented. With --from, the fields are
    the export's columns (headers become field ids, `source:` keeps the
    exact header) with types guessed from the first rows; the starter
    stage reads one of them and the test file has cases that pass. The
    files pass `leadspec check --strict` and `leadspec test` as written,
    and the closing `then:` line is the qualify command that reads the
    export (with the options it needs). A rule or test file that exists
    is not overwritten without --force; a .pre-commit-config.yaml that
    exists is never overwritten: init says the hooks to add to it. When
    standard input is a terminal and --name or --from is missing, asks
    for them.

    \b
    Examples:
      leadspec init
      leadspec init --name acme --from export.csv
      leadspec init --name acme --dir crm-rules --force

    Exit codes: 0 written, 2 a file exists (without --force), the export cannot be read or no column of it can be declared.
    """
    io = streams()
    interactive = bool(getattr(io.inp, "isatty", lambda: False)())
    if interactive and export is None:
        export = _ask("A sample export to take the columns from (CSV or JSON Lines; empty: none)", "") or None
    default_name = _slug(os.path.basename(export).split(".")[0]) if export else "leads"
    if name is None:
        name = _ask("Name of the rules", default_name or "leads") if interactive else (default_name or "leads")
    slug = _slug(name)
    if not slug:
        io.err.write(f"--name {name!r}: give a name with letters or digits (it names the file rules/NAME.yaml)\n")
        return EXIT_USAGE
    try:
        files = starter(slug, export)
    except READ_ERRORS as exc:
        assert export is not None
        io.err.write(read_error(export, exc) + "\n")
        return EXIT_USAGE
    except (ValueError, csv.Error) as exc:
        io.err.write(f"{export}: cannot take the columns from it: {exc}\n")
        return EXIT_USAGE
    targets = [
        (os.path.join(folder, "rules", f"{slug}.yaml"), files.rules),
        (os.path.join(folder, "rules", f"{slug}.test.yaml"), files.tests),
    ]
    existing = [path for path, _ in targets if os.path.exists(path)]
    if existing and not force:
        for path in existing:
            io.err.write(f"{path} exists: not overwritten (--force overwrites it)\n")
        io.err.write("nothing written\n")
        return EXIT_USAGE
    for path, text in targets:
        _atomic_write(path, text)
        io.err.write(f"wrote {path}\n")
    config = os.path.join(folder, ".pre-commit-config.yaml")
    if not os.path.lexists(config):
        _atomic_write(config, PRE_COMMIT_CONFIG)
        io.err.write(f"wrote {config}\n")
    elif _has_hooks(config):
        io.err.write(f"kept your {config}: it runs the leadspec hooks already\n")
    else:  # never overwritten, even with --force: it holds the project's other hooks
        io.err.write(f"kept your {config}: add these hooks to it, under `repos:`:\n{HOOKS}")
    rules_dir = os.path.join(folder, "rules")
    io.err.write(f"next: leadspec check {rules_dir} && leadspec test {rules_dir}\n")
    if export is not None:
        io.err.write(f"then: {_command(targets[0][0], export, files.options)}\n")
        for words, why in files.options:
            io.err.write(f"  {shlex.join(words)}: {why}\n")
    return EXIT_OK
