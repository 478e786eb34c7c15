"""Issue 8, item 19: ``leadspec diff`` never lets REV reach git as an option, and never reads a
rule file larger than the limit into memory."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, cli

GIT = ["git", "-c", "user.name=leadspec", "-c", "user.email=leadspec@example.invalid"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run([*GIT, "init", "-q"], cwd=tmp_path, check=True)
    shutil.copy(ROOT / "rules" / "x-education.yaml", tmp_path / "a.yaml")
    (tmp_path / "big.yaml").write_text("leadspec: 1\n" + "#" * (1024 * 1024 + 10) + "\n")
    subprocess.run([*GIT, "add", "."], cwd=tmp_path, check=True)
    subprocess.run([*GIT, "commit", "-qm", "v1"], cwd=tmp_path, check=True)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(cwd)


def test_item19_a_rev_that_looks_like_an_option_is_refused_and_writes_nothing(repo: Path) -> None:
    before = sorted(os.listdir(repo))
    code, _, err = cli("diff", "--", f"--output={repo}/out:a.yaml", "a.yaml")
    assert code == 2
    assert "a revision cannot start with '-'" in err
    assert sorted(os.listdir(repo)) == before  # git show wrote no file


def test_item19_rev_path_still_reads_tags_and_relative_revisions(repo: Path) -> None:
    code, out, err = cli("diff", "HEAD:a.yaml", "a.yaml", "--exit-code")
    assert (code, err) == (0, "")
    assert out.startswith("0 changes")
    code, _, err = cli("diff", "HEAD:nope.yaml", "a.yaml")
    assert code == 2 and "nope.yaml" in err


def test_item19_a_file_over_the_limit_is_refused_before_it_is_read(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[int] = []
    real_open = open

    def counting_open(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        handle = real_open(file, mode, *args, **kwargs)
        if str(file).endswith("big.yaml"):
            reads.append(1)
        return handle

    monkeypatch.setattr("builtins.open", counting_open)
    code, _, err = cli("diff", "big.yaml", "a.yaml")
    assert code == 2 and "error[file-too-large]" in err and "the limit is 1,048,576 bytes" in err
    assert reads == []  # the size was read from the file system, the file itself never opened


def test_item19_a_blob_over_the_limit_is_refused_by_its_size(repo: Path) -> None:
    code, _, err = cli("diff", "HEAD:big.yaml", "a.yaml")
    assert code == 2 and "HEAD:big.yaml:1:1: error[file-too-large]" in err
