"""``leadspec sql``: the rules' query printed for a dialect (a dbt model, a warehouse job)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import leadspec
from conftest import ROOT, cli

pytest.importorskip("sqlglot")

RULES = ROOT / "rules" / "x-education.yaml"
SAMPLE = ROOT / "examples" / "x-education-sample.csv"


@pytest.mark.parametrize("dialect", ["duckdb", "snowflake", "bigquery"])
def test_sql_prints_the_query_of_to_sql_for_the_dialect(dialect: str) -> None:
    code, out, err = cli("sql", str(RULES), "--dialect", dialect, "--table", "crm.leads", "--as-of", "2026-11-01")
    assert code == 0, err
    expected = leadspec.load(RULES).to_sql(dialect, table="crm.leads", as_of="2026-11-01")
    assert out == expected + "\n"


@pytest.mark.parametrize("dialect", ["spark", "postgres"])
def test_spark_and_postgres_are_given_the_columns(dialect: str) -> None:
    code, out, err = cli("sql", str(RULES), "-d", dialect, "--columns", "Prospect ID, Lead Origin,TotalVisits")
    assert code == 0, err
    expected = leadspec.load(RULES).to_sql(dialect, columns=["Prospect ID", "Lead Origin", "TotalVisits"])
    assert out == expected + "\n"


def test_a_dialect_that_cannot_select_star_is_a_clear_error_naming_it() -> None:
    code, out, err = cli("sql", str(RULES), "--dialect", "spark")
    assert code == 2
    assert out == ""
    assert "spark" in err and "--columns" in err


def test_events_table_and_key_go_together() -> None:
    code, _out, err = cli("sql", str(RULES), "--events-table", "events")
    assert code == 2
    assert "--events-table and --key go together" in err


def test_an_unknown_dialect_is_refused_by_the_option() -> None:
    code, _out, err = cli("sql", str(RULES), "--dialect", "oracle")
    assert code == 2
    assert "oracle" in err


def test_the_printed_duckdb_query_qualifies_a_table_as_qualify_does(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    target = tmp_path / "model.sql"
    code, out, err = cli("sql", str(RULES), "--table", "leads", "--as-of", "2026-11-01", "-o", str(target))
    assert (code, out) == (0, ""), err
    with SAMPLE.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    con = duckdb.connect()
    unnamed = [c for c in rows[0] if not c]  # the export's last header name is empty, and so is every value under it
    assert all(not row[c] for row in rows for c in unnamed)
    columns = [c for c in rows[0] if c]
    con.execute("CREATE TABLE leads (" + ", ".join(f'"{c}" VARCHAR' for c in columns) + ")")
    con.executemany("INSERT INTO leads VALUES (" + ", ".join("?" for _ in columns) + ")", [[row[c] for c in columns] for row in rows])
    got = con.execute(f"SELECT stage, reasons FROM ({target.read_text(encoding='utf-8')}) ORDER BY \"Prospect ID\"").fetchall()
    rules = leadspec.load(RULES)
    expected = sorted(((row["Prospect ID"], rules.evaluate(row, "2026-11-01")) for row in rows), key=lambda pair: pair[0])
    assert got == [(result.stage, result.summary()) for _key, result in expected]


def test_an_output_in_a_missing_directory_is_an_error_and_nothing_is_printed(tmp_path: Path) -> None:
    code, out, err = cli("sql", str(RULES), "-o", str(tmp_path / "no" / "model.sql"))
    assert code == 2
    assert out == ""
    assert "does not exist" in err


def test_a_dbt_model_s_table_is_a_template_kept_as_written_and_runs_once_dbt_renders_it(tmp_path: Path) -> None:
    # The table "{{ ref('stg_leads') }}" was quoted as one identifier: dbt renders ref() as "db"."schema"."table",
    # and the model failed to parse. Found by a new user following docs/warehouse.md.
    duckdb = pytest.importorskip("duckdb")
    code, out, err = cli("sql", str(RULES), "-d", "duckdb", "--table", "{{ ref('stg_leads') }}", "--as-of", "2026-11-01")
    assert code == 0, err
    assert "FROM {{ ref('stg_leads') }} AS t" in out
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging")
    con.execute(f"CREATE TABLE staging.stg_leads AS SELECT * FROM read_csv('{SAMPLE}', all_varchar = true, header = true)")
    rendered = out.replace("{{ ref('stg_leads') }}", '"memory"."staging"."stg_leads"')  # what dbt puts there
    stages = [stage for (stage,) in con.execute(f"SELECT stage FROM ({rendered})").fetchall()]
    assert len(stages) > 0 and None not in stages
