"""``leadspec sql``: the rules as one SQL query, for a dbt model or a warehouse job."""

from __future__ import annotations

from datetime import datetime

import click

from ..errors import DialectError
from ._common import EXIT_OK, EXIT_USAGE, as_of_option, check_as_of, load_rules, streams
from ._io import OutputError, write_text

DIALECTS = ("duckdb", "spark", "postgres", "snowflake", "bigquery")
"""The dialects :meth:`leadspec.Ruleset.to_sql` renders (kept here so --help lists them without importing sqlglot)."""


@click.command(name="sql")
@click.argument("rules", type=click.Path(dir_okay=False))
@click.option("--dialect", "-d", type=click.Choice(DIALECTS), default="duckdb", show_default=True, help="The SQL dialect to write.")
@click.option("--table", default="leads", show_default=True, metavar="NAME", help="The table (or dbt ref) of leads the query reads.")
@click.option("--events-table", metavar="NAME", help="A table of events (KEY, type, at) gathered into the events field; needs --key.")
@click.option("--key", metavar="COLUMN", help="The column that joins a lead to its rows in --events-table.")
@click.option(
    "--columns",
    metavar="A,B,…",
    help="The input table's columns, comma-separated (needed by spark and postgres, which cannot select * without the query's own columns).",
)
@as_of_option
@click.option("-o", "--output", default="-", type=click.Path(dir_okay=False, allow_dash=True), help="Where to write (default: standard output).")
def sql(
    rules: str, dialect: str, table: str, events_table: str | None, key: str | None, columns: str | None, as_of: datetime | None, output: str
) -> int:
    """Print the query that qualifies every lead of a table, as SQL for a warehouse.

    The query returns every input column, then stage, reasons (the text of
    the Python engine's summary), a column per criterion ('pass', 'fail'
    or 'unknown', named by its id), a column per score, blocked_by,
    missing, issues and ruleset_digest: the same answers as
    `leadspec qualify`. Without --as-of the query evaluates as of the
    moment it runs (each nightly run is up to date).

    \b
    Examples:
      leadspec sql rules/x-education.yaml --dialect duckdb --table leads
      leadspec sql rules/acme.yaml -d snowflake --table "{{ ref('stg_leads') }}" -o models/qualified_leads.sql
      leadspec sql rules/acme.yaml -d spark --table crm.leads --columns id,employees,country

    Exit codes: 0 printed, 2 the rules do not load or use something the dialect cannot compute (named).
    """
    io = streams()
    ruleset = load_rules(rules)
    if as_of is not None:
        check_as_of([ruleset], as_of)
    if (events_table is None) != (key is None):
        raise click.UsageError("--events-table and --key go together: the events table is joined to the leads on KEY")
    names = [c.strip() for c in columns.split(",")] if columns is not None else None
    if names is not None and not all(names):
        raise click.UsageError(f"--columns {columns!r} has an empty column name")
    try:
        text = ruleset.to_sql(dialect, table=table, events_table=events_table, key=key, columns=names, as_of=as_of)
    except ImportError:
        io.err.write("leadspec sql needs sqlglot: pip install 'leadspec[sql]'\n")
        return EXIT_USAGE
    except DialectError as exc:
        io.err.write(f"{rules}: {exc}\n")
        return EXIT_USAGE
    except ValueError as exc:  # events table without an events field, a column with the query's own prefix
        io.err.write(f"{rules}: {exc}\n")
        return EXIT_USAGE
    try:
        write_text(output, text if text.endswith("\n") else text + "\n", io.out)
    except OutputError as exc:
        io.err.write(f"{exc}\n")
        return EXIT_USAGE
    return EXIT_OK
