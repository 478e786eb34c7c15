"""leadspec: agreed ICP, MQL and SQL definitions as code.

Load a rule file, then evaluate leads::

    import leadspec
    rules = leadspec.load("rules/b2b-saas.yaml")
    result = rules.evaluate({"NumberOfEmployees": "250", "industry": "SaaS"})
    print(result.stage, result.explain())

Importing leadspec is cheap and does nothing else: the modules that build
pydantic models are imported on first use of the names that need them.
"""

from importlib import import_module as _import_module
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from .errors import LeadError, LeadspecError, Problem, RulesError

if _TYPE_CHECKING:  # pragma: no cover
    from datetime import date as _date
    from datetime import datetime as _datetime

    from ._coverage import Coverage, CriterionCoverage, StageCoverage
    from ._diff import Edit, FlagImpact, RulesDiff, Sample, Transition, diff
    from ._agreement import render
    from ._lint import lint
    from ._report import Band, Comparison, CriterionOutcomes, Cut, FeedbackCount, Move, Report, RuleThreshold, ScoreOutcomes, StageOutcomes, report
    from ._testfile import CaseOutcome, RuleCase, RuleTests, load_tests, run_tests
    from ._yaml import MAX_BYTES as MAX_FILE_BYTES
    from .result import (
        Contribution,
        CriterionResult,
        Handoff,
        Issue,
        NextStep,
        Previous,
        Result,
        ResultModel,
        RulesetInfo,
        ScoreResult,
        StageInfo,
    )
    from .ruleset import Ruleset, json_schema, load, loads

__version__ = "0.1.0.dev0"

_LAZY = {  # name -> module (or "module:name" when the public name differs)
    "Contribution": "result",
    "CriterionResult": "result",
    "Issue": "result",
    "NextStep": "result",
    "Result": "result",
    "ResultModel": "result",
    "RulesetInfo": "result",
    "ScoreResult": "result",
    "Handoff": "result",
    "Previous": "result",
    "StageInfo": "result",
    "Ruleset": "ruleset",
    "json_schema": "ruleset",
    "load": "ruleset",
    "loads": "ruleset",
    "Coverage": "_coverage",
    "CriterionCoverage": "_coverage",
    "StageCoverage": "_coverage",
    "diff": "_diff",
    "RulesDiff": "_diff",
    "Edit": "_diff",
    "FlagImpact": "_diff",
    "Transition": "_diff",
    "Sample": "_diff",
    "lint": "_lint",
    "render": "_agreement",
    "CaseOutcome": "_testfile",
    "RuleCase": "_testfile",
    "RuleTests": "_testfile",
    "load_tests": "_testfile",
    "run_tests": "_testfile",
    "MAX_FILE_BYTES": "_yaml:MAX_BYTES",
    "qualify_frame": "duckdb",
    "report": "_report",
    "Report": "_report",
    "StageOutcomes": "_report",
    "CriterionOutcomes": "_report",
    "FeedbackCount": "_report",
    "ScoreOutcomes": "_report",
    "Band": "_report",
    "Cut": "_report",
    "RuleThreshold": "_report",
    "Comparison": "_report",
    "Move": "_report",
}

__all__ = [
    "MAX_FILE_BYTES",
    "Band",
    "CaseOutcome",
    "Comparison",
    "Contribution",
    "Coverage",
    "CriterionCoverage",
    "CriterionOutcomes",
    "CriterionResult",
    "Cut",
    "Edit",
    "FeedbackCount",
    "FlagImpact",
    "Handoff",
    "Issue",
    "LeadError",
    "LeadspecError",
    "Move",
    "NextStep",
    "Previous",
    "Problem",
    "Report",
    "Result",
    "ResultModel",
    "RuleCase",
    "RuleTests",
    "RulesDiff",
    "Ruleset",
    "RulesError",
    "RuleThreshold",
    "RulesetInfo",
    "Sample",
    "ScoreOutcomes",
    "ScoreResult",
    "StageCoverage",
    "StageInfo",
    "StageOutcomes",
    "Transition",
    "__version__",
    "diff",
    "json_schema",
    "lint",
    "load",
    "load_tests",
    "loads",
    "parse_as_of",
    "qualify_frame",
    "render",
    "report",
    "run_tests",
]


def parse_as_of(value: "_datetime | _date | str | None") -> "_datetime":
    """The moment an ``as_of`` argument means, as an aware UTC ``datetime``.

    A ``datetime`` with a time zone is converted to UTC, a naive one is
    UTC, a ``date`` is midnight UTC, text is ISO 8601, ``None`` is now.
    Raises ``ValueError`` for text that is not ISO 8601 and ``TypeError``
    for another type, as ``evaluate`` and ``stage`` do.
    """
    from .ruleset import _as_of

    return _as_of(value)


def __getattr__(name: str) -> _Any:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'leadspec' has no attribute {name!r}")
    module, _, attribute = where.partition(":")
    value = getattr(_import_module(f".{module}", __name__), attribute or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
