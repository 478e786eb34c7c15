"""A criterion's part of a result (outcome, explanation, values) from code generated for that criterion.

:meth:`leadspec.result.Result._criterion_slow` finds what a criterion read
and builds its explanation by walking the plan for every lead: which
fields and flags it reads, which calls it shows, its ``missing:`` policy,
its ``because`` text, the words of its outcome. All of that is known
when the rules load. :func:`renderer` writes, once per criterion (on its
first explanation), a function with those answers bound as constants:
it reads the criterion's values, computes what its text shows (the calls
of its values, the placeholders of ``because``) with the same expression
code as the evaluation (:mod:`leadspec._codegen`, no interpreter), picks
the text of the outcome and joins it into the row ``Result.to_dict()``
gives. :func:`rows_renderer` writes the same blocks one after the other,
50 criteria to a function, for ``to_dict()``'s rows of the whole rule
file. The slow renderer stays the oracle the tests compare them with
(``tests/test_render.py``).

Generated for a criterion with an expression only; a nested condition
with an id (``crit.expr is None``) keeps the slow renderer (its text
counts the outcomes of the group's criteria).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ._codegen import Env, ExprCompiler, Namespace
from ._compile import DISQUALIFIED, _lowered_once
from .plan import flag_name

if TYPE_CHECKING:
    from .plan import Criterion, Expr
    from .result import Result, _Outline, _Row
    from .ruleset import Ruleset

Renderer = Callable[["Result", "bool | None", "tuple[Any, ...]"], "_Row"]
"""``render(result, outcome, values)``: the criterion's row of ``result`` (``outcome``: its raw outcome, True/False/None;
``values``: the result's field values as evaluation sees them, in the plan's order of fields: ``result._raw[0]``)."""

_serial = itertools.count(1)


class _Source:
    """What one generated renderer names: its constants (every text, name and plan node it uses: none is written as a
    literal), the expression code of :mod:`leadspec._codegen` for the values it computes, and the locals that code reads."""

    def __init__(self, ruleset: Ruleset, mode: str | None = None) -> None:
        plan = ruleset._public
        self.mode = mode  # None: the function builds dicts; "json": JSON text; "csv": JSON text as a CSV cell's (" doubled)
        self.ns = Namespace()
        self.ns.globals.update(_runtime_globals())
        lists = {named.name: self.ns.constant(named.values, f"_L_{named.name}_") for named in plan.lists}
        list_sets = {}
        for named in plan.lists:
            try:
                list_sets[named.name] = self.ns.constant(frozenset(named.values), f"_S_{named.name}_")
            except TypeError:  # pragma: no cover - lists hold text and numbers only
                list_sets[named.name] = lists[named.name]
        flags = {flag_name(c.id) or c.id: c.index for c in plan.flags}
        self.env = Env(
            fields={f.name: f"f_{f.name}" for f in plan.fields},
            lists=lists,
            list_sets=list_sets,
            scores={s.name: f"s_{s.name}" for s in plan.scores},
            events=f"f_{plan.events_field}" if plan.events_field else None,
            flags={name: f"fl_{name}" for name in flags},
        )
        # how each local the expression code may read gets its value, from the result (a field's name becomes a
        # constant only when a function reads the field)
        self.sources: dict[str, tuple[str | None, str]] = {f"f_{f.name}": (f.name, f"vals[{i}]") for i, f in enumerate(plan.fields)}  # (field, code)
        self.sources.update({f"s_{s.name}": (None, f"r._raw[3][{i}]") for i, s in enumerate(plan.scores)})
        self.sources.update({f"fl_{name}": (None, f"r._raw[1][{index}]") for name, index in flags.items()})
        self.sources["as_of"] = (None, "r._as_of")
        self.locals: dict[str, None] = {}  # the locals the function's code reads, in the order first needed
        self.types = {f.name: f.type for f in plan.fields}  # each field's type, by name
        self.shown_fields: dict[str, None] = {}  # the fields whose shown text the function computes once, in order
        self.json_fields: dict[str, None] = {}  # (JSON modes) the fields whose value as JSON text the function computes once

    @property
    def constants(self) -> dict[str, Any]:
        return self.ns.globals

    def constant(self, value: Any) -> str:
        return self.ns.constant(value)

    def value(self, node: Expr, truth: bool = False) -> str:
        """Code computing ``node`` as the interpreter does (``Result._interp``: None when it fails); its locals are noted."""
        compiler = ExprCompiler(self.env, self.ns)
        code = compiler.truth(node) if truth else compiler.code(node)
        self.locals.update(dict.fromkeys(compiler.free_names(node)))
        return code

    def local(self, name: str) -> str:
        """A local the function binds from the result (``f_<field>``, ``fl_<flag>``, …), noted."""
        self.locals[name] = None
        return name

    def shown(self, field: str) -> str:
        """The local holding the field's value as :func:`~leadspec.result._show` writes it, computed once per function
        from the field's type (a field shown by several criteria, or in several outcomes, is written once); in the JSON
        modes, that text as it is written inside a JSON string (:meth:`out`)."""
        self.local(f"f_{field}")
        self.shown_fields[field] = None
        return f"sh_{field}" if self.mode is None else f"esh_{field}"

    def json_value(self, field: str) -> str:
        """(JSON modes) The local holding the field's value as JSON text (``"Web"``, ``12``, ``null``), computed once."""
        self.local(f"f_{field}")
        self.json_fields[field] = None
        return f"jv_{field}"

    def fragment(self, text: str) -> str:
        """A constant of JSON text ``text`` as the output writes it (in the CSV mode with every ``"`` doubled)."""
        return self.constant(text.replace('"', '""') if self.mode == "csv" else text)

    def text(self, value: str) -> str:
        """A constant of the text ``value`` as the output writes it: as it is (dicts), else inside a JSON string."""
        return self.constant(value) if self.mode is None else self.fragment(json.dumps(value, ensure_ascii=False)[1:-1])

    def out(self, code: str) -> str:
        """Code giving the text that ``code`` gives, as the output writes it (:meth:`text`)."""
        return code if self.mode is None else f"{'_eic' if self.mode == 'csv' else '_ei'}({code})"

    def as_json(self, code: str) -> str:
        """(JSON modes) Code giving the JSON text of the value ``code`` gives (as ``to_dict()`` holds it, then dumped)."""
        return f"{'_jvc' if self.mode == 'csv' else '_jv'}({code})"

    def bindings(self) -> list[str]:
        out = [f"{name} = {self.sources[name][1]}" for name in self.locals]
        if self.mode is None:
            for field in self.shown_fields:
                out.append(f"sh_{field} = {_shown_field(self, f'f_{field}', self.types[field])}")
            return out
        missing = self.constant(_show_text(None))
        edge = 2 if self.mode == "csv" else 1  # the quotes of a JSON string: "x" (""x"" in a CSV cell)
        for field in {**self.json_fields, **self.shown_fields}:
            var, kind = f"f_{field}", self.types[field]
            if kind in _TEXT_FIELDS:  # one escape gives both the JSON value and the shown text
                quoted = f"_eb({var}).replace(_Q, _QQ)" if self.mode == "csv" else f"_eb({var})"
                out.append(f"jv_{field} = {quoted} if {var} is not None else {self.fragment('null')}")
                if field in self.shown_fields:
                    out.append(f"esh_{field} = jv_{field}[{edge}:-{edge}] if {var} is not None else {missing}")
                continue
            if field in self.json_fields:
                out.append(f"jv_{field} = {_json_field(self, var, kind)}")
            if field in self.shown_fields:
                shown = _shown_field(self, var, kind)
                out.append(f"esh_{field} = {shown if kind in _SAFE_SHOWN else self.out(f'({shown})')}")
        return out


def _runtime_globals() -> dict[str, Any]:
    """The helpers generated expression code calls (as the evaluation's module has them)."""
    from ._runtime import Sink, arith, chain, failed, k_all, k_any, k_at_least, k_none

    return {"_chain": chain, "_arith": arith, "_all": k_all, "_any": k_any, "_none": k_none, "_at_least": k_at_least, "_failed": failed, "_sink": Sink()}


def _guarded(var: str, code: str) -> list[tuple[int, str]]:
    """``var = code``, None when it raises (the interpreter's way: the criterion itself reported the error)."""
    if code.isidentifier():  # a local or a constant: nothing to fail
        return [(0, f"{var} = {code}")]
    return [(0, "try:"), (1, f"{var} = {code}"), (0, "except Exception:"), (1, f"{var} = None")]


_PLAIN_FIELDS = frozenset({"string", "integer", "number", "boolean", "enum"})
"""Field types whose values are text, numbers or truths (or None): written into a row's values as they are."""


_TEXT_FIELDS = frozenset({"string", "enum"})
"""Field types whose values are text (or None)."""


def _shown(var: str, text: bool = False) -> str:
    """Code for ``_show(var)`` (as a sales rep reads the value), text and small integers written inline; ``text``: the
    value is text or None (a string or enum field's)."""
    if text:
        return f"({var} if {var} is not None else _show({var}))"
    return f"({var} if type({var}) is str else str({var}) if type({var}) is int and -10000 < {var} < 10000 else _show({var}))"


def _shown_number(var: str) -> str:
    """Code for ``_show(var)`` where ``var`` is an int or a float (a ``number`` field's value): a small integer by
    ``str``, a float from 1 to 10,000 (either sign) as ``_show`` writes it (two decimals, trailing zeros and point
    dropped: no thousands separator below 10,000), the rest by ``_show``."""
    return (
        f"(str({var}) if type({var}) is int and -10000 < {var} < 10000 else "
        f"f'{{{var}:.2f}}'.rstrip('0').rstrip('.') if type({var}) is float and (1.0 <= {var} < 10000.0 or -10000.0 < {var} <= -1.0) else "
        f"_show({var}))"
    )


def _shown_field(src: _Source, var: str, kind: str) -> str:
    """Code for ``_show(var)`` where ``var`` is a field's value of type ``kind`` (or None): what the type allows
    written inline (text as it is, a truth as yes/no, a small integer by ``str``), the rest by ``_show``."""
    missing = src.constant(_show_text(None))
    if kind in _TEXT_FIELDS:
        return f"({var} if {var} is not None else {missing})"
    if kind == "boolean":
        return f"({src.constant(_show_text(True))} if {var} else {src.constant(_show_text(False))}) if {var} is not None else {missing}"
    if kind == "integer":
        return f"(str({var}) if -10000 < {var} < 10000 else _show({var})) if {var} is not None else {missing}"
    if kind == "number":
        return f"{_shown_number(var)} if {var} is not None else {missing}"
    return f"{_shown(var)} if {var} is not None else {missing}"


_SAFE_SHOWN = frozenset({"integer", "number", "boolean", "date", "datetime"})
"""Field types whose shown text (:func:`~leadspec.result._show`: digits, signs, commas, points, ``yes``, ``no``,
``missing``, a date or a time) has nothing a JSON string or a CSV cell must escape."""


def _json_field(src: _Source, var: str, kind: str) -> str:
    """(JSON modes) Code for the JSON text of ``var``, a field's value of type ``kind`` (a text field's is written by
    :meth:`_Source.bindings`): an integer by ``str``, a finite float by its ``repr`` (as ``json.dumps`` writes
    them), a truth as ``true``/``false``, the rest (None, NaN, a date, a list) by the generic ``_jv``."""
    generic = src.as_json(var)
    if kind == "integer":
        return f"(str({var}) if type({var}) is int else {generic})"
    if kind == "number":
        return f"(str({var}) if type({var}) is int else float.__repr__({var}) if type({var}) is float and {var} - {var} == 0.0 else {generic})"
    if kind == "boolean":
        return f"({src.fragment('true')} if {var} is True else {src.fragment('false')} if {var} is False else {generic})"
    return generic


def _show_text(value: Any) -> str:
    from .result import _show

    return _show(value)


F_STRING_PIECES = 200
"""The most pieces a text is joined from by an f-string (one BUILD_STRING, twice as fast as ``''.join``); more by
``''.join`` of a flat tuple (a chain of + deeper than ~3,000 does not compile)."""


def _joined(pieces: Sequence[str]) -> str:
    """Code joining the texts ``pieces`` (code of expressions giving ``str``: constants' names and :func:`_shown`)."""
    if len(pieces) <= F_STRING_PIECES and not any(c in piece for piece in pieces for c in "'\"\\{}#!:"):
        return "f'" + "".join("{" + piece + "}" for piece in pieces) + "'"
    return f"''.join(({', '.join(pieces)},))"


def _merged(src: _Source, pieces: Sequence[str]) -> list[str]:
    """``pieces`` with each run of adjacent text constants joined into one constant (fewer pieces to join)."""
    out: list[str] = []
    run: list[str] = []  # the texts of the current run of constants
    for piece in [*pieces, ""]:
        text = src.constants.get(piece) if piece else None
        if type(text) is str:
            run.append(text)
            continue
        if run:
            out.append(src.constant("".join(run)))
            run = []
        if piece:
            out.append(piece)
    return out


Choice = tuple[list[tuple[int, str]], "str | None", str]
"""One way to write a criterion's text: the lines that prepare it, the condition under which it is the text (None:
always), and the code of the text."""


def _chosen_slots(choices: list[tuple[list[tuple[int, str]], str | None, list[str]]], final: list[str], slots: list[str], empty: str) -> list[tuple[int, str]]:
    """:func:`_chosen` with each text as its pieces, set to the locals ``slots`` (the rest of them to ``empty``)."""

    def assign(depth: int, texts: list[str]) -> list[tuple[int, str]]:
        return [(depth, f"{slot} = {texts[i] if i < len(texts) else empty}") for i, slot in enumerate(slots)]

    lines: list[tuple[int, str]] = []
    depth = 0
    for setup, condition, texts in choices:
        lines += [(depth + d, line) for d, line in setup]
        if condition is None:
            return lines + assign(depth, texts)
        lines += [(depth, f"if {condition}:"), *assign(depth + 1, texts), (depth, "else:")]
        depth += 1
    return lines + assign(depth, final)


def _chosen(choices: list[Choice], final: str) -> list[tuple[int, str]]:
    """Lines setting ``b`` to the text of the first choice whose condition holds, else to ``final``: the early returns
    of ``Result._because`` as nested if/else (one criterion's code must not return: a whole rule file's rows are one function)."""
    lines: list[tuple[int, str]] = []
    depth = 0
    for setup, condition, text in choices:
        lines += [(depth + d, line) for d, line in setup]
        if condition is None:
            lines.append((depth, f"b = {text}"))
            return lines
        lines += [(depth, f"if {condition}:"), (depth + 1, f"b = {text}"), (depth, "else:")]
        depth += 1
    lines.append((depth, f"b = {final}"))
    return lines


def _template(src: _Source, parts: Sequence[str | Expr], prefix: str) -> tuple[list[tuple[int, str]], str | None, list[str]]:
    """The ``because`` template as a choice: its text when none of its values is None (``Result._render``), every part
    computed by its generated expression code; the text as the pieces to join."""
    from .plan import Const

    setup: list[tuple[int, str]] = []
    pieces: list[str] = []
    checks: list[str] = []
    for i, part in enumerate(parts):
        if isinstance(part, str):
            pieces.append(src.text(part))
            continue
        code = src.constant(part.value) if isinstance(part, Const) else src.value(part)
        if code.startswith("f_") and code[2:] in src.types and src.sources.get(code, (None,))[0] == code[2:]:
            # a field's own value: its shown text is the function's
            checks.append(f"{code} is not None")
            pieces.append(src.shown(code[2:]))
            continue
        setup += _guarded(f"{prefix}t{i}", code)
        checks.append(f"{prefix}t{i} is not None")
        pieces.append(src.out(_shown(f"{prefix}t{i}")))
    return setup, " and ".join(checks) or None, pieces or [src.text("")]


def _block(ruleset: Ruleset, src: _Source, crit: Criterion, prefix: str, row: str = "row", pieces: list[str] | None = None) -> list[str]:
    """Lines setting the local ``row`` to the row of ``crit`` (which has an expression) from ``o``, its raw outcome: what
    ``Result._criterion_slow(crit)`` gives. Its own variables start with ``prefix``; the locals its values come from
    (``f_<field>``, ``fl_<flag>``, ``s_<score>``, ``as_of``) are noted in ``src.locals`` for the function to bind.
    In the JSON modes (``pieces`` given) the row is JSON text: its pieces (locals and constants to join) are added to
    ``pieces``, for one text of many rows, each outcome's text set to slots (``<prefix>s0``, …) rather than joined."""
    assert crit.expr is not None
    assert (pieces is None) == (src.mode is None), "the JSON modes write rows as pieces of one text"
    plan = ruleset._public
    types = src.types
    # the values as _criterion_values assigns them: fields read (not the events field), flags read, the calls shown;
    # a name assigned twice keeps its first place and its last value (a dict's own rule)
    assigned: dict[str, str] = {}
    plain: dict[str, bool] = {}  # values that are text, numbers, truths or None (their JSON form is themselves), by key
    kinds: dict[str, str] = {}  # the kind of each call's value, by key
    reads_flags = list(ruleset._compiled.flag_reads.get(crit.index, ()))
    for name in ruleset._reads(crit)[0]:
        if name != plan.events_field:
            assigned[name] = src.local(f"f_{name}")
            plain[name] = types[name] in _PLAIN_FIELDS
    for name in reads_flags:
        assigned[name] = src.local(f"fl_{name}")
        plain[name] = True
        kinds[name] = "bool"
    for text, node in ruleset._observed(crit):
        assigned[text] = src.value(node)
        plain[text] = node.type.kind in ("num", "str", "bool")
        kinds[text] = node.type.kind
    body: list[tuple[int, str]] = []
    branches: dict[str, tuple[list[tuple[list[tuple[int, str]], str | None, list[str]]], list[str]]] = {}  # (JSON rows) by outcome
    variables: dict[str, str] = {}
    for i, (key, code) in enumerate(assigned.items()):
        if code.isidentifier():
            variables[key] = code
        else:
            variables[key] = f"{prefix}v{i}"
            body += _guarded(f"{prefix}v{i}", code)
    own = {k: v == f"f_{k}" and k in types for k, v in variables.items()}  # a field's own value, not a call's of the same name
    if src.mode is None:
        values = ", ".join(f"{src.constant(k)}: {v if plain[k] else f'({v} if type({v}) in _PLAIN else _json_value({v}))'}" for k, v in variables.items())
        body.append((0, f"values = {{{values}}}"))
    else:  # the values' JSON text: the pieces after `"values": `
        values_json: list[str] = []
        for i, (k, v) in enumerate(variables.items()):
            values_json += [src.fragment(("{" if i == 0 else ", ") + json.dumps(k, ensure_ascii=False) + ": "), src.json_value(k) if own[k] else src.as_json(v)]
        values_json.append(src.fragment("}}" if variables else "{}}"))  # (the values' end, the row's)
    expr = ruleset._sentence(crit)
    # "k is <shown value>, ..." in the values' order: text as it is, anything else as _show() says it
    # (a field's own value: text when the field's type says so; a number's or a truth's shown text needs no escape)
    shown = [
        piece
        for i, (k, v) in enumerate(variables.items())
        for piece in (src.text(("" if i == 0 else ", ") + k + " is "), src.shown(k) if own[k] else _shown(v) if kinds.get(k) in ("num", "bool") else src.out(_shown(v)))
    ]
    missing_keys = [k for k in variables if k in types]  # what _because counts as missing: a value that is None and a field's
    missing_list = "[" + ", ".join(f"*(({src.constant(k)},) if {variables[k]} is None else ())" for k in missing_keys) + "]"
    for word in ("pass", "fail", "unknown"):
        choices: list[Choice] = []
        if crit.missing != "unknown" and word == crit.missing and len(missing_keys) == 1:
            # the outcome may come from the criterion's `missing:` policy, not from its condition; one field (the
            # common case): the condition is computed only when the field has no value, and the text is a constant
            # when no value was bad
            key = missing_keys[0]
            counted = f" (counted as {word}: {expr})"
            guarded = _guarded("decided", src.value(crit.expr, truth=True))
            setup = [(0, "decided = 0"), (0, f"if {variables[key]} is None:"), *[(1 + d, line) for d, line in guarded]]
            text = f"({src.text(key + ' is missing' + counted)} if not r._issues else {src.out(f'r._absent([{src.constant(key)}])')} + {src.text(counted)})"
            choices.append((setup, "decided is None", text))
        elif crit.missing != "unknown" and word == crit.missing and missing_keys:
            setup = [(0, f"missing = {missing_list}"), *_guarded("decided", src.value(crit.expr, truth=True))]
            choices.append((setup, "missing and decided is None", f"{src.out('r._absent(missing)')} + {src.text(f' (counted as {word}: {expr})')}"))
        joined: dict[int, list[str]] = {}  # the texts that are joined from pieces, by choice
        if word == "pass" and crit.because is not None:
            setup, condition, parts = _template(src, crit.because.parts, prefix)
            joined[len(choices)] = parts
            choices.append((setup, condition, _joined(parts)))
        if word == "unknown":
            if len(missing_keys) == 1:  # the common case: one field, missing or bad (Result._absent says which)
                key = missing_keys[0]
                text = f"({src.text(key + ' is missing')} if not r._issues else {src.out(f'r._absent([{src.constant(key)}])')})"
                choices.append(([], f"{variables[key]} is None", text))
            elif missing_keys:
                choices.append(([(0, f"missing = {missing_list}")], "missing", src.out("r._absent(missing)")))
            if reads_flags:  # each flag read whose value (or what overwrote it) is None
                # (a flag's value as the values hold it: its local, or what a later name of the same text overwrote it with)
                unknown = "[" + ", ".join(f"*(({src.text(f'flag {k} is unknown')},) if {variables[k]} is None else ())" for k in reads_flags) + "]"
                choices.append(([(0, f"unknown = {unknown}")], "unknown", "', '.join(unknown)"))
            final_parts = [src.text("could not be decided: " + expr)]
        elif not variables:
            final_parts = [src.text(expr if word == "pass" else (f"does not meet {expr}" if crit.id.startswith("disqualify.") else f"needs {expr}"))]
        else:
            tail = f" ({expr})" if word == "pass" else (f" (does not meet {expr})" if crit.id.startswith("disqualify.") else f", needs {expr}")
            final_parts = [*shown, src.text(tail)]
        final = final_parts[0] if len(final_parts) == 1 else _joined(final_parts)
        # the outcome's word (JSON: the row's text up to its because text)
        start = src.constant(word) if src.mode is None else src.fragment(f'{{"id": {json.dumps(crit.id, ensure_ascii=False)}, "outcome": "{word}", "because": "')
        if pieces is not None:  # (JSON rows) the word and the text as slots of the rows' one text: no string per row
            branches[word] = (
                [(setup, condition, _merged(src, [start, *joined.get(i, [text])])) for i, (setup, condition, text) in enumerate(choices)],
                _merged(src, [start, *final_parts]),
            )
            continue
        body.append((0, {"pass": "if o is True:", "fail": "elif o is False:", "unknown": "else:"}[word]))
        body += [(1 + d, line) for d, line in [(0, f"w = {start}"), *_chosen(choices, final)]]
    if pieces is not None:
        slots = [f"{prefix}s{i}" for i in range(max(len(texts) for choices, final in branches.values() for texts in [final, *(c[2] for c in choices)]))]
        for word, (slotted, final_slots) in branches.items():
            body.append((0, {"pass": "if o is True:", "fail": "elif o is False:", "unknown": "else:"}[word]))
            body += [(1 + d, line) for d, line in _chosen_slots(slotted, final_slots, slots, src.fragment(""))]
        pieces += [*slots, src.fragment('", "values": '), *values_json]
    else:
        body.append((0, f"{row} = {{'id': {src.constant(crit.id)}, 'outcome': w, 'because': b, 'values': values}}"))
    return ["    " * d + line for d, line in body]


def _compiled(ruleset: Ruleset, src: _Source, source: str, name: str, what: str) -> Any:
    """The function ``name`` of ``source``, or None when Python cannot compile it (too deep or too large)."""
    from .result import _PLAIN, _eb, _ei, _eic, _json_text, _json_value, _jv, _jvc, _show

    source = "".join(helper + "\n" for helper in src.ns.helpers) + source
    namespace: dict[str, Any] = {k: _lowered_once(value) for k, value in src.constants.items()}
    namespace.update({"_json_value": _json_value, "_show": _show, "_PLAIN": _PLAIN})
    namespace.update({"_eb": _eb, "_ei": _ei, "_eic": _eic, "_jv": _jv, "_jvc": _jvc, "_json_text": _json_text, "_Q": '"', "_QQ": '""'})
    namespace["__builtins__"] = {"type": type, "int": int, "float": float, "str": str, "bool": bool, "len": len, "list": list, "Exception": Exception}
    try:
        compiled = compile(source, f"<leadspec {ruleset._public.name} {what} #{next(_serial)}>", "exec")
    except (RecursionError, MemoryError, SyntaxError):
        return None
    exec(compiled, namespace)  # noqa: S102 - written from a checked plan, every text a bound constant
    return namespace[name]


def renderer(ruleset: Ruleset, crit: Criterion) -> Renderer:
    """The generated renderer of ``crit`` (which has an expression): what ``Result._criterion_slow(crit)`` gives."""
    src = _Source(ruleset)
    block = _block(ruleset, src, crit, "")
    name = f"_render_{crit.index}"
    source = f"def {name}(r, o, vals):\n" + "".join(f"    {line}\n" for line in src.bindings() + block + ["return row"])
    function: Renderer | None = _compiled(ruleset, src, source, name, f"render {crit.id}")
    return slow_renderer(crit) if function is None else function


ROWS_PER_FUNCTION = 50
"""Criteria written into one function of :func:`rows_renderer` (a function of thousands would take long to compile
and bind every field for each one)."""

RowsRenderer = Callable[["Result", "tuple[bool | None, ...]", "tuple[Any, ...]"], "list[_Row]"]
"""``rows(result, outcomes, values)``: every criterion's row, in file order, in a new list (``Result._rows``)."""


def rows_renderer(ruleset: Ruleset) -> RowsRenderer:
    """Every criterion's row in file order from generated functions of :data:`ROWS_PER_FUNCTION` criteria each: the
    blocks of :func:`renderer` one after the other (no call per criterion, each field read once per function), each
    function compiled on its own (one module of thousands of criteria took several times the memory to compile) and
    returning its rows as one list display; a nested condition with an id by the slow renderer. A function Python
    cannot compile gives its criteria's rows from their renderers one by one."""
    functions: list[RowsRenderer] = [
        function if function is not None else _one_by_one(ruleset, chunk) for chunk, function in _rows_functions(ruleset, None)
    ]
    if len(functions) == 1:
        return functions[0]

    def rows(r: Result, outs: tuple[bool | None, ...], vals: tuple[Any, ...]) -> list[_Row]:
        out: list[_Row] = []
        for function in functions:
            out += function(r, outs, vals)
        return out

    return rows


RowsText = Callable[["Result", "tuple[bool | None, ...]", "tuple[Any, ...]"], str]
"""``rows(result, outcomes, values)``: every criterion's row as JSON text, joined by ``, `` (the inside of
``to_dict()``'s ``criteria`` list as ``json.dumps`` writes it)."""


def rows_text_renderer(ruleset: Ruleset, csv: bool) -> RowsText:
    """:func:`rows_renderer`'s rows as JSON text, from functions generated the same way (``csv``: with every ``"``
    doubled, as inside a CSV cell). A function Python cannot compile gives its criteria's rows one by one, dumped."""
    functions: list[RowsText] = []
    from .result import _jv, _jvc

    for chunk, function in _rows_functions(ruleset, "csv" if csv else "json"):
        if function is None:
            one_by_one = _one_by_one(ruleset, chunk)
            dump = _jvc if csv else _jv
            function = lambda r, outs, vals, one_by_one=one_by_one, dump=dump: ", ".join(dump(row) for row in one_by_one(r, outs, vals))  # noqa: E731
        functions.append(function)
    if len(functions) == 1:
        return functions[0]
    return lambda r, outs, vals: ", ".join(function(r, outs, vals) for function in functions)


def _rows_functions(ruleset: Ruleset, mode: str | None) -> list[tuple[Sequence[Criterion], Any]]:
    """Each chunk of :data:`ROWS_PER_FUNCTION` criteria and its generated function (None: Python cannot compile it),
    giving its rows as a list (``mode`` None) or as JSON text joined by ``, `` (the JSON modes of :class:`_Source`)."""
    criteria = ruleset._public.criteria
    out: list[tuple[Sequence[Criterion], Any]] = []
    for start in range(0, len(criteria), ROWS_PER_FUNCTION):
        chunk = criteria[start : start + ROWS_PER_FUNCTION]
        src = _Source(ruleset, mode)
        lines: list[str] = []
        pieces: list[str] | None = None if mode is None else []  # (JSON modes) the pieces of the rows' one text
        for crit in chunk:
            if pieces:
                pieces.append(src.fragment(", "))
            if crit.expr is None:
                slow = f"{src.constant(slow_renderer(crit))}(r, None, vals)"
                lines.append(f"row{crit.index} = {slow if mode is None else src.as_json(slow)}")
                if pieces is not None:
                    pieces.append(f"row{crit.index}")
                continue
            lines += [f"o = outs[{crit.index}]", *_block(ruleset, src, crit, f"c{crit.index}_", f"row{crit.index}", pieces)]
        if pieces is None:
            lines.append("return [" + ", ".join(f"row{crit.index}" for crit in chunk) + "]")
        else:
            lines.append("return " + _joined(_merged(src, pieces)))
        source = "def _rows(r, outs, vals):\n" + "".join(f"    {line}\n" for line in src.bindings() + lines)
        out.append((chunk, _compiled(ruleset, src, source, "_rows", f"rows {start + 1}-{start + len(chunk)}{'' if mode is None else ' ' + mode}")))
    return out


DICT_LINES = 5000
"""The most lines the generated ``to_dict()`` of :func:`dict_renderer` may have besides the rows' functions (a rule
file with more score rules and stage criteria keeps ``Result._to_dict_plain``)."""

DictRenderer = Callable[["Result"], "dict[str, Any]"]
"""``to_dict(result)``: the result as ``Result.to_dict()`` gives it, without its ``handoff``."""


def _outcome_text(src: _Source, var: str) -> str:
    """Code for ``_OUTCOME[var]`` (``pass``, ``fail``, ``unknown``) without the dictionary."""
    return f"({src.constant('pass')} if {var} is True else {src.constant('fail')} if {var} is False else {src.constant('unknown')})"


CONTRIBUTION = "{'id': kind, 'points': points, 'count': count}"
"""Code of an event contribution's dict, as ``to_dict()`` has it."""


def _next_and_scores(
    outline: _Outline,
    src: _Source,
    value: Callable[[Any], str],
    next_stage: Callable[[str], str],
    none: Callable[[], str],
    contribution: str,
    score: Callable[[int, str], None],
) -> list[str]:
    """Lines setting ``nxt``, the next stage (``Result._next_step``: the first stage not reached, and what blocks it,
    the disqualifiers that apply, then its criteria whose outcome does not help it, gathered in ``blocked``), and
    ``p<i>``, each score's contributions (``Result._score_dicts``: its event contributions, then its rules that passed
    or are unknown), in the output's form: ``value(v)`` is the code of a fixed value (an id, a rule's contribution),
    ``next_stage(id)`` of the next stage from ``blocked``, ``none()`` of no next stage, ``contribution`` of an event's
    (from ``kind``, ``points``, ``count``); ``score(i, name)`` is called after each score's lines."""
    lines: list[str] = []
    if outline.stage_ids:
        lines.append("blocked = []")
        for crit in outline.disqualify:
            lines += [f"if outs[{crit.index}] is True:", f"    blocked.append({value(crit.id)})"]
        for i, (sid, passes) in enumerate(zip(outline.stage_ids, outline.passes)):
            lines.append(f"{'if' if i == 0 else 'elif'} st[{i}] is not True:")
            for crit, helps, _ in passes:
                lines += [f"    if outs[{crit.index}] is not {helps}:", f"        blocked.append({value(crit.id)})"]
            lines.append(f"    nxt = {next_stage(sid)}")
        lines += ["else:", f"    nxt = {none()}"]
    else:
        lines.append(f"nxt = {none()}")
    events_at = outline.events_at
    for i, (name, counted, rules) in enumerate(outline.scores):
        if counted is not None and events_at is not None:
            lines.append(f"p{i} = [{contribution} for kind, points, count in {src.constant(counted)}.contributions(raw[0][{events_at}], r._as_of)]")
        else:
            lines.append(f"p{i} = []")
        for index, short, points in rules:
            lines += [
                f"o = outs[{index}]",
                "if o is True:",
                f"    p{i}.append({value({'id': short, 'points': points, 'outcome': 'pass'})})",
                "elif o is None:",
                f"    p{i}.append({value({'id': short, 'points': 0, 'outcome': 'unknown'})})",
            ]
        score(i, name)
    return lines


def dict_renderer(ruleset: Ruleset, rows_of: RowsRenderer) -> DictRenderer | None:
    """``Result.to_dict()`` from one generated function: the stages', flags', scores', next stage's and ruleset's
    parts written out for this rule file (no loop over the plan, no table lookup), the rows from
    :func:`rows_renderer` (``rows_of``). None when the function would exceed :data:`DICT_LINES` lines or Python cannot
    compile it: ``Result._to_dict_plain`` then builds the same dict (and is the oracle of this one in the tests)."""
    from .result import _outline_of

    outline = _outline_of(ruleset)
    src = _Source(ruleset)
    rows = src.constant(rows_of)
    lines = ["raw = r._raw", "outs = raw[1]", "st = raw[2]", "tot = raw[3]", "stage = r._stage"]
    lines.append(f"label, owner, sla, description = {src.constant(outline.meta)}[stage]")
    scores: list[str] = []

    def value(v: Any) -> str:  # a fixed value as new data: a contribution's dict written out, of constants
        return "{" + ", ".join(f"{k!r}: {src.constant(x)}" for k, x in v.items()) + "}" if isinstance(v, dict) else src.constant(v)

    lines += _next_and_scores(
        outline,
        src,
        value,
        lambda sid: f"{{'stage': {src.constant(sid)}, 'blocked_by': blocked}}",
        lambda: "None",
        CONTRIBUTION,
        lambda i, name: scores.append(f"{src.constant(name)}: {{'total': tot[{i}], 'contributions': p{i}}}"),
    )
    lines += _missing_lines(ruleset, src)
    if len(lines) > DICT_LINES:
        return None
    stages = ", ".join(f"{src.constant(sid)}: {_outcome_text(src, f'st[{i}]')}" for i, sid in enumerate(outline.stage_ids))
    flags = ", ".join(f"{src.constant(name)}: outs[{index}]" for index, name in outline.flags)
    info = ruleset._info_dict()
    info_code = ", ".join(f"{k!r}: {src.constant(v)}" for k, v in info.items() if k != "owners")  # (keys of the format)
    fields = [
        ("stage", "stage"),
        ("label", "label"),
        ("owner", "owner"),
        ("sla", "sla"),
        ("description", "description"),
        ("disqualified", f"stage == {src.constant(DISQUALIFIED)}"),
        ("stages", f"{{{stages}}}"),
        ("flags", f"{{{flags}}}"),
        ("criteria", f"{rows}(r, outs, raw[0])"),
        ("scores", f"{{{', '.join(scores)}}}"),
        ("next", "nxt"),
        ("missing", "m"),
        ("issues", "r._issue_dicts() if r._issues else []"),
        ("ruleset", f"{{{info_code}, 'owners': list({src.constant(list(info['owners']))})}}"),
        ("as_of", "r._rs._time_text(r._as_of)"),
    ]
    lines.append("return {" + ", ".join(f"{key!r}: {code}" for key, code in fields) + "}")  # (keys of the format: one constant map)
    source = "def _to_dict(r):\n" + "".join(f"    {line}\n" for line in lines)
    function: DictRenderer | None = _compiled(ruleset, src, source, "_to_dict", "to_dict")
    return function


JsonRenderer = Callable[["Result"], str]
"""``to_json(result)``: ``Result.to_dict()`` (without its ``handoff``) as JSON text (``Result.to_json``), or as that
text in a CSV cell."""


def json_renderer(ruleset: Ruleset, rows_of: Callable[[], RowsText], csv: bool) -> JsonRenderer | None:
    """:func:`dict_renderer`'s dict written straight as the JSON text ``json.dumps(..., ensure_ascii=False)`` makes of
    it (NaN and ±Infinity as null), without the dict: what depends on the stage alone is one constant per stage, the
    stages' and flags' outcomes one of three constants each, the rows from :func:`rows_text_renderer` (``rows_of()``,
    called once the function is known to be short enough),
    the ruleset one constant, only the values of the lead escaped (and only where they can need it). ``csv``: the
    text as a CSV cell holds it, quoted, every ``"`` doubled. None as :func:`dict_renderer`: ``Result._to_dict_plain``
    dumped then gives the same text (and is the oracle of this one in the tests)."""
    from .result import _json_text, _outline_of

    outline = _outline_of(ruleset)
    src = _Source(ruleset, "csv" if csv else "json")

    def j(value: Any) -> str:  # a JSON value's text, as a constant
        return src.fragment(_json_text(value))

    heads = {}
    for stage, (label, owner, sla, description) in outline.meta.items():
        head = {"stage": stage, "label": label, "owner": owner, "sla": sla, "description": description, "disqualified": stage == DISQUALIFIED}
        text = _json_text(head)[:-1] + ', "stages": {'
        heads[stage] = '"' + text.replace('"', '""') if csv else text  # (a CSV cell's opening quote, then the text)
    lines = ["raw = r._raw", "outs = raw[1]", "st = raw[2]", "tot = raw[3]", "stage = r._stage"]
    lines.append(f"head = {src.constant(heads)}[stage]")
    scores: list[str] = []

    def next_stage(sid: str) -> str:
        opening = src.fragment('{"stage": ' + _json_text(sid) + ', "blocked_by": [')
        return f"{opening} + {src.fragment(', ')}.join(blocked) + {src.fragment(']}')}"

    def score(i: int, name: str) -> None:
        start = ("{" if i == 0 else ", ") + _json_text(name) + ': {"total": '
        scores.extend([src.fragment(start), src.as_json(f"tot[{i}]"), src.fragment(', "contributions": ['), f"{src.fragment(', ')}.join(p{i})", src.fragment("]}")])

    lines += _next_and_scores(outline, src, j, next_stage, lambda: j(None), src.as_json(CONTRIBUTION), score)
    lines += _missing_lines(ruleset, src)
    if len(lines) > DICT_LINES:
        return None
    stages: list[str] = []
    for i, sid in enumerate(outline.stage_ids):
        outcome = f"({j('pass')} if st[{i}] is True else {j('fail')} if st[{i}] is False else {j('unknown')})"
        stages += [src.fragment(("" if i == 0 else ", ") + _json_text(sid) + ": "), outcome]
    flags: list[str] = []
    for i, (index, name) in enumerate(outline.flags):
        value = f"({j(True)} if outs[{index}] is True else {j(False)} if outs[{index}] is False else {j(None)})"
        flags += [src.fragment(("" if i == 0 else ", ") + _json_text(name) + ": "), value]
    # the issues as to_dict() holds them, dumped (their values are JSON-ready already: no _json_value, whose recursion
    # is shallower than json's own, over a bad value of deeply nested lists)
    dumped = "_json_text(r._issue_dicts())" + (".replace(_Q, _QQ)" if csv else "")
    issues = f"({dumped} if r._issues else {j([])})"
    info = ruleset._info_dict()
    pieces = [
        "head",
        *stages,
        src.fragment('}, "flags": {'),
        *flags,
        src.fragment('}, "criteria": ['),
        f"{src.constant(rows_of())}(r, outs, raw[0])",
        src.fragment('], "scores": ' + ("" if scores else "{")),
        *scores,
        src.fragment('}, "next": '),
        "nxt",
        src.fragment(', "missing": ['),
        f"{src.fragment(', ')}.join(m)",
        src.fragment('], "issues": '),
        issues,
        src.fragment(', "ruleset": ' + _json_text(info) + ', "as_of": '),
        src.as_json("r._rs._time_text(r._as_of)"),
        src.fragment("}"),
    ]
    if csv:
        pieces.append(src.constant('"'))  # the CSV cell's closing quote
    lines.append(f"return {_joined(_merged(src, pieces))}")
    source = "def _to_json(r):\n" + "".join(f"    {line}\n" for line in lines)
    function: JsonRenderer | None = _compiled(ruleset, src, source, "_to_json", "to_json csv" if csv else "to_json")
    return function


SUMMARY_LINES = 5000
"""The most lines the generated ``summary()`` of :func:`summary_renderer` may have (a rule file with more stage criteria,
flags and read fields keeps ``Result._summary_plain``)."""

SummaryRenderer = Callable[["Result"], str]
"""``summary(result)``: ``Result.summary()``."""


def summary_renderer(ruleset: Ruleset) -> SummaryRenderer | None:
    """``Result.summary()`` from one generated function: the label, the stage not reached and the outcomes that block
    it, the flags raised and the fields missing, each written out as tests of the result's outcome tuples (no loop over
    the outline's tables, no itemgetter). None when the function would exceed :data:`SUMMARY_LINES` lines or Python
    cannot compile it: ``Result._summary_plain`` then writes the same text (and is the oracle of this one in the tests)."""
    from .result import _outline_of

    outline = _outline_of(ruleset)
    src = _Source(ruleset)
    labels = {stage: meta[0] for stage, meta in outline.meta.items()}
    lines = ["raw = r._raw", "outs = raw[1]", "st = raw[2]", "stage = r._stage", f"parts = [{src.constant(labels)}[stage]]"]
    # disqualified: the because text of each disqualifier that applies, then the stage it would have had
    lines.append(f"if stage == {src.constant(DISQUALIFIED)}:")
    for crit in outline.disqualify:
        lines += [f"    if outs[{crit.index}] is True:", f"        parts.append(r._criterion({src.constant(crit)})['because'])"]
    for i, text in enumerate(outline.otherwise[:-1]):
        lines += [f"    {'if' if i == 0 else 'elif'} st[{i}] is not True:", f"        parts.append({src.constant(text)})"]
    last = f"parts.append({src.constant(outline.otherwise[-1])})"
    lines += ["    else:", f"        {last}"] if len(outline.otherwise) > 1 else [f"    {last}"]
    # otherwise: the first stage not reached, and its criteria whose outcome blocks it
    for i, (head, table) in enumerate(outline.blockers):
        lines += [f"elif st[{i}] is not True:", "    b = []"]
        for index, texts in table:
            lines.append(f"    o = outs[{index}]")
            for j, (outcome, text) in enumerate(texts.items()):
                lines += [f"    {'if' if j == 0 else 'elif'} o is {outcome!r}:", f"        b.append({src.constant(text)})"]
        lines += ["    if b:", f"        parts.append({src.constant(head)} + ', '.join(b))"]
    if outline.flags:
        lines.append("raised = []")
        for index, name in outline.flags:
            lines += [f"if outs[{index}] is True:", f"    raised.append({src.constant(name)})"]
        lines += ["if raised:", "    parts.append('flags ' + ', '.join(raised))"]
    lines += _missing_lines(ruleset, src)
    lines += ["if not r._issues:", "    if m:", "        parts.append('missing ' + ', '.join(m))", "    return '; '.join(parts)", "return r._summary_tail(parts, m)"]
    if len(lines) > SUMMARY_LINES:
        return None
    source = "def _summary(r):\n" + "".join(f"    {line}\n" for line in lines)
    function: SummaryRenderer | None = _compiled(ruleset, src, source, "_summary", "summary")
    return function


def _missing_lines(ruleset: Ruleset, src: _Source) -> list[str]:
    """Lines setting ``m`` to a new list of the fields without a value one of whose criteria is unknown, in declaration
    order (``Result._build_missing``), from the locals ``raw`` and ``outs``: one test of the outcome tuple per field
    (in the JSON modes, each name as a JSON string)."""
    names = ruleset._missing_table()[1]
    lines = ["m = []", "if None in outs:", "    vals = raw[0]"]
    for i, crits in ruleset._missing_criteria():
        unknown = " or ".join(f"outs[{c}] is None" for c in dict.fromkeys(crits))
        name = src.constant(names[i]) if src.mode is None else src.fragment(json.dumps(names[i], ensure_ascii=False))
        lines += [f"    if vals[{i}] is None and ({unknown}):", f"        m.append({name})"]
    return lines


def _one_by_one(ruleset: Ruleset, chunk: Sequence[Criterion]) -> RowsRenderer:
    """The rows of ``chunk`` from each criterion's renderer (found when called: :func:`rows_renderer` runs under the
    ruleset's lock, which ``Ruleset._renderer`` takes)."""

    def rows(r: Result, outs: tuple[bool | None, ...], vals: tuple[Any, ...]) -> list[_Row]:
        return [r._criterion_slow(crit) if crit.expr is None else ruleset._renderer(crit)(r, outs[crit.index], vals) for crit in chunk]

    return rows


def slow_renderer(crit: Criterion) -> Renderer:
    """A renderer that walks the plan (``Result._criterion_slow``): for a nested condition with an id, and for a
    criterion whose generated renderer Python cannot compile."""
    return lambda r, o, vals: r._criterion_slow(crit)


__all__ = [
    "DICT_LINES",
    "ROWS_PER_FUNCTION",
    "DictRenderer",
    "JsonRenderer",
    "Renderer",
    "RowsRenderer",
    "RowsText",
    "dict_renderer",
    "json_renderer",
    "renderer",
    "rows_renderer",
    "rows_text_renderer",
    "slow_renderer",
]
