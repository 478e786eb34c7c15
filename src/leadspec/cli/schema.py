"""``leadspec schema``: the JSON Schema of the rule-file format, or with ``--plan`` of the plan export."""

from __future__ import annotations

import json

import click

from ._common import EXIT_OK, streams


@click.command()
@click.option(
    "--plan",
    "plan",
    is_flag=True,
    help="Print the JSON Schema of a compiled plan (Plan.to_json(), docs/plan.md) instead of the rule-file format.",
)
def schema(plan: bool) -> int:
    """Print the JSON Schema of the rule-file format.

    Point your editor's YAML support at it for completion and inline
    errors (see docs/command-line.md), or use it with check-jsonschema.
    With --plan, print the JSON Schema of the plan export instead (the
    compiled rule file that Plan.to_json() writes for other tools).

    \b
    Example:
      leadspec schema > leadspec.schema.json
      leadspec schema --plan > leadspec-plan.schema.json

    Exit codes: 0 always.
    """
    if plan:
        from ..plan import Plan

        document = Plan.json_schema()
    else:
        from .. import json_schema

        document = json_schema()
    streams().out.write(json.dumps(document, indent=2) + "\n")
    return EXIT_OK
