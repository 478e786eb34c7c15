"""``Result.to_dict()`` and ``explain()`` read the criteria as plain data, not as the pydantic models of
``Result.criteria`` (validating a model per criterion cost as much as its text): the data is the models'."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import pytest

import leadspec

ROOT = Path(__file__).resolve().parent.parent
AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
SAMPLE = ROOT / "examples" / "x-education-sample.csv"


def _leads() -> list[dict[str, str]]:
    with open(SAMPLE, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def rules() -> leadspec.Ruleset:
    return leadspec.load(ROOT / "rules" / "x-education.yaml")


def test_to_dict_holds_what_the_models_dump_on_every_lead_of_the_sample(rules: leadspec.Ruleset) -> None:
    for lead in _leads():
        result = rules.evaluate(lead, as_of=AS_OF)
        data = result.to_dict()
        assert data["criteria"] == [c.model_dump() for c in result.criteria]
        assert data["next"] == (None if result.next is None else result.next.model_dump())
        assert leadspec.ResultModel.model_validate(data).model_dump(mode="json")["criteria"] == data["criteria"]


def test_explain_reads_the_same_because_as_the_models(rules: leadspec.Ruleset) -> None:
    for lead in _leads()[:200]:
        result = rules.evaluate(lead, as_of=AS_OF)
        text = result.explain()
        for c in result.criteria:
            if c.outcome != "pass" or c.id.startswith("disqualify."):
                continue
            if f"{c.id}: " in text:  # a criterion the explanation shows carries the model's text
                assert f"{c.id}: {c.because}" in text


def test_each_to_dict_is_a_copy_the_caller_may_change(rules: leadspec.Ruleset) -> None:
    lead = next(lead for lead in _leads() if rules.evaluate(lead, as_of=AS_OF).to_dict()["criteria"][0]["values"])
    result = rules.evaluate(lead, as_of=AS_OF)
    first = result.to_dict()
    before = result.to_dict()
    for row in first["criteria"]:
        row["because"] = "changed"
        for key, value in list(row["values"].items()):
            if isinstance(value, list):
                value.append("changed")
            row["values"][key] = "changed"
    first["next"]["blocked_by"].append("changed") if first["next"] else None
    assert result.to_dict() == before
    assert [c.model_dump() for c in result.criteria] == before["criteria"]


def test_to_dict_explain_and_summary_build_no_criterion_model(rules: leadspec.Ruleset, monkeypatch: pytest.MonkeyPatch) -> None:
    from leadspec import result as result_module

    def refused(**_kwargs: object) -> None:
        raise AssertionError("a CriterionResult was built")

    monkeypatch.setattr(result_module, "CriterionResult", refused)
    for lead in _leads()[:50]:
        result = rules.evaluate(lead, as_of=AS_OF)
        result.to_dict()
        result.explain()
        result.summary()
    with pytest.raises(AssertionError, match="was built"):
        rules.evaluate(_leads()[0], as_of=AS_OF).criteria


def test_explanations_compute_no_value_with_the_interpreter(rules: leadspec.Ruleset, monkeypatch: pytest.MonkeyPatch) -> None:
    """The values a text shows (``{seconds_on_site // 60}``, ``score('engagement')``) come from generated code, not from
    walking the plan per lead; the slow renderer, which does, still gives the same rows."""
    from leadspec import _interp

    leads = _leads()[:50]
    expected = [rules.evaluate(lead, as_of=AS_OF) for lead in leads]
    slow = [[r._criterion_slow(c) for c in r._plan.criteria] for r in expected]
    assert any("minutes on the website" in row["because"] for rows in slow for row in rows)  # a template with a computed part ran

    def refused(self: object, node: object) -> None:
        raise AssertionError("the interpreter ran")

    monkeypatch.setattr(_interp.Interpreter, "run", refused)
    for lead, rows in zip(leads, slow):
        result = rules.evaluate(lead, as_of=AS_OF)
        assert result.to_dict()["criteria"] == rows
        result.explain()
        result.summary()
