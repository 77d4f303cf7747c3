"""The delivery program for every stack in stacks/: it synthesises cleanly, and AWS would accept its payloads."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from ecsdelivery.config import list_environments
from ecsdelivery.synth import PLACEHOLDER_DIGEST, SynthResult, check_payloads, synthesize

ROOT = Path(__file__).resolve().parents[1]
STACKS = str(ROOT / "stacks")
DIGEST = "sha256:" + "ab" * 32
IMAGE = f"111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web@{DIGEST}"

PLATFORM_OUTPUTS = {
    "vpcId",
    "privateSubnetIds",
    "publicSubnetIds",
    "clusterArn",
    "clusterName",
    "listenerArn",
    "albSecurityGroupId",
    "albDnsName",
    "albZoneId",
}
SERVICE_OUTPUTS = {"url", "image", "imageDigest", "serviceName", "taskDefinitionArn", "services"}
SHARED_INFRA = {
    "awsx:ec2:Vpc",
    "aws:ec2/vpc:Vpc",
    "aws:ec2/natGateway:NatGateway",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:ecs/cluster:Cluster",
    "aws:lb/listener:Listener",
    "ecsdelivery:index:Platform",
    "aws:ecr/repository:Repository",
}


@pytest.fixture(scope="module")
def synthesized() -> dict[str, SynthResult]:
    results = {env: synthesize(env, image=IMAGE, stacks_dir=STACKS) for env in ("shared", "dev", "staging", "prod")}
    results["pr-42"] = synthesize("preview", pr=42, image=IMAGE, stacks_dir=STACKS)
    return results


def test_every_stack_file_is_covered() -> None:
    assert set(list_environments(STACKS)) == {"shared", "dev", "staging", "prod", "preview"}


@pytest.mark.parametrize("stack", ["shared", "dev", "staging", "prod", "pr-42"])
def test_stack_synthesises_and_its_payloads_pass_the_botocore_checks(
    synthesized: dict[str, SynthResult], stack: str
) -> None:
    result = synthesized[stack]
    assert result.stack == stack
    assert result.resources
    assert check_payloads(result) == []
    assert result.warnings == []
    json.dumps(result.to_json())  # plain data all the way down


@pytest.mark.parametrize("stack", ["dev", "staging", "prod", "pr-42"])
def test_service_stacks_export_what_ci_reads(synthesized: dict[str, SynthResult], stack: str) -> None:
    outputs = synthesized[stack].outputs
    assert set(outputs) >= SERVICE_OUTPUTS | PLATFORM_OUTPUTS
    assert next(iter(outputs)) == "url"  # first-class
    assert outputs["imageDigest"] == DIGEST
    assert outputs["image"] == IMAGE
    assert outputs["url"].startswith(("http://", "https://"))
    assert set(outputs["services"]) == {"web"}
    assert outputs["services"]["web"]["url"] == outputs["url"]
    assert outputs["taskDefinitionArn"].startswith("arn:aws:ecs:")


def test_shared_stack_owns_the_repository_and_nothing_else(synthesized: dict[str, SynthResult]) -> None:
    result = synthesized["shared"]
    assert {r["type"] for r in result.resources} == {
        "ecsdelivery:index:EcrRepository",
        "aws:ecr/repository:Repository",
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
    }
    repository = result.of_type("aws:ecr/repository:Repository")[0]["inputs"]
    assert repository["name"] == "acme/web"
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository.get("forceDelete") in (None, False)
    assert set(result.outputs) == {"repositoryUrl", "repositoryName", "repositoryArn"}
    assert result.outputs["repositoryUrl"].endswith("/acme/web")


@pytest.mark.parametrize("stack", ["dev", "staging", "prod", "pr-42"])
def test_no_other_stack_creates_a_repository(synthesized: dict[str, SynthResult], stack: str) -> None:
    types = {r["type"] for r in synthesized[stack].resources}
    assert not {t for t in types if t.startswith("aws:ecr/")}
    assert "ecsdelivery:index:EcrRepository" not in types


def test_shared_repository_is_protected_and_retained(synthesized: dict[str, SynthResult]) -> None:
    options = synthesized["shared"].options
    ecr = {r["name"] for r in synthesized["shared"].resources if r["name"].startswith("ecr")}
    assert ecr and all(options.get(name, {}).get("retainOnDelete") is True for name in ecr), options
    assert all(options.get(name, {}).get("protect") is True for name in ecr), options


def test_preview_adds_no_shared_infrastructure(synthesized: dict[str, SynthResult]) -> None:
    types = {r["type"] for r in synthesized["pr-42"].resources}
    assert not types & SHARED_INFRA
    assert "ecsdelivery:index:PreviewEnvironment" in types
    assert "aws:ecs/service:Service" in types


def test_preview_reads_the_dev_platform_through_a_stack_reference(synthesized: dict[str, SynthResult]) -> None:
    result = synthesized["pr-42"]
    assert result.stack_references == ["organization/ecsdelivery/dev"]
    service = result.of_type("aws:ecs/service:Service")[0]["inputs"]
    assert service["cluster"].endswith(":cluster/acme-dev-web")  # dev's cluster, from the reference
    rule = result.of_type("aws:lb/listenerRule:ListenerRule")[0]["inputs"]
    assert ":listener/app/acme-dev-web/" in rule["listenerArn"]
    assert {"hostHeader": {"values": ["pr-42.preview.example.com"]}} in rule["conditions"]
    assert result.outputs["clusterName"] == "acme-dev-web"
    assert result.outputs["url"] == "http://pr-42.preview.example.com"


def test_preview_names_and_tags_carry_the_pr(synthesized: dict[str, SynthResult]) -> None:
    result = synthesized["pr-42"]
    service = result.of_type("aws:ecs/service:Service")[0]["inputs"]
    assert re.search(r"-pr-42-[0-9a-f]{6}$", service["name"])  # then the hash of its target group
    task = result.of_type("aws:ecs/taskDefinition:TaskDefinition")[0]["inputs"]
    assert task["tags"]["PullRequest"] == "42"
    expires = dt.datetime.fromisoformat(task["tags"]["ExpiresAt"].replace("Z", "+00:00"))
    hours = (expires - dt.datetime.now(dt.UTC)).total_seconds() / 3600
    assert expires.minute == expires.second == 0 and 71 <= hours <= 72  # ttl_hours from the start of the hour
    assert (task["cpu"], task["memory"]) in (("256", "512"), (256, 512))
    assert [s["capacityProvider"] for s in service["capacityProviderStrategies"]] == ["FARGATE_SPOT"]


def test_stacks_with_a_platform_create_it(synthesized: dict[str, SynthResult]) -> None:
    for stack in ("dev", "staging", "prod"):
        types = {r["type"] for r in synthesized[stack].resources}
        assert {"awsx:ec2:Vpc", "aws:ecs/cluster:Cluster", "aws:lb/loadBalancer:LoadBalancer"} <= types
        assert synthesized[stack].stack_references == []


def test_nat_strategy_follows_the_stack_file(synthesized: dict[str, SynthResult]) -> None:
    nat = {
        s: synthesized[s].of_type("awsx:ec2:Vpc")[0]["inputs"]["natGateways"]["strategy"]
        for s in ("dev", "staging", "prod")
    }
    assert nat == {"dev": "Single", "staging": "Single", "prod": "OnePerAz"}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_tasks_run_in_subnets_with_a_route_out(synthesized: dict[str, SynthResult], stack: str) -> None:
    """Tasks get no public IP, so their subnets must be private (through NAT), never isolated."""
    [vpc] = synthesized[stack].of_type("awsx:ec2:Vpc")
    assert [spec["type"] for spec in vpc["inputs"]["subnetSpecs"]] == ["Public", "Private"]
    for service in synthesized[stack].of_type("aws:ecs/service:Service"):
        assert service["inputs"]["networkConfiguration"]["assignPublicIp"] is False


def test_containers_run_the_deploy_image_by_digest(synthesized: dict[str, SynthResult]) -> None:
    for stack in ("dev", "staging", "prod", "pr-42"):
        task = synthesized[stack].of_type("aws:ecs/taskDefinition:TaskDefinition")[0]["inputs"]
        containers = json.loads(task["containerDefinitions"])
        assert [c["image"] for c in containers] == [IMAGE]


def test_prod_is_sized_and_scaled_from_its_file(synthesized: dict[str, SynthResult]) -> None:
    result = synthesized["prod"]
    task = result.of_type("aws:ecs/taskDefinition:TaskDefinition")[0]["inputs"]
    assert (str(task["cpu"]), str(task["memory"])) == ("512", "1024")
    group = result.of_type("aws:lb/targetGroup:TargetGroup")[0]["inputs"]
    assert group["healthCheck"]["interval"] == 10
    assert group["healthCheck"]["healthyThreshold"] == 3
    assert int(group["deregistrationDelay"]) == 20
    assert len(result.of_type("aws:appautoscaling/policy:Policy")) == 2  # cpu and requests per target
    assert any(r["inputs"].get("certificateArn") for r in result.of_type("aws:lb/listener:Listener"))


def test_no_image_uses_a_labelled_placeholder() -> None:
    result = synthesize("dev", stacks_dir=STACKS)
    assert result.placeholder_image
    assert result.image == f"111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web@{PLACEHOLDER_DIGEST}"
    assert result.outputs["imageDigest"] == PLACEHOLDER_DIGEST


def test_local_synth_makes_plain_http_without_certificates() -> None:
    result = synthesize("prod", image=IMAGE, stacks_dir=STACKS, local=True)
    listeners = [r for r in result.of_type("aws:lb/listener:Listener") if r["name"] != "platform-standby"]
    assert [r["inputs"]["protocol"] for r in listeners] == ["HTTP"]
    assert not result.of_type("aws:acm/certificate:Certificate")
    assert result.outputs["url"].startswith("http://")
