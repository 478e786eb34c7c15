"""Lint a loaded ruleset: things that load fine but are almost surely mistakes.

``lint(rules)`` returns warnings (``Problem`` with ``severity="warning"``),
sorted by position in the rule file. It only reads the checked plan, so a
file must load before it can be linted. The lints and their stable codes:

``unused-field`` (at the field's key)
    A declared field that nothing reads: no ``when``, no ``because``
    placeholder, no score rule. The events field counts as read when a
    ``count``/``last``/``first`` call or a score over events uses it.
``unused-list`` (at the list's key)
    A list that no expression names (in a ``when``, a ``because``
    placeholder, or as the event types of ``count``/``last``/``first``).
``always-true`` / ``always-false`` (at the ``when``)
    A criterion (of a stage, a disqualifier or a score rule) whose
    expression does not depend on the lead: it was folded to a constant at
    load (``1 < 2``, ``'a' in ['a']``, ``5``), or it is an ``or`` with an
    always-true operand, an ``and`` with an always-false one, or ``not`` of
    either. A non-boolean constant counts by its truthiness, and the
    message says so.
``unreachable-stage`` (at the stage)
    A stage whose condition can never pass because of always-false or
    always-true criteria (an ``all`` holding an always-false item, an
    ``any`` whose items are all always false, a ``none`` holding an
    always-true item, an ``at_least`` whose n exceeds the items that can
    pass, nested conditions alike), or whose earlier stage can never be
    reached, since each stage requires the one before it.
``duplicate-criterion`` (at the second ``when``)
    Two criteria with the same normalized expression (the folded tree,
    unparsed) in one stage (nested conditions included) or among the
    disqualifiers; and a stage criterion with the expression of a
    disqualifier, which only passes for leads that are disqualified anyway.
    Constant expressions are left to ``always-true``/``always-false``.
``unused-allow`` (at the ``allow:`` entry)
    An entry of ``allow:`` that silences no warning.

A field with a ``role`` (``id``, ``output`` or ``touched``) is declared on purpose and
is never an unused field. The file's ``allow:`` entries silence the
warnings of their ``code`` about the thing named by ``at`` (a field,
list, score, stage or flag name, or a criterion's full id; every warning
of that code without ``at``): :func:`lint` leaves them out and returns
them apart, in ``allowed``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, Union

from ._check import CritPlan, GroupPlan, Plan, leaf_criteria
from ._problems import Collector
from ._expr import brief, shorten
from ._functions import FUNCTIONS
from ._yaml import Positions
from .errors import Problem
from .plan import BoolOp, Call, Compare, Const, Expr, Name, Not, Type, unparse, walk

if TYPE_CHECKING:
    from .ruleset import Ruleset

__all__ = ["Lints", "lint"]

_DEPENDS = object()
"""The truth of an expression that depends on the lead."""


class Lints(list[Problem]):
    """The warnings :func:`lint` reports, as a list; ``allowed``: the warnings the file's ``allow:`` entries silence."""

    def __init__(self, shown: Iterable[Problem] = (), allowed: Iterable[Problem] = ()) -> None:
        super().__init__(shown)
        self.allowed: list[Problem] = list(allowed)


class _Located(Collector):
    """A collector that remembers the document path of each problem, to find what it is about."""

    def __init__(self, positions: Positions) -> None:
        super().__init__(positions, severity="warning")
        self.paths: dict[int, tuple[Any, ...]] = {}

    def at(self, path: tuple[Any, ...], code: str, message: str, *, key: bool = False) -> None:
        super().at(path, code, message, key=key)
        self.paths[id(self.problems[-1])] = tuple(path)


def lint(rules: Ruleset) -> Lints:
    """Every lint warning of a loaded ruleset but those its ``allow:`` entries silence, sorted by line and column."""
    plan: Plan = rules._plan
    out = _Located(plan.positions or Positions(rules.file))
    _unused(plan, out)
    fixed = _constant_criteria(plan, out)
    _unreachable(plan, fixed, out)
    _duplicates(plan, fixed, out)
    _open_age_windows(plan, out)
    _formats_reading_iso(plan, out)
    _alike_enum_values(plan, out)
    return _allowed(plan, out)


DEEP_CODES = frozenset({"stage-never-reached", "never-passes", "never-fails", "contradiction", "redundant-criterion", "score-gap", "score-overlap"})
"""The warnings of ``check --deep``: an ``allow:`` entry for one is not unused when a plain check does not see it."""


def _order(p: Problem) -> tuple[int, int, str, str]:
    return (p.line, p.column, p.code, p.message)


# -- allow: entries ------------------------------------------------------------


def _subjects(plan: Plan) -> dict[tuple[Any, ...], set[str]]:
    """The path of everything an ``at`` can name, to its names (criteria by their full id).

    A stage with a single ``when:`` is at the path of its criterion: both
    ``sql`` and ``sql.when`` name it.
    """
    named: dict[tuple[Any, ...], set[str]] = {}
    for section in ("fields", "lists", "scores", "flags"):
        for name in getattr(plan.model, section, None) or ():
            named.setdefault((section, name), set()).add(name)
    for stage in plan.stages:
        named.setdefault(stage.path, set()).add(stage.id)
    for crit in plan.criteria:
        if crit.path:
            named.setdefault(crit.path, set()).add(crit.id)
    return named


def _allowed(plan: Plan, out: _Located) -> Lints:
    """Split the warnings into those shown and those ``allow:`` silences; warn about entries that silence nothing."""
    entries = plan.model.allow
    named = _subjects(plan)
    used = [False] * len(entries)
    shown: list[Problem] = []
    allowed: list[Problem] = []
    for problem in sorted(out.problems, key=_order):
        path = out.paths.get(id(problem), ())
        about = next((named[path[:n]] for n in range(len(path), 0, -1) if path[:n] in named), set())
        match = next((i for i, e in enumerate(entries) if e.code == problem.code and (e.at is None or e.at in about)), None)
        if match is None:
            shown.append(problem)
        else:
            used[match] = True
            allowed.append(problem)
    late = _Located(out.positions)
    for i, entry in enumerate(entries):
        if not used[i] and entry.code not in DEEP_CODES:  # deep warnings are only known to `check --deep`
            where = f" at {entry.at}" if entry.at is not None else ""
            late.at(("allow", i), "unused-allow", f"this allow entry silences nothing: the file has no {entry.code} warning{where}; remove the entry")
    return Lints(sorted(shown + late.problems, key=_order), allowed)


# -- unused fields and lists ---------------------------------------------------


def _unused(plan: Plan, out: Collector) -> None:
    fields: set[str] = set()
    lists: set[str] = set()
    for crit in plan.criteria:
        parts = [crit.checked] if crit.checked is not None else []
        if crit.because is not None:
            parts += [p for p in crit.because.parts if not isinstance(p, str)]
        for checked in parts:
            fields.update(checked.fields)
            lists.update(checked.lists)
    if plan.events_field is not None and any(score.events for score in plan.scores):
        fields.add(plan.events_field)
    for name, spec in plan.model.fields.items():
        if name not in fields and spec.role is None:  # a field with a role is declared on purpose
            how = "no count(), last(), first() or score over events" if name == plan.events_field else "no expression"
            out.at(
                ("fields", name),
                "unused-field",
                f"field {name!r} is declared but {how} reads it; use it in a criterion, "
                "a score rule or a because text, mark it `role: output` if it is kept for reports, or remove it",
                key=True,
            )
    for name in plan.lists:
        if name not in lists:
            out.at(
                ("lists", name),
                "unused-list",
                f"list {name!r} is declared but no expression names it; use it (e.g. `x in {name}`) or remove it",
                key=True,
            )


# -- criteria that are always true or false --------------------------------------


def _truth(node: Expr) -> Any:
    """The value ``node`` always has (a constant, None for always unknown, or a bool for logic), or ``_DEPENDS``."""
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Not):
        value = _truth(node.operand)
        return value if value is _DEPENDS or value is None else not value
    if isinstance(node, BoolOp):  # Kleene: `x or True` is True, `x and False` False, even when x is unknown
        decisive = node.op == "or"
        values = [_truth(v) for v in node.values]
        if any(v is not _DEPENDS and v is not None and bool(v) is decisive for v in values):
            return decisive
        if all(v is not _DEPENDS for v in values):
            return None if any(v is None for v in values) else not decisive
    return _DEPENDS


def _constant_criteria(plan: Plan, out: Collector) -> dict[int, bool]:
    """Warn about every constant criterion; returns their truth by criterion index."""
    fixed: dict[int, bool] = {}
    for crit in plan.criteria:
        if crit.checked is None:
            continue
        value = _truth(crit.checked.expr)
        if value is _DEPENDS:
            continue
        text = shorten(crit.checked.text)
        if value is None:  # always unknown (a folded missing value): its missing policy decides, always alike
            truth = crit.missing == "pass"
            fixed[crit.index] = truth  # unknown never passes, like false; that claims no stage wrongly unreachable
            word = "true" if truth else "false"
            how = f"`{text}` is always unknown (it computes a missing value), and missing: {crit.missing} makes it {'pass' if truth else 'never pass'}"
            out.at(crit.path + ("when",), f"always-{word}", f"{crit.id} is always {word}: {how}; {_consequence(crit, truth)}")
            continue
        truth = bool(value)
        fixed[crit.index] = truth
        word = "true" if truth else "false"
        if isinstance(value, bool):
            how = f"`{text}` is always {value}" if crit.checked.text != str(value) else f"it is just {value}"
        else:
            how = f"`{text}` is the constant {brief(value)}, not a boolean, which counts as {word}"
        out.at(crit.path + ("when",), f"always-{word}", f"{crit.id} is always {word}: {how}; {_consequence(crit, truth)}")
    return fixed


_UPPER = {"<": "left", "<=": "left", ">": "right", ">=": "right"}  # the side of the pair an upper bound's age is on
_LOWER = {"<": "right", "<=": "right", ">": "left", ">=": "left"}


def _age_of_field(node: Expr) -> str | None:
    """The age of a date or datetime field (``days_since(field)``: a function that counts from a value to as_of): the
    field's name. Event functions are left out: an event after as_of never counts."""
    if not (isinstance(node, Call) and len(node.args) == 1 and isinstance(node.args[0], Name)):
        return None
    function = FUNCTIONS.get(node.fn)
    if function is not None and function.reads_as_of and function.takes == "values" and function.returns == "int":
        return node.args[0].id
    return None


def _open_age_windows(plan: Plan, out: Collector) -> None:
    """Warn about ``days_since(d) <= N`` with no lower bound on the age of ``d`` anywhere in the criterion."""
    for crit in plan.criteria:
        if crit.checked is None or crit.checked.expr is None:
            continue
        upper: list[str] = []
        lower: set[str] = set()
        for node in walk(crit.checked.expr):
            if not isinstance(node, Compare):
                continue
            for op, left, right in zip(node.ops, node.operands, node.operands[1:]):
                for bounds, side in ((upper, _UPPER.get(op)), (None, _LOWER.get(op))):
                    field = _age_of_field(left if side == "left" else right) if side else None
                    if field is None:
                        continue
                    if bounds is None:
                        lower.add(field)
                    else:
                        bounds.append(field)
        for field in dict.fromkeys(f for f in upper if f not in lower):
            out.at(
                crit.path + ("when",),
                "open-age-window",
                f"{crit.id}: days_since({field}) has an upper bound only, so a {field} later than as_of (a negative age) passes it too, "
                f"as in a back-test as of an earlier day; write both ends: `0 <= days_since({field}) <= …`",
            )


_ISO_SAMPLES = ("2026-01-12", "2026-11-27", "2026-01-12T09:30:00")


def _formats_reading_iso(plan: Plan, out: Collector) -> None:
    """Warn about a date format that reads ISO 8601 text as another date (the formats are tried before ISO 8601)."""
    for field in plan.public.fields if plan.public is not None else ():
        for i, pattern in enumerate(field.format):
            for sample in _ISO_SAMPLES:
                try:
                    read = datetime.strptime(sample, pattern)
                except ValueError:
                    continue
                iso = datetime.fromisoformat(sample)
                if read.replace(tzinfo=None) != iso:
                    written_as_list = isinstance(plan.model.fields[field.name].format, list)  # a list item has a place of its own
                    path = ("fields", field.name, "format") + ((i,) if written_as_list else ())
                    out.at(
                        path,
                        "format-reads-iso",
                        f"field {field.name!r}: the format {pattern!r} reads the ISO 8601 date {sample} as {read:%Y-%m-%d}; "
                        "the formats are tried before ISO 8601, so ISO dates read wrong: make the pattern one ISO text cannot match",
                    )
                    break


def _alike_enum_values(plan: Plan, out: Collector) -> None:
    """Warn about enum values that differ only in case or in spaces around them (``[x, X]``): text reads as the one
    spelled as it is, other text by precedence (exact duplicates are the error ``duplicate-id``)."""
    for field in plan.public.fields if plan.public is not None else ():
        if field.type != "enum" or not field.values:
            continue
        first: dict[str, str] = {}
        for i, value in enumerate(field.values):
            key = value.strip().lower()
            if key not in first:
                first[key] = value
                continue
            out.at(
                ("fields", field.name, "values", i),
                "enum-values-alike",
                f"field {field.name!r}: the values {first[key]!r} and {value!r} differ only in case or spaces; text spelled as one "
                "of them reads as that one, any other spelling as one of them by precedence (the exact spelling, then the lower "
                "case, then the first declared): declare one value",
            )


def _consequence(crit: CritPlan, truth: bool) -> str:
    kind = crit.path[0] if crit.path else "stages"
    if kind == "disqualify":
        effect = "every lead is disqualified" if truth else "it never disqualifies anyone"
    elif kind == "scores":
        effect = f"every lead gets its {crit.points} points" if truth else f"it never gives its {crit.points} points"
    else:
        effect = "it never decides anything" if truth else "it never passes"
    return f"{effect}; fix the expression (compare a field) or remove the criterion"


# -- stages that can never be reached ----------------------------------------------


def _outcome(item: Union[CritPlan, GroupPlan], fixed: dict[int, bool]) -> tuple[bool | None, str]:
    """Whether ``item`` always passes (True), never passes (False) or depends (None), and why."""
    if isinstance(item, CritPlan):
        truth = fixed.get(item.index)
        return truth, "" if truth is None else f"{item.id} is always {'true' if truth else 'false'}"
    results = [(*_outcome(i, fixed), i) for i in item.items]
    passing = [(why, i) for truth, why, i in results if truth is True]
    failing = [(why, i) for truth, why, i in results if truth is False]
    if item.op == "all":
        if failing:
            return False, _clause(failing[0][1], False, failing[0][0])
        if len(passing) == len(results):
            return True, f"every item of its all is always true ({_names(passing)})"
    elif item.op in ("any", "none"):
        yes = item.op == "any"
        if passing:
            why = _clause(passing[0][1], True, passing[0][0])
            return yes, f"{why}, which is enough for its any" if yes else f"{why}, and its none forbids it"
        if len(failing) == len(results):
            return not yes, f"every item of its {item.op} is always false ({_names(failing)})"
    else:  # at_least
        possible = len(results) - len(failing)
        if possible < item.n:
            return False, (
                f"its at_least needs {item.n} but only {possible} of its {len(results)} items can pass "
                f"({_names(failing)} never pass)"
            )
        if len(passing) >= item.n:
            return True, f"its at_least needs {item.n} and {len(passing)} of its items always pass ({_names(passing)})"
    return None, ""


def _name(item: Union[CritPlan, GroupPlan]) -> str:
    if isinstance(item, CritPlan):
        return item.id
    return item.crit.id if item.crit is not None else f"a nested {item.op}"


def _names(items: list[tuple[str, Union[CritPlan, GroupPlan]]]) -> str:
    return ", ".join(_name(i) for _, i in items)


def _clause(item: Union[CritPlan, GroupPlan], truth: bool, why: str) -> str:
    """An item's constant outcome as a clause of its parent's reason."""
    if isinstance(item, CritPlan):
        return why
    return f"{_name(item)} {'always passes' if truth else 'can never pass'} because {why}"


def _unreachable(plan: Plan, fixed: dict[int, bool], out: Collector) -> None:
    blocked: str | None = None  # the first stage that can never be reached
    for stage in plan.stages:
        if blocked is not None:
            out.at(
                stage.path,
                "unreachable-stage",
                f"stage {stage.id!r} can never be reached: stage {blocked!r} before it can never be reached, "
                f"and each stage requires the one before it; fix {blocked!r} first",
            )
            continue
        truth, why = _outcome(stage.cond, fixed)
        if truth is False:
            blocked = stage.id
            out.at(
                stage.path,
                "unreachable-stage",
                f"stage {stage.id!r} can never be reached: {why}; fix the criteria it names or remove the stage",
            )


# -- duplicate criteria --------------------------------------------------------------


def _duplicates(plan: Plan, fixed: dict[int, bool], out: Collector) -> None:
    def key(crit: CritPlan) -> str | None:
        if crit.checked is None or crit.index in fixed:
            return None
        return unparse(crit.checked.expr)  # constants are bounded at load (MAX_CONSTANT), so this stays small

    def shown(crit: CritPlan, k: str) -> str:
        """The normalized expression, or where it is long (a big constant) the text as written, shortened."""
        assert crit.checked is not None
        return k if len(k) <= 120 else shorten(crit.checked.text)

    def within(criteria: list[CritPlan], where: str) -> None:
        seen: dict[str, CritPlan] = {}
        for crit in criteria:
            k = key(crit)
            if k is None:
                continue
            if k in seen:
                out.at(
                    crit.path + ("when",),
                    "duplicate-criterion",
                    f"{crit.id} repeats the expression of {seen[k].id} ({where}): `{shown(crit, k)}`; "
                    "remove one, or change it if another condition was meant",
                )
            else:
                seen[k] = crit

    within(plan.disqualify, "among the disqualifiers")
    disqualifiers: dict[str, CritPlan] = {}
    for d in plan.disqualify:
        k = key(d)
        if k is not None:
            disqualifiers.setdefault(k, d)
    for stage in plan.stages:
        leaves = leaf_criteria(stage.cond)
        within(leaves, f"in stage {stage.id!r}")
        for crit in leaves:
            k = key(crit)
            if k is not None and k in disqualifiers:
                assert crit.checked is not None
                negated = unparse(Not(crit.checked.expr, Type("bool"))) if len(k) <= 120 else f"not ({shown(crit, k)})"
                out.at(
                    crit.path + ("when",),
                    "duplicate-criterion",
                    f"{crit.id} repeats the expression of {disqualifiers[k].id}: `{shown(crit, k)}`; a lead that passes it is "
                    f"disqualified anyway; remove it, or did you mean `{negated}`?",
                )
