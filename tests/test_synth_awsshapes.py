"""AWS payload checks against botocore's service models: good payloads pass, each kind of bad one is named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecsdelivery.synth import awsshapes
from ecsdelivery.synth.awsshapes import (
    CHECKS,
    check_resource,
    check_resources,
    java_pattern_to_python,
    lifecycle_policy_problems,
    policy_document_problems,
)

TASK = "aws:ecs/taskDefinition:TaskDefinition"
RULE = "aws:lb/listenerRule:ListenerRule"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-app@sha256:" + "a" * 64


def container(**overrides: Any) -> dict[str, Any]:
    base = {
        "name": "web",
        "image": IMAGE,
        "essential": True,
        "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
        "environment": [{"name": "PORT", "value": "8080"}],
        "secrets": [{"name": "DB", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"}],
        "healthCheck": {"command": ["CMD-SHELL", "curl -f localhost:8080/ || exit 1"], "interval": 5, "retries": 2},
        "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/acme-dev-web"}},
        "readonlyRootFilesystem": True,
        "stopTimeout": 10,
    }
    return {**base, **overrides}


def task(containers: list[dict[str, Any]] | None = None, **overrides: Any) -> dict[str, Any]:
    base = {
        "family": "acme-dev-web",
        "cpu": "256",
        "memory": "512",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
        "executionRoleArn": "arn:aws:iam::123456789012:role/acme-dev-web-exec",
        "taskRoleArn": "arn:aws:iam::123456789012:role/acme-dev-web-task",
        "containerDefinitions": json.dumps(containers if containers is not None else [container()]),
        "tags": {"Environment": "dev", "ManagedBy": "ecsdelivery"},
    }
    return {**base, **overrides}


def rule(**overrides: Any) -> dict[str, Any]:
    base = {
        "listenerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/acme/1/2",
        "priority": 1042,
        "conditions": [{"hostHeader": {"values": ["pr-42.preview.example.com"]}}, {"pathPattern": {"values": ["/*"]}}],
        "actions": [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/1"}],
        "tags": {"PullRequest": "42"},
    }
    return {**base, **overrides}


def target_group(**health: Any) -> dict[str, Any]:
    check = {"path": "/", "interval": 5, "timeout": 2, "healthyThreshold": 2, "unhealthyThreshold": 2, "matcher": "200"}
    return {
        "name": "acme-dev-web",
        "port": 8080,
        "protocol": "HTTP",
        "targetType": "ip",
        "vpcId": "vpc-123",
        "deregistrationDelay": 5,
        "healthCheck": {**check, **health},
    }


def lifecycle(*rules: dict[str, Any]) -> str:
    return json.dumps({"rules": list(rules)})


RELEASES = {
    "rulePriority": 1,
    "description": "keep the last 30 releases",
    "selection": {
        "tagStatus": "tagged",
        "tagPatternList": ["v*"],
        "countType": "imageCountMoreThan",
        "countNumber": 30,
    },
    "action": {"type": "expire"},
}
BUILDS = {
    "rulePriority": 2,
    "selection": {
        "tagStatus": "tagged",
        "tagPrefixList": ["sha-", "pr-"],
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 14,
    },
    "action": {"type": "expire"},
}
UNTAGGED = {
    "rulePriority": 3,
    "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1},
    "action": {"type": "expire"},
}


def test_good_task_definition_passes() -> None:
    assert check_resource(TASK, "acme-dev-web-task", task()) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"portMappings": [{"containerPort": 70000, "hostPort": 70000}]},
            "resources[acme-dev-web-task].containerDefinitions[0].portMappings[0].containerPort: 70000 exceeds 65535",
        ),
        ({"portMappings": [{"containerPort": 8080, "protocol": "tcpx"}]}, "protocol: 'tcpx' is not one of tcp, udp"),
        ({"portMappings": [{"containerPort": 8080, "hostPort": 80}]}, "hostPort: 80 must equal containerPort 8080"),
        (
            {"healthCheck": {"command": ["CMD", "true"], "interval": 1}},
            "healthCheck.interval: 1 is below the minimum 5",
        ),
        ({"healthCheck": {"command": ["RUN", "true"]}}, "healthCheck.command[0]: 'RUN' must be CMD, CMD-SHELL or NONE"),
        ({"stopTimeout": 300}, "containerDefinitions[0].stopTimeout: 300 exceeds 120"),
        ({"name": "web server"}, "containerDefinitions[0].name: 'web server' must be 1-255 letters"),
        ({"image": "x" * 256}, "containerDefinitions[0].image:"),
        ({"secrets": [{"name": "DB"}]}, "containerDefinitions[0].secrets[0].valueFrom: is required"),
        ({"essential": "yes"}, "containerDefinitions[0].essential: 'yes' has the wrong type (expected bool)"),
        (
            {"logConfiguration": {"logDriver": "journald"}},
            "logConfiguration.logDriver: 'journald' is not available on Fargate",
        ),
        ({"logConfiguration": {"logDriver": "journal"}}, "logConfiguration.logDriver: 'journal' is not one of"),
        ({"memoryReservaton": 128}, "containerDefinitions[0].memoryReservaton: is not a field of this AWS request"),
        (
            {"environment": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]},
            "environment[1].name: 'A' is given",
        ),
    ],
)
def test_bad_container_definitions_are_named_by_path(change: dict[str, Any], expected: str) -> None:
    problems = check_resource(TASK, "acme-dev-web-task", task([container(**change)]))
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"cpu": "300"}, "cpu: 300 is not a Fargate size; use one of 256, 512"),
        ({"cpu": "256", "memory": "4096"}, "memory: 4096 MiB is not allowed with cpu 256"),
        ({"cpu": "-1"}, "cpu: -1 is not a Fargate size"),
        ({"networkMode": "bridge"}, "networkMode: 'bridge' must be 'awsvpc' for Fargate"),
        ({"networkMode": "host2"}, "networkMode: 'host2' is not one of"),
        ({"requiresCompatibilities": ["FARGATE", "LAMBDA"]}, "requiresCompatibilities[1]: 'LAMBDA' is not one of"),
        ({"runtimePlatform": {"cpuArchitecture": "ARM"}}, "runtimePlatform.cpuArchitecture: 'ARM' is not one of"),
        ({"family": "acme dev"}, "family: 'acme dev' must be 1-255 letters"),
        ({"tags": {f"k{i}": "v" for i in range(51)}}, "tags: 51 items exceed the maximum of 50"),
        ({"tags": {"k": "x" * 300}}, "tags[0].value: length 300 exceeds the maximum of 256"),
        ({"containerDefinitions": "[{not json"}, "containerDefinitions: is not valid JSON"),
    ],
)
def test_bad_task_level_values(change: dict[str, Any], expected: str) -> None:
    problems = check_resource(TASK, "t", task(**change))
    assert any(expected in p for p in problems), problems


def test_fargate_sizes_table_accepts_every_documented_pair() -> None:
    for cpu, memories in awsshapes.FARGATE_SIZES.items():
        for memory in memories:
            assert check_resource(TASK, "t", task(cpu=str(cpu), memory=str(memory))) == []


def test_listener_rule_conditions_are_mapped_to_the_api_shape() -> None:
    request = awsshapes.listener_rule_request(rule())
    assert request["Conditions"] == [
        {"Field": "host-header", "HostHeaderConfig": {"Values": ["pr-42.preview.example.com"]}},
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}},
    ]
    assert check_resource(RULE, "r", rule()) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"priority": 50001}, "resources[r].Priority: 50001 exceeds 50000"),
        ({"priority": 0}, "resources[r].Priority: 0 is below the minimum 1"),
        ({"conditions": [{"hostHeader": {"values": ["bad host!"]}}]}, "Conditions[0].HostHeaderConfig.Values[0]"),
        ({"conditions": [{"pathPattern": {"values": ["/" + "a" * 128]}}]}, "must be 1-128 characters"),
        (
            {"conditions": [{"hostHeader": {"values": [f"h{i}.example.com" for i in range(6)]}}]},
            "exceed the limit of 5",
        ),
        ({"conditions": []}, "Conditions: a rule needs at least one condition"),
        ({"actions": [{"type": "forwards", "targetGroupArn": "arn:x"}]}, "Actions[0].Type: 'forwards' is not one of"),
        (
            {
                "actions": [
                    {"type": "fixed-response", "fixedResponse": {"contentType": "text/plain", "statusCode": "302"}}
                ]
            },
            "FixedResponseConfig.StatusCode: '302' does not match the pattern",
        ),
    ],
)
def test_bad_listener_rules(change: dict[str, Any], expected: str) -> None:
    problems = check_resource(RULE, "r", rule(**change))
    assert any(expected in p for p in problems), problems


def test_good_target_group_passes() -> None:
    assert check_resource(TARGET_GROUP, "tg", target_group()) == []


@pytest.mark.parametrize(
    ("health", "expected"),
    [
        ({"interval": 301}, "HealthCheckIntervalSeconds: 301 exceeds 300"),
        ({"interval": 4, "timeout": 2}, "HealthCheckIntervalSeconds: 4 is below the minimum 5"),
        ({"healthyThreshold": 1}, "HealthyThresholdCount: 1 is below the minimum 2"),
        ({"unhealthyThreshold": 11}, "UnhealthyThresholdCount: 11 exceeds 10"),
        ({"interval": 5, "timeout": 5}, "HealthCheckTimeoutSeconds: 5 must be less than the interval 5"),
        ({"matcher": "ok"}, "Matcher.HttpCode: 'ok' must be codes like"),
        ({"protocol": "HTTPX"}, "HealthCheckProtocol: 'HTTPX' is not one of"),
    ],
)
def test_bad_target_group_health_checks(health: dict[str, Any], expected: str) -> None:
    problems = check_resource(TARGET_GROUP, "tg", target_group(**health))
    assert any(expected in p for p in problems), problems


def test_target_group_name_and_delay() -> None:
    bad = {**target_group(), "name": "-acme-" + "x" * 40, "deregistrationDelay": 4000}
    problems = check_resource(TARGET_GROUP, "tg", bad)
    assert any("resources[tg].Name:" in p for p in problems), problems
    assert any("4000 must be within 0..3600" in p for p in problems), problems


def test_good_lifecycle_policy_passes() -> None:
    assert lifecycle_policy_problems(lifecycle(RELEASES, BUILDS, UNTAGGED)) == []
    assert check_resource(LIFECYCLE, "lp", {"repository": "acme-app", "policy": lifecycle(RELEASES, UNTAGGED)}) == []


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ([{**BUILDS, "rulePriority": 1}, RELEASES], "rules[1].rulePriority: 1 is also used by rules[0]"),
        ([{**RELEASES, "rulePriority": 0}], "rules[0].rulePriority: 0 must be a positive integer"),
        ([{**RELEASES, "action": {"type": "delete"}}], "rules[0].action.type: 'delete' must be 'expire'"),
        ([{**RELEASES, "selection": {**RELEASES["selection"], "tagStatus": "all"}}], "tagStatus: 'all' must be"),
        ([{**RELEASES, "selection": {**RELEASES["selection"], "countType": "imageCountMore"}}], "countType:"),
        ([{**BUILDS, "selection": {**BUILDS["selection"], "countUnit": "hours"}}], "countUnit: 'hours' must be 'days'"),
        ([{**RELEASES, "selection": {**RELEASES["selection"], "countUnit": "days"}}], "countUnit: is not allowed"),
        ([{**RELEASES, "selection": {**RELEASES["selection"], "countNumber": 0}}], "countNumber: 0 must be a positive"),
        (
            [{**RELEASES, "selection": {"tagStatus": "tagged", "countType": "imageCountMoreThan", "countNumber": 1}}],
            "tagStatus 'tagged' needs tagPrefixList or tagPatternList",
        ),
        ([{**UNTAGGED, "selection": {**UNTAGGED["selection"], "tagPrefixList": ["v"]}}], "only allowed with tagStatus"),
        ([{**RELEASES, "selection": {**RELEASES["selection"], "tagPatternList": ["*a*b*c*d*e"]}}], "more than four"),
        (
            [{**UNTAGGED, "rulePriority": 1, "selection": {**UNTAGGED["selection"], "tagStatus": "any"}}, BUILDS],
            "the rule with tagStatus 'any' must have the highest rulePriority",
        ),
        ([], "rules: a lifecycle policy needs a non-empty list of rules"),
    ],
)
def test_bad_lifecycle_policies(rules: list[dict[str, Any]], expected: str) -> None:
    problems = [f"{path}: {message}" for path, message in lifecycle_policy_problems(lifecycle(*rules))]
    assert any(expected in p for p in problems), problems


def test_lifecycle_policy_text_is_checked_as_a_resource() -> None:
    problems = check_resource(LIFECYCLE, "lp", {"repository": "acme-app", "policy": "{oops"})
    assert any(p.startswith("resources[lp].lifecyclePolicyText: is not valid JSON") for p in problems), problems


def test_policy_documents() -> None:
    good = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}
    assert policy_document_problems(json.dumps(good)) == []
    trust = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        },
    }
    assert policy_document_problems(json.dumps(trust), trust=True) == []
    assert policy_document_problems("{nope")[0][1].startswith("is not valid JSON")
    no_version = policy_document_problems(json.dumps({"Statement": good["Statement"]}))
    assert no_version == [("Version", "None must be '2012-10-17'")]
    bad_effect = {**good, "Statement": [{"Effect": "Permit", "Action": [], "Resource": "*"}]}
    messages = [f"{p}: {m}" for p, m in policy_document_problems(json.dumps(bad_effect))]
    assert "Statement[0].Effect: 'Permit' must be Allow or Deny" in messages
    assert "Statement[0].Action: must be a non-empty string or list" in messages
    big = {**good, "Statement": [{**good["Statement"][0], "Resource": ["arn:" + "x" * 100] * 70}]}
    assert "exceed the IAM limit of 6144" in policy_document_problems(json.dumps(big), limit=6144)[-1][1]


def test_role_policy_resources_check_json() -> None:
    problems = check_resource("aws:iam/rolePolicy:RolePolicy", "p", {"role": "r", "name": "n", "policy": "[]"})
    assert problems == ["resources[p].PolicyDocument: a policy document must be a JSON object"]
    problems = check_resource("aws:iam/role:Role", "role", {"name": "r" * 65, "assumeRolePolicy": "{}"})
    assert "resources[role].RoleName: length 65 exceeds the maximum of 64" in problems


def test_log_group_retention_must_be_an_offered_value() -> None:
    assert check_resource("aws:cloudwatch/logGroup:LogGroup", "lg", {"name": "/ecs/a", "retentionInDays": 7}) == []
    problems = check_resource("aws:cloudwatch/logGroup:LogGroup", "lg", {"name": "/ecs/a", "retentionInDays": 2})
    assert problems and problems[0].startswith("resources[lg].retentionInDays: 2 is not a retention")


def test_service_and_scaling_requests() -> None:
    service = {
        "name": "acme-dev-web",
        "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/acme-dev",
        "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/acme-dev-web:1",
        "desiredCount": 1,
        "capacityProviderStrategies": [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}],
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "networkConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"], "assignPublicIp": False},
        "propagateTags": "SERVICE",
        "loadBalancers": [{"targetGroupArn": "arn:tg", "containerName": "web", "containerPort": 8080}],
    }
    assert check_resource("aws:ecs/service:Service", "svc", service) == []
    no_subnets = {**service, "networkConfiguration": {**service["networkConfiguration"], "subnets": []}}
    assert check_resource("aws:ecs/service:Service", "svc", no_subnets) == [
        "resources[svc].networkConfiguration.awsvpcConfiguration.subnets: 0 subnets; give 1 to 16"
    ]
    problems = check_resource("aws:ecs/service:Service", "svc", {**service, "propagateTags": "ALL"})
    assert any("propagateTags: 'ALL' is not one of" in p for p in problems), problems
    policy = {
        "name": "cpu",
        "serviceNamespace": "ecs",
        "resourceId": "service/acme-dev/acme-dev-web",
        "scalableDimension": "ecs:service:DesiredCount",
        "policyType": "TargetTrackingScaling",
        "targetTrackingScalingPolicyConfiguration": {
            "targetValue": 60,
            "predefinedMetricSpecification": {"predefinedMetricType": "ECSServiceAverageCPUUtilisation"},
        },
    }
    problems = check_resource("aws:appautoscaling/policy:Policy", "cpu", policy)
    assert any("PredefinedMetricType: 'ECSServiceAverageCPUUtilisation' is not one of" in p for p in problems)


def test_unchecked_types_and_unknown_values_pass() -> None:
    assert check_resource("aws:ec2/vpcEndpoint:VpcEndpoint", "e", {"anything": -1}) == []
    assert check_resource(RULE, "r", rule(listenerArn="<unknown>")) == ["resources[r].ListenerArn: is required"]
    resources = [{"type": TASK, "name": "a", "inputs": task(cpu="1")}, {"type": RULE, "name": "b", "inputs": rule()}]
    assert [p.split(".")[0] for p in check_resources(resources)] == ["resources[a]"]


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)", "Environment: dev/é", "a\x00"),
        (r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$", "x y", "a;b"),
        (r"[\u0009\u000A\u000D\u0020-\u00FF]+", '{"a": 1}', "€"),
        (r"[0-9]{12}", "123456789012", "1234567890123"),
        (r"\p{Print}+", "abc", "a\x01"),
    ],
)
def test_java_patterns_convert(pattern: str, good: str, bad: str) -> None:
    compiled = java_pattern_to_python(pattern)
    assert compiled is not None
    assert compiled.fullmatch(good)
    assert not compiled.fullmatch(bad)


def test_unusable_patterns_are_skipped() -> None:
    assert java_pattern_to_python(r"\p{IsAlphabetic}+") is None
    assert java_pattern_to_python(r"[a-z&&[^b]]") is None
    assert java_pattern_to_python(r"[\uD800\uDC00-\uDBFF\uDFFF]*") is None


def test_every_checked_operation_exists_in_the_bundled_models() -> None:
    for service, operations in awsshapes.OPERATIONS.items():
        for operation in operations:
            assert awsshapes.input_shape(service, operation).members, (service, operation)
    assert sum(len(ops) for ops in awsshapes.OPERATIONS.values()) == 32
    assert len(CHECKS) == 34


def test_trimmed_models_answer_like_the_full_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore.session

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    trimmed = awsshapes._model_data("elbv2")
    assert list((tmp_path / "ecsdelivery").glob("botocore-elbv2-*.json"))  # cached
    assert awsshapes._model_data("elbv2") == trimmed  # and read back
    from botocore.model import ServiceModel

    small = ServiceModel(trimmed, service_name="elbv2").operation_model("CreateRule").input_shape
    full = botocore.session.get_session().get_service_model("elbv2").operation_model("CreateRule").input_shape
    assert small.members.keys() == full.members.keys()
    rule_request = awsshapes.listener_rule_request(rule(priority=70000))
    from botocore.validate import ParamValidator

    assert ParamValidator().validate(rule_request, small).generate_report() == (
        ParamValidator().validate(rule_request, full).generate_report()
    )


def test_security_groups_and_their_rules() -> None:
    group = {"name": "acme-dev-web", "description": "Tasks of acme-dev-web: from the ALB only", "vpcId": "vpc-1"}
    assert check_resource("aws:ec2/securityGroup:SecurityGroup", "sg", group) == []
    problems = check_resource("aws:ec2/securityGroup:SecurityGroup", "sg", {**group, "description": "naïve ✓"})
    assert problems and problems[0].startswith("resources[sg].Description: 'naïve ✓' must be at most 255")
    ingress = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
    good = {"ipProtocol": "tcp", "fromPort": 8080, "toPort": 8080, "referencedSecurityGroupId": "sg-1"}
    assert check_resource(ingress, "in", good) == []
    assert check_resource(ingress, "in", {**good, "toPort": 70000}) == [
        "resources[in].ToPort: 70000 must be a port, 0-65535, for tcp"
    ]
    assert check_resource(ingress, "in", {**good, "fromPort": 9000}) == [
        "resources[in].FromPort: 9000 is above ToPort 8080"
    ]
    both = {**good, "cidrIpv4": "0.0.0.0/0"}
    assert check_resource(ingress, "in", both)[0].startswith("resources[in]: give exactly one of")


def test_load_balancer_and_cluster_names() -> None:
    alb = {
        "name": "acme-dev-web",
        "subnets": ["subnet-1", "subnet-2"],
        "internal": False,
        "loadBalancerType": "application",
    }
    assert check_resource("aws:lb/loadBalancer:LoadBalancer", "alb", alb) == []
    problems = check_resource(
        "aws:lb/loadBalancer:LoadBalancer", "alb", {**alb, "name": "internal-x", "subnets": ["s"]}
    )
    assert any(p.startswith("resources[alb].Name: 'internal-x'") for p in problems), problems
    assert any("needs two zones or more" in p for p in problems), problems
    cluster = {"name": "acme-dev-web", "settings": [{"name": "containerInsights", "value": "enabled"}]}
    assert check_resource("aws:ecs/cluster:Cluster", "c", cluster) == []
    bad = {"name": "acme dev", "settings": [{"name": "insights", "value": "enabled"}]}
    problems = check_resource("aws:ecs/cluster:Cluster", "c", bad)
    assert "resources[c].settings[0].name: 'insights' is not one of containerInsights" in problems
    assert any(p.startswith("resources[c].clusterName: 'acme dev'") for p in problems)
