"""A criterion's part of a result (outcome, explanation, values) from code generated for that criterion.

:meth:`leadspec.result.Result._criterion_slow` finds what a criterion read
and builds its explanation by walking the plan for every lead: which
fields and flags it reads, which calls it shows, its ``missing:`` policy,
its ``because`` text, the words of its outcome. All of that is known
when the rules load. :func:`renderer` writes, once per criterion (on its
first explanation), a function with those answers bound as constants:
it reads the criterion's values, picks the text of the outcome and joins
it, and the slow renderer stays the oracle the tests compare it with
(``tests/test_render.py``).

Generated for a criterion with an expression only; a nested condition
with an id (``crit.expr is None``) keeps the slow renderer (its text
counts the outcomes of the group's criteria).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ._interp import truth

if TYPE_CHECKING:
    from .plan import Criterion, Expr
    from .result import Result, _Row
    from .ruleset import Ruleset

Renderer = Callable[["Result", "bool | None", "dict[str, Any]"], "_Row"]
"""``render(result, outcome, values)``: the criterion's row of ``result`` (``outcome``: its raw outcome, True/False/None;
``values``: the result's field values as evaluation sees them, ``Result._ivalues``)."""

_serial = itertools.count(1)


class _Source:
    """The constants one generated function names (every text, name and plan node it uses: none is written as a literal)."""

    def __init__(self) -> None:
        self.constants: dict[str, Any] = {}

    def constant(self, value: Any) -> str:
        name = f"_k{len(self.constants)}"
        self.constants[name] = value
        return name


def _template(src: _Source, parts: Sequence[str | Expr], ident: str, word_k: str) -> list[tuple[int, str]]:
    """Lines returning the row with the ``because`` template's text when none of its values is None
    (``Result._render``): a name read as the interpreter reads it (``values.get``), any other part by the interpreter."""
    from .plan import Const, FlagName, Name

    lines: list[tuple[int, str]] = []
    pieces: list[str] = []
    checks: list[str] = []
    for i, part in enumerate(parts):
        if isinstance(part, str):
            pieces.append(src.constant(part))
            continue
        if isinstance(part, Name):
            code = f"iv.get({src.constant(part.id)})"
        elif isinstance(part, FlagName):
            code = f"r.flags.get({src.constant(part.id)})"
        elif isinstance(part, Const):
            code = src.constant(part.value)
        else:
            code = f"r._interp({src.constant(part)})"
        lines.append((0, f"t{i} = {code}"))
        checks.append(f"t{i} is not None")
        pieces.append(f"(t{i} if type(t{i}) is str else _show(t{i}))")
    text = f"''.join(({', '.join(pieces)},))" if pieces else src.constant("")  # (a flat tuple: a chain of + deeper than ~3,000 does not compile)
    if checks:
        lines += [(0, f"if {' and '.join(checks)}:"), (1, f"return _Row({ident}, {word_k}, {text}, values)")]
    else:
        lines.append((0, f"return _Row({ident}, {word_k}, {text}, values)"))
    return lines


def renderer(ruleset: Ruleset, crit: Criterion) -> Renderer:
    """The generated renderer of ``crit`` (which has an expression): what ``Result._criterion_slow(crit)`` gives."""
    from .result import _OUTCOME, _PLAIN, _Row, _json_value, _show

    assert crit.expr is not None
    plan = ruleset._public
    src = _Source()
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
        assigned[text] = f"r._interp({src.constant(node)})"
    variables: dict[str, str] = {}
    for i, (key, code) in enumerate(assigned.items()):
        variables[key] = f"v{i}"
        body.append(f"v{i} = {code}")
    json = ", ".join(f"{src.constant(k)}: ({v} if type({v}) in _PLAIN else _json_value({v}))" for k, v in variables.items())
    body.append(f"values = {{{json}}}")
    ident = src.constant(crit.id)
    expr = crit.when or ""
    # "k is <shown value>, ..." in the values' order: text as it is, anything else as _show() says it
    shown = ", ".join(
        f"{src.constant(('' if i == 0 else ', ') + k + ' is ')}, ({v} if type({v}) is str else _show({v}))" for i, (k, v) in enumerate(variables.items())
    )
    missing_keys = [k for k in variables if k in fields]  # what _because counts as missing: a value that is None and a field's
    missing_list = "[" + ", ".join(f"*(({src.constant(k)},) if {variables[k]} is None else ())" for k in missing_keys) + "]"
    body.append("w = _OUTCOME[o]")
    for word in ("pass", "fail", "unknown"):
        depth = 1 if word != "unknown" else 0
        word_k = src.constant(word)
        lines: list[tuple[int, str]] = []
        if crit.missing != "unknown" and word == crit.missing and missing_keys:
            # the outcome may come from the criterion's `missing:` policy, not from its condition
            lines += [
                (0, f"missing = {missing_list}"),
                (0, f"if missing and _truth(r._interp({src.constant(crit.expr)})) is None:"),
                (1, f"return _Row({ident}, {word_k}, r._absent(missing) + {src.constant(f' (counted as {word}: {expr})')}, values)"),
            ]
        if word == "pass" and crit.because is not None:
            lines += _template(src, crit.because.parts, ident, word_k)
        if word == "unknown":
            if missing_keys:
                lines += [(0, f"missing = {missing_list}"), (0, "if missing:"), (1, f"return _Row({ident}, {word_k}, r._absent(missing), values)")]
            if reads_flags:  # each flag read whose value (or what overwrote it) is None
                unknown = "[" + ", ".join(f"*(({src.constant(f'flag {k} is unknown')},) if values.get({src.constant(k)}) is None else ())" for k in reads_flags) + "]"
                lines += [(0, f"unknown = {unknown}"), (0, "if unknown:"), (1, f"return _Row({ident}, {word_k}, ', '.join(unknown), values)")]
            lines.append((0, f"return _Row({ident}, {word_k}, {src.constant('could not be decided: ' + expr)}, values)"))
        else:
            if not variables:
                text = expr if word == "pass" else (f"does not meet {expr}" if crit.id.startswith("disqualify.") else f"needs {expr}")
                lines.append((0, f"return _Row({ident}, {word_k}, {src.constant(text)}, values)"))
            else:
                tail = f" ({expr})" if word == "pass" else (f" (does not meet {expr})" if crit.id.startswith("disqualify.") else f", needs {expr}")
                lines.append((0, f"return _Row({ident}, {word_k}, ''.join(({shown}, {src.constant(tail)})), values)"))
        if word != "unknown":
            body.append(f"if w == {word_k}:")
        body += ["    " * (depth + d) + line for d, line in lines]
    name = f"_render_{crit.index}"
    source = f"def {name}(r, o, iv):\n" + "".join(f"    {line}\n" for line in body)
    namespace: dict[str, Any] = dict(src.constants)
    namespace.update({"_Row": _Row, "_OUTCOME": _OUTCOME, "_json_value": _json_value, "_show": _show, "_PLAIN": _PLAIN, "_truth": truth, "__builtins__": {"type": type, "str": str}})
    filename = f"<leadspec {plan.name} render {crit.id} #{next(_serial)}>"
    try:
        compiled = compile(source, filename, "exec")
    except (RecursionError, MemoryError, SyntaxError):  # too deep or large for Python's compiler: the slow renderer
        return lambda r, o, iv: r._criterion_slow(crit)
    exec(compiled, namespace)  # noqa: S102 - written from a checked plan, every text a bound constant
    function: Renderer = namespace[name]
    return function


__all__ = ["Renderer", "renderer"]
