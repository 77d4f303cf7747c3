"""Edge hardening of the platform: the access-log bucket, its policy, and described security-group rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
from components_support import run

from ecsdelivery.components import _policies
from ecsdelivery.components.platform import ACCESS_LOG_PREFIX, Platform, PlatformArgs
from ecsdelivery.naming import Label
from ecsdelivery.synth.awsshapes import check_resource, check_resources
from ecsdelivery.synth.mocks import ACCOUNT_ID, run_program

LABEL = Label(namespace="acme", environment="dev", name="platform")
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
BUCKET = "aws:s3/bucket:Bucket"
SG_RULES = (
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
)


def _platform(**overrides: Any) -> None:
    Platform("dev", PlatformArgs(**{"label": LABEL, "certificate_arn": CERT, **overrides}))


def test_access_logs_go_to_a_private_encrypted_expiring_bucket() -> None:
    recording = run(_platform)
    bucket = recording.named("dev-alb-logs")["inputs"]
    assert bucket["bucket"] == "acme-dev-platform-alb-logs"
    assert bucket["forceDestroy"] is True  # an unprotected platform takes its logs along when destroyed
    block = recording.named("dev-alb-logs-public-access")["inputs"]
    assert all(block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    encryption = recording.named("dev-alb-logs-encryption")["inputs"]
    assert encryption["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    assert recording.named("dev-alb-logs-ownership")["inputs"]["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    (rule,) = recording.named("dev-alb-logs-lifecycle")["inputs"]["rules"]
    assert (rule["status"], rule["expiration"], rule["filter"]) == ("Enabled", {"days": 90}, {})
    alb = recording.named("dev-alb")["inputs"]
    assert alb["accessLogs"] == {"bucket": "acme-dev-platform-alb-logs", "prefix": ACCESS_LOG_PREFIX, "enabled": True}
    for resource in recording.resources:
        if resource["type"].startswith("aws:s3/"):
            assert resource["parent"] == "dev"


def test_the_bucket_policy_lets_only_the_regions_log_delivery_write_under_the_prefix() -> None:
    recording = run(_platform)
    policy = json.loads(recording.named("dev-alb-logs-policy")["inputs"]["policy"])
    write, deny = policy["Statement"]
    assert write["Principal"] == {"AWS": "arn:aws:iam::127311923021:root"}  # us-east-1's ELB account
    assert write["Action"] == "s3:PutObject"
    assert write["Resource"] == f"arn:aws:s3:::acme-dev-platform-alb-logs/alb/AWSLogs/{ACCOUNT_ID}/*"
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_a_region_opened_after_august_2022_uses_the_log_delivery_service() -> None:
    recording = run_program(_platform, project="acme", stack="dev", config={"aws:region": "eu-central-2"})
    policy = json.loads(recording.named("dev-alb-logs-policy")["inputs"]["policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": _policies.ELB_LOG_DELIVERY_SERVICE}


@pytest.mark.parametrize(("region", "account"), [("eu-west-1", "156460612806"), ("ap-southeast-3", "589379963580")])
def test_elb_log_accounts(region: str, account: str) -> None:
    policy = _policies.alb_access_log_policy(
        bucket_arn="arn:aws:s3:::logs", account_id="111111111111", region=region, prefix="alb"
    )
    assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{account}:root"}


def test_a_protected_platform_keeps_its_logs_and_the_retention_is_configurable() -> None:
    recording = run(lambda: _platform(deletion_protection=True, access_log_days=400))
    assert recording.named("dev-alb-logs")["inputs"]["forceDestroy"] is False
    assert recording.named("dev-alb-logs-lifecycle")["inputs"]["rules"][0]["expiration"] == {"days": 400}


def test_without_access_logs_no_bucket() -> None:
    recording = run(lambda: _platform(access_log_days=None))
    assert not recording.of_type(BUCKET)
    assert recording.named("dev-alb")["inputs"].get("accessLogs") is None


def test_every_security_group_rule_is_described() -> None:
    recording = run(lambda: _platform(ingress_cidrs=("0.0.0.0/0", "10.0.0.0/8")))
    rules = [r for r in recording.resources if r["type"] in SG_RULES]
    assert len(rules) == 5  # 80 and 443 from two ranges, one egress
    assert all(r["inputs"].get("description") for r in rules)
    assert recording.named("dev-alb-sg-443-1")["inputs"]["description"] == "HTTPS from 10.0.0.0/8"


def test_platform_payloads_are_valid_aws_requests() -> None:
    assert check_resources(run(_platform).resources) == []


@pytest.mark.parametrize(
    ("type_", "inputs", "expected"),
    [
        (BUCKET, {"bucket": "Acme_Logs"}, "Bucket: 'Acme_Logs' must be 3-63 lowercase"),
        (BUCKET, {"bucket": "a" * 64}, "must be 3-63 lowercase"),
        (
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            {"bucket": "logs", "rules": [{"id": "x", "status": "On", "expiration": {"days": 0}}]},
            "Rules[0].Status: 'On' must be Enabled or Disabled",
        ),
        (
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            {"bucket": "logs", "rules": [{"id": "x", "status": "Enabled", "expiration": {"days": 0}}]},
            "Expiration.Days: 0 must be a whole number of days",
        ),
        ("aws:s3/bucketPolicy:BucketPolicy", {"bucket": "logs", "policy": "{"}, "Policy: is not valid JSON"),
        (
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            {"bucket": "logs", "blockPublicAcls": "yes"},
            "BlockPublicAcls",
        ),
        (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            {"bucket": "logs", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "ROT13"}}]},
            "SSEAlgorithm: 'ROT13' is not one of",
        ),
        (
            "aws:lb/loadBalancer:LoadBalancer",
            {"name": "acme", "subnets": ["a", "b"], "accessLogs": {"bucket": "logs", "prefix": "x/AWSLogs"}},
            "access_logs.s3.prefix",
        ),
    ],
)
def test_bad_edge_payloads_are_named(type_: str, inputs: dict[str, Any], expected: str) -> None:
    problems = check_resource(type_, "edge", inputs)
    assert any(expected in p for p in problems), problems
