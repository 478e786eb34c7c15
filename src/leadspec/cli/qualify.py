"""``leadspec qualify``: give every lead of a CRM export a stage and the reasons.

The input is read, evaluated and written in batches, so memory stays flat
whatever the size of the file; with ``--jobs N`` the batches are evaluated
and rendered by N worker processes and written in input order. Every row
read is either written or rejected (a malformed record, or a bad value
with ``--strict``), and the closing summary says so.
"""

from __future__ import annotations

import difflib
import io
import json
import multiprocessing
import sys
import time
from collections import Counter, deque
from datetime import datetime, timezone
from typing import IO, Any, Iterable, Iterator

import click

from ..errors import LeadError
from ._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, READ_ERRORS, as_of_option, load_rules, read_error, streams
from ._io import FORMATS, CsvReader, JsonlReader, Row, Unwritable, Writer, chunks, format_of, open_text, reader_for, sniff

BATCH = 2000  # records per unit of work (fewer hand-offs between processes)
IN_FLIGHT = 4  # batches per worker queued ahead (bounds memory)

# -- the work on one batch (in this process or a worker) -------------------------------

_state: dict[str, Any] = {}


def _columns(rules: Any) -> list[str]:
    """The columns a CSV lead needs: what the rules read (the row is written back whole)."""
    sources = [spec.source or name for name, spec in rules.fields.items()]
    return sorted(set(sources) | {source.split(".")[0] for source in sources})


def _setup(rules: Any, writer: Writer, as_of: datetime, strict: bool, header: list[str]) -> None:
    _state.update(rules=rules, writer=writer, as_of=as_of, strict=strict, header=header, columns=_columns(rules))


def _rows_of(unit: tuple[Any, ...]) -> Iterable[Row]:
    kind = unit[0]
    if kind == "rows":
        return unit[1]  # type: ignore[no-any-return]
    first_line, text = unit[1], unit[2]
    if kind == "csv":
        return CsvReader(io.StringIO(text, newline=""), header=_state["header"], first_line=first_line, columns=_state["columns"])
    return JsonlReader(io.StringIO(text), first_line=first_line)


def _work(unit: tuple[Any, ...]) -> tuple[str, dict[str, int], int, list[tuple[Any, ...]], int]:
    """Parse, evaluate and render one unit of input.

    Returns the text to write, the leads per stage, how many had data
    issues, the rejected rows ``(number in the unit, line, reason,
    original)`` and how many rows were read.
    """
    rules, writer, as_of, strict = _state["rules"], _state["writer"], _state["as_of"], _state["strict"]
    texts: list[str] = []
    stages: Counter[str] = Counter()
    rejects: list[tuple[Any, ...]] = []
    issues = read = 0
    evaluate, render = rules.evaluate, writer.row
    for row in _rows_of(unit):
        read += 1  # rejects are numbered within the unit: the caller knows where it starts
        if row.error is not None or row.lead is None:
            rejects.append((read, row.line, row.error, row.original))
            continue
        try:
            result = evaluate(row.lead, as_of=as_of, strict=strict)
        except LeadError as exc:
            reason = "; ".join(f"{i.get('field') or i.get('criterion')}: {i['message']} ({i.get('value')!r})" for i in exc.issues)
            rejects.append((read, row.line, reason or str(exc), row.original))
            continue
        try:
            texts.append(render(row.original, row.lead, result.stage, result.summary(), result.to_dict() if writer.details else None, row.text))
        except Unwritable as exc:
            rejects.append((read, row.line, str(exc), row.original))
            continue
        stages[result.stage] += 1
        issues += bool(result._issues)
    joiner = ",\n" if writer.fmt == "json" else ""
    return joiner.join(texts), dict(stages), issues, rejects, read


def _units(reader: Any, fmt: str, source: IO[str], rows: Iterator[Row] | None, jobs: int, columns: list[str]) -> Iterator[tuple[Any, ...]]:
    """The input in units of about BATCH records.

    With worker processes, CSV and JSON Lines go as text, cut at record
    ends and parsed where they are evaluated; otherwise as rows.
    """
    if rows is None and fmt == "csv" and jobs <= 1:  # parse once, here, keeping each record's text
        rows = iter(CsvReader(source, header=reader.header, first_line=reader._reader.line_num + 1, columns=columns))
    if rows is None and fmt in ("csv", "jsonl"):
        first_line = reader._reader.line_num + 1 if fmt == "csv" else 1
        for line, text in chunks(source, first_line, BATCH, csv_format=fmt == "csv"):
            yield (fmt, line, text)
        return
    batch: list[Row] = []
    for row in rows if rows is not None else iter(reader):
        batch.append(row)
        if len(batch) >= BATCH:
            yield ("rows", batch)
            batch = []
    if batch:
        yield ("rows", batch)


def _results(units: Iterator[tuple[Any, ...]], jobs: int, setup: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    """Processed units in input order; at most IN_FLIGHT × jobs units in memory."""
    if jobs <= 1:
        _setup(*setup)
        for unit in units:
            yield _work(unit)
        return
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    with context.Pool(jobs, initializer=_setup, initargs=setup) as pool:
        pending: deque[Any] = deque()
        for unit in units:
            pending.append(pool.apply_async(_work, (unit,)))
            if len(pending) >= IN_FLIGHT * jobs:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


# -- the command ------------------------------------------------------------------------


def _missing_columns(rules: Any, header: list[str]) -> list[str]:
    """Messages for fields whose source column the CSV header lacks."""
    messages = []
    columns = set(header)
    for name, spec in rules.fields.items():
        source = spec.source or name
        if spec.default is not None:  # a field with a default is meant to be absent sometimes
            continue
        if source in columns or ("." in source and source.split(".")[0] in columns):
            continue
        close = difflib.get_close_matches(source, header, n=1, cutoff=0.6)
        hint = f"; the closest header is {close[0]!r}" if close else ""
        messages.append(f"field {name!r} reads column {source!r}, which the header does not have{hint}")
    return messages


class _Progress:
    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.enabled = stream.isatty() if hasattr(stream, "isatty") else False
        self.started = self.last = time.monotonic()

    def update(self, rows: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last >= 0.5:
            self.last = now
            rate = rows / max(now - self.started, 1e-9)
            self.stream.write(f"\rqualify: {rows:,} rows ({rate:,.0f} rows/s)")
            self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 60 + "\r")


@click.command()
@click.argument("rules", type=click.Path(dir_okay=False))
@click.argument("input", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", default="-", type=click.Path(dir_okay=False, allow_dash=True), help="Where to write (default: standard output).")
@click.option("--input-format", type=click.Choice(FORMATS), help="Format of INPUT (default: from its extension; guessed for standard input).")
@click.option("--output-format", type=click.Choice(FORMATS), help="Format of the output (default: from its extension, else INPUT's format).")
@click.option("--details", is_flag=True, help="Add the whole result as JSON (CSV: a details column; JSON: a nested object).")
@as_of_option
@click.option("--strict", is_flag=True, help="Reject leads with a bad value instead of evaluating them with that field missing.")
@click.option("--rejects", type=click.Path(dir_okay=False), help="Write rejected rows here (JSON Lines: row, line, reason, record) instead of listing them on stderr.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes; the output keeps the input order.")
@click.option("--allow-missing-columns", is_flag=True, help="Go on when the CSV header lacks a column a field reads (that field is then always missing).")
def qualify(
    rules: str,
    input: str,
    output: str,
    input_format: str | None,
    output_format: str | None,
    details: bool,
    as_of: datetime | None,
    strict: bool,
    rejects: str | None,
    jobs: int,
    allow_missing_columns: bool,
) -> int:
    """Evaluate every lead of INPUT (CSV, JSON Lines or a JSON array; .gz too) and write it with its stage.

    Every input column is kept, in order, and `stage` and `reasons` (a
    one-line explanation) are added. A summary (rows read, written,
    rejected, leads per stage) goes to standard error.

    \b
    Examples:
      leadspec qualify rules/x-education.yaml leads.csv -o qualified.csv
      leadspec qualify rules/b2b-saas.yaml - --input-format jsonl < leads.jsonl > out.jsonl
      leadspec qualify rules/b2b-saas.yaml leads.csv.gz -o out.csv --strict --rejects rejects.jsonl --jobs 2

    Exit codes: 0 every row written, 1 rows were rejected, 2 usage or input error.
    """
    io = streams()
    ruleset = load_rules(rules)
    moment = as_of or datetime.now(timezone.utc)
    fmt = input_format or (format_of(input) if input != "-" else None)
    if input != "-" and fmt is None:
        raise click.UsageError(f"cannot tell the format of {input!r} from its name; use --input-format csv|jsonl|json")
    try:
        source = open_text(input, io.inp)
    except OSError as exc:
        io.err.write(read_error(input, exc) + "\n")
        return EXIT_USAGE
    try:
        if fmt is None:
            fmt, source = sniff(source)
        reader = reader_for(fmt, source)
        if reader.header_error:
            io.err.write(f"{input}: {reader.header_error}\n")
            return EXIT_USAGE
        if fmt == "csv":
            problems = _missing_columns(ruleset, reader.header)
            for message in problems:
                io.err.write(f"{input}: {message}\n")
            if problems and not allow_missing_columns:
                io.err.write(f"{input}: stopped before reading any row (--allow-missing-columns goes on anyway)\n")
                return EXIT_USAGE
        out_fmt = output_format or (format_of(output) if output != "-" else None) or fmt
        return _run(ruleset, reader, fmt, out_fmt, input, output, details, moment, strict, rejects, jobs, io, source)
    except READ_ERRORS as exc:  # unreadable, a truncated .gz, not UTF-8
        io.err.write(read_error(input, exc) + "\n")
        return EXIT_USAGE
    finally:
        if source is not io.inp:
            source.close()


def _open_output(output: str, io: Any) -> IO[str]:
    if output == "-":
        return io.out  # type: ignore[no-any-return]
    if output.endswith(".gz"):
        import gzip

        return gzip.open(output, "wt", encoding="utf-8", newline="")
    return open(output, "w", encoding="utf-8", newline="")


def _run(
    ruleset: Any,
    reader: Any,
    in_fmt: str,
    out_fmt: str,
    input: str,
    output: str,
    details: bool,
    as_of: datetime,
    strict: bool,
    rejects: str | None,
    jobs: int,
    io: Any,
    source: IO[str],
) -> int:
    rows: Iterator[Row] | None = None
    header = list(reader.header)
    if out_fmt == "csv" and in_fmt != "csv":  # JSON in, CSV out: columns of the first object
        rows = iter(reader)
        skipped: list[Row] = []
        first = next(rows, None)
        while first is not None and first.lead is None:  # a rejected record has no columns to give
            skipped.append(first)
            first = next(rows, None)
        if first is not None:
            header = list(first.lead or {})
        rows = _chain(skipped + ([first] if first is not None else []), rows)
    if out_fmt != "csv" and in_fmt == "csv" and len(set(header)) != len(header):
        twice = sorted({name for name in header if header.count(name) > 1})
        io.err.write(f"{input}: columns {', '.join(map(repr, twice))} appear twice in the header; JSON needs one key per column (write CSV to keep both)\n")
        return EXIT_USAGE
    writer = Writer(out_fmt, header, details)
    try:
        sink = _open_output(output, io)
        reject_sink = open(rejects, "w", encoding="utf-8") if rejects else None
    except OSError as exc:
        io.err.write(f"{exc.filename}: cannot write: {exc.strerror}\n")
        return EXIT_USAGE
    stages: Counter[str] = Counter()
    read = written = rejected = with_issues = 0
    progress = _Progress(io.err)
    units = _units(reader, in_fmt, source, rows, jobs, _columns(ruleset))
    try:
        sink.write(writer.start())
        for block, unit_stages, unit_issues, unit_rejects, unit_read in _results(units, jobs, (ruleset, writer, as_of, strict, header)):
            if block:
                sink.write(writer.separator(written == 0) + block)
            for number, line, reason, original in unit_rejects:
                number += read  # numbers in the unit, from its first row
                if reject_sink is not None:
                    record = original if isinstance(original, (dict, list, str)) or original is None else repr(original)
                    reject_sink.write(json.dumps({"row": number, "line": line, "reason": reason, "record": record}, ensure_ascii=False) + "\n")
                else:
                    io.err.write(f"{input}:{line}: row {number} rejected: {reason}\n")
            read += unit_read
            rejected += len(unit_rejects)
            written += unit_read - len(unit_rejects)
            stages.update(unit_stages)
            with_issues += unit_issues
            progress.update(read)
        sink.write(writer.end(written > 0))
        sink.flush()
    except BrokenPipeError:  # whoever reads the output stopped (`| head`): stop too, quietly
        io.err.write(f"output closed after {written:,} row{'s' if written != 1 else ''}; stopped\n")
        return EXIT_OK
    finally:
        progress.done()
        if sink is not io.out:
            sink.close()
        if reject_sink is not None:
            reject_sink.close()
    per_stage = ", ".join(f"{stage} {stages[stage]:,}" for stage in ruleset.stage_ids if stages[stage])
    summary = f"{read:,} row{'s' if read != 1 else ''} read, {written:,} written, {rejected:,} rejected"
    if per_stage:
        summary += f" ({per_stage})"
    if with_issues:
        summary += f"; {with_issues:,} with data issues"
    io.err.write(summary + "\n")
    return EXIT_FAILED if rejected else EXIT_OK


def _chain(first: list[Row], rest: Iterator[Row]) -> Iterator[Row]:
    yield from first
    yield from rest


__all__ = ["qualify"]
