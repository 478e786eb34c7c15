"""The Ruleset object: digest, pickling, immutability, threads, streaming, the fast path."""

from __future__ import annotations

import pickle
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import leadspec
from conftest import FIXTURES, rules_text

ACME_TEXT = (FIXTURES / "acme-b2b.yaml").read_text()
ACME = leadspec.loads(ACME_TEXT, name="acme-b2b.yaml")
AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)


# -- digest -------------------------------------------------------------------------
def test_digest_ignores_comments_and_formatting() -> None:
    reformatted = "\n".join(line.split("  #")[0].rstrip() for line in ACME_TEXT.splitlines())  # no comments
    reformatted = reformatted.replace("50 <= employees <= 5000", "50<=employees   <=5000")
    reformatted = reformatted.replace("fields:", "fields:   ")
    assert reformatted != ACME_TEXT
    assert leadspec.loads(reformatted).digest == ACME.digest


def test_digest_ignores_key_order_and_shorthand() -> None:
    a = rules_text("fields: {x: {type: integer}}\nstages: [{id: s, all: [{id: big, when: x > 1}]}]\n")
    b = rules_text("stages: [{all: [{big: x > 1}], id: s}]\nfields: {x: {type: integer}}\n")
    assert leadspec.loads(a).digest == leadspec.loads(b).digest


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("50 <= employees <= 5000", "50 <= employees <= 6000"),
        ("label: ICP fit", "label: ICP Fit"),
        ("demo_request: 30", "demo_request: 31"),
        ("[US, CA, GB, DE, FR, NL]", "[US, CA, GB, DE, FR]"),
        ("sla: 15m", "sla: 20m"),
    ],
)
def test_digest_changes_with_content(old: str, new: str) -> None:
    assert old in ACME_TEXT
    assert leadspec.loads(ACME_TEXT.replace(old, new)).digest != ACME.digest


def test_digest_changes_with_stage_order() -> None:
    text = rules_text("fields: {x: {type: integer}}\nstages: [{id: a, when: x > 1}, {id: b, when: x > 2}]\n")
    swapped = rules_text("fields: {x: {type: integer}}\nstages: [{id: b, when: x > 2}, {id: a, when: x > 1}]\n")
    assert leadspec.loads(text).digest != leadspec.loads(swapped).digest


# -- pickling, immutability, threads -------------------------------------------------------
LEADS = [
    {"NumberOfEmployees": str(n), "industry": ind, "company": {"country": c}, "seniority": sen, "email": f"x@{dom}",
     "budget_confirmed": b, "decision_maker": "yes", "timeline_days": t,
     "events": [{"type": "demo_request", "at": (AS_OF - timedelta(days=d)).isoformat()}]}
    for n, ind, c, sen, dom, b, t, d in [
        (250, "saas", "US", "vp", "co.example", "true", 30, 3),
        (12, "retail", "DE", "ic", "gmail.com", "no", 200, 40),
        (900, "fintech", "GB", "director", "bank.example", "", 60, 10),
        (3000, "healthcare", "FR", "c_level", "clinic.example", "true", "lots", 1),
    ]
]


def test_pickled_ruleset_gives_identical_results() -> None:
    clone = pickle.loads(pickle.dumps(ACME))
    assert clone.digest == ACME.digest and clone.file == ACME.file
    for lead in LEADS:
        assert clone.evaluate(lead, as_of=AS_OF).to_dict() == ACME.evaluate(lead, as_of=AS_OF).to_dict()
        assert clone.stage(lead, as_of=AS_OF) == ACME.stage(lead, as_of=AS_OF)


def test_pickled_result_is_equal() -> None:
    result = ACME.evaluate(LEADS[0], as_of=AS_OF)
    assert pickle.loads(pickle.dumps(result)) == result


def test_ruleset_and_result_are_immutable() -> None:
    with pytest.raises(AttributeError):
        ACME.name = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        ACME._plan = None  # type: ignore[misc]
    result = ACME.evaluate(LEADS[0], as_of=AS_OF)
    with pytest.raises(AttributeError):
        result.stage = "sql"  # type: ignore[misc]
    with pytest.raises(Exception):
        result.criteria[0].outcome = "fail"  # type: ignore[misc]  # frozen pydantic model
    with pytest.raises(TypeError):
        ACME.fields["new"] = None  # type: ignore[index]


def test_threads_share_a_ruleset() -> None:
    expected = [ACME.evaluate(lead, as_of=AS_OF).to_dict() for lead in LEADS]
    barrier = threading.Barrier(4)

    def work(i: int) -> list[dict[str, Any]]:
        barrier.wait()
        out = []
        for _ in range(200):
            out = [ACME.evaluate(lead, as_of=AS_OF).to_dict() for lead in LEADS]
        return out

    with ThreadPoolExecutor(4) as pool:
        for got in pool.map(work, range(4)):
            assert got == expected


def test_evaluation_is_deterministic_for_a_given_as_of() -> None:
    first = [ACME.evaluate(lead, as_of=AS_OF).to_dict() for lead in LEADS]
    again = [leadspec.loads(ACME_TEXT, name="acme-b2b.yaml").evaluate(lead, as_of=AS_OF).to_dict() for lead in LEADS]
    assert first == again


# -- evaluate_many, as_of ------------------------------------------------------------------
def test_evaluate_many_streams() -> None:
    pulled = []

    def source() -> Iterator[dict[str, Any]]:
        for i, lead in enumerate(LEADS * 3):
            pulled.append(i)
            yield lead

    results = ACME.evaluate_many(source(), as_of=AS_OF)
    assert pulled == []  # nothing read before the first result is asked for
    first = next(results)
    assert pulled == [0] and first.stage == ACME.stage(LEADS[0], as_of=AS_OF)
    assert len(list(results)) == len(LEADS) * 3 - 1


def test_evaluate_many_uses_one_moment_for_the_batch() -> None:
    results = list(ACME.evaluate_many(LEADS))
    assert len({r.as_of for r in results}) == 1
    assert abs(results[0].as_of - datetime.now(timezone.utc)) < timedelta(minutes=5)


@pytest.mark.parametrize("as_of", ["2026-11-01", "2026-11-01T00:00:00Z", date(2026, 11, 1), datetime(2026, 11, 1), AS_OF])
def test_as_of_forms(as_of: Any) -> None:
    assert ACME.evaluate(LEADS[0], as_of=as_of).as_of == AS_OF


def test_bad_as_of() -> None:
    with pytest.raises(ValueError, match="as_of 'soon'"):
        ACME.evaluate(LEADS[0], as_of="soon")
    with pytest.raises(TypeError):
        ACME.evaluate(LEADS[0], as_of=12)  # type: ignore[arg-type]


# -- the fast path ------------------------------------------------------------------------
maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731
acme_leads = st.fixed_dictionaries(
    {},
    optional={
        "NumberOfEmployees": maybe(st.one_of(st.integers(0, 9000), st.integers(0, 9000).map(str), st.just("N/A"), st.just("lots"))),
        "industry": maybe(st.sampled_from(["saas", "SaaS", "fintech", "retail", "mining", ""])),
        "company": st.fixed_dictionaries({}, optional={"country": maybe(st.sampled_from(["US", "DE", "BR", ""]))}),
        "seniority": maybe(st.sampled_from(["ic", "manager", "vp", "c_level", "ceo"])),
        "title": maybe(st.sampled_from(["Intern", "Head of Growth", "Student helper", ""])),
        "email": maybe(st.sampled_from(["a@gmail.com", "b@corp.example", "nope", ""])),
        "is_competitor": maybe(st.sampled_from([True, False, "yes", "perhaps"])),
        "budget_confirmed": maybe(st.sampled_from([True, False, "Y", "n", "?"])),
        "decision_maker": maybe(st.booleans()),
        "timeline_days": maybe(st.one_of(st.integers(0, 400), st.just("soon"))),
        "created_at": maybe(st.sampled_from(["2026-01-01", "bad"])),
        "events": maybe(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "type": st.sampled_from(["demo_request", "webinar_attended", "content_download", "page_view", "email_open"]),
                        "at": st.integers(0, 120).map(lambda d: (AS_OF - timedelta(days=d)).isoformat()),
                    }
                ),
                max_size=12,
            )
        ),
    },
)


@settings(max_examples=400, deadline=None)
@given(lead=acme_leads)
def test_stage_fast_path_always_equals_evaluate(lead: dict[str, Any]) -> None:
    assert ACME.stage(lead, as_of=AS_OF) == ACME.evaluate(lead, as_of=AS_OF).stage


def test_fast_path_reaches_every_stage() -> None:
    from leadspec._testfile import run_file

    cases = run_file(FIXTURES / "acme-b2b.test.yaml")
    for case in cases:
        assert case.result is not None
    stages = set()
    from leadspec._testfile import load_test_file

    spec, rules, _ = load_test_file(FIXTURES / "acme-b2b.test.yaml")
    for case in spec.cases:
        stages.add(rules.stage(case.lead, as_of=spec.as_of))
    assert stages == set(rules.stage_ids)


def test_generated_source_is_readable_python() -> None:
    source = ACME.generated_source()
    assert source.startswith("def _evaluate(rec, as_of, issues):")
    assert "def _stage(rec, as_of):" in source
    compile(source, "<check>", "exec")


# -- schema, metadata, import ----------------------------------------------------------------
def test_json_schema_of_the_format() -> None:
    schema = leadspec.json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert {"leadspec", "name", "fields", "stages"} <= set(schema["required"])
    assert schema["additionalProperties"] is False


def test_metadata_views() -> None:
    assert ACME.name == "acme-b2b" and ACME.version == "2026-Q4"
    assert ACME.owners == ("marketing-ops@acme.example", "sales-ops@acme.example")
    assert list(ACME.fields)[:2] == ["employees", "industry"]
    assert ACME.fields["employees"].source == "NumberOfEmployees"
    assert [s.id for s in ACME.stages] == ["icp", "mql", "sql"]
    assert ACME.stage_ids == ("disqualified", "lead", "icp", "mql", "sql")
    assert repr(ACME).startswith("<Ruleset 'acme-b2b' version='2026-Q4' sha256:")


def test_import_has_no_side_effects_and_public_names_are_listed() -> None:
    code = (
        "import sys, threading; before = threading.active_count(); import leadspec; "
        "assert threading.active_count() == before; "
        "assert 'pydantic' not in sys.modules, 'import leadspec should not build models yet'; "
        "public = {n for n in dir(leadspec) if not n.startswith('_')} - {'errors', 'result', 'ruleset'}; "
        "assert set(leadspec.__all__) == public | {'__version__'}, set(leadspec.__all__) ^ public"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# A ruleset whose values are first needed inside branches that may not run
# (later items of any/at_least/none), and needed again later: the fast path
# must compute them exactly once, whichever branches ran.
BRANCHY = leadspec.loads(
    rules_text(
        """
        fields:
          a: {type: integer}
          b: {type: integer}
          c: {type: boolean}
          t: {type: string}
          ev: {type: events}
        scores:
          eng:
            window: 30d
            events: {demo: 10, view: 1}
          fit:
            rules:
              - {id: big, when: b > 5, points: 10}
              - {id: cc, when: c, points: 5}
        disqualify:
          - {id: bad, when: "t == 'spam'"}
        stages:
          - id: one
            any:
              - {id: x, when: a > 3}
              - {id: y, when: "score('eng') >= 10"}
              - {id: z, when: b > 1}
          - id: two
            at_least:
              n: 1
              of:
                - {id: p, when: c}
                - {id: q, when: "score('fit') >= 10 or count('view') > 1"}
                - none: [{id: r1, when: "b > 8"}, {id: r2, when: "score('eng') > 40"}]
          - id: three
            all:
              - {id: u, when: "score('eng') + score('fit') >= 15"}
              - any: [{id: v, when: a + b > 4}, {id: w, when: "has(t)"}]
        """
    )
)
branchy_leads = st.fixed_dictionaries(
    {},
    optional={
        "a": maybe(st.integers(0, 6)),
        "b": maybe(st.one_of(st.integers(0, 10), st.just("x"))),
        "c": maybe(st.booleans()),
        "t": maybe(st.sampled_from(["spam", "ok", ""])),
        "ev": maybe(
            st.lists(
                st.fixed_dictionaries(
                    {"type": st.sampled_from(["demo", "view"]), "at": st.integers(0, 40).map(lambda d: (AS_OF - timedelta(days=d)).isoformat())}
                ),
                max_size=6,
            )
        ),
    },
)


@settings(max_examples=500, deadline=None)
@given(lead=branchy_leads)
def test_fast_path_with_values_first_needed_in_branches(lead: dict[str, Any]) -> None:
    assert BRANCHY.stage(lead, as_of=AS_OF) == BRANCHY.evaluate(lead, as_of=AS_OF).stage


def test_fast_path_computes_a_value_once_under_a_guard() -> None:
    source = BRANCHY.generated_source()
    stage_source = source[source.index("def _stage"):]
    assert "s_eng = _NOT_YET" in stage_source  # first needed in a branch of stage one
    assert "if s_eng is _NOT_YET:" in stage_source  # computed under a guard when needed later


def test_a_missing_marker_gives_the_fields_default_as_it_is() -> None:
    # the generated code reads a marker as written without a call: a list default stays a plain tuple (the text
    # functions' constants are lowered once into a tuple subclass: a default must not be one of them)
    # (a named list with the same items, read by a text function, registered first: found by review)
    for lists in ("", "lists: {kw: [a, b]}\n"):
        rules = leadspec.loads(
            f"leadspec: 1\nname: d\nmissing: ['', n/a]\n{lists}fields:\n  tags: {{type: list, default: [a, b]}}\n"
            "  size: {type: number, default: 3}\n  kind: {type: enum, values: [x, y], default: y}\n  t: {type: string}\n"
            f"stages:\n  - id: s\n    when: len(tags) > 1{' and contains_any(t, kw)' if lists else ''}\n"
        )
        for marker in ("", "n/a"):
            values = rules.evaluate({"tags": marker, "size": marker, "kind": marker, "t": "xa"}).values
            assert (type(values["tags"]), values["tags"]) == (tuple, ("a", "b"))
            assert (type(values["size"]), values["size"]) == (int, 3)
            assert values["kind"] == "y"
            assert rules.stage({"tags": marker, "t": "xa"}) == "s"
