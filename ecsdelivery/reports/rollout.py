"""Worst-case rollout time and capacity of each service, from its synthesised resources.

For a rolling deployment behind a load balancer, a new task counts healthy after

    target-group health check interval x healthy threshold
    + the container health check's start period (when an essential container has a health check: ECS waits
      for it before the task counts healthy; this adds it in full, the conservative reading)

and the old task stops taking traffic and drains for the target group's deregistration delay. The sum is the
worst-case time for one replacement. Capacity during the rollout is ECS's window: at least
ceil(desired x minimumHealthyPercent / 100) tasks running and at most floor(desired x maximumPercent / 100).

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

    @property
    def time_to_healthy(self) -> float:
        return self.interval * self.healthy_threshold + self.start_period

    @property
    def worst_case_seconds(self) -> float:
        return self.time_to_healthy + self.deregistration_delay

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
    )


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


__all__ = ["PEERS", "TARGETS", "RolloutBudget", "budget_for", "markdown", "report", "synth_lines", "target_for"]
