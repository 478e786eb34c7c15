"""Load YAML text into plain Python data plus the position of every node.

Safety: only the safe YAML types are built (``SafeLoader``); files larger
than :data:`MAX_BYTES`, nesting deeper than :data:`MAX_DEPTH` and alias
expansions past :data:`MAX_NODES` nodes (the "billion laughs" bomb) are
refused before anything is built.  Duplicate keys, which PyYAML silently
collapses, are reported.
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
MAX_NODES = 200_000
"""Most nodes a document may expand to once aliases are followed."""

Path = tuple[Any, ...]
_PLAIN_TAGS = ("tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")


@dataclass
class Positions:
    """Where each node of a document starts: ``path -> (line, column)``, 1-based."""

    file: str
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)
    styles: dict[Path, str | None] = field(default_factory=dict)
    ends: dict[Path, tuple[int, int]] = field(default_factory=dict)  # where scalars end

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


class _Builder:
    def __init__(self, file: str) -> None:
        self.positions = Positions(file)
        self.problems: list[Problem] = []
        self.count = 0
        self.constructor = yaml.SafeLoader("")  # only used to construct scalars

    def problem(self, path: Path, mark: Any, code: str, message: str) -> None:
        self.problems.append(
            Problem(self.positions.file, mark.line + 1, mark.column + 1, code, message, format_path(path))
        )

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _Limit(
                "too-many-nodes",
                f"the document expands to more than {MAX_NODES:,} nodes (an alias bomb?)",
                node.start_mark,
            )
        start = node.start_mark
        self.positions.values[path] = (start.line + 1, start.column + 1)
        if isinstance(node, yaml.ScalarNode):
            self.positions.styles[path] = node.style
            self.positions.ends[path] = (node.end_mark.line + 1, node.end_mark.column + 1)
            if node.tag == _STR:  # most of a rule file: the text is the value (no constructor round trip)
                return node.value
            try:
                return self.constructor.construct_object(node, deep=True)
            except yaml.YAMLError as exc:
                self.problem(path, node.start_mark, "yaml-value", str(getattr(exc, "problem", exc)))
                return node.value
            except (ValueError, OverflowError) as exc:  # e.g. a number of 5,000 digits
                self.problem(path, node.start_mark, "yaml-value", f"value cannot be read: {exc}")
                return None
        # depth is checked here, on the composed tree: libyaml itself stops at 1,000 levels, so composing is safe,
        # and a second parse only to count levels cost a third of the load of a 1 MiB file
        if len(path) - path.count("<key>") >= MAX_DEPTH:
            raise _Limit("too-deep", f"nesting is deeper than {MAX_DEPTH} levels", start)
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
        raise AssertionError(f"unexpected YAML node {node!r}")  # pragma: no cover


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
    try:
        node = yaml.compose(text, Loader=_Loader)
        if node is None:
            return None, positions, [Problem(file, 1, 1, "empty", "the file is empty")]
        builder = _Builder(file)
        data = builder.build(node, ())
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
    return data, builder.positions, builder.problems
