"""The rule-file format as pydantic models (docs/rule-files.md).

These models validate the *shape* of a rule file: keys, types, id
patterns. Cross-references and expressions are checked in ``_check``.
Unknown keys are errors everywhere. ``json_schema()`` is generated from
``RuleFile``.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    Strict,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)

from ._functions import digits_at_most

FORMAT_VERSIONS = (1,)

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
DURATION_PATTERN = r"^[0-9]+(s|m|h|d|w)$"

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Outcome = Literal["pass", "fail", "unknown"]
FieldType = Literal["string", "integer", "number", "boolean", "enum", "date", "datetime", "list", "events"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


MAX_INT_BITS = 14_000
"""Largest integer a rule file may hold or compute at load, in bits (about 4,200 digits: every such number can be printed)."""


def number_text(value: Any) -> str:
    """``repr(value)``, except for an integer too long for Python to print (over 4,300 digits): its size instead.

    Never raises, so a message about a value cannot itself fail.
    """
    try:
        return repr(value)
    except ValueError:
        return f"<an integer of about {digits_at_most(value) if isinstance(value, int) else 1:,} digits>"


MAX_DURATION = timedelta(days=36600)
"""Longest duration accepted (about 100 years)."""


def parse_duration(text: str) -> timedelta:
    """``'30d'`` -> ``timedelta(days=30)``; units s, m, h, d, w; at most :data:`MAX_DURATION`."""
    match = re.fullmatch(DURATION_PATTERN, text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration; write a number and a unit s, m, h, d or w, e.g. '30d'")
    seconds = int(text.strip()[:-1]) * _UNITS[text.strip()[-1]]
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"{text!r} is longer than the longest duration leadspec takes, {MAX_DURATION.days:,}d")
    return timedelta(seconds=seconds)


def _duration(text: str) -> str:
    parse_duration(text)
    return text


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    return value


Duration = Annotated[str, StringConstraints(pattern=DURATION_PATTERN), AfterValidator(_duration)]


def _text(value: Any) -> Any:
    # `version: 2026` is meant as a label; numbers are accepted as text
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


Label = Annotated[str, BeforeValidator(_text)]


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(
            f"YAML read this value as the boolean {str(value).lower()} (yes/no/on/off/y/n, and NO for Norway, are booleans in YAML); quote it"
        )
    return value


ListItem = Annotated[Union[str, int, float], BeforeValidator(_not_bool)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _pattern(value: str) -> str:
    check_format(value)
    return value


def _some_patterns(value: list[str]) -> list[str]:
    if not value:
        raise ValueError("an empty list of formats reads nothing but ISO 8601: give at least one strptime pattern, or leave `format` out")
    return value


DatePattern = Annotated[str, AfterValidator(_pattern)]
"""A ``strptime`` pattern, checked at load (:func:`check_format`)."""


class FieldSpec(_Strict):
    """One declared field of the lead model."""

    type: FieldType
    source: str | None = Field(None, description="Input key or dotted path; default: the field name.")
    default: Any = Field(None, description="Value used when the input has none.")
    min: Annotated[float, AfterValidator(_finite)] | None = None
    max: Annotated[float, AfterValidator(_finite)] | None = None
    values: list[Label] | None = Field(None, description="Allowed values of an enum; declared event types of events.")
    format: Annotated[
        Union[Annotated[DatePattern, Tag("one")], Annotated[list[DatePattern], AfterValidator(_some_patterns), Tag("list")]],
        Discriminator(lambda value: "list" if isinstance(value, list) else "one"),
    ] | None = Field(
        None,
        description="strptime pattern, or a list of them tried in order, for date and datetime text written another way than ISO 8601 "
        "(always read as well), e.g. '%m/%d/%Y'.",
    )
    description: str | None = None
    role: Literal["id", "output", "touched"] | None = Field(
        None,
        description="`id`: the lead's identifier (one field at most; diff and explain name leads by it); "
        "`output`: kept for reports, not read by the rules; "
        "`touched`: a datetime field, when the stage's owner first acted on the lead (one field at most; it stops the SLA clock). "
        "A field with a role is never reported as unused.",
    )

    def formats(self) -> tuple[str, ...]:
        """The ``format`` patterns in the order written (empty: ISO 8601 only)."""
        if self.format is None:
            return ()
        return (self.format,) if isinstance(self.format, str) else tuple(self.format)

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        if self.type == "enum" and not self.values:
            raise ValueError("an enum field needs `values`, the list of allowed values")
        if self.values is not None and self.type not in ("enum", "events"):
            raise ValueError("`values` is only for enum fields (allowed values) and events fields (event types)")
        if (self.min is not None or self.max is not None) and self.type not in ("integer", "number"):
            raise ValueError("`min` and `max` are only for integer and number fields")
        if self.format is not None and self.type not in ("date", "datetime"):
            raise ValueError("`format` is only for date and datetime fields")
        if self.role == "id" and self.type not in ("string", "integer"):
            raise ValueError(f"`role: id` is for a string or integer field (the lead's identifier), not a {self.type} field")
        if self.role == "touched" and self.type != "datetime":
            raise ValueError(f"`role: touched` is for a datetime field (when the stage's owner first acted on the lead), not a {self.type} field")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` {self.min:g} is greater than `max` {self.max:g}")
        return self


def check_format(pattern: str) -> None:
    """``ValueError`` unless ``pattern`` is a ``strptime`` pattern Python can use.

    ``strptime`` compiles the pattern on first use: an unknown directive
    (``%Q``), a lone ``%`` or a directive used twice (``%d/%m/%Y (%d)``)
    would otherwise fail on every lead, or raise from evaluation.
    """
    hint = "use strptime directives such as %Y-%m-%d, %m/%d/%Y or %d.%m.%Y %H:%M, each once; write %% for a literal %"
    try:
        datetime.strptime("", pattern)
    except ValueError as exc:
        text = str(exc)
        if not text.startswith(("time data", "unconverted data")):
            problem = text.replace(f" in format {pattern!r}", "")
            raise ValueError(f"{pattern!r} is not a date format Python can read: {problem}; {hint}") from None
    except re.error:
        raise ValueError(f"{pattern!r} is not a date format Python can read: a directive is used twice; {hint}") from None
    # the pattern compiled; it must also read back what it writes (%G or %V alone compile, then never match)
    try:
        datetime.strptime(_SAMPLE.strftime(pattern), pattern)
    except ValueError as exc:
        problem = str(exc).rstrip(".")
        if "ISO" in problem:
            hint = "an ISO week date needs all three: %G-W%V-%u reads 2026-W48-5; for a calendar date use %Y-%m-%d"
        raise ValueError(f"{pattern!r} cannot read even the dates it writes: {problem}; {hint}") from None


_SAMPLE = datetime(2026, 11, 27, 13, 45, 56, 123456, tzinfo=timezone.utc)
"""A moment every field of which differs, written and read back by :func:`check_format`."""


Points = Annotated[Union[int, float], AfterValidator(_finite)]


class EventPoints(_Strict):
    points: Points
    max: Points | None = Field(None, description="Cap on the points this event type can add.")


class Criterion(_Strict):
    """``{id, when, because?, missing?}``; in lists, ``id: expression`` is shorthand."""

    id: Id
    when: str
    because: str | None = None
    missing: Outcome = "unknown"


class Flag(_Strict):
    """A flag: ``{when, because?, missing?}``; ``id: expression`` is shorthand."""

    when: str
    because: str | None = None
    missing: Outcome = "unknown"


FlagItem = Annotated[
    Union[Annotated[str, Tag("shorthand")], Annotated[Flag, Tag("flag")]],
    Discriminator(lambda value: "shorthand" if isinstance(value, str) else "flag"),
]
"""A flag as written: the expression alone, or ``{when, because, missing}``."""


class ScoreRule(_Strict):
    id: Id
    when: str
    points: Points
    because: str | None = None
    missing: Outcome = "unknown"


class Score(_Strict):
    description: str | None = None
    window: Duration | None = Field(None, description="Only events inside this window before as_of count.")
    half_life: Duration | None = Field(None, description="Each event's points decay by 0.5 ** (age / half_life).")
    events: dict[str, Union[Points, EventPoints]] | None = None
    rules: list[ScoreRule] | None = None
    min: Points | None = None
    max: Points | None = None

    @model_validator(mode="after")
    def _has_points(self) -> Score:
        if not self.events and not self.rules:
            raise ValueError("a score needs `events` or `rules` (or both)")
        if not self.events and (self.window or self.half_life):
            raise ValueError("`window` and `half_life` apply to `events`; this score has only `rules`")
        if self.half_life is not None and parse_duration(self.half_life).total_seconds() == 0:
            raise ValueError("`half_life` must be longer than 0")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` {self.min:g} is greater than `max` {self.max:g}")
        return self


GROUP_KEYS = ("all", "any", "none", "at_least")


def _item_kind(value: Any) -> str:
    if isinstance(value, BaseModel):  # serialising a validated model
        return "group" if isinstance(value, Group) else "criterion"
    if isinstance(value, dict):
        if any(k in value for k in GROUP_KEYS):
            return "group"
        if "when" in value or "id" in value:
            return "criterion"
        if len(value) == 1:
            return "shorthand"
    return "criterion"


Shorthand = Annotated[dict[Id, str], Field(min_length=1, max_length=1, description="`id: expression`")]

Item = Annotated[
    Union[
        Annotated[Criterion, Tag("criterion")],
        Annotated["Group", Tag("group")],
        Annotated[Shorthand, Tag("shorthand")],
    ],
    Discriminator(_item_kind),
]


class AtLeast(_Strict):
    n: Annotated[int, Field(ge=1)]
    of: Annotated[list[Item], Field(min_length=1)]


class _Condition(_Strict):
    all: Annotated[list[Item], Field(min_length=1)] | None = None
    any: Annotated[list[Item], Field(min_length=1)] | None = None
    none: Annotated[list[Item], Field(min_length=1)] | None = None
    at_least: AtLeast | None = None

    def condition_keys(self) -> list[str]:
        return [k for k in GROUP_KEYS if getattr(self, k) is not None]


class Group(_Condition):
    """A nested condition; with an ``id`` it is reported as a criterion too."""

    id: Id | None = None
    because: str | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> Group:
        keys = self.condition_keys()
        if len(keys) != 1:
            raise ValueError(f"a nested condition has exactly one of all, any, none, at_least (found {', '.join(keys)})")
        return self


class Stage(_Condition):
    id: Id
    label: str | None = None
    owner: str | None = None
    sla: Duration | None = Field(None, description="Response time expected, for routing (e.g. 15m).")
    description: str | None = None
    when: str | None = Field(None, description="A single criterion, reported as STAGE.when.")
    because: str | None = None
    missing: Outcome = "unknown"

    @model_validator(mode="after")
    def _one_condition(self) -> Stage:
        keys = self.condition_keys() + (["when"] if self.when is not None else [])
        if len(keys) != 1:
            found = f"found {', '.join(keys)}" if keys else "found none"
            raise ValueError(f"a stage has exactly one of all, any, none, at_least, when ({found})")
        return self


class Allow(_Strict):
    """An entry of ``allow:``: a lint warning the file accepts, and why."""

    code: str = Field(description="The warning's code (unused-field, always-true, ...).")
    at: str | None = Field(
        None,
        description="What the warning is about: a field, list, score, stage or flag name, or a criterion's full id (icp.size); "
        "default: every warning of this code.",
    )
    because: str = Field(description="Why the warning is accepted (required).")

    @field_validator("because")
    @classmethod
    def _reason(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("say why this warning is allowed (e.g. `because: kept for the CRM sync`); an empty text says nothing")
        return value


class Base(_Strict):
    id: Id = "lead"
    label: str = "Lead"


class RuleFile(_Strict):
    """A leadspec rule file."""

    model_config = ConfigDict(title="leadspec rule file", extra="forbid", frozen=True)

    leadspec: Annotated[int, Strict()] = Field(description="Format version; this release reads 1.")
    name: Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
    version: Label | None = None
    description: str | None = None
    owners: list[str] = []
    missing: list[str] = Field([""], description="Input strings that mean 'no value' after trimming whitespace.")
    fields: Annotated[dict[Id, FieldSpec], Field(min_length=1)]
    lists: dict[Id, list[ListItem]] = {}
    flags: dict[Id, FlagItem] = Field(
        {}, description="Named criteria evaluated for every lead whatever its stage (customer, competitor, …), reported on every result, usable by name as booleans."
    )
    scores: dict[Id, Score] = {}
    disqualify: list[Annotated[Union[Annotated[Criterion, Tag("criterion")], Annotated[Shorthand, Tag("shorthand")]], Discriminator(_item_kind)]] = []
    stages: Annotated[list[Stage], Field(min_length=1)]
    base: Base = Base()
    allow: list[Allow] = Field([], description="Lint warnings the file accepts, each with the reason.")

    @field_validator("leadspec")
    @classmethod
    def _version(cls, value: int) -> int:
        if value not in FORMAT_VERSIONS:
            readable = ", ".join(str(v) for v in FORMAT_VERSIONS)
            raise ValueError(f"format version {value} is not supported; this release reads version {readable}")
        return value


Group.model_rebuild()
AtLeast.model_rebuild()
Stage.model_rebuild()
RuleFile.model_rebuild()

KNOWN_KEYS = sorted(
    {name for model in (RuleFile, FieldSpec, EventPoints, Criterion, Flag, ScoreRule, Score, AtLeast, Group, Stage, Base, Allow) for name in model.model_fields}
)
