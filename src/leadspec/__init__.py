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
    from .result import (
        Contribution,
        CriterionResult,
        Issue,
        NextStep,
        Result,
        ResultModel,
        RulesetInfo,
        ScoreResult,
    )
    from ._diff import Edit, RulesDiff, Sample, Transition, diff
    from .ruleset import Ruleset, json_schema, load, loads

__version__ = "0.1.0.dev0"

_LAZY = {
    "Contribution": "result",
    "CriterionResult": "result",
    "Issue": "result",
    "NextStep": "result",
    "Result": "result",
    "ResultModel": "result",
    "RulesetInfo": "result",
    "ScoreResult": "result",
    "Ruleset": "ruleset",
    "json_schema": "ruleset",
    "load": "ruleset",
    "loads": "ruleset",
    "diff": "_diff",
    "RulesDiff": "_diff",
    "Edit": "_diff",
    "Transition": "_diff",
    "Sample": "_diff",
}

__all__ = [
    "Contribution",
    "CriterionResult",
    "Edit",
    "Issue",
    "LeadError",
    "LeadspecError",
    "NextStep",
    "Problem",
    "Result",
    "ResultModel",
    "RulesDiff",
    "Ruleset",
    "RulesError",
    "RulesetInfo",
    "Sample",
    "ScoreResult",
    "Transition",
    "__version__",
    "diff",
    "json_schema",
    "load",
    "loads",
]


def __getattr__(name: str) -> _Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'leadspec' has no attribute {name!r}")
    value = getattr(_import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
