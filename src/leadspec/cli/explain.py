"""``leadspec explain``: one lead's stage and why."""

from __future__ import annotations

import json
from datetime import datetime

import click

from ._common import EXIT_OK, EXIT_USAGE, READ_ERRORS, as_of_option, check_as_of, load_rules, read_error, streams
from ._io import open_text


@click.command()
@click.argument("rules", type=click.Path(dir_okay=False))
@click.argument("lead", required=False, default="-", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print the whole result as JSON instead.")
@as_of_option
def explain(rules: str, lead: str, as_json: bool, as_of: datetime | None) -> int:
    """Evaluate one lead (a JSON object in a file, or on standard input) and explain its stage.

    \b
    Examples:
      leadspec explain rules/b2b-saas.yaml lead.json --as-of 2026-11-01
      echo '{"email": "ana@bigco.example"}' | leadspec explain rules/b2b-saas.yaml --json

    Exit codes: 0 explained, 2 unreadable or invalid rules or lead.
    """
    io = streams()
    ruleset = load_rules(rules)
    check_as_of([ruleset], as_of)
    try:
        if lead == "-":
            text = open_text("-", io.inp).read()  # strict UTF-8, as a file is read
        else:
            with open(lead, encoding="utf-8-sig") as handle:
                text = handle.read()
    except READ_ERRORS as exc:
        io.err.write(read_error(lead, exc) + "\n")
        return EXIT_USAGE
    try:
        record = json.loads(text)
    except ValueError as exc:
        io.err.write(f"{lead}: not JSON: {exc}\n")
        return EXIT_USAGE
    except RecursionError:
        io.err.write(f"{lead}: not JSON: nested too deeply\n")
        return EXIT_USAGE
    if not isinstance(record, dict):
        io.err.write(f"{lead}: a lead is a JSON object, not {type(record).__name__}\n")
        return EXIT_USAGE
    result = ruleset.evaluate(record, as_of=as_of)
    if as_json:
        io.out.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        io.out.write(result.explain() + "\n")
    return EXIT_OK
