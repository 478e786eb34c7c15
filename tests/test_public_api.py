"""The public API: what ``leadspec.__all__`` names, and the command line standing on it alone.

The command line and the pytest plugin are users of the library like any
other: they import only public modules and public names, so whatever they
can do, a user's script can do too.
"""

from __future__ import annotations

import ast
import inspect
import os
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

import leadspec
from conftest import FIXTURES, ROOT

SOURCE = ROOT / "src" / "leadspec"
CONSUMERS = sorted((SOURCE / "cli").glob("*.py")) + [SOURCE / "pytest_plugin.py"]


def imports_of(path: Path, src: Path) -> list[tuple[int, str, str]]:
    """``(line, module, name)`` for every name ``path`` (a module under ``src``) imports, modules made absolute (``name`` is ``""`` for ``import m``)."""
    package = ".".join(path.relative_to(src).with_suffix("").parts[:-1])
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name, "") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out += [(node.lineno, module, alias.name) for alias in node.names]
    return out


def private_imports(path: Path, src: Path = SOURCE.parent) -> list[str]:
    """What ``path`` imports that is not public: a ``leadspec._…`` module, a ``_``-name, a name not in its module's ``__all__``.

    The command line's own helpers (``leadspec.cli._io``, ``_common``,
    ``_pool``) are its business; their names must still be public ones.
    """
    bad = []
    for line, module, name in imports_of(path, src):
        where = f"{path.relative_to(src)}:{line}: {module}{'.' + name if name else ''}"
        parts = module.split(".")
        inside_cli = parts[:2] == ["leadspec", "cli"]
        if name.startswith("_"):
            bad.append(where)
        elif parts[0] != "leadspec":
            continue
        elif any(part.startswith("_") for part in (parts[3:] if inside_cli else parts[1:])):
            bad.append(where)
        elif name and not inside_cli:
            target = sys.modules.get(module) or __import__(module, fromlist=["__all__"])
            if name not in getattr(target, "__all__", ()):
                bad.append(where + " (not in its __all__)")
    return bad


@pytest.mark.parametrize("path", CONSUMERS, ids=[p.name for p in CONSUMERS])
def test_the_command_line_and_the_pytest_plugin_import_only_public_names(path: Path) -> None:
    assert private_imports(path) == []


def test_the_import_check_catches_private_modules_and_names(tmp_path: Path) -> None:
    text = (
        "from .. import load\n"
        "from .._lint import lint\n"
        "from ..ruleset import read_rules_file\n"
        "from ..ruleset import _as_of\n"
        "import leadspec._testfile\n"
        "from ._io import finite, _quote\n"
        "from ..errors import RulesError\n"
    )
    module = tmp_path / "leadspec" / "cli" / "example.py"
    module.parent.mkdir(parents=True)
    module.write_text(text, encoding="utf-8")
    assert [b.split(": ", 1)[1] for b in private_imports(module, tmp_path)] == [
        "leadspec._lint.lint",
        "leadspec.ruleset.read_rules_file (not in its __all__)",
        "leadspec.ruleset._as_of",
        "leadspec._testfile",
        "leadspec.cli._io._quote",
    ]


UNDOCUMENTED: dict[str, str] = {}
"""Public classes still without a docstring of their own (in files of the lead's): they fail here until they have one."""


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=f"no docstring yet in {UNDOCUMENTED[name]}"))
        if name in UNDOCUMENTED
        else name
        for name in leadspec.__all__
    ],
)
def test_every_public_name_resolves_and_is_documented(name: str) -> None:
    value = getattr(leadspec, name)
    if inspect.isclass(value) or inspect.isroutine(value):
        doc = value.__doc__ or ""
        assert doc.strip(), f"leadspec.{name} has no docstring"
        assert not doc.startswith(f"{value.__name__}("), f"leadspec.{name} has only the docstring dataclass makes up"
    page = (ROOT / "docs" / "python-api.md").read_text(encoding="utf-8")
    assert f"`{name}`" in page or f"leadspec.{name}" in page, f"docs/python-api.md does not mention {name}"


def test_all_is_sorted_without_duplicates_and_dir_shows_it() -> None:
    assert len(set(leadspec.__all__)) == len(leadspec.__all__)
    assert set(leadspec.__all__) <= set(dir(leadspec))


def test_import_leadspec_stays_cheap_with_the_new_names() -> None:
    code = (
        "import sys, leadspec; "
        "loaded = [m for m in ('leadspec._testfile', 'leadspec._lint', 'leadspec._yaml', 'leadspec.ruleset', 'pydantic') if m in sys.modules]; "
        "print(loaded)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(SOURCE.parent)})
    assert out.stdout.strip() == "[]"


# -- the names the command line needed -------------------------------------------


def test_lint_returns_the_warnings_of_a_loaded_ruleset() -> None:
    rules = leadspec.loads(
        "leadspec: 1\nname: x\nfields:\n  a: {type: integer}\n  b: {type: string}\nstages: [{id: s, when: a > 1}]\n", name="x.yaml"
    )
    warnings = leadspec.lint(rules)
    assert [(p.file, p.line, p.code, p.severity) for p in warnings] == [("x.yaml", 5, "unused-field", "warning")]


def test_load_tests_gives_the_cases_with_their_lines_and_moments() -> None:
    tests = leadspec.load_tests(FIXTURES / "acme-b2b.test.yaml")
    assert isinstance(tests, leadspec.RuleTests) and tests.rules.name == leadspec.load(FIXTURES / "acme-b2b.yaml").name
    text = (FIXTURES / "acme-b2b.test.yaml").read_text(encoding="utf-8").splitlines()
    assert tests.cases, "the fixture has cases"
    for case in tests.cases:
        assert isinstance(case, leadspec.RuleCase)
        assert f"name: {case.name}" in text[case.line - 1], (case.line, case.name)
        assert case.as_of is not None  # the fixture sets as_of for the file
        assert case.check(tests.rules.evaluate(case.lead, as_of=case.as_of)) == []


def test_run_tests_reports_each_difference_and_never_crashes(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "leadspec: 1\nname: r\nfields: {n: {type: integer}}\nstages: [{id: big, all: [{many: n > 10}]}]\n", encoding="utf-8"
    )
    (tmp_path / "r.test.yaml").write_text(
        "rules: r.yaml\n"
        "as_of: 2026-01-01\n"
        "cases:\n"
        "  - {name: ten, lead: {n: 10}, expect: {stage: lead, failed: [big.many]}}\n"
        "  - {name: wrong, lead: {n: 11}, expect: {stage: lead, failed: [big.many]}}\n"
        "  - {name: bad moment, lead: {n: 11}, as_of: yesterday, expect: {stage: big}}\n",
        encoding="utf-8",
    )
    outcomes = leadspec.run_tests(tmp_path / "r.test.yaml")
    assert [(o.name, o.line, o.passed) for o in outcomes] == [("ten", 4, True), ("wrong", 5, False), ("bad moment", 6, False)]
    assert outcomes[1].failures[0] == "stage: expected lead, got big"
    assert outcomes[1].failures[1].startswith("big.many: expected fail, got pass (") and len(outcomes[1].failures) == 2
    assert outcomes[1].result is not None and outcomes[1].result.stage == "big"
    assert outcomes[2].result is None and outcomes[2].failures[0].startswith("evaluation raised ValueError: as_of 'yesterday'")
    assert isinstance(outcomes[0], leadspec.CaseOutcome)


def test_load_tests_gives_a_case_naming_what_the_rules_do_not_have_its_problems(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text("leadspec: 1\nname: r\nfields: {n: {type: integer}}\nstages: [{id: big, when: n > 10}]\n", encoding="utf-8")
    (tmp_path / "r.test.yaml").write_text(
        "rules: r.yaml\ncases:\n  - {name: c, lead: {}, expect: {stage: bgi}}\n  - {name: d, lead: {n: 11}, expect: {stage: big}}\n", encoding="utf-8"
    )
    tests = leadspec.load_tests(tmp_path / "r.test.yaml")
    assert [(p.line, p.code) for p in tests.problems] == [(3, "unknown-stage")]
    assert "did you mean 'big'?" in tests.problems[0].message
    assert [(o.name, o.passed) for o in tests.run()] == [("c", False), ("d", True)]


def test_parse_as_of_is_the_moment_evaluate_uses() -> None:
    utc = datetime(2026, 11, 1, tzinfo=timezone.utc)
    assert leadspec.parse_as_of("2026-11-01T02:00:00+02:00") == utc
    assert leadspec.parse_as_of(date(2026, 11, 1)) == utc
    assert leadspec.parse_as_of(datetime(2026, 11, 1)) == utc
    with pytest.raises(ValueError, match="as_of 'soon'"):
        leadspec.parse_as_of("soon")
    with pytest.raises(TypeError):
        leadspec.parse_as_of(20261101)  # type: ignore[arg-type]


def test_a_file_over_max_file_bytes_is_refused(tmp_path: Path) -> None:
    assert leadspec.MAX_FILE_BYTES == 1024 * 1024  # as documented: 1 MiB
    big = tmp_path / "big.yaml"
    big.write_text("leadspec: 1\n" + "#" * leadspec.MAX_FILE_BYTES, encoding="utf-8")
    with pytest.raises(leadspec.RulesError) as info:
        leadspec.load(big)
    assert [p.code for p in info.value.problems] == ["file-too-large"]
