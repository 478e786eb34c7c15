"""Ruleset: a loaded, checked and compiled rule file.

``load``/``loads`` run the pipeline: YAML with positions (``_yaml``) →
pydantic validation and checks (``_model``, ``_check``, ``_expr``) →
generated code (``_codegen``, ``_compile``). A :class:`Ruleset` is
immutable, thread-safe (evaluation shares nothing mutable) and picklable
(it pickles as its source text and is rebuilt on the other side).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time, timezone
from operator import itemgetter
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable

from . import plan as _ir
from ._check import Plan, check
from ._compile import DISQUALIFIED, MAX_SOURCE, Compiled, TooMuchCode
from ._fields import BadValue, lead_model, parse_datetime
from ._functions import FUNCTIONS
from ._model import FieldSpec, RuleFile, Stage
from ._yaml import MAX_BYTES, load_yaml
from .errors import LeadError, Problem, RulesError
from ._handoff import checked_previous, stage_info
from ._render import (
    DictRenderer,
    JsonRenderer,
    Renderer,
    RowsRenderer,
    SummaryRenderer,
    dict_renderer,
    json_renderer,
    renderer,
    rows_renderer,
    rows_text_renderer,
    summary_renderer,
)
from .result import Previous, Result, StageInfo, _json_value, _Outline, _outline_of

if TYPE_CHECKING:
    from ._words import Words

__all__ = ["Ruleset", "json_schema", "load", "loads"]


_UTC = timezone.utc


def _as_of(value: datetime | date | str | None) -> datetime:
    if value is None:
        return datetime.now(timezone.utc)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        try:
            return value.astimezone(timezone.utc)
        except OverflowError:  # near datetime.max or min, an offset takes it past the last or first moment in UTC
            raise ValueError(f"as_of {value.isoformat()} is beyond the moments a datetime holds in UTC") from None
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=timezone.utc)
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except BadValue as exc:
            raise ValueError(f"as_of {value!r} is {exc}") from None
    raise TypeError(f"as_of must be a datetime, a date or ISO 8601 text, not {type(value).__name__}")


def _canonical(model: RuleFile) -> str:
    """The content of a rule file as canonical JSON: no comments, no formatting, no key order."""
    data = model.model_dump(mode="json", exclude_defaults=True)

    def norm(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if k == "when" and isinstance(v, str):
                    try:
                        v = ast.unparse(ast.parse(v.strip(), mode="eval"))
                    except SyntaxError:  # pragma: no cover - checked before
                        pass
                out[k] = norm(v)
            return out
        if isinstance(node, list):
            return [norm(v) for v in node]
        return node

    return json.dumps(norm(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Ruleset:
    """A compiled rule file. Create it with :func:`load` or :func:`loads`."""

    __slots__ = ("_plan", "_public", "_compiled", "_text", "_file", "_digest", "_lazy", "_lock", "_stage_fn", "_earliest")
    _plan: Plan
    _public: _ir.Plan
    _compiled: Compiled
    _text: str
    _file: str
    _digest: str | None
    _lazy: dict[str, Any]
    _lock: threading.Lock
    _stage_fn: Any  # the generated stage function and the earliest as_of, read by stage() without going through _compiled
    _earliest: datetime

    def __init__(self, plan: Plan, text: str, file: str) -> None:
        set_ = object.__setattr__
        set_(self, "_plan", plan)
        assert plan.public is not None
        set_(self, "_public", plan.public)
        set_(self, "_compiled", _compile(plan, file))
        set_(self, "_stage_fn", self._compiled.stage)
        set_(self, "_earliest", self._compiled.earliest_as_of)
        set_(self, "_text", text)
        set_(self, "_file", file)
        set_(self, "_digest", None)  # computed when first asked for: it re-reads every expression
        set_(self, "_lazy", {})
        set_(self, "_lock", threading.Lock())

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Ruleset is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Ruleset is immutable")

    def __reduce__(self) -> Any:
        return (_rebuild, (self._text, self._file))

    def __repr__(self) -> str:
        return f"<Ruleset {self.name!r} version={self.version!r} {self.digest[:19]}>"

    # -- metadata ---------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._plan.model.name

    @property
    def version(self) -> str | None:
        return self._plan.model.version

    @property
    def description(self) -> str | None:
        return self._plan.model.description

    @property
    def owners(self) -> tuple[str, ...]:
        return tuple(self._plan.model.owners)

    @property
    def file(self) -> str:
        """The file the rules were read from (or the name given to :func:`loads`)."""
        return self._file

    @property
    def digest(self) -> str:
        """``sha256:…`` of the canonical content: comments and formatting do not change it."""
        digest = self._digest
        if digest is None:
            digest = "sha256:" + hashlib.sha256(_canonical(self._plan.model).encode("utf-8")).hexdigest()
            object.__setattr__(self, "_digest", digest)  # the same text from any thread: no lock needed
        return digest

    @property
    def plan(self) -> _ir.Plan:
        """The checked rules as plain, frozen data: what every engine walks (see :mod:`leadspec.plan`)."""
        return self._public

    @property
    def fields(self) -> Mapping[str, FieldSpec]:
        """The declared fields (read-only)."""
        return MappingProxyType(dict(self._plan.model.fields))

    @property
    def stages(self) -> tuple[Stage, ...]:
        """The stages in funnel order (read-only models)."""
        return tuple(self._plan.model.stages)

    def stage_info(self, stage: str) -> StageInfo:
        """What the rules say of a stage (any of :attr:`stage_ids`): label, owner, SLA, description and rank.

        :class:`KeyError` names the stages when ``stage`` is not one of them.
        """
        return stage_info(self, stage)

    @property
    def stage_ids(self) -> tuple[str, ...]:
        """Every stage a lead can have: ``disqualified``, the base stage, then the stages in order."""
        return (DISQUALIFIED, self._plan.base.id) + tuple(s.id for s in self._plan.stages)

    @property
    def model(self) -> RuleFile:
        """The validated rule file."""
        return self._plan.model

    @property
    def lead_model(self) -> Any:
        """A pydantic model of the input record these rules read (keys are the fields' sources)."""
        with self._lock:
            if "lead_model" not in self._lazy:
                self._lazy["lead_model"] = lead_model(self.name, self._plan.coercers)
            return self._lazy["lead_model"]

    def _missing_table(self) -> tuple[list[tuple[int, tuple[int, ...]]], list[str]]:
        """For each criterion with an expression: its index and the indexes of the fields it reads."""
        table = self._lazy.get("missing_table")
        if table is None:
            names = [f.name for f in self.plan.fields]
            position = {name: i for i, name in enumerate(names)}
            rows = [(c.index, tuple(position[n] for n in self._reads(c)[0])) for c in self.plan.criteria if c.expr is not None]
            table = self._lazy["missing_table"] = (rows, names)
        return table

    def _missing_criteria(self) -> list[tuple[int, list[int]]]:
        """For each field some criterion with an expression reads, in declaration order: its index and those criteria's
        indexes (what ``Result.missing`` looks at: a field without a value, one of whose criteria is unknown)."""
        readers: dict[int, list[int]] = {}
        for index, fields in self._missing_table()[0]:
            for i in fields:
                readers.setdefault(i, []).append(index)
        return sorted(readers.items())

    def _missing_readers(self) -> tuple[list[tuple[int, Any]], list[str]]:
        """:meth:`_missing_criteria` with a getter of those criteria's outcomes from a result's outcomes (a tuple) for
        each field; and every field's name (``Result.missing``)."""
        found: tuple[list[tuple[int, Any]], list[str]] | None = self._lazy.get("missing_readers")
        if found is None:  # (without the lock: threads at once build the same table)
            # (two indexes at least: itemgetter of one gives the outcome itself, not a tuple)
            getters: list[tuple[int, Any]] = [(i, itemgetter(*crits, crits[0])) for i, crits in self._missing_criteria()]
            found = self._lazy["missing_readers"] = (getters, self._missing_table()[1])
        return found

    def _reads(self, crit: _ir.Criterion) -> tuple[list[str], list[str]]:
        """The fields and scores a criterion's expression reads (found once, by the code generator)."""
        return self._compiled.reads[crit.index]

    def _sentence(self, crit: _ir.Criterion) -> str:
        """What a criterion with an expression needs, in words (:mod:`leadspec._words`): the one wording explanations,
        ``diff`` and ``render`` share."""
        table: dict[int, str] = self._lazy.setdefault("sentences", {})
        text = table.get(crit.index)
        if text is None:
            text = table[crit.index] = self._words().sentence(crit)
        return text

    def _words(self) -> Words:
        """The words of this rule file's expressions (:mod:`leadspec._words`), made once."""
        found: Words | None = self._lazy.get("words")
        if found is None:
            from ._words import Words

            found = self._lazy["words"] = Words.of(self._public)
        return found

    def _observed(self, crit: _ir.Criterion) -> list[tuple[str, _ir.Call]]:
        """The calls of a criterion whose values explanations show (``days_since``, ``count``, …), with their text."""
        table = self._lazy.get("observed")
        if table is None:
            table = self._lazy["observed"] = {}
        calls = table.get(crit.index)
        if calls is None:
            assert crit.expr is not None
            calls = table[crit.index] = [
                (node.text or _ir.unparse(node), node) for node in _inner_first(crit.expr) if isinstance(node, _ir.Call) and FUNCTIONS[node.fn].observed
            ]
        return calls

    def _renderer(self, crit: _ir.Criterion) -> Renderer:
        """The generated renderer of a criterion with an expression (written on its first use; see :mod:`leadspec._render`)."""
        table = self._lazy.get("renderers")
        if table is None:
            table = self._lazy["renderers"] = {}
        found = table.get(crit.index)
        if found is None:
            with self._lock:
                found = table.get(crit.index)
                if found is None:
                    found = table[crit.index] = renderer(self, crit)
        return found

    def _rows_renderer(self) -> RowsRenderer:
        """The generated function giving every criterion's row (written on the first ``to_dict()``; see :mod:`leadspec._render`)."""
        found: RowsRenderer | None = self._lazy.get("rows_renderer")
        if found is None:
            with self._lock:
                found = self._lazy.get("rows_renderer")
                if found is None:
                    found = self._lazy["rows_renderer"] = rows_renderer(self)
        return found

    def _dict_renderer(self) -> DictRenderer | None:
        """The generated ``to_dict()`` (written on the first one; None: ``Result._to_dict_plain`` builds it; see
        :mod:`leadspec._render`)."""
        lazy = self._lazy
        if "dict_renderer" not in lazy:
            rows_of = self._rows_renderer()  # (takes the lock itself)
            with self._lock:
                if "dict_renderer" not in lazy:
                    lazy["dict_renderer"] = dict_renderer(self, rows_of)
        found: DictRenderer | None = lazy["dict_renderer"]
        return found

    def _json_renderer(self, csv: bool = False) -> JsonRenderer | None:
        """The generated ``to_json()`` (``csv``: its text as a CSV cell holds it), written on the first one (None: the
        dict dumped gives it; see :mod:`leadspec._render`)."""
        key = "csv_renderer" if csv else "json_renderer"
        lazy = self._lazy
        if key not in lazy:
            with self._lock:
                if key not in lazy:
                    lazy[key] = json_renderer(self, lambda: rows_text_renderer(self, csv), csv)
        found: JsonRenderer | None = lazy[key]
        return found

    def _summary_renderer(self) -> SummaryRenderer | None:
        """The generated ``summary()`` (written on the first one; None: ``Result._summary_plain`` writes it; see
        :mod:`leadspec._render`)."""
        lazy = self._lazy
        if "summary_renderer" not in lazy:
            with self._lock:
                if "summary_renderer" not in lazy:
                    lazy["summary_renderer"] = summary_renderer(self)
        found: SummaryRenderer | None = lazy["summary_renderer"]
        return found

    def _outline(self) -> _Outline:
        """What ``summary()``, ``explain()`` and ``to_dict()`` read of the plan besides the rows (see ``result._Outline``)."""
        found: _Outline | None = self._lazy.get("outline")
        if found is None:
            found = self._lazy["outline"] = _outline_of(self)
        return found

    def _time_text(self, moment: datetime) -> str:
        """``moment`` as ``to_dict()`` writes it (``2026-11-01T00:00:00Z``); the last one is kept: a batch has one ``as_of``."""
        last = self._lazy.get("time_text")
        if last is None or last[0] != moment:
            last = self._lazy["time_text"] = (moment, _json_value(moment))
        text: str = last[1]
        return text

    def _info_dict(self) -> dict[str, Any]:
        """``Result.ruleset`` as ``to_dict()`` gives it (a new dict each call, its ``owners`` a new list)."""
        info: dict[str, Any] | None = self._lazy.get("info")
        if info is None:  # (without the lock: threads at once build the same dict)
            info = self._lazy["info"] = {"name": self.name, "version": self.version, "digest": self.digest, "description": self.description}
        return {**info, "owners": list(self._plan.model.owners)}

    def _lists(self) -> dict[str, tuple[Any, ...]]:
        """The named lists by name."""
        lists = self._lazy.get("lists")
        if lists is None:
            lists = self._lazy["lists"] = {named.name: named.values for named in self.plan.lists}
        return lists

    def _group_of(self, crit: _ir.Criterion) -> _ir.Group:
        """The group whose outcome a criterion without an expression (a group with an id) reports."""
        groups = self._lazy.get("groups")
        if groups is None:
            groups = {}
            pending = [stage.condition for stage in self.plan.stages]
            while pending:
                group = pending.pop()
                if group.criterion is not None:
                    groups[group.criterion.index] = group
                pending += [item for item in group.items if isinstance(item, _ir.Group)]
            self._lazy["groups"] = groups
        return groups[crit.index]  # type: ignore[no-any-return]

    def input_schema(self) -> dict[str, Any]:
        """JSON Schema of the input record (what an integration must send)."""
        return self.lead_model.model_json_schema(by_alias=True)  # type: ignore[no-any-return]

    def generated_source(self) -> str:
        """The Python source generated for these rules, for reading and debugging."""
        return self._compiled.source

    # -- evaluation -----------------------------------------------------------------
    def evaluate(
        self, lead: Mapping[str, Any], as_of: datetime | date | str | None = None, *, strict: bool = False, previous: Previous | None = None
    ) -> Result:
        """Evaluate one lead (a mapping: a dict, a CSV row, a parsed JSON line).

        A value that cannot be used becomes an issue on the result and the
        field counts as missing; with ``strict=True`` the lead is rejected
        with :class:`~leadspec.LeadError` instead.

        ``previous``: where the lead stood before (:class:`~leadspec.Previous`:
        its stage, None for a lead not seen before, and since when); the
        result's ``handoff`` then says where it moved, whose desk it is on and
        by when its owner must act. A previous stage these rules do not have
        is a :class:`ValueError`.
        """
        checked = None
        if type(lead) is not dict and not _is_record(lead):
            raise LeadError(f"a lead is a mapping of field values, not {type(lead).__name__}")
        moment = as_of if type(as_of) is datetime and as_of.tzinfo is timezone.utc else _as_of(as_of)
        if moment < self._compiled.earliest_as_of:
            self._too_early(moment)
        checked = None if previous is None else checked_previous(self, previous, moment)
        issues: list[dict[str, Any]] = []
        stage, raw = self._compiled.evaluate(lead, moment, issues)
        if strict and issues:
            raise _rejected(issues)
        return Result(self, raw, issues, moment, stage, checked)

    def row_evaluator(self, columns: Iterable[str]) -> Callable[..., Result]:
        """A function that evaluates leads given as sequences of values in the order of ``columns``: a CSV row as
        :func:`csv.reader` reads it, a database cursor's row. No dict is built per lead.

        The function, ``evaluate_row(values, as_of=None, *, strict=False)``, returns the :class:`Result` that
        ``evaluate(dict(zip(columns, values)), as_of, strict=strict)`` returns: a column named twice gives its last
        value, and a field whose column is not among ``columns`` has no value. ``values`` of another length than
        ``columns`` is a :class:`~leadspec.LeadError`. The code for ``columns`` is generated once per ruleset (the
        last 16 sets of columns are kept).
        """
        if isinstance(columns, (str, bytes)):
            raise TypeError(f"columns are a sequence of names, not one {type(columns).__name__}: {columns!r}")
        names = tuple(columns)
        for name in names:
            if not isinstance(name, str):
                raise TypeError(f"columns are names (text), not {type(name).__name__}: {name!r}")
        with self._lock:
            kept: dict[tuple[str, ...], Callable[[Any, datetime, Any], tuple[Any, ...]]] = self._lazy.setdefault("by_position", {})
            read = kept.get(names)
            if read is None:
                read = self._compiled.by_position({name: i for i, name in enumerate(names)})
                while len(kept) >= ROW_EVALUATORS:
                    del kept[next(iter(kept))]
                kept[names] = read
        width = len(names)
        earliest = self._compiled.earliest_as_of

        def evaluate_row(values: Sequence[Any], as_of: datetime | date | str | None = None, *, strict: bool = False) -> Result:
            if type(values) is not list and type(values) is not tuple and (not isinstance(values, Sequence) or isinstance(values, _NOT_ROWS)):
                raise LeadError(f"a row is a sequence of values (a list, a tuple), not {type(values).__name__}")
            if len(values) != width:
                raise LeadError(f"a row of {len(values)} values for {width} columns")
            moment = as_of if type(as_of) is datetime and as_of.tzinfo is timezone.utc else _as_of(as_of)
            if moment < earliest:
                self._too_early(moment)
            issues: list[dict[str, Any]] = []
            stage, raw = read(values, moment, issues)
            if strict and issues:
                raise _rejected(issues)
            return Result(self, raw, issues, moment, stage, None)

        return evaluate_row

    def stage(self, lead: Mapping[str, Any], as_of: datetime | date | str | None = None) -> str:
        """The lead's stage only: lazy and fast, always equal to ``evaluate(lead).stage``."""
        if type(lead) is not dict and not _is_record(lead):
            raise LeadError(f"a lead is a mapping of field values, not {type(lead).__name__}")
        moment = as_of if type(as_of) is datetime and as_of.tzinfo is _UTC else _as_of(as_of)
        if moment < self._earliest:
            self._too_early(moment)
        stage: str = self._stage_fn(lead, moment)
        return stage

    # -- SQL ------------------------------------------------------------------------------
    def to_sql(
        self,
        dialect: str = "duckdb",
        table: str = "leads",
        events_table: str | None = None,
        key: str | None = None,
        *,
        columns: Sequence[str] | None = None,
        as_of: datetime | date | str | None = None,
        types: Mapping[str, str] | None = None,
        pretty: bool = True,
    ) -> str:
        """These rules as one SQL SELECT over ``table``, for ``dialect`` (``duckdb``, ``spark``, ``postgres``,
        ``snowflake``, ``bigquery``); needs the ``sql`` extra (sqlglot).

        The query returns every input column, then ``stage``, ``reasons``
        (the text of :meth:`Result.summary`), a column per criterion named
        by its id (``'pass'``, ``'fail'`` or ``'unknown'``), a column per
        score, ``blocked_by`` and ``missing`` (arrays of text; ``blocked_by``
        is NULL when every stage is reached), ``issues`` (an array of records
        ``field, value, message, criterion``) and ``ruleset_digest``.

        ``events_table`` and ``key``: the lead's events are the rows of
        ``events_table`` (columns ``key``, ``type``, ``at``) with the lead's
        ``key``, gathered into the events field. ``columns``: the input
        columns (required by the dialects that cannot write ``SELECT *``
        without the query's own columns: spark, postgres). ``as_of``: the
        moment of evaluation (default: the current time when the query runs).
        ``types``: the input columns' SQL types when they are not all text.
        Raises :class:`~leadspec.errors.DialectError` naming the function,
        the criterion and the dialect for anything the dialect cannot
        compute as the Python engine does.
        """
        from ._sql import build, render

        query = build(self, dialect=dialect, table=table, events_table=events_table, key=key, columns=columns, as_of=as_of, types=types)
        return render(query, dialect, pretty=pretty)

    def _too_early(self, moment: datetime) -> None:
        raise ValueError(
            f"as_of {moment.isoformat()} is too early for these rules: their longest window reaches back before "
            f"the year 1; the earliest as_of they take is {self._compiled.earliest_as_of.isoformat()}"
        )

    def evaluate_many(
        self, leads: Iterable[Mapping[str, Any]], as_of: datetime | date | str | None = None, *, strict: bool = False
    ) -> Iterator[Result]:
        """Evaluate leads one by one as they come (a generator: constant memory).

        ``as_of`` defaults to the moment the iteration starts, the same for
        every lead. With ``strict=True`` the first lead with an issue raises
        :class:`~leadspec.LeadError` carrying its ``index``.
        """
        moment = _as_of(as_of)
        if moment < self._compiled.earliest_as_of:
            self._too_early(moment)
        for index, lead in enumerate(leads):
            try:
                yield self.evaluate(lead, moment, strict=strict)
            except LeadError as exc:
                exc.index = index
                raise


_NOT_ROWS = (str, bytes, bytearray, memoryview)
"""Sequences that are not rows of values (text, bytes)."""

ROW_EVALUATORS = 16
"""The most sets of columns one ruleset keeps the generated code of (:meth:`Ruleset.row_evaluator`)."""


def _rejected(issues: list[dict[str, Any]]) -> LeadError:
    """The error of ``strict=True`` for a lead with ``issues`` (its first one said)."""
    first = issues[0]
    return LeadError(f"lead rejected: {first['field'] or first.get('criterion')}: {first['message']}", issues)


def _inner_first(expr: _ir.Expr) -> list[_ir.Expr]:
    """The nodes of ``expr``, each after the nodes inside it, left to right (``last(x)`` before ``days_since(last(x))``)."""
    out: list[_ir.Expr] = []
    stack: list[tuple[_ir.Expr, bool]] = [(expr, False)]
    while stack:
        node, done = stack.pop()
        if done:
            out.append(node)
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(_ir.children(node)))
    return out


def _is_record(lead: Any) -> bool:
    """A mapping, or an object read like one (``get`` and ``keys``: a pandas ``Series`` row)."""
    return isinstance(lead, Mapping) or (callable(getattr(lead, "get", None)) and callable(getattr(lead, "keys", None)))


def _compile(plan: Plan, file: str) -> Compiled:
    """The generated functions; rules Python cannot compile are a :class:`RulesError`, not a crash."""
    try:
        assert plan.public is not None
        return Compiled(plan.public, file)
    except TooMuchCode as exc:
        where = exc.location
        line, column = (where.line, where.column) if where is not None else (1, 1)
        raise RulesError(
            [
                Problem(
                    file,
                    line,
                    column,
                    "too-large",
                    f"the rules compile to {exc.size / 1e6:.2f} MB of Python by here (generation stopped); the limit is "
                    f"{MAX_SOURCE / 1e6:.1f} MB ({MAX_SOURCE:,} characters): split the rules into several files, or use fewer fields and shorter expressions",
                    where.path if where is not None else "",
                )
            ]
        ) from None
    except (RecursionError, SyntaxError, MemoryError, ValueError, OverflowError) as exc:
        raise RulesError(
            [Problem(file, 1, 1, "too-large", f"the rules are too large to compile ({type(exc).__name__}); use fewer criteria or simpler expressions")]
        ) from None


def loads(text: str | bytes, name: str = "<string>") -> Ruleset:
    """Load rules from YAML text; ``name`` is used as the file name in problems."""
    data, positions, problems = load_yaml(text, name)
    if data is None or problems:
        raise RulesError(problems)
    plan, problems = check(data, positions)
    if plan is None:
        raise RulesError(problems)
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return Ruleset(plan, text, name)


def load(path: str | os.PathLike[str]) -> Ruleset:
    """Load, check and compile a rule file; raises :class:`~leadspec.RulesError` with every problem."""
    name = os.fspath(path)
    return loads(read_rules_file(name), name)


def read_rules_file(name: str) -> bytes:
    """The bytes of a rule (or test) file; :class:`RulesError` when it cannot be read or is over :data:`MAX_BYTES`.

    At most ``MAX_BYTES + 1`` bytes are read: ``/dev/zero``, a FIFO or
    ``<(yes)`` report a size of 0 and never end.
    """
    try:
        size = os.path.getsize(name)
        if size > MAX_BYTES:
            raise RulesError([Problem(name, 1, 1, "file-too-large", f"file is {size:,} bytes; the limit is {MAX_BYTES:,} bytes (1 MiB)")])
        with open(name, "rb") as handle:
            text = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise RulesError([Problem(name, 1, 1, "unreadable", f"cannot read the file: {exc.strerror or exc}")]) from None
    if len(text) > MAX_BYTES:  # a stream, or a file that grew: its size was not known before reading
        raise RulesError([Problem(name, 1, 1, "file-too-large", f"file has more than {MAX_BYTES:,} bytes; the limit is {MAX_BYTES:,} bytes (1 MiB)")])
    return text


def _rebuild(text: str, file: str) -> Ruleset:
    return loads(text, file)


def json_schema() -> dict[str, Any]:
    """JSON Schema of the rule-file format (for editors and check-jsonschema)."""
    schema = RuleFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
