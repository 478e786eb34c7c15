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
        """A problem inside the expression ``text`` (the value at ``path``), at the file position of its first character.

        The column is exact where the file holds the text as written: one
        line, plain or quoted without escapes, or plain and block scalars
        (``|``, ``>``) over several lines whose lines are the expression's;
        elsewhere it is the start of the value. A text over several lines
        is shown by the line the problem is on.
        """
        path = tuple(path)
        start, end = problem.start + offset, problem.end + offset
        line, col = self.positions.of(path)
        place = _place(self.positions, path, text, start) if path in self.positions.values else None
        if place is not None:
            line, col = place
        source, span = text.rstrip("\r\n"), (start, end)
        if "\n" in text.strip():  # show the line of the text the problem is on
            first = text[:start].rfind("\n") + 1
            stop = text.find("\n", start)
            source = text[first : stop if stop >= 0 else len(text)]
            span = (start - first, max(min(end, first + len(source) + 1) - first, start - first + 1))
        self.problems.append(
            Problem(
                self.positions.file,
                line,
                col,
                problem.code,
                problem.message,
                format_path(path),
                source=source,
                span=span,
            )
        )


def _place(positions: Positions, path: tuple[Any, ...], text: str, offset: int) -> tuple[int, int] | None:
    """(line, column) in the file of character ``offset`` of ``text``, the scalar at ``path``; None when it cannot be told."""
    line, col = positions.values[path]
    style = positions.styles.get(path, "")
    end_line, end_col = positions.ends.get(path, (0, 0))
    quotes = 1 if style in ("'", '"') else 0
    if style in (None, "", "'", '"') and end_line == line:
        # only where the file holds the text as is (one line, no escapes) is a column inside it exact
        return (line, col + offset + quotes) if end_col - col == len(text) + 2 * quotes else None
    if style not in (None, "", "|", ">") or not positions.source or end_line < line:
        return None
    lines = positions.source.split("\n")
    if style in ("|", ">"):  # the content starts on the next line, at the indentation of its first line
        # (0-based: the lines after the indicator, up to the end mark, which is at column 1 of the line after the block)
        body = lines[line : end_line - 1 if end_col == 1 else end_line]
        while body and not body[-1].strip():
            body.pop()
        if not body or not body[0].strip():
            return None
        indent = len(body[0]) - len(body[0].lstrip(" "))
        segments = [(line + 1 + i, indent, row[indent:].rstrip("\r")) for i, row in enumerate(body)]
        joiner = "\n" if style == "|" else " "
    else:  # a plain scalar over several lines: folded with spaces
        first = lines[line - 1][col - 1 :]
        rows = [first] + lines[line : end_line]
        rows[-1] = rows[-1][: (end_col - 1) if len(rows) > 1 else None]
        segments = []
        for i, row in enumerate(rows):
            lead = 0 if i == 0 else len(row) - len(row.lstrip(" "))
            segments.append((line + i, (col - 1) if i == 0 else lead, row.strip(" \r")))
        joiner = " "
    if any(not seg for _l, _c, seg in segments) or joiner.join(seg for _l, _c, seg in segments) != text.rstrip("\n"):
        return None  # blank lines, more indented lines, escapes, comments: the text is not the lines as written
    at = 0
    for row_line, indent, seg in segments:
        if offset <= at + len(seg):
            return row_line, indent + (offset - at) + 1
        at += len(seg) + 1
    row_line, indent, seg = segments[-1]
    return row_line, indent + len(seg) + 1
