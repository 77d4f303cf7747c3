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
