"""Field coercion from CRM text (FORMAT.md section 3); bad values become issues."""

from __future__ import annotations

import json
from collections import ChainMap
from datetime import date, datetime, timedelta, timezone, tzinfo
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import leadspec
from conftest import rules_text

RULES = leadspec.loads(
    rules_text(
        """
        missing: ["", "N/A", "Select", "null"]
        fields:
          i: {type: integer, min: 0, max: 1000}
          n: {type: number}
          b: {type: boolean}
          e: {type: enum, values: [SaaS, fintech, other]}
          s: {type: string}
          d: {type: date}
          d2: {type: date, format: "%m/%d/%Y"}
          t: {type: datetime}
          t2: {type: datetime, format: "%d.%m.%Y %H:%M"}
          l: {type: list}
          ev: {type: events}
          nested: {type: string, source: company.country}
          spaced: {type: integer, source: "Total Time Spent on Website"}
          dflt: {type: boolean, default: false}
        stages: [{id: s, when: 'True'}]
        """
    )
)
AS_OF = "2026-11-01T00:00:00Z"


def values(lead: dict[str, Any]) -> tuple[dict[str, Any], list[leadspec.Issue]]:
    result = RULES.evaluate(lead, as_of=AS_OF)
    return result.values, result.issues


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("i", "250", 250),
        ("i", "250.0", 250),
        ("i", 250.0, 250),
        ("i", " 42 ", 42),
        ("n", "1200.5", 1200.5),
        ("n", 3, 3),
        ("b", "Yes", True),
        ("b", "n", False),
        ("b", "1", True),
        ("b", "FALSE", False),
        ("b", 0, False),
        ("e", "saas", "SaaS"),
        ("e", " FINTECH ", "fintech"),
        ("s", "  text  ", "text"),
        ("s", 12, "12"),
        ("d", "2026-10-05", date(2026, 10, 5)),
        ("d", "2026-10-05T23:00:00Z", date(2026, 10, 5)),
        ("d2", "10/05/2026", date(2026, 10, 5)),
        ("t", "2026-10-05T10:00:00Z", datetime(2026, 10, 5, 10, tzinfo=timezone.utc)),
        ("t", "2026-10-05T10:00:00", datetime(2026, 10, 5, 10, tzinfo=timezone.utc)),  # naive is UTC
        ("t", "2026-10-05T12:00:00+02:00", datetime(2026, 10, 5, 10, tzinfo=timezone.utc)),
        ("t2", "05.10.2026 10:00", datetime(2026, 10, 5, 10, tzinfo=timezone.utc)),
        ("l", "a; b ;;c", ("a", "b", "c")),  # a list field's value is a tuple: it cannot be changed
        ("l", '["a", "b"]', ("a", "b")),
        ("l", ["a", 1], ("a", "1")),
    ],
)
def test_text_is_coerced(field: str, raw: Any, expected: Any) -> None:
    got, issues = values({field if field not in ("nested",) else field: raw})
    assert issues == []
    assert got[field] == expected
    assert type(got[field]) is type(expected)


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ("i", "lots", "not an integer"),
        ("i", "250.5", "not an integer"),
        ("i", "1_000", "not an integer"),
        ("i", True, "not an integer"),
        ("i", "-1", "below the minimum 0"),
        ("i", 1001, "above the maximum 1000"),
        ("n", "1,200.5", "not a number"),
        ("n", "nan", "not a finite number"),
        ("b", "maybe", "not a boolean"),
        ("e", "crypto", "not one of SaaS, fintech, other"),
        ("d", "yesterday", "not a date"),
        ("d2", "13/05/2026", "not a date in the format '%m/%d/%Y' or ISO 8601 (2026-11-01)"),
        ("t", "soon", "not a datetime"),
        ("l", "[broken", "not a list"),
        ("ev", "not json", "not a JSON list of events"),
        ("ev", [{"type": "x"}], "event 0: `at` is not a datetime"),
        ("ev", [{"at": "2026-01-01"}], "event 0 has no type"),
        ("s", {"a": 1}, "not text"),
    ],
)
def test_bad_value_becomes_an_issue_and_the_field_counts_as_missing(field: str, raw: Any, message: str) -> None:
    got, issues = values({field: raw})
    assert got[field] is None
    assert len(issues) == 1
    assert issues[0].field == field
    assert message in issues[0].message
    assert issues[0].value == (raw if not isinstance(raw, dict) else raw)


@pytest.mark.parametrize("marker", ["", "  ", "N/A", "Select", " Select ", "null"])
def test_missing_markers_mean_no_value(marker: str) -> None:
    got, issues = values({"i": marker, "e": marker, "s": marker, "b": marker, "dflt": marker})
    assert issues == []
    assert got["i"] is None and got["e"] is None and got["s"] is None and got["b"] is None
    assert got["dflt"] is False  # the default applies when the input has no value


def test_sources_keys_with_spaces_and_dotted_paths() -> None:
    got, _ = values({"Total Time Spent on Website": "674", "company": {"country": "DE"}})
    assert got["spaced"] == 674 and got["nested"] == "DE"
    got, _ = values({"company.country": "FR"})  # a flat CSV column named like the path wins
    assert got["nested"] == "FR"
    got, _ = values({"company": "not a mapping"})
    assert got["nested"] is None


def test_events_from_a_json_string_keep_extra_keys() -> None:
    got, issues = values({"ev": '[{"type": "demo", "at": "2026-10-01T00:00:00Z", "source": "web"}]'})
    assert issues == []
    assert got["ev"] == [{"type": "demo", "at": datetime(2026, 10, 1, tzinfo=timezone.utc), "source": "web"}]


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 10, 1, 8, 30, tzinfo=timezone.utc),  # aware UTC: taken as it is
        datetime(2026, 10, 1, 8, 30),  # naive: UTC
        datetime(2026, 10, 1, 10, 30, tzinfo=timezone(timedelta(hours=2))),  # another offset: converted
    ],
)
def test_events_with_datetimes_read_as_the_same_events_given_as_text(at: datetime) -> None:
    second = [{"type": "call", "at": "2026-10-02T00:00:00Z"}, {"type": "call", "at": datetime(2026, 10, 2, tzinfo=timezone.utc)}]
    for later in second:  # the second event as text or as a datetime: the lists are read alike
        typed, issues = values({"ev": [{"type": "demo", "at": at}, later]})
        assert issues == []
        as_text, _ = values({"ev": [{"type": "demo", "at": "2026-10-01T08:30:00Z"}, {"type": "call", "at": "2026-10-02T00:00:00Z"}]})
        assert typed["ev"] == as_text["ev"]
        assert all(e["at"].tzinfo is timezone.utc for e in typed["ev"])


def test_strict_mode_rejects_a_lead_with_a_bad_value() -> None:
    with pytest.raises(leadspec.LeadError) as info:
        RULES.evaluate({"i": "lots", "b": "maybe"}, as_of=AS_OF, strict=True)
    assert [i["field"] for i in info.value.issues] == ["i", "b"]
    assert "lead rejected: i: not an integer" in str(info.value)
    assert RULES.evaluate({"i": "7"}, as_of=AS_OF, strict=True).values["i"] == 7


def test_evaluate_many_strict_names_the_rejected_lead() -> None:
    with pytest.raises(leadspec.LeadError) as info:
        list(RULES.evaluate_many([{"i": "1"}, {"i": "2"}, {"i": "x"}], as_of=AS_OF, strict=True))
    assert info.value.index == 2


def test_a_lead_that_is_not_a_mapping_is_a_clear_error() -> None:
    with pytest.raises(leadspec.LeadError, match="a lead is a mapping"):
        RULES.evaluate(["not", "a", "lead"])  # type: ignore[arg-type]
    with pytest.raises(leadspec.LeadError):
        RULES.stage("text")  # type: ignore[arg-type]


@given(st.integers(0, 1000))
def test_integer_text_round_trip(n: int) -> None:
    for raw in (n, str(n), f"{n}.0", float(n), f" {n} "):
        got, issues = values({"i": raw})
        assert issues == [] and got["i"] == n


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_date_round_trip(d: date) -> None:
    for raw in (d.isoformat(), d.strftime("%m/%d/%Y")):
        field = "d" if "-" in raw else "d2"
        got, issues = values({field: raw})
        assert issues == [] and got[field] == d


@given(st.datetimes(timezones=st.just(timezone.utc)))
def test_datetime_round_trip(t: datetime) -> None:
    got, issues = values({"t": t.isoformat().replace("+00:00", "Z")})
    assert issues == [] and got["t"] == t


@given(st.sampled_from(["SaaS", "fintech", "other"]), st.sampled_from([str.lower, str.upper, str.title, lambda s: f" {s} "]))
def test_enum_normalised_to_declared_spelling(value: str, change: Any) -> None:
    got, issues = values({"e": change(value)})
    assert issues == [] and got["e"] == value


def test_lead_model_validates_input_like_the_evaluator() -> None:
    model = RULES.lead_model
    lead = model.model_validate({"i": "250", "e": "saas", "company": {"country": " DE "}, "Total Time Spent on Website": "12"})
    dumped = lead.model_dump(by_alias=True, exclude_none=True)
    assert dumped["i"] == 250 and dumped["e"] == "SaaS" and dumped["company"] == {"country": "DE"}
    assert dumped["Total Time Spent on Website"] == 12
    with pytest.raises(Exception) as info:
        model.model_validate({"i": "lots"})
    assert "not an integer" in str(info.value)


def test_input_schema_documents_what_to_send() -> None:
    schema = RULES.input_schema()
    props = schema["properties"]
    assert "Total Time Spent on Website" in props
    assert "company" in props
    assert props["e"]["enum"] == ["SaaS", "fintech", "other"]
    assert schema["title"] == "TLead"


def _one_field(field: str, missing: str = '[""]') -> leadspec.Ruleset:
    return leadspec.loads(rules_text(f"missing: {missing}\nfields:\n  x: {field}\nstages: [{{id: s, when: 'has(x)'}}]\n"))


def test_an_enum_text_that_differs_from_a_marker_only_in_case_is_a_value() -> None:
    rules = _one_field("{type: enum, values: [Hot, Cold]}", '["", "hot"]')
    for lead, expected in (({"x": "HOT"}, "Hot"), ({"x": " Hot "}, "Hot"), ({"x": "hot"}, None)):
        result = rules.evaluate(lead, as_of=AS_OF)
        assert (result.values["x"], result.issues) == (expected, []), lead
        assert rules.lead_model.model_validate(lead).model_dump()["f0"] == expected


def test_enum_values_are_read_trimmed_and_the_exact_spelling_wins() -> None:
    spaced = _one_field('{type: enum, values: [" Hot ", Cold]}')
    assert spaced.evaluate({"x": "hot"}, as_of=AS_OF).values["x"] == " Hot "
    assert spaced.evaluate({"x": " Hot "}, as_of=AS_OF).values["x"] == " Hot "
    cased = _one_field("{type: enum, values: [Saas, saas]}")
    assert cased.evaluate({"x": "saas"}, as_of=AS_OF).values["x"] == "saas"
    assert cased.evaluate({"x": "Saas"}, as_of=AS_OF).values["x"] == "Saas"


def test_lead_model_gives_the_value_evaluation_uses() -> None:
    for field, raw in (("{type: number}", 3), ("{type: list}", "a; b"), ("{type: integer, min: 0.5, max: 10.5}", "10")):
        rules = _one_field(field)
        value = rules.evaluate({"x": raw}, as_of=AS_OF).values["x"]
        checked = rules.lead_model.model_validate({"x": raw}).model_dump()["f0"]
        assert (checked, type(checked)) == (value, type(value)), field
    bounded = _one_field("{type: integer, min: 0.5, max: 10.5}")
    assert bounded.input_schema()["properties"]["x"]["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": 10}
    with pytest.raises(Exception, match="above the maximum 10.5"):
        bounded.lead_model.model_validate({"x": 11})
    events = _one_field('{type: events, default: [{type: demo, at: "2026-10-01T00:00:00Z"}]}')
    expected = [{"type": "demo", "at": datetime(2026, 10, 1, tzinfo=timezone.utc)}]
    assert events.evaluate({}, as_of=AS_OF).values["x"] == expected
    assert events.lead_model.model_validate({}).model_dump()["f0"] == expected
    assert events.lead_model.model_validate({"x": None}).model_dump()["f0"] == expected


def test_list_items_that_are_nan_are_dropped_and_booleans_are_bad() -> None:
    """A float NaN item is no item (as numpy's and pandas' are; it was the text 'nan'); a boolean item is not text (it was 'True')."""
    from leadspec import reference

    rules = leadspec.loads("leadspec: 1\nname: t\nfields: {tags: {type: list}}\nstages: [{id: s, when: \"len(tags) >= 1\"}]\n")
    for raw, value, bad in (([float("nan"), "vp"], ("vp",), False), ([True, "vp"], None, True), ([1, " x "], ("1", "x"), False)):
        result = rules.evaluate({"tags": raw}, as_of="2026-11-01")
        assert result.values["tags"] == value and bool(result.issues) is bad, raw
        expected = reference.evaluate(rules.plan, {"tags": raw}, "2026-11-01")
        assert expected.values["tags"] == value and bool(expected.bad) is bad, raw


def test_an_event_with_an_empty_type_makes_the_events_field_bad_for_the_reference_too() -> None:
    from leadspec import reference

    rules = leadspec.loads("leadspec: 1\nname: t\nfields: {ev: {type: events}}\nstages: [{id: s, when: \"count('demo') >= 1\"}]\n")
    lead = {"ev": [{"type": "", "at": "2026-10-01T00:00:00Z"}]}
    assert rules.evaluate(lead, as_of="2026-11-01").issues[0].message == "event 0 has no type"
    assert reference.evaluate(rules.plan, lead, "2026-11-01").bad == {"ev"}


def test_a_default_from_the_plan_gives_plain_values() -> None:
    """Found by review: an events default's nested objects came out as the plan's frozen mappings and tuples."""
    rules = leadspec.loads(
        "leadspec: 1\nname: t\nfields:\n  ev:\n    type: events\n    default: [{type: demo, at: '2026-01-01T00:00:00Z', extra: {k: [1, 2]}}]\n"
        "stages: [{id: s, when: \"count('demo') >= 1\"}]\n"
    )
    event = rules.evaluate({}, as_of="2026-11-01").values["ev"][0]
    assert type(event["extra"]) is dict and event["extra"]["k"] == [1, 2]
    assert rules.evaluate({"ev": [{"type": "demo", "at": "2026-01-01T00:00:00Z", "extra": {"k": [1, 2]}}]}, as_of="2026-11-01").values["ev"][0] == event


@pytest.mark.parametrize("text", ["2026-10-02+05:00", "2026-10-02x05:00", "2026-10-02_05:00:00Z"])
def test_a_date_and_time_not_separated_by_t_is_a_bad_value(text: str) -> None:
    """Python reads any character between date and time: 2026-10-02+05:00 became 5 a.m. (the + as the separator), silently."""
    from leadspec import reference

    rules = leadspec.loads("leadspec: 1\nname: t\nfields: {d: {type: datetime}, dd: {type: date}, ev: {type: events}}\nstages: [{id: s, when: \"has(d)\"}]\n")
    lead = {"d": text, "dd": text, "ev": [{"type": "a", "at": text}]}
    result = rules.evaluate(lead, as_of="2026-11-01")
    assert result.values == {"d": None, "dd": None, "ev": None}
    assert {i.field for i in result.issues} == {"d", "dd", "ev"}
    assert reference.evaluate(rules.plan, lead, "2026-11-01").bad == {"d", "dd", "ev"}
    for good in ("2026-10-02T05:00:00Z", "2026-10-02 05:00", "2026-10-02t05:00z"):
        assert rules.evaluate({"d": good}, as_of="2026-11-01").values["d"] is not None, good


def test_a_str_subclass_is_read_as_the_plain_text_it_holds() -> None:
    """Found by review: a subclass of str with its own strip() kept its class through reading; the explanation then
    showed it with its own __format__ (the code written for a text field takes a text value as it is), not as text."""
    from leadspec import reference

    class Shouted(str):
        def strip(self, chars: str | None = None) -> str:
            return self.upper()

        def __str__(self) -> str:
            return "SHOUTED"

        def __format__(self, spec: str) -> str:
            return "FORMATTED"

    rules = leadspec.loads(
        "leadspec: 1\nname: t\nmissing: ['', 'none']\nfields:\n  s: {type: string}\n  e: {type: enum, values: [cto, ceo]}\n"
        "stages: [{id: s, when: \"s == 'cto'\"}, {id: t, when: \"e == 'cto'\"}]\n"
    )
    lead = {"s": Shouted(" cto "), "e": Shouted(" CTO ")}
    result = rules.evaluate(lead, as_of=AS_OF)
    assert result.values == {"s": "cto", "e": "cto"} and type(result.values["s"]) is str
    assert result.stage == rules.stage(lead, as_of=AS_OF) == "t"
    assert [row["because"] for row in result.to_dict()["criteria"]] == ["s is cto (s equal to 'cto')", "e is cto (e equal to 'cto')"]
    assert [result._criterion_slow(c)["because"] for c in result._plan.criteria] == [c.because for c in result.criteria]
    assert rules.evaluate({"s": Shouted(" none ")}, as_of=AS_OF).values["s"] is None  # a missing marker, as text
    assert reference.evaluate(rules.plan, lead, AS_OF).values == {"s": "cto", "e": "cto"}
    assert rules.lead_model.model_validate(lead).model_dump(by_alias=True)["s"] == "cto"


def test_an_event_type_given_as_a_str_subclass_is_read_as_its_text() -> None:
    """Found while looking at the events' reading: an event whose type was a subclass of str (numpy's ``str_``, from
    a DataFrame's values) made evaluate() and stage() raise AssertionError('unreachable'): the hot loop stopped at it,
    and the look for the precise problem found none. It is read as the text it holds, as any other value is."""
    from leadspec import reference

    class Shouted(str):
        def __eq__(self, other: object) -> bool:
            return False

        def __hash__(self) -> int:
            return 0

    rules = leadspec.loads(
        "leadspec: 1\nname: t\nfields:\n  ev: {type: events}\n"
        "stages: [{id: s, when: \"count('demo', within='30d') >= 1\"}]\n"
    )
    plain_lead = {"ev": [{"type": "demo", "at": "2026-10-30T00:00:00Z"}, {"type": "web", "at": "2026-10-29T00:00:00Z"}]}
    lead = {"ev": [{"type": Shouted("demo"), "at": "2026-10-30T00:00:00Z"}, {"type": Shouted("web"), "at": "2026-10-29T00:00:00Z"}]}
    result = rules.evaluate(lead, as_of=AS_OF)
    assert result.stage == rules.stage(lead, as_of=AS_OF) == rules.evaluate(plain_lead, as_of=AS_OF).stage == "s"
    assert not result.issues
    assert [type(e["type"]) for e in result.values["ev"]] == [str, str]
    assert reference.evaluate(rules.plan, lead, AS_OF).stage == "s"
    assert "demo" in result.explain()
    empty = {"ev": [{"type": Shouted(""), "at": "2026-10-30T00:00:00Z"}]}  # an empty type is still no type
    assert [i.message for i in rules.evaluate(empty, as_of=AS_OF).issues] == ["event 0 has no type"]


class _BadTZ(tzinfo):
    def utcoffset(self, moment: Any) -> Any:
        raise RuntimeError("a tzinfo that fails")

    def dst(self, moment: Any) -> Any:
        return None


class _ItemsDiffer(dict):  # type: ignore[type-arg]
    def __getitem__(self, key: Any) -> Any:
        value = dict.__getitem__(self, key)
        return [value] if key == "type" else value


class _NoItems(dict):  # type: ignore[type-arg]
    def __getitem__(self, key: Any) -> Any:
        raise RuntimeError("no []")


class _NoCompare(float):
    def __ne__(self, other: object) -> bool:
        raise RuntimeError("no !=")

    __hash__ = float.__hash__


class _NoInt(int):
    def __int__(self) -> int:
        raise ValueError("no int()")


class _NoIter(list):  # type: ignore[type-arg]
    def __iter__(self) -> Any:
        raise RuntimeError("no iter()")


_HOSTILE_RULES = (
    "leadspec: 1\nname: hostile\nfields:\n  n: {type: integer}\n  s: {type: string}\n  d: {type: date}\n"
    "  ev: {type: events}\nstages: [{id: s, when: \"n >= 2 or count('demo') >= 1\"}]\n"
)


@pytest.mark.parametrize(
    "lead, field",
    [
        ({"n": Fraction(10**400)}, "n"),  # float() overflows
        ({"d": datetime(2026, 10, 1, tzinfo=_BadTZ())}, "d"),
        ({"ev": [{"type": "demo", "at": datetime(2026, 10, 1, tzinfo=_BadTZ())}]}, "ev"),
        ({"ev": [_ItemsDiffer(type="demo", at="2026-10-30T00:00:00Z")]}, "ev"),  # was AssertionError('unreachable')
        ({"ev": [_NoItems(type="demo", at="2026-10-30T00:00:00Z")]}, "ev"),
        ({"n": _NoCompare(3.0)}, "n"),
        ({"n": _NoInt(3)}, "n"),
        ({"n": _NoIter([1])}, "n"),  # the issue's value is shown without iterating it
    ],
    ids=["huge-fraction", "tzinfo-raises", "event-tzinfo-raises", "event-items-differ", "event-items-raise", "ne-raises", "int-raises", "iter-raises"],
)
def test_a_value_whose_own_methods_raise_is_an_issue_on_the_lead_not_a_crash(lead: dict[str, Any], field: str) -> None:
    """Found by an adversarial review: these raised out of evaluate() and stage() (RuntimeError, OverflowError,
    AssertionError): the reading caught only the exceptions its converters foresaw."""
    rules = leadspec.loads(_HOSTILE_RULES)
    result = rules.evaluate(lead, as_of=AS_OF)
    assert result.stage == rules.stage(lead, as_of=AS_OF) == "lead"
    assert [i.field for i in result.issues] == [field]
    result.summary(), result.explain(), json.dumps(result.to_dict())


def test_numbers_of_other_types_read_alike_by_the_engine_and_the_reference() -> None:
    """Found by an adversarial review: numpy's longdouble recursed forever in plain() (its .item() is a longdouble);
    the reference kept a Fraction, an int or float subclass as it was (a bad integer; text by the subclass's repr),
    and read no numpy datetime64 as an event's `at`, where the engine converts them all."""
    import numpy as np

    from leadspec import reference

    class Counted(int):
        def __repr__(self) -> str:
            return "Counted!"

    class Measured(float):
        def __repr__(self) -> str:
            return "Measured!"

    rules = leadspec.loads(_HOSTILE_RULES)
    leads: list[dict[str, Any]] = [
        {"n": np.longdouble(250)},
        {"s": np.clongdouble(1)},
        {"n": Fraction(3)},
        {"s": Counted(7)},
        {"s": Measured(2.5)},
        {"ev": [{"type": "demo", "at": np.datetime64("2026-10-30")}]},
    ]
    for lead in leads:
        result, outcome = rules.evaluate(lead, as_of=AS_OF), reference.evaluate(rules.plan, lead, AS_OF)
        assert result.stage == rules.stage(lead, as_of=AS_OF) == outcome.stage, lead
        assert {k: v for k, v in result.values.items() if k != "ev"} == {k: v for k, v in outcome.values.items() if k != "ev"}, lead
    assert rules.evaluate({"s": Counted(7)}, as_of=AS_OF).values["s"] == reference.evaluate(rules.plan, {"s": Counted(7)}, AS_OF).values["s"] == "7"
    assert rules.evaluate({"n": np.longdouble(250)}, as_of=AS_OF).values["n"] == 250


def test_a_numpy_datetime64_is_read_by_its_moment_whatever_its_unit() -> None:
    """Found by an adversarial review: a datetime64 beyond the years 1-9999 became a number in the engine (an
    integer field read 568971820800000000); the reference read any unit as nanoseconds (picoseconds moved the date by
    two years) and raised on an array of several values."""
    import numpy as np

    from leadspec import reference

    rules = leadspec.loads(_HOSTILE_RULES)
    for lead, field, expected in [
        ({"n": np.datetime64("20000-01-01")}, "n", None),
        ({"s": np.datetime64("-0100-01-01")}, "s", None),
        ({"d": np.datetime64("20000-01-01")}, "d", None),
        ({"d": np.datetime64("1970-01-02", "ps")}, "d", date(1970, 1, 2)),
        ({"d": np.datetime64("2026-10-02T05:00", "m")}, "d", date(2026, 10, 2)),
        ({"n": np.array([1, 2])}, "n", None),
    ]:
        result, outcome = rules.evaluate(lead, as_of=AS_OF), reference.evaluate(rules.plan, lead, AS_OF)
        assert result.values[field] == outcome.values[field] == expected, lead
        assert result.stage == outcome.stage == rules.stage(lead, as_of=AS_OF), lead
        assert ({i.field for i in result.issues} == {field}) is (expected is None), lead


@pytest.mark.parametrize(
    "lead",
    [
        {"company": MappingProxyType({"employees": 250})},
        {"company": ChainMap({"employees": 250})},
        MappingProxyType({"company": {"employees": 250}}),
    ],
    ids=["mapping-proxy", "chain-map", "lead-mapping-proxy"],
)
def test_a_dotted_source_reads_through_any_mapping(lead: Any) -> None:
    """Found by an adversarial review: the engine walked a dotted `source:` only through dicts, so a value inside
    another Mapping (a MappingProxyType, a ChainMap, a driver's row) was silently absent; the reference read it."""
    from leadspec import reference

    rules = leadspec.loads("leadspec: 1\nname: n\nfields:\n  employees: {type: integer, source: company.employees}\nstages: [{id: icp, when: employees >= 50}]\n")
    assert rules.evaluate(lead, as_of=AS_OF).values == {"employees": 250}
    assert rules.evaluate(lead, as_of=AS_OF).stage == rules.stage(lead, as_of=AS_OF) == reference.evaluate(rules.plan, lead, AS_OF).stage == "icp"


def test_an_as_of_beyond_utcs_moments_is_a_value_error() -> None:
    """Found by an adversarial review: datetime.max an hour behind UTC raised OverflowError from astimezone()."""
    rules = leadspec.loads(_HOSTILE_RULES)
    late = datetime.max.replace(tzinfo=timezone(timedelta(hours=-1)))
    with pytest.raises(ValueError, match="beyond the moments a datetime holds in UTC"):
        rules.evaluate({}, as_of=late)
    with pytest.raises(ValueError, match="beyond"):
        rules.stage({}, as_of=late)


def test_a_decimal_is_the_float_nearest_to_it_for_the_engine_the_reference_and_the_lead_model() -> None:
    """A database driver gives NUMERIC columns as decimal.Decimal (psycopg, the warehouses' connectors); it was
    refused as 'not a number', where the SQL engines read a DECIMAL column as the nearest DOUBLE."""
    from decimal import Decimal

    from leadspec import reference

    rules = leadspec.loads(
        "leadspec: 1\nname: t\nfields:\n  n: {type: number, min: 0}\n  i: {type: integer}\n  s: {type: string}\n  l: {type: list}\n"
        "stages: [{id: s, when: \"n > 1 and i > 1\"}]\n"
    )
    cases = [
        ({"n": Decimal("1.5"), "i": Decimal("3"), "s": Decimal("2.50"), "l": [Decimal("0.1"), "x"]}, {"n": 1.5, "i": 3, "s": "2.5", "l": ("0.1", "x")}, []),
        ({"n": Decimal("NaN"), "i": Decimal("sNaN")}, {"n": None, "i": None, "s": None, "l": None}, []),  # NaN: no value, as a float NaN
        ({"n": Decimal("-Infinity"), "i": Decimal("3.5")}, {"n": None, "i": None, "s": None, "l": None}, [("n", "-inf", "not a finite number"), ("i", 3.5, "not an integer")]),
        ({"n": Decimal("-2")}, {"n": None, "i": None, "s": None, "l": None}, [("n", -2.0, "-2.0 is below the minimum 0")]),
    ]
    for lead, read, issues in cases:
        result = rules.evaluate(lead, as_of=AS_OF)
        assert result.values == read, lead
        assert sorted((i.field, i.value, i.message) for i in result.issues) == sorted(issues), lead
        expected = reference.evaluate(rules.plan, lead, AS_OF)
        assert expected.values == read and expected.bad == {field for field, _value, _message in issues}, lead
    assert rules.lead_model.model_validate({"n": Decimal("1.5"), "i": Decimal("3")}).model_dump(by_alias=True)["n"] == 1.5
    assert type(rules.evaluate({"n": Decimal("2")}, as_of=AS_OF).values["n"]) is float  # 2.0, as SQL's DOUBLE: the reasons say 2.0
    for engine_value in (rules.evaluate({"s": Decimal("-0")}, as_of=AS_OF).values["s"], reference.evaluate(rules.plan, {"s": Decimal("-0")}, AS_OF).values["s"]):
        assert engine_value == "0.0"  # no DECIMAL column holds a negative zero (found by review: it was '-0.0')
