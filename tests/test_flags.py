"""Flags outside the funnel (docs/rule-files.md, "Flags"): named criteria evaluated for every lead.

A flag is true, false or unknown for every lead whatever its stage
(disqualified leads too), is reported on every result, and reads as a
boolean by name in any expression: stages, disqualifiers, score rules,
``because`` texts and other flags. The engine's two paths and the
reference interpreter agree on them.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

import leadspec
from conftest import problems_of, rules_text
from leadspec import reference
from leadspec.plan import FlagName, Plan, unparse, walk

AS_OF = "2026-11-01"

MAVEN = rules_text(
    """
    fields:
      opportunity_id: {type: string}
      deal_stage: {type: enum, values: [Prospecting, Engaging, Won, Lost]}
      employees: {type: integer}
      sector: {type: string}
    flags:
      customer: deal_stage == 'Won'
      competitor:
        when: sector == 'competitor'
        because: "{sector} sells what we sell"
      big_customer: customer and employees >= 1000
      needs_enrichment: {when: not has(employees), missing: pass}
    scores:
      fit:
        rules:
          - {id: existing, when: customer, points: 10}
    disqualify:
      - rival: competitor
    stages:
      - id: icp
        when: 100 <= employees <= 5000 and not customer
    """
)
RULES = leadspec.loads(MAVEN)

LEADS: list[dict[str, Any]] = [
    {"deal_stage": "Won", "employees": 10},  # a Won opportunity at a non-ICP account
    {"deal_stage": "Lost", "employees": 1000},
    {"deal_stage": "Won", "employees": 2000, "sector": "competitor"},
    {},
]


def test_a_won_opportunity_at_a_non_icp_account_is_flagged_customer() -> None:
    result = RULES.evaluate(LEADS[0], as_of=AS_OF)
    assert result.stage == "lead"
    assert result.flags == {"customer": True, "competitor": None, "big_customer": False, "needs_enrichment": False}
    assert result.to_dict()["flags"] == result.flags
    assert result.scores["fit"].total == 10  # a score rule reads the flag


def test_flags_are_evaluated_for_disqualified_leads_too() -> None:
    result = RULES.evaluate(LEADS[2], as_of=AS_OF)
    assert result.stage == "disqualified"
    assert result.flags == {"customer": True, "competitor": True, "big_customer": True, "needs_enrichment": False}


def test_an_unknown_flag_is_none_and_its_missing_policy_decides() -> None:
    result = RULES.evaluate({}, as_of=AS_OF)
    assert result.flags == {"customer": None, "competitor": None, "big_customer": None, "needs_enrichment": True}
    lenient = leadspec.loads(MAVEN.replace("customer: deal_stage == 'Won'", "customer: {when: deal_stage == 'Won', missing: fail}"))
    got = lenient.evaluate({"employees": 200}, as_of=AS_OF)
    assert got.flags["customer"] is False and got.stage == "icp"  # the policy's outcome is what the stage reads


@pytest.mark.parametrize("lead", LEADS)
def test_the_engine_s_two_paths_and_the_reference_agree(lead: dict[str, Any]) -> None:
    result = RULES.evaluate(lead, as_of=AS_OF)
    oracle = reference.evaluate(RULES.plan, lead, AS_OF)
    outcome = {True: "pass", False: "fail", None: "unknown"}
    assert oracle.flags == {name: outcome[value] for name, value in result.flags.items()}
    assert (oracle.stage, oracle.criteria) == (result.stage, {c.id: c.outcome for c in result.criteria})
    assert RULES.stage(lead, as_of=AS_OF) == result.stage


def test_the_plan_lists_flags_in_evaluation_order_with_flag_nodes() -> None:
    plan = RULES.plan
    assert [c.id for c in plan.flags] == ["flags.customer", "flags.competitor", "flags.big_customer", "flags.needs_enrichment"]
    assert plan.criteria[: len(plan.flags)] == plan.flags
    big = plan.flag("big_customer")
    assert [n.id for n in walk(big.expr) if isinstance(n, FlagName)] == ["customer"]  # type: ignore[arg-type]
    assert unparse(big.expr) == "customer and employees >= 1000"  # type: ignore[arg-type]
    assert plan.flag("competitor").location.line == 12
    with pytest.raises(KeyError):
        plan.flag("partner")


def test_a_flag_read_before_it_is_written_is_evaluated_first() -> None:
    rules = leadspec.loads(
        rules_text(
            """
            fields: {deal_stage: {type: string}, employees: {type: integer}}
            flags:
              big_customer: customer and employees >= 1000
              customer: deal_stage == 'Won'
            stages: [{id: s, when: big_customer}]
            """
        )
    )
    assert [c.id for c in rules.plan.flags] == ["flags.customer", "flags.big_customer"]
    lead = {"deal_stage": "Won", "employees": 5000}
    assert rules.evaluate(lead, as_of=AS_OF).flags == {"customer": True, "big_customer": True}
    assert rules.stage(lead, as_of=AS_OF) == "s"


def test_the_plan_round_trips_through_json_and_refuses_flags_out_of_order() -> None:
    text = RULES.plan.to_json()
    assert Plan.from_json(text) == RULES.plan
    assert "FlagName" in str(Plan.json_schema()["$defs"]["Expr"])
    with pytest.raises(ValueError, match=r"flags\[2\]\.expr: flag 'partner' is read before it is evaluated"):
        Plan.from_json(text.replace('"node": "FlagName", "id": "customer"', '"node": "FlagName", "id": "partner"'))
    plain = leadspec.loads(rules_text("fields: {n: {type: integer}}\nflags: {big: n > 9}\nstages: [{id: s, when: big}]\n")).plan.to_json()
    with pytest.raises(ValueError, match=r"stages\[0\]\.condition\.items\[0\]\.expr\.id: 'partner' is not a flag of this plan; flags: big"):
        Plan.from_json(plain.replace('"node": "FlagName", "id": "big"', '"node": "FlagName", "id": "partner"'))


def test_explain_lists_the_flags_and_summary_names_the_true_ones() -> None:
    result = RULES.evaluate({**LEADS[2], "sector": "competitor"}, as_of=AS_OF)
    text = result.explain()
    assert "Flags: customer (deal_stage is Won (deal_stage equal to 'Won')); competitor (competitor sells what we sell); big_customer (" in text
    assert "not needs_enrichment" in text
    assert result.summary().endswith("flags customer, competitor, big_customer")
    unknown = RULES.evaluate({"deal_stage": "Won"}, as_of=AS_OF)
    assert "big_customer unknown (employees is missing)" in unknown.explain()
    assert "flags" not in RULES.evaluate({"deal_stage": "Lost", "employees": 5, "sector": "x"}, as_of=AS_OF).summary()


def test_a_criterion_that_reads_a_flag_shows_its_value() -> None:
    result = RULES.evaluate({"deal_stage": "Lost", "employees": 1000}, as_of=AS_OF)
    icp = next(c for c in result.criteria if c.id == "icp.when")
    assert icp.values == {"employees": 1000, "customer": False}
    unknown = RULES.evaluate({"employees": 1000}, as_of=AS_OF)
    assert next(c for c in unknown.criteria if c.id == "icp.when").because == "flag customer is unknown"


def test_a_file_without_flags_has_none() -> None:
    rules = leadspec.loads(rules_text("fields: {n: {type: integer}}\nstages: [{id: s, when: n > 1}]\n"))
    result = rules.evaluate({"n": 2}, as_of=AS_OF)
    assert rules.plan.flags == () and result.flags == {} and result.to_dict()["flags"] == {}
    assert "Flags" not in result.explain()


@pytest.mark.parametrize(
    ("flags", "code", "line", "column", "words"),
    [
        ("  a: b\n  b: a\n", "flag-cycle", 6, 6, "flag 'a' depends on itself: a → b → a"),
        ("  a: a or n > 1\n", "flag-cycle", 6, 6, "flag 'a' depends on itself: a → a"),
        ("  n: n > 1\n", "duplicate-id", 6, 3, "flag 'n' has the name of a field"),
        ("  big: n + 1\n", "type-mismatch", 6, 8, "flag 'big' is a number, not true or false"),
        ("  a: score('fit') > 1\n", "score-order", 6, 12, "a flag cannot read score 'fit': flags are evaluated before the scores"),  # flags come before scores
        ("  a: {because: x}\n", "missing-key", 6, 6, "required key 'when' is missing"),
    ],
)
def test_broken_flags_are_located_problems(flags: str, code: str, line: int, column: int, words: str) -> None:
    text = rules_text("fields: {n: {type: integer}}\nscores: {fit: {rules: [{id: r, when: n > 1, points: 1}]}}\nflags:\n" + flags + "stages: [{id: s, when: n > 1}]\n")
    found = problems_of(text)
    assert [(p.code, p.line, p.column) for p in found] == [(code, line, column)], found
    assert words in found[0].message


def test_flags_share_the_namespace_of_lists_and_scores() -> None:
    found = problems_of(rules_text("fields: {n: {type: integer}}\nlists: {tags: [a]}\nflags: {tags: n > 1}\nstages: [{id: s, when: n > 1}]\n"))
    assert [p.code for p in found] == ["duplicate-id"] and "fields, lists, flags and scores share one namespace" in found[0].message


def test_a_stage_named_flags_is_reserved_only_in_a_file_with_flags() -> None:
    assert leadspec.loads(rules_text("fields: {n: {type: integer}}\nstages: [{id: flags, when: n > 1}]\n")).plan.stage("flags")
    found = problems_of(rules_text("fields: {n: {type: integer}}\nflags: {when: n > 1}\nstages: [{id: flags, when: n > 1}]\n"))
    assert [p.code for p in found] == ["duplicate-id"]


def test_a_long_chain_of_flags_written_last_first_loads_and_agrees() -> None:
    # each flag reads the one below it; the file lists them from the top: the order is found without recursion
    n = 1500
    body = "leadspec: 1\nname: t\nfields:\n  a: {type: integer}\nflags:\n" + "".join(f"  f{i}: f{i - 1}\n" for i in range(n, 1, -1))
    rules = leadspec.loads(body + "  f1: a > 1\nstages:\n  - id: s\n    when: f1500\n")  # was RecursionError
    assert [c.id for c in rules.plan.flags[:2]] == ["flags.f1", "flags.f2"]
    as_of = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for lead, stage in (({"a": 5}, "s"), ({"a": 0}, "lead")):
        assert rules.stage(lead, as_of=as_of) == rules.evaluate(lead, as_of=as_of).stage == reference.evaluate(rules.plan, lead, as_of).stage == stage
