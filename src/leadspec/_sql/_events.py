"""Events in SQL: the events field (a list-of-struct column, JSON text, or the events table), the event
functions ``count``/``last``/``first``, and the points of event scores.

Owner: the events part of the SQL backend.

The events field's value is, per dialect:

==========  ================================================================
duckdb      LIST of STRUCT(type VARCHAR, at TIMESTAMP)
spark       ARRAY of STRUCT(type STRING, at TIMESTAMP_NTZ)
bigquery    ARRAY of STRUCT(type STRING, at DATETIME)
snowflake   ARRAY of OBJECT {type, at} (``at`` a TIMESTAMP_NTZ)
postgres    jsonb array of objects {"type": text, "at": timestamp text}
==========  ================================================================

``at`` is always the moment in UTC. Reading follows
``leadspec._fields.Coercer._events`` exactly: JSON text (or a native list
of structs), every item an object with a non-empty text ``type`` and an
``at`` that reads as a datetime (ISO 8601, as a ``datetime`` field without
``format`` reads it); else the whole field is bad with the message of the
first item that is not (``event 2 has no type``, ``event 0: `at` is not a
datetime (got int)``, …).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timezone

from sqlglot import exp

from ..plan import Call, FieldPlan, ScorePlan
from ._ctx import Ctx, balanced, case, column, null, text

__all__ = ["base_relation", "default_events", "event_call", "event_points", "events_type", "read_events"]

_ISO_EXAMPLE = "not a datetime in ISO 8601 (2026-11-01T09:30:00Z)"
_OUT_OF_RANGE = "outside the range of dates in UTC"
_NOT_JSON = "not a JSON list of events"
_WS = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
"""What Python's ``str.strip()`` removes (the Unicode whitespace)."""

_ISO = (
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    "([Tt ][0-9]{2}(:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?)?"
    "([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?)?$"
)
"""ISO 8601 as Python 3.11's ``datetime.fromisoformat`` reads its common forms: an extended date, optionally a time
(HH, HH:MM, HH:MM:SS, a fraction after . or ,) after T, t or a space, then an offset (Z, z, ±HH, ±HHMM, ±HH:MM)."""
_ISO_PARTS = "^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt ]([0-9]{2})(?::([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]+))?)?)?)?"
"""The groups of :data:`_ISO`: 1 year, 2 month, 3 day, 4 hour, 5 minute, 6 second, 7 fraction (DuckDB reads 9 at most)."""
_ISO_OFFSET = "^[^Tt ]+[Tt ][^+-]*([+-])([0-9]{2}):?([0-9]{2})?$"
"""The offset of :data:`_ISO` text: 1 sign, 2 hours, 3 minutes (the date's dashes come before the time)."""


# -- small dialect-aware builders ----------------------------------------------------------------------


def _num(value: float | int) -> exp.Expr:
    return exp.Literal.number(repr(value))


def _int(value: int) -> exp.Expr:
    return exp.Literal.number(str(value))


def _cast(value: exp.Expr, to: str) -> exp.Expr:
    return exp.Cast(this=value, to=exp.DataType.build(to))


def _try_cast(ctx: Ctx, value: exp.Expr, to: str) -> exp.Expr:
    """A cast that gives NULL instead of raising (Postgres: only ever used on text checked beforehand)."""
    if ctx.dialect == "postgres":
        return _cast(value, to)
    return exp.TryCast(this=value, to=exp.DataType.build(to), safe=True)


def _is_null(value: exp.Expr) -> exp.Expr:
    return exp.Is(this=value, expression=exp.Null())


def _not_null(value: exp.Expr) -> exp.Expr:
    return exp.Not(this=_is_null(value))


def _and(*items: exp.Expr) -> exp.Expr:
    out = items[0]
    for item in items[1:]:
        out = exp.And(this=out, expression=item)
    return exp.Paren(this=out)


def _or(*items: exp.Expr) -> exp.Expr:
    return exp.Paren(this=balanced(exp.Or, items))


def _not(value: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Paren(this=value))


def _fn(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def _like(ctx: Ctx, value: exp.Expr, pattern: str) -> exp.Expr:
    """BOOLEAN: ``value`` matches the regular expression ``pattern`` somewhere (NULL for NULL)."""
    if ctx.dialect == "duckdb":
        return _fn("REGEXP_MATCHES", value, text(pattern))
    if ctx.dialect == "spark":
        return _fn("RLIKE", value, text(pattern))
    if ctx.dialect == "postgres":
        return exp.RegexpLike(this=value, expression=text(pattern))
    if ctx.dialect == "snowflake":
        return _fn("REGEXP_INSTR", value, text(pattern)).neq(0)
    return _fn("REGEXP_CONTAINS", value, text(pattern))


def _group(ctx: Ctx, value: exp.Expr, pattern: str, k: int) -> exp.Expr:
    """VARCHAR: group ``k`` of ``pattern`` in ``value``; NULL when it does not match or the group took nothing."""
    if ctx.dialect == "postgres":
        match = exp.Paren(this=_fn("REGEXP_MATCH", value, text(pattern)))
        return exp.Bracket(this=match, expressions=[_int(k - 1)])  # sqlglot adds Postgres' offset of 1
    if ctx.dialect == "snowflake":
        found = _fn("REGEXP_SUBSTR", value, text(pattern), _int(1), _int(1), text("e"), _int(k))
    elif ctx.dialect == "bigquery":
        raise ctx.unsupported("events as JSON text")
    else:
        found = _fn("REGEXP_EXTRACT", value, text(pattern), _int(k))
    return exp.Nullif(this=found, expression=text(""))


def _replace(ctx: Ctx, value: exp.Expr, pattern: str, by: str) -> exp.Expr:
    """Every match of ``pattern`` in ``value`` replaced by ``by``."""
    if ctx.dialect == "duckdb":
        return exp.RegexpReplace(this=value, expression=text(pattern), replacement=text(by), modifiers=text("g"))
    return exp.RegexpReplace(this=value, expression=text(pattern), replacement=text(by))


def _strip(ctx: Ctx, value: exp.Expr) -> exp.Expr:
    """Text without leading and trailing Unicode whitespace (as Python's ``str.strip()``)."""
    ws = "[" + _WS + "]"
    return _replace(ctx, value, f"^{ws}+|{ws}+$", "")


def _lambda(body: exp.Expr, *names: str) -> exp.Lambda:
    return exp.Lambda(this=body, expressions=[exp.to_identifier(n) for n in names])


def _field(item: exp.Expr, name: str) -> exp.Expr:
    return exp.Dot(this=item.copy(), expression=exp.to_identifier(name))


def _record(ctx: Ctx, values: dict[str, exp.Expr]) -> exp.Expr:
    """A struct of these fields (DuckDB, Spark)."""
    if ctx.dialect == "spark":
        args: list[exp.Expr] = []
        for k, v in values.items():
            args += [text(k), v]
        return _fn("NAMED_STRUCT", *args)
    return exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(k), expression=v) for k, v in values.items()])


def _add_minutes(ctx: Ctx, moment: exp.Expr, minutes: exp.Expr) -> exp.Expr:
    """``moment`` plus a whole number of minutes (TIMESTAMP)."""
    d = ctx.dialect
    if d == "duckdb":
        return exp.Add(this=moment, expression=exp.func("TO_MINUTES", _cast(minutes, "BIGINT")))
    if d in ("spark", "snowflake"):
        return _fn("TIMESTAMPADD", exp.var("MINUTE"), minutes, moment)
    if d == "postgres":
        return exp.Add(this=moment, expression=exp.Mul(this=minutes, expression=_cast(text("1 minute"), "INTERVAL")))
    return _fn("DATETIME_ADD", moment, exp.Interval(this=minutes, unit=exp.var("MINUTE")))


# -- layers -----------------------------------------------------------------------------------------------------

_LAYERED: ContextVar[Ctx | None] = ContextVar("_LAYERED", default=None)
"""The context whose chain takes the intermediate values of the events reading (None: one expression)."""


@contextmanager
def _layered(ctx: Ctx | None) -> Iterator[None]:
    token = _LAYERED.set(ctx)
    try:
        yield
    finally:
        _LAYERED.reset(token)


def _put(hint: str, value: exp.Expr) -> exp.Expr:
    """``value`` as a column of the current layer when reading in layers (then :func:`_next` before reading it)."""
    ctx = _LAYERED.get()
    return ctx.chain.put(hint, value) if ctx is not None else value


def _next() -> None:
    ctx = _LAYERED.get()
    if ctx is not None:
        ctx.chain.next()


# -- per item, in steps ----------------------------------------------------------------------------------------

_ITEM = "__ls_e"  # the item (DuckDB, Spark: the lambda's variable)
_INDEX = "__ls_i"  # its position from 0
_STEP = "__ls_s"  # the record of the values of the steps before


def _ref(name: str) -> exp.Expr:
    """The value ``name`` of an earlier step."""
    return exp.Dot(this=exp.column(_STEP), expression=exp.to_identifier(name))


class _Steps:
    """Values computed per item in steps, each step reading the values of the steps before (:func:`_ref`).

    DuckDB and Spark: each step is a ``transform`` of the list before into a struct; Postgres: each step a
    ``LATERAL`` subquery over the items of ``jsonb_array_elements``.
    """

    def __init__(self) -> None:
        self.steps: list[dict[str, exp.Expr]] = []

    def add(self, values: dict[str, exp.Expr]) -> None:
        self.steps.append(values)

    def names(self) -> list[str]:
        return [n for step in self.steps for n in step]

    def as_list(self, ctx: Ctx, items: exp.Expr) -> exp.Expr:
        """DuckDB, Spark: the list of records of every value, one per item."""
        out = items
        names: list[str] = []
        for k, step in enumerate(self.steps):
            values = {n: _ref(n) for n in names}
            values.update(step)
            body = _record(ctx, values)
            params = (_ITEM, _INDEX) if k == 0 else (_STEP,)
            if k == 0 and ctx.dialect == "duckdb":  # DuckDB counts from 1
                body = body.transform(lambda node: exp.Paren(this=exp.Sub(this=exp.column(_INDEX), expression=_int(1))) if isinstance(node, exp.Column) and node.name == _INDEX and not node.table else node)
            out = exp.Transform(this=out, expression=_lambda(body, *params)) if ctx.dialect == "duckdb" else _fn("TRANSFORM", out, _lambda(body, *params))
            out = _put(f"events_step{k}", out)
            _next()
            names += list(step)
        return out

    def laterals(self, source: exp.Expr, item: exp.Expr, index: exp.Expr) -> tuple[exp.Select, dict[str, exp.Expr]]:
        """Postgres: ``SELECT … FROM source, LATERAL (step 0), LATERAL (step 1) …`` and each value's column."""
        where: dict[str, exp.Expr] = {}

        def resolve(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Dot) and isinstance(node.this, exp.Column) and node.this.name == _STEP:
                return where[node.expression.name].copy()
            if isinstance(node, exp.Column) and not node.table and node.name == _ITEM:
                return item.copy()
            if isinstance(node, exp.Column) and not node.table and node.name == _INDEX:
                return index.copy()
            return node

        select = exp.select("*").from_(source)
        for k, step in enumerate(self.steps):
            alias = f"__ls_s{k}"
            # OFFSET 0 keeps each step a step: flattened, Postgres would paste every value into each reader of it
            sub = exp.select(*(exp.alias_(v.transform(resolve), n) for n, v in step.items())).offset(0)
            select = select.join(exp.Lateral(this=exp.Subquery(this=sub), alias=exp.TableAlias(this=exp.to_identifier(alias))), join_type="CROSS")
            for n in step:
                where[n] = exp.column(n, table=alias)
        return select, where


def _iso_steps(ctx: Ctx, steps: _Steps) -> None:
    """Steps reading ``_ref('s')`` (stripped ``at`` text or NULL) as ISO 8601: ``ts`` (TIMESTAMP in UTC, NULL when
    bad) and ``ts_bad`` (Python's message, NULL when good), as ``leadspec._fields.parse_datetime`` without formats."""
    s = _ref("s")

    def number(pattern: str, k: int) -> exp.Expr:
        return _try_cast(ctx, exp.func("COALESCE", _group(ctx, s.copy(), pattern, k), text("0")), "INTEGER")

    steps.add(
        {
            "iso": _like(ctx, s.copy(), _ISO),
            "y": number(_ISO_PARTS, 1),
            "mo": number(_ISO_PARTS, 2),
            "d": number(_ISO_PARTS, 3),
            "h": number(_ISO_PARTS, 4),
            "mi": number(_ISO_PARTS, 5),
            "sec": number(_ISO_PARTS, 6),
            "frac": exp.func("COALESCE", _group(ctx, s.copy(), _ISO_PARTS, 7), text("")),
            "neg": exp.func("COALESCE", _group(ctx, s.copy(), _ISO_OFFSET, 1).eq(text("-")), exp.false()),
            "oh": number(_ISO_OFFSET, 2),
            "om": number(_ISO_OFFSET, 3),
        }
    )
    y, m = _ref("y"), _ref("mo")
    leap = _or(_and(exp.Mod(this=y.copy(), expression=_int(4)).eq(0), exp.Mod(this=y.copy(), expression=_int(100)).neq(0)), exp.Mod(this=y.copy(), expression=_int(400)).eq(0))
    days = case([(m.copy().eq(2), case([(leap, _int(29))], _int(28))), (exp.In(this=m.copy(), expressions=[_int(4), _int(6), _int(9), _int(11)]), _int(30))], _int(31))
    ok = _and(
        exp.func("COALESCE", _ref("iso"), exp.false()),
        y.copy() >= 1,
        exp.Between(this=m.copy(), low=_int(1), high=_int(12)),
        exp.Between(this=_ref("d"), low=_int(1), high=days),
        _ref("h") <= 23,
        _ref("mi") <= 59,
        _ref("sec") <= 59,
        _ref("oh") <= 23,
        _ref("om") <= 59,
    )

    def two(name: str) -> exp.Expr:
        return _fn("LPAD", _cast(_ref(name), "VARCHAR"), _int(2), text("0"))

    micros = _fn("RPAD", exp.Substring(this=_ref("frac"), start=_int(1), length=_int(6)), _int(6), text("0"))
    wall = ctx.concat(_fn("LPAD", _cast(y.copy(), "VARCHAR"), _int(4), text("0")), "-", two("mo"), "-", two("d"), " ", two("h"), ":", two("mi"), ":", two("sec"), ".", micros)
    offset = exp.Add(this=exp.Mul(this=_ref("oh"), expression=_int(60)), expression=_ref("om"))
    minutes = case([(_ref("neg"), offset)], exp.Neg(this=exp.Paren(this=offset.copy())))
    steps.add({"ok": ok, "local": case([(ok.copy(), _try_cast(ctx, wall, "TIMESTAMP"))], null("TIMESTAMP"))})
    steps.add({"moved": case([(_ref("ok"), _add_minutes(ctx, _ref("local"), minutes))], null("TIMESTAMP"))})
    moved = _ref("moved")
    low, high = _cast(text("0001-01-01 00:00:00"), "TIMESTAMP"), _cast(text("9999-12-31 23:59:59.999999"), "TIMESTAMP")
    in_range = _and(moved.copy() >= low, moved.copy() <= high)
    steps.add(
        {
            "ts": case([(_and(_ref("ok"), in_range), moved.copy())], null("TIMESTAMP")),
            "ts_bad": case([(_is_null(s.copy()), null("VARCHAR")), (_not(_ref("ok")), text(_ISO_EXAMPLE)), (_not(in_range.copy()), text(_OUT_OF_RANGE))], null("VARCHAR")),
        }
    )


def _item_steps(ctx: Ctx, first: dict[str, exp.Expr]) -> _Steps:
    """The steps of an item from ``first``: ``obj`` (BOOLEAN), ``kind`` (text type or NULL), ``at_kind`` ('str',
    'moment' or Python's type name), ``at_text``, ``at_moment``; then the ISO reading; then ``problem`` (Python's
    message, NULL when the item is an event) and ``at`` (its moment in UTC)."""
    steps = _Steps()
    steps.add(first)
    steps.add({"s": _strip(ctx, _ref("at_text"))})
    _iso_steps(ctx, steps)
    n = _cast(exp.column(_INDEX), "VARCHAR")
    steps.steps[0]["n"] = n  # the position as text: only the first step reads the index
    at_kind = _ref("at_kind")
    problem = case(
        [
            (_not(exp.func("COALESCE", _ref("obj"), exp.false())), ctx.concat("event ", _ref("n"), " is not an object with type and at")),
            (_or(_is_null(_ref("kind")), _ref("kind").eq(text(""))), ctx.concat("event ", _ref("n"), " has no type")),
            (_and(at_kind.copy().neq(text("str")), at_kind.copy().neq(text("moment"))), ctx.concat("event ", _ref("n"), ": `at` is not a datetime (got ", at_kind.copy(), ")")),
            (_and(at_kind.copy().eq(text("str")), _not_null(_ref("ts_bad"))), ctx.concat("event ", _ref("n"), ": `at` is ", _ref("ts_bad"))),
        ],
        null("VARCHAR"),
    )
    steps.add({"problem": problem, "at": case([(at_kind.copy().eq(text("moment")), _ref("at_moment"))], _ref("ts"))})
    return steps


def _kind_name(ctx: Ctx, type_name: exp.Expr, names: Sequence[tuple[str, str]], number_text: exp.Expr) -> exp.Expr:
    """Python's type name of a JSON value from the engine's name of its type (``names``: pattern -> Python name);
    a number is an ``int`` when its text is digits only, else a ``float``."""
    whens = [(_like(ctx, type_name.copy(), pattern), text(name)) for pattern, name in names]
    whens.insert(0, (_is_null(type_name.copy()), text("NoneType")))
    return case(whens, case([(_like(ctx, number_text, "^-?[0-9]+$"), text("int"))], text("float")))


def _events_type(ctx: Ctx) -> str:
    return "ARRAY<STRUCT<type VARCHAR, at TIMESTAMP>>"


def _from_list(ctx: Ctx, items: exp.Expr, first: dict[str, exp.Expr]) -> tuple[exp.Expr, exp.Expr]:
    """(value, bad) from a list ``items`` (DuckDB, Spark) whose items ``first`` describes (see :func:`_item_steps`)."""
    records = _item_steps(ctx, first).as_list(ctx, items)
    p = exp.column("__ls_p")
    if ctx.dialect == "duckdb":
        problems: exp.Expr = exp.Transform(this=records, expression=_lambda(_field(p, "problem"), "__ls_p"))
        kept: exp.Expr = exp.ArrayFilter(this=problems, expression=_lambda(_not_null(p.copy()), "__ls_p"))
        bad: exp.Expr = _fn("LIST_EXTRACT", kept, _int(1))
        events: exp.Expr = exp.Transform(this=records.copy(), expression=_lambda(_record(ctx, {"type": _field(p, "kind"), "at": _field(p, "at")}), "__ls_p"))
    else:
        problems = _fn("TRANSFORM", records, _lambda(_field(p, "problem"), "__ls_p"))
        kept = _fn("FILTER", problems, _lambda(_not_null(p.copy()), "__ls_p"))
        bad = _fn("TRY_ELEMENT_AT", kept, _int(1))
        events = _fn("TRANSFORM", records.copy(), _lambda(_record(ctx, {"type": _field(p, "kind"), "at": _field(p, "at")}), "__ls_p"))
    return events, bad


def _root_problem(ctx: Ctx, stripped: exp.Expr) -> exp.Expr:
    """VARCHAR: for valid JSON text that is not a list, ``not a list of events (got dict)`` (Python's type name)."""
    kind = case(
        [
            (_like(ctx, stripped.copy(), "^[{]"), text("dict")),
            (_like(ctx, stripped.copy(), '^"'), text("str")),
            (_like(ctx, stripped.copy(), "^(true|false)"), text("bool")),
            (_like(ctx, stripped.copy(), "^null"), text("NoneType")),
            (_like(ctx, stripped.copy(), "^-?[0-9]+[ \t\n\r]*$"), text("int")),
        ],
        text("float"),
    )
    return ctx.concat("not a list of events (got ", kind, ")")


def _finish(ctx: Ctx, raw: exp.Expr, valid: exp.Expr, is_list: exp.Expr, not_list: exp.Expr, value: exp.Expr, bad: exp.Expr, events_type: str) -> tuple[exp.Expr, exp.Expr]:
    bad = _put("events_bad", case([(_is_null(raw.copy()), null("VARCHAR")), (_not(valid), text(_NOT_JSON)), (_not(is_list), not_list)], bad))
    _next()
    return case([(_is_null(raw.copy()), null(events_type)), (_is_null(bad.copy()), value)], null(events_type)), bad


def read_events(ctx: Ctx, spec: FieldPlan, raw: exp.Expr, *, layered: bool = False, sql_type: str | None = None) -> tuple[exp.Expr, exp.Expr]:
    """(value, bad message) of an events field from its raw column (list of struct, or JSON text).

    ``raw`` is not a missing value (the fields part applies markers and the default first); NULL gives
    (NULL, NULL). ``sql_type``: the type of ``raw`` (a struct path's, for a dotted source); else the source
    column's, from ``ctx.types`` (text when unknown).

    ``layered``: put the intermediate values in layers of ``ctx.chain`` (starting new layers as it goes), so
    that each is computed once; the expressions returned may then be used from the next layer on. Without
    it, one expression each (larger: Spark takes tens of seconds to analyse it).
    """
    with _layered(ctx if layered else None):
        return _read_events(ctx, spec, raw, ctx.column_type(spec.source) if sql_type is None else sql_type)


def _read_events(ctx: Ctx, spec: FieldPlan, raw: exp.Expr, sql_type: str) -> tuple[exp.Expr, exp.Expr]:
    from ._typed import _split_either

    split = _split_either(raw, sql_type)
    if split is not None:  # a dotted source that is a column's name and a struct path: the column where it has a value
        flat, flat_type, path, path_type = split
        if flat_type.strip('"').upper() == "NULL":  # (a column of no value at all: the path)
            return _read_events(ctx, spec, path, path_type)
        flat_value, flat_bad = _read_events(ctx, spec, flat, flat_type)
        path_value, path_bad = _read_events(ctx, spec, path, path_type)
        has = exp.Not(this=exp.Is(this=flat.copy(), expression=exp.Null()))
        return case([(has, flat_value)], path_value), case([(has.copy(), flat_bad)], path_bad)
    d = ctx.dialect
    if sql_type in ("VARCHAR", "TEXT", "STRING", "JSON", "CHARACTER VARYING"):
        if d == "duckdb":
            return _duckdb_json(ctx, raw)
        if d == "spark":
            return _spark_json(ctx, raw)
        if d == "postgres":
            return _from_jsonb(ctx, raw, checked=False)
        raise ctx.unsupported("events given as JSON text", spec.name)
    if d == "postgres" and sql_type == "JSONB":
        return _from_jsonb(ctx, raw, checked=True)
    try:
        parsed = exp.DataType.build(sql_type, dialect=d)
    except Exception:  # noqa: BLE001 - a type sqlglot does not know: say which
        raise ctx.unsupported(f"an events column of type {sql_type}", spec.name) from None
    if d in ("duckdb", "spark") and parsed.this == exp.DataType.Type.ARRAY and parsed.expressions and parsed.expressions[0].this == exp.DataType.Type.STRUCT:
        return _from_structs(ctx, raw, parsed.expressions[0], spec.name)
    raise ctx.unsupported(f"an events column of type {sql_type}", spec.name)


_JSON_STRING_RE2 = r'"([^"\\]|\\.)*"'
_JSON_STRING_JAVA = r'"[^"\\]*+(?:\\.[^"\\]*+)*+"'


def _duckdb_json(ctx: Ctx, raw: exp.Expr) -> tuple[exp.Expr, exp.Expr]:
    # DuckDB's reader takes more than Python's json.loads: trailing commas and lower-case nan/inf; they are refused
    no_strings = _replace(ctx, raw.copy(), _JSON_STRING_RE2, '""')
    words = _replace(ctx, _replace(ctx, no_strings.copy(), "true|false|null|NaN|Infinity", ""), "[0-9][0-9.eE+-]*", "")
    valid = _and(
        exp.func("COALESCE", _fn("JSON_VALID", raw.copy()), exp.false()),
        _not(_like(ctx, no_strings.copy(), r"[,][ \t\n\r]*[\]}]")),
        _not(_like(ctx, words, "[A-Za-z]")),
    )
    stripped = _replace(ctx, raw.copy(), "^[ \t\n\r]+", "")
    is_list = _like(ctx, stripped.copy(), r"^\[")
    valid, is_list = _put("events_valid", valid), _put("events_list", is_list)
    _next()
    items = case([(_and(valid.copy(), is_list.copy()), _cast(_fn("JSON_EXTRACT", raw.copy(), text("$[*]")), "JSON[]"))], null("JSON[]"))
    e = exp.column(_ITEM)
    at_type = _fn("JSON_TYPE", e.copy(), text("$.at"))
    first = {
        "obj": _fn("JSON_TYPE", e.copy()).eq(text("OBJECT")),
        "kind": case([(_fn("JSON_TYPE", e.copy(), text("$.type")).eq(text("VARCHAR")), _fn("JSON_EXTRACT_STRING", e.copy(), text("$.type")))], null("VARCHAR")),
        "at_kind": case(
            [(at_type.copy().eq(text("VARCHAR")), text("str"))],
            _kind_name(ctx, exp.Nullif(this=at_type.copy(), expression=text("NULL")), [("^BOOLEAN$", "bool"), ("^OBJECT$", "dict"), ("^ARRAY$", "list")], _cast(_fn("JSON_EXTRACT", e.copy(), text("$.at")), "VARCHAR")),
        ),
        "at_text": case([(at_type.copy().eq(text("VARCHAR")), _fn("JSON_EXTRACT_STRING", e.copy(), text("$.at")))], null("VARCHAR")),
        "at_moment": null("TIMESTAMP"),
    }
    value, bad = _from_list(ctx, items, first)
    return _finish(ctx, raw, valid, is_list, _root_problem(ctx, stripped), value, bad, _events_type(ctx))


def _spark_json(ctx: Ctx, raw: exp.Expr) -> tuple[exp.Expr, exp.Expr]:
    # Spark's reader takes text after the first JSON value ('[1] x') and refuses NaN and duplicate keys that
    # Python reads; trailing text is refused here by following the nesting of the text without its strings.
    parsed = _fn("TRY_PARSE_JSON", raw.copy())
    no_strings = _replace(ctx, raw.copy(), _JSON_STRING_JAVA, '""')
    compact = _replace(ctx, no_strings, "[ \t\n\r]+", "")
    chars = _fn("SPLIT", compact.copy(), text(""))
    acc, ch = exp.column("__ls_acc"), exp.column("__ls_c")
    depth = _field(acc, "d")
    step = case([(exp.In(this=ch, expressions=[text("["), text("{")]), _int(1)), (exp.In(this=ch.copy(), expressions=[text("]"), text("}")]), _int(-1))], _int(0))
    new_depth = exp.Add(this=depth, expression=step)
    zeros = exp.Add(this=_field(acc, "z"), expression=case([(new_depth.copy().eq(0), _int(1))], _int(0)))
    walk = _fn("AGGREGATE", chars, _fn("NAMED_STRUCT", text("d"), _int(0), text("z"), _int(0)), _lambda(_fn("NAMED_STRUCT", text("d"), new_depth, text("z"), zeros), "__ls_acc", "__ls_c"))
    container = _like(ctx, compact.copy(), r"^[\[{]")
    whole = case(
        [(container, _and(_field(walk, "d").eq(0), _field(walk.copy(), "z").eq(1)))],
        _like(ctx, compact.copy(), r'^(""|-?[0-9][0-9.eE+-]*|true|false|null)$'),
    )
    valid = _and(_not_null(parsed), exp.func("COALESCE", whole, exp.false()))
    is_list = _like(ctx, compact.copy(), r"^\[")
    valid, is_list = _put("events_valid", valid), _put("events_list", is_list)
    _next()
    items = case([(_and(valid.copy(), is_list.copy()), _fn("TRY_VARIANT_GET", parsed.copy(), text("$"), text("array<variant>")))], null("ARRAY<VARIANT>"))
    e = exp.column(_ITEM)
    at = _fn("TRY_VARIANT_GET", e.copy(), text("$.at"), text("variant"))
    at_type = _fn("SCHEMA_OF_VARIANT", at)
    type_type = _fn("SCHEMA_OF_VARIANT", _fn("TRY_VARIANT_GET", e.copy(), text("$.type"), text("variant")))
    first = {
        "obj": _like(ctx, _fn("SCHEMA_OF_VARIANT", e.copy()), "^OBJECT"),
        "kind": case([(type_type.eq(text("STRING")), _fn("TRY_VARIANT_GET", e.copy(), text("$.type"), text("string")))], null("VARCHAR")),
        "at_kind": case(
            [(at_type.copy().eq(text("STRING")), text("str"))],
            _kind_name(
                ctx,
                exp.Nullif(this=at_type.copy(), expression=text("VOID")),
                [("^BOOLEAN$", "bool"), ("^OBJECT", "dict"), ("^ARRAY", "list"), (r"^(BIGINT|INT|SMALLINT|TINYINT|DECIMAL\([0-9]+,0\))$", "int")],
                _fn("TRY_VARIANT_GET", e.copy(), text("$.at"), text("string")),
            ),
        ),
        "at_text": case([(at_type.copy().eq(text("STRING")), _fn("TRY_VARIANT_GET", e.copy(), text("$.at"), text("string")))], null("VARCHAR")),
        "at_moment": null("TIMESTAMP"),
    }
    value, bad = _from_list(ctx, items, first)
    stripped = _replace(ctx, raw.copy(), "^[ \t\n\r]+", "")
    return _finish(ctx, raw, valid, is_list, _root_problem(ctx, stripped), value, bad, _events_type(ctx))


def _from_structs(ctx: Ctx, raw: exp.Expr, struct: exp.DataType, where: str) -> tuple[exp.Expr, exp.Expr]:
    """A native LIST of STRUCT column (DuckDB, Spark): ``type`` text, ``at`` text, TIMESTAMP or DATE."""
    members = {c.name.lower(): c.args.get("kind") for c in struct.expressions if isinstance(c, exp.ColumnDef)}
    type_kind, at_type = members.get("type"), members.get("at")
    T = exp.DataType.Type
    texts = (T.TEXT, T.VARCHAR, T.CHAR, T.NVARCHAR)
    moments = (T.TIMESTAMP, T.TIMESTAMPNTZ, T.DATETIME, T.TIMESTAMP_S, T.TIMESTAMP_MS, T.TIMESTAMP_NS, T.DATE)
    aware = (T.TIMESTAMPTZ, T.TIMESTAMPLTZ)
    ints = (T.INT, T.BIGINT, T.SMALLINT, T.TINYINT, T.UBIGINT, T.UINT, T.USMALLINT, T.UTINYINT, T.INT128)
    floats = (T.DOUBLE, T.FLOAT, T.DECIMAL)
    e = exp.column(_ITEM)
    kind: exp.Expr = _field(e, "type") if type_kind is not None and type_kind.this in texts else null("VARCHAR")
    at_text: exp.Expr = null("VARCHAR")
    at_moment: exp.Expr = null("TIMESTAMP")
    if at_type is None:
        at_kind: exp.Expr = text("NoneType")
    else:
        at = _field(e, "at")
        t = at_type.this
        if t in texts:
            at_text, name = at, "str"
        elif t in moments or t in aware:
            name = "moment"
            moment = exp.AtTimeZone(this=at.copy(), zone=text("UTC")) if t in aware and ctx.dialect == "duckdb" else at.copy()
            at_moment = _cast(moment, "TIMESTAMP")
        elif t in ints:
            name = "int"
        elif t in floats:
            name = "float"
        elif t == T.BOOLEAN:
            name = "bool"
        elif t in (T.STRUCT, T.MAP):
            name = "dict"
        elif t == T.ARRAY:
            name = "list"
        else:
            raise ctx.unsupported(f"an event `at` of type {at_type.sql(ctx.dialect)}", where)
        at_kind = case([(_is_null(at.copy()), text("NoneType"))], text(name))
    first = {"obj": _not_null(e.copy()), "kind": kind, "at_kind": at_kind, "at_text": at_text, "at_moment": at_moment}
    value, bad = _from_list(ctx, raw.copy(), first)
    bad = case([(_is_null(raw.copy()), null("VARCHAR"))], bad)
    return case([(_is_null(bad.copy()), value)], null(_events_type(ctx))), bad


# -- Postgres: jsonb -----------------------------------------------------------------------------------------

_PG_STRING = r'"([^"\\\x01-\x1f]|\\["\\/bfnrt]|\\u(?!0000)(?![dD][89a-fA-F])[0-9a-fA-F]{4}|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2})*"'
_PG_SCALAR = r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]{1,4})?|true|false|null"


def _pg_valid_json(ctx: Ctx, raw: exp.Expr) -> exp.Expr:
    """BOOLEAN: ``raw`` is JSON that Python's json.loads and Postgres' jsonb both read, checked without raising.

    Strings become \\x01 and other values \\x02, whitespace is dropped, then innermost arrays and objects of
    values become values until nothing changes: valid when one value is left (a recursive query per row).
    """
    tokens = _replace(ctx, _replace(ctx, raw.copy(), _PG_STRING, "\x01"), _PG_SCALAR, "\x02")
    tokens = _replace(ctx, tokens, "[ \t\n\r]+", "")
    step = _replace(ctx, _replace(ctx, exp.column("s"), "\\[([\x01\x02](,[\x01\x02])*)?\\]", "\x02"), "\\{(\x01:[\x01\x02](,\x01:[\x01\x02])*)?\\}", "\x02")
    seed = exp.select(exp.alias_(tokens, "s")).where(_not(_like(ctx, raw.copy(), "[\x01\x02]")))
    inner = exp.Subquery(this=exp.select(exp.alias_(step, "ns"), exp.column("s")).from_("r"), alias=exp.TableAlias(this=exp.to_identifier("x")))
    recur = exp.select(exp.alias_(exp.column("ns"), "s")).from_(inner).where(exp.NEQ(this=exp.column("ns"), expression=exp.column("s")))
    union = exp.Union(this=seed, expression=recur, distinct=False)
    query = exp.select(exp.func("BOOL_OR", exp.RegexpLike(this=exp.column("s"), expression=text("^[\x01\x02]$")))).from_("r").with_("r", as_=union, recursive=True)
    return exp.func("COALESCE", exp.Subquery(this=query), exp.false())


def _from_jsonb(ctx: Ctx, raw: exp.Expr, *, checked: bool) -> tuple[exp.Expr, exp.Expr]:
    """Postgres: JSON text (checked without raising, then read as jsonb) or a jsonb column."""
    if checked:
        doc: exp.Expr = raw.copy()
        valid: exp.Expr = exp.true()
        root = _fn("JSONB_TYPEOF", doc.copy())
        not_list: exp.Expr = ctx.concat(
            "not a list of events (got ",
            _kind_name(ctx, exp.Nullif(this=root.copy(), expression=text("null")), [("^object$", "dict"), ("^string$", "str"), ("^boolean$", "bool")], _cast(doc.copy(), "TEXT")),
            ")",
        )
        is_list: exp.Expr = exp.func("COALESCE", root.copy().eq(text("array")), exp.false())
    else:
        valid = _put("events_valid", _pg_valid_json(ctx, raw))
        _next()
        doc = case([(valid.copy(), _cast(raw.copy(), "JSONB"))], null("JSONB"))
        stripped = _replace(ctx, raw.copy(), "^[ \t\n\r]+", "")
        is_list = _like(ctx, stripped.copy(), r"^\[")
        not_list = _root_problem(ctx, stripped)
    e = exp.column(_ITEM)
    at_type = _fn("JSONB_TYPEOF", _fn("JSONB_EXTRACT_PATH", e.copy(), text("at")))
    type_type = _fn("JSONB_TYPEOF", _fn("JSONB_EXTRACT_PATH", e.copy(), text("type")))
    first = {
        "obj": _fn("JSONB_TYPEOF", e.copy()).eq(text("object")),
        "kind": case([(type_type.eq(text("string")), _fn("JSONB_EXTRACT_PATH_TEXT", e.copy(), text("type")))], null("TEXT")),
        "at_kind": case(
            [(at_type.copy().eq(text("string")), text("str"))],
            _kind_name(ctx, exp.Nullif(this=at_type.copy(), expression=text("null")), [("^boolean$", "bool"), ("^object$", "dict"), ("^array$", "list")], _cast(_fn("JSONB_EXTRACT_PATH", e.copy(), text("at")), "TEXT")),
        ),
        "at_text": case([(at_type.copy().eq(text("string")), _fn("JSONB_EXTRACT_PATH_TEXT", e.copy(), text("at")))], null("TEXT")),
        "at_moment": null("TIMESTAMP"),
    }
    steps = _item_steps(ctx, first)
    elements = exp.Table(
        this=_fn("JSONB_ARRAY_ELEMENTS", case([(_and(valid.copy(), is_list.copy()), doc.copy())], null("JSONB"))),
        alias=exp.TableAlias(this=exp.to_identifier("__ls_j"), columns=[exp.to_identifier("value"), exp.to_identifier("n")]),
    )
    elements.set("ordinality", True)
    n = exp.column("n", table="__ls_j")
    select, where = steps.laterals(elements, exp.column("value", table="__ls_j"), exp.Paren(this=exp.Sub(this=n, expression=_int(1))))
    first_problem = exp.Subquery(this=select.copy().select(where["problem"].copy(), append=False).where(_not_null(where["problem"].copy())).order_by(n.copy()).limit(1))
    record = _fn("JSONB_BUILD_OBJECT", text("type"), where["kind"].copy(), text("at"), where["at"].copy())
    gathered = exp.func("COALESCE", _fn("JSONB_AGG", exp.Order(this=record, expressions=[exp.Ordered(this=n.copy())])), _cast(text("[]"), "JSONB"))
    as_json = exp.Subquery(this=select.copy().select(gathered, append=False))
    return _finish(ctx, raw, valid, is_list, not_list, as_json, first_problem, "JSONB")


def events_type(ctx: Ctx) -> str:
    """The SQL type of an events value in ``ctx.dialect`` (for a typed NULL: ``null(events_type(ctx))``)."""
    if ctx.dialect == "postgres":
        return "JSONB"
    if ctx.dialect == "snowflake":
        return "ARRAY"
    return _events_type(ctx)


def default_events(ctx: Ctx, spec: FieldPlan) -> exp.Expr:
    """The events field's ``default:`` as an events value (a typed NULL without one), for the fields part."""
    from .._fields import Coercer

    value = Coercer.from_plan(spec).default if spec.default is not None else None
    if value is None:
        return null(events_type(ctx))
    items = []
    for kind, at, _ in value:
        moment = _cast(text(at.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")), "TIMESTAMP")
        if ctx.dialect == "postgres":
            items.append(_fn("JSONB_BUILD_OBJECT", text("type"), text(kind), text("at"), moment))
        elif ctx.dialect == "snowflake":
            items.append(_fn("OBJECT_CONSTRUCT_KEEP_NULL", text("type"), text(kind), text("at"), moment))
        else:
            items.append(_record(ctx, {"type": text(kind), "at": moment}))
    if ctx.dialect == "postgres":
        return _fn("JSONB_BUILD_ARRAY", *items)
    if ctx.dialect == "snowflake":
        return _fn("ARRAY_CONSTRUCT", *items)
    if not items:
        return _cast(exp.Array(expressions=[]), events_type(ctx))
    return exp.Array(expressions=items)


# -- the events table -------------------------------------------------------------------------------------------


def base_relation(ctx: Ctx, table: exp.Expr, events_table: str | None, key: str | None) -> exp.Expr:
    """The relation the query reads: ``table``, or ``table`` with the events of ``events_table`` gathered per ``key``
    into the events field's input column.

    The events table has the columns ``key``, ``type`` and ``at`` (text, a TIMESTAMP or a DATE), one row per
    event. A lead's events are gathered in the order of ``at`` as text, then ``type`` (missing ones first); a
    lead with no row in the events table has no events (as a lead without the events column: the field's
    default, if any). The leads table must not have a column named like the events field's source.
    """
    if events_table is None or key is None:
        return table
    name = ctx.plan.events_field
    if name is None:
        raise ValueError("events_table given, but the rule file declares no events field to gather them into")
    spec = next(f for f in ctx.plan.fields if f.name == name)
    d = ctx.dialect
    events = exp.to_table(events_table, dialect=d)
    k = exp.column(key, quoted=True)
    kind_text = _cast(exp.column("type", quoted=True), "VARCHAR")
    at_text = _cast(exp.column("at", quoted=True), "VARCHAR")
    if d == "postgres":
        order_at: exp.Expr = exp.Collate(this=at_text.copy(), expression=exp.to_identifier("C", quoted=True))
        order_kind: exp.Expr = exp.Collate(this=kind_text.copy(), expression=exp.to_identifier("C", quoted=True))
    else:
        order_at, order_kind = at_text.copy(), kind_text.copy()
    order = [exp.Ordered(this=order_at, nulls_first=True), exp.Ordered(this=order_kind, nulls_first=True)]
    if d == "spark":
        # sorted as (at, type) structs, then each made a (type, at) struct: the field order of a lead's events in JSON
        ordered = _fn("SORT_ARRAY", _fn("COLLECT_LIST", _fn("NAMED_STRUCT", text("at"), at_text, text("type"), kind_text)))
        item = exp.column("__ls_ev")
        gathered: exp.Expr = _fn("TRANSFORM", ordered, _lambda(_fn("NAMED_STRUCT", text("type"), _field(item, "type"), text("at"), _field(item, "at")), "__ls_ev"))
        column_type = "array<struct<type:string,at:string>>"
    elif d == "postgres":
        gathered = _fn("JSONB_AGG", exp.Order(this=_fn("JSONB_BUILD_OBJECT", text("type"), kind_text, text("at"), at_text), expressions=order))
        column_type = "JSONB"
    elif d == "duckdb":
        gathered = exp.ArrayAgg(this=exp.Order(this=exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier("type"), expression=kind_text), exp.PropertyEQ(this=exp.to_identifier("at"), expression=at_text)]), expressions=order))
        column_type = 'STRUCT("type" VARCHAR, "at" VARCHAR)[]'
    else:
        raise ctx.unsupported("an events table (events_table=)")
    per_lead = exp.select(exp.alias_(k.copy(), "__ls_key", quoted=True), exp.alias_(gathered, "__ls_events", quoted=True)).from_(events).group_by(k.copy())
    joined = (
        exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("__ls_t")), exp.alias_(exp.column("__ls_events", table="__ls_g", quoted=True), spec.source, quoted=True))
        .from_(exp.alias_(table.copy(), "__ls_t", table=True))
        .join(
            exp.Subquery(this=per_lead, alias=exp.TableAlias(this=exp.to_identifier("__ls_g"))),
            on=exp.EQ(this=exp.column(key, table="__ls_t", quoted=True), expression=exp.column("__ls_key", table="__ls_g", quoted=True)),
            join_type="LEFT",
        )
    )
    types = dict(ctx.types or {})
    types[spec.source] = column_type
    ctx.types = types
    return exp.Subquery(this=joined)


# -- the event functions and event points -----------------------------------------------------------------------


def _in_window(ctx: Ctx, at: exp.Expr, kind: exp.Expr, types: Sequence[str], start: exp.Expr | None) -> exp.Expr:
    conds: list[exp.Expr] = [exp.In(this=kind, expressions=[text(t) for t in types]) if len(types) != 1 else kind.eq(text(types[0])), exp.LTE(this=at, expression=ctx.as_of.copy())]
    if start is not None:
        conds.append(exp.GTE(this=at.copy(), expression=start))
    return _and(*conds)


def _start(ctx: Ctx, seconds: float | None) -> exp.Expr | None:
    if seconds is None:
        return None
    return _add_seconds(ctx, ctx.as_of.copy(), -int(seconds))


def _add_seconds(ctx: Ctx, moment: exp.Expr, seconds: int) -> exp.Expr:
    d = ctx.dialect
    if d == "duckdb":
        return exp.Add(this=moment, expression=exp.func("TO_SECONDS", _cast(_int(seconds), "BIGINT")))
    if d in ("spark", "snowflake"):
        return _fn("TIMESTAMPADD", exp.var("SECOND"), _int(seconds), moment)
    if d == "postgres":
        return exp.Add(this=moment, expression=exp.Mul(this=_int(seconds), expression=_cast(text("1 second"), "INTERVAL")))
    return _fn("DATETIME_ADD", moment, exp.Interval(this=_int(seconds), unit=exp.var("SECOND")))


def _age_seconds(ctx: Ctx, at: exp.Expr) -> exp.Expr:
    """DOUBLE: ``as_of - at`` in seconds (to the microsecond, as Python's ``timedelta.total_seconds()``)."""
    d = ctx.dialect
    if d == "duckdb":
        micros: exp.Expr = _fn("DATE_DIFF", text("microsecond"), at, ctx.as_of.copy())
    elif d == "spark":
        micros = _fn("TIMESTAMPDIFF", exp.var("MICROSECOND"), at, ctx.as_of.copy())
    elif d == "postgres":
        micros = exp.Mul(this=exp.Extract(this=exp.var("EPOCH"), expression=exp.Sub(this=ctx.as_of.copy(), expression=at)), expression=_int(1000000))
    elif d == "snowflake":
        micros = _fn("DATEDIFF", exp.var("MICROSECOND"), at, ctx.as_of.copy())
    else:
        micros = _fn("DATETIME_DIFF", ctx.as_of.copy(), at, exp.var("MICROSECOND"))
    return exp.Div(this=_cast(micros, "DOUBLE"), expression=_num(1e6))


def _events_list(ctx: Ctx, events: exp.Expr, where: Callable[[exp.Expr, exp.Expr], exp.Expr], select: Callable[[exp.Expr], exp.Expr] | None, aggregate: str) -> exp.Expr:
    """An aggregate over the lead's events that ``where(at, type)`` keeps: ``count``, ``max``, ``min`` or ``sum`` of
    ``select(at)`` (``count``: DOUBLE, never NULL; ``sum``: DOUBLE, 0 for none; ``max``/``min``: NULL for none)."""
    d = ctx.dialect
    if d in ("duckdb", "spark", "snowflake"):
        e = exp.column("__ls_ev")
        if d == "snowflake":
            at, kind = _cast(_fn("GET_PATH", e, text("at")), "TIMESTAMP"), _cast(_fn("GET_PATH", e.copy(), text("type")), "VARCHAR")
        else:
            at, kind = _field(e, "at"), _field(e, "type")
        kept = _fn("FILTER" if d != "duckdb" else "LIST_FILTER", events.copy(), _lambda(where(at, kind), "__ls_ev"))
        if aggregate == "count":
            size = exp.ArraySize(this=kept) if d != "snowflake" else _fn("ARRAY_SIZE", kept)
            return _cast(exp.func("COALESCE", size, _int(0)), "DOUBLE")
        assert select is not None
        values = _fn("TRANSFORM" if d != "duckdb" else "LIST_TRANSFORM", kept, _lambda(select(at.copy()), "__ls_ev"))
        if aggregate == "sum":
            if d == "duckdb":
                return exp.func("COALESCE", _fn("LIST_SUM", values), _num(0.0))
            acc, x = exp.column("__ls_acc"), exp.column("__ls_x")
            total = _fn("REDUCE" if d == "snowflake" else "AGGREGATE", values, _cast(_num(0.0), "DOUBLE"), _lambda(exp.Add(this=acc, expression=x), "__ls_acc", "__ls_x"))
            return exp.func("COALESCE", total, _num(0.0))
        if d == "duckdb":
            return _fn("LIST_MAX" if aggregate == "max" else "LIST_MIN", values)
        if d == "snowflake":
            return _cast(_fn("ARRAY_MAX" if aggregate == "max" else "ARRAY_MIN", values), "TIMESTAMP")
        return _fn("ARRAY_MAX" if aggregate == "max" else "ARRAY_MIN", values)
    # Postgres (jsonb) and BigQuery (ARRAY of STRUCT): a correlated subquery over the events
    if d == "postgres":
        source: exp.Expr = exp.Table(
            this=_fn("JSONB_TO_RECORDSET", events.copy()),
            alias=exp.TableAlias(this=exp.to_identifier("__ls_ev"), columns=[exp.ColumnDef(this=exp.to_identifier("type", quoted=True), kind=exp.DataType.build("TEXT")), exp.ColumnDef(this=exp.to_identifier("at", quoted=True), kind=exp.DataType.build("TIMESTAMP"))]),
        )
    else:
        source = exp.Unnest(expressions=[events.copy()], alias=exp.TableAlias(columns=[exp.to_identifier("__ls_ev")]))  # the element: a STRUCT
    at, kind = exp.column("at", table="__ls_ev"), exp.column("type", table="__ls_ev")
    if aggregate == "count":
        agg: exp.Expr = exp.Count(this=exp.Star())
    else:
        assert select is not None
        agg = {"sum": exp.Sum, "max": exp.Max, "min": exp.Min}[aggregate](this=select(at.copy()))
    query = exp.Subquery(this=exp.select(agg).from_(source).where(where(at, kind)))
    if aggregate == "count":
        return _cast(exp.func("COALESCE", query, _int(0)), "DOUBLE")
    if aggregate == "sum":
        return exp.func("COALESCE", _cast(query, "DOUBLE"), _num(0.0))
    return query


def event_call(ctx: Ctx, call: Call, events: exp.Expr | None) -> exp.Expr:
    """``count(...)`` (DOUBLE, never NULL), ``last(...)``/``first(...)`` (TIMESTAMP or NULL) over the lead's events."""
    types = tuple(call.events or ())
    if call.fn == "count":
        if events is None or not types:
            return _cast(_int(0), "DOUBLE")
        start = _start(ctx, call.within.total_seconds() if call.within is not None else None)
        return _events_list(ctx, events, lambda at, kind: _in_window(ctx, at, kind, types, start), None, "count")
    if call.fn in ("last", "first"):
        if events is None or not types:
            return null("TIMESTAMP")
        return _events_list(ctx, events, lambda at, kind: _in_window(ctx, at, kind, types, None), lambda at: at, "max" if call.fn == "last" else "min")
    raise ValueError(f"{call.fn}() is not an event function")


def event_points(ctx: Ctx, score: ScorePlan, events: exp.Expr | None) -> exp.Expr:
    """The points of a score's ``events:`` part (window, half-life, caps per type): DOUBLE, 0 without events.

    Exactly ``EventScore.total``: per type, the points of its events at or before ``as_of`` and inside the
    window, each decayed by ``0.5 ** (age / half_life)``, capped by the type's ``max``; summed.
    """
    if events is None or not score.events:
        return _num(0.0)
    start = _start(ctx, score.window.total_seconds() if score.window is not None else None)
    half_life = score.half_life.total_seconds() if score.half_life is not None else None
    total: exp.Expr | None = None

    def of_type(kind_name: str) -> Callable[[exp.Expr, exp.Expr], exp.Expr]:
        return lambda at, kind: _in_window(ctx, at, kind, (kind_name,), start)

    for entry in score.events:
        points = _num(float(entry.points))
        part: exp.Expr
        if half_life is None:
            part = exp.Mul(this=_events_list(ctx, events, of_type(entry.type), None, "count"), expression=points)
        else:
            def decayed(at: exp.Expr, p: exp.Expr = points) -> exp.Expr:
                exponent = exp.Div(this=_age_seconds(ctx, at), expression=_num(float(half_life)))
                power: exp.Expr = exp.Pow(this=_num(0.5), expression=exponent)
                if ctx.dialect == "postgres":  # Postgres raises on underflow where Python gives 0.0
                    power = case([(exp.GT(this=exponent.copy(), expression=_int(1100)), _num(0.0))], power)
                return exp.Mul(this=p.copy(), expression=power)

            part = _events_list(ctx, events, of_type(entry.type), decayed, "sum")
        if entry.max is not None:
            cap = _num(float(entry.max))
            over: exp.Expr = exp.GT(this=part, expression=cap)
            if entry.max < 0:  # a type without events adds nothing, cap or not (Python caps a type's points only when it has events)
                count = _events_list(ctx, events, of_type(entry.type), None, "count")
                over = exp.And(this=exp.Paren(this=over), expression=exp.GT(this=count, expression=_int(0)))
            part = case([(over, cap)], part.copy())
        total = part if total is None else exp.Add(this=total, expression=part)
    assert total is not None
    return exp.Paren(this=total)
