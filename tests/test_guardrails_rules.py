"""Guardrail rules: a passing and a failing case for every rule, over resources shaped as synth records them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecsdelivery.guardrails.rules import (
    ADVISORY,
    MANDATORY,
    RULES,
    STACK_RULES,
    Resource,
    RuleContext,
    evaluate,
    rule_ids,
)

DEV = RuleContext(environment="dev")
PROD = RuleContext(environment="prod", protected=True)
SHARED = RuleContext(environment="shared", protected=True)
PREVIEW = RuleContext(environment="preview", pr=42)
DIGEST = "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web@sha256:" + "a" * 64
RULE = {r.id: r for r in RULES}
STACK_RULE = {r.id: r for r in STACK_RULES}


def service(**inputs: Any) -> dict[str, Any]:
    base = {
        "name": "acme-dev-web",
        "desiredCount": 1,
        "capacityProviderStrategies": [{"base": 0, "capacityProvider": "FARGATE", "weight": 1}],
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "networkConfiguration": {"assignPublicIp": False, "securityGroups": ["sg-task"], "subnets": ["s-a", "s-b"]},
        "taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/acme-dev-web:1",
        "tags": {"Environment": "dev"},
    }
    return {**base, **inputs}


def task_definition(*, image: str = DIGEST, environment: dict[str, str] | None = None) -> dict[str, Any]:
    container = {
        "name": "web",
        "image": image,
        "essential": True,
        "environment": [{"name": k, "value": v} for k, v in (environment or {"PORT": "8080"}).items()],
    }
    return {"family": "acme-dev-web", "cpu": "256", "memory": "512", "containerDefinitions": json.dumps([container])}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


def allow(action: Any, resource: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


SECRET_ARN = "arn:aws:secretsmanager:us-east-1:1:secret:db-password-AbCdEf"
PARAM_ARN = "arn:aws:ssm:us-east-1:1:parameter/acme/dev/web/DB_URL"

# (rule id, resource type, inputs, context, options, expected failure count)
CASES = [
    ("no-public-ip", "aws:ecs/service:Service", service(), DEV, {}, 0),
    (
        "no-public-ip",
        "aws:ecs/service:Service",
        service(networkConfiguration={"assignPublicIp": True, "subnets": ["s-a"]}),
        DEV,
        {},
        1,
    ),
    (
        "https-listener",
        "aws:lb/listener:Listener",
        {"protocol": "HTTPS", "certificateArn": "arn:c", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
        PROD,
        {},
        0,
    ),
    ("https-listener", "aws:lb/listener:Listener", {"protocol": "HTTP", "port": 80}, DEV, {}, 0),
    ("https-listener", "aws:lb/listener:Listener", {"protocol": "HTTP", "certificateArn": "arn:c"}, PROD, {}, 1),
    (
        "https-listener",
        "aws:lb/listener:Listener",
        {"protocol": "HTTPS", "certificateArn": "arn:c", "sslPolicy": "ELBSecurityPolicy-2016-08"},
        PROD,
        {},
        1,
    ),
    (
        "https-listener",
        "aws:lb/listener:Listener",
        {"protocol": "HTTPS", "certificateArn": "arn:c", "sslPolicy": "ELBSecurityPolicy-TLS13-1-0-2021-06"},
        PROD,
        {},
        1,
    ),
    ("https-listener", "aws:lb/listener:Listener", {"protocol": "HTTPS", "certificateArn": "arn:c"}, PROD, {}, 1),
    (
        "ecr-immutable-scan",
        "aws:ecr/repository:Repository",
        {"imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": {"scanOnPush": True}},
        SHARED,
        {},
        0,
    ),
    ("ecr-immutable-scan", "aws:ecr/repository:Repository", {}, SHARED, {}, 2),
    (
        "ecr-immutable-scan",
        "aws:ecr/repository:Repository",
        {"imageTagMutability": "MUTABLE", "imageScanningConfiguration": {"scanOnPush": True}},
        SHARED,
        {},
        1,
    ),
    ("log-retention", "aws:cloudwatch/logGroup:LogGroup", {"name": "/ecs/x", "retentionInDays": 7}, DEV, {}, 0),
    ("log-retention", "aws:cloudwatch/logGroup:LogGroup", {"name": "/ecs/x"}, DEV, {}, 1),
    ("log-retention", "aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 0}, DEV, {}, 1),
    ("no-plain-secrets", "aws:ecs/taskDefinition:TaskDefinition", task_definition(), DEV, {}, 0),
    (
        "no-plain-secrets",
        "aws:ecs/taskDefinition:TaskDefinition",
        task_definition(environment={"DB_PASSWORD": "x", "API_KEY": "y", "GITHUB_TOKEN": "z", "KEYBOARD": "q"}),
        DEV,
        {},
        3,
    ),
    (
        "no-plain-secrets",
        "aws:ecs/taskDefinition:TaskDefinition",
        task_definition(environment={"client_secret": "x"}),
        DEV,
        {},
        1,
    ),
    (
        "named-secrets-only",
        "aws:iam/rolePolicy:RolePolicy",
        policy(allow(["ssm:GetParameters", "secretsmanager:GetSecretValue"], [PARAM_ARN, SECRET_ARN])),
        DEV,
        {},
        0,
    ),
    (
        "named-secrets-only",
        "aws:iam/rolePolicy:RolePolicy",
        policy(allow("ecr:GetAuthorizationToken", "*")),  # not a secret read: another rule's business
        DEV,
        {},
        0,
    ),
    (
        "named-secrets-only",
        "aws:iam/rolePolicy:RolePolicy",
        policy(allow("ssm:GetParameters", "*")),
        DEV,
        {},
        1,
    ),
    (
        "named-secrets-only",
        "aws:iam/policy:Policy",
        policy(allow("secretsmanager:*", "arn:aws:secretsmanager:us-east-1:1:secret:*")),
        DEV,
        {},
        1,
    ),
    (
        "named-secrets-only",
        "aws:iam/rolePolicy:RolePolicy",
        policy(allow("*", ["arn:aws:ssm:us-east-1:1:parameter/*", PARAM_ARN])),
        DEV,
        {},
        1,
    ),
    (
        "named-secrets-only",
        "aws:iam/role:Role",
        {"inlinePolicies": [{"name": "p", **policy(allow("ssm:GetParameter", "*"))}]},
        DEV,
        {},
        1,
    ),
    ("circuit-breaker", "aws:ecs/service:Service", service(), DEV, {}, 0),
    ("circuit-breaker", "aws:ecs/service:Service", service(deploymentCircuitBreaker=None), DEV, {}, 1),
    (
        "circuit-breaker",
        "aws:ecs/service:Service",
        service(deploymentCircuitBreaker={"enable": True, "rollback": False}),
        DEV,
        {},
        1,
    ),
    (
        "circuit-breaker",
        "aws:ecs/service:Service",
        service(deploymentCircuitBreaker=None, deploymentController={"type": "CODE_DEPLOY"}),
        DEV,
        {},
        0,
    ),
    ("image-digest", "aws:ecs/taskDefinition:TaskDefinition", task_definition(), PROD, {}, 0),
    ("image-digest", "aws:ecs/taskDefinition:TaskDefinition", task_definition(image="acme/web:latest"), DEV, {}, 1),
    ("image-digest", "aws:ecs/taskDefinition:TaskDefinition", task_definition(image="acme/web:pr-42"), PREVIEW, {}, 0),
    (
        "prod-alb-deletion-protection",
        "aws:lb/loadBalancer:LoadBalancer",
        {"enableDeletionProtection": True},
        PROD,
        {},
        0,
    ),
    ("prod-alb-deletion-protection", "aws:lb/loadBalancer:LoadBalancer", {}, PROD, {}, 1),
    ("prod-alb-deletion-protection", "aws:lb/loadBalancer:LoadBalancer", {}, DEV, {}, 0),
    ("ecr-protected", "aws:ecr/repository:Repository", {"forceDelete": False}, SHARED, {"protect": True}, 0),
    ("ecr-protected", "aws:ecr/repository:Repository", {"forceDelete": False}, SHARED, {}, 1),
    ("ecr-protected", "aws:ecr/repository:Repository", {"forceDelete": True}, SHARED, {"protect": True}, 1),
    ("preview-spot", "aws:ecs/service:Service", service(), DEV, {}, 0),
    (
        "preview-spot",
        "aws:ecs/service:Service",
        service(capacityProviderStrategies=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}]),
        PREVIEW,
        {},
        0,
    ),
    ("preview-spot", "aws:ecs/service:Service", service(), PREVIEW, {}, 1),
    (
        "preview-expiry-tag",
        "aws:ecs/service:Service",
        service(tags={"ExpiresAt": "2030-01-01T00:00:00Z"}),
        PREVIEW,
        {},
        0,
    ),
    ("preview-expiry-tag", "aws:ecs/service:Service", service(tags={"PullRequest": "42"}), PREVIEW, {}, 1),
    ("preview-expiry-tag", "aws:ecs/service:Service", service(tags={}), DEV, {}, 0),
]


@pytest.mark.parametrize(("rule_id", "type_", "inputs", "context", "options", "failures"), CASES)
def test_resource_rule(rule_id: str, type_: str, inputs: dict, context: RuleContext, options: dict, failures: int):
    rule = RULE[rule_id]
    messages = rule.check(type_, inputs, context.for_resource(options))
    assert len(messages) == failures, messages


def test_a_rule_ignores_other_resource_types():
    assert RULE["log-retention"].check("aws:ecs/service:Service", {}, DEV) == []


def test_severity_depends_on_the_environment():
    assert RULE["ecr-protected"].severity_for(SHARED) == MANDATORY
    assert RULE["ecr-protected"].severity_for(PROD) == MANDATORY
    assert RULE["ecr-protected"].severity_for(DEV) == ADVISORY
    assert RULE["image-digest"].severity_for(PREVIEW) is None
    assert RULE["preview-spot"].severity_for(PREVIEW) == ADVISORY
    assert RULE["prod-alb-deletion-protection"].severity_for(DEV) is None


def test_context_from_tags():
    context = RuleContext.from_tags({"Environment": "preview", "PullRequest": "42"})
    assert context.is_preview and context.pr == 42
    assert RuleContext.from_tags(None, DEV) == DEV
    assert RuleContext.from_tags({"Environment": "prod"}).is_prod


def test_every_rule_has_an_id_severity_and_fix():
    ids = rule_ids()
    assert len(ids) == len(set(ids))
    for rule in (*RULES, *STACK_RULES):
        assert rule.severity in (MANDATORY, ADVISORY) and rule.fix and rule.description


# --------------------------------------------------------------------------------------------------------------
# Stack rules


def res(type_: str, logical: str, parent: str | None = None, **inputs: Any) -> Resource:
    return Resource(type=type_, name=logical, parent=parent, inputs=inputs)


ALB = res("aws:lb/loadBalancer:LoadBalancer", "alb", "platform", securityGroups=["sg-alb"], subnets=["p-a", "p-b"])
SVC = res("aws:ecs/service:Service", "svc", "web", **service())


def stack_messages(rule_id: str, resources: list[Resource], context: RuleContext = DEV) -> list[tuple]:
    return STACK_RULE[rule_id].check(resources, context)


def test_task_sg_admits_only_the_alb_group():
    good = res(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "in",
        "web",
        securityGroupId="sg-task",
        referencedSecurityGroupId="sg-alb",
        fromPort=8080,
        toPort=8080,
    )
    # The ALB's own 0.0.0.0/0 ingress is not a task security group's.
    alb_in = res(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "alb-in",
        "platform",
        securityGroupId="sg-alb",
        cidrIpv4="0.0.0.0/0",
    )
    assert stack_messages("task-sg-alb-only", [ALB, SVC, good, alb_in]) == []


@pytest.mark.parametrize(
    "ingress",
    [
        {"securityGroupId": "sg-task", "cidrIpv4": "0.0.0.0/0"},
        {"securityGroupId": "sg-task", "cidrIpv6": "::/0"},
        {"securityGroupId": "sg-task", "referencedSecurityGroupId": "sg-other"},
        {"securityGroupId": "sg-task", "prefixListId": "pl-1"},
    ],
)
def test_task_sg_rejects_cidr_and_other_sources(ingress: dict):
    rule = res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "bad", "elsewhere", **ingress)
    assert [name for name, _ in stack_messages("task-sg-alb-only", [ALB, SVC, rule])] == ["bad"]


def test_task_sg_inline_ingress_and_legacy_rules():
    inline = res(
        "aws:ec2/securityGroup:SecurityGroup",
        "sg",
        "web",
        ingress=[{"protocol": "tcp", "fromPort": 80, "toPort": 80, "cidrBlocks": ["0.0.0.0/0"]}],
    )
    legacy = res(
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        "r",
        None,
        type="ingress",
        securityGroupId="sg-task",
        cidrBlocks=["10.0.0.0/8"],
    )
    assert {name for name, _ in stack_messages("task-sg-alb-only", [ALB, SVC, inline, legacy])} == {"sg", "r"}


def test_http_listener_must_redirect_when_a_certificate_exists():
    https = res("aws:lb/listener:Listener", "https", protocol="HTTPS", certificateArn="arn:c")
    redirect = res(
        "aws:lb/listener:Listener",
        "http",
        protocol="HTTP",
        defaultActions=[
            {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
        ],
    )
    serving = res("aws:lb/listener:Listener", "http", protocol="HTTP", defaultActions=[{"type": "fixed-response"}])
    assert stack_messages("http-redirect", [https, redirect]) == []
    assert [n for n, _ in stack_messages("http-redirect", [https, serving])] == ["http"]
    assert stack_messages("http-redirect", [serving]) == []  # no certificate: plain HTTP is allowed


def test_prod_needs_two_tasks_in_two_zones():
    assert stack_messages("prod-high-availability", [SVC], PROD)  # desiredCount 1
    two = res("aws:ecs/service:Service", "svc", "web", **service(desiredCount=2))
    assert stack_messages("prod-high-availability", [two], PROD) == []
    one_zone = res(
        "aws:ecs/service:Service",
        "svc",
        "web",
        **service(desiredCount=3, networkConfiguration={"securityGroups": ["sg-task"], "subnets": ["s-a"]}),
    )
    assert len(stack_messages("prod-high-availability", [one_zone], PROD)) == 1
    # Autoscaling's minimum is what counts when a scaling target is attached.
    target = res(
        "aws:appautoscaling/target:Target", "scaling", "web", resourceId="service/c/acme-dev-web", minCapacity=1
    )
    assert len(stack_messages("prod-high-availability", [two, target], PROD)) == 1
    assert STACK_RULE["prod-high-availability"].check([SVC], DEV) == []


def test_preview_creates_no_platform():
    nat = res("aws:ec2/natGateway:NatGateway", "nat")
    vpc = res("awsx:ec2:Vpc", "vpc", natGateways={"strategy": "None"})
    cluster = res("aws:ecs/cluster:Cluster", "cluster")
    found = stack_messages("preview-no-platform", [SVC, nat, vpc, cluster, ALB], PREVIEW)
    assert {n for n, _ in found} == {"nat", "vpc", "cluster", "alb"}
    assert stack_messages("preview-no-platform", [SVC], PREVIEW) == []
    assert STACK_RULE["preview-no-platform"].check([nat], DEV) == []


def test_tasks_need_an_egress_path():
    isolated = res("awsx:ec2:Vpc", "vpc", natGateways={"strategy": "None"})
    assert [n for n, _ in stack_messages("task-egress-path", [isolated, SVC])] == ["svc"]
    single = res("awsx:ec2:Vpc", "vpc", natGateways={"strategy": "Single"})
    assert stack_messages("task-egress-path", [single, SVC]) == []
    public = res("aws:ecs/service:Service", "svc", "web", **service(networkConfiguration={"assignPublicIp": True}))
    assert stack_messages("task-egress-path", [isolated, public]) == []


def test_evaluate_reports_rule_resource_severity_and_fix():
    bad_logs = {"type": "aws:cloudwatch/logGroup:LogGroup", "name": "logs", "parent": "web", "inputs": {}}
    repo = {
        "type": "aws:ecr/repository:Repository",
        "name": "repo",
        "parent": None,
        "inputs": {"imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": {"scanOnPush": True}},
    }
    violations = evaluate([bad_logs, repo], DEV)
    assert [(v.rule_id, v.severity, v.resource) for v in violations] == [
        ("log-retention", MANDATORY, "logs"),
        ("ecr-protected", ADVISORY, "repo"),
    ]
    assert "Fix: set retentionInDays" in violations[0].line()
    protected = {**repo, "options": {"protect": True}}
    assert evaluate([protected], SHARED) == []
