"""Problems of one rule file, collected with their place in it (file, line, column, path)."""

from __future__ import annotations

from typing import Any

from ._expr import ExprProblem
from ._yaml import Positions, format_path
from .errors import Problem

__all__ = ["Collector"]


class Collector:
    """Problems of one file, located by their path in the document (errors, or warnings for lints)."""

    def __init__(self, positions: Positions, severity: str = "error") -> None:
        self.positions = positions
        self.severity = severity
        self.problems: list[Problem] = []

    def at(self, path: tuple[Any, ...], code: str, message: str, *, key: bool = False) -> None:
        line, col = self.positions.of(path, key=key)
        self.problems.append(Problem(self.positions.file, line, col, code, message, format_path(path), severity=self.severity))

    def expr(self, path: tuple[Any, ...], text: str, problem: ExprProblem, offset: int = 0) -> None:
        line, col = self.positions.of(path)
        path = tuple(path)
        style = self.positions.styles.get(path, "")
        source_line = text
        start, end = problem.start + offset, problem.end + offset
        end_line, end_col = self.positions.ends.get(path, (0, 0))
        quotes = 2 if style in ("'", '"') else 0
        # only where the file holds the text as is (one line, no escapes) is a column inside it exact
        if path in self.positions.values and style in (None, "", "'", '"') and end_line == line and end_col - col == len(text) + quotes:
            col += start + quotes // 2
        self.problems.append(
            Problem(
                self.positions.file,
                line,
                col,
                problem.code,
                problem.message,
                format_path(path),
                source=source_line,
                span=(start, end),
            )
        )
