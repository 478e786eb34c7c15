"""The README stays true: its two commands, its Python example and what it prints."""

from __future__ import annotations

import contextlib
import io
import os
import re

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, re.S)


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
