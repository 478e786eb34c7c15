"""``leadspec render``: the rule file as the agreement both teams sign, in plain words."""

from __future__ import annotations

import os

import click

from ._common import EXIT_OK, EXIT_USAGE, same_file, streams
from ._io import OutputError, write_text


@click.command()
@click.argument("rules")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "html"]),
    help="markdown for a wiki or a pull request; html for one self-contained page that prints (default: from -o's extension, else markdown).",
)
@click.option("-o", "--output", default="-", show_default=True, help="Write the page to this file (written whole or not at all).")
@click.option("--date", "on", metavar="YYYY-MM-DD", help="The date the page shows (default: today, UTC).")
def render(rules: str, fmt: str | None, output: str, on: str | None) -> int:
    """Write the rule file as the agreement marketing and sales sign: every stage, owner and SLA,
    and every criterion in plain words, with its `because` beside it.

    RULES is a file, or REV:PATH read from git (v2026-Q3:rules/acme.yaml).
    The words are the ones explanations and `leadspec diff` use.

    \b
    Examples:
      leadspec render rules/b2b-saas.yaml
      leadspec render rules/b2b-saas.yaml -o agreement.html
      leadspec render rules/b2b-saas.yaml --format markdown -o docs/agreement.md

    Exit codes: 0 written, 2 the rules do not load, --date is not a day, or the page cannot be written.
    """
    from .. import render as compute
    from .diff import read_rules_or_say

    io = streams()
    if not output:
        io.err.write("-o/--output needs a file name (or - for standard output)\n")
        return EXIT_USAGE
    # REV:PATH names a file of the working tree too: the page must not land on it either
    source = rules if os.path.exists(rules) or ":" not in rules else rules.partition(":")[2]
    if output != "-" and source and same_file(source, output):
        io.err.write(f"{output}: -o/--output is the RULES file; it would be overwritten. Write somewhere else\n")
        return EXIT_USAGE
    ruleset = read_rules_or_say(rules, io)
    if ruleset is None:
        return EXIT_USAGE
    fmt = fmt or ("html" if os.path.splitext(output)[1].lower() in (".html", ".htm") else "markdown")
    try:
        page = compute(ruleset, "html" if fmt == "html" else "markdown", date=on)
    except ValueError as exc:  # --date is not a day (render() reads it as YYYY-MM-DD only)
        io.err.write(f"--date: {exc}\n")
        return EXIT_USAGE
    try:
        write_text(output, page, io.out)
    except OutputError as exc:
        io.err.write(f"{exc}; nothing written\n")
        return EXIT_USAGE
    return EXIT_OK
