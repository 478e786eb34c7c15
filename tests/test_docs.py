"""The examples in docs/*.md run as tests.

Per page, in order, sharing one namespace:

- ```python blocks are executed; their ``assert`` statements are the checks;
- ```pycon blocks are doctests (``>>>`` lines and the output they print);
- ```yaml blocks that start with ``leadspec: 1`` are complete rule files
  and must load; a block whose first line is ``# broken: CODE`` must fail
  to load with a problem of that code (several codes: ``# broken: a, b``).

- ```sh and ```console blocks run their ``leadspec ...`` lines (in a
  console block, ``$ leadspec ...``; a line ending in ``\\`` goes on on
  the next) with the in-process ``leadspec.cli.run``, in a temporary copy
  of the repository's ``rules/``, ``examples/`` and ``docs/`` (one copy per
  page, the lines in order), with the shell's ``*`` expansion and ``> FILE``
  / ``< FILE``. Each must exit 0, unless the line ends with the comment
  ``# exit: N``. Other lines (``pip``, ``git``, ``pre-commit``) are not run.
  A block that cannot run there -- it reads files the repository does not
  have (``leads.jsonl``, a CRM export), or needs a real shell (a pipe,
  ``||``) -- says so in its info string: ```` ```sh no-run ````.

Other blocks (text, fragments of YAML) are for reading only.
A failure names the page and the line of the block.

The quarterly-review page runs on the full X Education export when
``X_EDUCATION_LEADS`` names it: set here from ``SHARED_DATA`` when that
copy is present (see examples/README.md for the public source).
"""

from __future__ import annotations

import doctest
import glob
import io
import os
import re
import shlex
import shutil
import traceback
from pathlib import Path

import pytest
from conftest import SHARED_DATA

import leadspec
from leadspec.cli import run

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
# pages outside docs/ whose shell blocks run too (README.md has its own test)
SHELL_PAGES = PAGES + [ROOT / "examples" / "README.md"]
FENCE = re.compile(r"^```([\w-]*)([^\n]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
BROKEN = re.compile(r"#\s*broken:\s*(.+)")
EXIT = re.compile(r"#\s*exit:\s*(\d+)\s*$")
SHELL = ("sh", "console")
COPIED = ("rules", "examples", "docs")  # what a shell block sees of the repository


def blocks(page: Path) -> list[tuple[str, str, int]]:
    """``(language, code, line of the first code line)`` for every fenced block."""
    return [(language, code, line) for language, _, code, line in fenced(page)]


def fenced(page: Path) -> list[tuple[str, str, str, int]]:
    """``(language, rest of the info string, code, line of the first code line)`` for every block."""
    text = page.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2).strip(), m.group(3), text.count("\n", 0, m.start()) + 2)
            for m in FENCE.finditer(text)]


def commands(language: str, code: str, line: int) -> list[tuple[str, int]]:
    """The ``leadspec ...`` command lines of a shell block, joined across ``\\``, with their page line."""
    found: list[tuple[str, int]] = []
    pending, start = "", line
    for number, text in enumerate(code.splitlines(), start=line):
        if not pending:
            start = number
        text = text.rstrip()
        if text.endswith("\\"):
            pending += text[:-1] + " "
            continue
        whole, pending = (pending + text).strip(), ""
        if language == "console":
            if not whole.startswith("$ "):
                continue  # output, for reading
            whole = whole[2:].lstrip()
        if whole.startswith("leadspec "):
            found.append((whole, start))
    return found


def run_command(command: str, where: str, work: Path) -> None:
    """Run one ``leadspec ...`` line as a shell would, in ``work``; it must exit as the page says."""
    expected = EXIT.search(command)
    words = shlex.split(command, comments=True)
    if any(w in ("|", "||", "&&", ";", "&", "2>", "2>&1", ">>") for w in words) or "$" in command:
        pytest.fail(f"{where}: `{command}` needs a real shell: mark the block ```sh no-run", pytrace=False)
    argv: list[str] = []
    out_path = in_path = None
    tokens = iter(words[1:])
    for word in tokens:
        if word in (">", "<"):
            target = next(tokens, None)
            if target is None:
                pytest.fail(f"{where}: `{command}`: {word} without a file", pytrace=False)
            if word == ">":
                out_path = target
            else:
                in_path = target
        elif any(c in word for c in "*?["):
            matched = sorted(glob.glob(word, root_dir=work))
            argv += matched or [word]  # no match: the word itself, as sh does
        else:
            argv.append(word)
    if in_path and not (work / in_path).is_file():
        pytest.fail(f"{where}: `{command}` reads {in_path}, which the repository does not have: "
                    "mark the block ```sh no-run", pytrace=False)
    out, err = io.StringIO(), io.StringIO()
    stdin = io.StringIO((work / in_path).read_text(encoding="utf-8") if in_path else "")
    cwd = os.getcwd()
    os.chdir(work)
    try:
        code = run(argv, stdout=out, stderr=err, stdin=stdin)
    finally:
        os.chdir(cwd)
    if out_path:
        (work / out_path).write_text(out.getvalue(), encoding="utf-8")
    want = int(expected.group(1)) if expected else 0
    if code != want:
        pytest.fail(f"{where}: `{command}` exited {code}, the page says {want} (a command that needs "
                    "files the repository does not have belongs in a ```sh no-run block)\n"
                    f"--- stdout\n{out.getvalue()[-2000:]}--- stderr\n{err.getvalue()[-2000:]}", pytrace=False)


def run_shell_blocks(page: Path, work: Path) -> int:
    """Run every runnable shell block of ``page`` in ``work``; the number of commands run."""
    ran = 0
    for language, info, code, line in fenced(page):
        if language not in SHELL or "no-run" in info.split():
            continue
        for command, number in commands(language, code, line):
            shown = page.relative_to(ROOT) if page.is_relative_to(ROOT) else page.name
            run_command(command, f"{shown}:{number}", work)
            ran += 1
    return ran


@pytest.fixture(scope="module")
def repository_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pristine copy of what shell blocks see; each page works in a copy of it."""
    base = tmp_path_factory.mktemp("repository")
    for name in COPIED:
        shutil.copytree(ROOT / name, base / name, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    return base


@pytest.mark.parametrize("page", SHELL_PAGES, ids=[str(p.relative_to(ROOT)) for p in SHELL_PAGES])
def test_shell_blocks(page: Path, repository_copy: Path, tmp_path: Path) -> None:
    work = tmp_path / "repository"
    shutil.copytree(repository_copy, work)
    run_shell_blocks(page, work)


def run_python(code: str, namespace: dict, page: Path, line: int) -> None:
    # padded so that tracebacks point at the line in the page
    compiled = compile("\n" * (line - 1) + code, str(page), "exec")
    try:
        exec(compiled, namespace)  # noqa: S102 - our own docs
        return
    except Exception:
        failure = traceback.format_exc()
    pytest.fail(f"{page.name}:{line}: python block failed\n{failure}", pytrace=False)


def run_pycon(code: str, namespace: dict, page: Path, line: int) -> None:
    test = doctest.DocTestParser().get_doctest(code, namespace, page.name, str(page), line - 1)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out = io.StringIO()
    runner.run(test, out=out.write, clear_globs=False)
    namespace.update(test.globs)
    if runner.failures:
        pytest.fail(f"{page.name}:{line}: pycon block failed\n{out.getvalue()}", pytrace=False)


def check_yaml(code: str, page: Path, line: int) -> None:
    where = f"{page.name}:{line}"
    broken = BROKEN.fullmatch(code.split("\n", 1)[0].strip())
    if not broken and not code.startswith("leadspec: 1"):
        return  # a fragment, for reading
    try:
        leadspec.loads(code, name=where)
    except leadspec.RulesError as exc:
        if not broken:
            pytest.fail(f"{where}: rule file does not load\n{exc}", pytrace=False)
        expected = {c.strip() for c in broken.group(1).split(",")}
        if not expected <= {p.code for p in exc.problems}:
            pytest.fail(f"{where}: expected problems {sorted(expected)}, got\n{exc}", pytrace=False)
    else:
        if broken:
            pytest.fail(f"{where}: marked `{broken.group(0)}` but loads without error", pytrace=False)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DOCS.parent)  # examples read files relative to the repository root
    full_export = SHARED_DATA / "x-education-leads.csv"
    if full_export.exists():
        monkeypatch.setenv("X_EDUCATION_LEADS", str(full_export))
    else:
        monkeypatch.delenv("X_EDUCATION_LEADS", raising=False)
    namespace: dict = {"__name__": f"docs.{page.stem}"}
    found = blocks(page)
    for language, code, line in found:
        if language == "python":
            run_python(code, namespace, page, line)
        elif language == "pycon":
            run_pycon(code, namespace, page, line)
        elif language == "yaml":
            check_yaml(code, page, line)
    if page.name != "index.md":
        assert any(language in ("python", "pycon") for language, _, _ in found), f"{page.name} has no tested example"


def test_every_page_is_in_the_index() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in PAGES:
        if page.name != "index.md":
            assert f"({page.name})" in index, f"index.md does not link {page.name}"


def test_a_shell_line_is_held_to_its_exit_code(tmp_path: Path) -> None:
    """The runner itself: a line that exits otherwise than its page says fails; marks are obeyed."""
    work = tmp_path / "repository"
    (work / "rules").mkdir(parents=True)
    shutil.copy(ROOT / "rules" / "b2b-saas.yaml", work / "rules" / "b2b-saas.yaml")
    page = tmp_path / "page.md"

    def ran(text: str) -> int:
        page.write_text(text, encoding="utf-8")
        return run_shell_blocks(page, work)

    with pytest.raises(pytest.fail.Exception, match=r"page.md:2: `leadspec check rules/nope.yaml` exited 2"):
        ran("```sh\nleadspec check rules/nope.yaml\n```\n")
    assert ran("```sh\nleadspec check rules/nope.yaml   # exit: 2\n```\n") == 1
    assert ran("```sh no-run\nleadspec check rules/nope.yaml\n```\n") == 0
    assert ran("```sh\npip install leadspec\n```\n") == 0  # not a leadspec line
    # the shell's * and >, a line continued with \, a console prompt
    assert ran("```sh\nleadspec check \\\n    rules/*.yaml\nleadspec schema > s.json\n```\n"
               "```console\n$ leadspec check rules/b2b-saas.yaml\n1 file checked\n```\n") == 3
    assert (work / "s.json").read_text(encoding="utf-8").startswith("{")
    with pytest.raises(pytest.fail.Exception, match="needs a real shell"):
        ran("```sh\nleadspec explain rules/b2b-saas.yaml - || true\n```\n")
