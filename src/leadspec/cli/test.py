"""``leadspec test``: run the rule tests (``*.test.yaml``)."""

from __future__ import annotations

import glob
import os

import click

from ..errors import RulesError
from ._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, print_problems, streams


NO_RULES_FOLDER = "no rules/ folder here: run `leadspec test PATH`, or create rules/NAME.yaml with rules/NAME.test.yaml beside it"


def find_test_files(paths: list[str]) -> list[str]:
    """``*.test.yaml`` files: the paths given (files as given; in folders and their subfolders, hidden ones skipped), default rules/."""
    out: list[str] = []
    for path in paths or ["rules"]:
        if os.path.isdir(path):
            out += sorted(glob.glob(os.path.join(path, "**", "*.test.yaml"), recursive=True))
            out += sorted(glob.glob(os.path.join(path, "**", "*.test.yml"), recursive=True))
        else:
            out.append(path)
    return out


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-q", "--quiet", is_flag=True, help="Print only failures and the summary.")
def test(paths: tuple[str, ...], quiet: bool) -> int:
    """Run the cases of rule test files (default: every *.test.yaml under rules/).

    PATHS are test files or folders (every *.test.yaml in them and their
    subfolders). Prints each failing case with what was expected and what
    came out, then a line `N passed, N failed`. A case naming a stage,
    criterion or score the rules do not have, or whose lead has a key no
    field reads, fails with a located message; the other cases still run.

    \b
    Examples:
      leadspec test
      leadspec test rules/acme.test.yaml

    Exit codes: 0 every case passed, 1 a case failed or a test file is invalid, 2 a file could not be
    read or there is nothing to run.
    """
    from .. import run_tests

    io = streams()
    if not paths and not os.path.isdir("rules"):
        io.err.write(NO_RULES_FOLDER + "\n")
        return EXIT_USAGE
    files = find_test_files(list(paths))
    if not files:
        io.err.write(f"no *.test.yaml files under {', '.join(paths) or 'rules'}\n")
        return EXIT_USAGE
    passed = failed = 0
    unreadable = False
    for path in files:
        try:
            outcomes = run_tests(path)
        except RulesError as exc:
            print_problems(exc.problems, "text", io.out)
            unreadable = unreadable or any(p.code == "unreadable" for p in exc.problems)
            failed += 1
            continue
        for case in outcomes:
            if case.passed:
                passed += 1
                if not quiet:
                    io.out.write(f"PASS {case.file}:{case.line}: {case.name}\n")
            else:
                failed += 1
                io.out.write(f"FAIL {case.file}:{case.line}: {case.name}\n")
                for failure in case.failures:
                    io.out.write(f"    {failure}\n")
                if case.result is not None:  # why the lead came out as it did, in one line (the reasons column)
                    io.out.write(f"    why: {case.result.summary()}\n")
    io.out.write(f"{passed} passed, {failed} failed\n")
    if unreadable:
        return EXIT_USAGE
    return EXIT_FAILED if failed else EXIT_OK
