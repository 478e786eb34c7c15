"""The DuckDB engine: the rules' SQL (:meth:`leadspec.Ruleset.to_sql`) run by an embedded DuckDB.

Two ways in:

* :func:`qualify_frame` — a pandas or polars DataFrame, or a pyarrow
  Table, in; the same type out with the query's columns added (``stage``,
  ``reasons``, a column per criterion and per score, ``blocked_by``,
  ``missing``, ``issues``, ``ruleset_digest``), rows in input order. DuckDB
  scans the frame where it is (no copy into Python objects); typed columns
  are read as the Python engine reads the same Python values.
* :class:`Qualifier` — leads as Python mappings (what ``leadspec qualify
  --engine duckdb`` reads from CSV, JSON Lines and Parquet), evaluated a
  batch at a time by one query per batch; :meth:`Qualifier.outcomes` gives
  each lead's :class:`Outcome`.

Needs the ``duckdb`` extra (``pip install 'leadspec[duckdb]'``: duckdb,
sqlglot) and pyarrow, imported when first used: ``import leadspec`` never
needs them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from .ruleset import Ruleset

__all__ = ["INSTALL", "Outcome", "Qualifier", "qualify_frame", "read_type"]

INSTALL = "pip install 'leadspec[duckdb]'"
"""What to run when the DuckDB engine's packages are missing."""

_ROW = "__leadspec_row"
"""The column that numbers the input rows inside the query (the output is ordered by it)."""

_INPUT = "__leadspec_input"
_LEADS = "__leadspec_leads"

# DuckDB's types the fields part reads as they are, and those read as one of them (same Python value).
_SAME = {
    "TINYINT": "BIGINT",
    "SMALLINT": "BIGINT",
    "INTEGER": "BIGINT",
    "UTINYINT": "BIGINT",
    "USMALLINT": "BIGINT",
    "UINTEGER": "BIGINT",
    "FLOAT": "DOUBLE",
    "TIMESTAMP_S": "TIMESTAMP",
    "TIMESTAMP_MS": "TIMESTAMP",
    "TIMESTAMP_NS": "TIMESTAMP",
    "TIMESTAMP_US": "TIMESTAMP",
}


def _require() -> Any:
    """The duckdb module, or an ImportError saying what to install."""
    try:
        import duckdb
        import sqlglot  # noqa: F401  (to_sql needs it)
    except ImportError as exc:
        raise ImportError(f"the DuckDB engine needs the duckdb extra ({exc.name} is not installed): {INSTALL}") from None
    return duckdb


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError:
        raise ImportError(f"the DuckDB engine hands leads to DuckDB as Arrow data and needs pyarrow: {INSTALL} pyarrow") from None
    return pyarrow


class Outcome(NamedTuple):
    """One lead's answer from the query (the columns of :meth:`leadspec.Ruleset.to_sql`)."""

    stage: str
    reasons: str  # the text of Result.summary()
    criteria: dict[str, str]  # criterion id -> 'pass' | 'fail' | 'unknown' (those asked for)
    issues: list[dict[str, Any]]  # {field, value, message, criterion}; value as text (JSON for what is not text)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _connect(threads: int | None) -> Any:
    duckdb = _require()
    con = duckdb.connect(":memory:")
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = true")
    return con


def read_type(kind: str) -> str:
    """The DuckDB type the rules' query reads a column of DuckDB type ``kind`` as: the same Python value, in a type the fields part reads.

    Every smaller integer is BIGINT, FLOAT and DECIMAL are DOUBLE, a timestamp of any
    precision is TIMESTAMP, an ENUM (and a column of NULLs) is VARCHAR; any other type is
    read as it is (``kind`` itself).
    """
    upper = kind.upper()
    target = _SAME.get(upper)
    if target is None and (upper.startswith("ENUM(") or upper == '"NULL"' or upper == "NULL"):
        target = "VARCHAR"
    if target is None and upper.startswith("DECIMAL"):  # a list of DECIMALs: a list of the nearest DOUBLEs
        target = read_type(kind[:-2]) + "[]" if upper.endswith("[]") else "DOUBLE"
    return kind if target is None else target


def _typed_view(con: Any, source: str, view: str, read: set[str], number: bool) -> dict[str, str]:
    """Create ``view`` over relation ``source``: the columns the rules read as the fields part reads them; return their types.

    With ``number``, a row number is added (``_ROW``): the scan's order, which the output keeps.
    """
    described = con.execute(f"DESCRIBE SELECT * FROM {_quoted(source)}").fetchall()
    types: dict[str, str] = {}
    replace: list[str] = []
    for row in described:
        name, kind = str(row[0]), str(row[1])
        if name not in read:
            types[name] = kind
            continue
        target = read_type(kind)
        if target != kind:
            replace.append(f"CAST({_quoted(name)} AS {target}) AS {_quoted(name)}")
            kind = target
        types[name] = kind
    star = f"* REPLACE ({', '.join(replace)})" if replace else "*"
    extra = f", row_number() OVER () AS {_ROW}" if number else ""
    con.execute(f"CREATE OR REPLACE TEMP VIEW {_quoted(view)} AS SELECT {star}{extra} FROM {_quoted(source)}")
    return types


def _read_columns(rules: Ruleset) -> set[str]:
    """The input columns fields read: each source, and the first part of a dotted one (a nested object's column)."""
    sources = [spec.source or name for name, spec in rules.fields.items()]
    return set(sources) | {source.split(".")[0] for source in sources}


# -- DataFrames ----------------------------------------------------------------------------


def qualify_frame(rules: Ruleset, frame: Any, as_of: datetime | date | str | None = None, *, threads: int | None = None) -> Any:
    """Qualify every row of ``frame`` (pandas DataFrame, polars DataFrame or pyarrow Table) with DuckDB.

    Returns the same type with the columns of :meth:`Ruleset.to_sql`
    added after the frame's own (``stage``, ``reasons``, a column per
    criterion named by its id, a column per score, ``blocked_by``,
    ``missing``, ``issues``, ``ruleset_digest``), the rows in input order;
    the frame's own columns are left as they are. A row's values are read
    as :meth:`Ruleset.evaluate` reads the same row's Python values (text
    columns as text, numbers, booleans, dates, timestamps, lists and
    structs as such; NaN is missing). ``as_of`` defaults to the current
    time (one moment for every row); ``threads``: DuckDB's threads
    (default: as many as cores). A frame with a column the query adds, or
    without a column a field reads (as ``leadspec qualify`` refuses a file
    without it: add the column, empty where there is no value), raises
    ``ValueError``.
    """
    from .ruleset import _as_of

    kind = _frame_kind(frame)
    added = _added_columns(rules)
    columns = _frame_columns(frame, kind)
    clash = [name for name in columns if name in set(added) or name == _ROW]
    if clash:
        raise ValueError(f"the frame has a column {clash[0]!r}, which qualify_frame adds: rename it first")
    absent = [(name, source) for name, source in ((name, spec.source or name) for name, spec in rules.fields.items()) if source not in columns and source.split(".")[0] not in columns]
    if absent:
        name, source = absent[0]
        more = f" (and {len(absent) - 1} more: {', '.join(repr(s) for _, s in absent[1:4])}{', …' if len(absent) > 4 else ''})" if len(absent) > 1 else ""
        raise ValueError(f"the frame has no column {source!r}, which field {name!r} reads{more}: add it, empty (None) where there is no value")
    moment = _as_of(as_of)
    con = _connect(threads)
    try:
        con.register(_INPUT, frame)
        types = _typed_view(con, _INPUT, _LEADS, _read_columns(rules), number=True)
        query = rules.to_sql("duckdb", table=_LEADS, as_of=moment, types=types, pretty=False)
        picked = ", ".join(_quoted(name) for name in added)
        result = con.sql(f"SELECT {picked} FROM ({query}) AS q ORDER BY {_ROW}")
        if kind == "pandas":
            new = result.df()
            new.index = frame.index
            import pandas

            return pandas.concat([frame, new], axis=1)
        if kind == "polars":
            return frame.hstack(result.pl().get_columns())
        table = result.to_arrow_table() if hasattr(result, "to_arrow_table") else result.arrow()
        out = frame
        for name in table.column_names:
            out = out.append_column(name, table.column(name))
        return out
    finally:
        con.close()


def _added_columns(rules: Ruleset) -> list[str]:
    """The columns the query adds, in its order."""
    plan = rules.plan
    return ["stage", "reasons", *(c.id for c in plan.criteria), *(s.name for s in plan.scores), "blocked_by", "missing", "issues", "ruleset_digest"]


def _frame_kind(frame: Any) -> str:
    module = type(frame).__module__.split(".")[0]
    if module == "pandas" and hasattr(frame, "columns"):
        return "pandas"
    if module == "polars" and hasattr(frame, "hstack"):
        return "polars"
    if module == "pyarrow" and hasattr(frame, "append_column"):
        return "arrow"
    raise TypeError(f"qualify_frame takes a pandas DataFrame, a polars DataFrame or a pyarrow Table, not {type(frame).__name__}")


def _frame_columns(frame: Any, kind: str) -> list[str]:
    if kind == "arrow":
        return [str(c) for c in frame.column_names]
    return [str(c) for c in frame.columns]


# -- leads as Python values (the command line) ---------------------------------------------------


_KINDS = {str: "text", bool: "bool", float: "float", dict: "object", list: "list"}


def _kind(value: Any) -> str | None:
    """What DuckDB column a Python value needs (None: missing, fits any)."""
    if value is None:
        return None
    if type(value) is int:
        return "int" if -(2**63) <= value < 2**63 else "bigint"
    kind = _KINDS.get(type(value))
    if kind is not None:
        return kind
    if isinstance(value, datetime):
        return "datetime" if value.tzinfo is None else f"datetime {value.utcoffset()}"
    if isinstance(value, date):
        return "date"
    return type(value).__name__


class Qualifier:
    """Qualifies leads given as Python mappings with DuckDB, a batch at a time (one query per batch).

    ``rules``: the rule file; ``as_of``: the moment of evaluation (default:
    now, once for every batch); ``threads``: DuckDB's threads (default:
    one; a batch is small); ``criteria``: the criterion ids whose outcomes
    :meth:`outcomes` gives (default: none; stage, reasons and issues always).

    A batch's leads are handed to DuckDB as Arrow columns of the values
    the rules read, typed by their Python values as the Python engine
    reads them (text, integers, floats, booleans, nested objects, lists).
    Leads whose values no one column type can hold alongside the others'
    (a column of text in some leads and numbers in others) go in a query of
    their own; a value Arrow cannot hold at all (an integer beyond 64 bits)
    is evaluated by the Python engine, which the query agrees with.
    """

    def __init__(
        self, rules: Ruleset, as_of: datetime | date | str | None = None, *, threads: int | None = 1, criteria: Sequence[str] = ()
    ) -> None:
        from .ruleset import _as_of

        self.rules = rules
        self.as_of = _as_of(as_of)
        self.criteria = tuple(criteria)
        known = {c.id for c in rules.plan.criteria}
        unknown = [c for c in self.criteria if c not in known]
        if unknown:
            raise ValueError(f"no criterion {unknown[0]!r} in these rules")
        sources = [spec.source or name for name, spec in rules.fields.items()]
        self.columns = sorted(set(sources) | {s.split(".")[0] for s in sources})
        self._pa = _pyarrow()
        self._con = _connect(threads)
        self._queries: dict[tuple[tuple[str, str], ...], str] = {}
        self._view: tuple[tuple[tuple[str, str], ...], dict[str, str]] | None = None

    def close(self) -> None:
        """Close the DuckDB connection."""
        self._con.close()

    def __enter__(self) -> Qualifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def outcomes(self, leads: Sequence[Mapping[str, Any]]) -> list[Outcome]:
        """Each lead's :class:`Outcome`, in order."""
        out: list[Outcome | None] = [None] * len(leads)
        if not leads:
            return []
        columns = self.columns
        values = [[lead.get(c) for c in columns] for lead in leads]
        kinds = [{_kind(v) for v in col} - {None} for col in zip(*values)]
        if all(len(k) <= 1 for k in kinds):
            groups = [list(range(len(leads)))]
        else:
            by: dict[tuple[str | None, ...], list[int]] = {}
            for i, row in enumerate(values):
                by.setdefault(tuple(_kind(v) for v in row), []).append(i)
            groups = list(by.values())
        for group in groups:
            self._evaluate(group, values, leads, out)
        return out  # type: ignore[return-value]

    def _evaluate(self, group: list[int], values: list[list[Any]], leads: Sequence[Mapping[str, Any]], out: list[Outcome | None]) -> None:
        pa = self._pa
        arrays = []
        try:
            for j, _name in enumerate(self.columns):
                array = pa.array([values[i][j] for i in group])
                if pa.types.is_null(array.type):
                    array = array.cast(pa.string())
                arrays.append(array)
        except (pa.ArrowException, OverflowError, TypeError, ValueError):
            if len(group) > 1:  # one lead's odd value must not send the others to Python
                for i in group:
                    self._evaluate([i], values, leads, out)
                return
            out[group[0]] = self._python(leads[group[0]])
            return
        arrays.append(pa.array(range(len(group)), type=pa.int64()))
        table = pa.Table.from_arrays(arrays, names=[*self.columns, _ROW])
        con = self._con
        con.register(_INPUT, table)
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM {_quoted(_INPUT)}").fetchall()
            signature = tuple((str(r[0]), str(r[1])) for r in described)
            if self._view is None or signature != self._view[0]:  # the view reads the batch by name: remade when its types change
                types = _typed_view(con, _INPUT, _LEADS, set(self.columns), number=False)
                types.pop(_ROW, None)
                self._view = (signature, types)
            types = self._view[1]
            query = self._queries.get(signature)
            if query is None:
                sql = self.rules.to_sql("duckdb", table=_LEADS, as_of=self.as_of, types=types, pretty=False)
                picked = ", ".join(_quoted(n) for n in ("stage", "reasons", *self.criteria, "issues"))
                query = f"SELECT {picked} FROM ({sql}) AS q ORDER BY {_ROW}"
                self._queries[signature] = query
            rows = con.execute(query).fetchall()
        finally:
            con.unregister(_INPUT)
        count = len(self.criteria)
        for i, row in zip(group, rows):
            issues = row[2 + count]
            out[i] = Outcome(row[0], row[1], dict(zip(self.criteria, row[2 : 2 + count])), [dict(x) for x in issues] if issues else [])

    def _python(self, lead: Mapping[str, Any]) -> Outcome:
        """A lead whose values Arrow cannot hold, evaluated by the Python engine (the query's oracle)."""
        result = self.rules.evaluate(lead, self.as_of)
        outcomes = {c.id: c.outcome for c in result.criteria}
        issues = [
            {
                "field": i.get("field"),
                "value": None if i.get("value") is None else i["value"] if isinstance(i["value"], str) else _json(i["value"]),
                "message": i.get("message"),
                "criterion": i.get("criterion"),
            }
            for i in result.to_dict()["issues"]
        ]
        return Outcome(result.stage, result.summary(), {c: outcomes[c] for c in self.criteria}, issues)


def _json(value: Any) -> str:
    import json

    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return json.dumps(value if not isinstance(value, float) or math.isfinite(value) else None, default=str, ensure_ascii=False)
