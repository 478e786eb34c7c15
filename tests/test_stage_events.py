"""``stage()`` of rules that read their events only through ``count()`` and event scores reads the input's list of
events in one pass, without the ``(type, at, original)`` tuples ``evaluate()`` builds, and falls back to
``evaluate()``'s reading at the first event that is not plainly an object with a text type and a UTC moment: the
stage must be the same for every shape of events (``evaluate()``'s reading is the oracle).

Bounded for the suite; ``LEADSPEC_FUZZ=1`` runs many more examples.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leadspec
from conftest import rules_text

AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
EXAMPLES = 3000 if os.environ.get("LEADSPEC_FUZZ") else 200
PARIS = timezone(timedelta(hours=2))


def rules(demo: int, recent_views: int, engaged: int, warm: float) -> leadspec.Ruleset:
    """Four stages, each reached by one count or score at or above a threshold: the stage tells how far the
    counts and scores got, so a count or total off by one moves it."""
    return leadspec.loads(rules_text(f"""
        fields:
          events: {{type: events, source: activity}}
        scores:
          engagement:
            window: 30d
            events:
              demo: 5
              view: {{points: 2, max: 6}}
          warmth:
            half_life: 7d
            events: {{demo: 4, view: 1}}
        stages:
          - id: asked
            all:
              - demo: count('demo') >= {demo}
          - id: looked
            all:
              - views: count('view', within='7d') >= {recent_views}
          - id: engaged
            all:
              - points: score('engagement') >= {engaged}
          - id: warm
            all:
              - warmth: score('warmth') >= {warm}
        """))


MOMENTS = st.integers(-24 * 3, 24 * 60).map(lambda hours: AS_OF - timedelta(hours=hours))
AT = st.one_of(
    MOMENTS,  # an aware datetime in UTC (a driver, a DataFrame): the one pass
    MOMENTS.map(lambda m: m.isoformat().replace("+00:00", "Z")),  # ISO text in UTC: the one pass
    MOMENTS.map(lambda m: m.isoformat()),  # ISO text with +00:00
    MOMENTS.map(lambda m: m.astimezone(PARIS)),  # another offset: evaluate()'s reading
    MOMENTS.map(lambda m: m.astimezone(PARIS).isoformat()),
    MOMENTS.map(lambda m: m.replace(tzinfo=None)),  # naive: read as UTC
    MOMENTS.map(lambda m: m.date().isoformat()),
    st.sampled_from(["", "soon", " 2026-10-01 ", 5, None]),  # bad: the events are an issue
)
KIND = st.one_of(st.sampled_from(["demo", "view", "other"]), st.sampled_from(["", 3, None]))
EVENT = st.one_of(
    st.fixed_dictionaries({"type": KIND, "at": AT}),
    st.fixed_dictionaries({"type": st.sampled_from(["demo", "view"]), "at": MOMENTS}),  # (most events are good)
    st.sampled_from([{"type": "demo"}, {"at": AS_OF}, "demo", None, ["demo", AS_OF]]),
)
EVENTS = st.one_of(
    st.lists(EVENT, max_size=8),
    st.lists(st.fixed_dictionaries({"type": st.sampled_from(["demo", "view", "other"]), "at": MOMENTS}), max_size=12),
    st.lists(EVENT, max_size=6).map(tuple),
    st.lists(st.fixed_dictionaries({"type": st.sampled_from(["demo", "view"]), "at": MOMENTS.map(lambda m: m.isoformat())}), max_size=6).map(json.dumps),
    st.sampled_from([None, "", "[", {}, 3]),
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    events=EVENTS,
    demo=st.integers(0, 3),
    recent_views=st.integers(0, 4),
    engaged=st.integers(0, 20),
    warm=st.sampled_from([0.5, 1.0, 2.0, 3.5, 6.0]),
)
def test_stage_reads_the_events_as_evaluate_does(events: Any, demo: int, recent_views: int, engaged: int, warm: float) -> None:
    ruleset = rules(demo, recent_views, engaged, warm)
    lead = {"activity": events}
    assert ruleset.stage(lead, as_of=AS_OF) == ruleset.evaluate(lead, as_of=AS_OF).stage


def test_the_one_pass_counts_within_windows_and_caps_as_evaluate_does() -> None:
    ruleset = rules(demo=2, recent_views=3, engaged=16, warm=50.0)
    day = timedelta(days=1)
    events = [
        {"type": "demo", "at": AS_OF - 2 * day},
        {"type": "demo", "at": AS_OF - 40 * day},  # outside the score's window, still counted by count('demo')
        {"type": "view", "at": AS_OF - 1 * day},
        {"type": "view", "at": AS_OF - 7 * day},  # the first moment of the 7-day window: counted
        {"type": "view", "at": AS_OF - 3 * day},
        {"type": "view", "at": AS_OF - 8 * day},  # before it
        {"type": "view", "at": AS_OF + day},  # in the future: nothing counts it
    ]
    result = ruleset.evaluate({"activity": events}, as_of=AS_OF)
    # demo 5 (one in the window) + views 4 x 2 capped at 6 = 11: engagement short of 16
    assert result.scores["engagement"].total == 11
    assert result.stage == ruleset.stage({"activity": events}, as_of=AS_OF) == "looked"
    text = [{**e, "at": e["at"].isoformat().replace("+00:00", "Z")} for e in events]
    assert ruleset.stage({"activity": text}, as_of=AS_OF) == "looked"
    # one more demo in another offset, last: the whole list is read as evaluate() reads it (the same moments):
    # engagement 16
    mixed = [*events, {"type": "demo", "at": (AS_OF - 2 * day).astimezone(PARIS)}]
    assert ruleset.stage({"activity": mixed}, as_of=AS_OF) == ruleset.evaluate({"activity": mixed}, as_of=AS_OF).stage == "engaged"
    # a bad event after good ones: the events are an issue, counted as none
    bad = [*events, {"type": "", "at": AS_OF}]
    assert ruleset.stage({"activity": bad}, as_of=AS_OF) == ruleset.evaluate({"activity": bad}, as_of=AS_OF).stage == "lead"


def test_rules_that_read_events_otherwise_keep_evaluates_reading() -> None:
    ruleset = leadspec.loads(rules_text("""
        fields:
          events: {type: events}
        stages:
          - id: recent
            all:
              - last_demo: days_since(last('demo')) <= 30
              - counted: count('demo') >= 1
        """))
    assert "_evok" not in ruleset.generated_source()  # (last() reads the tuples: no one pass)
    events = [{"type": "demo", "at": AS_OF - timedelta(days=3)}]
    assert ruleset.stage({"events": events}, as_of=AS_OF) == ruleset.evaluate({"events": events}, as_of=AS_OF).stage == "recent"


def _many_counts(n: int, distinct: int | None = None) -> str:
    """An `any` stage of n count() items after a first item on another field: every count is first needed in a branch
    that may not run (each later reader computes the events again if they are not yet)."""
    items = "\n".join(f"              - c{i}: count('t{i if distinct is None else i % distinct}') >= {1 + i // 50}" for i in range(n))
    return rules_text(f"""
        fields:
          x: {{type: integer}}
          events: {{type: events}}
        stages:
          - id: s
            any:
              - x: x > 0
{items}
        """)


def test_many_counts_read_in_branches_keep_the_generated_code_linear() -> None:
    # each reader in a branch writes the events' reading again: the one pass written out there (all its counts)
    # made the code grow with readers times counts, and a rule file of 100 such counts was refused as too large
    ruleset = leadspec.loads(_many_counts(100))
    lead = {"x": 0, "events": [{"type": "t42", "at": AS_OF - timedelta(days=1)}]}
    assert ruleset.stage(lead, as_of=AS_OF) == ruleset.evaluate(lead, as_of=AS_OF).stage == "s"
    sizes = {n: len(leadspec.loads(_many_counts(n, distinct=3)).generated_source()) for n in (30, 300)}
    assert sizes[300] < 12 * sizes[30], sizes  # (linear: 10 times the readers, about 10 times the code)


class _Odd(str):
    """Text whose len() says 0: a str subclass overriding what parsing may look at."""

    def __len__(self) -> int:
        return 0


def test_a_str_subclass_moment_is_read_as_the_text_it_holds() -> None:
    ruleset = rules(demo=2, recent_views=0, engaged=0, warm=0.5)
    day = timedelta(days=1)
    odd = _Odd((AS_OF - 2 * day).isoformat().replace("T", "X"))  # not ISO 8601 as text: an issue
    for events in ([{"type": "demo", "at": AS_OF - day}, {"type": "demo", "at": odd}], [{"type": "demo", "at": odd}, {"type": "demo", "at": odd}]):
        result = ruleset.evaluate({"activity": events}, as_of=AS_OF)
        plain = ruleset.evaluate({"activity": [{**e, "at": str.__str__(e["at"]) if isinstance(e["at"], str) else e["at"]} for e in events]}, as_of=AS_OF)
        assert result.stage == plain.stage == ruleset.stage({"activity": events}, as_of=AS_OF) == "lead"
        assert [i.message for i in result.issues] == [i.message for i in plain.issues] != []
