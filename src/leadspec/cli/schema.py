"""``leadspec schema``: the JSON Schema of the rule-file format, with ``--plan`` of the plan export, with ``--tests`` of rule test files,
with ``--report`` of the outcome report's JSON."""

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
@click.option("--tests", "tests", is_flag=True, help="Print the JSON Schema of rule test files (NAME.test.yaml) instead of the rule-file format.")
@click.option("--report", "report", is_flag=True, help="Print the JSON Schema of leadspec report --format json instead of the rule-file format.")
def schema(plan: bool, tests: bool, report: bool) -> int:
    """Print the JSON Schema of the rule-file format.

    Point your editor's YAML support at it for completion and inline
    errors (see the Command line page of the docs), or use it with
    check-jsonschema. With --tests, print the JSON Schema of rule test
    files (NAME.test.yaml) instead. With --plan, print the JSON Schema of
    the plan export (the compiled rule file that Plan.to_json() writes for
    other tools).

    \b
    Example:
      leadspec schema > leadspec.schema.json
      leadspec schema --tests > leadspec-tests.schema.json
      leadspec schema --plan > leadspec-plan.schema.json
      leadspec schema --report > leadspec-report.schema.json

    Exit codes: 0 success, 2 more than one of --plan, --tests and --report.
    """
    if plan + tests + report > 1:
        raise click.UsageError("--plan, --tests and --report print different schemas: give one of them")
    if report:
        from .. import Report

        document = Report.json_schema()
    elif tests:
        from .. import RuleTests

        document = RuleTests.json_schema()
    elif plan:
        from ..plan import Plan

        document = Plan.json_schema()
    else:
        from .. import json_schema

        document = json_schema()
    streams().out.write(json.dumps(document, indent=2) + "\n")
    return EXIT_OK
