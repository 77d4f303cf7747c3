"""The guardrail rules: one definition, run offline by `check` and by the pulumi-policy pack in `policy/`.

Two kinds, mirroring pulumi-policy:

- a `Rule` validates one resource: `validate(resource_type, props, context) -> list[str]` (one message per
  problem), called with the pulumi-aws type token and the inputs in the camelCase names the engine sees;
- a `StackRule` validates the whole resource list: `validate(resources, context) -> list[(name, message)]`,
  for what one resource cannot tell (which security groups belong to tasks, whether a preview made a NAT).

Each has an id, a severity (`mandatory` fails `check` with exit code 1 and blocks `pulumi preview`;
`advisory` is reported only) and a fix. Some rules apply only in some environments (prod, previews) and some
are mandatory in one environment and advisory in another: `severity_for(context)` says which, None when the
rule does not apply. This module imports only the standard library, so the policy pack needs nothing else.

    from ecsdelivery.guardrails.rules import RuleContext, evaluate
    violations = evaluate(result.resources, RuleContext(environment="prod"))
    [v.line() for v in violations if v.severity == "mandatory"]
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ecsdelivery.facts import (
    AWSX_VPC,
    CLUSTER,
    EC2_VPC,
    LISTENERS,
    LOAD_BALANCERS,
    LOG_GROUP,
    MODERN_TLS,
    NAT_GATEWAY,
    POLICY,
    REPOSITORY,
    ROLE,
    ROLE_POLICY,
    SECURITY_GROUP,
    SERVICE,
    SG_INGRESS_RULE,
    SG_RULE,
    TASK_DEFINITION,
    TLS_POLICY,
    VPC_ENDPOINT,
)
from ecsdelivery.naming import STANDBY_TAG
from ecsdelivery.resources import (
    Resource,
    as_list,
    as_resources,
    containers,
    get,
    minimum_tasks,
    number,
    parse_json,
    services,
)

Severity = Literal["mandatory", "advisory"]
MANDATORY: Severity = "mandatory"
ADVISORY: Severity = "advisory"

PREVIEW = "preview"
PROD = "prod"
#: Tags naming.Label puts on every resource; the policy pack reads the environment from them.
ENVIRONMENT_TAG = "Environment"
PR_TAG = "PullRequest"
#: A preview's expiry tag: any tag whose key says "expir" (ExpiresAt, Expiry, expires-at, ...).
EXPIRY_TAG = re.compile(r"expir", re.IGNORECASE)
RECOMMENDED_TLS = TLS_POLICY
#: Environment variable names that look like secrets.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY\Z", re.IGNORECASE)
#: IAM actions that read secret values.
SECRET_READS = (
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
)
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}\Z")


@dataclass(frozen=True)
class RuleContext:
    """What the rules need to know about the stack besides the resource itself.

    Attributes:
        environment: dev, staging, prod, shared or preview ("" when unknown: environment rules then skip).
        pr: the pull request number of a preview.
        protected: the stack file says `protected: true`.
        options: resource options of the resource being validated (`protect`), when known.
    """

    environment: str = ""
    pr: int | None = None
    protected: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_preview(self) -> bool:
        return self.environment == PREVIEW or self.pr is not None

    @property
    def is_prod(self) -> bool:
        return self.environment == PROD

    def for_resource(self, options: Mapping[str, Any] | None) -> RuleContext:
        """This context with the options of one resource."""
        return replace(self, options=dict(options or {}))

    @classmethod
    def from_tags(cls, tags: Any, default: RuleContext | None = None) -> RuleContext:
        """The context the Environment and PullRequest tags imply (what the policy pack sees), else `default`."""
        base = default or cls()
        if not isinstance(tags, Mapping):
            return base
        environment = tags.get(ENVIRONMENT_TAG)
        pr = tags.get(PR_TAG)
        return replace(
            base,
            environment=str(environment) if isinstance(environment, str) and environment else base.environment,
            pr=int(pr) if isinstance(pr, str | int) and re.fullmatch(r"[0-9]{1,18}", str(pr)) else base.pr,
        )


@dataclass(frozen=True)
class Violation:
    """One failed rule on one resource (`resource` None: the stack as a whole)."""

    rule_id: str
    severity: Severity
    resource: str | None
    resource_type: str | None
    message: str
    fix: str

    def line(self) -> str:
        where = f"{self.resource} ({self.resource_type})" if self.resource else "stack"
        return f"[{self.severity}] {self.rule_id}: {where}: {self.message}. Fix: {self.fix}"

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "severity": self.severity,
            "resource": self.resource,
            "type": self.resource_type,
            "message": self.message,
            "fix": self.fix,
        }


Applies = Callable[[RuleContext], bool]


def _everywhere(_: RuleContext) -> bool:
    return True


def _never(_: RuleContext) -> bool:
    return False


@dataclass(frozen=True)
class _Base:
    id: str
    description: str
    fix: str
    severity: Severity = MANDATORY
    #: the rule applies in this context (e.g. only prod, only previews)
    applies: Applies = _everywhere
    #: in this context a failure is only advisory (e.g. an unprotected dev stack)
    relaxed: Applies = _never

    def severity_for(self, context: RuleContext) -> Severity | None:
        """The severity of a failure in `context`, None when the rule does not apply there."""
        if not self.applies(context):
            return None
        return ADVISORY if self.relaxed(context) else self.severity

    @property
    def can_relax(self) -> bool:
        return self.relaxed is not _never and self.severity == MANDATORY


@dataclass(frozen=True)
class Rule(_Base):
    """A resource rule: `validate(resource_type, props, context) -> messages` for the listed types."""

    resource_types: tuple[str, ...] = ()
    validate: Callable[[str, Mapping[str, Any], RuleContext], list[str]] = lambda *_: []

    def check(self, resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
        """Messages for this resource; [] when it passes or the rule does not apply to it."""
        if resource_type not in self.resource_types or self.severity_for(context) is None:
            return []
        return self.validate(resource_type, props, context)


@dataclass(frozen=True)
class StackRule(_Base):
    """A stack rule: `validate(resources, context) -> [(resource name or None, message)]`."""

    validate: Callable[[Sequence[Resource], RuleContext], list[tuple[str | None, str]]] = lambda *_: []

    def check(self, resources: Sequence[Resource], context: RuleContext) -> list[tuple[str | None, str]]:
        if self.severity_for(context) is None:
            return []
        return self.validate(resources, context)


def _statements(policy: Any) -> list[dict[str, Any]]:
    document = parse_json(policy)
    if not isinstance(document, Mapping):
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]


# --------------------------------------------------------------------------------------------------------------
# Resource rules


def no_public_ip(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    if get(props, "networkConfiguration.assignPublicIp") is True:
        return ["tasks get a public IP (networkConfiguration.assignPublicIp is true)"]
    return []


def https_listener(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    protocol = str(props.get("protocol") or "").upper()
    problems = []
    if props.get("certificateArn") and protocol not in ("HTTPS", "TLS"):
        problems.append(f"the listener has a certificate but uses {protocol or 'no protocol'}")
    if protocol in ("HTTPS", "TLS"):
        policy = props.get("sslPolicy")
        if not policy:
            problems.append("the HTTPS listener sets no sslPolicy (the API default allows TLS 1.0)")
        elif isinstance(policy, str) and not MODERN_TLS.match(policy):
            problems.append(f"sslPolicy {policy} allows TLS versions below 1.2")
    return problems


def ecr_immutable_scan(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    problems = []
    mutability = props.get("imageTagMutability") or "MUTABLE"  # the API default
    if not str(mutability).startswith("IMMUTABLE"):
        problems.append(f"image tags are {mutability}")
    if get(props, "imageScanningConfiguration.scanOnPush") is not True:
        problems.append("images are not scanned on push")
    return problems


def log_retention(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    days = number(props.get("retentionInDays"))
    if not days or days <= 0:
        return ["the log group keeps logs forever (no retentionInDays)"]
    return []


#: A year of logs: what audits usually ask of production (checkov CKV_AWS_338).
PROD_LOG_DAYS = 365
BUCKET_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"


def log_retention_year(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    days = number(props.get("retentionInDays"))
    if days and days < PROD_LOG_DAYS:
        return [f"the log group keeps logs {days:g} days, less than a year ({PROD_LOG_DAYS})"]
    return []


def abort_incomplete_uploads(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    for rule in as_list(props.get("rules")):
        if not isinstance(rule, Mapping) or rule.get("status") != "Enabled":
            continue
        whole_bucket = not any(v for v in (rule.get("filter") or {}).values())
        if rule.get("abortIncompleteMultipartUpload") and whole_bucket:
            return []
    return ["no enabled rule of the whole bucket aborts incomplete multipart uploads (their parts are billed)"]


def no_plain_secrets(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    problems = []
    for container in containers(props):
        for variable in as_list(container.get("environment")):
            name = variable.get("name") if isinstance(variable, Mapping) else None
            if isinstance(name, str) and SECRET_NAME.search(name):
                problems.append(f"container {container.get('name')}: {name} looks like a secret in plain environment")
    return problems


def _reads_secrets(actions: Iterable[Any]) -> bool:
    for pattern in actions:
        if not isinstance(pattern, str):
            continue
        if any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for action in SECRET_READS):
            return True
    return False


def _named(resource: Any) -> bool:
    """True for an ARN naming one secret or parameter (a wildcard only after some of its name)."""
    if not isinstance(resource, str) or resource.startswith(("*", "?")):
        return False
    for marker in (":parameter/", ":parameter", ":secret:"):
        if marker in resource:
            name = resource.split(marker, 1)[1].lstrip("/")
            return bool(name) and name[0] not in "*?"
    # Any other ARN granted secret reads must name something exactly.
    return "*" not in resource


def named_secrets_only(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    documents = [props.get("policy")]
    if resource_type == ROLE:
        documents = [p.get("policy") for p in as_list(props.get("inlinePolicies")) if isinstance(p, Mapping)]
    problems = []
    for document in documents:
        for statement in _statements(document):
            if statement.get("Effect") != "Allow" or not _reads_secrets(as_list(statement.get("Action"))):
                continue
            sid = f" (statement {statement['Sid']})" if statement.get("Sid") else ""
            if "NotResource" in statement:
                problems.append(f"secret reads are granted with NotResource{sid}")
            for resource in as_list(statement.get("Resource")):
                if not _named(resource):
                    problems.append(f"secret reads are granted on {resource!r}{sid}, not on named secrets")
    return problems


def circuit_breaker(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    controller = get(props, "deploymentController.type", "ECS")
    if controller != "ECS":
        return []  # CODE_DEPLOY and EXTERNAL controllers roll back on their own terms
    breaker = props.get("deploymentCircuitBreaker") or {}
    if not (isinstance(breaker, Mapping) and breaker.get("enable") is True and breaker.get("rollback") is True):
        return ["the deployment circuit breaker with rollback is off"]
    return []


def image_digest(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    problems = []
    for container in containers(props):
        image = container.get("image")
        if isinstance(image, str) and not DIGEST.search(image):
            problems.append(f"container {container.get('name')} runs {image}, not pinned by digest")
    return problems


def alb_deletion_protection(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    if props.get("enableDeletionProtection") is not True:
        return ["deletion protection is off on the load balancer"]
    return []


def ecr_protected(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    problems = []
    if context.options.get("protect") is not True:
        problems.append("the repository is not protected (resource option protect)")
    if props.get("forceDelete") is True:
        problems.append("forceDelete would delete the images with the repository")
    return problems


def preview_spot(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    strategies = [s for s in as_list(props.get("capacityProviderStrategies")) if isinstance(s, Mapping)]
    on_demand = [
        s
        for s in strategies
        if s.get("capacityProvider") != "FARGATE_SPOT"
        and ((number(s.get("weight")) or 0) or (number(s.get("base")) or 0))
    ]
    if not strategies or on_demand:
        return ["the preview runs on on-demand Fargate, not FARGATE_SPOT"]
    return []


def preview_expiry_tag(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    tags = props.get("tags")
    if not isinstance(tags, Mapping) or not any(EXPIRY_TAG.search(str(key)) for key in tags):
        return ["the preview's service has no expiry tag (e.g. ExpiresAt), so nothing can clean it up on time"]
    return []


# --------------------------------------------------------------------------------------------------------------
# Stack rules


def task_sg_alb_only(resources: Sequence[Resource], context: RuleContext) -> list[tuple[str | None, str]]:
    """Task security groups: those the services attach (by id) or that share a service's parent component."""
    task_services = services(resources)
    task_sg_ids = {
        sg
        for s in task_services
        for sg in as_list(get(s.inputs, "networkConfiguration.securityGroups"))
        if isinstance(sg, str)
    }
    service_parents = {s.parent for s in task_services}
    alb_sg_ids = {
        sg for r in resources if r.type in LOAD_BALANCERS for sg in as_list(r.inputs.get("securityGroups"))
    } - task_sg_ids
    found: list[tuple[str | None, str]] = []

    def check_source(resource: Resource, rule: Mapping[str, Any], source_keys: tuple[str, ...]) -> None:
        for key in ("cidrIpv4", "cidrIpv6", "cidrBlocks", "ipv6CidrBlocks", "prefixListId", "prefixListIds"):
            if as_list(rule.get(key)):
                found.append((resource.name, f"task security group admits {key} {rule.get(key)}"))
        sources = [sg for key in source_keys for sg in as_list(rule.get(key)) if isinstance(sg, str)]
        if rule.get("self") is True:
            found.append((resource.name, "task security group admits itself (self)"))
        for sg in sources:
            if alb_sg_ids and sg not in alb_sg_ids:
                found.append((resource.name, f"task security group admits {sg}, not the load balancer's group"))

    for resource in resources:
        if resource.type == SG_INGRESS_RULE and (
            resource.inputs.get("securityGroupId") in task_sg_ids
            or (resource.parent in service_parents and resource.parent is not None)
        ):
            check_source(resource, resource.inputs, ("referencedSecurityGroupId",))
        elif resource.type == SG_RULE and resource.inputs.get("type") == "ingress":
            if resource.inputs.get("securityGroupId") in task_sg_ids:
                check_source(resource, resource.inputs, ("sourceSecurityGroupId",))
        elif resource.type == SECURITY_GROUP and resource.parent in service_parents and resource.parent is not None:
            for rule in as_list(resource.inputs.get("ingress")):
                if isinstance(rule, Mapping):
                    check_source(resource, rule, ("securityGroups",))
    return found


def http_redirect(resources: Sequence[Resource], context: RuleContext) -> list[tuple[str | None, str]]:
    """With a certificate in the stack, plain HTTP listeners only redirect to HTTPS."""
    listeners = [r for r in resources if r.type in LISTENERS]
    if not any(r.inputs.get("certificateArn") for r in listeners):
        return []
    found: list[tuple[str | None, str]] = []
    for listener in listeners:
        if str(listener.inputs.get("protocol") or "").upper() != "HTTP":
            continue
        # The platform's standby listener takes no traffic: no security group admits its port.
        if (listener.inputs.get("tags") or {}).get(STANDBY_TAG[0]) == STANDBY_TAG[1]:
            continue
        actions = [a for a in as_list(listener.inputs.get("defaultActions")) if isinstance(a, Mapping)]
        redirects = all(
            a.get("type") == "redirect" and str(get(a, "redirect.protocol", "")).upper() == "HTTPS" for a in actions
        )
        if not actions or not redirects:
            found.append(
                (listener.name, "a certificate exists but this HTTP listener serves traffic instead of redirecting")
            )
    return found


def prod_high_availability(resources: Sequence[Resource], context: RuleContext) -> list[tuple[str | None, str]]:
    found: list[tuple[str | None, str]] = []
    for service in services(resources):
        minimum = minimum_tasks(service, resources)
        if minimum is not None and minimum < 2:
            found.append((service.name, f"prod runs {minimum:g} task(s) at minimum; a zone failure takes it down"))
        subnets = {s for s in as_list(get(service.inputs, "networkConfiguration.subnets")) if isinstance(s, str)}
        if len(subnets) < 2:
            found.append((service.name, f"tasks are placed in {len(subnets)} subnet(s), so in fewer than two zones"))
    return found


def preview_no_platform(resources: Sequence[Resource], context: RuleContext) -> list[tuple[str | None, str]]:
    what = {
        NAT_GATEWAY: "a NAT gateway",
        EC2_VPC: "a VPC",
        AWSX_VPC: "a VPC",
        CLUSTER: "an ECS cluster",
        **dict.fromkeys(LOAD_BALANCERS, "a load balancer"),
    }
    return [(r.name, f"the preview creates {what[r.type]} of its own") for r in resources if r.type in what]


def task_egress_path(resources: Sequence[Resource], context: RuleContext) -> list[tuple[str | None, str]]:
    """Tasks without a public IP in a VPC this stack makes without NAT or endpoints cannot pull images."""
    vpcs = [r for r in resources if r.type == AWSX_VPC]
    if not vpcs or any(r.type in (NAT_GATEWAY, VPC_ENDPOINT) for r in resources):
        return []
    if any(
        get(v.inputs, "natGateways.strategy", "OnePerAz") != "None" or v.inputs.get("vpcEndpointSpecs") for v in vpcs
    ):
        return []
    return [
        (s.name, "tasks have no public IP and the VPC has no NAT gateway or VPC endpoints: image pulls will fail")
        for s in services(resources)
        if get(s.inputs, "networkConfiguration.assignPublicIp") is not True
    ]


SG_EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def alb_access_logs(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    logs = props.get("accessLogs")
    if not isinstance(logs, Mapping) or logs.get("enabled") is False or not logs.get("bucket"):
        return ["the load balancer writes no access logs"]
    return []


def rule_description(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    if not props.get("description"):
        return ["the security group rule has no description"]
    return []


WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"


def log_group_key(resource_type: str, props: Mapping[str, Any], context: RuleContext) -> list[str]:
    if not props.get("kmsKeyId"):
        return ["the log group is not encrypted with a customer-managed KMS key"]
    return []


def prod_waf(resources: Sequence[Resource], context: RuleContext) -> list[tuple[str | None, str]]:
    """Every internet-facing load balancer the stack creates has a WAF web ACL associated with it."""
    associated = {str(r.inputs.get("resourceArn")) for r in resources if r.type == WEB_ACL_ASSOCIATION}
    found: list[tuple[str | None, str]] = []
    for lb in (r for r in resources if r.type in LOAD_BALANCERS[:2] and r.inputs.get("internal") is not True):
        name = lb.inputs.get("name")
        if not any(isinstance(name, str) and f":loadbalancer/app/{name}/" in arn for arn in associated):
            found.append((lb.name, "no WAF web ACL is associated with the internet-facing load balancer"))
    return found


def alarm_rollback(resources: Sequence[Resource], context: RuleContext) -> list[tuple[str | None, str]]:
    """Every service behind a load balancer rolls its deployments back on alarms that exist in the stack."""
    alarms = {r.inputs.get("name") for r in resources if r.type == METRIC_ALARM}
    found: list[tuple[str | None, str]] = []
    for service in services(resources):
        if not service.inputs.get("loadBalancers"):
            continue  # a worker: no load balancer metrics to alarm on
        config = service.inputs.get("alarms")
        if not isinstance(config, Mapping) or config.get("enable") is not True or config.get("rollback") is not True:
            found.append((service.name, "deployments are not rolled back on alarms (alarms with rollback are off)"))
            continue
        names = [n for n in as_list(config.get("alarmNames")) if isinstance(n, str)]
        missing = [n for n in names if n not in alarms]
        if not names:
            found.append((service.name, "the deployment alarms name no alarm"))
        elif missing:
            found.append(
                (service.name, f"the deployment watches alarms the stack does not create: {', '.join(missing)}")
            )
    return found


# --------------------------------------------------------------------------------------------------------------
# The catalogue


def _prod(context: RuleContext) -> bool:
    return context.is_prod


def _previews(context: RuleContext) -> bool:
    return context.is_preview


def _not_previews(context: RuleContext) -> bool:
    return not context.is_preview


def _unprotected(context: RuleContext) -> bool:
    return not (context.protected or context.environment in (PROD, "shared"))


RULES: tuple[Rule, ...] = (
    Rule(
        id="no-public-ip",
        description="Tasks get no public IP: they sit in private subnets behind the load balancer.",
        fix="set networkConfiguration.assignPublicIp to false and place tasks in private subnets (NAT or endpoints)",
        resource_types=(SERVICE,),
        validate=no_public_ip,
    ),
    Rule(
        id="https-listener",
        description="A listener with a certificate uses HTTPS with a TLS policy whose minimum is TLS 1.2.",
        fix=f"use protocol HTTPS with sslPolicy {RECOMMENDED_TLS}",
        resource_types=LISTENERS,
        validate=https_listener,
    ),
    Rule(
        id="ecr-immutable-scan",
        description="ECR repositories have immutable tags and scan images on push.",
        fix="set imageTagMutability IMMUTABLE and imageScanningConfiguration.scanOnPush true",
        resource_types=(REPOSITORY,),
        validate=ecr_immutable_scan,
    ),
    Rule(
        id="log-retention",
        description="Every log group has a retention.",
        fix="set retentionInDays (e.g. log_retention_days in the stack file)",
        resource_types=(LOG_GROUP,),
        validate=log_retention,
    ),
    Rule(
        id="no-plain-secrets",
        description="No secret-looking names (*PASSWORD*, *SECRET*, *TOKEN*, *_KEY) in plain container environment.",
        fix="move the value to `secrets` (SSM parameter or Secrets Manager ARN, passed with valueFrom)",
        resource_types=(TASK_DEFINITION,),
        validate=no_plain_secrets,
    ),
    Rule(
        id="named-secrets-only",
        description="Roles read only named secrets and parameters: no `*` resources for ssm/secretsmanager reads.",
        fix="grant ssm:GetParameters / secretsmanager:GetSecretValue on the exact ARNs the task's secrets name",
        resource_types=(ROLE_POLICY, POLICY, ROLE),
        validate=named_secrets_only,
    ),
    Rule(
        id="circuit-breaker",
        description="Services deploy with the circuit breaker on and rollback on.",
        fix="set deploymentCircuitBreaker {enable: true, rollback: true}",
        resource_types=(SERVICE,),
        validate=circuit_breaker,
    ),
    Rule(
        id="image-digest",
        description="Outside previews, containers run images pinned by digest (repo@sha256:...).",
        fix="deploy with --image repo@sha256:... (the driver resolves tags to digests)",
        resource_types=(TASK_DEFINITION,),
        applies=_not_previews,
        validate=image_digest,
    ),
    Rule(
        id="prod-alb-deletion-protection",
        description="In prod the load balancer has deletion protection.",
        fix="set platform.load_balancer_deletion_protection: true in the prod stack file",
        resource_types=LOAD_BALANCERS,
        applies=_prod,
        validate=alb_deletion_protection,
    ),
    Rule(
        id="ecr-protected",
        description="ECR repositories are protected and never force-deleted (mandatory in prod, shared and "
        "protected stacks, advisory elsewhere).",
        fix="create the repository in the protected shared stack with protect=True and forceDelete false",
        resource_types=(REPOSITORY,),
        relaxed=_unprotected,
        validate=ecr_protected,
    ),
    Rule(
        id="alb-access-logs",
        description="Load balancers write access logs to S3.",
        fix="keep platform.access_log_days set (the platform creates the log bucket and turns logging on)",
        resource_types=LOAD_BALANCERS[:2],
        validate=alb_access_logs,
    ),
    Rule(
        id="sg-rule-description",
        description="Every security group rule says what it is for (mandatory in prod, advisory elsewhere).",
        fix="give each aws.vpc.SecurityGroupIngressRule/EgressRule a description",
        resource_types=(SG_INGRESS_RULE, SG_EGRESS_RULE, SG_RULE),
        relaxed=lambda context: not context.is_prod,
        validate=rule_description,
    ),
    Rule(
        id="prod-log-encryption",
        description="In prod log groups are encrypted with a customer-managed KMS key.",
        fix="keep log_encryption on (the default in prod): the stack's key encrypts every service's log group",
        resource_types=(LOG_GROUP,),
        applies=_prod,
        validate=log_group_key,
    ),
    Rule(
        id="prod-log-retention-year",
        description="In prod log groups keep logs at least a year.",
        fix=f"set log_retention_days to {PROD_LOG_DAYS} or more for prod's services",
        severity=ADVISORY,
        resource_types=(LOG_GROUP,),
        applies=_prod,
        validate=log_retention_year,
    ),
    Rule(
        id="bucket-abort-uploads",
        description="Bucket lifecycle configurations abort incomplete multipart uploads in the whole bucket.",
        fix="add abortIncompleteMultipartUpload to an enabled lifecycle rule without a filter",
        severity=ADVISORY,
        resource_types=(BUCKET_LIFECYCLE,),
        validate=abort_incomplete_uploads,
    ),
    Rule(
        id="preview-spot",
        description="Previews run on Fargate Spot.",
        fix="use capacity provider FARGATE_SPOT only (the preview defaults do)",
        severity=ADVISORY,
        resource_types=(SERVICE,),
        applies=_previews,
        validate=preview_spot,
    ),
    Rule(
        id="preview-expiry-tag",
        description="Preview services carry an expiry tag so cleanup can remove them on time.",
        fix="tag the preview with ExpiresAt (PreviewEnvironment does; set preview.ttl_hours)",
        resource_types=(SERVICE,),
        applies=_previews,
        validate=preview_expiry_tag,
    ),
)

STACK_RULES: tuple[StackRule, ...] = (
    StackRule(
        id="task-sg-alb-only",
        description="Task security groups admit only the load balancer's security group: no CIDR ingress.",
        fix="allow ingress only with referencedSecurityGroupId set to the load balancer's security group",
        validate=task_sg_alb_only,
    ),
    StackRule(
        id="http-redirect",
        description="When a certificate exists, plain HTTP listeners only redirect to HTTPS.",
        fix="make the port-80 listener's default action a redirect to HTTPS (HTTP_301)",
        validate=http_redirect,
    ),
    StackRule(
        id="prod-high-availability",
        description="In prod each service runs more than one task across more than one availability zone.",
        fix="set desired_count (or autoscaling.min) to 2 or more and use at least two zones' private subnets",
        applies=_prod,
        validate=prod_high_availability,
    ),
    StackRule(
        id="prod-waf",
        description="In prod every internet-facing load balancer the stack creates has a WAF web ACL.",
        fix="keep platform.waf on (the default in prod): AWS managed rule groups in front of the load balancer",
        applies=_prod,
        validate=prod_waf,
    ),
    StackRule(
        id="prod-alarm-rollback",
        description="In prod every service behind a load balancer rolls deployments back on CloudWatch alarms that "
        "the stack creates.",
        fix="keep services.<name>.deployment.alarms on (rollback: true) in the prod stack file",
        applies=_prod,
        validate=alarm_rollback,
    ),
    StackRule(
        id="preview-no-platform",
        description="Previews add only per-PR resources: no NAT gateway, load balancer, VPC or cluster of their own.",
        fix="use platform mode: stack (the dev platform) in stacks/preview.yaml",
        applies=_previews,
        validate=preview_no_platform,
    ),
    StackRule(
        id="task-egress-path",
        description="Tasks without a public IP need a NAT gateway or VPC endpoints to pull images and write logs.",
        fix="set platform.nat to single (or add ECR/S3/logs VPC endpoints)",
        severity=ADVISORY,
        validate=task_egress_path,
    ),
)


def rule_ids() -> list[str]:
    """Every rule id, resource rules first."""
    return [r.id for r in RULES] + [r.id for r in STACK_RULES]


def evaluate(resources: Iterable[Mapping[str, Any] | Resource], context: RuleContext) -> list[Violation]:
    """Run every rule over synthesised resources; violations in resource order, then stack rules."""
    items = as_resources(resources)
    violations: list[Violation] = []
    for resource in items:
        local = context.for_resource(resource.options)
        for rule in RULES:
            severity = rule.severity_for(local)
            if severity is None:
                continue
            for message in rule.check(resource.type, resource.inputs, local):
                violations.append(Violation(rule.id, severity, resource.name, resource.type, message, rule.fix))
    types = {r.name: r.type for r in items}
    for stack_rule in STACK_RULES:
        severity = stack_rule.severity_for(context)
        if severity is None:
            continue
        for name, message in stack_rule.check(items, context):
            violations.append(
                Violation(stack_rule.id, severity, name, types.get(name) if name else None, message, stack_rule.fix)
            )
    return violations


__all__ = [
    "ADVISORY",
    "MANDATORY",
    "RULES",
    "STACK_RULES",
    "Resource",
    "Rule",
    "RuleContext",
    "StackRule",
    "Violation",
    "evaluate",
    "rule_ids",
]
