"""PreviewEnvironment under the recording mocks: per-PR resources only, on an existing platform."""

from __future__ import annotations

import json

import pulumi
from components_support import LABEL, platform_ref, run

from ecsdelivery.components.preview import PreviewEnvironment, PreviewEnvironmentArgs, preview_priority
from ecsdelivery.components.task_definition import ContainerArgs

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
            host_template="pr-{pr}.preview.example.com",
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
    assert "options" not in service  # desired count is not ignored: no autoscaling
    assert recording.of_type("aws:appautoscaling/target:Target") == []
    task = recording.named("web-pr-42-task-task")["inputs"]
    assert (task["cpu"], task["memory"]) == ("256", "512")
    assert recording.named("web-pr-42-task-logs")["inputs"]["retentionInDays"] == 1
    task_policy = json.loads(recording.named("web-pr-42-task-task-policy")["inputs"]["policy"])
    assert task_policy["Statement"][0]["Sid"] == "EcsExec"
    tg = recording.named("web-pr-42-service-tg")["inputs"]
    assert tg["healthCheck"]["interval"] * tg["healthCheck"]["healthyThreshold"] + tg["deregistrationDelay"] <= 15


def _priority_program(**overrides: object) -> None:
    preview = PreviewEnvironment(
        "web-pr-42",
        PreviewEnvironmentArgs(
            label=LABEL,
            pr_number=42,
            platform=platform_ref(),
            containers=[ContainerArgs(name="web", image="repo@sha256:" + "b" * 64, port=8080)],
            host_template="pr-{pr}.preview.example.com",
            expires_at=EXPIRES,
            **overrides,  # type: ignore[arg-type]
        ),
    )
    pulumi.export("priority", preview.listener_rule_priority)


def test_preview_priority_explicit_or_from_the_knobs() -> None:
    explicit = run(lambda: _priority_program(listener_rule_priority=12345), stack="pr-42")
    assert explicit.named("web-pr-42-service-rule")["inputs"]["priority"] == 12345
    knobs = run(lambda: _priority_program(priority_base=20000, services_per_preview=2, service_index=1), stack="pr-42")
    assert knobs.named("web-pr-42-service-rule")["inputs"]["priority"] == 20000 + 42 * 2 + 1
    assert knobs.outputs["priority"] == 20085
