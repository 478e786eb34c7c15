"""``qualify --previous LAST_OUTPUT --key COLUMN``: the previous run's stages, indexed by key on disk.

The previous output (CSV or JSON Lines, as ``qualify`` writes it) is read
once into a SQLite file in a temporary directory: its key, stage and
``stage_since`` per row, and how often each key occurs. Lookups while
qualifying, the keys the new input has (for the leads removed since) and
the duplicates are all in that file, so memory stays flat whatever the
size of either file. Each worker process opens the file itself.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any, cast

from ._io import Prefixed, reader_for

__all__ = ["HANDOFF_COLUMNS", "PreviousIndex", "PreviousError", "key_text"]

HANDOFF_COLUMNS = ("previous_stage", "stage_since", "owner", "due_by", "handoff")
"""The columns ``--previous`` adds after ``stage`` and ``reasons`` (and the flags)."""

SINCE_COLUMN = "stage_since"
BATCH = 10_000
CACHE_KIB = 2 * 1024  # SQLite's page cache per connection (and its sorter's memory): a fixed 2 MiB (SQLite's default), whatever the size of the files
LOOKUP = 500  # keys a query looks up at once (SQLite's limit of parameters is 999 in old builds)


class PreviousError(Exception):
    """The previous output cannot be used (no such column, unreadable): a usage error, before any row is read."""


def key_text(value: Any) -> str | None:
    """A key cell as text, the same for a CSV cell and a JSON value (``660737`` and ``"660737"``); None: no key."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


class PreviousIndex:
    """The previous output's (stage, since) by key, in a SQLite file; and the keys of the new input, as they are seen."""

    def __init__(self, directory: str | None = None) -> None:
        self.directory = directory or tempfile.mkdtemp(prefix="leadspec-previous-")
        self.path = os.path.join(self.directory, "previous.sqlite")
        self._con: sqlite3.Connection | None = None
        self._seen: sqlite3.Connection | None = None
        self._pid = os.getpid()
        self._indexed = False
        self.rows = 0
        self.without_key = 0
        self.since_known = True  # False: the previous output has no stage_since (it was written without --previous)

    # -- building (the main process) ----------------------------------------------------------

    def build(self, source: IO[str], fmt: str, name: str, key: str, stage_column: str, delimiter: str = ",") -> None:
        """Read the previous output ``source`` (``fmt``: csv, jsonl or json; ``name`` for messages) into the index."""
        con = self._connect(write=True)
        # appended as read, then grouped by key into the indexed table: sorted inserts, not a random one per row
        con.execute("CREATE TABLE raw (key TEXT, stage TEXT, since TEXT, line INTEGER)")
        first = source.read(1)
        if first:  # else an empty file: no lead was seen before (how a nightly job starts tracking)
            stream = cast(IO[str], Prefixed(first, source))
            if fmt == "csv":
                self._build_csv(stream, name, key, stage_column, delimiter)
            else:
                self._build_json(stream, fmt, name, key, stage_column)
        if self.rows and self.without_key == self.rows:
            raise PreviousError(f"{name}: no record of the previous output has a value for the key {key!r}: is it the key column of that file?")
        con.execute(
            "CREATE TABLE previous (key TEXT PRIMARY KEY, stage TEXT, since TEXT, line INTEGER, n INTEGER NOT NULL) WITHOUT ROWID"
        )
        con.execute("INSERT INTO previous SELECT key, min(stage), min(since), min(line), count(*) FROM raw GROUP BY key ORDER BY key")
        con.execute("DROP TABLE raw")
        con.commit()

    def _build_json(self, stream: IO[str], fmt: str, name: str, key: str, stage_column: str) -> None:
        """A JSON Lines (or JSON array) previous output, read with the Python engine's readers."""
        reader = reader_for(fmt, stream)
        if reader.header_error:
            raise PreviousError(f"{name}: {reader.header_error}")
        batch: list[tuple[str, str | None, str | None, int]] = []
        for row in reader:  # JSON Lines, or a JSON array
            if row.error is not None:
                raise PreviousError(f"{name}:{row.line}: the previous output cannot be read: {row.error}")
            record = row.original
            if not isinstance(record, dict):
                raise PreviousError(f"{name}:{row.line}: a record of the previous output is not an object")
            if stage_column not in record:
                raise PreviousError(f"{name}:{row.line}: this record of the previous output has no {stage_column!r}: is it an output of leadspec qualify?")
            self.rows += 1
            found = key_text(record.get(key))
            if found is None:
                self.without_key += 1
                continue
            stage = record.get(stage_column)
            since = record.get(SINCE_COLUMN)
            if SINCE_COLUMN not in record:
                self.since_known = False
            batch.append((found, None if stage is None else str(stage), None if since in (None, "") else str(since), row.line))
            if len(batch) >= BATCH:
                self._insert(batch)
                batch = []
        self._insert(batch)

    def _build_csv(self, stream: IO[str], name: str, key: str, stage_column: str, delimiter: str) -> None:
        """A CSV previous output, read with the csv module: it is an output of qualify, plain CSV (and read fast)."""
        records = csv.reader(stream, delimiter=delimiter, strict=True)
        try:
            header = next(records, None)
            if header is None:
                return
            self.since_known = SINCE_COLUMN in header
            for column in (key, stage_column):
                if column not in header:
                    raise PreviousError(f"{name}: the previous output has no column {column!r} (its columns: {', '.join(header)})")
            at_key, at_stage = header.index(key), header.index(stage_column)
            at_since = header.index(SINCE_COLUMN) if self.since_known else None
            width = len(header)
            batch: list[tuple[str, str | None, str | None, int]] = []
            for values in records:
                if not values:
                    continue  # a blank line: no record
                if len(values) != width:
                    raise PreviousError(f"{name}:{records.line_num}: the previous output cannot be read: {len(values)} values but the header has {width} columns")
                self.rows += 1
                found = key_text(values[at_key])
                if found is None:
                    self.without_key += 1
                    continue
                since = values[at_since] if at_since is not None else ""
                batch.append((found, values[at_stage], since or None, records.line_num))
                if len(batch) >= BATCH:
                    self._insert(batch)
                    batch = []
            self._insert(batch)
        except csv.Error as exc:
            raise PreviousError(f"{name}:{records.line_num}: the previous output cannot be read: {exc}") from None

    def _insert(self, batch: list[tuple[str, str | None, str | None, int]]) -> None:
        self._connect(write=True).executemany("INSERT INTO raw VALUES (?, ?, ?, ?)", batch)

    def see(self, keys: Iterable[str]) -> None:
        """Record ``keys`` as keys of the new input (the main process, as batches come back): appended, indexed at the end.

        They go to a file of their own: the workers read the previous output's file meanwhile, and never wait for a write.
        """
        self._seen_db().executemany("INSERT INTO seen VALUES (?)", ((k,) for k in keys))

    def _seen_db(self) -> sqlite3.Connection:
        if self._seen is None:
            self._seen = _writable("file:" + os.path.join(self.directory, "seen.sqlite"))
            self._seen.execute("CREATE TABLE seen (key TEXT)")
            self._seen.execute("ATTACH DATABASE ? AS p", (f"file:{self.path}?mode=ro",))
        return self._seen

    def _seen_indexed(self) -> sqlite3.Connection:
        """The keys of the input, indexed (once, when the run has read them all): for the removed leads and the duplicates."""
        con = self._seen_db()
        if not self._indexed:
            con.execute("CREATE INDEX seen_key ON seen (key)")
            self._indexed = True
        return con

    # -- reading (any process) ------------------------------------------------------------------

    def lookup_many(self, keys: Iterable[str]) -> dict[str, tuple[str | None, str | None, int, int]]:
        """(stage, since, how many rows of the previous output have the key, the line of its first) of each of ``keys``
        the previous output has (a key it lacks: a lead not seen before); asked a batch of rows at a time."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, tuple[str | None, str | None, int, int]] = {}
        con = self._connect()
        for start in range(0, len(wanted), LOOKUP):
            part = wanted[start : start + LOOKUP]
            marks = ", ".join("?" for _ in part)
            for key, stage, since, n, line in con.execute(f"SELECT key, stage, since, n, line FROM previous WHERE key IN ({marks})", part):
                found[key] = (stage, since, int(n), int(line))
        return found

    def removed(self) -> Iterator[tuple[str, str | None, str | None]]:
        """(key, stage, since) of each lead of the previous output the new input does not have, in the previous file's order."""
        yield from self._seen_indexed().execute(
            "SELECT key, stage, since FROM p.previous WHERE key NOT IN (SELECT key FROM seen) ORDER BY line"
        )

    def removed_count(self) -> int:
        return int(self._seen_indexed().execute("SELECT count(*) FROM p.previous WHERE key NOT IN (SELECT key FROM seen)").fetchone()[0])

    def duplicates(self, table: str, shown: int = 3) -> tuple[int, list[str]]:
        """How many keys occur more than once in the previous output (``previous``) or the new input (``seen``), and the first few."""
        if table == "previous":
            con, query = self._connect(), "SELECT key FROM previous WHERE n > 1 ORDER BY key"
        else:
            con, query = self._seen_indexed(), "SELECT key FROM seen GROUP BY key HAVING count(*) > 1 ORDER BY key"
        count = int(con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0])
        first = [str(k) for (k,) in con.execute(f"{query} LIMIT ?", (shown,))]
        return count, first

    # -- the connection -------------------------------------------------------------------------

    def _connect(self, write: bool = False) -> sqlite3.Connection:
        if self._con is not None and self._pid != os.getpid():
            self._con = None  # a worker forked from the process that opened it: SQLite's connections do not cross a fork
        if self._con is None:
            self._pid = os.getpid()
            if write:
                self._con = _writable(self.path)
            else:
                self._con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        return self._con

    def __getstate__(self) -> dict[str, Any]:  # a worker process opens the file itself
        return {**self.__dict__, "_con": None, "_seen": None}

    def close(self) -> None:
        for con in (self._con, self._seen):
            if con is not None:
                con.close()
        self._con = self._seen = None

    def remove(self) -> None:
        self.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def _writable(path: str) -> sqlite3.Connection:
    """A connection that writes ``path`` fast: the file is scratch, removed at the end of the run (no journal, no sync)."""
    con = sqlite3.connect(path, check_same_thread=False, uri=path.startswith("file:"))
    con.execute("PRAGMA journal_mode = OFF")
    con.execute("PRAGMA synchronous = OFF")
    con.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return con

