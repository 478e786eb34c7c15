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
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ._codegen import Env, ExprCompiler, Namespace
from ._compile import DISQUALIFIED, _lowered_once
from .plan import flag_name

if TYPE_CHECKING:
    from .plan import Criterion, Expr
    from .result import Result, _Row
    from .ruleset import Ruleset

Renderer = Callable[["Result", "bool | None", "tuple[Any, ...]"], "_Row"]
"""``render(result, outcome, values)``: the criterion's row of ``result`` (``outcome``: its raw outcome, True/False/None;
``values``: the result's field values as evaluation sees them, in the plan's order of fields: ``result._raw[0]``)."""

_serial = itertools.count(1)


class _Source:
    """What one generated renderer names: its constants (every text, name and plan node it uses: none is written as a
    literal), the expression code of :mod:`leadspec._codegen` for the values it computes, and the locals that code reads."""

    def __init__(self, ruleset: Ruleset) -> None:
        plan = ruleset._public
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
        from the field's type (a field shown by several criteria, or in several outcomes, is written once)."""
        self.local(f"f_{field}")
        self.shown_fields[field] = None
        return f"sh_{field}"

    def bindings(self) -> list[str]:
        out = [f"{name} = {self.sources[name][1]}" for name in self.locals]
        for field in self.shown_fields:
            out.append(f"sh_{field} = {_shown_field(self, f'f_{field}', self.types[field])}")
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


Choice = tuple[list[tuple[int, str]], "str | None", str]
"""One way to write a criterion's text: the lines that prepare it, the condition under which it is the text (None:
always), and the code of the text."""


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


def _template(src: _Source, parts: Sequence[str | Expr], prefix: str) -> Choice:
    """The ``because`` template as a choice: its text when none of its values is None (``Result._render``), every part
    computed by its generated expression code."""
    from .plan import Const

    setup: list[tuple[int, str]] = []
    pieces: list[str] = []
    checks: list[str] = []
    for i, part in enumerate(parts):
        if isinstance(part, str):
            pieces.append(src.constant(part))
            continue
        code = src.constant(part.value) if isinstance(part, Const) else src.value(part)
        if code.startswith("f_") and code[2:] in src.types and src.sources.get(code, (None,))[0] == code[2:]:
            # a field's own value: its shown text is the function's
            checks.append(f"{code} is not None")
            pieces.append(src.shown(code[2:]))
            continue
        setup += _guarded(f"{prefix}t{i}", code)
        checks.append(f"{prefix}t{i} is not None")
        pieces.append(_shown(f"{prefix}t{i}"))
    return setup, " and ".join(checks) or None, _joined(pieces) if pieces else src.constant("")


def _block(ruleset: Ruleset, src: _Source, crit: Criterion, prefix: str, row: str = "row") -> list[str]:
    """Lines setting the local ``row`` to the row of ``crit`` (which has an expression) from ``o``, its raw outcome: what
    ``Result._criterion_slow(crit)`` gives. Its own variables start with ``prefix``; the locals its values come from
    (``f_<field>``, ``fl_<flag>``, ``s_<score>``, ``as_of``) are noted in ``src.locals`` for the function to bind."""
    assert crit.expr is not None
    plan = ruleset._public
    types = src.types
    # the values as _criterion_values assigns them: fields read (not the events field), flags read, the calls shown;
    # a name assigned twice keeps its first place and its last value (a dict's own rule)
    assigned: dict[str, str] = {}
    plain: dict[str, bool] = {}  # values that are text, numbers, truths or None (their JSON form is themselves), by key
    reads_flags = list(ruleset._compiled.flag_reads.get(crit.index, ()))
    for name in ruleset._reads(crit)[0]:
        if name != plan.events_field:
            assigned[name] = src.local(f"f_{name}")
            plain[name] = types[name] in _PLAIN_FIELDS
    for name in reads_flags:
        assigned[name] = src.local(f"fl_{name}")
        plain[name] = True
    for text, node in ruleset._observed(crit):
        assigned[text] = src.value(node)
        plain[text] = node.type.kind in ("num", "str", "bool")
    body: list[tuple[int, str]] = []
    variables: dict[str, str] = {}
    for i, (key, code) in enumerate(assigned.items()):
        if code.isidentifier():
            variables[key] = code
        else:
            variables[key] = f"{prefix}v{i}"
            body += _guarded(f"{prefix}v{i}", code)
    json = ", ".join(f"{src.constant(k)}: {v if plain[k] else f'({v} if type({v}) in _PLAIN else _json_value({v}))'}" for k, v in variables.items())
    body.append((0, f"values = {{{json}}}"))
    expr = ruleset._sentence(crit)
    # "k is <shown value>, ..." in the values' order: text as it is, anything else as _show() says it
    # (a field's own value, not a call's of the same name: text when the field's type says so)
    own = {k: v == f"f_{k}" and k in types for k, v in variables.items()}
    shown = [piece for i, (k, v) in enumerate(variables.items()) for piece in (src.constant(("" if i == 0 else ", ") + k + " is "), src.shown(k) if own[k] else _shown(v))]
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
            text = f"({src.constant(key + ' is missing' + counted)} if not r._issues else r._absent([{src.constant(key)}]) + {src.constant(counted)})"
            choices.append((setup, "decided is None", text))
        elif crit.missing != "unknown" and word == crit.missing and missing_keys:
            setup = [(0, f"missing = {missing_list}"), *_guarded("decided", src.value(crit.expr, truth=True))]
            choices.append((setup, "missing and decided is None", f"r._absent(missing) + {src.constant(f' (counted as {word}: {expr})')}"))
        if word == "pass" and crit.because is not None:
            choices.append(_template(src, crit.because.parts, prefix))
        if word == "unknown":
            if len(missing_keys) == 1:  # the common case: one field, missing or bad (Result._absent says which)
                key = missing_keys[0]
                text = f"({src.constant(key + ' is missing')} if not r._issues else r._absent([{src.constant(key)}]))"
                choices.append(([], f"{variables[key]} is None", text))
            elif missing_keys:
                choices.append(([(0, f"missing = {missing_list}")], "missing", "r._absent(missing)"))
            if reads_flags:  # each flag read whose value (or what overwrote it) is None
                unknown = "[" + ", ".join(f"*(({src.constant(f'flag {k} is unknown')},) if values.get({src.constant(k)}) is None else ())" for k in reads_flags) + "]"
                choices.append(([(0, f"unknown = {unknown}")], "unknown", "', '.join(unknown)"))
            final = src.constant("could not be decided: " + expr)
        elif not variables:
            final = src.constant(expr if word == "pass" else (f"does not meet {expr}" if crit.id.startswith("disqualify.") else f"needs {expr}"))
        else:
            tail = f" ({expr})" if word == "pass" else (f" (does not meet {expr})" if crit.id.startswith("disqualify.") else f", needs {expr}")
            final = _joined([*shown, src.constant(tail)])
        body.append((0, {"pass": "if o is True:", "fail": "elif o is False:", "unknown": "else:"}[word]))
        body += [(1 + d, line) for d, line in [(0, f"w = {src.constant(word)}"), *_chosen(choices, final)]]
    body.append((0, f"{row} = {{'id': {src.constant(crit.id)}, 'outcome': w, 'because': b, 'values': values}}"))
    return ["    " * d + line for d, line in body]


def _compiled(ruleset: Ruleset, src: _Source, source: str, name: str, what: str) -> Any:
    """The function ``name`` of ``source``, or None when Python cannot compile it (too deep or too large)."""
    from .result import _PLAIN, _json_value, _show

    source = "".join(helper + "\n" for helper in src.ns.helpers) + source
    namespace: dict[str, Any] = {k: _lowered_once(value) for k, value in src.constants.items()}
    namespace.update({"_json_value": _json_value, "_show": _show, "_PLAIN": _PLAIN})
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
    criteria = ruleset._public.criteria
    functions: list[RowsRenderer] = []
    for start in range(0, len(criteria), ROWS_PER_FUNCTION):
        chunk = criteria[start : start + ROWS_PER_FUNCTION]
        src = _Source(ruleset)
        lines: list[str] = []
        for crit in chunk:
            if crit.expr is None:
                lines.append(f"row{crit.index} = {src.constant(slow_renderer(crit))}(r, None, vals)")
                continue
            lines += [f"o = outs[{crit.index}]", *_block(ruleset, src, crit, f"c{crit.index}_", f"row{crit.index}")]
        lines.append("return [" + ", ".join(f"row{crit.index}" for crit in chunk) + "]")
        source = "def _rows(r, outs, vals):\n" + "".join(f"    {line}\n" for line in src.bindings() + lines)
        function = _compiled(ruleset, src, source, "_rows", f"rows {start + 1}-{start + len(chunk)}")
        functions.append(function if function is not None else _one_by_one(ruleset, chunk))
    if len(functions) == 1:
        return functions[0]

    def rows(r: Result, outs: tuple[bool | None, ...], vals: tuple[Any, ...]) -> list[_Row]:
        out: list[_Row] = []
        for function in functions:
            out += function(r, outs, vals)
        return out

    return rows


DICT_LINES = 5000
"""The most lines the generated ``to_dict()`` of :func:`dict_renderer` may have besides the rows' functions (a rule
file with more score rules and stage criteria keeps ``Result._to_dict_plain``)."""

DictRenderer = Callable[["Result"], "dict[str, Any]"]
"""``to_dict(result)``: the result as ``Result.to_dict()`` gives it, without its ``handoff``."""


def _outcome_text(src: _Source, var: str) -> str:
    """Code for ``_OUTCOME[var]`` (``pass``, ``fail``, ``unknown``) without the dictionary."""
    return f"({src.constant('pass')} if {var} is True else {src.constant('fail')} if {var} is False else {src.constant('unknown')})"


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
    # the next stage: the first stage not reached, and what blocks it (the disqualifiers that apply, then its criteria
    # whose outcome does not help it) — Result._next_step
    if outline.stage_ids:
        lines.append("blocked = []")
        for crit in outline.disqualify:
            lines += [f"if outs[{crit.index}] is True:", f"    blocked.append({src.constant(crit.id)})"]
        for i, (sid, passes) in enumerate(zip(outline.stage_ids, outline.passes)):
            lines.append(f"{'if' if i == 0 else 'elif'} st[{i}] is not True:")
            for crit, helps, _ in passes:
                lines += [f"    if outs[{crit.index}] is not {helps}:", f"        blocked.append({src.constant(crit.id)})"]
            lines.append(f"    nxt = {{'stage': {src.constant(sid)}, 'blocked_by': blocked}}")
        lines += ["else:", "    nxt = None"]
    else:
        lines.append("nxt = None")
    # the scores: each one's event contributions, then its rules that passed or are unknown — Result._score_dicts
    events_at = outline.events_at
    scores = []
    for i, (name, counted, rules) in enumerate(outline.scores):
        if counted is not None and events_at is not None:
            lines.append(
                f"p{i} = [{{'id': kind, 'points': points, 'count': count}} for kind, points, count in "
                f"{src.constant(counted)}.contributions(raw[0][{events_at}], r._as_of)]"
            )
        else:
            lines.append(f"p{i} = []")
        for index, short, points in rules:
            entry = f"'id': {src.constant(short)}, 'points': "
            lines += [
                f"o = outs[{index}]",
                "if o is True:",
                f"    p{i}.append({{{entry}{src.constant(points)}, 'outcome': {src.constant('pass')}}})",
                "elif o is None:",
                f"    p{i}.append({{{entry}{src.constant(0)}, 'outcome': {src.constant('unknown')}}})",
            ]
        scores.append(f"{src.constant(name)}: {{'total': tot[{i}], 'contributions': p{i}}}")
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
    order (``Result._build_missing``), from the locals ``raw`` and ``outs``: one test of the outcome tuple per field."""
    names = ruleset._missing_table()[1]
    lines = ["m = []", "if None in outs:", "    vals = raw[0]"]
    for i, crits in ruleset._missing_criteria():
        unknown = " or ".join(f"outs[{c}] is None" for c in dict.fromkeys(crits))
        lines += [f"    if vals[{i}] is None and ({unknown}):", f"        m.append({src.constant(names[i])})"]
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


__all__ = ["DICT_LINES", "ROWS_PER_FUNCTION", "DictRenderer", "Renderer", "RowsRenderer", "dict_renderer", "renderer", "rows_renderer", "slow_renderer"]
