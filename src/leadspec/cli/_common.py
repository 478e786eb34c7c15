"""What the commands share: streams, loading rules, printing problems."""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Iterable

import click

from ..errors import Problem, RulesError
from ._io import SourceError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass
class Streams:
    out: IO[str]
    err: IO[str]
    inp: IO[str]


def streams() -> Streams:
    """The streams of the running command (set by ``run``)."""
    ctx = click.get_current_context()
    obj = ctx.find_object(Streams)
    if obj is None:  # invoked through click directly
        import sys

        obj = Streams(sys.stdout, sys.stderr, sys.stdin)
    return obj


READ_ERRORS = (OSError, EOFError, UnicodeDecodeError, zlib.error)
"""What reading an input can raise: unreadable, a truncated .gz (EOFError), a .gz that is not gzip
(gzip.BadGzipFile, an OSError) or whose compressed data is corrupt (zlib.error), not UTF-8."""


def read_error(name: str, exc: BaseException) -> str:
    """One line saying why ``name`` could not be read."""
    if isinstance(exc, UnicodeDecodeError):
        where = _first_bad_utf8(name)
        if where is None:  # standard input cannot be read again: the decoder's offset is within a block
            return f"{name}: not UTF-8 text: {exc.reason}; convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8)"
        offset, line = where
        return f"{name}: not UTF-8 text: {exc.reason} at byte {offset:,} (line {line:,}); convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8)"
    if isinstance(exc, zlib.error):
        return f"{name}: cannot read: the compressed data is corrupt ({exc})"
    return f"{name}: cannot read: {getattr(exc, 'strerror', None) or exc}"


LEADS_ERRORS = (SourceError, *READ_ERRORS)
"""What reading leads with ``_io.read_leads`` (``diff --leads``, ``report``) can raise: said by :func:`leads_error`."""


def leads_error(name: str, exc: BaseException) -> str:
    """One line saying why the leads of ``name`` could not be read (a :data:`LEADS_ERRORS` exception)."""
    return str(exc) if isinstance(exc, SourceError) else read_error(name, exc)


def _first_bad_utf8(path: str, block: int = 1 << 20) -> tuple[int, int] | None:
    """The byte offset (from 0) and line (from 1) of the first byte of ``path`` that is not UTF-8.

    Read again only after decoding failed: the decoder reports an offset
    within the block it was given, not within the file.
    """
    import codecs

    if path == "-" or not os.path.isfile(path):
        return None
    from ._io import open_binary  # the bytes exactly as the reader decodes them (gzip layers taken off)

    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = lines = 0
    try:
        with open_binary(path) as handle:
            while True:
                data = handle.read(block)
                try:
                    decoder.decode(data, final=not data)
                except UnicodeDecodeError as exc:
                    start = offset + exc.start - (len(exc.object) - len(data))
                    lines += data.count(b"\n", 0, max(start - offset, 0))
                    return start, lines + 1
                if not data:
                    return None
                lines += data.count(b"\n")
                offset += len(data)
    except READ_ERRORS:
        return None


def format_problem(problem: Problem, fmt: str) -> str:
    """One problem as text (``FILE:LINE:COL: error[CODE]: message`` and the marked expression) or a GitHub annotation."""
    if fmt == "github":
        level = "error" if problem.severity == "error" else "warning"
        message = problem.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        title = f"leadspec {problem.code}"
        return f"::{level} file={problem.file},line={problem.line},col={problem.column},title={title}::{message}"
    return str(problem)


def print_problems(problems: Iterable[Problem], fmt: str, out: IO[str]) -> None:
    problems = list(problems)
    if fmt == "json":
        out.write(json.dumps([p.to_dict() for p in problems], indent=2) + "\n")
        return
    for problem in problems:
        out.write(format_problem(problem, fmt) + "\n")


def load_rules(path: str, fmt: str = "text") -> Any:
    """The ruleset at ``path``; on problems, print them to stderr and exit 2."""
    from .. import load

    try:
        return load(path)
    except RulesError as exc:
        print_problems(exc.problems, fmt, streams().err)
        raise click.exceptions.Exit(EXIT_USAGE) from None


def check_as_of(rulesets: Iterable[Any], moment: datetime | None) -> None:
    """Stop the command (exit 2, the reason on stderr) when ``--as-of`` is too early for these rules' windows.

    Rules refuse such a moment for every lead alike (``ValueError`` from
    ``stage`` and ``evaluate``), so the command stops before reading any
    lead instead of rejecting each one; as :func:`load_rules` stops on
    rules that do not load.
    """
    for ruleset in rulesets:
        try:
            ruleset.stage({}, as_of=moment)
        except ValueError as exc:
            streams().err.write(f"--as-of: {exc}\n")
            raise click.exceptions.Exit(EXIT_USAGE) from None


class AsOf(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2; 8.1 is allowed
    """``--as-of``: an ISO 8601 date or datetime (naive means UTC)."""

    name = "datetime"

    def convert(self, value: Any, param: Any, ctx: Any) -> datetime:
        from .. import parse_as_of

        try:
            return parse_as_of(value)
        except (ValueError, TypeError) as exc:
            self.fail(str(exc), param, ctx)


as_of_option = click.option(
    "--as-of",
    type=AsOf(),
    default=None,
    help="Evaluate as of this moment (ISO 8601, e.g. 2026-11-01 or 2026-11-01T09:00:00Z). Default: now.",
)


class Delimiter(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2; 8.1 is allowed
    """``--delimiter``: what separates the values of a CSV (``,`` ``;`` ``|`` or tab, also written ``\\t`` or ``tab``)."""

    name = "delimiter"

    def convert(self, value: Any, param: Any, ctx: Any) -> str:
        from ._io import delimiter_of

        try:
            return delimiter_of(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


delimiter_option = click.option(
    "--delimiter",
    type=Delimiter(),
    default=",",
    show_default=True,
    metavar="CHAR",
    help="What separates the values of a CSV: ',' ';' '|' or tab (also '\\t'). A CSV written from CSV uses it too.",
)
"""``--delimiter`` for every command that reads a CSV export."""


def same_file(a: str, b: str) -> bool:
    """Whether two paths name the same file (through symbolic links too; also when it does not exist yet)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)
