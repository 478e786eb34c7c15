"""Issue 8, evaluate() and its load-time parts: bad values are issues, never crashes; bounded work.

Each test names its item of issue 8. Sizes are chosen so the code before the
fix visibly misbehaves (raises, or allocates megabytes where a few kilobytes
do), while each test stays well under a second with the fix; nothing is timed.
"""

from __future__ import annotations

import json
import tracemalloc
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import leadspec
from conftest import problems_of, rules_text
from leadspec import _functions as fn

AS_OF = "2026-11-01T00:00:00Z"


def load(body: str) -> leadspec.Ruleset:
    return leadspec.loads(rules_text(body), name="r.yaml")


def deep(depth: int) -> list[Any]:
    """``[[[...]]]`` nested ``depth`` levels, built without recursion."""
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def assert_renders(result: leadspec.Result) -> None:
    """Every rendering of a result works (they used to raise on huge ints and deep lists)."""
    json.dumps(result.to_dict(), allow_nan=False)
    result.explain()
    result.summary()
    result.to_model()


# -- item 3: one bad value is an issue on that field, not a crash -------------------------------

CELLS = load(
    """
    fields:
      l: {type: list}
      ev: {type: events}
      s: {type: string}
    stages: [{id: s1, when: "has(l) or has(s) or count('demo') > 0"}]
    """
)


@pytest.mark.parametrize("field", ["l", "ev"])
def test_item3_deeply_nested_json_in_a_csv_cell_is_an_issue(field: str) -> None:
    cell = "[" * 100_000  # json.loads raises RecursionError on it
    result = CELLS.evaluate({field: cell}, as_of=AS_OF)
    assert [(i.field, i.value) for i in result.issues] == [(field, cell)]
    assert "nested too deeply" in result.issues[0].message
    assert result.values[field] is None
    assert CELLS.stage({field: cell}, as_of=AS_OF) == result.stage == "lead"
    assert_renders(result)


@pytest.mark.parametrize("pattern", ["%d/%m/%Y (%d)", "%Q", "%Y-%m-%d %", "%H:%M (%H)"])
def test_item3_item20_a_date_format_strptime_cannot_use_is_refused_at_load(pattern: str) -> None:
    text = rules_text(f'fields:\n  d: {{type: date, format: "{pattern}"}}\nstages: [{{id: s, when: has(d)}}]\n')
    problems = problems_of(text)
    assert [(p.line, p.column, p.code, p.path) for p in problems] == [(4, 27, "bad-value", "fields.d.format")]
    assert repr(pattern) in problems[0].message and "%Y-%m-%d" in problems[0].message  # what, then a hint


@pytest.mark.parametrize("pattern", ["%m/%d/%Y", "%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M:%S%z", "100%% %Y"])
def test_item20_usual_formats_still_load(pattern: str) -> None:
    rules = load(f'fields:\n  d: {{type: datetime, format: "{pattern}"}}\nstages: [{{id: s, when: has(d)}}]\n')
    assert rules.evaluate({"d": "garbage"}, as_of=AS_OF).issues[0].field == "d"


# -- item 6: missing markers, the same on every path -----------------------------------------------

MARKERS = load(
    """
    missing: ["", "9999", "no", "0", "N/A"]
    fields:
      i: {type: integer}
      b: {type: boolean}
      n: {type: number}
      e: {type: enum, values: ["no", "yes", "maybe"]}
      s: {type: string}
      bd: {type: boolean, default: true}
    stages:
      - id: s1
        all:
          - known: has(i) or has(b) or has(n) or has(e) or has(s)
    """
)


@pytest.mark.parametrize("field", ["i", "b", "n", "e", "s", "bd"])
@pytest.mark.parametrize("marker", ["9999", " 9999 ", "no", "No ", "0", " 0"])
def test_item6_missing_markers_apply_to_every_type_on_every_path(field: str, marker: str) -> None:
    if marker.strip() not in ("9999", "no", "0"):  # "No" is not a marker: markers are case-sensitive
        return
    result = MARKERS.evaluate({field: marker}, as_of=AS_OF)
    expected = True if field == "bd" else None  # a marker takes the default
    assert result.values[field] is expected, (field, marker)
    assert result.issues == []
    assert MARKERS.stage({field: marker}, as_of=AS_OF) == result.stage == "lead"
    model = MARKERS.lead_model.model_validate({field: marker})
    assert model.model_dump(by_alias=True)[field] is expected


def test_item6_values_next_to_markers_are_still_read() -> None:
    result = MARKERS.evaluate({"i": "99990", "b": "yes", "n": "0.0", "e": "maybe", "s": "nope"}, as_of=AS_OF)
    assert (result.values["i"], result.values["b"], result.values["n"], result.values["e"], result.values["s"]) == (
        99990,
        True,
        0.0,
        "maybe",
        "nope",
    )
    assert result.values["bd"] is True


# -- item 15: work per lead does not grow with a constant's size ------------------------------------


def test_item15_round_to_millions_of_negative_digits_is_answered_at_once() -> None:
    tracemalloc.start()
    try:
        assert fn.rounded(5, -1_000_000) == 0  # Python's round() builds 10**1_000_000 (415 KB) for this
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50_000
    rules = load("fields: {i: {type: integer}}\nstages: [{id: s, when: 'round(i, -10000000) == 0'}]\n")
    assert rules.evaluate({"i": 123456}, as_of=AS_OF).stage == "s"
    folded = load("fields: {a: {type: integer}}\nstages: [{id: s, when: 'a > round(5, -10000000)'}]\n")  # folded at load
    assert folded.stage({"a": 1}, as_of=AS_OF) == "s"


@settings(max_examples=200, deadline=None)
@given(st.integers(-(10**40), 10**40), st.integers(-60, 60))
def test_item15_round_agrees_with_python(x: int, n: int) -> None:
    assert fn.rounded(x, n) == round(x, n)
    assert type(fn.rounded(x, n)) is type(round(x, n))


def test_item15_constant_text_lists_are_lower_cased_once_at_load() -> None:
    items = ", ".join(f"'{'Q' * 400}{i}'" for i in range(2000))  # 800 KB of text in one list
    rules = load(
        f"""
        fields: {{s: {{type: string}}}}
        lists:
          long: [{items}]
        stages:
          - id: hit
            any:
              - a: contains_any(s, long)
              - b: startswith(s, long)
              - c: endswith(s, long)
              - d: "contains_any(s, ['Needle', 'x'])"
        """
    )
    lead = {"s": "a needle in a haystack"}
    rules.evaluate(lead, as_of=AS_OF)  # warm up
    tracemalloc.start()
    try:
        result = rules.evaluate(lead, as_of=AS_OF)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.stage == "hit"
    assert [c.outcome for c in result.criteria] == ["fail", "fail", "fail", "pass"]
    assert rules.evaluate({"s": "x" + "q" * 400 + "1999"}, as_of=AS_OF).criteria[2].outcome == "pass"  # case-insensitive
    assert peak < 200_000  # lowering the list on every call allocated 800 KB per criterion


# -- item 16: huge ints, deep lists, as_of at the edge of time, thousands of stages ------------------

SHAPES = load(
    """
    fields:
      i: {type: integer}
      n: {type: number}
      s: {type: string}
      e: {type: enum, values: [a, b]}
      l: {type: list}
      ev: {type: events}
    scores:
      recent: {window: 30d, events: {demo: 10}}
    stages:
      - id: s1
        all:
          - i: i > 1 or n > 1 or has(s) or has(e) or has(l)
          - demo: count('demo', within='7d') > 0 or score('recent') > 0
    """
)


@pytest.mark.parametrize("field", ["i", "n", "s", "e", "l"])
def test_item16_an_int_over_4300_digits_is_an_issue(field: str) -> None:
    huge = 10**5000
    raw: Any = [huge] if field == "l" else huge
    result = SHAPES.evaluate({field: raw}, as_of=AS_OF)
    assert [i.field for i in result.issues] == [field]
    assert "5,001-digit number" in result.issues[0].message
    assert result.values[field] is None
    assert SHAPES.stage({field: raw}, as_of=AS_OF) == result.stage
    assert_renders(result)


@pytest.mark.parametrize("field", ["i", "s", "e", "l", "ev"])
def test_item16_a_2000_deep_list_is_an_issue(field: str) -> None:
    raw = deep(2000) if field != "ev" else [deep(2000)]
    result = SHAPES.evaluate({field: raw}, as_of=AS_OF)
    assert [i.field for i in result.issues] == [field]
    assert result.values[field] is None
    assert SHAPES.stage({field: raw}, as_of=AS_OF) == result.stage
    assert_renders(result)


def test_item16_as_of_too_early_for_the_windows_is_a_clear_value_error() -> None:
    early = datetime(1, 1, 20, tzinfo=timezone.utc)  # as_of - 30d is before the year 1
    for call in (SHAPES.evaluate, SHAPES.stage):
        with pytest.raises(ValueError, match="as_of 0001-01-20T00:00:00\\+00:00 is too early for these rules"):
            call({}, as_of=early)
    with pytest.raises(ValueError, match="too early"):
        list(SHAPES.evaluate_many([{}], as_of=early))
    edge = datetime(1, 1, 31, tzinfo=timezone.utc)  # exactly the longest window after the year 1
    lead = {"ev": [{"type": "demo", "at": "0001-01-02T00:00:00Z"}], "i": 5}
    assert SHAPES.stage(lead, as_of=edge) == SHAPES.evaluate(lead, as_of=edge).stage == "s1"
    plain = load("fields: {i: {type: integer}}\nstages: [{id: s, when: i > 1}]\n")  # no window: any as_of
    assert plain.evaluate({"i": 2}, as_of=datetime(1, 1, 1)).stage == "s"


def test_item16_three_thousand_stages_load_and_give_the_right_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("leadspec._validate.MAX_CRITERIA", 10_000)  # the code generated for them, past the limit of item 18
    body = "fields: {a: {type: integer}}\nstages:\n" + "".join(f"  - {{id: s{i}, when: a > {i}}}\n" for i in range(3000))
    rules = load(body)
    for a, stage in ((0, "lead"), (1, "s0"), (1500, "s1499"), (10**6, "s2999")):
        assert rules.stage({"a": a}, as_of=AS_OF) == rules.evaluate({"a": a}, as_of=AS_OF).stage == stage


def test_item16_rules_python_cannot_compile_are_a_rules_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from leadspec import ruleset

    def fail(*args: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded during compilation")

    monkeypatch.setattr(ruleset, "Compiled", fail)
    problems = problems_of(rules_text("fields: {a: {type: integer}}\nstages: [{id: s, when: a > 1}]\n"))
    assert [(p.code, p.file) for p in problems] == [("too-large", "r.yaml")]
    assert "too large to compile" in problems[0].message


# -- item 18: a bound on the number of criteria, checked before anything costly ----------------------


def test_item18_too_many_criteria_are_refused_where_the_limit_is_crossed() -> None:
    from leadspec._validate import MAX_CRITERIA

    items = "".join(f"      - c{i}: a > {i}\n" for i in range(MAX_CRITERIA + 5))
    problems = problems_of(rules_text(f"fields: {{a: {{type: integer}}}}\nstages:\n  - id: s\n    all:\n{items}"))
    assert [(p.line, p.code, p.path) for p in problems] == [(7 + MAX_CRITERIA, "too-large", f"stages[0].all[{MAX_CRITERIA}]")]
    assert f"{MAX_CRITERIA + 5:,} criteria" in problems[0].message and "list" in problems[0].message
    items = "".join(f"      - c{i}: a > {i}\n" for i in range(MAX_CRITERIA))
    rules = load(f"fields: {{a: {{type: integer}}}}\nstages:\n  - id: s\n    all:\n{items}")  # at the limit: loads
    assert rules.stage({"a": 10**6}, as_of=AS_OF) == "s"


# -- item 13, without pandas: the values pandas and numpy hand over ---------------------------------


class NotAValue:
    """Stands in for pandas' NA: recognised by its type's name, pandas is never imported."""


NotAValue.__name__ = "NAType"


def test_item13_nan_and_pandas_na_are_missing_for_every_type() -> None:
    fields = ["i", "n", "s", "e", "l", "ev"]
    for raw in (float("nan"), NotAValue()):
        result = SHAPES.evaluate({f: raw for f in fields}, as_of=AS_OF)
        assert result.issues == []
        assert all(result.values[f] is None for f in fields)
    assert SHAPES.evaluate({"n": float("inf")}, as_of=AS_OF).issues[0].message == "not a finite number"


def test_item13_a_mapping_like_row_is_a_lead() -> None:
    class Row:  # what pandas.Series offers: get() and keys()
        def __init__(self, data: dict[str, Any]) -> None:
            self.data = data

        def get(self, key: str, default: Any = None) -> Any:
            return self.data.get(key, default)

        def keys(self) -> Any:
            return self.data.keys()

    row = Row({"i": "5", "ev": [{"type": "demo", "at": "2026-10-30T00:00:00Z"}]})
    assert SHAPES.evaluate(row, as_of=AS_OF).stage == SHAPES.stage(row, as_of=AS_OF) == "s1"  # type: ignore[arg-type]
    with pytest.raises(leadspec.LeadError):
        SHAPES.evaluate(42, as_of=AS_OF)  # type: ignore[arg-type]



def test_an_event_time_with_spaces_is_read_not_a_crash() -> None:
    """Found by the fuzzer: an event ``at`` that only the careful parser reads raised AssertionError('unreachable')."""
    lead = {"ev": [{"type": "demo", "at": datetime(2026, 10, 30, tzinfo=timezone.utc)}, {"type": "demo", "at": " 2026-10-31 "}]}
    result = SHAPES.evaluate(lead, as_of=AS_OF)
    assert result.issues == []
    assert [e["at"] for e in result.values["ev"]] == [datetime(2026, 10, 30, tzinfo=timezone.utc), datetime(2026, 10, 31, tzinfo=timezone.utc)]
    assert SHAPES.stage(lead, as_of=AS_OF) == result.stage


def test_item18_criteria_are_counted_in_every_section_and_nested_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("leadspec._validate.MAX_CRITERIA", 9)
    body = """
        fields: {a: {type: integer}}
        scores: {fit: {rules: [{id: r1, when: a > 1, points: 1}]}}
        disqualify: [{d1: a < 0}]
        stages:
          - {id: s1, when: a > 2}
          - id: s2
            any:
              - {x1: a > 3}
              - all: [{y1: a > 4}, {y2: a > 5}]
              - at_least: {n: 1, of: [{z1: a > 6}]}
        """
    assert load(body).stage({"a": 10}, as_of=AS_OF) == "s2"  # 9 items: r1, d1, s1.when, x1, the 2 groups, y1, y2, z1
    monkeypatch.setattr("leadspec._validate.MAX_CRITERIA", 8)
    problems = problems_of(rules_text(body))
    assert [(p.code, p.path) for p in problems] == [("too-large", "stages[0].when")]  # counted last: the one over
    assert "the rules have 9 criteria; leadspec loads at most 8" in problems[0].message


# -- long text read by many text functions: lower-cased once per value ------------------------------
def test_item15_a_long_text_is_lower_cased_once_for_all_the_criteria_that_read_it() -> None:
    from leadspec import _functions as fn

    note = "Budget approved. " * 1000  # 17,000 characters
    first = fn._lowered(note)
    assert fn._lowered(note) is first  # the same lowered text again, not a new one
    other = "Another Note. " * 1000
    assert fn._lowered(other) == other.lower()
    assert fn._lowered(note) == note.lower()  # a new value replaces the remembered one


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(st.one_of(st.text(max_size=20), st.text(max_size=20).map(lambda t: t * 400)), min_size=1, max_size=6),
    part=st.text(max_size=5),
)
def test_item15_text_functions_equal_their_plain_definitions_whatever_was_read_before(texts: list[str], part: str) -> None:
    from leadspec import _functions as fn

    for text in texts + texts[::-1]:
        assert fn.lower(text) == text.lower()
        assert fn.contains(text, part) == (part.lower() in text.lower())
        assert fn.contains_any(text, [part, "zz"]) == any(p in text.lower() for p in (part.lower(), "zz"))
        assert fn.startswith(text, part) == text.lower().startswith(part.lower())
        assert fn.endswith(text, part) == text.lower().endswith(part.lower())


def test_item15_threads_reading_different_long_texts_get_their_own_answers() -> None:
    import threading

    from leadspec import _functions as fn

    texts = [f"Lead {i} " * 1000 + f"MARKER{i}" for i in range(8)]
    wrong: list[int] = []

    def work(i: int) -> None:
        for _ in range(200):
            if not fn.endswith(texts[i], f"marker{i}") or fn.contains(texts[i], f"marker{(i + 1) % 8}"):
                wrong.append(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


# -- review of issue 8, 11: a rule file that is a stream is read only up to the limit ------------------------


def _fifo_fed(tmp_path: Any, total: int) -> tuple[str, Any, list[int]]:
    """A FIFO and a thread writing ``total`` bytes of `a: b` lines into it; the list holds what was written."""
    import os
    import threading

    path = str(tmp_path / "rules.fifo")
    os.mkfifo(path)
    written = [0]

    def feed() -> None:
        chunk = b"a: b\n" * 13_107  # 64 KiB
        try:
            with open(path, "wb") as out:
                while written[0] < total:
                    out.write(chunk)
                    written[0] += len(chunk)
        except BrokenPipeError:  # the reader stopped: what it refused was not read
            pass

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return path, thread, written


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("reader", ["rules", "test file"])
def test_review11_a_stream_is_read_up_to_the_size_limit_then_refused(tmp_path: Any, reader: str) -> None:
    """Review 11: `leadspec check /dev/zero` (or a FIFO, `<(yes 'a: b')`) read without limit: the size check saw
    0 bytes and read() had no bound. A FIFO fed 32 MiB is now read up to 1 MiB + 1 byte, then refused."""
    from leadspec._testfile import load_test_file
    from leadspec._yaml import MAX_BYTES

    path, thread, written = _fifo_fed(tmp_path, 32 << 20)
    with pytest.raises(leadspec.RulesError) as info:
        (leadspec.load if reader == "rules" else load_test_file)(path)
    thread.join(timeout=30)
    (problem,) = info.value.problems
    assert problem.code == "file-too-large"
    assert problem.message == "file has more than 1,048,576 bytes; the limit is 1,048,576 bytes (1 MiB)"
    assert written[0] <= MAX_BYTES + (2 << 20), written[0]  # the reader stopped at the limit (plus the pipe's buffer)


def test_review11_dev_zero_is_refused_at_the_limit() -> None:
    """Review 11: /dev/zero reports a size of 0 and never ends; it is refused after 1 MiB + 1 byte."""
    import os

    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    with pytest.raises(leadspec.RulesError) as info:
        leadspec.load("/dev/zero")
    assert [p.code for p in info.value.problems] == ["file-too-large"]
