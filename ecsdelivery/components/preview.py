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
from ecsdelivery.facts import MAX_LISTENER_PRIORITY
from ecsdelivery.naming import Label, preview_name
from ecsdelivery.settings import PREVIEW_LOGGING, CapacityArgs, DeploymentArgs, LoggingArgs

__all__ = ["PreviewEnvironment", "PreviewEnvironmentArgs"]


@dataclass
class PreviewEnvironmentArgs:
    """Arguments of `PreviewEnvironment`.

    Fixed for previews: one task, no autoscaling, ECS Exec on. The host and the listener rule priority are given,
    as the resolved stack worked them out (`ecsdelivery.stack.resolve_stack`: the host from
    `preview.host_template`, the priority from `ecsdelivery.config.priorities.preview_priority`). The settings
    come in the same groups as `FargateServiceArgs` (`ecsdelivery.settings`), so a program passes a service's own.

    Attributes:
        label: the application's label; the preview adds the attribute `pr-<N>` to every name.
        pr_number: the pull request number (1 or more).
        platform: the existing platform (usually dev's, through a stack reference).
        containers: the containers to run (the image is the PR's build).
        host: the preview's host name, e.g. "pr-42.preview.example.com"; None for a service without a load
            balancer (a worker): no target group, listener rule or host.
        listener_rule_priority: the rule's priority; required with a host, unused without.
        expires_at: ISO 8601 time after which cleanup may delete the preview (tag `ExpiresAt`).
        repository_arns: ECR repositories the images come from; default none.
        cpu: task CPU units; default 256 (the smallest).
        memory: task memory in MiB; default 512 (the smallest with 256).
        cpu_architecture: "X86_64" or "ARM64"; default "X86_64".
        path_patterns: path patterns the listener rule matches besides the host; default none (any path).
        capacity: default `CapacityArgs.spot_only()`.
        deployment: deployment, health check and draining; default `DeploymentArgs()`.
        logging: default `PREVIEW_LOGGING` (3 days).
        route53_zone_id: create an alias record for the host in this zone; default None.
        task_role_statements: extra IAM statements for the application; default none.
        secrets_kms_key_arn: key the secrets are encrypted with; default None.
    """

    label: Label
    pr_number: int
    platform: PlatformRef
    containers: Sequence[ContainerArgs]
    host: str | None
    listener_rule_priority: int | None
    expires_at: str
    repository_arns: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    cpu: int = 256
    memory: int = 512
    cpu_architecture: str = "X86_64"
    path_patterns: Sequence[str] = field(default_factory=tuple)
    capacity: CapacityArgs = field(default_factory=CapacityArgs.spot_only)
    deployment: DeploymentArgs = field(default_factory=DeploymentArgs)
    logging: LoggingArgs = PREVIEW_LOGGING
    route53_zone_id: pulumi.Input[str] | None = None
    task_role_statements: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    secrets_kms_key_arn: pulumi.Input[str] | None = None


class PreviewEnvironment(pulumi.ComponentResource):
    """A pull request's service on an existing platform: a task definition and a service, nothing shared.

    Children: `<name>-task` (FargateTaskDefinition) and `<name>-service` (FargateService) with theirs. It creates
    no VPC, NAT gateway, load balancer or cluster.

        PreviewEnvironment("web-pr-42", PreviewEnvironmentArgs(label=label, pr_number=42, platform=dev,
            containers=[ContainerArgs(name="web", image=image, port=8080)],
            host="pr-42.preview.example.com", listener_rule_priority=10168, expires_at="2030-01-01T00:00:00Z"))
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
        if args.host is not None and args.listener_rule_priority is None:
            raise ValueError(f"{name}: a preview with a host needs its listener_rule_priority")
        self._name = name
        self._args = args
        self.host = args.host
        self.listener_rule_priority = args.listener_rule_priority if args.host is not None else None
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
        label = args.label.with_attributes(preview_name(args.pr_number))
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
                logging=args.logging,
                enable_execute_command=True,
                task_role_statements=args.task_role_statements,
                secrets_kms_key_arn=args.secrets_kms_key_arn,
            ),
            opts=child(self),
        )

    def _create_service(self, task: FargateTaskDefinition) -> FargateService:
        args = self._args
        return FargateService(
            f"{self._name}-service",
            FargateServiceArgs(
                label=self._label,
                platform=args.platform,
                task_definition=task,
                host=self.host,
                path_patterns=tuple(args.path_patterns) if self.host is not None else (),
                # A worker (no host) gets no listener rule, so its priority is never used.
                listener_rule_priority=self.listener_rule_priority or MAX_LISTENER_PRIORITY,
                desired_count=1,
                capacity=args.capacity,
                deployment=args.deployment,
                enable_execute_command=True,
                autoscaling=None,
                route53_zone_id=args.route53_zone_id,
            ),
            opts=child(self),
        )
