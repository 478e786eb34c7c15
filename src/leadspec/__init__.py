"""leadspec: agreed ICP, MQL and SQL definitions as code.

Load a rule file, then evaluate leads::

    import leadspec
    rules = leadspec.load("rules/b2b-saas.yaml")
    result = rules.evaluate({"NumberOfEmployees": "250", "industry": "SaaS"})
    print(result.stage, result.explain())

Importing leadspec does no work beyond importing its modules.
"""

from .errors import LeadError, LeadspecError, Problem, RulesError
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
from .ruleset import Ruleset, json_schema, load, loads

__version__ = "0.1.0.dev0"

__all__ = [
    "Contribution",
    "CriterionResult",
    "Issue",
    "LeadError",
    "LeadspecError",
    "NextStep",
    "Problem",
    "Result",
    "ResultModel",
    "Ruleset",
    "RulesError",
    "RulesetInfo",
    "ScoreResult",
    "__version__",
    "json_schema",
    "load",
    "loads",
]
