"""``leadspec diff``: what changed between two versions of a ruleset, and which leads it moves."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime
from typing import Any, Iterator

import click

from ..errors import Problem, RulesError
from ._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, LEADS_ERRORS, as_of_option, check_as_of, delimiter_option, leads_error, print_problems, streams
from ._io import FORMATS, SourceError, read_leads



def read_rules(spec: str) -> Any:
    """The ruleset of ``spec``: a path, loaded with ``leadspec.load``, or ``REV:PATH`` read with git.

    A file that cannot be read, is too large or does not load is a
    :class:`RulesError` as for ``leadspec.load``; a revision that cannot be
    read is a ``SourceError``.

    Neither is read when it is larger than a rule file may be (``loads``
    refuses it anyway; this keeps a stray multi-gigabyte file out of
    memory). REV is never passed to git where it could be read as an
    option: it is resolved with ``rev-parse --end-of-options`` to a blob id
    first, and a REV starting with ``-`` is refused.
    """
    from .. import MAX_FILE_BYTES, load, loads  # here: the command line starts without the rules machinery

    if os.path.exists(spec) or ":" not in spec:
        return load(spec)
    rev, _, path = spec.partition(":")
    if rev.startswith("-"):
        raise SourceError(f"{spec}: a revision cannot start with '-' (write REV:PATH, e.g. HEAD~1:rules/acme.yaml)")
    try:
        inside = _git("rev-parse", "--is-inside-work-tree")
    except OSError:
        raise SourceError(f"{spec}: REV:PATH needs git, which is not installed") from None
    if inside.returncode != 0:
        raise SourceError(f"{spec}: not in a git repository (REV:PATH is read with git show)")
    if path and not path.startswith(("/", "./")):
        prefix = _git("rev-parse", "--show-prefix").stdout.decode("utf-8", "replace").strip()
        path = os.path.normpath(prefix + path).replace(os.sep, "/")  # like a path on the command line: relative to where you are
    found = _git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}:{path}")
    blob = found.stdout.decode("ascii", "replace").strip()
    if found.returncode != 0 or not blob or _git("cat-file", "-t", blob).stdout.strip() != b"blob":
        shown = _git("show", "--end-of-options", f"{rev}:{path}")  # for git's own words on what is wrong
        stderr = shown.stderr.decode("utf-8", "replace").strip()
        message = stderr.splitlines()[-1] if stderr else f"no file {path!r} in {rev!r}"
        raise SourceError(f"{spec}: {message.removeprefix('fatal: ')}")
    size_text = _git("cat-file", "-s", blob).stdout.strip()
    if size_text.isdigit() and int(size_text) > MAX_FILE_BYTES:
        size = int(size_text)
        raise RulesError([Problem(spec, 1, 1, "file-too-large", f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes (1 MiB)")])
    return loads(_git("cat-file", "blob", blob).stdout, name=spec)


def read_rules_or_say(spec: str, io: Any) -> Any | None:
    """:func:`read_rules`, or None after saying on standard error why the rules cannot be read (exit 2 follows)."""
    try:
        return read_rules(spec)
    except SourceError as exc:
        io.err.write(f"{exc}\n")
    except RulesError as exc:
        print_problems(exc.problems, "text", io.err)
    return None


def _git(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], capture_output=True, timeout=60, stdin=subprocess.DEVNULL)


@click.command()
@click.argument("old")
@click.argument("new")
@click.option("--leads", type=click.Path(dir_okay=False, allow_dash=True), help="Evaluate both versions on these leads (CSV, JSON Lines, JSON; .gz too).")
@click.option("--leads-format", type=click.Choice(FORMATS), help="Format of --leads (default: from its extension).")
@delimiter_option
@as_of_option
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json", "html"]),
    default="text",
    show_default=True,
    help="markdown is made to paste into a pull request; html is one page for the quarterly review: the changes, then the old and new agreement side by side.",
)
@click.option("--samples", type=click.IntRange(min=0), default=3, show_default=True, help="Sample leads shown per stage transition and per flag.")
@click.option(
    "--id-field",
    metavar="COLUMN",
    help="Name sample leads by this column (a dotted path reads nested JSON); default: the rules' field with role: id.",
)
@click.option("--exit-code", is_flag=True, help="Exit 1 when anything changed, like git diff --exit-code.")
@click.option("--prove", is_flag=True, help="Also prove the versions equivalent, or show each stage change any lead can make with a witness lead (needs leadspec[analysis]).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=5.0, show_default=True, help="With --prove: seconds the solver may spend on one question before it is left undecided.")
def diff(
    old: str,
    new: str,
    leads: str | None,
    leads_format: str | None,
    delimiter: str,
    as_of: datetime | None,
    fmt: str,
    samples: int,
    id_field: str | None,
    exit_code: bool,
    prove: bool,
    timeout: float,
) -> int:
    """Show what changed between two versions of a ruleset, in sentences, and which leads it moves.

    OLD and NEW are files, or REV:PATH read from git (v2026-Q3:rules/acme.yaml,
    HEAD~1:rules/acme.yaml). Fields, lists, scores and their rules,
    disqualifiers, stages and criteria are matched by id: reordering is not
    a change, a renamed criterion is one removed and one added.

    \b
    Examples:
      leadspec diff HEAD~1:rules/acme.yaml rules/acme.yaml
      leadspec diff v2026-Q3:rules/acme.yaml rules/acme.yaml --leads export.csv --format markdown
      leadspec diff old.yaml new.yaml --leads export.csv --id-field "Prospect ID"
      leadspec diff HEAD~1:rules/acme.yaml rules/acme.yaml --prove
      leadspec diff v2026-Q3:rules/acme.yaml rules/acme.yaml --leads export.csv --format html > review.html

    --prove reasons over every possible lead, not only --leads: it says
    "the two versions are equivalent" when no lead can change stage (a
    proof), else lists each change of stage some lead can make (old -> new)
    with one witness lead and what every lead making it has in common
    (e.g. 50 ≤ employees ≤ 99). It reasons as of --as-of (default now);
    a question the solver does not answer within --timeout seconds is
    listed as undecided, never guessed.

    Exit codes: 0 done (with --exit-code: no change), 1 something changed (with --exit-code),
    2 a file or revision cannot be read, or the rules do not load.
    """
    from .. import diff as compute

    io = streams()
    rulesets = []
    for spec in (old, new):
        ruleset = read_rules_or_say(spec, io)
        if ruleset is None:
            return EXIT_USAGE
        rulesets.append(ruleset)
    if leads:
        check_as_of(rulesets, as_of)
    try:
        lead_rows = read_leads(leads, leads_format, io, rulesets, delimiter, ("old rules", "new rules")) if leads else None
        result = compute(rulesets[0], rulesets[1], lead_rows, as_of=as_of, samples=samples, id_field=id_field)
    except LEADS_ERRORS as exc:  # the leads cannot be read, or not as the rules need them
        io.err.write(leads_error(str(leads), exc) + "\n")
        return EXIT_USAGE
    proof = None
    if prove:
        from ..analysis import compare  # it imports the z3 solver only when asked

        try:
            proof = compare(rulesets[0], rulesets[1], as_of=as_of, timeout=timeout)
        except ImportError as exc:
            io.err.write(f"--prove: {exc}\n")
            return EXIT_USAGE
    if fmt == "json":
        data = result.to_dict()
        if proof is not None:
            data["proof"] = proof.to_dict()
        io.out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "html":
        io.out.write(result.to_html(proof=proof.text() if proof is not None else None))
    elif fmt == "markdown":
        io.out.write(result.to_markdown())
        if proof is not None:
            io.out.write("\n### Proof over every possible lead\n\n```\n" + proof.text() + "```\n")
    else:
        io.out.write(result.to_text())
        if proof is not None:
            io.out.write("\nProof over every possible lead:\n" + "".join(f"  {line}\n" for line in proof.text().splitlines()))
    changed = result.changed or (proof is not None and proof.equivalent is False)
    return EXIT_FAILED if exit_code and changed else EXIT_OK
