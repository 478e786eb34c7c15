"""``leadspec explain``: one lead's stage and why.

The lead is a JSON object (a file, or standard input), or one row of a CRM
export (CSV, JSON Lines, a JSON array) picked with ``--row N`` (1-based;
a CSV's header line is not a row) or ``--id VALUE`` (looked up in the rules'
id field, ``role: id``, or in ``--id-field COLUMN``).
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import IO, Any, Iterator

import click

from ._common import EXIT_OK, EXIT_USAGE, READ_ERRORS, as_of_option, check_as_of, delimiter_option, load_rules, read_error, streams
from ._io import FORMATS, CsvReader, JsonArrayReader, JsonlReader, Row, closest_column, format_of, missing_columns, nested_columns, open_text, sniff, wrong_delimiter

KINDS = {"csv": "a CSV export", "jsonl": "a JSON Lines export", "json": "a JSON array", "object": "a JSON object"}
"""How each input is named in messages."""


class _Stop(Exception):
    """The command stops: ``args[0]`` is the message for standard error (exit code 2)."""


@click.command()
@click.argument("rules", type=click.Path(dir_okay=False))
@click.argument("lead", required=False, default="-", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--row", type=click.IntRange(min=1), metavar="N", help="Explain row N of an export (from 1; a CSV's header line is not a row).")
@click.option("--id", "lead_id", metavar="VALUE", help="Explain the lead whose id is VALUE (the rules' `role: id` field, or --id-field).")
@click.option("--id-field", metavar="COLUMN", help="The column (or field) --id looks in, instead of the rules' id field.")
@click.option("--input-format", type=click.Choice(FORMATS), help="Format of LEAD (default: a .csv is CSV; otherwise from its first character: { JSON, [ a JSON array).")
@delimiter_option
@click.option("--json", "as_json", is_flag=True, help="Print the whole result as JSON instead.")
@as_of_option
def explain(
    rules: str,
    lead: str,
    row: int | None,
    lead_id: str | None,
    id_field: str | None,
    input_format: str | None,
    delimiter: str,
    as_json: bool,
    as_of: datetime | None,
) -> int:
    """Evaluate one lead and explain its stage: a JSON object (a file, or standard input), or one row of an export.

    An export (CSV, JSON Lines, a JSON array; .gz too) holding more than one
    lead needs --row N (from 1, the header line is not a row) or --id VALUE.

    \b
    Examples:
      leadspec explain rules/b2b-saas.yaml lead.json --as-of 2026-11-01
      echo '{"email": "ana@bigco.example"}' | leadspec explain rules/b2b-saas.yaml --json
      leadspec explain rules/x-education.yaml leads.csv --row 12
      leadspec explain rules/x-education.yaml leads.csv --id 660737

    Exit codes: 0 explained, 2 unreadable or invalid rules, or no such lead.
    """
    if row is not None and lead_id is not None:
        raise click.UsageError("give --row N or --id VALUE, not both")
    if lead_id is not None and not lead_id.strip():  # an empty id is no id: it would find the leads without one
        raise click.UsageError("--id needs a value: the id of the lead to explain")
    if id_field is not None and lead_id is None:
        raise click.UsageError("--id-field names where --id looks: give --id VALUE too")
    out = streams()
    ruleset = load_rules(rules)
    check_as_of([ruleset], as_of)
    column = _id_column(ruleset, id_field) if lead_id is not None else None
    try:
        source = open_text(lead, out.inp)
    except READ_ERRORS as exc:
        out.err.write(read_error(lead, exc) + "\n")
        return EXIT_USAGE
    try:
        kind, rows = _rows(ruleset, lead, source, input_format or (format_of(lead) if lead != "-" else None), delimiter, column, out.err)
        if lead_id is not None:
            assert column is not None
            record = _by_id(lead, kind, rows, column, lead_id, out.err)
        elif row is not None:
            record = _by_row(lead, kind, rows, row)
        else:
            record = _only(lead, kind, rows)
    except _Stop as exc:
        out.err.write(f"{exc.args[0]}\n")
        return EXIT_USAGE
    except READ_ERRORS as exc:
        out.err.write(read_error(lead, exc) + "\n")
        return EXIT_USAGE
    finally:
        if source is not out.inp:
            source.close()
    result = ruleset.evaluate(record, as_of=as_of)
    if as_json:
        out.out.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        out.out.write(result.explain() + "\n")
    return EXIT_OK


def _id_column(ruleset: Any, id_field: str | None) -> str:
    """Where ``--id`` looks: ``--id-field`` (a field's name stands for its source), else the rules' id field's source."""
    fields = ruleset.fields
    name = id_field if id_field is not None else getattr(ruleset.plan, "id_field", None)
    if name is None:
        raise click.UsageError("--id needs to know which column holds the id: mark a field with `role: id` in the rules, or pass --id-field COLUMN")
    spec = fields.get(name)
    return str(spec.source or name) if spec is not None else name


def _rows(ruleset: Any, name: str, source: IO[str], fmt: str | None, delimiter: str, column: str | None, err: IO[str]) -> tuple[str, Iterator[Row]]:
    """What kind of input ``source`` is, and its rows (a JSON object: one row).

    A CSV split at another delimiter stops here; a column the rules read
    and the header lacks is a warning on ``err``, as in qualify (the lead
    is explained: the field is missing).

    ``fmt`` (from --input-format or the name) decides CSV; JSON is told
    from its first character: ``{`` one object, or else JSON Lines; ``[``
    a JSON array.
    """
    if fmt != "csv":
        guess, source = sniff(source)
        fmt = fmt or guess
        if fmt != "csv":
            if guess == "jsonl":  # starts with {: one object, over several lines too, or JSON Lines
                return _objects(name, source.read())
            return fmt, iter(JsonArrayReader(source) if fmt == "json" else JsonlReader(source))
    reader = CsvReader(source, delimiter=delimiter)
    if reader.header_error:
        raise _Stop(f"{name}: {reader.header_error}")
    wrong = wrong_delimiter(ruleset, reader.header, delimiter)
    if wrong is not None:
        raise _Stop(f"{name}: {wrong}")
    for message in missing_columns(ruleset, reader.header):
        err.write(f"{name}: warning: {message}\n")
    if column is not None and column not in reader.header and column.split(".")[0] not in reader.header:
        close = closest_column(column, reader.header)
        hint = f"; the closest header is {close!r}" if close else ""
        raise _Stop(f"{name}: --id looks in column {column!r}, which the header does not have{hint}")
    reader.json_columns = nested_columns(ruleset, reader.header)
    return "csv", iter(reader)


def _objects(name: str, text: str) -> tuple[str, Iterator[Row]]:
    """Text that starts with ``{``: one JSON object (over several lines too), else JSON Lines."""
    try:
        record = json.loads(text)
    except RecursionError:
        if sum(1 for line in text.splitlines() if line.strip()) <= 1:
            raise _Stop(f"{name}: not JSON: nested too deeply") from None
    except ValueError as exc:
        if sum(1 for line in text.splitlines() if line.strip()) <= 1:
            raise _Stop(f"{name}: not JSON: {exc}") from None
    else:
        return "object", iter([Row(1, 1, record, record)] if isinstance(record, dict) else [Row(1, 1, None, record, _not_object(record))])
    return "jsonl", iter(JsonlReader(io.StringIO(text, newline="")))


def _not_object(value: Any) -> str:
    return f"a lead is a JSON object, not {type(value).__name__}"


def _lead(name: str, row: Row) -> dict[str, Any]:
    """The lead of ``row``, or stop: the row cannot be read."""
    if row.error is not None or row.lead is None:
        raise _Stop(f"{name}:{row.line}: row {row.number} is not a lead: {row.error}")
    return row.lead


def _only(name: str, kind: str, rows: Iterator[Row]) -> dict[str, Any]:
    """The one lead of the input; an export of several says how to pick one."""
    first = next(rows, None)
    if first is None:
        raise _Stop(f"{name}: {KINDS[kind]} without a lead")
    count = 1 + sum(1 for _ in rows)
    if count == 1:
        if kind == "object" and first.error is not None:
            raise _Stop(f"{name}: {first.error}")
        return _lead(name, first)
    raise _Stop(f"{name}: this is {KINDS[kind]} with {count:,} rows: pick one with --row N or --id VALUE")


def _by_row(name: str, kind: str, rows: Iterator[Row], number: int) -> dict[str, Any]:
    """The lead of row ``number`` (from 1, as qualify numbers rows in its messages)."""
    count = 0
    for row in rows:
        count = row.number
        if row.number == number:
            return _lead(name, row)
    header = " after its header" if kind == "csv" else ""
    raise _Stop(f"{name}: no row {number:,}: {KINDS[kind]} with {count:,} row{'s' if count != 1 else ''}{header}")


def _value_at(lead: dict[str, Any], column: str) -> Any:
    """The value of ``column`` in ``lead``: a key of that name, or else the dotted path into nested objects."""
    if column in lead:
        return lead[column]
    value: Any = lead
    for key in column.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _same(value: Any, wanted: str) -> bool:
    """Whether an id value read from the export is ``wanted`` as typed (123 is 123, "123" and 123.0)."""
    if value is None or isinstance(value, (dict, list)):
        return False
    if isinstance(value, bool):
        return str(value).lower() == wanted.strip().lower()
    if isinstance(value, (int, float)):
        try:
            return float(wanted) == value
        except ValueError:
            return False
    return str(value).strip() == wanted.strip()


def _by_id(name: str, kind: str, rows: Iterator[Row], column: str, wanted: str, err: IO[str]) -> dict[str, Any]:
    """The first lead whose ``column`` is ``wanted``; several: that one, and standard error says how many matched."""
    found: list[Row] = []
    read = unreadable = 0
    other_case: str | None = None  # an id that differs only in case, for the message when none matches
    for row in rows:
        read += 1
        if row.lead is None:
            unreadable += 1
            continue
        value = _value_at(row.lead, column)
        if _same(value, wanted):
            found.append(row)
        elif other_case is None and isinstance(value, str) and value.strip().lower() == wanted.strip().lower():
            other_case = value.strip()
    if not found:
        extra = f", {unreadable:,} of them unreadable" if unreadable else ""
        hint = f"; did you mean --id {other_case}? (ids are matched exactly)" if other_case is not None else ""
        raise _Stop(f"no lead with {column} = {wanted} in {name} ({read:,} row{'s' if read != 1 else ''} read{extra}){hint}")
    if len(found) > 1:
        numbers = [str(row.number) for row in found[:10]]
        listed = ", ".join(numbers[:-1]) + " and " + numbers[-1] + (", …" if len(found) > 10 else "")
        err.write(f"{name}: {len(found):,} leads have {column} = {wanted} (rows {listed}): explained the first, row {found[0].number}\n")
    return found[0].lead or {}
