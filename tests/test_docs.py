"""The examples in docs/*.md run as tests.

Per page, in order, sharing one namespace:

- ```python blocks are executed; their ``assert`` statements are the checks;
- ```pycon blocks are doctests (``>>>`` lines and the output they print);
- ```yaml blocks that start with ``leadspec: 1`` are complete rule files
  and must load; a block whose first line is ``# broken: CODE`` must fail
  to load with a problem of that code (several codes: ``# broken: a, b``).

Other blocks (shell, text, fragments of YAML) are for reading only.
A failure names the page and the line of the block.
"""

from __future__ import annotations

import doctest
import io
import re
import traceback
from pathlib import Path

import pytest

import leadspec

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(DOCS.glob("*.md"))
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
BROKEN = re.compile(r"#\s*broken:\s*(.+)")


def blocks(page: Path) -> list[tuple[str, str, int]]:
    """``(language, code, line of the first code line)`` for every fenced block."""
    text = page.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 2) for m in FENCE.finditer(text)]


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
