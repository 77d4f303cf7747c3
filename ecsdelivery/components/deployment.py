"""How a `FargateService` deploys: the ECS deployment strategy and the alarms that roll a deployment back.

The settings live in the deployment group (`ecsdelivery.settings.DeploymentArgs.strategy` and `.alarms`);
these are builders the service component turns into its `deploymentConfiguration`, `alarms`, an alternate target
group and a weighted listener rule, plus the one role ECS needs to move traffic (`create_infrastructure_role`);
`rollback_alarms` makes the alarms.

ECS runs four strategies itself (`deploymentConfiguration.strategy`):

- `rolling`: tasks are replaced in place behind one target group (the circuit breaker stops a deployment whose
  tasks fail to start; alarms stop one that starts and then misbehaves);
- `blue_green`: a full new set of tasks registers in the alternate target group, the production listener rule
  moves all traffic to it at once, and the old set keeps running for `bake_time_minutes`;
- `canary`: `canary_percent` of the traffic first for `canary_bake_minutes`, then all of it, then the bake;
- `linear`: `linear_step_percent` more every `linear_interval_minutes`, then the bake.

During the last three an alarm in ALARM shifts traffic straight back to the old tasks, which are still running.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from ecsdelivery.components import _policies
from ecsdelivery.components._common import child, to_json
from ecsdelivery.naming import Label
from ecsdelivery.settings import STRATEGIES, DeploymentStrategyArgs, RollbackAlarmsArgs, Strategy

#: The managed policy that lets ECS move listener-rule weights and target groups (the infrastructure role).
LOAD_BALANCER_INFRASTRUCTURE_POLICY = (
    "arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRolePolicyForLoadBalancers"
)


def create_infrastructure_role(parent: pulumi.Resource, name: str, label: Label) -> aws.iam.Role:
    """`<name>-ecs-lb-role` (+ `-policy`): the role ECS assumes to move listener-rule weights and target groups
    during a blue/green, canary or linear deployment, with AWS's managed policy for it."""
    role_label = label.with_attributes("ecs-lb")
    role = aws.iam.Role(
        f"{name}-ecs-lb-role",
        name=role_label.name_for("iam_role"),
        description=f"ECS shifts load balancer traffic for {label.id} during deployments",
        assume_role_policy=to_json(_policies.assume_role_policy("ecs.amazonaws.com")),
        tags=role_label.tags,
        opts=child(parent),
    )
    aws.iam.RolePolicyAttachment(
        f"{name}-ecs-lb-role-policy",
        role=role.name,
        policy_arn=LOAD_BALANCER_INFRASTRUCTURE_POLICY,
        opts=child(parent),
    )
    return role


def deployment_configuration(args: DeploymentStrategyArgs) -> dict[str, Any]:
    """The service's `deploymentConfiguration` block (pulumi-aws sends the minute counts as strings)."""
    config: dict[str, Any] = {"strategy": args.strategy.upper()}
    if args.strategy == "rolling":
        return config
    config["bake_time_in_minutes"] = str(args.bake_time_minutes)
    if args.strategy == "canary":
        config["canary_configuration"] = {
            "canary_percent": float(args.canary_percent),
            "canary_bake_time_in_minutes": str(args.canary_bake_minutes),
        }
    elif args.strategy == "linear":
        config["linear_configuration"] = {
            "step_percent": float(args.linear_step_percent),
            "step_bake_time_in_minutes": str(args.linear_interval_minutes),
        }
    return config


def weighted_forward(primary_arn: pulumi.Input[str], alternate_arn: pulumi.Input[str]) -> dict[str, Any]:
    """The production rule's action before the first deployment: all traffic to the primary target group.

    ECS rewrites the weights during every deployment, so the service component ignores later changes to them.
    """
    return {
        "type": "forward",
        "forward": {
            "target_groups": [{"arn": primary_arn, "weight": 100}, {"arn": alternate_arn, "weight": 0}],
        },
    }


__all__ = [
    "LOAD_BALANCER_INFRASTRUCTURE_POLICY",
    "STRATEGIES",
    "DeploymentStrategyArgs",
    "RollbackAlarmsArgs",
    "Strategy",
    "create_infrastructure_role",
    "deployment_configuration",
    "weighted_forward",
]
