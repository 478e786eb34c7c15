"""``leadspec compile``: the Python a rule file compiles to, or its plan as JSON."""

from __future__ import annotations

import click

from ._common import EXIT_OK, load_rules, streams


@click.command(name="compile")
@click.argument("rules", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the checked plan as JSON (the export other tools read) instead of the Python source.")
def compile_rules(rules: str, as_json: bool) -> int:
    """Print the Python source RULES compiles to, or with --json its plan as JSON.

    The source is what evaluates every lead: read it to see how a rule file
    is understood, or to debug a criterion (a comment above each gives its
    FILE:LINE). Nothing is evaluated.

    \b
    Examples:
      leadspec compile rules/acme.yaml
      leadspec compile --json rules/acme.yaml > acme.plan.json

    Exit codes: 0 printed, 2 the file cannot be read or the rules do not load.
    """
    io = streams()
    ruleset = load_rules(rules)
    text = ruleset.plan.to_json(indent=2) + "\n" if as_json else ruleset.generated_source()
    io.out.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK
