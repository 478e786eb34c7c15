"""The query: criteria and their ``missing:`` policies, groups, stages, the stage reached, what blocks the
next stage, what is missing, the issues, the reasons, and the output columns.

Each part follows the Python engine's own definition (``leadspec.result``):
an outcome is a SQL BOOLEAN (TRUE pass, FALSE fail, NULL unknown) and the
groups are SQL's own Kleene ``AND``/``OR``/``NOT``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlglot import exp

from ..plan import Criterion, FlagName, Group, ScorePlan, flag_name, walk
from . import _events, _expr, _text
from ._ctx import Ctx, FieldCols, any_true, balanced, case, column, is_true, null, text

DISQUALIFIED = "disqualified"


@dataclass
class Outcomes:
    """The columns of the criteria: outcome after the policy (BOOLEAN), whether it raised, its value before the policy."""

    outcome: dict[int, exp.Expr] = field(default_factory=dict)  # criterion index -> BOOLEAN after the policy (NULL on error)
    error: dict[int, exp.Expr] = field(default_factory=dict)  # criterion index -> BOOLEAN: it raised (only criteria that can)
    raw: dict[int, exp.Expr] = field(default_factory=dict)  # criterion index -> BOOLEAN before the policy (disqualifiers with a policy)


def _policy(value: exp.Expr, missing: str) -> exp.Expr:
    if missing == "unknown":
        return value
    return exp.Coalesce(this=value, expressions=[exp.true() if missing == "pass" else exp.false()])


def add_criterion(ctx: Ctx, crit: Criterion, out: Outcomes, *, keep_raw: bool = False) -> None:
    """Add a criterion's columns to the current layer: its outcome, and whether it raised."""
    assert crit.expr is not None
    val = _expr.truth(ctx, _expr.compile_expr(ctx, crit.expr, crit.id), crit.expr)
    outcome = _policy(val.value, crit.missing)
    if val.error is not None:
        err = ctx.chain.put(f"err_{crit.id}", is_true(val.error))
        out.error[crit.index] = err
        outcome = case([(is_true(val.error), null("BOOLEAN"))], outcome)
        if keep_raw:
            out.raw[crit.index] = ctx.chain.put(f"raw_{crit.id}", case([(is_true(val.error), null("BOOLEAN"))], val.value))
    elif keep_raw:
        out.raw[crit.index] = ctx.chain.put(f"raw_{crit.id}", val.value)
    out.outcome[crit.index] = ctx.chain.put(crit.id, outcome)


def _reads_flags(crit: Criterion) -> set[str]:
    return {node.id for node in walk(crit.expr) if isinstance(node, FlagName)} if crit.expr is not None else set()


def add_flags(ctx: Ctx, out: Outcomes) -> None:
    """Every flag, in the plan's order (each after the flags it reads: a new layer when it reads one not yet visible)."""
    pending: set[str] = set()  # flags of the current layer
    for crit in ctx.plan.flags:
        if _reads_flags(crit) & pending:
            ctx.chain.next()
            pending = set()
        add_criterion(ctx, crit, out)
        name = flag_name(crit.id) or crit.id
        ctx.env.flags[name] = out.outcome[crit.index]
        pending.add(name)
    ctx.chain.next()


def add_scores(ctx: Ctx, out: Outcomes) -> None:
    """Every score in order: its rules (a layer), then its total (clamped) in the next."""
    for score in ctx.plan.scores:
        for rule in score.rules:
            add_criterion(ctx, rule, out)
        ctx.chain.next()
        total: exp.Expr = _events.event_points(ctx, score, ctx.env.events) if score.events else exp.Literal.number(0)
        total = exp.Cast(this=total, to=exp.DataType.build("DOUBLE"))
        for rule in score.rules:
            total = exp.Add(this=total, expression=case([(is_true(out.outcome[rule.index]), exp.Literal.number(repr(float(rule.points))))], exp.Literal.number(0)))
        total = _clamp(total, score)
        ctx.env.scores[score.name] = ctx.chain.put(f"score_{score.name}", total)
        ctx.chain.next()


def _clamp(total: exp.Expr, score: ScorePlan) -> exp.Expr:
    if score.min is not None:
        low = exp.Literal.number(repr(float(score.min)))
        total = case([(exp.LT(this=total, expression=low), low)], total)
    if score.max is not None:
        high = exp.Literal.number(repr(float(score.max)))
        total = case([(exp.GT(this=total, expression=high), high)], total)
    return total


def group_expr(group: Group, out: Outcomes) -> exp.Expr:
    """A group's outcome (BOOLEAN) from its items' columns: Kleene AND / OR / NOT, or a count for ``at_least``."""
    items = [_item_expr(item, out) for item in group.items]
    if group.op in ("all", "any", "none"):
        joined = exp.Paren(this=balanced(exp.And if group.op == "all" else exp.Or, items))
        return exp.Not(this=joined) if group.op == "none" else joined
    items = [exp.Paren(this=i) for i in items]  # an item may be `NOT x` (a none group): `NOT x IS NULL` would read NOT (x IS NULL)
    passed = _sum([case([(is_true(i), exp.Literal.number(1))], exp.Literal.number(0)) for i in items])
    unknown = _sum([case([(exp.Is(this=i.copy(), expression=exp.Null()), exp.Literal.number(1))], exp.Literal.number(0)) for i in items])
    n = exp.Literal.number(group.n)
    return case(
        [
            (exp.GTE(this=passed, expression=n), exp.true()),
            (exp.LT(this=exp.Add(this=passed, expression=unknown), expression=n), exp.false()),
        ],
        null("BOOLEAN"),
    )


def _sum(items: Sequence[exp.Expr]) -> exp.Expr:
    return exp.Paren(this=balanced(exp.Add, items))


def _item_expr(item: Criterion | Group, out: Outcomes) -> exp.Expr:
    if isinstance(item, Criterion):
        return out.outcome[item.index]
    if item.criterion is not None:
        return _policy(group_expr(item, out), item.criterion.missing)
    return group_expr(item, out)


def add_group_criteria(ctx: Ctx, group: Group, out: Outcomes) -> None:
    """The outcome columns of the groups with an id under ``group`` (and itself), computed inline from the leaves."""
    if group.criterion is not None:
        out.outcome[group.criterion.index] = ctx.chain.put(group.criterion.id, _policy(group_expr(group, out), group.criterion.missing))
    for item in group.items:
        if isinstance(item, Group):
            add_group_criteria(ctx, item, out)


def blockers(group: Group, out: Outcomes, negated: bool = False) -> list[tuple[Criterion, exp.Expr]]:
    """The criteria that keep ``group`` from passing, each with the SQL condition that it does (``Result._blockers``)."""
    found: list[tuple[Criterion, exp.Expr]] = []
    negated = negated != (group.op == "none")
    for item in group.items:
        crit = item if isinstance(item, Criterion) else item.criterion
        if crit is not None:
            outcome = out.outcome[crit.index]
            bad = exp.Not(this=is_true(exp.Not(this=outcome))) if negated else exp.Not(this=is_true(outcome))
            found.append((crit, bad))
        else:
            assert isinstance(item, Group)
            found.extend(blockers(item, out, negated))
    return found


def outcome_word(outcome: exp.Expr) -> exp.Expr:
    """'pass', 'fail' or 'unknown'."""
    return case([(is_true(outcome), text("pass")), (is_true(exp.Not(this=outcome)), text("fail"))], text("unknown"))


@dataclass
class Pipeline:
    """The columns the final SELECT reads."""

    stage: exp.Expr
    reasons: exp.Expr
    blocked_by: exp.Expr
    missing: exp.Expr
    issues: exp.Expr
    criteria: list[tuple[str, exp.Expr]]
    scores: list[tuple[str, exp.Expr]]


def build(ctx: Ctx, fields: list[FieldCols]) -> Pipeline:
    """Everything after the fields: criteria, scores, stages, then the lead's stage and its reasons."""
    plan = ctx.plan
    chain = ctx.chain
    out = Outcomes()
    add_flags(ctx, out)
    add_scores(ctx, out)
    for crit in plan.disqualify:
        add_criterion(ctx, crit, out, keep_raw=crit.missing != "unknown")
    for stage in plan.stages:
        for crit in stage.condition.criteria():
            if crit.expr is not None:
                add_criterion(ctx, crit, out)
    chain.next()
    stage_cols = []
    for stage in plan.stages:
        add_group_criteria(ctx, stage.condition, out)
        stage_cols.append(chain.put(f"stage_{stage.id}", group_expr(stage.condition, out)))
    chain.next()

    # the stage reached: the last of the leading stages that pass (the first that does not pass says how many did), in
    # one CASE (a CASE nested per stage, each testing every stage before it, grew with the square of the stages and
    # was too deep for sqlglot's generator from 318 stages on); disqualified when a disqualifier passes
    reached = case([(exp.Not(this=is_true(col)), exp.Literal.number(i)) for i, col in enumerate(stage_cols)], exp.Literal.number(len(stage_cols))) if stage_cols else exp.Literal.number(0)
    reached_col = chain.put("reached", reached)
    disqualified = _any_true([out.outcome[c.index] for c in plan.disqualify])
    disq_col = chain.put("disqualified", disqualified)
    chain.next()

    stage_by_reached = case([(exp.EQ(this=reached_col, expression=exp.Literal.number(i + 1)), text(s.id)) for i, s in enumerate(plan.stages)], text(plan.base.id))
    stage_expr = case([(disq_col, text(DISQUALIFIED))], stage_by_reached)

    # blocked_by: for the next stage, the disqualifiers that pass and the criteria that keep it from passing
    disq_ids = [case([(is_true(out.outcome[c.index]), text(c.id))]) for c in plan.disqualify]
    blocked_whens = []
    for i, stage in enumerate(plan.stages):
        items = disq_ids + [case([(cond, text(c.id))]) for c, cond in blockers(stage.condition, out)]
        blocked_whens.append((exp.EQ(this=reached_col, expression=exp.Literal.number(i)), ctx.compact(items)))
    blocked_by = case(blocked_whens, null()) if blocked_whens else null()

    # missing: fields without a value that a criterion left unknown read
    names = ctx.ruleset._missing_table()[1]
    readers = dict(ctx.ruleset._missing_criteria())  # (the table Result.missing and summary() read)
    missing_conds: list[exp.Expr | None] = []
    for i, name in enumerate(names):
        if i not in readers:
            missing_conds.append(None)
            continue
        unknown = _any_true([exp.Is(this=out.outcome[c], expression=exp.Null()) for c in readers[i]])
        missing_conds.append(chain.put(f"missing_{name}", exp.And(this=exp.Is(this=fields[i].value, expression=exp.Null()), expression=unknown)))
    chain.next()  # PostgreSQL and BigQuery read no column of the layer that defines it
    missing_col = chain.put("missing", ctx.compact([case([(cond, text(name))]) for cond, name in zip(missing_conds, names) if cond is not None]))

    # issues: the fields with bad values in field order, then the criteria that raised in evaluation order
    issue_items: list[tuple[exp.Expr, dict[str, exp.Expr]]] = []
    for spec, cols in zip(plan.fields, fields):
        issue_items.append((exp.Not(this=exp.Is(this=cols.bad, expression=exp.Null())), {"field": text(spec.name), "value": cols.raw, "message": cols.bad, "criterion": null("VARCHAR")}))
    for index, err in _evaluation_order(ctx, out):
        crit = plan.criteria[index]
        issue_items.append((err, {"field": null("VARCHAR"), "value": null("VARCHAR"), "message": _expr.error_message(ctx, crit), "criterion": text(crit.id)}))
    issues_col = chain.put("issues", _records(ctx, issue_items))
    issue_count = chain.put("issue_count", _count([cond for cond, _ in issue_items]))
    stage_col = chain.put("stage", stage_expr)
    _text.prepare(ctx, fields)  # each field's bad-value text, once, for the reasons to read
    chain.next()

    reasons = _reasons(ctx, out, fields, reached_col, disq_col, missing_conds, issue_count)
    reasons_col = chain.put("reasons", reasons)
    chain.next()

    criteria = [(c.id, outcome_word(out.outcome[c.index])) for c in plan.criteria]
    scores = [(s.name, ctx.env.scores[s.name]) for s in plan.scores]
    return Pipeline(stage_col, reasons_col, blocked_by, missing_col, issues_col, criteria, scores)


def _evaluation_order(ctx: Ctx, out: Outcomes) -> list[tuple[int, exp.Expr]]:
    """The criteria that can raise, in the order the Python engine evaluates them: flags, score rules, disqualifiers, stages."""
    plan = ctx.plan
    order = [c.index for c in plan.flags]
    order += [r.index for s in plan.scores for r in s.rules]
    order += [c.index for c in plan.disqualify]
    order += [c.index for s in plan.stages for c in s.condition.criteria() if c.expr is not None]
    return [(i, out.error[i]) for i in order if i in out.error]


def _any_true(cols: Sequence[exp.Expr]) -> exp.Expr:
    """:func:`._ctx.any_true` of ``cols``, FALSE when there are none."""
    return any_true(cols) or exp.false()


def _count(conds: Sequence[exp.Expr]) -> exp.Expr:
    if not conds:
        return exp.Literal.number(0)
    return _sum([case([(is_true(c), exp.Literal.number(1))], exp.Literal.number(0)) for c in conds])


def _records(ctx: Ctx, items: list[tuple[exp.Expr, dict[str, exp.Expr]]]) -> exp.Expr:
    """An ARRAY of records (field, value, message, criterion) of the items whose condition holds."""
    return ctx.compact_records([case([(is_true(cond), ctx.record(values))]) for cond, values in items])


def _reasons(
    ctx: Ctx,
    out: Outcomes,
    fields: list[FieldCols],
    reached: exp.Expr,
    disqualified: exp.Expr,
    missing: list[exp.Expr | None],
    issue_count: exp.Expr,
) -> exp.Expr:
    """``Result.summary()``: the parts joined by '; ' (see its definition in ``leadspec.result``)."""
    plan = ctx.plan
    labels = [text(s.label) for s in plan.stages]
    reached_label = case([(exp.EQ(this=reached, expression=exp.Literal.number(i + 1)), labels[i]) for i in range(len(labels))], text(plan.base.label))

    # the stage's parts, as one CASE on the stage (a row computes only its own): disqualified, the because of each
    # disqualifier that passes, then what the lead would otherwise be; otherwise the stage, and when a stage is next,
    # what keeps it from passing
    because = [
        case([(is_true(out.outcome[crit.index]), _text.passing_because(ctx, crit, out.raw.get(crit.index)))]) for crit in plan.disqualify
    ]
    whens = [(disqualified, ctx.join_parts([text("Disqualified"), *because, ctx.concat("otherwise ", reached_label)], "; "))]
    for i, stage in enumerate(plan.stages):
        found = blockers(stage.condition, out)
        words = [case([(cond, ctx.concat(text(c.id + " "), outcome_word(out.outcome[c.index])))]) for c, cond in found]
        next_one = case([(_any_true([cond for _, cond in found]), ctx.concat(text(f"not {stage.label}: "), ctx.join_parts(words, ", ")))])
        here = labels[i - 1] if i else text(plan.base.label)
        whens.append((exp.EQ(this=reached, expression=exp.Literal.number(i)), ctx.join_parts([here, next_one], "; ")))
    if labels:
        whens.append((exp.EQ(this=reached, expression=exp.Literal.number(len(labels))), labels[-1]))
    parts: list[exp.Expr] = [case(whens, text(plan.base.label))]

    if plan.flags:
        raised = [is_true(out.outcome[c.index]) for c in plan.flags]
        words = [case([(cond, text(flag_name(c.id) or c.id))]) for cond, c in zip(raised, plan.flags)]
        parts.append(case([(_any_true(raised), ctx.concat("flags ", ctx.join_parts(words, ", ")))]))

    # missing: the names without a bad value; then, for those with one, the value it had and why it was bad (a bad
    # value is an issue: only a row with issues looks for them)
    names = [f.name for f in plan.fields]
    absent = [
        (exp.And(this=cond, expression=exp.Is(this=cols.bad, expression=exp.Null())), name)
        for cond, cols, name in zip(missing, fields, names)
        if cond is not None
    ]
    if absent:
        parts.append(case([(_any_true([c for c, _ in absent]), ctx.concat("missing ", ctx.join_parts([case([(c, text(n))]) for c, n in absent], ", ")))]))
    bad = [
        case([(exp.And(this=cond, expression=exp.Not(this=exp.Is(this=cols.bad, expression=exp.Null()))), _text.bad_value_text(ctx, name, cols.raw, cols.bad))])
        for cond, cols, name in zip(missing, fields, names)
        if cond is not None
    ]
    if bad:
        found_bad = exp.Nullif(this=ctx.join_parts(bad, "; "), expression=text(""))
        parts.append(case([(exp.GT(this=issue_count, expression=exp.Literal.number(0)), found_bad)]))
    parts.append(
        case(
            [
                (exp.EQ(this=issue_count, expression=exp.Literal.number(1)), text("1 data issue")),
                (exp.GT(this=issue_count, expression=exp.Literal.number(1)), ctx.concat(exp.Cast(this=issue_count, to=exp.DataType.build("VARCHAR")), " data issues")),
            ]
        )
    )
    return ctx.join_parts(parts, "; ")


def final_select(ctx: Ctx, pipeline: Pipeline, last: str, columns: Sequence[str] | None) -> exp.Select:
    """The output: every input column, then stage, reasons, a column per criterion and per score, blocked_by,
    missing, issues and the rule file's digest."""
    if columns is not None:
        select = exp.select(*(column(c) for c in columns))
    else:
        select = exp.select(ctx.star_without_intermediates())
    select = select.select(
        exp.alias_(pipeline.stage, "stage", quoted=True),
        exp.alias_(pipeline.reasons, "reasons", quoted=True),
        *(exp.alias_(e, name, quoted=True) for name, e in pipeline.criteria),
        *(exp.alias_(e, name, quoted=True) for name, e in pipeline.scores),
        exp.alias_(pipeline.blocked_by, "blocked_by", quoted=True),
        exp.alias_(pipeline.missing, "missing", quoted=True),
        exp.alias_(pipeline.issues, "issues", quoted=True),
        exp.alias_(text(ctx.ruleset.digest), "ruleset_digest", quoted=True),
        append=True,
    )
    return select.from_(exp.Table(this=exp.to_identifier(last, quoted=True)))
