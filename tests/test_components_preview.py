"""PreviewEnvironment under the recording mocks: per-PR resources only, on an existing platform."""

from __future__ import annotations

import json

import pulumi
import pytest
from components_support import LABEL, platform_ref, run

from ecsdelivery.components.preview import PreviewEnvironment, PreviewEnvironmentArgs
from ecsdelivery.components.task_definition import ContainerArgs
from ecsdelivery.config.priorities import preview_priority

EXPIRES = "2030-01-02T03:04:05Z"
SHARED = ("awsx:", "aws:ec2/vpc", "aws:ec2/natGateway", "aws:lb/loadBalancer", "aws:ecs/cluster", "aws:lb/listener:")


def _program() -> None:
    preview = PreviewEnvironment(
        "web-pr-42",
        PreviewEnvironmentArgs(
            label=LABEL,
            pr_number=42,
            platform=platform_ref(),
            containers=[ContainerArgs(name="web", image="repo@sha256:" + "b" * 64, port=8080)],
            host="pr-42.preview.example.com",
            listener_rule_priority=preview_priority(42),
            expires_at=EXPIRES,
        ),
    )
    pulumi.export("url", preview.url)
    pulumi.export("priority", preview.listener_rule_priority)


def test_preview_creates_only_per_pr_resources() -> None:
    recording = run(_program, stack="pr-42")
    assert not [r["type"] for r in recording if r["type"].startswith(SHARED)]
    assert {r["name"] for r in recording.children_of("web-pr-42")} == {"web-pr-42-task", "web-pr-42-service"}
    assert recording.named("web-pr-42-service-service")["parent"] == "web-pr-42-service"
    assert recording.named("web-pr-42-task-logs")["parent"] == "web-pr-42-task"


def test_preview_names_host_priority_and_tags() -> None:
    recording = run(_program, stack="pr-42")
    service = recording.named("web-pr-42-service-service")["inputs"]
    assert service["name"] == "acme-dev-web-pr-42"
    assert service["tags"]["PullRequest"] == "42"
    assert service["tags"]["ExpiresAt"] == EXPIRES
    rule = recording.named("web-pr-42-service-rule")["inputs"]
    assert rule["conditions"] == [{"hostHeader": {"values": ["pr-42.preview.example.com"]}}]
    assert rule["priority"] == preview_priority(42) == recording.outputs["priority"]
    assert recording.outputs["url"] == "https://pr-42.preview.example.com"
    for resource in recording:
        if "tags" in resource["inputs"]:
            assert resource["inputs"]["tags"]["PullRequest"] == "42", resource["name"]


def test_preview_is_spot_small_single_task_with_exec_and_short_logs() -> None:
    recording = run(_program, stack="pr-42")
    service = recording.named("web-pr-42-service-service")
    assert service["inputs"]["capacityProviderStrategies"] == [
        {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}
    ]
    assert service["inputs"]["desiredCount"] == 1
    assert service["inputs"]["enableExecuteCommand"] is True
    assert service["inputs"]["networkConfiguration"]["assignPublicIp"] is False
    assert "ignoreChanges" not in service.get("options", {})  # desired count is not ignored: no autoscaling
    assert recording.of_type("aws:appautoscaling/target:Target") == []
    task = recording.named("web-pr-42-task-task")["inputs"]
    assert (task["cpu"], task["memory"]) == ("256", "512")
    assert recording.named("web-pr-42-task-logs")["inputs"]["retentionInDays"] == 3
    task_policy = json.loads(recording.named("web-pr-42-task-task-policy")["inputs"]["policy"])
    assert task_policy["Statement"][0]["Sid"] == "EcsExec"
    tg = recording.named("web-pr-42-service-tg")["inputs"]
    assert tg["healthCheck"]["interval"] * tg["healthCheck"]["healthyThreshold"] + tg["deregistrationDelay"] <= 15


def _priority_program(**overrides: object) -> None:
    arguments: dict[str, object] = {
        "label": LABEL,
        "pr_number": 42,
        "platform": platform_ref(),
        "containers": [ContainerArgs(name="web", image="repo@sha256:" + "b" * 64, port=8080)],
        "host": "pr-42.preview.example.com",
        "listener_rule_priority": 12345,
        "expires_at": EXPIRES,
        **overrides,
    }
    preview = PreviewEnvironment("web-pr-42", PreviewEnvironmentArgs(**arguments))  # type: ignore[arg-type]
    pulumi.export("priority", preview.listener_rule_priority)


def test_preview_takes_the_priority_it_is_given() -> None:
    explicit = run(_priority_program, stack="pr-42")
    assert explicit.named("web-pr-42-service-rule")["inputs"]["priority"] == 12345
    assert explicit.outputs["priority"] == 12345


def test_a_preview_with_a_host_needs_a_priority() -> None:
    with pytest.raises(ValueError, match="needs its listener_rule_priority"):
        run(lambda: _priority_program(listener_rule_priority=None), stack="pr-42")
