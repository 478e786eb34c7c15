"""The outcome report: do the stages the rules assign separate the leads that converted from those that did not?

One pass over the leads (memory does not grow with their number): each lead
is evaluated, its outcome read from a column, and counters kept per stage,
per criterion outcome, per blocking criterion, per missing field and per
feedback value. See docs/outcome-report.md.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from .ruleset import Ruleset

__all__ = ["CriterionOutcomes", "FeedbackCount", "Report", "StageOutcomes", "report"]

Z95 = 1.959963984540054
"""The normal quantile of a two-sided 95% interval."""

POSITIVE = ("1", "true", "yes", "y", "t", "won", "converted")
"""Outcome values that count as positive when ``positive`` is not given (compared trimmed, in lower case)."""

TOP = 5
"""Blocking criteria shown per stage."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StageOutcomes(_Frozen):
    """One stage of the funnel: how many leads it holds and how many of them had the outcome."""

    id: str
    label: str
    count: int
    """Leads the rules put in this stage."""
    share: float
    """``count`` / all leads."""
    with_outcome: int
    """Leads of the stage whose outcome column has a value."""
    positive: int
    """Leads of the stage whose outcome is positive."""
    outcome_rate: float | None
    """``positive`` / ``with_outcome`` (None without any outcome)."""
    interval: tuple[float, float] | None
    """The 95% Wilson score interval of ``outcome_rate``."""
    value_sum: float | None = None
    """With ``value``: the sum of the value column over the stage's leads that have a number there."""
    value_mean: float | None = None
    blocked_by: list[tuple[str, int]] = []
    """The criteria that most often keep this stage's leads from the next stage (at most 5), with their counts."""


class CriterionOutcomes(_Frozen):
    """One criterion: how often it passed, failed or was unknown, and the outcome rate of each group."""

    id: str
    passed: int = Field(serialization_alias="pass")
    """Leads it passed for (``pass`` in JSON: a Python keyword)."""
    failed: int = Field(serialization_alias="fail")
    unknown: int
    rate_pass: float | None
    """The outcome rate of the leads it passed for (None without any outcome among them)."""
    rate_fail: float | None
    rate_unknown: float | None
    lift: float | None
    """``rate_pass`` / ``rate_fail``: above 1 the criterion picks leads that convert more (None when either is not defined
    or ``rate_fail`` is 0)."""


class FeedbackCount(_Frozen):
    """How often one feedback value (sales' reason) came with the leads of one stage."""

    stage: str
    value: str
    count: int
    share: float
    """``count`` / the stage's leads with a feedback value."""


class Report(_Frozen):
    """The numbers of the outcome report (see :func:`report`)."""

    ruleset: str
    version: str | None
    digest: str
    as_of: str
    outcome: str
    positive_values: list[str]
    leads: int
    with_outcome: int
    positive: int
    outcome_rate: float | None
    stages: list[StageOutcomes]
    """The funnel: the base stage, then the stages in file order, then ``disqualified``."""
    rate_rises_with_stage: bool | None
    """Whether the outcome rate never falls from one funnel stage to the next (``disqualified`` left out; stages
    without an outcome skipped; None with fewer than two)."""
    criteria: list[CriterionOutcomes]
    missing: list[tuple[str, int]]
    """Fields whose absence made a criterion unknown, with how many leads lacked each, most often first."""
    feedback: list[FeedbackCount]
    value: str | None = None
    feedback_column: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (its schema: ``Report.model_json_schema(mode="serialization")``)."""
        return self.model_dump(mode="json", by_alias=True)

    def to_markdown(self) -> str:
        return _markdown(self)


def wilson(positive: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of ``positive`` / ``total`` (None when ``total`` is 0)."""
    if total <= 0:
        return None
    p = positive / total
    denominator = 1 + z * z / total
    center = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return (max(0.0, center - half), min(1.0, center + half))


def _rate(positive: int, total: int) -> float | None:
    return positive / total if total else None


def _number(value: Any) -> float | None:
    """A finite number from a cell (text or number), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        try:
            number = float(str(value).strip().replace(",", ""))
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    """A cell as trimmed text (None for no value)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def report(
    rules: Ruleset,
    leads: Iterable[Mapping[str, Any]],
    *,
    outcome: str,
    positive: Sequence[str] | None = None,
    feedback: str | None = None,
    value: str | None = None,
    as_of: datetime | date | str | None = None,
) -> Report:
    """Evaluate ``leads`` with ``rules`` and compare the stages and criteria with what actually happened.

    ``outcome``: the column that says what happened to a lead (e.g. ``Converted``); a lead
    whose cell is empty has no outcome and counts in no rate. ``positive``: the values of
    that column that mean success (compared trimmed and without regard to case; default
    1, true, yes, y, t, won, converted). ``feedback``: a column of sales' feedback (e.g.
    rejection reasons), counted per stage. ``value``: a column of amounts (deal value),
    summed and averaged per stage. ``as_of``: the moment of evaluation, as in
    :meth:`Ruleset.evaluate` (default: now, the same for every lead).
    """
    from .ruleset import _as_of

    moment = _as_of(as_of)
    plan = rules.plan
    wanted = {str(v).strip().lower() for v in (positive if positive is not None else POSITIVE)}
    order = [plan.base.id, *(s.id for s in plan.stages), "disqualified"]
    labels = {plan.base.id: plan.base.label, **{s.id: s.label for s in plan.stages}, "disqualified": "Disqualified"}
    count: Counter[str] = Counter()
    known: Counter[str] = Counter()
    good: Counter[str] = Counter()
    value_sum: defaultdict[str, float] = defaultdict(float)
    value_n: Counter[str] = Counter()
    blocked: defaultdict[str, Counter[str]] = defaultdict(Counter)
    criteria = list(plan.criteria)
    outcomes = [{True: [0, 0, 0], False: [0, 0, 0], None: [0, 0, 0]} for _ in criteria]  # leads, with outcome, positive
    missing: Counter[str] = Counter()
    said: defaultdict[str, Counter[str]] = defaultdict(Counter)
    total = 0
    for lead in leads:
        total += 1
        result = rules.evaluate(lead, as_of=moment)
        stage = result.stage
        count[stage] += 1
        cell = _text(lead.get(outcome))
        has = cell is not None
        hit = has and str(cell).lower() in wanted
        known[stage] += has
        good[stage] += hit
        if value is not None:
            amount = _number(lead.get(value))
            if amount is not None:
                value_sum[stage] += amount
                value_n[stage] += 1
        step = result.next
        if step is not None:
            blocked[stage].update(step.blocked_by)
        for crit, tally in zip(criteria, outcomes):
            row = tally[result._outcome(crit)]
            row[0] += 1
            row[1] += has
            row[2] += hit
        missing.update(result.missing)
        if feedback is not None:
            note = _text(lead.get(feedback))
            if note is not None:
                said[stage][note] += 1
    stages = []
    for sid in order:
        n = count[sid]
        stages.append(
            StageOutcomes(
                id=sid,
                label=labels[sid],
                count=n,
                share=n / total if total else 0.0,
                with_outcome=known[sid],
                positive=good[sid],
                outcome_rate=_rate(good[sid], known[sid]),
                interval=wilson(good[sid], known[sid]),
                value_sum=value_sum[sid] if value is not None and value_n[sid] else None,
                value_mean=value_sum[sid] / value_n[sid] if value is not None and value_n[sid] else None,
                blocked_by=sorted(blocked[sid].items(), key=lambda kv: (-kv[1], kv[0]))[:TOP],
            )
        )
    rates = [s.outcome_rate for s in stages if s.id != "disqualified" and s.outcome_rate is not None]
    rising = all(a <= b for a, b in zip(rates, rates[1:])) if len(rates) >= 2 else None
    crits = []
    for crit, tally in zip(criteria, outcomes):
        rp, rf, ru = (_rate(tally[o][2], tally[o][1]) for o in (True, False, None))
        crits.append(
            CriterionOutcomes(
                id=crit.id,
                passed=tally[True][0],
                failed=tally[False][0],
                unknown=tally[None][0],
                rate_pass=rp,
                rate_fail=rf,
                rate_unknown=ru,
                lift=rp / rf if rp is not None and rf else None,
            )
        )
    notes = []
    for sid in order:
        heard = sum(said[sid].values())
        for note, n in sorted(said[sid].items(), key=lambda kv: (-kv[1], kv[0])):
            notes.append(FeedbackCount(stage=sid, value=note, count=n, share=n / heard))
    with_outcome, positives = sum(known.values()), sum(good.values())
    return Report(
        ruleset=rules.name,
        version=rules.version,
        digest=rules.digest,
        as_of=moment.isoformat(),
        outcome=outcome,
        positive_values=sorted(wanted),
        leads=total,
        with_outcome=with_outcome,
        positive=positives,
        outcome_rate=_rate(positives, with_outcome),
        stages=stages,
        rate_rises_with_stage=rising,
        criteria=crits,
        missing=sorted(missing.items(), key=lambda kv: (-kv[1], kv[0])),
        feedback=notes,
        value=value,
        feedback_column=feedback,
    )


def _pct(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.1%}"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(r: Report) -> str:
    lines = [
        f"# Outcome report: {_md(r.ruleset)}" + (f" {_md(r.version)}" if r.version else ""),
        "",
        f"{r.leads:,} leads evaluated as of {r.as_of}; outcome `{_md(r.outcome)}` known for {r.with_outcome:,}, "
        f"positive ({', '.join(r.positive_values)}) for {r.positive:,}: {_pct(r.outcome_rate)}. Rules digest `{r.digest[:12]}`.",
        "",
        "## The funnel",
        "",
        "| stage | leads | share | with outcome | positive | outcome rate | 95% interval |" + (" value sum | value mean |" if r.value else ""),
        "|---|---:|---:|---:|---:|---:|---|" + ("---:|---:|" if r.value else ""),
    ]
    for s in r.stages:
        interval = "–" if s.interval is None else f"{s.interval[0]:.1%} – {s.interval[1]:.1%}"
        row = f"| {_md(s.label)} (`{s.id}`) | {s.count:,} | {s.share:.1%} | {s.with_outcome:,} | {s.positive:,} | {_pct(s.outcome_rate)} | {interval} |"
        if r.value:
            row += f" {'–' if s.value_sum is None else f'{s.value_sum:,.2f}'} | {'–' if s.value_mean is None else f'{s.value_mean:,.2f}'} |"
        lines.append(row)
    rising = {True: "yes", False: "no", None: "not enough stages with an outcome to say"}[r.rate_rises_with_stage]
    lines += ["", f"Does the outcome rate rise with the stage? {rising}.", "", "## Criteria", ""]
    lines += ["| criterion | pass | fail | unknown | rate when pass | rate when fail | rate when unknown | lift |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for c in r.criteria:
        lift = "–" if c.lift is None else f"{c.lift:.2f}"
        lines.append(f"| `{c.id}` | {c.passed:,} | {c.failed:,} | {c.unknown:,} | {_pct(c.rate_pass)} | {_pct(c.rate_fail)} | {_pct(c.rate_unknown)} | {lift} |")
    lines += ["", "## What keeps leads from the next stage", ""]
    shown = False
    for s in r.stages:
        if s.blocked_by:
            shown = True
            lines.append(f"- {_md(s.label)}: " + ", ".join(f"`{cid}` {n:,}" for cid, n in s.blocked_by))
    if not shown:
        lines.append("Nothing: every lead reached the last stage or was disqualified.")
    lines += ["", "## Fields most often missing", ""]
    lines += [f"- `{name}`: {n:,} leads" for name, n in r.missing[:10]] or ["None."]
    if r.feedback_column is not None:
        lines += ["", f"## Feedback (`{_md(r.feedback_column)}`) per stage", "", "| stage | feedback | leads | share |", "|---|---|---:|---:|"]
        lines += [f"| `{f.stage}` | {_md(f.value)} | {f.count:,} | {f.share:.1%} |" for f in r.feedback]
    return "\n".join(lines) + "\n"
