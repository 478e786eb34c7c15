"""The rule file as the agreement both teams sign: one page in plain words, as Markdown or HTML.

:func:`render` builds the page once as a list of blocks (headings,
paragraphs, nested lists, tables), and writes those blocks as Markdown
or as HTML, so the two formats say exactly the same. Every condition is
worded by :class:`leadspec._words.Words`, the generator explanations and
``diff`` use. The HTML is one self-contained page (styles inline, no
script, no web address) that prints cleanly to A4 or Letter; ``diff
--format html`` uses its style (:func:`page`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Literal, Union

from ._diff import _flips, _label, _share
from ._words import Words, duration, listing, member, missing_policy, number
from .plan import FLAG_PREFIX, Criterion, Group, StagePlan

if TYPE_CHECKING:
    from ._diff import Edit, RulesDiff
    from .ruleset import Ruleset

__all__ = ["FORMATS", "Format", "page", "render"]

Format = Literal["markdown", "html"]
FORMATS: tuple[Format, ...] = ("markdown", "html")

# -- blocks: what the page says, before it is written in a format ------------------------------
#
# Inline text is plain text with marks in the Unicode private use area: _B … _B_END is emphasis, _C … _C_END code.
# Text from the rule file goes in through _t(), which drops those characters, so a value or a description is always
# text (its `*`, backticks, `<`, `|` escaped by each format), never markup.

_B, _B_END, _C, _C_END = "\ue000", "\ue001", "\ue002", "\ue003"
_MARKS = re.compile("[\ue000-\ue003]")
_BREAKS = re.compile("[\r\n\t\f\v\x85\u2028\u2029]+")


def _t(text: object, strip: bool = True) -> str:
    """Text from the rule file as inline text: on one line (a newline would break a heading, a list or a table), no
    marks; ``strip=False`` keeps a space at either end (a piece of a ``because`` text)."""
    one_line = _BREAKS.sub(" ", str(text))  # spaces stay as written: 'Interested  in full time MBA' is a value
    return _MARKS.sub("", one_line.strip() if strip else one_line)


def _b(text: str) -> str:
    return f"{_B}{text}{_B_END}"


def _c(text: object) -> str:
    return f"{_C}{_t(text)}{_C_END}"


@dataclass
class _Heading:
    level: int
    text: str


@dataclass
class _Para:
    text: str
    style: str = ""  # "note": smaller, muted
    key: str | None = None  # the criterion it states (diff --format html marks the changed ones)


@dataclass
class _Item:
    text: str
    children: list[_Item] = field(default_factory=list)
    key: str | None = None


@dataclass
class _Items:
    items: list[_Item]


@dataclass
class _Table:
    header: list[str]
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()  # columns aligned right
    keys: list[str | None] | None = None  # the criterion each row states


@dataclass
class _Details:
    summary: str
    text: str


_Block = Union[_Heading, _Para, _Items, _Table, _Details]

_GROUP = {"all": "all of", "any": "any of", "none": "none of"}


def _group_words(group: Group) -> str:
    return f"at least {group.n} of" if group.op == "at_least" else _GROUP[group.op]


class _Page:
    def __init__(self, ruleset: Ruleset, on: date) -> None:
        self.rs = ruleset
        self.plan = ruleset.plan
        self.words = Words.of(self.plan, shown=None, code=(_C, _C_END))  # a signed page lists every value
        self.on = on
        self.blocks: list[_Block] = []

    def add(self, *blocks: _Block) -> None:
        self.blocks.extend(blocks)

    # -- criteria ---------------------------------------------------------------------------------

    def said(self, crit: Criterion) -> str:
        """What a criterion needs, in the words of explanations and ``diff`` (rule-file values in it are text)."""
        return self.words.sentence(crit)

    def criterion(self, crit: Criterion, label: str | None = None) -> str:
        """One criterion as a line: its name, what it needs in words, its ``because`` beside, its ``missing:`` policy."""
        name = label if label is not None else crit.id.rsplit(".", 1)[-1]
        return f"{_b(_t(name))}: {self.said(crit)}" + self.notes(crit)

    def notes(self, crit: Criterion) -> str:
        parts = []
        if crit.because is not None:
            shown = "".join(_t(part, strip=False) if isinstance(part, str) else f"«{self.words.value(part)}»" for part in crit.because.parts)
            parts.append(f"explained as “{shown}”")
        policy = missing_policy(crit.missing)
        if policy:
            parts.append(policy)
        return "" if not parts else " — " + "; ".join(parts)

    def group_items(self, group: Group) -> list[_Item]:
        out = []
        for item in group.items:
            if isinstance(item, Criterion):
                out.append(_Item(self.criterion(item), key=item.id))
                continue
            head = f"{_group_words(item)} these:"
            if item.criterion is not None:
                head = f"{_b(_t(item.criterion.id.rsplit('.', 1)[-1]))}{self.notes(item.criterion)}: {head}"
            out.append(_Item(head, self.group_items(item), key=item.criterion.id if item.criterion is not None else None))
        return out

    # -- sections ---------------------------------------------------------------------------------

    def build(self) -> list[_Block]:
        rs, plan = self.rs, self.plan
        self.add(_Heading(1, _t(_title(rs))))
        if rs.description:
            self.add(_Para(_t(rs.description)))
        meta = [["Rule file", _t(rs.name)], ["Version", _t(rs.version) if rs.version else "(none)"]]
        meta.append(["Owners", _t(", ".join(rs.owners)) or "(none)"])
        meta.append(["Digest", _c(rs.digest)])
        meta.append(["Date", self.on.isoformat()])
        self.add(_Table(["", ""], meta))
        self.funnel()
        if plan.disqualify:
            self.disqualifiers()
        if plan.scores:
            self.scores()
        if plan.flags:
            self.flags()
        if plan.lists:
            self.lists()
        self.fields()
        self.signatures()
        return self.blocks

    def funnel(self) -> None:
        plan = self.plan
        self.add(_Heading(2, "The funnel"))
        order = " → ".join(_t(s.label) for s in plan.stages)
        self.add(
            _Para(
                f"A lead's stage is the last stage it reaches in this order: {order}. Each stage requires the one before it. "
                f"A lead that reaches none is a {_b(_t(plan.base.label))}"
                + (f", and a lead that meets a disqualifier is {_b('disqualified')}, whatever else is true." if plan.disqualify else ".")
            )
        )
        for n, stage in enumerate(plan.stages, 1):
            self.stage(n, stage)

    def stage(self, n: int, stage: StagePlan) -> None:
        self.add(_Heading(3, f"{n}. {_t(stage.label)} ({_c(stage.id)})"))
        if stage.description:
            self.add(_Para(_sentence_case(_t(stage.description))))
        duty = _duty(stage)
        if duty:
            self.add(_Para(duty))
        condition = stage.condition
        only = condition.items[0] if len(condition.items) == 1 else None
        if condition.op == "all" and isinstance(only, Criterion) and only.id == f"{stage.id}.when":  # a stage written with `when:`
            said = self.said(only)
            text = f"A lead reaches this stage {said}" if said in ("always", "never") else f"A lead reaches this stage with {said}"
            self.add(_Para(f"{text}{self.notes(only)}.", key=only.id))
            return
        self.add(_Para(f"A lead reaches this stage with {_b(_group_words(condition))}:"))
        self.add(_Items(self.group_items(condition)))

    def disqualifiers(self) -> None:
        self.add(_Heading(2, "Disqualified"))
        self.add(
            _Para(
                f"A lead is {_b('disqualified')} when any of these passes. One that cannot be decided does not disqualify, "
                "unless it says it counts as passed when unknown."
            )
        )
        self.add(_Items([_Item(self.criterion(c), key=c.id) for c in self.plan.disqualify]))

    def scores(self) -> None:
        self.add(_Heading(2, "Scores"))
        for score in self.plan.scores:
            self.add(_Heading(3, f"The {_t(score.name)} score"))
            facts = []
            if score.window is not None:
                facts.append(f"events of the last {duration(score.window)} count")
            if score.half_life is not None:
                facts.append(f"an event's points halve every {duration(score.half_life)} of its age")
            if score.min is not None and score.max is not None:
                facts.append(f"the total is kept between {number(score.min)} and {number(score.max)}")
            elif score.min is not None:
                facts.append(f"the total is at least {number(score.min)}")
            elif score.max is not None:
                facts.append(f"the total is at most {number(score.max)}")
            if facts:
                text = "; ".join(facts)
                self.add(_Para(text[:1].upper() + text[1:] + "."))
            if score.events:
                rows = [[_t(e.type), _points(e.points), "no cap" if e.max is None else number(e.max)] for e in score.events]
                self.add(_Table(["event", "points each", "cap"], rows, frozenset({1, 2})))
            if score.rules:
                rows = [[_b(_t(r.id.split(".", 1)[1])), self.said(r) + self.notes(r), _points(r.points)] for r in score.rules]
                self.add(_Table(["rule", "when the lead has", "points"], rows, frozenset({2}), [r.id for r in score.rules]))

    def flags(self) -> None:
        self.add(_Heading(2, "Flags"))
        self.add(_Para("Flags are reported on every lead, whatever its stage. A flag is true when its condition passes, false when it fails, and unknown otherwise:"))
        self.add(_Items([_Item(self.criterion(c, c.id[len(FLAG_PREFIX) :]), key=c.id) for c in self.plan.flags]))

    def lists(self) -> None:
        self.add(_Heading(2, "Lists"))
        for named in self.plan.lists:
            count = len(named.values)
            text = f"{_b(_t(named.name))} ({count:,} value{'s' if count != 1 else ''}): {_t(listing(named.values))}"
            self.add(_Para(text))
            if len(named.values) > 20:
                self.add(_Details(f"All {count:,} values of {_t(named.name)}", _t(", ".join(member(v) for v in named.values))))

    def fields(self) -> None:
        plan = self.plan
        self.add(_Heading(2, "Fields"))
        if plan.missing:
            self.add(_Para(f"In every field, these values count as missing: {_t(', '.join(member(m) for m in plan.missing))}."))
        rows = []
        for f in plan.fields:
            kind = f.type + (f" ({listing(f.values, shown=None)})" if f.values and f.type == "enum" else "")
            if f.min is not None and f.max is not None:
                kind += f", from {number(f.min)} to {number(f.max)}"
            elif f.min is not None:
                kind += f", at least {number(f.min)}"
            elif f.max is not None:
                kind += f", at most {number(f.max)}"
            source = "" if f.source == f.name else _c(f.source)
            missing = []
            extra = [m for m in f.missing if m not in plan.missing]
            if extra:
                missing.append("also missing: " + ", ".join(member(m) for m in extra))
            if f.default is not None:
                missing.append(f"a missing value counts as {_t(member(f.default) if not isinstance(f.default, (list, tuple)) else f.default)}")
            rows.append([_b(_t(f.name)), _t(kind), source, _t("; ".join(missing)), _t(f.description or "")])
        self.add(_Table(["field", "type", "read from", "when missing", "meaning"], rows))

    def signatures(self) -> None:
        teams = list(dict.fromkeys(_t(s.owner) for s in self.plan.stages if s.owner)) or [_t(o) for o in self.rs.owners] or ["", ""]
        self.add(_Heading(2, "Signed"))
        self.add(_Table(["for", "name", "signature", "date"], [[team, "", "", ""] for team in teams]))


def _sentence_case(text: str) -> str:
    """A description as a sentence: a capital first letter (not when the second is one too: ``iOS``), a full stop
    after a last word."""
    if text[:1].islower() and not text[1:2].isupper():
        text = text[0].upper() + text[1:]
    return text + "." if text[-1:].isalnum() else text


def _title(rules: Ruleset) -> str:
    return f"Lead agreement: {rules.name}" + (f" {rules.version}" if rules.version else "")


def _duty(stage: StagePlan) -> str:
    """``Owner: **sales**, who calls within 15 minutes of a lead reaching this stage.``"""
    if stage.sla is not None:
        if stage.owner:
            return f"Owner: {_b(_t(stage.owner))}, who calls within {duration(stage.sla)} of a lead reaching this stage."
        return f"A lead reaching this stage is called within {duration(stage.sla)}."
    if stage.owner:
        return f"Owner: {_b(_t(stage.owner))}."
    return ""


def _points(value: int | float) -> str:
    text = number(value)
    return text if text.startswith("-") else "+" + text


# -- writing the blocks ----------------------------------------------------------------------------

_PIECES = re.compile(f"({_B}|{_B_END}|{_C}.*?{_C_END})", re.S)
_BLOCK_START = re.compile(r"^([#>+=-])|^(\d+)([.)])")


def _inline_markdown(text: str, table: bool = False, start: bool = False) -> str:
    """Inline text as Markdown: rule-file text escaped, marks as ``**`` and code spans; ``start``: at the start of a
    block, where ``#``, ``-``, ``1.`` would begin a heading or a list."""
    out = []
    for piece in _PIECES.split(text):
        if piece in (_B, _B_END):
            out.append("**")
        elif piece.startswith(_C):
            out.append(_code_markdown(piece[1:-1], table))
        elif piece:
            out.append(_escape_markdown(piece, table))
    written = "".join(out)
    return _BLOCK_START.sub(_unblock, written) if start else written


def _unblock(match: re.Match[str]) -> str:
    r"""``# x`` → ``\# x``, ``1. x`` → ``1\. x``: text, not a heading or a list."""
    return "\\" + match.group(1) if match.group(1) else f"{match.group(2)}\\{match.group(3)}"


def _escape_markdown(text: str, table: bool) -> str:
    text = re.sub(r"([\\`*\[\]<>&~]|(?<!\w)_|_(?!\w))", r"\\\1", text)  # an underscore inside a word is no emphasis
    return text.replace("|", "\\|") if table else text


def _code_markdown(text: str, table: bool) -> str:
    """A code span: the longest run of backticks in it decides the fence; in a table a ``|`` is escaped even there."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text.replace('|', chr(92) + '|') if table else text}{pad}{fence}"


def _inline_html(text: str) -> str:
    out = []
    for piece in _PIECES.split(text):
        if piece == _B:
            out.append("<strong>")
        elif piece == _B_END:
            out.append("</strong>")
        elif piece.startswith(_C):
            out.append(f"<code>{html.escape(piece[1:-1])}</code>")
        elif piece:
            out.append(html.escape(piece))
    return "".join(out)


def _markdown(blocks: Iterable[_Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, _Heading):
            out += ["#" * block.level + " " + _inline_markdown(block.text), ""]
        elif isinstance(block, _Para):
            out += [_inline_markdown(block.text, start=True), ""]
        elif isinstance(block, _Items):
            out += _markdown_items(block.items, 0) + [""]
        elif isinstance(block, _Table):
            out.append("| " + " | ".join(_inline_markdown(h, True) for h in block.header) + " |")
            out.append("|" + "|".join("---:" if i in block.numeric else "---" for i in range(len(block.header))) + "|")
            out += ["| " + " | ".join(_inline_markdown(c, True) for c in row) + " |" for row in block.rows]
            out.append("")
        else:
            out += ["<details>", f"<summary>{_inline_html(block.summary)}</summary>", "", _inline_markdown(block.text, start=True), "", "</details>", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _markdown_items(items: Sequence[_Item], depth: int) -> list[str]:
    out = []
    for item in items:
        out.append("  " * depth + "- " + _inline_markdown(item.text, start=True))
        out += _markdown_items(item.children, depth + 1)
    return out


CSS = """
:root { color-scheme: light; }
body { font-family: Georgia, "Times New Roman", serif; color: #1a1a1a; max-width: 46em; margin: 2em auto; padding: 0 1.5em; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.3em; } h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 1px solid #bbb; padding-bottom: 0.15em; }
h3 { font-size: 1.08em; margin-top: 1.3em; } code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.86em; background: #f3f3f3; padding: 0 0.2em; border-radius: 2px; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.93em; } th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f1f1f1; } td.n, th.n { text-align: right; } table.meta th:empty { display: none; }
ul { padding-left: 1.4em; } li { margin: 0.2em 0; } .note { color: #555; font-size: 0.92em; }
.old { background: #fdecea; } .new { background: #e8f5e9; } body.wide { max-width: 96em; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 1.5em; } .side > div { min-width: 0; overflow-wrap: anywhere; font-size: 0.92em; }
code { overflow-wrap: anywhere; }
details summary { cursor: pointer; color: #444; }
td.sign { min-width: 9em; height: 2.2em; }
@page { size: auto; margin: 18mm 16mm; }
@media print { body { margin: 0; max-width: none; padding: 0; font-size: 10.5pt; } h2, h3 { break-after: avoid; } li, tr { break-inside: avoid; } a { color: inherit; } }
"""


def page(title: str, body: str, wide: bool = False) -> str:
    """A self-contained HTML page with the agreement's style around ``body`` (``wide``: two columns, ``diff --format html``)."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n"
        f"<style>{CSS}</style>\n"
        f"</head><body{' class=wide' if wide else ''}>\n{body}</body></html>\n"
    )


def _html(blocks: Sequence[_Block], marked: frozenset[str] = frozenset(), mark: str = "", shift: int = 0) -> str:
    """The blocks as HTML; items stating a criterion in ``marked`` get the class ``mark``; headings ``shift`` levels down."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, _Heading):
            level = min(block.level + shift, 6)
            out.append(f"<h{level}>{_inline_html(block.text)}</h{level}>")
        elif isinstance(block, _Para):
            klass = mark if block.key is not None and block.key in marked else "note" if block.style else ""
            out.append(f'<p{f" class={chr(34)}{klass}{chr(34)}" if klass else ""}>{_inline_html(block.text)}</p>')
        elif isinstance(block, _Items):
            out.append(_html_items(block.items, marked, mark))
        elif isinstance(block, _Table):
            header = all(not h for h in block.header)
            rows = []
            if not header:
                rows.append("<tr>" + "".join(f"<th{' class=n' if i in block.numeric else ''}>{_inline_html(h)}</th>" for i, h in enumerate(block.header)) + "</tr>")
            for number_, row in enumerate(block.rows):
                key = block.keys[number_] if block.keys is not None else None
                cells = []
                for i, cell in enumerate(row):
                    if header and i == 0:
                        cells.append(f"<th>{_inline_html(cell)}</th>")
                    else:
                        klass = " class=n" if i in block.numeric else (" class=sign" if not cell and block.header[0] == "for" else "")
                        cells.append(f"<td{klass}>{_inline_html(cell)}</td>")
                rows.append((f'<tr class="{mark}">' if key is not None and key in marked else "<tr>") + "".join(cells) + "</tr>")
            out.append(f'<table{" class=meta" if header else ""}>' + "\n".join(rows) + "</table>")
        else:
            out.append(f"<details><summary>{html.escape(block.summary)}</summary><p>{_inline_html(block.text)}</p></details>")
    return "\n".join(out) + "\n"


def _html_items(items: Sequence[_Item], marked: frozenset[str] = frozenset(), mark: str = "") -> str:
    parts = ["<ul>"]
    for item in items:
        inner = _html_items(item.children, marked, mark) if item.children else ""
        klass = f' class="{mark}"' if item.key is not None and item.key in marked else ""
        parts.append(f"<li{klass}>{_inline_html(item.text)}{inner}</li>")
    parts.append("</ul>")
    return "".join(parts)


def diff_page(result: RulesDiff, old: Ruleset, new: Ruleset, on: date | datetime | str | None = None, proof: str | None = None) -> str:
    """``diff --format html``: the changes in sentences, the impact on leads, then the old and the new agreement side
    by side in the agreement's style, the criteria that changed marked on both sides."""
    day = _day(on)
    blocks: list[_Block] = [_Heading(1, _t(result.summary()))]
    if result.edits:
        blocks += [_Heading(2, "Changes"), _Items([_Item(_t(e.sentence)) for e in result.edits])]
    if result.leads is not None:
        blocks.append(_Heading(2, f"Impact on {result.leads:,} leads"))
        rows = [[_t(t.from_stage), _t(t.to_stage), f"{t.count:,}", _share(t.share)] for t in result.transitions]
        blocks.append(_Table(["from", "to", "leads", "share"], rows, frozenset({2, 3})))
        rows = [[_t(s), f"{b:,}", f"{a:,}", f"{a - b:+,}"] for s, b, a in result.totals]
        blocks.append(_Table(["stage", "before", "after", "change"], rows, frozenset({1, 2, 3})))
        samples = [_Item(_t(f"{t.from_stage} → {t.to_stage}: {s.lead} ({_flips(s)})")) for t in result.transitions if t.from_stage != t.to_stage for s in t.samples]
        if samples:
            blocks += [_Para("Sample leads that move:"), _Items(samples)]
        if result.flags:
            rows = [[_t(f.flag), f"{f.before:,}", f"{f.after:,}", f"{f.flagged:,}", f"{f.unflagged:,}"] for f in result.flags]
            blocks.append(_Table(["flag", "flagged before", "after", "become flagged", "unflagged"], rows, frozenset({1, 2, 3, 4})))
            samples = [_Item(_t(f"{f.flag}: {s.lead} ({_flips(s)})")) for f in result.flags for s in f.samples]
            if samples:
                blocks += [_Para("Sample leads whose flags change:"), _Items(samples)]
    body = _html(blocks)
    if proof is not None:
        body += f"<h2>Proof over every possible lead</h2>\n<pre>{html.escape(proof)}</pre>\n"
    marked = frozenset(_criterion_of(e) for e in result.edits if e.area in ("criterion", "disqualifier", "flag", "rule"))
    sides = []
    for rules, mark, title in ((old, "old", "Before"), (new, "new", "After")):
        blocks = _Page(rules, day).build()
        sides.append(f'<div><p class="note">{title}</p>\n{_html(blocks, marked, mark, shift=1)}</div>')
    body += '<h2>The agreement before and after</h2>\n<div class="side">\n' + "\n".join(sides) + "</div>\n"
    return page(f"Changes: {_label(result.old)} → {_label(result.new)}", body, wide=True)


def _criterion_of(edit: Edit) -> str:
    return f"{FLAG_PREFIX}{edit.id}" if edit.area == "flag" else edit.id


def _day(on: date | datetime | str | None) -> date:
    if on is None:
        return datetime.now(timezone.utc).date()
    if isinstance(on, datetime):
        return on.date()
    if isinstance(on, date):
        return on
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", on):  # fromisoformat also reads 20261201 and 2026-W48-1
            raise ValueError
        return date.fromisoformat(on)
    except ValueError:
        raise ValueError(f"date must be a day as YYYY-MM-DD, not {on!r}") from None


def render(rules: Ruleset, format: Format = "markdown", *, date: date | datetime | str | None = None) -> str:
    """The rule file as the agreement both teams sign, as Markdown or one self-contained HTML page.

    The page names the rule file, its version, owners, digest and ``date``
    (today, UTC, when not given), then the funnel stage by stage (label,
    owner and SLA, description, and every criterion in words with its
    ``because`` beside), the disqualifiers, scores, flags, lists, the
    fields, and a place for each team to sign. ``format`` is
    ``"markdown"`` or ``"html"``.
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    blocks = _Page(rules, _day(date)).build()
    if format == "markdown":
        return _markdown(blocks)
    return page(_title(rules), _html(blocks))
