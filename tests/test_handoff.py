"""The hand-off (issue 12): ``evaluate(..., previous=Previous(stage, since))`` and ``Result.handoff``.

Every expected value here is worked out by hand from the rule file below:
the stages' owners and SLAs, the previous state and ``as_of``.
"""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone

import pytest

import leadspec
from leadspec import Previous

RULES = leadspec.loads(
    """
leadspec: 1
name: handoff-test
fields:
  employees: {type: integer}
  demo: {type: boolean}
  budget: {type: boolean}
  student: {type: boolean}
  touched_at: {type: datetime, role: touched}
disqualify:
  - {id: student, when: student}
stages:
  - {id: icp, when: employees >= 50, owner: marketing}
  - {id: mql, when: demo, owner: sdr, sla: 15m}
  - {id: sql, when: budget, owner: ae, sla: 4h, label: Sales qualified}
""",
    name="handoff.yaml",
)
SQL = {"employees": "100", "demo": "yes", "budget": "yes"}
MQL = {"employees": "100", "demo": "yes"}
ICP = {"employees": "100"}
LEAD: dict[str, str] = {}
STUDENT = {"student": "yes", "employees": "100", "demo": "yes"}
UTC = timezone.utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def handoff(lead: dict[str, str], as_of: str, previous: Previous) -> leadspec.Handoff:
    h = RULES.evaluate(lead, as_of=as_of, previous=previous).handoff
    assert h is not None
    return h


def test_up_a_changed_stage_starts_its_clock_at_as_of() -> None:
    h = handoff(SQL, "2026-11-01T10:00:00Z", Previous("mql", "2026-11-01T08:00:00Z"))
    assert (h.previous_stage, h.stage, h.direction) == ("mql", "sql", "up")
    assert (h.previous_owner, h.owner, h.sla) == ("sdr", "ae", "4h")
    assert h.since == at("2026-11-01T10:00:00Z")
    assert h.due == at("2026-11-01T14:00:00Z")
    assert h.overdue is False and h.touched is None


def test_down() -> None:
    h = handoff(MQL, "2026-11-01T10:00:00Z", Previous("sql", "2026-10-30T08:00:00Z"))
    assert (h.direction, h.owner, h.previous_owner) == ("down", "sdr", "ae")
    assert h.since == at("2026-11-01T10:00:00Z") and h.due == at("2026-11-01T10:15:00Z")


def test_same_keeps_since_and_the_deadline_can_pass() -> None:
    h = handoff(SQL, "2026-11-01T13:00:00Z", Previous("sql", "2026-11-01T08:00:00Z"))
    assert (h.direction, h.previous_owner, h.owner) == ("same", "ae", "ae")
    assert h.since == at("2026-11-01T08:00:00Z") and h.due == at("2026-11-01T12:00:00Z")
    assert h.overdue is True
    exactly = handoff(SQL, "2026-11-01T12:00:00Z", Previous("sql", "2026-11-01T08:00:00Z"))
    assert exactly.overdue is False  # due at 12:00 is still in time at 12:00


def test_same_without_a_known_since_has_no_deadline() -> None:
    h = handoff(SQL, "2026-11-01T13:00:00Z", Previous("sql"))
    assert h.direction == "same" and h.since is None and h.due is None and h.overdue is False
    assert h.sla == "4h"


def test_new_lead() -> None:
    for previous in (Previous(), Previous(None)):
        h = handoff(MQL, "2026-11-01T10:00:00Z", previous)
        assert (h.previous_stage, h.direction, h.previous_owner, h.owner) == (None, "new", None, "sdr")
        assert h.since == at("2026-11-01T10:00:00Z") and h.due == at("2026-11-01T10:15:00Z")


def test_a_stage_without_an_owner_or_sla() -> None:
    h = handoff(ICP, "2026-11-01T10:00:00Z", Previous("lead", "2026-10-01T00:00:00Z"))
    assert (h.direction, h.owner, h.previous_owner, h.sla, h.due, h.overdue) == ("up", "marketing", None, None, None, False)


def test_disqualified_is_the_bottom_of_the_funnel() -> None:
    down = handoff(STUDENT, "2026-11-01T10:00:00Z", Previous("mql", "2026-11-01T09:00:00Z"))
    assert (down.stage, down.direction, down.owner, down.previous_owner, down.sla, down.due) == ("disqualified", "down", None, "sdr", None, None)
    up = handoff(LEAD, "2026-11-01T10:00:00Z", Previous("disqualified", "2026-10-01T00:00:00Z"))
    assert (up.stage, up.direction) == ("lead", "up")
    stays = handoff(STUDENT, "2026-11-01T10:00:00Z", Previous("disqualified", "2026-10-01T00:00:00Z"))
    assert (stays.direction, stays.since) == ("same", at("2026-10-01T00:00:00Z"))


def test_every_pair_of_stages_has_the_direction_of_the_funnel_order() -> None:
    leads = {"disqualified": STUDENT, "lead": LEAD, "icp": ICP, "mql": MQL, "sql": SQL}
    order = ["disqualified", "lead", "icp", "mql", "sql"]  # written by hand: the funnel, bottom to top
    for i, before in enumerate(order):
        for j, now in enumerate(order):
            h = handoff(leads[now], "2026-11-01T10:00:00Z", Previous(before, "2026-10-01T00:00:00Z"))
            assert h.stage == now
            assert h.direction == ("same" if i == j else "up" if j > i else "down"), (before, now)


def test_deadlines_across_midnight_and_time_zones() -> None:
    # as_of 22:30 in New York (UTC-5) is 03:30 UTC the next day; a new SQL is due 4 hours later
    h = handoff(SQL, "2026-11-01T22:30:00-05:00", Previous())
    assert h.since == at("2026-11-02T03:30:00Z") and h.due == at("2026-11-02T07:30:00Z")
    assert h.since.tzinfo is not None and h.since.utcoffset() == timedelta(0)
    # entered at 08:00 in Tokyo (23:00 UTC the day before), due at 03:00 UTC: overdue at 03:30 UTC
    tokyo = timezone(timedelta(hours=9))
    late = handoff(SQL, "2026-11-02T03:30:00Z", Previous("sql", datetime(2026, 11, 2, 8, 0, tzinfo=tokyo)))
    assert late.since == at("2026-11-01T23:00:00Z") and late.due == at("2026-11-02T03:00:00Z") and late.overdue is True
    # a naive since is UTC, as a naive as_of is
    naive = handoff(SQL, datetime(2026, 11, 2, 3, 30), Previous("sql", datetime(2026, 11, 1, 23, 0)))  # type: ignore[arg-type]
    assert naive.due == at("2026-11-02T03:00:00Z") and naive.overdue is True


def test_the_first_touch_stops_the_clock() -> None:
    previous = Previous("sql", "2026-11-01T08:00:00Z")  # due 12:00
    in_time = handoff({**SQL, "touched_at": "2026-11-01T11:00:00Z"}, "2026-11-01T13:00:00Z", previous)
    assert in_time.touched == at("2026-11-01T11:00:00Z") and in_time.overdue is False
    too_late = handoff({**SQL, "touched_at": "2026-11-01T12:30:00Z"}, "2026-11-01T13:00:00Z", previous)
    assert too_late.touched == at("2026-11-01T12:30:00Z") and too_late.overdue is True
    # a touch before the lead entered its stage was for the stage before: the clock runs
    earlier = handoff({**SQL, "touched_at": "2026-11-01T07:00:00Z"}, "2026-11-01T13:00:00Z", previous)
    assert earlier.touched is None and earlier.overdue is True
    # a touch after as_of has not happened yet at as_of
    future = handoff({**SQL, "touched_at": "2026-11-01T14:00:00Z"}, "2026-11-01T11:00:00Z", previous)
    assert future.touched is None and future.overdue is False
    # a stage change restarts the clock: a touch of the old stage does not count for the new one
    moved = handoff({**SQL, "touched_at": "2026-11-01T09:00:00Z"}, "2026-11-01T10:00:00Z", Previous("mql", "2026-11-01T08:00:00Z"))
    assert moved.touched is None and moved.since == at("2026-11-01T10:00:00Z")


def test_a_bad_touch_is_an_issue_and_the_clock_runs() -> None:
    result = RULES.evaluate({**SQL, "touched_at": "soon"}, as_of="2026-11-01T13:00:00Z", previous=Previous("sql", "2026-11-01T08:00:00Z"))
    assert [i.field for i in result.issues] == ["touched_at"]
    assert result.handoff is not None and result.handoff.touched is None and result.handoff.overdue is True


def test_without_previous_there_is_no_handoff_and_the_json_is_unchanged() -> None:
    result = RULES.evaluate(SQL, as_of="2026-11-01T10:00:00Z")
    assert result.handoff is None
    assert "handoff" not in result.to_dict()


def test_the_handoff_in_json_and_the_model() -> None:
    result = RULES.evaluate(SQL, as_of="2026-11-01T10:00:00Z", previous=Previous("mql", "2026-11-01T08:00:00Z"))
    assert result.to_dict()["handoff"] == {
        "previous_stage": "mql",
        "stage": "sql",
        "direction": "up",
        "since": "2026-11-01T10:00:00Z",
        "owner": "ae",
        "previous_owner": "sdr",
        "sla": "4h",
        "due": "2026-11-01T14:00:00Z",
        "touched": None,
        "overdue": False,
    }
    model = result.to_model()
    assert model.handoff is not None and model.handoff.due == at("2026-11-01T14:00:00Z")
    again = pickle.loads(pickle.dumps(result))
    assert again.handoff == result.handoff and again == result


def test_explain_shows_owner_sla_and_the_handoff() -> None:
    up = RULES.evaluate(SQL, as_of="2026-11-01T10:00:00Z", previous=Previous("mql", "2026-11-01T08:00:00Z")).explain().splitlines()
    assert up[0] == "SQL — Sales qualified (owner: ae, SLA 4h)"
    assert up[1] == "Moved up from MQL to Sales qualified: ae owns it (was sdr), due by 2026-11-01 14:00 UTC (SLA 4h)."
    same = RULES.evaluate({**SQL, "touched_at": "2026-11-01T12:30:00Z"}, as_of="2026-11-01T13:00:00Z", previous=Previous("sql", "2026-11-01T08:00:00Z"))
    assert same.explain().splitlines()[1] == (
        "In Sales qualified since 2026-11-01 08:00 UTC: ae owns it, due by 2026-11-01 12:00 UTC (SLA 4h); touched 2026-11-01 12:30 UTC, after the SLA."
    )
    overdue = RULES.evaluate(MQL, as_of="2026-11-01T13:00:00Z", previous=Previous("mql", "2026-11-01T08:00:00Z"))
    assert overdue.explain().splitlines()[1] == "In MQL since 2026-11-01 08:00 UTC: sdr owns it, due by 2026-11-01 08:15 UTC (SLA 15m); overdue."
    new = RULES.evaluate(ICP, as_of="2026-11-01T13:00:00Z", previous=Previous())
    assert new.explain().splitlines()[:2] == ["ICP (owner: marketing)", "New lead, in ICP: marketing owns it, no SLA."]
    gone = RULES.evaluate(STUDENT, as_of="2026-11-01T13:00:00Z", previous=Previous("sql", "2026-11-01T08:00:00Z"))
    assert gone.explain().splitlines()[1] == "Moved down from Sales qualified to Disqualified: no owner (was ae), no SLA."
    assert "Moved" not in RULES.evaluate(SQL, as_of="2026-11-01T10:00:00Z").explain()


def test_a_previous_state_that_cannot_be_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"previous stage 'opportunity' is not a stage of handoff-test \(its stages: disqualified, lead, icp, mql, sql\)"):
        RULES.evaluate(SQL, as_of="2026-11-01T10:00:00Z", previous=Previous("opportunity"))
    with pytest.raises(ValueError, match="previous.since is given without previous.stage"):
        RULES.evaluate(SQL, as_of="2026-11-01T10:00:00Z", previous=Previous(None, "2026-11-01T08:00:00Z"))
    with pytest.raises(ValueError, match="previous.since: 'yesterday' is"):
        RULES.evaluate(SQL, as_of="2026-11-01T10:00:00Z", previous=Previous("sql", "yesterday"))
    with pytest.raises(TypeError, match=r"previous is a leadspec.Previous\(stage, since\), not tuple"):
        RULES.evaluate(SQL, as_of="2026-11-01T10:00:00Z", previous=("sql", None))  # type: ignore[arg-type]


def test_stage_info() -> None:
    assert [RULES.stage_info(s).rank for s in RULES.stage_ids] == [0, 1, 2, 3, 4]
    sql = RULES.stage_info("sql")
    assert (sql.id, sql.label, sql.owner, sql.sla) == ("sql", "Sales qualified", "ae", "4h")
    assert (RULES.stage_info("lead").label, RULES.stage_info("lead").owner) == ("Lead", None)
    assert RULES.stage_info("disqualified").label == "Disqualified"
    with pytest.raises(KeyError, match="'opportunity' is not a stage of handoff-test; its stages: disqualified, lead, icp, mql, sql"):
        RULES.stage_info("opportunity")


def test_role_touched_is_checked_where_it_is_written() -> None:
    with pytest.raises(leadspec.RulesError) as wrong_type:
        leadspec.loads(
            "leadspec: 1\nname: t\nfields:\n  x: {type: integer}\n  touched: {type: date, role: touched}\nstages:\n  - {id: a, when: x > 1}\n",
            name="t.yaml",
        )
    (problem,) = wrong_type.value.problems
    assert (problem.line, problem.code) == (5, "bad-value")
    assert "`role: touched` is for a datetime field" in problem.message and "not a date field" in problem.message
    with pytest.raises(leadspec.RulesError) as twice:
        leadspec.loads(
            "leadspec: 1\nname: t\nfields:\n  x: {type: integer}\n  a: {type: datetime, role: touched}\n"
            "  b: {type: datetime, role: touched}\nstages:\n  - {id: a, when: x > 1}\n",
            name="t.yaml",
        )
    (problem,) = twice.value.problems
    assert (problem.line, problem.code) == (6, "duplicate-id")
    assert "field 'b' has `role: touched`, but 'a' has it already" in problem.message
    assert RULES.plan.touched_field == "touched_at"
    assert [p.code for p in leadspec.lint(RULES)] == []  # the touch field is declared on purpose, not unused


def test_found_by_review_the_model_dump_without_a_handoff_is_the_json_as_before() -> None:
    # ResultModel.handoff defaulted to None, so every to_model() dump got "handoff": null
    result = RULES.evaluate(SQL, as_of="2026-11-01T10:00:00Z")
    assert result.to_model().model_dump(mode="json") == result.to_dict()
    with_handoff = RULES.evaluate(SQL, as_of="2026-11-01T10:00:00Z", previous=Previous("mql", "2026-11-01T08:00:00Z"))
    assert with_handoff.to_model().model_dump(mode="json") == with_handoff.to_dict()


def test_found_by_review_nan_and_nat_are_no_value_in_a_previous_state() -> None:
    pd = pytest.importorskip("pandas")
    h = handoff(SQL, "2026-11-01T13:00:00Z", Previous("sql", pd.NaT))  # was accepted as a datetime, and to_dict() then failed
    assert (h.direction, h.since, h.due) == ("same", None, None)
    assert RULES.evaluate(SQL, as_of="2026-11-01T13:00:00Z", previous=Previous("sql", pd.NaT)).to_dict()["handoff"]["since"] is None
    assert handoff(SQL, "2026-11-01T13:00:00Z", Previous(float("nan"))).direction == "new"  # a DataFrame's empty cell


def test_found_by_review_a_since_after_as_of_is_refused() -> None:
    with pytest.raises(ValueError, match=r"previous.since 2026-11-05 00:00 UTC is after as_of 2026-11-01 10:00 UTC"):
        RULES.evaluate(SQL, as_of="2026-11-01T10:00:00Z", previous=Previous("sql", "2026-11-05T00:00:00Z"))
    with pytest.raises(TypeError, match=r"previous.stage is a stage id \(text\), or None for a lead not seen before, not list"):
        RULES.evaluate(SQL, as_of="2026-11-01T10:00:00Z", previous=Previous(["sql"]))  # type: ignore[arg-type]


def test_a_deadline_beyond_the_calendar_is_none() -> None:
    h = handoff(SQL, "9999-12-31T22:00:00Z", Previous())  # due 4 hours later: past the year 9999
    assert (h.since, h.due, h.overdue) == (at("9999-12-31T22:00:00Z"), None, False)
    assert RULES.evaluate(SQL, as_of="9999-12-31T22:00:00Z", previous=Previous()).to_dict()["handoff"]["due"] is None
