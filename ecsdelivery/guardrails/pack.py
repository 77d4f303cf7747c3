"""The guardrail rules as pulumi-policy policies, for `pulumi preview --policy-pack policy`.

`build_policies()` wraps each `Rule` in a `ResourceValidationPolicy` and each `StackRule` in a
`StackValidationPolicy`, calling the very functions `check` calls. The enforcement level is the rule's
severity; a rule that is mandatory in some environments and advisory in others (`ecr-protected`) becomes two
policies, `<id>` (mandatory) and `<id>-advisory`, each reporting only where its level applies.

The environment comes from the resources' own tags (`Environment`, `PullRequest`: every resource ecsdelivery
names carries them), since a policy pack does not see the stack file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecsdelivery.guardrails.rules import (
    ADVISORY,
    MANDATORY,
    RULES,
    STACK_RULES,
    Resource,
    Rule,
    RuleContext,
    Severity,
    StackRule,
)

PACK_NAME = "ecsdelivery-guardrails"


def policy_name(rule: Rule | StackRule, level: Severity) -> str:
    """`<id>`, or `<id>-advisory` for the advisory twin of a rule that can relax."""
    return rule.id if level == rule.severity else f"{rule.id}-{level}"


def levels(rule: Rule | StackRule) -> list[Severity]:
    """The enforcement levels a rule needs a policy for."""
    return [MANDATORY, ADVISORY] if rule.can_relax else [rule.severity]


def _tags(props: Any) -> Any:
    return props.get("tags") if isinstance(props, Mapping) else None


def resource_validator(rule: Rule, level: Severity):
    """A pulumi-policy ResourceValidation calling `rule` for resources where its severity is `level`."""

    def validate(args: Any, report_violation: Any) -> None:
        protect = bool(getattr(getattr(args, "opts", None), "protect", False))
        context = RuleContext.from_tags(_tags(args.props)).for_resource({"protect": protect})
        if rule.severity_for(context) != level:
            return
        for message in rule.check(args.resource_type, args.props, context):
            report_violation(f"{message}. Fix: {rule.fix}")

    return validate


def _resource(policy_resource: Any) -> Resource:
    parent = getattr(policy_resource, "parent", None)
    opts = getattr(policy_resource, "opts", None)
    return Resource(
        type=policy_resource.resource_type,
        name=policy_resource.name,
        inputs=dict(policy_resource.props or {}),
        parent=getattr(parent, "name", None),
        options={"protect": bool(getattr(opts, "protect", False))},
    )


def stack_context(resources: list[Resource]) -> RuleContext:
    """The stack's environment, from the first resource that carries an Environment tag."""
    for resource in resources:
        context = RuleContext.from_tags(_tags(resource.inputs))
        if context.environment:
            return context
    return RuleContext()


def stack_validator(rule: StackRule, level: Severity):
    """A pulumi-policy StackValidation calling `rule` over the stack's resources."""

    def validate(args: Any, report_violation: Any) -> None:
        resources = [_resource(r) for r in args.resources]
        urns = {r.name: r.urn for r in args.resources}
        context = stack_context(resources)
        if rule.severity_for(context) != level:
            return
        for name, message in rule.check(resources, context):
            report_violation(f"{message}. Fix: {rule.fix}", urns.get(name) if name else None)

    return validate


def build_policies() -> list[Any]:
    """Every rule as a pulumi-policy policy (imports pulumi_policy: install the `policy` extra)."""
    from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

    enforcement = {MANDATORY: EnforcementLevel.MANDATORY, ADVISORY: EnforcementLevel.ADVISORY}
    # Resource rules and stack rules differ only in the policy class and the validator that wraps them.
    kinds: list[tuple[tuple[Any, ...], Any, Any]] = [
        (RULES, ResourceValidationPolicy, resource_validator),
        (STACK_RULES, StackValidationPolicy, stack_validator),
    ]
    return [
        policy_class(
            name=policy_name(rule, level),
            description=rule.description,
            validate=validator(rule, level),
            enforcement_level=enforcement[level],
            remediation_steps=rule.fix,
        )
        for rules, policy_class, validator in kinds
        for rule in rules
        for level in levels(rule)
    ]
