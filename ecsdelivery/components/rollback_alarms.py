"""The CloudWatch alarms a routed service's deployments watch: target 5xx rate, p99 latency, unhealthy hosts.

Each alarm reads every target group the service may serve from (one for a rolling service; the primary and
the alternate for blue/green, canary and linear, whose roles swap on each deployment) and fires on the worst
of them: a canary taking 10 % of the traffic is judged on its own 5xx rate, not diluted by the old tasks'.

`metric_queries(kind, ...)` is pure: it returns the alarm's `metricQueries` for the given dimension values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from ecsdelivery.components._common import child
from ecsdelivery.components.deployment import RollbackAlarmsArgs
from ecsdelivery.naming import Label

AlarmKind = Literal["5xx", "latency", "unhealthy"]
KINDS: tuple[AlarmKind, ...] = ("5xx", "latency", "unhealthy")
NAMESPACE = "AWS/ApplicationELB"


@dataclass(frozen=True)
class _Kind:
    description: str
    comparison: str
    letter: str


_KINDS: dict[AlarmKind, _Kind] = {
    "5xx": _Kind("target 5xx rate (percent of requests)", "GreaterThanThreshold", "e"),
    "latency": _Kind("p99 target response time (seconds)", "GreaterThanThreshold", "l"),
    "unhealthy": _Kind("unhealthy targets", "GreaterThanOrEqualToThreshold", "u"),
}


def _metric(query_id: str, name: str, stat: str, load_balancer: Any, target_group: Any, period: int) -> dict[str, Any]:
    return {
        "id": query_id,
        "return_data": False,
        "metric": {
            "namespace": NAMESPACE,
            "metric_name": name,
            "stat": stat,
            "period": period,
            "dimensions": {"LoadBalancer": load_balancer, "TargetGroup": target_group},
        },
    }


def metric_queries(
    kind: AlarmKind, *, load_balancer: Any, target_groups: Sequence[Any], period: int
) -> list[dict[str, Any]]:
    """The alarm's metric queries: one series per target group, and the worst of them as the returned value.

    `load_balancer` and `target_groups` are the CloudWatch dimension values (`app/<name>/<id>`,
    `targetgroup/<name>/<id>`); they may be Pulumi inputs.
    """
    if not target_groups:
        raise ValueError("an alarm needs at least one target group")
    queries: list[dict[str, Any]] = []
    series: list[str] = []
    for index, target_group in enumerate(target_groups):
        if kind == "5xx":
            errors, requests = f"e{index}", f"r{index}"
            queries.append(_metric(errors, "HTTPCode_Target_5XX_Count", "Sum", load_balancer, target_group, period))
            queries.append(_metric(requests, "RequestCount", "Sum", load_balancer, target_group, period))
            # No errors reported means none happened; no requests means no rate (never a division by zero).
            rate = f"rate{index}"
            queries.append(
                {"id": rate, "expression": f"100 * FILL({errors}, 0) / FILL({requests}, 1)", "return_data": False}
            )
            series.append(rate)
        elif kind == "latency":
            series.append(f"l{index}")
            queries.append(_metric(series[-1], "TargetResponseTime", "p99", load_balancer, target_group, period))
        else:
            series.append(f"u{index}")
            queries.append(_metric(series[-1], "UnHealthyHostCount", "Maximum", load_balancer, target_group, period))
    if len(series) == 1:
        returned = next(q for q in queries if q["id"] == series[0])
        returned["return_data"] = True
        returned["label"] = _KINDS[kind].description
    else:
        queries.append(
            {
                "id": "worst",
                "expression": f"MAX([{', '.join(series)}])",
                "label": f"worst {_KINDS[kind].description} of the target groups",
                "return_data": True,
            }
        )
    return queries


def threshold(kind: AlarmKind, args: RollbackAlarmsArgs) -> float:
    """The alarm's threshold in the unit its metric has (percent, seconds, targets)."""
    if kind == "5xx":
        return float(args.error_rate_percent)
    if kind == "latency":
        return float(args.p99_latency_seconds)
    return float(args.unhealthy_hosts)


def alarm_name(label: Label, kind: AlarmKind) -> str:
    """The alarm's name: the service's label with the kind as an attribute, e.g. `acme-prod-web-5xx`."""
    return label.with_attributes(kind).name_for("cloudwatch_alarm")


def create_rollback_alarms(
    parent: pulumi.Resource,
    name: str,
    *,
    label: Label,
    args: RollbackAlarmsArgs,
    load_balancer: pulumi.Input[str],
    target_groups: Sequence[pulumi.Input[str]],
) -> list[aws.cloudwatch.MetricAlarm]:
    """`<name>-alarm-5xx`, `<name>-alarm-latency` and `<name>-alarm-unhealthy`, children of `parent`."""
    actions = [args.notification_topic_arn] if args.notification_topic_arn is not None else []
    alarms = []
    for kind in KINDS:
        alarms.append(
            aws.cloudwatch.MetricAlarm(
                f"{name}-alarm-{kind}",
                name=alarm_name(label, kind),
                alarm_description=f"{label.id}: {_KINDS[kind].description} past the deployment's limit; "
                + ("ECS rolls the deployment back" if args.rollback else "ECS stops the deployment"),
                comparison_operator=_KINDS[kind].comparison,
                threshold=threshold(kind, args),
                evaluation_periods=args.evaluation_periods,
                datapoints_to_alarm=args.evaluation_periods,
                metric_queries=metric_queries(
                    kind, load_balancer=load_balancer, target_groups=target_groups, period=args.period_seconds
                ),
                # No traffic is no evidence of a fault; an idle service must not block its deployments.
                treat_missing_data="notBreaching",
                alarm_actions=actions,
                ok_actions=actions,
                tags=label.tags,
                opts=child(parent),
            )
        )
    return alarms


__all__ = ["KINDS", "AlarmKind", "alarm_name", "create_rollback_alarms", "metric_queries", "threshold"]
