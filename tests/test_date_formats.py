"""Date and datetime formats (docs/rule-files.md, "Fields"): one strptime pattern or a list, ISO 8601 always.

A CRM API (ISO 8601) and a CSV export (``10/02/2026``) share one rule
file: text is read with the patterns in the order written, then as ISO
8601; the first that reads the whole text wins. The engine and the
reference interpreter read alike; the plan and its JSON carry the
patterns as a tuple.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import leadspec
from conftest import problems_of, rules_text
from leadspec import reference
from leadspec.plan import FieldPlan, Plan

EXAMPLES = 2000 if os.environ.get("LEADSPEC_FUZZ") else 60
UTC = timezone.utc
AS_OF = "2026-11-01"

RULES = leadspec.loads(
    rules_text(
        """
        fields:
          signed_up: {type: date, format: ["%m/%d/%Y", "%d.%m.%Y"]}
          closed:    {type: date, format: "%m/%d/%Y"}
          either:    {type: date, format: ["%m/%d/%Y", "%d/%m/%Y"]}
          seen:      {type: datetime, format: ["%m/%d/%Y %H:%M", "%d.%m.%Y %H:%M %z"]}
          created:   {type: date}
        stages:
          - id: recent
            when: has(signed_up) and has(closed) and has(either) and has(seen) and has(created)
        """
    )
)


def read(field: str, raw: Any) -> tuple[Any, list[str]]:
    result = RULES.evaluate({field: raw}, as_of=AS_OF)
    oracle = reference.evaluate(RULES.plan, {field: raw}, AS_OF)
    assert oracle.values[field] == result.values[field], (field, raw)  # the reference reads alike
    return result.values[field], [issue.message for issue in result.issues]


def test_every_pattern_of_the_list_is_read() -> None:
    assert read("signed_up", "10/02/2026") == (date(2026, 10, 2), [])
    assert read("signed_up", "02.10.2026") == (date(2026, 10, 2), [])


def test_iso_8601_text_is_always_read_too() -> None:
    assert read("signed_up", "2026-10-02") == (date(2026, 10, 2), [])
    assert read("closed", "2026-10-02") == (date(2026, 10, 2), [])  # one pattern: ISO as well
    assert read("closed", "2026-10-02T23:30:00-02:00") == (date(2026, 10, 3), [])  # ISO datetime text: its date in UTC
    assert read("seen", "2026-10-02T09:30:00Z") == (datetime(2026, 10, 2, 9, 30, tzinfo=UTC), [])
    assert read("seen", "10/02/2026 09:30") == (datetime(2026, 10, 2, 9, 30, tzinfo=UTC), [])
    assert read("seen", "02.10.2026 11:30 +0200") == (datetime(2026, 10, 2, 9, 30, tzinfo=UTC), [])


def test_ambiguous_text_reads_with_the_first_pattern_that_matches() -> None:
    assert read("either", "01/02/2026") == (date(2026, 1, 2), [])  # %m/%d/%Y is first
    assert read("either", "13/02/2026") == (date(2026, 2, 13), [])  # only %d/%m/%Y reads it


def test_a_bad_value_names_the_formats_tried() -> None:
    assert read("signed_up", "2026/10/02") == (None, ["not a date in the formats '%m/%d/%Y', '%d.%m.%Y' or ISO 8601 (2026-11-01)"])
    assert read("closed", "02.10.2026") == (None, ["not a date in the format '%m/%d/%Y' or ISO 8601 (2026-11-01)"])
    assert read("created", "10/02/2026") == (None, ["not a date in ISO 8601 (2026-11-01)"])
    assert read("seen", "soon") == (
        None,
        ["not a datetime in the formats '%m/%d/%Y %H:%M', '%d.%m.%Y %H:%M %z' or ISO 8601 (2026-11-01T09:30:00Z)"],
    )


def test_a_date_read_with_an_offset_is_its_date_in_utc_as_iso_text_gives() -> None:
    rules = leadspec.loads(rules_text("fields:\n  d: {type: date, format: '%Y-%m-%d %H:%M %z'}\nstages: [{id: s, when: 'has(d)'}]\n"))
    raw = "2026-10-02 23:30 -0200"
    assert rules.evaluate({"d": raw}, as_of=AS_OF).values["d"] == date(2026, 10, 3)
    assert reference.evaluate(rules.plan, {"d": raw}, AS_OF).values["d"] == date(2026, 10, 3)


def test_the_plan_holds_the_patterns_as_a_tuple_and_round_trips_through_json() -> None:
    plan = RULES.plan
    assert plan.field("signed_up").format == ("%m/%d/%Y", "%d.%m.%Y")
    assert plan.field("closed").format == ("%m/%d/%Y",)
    assert plan.field("created").format == ()
    again = Plan.from_json(plan.to_json())
    assert again == plan and again.field("signed_up").format == ("%m/%d/%Y", "%d.%m.%Y")
    schema = Plan.json_schema()["$defs"]["FieldPlan"]["properties"]["format"]
    assert schema == {"type": "array", "items": {"type": "string"}}


def test_a_plan_built_by_hand_with_one_pattern_or_none_still_reads() -> None:
    common: dict[str, Any] = {"name": "d", "type": "date", "source": "d", "default": None, "missing": ("",), "values": None, "min": None, "max": None}
    assert FieldPlan(format="%m/%d/%Y", **common).format == ("%m/%d/%Y",)  # type: ignore[arg-type]
    assert FieldPlan(format=None, **common).format == ()  # type: ignore[arg-type]


def test_a_plan_json_with_a_pattern_python_cannot_use_is_refused() -> None:
    text = RULES.plan.to_json().replace('"%d.%m.%Y"', '"%Q"')
    with pytest.raises(ValueError, match=r"fields\[0\]\.format\[1\]: '%Q' is not a date format Python can read"):
        Plan.from_json(text)


@pytest.mark.parametrize(
    ("written", "line", "column", "message"),
    [
        ('["%m/%d/%Y", "%Q"]', 4, 40, "format[1]: '%Q' is not a date format Python can read"),
        ('["%G"]', 4, 28, "format[0]: '%G' cannot read even the dates it writes"),
        ("[]", 4, 27, "format: an empty list of formats reads nothing but ISO 8601: give at least one strptime pattern"),
        ('["%m/%d/%Y", 3]', 4, 40, "format[1]"),
    ],
)
def test_each_pattern_is_checked_at_load_and_located_on_its_item(written: str, line: int, column: int, message: str) -> None:
    found = problems_of(rules_text(f"fields:\n  d: {{type: date, format: {written}}}\nstages: [{{id: s, when: 'has(d)'}}]\n"))
    assert [(p.line, p.column, p.code) for p in found] == [(line, column, "bad-value")], found
    assert message in f"{found[0].path.split('.', 2)[2]}: {found[0].message}", found


def test_a_format_list_on_another_type_is_refused() -> None:
    found = problems_of(rules_text("fields:\n  n: {type: integer, format: ['%Y']}\nstages: [{id: s, when: 'n > 1'}]\n"))
    assert [p.code for p in found] == ["bad-value"] and "`format` is only for date and datetime fields" in found[0].message


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.sampled_from(["%m/%d/%Y", "%d.%m.%Y", "iso"]),
)
def test_a_date_written_in_any_listed_format_or_iso_reads_back(day: date, how: str) -> None:
    raw = day.isoformat() if how == "iso" else day.strftime(how)
    assert read("signed_up", raw) == (day, [])


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2100, 12, 30)).map(lambda m: m.replace(second=0, microsecond=0)),
       st.sampled_from(["%m/%d/%Y %H:%M", "iso"]), st.integers(-12, 12))
def test_a_datetime_written_in_any_listed_format_or_iso_reads_back(moment: datetime, how: str, hours: int) -> None:
    utc = moment.replace(tzinfo=UTC)
    if how == "iso":
        raw = utc.astimezone(timezone(timedelta(hours=hours))).isoformat()
    else:
        raw = moment.strftime(how)
    assert read("seen", raw) == (utc, [])
