"""The complete example of FORMAT.md section 1 loads and behaves as written."""

from __future__ import annotations

import json

import pytest

import leadspec
from leadspec._testfile import run_file
from conftest import FIXTURES

RULES = FIXTURES / "acme-b2b.yaml"
CASES = run_file(FIXTURES / "acme-b2b.test.yaml")


@pytest.mark.parametrize("case", CASES, ids=[c.name[:60] for c in CASES])
def test_case(case) -> None:
    assert case.passed, "\n".join(case.failures)


def test_every_stage_is_covered_by_the_cases() -> None:
    rules = leadspec.load(RULES)
    assert {c.result.stage for c in CASES} == set(rules.stage_ids)


MQL_LEAD = {
    "NumberOfEmployees": "250",
    "industry": "SaaS",
    "company": {"country": "US"},
    "seniority": "vp",
    "email": "ana@bigco.example",
    "events": [{"type": "demo_request", "at": "2026-10-25T10:00:00Z"}],
}


def test_result_has_the_documented_shape() -> None:
    rules = leadspec.load(RULES)
    result = rules.evaluate(MQL_LEAD, as_of="2026-11-01T00:00:00Z")
    data = result.to_dict()
    assert list(data) == [
        "stage", "label", "owner", "sla", "description", "disqualified", "stages", "flags", "criteria", "scores", "next",
        "missing", "issues", "ruleset", "as_of",
    ]  # the stage and its metadata, then the outcomes; `flags` is {} in a file without flags
    assert data["flags"] == {}
    assert data["stage"] == "mql"
    assert data["label"] == "Marketing qualified lead"
    assert data["owner"] == "marketing"
    assert data["disqualified"] is False
    assert data["stages"] == {"icp": "pass", "mql": "pass", "sql": "unknown"}
    size = next(c for c in data["criteria"] if c["id"] == "icp.size")
    assert size == {"id": "icp.size", "outcome": "pass", "because": "250 employees (target 50–5,000)", "values": {"employees": 250}}
    timeline = next(c for c in data["criteria"] if c["id"] == "sql.timeline")
    assert timeline == {"id": "sql.timeline", "outcome": "unknown", "because": "timeline_days is missing", "values": {"timeline_days": None}}
    demo = next(c for c in data["criteria"] if c["id"] == "mql.demo_request")
    assert demo["because"] == "requested a demo 6 days ago"
    assert demo["values"] == {"count('demo_request', within='30d')": 1}
    assert data["scores"]["engagement"] == {"total": 30, "contributions": [{"id": "demo_request", "points": 30, "count": 1}]}
    assert data["next"] == {"stage": "sql", "blocked_by": ["sql.budget", "sql.authority", "sql.timeline"]}
    assert data["ruleset"]["name"] == "acme-b2b" and data["ruleset"]["version"] == "2026-Q4"
    assert data["ruleset"]["owners"] == ["marketing-ops@acme.example", "sales-ops@acme.example"]
    assert data["ruleset"]["description"].startswith("Agreed ICP, MQL and SQL definitions")
    assert data["sla"] is None and data["description"] is None  # the mql stage has neither
    assert data["ruleset"]["digest"].startswith("sha256:") and len(data["ruleset"]["digest"]) == 71
    assert data["as_of"] == "2026-11-01T00:00:00Z"
    assert [c["id"] for c in data["criteria"]] == [
        "fit.senior_buyer",
        "fit.student",
        "disqualify.competitor",
        "disqualify.personal_email",
        "icp.size",
        "icp.industry",
        "icp.country",
        "icp.buyer",
        "mql.demo_request",
        "mql.engaged",
        "sql.budget",
        "sql.authority",
        "sql.timeline",
    ]
    json.dumps(data)  # JSON-ready
    model = result.to_model()
    assert isinstance(model, leadspec.ResultModel)
    assert model.next is not None and model.next.blocked_by == data["next"]["blocked_by"]
    assert model.scores["fit"].contributions[0].outcome == "pass"
    assert model.as_of.isoformat() == "2026-11-01T00:00:00+00:00"


def test_explanation_reads_at_a_glance() -> None:
    rules = leadspec.load(RULES)
    text = rules.evaluate(MQL_LEAD, as_of="2026-11-01T00:00:00Z").explain()
    lines = text.splitlines()
    assert lines[0] == "MQL — Marketing qualified lead (owner: marketing)"
    assert "  ✓ icp.size: 250 employees (target 50–5,000)" in lines
    assert "  ✓ mql.demo_request: requested a demo 6 days ago" in lines
    assert "Next: Sales qualified lead — blocked by:" in lines
    assert "  ? sql.timeline: timeline_days is missing" in lines
    assert "Missing data: title, budget_confirmed, decision_maker, timeline_days" in lines


def test_disqualified_explanation_says_why_and_what_it_would_have_been() -> None:
    rules = leadspec.load(RULES)
    result = rules.evaluate({**MQL_LEAD, "email": "ana@gmail.com"}, as_of="2026-11-01T00:00:00Z")
    assert result.stage == "disqualified" and result.disqualified
    lines = result.explain().splitlines()
    assert lines[0] == "Disqualified"
    assert "  ✗ uses a personal address (gmail.com) (disqualify.personal_email)" in lines
    assert "  otherwise: Marketing qualified lead" in lines
    assert result.next is not None and result.next.blocked_by[0] == "disqualify.personal_email"


def test_failed_criterion_names_the_values_it_used() -> None:
    rules = leadspec.load(RULES)
    result = rules.evaluate({**MQL_LEAD, "NumberOfEmployees": "12"}, as_of="2026-11-01T00:00:00Z")
    size = next(c for c in result.criteria if c.id == "icp.size")
    assert size.outcome == "fail"
    assert size.because == "employees is 12, needs employees from 50 to 5,000"
    assert result.next is not None and result.next.blocked_by == ["icp.size"]
    assert result.summary() == "Lead; not ICP fit: icp.size fail; missing title, budget_confirmed, decision_maker, timeline_days"


def test_a_disqualifier_that_does_not_apply_says_so() -> None:
    rules = leadspec.load(RULES)
    result = rules.evaluate(MQL_LEAD, as_of="2026-11-01T00:00:00Z")
    competitor = next(c for c in result.criteria if c.id == "disqualify.competitor")
    assert competitor.outcome == "fail"
    assert competitor.because == "is_competitor is no (does not meet is_competitor true)"


def test_outcome_from_a_missing_policy_is_explained_as_such() -> None:
    from conftest import rules_text

    rules = leadspec.loads(
        rules_text(
            """
            fields: {country: {type: string}, ok: {type: boolean}}
            lists: {served: [US, DE]}
            stages:
              - id: s
                all:
                  - {id: market, when: country in served, missing: pass, because: "serves {country}"}
                  - {id: either, when: ok or country in served, missing: fail}
            """
        )
    )
    result = rules.evaluate({"ok": True}, as_of="2026-11-01")
    by_id = {c.id: c for c in result.criteria}
    assert by_id["s.market"].outcome == "pass"
    assert by_id["s.market"].because == "country is missing (counted as pass: country one of served ('US', 'DE'))"
    # `ok or ...` passes on its own: the policy did not decide it, so it is not blamed on the missing value
    assert by_id["s.either"].outcome == "pass"
    assert by_id["s.either"].because == "ok is yes, country is missing (ok true or country one of served ('US', 'DE'))"
    result = rules.evaluate({"ok": False}, as_of="2026-11-01")
    assert {c.id: c.because for c in result.criteria}["s.either"] == "country is missing (counted as fail: ok true or country one of served ('US', 'DE'))"


def test_stage_metadata_is_carried_into_results() -> None:
    rules = leadspec.load(RULES)
    lead = {**MQL_LEAD, "budget_confirmed": True, "decision_maker": True, "timeline_days": 30}
    result = rules.evaluate(lead, as_of="2026-11-01T00:00:00Z")
    assert (result.stage, result.owner, result.sla) == ("sql", "sales", "15m")
    assert result.to_dict()["sla"] == "15m"


def test_result_parts_cannot_be_changed_from_outside() -> None:
    rules = leadspec.load(RULES)
    result = rules.evaluate(MQL_LEAD, as_of="2026-11-01T00:00:00Z")
    before = result.to_dict()
    result.stages["icp"] = "fail"
    result.missing.clear()
    result.criteria.pop()
    result.scores.clear()
    result.values.clear()
    assert result.to_dict() == before
