"""``leadspec schema``: the JSON Schema of the rule-file format."""

from __future__ import annotations

import json

import click

from ._common import EXIT_OK, streams


@click.command()
def schema() -> int:
    """Print the JSON Schema of the rule-file format.

    Point your editor's YAML support at it for completion and inline
    errors (see docs/command-line.md), or use it with check-jsonschema.

    \b
    Example:
      leadspec schema > leadspec.schema.json

    Exit codes: 0 always.
    """
    from .. import json_schema

    streams().out.write(json.dumps(json_schema(), indent=2) + "\n")
    return EXIT_OK
