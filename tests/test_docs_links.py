"""The docs hold together: links resolve, nothing cites a file users do not have, install lines can work.

- every relative link of the user-facing pages (``docs/*.md``, README.md,
  examples/README.md, CHANGELOG.md, benchmarks/README.md) names a file or
  folder of the repository, and every ``#anchor`` a heading of the page it
  points at (GitHub's slugs: lower case, punctuation dropped, spaces to
  ``-``, ``-1``, ``-2`` … for repeats); links inside code are not links;
- external links are not fetched (no network in the tests) but must be
  well-formed ``http(s)://host/…`` URLs;
- no page cites the design notes (FORMAT.md, INTERFACES.md, "section N")
  or paths outside the repository (``../shared``);
- the version story is one: a release tag ``vX.Y.Z`` mentioned anywhere is
  the release pyproject.toml's version leads to; no ``pip install
  leadspec==…`` (leadspec is not on a package index) and no ``OWNER``
  placeholder; the ``repo: local`` pre-commit hooks of
  keeping-rules-in-git.md are leadspec's own hooks, and their entries are
  commands of the CLI.
"""

from __future__ import annotations

import re
import shlex
import tomllib
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from conftest import ROOT

import leadspec
from leadspec.cli import cli as click_cli

PAGES = sorted((ROOT / "docs").glob("*.md")) + [
    ROOT / name for name in ("README.md", "examples/README.md", "CHANGELOG.md", "benchmarks/README.md")
]
USER_PAGES = [p for p in PAGES if p.name != "CHANGELOG.md" and "benchmarks" not in p.parts]
FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
# [text](target "title") and <img src>; text may hold one level of brackets (a linked `code`)
INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\([ \t]*<?([^)>\n]*?)>?(?:[ \t]+\"[^\"]*\")?[ \t]*\)")
REFERENCE = re.compile(r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*<?(\S+?)>?(?:[ \t].*)?$", re.MULTILINE)
HTML = re.compile(r"""<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$", re.MULTILINE)
HTML_ANCHOR = re.compile(r"""<a\b[^>]*\b(?:id|name)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
CITATIONS = re.compile(r"FORMAT\.md|INTERFACES\.md|\.\./shared\b|\bsection \d+\b|§\s*\d", re.IGNORECASE)


def prose(text: str) -> str:
    """``text`` without fenced blocks and code spans (links in code are not links); lines kept."""
    text = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    return CODE_SPAN.sub(lambda m: " " * len(m.group(0)), text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lower case, punctuation out, spaces to ``-``."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every anchor of a page: its headings' slugs (repeats numbered) and explicit HTML anchors."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))  # headings keep their `code`
    found: set[str] = set()
    seen: dict[str, int] = {}
    for match in HEADING.finditer(text):
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    found.update(HTML_ANCHOR.findall(text))
    return found


def links(page: Path) -> list[tuple[int, str]]:
    """``(line, target)`` for every link of a page outside code."""
    text = prose(page.read_text(encoding="utf-8"))
    found = []
    for pattern in (INLINE, REFERENCE, HTML):
        for match in pattern.finditer(text):
            found.append((text.count("\n", 0, match.start()) + 1, match.group(1)))
    return sorted(found)


def broken_links(page: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with the links of ``page``, as ``page:line: message`` lines."""
    problems = []
    shown = page.relative_to(root) if page.is_relative_to(root) else page.name
    for line, target in links(page):
        where = f"{shown}:{line}: {target!r}"
        parts = urlsplit(target)
        if parts.scheme in ("http", "https"):
            if not re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?", parts.netloc) or " " in target:
                problems.append(f"{where}: not a well-formed URL")
            continue
        if parts.scheme == "mailto":
            continue
        if parts.scheme or parts.netloc or not target:
            problems.append(f"{where}: neither a relative link nor an http(s) URL")
            continue
        path = unquote(parts.path)
        if path.startswith("/"):
            problems.append(f"{where}: an absolute path; link relative to the page")
            continue
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            problems.append(f"{where}: no such file or folder")
        elif not linked.is_relative_to(root.resolve()):
            problems.append(f"{where}: outside the repository")
        elif parts.fragment:
            if linked.suffix != ".md":
                problems.append(f"{where}: an anchor into a file that is not a Markdown page")
            elif unquote(parts.fragment) not in anchors(linked):
                problems.append(f"{where}: {linked.name} has no heading with this anchor")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_link_resolves(page: Path) -> None:
    problems = broken_links(page)
    assert not problems, "\n".join(problems)


def test_the_link_checker_finds_broken_links(tmp_path: Path) -> None:
    """The checker itself, on a page of its own: each kind of broken link is found, good ones are not."""
    (tmp_path / "other.md").write_text("# Other page\n\n## The `check` command: options\n\n## Repeat\n\n## Repeat\n",
                                       encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n"
        "[good](other.md) [good](other.md#the-check-command-options) [good](other.md#repeat-1) [self](#page)\n"
        "[missing file](nothing.md)\n"
        "[missing anchor](other.md#the-check-command)\n"
        "[bad url](https://exa mple.com/x) [good url](https://example.com/a?b=c#d)\n"
        "`[in code](nothing.md)`\n"
        "```md\n[in a block](nothing.md)\n```\n"
        "[ref]: gone.md\n"
        "<a href=\"other.md#nope\">html</a>\n",
        encoding="utf-8",
    )
    assert broken_links(page, tmp_path) == [
        "page.md:4: 'nothing.md': no such file or folder",
        "page.md:5: 'other.md#the-check-command': other.md has no heading with this anchor",
        "page.md:6: 'https://exa mple.com/x': not a well-formed URL",
        "page.md:11: 'gone.md': no such file or folder",
        "page.md:12: 'other.md#nope': other.md has no heading with this anchor",
    ]


def test_github_slugs() -> None:
    assert slug("`leadspec check`") == "leadspec-check"
    assert slug("What changed, in words, and what it does") == "what-changed-in-words-and-what-it-does"
    assert slug("`--exit-code`: did anything change?") == "--exit-code-did-anything-change"
    assert slug("Dates & times (ISO 8601)") == "dates--times-iso-8601"
    assert slug("The [plan](plan.md) export") == "the-plan-export"


@pytest.mark.parametrize("page", USER_PAGES, ids=[str(p.relative_to(ROOT)) for p in USER_PAGES])
def test_no_page_cites_what_users_do_not_have(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    cited = [f"{page.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)!r}"
             for m in CITATIONS.finditer(text)]
    assert not cited, "cites files or sections users do not have:\n" + "\n".join(cited)


def test_the_citation_check_finds_citations() -> None:
    for text in ("see FORMAT.md section 3", "INTERFACES.md", "../shared/data/x.csv", "as in § 4"):
        assert CITATIONS.search(text), text
    assert not CITATIONS.search("the sections of a rule file; shared by two helpers")


# -- the version story -------------------------------------------------------------------------------

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
TAG = re.compile(r"\bv(\d+\.\d+\.\d+)\b")
INSTALL_PAGES = PAGES + [ROOT / ".pre-commit-hooks.yaml"]


def release_of(version: str) -> str:
    """The release a version is or leads to: ``0.1.0.dev0`` → ``0.1.0``; ``0.1.0`` → itself."""
    match = re.fullmatch(r"(\d+\.\d+\.\d+)(?:\.dev\d+|(?:a|b|rc)\d+)?", version)
    assert match, f"pyproject.toml's version {version!r} is not X.Y.Z or X.Y.Z.devN"
    return match.group(1)


def test_the_package_says_the_version_pyproject_says() -> None:
    assert leadspec.__version__ == VERSION


@pytest.mark.parametrize("page", INSTALL_PAGES, ids=[str(p.relative_to(ROOT)) for p in INSTALL_PAGES])
def test_install_lines_can_work(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    tags = set(TAG.findall(text))
    assert tags <= {release_of(VERSION)}, (
        f"{page.name} names release tags {sorted(tags)}; this is {VERSION}, whose release is v{release_of(VERSION)}")
    assert not re.search(r"leadspec\s*==", text), f"{page.name}: leadspec is not on a package index"
    assert "OWNER" not in text, f"{page.name}: a placeholder repository"
    for match in re.finditer(r"leadspec @ git\+\S+?@([\w.\-/]+)", text):
        assert match.group(1) == f"v{release_of(VERSION)}", match.group(0)


def test_release_of() -> None:
    assert release_of("0.1.0.dev0") == "0.1.0"
    assert release_of("2.3.4") == "2.3.4"
    with pytest.raises(AssertionError):
        release_of("0.1")


def _local_hooks(tmp_path: Path) -> list[dict[str, object]]:
    page = (ROOT / "docs" / "keeping-rules-in-git.md").read_text(encoding="utf-8")
    snippet = re.search(r'^```yaml title="\.pre-commit-config\.yaml"\n(.*?)^```', page, re.MULTILINE | re.DOTALL)
    assert snippet, "keeping-rules-in-git.md shows no .pre-commit-config.yaml"
    written = tmp_path / ".pre-commit-config.yaml"
    written.write_text(snippet.group(1), encoding="utf-8")
    config = yaml.safe_load(written.read_text(encoding="utf-8"))
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    hooks: list[dict[str, object]] = config["repos"][0]["hooks"]
    return hooks


def test_the_documented_pre_commit_hooks_are_leadspecs_own(tmp_path: Path) -> None:
    hooks = _local_hooks(tmp_path)
    shipped = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert [h["id"] for h in hooks] == list(shipped)
    for hook in hooks:
        assert hook["language"] == "system"  # the leadspec of the environment: no URL needed
        own = shipped[str(hook["id"])]
        for key in ("name", "entry", "files", "pass_filenames", "require_serial"):
            assert hook.get(key) == own.get(key), (hook["id"], key)


def test_the_hooks_entries_are_commands_of_the_cli(tmp_path: Path) -> None:
    commands = set(click_cli.commands)
    for hook in _local_hooks(tmp_path):
        words = shlex.split(str(hook["entry"]))
        assert words[0] == "leadspec" and words[1] in commands, hook["entry"]
        command = click_cli.commands[words[1]]
        known = {opt for param in command.params for opt in getattr(param, "opts", [])}
        assert all(w in known for w in words[2:] if w.startswith("-")), hook["entry"]


# -- the rule-file reference is complete --------------------------------------------------------------


def _schema_keys(node: object) -> set[str]:
    """Every property name anywhere in a JSON Schema."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                found.update(value)
            found |= _schema_keys(value)
    elif isinstance(node, list):
        for item in node:
            found |= _schema_keys(item)
    return found


def test_rule_files_page_names_every_key_of_the_format() -> None:
    """Every key the rule-file schema knows, at every level, is in docs/rule-files.md (as `key`)."""
    page = (ROOT / "docs" / "rule-files.md").read_text(encoding="utf-8")
    keys = _schema_keys(leadspec.json_schema())
    assert {"leadspec", "fields", "type", "at_least", "half_life", "because"} <= keys  # the walk finds them
    undocumented = sorted(k for k in keys if f"`{k}`" not in page)
    assert not undocumented, f"docs/rule-files.md does not document {undocumented}"


def test_every_option_of_every_command_is_documented() -> None:
    """Each ``--option`` of each ``leadspec`` command is named in docs/ (as `--option`, with its value, or in a command)."""
    pages = "".join(path.read_text(encoding="utf-8") for path in sorted((ROOT / "docs").glob("*.md")))
    options = {(name, opt) for name, command in click_cli.commands.items() for param in command.params for opt in getattr(param, "opts", []) if opt.startswith("--")}
    assert ("diff", "--timeout") in options and ("qualify", "--engine") in options  # the walk finds them
    undocumented = sorted((name, opt) for name, opt in options if not re.search(r"[` ]" + re.escape(opt) + r"(?=[`\s=])", pages))
    assert not undocumented, f"docs/ does not document these options: {undocumented}"
