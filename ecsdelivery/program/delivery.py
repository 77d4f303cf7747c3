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

Where the ECR repository lives: only the `shared` stack (`ecr.create: true`) creates it, protected
(`protect`, inherited by its children) and with `retain_on_delete` on every child, so even an unprotected
destroy leaves the repository and its images in AWS. Every other stack only names it (to pin images and to
scope the execution role's pull permission); destroying dev or a preview therefore cannot delete it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pulumi

from ecsdelivery.config import (
    ContainerConfig,
    CreatePlatform,
    ExistingPlatform,
    ServiceConfig,
    StackConfig,
    StackPlatform,
    load_stack,
)
from ecsdelivery.errors import ConfigError, UsageError
from ecsdelivery.images import ImageRef, parse_image_ref
from ecsdelivery.naming import Label

CONFIG_NAMESPACE = "ecsdelivery"
_NAT = {"none": "None", "single": "Single", "per_az": "OnePerAz"}
_ARCHITECTURE = {"x86_64": "X86_64", "arm64": "ARM64"}


# --------------------------------------------------------------------------------------------------------------
# Pure decisions: config -> values the components take


@dataclass(frozen=True)
class DeployImage:
    """The image containers without their own `image` run: the full reference and its digest (None for a tag)."""

    reference: str
    digest: str | None


def deploy_image(config: StackConfig, value: str | None) -> DeployImage | None:
    """The deploy image from the `ecsdelivery:image` config value, or None when none is given.

    `sha256:...` alone (or `@sha256:...`) means that digest in the stack's repository; a reference without a
    registry whose repository is the stack's gets the stack's registry. A tag without a digest is refused in a
    protected environment (prod deploys what was promoted, by digest) and warned about elsewhere.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.startswith(("sha256:", "@sha256:")):
        text = f"{config.repository_url}@{text.lstrip('@')}"
    ref: ImageRef = parse_image_ref(text)
    if ref.registry is None and ref.repository == config.ecr.name:
        ref = parse_image_ref(f"{config.repository_url.split('/', 1)[0]}/{text}")
    if ref.digest is None:
        if config.protected:
            raise UsageError(
                f"{config.stack_name} is protected and deploys by digest only; got the tag reference {value!r} "
                "(python -m ecsdelivery image resolve REPO TAG prints its digest)"
            )
        pulumi.log.warn(
            f"deploying the tag reference {value!r}: a tag can move, so this deploy is not pinned; pass a digest "
            "(repo@sha256:...), as `python -m ecsdelivery up` does"
        )
    else:
        ref = ref.with_digest(ref.digest)  # `repo:tag@sha256:...` -> `repo@sha256:...`: the digest is what runs
    return DeployImage(reference=str(ref), digest=ref.digest)


def repository_arn(config: StackConfig) -> str:
    """ARN of the stack's ECR repository (which the `shared` stack creates)."""
    account = config.ecr.registry_account or config.accounts[0]
    return f"arn:aws:ecr:{config.ecr.region or config.region}:{account}:repository/{config.ecr.name}"


def _secret_args(name: str, secret: Any) -> Any:
    from ecsdelivery.components.task_definition import SecretArgs

    if secret.ssm is not None:
        return SecretArgs(name=name, ssm_parameter=secret.ssm)
    arn = secret.secrets_manager if secret.key is None else f"{secret.secrets_manager}:{secret.key}::"
    return SecretArgs(name=name, secrets_manager_arn=arn)


def container_args(container: ContainerConfig, image: DeployImage | None, *, where: str) -> Any:
    """`ContainerArgs` from a container's config; a container without `image` runs the deploy image."""
    from ecsdelivery.components.task_definition import ContainerArgs, ContainerHealthCheckArgs

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
    return ContainerArgs(
        name=container.name,
        image=reference,
        port=container.port,
        cpu=container.cpu,
        memory=container.memory,
        memory_reservation=container.memory_reservation,
        essential=container.essential,
        environment=dict(container.environment),
        secrets=[_secret_args(name, secret) for name, secret in container.secrets.items()],
        command=container.command,
        entry_point=container.entry_point,
        health_check=ContainerHealthCheckArgs(
            command=check.command,
            interval=check.interval,
            timeout=check.timeout,
            retries=check.retries,
            start_period=check.start_period,
        )
        if check is not None
        else None,
        readonly_root_filesystem=container.read_only_root_filesystem,
        stop_timeout=container.stop_timeout,
    )


def ordered_containers(service: ServiceConfig) -> list[ContainerConfig]:
    """The containers with the one that receives traffic (`routing.container`) first among those with a port:
    the components route to the first container with a port."""
    target = service.target_container
    if target is None:
        return list(service.containers)
    return [target, *(c for c in service.containers if c is not target)]


def without_pr(label: Label) -> Label:
    """The label minus its `pr-<N>` attribute (`PreviewEnvironment` adds it back to every name)."""
    attributes = tuple(a for a in label.attributes if not (a.startswith("pr-") and a[3:].isascii() and a[3:].isdigit()))
    return Label(label.namespace, label.environment, label.name, attributes, dict(label.extra_tags))


def platform_protocol(config: StackConfig, *, local: bool, stacks_dir: str) -> str:
    """ "https" when the platform has a certificate (given or created), else "http"; always "http" locally.

    For `mode: stack` the referenced stack's file decides; an existing platform is assumed to be HTTPS.
    """
    platform = config.platform
    if local:
        return "http"
    if isinstance(platform, StackPlatform):
        referenced = load_stack(platform.stack, stacks_dir=stacks_dir)
        return platform_protocol(referenced, local=local, stacks_dir=stacks_dir)
    if isinstance(platform, CreatePlatform):
        certified = platform.certificate_arn is not None or (
            platform.domain is not None and platform.hosted_zone_id is not None
        )
        return "https" if certified else "http"
    return "https"


def platform_stack_name(stack: str) -> str:
    """`<organization>/<project>/<stack>` of the stack whose platform outputs this one reads.

    DIY backends (file://, s3://) name every organization "organization"; it is also the fallback when the
    engine reports none (mocks).
    """
    organization = pulumi.get_organization() or "organization"
    return f"{organization}/{pulumi.get_project()}/{stack}"


def _primary(config: StackConfig) -> str | None:
    """The service whose outputs are exported first-class (`url`, `serviceName`, ...): the app's, else the first."""
    if config.app in config.services:
        return config.app
    return next(iter(config.services), None)


# --------------------------------------------------------------------------------------------------------------
# Building


@dataclass
class _Settings:
    image: str | None
    stacks_dir: str
    local: bool
    git_sha: str | None


def _read_settings() -> _Settings:
    cfg = pulumi.Config(CONFIG_NAMESPACE)
    return _Settings(
        image=cfg.get("image"),
        stacks_dir=cfg.get("stacksDir") or "stacks",
        local=bool(cfg.get_bool("local")),
        git_sha=cfg.get("gitSha"),
    )


def _with_git_sha(config: StackConfig, git_sha: str | None) -> StackConfig:
    if git_sha:
        config.tags = {**config.tags, "GitSha": git_sha}
    return config


def _repository(config: StackConfig) -> Any:
    """The shared stack's ECR repository: protected, and retained in AWS even if its stack is destroyed."""
    from ecsdelivery.components.ecr import EcrRepository, EcrRepositoryArgs

    ecr = config.ecr

    def retain(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
        return pulumi.ResourceTransformationResult(
            args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(retain_on_delete=True))
        )

    return EcrRepository(
        "ecr",
        EcrRepositoryArgs(
            label=config.label,
            name=ecr.name,
            immutable_tags=ecr.image_tag_mutability == "IMMUTABLE",
            scan_on_push=ecr.scan_on_push,
            release_tag_prefixes=tuple(ecr.lifecycle.release_tag_prefixes),
            keep_releases=ecr.lifecycle.keep_release_tags,
            ephemeral_days=ecr.lifecycle.expire_transient_days,
            untagged_days=ecr.lifecycle.untagged_days,
            pull_account_ids=tuple(ecr.pull_accounts),
        ),
        opts=pulumi.ResourceOptions(protect=True, retain_on_delete=True, transformations=[retain]),
    )


@dataclass
class _Platform:
    ref: Any  # PlatformRef
    exports: dict[str, Any]


def _platform(config: StackConfig, settings: _Settings) -> _Platform:
    """The platform the services join: created here, read from another stack, or given by ids."""
    from ecsdelivery.components.refs import PlatformRef

    platform = config.platform
    protocol = platform_protocol(config, local=settings.local, stacks_dir=settings.stacks_dir)
    if isinstance(platform, CreatePlatform):
        from ecsdelivery.components.platform import NewVpcArgs, Platform, PlatformArgs

        created = Platform(
            "platform",
            PlatformArgs(
                label=config.label,
                network=NewVpcArgs(
                    cidr_block=platform.vpc_cidr,
                    availability_zones=platform.availability_zones,
                    nat_gateways=_NAT[platform.nat],  # type: ignore[arg-type]
                ),
                certificate_arn=platform.certificate_arn,
                domain_name=platform.domain,
                hosted_zone_id=platform.hosted_zone_id,
                emulator=settings.local,
                idle_timeout=platform.idle_timeout,
                deletion_protection=platform.load_balancer_deletion_protection,
                access_log_days=platform.access_log_days,
            ),
        )
        ref = created.ref()
        public_subnets: Any = created.public_subnet_ids
    elif isinstance(platform, StackPlatform):
        stack = pulumi.StackReference(platform_stack_name(platform.stack))
        ref = PlatformRef.from_stack_reference(stack, protocol=protocol)
        public_subnets = stack.get_output("publicSubnetIds")
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
            protocol=protocol,
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
        "protocol": protocol,
    }
    return _Platform(ref=ref, exports=exports)


def _route53_zone(config: StackConfig, settings: _Settings) -> str | None:
    """The hosted zone for the services' alias records: the platform's (for `mode: stack`, the referenced
    stack file's); none locally or for an existing platform."""
    platform = config.platform
    if settings.local:
        return None
    if isinstance(platform, StackPlatform):
        platform = load_stack(platform.stack, stacks_dir=settings.stacks_dir).platform
    return platform.hosted_zone_id if isinstance(platform, CreatePlatform) else None


def _service(
    config: StackConfig, name: str, service: ServiceConfig, platform: Any, image: DeployImage | None, zone: str | None
) -> Any:
    """A FargateTaskDefinition + FargateService for one service of dev, staging or prod."""
    from ecsdelivery.components.service import AutoscalingArgs, FargateService, FargateServiceArgs
    from ecsdelivery.components.task_definition import FargateTaskDefinition, FargateTaskDefinitionArgs

    label = config.service_label(name)
    where = f"services.{name}"
    task = FargateTaskDefinition(
        f"{name}-task",
        FargateTaskDefinitionArgs(
            label=label,
            containers=[container_args(c, image, where=where) for c in ordered_containers(service)],
            cpu=service.cpu,
            memory=service.memory,
            cpu_architecture=_ARCHITECTURE[service.architecture],
            repository_arns=[repository_arn(config)],
            log_retention_days=service.log_retention_days,
            enable_execute_command=service.exec,
        ),
    )
    routing = service.routing  # None: a worker, with no load balancer
    scaling = service.autoscaling
    return FargateService(
        f"{name}-service",
        FargateServiceArgs(
            label=label,
            platform=platform,
            task_definition=task,
            host=routing.host if routing is not None else None,
            path_patterns=tuple(routing.path_patterns) if routing is not None else (),
            listener_rule_priority=(routing.priority if routing is not None else None) or 100,
            desired_count=service.desired_count,
            **_rollout_args(service),
            enable_execute_command=service.exec,
            autoscaling=AutoscalingArgs(
                min_count=scaling.min,
                max_count=scaling.max,
                cpu_target=scaling.cpu_target,
                memory_target=scaling.memory_target,
                requests_per_target=scaling.requests_per_target,
            )
            if scaling.enabled
            else None,
            route53_zone_id=zone if routing is not None and routing.host else None,
        ),
    )


def _preview(
    config: StackConfig,
    name: str,
    service: ServiceConfig,
    platform: Any,
    image: DeployImage | None,
    zone: str | None,
) -> Any:
    """A PreviewEnvironment for one service of a `pr-<N>` stack (the config already applied the preview sizes)."""
    from ecsdelivery.components.preview import PreviewEnvironment, PreviewEnvironmentArgs

    assert config.pr is not None
    settings = config.preview
    # Counted from the start of the hour of this deploy, so deploys within one hour leave the tags unchanged.
    hour = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    expires = hour + dt.timedelta(hours=settings.ttl_hours)
    routing = service.routing
    # The component fills in {pr}; the other placeholders are the program's to fill. No routing: a worker.
    template = (
        settings.host_template.replace("{service}", name).replace("{app}", config.app) if routing is not None else None
    )
    return PreviewEnvironment(
        name,
        PreviewEnvironmentArgs(
            label=without_pr(config.service_label(name)),
            pr_number=config.pr,
            platform=platform,
            containers=[container_args(c, image, where=f"services.{name}") for c in ordered_containers(service)],
            host_template=template,
            expires_at=expires.isoformat().replace("+00:00", "Z"),
            repository_arns=[repository_arn(config)],
            # The stack config computed it (`PreviewSettings.priority`, from its knobs): pass it as it is.
            listener_rule_priority=routing.priority if routing is not None else None,
            priority_base=settings.priority_base,
            services_per_preview=settings.services_per_pr,
            cpu=service.cpu,
            memory=service.memory,
            cpu_architecture=_ARCHITECTURE[service.architecture],
            # The host already tells previews apart; `/*` alone would only add a condition that matches anything.
            path_patterns=tuple(p for p in routing.path_patterns if p != "/*") if routing is not None else (),
            log_retention_days=service.log_retention_days,
            # The config put previews on Spot (`preview.spot`), or kept the service's own split.
            **_rollout_args(service),
            route53_zone_id=zone,
        ),
    )


def _rollout_args(service: ServiceConfig) -> dict[str, Any]:
    """Capacity, deployment and target-group health-check args, the same for a service and a preview."""
    capacity, deployment = service.capacity, service.deployment
    health = deployment.health_check
    return {
        "on_demand_weight": capacity.on_demand_weight,
        "spot_weight": capacity.spot_weight,
        "on_demand_base": capacity.on_demand_base,
        "min_healthy_percent": deployment.minimum_healthy_percent,
        "max_percent": deployment.maximum_percent,
        "health_check_path": health.path,
        "health_check_matcher": health.matcher,
        "health_check_interval": health.interval,
        "health_check_timeout": health.timeout,
        "healthy_threshold": health.healthy_threshold,
        "unhealthy_threshold": health.unhealthy_threshold,
        "deregistration_delay": deployment.deregistration_delay,
        "health_check_grace_period": deployment.grace_period,
        "circuit_breaker": deployment.circuit_breaker,
        "rollback": deployment.rollback,
    }


def _service_exports(component: Any) -> dict[str, Any]:
    return {
        "url": component.url,
        "serviceName": component.service_name,
        "taskDefinitionArn": component.task_definition_arn,
        "targetGroupArn": component.target_group_arn,
        "image": component.image,
    }


def build(config: StackConfig, settings: _Settings) -> dict[str, Any]:
    """Create the stack's resources; returns the stack outputs to export (in export order)."""
    outputs: dict[str, Any] = {}
    if config.ecr.create:
        repo = _repository(config)
        outputs.update(
            repositoryUrl=repo.repository_url, repositoryName=repo.repository_name, repositoryArn=repo.repository_arn
        )
    if config.platform is None:
        return outputs
    image = deploy_image(config, settings.image)
    platform = _platform(config, settings)
    zone = _route53_zone(config, settings)
    services: dict[str, dict[str, Any]] = {}
    for name, service in config.services.items():
        if config.is_preview:
            component = _preview(config, name, service, platform.ref, image, zone)
        else:
            component = _service(config, name, service, platform.ref, image, zone)
        services[name] = _service_exports(component)
    primary = _primary(config)
    if primary is not None:
        first = services[primary]
        outputs.update(
            url=first["url"],
            image=first["image"],
            imageDigest=image.digest if image is not None and image.digest else "",
            serviceName=first["serviceName"],
            taskDefinitionArn=first["taskDefinitionArn"],
        )
    outputs["services"] = services
    outputs.update(platform.exports)
    if config.is_preview:
        outputs["pullRequest"] = config.pr
    return outputs


def load_current_stack(stack: str, settings: _Settings) -> StackConfig:
    """The validated config of Pulumi stack `stack` (`pr-<N>` loads the preview template for PR N)."""
    variables = {"IMAGE": settings.image} if settings.image else {}
    return _with_git_sha(load_stack(stack, stacks_dir=settings.stacks_dir, variables=variables), settings.git_sha)


def delivery_program() -> None:
    """The Pulumi program: build the current stack's resources from its stack file and export its outputs."""
    settings = _read_settings()
    config = load_current_stack(pulumi.get_stack(), settings)
    for key, value in build(config, settings).items():
        pulumi.export(key, value)
