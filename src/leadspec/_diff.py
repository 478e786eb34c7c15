"""What changed between two versions of a ruleset, and which leads it moves.

:func:`diff` matches everything by id (fields, lists, scores and their
rules, disqualifiers, stages, criteria), so reordering is not a change,
and turns each difference into a frozen :class:`Edit` that reads as one
sentence (``icp.size: employees lower bound 50 → 100``); flags too
(``flag customer: deal_stage value Won → Closed Won``). Bounds, list
members and points are read from the checked expression trees, not from
the text; any other change of an expression shows both expressions.

With leads, both versions evaluate the same leads; :class:`RulesDiff`
holds the stage transitions with samples and the totals per stage, and
for each flag how many leads it raises and lowers (:class:`FlagImpact`).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable, Literal, Mapping

from ._check import CritPlan, GroupPlan, walk_criteria
from ._fields import lookup
from ._functions import FUNCTIONS
from ._words import Words
from ._words import listing as _listing
from ._words import number as _num
from .plan import FLAG_PREFIX, Call, Compare, Const, Expr, In, ListName, duration_text, flag_name
from .ruleset import Ruleset, _as_of

__all__ = ["Edit", "FlagImpact", "RulesDiff", "Sample", "Transition", "diff"]

Kind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class Edit:
    """One difference: ``kind`` of ``area`` ``id`` (its ``what``, from ``old`` to ``new``), and the sentence."""

    kind: Kind
    area: str  # ruleset, field, list, flag, score, rule, disqualifier, stage, criterion
    id: str
    what: str
    old: Any
    new: Any
    sentence: str

    def __str__(self) -> str:
        return self.sentence

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "area": self.area, "id": self.id, "what": self.what, "old": _plain(self.old), "new": _plain(self.new), "sentence": self.sentence}


@dataclass(frozen=True)
class Sample:
    """A lead that moved: its id (or row number) and the criteria whose outcome flipped."""

    lead: str
    flipped: tuple[tuple[str, str, str], ...]  # (criterion, old outcome, new outcome)


@dataclass(frozen=True)
class Transition:
    """How many of the sample's leads go from one stage (old rules) to another (new rules), and their share."""

    from_stage: str
    to_stage: str
    count: int
    share: float
    samples: tuple[Sample, ...] = ()


@dataclass(frozen=True)
class FlagImpact:
    """How a flag's outcome changes over the leads: leads flagged (true) ``before`` and ``after``, how many
    become flagged (true now, not before) and unflagged (true before, not now), how many change at all (false ↔
    unknown too), and sample leads that change. A flag in one version only is not flagged in the other."""

    flag: str
    before: int
    after: int
    flagged: int
    unflagged: int
    changed: int
    samples: tuple[Sample, ...] = ()

    def sentence(self) -> str:
        """``customer: 2,330 → 2,450 flagged (+120): 123 become flagged, 3 unflagged``."""
        text = f"{self.flag}: {self.before:,} → {self.after:,} flagged ({self.after - self.before:+,})"
        parts = []
        if self.flagged:
            parts.append(f"{self.flagged:,} lead{'s' if self.flagged != 1 else ''} become{'s' if self.flagged == 1 else ''} flagged")
        if self.unflagged:
            parts.append(f"{self.unflagged:,} unflagged")
        other = self.changed - self.flagged - self.unflagged
        if other:
            parts.append(f"{other:,} between false and unknown")
        return text + (": " + ", ".join(parts) if parts else ": no lead changes")


@dataclass(frozen=True)
class RulesDiff:
    """The edits between two rulesets and, with leads, their impact."""

    old: tuple[str, str | None, str]  # name, version, digest
    new: tuple[str, str | None, str]
    edits: tuple[Edit, ...]
    leads: int | None = None
    transitions: tuple[Transition, ...] = ()
    totals: tuple[tuple[str, int, int], ...] = ()  # (stage, before, after)
    as_of: datetime | None = field(default=None, compare=False)
    flags: tuple[FlagImpact, ...] = ()  # with leads: every flag of either version, new rules' order first
    reflagged: int = 0  # with leads: how many leads have a flag whose outcome changes
    rules: tuple[Any, Any] | None = field(default=None, compare=False, repr=False)  # (old, new): for to_html()

    @property
    def changed(self) -> bool:
        """Whether the rules differ (a formatting-only change is no change)."""
        return bool(self.edits)

    @property
    def moved(self) -> int:
        """How many leads changed stage."""
        return sum(t.count for t in self.transitions if t.from_stage != t.to_stage)

    def summary(self) -> str:
        n = len(self.edits)
        old, new = _label(self.old), _label(self.new)
        if old == new and self.old[2] != self.new[2]:  # the same name and version, other rules: tell them apart by digest
            old, new = f"{old} ({self.old[2][7:19]})", f"{new} ({self.new[2][7:19]}; bump `version:` to tell them apart)"
        text = f"{n} change{'s' if n != 1 else ''} from {old} to {new}"
        if self.leads is not None:
            text += f"; {self.moved:,} of {self.leads:,} leads change stage"
            if self.flags:
                text += f", {self.reflagged:,} change flags"
        return text

    def to_text(self) -> str:
        lines = [self.summary()]
        if self.edits:
            lines += [""] + [f"  {e.sentence}" for e in self.edits]
        if self.leads is not None:
            lines += ["", "Stage transitions:"]
            for t in self.transitions:
                lines.append(f"  {t.from_stage} → {t.to_stage}: {t.count:,} ({_share(t.share)})")
                for s in t.samples:
                    flips = ", ".join(f"{c} {a} → {b}" for c, a, b in s.flipped) or "no criterion flipped"
                    lines.append(f"      {s.lead}: {flips}")
            lines += ["", "Leads per stage (before → after):"]
            lines += [f"  {stage}: {before:,} → {after:,} ({after - before:+,})" for stage, before, after in self.totals]
            if self.flags:
                lines += ["", "Flags (leads flagged before → after):"]
                for f in self.flags:
                    lines.append(f"  {f.sentence()}")
                    lines += [f"      {s.lead}: {_flips(s)}" for s in f.samples]
        return "\n".join(lines) + "\n"

    def to_markdown(self) -> str:
        """Markdown to paste into a pull request: a summary line, the edits, the transition table."""
        out = [f"**{_md(self.summary())}**", ""]
        if self.edits:
            out += ["### Changes", ""] + [f"- {_md(e.sentence)}" for e in self.edits] + [""]
        if self.leads is not None:
            out += [f"### Impact on {self.leads:,} leads", "", "| from | to | leads | share |", "|---|---|---:|---:|"]
            out += [f"| {t.from_stage} | {t.to_stage} | {t.count:,} | {_share(t.share)} |" for t in self.transitions]
            out += ["", "| stage | before | after | change |", "|---|---:|---:|---:|"]
            out += [f"| {stage} | {before:,} | {after:,} | {after - before:+,} |" for stage, before, after in self.totals]
            if self.flags:
                out += ["", "| flag | flagged before | after | change | become flagged | unflagged |", "|---|---:|---:|---:|---:|---:|"]
                out += [f"| {_md(f.flag)} | {f.before:,} | {f.after:,} | {f.after - f.before:+,} | {f.flagged:,} | {f.unflagged:,} |" for f in self.flags]
            samples = [(t, s) for t in self.transitions if t.from_stage != t.to_stage for s in t.samples]
            if samples:
                out += ["", "Sample leads that move:", ""]
                for t, s in samples:
                    flips = ", ".join(f"`{c}` {a} → {b}" for c, a, b in s.flipped) or "no criterion flipped"
                    out.append(f"- {t.from_stage} → {t.to_stage}: {_md(s.lead)} ({flips})")
            flag_samples = [(f, s) for f in self.flags for s in f.samples]
            if flag_samples:
                out += ["", "Sample leads whose flags change:", ""]
                out += [f"- {_md(f.flag)}: {_md(s.lead)} ({_flips(s, '`')})" for f, s in flag_samples]
            out.append("")
        return "\n".join(out)

    def to_html(self, *, date: date | datetime | str | None = None, proof: str | None = None) -> str:
        """One self-contained HTML page in the style of ``leadspec.render``: the changes, their impact on the leads,
        then the old and the new agreement side by side with the changed criteria marked. ``date``: the day the
        agreements show (default today); ``proof``: the text of ``leadspec.analysis.compare(...).text()``, shown too."""
        from ._agreement import diff_page

        if self.rules is None:
            raise ValueError("to_html() needs the two rulesets: use the RulesDiff that leadspec.diff() returns")
        return diff_page(self, self.rules[0], self.rules[1], date, proof)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": dict(zip(("name", "version", "digest"), self.old)),
            "new": dict(zip(("name", "version", "digest"), self.new)),
            "changed": self.changed,
            "edits": [e.to_dict() for e in self.edits],
            "leads": self.leads,
            "moved": self.moved if self.leads is not None else None,
            "transitions": [
                {
                    "from": t.from_stage,
                    "to": t.to_stage,
                    "count": t.count,
                    "share": t.share,
                    "samples": _samples_dict(t.samples),
                }
                for t in self.transitions
            ],
            "totals": [{"stage": s, "before": b, "after": a} for s, b, a in self.totals],
            "flags": [
                {
                    "flag": f.flag,
                    "before": f.before,
                    "after": f.after,
                    "flagged": f.flagged,
                    "unflagged": f.unflagged,
                    "changed": f.changed,
                    "samples": _samples_dict(f.samples),
                }
                for f in self.flags
            ],
            "reflagged": self.reflagged if self.leads is not None else None,
        }


def _flips(sample: Sample, quote: str = "") -> str:
    return ", ".join(f"{quote}{c}{quote} {a} → {b}" for c, a, b in sample.flipped) or "no criterion flipped"


def _share(share: float) -> str:
    return "<0.1%" if 0 < share < 0.0005 else f"{share:.1%}"


def _label(info: tuple[str, str | None, str]) -> str:
    name, version, digest = info
    return f"{name} {version or digest[7:19]}"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _added_removed(old: Iterable[Any], new: Iterable[Any]) -> tuple[list[Any], list[Any]]:
    """Members of ``new`` not in ``old`` and of ``old`` not in ``new``, in order (sets: lists of 100,000 items stay linear)."""
    old, new = list(old), list(new)
    try:
        old_set, new_set = set(old), set(new)
    except TypeError:  # pragma: no cover - members are text and numbers
        return [v for v in new if v not in old], [v for v in old if v not in new]
    return [v for v in new if v not in old_set], [v for v in old if v not in new_set]


# -- expression changes ---------------------------------------------------------------


class _Different(Exception):
    pass


def _constant_changes(old: Expr, new: Expr, parent: Expr | None = None, changes: list[Any] | None = None) -> list[tuple[Expr | None, Any, Any, Any]]:
    """The constants that differ between two expressions of the same shape; raises _Different otherwise.

    Each change is ``(parent, what, old, new)``: ``what`` is the :class:`Const` node, or for an
    event function the name of the argument that changed (``"within"``, ``"events"``).
    """
    changes = [] if changes is None else changes
    if type(old) is not type(new):
        raise _Different
    if isinstance(old, Const):
        assert isinstance(new, Const)
        if old.value != new.value or type(old.value) is not type(new.value):
            changes.append((parent, old, old.value, new.value))
        return changes
    for f in dataclasses.fields(old):
        if f.name == "type" or not f.compare:  # the type follows the fields; a call's text is how it was written
            continue
        a, b = getattr(old, f.name), getattr(new, f.name)
        if f.name == "events" and getattr(old, "events_from", None) is not None and old.events_from == new.events_from:  # type: ignore[union-attr]
            continue  # the types of a named list: its edit is said once, under lists
        if f.name in ("within", "events") and a != b:
            changes.append((old, f.name, a, b))
        elif isinstance(a, tuple) and a and not isinstance(a[0], str):
            if len(a) != len(b):
                raise _Different
            for x, y in zip(a, b):
                _constant_changes(x, y, old, changes)
        elif f.name in ("left", "right", "operand", "item", "container"):
            _constant_changes(a, b, old, changes)
        elif a != b:
            raise _Different
    return changes


_LOWER = {"<": "lower", "<=": "lower", ">": "upper", ">=": "upper"}  # constant on the left of the operator


def _subject(node: Expr, words: Words) -> str:
    """What a changed constant is compared with, in words (a score by its name: ``engagement score threshold``)."""
    if isinstance(node, Call) and FUNCTIONS[node.fn].takes == "score_name" and isinstance(node.args[0], Const):
        return f"{node.args[0].value} score"
    if isinstance(node, ListName):
        return node.id
    return words.value(node)


def _describe_constant(parent: Expr | None, const: Any, old: Any, new: Any, words: Words) -> str:
    if const == "within":
        return f"window {duration_text(old) if old else 'none'} → {duration_text(new) if new else 'none'}"
    if isinstance(old, tuple) and isinstance(new, tuple):  # a list literal: members added or removed
        added, removed = _added_removed(old, new)
        what = "list" if const != "events" else "event types"
        if isinstance(parent, In) and parent.container is const:
            what = f"{_subject(parent.item, words)} values"
        elif isinstance(parent, Compare):
            index = next(i for i, o in enumerate(parent.operands) if o is const)
            if index > 0:
                what = f"{_subject(parent.operands[index - 1], words)} values"
        parts = []
        if added:
            parts.append("added " + _listing(added))
        if removed:
            parts.append("removed " + _listing(removed))
        return f"{what}: {'; '.join(parts) or 'reordered'}"
    if isinstance(parent, In) and parent.item is const:  # 'vp' in tags: the value looked for
        return f"{_subject(parent.container, words)} value {_num(old)} → {_num(new)}"
    if isinstance(parent, Compare):
        operands = parent.operands
        where = next((i for i, o in enumerate(operands) if o is const), None)
        if where is not None:
            index = where
            if index + 1 < len(operands):  # constant OP subject
                op, subject = parent.ops[index], operands[index + 1]
                side = {"lower": "lower bound", "upper": "upper bound"}.get(_LOWER.get(op, ""), "value")
            else:  # subject OP constant
                op, subject = parent.ops[index - 1], operands[index - 1]
                side = {"lower": "upper bound", "upper": "lower bound"}.get(_LOWER.get(op, ""), "value")
            name = _subject(subject, words)
            if name.endswith(" score") and side == "lower bound":
                return f"{name} threshold {_num(old)} → {_num(new)}"
            return f"{name} {side} {_num(old)} → {_num(new)}"
    return f"{_num(old)!s} → {_num(new)!s}"


def _expression_change(old: CritPlan, new: CritPlan, rules: tuple[Ruleset, Ruleset]) -> list[str]:
    """Sentences for a changed `when` (empty when the expressions are equal)."""
    if old.checked is None or new.checked is None:
        return []
    if old.checked.expr == new.checked.expr:  # plan equality: constants to the last type (1 is not 1.0 nor True)
        return []
    try:
        changes = _constant_changes(old.checked.expr, new.checked.expr)
    except _Different:
        return [f"condition {_said(rules[0], old)} → {_said(rules[1], new)}"]
    return [_describe_constant(parent, const, a, b, rules[1]._words()) for parent, const, a, b in changes]


def _said(rules: Ruleset, crit: CritPlan) -> str:
    """A criterion's condition in words (:mod:`leadspec._words`, as explanations and ``render`` say it); a nested
    condition by its kind of group."""
    if crit.checked is None:
        return _group_text(crit.group) if crit.group else ""
    return rules._sentence(rules.plan.criterion(crit.id))


# -- the edits ----------------------------------------------------------------------------


class _Edits:
    def __init__(self) -> None:
        self.items: list[Edit] = []

    def add(self, kind: Kind, area: str, id: str, what: str, old: Any, new: Any, sentence: str) -> None:
        self.items.append(Edit(kind, area, id, what, old, new, sentence))

    def mapping(self, area: str, label: str, old: Mapping[str, Any], new: Mapping[str, Any], describe: Any) -> None:
        for key in old:
            if key not in new:
                self.add("removed", area, key, "", old[key], None, f"{label} {key} removed")
        for key in new:
            if key not in old:
                self.add("added", area, key, "", None, new[key], f"{label} {key} added{describe(new[key])}")


def _field_text(spec: Any) -> str:
    text = f" ({spec.type}"
    if spec.source:
        text += f" from {spec.source}"
    return text + ")"


def _members(area: str, label: str, key: str, old: Iterable[Any], new: Iterable[Any], edits: _Edits, what: str = "") -> None:
    old, new = list(old), list(new)
    added, removed = _added_removed(old, new)
    parts = []
    if added:
        parts.append("added " + _listing(added))
    if removed:
        parts.append("removed " + _listing(removed))
    if parts:
        edits.add("changed", area, key, what or "values", old, new, f"{label}: {'; '.join(parts)}")


def _fields(old: Ruleset, new: Ruleset, edits: _Edits) -> None:
    a, b = old.fields, new.fields
    edits.mapping("field", "field", a, b, _field_text)
    for name in a:
        if name not in b:
            continue
        x, y = a[name], b[name]
        for attr in ("type", "source", "default", "min", "max", "format"):
            before, after = getattr(x, attr), getattr(y, attr)
            if attr == "source":  # no source: the field's own name is read
                before, after = before or name, after or name
            if before != after:
                sentence = f"field {name}: {attr} {_attr_text(attr, before, name)} → {_attr_text(attr, after, name)}"
                edits.add("changed", "field", name, attr, getattr(x, attr), getattr(y, attr), sentence)
        if x.role != y.role:
            change = f"role {x.role} → {y.role}" if x.role and y.role else f"role {y.role} added" if y.role else f"role {x.role} removed"
            edits.add("changed", "field", name, "role", x.role, y.role, f"field {name}: {change}")
        if (x.values or []) != (y.values or []) and set(x.values or []) != set(y.values or []):
            _members("field", f"field {name} values", name, x.values or [], y.values or [], edits)


def _attr_text(attr: str, value: Any, name: str) -> str:
    """A field option as a sentence shows it: ``none`` for no value, a source that is the field's name said so."""
    if value is None:
        return "none"
    if attr == "source" and value == name:
        return f"{name} (the field's name)"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) if value else "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _lists(old: Ruleset, new: Ruleset, edits: _Edits) -> None:
    a, b = old._plan.lists, new._plan.lists
    edits.mapping("list", "list", a, b, lambda v: f" ({len(v)} values)")
    for name in a:
        if name in b and set(a[name]) != set(b[name]):
            _members("list", f"list {name}", name, a[name], b[name], edits)


def _criterion_changes(x: CritPlan, y: CritPlan, edits: _Edits, area: str, rules: tuple[Ruleset, Ruleset]) -> None:
    name = _name(y, area)
    eid = _edit_id(y, area)
    for sentence in _expression_change(x, y, rules):
        edits.add("changed", area, eid, "when", x.checked.text if x.checked else None, y.checked.text if y.checked else None, f"{name}: {sentence}")
    if x.missing != y.missing:
        edits.add("changed", area, eid, "missing", x.missing, y.missing, f"{name}: a missing value now counts as {y.missing} (was {x.missing})")
    bx = x.because.text if x.because else None
    by = y.because.text if y.because else None
    if bx != by:
        edits.add("changed", area, eid, "because", bx, by, f"{name}: explanation {bx!r} → {by!r}")
    if x.group is not None and y.group is not None:
        gx, gy = _group_text(x.group), _group_text(y.group)
        if gx != gy:
            edits.add("changed", area, eid, "condition", gx, gy, f"{name}: needs {gx} → {gy}")


def _name(crit: CritPlan, area: str) -> str:
    """How a sentence names a criterion: its id, or for a score rule ``score fit: rule student``."""
    if area == "rule":
        score, rule = crit.id.split(".", 1)
        return f"score {score}: rule {rule}"
    if area == "flag":
        return f"flag {flag_name(crit.id)}"
    return crit.id


def _edit_id(crit: CritPlan, area: str) -> str:
    """The ``id`` of an edit of a criterion: its full id, or a flag's name (the area says it is a flag)."""
    return flag_name(crit.id) or crit.id if area == "flag" else crit.id


def _flags(old: Ruleset, new: Ruleset, edits: _Edits) -> None:
    a = {flag_name(c.id) or c.id: c for c in old._plan.flags}
    b = {flag_name(c.id) or c.id: c for c in new._plan.flags}
    for name, c in a.items():
        if name not in b:
            text = c.checked.text if c.checked else ""
            edits.add("removed", "flag", name, "", text, None, f"flag {name} removed (was {_said(old, c)})")
    for name, c in b.items():
        if name not in a:
            text = c.checked.text if c.checked else ""
            edits.add("added", "flag", name, "", None, text, f"flag {name} added: {_said(new, c)}")
        else:
            _criterion_changes(a[name], c, edits, "flag", (old, new))


def _shape(group: GroupPlan, keep: set[str]) -> str:
    """A condition's structure over the criteria in ``keep``, order-free: ``all(size, any(ceo, cfo))``."""
    parts = []
    for item in group.items:
        if isinstance(item, CritPlan):
            if item.id in keep:
                parts.append(item.id.split(".", 1)[1])
        else:
            inner = _shape(item, keep)
            if item.crit is not None and item.crit.id in keep:
                inner = f"{item.crit.id.split('.', 1)[1]}={inner}"
            parts.append(inner)
    op = f"at_least_{group.n}" if group.op == "at_least" else group.op
    return f"{op}({', '.join(sorted(parts))})"


def _group_text(group: GroupPlan) -> str:
    return f"at least {group.n}" if group.op == "at_least" else group.op


def _scores(old: Ruleset, new: Ruleset, edits: _Edits) -> None:
    a = {s.name: s for s in old._plan.scores}
    b = {s.name: s for s in new._plan.scores}
    edits.mapping("score", "score", a, b, lambda s: "")
    for name in a:
        if name not in b:
            continue
        x, y = a[name], b[name]
        for attr in ("window", "half_life", "min", "max"):
            if getattr(x, attr) != getattr(y, attr):
                ox, oy = getattr(x, attr), getattr(y, attr)
                edits.add("changed", "score", name, attr, ox, oy, f"score {name}: {attr.replace('_', ' ')} {_duration(ox)} → {_duration(oy)}")
        for kind in x.events:
            if kind not in y.events:
                edits.add("removed", "score", name, f"events.{kind}", x.events[kind], None, f"score {name}: {kind} no longer scores (was {_points(x.events[kind][0])} points)")
        for kind in y.events:
            if kind not in x.events:
                edits.add("added", "score", name, f"events.{kind}", None, y.events[kind], f"score {name}: {kind} scores {_points(y.events[kind][0])} points")
            elif x.events[kind] != y.events[kind]:
                (op, oc), (np_, nc) = x.events[kind], y.events[kind]
                if op != np_:
                    edits.add("changed", "score", name, f"events.{kind}.points", op, np_, f"score {name}: {kind} points {_num(op)} → {_num(np_)}")
                if oc != nc:
                    edits.add("changed", "score", name, f"events.{kind}.max", oc, nc, f"score {name}: {kind} cap {oc} → {nc}")
        rx = {r.id.split(".", 1)[1]: r for r in x.rules}
        ry = {r.id.split(".", 1)[1]: r for r in y.rules}
        for rid, rule in rx.items():
            if rid not in ry:
                edits.add("removed", "rule", rule.id, "", rule.points, None, f"score {name}: rule {rid} removed (was {_points(rule.points)} points)")
        for rid, rule in ry.items():
            if rid not in rx:
                edits.add("added", "rule", rule.id, "", None, rule.points, f"score {name}: rule {rid} added ({_points(rule.points)} points with {_said(new, rule)})")
                continue
            old_rule = rx[rid]
            if old_rule.points != rule.points:
                edits.add("changed", "rule", rule.id, "points", old_rule.points, rule.points, f"score {name}: rule {rid} points {_points(old_rule.points)} → {_points(rule.points)}")
            _criterion_changes(old_rule, rule, edits, "rule", (old, new))


def _points(value: Any) -> str:
    text = _num(value)
    return text if text.startswith("-") else "+" + text


def _duration(value: Any) -> str:
    if value is None:
        return "none"
    if hasattr(value, "total_seconds"):
        seconds = int(value.total_seconds())
        for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
            if seconds % size == 0:
                return f"{seconds // size}{unit}"
        return f"{seconds}s"
    return _num(value)


def _disqualifiers(old: Ruleset, new: Ruleset, edits: _Edits) -> None:
    a = {c.id: c for c in old._plan.disqualify}
    b = {c.id: c for c in new._plan.disqualify}
    for cid, c in a.items():
        if cid not in b:
            edits.add("removed", "disqualifier", cid, "", c.checked.text if c.checked else None, None, f"{cid} removed (was {_said(old, c)})")
    for cid, c in b.items():
        if cid not in a:
            edits.add("added", "disqualifier", cid, "", None, c.checked.text if c.checked else None, f"{cid} added: {_said(new, c)}")
        else:
            _criterion_changes(a[cid], c, edits, "disqualifier", (old, new))


def _stages(old: Ruleset, new: Ruleset, edits: _Edits) -> None:
    a = {s.id: s for s in old._plan.stages}
    b = {s.id: s for s in new._plan.stages}
    for sid in a:
        if sid not in b:
            edits.add("removed", "stage", sid, "", a[sid].label, None, f"stage {sid} removed")
    for sid in b:
        if sid not in a:
            edits.add("added", "stage", sid, "", None, b[sid].label, f"stage {sid} added ({b[sid].label})")
    common_old = [s for s in a if s in b]
    common_new = [s for s in b if s in a]
    if common_old != common_new:
        edits.add("changed", "stage", "*", "order", common_old, common_new, f"stage order {' → '.join(common_old)} changed to {' → '.join(common_new)}")
    for sid in common_new:
        x, y = a[sid], b[sid]
        for attr in ("label", "owner", "sla", "description"):
            if getattr(x, attr) != getattr(y, attr):
                edits.add("changed", "stage", sid, attr, getattr(x, attr), getattr(y, attr), f"stage {sid}: {attr} {getattr(x, attr)} → {getattr(y, attr)}")
        if _group_text(x.cond) != _group_text(y.cond):
            edits.add("changed", "stage", sid, "condition", _group_text(x.cond), _group_text(y.cond), f"stage {sid}: needs {_group_text(x.cond)} of its criteria → {_group_text(y.cond)}")
        cx = {c.id: c for c in walk_criteria(x.cond)}
        cy = {c.id: c for c in walk_criteria(y.cond)}
        common = set(cx) & set(cy)
        sx, sy = _shape(x.cond, common), _shape(y.cond, common)
        if sx != sy and _group_text(x.cond) == _group_text(y.cond):
            edits.add("changed", "stage", sid, "structure", sx, sy, f"stage {sid}: conditions regrouped: {sx} → {sy}")
        for cid, c in cx.items():
            if cid not in cy:
                text = c.checked.text if c.checked else _group_text(c.group) if c.group else ""
                edits.add("removed", "criterion", cid, "", text, None, f"{cid} removed (was {_said(old, c)})")
        for cid, c in cy.items():
            if cid not in cx:
                text = c.checked.text if c.checked else _group_text(c.group) if c.group else ""
                edits.add("added", "criterion", cid, "", None, text, f"{cid} added: {_said(new, c)}")
            else:
                _criterion_changes(cx[cid], c, edits, "criterion", (old, new))


def _ruleset(old: Ruleset, new: Ruleset, edits: _Edits) -> None:
    if old.name != new.name:
        edits.add("changed", "ruleset", "name", "name", old.name, new.name, f"name {old.name} → {new.name}")
    if old.version != new.version:
        edits.add("changed", "ruleset", "version", "version", old.version, new.version, f"version {old.version} → {new.version}")
    if old.description != new.description:
        edits.add("changed", "ruleset", "description", "description", old.description, new.description, "description changed")
    if set(old.owners) != set(new.owners):
        _members("ruleset", "owners", "owners", old.owners, new.owners, edits, "owners")
    if old._plan.missing != new._plan.missing:
        _members("ruleset", "missing markers", "missing", sorted(old._plan.missing), sorted(new._plan.missing), edits, "missing")
    if (old._plan.base.id, old._plan.base.label) != (new._plan.base.id, new._plan.base.label):
        edits.add("changed", "ruleset", "base", "base", old._plan.base.id, new._plan.base.id, f"base stage {old._plan.base.id} → {new._plan.base.id}")


# -- impact on leads --------------------------------------------------------------------------


def _lead_id(ruleset: Ruleset) -> str | None:
    """The input key of the rules' id field (``role: id``), or None."""
    for name, spec in ruleset.fields.items():
        if spec.role == "id":
            return spec.source or name
    return None


def _samples_dict(samples: Iterable[Sample]) -> list[dict[str, Any]]:
    """Sample leads as JSON-ready data: the lead's name and the criteria that flipped."""
    return [{"lead": s.lead, "flipped": [list(f) for f in s.flipped]} for s in samples]


def diff(
    old: Ruleset,
    new: Ruleset,
    leads: Iterable[Mapping[str, Any]] | None = None,
    as_of: datetime | date | str | None = None,
    *,
    samples: int = 3,
    id_field: str | None = None,
) -> RulesDiff:
    """The edits from ``old`` to ``new`` and, with ``leads``, how their stages move.

    Samples name each lead by its id: the column (or dotted path)
    ``id_field`` when given, else the rules' id field (``role: id``, of the
    new rules, else of the old), read where its ``source`` says; a lead
    without one is named by its row number.
    """
    edits = _Edits()
    _ruleset(old, new, edits)
    _fields(old, new, edits)
    _lists(old, new, edits)
    _flags(old, new, edits)
    _scores(old, new, edits)
    _disqualifiers(old, new, edits)
    _stages(old, new, edits)
    result = RulesDiff(
        old=(old.name, old.version, old.digest),
        new=(new.name, new.version, new.digest),
        edits=tuple(edits.items),
        rules=(old, new),
    )
    if leads is None:
        return result
    moment = _as_of(as_of)
    key = id_field or _lead_id(new) or _lead_id(old)
    counts: Counter[tuple[str, str]] = Counter()
    picked: dict[tuple[str, str], list[Sample]] = {}
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    flag_names = list(dict.fromkeys([flag_name(c.id) or c.id for c in new._plan.flags] + [flag_name(c.id) or c.id for c in old._plan.flags]))
    flag_counts: dict[str, Counter[str]] = {f: Counter() for f in flag_names}  # before, after, flagged, unflagged, changed
    flag_samples: dict[str, list[Sample]] = {f: [] for f in flag_names}
    reflagged = 0
    total = 0
    for number, lead in enumerate(leads, 1):
        total += 1
        a = old.evaluate(lead, as_of=moment)
        b = new.evaluate(lead, as_of=moment)
        pair = (a.stage, b.stage)
        counts[pair] += 1
        before[a.stage] += 1
        after[b.stage] += 1
        name: str | None = None
        if a.stage != b.stage and len(picked.setdefault(pair, [])) < samples:
            name = _lead_name(lead, key, number)
            picked[pair].append(Sample(name, _flipped(a.criteria, b.criteria)))
        if flag_names:
            fa, fb = a.flags, b.flags
            changed_any = False
            for flag in flag_names:
                was, now = fa.get(flag), fb.get(flag)
                tally = flag_counts[flag]
                tally["before"] += was is True
                tally["after"] += now is True
                if (was is True) != (now is True):
                    tally["flagged" if now is True else "unflagged"] += 1
                # a flag in one version only changes a lead where it is true; false and unknown both mean "not flagged"
                if was is not now and ((flag in fa and flag in fb) or True in (was, now)):
                    tally["changed"] += 1
                    changed_any = True
                    if len(flag_samples[flag]) < samples:
                        name = name or _lead_name(lead, key, number)
                        cid = f"{FLAG_PREFIX}{flag}"
                        flag_samples[flag].append(Sample(name, ((cid, _FLAG_WORD[was] if flag in fa else "new", _FLAG_WORD[now] if flag in fb else "removed"),)))
            reflagged += changed_any
    order = {s: i for i, s in enumerate(list(dict.fromkeys(old.stage_ids + new.stage_ids)))}
    transitions = tuple(
        Transition(f, t, n, n / total, tuple(picked.get((f, t), ())))
        for (f, t), n in sorted(counts.items(), key=lambda item: (item[0][0] == item[0][1], -item[1], order[item[0][0]], order[item[0][1]]))
    )
    stages = list(dict.fromkeys(old.stage_ids + new.stage_ids))
    totals = tuple((s, before[s], after[s]) for s in stages if before[s] or after[s])
    impacts = tuple(
        FlagImpact(f, c["before"], c["after"], c["flagged"], c["unflagged"], c["changed"], tuple(flag_samples[f])) for f, c in flag_counts.items()
    )
    return RulesDiff(result.old, result.new, result.edits, total, transitions, totals, moment, impacts, reflagged, (old, new))


_FLAG_WORD = {True: "pass", False: "fail", None: "unknown"}  # a flag's outcome as its criterion's (Sample.flipped)


def _lead_name(lead: Mapping[str, Any], key: str | None, number: int) -> str:
    value = lookup(lead, key) if key else None
    return str(value) if value not in (None, "") else f"row {number}"


def _flipped(a: Iterable[Any], b: Iterable[Any]) -> tuple[tuple[str, str, str], ...]:
    """(criterion, old outcome, new outcome) for each criterion whose outcome differs; ``new``/``removed`` for one in one version only."""
    outcomes: dict[str, str] = {c.id: c.outcome for c in a}
    now: dict[str, str] = {c.id: c.outcome for c in b}
    flipped = tuple((cid, outcome, now[cid]) for cid, outcome in outcomes.items() if cid in now and now[cid] != outcome)
    flipped += tuple((cid, outcome, "removed") for cid, outcome in outcomes.items() if cid not in now)
    flipped += tuple((cid, "new", outcome) for cid, outcome in now.items() if cid not in outcomes)
    return flipped

