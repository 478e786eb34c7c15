"""leadspec.spark.qualify: a Spark DataFrame qualified by Spark SQL alone agrees with the Python engine on every row.

Every test compares with ``Ruleset.evaluate`` given the same values (the
oracle), through ``_sqlengines.python_row``/``sql_row``/``assert_same``.
Spark runs in local mode (one session for the module, ``spark_session()``);
the tests skip where Java or pyspark is absent, and fail under CI=true.
"""

from __future__ import annotations

import builtins
import contextlib
import csv
import io
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any

import pytest

import leadspec
import _sqlengines as engines
from conftest import ROOT, SHARED_DATA, rules_text

AS_OF = "2026-11-01"
X_EDUCATION = SHARED_DATA / "x-education-leads.csv"


@pytest.fixture(scope="module")
def spark() -> Any:
    return engines.spark_session()


def qualify(*args: Any, **kwargs: Any) -> Any:
    from leadspec.spark import qualify

    return qualify(*args, **kwargs)


def agree(rules: leadspec.Ruleset, leads: Sequence[Mapping[str, Any]], out_rows: Sequence[Any], *, as_of: Any = AS_OF) -> None:
    """Row i of the Spark output says of lead i what the Python engine says."""
    assert len(out_rows) == len(leads)
    for i, (lead, row) in enumerate(zip(leads, out_rows)):
        expected = engines.python_row(rules.evaluate(dict(lead), as_of))
        engines.assert_same(expected, engines.sql_row(row.asDict(recursive=True), rules), what=f"lead {i}: {dict(lead)!r}")


@contextlib.contextmanager
def session_settings(spark: Any, settings: Mapping[str, str]) -> Iterator[None]:
    before = {k: spark.conf.get(k, None) for k in settings}
    for k, v in settings.items():
        spark.conf.set(k, v)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                spark.conf.unset(k)
            else:
                spark.conf.set(k, v)


# -- the real export, every column as text -----------------------------------------------------------


@pytest.mark.skipif(not X_EDUCATION.exists(), reason="the shared CRM exports are not here")
def test_x_education_export_agrees_with_python_on_every_lead(spark: Any) -> None:
    rules = leadspec.load(ROOT / "rules" / "x-education.yaml")
    frame = spark.read.csv(str(X_EDUCATION), header=True, inferSchema=False, multiLine=True, escape='"')
    assert {f.dataType.simpleString() for f in frame.schema.fields} == {"string"}
    out = qualify(frame, rules, as_of=AS_OF)
    rows = out.collect()
    leads = [{k: v for k, v in r.asDict().items() if k in frame.columns} for r in rows]  # the values Spark read
    assert len(rows) == 9240
    assert out.columns[: len(frame.columns)] == frame.columns
    assert out.columns[len(frame.columns) :] == ["stage", "reasons", *(c.id for c in rules.plan.criteria), *(s.name for s in rules.plan.scores), "blocked_by", "missing", "issues", "ruleset_digest"]
    agree(rules, leads, rows)
    assert {r["stage"] for r in rows} == {"disqualified", "lead", "icp", "mql", "sql"}



def test_the_cluster_job_of_the_docs_writes_what_python_says(spark: Any, tmp_path: Any) -> None:
    page = (ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8")
    [job] = [code for code in re.findall(r"^```python\n(.*?)^```", page, re.MULTILINE | re.DOTALL) if "def qualify_job" in code]
    namespace: dict[str, Any] = {"__name__": "qualify_job"}
    exec(compile(job, "qualify_job.py", "exec"), namespace)  # noqa: S102 - our own docs
    rules_path, leads_path, out_path = tmp_path / "rules.yaml", tmp_path / "leads.csv", tmp_path / "qualified"
    rules_path.write_text(MESSY_RULES, encoding="utf-8")
    names = ["lead id", *MESSY_LEADS[0]]
    with open(leads_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        writer.writerows([[str(i), *("" if v is None else v for v in lead.values())] for i, lead in enumerate(MESSY_LEADS)])
    namespace["qualify_job"](spark, str(rules_path), str(leads_path), str(out_path), AS_OF)
    written = sorted(spark.read.parquet(str(out_path)).collect(), key=lambda r: int(r["lead id"]))
    assert [r["lead id"] for r in written] == [str(i) for i in range(len(MESSY_LEADS))]
    leads = [{"lead id": str(i), **{k: (v or None) for k, v in lead.items()}} for i, lead in enumerate(MESSY_LEADS)]  # Spark reads an empty cell as NULL
    agree(leadspec.loads(MESSY_RULES), leads, written)

# -- typed columns ------------------------------------------------------------------------------------

TYPED_RULES = rules_text(
    """
    fields:
      employees: {type: integer, min: 0}
      big: {type: integer}
      revenue: {type: number}
      opted_in: {type: boolean}
      founded: {type: date}
      seen: {type: datetime}
      seen_wall: {type: datetime}
      tags: {type: list}
      city: {type: string, source: company.city}
      size: {type: integer, source: company.size}
      big_as_text: {type: string, source: big}
    stages:
      - id: icp
        all:
          - {id: size, when: employees >= 50}
          - {id: huge, when: big > 1000000}
          - {id: rich, when: revenue > 1000000.5}
          - {id: opted, when: opted_in}
          - {id: old, when: days_since(founded) > 365}
          - {id: recent, when: days_since(seen) <= 0}
          - {id: recent_wall, when: days_since(seen_wall) <= 0}
          - {id: vip, when: "'vip' in tags"}
          - {id: berlin, when: city == 'Berlin'}
          - {id: company_size, when: size >= 10}
          - {id: text, when: len(big_as_text) > 3}
    """
)


def _typed_leads() -> list[dict[str, Any]]:
    utc = timezone.utc
    return [
        {
            "employees": 120,
            "big": 2**40,
            "revenue": 2_500_000.25,
            "opted_in": True,
            "founded": date(2001, 2, 3),
            "seen": datetime(2026, 10, 31, 23, 30, tzinfo=utc),
            "seen_wall": datetime(2026, 10, 31, 23, 30),
            "tags": ["vip", " partner "],
            "company": {"city": "Berlin", "size": 40},
        },
        {
            "employees": 3,
            "big": -7,
            "revenue": float("nan"),
            "opted_in": False,
            "founded": date(2026, 10, 30),
            "seen": datetime(2026, 10, 30, 1, 0, tzinfo=utc),
            "seen_wall": datetime(2026, 11, 2, 0, 0),
            "tags": [],
            "company": {"city": " berlin", "size": None},
        },
        {
            "employees": None,
            "big": None,
            "revenue": None,
            "opted_in": None,
            "founded": None,
            "seen": None,
            "seen_wall": None,
            "tags": None,
            "company": None,
        },
        {
            "employees": -5,
            "big": 0,
            "revenue": -0.0,
            "opted_in": True,
            "founded": date(1, 1, 1),
            "seen": datetime(2026, 10, 31, 0, 0, 1, tzinfo=utc),
            "seen_wall": datetime(2026, 10, 31, 0, 0),
            "tags": ["", "VIP", "vip"],
            "company": {"city": None, "size": 10},
        },
    ]


TYPED_SCHEMA = (
    "employees int, big bigint, revenue double, opted_in boolean, founded date, seen timestamp, "
    "seen_wall timestamp_ntz, tags array<string>, company struct<city:string,size:int>"
)


def test_typed_columns_are_read_as_python_reads_the_same_values(spark: Any) -> None:
    rules = leadspec.loads(TYPED_RULES)
    leads = _typed_leads()
    frame = spark.createDataFrame([tuple(lead.values()) for lead in leads], TYPED_SCHEMA)
    rows = qualify(frame, rules, as_of=AS_OF).collect()
    agree(rules, leads, rows)
    assert rows[0]["icp.recent"] == "pass" and rows[1]["icp.recent"] == "fail"  # read as moments: 23:30 UTC on Oct 31 is 0 days before as_of


# -- a session not set as the tests set it ------------------------------------------------------------

MESSY_RULES = rules_text(
    """
    missing: ["", "n/a"]
    fields:
      employees: {type: integer, min: 0}
      revenue: {type: number}
      founded: {type: date, format: ['%d/%m/%Y']}
      seen: {type: datetime}
      plan: {type: enum, values: [free, pro, enterprise]}
    scores:
      fit:
        rules:
          - {id: per_head, when: revenue / employees > 1000, points: 10}
          - {id: seen_today, when: days_since(seen) < 1, points: 5}
    stages:
      - id: icp
        all:
          - {id: size, when: employees >= 50, missing: fail}
          - {id: per_head, when: revenue / employees > 1000}
          - {id: recent, when: days_since(seen) <= 0}
          - {id: old, when: days_since(founded) > 365}
      - id: mql
        when: score('fit') >= 10
    """
)

MESSY_LEADS = [
    {"employees": "120", "revenue": "500000", "founded": "03/02/2001", "seen": "2026-10-31T02:00:00Z", "plan": "PRO"},
    {"employees": "0", "revenue": "10", "founded": "2026-02-30", "seen": "2026-10-31T22:00:00+05:00", "plan": "pro "},
    {"employees": "abc", "revenue": "1e400", "founded": "31/12/2025", "seen": "2026-10-31 23:59:59", "plan": "gold"},
    {"employees": "1.0", "revenue": "-0", "founded": "n/a", "seen": "not a date", "plan": ""},
    {"employees": "1e3", "revenue": "1,000", "founded": "2025-10-31", "seen": "2026-11-01T00:00:00Z", "plan": None},
    {"employees": None, "revenue": None, "founded": None, "seen": None, "plan": None},
]


@pytest.mark.parametrize(
    "settings",
    [
        {"spark.sql.ansi.enabled": "false"},
        {"spark.sql.session.timeZone": "America/New_York", "spark.sql.timestampType": "TIMESTAMP_NTZ", "spark.sql.ansi.enabled": "true"},
    ],
    ids=["ansi-off", "new-york-ntz"],
)
def test_the_session_settings_do_not_change_the_answers(spark: Any, settings: dict[str, str]) -> None:
    """ANSI mode on (Spark 4's default, the other tests) or off; a session time zone that is not UTC."""
    rules = leadspec.loads(MESSY_RULES)
    names = list(MESSY_LEADS[0])
    with session_settings(spark, settings):
        frame = spark.createDataFrame([[lead[n] for n in names] for lead in MESSY_LEADS], ", ".join(f"{n} string" for n in names))
        out = qualify(frame, rules, as_of=AS_OF)
        assert {k: spark.conf.get(k, None) for k in settings} == settings  # the session's own settings are back
        agree(rules, MESSY_LEADS, out.collect())
        if "spark.sql.session.timeZone" in settings:  # a `timestamp` column is a moment, read in UTC
            typed = spark.createDataFrame([tuple(lead.values()) for lead in _typed_leads()], TYPED_SCHEMA)
            agree(leadspec.loads(TYPED_RULES), _typed_leads(), qualify(typed, leadspec.loads(TYPED_RULES), as_of=AS_OF).collect())


# -- events as a DataFrame ----------------------------------------------------------------------------

EVENT_RULES = rules_text(
    """
    fields:
      id: {type: string}
      events: {type: events, values: [demo_request, webinar, page_view]}
    scores:
      engagement:
        window: 30d
        half_life: 10d
        events:
          demo_request: 30
          webinar: 15
          page_view: {points: 1, max: 3}
    stages:
      - id: mql
        any:
          - {id: demo, when: "count('demo_request', within='14d') >= 1"}
          - {id: engaged, when: "score('engagement') >= 20"}
          - {id: fresh, when: "days_since(last(['webinar', 'page_view'])) <= 2"}
    """
)

EVENTS = [
    ("a", "demo_request", "2026-10-25T10:00:00Z"),
    ("a", "page_view", "2026-10-31T09:00:00Z"),
    ("a", "page_view", "2026-10-31T09:01:00Z"),
    ("a", "page_view", "2026-10-31T09:02:00Z"),
    ("a", "page_view", "2026-10-31T09:03:00Z"),
    ("b", "webinar", "2026-09-01T00:00:00Z"),
    ("b", "demo_request", "2026-11-05T00:00:00Z"),  # after as_of: never counts
    ("c", "webinar", "2026-10-30T12:00:00+02:00"),
    ("d", "demo_request", "yesterday"),  # an unreadable `at` spoils d's events
]


def test_events_dataframe_is_gathered_per_key(spark: Any) -> None:
    rules = leadspec.loads(EVENT_RULES)
    ids = ["a", "b", "c", "d", "e"]  # e has no events
    leads: list[dict[str, Any]] = []
    for lead_id in ids:
        lead: dict[str, Any] = {"id": lead_id}
        mine = [{"type": t, "at": at} for k, t, at in EVENTS if k == lead_id]
        if mine:
            lead["events"] = mine
        leads.append(lead)
    frame = spark.createDataFrame([(i,) for i in ids], "id string")
    events = spark.createDataFrame(EVENTS, "id string, type string, at string")
    out = qualify(frame, rules, as_of=AS_OF, events=events, key="id")
    assert out.columns[0] == "id" and "events" not in out.columns  # the gathered events are not an output column
    rows = sorted(out.collect(), key=lambda r: r["id"])
    agree(rules, leads, rows)
    assert [r["mql.demo"] for r in rows] == ["pass", "fail", "fail", "fail", "fail"]  # by hand: only a's demo is inside 14 days
    # by hand: d's events as the Python engine shows the list of {type, at} records it is given (JSON, type first)
    assert [(i["field"], i["value"]) for i in rows[3]["issues"]] == [("events", '[{"type": "demo_request", "at": "yesterday"}]')]


ACTIVITY_RULES = rules_text(
    """
    fields:
      revenue: {type: number, source: "company.revenue", default: "0.5"}
      founded: {type: date, source: "Founded on", format: "%m/%d/%Y", default: "10/06/2024"}
      opted_in: {type: boolean}
      seen: {type: datetime, format: ["%m/%d/%Y %H:%M", "%Y/%m/%d %H:%M:%S"]}
      events: {type: events, source: "Activity", values: [demo, visit, open, call]}
    disqualify:
      - {id: cold, when: "days_since(first(['call', 'visit'])) < count('visit')", missing: fail}
    stages:
      - id: icp
        when: "days_since(first('open')) != revenue"
    """
)

ACTIVITY_LEADS = [
    {"company.revenue": "  1.9 ", "Founded on": "", "opted_in": "", "seen": "2026-11-01T09:07:00+02:00", "Activity": '[{"type": 3, "at": "2026-10-01"}]'},
    {"company.revenue": "\t", "Founded on": "", "seen": "", "Activity": '[{"type": "visit", "at": "2026-10-31T18:00:00Z", "title": "launch"}, {"type": "visit", "at": "2026-10-31T12:00:00Z"}]'},
    {"company.revenue": "", "Founded on": "", "Activity": "[]"},
    {"company.revenue": "349\t", "Founded on": "10/16/2026", "opted_in": "", "seen": "2026-11-06T03:07:00+02:00", "Activity": '[{"at": "2026-10-28", "type": "open"}, {"at": "2026-11-01", "type": "other"}]'},
    {"company.revenue": "-1000000.0", "Founded on": "07/10/2025", "opted_in": "1", "Activity": '[{"type": "open", "at": "2026-10-31T00:00:00Z"}, {"type": "visit", "at": "2026-10-30"}]'},
    {"company.revenue": "True", "opted_in": "yes", "seen": "2026-11-12T17:07:00Z", "Activity": '[{"type": "demo"}]'},
    {"Activity": "not json"},
]


def test_an_events_column_of_json_text_is_analysed_with_enough_passes(spark: Any) -> None:
    """The query of an events field read from JSON text needs more than Spark's default 100 analyzer passes."""
    rules = leadspec.loads(ACTIVITY_RULES)
    names = ["company.revenue", "Founded on", "opted_in", "seen", "Activity"]
    leads = [{n: lead.get(n) for n in names} for lead in ACTIVITY_LEADS]
    frame = spark.createDataFrame([[lead[n] for n in names] for lead in leads], ", ".join(f"`{n}` string" for n in names))
    with session_settings(spark, {"spark.sql.analyzer.maxIterations": "100"}):  # Spark's default
        out = qualify(frame, rules, as_of=AS_OF)
        assert spark.conf.get("spark.sql.analyzer.maxIterations") == "100"  # the session's own setting is back
    rows = out.collect()
    agree(rules, leads, rows)
    # by hand: lead 1's first visit is 0 whole days before as_of and it has 2 visits (0 < 2: cold); lead 4's
    # first visit is 2 days before, its only one (2 < 1 is false), and its first open 1 day before (1 != -1000000)
    # lead 6's events are not JSON: no visit, and the disqualifier's missing: fail
    assert [(rows[i]["stage"], rows[i]["disqualify.cold"]) for i in (1, 4, 6)] == [("disqualified", "pass"), ("icp", "fail"), ("lead", "fail")]


def test_events_and_key_go_together(spark: Any) -> None:
    rules = leadspec.loads(EVENT_RULES)
    frame = spark.createDataFrame([("a",)], "id string")
    events = spark.createDataFrame(EVENTS, "id string, type string, at string")
    with pytest.raises(ValueError, match="events and key go together"):
        qualify(frame, rules, as_of=AS_OF, events=events)
    with pytest.raises(ValueError, match=r"key 'lead' is not a column of the leads DataFrame"):
        qualify(frame, rules, as_of=AS_OF, events=events, key="lead")
    with pytest.raises(ValueError, match=r"the events DataFrame needs the columns 'id', 'type' and 'at' \(it has: id, kind, at\)"):
        qualify(frame, rules, as_of=AS_OF, events=events.withColumnRenamed("type", "kind"), key="id")


# -- no Python in the plan ----------------------------------------------------------------------------


def _physical_plan(frame: Any) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        frame.explain(mode="extended")
    return out.getvalue()


def test_the_plan_has_no_python_udf(spark: Any) -> None:
    from pyspark.sql import functions as F

    rules = leadspec.loads(MESSY_RULES)
    names = list(MESSY_LEADS[0])
    frame = spark.createDataFrame([[lead[n] for n in names] for lead in MESSY_LEADS], ", ".join(f"{n} string" for n in names))
    python_nodes = ("BatchEvalPython", "ArrowEvalPython", "PythonUDF", "MapInPandas", "FlatMapGroupsInPandas")
    with_udf = frame.withColumn("x", F.udf(lambda s: s, "string")("plan"))  # what the check sees of a Python UDF
    assert any(node in _physical_plan(with_udf) for node in python_nodes)
    plan = _physical_plan(qualify(frame, rules, as_of=AS_OF))
    assert "== Physical Plan ==" in plan
    assert not [node for node in python_nodes if node in plan]


# -- names ---------------------------------------------------------------------------------------------

NAME_RULES = rules_text(
    """
    fields:
      size: {type: integer, source: "company.size (employees)"}
      name: {type: string, source: "first name"}
    stages:
      - id: icp
        all:
          - {id: size, when: size >= 10}
          - {id: named, when: has(name)}
    """
)


def test_column_names_with_dots_spaces_and_backticks(spark: Any) -> None:
    rules = leadspec.loads(NAME_RULES)
    leads = [
        {"company.size (employees)": "12", "first name": "Ada", "a`b": "x"},
        {"company.size (employees)": "x", "first name": "", "a`b": None},
    ]
    names = list(leads[0])
    frame = spark.createDataFrame([[lead[n] for n in names] for lead in leads], "`company.size (employees)` string, `first name` string, `a``b` string")
    out = qualify(frame, rules, as_of=AS_OF)
    assert out.columns[:3] == names
    rows = out.collect()
    assert [r["icp.size"] for r in rows] == ["pass", "unknown"]
    agree(rules, leads, rows)


def test_an_input_column_named_like_an_output_column_is_refused(spark: Any) -> None:
    rules = leadspec.loads(NAME_RULES)
    frame = spark.createDataFrame([("12", "Ada", "icp")], "`company.size (employees)` string, `first name` string, stage string")
    with pytest.raises(ValueError, match=r"input column 'stage' would have the name of an output column of qualify: rename or drop it"):
        qualify(frame, rules, as_of=AS_OF)
    renamed = qualify(frame.withColumnRenamed("stage", "crm_stage"), rules, as_of=AS_OF)
    assert renamed.collect()[0]["crm_stage"] == "icp"
    frame = spark.createDataFrame([("12", "Ada", "x", "y")], "`company.size (employees)` string, `first name` string, `ICP.Size` string, Issues string")
    with pytest.raises(ValueError, match=r"input columns 'ICP.Size' \(as 'icp.size'\), 'Issues' \(as 'issues'\) would have the names of output columns"):
        qualify(frame, rules, as_of=AS_OF)  # Spark compares names ignoring case


def test_views_are_dropped_and_the_result_still_runs(spark: Any) -> None:
    rules = leadspec.loads(NAME_RULES)
    before = {t.name for t in spark.catalog.listTables()}
    frame = spark.createDataFrame([("12", "Ada")], "`company.size (employees)` string, `first name` string")
    out = qualify(frame, rules, as_of=AS_OF)
    assert {t.name for t in spark.catalog.listTables()} == before
    assert out.collect()[0]["stage"] == "icp"
    assert out.count() == 1


def test_rules_may_be_a_path_and_as_of_is_checked(spark: Any, tmp_path: Any) -> None:
    path = tmp_path / "names.yaml"
    path.write_text(NAME_RULES)
    frame = spark.createDataFrame([("12", "Ada")], "`company.size (employees)` string, `first name` string")
    assert qualify(frame, path, as_of=date(2026, 11, 1)).collect()[0]["stage"] == "icp"
    with pytest.raises(ValueError, match="as_of 'yesterday' is"):
        qualify(frame, path, as_of="yesterday")


def test_without_pyspark_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import leadspec.spark

    real_import = builtins.__import__

    def no_pyspark(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pyspark" or name.startswith("pyspark."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyspark)
    with pytest.raises(ImportError, match=r"leadspec.spark needs pyspark, which is not installed: pip install 'leadspec\[spark\]'"):
        leadspec.spark.qualify(object(), leadspec.loads(NAME_RULES))  # type: ignore[arg-type]


def test_importing_leadspec_spark_does_not_import_pyspark() -> None:
    import subprocess

    code = "import sys, leadspec.spark; print('pyspark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

