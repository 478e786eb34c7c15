"""The result of evaluating one lead (docs/explanations.md).

A :class:`Result` is an immutable value. Evaluation stores only raw
tuples in it; each part (criteria with their values and explanations,
scores with contributions, ``next``, ``missing``) is built the first time
a caller asks for it, so results stay cheap in a hot loop. The parts are
frozen pydantic models; :meth:`Result.to_model` gives the whole result as
the pydantic model :class:`ResultModel`, whose JSON Schema documents the
contract.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from json.encoder import encode_basestring
from datetime import date, datetime, timezone
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Optional

from pydantic import BaseModel, ConfigDict, model_serializer

from ._compile import DISQUALIFIED
from ._expr import quoted, shorten
from ._fields import events_as_dicts
from ._interp import Interpreter, truth
from .plan import Criterion, Expr, Group, Plan, Template, flag_name

if TYPE_CHECKING:
    from .ruleset import Ruleset

__all__ = [
    "Contribution",
    "CriterionResult",
    "Handoff",
    "Issue",
    "NextStep",
    "Previous",
    "Result",
    "ResultModel",
    "RulesetInfo",
    "ScoreResult",
    "StageInfo",
]

OutcomeText = Literal["pass", "fail", "unknown"]
_OUTCOME: dict[bool | None, OutcomeText] = {True: "pass", False: "fail", None: "unknown"}
_MARK = {"pass": "✓", "fail": "✗", "unknown": "?"}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class CriterionResult(_Frozen):
    """One criterion's outcome, its explanation and the values it read."""

    id: str
    outcome: OutcomeText
    because: str
    values: dict[str, Any]


class Contribution(_Frozen):
    """Points a score got from one event type (``count``) or one rule (``outcome``)."""

    id: str
    points: float | int
    count: Optional[int] = None
    outcome: Optional[OutcomeText] = None


class ScoreResult(_Frozen):
    """A score of the lead: its total (clamped to the score's min and max) and what made it up."""

    total: float | int
    contributions: list[Contribution]


class NextStep(_Frozen):
    """The first stage not reached and the criteria standing in its way."""

    stage: str
    blocked_by: list[str]


class Issue(_Frozen):
    """A value of the lead that could not be used (or a criterion that failed to run)."""

    field: Optional[str]
    value: Any = None
    message: str
    criterion: Optional[str] = None


class RulesetInfo(_Frozen):
    """Which rules gave the result: name, version, the digest of their content, description and owners."""

    name: str
    version: Optional[str]
    digest: str
    description: Optional[str] = None
    owners: list[str] = []


class StageInfo(_Frozen):
    """What the agreement says of one stage: its label, owner and SLA (:meth:`Ruleset.stage_info`)."""

    id: str
    label: str
    owner: Optional[str] = None
    sla: Optional[str] = None
    """The response time expected once a lead enters the stage, as written (``15m``, ``4h``, ``2d``)."""
    description: Optional[str] = None
    rank: int
    """The stage's place in the funnel: 0 for ``disqualified``, 1 for the base stage, then 2, 3, … in file order."""


@dataclass(frozen=True)
class Previous:
    """Where a lead stood before this evaluation: its stage (None: the lead was not seen before) and since when.

    ``since`` is when the lead entered ``stage``: an aware datetime, a date (midnight UTC), ISO 8601 text, or None
    when it is not known. Naive datetimes are UTC, as ``as_of`` is.
    """

    stage: Optional[str] = None
    since: datetime | date | str | None = None


Direction = Literal["up", "down", "same", "new"]


class Handoff(_Frozen):
    """Whose desk a lead is on after this evaluation and by when its owner must act (docs/handoff.md).

    Times are aware datetimes in UTC. ``since`` is when the lead entered its stage: ``as_of`` when the stage changed
    or the lead is new, the previous ``since`` when it stayed (None when that is not known). ``due`` is ``since`` plus
    the stage's ``sla`` (None without an SLA or without ``since``). ``touched`` is the lead's first touch (the field
    with ``role: touched``) when it falls inside the stage's time (from ``since`` to ``as_of``): it stops the clock.
    ``overdue``: the clock (``touched``, else ``as_of``) has passed ``due``.
    """

    previous_stage: Optional[str]
    stage: str
    direction: Direction
    since: Optional[datetime]
    owner: Optional[str]
    previous_owner: Optional[str]
    sla: Optional[str]
    due: Optional[datetime]
    touched: Optional[datetime] = None
    overdue: bool


class ResultModel(_Frozen):
    """The JSON contract of a result (docs/explanations.md)."""

    stage: str
    label: str
    owner: Optional[str]
    sla: Optional[str] = None
    description: Optional[str] = None
    disqualified: bool
    stages: dict[str, OutcomeText]
    flags: dict[str, Optional[bool]] = {}
    criteria: list[CriterionResult]
    scores: dict[str, ScoreResult]
    next: Optional[NextStep]
    missing: list[str]
    issues: list[Issue]
    ruleset: RulesetInfo
    as_of: datetime
    handoff: Optional[Handoff] = None
    """Only when the lead was evaluated with ``previous=`` (a :class:`Previous`)."""

    @model_serializer(mode="wrap")
    def _without_absent_handoff(self, handler: Any) -> Any:
        """No ``handoff`` key without a hand-off: the dump is ``Result.to_dict()``, as it was before hand-offs."""
        data = handler(self)
        if isinstance(data, dict) and data.get("handoff") is None:
            data.pop("handoff", None)
        return data


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return value
    return value


def _json_text(value: Any) -> str:
    """``value`` as ``json.dumps(value, ensure_ascii=False)`` writes it, always valid JSON: a NaN or infinite float
    (which JSON does not have) as null, in lists and as a dict's value (as the command line's JSON writer has it;
    a test holds the two alike). What :meth:`Result.to_json` gives."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except ValueError:
        return json.dumps(_nulled(value), ensure_ascii=False, allow_nan=False)


def _nulled(value: Any) -> Any:
    """``value`` with None for each float in it that is not finite (the keys of its dicts kept as they are)."""
    if isinstance(value, dict):
        return {key: _nulled(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nulled(item) for item in value]
    return None if isinstance(value, float) and not math.isfinite(value) else value


# The JSON text helpers of the generated to_json() (leadspec._render): a text as a JSON string (quotes included, as
# json.dumps(ensure_ascii=False) writes it), the inside of one, a value as to_dict() holds it then dumped; the *c
# versions as inside a CSV cell (every " doubled).
_eb: Callable[[str], str] = encode_basestring


def _ei(text: str) -> str:
    return _eb(text)[1:-1]


def _eic(text: str) -> str:
    return _eb(text)[1:-1].replace('"', '""')


def _jv(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _eb(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        return float.__repr__(value) if value - value == 0.0 else "null"
    return _json_text(_json_value(value))


def _jvc(value: Any) -> str:
    return _jv(value).replace('"', '""')


_VALUE_IS = re.compile(r"^[-+0-9.,e]+ is (.*)$")


def _bad_value_text(name: str, shown: str, message: str) -> str:
    """``product 'GTXPro' is not one of …``, ``employees '-1' is below the minimum 0``, ``events '…': event 2 has no type``."""
    if message.startswith(("not ", "outside ", "above ", "below ")):
        return f"{name} {shown} is {message}"
    restated = _VALUE_IS.match(message)  # "-1 is below the minimum 0": the value once
    if restated:
        return f"{name} {shown} is {restated.group(1)}"
    return f"{name} {shown}: {message}"


def _show(value: Any) -> str:
    """A value as a sales rep reads it."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not value.is_integer() and abs(value) < 1:
            return f"{value:.4g}"
        text = f"{value:,.2f}".rstrip("0").rstrip(".")  # 1,234,567.5; 2.5; 30
        return text if abs(value) >= 10000 else text.replace(",", "")
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


class Result:
    """The stage of one lead and why. Immutable; parts are built on first access."""

    # Read-only: the public parts are properties, and __slots__ allows no new attributes.
    __slots__ = ("_rs", "_raw", "_issues", "_as_of", "_stage", "_previous", "_cache", "__weakref__")

    def __init__(
        self, ruleset: Ruleset, raw: Any, issues: list[dict[str, Any]], as_of: datetime, stage: str, previous: tuple[str | None, datetime | None] | None = None
    ) -> None:
        self._rs = ruleset
        self._raw = raw
        self._issues = issues
        self._as_of = as_of
        self._stage = stage
        self._previous = previous  # (stage, since) as checked by Ruleset.evaluate, or None: no hand-off asked for
        self._cache: dict[str, Any] | None = None

    def __reduce__(self) -> Any:
        return (Result, (self._rs, self._raw, self._issues, self._as_of, self._stage, self._previous))

    def __repr__(self) -> str:
        return f"<Result stage={self._stage!r} ruleset={self._rs.name!r}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Result):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    # -- raw access ---------------------------------------------------------------
    @property
    def _plan(self) -> Plan:
        return self._rs._public

    def _outcome(self, crit: Criterion) -> bool | None:
        outcome: bool | None = self._raw[1][crit.index]
        return outcome

    def _score_totals(self) -> tuple[float, ...]:
        """Each score's total, in the plan's order (what ``scores`` builds its results from)."""
        return tuple(self._raw[3])

    def _memo(self, key: str, build: Any) -> Any:
        cache = self._cache
        if cache is None:
            cache = self._cache = {}
        if key not in cache:
            cache[key] = build()
        return cache[key]

    # -- the parts of section 8 -------------------------------------------------------
    @property
    def stage(self) -> str:
        """The stage id: the last stage reached, ``disqualified``, or the base stage."""
        return self._stage

    @property
    def disqualified(self) -> bool:
        return self._stage == DISQUALIFIED

    @property
    def label(self) -> str:
        if self._stage == DISQUALIFIED:
            return "Disqualified"
        for st in self._plan.stages:
            if st.id == self._stage:
                return st.label
        return self._plan.base.label

    @property
    def owner(self) -> str | None:
        for st in self._plan.stages:
            if st.id == self._stage:
                return st.owner
        return None

    @property
    def sla(self) -> str | None:
        """The response time expected for this stage (stage metadata), e.g. ``15m``."""
        stage = self._stage_plan()
        return None if stage is None else self._rs.model.stages[stage.index].sla

    @property
    def handoff(self) -> Handoff | None:
        """Where the lead moved and by when its new owner must act; None unless evaluated with ``previous=``."""
        if self._previous is None:
            return None
        from ._handoff import handoff

        built: Handoff = self._memo("handoff", lambda: handoff(self._rs, self._stage, self._previous, self._as_of, self._touched()))
        return built

    def _touched(self) -> datetime | None:
        at: int | None = self._rs._lazy.get("touched_at", -1)
        if at == -1:
            name = self._plan.touched_field
            at = self._rs._lazy["touched_at"] = None if name is None else [c.name for c in self._plan.fields].index(name)
        value = None if at is None else self._raw[0][at]
        return value if isinstance(value, datetime) else None

    @property
    def description(self) -> str | None:
        """The description of this stage (stage metadata)."""
        return self._stage_plan().description if self._stage_plan() else None

    def _stage_plan(self) -> Any:
        for st in self._plan.stages:
            if st.id == self._stage:
                return st
        return None

    @property
    def as_of(self) -> datetime:
        return self._as_of

    @property
    def values(self) -> dict[str, Any]:
        """Every declared field's value for this lead, after coercion (None: missing).

        Events are the input's objects with ``at`` parsed to an aware datetime.
        """

        def build() -> dict[str, Any]:
            out = dict(self._ivalues)
            for c in self._plan.fields:
                if c.type == "events":
                    out[c.name] = events_as_dicts(out[c.name])
            return out

        return dict(self._memo("values", build))

    @property
    def _ivalues(self) -> dict[str, Any]:
        """Field values as evaluation sees them (events as tuples)."""
        cache = self._cache
        if cache is None:
            cache = self._cache = {}
        values: dict[str, Any] | None = cache.get("ivalues")
        if values is None:
            values = cache["ivalues"] = dict(zip(self._rs._outline().field_names, self._raw[0]))
        return values

    @property
    def stages(self) -> dict[str, str]:
        """Each stage's own condition: ``pass``, ``fail`` or ``unknown``."""
        return dict(self._memo("stages", lambda: {st.id: _OUTCOME[o] for st, o in zip(self._plan.stages, self._raw[2])}))

    @property
    def flags(self) -> dict[str, bool | None]:
        """Each flag of ``flags:`` by name: True, False or None (unknown), after its ``missing:`` policy; for every lead."""
        return dict(self._memo("flags", lambda: {flag_name(c.id) or c.id: self._outcome(c) for c in self._plan.flags}))

    @property
    def criteria(self) -> list[CriterionResult]:
        """Every criterion (score rules, disqualifiers, stages) in file order."""
        return list(self._memo("criteria", lambda: [CriterionResult(**row) for row in self._rows()]))

    def _rows(self) -> list[_Row]:
        """Every criterion's row (``{"id", "outcome", "because", "values"}``), in file order, new each call: what
        :attr:`criteria` holds, as ``to_dict()`` gives it (building and validating a model per criterion cost as much as
        its text). The rows are the caller's: their values are new lists and dicts."""
        return self._rs._rows_renderer()(self, self._raw[1], self._raw[0])

    @property
    def scores(self) -> dict[str, ScoreResult]:
        return dict(self._memo("scores", self._build_scores))

    @property
    def next(self) -> NextStep | None:
        step: NextStep | None = self._memo("next", self._build_next)
        return step

    @property
    def missing(self) -> list[str]:
        """Fields whose absence made a criterion unknown: what to ask the lead next."""
        return list(self._memo("missing", self._build_missing))

    @property
    def issues(self) -> list[Issue]:
        return list(self._memo("issues", lambda: [Issue(**i) for i in self._issues]))

    @property
    def ruleset(self) -> RulesetInfo:
        return RulesetInfo(**self._rs._info_dict())

    # -- builders -----------------------------------------------------------------------
    def _interp(self, expr: Expr) -> Any:
        def build() -> Interpreter:
            plan = self._plan
            scores = {s.name: total for s, total in zip(plan.scores, self._raw[3])}
            values = self._ivalues
            events = values.get(plan.events_field) if plan.events_field else None
            return Interpreter(values, self._rs._lists(), scores, events, self._as_of, self.flags)

        interpreter = self._memo("interpreter", build)
        try:
            return interpreter.run(expr)
        except Exception:  # the criterion itself reported the error
            return None

    def _criterion_values(self, crit: Criterion) -> dict[str, Any]:
        if crit.expr is None:
            return {}
        values: dict[str, Any] = {}
        events_field = self._plan.events_field
        fields, _scores = self._rs._reads(crit)
        for name in fields:
            if name != events_field:
                values[name] = self._ivalues[name]
        for name in self._rs._compiled.flag_reads.get(crit.index, ()):
            values[name] = self.flags[name]
        for text, node in self._rs._observed(crit):
            values[text] = self._interp(node)
        return values

    def _criterion(self, crit: Criterion) -> _Row:
        """The criterion's row, from the code generated for it (:mod:`leadspec._render`); a nested condition with an
        id by :meth:`_criterion_slow`."""
        if crit.expr is None:
            return self._criterion_slow(crit)
        return self._rs._renderer(crit)(self, self._raw[1][crit.index], self._raw[0])

    def _criterion_slow(self, crit: Criterion) -> _Row:
        """The criterion's row, found by walking the plan (the oracle of the generated renderers)."""
        outcome = _OUTCOME[self._outcome(crit)]
        values = self._criterion_values(crit)
        because = self._because(crit, outcome, values)
        return {"id": crit.id, "outcome": outcome, "because": because, "values": {k: _json_value(v) for k, v in values.items()}}

    def _render(self, template: Template) -> str | None:
        out = []
        for part in template.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                value = self._interp(part)
                if value is None:
                    return None
                out.append(_show(value))
        return "".join(out)

    def _because(self, crit: Criterion, outcome: str, values: dict[str, Any]) -> str:
        if crit.expr is None:  # a nested condition with an id
            if outcome == "pass" and crit.because is not None:
                text = self._render(crit.because)
                if text is not None:
                    return text
            return self._group_text(self._rs._group_of(crit), outcome)
        expr = self._rs._sentence(crit)
        missing = [k for k, v in values.items() if v is None and k in self._ivalues]
        if crit.missing != "unknown" and outcome == crit.missing and missing and truth(self._interp(crit.expr)) is None:
            # the outcome comes from the criterion's `missing:` policy, not from its condition
            return self._absent(missing) + f" (counted as {outcome}: {expr})"
        if outcome == "pass" and crit.because is not None:
            text = self._render(crit.because)
            if text is not None:
                return text
        if outcome == "unknown":
            if missing:
                return self._absent(missing)
            unknown_flags = [k for k in self._rs._compiled.flag_reads.get(crit.index, ()) if values.get(k) is None]
            if unknown_flags:
                return ", ".join(f"flag {k} is unknown" for k in unknown_flags)
            return f"could not be decided: {expr}"
        shown = ", ".join(f"{k} is {_show(v)}" for k, v in values.items())
        if outcome == "pass":
            return f"{shown} ({expr})" if shown else expr
        if crit.id.startswith("disqualify."):
            return f"{shown} (does not meet {expr})" if shown else f"does not meet {expr}"
        return f"{shown}, needs {expr}" if shown else f"needs {expr}"

    def _bad_values(self) -> dict[str, str]:
        """Field -> ``product 'GTXPro' is not one of GTX Basic, GTX Pro``: the fields that had a value that could not be read."""

        def build() -> dict[str, str]:
            out: dict[str, str] = {}
            for issue in self._issues:
                name = issue.get("field")
                if name and not issue.get("criterion") and name not in out:
                    value = issue.get("value")
                    shown = shorten(quoted(value), 40) if isinstance(value, str) else shorten(json.dumps(value, default=str), 40)
                    out[name] = _bad_value_text(name, shown, " ".join(str(issue.get("message", "")).split()))
            return out

        return dict(self._memo("bad", build)) if self._issues else {}

    def _absent(self, names: list[str]) -> str:
        """Why each of ``names`` has no value: ``x is missing``, or the value it had and why it could not be read."""
        if not self._issues:  # the common case: no value was bad, each is missing
            return ", ".join([n + " is missing" for n in names])
        bad = self._bad_values()
        return ", ".join([bad.get(n, f"{n} is missing") for n in names])

    def _group_text(self, group: Group, outcome: str) -> str:
        leaves = _leaves(group)
        passed = sum(1 for c in leaves if self._outcome(c) is True)
        need = {"all": "all", "any": "any", "none": "none", "at_least": f"at least {group.n}"}[group.op]
        text = f"{passed} of {len(leaves)} passed, needs {need}"
        if outcome == "unknown":
            values = self._ivalues
            names = [n for c in leaves if c.expr is not None and self._outcome(c) is None for n in self._rs._reads(c)[0]]
            missing = [n for n in dict.fromkeys(names) if values.get(n) is None]
            if missing:
                text = self._absent(missing) + f" ({text})"
        return text

    def _build_scores(self) -> dict[str, ScoreResult]:
        return {name: ScoreResult(**score) for name, score in self._score_dicts().items()}

    def _score_dicts(self) -> dict[str, dict[str, Any]]:
        """Each score as ``to_dict()`` gives it (new dicts): its total and contributions, a contribution without the
        ``count`` or ``outcome`` it does not have."""
        out = {}
        outcomes = self._raw[1]
        outline = self._rs._outline()
        events = self._raw[0][outline.events_at] if outline.events_at is not None else None
        for (name, counted, rules), total in zip(outline.scores, self._raw[3]):
            contribs = counted.contributions(events, self._as_of) if counted is not None else ()
            parts: list[dict[str, Any]] = [{"id": kind, "points": points, "count": count} for kind, points, count in contribs]
            for index, short, points in rules:
                o = outcomes[index]
                if o is True:
                    parts.append({"id": short, "points": points, "outcome": "pass"})
                elif o is None:
                    parts.append({"id": short, "points": 0, "outcome": "unknown"})
            out[name] = {"total": total, "contributions": parts}
        return out

    def _reached(self) -> int:
        n = 0
        for o in self._raw[2]:
            if o is not True:
                break
            n += 1
        return n

    def _build_next(self) -> NextStep | None:
        step = self._next_step()
        return None if step is None else NextStep(stage=step[0], blocked_by=step[1])

    def _next_step(self) -> tuple[str, list[str]] | None:
        """The first stage not reached and the ids of the criteria blocking it (new list), or None: the data of :attr:`next`."""
        outline = self._rs._outline()
        reached = self._reached()
        if reached >= len(outline.passes):
            return None
        outcomes = self._raw[1]
        blocked = [c.id for c in outline.disqualify if outcomes[c.index] is True]
        blocked += [c.id for c, helps, _ in outline.passes[reached] if outcomes[c.index] is not helps]  # (Result._blockers)
        return outline.stage_ids[reached], blocked

    def _blockers(self, group: Group, negated: bool = False) -> list[Criterion]:
        """The criteria that keep ``group`` from passing (under a ``none``: those that pass or may)."""
        out: list[Criterion] = []
        negated = negated != (group.op == "none")
        bad = (True, None) if negated else (False, None)
        for item in group.items:
            if isinstance(item, Criterion):
                if self._outcome(item) in bad:
                    out.append(item)
            elif item.criterion is not None:
                if self._outcome(item.criterion) in bad:
                    out.append(item.criterion)
            else:
                out.extend(self._blockers(item, negated))
        return out

    def _build_missing(self) -> list[str]:
        """Fields whose absence left a criterion unknown, in declaration order, from the raw tuples."""
        outcomes, values = self._raw[1], self._raw[0]
        if None not in outcomes:
            return []
        readers, names = self._rs._missing_readers()  # a field without a value, one of whose criteria is unknown
        return [names[i] for i, outcomes_of in readers if values[i] is None and None in outcomes_of(outcomes)]

    # -- renderings -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (the contract of :class:`ResultModel`, docs/explanations.md)."""
        build = self._rs._dict_renderer()  # the function generated for the rule file (leadspec._render)
        out = self._to_dict_plain() if build is None else build(self)
        if self._previous is not None:
            out["handoff"] = {k: _json_value(v) for k, v in self.handoff.model_dump().items()}  # type: ignore[union-attr]
        return out

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text: what ``json.dumps(result.to_dict(), ensure_ascii=False)`` gives, except that
        a NaN or an infinite number (which JSON does not have) is written as ``null``; written straight from the
        outcomes by code generated for the rule file, several times faster than building the dict and dumping it."""
        build = self._rs._json_renderer() if self._previous is None else None
        return _json_text(self.to_dict()) if build is None else build(self)

    def _csv_json(self) -> str:
        """:meth:`to_json` as a CSV cell holds it: in quotes, every ``"`` doubled (``qualify --details``)."""
        build = self._rs._json_renderer(csv=True) if self._previous is None else None
        return '"' + _json_text(self.to_dict()).replace('"', '""') + '"' if build is None else build(self)

    def _missing_list(self) -> list[str]:
        """:attr:`missing` as ``to_dict()`` gives it (a new list)."""
        return list(self._memo("missing", self._build_missing))

    def _issue_dicts(self) -> list[dict[str, Any]]:
        """:attr:`issues` as ``to_dict()`` gives them: ``None`` parts left out, except a field's and a value's."""
        return [{k: v for k, v in i.model_dump().items() if v is not None or k in ("field", "value")} for i in self.issues]

    def _to_dict_plain(self) -> dict[str, Any]:
        """:meth:`to_dict` without its ``handoff``, from the outline's tables (the oracle of the generated one, and
        what a rule file too large for it gets)."""
        nxt = self._next_step()
        outline, outcomes = self._rs._outline(), self._raw[1]
        label, owner, sla, description = outline.meta[self._stage]
        out = {
            "stage": self._stage,
            "label": label,
            "owner": owner,
            "sla": sla,
            "description": description,
            "disqualified": self._stage == DISQUALIFIED,
            "stages": {sid: _OUTCOME[o] for sid, o in zip(outline.stage_ids, self._raw[2])},
            "flags": {name: outcomes[index] for index, name in outline.flags},
            "criteria": self._rows(),
            "scores": self._score_dicts(),
            "next": None if nxt is None else {"stage": nxt[0], "blocked_by": nxt[1]},
            "missing": self._missing_list(),
            "issues": self._issue_dicts() if self._issues else [],
            "ruleset": self._rs._info_dict(),
            "as_of": self._rs._time_text(self._as_of),
        }
        return out

    def to_model(self) -> ResultModel:
        """The result as the validated pydantic model :class:`ResultModel`."""
        return ResultModel.model_validate(self.to_dict())

    def explain(self) -> str:
        """A short readable explanation: the stage, why, what blocks the next stage, what is missing."""
        outline, outcomes = self._rs._outline(), self._raw[1]
        lines = [outline.titles[self._stage]]
        if self._previous is not None:
            from ._handoff import handoff_line

            lines.append(str(handoff_line(self)))
        row = self._criterion  # only the criteria the text shows are rendered, each once
        reached = self._reached()
        if self._stage == DISQUALIFIED:
            for c in outline.disqualify:
                if outcomes[c.index] is True:
                    lines.append(f"  ✗ {row(c)['because']} ({c.id})")
            if reached:
                lines.append(f"  otherwise: {outline.meta[outline.stage_ids[reached - 1]][0]}")
        for stage in range(reached):
            for c, helps, prefix in outline.passes[stage]:
                if outcomes[c.index] is helps:
                    lines.append(prefix + row(c)["because"])
        if reached < len(outline.passes):
            label = outline.meta[outline.stage_ids[reached]][0]
            blockers = [c for c, helps, _ in outline.passes[reached] if outcomes[c.index] is not helps]
            lines.append(f"Next: {label} — blocked by:" if blockers else f"Next: {label}")
            for c in blockers:
                shown = row(c)
                lines.append(f"  {_MARK[shown['outcome']]} {c.id}: {shown['because']}")
        if outline.flag_criteria:
            lines.append("Flags: " + "; ".join(self._flag_text(c, row) for c in outline.flag_criteria))
        missing = self._memo("missing", self._build_missing)
        absent = [n for n in missing if n not in self._bad_values()] if self._issues else missing  # a bad value is said in its data issue
        if absent:
            lines.append("Missing data: " + ", ".join(absent))
        if outline.score_names:
            lines.append("Scores: " + ", ".join([f"{name} {total if type(total) is int and -10000 < total < 10000 else _show(total)}" for name, total in zip(outline.score_names, self._raw[3])]))
        if self._issues:
            lines += self._issue_lines()
        return "\n".join(lines)

    def _issue_lines(self) -> list[str]:
        out = []
        for issue in self.issues:
            where = issue.field or issue.criterion
            value = "" if issue.value is None else f" {issue.value!r}"
            out.append(f"Data issue: {where}{value}: {issue.message}")
        return out

    def _explain_slow(self) -> str:
        """:meth:`explain` found by walking the plan and every criterion's row (the oracle of its tables in the tests)."""
        plan = self._plan
        lines = []
        title = self.label if self.label.lower() == self.stage.lower() else f"{self.stage.upper()} — {self.label}"
        meta = [f"owner: {self.owner}"] if self.owner else []
        meta += [f"SLA {self.sla}"] if self.sla else []
        lines.append(title + (f" ({', '.join(meta)})" if meta else ""))
        if self._previous is not None:
            from ._handoff import handoff_line

            lines.append(str(handoff_line(self)))
        by_id = {c.id: self._criterion_slow(c) for c in plan.criteria}
        if self.disqualified:
            for c in plan.disqualify:
                if self._outcome(c) is True:
                    lines.append(f"  ✗ {by_id[c.id]['because']} ({c.id})")
            reached = self._reached()
            if reached:
                lines.append(f"  otherwise: {plan.stages[reached - 1].label}")
        reached = self._reached()
        for st in plan.stages[:reached]:
            for c, helps in _stage_passes(st.condition):
                if self._outcome(c) is helps:
                    lines.append(f"  ✓ {c.id}: {by_id[c.id]['because']}" if helps else f"  ✓ not {c.id}: {by_id[c.id]['because']}")
        nxt = self.next
        if nxt is not None:
            nstage = next(s for s in plan.stages if s.id == nxt.stage)
            blockers = [b for b in nxt.blocked_by if not b.startswith("disqualify.")]
            lines.append(f"Next: {nstage.label} — blocked by:" if blockers else f"Next: {nstage.label}")
            for b in blockers:
                shown = by_id[b]
                lines.append(f"  {_MARK[shown['outcome']]} {b}: {shown['because']}")
        if plan.flags:
            lines.append("Flags: " + "; ".join(self._flag_text(c, lambda crit: by_id[crit.id]) for c in plan.flags))
        absent = [n for n in self.missing if n not in self._bad_values()]
        if absent:
            lines.append("Missing data: " + ", ".join(absent))
        if self.scores:
            lines.append("Scores: " + ", ".join(f"{k} {_show(v.total)}" for k, v in self.scores.items()))
        lines += self._issue_lines()
        return "\n".join(lines)

    def _flag_text(self, crit: Criterion, row: Callable[[Criterion], _Row]) -> str:
        """A flag in the explanation: ``customer (deal_stage is Won (…))``, ``not partner``, ``enriched unknown (… is missing)``."""
        name = flag_name(crit.id) or crit.id
        outcome = self._outcome(crit)
        if outcome is True:
            return f"{name} ({row(crit)['because']})"
        if outcome is False:
            return f"not {name}"
        return f"{name} unknown ({row(crit)['because']})"

    def summary(self) -> str:
        """The explanation in one line, for a CSV column or a CRM note (cheap: no criterion is rendered
        except the disqualifiers that apply)."""
        lazy = self._rs._lazy  # the function generated for the rule file (leadspec._render), once written: no call to fetch it
        build = lazy["summary_renderer"] if "summary_renderer" in lazy else self._rs._summary_renderer()
        return self._summary_plain() if build is None else build(self)

    def _summary_plain(self) -> str:
        """:meth:`summary` from the outline's tables (the oracle of the generated one, and what a rule file too large
        for it gets)."""
        outline = self._rs._outline()
        outcomes = self._raw[1]
        parts = [outline.meta[self._stage][0]]
        reached = self._reached()
        if self._stage == DISQUALIFIED:
            parts += [self._criterion(c)["because"] for c in outline.disqualify if outcomes[c.index] is True]
            parts.append(outline.otherwise[reached])
        elif reached < len(outline.blockers):
            head, table = outline.blockers[reached]
            blockers = [text for index, texts in table if (text := texts.get(outcomes[index])) is not None]
            if blockers:
                parts.append(head + ", ".join(blockers))
        if outline.flags:
            raised = [name for index, name in outline.flags if outcomes[index] is True]
            if raised:
                parts.append("flags " + ", ".join(raised))
        missing = self._build_missing()
        if not self._issues:  # the common case: nothing was a bad value
            if missing:
                parts.append("missing " + ", ".join(missing))
            return "; ".join(parts)
        return self._summary_tail(parts, missing)

    def _summary_slow(self) -> str:
        """:meth:`summary` found by walking the plan (the oracle of its tables in the tests)."""
        plan = self._plan
        parts = [self.label]
        outcomes = self._raw[1]
        reached = self._reached()
        if self._stage == DISQUALIFIED:
            parts += [self._criterion(c)["because"] for c in plan.disqualify if outcomes[c.index] is True]
            parts.append("otherwise " + (plan.stages[reached - 1].label if reached else plan.base.label))
        elif reached < len(plan.stages):
            stage = plan.stages[reached]
            blockers = self._blockers(stage.condition)
            if blockers:
                parts.append(f"not {stage.label}: " + ", ".join(f"{c.id} {_OUTCOME[outcomes[c.index]]}" for c in blockers))
        if plan.flags:
            raised = [flag_name(c.id) or c.id for c in plan.flags if outcomes[c.index] is True]
            if raised:
                parts.append("flags " + ", ".join(raised))
        missing = self._build_missing()
        if not self._issues:
            if missing:
                parts.append("missing " + ", ".join(missing))
            return "; ".join(parts)
        return self._summary_tail(parts, missing)

    def _summary_tail(self, parts: list[str], missing: list[str]) -> str:
        """The summary's end for a lead with data issues: what is missing, each bad value and why, how many issues."""
        bad = self._bad_values()
        absent = [n for n in missing if n not in bad]
        if absent:
            parts.append("missing " + ", ".join(absent))
        parts += [bad[n] for n in missing if n in bad]  # the value it had, and why it could not be read
        if self._issues:
            parts.append(f"{len(self._issues)} data issue{'s' if len(self._issues) != 1 else ''}")
        return "; ".join(parts)

    def __str__(self) -> str:
        return self.explain()


_PLAIN = frozenset({str, int, float, bool, type(None)})
"""Types whose JSON form is the value itself (:func:`_json_value` returns it; nothing to copy)."""


class _Outline(NamedTuple):
    """What :meth:`Result.summary`, :meth:`Result.explain` and :meth:`Result.to_dict` read of the plan besides the
    criteria's rows, found once per ruleset (``Ruleset._outline``)."""

    otherwise: list[str]
    """``otherwise <label>`` of the stage reached, by the number of stages reached."""
    blockers: list[tuple[str, list[tuple[int, dict[bool | None, str]]]]]
    """By stage: ``not <label>: `` and each criterion that may block it, as its index and the text for each outcome
    that blocks (``<id> fail``, ``<id> unknown``; under a ``none``, ``<id> pass`` and ``<id> unknown``), in order."""
    flags: list[tuple[int, str]]
    """Each flag's index and name."""
    disqualify: list[Criterion]
    meta: dict[str, tuple[str, str | None, str | None, str | None]]
    """Each stage's label, owner, SLA and description by id, ``disqualified`` and the base stage too (as
    :attr:`Result.label` and the others give them)."""
    stage_ids: list[str]
    titles: dict[str, str]
    """The first line of ``explain()`` by stage id: ``MQL — Marketing qualified lead (owner: marketing, SLA 4h)``."""
    passes: list[list[tuple[Criterion, bool, str]]]
    """By stage: each criterion of its condition with the outcome that helps it (False under a ``none``) and the start of
    the line ``explain()`` writes when it helped: ``  ✓ <id>: ``, ``  ✓ not <id>: ``."""
    flag_criteria: list[Criterion]
    score_names: list[str]
    field_names: tuple[str, ...]
    events_at: int | None
    """The place of the events field among the fields (None: the file has none)."""
    scores: list[tuple[str, Any, list[tuple[int, str, float | int]]]]
    """Each score's name, its event scoring (``EventScore``, None without events) and its rules' index, short id and points."""


def _outline_of(ruleset: Ruleset) -> _Outline:
    """The tables of :class:`_Outline` for the ruleset's plan."""
    plan = ruleset._public
    otherwise = ["otherwise " + plan.base.label] + ["otherwise " + st.label for st in plan.stages]
    passes = [_stage_passes(st.condition) for st in plan.stages]  # each stage's criteria with the outcome that helps it
    blockers = []
    for st, stage_passes in zip(plan.stages, passes):
        table = []
        for crit, helps in stage_passes:
            bad: tuple[bool | None, ...] = (False, None) if helps else (True, None)
            table.append((crit.index, {o: f"{crit.id} {_OUTCOME[o]}" for o in bad}))
        blockers.append((f"not {st.label}: ", table))
    flags = [(c.index, flag_name(c.id) or c.id) for c in plan.flags]
    meta: dict[str, tuple[str, str | None, str | None, str | None]] = {plan.base.id: (plan.base.label, None, None, None)}
    meta.update({st.id: (st.label, st.owner, ruleset.model.stages[st.index].sla, st.description) for st in plan.stages})
    meta[DISQUALIFIED] = ("Disqualified", None, None, None)
    titles = {}
    for sid, (label, owner, sla, _) in meta.items():
        title = label if label.lower() == sid.lower() else f"{sid.upper()} — {label}"
        extra = ([f"owner: {owner}"] if owner else []) + ([f"SLA {sla}"] if sla else [])
        titles[sid] = title + (f" ({', '.join(extra)})" if extra else "")
    field_names = tuple(f.name for f in plan.fields)
    event_scores = ruleset._compiled.event_scores
    return _Outline(
        otherwise,
        blockers,
        flags,
        list(plan.disqualify),
        meta,
        [st.id for st in plan.stages],
        titles,
        [[(c, helps, f"  ✓ {c.id}: " if helps else f"  ✓ not {c.id}: ") for c, helps in stage] for stage in passes],
        list(plan.flags),
        [sc.name for sc in plan.scores],
        field_names,
        field_names.index(plan.events_field) if plan.events_field else None,
        [(sc.name, event_scores.get(sc.name), [(r.index, r.id.split(".", 1)[1], r.points) for r in sc.rules]) for sc in plan.scores],
    )


_Row = dict[str, Any]
"""A criterion's part of a result, as :class:`CriterionResult` holds it (without validation): ``id``, ``outcome``,
``because``, ``values`` (JSON-ready)."""


def _leaves(group: Group) -> list[Criterion]:
    """The criteria with an expression under ``group``, in file order."""
    out: list[Criterion] = []
    for item in group.items:
        out.extend(_leaves(item) if isinstance(item, Group) else [item])
    return out


def _stage_passes(group: Group, negated: bool = False) -> list[tuple[Criterion, bool]]:
    """The criteria that explain why a reached stage passed, each with the outcome that helped it
    (True, or False under a ``none``)."""
    out: list[tuple[Criterion, bool]] = []
    negated = negated != (group.op == "none")
    for item in group.items:
        if isinstance(item, Criterion):
            out.append((item, not negated))
        elif item.criterion is not None:
            out.append((item.criterion, not negated))
        else:
            out.extend(_stage_passes(item, negated))
    return out
