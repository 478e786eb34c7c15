"""``leadspec check``: validate and compile rule files, and lint them; folders are searched."""

from __future__ import annotations

import glob
import json
import os
import re
from datetime import datetime
from typing import Any

import click

from ..errors import Problem, RulesError
from ._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, as_of_option, print_problems, streams

TEST_SUFFIXES = (".test.yaml", ".test.yml")
_RULE_FILE = re.compile(r"^leadspec\s*:", re.MULTILINE)
_TOP_KEY = re.compile(r"^(fields|stages)\s*:", re.MULTILINE)


def _test_file_of(path: str) -> str | None:
    base, ext = os.path.splitext(path)
    candidate = base + ".test" + ext
    return candidate if os.path.exists(candidate) else None


def is_rule_file(path: str) -> bool:
    """Whether a YAML file found in a folder is a rule file: it has a top-level ``leadspec:`` key (in its first 64 KiB).

    A file with top-level ``fields:`` and ``stages:`` keys is one too, so
    that a misspelt ``leadspec:`` is reported, not skipped.
    """
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(1 << 16)
    except OSError:
        return True  # reported as unreadable when checked
    return bool(_RULE_FILE.search(head)) or {m.group(1) for m in _TOP_KEY.finditer(head)} == {"fields", "stages"}


def yaml_files(folder: str) -> list[str]:
    """Every ``*.yaml`` and ``*.yml`` under ``folder``, in sorted order, skipping hidden files and folders (``.git``, ``.github``)."""
    found = []
    for pattern in ("*.yaml", "*.yml"):
        found += glob.glob(os.path.join(folder, "**", pattern), recursive=True)  # glob skips names starting with '.'
    return sorted(found)


def find_files(paths: list[str]) -> tuple[list[str], list[str]]:
    """The files to check for these arguments, and the YAML files of the folders that were skipped (not rule files).

    A file argument is checked as given. In a folder, every ``*.test.yaml``
    is a test file and every other YAML file with a top-level ``leadspec:``
    key (or ``fields:`` and ``stages:``) is a rule file; other YAML files (CI
    or pre-commit configurations) are skipped.
    """
    files: list[str] = []
    skipped: list[str] = []
    for path in paths:
        if not os.path.isdir(path):
            files.append(path)
            continue
        for found in yaml_files(path):
            if found.endswith(TEST_SUFFIXES) or is_rule_file(found):
                files.append(found)
            else:
                skipped.append(found)
    return files, skipped


def check_paths(paths: list[str], strict: bool, deep: list[Any] | None = None, as_of: datetime | None = None, timeout: float = 5.0) -> tuple[list[Problem], int, int]:
    """Every problem of these rule files (and their test files); the number of files read; the number of warnings the files allow.

    Folders are searched (:func:`find_files`). A warning a rule file allows
    (its ``allow:`` list) is not a problem, only counted. With ``deep`` (a
    list), each rule file that loads is analysed too (:func:`leadspec.analysis.analyze`):
    its findings are problems and its analysis is appended to ``deep``.
    """
    from .. import lint, load, load_tests

    problems: list[Problem] = []
    seen: set[str] = set()
    files = allowed = 0
    for path in find_files(paths)[0]:
        test_files = [path] if path.endswith(TEST_SUFFIXES) else []
        if not test_files:
            files += 1
            try:
                rules = load(path)
            except RulesError as exc:
                problems += exc.problems
            else:
                lints = lint(rules)
                problems += lints
                allowed += len(lints.allowed)
                if deep is not None:
                    from ..analysis import analyze

                    analysis = analyze(rules, as_of=as_of, timeout=timeout)
                    deep.append(analysis)
                    problems += analysis.findings
                    allowed += len(analysis.allowed)
            test_file = _test_file_of(path)
            if test_file:
                test_files.append(test_file)
        for test_file in test_files:
            if os.path.abspath(test_file) in seen:
                continue
            seen.add(os.path.abspath(test_file))
            files += 1
            try:
                problems += load_tests(test_file).problems
            except RulesError as exc:
                # the rules' own problems are reported for the rules file already
                problems += [p for p in exc.problems if p.file == test_file or path == test_file]
    if strict:
        problems = [Problem(**{**p.to_dict(), "severity": "error"}) if p.severity == "warning" else p for p in problems]
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.file, p.line, p.column, p.code)), files, allowed


@click.command()
@click.argument("rules", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True, help="How to print problems.")
@click.option("--strict", is_flag=True, help="Treat warnings (lints) as errors.")
@click.option("--deep", is_flag=True, help="Also prove which stages and outcomes some lead can reach, with witness leads (needs leadspec[analysis]).")
@as_of_option
@click.option("--timeout", type=click.FloatRange(min=0.1), default=5.0, show_default=True, help="With --deep: seconds the solver may spend on one question before it is left undecided.")
def check(rules: tuple[str, ...], fmt: str, strict: bool, deep: bool, as_of: datetime | None, timeout: float) -> int:
    """Validate, compile and lint rule files and the NAME.test.yaml beside them.

    RULES are rule files, test files or folders. In a folder (and its
    subfolders), every *.test.yaml is a test file and every other *.yaml
    or *.yml with a top-level `leadspec:` key (or `fields:` and `stages:`,
    so that a misspelt `leadspec:` is reported) is a rule file; other YAML
    files are skipped, and hidden folders (.git, .github) are not searched.

    Prints every problem as FILE:LINE:COL: error[CODE]: message, with the
    expression and the bad part marked. Lints (unused fields and lists,
    stages that can never be reached, criteria that are always true or
    false, duplicate criteria) are warnings; --strict makes them errors.

    --deep proves, with the z3 solver, where some lead can end (each stage,
    with a witness lead the engine confirmed) and which outcomes each
    criterion can have, and warns about stages no lead reaches, criteria
    that never pass or never fail, contradictions and redundant items in
    groups, and gaps or overlaps between score rules over one number. It
    prints those tables before the problems (text), or {"problems": [...],
    "analyses": [...]} (json). --as-of sets the moment it reasons at.

    \b
    Examples:
      leadspec check rules/
      leadspec check rules/*.yaml
      leadspec check --format github --strict rules/acme.yaml
      leadspec check --deep rules/acme.yaml

    Exit codes: 0 no errors, 1 errors found, 2 a file could not be read or a folder has no rule file.
    """
    io = streams()
    found, skipped = find_files(list(rules))
    if not found:
        io.err.write(
            f"no rule files in {', '.join(rules)}: a rule file is a *.yaml with a top-level `leadspec:` key, a test file a *.test.yaml"
            + (f" ({len(skipped)} other YAML file{'s' if len(skipped) != 1 else ''} skipped)" if skipped else "")
            + "\n"
        )
        return EXIT_USAGE
    analyses: list[Any] | None = [] if deep else None
    if deep:
        try:
            import z3  # noqa: F401
        except ImportError:
            io.err.write("--deep needs the z3 solver: pip install 'leadspec[analysis]'\n")
            return EXIT_USAGE
    problems, files, allowed = check_paths(list(rules), strict, analyses, as_of, timeout)
    if analyses is not None and fmt == "json":
        io.out.write(json.dumps({"problems": [p.to_dict() for p in problems], "analyses": [a.to_dict() for a in analyses]}, indent=2) + "\n")
    else:
        for analysis in analyses or ():
            io.out.write(analysis.text() + "\n")
        print_problems(problems, fmt, io.out)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if fmt != "json":
        note = f" ({allowed} more allowed by `allow:` entries)" if allowed else ""
        io.err.write(f"{files} file{'s' if files != 1 else ''} checked: {errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}{note}\n")
    if any(p.code == "unreadable" for p in problems):
        return EXIT_USAGE
    return EXIT_FAILED if errors else EXIT_OK
