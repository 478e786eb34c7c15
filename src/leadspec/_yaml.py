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
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(part for part in (exc.context, exc.problem) if part) or str(exc)
        return None, positions, [Problem(file, line, col, "yaml-syntax", message)]
    except yaml.YAMLError as exc:
        return None, positions, [Problem(file, 1, 1, "yaml-syntax", str(exc))]
    except RecursionError:
        return None, positions, [Problem(file, 1, 1, "too-deep", "nesting is too deep")]
    finally:
        if loader is not None:
            loader.dispose()
    builder.positions.source = text
    return data, builder.positions, builder.problems
