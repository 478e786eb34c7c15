"""The plan: a checked rule file as plain, frozen data that every engine walks.

Loading a rule file reads the YAML, checks it and builds a :class:`Plan`:
the fields with their coercion settings, the named lists, the scores, the
disqualifiers and the stages, and every expression as a tree of
leadspec's own typed nodes (:class:`Const`, :class:`Name`,
:class:`Compare`, :class:`Call`, …). The Python code generator, the
reference interpreter (:mod:`leadspec.reference`) and the explanations
all read this one plan; so can other tools, through
:meth:`Plan.to_json`.

Everything here is immutable (assigning an attribute raises
:class:`dataclasses.FrozenInstanceError`), hashable, picklable and equal
by value. Collections are tuples; look-ups by name are methods
(:meth:`Plan.field`, :meth:`Plan.stage`, …).

>>> import leadspec
>>> rules = leadspec.loads('''
... leadspec: 1
... name: tiny
... fields:
...   employees: {type: integer}
... stages:
...   - id: icp
...     when: 50 <= employees <= 5000
... ''')
>>> plan = rules.plan
>>> crit = plan.stage("icp").condition.items[0]
>>> crit.id, unparse(crit.expr)
('icp.when', '50 <= employees <= 5000')
>>> crit.expr.ops, [type(o).__name__ for o in crit.expr.operands]
(('<=', '<='), ['Const', 'Name', 'Const'])
>>> crit.expr.type
Type(kind='bool', nullable=True, values=None, integral=False)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal, TypeVar, Union

__all__ = [
    "Arith",
    "Base",
    "BoolOp",
    "Call",
    "Compare",
    "Const",
    "Criterion",
    "EventPoints",
    "Expr",
    "FieldPlan",
    "FlagName",
    "Group",
    "In",
    "ListName",
    "ListOf",
    "Location",
    "NamedList",
    "Name",
    "Negate",
    "Not",
    "Plan",
    "ScorePlan",
    "StagePlan",
    "Template",
    "Type",
    "duration_text",
    "flag_name",
    "unparse",
    "walk",
]

Kind = Literal["num", "str", "bool", "date", "datetime", "list", "events", "any"]
"""The static kinds of values: numbers, text, booleans, dates, datetimes, lists of text, events, and unknown."""


@dataclass(frozen=True)
class Type:
    """The static type of an expression node.

    ``nullable``: the value can be missing (unknown). ``values``: the
    allowed values of an enum field it comes from. ``integral``: a number
    that is always whole (integer fields, ``len()``, ``count()``, whole
    constants and sums of them).
    """

    kind: Kind
    nullable: bool = True
    values: tuple[str, ...] | None = None
    integral: bool = False


# -- expressions -------------------------------------------------------------------

ConstValue = Union[bool, int, float, str, tuple[Any, ...], None]
"""A constant: a boolean, a number, text, a tuple of them (a list), or None (a sub-expression folded to unknown)."""


@dataclass(frozen=True, eq=False)
class Const:
    """A constant (written, or computed at load from constants).

    Two constants are equal only when their values are the same to the
    last type (``1``, ``1.0`` and ``True`` differ; so do ``0.0`` and
    ``-0.0``), and a NaN equals a NaN: a plan equals its copies.
    """

    value: ConstValue
    type: Type

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Const):
            return NotImplemented
        return self.type == other.type and _exact(self.value) == _exact(other.value)

    def __hash__(self) -> int:
        return hash((_exact(self.value), self.type))


def _exact(value: Any) -> Any:
    """A key equal only for values of exactly the same types all the way down (floats by their repr: NaN is NaN)."""
    if isinstance(value, tuple):
        return ("tuple", tuple(_exact(v) for v in value))
    if isinstance(value, float):
        return ("float", repr(value))
    return (type(value).__name__, value)


@dataclass(frozen=True)
class Name:
    """A declared field, read from the lead (after coercion)."""

    id: str
    type: Type


@dataclass(frozen=True)
class ListName:
    """A named list of ``lists:``."""

    id: str
    type: Type


@dataclass(frozen=True)
class FlagName:
    """A flag of ``flags:`` read by name: its outcome as a boolean (None: unknown), after its ``missing:`` policy."""

    id: str
    type: Type


@dataclass(frozen=True)
class ListOf:
    """A list literal with items computed for each lead (``[a, b]``); constant lists are :class:`Const`."""

    items: tuple[Expr, ...]
    type: Type


@dataclass(frozen=True)
class BoolOp:
    """``a and b and …`` / ``a or b or …`` in three-valued (Kleene) logic, left to right, stopping once decided."""

    op: Literal["and", "or"]
    values: tuple[Expr, ...]
    type: Type


@dataclass(frozen=True)
class Not:
    """``not x``: unknown stays unknown."""

    operand: Expr
    type: Type


@dataclass(frozen=True)
class Negate:
    """``-x`` or ``+x``."""

    op: Literal["-", "+"]
    operand: Expr
    type: Type


@dataclass(frozen=True)
class Arith:
    """``left op right``; unknown when either side is."""

    op: Literal["+", "-", "*", "/", "//", "%", "**"]
    left: Expr
    right: Expr
    type: Type


@dataclass(frozen=True)
class Compare:
    """One comparison (``a < b``) or a chain (``50 <= x <= 5000``).

    A single comparison reads its left side first and is unknown as soon
    as it is missing; a chain reads every operand and is false when one
    pair is false, else unknown when one operand is missing. ``in`` and
    ``not in`` appear here only inside a chain; alone they are :class:`In`.
    """

    ops: tuple[Literal["<", "<=", ">", ">=", "==", "!=", "in", "not in"], ...]
    operands: tuple[Expr, ...]
    type: Type


@dataclass(frozen=True)
class In:
    """``item in container`` (``negated``: ``not in``); the container is a list or text."""

    item: Expr
    container: Expr
    negated: bool
    type: Type


@dataclass(frozen=True)
class Call:
    """A call of a built-in function.

    Event functions (``count``, ``last``, ``first``) have no ``args``:
    their event types are in ``events`` (``events_from``: the named list
    they were written as, if any) and their window in ``within``.
    ``score('name')`` has the name as its one :class:`Const` argument.
    ``text`` is the call as written in the rule file, for the calls whose
    values explanations show; it does not take part in equality.
    """

    fn: str
    args: tuple[Expr, ...]
    type: Type
    events: tuple[str, ...] | None = None
    within: timedelta | None = None
    events_from: str | None = None
    text: str | None = field(default=None, compare=False)


Expr = Union[Const, Name, ListName, FlagName, ListOf, BoolOp, Not, Negate, Arith, Compare, In, Call]
"""Any expression node."""


def children(node: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of ``node``, left to right."""
    if isinstance(node, (BoolOp,)):
        return node.values
    if isinstance(node, (Not, Negate)):
        return (node.operand,)
    if isinstance(node, Arith):
        return (node.left, node.right)
    if isinstance(node, Compare):
        return node.operands
    if isinstance(node, In):
        return (node.item, node.container)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, ListOf):
        return node.items
    return ()


def walk(node: Expr) -> Iterator[Expr]:
    """Every node of an expression, parents before children, left to right."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


# -- writing an expression back as text --------------------------------------------------

_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "compare": 4, "+": 6, "-": 6, "*": 7, "/": 7, "//": 7, "%": 7, "unary": 8, "**": 9}


def duration_text(delta: timedelta) -> str:
    """A duration as rule files write it: ``30d``, ``2w``, ``36h``, ``90m``, ``45s``."""
    seconds = int(delta.total_seconds())
    if delta != timedelta(seconds=seconds):
        return f"{delta.total_seconds()!r}s"
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _const_text(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_const_text(v) for v in value) + "]"
    if isinstance(value, float) and value != value:
        return "(1e999 - 1e999)"  # NaN has no literal: this computes it at load
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "1e999" if value > 0 else "-1e999"  # read back as infinity
    return repr(value)


def unparse(node: Expr) -> str:
    """An expression as text in the rule-file language (constants as computed at load)."""
    return _unparse(node, 0)


def _unparse(node: Expr, outer: int) -> str:
    if isinstance(node, Const):
        text = _const_text(node.value)
        # a negative number is a unary minus when read back: (-2) ** n is not -2 ** n, which is -(2 ** n)
        return f"({text})" if text.startswith("-") and outer > _PRECEDENCE["**"] else text
    if isinstance(node, (Name, ListName, FlagName)):
        return node.id
    if isinstance(node, ListOf):
        return "[" + ", ".join(_unparse(i, 0) for i in node.items) + "]"
    if isinstance(node, Call):
        args = [_unparse(a, 0) for a in node.args]
        if node.events is not None:
            if node.events_from is not None:
                args = [node.events_from]
            else:
                args = [repr(node.events[0]) if len(node.events) == 1 else _const_text(node.events)]
            if node.within is not None:
                args.append(f"within={duration_text(node.within)!r}")
        return f"{node.fn}({', '.join(args)})"
    if isinstance(node, BoolOp):
        level = _PRECEDENCE[node.op]
        text = f" {node.op} ".join(_unparse(v, level + 1) for v in node.values)
    elif isinstance(node, Not):
        level = _PRECEDENCE["not"]
        text = "not " + _unparse(node.operand, level)
    elif isinstance(node, Negate):
        level = _PRECEDENCE["unary"]
        text = node.op + _unparse(node.operand, level)
    elif isinstance(node, Arith):
        level = _PRECEDENCE[node.op]
        if node.op == "**":  # right-associative
            text = f"{_unparse(node.left, level + 1)} ** {_unparse(node.right, level)}"
        else:
            text = f"{_unparse(node.left, level)} {node.op} {_unparse(node.right, level + 1)}"
    elif isinstance(node, Compare):
        level = _PRECEDENCE["compare"]
        parts = [_unparse(node.operands[0], level + 1)]
        for op, operand in zip(node.ops, node.operands[1:]):
            parts.append(f"{op} {_unparse(operand, level + 1)}")
        text = " ".join(parts)
    elif isinstance(node, In):
        level = _PRECEDENCE["compare"]
        op = "not in" if node.negated else "in"
        text = f"{_unparse(node.item, level + 1)} {op} {_unparse(node.container, level + 1)}"
    else:  # pragma: no cover - every node type is above
        raise TypeError(f"not an expression node: {type(node).__name__}")
    return f"({text})" if level < outer else text


# -- criteria, groups, stages, scores, fields ----------------------------------------------


@dataclass(frozen=True)
class Location:
    """Where something is in the rule file: 1-based line and column, and its path (``stages[1].all[0]``)."""

    line: int
    column: int
    path: str


@dataclass(frozen=True)
class Template:
    """A ``because`` text: literal parts and ``{expression}`` parts, in order."""

    text: str
    parts: tuple[Union[str, Expr], ...]


@dataclass(frozen=True)
class Criterion:
    """One criterion: a score rule, a disqualifier, a stage's criterion, or a group with an id.

    ``index`` is its position in :attr:`Plan.criteria` (file order) and
    in a result's outcomes. ``expr`` is None for a group with an id (its
    outcome is the group's). ``missing`` is the policy for an unknown
    outcome: ``unknown`` keeps it, ``pass``/``fail`` decide it.
    """

    index: int
    id: str
    expr: Expr | None
    when: str | None  # the expression as written (stripped)
    because: Template | None
    missing: Literal["pass", "fail", "unknown"]
    location: Location
    points: int | float = 0  # score rules: points when the rule passes


@dataclass(frozen=True)
class Group:
    """A condition over items: ``all``, ``any``, ``none`` or ``at_least`` ``n`` of them.

    ``criterion`` is set when the group has an id: its outcome is reported
    under that criterion.
    """

    op: Literal["all", "any", "none", "at_least"]
    items: tuple[Union[Criterion, Group], ...]
    n: int = 1
    criterion: Criterion | None = None

    def criteria(self) -> tuple[Criterion, ...]:
        """The criteria of this condition in file order (a group's own criterion before its items)."""
        out: list[Criterion] = []
        if self.criterion is not None:
            out.append(self.criterion)
        for item in self.items:
            out.extend(item.criteria() if isinstance(item, Group) else (item,))
        return tuple(out)


@dataclass(frozen=True)
class StagePlan:
    """A stage of the funnel: reached when its condition passes and every stage before it is reached."""

    index: int
    id: str
    label: str
    owner: str | None
    sla: timedelta | None
    description: str | None
    condition: Group
    location: Location


@dataclass(frozen=True)
class Base:
    """The stage of a lead that reaches no stage (``lead`` unless the rule file says otherwise)."""

    id: str
    label: str


@dataclass(frozen=True)
class EventPoints:
    """Points per event of one type in an event score, with an optional cap per lead."""

    type: str
    points: int | float
    max: int | float | None = None


@dataclass(frozen=True)
class ScorePlan:
    """A score: points per event inside ``window`` (decayed by ``half_life``), plus rule points, clamped to ``min``/``max``."""

    index: int
    name: str
    window: timedelta | None
    half_life: timedelta | None
    events: tuple[EventPoints, ...]
    rules: tuple[Criterion, ...]
    min: int | float | None
    max: int | float | None


FieldType = Literal["string", "integer", "number", "boolean", "enum", "date", "datetime", "list", "events"]


@dataclass(frozen=True)
class FieldPlan:
    """A declared field and how a raw value becomes its value.

    ``source`` is the input key (a dotted path reads nested objects);
    ``missing`` the markers that mean "no value" (after trimming);
    ``default`` the value as written in the rule file, used when the
    value is missing (never when it is bad); ``format`` the ``strptime``
    patterns of a date or datetime field, tried in order before ISO 8601
    (empty: ISO 8601 only). ``role`` is ``"id"`` for the lead's
    identifier (:attr:`Plan.id_field`), ``"output"`` for a field kept for
    reports, ``"touched"`` for the moment the stage's owner first acted on
    the lead (:attr:`Plan.touched_field`: it stops the SLA clock of a
    hand-off), else None.
    """

    name: str
    type: FieldType
    source: str
    default: Any
    missing: tuple[str, ...]
    values: tuple[str, ...] | None
    format: tuple[str, ...]
    min: int | float | None
    max: int | float | None
    description: str | None = None
    location: Location | None = None
    role: Literal["id", "output", "touched"] | None = None

    def __post_init__(self) -> None:
        # one pattern or none, as plans built by hand before lists of formats wrote it
        fmt: Any = self.format
        if fmt is None or isinstance(fmt, str):
            object.__setattr__(self, "format", () if fmt is None else (fmt,))


@dataclass(frozen=True)
class NamedList:
    """A named list of ``lists:``."""

    name: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Plan:
    """A checked rule file.

    ``criteria`` holds every criterion in file order (flags, score rules,
    disqualifiers, then the stages' criteria), indexed by
    :attr:`Criterion.index`; the same objects appear in the flags, scores,
    disqualifiers and stage conditions.

    ``flags`` are the criteria of ``flags:`` (ids ``flags.NAME``), in the
    order they are evaluated: each after the flags it reads, else in file
    order. Every flag is evaluated for every lead, before the scores.
    """

    name: str
    version: str | None
    description: str | None
    owners: tuple[str, ...]
    fields: tuple[FieldPlan, ...]
    lists: tuple[NamedList, ...]
    missing: tuple[str, ...]
    events_field: str | None
    scores: tuple[ScorePlan, ...]
    disqualify: tuple[Criterion, ...]
    base: Base
    stages: tuple[StagePlan, ...]
    flags: tuple[Criterion, ...] = ()
    criteria: tuple[Criterion, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        found: list[Criterion] = list(self.flags)
        for score in self.scores:
            found.extend(score.rules)
        found.extend(self.disqualify)
        for stage in self.stages:
            found.extend(stage.condition.criteria())
        object.__setattr__(self, "criteria", tuple(sorted(found, key=lambda c: c.index)))

    def __getstate__(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)
        self.__post_init__()

    @property
    def id_field(self) -> str | None:
        """The name of the field with ``role: id`` (the lead's identifier), or None."""
        return next((f.name for f in self.fields if f.role == "id"), None)

    @property
    def touched_field(self) -> str | None:
        """The name of the field with ``role: touched`` (the first touch, which stops the SLA clock), or None."""
        return next((f.name for f in self.fields if f.role == "touched"), None)

    # -- look-ups ---------------------------------------------------------------
    def field(self, name: str) -> FieldPlan:
        """The field called ``name``; :class:`KeyError` if there is none."""
        return _find(self.fields, "name", name, "field")

    def list(self, name: str) -> NamedList:
        """The named list called ``name``; :class:`KeyError` if there is none."""
        return _find(self.lists, "name", name, "list")

    def score(self, name: str) -> ScorePlan:
        """The score called ``name``; :class:`KeyError` if there is none."""
        return _find(self.scores, "name", name, "score")

    def flag(self, name: str) -> Criterion:
        """The flag called ``name`` (its criterion, id ``flags.NAME``); :class:`KeyError` if there is none."""
        return _find(self.flags, "id", f"{FLAG_PREFIX}{name}", "flag")

    def stage(self, stage_id: str) -> StagePlan:
        """The stage with id ``stage_id``; :class:`KeyError` if there is none."""
        return _find(self.stages, "id", stage_id, "stage")

    def criterion(self, criterion_id: str) -> Criterion:
        """A criterion by its full id (``icp.size``, ``disqualify.student``, ``engagement.demo``)."""
        return _find(self.criteria, "id", criterion_id, "criterion")

    # -- export -----------------------------------------------------------------
    def to_json(self, *, indent: int | None = None) -> str:
        """The plan as JSON (see the JSON Schema of :meth:`json_schema`)."""
        from ._plan_json import dumps

        return dumps(self, indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> Plan:
        """A plan from :meth:`to_json` output; :class:`ValueError` naming the place when it is not one."""
        from ._plan_json import loads

        return loads(text)

    @staticmethod
    def json_schema() -> dict[str, Any]:
        """The JSON Schema of :meth:`to_json` output."""
        from ._plan_json import schema

        return schema()


FLAG_PREFIX = "flags."
"""The start of a flag's criterion id: ``flags.customer``."""


def flag_name(criterion_id: str) -> str | None:
    """The flag a criterion id names (``flags.customer`` -> ``customer``); None for any other criterion."""
    return criterion_id[len(FLAG_PREFIX) :] if criterion_id.startswith(FLAG_PREFIX) else None


_Item = TypeVar("_Item")


def _find(items: tuple[_Item, ...], key: str, value: str, what: str) -> _Item:
    for item in items:
        if getattr(item, key) == value:
            return item
    raise KeyError(f"no {what} {value!r}")


class FrozenDict(dict):  # type: ignore[type-arg]
    """A mapping inside a plan value (an event in a field's default) that cannot be changed."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a plan cannot be changed")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items(), key=repr)))

    def __reduce__(self) -> Any:
        return (FrozenDict, (dict(self),))


def freeze(value: Any) -> Any:
    """``value`` with its lists as tuples and its mappings as :class:`FrozenDict` (all the way down)."""
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return FrozenDict({k: freeze(v) for k, v in value.items()})
    return value


_DATES = (date, datetime)  # defaults of date fields may be dates (YAML reads 2026-01-01 as a date)
