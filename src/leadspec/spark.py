"""Qualify the leads of a Spark DataFrame with Spark SQL only (no Python UDF): it runs on any cluster.

::

    import leadspec
    from leadspec.spark import qualify

    rules = leadspec.load("rules/x-education.yaml")
    qualified = qualify(spark.read.parquet("leads/"), rules, as_of="2026-11-01")
    qualified.write.parquet("qualified/")

:func:`qualify` registers the DataFrame as a uniquely named temporary view
and runs :meth:`leadspec.Ruleset.to_sql` (dialect ``spark``) over it, with
the DataFrame's own column types, so Spark plans and distributes the
whole evaluation itself: the executors need neither Python nor leadspec.
Needs the ``spark`` extra: ``pip install 'leadspec[spark]'``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from .ruleset import Ruleset

__all__ = ["qualify"]

_INSTALL = "pip install 'leadspec[spark]'"

# The session settings the query is read under (it is parsed and analysed with them; the DataFrame
# keeps them afterwards): time zone conversions (a `timestamp` column, a moment, to the query's UTC
# wall-clock TIMESTAMP_NTZ) are UTC, as every moment of the rule file and as_of are.
_SETTINGS = {"spark.sql.session.timeZone": "UTC"}

# Settings the query needs at least while it is analysed. The query is a chain of layers (CTEs), each
# reading the one before: Spark's analyzer resolves about one layer per few passes, and a rule file with
# an events field read from JSON text needs more than its default limit of 100 passes ("Max iterations
# (100) reached for batch Resolution"). A higher limit costs nothing when fewer passes are needed.
_AT_LEAST = {"spark.sql.analyzer.maxIterations": 1000}


def qualify(
    df: DataFrame,
    rules: Ruleset | str | os.PathLike[str],
    as_of: datetime | date | str | None = None,
    *,
    events: DataFrame | None = None,
    key: str | None = None,
) -> DataFrame:
    """``df`` with the columns of :meth:`leadspec.Ruleset.to_sql` added, computed by Spark SQL expressions only.

    The result has every column of ``df``, then ``stage``, ``reasons`` (the
    text of :meth:`leadspec.Result.summary`), one column per criterion
    (named by its id: ``'pass'``, ``'fail'`` or ``'unknown'``), one per
    score, ``blocked_by``, ``missing``, ``issues`` (an array of structs
    ``field, value, message, criterion``) and ``ruleset_digest``: for every
    row what :meth:`leadspec.Ruleset.evaluate` says of the same values.

    ``rules``: a :class:`~leadspec.Ruleset`, or the path of a rule file.
    ``as_of``: the moment of evaluation (a ``datetime``, ``date`` or ISO
    8601 text); default: the moment ``qualify`` is called, fixed in the
    query, so every action on the result (``count()``, then ``write``)
    sees the same stages. Columns are read with their Spark types (a
    ``bigint`` column is a number, a ``date`` a date, an ``array<string>``
    a list, a ``struct`` a nested record for a dotted ``source``); string
    columns are read as the text of a CSV cell.

    ``events`` and ``key``: the leads' events as a DataFrame (columns
    ``key``, ``type``, ``at``; one row per event), gathered into the rule
    file's events field for the lead with the same ``key``.

    The query is analysed (when ``qualify`` returns) with the session time
    zone UTC and ``spark.sql.analyzer.maxIterations`` at least 1000 (the
    query is a chain of layers; Spark's default of 100 passes is too few
    for some rule files, e.g. an events field read from JSON text); the
    session's own settings are back afterwards. On Spark Connect the query
    is analysed later, under the session's settings: set both there.

    Raises :class:`ValueError` when a column of ``df`` has the name of an
    output column (``stage``, a criterion id, …; compared as Spark compares
    names, ignoring case unless ``spark.sql.caseSensitive`` is on): rename
    it first (``df.withColumnRenamed``). Raises
    :class:`~leadspec.errors.DialectError` for a rule Spark cannot compute
    exactly as the Python engine does, and :class:`ImportError` naming
    ``pip install 'leadspec[spark]'`` when pyspark or sqlglot is missing.
    """
    _require()
    from .ruleset import Ruleset, _as_of, load

    ruleset = rules if isinstance(rules, Ruleset) else load(rules)
    moment = _as_of(as_of)
    if moment < ruleset._compiled.earliest_as_of:
        ruleset._too_early(moment)
    if (events is None) != (key is None):
        raise ValueError("events and key go together: the events DataFrame is joined to the leads on key")
    session = df.sparkSession
    columns = list(df.columns)
    _check_names(columns, _output_columns(ruleset), case_sensitive=_conf(session, "spark.sql.caseSensitive", "false").lower() == "true")
    if events is not None and key is not None:
        if key not in columns:
            raise ValueError(f"key {key!r} is not a column of the leads DataFrame (its columns: {', '.join(columns)})")
        if key not in events.columns or "type" not in events.columns or "at" not in events.columns:
            raise ValueError(f"the events DataFrame needs the columns {key!r}, 'type' and 'at' (it has: {', '.join(events.columns)})")
    types = {field.name: field.dataType.simpleString() for field in df.schema.fields}
    name = f"leadspec_{uuid.uuid4().hex}"
    leads_view, events_view = f"{name}_leads", (f"{name}_events" if events is not None else None)
    query = ruleset.to_sql(
        dialect="spark", table=leads_view, events_table=events_view, key=key, columns=columns, as_of=moment, types=types, pretty=False
    )
    remote = _is_remote(session)
    if remote:
        _check_remote_settings(session)
    df.createOrReplaceTempView(leads_view)
    if events is not None and events_view is not None:
        events.createOrReplaceTempView(events_view)
    try:
        with _settings(session, apply=not remote):
            out = session.sql(query)
    finally:
        if not remote:  # the result holds the analysed plan: the views are no longer read
            session.catalog.dropTempView(leads_view)
            if events_view is not None:
                session.catalog.dropTempView(events_view)
    return out


def _output_columns(rules: Ruleset) -> list[str]:
    """The names of the columns :func:`qualify` adds, in order."""
    plan = rules.plan
    return [
        "stage",
        "reasons",
        *(c.id for c in plan.criteria),
        *(s.name for s in plan.scores),
        "blocked_by",
        "missing",
        "issues",
        "ruleset_digest",
    ]


def _check_names(columns: Sequence[str], outputs: Sequence[str], *, case_sensitive: bool) -> None:
    """A ValueError naming every input column that is twice in the input or has the name of an output column."""

    def norm(name: str) -> str:
        return name if case_sensitive else name.lower()

    seen: dict[str, str] = {}
    for name in columns:
        if norm(name) in seen:
            raise ValueError(f"the DataFrame has two columns named {seen[norm(name)]!r} and {name!r}: rename one of them")
        seen[norm(name)] = name
    clashes = [(seen[norm(o)], o) for o in outputs if norm(o) in seen]
    if clashes:
        said = ", ".join(f"{i!r}" if i == o else f"{i!r} (as {o!r})" for i, o in clashes)
        if len(clashes) == 1:
            what, them, one = f"input column {said} would have the name of an output column", "it", "it"
        else:
            what, them, one = f"input columns {said} would have the names of output columns", "them", "one"
        raise ValueError(
            f"{what} of qualify: rename or drop {them} first (df.withColumnRenamed(...)); "
            f"a field that reads {one} then takes the new name as its source"
        )


def _require() -> None:
    """ImportError naming the extra when pyspark or sqlglot is missing."""
    for module in ("pyspark", "sqlglot"):
        try:
            __import__(module)
        except ImportError as exc:
            raise ImportError(f"leadspec.spark needs {module}, which is not installed: {_INSTALL}") from exc


def _conf(session: SparkSession, key: str, default: str) -> str:
    value = session.conf.get(key, default)
    return default if value is None else str(value)


def _is_remote(session: Any) -> bool:
    """A Spark Connect session (its DataFrames are analysed on the server, when an action runs)."""
    return type(session).__module__.startswith("pyspark.sql.connect")


def _check_remote_settings(session: SparkSession) -> None:
    """Spark Connect analyses the query later, under the session's own settings: they must be the ones the query needs."""
    for key, want in _SETTINGS.items():
        have = _conf(session, key, want)
        if have.upper() != want.upper():
            raise ValueError(f"leadspec.spark.qualify on Spark Connect needs {key}={want} in the session (it is {have}): spark.conf.set({key!r}, {want!r})")


@contextmanager
def _settings(session: SparkSession, *, apply: bool) -> Iterator[None]:
    """The settings of :data:`_SETTINGS` (and :data:`_AT_LEAST`) while the query is parsed and analysed, the session's own ones again after."""
    if not apply:
        yield
        return
    wanted = dict(_SETTINGS)
    for k, least in _AT_LEAST.items():
        have = _conf(session, k, "0")
        wanted[k] = str(max(least, int(have))) if have.strip().isdigit() else str(least)
    before: Mapping[str, str | None] = {k: session.conf.get(k, None) for k in wanted}
    try:
        for k, v in wanted.items():
            session.conf.set(k, v)
        yield
    finally:
        for k, old in before.items():
            if old is None:
                session.conf.unset(k)
            else:
                session.conf.set(k, old)
