"""The settings of a service, in groups that match the stack file's sections one to one, with their defaults.

| group | stack file (`services.<name>.`) | components |
|---|---|---|
| `HealthCheckArgs` | `deployment.health_check` | the target group's health check |
| `DeploymentArgs` | `deployment` | ECS deployment configuration, draining, grace period |
| `CapacityArgs` | `capacity` | the capacity provider strategy (Fargate on-demand / Spot) |
| `AutoscalingArgs` | `autoscaling` (when `enabled`) | target-tracking scaling of the desired count |
| `LoggingArgs` | `log_retention_days` | the log group |
| `READ_ONLY_ROOT_FILESYSTEM` | `containers[].read_only_root_filesystem` | each container definition |

`FargateService` and `PreviewEnvironment` take the same groups, and the stack file's models take their defaults
from here, so a default is decided once. The health-check and draining defaults meet the dev/preview rollout
target (DESIGN.md): a new task takes traffic after interval x healthy threshold = 5 x 2 = 10 s and an old one
drains in 5 s, 15 s in all. Standard library only: the stack file's models and the components both import it.

    FargateServiceArgs(..., deployment=DeploymentArgs(health_check=HealthCheckArgs(path="/ready")))
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class HealthCheckArgs:
    """The load balancer's health check of each task (`deployment.health_check`).

    Attributes:
        path: HTTP path; default "/healthz".
        interval: seconds between checks, 5-300; default 5.
        timeout: seconds before a check fails, less than the interval; default 4.
        healthy_threshold: consecutive passes before a task takes traffic, 2-10; default 2.
        unhealthy_threshold: consecutive failures before a task is taken out, 2-10; default 2.
        matcher: HTTP codes that count as healthy; default "200-399".
    """

    path: str = "/healthz"
    interval: int = 5
    timeout: int = 4
    healthy_threshold: int = 2
    unhealthy_threshold: int = 2
    matcher: str = "200-399"


@dataclass(frozen=True)
class DeploymentArgs:
    """How ECS replaces tasks on a deploy, and how fast traffic moves (`deployment`).

    Attributes:
        minimum_healthy_percent: tasks kept running during a deploy, percent; default 100.
        maximum_percent: tasks allowed during a deploy, percent, 100-200; default 200.
        circuit_breaker: stop a deploy whose tasks keep failing; default True.
        rollback: when the circuit breaker trips, roll back to the last good deployment; default True (needs
            `circuit_breaker`).
        health_check: the target group's health check; default `HealthCheckArgs()`.
        deregistration_delay: seconds an old task drains before it stops; default 5.
        grace_period: seconds ECS ignores failing load-balancer checks after a task starts; default 10.
    """

    minimum_healthy_percent: int = 100
    maximum_percent: int = 200
    circuit_breaker: bool = True
    rollback: bool = True
    health_check: HealthCheckArgs = field(default_factory=HealthCheckArgs)
    deregistration_delay: int = 5
    grace_period: int = 10

    @property
    def worst_case_switch_seconds(self) -> int:
        """Time for a new task to take traffic and the old one to drain: interval x healthy threshold + delay."""
        return self.health_check.interval * self.health_check.healthy_threshold + self.deregistration_delay


@dataclass(frozen=True)
class CapacityArgs:
    """How tasks split between Fargate on-demand and Fargate Spot (`capacity`).

    Attributes:
        on_demand_weight: relative share of tasks on FARGATE; default 1.
        spot_weight: relative share of tasks on FARGATE_SPOT; default 0. E.g. 1 and 3: a quarter on-demand.
        on_demand_base: tasks placed on FARGATE before the weights apply; default 0.
    """

    on_demand_weight: int = 1
    spot_weight: int = 0
    on_demand_base: int = 0

    @classmethod
    def spot_only(cls) -> CapacityArgs:
        """Every task on Fargate Spot (what previews run on)."""
        return cls(on_demand_weight=0, spot_weight=1, on_demand_base=0)


@dataclass(frozen=True)
class AutoscalingArgs:
    """Target-tracking autoscaling of the desired count, which is then left to autoscaling (`autoscaling`).

    Attributes:
        min: fewest tasks; default 1.
        max: most tasks; default 4.
        cpu_target: average CPU % to hold; default 60. None: no CPU policy.
        memory_target: average memory % to hold; default None (no memory policy).
        requests_per_target: ALB requests per task per minute to hold; default None (no request policy).
        scale_in_cooldown: seconds between scale-ins; default 120.
        scale_out_cooldown: seconds between scale-outs; default 30.
    """

    min: int = 1
    max: int = 4
    cpu_target: float | None = 60
    memory_target: float | None = None
    requests_per_target: int | None = None
    scale_in_cooldown: int = 120
    scale_out_cooldown: int = 30


@dataclass(frozen=True)
class LoggingArgs:
    """Where the containers' logs go (`log_retention_days`).

    Attributes:
        retention_days: CloudWatch Logs retention of the service's log group; default 30.
    """

    retention_days: int = 30


#: What a preview keeps its logs for by default (`preview.log_retention_days`): previews are short-lived.
PREVIEW_LOGGING = LoggingArgs(retention_days=3)

#: Containers mount their root file system read-only unless told otherwise: an attacker who gets code running in
#: the container cannot change its files. Images that write outside their volumes set it false.
READ_ONLY_ROOT_FILESYSTEM = True
