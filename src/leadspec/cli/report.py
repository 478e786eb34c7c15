"""``leadspec report``: do the rules' stages and criteria separate the leads that converted from those that did not?"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any
import click

from ._common import EXIT_OK, EXIT_USAGE, LEADS_ERRORS, as_of_option, check_as_of, delimiter_option, leads_error, load_rules, same_file, streams
from ._io import FORMATS, Output, OutputError, read_leads
from .diff import read_rules_or_say


@click.command()
@click.argument("rules", type=click.Path(dir_okay=False))
@click.argument("leads", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--outcome", required=True, metavar="COLUMN", help="The column that says what happened to each lead (e.g. Converted).")
@click.option(
    "--positive",
    multiple=True,
    metavar="VALUE",
    help="A value of --outcome that means success; repeat for several (default: 1, true, yes, y, t, won, converted; any case).",
)
@click.option("--feedback", metavar="COLUMN", help="A column of sales' feedback (e.g. rejection reasons), counted per stage.")
@click.option("--value", metavar="COLUMN", help="A column of amounts (deal value), summed and averaged per stage.")
@click.option("--compare", metavar="OLD_RULES", help="Another version of the rules, a file or REV:PATH in git (e.g. HEAD~1:rules/acme.yaml): both side by side.")
@click.option("--leads-format", type=click.Choice((*FORMATS, "parquet")), help="Format of LEADS (default: from its extension); parquet needs pyarrow (the duckdb extra).")
@delimiter_option
@as_of_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json", "html"]),
    help="markdown for the review's pull request, json for dashboards, html (one file with charts; pip install 'leadspec[report]'). "
    "Default: from -o's extension (.html, .json), else markdown.",
)
@click.option("-o", "--output", default="-", show_default=True, help="Write the report to this file (written whole or not at all).")
def report(
    rules: str,
    leads: str,
    outcome: str,
    positive: tuple[str, ...],
    feedback: str | None,
    value: str | None,
    compare: str | None,
    leads_format: str | None,
    delimiter: str,
    as_of: datetime | None,
    fmt: str | None,
    output: str,
) -> int:
    """Compare the stages and criteria of RULES with what happened to the LEADS (CSV, JSON Lines, JSON, .gz too; Parquet).

    \b
    Examples:
      leadspec report rules/x-education.yaml export.csv --outcome Converted --feedback Tags
      leadspec report rules/acme.yaml deals.csv --outcome deal_stage --positive Won --value close_value --format json -o report.json
      leadspec report rules/acme.yaml export.csv --outcome Converted --compare HEAD~1:rules/acme.yaml
      leadspec report rules/acme.yaml export.csv --outcome Converted -o report.html

    Exit codes: 0 done, 2 the rules do not load or the leads cannot be read.
    """
    from .. import report as compute

    io = streams()
    ruleset = load_rules(rules)
    old = None
    if compare is not None:
        old = read_rules_or_say(compare, io)
        if old is None:
            return EXIT_USAGE
    check_as_of([ruleset] if old is None else [old, ruleset], as_of)
    if output != "-":  # refuse before anything is read or written: the report must not land on a file it reads
        for option, path in (("LEADS", leads), ("RULES", rules), ("--compare", compare)):
            if path is not None and path != "-" and same_file(path, output):
                io.err.write(f"{output}: -o/--output is the {option} file; it would be overwritten. Write somewhere else\n")
                return EXIT_USAGE
    stem = output[:-3] if output.lower().endswith(".gz") else output  # report.json.gz: JSON, compressed
    fmt = fmt or {".html": "html", ".htm": "html", ".json": "json"}.get(os.path.splitext(stem)[1].lower(), "markdown")
    if fmt == "html":
        try:
            import plotly  # noqa: F401
        except ImportError:
            io.err.write("--format html draws its charts with plotly: pip install 'leadspec[report]'\n")
            return EXIT_USAGE
    sink: Output | None = None
    try:
        sink = Output(output, io.out)  # validated and made beside the destination before a lead is read
        rulesets = [ruleset] if old is None else [old, ruleset]
        rows = read_leads(leads, leads_format, io, rulesets, delimiter, ("",) if old is None else ("old rules", "new rules"))
        result = compute(ruleset, rows, outcome=outcome, positive=positive or None, feedback=feedback, value=value, as_of=as_of, compare=old)
        for line in _warnings(result, outcome, feedback, value):
            io.err.write(f"{leads}: warning: {line}\n")
        if fmt == "json":
            text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        else:
            text = result.to_html() if fmt == "html" else result.to_markdown()
        sink.write(text)
        sink.commit()
    except LEADS_ERRORS as exc:  # the leads cannot be read, or not as the rules need them
        io.err.write(leads_error(str(leads), exc) + "\n")
        return EXIT_USAGE
    except OutputError as exc:
        io.err.write(f"{exc}; nothing written\n")
        return EXIT_USAGE
    finally:
        if sink is not None:
            sink.discard()
    return EXIT_OK


def _warnings(result: Any, outcome: str, feedback: str | None, value: str | None) -> list[str]:
    """What in the report suggests a misspelled column or a --positive that matches nothing."""
    out: list[str] = []
    if not result.leads:
        return out
    for option, column, seen in (("--outcome", outcome, result.with_outcome), ("--feedback", feedback, len(result.feedback)), ("--value", value, _valued(result))):
        if column is not None and not seen:
            out.append(f"no lead has a value in the column {option} {column!r} names; check its spelling")
    if result.with_outcome and not result.positive:
        found = ", ".join(repr(v) for v, _n in result.outcome_values[:5])
        out.append(f"no lead's {outcome!r} is one of the positive values ({', '.join(result.positive_values)}); it holds {found}: give --positive VALUE")
    if value is not None and result.values_unread:
        out.append(f"{result.values_unread:,} leads have a --value {value!r} that is not a number (in no sum)")
    return out


def _valued(result: object) -> int:
    """How many stages have a value sum (0: no lead had a number in --value)."""
    return sum(stage.value_sum is not None for stage in getattr(result, "stages", ()))
