"""Guardrails: policy-as-code rules over synthesised resources, shared by `check` and the pulumi-policy pack.

from ecsdelivery.guardrails import RuleContext, evaluate
violations = evaluate(synthesize("prod").resources, RuleContext(environment="prod"))
"""

from __future__ import annotations

from ecsdelivery.guardrails.rules import (
    ADVISORY,
    MANDATORY,
    RULES,
    STACK_RULES,
    Resource,
    Rule,
    RuleContext,
    StackRule,
    Violation,
    evaluate,
    rule_ids,
)

__all__ = [
    "ADVISORY",
    "MANDATORY",
    "RULES",
    "STACK_RULES",
    "Resource",
    "Rule",
    "RuleContext",
    "StackRule",
    "Violation",
    "evaluate",
    "rule_ids",
]
