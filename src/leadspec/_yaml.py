"""Load YAML text into plain Python data plus the position of every node.

The data is built straight from the parser's events (no tree of PyYAML
nodes is composed first): anchored collections keep their events and
aliases replay them, with the positions, tags and problems composing would
give.

Safety: only the safe YAML types are built (``SafeLoader``); files larger
than :data:`MAX_BYTES` are refused before parsing, and nesting deeper than
:data:`MAX_DEPTH` or alias expansions past :data:`MAX_NODES` nodes (the
"billion laughs" bomb) where they are met: nodes are counted as they are
built, so nothing after the limit is read.  Duplicate keys, which PyYAML
silently collapses, are reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

try:  # the C parser keeps marks too and is several times faster
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

from .errors import Problem

MAX_BYTES = 1024 * 1024
"""Largest rule or test file read, in bytes (1 MiB)."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences accepted."""
MAX_NODES = 100_000
"""Most nodes a document may expand to once aliases are followed (a 1 MiB file of this many loads in about half a second)."""

Path = tuple[Any, ...]


@dataclass
class Positions:
    """Where each node of a document starts: ``path -> (line, column)``, 1-based."""

    file: str
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)
    styles: dict[Path, str | None] = field(default_factory=dict)
    ends: dict[Path, tuple[int, int]] = field(default_factory=dict)  # where scalars end
    source: str = field(default="", compare=False, repr=False)  # the text of the document, to place a column inside a scalar

    def of(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Position of ``path`` (its key with ``key=True``), or of its closest recorded ancestor."""
        p = tuple(path)
        if key and p in self.keys:
            return self.keys[p]
        while p and p not in self.values:
            p = p[:-1]
        return self.values.get(p, (1, 1))


class _Limit(Exception):
    def __init__(self, code: str, message: str, mark: Any) -> None:
        self.code, self.message, self.mark = code, message, mark


def format_path(path: Path) -> str:
    """``("stages", 2, "all", 0, "when")`` -> ``stages[2].all[0].when``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"
_SIMPLE = frozenset(f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp"))
_NOTHING = object()
_C_MESSAGES = getattr(yaml, "CSafeLoader", None) is _Loader  # libyaml's composer words two errors differently
_Scalar, _Alias = yaml.ScalarEvent, yaml.AliasEvent
_SeqStart, _MapStart = yaml.SequenceStartEvent, yaml.MappingStartEvent
_SeqEnd, _MapEnd = yaml.SequenceEndEvent, yaml.MappingEndEvent


class _Builder:
    """Build data and positions straight from the parser's events (no node tree).

    The result, the positions and the problems are those of composing the
    document and walking its nodes, but each node is counted as it is
    built, so a limit stops the load at once instead of after the whole
    document has been composed. An anchored collection is built as it is
    read and its events are kept; an alias replays them (so positions,
    the node count and the alias-bomb limit are those of the expanded
    tree). Anchors are defined and aliases checked only on the events read
    from the parser, never on replayed ones.
    """

    def __init__(self, file: str, loader: Any) -> None:
        self.positions = Positions(file)
        self.problems: list[Problem] = []
        self.count = 0
        self.constructor = yaml.SafeLoader("")  # only used to construct scalars
        self.resolve = loader.resolve
        self.read = loader.get_event  # the parser
        self.next = self.read  # where the next event comes from: the parser, a recording parser or a replay
        self.anchors: dict[str, Any] = {}  # name -> its scalar event, or [events, start, end] (end None while open)
        self.open: list[list[Any]] = []  # anchored collections being read, innermost last
        self.events: list[Any] = []  # the events read while an anchored collection is open
        self.replaying = 0
        self.plain: dict[str, Any] = {}  # plain scalar text -> its value (when it is read without a problem)

    def problem(self, path: Path, mark: Any, code: str, message: str) -> None:
        self.problems.append(
            Problem(self.positions.file, mark.line + 1, mark.column + 1, code, message, format_path(path))
        )

    # -- anchors ---------------------------------------------------------
    def _record(self) -> Any:
        event = self.read()
        self.events.append(event)
        return event

    def define(self, event: Any) -> list[Any] | None:
        """Define the anchor of ``event`` (read from the parser); an anchored collection starts recording."""
        name = event.anchor
        if name in self.anchors:
            first = self.target(name, event)
            raise yaml.composer.ComposerError(
                "found duplicate anchor; first occurrence" if _C_MESSAGES else f"found duplicate anchor {name!r}; first occurrence",
                first.start_mark,
                "second occurrence",
                event.start_mark,
            )
        if type(event) is _Scalar:
            self.anchors[name] = event
            return None
        if not self.open:
            self.events = [event]
            self.next = self._record
        recording = [self.events, len(self.events) - 1, None]
        self.open.append(recording)
        self.anchors[name] = recording
        return recording

    def close(self, recording: list[Any]) -> None:
        """The anchored collection's end event has been read: its recording is complete."""
        recording[2] = len(recording[0])
        self.open.pop()
        if not self.open:
            self.next = self.read
            self.events = []

    def target(self, name: str, alias: Any) -> Any:
        """The first event of the node anchored as ``name``; an undefined alias is a YAML error."""
        anchored = self.anchors.get(name)
        if anchored is None:
            raise yaml.composer.ComposerError(
                None, None, "found undefined alias" if _C_MESSAGES else f"found undefined alias {name!r}", alias.start_mark
            )
        if type(anchored) is list:
            return anchored[0][anchored[1]]
        return anchored

    def alias(self, event: Any, path: Path) -> Any:
        """Build the node an alias refers to again, from its recorded events."""
        anchored = self.anchors.get(event.anchor)
        if anchored is None or type(anchored) is not list:
            first = self.target(event.anchor, event)
            self.replaying += 1
            value = self.node(first, path)
            self.replaying -= 1
            return value
        events, start, end = anchored
        if end is None:  # composing would make a node that contains itself: building it never ends
            raise _Limit("too-deep", f"the alias *{event.anchor} is inside the node it refers to (endless nesting)", event.start_mark)
        saved = self.next
        self.next = iter(events[start + 1 : end]).__next__
        self.replaying += 1
        value = self.node(events[start], path)
        self.replaying -= 1
        self.next = saved
        return value

    def skip(self, event: Any) -> None:
        """Read one node without building it (the value of a duplicate key, a merge key); its anchors still count."""
        level = 0
        closing: list[tuple[int, list[Any]]] = []
        main = not self.replaying
        while True:
            kind = type(event)
            if kind is _Alias:
                if main:
                    self.target(event.anchor, event)
            elif kind is _Scalar:
                if main and event.anchor is not None:
                    self.define(event)
            elif kind is _SeqStart or kind is _MapStart:
                level += 1
                if main and event.anchor is not None:
                    recording = self.define(event)
                    closing.append((level, recording))  # type: ignore[arg-type]
            else:
                if closing and closing[-1][0] == level:
                    self.close(closing.pop()[1])
                level -= 1
            if not level:
                return
            event = self.next()

    # -- nodes -----------------------------------------------------------
    def scalar_tag(self, event: Any) -> str:
        """The tag composing gives a scalar: its own, or the one its text implies (``!`` forces text)."""
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.resolve(yaml.ScalarNode, event.value, event.implicit)
        return str(tag)

    def scalar(self, event: Any, path: Path) -> Any:
        """The value of a scalar; plain scalars read without a problem are remembered by their text."""
        tag = self.scalar_tag(event)
        text = event.value
        plain = event.tag is None and event.implicit[0]  # then the tag, so the value, depends on the text only
        if tag == _STR:  # most of a rule file: the text is the value (no constructor round trip)
            if plain:
                self.plain[text] = text
            return text
        node = yaml.ScalarNode(tag, text, event.start_mark, event.end_mark, style=event.style)
        try:
            if tag in _SIMPLE:  # construct_object's bookkeeping is for collections; these are plain functions
                value = self.constructor.yaml_constructors[tag](self.constructor, node)
            else:
                value = self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self.problem(path, event.start_mark, "yaml-value", str(getattr(exc, "problem", exc)))
            return text
        except (ValueError, OverflowError) as exc:  # e.g. a number of 5,000 digits
            self.problem(path, event.start_mark, "yaml-value", f"value cannot be read: {exc}")
            return None
        except (LookupError, AttributeError, TypeError):  # PyYAML's own constructors on `!!bool a`, `!!int ""`
            self.problem(path, event.start_mark, "yaml-value", f"value {text!r} cannot be read as {tag}")
            return None
        if plain and tag in _SIMPLE:  # immutable values: the same text is the same value
            self.plain[text] = value
        return value

    def node(self, event: Any, path: Path) -> Any:
        """Build the node that starts with ``event``; its other events are read from :attr:`next`."""
        kind = type(event)
        if kind is _Alias:
            if not self.replaying:
                self.target(event.anchor, event)
            return self.alias(event, path)
        recording = self.define(event) if event.anchor is not None and not self.replaying else None
        self.count += 1
        start = event.start_mark
        if self.count > MAX_NODES:
            raise _Limit(
                "too-many-nodes",
                f"the document expands to more than {MAX_NODES:,} nodes (an alias bomb?)",
                start,
            )
        positions = self.positions
        positions.values[path] = (start.line + 1, start.column + 1)
        if kind is _Scalar:
            positions.styles[path] = event.style
            end = event.end_mark
            positions.ends[path] = (end.line + 1, end.column + 1)
            if event.tag is None and event.implicit[0]:
                value = self.plain.get(event.value, _NOTHING)
                if value is not _NOTHING:
                    return value
            return self.scalar(event, path)
        # depth is checked as each collection starts (libyaml itself stops at 1,000 levels)
        if len(path) - path.count("<key>") >= MAX_DEPTH:
            raise _Limit("too-deep", f"nesting is deeper than {MAX_DEPTH} levels", start)
        tag = event.tag
        if tag is not None and tag != "!" and tag != _SEQ and tag != _MAP:  # (either plain tag on either collection)
            self.problem(path, start, "yaml-value", f"the YAML tag {tag} is not allowed")
        next_event = self.next  # stays the same across children: each restores what it changes
        if kind is _SeqStart:
            items: list[Any] = []
            index = 0
            event = next_event()
            while type(event) is not _SeqEnd:
                items.append(self.node(event, path + (index,)))
                index += 1
                event = next_event()
            if recording is not None:
                self.close(recording)
            return items
        out: dict[Any, Any] = {}
        key_path = path + ("<key>",)
        event = next_event()
        while type(event) is not _MapEnd:
            first = self.target(str(event.anchor), event) if type(event) is _Alias else event
            first_kind = type(first)
            if (self.scalar_tag(first) if first_kind is _Scalar else first.tag) == _MERGE:
                self.problem(path, first.start_mark, "yaml-merge", "merge keys (<<) are not supported; write the keys out")
                self.skip(event)
                self.skip(next_event())
                event = next_event()
                continue
            key = self.node(event, key_path)
            mark = first.start_mark
            if not isinstance(key, str):
                if first_kind is _Scalar:
                    message = f"key {first.value!r} is read as {type(key).__name__}, keys must be text; quote it: '{first.value}'"
                    key = str(first.value)
                else:
                    key = repr(key)
                    if len(key) > 60:  # bounded: keys inside keys would double their quotes at each level
                        key = key[:57] + "..."
                    message = f"key {key} is a {'list' if first_kind is _SeqStart else 'mapping'}, keys must be text"
                self.problem(path, mark, "key-type", message)
            if key in out:
                self.problem(path + (key,), mark, "duplicate-key", f"duplicate key {key!r}: YAML would keep only the last one")
                self.skip(next_event())
                event = next_event()
                continue
            positions.keys[path + (key,)] = (mark.line + 1, mark.column + 1)
            out[key] = self.node(next_event(), path + (key,))
            event = next_event()
        positions.values.pop(key_path, None)
        positions.styles.pop(key_path, None)
        positions.ends.pop(key_path, None)
        if recording is not None:
            self.close(recording)
        return out


# -- YAML syntax errors that teach --------------------------------------------------

_KEY = re.compile(r"^(\s*(?:-\s+)*)([^\s#'\"\[\]{},:-][^:#]*?|-[^\s:#][^:#]*?):(?:\s|$)")


def _quoted(text: str) -> str:
    """``text`` as a YAML quoted scalar: double quotes, or single ones when it has a double quote or a backslash."""
    if '"' in text or "\\" in text:
        return "'" + text.replace("'", "''") + "'"
    return f'"{text}"'


def _next_line(lines: list[str], row: int | None) -> int:
    """The row of the first line after ``row`` with text that is not a comment; -1 when there is none."""
    if row is None:
        return -1
    for r in range(row + 1, len(lines)):
        stripped = lines[r].strip()
        if stripped and not stripped.startswith("#"):
            return r
    return -1


def _key_at(lines: list[str], row: int) -> tuple[str, int, int] | None:
    """(key, its 0-based column, the column of its value) of the mapping key on line ``row``, if it has one."""
    if not 0 <= row < len(lines):
        return None
    m = _KEY.match(lines[row])
    if not m:
        return None
    value = m.end()
    while value < len(lines[row]) and lines[row][value] == " ":
        value += 1
    return m.group(2).strip(), len(m.group(1)), value


def _previous(lines: list[str], row: int) -> int:
    """The line before ``row`` that is neither blank nor a comment (-1 if none)."""
    row -= 1
    while row >= 0 and (not lines[row].strip() or lines[row].lstrip().startswith("#")):
        row -= 1
    return row


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _dash_column(lines: list[str], row: int, below: int) -> tuple[int, int] | None:
    """(line, column) of the nearest list item ``-`` above ``row`` whose column is not ``below``, 0-based; None if none."""
    for r in range(row - 1, -1, -1):
        stripped = lines[r].lstrip(" ")
        if stripped.startswith("- ") or stripped == "-":
            col = _indent(lines[r])
            if col != below:
                return r, col
            return None
        if lines[r].strip() and not stripped.startswith("#") and _indent(lines[r]) < below:
            return None
    return None


def _glued(lines: list[str], row: int) -> tuple[int, int, str] | None:
    """The problem of line ``row`` when it is a key glued to its value (``name:t``)."""
    glued = re.match(r"^(\s*(?:-\s+)?)([A-Za-z_][\w-]*):(\S.*)$", lines[row].rstrip()) if 0 <= row < len(lines) else None
    if glued is None or ": " in lines[row]:
        return None
    return row, len(glued.group(1)), f"a `:` after a key needs a space: write `{glued.group(2)}: {glued.group(3)}`"


def _unclosed(lines: list[str]) -> tuple[int, int] | None:
    """(line, column), 0-based, of the last `[` or `{` outside quotes that is not closed; None if every one is."""
    stack: list[tuple[int, int]] = []
    for r, line in enumerate(lines):
        quote = ""
        for c, ch in enumerate(line):
            if quote:
                quote = "" if ch == quote else quote
            elif ch in "'\"" and (c == 0 or line[c - 1] in " [{,:"):
                quote = ch
            elif ch == "#" and (c == 0 or line[c - 1] == " "):
                break
            elif ch in "[{":
                stack.append((r, c))
            elif ch in "]}" and stack:
                stack.pop()
    return stack[-1] if stack else None


def _teach(lines: list[str], exc: yaml.MarkedYAMLError) -> tuple[int, int, str] | None:
    """(0-based line, 0-based column, message) for the YAML mistakes a new user makes; None for the others."""
    problem = exc.problem or ""
    context = exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return None
    row, col = min(mark.line, len(lines) - 1), mark.column
    line = lines[row]
    if "\t" in line[: _indent(line) + 1] or "tab" in problem or "'\\t'" in problem:
        tab_row = row if "\t" in line else next((r for r in range(row, -1, -1) if "\t" in lines[r][: _indent(lines[r]) + 1]), row)
        at = lines[tab_row].find("\t") if tab_row < len(lines) else 0
        return tab_row, max(at, 0), "a tab in the indentation: YAML indents with spaces only; replace the tab with spaces"
    if "cannot start any token" in problem and col < len(line) and line[col] in "@`%":
        return row, col, f"a value cannot start with {line[col]}: quote the whole value"
    if context.startswith("while scanning a quoted scalar") and exc.context_mark is not None:
        start = exc.context_mark
        quote = lines[start.line][start.column] if start.line < len(lines) and start.column < len(lines[start.line]) else "'"
        if "unknown escape" in problem or "escape" in problem:
            return row, col, "a `\\` inside double quotes starts an escape sequence: quote the text with single quotes instead, or write `\\\\`"
        return start.line, start.column, f"the quote {quote} that opens this value is never closed: add the closing {quote} where the text ends"
    if context.startswith("while parsing a flow node") and "node content" in problem:
        opened = _unclosed(lines)
        if opened is not None:
            r, c = opened
            closer = "]" if lines[r][c] == "[" else "}"
            return r, c, f"the `{lines[r][c]}` that opens this {'list' if closer == ']' else 'mapping'} is never closed: end it with `{closer}`"
    if (context.startswith("while parsing a flow sequence") or context.startswith("while parsing a flow mapping")) and exc.context_mark is not None:
        start = exc.context_mark
        opener = "[" if "sequence" in context else "{"
        closer = "]" if opener == "[" else "}"
        return start.line, start.column, f"the `{opener}` that opens this {'list' if opener == '[' else 'mapping'} is never closed, or an item in it lacks its comma: end it with `{closer}`"
    if context.startswith("while scanning a simple key") and exc.context_mark is not None:
        start = exc.context_mark
        glued = _glued(lines, start.line)
        if glued is not None:
            return glued
        return start.line, start.column, "this line is neither a `key: value` nor a list item `- …`: add the `: ` after its key, or quote it as part of the text above"
    if problem.startswith("mapping values are not allowed"):
        key = _key_at(lines, row)
        if key is not None and key[2] <= col:
            name, _key_col, value_col = key
            value = line[value_col:].rstrip()
            return row, value_col, f"this text contains `: `, which YAML reads as the start of a key: quote the whole text: {name}: {_quoted(value)}"
        for r in (row, _previous(lines, row)):
            stripped = lines[r].lstrip(" ") if 0 <= r < len(lines) else ""
            if re.match(r"-[^\s-]", stripped):
                return r, _indent(lines[r]), f"a list item needs a space after `-`: write `- {stripped[1:].rstrip()}`"
        prev = _previous(lines, row)
        if prev >= 0:
            glued = _glued(lines, prev)
            if glued is not None:
                return glued
            above = _key_at(lines, prev)
            here = _key_at(lines, row)
            if above is not None and here is not None and here[1] > above[1]:
                return row, here[1], (
                    f"`{here[0]}:` is indented more than `{above[0]}:` on line {prev + 1}: "
                    f"align it with `{above[0]}` (column {above[1] + 1})"
                )
        return row, col, "a `: ` here would start a key where none can be: quote the text if it contains `: `, or check the indentation"
    block_end = "expected <block end>" in problem
    if context.startswith("while parsing a block collection") and ("expected '-'" in problem or block_end):
        start = exc.context_mark or mark
        here = _key_at(lines, row)
        stripped = line.lstrip(" ")
        if stripped.startswith("-"):
            return row, col, f"this list item is not aligned with the one on line {start.line + 1}: start its `-` at column {start.column + 1}"
        above = _key_at(lines, _previous(lines, row))
        if here is not None and above is not None:
            return row, here[1], (
                f"`{here[0]}:` is not aligned with `{above[0]}:` on line {_previous(lines, row) + 1}: "
                f"indent it to column {above[1] + 1}, under `{above[0]}`"
            )
        return row, col, f"this line is not aligned with the list item on line {start.line + 1}: indent it under the item's first key"
    if context.startswith("while parsing a block mapping") and ("expected key" in problem or block_end):
        start = exc.context_mark or mark
        before = line[:col].rstrip()
        key = _key_at(lines, row)
        if before and before[-1] in "}]" and key is not None and key[2] < col and line[key[2]:key[2] + 1] in "{[":
            name, _key_col, value_col = key
            value = line[value_col:].rstrip()
            what = "a mapping" if value.startswith("{") else "a list"
            return row, value_col, (
                f"a value that starts with `{value[0]}` is {what} in YAML, and text follows it: "
                f"quote the whole text: {name}: {_quoted(value)}"
            )
        if before and before[-1] in "'\"" and key is not None and key[2] < col:
            name, _key_col, value_col = key
            value = line[value_col:].rstrip()
            return row, value_col, (
                f"a value that starts with a quote ends at the closing quote, and text follows it: "
                f"quote the whole text: {name}: {_quoted(value)}"
            )
        stripped = line.lstrip(" ")
        if stripped.startswith("-"):
            dash = _dash_column(lines, row, col)
            if dash is not None:
                return row, col, f"this list item is not aligned with the one on line {dash[0] + 1}: start its `-` at column {dash[1] + 1}"
            return row, col, f"a list item cannot start here: indent its `-` under the key it belongs to"
        prev = _previous(lines, row)
        above = _key_at(lines, prev) if prev >= 0 else None
        if key is not None and above is not None and above[1] < key[1] and lines[prev][above[2]:].strip():
            # `employees: {…}` out-dented to the left ends the block above it; the line below, still indented, has nowhere to go
            owner = next((r for r in range(prev - 1, -1, -1) if (k := _key_at(lines, r)) is not None and k[1] < key[1] and not lines[r][k[2]:].strip()), None)
            first_child = _key_at(lines, _next_line(lines, owner)) if owner is not None else None
            if first_child is not None and first_child[1] == above[1]:  # the line above sits with its siblings: this one is off
                return row, key[1], (
                    f"`{key[0]}:` is indented more than `{above[0]}:` on line {prev + 1}: "
                    f"align it with `{above[0]}:` (column {above[1] + 1})"
                )
            if owner is not None:
                block = _key_at(lines, owner)
                assert block is not None
                return prev, above[1], (
                    f"`{above[0]}:` at column {above[1] + 1} ends the `{block[0]}:` block, so `{key[0]}:` on line {row + 1} has nowhere to go: "
                    f"indent `{above[0]}:` to column {key[1] + 1}, under `{block[0]}:`"
                )
        if key is not None and above is not None and start.column < key[1] < above[1]:
            # between the block's column and its children's: it is one of the children, out-dented a little
            return row, key[1], (
                f"`{key[0]}:` is not aligned with `{above[0]}:` on line {prev + 1}: indent it to column {above[1] + 1}, like `{above[0]}:`"
            )
        if key is not None and start.column != key[1]:
            other = _key_at(lines, start.line)
            name = f"`{other[0]}:`" if other is not None else "the key"
            return row, key[1], f"`{key[0]}:` is not aligned with {name} on line {start.line + 1}: indent it to column {start.column + 1}"
    return None


def yaml_syntax_problem(file: str, text: str, exc: yaml.MarkedYAMLError) -> Problem:
    """PyYAML's error as a problem that says what to change, at the line where the user must act.

    The mistakes people make by hand (a `: ` in unquoted text, a key or a
    list item out of line, a tab, a missing space after `-` or `:`, an
    unclosed quote or bracket) are said in their own words with the fix;
    any other error keeps PyYAML's description.
    """
    lines = text.split("\n")
    taught = _teach(lines, exc)
    if taught is not None:
        row, col, message = taught
        return Problem(file, row + 1, col + 1, "yaml-syntax", message)
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    if line > len(lines):  # the end of the text, past its last line break
        line, col = len(lines), len(lines[-1]) + 1
    message = " ".join(part for part in (exc.context, exc.problem) if part) or str(exc)
    return Problem(file, line, col, "yaml-syntax", f"this is not valid YAML: {message}")


def load_yaml(text: str | bytes, file: str) -> tuple[Any, Positions, list[Problem]]:
    """Parse ``text`` into data, positions and problems (empty when all is well).

    Data is ``None`` when the document could not be read at all.
    """
    positions = Positions(file)
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > MAX_BYTES:
        return None, positions, [
            Problem(file, 1, 1, "file-too-large", f"file is {size:,} bytes; the limit is {MAX_BYTES:,} bytes (1 MiB)")
        ]
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, positions, [Problem(file, 1, 1, "encoding", f"file is not UTF-8 text: {exc.reason} at byte {exc.start}")]
    loader = None
    try:
        loader = _Loader(text)
        loader.get_event()  # stream start
        if isinstance(loader.get_event(), yaml.StreamEndEvent):  # else the start of the first document
            return None, positions, [Problem(file, 1, 1, "empty", "the file is empty")]
        builder = _Builder(file, loader)
        root: Any = loader.get_event()
        data = builder.node(root, ())
        loader.get_event()  # document end
        event: Any = loader.get_event()
        if not isinstance(event, yaml.StreamEndEvent):
            raise yaml.composer.ComposerError(
                "expected a single document in the stream", root.start_mark, "but found another document", event.start_mark
            )
    except _Limit as exc:
        return None, positions, [Problem(file, exc.mark.line + 1, exc.mark.column + 1, exc.code, exc.message)]
    except yaml.MarkedYAMLError as exc:
        return None, positions, [yaml_syntax_problem(file, text, exc)]
    except yaml.YAMLError as exc:
        return None, positions, [Problem(file, 1, 1, "yaml-syntax", str(exc))]
    except RecursionError:
        return None, positions, [Problem(file, 1, 1, "too-deep", "nesting is too deep")]
    finally:
        if loader is not None:
            loader.dispose()
    builder.positions.source = text
    return data, builder.positions, builder.problems
