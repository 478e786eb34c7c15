"""``leadspec init``: write a starter rule file, its test file and a pre-commit configuration.

With ``--from EXPORT`` the fields are the export's columns (CSV or JSON
Lines), each with a type guessed from the first rows; the starter stage
reads one of them, and the test file has cases that pass against it. The
files are commented to teach the format; they pass ``leadspec check
--strict`` and ``leadspec test`` as written.
"""

from __future__ import annotations

import csv
import itertools
import json
import keyword
import os
import re
import statistics
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator

import click

from ._common import EXIT_OK, EXIT_USAGE, READ_ERRORS, read_error, streams
from ._io import format_of, open_text

SAMPLE_ROWS = 20_000
"""How many rows of the export the types (and the values of an enum) are taken from."""

ENUM_MAX = 12
"""A text column with at most this many distinct values (each seen at least twice) becomes an enum."""

DATE_FORMATS = ("%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y", "%m-%d-%Y")
"""The date patterns tried on a column that is not ISO 8601, in this order (the first that reads every value wins)."""

DATETIME_FORMATS = ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M", "%Y/%m/%d %H:%M:%S")
"""The date-and-time patterns tried, likewise."""

_YAML_WORDS = {"y", "yes", "n", "no", "true", "false", "on", "off", "null", "none"}
"""Ids a YAML reader would take for a boolean or null as a key."""

_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?")
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


def read_sample(path: str, rows: int = SAMPLE_ROWS) -> tuple[list[str], list[list[str]], str | None]:
    """The header, the first ``rows`` rows (as text) and the CSV delimiter (None: JSON Lines) of an export; raises ValueError or OSError."""
    fmt = format_of(path)
    with open_text(path, streams().inp) as handle:
        if fmt in ("jsonl", "json"):
            if fmt == "json":
                raise ValueError("a JSON array is not read here: give a CSV or JSON Lines (.jsonl) sample")
            headers: dict[str, None] = {}
            records: list[dict[str, Any]] = []
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError(f"line {number} is not a JSON object")
                flat = dict(_flatten(record))
                headers.update(dict.fromkeys(flat))
                records.append(flat)
                if len(records) >= rows:
                    break
            if not records:
                raise ValueError("no record: the file is empty")
            header = list(headers)
            return header, [[_text(r.get(h)) for h in header] for r in records], None
        first = handle.readline()
        while first and not first.strip():  # blank lines before the header
            first = handle.readline()
        try:
            delimiter = csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
        reader = csv.reader(itertools.chain([first], handle), delimiter=delimiter)
        header = next(reader, [])
        if not header:
            raise ValueError("the file is empty: no header line")
        out: list[list[str]] = []
        for row in reader:
            if not row:
                continue
            out.append((row + [""] * len(header))[: len(header)])
            if len(out) >= rows:
                break
    return header, out, delimiter


def _all_read(values: list[str], pattern: str) -> bool:
    for value in values:
        try:
            datetime.strptime(value, pattern)
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
    elif all(_ISO_DATE.fullmatch(v) for v in seen):
        column.type = "date"
    elif all(_ISO_DATETIME.fullmatch(v) for v in seen):
        column.type = "datetime"
    elif all(_json_list(v) for v in seen):
        column.type = "list"
    elif (pattern := next((p for p in DATE_FORMATS if _all_read(seen, p)), None)) is not None:
        column.type, column.format = "date", pattern
    elif (pattern := next((p for p in DATETIME_FORMATS if _all_read(seen, p)), None)) is not None:
        column.type, column.format = "datetime", pattern
    else:
        distinct = list(dict.fromkeys(v.casefold() for v in seen))
        if 2 <= len(distinct) <= ENUM_MAX and len(seen) >= 2 * len(distinct):
            spelled: dict[str, str] = {}
            for v in seen:
                spelled.setdefault(v.casefold(), v)
            column.type = "enum"
            counts = {k: sum(1 for v in seen if v.casefold() == k) for k in distinct}
            column.choices = sorted(spelled.values(), key=lambda v: -counts[v.casefold()])


def _q(text: str) -> str:
    """``text`` as a YAML scalar that reads back exactly (a JSON string is a YAML double-quoted one)."""
    return json.dumps(text, ensure_ascii=False)


@dataclass
class Starter:
    """The starter files' contents."""

    rules: str
    tests: str
    delimiter: str | None = None  # the export's CSV delimiter when it is not a comma: qualify needs --delimiter


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


def starter(name: str, export: str | None) -> Starter:
    """The starter rule file and test file for ``name``, with the fields of ``export``'s columns when given."""
    if export is None:
        return _default_starter(name)
    header, rows, delimiter = read_sample(export)
    taken: set[str] = set()
    columns: list[Column] = []
    notes: list[str] = []
    repeated = {title for title in header if header.count(title) > 1}
    for i, title in enumerate(header, 1):
        if not title.strip():
            notes.append(f"column {i} has no header: a field cannot name it as its source, so it is not declared")
            continue
        if title in repeated:
            if header.index(title) == i - 1:
                where = ", ".join(str(j + 1) for j, t in enumerate(header) if t == title)
                notes.append(f"the header {title!r} is in columns {where}: rename them in the export to read them (not declared)")
            continue
        columns.append(Column(title, field_id(title, i, taken), [row[i - 1] for row in rows]))
    for column in columns:
        guess(column)
    for column in columns:  # the lead's identifier: a column named like an id, unique in the sample
        values = [v for v in column.values if v.strip()]
        if (
            column.type in ("string", "integer")
            and re.search(r"(^|_)(id|number|key)$", column.id)
            and values
            and len(set(values)) == len(values) == len(column.values)
        ):
            # the first is the lead's id; another (a CRM's second key) is kept for reports, never a criterion
            column.role = "output" if any(c.role == "id" for c in columns) else "id"
    export_name = os.path.basename(export)
    usable = [c for c in columns if c.role is None]
    # a number worth a threshold: at least three different values (0/1 is an outcome or a flag, not a size)
    numeric = [c for c in usable if c.type in ("integer", "number") and len({v.strip() for v in c.values if v.strip()}) >= 3]
    enums = [c for c in usable if c.type == "enum" and len(c.choices) >= 2]
    booleans = [c for c in usable if c.type == "boolean"]
    if delimiter not in (None, ","):
        notes.append(f"the export is separated by {delimiter!r}: qualify it with --delimiter {delimiter!r}")
    if numeric:
        c = numeric[0]
        numbers = sorted(float(v) for v in c.values if v.strip())
        mid = statistics.median_low(numbers)
        at = next(v.strip() for v in c.values if v.strip() and float(v) == mid)
        below = [v.strip() for v in c.values if v.strip() and float(v) < mid]
        low = below[0] if below else str(int(mid) - 1 if c.type == "integer" else mid - 1)
        crit = f"{c.id} >= {at}"
        cases = [
            (f"{c.header} {at} (the median of the sample) passes", {c.header: at}, "icp", "passed"),
            (f"{c.header} {low} is below", {c.header: low}, "lead", "failed"),
            (f"{c.header} not given: the criterion is unknown", {}, "lead", "unknown"),
        ]
        criterion = "big_enough"
    elif enums:
        c = enums[0]
        top, other = c.choices[0], c.choices[1]
        crit = f"{c.id} == {_q(top)}"
        cases = [
            (f"{c.header} {top} passes", {c.header: top}, "icp", "passed"),
            (f"{c.header} {other} does not", {c.header: other}, "lead", "failed"),
            (f"{c.header} not given: the criterion is unknown", {}, "lead", "unknown"),
        ]
        criterion = "right_kind"
    elif booleans:
        c = booleans[0]
        crit = c.id
        cases = [
            (f"{c.header} yes passes", {c.header: "yes"}, "icp", "passed"),
            (f"{c.header} no does not", {c.header: "no"}, "lead", "failed"),
            (f"{c.header} not given: the criterion is unknown", {}, "lead", "unknown"),
        ]
        criterion = "flagged"
    else:
        c = usable[0] if usable else columns[0]
        sample = next((v.strip() for v in c.values if v.strip()), "x")
        crit = f"has({c.id})"
        cases = [
            (f"{c.header} given passes", {c.header: sample}, "icp", "passed"),
            (f"{c.header} not given does not", {}, "lead", "failed"),
        ]
        criterion = "known"
    written = _write(name, export_name, columns, criterion, crit, cases, extra_fields=tuple(x.id for x in columns if x is not c), notes=notes)
    if delimiter not in (None, ","):
        written.delimiter = delimiter
    return written


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
) -> Starter:
    rules = [
        f"# {name}: the agreed lead definitions, as a leadspec rule file.",
        "#",
        "# leadspec reads this file, checks it and gives every lead a stage with the",
        "# reasons. Check it with `leadspec check rules/`, run its cases with",
        "# `leadspec test`, qualify an export with",
        f"# `leadspec qualify rules/{name}.yaml EXPORT -o qualified.csv`.",
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
        rules.append(f"# The fields below are the columns of {export}, typed from its first rows: check them.")
    rules.append("fields:")
    for c in columns:
        rules += _field_line(c)
    rules += [f"  # {note}" for note in notes or ()]
    read = expression
    unread = [f for f in extra_fields if not re.search(rf"\b{re.escape(f)}\b", read) and not any(c.id == f and c.role for c in columns)]
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
        f"        when: {expression}",
    ]
    tests = [
        f"# Cases for rules/{name}.yaml: a lead, and what it must come out as.",
        "# `leadspec test` runs them (and pytest, through leadspec's plugin). Keys of",
        "# `lead` are the fields' sources (the column headers); `expect` takes stage,",
        "# passed, failed, unknown, scores, missing and issues. Every key is described",
        "# in the leadspec documentation, page \"Rule test files\".",
        f"rules: {name}.yaml",
        "as_of: 2026-01-01T00:00:00Z     # the moment the cases are evaluated at",
        "cases:",
    ]
    for title, lead, stage, outcome in cases:
        shown = "{" + ", ".join(f"{_q(k)}: {_q(v)}" for k, v in lead.items()) + "}"
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
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
def init(name: str | None, export: str | None, folder: str, force: bool) -> int:
    """Write a starter rule file, its test file and a pre-commit configuration.

    Writes DIR/rules/NAME.yaml, DIR/rules/NAME.test.yaml and
    DIR/.pre-commit-config.yaml, commented. With --from, the fields are
    the export's columns (headers become field ids, `source:` keeps the
    exact header) with types guessed from the first rows; the starter
    stage reads one of them and the test file has cases that pass. The
    files pass `leadspec check --strict` and `leadspec test` as written.
    A file that exists is not overwritten without --force. When standard
    input is a terminal and --name or --from is missing, asks for them.

    \b
    Examples:
      leadspec init
      leadspec init --name acme --from export.csv
      leadspec init --name acme --dir crm-rules --force

    Exit codes: 0 written, 2 a file exists (without --force) or the export cannot be read.
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
        (os.path.join(folder, ".pre-commit-config.yaml"), PRE_COMMIT_CONFIG),
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
    rules_dir = os.path.join(folder, "rules")
    io.err.write(f"next: leadspec check {rules_dir} && leadspec test {rules_dir}\n")
    if files.delimiter is not None:
        shown = "tab" if files.delimiter == "\t" else repr(files.delimiter)
        io.err.write(f"then: leadspec qualify {targets[0][0]} {export} -o qualified.csv --delimiter {shown}  ({export} is {shown}-separated)\n")
    return EXIT_OK
