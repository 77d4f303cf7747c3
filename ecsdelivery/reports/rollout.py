"""Worst-case rollout time and capacity of each service, from its synthesised resources.

For a rolling deployment behind a load balancer, a new task counts healthy after

    target-group health check interval x healthy threshold
    + the container health check's start period (when an essential container has a health check: ECS waits
      for it before the task counts healthy; this adds it in full, the conservative reading)

and the old task stops taking traffic and drains for the target group's deregistration delay. The sum is the
worst-case time for one replacement. Capacity during the rollout is ECS's window: at least
ceil(desired x minimumHealthyPercent / 100) tasks running and at most floor(desired x maximumPercent / 100).

The deployment strategy then decides when all traffic is on the new tasks, and the rollback alarms how soon a
bad release is undone (`time_to_full_traffic`, `time_to_rollback`):

- rolling: all traffic once the new tasks are healthy; an alarm rollback starts the old revision's tasks again,
  so it takes the alarm's detection time plus another replacement (healthy + draining);
- blue_green: all traffic at once when the new set is healthy; canary: after the canary bake; linear: after
  ceil(100 / step) - 1 intervals. The old tasks keep running for the bake time, so an alarm rollback only moves
  the traffic back: it takes the detection time. The bake must outlast detection for that to hold to the end.
- Detection: an alarm fires after its evaluation periods, and the first bad datapoint may start just after a
  period began, so the worst case is (evaluation periods + 1) x period. No alarm rollback: `time_to_rollback` is
  None (the circuit breaker catches tasks that fail to start, not a release that serves errors).

Defaults where an input is absent are pulumi-aws's (interval 30 s, healthy threshold 3, deregistration
300 s, min 100 % / max 200 %). The peers' figures (`PEERS`) come from the same arithmetic over their
documented defaults.

    for budget in report(synthesize("prod").resources):
        print(budget.line())   # "web-service-service: 10 s x 3 checks + 0 s start period + 20 s draining = 50 s ..."
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ecsdelivery.naming import StackId
from ecsdelivery.resources import (
    Resource,
    as_list,
    as_resources,
    containers,
    get,
    minimum_tasks,
    number,
    services,
    target_groups_for,
    task_definition_for,
)

# pulumi-aws (Terraform) defaults for a target group, and ECS's for a service.
DEFAULT_INTERVAL = 30
DEFAULT_HEALTHY_THRESHOLD = 3
DEFAULT_DEREGISTRATION_DELAY = 300
DEFAULT_MIN_PERCENT = 100
DEFAULT_MAX_PERCENT = 200
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
#: DESIGN targets for the worst-case rollout, by environment (seconds).
TARGETS = {"preview": 15, "dev": 15, "staging": 60, "prod": 60}


@dataclass(frozen=True)
class RolloutBudget:
    """The figures of one service's rollout and the arithmetic on them."""

    service: str
    interval: float = DEFAULT_INTERVAL
    healthy_threshold: float = DEFAULT_HEALTHY_THRESHOLD
    start_period: float = 0
    deregistration_delay: float = DEFAULT_DEREGISTRATION_DELAY
    desired: float = 1
    min_percent: float = DEFAULT_MIN_PERCENT
    max_percent: float = DEFAULT_MAX_PERCENT
    strategy: str = "ROLLING"
    bake_minutes: float = 0
    canary_percent: float = 0
    canary_bake_minutes: float = 0
    linear_step_percent: float = 0
    linear_interval_minutes: float = 0
    alarm_detection_seconds: float | None = None

    @property
    def time_to_healthy(self) -> float:
        return self.interval * self.healthy_threshold + self.start_period

    @property
    def worst_case_seconds(self) -> float:
        return self.time_to_healthy + self.deregistration_delay

    @property
    def shifting_seconds(self) -> float:
        """Seconds from the new tasks being healthy to all traffic on them (canary bake, linear steps)."""
        if self.strategy == "CANARY":
            return self.canary_bake_minutes * 60
        if self.strategy == "LINEAR" and self.linear_step_percent > 0:
            return (math.ceil(100 / self.linear_step_percent - 1e-9) - 1) * self.linear_interval_minutes * 60
        return 0

    @property
    def time_to_full_traffic(self) -> float:
        """Worst-case seconds from the start of a deployment to all traffic on the new tasks."""
        return self.time_to_healthy + self.shifting_seconds

    @property
    def time_to_complete(self) -> float:
        """Worst-case seconds until the old tasks are gone: draining (rolling) or the bake, then draining."""
        if self.strategy == "ROLLING":
            return self.worst_case_seconds
        return self.time_to_full_traffic + self.bake_minutes * 60 + self.deregistration_delay

    @property
    def time_to_rollback(self) -> float | None:
        """Worst-case seconds from the first bad response to traffic back on the old revision; None without an
        alarm rollback."""
        if self.alarm_detection_seconds is None:
            return None
        if self.strategy == "ROLLING":
            return self.alarm_detection_seconds + self.worst_case_seconds
        return self.alarm_detection_seconds

    @property
    def bake_covers_detection(self) -> bool:
        """True when the old tasks outlive alarm detection after all traffic moved (traffic-shifting strategies)."""
        return self.alarm_detection_seconds is not None and self.bake_minutes * 60 >= self.alarm_detection_seconds

    def strategy_terms(self) -> str:
        """The strategy and its timings, e.g. "CANARY 10% for 5 min, bake 5 min"."""
        if self.strategy == "CANARY":
            return (
                f"CANARY {self.canary_percent:g}% for {self.canary_bake_minutes:g} min, bake {self.bake_minutes:g} min"
            )
        if self.strategy == "LINEAR":
            return (
                f"LINEAR {self.linear_step_percent:g}% every {self.linear_interval_minutes:g} min, "
                f"bake {self.bake_minutes:g} min"
            )
        if self.strategy == "BLUE_GREEN":
            return f"BLUE_GREEN, bake {self.bake_minutes:g} min"
        return "ROLLING"

    def safety(self) -> str:
        """Full traffic and rollback, spelt out."""
        text = f"{self.strategy_terms()}: all traffic after {self.time_to_full_traffic:g} s"
        rollback = self.time_to_rollback
        if rollback is None:
            return text + "; no alarm rollback"
        detection = f"{self.alarm_detection_seconds:g} s alarm detection"
        if self.strategy == "ROLLING":
            text += f"; alarm rollback within {rollback:g} s ({detection} + {self.worst_case_seconds:g} s replacement)"
        else:
            text += f"; alarm rollback within {rollback:g} s ({detection}, traffic moves back)"
            if not self.bake_covers_detection:
                text += f" [bake {self.bake_minutes:g} min is shorter than detection]"
        return text

    @property
    def min_running(self) -> int:
        return math.ceil(self.desired * self.min_percent / 100 - 1e-9)

    @property
    def max_running(self) -> int:
        return math.floor(self.desired * self.max_percent / 100 + 1e-9)

    def terms(self) -> str:
        """The sum spelt out: target-group checks, start period and draining, or the start period alone."""
        if not self.healthy_threshold:
            return f"no load balancer: {self.start_period:g} s start period"
        return (
            f"{self.interval:g} s x {self.healthy_threshold:g} checks + {self.start_period:g} s start period + "
            f"{self.deregistration_delay:g} s draining"
        )

    def line(self) -> str:
        return (
            f"{self.service}: {self.terms()} = {self.worst_case_seconds:g} s worst case; "
            f"{self.desired:g} task(s), {self.min_running}..{self.max_running} running during the rollout "
            f"({self.min_percent:g}%..{self.max_percent:g}%)"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "time_to_healthy_seconds": self.time_to_healthy,
            "worst_case_seconds": self.worst_case_seconds,
            "time_to_full_traffic_seconds": self.time_to_full_traffic,
            "time_to_complete_seconds": self.time_to_complete,
            "time_to_rollback_seconds": self.time_to_rollback,
            "min_running": self.min_running,
            "max_running": self.max_running,
        }


def _start_period(definition: Resource | None) -> float:
    """The longest start period among essential containers that have a health check (0 when none gates)."""
    if definition is None:
        return 0
    periods = [
        number(get(c, "healthCheck.startPeriod")) or 0
        for c in containers(definition.inputs)
        if isinstance(c.get("healthCheck"), Mapping) and c.get("essential", True) is not False
    ]
    return max(periods, default=0)


def budget_for(service: Resource, resources: list[Resource]) -> RolloutBudget:
    """The rollout budget of one ECS service among the stack's resources (the slowest target group counts).

    A service with no load balancer (a worker) has no target-group checks and nothing to drain: only its
    container health check's start period gates the rollout.
    """
    inputs = service.inputs
    if inputs.get("loadBalancers"):
        interval, threshold, delay = _slowest_target_group(target_groups_for(service, resources))
    else:
        interval, threshold, delay = 0, 0, 0
    return RolloutBudget(
        service=service.name,
        interval=interval,
        healthy_threshold=threshold,
        start_period=_start_period(task_definition_for(service, resources)),
        deregistration_delay=delay,
        desired=minimum_tasks(service, resources) or number(inputs.get("desiredCount")) or 1,
        min_percent=number(inputs.get("deploymentMinimumHealthyPercent")) or DEFAULT_MIN_PERCENT,
        max_percent=number(inputs.get("deploymentMaximumPercent")) or DEFAULT_MAX_PERCENT,
        **_strategy(inputs),
        alarm_detection_seconds=alarm_detection_seconds(service, resources),
    )


def _strategy(inputs: Mapping[str, Any]) -> dict[str, Any]:
    config = inputs.get("deploymentConfiguration")
    config = config if isinstance(config, Mapping) else {}
    return {
        "strategy": str(config.get("strategy") or "ROLLING"),
        "bake_minutes": number(config.get("bakeTimeInMinutes")) or 0,
        "canary_percent": number(get(config, "canaryConfiguration.canaryPercent")) or 0,
        "canary_bake_minutes": number(get(config, "canaryConfiguration.canaryBakeTimeInMinutes")) or 0,
        "linear_step_percent": number(get(config, "linearConfiguration.stepPercent")) or 0,
        "linear_interval_minutes": number(get(config, "linearConfiguration.stepBakeTimeInMinutes")) or 0,
    }


def alarm_detection_seconds(service: Resource, resources: list[Resource]) -> float | None:
    """Worst-case seconds for the service's deployment alarms to fire: (evaluation periods + 1) x period of the
    slowest. None when the service has no alarms with rollback on, or none of them is among `resources`."""
    alarms = service.inputs.get("alarms")
    if not isinstance(alarms, Mapping) or alarms.get("enable") is not True or alarms.get("rollback") is not True:
        return None
    names = set(as_list(alarms.get("alarmNames")))
    figures = []
    for alarm in (r for r in resources if r.type == METRIC_ALARM and r.inputs.get("name") in names):
        periods = number(alarm.inputs.get("evaluationPeriods")) or 1
        seconds = [number(alarm.inputs.get("period"))]
        seconds += [number(get(q, "metric.period")) for q in as_list(alarm.inputs.get("metricQueries"))]
        period = max((s for s in seconds if s), default=60)
        figures.append((periods + 1) * period)
    return max(figures, default=None)


def _slowest_target_group(groups: list[Resource]) -> tuple[float, float, float]:
    """(interval, healthy threshold, deregistration delay) of the slowest group; pulumi-aws defaults fill gaps."""
    figures = [
        (
            number(get(g.inputs, "healthCheck.interval")) or DEFAULT_INTERVAL,
            number(get(g.inputs, "healthCheck.healthyThreshold")) or DEFAULT_HEALTHY_THRESHOLD,
            _or_default(number(g.inputs.get("deregistrationDelay")), DEFAULT_DEREGISTRATION_DELAY),
        )
        for g in groups
    ]
    return max(
        figures or [(DEFAULT_INTERVAL, DEFAULT_HEALTHY_THRESHOLD, DEFAULT_DEREGISTRATION_DELAY)],
        key=lambda f: f[0] * f[1] + f[2],
    )


def _or_default(value: float | None, default: float) -> float:
    """`value` unless absent: a deregistration delay of 0 is a real setting, not a missing one."""
    return default if value is None else value


def report(resources: Iterable[Mapping[str, Any] | Resource]) -> list[RolloutBudget]:
    """One budget per ECS service among synthesised resources (synth dicts or `Resource`s)."""
    items = as_resources(resources)
    return [budget_for(service, items) for service in services(items)]


def target_for(stack: str) -> float | None:
    """The DESIGN target for a stack name (`pr-<N>` is a preview), None when there is none."""
    return TARGETS.get(StackId.parse(stack).environment)


def synth_lines(result: Any) -> list[str]:
    """Lines `synth` prints after the outputs: each service's worst-case rollout against its target."""
    budgets = report(result.resources)
    if not budgets:
        return []
    target = target_for(str(getattr(result, "stack", "")))
    lines = ["rollout (worst case per service):"]
    for budget in budgets:
        verdict = ""
        if target is not None:
            verdict = f"  [target <= {target:g} s: {'ok' if budget.worst_case_seconds <= target else 'OVER'}]"
        lines.append(f"  {budget.line()}{verdict}")
        if budget.healthy_threshold:
            lines.append(f"    {budget.safety()}")
    return lines


def markdown(resources: Iterable[Mapping[str, Any] | Resource], stack: str = "") -> str:
    """A markdown line per service for PR comments (the `diff --markdown` body)."""
    target = target_for(stack)
    rows = []
    for budget in report(resources):
        goal = f" (target {target:g} s)" if target is not None else ""
        rows.append(
            f"- Rollout `{budget.service}`: worst case **{budget.worst_case_seconds:g} s**{goal} "
            f"({budget.terms()}); {budget.min_running}..{budget.max_running} tasks running"
        )
        if budget.healthy_threshold:
            rows.append(f"  - Strategy **{budget.strategy_terms()}**: {budget.safety().split(': ', 1)[1]}")
    return "\n".join(rows)


#: Peers' defaults for a load-balanced Fargate service, computed by the same arithmetic.
PEERS: dict[str, RolloutBudget] = {
    # Copilot "Load Balanced Web Service": deregistration_delay 60 s; target group health check 30 s x 5.
    "AWS Copilot": RolloutBudget("AWS Copilot", interval=30, healthy_threshold=5, deregistration_delay=60),
    # Pulumi awsx FargateService + ApplicationLoadBalancer: pulumi-aws target group defaults (30 s x 3, 300 s).
    "Pulumi awsx": RolloutBudget("Pulumi awsx", interval=30, healthy_threshold=3, deregistration_delay=300),
    # CDK ApplicationLoadBalancedFargateService: ELBv2 API defaults (30 s x 5) and 300 s deregistration.
    "AWS CDK": RolloutBudget("AWS CDK", interval=30, healthy_threshold=5, deregistration_delay=300),
}


__all__ = [
    "PEERS",
    "TARGETS",
    "RolloutBudget",
    "alarm_detection_seconds",
    "budget_for",
    "markdown",
    "report",
    "synth_lines",
    "target_for",
]
