"""The generated renderers of criteria (``leadspec._render``) against the slow renderer they replace, which walks
the plan for every lead (``Result._criterion_slow``, kept as the oracle): the same outcome, explanation and values
on random rule files and leads, on the real export, and for each way a text is chosen.

Bounded for the suite; ``LEADSPEC_FUZZ=1`` runs many more examples.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

import leadspec
from _rulegen import AS_OFS, leads, loaded_rule_file
from conftest import rules_text

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT.parent / "shared" / "data" / "x-education-leads.csv"
AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
EXAMPLES = 2000 if os.environ.get("LEADSPEC_FUZZ") else 150
LEADS_PER_FILE = 4


def assert_rendered_alike(result: leadspec.Result) -> None:
    """Every criterion's row from its generated renderer equals the slow renderer's, and so do the public parts."""
    slow = [result._criterion_slow(crit) for crit in result._plan.criteria]
    for crit, row in zip(result._plan.criteria, slow):
        assert result._criterion(crit) == row, crit.id
    assert result._rows() == slow  # the whole rule file's rows from one generated function
    assert result.summary() == result._summary_slow()  # the generated summary() (when the rule file has one) ...
    assert result._summary_plain() == result._summary_slow()  # ... and the one from the outline's tables
    assert result.explain() == result._explain_slow()
    data = result.to_dict()  # its parts read from the per-ruleset tables, not from the properties that walk the plan
    # the generated to_dict() gives what the plain one builds from the outline's tables: the same keys in the same
    # order, the same JSON (1 and 1.0, True and 1 told apart)
    plain = result._to_dict_plain()
    assert json.dumps(data) == json.dumps(plain, default=str) and list(data) == list(plain)
    assert (data["stage"], data["label"], data["owner"], data["sla"], data["description"]) == (result.stage, result.label, result.owner, result.sla, result.description)
    assert data["disqualified"] is result.disqualified and data["stages"] == result.stages and data["flags"] == result.flags
    plan, outcomes = result._plan, result._raw[1]
    reached = result._reached()  # next and the scores' rules, found here by walking the plan
    if reached == len(plan.stages):
        assert data["next"] is None
    else:
        blocked = [c.id for c in plan.disqualify if outcomes[c.index] is True] + [c.id for c in result._blockers(plan.stages[reached].condition)]
        assert data["next"] == {"stage": plan.stages[reached].id, "blocked_by": blocked}
    for score, total in zip(plan.scores, result._raw[3]):
        got = data["scores"][score.name]
        rules = [{"id": r.id.split(".", 1)[1], "points": r.points if outcomes[r.index] else 0, "outcome": "pass" if outcomes[r.index] else "unknown"} for r in score.rules if outcomes[r.index] is not False]
        assert got["total"] == total and [c for c in got["contributions"] if "outcome" in c] == rules
    assert data["as_of"] == result.as_of.isoformat().replace("+00:00", "Z")
    # missing: each field without a value that some unknown criterion reads, in declaration order (found here from
    # each criterion's reads, as the SQL engines find it)
    table, names = result._rs._missing_table()
    absent = {i for index, fields in table if outcomes[index] is None for i in fields if result._raw[0][i] is None}
    assert data["missing"] == result.missing == [names[i] for i in sorted(absent)]
    assert leadspec.ResultModel.model_validate(data).model_dump(exclude_none=False)["scores"] == {k: v.model_dump() for k, v in result.scores.items()}
    assert_json_alike(result)


def assert_json_alike(result: leadspec.Result) -> None:
    """to_json() (written by its generated function) is the JSON the dict from the outline's tables dumps to, NaN and
    infinities as null; the CSV cell qualify --details writes is that text as csv.writer quotes it."""
    from leadspec.cli._io import dumps

    dumped = json.dumps(_finite(result._to_dict_plain()), ensure_ascii=False, allow_nan=False)
    assert result.to_json() == dumped == dumps(result.to_dict())  # (the command line's JSON writer)
    cell = io.StringIO()
    csv.writer(cell, lineterminator="").writerow([dumped])
    assert result._csv_json() == cell.getvalue()


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(st.data())
def test_generated_renderers_agree_with_the_slow_renderer_on_random_rules_and_leads(data: st.DataObject) -> None:
    rule_file, rules = loaded_rule_file(data, templates=True)  # with because templates of drawn expressions
    for _ in range(LEADS_PER_FILE):
        lead = data.draw(leads(rule_file), label="lead")
        as_of = data.draw(AS_OFS, label="as_of")
        assert_rendered_alike(rules.evaluate(lead, as_of=as_of))


@pytest.mark.skipif(not EXPORT.exists(), reason="the shared data is not beside the checkout")
def test_generated_renderers_agree_on_every_lead_of_the_export() -> None:
    rules = leadspec.load(ROOT / "rules" / "x-education.yaml")
    with open(EXPORT, encoding="utf-8", newline="") as handle:
        for lead in csv.DictReader(handle):
            assert_rendered_alike(rules.evaluate(lead, as_of=AS_OF))


RULES = rules_text(
    """
    fields:
      employees: {type: integer}
      country: {type: string}
      plan: {type: enum, values: [free, pro]}
      signed: {type: date}
    flags:
      big: {when: "employees >= 100", missing: fail}
    disqualify:
      - id: student
        when: "plan == 'free' and employees < 2"
    stages:
      - id: icp
        label: ICP fit
        all:
          - {id: size, when: "employees >= 50", because: "{employees} people", missing: pass}
          - {id: market, when: "country in ['US', 'UK']", missing: fail}
          - {id: flagged, when: "big or country == 'US'"}
          - {id: recent, when: "days_since(signed) < 30", because: "signed {days_since(signed)} days ago ({signed}, big: {big})"}
          - {id: constant, when: "1 < 2", because: "always ({1 + 1} is {'two'})"}
          - {id: plain, when: "country != 'DE'", because: "not in Germany"}
          - {id: either, when: "country == 'US' or plan == 'pro'", because: "{plan} plan"}
    """
)


@pytest.mark.parametrize(
    "lead",
    [
        {"employees": 120, "country": "US", "plan": "pro", "signed": "2026-10-20"},  # passes, a because template
        {"employees": 10, "country": "FR", "plan": "pro", "signed": "2026-01-01"},  # fails
        {"country": "US"},  # missing: the size's policy says pass, the market's value is there
        {"employees": "many", "country": None, "plan": "gold"},  # bad values: issues, texts of the missing
        {"employees": 1, "plan": "free"},  # disqualified
        {},  # every policy, unknown flags
    ],
)
def test_each_way_a_text_is_chosen_agrees(lead: dict[str, Any]) -> None:
    rules = leadspec.loads(RULES)
    result = rules.evaluate(lead, as_of=AS_OF)
    assert_rendered_alike(result)
    result.to_dict()  # (and renders through them)


def test_a_because_template_of_names_flags_calls_and_constants_is_filled_or_left() -> None:
    rules = leadspec.loads(RULES)
    filled = rules.evaluate({"employees": 120, "country": "US", "plan": "pro", "signed": "2026-10-20"}, as_of=AS_OF)
    texts = {c.id: c.because for c in filled.criteria}
    assert texts["icp.recent"] == "signed 12 days ago (2026-10-20, big: yes)"
    assert texts["icp.constant"] == "always (2 is two)"
    assert texts["icp.plain"] == "not in Germany"
    assert texts["icp.size"] == "120 people"
    assert_rendered_alike(filled)
    # a value of the template missing: the generated text instead
    left = rules.evaluate({"employees": 120, "country": "US", "plan": "pro"}, as_of=AS_OF)
    assert {c.id: c.because for c in left.criteria}["icp.recent"] == "signed is missing"
    passed = rules.evaluate({"employees": 120, "country": "US"}, as_of=AS_OF)  # passes; the template's plan is missing
    either = next(c for c in passed.criteria if c.id == "icp.either")
    assert (either.outcome, either.because) == ("pass", "country is US, plan is missing (country equal to 'US' or plan equal to 'pro')")
    assert_rendered_alike(passed)
    assert_rendered_alike(left)


@pytest.mark.parametrize("template", ["{employees} " * 1500, "{employees}" * 3000])
def test_a_very_long_because_template_is_rendered(template: str) -> None:
    # Found by review: the pieces were joined with +, and Python's compiler refuses a chain of ~3,000 (RecursionError at
    # the first explanation, for every lead). The loader sets no length limit on because.
    rules = leadspec.loads(rules_text(f"""
        fields:
          employees: {{type: integer}}
        stages:
          - id: s
            when: employees > 0
            because: "{template}"
        """))
    result = rules.evaluate({"employees": 1}, as_of=AS_OF)
    assert result.to_dict()["criteria"][0]["because"] == template.replace("{employees}", "1")
    assert_rendered_alike(result)


def test_the_rows_come_from_the_renderers_one_by_one_when_a_rows_function_does_not_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    from leadspec import _render

    compiled = _render._compiled
    monkeypatch.setattr(_render, "_compiled", lambda ruleset, src, source, name, what: None if what.startswith("rows") else compiled(ruleset, src, source, name, what))
    rules = leadspec.loads(RULES)
    result = rules.evaluate({"employees": 120, "country": "US", "plan": "pro", "signed": "2026-10-20"}, as_of=AS_OF)
    assert result.to_dict()["criteria"] == [result._criterion_slow(c) for c in result._plan.criteria]


def test_a_rule_file_of_more_criteria_than_one_function_holds_gives_every_row_in_order() -> None:
    from leadspec._render import ROWS_PER_FUNCTION

    n = ROWS_PER_FUNCTION * 2 + 3
    items = "\n".join(f"              - {{id: c{i}, when: \"employees > {i}\", because: \"{{employees}} over {i}\"}}" for i in range(n))
    rules = leadspec.loads(rules_text(f"""
        fields:
          employees: {{type: integer}}
        stages:
          - id: s
            all:
{items}
        """))
    result = rules.evaluate({"employees": 60}, as_of=AS_OF)
    rows = result.to_dict()["criteria"]
    assert [r["id"] for r in rows] == [f"s.c{i}" for i in range(n)]
    assert rows[0]["because"] == "60 over 0" and rows[-1]["because"] == f"employees is 60, needs employees above {n - 1:,}"
    assert_rendered_alike(result)


def test_to_dict_is_built_by_the_outline_when_its_function_would_be_too_long_or_does_not_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    from leadspec import _render

    lead = {"employees": 120, "country": "US", "plan": "pro", "signed": "2026-10-20"}
    want = leadspec.loads(RULES).evaluate(lead, as_of=AS_OF).to_dict()
    assert leadspec.loads(RULES)._dict_renderer() is not None  # (a rule file this small gets one)
    monkeypatch.setattr(_render, "DICT_LINES", 3)
    rules = leadspec.loads(RULES)
    assert rules._dict_renderer() is None and rules.evaluate(lead, as_of=AS_OF).to_dict() == want
    monkeypatch.undo()
    compiled = _render._compiled
    monkeypatch.setattr(_render, "_compiled", lambda ruleset, src, source, name, what: None if what == "to_dict" else compiled(ruleset, src, source, name, what))
    rules = leadspec.loads(RULES)
    result = rules.evaluate(lead, as_of=AS_OF)
    assert rules._dict_renderer() is None and result.to_dict() == want
    assert_rendered_alike(result)


def test_to_json_dumps_the_dict_when_its_function_would_be_too_long_or_does_not_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    from leadspec import _render

    lead = {"employees": 120, "country": "US", "plan": "pro", "signed": "2026-10-20"}
    want = leadspec.loads(RULES).evaluate(lead, as_of=AS_OF).to_json()
    made: list[str] = []
    compiled = _render._compiled
    monkeypatch.setattr(_render, "_compiled", lambda ruleset, src, source, name, what: made.append(what) or compiled(ruleset, src, source, name, what))
    monkeypatch.setattr(_render, "DICT_LINES", 3)
    rules = leadspec.loads(RULES)
    result = rules.evaluate(lead, as_of=AS_OF)
    assert rules._json_renderer() is None and rules._json_renderer(csv=True) is None and result.to_json() == want
    assert not [what for what in made if "json" in what or "csv" in what]  # (no rows function written to be thrown away)
    assert_json_alike(result)
    monkeypatch.undo()
    monkeypatch.setattr(_render, "_compiled", lambda ruleset, src, source, name, what: None if what.startswith("to_json") else compiled(ruleset, src, source, name, what))
    rules = leadspec.loads(RULES)
    result = rules.evaluate(lead, as_of=AS_OF)
    assert rules._json_renderer() is None and result.to_json() == want
    assert_json_alike(result)


def test_summary_is_written_from_the_outline_when_its_function_would_be_too_long_or_does_not_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    from leadspec import _render

    leads = [{"employees": 120, "country": "US", "plan": "pro", "signed": "2026-10-20"}, {"employees": 3}, {"country": "??", "employees": "many"}, {"plan": "free", "employees": 1}]
    want = [leadspec.loads(RULES).evaluate(lead, as_of=AS_OF).summary() for lead in leads]
    assert leadspec.loads(RULES)._summary_renderer() is not None  # (a rule file this small gets one)
    monkeypatch.setattr(_render, "SUMMARY_LINES", 3)
    rules = leadspec.loads(RULES)
    assert rules._summary_renderer() is None and [rules.evaluate(lead, as_of=AS_OF).summary() for lead in leads] == want
    monkeypatch.undo()
    compiled = _render._compiled
    monkeypatch.setattr(_render, "_compiled", lambda ruleset, src, source, name, what: None if what == "summary" else compiled(ruleset, src, source, name, what))
    rules = leadspec.loads(RULES)
    assert rules._summary_renderer() is None and [rules.evaluate(lead, as_of=AS_OF).summary() for lead in leads] == want


NUMBERS = rules_text(
    """
    fields:
      ratio: {type: number}
      count: {type: integer}
    flags:
      heavy: {when: "ratio > 2"}
    stages:
      - id: fit
        all:
          - {id: some, when: "ratio > 1"}
          - {id: kept, when: "ratio < 5", missing: pass}
          - {id: counted, when: "count > 3", missing: fail}
          - {id: both, when: "ratio > count", missing: pass}
    """
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    ratio=st.one_of(
        st.none(),
        st.floats(),  # (NaN reads as missing; an infinity is a bad value, an issue)
        st.floats(min_value=-20000, max_value=20000),
        st.sampled_from([0.0, -0.0, 0.999, 1.0, -1.0, 0.123456, 2.345, 2.355, 9999.994, 9999.995, 10000.0, -10000.0, 12345.678, 1e-7]),
        st.integers(min_value=-20000, max_value=20000),
        st.sampled_from(["", "x", "2.5"]),  # missing, bad, text
    ),
    count=st.one_of(st.none(), st.integers(min_value=-5, max_value=9), st.just("bad")),
)
def test_a_number_fields_value_and_a_missing_policy_of_one_field_are_written_as_the_slow_renderer_writes_them(ratio: Any, count: Any) -> None:
    # a number's shown text is written inline for floats from 1 to 10,000 (two decimals, trailing zeros dropped) and
    # by _show otherwise; a `missing:` policy of one field gives a constant text unless a value was bad
    result = leadspec.loads(NUMBERS).evaluate({"ratio": ratio, "count": count}, as_of=AS_OF)
    assert_rendered_alike(result)


def test_a_missing_policy_of_one_field_says_so_and_names_a_bad_value() -> None:
    rules = leadspec.loads(NUMBERS)
    rows = {r["id"]: r["because"] for r in rules.evaluate({"count": 7}, as_of=AS_OF).to_dict()["criteria"]}
    assert rows["fit.kept"] == "ratio is missing (counted as pass: ratio below 5)"
    rows = {r["id"]: r["because"] for r in rules.evaluate({"ratio": "lots", "count": 7}, as_of=AS_OF).to_dict()["criteria"]}
    assert rows["fit.kept"] == "ratio 'lots' is not a number (counted as pass: ratio below 5)"
    shown = {v: rules.evaluate({"ratio": v}, as_of=AS_OF).to_dict()["criteria"][1]["because"] for v in (2.345, 0.123456, 12345.678, 7.0)}
    assert shown == {
        2.345: "ratio is 2.35 (ratio above 1)",
        0.123456: "ratio is 0.1235, needs ratio above 1",
        12345.678: "ratio is 12,345.68 (ratio above 1)",
        7.0: "ratio is 7 (ratio above 1)",
    }


HOSTILE = rules_text(
    """
    fields:
      name: {type: string}
      note: {type: string}
      tier: {type: enum, values: ['a "quoted" tier', 'back\\\\slash', 'ünï', plain]}
      seats: {type: number}
      tags: {type: list}
      signed: {type: datetime}
      events: {type: events}
    lists:
      odd: ['say "hi"', 'tab\\there', 'back\\\\slash', '\u00e9t\u00e9']
    scores:
      heat:
        window: 30d
        events:
          demo: 12.5
          visit: {points: 1, max: 3}
    flags:
      "weird_flag": {when: "note in odd", missing: fail}
    disqualify:
      - id: bad_name
        when: "name == 'x\\"y'"
    stages:
      - id: icp
        label: 'ICP "fit" \\ ünï'
        all:
          - {id: named, when: "name in odd or name == 'Zoë'", because: "name {name} said \\"{note}\\" ({seats})"}
          - {id: tiered, when: "tier != 'plain'", missing: pass}
          - {id: warm, when: "score('heat') > 5", because: "heat {score('heat')} from {len(tags)} tags, flag {weird_flag}"}
          - {id: signed_up, when: "days_since(signed) < 30", missing: fail}
          - {id: tagged, when: "'vip' in tags"}
          - {id: lowered, when: "lower(note) == 'x'"}
    """
)


@pytest.mark.parametrize(
    "lead",
    [
        {"name": 'x"y', "note": "a\\b\"c", "tier": 'a "quoted" tier', "seats": 1.5},  # quotes and backslashes everywhere
        {"name": "tab\there", "note": "line\nbreak\r\x00\x1f\x7f", "tier": "back\\slash", "seats": "1e400"},  # control characters, a bad number
        {"name": "Zoë", "note": "日本語 \u2028 \ud800", "tier": "ünï", "seats": 12345678.25, "tags": ['say "hi"', "é"], "signed": "2026-10-30T10:00:00Z"},
        {"name": "été", "tier": "gold \"x\"", "seats": "lots \"of\" them", "tags": "[1, 2", "signed": 'not "a" date'},  # bad values quoted in issues
        {"events": [{"type": "demo", "at": "2026-10-20T00:00:00Z"}, {"type": "visit", "at": "2026-10-31"}] * 3, "seats": -0.0, "note": "say \"hi\""},
        {"events": '[{"type": "demo", "at": "2026-10-20"}, {"type": "x\\"y", "at": "2026-10-01"}]', "seats": float("nan")},
        {},
    ],
)
def test_text_with_quotes_backslashes_control_characters_and_other_scripts_is_written_as_json_dumps_writes_it(lead: dict[str, Any]) -> None:
    rules = leadspec.loads(HOSTILE)
    result = rules.evaluate(lead, as_of=AS_OF)
    assert_rendered_alike(result)
    assert json.loads(result.to_json()) == json.loads(json.dumps(_finite(result.to_dict()), default=str))  # (and it is JSON)


SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
JSONISH = st.recursive(
    SCALARS,
    # (keys of every kind json.dumps takes: 1 and "1", True and "true", a NaN key, which it refuses)
    lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner) | st.dictionaries(SCALARS, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(JSONISH)
@example({1: "a", "1": float("nan")})  # (found by a review: keys alike as JSON are both kept, as json.dumps keeps them)
@example([float("nan"), {True: 1, "true": 2}])
@example({float("nan"): 1})
def test_the_json_text_of_a_value_is_what_qualify_writes_nan_and_infinities_as_null(value: Any) -> None:
    from leadspec.cli._io import dumps
    from leadspec.result import _json_text

    try:
        expected = dumps(value)
    except ValueError:  # a NaN key: refused alike
        with pytest.raises(ValueError):
            _json_text(value)
        return
    assert _json_text(value) == expected
    json.loads(_json_text(value), parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))


@pytest.mark.parametrize("depth", [10, 600])
def test_a_bad_value_of_deeply_nested_lists_is_written_as_to_dict_dumps(depth: int) -> None:
    """A JSON lead's value nested 600 deep (an issue's value) is written as json.dumps writes to_dict(), not refused
    (found by a review: the issues went through _json_value, whose recursion is shallower than json's)."""
    from leadspec.cli._io import dumps

    rules = leadspec.loads(rules_text("fields:\n  name: {type: string}\nstages:\n  - id: s\n    when: has(name)\n"))
    deep: Any = "x"
    for _ in range(depth):
        deep = [deep]
    result = rules.evaluate({"name": deep}, as_of=AS_OF)
    assert result.issues and result.to_json() == dumps(result.to_dict())
    assert result._csv_json() == '"' + dumps(result.to_dict()).replace('"', '""') + '"'


H = 'q"uo\\te {b} #h !x :c \x01\x1f\x7f\u2028\u2029 é 日本 \U0001F600 \t\n'
HOSTILE_LEADS = [
    {"name": 'x"y', "note": 'a\\b"c', "tier": 'a "quoted" tier', "seats": 1.5},
    {"name": "tab\there", "note": "line\nbreak\r\x00\x1f\x7f", "tier": "back\\slash", "seats": "1e400"},
    {"name": "Zoë", "note": "日本語 \u2028 \ud800", "tier": "ünï", "seats": 12345678.25, "tags": ['say "hi"', "é"], "signed": "2026-10-30T10:00:00+05:30"},
    {"name": "été", "tier": 'gold "x"', "seats": 'lots "of" them', "tags": "[1, 2", "signed": 'not "a" date', "count": 'x"y'},
    {"events": [{"type": "demo", "at": "2026-10-20T00:00:00Z"}, {"type": "visit", "at": "2026-10-31"}] * 3, "seats": -0.0, "note": 'say "hi"'},
    {"events": '[{"type": "demo", "at": "2026-10-20"}, {"type": "x\\"y", "at": "2026-10-01", "extra": "q\\"\\u2028"}]', "seats": float("nan")},
    {},
    {"name": H, "note": H, "tier": "{br}", "seats": 1e16, "count": 10**20, "ok": "yes", "tags": [H, "vip"], "day": "2026-01-02", "signed": "2026-10-31T23:59:59.123456Z"},
    {"name": "a\\\\b", "seats": 0.1 + 0.2, "count": -(10**17), "ok": 0, "tags": 'a; b;"c"', "day": 'bad"date'},
    {"name": 'q"x', "seats": 5e-324, "count": 99999, "ok": "maybe\\", "tags": {"a": [1, float("nan")], 'b"': 2}},
    {"name": "x@ÜBER.de", "note": "X", "seats": 1.7976931348623157e308, "count": "1e30"},
    {"name": "\ud83d", "note": "\udfff", "tier": "plain", "seats": "-0", "count": "-0"},
    {"name": 12345, "note": 1e20, "tier": 2.5, "seats": True, "count": 2.5, "ok": 2, "events": "[{"},
    {"name": ["l"], "note": {"d": 1}, "seats": float("inf"), "count": float("-inf"), "ok": float("nan"), "events": [{"type": 3, "at": "2026-10-01"}]},
    {"name": {1: "a", "1": float("nan")}},
    {"name": [float("nan"), {'k"': float("inf")}]},
]
"""Leads of values JSON and CSV must escape, bad values of every kind (from a review of Result.to_json())."""


@pytest.mark.parametrize("as_of", ["2026-11-01", "2026-11-01T12:34:56+14:00", "2026-10-31T23:59:59.999999-12:00", "2025-01-01"])
def test_a_rule_file_of_text_to_escape_everywhere_is_written_as_json_dumps_writes_it(as_of: str) -> None:
    rules = leadspec.load(ROOT / "tests" / "fixtures" / "hostile-text.yaml")
    for lead in HOSTILE_LEADS:
        assert_rendered_alike(rules.evaluate(lead, as_of=as_of))
