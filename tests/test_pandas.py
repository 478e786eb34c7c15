"""Issue 8, item 13: leads from pandas read as the same leads from csv.

A default ``pd.read_csv`` turns empty cells into NaN, numbers into numpy
scalars and dates (with ``parse_dates``) into Timestamps / NaT; rows come
as dicts (``to_dict('records')``) or as Series (``iterrows()``). Every one
of those must give the stage and values the csv module's text gives.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

import leadspec
from conftest import ROOT, SHARED_DATA, rules_text

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

AS_OF = "2026-11-01T00:00:00Z"

RULES = leadspec.loads(
    rules_text(
        """
        missing: ["", "Select"]
        fields:
          account: {type: string}
          employees: {type: integer}
          revenue: {type: number}
          industry: {type: enum, values: [saas, fintech]}
          signed_up: {type: date}
          active: {type: boolean}
          tags: {type: list}
        stages:
          - id: icp
            all:
              - named: has(account)
              - size: employees >= 50
          - id: mql
            when: revenue > 1000 and industry == 'saas'
        """
    ),
    name="pandas.yaml",
)

CSV = """\
account,employees,revenue,industry,signed_up,active,tags
Acme,500,2500.5,SaaS,2026-10-01,true,a;b
,60,,fintech,,,
Globex,,10,Select,2026-01-02,false,
Initech,75,5000,saas,,1,x
"""


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_item13_nan_numpy_and_series_rows_read_like_csv_text() -> None:
    frame = pd.read_csv(io.StringIO(CSV))
    assert frame["account"].isna().sum() == 1 and frame["employees"].dtype == np.float64  # what users get
    expected = [RULES.evaluate(row, as_of=AS_OF) for row in csv_rows(CSV)]
    assert [r.stage for r in expected] == ["mql", "lead", "lead", "mql"]
    for rows in (frame.to_dict("records"), [series for _, series in frame.iterrows()]):
        got = [RULES.evaluate(row, as_of=AS_OF) for row in rows]
        assert [r.values for r in got] == [r.values for r in expected]
        assert [r.issues for r in got] == [r.issues for r in expected] == [[] for _ in expected]
        assert [RULES.stage(row, as_of=AS_OF) for row in rows] == [r.stage for r in expected]
    second = RULES.evaluate(frame.to_dict("records")[1], as_of=AS_OF)
    assert second.values["account"] is None  # NaN in a text column is missing, not the text 'nan'
    assert second.missing == []  # has(account) fails: known to be missing


def test_item13_numpy_scalars_and_pandas_missing_values() -> None:
    lead = {
        "account": np.str_("Acme"),
        "employees": np.int64(500),
        "revenue": np.float32(2500.5),
        "industry": "saas",
        "signed_up": pd.Timestamp("2026-10-01"),
        "active": np.bool_(True),
    }
    result = RULES.evaluate(lead, as_of=AS_OF)
    assert result.issues == []
    assert (result.values["employees"], result.values["revenue"], result.values["signed_up"], result.values["active"]) == (
        500,
        2500.5,
        date(2026, 10, 1),
        True,
    )
    assert type(result.values["employees"]) is int and result.stage == "mql"
    for missing in (pd.NA, pd.NaT, np.nan, np.float32("nan"), np.datetime64("NaT"), None):
        result = RULES.evaluate({f: missing for f in RULES.fields}, as_of=AS_OF)
        assert result.issues == [], missing
        assert set(result.values.values()) == {None}, missing
    assert RULES.evaluate({"signed_up": np.datetime64("2026-10-01T12:00:00.123456789")}, as_of=AS_OF).values["signed_up"] == date(2026, 10, 1)
    assert RULES.evaluate({"employees": np.int64(2**62)}, as_of=AS_OF).values["employees"] == 2**62
    assert RULES.evaluate({"revenue": np.float64("inf")}, as_of=AS_OF).issues[0].message == "not a finite number"


def test_item13_lead_model_reads_pandas_values_like_evaluation() -> None:
    row = pd.read_csv(io.StringIO(CSV)).to_dict("records")[1]
    checked = RULES.lead_model.model_validate(row).model_dump(by_alias=True)
    assert checked["account"] is None and checked["employees"] == 60 and checked["revenue"] is None


@pytest.mark.skipif(not (SHARED_DATA / "x-education-leads.csv").exists(), reason="the full X Education export (Kaggle's \"Leads Dataset\", Leads.csv) is not beside the checkout; see examples/README.md")
def test_item13_the_real_export_through_pandas_gives_the_csv_stages() -> None:
    rules = leadspec.load(ROOT / "rules" / "x-education.yaml")
    path = SHARED_DATA / "x-education-leads.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        expected = [rules.evaluate(row, as_of=AS_OF) for row in csv.DictReader(handle)]
    frame = pd.read_csv(path)
    records = [rules.evaluate(row, as_of=AS_OF) for row in frame.to_dict("records")]
    assert [r.stage for r in records] == [r.stage for r in expected]
    assert [r.values for r in records] == [r.values for r in expected]
    assert [r.issues for r in records] == [r.issues for r in expected]
    series = [rules.stage(row, as_of=AS_OF) for _, row in frame.head(1500).iterrows()]
    assert series == [r.stage for r in expected[:1500]]
