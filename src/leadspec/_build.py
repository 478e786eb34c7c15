"""The checked rules as the public :class:`leadspec.plan.Plan`: frozen, typed, located."""

from __future__ import annotations

from typing import Any

from . import plan as _plan
from ._check import CritPlan, GroupPlan, Plan, Template
from ._model import parse_duration
from ._yaml import Positions, format_path

__all__ = ["public_plan"]


def public_plan(plan: Plan, positions: Positions) -> _plan.Plan:
    """The checked rules as the public, frozen :class:`leadspec.plan.Plan`."""

    def location(path: tuple[Any, ...]) -> _plan.Location:
        line, column = positions.of(path)
        return _plan.Location(line, column, format_path(path))

    def template(t: Template | None) -> _plan.Template | None:
        if t is None:
            return None
        return _plan.Template(t.text, tuple(p if isinstance(p, str) else p.expr for p in t.parts))

    done: dict[int, _plan.Criterion] = {}

    def criterion(c: CritPlan) -> _plan.Criterion:
        if c.index not in done:
            done[c.index] = _plan.Criterion(
                index=c.index,
                id=c.id,
                expr=c.checked.expr if c.checked is not None else None,
                when=c.checked.text if c.checked is not None else None,
                because=template(c.because),
                missing=c.missing,  # type: ignore[arg-type]
                location=location(c.path),
                points=c.points,
            )
        return done[c.index]

    def group(g: GroupPlan) -> _plan.Group:
        items = tuple(group(i) if isinstance(i, GroupPlan) else criterion(i) for i in g.items)
        return _plan.Group(g.op, items, g.n, criterion(g.crit) if g.crit is not None else None)  # type: ignore[arg-type]

    model = plan.model
    markers = tuple(sorted(plan.missing))
    fields = tuple(
        _plan.FieldPlan(
            name=c.name,
            type=c.spec.type,
            source=c.source,
            default=_plan.freeze(c.spec.default),
            missing=markers,
            values=tuple(c.spec.values) if c.spec.values is not None else None,
            format=c.spec.formats(),
            min=c.spec.min,
            max=c.spec.max,
            description=c.spec.description,
            location=location(("fields", c.name)),
            role=c.spec.role,
        )
        for c in plan.coercers
    )
    scores = tuple(
        _plan.ScorePlan(
            index=s.index,
            name=s.name,
            window=s.window,
            half_life=s.half_life,
            events=tuple(_plan.EventPoints(kind, points, cap) for kind, (points, cap) in s.events.items()),
            rules=tuple(criterion(r) for r in s.rules),
            min=s.min,
            max=s.max,
        )
        for s in plan.scores
    )
    flags = tuple(criterion(c) for c in plan.flags)
    disqualify = tuple(criterion(c) for c in plan.disqualify)
    stages = tuple(
        _plan.StagePlan(
            index=st.index,
            id=st.id,
            label=st.label,
            owner=st.owner,
            sla=parse_duration(st.sla) if st.sla else None,
            description=st.description,
            condition=group(st.cond),
            location=location(st.path),
        )
        for st in plan.stages
    )
    return _plan.Plan(
        name=model.name,
        version=model.version,
        description=model.description,
        owners=tuple(model.owners),
        fields=fields,
        lists=tuple(_plan.NamedList(name, _plan.freeze(values)) for name, values in plan.lists.items()),
        missing=markers,
        events_field=plan.events_field,
        scores=scores,
        disqualify=disqualify,
        base=_plan.Base(plan.base.id, plan.base.label),
        stages=stages,
        flags=flags,
    )
