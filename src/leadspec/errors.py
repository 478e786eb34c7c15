"""Errors raised by leadspec.

Every load-time problem is a :class:`Problem` with a location; a
:class:`RulesError` carries all problems of a rule file at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["LeadError", "LeadspecError", "Problem", "RulesError"]


class LeadspecError(Exception):
    """Base class of every error leadspec raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem of a rule file.

    ``line`` and ``column`` are 1-based; ``path`` is the place inside the
    document (``stages[2].all[0].when``); ``code`` is stable and meant for
    tools; ``message`` says what is wrong, then what is allowed or meant.
    ``source`` and ``span`` (start, end offsets into it) are set for
    problems inside an expression, so it can be shown underlined.
    """

    file: str
    line: int
    column: int
    code: str
    message: str
    path: str = ""
    source: str | None = field(default=None, compare=False)
    span: tuple[int, int] | None = field(default=None, compare=False)
    severity: str = "error"

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.column}: {self.severity}[{self.code}]: {self.message}"
        if self.source is not None and self.span is not None:
            start, end = self.span
            text += f"\n    {self.source}\n    {' ' * start}{'^' * max(1, end - start)}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """The problem as a JSON-ready dict."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "severity": self.severity,
            "path": self.path,
            "message": self.message,
        }


class RulesError(LeadspecError):
    """A rule file could not be loaded; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems: list[Problem] = sorted(problems, key=lambda p: (p.file, p.line, p.column))
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in rule file"
        super().__init__(head + ":\n" + "\n".join(str(p) for p in self.problems))


class LeadError(LeadspecError):
    """A lead was rejected (``strict=True``) or is not a record at all.

    ``issues`` lists the lead's problems as dicts ``{field, value, message}``;
    ``index`` is the lead's 0-based position in :meth:`Ruleset.evaluate_many`.
    """

    def __init__(self, message: str, issues: list[dict[str, Any]] | None = None, index: int | None = None) -> None:
        self.issues = list(issues or [])
        self.index = index
        super().__init__(message)
