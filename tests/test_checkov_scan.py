"""The checkov scan's converter: synthesised resources -> Terraform plan JSON (runs without checkov)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ecsdelivery.synth import synthesize

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "checkov_scan.py"


def _module() -> Any:
    spec = importlib.util.spec_from_file_location("checkov_scan", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


scan = _module()


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("aws:ecs/service:Service", "aws_ecs_service"),
        ("aws:lb/targetGroup:TargetGroup", "aws_lb_target_group"),
        ("aws:lb/loadBalancer:LoadBalancer", "aws_lb"),
        ("aws:ec2/securityGroup:SecurityGroup", "aws_security_group"),
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws_vpc_security_group_ingress_rule"),
        (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws_s3_bucket_server_side_encryption_configuration",
        ),
        ("aws:wafv2/webAclAssociation:WebAclAssociation", "aws_wafv2_web_acl_association"),
        ("awsx:ec2:Vpc", None),
        ("ecsdelivery:index:FargateService", None),
    ],
)
def test_type_tokens_name_the_terraform_types(token: str, expected: str | None) -> None:
    assert scan.terraform_type(token) == expected


def test_inputs_become_terraform_attributes_blocks_and_maps() -> None:
    inputs = {
        "capacityProviderStrategies": [{"capacityProvider": "FARGATE", "weight": 1}],
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "metricQueries": [{"id": "m", "metric": {"dimensions": {"TargetGroup": "tg"}, "metricName": "X"}}],
        "tags": {"Environment": "prod", "ManagedBy": "ecsdelivery"},
        "subnets": ["a", "b"],
        "enableKeyRotation": True,
    }
    assert scan.attributes(inputs) == {
        "capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1}],
        "deployment_circuit_breaker": [{"enable": True, "rollback": True}],
        "metric_query": [{"id": "m", "metric": [{"dimensions": {"TargetGroup": "tg"}, "metric_name": "X"}]}],
        "tags": {"Environment": "prod", "ManagedBy": "ecsdelivery"},
        "subnets": ["a", "b"],
        "enable_key_rotation": True,
    }


def test_prod_becomes_a_plan_with_references_between_resources() -> None:
    plan = scan.to_plan(synthesize("prod", stacks_dir=str(ROOT / "stacks")).to_json())
    resources = {r["address"]: r for r in plan["planned_values"]["root_module"]["resources"]}
    assert "aws_lb.platform-alb" in resources and "aws_wafv2_web_acl.platform-waf" in resources
    assert not [a for a in resources if a.startswith(("awsx", "ecsdelivery"))]
    bucket_policy = resources["aws_s3_bucket_policy.platform-alb-logs-policy"]["values"]
    assert json.loads(bucket_policy["policy"])["Statement"]
    config = {r["address"]: r for r in plan["configuration"]["root_module"]["resources"]}
    association = config["aws_wafv2_web_acl_association.platform-waf-association"]["expressions"]
    assert association["resource_arn"]["references"] == ["aws_lb.platform-alb.id", "aws_lb.platform-alb"]
    assert association["web_acl_arn"]["references"] == [
        "aws_wafv2_web_acl.platform-waf.id",
        "aws_wafv2_web_acl.platform-waf",
    ]
    assert [c["change"]["actions"] for c in plan["resource_changes"]] == [["create"]] * len(resources)


def test_without_checkov_the_scan_says_so_and_exits_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "prod", "--checkov", str(tmp_path / "no-checkov")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("checkov_scan: error: checkov is not installed") and done.stderr.count("\n") == 1


# The prod findings fixed from the scan, held by advisory rules.

LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"


def _violations(type_: str, inputs: dict, environment: str) -> list[tuple[str, str]]:
    from ecsdelivery.guardrails.rules import RuleContext, evaluate

    resource = {"type": type_, "name": "r", "parent": None, "inputs": inputs}
    context = RuleContext(environment=environment, protected=environment == "prod")
    return [(v.rule_id, v.severity) for v in evaluate([resource], context)]


def test_prod_logs_are_kept_a_year() -> None:
    group = "aws:cloudwatch/logGroup:LogGroup"
    assert ("prod-log-retention-year", "advisory") in _violations(group, {"retentionInDays": 90}, "prod")
    assert ("prod-log-retention-year", "advisory") not in _violations(group, {"retentionInDays": 365}, "prod")
    assert ("prod-log-retention-year", "advisory") not in _violations(group, {"retentionInDays": 30}, "dev")
    logs = synthesize("prod", stacks_dir=str(ROOT / "stacks")).of_type(group)
    assert {g["inputs"]["retentionInDays"] for g in logs} == {365}


def test_abandoned_uploads_are_aborted_in_the_whole_bucket() -> None:
    rule = {
        "status": "Enabled",
        "expiration": {"days": 90},
        "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
    }
    prefixed = {"rules": [{**rule, "filter": {"prefix": "alb/"}}]}
    assert ("bucket-abort-uploads", "advisory") in _violations(LIFECYCLE, prefixed, "prod")
    assert _violations(LIFECYCLE, {"rules": [{**rule, "filter": {}}]}, "prod") == []
    (lifecycle,) = synthesize("prod", stacks_dir=str(ROOT / "stacks")).of_type(LIFECYCLE)
    assert _violations(LIFECYCLE, dict(lifecycle["inputs"]), "prod") == []


def test_a_closed_pipe_stops_the_report_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    results = {"prod": {"passed": 1, "failed": 1, "failures": [["CKV_X", "aws_lb.a", "name"]]}}
    monkeypatch.setattr(scan, "find_checkov", lambda given: "checkov")
    monkeypatch.setattr(scan, "scan", lambda stacks, checkov, keep: results)

    def closed(*args: object, **kwargs: object) -> None:
        raise BrokenPipeError

    monkeypatch.setattr(scan, "_print", closed)
    assert scan.main(["prod"]) == 141
    assert capsys.readouterr().err == ""
