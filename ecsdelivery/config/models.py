"""Pydantic models of a stack file: everything an environment can say, with defaults and legal values.

Every model forbids unknown keys. Each field's description states its default; `python -m ecsdelivery schema`
prints the JSON Schema built from these models, and the README's reference table lists the same facts.

Validators that check relations between fields report the key they blame with an `@relative.path: ` prefix
on each line of the message; the loader turns that into the full key path and the line in the YAML.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import fields
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from ecsdelivery.config.priorities import (
    MAX_PRIORITY,
    PREVIEW_PRIORITY_BASE,
    SERVICES_PER_PREVIEW,
    largest_preview_pr,
    preview_priority,
)
from ecsdelivery.facts import FARGATE_CPU, LOG_RETENTION_DAYS, check_size
from ecsdelivery.naming import Label, is_preview_name, preview_name
from ecsdelivery.settings import (
    PREVIEW_LOGGING,
    READ_ONLY_ROOT_FILESYSTEM,
    AutoscalingArgs,
    CapacityArgs,
    DeploymentArgs,
    DeploymentStrategyArgs,
    HealthCheckArgs,
    LoggingArgs,
    RollbackAlarmsArgs,
)

# The defaults of the service settings, decided once in `ecsdelivery.settings`.
_SCALING = AutoscalingArgs()
_CAPACITY = CapacityArgs()
_HEALTH = HealthCheckArgs()
_DEPLOYMENT = DeploymentArgs()
_LOGGING = LoggingArgs()


def _setting(defaults: object, name: str, text: str, **constraints: Any) -> Any:
    """A field whose default is `defaults.<name>` (`ecsdelivery.settings`), described as `text` and that default."""
    value = getattr(defaults, name)
    shown = "none" if value is None else str(value).lower() if isinstance(value, bool) else value
    return Field(value, description=f"{text} Default: {shown}.", **constraints)


# --- shared value types -------------------------------------------------------------------------------------

_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_ACCOUNT = re.compile(r"[0-9]{12}")


def is_host_name(value: str) -> bool:
    """True for a DNS host name: dot-separated labels of a-z, 0-9 and `-`, at most 253 characters.

    A leading `*.` label is allowed (ALB host-header rules and certificates accept wildcards).
    """
    if not value or len(value) > 253 or value != value.lower():
        return False
    labels = value.split(".")
    if labels[0] == "*" and len(labels) > 1:
        labels = labels[1:]
    return all(_HOST_LABEL.fullmatch(label) for label in labels)


def _host_name(value: str) -> str:
    if not is_host_name(value):
        raise ValueError(
            f"{value!r} is not a DNS host name (lowercase labels of a-z, 0-9 and '-', separated by dots, "
            "each at most 63 characters, at most 253 in all)"
        )
    return value


def _account_id(value: Any) -> Any:
    # YAML reads an unquoted 12-digit id as an int; accept it when it is still 12 digits.
    if isinstance(value, int) and not isinstance(value, bool) and len(str(value)) == 12:
        return str(value)
    if isinstance(value, str) and not _ACCOUNT.fullmatch(value):
        raise ValueError(f"{value!r} is not an AWS account id (12 digits, quoted in YAML)")
    return value


def _env_value(value: Any) -> Any:
    # Environment variables are strings; write YAML numbers and booleans as ECS would see them.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


HostName = Annotated[str, BeforeValidator(lambda v: _host_name(v) if isinstance(v, str) else v)]
AccountId = Annotated[str, BeforeValidator(_account_id)]
EnvValue = Annotated[str, BeforeValidator(_env_value)]
# A name is used as written in AWS names: a trailing `-` would be dropped when names are joined (`x-` is `x`).
NAME_PATTERN = r"^[a-z](?:[a-z0-9-]*[a-z0-9])?$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, min_length=1, max_length=32)]
StackName = Annotated[str, Field(pattern=NAME_PATTERN, min_length=1, max_length=64)]


def _check_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"{value} is not a CloudWatch Logs retention; legal values: {', '.join(map(str, LOG_RETENTION_DAYS))}"
        )
    return value


# What AWS takes in tag keys and values (`[\p{L}\p{Z}\p{N}_.:/=+\-@]*`): letters, digits, `_`, separators.
_TAG_TEXT = re.compile(r"[\w .:/=+\-@\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*")


def _check_tags(tags: dict[str, str]) -> dict[str, str]:
    for key, value in tags.items():
        if not 1 <= len(key) <= 128:
            raise ValueError(f"@{key}: tag keys are 1-128 characters")
        if key.lower().startswith("aws:"):
            raise ValueError(f"@{key}: tag keys starting with 'aws:' are reserved by AWS")
        if len(value) > 256:
            raise ValueError(f"@{key}: tag values are at most 256 characters")
        for what, text in (("keys", key), ("values", value)):
            if not _TAG_TEXT.fullmatch(text):
                raise ValueError(
                    f"@{key}: tag {what} take letters, digits, spaces and _ . : / = + - @ only, not {text!r}"
                )
    return tags


_Group = TypeVar("_Group")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, validate_default=False)

    def _as(self, group: type[_Group], **different: Any) -> _Group:
        """The settings group `group` (`ecsdelivery.settings`) from this section: fields of the same name pass as
        they are (the two map one to one), `different` gives the others; fields the file lacks keep the group's
        defaults."""
        same = {f.name: getattr(self, f.name) for f in fields(group) if f.name in type(self).model_fields}
        return group(**{**same, **different})


# --- identity, state, promotion --------------------------------------------------------------------------------


class StateConfig(_Model):
    """Where Pulumi keeps this environment's state and how it encrypts secrets."""

    backend_url: str | None = Field(
        None,
        description=(
            "Pulumi backend URL, e.g. s3://acme-pulumi-state?region=us-east-1 or https://api.pulumi.com. "
            "Default: none = a local file backend, file://.ecsdelivery/state under the project directory. "
            "The --backend option and PULUMI_BACKEND_URL override it."
        ),
    )
    secrets_provider: str = Field(
        "passphrase",
        description=(
            "Pulumi secrets provider: passphrase (reads PULUMI_CONFIG_PASSPHRASE), awskms://..., "
            "hashivault://..., gcpkms://..., azurekeyvault://... or default (Pulumi Cloud). Default: passphrase."
        ),
    )

    @field_validator("backend_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(file|s3|gs|azblob|https?)://", value):
            raise ValueError(f"{value!r} is not a Pulumi backend URL; use file://, s3://, gs://, azblob:// or https://")
        return value

    @field_validator("secrets_provider")
    @classmethod
    def _provider(cls, value: str) -> str:
        if value not in ("passphrase", "default") and not re.match(
            r"^(awskms|hashivault|gcpkms|azurekeyvault)://", value
        ):
            raise ValueError(
                f"{value!r} is not a secrets provider; legal values: passphrase, default, awskms://..., "
                "hashivault://..., gcpkms://..., azurekeyvault://..."
            )
        return value


# GitHub's rules: an owner (user or organisation) is 1-39 letters, digits or single inner hyphens; a repository
# name is 1-100 letters, digits, '.', '_' or '-', and never '.' or '..'.
GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$")
GITHUB_REPOSITORY = re.compile(r"^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$")


def github_name_problem(owner: str | None, repository: str | None) -> str | None:
    """Why `owner`/`repository` is not a GitHub repository name, or None when it is."""
    if not owner or not GITHUB_OWNER.match(owner):
        return (
            f"owner {owner!r} is not a GitHub user or organisation name (1-39 letters, digits or single inner hyphens)"
        )
    if not repository or not GITHUB_REPOSITORY.match(repository):
        return f"repository {repository!r} is not a GitHub repository name (1-100 letters, digits, '.', '_', '-')"
    return None


class GithubConfig(_Model):
    """The GitHub repository whose Actions deploy this application (trust subjects of the deploy roles)."""

    owner: str | None = Field(
        None,
        description="GitHub user or organisation that owns the repository, e.g. acme. Default: none; bootstrap "
        "requires it.",
    )
    repository: str | None = Field(
        None, description="Repository name without the owner, e.g. web. Default: none; bootstrap requires it."
    )

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str | None) -> str | None:
        if value is not None and not GITHUB_OWNER.match(value):
            raise ValueError(github_name_problem(value, "x"))
        return value

    @field_validator("repository")
    @classmethod
    def _repository(cls, value: str | None) -> str | None:
        if value is not None and not GITHUB_REPOSITORY.match(value):
            raise ValueError(github_name_problem("x", value))
        return value

    @property
    def slug(self) -> str:
        """`owner/repository`."""
        return f"{self.owner}/{self.repository}"


class PromotionConfig(_Model):
    """The order in which an image moves between environments."""

    order: list[StackName] = Field(
        default_factory=lambda: ["dev", "staging", "prod"],
        min_length=1,
        description="Environments an image is promoted through, in order. Default: [dev, staging, prod].",
    )

    @field_validator("order")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each environment appears once in the promotion order")
        return value


# --- platform ------------------------------------------------------------------------------------------------


def _test_source_problem(cidr: str) -> str | None:
    """Why `cidr` may not send test traffic, or None: an IPv4 network written as one, private, or public and no
    wider than /24 (test traffic reaches unreleased tasks: never the internet at large)."""
    if not re.fullmatch(r"([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}", cidr):
        return "is not an IPv4 CIDR like 203.0.113.7/32"
    try:
        network = ipaddress.IPv4Network(cidr)
    except ValueError as err:
        return f"is not an IPv4 network ({err})"
    if not network.is_private and network.prefixlen < 24:
        return (
            "is a public range wider than /24; test traffic reaches unreleased tasks: admit your callers' addresses "
            "(e.g. the NAT gateways' public IPs as /32) or private ranges only"
        )
    return None


class CreatePlatform(_Model):
    """This stack creates the platform: VPC, subnets, NAT, ECS cluster and the shared load balancer."""

    mode: Literal["create"] = Field(description="`create`: this stack creates the platform.")
    vpc_cidr: str = Field(
        "10.0.0.0/16",
        pattern=r"^([0-9]{1,3}\.){3}[0-9]{1,3}/(1[6-9]|2[0-4])$",
        description="IPv4 CIDR of the VPC, /16 to /24. Default: 10.0.0.0/16.",
    )
    availability_zones: int = Field(
        2, ge=2, le=6, description="Number of availability zones (an ALB needs at least 2). 2-6. Default: 2."
    )
    nat: Literal["none", "single", "per_az"] = Field(
        "single",
        description=(
            "NAT gateways for the tasks' private subnets: single (one NAT gateway, about 33 USD a month), "
            "per_az (one per zone, highly available) or none. With none the task subnets are isolated (no route "
            "out, no public IPs): tasks cannot pull images or write logs unless VPC endpoints exist, so a stack "
            "with services and nat none must set vpc_endpoints: provided. Default: single."
        ),
    )
    vpc_endpoints: Literal["none", "provided"] = Field(
        "none",
        description=(
            "With nat none: `provided` states that your team adds the VPC endpoints the tasks need to the VPC "
            "this stack creates (S3 gateway endpoint on the task subnets' route tables; interface endpoints "
            "ecr.api, ecr.dkr, logs, plus ssm and secretsmanager for secrets); ecsdelivery creates none. Only "
            "legal with nat none. Default: none."
        ),
    )
    domain: HostName | None = Field(
        None, description="DNS domain the services' host names live under, e.g. dev.example.com. Default: none."
    )
    certificate_arn: str | None = Field(
        None,
        pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$",
        description="ACM certificate ARN for the HTTPS listener; without one the load balancer serves HTTP only. "
        "Default: none.",
    )
    hosted_zone_id: str | None = Field(
        None,
        pattern=r"^Z[A-Z0-9]{1,32}$",
        description="Route 53 hosted zone ID in which to create alias records for the services' hosts. "
        "Default: none (no DNS records).",
    )
    load_balancer_deletion_protection: bool = Field(
        False, description="Turn on deletion protection for the load balancer. Default: false."
    )
    idle_timeout: int = Field(60, ge=1, le=4000, description="Load balancer idle timeout in seconds. Default: 60.")
    waf: bool | None = Field(
        None,
        description="Put a WAFv2 web ACL with the AWS managed rule groups (common rule set, known bad inputs, IP "
        "reputation list) in front of the load balancer. Default: on in prod, off elsewhere.",
    )
    access_log_days: int = Field(
        90,
        ge=1,
        le=3650,
        description="Days the load balancer's access logs are kept in their S3 bucket (private, SSE-S3, TLS only, "
        "written by the region's log delivery; on in every stack), 1-3650. Default: 90.",
    )
    test_traffic_cidrs: list[str] = Field(
        default_factory=list,
        description="IPv4 sources that may reach the standby listener (port 8999), where services with "
        "deployment.test_traffic get test traffic routed to their new tasks before production traffic moves. The "
        "load balancer is internet-facing: a caller inside the VPC arrives from its NAT gateway's public IP, so list "
        "that as /32 (or your test runners'); public ranges wider than /24 are refused. Default: [] (no request "
        "reaches it).",
    )

    @model_validator(mode="after")
    def _vpc_cidr(self) -> CreatePlatform:
        if any(int(octet) > 255 for octet in self.vpc_cidr.split("/")[0].split(".")):
            raise ValueError(f"@vpc_cidr: {self.vpc_cidr!r} is not an IPv4 CIDR")
        for index, cidr in enumerate(self.test_traffic_cidrs or []):
            problem = _test_source_problem(cidr)
            if problem:
                raise ValueError(f"@test_traffic_cidrs.{index}: {cidr!r} {problem}")
        if self.vpc_endpoints == "provided" and self.nat != "none":
            raise ValueError(f"@vpc_endpoints: applies to nat none only (nat is {self.nat}; tasks go out through NAT)")
        return self


class StackPlatform(_Model):
    """The platform is read from another stack's outputs (previews use dev's)."""

    mode: Literal["stack"] = Field(description="`stack`: use the platform another stack created.")
    stack: StackName = Field(description="Name of the stack whose platform outputs are used, e.g. dev. Required.")


_LISTENER_ARN = r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/app/[^/]+/[^/]+/[^/]+$"


class ExistingPlatform(_Model):
    """The platform is managed elsewhere: give the IDs of what exists."""

    mode: Literal["existing"] = Field(description="`existing`: use resources managed outside ecsdelivery.")
    vpc_id: str = Field(pattern=r"^vpc-[0-9a-f]{8,17}$", description="VPC ID. Required.")
    private_subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(
        min_length=1, description="Subnets the tasks run in. Required."
    )
    public_subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(
        default_factory=list, description="Public subnets of the load balancer. Default: []."
    )
    cluster_name: str = Field(
        pattern=r"^[A-Za-z0-9_-]{1,255}$", description="Name of the ECS cluster the services join. Required."
    )
    listener_arn: str = Field(
        pattern=_LISTENER_ARN,
        description="ARN of the load balancer listener the services' rules attach to. Required.",
    )
    alb_security_group_id: str = Field(
        pattern=r"^sg-[0-9a-f]{8,17}$",
        description="Security group of the load balancer; tasks accept traffic from it. Required.",
    )
    alb_dns_name: HostName = Field(description="DNS name of the load balancer. Required.")
    alb_zone_id: str = Field(
        pattern=r"^Z[A-Z0-9]{1,32}$", description="Canonical hosted zone ID of the load balancer. Required."
    )
    standby_listener_arn: str | None = Field(
        None,
        pattern=_LISTENER_ARN,
        description="ARN of a second listener on the same load balancer that no client reaches (e.g. HTTP on "
        "8999, admitted by no security-group rule; default action a fixed 404), where services keep standby rules "
        "so a replaced target group takes no traffic before its tasks are healthy, and traffic-shifting services "
        "their test rules. Default: none (a replaced target group means a gap, which synth --against reports).",
    )

    @model_validator(mode="after")
    def _standby_listener(self) -> ExistingPlatform:
        standby = self.standby_listener_arn
        if standby is None:
            return self
        if standby == self.listener_arn:
            raise ValueError(
                "@standby_listener_arn: is listener_arn itself; give a second listener, one no client reaches"
            )
        if _load_balancer_of(standby) != _load_balancer_of(self.listener_arn):
            raise ValueError(
                f"@standby_listener_arn: belongs to load balancer {_load_balancer_of(standby)!r}, listener_arn to "
                f"{_load_balancer_of(self.listener_arn)!r}; a target group joins one load balancer only, so both "
                "listeners must be on the same one"
            )
        return self


def _load_balancer_of(listener_arn: str) -> str:
    """`app/<name>/<id>` of a listener ARN (`...:listener/app/<name>/<id>/<listener id>`)."""
    return listener_arn.split(":listener/", 1)[1].rsplit("/", 1)[0]


PlatformConfig = Annotated[
    CreatePlatform | StackPlatform | ExistingPlatform,
    Field(discriminator="mode"),
]


# --- ECR -----------------------------------------------------------------------------------------------------


class EcrLifecycle(_Model):
    """Which images the repository keeps."""

    keep_release_tags: int = Field(
        30, ge=1, le=1000, description="Release-tagged images kept (the newest). Default: 30."
    )
    release_tag_prefixes: list[str] = Field(
        default_factory=lambda: ["v"],
        min_length=1,
        description="Tag prefixes that mark a release, e.g. v1.4.0. Default: [v].",
    )
    expire_transient_days: int = Field(
        14, ge=1, le=3650, description="Days to keep build tags (sha-*, pr-*). Default: 14."
    )
    untagged_days: int = Field(1, ge=1, le=3650, description="Days to keep untagged images. Default: 1.")


class EcrConfig(_Model):
    """The ECR repository the services pull from. It outlives every environment."""

    name: str = Field(
        pattern=r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$",
        min_length=2,
        max_length=256,
        description="Repository name, e.g. acme/web. Required.",
    )
    create: bool = Field(
        False,
        description=(
            "Whether this stack creates the repository. Only the `shared` stack does; the others reference it, "
            "so destroying them never deletes the repository. Default: false."
        ),
    )
    registry_account: AccountId | None = Field(
        None, description="Account that owns the repository. Default: the first of `accounts`."
    )
    region: str | None = Field(None, description="Region of the repository. Default: the stack's `region`.")
    pull_accounts: list[AccountId] = Field(
        default_factory=list,
        description=(
            "Accounts allowed to pull besides those the stack files deploy from (the repository policy grants those "
            "already: see Delivery pipeline). Default: []."
        ),
    )
    image_tag_mutability: Literal["IMMUTABLE", "MUTABLE"] = Field(
        "IMMUTABLE", description="IMMUTABLE or MUTABLE. Default: IMMUTABLE (a tag always means one image)."
    )
    scan_on_push: bool = Field(True, description="Scan images for vulnerabilities on push. Default: true.")
    lifecycle: EcrLifecycle = Field(default_factory=EcrLifecycle, description="Image expiry rules.")


# --- services ------------------------------------------------------------------------------------------------


class SecretRef(_Model):
    """A secret injected as an environment variable: exactly one of `ssm` or `secrets_manager`."""

    ssm: str | None = Field(None, min_length=1, description="SSM parameter name (/app/db-url) or ARN. Default: none.")
    secrets_manager: str | None = Field(
        None,
        pattern=r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$",
        description="Secrets Manager secret ARN. Default: none.",
    )
    key: str | None = Field(
        None, min_length=1, description="JSON key inside the Secrets Manager secret. Default: none (all of it)."
    )

    @model_validator(mode="after")
    def _one_source(self) -> SecretRef:
        if (self.ssm is None) == (self.secrets_manager is None):
            raise ValueError("give exactly one of 'ssm' or 'secrets_manager'")
        if self.key is not None and self.secrets_manager is None:
            raise ValueError("@key: 'key' applies to 'secrets_manager' secrets only")
        return self


class ContainerHealthCheck(_Model):
    """The container's own health check (runs inside the task)."""

    command: list[str] = Field(
        min_length=1,
        description='Command, e.g. ["CMD-SHELL", "wget -qO- localhost:8080/healthz || exit 1"]. Required.',
    )
    interval: int = Field(10, ge=5, le=300, description="Seconds between checks, 5-300. Default: 10.")
    timeout: int = Field(5, ge=2, le=120, description="Seconds before a check fails, 2-120. Default: 5.")
    retries: int = Field(3, ge=1, le=10, description="Failures before unhealthy, 1-10. Default: 3.")
    start_period: int = Field(0, ge=0, le=300, description="Grace seconds after start, 0-300. Default: 0.")


class ContainerConfig(_Model):
    """One container of a service's task."""

    name: str = Field(
        pattern=r"^[A-Za-z0-9_-]{1,255}$", description="Container name, unique within the service. Required."
    )
    image: str | None = Field(
        None,
        min_length=1,
        description="Image reference. Default: none = the deploy image (given by --image, promoted by digest).",
    )
    port: int | None = Field(
        None, ge=1, le=65535, description="Port the container listens on, 1-65535. Default: none (sidecars)."
    )
    cpu: int | None = Field(None, ge=0, le=16384, description="CPU units reserved for the container. Default: none.")
    memory: int | None = Field(None, ge=6, description="Hard memory limit in MiB. Default: none (the task's).")
    memory_reservation: int | None = Field(None, ge=6, description="Soft memory limit in MiB. Default: none.")
    environment: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], EnvValue] = Field(
        default_factory=dict, description="Environment variables. Default: {}."
    )
    secrets: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], SecretRef] = Field(
        default_factory=dict,
        description="Secret environment variables: NAME: {ssm: NAME_OR_ARN} or NAME: {secrets_manager: ARN, "
        "key: JSON_KEY}. Default: {}.",
    )
    command: list[str] | None = Field(None, description="Overrides the image's CMD. Default: none.")
    entry_point: list[str] | None = Field(None, description="Overrides the image's ENTRYPOINT. Default: none.")
    health_check: ContainerHealthCheck | None = Field(None, description="Container health check. Default: none.")
    essential: bool = Field(True, description="The task stops when this container stops. Default: true.")
    read_only_root_filesystem: bool = Field(
        READ_ONLY_ROOT_FILESYSTEM, description="Mount the root file system read-only. Default: true."
    )
    stop_timeout: int = Field(10, ge=2, le=120, description="Seconds between SIGTERM and SIGKILL, 2-120. Default: 10.")

    @model_validator(mode="after")
    def _memory(self) -> ContainerConfig:
        if self.memory is not None and self.memory_reservation is not None and self.memory_reservation > self.memory:
            raise ValueError("@memory_reservation: must not exceed memory")
        return self


class AutoscalingConfig(_Model):
    """Target-tracking scaling of the desired count."""

    enabled: bool = Field(False, description="Scale the service automatically. Default: false.")
    min: int = _setting(_SCALING, "min", "Fewest tasks.", ge=0, le=1000)
    max: int = _setting(_SCALING, "max", "Most tasks.", ge=1, le=1000)
    cpu_target: int | None = _setting(_SCALING, "cpu_target", "Average CPU percent to hold.", ge=1, le=100)
    memory_target: int | None = _setting(_SCALING, "memory_target", "Average memory percent to hold.", ge=1, le=100)
    requests_per_target: int | None = _setting(
        _SCALING, "requests_per_target", "ALB requests per task to hold (needs routing).", ge=1
    )

    @model_validator(mode="after")
    def _bounds(self) -> AutoscalingConfig:
        if self.min > self.max:
            raise ValueError(f"@min: min ({self.min}) must not exceed max ({self.max})")
        if self.enabled and not (self.cpu_target or self.memory_target or self.requests_per_target):
            raise ValueError("give at least one of cpu_target, memory_target, requests_per_target")
        return self

    def args(self) -> AutoscalingArgs | None:
        """The components' `AutoscalingArgs`; None when autoscaling is off."""
        return self._as(AutoscalingArgs) if self.enabled else None


class CapacityConfig(_Model):
    """How tasks split between Fargate on-demand and Fargate Spot (capacity provider strategy)."""

    on_demand_weight: int = _setting(_CAPACITY, "on_demand_weight", "Relative share of FARGATE tasks.", ge=0, le=1000)
    spot_weight: int = _setting(_CAPACITY, "spot_weight", "Relative share of FARGATE_SPOT tasks.", ge=0, le=1000)
    on_demand_base: int = _setting(
        _CAPACITY, "on_demand_base", "Tasks always placed on-demand before the weights apply.", ge=0, le=100000
    )

    @model_validator(mode="after")
    def _some_weight(self) -> CapacityConfig:
        if self.on_demand_weight == 0 and self.spot_weight == 0:
            raise ValueError("at least one of on_demand_weight and spot_weight must be above 0")
        return self

    @property
    def spot_only(self) -> bool:
        """True when every task runs on Fargate Spot."""
        return self.on_demand_weight == 0 and self.on_demand_base == 0

    def args(self) -> CapacityArgs:
        """The components' `CapacityArgs`."""
        return self._as(CapacityArgs)


class TargetHealthCheck(_Model):
    """The load balancer's health check of each task. Defaults hold a 15 s rollout (DESIGN.md)."""

    path: str = _setting(_HEALTH, "path", "HTTP path.", pattern=r"^/", max_length=1024)
    interval: int = _setting(_HEALTH, "interval", "Seconds between checks, 5-300.", ge=5, le=300)
    timeout: int = _setting(_HEALTH, "timeout", "Seconds before a check fails, 2-120.", ge=2, le=120)
    healthy_threshold: int = _setting(_HEALTH, "healthy_threshold", "Successes before healthy, 2-10.", ge=2, le=10)
    unhealthy_threshold: int = _setting(_HEALTH, "unhealthy_threshold", "Failures before unhealthy, 2-10.", ge=2, le=10)
    matcher: str = _setting(
        _HEALTH,
        "matcher",
        "HTTP codes that count as healthy, e.g. 200 or 200-399.",
        pattern=r"^[0-9]{3}(-[0-9]{3})?(,[0-9]{3}(-[0-9]{3})?)*$",
    )

    @model_validator(mode="after")
    def _timeout(self) -> TargetHealthCheck:
        if self.timeout >= self.interval:
            raise ValueError(f"@timeout: must be less than interval ({self.interval})")
        return self

    def args(self) -> HealthCheckArgs:
        """The components' `HealthCheckArgs`."""
        return self._as(HealthCheckArgs)


STRATEGIES = ("rolling", "blue_green", "canary", "linear")
#: Step percentages a linear deployment can use: ECS takes 3-100 %, and a step that divides 100 ends on 100 %.
LINEAR_STEPS = tuple(step for step in range(3, 101) if 100 % step == 0)
#: Load balancer metrics arrive once a minute: shorter alarm periods would see no data.
ALARM_PERIODS = (60, 120, 180, 300, 600, 900, 3600)


class CanaryConfig(_Model):
    """A canary deployment: a share of the traffic first, then all of it."""

    percent: float = Field(
        10, ge=0.1, le=100, description="Traffic the new tasks take first, percent, 0.1-100. Default: 10."
    )
    bake_time: int = Field(
        5, ge=0, le=1440, description="Minutes at the canary share before all traffic moves, 0-1440. Default: 5."
    )


class LinearConfig(_Model):
    """A linear deployment: equal steps of traffic at a fixed interval."""

    step_percent: int = Field(
        25,
        json_schema_extra={"enum": list(LINEAR_STEPS)},
        description=f"Traffic moved per step, percent; it divides 100: {', '.join(map(str, LINEAR_STEPS))}. "
        "Default: 25.",
    )
    interval: int = Field(2, ge=0, le=1440, description="Minutes between steps, 0-1440. Default: 2.")

    @field_validator("step_percent")
    @classmethod
    def _divides_100(cls, value: int) -> int:
        if value not in LINEAR_STEPS:
            raise ValueError(
                f"{value} does not divide 100 into equal steps; legal values: {', '.join(map(str, LINEAR_STEPS))}"
            )
        return value


class AlarmsConfig(_Model):
    """CloudWatch alarms on the service's target groups that make ECS roll a deployment back."""

    enabled: bool | None = Field(
        None,
        description="Create the alarms and wire them into the service's deployments. Default: on for every "
        "routed service outside previews (a worker has no load balancer metrics; previews have none).",
    )
    rollback: bool = Field(True, description="Roll the deployment back when an alarm fires. Default: true.")
    error_rate_percent: float = Field(
        5, gt=0, le=100, description="Target 5xx responses as a percent of requests that alarm, 0-100. Default: 5."
    )
    p99_latency_ms: int = Field(
        2000, ge=1, le=600000, description="p99 target response time that alarms, milliseconds. Default: 2000."
    )
    unhealthy_hosts: int = Field(1, ge=1, le=1000, description="Unhealthy targets that alarm. Default: 1.")
    period: int = Field(
        60,
        json_schema_extra={"enum": list(ALARM_PERIODS)},
        description=f"Seconds per evaluated datapoint: {', '.join(map(str, ALARM_PERIODS))}. Default: 60.",
    )
    evaluation_periods: int = Field(
        2, ge=1, le=10, description="Consecutive breaching periods before an alarm fires, 1-10. Default: 2."
    )
    notification_topic_arn: str | None = Field(
        None,
        pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$",
        description="SNS topic the alarms notify when they fire and clear. Default: none.",
    )

    @field_validator("period")
    @classmethod
    def _period(cls, value: int) -> int:
        if value not in ALARM_PERIODS:
            raise ValueError(f"{value} is not an alarm period; legal values: {', '.join(map(str, ALARM_PERIODS))}")
        return value

    @property
    def detection_seconds(self) -> int:
        """Worst case from the first bad response to the alarm firing: the period in progress plus the
        evaluated ones."""
        return (self.evaluation_periods + 1) * self.period


class DeploymentConfig(_Model):
    """How ECS replaces tasks on a deploy, and how fast traffic moves."""

    minimum_healthy_percent: int = _setting(
        _DEPLOYMENT, "minimum_healthy_percent", "Tasks kept running during a deploy, percent.", ge=0, le=100
    )
    maximum_percent: int = _setting(
        _DEPLOYMENT, "maximum_percent", "Tasks allowed during a deploy, percent, 100-200.", ge=100, le=200
    )
    circuit_breaker: bool = _setting(_DEPLOYMENT, "circuit_breaker", "Stop a deploy whose tasks keep failing.")
    rollback: bool = _setting(_DEPLOYMENT, "rollback", "Roll back when the circuit breaker trips.")
    health_check: TargetHealthCheck = Field(default_factory=TargetHealthCheck, description="Load balancer check.")
    deregistration_delay: int = _setting(
        _DEPLOYMENT, "deregistration_delay", "Seconds an old task drains before it stops, 0-3600.", ge=0, le=3600
    )
    grace_period: int = _setting(
        _DEPLOYMENT, "grace_period", "Seconds failing health checks are ignored after start.", ge=0, le=7200
    )
    strategy: Literal["rolling", "blue_green", "canary", "linear"] | None = Field(
        None,
        description="How traffic moves to a new deployment: rolling (tasks replaced in place), blue_green (all "
        "traffic at once to a full new set, old set kept for bake_time), canary (canary.percent first, then all) "
        "or linear (linear.step_percent every linear.interval). blue_green, canary and linear need routing. "
        "Default: canary in prod, rolling elsewhere (routed services; workers roll); previews always roll.",
    )
    bake_time: int = Field(
        5,
        ge=0,
        le=1440,
        description="Minutes the old tasks keep running after all traffic has moved (blue_green, canary, linear), "
        "so an alarm can still shift traffic straight back, 0-1440. Default: 5.",
    )
    canary: CanaryConfig = Field(default_factory=CanaryConfig, description="Canary settings.")
    linear: LinearConfig = Field(default_factory=LinearConfig, description="Linear settings.")
    alarms: AlarmsConfig = Field(default_factory=AlarmsConfig, description="Alarms that roll deployments back.")
    test_traffic: bool = Field(
        False,
        description="A test listener rule (the service's host and paths on the platform's standby listener, port "
        "8999) that ECS points at the new tasks before any production traffic moves, for checks from inside the "
        "VPC. Needs blue_green, canary or linear and a platform this project creates. Previews: always off. "
        "Default: false.",
    )

    @model_validator(mode="after")
    def _rollback(self) -> DeploymentConfig:
        if self.rollback and not self.circuit_breaker:
            raise ValueError("@rollback: rollback needs circuit_breaker: true")
        return self

    def args(self) -> DeploymentArgs:
        """The components' `DeploymentArgs`."""
        return self._as(
            DeploymentArgs,
            health_check=self.health_check.args(),
            strategy=DeploymentStrategyArgs(
                strategy=self.strategy or "rolling",
                bake_time_minutes=self.bake_time,
                canary_percent=self.canary.percent,
                canary_bake_minutes=self.canary.bake_time,
                linear_step_percent=self.linear.step_percent,
                linear_interval_minutes=self.linear.interval,
                test_listener=self.test_traffic,
            ),
            alarms=RollbackAlarmsArgs(
                error_rate_percent=self.alarms.error_rate_percent,
                p99_latency_seconds=self.alarms.p99_latency_ms / 1000,
                unhealthy_hosts=self.alarms.unhealthy_hosts,
                period_seconds=self.alarms.period,
                evaluation_periods=self.alarms.evaluation_periods,
                rollback=self.alarms.rollback,
                notification_topic_arn=self.alarms.notification_topic_arn,
            )
            if self.alarms.enabled
            else None,
        )

    @property
    def worst_case_switch_seconds(self) -> int:
        """Time for a new task to take traffic and the old one to drain: interval x healthy threshold + delay."""
        return self.args().worst_case_switch_seconds


class RoutingConfig(_Model):
    """The listener rule that sends traffic to the service."""

    host: HostName | None = Field(
        None, description="Host header to match, e.g. api.example.com. Default: none (any host)."
    )
    path_patterns: list[Annotated[str, Field(pattern=r"^/", max_length=128)]] = Field(
        default_factory=lambda: ["/*"], min_length=1, max_length=5, description="Path patterns. Default: [/*]."
    )
    priority: int | None = Field(
        None,
        ge=1,
        le=50000,
        description="Listener rule priority, 1-50000, unique per listener and below preview.priority_base. "
        "Default: 100 + 10 x the service's position; previews use the preview priority scheme.",
    )
    container: str | None = Field(
        None, description="Container that receives the traffic. Default: the first container with a port."
    )


class ServiceConfig(_Model):
    """One ECS service: its task, scaling, deployment and routing."""

    containers: list[ContainerConfig] = Field(min_length=1, description="The task's containers. Required.")
    cpu: int = Field(
        256,
        json_schema_extra={"enum": list(FARGATE_CPU)},
        description=f"Task CPU units: {', '.join(map(str, FARGATE_CPU))}. Default: 256.",
    )
    memory: int = Field(512, description="Task memory in MiB; must fit cpu (see Fargate sizes). Default: 512.")
    architecture: Literal["x86_64", "arm64"] = Field("x86_64", description="x86_64 or arm64. Default: x86_64.")
    desired_count: int = Field(
        1,
        ge=0,
        le=1000,
        description="Tasks to run (autoscaling moves it). Default: 1, or autoscaling.min when autoscaling is enabled.",
    )
    autoscaling: AutoscalingConfig = Field(default_factory=AutoscalingConfig, description="Autoscaling.")
    capacity: CapacityConfig = Field(default_factory=CapacityConfig, description="On-demand/Spot split.")
    deployment: DeploymentConfig = Field(default_factory=DeploymentConfig, description="Deploy behaviour.")
    routing: RoutingConfig | None = Field(
        None,
        description="Load balancer routing; required when a container has a port. Default: none (no load balancer, "
        "no inbound traffic: a worker).",
    )
    log_retention_days: int = _setting(
        _LOGGING,
        "retention_days",
        f"Log retention in days: {', '.join(map(str, LOG_RETENTION_DAYS))}.",
        json_schema_extra={"enum": list(LOG_RETENTION_DAYS)},
    )
    exec: bool = Field(False, description="Allow ECS Exec (shell into running tasks). Default: false.")
    tags: dict[str, str] = Field(default_factory=dict, description="Extra tags on this service's resources.")
    renamed_from: Name | None = Field(
        None,
        description="The service's previous name, after a rename: its resources move to the new name (the listener "
        "rule keeps its priority) instead of being deleted and created again, which would collide. Remove it once "
        "every stack has deployed the rename. Default: none.",
    )

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return _check_retention(value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_tags(value)

    @field_validator("containers")
    @classmethod
    def _unique_names(cls, containers: list[ContainerConfig]) -> list[ContainerConfig]:
        seen: dict[str, int] = {}
        problems = []
        for index, container in enumerate(containers):
            if container.name in seen:
                problems.append(
                    f"@[{index}].name: duplicate container name {container.name!r} "
                    f"(also containers[{seen[container.name]}])"
                )
            seen.setdefault(container.name, index)
        if problems:
            raise ValueError("\n".join(problems))
        return containers

    @model_validator(mode="after")
    def _relations(self) -> ServiceConfig:
        problems = []
        size = check_size(self.cpu, self.memory)
        if size:
            problems.append(f"@{'memory' if self.cpu in FARGATE_CPU else 'cpu'}: {size}")
        else:
            container_cpu = sum(c.cpu or 0 for c in self.containers)
            if container_cpu > self.cpu:
                problems.append(f"@containers: containers reserve {container_cpu} cpu units, the task has {self.cpu}")
            container_memory = sum(c.memory or c.memory_reservation or 0 for c in self.containers)
            if container_memory > self.memory:
                problems.append(f"@containers: containers reserve {container_memory} MiB, the task has {self.memory}")
        if not any(c.essential for c in self.containers):
            problems.append("@containers: at least one container must be essential")
        if self.autoscaling.enabled and "desired_count" not in self.model_fields_set:
            self.desired_count = self.autoscaling.min  # the count follows the minimum unless it is set
        if self.autoscaling.enabled and not self.autoscaling.min <= self.desired_count <= self.autoscaling.max:
            problems.append(
                f"@desired_count: {self.desired_count} is outside autoscaling min..max "
                f"({self.autoscaling.min}..{self.autoscaling.max})"
            )
        if self.routing is not None:
            names = {c.name: c for c in self.containers}
            if self.routing.container is not None:
                target = names.get(self.routing.container)
                if target is None:
                    problems.append(
                        f"@routing.container: no container named {self.routing.container!r}; "
                        f"legal values: {', '.join(names)}"
                    )
                elif target.port is None:
                    problems.append(f"@routing.container: container {target.name!r} has no port")
            elif self.target_container is None:
                problems.append("@routing: routing needs a container with a port")
        else:
            listening = next((c for c in self.containers if c.port is not None), None)
            if listening is not None:
                # Without routing nothing reaches the port (no load balancer, a security group admitting nothing).
                problems.append(
                    f"@routing: container {listening.name!r} listens on port {listening.port} but the service has no "
                    "routing; add routing (a host or path patterns), or drop the port for a worker"
                )
            if self.autoscaling.enabled and self.autoscaling.requests_per_target:
                problems.append("@autoscaling.requests_per_target: needs routing (a load balancer)")
            strategy = self.deployment.strategy
            if strategy is not None and strategy != "rolling":
                problems.append(
                    f"@deployment.strategy: {strategy} shifts load balancer traffic and this service has no routing "
                    "(a worker); legal values without routing: rolling"
                )
            if self.deployment.alarms.enabled:
                problems.append(
                    "@deployment.alarms.enabled: the alarms read load balancer metrics and this service has no "
                    "routing (a worker); legal values without routing: false"
                )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def logging(self) -> LoggingArgs:
        """The components' `LoggingArgs`."""
        return LoggingArgs(retention_days=self.log_retention_days)

    @property
    def target_container(self) -> ContainerConfig | None:
        """The container the load balancer sends traffic to (None for a service without a port)."""
        if self.routing is not None and self.routing.container is not None:
            return next((c for c in self.containers if c.name == self.routing.container), None)
        return next((c for c in self.containers if c.port is not None), None)


# --- previews ------------------------------------------------------------------------------------------------

_TEMPLATE_FIELDS = {"pr", "service", "app"}


class PreviewSettings(_Model):
    """How each pull request's preview is named, sized, routed and expired.

    In a preview stack (`preview` loaded with a PR number) these settings override every service: task size,
    log retention, Spot capacity, one task without autoscaling, the host from `host_template` and the listener
    rule priority `priority_base + pr x services_per_pr + index` (`ecsdelivery.config.priorities`): each PR owns
    its own block of priorities, so open PRs never collide. ALB priorities end at 50000: with the defaults the
    largest PR number is 9999; loading a larger one is an error that names the limit.
    """

    host_template: str = Field(
        "pr-{pr}.preview.example.com",
        description="Host name of a preview service; placeholders {pr}, {service}, {app}. A stack with more than "
        "one routed service needs {service}. Default: pr-{pr}.preview.example.com.",
    )
    ttl_hours: int = Field(
        72, ge=1, le=24 * 90, description="Hours after its last deploy that a preview expires. Default: 72."
    )
    platform_stack: StackName = Field("dev", description="Stack whose platform previews use. Default: dev.")
    cpu: int | None = Field(
        256, description="Task CPU of every preview service; none keeps the service's. Default: 256."
    )
    memory: int | None = Field(
        512, description="Task memory of every preview service; none keeps the service's. Default: 512."
    )
    log_retention_days: int = _setting(
        PREVIEW_LOGGING,
        "retention_days",
        "Log retention of preview services, days.",
        json_schema_extra={"enum": list(LOG_RETENTION_DAYS)},
    )
    spot: bool = Field(True, description="Run previews on Fargate Spot only. Default: true.")
    priority_base: int = Field(
        PREVIEW_PRIORITY_BASE,
        ge=1,
        le=MAX_PRIORITY,
        description="Start of the preview listener priorities: PR N takes base + N x services_per_pr + index "
        "(one-to-one, never wraps); priorities below are left to the environments' own services. Default: 10000.",
    )
    services_per_pr: int = Field(
        SERVICES_PER_PREVIEW,
        ge=1,
        le=100,
        description="Priorities reserved per PR (most routed services a preview may have). With the defaults the "
        "largest PR number is (50000 - 10000 - 4 + 1) // 4 = 9999. Default: 4.",
    )

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return _check_retention(value)

    @model_validator(mode="after")
    def _checks(self) -> PreviewSettings:
        problems = []
        try:
            fields = {f for f in re.findall(r"\{([^{}]*)\}", self.host_template)}
            unknown = fields - _TEMPLATE_FIELDS
            if unknown:
                raise ValueError(f"unknown placeholder {{{sorted(unknown)[0]}}}")
            sample = self.render_host(pr=12345, service="web", app="web")
            if not is_host_name(sample):
                raise ValueError(f"renders {sample!r}, which is not a DNS host name")
        except (ValueError, IndexError, KeyError) as err:
            problems.append(f"@host_template: {err}; placeholders: {{pr}}, {{service}}, {{app}}")
        if self.cpu is not None and self.memory is not None:
            size = check_size(self.cpu, self.memory)
            if size:
                problems.append(f"@{'memory' if self.cpu in FARGATE_CPU else 'cpu'}: {size}")
        if self.largest_pr < 1:
            problems.append(
                f"@priority_base: priority_base {self.priority_base} + services_per_pr {self.services_per_pr} "
                f"leaves no preview listener priority under {MAX_PRIORITY}"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def render_host(self, *, pr: int, service: str, app: str) -> str:
        """The host name of `service` in the preview of PR `pr`."""
        return self.host_template.format(pr=pr, service=service, app=app)

    @property
    def largest_pr(self) -> int:
        """The largest PR number whose listener priorities fit (ALB priorities end at 50000)."""
        return largest_preview_pr(base=self.priority_base, services_per_preview=self.services_per_pr)

    def priority(self, pr: int, service_index: int) -> int:
        """Listener rule priority of the `service_index`-th routed service of PR `pr` (see `preview_priority`)."""
        return preview_priority(pr, service_index, base=self.priority_base, services_per_preview=self.services_per_pr)


#: An e-mail address SNS can deliver to (one @, a dot in the domain, no spaces); an HTTPS endpoint with a host.
EMAIL_ENDPOINT = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
HTTPS_ENDPOINT = re.compile(r"^https://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?(?:/\S*)?$")
#: Each subscription list of the alarm topic: what its endpoints must look like, in words for the error.
_ENDPOINT_KINDS = {
    "email": (EMAIL_ENDPOINT, "an e-mail address"),
    "https": (HTTPS_ENDPOINT, "an https:// URL with a host"),
}


def _endpoint_problems(values: list[str], pattern: re.Pattern[str], what: str) -> list[str]:
    problems = [f"@[{i}]: {value!r} is not {what}" for i, value in enumerate(values) if not pattern.match(value)]
    problems += [f"@[{i}]: {value!r} is listed twice" for i, value in enumerate(values) if value in values[:i]]
    return problems


class AlarmTopicConfig(_Model):
    """An SNS topic the stack creates for its alarms' notifications, with optional subscriptions."""

    create: bool = Field(
        False,
        description="Create one SNS topic (`<namespace>-<env>-<app>-alarms`) that every service's rollback alarms "
        "notify when they fire and clear, encrypted with the stack's log key (needs log_encryption: CloudWatch "
        "cannot publish to a topic under the AWS-managed alias/aws/sns key), publishable only by this account's "
        "alarms and only over TLS; its ARN is the stack output alarmTopicArn. Skipped in previews and in stacks "
        "without alarms. Default: false.",
    )
    email: list[str] = Field(
        default_factory=list,
        description="E-mail addresses subscribed to the topic (each confirms by the mail AWS sends). Default: [].",
    )
    https: list[str] = Field(
        default_factory=list,
        description="HTTPS endpoints subscribed to the topic (each must confirm the subscription). Default: [].",
    )

    @field_validator("email", "https")
    @classmethod
    def _endpoints(cls, value: list[str], info: ValidationInfo) -> list[str]:
        pattern, what = _ENDPOINT_KINDS[str(info.field_name)]
        problems = _endpoint_problems(value, pattern, what)
        if problems:
            raise ValueError("\n".join(problems))
        return value

    @model_validator(mode="after")
    def _subscriptions_need_topic(self) -> AlarmTopicConfig:
        for key in ("email", "https"):
            if getattr(self, key) and not self.create:
                raise ValueError(f"@{key}: subscriptions need a topic; set alarm_topic.create: true")
        return self


# --- the stack -----------------------------------------------------------------------------------------------


class StackConfig(_Model):
    """One environment: everything a stack file (with its imports) says, validated.

    Example:
        config = load_stack("dev")
        config.services["web"].containers[0].port   # 8080
        config.label.id                              # "acme-dev-web"
    """

    namespace: Name = Field(description="Organisation or team prefix of every name, e.g. acme. Required.")
    app: Name = Field(description="Application name, e.g. web. Required.")
    environment: StackName = Field(
        description="Stage: dev, staging, prod, shared or preview. Default: the stack file's name."
    )
    region: str = Field(pattern=r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", description="AWS region. Required.")
    accounts: list[AccountId] = Field(
        min_length=1,
        description="AWS account ids this environment may deploy to (quoted strings); a deploy with credentials "
        "for another account is refused. Required.",
    )
    protected: bool = Field(
        False,
        description="Changes and destroys need confirmation (--yes in CI). Default: false (prod and shared set true).",
    )
    state: StateConfig = Field(default_factory=StateConfig, description="Pulumi state backend and secrets provider.")
    promotion: PromotionConfig = Field(default_factory=PromotionConfig, description="Promotion order.")
    platform: PlatformConfig | None = Field(
        None, description="Network, cluster and load balancer. Default: none (allowed only without services)."
    )
    ecr: EcrConfig = Field(description="The image repository. Required.")
    services: dict[Name, ServiceConfig] = Field(
        default_factory=dict, description="Services by name. Default: {} (e.g. the shared stack)."
    )
    preview: PreviewSettings = Field(default_factory=PreviewSettings, description="Preview settings.")
    tags: dict[str, str] = Field(default_factory=dict, description="Extra tags on every resource. Default: {}.")
    github: GithubConfig = Field(
        default_factory=GithubConfig,
        description="The GitHub repository that deploys (owner, repository); only bootstrap needs it.",
    )
    log_encryption: bool | None = Field(
        None,
        description="Encrypt the services' log groups with a customer-managed KMS key the stack creates (rotated "
        "yearly, usable only by CloudWatch Logs for this account's log groups in the region). Default: on in prod, "
        "off elsewhere; previews never.",
    )
    alarm_topic: AlarmTopicConfig = Field(
        default_factory=AlarmTopicConfig, description="An SNS topic for the alarms' notifications."
    )

    # Set by the loader, never written in a stack file.
    pr: SkipJsonSchema[int | None] = Field(None, description="PR number of a preview stack.")
    stack_file: SkipJsonSchema[str | None] = Field(None, description="Name of the stack file (without .yaml).")

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_tags(value)

    @model_validator(mode="after")
    def _relations(self) -> StackConfig:
        problems = []
        if self.services and self.platform is None:
            problems.append("@platform: services need a platform (mode create, stack or existing)")
        if self.ecr.registry_account is None:
            self.ecr.registry_account = self.accounts[0]
        if self.ecr.region is None:
            self.ecr.region = self.region
        if self.environment == "preview" and isinstance(self.platform, CreatePlatform):
            problems.append(
                "@platform.mode: previews never create a platform; use mode stack (platform_stack) or existing"
            )
        if (
            self.environment == "preview"
            and isinstance(self.platform, StackPlatform)
            and self.platform.stack != self.preview.platform_stack
        ):
            problems.append(
                f"@platform.stack: {self.platform.stack!r} differs from preview.platform_stack "
                f"{self.preview.platform_stack!r}"
            )
        if (
            self.services
            and isinstance(self.platform, CreatePlatform)
            and self.platform.nat == "none"
            and self.platform.vpc_endpoints != "provided"
        ):
            problems.append(
                "@platform.nat: with nat none the tasks' subnets are isolated and the tasks could not pull images "
                "or write logs; use nat single or per_az, or set platform.vpc_endpoints: provided when your team "
                "adds the VPC endpoints (S3 gateway; ecr.api, ecr.dkr, logs, ssm/secretsmanager)"
            )
        for name, service in self.services.items():
            if service.renamed_from is not None and service.renamed_from in self.services:
                problems.append(
                    f"@services.{name}.renamed_from: {service.renamed_from!r} is still a service of this stack"
                )
        if isinstance(self.platform, StackPlatform) and self.platform.stack == self.stack_file:
            problems.append("@platform.stack: a stack cannot read its platform from itself")
        problems.extend(self._check_names())
        if self.pr is not None:
            problems.extend(self._apply_preview(self.pr))
        else:
            problems.extend(self._assign_priorities())
        if not problems:
            problems.extend(self._check_reachable())
        problems.extend(self._resolve_deployments())
        self._resolve_edge()
        problems.extend(self._resolve_alarm_topic())
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _check_names(self) -> list[str]:
        """No two services may end up with the same AWS names, and none may look like a preview."""
        problems = []
        owners: dict[str, str] = {}
        for name in self.services:
            if is_preview_name(name):
                problems.append(
                    f"@services.{name}: {name!r} is a preview's name (pr-<N>): its resources would be tagged as "
                    "that pull request's preview; choose another service name"
                )
                continue
            label_id = self.service_label(name).id
            other = owners.get(label_id)
            if other is not None:
                problems.append(f"@services.{name}: its AWS names ({label_id}) are also those of {other}")
            owners.setdefault(label_id, f"service {name!r}")
        return problems

    def _check_reachable(self) -> list[str]:
        """A listener rule that an earlier rule always wins over never gets traffic: refuse its service.

        Rule A (lower priority number) takes all of B's requests when A matches any host or B's host, and A's path
        patterns include `/*` or all of B's.
        """
        routed = sorted(
            ((name, service.routing) for name, service in self.services.items() if service.routing is not None),
            key=lambda item: item[1].priority or 0,
        )
        problems = []
        for index, (name, routing) in enumerate(routed):
            for earlier, first in routed[:index]:
                same_host = first.host is None or first.host == routing.host
                paths = set(first.path_patterns)
                if same_host and ("/*" in paths or set(routing.path_patterns) <= paths):
                    problems.append(
                        f"@services.{name}.routing: never gets traffic: service {earlier!r} (priority "
                        f"{first.priority}) matches {'any host' if first.host is None else first.host} and these "
                        "paths first; give one of them another host or other path patterns"
                    )
                    break
        return problems

    def _resolve_edge(self) -> None:
        """Prod defaults: a WAF in front of the load balancer it creates, and its log groups encrypted with a
        customer-managed KMS key. Previews never encrypt with a key of their own (it would outlive them by 7 days
        and cost a dollar a month each)."""
        if isinstance(self.platform, CreatePlatform) and self.platform.waf is None:
            self.platform.waf = self.environment == "prod"
        if self.pr is not None or self.environment == "preview":
            self.log_encryption = False
        elif self.log_encryption is None:
            self.log_encryption = self.environment == "prod"

    def _resolve_alarm_topic(self) -> list[str]:
        """The stack's alarm topic exists only where an alarm can notify it (not in previews, not without alarms);
        it needs the stack's KMS key, and no service may also name a topic of its own."""
        topic = self.alarm_topic
        alarmed = [name for name, service in self.services.items() if service.deployment.alarms.enabled]
        if not topic.create or not alarmed:
            topic.create = False
            return []
        problems = [
            f"@services.{name}.deployment.alarms.notification_topic_arn: alarm_topic.create is true, so the "
            "alarms notify the stack's topic; remove one of the two"
            for name in alarmed
            if self.services[name].deployment.alarms.notification_topic_arn is not None
        ]
        if not self.log_encryption:
            problems.append(
                "@alarm_topic.create: the topic is encrypted with the stack's KMS key and log_encryption is off; "
                "set log_encryption: true (CloudWatch alarms cannot publish to a topic under the AWS-managed "
                "alias/aws/sns key)"
            )
        return problems

    def _resolve_deployments(self) -> list[str]:
        """Decide each service's strategy and alarms once: previews roll without alarms or test traffic (fast and
        cheap); prod's routed services default to canary; every routed service outside previews gets alarms that
        roll back."""
        problems: list[str] = []
        for name, service in self.services.items():
            deployment, routed = service.deployment, service.routing is not None
            if self.pr is not None or self.environment == "preview":
                deployment.strategy = "rolling"
                deployment.alarms.enabled = False
                deployment.test_traffic = False
                continue
            if deployment.strategy is None:
                deployment.strategy = "canary" if routed and self.environment == "prod" else "rolling"
            if deployment.alarms.enabled is None:
                deployment.alarms.enabled = routed
            if deployment.test_traffic:
                problems.extend(f"@services.{name}.deployment.test_traffic: {p}" for p in self._test_traffic(service))
        return problems

    def _test_traffic(self, service: ServiceConfig) -> list[str]:
        if service.deployment.strategy == "rolling":
            return [
                "ECS sends test traffic only while it shifts traffic between two target groups and this service "
                "rolls; legal strategies with test traffic: blue_green, canary, linear"
            ]
        if isinstance(self.platform, CreatePlatform) and not self.platform.test_traffic_cidrs:
            return [
                "no caller may reach the test listener: list its sources in platform.test_traffic_cidrs (a caller "
                "inside the VPC arrives from its NAT gateway's public IP, as /32)"
            ]
        if isinstance(self.platform, ExistingPlatform) and self.platform.standby_listener_arn is None:
            return [
                "a platform given by ids (mode existing) without platform.standby_listener_arn has no listener for "
                "the test rule; give one, or legal values: false"
            ]
        return []

    def _assign_priorities(self) -> list[str]:
        used: dict[int, str] = {}
        problems = []
        for index, (name, service) in enumerate(self.services.items()):
            if service.routing is None:
                continue
            if service.routing.priority is None:
                service.routing.priority = 100 + 10 * index
            # Previews on this platform's listener take every priority from priority_base up.
            if service.routing.priority >= self.preview.priority_base:
                problems.append(
                    f"@services.{name}.routing.priority: {service.routing.priority} is in the preview range; "
                    f"use a priority below preview.priority_base ({self.preview.priority_base})"
                )
            other = used.get(service.routing.priority)
            if other is not None:
                problems.append(
                    f"@services.{name}.routing.priority: {service.routing.priority} is also used by service {other!r}"
                )
            used[service.routing.priority] = name
        return problems

    def _apply_preview(self, pr: int) -> list[str]:
        """Preview settings win over the services' own: size, Spot, one task, host and priority."""
        settings = self.preview
        routed = [name for name, service in self.services.items() if service.routing is not None]
        if pr > settings.largest_pr:
            # One line, and nothing else: every priority below would be out of range too.
            return [
                f"@preview.priority_base: pull request {pr} is past the preview listener-rule priorities: with "
                f"priority_base {settings.priority_base} and services_per_pr {settings.services_per_pr} the largest "
                f"PR number is {settings.largest_pr} (ALB priorities end at {MAX_PRIORITY})"
            ]
        problems = []
        if len(routed) > settings.services_per_pr:
            problems.append(
                f"@preview.services_per_pr: {len(routed)} routed services exceed services_per_pr "
                f"({settings.services_per_pr})"
            )
        if len(routed) > 1 and "{service}" not in settings.host_template:
            problems.append("@preview.host_template: several routed services need {service} in the template")
        for name, service in self.services.items():
            if settings.cpu is not None:
                service.cpu = settings.cpu
            if settings.memory is not None:
                service.memory = settings.memory
            size = check_size(service.cpu, service.memory)
            if size:
                problems.append(f"@services.{name}.cpu: {size}")
            service.log_retention_days = settings.log_retention_days
            service.desired_count = 1
            service.autoscaling = AutoscalingConfig(enabled=False)
            if settings.spot:
                spot = CapacityArgs.spot_only()
                service.capacity = CapacityConfig(
                    on_demand_weight=spot.on_demand_weight,
                    spot_weight=spot.spot_weight,
                    on_demand_base=spot.on_demand_base,
                )
            if service.routing is not None:
                host = settings.render_host(pr=pr, service=name, app=self.app)
                if not is_host_name(host):
                    problems.append(f"@preview.host_template: renders {host!r}, which is not a DNS host name")
                service.routing.host = host
                service.routing.priority = settings.priority(pr, routed.index(name))
        return problems

    @property
    def is_preview(self) -> bool:
        """True for a `pr-<N>` stack."""
        return self.pr is not None

    @property
    def stack_name(self) -> str:
        """The Pulumi stack name: `pr-<N>` for previews, otherwise the stack file's name."""
        if self.pr is not None:
            return preview_name(self.pr)
        return self.stack_file or self.environment

    @property
    def label(self) -> Label:
        """The naming label of this stack: namespace, environment, app, plus `pr-<N>` for previews."""
        attributes = (preview_name(self.pr),) if self.pr is not None else ()
        return Label(self.namespace, self.environment, self.app, attributes, dict(self.tags))

    def service_label(self, service: str) -> Label:
        """The label of one service: the stack label with the service name as an attribute unless it is the app.

        For app "web": service "web" of dev -> acme-dev-web; service "worker" of PR 42 -> acme-preview-web-worker-pr-42.
        """
        attributes = [] if service == self.app else [service]
        if self.pr is not None:
            attributes.append(preview_name(self.pr))
        extra = {**self.tags, **self.services[service].tags} if service in self.services else dict(self.tags)
        return Label(self.namespace, self.environment, self.app, tuple(attributes), extra)

    @property
    def repository_url(self) -> str:
        """`<account>.dkr.ecr.<region>.amazonaws.com/<name>` of the ECR repository."""
        account = self.ecr.registry_account or self.accounts[0]
        return f"{account}.dkr.ecr.{self.ecr.region or self.region}.amazonaws.com/{self.ecr.name}"


__all__ = [
    "AlarmTopicConfig",
    "AutoscalingConfig",
    "CapacityConfig",
    "ContainerConfig",
    "ContainerHealthCheck",
    "CreatePlatform",
    "DeploymentConfig",
    "EcrConfig",
    "EcrLifecycle",
    "ExistingPlatform",
    "GithubConfig",
    "PlatformConfig",
    "PreviewSettings",
    "PromotionConfig",
    "RoutingConfig",
    "SecretRef",
    "ServiceConfig",
    "StackConfig",
    "StackPlatform",
    "StateConfig",
    "TargetHealthCheck",
    "github_name_problem",
    "is_host_name",
]
