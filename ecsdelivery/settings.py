"""The settings of a service, in groups that match the stack file's sections one to one, with their defaults.

| group | stack file (`services.<name>.`) | components |
|---|---|---|
| `HealthCheckArgs` | `deployment.health_check` | the target group's health check |
| `DeploymentArgs` | `deployment` | ECS deployment configuration, draining, grace period, strategy, alarms |
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
from typing import Literal


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


Strategy = Literal["rolling", "blue_green", "canary", "linear"]
STRATEGIES: tuple[Strategy, ...] = ("rolling", "blue_green", "canary", "linear")


@dataclass(frozen=True)
class DeploymentStrategyArgs:
    """The ECS deployment strategy of a service and its settings (ECS's own ranges).

    Attributes:
        strategy: "rolling" (default), "blue_green", "canary" or "linear"; all but rolling need a load balancer.
        bake_time_minutes: old tasks kept after all traffic has moved (not for rolling), 0-1440; default 5.
        canary_percent: traffic the canary takes first, 0.1-100; default 10.
        canary_bake_minutes: minutes at the canary share, 0-1440; default 5.
        linear_step_percent: traffic moved per step, 3-100 (a divisor of 100 ends on 100 %); default 25.
        linear_interval_minutes: minutes between steps, 0-1440; default 2.
        test_listener: give ECS a test listener rule (on the platform's standby listener, same host and paths)
            that it points at the new tasks before any production traffic moves (not for rolling); default False.
    """

    strategy: Strategy = "rolling"
    bake_time_minutes: int = 5
    canary_percent: float = 10
    canary_bake_minutes: int = 5
    linear_step_percent: float = 25
    linear_interval_minutes: int = 2
    test_listener: bool = False

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy {self.strategy!r} is not one of {', '.join(STRATEGIES)}")
        if self.test_listener and self.strategy == "rolling":
            raise ValueError("test_listener needs a traffic-shifting strategy (blue_green, canary, linear)")
        for name in ("bake_time_minutes", "canary_bake_minutes", "linear_interval_minutes"):
            if not 0 <= getattr(self, name) <= 1440:
                raise ValueError(f"{name} {getattr(self, name)} is outside 0-1440")
        if not 0.1 <= self.canary_percent <= 100:
            raise ValueError(f"canary_percent {self.canary_percent} is outside 0.1-100")
        if not 3 <= self.linear_step_percent <= 100:
            raise ValueError(f"linear_step_percent {self.linear_step_percent} is outside 3-100")

    @property
    def shifts_traffic(self) -> bool:
        """True when ECS moves traffic between two target groups (everything but rolling)."""
        return self.strategy != "rolling"


@dataclass(frozen=True)
class RollbackAlarmsArgs:
    """CloudWatch alarms on the service's target groups, wired into its deployments.

    Attributes:
        error_rate_percent: target 5xx responses as a percent of requests that alarm; default 5.
        p99_latency_seconds: p99 target response time that alarms; default 2.
        unhealthy_hosts: unhealthy targets that alarm; default 1.
        period_seconds: seconds per datapoint, a multiple of 60 (load balancer metrics arrive once a minute);
            default 60.
        evaluation_periods: consecutive breaching periods before an alarm fires; default 2.
        rollback: ECS rolls the deployment back when an alarm fires; default True.
        notification_topic_arn: SNS topic (or a Pulumi output of its ARN) told when an alarm fires and clears;
            default None.
    """

    error_rate_percent: float = 5
    p99_latency_seconds: float = 2
    unhealthy_hosts: int = 1
    period_seconds: int = 60
    evaluation_periods: int = 2
    rollback: bool = True
    notification_topic_arn: str | None = None

    def __post_init__(self) -> None:
        if self.period_seconds < 60 or self.period_seconds % 60:
            raise ValueError(f"period_seconds {self.period_seconds} must be a multiple of 60")
        if self.evaluation_periods < 1:
            raise ValueError("evaluation_periods must be at least 1")


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
        strategy: rolling, blue_green, canary or linear with their settings; default
            `DeploymentStrategyArgs()` (rolling). All but rolling need a load balancer.
        alarms: CloudWatch alarms on the target groups that the deployments watch; default None (no alarms).
            Needs a load balancer.
    """

    minimum_healthy_percent: int = 100
    maximum_percent: int = 200
    circuit_breaker: bool = True
    rollback: bool = True
    health_check: HealthCheckArgs = field(default_factory=HealthCheckArgs)
    deregistration_delay: int = 5
    grace_period: int = 10
    strategy: DeploymentStrategyArgs = field(default_factory=DeploymentStrategyArgs)
    alarms: RollbackAlarmsArgs | None = None

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
        kms_key_arn: ARN of the KMS key (or a Pulumi output of one) that encrypts the log group; default None
            (CloudWatch Logs' own encryption). The key policy must let CloudWatch Logs use it (`LogEncryptionKey`).
    """

    retention_days: int = 30
    kms_key_arn: str | None = None


#: What a preview keeps its logs for by default (`preview.log_retention_days`): previews are short-lived.
PREVIEW_LOGGING = LoggingArgs(retention_days=3)

#: Containers mount their root file system read-only unless told otherwise: an attacker who gets code running in
#: the container cannot change its files. Images that write outside their volumes set it false.
READ_ONLY_ROOT_FILESYSTEM = True
