"""Rollout arithmetic: interval x threshold + start period + deregistration, and ECS's capacity window."""

from __future__ import annotations

import json

import pytest

from ecsdelivery.reports.rollout import PEERS, RolloutBudget, markdown, report, synth_lines, target_for


def stack(*, interval=5, threshold=2, delay=5, health_check=None, essential=True, desired=1, minimum=100, maximum=200):
    container = {"name": "web", "image": "x", "essential": essential}
    if health_check is not None:
        container["healthCheck"] = health_check
    tg_inputs = {
        "name": "acme-dev-web",
        "deregistrationDelay": delay,
        "healthCheck": {"interval": interval, "healthyThreshold": threshold},
    }
    return [
        {
            "type": "aws:ecs/service:Service",
            "name": "svc",
            "parent": "web-service",
            "inputs": {
                "desiredCount": desired,
                "deploymentMinimumHealthyPercent": minimum,
                "deploymentMaximumPercent": maximum,
                "taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/web:1",
                "loadBalancers": [
                    {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/acme-dev-web/abc"}
                ],
            },
        },
        {"type": "aws:lb/targetGroup:TargetGroup", "name": "tg", "parent": "web-service", "inputs": tg_inputs},
        {
            "type": "aws:ecs/taskDefinition:TaskDefinition",
            "name": "td",
            "parent": "web-task",
            "inputs": {"family": "web", "containerDefinitions": json.dumps([container])},
        },
    ]


def test_dev_defaults_meet_fifteen_seconds():
    (budget,) = report(stack())
    assert (budget.time_to_healthy, budget.worst_case_seconds) == (10, 15)
    assert (budget.min_running, budget.max_running) == (1, 2)


def test_container_start_period_gates_only_when_essential():
    check = {"command": ["CMD", "true"], "startPeriod": 20}
    assert report(stack(health_check=check))[0].worst_case_seconds == 35
    assert report(stack(health_check=check, essential=False))[0].worst_case_seconds == 15
    assert report(stack(health_check={"command": ["CMD", "true"]}))[0].start_period == 0


def test_capacity_window_rounds_like_ecs():
    budget = report(stack(desired=3, minimum=50, maximum=150))[0]
    assert (budget.min_running, budget.max_running) == (2, 4)  # ceil(1.5), floor(4.5)


def test_missing_inputs_use_pulumi_aws_defaults():
    # Load-balanced, but the target group's figures are not in the inputs.
    service = {
        "type": "aws:ecs/service:Service",
        "name": "svc",
        "parent": None,
        "inputs": {"loadBalancers": [{"targetGroupArn": "arn:unknown", "containerName": "web", "containerPort": 80}]},
    }
    (budget,) = report([service])
    assert budget.worst_case_seconds == 30 * 3 + 300


def test_peers_from_their_documented_defaults():
    assert {name: b.worst_case_seconds for name, b in PEERS.items()} == {
        "AWS Copilot": 210,
        "Pulumi awsx": 390,
        "AWS CDK": 450,
    }


@pytest.mark.parametrize(("stack_name", "target"), [("pr-42", 15), ("dev", 15), ("prod", 60), ("shared", None)])
def test_targets(stack_name: str, target):
    assert target_for(stack_name) == target


def test_synth_and_markdown_lines():
    resources = stack(interval=10, threshold=3)

    class Result:
        stack = "dev"

    Result.resources = resources  # type: ignore[attr-defined]

    lines = synth_lines(Result())
    assert lines[0].startswith("rollout") and "= 35 s worst case" in lines[1] and "OVER" in lines[1]
    assert "**35 s** (target 15 s)" in markdown(resources, "dev")
    assert RolloutBudget("x").worst_case_seconds == 390


def test_a_worker_without_load_balancer_waits_only_for_its_start_period():
    service = {
        "type": "aws:ecs/service:Service",
        "name": "worker-service",
        "parent": "worker",
        "inputs": {"desiredCount": 2, "taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/worker:1"},
    }
    definition = {
        "type": "aws:ecs/taskDefinition:TaskDefinition",
        "name": "worker-task",
        "parent": "worker",
        "inputs": {
            "containerDefinitions": json.dumps(
                [{"name": "worker", "essential": True, "healthCheck": {"command": ["CMD", "true"], "startPeriod": 7}}]
            )
        },
    }
    (budget,) = report([service, definition])
    assert (budget.interval, budget.healthy_threshold, budget.deregistration_delay) == (0, 0, 0)
    assert budget.worst_case_seconds == 7
    assert budget.line().startswith("worker-service: no load balancer: 7 s start period = 7 s worst case;")
