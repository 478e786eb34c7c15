"""The SQL backend agrees with the Python engine on every lead (issue 11, "Done when").

The law (``_sqlengines.assert_same``): for every lead, the query of
``Ruleset.to_sql`` run on a real engine gives exactly the Python engine's
stage, every criterion's outcome, every score (within 1e-9), ``blocked_by``,
``missing``, ``issues`` and ``reasons`` (``Result.summary()``), and returns
every input column as it was.

- Both real exports in ``../shared/data`` (X Education with
  ``rules/x-education.yaml``; the Maven CRM opportunities with the rule file
  ``tests/test_reference.py`` uses for them), every row, one query per
  engine per export.
- hypothesis: generated rule files (``_rulegen.rule_files()``) times
  generated leads with missing and malformed values, as CSV rows (every
  cell text), one query per example per engine with all its leads in it.
  Bounded here; ``LEADSPEC_FUZZ=1`` runs many more examples.
- Each divergence found while the backend was written, reduced to its
  smallest rule file and lead (the end of this file).
- The hand-written DuckDB query of ``benchmarks/bench_sql.py``
  (``benchmarks/baseline_x_education.sql``) gives the Python engine's stage
  and reasons on every row of the X Education export.

DuckDB, Spark (local mode) and PostgreSQL run here; the engines that cannot
start are skipped locally and fail under ``CI=true`` (``_sqlengines``).
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leadspec
from _rulegen import AS_OFS, leads, loaded_rule_file
from _sqlengines import ENGINES, assert_same, python_row, run, sql_row
from conftest import ROOT, SHARED_DATA, rules_text
from leadspec.errors import DialectError

pytest.importorskip("sqlglot")
pytest.importorskip("duckdb")

EXAMPLES = 2000 if os.environ.get("LEADSPEC_FUZZ") else 12
LEADS_PER_EXAMPLE = 25
EXPORT = SHARED_DATA / "x-education-leads.csv"
MAVEN = SHARED_DATA / "maven-crm"
BASELINE = ROOT / "benchmarks" / "baseline_x_education.sql"


# -- the law over many rows ------------------------------------------------------------------------


def assert_rows_agree(engine: str, rules: leadspec.Ruleset, rows: Sequence[Mapping[str, Any]], as_of: datetime | date | str, columns: Sequence[str]) -> None:
    """Every row through ``rules.to_sql`` on ``engine`` (one query) gives the Python engine's answers and keeps its input columns."""
    got = run(engine, rules, rows, as_of=as_of, columns=columns)
    assert len(got) == len(rows), f"{engine}: {len(got)} output rows for {len(rows)} leads"
    wrong: list[str] = []
    for index, (row, out) in enumerate(zip(rows, got)):
        try:
            assert_same(python_row(rules.evaluate(row, as_of=as_of)), sql_row(out, rules))
            kept = {c: out[c] for c in columns}
            assert kept == {c: None if row.get(c) is None else str(row[c]) for c in columns}, f"input columns changed: {kept}"
        except AssertionError as error:
            if _json_list_beyond_sql(rules, row) or _integer_beyond_doubles(rules, row):
                continue  # docs/warehouse.md, "Differences that remain": JSON list text SQL does not read; very large numbers
            wrong.append(f"row {index}: {dict(row)!r}\n  " + str(error).replace("\n", "\n  "))
    assert not wrong, f"{engine}: {len(wrong)} of {len(rows)} rows disagree with the Python engine; the first:\n" + "\n".join(wrong[:3])


_FLAT_STRINGS = re.compile(r'\[[ \t\n\r]*(?:(?:"[^"\\\x00-\x1f]*"|null)(?:[ \t\n\r]*,[ \t\n\r]*(?:"[^"\\\x00-\x1f]*"|null))*)?[ \t\n\r]*\]')


def _json_list_beyond_sql(rules: leadspec.Ruleset, row: Mapping[str, Any]) -> bool:
    """Whether a list field of ``row`` is JSON text other than a list of strings without escapes and nulls:
    the one difference of reading the docs name (the SQL engines take such text for a bad value)."""
    for spec in rules.plan.fields:
        value = row.get(spec.source)
        if spec.type == "list" and isinstance(value, str):
            text = value.strip()
            if text.startswith("[") and not _FLAT_STRINGS.fullmatch(text):
                return True
    return False


def _integer_beyond_doubles(rules: leadspec.Ruleset, row: Mapping[str, Any]) -> bool:
    """Whether a number field of ``row`` reads as a whole number of 2**53 or more (the docs' "very large numbers": SQL holds
    a 64-bit float, rounded, and shows it as the engine writes a float; Python keeps the integer and its digits)."""
    from leadspec._fields import Coercer

    for spec in rules.plan.fields:
        if spec.type in ("integer", "number") and row.get(spec.source) is not None:
            try:
                value = Coercer.from_plan(spec).read(row[spec.source])
            except ValueError:  # a bad value: no number
                continue
            if isinstance(value, int) and abs(value) >= 2**53:
                return True
            if isinstance(value, float) and math.isfinite(value) and abs(value) >= 2**63:  # shown digit by digit by Python only
                return True
    return False


def test_a_number_of_2_to_the_63_or_more_is_the_documented_difference_of_very_large_numbers() -> None:
    # Found by the law's fuzzing: '1e30' in a number field, shown in reasons as 1,000,000,000,000,000,019,884,624,838,656
    # by Python and as 1e+30 by DuckDB (docs/warehouse.md). The law left out only integers, and failed at random.
    rules = leadspec.loads("leadspec: 1\nname: big\nfields:\n  n: {type: number}\n  i: {type: integer}\nstages:\n  - id: s\n    when: n > 1\n")
    assert _integer_beyond_doubles(rules, {"n": "1e30"})
    assert _integer_beyond_doubles(rules, {"i": str(2**53)})
    assert not _integer_beyond_doubles(rules, {"n": "1e18", "i": "12"})
    assert not _integer_beyond_doubles(rules, {"n": "inf"})


# -- the real exports ----------------------------------------------------------------------------------


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=None)
def _x_education() -> tuple[list[dict[str, str]], list[str]]:
    if not EXPORT.is_file():
        pytest.skip(f"the X Education export (Kaggle's \"Leads Dataset\", Leads.csv) is not at {EXPORT}; see examples/README.md")
    rows = _read_csv(EXPORT)
    # The export's header ends with a comma: a last column without a name, empty in every row. A SQL table
    # cannot have a column named '' (DuckDB's reader calls it column37); the rules never read it.
    assert all(row.get("", "") == "" for row in rows)
    for row in rows:
        row.pop("", None)
    return rows, list(rows[0])


@lru_cache(maxsize=None)
def _maven() -> tuple[list[dict[str, str]], list[str]]:
    """Every opportunity as a flat row of text: its account's columns joined in as ``company.<column>`` (the sources the rules read)."""
    if not (MAVEN / "sales_pipeline.csv").is_file():
        pytest.skip(f"the Maven Analytics \"CRM Sales Opportunities\" data set is not at {MAVEN}; see examples/README.md")
    accounts = {row["account"]: row for row in _read_csv(MAVEN / "accounts.csv")}
    account_columns = list(next(iter(accounts.values())))
    rows = []
    for row in _read_csv(MAVEN / "sales_pipeline.csv"):
        flat = dict(row)
        account = accounts.get(row["account"])
        for column in account_columns:  # an opportunity without an account: its account columns are absent (NULL)
            if account is not None:
                flat[f"company.{column}"] = account[column]
        rows.append(flat)
    columns = list(rows[0]) + [f"company.{c}" for c in account_columns if f"company.{c}" not in rows[0]]
    return rows, columns


def _maven_rules() -> leadspec.Ruleset:
    from test_reference import MAVEN_RULES  # the rule file the reference interpreter's test reads these exports with

    return leadspec.loads(MAVEN_RULES, name="maven-opportunities.yaml")


@pytest.mark.parametrize("engine", ENGINES)
def test_every_row_of_the_x_education_export_agrees(engine: str) -> None:
    rows, columns = _x_education()
    rules = leadspec.load(ROOT / "rules" / "x-education.yaml")
    assert_rows_agree(engine, rules, rows, "2026-11-01", columns)


@pytest.mark.parametrize("engine", ENGINES)
def test_every_opportunity_of_the_maven_crm_export_agrees(engine: str) -> None:
    rows, columns = _maven()
    rules = _maven_rules()
    assert any("company.sector" not in row for row in rows) and any("company.sector" in row for row in rows)
    assert_rows_agree(engine, rules, rows, "2017-06-01", columns)


# -- generated rule files x generated leads ------------------------------------------------------------

REFUSED: dict[str, tuple[str, ...]] = {
    "postgres": ("`//` and `%` of numbers that may have a fraction", "a list repeated with `*`"),
}
"""Per engine, the constructs docs/warehouse.md says it cannot compute (a ``DialectError`` naming one of them
is allowed for a generated file); any other refusal fails the test."""


def _csv_row(lead: Mapping[str, Any], sources: set[str]) -> dict[str, str]:
    """A generated lead as a CSV reader gives it: flat (column ``company.x`` for the source ``company.x`` the
    generator nested as ``{"company": {"x": ...}}``), every value text."""
    row: dict[str, str] = {}
    for key, value in lead.items():
        if isinstance(value, dict) and any(f"{key}.{inner}" in sources for inner in value):
            for inner, item in value.items():
                row[f"{key}.{inner}"] = _text(item)
        else:
            row[key] = _text(value)
    return row


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def _check_generated(engine: str, data: st.DataObject, refused: list[str]) -> None:
    rule_file, rules = loaded_rule_file(data)
    sources = {f.source for f in rule_file.fields}
    rows = [_csv_row(data.draw(leads(rule_file), label="lead"), sources) for _ in range(LEADS_PER_EXAMPLE)]
    as_of = data.draw(AS_OFS, label="as_of")
    columns = list(dict.fromkeys([*(f.source for f in rule_file.fields), *(k for row in rows for k in row)]))
    try:
        rules.to_sql(dialect=engine, columns=columns, as_of=as_of)
    except DialectError as error:
        allowed = REFUSED.get(engine, ())
        assert any(what in str(error) for what in allowed), f"{engine} refused a generated rule file: {error}\n{rule_file.text}"
        refused.append(str(error))
        return
    assert_rows_agree(engine, rules, rows, as_of, columns)


@pytest.mark.parametrize("engine", ENGINES)
def test_generated_rule_files_and_leads_agree(engine: str) -> None:
    refused: list[str] = []
    examples = EXAMPLES if engine != "spark" else max(4, EXAMPLES // 3)  # a Spark query takes seconds to plan

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        _check_generated(engine, data, refused)

    check()
    # only the documented refusals pass _check_generated; most generated files must still be run and compared
    assert len(refused) <= examples // 4, f"{engine} refused {len(refused)} of {examples} generated rule files:\n" + "\n".join(refused[:5])


# -- the hand-written baseline of benchmarks/bench_sql.py -------------------------------------------------


def test_the_hand_written_baseline_agrees_with_python_on_every_row_of_the_export() -> None:
    import duckdb

    rows, columns = _x_education()
    rules = leadspec.load(ROOT / "rules" / "x-education.yaml")
    con = duckdb.connect()
    con.execute(f"CREATE VIEW leads AS SELECT * FROM read_csv({str(EXPORT)!r}, all_varchar = true, header = true)")
    cursor = con.execute(BASELINE.read_text(encoding="utf-8"))
    header = [d[0] for d in cursor.description]
    got = [dict(zip(header, values)) for values in cursor.fetchall()]
    assert header[-2:] == ["stage", "reasons"]
    assert len(got) == len(rows)
    wrong = []
    stages = set()
    for row, out in zip(rows, got):
        result = rules.evaluate(row, as_of="2026-11-01")
        stages.add(result.stage)
        if (out["stage"], out["reasons"]) != (result.stage, result.summary()) or any(out[c] != (row[c] or None) for c in columns):
            wrong.append(f"python {result.stage!r} {result.summary()!r}, baseline {out['stage']!r} {out['reasons']!r}")
    assert not wrong, f"{len(wrong)} rows differ; the first: " + "\n".join(wrong[:3])
    assert stages == {"disqualified", "lead", "icp", "mql", "sql"}


# -- divergences found while the backend was written, each reduced to its smallest case -----------------
# (/work's divergences list named the part each belonged to; every case runs on every engine)


def _agree_on(text: str, rows: list[dict[str, Any]], engine: str, as_of: str = "2026-11-01") -> None:
    rules = leadspec.loads(rules_text(text), name="case.yaml")
    columns = list(dict.fromkeys([*(f.source for f in rules.plan.fields), *(k for row in rows for k in row)]))
    assert_rows_agree(engine, rules, rows, as_of, columns)


@pytest.mark.parametrize("engine", ENGINES)
def test_divergence_d0_the_stage_reached_is_the_last_of_the_leading_stages_that_pass(engine: str) -> None:
    # The query said 'icp' for X Education leads that reach 'sql' (its CASE tried the first stage first).
    _agree_on(
        """
        fields:
          x: {type: integer}
        stages:
          - {id: one, when: x > 0}
          - {id: two, when: x > 1}
          - {id: three, when: x > 2}
        """,
        [{"x": "5"}, {"x": "2"}, {"x": "1"}, {"x": "0"}, {"x": ""}],
        engine,
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_divergence_d1_the_missing_list_reads_columns_of_an_earlier_layer(engine: str) -> None:
    # PostgreSQL refused every query: the missing list read its per-field columns from the layer defining them.
    _agree_on(
        """
        fields:
          a: {type: integer}
        stages:
          - {id: s, when: a > 1}
        """,
        [{"a": "5"}, {"a": ""}, {}],
        engine,
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_divergence_d2_an_events_field_reads_on_every_engine(engine: str) -> None:
    # DuckDB refused every rule file with an events field: a missing events value was a NULL of type text.
    _agree_on(
        """
        fields:
          events: {type: events}
        stages:
          - {id: s, when: "count('demo') > 0"}
        """,
        [{"events": "[]"}, {"events": '[{"type": "demo", "at": "2026-10-30T10:00:00Z"}]'}, {"events": ""}, {}],
        engine,
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_divergence_d4_a_number_in_a_disqualifier_text(engine: str) -> None:
    # PostgreSQL's planner substituted each bound value into every place reading it (nested scalar subqueries
    # pulled up): the server grew until it was killed, for one lead.
    _agree_on(
        """
        fields:
          x: {type: number}
        disqualify:
          - {id: d0, when: "x > 1"}
        stages:
          - {id: s, when: "x > 0"}
        """,
        [{"x": "2.5"}, {"x": "12345.678"}, {"x": "1e-7"}, {"x": "-3"}, {"x": ""}],
        engine,
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_divergence_d5_an_unknown_none_group_counts_as_unknown_in_at_least(engine: str) -> None:
    # `at_least` counted its unknown items with `item IS NULL`; for a `none` group the item is `NOT (...)`, and
    # `NOT (c) IS NULL` reads NOT ((c) IS NULL): the unknown group was not counted, and at_least said fail.
    # Found by the generated rule files in CI.
    _agree_on(
        """
        fields:
          n: {type: integer}
        stages:
          - id: s
            all:
              - id: g
                at_least:
                  n: 2
                  of:
                    - {id: a, when: "n < 0", missing: pass}
                    - {id: b, when: "0 < 0"}
                    - {id: h, none: [{id: c, when: "n < 0"}]}
        """,
        [{"n": ""}, {"n": "-1"}, {"n": "5"}],
        engine,
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_divergence_d6_a_count_in_a_disqualifier_text_is_computed_once(engine: str) -> None:
    # The text showing a number binds it once (a scalar subquery over one row) and reads it many times;
    # PostgreSQL's planner pulled those subqueries up and put the count's own subquery in each place that
    # read it, thousands of copies: one lead ran past the 300 s statement timeout. Found by the generated
    # rule files in CI.
    _agree_on(
        """
        fields:
          events: {type: events}
          n: {type: integer}
        disqualify:
          - {id: d0, when: "count('demo', within='12h') <= n"}
        stages:
          - {id: s, when: "n > 0"}
        """,
        [
            {"events": '[{"type": "demo", "at": "2026-10-31T20:00:00Z"}]', "n": "3"},
            {"events": '[{"type": "demo", "at": "2026-10-31T20:00:00Z"}, {"type": "demo", "at": "2026-10-31T21:00:00Z"}]', "n": "1"},
            {"events": "[]", "n": "0"},
            {"n": "2"},
        ],
        engine,
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_divergence_d7_an_events_table_leaves_dotted_sources_read(engine: str) -> None:
    # With events_table, every field with a dotted source ('company.employees') was NULL: joining the events
    # made the query think its input columns typed, and a dotted source then named a struct path. Found by a
    # new user following docs/warehouse.md's dbt example.
    import _sqlengines

    rules = leadspec.loads(
        rules_text(
            """
            fields:
              lead_id: {type: string}
              employees: {type: integer, source: company.employees}
              events: {type: events}
            stages:
              - {id: icp, when: employees >= 50}
              - {id: mql, when: "count('demo') >= 1"}
            """
        ),
        name="case.yaml",
    )
    leads = [("k1", "250"), ("k2", "10"), ("k3", "x")]
    events = [("k1", "demo", "2026-10-30T10:00:00Z"), ("k3", "demo", "2026-10-01T00:00:00Z")]
    columns = ["lead_id", "company.employees"]
    sql = rules.to_sql(engine, table="leads", events_table="lead_events", key="lead_id", columns=columns, as_of="2026-11-01")
    got = _sqlengines.run_tables(
        engine,
        sql,
        {"leads": ([("lead_id", "text"), ("company.employees", "text")], leads), "lead_events": ([("lead_id", "text"), ("type", "text"), ("at", "text")], events)},
    )
    by_id = {row["lead_id"]: row for row in got}
    assert sorted(by_id) == ["k1", "k2", "k3"]
    for key, employees in leads:
        lead = {"lead_id": key, "company.employees": employees, "events": [{"type": t, "at": a} for k, t, a in events if k == key] or None}
        assert_same(python_row(rules.evaluate(lead, as_of="2026-11-01")), sql_row(by_id[key], rules), what=key)
    assert by_id["k1"]["stage"] == "mql"  # written by hand: 250 employees and a demo


@pytest.mark.parametrize("engine", ENGINES)
def test_divergence_d8_nested_arithmetic_reads_each_operand_once(engine: str) -> None:
    # PostgreSQL, Snowflake and BigQuery raise on a floating-point overflow, so their arithmetic guards read
    # each operand several times; nested arithmetic pasted its operands into every guard: a sum of nine terms
    # was 13 MB of SQL, and `(count('demo') * 2 + n) / 3 - n` copied the count 952 times and ran past the
    # statement timeout. Found by review.
    _agree_on(
        """
        fields:
          n: {type: number}
          events: {type: events}
        disqualify:
          - {id: d0, when: "round(count('demo') / 3, 2) + round(n * count('demo', within='1d'), 1) > n + n + n + n + n + n + n + n + n"}
        stages:
          - {id: s, when: "(count('demo') * 2 + n) / 3 - n <= n"}
        """,
        [
            {"n": "2.5", "events": '[{"type": "demo", "at": "2026-10-31T20:00:00Z"}]'},
            {"n": "-1", "events": '[{"type": "demo", "at": "2026-10-31T20:00:00Z"}, {"type": "demo", "at": "2026-10-01T00:00:00Z"}]'},
            {"n": "1e308", "events": "[]"},
            {"n": ""},
        ],
        engine,
    )


def test_nested_arithmetic_grows_the_query_linearly_in_every_dialect() -> None:
    def size(dialect: str, terms: int) -> int:
        rules = leadspec.loads(rules_text(f"fields:\n  n: {{type: number}}\nstages:\n  - {{id: s, when: \"{' + '.join(['n'] * terms)} > 0\"}}\n"))
        return len(rules.to_sql(dialect, table="leads", columns=["n"], pretty=False))

    for dialect in ("duckdb", "spark", "postgres", "snowflake", "bigquery"):
        small, large = size(dialect, 4), size(dialect, 8)
        assert large - small < 4 * 2_000, f"{dialect}: 4 terms {small:,} characters, 8 terms {large:,}"  # about 650 a term; it doubled with each
