"""Guardrails: policy-as-code rules over synthesised resources, shared by `check` and the pulumi-policy pack.

from ecsdelivery.guardrails import RuleContext, evaluate
violations = evaluate(synthesize("prod").resources, RuleContext(environment="prod"))

The public names are those of `ecsdelivery.guardrails.rules` (its `__all__`), re-exported here.
"""

from __future__ import annotations

from ecsdelivery.guardrails import rules as _rules
from ecsdelivery.guardrails.rules import *  # noqa: F403  (exactly `rules.__all__`)

__all__ = list(_rules.__all__)
