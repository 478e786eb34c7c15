"""Real SQL engines for the SQL backend's tests, and the law they must keep with the Python engine.

``run(engine, rules, rows, as_of=...)`` runs ``rules.to_sql(...)`` on a
real engine (``duckdb``, ``spark`` in local mode, ``postgres`` in a
throwaway cluster) over ``rows`` (dicts of text, or None) loaded as a
table of VARCHAR columns, and returns the output rows as dicts.

``python_row(result)`` is what the Python engine says of one lead in the
same shape, and ``assert_same(expected, got)`` compares them: stage,
reasons, every criterion, every score (within 1e-9), ``blocked_by``,
``missing`` and ``issues``.

Spark and Postgres are started once per test process. Where one cannot
start, its tests are skipped, except under ``CI=true``, where ``.ci/run``
installs them and a missing engine fails the run.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import pytest

import leadspec

ENGINES = ("duckdb", "spark", "postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _unavailable(engine: str, why: str) -> None:
    if IN_CI:
        pytest.fail(f"{engine} is not available in CI ({why}): .ci/run installs it")
    pytest.skip(f"{engine} is not available here: {why}")


# -- the engines -------------------------------------------------------------------------------

_SPARK: Any = None


def spark_session() -> Any:
    """One local Spark session per test process (127.0.0.1, no UI, quiet, ANSI mode as Spark 4 defaults)."""
    global _SPARK
    if _SPARK is not None:
        return _SPARK
    if shutil.which("java") is None:
        _unavailable("spark", "no java on PATH")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        _unavailable("spark", "pyspark is not installed")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", os.environ.get("PYSPARK_PYTHON", "python3"))
    session = (
        SparkSession.builder.master("local[2]")
        .appName("leadspec-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        # (the default 1g, then 2g, ran out of heap analysing a because text of six repeated lists after the tests before
        # it in the same session: tests/test_sql_text.py's spark-repeated case, once test_sql_query.py analysed a query
        # of 300 stages; the machine has 24 GiB)
        .config("spark.driver.memory", "4g")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.analyzer.maxIterations", "1000")  # the query is a chain of layers: Spark's default of 100 passes is too few for some rule files (leadspec.spark.qualify sets it too)
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    _SPARK = session
    atexit.register(session.stop)
    return session


class _Postgres:
    """A throwaway PostgreSQL cluster on 127.0.0.1, owned by the system user ``postgres``."""

    def __init__(self) -> None:
        bindir = _pg_bindir()
        if bindir is None:
            _unavailable("postgres", "no initdb found")
        try:
            import psycopg
        except ImportError:
            _unavailable("postgres", "psycopg is not installed")
        self.dir = tempfile.mkdtemp(prefix="leadspec-pg-")
        run_as = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
        if run_as:
            shutil.chown(self.dir, "postgres")
        data = os.path.join(self.dir, "data")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        subprocess.run([*run_as, os.path.join(bindir, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale", "C"], check=True, capture_output=True)
        subprocess.run(
            [*run_as, os.path.join(bindir, "pg_ctl"), "-D", data, "-l", os.path.join(self.dir, "log"), "-w", "-o", f"-h 127.0.0.1 -p {self.port} -k {self.dir}", "start"],
            check=True,
            capture_output=True,
        )
        self.stop_command = [*run_as, os.path.join(bindir, "pg_ctl"), "-D", data, "-m", "immediate", "stop"]
        atexit.register(self.stop)
        self.connection = psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True)
        self.connection.execute("CREATE EXTENSION IF NOT EXISTS fuzzystrmatch")
        self.connection.execute("SET statement_timeout = '120s'")  # a query the planner cannot finish is a failure, not a hung run (the slowest here, 9,240 X Education leads, takes seconds; hypothesis retries a failing example while it shrinks it, each time to this limit)

    def stop(self) -> None:
        subprocess.run(self.stop_command, capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def _pg_bindir() -> str | None:
    for root in ("/usr/lib/postgresql",):
        if os.path.isdir(root):
            for version in sorted(os.listdir(root), reverse=True):
                candidate = os.path.join(root, version, "bin")
                if os.path.exists(os.path.join(candidate, "initdb")):
                    return candidate
    found = shutil.which("initdb")
    return os.path.dirname(found) if found else None


_PG: _Postgres | None = None


def postgres() -> _Postgres:
    global _PG
    if _PG is None:
        _PG = _Postgres()
    return _PG


# -- running a rule file's query -----------------------------------------------------------------


def run(
    engine: str,
    rules: leadspec.Ruleset,
    rows: Sequence[Mapping[str, Any]],
    *,
    as_of: datetime | date | str,
    columns: Sequence[str] | None = None,
    **to_sql: Any,
) -> list[dict[str, Any]]:
    """The output rows of ``rules.to_sql(dialect=engine, ...)`` run on ``engine`` over ``rows`` (VARCHAR columns), in input order."""
    names = list(columns) if columns is not None else sorted({k for row in rows for k in row})
    table = [[None if row.get(c) is None else str(row.get(c)) for c in names] for row in rows]
    if engine == "duckdb":
        return _duckdb(rules, names, table, as_of, to_sql)
    if engine == "spark":
        return _spark(rules, names, table, as_of, to_sql)
    if engine == "postgres":
        return _postgres(rules, names, table, as_of, to_sql)
    raise ValueError(engine)


_ROW = "__test_row"


def _query(rules: leadspec.Ruleset, dialect: str, names: list[str], as_of: Any, to_sql: dict[str, Any]) -> str:
    return rules.to_sql(dialect=dialect, table="leads", columns=[_ROW, *names], as_of=as_of, **to_sql)


def _outputs(names: list[str], records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    records.sort(key=lambda r: int(r[_ROW]))
    for r in records:
        del r[_ROW]
    return records


def _duckdb(rules: leadspec.Ruleset, names: list[str], table: list[list[Any]], as_of: Any, to_sql: dict[str, Any]) -> list[dict[str, Any]]:
    import duckdb

    import pyarrow as pa

    con = duckdb.connect()
    header = [_ROW, *names]
    columns = [[str(i) for i in range(len(table))]] + [[r[j] for r in table] for j in range(len(names))]
    rows = pa.table({c: pa.array(values, pa.string()) for c, values in zip(header, columns)})
    con.register("__rows", rows)
    con.execute("CREATE TABLE leads AS SELECT * FROM __rows")
    con.unregister("__rows")
    cursor = con.execute(_query(rules, "duckdb", names, as_of, to_sql))
    header = [d[0] for d in cursor.description]
    return _outputs(names, [dict(zip(header, r)) for r in cursor.fetchall()])


def _spark(rules: leadspec.Ruleset, names: list[str], table: list[list[Any]], as_of: Any, to_sql: dict[str, Any]) -> list[dict[str, Any]]:
    from pyspark.sql.types import StringType, StructField, StructType

    session = spark_session()
    schema = StructType([StructField(c, StringType(), True) for c in [_ROW, *names]])
    frame = session.createDataFrame([[str(i), *r] for i, r in enumerate(table)], schema=schema)
    frame.createOrReplaceTempView("leads")
    out = session.sql(_query(rules, "spark", names, as_of, to_sql)).collect()
    return _outputs(names, [_plain(r.asDict(recursive=True)) for r in out])


def _postgres(rules: leadspec.Ruleset, names: list[str], table: list[list[Any]], as_of: Any, to_sql: dict[str, Any]) -> list[dict[str, Any]]:
    pg = postgres()
    con = pg.connection
    cols = ", ".join(f'"{c}" TEXT' for c in [_ROW, *names])
    con.execute("DROP TABLE IF EXISTS leads")
    con.execute(f"CREATE TEMP TABLE leads ({cols})")
    with con.cursor() as cur:
        if table:
            cur.executemany(f"INSERT INTO leads VALUES ({', '.join('%s' for _ in range(len(names) + 1))})", [[str(i), *r] for i, r in enumerate(table)])
        cur.execute(_query(rules, "postgres", names, as_of, to_sql))
        header = [d.name for d in cur.description]
        return _outputs(names, [dict(zip(header, r)) for r in cur.fetchall()])


_TYPES = {"text": {"duckdb": "VARCHAR", "spark": "STRING", "postgres": "TEXT"}, "int": {"duckdb": "INTEGER", "spark": "INT", "postgres": "INTEGER"}}
"""The column types ``run_tables`` takes, by engine."""


def run_tables(engine: str, query: str, tables: Mapping[str, tuple[Sequence[tuple[str, str]], Sequence[Sequence[Any]]]]) -> list[dict[str, Any]]:
    """The rows of ``query`` run on ``engine`` over ``tables``: name -> ((column, "text" | "int"), ...), rows.

    For queries over more than one table (an events table beside the leads); ``run`` covers one table of text.
    """
    if engine == "spark":
        session = spark_session()
        for name, (columns, rows) in tables.items():
            schema = ", ".join(f"`{c}` {_TYPES[kind]['spark']}" for c, kind in columns)
            session.createDataFrame([tuple(r) for r in rows], schema).createOrReplaceTempView(name)
        return [_plain(r.asDict(recursive=True)) for r in session.sql(query).collect()]
    if engine == "duckdb":
        import duckdb

        cursor: Any = duckdb.connect()
        marker, temp = "?", ""
    elif engine == "postgres":
        cursor = postgres().connection.cursor()
        marker, temp = "%s", "TEMP "
    else:
        raise ValueError(engine)
    for name, (columns, rows) in tables.items():
        cols = ", ".join(f'"{c}" {_TYPES[kind][engine]}' for c, kind in columns)
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE {temp}TABLE {name} ({cols})")
        if rows:
            cursor.executemany(f"INSERT INTO {name} VALUES ({', '.join(marker for _ in columns)})", [tuple(r) for r in rows])
    cursor.execute(query)
    header = [d[0] for d in cursor.description]
    return [dict(zip(header, r)) for r in cursor.fetchall()]


def _plain(value: Any) -> Any:
    """Spark's Rows and lists as plain dicts and lists."""
    if hasattr(value, "asDict"):
        return {k: _plain(v) for k, v in value.asDict(recursive=True).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# -- the law ------------------------------------------------------------------------------------


def python_row(result: leadspec.Result) -> dict[str, Any]:
    """The Python engine's answer for one lead, in the shape of the query's output columns."""
    rules_plan = result._plan
    outcomes = {c.id: c.outcome for c in result.criteria}
    row: dict[str, Any] = {"stage": result.stage, "reasons": result.summary()}
    for crit in rules_plan.criteria:
        row[crit.id] = outcomes[crit.id]
    for name, score in result.scores.items():
        row[name] = score.total
    row["blocked_by"] = None if result.next is None else list(result.next.blocked_by)
    row["missing"] = list(result.missing)
    row["issues"] = [_issue(i.model_dump()) for i in result.issues]
    row["ruleset_digest"] = result.ruleset.digest
    return row


def _issue(issue: dict[str, Any]) -> dict[str, Any]:
    value = issue.get("value")
    shown = None if value is None else value if isinstance(value, str) else json.dumps(value)
    return {"field": issue.get("field"), "value": shown, "message": issue.get("message"), "criterion": issue.get("criterion")}


def sql_row(row: Mapping[str, Any], rules: leadspec.Ruleset) -> dict[str, Any]:
    """An output row of the query in the shape of :func:`python_row` (Postgres' jsonb issues as dicts)."""
    out = {k: row[k] for k in ("stage", "reasons", "blocked_by", "missing", "ruleset_digest")}
    for crit in rules.plan.criteria:
        out[crit.id] = row[crit.id]
    for score in rules.plan.scores:
        out[score.name] = row[score.name]
    issues = row["issues"]
    out["issues"] = [dict(json.loads(i) if isinstance(i, str) else i) for i in (issues or [])]
    out["missing"] = list(out["missing"] or [])
    out["blocked_by"] = None if out["blocked_by"] is None else list(out["blocked_by"])
    return out


def assert_same(expected: Mapping[str, Any], got: Mapping[str, Any], *, what: str = "") -> None:
    """The Python engine's row and the query's row agree (scores within 1e-9)."""
    problems = []
    for key, want in expected.items():
        have = got.get(key)
        if isinstance(want, (int, float)) and not isinstance(want, bool) and isinstance(have, (int, float)):
            if not math.isclose(want, have, rel_tol=1e-9, abs_tol=1e-9):
                problems.append(f"{key}: python {want!r}, sql {have!r}")
        elif want != have:
            problems.append(f"{key}: python {want!r}, sql {have!r}")
    assert not problems, (what + "\n" if what else "") + "\n".join(problems)
