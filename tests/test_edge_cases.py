"""Edge cases found by an adversarial review: each test failed before its fix."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

import leadspec
from leadspec import reference
from leadspec._interp import Interpreter, truth
from conftest import problems_of, rules_text

AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)


def load(body: str) -> leadspec.Ruleset:
    return leadspec.loads(rules_text(body), name="r.yaml")


def outcomes(rules: leadspec.Ruleset, lead: dict) -> dict[str, str]:
    result = rules.evaluate(lead, as_of=AS_OF)
    assert rules.stage(lead, as_of=AS_OF) == result.stage
    return {c.id: c.outcome for c in result.criteria}


def interpreted(rules: leadspec.Ruleset, lead: dict) -> dict[str, str]:
    """Outcomes by the reference interpreter from the same coerced values."""
    result = rules.evaluate(lead, as_of=AS_OF)
    plan = rules._plan
    scores = {s.name: total for s, total in zip(plan.scores, result._raw[3])}
    values = result._ivalues
    out = {}
    for crit in plan.criteria:
        if crit.checked is None:
            continue
        try:
            value = truth(Interpreter(values, plan.lists, scores, None, AS_OF).run(crit.checked.expr))
        except Exception:
            value = None
        else:
            if value is None and crit.missing != "unknown":
                value = crit.missing == "pass"
        out[crit.id] = {True: "pass", False: "fail", None: "unknown"}[value]
    return out


def test_a_bad_value_in_a_field_with_a_default_is_missing_not_the_default() -> None:
    rules = load(
        """
        fields: {is_competitor: {type: boolean, default: false}, employees: {type: integer, default: 0}}
        stages:
          - id: s
            all: [{ok: not is_competitor}, {zero: employees == 0}, {not5: employees != 5}]
        """
    )
    got = outcomes(rules, {"is_competitor": "maybe", "employees": "lots"})
    assert got == {"s.ok": "unknown", "s.zero": "unknown", "s.not5": "unknown"}
    assert got == interpreted(rules, {"is_competitor": "maybe", "employees": "lots"})
    assert outcomes(rules, {}) == {"s.ok": "pass", "s.zero": "pass", "s.not5": "pass"}  # no value: the defaults


def test_a_missing_policy_does_not_hide_an_error() -> None:
    rules = load(
        """
        fields: {revenue: {type: number}, employees: {type: integer}}
        stages: [{id: s, all: [{id: rich, when: revenue / employees > 1000, missing: pass}]}]
        """
    )
    result = rules.evaluate({"revenue": 5000, "employees": 0}, as_of=AS_OF)
    assert result.stages == {"s": "unknown"} and result.stage == "lead"
    assert result.issues[0].criterion == "s.rich"
    assert rules.stage({"revenue": 5000, "employees": 0}, as_of=AS_OF) == "lead"
    assert rules.evaluate({"revenue": 5000}, as_of=AS_OF).stage == "s"  # missing employees: the policy


def test_a_negative_cap_on_an_event_type_that_did_not_occur_adds_nothing() -> None:
    rules = load(
        """
        fields: {ev: {type: events}}
        scores: {s: {events: {a: 1, b: {points: -1, max: -5}}}}
        stages: [{id: engaged, when: "score('s') > 0"}]
        """
    )
    lead = {"ev": [{"type": "a", "at": "2026-10-01T00:00:00Z"}]}
    result = rules.evaluate(lead, as_of=AS_OF)
    assert result.scores["s"].total == 1
    assert result.stage == rules.stage(lead, as_of=AS_OF) == "engaged"


def test_comparisons_evaluate_operands_left_to_right_like_the_interpreter() -> None:
    rules = load(
        """
        fields: {x: {type: integer}, z: {type: number}, y: {type: boolean}, e: {type: events}}
        stages:
          - id: s
            all:
              - {a: x > 1 / z or y}
              - {b: "1 / count('demo') > x or y"}
        """
    )
    for lead in ({"z": 0, "y": True}, {"x": 3, "z": 0, "y": True}, {"y": True}, {"x": 1, "y": True}):
        assert outcomes(rules, lead) == interpreted(rules, lead), lead


def test_list_fields_compare_with_list_literals_and_concatenate() -> None:
    rules = load(
        """
        fields: {tags: {type: list}}
        stages: [{id: s, all: [{eq: "tags == ['a']"}, {plus: "len(tags + ['x']) == 2"}, {has_a: "'a' in tags"}]}]
        """
    )
    assert outcomes(rules, {"tags": ["a"]}) == {"s.eq": "pass", "s.plus": "pass", "s.has_a": "pass"}
    assert outcomes(rules, {"tags": "a;b"}) == {"s.eq": "fail", "s.plus": "fail", "s.has_a": "pass"}


def test_a_list_field_in_a_list_is_refused() -> None:
    problems = problems_of(rules_text("fields: {tags: {type: list}}\nlists: {known: [a, b]}\nstages: [{id: s, when: tags in known}]\n"))
    assert [p.code for p in problems] == ["type-mismatch"]
    assert "contains_any" in problems[0].message


def test_a_list_default_is_not_shared_between_results() -> None:
    rules = load("fields: {tags: {type: list, default: [a]}}\nstages: [{id: s, when: \"'b' in tags\"}]\n")
    values = rules.evaluate({}, as_of=AS_OF).values
    with pytest.raises(AttributeError):
        values["tags"].append("b")  # a tuple: nothing to change
    assert rules.evaluate({}, as_of=AS_OF).stage == "lead"


@pytest.mark.parametrize(
    "body",
    [
        "fields: {x: {type: integer}}\nscores: {s: {rules: [{id: big, when: x > 1, points: .inf}]}}\nstages: [{id: a, when: \"score('s') > 1\"}]\n",
        "fields: {x: {type: integer}}\nscores: {s: {rules: [{id: big, when: x > 1, points: 1}], max: .nan}}\nstages: [{id: a, when: \"score('s') > 1\"}]\n",
    ],
)
def test_non_finite_numbers_in_scores_are_refused(body: str) -> None:
    assert [p.code for p in problems_of(rules_text(body))] == ["bad-value"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("version: " + "1" * 5000 + "\nfields: {x: {type: integer}}\nstages: [{id: a, when: x > 1}]\n", "yaml-value"),
        ("fields: {x: {type: integer}}\nstages: [{id: a, when: x > 2 ** 20000}]\n", "too-large"),
        ("fields: {x: {type: integer}}\nstages: [{id: a, when: x > 4000000 ** 4000000}]\n", "too-large"),
        ("fields: {e: {type: events}}\nstages: [{id: a, when: \"count('x', within='99999999999d') > 1\"}]\n", "duration"),
        ("fields: {e: {type: events}}\nscores: {s: {window: 99999999999d, events: {x: 1}}}\nstages: [{id: a, when: \"score('s') > 1\"}]\n", "bad-duration"),
    ],
)
def test_huge_numbers_in_a_rule_file_are_refused_quickly(body: str, code: str) -> None:
    started = time.perf_counter()
    problems = problems_of(rules_text(body))
    assert time.perf_counter() - started < 5
    assert code in [p.code for p in problems], "\n".join(map(str, problems))


def test_a_huge_power_at_evaluation_is_refused_not_computed() -> None:
    rules = load("fields: {x: {type: integer}}\nstages: [{id: a, when: x ** x > 1}]\n")
    started = time.perf_counter()
    result = rules.evaluate({"x": 3_000_000}, as_of=AS_OF)
    assert time.perf_counter() - started < 2
    assert result.stages == {"a": "unknown"} and result.issues[0].message == "could not be evaluated: a number too large"


@pytest.mark.parametrize("raw", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_datetimes_at_the_edge_of_the_calendar_are_issues(raw: str) -> None:
    rules = load("fields: {t: {type: datetime}, d: {type: date}, ev: {type: events}}\nstages: [{id: a, when: \"has(t) or has(d) or count('x') > 0\"}]\n")
    result = rules.evaluate({"t": raw, "d": raw, "ev": [{"type": "x", "at": raw}]}, as_of=AS_OF)
    assert sorted(i.field for i in result.issues) == ["d", "ev", "t"]
    json.dumps(result.to_dict())


def test_huge_integers_in_a_lead_are_issues() -> None:
    rules = load("fields: {n: {type: integer}, m: {type: integer, max: 10}}\nstages: [{id: a, when: n > 1 and m > 1}]\n")
    result = rules.evaluate({"n": 2**1100, "m": str(2**1100)}, as_of=AS_OF)
    assert [i.field for i in result.issues] == ["n", "m"]
    assert "above the largest number" in result.issues[0].message and "above the maximum 10" in result.issues[1].message
    json.dumps(result.to_dict())
    result = rules.evaluate({"n": "9" * 5000}, as_of=AS_OF)
    assert result.issues[0].field == "n"


def test_nan_in_a_lead_is_missing_and_the_result_is_strict_json() -> None:
    # issue 8, item 13: NaN is how pandas writes an empty cell, so it is a missing value (it was an issue)
    rules = load("fields: {x: {type: number}}\nstages: [{id: a, when: x > 1}]\n")
    result = rules.evaluate({"x": float("nan")}, as_of=AS_OF)
    assert result.criteria[0].outcome == "unknown" and not result.issues
    json.dumps(result.to_dict(), allow_nan=False)


def test_reserved_and_colliding_ids_are_refused() -> None:
    assert "duplicate-id" in [p.code for p in problems_of(rules_text("fields: {x: {type: integer}}\nbase: {id: disqualified, label: D}\nstages: [{id: s, when: x > 1}]\n"))]
    body = "fields: {x: {type: integer}}\nscores: {icp: {rules: [{id: size, when: x > 1, points: 1}]}}\nstages: [{id: icp, all: [{size: x > 2}]}]\n"
    assert "duplicate-id" in [p.code for p in problems_of(rules_text(body))]
    body = "fields: {x: {type: integer}}\nscores: {disqualify: {rules: [{id: big, when: x > 1, points: 1}]}}\nstages: [{id: s, when: x > 2}]\n"
    assert "duplicate-id" in [p.code for p in problems_of(rules_text(body))]


def test_blocked_by_under_a_nested_none_names_what_passed() -> None:
    rules = load("fields: {a: {type: boolean}, b: {type: boolean}}\nstages: [{id: s1, none: [{any: [{ca: a}, {cb: b}]}]}]\n")
    result = rules.evaluate({"a": True, "b": False}, as_of=AS_OF)
    assert result.next is not None and result.next.blocked_by == ["s1.ca"]


def test_problems_in_multi_line_and_escaped_expressions_are_located_at_the_token() -> None:
    text = rules_text(
        "fields: {employees: {type: integer}}\n"
        "stages:\n"
        "  - id: s\n"
        "    all:\n"
        "      - id: a\n"
        "        when: employees > 1 and\n"
        "          employes < 5\n"
        "      - id: b\n"
        "        when: |\n"
        "          employes > 1\n"
        "      - {id: c, when: \"'\\t' == 'x' or employes > 1\"}\n"
    )
    got = [(p.line, p.column) for p in problems_of(text)]
    assert got == [(9, 11), (12, 11), (13, 23)]  # the token's own line and column in plain and block scalars; the start of an escaped double-quoted value


def test_a_misspelt_field_type_does_not_add_a_false_type_error() -> None:
    problems = problems_of(rules_text("fields: {employees: {type: integr}}\nstages: [{id: s, when: employees > 5}]\n"))
    assert [p.code for p in problems] == ["bad-value"]


def test_big_constant_strings_do_not_blow_up_the_generated_code() -> None:
    criteria = "".join(f"      - {{c{i}: \"s == 'a' * 99999 or s == 'b'\"}}\n" for i in range(40))
    started = time.perf_counter()
    rules = load("fields: {s: {type: string}}\nstages:\n  - id: st\n    all:\n" + criteria)
    assert time.perf_counter() - started < 5
    assert len(rules.generated_source()) < 200_000


def test_count_within_none_means_no_window() -> None:
    rules = load("fields: {e: {type: events}}\nstages: [{id: a, when: \"count('x', within=None) >= 2\"}]\n")
    lead = {"e": [{"type": "x", "at": "2020-01-01T00:00:00Z"}, {"type": "x", "at": "2026-10-01T00:00:00Z"}]}
    assert rules.evaluate(lead, as_of=AS_OF).stage == "a"


def test_format_version_must_be_a_number_not_a_boolean() -> None:
    problems = problems_of("leadspec: true\nname: t\nfields: {x: {type: integer}}\nstages: [{id: a, when: x > 1}]\n")
    assert problems[0].code in ("version", "bad-value")


def test_half_life_must_be_positive_and_windows_need_events() -> None:
    body = "fields: {e: {type: events}}\nscores: {s: {half_life: 0s, events: {x: 1}}}\nstages: [{id: a, when: \"score('s') > 1\"}]\n"
    assert "bad-value" in [p.code for p in problems_of(rules_text(body))]
    body = "fields: {x: {type: integer}}\nscores: {s: {window: 30d, rules: [{id: r, when: x > 1, points: 1}]}}\nstages: [{id: a, when: \"score('s') > 1\"}]\n"
    assert "bad-value" in [p.code for p in problems_of(rules_text(body))]


@pytest.mark.parametrize(("expression", "lead", "outcome"), [
    ("1.0 <= 0 < a", {}, "fail"),  # a false comparison decides the chain even with a missing value
    ("0 <= a <= 10", {}, "unknown"),
    ("0 <= a <= 10", {"a": 5}, "pass"),
    ("a <= -1 < b", {"a": 0}, "fail"),
])
def test_chained_comparisons_with_missing_values(expression: str, lead: dict, outcome: str) -> None:
    rules = load(f"fields: {{a: {{type: integer}}, b: {{type: integer}}}}\nstages: [{{id: s, when: '{expression}'}}]\n")
    assert outcomes(rules, lead) == {"s.when": outcome} == interpreted(rules, lead)


def test_one_result_explained_from_many_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    rules = leadspec.load(Path(__file__).parent / "fixtures" / "acme-b2b.yaml")
    lead = {"NumberOfEmployees": "250", "industry": "saas", "company": {"country": "US"}, "seniority": "vp",
            "email": "a@co.example", "events": [{"type": "demo_request", "at": "2026-10-25T10:00:00Z"}]}
    expected = rules.evaluate(lead, as_of=AS_OF).to_dict()
    for _ in range(20):
        result = rules.evaluate(lead, as_of=AS_OF)
        with ThreadPoolExecutor(4) as pool:
            assert all(d == expected for d in pool.map(lambda _: result.to_dict(), range(8)))


def test_soft_keywords_are_fine_as_field_names() -> None:
    rules = load("fields: {type: {type: string}, match: {type: integer}}\nstages: [{id: s, when: \"type == 'partner' and match > 1\"}]\n")
    assert rules.evaluate({"type": "partner", "match": 2}, as_of=AS_OF).stage == "s"


@pytest.mark.parametrize("expression", ["flag in ['yes']", "created in ['2026-01-01']"])
def test_booleans_and_dates_in_a_list_of_text_are_refused(expression: str) -> None:
    problems = problems_of(rules_text(f"fields: {{flag: {{type: boolean}}, created: {{type: date}}}}\nstages: [{{id: s, when: \"{expression}\"}}]\n"))
    assert [p.code for p in problems] == ["type-mismatch"]


def test_explain_says_why_a_none_stage_was_reached() -> None:
    rules = load("fields: {spam: {type: boolean}, bounced: {type: boolean}}\nstages: [{id: clean, none: [{spam: spam}, {bounced: bounced}]}]\n")
    text = rules.evaluate({"spam": False, "bounced": False}, as_of=AS_OF).explain()
    assert "  ✓ not clean.spam: spam is no (does not meet spam)" not in text  # stage criteria say "needs"
    assert "  ✓ not clean.spam: spam is no, needs spam" in text
    assert "  ✓ not clean.bounced: bounced is no, needs bounced" in text


@pytest.mark.parametrize(
    ("when", "with_title"),
    [
        ("'x' in [title, 'y']", "fail"),
        ("[title, 'x'] == ['a', 'x']", "pass"),
        ("len([title, 'x']) == 2", "pass"),
        ("contains_any('ab', [title, 'b'])", "pass"),
        ("[title, domain('no-at')] != ['a', 'b']", "unknown"),  # an item that is always missing
    ],
)
def test_a_list_literal_with_a_missing_item_is_unknown(when: str, with_title: str) -> None:
    """A list literal with a missing item is unknown, not a list with a hole (which decided on a value nobody had)."""
    rules = load(f'fields: {{title: {{type: string}}}}\nstages: [{{id: s, when: "{when}"}}]\n')
    result = rules.evaluate({}, as_of=AS_OF)
    assert result.stages == {"s": "unknown"}
    assert result.missing == ["title"]
    assert reference.evaluate(rules.plan, {}, AS_OF).stages == {"s": "unknown"}
    assert rules.evaluate({"title": "a"}, as_of=AS_OF).stages == {"s": with_title}
    assert reference.evaluate(rules.plan, {"title": "a"}, AS_OF).stages == {"s": with_title}


def test_a_negative_number_to_a_fractional_power_is_an_error_not_a_complex_number() -> None:
    """Python's ``(-8) ** 0.5`` is a complex number, which no comparison can read and no SQL engine has:
    the criterion is unknown with an issue, in the engine and the reference alike; as a constant it is refused at load."""
    from leadspec import reference

    rules = leadspec.loads(rules_text(
        """
        fields:
          a: {type: number}
          b: {type: number}
        stages:
          - id: s
            when: a ** b != 0
        """
    ))
    result = rules.evaluate({"a": "-8", "b": "0.5"}, "2026-01-01")
    assert result.stages["s"] == "unknown"
    assert [i.message for i in result.issues] == ["could not be evaluated: an operation its values do not allow"]
    assert reference.evaluate(rules.plan, {"a": "-8", "b": "0.5"}, "2026-01-01").criteria == {"s.when": "unknown"}
    assert rules.evaluate({"a": "8", "b": "0.5"}, "2026-01-01").stages["s"] == "pass"
    problems = problems_of(rules_text("fields:\n  a: {type: number}\nstages:\n  - id: s\n    when: a > (-8) ** 0.5\n"))
    assert [p.code for p in problems] == ["type-mismatch"]
    assert "not a real number" in problems[0].message


def test_a_bad_text_value_is_quoted_with_only_control_characters_and_spaces_escaped() -> None:
    """Reasons quote a bad value like repr, but a format character (U+200B) is written as it is: repr's choice
    depends on the Unicode version, which no SQL engine can follow (the SQL reasons write the same text)."""
    rules = leadspec.loads(rules_text(
        """
        fields:
          product: {type: enum, values: [GTX Pro, MG]}
        stages:
          - id: s
            when: product == "MG"
        """
    ))
    summary = rules.evaluate({"product": "GTX\u200bPro\t"}, "2026-01-01").summary()
    assert "product 'GTX\u200bPro\\t' is not one of GTX Pro, MG" in summary
    summary = rules.evaluate({"product": "a\x07b"}, "2026-01-01").summary()
    assert "product 'a\\x07b' is not one of GTX Pro, MG" in summary
