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
gives. The slow renderer stays the oracle the tests compare it with
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
from ._compile import _lowered_once
from .plan import flag_name

if TYPE_CHECKING:
    from .plan import Criterion, Expr
    from .result import Result, _Row
    from .ruleset import Ruleset

Renderer = Callable[["Result", "bool | None", "dict[str, Any]"], "_Row"]
"""``render(result, outcome, values)``: the criterion's row of ``result`` (``outcome``: its raw outcome, True/False/None;
``values``: the result's field values as evaluation sees them, ``Result._ivalues``)."""

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
        # how each local the expression code may read gets its value, from the result
        self.sources: dict[str, str] = {f"f_{f.name}": f"iv[{self.constant(f.name)}]" for f in plan.fields}
        self.sources.update({f"s_{s.name}": f"r._raw[3][{i}]" for i, s in enumerate(plan.scores)})
        self.sources.update({f"fl_{name}": f"r._raw[1][{index}]" for name, index in flags.items()})
        self.sources["as_of"] = "r._as_of"
        self.locals: dict[str, None] = {}  # the locals the function's code reads, in the order first needed

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

    def bindings(self) -> list[str]:
        return [f"{name} = {self.sources[name]}" for name in self.locals]


def _runtime_globals() -> dict[str, Any]:
    """The helpers generated expression code calls (as the evaluation's module has them)."""
    from ._runtime import Sink, arith, chain, failed, k_all, k_any, k_at_least, k_none

    return {"_chain": chain, "_arith": arith, "_all": k_all, "_any": k_any, "_none": k_none, "_at_least": k_at_least, "_failed": failed, "_sink": Sink()}


def _guarded(var: str, code: str) -> list[tuple[int, str]]:
    """``var = code``, None when it raises (the interpreter's way: the criterion itself reported the error)."""
    return [(0, "try:"), (1, f"{var} = {code}"), (0, "except Exception:"), (1, f"{var} = None")]


def _returned(ident: str, word_k: str, text: str) -> str:
    """The line returning the criterion's row (as ``Result._criterion_slow`` builds it): id, outcome, text, values."""
    return f"return {{'id': {ident}, 'outcome': {word_k}, 'because': {text}, 'values': values}}"


def _shown(var: str) -> str:
    """Code for ``_show(var)`` (as a sales rep reads the value), text and small integers written inline."""
    return f"({var} if type({var}) is str else str({var}) if type({var}) is int and -10000 < {var} < 10000 else _show({var}))"


def _template(src: _Source, parts: Sequence[str | Expr], ident: str, word_k: str) -> list[tuple[int, str]]:
    """Lines returning the row with the ``because`` template's text when none of its values is None
    (``Result._render``): every part computed by its generated expression code."""
    from .plan import Const

    lines: list[tuple[int, str]] = []
    pieces: list[str] = []
    checks: list[str] = []
    for i, part in enumerate(parts):
        if isinstance(part, str):
            pieces.append(src.constant(part))
            continue
        code = src.constant(part.value) if isinstance(part, Const) else src.value(part)
        lines += [(0, f"t{i} = {code}")] if code.isidentifier() else _guarded(f"t{i}", code)  # a constant or a local: nothing to fail
        checks.append(f"t{i} is not None")
        pieces.append(_shown(f"t{i}"))
    text = f"''.join(({', '.join(pieces)},))" if pieces else src.constant("")  # (a flat tuple: a chain of + deeper than ~3,000 does not compile)
    if checks:
        lines += [(0, f"if {' and '.join(checks)}:"), (1, _returned(ident, word_k, f"{text}"))]
    else:
        lines.append((0, _returned(ident, word_k, f"{text}")))
    return lines


def renderer(ruleset: Ruleset, crit: Criterion) -> Renderer:
    """The generated renderer of ``crit`` (which has an expression): what ``Result._criterion_slow(crit)`` gives."""
    from .result import _PLAIN, _json_value, _show

    assert crit.expr is not None
    plan = ruleset._public
    src = _Source(ruleset)
    fields = {f.name for f in plan.fields}
    # the values as _criterion_values assigns them: fields read (not the events field), flags read, the calls shown;
    # a name assigned twice keeps its first place and its last value (a dict's own rule)
    assigned: dict[str, str] = {}
    reads_flags = list(ruleset._compiled.flag_reads.get(crit.index, ()))
    body: list[str] = []
    for name in ruleset._reads(crit)[0]:
        if name != plan.events_field:
            assigned[name] = f"iv[{src.constant(name)}]"
    if reads_flags:
        body.append("flags = r.flags")
        for name in reads_flags:
            assigned[name] = f"flags[{src.constant(name)}]"
    for text, node in ruleset._observed(crit):
        assigned[text] = src.value(node)
    variables: dict[str, str] = {}
    for i, (key, code) in enumerate(assigned.items()):
        variables[key] = f"v{i}"
        body += [f"v{i} = {code}"] if code.startswith(("iv[", "flags[")) or code.isidentifier() else ["    " * d + line for d, line in _guarded(f"v{i}", code)]
    json = ", ".join(f"{src.constant(k)}: ({v} if type({v}) in _PLAIN else _json_value({v}))" for k, v in variables.items())
    body.append(f"values = {{{json}}}")
    ident = src.constant(crit.id)
    expr = crit.when or ""
    # "k is <shown value>, ..." in the values' order: text as it is, anything else as _show() says it
    shown = ", ".join(
        f"{src.constant(('' if i == 0 else ', ') + k + ' is ')}, {_shown(v)}" for i, (k, v) in enumerate(variables.items())
    )
    missing_keys = [k for k in variables if k in fields]  # what _because counts as missing: a value that is None and a field's
    missing_list = "[" + ", ".join(f"*(({src.constant(k)},) if {variables[k]} is None else ())" for k in missing_keys) + "]"
    for word in ("pass", "fail", "unknown"):
        depth = 1 if word != "unknown" else 0
        word_k = src.constant(word)
        lines: list[tuple[int, str]] = []
        if crit.missing != "unknown" and word == crit.missing and missing_keys:
            # the outcome may come from the criterion's `missing:` policy, not from its condition
            lines += [
                (0, f"missing = {missing_list}"),
                *_guarded("decided", src.value(crit.expr, truth=True)),
                (0, "if missing and decided is None:"),
                (1, _returned(ident, word_k, f"r._absent(missing) + {src.constant(f' (counted as {word}: {expr})')}")),
            ]
        if word == "pass" and crit.because is not None:
            lines += _template(src, crit.because.parts, ident, word_k)
        if word == "unknown":
            if missing_keys:
                lines += [(0, f"missing = {missing_list}"), (0, "if missing:"), (1, _returned(ident, word_k, f"r._absent(missing)"))]
            if reads_flags:  # each flag read whose value (or what overwrote it) is None
                unknown = "[" + ", ".join(f"*(({src.constant(f'flag {k} is unknown')},) if values.get({src.constant(k)}) is None else ())" for k in reads_flags) + "]"
                lines += [(0, f"unknown = {unknown}"), (0, "if unknown:"), (1, _returned(ident, word_k, f"', '.join(unknown)"))]
            lines.append((0, _returned(ident, word_k, f"{src.constant('could not be decided: ' + expr)}")))
        else:
            if not variables:
                text = expr if word == "pass" else (f"does not meet {expr}" if crit.id.startswith("disqualify.") else f"needs {expr}")
                lines.append((0, _returned(ident, word_k, f"{src.constant(text)}")))
            else:
                tail = f" ({expr})" if word == "pass" else (f" (does not meet {expr})" if crit.id.startswith("disqualify.") else f", needs {expr}")
                lines.append((0, _returned(ident, word_k, f"''.join(({shown}, {src.constant(tail)}))")))
        if word != "unknown":
            body.append(f"if o is {word == 'pass'}:")
        body += ["    " * (depth + d) + line for d, line in lines]
    name = f"_render_{crit.index}"
    body = src.bindings() + body
    source = "".join(helper + "\n" for helper in src.ns.helpers) + f"def {name}(r, o, iv):\n" + "".join(f"    {line}\n" for line in body)
    namespace: dict[str, Any] = {name: _lowered_once(value) for name, value in src.constants.items()}
    namespace.update({"_json_value": _json_value, "_show": _show, "_PLAIN": _PLAIN})
    namespace["__builtins__"] = {"type": type, "int": int, "float": float, "str": str, "bool": bool, "len": len, "Exception": Exception}
    filename = f"<leadspec {plan.name} render {crit.id} #{next(_serial)}>"
    try:
        compiled = compile(source, filename, "exec")
    except (RecursionError, MemoryError, SyntaxError):  # too deep or large for Python's compiler: the slow renderer
        return slow_renderer(crit)
    exec(compiled, namespace)  # noqa: S102 - written from a checked plan, every text a bound constant
    function: Renderer = namespace[name]
    return function


def slow_renderer(crit: Criterion) -> Renderer:
    """A renderer that walks the plan (``Result._criterion_slow``): for a nested condition with an id, and for a
    criterion whose generated renderer Python cannot compile."""
    return lambda r, o, iv: r._criterion_slow(crit)


__all__ = ["Renderer", "renderer", "slow_renderer"]
