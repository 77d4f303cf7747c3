"""FargateTaskDefinition under the recording mocks."""

from __future__ import annotations

import json

import pytest
from components_support import LABEL, policy, run, statements

from ecsdelivery.components.task_definition import (
    ContainerArgs,
    ContainerHealthCheckArgs,
    FargateTaskDefinition,
    FargateTaskDefinitionArgs,
    SecretArgs,
)
from ecsdelivery.settings import LoggingArgs

REPO = "arn:aws:ecr:us-east-1:123456789012:repository/acme-web"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-web@sha256:" + "a" * 64
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-AbC123:token::"


def _args(**overrides: object) -> FargateTaskDefinitionArgs:
    container = ContainerArgs(
        name="web",
        image=IMAGE,
        port=8080,
        environment={"LOG_LEVEL": "info"},
        secrets=[
            SecretArgs("DATABASE_URL", ssm_parameter="/acme/dev/db"),
            SecretArgs("TOKEN", secrets_manager_arn=SECRET),
        ],
        health_check=ContainerHealthCheckArgs(command=["CMD-SHELL", "wget -q -O- localhost:8080/healthz"]),
        readonly_root_filesystem=True,
        stop_timeout=10,
    )
    values: dict[str, object] = {"label": LABEL, "containers": [container], "repository_arns": [REPO]}
    values.update(overrides)
    return FargateTaskDefinitionArgs(**values)  # type: ignore[arg-type]


def test_children_and_parents() -> None:
    recording = run(lambda: FargateTaskDefinition("web", _args()))
    assert recording.named("web")["type"] == "ecsdelivery:index:FargateTaskDefinition"
    assert {(r["type"], r["name"]) for r in recording.children_of("web")} == {
        ("aws:cloudwatch/logGroup:LogGroup", "web-logs"),
        ("aws:iam/role:Role", "web-execution-role"),
        ("aws:iam/rolePolicy:RolePolicy", "web-execution-policy"),
        ("aws:iam/role:Role", "web-task-role"),
        ("aws:ecs/taskDefinition:TaskDefinition", "web-task"),
    }


def test_task_definition_inputs_and_container_definition() -> None:
    recording = run(lambda: FargateTaskDefinition("web", _args(cpu=512, memory=1024, cpu_architecture="ARM64")))
    task = recording.named("web-task")["inputs"]
    assert task["family"] == "acme-dev-web"
    assert (task["cpu"], task["memory"]) == ("512", "1024")
    assert task["networkMode"] == "awsvpc"
    assert task["requiresCompatibilities"] == ["FARGATE"]
    assert task["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"}
    assert task["executionRoleArn"].endswith(":role/acme-dev-web-exec")
    assert task["taskRoleArn"].endswith(":role/acme-dev-web-task")
    (container,) = json.loads(task["containerDefinitions"])
    assert container["image"] == IMAGE
    assert container["portMappings"] == [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}]
    assert container["environment"] == [{"name": "LOG_LEVEL", "value": "info"}]
    assert container["secrets"] == [
        {"name": "DATABASE_URL", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/acme/dev/db"},
        {"name": "TOKEN", "valueFrom": SECRET},
    ]
    assert container["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": "/ecs/acme-dev-web",
            "awslogs-region": "us-east-1",
            "awslogs-stream-prefix": "web",
        },
    }
    assert container["healthCheck"]["interval"] == 10
    assert container["readonlyRootFilesystem"] is True
    assert container["stopTimeout"] == 10
    assert "linuxParameters" not in container


def test_log_group_retention_and_tags() -> None:
    recording = run(lambda: FargateTaskDefinition("web", _args(logging=LoggingArgs(retention_days=3))))
    logs = recording.named("web-logs")["inputs"]
    assert logs["name"] == "/ecs/acme-dev-web"
    assert logs["retentionInDays"] == 3
    assert logs["tags"] == LABEL.tags


def test_execution_role_reads_exactly_the_named_secrets() -> None:
    recording = run(lambda: FargateTaskDefinition("web", _args()))
    trust = json.loads(recording.named("web-execution-role")["inputs"]["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    granted = statements(recording.named("web-execution-policy"))
    assert granted["PullImage"]["Resource"] == [REPO]
    assert granted["WriteLogs"]["Resource"] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/acme-dev-web:log-stream:*"
    )
    assert granted["ReadParameters"]["Resource"] == ["arn:aws:ssm:us-east-1:123456789012:parameter/acme/dev/db"]
    assert granted["ReadSecrets"]["Resource"] == ["arn:aws:secretsmanager:us-east-1:123456789012:secret:api-AbC123"]
    assert "DecryptSecrets" not in granted
    # negative: no wildcard secret or parameter access
    for sid in ("ReadParameters", "ReadSecrets"):
        assert all("*" not in resource for resource in granted[sid]["Resource"])
    assert {s["Sid"] for s in granted.values() if s["Resource"] == "*"} == {"EcrLogin"}


def test_kms_decrypt_only_on_the_given_key() -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/abc"
    recording = run(lambda: FargateTaskDefinition("web", _args(secrets_kms_key_arn=key)))
    assert statements(recording.named("web-execution-policy"))["DecryptSecrets"]["Resource"] == key


def test_task_role_has_no_policy_without_exec_and_exec_permissions_with_it() -> None:
    recording = run(lambda: FargateTaskDefinition("web", _args()))
    assert recording.of_type("aws:iam/rolePolicy:RolePolicy") == [recording.named("web-execution-policy")]

    recording = run(lambda: FargateTaskDefinition("web", _args(enable_execute_command=True)))
    exec_statement = statements(recording.named("web-task-policy"))["EcsExec"]
    assert sorted(exec_statement["Action"]) == [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    ]
    (container,) = json.loads(recording.named("web-task")["inputs"]["containerDefinitions"])
    assert container["linuxParameters"] == {"initProcessEnabled": True}


def test_public_image_needs_no_ecr_permissions() -> None:
    args = FargateTaskDefinitionArgs(label=LABEL, containers=[ContainerArgs(name="web", image="nginx:1.27", port=80)])
    recording = run(lambda: FargateTaskDefinition("web", args))
    assert list(statements(recording.named("web-execution-policy"))) == ["WriteLogs"]
    assert policy(recording.named("web-execution-policy"))["Version"] == "2012-10-17"


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        SecretArgs("X")
    with pytest.raises(ValueError, match="at least one container"):
        run(lambda: FargateTaskDefinition("web", FargateTaskDefinitionArgs(label=LABEL, containers=[])))


def test_memory_limits_reach_the_container_definition() -> None:
    container = ContainerArgs(name="web", image=IMAGE, port=8080, memory=768, memory_reservation=256)
    recording = run(lambda: FargateTaskDefinition("web", _args(containers=[container], memory=1024)))
    (definition,) = json.loads(recording.named("web-task")["inputs"]["containerDefinitions"])
    assert (definition["memory"], definition["memoryReservation"]) == (768, 256)
    bare = run(lambda: FargateTaskDefinition("web", _args(containers=[ContainerArgs(name="web", image=IMAGE)])))
    (definition,) = json.loads(bare.named("web-task")["inputs"]["containerDefinitions"])
    assert "memory" not in definition and "memoryReservation" not in definition
