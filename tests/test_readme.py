"""The README stays true: its two commands, its Python example and what it prints."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = [b for b in re.findall(r"```(\w+)\n(.*?)```", README, re.S) if b[0] != "console"]  # console: tested on its own below


def test_readme_starts_with_two_sentences_then_exactly_two_commands() -> None:
    intro = README.split("```")[0].split("\n", 2)[2].strip()
    assert len(re.findall(r"[.!?](?:\s|$)", intro)) == 2, intro
    assert [lang for lang, _ in BLOCKS[:3]] == ["sh", "sh", "python"]
    run, test = (BLOCKS[0][1].strip(), BLOCKS[1][1].strip())
    assert "leadspec qualify rules/x-education.yaml examples/x-education-sample.csv" in run
    assert (ROOT / "rules/x-education.yaml").exists() and (ROOT / "examples/x-education-sample.csv").exists()
    assert "pip install -e '.[test]'" in test and "pytest" in test


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = BLOCKS[1][1].strip()
    pip_and_pytest = test_command.split("&& ", 2)[2]  # after creating and activating the venv
    assert pip_and_pytest in ci


def test_python_example_runs_and_prints_what_the_readme_shows() -> None:
    code = BLOCKS[2][1]
    shown = BLOCKS[3][1]
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    # a consistency check of the docs with the code, not a test of the results
    # (the example's own asserts check those)
    assert out.getvalue() == shown


def test_your_own_rules_commands_run_on_an_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The 'Your own rules' commands, in order, on the shipped sample saved as export.csv."""
    import shlex
    import shutil

    from conftest import cli

    block = README.split("## Your own rules", 1)[1].split("```console\n", 1)[1].split("```", 1)[0]
    lines = [line[2:].split("  #", 1)[0].strip() for line in block.splitlines() if line.startswith("$ ")]
    assert [line.split()[1] for line in lines] == ["init", "check", "test", "qualify", "explain"]
    shutil.copy(ROOT / "examples" / "x-education-sample.csv", os.path.join(tmp_path, "export.csv"))
    monkeypatch.chdir(tmp_path)
    for line in lines:
        argv = shlex.split(line)[1:]
        if argv[0] in ("qualify", "explain"):
            argv += ["--as-of", "2026-11-01"]
        code, out, err = cli(*argv)
        assert code == 0, f"{line}\n{out}{err}"
    assert os.path.exists(os.path.join(tmp_path, "qualified.csv"))
