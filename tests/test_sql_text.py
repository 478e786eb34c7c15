"""Texts in SQL (``leadspec._sql._text``): values shown, bad values, the because of a passing disqualifier.

Each text is compared with what ``leadspec.result`` writes for the same
value, on DuckDB, Spark and PostgreSQL (one query per hypothesis example,
every generated value a row of it); Snowflake and BigQuery by their
expected SQL, written from those warehouses' documentation.
"""

from __future__ import annotations

import math
import os
import struct
from datetime import date, datetime, timezone
from typing import Any

import pytest

pytest.importorskip("sqlglot")
pytest.importorskip("duckdb")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from sqlglot import exp  # noqa: E402

import leadspec  # noqa: E402
from leadspec._expr import shorten  # noqa: E402
from leadspec._sql import _text, build  # noqa: E402
from leadspec._sql._ctx import Chain, Ctx, FieldCols  # noqa: E402
from leadspec.plan import Type  # noqa: E402
from leadspec.result import _bad_value_text, _show  # noqa: E402

import _sqlengines  # noqa: E402
from conftest import ROOT  # noqa: E402

EXAMPLES = 2000 if os.environ.get("LEADSPEC_FUZZ") else 10
ENGINES = ("duckdb", "spark", "postgres")
RULES = leadspec.loads("leadspec: 1\nname: t\nfields:\n  a: {type: integer}\nstages:\n  - id: icp\n    when: a > 1\n")


def _ctx(dialect: str) -> Ctx:
    return Ctx(dialect=dialect, ruleset=RULES, as_of=exp.Null(), chain=Chain(exp.to_table("t")))


def _rows(engine: str, select: exp.Select) -> list[Any]:
    """The single output column of ``select`` (ordered by its column i) run on ``engine``."""
    sql = select.sql(dialect=engine)
    if engine == "duckdb":
        import duckdb

        return [r[1] for r in duckdb.sql(sql).fetchall()]
    if engine == "spark":
        return [r[1] for r in _sqlengines.spark_session().sql(sql).collect()]
    return [r[1] for r in _sqlengines.postgres().connection.execute(sql).fetchall()]


def _table(rows: list[list[exp.Expr]], names: str) -> exp.Expr:
    return exp.Values(
        expressions=[exp.Tuple(expressions=[exp.Literal.number(i), *r]) for i, r in enumerate(rows)],
        alias=exp.TableAlias(this=exp.to_identifier("t"), columns=[exp.to_identifier(c) for c in ["i", *names]]),
    )


def _shown(engine: str, values: list[exp.Expr], type_: Type) -> list[str]:
    e = _text.show(_ctx(engine), exp.column("v"), type_)
    return _rows(engine, exp.select("i", exp.alias_(e, "s")).from_(_table([[v] for v in values], "v")).order_by("i"))


def _double(value: float, engine: str) -> exp.Expr:
    literal = "NaN" if math.isnan(value) else "Infinity" if value == math.inf else "-Infinity" if value == -math.inf else repr(value)
    return exp.Cast(this=exp.Literal.string(literal), to=exp.DataType.build("DOUBLE"))


# -- show ----------------------------------------------------------------------------------------

HALVES = [0.125, 2.675, 1234.565, 0.15625, 1.125, 1.375, 9999.995, 99999.995, 0.99995, 0.000099995, 4503599627370495.5, -0.0, 0.0, -7.5]


def _bits(n: int) -> float:
    return float(struct.unpack("d", struct.pack("Q", n))[0])


NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1, max_value=1),
    st.floats(min_value=-1e6, max_value=1e6),
    st.integers(min_value=0, max_value=2**64 - 1).map(_bits),
    st.integers(min_value=-(10**9), max_value=10**9).map(lambda n: n / 1000),
    st.sampled_from(HALVES),
    st.integers(min_value=-(2**62), max_value=2**62).map(float),
).filter(lambda v: not (math.isfinite(v) and abs(v) >= 2**63))  # whole numbers of 2^63 and more: a difference that remains


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=EXAMPLES, deadline=None)
@given(values=st.lists(NUMBERS, min_size=1, max_size=40))
def test_show_numbers_is_result_show(engine: str, values: list[float]) -> None:
    assert _shown(engine, [_double(v, engine) for v in values], Type("num")) == [_show(v) for v in values]


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=EXAMPLES, deadline=None)
@given(values=st.lists(st.integers(min_value=-(2**53), max_value=2**53), min_size=1, max_size=40))
def test_show_integers_is_result_show(engine: str, values: list[int]) -> None:
    # an integer is a DOUBLE in SQL; -0.0 (0 * -1 in SQL) is Python's 0
    sql_values = [_double(float(v), engine) for v in values] + [_double(-0.0, engine)]
    assert _shown(engine, sql_values, Type("num", integral=True)) == [_show(v) for v in values] + ["0"]


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=EXAMPLES, deadline=None)
@given(
    days=st.lists(st.dates(min_value=date(1, 1, 1)), min_size=1, max_size=20),
    moments=st.lists(st.datetimes(min_value=datetime(1, 1, 1)), min_size=1, max_size=20),
    lists=st.lists(st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=5), max_size=4), min_size=1, max_size=10),
)
def test_show_dates_datetimes_lists_booleans(engine: str, days: list[date], moments: list[datetime], lists: list[list[str]]) -> None:
    dates = [exp.Cast(this=exp.Literal.string(d.isoformat()), to=exp.DataType.build("DATE")) for d in days]
    assert _shown(engine, dates, Type("date")) == [_show(d) for d in days]
    stamps = [exp.Cast(this=exp.Literal.string(m.isoformat(sep=" ")), to=exp.DataType.build("TIMESTAMP")) for m in moments]
    assert _shown(engine, stamps, Type("datetime")) == [_show(m.replace(tzinfo=timezone.utc)) for m in moments]
    arrays = [exp.Cast(this=exp.Array(expressions=[exp.Literal.string(s) for s in items]), to=exp.DataType.build("ARRAY<VARCHAR>")) for items in lists]
    assert _shown(engine, arrays, Type("list")) == [_show(tuple(items)) for items in lists]
    flags = [exp.true(), exp.false(), exp.Cast(this=exp.Null(), to=exp.DataType.build("BOOLEAN"))]
    assert _shown(engine, flags, Type("bool")) == ["yes", "no", "missing"]


# -- bad values ----------------------------------------------------------------------------------

TEXT = st.text(st.one_of(st.sampled_from(list("ab '\"\\\t\n\r\x01\x1f\x7f\x85\xa0é€😀\u2000\u3000 x")), st.characters(codec="utf-8", exclude_characters="\x00")), max_size=60)
MESSAGES = st.one_of(
    st.sampled_from(["not one of GTX Basic, GTX Pro", "-1 is below the minimum 0", "1e5 is above the maximum 10", "not an integer", "outside 1..3", "1,5 is x", "e is  odd", "odd: x", " is lone"]),
    TEXT,
)


def test_quoted_is_repr_but_for_characters_sql_cannot_classify() -> None:
    for value in ["GTXPro", "it's", 'say "hi"', "both ' and \"", "tab\there\nnew\rline\\", "\x01\x7f\x85\xa0\u2000\u3000", "é€😀"]:
        assert _text.quoted(value) == repr(value)
    # repr also escapes format, private-use and unassigned characters (by the Unicode version of the Python build)
    assert repr("a\u200bb") == "'a\\u200bb'"
    assert _text.quoted("a\u200bb") == "'a\u200bb'"


@given(st.text(st.characters(codec="utf-8")))
@settings(max_examples=EXAMPLES * 10, deadline=None)
def test_quoted_law(value: str) -> None:
    if all(ch.isprintable() or ord(ch) in _text._CONTROL_SET for ch in value):
        assert _text.quoted(value) == repr(value)


PRODUCT = leadspec.loads("leadspec: 1\nname: p\nfields:\n  product: {type: string}\nstages:\n  - id: icp\n    when: product == 'x'\n")
KNOWN_TEXTS = [
    ("GTXPro", "not one of GTX Basic, GTX Pro"),  # plain text: quoted as it is, without escaping
    ('say "hi"', "x"),
    ("it's", "x"),  # a single quote: double quotes around, nothing escaped
    ("both ' and \"", "x"),
    ("back\\slash", "x"),
    ("tab\there\nnew\rline", "x"),
    ("\x01\x1f\x7f\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000", "x"),
    ("é€😀 \u200b\u3001", "x"),  # printable, and characters repr escapes but quoted() writes as they are
    ("", "x"),
    ("  many   spaces  ", "x"),
    ("x" * 50, "x"),
    ("'" * 50, "x"),
]


def _bad_texts(engine: str, pairs: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """bad_value_text of each (raw, message) on ``engine``: read from the columns of :func:`_text.prepare`, and as
    one expression."""
    values = _table([[exp.Literal.string(r), exp.Literal.string(m)] for r, m in pairs], "rm")
    chain = Chain(exp.select("*").from_(values).subquery("t"))
    ctx = Ctx(dialect=engine, ruleset=PRODUCT, as_of=exp.Null(), chain=chain)
    r, m = exp.column("r"), exp.column("m")
    _text.prepare(ctx, [FieldCols(value=exp.Null(), bad=m, raw=r)])
    chain.next()
    prepared = _text.bad_value_text(ctx, "product", r, m)
    assert isinstance(prepared, exp.Column)  # the column prepare() computed, not the text again
    chain.put("prepared", prepared)
    chain.put("inline", _text.bad_value_text(_ctx(engine), "product", r, m))
    ctes, last = chain.ctes()
    names = [n for layer in chain.layers for n, _ in layer]
    select = exp.select("i", exp.column(names[-2]), exp.column(names[-1])).from_(last).order_by("i")
    for name, cte in ctes:
        select = select.with_(name, as_=cte)
    sql = select.sql(dialect=engine)
    if engine == "duckdb":
        import duckdb

        rows = duckdb.sql(sql).fetchall()
    elif engine == "spark":
        rows = [tuple(r) for r in _sqlengines.spark_session().sql(sql).collect()]
    else:
        rows = _sqlengines.postgres().connection.execute(sql).fetchall()
    return [row[1] for row in rows], [row[2] for row in rows]


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=EXAMPLES, deadline=None)
@given(pairs=st.lists(st.tuples(TEXT, MESSAGES), min_size=1, max_size=30))
def test_bad_value_text_is_result(engine: str, pairs: list[tuple[str, str]]) -> None:
    pairs = KNOWN_TEXTS + pairs
    prepared, inline = _bad_texts(engine, pairs)
    expected = [_bad_value_text("product", shorten(_text.quoted(r), 40), " ".join(m.split())) for r, m in pairs]
    assert prepared == expected
    assert inline == expected


# -- because of a passing disqualifier (the whole query) ---------------------------------------

DISQUALIFY = leadspec.loads(
    """
leadspec: 1
name: disq
fields:
  employees: {type: integer}
  revenue: {type: number}
  country: {type: enum, values: [US, DE, FR]}
  email: {type: string}
  signup: {type: date}
  tags: {type: list}
  partner: {type: boolean}
flags:
  big: {when: employees >= 1000}
disqualify:
  - id: tiny
    when: employees < 5
  - id: competitor
    when: endswith(email, "@rival.com")
    because: "{email} works for a rival ({employees} people)"
  - id: broke
    when: revenue < 0.5 or big
    because: "revenue {revenue} of {country}"
  - id: old
    when: days_since(signup) > 400
  - id: nowhere
    when: country == "FR"
    missing: pass
  - id: tagged
    when: "'spam' in tags"
    because: "tags {tags}, partner {partner}"
stages:
  - id: icp
    when: employees >= 10
"""
)
AS_OF = "2026-11-01"
LEADS = [
    {"employees": "3", "email": "a@b.com", "revenue": "12345.678", "country": "US", "signup": "2026-10-01"},
    {"employees": "20", "email": "x@rival.com", "revenue": "0.125", "country": "DE"},
    {"employees": "2000", "email": "x@rival.com", "revenue": "2.675", "country": "DE", "signup": "2020-01-05"},
    {"employees": "abc", "email": "y@rival.com", "revenue": "-0", "country": "XX"},
    {"employees": "7", "country": "Germany", "revenue": "1e-7"},
    {"employees": "70", "country": "FR", "tags": "spam;b", "partner": "yes"},
    {"employees": "7", "revenue": "0.3", "tags": "spam"},
    {"employees": "8", "country": "Fr'ance\t\\ \u2028", "revenue": "1'5"},  # bad values that need escapes, named twice
    {"employees": "9", "country": 'say "no"', "email": "z@rival.com"},
    {},
]


@pytest.mark.parametrize("engine", ENGINES)
def test_passing_because_is_result_because(engine: str) -> None:
    columns = sorted({f.source for f in DISQUALIFY.plan.fields})
    got = _sqlengines.run(engine, DISQUALIFY, LEADS, as_of=AS_OF, columns=columns)
    for lead, row in zip(LEADS, got):
        result = DISQUALIFY.evaluate(lead, AS_OF)
        assert row["reasons"] == result.summary(), lead
    assert any("counted as pass" in r["reasons"] for r in got)  # the policy branch is among the cases
    assert any("works for a rival" in r["reasons"] for r in got)  # so is a template
    assert any("country \"Fr'ance\\t\\\\ \\u2028\" is not one of US, DE, FR (counted as pass" in r["reasons"] for r in got)



# a list of numbers or booleans in a because text: each item shown as result._show shows it alone (DuckDB and Spark
# wrote [12345.0, 123456.789], PostgreSQL [12345, 123456.789], where Python writes [12,345, 123,456.79])
_LIST_RULES = """
leadspec: 1
name: lists-shown
fields:
  n: {{type: integer}}
  x: {{type: number}}
  b: {{type: boolean}}
  k: {{type: integer}}
  tags: {{type: list}}
lists:
  sizes: [0, 3, 12345.5, -2]
disqualify:
  - id: sizes
    when: has(n)
    because: "sizes {{[n, x]}}, both {{[b, n, x, b]}}, consts {{[1, 2.5, 12345, 0.00012]}}, named {{sizes}}, joined {{[x] + sizes + [n]}}"
  - id: texts
    when: has(x)
    because: "tags {{tags + ['z']}}, empty {{tags + []}}"
{more}stages:
  - id: a
    when: has(x)
"""
LIST_LEADS = [{"n": "12345", "x": "123456.789", "b": "yes", "k": "2", "tags": "p; q"}, {"n": "2", "x": "0.5", "b": "no", "k": "1"},
              {"n": "0", "x": "1e15", "b": "1", "k": "0"}, {"x": "-12345.5", "tags": "a", "k": "3"}, {"n": "3", "x": "0.1", "k": "-1"}, {}]
_REPEATED = """  - id: repeated
    when: has(k)
    because: "repeated {[x] * k}, {[b, x] * k}, {sizes * k}, {[n] * 2}, {['a', 'b'] * k}, {([n] + [x]) * k + [k]}"
"""


@pytest.mark.parametrize("engine", [*ENGINES, "duckdb-repeated", "spark-repeated"])
def test_a_list_of_numbers_in_because_shows_each_item_as_python(engine: str) -> None:
    engine, repeated = engine.partition("-")[::2]  # PostgreSQL has no translation of a list repeated with `*`
    rules = leadspec.loads(_LIST_RULES.format(more=_REPEATED if repeated else ""))
    columns = sorted({f.source for f in rules.plan.fields})
    got = _sqlengines.run(engine, rules, LIST_LEADS, as_of=AS_OF, columns=columns)
    for lead, row in zip(LIST_LEADS, got):
        assert row["reasons"] == rules.evaluate(lead, AS_OF).summary(), lead
    assert "sizes [12,345, 123,456.79]" in got[0]["reasons"]


# -- each bad value quoted once ----------------------------------------------------------------


def test_each_bad_value_is_quoted_once_in_the_query() -> None:
    # country's bad value is named twice in the reasons (what is missing, and the because of `nowhere`, whose
    # policy is missing: pass); employees' once. Each text field's value is quoted in one place of the query.
    for dialect in ("duckdb", "spark", "postgres", "bigquery"):
        select = build(DISQUALIFY, dialect=dialect, columns=["x"])
        pattern = _text._escape_class(_ctx(dialect))
        guards = [n for n in select.find_all(exp.RegexpLike) if n.expression.name == pattern]
        assert len(guards) == len(DISQUALIFY.plan.fields), dialect


def test_the_reasons_read_the_bad_value_texts() -> None:
    # X Education: the reasons column reads each field's bad-value text from the column computed before it (it
    # held ~40 nested REPLACEs per field: 470 kB of SQL)
    select = build(leadspec.load(ROOT / "rules" / "x-education.yaml"), dialect="duckdb")
    reasons = [a.this for a in select.find_all(exp.Alias) if a.alias.endswith("_reasons")]
    assert len(reasons) == 1
    assert not any(isinstance(n, (exp.RegexpLike, exp.RegexpReplace, exp.Lambda)) for n in reasons[0].walk())
    assert not any(isinstance(n, exp.Anonymous) and n.name.upper() == "REPLACE" for n in reasons[0].walk())
    assert len(reasons[0].sql("duckdb", pretty=True)) < 20_000



# -- Snowflake and BigQuery: expected SQL -------------------------------------------------------


def test_snowflake_and_bigquery_number_pieces() -> None:
    n = exp.column("n")
    # Snowflake: TO_CHAR with a number format model, FM drops the padding; BigQuery: FORMAT's ' flag groups digits
    assert _text._commas(_ctx("snowflake"), n).sql("snowflake") == "TO_CHAR(n, 'FM9,999,999,999,999,999,999')"
    assert _text._commas(_ctx("bigquery"), n).sql("bigquery") == "FORMAT('%\\'d', n)"
    # exact integers of 38 digits: NUMBER(38, 0) and BIGNUMERIC; Snowflake divides exactly only what divides
    assert _text._big(_ctx("snowflake"), n).sql("snowflake") == "CAST(n AS DECIMAL(38, 0))"
    assert _text._big(_ctx("bigquery"), n).sql("bigquery") == "CAST(n AS BIGNUMERIC)"
    assert _text._idiv(_ctx("snowflake"), n, exp.column("d")).sql("snowflake") == "(n - n % d) / d"
    assert _text._idiv(_ctx("bigquery"), n, exp.column("d")).sql("bigquery") == "DIV(n, d)"
    assert _text._is_nan(_ctx("bigquery"), n).sql("bigquery") == "IS_NAN(n)"
    assert _text._is_nan(_ctx("snowflake"), n).sql("snowflake") == "n = CAST('NaN' AS DOUBLE)"
    # a value bound once: a lambda over a one-item array (Snowflake), a subquery over UNNEST (BigQuery)
    ctx = _ctx("snowflake")
    assert _text._let(ctx, n, lambda v: exp.Add(this=v, expression=v)).sql("snowflake") == "GET(TRANSFORM([n], __ls_0_v -> __ls_0_v + __ls_0_v), 0)"
    ctx = _ctx("bigquery")
    assert _text._let(ctx, n, lambda v: exp.Add(this=v, expression=v)).sql("bigquery") == "(SELECT __ls_0_v + __ls_0_v FROM UNNEST([n]) AS __ls_0_v)"


def test_quoting_pieces_in_bigquery_and_snowflake() -> None:
    r = exp.column("r")
    spaces = "\u1680\u2000-\u200a\u2028-\u2029\u202f\u205f\u3000"  # Unicode spaces: written as themselves
    # BigQuery: a string literal writes a backslash as \\ and a quote as \'; REGEXP_CONTAINS (RE2) finds the
    # class anywhere in the text, \xNN is a code point
    expected = r"REGEXP_CONTAINS(r, '[\\\\\'\\x00-\\x1f\\x7f-\\xa0" + spaces + "]')"
    assert _text._needs_escapes(_ctx("bigquery"), r).sql("bigquery") == expected  # type: ignore[union-attr]
    # Snowflake's REGEXP_LIKE matches the whole text: no guard, every value takes the replacements, the first of
    # which doubles the backslashes (a backslash in a Snowflake string literal is written \\)
    assert _text._needs_escapes(_ctx("snowflake"), r) is None
    escaped = _text._escaped(_ctx("snowflake"), r, exp.Literal.string("'")).sql("snowflake")
    assert escaped.startswith("REPLACE(" * (len(_text._CONTROLS) + 2) + r"r, '\\', '\\\\'), '\x00', '\\x00'), '\x01', '\\x01'), ")  # \xNN: a hex escape
    assert escaped.endswith("'\u3000" + r"', '\\u3000'), '\'', '\\' || '\'')")  # the quote last: \'
