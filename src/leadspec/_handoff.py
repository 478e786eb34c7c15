"""The hand-off: the stage a lead moved to since the previous run, whose desk it is on, and by when its owner must act.

:meth:`leadspec.Ruleset.evaluate` with ``previous=Previous(stage, since)``
gives a result whose ``handoff`` (:class:`~leadspec.Handoff`) is built
here from the stage's metadata (``owner``, ``sla``), the previous state and
the lead's first touch (the field with ``role: touched``). docs/handoff.md
is the user's reference.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from ._compile import DISQUALIFIED
from ._model import parse_duration
from .result import Direction, Handoff, Previous, StageInfo, _show

if TYPE_CHECKING:
    from .result import Result
    from .ruleset import Ruleset

__all__ = ["checked_previous", "handoff", "handoff_line", "stage_info", "stage_infos"]


def stage_infos(rs: Ruleset) -> dict[str, StageInfo]:
    """Every stage a lead can have, in funnel order: ``disqualified``, the base stage, then the file's stages.

    Built once per ruleset (a hand-off is made for every lead of a nightly run).
    """
    known: dict[str, StageInfo] | None = rs._lazy.get("stage_infos")
    if known is None:
        known = rs._lazy["stage_infos"] = _build_infos(rs)
    return known


def _build_infos(rs: Ruleset) -> dict[str, StageInfo]:
    model = rs.model
    infos = [
        StageInfo(id=DISQUALIFIED, label="Disqualified", rank=0),
        StageInfo(id=model.base.id, label=model.base.label, rank=1),
    ]
    for i, st in enumerate(model.stages):
        infos.append(StageInfo(id=st.id, label=st.label or st.id.upper(), owner=st.owner, sla=st.sla, description=st.description, rank=i + 2))
    return {info.id: info for info in infos}


def stage_info(rs: Ruleset, stage: str) -> StageInfo:
    infos = stage_infos(rs)
    if stage not in infos:
        raise KeyError(f"{stage!r} is not a stage of {rs.name}; its stages: {', '.join(infos)}")
    return infos[stage]


def _moment(value: datetime | date | str, what: str) -> datetime:
    try:
        return _text_moment(value) if isinstance(value, str) else _as_of(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}: {str(exc).replace('as_of ', '')}") from None


@functools.lru_cache(maxsize=1024)
def _text_moment(text: str) -> datetime:
    """ISO 8601 text as an aware UTC datetime; remembered: the leads of one nightly run share a few ``since`` texts."""
    return _as_of(text)


def _as_of(value: datetime | date | str) -> datetime:
    from .ruleset import _as_of as read

    return read(value)


def _absent(value: Any) -> bool:
    """None, NaN or pandas' NaT: no value (as a field's value reads them)."""
    return value is None or value != value  # NaN and NaT are not equal to themselves


def checked_previous(rs: Ruleset, previous: Any, as_of: datetime) -> tuple[str | None, datetime | None]:
    """``previous`` (a :class:`Previous`) as (stage, since in UTC); :class:`ValueError` naming what is wrong."""
    if not isinstance(previous, Previous):
        raise TypeError(f"previous is a leadspec.Previous(stage, since), not {type(previous).__name__}")
    stage = None if _absent(previous.stage) else previous.stage
    since = None if _absent(previous.since) else previous.since
    if stage is not None and not isinstance(stage, str):
        raise TypeError(f"previous.stage is a stage id (text), or None for a lead not seen before, not {type(stage).__name__}")
    if stage is not None:
        infos = stage_infos(rs)
        if stage not in infos:
            raise ValueError(
                f"previous stage {stage!r} is not a stage of {rs.name} (its stages: {', '.join(infos)}); "
                "a stage renamed since the previous run must be mapped to its new id first"
            )
    if stage is None and since is not None:
        raise ValueError("previous.since is given without previous.stage: a lead not seen before has no stage to have entered")
    moment = None if since is None else _moment(since, "previous.since")
    if moment is not None and moment > as_of:
        raise ValueError(
            f"previous.since {_when(moment)} is after as_of {_when(as_of)}: a lead cannot have entered its stage after the moment "
            "it is evaluated at (a previous run with a later --as-of?)"
        )
    return stage, moment


def handoff(rs: Ruleset, stage: str, previous: tuple[str | None, datetime | None], as_of: datetime, touched: datetime | None) -> Handoff:
    infos = stage_infos(rs)
    before, before_since = previous
    now = infos[stage]
    direction: Direction
    if before is None:
        direction = "new"
    else:
        rank = infos[before].rank
        direction = "same" if before == stage else "up" if now.rank > rank else "down"
    since = before_since if direction == "same" else as_of
    due = None
    if since is not None and now.sla is not None:
        try:
            due = since + parse_duration(now.sla)
        except OverflowError:  # a deadline past the year 9999: none a calendar can hold
            due = None
    counted = touched if touched is not None and since is not None and since <= touched <= as_of else None
    overdue = due is not None and (counted or as_of) > due
    return Handoff.model_construct(  # every value made here, of its type: no validation (one a lead of a nightly run)
        previous_stage=before,
        stage=stage,
        direction=direction,
        since=since,
        owner=now.owner,
        previous_owner=None if before is None else infos[before].owner,
        sla=now.sla,
        due=due,
        touched=counted,
        overdue=overdue,
    )


def _when(moment: datetime) -> str:
    return _show(moment.astimezone(timezone.utc))


def handoff_line(result: Result) -> str | None:
    """The hand-off in the explanation: ``Moved up from MQL to SQL: sales owns it (was marketing), due by … (SLA 4h).``"""
    h = result.handoff
    if h is None:
        return None
    infos = stage_infos(result._rs)
    label = infos[h.stage].label
    owner = f"{h.owner} owns it" if h.owner else "no owner"
    if h.direction in ("up", "down") and h.previous_owner != h.owner:
        owner += f" (was {h.previous_owner})" if h.previous_owner else " (had no owner)"
    if h.direction == "new":
        head = f"New lead, in {label}"
    elif h.direction == "same":
        head = f"In {label} since {_when(h.since)}" if h.since is not None else f"Still in {label} (since when is not known)"
    else:
        head = f"Moved {h.direction} from {infos[h.previous_stage].label} to {label}"  # type: ignore[index]
    if h.due is not None:
        clock = f"due by {_when(h.due)} (SLA {h.sla})"
        if h.touched is not None:
            clock += f"; touched {_when(h.touched)}, " + ("after the SLA" if h.overdue else "within the SLA")
        elif h.overdue:
            clock += "; overdue"
    elif h.sla is not None:
        clock = f"SLA {h.sla}, from a start that is not known"
    else:
        clock = "no SLA"
    return f"{head}: {owner}, {clock}."
