"""The outcome report as one self-contained HTML page: the numbers of :class:`leadspec.Report`, charts by plotly.

Plotly draws the charts (a well-kept library: interactive, printable, and its
JavaScript can be written into the page, so the file opens with no network
access). The first chart carries plotly.js inline (about 4.7 MB); the others
use it. Tables are the Markdown report's, as HTML.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from ._report import _pct

if TYPE_CHECKING:
    from ._report import Report

INSTALL = "the HTML report draws its charts with plotly: pip install 'leadspec[report]'"

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; } th:first-child, td:first-child { text-align: left; }
th { background: #f5f5f5; } .chart { height: 420px; } .note { color: #555; }
@media print { .chart { break-inside: avoid; } body { margin: 0; max-width: none; } }
"""


def page(report: Report) -> str:
    try:
        import plotly.graph_objects as go
    except ImportError as exc:  # the extra is not installed
        raise ImportError(INSTALL) from exc
    charts = _charts(report, go)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Outcome report: {_e(report.ruleset)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Outcome report: {_e(report.ruleset)} {_e(report.version or '')}</h1>",
        f'<p class="note">{report.leads:,} leads evaluated as of {_e(report.as_of)}; outcome <code>{_e(report.outcome)}</code> known for '
        f"{report.with_outcome:,}, positive ({_e(', '.join(report.positive_values))}) for {report.positive:,}: {_pct(report.outcome_rate)}. "
        f"Rules digest <code>{_e(report.digest[:19])}</code>.</p>",
    ]
    first = True
    for title, figure, table in charts:
        parts.append(f"<h2>{_e(title)}</h2>")
        if figure is not None:
            figure.update_layout(margin={"l": 60, "r": 20, "t": 30, "b": 60}, template="plotly_white")
            parts.append(
                figure.to_html(
                    full_html=False,
                    include_plotlyjs=first,
                    config={"displaylogo": False, "responsive": True},
                    default_height="420px",
                    div_id=f"chart-{len(parts)}",
                ).replace('<div id="chart-', '<div class="chart" id="chart-', 1)
            )
            first = False
        parts.append(table)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _charts(report: Report, go: Any) -> list[tuple[str, Any, str]]:
    out: list[tuple[str, Any, str]] = []
    stages = report.stages
    labels = [s.label for s in stages]
    funnel = go.Figure(go.Bar(x=labels, y=[s.count for s in stages], marker_color="#4c78a8", text=[f"{s.count:,}" for s in stages], textposition="auto"))
    funnel.update_layout(yaxis_title="leads")
    out.append(("The funnel: leads per stage", funnel, _stage_table(report)))
    rated = [s for s in stages if s.outcome_rate is not None and s.interval is not None]
    rates = go.Figure(
        go.Bar(
            x=[s.label for s in rated],
            y=[s.outcome_rate for s in rated],
            marker_color="#f58518",
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [s.interval[1] - s.outcome_rate for s in rated if s.interval and s.outcome_rate is not None],
                "arrayminus": [s.outcome_rate - s.interval[0] for s in rated if s.interval and s.outcome_rate is not None],
            },
        )
    )
    rates.update_layout(yaxis={"title": "outcome rate (95% interval)", "tickformat": ".0%", "range": [0, 1.05]})
    rising = {True: "yes", False: "no", None: "not enough stages with an outcome to say"}[report.rate_rises_with_stage]
    out.append(("Outcome rate per stage", rates, f'<p class="note">Does the outcome rate rise with the stage? {rising}.</p>'))
    lifted = [c for c in report.criteria if c.lift is not None and c.lift > 0]
    lift = go.Figure(
        go.Bar(
            y=[c.id for c in lifted],
            x=[c.lift for c in lifted],
            orientation="h",
            marker_color=["#54a24b" if (c.lift or 0) >= 1 else "#e45756" for c in lifted],
        )
    )
    lift.update_layout(
        xaxis={"title": "lift: outcome rate when it passes ÷ when it fails (log scale)", "type": "log"},
        yaxis={"autorange": "reversed"},  # file order, top down
        height=max(420, 22 * len(lifted) + 120),
    )
    lift.add_vline(x=1, line_dash="dot", line_color="#888")
    out.append(("Criteria: which carry the signal", lift if lifted else None, _criteria_table(report)))
    for score in report.scores:
        swept = [c for c in score.sweep if c.outcome_rate is not None]
        sweep = go.Figure(go.Scatter(x=[c.threshold for c in swept], y=[c.outcome_rate for c in swept], mode="lines+markers", line_color="#4c78a8", name="outcome rate"))
        for t in score.thresholds:
            sweep.add_vline(x=t.value, line_dash="dash", line_color="#e45756", annotation_text=f"{t.criterion} {t.op} {t.value:g}")
        sweep.update_layout(xaxis_title=f"threshold: score('{score.name}') at least", yaxis={"title": "outcome rate above it", "tickformat": ".0%"})
        out.append((f"Score {score.name}: where conversion changes", sweep if swept else None, _sweep_table(score)))
    out.append(("What keeps leads from the next stage", None, _blocked(report)))
    out.append(("Fields most often missing", None, "<ul>" + "".join(f"<li><code>{_e(n)}</code>: {c:,} leads</li>" for n, c in report.missing[:10]) + "</ul>"))
    if report.feedback_column is not None:
        rows = [[f.stage, f.value, f"{f.count:,}", f"{f.share:.1%}"] for f in report.feedback]
        out.append((f"Feedback ({report.feedback_column}) per stage", None, _table(["stage", "feedback", "leads", "share"], rows)))
    if report.compared is not None:
        other = report.compared
        moves = [[f"{m.from_stage} → {m.to_stage}", f"{m.count:,}", f"{m.with_outcome:,}", _pct(m.outcome_rate)] for m in other.moves]
        then = {s.id: s for s in other.stages}
        now = {s.id: s for s in stages}
        side = []
        for sid in [s.id for s in stages] + [s.id for s in other.stages if s.id not in now]:  # the stages of both versions
            a, b = then.get(sid), now.get(sid)
            side.append([sid, "–" if a is None else f"{a.count:,}", _pct(None if a is None else a.outcome_rate), "–" if b is None else f"{b.count:,}", _pct(None if b is None else b.outcome_rate)])
        out.append(
            (
                f"Compared with {other.ruleset} {other.version or ''}",
                None,
                _table(["stage", "leads before", "outcome rate before", "leads now", "outcome rate now"], side)
                + _table(["before → now", "leads", "with outcome", "outcome rate"], moves),
            )
        )
    return out


def _stage_table(report: Report) -> str:
    rows = []
    for s in report.stages:
        interval = "–" if s.interval is None else f"{s.interval[0]:.1%} – {s.interval[1]:.1%}"
        rows.append([f"{s.label} ({s.id})", f"{s.count:,}", f"{s.share:.1%}", f"{s.with_outcome:,}", f"{s.positive:,}", _pct(s.outcome_rate), interval])
    return _table(["stage", "leads", "share", "with outcome", "positive", "outcome rate", "95% interval"], rows)


def _criteria_table(report: Report) -> str:
    rows = [
        [c.id, f"{c.passed:,}", f"{c.failed:,}", f"{c.unknown:,}", _pct(c.rate_pass), _pct(c.rate_fail), _pct(c.rate_unknown), "–" if c.lift is None else f"{c.lift:.2f}"]
        for c in report.criteria
    ]
    return _table(["criterion", "pass", "fail", "unknown", "rate when pass", "rate when fail", "rate when unknown", "lift"], rows)


def _sweep_table(score: Any) -> str:
    marks = {t.value: ", ".join(x.criterion for x in score.thresholds if x.value == t.value) for t in score.thresholds}
    rows = [[f"{c.threshold:g}", f"{c.count:,}", f"{c.share:.1%}", _pct(c.outcome_rate), f"the rules: {marks[c.threshold]}" if c.threshold in marks else ""] for c in score.sweep]
    return _table(["score at least", "leads", "share", "outcome rate", ""], rows)


def _blocked(report: Report) -> str:
    items = [f"<li>{_e(s.label)}: " + ", ".join(f"<code>{_e(c)}</code> {n:,}" for c, n in s.blocked_by) + "</li>" for s in report.stages if s.blocked_by]
    return "<ul>" + "".join(items) + "</ul>" if items else "<p>Nothing: every lead reached the last stage or was disqualified.</p>"


def _table(head: list[str], rows: list[list[str]]) -> str:
    cells = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)
