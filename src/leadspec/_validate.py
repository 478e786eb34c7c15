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

import re
from typing import Any, Callable

from pydantic import TypeAdapter, ValidationError

from ._expr import shorten, suggest
from ._functions import digits_at_most
from ._model import (
    GROUP_KEYS,
    KNOWN_KEYS,
    MAX_INT_BITS,
    ListItem,
    Allow,
    AtLeast,
    Base,
    Criterion,
    FieldSpec,
    Flag,
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
    if isinstance(data.get("flags"), dict):
        names = list(data["flags"])
        counted(len(names), lambda i: ("flags", names[i]))
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
    "flag": Flag,
    "allow": Allow,
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
    elif parent[0] == "flags" and len(parent) == 2:
        kind = "flag"
    elif parent[0] == "allow" and len(parent) == 2:
        kind = "allow"
    else:
        return KNOWN_KEYS
    model: Any = _MODEL_KEYS[kind]
    return list(model.model_fields)


_FIELD_TYPES = ("string", "integer", "number", "boolean", "enum", "date", "datetime", "list", "events")

_TYPE_WORDS = {
    "int": "integer", "integer": "integer", "long": "integer", "whole": "integer",
    "str": "string", "text": "string", "varchar": "string", "char": "string", "email": "string", "url": "string",
    "bool": "boolean", "flag": "boolean", "checkbox": "boolean",
    "float": "number", "decimal": "number", "double": "number", "numeric": "number", "real": "number",
    "money": "number", "currency": "number", "percent": "number",
    "timestamp": "datetime", "time": "datetime", "datetime64": "datetime",
    "choice": "enum", "category": "enum", "categorical": "enum", "select": "enum", "picklist": "enum", "option": "enum",
    "array": "list", "tags": "list", "multiselect": "list",
    "event": "events", "activity": "events", "activities": "events",
}
"""What other tools call a field type, and leadspec's name for it (``type: int`` -> did you mean `integer`?)."""

_KEY_WORDS = {
    "min_value": "min", "minimum": "min", "max_value": "max", "maximum": "max",
    "desc": "description", "doc": "description", "note": "description", "notes": "description",
    "if": "when", "condition": "when", "expr": "when", "expression": "when", "rule": "when", "test": "when",
    "reason": "because", "why": "because",
    "options": "values", "choices": "values", "enum": "values", "allowed": "values",
    "column": "source", "header": "source", "from": "source", "key": "source",
    "kind": "type", "datatype": "type", "dtype": "type",
    "criteria": "all", "and": "all", "or": "any", "not": "none",
    "title": "label", "points_max": "max",
}
"""Keys people write for one leadspec has under another name (``min_value`` -> `min`)."""

_REQUIRED = {
    "leadspec": "the format version: `leadspec: 1`",
    "name": "the name of the rules, e.g. `name: inbound-leads`",
    "fields": "the fields a lead has, e.g. `fields: {employees: {type: integer}}`",
    "stages": "the stages, in order, e.g. `stages: [{id: mql, when: employees >= 50}]`",
    "when": "the condition it tests, e.g. `when: employees >= 50`",
    "id": "its id, e.g. `id: size`",
    "type": "the field's type, e.g. `type: integer`",
    "n": "how many of `of:` must pass, e.g. `n: 2`",
    "of": "the criteria to count",
    "points": "the points it adds, e.g. `points: 10`",
    "code": "the code of the warning it allows, e.g. `code: unused-field`",
    "because": "why, e.g. `because: kept for the CRM sync`",
}

_TOP_LEVEL = ("leadspec", "name", "fields", "stages")
"""Required keys whose meaning above is the rule file's: elsewhere (a test case's `name`) nothing is added."""

_EXPECTED = {
    "string_type": "text", "str_type": "text",
    "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
    "float_type": "a number", "float_parsing": "a number", "finite_number": "a finite number",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "list_type": "a list (lines starting with `- `, or [a, b])",
    "dict_type": "a mapping (`key: value` lines, or {key: value})",
    "model_type": "a mapping (`key: value` lines, or {key: value})",
    "model_attributes_type": "a mapping (`key: value` lines, or {key: value})",
}

_PYDANTIC = ("Input should be", "Field required", "List should have", "Dictionary should have", "Value error, ", "instance of", "valid dictionary")


def _found(value: Any) -> str:
    """How a value the user wrote is named in a message."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text {shorten(repr(value), 60)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__  # pragma: no cover - YAML builds only the types above


def _guess_id(expression: str) -> str:
    """An id for a criterion written without one: the first name it reads (``100 <= employees`` -> ``employees``)."""
    words: list[str] = re.findall(r"[A-Za-z_]\w*", expression)
    for word in words:
        word = word.lower()
        if word not in ("and", "or", "not", "in", "true", "false", "none") and re.fullmatch(r"[a-z][a-z0-9_]*", word):
            return word
    return "name_it"


def _closest_key(name: str, allowed: list[str]) -> str:
    """`` (did you mean 'min'?)`` from the known synonyms and prefixes, then from spelling; or nothing."""
    lowered = name.lower()
    for guess in (_KEY_WORDS.get(lowered), *(key for key in allowed if lowered.startswith(key + "_") or lowered.endswith("_" + key))):
        if guess is not None and guess in allowed:
            return f" (did you mean {guess!r}?)"
    return suggest(name, allowed)


def _label(name: str, path: tuple[Any, ...], tags: list[str]) -> str:
    """The key a message names: the one that has the error (not a branch of a union), else the path."""
    if name and not name.isdigit() and name not in tags:
        return name
    if path and isinstance(path[-1], str):
        return path[-1]
    return format_path(path) or "file"


def _explain(kind: str, kinds: set[str], err: Any, path: tuple[Any, ...], tags: list[str], name: str) -> tuple[str, str, bool] | None:
    """(code, message, at the key) in leadspec's words for one of pydantic's errors; None when none of these fits."""
    value = err.get("input")
    label = _label(name, path, tags)
    ctx = err.get("ctx") or {}
    if path and path[-1] == "type" and kind == "literal_error" and len(path) == 3 and path[0] == "fields":
        word = str(value).lower() if isinstance(value, (str, int, float)) else ""
        guess = _TYPE_WORDS.get(word) or (_close_type(word, _FIELD_TYPES) if word else None)
        hint = f" (did you mean `{guess}`?)" if guess else ""
        if not isinstance(value, str):
            return "bad-value", f"type: expected one of {', '.join(_FIELD_TYPES)}, found {_found(value)}", False
        return "bad-value", f"unknown field type {value!r}{hint}; the types are {', '.join(_FIELD_TYPES)}", False
    if kind == "model_type" and isinstance(value, str) and "criterion" in tags:
        return "bad-value", f"this criterion has no id: give it one, as in `- {_guess_id(value)}: {shorten(value, 60)}`", False
    if kind == "string_type" and "shorthand" in tags and isinstance(value, (dict, list)):
        return "bad-value", (
            f"`{label}:` takes an expression, found {_found(value)}: a nested condition is written "
            f"`- id: {label}` with `all:`, `any:`, `none:` or `at_least:` under it"
        ), False
    if kind in ("model_type", "dict_type") and "criterion" in tags:
        return "bad-value", f"a criterion is `- id: expression`, or `id:` and `when:` lines; found {_found(value)}", False
    if kind == "too_short" and not value:
        item = {"stages": "stage", "fields": "field", "of": "criterion"}.get(label, "criterion")
        if label in ("stages", "fields") and len(path) == 1:
            return "bad-value", f"`{label}:` is empty: add at least one {item}", True
        return "bad-value", f"an empty `{label}:` list: add at least one {item}, or remove the key", True
    if value is None and kind in _EXPECTED:
        what = _REQUIRED.get(label, "a value") if len(path) == 1 or label not in _TOP_LEVEL else "a value"
        write = "write " + what if label in ("when", "because") else "add " + what
        return "bad-value", f"`{label}:` is empty: {write.replace('write the condition it tests', 'write the condition')}", True
    if kind in ("dict_type", "model_type") and isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        item = value[0]
        named = item.get("id") if isinstance(item.get("id"), str) else None
        first = named or next(iter(item), "name")
        how = f"write each as `{first}: …` (its id as the key)" if named else f"remove the `- ` in front of each entry, as in `{first}: …`"
        return "bad-value", f"{label}: expected {_EXPECTED[kind]}, found a list: {how} under `{label}:`", False
    if kind in _EXPECTED:
        what = "a number" if kinds & {"float_type", "float_parsing"} and kind.startswith("int") else _EXPECTED[kind]
        hint = "; YAML reads yes/no/on/off (and NO) as booleans: quote the value" if isinstance(value, bool) and kind == "string_type" else ""
        return "bad-value", f"{label}: expected {what}, found {_found(value)}{hint}", False
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        options = re.findall(r"'([^']*)'", expected)
        hint = suggest(str(value), options) if isinstance(value, str) else ""
        if isinstance(value, bool):
            hint = "; YAML reads yes/no/on/off (and NO) as booleans: quote the value"
        return "bad-value", f"{label}: {_found(value)} is not one of {expected}{hint}", False
    bound = {"greater_than_equal": ("at least", "ge"), "greater_than": ("more than", "gt"), "less_than_equal": ("at most", "le"), "less_than": ("less than", "lt")}.get(kind)
    if bound is not None:
        return "bad-value", f"{label}: must be {bound[0]} {ctx.get(bound[1])}, found {_found(value)}", False
    if kind == "too_long":
        return "bad-value", f"{label}: has {ctx.get('actual_length')} items, at most {ctx.get('max_length')} are allowed", False
    return None


def _close_type(word: str, options: tuple[str, ...]) -> str | None:
    close = suggest(word, list(options))
    return close[len(" (did you mean '") : -len("'?)")] if close else None


def pydantic_problems(
    exc: ValidationError,
    data: Any,
    out: Collector,
    prefix: tuple[Any, ...] = (),
    allowed_keys: Callable[[tuple[Any, ...], list[str]], list[str]] | None = None,
) -> None:
    """Pydantic's errors as located problems in leadspec's words; ``allowed_keys(path, tags)`` names the keys allowed where one is unknown.

    No message has pydantic's own wording: each error is said as what is
    wrong in the file and how to write it, once per place (the branches
    of a union fail together: ``points: high`` is one problem).
    """
    allowed_keys = allowed_keys or _allowed_keys
    errors = exc.errors(include_url=False)
    kinds_at: dict[tuple[Any, ...], set[str]] = {}
    located = []
    for err in errors:
        path, tags = _loc_to_path(data, prefix + tuple(err["loc"]))
        located.append((err, path, tags))
        kinds_at.setdefault(path, set()).add(err["type"])
    meant: set[tuple[Any, ...]] = set()  # (mapping, key) an unknown key there probably is: its missing-key goes unsaid
    for err, path, tags in located:
        if err["type"] == "extra_forbidden":
            guess = _closest_key(str(err["loc"][-1]), allowed_keys(path, tags))
            if guess:
                meant.add((path[:-1], guess[len(" (did you mean '") : -len("'?)")]))
    said: set[tuple[Any, ...]] = set()
    for err, path, tags in located:
        kind = err["type"]
        name = str(err["loc"][-1]) if err["loc"] else ""
        value = err.get("input")
        on_key = "[key]" in tags
        if kind == "extra_forbidden":
            allowed = allowed_keys(path, tags)
            hint = _closest_key(name, allowed)
            if not hint and len(path) == 1 and isinstance(value, dict) and "type" in value:  # a field that left `fields:`
                hint = f" (it looks like a field: indent it under `fields:`, like the fields there)"
            out.at(path, "unknown-key", f"unknown key {name!r}{hint}; allowed here: {', '.join(allowed)}", key=True)
        elif kind == "missing":
            if (path, name) in meant:
                continue  # `condition:` written for `when:`: the unknown key says it
            what = _REQUIRED.get(name) if path == () or name not in _TOP_LEVEL else None
            if name == "id" and len(path) == 2 and path[0] == "stages":  # a stage's id names the stage
                what = "the stage's id, e.g. `id: icp` (criteria ids are written `stage.criterion`)"
            out.at(path, "missing-key", f"required key {name!r} is missing" + (f": add {what}" if what else ""))
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
        elif kind == "value_error" and isinstance(value, dict) and (empty := _empty_condition(value)) is not None:
            # a stage whose only condition key is empty: said at that key, not "found none" at the stage
            out.at(path + (empty,), "bad-value", f"`{empty}:` is empty: {'write the condition' if empty == 'when' else 'add at least one criterion'}", key=True)
        else:
            code = "version" if path == ("leadspec",) else "bad-value"
            explained = _explain(kind, kinds_at[path], err, path, tags, name)
            if explained is not None:
                if path in said and kind != "value_error":
                    continue  # another branch of the same union: said once
                said.add(path)
                explained_code, message, at_key = explained
                out.at(path, code if code == "version" else explained_code, message, key=at_key)
                continue
            message = err["msg"].removeprefix("Value error, ")
            if message.startswith("Input should be "):  # pydantic's wording of a kind not named above
                message = f"expected {message.removeprefix('Input should be ')}, found {_found(value)}"
            label = _label(name, path, tags)
            out.at(path, code, f"{label}: {message}")


def _empty_condition(stage: dict[Any, Any]) -> str | None:
    """The condition key of ``stage`` written with nothing after it, when it has no other condition."""
    present = [k for k in ("all", "any", "none", "at_least", "when") if k in stage]
    if len(present) == 1 and stage[present[0]] in (None, "", [], {}):
        return str(present[0])
    return None


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
