"""``leadspec test``: run the rule tests (``*.test.yaml``), and say what they cover (``--coverage``)."""

from __future__ import annotations

import glob
import json
import os
from datetime import datetime
from typing import IO, TYPE_CHECKING

import click

from ..errors import RulesError
from ._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, as_of_option, load_rules, print_problems, streams

if TYPE_CHECKING:
    from .. import Coverage


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
@click.option("--coverage", "show_coverage", is_flag=True, help="Also print, per test file, which outcomes of each criterion and stage the cases exercised.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default=None, help="With --coverage: a table per file (text, the default) or one JSON document on standard output.")
@click.option("--fail-under", type=click.FloatRange(0, 100), metavar="PCT", default=None, help="With --coverage: exit 1 when the total coverage is below PCT percent.")
@click.option("--generate", "generate", is_flag=True, help="Print a starting test file for the rule file PATH: witness leads for every stage and outcome, and at each threshold, for review (needs leadspec[analysis]).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="With --generate: write the test file here (never over an existing file) instead of standard output.")
@as_of_option
def test(paths: tuple[str, ...], quiet: bool, show_coverage: bool, fmt: str | None, fail_under: float | None, generate: bool, output: str | None, as_of: datetime | None) -> int:
    """Run the cases of rule test files (default: every *.test.yaml under rules/).

    PATHS are test files or folders (every *.test.yaml in them and their
    subfolders). Prints each failing case with what was expected and what
    came out, then a line `N passed, N failed`. A case naming a stage,
    criterion or score the rules do not have, or whose lead has a key no
    field reads, fails with a located message; the other cases still run.

    With --coverage, then prints per test file which outcomes (pass, fail,
    unknown) each criterion and each stage's condition had in some case (x),
    had in none (.) or cannot have (-: e.g. unknown under a `missing: fail`
    policy), how many cases ended at each stage, and the total percentage
    of possible outcomes exercised. --format json prints one JSON document
    on standard output instead (the case lines go to standard error).

    \b
    Examples:
      leadspec test
      leadspec test rules/acme.test.yaml
      leadspec test --coverage --fail-under 80
      leadspec test --generate rules/acme.yaml > rules/acme.test.yaml

    With --generate, PATH is one rule file: prints a starting test file
    (witness leads for every stage and criterion outcome, and on both sides
    of each number threshold, found with the z3 solver of leadspec[analysis]),
    each case's expect filled in by evaluating the rules as they are and
    marked for review; --as-of pins the moment (default: today), -o writes
    a new file instead of standard output.

    Exit codes: 0 every case passed, 1 a case failed, a test file is invalid or the coverage is under
    --fail-under, 2 a file could not be read or there is nothing to run.
    """
    if generate:
        if show_coverage or fmt is not None or fail_under is not None:
            raise click.UsageError("--generate writes a test file; run --coverage on it afterwards")
        if len(paths) != 1:
            raise click.UsageError("--generate takes one rule file: leadspec test --generate rules/acme.yaml > rules/acme.test.yaml")
        return generate_file(paths[0], output, as_of)
    if output is not None or as_of is not None:
        raise click.UsageError("-o/--output and --as-of go with --generate")
    if not show_coverage:
        refuse_coverage_options(fmt, fail_under)
    io = streams()
    if not paths and not os.path.isdir("rules"):
        io.err.write(NO_RULES_FOLDER + "\n")
        return EXIT_USAGE
    files = find_test_files(list(paths))
    if not files:
        io.err.write(f"no *.test.yaml files under {', '.join(paths) or 'rules'}\n")
        return EXIT_USAGE
    as_json = show_coverage and fmt == "json"
    # with --format json, standard output holds the document alone: the case lines go to standard error
    cases_out = io.err if as_json else io.out
    passed, failed, unreadable, coverages = run_files(files, quiet, cases_out, show_coverage)
    cases_out.write(f"{passed} passed, {failed} failed\n")
    if unreadable:
        return EXIT_USAGE
    code = EXIT_FAILED if failed else EXIT_OK
    if show_coverage:
        if as_json:
            io.out.write(json.dumps(coverage_document(coverages, passed, failed), indent=2, ensure_ascii=False) + "\n")
        else:
            print_coverage(coverages, io.out)
        if not enough_coverage(coverages, fail_under, io.err):
            code = EXIT_FAILED
    return code


def generate_file(rules_path: str, output: str | None, as_of: datetime | None) -> int:
    """``--generate``: the starting test file of ``rules_path`` on standard output, or in ``output`` (created, never replaced)."""
    from ..analysis import generate_tests

    io = streams()
    rules = load_rules(rules_path)
    try:
        import z3  # noqa: F401
    except ImportError:
        io.err.write("--generate needs the z3 solver: pip install 'leadspec[analysis]'\n")
        return EXIT_USAGE
    # the test file names its rules relative to where it is (beside them, when printed)
    where = os.path.dirname(os.path.abspath(output)) if output else os.path.dirname(os.path.abspath(rules_path))
    relative = os.path.relpath(os.path.abspath(rules_path), where).replace(os.sep, "/")
    text = generate_tests(rules, rules_path=relative, as_of=as_of)
    if output is None:
        io.out.write(text)
        return EXIT_OK
    if os.path.exists(output):
        io.err.write(f"{output} exists: --generate never replaces a test file (write to a new name and compare)\n")
        return EXIT_USAGE
    temporary = f"{output}.{os.getpid()}.tmp"
    try:
        with open(temporary, "x", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        io.err.write(f"cannot write {output}: {exc.strerror or exc}\n")
        return EXIT_USAGE
    try:
        os.link(temporary, output)  # whole or not at all, and never over a file that appeared meanwhile
    except FileExistsError:
        io.err.write(f"{output} exists: --generate never replaces a test file (write to a new name and compare)\n")
        return EXIT_USAGE
    finally:
        os.unlink(temporary)
    io.err.write(f"wrote {output}: review every case before you keep it\n")
    return EXIT_OK


def refuse_coverage_options(fmt: str | None, fail_under: float | None) -> None:
    """A usage error when an option of --coverage is given without it."""
    given = [(option, value) for option, value in (("--format", fmt), ("--fail-under", fail_under)) if value is not None]
    if given:
        names = " and ".join(option for option, _ in given)
        example = " ".join(f"{option} {value:g}" if isinstance(value, float) else f"{option} {value}" for option, value in given)
        raise click.UsageError(f"{names} need{'' if len(given) > 1 else 's'} --coverage: leadspec test --coverage {example}")


def run_files(files: list[str], quiet: bool, out: IO[str], keep_coverage: bool) -> tuple[int, int, bool, list[Coverage]]:
    """Run every case of ``files``, printing a line per case: (passed, failed, a file was unreadable, the coverage of each file that loaded)."""
    from .. import load_tests

    passed = failed = 0
    unreadable = False
    coverages = []
    for path in files:
        try:
            tests = load_tests(path)
        except RulesError as exc:
            print_problems(exc.problems, "text", out)
            unreadable = unreadable or any(p.code == "unreadable" for p in exc.problems)
            failed += 1
            continue
        outcomes = tests.run()
        for case in outcomes:
            if case.passed:
                passed += 1
                if not quiet:
                    out.write(f"PASS {case.file}:{case.line}: {case.name}\n")
            else:
                failed += 1
                out.write(f"FAIL {case.file}:{case.line}: {case.name}\n")
                for failure in case.failures:
                    out.write(f"    {failure}\n")
                if case.result is not None:  # why the lead came out as it did, in one line (the reasons column)
                    out.write(f"    why: {case.result.summary()}\n")
        if keep_coverage:
            coverages.append(tests.coverage(outcomes))
    return passed, failed, unreadable, coverages


# -- coverage ----------------------------------------------------------------------------------------

LEGEND = "x: exercised, .: not exercised, -: cannot happen"
OUTCOMES = ("pass", "fail", "unknown")


def total(coverages: list[Coverage]) -> tuple[int, int]:
    """(covered, possible) outcomes over every file."""
    return sum(c.covered for c in coverages), sum(c.possible for c in coverages)


def percent_text(covered: int, possible: int) -> str:
    """``73.3%``: one decimal, as the JSON document rounds it."""
    return f"{round(100.0 * covered / possible if possible else 100.0, 1):.1f}%"


def enough_coverage(coverages: list[Coverage], fail_under: float | None, err: IO[str]) -> bool:
    """False, saying so on ``err``, when the total coverage is below ``fail_under`` percent (compared exactly, not rounded)."""
    covered, possible = total(coverages)
    if fail_under is None or covered * 100 >= fail_under * possible:
        return True
    err.write(f"coverage {below(covered, possible, fail_under)} ({covered} of {possible} outcomes) is under --fail-under {fail_under:g}%\n")
    return False


def below(covered: int, possible: int, threshold: float) -> str:
    """The percentage with as many decimals as it takes to show it below ``threshold`` (84.67%, not 84.7%, under 84.7)."""
    value = 100.0 * covered / possible
    for decimals in range(1, 7):
        if round(value, decimals) < threshold:
            break
    return f"{value:.{decimals}f}%"


def print_coverage(coverages: list[Coverage], out: IO[str]) -> None:
    """A table per file, then the total line and the legend."""
    errors = False
    for cov in coverages:
        width = max([len("criterion")] + [len(row.id) for row in cov.criteria + cov.stages]) + 2
        out.write(f"\ncoverage of {cov.file} ({cov.cases} case{'s' if cov.cases != 1 else ''}): "
                  f"{cov.covered} of {cov.possible} outcomes, {percent_text(cov.covered, cov.possible)}\n")
        out.write(f"  {'criterion':<{width}}pass  fail  unknown  not exercised\n".rstrip() + "\n")
        for row in cov.criteria:
            marks = [_mark(o, row.possible, row.seen) for o in OUTCOMES]
            errors = errors or "!" in marks
            out.write(f"  {row.id:<{width}}{marks[0]:<6}{marks[1]:<6}{marks[2]:<9}{', '.join(row.missed)}".rstrip() + "\n")
        out.write(f"  {'stage':<{width}}pass  fail  unknown  ended  not exercised\n")
        for stage in cov.stages:
            marks = [_mark(o, stage.possible, stage.seen) for o in OUTCOMES]
            errors = errors or "!" in marks
            out.write(f"  {stage.id:<{width}}{marks[0]:<6}{marks[1]:<6}{marks[2]:<9}{stage.ended:<7}{', '.join(stage.missed)}".rstrip() + "\n")
    covered, possible = total(coverages)
    files = f" ({len(coverages)} files)" if len(coverages) != 1 else ""
    out.write(f"\ntotal coverage: {covered} of {possible} outcomes, {percent_text(covered, possible)}{files}\n")
    out.write(f"({LEGEND}{', !: unknown because an expression failed, not counted' if errors else ''})\n")


def _mark(outcome: str, possible: tuple[str, ...], seen: tuple[str, ...]) -> str:
    if outcome in possible:
        return "x" if outcome in seen else "."
    return "!" if outcome in seen else "-"


def coverage_document(coverages: list[Coverage], passed: int, failed: int) -> dict[str, object]:
    """The JSON document of ``--coverage --format json`` (docs/command-line.md describes it)."""
    covered, possible = total(coverages)
    return {
        "files": [cov.to_dict() for cov in coverages],
        "total": {"covered": covered, "possible": possible, "percent": round(100.0 * covered / possible if possible else 100.0, 1)},
        "cases": {"passed": passed, "failed": failed},
    }
