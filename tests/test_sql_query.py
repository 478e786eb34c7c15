"""The query part of the SQL backend: policies, groups, stages, blocked_by, missing, issues and reasons.

Each case is a small rule file and leads chosen to reach one branch of
``Result.summary()`` / ``Result.next`` / ``Result.missing``; the expected
row is the Python engine's answer for the same lead (``python_row``), and
the query runs on real DuckDB, Spark and PostgreSQL.
"""

from __future__ import annotations

import pytest

import leadspec
from _sqlengines import ENGINES, assert_same, python_row, run, sql_row
from conftest import rules_text

AS_OF = "2026-11-01"

GROUPS = rules_text(
    """
    fields:
      a: {type: integer}
      b: {type: integer}
      c: {type: integer}
      name: {type: string}
    flags:
      big: a > 100
      huge: {when: big and a > 1000}
    scores:
      fit:
        rules:
          - {id: sized, when: a >= 10, points: 5}
          - {id: named, when: has(name), points: 2.5, missing: fail}
        max: 6
      total:
        rules:
          - {id: fit_ok, when: score('fit') > 5, points: 10}
          - {id: flagged, when: big, points: -20}
        min: 0
    disqualify:
      - id: tiny
        when: a < 2
        missing: pass
      - id: tagged
        when: name == "spam"
    stages:
      - id: icp
        all:
          - {id: size, when: a >= 10}
          - id: either
            any:
              - {id: bee, when: b > 5}
              - {id: see, when: c > 5}
      - id: mql
        at_least:
          n: 2
          of:
            - {id: one, when: a > 50}
            - {id: two, when: b > 50}
            - {id: three, when: c > 50}
      - id: sql
        none:
          - {id: low_b, when: b < 60}
          - all:
              - {id: low_c, when: c < 60}
              - {id: low_a, when: a < 60}
    """
)

LEADS = [
    {"a": "1", "b": "1", "c": "1", "name": "x"},  # disqualified by tiny
    {"a": None, "b": "1", "c": "1", "name": "x"},  # tiny: missing counted as pass
    {"a": "20", "b": "9", "c": None, "name": None},  # icp; mql unknown/failing
    {"a": "20", "b": None, "c": None, "name": "x"},  # either: unknown (a group with an id)
    {"a": "70", "b": "70", "c": None, "name": "x"},  # mql by at_least with an unknown
    {"a": "70", "b": "70", "c": "70", "name": "x"},  # every stage
    {"a": "70", "b": "59", "c": "70", "name": "x"},  # sql blocked under none
    {"a": "2000", "b": "zz", "c": "x", "name": "spam"},  # two bad values, disqualified by tagged, flags
    {"a": "5000", "b": "70", "c": "1", "name": None},  # flags big and huge, clamps
    {"a": None, "b": None, "c": None, "name": None},  # everything missing
]


@pytest.fixture(scope="module")
def rules() -> leadspec.Ruleset:
    return leadspec.loads(GROUPS)


@pytest.mark.parametrize("engine", ENGINES)
def test_query_agrees_with_python_on_every_branch(rules: leadspec.Ruleset, engine: str) -> None:
    got = run(engine, rules, LEADS, as_of=AS_OF, columns=["a", "b", "c", "name"])
    assert len(got) == len(LEADS)
    for lead, row in zip(LEADS, got):
        assert_same(python_row(rules.evaluate(lead, AS_OF)), sql_row(row, rules), what=f"{engine}: {lead}")
        assert [row[k] for k in ("a", "b", "c", "name")] == [lead[k] for k in ("a", "b", "c", "name")]


def test_the_cases_reach_the_branches(rules: leadspec.Ruleset) -> None:
    """The leads above reach what they are meant to (else the agreement would prove less)."""
    results = [rules.evaluate(lead, AS_OF) for lead in LEADS]
    stages = [r.stage for r in results]
    assert stages.count("disqualified") == 4
    assert "sql" in stages and "mql" in stages and "icp" in stages and "lead" in stages
    assert any(r.next is None for r in results)  # blocked_by is NULL
    assert any("counted as pass" in r.summary() for r in results)
    assert any("2 data issues" in r.summary() for r in results)
    assert any("flags big, huge" in r.summary() for r in results)
    assert any(r.scores["fit"].total == 6 for r in results)  # clamped to max
    assert any(r.scores["total"].total == 0 for r in results)  # clamped to min


def test_without_columns_duckdb_keeps_only_the_input_columns(rules: leadspec.Ruleset) -> None:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    con.execute("CREATE TABLE leads (a VARCHAR, b VARCHAR, c VARCHAR, name VARCHAR)")
    con.execute("INSERT INTO leads VALUES ('70', '70', '70', 'x')")
    cursor = con.execute(rules.to_sql("duckdb", as_of=AS_OF))
    names = [d[0] for d in cursor.description]
    criteria = [c.id for c in rules.plan.criteria]
    assert names == ["a", "b", "c", "name", "stage", "reasons", *criteria, "fit", "total", "blocked_by", "missing", "issues", "ruleset_digest"]
    row = dict(zip(names, cursor.fetchone()))
    assert row["stage"] == "sql" and row["ruleset_digest"] == rules.digest


@pytest.mark.parametrize("dialect", ["spark", "postgres"])
def test_dialects_without_star_except_need_the_columns(rules: leadspec.Ruleset, dialect: str) -> None:
    with pytest.raises(leadspec.errors.DialectError, match=f"the {dialect} dialect .* pass the input columns"):
        rules.to_sql(dialect)


def test_bad_arguments_are_clear_errors(rules: leadspec.Ruleset) -> None:
    with pytest.raises(ValueError, match="unknown dialect 'oracle': use one of duckdb, spark, postgres, snowflake, bigquery"):
        rules.to_sql("oracle")
    with pytest.raises(ValueError, match="starts with '__ls_'"):
        rules.to_sql("duckdb", columns=["a", "__ls_x"])
    with pytest.raises(ValueError, match="events_table and key go together"):
        rules.to_sql("duckdb", events_table="events")
    with pytest.raises(ValueError, match="declares no events field"):
        rules.to_sql("duckdb", events_table="events", key="id")


def test_any_true_keeps_its_or_together_under_an_and() -> None:
    """sqlglot adds no parentheses by precedence: ``x AND any_true([a, b])`` must not read as ``(x AND a) OR b``."""
    duckdb = pytest.importorskip("duckdb")
    from sqlglot import exp

    from leadspec._sql._ctx import any_true

    cond = exp.And(this=exp.false(), expression=any_true([exp.true(), exp.true()]))
    assert duckdb.connect().execute(f"SELECT {cond.sql('duckdb')}").fetchall() == [(False,)]


def _long_rules() -> leadspec.Ruleset:
    """300 stages, 200 missing markers and a named list of 300 items in contains_any(): each was a chain of OR (or a
    CASE per stage) too deep for sqlglot's generator (RecursionError in to_sql from 157 items, 160 markers, 318 stages)."""
    markers = ", ".join(["''"] + [f"m{i}" for i in range(200)])
    keywords = ", ".join(f"kw{i}" for i in range(300))
    text = f"leadspec: 1\nname: long\nmissing: [{markers}]\nfields:\n  title: {{type: string}}\n  employees: {{type: integer}}\n"
    text += f"lists:\n  keywords: [{keywords}]\nstages:\n  - id: s0\n    when: contains_any(title, keywords)\n"
    text += "".join(f"  - id: s{i}\n    when: employees > {i}\n" for i in range(1, 300))
    return leadspec.loads(text)


@pytest.mark.parametrize("engine", ENGINES)
def test_long_lists_many_markers_and_many_stages_translate_and_agree(engine: str) -> None:
    rules = _long_rules()
    leads = [{"title": "kw250 buyer", "employees": "150"}, {"title": "m7", "employees": "400"}, {"title": "none", "employees": "5"}, {"title": "kw3", "employees": "m199"}]
    got = run(engine, rules, leads, as_of=AS_OF, columns=["title", "employees"])
    for lead, row in zip(leads, got):
        assert_same(python_row(rules.evaluate(lead, AS_OF)), sql_row(row, rules), what=f"{engine}: {lead}")
    assert [row["stage"] for row in got] == ["s149", "lead", "lead", "s0"]
    for dialect in ("snowflake", "bigquery"):
        assert "SELECT" in rules.to_sql(dialect, columns=["title", "employees"])


NEGATIVE_CAPS = """\
leadspec: 1
name: penalties
fields:
  events: {type: events, values: [unsubscribe, bounce, demo]}
scores:
  penalty:
    events:
      unsubscribe: {points: -10, max: -20}
      bounce: {points: 3, max: -1}
      demo: 5
  decayed:
    events:
      unsubscribe: {points: -10, max: -20}
    half_life: 30d
stages:
  - id: engaged
    when: score('penalty') >= 0 and score('decayed') >= 0
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_cap_below_zero_applies_only_to_a_type_that_has_events(engine: str) -> None:
    # the SQL capped every type's points, events or not: 0 above a cap of -20 gave -20 to every lead without an
    # unsubscribe (another stage than Python, which adds nothing for a type without events)
    rules = leadspec.loads(NEGATIVE_CAPS)
    leads = [
        {"events": None},
        {"events": "[]"},
        {"events": '[{"type": "demo", "at": "2026-10-01"}]'},
        {"events": '[{"type": "unsubscribe", "at": "2026-10-01"}]'},
        {"events": '[{"type": "bounce", "at": "2026-10-01"}, {"type": "demo", "at": "2026-10-02"}]'},
    ]
    got = run(engine, rules, leads, as_of=AS_OF, columns=["events"])
    for lead, row in zip(leads, got):
        assert_same(python_row(rules.evaluate(lead, AS_OF)), sql_row(row, rules), what=f"{engine}: {lead}")
    assert [row["stage"] for row in got] == ["engaged", "engaged", "engaged", "lead", "engaged"]
