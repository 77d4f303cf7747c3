"""The ecsdelivery Pulumi program: the current stack's file -> components -> exports.

One function, `delivery_program()`, run two ways that deploy the same thing:

- `pulumi up -s dev` in the repository (Pulumi runs the repository's `__main__.py`, which calls it);
- `python -m ecsdelivery up dev`, where the driver passes `delivery_program` as an inline program.

It reads the stack name (`dev`, `staging`, `prod`, `shared` or `pr-<N>` for the preview of pull request N) and
the Pulumi config namespace `ecsdelivery`:

- `image`: the image to deploy, `repo@sha256:...` (a digest: what the driver always passes). `sha256:...`
  alone means that digest in the stack's repository. A tag reference is accepted with a warning for plain-CLI
  users, and refused in a protected environment.
- `stacksDir`: directory of the stack files; default `stacks`.
- `local`: `true` for a local AWS emulator: no ACM certificate, no Route 53 records.
- `gitSha`: the commit being deployed; added as the `GitSha` tag.

It resolves them once (`ecsdelivery.stack.resolve_stack`) and builds what the `ResolvedStack` says: hosts,
priorities, URLs, zones, expiry and the image come from there, never worked out here. `deliver(stack)` builds
an already resolved stack (what `synth` runs).

Where the ECR repository lives: only the `shared` stack (`ecr.create: true`) creates it, protected
(`protect`, inherited by its children) and with `retain_on_delete` on every child, so even an unprotected
destroy leaves the repository and its images in AWS. Every other stack only names it (to pin images and to
scope the execution role's pull permission); destroying dev or a preview therefore cannot delete it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi

from ecsdelivery.components.alarm_topic import AlarmTopic, AlarmTopicArgs
from ecsdelivery.components.ecr import EcrRepository, EcrRepositoryArgs
from ecsdelivery.components.log_key import LogEncryptionKey, LogEncryptionKeyArgs
from ecsdelivery.components.platform import WAF_RULE_GROUPS, NewVpcArgs, Platform, PlatformArgs
from ecsdelivery.components.preview import PreviewEnvironment, PreviewEnvironmentArgs
from ecsdelivery.components.refs import PlatformRef
from ecsdelivery.components.service import FargateService, FargateServiceArgs
from ecsdelivery.components.task_definition import (
    ContainerArgs,
    ContainerHealthCheckArgs,
    FargateTaskDefinition,
    FargateTaskDefinitionArgs,
    SecretArgs,
)
from ecsdelivery.config import ContainerConfig, CreatePlatform, ExistingPlatform, ServiceConfig, StackPlatform
from ecsdelivery.errors import ConfigError, UsageError
from ecsdelivery.stack import DeployImage, ResolvedService, ResolvedStack, resolve_stack

CONFIG_NAMESPACE = "ecsdelivery"
_NAT = {"none": "None", "single": "Single", "per_az": "OnePerAz"}
_ARCHITECTURE = {"x86_64": "X86_64", "arm64": "ARM64"}
#: ContainerConfig fields that ContainerArgs takes under the same name and as they are.
_CONTAINER_FIELDS = {
    "name",
    "port",
    "cpu",
    "memory",
    "memory_reservation",
    "essential",
    "command",
    "entry_point",
    "stop_timeout",
}


# --------------------------------------------------------------------------------------------------------------
# Pure decisions: config -> values the components take


def _secret_args(name: str, secret: Any) -> SecretArgs:
    if secret.ssm is not None:
        return SecretArgs(name=name, ssm_parameter=secret.ssm)
    arn = secret.secrets_manager if secret.key is None else f"{secret.secrets_manager}:{secret.key}::"
    return SecretArgs(name=name, secrets_manager_arn=arn)


def container_args(container: ContainerConfig, image: DeployImage | None, *, where: str) -> ContainerArgs:
    """`ContainerArgs` from a container's config; a container without `image` runs the deploy image."""
    if container.image is not None:
        reference = container.image
    elif image is not None:
        reference = image.reference
    else:
        raise UsageError(
            f"{where}: container {container.name!r} runs the deploy image and none was given; pass --image "
            "(or `pulumi config set ecsdelivery:image <repo>@sha256:...`)"
        )
    check = container.health_check
    # The stack file and ContainerArgs share these names; the rest are mapped below.
    same = container.model_dump(include=_CONTAINER_FIELDS)
    return ContainerArgs(
        **same,
        image=reference,
        environment=dict(container.environment),
        secrets=[_secret_args(name, secret) for name, secret in container.secrets.items()],
        health_check=ContainerHealthCheckArgs(**check.model_dump()) if check is not None else None,
        readonly_root_filesystem=container.read_only_root_filesystem,
    )


def ordered_containers(service: ServiceConfig) -> list[ContainerConfig]:
    """The containers with the one that receives traffic (`routing.container`) first among those with a port:
    the components route to the first container with a port."""
    target = service.target_container
    if target is None:
        return list(service.containers)
    return [target, *(c for c in service.containers if c is not target)]


def platform_stack_name(stack: str) -> str:
    """`<organization>/<project>/<stack>` of the stack whose platform outputs this one reads.

    DIY backends (file://, s3://) name every organization "organization"; it is also the fallback when the
    engine reports none (mocks).
    """
    organization = pulumi.get_organization() or "organization"
    return f"{organization}/{pulumi.get_project()}/{stack}"


# --------------------------------------------------------------------------------------------------------------
# Building


def _repository(stack: ResolvedStack) -> EcrRepository:
    """The shared stack's ECR repository: protected, and retained in AWS even if its stack is destroyed; its policy
    admits exactly the accounts the other stack files deploy from (`registry_access`)."""
    from ecsdelivery.program.registry_access import load_registry_access

    ecr = stack.config.ecr
    access = load_registry_access(stack.config, stack.stacks_dir)

    def retain(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
        return pulumi.ResourceTransformationResult(
            args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(retain_on_delete=True))
        )

    return EcrRepository(
        "ecr",
        EcrRepositoryArgs(
            label=stack.label,
            name=ecr.name,
            immutable_tags=ecr.image_tag_mutability == "IMMUTABLE",
            scan_on_push=ecr.scan_on_push,
            release_tag_prefixes=tuple(ecr.lifecycle.release_tag_prefixes),
            keep_releases=ecr.lifecycle.keep_release_tags,
            ephemeral_days=ecr.lifecycle.expire_transient_days,
            untagged_days=ecr.lifecycle.untagged_days,
            pull_account_ids=access.read_accounts,
            tag_account_ids=access.tag_accounts,
            tag_role_arns=access.tag_roles,
        ),
        opts=pulumi.ResourceOptions(protect=True, retain_on_delete=True, transformations=[retain]),
    )


def _platform(stack: ResolvedStack) -> tuple[PlatformRef, dict[str, Any]]:
    """The platform the services join (created here, read from another stack, or given by ids) and its
    exports."""
    config = stack.config
    platform = config.platform
    if isinstance(platform, CreatePlatform):
        created = Platform(
            "platform",
            PlatformArgs(
                label=stack.label,
                network=NewVpcArgs(
                    cidr_block=platform.vpc_cidr,
                    availability_zones=platform.availability_zones,
                    nat_gateways=_NAT[platform.nat],  # type: ignore[arg-type]
                ),
                certificate_arn=platform.certificate_arn,
                domain_name=platform.domain,
                hosted_zone_id=platform.hosted_zone_id,
                emulator=stack.local,
                idle_timeout=platform.idle_timeout,
                deletion_protection=platform.load_balancer_deletion_protection,
                access_log_days=platform.access_log_days,
                waf_rule_groups=WAF_RULE_GROUPS if platform.waf else (),
                test_traffic_cidrs=tuple(platform.test_traffic_cidrs),
            ),
        )
        ref = created.ref()
        public_subnets: Any = created.public_subnet_ids
    elif isinstance(platform, StackPlatform):
        reference = pulumi.StackReference(platform_stack_name(platform.stack))
        # The platform stack exports the scheme of its listener; read it rather than work it out again.
        # A platform this program creates has a standby listener (see `Platform`); one given by ids may name one.
        referenced = stack.platform_stack.platform if stack.platform_stack is not None else None
        standby = isinstance(referenced, CreatePlatform) or (
            isinstance(referenced, ExistingPlatform) and referenced.standby_listener_arn is not None
        )
        ref = PlatformRef.from_stack_reference(reference, standby=standby)
        public_subnets = reference.get_output("publicSubnetIds")
    elif isinstance(platform, ExistingPlatform):
        region, account = config.region, config.accounts[0]
        ref = PlatformRef(
            vpc_id=platform.vpc_id,
            private_subnet_ids=list(platform.private_subnet_ids),
            cluster_arn=f"arn:aws:ecs:{region}:{account}:cluster/{platform.cluster_name}",
            cluster_name=platform.cluster_name,
            listener_arn=platform.listener_arn,
            alb_security_group_id=platform.alb_security_group_id,
            alb_dns_name=platform.alb_dns_name,
            alb_zone_id=platform.alb_zone_id,
            protocol=stack.protocol,
            standby_listener_arn=platform.standby_listener_arn,
        )
        public_subnets = list(platform.public_subnet_ids)
    else:
        raise ConfigError([f"{config.stack_name}: services need a platform (mode create, stack or existing)"])
    exports = {
        "vpcId": ref.vpc_id,
        "privateSubnetIds": ref.private_subnet_ids,
        "publicSubnetIds": public_subnets,
        "clusterArn": ref.cluster_arn,
        "clusterName": ref.cluster_name,
        "listenerArn": ref.listener_arn,
        "albSecurityGroupId": ref.alb_security_group_id,
        "albDnsName": ref.alb_dns_name,
        "albZoneId": ref.alb_zone_id,
        "protocol": ref.protocol,
        **({"standbyListenerArn": ref.standby_listener_arn} if ref.standby_listener_arn is not None else {}),
    }
    return ref, exports


def _containers(stack: ResolvedStack, service: ResolvedService) -> list[ContainerArgs]:
    where = f"services.{service.name}"
    return [container_args(c, stack.image, where=where) for c in ordered_containers(service.config)]


def renamed(service: ResolvedService, logical_name: str) -> pulumi.ResourceOptions | None:
    """For a service with `renamed_from`: an alias from its old logical name (`logical_name` with the old service
    name in place of the new), so the engine moves its resources instead of deleting and creating them; the
    components' children follow their parent's alias by the engine's own rule (a child named `<parent>-x`)."""
    previous = service.config.renamed_from
    if previous is None:
        return None
    return pulumi.ResourceOptions(aliases=[pulumi.Alias(name=previous + logical_name[len(service.name) :])])


def _deployment(service: ResolvedService, alarm_topic_arn: Any) -> Any:
    """The service's deployment settings; its alarms notify the stack's alarm topic when there is one."""
    deployment = service.config.deployment.args()
    if alarm_topic_arn is None or deployment.alarms is None:
        return deployment
    alarms = dataclasses.replace(deployment.alarms, notification_topic_arn=alarm_topic_arn)
    return dataclasses.replace(deployment, alarms=alarms)


def _service(
    stack: ResolvedStack,
    service: ResolvedService,
    platform: PlatformRef,
    log_key_arn: Any = None,
    alarm_topic_arn: Any = None,
) -> FargateService:
    """A FargateTaskDefinition + FargateService for one service of dev, staging or prod (its log group encrypted
    with `log_key_arn`, its alarms notifying `alarm_topic_arn`, when given)."""
    settings = service.config
    name = service.name
    task = FargateTaskDefinition(
        f"{name}-task",
        FargateTaskDefinitionArgs(
            label=service.label,
            containers=_containers(stack, service),
            cpu=settings.cpu,
            memory=settings.memory,
            cpu_architecture=_ARCHITECTURE[settings.architecture],
            repository_arns=[stack.repository_arn],
            logging=dataclasses.replace(settings.logging, kms_key_arn=log_key_arn),
            enable_execute_command=settings.exec,
        ),
        opts=renamed(service, f"{name}-task"),
    )
    return FargateService(
        f"{name}-service",
        FargateServiceArgs(
            label=service.label,
            platform=platform,
            task_definition=task,
            host=service.host,
            path_patterns=service.path_patterns,
            listener_rule_priority=service.priority or 100,  # a worker has no listener rule
            desired_count=settings.desired_count,
            capacity=settings.capacity.args(),
            deployment=_deployment(service, alarm_topic_arn),
            autoscaling=settings.autoscaling.args(),
            enable_execute_command=settings.exec,
            route53_zone_id=service.zone,
        ),
        opts=renamed(service, f"{name}-service"),
    )


def _preview(stack: ResolvedStack, service: ResolvedService, platform: PlatformRef) -> PreviewEnvironment:
    """A PreviewEnvironment for one service of a `pr-<N>` stack (the config already applied the preview sizes)."""
    assert stack.pr is not None and stack.expires_at is not None
    settings = service.config
    return PreviewEnvironment(
        service.name,
        PreviewEnvironmentArgs(
            label=service.label.without_preview(),
            pr_number=stack.pr,
            platform=platform,
            containers=_containers(stack, service),
            host=service.host,
            listener_rule_priority=service.priority,
            expires_at=stack.expires_at,
            repository_arns=[stack.repository_arn],
            cpu=settings.cpu,
            memory=settings.memory,
            cpu_architecture=_ARCHITECTURE[settings.architecture],
            path_patterns=service.path_patterns,
            # The config put previews on Spot (`preview.spot`), or kept the service's own split.
            capacity=settings.capacity.args(),
            deployment=settings.deployment.args(),
            logging=settings.logging,
            route53_zone_id=service.zone,
        ),
        opts=renamed(service, service.name),
    )


def _service_exports(component: Any) -> dict[str, Any]:
    return {
        "url": component.url,
        "serviceName": component.service_name,
        "taskDefinitionArn": component.task_definition_arn,
        "targetGroupArn": component.target_group_arn,
        "image": component.image,
    }


def _log_key(stack: ResolvedStack) -> LogEncryptionKey:
    """The customer-managed KMS key of the stack's log groups (`log_encryption`); with `alarm_topic.create` it
    encrypts the alarm topic too, and admits the stack's alarms."""
    label = stack.config.label
    prefix = f"{label.id}-" if stack.config.alarm_topic.create else None
    return LogEncryptionKey("logs", LogEncryptionKeyArgs(label=label, alarm_prefix=prefix))


def _alarm_topic(stack: ResolvedStack, key: LogEncryptionKey) -> AlarmTopic:
    """The SNS topic every rollback alarm of the stack notifies (`alarm_topic`)."""
    settings = stack.config.alarm_topic
    return AlarmTopic(
        "alarms",
        AlarmTopicArgs(
            label=stack.config.label,
            kms_key_arn=key.key_arn,
            email=tuple(settings.email),
            https=tuple(settings.https),
        ),
    )


def _environment_services(stack: ResolvedStack, platform: PlatformRef) -> tuple[dict[str, Any], Any]:
    """The services of dev, staging or prod, with the stack's log key and alarm topic when set; returns the
    services by name and the topic's ARN (or None)."""
    config = stack.config
    # One key for the stack's log groups (prod by default); previews never make one.
    key = _log_key(stack) if config.log_encryption and stack.services else None
    key_arn = key.key_arn if key is not None else None
    # The config made sure a topic comes with a key (`alarm_topic.create` needs `log_encryption`).
    topic = _alarm_topic(stack, key) if config.alarm_topic.create and key is not None else None
    topic_arn = topic.topic_arn if topic is not None else None
    services = {
        name: _service(stack, service, platform, key_arn, topic_arn) for name, service in stack.services.items()
    }
    return services, topic_arn


def build(stack: ResolvedStack) -> dict[str, Any]:
    """Create the stack's resources; returns the stack outputs to export (in export order)."""
    outputs: dict[str, Any] = {}
    config = stack.config
    if config.ecr.create:
        repo = _repository(stack)
        outputs.update(
            repositoryUrl=repo.repository_url, repositoryName=repo.repository_name, repositoryArn=repo.repository_arn
        )
    if config.platform is None:
        return outputs
    platform, platform_exports = _platform(stack)
    if stack.is_preview:
        built: dict[str, Any] = {name: _preview(stack, service, platform) for name, service in stack.services.items()}
        topic_arn = None
    else:
        built, topic_arn = _environment_services(stack, platform)
    services = {name: _service_exports(component) for name, component in built.items()}
    primary = stack.primary
    if primary is not None:
        first = services[primary.name]
        image = stack.image
        outputs.update(
            url=first["url"],
            image=first["image"],
            imageDigest=image.digest if image is not None and image.digest else "",
            serviceName=first["serviceName"],
            taskDefinitionArn=first["taskDefinitionArn"],
        )
    outputs["services"] = services
    outputs.update(platform_exports)
    if topic_arn is not None:
        outputs["alarmTopicArn"] = topic_arn
    if stack.is_preview:
        outputs["pullRequest"] = stack.pr
    return outputs


def deliver(stack: ResolvedStack) -> None:
    """Build a resolved stack's resources and export its outputs (what `delivery_program` runs)."""
    for warning in stack.warnings:
        pulumi.log.warn(warning)
    for key, value in build(stack).items():
        pulumi.export(key, value)


def current_stack() -> ResolvedStack:
    """The running Pulumi stack (`pr-<N>` is the preview of PR N), resolved from the config namespace
    `ecsdelivery`: `image`, `stacksDir` (default `stacks`), `local`, `gitSha`."""
    cfg = pulumi.Config(CONFIG_NAMESPACE)
    return resolve_stack(
        pulumi.get_stack(),
        image=cfg.get("image"),
        stacks_dir=cfg.get("stacksDir") or "stacks",
        local=bool(cfg.get_bool("local")),
        git_sha=cfg.get("gitSha"),
    )


def delivery_program() -> None:
    """The Pulumi program: build the current stack's resources from its stack file and export its outputs."""
    deliver(current_stack())
