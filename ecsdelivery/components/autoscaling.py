"""Target-tracking autoscaling of an ECS service's desired count (CPU, memory, requests per target)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ecsdelivery.components._common import child
from ecsdelivery.naming import Label
from ecsdelivery.settings import AutoscalingArgs

CPU_METRIC = "ECSServiceAverageCPUUtilization"
MEMORY_METRIC = "ECSServiceAverageMemoryUtilization"
REQUESTS_METRIC = "ALBRequestCountPerTarget"


def create_autoscaling(
    parent: pulumi.Resource,
    name: str,
    label: Label,
    scaling: AutoscalingArgs,
    *,
    resource_id: pulumi.Input[str],
    requests_label: pulumi.Input[str] | None,
) -> aws.appautoscaling.Target:
    """`<name>-scaling` (the service's desired count between `min` and `max`) and one target-tracking policy
    `<name>-scale-cpu|memory|requests` per target given, children of `parent`. `resource_id` is
    `service/<cluster>/<service>`; `requests_label` the load balancer's `<alb>/<target group>` label (None for a
    service without one: requests scaling then needs a load balancer, which the service checks)."""
    target = aws.appautoscaling.Target(
        f"{name}-scaling",
        service_namespace="ecs",
        scalable_dimension="ecs:service:DesiredCount",
        resource_id=resource_id,
        min_capacity=scaling.min,
        max_capacity=scaling.max,
        tags=label.tags,
        opts=child(parent),
    )
    metrics: list[tuple[str, str, float, pulumi.Input[str] | None]] = []
    if scaling.cpu_target is not None:
        metrics.append(("cpu", CPU_METRIC, scaling.cpu_target, None))
    if scaling.memory_target is not None:
        metrics.append(("memory", MEMORY_METRIC, scaling.memory_target, None))
    if scaling.requests_per_target is not None:
        metrics.append(("requests", REQUESTS_METRIC, scaling.requests_per_target, requests_label))
    for suffix, metric, value, resource_label in metrics:
        specification: dict[str, object] = {"predefined_metric_type": metric}
        if resource_label is not None:
            specification["resource_label"] = resource_label
        aws.appautoscaling.Policy(
            f"{name}-scale-{suffix}",
            name=label.with_attributes(suffix).name_for("autoscaling_policy"),
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration={
                "predefined_metric_specification": specification,
                "target_value": value,
                "scale_in_cooldown": scaling.scale_in_cooldown,
                "scale_out_cooldown": scaling.scale_out_cooldown,
            },
            opts=child(parent),
        )
    return target


__all__ = ["CPU_METRIC", "MEMORY_METRIC", "REQUESTS_METRIC", "create_autoscaling"]
