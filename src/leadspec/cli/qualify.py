"""``leadspec qualify``: give every lead of a CRM export a stage and the reasons.

The input is read, evaluated and written in batches, so memory stays flat
whatever the size of the file; with ``--jobs N`` the batches are evaluated
and rendered by N processes (this one and N - 1 workers) and written in
input order. Every row
read is either written or rejected (a malformed record, or a bad value
with ``--strict``), and the closing summary says so.
"""

from __future__ import annotations

import difflib
import functools
import io
import itertools
import json
import os
import signal
import sqlite3
import stat
import threading
import time
from collections import Counter, deque
from datetime import datetime, timezone
from typing import IO, Any, Generator, Iterable, Iterator, NamedTuple

import click

from .. import Previous
from ..errors import LeadError, LeadspecError
from ._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, READ_ERRORS, as_of_option, check_as_of, delimiter_option, load_rules, read_error, same_file, streams
from ._io import (
    FORMATS,
    CsvReader,
    JsonlReader,
    Output,
    OutputError,
    Row,
    Unwritable,
    Writer,
    chunks,
    dumps,
    finite,
    flatten,
    format_of,
    missing_columns,
    nested_columns,
    open_text,
    reader_for,
    sniff,
    wrong_delimiter,
)
from ._native import OUTPUTS, TABLE, Native, Redo
from ._previous import HANDOFF_COLUMNS, PreviousError, PreviousIndex, key_text
from ._pool import STOP_SIGNALS, Pool, WorkerDied

BATCH = 2000  # records per unit of work (fewer hand-offs between processes)
DUCKDB_BATCH = 20_000  # records per DuckDB query (--engine duckdb: a query costs a few milliseconds to plan)
AUTO_BYTES: int | None = 150_000_000
"""--engine auto: CSV and JSON inputs of at least this many bytes go to DuckDB (when installed), smaller ones to Python;
None: none by size (Parquet always goes to DuckDB). Measured (docs/command-line.md, "The DuckDB engine"): on the X Education
rules the DuckDB engine is the faster one from about 450,000 rows (117 MB) with one thread and 800,000 rows (200 MB) with
two."""
ENGINES = ("python", "duckdb", "auto")
IN_FLIGHT = 4  # with --jobs N: at most IN_FLIGHT × N batches held, done or with a worker (bounds memory)
QUEUED = 3  # batches each worker is kept ahead before this process does one itself
TOP_ISSUES = 10  # data issues listed in the summary
SHOWN_REJECTS = 20  # rejects listed on standard error without --rejects

# -- the work on one batch (in this process or a worker) -------------------------------

_state: dict[str, Any] = {}


class NameClash(Exception):
    """A JSON record has a key that qualify would overwrite (stage, reasons, details)."""


class EngineRefused(Exception):
    """The DuckDB engine cannot compute these rules on the input's column types as Python does (``args[0]``: the
    ``DialectError``'s text): said, exit 2, as a refusal found when the engine was chosen."""


def _columns(rules: Any) -> list[str]:
    """The columns a CSV lead needs: what the rules read (the row is written back whole)."""
    sources = [spec.source or name for name, spec in rules.fields.items()]
    return sorted(set(sources) | {source.split(".")[0] for source in sources})


def _watched(rules: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    """Fields to watch for a value: ``(name, source, path)`` of every field without a default."""
    return [(name, spec.source or name, tuple((spec.source or name).split("."))) for name, spec in rules.fields.items() if spec.default is None]


def _absent(lead: dict[str, Any], source: str, path: tuple[str, ...]) -> bool:
    """Whether ``lead`` has no value at ``source`` (absent, null or blank text)."""
    value: Any = lead.get(source)
    if value is None and len(path) > 1:
        value = lead
        for key in path:
            if not isinstance(value, dict):
                return True
            value = value.get(key)
    return value is None or (isinstance(value, str) and not value.strip())


class Tracking(NamedTuple):
    """--previous: the previous output's index, the key column, and whether unchanged rows are left out."""

    store: PreviousIndex
    key: str
    only_changed: bool
    previous_name: str


def _key_of(row: Row, key: str, at: int | None) -> str | None:
    """The lead's key (--key): its cell in a CSV row (at ``at``), or its value in a JSON record."""
    original = row.original
    if isinstance(original, list):
        return key_text(original[at]) if at is not None and at < len(original) else None
    return key_text(original.get(key)) if isinstance(original, dict) else None


@functools.lru_cache(maxsize=1024)
def _moment_text(moment: datetime | None) -> str | None:
    """A moment as ISO 8601 text in UTC; remembered: the leads of one nightly run share a few ``since`` and due times."""
    return None if moment is None else moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _setup(
    rules: Any,
    writer: Writer,
    as_of: datetime,
    strict: bool,
    header: list[str],
    json_columns: list[str],
    delimiter: str = ",",
    engine: str = "python",
    tracking: Tracking | None = None,
    by_position: bool = False,
) -> None:
    """What every unit's work needs, in this process and in each worker. ``by_position``: CSV rows are evaluated from
    their values by the column's place in the header (``Ruleset.row_evaluator``): the reader builds no lead dict."""
    _state.pop("qualifier", None)  # a DuckDB connection is never carried over a fork: each process opens its own
    _state.update(
        tracking=tracking,
        key_at=header.index(tracking.key) if tracking is not None and tracking.key in header else None,
    )
    _state.update(
        engine=engine,
        rules=rules,
        writer=writer,
        as_of=as_of,
        strict=strict,
        header=header,
        columns=[] if by_position else _columns(rules),
        json_columns=json_columns,
        watched=_watched(rules),
        delimiter=delimiter,
        evaluate_row=rules.row_evaluator(header) if by_position else None,
    )


def _rows_of(unit: tuple[Any, ...]) -> Iterable[Row]:
    kind = unit[0]
    if kind == "rows":
        return unit[1]  # type: ignore[no-any-return]
    first_line, text = unit[1], unit[2]
    if kind == "csv":
        return CsvReader(
            io.StringIO(text, newline=""),
            header=_state["header"],
            first_line=first_line,
            columns=_state["columns"],
            json_columns=_state["json_columns"],
            delimiter=_state["delimiter"],
        )
    return JsonlReader(io.StringIO(text, newline=""), first_line=first_line)


class Done(NamedTuple):
    """What one unit of input gave."""

    text: str  # to write
    stages: dict[str, int]
    with_issues: int  # rows with data issues
    rejects: list[tuple[Any, ...]]  # (number in the unit, line, reason, record, raw text, stop)
    read: int
    issues: dict[tuple[str, str], int]  # (field, message): rows
    absent: list[str] | None  # fields no evaluated row had a value for (None: no row evaluated)
    keys: list[str] = []  # --previous: the key of every row read (for the leads removed since, and the duplicates)
    transitions: dict[str, int] = {}  # --previous: "new", "same", "mql → sql": rows
    waiting: dict[str, tuple[int, int]] = {}  # --previous: owner -> (leads due and not touched, of them overdue)
    skipped: int = 0  # --only-changed: rows whose stage did not change, not written
    dropped: int = 0  # --previous: rejected rows whose lead the previous output has


def _work(unit: tuple[Any, ...]) -> Done:
    """Parse, evaluate and render one unit of input; a record is the unit of failure."""
    if _state.get("engine") == "duckdb":
        return _work_duckdb(unit)
    rules, writer, as_of, strict = _state["rules"], _state["writer"], _state["as_of"], _state["strict"]
    watched = _state["watched"]
    if writer.plain and _state.get("tracking") is None:
        return _work_plain(unit, rules, writer, as_of, strict, watched)
    texts: list[str] = []
    stages: dict[str, int] = {}
    issues: Counter[tuple[str, str]] = Counter()
    rejects: list[tuple[Any, ...]] = []
    with_issues = read = evaluated = 0
    evaluate, render, plain_row = rules.evaluate, writer.row, writer.plain_row
    added = writer.added
    details = writer.details
    flagged = bool(writer.flags)
    laid_out = writer.layout is not None
    tracking: Tracking | None = _state.get("tracking")
    key_at: int | None = _state.get("key_at")
    plain = writer.plain and tracking is None  # CSV in and out, stage and reasons only: Writer.plain_row
    keys: list[str] = []
    transitions: Counter[str] = Counter()
    waiting: dict[str, tuple[int, int]] = {}
    skipped = 0
    rows: Iterable[Row] = _rows_of(unit)
    known: dict[str, tuple[str | None, str | None, int, int]] = {}
    row_keys: list[str | None] = []
    if tracking is not None:  # the unit's rows at once (a batch): their previous states in a few queries
        rows = list(rows)
        row_keys = [_key_of(r, tracking.key, key_at) for r in rows]
        known = tracking.store.lookup_many(k for k in row_keys if k is not None)
    dropped = 0  # --previous: rows rejected whose lead the previous output has (the next run sees them as new)
    for row in rows:
        read += 1  # rejects are numbered within the unit: the caller knows where it starts
        lead = row.lead
        key = row_keys[read - 1] if tracking is not None else None
        if key is not None:  # in the input, whatever becomes of the row: not a lead removed since the previous run
            keys.append(key)
            dropped += key in known  # undone below when the row is written
        if row.error is not None or lead is None:
            rejects.append((read, row.line, row.error, row.original, row.raw, row.stop))
            continue
        if type(row.original) is dict:
            _refuse_added(row.original, added, read, row.line)
        previous: Previous | None = None
        if tracking is not None:
            if key is None:
                rejects.append((read, row.line, f"no value in the key column {tracking.key!r}: the lead cannot be matched with the previous run", row.original, row.raw, False))
                continue
            found = known.get(key)
            where = "" if found is None else f"line {found[3]} of the previous output {tracking.previous_name}"
            if found is not None and found[2] > 1:
                reason = f"key {key!r} is on {found[2]} rows of the previous output {tracking.previous_name} (first on line {found[3]}): its previous stage is ambiguous"
                rejects.append((read, row.line, reason, row.original, row.raw, False))
                continue
            if found is not None and not (found[0] or "").strip():
                rejects.append((read, row.line, f"{where} has no stage for key {key!r}", row.original, row.raw, False))
                continue
            previous = Previous() if found is None else Previous(found[0], found[1])
        try:
            result = evaluate(lead, as_of, strict=strict, previous=previous)
            moved: tuple[str | None, ...] = ()
            if previous is not None:
                h = result.handoff
                moved = (h.previous_stage, _moment_text(h.since), h.owner, _moment_text(h.due), h.direction)
                transitions["new" if h.direction == "new" else "same" if h.direction == "same" else f"{h.previous_stage} → {h.stage}"] += 1
                if h.due is not None and h.touched is None:
                    due, late = waiting.get(h.owner or "", (0, 0))
                    waiting[h.owner or ""] = (due + 1, late + int(h.overdue))
            if plain and row.text is not None:
                texts.append(plain_row(row.text, result.stage, result.summary()))
            elif tracking is not None and tracking.only_changed and moved and moved[-1] == "same":
                skipped += 1
            else:
                more = None
                if laid_out:
                    more = {"label": result.label, "owner": result.owner, "sla": result.sla, **dict(zip(HANDOFF_COLUMNS, moved))}
                texts.append(
                    render(row.original, lead, result.stage, result.summary(), result if details else None, row.text, result.flags if flagged else None, moved, more)
                )
        except Exception as exc:  # anything wrong with one record rejects that record, never the run
            previous_refused = isinstance(exc, ValueError) and not isinstance(exc, Unwritable) and tracking is not None and where  # a stage these rules lack
            why = f"{exc} (from {where})" if previous_refused else _reject_reason(exc)
            rejects.append((read, row.line, why, row.original, row.raw, False))
            continue
        evaluated += 1
        if key is not None:
            dropped -= key in known
        if watched:
            watched = [w for w in watched if _absent(lead, w[1], w[2])]
        stage = result.stage
        stages[stage] = stages.get(stage, 0) + 1
        if result._issues:
            with_issues += _count_issues(result._issues, issues)
    joiner = ",\n" if writer.fmt == "json" else ""
    return Done(
        joiner.join(texts), stages, with_issues, rejects, read, dict(issues), [w[0] for w in watched] if evaluated else None, keys, dict(transitions), waiting, skipped,
        dropped,
    )


def _work_plain(unit: tuple[Any, ...], rules: Any, writer: Writer, as_of: datetime, strict: bool, watched: list[tuple[str, str, tuple[str, ...]]]) -> Done:
    """:func:`_work` for CSV out with the stage and reasons only, without --previous (``Writer.plain``): the same rows,
    rejects and counts from a loop that reads, evaluates, writes and counts, and tests nothing else for a row (no
    hand-off, no flags, no layout)."""
    texts: list[str] = []
    reached: list[str] = []  # each evaluated row's stage
    issues: Counter[tuple[str, str]] = Counter()
    rejects: list[tuple[Any, ...]] = []
    with_issues = read = 0
    evaluate, plain_row, added = rules.evaluate, writer.plain_row, writer.added
    by_position = _state["evaluate_row"]  # CSV rows: evaluated from their values (each lead an empty dict)
    header = _state["header"]
    for row in _rows_of(unit):
        read += 1
        lead = row.lead
        if row.error is not None or lead is None:
            rejects.append((read, row.line, row.error, row.original, row.raw, row.stop))
            continue
        text = row.text
        if text is None and type(row.original) is dict:  # JSON in, CSV out
            _refuse_added(row.original, added, read, row.line)
        try:
            if by_position is not None:
                result = by_position(row.original, as_of, strict=True) if strict else by_position(row.original, as_of)
            else:
                result = evaluate(lead, as_of, strict=True) if strict else evaluate(lead, as_of)
            if text is None:
                texts.append(writer.row(row.original, lead, result.stage, result.summary(), None, None))
            else:
                texts.append(plain_row(text, result.stage, result.summary()))
        except Exception as exc:  # anything wrong with one record rejects that record, never the run
            rejects.append((read, row.line, _reject_reason(exc), row.original, row.raw, False))
            continue
        reached.append(result.stage)
        if watched:  # (fields no row had a value for so far: the list is soon empty)
            fields = dict(zip(header, row.original)) if by_position is not None else lead
            watched = [w for w in watched if _absent(fields, w[1], w[2])]
        found = result._issues
        if found:
            with_issues += _count_issues(found, issues)
    return Done("".join(texts), dict(Counter(reached)), with_issues, rejects, read, dict(issues), [w[0] for w in watched] if reached else None)


def _refuse_added(record: dict[str, Any], added: tuple[str, ...], read: int, line: int) -> None:
    """A JSON record with a key qualify adds (stage, reasons, ...) stops the run: it is never overwritten."""
    for name in added:
        if name in record:
            raise NameClash(read, line, name)


def _reject_reason(exc: Exception) -> str:
    """Why a record is rejected, from what its evaluation or its rendering raised (without --previous)."""
    if isinstance(exc, LeadError):
        reason = "; ".join(f"{i.get('field') or i.get('criterion')}: {i['message']} ({i.get('value')!r})" for i in exc.issues)
        return reason or str(exc)
    if isinstance(exc, Unwritable):
        return str(exc)
    return f"cannot qualify this record: {'ValueError' if isinstance(exc, ValueError) else type(exc).__name__}: {str(exc)[:200]}"


def _qualifier() -> Any:
    """This process's DuckDB engine (opened on first use: after a fork, never the parent's connection)."""
    held = _state.get("qualifier")
    if held is None or held[0] != os.getpid():
        from leadspec.duckdb import Qualifier

        rules = _state["rules"]
        flags = tuple(f"flags.{name}" for name in _state["writer"].flags)
        held = (os.getpid(), Qualifier(rules, _state["as_of"], threads=1, criteria=flags))
        _state["qualifier"] = held
    return held[1]


_FLAG = {"pass": True, "fail": False}


def _work_duckdb(unit: tuple[Any, ...]) -> Done:
    """:func:`_work` with DuckDB: the unit's records read as the Python engine reads them, evaluated by one query, written the same way."""
    rules, writer, strict = _state["rules"], _state["writer"], _state["strict"]
    watched = _state["watched"]
    added = writer.added
    names = writer.flags
    keys = [f"flags.{name}" for name in names]
    rows = list(_rows_of(unit))
    leads = []
    for number, row in enumerate(rows, 1):
        if row.error is None and row.lead is not None:
            if type(row.original) is dict:
                for name in added:
                    if name in row.original:
                        raise NameClash(number, row.line, name)
            leads.append(row.lead)
    try:
        outcomes = iter(_qualifier().outcomes(leads))
    except LeadspecError as exc:  # a DialectError of the input's types (an events value that is an object, say)
        raise EngineRefused(str(exc)) from None
    texts: list[str] = []
    stages: Counter[str] = Counter()
    issues: Counter[tuple[str, str]] = Counter()
    rejects: list[tuple[Any, ...]] = []
    with_issues = read = evaluated = 0
    render = writer.row
    for row in rows:
        read += 1
        lead = row.lead
        if row.error is not None or lead is None:
            rejects.append((read, row.line, row.error, row.original, row.raw, row.stop))
            continue
        outcome = next(outcomes)
        if strict and outcome.issues:  # the Python engine says why, word for word (it agrees on which leads have issues)
            try:
                rules.evaluate(lead, as_of=_state["as_of"], strict=True)
                reason = "; ".join(f"{i.get('field') or i.get('criterion')}: {i['message']} ({i.get('value')!r})" for i in outcome.issues)
            except LeadError as exc:
                reason = "; ".join(f"{i.get('field') or i.get('criterion')}: {i['message']} ({i.get('value')!r})" for i in exc.issues) or str(exc)
            rejects.append((read, row.line, reason, row.original, row.raw, False))
            continue
        flags = {name: _FLAG.get(outcome.criteria[key]) for name, key in zip(names, keys)} if names else None
        try:
            texts.append(render(row.original, lead, outcome.stage, outcome.reasons, None, row.text, flags))
        except Unwritable as exc:
            rejects.append((read, row.line, str(exc), row.original, row.raw, False))
            continue
        except Exception as exc:  # as the Python engine: one record's failure rejects that record, never the run
            rejects.append((read, row.line, f"cannot qualify this record: {type(exc).__name__}: {str(exc)[:200]}", row.original, row.raw, False))
            continue
        evaluated += 1
        if watched:
            watched = [w for w in watched if _absent(lead, w[1], w[2])]
        stages[outcome.stage] += 1
        with_issues += _count_issues(outcome.issues, issues)
    joiner = ",\n" if writer.fmt == "json" else ""
    return Done(joiner.join(texts), dict(stages), with_issues, rejects, read, dict(issues), [w[0] for w in watched] if evaluated else None)


def _count_issues(found: list[dict[str, Any]], issues: Counter[tuple[str, str]]) -> int:
    """Count a lead's issues by (field or criterion, message); 1 when it had any (a lead with issues), else 0."""
    for issue in found:
        issues[(str(issue.get("field") or issue.get("criterion")), str(issue.get("message")))] += 1
    return 1 if found else 0


def _units(reader: Any, fmt: str, source: IO[str], rows: Iterator[Row] | None, jobs: int, size: int = BATCH) -> Iterator[tuple[Any, ...]]:
    """The input in units of about BATCH records.

    With worker processes, CSV and JSON Lines go as text, cut at record
    ends and parsed where they are evaluated; otherwise as rows.
    """
    if rows is None and fmt in ("csv", "jsonl") and jobs > 1:
        first_line = reader.next_line if fmt == "csv" else 1
        for line, text in chunks(source, first_line, size, csv_format=fmt == "csv", delimiter=getattr(reader, "delimiter", ",")):
            yield (fmt, line, text)
        return
    records: Iterator[Row] = iter(rows if rows is not None else reader)
    if jobs <= 1:  # evaluated here, row by row as read: no unit's rows are all held at once
        for first in records:
            yield ("rows", itertools.chain((first,), itertools.islice(records, size - 1)))
        return
    batch: list[Row] = []
    for row in records:
        batch.append(row)
        if len(batch) >= size:
            yield ("rows", batch)
            batch = []
    if batch:
        yield ("rows", batch)


def _results(units: Iterator[tuple[Any, ...]], jobs: int, setup: tuple[Any, ...]) -> Generator[Done, None, None]:
    """Processed units in input order, from ``jobs`` processes: this one and ``jobs - 1`` workers.

    Each worker is kept QUEUED units ahead; a unit that finds every worker
    that far ahead is done here, where it needs no pickling and no pipe
    (on two cores, a third busy process only took turns with the other
    two). At most IN_FLIGHT × jobs units are held, waiting to be written.
    A worker that dies (killed, out of memory) raises WorkerDied instead
    of leaving the run waiting for it; however the run ends, the workers
    are killed and waited for before this generator returns.
    """
    _setup(*setup)  # for the units done here
    if jobs <= 1:
        for unit in units:
            yield _work(unit)
        return
    workers = jobs - 1
    pool = Pool(workers, _setup, setup, _work, passthrough=(NameClash, EngineRefused))
    try:
        pending: deque[tuple[int, tuple[Any, ...], bool] | Done | _Raised] = deque()  # (number, unit, sent) with a worker, or what this process made of it
        queued = sent = 0  # units with the workers and not collected; units sent so far
        for given in itertools.chain(units, (None,)):  # None: the input's end, where every unit held is waited for
            if given is not None and queued < QUEUED * workers:
                pending.append((sent, given, pool.submit(sent, given)))
                sent += 1
                queued += 1
            elif given is not None:
                try:
                    pending.append(_work(given))
                except Exception as exc:  # raised when its turn comes: the units before it are written (or refused) first
                    pending.append(_Raised(exc))
            while pending:  # the units done, in order, as far as they go (the first one waited for when too many are held)
                head = pending[0]
                if isinstance(head, _Raised):
                    raise head.error
                if given is not None and not isinstance(head, Done) and head[2] and len(pending) < IN_FLIGHT * jobs and not pool.ready(head[0]):
                    break  # a worker's unit not back yet, and room to hold more
                pending.popleft()
                if isinstance(head, Done):
                    yield head
                else:
                    queued -= 1
                    yield _outcome(pool, *head)
    finally:  # the end, a failure, a stop signal, or the consumer closing this generator
        pool.close()


class _Raised(NamedTuple):
    """What a unit done in this process raised (a key qualify adds, rules DuckDB refuses), held until the units before it are out."""

    error: Exception


def _outcome(pool: Pool, number: int, unit: tuple[Any, ...], sent: bool) -> Done:
    """What a worker made of ``unit``, or this process when it could not cross between them (see _worker_main)."""
    if not sent:
        return _work(unit)
    reply = pool.result(number)
    if reply[0] == "done":
        return reply[1]  # type: ignore[no-any-return]
    if reply[0] == "raised":  # a passthrough: a refused key, or rules the engine refuses on these types
        raise (NameClash, EngineRefused)[reply[1]](*reply[2])
    return _work(unit)


# -- the command ------------------------------------------------------------------------


def _read_columns(rules: Any, header: list[str]) -> set[str]:
    """The header's columns that fields read: a source, or the column of JSON objects a nested source is read from."""
    columns = set(header)
    read = set()
    for source in (spec.source or name for name, spec in rules.fields.items()):
        if source in columns:
            read.add(source)
        elif "." in source and source.split(".")[0] in columns:
            read.add(source.split(".")[0])
    return read


def _duplicated_columns(rules: Any, header: list[str]) -> list[str]:
    """Messages for columns that fields read and that the header has more than once (which one is meant?).

    A duplicated column that no field reads is no problem: it is written back as it is.
    """
    counts = Counter(header)
    if len(counts) == len(header):
        return []
    read = _read_columns(rules, header)
    messages = []
    for name in sorted(n for n, count in counts.items() if count > 1 and n in read):
        places = [str(i) for i, column in enumerate(header, 1) if column == name]
        times = "twice" if len(places) == 2 else f"{len(places)} times"
        listed = ", ".join(places[:-1]) + " and " + places[-1]
        messages.append(f"column {name!r} appears {times} in the header (columns {listed}): leadspec cannot tell which one the rules mean; rename one")
    return messages


def flag_names(rules: Any) -> tuple[str, ...]:
    """The names of the rules' flags (``flags:``), in the order the file has them."""
    plan = rules.plan
    ids = [c.id for c in getattr(plan, "criteria", ()) if c.id.startswith("flags.")]
    return tuple(i[len("flags.") :] for i in ids)


def _options(names: tuple[str, str, str], flags: tuple[str, ...], flags_name: str) -> dict[str, str]:
    """The option that names each added column (or JSON key)."""
    option = {names[0]: "--stage-column", names[1]: "--reasons-column", names[2]: "--details-column", flags_name: "--flags-column"}
    option.update((f"{flags_name}.{name}", "--flags-column") for name in flags)
    return option


def _taken_columns(header: list[str], added: tuple[str, ...], option: dict[str, str]) -> list[str]:
    """A message when the header has a column named as one qualify adds (it is never overwritten)."""
    columns = set(header)
    taken = [name for name in added if name in columns and name in option]  # the others no option renames: see _run
    if not taken:
        return []
    hints = ", ".join(dict.fromkeys(f"{option[name]} NAME" for name in taken))
    what = f"a column {taken[0]!r}" if len(taken) == 1 else f"columns {', '.join(map(repr, taken))}"
    return [
        f"the input has {what}, which qualify adds; it is never overwritten: "
        f"name the added column{'s' if len(taken) > 1 else ''} with {hints} (e.g. {option[taken[0]]} leadspec_{taken[0].split('.')[0]})"
    ]


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


class _Terminated(BaseException):
    """SIGTERM or SIGHUP, raised where the run is so that the output is cleaned up (``args[0]``: the signal)."""


_STOPPED: list[int] = []
"""The stop signal that arrived during this run, if any: DuckDB, its query interrupted by the exception :func:`_on_stop`
raises, raises its own error instead (``RuntimeError: Query interrupted``, or a ``duckdb.Error`` the native path would
take for an input it cannot read), so the signal is kept here to be raised again (:func:`_raise_stop`)."""


def _on_stop(signum: int, frame: Any) -> None:
    """The first stop signal stops the run; those after it (a second Ctrl-C, `timeout` signalling the process and its group) are ignored while it cleans up."""
    for each in STOP_SIGNALS + [signal.SIGINT]:
        signal.signal(each, signal.SIG_IGN)
    _STOPPED.append(signum)
    _raise_stop()


def _raise_stop() -> None:
    """Raise the exception of the stop signal that arrived during the run (see :data:`_STOPPED`), if one did."""
    if not _STOPPED:
        return
    signum = _STOPPED[0]
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise _Terminated(signum)


EXIT_CLOSED = 128 + 13
"""Exit code when whoever reads standard output stops reading (`| head`): a closed pipe, as SIGPIPE gives."""


class _UsePython(Exception):
    """--engine auto: DuckDB refused the input's types part way (:class:`EngineRefused`); the run starts again with the
    Python engine (``args[0]``: DuckDB's reason)."""


class _Tally:
    """Rows read, written and rejected so far: said when a run stops before its end."""

    def __init__(self, fallback: bool = False, listed: int = 0) -> None:
        self.read = self.written = self.rejected = self.skipped = 0
        self.outputs: list[str] = []  # -o's path, then --rejects' (``-``: standard output), then --removed's
        self.fallback = fallback
        """Whether a refusal of DuckDB's starts the run again with Python (--engine auto, the input a file and every output a file)."""
        self.listed = listed
        """The first rejects already listed on standard error by a run that started again (the same rows, read the same way): not listed twice."""

    def lost(self) -> str:
        """What a stopped run leaves: files are not written; standard output has part of the run (it cannot be taken back)."""
        files = [path for path in self.outputs if path != "-"]
        if "-" not in self.outputs:
            return "nothing written"
        if self.outputs[0] == "-":
            return "the output is incomplete" + (f" ({', '.join(files)} not written)" if files else "")
        return f"nothing written to {', '.join(files)}; the rejects on standard output are incomplete"

    def line(self) -> str:
        """How far the run got, said before why it stopped (empty before a batch of rows was done)."""
        if not self.read:
            return ""
        read = f"{self.read:,} row{'s' if self.read != 1 else ''}"
        unchanged = f", {self.skipped:,} unchanged" if self.skipped else ""
        return f"stopped after {read} read ({self.written:,} qualified, {self.rejected:,} rejected{unchanged})\n"


def _has_duckdb() -> bool:
    """Whether the DuckDB engine's packages import (duckdb, sqlglot, pyarrow)."""
    try:
        import duckdb  # noqa: F401
        import pyarrow  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError:
        return False
    return True


_TEXT_QUERY: dict[tuple[int, datetime], str] = {}
"""The rules' query over text columns, made when the engine is chosen (to_sql takes a while on a large rule file): reused by the native path."""


def _engine(engine: str, input: str, details: bool, ruleset: Any, moment: datetime, io: Any, parquet: bool = False) -> str | None:
    """The engine that runs: ``python`` or ``duckdb`` (``auto`` decided by the input's size); None after an error was said.

    ``parquet``: the input or the output is Parquet, which only DuckDB reads and writes.
    """
    auto = engine == "auto"
    if auto:
        try:
            big = AUTO_BYTES is not None and input != "-" and os.path.getsize(input) >= AUTO_BYTES
        except OSError:
            big = False
        if (not big and not parquet) or details or not _has_duckdb():
            if parquet:
                raise click.UsageError(f"Parquet needs the DuckDB engine: {_install()}")
            return "python"
        engine = "duckdb"
    if engine == "python":
        if parquet:
            raise click.UsageError("Parquet is read and written by DuckDB: use --engine duckdb (or auto)")
        return engine
    if details:
        raise click.UsageError("--details needs --engine python: the DuckDB engine writes the stage, the reasons and the flags")
    from leadspec.duckdb import INSTALL

    if not _has_duckdb():
        io.err.write(f"--engine duckdb needs DuckDB: {INSTALL}\n")
        return None
    try:
        _TEXT_QUERY.clear()
        _TEXT_QUERY[(id(ruleset), moment)] = ruleset.to_sql("duckdb", table=TABLE, as_of=moment, pretty=False)
    except LeadspecError as exc:  # a DialectError: something these rules use that DuckDB cannot compute as Python does
        if auto and not parquet:  # the output is the same with either engine: auto takes the one that can run the rules
            return "python"
        io.err.write(f"--engine {'auto' if auto else 'duckdb'}: {exc}; use --engine python\n")
        return None
    return engine


def _format_of(path: str) -> str | None:
    """The format of a file from its name: ``parquet`` for .parquet, else as :func:`format_of`."""
    return "parquet" if path.lower().endswith(".parquet") else format_of(path)


def _install() -> str:
    from leadspec.duckdb import INSTALL

    return INSTALL


def _stdin_file(stdin: Any) -> os.stat_result | None:
    """What standard input is when it is a regular file (``< in.csv``), else None (a pipe, a terminal, a stream without a descriptor)."""
    try:
        info = os.fstat(stdin.fileno())
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    return info if stat.S_ISREG(info.st_mode) else None


def _is_file(path: str, info: os.stat_result) -> bool:
    """Whether ``path`` (through symbolic links) is the file ``info`` describes."""
    try:
        return os.path.samestat(os.stat(path), info)
    except OSError:
        return False


@click.command()
@click.argument("rules", type=click.Path(dir_okay=False))
@click.argument("input", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", default="-", type=click.Path(dir_okay=False, allow_dash=True), help="Where to write (default: standard output); written whole or not at all.")
@click.option(
    "--input-format", type=click.Choice(FORMATS + ("parquet",)), help="Format of INPUT (default: from its extension; guessed for standard input). Parquet: --engine duckdb."
)
@delimiter_option
@click.option(
    "--output-format", type=click.Choice(FORMATS + ("parquet",)), help="Format of the output (default: from its extension, else INPUT's format). Parquet: --engine duckdb."
)
@click.option("--details", is_flag=True, help="Add the whole result as JSON (CSV: a details column; JSON: a nested object).")
@as_of_option
@click.option("--strict", is_flag=True, help="Reject leads with a bad value instead of evaluating them with that field missing.")
@click.option("--rejects", type=click.Path(dir_okay=False), help="Write rejected rows here (JSON Lines: row, line, reason, record) instead of listing them on stderr.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True, help="Processes that evaluate (this one and N-1 workers); the output keeps the input order.")
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="python",
    show_default=True,
    help="What evaluates the leads: the Python engine, DuckDB (the rules' SQL; pip install 'leadspec[duckdb]'), or auto (DuckDB for Parquet and for CSV and JSON files of 150 MB or more; the Python engine for smaller ones: see the docs).",
)
@click.option("--allow-missing-columns", is_flag=True, help="Go on when the CSV header lacks a column a field reads (that field is then always missing).")
@click.option("--stage-column", default="stage", show_default=True, metavar="NAME", help="Name of the added stage column (when the input has its own 'stage').")
@click.option("--reasons-column", default="reasons", show_default=True, metavar="NAME", help="Name of the added reasons column.")
@click.option("--details-column", default="details", show_default=True, metavar="NAME", help="Name of the added details column (with --details).")
@click.option(
    "--flags-column", default="flags", show_default=True, metavar="NAME", help="Name of the added flags (CSV: a column NAME.FLAG for each flag; JSON: an object)."
)
@click.option(
    "--previous",
    "previous_output",
    type=click.Path(dir_okay=False),
    help="A previous output of qualify (CSV or JSON Lines): add previous_stage, stage_since, owner, due_by and handoff (new, up, down, same) to every lead. Needs --key.",
)
@click.option("--key", metavar="COLUMN", help="With --previous: the column that identifies a lead in INPUT and in the previous output (e.g. 'Prospect ID').")
@click.option("--only-changed", is_flag=True, help="With --previous: write only the leads that are new or changed stage (the work queue).")
@click.option(
    "--removed", type=click.Path(dir_okay=False), help="With --previous: write the leads of the previous output that INPUT no longer has here (key, previous_stage, stage_since)."
)
@click.option(
    "--columns",
    "result_columns",
    metavar="LIST",
    help="The result columns to write after the input's, in this order, separated by commas: "
    "stage, reasons, label, owner, sla, flags, details; with --previous also previous_stage, stage_since, due_by, handoff.",
)
def qualify(
    rules: str,
    input: str,
    output: str,
    input_format: str | None,
    delimiter: str,
    output_format: str | None,
    details: bool,
    as_of: datetime | None,
    strict: bool,
    rejects: str | None,
    jobs: int,
    engine: str,
    allow_missing_columns: bool,
    stage_column: str,
    reasons_column: str,
    details_column: str,
    flags_column: str,
    previous_output: str | None = None,
    key: str | None = None,
    only_changed: bool = False,
    removed: str | None = None,
    result_columns: str | None = None,
) -> int:
    """Evaluate every lead of INPUT (CSV, JSON Lines or a JSON array; .gz too) and write it with its stage.

    Every input column is kept, in order, and `stage` and `reasons` (a
    one-line explanation) are added. A summary (rows read, written,
    rejected, leads per stage, data issues) goes to standard error.
    The output and --rejects files are written beside their destination
    and renamed into place only when the run completes: an interrupted or
    failed run leaves them as they were.

    \b
    Examples:
      leadspec qualify rules/x-education.yaml leads.csv -o qualified.csv
      leadspec qualify rules/b2b-saas.yaml - --input-format jsonl < leads.jsonl > out.jsonl
      leadspec qualify rules/b2b-saas.yaml leads.csv.gz -o out.csv --strict --rejects rejects.jsonl --jobs 2

    With --previous LAST_OUTPUT --key COLUMN, each lead is matched by its
    key with the previous run's output: the added columns say where it
    moved, whose desk it is on and when the call is due (see the docs on
    the hand-off).

    Exit codes: 0 every row written, 1 rows were rejected, 2 usage or input error (no file written).
    """
    io = streams()
    if previous_output is None:
        for given, option in ((key, "--key"), (only_changed, "--only-changed"), (removed, "--removed")):
            if given:
                raise click.UsageError(f"{option} goes with --previous LAST_OUTPUT: the leads are matched with a previous run's output")
    elif not key:
        raise click.UsageError("--previous needs --key COLUMN: the column that identifies a lead in both files (e.g. --key 'Prospect ID')")
    elif engine == "duckdb":
        raise click.UsageError("--previous runs on the Python engine: leave out --engine duckdb")
    layout = _layout(result_columns, previous_output is not None, details)
    if layout is not None:
        details = "details" in layout
        written = [{"stage": stage_column, "reasons": reasons_column, "details": details_column, "flags": flags_column}.get(k, k) for k in layout]
        if len(set(written)) != len(written):
            raise click.UsageError(f"the result columns need distinct names, not {', '.join(map(repr, written))}")
        if engine == "duckdb":
            raise click.UsageError("--columns runs on the Python engine: leave out --engine duckdb")
    names = (stage_column, reasons_column, details_column)
    used: tuple[str, ...] = (names if details else names[:2]) + (flags_column,)
    if len(set(used)) != len(used) or not all(used):
        raise click.UsageError(f"the added columns need distinct names, not {', '.join(map(repr, used))}")
    if previous_output is not None and result_columns is None:
        clash = [name for name in used if name in HANDOFF_COLUMNS]
        if clash:
            raise click.UsageError(f"{', '.join(map(repr, clash))}: --previous adds a column of that name; name the added column otherwise")
    # refuse before anything is read or written: an output that is the input (or the other output)
    paths = [("-o/--output", output)] if output != "-" else []
    if rejects:
        paths.append(("--rejects", rejects))
    if removed:
        paths.append(("--removed", removed))
    stdin_file = _stdin_file(io.inp) if input == "-" else None
    for option, path in paths:
        if (input != "-" and same_file(input, path)) or (stdin_file is not None and _is_file(path, stdin_file)):
            what = "the input file (standard input)" if input == "-" else "the input file"
            io.err.write(f"{path}: {option} is {what}; it would be overwritten while it is read. Write somewhere else\n")
            return EXIT_USAGE
        if previous_output is not None and same_file(previous_output, path):
            io.err.write(
                f"{path}: {option} is the --previous file; an input is never overwritten. Write the new output beside it "
                "(e.g. a dated name) and keep the previous one until the new one is checked\n"
            )
            return EXIT_USAGE
    if removed == "-":
        raise click.UsageError("--removed writes to a file, not to standard output")
    if rejects == "-":  # standard output: only when the leads go elsewhere
        if output == "-":
            raise click.UsageError("--rejects -: standard output already carries the leads; give -o FILE for them, or --rejects FILE")
        paths = [(option, path) for option, path in paths if option != "--rejects"]
    for i, (option, path) in enumerate(paths):
        for other_option, other in paths[i + 1 :]:
            if same_file(path, other):
                io.err.write(f"{other}: {other_option} is the {'output' if option == '-o/--output' else option} file too; give them different paths\n")
                return EXIT_USAGE
    ruleset = load_rules(rules)
    moment = as_of or datetime.now(timezone.utc)
    check_as_of([ruleset], moment)
    fmt = input_format or (_format_of(input) if input != "-" else None)
    if input != "-" and fmt is None:
        raise click.UsageError(f"cannot tell the format of {input!r} from its name; use --input-format csv|jsonl|json|parquet")
    parquet = "parquet" in (fmt, output_format or (_format_of(output) if output != "-" else None))
    if parquet and input == "-":
        raise click.UsageError("Parquet is read from a file, not from standard input")
    if output == "-" and output_format == "parquet":  # (left out, a Parquet input goes to standard output as CSV)
        raise click.UsageError("Parquet is written to a file, not to standard output: give -o FILE.parquet, or --output-format csv")
    if parquet and (previous_output is not None or layout is not None):
        raise click.UsageError(f"{'--previous' if previous_output is not None else '--columns'} runs on the Python engine, which reads and writes CSV and JSON, not Parquet")
    chosen = "python" if previous_output is not None or layout is not None else _engine(engine, input, details, ruleset, moment, io, parquet)
    if chosen is None:
        return EXIT_USAGE
    # --engine auto that took DuckDB for a file may start again with Python (Parquet only DuckDB reads and writes)
    fallback = engine == "auto" and chosen == "duckdb" and not parquet and input != "-"
    engine = chosen
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():  # a signal ignored when qualify starts (nohup) stays ignored
        for signum in STOP_SIGNALS + [signal.SIGINT]:
            handler = signal.getsignal(signum)
            if handler is not signal.SIG_IGN and (signum != signal.SIGINT or handler is signal.default_int_handler):
                previous[signum] = signal.signal(signum, _on_stop)
    tally = _Tally(fallback=fallback)
    handing = (previous_output, key or "", only_changed, removed) if previous_output is not None else None
    _STOPPED.clear()
    try:
        while True:  # once, or twice when --engine auto starts again with the Python engine
            try:
                return _qualify(
                    ruleset, input, fmt, delimiter, output, output_format, details, moment, strict, rejects, jobs, allow_missing_columns, names, flags_column, io, tally,
                    engine, handing, layout,
                )
            except _UsePython as exc:  # --engine auto: the output is the same with either engine; the file is read again
                _raise_stop()  # (a stop signal that arrived meanwhile stops the run: the signals are ignored from then on)
                io.err.write(f"--engine auto: DuckDB cannot run these leads ({exc.args[0]}): the Python engine runs them\n")
                tally, engine = _Tally(listed=min(tally.rejected, SHOWN_REJECTS)), "python"
            except Exception:  # DuckDB's own error for a query a stop signal interrupted: the signal is said, not a traceback
                _raise_stop()
                raise
    except KeyboardInterrupt:
        io.err.write(tally.line() + f"interrupted: {tally.lost()}\n")
        return 130
    except _Terminated as exc:
        stop = int(exc.args[0] if exc.args else signal.SIGTERM)
        io.err.write(tally.line() + f"{'hung up' if stop != signal.SIGTERM else 'terminated'}: {tally.lost()}\n")
        return 128 + stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _qualify(
    ruleset: Any,
    input: str,
    fmt: str | None,
    delimiter: str,
    output: str,
    output_format: str | None,
    details: bool,
    moment: datetime,
    strict: bool,
    rejects: str | None,
    jobs: int,
    allow_missing_columns: bool,
    names: tuple[str, str, str],
    flags_name: str,
    io: Any,
    tally: _Tally,
    engine: str = "python",
    handing: tuple[str, str, bool, str | None] | None = None,
    layout: tuple[str, ...] | None = None,
) -> int:
    flags = flag_names(ruleset)
    native: Native | None = None
    source: IO[str] | None = None
    sinks: list[Output] = []
    tracking: Tracking | None = None
    try:
        if fmt == "parquet":  # DuckDB reads it: its column names are the header
            native = Native(ruleset, moment, jobs, flags, _watched(ruleset))
            try:
                header = native.read_parquet(input)
            except Redo as exc:  # not Parquet DuckDB can read (empty, truncated, another format): no other reader, nothing written
                _raise_stop()  # (or a stop signal DuckDB turned into its own error)
                io.err.write(f"{input}: {exc.args[0]}\n")
                return EXIT_USAGE
            reader: Any = None
        else:
            try:
                source = open_text(input, io.inp)
            except OSError as exc:
                io.err.write(read_error(input, exc) + "\n")
                return EXIT_USAGE
            if fmt is None:
                fmt, source = sniff(source)
            reader = reader_for(fmt, source, delimiter)
            if reader.header_error:
                io.err.write(f"{input}: {reader.header_error}\n")
                return EXIT_USAGE
            header = list(reader.header)
        json_columns: list[str] = []
        if fmt in ("csv", "parquet"):  # every header problem at once, before any row is read
            wrong = wrong_delimiter(ruleset, header, delimiter) if fmt == "csv" else None
            if wrong is not None:  # one message, not a missing column for every field
                io.err.write(f"{input}: {wrong}\n")
                io.err.write(f"{input}: stopped before reading any row\n")
                return EXIT_USAGE
            missing = missing_columns(ruleset, header)
            problems = missing + _duplicated_columns(ruleset, header) + _taken_columns(
                header,
                Writer("csv", [], details, names, flags=flags, flags_name=flags_name, handoff=HANDOFF_COLUMNS if handing else (), layout=layout).added_columns,
                _options(names, flags, flags_name),
            )
            for message in problems:
                io.err.write(f"{input}: {message}\n")
            if len(problems) > len(missing) or (missing and not allow_missing_columns):
                only_missing = len(problems) == len(missing)
                io.err.write(f"{input}: stopped before reading any row{' (--allow-missing-columns goes on anyway)' if only_missing else ''}\n")
                return EXIT_USAGE
        if handing is not None:
            tracking = _tracking(handing, input, fmt, header, delimiter, names[0], io)
            if tracking is None:
                return EXIT_USAGE
        if fmt == "csv":
            json_columns = nested_columns(ruleset, header)
            assert isinstance(reader, CsvReader)  # fmt is csv
            reader.columns = _columns(ruleset)
            reader.json_columns = json_columns
        # standard output gets the input's format, but CSV for a Parquet input (Parquet is written to a file only)
        out_fmt = output_format or (_format_of(output) if output != "-" else None) or ("csv" if fmt == "parquet" and output == "-" else fmt)
        if engine == "duckdb" and native is None and fmt == "csv":
            why = _not_native(input, output, out_fmt, strict, json_columns, header)
            if why is None:
                native = Native(ruleset, moment, jobs, flags, _watched(ruleset))
                native.read_csv(input, header, reader.next_line - 1, reader.delimiter)
            elif out_fmt == "parquet":
                io.err.write(f"{output}: DuckDB writes Parquet only from a CSV or Parquet file it reads itself, and {why}\n")
                return EXIT_USAGE
        if native is not None and out_fmt not in OUTPUTS:
            io.err.write(f"{output}: Parquet input is written as CSV or Parquet, not {out_fmt}\n")
            return EXIT_USAGE
        sink = Output(output, io.out)  # validated and created beside the destination before a row is read
        sinks.append(sink)
        tally.outputs.append(output)
        if rejects and format_of(rejects) == "csv" and fmt != "csv":
            io.err.write(f"{rejects}: --rejects writes a CSV only for CSV input (its rows, under the input's header); name it .jsonl for {fmt} input\n")
            return EXIT_USAGE
        if rejects and format_of(rejects) == "csv":
            taken = [column for column in REJECT_COLUMNS if column in header]
            if taken:  # the rejects file would have two columns of one name: it could not be fed in again
                io.err.write(
                    f"{input}: the column {taken[0]!r} has the name of a column --rejects {rejects} adds before the input's own; "
                    f"rename it in the export, or write the rejects as JSON Lines (--rejects NAME.jsonl)\n"
                )
                return EXIT_USAGE
        reject_sink = Output(rejects, io.out) if rejects else None  # -: standard output (the leads go to -o FILE)
        if reject_sink is not None:
            sinks.append(reject_sink)
            tally.outputs.append(rejects or "-")
        removed_sink = Output(handing[3], io.out) if handing is not None and handing[3] else None
        if removed_sink is not None:
            sinks.append(removed_sink)
            tally.outputs.append(removed_sink.path)
        code: int | None = None
        if native is not None:
            code = _run_native(ruleset, native, header, fmt, out_fmt, input, sink, reject_sink, io, names, (flags, flags_name), tally,
                               getattr(reader, "delimiter", ","))
        if code is None:  # the batch path: the Python engine's readers and writer
            assert source is not None
            code = _run(
                ruleset, reader, fmt, out_fmt, input, sink, details, moment, strict, reject_sink, jobs, io, source, names, (flags, flags_name), json_columns, tally, engine,
                tracking, removed_sink, layout,
            )
        if code in (EXIT_OK, EXIT_FAILED):  # the run went to the end: only then are the files put in place
            _raise_stop()  # (unless a stop signal arrived that DuckDB took in and went on after)
            for each in sinks:
                each.commit()
            sinks.clear()
        return code
    except OutputError as exc:
        io.err.write(tally.line() + f"{exc}; {'the output is incomplete' if exc.path == '-' else tally.lost()}\n")
        return EXIT_USAGE
    except READ_ERRORS as exc:  # unreadable, a truncated or corrupt .gz, not UTF-8
        io.err.write(tally.line() + read_error(input, exc) + (f"; {tally.lost()}\n" if tally.outputs else "\n"))
        return EXIT_USAGE
    except WorkerDied as exc:
        io.err.write(tally.line() + f"a worker process stopped unexpectedly ({exc}); {tally.lost()}\n")
        return EXIT_USAGE
    finally:
        for each in sinks:  # not committed: the destination keeps what it had
            each.discard()
        if source is not None and source is not io.inp:
            source.close()
        if native is not None:
            native.close()
        if tracking is not None:
            tracking.store.remove()


RESULT_COLUMNS = ("stage", "reasons", "label", "owner", "sla", "flags", "details")
"""What --columns may name, and with --previous also HANDOFF_COLUMNS."""


def _layout(text: str | None, previous: bool, details: bool) -> tuple[str, ...] | None:
    """--columns as the result columns to write, in order (None: not given); a usage error names what is wrong."""
    if text is None:
        return None
    keys = [part.strip() for part in text.split(",") if part.strip()]
    allowed = RESULT_COLUMNS + tuple(c for c in HANDOFF_COLUMNS if c not in RESULT_COLUMNS)
    if not keys:
        raise click.UsageError(f"--columns needs at least one of {', '.join(allowed)}")
    for key in keys:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, 1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise click.UsageError(f"--columns: {key!r} is not a result column{hint}; the columns: {', '.join(allowed)}")
        if key in HANDOFF_COLUMNS and key not in RESULT_COLUMNS and not previous:
            raise click.UsageError(f"--columns: {key!r} comes from the previous run: give --previous LAST_OUTPUT --key COLUMN")
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise click.UsageError(f"--columns names {', '.join(map(repr, twice))} twice")
    if details and "details" not in keys:
        keys.append("details")
    return tuple(keys)


def _tracking(handing: tuple[str, str, bool, str | None], input: str, fmt: str, header: list[str], delimiter: str, stage_column: str, io: Any) -> Tracking | None:
    """--previous: the previous output read into its index (None: a problem, said on standard error)."""
    previous, key, only_changed, _removed = handing
    if fmt == "csv" and key not in header:
        close = [h for h in header if h.casefold() == key.casefold()] or difflib.get_close_matches(key, header, 1)
        io.err.write(f"{input}: --key {key!r} is not a column of the input" + (f" (did you mean {close[0]!r}?)" if close else "") + "\n")
        return None
    kind = format_of(previous)
    if kind not in ("csv", "jsonl", "json"):
        io.err.write(f"{previous}: --previous reads an output of qualify written as CSV or JSON Lines (.csv, .jsonl, .json; .gz too)\n")
        return None
    index = PreviousIndex()
    try:
        with open_text(previous, io.inp) as stream:
            index.build(stream, kind, previous, key, stage_column, delimiter if kind == "csv" else ",")
    except PreviousError as exc:
        index.remove()
        io.err.write(f"{exc}\n")
        return None
    except READ_ERRORS as exc:
        index.remove()
        io.err.write(read_error(previous, exc) + "\n")
        return None
    except sqlite3.Error as exc:  # the temporary directory is full, or cannot be written
        index.remove()
        io.err.write(f"{previous}: cannot index the previous output in {index.directory}: {exc}; set TMPDIR to a directory with room\n")
        return None
    except BaseException:  # a stop signal while indexing: no temporary file is left behind
        index.remove()
        raise
    return Tracking(index, key, only_changed, previous)


def _not_native(input: str, output: str, out_fmt: str, strict: bool, json_columns: list[str], header: list[str]) -> str | None:
    """Why DuckDB cannot read and write this CSV run itself (the batch path runs it), or None when it can."""
    if input == "-":
        return "the input is standard input"
    if output == "-" or output.endswith(".gz"):
        return "the output is standard output" if output == "-" else "the output is compressed"
    if out_fmt not in OUTPUTS:
        return f"the output is {out_fmt}"
    if strict:
        return "--strict is given"
    if json_columns:
        return "the rules read JSON objects inside CSV cells"
    if any("\n" in name or "\r" in name for name in header):
        return "the header has a line break inside a name"
    return None


def _run_native(
    ruleset: Any,
    native: Native,
    header: list[str],
    in_fmt: str,
    out_fmt: str,
    input: str,
    sink: Output,
    reject_sink: Output | None,
    io: Any,
    names: tuple[str, str, str],
    flagging: tuple[tuple[str, ...], str],
    tally: _Tally,
    delimiter: str,
) -> int | None:
    """DuckDB reads, qualifies and writes (see _native); None when the batch path must run instead (nothing written yet)."""
    if out_fmt == "csv" and in_fmt != "csv":
        delimiter = ","
    twice = sorted(name for name, n in Counter(name or f"column{i}" for i, name in enumerate(header)).items() if n > 1)
    if out_fmt == "parquet" and twice:
        what = f"column {twice[0]!r} appears" if len(twice) == 1 else f"columns {', '.join(map(repr, twice))} appear"
        io.err.write(f"{input}: {what} more than once in the header; Parquet needs one name per column (write CSV to keep both)\n")
        return EXIT_USAGE
    writer = Writer(out_fmt, header, False, names, delimiter, flags=flagging[0], flags_name=flagging[1])
    try:
        native.prepare(out_fmt, writer, _TEXT_QUERY.get((id(ruleset), native.as_of)), sink)
    except Redo as exc:
        _raise_stop()  # DuckDB's error was a stop signal, not an input it cannot read: the run stops, not done again
        if in_fmt == "parquet":  # no other reader: said, nothing written
            io.err.write(f"{input}: {exc.args[0]}\n")
            return EXIT_USAGE
        if out_fmt == "parquet":  # the batch path writes no Parquet
            io.err.write(
                f"{sink.path}: DuckDB writes Parquet only from a CSV or Parquet file it reads itself, and it reads {input} otherwise than "
                f"the Python engine ({exc.args[0]}); write a CSV output\n"
            )
            return EXIT_USAGE
        return None
    counts = native.counts()
    rejected = len(counts.rejects)
    tally.read, tally.rejected, tally.written = counts.read, rejected, counts.read - rejected
    native.write(out_fmt, sink, writer)
    reject_csv = reject_sink is not None and in_fmt == "csv" and format_of(reject_sink.path) == "csv"
    if reject_sink is not None and reject_csv:
        reject_sink.write(Writer("csv", [], False, delimiter=delimiter)._csv_line(list(REJECT_COLUMNS) + header))
    for shown, (number, line, reason, original, raw, _stop) in enumerate(counts.rejects):
        if reject_sink is not None:
            reject_sink.write(_reject_row(number, line, reason, original, raw, delimiter) if reject_csv else _reject_line(number, line, reason, original, raw, in_fmt))
        elif shown < SHOWN_REJECTS:
            io.err.write(f"{input}:{line}: row {number} rejected: {reason}\n")
    sink.flush()
    if reject_sink is not None:
        reject_sink.flush()
    if reject_sink is None and rejected > SHOWN_REJECTS:
        io.err.write(f"... and {rejected - SHOWN_REJECTS:,} more rejected row{'s' if rejected - SHOWN_REJECTS != 1 else ''}: pass --rejects FILE to keep them all\n")
    stages: Counter[str] = Counter(counts.stages)
    issues: Counter[tuple[str, str]] = Counter(counts.issues)
    absent = set(counts.absent) if counts.absent is not None else None
    io.err.write(_summary(ruleset, counts.read, counts.read - rejected, rejected, stages, counts.with_issues, issues, absent))
    return EXIT_FAILED if rejected else EXIT_OK


def _run(
    ruleset: Any,
    reader: Any,
    in_fmt: str,
    out_fmt: str,
    input: str,
    sink: Output,
    details: bool,
    as_of: datetime,
    strict: bool,
    reject_sink: Output | None,
    jobs: int,
    io: Any,
    source: IO[str],
    names: tuple[str, str, str],
    flagging: tuple[tuple[str, ...], str],
    json_columns: list[str],
    tally: _Tally,
    engine: str = "python",
    tracking: Tracking | None = None,
    removed_sink: Output | None = None,
    layout: tuple[str, ...] | None = None,
) -> int:
    rows: Iterator[Row] | None = None
    header = list(reader.header)
    reject_csv = reject_sink is not None and in_fmt == "csv" and format_of(reject_sink.path) == "csv"
    if out_fmt == "csv" and in_fmt != "csv":  # JSON in, CSV out: columns of the first object
        rows = iter(reader)
        skipped: list[Row] = []
        first = next(rows, None)
        while first is not None and first.lead is None:  # a rejected record has no columns to give
            skipped.append(first)
            first = next(rows, None)
        if first is not None:
            try:
                header = list(flatten(first.lead or {}))
            except Unwritable:  # a clash of keys: the row is rejected when it is written; its own keys are the header
                header = list(first.lead or {})
        rows = _chain(skipped + ([first] if first is not None else []), rows)
    if out_fmt != "csv" and in_fmt == "csv":
        counts = Counter(header)
        twice = sorted(name for name, n in counts.items() if n > 1)
        if twice:
            what = f"column {twice[0]!r} appears" if len(twice) == 1 else f"columns {', '.join(map(repr, twice))} appear"
            io.err.write(f"{input}: {what} more than once in the header; JSON needs one key per column (write CSV to keep both)\n")
            return EXIT_USAGE
    delimiter = getattr(reader, "delimiter", ",") if in_fmt == "csv" else ","  # CSV in, CSV out: the input's delimiter
    writer = Writer(out_fmt, header, details, names, delimiter, flags=flagging[0], flags_name=flagging[1], handoff=HANDOFF_COLUMNS if tracking else (), layout=layout)
    options = _options(names, *flagging)
    if in_fmt == "csv":  # the added columns that no option renames (those are checked before: _taken_columns)
        taken = [name for name in writer.added_columns if name in header and name not in options]
        if taken:
            io.err.write(
                f"{input}: the input has {'a column' if len(taken) == 1 else 'columns'} {', '.join(map(repr, taken))}, which qualify adds; "
                "it is never overwritten: rename it in the export"
                + (", or leave it out of --columns" if layout is not None else "")
                + "\n"
            )
            return EXIT_USAGE
    transitions: Counter[str] = Counter()
    waiting: dict[str, tuple[int, int]] = {}
    unchanged = dropped = 0
    stages: Counter[str] = Counter()
    issues: Counter[tuple[str, str]] = Counter()
    absent: set[str] | None = None
    read = written = rejected = with_issues = 0
    stopped: tuple[int, int] | None = None
    progress = _Progress(io.err)
    units = _units(reader, in_fmt, source, rows, jobs, DUCKDB_BATCH if engine == "duckdb" else BATCH)
    by_position = in_fmt == "csv" and engine == "python" and writer.plain and tracking is None and not json_columns
    if by_position:  # read by Ruleset.row_evaluator from the values: no lead dict per row
        reader.columns = []
    results = _results(units, jobs, (ruleset, writer, as_of, strict, header, json_columns, delimiter, engine, tracking, by_position))
    try:
        sink.write(writer.start())
        if reject_sink is not None and reject_csv:  # the input's header, after the three columns that say why
            reject_sink.write(Writer("csv", [], False, delimiter=writer.delimiter)._csv_line(list(REJECT_COLUMNS) + header))
        for done in results:
            tally.read += done.read  # before the writes: a stop while writing says how far the run got
            tally.rejected += len(done.rejects)
            tally.written += done.read - len(done.rejects) - done.skipped
            tally.skipped += done.skipped
            if done.text:
                sink.write(writer.separator(written == 0) + done.text)
            shown = 0  # of this unit's rejects, listed on standard error
            for number, line, reason, original, raw, stop in done.rejects:
                number += read  # numbers in the unit, from its first row
                if stop:
                    stopped = (number, line)
                if reject_sink is not None:
                    if reject_csv:
                        reject_sink.write(_reject_row(number, line, reason, original, raw, writer.delimiter))
                    else:
                        reject_sink.write(_reject_line(number, line, reason, original, raw, in_fmt))
                elif rejected + shown < SHOWN_REJECTS:
                    if rejected + shown >= tally.listed:
                        io.err.write(f"{input}:{line}: row {number} rejected: {reason}\n")
                    shown += 1
            read += done.read
            rejected += len(done.rejects)
            written += done.read - len(done.rejects) - done.skipped
            unchanged += done.skipped
            if tracking is not None:
                try:
                    tracking.store.see(done.keys)
                except sqlite3.Error as exc:  # the temporary directory is full, or gone
                    raise OutputError(tracking.store.directory, f"the index of the input's keys: {exc}") from None
                dropped += done.dropped
                transitions.update(done.transitions)
                for owner, (due, late) in done.waiting.items():
                    had = waiting.get(owner, (0, 0))
                    waiting[owner] = (had[0] + due, had[1] + late)
            stages.update(done.stages)
            issues.update(done.issues)
            with_issues += done.with_issues
            if done.absent is not None:
                absent = set(done.absent) if absent is None else absent & set(done.absent)
            progress.update(read)
        sink.write(writer.end(written > 0))
        sink.flush()
        if reject_sink is not None:
            reject_sink.flush()
        if removed_sink is not None and tracking is not None:
            _write_removed(removed_sink, tracking, writer.delimiter if in_fmt == "csv" else ",")
    except EngineRefused as exc:
        if tally.fallback and "-" not in tally.outputs:  # nothing was put in place: the files are written at the end
            raise _UsePython(exc.args[0]) from None
        io.err.write(tally.line() + f"--engine duckdb: {exc.args[0]}; use --engine python; {tally.lost()}\n")
        return EXIT_USAGE
    except NameClash as exc:
        number, line, name = exc.args
        option = _options(names, *flagging).get(name)
        rename = f"name the added key with {option} NAME (e.g. {option} leadspec_{name})" if option else "rename that key in the input"
        io.err.write(
            tally.line() + f"{input}:{line}: row {read + number} has a key {name!r}, which qualify adds; it is never overwritten: {rename}; {tally.lost()}\n"
        )
        return EXIT_USAGE
    except OutputError as exc:
        if exc.path == "-" and isinstance(exc.__cause__, BrokenPipeError):  # whoever reads standard output stopped (`| head`): stop too
            closed = f"output closed after {written:,} row{'s' if written != 1 else ''}" if sink.path == "-" else "standard output (--rejects -) closed"
            files = [each.path for each in (sink, reject_sink) if each is not None and each.path != "-"]
            io.err.write(
                tally.line()
                + f"{closed}; stopped\n"
                + "".join(f"{path}: nothing written (the run did not finish)\n" for path in files)
            )
            return EXIT_CLOSED
        raise
    finally:
        results.close()  # workers ended now, whatever stopped the run (not when the generator is collected)
        progress.done()
    if reject_sink is None and rejected > SHOWN_REJECTS:
        io.err.write(f"... and {rejected - SHOWN_REJECTS:,} more rejected row{'s' if rejected - SHOWN_REJECTS != 1 else ''}: pass --rejects FILE to keep them all\n")
    io.err.write(_summary(ruleset, read, written, rejected, stages, with_issues, issues, absent, unchanged))
    if tracking is not None:
        io.err.write(_handoff_summary(tracking, transitions, waiting, removed_sink, dropped))
    if stopped is not None:
        io.err.write(f"{input}:{stopped[1]}: stopped reading: the rest of the input from row {stopped[0]} cannot be read (it is one rejected row)\n")
    return EXIT_FAILED if rejected else EXIT_OK


def _write_removed(sink: Output, tracking: Tracking, delimiter: str) -> None:
    """--removed: the leads of the previous output that the input no longer has: CSV (the run's delimiter), JSON Lines or a JSON array, by the file's name."""
    kind = format_of(sink.path) or "csv"
    columns = [tracking.key, "previous_stage", "stage_since"]
    if kind == "csv":
        writer = Writer("csv", [], False, delimiter=delimiter)
        sink.write(writer._csv_line(columns))
        for row in tracking.store.removed():
            sink.write(writer._csv_line(["" if v is None else v for v in row]))
    else:
        first = True
        sink.write("[\n" if kind == "json" else "")
        for row in tracking.store.removed():  # one at a time: as many as the previous output had, in flat memory
            text = json.dumps(dict(zip(columns, row)), ensure_ascii=False)
            sink.write((text if first else ",\n" + text) if kind == "json" else text + "\n")
            first = False
        sink.write(("]\n" if first else "\n]\n") if kind == "json" else "")
    sink.flush()


def _handoff_summary(tracking: Tracking, transitions: Counter[str], waiting: dict[str, tuple[int, int]], removed_sink: Output | None, dropped: int) -> str:
    """--previous: the stage changes of the run, what each owner has due and overdue, the leads gone, the duplicate keys."""
    moves = sorted(((k, n) for k, n in transitions.items() if k not in ("new", "same")), key=lambda kn: (-kn[1], kn[0]))
    parts = [f"new {transitions['new']:,}"] + [f"{k} {n:,}" for k, n in moves] + [f"unchanged {transitions['same']:,}"]
    lines = ["hand-off: " + ", ".join(parts)]
    if waiting:
        owners = sorted(waiting.items(), key=lambda item: (-item[1][0], item[0]))
        lines.append("  due, not yet touched: " + ", ".join(f"{owner or '(no owner)'} {due:,} ({late:,} overdue)" for owner, (due, late) in owners))
    if not tracking.store.since_known:
        lines.append(
            f"  warning: the previous output {tracking.previous_name} has no stage_since column (it was written without --previous): "
            "a lead that stayed in its stage has no known since, nor a due time. To start tracking, run once with --previous "
            "on an empty file: every lead is then new, its clock starting at --as-of"
        )
    store = tracking.store
    if store.without_key:
        lines.append(f"  warning: {store.without_key:,} of the {store.rows:,} records of the previous output have no value for the key {tracking.key!r}: they match no lead")
    if dropped:
        lines.append(
            f"  warning: {dropped:,} rejected row{'s' if dropped != 1 else ''} had a previous state: not in the output, "
            f"{'they are' if dropped != 1 else 'it is'} new to the next run (its clock restarts); fix {'them' if dropped != 1 else 'it'} and run this night again"
        )
    gone = tracking.store.removed_count()
    if gone:
        where = f" (written to {removed_sink.path})" if removed_sink is not None else " (--removed FILE lists them)"
        lines.append(f"  {gone:,} lead{'s' if gone != 1 else ''} of the previous output {'are' if gone != 1 else 'is'} not in this input{where}")
    for table, what in (("seen", "the input"), ("previous", f"the previous output {tracking.previous_name}")):
        count, first = tracking.store.duplicates(table)
        if count:
            shown = ", ".join(map(repr, first)) + (", …" if count > len(first) else "")
            rows = "each is written with its own stage" if table == "seen" else "a lead of the input with one of them is rejected: its previous stage is ambiguous"
            lines.append(f"  warning: {count:,} key{'s' if count != 1 else ''} of {what} {'are' if count != 1 else 'is'} on more than one row ({shown}); {rows}")
    return "\n".join(lines) + "\n"


def _summary(
    ruleset: Any,
    read: int,
    written: int,
    rejected: int,
    stages: Counter[str],
    with_issues: int,
    issues: Counter[tuple[str, str]],
    absent: set[str] | None,
    skipped: int = 0,
) -> str:
    """The closing summary: counts, leads per stage, the commonest data issues, fields no row had."""
    # every stage in funnel order, an empty one too: "mql 0" is news for a funnel review
    shown = [stage for stage in ruleset.stage_ids if stage != "disqualified" or ruleset.plan.disqualify or stages[stage]]
    per_stage = ", ".join(f"{stage} {stages[stage]:,}" for stage in shown) if read else ""
    lines = [f"{read:,} row{'s' if read != 1 else ''} read, {written:,} written, {rejected:,} rejected"]
    if per_stage:
        lines[0] += f" ({per_stage})"
    if skipped:
        lines[0] += f"; {skipped:,} unchanged, not written (--only-changed)"
    if with_issues:
        lines[0] += f"; {with_issues:,} with data issues"
        top = sorted(issues.items(), key=lambda item: (-item[1], item[0]))
        for (field, message), count in top[:TOP_ISSUES]:
            lines.append(f"  data issue: {field}: {message} ({count:,} row{'s' if count != 1 else ''})")
        if len(top) > TOP_ISSUES:
            lines.append(f"  and {len(top) - TOP_ISSUES:,} other kinds of data issue")
    if absent:
        fields = ruleset.fields
        named = []
        for name in (n for n in fields if n in absent):
            source = fields[name].source or name
            named.append(f"{name!r}" + ("" if source == name else f" (source {source!r})"))
        if len(named) == 1:
            lines.append(f"warning: no row has a value for field {named[0]}; check its source")
        else:
            lines.append(f"warning: no row has a value for fields {', '.join(named)}; check their sources")
    return "\n".join(lines) + "\n"


REJECT_COLUMNS = ("reject_row", "reject_line", "reject_reason")
"""The columns a CSV of rejects has before the input's: the row number, its first line, why it was rejected."""


def _reject_row(number: int, line: int, reason: str, original: Any, raw: str | None, delimiter: str) -> str:
    """One record of a CSV --rejects file: why, then the record's text as the input has it (fix it, feed the file in again)."""
    cells = Writer("csv", [], False, delimiter=delimiter)
    why = cells._csv_line([number, line, reason])[:-2]  # without its \r\n
    if raw is None:
        raw = cells._csv_line(original if isinstance(original, list) else [str(original)])[:-2]
    return f"{why}{delimiter}{raw}\r\n"


def _reject_line(number: int, line: int, reason: str, original: Any, raw: str | None, in_fmt: str) -> str:
    """One line of the --rejects file: always valid JSON, whatever the record held."""
    text = raw[:-1] if raw is not None and raw.endswith("\n") else raw
    record = original if isinstance(original, (dict, list, str)) or original is None else repr(original)
    if record is None:
        record = text
    entry: dict[str, Any] = {"row": number, "line": line, "reason": reason, "record": record}
    if in_fmt == "csv" and text is not None and not isinstance(record, str):
        entry["text"] = text
    try:
        written = dumps(entry)
        written.encode("utf-8")
    except UnicodeEncodeError:  # half a surrogate pair: written as the \\u escape it came as
        written = json.dumps(finite(entry), ensure_ascii=True)
    except (RecursionError, TypeError, ValueError):  # a record too deep or odd to write back: its text instead
        entry["record"] = text if text is not None else repr(original)[:10_000]
        written = json.dumps(finite(entry), ensure_ascii=True)
    return written + "\n"


def _chain(first: list[Row], rest: Iterator[Row]) -> Iterator[Row]:
    yield from first
    yield from rest


__all__ = ["qualify"]
