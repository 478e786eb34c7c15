"""Fuzzing evaluate() (issue 8): it never raises unless ``strict``; ``stage()`` == ``evaluate().stage``;
every path reads a raw value the same way (item 6), and the way the reference interpreter reads it;
the whole result agrees with the reference interpreter on hostile leads.

Bounded for the suite; ``LEADSPEC_FUZZ=1`` runs many more examples.
"""

from __future__ import annotations

import json
import math
import os
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leadspec
from _rulegen import assert_agree
from conftest import rules_text
from leadspec import reference

EXAMPLES = 2000 if os.environ.get("LEADSPEC_FUZZ") else 60
settings.register_profile("evaluate-fuzz", max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
FUZZ = settings.get_profile("evaluate-fuzz")

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")

MARKERS = ["", "N/A", "9999", "no", "0", "-"]
RULES = leadspec.loads(
    rules_text(
        f"""
        missing: {json.dumps(MARKERS)}
        fields:
          i: {{type: integer, min: -1000000, max: 1000000}}
          n: {{type: number}}
          b: {{type: boolean}}
          bd: {{type: boolean, default: true}}
          e: {{type: enum, values: ["saas", "no", "Other"]}}
          s: {{type: string}}
          d: {{type: date}}
          df: {{type: date, format: "%d/%m/%Y"}}
          t: {{type: datetime}}
          l: {{type: list}}
          ev: {{type: events}}
        lists:
          words: [alpha, Beta, "0"]
        scores:
          engagement:
            window: 90d
            half_life: 30d
            events: {{demo: 20, visit: {{points: 1, max: 5}}}}
            rules:
              - {{id: big, when: i > 100, points: 10}}
              - {{id: ratio, when: "n / i > 0.5", points: 5}}
        disqualify:
          - spam: "contains_any(s, words) and not b"
        stages:
          - id: icp
            all:
              - size: round(i, -2) >= 100 or n > 10.5
              - kind: e != 'Other'
              - recent: days_since(d) < 400 or days_since(t) < 30 or days_since(df) < 30
          - id: mql
            any:
              - demo: count('demo', within='30d') > 0
              - score: score('engagement') >= 20
              - tag: "'vip' in l"
          - id: sql
            at_least: {{n: 2, of: [{{a: b}}, {{c: bd}}, {{x: "len(s) > 3"}}]}}
        """
    ),
    name="fuzz.yaml",
)
SOURCES = {f.name: f.source for f in RULES.plan.fields}

TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(MARKERS + ["yes", "No", "TRUE", "off", "1", "00", "12", "250.0", "1e3", "nan", "inf", "-0", "1_000", "SaaS", "other"]),
    st.integers(-(10**25), 10**25).map(str),
    st.dates().map(date.isoformat),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
    st.datetimes().map(lambda t: t.isoformat() + "Z"),
    st.just("[" * 5000),
).flatmap(lambda text: st.sampled_from([text, f" {text} ", f"{text}\t"]))


def nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


EVENT = st.fixed_dictionaries(
    {"type": st.sampled_from(["demo", "visit", "other", ""]), "at": st.one_of(st.datetimes(timezones=st.just(timezone.utc)), TEXT)}
)
RAW = st.one_of(
    st.none(),
    TEXT,
    st.integers(),
    st.sampled_from([10**5000, -(10**5000), 2**63, float("nan"), float("inf"), -float("inf"), 0.1, -0.0, True, False]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(),
    st.datetimes(timezones=st.just(timezone(timedelta(hours=-5)))),
    st.dates(),
    st.lists(st.one_of(TEXT, st.integers(), st.none()), max_size=4),
    st.lists(EVENT, max_size=4),
    st.just(nested(3000)),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sampled_from(
        [np.int64(7), np.float32(2.5), np.float64("nan"), np.bool_(False), np.str_(" 12 "), np.datetime64("2026-10-01"), np.datetime64("NaT")]
    ),
    st.sampled_from([pd.NA, pd.NaT, pd.Timestamp("2026-10-20T10:00:00Z")]),
)
LEAD = st.dictionaries(st.sampled_from(list(SOURCES.values())), RAW, max_size=len(SOURCES))
AS_OF = st.one_of(
    st.datetimes(min_value=datetime(1, 4, 2), max_value=datetime(9999, 12, 31), timezones=st.just(timezone.utc)),
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(timezone.utc)),
)


@FUZZ
@given(LEAD, AS_OF)
def test_evaluate_never_raises_and_stage_agrees(lead: dict[str, Any], as_of: datetime) -> None:
    result = RULES.evaluate(lead, as_of=as_of)
    assert RULES.stage(lead, as_of=as_of) == result.stage
    data = result.to_dict()
    json.dumps(data, allow_nan=False)
    # to_dict() builds its parts without the pydantic models: they must be what the models dump
    assert data["criteria"] == [c.model_dump() for c in result.criteria]
    assert data["next"] == (None if result.next is None else result.next.model_dump())
    result.explain()
    result.summary()
    if result.issues:
        with pytest.raises(leadspec.LeadError):
            RULES.evaluate(lead, as_of=as_of, strict=True)
    else:
        assert RULES.evaluate(lead, as_of=as_of, strict=True).stage == result.stage


@FUZZ
@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(1, 6, 1), timezones=st.just(timezone.utc)), LEAD)
def test_as_of_at_the_start_of_time_is_refused_or_evaluated(as_of: datetime, lead: dict[str, Any]) -> None:
    try:
        result = RULES.evaluate(lead, as_of=as_of)
    except ValueError as error:
        assert as_of < datetime(1, 1, 1, tzinfo=timezone.utc) + timedelta(days=90)  # the longest window
        assert "too early" in str(error)
        with pytest.raises(ValueError):
            RULES.stage(lead, as_of=as_of)
    else:
        assert RULES.stage(lead, as_of=as_of) == result.stage


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return bool(type(a) is type(b) and a == b)


@FUZZ
@given(st.sampled_from(list(SOURCES)), RAW)
def test_item6_every_path_reads_a_raw_value_the_same_way(field: str, raw: Any) -> None:
    """evaluate()'s generated fast path == the reference interpreter == lead_model validation, for every type."""
    lead = {SOURCES[field]: raw}
    expected = reference.evaluate(RULES.plan, lead, "2026-11-01")
    value = expected.values[field]
    if field == "ev" and value is not None:  # the reference's (type, at, original) tuples, as results show events
        value = [{**original, "type": kind, "at": at} for kind, at, original in value]
    result = RULES.evaluate(lead, as_of="2026-11-01")
    assert _same(result.values[field], value)
    assert {i.field for i in result.issues if i.field is not None} == expected.bad
    try:
        model = RULES.lead_model.model_validate(lead)
    except Exception:  # noqa: BLE001 - pydantic's ValidationError: the value is unusable
        assert expected.bad, "lead_model refused a value the reference reads"
    else:
        assert not expected.bad, "lead_model accepted a value the reference refuses"
        dumped = model.model_dump(by_alias=True)[SOURCES[field]]
        if field == "l" and dumped is not None:  # the model's type is list[str]; evaluation's a tuple
            dumped = tuple(dumped)
        if field == "ev" and dumped is not None:
            dumped = [dict(event) for event in dumped]
        assert _same(dumped, value)


@FUZZ
@given(LEAD, AS_OF.filter(lambda moment: moment >= datetime(1, 4, 1, tzinfo=timezone.utc)))
def test_the_whole_result_agrees_with_the_reference_on_hostile_leads(lead: dict[str, Any], as_of: datetime) -> None:
    assert_agree(RULES, lead, as_of)
