"""Shared helpers: small rule files in a few lines, and problem assertions."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from typing import Any

import pytest

import leadspec
from leadspec._expr import Context, check_expression

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = ROOT.parent / "shared" / "data"

def cli(*argv: Any, stdin: Any = "") -> tuple[int, str, str]:
    """Run ``leadspec ARGV`` in this process: (exit code, standard output, standard error).

    ``stdin`` is text, or a stream to read as it is (bytes under a text layer, a pipe).
    """
    from leadspec.cli import run

    out, err = io.StringIO(), io.StringIO()
    code = run([str(a) for a in argv], stdout=out, stderr=err, stdin=io.StringIO(stdin) if isinstance(stdin, str) else stdin)
    return code, out.getvalue(), err.getvalue()


def default_stop_signals() -> None:
    """``preexec_fn`` of a child that a test stops with a signal: SIGHUP and SIGINT as a terminal would deliver them.

    A test run under ``nohup``, or in the background of a shell without job control, starts with them ignored,
    and a child keeps an ignored signal ignored (as ``qualify`` itself does, on purpose)."""
    import signal

    for number in (signal.SIGHUP, signal.SIGINT):
        signal.signal(number, signal.SIG_DFL)


HEADER = """\
leadspec: 1
name: t
"""


def rules_text(body: str) -> str:
    """A rule file: the fixed header plus ``body`` (dedented)."""
    return HEADER + textwrap.dedent(body)


def problems_of(text: str) -> list[leadspec.Problem]:
    with pytest.raises(leadspec.RulesError) as info:
        leadspec.loads(text, name="r.yaml")
    return info.value.problems


def assert_problems(text: str, *expected: tuple[int, int, str]) -> list[leadspec.Problem]:
    """The file fails to load with exactly these (line, column, code) problems."""
    problems = problems_of(text)
    got = [(p.line, p.column, p.code) for p in problems]
    assert got == sorted(expected), "\n".join(str(p) for p in problems)
    return problems


class ClosedAfter(io.StringIO):
    """Standard output whose reader goes away after ``limit`` characters (`| head`)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def write(self, text: str) -> int:
        if self.tell() + len(text) > self.limit:
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


def unfolded(rules: leadspec.Ruleset, text: str) -> Any:
    """``text`` checked without constant folding: what the reference interpreter evaluates as written."""
    plan = rules._plan
    ctx = Context(
        fields=dict(plan.model.fields),
        lists={k: list(v) for k, v in plan.lists.items()},
        scores=[s.name for s in plan.scores],
        all_scores=[s.name for s in plan.scores],
        event_types=None,
        events_field=plan.events_field,
        events_fields=[plan.events_field] if plan.events_field else [],
        fold=False,
    )
    checked, problems = check_expression(text, ctx)
    assert checked is not None, problems
    return checked
