"""Shared builders for the component tests (not a test module)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ecsdelivery.components.refs import PlatformRef
from ecsdelivery.naming import Label
from ecsdelivery.synth.mocks import Recording, run_program

LABEL = Label(namespace="acme", environment="dev", name="web")
LISTENER_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/acme-dev/50dc6c495c0c9188/f2f7dc8efc5"
ALB_SG = "sg-0alb"


def platform_ref(**overrides: Any) -> PlatformRef:
    values: dict[str, Any] = {
        "vpc_id": "vpc-123",
        "private_subnet_ids": ["subnet-a", "subnet-b"],
        "cluster_arn": "arn:aws:ecs:us-east-1:123456789012:cluster/acme-dev",
        "cluster_name": "acme-dev",
        "listener_arn": LISTENER_ARN,
        "alb_security_group_id": ALB_SG,
        "alb_dns_name": "acme-dev-1.us-east-1.elb.amazonaws.com",
        "alb_zone_id": "Z35SXDOTRQ7X7K",
    }
    values.update(overrides)
    return PlatformRef(**values)


def run(program: Callable[[], None], stack: str = "dev") -> Recording:
    return run_program(program, project="acme", stack=stack)


def policy(resource: dict[str, Any]) -> dict[str, Any]:
    """The parsed `policy` input of an IAM/ECR policy resource."""
    return json.loads(resource["inputs"]["policy"])


def statements(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy(resource)["Statement"]}
