"""``Ruleset.row_evaluator(columns)``: leads given as sequences of values, evaluated as the dict of the same columns is."""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leadspec
from _rulegen import AS_OFS, leads, loaded_rule_file
from conftest import cli, rules_text

EXAMPLES = 2000 if os.environ.get("LEADSPEC_FUZZ") else 150
ROOT = Path(__file__).resolve().parents[1]
EXPORT = ROOT.parent / "shared" / "data" / "x-education-leads.csv"
AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)


def assert_same(ours: leadspec.Result, theirs: leadspec.Result) -> None:
    """Two results alike in everything they say (the JSON text holds every outcome, value, score and issue)."""
    assert ours.stage == theirs.stage
    assert ours.issues == theirs.issues
    assert ours.to_json() == theirs.to_json()
    assert ours.summary() == theirs.summary()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_a_row_is_evaluated_as_the_dict_of_its_columns_on_random_rules_and_leads(data: st.DataObject) -> None:
    """The law: evaluate_row(values) == evaluate(dict(zip(columns, values))), whatever the columns: in any order, with
    columns the rules do not read, columns the rules read left out, and a name twice (the last value counts)."""
    rule_file, rules = loaded_rule_file(data)
    for _ in range(3):
        lead = data.draw(leads(rule_file), label="lead")
        items = list(lead.items()) + [("not read", "x")]
        items = data.draw(st.permutations(items), label="order")
        if items and data.draw(st.booleans(), label="a name twice"):
            name = items[0][0]
            items.insert(data.draw(st.integers(0, len(items)), label="where"), (name, data.draw(st.sampled_from(["", "N/A", "7", None]))))
        columns = [name for name, _ in items]
        values = [value for _, value in items]
        as_of = data.draw(AS_OFS, label="as_of")
        assert_same(rules.row_evaluator(columns)(values, as_of), rules.evaluate(dict(zip(columns, values)), as_of))
        for strict in (False, True):
            try:
                expected: Any = rules.evaluate(dict(zip(columns, values)), as_of, strict=strict)
            except leadspec.LeadError as exc:
                expected = exc
            try:
                got: Any = rules.row_evaluator(columns)(tuple(values), as_of, strict=strict)
            except leadspec.LeadError as exc:
                got = exc
            assert type(got) is type(expected)
            if isinstance(expected, leadspec.LeadError):
                assert (str(got), got.issues) == (str(expected), expected.issues)
            else:
                assert_same(got, expected)


@pytest.mark.skipif(not EXPORT.exists(), reason="the shared data is not beside the checkout")
def test_every_row_of_the_export_as_csv_reader_reads_it() -> None:
    rules = leadspec.load(ROOT / "rules" / "x-education.yaml")
    with open(EXPORT, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        evaluate_row = rules.row_evaluator(header)
        count = 0
        for values in reader:
            assert_same(evaluate_row(values, AS_OF), rules.evaluate(dict(zip(header, values)), AS_OF))
            count += 1
    assert count == 9240


RULES = rules_text(
    """
    fields:
      employees: {type: integer}
      sector: {type: string, source: account.sector}
    stages:
      - id: icp
        label: ICP fit
        all:
          - {id: size, when: "employees >= 50"}
          - {id: market, when: "sector == 'saas'"}
    """
)


def test_the_documented_use_with_csv_reader() -> None:
    rules = leadspec.loads(RULES)
    rows = csv.reader(["employees,account.sector,note", "120,saas,hello", "abc,saas,"])
    evaluate_row = rules.row_evaluator(next(rows))
    first, second = (evaluate_row(values, "2026-11-01") for values in rows)
    assert (first.stage, second.stage) == ("icp", "lead")
    assert [issue.field for issue in second.issues] == ["employees"]


def test_a_dotted_source_reads_a_nested_object_or_a_dotted_column() -> None:
    rules = leadspec.loads(RULES)
    nested = rules.row_evaluator(["employees", "account"])
    assert nested([100, {"sector": "saas"}], AS_OF).stage == "icp"
    assert nested([100, "saas"], AS_OF).values["sector"] is None  # text has no keys
    dotted = rules.row_evaluator(["account", "account.sector", "employees"])
    assert dotted([{"sector": "other"}, "saas", 100], AS_OF).stage == "icp"  # the column named as the source comes first
    assert rules.row_evaluator(["employees"])([100], AS_OF).values["sector"] is None  # a column left out: no value


def test_a_row_that_does_not_fit_the_columns_is_a_lead_error() -> None:
    evaluate_row = leadspec.loads(RULES).row_evaluator(["employees", "account.sector"])
    with pytest.raises(leadspec.LeadError, match="a row of 3 values for 2 columns"):
        evaluate_row(["1", "saas", "extra"], AS_OF)
    for bad, kind in (("12", "str"), (b"12", "bytes"), ({"employees": 1}, "dict"), (iter(["1", "2"]), "list_iterator"), (None, "NoneType")):
        with pytest.raises(leadspec.LeadError, match=f"a row is a sequence of values \\(a list, a tuple\\), not {kind}"):
            evaluate_row(bad, AS_OF)


def test_columns_are_names() -> None:
    rules = leadspec.loads(RULES)
    with pytest.raises(TypeError, match="columns are names \\(text\\), not int: 3"):
        rules.row_evaluator(["employees", 3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="columns are a sequence of names, not one str: 'employees'"):
        rules.row_evaluator("employees")

    class Name(str):  # a str subclass (numpy.str_ is one) is a name too
        pass

    assert rules.row_evaluator([Name("employees")])(["120"], AS_OF).values["employees"] == 120


def test_text_and_bytes_are_no_rows() -> None:
    evaluate_row = leadspec.loads(RULES).row_evaluator(["employees", "account.sector"])
    for bad in (bytearray(b"12"), memoryview(b"12")):
        with pytest.raises(leadspec.LeadError, match=f"not {type(bad).__name__}"):
            evaluate_row(bad, AS_OF)
    assert evaluate_row(range(60, 62), AS_OF).values["employees"] == 60  # any other sequence of values is a row


def test_the_code_of_columns_no_longer_kept_leaves_linecache() -> None:
    """Review finding: every set of columns left its source in linecache for as long as the rules lived (44 MB for
    2,000 headers of the export's rules)."""
    import gc
    import linecache

    rules = leadspec.loads(RULES)

    def ours() -> set[str]:
        return {name for name in linecache.cache if str(name).startswith("<leadspec t by position #")}

    before = ours()
    for i in range(40):
        rules.row_evaluator(["employees", f"column {i}"])
    gc.collect()
    kept = ours() - before
    assert len(kept) == 16  # the kept ones, whose tracebacks still show their lines
    assert all(linecache.getline(name, 1) for name in kept)


def test_an_as_of_too_early_for_the_windows_is_refused_as_evaluate_refuses_it() -> None:
    rules = leadspec.load(ROOT / "rules" / "b2b-saas.yaml")  # windows of days: the year 1 has no start for them
    early = datetime(1, 1, 2, tzinfo=timezone.utc)
    with pytest.raises(ValueError) as by_dict:
        rules.evaluate({}, early)
    with pytest.raises(ValueError) as by_row:
        rules.row_evaluator([])([], early)
    assert str(by_row.value) == str(by_dict.value)


def test_the_code_for_a_set_of_columns_is_kept_for_the_next_call() -> None:
    rules = leadspec.loads(RULES)
    made: list[Any] = []
    compiled = rules._compiled
    real = compiled.by_position

    def counting(positions: Any) -> Any:
        made.append(dict(positions))
        return real(positions)

    compiled.by_position = counting  # type: ignore[method-assign]
    for _ in range(3):
        rules.row_evaluator(["employees", "account.sector"])
    for i in range(20):
        rules.row_evaluator(["employees", f"column {i}"])
    assert made[0] == {"employees": 0, "account.sector": 1} and len(made) == 21
    assert len(rules._lazy["by_position"]) == 16


QUALIFY_EXAMPLES = 400 if os.environ.get("LEADSPEC_FUZZ") else 40


@settings(max_examples=QUALIFY_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_qualify_writes_for_every_csv_row_what_evaluate_says_of_the_dict_of_its_columns(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    """`qualify` reads CSV rows by position (no lead dict): its stage and reasons are evaluate()'s and summary()'s of
    ``dict(zip(header, row))``, on random rule files and messy rows, with a column twice and one the rules do not read,
    with --jobs 1 and 2."""
    rule_file, rules = loaded_rule_file(data)
    as_csv = leads(rule_file).filter(lambda lead: all(type(value) is str for value in lead.values()))  # CSV rows (text, flat)
    rows = [data.draw(as_csv, label="lead") for _ in range(data.draw(st.integers(1, 6), label="rows"))]
    header = sorted({spec.source for spec in rule_file.fields} | {"not read"})
    if data.draw(st.booleans(), label="a name twice"):  # (one the rules read is refused: which one would they mean?)
        header.append("not read")
    table = [[row.get(name, data.draw(st.sampled_from(["", "N/A", "x"]), label="filler")) for name in header] for row in rows]
    where = tmp_path_factory.mktemp("rows")
    (where / "rules.yaml").write_text(rule_file.text, encoding="utf-8")
    with open(where / "in.csv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *table])
    for jobs in ("1", "2"):
        code, out, err = cli("qualify", where / "rules.yaml", where / "in.csv", "--as-of", "2026-11-01T00:00:00Z", "--jobs", jobs, "--allow-missing-columns")
        assert code == 0, err
        written = list(csv.reader(io.StringIO(out, newline="")))
        width = len(header)
        assert written[0][: width + 2] == [*header, "stage", "reasons"] and len(written) == len(table) + 1  # then a column per flag
        for values, line in zip(table, written[1:]):
            expected = rules.evaluate(dict(zip(header, values)), AS_OF)
            assert line[: width + 2] == [*values, expected.stage, expected.summary()]
