"""One coercion (issue 9): every path reads a raw value the same way.

For every field type, random settings (missing markers, enum values,
``min``/``max``, date formats, defaults) and random raw values (text with
whitespace and odd case, markers made of digits, unicode digits, numbers
as text, huge numbers, booleans, NaN and infinity, dates, lists, dicts,
numpy and pandas scalars):

    the generated fast path (``Coercer.code_lines``, compiled here in a
    namespace of this module's own) == ``Coercer.coerce`` (value, type and
    issues) == ``lead_model`` validation (the value, or a validation error
    with the issue's message exactly when ``coerce`` reports one).

The last test runs the same law against copies of the fast paths the
code generator inlined before: it must find their drift.

Bounded for the suite; ``LEADSPEC_FUZZ=1`` runs many more examples.
"""

from __future__ import annotations

import math
import os
from dataclasses import replace
from datetime import date, timedelta, timezone
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from leadspec._fields import READINGS, BadValue, Coercer, events_as_dicts, lead_model
from leadspec.plan import FieldPlan

EXAMPLES = 2000 if os.environ.get("LEADSPEC_FUZZ") else 100
LAWS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

try:
    import numpy as np
    import pandas as pd
except ImportError:  # pragma: no cover - the laws still run on plain values
    np = pd = None

Lines = Callable[[Coercer, str, Callable[[Any, str], str]], "list[str]"]

# -- the generated fast path, compiled in a namespace of our own -----------------


def compiled(coercer: Coercer, var: str = "v", lines: Lines = Coercer.code_lines) -> Callable[[Any, list[Any]], Any]:
    """``def _fast(var, issues)`` made of ``lines(coercer, var, constant)``, returning ``var``."""
    namespace: dict[str, Any] = {}

    def constant(value: Any, prefix: str) -> str:
        name = f"{prefix}{len(namespace)}"
        namespace[name] = value
        return name

    body = lines(coercer, var, constant)
    source = f"def _fast({var}, issues):\n" + "".join(f"    {line}\n" for line in body) + f"    return {var}\n"
    exec(compile(source, f"<fast path of a {coercer.type} field>", "exec"), namespace)
    fast: Callable[[Any, list[Any]], Any] = namespace["_fast"]
    return fast


# -- random fields ---------------------------------------------------------------

MARKER_POOL = ["", "N/A", "n/a", "0", "1", "9999", "007", "no", "No", "yes", "true", "null", "-", "Select", "SaaS", "saas", "nan", "2026-10-05", "a"]
ENUM_POOL = ["SaaS", "saas", "fintech", "Other", "N/A", "no", "0", "Ünï", " Hot ", "HOT", "1.5"]
DEFAULTS = [
    "yes", True, False, 0, 7, "42", 2.5, -3, "SaaS", "fintech", "N/A", "text", "2026-10-05", "10/05/2026",
    "2026-10-05T10:00:00Z", "05.10.2026 10:00", "a; b", ("x", "y"), (), ({"type": "demo", "at": "2026-10-01T00:00:00Z"},),
]


@st.composite
def fields(draw: st.DrawFn, types: st.SearchStrategy[str] = st.sampled_from(sorted(READINGS)), bounded: bool = True) -> Coercer:
    """A coercer of a random field, built from a random ``FieldPlan`` (``bounded``: with random ``min``/``max``)."""
    kind = draw(types)
    markers = draw(st.frozensets(st.one_of(st.sampled_from(MARKER_POOL), st.text(max_size=4).map(str.strip)), max_size=5))
    if kind == "number":  # markers the decimal fast path would read as numbers
        markers |= draw(st.frozensets(st.sampled_from(["0.0", ".5", "2.5", "0"]), max_size=2))
    values = None
    if kind == "enum":
        values = draw(st.lists(st.one_of(st.sampled_from(ENUM_POOL), st.text(min_size=1, max_size=6)), min_size=1, max_size=5, unique=True))
    elif kind == "events":
        values = draw(st.none() | st.just(["demo", "visit"]))
    low = high = None
    if kind in ("integer", "number") and bounded:
        bound = st.none() | st.integers(-1000, 1000) | st.floats(-1000, 1000)
        low, high = draw(bound), draw(bound)
        if low is not None and high is not None and low > high:
            low, high = high, low
    fmt = None
    if kind == "date":
        fmt = draw(st.sampled_from([None, "%m/%d/%Y"]))
    elif kind == "datetime":
        fmt = draw(st.sampled_from([None, "%d.%m.%Y %H:%M"]))
    plan = FieldPlan(
        name="x",
        type=kind,  # type: ignore[arg-type]
        source="x",
        default=draw(st.none() | st.sampled_from(DEFAULTS)),
        missing=tuple(sorted(markers)),
        values=tuple(values) if values is not None else None,
        format=fmt,
        min=low,
        max=high,
    )
    try:
        return Coercer.from_plan(plan)
    except BadValue:  # a default the type cannot read: the checker refuses it (bad-value)
        return Coercer.from_plan(replace(plan, default=None))


# -- random raw values -------------------------------------------------------------

TEXT_POOL = [
    "0", "1", "9999", "007", "٣", "１２", "²", "12.0", "250.0", "1e3", "nan", "NaN", "inf", "-0", "-12", "+5", "1_000", "1,200",
    "yes", "No", "TRUE", "off", "y", "T", "SaaS", "saas", "HOT", "Hot", "N/A", "n/a", "null", "", " ", "\t",
    "2026-10-05", "10/05/2026", "2026-10-05T10:00:00Z", "2026-10-05T10:00:00+02:00", "05.10.2026 10:00",
    '["a", "b"]', "a; b", "[broken", '[{"type": "demo", "at": "2026-10-01T00:00:00Z"}]', '[{"type": "demo"}]',
    "9" * 18, "9" * 19, "9" * 25, "9" * 5000,
]
DECIMAL_POOL = ["2.5", ".5", "5.", ".", "..", "1.2.3", "00.50", "0.0", "-2.5", "2.5e3", "1 .5", "9" * 17 + ".5", "9" * 18 + ".5", "1" * 400 + ".5", "٣.5"]
"""Texts at the edges of the number fields' text fast path (drawn for number fields only: the draws for the other types,
which the drift tests below are derandomized on, stay as they were)."""


def padded(text: str) -> st.SearchStrategy[str]:
    return st.sampled_from([text, f" {text} ", f"{text}\t", text.upper(), text.lower(), text.title()])


TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(TEXT_POOL),
    st.integers(-(10**30), 10**30).map(str),
    st.floats().map(str),
).flatmap(padded)

EVENT = st.fixed_dictionaries(
    {"type": st.sampled_from(["demo", "visit", "", 3]), "at": st.sampled_from(["2026-10-01T00:00:00Z", "2026-10-01", "soon", None])}
)

PLAIN = st.one_of(
    st.none(),
    TEXT,
    st.integers(),
    st.integers(-3, 3),
    st.sampled_from([10**400, -(10**400), 2**63, 10**5000, 1.0, 0.5, -0.0, 1e308, 1e309, True, False]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.datetimes(timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-5))])),
    st.lists(st.one_of(TEXT, st.integers(), st.floats(), st.none()), max_size=4),
    st.lists(EVENT, max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)

if np is not None and pd is not None:
    FOREIGN: st.SearchStrategy[Any] = st.one_of(
        st.integers(-(2**63), 2**63 - 1).map(np.int64),
        st.floats(allow_nan=True, width=32).map(np.float32),
        st.floats(allow_nan=True).map(np.float64),
        st.booleans().map(np.bool_),
        st.sampled_from([pd.NA, pd.NaT, np.datetime64("NaT"), np.datetime64("2026-10-01T12:00:00.123456789"), np.str_(" 12 ")]),
        st.datetimes().map(pd.Timestamp),
    )
else:  # pragma: no cover
    FOREIGN = st.nothing()


def raws(coercer: Coercer) -> st.SearchStrategy[Any]:
    """Raw values for ``coercer``: anything, and often its own markers and spellings."""
    own: list[st.SearchStrategy[Any]] = [PLAIN, FOREIGN]
    if coercer.missing:
        own.append(st.sampled_from(sorted(coercer.missing)).flatmap(padded))
    if coercer.spellings:
        own.append(st.sampled_from(sorted(coercer.spellings)).flatmap(padded))
    if coercer.type == "number":
        own.append(st.sampled_from(DECIMAL_POOL).flatmap(padded))
        own.append(st.floats(0, 1e6).map(lambda f: f"{f:.{len(str(f)) % 7}f}"))
    return st.one_of(*own)


@st.composite
def cases(draw: st.DrawFn, types: st.SearchStrategy[str] = st.sampled_from(sorted(READINGS)), bounded: bool = True) -> tuple[Coercer, list[Any]]:
    coercer = draw(fields(types, bounded))
    return coercer, draw(st.lists(raws(coercer), min_size=1, max_size=8))


# -- the law ----------------------------------------------------------------------


def same(a: Any, b: Any) -> bool:
    """The same value of the same type (NaN inside lists and issues included)."""
    if type(a) is not type(b):
        return False
    try:
        return bool(a == b) or repr(a) == repr(b)
    except ValueError:  # an integer too long to print
        return False


def check(coercer: Coercer, raws: list[Any], lines: Lines = Coercer.code_lines, model: bool = True) -> None:
    """The law for each of ``raws`` (``model``: lead_model's validation too)."""
    fast = compiled(coercer, "v", lines)
    fast_named = compiled(coercer, "f_x", lines)  # the variable is the caller's: any name
    validator = lead_model("laws", [coercer]) if model else None
    for raw in raws:
        issues: list[Any] = []
        value = coercer.coerce(raw, issues)
        fast_issues: list[Any] = []
        got = fast(raw, fast_issues)
        marker = " (a missing marker)" if isinstance(raw, str) and raw.strip() in coercer.missing else ""
        assert same(got, value), f"fast path {got!r} != coerce {value!r} for {raw!r}{marker}"
        assert same(fast_issues, issues), f"fast path issues {fast_issues!r} != coerce issues {issues!r} for {raw!r}"
        assert same(fast_named(raw, []), value)
        if validator is None:
            continue
        try:
            checked = validator.model_validate({"x": raw})
        except ValidationError as error:
            assert issues, f"lead_model refused {raw!r}, which coerce reads as {value!r}: {error}"
            assert issues[0]["message"] in str(error)
        else:
            assert not issues, f"lead_model accepted {raw!r}, for which coerce reports {issues!r}"
            expected = events_as_dicts(value) if coercer.type == "events" and value is not None else value
            assert same(checked.model_dump(by_alias=True)["x"], expected), raw


@LAWS
@given(cases())
def test_fast_path_coerce_and_lead_model_read_every_raw_value_the_same_way(case: tuple[Coercer, list[Any]]) -> None:
    check(*case)


@LAWS
@given(cases(st.sampled_from(["integer", "number", "boolean", "enum", "string"])), st.data())
def test_a_marker_is_missing_on_every_path_whatever_else_it_spells(case: tuple[Coercer, list[Any]], data: st.DataObject) -> None:
    coercer, _ = case
    if not coercer.missing:
        return
    marker = data.draw(st.sampled_from(sorted(coercer.missing)).flatmap(lambda m: st.sampled_from([m, f" {m} ", f"\t{m}"])))
    issues: list[Any] = []
    assert compiled(coercer)(marker, issues) is coercer.default and issues == []
    check(coercer, [marker])


# -- examples the law stands on (readable failures) ---------------------------------


def field(kind: str, markers: tuple[str, ...] = ("",), **settings: Any) -> Coercer:
    options: dict[str, Any] = {"default": None, "values": None, "format": None, "min": None, "max": None, **settings}
    return Coercer.from_plan(FieldPlan(name="x", type=kind, source="x", missing=markers, **options))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("coercer", "raw", "expected"),
    [
        (field("integer", ("0", "9999")), "0", None),
        (field("integer", ("0", "9999"), default=-1), "9999", -1),
        (field("integer", ("0",)), "00", 0),
        (field("integer"), " 3 ", 3),  # trimmed text: the slow path (other scripts' digits are a bad value: tests/test_docs_behaviour.py)
        (field("boolean", ("no", "0")), "no", None),
        (field("boolean", ("no", "0"), default=True), "0", True),
        (field("boolean", ("no",)), "No", False),  # markers are case-sensitive
        (field("enum", ("hot",), values=("Hot", "Cold")), "hot", None),
        (field("enum", ("hot",), values=("Hot", "Cold")), "HOT", "Hot"),  # not a marker: a spelling of Hot
        (field("enum", values=(" Hot ", "Cold")), " Hot ", " Hot "),
        (field("enum", values=("Saas", "saas")), "saas", "saas"),  # the exact spelling wins over another value's lower case
        (field("string", ("N/A",), default="none"), " N/A ", "none"),
        (field("date"), date(2026, 10, 5), date(2026, 10, 5)),
    ],
)
def test_examples_read_alike_on_every_path(coercer: Coercer, raw: Any, expected: Any) -> None:
    issues: list[Any] = []
    assert same(coercer.coerce(raw, issues), expected) and issues == []
    check(coercer, [raw])


def test_text_digits_out_of_range_are_reported_as_the_text_that_came_in() -> None:
    coercer = field("integer", min=0, max=1000)
    issues: list[Any] = []
    assert compiled(coercer)("99999", issues) is None
    assert issues == [{"field": "x", "value": "99999", "message": "99999 is above the maximum 1000"}]


def test_the_fast_path_is_the_table_row() -> None:
    """What each type's generated lines let through without a call, per :data:`READINGS`."""
    names: list[str] = []
    constants: list[Any] = []

    def constant(value: Any, prefix: str) -> str:
        names.append(prefix)
        constants.append(value)
        return f"{prefix}{len(names)}"

    integer = field("integer", ("0",), min=0)
    assert integer.code_lines("v", constant) == [
        "if type(v) is int and _min2 <= v <= _max3: pass",
        "elif type(v) is str and len(v) < 19 and v.isdigit() and v.isascii() and v not in _miss4 and _min5 <= (_t := int(v)) <= _max6: v = _t",
        "elif type(v) is str and v in _miss7: v = _dflt8",
        "else: v = _c_x_1.coerce(v, issues)",
    ]
    assert field("events").code_lines("v", constant) == ["v = _c_x_9.coerce_events(v, issues)"]
    assert field("number", ("0.0",)).code_lines("v", constant) == [
        "if (type(v) is int or type(v) is float) and _min11 <= v <= _max12: pass",
        "elif type(v) is str and len(v) < 19 and v.isascii() and v.replace('.', '', 1).isdigit() and v not in _miss13"
        " and _min14 <= (_t := float(v)) <= _max15: v = _t",
        "elif type(v) is str and v in _miss16: v = _dflt17",
        "else: v = _c_x_10.coerce(v, issues)",
    ]
    assert field("enum", ("", "n/a"), values=("Hot",)).code_lines("v", constant) == [
        "if type(v) is str and v in _spell19: v = _spell19[v]",
        "else: v = _c_x_18.coerce(v, issues)",
    ]
    assert constants[-1] == {"": None, "n/a": None, "Hot": "Hot", "hot": "Hot"}  # the markers (their default) and the spellings
    assert field("date", ()).code_lines("v", constant) == ["if not (type(v) is _type21): v = _c_x_20.coerce(v, issues)"]


def test_from_plan_reads_the_fields_settings() -> None:
    coercer = field("integer", ("n/a",), default="12", min=0, max=100, description="head count")
    assert (coercer.name, coercer.source, coercer.default, coercer.min, coercer.max) == ("x", "x", 12, 0, 100)
    assert coercer.coerce("n/a", []) == 12 and coercer.coerce("101", []) is None
    with pytest.raises(BadValue):
        field("integer", default="lots")
    dotted = Coercer.from_plan(FieldPlan("c", "string", "company.country", None, ("",), None, None, None, None))
    assert dotted.lookup({"company": {"country": " DE "}}) == " DE "


# -- the law finds the drift of the fast paths leadspec used to inline ------------------


def fast_path_before_issue_8(c: Coercer, var: str, constant: Callable[[Any, str], str]) -> list[str]:
    """The integer and boolean lines of ``_Gen.field_lines`` before 16dd799: markers not checked."""
    cname = constant(c, "_c_")
    low, high = constant(c.min, "_min"), constant(c.max, "_max")
    if c.type == "integer":
        return [
            f"if type({var}) is str and len({var}) < 19 and {var}.isdigit() and {var}.isascii(): {var} = int({var})",
            f"if not (type({var}) is int and {low} <= {var} <= {high}): {var} = {cname}.coerce({var}, issues)",
        ]
    table = constant({t: v for words, v in ((("true", "yes", "y", "1", "t", "on"), True), (("false", "no", "n", "0", "f", "off"), False)) for w in words for t in (w, w.capitalize(), w.upper())}, "_bools")
    return [f"if type({var}) is not bool: {var} = {table}.get({var}) if type({var}) is str and {var} in {table} else {cname}.coerce({var}, issues)"]


def fast_path_before_issue_9(c: Coercer, var: str, constant: Callable[[Any, str], str]) -> list[str]:
    """The integer lines of ``_Gen.field_lines`` before issue 9: digits over ``max`` reached coerce() as a number."""
    cname = constant(c, "_c_")
    low, high = constant(c.min, "_min"), constant(c.max, "_max")
    markers = f" and {var} not in {constant(c.digit_markers, '_miss')}" if c.digit_markers else ""
    return [
        f"if type({var}) is str and len({var}) < 19 and {var}.isdigit() and {var}.isascii(){markers}: {var} = int({var})",
        f"if not (type({var}) is int and {low} <= {var} <= {high}): {var} = {cname}.coerce({var}, issues)",
    ]


@pytest.mark.parametrize(
    ("lines", "kind", "bounded", "drift"),
    [
        (fast_path_before_issue_8, "integer", False, r"fast path \d+ != coerce .* for '\d+' \(a missing marker\)"),
        (fast_path_before_issue_8, "boolean", False, r"fast path (True|False) != coerce .* \(a missing marker\)"),
        (fast_path_before_issue_9, "integer", True, r"fast path issues \[.*'value': -?\d+, .*\] != coerce issues \[.*'value': '-?\d+'"),
    ],
)
def test_the_law_finds_the_drift_of_the_old_inlined_fast_paths(lines: Lines, kind: str, bounded: bool, drift: str) -> None:
    @settings(max_examples=1000, deadline=None, database=None, derandomize=True, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(cases(st.just(kind), bounded))
    def law(case: tuple[Coercer, list[Any]]) -> None:
        check(*case, lines=lines, model=False)

    with pytest.raises(AssertionError, match=drift):
        law()
    for raw in ("12", " 12 ", 12, None):  # where the old paths were right, the law holds for them
        check(field(kind), [raw], lines=lines)


def test_nan_inputs_are_missing_on_every_path() -> None:
    for kind in READINGS:
        coercer = field(kind)
        for raw in (math.nan, None) + ((pd.NA, np.float64("nan")) if pd is not None else ()):
            issues: list[Any] = []
            assert compiled(coercer)(raw, issues) is None and issues == [], (kind, raw)
        check(coercer, [math.nan])
