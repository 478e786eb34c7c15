"""``leadspec check``: validate and compile rule files, and lint them."""

from __future__ import annotations

import os

import click

from ..errors import Problem, RulesError
from ._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, print_problems, streams


def _test_file_of(path: str) -> str | None:
    base, ext = os.path.splitext(path)
    candidate = base + ".test" + ext
    return candidate if os.path.exists(candidate) else None


def check_paths(paths: list[str], strict: bool) -> tuple[list[Problem], int]:
    """Every problem of these rule files (and their test files); the number of files read."""
    from .. import lint, load, load_tests

    problems: list[Problem] = []
    seen: set[str] = set()
    files = 0
    for path in paths:
        test_files = [path] if path.endswith((".test.yaml", ".test.yml")) else []
        if not test_files:
            files += 1
            try:
                rules = load(path)
            except RulesError as exc:
                problems += exc.problems
            else:
                problems += lint(rules)
            test_file = _test_file_of(path)
            if test_file:
                test_files.append(test_file)
        for test_file in test_files:
            if os.path.abspath(test_file) in seen:
                continue
            seen.add(os.path.abspath(test_file))
            files += 1
            try:
                load_tests(test_file)
            except RulesError as exc:
                # the rules' own problems are reported for the rules file already
                problems += [p for p in exc.problems if p.file == test_file or path == test_file]
    if strict:
        problems = [Problem(**{**p.to_dict(), "severity": "error"}) if p.severity == "warning" else p for p in problems]
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.file, p.line, p.column, p.code)), files


@click.command()
@click.argument("rules", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True, help="How to print problems.")
@click.option("--strict", is_flag=True, help="Treat warnings (lints) as errors.")
def check(rules: tuple[str, ...], fmt: str, strict: bool) -> int:
    """Validate, compile and lint rule files and the NAME.test.yaml beside them.

    Prints every problem as FILE:LINE:COL: error[CODE]: message, with the
    expression and the bad part marked. Lints (unused fields and lists,
    stages that can never be reached, criteria that are always true or
    false, duplicate criteria) are warnings; --strict makes them errors.

    \b
    Examples:
      leadspec check rules/*.yaml
      leadspec check --format github --strict rules/acme.yaml

    Exit codes: 0 no errors, 1 errors found, 2 a file could not be read.
    """
    io = streams()
    problems, files = check_paths(list(rules), strict)
    print_problems(problems, fmt, io.out)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if fmt != "json":
        io.err.write(f"{files} file{'s' if files != 1 else ''} checked: {errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}\n")
    if any(p.code == "unreadable" for p in problems):
        return EXIT_USAGE
    return EXIT_FAILED if errors else EXIT_OK
