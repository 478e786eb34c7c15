"""The plan as JSON: :meth:`Plan.to_json`, :meth:`Plan.from_json` and the JSON Schema of the format.

The writer, the reader and the schema are all derived from the dataclasses
of :mod:`leadspec.plan` and their type hints, so they cannot drift apart
from each other or from the plan (a field added to a plan class is
written, read and described at once). The format (docs/plan.md):

- the document is an object: ``"leadspec_plan": 1`` (the format version)
  first, then the fields of :class:`~leadspec.plan.Plan` (``criteria`` is
  not written: it is rebuilt from the scores, disqualifiers and stages);
- every dataclass is an object with the dataclass's field names, all of
  them written; a class that shares a place with other classes (every
  expression node, and :class:`~leadspec.plan.Criterion` and
  :class:`~leadspec.plan.Group`, the items of a group) names itself in
  ``"node"``;
- tuples are arrays, durations a number of seconds, numbers JSON numbers
  (integers exact at any size, written without a point; floats always with
  a point or an exponent); what JSON has no literal for is a one-key
  object: ``{"float": "inf"}`` (``"-inf"``, ``"nan"``),
  ``{"date": "2026-01-01"}``, ``{"datetime": "2026-01-01T09:00:00+00:00"}``
  and, for a mapping inside a value, ``{"map": [[key, value], ...]}``.

:func:`loads` checks everything it reads and raises :class:`ValueError`
naming the JSON path of the first bad place
(``stages[0].condition.items[2].expr.ops[0]: 'between' is not a comparison; ...``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import types
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from . import plan as _plan
from .plan import FLAG_PREFIX, Call, Compare, Const, Criterion, FieldPlan, FlagName, ListName, Name, NamedList, Plan, ScorePlan, StagePlan, walk

__all__ = ["FORMAT", "MARKER", "dumps", "loads", "schema"]

MARKER = "leadspec_plan"
"""The key that marks a plan document; its value is the format version."""
FORMAT = 1
"""The version of the format written and read."""

_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}
_VALUE_TAGS = ("float", "date", "datetime", "map")
# ISO 8601 as date.isoformat() and datetime.isoformat() write it (the reader takes nothing else)
_ISO = {
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "datetime": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?([+-][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{6})?)?)?$",
}

# What a set of allowed strings is called in a message ("'between' is not a comparison").
_LITERAL_NAMES = {
    frozenset(("<", "<=", ">", ">=", "==", "!=", "in", "not in")): "a comparison",
    frozenset(("+", "-", "*", "/", "//", "%", "**")): "an arithmetic operator",
    frozenset(("and", "or")): "a boolean operator",
    frozenset(("-", "+")): "a sign",
    frozenset(("all", "any", "none", "at_least")): "a group",
    frozenset(("pass", "fail", "unknown")): "a missing policy",
    frozenset(("num", "str", "bool", "date", "datetime", "list", "events", "any")): "a kind of value",
    frozenset(("string", "integer", "number", "boolean", "enum", "date", "datetime", "list", "events")): "a field type",
}


class _Bad(Exception):
    """A place in the document (or the plan) that is not what the format says."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(path, message)
        self.path, self.message = path, message

    def __str__(self) -> str:
        return f"{self.path or 'the document'}: {self.message}"


def _key(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _what(data: Any) -> str:
    """A JSON value as a message names it."""
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "true" if data else "false"
    if isinstance(data, (int, float)):
        return f"the number {data!r}"
    if isinstance(data, str):
        return f"the string {_short(data)}"
    if isinstance(data, list):
        return "an array"
    return "an object"


def _a(name: str) -> str:
    return f"an {name}" if name[:1] in "AEIOU" else f"a {name}"


def _short(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37]) + "…"


class _Context:
    """What the reader has seen so far, for the checks that look across the document."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}  # name -> path
        self.lists: dict[str, str] = {}
        self.scores: dict[str, str] = {}
        self.stages: dict[str, str] = {}
        self.criteria: dict[int, str] = {}  # index -> path
        self.criterion_ids: dict[str, str] = {}
        self.flag_refs: list[tuple[str, str]] = []  # (flag name, path) of every FlagName: checked once the flags are read


# -- the shapes of values ------------------------------------------------------------------


class _Spec:
    """How one annotated type is written, read and described."""

    def accepts(self, value: Any) -> bool:
        """Whether this Python value is of this type (to pick the member of a union)."""
        raise NotImplementedError

    def matches(self, data: Any) -> bool:
        """Whether this JSON value is meant as this type (to pick the member of a union)."""
        raise NotImplementedError

    def encode(self, value: Any, path: str) -> Any:
        raise NotImplementedError

    def decode(self, data: Any, path: str, ctx: _Context) -> Any:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def describe(self) -> str:
        """What a message says is expected here."""
        raise NotImplementedError


class _Str(_Spec):
    def accepts(self, value: Any) -> bool:
        return type(value) is str

    def matches(self, data: Any) -> bool:
        return isinstance(data, str)

    def encode(self, value: Any, path: str) -> Any:
        if type(value) is not str:
            raise _Bad(path, f"expected text, the plan has {type(value).__name__}")
        return value

    def decode(self, data: Any, path: str, ctx: _Context) -> Any:
        if not isinstance(data, str):
            raise _Bad(path, f"expected a string, got {_what(data)}")
        return data

    def schema(self) -> dict[str, Any]:
        return {"type": "string"}

    def describe(self) -> str:
        return "a string"


class _Bool(_Spec):
    def accepts(self, value: Any) -> bool:
        return type(value) is bool

    def matches(self, data: Any) -> bool:
        return isinstance(data, bool)

    def encode(self, value: Any, path: str) -> Any:
        if type(value) is not bool:
            raise _Bad(path, f"expected a boolean, the plan has {type(value).__name__}")
        return value

    def decode(self, data: Any, path: str, ctx: _Context) -> Any:
        if not isinstance(data, bool):
            raise _Bad(path, f"expected true or false, got {_what(data)}")
        return data

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}

    def describe(self) -> str:
        return "true or false"


def _encode_float(value: float) -> Any:
    if math.isfinite(value):
        return value
    return {"float": "nan" if value != value else ("inf" if value > 0 else "-inf")}


def _decode_non_finite(data: dict[str, Any], path: str) -> float:
    tag = data.get("float")
    if len(data) != 1 or not isinstance(tag, str) or tag not in _NON_FINITE:  # the tag may be any JSON value
        raise _Bad(path, 'expected a number; a number JSON cannot write is {"float": "inf"}, {"float": "-inf"} or {"float": "nan"}')
    return _NON_FINITE[data["float"]]


class _Number(_Spec):
    """``int``, ``float`` or ``int | float``: JSON numbers, exact; non-finite floats tagged."""

    def __init__(self, ints: bool, floats: bool) -> None:
        self.ints, self.floats = ints, floats

    def accepts(self, value: Any) -> bool:
        return (self.ints and type(value) is int) or (self.floats and type(value) is float)

    def matches(self, data: Any) -> bool:
        if isinstance(data, dict):
            return self.floats and "float" in data
        return isinstance(data, (int, float)) and not isinstance(data, bool)

    def encode(self, value: Any, path: str) -> Any:
        if self.ints and type(value) is int:
            return value
        if self.floats and type(value) is float:
            return _encode_float(value)
        raise _Bad(path, f"expected {self.describe()}, the plan has {type(value).__name__}")

    def decode(self, data: Any, path: str, ctx: _Context) -> Any:
        if self.ints and type(data) is int:
            return data
        if self.floats and type(data) is float:
            return data
        if self.floats and isinstance(data, dict):
            return _decode_non_finite(data, path)
        if not self.floats and type(data) is float:
            raise _Bad(path, f"expected an integer, got {_what(data)} (an integer is written without a point)")
        raise _Bad(path, f"expected {self.describe()}, got {_what(data)}")

    def schema(self) -> dict[str, Any]:
        if not self.floats:
            return {"type": "integer"}
        return {"anyOf": [{"type": "number"}, {"$ref": "#/$defs/NonFinite"}]}

    def describe(self) -> str:
        return "a number" if self.floats else "an integer"


class _Duration(_Spec):
    """A :class:`~datetime.timedelta` as a number of seconds (an integer when whole)."""

    def accepts(self, value: Any) -> bool:
        return type(value) is timedelta

    def matches(self, data: Any) -> bool:
        return isinstance(data, (int, float)) and not isinstance(data, bool)

    def encode(self, value: Any, path: str) -> Any:
        if type(value) is not timedelta:
            raise _Bad(path, f"expected a duration, the plan has {type(value).__name__}")
        seconds = value.days * 86400 + value.seconds
        return seconds if not value.microseconds else seconds + value.microseconds / 1_000_000

    def decode(self, data: Any, path: str, ctx: _Context) -> Any:
        if not self.matches(data) or (isinstance(data, float) and not math.isfinite(data)):
            raise _Bad(path, f"expected a duration in seconds (a number), got {_what(data)}")
        try:
            return timedelta(seconds=data)
        except OverflowError:
            raise _Bad(path, f"{data!r} seconds is out of the range of a duration") from None

    def schema(self) -> dict[str, Any]:
        return {"type": "number", "description": "a duration in seconds"}

    def describe(self) -> str:
        return "a duration in seconds"


class _Literal(_Spec):
    def __init__(self, values: tuple[str, ...]) -> None:
        self.values = values
        self.name = _LITERAL_NAMES.get(frozenset(values), "allowed here")

    def accepts(self, value: Any) -> bool:
        return type(value) is str and value in self.values

    def matches(self, data: Any) -> bool:
        return isinstance(data, str)

    def encode(self, value: Any, path: str) -> Any:
        if not self.accepts(value):
            raise _Bad(path, f"{value!r} is not {self.name}")
        return value

    def decode(self, data: Any, path: str, ctx: _Context) -> Any:
        if not isinstance(data, str):
            raise _Bad(path, f"expected a string, got {_what(data)}")
        if data not in self.values:
            raise _Bad(path, f"{_short(data)} is not {self.name}; expected one of {', '.join(map(repr, self.values))}")
        return data

    def schema(self) -> dict[str, Any]:
        return {"enum": list(self.values)}

    def describe(self) -> str:
        return "one of " + ", ".join(map(repr, self.values))


class _Tuple(_Spec):
    def __init__(self, item: _Spec) -> None:
        self.item = item

    def accepts(self, value: Any) -> bool:
        return type(value) is tuple

    def matches(self, data: Any) -> bool:
        return isinstance(data, list)

    def encode(self, value: Any, path: str) -> Any:
        if type(value) is not tuple:
            raise _Bad(path, f"expected a tuple, the plan has {type(value).__name__}")
        return [self.item.encode(v, f"{path}[{i}]") for i, v in enumerate(value)]

    def decode(self, data: Any, path: str, ctx: _Context) -> Any:
        if not isinstance(data, list):
            raise _Bad(path, f"expected an array, got {_what(data)}")
        return tuple(self.item.decode(v, f"{path}[{i}]", ctx) for i, v in enumerate(data))

    def schema(self) -> dict[str, Any]:
        return {"type": "array", "items": self.item.schema()}

    def describe(self) -> str:
        return "an array"


class _Value(_Spec):
    """``Any`` (a constant, a default, a list item): exact Python types, dates and mappings tagged."""

    def accepts(self, value: Any) -> bool:
        return True

    def matches(self, data: Any) -> bool:
        return True

    def encode(self, value: Any, path: str) -> Any:
        kind = type(value)
        if value is None or kind in (bool, int, str):
            return value
        if kind is float:
            return _encode_float(value)
        if kind is tuple:
            return [self.encode(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if kind is datetime:
            return {"datetime": value.isoformat()}
        if kind is date:
            return {"date": value.isoformat()}
        if kind is _plan.FrozenDict:
            return {"map": [[self.encode(k, f"{path}.map[{i}][0]"), self.encode(v, f"{path}.map[{i}][1]")] for i, (k, v) in enumerate(value.items())]}
        raise _Bad(path, f"a value of type {kind.__name__} cannot be exported (a plan holds None, booleans, numbers, text, tuples, dates, datetimes and frozen mappings)")

    def decode(self, data: Any, path: str, ctx: _Context) -> Any:
        if data is None or isinstance(data, (bool, int, float, str)):
            return data
        if isinstance(data, list):
            return tuple(self.decode(v, f"{path}[{i}]", ctx) for i, v in enumerate(data))
        tag = next(iter(data), None) if len(data) == 1 else None
        if tag not in _VALUE_TAGS:
            raise _Bad(path, 'an object here is one of {"float": ...}, {"date": ...}, {"datetime": ...} or {"map": [...]}')
        payload = data[tag]
        where = _key(path, tag)
        if tag == "float":
            return _decode_non_finite(data, path)
        if tag == "map":
            return self._map(payload, where, ctx)
        if not isinstance(payload, str):
            raise _Bad(where, f"expected an ISO 8601 {tag} as a string, got {_what(payload)}")
        try:
            if not re.fullmatch(_ISO[tag], payload):
                raise ValueError(payload)
            value = datetime.fromisoformat(payload) if tag == "datetime" else date.fromisoformat(payload)
        except ValueError:
            raise _Bad(where, f"{_short(payload)} is not an ISO 8601 {tag}") from None
        return value

    def _map(self, payload: Any, path: str, ctx: _Context) -> Any:
        if not isinstance(payload, list):
            raise _Bad(path, f"expected an array of [key, value] pairs, got {_what(payload)}")
        out: dict[Any, Any] = {}
        for i, pair in enumerate(payload):
            if not (isinstance(pair, list) and len(pair) == 2):
                raise _Bad(f"{path}[{i}]", f"expected a [key, value] pair, got {_what(pair)}")
            key = self.decode(pair[0], f"{path}[{i}][0]", ctx)
            if key in out:
                raise _Bad(f"{path}[{i}][0]", f"the key {key!r} is given twice")
            out[key] = self.decode(pair[1], f"{path}[{i}][1]", ctx)
        return _plan.FrozenDict(out)

    def schema(self) -> dict[str, Any]:
        return {"$ref": "#/$defs/Value"}

    def describe(self) -> str:
        return "a value"


class _Union(_Spec):
    """``A | B | None``: the member is chosen by the Python type when writing, by the JSON shape (and ``node``) when reading."""

    def __init__(self, members: list[_Spec], optional: bool, expr: bool) -> None:
        self.members, self.optional, self.expr = members, optional, expr
        self.classes = {m.cls.__name__: m for m in members if isinstance(m, _Dataclass)}

    def accepts(self, value: Any) -> bool:
        return (value is None and self.optional) or any(m.accepts(value) for m in self.members)

    def matches(self, data: Any) -> bool:
        return (data is None and self.optional) or any(m.matches(data) for m in self.members)

    def encode(self, value: Any, path: str) -> Any:
        if value is None and self.optional:
            return None
        for member in self.members:
            if member.accepts(value):
                return member.encode(value, path)
        raise _Bad(path, f"expected {self.describe()}, the plan has {type(value).__name__}")

    def decode(self, data: Any, path: str, ctx: _Context) -> Any:
        if data is None and self.optional:
            return None
        if isinstance(data, dict) and any(m.tagged for m in self.classes.values()):
            node = data.get("node")
            if node is None and "node" not in data:
                raise _Bad(_key(path, "node"), f"missing: expected {self.describe()}, named in `node`")
            if isinstance(node, str) and node in self.classes:
                return self.classes[node].decode(data, path, ctx)
            raise _Bad(_key(path, "node"), f"{_what(node) if not isinstance(node, str) else _short(node)} is not {self._node_name()}; expected one of {', '.join(map(repr, self.classes))}")
        for member in self.members:
            if not (isinstance(member, _Dataclass) and member.tagged) and member.matches(data):
                return member.decode(data, path, ctx)
        raise _Bad(path, f"expected {self.describe()}, got {_what(data)}")

    def _node_name(self) -> str:
        return "an expression node" if self.expr else "allowed here"

    def schema(self) -> dict[str, Any]:
        if self.expr:
            options = [{"$ref": "#/$defs/Expr"}]
            options += [m.schema() for m in self.members if not isinstance(m, _Dataclass)]
        else:
            options = [m.schema() for m in self.members]
        if self.optional:
            options.append({"type": "null"})
        return options[0] if len(options) == 1 else {"anyOf": options}

    def describe(self) -> str:
        parts = [("an expression" if self.expr and isinstance(m, _Dataclass) else m.describe()) for m in self.members]
        if self.optional:
            parts.append("null")
        unique = list(dict.fromkeys(parts))
        return " or ".join(unique)


_Hook = Callable[[Any, str, _Context], None]


class _Dataclass(_Spec):
    """A plan dataclass: an object with its field names (and ``node`` when it shares a place with other classes)."""

    def __init__(self, cls: type, tagged: bool) -> None:
        self.cls, self.tagged = cls, tagged
        self.fields: list[tuple[str, _Spec, bool]] = []  # name, spec, required (filled in after creation: classes refer to each other)
        self.hook: _Hook | None = _HOOKS.get(cls)

    def accepts(self, value: Any) -> bool:
        return type(value) is self.cls

    def matches(self, data: Any) -> bool:
        return isinstance(data, dict) and (not self.tagged or data.get("node") == self.cls.__name__)

    def encode(self, value: Any, path: str) -> Any:
        if type(value) is not self.cls:
            raise _Bad(path, f"expected {_a(self.cls.__name__)}, the plan has {type(value).__name__}")
        out: dict[str, Any] = {"node": self.cls.__name__} if self.tagged else {}
        for name, spec, _ in self.fields:
            out[name] = spec.encode(getattr(value, name), _key(path, name))
        return out

    def decode(self, data: Any, path: str, ctx: _Context) -> Any:
        name = self.cls.__name__
        if not isinstance(data, dict):
            raise _Bad(path, f"expected an object ({_a(name)}), got {_what(data)}")
        if self.tagged and data.get("node") != name:
            raise _Bad(_key(path, "node"), f"expected {name!r}, got {_what(data.get('node')) if 'node' in data else 'nothing'}")
        known = {f for f, _, _ in self.fields}
        for key in data:
            if key not in known and not (self.tagged and key == "node"):
                raise _Bad(_key(path, key), f"unknown key; {_a(name)} has {', '.join(f for f, _, _ in self.fields)}")
        values: dict[str, Any] = {}
        for field_name, spec, required in self.fields:
            where = _key(path, field_name)
            if field_name in data:
                values[field_name] = spec.decode(data[field_name], where, ctx)
            elif required:
                raise _Bad(where, f"missing; {_a(name)} has {', '.join(f for f, _, _ in self.fields)}")
        value = self.cls(**values)
        if self.hook is not None:
            self.hook(value, path, ctx)
        return value

    def schema(self) -> dict[str, Any]:
        return {"$ref": f"#/$defs/{self.cls.__name__}"}

    def definition(self) -> dict[str, Any]:
        """The schema of this class, for ``$defs``."""
        doc = (self.cls.__doc__ or "").strip().split("\n\n")[0]
        properties: dict[str, Any] = {}
        if self.tagged:
            properties["node"] = {"const": self.cls.__name__}
        for name, spec, _ in self.fields:
            properties[name] = spec.schema()
        required = (["node"] if self.tagged else []) + [name for name, _, required in self.fields if required]
        return {
            "description": " ".join(doc.replace("``", "`").split()),
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }

    def describe(self) -> str:
        return _a(self.cls.__name__)


# -- checks across the document (run as each object is read, so the first bad place is named) ------


def _check_compare(node: Compare, path: str, ctx: _Context) -> None:
    if not node.ops or len(node.operands) != len(node.ops) + 1:
        raise _Bad(_key(path, "operands"), f"{len(node.operands)} operands for {len(node.ops)} operators; a comparison has one operator or more and one operand more than operators")


def _check_name(node: Name, path: str, ctx: _Context) -> None:
    if node.id not in ctx.fields:
        raise _Bad(_key(path, "id"), f"{node.id!r} is not a field of this plan; fields: {', '.join(ctx.fields) or 'none'}")


def _check_list_name(node: ListName, path: str, ctx: _Context) -> None:
    if node.id not in ctx.lists:
        raise _Bad(_key(path, "id"), f"{node.id!r} is not a list of this plan; lists: {', '.join(ctx.lists) or 'none'}")


def _check_flag_name(node: FlagName, path: str, ctx: _Context) -> None:
    ctx.flag_refs.append((node.id, _key(path, "id")))


def _check_call(node: Call, path: str, ctx: _Context) -> None:
    """A call of a built-in function with the arguments it takes (what the checker made sure of in a rule file)."""
    from ._functions import FUNCTIONS

    function = FUNCTIONS.get(node.fn)
    if function is None:
        raise _Bad(_key(path, "fn"), f"{node.fn!r} is not a built-in function; they are {', '.join(FUNCTIONS)}")
    if function.takes == "events":
        if not node.events:
            raise _Bad(_key(path, "events"), f"{node.fn}() needs its event types in `events`")
        if node.args:
            raise _Bad(_key(path, "args"), f"{node.fn}() takes its event types in `events`, not `args`")
        if node.events_from is not None and node.events_from not in ctx.lists:
            raise _Bad(_key(path, "events_from"), f"{node.events_from!r} is not a declared list")
        return
    for key in ("events", "events_from", "within"):
        if getattr(node, key) is not None:
            raise _Bad(_key(path, key), f"`{key}` is only for the event functions (count, last, first), not {node.fn}()")
    count, most = len(node.args), function.max_args
    if count < function.min_args or (most is not None and count > most):
        want = f"{function.min_args}" if most == function.min_args else f"{function.min_args} to {most if most is not None else 'any'}"
        raise _Bad(_key(path, "args"), f"{node.fn}() takes {want} arguments, not {count}")
    if function.takes == "score_name":
        name = node.args[0]
        if not (isinstance(name, Const) and isinstance(name.value, str) and name.value in ctx.scores):
            raise _Bad(f"{_key(path, 'args')}[0]", f"{node.fn}() takes the name of a score declared before it, as text")


def _unique(seen: dict[Any, str], key: Any, path: str, what: str) -> None:
    if key in seen:
        raise _Bad(path, f"{what} {key!r} is also at {seen[key]}")
    seen[key] = path


def _check_field(node: FieldPlan, path: str, ctx: _Context) -> None:
    _unique(ctx.fields, node.name, _key(path, "name"), "field")
    from ._model import check_format

    for i, pattern in enumerate(node.format):  # a pattern strptime cannot use would fail on every lead
        try:
            check_format(pattern)
        except ValueError as exc:
            raise _Bad(f"{_key(path, 'format')}[{i}]", str(exc)) from None


def _check_list(node: NamedList, path: str, ctx: _Context) -> None:
    _unique(ctx.lists, node.name, _key(path, "name"), "list")


def _check_criterion(node: Criterion, path: str, ctx: _Context) -> None:
    if node.index < 0:
        raise _Bad(_key(path, "index"), f"{node.index} is negative; criteria are numbered from 0 in file order")
    _unique(ctx.criteria, node.index, _key(path, "index"), "index")
    _unique(ctx.criterion_ids, node.id, _key(path, "id"), "criterion")


def _check_score(node: ScorePlan, path: str, ctx: _Context) -> None:
    if node.index != len(ctx.scores):
        raise _Bad(_key(path, "index"), f"{node.index} is not the position of this score, {len(ctx.scores)}")
    _unique(ctx.scores, node.name, _key(path, "name"), "score")


def _check_stage(node: StagePlan, path: str, ctx: _Context) -> None:
    if node.index != len(ctx.stages):
        raise _Bad(_key(path, "index"), f"{node.index} is not the position of this stage, {len(ctx.stages)}")
    _unique(ctx.stages, node.id, _key(path, "id"), "stage")


def _check_plan(node: Plan, path: str, ctx: _Context) -> None:
    flags: dict[str, int] = {}  # name -> position in flags
    for i, flag in enumerate(node.flags):
        if not flag.id.startswith(FLAG_PREFIX):
            raise _Bad(f"flags[{i}].id", f"{flag.id!r} is not the id of a flag; a flag's id is {FLAG_PREFIX}NAME")
        if flag.expr is None:
            raise _Bad(f"flags[{i}].expr", "a flag has an expression")
        flags[flag.id[len(FLAG_PREFIX) :]] = i
        for sub in walk(flag.expr):  # the engines evaluate the flags in order: each reads only the flags before it
            if isinstance(sub, FlagName) and flags.get(sub.id, i) >= i:
                raise _Bad(f"flags[{i}].expr", f"flag {sub.id!r} is read before it is evaluated; flags are in the order they are evaluated")
    for name, where in ctx.flag_refs:
        if name not in flags:
            raise _Bad(where, f"{name!r} is not a flag of this plan; flags: {', '.join(flags) or 'none'}")
    count = len(ctx.criteria)
    for index, where in ctx.criteria.items():
        if index >= count:
            raise _Bad(where, f"{index} is out of range: this plan has {count} criteria, numbered 0 to {count - 1} in file order")


_HOOKS: dict[type, _Hook] = {
    Compare: _check_compare,
    Name: _check_name,
    ListName: _check_list_name,
    FlagName: _check_flag_name,
    Call: _check_call,
    FieldPlan: _check_field,
    NamedList: _check_list,
    Criterion: _check_criterion,
    ScorePlan: _check_score,
    StagePlan: _check_stage,
    Plan: _check_plan,
}


# -- building the codec from the type hints of plan.py ------------------------------------------


def _is_dataclass_type(hint: Any) -> bool:
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


def _union_args(hint: Any) -> tuple[Any, ...] | None:
    if get_origin(hint) in (Union, types.UnionType):
        return get_args(hint)
    return None


def _fields(cls: type) -> list[tuple[str, Any, bool]]:
    """``(name, type hint, required)`` of the fields a plan class is built from (``init`` fields)."""
    hints = get_type_hints(cls, vars(_plan))
    return [
        (f.name, hints[f.name], f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
        for f in dataclasses.fields(cls)
        if f.init
    ]


def _tagged_classes(root: type) -> set[type]:
    """The classes that share a place with other classes somewhere in the plan: they name themselves in ``node``."""
    tagged: set[type] = set()
    seen: set[type] = set()
    todo: list[Any] = [root]
    while todo:
        hint = todo.pop()
        args = _union_args(hint)
        if args is not None:
            members = [a for a in args if a is not type(None)]
            if len(members) > 1:
                tagged.update(a for a in members if _is_dataclass_type(a))
            todo.extend(members)
        elif _is_dataclass_type(hint):
            if hint not in seen:
                seen.add(hint)
                todo.extend(h for _, h, _ in _fields(hint))
        else:
            todo.extend(a for a in get_args(hint) if a is not Ellipsis)
    return tagged


class _Codec:
    """Every :class:`_Spec` of the plan, built once from the type hints."""

    def __init__(self) -> None:
        self.tagged = _tagged_classes(Plan)
        self.expr_classes = frozenset(get_args(_plan.Expr))
        self.classes: dict[type, _Dataclass] = {}
        self.root = self.spec(Plan)

    def spec(self, hint: Any) -> _Spec:
        if hint is Any or hint == _plan.ConstValue:
            return _Value()
        if hint is str:
            return _Str()
        if hint is bool:
            return _Bool()
        if hint is int:
            return _Number(ints=True, floats=False)
        if hint is float:
            return _Number(ints=False, floats=True)
        if hint is timedelta:
            return _Duration()
        if _is_dataclass_type(hint):
            if hint not in self.classes:
                built = self.classes[hint] = _Dataclass(hint, hint in self.tagged)
                built.fields = [(name, self.spec(h), required) for name, h, required in _fields(hint)]
            return self.classes[hint]
        if get_origin(hint) is Literal:
            return _Literal(get_args(hint))
        if get_origin(hint) is tuple:
            args = get_args(hint)
            if len(args) != 2 or args[1] is not Ellipsis:
                raise TypeError(f"only tuple[X, ...] is supported in a plan, not {hint}")
            return _Tuple(self.spec(args[0]))
        union = _union_args(hint)
        if union is not None:
            optional = type(None) in union
            members = [a for a in union if a is not type(None)]
            if set(members) <= {int, float}:
                number = _Number(ints=int in members, floats=float in members)
                return _Union([number], optional, expr=False) if optional else number
            specs = [self.spec(a) for a in members]
            expr = bool(self.expr_classes) and self.expr_classes <= set(members)
            if len(specs) == 1 and not optional:
                return specs[0]
            return _Union(specs, optional, expr)
        raise TypeError(f"the plan JSON format has no encoding for {hint!r}")


_CODEC: _Codec | None = None


def _codec() -> _Codec:
    global _CODEC
    if _CODEC is None:
        _CODEC = _Codec()
    return _CODEC


# -- the API ---------------------------------------------------------------------------------


def dumps(plan: Plan, indent: int | None = None) -> str:
    """``plan`` as a JSON document (ASCII, keys in the order of the dataclass fields).

    :class:`ValueError` naming the place if the plan holds something the
    format cannot write (it never does when it comes from a rule file).
    """
    try:
        body = _codec().root.encode(plan, "")
    except _Bad as exc:
        raise ValueError(f"cannot export the plan: {exc}") from None
    document = {MARKER: FORMAT, **body}
    return json.dumps(document, indent=indent, allow_nan=False)


def loads(text: str | bytes) -> Plan:
    """The plan of a JSON document written by :func:`dumps`.

    :class:`ValueError` naming the JSON path of the first bad place when
    the text is not such a document.
    """
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError("not a leadspec plan: the JSON is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, undecodable bytes, an integer too long to read
        raise ValueError(f"not a leadspec plan: not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"not a leadspec plan: the document is {_what(data)}, not an object")
    if MARKER not in data:
        raise ValueError(f"not a leadspec plan: there is no {MARKER!r} key (the format version)")
    version = data[MARKER]
    if type(version) is not int or version != FORMAT:
        raise ValueError(f"{MARKER}: expected the format version {FORMAT}, got {_what(version)}; this leadspec reads version {FORMAT} only")
    body = {k: v for k, v in data.items() if k != MARKER}
    try:
        plan = _codec().root.decode(body, "", _Context())
    except _Bad as exc:
        raise ValueError(str(exc)) from None
    except RecursionError:
        raise ValueError("not a leadspec plan: the document is nested too deeply") from None
    assert isinstance(plan, Plan)
    return plan


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of :func:`dumps` output, generated from the plan classes."""
    codec = _codec()
    defs: dict[str, Any] = {}
    for cls, spec in sorted(codec.classes.items(), key=lambda item: item[0].__name__):
        if cls is not Plan:
            defs[cls.__name__] = spec.definition()
    defs["Expr"] = {
        "description": "An expression node; `node` names its class.",
        "oneOf": [{"$ref": f"#/$defs/{cls.__name__}"} for cls in get_args(_plan.Expr)],
    }
    defs["NonFinite"] = {
        "description": "A float JSON has no literal for.",
        "type": "object",
        "properties": {"float": {"enum": list(_NON_FINITE)}},
        "required": ["float"],
        "additionalProperties": False,
    }
    defs["Value"] = {
        "description": "A value of any type: null, a boolean, a number, text, an array (a tuple), or a tagged object.",
        "anyOf": [
            {"type": ["null", "boolean", "number", "string"]},
            {"type": "array", "items": {"$ref": "#/$defs/Value"}},
            {"$ref": "#/$defs/NonFinite"},
            _tagged("date", {"type": "string", "format": "date", "pattern": _ISO["date"]}),
            _tagged("datetime", {"type": "string", "pattern": _ISO["datetime"], "description": "ISO 8601; without an offset: a naive datetime"}),
            _tagged("map", {"type": "array", "items": {"type": "array", "prefixItems": [{"$ref": "#/$defs/Value"}] * 2, "minItems": 2, "maxItems": 2}}),
        ],
    }
    root = codec.root.definition() if isinstance(codec.root, _Dataclass) else {}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "leadspec plan",
        "description": "A checked leadspec rule file, as written by Plan.to_json() (format version 1; see docs/plan.md).",
        "type": "object",
        "properties": {MARKER: {"const": FORMAT}, **root["properties"]},
        "required": [MARKER, *root["required"]],
        "additionalProperties": False,
        "$defs": defs,
    }


def _tagged(tag: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {tag: payload}, "required": [tag], "additionalProperties": False}
