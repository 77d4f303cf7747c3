"""The policy pack builds its policies from the same rule functions `check` runs (the policy server never starts)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

pulumi_policy = pytest.importorskip("pulumi_policy")

from ecsdelivery.guardrails import pack  # noqa: E402
from ecsdelivery.guardrails.rules import RULES, STACK_RULES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def test_every_rule_becomes_a_policy_with_its_enforcement_level():
    policies = {p.name: p for p in pack.build_policies()}
    for rule in RULES:
        assert isinstance(policies[rule.id], pulumi_policy.ResourceValidationPolicy)
        assert policies[rule.id].enforcement_level.value == rule.severity
        assert policies[rule.id].remediation_steps == rule.fix
    for rule in STACK_RULES:
        assert isinstance(policies[rule.id], pulumi_policy.StackValidationPolicy)
        assert policies[rule.id].enforcement_level.value == rule.severity
    # A rule that is advisory outside protected stacks gets an advisory twin.
    assert policies["ecr-protected-advisory"].enforcement_level == pulumi_policy.EnforcementLevel.ADVISORY
    assert policies["sg-rule-description-advisory"].enforcement_level == pulumi_policy.EnforcementLevel.ADVISORY
    assert len(policies) == len(RULES) + len(STACK_RULES) + 2


def test_the_pack_entry_point_builds_the_pack(monkeypatch: pytest.MonkeyPatch):
    created: list[dict[str, Any]] = []
    # PolicyPack() would start the gRPC policy server and block: record its arguments instead.
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: created.append(kwargs))
    monkeypatch.setattr(sys, "path", list(sys.path))
    runpy.run_path(str(ROOT / "policy" / "__main__.py"), run_name="__main__")
    assert len(created) == 1
    assert created[0]["name"] == pack.PACK_NAME
    assert {p.name for p in created[0]["policies"]} >= {r.id for r in RULES}
    assert (ROOT / "policy" / "PulumiPolicy.yaml").read_text().count("runtime") == 1
    assert "pulumi-policy" in (ROOT / "policy" / "requirements.txt").read_text()


def _args(resource_type: str, props: dict, protect: bool = False) -> Any:
    opts = pulumi_policy.PolicyResourceOptions(
        protect=protect,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=pulumi_policy.PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
    )
    return pulumi_policy.ResourceValidationArgs(resource_type, props, "urn:x", "r", opts, None)


def _run(policy: Any, args: Any) -> list[str]:
    reported: list[str] = []
    policy.validate(args, lambda message, urn=None: reported.append(message))
    return reported


def test_resource_policies_report_through_the_rule_functions():
    policies = {p.name: p for p in pack.build_policies()}
    bad = _args("aws:cloudwatch/logGroup:LogGroup", {"name": "/ecs/x", "tags": {"Environment": "dev"}})
    assert _run(policies["log-retention"], bad) == [
        "the log group keeps logs forever (no retentionInDays). Fix: set retentionInDays "
        "(e.g. log_retention_days in the stack file)"
    ]
    good = _args("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 7})
    assert _run(policies["log-retention"], good) == []


def test_environment_comes_from_tags_and_picks_the_level():
    policies = {p.name: p for p in pack.build_policies()}
    repo = {"imageTagMutability": "IMMUTABLE", "forceDelete": False}
    shared = _args("aws:ecr/repository:Repository", {**repo, "tags": {"Environment": "shared"}})
    dev = _args("aws:ecr/repository:Repository", {**repo, "tags": {"Environment": "dev"}})
    assert _run(policies["ecr-protected"], shared) and not _run(policies["ecr-protected-advisory"], shared)
    assert _run(policies["ecr-protected-advisory"], dev) and not _run(policies["ecr-protected"], dev)
    protected = _args("aws:ecr/repository:Repository", {**repo, "tags": {"Environment": "shared"}}, protect=True)
    assert _run(policies["ecr-protected"], protected) == []


def test_stack_policies_see_parents_and_report_urns():
    policies = {p.name: p for p in pack.build_policies()}

    def resource(type_: str, name: str, props: dict, parent: Any = None) -> Any:
        return SimpleNamespace(resource_type=type_, name=name, props=props, urn=f"urn:{name}", parent=parent, opts=None)

    component = resource("ecsdelivery:index:PreviewEnvironment", "web", {})
    nat = resource("aws:ec2/natGateway:NatGateway", "nat", {"tags": {"Environment": "preview", "PullRequest": "7"}})
    svc = resource(
        "aws:ecs/service:Service", "svc", {"tags": {"Environment": "preview", "PullRequest": "7"}}, component
    )
    reported: list[tuple[str, Any]] = []
    args = SimpleNamespace(resources=[component, svc, nat])
    policies["preview-no-platform"].validate(args, lambda message, urn=None: reported.append((message, urn)))
    assert [urn for _, urn in reported] == ["urn:nat"]
