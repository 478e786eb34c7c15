"""The plan (``Ruleset.plan``) as a public value: frozen, hashable, picklable, and its JSON export.

The corpus is every rule file a user can see: rules/, the loadable YAML of
tests/fixtures and every ``leadspec: 1`` block of docs/ that loads. For
each: ``Plan.from_json(plan.to_json()) == plan`` with every value of the
same Python type, the export is stable (exporting the copy gives the same
text), pickling gives an equal plan, and the JSON Schema validates the
export. Broken documents are refused by ``from_json`` with a ValueError
that names the place, and by the schema.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import pickle
import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Callable, Iterator

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leadspec
from leadspec import plan as P
from leadspec.cli import run
from leadspec.plan import Plan

from conftest import FIXTURES, ROOT
from test_docs import DOCS, blocks

EXAMPLES = 2000 if os.environ.get("LEADSPEC_FUZZ") else 60


# -- the corpus ----------------------------------------------------------------------------


def _corpus() -> list[tuple[str, str]]:
    """``(id, rule-file text)`` of every rule file of the project that loads."""
    out: list[tuple[str, str]] = []
    for path in sorted((ROOT / "rules").glob("*.yaml")) + sorted(FIXTURES.rglob("*.yaml")):
        if not path.name.endswith(".test.yaml"):  # test files are not rule files
            out.append((str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")))
    for page in sorted(DOCS.glob("*.md")):
        for language, code, line in blocks(page):
            if language == "yaml" and code.startswith("leadspec: 1"):
                out.append((f"docs/{page.name}:{line}", code))
    return out


CORPUS = _corpus()


@lru_cache(maxsize=None)
def _load(case: str) -> leadspec.Ruleset | None:
    text = dict(CORPUS)[case]
    try:
        return leadspec.loads(text, name=case)
    except leadspec.RulesError:  # a broken example, or a file that needs others beside it
        return None


def plan_of(case: str) -> Plan:
    rules = _load(case)
    if rules is None:
        pytest.skip(f"{case} does not load on its own")
    return rules.plan


def test_the_corpus_has_the_rule_files_fixtures_and_docs() -> None:
    ids = [case for case, _ in CORPUS]
    assert "rules/b2b-saas.yaml" in ids and "rules/x-education.yaml" in ids
    assert "tests/fixtures/acme-b2b.yaml" in ids
    loading = [case for case in ids if case.startswith("docs/") and _load(case) is not None]
    assert len(loading) >= 5, loading


# -- comparing exactly ---------------------------------------------------------------------


def exact(value: Any) -> Any:
    """``value`` as nested tuples that keep every Python type (1, 1.0 and True differ; NaN equals NaN; -0.0 is not 0.0)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,) + tuple((f.name, exact(getattr(value, f.name))) for f in dataclasses.fields(value) if f.init)
    if isinstance(value, tuple):
        return ("tuple",) + tuple(exact(v) for v in value)
    if isinstance(value, dict):
        return ("map",) + tuple((exact(k), exact(v)) for k, v in value.items())
    if isinstance(value, float):
        return ("float", "nan" if value != value else repr(value))
    if isinstance(value, datetime):
        return ("datetime", value.isoformat())
    return (type(value).__name__, value)


def objects(value: Any) -> Iterator[Any]:
    """Every plan dataclass instance inside ``value``, ``value`` first."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        yield value
        for f in dataclasses.fields(value):
            if f.init:
                yield from objects(getattr(value, f.name))
    elif isinstance(value, tuple):
        for v in value:
            yield from objects(v)


def expressions(plan: Plan) -> Iterator[P.Expr]:
    for obj in objects(plan):
        if isinstance(obj, get_expr_classes()):
            yield obj


def get_expr_classes() -> tuple[type, ...]:
    return P.Expr.__args__  # type: ignore[attr-defined, no-any-return]


# -- the round trips over the corpus ---------------------------------------------------------------

CASES = [case for case, _ in CORPUS]


@pytest.mark.parametrize("case", CASES)
def test_json_round_trip_is_exact_and_stable(case: str) -> None:
    plan = plan_of(case)
    text = plan.to_json()
    copy_ = Plan.from_json(text)
    assert copy_ == plan
    assert exact(copy_) == exact(plan)
    assert copy_.criteria == plan.criteria and [c.index for c in copy_.criteria] == list(range(len(plan.criteria)))
    assert hash(copy_) == hash(plan)
    assert copy_.to_json() == text
    assert Plan.from_json(text.encode("utf-8")) == plan
    document = json.loads(text)
    assert list(document)[0] == "leadspec_plan" and document["leadspec_plan"] == 1
    assert "criteria" not in document  # derived: rebuilt on reading


@pytest.mark.parametrize("case", CASES)
def test_pickle_round_trip(case: str) -> None:
    plan = plan_of(case)
    again = pickle.loads(pickle.dumps(plan))
    assert again == plan and exact(again) == exact(plan)
    assert again.criteria == plan.criteria
    assert copy.deepcopy(plan) == plan


@pytest.mark.parametrize("case", CASES)
def test_schema_validates_every_export(case: str, validator: Any) -> None:
    plan = plan_of(case)
    errors = sorted(validator.iter_errors(json.loads(plan.to_json(indent=2))), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


@pytest.mark.parametrize("case", CASES)
def test_every_object_is_frozen_and_hashable(case: str) -> None:
    plan = plan_of(case)
    seen: set[type] = set()
    for obj in objects(plan):
        hash(obj)
        for f in dataclasses.fields(obj):
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(obj, f.name, None)
            with pytest.raises(dataclasses.FrozenInstanceError):
                delattr(obj, f.name)
        seen.add(type(obj))
    assert {Plan, P.FieldPlan, P.Base, P.StagePlan, P.Group, P.Criterion, P.Location, P.Type} <= seen


def test_every_plan_class_is_frozen() -> None:
    for name in P.__all__:
        cls = getattr(P, name)
        if isinstance(cls, type) and dataclasses.is_dataclass(cls):
            assert cls.__dataclass_params__.frozen, name  # type: ignore[attr-defined]


@pytest.mark.parametrize("case", CASES)
def test_every_expression_node_has_a_type(case: str) -> None:
    plan = plan_of(case)
    for node in expressions(plan):
        assert isinstance(node.type, P.Type), node
        assert node.type.kind in ("num", "str", "bool", "date", "datetime", "list", "events", "any")


# -- unparse: the text of an expression reads back as the same expression ----------------------------


def _with_reparse_stages(text: str, plan: Plan) -> tuple[str, dict[str, P.Criterion]]:
    """The rule file with one stage more per criterion, whose condition is ``unparse()`` of that criterion."""
    data = yaml.safe_load(text)
    added: dict[str, P.Criterion] = {}
    stages = data.setdefault("stages", [])
    for crit in plan.criteria:
        if crit.expr is None:
            continue
        stage_id = f"reparse_{crit.index}"
        stages.append({"id": stage_id, "when": P.unparse(crit.expr)})
        added[f"{stage_id}.when"] = crit
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True), added


@pytest.mark.parametrize("case", CASES)
def test_unparse_reads_back_as_the_same_expression(case: str) -> None:
    plan = plan_of(case)
    text, added = _with_reparse_stages(dict(CORPUS)[case], plan)
    if not added:
        pytest.skip("no expressions")
    try:
        again = leadspec.loads(text, name=case).plan
    except leadspec.RulesError as exc:
        pytest.fail(f"unparse() wrote text that does not load:\n{exc}")
    for crit_id, original in added.items():
        assert original.expr is not None
        got = again.criterion(crit_id).expr
        assert got == original.expr, f"{original.id}: {P.unparse(original.expr)!r}"


ONE_CRITERION = """\
leadspec: 1
name: one
fields:
  x: {type: number}
  n: {type: integer}
  s: {type: string}
  b: {type: boolean}
  c: {type: boolean}
  tags: {type: list}
  seen: {type: datetime}
  events: {type: events, values: [demo, webinar]}
lists:
  vips: [ceo, cto]
stages:
  - id: s
    when: {when}
"""

UNPARSED = [
    # written, unparse() of what it loads as (precedence, associativity and chains kept; the rest folded or as written)
    ("(b or c) and x > 1", "(b or c) and x > 1"),
    ("b or c and x > 1", "b or c and x > 1"),
    ("not (b and c)", "not (b and c)"),
    ("not b and c", "not b and c"),
    ("x - (n - 1) > 0", "x - (n - 1) > 0"),
    ("x - n - 1 > 0", "x - n - 1 > 0"),
    ("(x + n) * 2 >= 10", "(x + n) * 2 >= 10"),
    ("-(x + 1) < 0", "-(x + 1) < 0"),
    ("2 ** n ** 2 > x", "2 ** n ** 2 > x"),
    ("(2 ** n) ** 2 > x", "(2 ** n) ** 2 > x"),
    ("x // 2 % 3 == 1", "x // 2 % 3 == 1"),
    ("x / (n * 2) == 1", "x / (n * 2) == 1"),
    ("1 <= x < n <= 100", "1 <= x < n <= 100"),
    ("(x < 1) == b", "(x < 1) == b"),
    ("s not in vips", "s not in vips"),
    ("'vp' in tags", "'vp' in tags"),
    ("s in ['a', 'b']", "s in ['a', 'b']"),
    ("x in [n, 2]", "x in [n, 2]"),
    ("count('demo', within='30d') >= 1", "count('demo', within='30d') >= 1"),
    ("count(['demo', 'webinar']) > 2", "count(['demo', 'webinar']) > 2"),
    ("days_since(seen) <= 14", "days_since(seen) <= 14"),
    ("contains_any(lower(s), vips)", "contains_any(lower(s), vips)"),
    ("round(x, 2) == 1.5", "round(x, 2) == 1.5"),
    ("x > 2 * 3 + 0.5", "x > 6.5"),
    ("x > -5", "x > -5"),
    ("x > 1e999", "x > 1e999"),
    ("x > -1e999", "x > -1e999"),
    ("(-2) ** n > 0", "(-2) ** n > 0"),
    ("-2 ** n > 0", "-2 ** n > 0"),
    ("(-1e999) ** n > 0", "(-1e999) ** n > 0"),
    ("2 ** -1 < x", "0.5 < x"),
    ("x != 1e999 - 1e999", "x != (1e999 - 1e999)"),
]


@pytest.mark.parametrize("written, expected", UNPARSED, ids=[w for w, _ in UNPARSED])
def test_unparse_writes_what_reads_back(written: str, expected: str) -> None:
    crit = leadspec.loads(ONE_CRITERION.replace("{when}", json.dumps(written))).plan.criterion("s.when")
    assert crit.expr is not None
    text = P.unparse(crit.expr)
    assert text == expected
    again = leadspec.loads(ONE_CRITERION.replace("{when}", json.dumps(text))).plan.criterion("s.when")
    assert again.expr == crit.expr


# -- the JSON Schema ---------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _validator() -> Any:
    import jsonschema  # in the test extra

    schema = Plan.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


@pytest.fixture
def validator() -> Any:
    """A validator of the plan's JSON Schema (checked against the JSON Schema meta-schema first)."""
    return _validator()


def test_the_committed_schema_file_is_the_schema() -> None:
    committed = (DOCS / "plan.schema.json").read_text(encoding="utf-8")
    assert committed == json.dumps(Plan.json_schema(), indent=2) + "\n", (
        "docs/plan.schema.json is out of date: leadspec schema --plan > docs/plan.schema.json"
    )


def test_schema_names_every_expression_node() -> None:
    schema = Plan.json_schema()
    names = {ref["$ref"].rsplit("/", 1)[1] for ref in schema["$defs"]["Expr"]["oneOf"]}
    assert names == {cls.__name__ for cls in get_expr_classes()}
    for name in names:
        assert schema["$defs"][name]["properties"]["node"] == {"const": name}
        assert "type" in schema["$defs"][name]["required"]


def test_cli_schema_plan_prints_the_plan_schema() -> None:
    import io

    out, err = io.StringIO(), io.StringIO()
    assert run(["schema", "--plan"], stdout=out, stderr=err, stdin=io.StringIO()) == 0
    assert json.loads(out.getvalue()) == Plan.json_schema()
    assert json.loads(out.getvalue())["properties"]["leadspec_plan"] == {"const": 1}
    out = io.StringIO()
    assert run(["schema"], stdout=out, stderr=err, stdin=io.StringIO()) == 0
    assert json.loads(out.getvalue()) == leadspec.json_schema()  # without --plan: the rule-file schema, as before


# -- plans built by hand: values of every type ---------------------------------------------------------

BOOL = P.Type("bool")
NUM = P.Type("num", nullable=False)


def hand_plan(const: Any = 1, default: Any = None, *, within: timedelta | None = None, field_type: str = "number") -> Plan:
    """A small plan: one field ``x`` (with ``default``), one list, one stage whose criterion compares ``x`` with ``const``."""
    crit = P.Criterion(
        index=0,
        id="icp.big",
        expr=P.Compare(ops=(">=",), operands=(P.Name("x", P.Type("num")), P.Const(const, NUM)), type=BOOL),
        when="x >= 1",
        because=P.Template("x is {x}", ("x is ", P.Name("x", P.Type("num")))),
        missing="unknown",
        location=P.Location(7, 9, "stages[0].all[0]"),
    )
    events = P.Criterion(
        index=1,
        id="icp.demo",
        expr=P.Compare(
            ops=(">",),
            operands=(
                P.Call("count", (), P.Type("num", nullable=False, integral=True), events=("demo",), within=within),
                P.Const(0, P.Type("num", nullable=False, integral=True)),
            ),
            type=BOOL,
        ),
        when="count('demo') > 0",
        because=None,
        missing="fail",
        location=P.Location(8, 9, "stages[0].all[1]"),
    )
    return Plan(
        name="hand",
        version=None,
        description=None,
        owners=("sales",),
        fields=(
            P.FieldPlan("x", field_type, "x", default, ("",), None, None, None, None),  # type: ignore[arg-type]
            P.FieldPlan("events", "events", "events", None, ("",), ("demo",), None, None, None),
        ),
        lists=(P.NamedList("small", ("a", 1, 2.5)),),
        missing=("",),
        events_field="events",
        scores=(),
        disqualify=(),
        base=P.Base("lead", "LEAD"),
        stages=(P.StagePlan(0, "icp", "ICP", "sdr", timedelta(days=2), None, P.Group("all", (crit, events)), P.Location(5, 5, "stages[0]")),),
    )


def round_trip(plan: Plan) -> Plan:
    text = plan.to_json()
    again = Plan.from_json(text)
    assert exact(again) == exact(plan)
    assert again.to_json() == text
    return again


@pytest.mark.parametrize(
    "value",
    [1, 1.0, True, False, 0, -0.0, 2**53 + 1, -(2**200), 10**300 * 1.0, 1e-300, math.inf, -math.inf, math.nan, "1", "", None,
     (1, 1.0, True, "a", None), (), ((1, 2.0), ("x",)), (math.nan, math.inf)],
    ids=repr,
)
def test_const_values_keep_their_python_type(value: Any, validator: Any) -> None:
    plan = hand_plan(const=value)
    round_trip(plan)
    assert not list(validator.iter_errors(json.loads(plan.to_json())))


def test_integers_beyond_double_precision_are_written_exactly() -> None:
    big = 2**64 + 1
    document = json.loads(hand_plan(const=big).to_json())
    written = document["stages"][0]["condition"]["items"][0]["expr"]["operands"][1]["value"]
    assert written == big and type(written) is int
    assert str(big) in hand_plan(const=big).to_json()


@pytest.mark.parametrize(
    "default",
    [date(2026, 1, 1), datetime(2026, 1, 1, 9, 30), datetime(2026, 1, 1, 9, 30, 0, 250, tzinfo=timezone(timedelta(hours=-5))),
     datetime(2026, 1, 1, tzinfo=timezone.utc), False, 3, 2.5, "n/a",
     P.freeze([{"type": "demo", "time": datetime(2026, 1, 2, tzinfo=timezone.utc)}, {"type": "webinar", 1: [1, 2]}])],
    ids=repr,
)
def test_defaults_of_every_kind_keep_their_python_type(default: Any, validator: Any) -> None:
    plan = hand_plan(default=default)
    again = round_trip(plan)
    assert type(again.fields[0].default) is type(default)
    assert not list(validator.iter_errors(json.loads(plan.to_json())))


def test_values_json_cannot_write_are_tagged() -> None:
    document = json.loads(hand_plan(const=(math.inf, math.nan), default=date(2026, 1, 1)).to_json())
    assert document["stages"][0]["condition"]["items"][0]["expr"]["operands"][1]["value"] == [{"float": "inf"}, {"float": "nan"}]
    assert document["fields"][0]["default"] == {"date": "2026-01-01"}
    assert document["stages"][0]["sla"] == 172800
    document = json.loads(hand_plan(default=P.freeze({"a": 1})).to_json())
    assert document["fields"][0]["default"] == {"map": [["a", 1]]}


@pytest.mark.parametrize("within", [None, timedelta(days=30), timedelta(seconds=1.5), timedelta(days=36600)], ids=repr)
def test_durations_are_seconds(within: timedelta | None) -> None:
    plan = hand_plan(within=within)
    again = round_trip(plan)
    call = again.stages[0].condition.items[1].expr.operands[0]  # type: ignore[union-attr]
    assert call.within == within
    written = json.loads(plan.to_json())["stages"][0]["condition"]["items"][1]["expr"]["operands"][0]["within"]
    assert written == (None if within is None else within.total_seconds())


def _values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**300), max_value=2**300),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=8),
        st.dates(),
        st.datetimes(timezones=st.sampled_from([None, timezone.utc, timezone(timedelta(hours=5, minutes=30))])),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4).map(tuple),
            st.dictionaries(st.one_of(st.text(max_size=4), st.integers()), inner, max_size=3).map(P.freeze),
        ),
        max_leaves=10,
    )


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(const=_values(), default=_values())
def test_any_value_round_trips_exactly(const: Any, default: Any) -> None:
    round_trip(hand_plan(const=const, default=default))


def test_the_criteria_are_rebuilt_in_file_order() -> None:
    again = round_trip(hand_plan())
    assert [c.id for c in again.criteria] == ["icp.big", "icp.demo"]
    assert again.criterion("icp.demo") is again.stages[0].condition.items[1]


def test_a_plan_with_nan_equals_its_copies() -> None:
    plan = hand_plan(const=float("nan"))
    assert Plan.from_json(plan.to_json()) == plan
    assert pickle.loads(pickle.dumps(plan)) == plan


def test_constants_are_equal_only_to_the_last_type() -> None:
    from leadspec.plan import Const, Type

    num = Type("num", nullable=False)
    assert Const(1, num) != Const(1.0, num) and Const(1, num) != Const(True, num)
    assert Const(0.0, num) != Const(-0.0, num)
    assert Const((1, 2), num) != Const((1.0, 2.0), num)
    assert Const(float("nan"), num) == Const(float("nan"), num) and hash(Const(float("nan"), num)) == hash(Const(float("nan"), num))
    assert Const((1, "a"), num) == Const((1, "a"), num)


def test_a_plan_that_holds_what_the_format_cannot_write_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^cannot export the plan: fields\[0\]\.default: a value of type list cannot be exported"):
        hand_plan(default=[1, 2]).to_json()
    with pytest.raises(ValueError, match=r"stages\[0\]\.condition\.items\[0\]\.expr\.operands\[1\]\.value: a value of type set"):
        hand_plan(const={1}).to_json()  # type: ignore[arg-type]


# -- broken documents: from_json names the place, the schema refuses them ------------------------------


def _document() -> dict[str, Any]:
    return json.loads(hand_plan().to_json())  # type: ignore[no-any-return]


def _item(document: dict[str, Any], i: int) -> dict[str, Any]:
    return document["stages"][0]["condition"]["items"][i]  # type: ignore[no-any-return]


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        *parents, last = _steps(path)
        target: Any = document
        for step in parents:
            target = target[step]
        target[last] = value

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        *parents, last = _steps(path)
        target: Any = document
        for step in parents:
            target = target[step]
        del target[last]

    return change


def _steps(path: str) -> list[Any]:
    return [int(part[1:-1]) if part.startswith("[") else part for part in re.findall(r"\[\d+\]|[^.\[\]]+", path)]


E = "stages[0].condition.items[0].expr"
BROKEN: list[tuple[str, Callable[[dict[str, Any]], None], str, bool]] = [
    # id, change, the message from_json gives (a regular expression, matched at the start), whether the schema refuses it
    ("version 2", _set("leadspec_plan", 2), r"leadspec_plan: expected the format version 1, got the number 2", True),
    ("version as text", _set("leadspec_plan", "1"), r"leadspec_plan: expected the format version 1, got the string '1'", True),
    ("version true", _set("leadspec_plan", True), r"leadspec_plan: expected the format version 1, got true", True),
    ("no version", _drop("leadspec_plan"), r"not a leadspec plan: there is no 'leadspec_plan' key", True),
    ("comparison", _set(f"{E}.ops[0]", "between"), re.escape(f"{E}.ops[0]: 'between' is not a comparison; expected one of '<'"), True),
    ("wrong node", _set(f"{E}.node", "Between"), re.escape(f"{E}.node: 'Between' is not an expression node; expected one of 'Const'"), True),
    ("node of another class", _set(f"{E}.node", "Arith"), re.escape(f"{E}.ops: unknown key; an Arith has op, left, right, type"), True),
    ("no node", _drop(f"{E}.node"), re.escape(f"{E}.node: missing: expected an expression"), True),
    ("node not text", _set(f"{E}.node", 3), re.escape(f"{E}.node: the number 3 is not an expression node"), True),
    ("unknown key", _set(f"{E}.operands[0].colour", "red"), re.escape(f"{E}.operands[0].colour: unknown key; a Name has id, type"), True),
    ("unknown top-level key", _set("criteria", []), r"criteria: unknown key; a Plan has name, version", True),
    ("missing key", _drop("stages[0].label"), r"stages\[0\]\.label: missing; a StagePlan has", True),
    ("integer as text", _set("stages[0].index", "0"), r"stages\[0\]\.index: expected an integer, got the string '0'", True),
    ("integer as float", _set("stages[0].location.line", 7.0), r"stages\[0\]\.location\.line: expected an integer, got the number 7\.0", False),
    ("boolean as integer", _set(f"{E}.type.nullable", 1), re.escape(f"{E}.type.nullable: expected true or false, got the number 1"), True),
    ("text as null", _set("name", None), r"name: expected a string, got null", True),
    ("array as object", _set("owners", {}), r"owners: expected an array, got an object", True),
    ("kind", _set(f"{E}.type.kind", "number"), re.escape(f"{E}.type.kind: 'number' is not a kind of value"), True),
    ("group op", _set("stages[0].condition.op", "most"), r"stages\[0\]\.condition\.op: 'most' is not a group; expected one of 'all'", True),
    ("item node", _set("stages[0].condition.items[1].node", "Stage"), r"stages\[0\]\.condition\.items\[1\]\.node: 'Stage' is not allowed here; expected one of 'Criterion', 'Group'", True),
    ("condition not a group", _set("stages[0].condition.node", "Criterion"), r"stages\[0\]\.condition\.node: expected 'Group', got the string 'Criterion'", True),
    ("duration as text", _set("stages[0].sla", "2d"), r"stages\[0\]\.sla: expected a duration in seconds or null, got the string '2d'", True),
    ("duration too long", _set("stages[0].sla", 1e300), r"stages\[0\]\.sla: 1e\+300 seconds is out of the range of a duration", False),
    ("bad float tag", _set(f"{E}.operands[1].value", {"float": "infinity"}), re.escape(f"{E}.operands[1].value: expected a number;"), True),
    ("unknown value tag", _set("fields[0].default", {"time": "09:00"}), r"fields\[0\]\.default: an object here is one of", True),
    ("bad date", _set("fields[0].default", {"date": "2026-02-30"}), r"fields\[0\]\.default\.date: '2026-02-30' is not an ISO 8601 date", True),
    ("date in another ISO form", _set("fields[0].default", {"date": "20260101"}), r"fields\[0\]\.default\.date: '20260101' is not an ISO 8601 date", True),
    ("datetime with a space", _set("fields[0].default", {"datetime": "2026-01-01 09:00:00"}), r"fields\[0\]\.default\.datetime: '2026-01-01 09:00:00' is not an ISO 8601 datetime", True),
    ("datetime in month 13", _set("fields[0].default", {"datetime": "2026-13-01T09:00:00"}), r"fields\[0\]\.default\.datetime: '2026-13-01T09:00:00' is not an ISO 8601 datetime", False),
    ("date not text", _set("fields[0].default", {"date": 20260101}), r"fields\[0\]\.default\.date: expected an ISO 8601 date as a string", True),
    ("map not pairs", _set("fields[0].default", {"map": [["a"]]}), r"fields\[0\]\.default\.map\[0\]: expected a \[key, value\] pair", True),
    ("comparison arity", _set(f"{E}.ops", [">=", "<"]), re.escape(f"{E}.operands: 2 operands for 2 operators"), False),
    ("unknown field", _set(f"{E}.operands[0].id", "y"), re.escape(f"{E}.operands[0].id: 'y' is not a field of this plan; fields: x, events"), False),
    ("duplicate field", _set("fields[1].name", "x"), r"fields\[1\]\.name: field 'x' is also at fields\[0\]\.name", False),
    ("duplicate criterion index", _set("stages[0].condition.items[1].index", 0), r"stages\[0\]\.condition\.items\[1\]\.index: index 0 is also at stages\[0\]\.condition\.items\[0\]\.index", False),
    ("criterion index out of range", _set("stages[0].condition.items[1].index", 5), r"stages\[0\]\.condition\.items\[1\]\.index: 5 is out of range: this plan has 2 criteria", False),
    ("duplicate criterion id", _set("stages[0].condition.items[1].id", "icp.big"), r"stages\[0\]\.condition\.items\[1\]\.id: criterion 'icp.big' is also at", False),
    ("stage index", _set("stages[0].index", 1), r"stages\[0\]\.index: 1 is not the position of this stage, 0", False),
    ("template part", _set("stages[0].condition.items[0].because.parts[0]", 5), r"stages\[0\]\.condition\.items\[0\]\.because\.parts\[0\]: expected a string or an expression, got the number 5", True),
]


@pytest.mark.parametrize("change, message, schema_refuses", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_document_is_refused_naming_the_place(
    change: Callable[[dict[str, Any]], None], message: str, schema_refuses: bool, validator: Any
) -> None:
    document = _document()
    change(document)
    with pytest.raises(ValueError) as info:
        Plan.from_json(json.dumps(document))
    assert type(info.value) is ValueError
    assert re.match(message, str(info.value)), str(info.value)
    if schema_refuses:  # what the schema can say (shapes); the rest only from_json checks
        assert list(validator.iter_errors(document)), "the schema accepts it"
    else:
        assert not list(validator.iter_errors(document))


@pytest.mark.parametrize(
    "text, message",
    [
        ("", r"not a leadspec plan: not JSON: Expecting value"),
        ("{", r"not a leadspec plan: not JSON"),
        (b"\xff\xfe{", r"not a leadspec plan: not JSON"),
        ("[1]", r"not a leadspec plan: the document is an array, not an object"),
        ("null", r"not a leadspec plan: the document is null"),
        ("[" * 100_000 + "]" * 100_000, r"not a leadspec plan: the JSON is nested too deeply"),
        ('{"leadspec_plan": 1, "x": ' + "9" * 5000 + "}", r"not a leadspec plan: not JSON: Exceeds the limit"),
    ],
    ids=["empty", "truncated", "not UTF-8", "array", "null", "deep", "huge integer"],
)
def test_text_that_is_not_a_plan_is_refused(text: str | bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        Plan.from_json(text)
    assert type(info.value) in (ValueError,)


def test_a_deeply_nested_expression_is_refused_cleanly() -> None:
    document = _document()
    node: dict[str, Any] = _item(document, 0)["expr"]
    for _ in range(3000):
        node = {"node": "Not", "operand": node, "type": {"kind": "bool"}}
    _item(document, 0)["expr"] = node
    text = _dumps_deep(document)
    with pytest.raises(ValueError, match="nested too deeply"):
        Plan.from_json(text)


def _dumps_deep(document: Any) -> str:
    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(50_000)
    try:
        return json.dumps(document)
    finally:
        sys.setrecursionlimit(limit)


def test_keys_left_out_that_have_defaults_are_read_as_the_defaults() -> None:
    # later versions of the format may add keys with defaults; a writer may leave these out
    document = _document()
    del _item(document, 0)["points"]
    del _item(document, 0)["expr"]["type"]["integral"]
    del _item(document, 1)["expr"]["operands"][0]["within"]
    assert Plan.from_json(json.dumps(document)) == hand_plan()


# -- mutated documents: always a Plan or a ValueError; what from_json takes, the schema takes ---------


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _paths(item, prefix + (i,))
    return out


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=6),
              st.sampled_from(["Const", "Name", "Compare", "Criterion", "Group", "<=", "num", "all", "x", "icp.big"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["node", "float", "date", "map", "id", "type", "value", "kind"]), inner, max_size=3)),
    max_leaves=6,
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), replacement=JSON_VALUES, delete=st.booleans())
def test_a_mutated_document_is_a_plan_or_a_located_value_error(data: st.DataObject, replacement: Any, delete: bool) -> None:
    document = _document()
    paths = [p for p in _paths(document) if p]
    path = data.draw(st.sampled_from(paths))
    target: Any = document
    for step in path[:-1]:
        target = target[step]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = replacement
    try:
        plan = Plan.from_json(json.dumps(document))
    except ValueError as exc:
        assert type(exc) is ValueError
        return
    assert not list(_validator().iter_errors(document)), "from_json took a document the schema refuses"
    assert Plan.from_json(plan.to_json()) == plan


@pytest.mark.parametrize("tag", [[], {}, 1, None, True])
def test_a_float_tag_that_is_not_text_is_a_located_value_error(tag: Any) -> None:
    """Found by the mutation law: ``{"float": []}`` raised TypeError (unhashable) instead of naming the place."""
    document = json.loads(leadspec.load(ROOT / "rules" / "b2b-saas.yaml").plan.to_json())
    document["stages"][0]["condition"]["items"][0]["expr"]["operands"][0]["value"] = {"float": tag}
    with pytest.raises(ValueError, match=r"^stages\[0\]\.condition\.items\[0\]\.expr\.operands\[0\]\.value"):
        Plan.from_json(json.dumps(document))


def _first_call(document: dict[str, Any], fn: str) -> tuple[dict[str, Any], str]:
    """The first Call node of ``fn`` in ``document`` and its JSON path."""
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        node, path = stack.pop(0)
        if isinstance(node, dict):
            if node.get("node") == "Call" and node.get("fn") == fn:
                return node, path
            stack += [(v, f"{path}.{k}" if path else k) for k, v in node.items()]
        elif isinstance(node, list):
            stack += [(v, f"{path}[{i}]") for i, v in enumerate(node)]
    raise AssertionError(f"no call of {fn}")


@pytest.mark.parametrize(
    ("fn", "change", "where", "message"),
    [
        ("count", {"fn": "nope"}, "fn", "'nope' is not a built-in function"),
        ("count", {"fn": "upper"}, "events", "`events` is only for the event functions"),
        ("count", {"events": None}, "events", "count() needs its event types in `events`"),
        ("count", {"events_from": "nolist"}, "events_from", "'nolist' is not a declared list"),
        ("days_since", {"args": []}, "args", "days_since() takes 1 arguments, not 0"),
        ("score", {"args": [{"node": "Const", "value": "nope", "type": {"kind": "str", "nullable": False, "values": None, "integral": False}}]}, "args[0]", "score() takes the name of a score"),
    ],
)
def test_a_call_no_engine_can_run_is_refused(fn: str, change: dict[str, Any], where: str, message: str) -> None:
    """Found by review: from_json took calls of unknown functions, event functions without event types, wrong arities."""
    document = json.loads(leadspec.load(ROOT / "rules" / "b2b-saas.yaml").plan.to_json())
    call, path = _first_call(document, fn)
    call.update(change)
    with pytest.raises(ValueError) as info:
        Plan.from_json(json.dumps(document))
    assert str(info.value).startswith(f"{path}.{where}: {message}"), str(info.value)
