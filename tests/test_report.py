"""``leadspec.report`` and ``leadspec report``: every number against an independent computation.

The oracle evaluates the same leads through the public API (``Result.criteria``,
``Result.next``, ``Result.missing``: not the report's shortcuts) and counts with
pandas; the Wilson interval is solved from its quadratic, not from the
closed form the report uses.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import pytest

import leadspec
from conftest import FIXTURES, ROOT, SHARED_DATA, cli

pd = pytest.importorskip("pandas")

X_EDUCATION = SHARED_DATA / "x-education-leads.csv"
MAVEN = SHARED_DATA / "maven-crm" / "sales_pipeline.csv"
SAMPLE = ROOT / "examples" / "x-education-sample.csv"
AS_OF = "2026-11-01"


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _wilson_by_quadratic(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The p with (k/n - p)^2 = z^2 p (1 - p) / n: the roots of (1 + z^2/n) p^2 - (2 k/n + z^2/n) p + (k/n)^2 = 0."""
    phat = k / n
    a = 1 + z * z / n
    b = -(2 * phat + z * z / n)
    c = phat * phat
    root = math.sqrt(b * b - 4 * a * c)
    return ((-b - root) / (2 * a), (-b + root) / (2 * a))


def _oracle(rules: Any, rows: list[dict[str, str]], outcome: str, positive: set[str], feedback: str | None, value: str | None) -> dict[str, Any]:
    records = []
    for row in rows:
        result = rules.evaluate(row, as_of=AS_OF)
        cell = (row.get(outcome) or "").strip()
        record: dict[str, Any] = {
            "stage": result.stage,
            "has": bool(cell),
            "hit": bool(cell) and cell.lower() in positive,
            "blocked": list(result.next.blocked_by) if result.next is not None else [],
            "missing": list(result.missing),
            "feedback": (row.get(feedback) or "").strip() if feedback else "",
            "value": pd.to_numeric((row.get(value) or "").strip(), errors="coerce") if value else float("nan"),
        }
        for crit in result.criteria:
            record["c:" + crit.id] = crit.outcome
        for name, score in result.scores.items():
            record["s:" + name] = round(float(score.total), 6)
        records.append(record)
    return {"frame": pd.DataFrame(records)}


def _check(report: Any, rules: Any, frame: Any, feedback: str | None, value: str | None) -> None:
    n = len(frame)
    assert report.leads == n
    assert report.with_outcome == int(frame["has"].sum())
    assert report.positive == int(frame["hit"].sum())
    plan = rules.plan
    assert [s.id for s in report.stages] == [plan.base.id, *(s.id for s in plan.stages), "disqualified"]
    rates = []
    for stage in report.stages:
        part = frame[frame["stage"] == stage.id]
        assert stage.count == len(part)
        assert stage.share == pytest.approx(len(part) / n, abs=1e-12)
        known, hits = int(part["has"].sum()), int(part["hit"].sum())
        assert (stage.with_outcome, stage.positive) == (known, hits)
        if known:
            assert stage.outcome_rate == pytest.approx(hits / known, abs=1e-12)
            low, high = _wilson_by_quadratic(hits, known)
            assert stage.interval is not None
            assert stage.interval[0] == pytest.approx(max(0.0, low), abs=1e-9)
            assert stage.interval[1] == pytest.approx(min(1.0, high), abs=1e-9)
            if stage.id != "disqualified":
                rates.append(hits / known)
        else:
            assert stage.outcome_rate is None and stage.interval is None
        counted = pd.Series([c for cs in part["blocked"] for c in cs], dtype=object).value_counts()
        expected = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
        assert stage.blocked_by == [(str(k), int(v)) for k, v in expected]
        if value is not None:
            values = part["value"].dropna()
            if len(values):
                assert stage.value_sum == pytest.approx(float(values.sum()), rel=1e-12)
                assert stage.value_mean == pytest.approx(float(values.mean()), rel=1e-12)
            else:
                assert stage.value_sum is None and stage.value_mean is None
    assert report.rate_rises_with_stage == (all(a <= b for a, b in zip(rates, rates[1:])) if len(rates) >= 2 else None)
    for crit in report.criteria:
        column = frame["c:" + crit.id]
        assert (crit.passed, crit.failed, crit.unknown) == tuple(int((column == o).sum()) for o in ("pass", "fail", "unknown"))
        rate = {}
        for word in ("pass", "fail", "unknown"):
            group = frame[(column == word) & frame["has"]]
            rate[word] = group["hit"].mean() if len(group) else None
        for got, word in ((crit.rate_pass, "pass"), (crit.rate_fail, "fail"), (crit.rate_unknown, "unknown")):
            assert got == (None if rate[word] is None else pytest.approx(rate[word], abs=1e-12))
        if rate["pass"] is not None and rate["fail"]:
            assert crit.lift == pytest.approx(rate["pass"] / rate["fail"], rel=1e-12)
        else:
            assert crit.lift is None
    assert [s.name for s in report.scores] == [s.name for s in rules.plan.scores]
    for score in report.scores:
        column = frame["s:" + score.name]
        distinct = sorted(column.unique())
        if len(distinct) <= 12:
            assert [(b.low, b.high) for b in score.bands] == [(v, v) for v in distinct]
            groups = [frame[column == v] for v in distinct]
        else:
            low, high = distinct[0], distinct[-1]
            edges = [low + (high - low) * i / 10 for i in range(11)]
            edges[-1] = math.nextafter(high, math.inf)  # the last band holds the highest score
            cut = pd.cut(column, bins=edges, right=False, labels=False)
            groups = [frame[cut == i] for i in range(10)]
            assert [b.low for b in score.bands] == pytest.approx(edges[:-1], abs=1e-9)
        assert [(b.count, b.with_outcome, b.positive) for b in score.bands] == [(len(g), int(g["has"].sum()), int(g["hit"].sum())) for g in groups]
        for band, g in zip(score.bands, groups):
            known = int(g["has"].sum())
            assert band.outcome_rate == (None if not known else pytest.approx(g["hit"].sum() / known, abs=1e-12))
        assert {t.value for t in score.thresholds} <= {c.threshold for c in score.sweep}
        assert len(score.sweep) <= 40 + len(score.thresholds)
        for c in score.sweep:
            above = frame[column >= c.threshold]
            known = int(above["has"].sum())
            assert (c.count, c.with_outcome, c.positive) == (len(above), known, int(above["hit"].sum()))
            assert c.share == pytest.approx(len(above) / n, abs=1e-12)
            assert c.outcome_rate == (None if not known else pytest.approx(above["hit"].sum() / known, abs=1e-12))
    counted = pd.Series([m for ms in frame["missing"] for m in ms], dtype=object).value_counts()
    assert report.missing == sorted(((str(k), int(v)) for k, v in counted.items()), key=lambda kv: (-kv[1], kv[0]))
    if feedback is not None:
        said = frame[frame["feedback"] != ""]
        expected_notes = []
        for stage in report.stages:
            notes = said[said["stage"] == stage.id]["feedback"].value_counts()
            for note, count in sorted(notes.items(), key=lambda kv: (-kv[1], kv[0])):
                expected_notes.append((stage.id, note, int(count), count / notes.sum()))
        assert [(f.stage, f.value, f.count) for f in report.feedback] == [e[:3] for e in expected_notes]
        assert [f.share for f in report.feedback] == pytest.approx([e[3] for e in expected_notes], abs=1e-12)


def test_the_x_education_report_equals_an_independent_count() -> None:
    if not X_EDUCATION.is_file():
        pytest.skip(f"the real export {X_EDUCATION} is not there")
    rules = leadspec.load(ROOT / "rules" / "x-education.yaml")
    rows = _rows(X_EDUCATION)
    report = leadspec.report(rules, iter(rows), outcome="Converted", feedback="Tags", as_of=AS_OF)
    oracle = _oracle(rules, rows, "Converted", {"1", "true", "yes", "y", "t", "won", "converted"}, "Tags", None)
    _check(report, rules, oracle["frame"], "Tags", None)
    assert report.leads == 9240
    assert report.rate_rises_with_stage is True  # lead < icp < mql < sql on the real export
    engagement = next(s for s in report.scores if s.name == "engagement")
    assert [(t.criterion, t.op, t.value) for t in engagement.thresholds] == [("mql.engaged", ">=", 30.0)]


def test_the_maven_report_with_won_deals_and_their_value_equals_an_independent_count() -> None:
    if not MAVEN.is_file():
        pytest.skip(f"the real export {MAVEN} is not there")
    rules = leadspec.load(FIXTURES / "maven-pipeline.yaml")
    rows = _rows(MAVEN)
    report = leadspec.report(rules, rows, outcome="deal_stage", positive=["Won"], value="close_value", as_of=AS_OF)
    oracle = _oracle(rules, rows, "deal_stage", {"won"}, None, "close_value")
    _check(report, rules, oracle["frame"], None, "close_value")
    assert report.positive == sum(row["deal_stage"] == "Won" for row in rows)
    assert report.positive_values == ["won"]


def test_the_report_of_the_shipped_sample_equals_an_independent_count() -> None:
    rules = leadspec.load(ROOT / "rules" / "x-education.yaml")
    rows = _rows(SAMPLE)
    report = leadspec.report(rules, rows, outcome="Converted", feedback="Tags", value="TotalVisits", as_of=AS_OF)
    oracle = _oracle(rules, rows, "Converted", {"1", "true", "yes", "y", "t", "won", "converted"}, "Tags", "TotalVisits")
    _check(report, rules, oracle["frame"], "Tags", "TotalVisits")


def test_a_lead_without_an_outcome_counts_in_the_funnel_but_in_no_rate() -> None:
    rules = leadspec.loads(
        "leadspec: 1\nname: t\nfields:\n  size: {type: integer}\nstages:\n  - id: big\n    all:\n      - sized: size >= 10\n"
    )
    leads = [{"size": "20", "won": "yes"}, {"size": "30", "won": ""}, {"size": "40", "won": "no"}, {"size": "1", "won": "YES"}, {"size": "2"}]
    report = leadspec.report(rules, leads, outcome="won", as_of=AS_OF)
    big = report.stages[1]
    assert (big.id, big.count, big.with_outcome, big.positive, big.outcome_rate) == ("big", 3, 2, 1, 0.5)
    base = report.stages[0]
    assert (base.count, base.with_outcome, base.positive, base.outcome_rate) == (2, 1, 1, 1.0)
    assert (report.leads, report.with_outcome, report.positive) == (5, 3, 2)
    assert report.stages[2].id == "disqualified" and report.stages[2].count == 0 and report.stages[2].outcome_rate is None
    assert report.rate_rises_with_stage is False  # 100% in the base stage, 50% in big


@pytest.mark.parametrize(
    "condition, expected",
    [
        ("score('fit') >= 40", [(">=", 40.0)]),
        ("40 < score('fit')", [(">", 40.0)]),
        ("10 <= score('fit') < 50", [(">=", 10.0), ("<", 50.0)]),
        ("score('fit') == 40 or score('other') > 3", []),
    ],
)
def test_the_thresholds_the_rules_compare_a_score_with_are_found(condition: str, expected: list[tuple[str, float]]) -> None:
    rules = leadspec.loads(
        "leadspec: 1\nname: t\nfields:\n  size: {type: integer}\nscores:\n  fit:\n    rules:\n      - {id: big, when: size > 10, points: 50}\n"
        "  other:\n    rules:\n      - {id: small, when: size < 10, points: 5}\n"
        f"stages:\n  - id: good\n    all:\n      - fit_enough: \"{condition}\"\n"
    )
    report = leadspec.report(rules, [{"size": "20", "won": "1"}, {"size": "5", "won": "0"}], outcome="won", as_of=AS_OF)
    fit = next(s for s in report.scores if s.name == "fit")
    assert [(t.op, t.value) for t in fit.thresholds] == expected
    assert all(t.criterion == "good.fit_enough" for t in fit.thresholds)


def test_the_json_has_the_documented_keys() -> None:
    rules = leadspec.load(ROOT / "rules" / "x-education.yaml")
    data = json.loads(json.dumps(leadspec.report(rules, _rows(SAMPLE), outcome="Converted", as_of=AS_OF).to_dict()))
    for stage in data["stages"]:
        assert {"id", "count", "outcome_rate", "interval", "share", "positive", "with_outcome"} <= set(stage)
    for crit in data["criteria"]:
        assert list(crit) == ["id", "pass", "fail", "unknown", "rate_pass", "rate_fail", "rate_unknown", "lift"]


def test_the_command_writes_markdown_or_json_whole(tmp_path: Path) -> None:
    rules = ROOT / "rules" / "x-education.yaml"
    code, out, err = cli("report", rules, SAMPLE, "--outcome", "Converted", "--feedback", "Tags", "--as-of", AS_OF)
    assert code == 0, err
    expected = leadspec.report(leadspec.load(rules), _rows(SAMPLE), outcome="Converted", feedback="Tags", as_of=AS_OF)
    assert out == expected.to_markdown()
    assert "| Sales qualified lead (`sql`) |" in out
    target = tmp_path / "report.json"
    code, out, err = cli("report", rules, SAMPLE, "--outcome", "Converted", "--as-of", AS_OF, "--format", "json", "-o", target)
    assert (code, out, err) == (0, "", "")
    assert json.loads(target.read_text(encoding="utf-8"))["leads"] == len(_rows(SAMPLE))


def test_a_column_no_lead_has_is_named_in_a_warning(tmp_path: Path) -> None:
    code, _out, err = cli("report", ROOT / "rules" / "x-education.yaml", SAMPLE, "--outcome", "Convertd", "--feedback", "Tag", "--as-of", AS_OF)
    assert code == 0
    assert "warning: no lead has a value in the column --outcome 'Convertd' names; check its spelling" in err
    assert "warning: no lead has a value in the column --feedback 'Tag' names" in err


def test_unreadable_leads_leave_the_output_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("what was there\n", encoding="utf-8")
    broken = tmp_path / "leads.csv.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00broken")
    code, _out, err = cli("report", ROOT / "rules" / "x-education.yaml", broken, "--outcome", "Converted", "-o", target)
    assert code == 2
    assert "cannot read" in err
    assert target.read_text(encoding="utf-8") == "what was there\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leads.csv.gz", "report.md"]


def test_the_docs_show_the_report_of_the_real_export_as_it_is() -> None:
    if not X_EDUCATION.is_file():
        pytest.skip(f"the real export {X_EDUCATION} is not there")
    rules = leadspec.load(ROOT / "rules" / "x-education.yaml")
    made = leadspec.report(rules, _rows(X_EDUCATION), outcome="Converted", feedback="Tags", as_of=AS_OF).to_markdown().splitlines()
    page = (ROOT / "docs" / "outcome-report.md").read_text(encoding="utf-8")
    shown = page[page.index("## The report of `rules/x-education.yaml` on the real export") : page.index("## The Maven CRM opportunities")]
    rows = [line for line in shown.splitlines() if line.startswith(("| ", "- "))]
    assert len(rows) > 15
    for line in rows:
        assert line in made, line


def test_a_comparison_with_another_version_equals_an_independent_count(tmp_path: Path) -> None:
    new = leadspec.load(ROOT / "rules" / "x-education.yaml")
    text = (ROOT / "rules" / "x-education.yaml").read_text(encoding="utf-8")
    assert "score('engagement') >= 30" in text
    old = leadspec.loads(text.replace("score('engagement') >= 30", "score('engagement') >= 20"))
    rows = _rows(SAMPLE)
    report = leadspec.report(new, rows, outcome="Converted", as_of=AS_OF, compare=old)
    frame = pd.DataFrame(
        {
            "old": [old.evaluate(row, as_of=AS_OF).stage for row in rows],
            "new": [new.evaluate(row, as_of=AS_OF).stage for row in rows],
            "has": [bool(row["Converted"].strip()) for row in rows],
            "hit": [row["Converted"].strip() == "1" for row in rows],
        }
    )
    compared = report.compared
    assert compared is not None and compared.digest == old.digest
    for stage in compared.stages:
        part = frame[frame["old"] == stage.id]
        assert (stage.count, stage.with_outcome, stage.positive) == (len(part), int(part["has"].sum()), int(part["hit"].sum()))
    moved = frame[frame["old"] != frame["new"]].groupby(["old", "new"])
    expected = sorted(((int(len(g)), a, b, int(g["hit"].sum())) for (a, b), g in moved), key=lambda t: (-t[0], t[1], t[2]))
    assert [(m.count, m.from_stage, m.to_stage, m.positive) for m in compared.moves] == expected
    assert expected  # the lower threshold moves some leads of the sample
    assert [s.count for s in report.stages] == [int((frame["new"] == s.id).sum()) for s in report.stages]
    same = leadspec.report(new, rows, outcome="Converted", as_of=AS_OF, compare=new)
    assert same.compared is not None and same.compared.moves == []
    assert "None: every lead keeps its stage." in same.to_markdown()


def test_the_command_compares_with_a_file_and_refuses_one_it_cannot_read(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    old.write_text((ROOT / "rules" / "x-education.yaml").read_text(encoding="utf-8").replace("score('engagement') >= 30", "score('engagement') >= 20"), encoding="utf-8")
    code, out, err = cli("report", ROOT / "rules" / "x-education.yaml", SAMPLE, "--outcome", "Converted", "--as-of", AS_OF, "--compare", old)
    assert code == 0, err
    assert "## Compared with x-education 2026-11" in out
    assert "Leads that change stage:" in out and "→" in out
    code, _out, err = cli("report", ROOT / "rules" / "x-education.yaml", SAMPLE, "--outcome", "Converted", "--compare", tmp_path / "nope.yaml")
    assert code == 2
    assert "nope.yaml" in err


def test_the_docs_show_the_comparison_on_the_real_export_as_it_is() -> None:
    if not X_EDUCATION.is_file():
        pytest.skip(f"the real export {X_EDUCATION} is not there")
    text = (ROOT / "rules" / "x-education.yaml").read_text(encoding="utf-8")
    old = leadspec.loads(text.replace("score('engagement') >= 30", "score('engagement') >= 40"))
    made = leadspec.report(leadspec.loads(text), _rows(X_EDUCATION), outcome="Converted", as_of=AS_OF, compare=old).to_markdown().splitlines()
    page = (ROOT / "docs" / "outcome-report.md").read_text(encoding="utf-8")
    rows = [line for line in page[page.index("## Comparing two versions") :].splitlines() if line.startswith("| ")]
    assert len(rows) >= 9
    for line in rows:
        assert line in made, line


def test_the_json_validates_against_the_committed_schema(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    committed = json.loads((ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8"))
    assert committed == leadspec.Report.json_schema(), "docs/report.schema.json is out of date: leadspec schema --report > docs/report.schema.json"
    code, out, _err = cli("schema", "--report")
    assert code == 0 and json.loads(out) == committed
    jsonschema.Draft202012Validator.check_schema(committed)
    validator = jsonschema.Draft202012Validator(committed)
    old = leadspec.loads((ROOT / "rules" / "x-education.yaml").read_text(encoding="utf-8").replace("score('engagement') >= 30", "score('engagement') >= 20"))
    report = leadspec.report(leadspec.load(ROOT / "rules" / "x-education.yaml"), _rows(SAMPLE), outcome="Converted", feedback="Tags", value="TotalVisits", as_of=AS_OF, compare=old)
    data = json.loads(json.dumps(report.to_dict()))
    assert list(validator.iter_errors(data)) == []
    broken = dict(data, stages=[{"id": "x"}])
    assert list(validator.iter_errors(broken))  # the schema holds the required keys
    code, _out, err = cli("schema", "--report", "--plan")
    assert code == 2 and "give one of them" in err


def test_the_docs_show_the_report_of_the_maven_export_as_it_is() -> None:
    if not MAVEN.is_file():
        pytest.skip(f"the real export {MAVEN} is not there")
    rules = leadspec.load(ROOT / "examples" / "maven-deals.yaml")
    report = leadspec.report(rules, _rows(MAVEN), outcome="deal_stage", positive=["Won"], value="close_value", as_of=AS_OF)
    made = report.to_markdown().splitlines()
    page = (ROOT / "docs" / "outcome-report.md").read_text(encoding="utf-8")
    rows = [line for line in page[page.index("## The Maven CRM opportunities") : page.index("## The JSON")].splitlines() if line.startswith("| ")]
    assert len(rows) == 10  # the funnel's 5 stages and the 3 criteria, under their headers
    for line in rows:
        assert line in made, line
    oracle = _oracle(rules, _rows(MAVEN), "deal_stage", {"won"}, None, "close_value")
    _check(report, rules, oracle["frame"], None, "close_value")


@pytest.mark.parametrize("which", ["leads", "rules"])
def test_the_report_is_never_written_over_a_file_it_reads(tmp_path: Path, which: str) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_bytes(SAMPLE.read_bytes())
    rules = tmp_path / "rules.yaml"
    rules.write_bytes((ROOT / "rules" / "x-education.yaml").read_bytes())
    target = leads if which == "leads" else rules
    before = target.read_bytes()
    code, _out, err = cli("report", rules, leads, "--outcome", "Converted", "-o", target)
    assert code == 2
    assert "it would be overwritten. Write somewhere else" in err
    assert target.read_bytes() == before


def test_a_parquet_file_is_reported_as_the_same_csv(tmp_path: Path) -> None:
    pa_csv = pytest.importorskip("pyarrow.csv")
    pq = pytest.importorskip("pyarrow.parquet")
    typed = pa_csv.read_csv(SAMPLE, convert_options=pa_csv.ConvertOptions(strings_can_be_null=False))  # Converted: int64
    assert str(typed.schema.field("Converted").type) == "int64"
    source = tmp_path / "leads.parquet"
    pq.write_table(typed, source)
    as_float = tmp_path / "float.parquet"
    pq.write_table(typed.set_column(typed.schema.get_field_index("Converted"), "Converted", typed["Converted"].cast("float64")), as_float)
    args = ("--outcome", "Converted", "--feedback", "Tags", "--as-of", AS_OF, "--format", "json")
    _code, from_csv, _err = cli("report", ROOT / "rules" / "x-education.yaml", SAMPLE, *args)
    for path in (source, as_float):
        code, out, err = cli("report", ROOT / "rules" / "x-education.yaml", path, *args)
        assert code == 0, err
        assert json.loads(out) == json.loads(from_csv)  # an outcome of 1.0 is positive as 1 is
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    code, _out, err = cli("report", ROOT / "rules" / "x-education.yaml", broken, "--outcome", "Converted")
    assert code == 2 and "broken.parquet: not a Parquet file" in err


# -- found by review ------------------------------------------------------------------------------

SMALL = "leadspec: 1\nname: t\nfields:\n  size: {type: integer}\n  tag: {type: string}\nstages:\n  - id: big\n    all:\n      - sized: size >= 10\n"


def test_an_output_that_cannot_be_written_is_said_not_raised(tmp_path: Path) -> None:
    code, _out, err = cli("report", ROOT / "rules" / "x-education.yaml", SAMPLE, "--outcome", "Converted", "-o", tmp_path / "no" / "such" / "dir.md")
    assert code == 2
    assert "cannot write" in err and "nothing written" in err


def test_outcomes_written_as_numbers_count_as_the_number_they_are() -> None:
    rules = leadspec.loads(SMALL)
    leads = [{"size": "20", "won": "1.0"}, {"size": "20", "won": 1.0}, {"size": "20", "won": "0.0"}, {"size": "20", "won": 1}]
    report = leadspec.report(rules, leads, outcome="won", as_of=AS_OF)
    assert (report.with_outcome, report.positive) == (4, 3)
    report = leadspec.report(rules, [{"size": "20", "won": "Won"}, {"size": "1", "won": "Lost"}], outcome="won", positive="Won", as_of=AS_OF)
    assert report.positive_values == ["won"] and report.positive == 1  # a text is one value, not its letters


def test_an_outcome_none_of_whose_values_is_positive_is_warned_with_the_values_it_holds(tmp_path: Path) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text("size,won\n20,Closed Won\n5,Closed Lost\n", encoding="utf-8")
    rules = tmp_path / "r.yaml"
    rules.write_text(SMALL, encoding="utf-8")
    code, _out, err = cli("report", rules, leads, "--outcome", "won", "--as-of", AS_OF)
    assert code == 0
    assert "warning: no lead's 'won' is one of the positive values" in err
    assert "'Closed Lost'" in err and "'Closed Won'" in err and "give --positive VALUE" in err


def test_texts_cannot_break_a_markdown_row_or_add_html() -> None:
    rules = leadspec.loads(SMALL)
    report = leadspec.report(rules, [{"size": "20", "won": "1", "tag": "one\rtwo|three <script>x</script>"}], outcome="won", feedback="tag", as_of=AS_OF)
    row = next(line for line in report.to_markdown().splitlines() if "two" in line)
    assert row == "| `big` | one two\\|three &lt;script>x&lt;/script> | 1 | 100.0% |"


def test_values_are_numbers_or_are_counted_as_unread() -> None:
    rules = leadspec.loads(SMALL)
    cells = ["1,234.5", "1,5", "$300", "1.234,56", "10", "", "1e3", "-2", str(10**400), "1e308", "1e308"]
    report = leadspec.report(rules, [{"size": "20", "won": "1", "v": c} for c in cells], outcome="won", value="v", as_of=AS_OF)
    big = report.stages[1]
    assert report.values_unread == 4  # 1,5  $300  1.234,56  and 10**400 (beyond a float)
    assert big.value_sum is None  # 1e308 twice: beyond a float, not a number to show
    numbers = [1234.5, 10.0, 1000.0, -2.0, 1e308, 1e308]
    assert big.value_mean == pytest.approx(sum(n / len(numbers) for n in numbers), rel=1e-12)
    json.dumps(report.to_dict(), allow_nan=False)  # no Infinity or NaN in the JSON


def test_a_score_too_large_for_a_float_is_in_no_band() -> None:
    big = 10**400
    rules = leadspec.loads(
        "leadspec: 1\nname: t\nfields:\n  size: {type: integer}\nscores:\n  fit:\n    rules:\n"
        f"      - {{id: huge, when: size > 10, points: {big}}}\nstages:\n  - id: good\n    all:\n      - fits: \"score('fit') >= 1\"\n"
    )
    report = leadspec.report(rules, [{"size": "20", "won": "1"}, {"size": "5", "won": "0"}], outcome="won", as_of=AS_OF)
    fit = report.scores[0]
    assert [(b.low, b.count) for b in fit.bands] == [(0.0, 1)]
    assert report.to_markdown()


def test_band_edges_do_not_drift() -> None:
    from leadspec._report import _score

    tally = {round(i / 10, 2): [1, 1, 0] for i in range(21)}  # 0.0, 0.1, ..., 2.0
    bands = _score("s", tally, [], 21).bands
    assert [b.count for b in bands] == [2, 2, 2, 2, 2, 2, 2, 2, 2, 3]  # 0.6 opens the fourth band, 2.0 closes the last
    assert bands[3].low == pytest.approx(0.6) and bands[3].count == 2


def test_the_wilson_interval_is_exactly_0_and_1_at_its_ends() -> None:
    from leadspec._report import wilson

    for n in range(1, 300):
        assert wilson(0, n)[0] == 0.0
        assert wilson(n, n)[1] == 1.0


def test_a_compressed_json_report_and_a_report_read_back(tmp_path: Path) -> None:
    import gzip

    target = tmp_path / "report.json.gz"
    code, _out, err = cli("report", ROOT / "rules" / "x-education.yaml", SAMPLE, "--outcome", "Converted", "--as-of", AS_OF, "-o", target)
    assert code == 0, err
    data = json.loads(gzip.decompress(target.read_bytes()))
    assert leadspec.Report.model_validate(data).to_dict() == data


def test_the_html_comparison_has_the_stages_of_both_versions(tmp_path: Path) -> None:
    pytest.importorskip("plotly")
    new = leadspec.loads(SMALL)
    old = leadspec.loads(SMALL.replace("id: big", "id: large"))
    html = leadspec.report(new, [{"size": "20", "won": "1"}], outcome="won", as_of=AS_OF, compare=old).to_html()
    table = html[html.index("Compared with") :]
    assert "<td>large</td>" in table and "<td>big</td>" in table


def test_diff_reads_a_parquet_file_of_leads_too(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    pa_csv = pytest.importorskip("pyarrow.csv")
    source = tmp_path / "leads.parquet"
    pq.write_table(pa_csv.read_csv(SAMPLE), source)
    rules = ROOT / "rules" / "x-education.yaml"
    code, out, err = cli("diff", rules, rules, "--leads", source, "--as-of", AS_OF, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["leads"] == len(_rows(SAMPLE))


def test_free_text_feedback_is_counted_in_bounded_memory() -> None:
    rules = leadspec.loads(SMALL)
    leads = [{"size": "20", "won": "1", "tag": f"note {i}"} for i in range(250)] + [{"size": "20", "won": "1", "tag": "note 3"}]
    report = leadspec.report(rules, leads, outcome="won", feedback="tag", as_of=AS_OF)
    heard = {f.value: f.count for f in report.feedback}
    assert len(heard) == 201 and heard["(other values)"] == 50 and heard["note 3"] == 2
    assert sum(heard.values()) == 251
