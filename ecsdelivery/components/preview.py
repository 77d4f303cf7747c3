"""PreviewEnvironment: one pull request's service on an existing platform, as cheap and quick as it can be."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from ecsdelivery.components._common import child
from ecsdelivery.components.refs import PlatformRef
from ecsdelivery.components.service import FargateService, FargateServiceArgs
from ecsdelivery.components.task_definition import ContainerArgs, FargateTaskDefinition, FargateTaskDefinitionArgs
from ecsdelivery.config.priorities import (  # one scheme for config and components; re-exported here
    MAX_PRIORITY,
    PREVIEW_PRIORITY_BASE,
    SERVICES_PER_PREVIEW,
    largest_preview_pr,
    preview_priority,
)
from ecsdelivery.naming import Label

__all__ = [
    "MAX_PRIORITY",
    "PREVIEW_PRIORITY_BASE",
    "SERVICES_PER_PREVIEW",
    "PreviewEnvironment",
    "PreviewEnvironmentArgs",
    "largest_preview_pr",
    "preview_host",
    "preview_priority",
]


def preview_host(template: str, pr_number: int) -> str:
    """The preview's host name: `template` with `{pr}` replaced by the number, e.g. "pr-{pr}.preview.example.com"."""
    if "{pr}" not in template:
        raise ValueError(f"preview host template {template!r} has no {{pr}} placeholder")
    return template.replace("{pr}", str(pr_number))


@dataclass
class PreviewEnvironmentArgs:
    """Arguments of `PreviewEnvironment`.

    Fixed for previews: one task, no autoscaling, ECS Exec on. By default FARGATE_SPOT only and the fast health
    check and draining defaults of `FargateServiceArgs` (15 s rollout); the fields below mirror
    `FargateServiceArgs` so a program can pass the service's own settings.

    Attributes:
        label: the application's label; the preview adds the attribute `pr-<N>` to every name.
        pr_number: the pull request number (1 or more).
        platform: the existing platform (usually dev's, through a stack reference).
        containers: the containers to run (the image is the PR's build).
        host_template: host with a `{pr}` placeholder, e.g. "pr-{pr}.preview.example.com"; None for a service
            without a load balancer (a worker): no target group, listener rule or host, and no priority.
        expires_at: ISO 8601 time after which cleanup may delete the preview (tag `ExpiresAt`).
        repository_arns: ECR repositories the images come from; default none.
        listener_rule_priority: the rule's priority, as the stack config computed it; default None: computed
            here by `preview_priority(pr_number, service_index, base=priority_base,
            services_per_preview=services_per_preview)`.
        service_index: which of the PR's priority slots this service takes; default 0.
        priority_base: start of the preview priority range; default 10000.
        services_per_preview: priority slots each PR owns; default 4 (PRs 1 to 9999 fit).
        cpu: task CPU units; default 256 (the smallest).
        memory: task memory in MiB; default 512 (the smallest with 256).
        log_retention_days: default 1.
        cpu_architecture: "X86_64" or "ARM64"; default "X86_64".
        path_patterns: path patterns the listener rule matches besides the host; default none (any path).
        on_demand_weight, spot_weight, on_demand_base: capacity provider strategy; default 0, 1, 0 (Spot only).
        health_check_path: default "/".
        health_check_matcher, health_check_interval, health_check_timeout, healthy_threshold,
            unhealthy_threshold, deregistration_delay, health_check_grace_period, min_healthy_percent,
            max_percent, circuit_breaker, rollback: as in `FargateServiceArgs`, same defaults.
        route53_zone_id: create an alias record for the host in this zone; default None.
        task_role_statements: extra IAM statements for the application; default none.
        secrets_kms_key_arn: key the secrets are encrypted with; default None.
    """

    label: Label
    pr_number: int
    platform: PlatformRef
    containers: Sequence[ContainerArgs]
    host_template: str | None
    expires_at: str
    repository_arns: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    listener_rule_priority: int | None = None
    service_index: int = 0
    priority_base: int = PREVIEW_PRIORITY_BASE
    services_per_preview: int = SERVICES_PER_PREVIEW
    cpu: int = 256
    memory: int = 512
    log_retention_days: int = 1
    cpu_architecture: str = "X86_64"
    path_patterns: Sequence[str] = field(default_factory=tuple)
    on_demand_weight: int = 0
    spot_weight: int = 1
    on_demand_base: int = 0
    health_check_path: str = "/"
    health_check_matcher: str = "200-399"
    health_check_interval: int = 5
    health_check_timeout: int = 4
    healthy_threshold: int = 2
    unhealthy_threshold: int = 2
    deregistration_delay: int = 5
    health_check_grace_period: int = 30
    min_healthy_percent: int = 100
    max_percent: int = 200
    circuit_breaker: bool = True
    rollback: bool = True
    route53_zone_id: pulumi.Input[str] | None = None
    task_role_statements: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    secrets_kms_key_arn: pulumi.Input[str] | None = None


class PreviewEnvironment(pulumi.ComponentResource):
    """A pull request's service on an existing platform: a task definition and a service, nothing shared.

    Children: `<name>-task` (FargateTaskDefinition) and `<name>-service` (FargateService) with theirs. It creates
    no VPC, NAT gateway, load balancer or cluster.

        PreviewEnvironment("web-pr-42", PreviewEnvironmentArgs(label=label, pr_number=42, platform=dev,
            containers=[ContainerArgs(name="web", image=image, port=8080)],
            host_template="pr-{pr}.preview.example.com", expires_at="2030-01-01T00:00:00Z"))
    """

    url: pulumi.Output[str] | None
    host: str | None
    listener_rule_priority: int | None
    service_name: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]
    target_group_arn: pulumi.Output[str] | None
    image: pulumi.Output[str]

    def __init__(self, name: str, args: PreviewEnvironmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsdelivery:index:PreviewEnvironment", name, None, opts)
        self._name = name
        self._args = args
        routed = args.host_template is not None
        self.host = preview_host(args.host_template, args.pr_number) if args.host_template is not None else None
        self.listener_rule_priority = (
            None
            if not routed
            else args.listener_rule_priority
            if args.listener_rule_priority is not None
            else preview_priority(
                args.pr_number,
                args.service_index,
                base=args.priority_base,
                services_per_preview=args.services_per_preview,
            )
        )
        self._label = self._preview_label()

        task = self._create_task_definition()
        service = self._create_service(task)

        self.url = service.url
        self.service_name = service.service_name
        self.task_definition_arn = task.task_definition_arn
        self.target_group_arn = service.target_group_arn
        self.image = task.image
        self.register_outputs(
            {
                "url": self.url,
                "host": self.host,
                "listenerRulePriority": self.listener_rule_priority,
                "serviceName": self.service_name,
                "taskDefinitionArn": self.task_definition_arn,
                "targetGroupArn": self.target_group_arn,
                "image": self.image,
            }
        )

    def _preview_label(self) -> Label:
        """The label plus `pr-<N>` (which adds the PullRequest tag) and the ExpiresAt tag."""
        args = self._args
        label = args.label.with_attributes(f"pr-{args.pr_number}")
        return Label(
            namespace=label.namespace,
            environment=label.environment,
            name=label.name,
            attributes=label.attributes,
            extra_tags={**label.extra_tags, "ExpiresAt": args.expires_at},
        )

    def _create_task_definition(self) -> FargateTaskDefinition:
        args = self._args
        return FargateTaskDefinition(
            f"{self._name}-task",
            FargateTaskDefinitionArgs(
                label=self._label,
                containers=args.containers,
                cpu=args.cpu,
                memory=args.memory,
                cpu_architecture=args.cpu_architecture,
                repository_arns=args.repository_arns,
                log_retention_days=args.log_retention_days,
                enable_execute_command=True,
                task_role_statements=args.task_role_statements,
                secrets_kms_key_arn=args.secrets_kms_key_arn,
            ),
            opts=child(self),
        )

    def _create_service(self, task: FargateTaskDefinition) -> FargateService:
        args = self._args
        # A worker (no host) gets no listener rule, so its priority is never used.
        priority = self.listener_rule_priority if self.listener_rule_priority is not None else MAX_PRIORITY
        return FargateService(
            f"{self._name}-service",
            FargateServiceArgs(
                label=self._label,
                platform=args.platform,
                task_definition=task,
                host=self.host,
                path_patterns=tuple(args.path_patterns) if self.host is not None else (),
                listener_rule_priority=priority,
                desired_count=1,
                on_demand_weight=args.on_demand_weight,
                spot_weight=args.spot_weight,
                on_demand_base=args.on_demand_base,
                min_healthy_percent=args.min_healthy_percent,
                max_percent=args.max_percent,
                health_check_path=args.health_check_path,
                health_check_matcher=args.health_check_matcher,
                health_check_interval=args.health_check_interval,
                health_check_timeout=args.health_check_timeout,
                healthy_threshold=args.healthy_threshold,
                unhealthy_threshold=args.unhealthy_threshold,
                deregistration_delay=args.deregistration_delay,
                health_check_grace_period=args.health_check_grace_period,
                circuit_breaker=args.circuit_breaker,
                rollback=args.rollback,
                enable_execute_command=True,
                autoscaling=None,
                route53_zone_id=args.route53_zone_id,
            ),
            opts=child(self),
        )
