"""Expressions in plain words (leadspec._words): every form of the docs' expression reference reads as a sentence.

The expressions are taken from docs/expressions.md itself (every expression its
examples evaluate), so a form added there is worded here or this test fails. A
sentence must not show the expression language: no operator, no call, no list
brackets, except inside backticks, which mark a form that has no words on purpose
(only the forms in ``AS_CODE`` may).
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leadspec
from leadspec._words import duration, listing
from leadspec.plan import Not
from _rulegen import loaded_rule_file
from conftest import ROOT

RUNS = 2000 if os.environ.get("LEADSPEC_FUZZ") else 60
"""Bounded for the suite; ``LEADSPEC_FUZZ=1`` runs many more examples."""

DOC = (ROOT / "docs" / "expressions.md").read_text(encoding="utf-8")
FIELDS = re.search(r'FIELDS = """(.*?)"""', DOC, re.S).group(1)  # type: ignore[union-attr]
SCORE = "scores:\n  engagement:\n    events: {demo_request: 30}\n"
EXAMPLES = list(dict.fromkeys(json.loads(f'"{e}"') for e in re.findall(r'(?:outcome|outcome_and_issues)\("((?:[^"\\]|\\.)*)"', DOC)))

LEAK = re.compile(r"[<>=!]=?|\*\*|//|%|\w\(|\[|\]|\b(?:and|or|not)\b(?=\s*\()")
"""What the expression language looks like, and a sentence must not."""

AS_CODE: set[str] = set()
"""Forms shown as code on purpose (none of the docs' examples is one: the truth of a date is, below)."""


def ruleset(expression: str) -> leadspec.Ruleset:
    return leadspec.loads(FIELDS + SCORE + f"stages:\n  - id: check\n    when: {json.dumps(expression)}\n")


def sentence(expression: str) -> str:
    rs = ruleset(expression)
    return rs._sentence(rs.plan.criterion("check.when"))


def test_the_docs_have_many_forms() -> None:
    assert len(EXAMPLES) > 50


@pytest.mark.parametrize("expression", EXAMPLES)
def test_every_form_of_the_reference_reads_as_a_sentence(expression: str) -> None:
    text = sentence(expression)
    outside_code = re.sub(r"`[^`]*`", "", text)
    assert text and text != expression
    if expression not in AS_CODE:
        assert "`" not in text, text
    quoted = re.sub(r"'[^']*'", "", outside_code)  # text values are quoted as they are
    assert not LEAK.search(quoted), (expression, text)


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("50 <= employees <= 5000", "employees from 50 to 5,000"),
        ("5000 >= employees >= 50", "employees from 50 to 5,000"),
        ("50 < employees < 5000", "employees above 50 and below 5,000"),
        ("not (50 <= employees <= 5000)", "employees below 50 or above 5,000"),
        ("employees >= 50", "employees at least 50"),
        ("50 > employees", "employees below 50"),
        ("not employees > 1000", "employees at most 1,000"),
        ("count('demo_request', within='30d') >= 1", "at least one demo_request event in the last 30 days"),
        ("count('demo_request') >= 3", "at least 3 demo_request events"),
        ("count('demo_request') == 0", "no demo_request events"),
        ("count('demo_request') > 0", "at least one demo_request event"),
        ("count('demo_request', within='2w') < 2", "fewer than 2 demo_request events in the last 2 weeks"),
        ("count('demo_request')", "at least one demo_request event"),
        ("not count('demo_request')", "no demo_request events"),
        ("score('engagement') >= 40", "the engagement score at least 40"),
        ("country in target_countries", "country one of target_countries ('US', 'CA', 'GB')"),
        ("country not in ['US', 'CA']", "country not one of ('US', 'CA')"),
        ("not (country in ['US', 'CA'])", "country not one of ('US', 'CA')"),
        ("'partner' in tags", "tags including 'partner'"),
        ("'Sales' in title", "title containing 'Sales' (matching case)"),
        ("has(title)", "title known"),
        ("not has(title)", "title missing"),
        ("has(title) and (employees > 10 or has(email))", "title known, and either employees above 10 or email known"),
        ("has(title) or employees > 10 and has(email)", "title known, or both employees above 10 and email known"),
        ("not (has(title) and has(email))", "title missing or email missing"),
        ("not (has(title) or has(email))", "title missing and email missing"),
        ("0 <= days_since(signed_up) <= 90", "signed_up from 0 to 90 days ago"),
        ("days_since(last('demo_request')) <= 7", "the last demo_request event at most 7 days ago"),
        ("contains_any(title, ['student', 'intern'])", "title containing any of ('student', 'intern') (any case)"),
        ("not startswith(title, 'vp')", "title not starting with 'vp' (any case)"),
        ("lower(title) == 'vp of sales'", "title in lower case equal to 'vp of sales'"),
        ("(revenue + 1) / employees > 2", "(revenue plus 1) divided by employees above 2"),
        ("revenue + 1000 / employees > 0", "revenue plus (1,000 divided by employees) above 0"),
        ("title", "title not empty"),
        ("title == country", "title equal to country"),  # a field
        ("title == 'country'", "title equal to 'country'"),  # text
        ("2 * title == 'abab'", "title repeated 2 times equal to 'abab'"),
        ("not (50 <= employees <= 5000) and revenue > 5", "either employees below 50 or above 5,000, and revenue above 5"),
        ("50 < employees < 5000 or revenue > 5", "both employees above 50 and below 5,000, or revenue above 5"),
        ("has(email) or (country in ['US', 'CA'] and revenue > 5)", "email known, or both country one of ('US', 'CA') and revenue above 5"),
        ("days_since(signed_up) < 7", "signed_up less than 7 days ago"),
        ("employees // 3 > 1", "employees divided by 3 rounded down above 1"),
        ("round(revenue, 1) > 2", "revenue rounded to 1 digits after the decimal point above 2"),
        ("revenue > 1234.5", "revenue above 1,234.5"),
        ("True", "always"),
    ],
)
def test_words(expression: str, words: str) -> None:
    assert sentence(expression) == words


def test_a_form_without_words_is_code_on_purpose() -> None:
    assert sentence("signed_up") == "`signed_up`"  # the truth of a date: true whenever it has a value
    assert sentence("not signed_up") == "`not signed_up`"
    # empty text is a missing value (unknown), so `not title` never passes: "title empty" would promise it can
    assert sentence("not title") == "`not title`"
    assert _outcome("not title", {"title": ""}) == "unknown" and _outcome("not title", {"title": "x"}) == "fail"


def test_durations_and_listings() -> None:
    assert duration(timedelta(days=30)) == "30 days"
    assert duration(timedelta(days=14)) == "2 weeks"
    assert duration(timedelta(minutes=15)) == "15 minutes"
    assert duration(timedelta(hours=1)) == "1 hour"
    assert listing(["a", "b", "c"], " or ") == "'a', 'b' or 'c'"
    assert listing(list(range(25))) == ", ".join(map(str, range(20))) + " and 5 more"
    assert listing(list(range(25)), shown=None) == ", ".join(map(str, range(25)))


# -- the words mean what the expression means ------------------------------------------------------
# A negation pushed inwards must keep the three-valued outcome: `not E` evaluates as the expression
# the negated words describe. Checked by evaluating both over generated leads.

NEGATABLE = [
    ("not (employees >= 50 and has(title))", "employees < 50 or not has(title)"),
    ("not (employees >= 50 or revenue < 10)", "employees < 50 and revenue >= 10"),
    ("not (50 <= employees <= 5000)", "employees < 50 or employees > 5000"),
    ("not (employees > 1000)", "employees <= 1000"),
    ("not (country in ['US', 'CA'])", "country not in ['US', 'CA']"),
]


@pytest.mark.parametrize(("negated", "pushed"), [pair for pair in NEGATABLE if "<=" not in pair[0]])  # a range: test_words
def test_negated_words_are_those_of_the_pushed_expression(negated: str, pushed: str) -> None:
    assert sentence(negated) == sentence(pushed)


AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)


@settings(max_examples=RUNS, deadline=None)
@given(
    employees=st.one_of(st.none(), st.integers(-10, 6000)),
    revenue=st.one_of(st.none(), st.integers(-5, 20)),
    title=st.one_of(st.none(), st.sampled_from(["", "CTO", "vp"])),
    country=st.one_of(st.none(), st.sampled_from(["US", "CA", "GB"])),
)
def test_negations_pushed_inwards_keep_the_outcome(employees: int | None, revenue: int | None, title: str | None, country: str | None) -> None:
    """The law the words lean on: each negation moved inwards evaluates as the negated expression, unknown included."""
    lead = {k: v for k, v in {"employees": employees, "revenue": revenue, "title": title, "country": country}.items() if v is not None}
    for negated, pushed in NEGATABLE:
        assert _outcome(negated, lead) == _outcome(pushed, lead), (negated, lead)


_CACHE: dict[str, leadspec.Ruleset] = {}


def _outcome(expression: str, lead: dict[str, object]) -> str:
    rs = _CACHE.get(expression) or _CACHE.setdefault(expression, ruleset(expression))
    return rs.evaluate(lead, as_of=AS_OF).criteria[0].outcome


def test_not_is_a_plan_node() -> None:  # the code form of a negated date names the node it wraps
    rs = ruleset("not signed_up")
    assert isinstance(rs.plan.criterion("check.when").expr, Not)


QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"')
"""A text value as words quote it (``repr``: single quotes, or double quotes around a single quote)."""


def _without_code_and_values(text: str) -> str:
    return QUOTED.sub("", re.sub(r"`[^`]*`", "", text))


@settings(max_examples=RUNS, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_criterion_of_a_generated_rule_file_reads_in_words(data: st.DataObject) -> None:
    """Over generated rule files (every field type, function, group and score the grammar makes): every condition has
    words without the expression language outside code spans, and the whole agreement renders in both formats."""
    _, rules = loaded_rule_file(data, templates=True)
    for crit in rules.plan.criteria:
        if crit.expr is not None:
            text = rules._sentence(crit)
            assert text and not LEAK.search(_without_code_and_values(text)), (crit.when, text)
    assert leadspec.render(rules, "markdown", date="2026-12-01").startswith("# Lead agreement: ")
    assert leadspec.render(rules, "html", date="2026-12-01").startswith("<!DOCTYPE html>")


def test_a_flag_reads_true_or_false_unknown_being_neither() -> None:
    rules = leadspec.loads(FIELDS + "flags:\n  big: employees > 1000\nstages:\n  - id: check\n    when: not big\n")
    assert rules._sentence(rules.plan.criterion("check.when")) == "flag big false"
    outcomes = [c.outcome for c in rules.evaluate({}, as_of=AS_OF).criteria if c.id == "check.when"]
    assert outcomes == ["unknown"]  # big is unknown without employees: `not big` is not "not raised"
