"""Fuzz: generated code == the reference interpreter on random typed expressions (issue 8, item 8).

Expressions are drawn from a typed grammar over fields of every type,
with constant sub-expressions that fold at load (including functions
that return a missing value, ``domain('no-at-sign')``), deep nesting
(which the code generator cuts into helper functions), long sums and
long flat chains of mixed ``+ - * / // %`` over missing and present
operands, and chains of text (which the generator writes flat). The
reference is the interpreter walking the tree *as written*, checked with
folding switched off, so folding itself is under test: the compiled
outcome, under each missing policy, must be the reference's, the folded
tree must interpret as the unfolded one, and ``stage()`` must equal
``evaluate().stage``.

``LEADSPEC_FUZZ=1`` runs many more examples.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import leadspec
from leadspec._interp import interpret, truth
from conftest import rules_text, unfolded

EXAMPLES = 2000 if os.environ.get("LEADSPEC_FUZZ") else 120
AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
OUT = {True: "pass", False: "fail", None: "unknown"}
POLICY = {"unknown": None, "pass": True, "fail": False}

FIELDS = """\
fields:
  a: {type: integer}
  x: {type: number}
  s: {type: string}
  e: {type: enum, values: [red, green, blue]}
  f: {type: boolean}
  tags: {type: list}
  d: {type: date}
  t: {type: datetime}
  ev: {type: events}
lists:
  words: [ab, cd, x]
  nums: [1, 2.5, 3]
scores:
  engagement:
    window: 30d
    events: {demo: 10, view: {points: 1, max: 3}}
"""

# -- a typed grammar -----------------------------------------------------------------

NUM_LEAVES = [
    "a", "x", "len(s)", "len(tags)", "count('demo')", "count(['demo', 'view'], within='7d')", "score('engagement')",
    "days_since(d)", "days_since(t)", "days_since(last('view'))", "0", "1", "-2", "2.5", "0.0",
    # constants that fold
    "(2 * 3)", "round(2.5)", "len('abc')", "abs(-2)", "min(1, 2.5)", "len(domain('nobody'))", "(7 // 2)", "(2 ** 3)",
]
STR_LEAVES = ["s", "e", "lower(s)", "upper(e)", "domain(s)", "'ab'", "'red'", "''", "domain('ann@example.com')", "domain('nobody')", "lower('AB')", "('a' * 2)"]
LIST_LEAVES = ["tags", "words", "['ab', 'x']", "(['ab'] * 2)", "(['ab'] + ['cd'])", "[]"]
BOOL_LEAVES = [
    "f", "has(a)", "has(s)", "has(domain('nobody'))", "True", "False", "(1 < 2)", "e in ['red', 'blue']", "s in words", "'ab' in tags",
    "a in nums", "domain('nobody') == 'x'", "domain('nobody') != 'x'", "contains(domain('nobody'), 'a')", "not domain('nobody')",
]

small = st.integers(-3, 3)


def num_expr() -> st.SearchStrategy[str]:
    leaves = st.one_of(st.sampled_from(NUM_LEAVES), small.map(str))
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "//", "%"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda v: f"-{v}"),
            inner.map(lambda v: f"abs({v})"),
            st.tuples(inner, inner).map(lambda t: f"min({t[0]}, {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"max({t[0]}, {t[1]})"),
            inner.map(lambda v: f"round({v})"),
            st.tuples(inner, st.integers(-2, 2)).map(lambda t: f"round({t[0]}, {t[1]})"),
            st.tuples(st.lists(inner, min_size=20, max_size=45)).map(lambda t: "(" + " + ".join(t[0]) + ")"),  # long sums
            # long flat chains of mixed operators (one None test over the operands, then the arithmetic as written)
            st.lists(st.tuples(st.sampled_from(["+", "-", "*", "/", "//", "%", "+", "-"]), inner), min_size=2, max_size=30).map(
                lambda t: "(" + t[0][1] + "".join(f" {op} {v}" for op, v in t[1:]) + ")"
            ),
        ),
        max_leaves=6,
    )


def str_expr() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(STR_LEAVES),
        st.tuples(st.sampled_from(STR_LEAVES), st.sampled_from(STR_LEAVES)).map(lambda t: f"({t[0]} + {t[1]})"),
        st.lists(st.sampled_from(STR_LEAVES), min_size=3, max_size=12).map(lambda t: "(" + " + ".join(t) + ")"),  # text chains
        st.tuples(st.sampled_from(STR_LEAVES), st.sampled_from(["a", "2", "len(s)", "round(x)"])).map(lambda t: f"({t[0]} * {t[1]})"),
    )


def bool_expr() -> st.SearchStrategy[str]:
    num, text = num_expr(), str_expr()
    lists = st.sampled_from(LIST_LEAVES)
    atoms = st.one_of(
        st.sampled_from(BOOL_LEAVES),
        st.tuples(num, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), num).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.tuples(num, num, num).map(lambda t: f"{t[0]} <= {t[1]} < {t[2]}"),
        st.tuples(text, st.sampled_from(["==", "!="]), text).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.tuples(text, lists).map(lambda t: f"{t[0]} in {t[1]}"),
        st.tuples(text, lists).map(lambda t: f"contains_any({t[0]}, {t[1]})"),
        st.tuples(st.sampled_from(["contains", "startswith", "endswith"]), text, text).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.sampled_from(["d", "t", "last('demo')"]).map(lambda v: f"has({v})"),
        st.tuples(lists, lists).map(lambda t: f"{t[0]} == {t[1]}"),
        num.map(lambda n: f"({n}) and f"),
        text.map(lambda v: f"({v}) or f"),
    )
    return st.recursive(
        atoms,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.lists(inner, min_size=3, max_size=8), st.sampled_from([" and ", " or "])).map(lambda t: "(" + t[1].join(t[0]) + ")"),
            inner.map(lambda v: f"not ({v})"),
            st.tuples(inner, st.integers(20, 40)).map(lambda t: "not " * t[1] + f"({t[0]})"),  # deep: helpers
        ),
        max_leaves=6,
    )


# -- leads ---------------------------------------------------------------------------

maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731
events = st.lists(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["demo", "view", "other"]), "at": st.integers(-60, 5).map(lambda d: (AS_OF + timedelta(days=d, hours=3)).isoformat())}
    ),
    max_size=5,
)
leads = st.fixed_dictionaries(
    {},
    optional={
        "a": maybe(st.one_of(small, small.map(str), st.just("lots"))),
        "x": maybe(st.one_of(st.floats(-4, 4, allow_nan=False), st.just("2.5"), st.just(0))),
        "s": maybe(st.sampled_from(["", "ab", "Ann@Example.com", "red", "x", "nobody@", "  spaced  "])),
        "e": maybe(st.sampled_from(["red", "GREEN", "purple", ""])),
        "f": maybe(st.sampled_from([True, False, "yes", "maybe"])),
        "tags": maybe(st.one_of(st.sampled_from(["ab;cd", ""]), st.lists(st.sampled_from(["ab", "x"]), max_size=3))),
        "d": maybe(st.sampled_from(["2026-10-01", "2026-11-01", "01/02/2026"])),
        "t": maybe(st.sampled_from(["2026-10-31T23:00:00Z", "2026-09-01T00:00:00+02:00", "soon"])),
        "ev": maybe(events),
    },
)


# -- the reference ----------------------------------------------------------------------

ERROR = "error"


def _run(checked: Any, rules: leadspec.Ruleset, result: leadspec.Result) -> Any:
    plan = rules._plan
    scores = {s.name: total for s, total in zip(plan.scores, result._raw[3])}
    try:
        return truth(interpret(checked.expr, result._ivalues, plan.lists, scores, result._ivalues["ev"], AS_OF))
    except Exception:  # an error evaluating: the criterion is unknown whatever its policy (and an issue)
        return ERROR


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(expression=bool_expr(), data=st.data())
def test_compiled_code_equals_the_reference_interpreter_on_the_unfolded_expression(expression: str, data: st.DataObject) -> None:
    body = FIELDS + "stages:\n  - id: s\n    all:\n"
    for policy in POLICY:
        body += f"      - id: {policy}\n        missing: {policy}\n        when: >-\n          {expression}\n"
    try:
        rules = leadspec.loads(rules_text(body))
    except leadspec.RulesError as exc:
        # the grammar is typed, so only values that cannot be computed at load (1 // 0, huge) and enums may be refused
        assert {p.code for p in exc.problems} <= {"constant-error", "too-large", "enum-value", "too-deep", "type-mismatch"}, str(exc)
        assume(False)
        return
    reference = unfolded(rules, expression)
    folded = rules._plan.criteria[-1].checked
    for _ in range(4):
        lead = data.draw(leads)
        result = rules.evaluate(lead, as_of=AS_OF)
        want = _run(reference, rules, result)
        assert _run(folded, rules, result) == want, ("folded != unfolded", expression, lead)
        for crit, (policy, decided) in zip(result.criteria, POLICY.items()):
            expected = None if want is ERROR else decided if want is None else want
            assert crit.outcome == OUT[expected], (expression, policy, lead, rules.generated_source())
        assert rules.stage(lead, as_of=AS_OF) == result.stage, (expression, lead)
