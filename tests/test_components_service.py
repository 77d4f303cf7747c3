"""FargateService under the recording mocks."""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pytest
from components_support import ALB_SG, LABEL, platform_ref, run

from ecsdelivery.components.service import FargateService, FargateServiceArgs
from ecsdelivery.components.task_definition import ContainerArgs, FargateTaskDefinition, FargateTaskDefinitionArgs
from ecsdelivery.settings import AutoscalingArgs, CapacityArgs


def _service(**overrides: Any) -> FargateService:
    task = FargateTaskDefinition(
        "web",
        FargateTaskDefinitionArgs(label=LABEL, containers=[ContainerArgs(name="web", image="nginx:1.27", port=8080)]),
    )
    values: dict[str, Any] = {
        "label": LABEL,
        "platform": platform_ref(),
        "task_definition": task,
        "host": "web.dev.example.com",
    }
    values.update(overrides)
    return FargateService("web-svc", FargateServiceArgs(**values))


def test_children_and_parents() -> None:
    recording = run(_service)
    assert recording.named("web-svc")["type"] == "ecsdelivery:index:FargateService"
    assert {(r["type"], r["name"]) for r in recording.children_of("web-svc")} == {
        ("aws:ec2/securityGroup:SecurityGroup", "web-svc-sg"),
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "web-svc-sg-ingress"),
        ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "web-svc-sg-egress"),
        ("aws:lb/targetGroup:TargetGroup", "web-svc-tg"),
        ("aws:lb/listenerRule:ListenerRule", "web-svc-rule"),
        ("aws:ecs/service:Service", "web-svc-service"),
    }


def test_tasks_admit_only_the_load_balancer_on_the_container_port() -> None:
    recording = run(_service)
    ingress = recording.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert len(ingress) == 1
    rule = ingress[0]["inputs"]
    assert rule["referencedSecurityGroupId"] == ALB_SG
    assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 8080, 8080)
    # negative: nothing from the internet reaches tasks
    assert "cidrIpv4" not in rule and "cidrIpv6" not in rule
    group = recording.named("web-svc-sg")["inputs"]
    assert group["vpcId"] == "vpc-123"
    assert "ingress" not in group


def test_target_group_health_check_and_draining() -> None:
    recording = run(_service)
    tg = recording.named("web-svc-tg")["inputs"]
    # The group's own port is fixed; ECS registers each task under its container port, which the check uses.
    assert (tg["port"], tg["protocol"], tg["targetType"]) == (80, "HTTP", "ip")
    [balancer] = recording.named("web-svc-service")["inputs"]["loadBalancers"]
    assert balancer["containerPort"] == 8080
    assert tg["healthCheck"]["port"] == "traffic-port"
    assert tg["deregistrationDelay"] == 5
    check = tg["healthCheck"]
    assert (check["interval"], check["healthyThreshold"], check["timeout"], check["path"]) == (5, 2, 4, "/healthz")
    assert check["interval"] * check["healthyThreshold"] + tg["deregistrationDelay"] <= 15


def test_listener_rule_host_paths_and_priority() -> None:
    recording = run(lambda: _service(path_patterns=["/api/*"], listener_rule_priority=7))
    rule = recording.named("web-svc-rule")["inputs"]
    assert rule["listenerArn"].endswith("/f2f7dc8efc5")
    assert rule["priority"] == 7
    assert rule["conditions"] == [
        {"hostHeader": {"values": ["web.dev.example.com"]}},
        {"pathPattern": {"values": ["/api/*"]}},
    ]
    assert rule["actions"][0]["type"] == "forward"
    assert rule["actions"][0]["targetGroupArn"].startswith("arn:aws:elasticloadbalancing:")


def test_service_is_private_with_circuit_breaker_exec_and_tag_propagation() -> None:
    recording = run(lambda: _service(enable_execute_command=True, desired_count=2))
    service = recording.named("web-svc-service")
    inputs = service["inputs"]
    assert inputs["name"] == "acme-dev-web"
    assert inputs["cluster"].endswith(":cluster/acme-dev")
    assert inputs["networkConfiguration"]["assignPublicIp"] is False
    assert inputs["networkConfiguration"]["subnets"] == ["subnet-a", "subnet-b"]
    assert inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert (inputs["deploymentMinimumHealthyPercent"], inputs["deploymentMaximumPercent"]) == (100, 200)
    assert inputs["waitForSteadyState"] is True
    assert inputs["enableExecuteCommand"] is True
    assert inputs["propagateTags"] == "SERVICE"
    assert inputs["desiredCount"] == 2
    assert inputs["capacityProviderStrategies"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]
    assert inputs["loadBalancers"][0]["containerName"] == "web"
    assert inputs["loadBalancers"][0]["containerPort"] == 8080
    assert "launchType" not in inputs
    assert "ignoreChanges" not in service.get("options", {})
    assert recording.of_type("aws:appautoscaling/target:Target") == []


def test_mixed_capacity_weights_reach_the_service() -> None:
    recording = run(lambda: _service(capacity=CapacityArgs(on_demand_weight=1, spot_weight=3, on_demand_base=2)))
    assert recording.named("web-svc-service")["inputs"]["capacityProviderStrategies"] == [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 2},
        {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0},
    ]


def test_spot_with_on_demand_base() -> None:
    recording = run(lambda: _service(capacity=CapacityArgs(on_demand_weight=0, spot_weight=1, on_demand_base=1)))
    assert recording.named("web-svc-service")["inputs"]["capacityProviderStrategies"] == [
        {"capacityProvider": "FARGATE", "weight": 0, "base": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0},
    ]


def test_autoscaling_leaves_desired_count_to_the_scaler() -> None:
    scaling = AutoscalingArgs(min=2, max=6, cpu_target=55, memory_target=70, requests_per_target=500)
    recording = run(lambda: _service(autoscaling=scaling))
    service = recording.named("web-svc-service")
    assert service["options"]["ignoreChanges"] == ["desiredCount"]
    assert service["inputs"]["desiredCount"] == 2
    target = recording.named("web-svc-scaling")["inputs"]
    assert target["resourceId"] == "service/acme-dev/acme-dev-web"
    assert (target["minCapacity"], target["maxCapacity"]) == (2, 6)
    assert target["scalableDimension"] == "ecs:service:DesiredCount"
    policies = {r["name"]: r["inputs"] for r in recording.of_type("aws:appautoscaling/policy:Policy")}
    assert set(policies) == {"web-svc-scale-cpu", "web-svc-scale-memory", "web-svc-scale-requests"}
    metric = {
        name: p["targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"]["predefinedMetricType"]
        for name, p in policies.items()
    }
    assert metric == {
        "web-svc-scale-cpu": "ECSServiceAverageCPUUtilization",
        "web-svc-scale-memory": "ECSServiceAverageMemoryUtilization",
        "web-svc-scale-requests": "ALBRequestCountPerTarget",
    }
    requests = policies["web-svc-scale-requests"]["targetTrackingScalingPolicyConfiguration"]
    assert requests["targetValue"] == 500
    label = requests["predefinedMetricSpecification"]["resourceLabel"]
    # The target group's name ends in a hash of its replacement-only inputs.
    assert re.match(r"app/acme-dev/50dc6c495c0c9188/targetgroup/acme-dev-web-[0-9a-f]{6}/", label)
    assert all(p["policyType"] == "TargetTrackingScaling" for p in policies.values())


def test_route53_alias_and_outputs() -> None:
    def program() -> None:
        service = _service(route53_zone_id="Z123")
        pulumi.export("url", service.url)
        pulumi.export("image", service.image)
        pulumi.export("taskDefinitionArn", service.task_definition_arn)

    recording = run(program)
    record = recording.named("web-svc-dns")["inputs"]
    assert (record["zoneId"], record["name"], record["type"]) == ("Z123", "web.dev.example.com", "A")
    assert record["aliases"] == [
        {"name": "acme-dev-1.us-east-1.elb.amazonaws.com", "zoneId": "Z35SXDOTRQ7X7K", "evaluateTargetHealth": True}
    ]
    assert recording.outputs["url"] == "https://web.dev.example.com"
    assert recording.outputs["image"] == "nginx:1.27"
    assert recording.outputs["taskDefinitionArn"].endswith(":task-definition/acme-dev-web:1")


def test_no_dns_record_without_zone() -> None:
    assert run(_service).of_type("aws:route53/record:Record") == []


def test_a_routed_service_needs_a_port() -> None:
    def no_port() -> None:
        task = FargateTaskDefinition(
            "w", FargateTaskDefinitionArgs(label=LABEL, containers=[ContainerArgs(name="w", image="busybox")])
        )
        FargateService("s", FargateServiceArgs(label=LABEL, platform=platform_ref(), task_definition=task, host="h"))

    with pytest.raises(ValueError, match="no container with a port"):
        run(no_port)


def _worker(**overrides: Any) -> None:
    task = FargateTaskDefinition(
        "worker", FargateTaskDefinitionArgs(label=LABEL, containers=[ContainerArgs(name="worker", image="busybox")])
    )
    worker = FargateService(
        "worker-svc",
        FargateServiceArgs(label=LABEL, platform=platform_ref(), task_definition=task, **overrides),
    )
    pulumi.export("url", worker.url)
    pulumi.export("targetGroupArn", worker.target_group_arn)


def test_a_worker_has_no_load_balancer() -> None:
    recording = run(lambda: _worker(route53_zone_id="Z123", autoscaling=AutoscalingArgs(cpu_target=50)))
    assert {(r["type"], r["name"]) for r in recording.children_of("worker-svc")} == {
        ("aws:ec2/securityGroup:SecurityGroup", "worker-svc-sg"),
        ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "worker-svc-sg-egress"),
        ("aws:ecs/service:Service", "worker-svc-service"),
        ("aws:appautoscaling/target:Target", "worker-svc-scaling"),
        ("aws:appautoscaling/policy:Policy", "worker-svc-scale-cpu"),
    }
    assert recording.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") == []
    assert "ingress" not in recording.named("worker-svc-sg")["inputs"]
    service = recording.named("worker-svc-service")["inputs"]
    assert "loadBalancers" not in service and "healthCheckGracePeriodSeconds" not in service
    assert service["networkConfiguration"]["assignPublicIp"] is False
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert recording.outputs.get("url") is None and recording.outputs.get("targetGroupArn") is None


def test_a_worker_cannot_scale_on_requests() -> None:
    with pytest.raises(ValueError, match="needs a load balancer"):
        run(lambda: _worker(autoscaling=AutoscalingArgs(requests_per_target=100)))
