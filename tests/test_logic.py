"""Laws: Kleene logic, and generated code agreeing with the reference interpreter."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import leadspec
from leadspec._interp import interpret, truth
from conftest import rules_text

AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
OUT = {True: "pass", False: "fail", None: "unknown"}

# -- Kleene logic ---------------------------------------------------------------
# An independent definition: order False < unknown < True; `and` is the
# minimum, `or` the maximum, `not` reverses the order.
RANK = {False: 0, None: 1, True: 2}
BY_RANK = {v: k for k, v in RANK.items()}


def k_and(*xs: bool | None) -> bool | None:
    return BY_RANK[min(RANK[x] for x in xs)]


def k_or(*xs: bool | None) -> bool | None:
    return BY_RANK[max(RANK[x] for x in xs)]


def k_not(x: bool | None) -> bool | None:
    return BY_RANK[2 - RANK[x]]


LAWS = {
    "f and g": lambda f, g, h: k_and(f, g),
    "f or g": lambda f, g, h: k_or(f, g),
    "not f": lambda f, g, h: k_not(f),
    "f and g and h": lambda f, g, h: k_and(f, g, h),
    "f or g or h": lambda f, g, h: k_or(f, g, h),
    "not (f and g)": lambda f, g, h: k_or(k_not(f), k_not(g)),  # De Morgan
    "not (f or g)": lambda f, g, h: k_and(k_not(f), k_not(g)),  # De Morgan
    "f and (g or h)": lambda f, g, h: k_or(k_and(f, g), k_and(f, h)),  # distributivity
    "f or (g and h)": lambda f, g, h: k_and(k_or(f, g), k_or(f, h)),
    "f or not f": lambda f, g, h: k_or(f, k_not(f)),  # not a tautology: unknown stays unknown
    "f and True": lambda f, g, h: f,
    "f or False": lambda f, g, h: f,
    "f and False": lambda f, g, h: False,
    "f or True": lambda f, g, h: True,
    "not not f": lambda f, g, h: f,
    "f == g": lambda f, g, h: None if f is None or g is None else f == g,
}

LOGIC_RULES = leadspec.loads(
    rules_text(
        "fields: {f: {type: boolean}, g: {type: boolean}, h: {type: boolean}}\n"
        "stages:\n"
        "  - id: s\n"
        "    all:\n" + "".join(f"      - {{id: law{i}, when: '{law}'}}\n" for i, law in enumerate(LAWS))
    )
)
three = st.sampled_from([True, False, None])


@given(f=three, g=three, h=three)
def test_kleene_laws(f: bool | None, g: bool | None, h: bool | None) -> None:
    lead = {k: v for k, v in {"f": f, "g": g, "h": h}.items() if v is not None}
    result = LOGIC_RULES.evaluate(lead, as_of=AS_OF)
    outcomes = {c.id: c.outcome for c in result.criteria}
    for i, (law, expected) in enumerate(LAWS.items()):
        assert outcomes[f"s.law{i}"] == OUT[expected(f, g, h)], law


def test_groups_follow_kleene_logic() -> None:
    rules = leadspec.loads(
        rules_text(
            """
            fields: {f: {type: boolean}, g: {type: boolean}, h: {type: boolean}}
            stages:
              - id: s
                all:
                  - {id: g_all, all: [{id: a1, when: f}, {id: a2, when: g}]}
                  - {id: g_any, any: [{id: b1, when: f}, {id: b2, when: g}]}
                  - {id: g_none, none: [{id: c1, when: f}, {id: c2, when: g}]}
                  - {id: g_two, at_least: {n: 2, of: [{id: d1, when: f}, {id: d2, when: g}, {id: d3, when: h}]}}
            """
        )
    )
    for f in (True, False, None):
        for g in (True, False, None):
            for h in (True, False, None):
                lead = {k: v for k, v in {"f": f, "g": g, "h": h}.items() if v is not None}
                got = {c.id: c.outcome for c in rules.evaluate(lead, as_of=AS_OF).criteria}
                assert got["s.g_all"] == OUT[k_and(f, g)]
                assert got["s.g_any"] == OUT[k_or(f, g)]
                assert got["s.g_none"] == OUT[k_not(k_or(f, g))]
                passed = [f, g, h].count(True)
                unknown = [f, g, h].count(None)
                want = True if passed >= 2 else (False if passed + unknown < 2 else None)
                assert got["s.g_two"] == OUT[want], (f, g, h)


# -- generated code == reference interpreter ------------------------------------------
FIELDS = """
fields:
  a: {type: integer}
  b: {type: integer}
  x: {type: number}
  s: {type: string}
  e: {type: enum, values: [red, green, blue]}
  f: {type: boolean}
  g: {type: boolean, default: false}
  tags: {type: list}
  d: {type: date}
  ev: {type: events}
lists:
  colours: [red, blue]
  words: [ab, cd, x]
scores:
  engagement:
    window: 30d
    events: {demo: 10, view: {points: 1, max: 3}}
"""

small_int = st.integers(-5, 5)


def num_expr() -> st.SearchStrategy[str]:
    leaves = st.one_of(
        st.sampled_from(["a", "b", "x", "len(s)", "len(tags)", "count('demo')", "count(['demo', 'view'], within='7d')", "score('engagement')", "days_since(d)", "days_since(last('view'))"]),
        small_int.map(str),
        st.floats(-3, 3, allow_nan=False).map(lambda v: repr(round(v, 2))),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "//", "%"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda v: f"-{v}"),
            inner.map(lambda v: f"abs({v})"),
            st.tuples(inner, inner).map(lambda t: f"min({t[0]}, {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"max({t[0]}, {t[1]})"),
            inner.map(lambda v: f"round({v})"),
        ),
        max_leaves=4,
    )


def str_expr() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["s", "e", "lower(s)", "upper(e)", "domain(s)", "'ab'", "'red'"]),
    )


def bool_expr() -> st.SearchStrategy[str]:
    num = num_expr()
    text = str_expr()
    atoms = st.one_of(
        st.sampled_from(["f", "g", "has(a)", "has(s)", "True", "False", "e in colours", "e not in ['red']", "s in words", "'ab' in tags"]),
        st.tuples(num, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), num).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.tuples(num, num, num).map(lambda t: f"{t[0]} <= {t[1]} < {t[2]}"),
        st.tuples(text, text).map(lambda t: f"{t[0]} == {t[1]}"),
        st.tuples(text, st.sampled_from(["contains", "startswith", "endswith"]), st.sampled_from(["'a'", "'B'", "s"])).map(
            lambda t: f"{t[1]}({t[0]}, {t[2]})"
        ),
        text.map(lambda t: f"contains_any({t}, words)"),
        num.map(lambda n: f"({n}) and f"),
    )
    return st.recursive(
        atoms,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda v: f"not ({v})"),
        ),
        max_leaves=5,
    )


maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731
events = st.lists(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["demo", "view", "other"]), "at": st.integers(-60, 5).map(lambda d: (AS_OF + timedelta(days=d, hours=3)).isoformat())}
    ),
    max_size=6,
)
leads = st.fixed_dictionaries(
    {},
    optional={
        "a": maybe(st.one_of(small_int, small_int.map(str), st.just("lots"))),
        "b": maybe(small_int),
        "x": maybe(st.one_of(st.floats(-4, 4, allow_nan=False), st.just("2.5"))),
        "s": maybe(st.sampled_from(["", "ab", "Ann@Example.com", "red", "x", "  spaced  "])),
        "e": maybe(st.sampled_from(["red", "GREEN", "Blue", "purple", ""])),
        "f": maybe(st.sampled_from([True, False, "yes", "no", "maybe"])),
        "g": maybe(st.booleans()),
        "tags": maybe(st.one_of(st.sampled_from(["ab;cd", "", '["ab"]']), st.lists(st.sampled_from(["ab", "x"]), max_size=3))),
        "d": maybe(st.sampled_from(["2026-10-01", "2026-11-01", "01/02/2026"])),
        "ev": maybe(events),
    },
)


def _interpreted(rules: leadspec.Ruleset, result: leadspec.Result) -> bool | None:
    plan = rules._plan
    checked = plan.criteria[-1].checked
    scores = {s.name: total for s, total in zip(plan.scores, result._raw[3])}
    try:
        value = interpret(checked.expr, result._ivalues, plan.lists, scores, result._ivalues["ev"], AS_OF)
    except Exception:
        return None
    return truth(value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expression=bool_expr(), data=st.data())
def test_compiled_code_agrees_with_the_simpleeval_interpreter(expression: str, data: st.DataObject) -> None:
    try:
        rules = leadspec.loads(rules_text(FIELDS + f"stages:\n  - id: s\n    when: >-\n      {expression}\n"))
    except leadspec.RulesError as exc:
        # only type errors may be refused: the grammar mixes numbers and text
        assert {p.code for p in exc.problems} <= {"type-mismatch", "enum-value", "constant-error", "too-large"}, str(exc)
        assume(False)
        return
    for _ in range(5):
        lead = data.draw(leads)
        result = rules.evaluate(lead, as_of=AS_OF)
        compiled = result.criteria[-1].outcome
        assert compiled == OUT[_interpreted(rules, result)], (expression, lead, rules.generated_source())
        assert rules.stage(lead, as_of=AS_OF) == result.stage, (expression, lead)


def test_the_interpreter_computes_with_simpleevals_limits() -> None:
    """Text and lists built at evaluation are bounded by simpleeval's safe operators, in the interpreter too."""
    import simpleeval

    from leadspec._interp import Interpreter
    from leadspec.plan import Arith, Const, Name, Type

    text, number = Type("str", nullable=False), Type("num", integral=True)
    repeat = Arith("*", Const("ab", text), Name("n", number), Type("str"))
    interpreter = Interpreter({"n": 3}, {}, {}, None, AS_OF)
    assert interpreter.run(repeat) == "ababab"
    with pytest.raises(simpleeval.IterableTooLong):
        Interpreter({"n": 10**6}, {}, {}, None, AS_OF).run(repeat)
    power = Arith("**", Const(10, number), Name("n", number), Type("num"))
    with pytest.raises(simpleeval.NumberTooHigh):
        Interpreter({"n": 10**6}, {}, {}, None, AS_OF).run(power)


@settings(max_examples=200, deadline=None)
@given(lead=leads)
def test_reference_interpreter_matches_on_fixed_expressions(lead: dict[str, Any]) -> None:
    expressions = [
        "50 <= a * 10 <= 5000",
        "e in colours and not f",
        "count('demo', within='30d') >= 1 or score('engagement') >= 10",
        "contains_any(s, words) or domain(s) == 'example.com'",
        "days_since(d) > 3",
        "(x + 1) > 1",
    ]
    body = FIELDS + "stages:\n  - id: s\n    all:\n" + "".join(f"      - {{id: c{i}, when: \"{e}\"}}\n" for i, e in enumerate(expressions))
    rules = leadspec.loads(rules_text(body))
    result = rules.evaluate(lead, as_of=AS_OF)
    plan = rules._plan
    scores = {s.name: total for s, total in zip(plan.scores, result._raw[3])}
    for crit, got in zip(plan.criteria, result.criteria):
        try:
            want = truth(interpret(crit.checked.expr, result._ivalues, plan.lists, scores, result._ivalues["ev"], AS_OF))
        except Exception:
            want = None
        assert got.outcome == OUT[want], crit.id
