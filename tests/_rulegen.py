"""hypothesis strategies for random valid rule files and random leads for them.

``rule_files()`` draws a :class:`RuleFile`: the YAML text of a rule file
with fields of every type (sources with spaces and dots, defaults,
bounds, formats, missing markers), named lists, scores (events, windows,
caps, half-lives, rules), disqualifiers and stages (``when:`` and nested
``all``/``any``/``none``/``at_least`` groups, ids on groups, ``missing:``
policies), and expressions drawn from a typed grammar over the declared
names, so that almost every file passes the checker (the tests
``assume()`` away the few it refuses).

``assert_agree(rules, lead, as_of)`` is the law every engine must keep:
the reference interpreter and ``Ruleset.evaluate``/``Ruleset.stage``
give the same answers.

``loaded_rule_file(data)`` draws one and loads it (skipping the few the
checker refuses). ``leads(rule_file)`` draws a lead for it, as typed JSON (nested objects
for dotted sources) or as a CSV row (every value text, flat keys): good
values, messy ones (spaces, case), missing markers, bad values, absent
keys, events inside and outside the window and in the future.
"""

from __future__ import annotations

import json
import math
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

import leadspec
from leadspec import reference

AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
EVENT_TYPES = ("demo", "visit", "open", "call")
WORDS = ("alpha", "Beta", "gamma delta", "0", "N/A")
SIZES = (0, 3, 50, 500, 2.5)
ENUM_VALUES = ("saas", "FinTech", "other", "No", "9999")
MARKERS = ("", "N/A", "-", "none", "0", "9999", "no")
DATE_FORMATS = ("%m/%d/%Y", "%d.%m.%Y", "%d/%m/%Y")  # the first and the last read some text alike: order decides
DATETIME_FORMATS = ("%m/%d/%Y %H:%M", "%Y/%m/%d %H:%M:%S")
TYPES = ("integer", "number", "boolean", "string", "enum", "date", "datetime", "list")


@dataclass
class FieldSpec:
    """A generated field: what the lead generator needs to know about it."""

    name: str
    type: str
    source: str
    values: tuple[str, ...] = ()
    format: tuple[str, ...] = ()  # strptime patterns, in order (ISO 8601 is read as well)
    min: int | None = None
    max: int | None = None


@dataclass
class RuleFile:
    """A generated rule file: its text and the facts the lead generator needs."""

    text: str
    fields: list[FieldSpec]
    markers: tuple[str, ...]
    events_field: str | None
    lines: list[str] = field(default_factory=list, repr=False)


# -- expressions: a small typed grammar over the declared names --------------------------------------


class _Grammar:
    """Draws expressions of a kind over the fields, lists and scores in scope."""

    def __init__(self, draw: Any, fields: list[FieldSpec], events: bool, scores: list[str], flags: list[str] | None = None, templates: bool = False) -> None:
        self.draw = draw
        self.templates = templates  # criteria may get a `because:` template of drawn expressions
        self.fields = fields
        self.events = events
        self.scores = scores
        self.flags = flags or []  # the flags an expression here may read by name

    def of(self, *types: str) -> list[FieldSpec]:
        return [f for f in self.fields if f.type in types]

    def pick(self, options: list[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    def event_types(self) -> str:
        chosen = self.draw(st.lists(st.sampled_from(EVENT_TYPES), min_size=1, max_size=2, unique=True))
        return repr(chosen[0]) if len(chosen) == 1 else repr(chosen)

    def num(self, depth: int) -> str:
        options: list[str] = ["const"]
        if self.of("integer", "number"):
            options += ["field", "field"]
        if depth > 0:
            options += ["arith", "neg", "call"]
        if self.of("string", "list"):
            options.append("len")
        if self.events:
            options.append("count")
        if self.of("date", "datetime") or self.events:
            options.append("days")
        if self.scores:
            options.append("score")
        choice = self.pick(options)
        if choice == "const":
            return repr(self.draw(st.sampled_from([0, 1, 2, 3, 7, 10, 50, 100, 1000, -5, 0.5, 2.25, 1e3])))
        if choice == "field":
            return self.pick(self.of("integer", "number")).name
        if choice == "arith":
            op = self.pick(["+", "-", "*", "/", "//", "%", "**"])
            right = self.num(0) if op != "**" else self.pick(["2", "0", "3"])
            return f"({self.num(depth - 1)} {op} {right})"
        if choice == "neg":
            return f"-{self.num(depth - 1)}"
        if choice == "call":
            fn = self.pick(["abs", "round", "round2", "min", "max"])
            if fn == "round2":
                return f"round({self.num(depth - 1)}, {self.pick(['0', '1', '-1', '2'])})"
            if fn in ("min", "max"):
                return f"{fn}({self.num(depth - 1)}, {self.num(depth - 1)})"
            return f"{fn}({self.num(depth - 1)})"
        if choice == "len":
            return f"len({self.pick(self.of('string', 'list')).name})"
        if choice == "count":
            within = self.pick(["", ", within='30d'", ", within='2w'", ", within='12h'"])
            return f"count({self.event_types()}{within})"
        if choice == "days":
            return f"days_since({self.time()})"
        return f"score({self.pick(self.scores)!r})"

    def time(self) -> str:
        options = [f.name for f in self.of("date", "datetime")]
        if self.events:
            options.append(f"{self.pick(['last', 'first'])}({self.event_types()})")
        return self.pick(options)

    def text(self, depth: int) -> str:
        options = ["const"]
        strings = self.of("string")
        if strings:
            options += ["field", "field"]
            if depth > 0:
                options += ["call", "join"]
        choice = self.pick(options)
        if choice == "const":
            return repr(self.pick(["alpha", "Beta", "", "x@corp.example", "N/A", "0"]))
        if choice == "field":
            return self.pick(strings).name
        if choice == "join":
            return f"({self.text(depth - 1)} + {self.text(0)})"
        return f"{self.pick(['lower', 'upper', 'domain'])}({self.text(depth - 1)})"

    def boolean(self, depth: int) -> str:
        options = ["compare", "compare", "has", "text"]
        if self.of("boolean"):
            options += ["field", "field"]
        if self.of("enum"):
            options.append("enum")
        if self.of("list"):
            options.append("list")
        if self.of("integer", "number"):
            options += ["chain", "truth"]
        if depth > 0:
            options += ["and", "or", "not"]
        if self.flags:
            options += ["flag", "flag"]
        choice = self.pick(options)
        if choice == "flag":
            return str(self.pick(self.flags))
        if choice == "compare":
            op = self.pick(["<", "<=", ">", ">=", "==", "!="])
            return f"{self.num(depth)} {op} {self.num(depth)}"
        if choice == "chain":
            ops = self.draw(st.lists(st.sampled_from(["<", "<=", ">", "==", "!="]), min_size=2, max_size=3))
            parts = [self.num(0)]
            for op in ops:
                parts += [op, self.num(0)]
            return " ".join(parts)
        if choice == "has":
            return f"has({self.pick([f.name for f in self.fields])})"
        if choice == "field":
            return self.pick(self.of("boolean")).name
        if choice == "truth":
            return self.pick(self.of("integer", "number")).name
        if choice == "enum":
            enum = self.pick(self.of("enum"))
            if self.draw(st.booleans()):
                return f"{enum.name} {self.pick(['==', '!='])} {self.pick(list(enum.values))!r}"
            chosen = self.draw(st.lists(st.sampled_from(enum.values), min_size=1, max_size=3, unique=True))
            return f"{enum.name} {self.pick(['in', 'not in'])} {chosen!r}"
        if choice == "list":
            lst = self.pick(self.of("list")).name
            if self.of("string") and self.draw(st.booleans()):
                return f"contains_any({self.pick(self.of('string')).name}, {lst})"
            return f"{self.text(0)} {self.pick(['in', 'not in'])} {lst}"
        if choice == "text":
            kind = self.pick(["eq", "in_list", "in_text", "fn", "truth"])
            if kind == "eq":
                return f"{self.text(depth)} {self.pick(['==', '!='])} {self.text(0)}"
            if kind == "in_list":
                return f"{self.text(depth)} {self.pick(['in', 'not in'])} {self.pick(['words', repr(['alpha', 'Beta'])])}"
            if kind == "in_text":
                return f"{self.text(0)} in {self.text(depth)}"
            if kind == "fn":
                fn = self.pick(["contains", "startswith", "endswith", "contains_any"])
                parts = self.pick(["words", "['al', 'be']"]) if fn == "contains_any" else self.text(0)
                return f"{fn}({self.text(depth)}, {parts})"
            return self.text(depth)
        if choice == "not":
            return f"not ({self.boolean(depth - 1)})"
        values = [self.boolean(depth - 1) for _ in range(self.draw(st.integers(2, 3)))]
        return "(" + f" {choice} ".join(values) + ")"


# -- rule files -------------------------------------------------------------------------------------


def _q(value: Any) -> str:
    """A YAML scalar or flow value, quoted as JSON (valid YAML) so YAML reads no booleans or dates."""
    return json.dumps(value)


def _field_line(draw: Any, spec: FieldSpec) -> str:
    parts = [f"type: {spec.type}"]
    if spec.source != spec.name:
        parts.append(f"source: {_q(spec.source)}")
    if spec.type == "enum":
        parts.append(f"values: {_q(list(spec.values))}")
    if len(spec.format) == 1 and draw(st.booleans()):
        parts.append(f"format: {_q(spec.format[0])}")  # one pattern, written alone
    elif spec.format:
        parts.append(f"format: {_q(list(spec.format))}")
    if spec.min is not None:
        parts.append(f"min: {spec.min}")
    if spec.max is not None:
        parts.append(f"max: {spec.max}")
    if spec.type != "events" and draw(st.integers(0, 4)) == 0:
        parts.append(f"default: {_q(draw(_good_value(spec)))}")
    return f"  {spec.name}: {{{', '.join(parts)}}}"


@st.composite
def _fields(draw: Any) -> tuple[list[FieldSpec], str | None]:
    types = draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=7))
    specs: list[FieldSpec] = []
    for index, kind in enumerate(types):
        name = f"{kind[:3]}{index}"
        source = draw(st.sampled_from([name, name, f"Col {index}", f"company.{name}"]))
        spec = FieldSpec(name, kind, source)
        if kind == "enum":
            spec.values = tuple(draw(st.lists(st.sampled_from(ENUM_VALUES), min_size=1, max_size=4, unique_by=str.lower)))
        if kind in ("date", "datetime") and draw(st.booleans()):
            spec.format = tuple(draw(st.lists(st.sampled_from(DATE_FORMATS if kind == "date" else DATETIME_FORMATS), min_size=1, max_size=3, unique=True)))
        if kind in ("integer", "number"):
            spec.min = draw(st.sampled_from([None, None, 0, -10]))
            spec.max = draw(st.sampled_from([None, None, 1000, 10**6]))
        specs.append(spec)
    events_field = None
    if draw(st.booleans()):
        events_field = "events"
        declared = draw(st.sampled_from([(), EVENT_TYPES]))
        spec = FieldSpec("events", "events", draw(st.sampled_from(["events", "Activity"])), values=declared)
        specs.append(spec)
    return specs, events_field


def _criterion(draw: Any, grammar: _Grammar, cid: str, *, points: bool = False) -> list[str]:
    """A criterion as YAML flow lines: the shorthand, or a mapping with missing:/points."""
    expr = grammar.boolean(draw(st.integers(0, 2)))
    missing = draw(st.sampled_from([None, None, "pass", "fail", "unknown"]))
    if points:
        value = draw(st.sampled_from([5, 10, -20, 2.5, 0]))
        extra = f", missing: {missing}" if missing else ""
        return [f"{{id: {cid}, when: {_q(expr)}, points: {value}{extra}}}"]
    if missing is None and not grammar.templates and draw(st.booleans()):
        return [f"{{{cid}: {_q(expr)}}}"]
    extra = f", missing: {missing}" if missing else ""
    if grammar.templates and draw(st.integers(0, 2)) > 0:
        extra += f", because: {_q(_because(draw, grammar))}"
    return [f"{{id: {cid}, when: {_q(expr)}{extra}}}"]


def _because(draw: Any, grammar: _Grammar) -> str:
    """A `because:` template: literal text and placeholders of numbers, text, truths and times."""
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["num", "text", "bool", "time", "literal"]))
        depth = draw(st.integers(0, 2))
        if kind == "num":
            parts.append("{" + grammar.num(depth) + "}")
        elif kind == "text":
            parts.append("{" + grammar.text(depth) + "}")
        elif kind == "bool":
            parts.append("{" + grammar.boolean(depth) + "}")
        elif kind == "time" and (grammar.of("date", "datetime") or grammar.events):
            parts.append("{" + grammar.time() + "}")
        else:
            parts.append("because of it")
    return " ".join(parts)


def _group(draw: Any, grammar: _Grammar, ids: list[int], depth: int) -> str:
    """A nested group as YAML flow text: {all: [...]} etc., maybe with an id."""
    body = _group_body(draw, grammar, ids, depth)
    if draw(st.integers(0, 2)) == 0:
        ids[0] += 1
        body = f"id: g{ids[0]}, {body}"
    return "{" + body + "}"


def _group_body(draw: Any, grammar: _Grammar, ids: list[int], depth: int) -> str:
    """A condition's key and items: `all: [...]`, `at_least: {n: 2, of: [...]}`."""
    op = draw(st.sampled_from(["all", "any", "none", "at_least"]))
    size = draw(st.integers(1, 3))
    items: list[str] = []
    for _ in range(size):
        if depth > 0 and draw(st.integers(0, 3)) == 0:
            items.append(_group(draw, grammar, ids, depth - 1))
        else:
            ids[0] += 1
            items.extend(_criterion(draw, grammar, f"c{ids[0]}"))
    listed = "[" + ", ".join(items) + "]"
    return f"at_least: {{n: {draw(st.integers(1, size))}, of: {listed}}}" if op == "at_least" else f"{op}: {listed}"


@st.composite
def rule_files(draw: Any, templates: bool = False) -> RuleFile:
    """A random rule file that the checker should accept (``templates``: criteria may have a ``because:`` template)."""
    specs, events_field = draw(_fields())
    markers = tuple(draw(st.sampled_from([None, MARKERS[:1], MARKERS[:3], MARKERS, MARKERS[1:4]])) or ("",))
    lines = ["leadspec: 1", "name: generated"]
    if markers != ("",):
        lines.append(f"missing: {_q(list(markers))}")
    lines.append("fields:")
    for spec in specs:
        line = _field_line(draw, spec)
        if spec.type == "events" and spec.values:
            line = f"  {spec.name}: {{type: events, source: {_q(spec.source)}, values: {_q(list(spec.values))}}}"
        elif spec.type == "events":
            line = f"  {spec.name}: {{type: events, source: {_q(spec.source)}}}"
        lines.append(line)
    lines.append(f"lists: {{words: {_q(list(WORDS))}, sizes: {_q(list(SIZES))}}}")

    flags: list[str] = []  # each flag reads only flags drawn before it (no circle); written in file order or reversed
    flag_lines: list[str] = []
    for index in range(draw(st.integers(0, 3))):
        grammar = _Grammar(draw, specs, events_field is not None, [], list(flags), templates=templates)  # flags come before scores
        expr = f"not not ({grammar.boolean(draw(st.integers(0, 2)))})"  # a boolean whatever the grammar drew
        missing = draw(st.sampled_from([None, None, "pass", "fail", "unknown"]))
        flag_lines.append(f"  fg{index}: {_q(expr)}" if missing is None else f"  fg{index}: {{when: {_q(expr)}, missing: {missing}}}")
        flags.append(f"fg{index}")
    if flag_lines:
        lines += ["flags:", *(reversed(flag_lines) if draw(st.booleans()) else flag_lines)]

    scores: list[str] = []
    score_lines: list[str] = []
    for index in range(draw(st.integers(0, 2))):
        name = f"s{index}"
        body: list[str] = []
        if events_field and draw(st.booleans()):
            entries = []
            for kind in draw(st.lists(st.sampled_from(EVENT_TYPES), min_size=1, max_size=3, unique=True)):
                pts = draw(st.sampled_from([1, 5, 30, 2.5, -3]))
                cap = draw(st.sampled_from([None, None, 3, 10]))
                entries.append(f"{kind}: {pts}" if cap is None else f"{kind}: {{points: {pts}, max: {cap}}}")
            body.append("    events: {" + ", ".join(entries) + "}")
            window = draw(st.sampled_from([None, "30d", "90d", "2w", "36h"]))
            if window:
                body.append(f"    window: {window}")
            half_life = draw(st.sampled_from([None, None, "7d", "30d"]))
            if half_life:
                body.append(f"    half_life: {half_life}")
        if not body or draw(st.booleans()):
            grammar = _Grammar(draw, specs, events_field is not None, list(scores), flags, templates=templates)
            rules = [_criterion(draw, grammar, f"r{i}", points=True)[0] for i in range(draw(st.integers(1, 3)))]
            body.append("    rules: [" + ", ".join(rules) + "]")
        low = draw(st.sampled_from([None, None, -10, 0]))
        high = draw(st.sampled_from([None, None, 40, 100]))
        if low is not None:
            body.append(f"    min: {low}")
        if high is not None:
            body.append(f"    max: {high}")
        score_lines += [f"  {name}:", *body]
        scores.append(name)
    if score_lines:
        lines += ["scores:", *score_lines]

    grammar = _Grammar(draw, specs, events_field is not None, scores, flags, templates=templates)
    disqualifiers = [_criterion(draw, grammar, f"d{i}")[0] for i in range(draw(st.integers(0, 2)))]
    if disqualifiers:
        lines.append("disqualify: [" + ", ".join(disqualifiers) + "]")

    lines.append("stages:")
    for index in range(draw(st.integers(1, 3))):
        lines.append(f"  - id: st{index}")
        if draw(st.integers(0, 2)) == 0:
            lines.append(f"    when: {_q(grammar.boolean(draw(st.integers(0, 2))))}")
            missing = draw(st.sampled_from([None, None, "pass", "fail"]))
            if missing:
                lines.append(f"    missing: {missing}")
        else:
            lines.append("    " + _group_body(draw, grammar, [0], 2))
    return RuleFile("\n".join(lines) + "\n", specs, markers, events_field, lines)


# -- leads ------------------------------------------------------------------------------------------


def _good_value(spec: FieldSpec) -> st.SearchStrategy[Any]:
    """A value that reads as the field's type (as typed JSON, or text)."""
    low = spec.min if spec.min is not None else -(10**6)
    high = spec.max if spec.max is not None else 10**6
    if spec.type == "integer":
        return st.one_of(st.integers(low, high), st.integers(low, high).map(str))
    if spec.type == "number":
        floats = st.floats(low, high, allow_nan=False).map(lambda x: round(x, 3))
        return st.one_of(st.integers(low, high), floats, floats.map(str))
    if spec.type == "boolean":
        return st.sampled_from([True, False, "yes", "No", "TRUE", "off", "1", "0", "y", "F", 1, 0])
    if spec.type == "string":
        return st.sampled_from(["alpha", "Beta Gamma", "x@corp.example", "ana@gmail.com", "al", "12"])
    if spec.type == "enum":
        return st.sampled_from(spec.values)
    if spec.type == "date":
        days = st.integers(-800, 30).map(lambda n: (AS_OF + timedelta(days=n)).date())
        if spec.format:  # in any of its patterns, or ISO 8601 (always read)
            return st.tuples(days, st.sampled_from(spec.format + ("iso",))).map(lambda p: p[0].isoformat() if p[1] == "iso" else p[0].strftime(p[1]))
        return days.map(date.isoformat)
    if spec.type == "datetime":
        moments = st.integers(-800 * 24, 30 * 24).map(lambda h: AS_OF + timedelta(hours=h, minutes=7))
        iso = st.one_of(moments.map(lambda m: m.isoformat().replace("+00:00", "Z")),
                        moments.map(lambda m: m.astimezone(timezone(timedelta(hours=2))).isoformat()))
        if spec.format:  # in any of its patterns, or ISO 8601 (always read)
            return st.one_of(st.tuples(moments, st.sampled_from(spec.format)).map(lambda p: p[0].strftime(p[1])), iso)
        return iso
    if spec.type == "list":
        return st.lists(st.sampled_from(WORDS + ("vip",)), max_size=3)
    raise AssertionError(spec.type)


def _messy(text: str) -> st.SearchStrategy[str]:
    return st.sampled_from([text, f"  {text} ", f"{text}\t", text.upper(), text.lower()])


NUMBER_EDGES = ("١٢٣", "１２３", "12３", "1e30", "-2E+2", "1.5e1", "1.23e1", "12345678901234567.0", "120e-1", "1e400", "-1e400", "0e99999999999999999999999", "1e-99999999999999999999999",
                "0" * 4300 + "7", "1" + "0" * 5000 + "e-5000", "-0" + "0" * 4400 + ".000")
"""Number text the engines must read alike: other scripts' digits (bad), exponents and fractions of zeros (exact integers), beyond every float, zeros past int()'s 4,300 digits."""
DATE_EDGES = ("2026-10-02Z", "2026-10-02z", "2026-10-02+05:00", "2026-10-02-02:00", "2026-10-02T00:00Z", "20261002", "2026-W40-5", "2026-w40-5", "2026w405", "2026-10-02t09:30:00z")
"""Date text the engines must read alike: a zone without a time (bad), other ISO 8601 forms Python reads, a lower-case week (bad) and a lower-case t and z (read)."""


def _bad_value(spec: FieldSpec) -> st.SearchStrategy[Any]:
    common = ["lots", "1,200.5", "maybe", "2026-13-45", "[1, 2", "nan", "inf", "12abc"]
    if spec.type in ("integer", "number"):
        return st.sampled_from([*common, *NUMBER_EDGES, 2.5 if spec.type == "integer" else "x", 10**9, -(10**9), float("inf"), True])
    if spec.type in ("string", "list"):
        return st.sampled_from([{"a": 1}, [1, [2]], True, "[1, 2"])
    if spec.type in ("date", "datetime"):
        return st.sampled_from([*common, *DATE_EDGES, 12, True, 3.5])
    return st.sampled_from(common + [12, True, 3.5])


def _event(events_field_types: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    kinds = st.sampled_from((*EVENT_TYPES, "other"))
    hours = st.one_of(st.integers(-24 * 5, 24 * 120), st.sampled_from([0, 24 * 30, 24 * 14, 12, 24 * 90, 36, -1]))
    at = hours.map(lambda h: AS_OF - timedelta(hours=h))
    at_text = st.one_of(at.map(lambda m: m.isoformat().replace("+00:00", "Z")), at.map(lambda m: m.date().isoformat()))
    return st.fixed_dictionaries({"type": kinds, "at": at_text}, optional={"title": st.just("launch")})


def _raw(spec: FieldSpec, markers: tuple[str, ...]) -> st.SearchStrategy[Any]:
    if spec.type == "events":
        events = st.lists(_event(spec.values), max_size=6)
        return st.one_of(events, events.map(json.dumps), st.sampled_from(["[{", [{"type": "demo"}], [{"type": 3, "at": "2026-10-01"}]]))
    good = _good_value(spec)
    texts = good.map(lambda v: v if isinstance(v, str) else str(v))
    return st.one_of(
        good,
        good,
        texts.flatmap(_messy),
        st.sampled_from(markers).flatmap(_messy),
        _bad_value(spec),
        st.none(),
    )


_ABSENT = object()


def _put(lead: dict[str, Any], source: str, value: Any, *, nested: bool) -> None:
    if nested and "." in source:
        head, tail = source.split(".", 1)
        inner = lead.setdefault(head, {})
        inner[tail] = value
    else:
        lead[source] = value


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


@st.composite
def leads(draw: Any, rule_file: RuleFile) -> dict[str, Any]:
    """A lead for ``rule_file``: typed JSON (nested objects for dotted sources) or a CSV row (all text, flat)."""
    csv = draw(st.booleans())
    lead: dict[str, Any] = {}
    for spec in rule_file.fields:
        if draw(st.integers(0, 5)) == 0:
            continue  # absent key
        value = draw(_raw(spec, rule_file.markers))
        if csv:
            if spec.type == "list" and isinstance(value, list):
                value = draw(st.sampled_from(["; ".join(map(str, value)), json.dumps(value)]))
            lead[spec.source] = _as_text(value)
        else:
            _put(lead, spec.source, value, nested=True)
    return lead


AS_OFS = st.one_of(
    st.just(AS_OF),
    st.integers(-24 * 60, 24 * 60).map(lambda h: AS_OF + timedelta(hours=h, seconds=17)),
)


def loaded_rule_file(data: st.DataObject, templates: bool = False) -> tuple[RuleFile, leadspec.Ruleset]:
    """Draw a rule file and load it; the few the checker refuses are skipped (``assume``): the grammar aims at valid files."""
    rule_file = data.draw(rule_files(templates), label="rules")
    try:
        return rule_file, leadspec.loads(rule_file.text, name="generated.yaml")
    except leadspec.RulesError:
        assume(False)
        raise


# -- the law: the engine agrees with the reference -------------------------------------------------------------------------------


def _events_as_engine_gives(value: Any) -> Any:
    """The reference's event tuples as Result.values shows events: the objects with ``at`` read."""
    if value is None:
        return None
    return [{**original, "type": kind, "at": at} for kind, at, original in value]


def _same_value(ours: Any, theirs: Any) -> bool:
    if isinstance(ours, float) and isinstance(theirs, float) and math.isnan(ours):
        return math.isnan(theirs)
    return type(ours) is type(theirs) and ours == theirs


def _same_score(ours: float, theirs: float, decayed: bool) -> bool:
    # Decay is defined by the docs as a real number, 0.5 ** (age / half_life); an engine may
    # compute that power another way (or in another order) and differ in the last bits.
    # Without decay every total is a sum of the written points: exact.
    return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-9) if decayed else (ours == theirs and type(ours) is type(theirs))


_SHOW = reprlib.Repr()
_SHOW.maxstring = _SHOW.maxother = 300
_SHOW.maxlong = 60


def _show(value: Any) -> str:
    """A short repr for a failure message (deep lists and integers of thousands of digits included)."""
    try:
        return _SHOW.repr(value)
    except ValueError:  # an integer too long for str()
        return f"<{type(value).__name__} too long to show>"


def assert_agree(rules: leadspec.Ruleset, lead: Mapping[str, Any], as_of: datetime | date | str) -> reference.Outcome:
    """The reference and the engine give the same answers for ``lead``; returns the reference's."""
    plan = rules.plan
    ours = reference.evaluate(plan, lead, as_of)
    theirs = rules.evaluate(lead, as_of=as_of)
    wrong: list[str] = []

    def check(what: str, expected: Any, got: Any, same: bool) -> None:
        if not same:
            wrong.append(f"{what}: reference {_show(expected)}, engine {_show(got)}")

    engine_criteria = {c.id: c.outcome for c in theirs.criteria}
    check("criteria", ours.criteria, engine_criteria, engine_criteria == ours.criteria)
    check("stages", ours.stages, theirs.stages, theirs.stages == ours.stages)
    engine_flags = {name: {True: "pass", False: "fail", None: "unknown"}[value] for name, value in theirs.flags.items()}
    check("flags", ours.flags, engine_flags, engine_flags == ours.flags)
    decayed = {s.name for s in plan.scores if s.half_life is not None}
    totals = {name: s.total for name, s in theirs.scores.items()}
    check("score names", list(ours.scores), list(totals), totals.keys() == ours.scores.keys())
    for name, total in ours.scores.items():
        check(f"score {name}", total, totals.get(name), name in totals and _same_score(total, totals[name], name in decayed))
    values = dict(ours.values)
    if plan.events_field is not None:
        values[plan.events_field] = _events_as_engine_gives(values[plan.events_field])
    engine_values = theirs.values
    for name, value in values.items():
        check(f"value {name}", value, engine_values[name], _same_value(value, engine_values[name]))
    bad = {i.field for i in theirs.issues if i.field is not None}
    check("fields with bad values", set(ours.bad), bad, bad == ours.bad)
    raised = tuple(i.criterion for i in theirs.issues if i.field is None)
    check("criteria that raised", ours.errors, raised, raised == ours.errors)
    check("stage", ours.stage, theirs.stage, theirs.stage == ours.stage)
    fast = rules.stage(lead, as_of=as_of)
    check("stage()", ours.stage, fast, fast == ours.stage)
    if wrong:
        raise AssertionError(
            "the engine disagrees with the reference interpreter:\n  " + "\n  ".join(wrong)
            + f"\nlead={_show(lead)}\nas_of={as_of!r}\nexplain:\n{theirs.explain()}"
        )
    return ours
