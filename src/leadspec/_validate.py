"""Steps 1 to 3 of checking a rule file: shorthand, limits, and pydantic's validation as located problems.

1. shorthand criteria (``- id: expression``) are written out as ``{id, when}``;
2. what cannot be checked safely is refused first: integers too large to
   print, more criteria than :data:`MAX_CRITERIA`;
3. the data is validated by the pydantic models of ``_model``, each of
   pydantic's errors turned into a located problem with a hint; where the
   file does not validate, what can be read of it is salvaged so the
   semantic checks (``_check``) still see the rest.
"""

from __future__ import annotations

from typing import Any, Callable

from pydantic import TypeAdapter, ValidationError

from ._expr import suggest
from ._functions import digits_at_most
from ._model import (
    GROUP_KEYS,
    KNOWN_KEYS,
    MAX_INT_BITS,
    ListItem,
    AtLeast,
    Base,
    Criterion,
    FieldSpec,
    Group,
    RuleFile,
    Score,
    ScoreRule,
    Stage,
)
from ._problems import Collector
from ._yaml import Positions, format_path

__all__ = ["MAX_CRITERIA", "SKIP", "expand_shorthand", "huge_numbers", "pydantic_problems", "salvage", "too_many_criteria", "validate"]

_ITEM_KEYS = {"id", "when", "because", "missing", *GROUP_KEYS}


# -- step 1: shorthand ---------------------------------------------------------


def expand_shorthand(data: Any, positions: Positions) -> Any:
    """``- size: 50 <= employees`` -> ``- {id: size, when: 50 <= employees}`` (positions kept)."""

    def items(lst: Any, path: tuple[Any, ...]) -> None:
        if not isinstance(lst, list):
            return
        for i, item in enumerate(lst):
            p = path + (i,)
            if isinstance(item, dict) and len(item) == 1:
                (key, value), = item.items()
                if key not in _ITEM_KEYS and isinstance(value, str):
                    lst[i] = {"id": key, "when": value}
                    positions.values[p + ("id",)] = positions.keys.get(p + (key,), positions.of(p))
                    positions.values[p + ("when",)] = positions.of(p + (key,))
                    positions.styles[p + ("when",)] = positions.styles.get(p + (key,))
                    if p + (key,) in positions.ends:
                        positions.ends[p + ("when",)] = positions.ends[p + (key,)]
                    continue
            group(item, p)

    def group(node: Any, path: tuple[Any, ...]) -> None:
        if not isinstance(node, dict):
            return
        for k in ("all", "any", "none"):
            items(node.get(k), path + (k,))
        at_least = node.get("at_least")
        if isinstance(at_least, dict):
            items(at_least.get("of"), path + ("at_least", "of"))

    if isinstance(data, dict):
        items(data.get("disqualify"), ("disqualify",))
        stages = data.get("stages")
        if isinstance(stages, list):
            for i, stage in enumerate(stages):
                group(stage, ("stages", i))
    return data


# -- step 2: numbers too large to print ----------------------------------------------


def huge_numbers(data: Any, out: Collector) -> bool:
    """Report every integer of the file over :data:`MAX_INT_BITS` bits (``too-large``); True if there was one.

    YAML reads ``0xfff…`` of any length. Python refuses to print an
    integer over 4,300 digits, so such a number in points, a cap, a
    default or ``at_least`` would make messages, explanations, ``diff``
    and JSON output raise; the bound is the one of numbers computed in
    expressions.
    """
    found = False
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if _huge(key):
                    found = True
                    out.at(path, "too-large", f"a key of this mapping is an integer of {key.bit_length():,} bits; {_LIMIT}")
                else:
                    stack.append((value, path + (key,)))
        elif isinstance(node, list):
            stack.extend((item, path + (i,)) for i, item in enumerate(node))
        elif _huge(node):
            found = True
            out.at(path, "too-large", f"this integer has {node.bit_length():,} bits (about {digits_at_most(node):,} digits); {_LIMIT}")
    return found


MAX_CRITERIA = 2_000
"""Most criteria (score rules, disqualifiers, stage criteria and named groups) one rule file may have.

Loading costs time in proportion to the criteria (checking and compiling
each); this bound keeps every load of a file under the size limit within
about two seconds. Real rule files have tens of criteria: many alike are
one criterion with a list.
"""


_GROUPS = ("all", "any", "none", "at_least")


def too_many_criteria(data: Any, out: Collector) -> bool:
    """Whether the rules have more than :data:`MAX_CRITERIA` criteria, counted on the parsed YAML before any check.

    The problem is at the first criterion over the limit.
    """
    if not isinstance(data, dict):
        return False
    count = 0
    over: tuple[Any, ...] | None = None  # the path of criterion number MAX_CRITERIA + 1

    def counted(n: int, path_of: Callable[[int], tuple[Any, ...]]) -> None:
        """``n`` more criteria; ``path_of(i)`` is the path of the i-th of them."""
        nonlocal count, over
        if over is None and count + n > MAX_CRITERIA:
            over = path_of(MAX_CRITERIA - count)
        count += n

    def listed(where: tuple[Any, ...], items: list[Any]) -> None:
        counted(len(items), lambda i: where + (i,))

    scores = data.get("scores")
    if isinstance(scores, dict):
        for name, score in scores.items():
            rules = score.get("rules") if isinstance(score, dict) else None
            if isinstance(rules, list):
                listed(("scores", name, "rules"), rules)
    if isinstance(data.get("disqualify"), list):
        listed(("disqualify",), data["disqualify"])
    pending: list[tuple[tuple[Any, ...], Any]] = []
    if isinstance(data.get("stages"), list):
        pending = [(("stages", i), stage) for i, stage in enumerate(data["stages"])]
    while pending:  # conditions and nested groups: each item is one criterion (a group with an id too)
        path, node = pending.pop()
        if not isinstance(node, dict):
            continue
        if "when" in node and len(path) == 2:
            counted(1, lambda _i: path + ("when",))
        for key in _GROUPS:
            value = node.get(key)
            where = path + (key,)
            if key == "at_least" and isinstance(value, dict):
                value, where = value.get("of"), where + ("of",)
            if isinstance(value, list):
                listed(where, value)
                pending += [(where + (i,), item) for i, item in enumerate(value) if isinstance(item, dict) and any(k in item for k in _GROUPS)]
    if over is None:
        return False
    out.at(
        over,
        "too-large",
        f"the rules have {count:,} criteria; leadspec loads at most {MAX_CRITERIA:,} per rule file "
        "(criteria that differ only in a value are usually one criterion with a list: `industry in target_industries`)",
    )
    return True


_LIMIT = f"numbers in a rule file are limited to {MAX_INT_BITS:,} bits (about 4,200 digits)"


def _huge(value: Any) -> bool:
    return type(value) is int and value.bit_length() > MAX_INT_BITS


# -- step 3: pydantic --------------------------------------------------------------


def _loc_to_path(data: Any, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[str]]:
    """Follow a pydantic error location through the data; returns the path and the tags skipped."""
    path: list[Any] = []
    tags: list[str] = []
    cur = data
    for part in loc:
        if isinstance(cur, dict) and part in cur:
            path.append(part)
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            path.append(part)
            cur = cur[part]
        else:
            tags.append(str(part))
    return tuple(path), tags


_MODEL_KEYS = {
    "file": RuleFile,
    "field": FieldSpec,
    "score": Score,
    "rule": ScoreRule,
    "stage": Stage,
    "group": Group,
    "criterion": Criterion,
    "at_least": AtLeast,
    "base": Base,
}


def _allowed_keys(path: tuple[Any, ...], tags: list[str]) -> list[str]:
    parent = path[:-1]
    if not parent:
        kind = "file"
    elif "group" in tags:
        kind = "group"
    elif "criterion" in tags or parent[0] == "disqualify":
        kind = "criterion"
    elif parent[-1] == "at_least":
        kind = "at_least"
    elif parent[0] == "fields" and len(parent) == 2:
        kind = "field"
    elif parent[0] == "scores" and len(parent) == 2:
        kind = "score"
    elif parent[0] == "scores" and len(parent) == 4 and parent[2] == "rules":
        kind = "rule"
    elif parent[0] == "scores" and len(parent) == 4:
        return ["points", "max"]
    elif parent[0] == "stages" and len(parent) == 2:
        kind = "stage"
    elif parent[0] == "base":
        kind = "base"
    else:
        return KNOWN_KEYS
    model: Any = _MODEL_KEYS[kind]
    return list(model.model_fields)


def pydantic_problems(
    exc: ValidationError,
    data: Any,
    out: Collector,
    prefix: tuple[Any, ...] = (),
    allowed_keys: Callable[[tuple[Any, ...], list[str]], list[str]] | None = None,
) -> None:
    """Pydantic's errors as located problems; ``allowed_keys(path, tags)`` names the keys allowed where one is unknown."""
    allowed_keys = allowed_keys or _allowed_keys
    for err in exc.errors(include_url=False):
        path, tags = _loc_to_path(data, prefix + tuple(err["loc"]))
        kind = err["type"]
        name = str(err["loc"][-1]) if err["loc"] else ""
        value = err.get("input")
        on_key = "[key]" in tags
        if kind == "extra_forbidden":
            allowed = allowed_keys(path, tags)
            hint = suggest(name, allowed)
            out.at(path, "unknown-key", f"unknown key {name!r}{hint}; allowed here: {', '.join(allowed)}", key=True)
        elif kind == "missing":
            out.at(path, "missing-key", f"required key {name!r} is missing")
        elif path and path[-1] in ("window", "half_life", "sla") and kind in ("string_pattern_mismatch", "value_error"):
            message = err["msg"].removeprefix("Value error, ")
            out.at(path, "bad-duration", f"{path[-1]}: {message}" if kind == "value_error" else f"{value!r} is not a duration; write a number and a unit s, m, h, d or w, e.g. '30d'")
        elif kind == "string_pattern_mismatch":
            what = "a name" if path == ("name",) else "an id"
            rule = "[a-z0-9][a-z0-9_-]*" if path == ("name",) else "[a-z][a-z0-9_]*"
            if "window" in path or "half_life" in path or "sla" in path:
                out.at(path, "bad-duration", f"{value!r} is not a duration; write a number and a unit s, m, h, d or w, e.g. '30d'")
            else:
                out.at(path, "bad-id", f"{value!r} is not {what}: use {rule} (lower-case letters, digits, _)", key=on_key)
        elif kind == "union_tag_invalid":
            out.at(path, "bad-value", f"{name}: expected a criterion, a nested condition or `id: expression`")
        else:
            message = err["msg"].removeprefix("Value error, ")
            if isinstance(value, bool) and kind in ("string_type",):
                message += "; YAML reads yes/no/on/off (and NO) as booleans: quote the value"
            label = name if name and not name.isdigit() and name not in tags else format_path(path) or "file"
            code = "version" if path == ("leadspec",) else "bad-value"
            out.at(path, code, f"{label}: {message}")


def validate(data: Any, out: Collector) -> RuleFile | None:
    if not isinstance(data, dict):
        out.at((), "bad-value", "a rule file is a mapping with leadspec, name, fields and stages")
        return None
    try:
        return RuleFile.model_validate(data)
    except ValidationError as exc:
        pydantic_problems(exc, data, out)
        return None


def salvage(data: dict[str, Any]) -> dict[str, Any]:
    """The parts of a broken file that validate on their own, so their expressions are checked too."""

    def one(adapter: TypeAdapter[Any], value: Any) -> Any:
        try:
            return adapter.validate_python(value)
        except ValidationError:
            return None

    fields: dict[Any, Any] = data["fields"] if isinstance(data.get("fields"), dict) else {}
    field_adapter = TypeAdapter(FieldSpec)
    out: dict[str, Any] = {
        "fields": {k: one(field_adapter, v) for k, v in fields.items() if isinstance(k, str)},
        "lists": {},
        "scores": {},
        "disqualify": [],
        "stages": [],
        "missing": [""],
    }
    lists = data.get("lists")
    if isinstance(lists, dict):
        adapter: TypeAdapter[Any] = TypeAdapter(dict[str, list[ListItem]])
        for k, v in lists.items():
            good = one(adapter, {k: v})
            out["lists"][k] = good[k] if good else []
    scores = data.get("scores")
    if isinstance(scores, dict):
        adapter = TypeAdapter(Score)
        for k, v in scores.items():
            out["scores"][k] = one(adapter, v)
    if isinstance(data.get("disqualify"), list):
        adapter = TypeAdapter(Criterion)
        out["disqualify"] = [one(adapter, item) for item in data["disqualify"]]
    if isinstance(data.get("stages"), list):
        adapter = TypeAdapter(Stage)
        out["stages"] = [one(adapter, _salvage_condition(item)) for item in data["stages"]]
    missing = data.get("missing")
    if isinstance(missing, list) and all(isinstance(m, str) for m in missing):
        out["missing"] = missing
    return out


def _salvage_condition(node: Any, model: type[Any] = Stage) -> Any:
    """A stage or nested condition without the items that do not validate."""
    if not isinstance(node, dict):
        return node
    criterion: TypeAdapter[Any] = TypeAdapter(Criterion)
    group: TypeAdapter[Any] = TypeAdapter(Group)

    def keep(item: Any) -> Any:
        adapter: TypeAdapter[Any]
        if isinstance(item, dict) and any(k in item for k in GROUP_KEYS):
            item = _salvage_condition(item, Group)
            adapter = group
        else:
            adapter = criterion
            if isinstance(item, dict):
                item = _known_keys(item, Criterion)
        try:
            adapter.validate_python(item)
        except ValidationError:
            return SKIP  # keeps the positions of the items after it
        return item

    out = _known_keys(node, model)
    for key in ("all", "any", "none"):
        if isinstance(out.get(key), list):
            out[key] = [keep(item) for item in out[key]]
    at_least = out.get("at_least")
    if isinstance(at_least, dict) and isinstance(at_least.get("of"), list):
        out["at_least"] = {**at_least, "of": [keep(item) for item in at_least["of"]]}
    return out


def _known_keys(node: dict[str, Any], model: type[Any]) -> dict[str, Any]:
    """``node`` without the keys ``model`` does not have (reported already as unknown keys)."""
    return {k: v for k, v in node.items() if k in model.model_fields}


SKIP = Criterion.model_construct(id="", when="True", because=None, missing="unknown")
"""Stands in for an item that did not validate (already reported), so the rest can be checked."""
