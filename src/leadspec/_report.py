"""The outcome report: do the stages the rules assign separate the leads that converted from those that did not?

One pass over the leads (memory does not grow with their number): each lead
is evaluated, its outcome read from a column, and counters kept per stage,
per criterion outcome, per blocking criterion, per missing field and per
feedback value. See docs/outcome-report.md.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from .ruleset import Ruleset

__all__ = ["Band", "Comparison", "CriterionOutcomes", "Cut", "FeedbackCount", "Move", "Report", "RuleThreshold", "ScoreOutcomes", "StageOutcomes", "report"]

Z95 = 1.959963984540054
"""The normal quantile of a two-sided 95% interval."""

POSITIVE = ("1", "true", "yes", "y", "t", "won", "converted")
"""Outcome values that count as positive when ``positive`` is not given (compared trimmed, in lower case)."""

TOP = 5
"""Blocking criteria shown per stage."""

BANDS = 10
"""Score bands of equal width (when the leads have more than ``EACH`` different scores)."""

EACH = 12
"""At most this many different scores: a band each."""

SWEEP = 40
"""Candidate thresholds of a sweep, at most (besides the rules' own)."""

SCORE_DIGITS = 2
"""Scores are counted rounded down to this many decimals (a decayed score is continuous: the count stays bounded, and a
score below a threshold stays below it)."""

FEEDBACK_VALUES = 200
"""Different feedback values counted per stage: the others are counted together as :data:`OTHER` (free text stays bounded)."""

OTHER = "(other values)"

OUTCOME_VALUES = 20
"""Different values of the outcome column counted (to say which there are when none is positive)."""


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
    passed: int = Field(serialization_alias="pass", validation_alias=AliasChoices("pass", "passed"))
    """Leads it passed for (``pass`` in JSON: a Python keyword)."""
    failed: int = Field(serialization_alias="fail", validation_alias=AliasChoices("fail", "failed"))
    unknown: int
    rate_pass: float | None
    """The outcome rate of the leads it passed for (None without any outcome among them)."""
    rate_fail: float | None
    rate_unknown: float | None
    lift: float | None
    """``rate_pass`` / ``rate_fail``: above 1 the criterion picks leads that convert more (None when either is not defined
    or ``rate_fail`` is 0)."""


class Band(_Frozen):
    """Leads whose score lies in ``[low, high)`` (the last band includes ``high``), and their outcome."""

    low: float
    high: float
    count: int
    with_outcome: int
    positive: int
    outcome_rate: float | None


class Cut(_Frozen):
    """The leads whose score is at least ``threshold``: how many, and their outcome rate."""

    threshold: float
    count: int
    share: float
    with_outcome: int
    positive: int
    outcome_rate: float | None


class RuleThreshold(_Frozen):
    """A comparison of the score with a number in a criterion of the rules (``score('fit') >= 40``)."""

    criterion: str
    op: str
    value: float


class ScoreOutcomes(_Frozen):
    """One score: the outcome rate by score band, the thresholds the rules compare it with, and a sweep of thresholds."""

    name: str
    bands: list[Band]
    """Every score the leads had when there are at most 12 of them, else 10 bands of equal width."""
    thresholds: list[RuleThreshold]
    sweep: list[Cut]
    """For each candidate threshold (the scores the leads had, at most 40 of them, and the rules' thresholds): the leads at
    or above it and their outcome rate — where conversion changes, and what moving a threshold would do."""


class FeedbackCount(_Frozen):
    """How often one feedback value (sales' reason) came with the leads of one stage."""

    stage: str
    value: str
    count: int
    share: float
    """``count`` / the stage's leads with a feedback value."""


class Move(_Frozen):
    """The leads one version of the rules puts in ``from_stage`` and the other in ``to_stage``, and their outcome."""

    from_stage: str
    to_stage: str
    count: int
    with_outcome: int
    positive: int
    outcome_rate: float | None


class Comparison(_Frozen):
    """The report's leads under another version of the rules (``compare``): its funnel, and the leads that change stage."""

    ruleset: str
    version: str | None
    digest: str
    stages: list[StageOutcomes]
    """The other version's funnel, as :attr:`Report.stages` (without ``blocked_by`` and values)."""
    moves: list[Move]
    """From the other version's stage to this one's, for the leads whose stage differs, most leads first."""


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
    outcome_values: list[tuple[str, int]] = []
    """The outcome column's values and how many leads had each, most first (the first 20 different values met)."""
    values_unread: int = 0
    """With ``value``: leads whose value cell holds text that is not a number (``$300``, ``1.234,56``): in no sum."""
    stages: list[StageOutcomes]
    """The funnel: the base stage, then the stages in file order, then ``disqualified``."""
    rate_rises_with_stage: bool | None
    """Whether the outcome rate never falls from one funnel stage to the next (``disqualified`` left out; stages
    without an outcome skipped; None with fewer than two)."""
    criteria: list[CriterionOutcomes]
    scores: list[ScoreOutcomes]
    missing: list[tuple[str, int]]
    """Fields whose absence made a criterion unknown, with how many leads lacked each, most often first."""
    feedback: list[FeedbackCount]
    value: str | None = None
    feedback_column: str | None = None
    compared: Comparison | None = None
    """With ``compare``: the same leads under the other version of the rules."""

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (its schema: :meth:`json_schema`)."""
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema of :meth:`to_dict` (``leadspec schema --report``; a copy in docs/report.schema.json)."""
        out: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
        out.update(cls.model_json_schema(mode="serialization"))
        out["title"] = "leadspec outcome report"
        return out

    def to_markdown(self) -> str:
        return _markdown(self)

    def to_html(self) -> str:
        """One self-contained HTML page (charts by plotly, its JavaScript inline: it opens with no network access).

        Needs plotly: ``pip install 'leadspec[report]'``."""
        from ._report_html import page

        return page(self)


def wilson(positive: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of ``positive`` / ``total`` (None when ``total`` is 0)."""
    if total <= 0:
        return None
    p = positive / total
    denominator = 1 + z * z / total
    center = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    low = 0.0 if positive == 0 else max(0.0, center - half)  # exactly 0 and 1 at the ends (not 5.6e-17 and 0.9999999999999999)
    high = 1.0 if positive == total else min(1.0, center + half)
    return (low, high)


def _rate(positive: int, total: int) -> float | None:
    return positive / total if total else None


NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
"""A number as text: digits, a decimal point, an exponent (no thousands separators but the grouped form below)."""

GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
"""A number with commas between groups of three digits (1,234,567.89): the commas are dropped."""


def _number(value: Any) -> float | None:
    """A finite number from a cell (a number, or text that is one: ``1234.5``, ``1,234.5``, ``1e3``), else None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        if isinstance(value, (int, float)):
            number = float(value)
        else:
            text = str(value).strip()
            if GROUPED.fullmatch(text):
                text = text.replace(",", "")
            elif not NUMBER.fullmatch(text):
                return None
            number = float(text)
    except (OverflowError, ValueError):  # an integer too large for a float
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    """A cell as trimmed text (None for no value); a whole number stored as a float is written as an integer (1.0: "1")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
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
    compare: Ruleset | None = None,
) -> Report:
    """Evaluate ``leads`` with ``rules`` and compare the stages and criteria with what actually happened.

    ``outcome``: the column that says what happened to a lead (e.g. ``Converted``); a lead
    whose cell is empty has no outcome and counts in no rate. ``positive``: the values of
    that column that mean success (compared trimmed and without regard to case; default
    1, true, yes, y, t, won, converted). ``feedback``: a column of sales' feedback (e.g.
    rejection reasons), counted per stage. ``value``: a column of amounts (deal value),
    summed and averaged per stage. ``as_of``: the moment of evaluation, as in
    :meth:`Ruleset.evaluate` (default: now, the same for every lead). ``compare``: another
    version of the rules (the one before a change): each lead is evaluated with it too, and
    the report holds its funnel and the outcome rate of the leads the two versions place
    in different stages.
    """
    from .ruleset import _as_of

    moment = _as_of(as_of)
    plan = rules.plan
    if isinstance(positive, str):  # one value, not its letters
        positive = [positive]
    wanted = {str(v).strip().lower() for v in (positive if positive is not None else POSITIVE)}
    wanted_numbers = {n for n in map(_number, wanted) if n is not None}  # "1" is 1.0 and 1 too
    order = [plan.base.id, *(s.id for s in plan.stages), "disqualified"]
    labels = {plan.base.id: plan.base.label, **{s.id: s.label for s in plan.stages}, "disqualified": "Disqualified"}
    count: Counter[str] = Counter()
    known: Counter[str] = Counter()
    good: Counter[str] = Counter()
    value_sum: defaultdict[str, float] = defaultdict(float)
    value_n: Counter[str] = Counter()
    value_mean: defaultdict[str, float] = defaultdict(float)
    blocked: defaultdict[str, Counter[str]] = defaultdict(Counter)
    criteria = list(plan.criteria)
    outcomes = [{True: [0, 0, 0], False: [0, 0, 0], None: [0, 0, 0]} for _ in criteria]  # leads, with outcome, positive
    missing: Counter[str] = Counter()
    said: defaultdict[str, Counter[str]] = defaultdict(Counter)
    seen_outcomes: Counter[str] = Counter()  # the outcome column's values (the first OUTCOME_VALUES different ones)
    unread_values = 0
    before: Counter[str] = Counter()
    before_known: Counter[str] = Counter()
    before_good: Counter[str] = Counter()
    moved: defaultdict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    scored: list[defaultdict[float, list[int]]] = [defaultdict(lambda: [0, 0, 0]) for _ in plan.scores]  # value: leads, with outcome, positive
    total = 0
    for lead in leads:
        total += 1
        result = rules.evaluate(lead, as_of=moment)
        stage = result.stage
        count[stage] += 1
        cell = _text(lead.get(outcome))
        has = cell is not None
        hit = has and (str(cell).lower() in wanted or _number(cell) in wanted_numbers)
        if has and (cell in seen_outcomes or len(seen_outcomes) < OUTCOME_VALUES):
            seen_outcomes[str(cell)] += 1
        known[stage] += has
        good[stage] += hit
        if compare is not None:
            old = compare.evaluate(lead, as_of=moment).stage
            before[old] += 1
            before_known[old] += has
            before_good[old] += hit
            if old != stage:
                move = moved[(old, stage)]
                move[0] += 1
                move[1] += has
                move[2] += hit
        if value is not None:
            raw = lead.get(value)
            amount = _number(raw)
            if amount is not None:
                value_n[stage] += 1
                value_sum[stage] += amount
                value_mean[stage] += (amount - value_mean[stage]) / value_n[stage]  # a running mean: no overflow
            elif _text(raw) is not None:
                unread_values += 1
        step = result.next
        if step is not None:
            blocked[stage].update(step.blocked_by)
        for crit, tally in zip(criteria, outcomes):
            row = tally[result._outcome(crit)]
            row[0] += 1
            row[1] += has
            row[2] += hit
        for tally_of, score in zip(scored, result._score_totals()):
            try:
                point = math.floor(round(float(score) * 10**SCORE_DIGITS, 6)) / 10**SCORE_DIGITS
            except (OverflowError, ValueError):  # a score beyond a float, or not a number: in no band
                continue
            if not math.isfinite(point):
                continue
            cell_of = tally_of[point]
            cell_of[0] += 1
            cell_of[1] += has
            cell_of[2] += hit
        missing.update(result.missing)
        if feedback is not None:
            note = _text(lead.get(feedback))
            if note is not None:
                heard = said[stage]
                heard[note if note in heard or len(heard) < FEEDBACK_VALUES else OTHER] += 1
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
                value_sum=value_sum[sid] if value is not None and value_n[sid] and math.isfinite(value_sum[sid]) else None,
                value_mean=value_mean[sid] if value is not None and value_n[sid] else None,
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
    scores = [_score(sp.name, tally_of, _thresholds(plan, sp.name), total) for sp, tally_of in zip(plan.scores, scored)]
    notes = []
    for sid in order:
        notes_of = said[sid]
        total_heard = sum(notes_of.values())
        for note, n in sorted(notes_of.items(), key=lambda kv: (kv[0] == OTHER, -kv[1], kv[0])):  # the other values last
            notes.append(FeedbackCount(stage=sid, value=note, count=n, share=n / total_heard))
    with_outcome, positives = sum(known.values()), sum(good.values())
    compared = None
    if compare is not None:
        other = compare.plan
        other_order = [other.base.id, *(st.id for st in other.stages), "disqualified"]
        other_labels = {other.base.id: other.base.label, **{st.id: st.label for st in other.stages}, "disqualified": "Disqualified"}
        compared = Comparison(
            ruleset=compare.name,
            version=compare.version,
            digest=compare.digest,
            stages=[
                StageOutcomes(
                    id=sid,
                    label=other_labels[sid],
                    count=before[sid],
                    share=before[sid] / total if total else 0.0,
                    with_outcome=before_known[sid],
                    positive=before_good[sid],
                    outcome_rate=_rate(before_good[sid], before_known[sid]),
                    interval=wilson(before_good[sid], before_known[sid]),
                )
                for sid in other_order
            ],
            moves=[
                Move(from_stage=a, to_stage=b, count=n, with_outcome=k, positive=hit, outcome_rate=_rate(hit, k))
                for (a, b), (n, k, hit) in sorted(moved.items(), key=lambda kv: (-kv[1][0], kv[0]))
            ],
        )
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
        outcome_values=sorted(seen_outcomes.items(), key=lambda kv: (-kv[1], kv[0])),
        values_unread=unread_values,
        stages=stages,
        rate_rises_with_stage=rising,
        criteria=crits,
        scores=scores,
        missing=sorted(missing.items(), key=lambda kv: (-kv[1], kv[0])),
        feedback=notes,
        value=value,
        feedback_column=feedback,
        compared=compared,
    )


def _thresholds(plan: Any, name: str) -> list[RuleThreshold]:
    """The numbers the rules' criteria compare ``score(name)`` with."""
    from ._functions import FUNCTIONS
    from .plan import Call, Compare, Const, walk

    def is_score(node: Any) -> bool:  # a call of the function that reads a score by its name (the registry says which)
        function = FUNCTIONS.get(node.fn) if isinstance(node, Call) else None
        return function is not None and function.takes == "score_name" and len(node.args) == 1 and isinstance(node.args[0], Const) and node.args[0].value == name

    flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
    found = []
    for crit in plan.criteria:
        if crit.expr is None:
            continue
        for node in walk(crit.expr):
            if not isinstance(node, Compare):
                continue
            for op, left, right in zip(node.ops, node.operands, node.operands[1:]):
                if op not in flip:
                    continue
                if is_score(left) and isinstance(right, Const) and isinstance(right.value, (int, float)) and not isinstance(right.value, bool):
                    found.append(RuleThreshold(criterion=crit.id, op=op, value=float(right.value)))
                elif is_score(right) and isinstance(left, Const) and isinstance(left.value, (int, float)) and not isinstance(left.value, bool):
                    found.append(RuleThreshold(criterion=crit.id, op=flip[op], value=float(left.value)))
    return found


def _score(name: str, tally: Mapping[float, list[int]], thresholds: list[RuleThreshold], total: int) -> ScoreOutcomes:
    values = sorted(tally)
    bands: list[Band] = []
    if values and len(values) <= EACH:
        for v in values:
            n, k, hit = tally[v]
            bands.append(Band(low=v, high=v, count=n, with_outcome=k, positive=hit, outcome_rate=_rate(hit, k)))
    elif values:
        low, high = values[0], values[-1]
        edges = [low + (high - low) * i / BANDS for i in range(BANDS)] + [high]
        sums = [[0, 0, 0] for _ in range(BANDS)]
        for v in values:
            i = min(BANDS - 1, bisect_right(edges, v) - 1)  # [edge i, edge i+1); the last band holds the highest score
            for j in range(3):
                sums[i][j] += tally[v][j]
        for i, (n, k, hit) in enumerate(sums):
            bands.append(Band(low=edges[i], high=edges[i + 1], count=n, with_outcome=k, positive=hit, outcome_rate=_rate(hit, k)))
    step = max(1, math.ceil(len(values) / SWEEP))
    candidates = sorted(set(values[::step]) | {t.value for t in thresholds})
    sweep = []
    for t in candidates:
        n = k = hit = 0
        for v in values:
            if v >= t:
                n += tally[v][0]
                k += tally[v][1]
                hit += tally[v][2]
        sweep.append(Cut(threshold=t, count=n, share=n / total if total else 0.0, with_outcome=k, positive=hit, outcome_rate=_rate(hit, k)))
    return ScoreOutcomes(name=name, bands=bands, thresholds=thresholds, sweep=sweep)


def _pct(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.1%}"


def _num(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def _md(text: str) -> str:
    """Text for a Markdown table cell or line: no line break (CommonMark ends a line at \\r too), no pipe, no raw HTML."""
    return re.sub(r"[\r\n\u2028\u2029\x85]+", " ", text).replace("|", "\\|").replace("<", "&lt;")


def _markdown(r: Report) -> str:
    lines = [
        f"# Outcome report: {_md(r.ruleset)}" + (f" {_md(r.version)}" if r.version else ""),
        "",
        f"{r.leads:,} leads evaluated as of {r.as_of}; outcome `{_md(r.outcome)}` known for {r.with_outcome:,}, "
        f"positive ({', '.join(r.positive_values)}) for {r.positive:,}: {_pct(r.outcome_rate)}. Rules digest `{r.digest[:19]}`.",
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
    for score in r.scores:
        lines += ["", f"## Score `{_md(score.name)}`", ""]
        if score.thresholds:
            lines.append("The rules compare it with: " + ", ".join(f"`{t.criterion}` ({t.op} {_num(t.value)})" for t in score.thresholds) + ".")
            lines.append("")
        lines += ["| score | leads | with outcome | outcome rate |", "|---|---:|---:|---:|"]
        for band in score.bands:
            where = _num(band.low) if band.low == band.high else f"{_num(band.low)} – {_num(band.high)}"
            lines.append(f"| {where} | {band.count:,} | {band.with_outcome:,} | {_pct(band.outcome_rate)} |")
        lines += ["", "| threshold (score at least) | leads | share | outcome rate | |", "|---:|---:|---:|---:|---|"]
        marks = {t.value: ", ".join(f"`{x.criterion}` ({x.op} {_num(x.value)})" for x in score.thresholds if x.value == t.value) for t in score.thresholds}
        for cut in score.sweep:
            mark = f"the rules: {marks[cut.threshold]}" if cut.threshold in marks else ""
            lines.append(f"| {_num(cut.threshold)} | {cut.count:,} | {cut.share:.1%} | {_pct(cut.outcome_rate)} | {mark} |")
    if r.compared is not None:
        other = r.compared
        lines += ["", f"## Compared with {_md(other.ruleset)}" + (f" {_md(other.version)}" if other.version else "") + f" (`{other.digest[:19]}`)", ""]
        lines += ["| stage | leads before | outcome rate before | leads now | outcome rate now |", "|---|---:|---:|---:|---:|"]
        now = {st.id: st for st in r.stages}
        then = {st.id: st for st in other.stages}
        for sid in list(now) + [sid for sid in then if sid not in now]:
            a, b = then.get(sid), now.get(sid)
            lines.append(
                f"| `{sid}` | {'–' if a is None else f'{a.count:,}'} | {_pct(None if a is None else a.outcome_rate)} | "
                f"{'–' if b is None else f'{b.count:,}'} | {_pct(None if b is None else b.outcome_rate)} |"
            )
        lines += ["", "Leads that change stage:", ""]
        if other.moves:
            lines += ["| before → now | leads | with outcome | outcome rate |", "|---|---:|---:|---:|"]
            lines += [f"| `{m.from_stage}` → `{m.to_stage}` | {m.count:,} | {m.with_outcome:,} | {_pct(m.outcome_rate)} |" for m in other.moves]
        else:
            lines.append("None: every lead keeps its stage.")
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
