"""The program's decisions: the deploy image, container arguments, labels, and stack files it refuses."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecsdelivery.config import load_stack
from ecsdelivery.errors import ConfigError
from ecsdelivery.program import delivery
from ecsdelivery.stack import DeployImage
from ecsdelivery.synth import synthesize

ROOT = Path(__file__).resolve().parents[1]
STACKS = ROOT / "stacks"
DIGEST = "sha256:" + "cd" * 32
REPO = "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web"


def stacks_with(tmp_path: Path, env: str, change: dict[str, Any]) -> str:
    """A copy of stacks/ where `change` is merged over the top level of `<env>.yaml`."""
    target = tmp_path / "stacks"
    shutil.copytree(STACKS, target)
    path = target / f"{env}.yaml"
    data = yaml.safe_load(path.read_text()) or {}
    data.update(change)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(target)


@pytest.fixture(scope="module")
def dev() -> Any:
    return load_stack("dev", stacks_dir=STACKS)


@pytest.fixture(scope="module")
def prod() -> Any:
    return load_stack("prod", stacks_dir=STACKS)


def test_a_tag_is_accepted_with_a_warning_elsewhere() -> None:
    result = synthesize("dev", image=f"{REPO}:sha-abc1234", stacks_dir=str(STACKS))
    assert result.outputs["image"] == f"{REPO}:sha-abc1234"
    assert result.outputs["imageDigest"] == ""
    assert any("tag reference" in w and "not pinned" in w for w in result.warnings)


def test_container_args_map_every_field() -> None:
    from ecsdelivery.config import ContainerConfig

    container = ContainerConfig.model_validate(
        {
            "name": "web",
            "port": 8080,
            "environment": {"A": "1"},
            "secrets": {
                "DB": {"ssm": "/acme/dev/db"},
                "KEY": {"secrets_manager": "arn:aws:secretsmanager:us-east-1:222222222222:secret:k-AbCdEf", "key": "k"},
            },
            "health_check": {"command": ["CMD", "true"], "interval": 30},
            "command": ["serve"],
            "stop_timeout": 20,
        }
    )
    args = delivery.container_args(container, DeployImage(f"{REPO}@{DIGEST}", DIGEST), where="services.web")
    assert args.image == f"{REPO}@{DIGEST}"
    assert (args.port, args.stop_timeout, list(args.command)) == (8080, 20, ["serve"])
    assert args.readonly_root_filesystem is True
    assert dict(args.environment) == {"A": "1"}
    assert [(s.name, s.ssm_parameter, s.secrets_manager_arn) for s in args.secrets] == [
        ("DB", "/acme/dev/db", None),
        ("KEY", None, "arn:aws:secretsmanager:us-east-1:222222222222:secret:k-AbCdEf:k::"),
    ]
    assert args.health_check.interval == 30


def test_a_container_with_its_own_image_keeps_it(tmp_path: Path) -> None:
    services = {"web": {"containers": [{"name": "web", "port": 8080}, {"name": "proxy", "image": "envoy:v1"}]}}
    result = synthesize(
        "dev", image=f"{REPO}@{DIGEST}", stacks_dir=stacks_with(tmp_path, "dev", {"services": services})
    )
    task = result.of_type("aws:ecs/taskDefinition:TaskDefinition")[0]["inputs"]
    images = {c["name"]: c["image"] for c in json.loads(task["containerDefinitions"])}
    assert images == {"web": f"{REPO}@{DIGEST}", "proxy": "envoy:v1"}


def test_the_routed_container_comes_first(tmp_path: Path) -> None:
    services = {
        "web": {
            "containers": [{"name": "metrics", "port": 9090}, {"name": "app", "port": 8080}],
            "routing": {"container": "app", "path_patterns": ["/*"]},
        }
    }
    result = synthesize(
        "dev", image=f"{REPO}@{DIGEST}", stacks_dir=stacks_with(tmp_path, "dev", {"services": services})
    )
    service = result.of_type("aws:ecs/service:Service")[0]["inputs"]
    assert service["loadBalancers"][0]["containerName"] == "app"
    assert service["loadBalancers"][0]["containerPort"] == 8080


WORKER = {"worker": {"containers": [{"name": "worker", "command": ["python", "-m", "app.worker"]}]}}


@pytest.mark.parametrize(("env", "pr"), [("dev", None), ("preview", 7)])
def test_a_worker_is_deployed_without_a_load_balancer(tmp_path: Path, env: str, pr: int | None) -> None:
    # The catalog's routed `web` merges in under the worker: one service of each kind.
    stacks = stacks_with(tmp_path, env, {"services": WORKER})
    result = synthesize(env, pr=pr, image=f"{REPO}@{DIGEST}", stacks_dir=stacks)
    services = {r["inputs"]["name"]: r["inputs"] for r in result.of_type("aws:ecs/service:Service")}
    worker = next(inputs for name, inputs in services.items() if "worker" in name)
    web = next(inputs for name, inputs in services.items() if "worker" not in name)
    assert "loadBalancers" not in worker and "healthCheckGracePeriodSeconds" not in worker
    assert web["loadBalancers"][0]["containerPort"] == 8080
    assert len(result.of_type("aws:lb/targetGroup:TargetGroup")) == 1
    assert [r["name"] for r in result.of_type("aws:lb/listenerRule:ListenerRule")] == [
        "web-service-rule",
        "web-service-standby",
    ]
    ingress = [
        r for r in result.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") if "worker" in r["name"]
    ]
    assert ingress == []
    assert result.outputs["services"]["worker"]["url"] is None
    assert result.outputs["services"]["worker"]["targetGroupArn"] is None
    assert result.outputs["url"] == result.outputs["services"]["web"]["url"]


def test_a_port_without_routing_is_refused_clearly(tmp_path: Path) -> None:
    services = {"api": {"containers": [{"name": "api", "port": 9000}]}}
    with pytest.raises(ConfigError, match=r"services\.api\.routing: container 'api' listens on port 9000"):
        synthesize("dev", stacks_dir=stacks_with(tmp_path, "dev", {"services": services}))


def test_an_existing_platform_is_used_by_its_ids(tmp_path: Path) -> None:
    platform = {
        "mode": "existing",
        "vpc_id": "vpc-0abc1234",
        "private_subnet_ids": ["subnet-0abc1234", "subnet-0abc5678"],
        "public_subnet_ids": ["subnet-0def1234"],
        "cluster_name": "shared-cluster",
        "listener_arn": "arn:aws:elasticloadbalancing:us-east-1:333333333333:listener/app/shared/1/2",
        "alb_security_group_id": "sg-0abc1234",
        "alb_dns_name": "shared-123.us-east-1.elb.amazonaws.com",
        "alb_zone_id": "Z35SXDOTRQ7X7K",
    }
    stacks = stacks_with(tmp_path, "staging", {"platform": platform})
    result = synthesize("staging", image=f"{REPO}@{DIGEST}", stacks_dir=stacks)
    types = {r["type"] for r in result.resources}
    assert not types & {"awsx:ec2:Vpc", "aws:ecs/cluster:Cluster", "aws:lb/loadBalancer:LoadBalancer"}
    service = result.of_type("aws:ecs/service:Service")[0]["inputs"]
    assert service["cluster"] == "arn:aws:ecs:us-east-1:333333333333:cluster/shared-cluster"
    assert service["networkConfiguration"]["subnets"] == ["subnet-0abc1234", "subnet-0abc5678"]
    assert result.outputs["url"].startswith("https://")
    assert result.outputs["publicSubnetIds"] == ["subnet-0def1234"]


def test_pulumi_yaml_runs_the_same_program_as_the_driver() -> None:
    import runpy

    from ecsdelivery.synth.mocks import run_program

    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "ecsdelivery"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}
    assert "main" not in project  # Pulumi runs the project directory's __main__.py
    config = {"ecsdelivery:stacksDir": str(STACKS), "ecsdelivery:image": f"{REPO}@{DIGEST}"}
    # The language host runs the project directory with runpy; its __main__.py calls delivery_program().
    recording = run_program(
        lambda: runpy.run_path(str(ROOT), run_name="__main__"),
        project="ecsdelivery",
        stack="staging",
        config=config,
    )
    assert re.fullmatch(r"acme-staging-web-[0-9a-f]{6}", recording.outputs["serviceName"])
    assert recording.outputs["imageDigest"] == DIGEST


def test_previews_get_an_alias_record_in_the_zone_of_the_platform_stack(tmp_path: Path) -> None:
    platform = {"mode": "create", "nat": "single", "hosted_zone_id": "Z0123456789ABC", "domain": "example.com"}
    stacks = stacks_with(tmp_path, "dev", {"platform": platform})
    result = synthesize("preview", pr=8, image=f"{REPO}@{DIGEST}", stacks_dir=stacks)
    records = result.of_type("aws:route53/record:Record")
    assert [(r["inputs"]["zoneId"], r["inputs"]["name"]) for r in records] == [
        ("Z0123456789ABC", "pr-8.preview.example.com")
    ]
    assert synthesize("preview", pr=8, stacks_dir=stacks, local=True).of_type("aws:route53/record:Record") == []


def test_previews_take_the_priority_the_stack_config_computed(tmp_path: Path) -> None:
    stacks = stacks_with(tmp_path, "preview", {"preview": {"priority_base": 20000, "services_per_pr": 2}})
    result = synthesize("preview", pr=42, image=f"{REPO}@{DIGEST}", stacks_dir=stacks)
    rule, standby = result.of_type("aws:lb/listenerRule:ListenerRule")
    assert standby["inputs"]["priority"] == rule["inputs"]["priority"]
    config = load_stack("preview", pr=42, stacks_dir=stacks)
    assert rule["inputs"]["priority"] == config.services["web"].routing.priority == 20000 + 42 * 2  # type: ignore[union-attr]


def test_a_preview_past_the_priority_limit_exits_2_with_one_line() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "ecsdelivery", "synth", "preview", "--pr", "10000", "--stacks-dir", str(STACKS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("ecsdelivery: error: ") and "largest PR number is 9999" in line


def test_capacity_weights_and_memory_reservation_reach_the_resources(tmp_path: Path) -> None:
    services = {
        "web": {
            "cpu": 512,
            "memory": 1024,
            "capacity": {"on_demand_weight": 1, "spot_weight": 3, "on_demand_base": 2},
            "containers": [{"name": "web", "port": 8080, "memory": 768, "memory_reservation": 256}],
        }
    }
    result = synthesize(
        "staging", image=f"{REPO}@{DIGEST}", stacks_dir=stacks_with(tmp_path, "staging", {"services": services})
    )
    [service] = result.of_type("aws:ecs/service:Service")
    assert service["inputs"]["capacityProviderStrategies"] == [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 2},
        {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0},
    ]
    [task] = result.of_type("aws:ecs/taskDefinition:TaskDefinition")
    [container] = json.loads(task["inputs"]["containerDefinitions"])
    assert (container["memory"], container["memoryReservation"]) == (768, 256)


def test_deployment_rollback_reaches_the_circuit_breaker(tmp_path: Path) -> None:
    services = {"web": {"deployment": {"circuit_breaker": True, "rollback": False}}}
    result = synthesize(
        "dev", image=f"{REPO}@{DIGEST}", stacks_dir=stacks_with(tmp_path, "dev", {"services": services})
    )
    [service] = result.of_type("aws:ecs/service:Service")
    assert service["inputs"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": False}


def test_previews_keep_the_services_own_deployment_settings(tmp_path: Path) -> None:
    services = {
        "web": {
            "architecture": "arm64",
            "capacity": {"on_demand_weight": 1, "spot_weight": 2, "on_demand_base": 1},
            "routing": {"path_patterns": ["/app/*"]},
            "deployment": {
                "minimum_healthy_percent": 50,
                "maximum_percent": 150,
                "rollback": False,
                "deregistration_delay": 3,
                "grace_period": 20,
                "health_check": {"path": "/ready", "matcher": "204", "interval": 6, "timeout": 3},
            },
        }
    }
    change = {"services": services, "preview": {"spot": False}}
    result = synthesize("preview", pr=5, image=f"{REPO}@{DIGEST}", stacks_dir=stacks_with(tmp_path, "preview", change))
    [service] = result.of_type("aws:ecs/service:Service")
    inputs = service["inputs"]
    assert inputs["capacityProviderStrategies"] == [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 2, "base": 0},
    ]
    assert (inputs["deploymentMinimumHealthyPercent"], inputs["deploymentMaximumPercent"]) == (50, 150)
    assert inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": False}
    assert inputs["healthCheckGracePeriodSeconds"] == 20
    [task] = result.of_type("aws:ecs/taskDefinition:TaskDefinition")
    assert task["inputs"]["runtimePlatform"]["cpuArchitecture"] == "ARM64"
    [group] = result.of_type("aws:lb/targetGroup:TargetGroup")
    assert group["inputs"]["deregistrationDelay"] == 3
    check = group["inputs"]["healthCheck"]
    assert (check["path"], check["matcher"], check["interval"], check["timeout"]) == ("/ready", "204", 6, 3)
    rule = result.of_type("aws:lb/listenerRule:ListenerRule")[0]
    assert rule["name"] == "web-service-rule"
    assert rule["inputs"]["conditions"] == [
        {"hostHeader": {"values": ["pr-5.preview.example.com"]}},
        {"pathPattern": {"values": ["/app/*"]}},
    ]


def test_previews_run_on_spot_by_default() -> None:
    result = synthesize("preview", pr=5, image=f"{REPO}@{DIGEST}", stacks_dir=str(STACKS))
    [service] = result.of_type("aws:ecs/service:Service")
    assert service["inputs"]["capacityProviderStrategies"] == [
        {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}
    ]
    rule = result.of_type("aws:lb/listenerRule:ListenerRule")[0]
    assert rule["name"] == "web-service-rule"
    assert rule["inputs"]["conditions"] == [{"hostHeader": {"values": ["pr-5.preview.example.com"]}}]
