"""Behaviours the docs state in words, pinned so the docs cannot silently become false.

Each test names the page and section that states the behaviour, and checks
it on every path that must agree: ``Ruleset.evaluate`` (values, outcomes,
issues), ``Ruleset.stage`` (the lean generated path), ``Ruleset.lead_model``
for how a value is read, and the reference interpreter
(``leadspec.reference``), which is written from the docs alone.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leadspec
from leadspec import reference

EXAMPLES = 2000 if os.environ.get("LEADSPEC_FUZZ") else 60
LAWS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
DOCS = Path(__file__).resolve().parents[1] / "docs"
AS_OF = "2026-11-01"
UTC = timezone.utc

FIELDS = leadspec.loads(
    """
leadspec: 1
name: reading
fields:
  employees: {type: integer}
  revenue:   {type: number}
  title:     {type: string}
  plan:      {type: enum, values: [free, '100', pro]}
  opted_in:  {type: boolean}
  tags:      {type: list}
  signed_up: {type: date, format: "%m/%d/%Y"}
  created:   {type: date}
  last_seen: {type: datetime}
  seen_fmt:  {type: datetime, format: "%m/%d/%Y %H:%M"}
  seen_off:  {type: datetime, format: "%m/%d/%Y %H:%M %z"}
  events:    {type: events}
stages:
  - id: engaged
    when: count('demo_request') > 0
""",
    name="reading.yaml",
)


def read(field: str, raw: Any) -> tuple[Any, list[str]]:
    """The value ``field`` reads from ``raw`` and the issues' messages; the other paths must agree."""
    lead = {field: raw}
    result = FIELDS.evaluate(lead, as_of=AS_OF)
    value = result.values[field]
    messages = [issue.message for issue in result.issues]
    oracle = reference.evaluate(FIELDS.plan, lead, AS_OF)
    assert (oracle.values[field] is None) == (value is None), (field, raw, oracle.values[field], value)
    assert (field in oracle.bad) == bool(messages), (field, raw, oracle.bad, messages)
    if field != "events":  # the reference holds events as tuples; Result.values as the input objects
        assert oracle.values[field] == value and type(oracle.values[field]) is type(value)
    try:
        checked = FIELDS.lead_model.model_validate(lead).model_dump(by_alias=True)[field]
    except ValueError:
        assert messages, f"lead_model refuses {raw!r} for {field} but evaluate() reads it"
    else:
        assert not messages, f"lead_model accepts {raw!r} for {field} but evaluate() reports {messages}"
        if field != "events":
            assert checked == value and type(checked) is type(value)
    assert FIELDS.stage(lead, as_of=AS_OF) == result.stage == oracle.stage
    return value, messages


def evaluate_one(when: str, lead: dict[str, Any], *, missing: str | None = None) -> tuple[str, list[str], list[str]]:
    """``when`` as a one-criterion stage: (outcome, issue messages, Result.missing); the paths must agree."""
    policy = f"\n    missing: {missing}" if missing else ""
    rules = leadspec.loads(
        f"""
leadspec: 1
name: one
fields:
  revenue:   {{type: number}}
  employees: {{type: integer}}
  title:     {{type: string}}
stages:
  - id: check
    when: "{when}"{policy}
"""
    )
    result = rules.evaluate(lead, as_of=AS_OF)
    outcome = result.criteria[0].outcome
    oracle = reference.evaluate(rules.plan, lead, AS_OF)
    assert oracle.criteria == {"check.when": outcome}
    assert oracle.errors == (("check.when",) if result.issues else ())
    assert rules.stage(lead, as_of=AS_OF) == result.stage == oracle.stage
    return outcome, [issue.message for issue in result.issues], result.missing


DIVISION = "could not be evaluated: division by zero"


# -- 1. missing-values.md, "A criterion's `missing:` policy" and "Errors while evaluating" -----------


@pytest.mark.parametrize("policy", ["pass", "fail", "unknown"])
def test_an_error_leaves_the_criterion_unknown_whatever_its_missing_policy(policy: str) -> None:
    rules = leadspec.loads(
        f"""
leadspec: 1
name: ratio
fields:
  revenue: {{type: number}}
  employees: {{type: integer}}
scores:
  fit:
    rules:
      - {{id: efficient, when: "revenue / employees > 10", points: 5, missing: {policy}}}
disqualify:
  - id: tiny
    when: revenue / employees < 1
    missing: {policy}
stages:
  - id: lean
    all:
      - id: ratio
        when: revenue / employees > 10
        missing: {policy}
  - id: rich
    when: revenue > 0
"""
    )
    lead = {"revenue": 5, "employees": 0}
    result = rules.evaluate(lead, as_of=AS_OF)
    assert {c.id: c.outcome for c in result.criteria} == {
        "fit.efficient": "unknown",
        "disqualify.tiny": "unknown",
        "lean.ratio": "unknown",
        "rich.when": "pass",
    }
    assert [(i.field, i.criterion, i.message) for i in result.issues] == [
        (None, "fit.efficient", DIVISION),
        (None, "disqualify.tiny", DIVISION),
        (None, "lean.ratio", DIVISION),
    ]
    assert result.stage == "lead"  # not disqualified; lean is unknown, so rich is not reached
    assert result.scores["fit"].total == 0
    assert result.missing == []  # nothing is missing: an error is not missing data
    assert rules.stage(lead, as_of=AS_OF) == "lead"
    oracle = reference.evaluate(rules.plan, lead, AS_OF)
    assert (oracle.stage, oracle.criteria, oracle.scores) == ("lead", {c.id: c.outcome for c in result.criteria}, {"fit": 0})


@pytest.mark.parametrize(("policy", "expected"), [("pass", "pass"), ("fail", "fail"), ("unknown", "unknown")])
def test_the_same_criterion_is_decided_by_its_policy_when_a_value_is_missing(policy: str, expected: str) -> None:
    assert evaluate_one("revenue / employees > 10", {"revenue": 5}, missing=policy)[:2] == (expected, [])
    assert evaluate_one("revenue / employees > 10", {"revenue": 5, "employees": 0}, missing=policy)[:2] == ("unknown", [DIVISION])


# -- 2. rule-files.md, "Fields": dates and datetimes ------------------------------------------------


def test_a_date_format_reads_text_in_that_format_and_iso_8601() -> None:
    assert read("signed_up", "10/02/2026") == (date(2026, 10, 2), [])
    assert read("signed_up", " 10/02/2026 ") == (date(2026, 10, 2), [])
    assert read("signed_up", "2026-10-02") == (date(2026, 10, 2), [])  # ISO 8601 is always read too
    assert read("signed_up", "2026/10/02") == (None, ["not a date in the format '%m/%d/%Y' or ISO 8601 (2026-11-01)"])
    assert read("seen_fmt", "10/02/2026 09:30") == (datetime(2026, 10, 2, 9, 30, tzinfo=UTC), [])  # no %z: UTC
    assert read("seen_fmt", "2026-10-02T09:30:00Z") == (datetime(2026, 10, 2, 9, 30, tzinfo=UTC), [])
    assert read("seen_fmt", "soon") == (None, ["not a datetime in the format '%m/%d/%Y %H:%M' or ISO 8601 (2026-11-01T09:30:00Z)"])
    assert read("seen_off", "10/02/2026 11:30 +0200") == (datetime(2026, 10, 2, 9, 30, tzinfo=UTC), [])


def test_without_a_format_dates_and_datetimes_are_iso_8601() -> None:
    assert read("created", "2026-10-02") == (date(2026, 10, 2), [])
    assert read("created", "2026-10-02T23:30:00-02:00") == (date(2026, 10, 3), [])  # its date in UTC
    assert read("created", "10/02/2026") == (None, ["not a date in ISO 8601 (2026-11-01)"])
    assert read("last_seen", "2026-10-02") == (datetime(2026, 10, 2, tzinfo=UTC), [])  # a date: midnight UTC
    assert read("last_seen", "10/02/2026 09:30") == (None, ["not a datetime in ISO 8601 (2026-11-01T09:30:00Z)"])


@pytest.mark.parametrize(
    "text",
    ["2026-10-02T09:30:00Z", "2026-10-02t09:30:00z", "2026-10-02t09:30:00Z", "2026-10-02T09:30:00z", "2026-10-02T09:30:00",
     "2026-10-02t09:30:00", "2026-10-02T11:30:00+02:00", "2026-10-02t07:30:00-02:00", " 2026-10-02T09:30:00Z "],
)
def test_iso_datetimes_take_lower_case_t_and_z_and_are_utc_without_an_offset(text: str) -> None:
    assert read("last_seen", text) == (datetime(2026, 10, 2, 9, 30, tzinfo=UTC), [])


@pytest.mark.parametrize("text", ["2026-10-02Z", "2026-10-02z", "2026-10-02+05:00", "2026-10-02-02:00", "2026-10-02 Z"])
def test_a_zone_without_a_time_is_a_bad_value(text: str) -> None:
    """rule-files.md, "Fields": a zone (Z or an offset) belongs to a time; a date with one alone is a bad value, on every field."""
    assert read("created", text) == (None, ["not a date in ISO 8601 (2026-11-01)"])
    assert read("signed_up", text) == (None, ["not a date in the format '%m/%d/%Y' or ISO 8601 (2026-11-01)"])
    assert read("last_seen", text) == (None, ["not a datetime in ISO 8601 (2026-11-01T09:30:00Z)"])
    assert read("created", text[:10] + "T00:00" + text[10:].strip()) == (date(2026, 10, 1) if "+05:00" in text else date(2026, 10, 2), [])  # with a time: read


# -- 3. expressions.md, "Missing operands and errors" -----------------------------------------------


def test_a_single_comparison_is_unknown_when_its_left_side_is_missing_and_skips_its_right_side() -> None:
    zero = {"employees": 0}  # revenue missing; 1000 / employees would fail
    assert evaluate_one("revenue > 1000 / employees", zero) == ("unknown", [], ["revenue"])
    assert evaluate_one("revenue == 1000 / employees", zero) == ("unknown", [], ["revenue"])
    assert evaluate_one("revenue in [1000 / employees]", zero) == ("unknown", [], ["revenue"])
    assert evaluate_one("1000 / employees < revenue", zero) == ("unknown", [DIVISION], ["revenue"])  # left first
    assert evaluate_one("employees < revenue", zero) == ("unknown", [], ["revenue"])  # right missing: unknown


def test_a_chain_reads_every_operand() -> None:
    zero = {"employees": 0}
    assert evaluate_one("0 < revenue < 1000 / employees", zero) == ("unknown", [DIVISION], ["revenue"])
    assert evaluate_one("revenue < 1000 / employees < 5", zero) == ("unknown", [DIVISION], ["revenue"])
    assert evaluate_one("0 < revenue < 10 < employees", {"employees": 5}) == ("fail", [], [])  # a false pair decides
    assert evaluate_one("0 < revenue < 10 < employees", {"employees": 50}) == ("unknown", [], ["revenue"])
    assert evaluate_one("0 < revenue < 10 < employees", {"employees": 50, "revenue": 5})[0] == "pass"


def test_arithmetic_reads_both_sides() -> None:
    zero = {"employees": 0}
    assert evaluate_one("revenue + 1000 / employees > 0", zero) == ("unknown", [DIVISION], ["revenue"])
    assert evaluate_one("revenue * 2 > 0", {}) == ("unknown", [], ["revenue"])


# -- 4. numbers ---------------------------------------------------------------------------------------


def test_integer_fields_read_whole_numbers_in_text_with_an_exponent() -> None:
    for text, number in [("1e3", 1000), (" 1E3 ", 1000), ("1.5e3", 1500), ("250.0", 250), ("+250", 250), ("-5", -5)]:
        value, issues = read("employees", text)
        assert (value, type(value), issues) == (number, int, []), text
    for text in ["2.5", "1e-3", "1_000", "0x10", "1,000", "lots"]:
        assert read("employees", text) == (None, ["not an integer"]), text
    assert read("employees", 250.0) == (250, [])


def test_number_fields_read_text_as_a_float_and_keep_an_integer_an_integer() -> None:
    for raw, expected, kind in [("250", 250.0, float), ("1e3", 1000.0, float), (250, 250, int), (2.5, 2.5, float)]:
        value, issues = read("revenue", raw)
        assert (value, type(value), issues) == (expected, kind, []), raw


def test_an_integer_with_an_exponent_or_a_fraction_of_zeros_is_read_exactly() -> None:
    """rule-files.md, "Fields": "1e30" is 10**30 (through a float it was 1000000000000000019884624838656)."""
    for text, number in [("1e30", 10**30), ("12345678901234567.0", 12345678901234567), ("123456789012345678901", 123456789012345678901),
                         ("-9007199254740993e0", -9007199254740993), ("0.0001e4", 1), ("120e-1", 12), ("0e999999999999999999999999", 0)]:
        value, issues = read("employees", text)
        assert (value, type(value), issues) == (number, int, []), text
    for text in ["1.23e1", "1e-999999999999999999999999"]:
        assert read("employees", text) == (None, ["not an integer"]), text
    assert read("employees", "1e400") == (None, ["a 401-digit number is above the largest number leadspec reads"])
    assert read("employees", "-1" + "0" * 5000) == (None, ["a 5,001-digit number is below the smallest number leadspec reads"])
    assert read("employees", "1e9999999999999999999999") == (None, ["a number with a 22-digit exponent is above the largest number leadspec reads"])


@pytest.mark.parametrize("text", ["١٢٣", "１２３", "۱۲۳", "12３", "٣.٥"])
@pytest.mark.parametrize("field", ["employees", "revenue"])
def test_numbers_are_read_in_the_digits_0_to_9_only(field: str, text: str) -> None:
    """rule-files.md, "Fields": Python's int() and float() read Arabic-Indic or fullwidth digits; leadspec does not."""
    kind = "an integer" if field == "employees" else "a number"
    assert read(field, text) == (None, [f"not {kind} (only the digits 0-9 are read)"])
    assert read(field, "€5") == (None, [f"not {kind}"])  # no hint when there is no such digit


@pytest.mark.parametrize("field", ["employees", "revenue"])
def test_a_number_beyond_the_largest_float_is_a_bad_value(field: str) -> None:
    assert read(field, 10**308) == (10**308, [])  # below about 1.8e308: a value
    assert read(field, 10**309) == (None, ["a 310-digit number is above the largest number leadspec reads"])
    assert read(field, -(10**309)) == (None, ["a 310-digit number is below the smallest number leadspec reads"])


@pytest.mark.parametrize("field", ["employees", "revenue"])
@pytest.mark.parametrize("boolean", [True, False])
def test_booleans_are_never_numbers(field: str, boolean: bool) -> None:
    kind = "an integer" if field == "employees" else "a number"
    assert read(field, boolean) == (None, [f"not {kind} (got a boolean)"])


# -- 5. text --------------------------------------------------------------------------------------------


def test_a_number_given_to_a_text_field_is_read_as_its_text() -> None:
    assert read("title", 250) == ("250", [])
    assert read("title", 2.5) == ("2.5", [])
    assert read("title", 1e20) == ("1e+20", [])
    assert read("plan", 100) == ("100", [])
    assert read("plan", 100.0) == (None, ["not one of free, 100, pro"])  # the text "100.0", not 100 (two edits from it: no suggestion)
    assert read("title", True) == (None, ["not text (got bool)"])


@pytest.mark.parametrize("field", ["title", "plan", "tags"])
def test_an_integer_too_long_to_write_as_text_is_a_bad_value(field: str) -> None:
    raw = [10**5000] if field == "tags" else 10**5000
    assert read(field, raw) == (None, ["a 5,001-digit number is too long to read as text"])


def test_an_integer_of_4300_digits_is_still_text() -> None:
    assert read("title", 10**4299) == ("1" + "0" * 4299, [])
    assert read("tags", [10**4299]) == (("1" + "0" * 4299,), [])


# -- 6. booleans ------------------------------------------------------------------------------------------

SPELLINGS = {"true": True, "yes": True, "y": True, "t": True, "on": True, "1": True,
             "false": False, "no": False, "n": False, "f": False, "off": False, "0": False}


@LAWS
@given(
    spelling=st.sampled_from(sorted(SPELLINGS)),
    upper=st.lists(st.booleans(), min_size=5, max_size=5),
    pad=st.sampled_from(["", " ", "\t", "  "]),
)
def test_booleans_read_every_spelling_in_any_case(spelling: str, upper: list[bool], pad: str) -> None:
    text = pad + "".join(c.upper() if up else c for c, up in zip(spelling, upper + [False] * 5)) + pad
    assert read("opted_in", text) == (SPELLINGS[spelling], [])


def test_booleans_read_the_integers_1_and_0_and_nothing_else() -> None:
    assert read("opted_in", 1) == (True, [])
    assert read("opted_in", 0) == (False, [])
    message = "not a boolean (use true/false, yes/no, y/n or 1/0)"
    for bad in [1.0, 0.0, 2, -1, "1.0", "2", "si", "true."]:
        assert read("opted_in", bad) == (None, [message]), bad


# -- 7. lists ---------------------------------------------------------------------------------------------


def test_list_fields_read_json_lists_semicolons_and_lists() -> None:
    assert read("tags", '["partner", " emea ", "", null, 3, 2.5]') == (("partner", "emea", "3", "2.5"), [])
    assert read("tags", " partner ;; emea ; ") == (("partner", "emea"), [])
    assert read("tags", ["partner", None, "  ", " emea", 3]) == (("partner", "emea", "3"), [])
    assert read("tags", ("partner",)) == (("partner",), [])
    assert read("tags", "solo") == (("solo",), [])
    assert read("tags", '["a", ["nested"]]') == (None, ["not a list of text values"])
    assert read("tags", "[not json") == (None, ["not a list: starts with [ but is not a JSON list"])


def test_a_list_literal_with_a_missing_item_is_unknown() -> None:
    """`'x' in [title, 'y']` with title missing: title could be 'x', so the outcome is unknown.

    The reference interpreter says unknown; the engine says fail (and
    `len([title, 'x'])` is 2), deciding on a missing value without listing it.
    """
    assert evaluate_one("'x' in [title, 'y']", {})[0] == "unknown"


# -- 8. events ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_event", "message"),
    [
        ({"type": "webinar", "at": "last Tuesday"}, "event 1: `at` is not a datetime in ISO 8601 (2026-11-01T09:30:00Z)"),
        ({"type": "webinar"}, "event 1: `at` is not a datetime (got NoneType)"),
        ({"at": "2026-10-20T10:00:00Z"}, "event 1 has no type"),
        ("webinar", "event 1 is not an object with type and at"),
    ],
)
def test_one_bad_event_makes_the_whole_events_field_a_bad_value(bad_event: Any, message: str) -> None:
    events = [{"type": "demo_request", "at": "2026-10-25T10:00:00Z"}, bad_event]
    assert read("events", events) == (None, [message])
    result = FIELDS.evaluate({"events": events}, as_of=AS_OF)
    assert result.stages == {"engaged": "fail"}  # count() of no events is 0, never unknown
    assert result.missing == []
    assert read("events", events[:1])[0] is not None  # the good event alone is read


# -- 9. and 10. the pages themselves ----------------------------------------------------------------------


def section(page: str, heading: str) -> str:
    """The text of ``page`` under ``heading`` up to the next heading of the same or a higher level."""
    text = (DOCS / page).read_text(encoding="utf-8")
    level = len(heading) - len(heading.lstrip("#"))
    start = text.index(heading + "\n")
    stop = re.compile(r"^#{1,%d} " % level, re.MULTILINE).search(text, start + len(heading) + 1)
    return text[start : stop.start() if stop else len(text)]


def test_rule_files_link_the_problem_codes_instead_of_copying_them() -> None:
    codes = section("rule-files.md", "### Problem codes")
    assert "[problem codes](error-codes.md)" in codes
    assert "| code |" not in codes and "`unknown-name`" not in codes  # the one list is error-codes.md


def test_the_schema_command_documents_plan() -> None:
    schema = section("command-line.md", "## `leadspec schema`")
    assert "--plan" in schema and "(plan.md)" in schema and "Plan.to_json()" in schema
