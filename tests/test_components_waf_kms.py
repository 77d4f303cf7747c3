"""Prod edge: the WAF web ACL on the load balancer and the KMS key of the log groups (program, rules, cost)."""

from __future__ import annotations

import json
from pathlib import Path

from ecsdelivery.components import _policies
from ecsdelivery.components.platform import WAF_RULE_GROUPS
from ecsdelivery.guardrails.rules import MANDATORY, RuleContext, evaluate
from ecsdelivery.reports.cost import estimate
from ecsdelivery.synth import synthesize
from ecsdelivery.synth.awsshapes import check_resource

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web@sha256:" + "ab" * 32
PROD = RuleContext(environment="prod", protected=True)


def _of(resources: list[dict], type_: str) -> list[dict]:
    return [r for r in resources if r["type"] == type_]


def test_prod_puts_the_managed_rule_groups_in_front_of_its_load_balancer() -> None:
    resources = synthesize("prod", image=IMAGE, stacks_dir=str(ROOT / "stacks")).resources
    (acl,) = _of(resources, "aws:wafv2/webAcl:WebAcl")
    inputs = acl["inputs"]
    assert (inputs["scope"], inputs["defaultAction"]) == ("REGIONAL", {"allow": {}})
    assert [r["statement"]["managedRuleGroupStatement"]["name"] for r in inputs["rules"]] == list(WAF_RULE_GROUPS)
    assert all(r["overrideAction"] == {"none": {}} for r in inputs["rules"])
    (association,) = _of(resources, "aws:wafv2/webAclAssociation:WebAclAssociation")
    (alb,) = _of(resources, "aws:lb/loadBalancer:LoadBalancer")
    assert f":loadbalancer/app/{alb['inputs']['name']}/" in association["inputs"]["resourceArn"]


def test_prod_log_groups_use_the_stacks_own_key() -> None:
    resources = synthesize("prod", image=IMAGE, stacks_dir=str(ROOT / "stacks")).resources
    (key,) = _of(resources, "aws:kms/key:Key")
    assert key["inputs"]["enableKeyRotation"] is True
    policy = json.loads(key["inputs"]["policy"])
    logs = policy["Statement"][1]
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"].endswith(":log-group:*")
    (alias,) = _of(resources, "aws:kms/alias:Alias")
    assert alias["inputs"]["name"] == "alias/acme-prod-web-logs"
    for group in _of(resources, "aws:cloudwatch/logGroup:LogGroup"):
        assert group["inputs"]["kmsKeyId"].startswith("arn:aws:kms:")
    assert not [v for v in evaluate(resources, PROD) if v.severity == MANDATORY]


def test_dev_and_previews_have_neither() -> None:
    for env, pr in (("dev", None), ("preview", 42)):
        resources = synthesize(env, pr=pr, image=IMAGE, stacks_dir=str(ROOT / "stacks")).resources
        assert not _of(resources, "aws:wafv2/webAcl:WebAcl")
        assert not _of(resources, "aws:kms/key:Key")


def test_prod_without_them_fails_the_guardrails() -> None:
    resources = synthesize("dev", image=IMAGE, stacks_dir=str(ROOT / "stacks")).resources
    rules = {v.rule_id for v in evaluate(resources, PROD) if v.severity == MANDATORY}
    assert {"prod-waf", "prod-log-encryption"} <= rules


def test_waf_and_kms_are_priced() -> None:
    resources = synthesize("prod", image=IMAGE, stacks_dir=str(ROOT / "stacks")).resources
    kinds = {i.kind: i.monthly_usd for i in estimate(resources, region="us-east-1").items}
    assert kinds["waf-acl"] == 5.0 and kinds["waf-rules"] == 3.0 and kinds["waf-requests"] == 0.6
    assert kinds["kms-key"] == 1.0


def test_bad_waf_and_kms_payloads_are_named() -> None:
    rules = [
        {"name": "a", "priority": 0, "statement": {"managedRuleGroupStatement": {"name": "x", "vendorName": "AWS"}},
         "visibilityConfig": {"cloudwatchMetricsEnabled": True, "metricName": "a", "sampledRequestsEnabled": True}},
    ] * 2  # fmt: skip
    acl = {
        "name": "acl",
        "scope": "REGIONAL",
        "defaultAction": {"allow": {}},
        "visibilityConfig": {"cloudwatchMetricsEnabled": True, "metricName": "acl", "sampledRequestsEnabled": True},
        "rules": rules,
    }
    problems = check_resource("aws:wafv2/webAcl:WebAcl", "acl", acl)
    assert any("Name 'a' is used by more than one rule" in p for p in problems), problems
    assert any("OverrideAction" in p for p in problems), problems
    key = {
        "policy": json.dumps(_policies.log_key_policy(account_id="1", region="us-east-1")),
        "deletionWindowInDays": 3,
    }
    assert any("PendingWindowInDays: 3 must be within 7..30" in p for p in check_resource("aws:kms/key:Key", "k", key))
    assert check_resource("aws:kms/alias:Alias", "a", {"name": "logs", "targetKeyId": "k"})
