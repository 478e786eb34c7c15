"""The agreement both teams sign (leadspec.render, leadspec render, diff --format html).

The Markdown of every rule file in rules/ is compared with a golden file,
docs/agreements/NAME.md (the docs show them), that a person read and checked;
LEADSPEC_UPDATE_GOLDEN=1 rewrites them (read the diff before committing it). The HTML is opened in a
real headless Chromium: a screenshot must show text, a print to PDF must
have pages with text on them, and at the width of A4 and of Letter paper
the page must not overflow sideways.
"""

from __future__ import annotations

import os
import re
import zlib
from pathlib import Path

import pytest

import leadspec
from _browser import GUARD, chromium, run_chromium
from conftest import ROOT, cli

GOLDEN = ROOT / "docs" / "agreements"
DAY = "2026-12-01"
RULE_FILES = sorted((ROOT / "rules").glob("*.yaml"))
RULE_FILES = [p for p in RULE_FILES if not p.name.endswith(".test.yaml")]


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.stem)
def test_the_markdown_of_each_rule_file_is_its_golden_file(path: Path) -> None:
    text = leadspec.render(leadspec.load(path), "markdown", date=DAY)
    golden = GOLDEN / f"{path.stem}.md"
    if os.environ.get("LEADSPEC_UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_every_golden_file_has_its_rule_file() -> None:
    assert sorted(p.name for p in GOLDEN.glob("*.md")) == sorted(f"{p.stem}.md" for p in RULE_FILES)


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.stem)
def test_the_page_has_every_part_of_the_rule_file(path: Path) -> None:
    rules = leadspec.load(path)
    text = leadspec.render(rules, date=DAY)
    plain = text.replace("\\", "")  # Markdown's escapes
    assert rules.digest in plain and rules.name in plain and DAY in plain
    for owner in rules.owners:
        assert owner in plain
    plan = rules.plan
    for stage in plan.stages:
        assert f"{stage.label} (`{stage.id}`)" in plain
        if stage.owner:
            assert f"Owner: **{stage.owner}**" in plain
    for crit in plan.criteria:
        if crit.expr is not None:
            assert rules._sentence(crit) in plain, crit.id  # every condition, in the words explanations use
    for score in plan.scores:
        assert f"The {score.name} score" in plain
        for event in score.events:
            assert f"| {event.type} |" in plain
    for named in plan.lists:
        assert f"**{named.name}** ({len(named.values):,} value" in plain


def test_groups_policies_because_sla_and_flags_in_words() -> None:
    rules = leadspec.loads(
        """
leadspec: 1
name: words
version: "1"
owners: [ops@example.com]
fields:
  employees: {type: integer}
  title: {type: string}
  deal_stage: {type: string}
lists:
  big: [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u, v, w, x, y, z]
flags:
  customer: {when: deal_stage == 'Won', because: "a customer ({deal_stage})"}
stages:
  - id: icp
    description: the right company
    owner: marketing
    all:
      - {id: size, when: 50 <= employees <= 5000, missing: fail, because: "{employees} employees"}
      - id: role
        none:
          - student: contains(title, 'student')
          - intern: title in big
      - at_least:
          n: 2
          of:
            - a: has(title)
            - b: employees > 10
            - c: not customer
  - id: sql
    label: Sales qualified
    owner: sales
    sla: 4h
    when: employees >= 100
"""
    )
    text = leadspec.render(rules, date=DAY)
    assert "- **size**: employees from 50 to 5,000 — explained as “«employees» employees”; when unknown: counts as failed" in text
    assert "- **role**: none of these:" in text
    assert "  - **student**: title containing 'student' (any case)" in text
    assert "- at least 2 of these:" in text
    assert "  - **c**: flag customer false" in text
    assert "Owner: **sales**, who calls within 4 hours of a lead reaching this stage." in text
    assert "A lead reaches this stage with employees at least 100." in text
    assert "The right company." in text
    assert "- **customer**: deal_stage equal to 'Won' — explained as “a customer («deal_stage»)”" in text  # `_` inside a word: no escape
    assert "**big** (26 values): 'a', 'b', 'c'" in text and "and 6 more" in text
    assert "<details>" in text and "All 26 values of big" in text  # a long list collapses, the whole list is one click away


def test_markdown_escapes_what_would_be_markup() -> None:
    rules = leadspec.loads(
        "leadspec: 1\nname: esc\nfields:\n  title: {type: string}\nstages:\n  - id: s\n    when: \"title == '*bold* [x](y) _z_'\"\n"
    )
    text = leadspec.render(rules, date=DAY)
    assert r"title equal to '\*bold\* \[x\](y) \_z\_'" in text


def test_the_date_defaults_to_today_and_a_bad_format_or_date_is_refused() -> None:
    from datetime import datetime, timezone

    rules = leadspec.load(ROOT / "rules" / "b2b-saas.yaml")
    assert datetime.now(timezone.utc).date().isoformat() in leadspec.render(rules)
    with pytest.raises(ValueError, match="format must be one of markdown, html"):
        leadspec.render(rules, "pdf")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        leadspec.render(rules, date="1 December")


# -- the same words everywhere ------------------------------------------------------------------------


def test_diff_render_and_explanations_word_a_criterion_the_same_way(tmp_path: Path) -> None:
    text = (ROOT / "rules" / "b2b-saas.yaml").read_text(encoding="utf-8")
    old = leadspec.loads(text)
    new = leadspec.loads(text.replace("when: timeline_days <= 90", "when: timeline_days <= 90 and budget_confirmed"))
    [edit] = [e for e in leadspec.diff(old, new).edits if e.id == "sql.timeline"]
    before, after = (r._sentence(r.plan.criterion("sql.timeline")) for r in (old, new))
    assert edit.sentence == f"sql.timeline: condition {before} → {after}"
    assert f"**timeline**: {after}" in leadspec.render(new, date=DAY)
    lead = {"bant": {"timeline_days": 200}}
    because = next(c.because for c in new.evaluate(lead, as_of=DAY).criteria if c.id == "sql.timeline")
    assert because.endswith(f"needs {after}")


# -- HTML -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def html_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    page = tmp_path_factory.mktemp("agreement") / "agreement.html"
    page.write_text(leadspec.render(leadspec.load(ROOT / "rules" / "b2b-saas.yaml"), "html", date=DAY), encoding="utf-8")
    return page


def test_the_html_is_one_self_contained_page_with_the_same_words(html_page: Path) -> None:
    text = html_page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert not re.search(r"<script|<link\b|<img\b|@import|url\(|https?://", text)  # nothing to fetch, nothing to run
    rules = leadspec.load(ROOT / "rules" / "b2b-saas.yaml")
    import html as html_module

    for crit in rules.plan.criteria:
        if crit.expr is not None:
            assert html_module.escape(rules._sentence(crit)) in text, crit.id
    assert "@media print" in text and "@page" in text


PROBE = """<script>
window.addEventListener("load", function () {
  var out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
    height: document.documentElement.scrollHeight, blocked: window.__blocked, loaded: performance.getEntriesByType("resource").length});
  document.body.appendChild(out);
});
</script>
"""


def _probe(page: Path, width: int) -> dict[str, int]:
    import json

    probe = page.with_name(f"probe-{width}.html")
    probe.write_text(page.read_text(encoding="utf-8").replace("<head>", "<head>" + GUARD, 1).replace("</body>", PROBE + "</body>"), encoding="utf-8")
    done = run_chromium(chromium(), probe, "--dump-dom", width=width, height=1200)
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
    assert found, f"the page did not load in Chromium: {done.stderr[-2000:]}"
    result: dict[str, int] = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    return result


@pytest.mark.parametrize(("paper", "width"), [("A4", 794), ("Letter", 816)])
def test_the_page_fits_the_width_of_paper_and_loads_nothing(html_page: Path, paper: str, width: int) -> None:
    found = _probe(html_page, width)  # CSS pixels of the paper's width at 96 dpi
    assert found["scroll"] <= found["client"], f"the page is wider than {paper}: {found}"
    assert found["blocked"] == [] and found["loaded"] == 0, found
    assert found["height"] > 2000  # the whole agreement, not an empty page


def test_a_screenshot_shows_the_agreement(html_page: Path) -> None:
    Image = pytest.importorskip("PIL.Image")
    shot = html_page.with_name("agreement.png")
    done = run_chromium(chromium(), html_page, f"--screenshot={shot}", width=900, height=1400)
    assert shot.exists(), done.stderr[-2000:]
    image = Image.open(shot).convert("L")
    assert image.size == (900, 1400)
    dark = sum(image.histogram()[:128])
    assert dark > 0.01 * 900 * 1400, f"only {dark} dark pixels: a blank page"  # text covers a few percent of a page
    top = image.crop((0, 0, 900, 80))
    assert top.getextrema()[0] < 64  # the title is drawn at the top


@pytest.mark.parametrize(("paper", "size"), [("A4", (595, 842)), ("Letter", (612, 792))])
def test_it_prints_to_pdf_pages_with_text(html_page: Path, paper: str, size: tuple[int, int]) -> None:
    printed = html_page.with_name(f"agreement-{paper}.html")
    printed.write_text(html_page.read_text(encoding="utf-8").replace("</style>", f"@page {{ size: {paper}; }}</style>", 1), encoding="utf-8")
    pdf = html_page.with_name(f"agreement-{paper}.pdf")
    done = run_chromium(chromium(), printed, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    assert pdf.exists(), done.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    boxes = {tuple(round(float(v)) for v in box.split()[2:]) for box in re.findall(rb"/MediaBox\s*\[([^\]]+)\]", data)}
    assert boxes == {size}, boxes
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    assert 2 <= pages <= 12, pages
    shown = 0  # text-showing operators in the pages' content streams
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue
        shown += len(re.findall(rb"\bTJ\b|\bTj\b", content))
    assert shown >= pages * 5, f"{shown} pieces of text on {pages} pages"


# -- the command ------------------------------------------------------------------------------------


def test_render_writes_markdown_or_html_by_the_extension(tmp_path: Path) -> None:
    rules = str(ROOT / "rules" / "b2b-saas.yaml")
    code, out, err = cli("render", rules, "--date", DAY)
    assert (code, err) == (0, "")
    assert out == leadspec.render(leadspec.load(rules), date=DAY)
    target = tmp_path / "agreement.html"
    code, out, err = cli("render", rules, "--date", DAY, "-o", str(target))
    assert (code, out, err) == (0, "", "")
    assert target.read_text(encoding="utf-8") == leadspec.render(leadspec.load(rules), "html", date=DAY)
    code, out, _ = cli("render", rules, "--format", "html", "--date", DAY)
    assert code == 0 and out.startswith("<!DOCTYPE html>")


def test_render_refuses_a_bad_date_its_own_input_and_bad_rules(tmp_path: Path) -> None:
    rules = tmp_path / "acme.yaml"
    rules.write_text((ROOT / "rules" / "b2b-saas.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    before = rules.read_bytes()
    code, _, err = cli("render", str(rules), "-o", str(rules))
    assert code == 2 and "would be overwritten" in err and rules.read_bytes() == before
    code, _, err = cli("render", str(rules), "--date", "tomorrow")
    assert code == 2 and "YYYY-MM-DD" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("leadspec: 1\nname: broken\nstages:\n  - id: s\n    when: employes > 1\n", encoding="utf-8")
    code, out, err = cli("render", str(broken), "-o", str(tmp_path / "out.md"))
    assert code == 2 and "unknown-name" in err and not (tmp_path / "out.md").exists()
    code, _, err = cli("render", str(rules), "-o", str(tmp_path / "missing-dir" / "out.md"))
    assert code == 2 and "nothing written" in err


# -- diff --format html -----------------------------------------------------------------------------


def _versions(tmp_path: Path) -> tuple[Path, Path]:
    text = (ROOT / "rules" / "b2b-saas.yaml").read_text(encoding="utf-8")
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(text, encoding="utf-8")
    new.write_text(text.replace('version: "2026-Q4"', 'version: "2027-Q1"').replace("50 <= employees <= 5000", "100 <= employees <= 5000"), encoding="utf-8")
    return old, new


def test_diff_as_html_shows_the_changes_and_both_agreements_side_by_side(tmp_path: Path) -> None:
    old, new = _versions(tmp_path)
    leads = tmp_path / "leads.jsonl"
    leads.write_text('{"id": "a", "company": {"employees": 80}}\n{"id": "b", "company": {"employees": 800}}\n', encoding="utf-8")
    code, out, err = cli("diff", str(old), str(new), "--leads", str(leads), "--as-of", DAY, "--format", "html")
    assert (code, err) == (0, "")
    assert out.startswith("<!DOCTYPE html>") and not re.search(r"<script|<link\b|<img\b|https?://", out)
    assert "<li>icp.size: employees lower bound 50 → 100</li>" in out
    assert "Impact on 2 leads" in out
    before, after = out.split('<p class="note">Before</p>')[1].split('<p class="note">After</p>')
    assert '<li class="old"><strong>size</strong>: employees from 50 to 5,000' in before  # the changed criterion, marked on both sides
    assert '<li class="new"><strong>size</strong>: employees from 100 to 5,000' in after
    assert '<li class="old"><strong>industry</strong>' not in before  # an unchanged one is not
    assert out.count("Lead agreement: b2b-saas") == 2


def test_diff_as_html_opens_in_chromium(tmp_path: Path) -> None:
    old, new = _versions(tmp_path)
    code, out, _ = cli("diff", str(old), str(new), "--format", "html")
    assert code == 0
    page = tmp_path / "review.html"
    page.write_text(out, encoding="utf-8")
    found = _probe(page, 1200)
    assert found["scroll"] <= found["client"] and found["blocked"] == [] and found["loaded"] == 0, found


def test_to_html_needs_the_diff_of_two_rulesets() -> None:
    result = leadspec.diff(leadspec.load(ROOT / "rules" / "b2b-saas.yaml"), leadspec.load(ROOT / "rules" / "b2b-saas.yaml"))
    assert "0 changes" in result.to_html(date=DAY)
    bare = leadspec.RulesDiff(old=result.old, new=result.new, edits=())
    with pytest.raises(ValueError, match="needs the two rulesets"):
        bare.to_html()


def test_scores_in_words_window_half_life_caps_bounds_and_rules() -> None:
    rules = leadspec.loads(
        """
leadspec: 1
name: scores
fields:
  employees: {type: integer}
  events: {type: events, values: [demo, visit]}
scores:
  recency:
    window: 2w
    half_life: 7d
    events:
      demo: 30
      visit: {points: 1.5, max: 6}
    min: 0
  fit:
    rules:
      - {id: big, when: employees >= 1000, points: 20, because: "{employees} people"}
      - {id: tiny, when: employees < 10, points: -15, missing: fail}
    max: 50
stages:
  - id: hot
    when: score('recency') + score('fit') >= 40
"""
    )
    text = leadspec.render(rules, date=DAY)
    assert "Events of the last 2 weeks count; an event's points halve every 1 week of its age; the total is at least 0." in text
    assert "| demo | +30 | no cap |" in text and "| visit | +1.5 | 6 |" in text
    assert "| **big** | employees at least 1,000 — explained as “«employees» people” | +20 |" in text
    assert "| **tiny** | employees below 10 — when unknown: counts as failed | -15 |" in text
    assert "The total is at most 50." in text
    assert "A lead reaches this stage with the recency score plus the fit score at least 40." in text


# -- found by review --------------------------------------------------------------------------------


def test_a_none_stage_of_one_criterion_is_not_read_as_a_when_stage() -> None:
    """Review: `none: [{id: when, ...}]` was shown as "A lead reaches this stage with employees above 5", the opposite."""
    rules = leadspec.loads("leadspec: 1\nname: n\nfields:\n  employees: {type: integer}\nstages:\n  - id: icp\n    none:\n      - {id: when, when: employees > 5}\n")
    text = leadspec.render(rules, date=DAY)
    assert "A lead reaches this stage with **none of**:\n\n- **when**: employees above 5" in text
    assert rules.evaluate({"employees": 1}, as_of=DAY).stage == "icp"


HOSTILE = """
leadspec: 1
name: hostile
description: "# not a heading\\n\\n- not a list <script>alert(1)</script>"
fields:
  title: {type: string, description: "a `code` | pipe\\nand a new line <b>x</b>"}
  odd: {type: string, source: "x|y"}
  n: {type: integer, default: 100}
lists:
  marks: ['a**b', 'c**d', 'f`g', '<i>']
stages:
  - id: s
    label: "Two\\nlines"
    owner: "sales\\nteam"
    description: "1. not a list"
    all:
      - {id: a, when: title in marks, because: "line one\\nline two `tick` «x»"}
      - {id: b, when: 50 <= n <= 500}
"""


def test_text_from_the_rule_file_is_never_markup() -> None:
    rules = leadspec.loads(HOSTILE)
    text = leadspec.render(rules, date=DAY)
    assert not re.search(r"(?<!\\)<(?!/?(details|summary)>)", text)  # Markdown passes raw HTML through: every < escaped
    assert "\\<script\\>" in text
    assert "\n\\# not a heading - not a list \\<script\\>" in text  # one line, and no heading
    assert "'a\\*\\*b', 'c\\*\\*d', 'f\\`g', '\\<i\\>'" in text  # values, not emphasis or code
    assert "| **odd** | string | `x\\|y` |" in text  # a `|` in a code span of a table is escaped too
    assert "a \\`code\\` \\| pipe and a new line \\<b\\>x\\</b\\>" in text  # the description stays in its cell, on one line
    assert "### 1. Two lines (`s`)" in text and "Owner: **sales team**." in text
    assert "\n1\\. not a list.\n" in text
    assert "explained as “line one line two \\`tick\\` «x»”" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "|---" not in line]
    assert all(line.count(" | ") - line.count("\\|") >= 1 for line in rows)
    assert [line for line in text.split("## Signed")[1].splitlines() if line.startswith("| ")][1:] == ["| sales team |  |  |  |"]
    page = leadspec.render(rules, "html", date=DAY)
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "'a**b', 'c**d', 'f`g', '&lt;i&gt;'" in page.replace("&#x27;", "'") and "a<strong>b" not in page


def test_what_decides_a_value_is_on_the_page_defaults_markers_bounds_all_values() -> None:
    """Review: a default (a missing employees counting as 100) changes outcomes and was not shown; so were markers."""
    rules = leadspec.loads(HOSTILE)
    text = leadspec.render(rules, date=DAY)
    assert "| **n** | integer |  | a missing value counts as 100 |  |" in text
    assert [c.outcome for c in rules.evaluate({}, as_of=DAY).criteria if c.id == "s.b"] == ["pass"]  # n missing: 100, in range
    long = leadspec.loads(
        "leadspec: 1\nname: l\nfields:\n  c: {type: string}\nstages:\n  - id: s\n    when: c in [" + ", ".join(f"'v{i}'" for i in range(25)) + "]\n"
    )
    page = leadspec.render(long, date=DAY)
    assert "'v24'" in page and "more" not in page  # a literal list is named whole on the page (explanations count the rest)
    assert "and 5 more" in long._sentence(long.plan.criterion("s.when"))


def test_the_disqualifier_rule_says_a_pass_policy_disqualifies_when_unknown() -> None:
    rules = leadspec.loads(
        "leadspec: 1\nname: d\nfields:\n  title: {type: string}\ndisqualify:\n  - {id: spam, when: \"title == 'spam'\", missing: pass}\nstages:\n  - {id: s, when: has(title)}\n"
    )
    text = leadspec.render(rules, date=DAY)
    assert "unless it says it counts as passed when unknown" in text and "when unknown: counts as passed" in text
    assert rules.evaluate({}, as_of=DAY).stage == "disqualified"


def test_diff_html_marks_a_changed_when_stage_and_a_changed_score_rule(tmp_path: Path) -> None:
    text = (ROOT / "rules" / "x-education.yaml").read_text(encoding="utf-8")
    old = leadspec.loads(text)
    new = leadspec.loads(text.replace("when: seconds_on_site >= 600\n", "when: seconds_on_site >= 900\n", 1))
    page = leadspec.diff(old, new).to_html(date=DAY)
    assert '<tr class="old"><td><strong>long_visit</strong></td><td>seconds_on_site at least 600' in page
    assert '<tr class="new"><td><strong>long_visit</strong></td><td>seconds_on_site at least 900' in page
    simple = "leadspec: 1\nname: w\nfields:\n  employees: {type: integer}\nstages:\n  - {id: big, when: employees > N}\n"
    page = leadspec.diff(leadspec.loads(simple.replace("N", "5")), leadspec.loads(simple.replace("N", "50"))).to_html(date=DAY)
    assert '<p class="old">A lead reaches this stage with employees above 5.</p>' in page
    assert '<p class="new">A lead reaches this stage with employees above 50.</p>' in page


def test_diff_html_names_the_sample_leads(tmp_path: Path) -> None:
    old, new = _versions(tmp_path)
    leads = [{"id": "lead-7", "company": {"employees": 80, "industry": "saas", "country": "US"}, "seniority": "vp"}]
    result = leadspec.diff(leadspec.load(old), leadspec.load(new), leads, as_of=DAY)
    assert "<li>icp → lead: lead-7 (icp.size pass → fail)</li>" in result.to_html(date=DAY)


def test_render_refuses_the_working_file_of_a_rev_path_an_empty_output_and_other_date_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    (tmp_path / "rules").mkdir()
    target = tmp_path / "rules" / "acme.yaml"
    target.write_text((ROOT / "rules" / "b2b-saas.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    for command in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "rules"]):
        subprocess.run(["git", *command], cwd=tmp_path, check=True, capture_output=True)
    monkeypatch.chdir(tmp_path)
    before = target.read_bytes()
    code, _, err = cli("render", "HEAD:rules/acme.yaml", "-o", "rules/acme.yaml")
    assert code == 2 and "would be overwritten" in err and target.read_bytes() == before
    code, out, _ = cli("render", "HEAD:rules/acme.yaml", "--date", DAY)
    assert code == 0 and out.startswith("# Lead agreement: b2b-saas")
    code, _, err = cli("render", "rules/acme.yaml", "-o", "")
    assert code == 2 and "needs a file name" in err
    for day in ("20261201", "2026-W48-1"):
        code, _, err = cli("render", "rules/acme.yaml", "--date", day)
        assert code == 2 and "YYYY-MM-DD" in err, day
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            leadspec.render(leadspec.load(target), date=day)
