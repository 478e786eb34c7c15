"""The ``leadspec`` command line.

``main(argv)`` is the console entry point; ``run(argv, stdout, stderr)``
runs a command with the given streams and returns its exit code, so tests
drive every command in-process. Commands only parse arguments and format
output: the work is done by the public Python API.

Exit codes (every command): 0 success; 1 the check or test failed, or rows
were rejected; 2 usage or input error (unreadable file, invalid rules).
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import IO, Sequence

import click

from ._common import Streams
from .check import check
from .compile import compile_rules
from .diff import diff
from .explain import explain
from .init import init
from .qualify import qualify
from .render import render
from .report import report
from .schema import schema
from .sql import sql
from .test import test

__all__ = ["cli", "main", "run"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="leadspec", prog_name="leadspec")
def cli() -> None:
    """leadspec: agreed ICP, MQL and SQL definitions as code.

    \b
    Examples:
      leadspec check rules/*.yaml
      leadspec qualify rules/x-education.yaml leads.csv -o qualified.csv
      leadspec explain rules/b2b-saas.yaml lead.json
      leadspec test
      leadspec diff HEAD~1:rules/acme.yaml rules/acme.yaml --leads export.csv
      leadspec report rules/x-education.yaml export.csv --outcome Converted --feedback Tags
      leadspec schema > leadspec.schema.json
      leadspec compile rules/acme.yaml
      leadspec init --name acme --from export.csv
      leadspec sql rules/acme.yaml --dialect snowflake --table leads
      leadspec render rules/acme.yaml -o agreement.html

    Exit codes: 0 success, 1 check or test failed or rows rejected, 2 usage or input error.
    """


for command in (check, qualify, explain, test, diff, report, render, schema, compile_rules, init, sql):
    cli.add_command(command)


def run(argv: Sequence[str], stdout: IO[str] | None = None, stderr: IO[str] | None = None, stdin: IO[str] | None = None) -> int:
    """Run ``leadspec ARGV`` with these streams; returns the exit code."""
    streams = Streams(stdout or sys.stdout, stderr or sys.stderr, stdin or sys.stdin)
    try:
        # click writes --help and --version to sys.stdout: point it at our streams
        with contextlib.redirect_stdout(streams.out), contextlib.redirect_stderr(streams.err):
            result = cli.main(args=list(argv), prog_name="leadspec", standalone_mode=False, obj=streams)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:  # Ctrl-C before a command handles it (no command prompts, so nothing else aborts)
        streams.err.write("interrupted\n")
        return 130
    except click.ClickException as exc:
        exc.show(file=streams.err)
        return EXIT_USAGE if exc.exit_code == 2 else exc.exit_code
    except BrokenPipeError:  # `leadspec qualify ... | head`
        return EXIT_OK
    return int(result or 0)


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: ``leadspec ...``."""
    code = run(sys.argv[1:] if argv is None else argv)
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # `leadspec qualify ... | head`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return code
