"""Errors raised by leadspec, and the registry of problem codes.

Every load-time problem is a :class:`Problem` with a location and a
stable code; a :class:`RulesError` carries all problems of a rule file at
once. :data:`CODES` lists every code a problem can have, with its
severity and meaning: a problem with a code not listed there cannot be
made, so a new code is documented (docs/error-codes.md, checked against
:data:`CODES` by the tests) before it can reach a user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, Mapping

__all__ = ["CODES", "DialectError", "LeadError", "LeadspecError", "Problem", "ProblemCode", "RulesError"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class ProblemCode:
    """One stable problem code: ``code``, its ``severity`` (``error``, or ``warning`` for a lint) and what it means."""

    code: str
    severity: Severity
    meaning: str


def _codes(*entries: tuple[str, Severity, str]) -> Mapping[str, ProblemCode]:
    return MappingProxyType({code: ProblemCode(code, severity, meaning) for code, severity, meaning in entries})


CODES: Mapping[str, ProblemCode] = _codes(
    # reading the file
    ("unreadable", "error", "the file cannot be read (`load()` and the command line only)"),
    ("file-too-large", "error", "the file is larger than 1 MiB"),
    ("encoding", "error", "the file is not UTF-8 text"),
    ("empty", "error", "the file is empty"),
    # YAML
    ("yaml-syntax", "error", "the text is not valid YAML"),
    ("yaml-value", "error", "a YAML tag (`!!python/object`, `!!binary`, …) or a scalar YAML cannot build"),
    ("yaml-merge", "error", "a merge key `<<`; write the keys out"),
    ("key-type", "error", "a mapping key that is not text (`1:`, `true:`); quote it"),
    ("duplicate-key", "error", "the same key twice in one mapping (YAML would silently keep the last)"),
    ("too-deep", "error", "nesting deeper than 64 levels, or an expression nested deeper than 100 levels"),
    ("too-many-nodes", "error", "more than 100,000 nodes once aliases are expanded"),
    # the shape of the file
    ("version", "error", "`leadspec:` is not a format version this release reads"),
    ("missing-key", "error", "a required key is missing (`fields`, `stages`, a criterion's `when`, …)"),
    ("unknown-key", "error", "a key that is not allowed there (with a suggestion)"),
    ("bad-id", "error", "a name or id that does not match its pattern, or a Python keyword as a field or list name"),
    ("bad-duration", "error", "`window`, `half_life` or `sla` that is not a duration such as `30d`"),
    (
        "bad-value",
        "error",
        "any other value of the wrong shape: an unknown field type, an enum without `values`, `min` greater than `max`, "
        "a YAML boolean in a list, a bad `default`, a date `format` strptime cannot use, a stage with two conditions, "
        "an impossible `at_least`, `role: id` on a field that is not text or an integer, `role: touched` on a field that is not a datetime, "
        "an `allow:` code that is not a warning, …",
    ),
    (
        "duplicate-id",
        "error",
        "an id used twice (stages, criteria in a stage, disqualifiers, score rules, enum values), a list named like a field, "
        "a stage named `disqualified`, `disqualify` or like the base stage, a flag named like a field, list or score, or a second field with `role: id` "
        "or with `role: touched`",
    ),
    # expressions
    ("syntax", "error", "an expression that is not valid syntax, or is empty"),
    ("too-long", "error", "an expression longer than 2,000 characters"),
    (
        "not-allowed",
        "error",
        "a construct the language refuses: attribute access, indexing, lambda, comprehensions, f-strings, `x if c else y`, "
        "`is`, bitwise operators, dict and set literals, calling anything but a built-in",
    ),
    ("none-literal", "error", "`None` in an expression; use `has(field)`"),
    ("unknown-name", "error", "a name that is not a declared field or list, or an `allow:` entry's `at` that names nothing in the file (with a suggestion)"),
    ("function-as-name", "error", "a function used without calling it (`has` instead of `has(x)`)"),
    ("unknown-function", "error", "a function that is not a built-in (with a suggestion)"),
    ("arity", "error", "a built-in called with the wrong number of arguments or an unknown keyword"),
    (
        "type-mismatch",
        "error",
        "operands that cannot go together: a number compared with text, text in a list of numbers, arithmetic on text "
        "and numbers, a function given the wrong kind of value",
    ),
    ("enum-value", "error", "an enum compared with a value it does not declare (with a suggestion)"),
    (
        "too-large",
        "error",
        "a constant too large to compute (`9**9**9`, `'x' * 10**9`), the constants of an expression or a file over their "
        "limits, an integer over 14,000 bits written in the file, more than 2,000 criteria, more than 50,000 operators, "
        "names and calls in a file's expressions, or rules that would compile to more than 1.5 MB of Python",
    ),
    ("constant-error", "error", "a constant that cannot be computed (`1 / 0`)"),
    ("duration", "error", "a `within=` that is not a duration"),
    ("events-field", "error", "`count`, `last`, `first` or a score's `events:` without exactly one field of type `events`"),
    ("unknown-event", "error", "an event type that the events field's `values` does not declare"),
    ("flag-cycle", "error", "a flag that reads itself, directly or through other flags"),
    ("unknown-score", "error", "`score('name')` of a score that does not exist, or a test case expecting one"),
    ("score-order", "error", "a score rule using a score declared after it"),
    ("template", "error", "an unmatched `{` or `}` in a `because` text (write `{{` and `}}` for braces)"),
    # rule test files (NAME.test.yaml)
    ("not-a-test-file", "error", "a rule file given where a test file is expected"),
    ("unknown-stage", "error", "a test case expecting a stage the rules do not have (with a suggestion)"),
    ("unknown-criterion", "error", "a test case naming a criterion the rules do not have (with a suggestion)"),
    # lints: the file loads, but this is almost surely a mistake
    ("unused-field", "warning", "a declared field that nothing reads"),
    ("unused-list", "warning", "a list that no expression names"),
    ("always-true", "warning", "a criterion whose expression does not depend on the lead and is always true"),
    ("always-false", "warning", "a criterion whose expression does not depend on the lead and is always false"),
    ("unreachable-stage", "warning", "a stage whose condition can never pass, or whose earlier stage can never be reached"),
    ("duplicate-criterion", "warning", "the same expression twice in one stage or among the disqualifiers, or a stage criterion repeating a disqualifier"),
    ("open-age-window", "warning", "`days_since(field) <= N` without a lower bound: a date after `as_of` (a negative age) passes it too"),
    ("format-reads-iso", "warning", "a date `format:` that reads ISO 8601 text as another date than ISO 8601 does (it is tried first)"),
    ("enum-values-alike", "warning", "enum values that differ only in case or in spaces around them (`[x, X]`): one value spelled two ways, or two values text cannot tell apart"),
    ("unused-allow", "warning", "an `allow:` entry that silences no warning (it cannot itself be allowed)"),
    # deep checks (`leadspec check --deep`): proved with the z3 solver, each with a witness lead or a proof
    ("stage-never-reached", "warning", "a stage no lead ends at: its condition cannot pass, or not with the stages before it, or every lead that passes it goes on or is disqualified"),
    ("never-passes", "warning", "a criterion no lead passes, given the fields' types, ranges and values"),
    ("never-fails", "warning", "a criterion no lead fails (or a disqualifier that disqualifies every lead)"),
    ("contradiction", "warning", "items of an `all:` (or `none:`) group that cannot pass (fail) together, though each can alone"),
    ("redundant-criterion", "warning", "a criterion whose group decides every lead the same way without it (implied by the others)"),
    ("score-gap", "warning", "score rules over one number that give no points to values between values they score"),
    ("score-overlap", "warning", "two score rules over one number that both give points to some value, neither band containing the other"),
)
"""Every problem code, in the order of the pipeline: reading, YAML, the shape of the file, expressions, test files, lints."""


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

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"problem code {self.code!r} is not in leadspec.errors.CODES: register it (and document it) before using it")
        if self.severity not in ("error", "warning"):
            raise ValueError(f"problem severity {self.severity!r} is neither 'error' nor 'warning'")

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


class DialectError(LeadspecError, ValueError):
    """A rule file uses something a SQL dialect cannot compute (raised by :meth:`leadspec.Ruleset.to_sql`).

    ``dialect`` is the dialect asked for, ``what`` the function or construct
    (``round()``, ``a date format``), ``where`` the criterion id or field
    name that uses it. Nothing is translated approximately: what cannot be
    computed exactly as the Python engine does is refused.
    """

    def __init__(self, message: str, *, dialect: str, what: str, where: str | None = None) -> None:
        super().__init__(message)
        self.dialect = dialect
        self.what = what
        self.where = where
