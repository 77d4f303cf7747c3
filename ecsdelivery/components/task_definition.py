"""FargateTaskDefinition: a Fargate task definition with its log group, execution role and task role."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsdelivery.components import _policies
from ecsdelivery.components._common import child, to_json
from ecsdelivery.naming import Label
from ecsdelivery.settings import READ_ONLY_ROOT_FILESYSTEM, LoggingArgs


@dataclass(frozen=True)
class SecretArgs:
    """A secret the ECS agent injects as an environment variable; give exactly one source.

    Attributes:
        name: the environment variable, e.g. "DATABASE_URL".
        ssm_parameter: an SSM parameter name ("/acme/dev/db") or ARN; names become ARNs in the task's account
            and region.
        secrets_manager_arn: a Secrets Manager secret ARN, optionally with a JSON key (`...:secret:db-AbCdEf:url::`).
    """

    name: str
    ssm_parameter: str | None = None
    secrets_manager_arn: str | None = None

    def __post_init__(self) -> None:
        if (self.ssm_parameter is None) == (self.secrets_manager_arn is None):
            raise ValueError(f"secret {self.name!r}: give exactly one of ssm_parameter or secrets_manager_arn")


@dataclass(frozen=True)
class ContainerHealthCheckArgs:
    """A container health check run by the ECS agent.

    Attributes:
        command: e.g. ["CMD-SHELL", "curl -fsS http://localhost:8080/health || exit 1"].
        interval: seconds between checks; default 10.
        timeout: seconds before a check fails; default 5.
        retries: failures before the container is unhealthy; default 3.
        start_period: seconds of grace after start; default 0.
    """

    command: Sequence[str]
    interval: int = 10
    timeout: int = 5
    retries: int = 3
    start_period: int = 0


@dataclass
class ContainerArgs:
    """One container of the task.

    Attributes:
        name: container name; the first container with a `port` receives load balancer traffic.
        image: image reference, ideally by digest (`repo@sha256:...`).
        port: TCP port the container listens on; default None (no port mapping).
        cpu: CPU units reserved for the container; default None (share the task's).
        memory: hard memory limit in MiB; default None (the task's).
        memory_reservation: soft memory limit in MiB (what ECS reserves; the container may use more up to
            `memory`); default None.
        essential: stopping it stops the task; default True.
        environment: plain environment variables; default none.
        secrets: secrets injected as environment variables; default none.
        command: overrides the image's CMD; default None.
        entry_point: overrides the image's ENTRYPOINT; default None.
        health_check: container health check; default None.
        readonly_root_filesystem: mount the root filesystem read-only; default True (an image that writes outside
            its volumes needs False).
        stop_timeout: seconds between SIGTERM and SIGKILL; default None (ECS: 30).
    """

    name: str
    image: pulumi.Input[str]
    port: int | None = None
    cpu: int | None = None
    memory: int | None = None
    memory_reservation: int | None = None
    essential: bool = True
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    secrets: Sequence[SecretArgs] = field(default_factory=tuple)
    command: Sequence[str] | None = None
    entry_point: Sequence[str] | None = None
    health_check: ContainerHealthCheckArgs | None = None
    readonly_root_filesystem: bool = READ_ONLY_ROOT_FILESYSTEM
    stop_timeout: int | None = None


@dataclass
class FargateTaskDefinitionArgs:
    """Arguments of `FargateTaskDefinition`.

    Attributes:
        label: names and tags (family, roles, log group `/ecs/<label id>`).
        containers: at least one container.
        cpu: task CPU units; default 256 (0.25 vCPU). Valid pairs are checked by the stack config.
        memory: task memory in MiB; default 512.
        cpu_architecture: "X86_64" or "ARM64"; default "X86_64".
        repository_arns: ECR repositories the images come from; the execution role may pull from these only.
            Default none (public images).
        logging: the log group's retention; default `LoggingArgs()` (30 days).
        enable_execute_command: grant the task role the SSM channels ECS Exec needs; default False.
        task_role_statements: extra IAM statements for the application; default none.
        secrets_kms_key_arn: customer-managed key the secrets are encrypted with (adds kms:Decrypt on it only);
            default None.
    """

    label: Label
    containers: Sequence[ContainerArgs]
    cpu: int = 256
    memory: int = 512
    cpu_architecture: str = "X86_64"
    repository_arns: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    logging: LoggingArgs = field(default_factory=LoggingArgs)
    enable_execute_command: bool = False
    task_role_statements: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    secrets_kms_key_arn: pulumi.Input[str] | None = None


def container_definition(
    container: ContainerArgs,
    *,
    log_group: pulumi.Input[str],
    region: pulumi.Input[str],
    ssm_arns: Mapping[str, pulumi.Input[str]],
    init_process: bool,
) -> dict[str, Any]:
    """The ECS container definition (RegisterTaskDefinition shape) for one container; values may be Inputs."""
    definition: dict[str, Any] = {
        "name": container.name,
        "image": container.image,
        "essential": container.essential,
        "readonlyRootFilesystem": container.readonly_root_filesystem,
        "environment": [{"name": k, "value": v} for k, v in sorted(container.environment.items())],
        "secrets": [
            {"name": s.name, "valueFrom": s.secrets_manager_arn or ssm_arns[s.name]} for s in container.secrets
        ],
        "portMappings": (
            [{"containerPort": container.port, "hostPort": container.port, "protocol": "tcp"}] if container.port else []
        ),
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": container.name},
        },
    }
    optional = {
        "cpu": container.cpu,
        "memory": container.memory,
        "memoryReservation": container.memory_reservation,
        "command": list(container.command) if container.command is not None else None,
        "entryPoint": list(container.entry_point) if container.entry_point is not None else None,
        "stopTimeout": container.stop_timeout,
    }
    definition.update({k: v for k, v in optional.items() if v is not None})
    if container.health_check:
        check = container.health_check
        definition["healthCheck"] = {
            "command": list(check.command),
            "interval": check.interval,
            "timeout": check.timeout,
            "retries": check.retries,
            "startPeriod": check.start_period,
        }
    if init_process:
        # ECS Exec needs an init process to reap the SSM agent's child processes.
        definition["linuxParameters"] = {"initProcessEnabled": True}
    return definition


class FargateTaskDefinition(pulumi.ComponentResource):
    """A Fargate (awsvpc) task definition with a log group, a least-privilege execution role and a task role.

    Children: `<name>-logs` (LogGroup), `<name>-execution-role` + `<name>-execution-policy`, `<name>-task-role`
    (+ `<name>-task-policy` when it has statements), `<name>-task` (aws.ecs.TaskDefinition).

        task = FargateTaskDefinition("web", FargateTaskDefinitionArgs(
            label=label, containers=[ContainerArgs(name="web", image=image, port=8080)]))
    """

    task_definition_arn: pulumi.Output[str]
    family: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]
    task_role_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    container_name: str
    container_port: int | None
    image: pulumi.Output[str]

    def __init__(self, name: str, args: FargateTaskDefinitionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsdelivery:index:FargateTaskDefinition", name, None, opts)
        if not args.containers:
            raise ValueError(f"{name}: a task definition needs at least one container")
        self._name = name
        self._args = args
        self._env = _Environment(self)
        main = next((c for c in args.containers if c.port), args.containers[0])

        self._log_group = self._create_log_group()
        self._ssm_arns = self._ssm_parameter_arns()
        self._execution_role = self._create_execution_role()
        self._task_role = self._create_task_role()
        self._task_definition = self._create_task_definition()

        self.task_definition_arn = self._task_definition.arn
        self.family = self._task_definition.family
        self.execution_role_arn = self._execution_role.arn
        self.task_role_arn = self._task_role.arn
        self.log_group_name = self._log_group.name
        self.container_name = main.name
        self.container_port = main.port
        self.image = pulumi.Output.from_input(main.image)
        self.register_outputs(
            {
                "taskDefinitionArn": self.task_definition_arn,
                "family": self.family,
                "executionRoleArn": self.execution_role_arn,
                "taskRoleArn": self.task_role_arn,
                "logGroupName": self.log_group_name,
                "containerName": self.container_name,
                "containerPort": self.container_port,
                "image": self.image,
            }
        )

    def _create_log_group(self) -> aws.cloudwatch.LogGroup:
        label = self._args.label
        return aws.cloudwatch.LogGroup(
            f"{self._name}-logs",
            name=f"/ecs/{label.name_for('log_group')}",
            retention_in_days=self._args.logging.retention_days,
            kms_key_id=self._args.logging.kms_key_arn,
            tags=label.tags,
            opts=child(self),
        )

    def _ssm_parameter_arns(self) -> dict[str, pulumi.Output[str]]:
        """Environment variable name -> SSM parameter ARN, for every secret read from SSM."""
        env = self._env
        return {
            secret.name: pulumi.Output.all(env.partition, env.region, env.account).apply(
                lambda parts, p=secret.ssm_parameter: _policies.ssm_parameter_arn(
                    p, partition=parts[0], region=parts[1], account=parts[2]
                )
            )
            for container in self._args.containers
            for secret in container.secrets
            if secret.ssm_parameter is not None
        }

    def _create_execution_role(self) -> aws.iam.Role:
        args = self._args
        label = args.label.with_attributes("exec")
        role = self._ecs_tasks_role(f"{self._name}-execution-role", label)
        secret_arns = [s.secrets_manager_arn for c in args.containers for s in c.secrets if s.secrets_manager_arn]
        policy = pulumi.Output.all(
            repositories=list(args.repository_arns),
            log_group=self._log_group.arn,
            ssm=list(self._ssm_arns.values()),
            kms=args.secrets_kms_key_arn,
        ).apply(
            lambda v: _policies.document(
                _policies.execution_role_statements(
                    repository_arns=v["repositories"],
                    log_group_arn=v["log_group"],
                    ssm_parameter_arns=v["ssm"],
                    secret_arns=secret_arns,
                    kms_key_arn=v["kms"],
                )
            )
        )
        aws.iam.RolePolicy(
            f"{self._name}-execution-policy",
            name=label.name_for("iam_policy"),
            role=role.id,
            policy=to_json(policy),
            opts=child(self),
        )
        return role

    def _ecs_tasks_role(self, resource_name: str, label: Label) -> aws.iam.Role:
        """A role only ECS tasks of this account can assume (execution and task roles alike)."""
        return aws.iam.Role(
            resource_name,
            name=label.name_for("iam_role"),
            assume_role_policy=to_json(self._env.account.apply(_trust)),
            tags=self._args.label.tags,
            opts=child(self),
        )

    def _create_task_role(self) -> aws.iam.Role:
        args = self._args
        label = args.label.with_attributes("task")
        role = self._ecs_tasks_role(f"{self._name}-task-role", label)
        statements = _policies.task_role_statements(
            enable_execute_command=args.enable_execute_command, extra=args.task_role_statements
        )
        if statements:
            aws.iam.RolePolicy(
                f"{self._name}-task-policy",
                name=label.name_for("iam_policy"),
                role=role.id,
                policy=to_json(_policies.document(statements)),
                opts=child(self),
            )
        return role

    def _create_task_definition(self) -> aws.ecs.TaskDefinition:
        args = self._args
        definitions = [
            container_definition(
                c,
                log_group=self._log_group.name,
                region=self._env.region,
                ssm_arns=self._ssm_arns,
                init_process=args.enable_execute_command,
            )
            for c in args.containers
        ]
        return aws.ecs.TaskDefinition(
            f"{self._name}-task",
            family=args.label.name_for("task_family"),
            cpu=str(args.cpu),
            memory=str(args.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": args.cpu_architecture},
            execution_role_arn=self._execution_role.arn,
            task_role_arn=self._task_role.arn,
            container_definitions=to_json(definitions),
            tags=args.label.tags,
            opts=child(self),
        )


def _trust(account: str) -> dict[str, Any]:
    return _policies.assume_role_policy("ecs-tasks.amazonaws.com", source_account=account)


class _Environment:
    """The account, region and partition the resources are created in (provider invokes, asked once)."""

    def __init__(self, parent: pulumi.Resource) -> None:
        invoke = pulumi.InvokeOutputOptions(parent=parent)
        self.account: pulumi.Output[str] = aws.get_caller_identity_output(opts=invoke).account_id
        self.region: pulumi.Output[str] = aws.get_region_output(opts=invoke).region
        self.partition: pulumi.Output[str] = aws.get_partition_output(opts=invoke).partition
