"""The YAML loader builds data and positions straight from the parser's events (issue 8, item 18).

``load_yaml`` used to compose the whole document into a tree of PyYAML
nodes and then walk it; composing alone cost more than a second for a
1 MiB file, and a 500,000-item flow list was composed completely before
the node limit refused it. It now builds from the event stream and
counts nodes as it builds them.

The old compose-based builder is kept below, unchanged, as the oracle:
on the repository's rule and test files, the YAML blocks of the docs, a
set of hostile documents and random documents, the new loader must give
the same data, the same positions (values, keys, styles, ends) and the
same problems. Three differences are deliberate and tested as such:

- a limit (``too-many-nodes``, ``too-deep``) is reported as soon as it is
  reached, so a YAML error further on is no longer seen (still refused);
- an alias inside the node it refers to (``&a [*a]``) is refused at the
  alias, naming it (it used to recurse until a limit hit somewhere);
- a key that is a list or a mapping is reported with its value, not with
  the ``repr`` of PyYAML's node objects.

Two bugs are fixed, in the oracle too (see there).
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leadspec
from leadspec import _yaml
from leadspec._yaml import Positions, _Limit, _Loader, format_path
from leadspec.errors import Problem

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = 2000 if os.environ.get("LEADSPEC_FUZZ") else 150
settings.register_profile("yaml-loader", max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
FUZZ = settings.get_profile("yaml-loader")


# ---------------------------------------------------------------------------
# The oracle: the compose-based loader as it was before the rewrite, verbatim
# but for reading the limits from the module (so that tests may lower them)
# and two fixes that the rewrite brings, each tested on its own:
# 1. a tagged scalar that PyYAML's constructors trip over (`!!bool a` raised
#    KeyError, `!!int ""` IndexError) is a problem, not a crash
#    (test_explicit_tags_that_do_not_fit_are_problems_not_crashes);
# 2. a scalar that cannot be read and is reached again through an alias gets
#    the same problem each time: PyYAML's constructor remembered the failed
#    node and said "found unconstructable recursive node", and the value
#    became the text (test_unreadable_scalar_behind_an_alias_is_the_same_problem_each_time).
# 3. a YAML syntax error is worded by the loader's translation of PyYAML's error (issue 10: it says what
#    to change, at the line where the user must act), tested on its own in test_first_hour_errors.py.

_PLAIN_TAGS = ("tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")
_STR = "tag:yaml.org,2002:str"


class _OldBuilder:
    def __init__(self, file: str) -> None:
        self.positions = Positions(file)
        self.problems: list[Problem] = []
        self.count = 0
        self.constructor = yaml.SafeLoader("")

    def problem(self, path, mark, code, message) -> None:
        self.problems.append(
            Problem(self.positions.file, mark.line + 1, mark.column + 1, code, message, format_path(path))
        )

    def build(self, node, path):
        self.count += 1
        if self.count > _yaml.MAX_NODES:
            raise _Limit(
                "too-many-nodes",
                f"the document expands to more than {_yaml.MAX_NODES:,} nodes (an alias bomb?)",
                node.start_mark,
            )
        start = node.start_mark
        self.positions.values[path] = (start.line + 1, start.column + 1)
        if isinstance(node, yaml.ScalarNode):
            self.positions.styles[path] = node.style
            self.positions.ends[path] = (node.end_mark.line + 1, node.end_mark.column + 1)
            if node.tag == _STR:
                return node.value
            try:  # (change 2: a fresh node, see the top of this section)
                fresh = yaml.ScalarNode(node.tag, node.value, node.start_mark, node.end_mark, style=node.style)
                return self.constructor.construct_object(fresh, deep=True)
            except yaml.YAMLError as exc:
                self.problem(path, node.start_mark, "yaml-value", str(getattr(exc, "problem", exc)))
                return node.value
            except (ValueError, OverflowError) as exc:
                self.problem(path, node.start_mark, "yaml-value", f"value cannot be read: {exc}")
                return None
            except (LookupError, AttributeError, TypeError):  # change 1: the crash fixed by the rewrite
                self.problem(path, node.start_mark, "yaml-value", f"value {node.value!r} cannot be read as {node.tag}")
                return None
        if len(path) - path.count("<key>") >= _yaml.MAX_DEPTH:
            raise _Limit("too-deep", f"nesting is deeper than {_yaml.MAX_DEPTH} levels", start)
        if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)) and node.tag not in _PLAIN_TAGS:
            self.problem(path, node.start_mark, "yaml-value", f"the YAML tag {node.tag} is not allowed")
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self.problem(path, key_node.start_mark, "yaml-merge", "merge keys (<<) are not supported; write the keys out")
                    continue
                key = self.build(key_node, path + ("<key>",))
                if not isinstance(key, str):
                    self.problem(
                        path,
                        key_node.start_mark,
                        "key-type",
                        f"key {key_node.value!r} is read as {type(key).__name__}, keys must be text; quote it: '{key_node.value}'",
                    )
                    key = str(key_node.value)
                if key in out:
                    self.problem(
                        path + (key,),
                        key_node.start_mark,
                        "duplicate-key",
                        f"duplicate key {key!r}: YAML would keep only the last one",
                    )
                    continue
                self.positions.keys[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                out[key] = self.build(value_node, path + (key,))
            self.positions.values.pop(path + ("<key>",), None)
            self.positions.styles.pop(path + ("<key>",), None)
            self.positions.ends.pop(path + ("<key>",), None)
            return out
        raise AssertionError(f"unexpected YAML node {node!r}")


def old_load_yaml(text: str, file: str, loader: Any = _Loader) -> tuple[Any, Positions, list[Problem]]:
    positions = Positions(file)
    try:
        node = yaml.compose(text, Loader=loader)
        if node is None:
            return None, positions, [Problem(file, 1, 1, "empty", "the file is empty")]
        builder = _OldBuilder(file)
        data = builder.build(node, ())
    except _Limit as exc:
        return None, positions, [Problem(file, exc.mark.line + 1, exc.mark.column + 1, exc.code, exc.message)]
    except yaml.MarkedYAMLError as exc:  # (change 3: PyYAML's error said as the loader says it, see the top of this section)
        return None, positions, [_yaml.yaml_syntax_problem(file, text, exc)]
    except yaml.YAMLError as exc:
        return None, positions, [Problem(file, 1, 1, "yaml-syntax", str(exc))]
    except RecursionError:
        return None, positions, [Problem(file, 1, 1, "too-deep", "nesting is too deep")]
    return data, builder.positions, builder.problems


# ---------------------------------------------------------------------------
# Comparing the two


def canonical(value: Any) -> Any:
    """``value`` with its types spelled out (``1 == 1.0 == True`` in Python) and NaN comparable."""
    if isinstance(value, dict):
        return ("dict", [(canonical(k), canonical(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [canonical(v) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


def is_limit(problem: Problem) -> bool:
    return problem.code in ("too-many-nodes", "too-deep")


RECURSIVE = "is inside the node it refers to"


def parser_gave_up(text: str) -> tuple[int, int]:
    """(line, column) where PyYAML stops composing ``text`` with a syntax error."""
    try:
        yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return (mark.line + 1, mark.column + 1) if mark else (1, 1)
    raise AssertionError("no YAML syntax error")


def assert_same(text: str) -> str:
    """The new loader agrees with the old one on ``text``; returns how (``same`` or a deliberate difference)."""
    new = _yaml.load_yaml(text, "f.yaml")
    old = old_load_yaml(text, "f.yaml")
    new_data, new_positions, new_problems = new
    old_data, old_positions, old_problems = old
    if new_problems and RECURSIVE in new_problems[0].message:
        # an alias inside its own node: the old loader recursed until a limit (or Python's) stopped it
        assert new_data is None and len(new_problems) == 1 and new_problems[0].code == "too-deep", new_problems
        if old_data is not None:
            # the old loader never read that node: it skipped it as the value of a duplicate key, two collection
            # keys that PyYAML spelled alike ({} and [] were both "[]"; see "collection key" below)
            assert any(p.code == "duplicate-key" and re.search(r"duplicate key '[\[{]", p.message) for p in old_problems), old_problems
            return "recursive"
        assert len(old_problems) == 1, old_problems
        assert old_problems[0].code in ("too-deep", "too-many-nodes", "yaml-syntax"), old_problems
        return "recursive"
    if new_data is None and old_data is None and len(new_problems) == len(old_problems) == 1:
        got, want = new_problems[0], old_problems[0]
        if is_limit(got) and want.code == "yaml-syntax":
            # the limit is met before the YAML error further on: the load stops there now (before the place where
            # the parser gave up; the problem itself is said where the user must act, which may be earlier)
            assert (got.line, got.column) <= parser_gave_up(text), (got, want)
            return "limit first"
    if any(p.code == "key-type" and re.search(r"is read as (dict|list)", p.message) for p in old_problems):
        # a key that is a collection (often an alias): it was spelled with PyYAML's node objects, in the
        # message, in the key kept in the data and in the paths under it; now with its value. So two collection
        # keys that PyYAML spelled alike ({} and [] were both "[]") were duplicates before and are not now, and the
        # value of the second is read now (with the problems it has) where it was skipped as a duplicate's
        def located(problems: list[Problem], code: str) -> list[tuple[str, int, int]]:
            return [(p.code, p.line, p.column) for p in problems if p.code == code]

        assert located(new_problems, "key-type") == located(old_problems, "key-type")
        # the duplicates the old loader found among keys that are not collections are found still; a collection
        # key it took for a duplicate is not one now, and the value read in its place may have duplicates of its own
        spelled = {(p.line, p.column) for p in old_problems if p.code == "duplicate-key" and re.search(r"duplicate key '[\[{]", p.message)}
        kept = {at for at in located(old_problems, "duplicate-key") if at[1:] not in spelled}
        assert kept <= set(located(new_problems, "duplicate-key"))
        assert any(p.code == "key-type" and re.search(r"is a (mapping|list), keys must be text", p.message) for p in new_problems)
        assert (new_data is None) == (old_data is None)
        return "collection key"
    assert new_problems == old_problems
    assert canonical(new_data) == canonical(old_data)
    assert new_positions == old_positions
    return "same"


# ---------------------------------------------------------------------------
# The repository's own YAML


FENCE = re.compile(r"^```yaml[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
FILES = sorted([*ROOT.glob("rules/*.yaml"), *ROOT.glob("tests/fixtures/*.yaml"), *ROOT.glob("examples/**/*.yaml")])
DOC_BLOCKS = [
    pytest.param(block, id=f"{page.name}:{text.count(chr(10), 0, match.start()) + 2}")
    for page in sorted(ROOT.glob("docs/*.md"))
    for text in [page.read_text(encoding="utf-8")]
    for match in FENCE.finditer(text)
    for block in [match.group(1)]
]


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_repository_files_load_as_before(path: Path) -> None:
    assert assert_same(path.read_text(encoding="utf-8")) == "same"


def test_repository_has_files_to_compare() -> None:
    assert len(FILES) >= 6 and len(DOC_BLOCKS) >= 20


@pytest.mark.parametrize("block", DOC_BLOCKS)
def test_docs_yaml_blocks_load_as_before(block: str) -> None:
    assert assert_same(block) == "same"


# ---------------------------------------------------------------------------
# Documents written by hand: every feature of the builder once

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 10)}]\n" for p, n in zip("abcdefgh", "bcdefghi")
)
HAND = {
    "empty": "",
    "comments only": "# nothing\n\n",
    "empty document": "---\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "document end then garbage": "a: 1\n...\n}\n",
    "plain scalar root": "hello\n",
    "scalar types": "a: 1\nb: 1.5\nc: true\nd: ~\ne: 2024-01-02\nf: 2001-12-14t21:59:43.10-05:00\ng: .nan\nh: -.inf\ni: 0x1F\nj: 1_000\nk: 0o17\nl: 1:30\nm: yes\nn: ''\no:\n",
    "bad values": "a: 2020-13-45\nb: " + "9" * 5000 + "\nc: !!int x\nd: !!binary '%%%'\ne: !!float abc\nf: =\ng: <<\nh: !!set x\n",
    "styles": "a: 'single'\nb: \"double\\n\"\nc: |\n  literal\n  text\nd: >-\n  folded\n  text\ne: plain words\n",
    "tags": "a: !!str 1\nb: !foo x\nc: !!python/object:os.system x\nd: !!map {x: 1}\ne: !!seq [1]\nf: !!omap [a: 1]\ng: ! 5\nh: ! [1]\ni: !!seq {x: 1}\n",
    "collection tag on root": "!!python/object/apply:os.system ['touch /tmp/x']\n",
    "keys": "1: a\nnull: b\ntrue: c\n~: d\n2020-01-01: e\n1.5: f\n'1': g\n'x': h\n? complex\n: i\n",
    "duplicate keys": "a: 1\na: 2\nb: {c: 1, c: [x, &dup y]}\nd: *dup\n1: x\n'1': y\n",
    "duplicate with anchors": "a: 1\na: &q {x: [&r 1]}\nb: *q\nc: *r\n",
    "merge keys": "base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\nn:\n  <<: [*b, {z: &inmerge 3}]\no: *inmerge\np: {!!merge x: 1}\n",
    "merge alias key": "k: &mk <<\nq: {*mk : 1}\n",
    "anchors and aliases": "a: &a {x: 1, y: [1, 2, &s 'str']}\nb: *a\nc: [*a, *a, *s]\nd: &e []\ne: *e\nf: &k key\ng: {*k : *s}\n",
    "nested anchors": "a: &o [&i [&j x, y], *i, *j]\nb: [*o, *i]\n",
    "undefined alias": "a: *nope\n",
    "undefined alias in duplicate": "a: 1\na: *nope\n",
    "duplicate anchor": "a: &x 1\nb: &x 2\n",
    "duplicate anchor in skipped value": "a: &x 1\na: &x 2\n",
    "recursive alias": "&a [*a]\n",
    "recursive alias in map": "a: &a {b: *a}\n",
    "recursive alias in a key": "&a {*a : 1}\n",
    "recursive alias in a duplicate value": "x: &a {k: 1, k: *a}\ny: *a\n",
    "alias of an inner anchor, replayed": "x: &a {k: &b [1], j: [*b]}\ny: *a\n",
    "syntax error": "a: [1, 2\nb: c\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
    "tab": "a:\n\t- b\n",
    "bomb": BOMB,
    "deep flow": "x: " + "[" * 80 + "]" * 80 + "\n",
    "deep block": "".join("  " * i + f"k{i}:\n" for i in range(80)) + "  " * 80 + "v\n",
    "key named <key>": "a: {'<key>': 1, b: 2}\n",
    "nul character": "a: b\x00c\n",
    "control character": "a: \x07\n",
    "bom": "\ufeffa: 1\n",
    "long plain": "a: " + "x " * 2000 + "\n",
    "flow list": "leadspec: 1\nname: t\nlists:\n  x: [" + ",".join(["a"] * 1000) + "]\n",
}


@pytest.mark.parametrize("name", list(HAND))
def test_hand_written_documents_load_as_before(name: str) -> None:
    expected = {
        "recursive alias": "recursive",
        "recursive alias in map": "recursive",
        "recursive alias in a key": "recursive",
    }.get(name, "same")
    assert assert_same(HAND[name]) == expected


@pytest.mark.parametrize("name", ["anchors and aliases", "merge keys", "duplicate keys", "bomb", "nested anchors"])
@pytest.mark.parametrize("nodes", [3, 8, 20, 60])
def test_node_limit_is_met_at_the_same_node(name: str, nodes: int) -> None:
    """Lowered limits: the node limit is met at the same node, aliases counted as they expand."""
    with mock.patch.object(_yaml, "MAX_NODES", nodes):
        assert assert_same(HAND[name]) in ("same", "limit first")


@pytest.mark.parametrize("name", ["anchors and aliases", "nested anchors", "deep flow", "merge keys", "duplicate keys"])
@pytest.mark.parametrize("depth", [1, 2, 3])
def test_depth_limit_is_met_at_the_same_node(name: str, depth: int) -> None:
    with mock.patch.object(_yaml, "MAX_DEPTH", depth):
        assert assert_same(HAND[name]) in ("same", "limit first")


def test_recursive_alias_is_refused_at_the_alias() -> None:
    data, _, problems = _yaml.load_yaml("a: 1\nb: &a {c: [1, *a]}\n", "f.yaml")
    assert data is None
    assert [(p.code, p.line, p.column) for p in problems] == [("too-deep", 2, 15)]
    assert "*a" in problems[0].message


def test_collection_key_is_reported_with_its_value() -> None:
    """A key that is a list or a mapping: the problem shows it as data (it showed PyYAML's node objects)."""
    text = "{[a, 1]: x, {b: c}: y}\n"
    data, positions, problems = _yaml.load_yaml(text, "f.yaml")
    _, old_positions, old_problems = old_load_yaml(text, "f.yaml")
    assert [(p.code, p.line, p.column, p.path) for p in problems] == [(p.code, p.line, p.column, p.path) for p in old_problems]
    assert [p.message for p in problems] == [
        "key ['a', 1] is a list, keys must be text",
        "key {'b': 'c'} is a mapping, keys must be text",
    ]
    assert data == {"['a', 1]": "x", "{'b': 'c'}": "y"}
    assert positions.values == {
        (): (1, 1),
        ("<key>", 0): (1, 3),
        ("<key>", 1): (1, 6),
        ("<key>", "b"): (1, 17),
        ("['a', 1]",): (1, 10),
        ("{'b': 'c'}",): (1, 21),
    }
    assert {p: v for p, v in old_positions.values.items() if p[:1] == ("<key>",)} == {
        p: v for p, v in positions.values.items() if p[:1] == ("<key>",)
    }
    assert "Node(" in old_problems[0].message  # what it used to say


def test_keys_nested_in_keys_meet_the_same_problems() -> None:
    """Keys are not nesting (``<key>`` does not count toward the depth): a mapping key inside a mapping key..."""
    text = "x: " + "{" * 30 + "a" + ": 1}" * 30 + "\n"
    for depth in (1, 2, 3, 64):
        with mock.patch.object(_yaml, "MAX_DEPTH", depth):
            new = _yaml.load_yaml(text, "f.yaml")[2]
            old = old_load_yaml(text, "f.yaml")[2]
        assert [(p.code, p.line, p.column, p.path) for p in new] == [(p.code, p.line, p.column, p.path) for p in old]
        assert new and all(p.code in ("key-type", "too-deep") for p in new)
        assert all(len(p.message) < 200 for p in new)  # each key's text is bounded (quotes doubled per level)


# ---------------------------------------------------------------------------
# Item 18: the node limit stops the load where it is met


def test_item18_node_limit_stops_reading_at_the_limit() -> None:
    """A 500,000-item list with a YAML error at its end is refused at item 200,000: the rest is never read.

    The old loader composed the whole document first, so it reported the
    YAML error at the end of the list (after seconds of composing); now the
    node limit refuses it where the limit is met.
    """
    text = "leadspec: 1\nname: t\nlists:\n  x: [" + ",".join(["a"] * 500_000) + "\n  y: ]\n"
    assert len(text.encode()) < _yaml.MAX_BYTES
    data, _, problems = _yaml.load_yaml(text, "big.yaml")
    assert data is None
    assert [(p.code, p.line) for p in problems] == [("too-many-nodes", 4)]
    # 9 nodes come first (the root mapping, 3 keys and 2 values, `lists`'s mapping, the key `x`, its list):
    # the item at index MAX_NODES - 9 is the first over
    assert problems[0].column == len("  x: [") + 1 + 2 * (_yaml.MAX_NODES - 9)


def test_item18_parser_events_read_stop_at_the_limit() -> None:
    """The builder reads the parser's events one by one and stops at the limit (no whole-document pass)."""
    read = 0

    class Counting(_Loader):  # type: ignore[misc, valid-type]
        def get_event(self):  # type: ignore[no-untyped-def]
            nonlocal read
            read += 1
            return super().get_event()

    text = "x: [" + ",".join(["a"] * 300_000) + "]\n"
    with mock.patch.object(_yaml, "_Loader", Counting):
        _, _, problems = _yaml.load_yaml(text, "f.yaml")
    assert [p.code for p in problems] == ["too-many-nodes"]
    assert _yaml.MAX_NODES < read < _yaml.MAX_NODES + 10


def test_item18_alias_bomb_expansion_stops_at_the_limit() -> None:
    data, _, problems = _yaml.load_yaml(BOMB, "bomb.yaml")
    assert data is None and [p.code for p in problems] == ["too-many-nodes"]
    assert problems[0].line == 1  # the node over the limit is one of `a`'s, replayed through the aliases


@pytest.mark.parametrize(
    "value",
    ['!!bool a', '!!timestamp a', '!!timestamp ""', '!!int ""', '!!int "-"', '!!float ""', "!!int x", "!!float x"],
)
def test_explicit_tags_that_do_not_fit_are_problems_not_crashes(value: str) -> None:
    """`x: !!bool a` made PyYAML's constructor raise KeyError (`!!int ""` IndexError...): loads() crashed."""
    with pytest.raises(leadspec.RulesError) as info:
        leadspec.loads(f"leadspec: 1\nname: t\nx: {value}\n")
    problems = [p for p in info.value.problems if p.code == "yaml-value"]
    assert [(p.line, p.column, p.path) for p in problems] == [(3, 4, "x")]
    assert "cannot be read" in problems[0].message


def test_unreadable_scalar_behind_an_alias_is_the_same_problem_each_time() -> None:
    text = "a: &d {2020-13-45: x, y: !!int z}\nb: *d\n"
    data, _, problems = _yaml.load_yaml(text, "f.yaml")
    first = [(p.line, p.column, p.code, p.message) for p in problems if p.path.startswith("a")]
    again = [(p.line, p.column, p.code, p.message) for p in problems if p.path.startswith("b")]
    assert first == again and [c for _, _, c, _ in first] == ["yaml-value", "key-type", "yaml-value"]
    assert data["a"] == data["b"] == {"2020-13-45": "x", "y": None}


def test_loads_refuses_yaml_errors_with_rules_error() -> None:
    for text in (HAND["undefined alias"], HAND["two documents"], HAND["recursive alias"], HAND["duplicate anchor"]):
        with pytest.raises(leadspec.RulesError) as info:
            leadspec.loads("leadspec: 1\nname: t\n" + text if not text.startswith("&") else text)
        assert info.value.problems


def test_without_libyaml_the_pure_python_parser_agrees() -> None:
    """PyYAML without libyaml: the same loader on SafeLoader (its own error wording)."""
    with mock.patch.object(_yaml, "_Loader", yaml.SafeLoader), mock.patch.object(_yaml, "_C_MESSAGES", False):
        for name, text in HAND.items():
            new = _yaml.load_yaml(text, "f.yaml")
            old = old_load_yaml(text, "f.yaml", yaml.SafeLoader)
            if name.startswith("recursive alias") and name != "recursive alias in a duplicate value":
                assert new[0] is None and old[0] is None
                continue
            assert new[2] == old[2], name
            assert canonical(new[0]) == canonical(old[0]), name
            assert new[1] == old[1], name


# ---------------------------------------------------------------------------
# Random documents

WORDS = ["a", "b", "when", "x y", "leadspec", "c-d", "é", "a:b", "-x"]
TYPED = [
    "1", "-3", "0x1F", "1_000", "0o17", "1:30", "1.5", "-2.5e3", ".inf", "-.Inf", ".nan",
    "true", "False", "yes", "off", "~", "null", "2020-01-02", "2001-12-14t21:59:43.10-05:00",
    "2020-13-45", "<<", "=", "9" * 5000,
]
TAGS = ["", "", "", "", "!!str ", "!!int ", "!!float ", "!!binary ", "!foo ", "! ", "!!bool ", "!!timestamp ", "!!set "]
ANCHORS = ["a", "b", "c"]


@st.composite
def scalar(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(WORDS + TYPED))
    style = draw(st.sampled_from(["plain", "plain", "single", "double"]))
    if style == "single":
        out = "'" + text.replace("'", "''") + "'"
    elif style == "double":
        out = json.dumps(text)
    else:
        out = text
    return draw(st.sampled_from(TAGS)) + out


def node_props(draw: st.DrawFn) -> str:
    anchor = draw(st.sampled_from(["", "", "", *ANCHORS]))
    return (f"&{anchor} " if anchor else "") + draw(st.sampled_from(["", "", "", "", "!!map ", "!!seq ", "!x "]))


def flow(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(scalar(), st.sampled_from([f"*{a}" for a in ANCHORS]))
    if depth == 0:
        return leaf

    @st.composite
    def collection(draw: st.DrawFn) -> str:
        props = node_props(draw)
        items = draw(st.lists(flow(depth - 1), max_size=4))
        if draw(st.booleans()):
            return props + "[" + ", ".join(items) + "]"
        keys = draw(st.lists(st.one_of(scalar(), st.sampled_from([f"*{a} " for a in ANCHORS])), min_size=len(items), max_size=len(items)))
        return props + "{" + ", ".join(f"{k}: {v}" for k, v in zip(keys, items)) + "}"

    return st.one_of(leaf, collection())


def block(depth: int, indent: int) -> st.SearchStrategy[str]:
    """A block collection at ``indent``, as lines ending in newlines."""
    pad = " " * indent

    def value(draw: st.DrawFn) -> tuple[str, str | None]:
        """(inline text, or '' and the nested block)."""
        if depth > 0 and draw(st.integers(0, 2)) == 0:
            return node_props(draw).rstrip(), draw(block(depth - 1, indent + 2))
        return draw(flow(min(depth, 2))), None

    @st.composite
    def build(draw: st.DrawFn) -> str:
        lines = []
        if draw(st.booleans()):
            for _ in range(draw(st.integers(1, 4))):
                inline, nested = value(draw)
                lines.append(f"{pad}- {inline}\n" + (nested or "") if nested is not None else f"{pad}- {inline}\n")
        else:
            for _ in range(draw(st.integers(1, 4))):
                key = draw(st.one_of(scalar(), st.sampled_from(["a", "a", "b", "<<", "1", "null", "'a'"]), st.sampled_from([f"*{a} " for a in ANCHORS])))
                inline, nested = value(draw)
                lines.append(f"{pad}{key}: {inline}\n" + (nested or "") if nested is not None else f"{pad}{key}: {inline}\n")
        return "".join(lines)

    return build()


def defined_anchors(draw: st.DrawFn, text: str) -> str:
    """Anchors renamed to be unique, each alias pointing at an anchor before it (else the document is a YAML error)."""
    defined: list[str] = []

    def rename(match: re.Match[str]) -> str:
        if match.group(1) == "&":
            defined.append(f"n{len(defined)}")
            return "&" + defined[-1]
        return "*" + draw(st.sampled_from(defined)) if defined else "x"

    return re.sub(r"([&*])([abc])\b", rename, text)


def no_alias_inside_its_node(text: str) -> str:
    """An alias inside the node it refers to (a recursive document) replaced by a plain scalar."""
    open_anchors: list[str | None] = []
    recursive = []
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):  # marks count characters
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                open_anchors.append(event.anchor)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                open_anchors.pop()
            elif isinstance(event, yaml.AliasEvent) and event.anchor in open_anchors:
                recursive.append((event.start_mark.index, event.end_mark.index))
    except yaml.YAMLError:
        pass
    for start, end in reversed(recursive):
        text = text[:start] + "x" + text[end:]
    return text


@st.composite
def document(draw: st.DrawFn) -> str:
    text = draw(flow(3)) + "\n" if draw(st.integers(0, 3)) == 0 else draw(block(3, 0))
    if draw(st.integers(0, 9)):  # and now and then an undefined alias, a duplicate anchor
        text = defined_anchors(draw, text)
        if draw(st.integers(0, 4)):
            text = no_alias_inside_its_node(text)
    if draw(st.integers(0, 5)) == 0:  # damage it now and then: the YAML errors must agree too
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(["", "]", "\n---\n", "\t", "*zz", " &a x"])) + text[cut:]
    return text


@FUZZ
@given(document())
def test_random_documents_load_as_before(text: str) -> None:
    assert assert_same(text) in ("same", "recursive", "collection key")


@FUZZ
@given(document(), st.integers(1, 40), st.integers(1, 5))
def test_random_documents_meet_lowered_limits_as_before(text: str, nodes: int, depth: int) -> None:
    with mock.patch.object(_yaml, "MAX_NODES", nodes), mock.patch.object(_yaml, "MAX_DEPTH", depth):
        assert assert_same(text) in ("same", "recursive", "limit first", "collection key")
