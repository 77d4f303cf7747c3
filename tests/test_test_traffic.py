"""Test traffic: a test listener rule ECS points at the new tasks before production traffic moves.

The rule lives on the platform's standby listener (same host, paths and priority as the service's live rule);
the platform admits that listener's port only from the sources in `platform.test_traffic_cidrs` (none by default;
the load balancer is internet-facing, so a caller inside the VPC arrives from its NAT gateway's public IP).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from components_support import LABEL, platform_ref, run
from config_helpers import assert_refused, write_stacks

from ecsdelivery.components.platform import STANDBY_PORT
from ecsdelivery.components.service import FargateService, FargateServiceArgs
from ecsdelivery.components.task_definition import ContainerArgs, FargateTaskDefinition, FargateTaskDefinitionArgs
from ecsdelivery.settings import DeploymentArgs, DeploymentStrategyArgs
from ecsdelivery.synth import synthesize
from ecsdelivery.synth.awsshapes import check_resources
from ecsdelivery.synth.replacements import compare

ROOT = Path(__file__).resolve().parents[1]
STANDBY_LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/acme-dev/0123456789abcdef/5b"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
NAT_IP = "203.0.113.7/32"  # a NAT gateway's public IP: callers inside the VPC arrive from it
EXISTING = (
    "platform:\n  mode: existing\n  vpc_id: vpc-0a1b2c3d4e5f60718\n"
    "  private_subnet_ids: [subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60002]\n"
    "  public_subnet_ids: [subnet-0a1b2c3d4e5f60101, subnet-0a1b2c3d4e5f60102]\n"
    "  cluster_name: acme-shared\n"
    "  listener_arn: arn:aws:elasticloadbalancing:us-east-1:222222222222:listener/app/acme/0123456789ab/0f\n"
    "  alb_security_group_id: sg-0123456789abcdef0\n"
    "  alb_dns_name: acme-shared-1234567890.us-east-1.elb.amazonaws.com\n"
    "  alb_zone_id: Z35SXDOTRQ7X7K\n"
)
STANDBY_ARN = "arn:aws:elasticloadbalancing:us-east-1:222222222222:listener/app/acme/0123456789ab/5b"
STANDBY_LINE = f"  standby_listener_arn: {STANDBY_ARN}\n"
CANARY = "services:\n  web:\n    deployment:\n      strategy: canary\n      test_traffic: true\n"


def _service(strategy: str = "canary", *, test_listener: bool = True, standby: bool = True) -> None:
    task = FargateTaskDefinition(
        "web-task",
        FargateTaskDefinitionArgs(label=LABEL, containers=[ContainerArgs(name="web", image="nginx", port=8080)]),
    )
    deployment = DeploymentArgs(
        strategy=DeploymentStrategyArgs(strategy=strategy, test_listener=test_listener)  # type: ignore[arg-type]
    )
    platform = platform_ref(standby_listener_arn=STANDBY_LISTENER if standby else None)
    FargateService(
        "web",
        FargateServiceArgs(
            label=LABEL,
            platform=platform,
            task_definition=task,
            host="web.example.com",
            listener_rule_priority=120,
            deployment=deployment,
        ),
    )


def test_the_test_rule_mirrors_the_live_rule_on_the_standby_listener_and_ecs_gets_it() -> None:
    recording = run(_service)
    live, test = recording.named("web-rule")["inputs"], recording.named("web-standby")
    assert test["inputs"]["listenerArn"] == STANDBY_LISTENER != live["listenerArn"]
    assert (test["inputs"]["priority"], test["inputs"]["conditions"]) == (120, live["conditions"])
    # Both groups, all weight on the primary until ECS moves it; later `up`s leave ECS's weights alone.
    assert test["inputs"]["actions"] == live["actions"]
    assert test["options"]["ignoreChanges"] == ["actions"]
    assert test["inputs"]["tags"]["Purpose"] == "test"
    [balancer] = recording.one("aws:ecs/service:Service")["inputs"]["loadBalancers"]
    advanced = balancer["advancedConfiguration"]
    assert advanced["testListenerRule"].startswith("arn:aws:elasticloadbalancing:")
    assert advanced["testListenerRule"] != advanced["productionListenerRule"]
    assert check_resources(recording.resources) == []


def test_without_the_option_the_standby_rule_only_attaches_the_alternate_group() -> None:
    """No test listener for ECS; the standby rule keeps the alternate group attached to the load balancer (ECS
    registers new tasks only in an attached group), whatever the live rule's ignored actions still say."""
    recording = run(lambda: _service(test_listener=False))
    [balancer] = recording.one("aws:ecs/service:Service")["inputs"]["loadBalancers"]
    advanced = balancer["advancedConfiguration"]
    assert "testListenerRule" not in advanced
    standby = recording.named("web-standby")
    assert standby["inputs"]["actions"] == [{"type": "forward", "targetGroupArn": advanced["alternateTargetGroupArn"]}]
    assert standby["inputs"]["tags"]["Purpose"] == "standby"
    assert "ignoreChanges" not in standby.get("options", {})


def test_a_rolling_service_or_a_platform_without_standby_listener_is_refused() -> None:
    with pytest.raises(ValueError, match="test_listener needs a traffic-shifting strategy"):
        DeploymentStrategyArgs(strategy="rolling", test_listener=True)
    with pytest.raises(Exception, match="standby listener; this has none"):
        run(lambda: _service(standby=False))


# --- stack files -----------------------------------------------------------------------------------------------


def _prod_with_test_traffic(tmp_path: Path) -> Path:
    stacks = tmp_path / "stacks"
    shutil.copytree(ROOT / "stacks", stacks)
    path = stacks / "prod.yaml"
    data = yaml.safe_load(path.read_text())
    data.setdefault("services", {}).setdefault("web", {}).setdefault("deployment", {})["test_traffic"] = True
    data["platform"]["test_traffic_cidrs"] = [NAT_IP]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return stacks


def _resources(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in json.loads(json.dumps(document, default=str))["resources"]}


def test_prod_admits_test_traffic_only_from_the_sources_it_lists(tmp_path: Path) -> None:
    stacks = _prod_with_test_traffic(tmp_path)
    resources = _resources(synthesize("prod", stacks_dir=str(stacks)).to_json())
    assert "web-service-standby" in resources
    rule = resources["platform-alb-sg-test"]["inputs"]
    assert (rule["fromPort"], rule["toPort"], rule["cidrIpv4"]) == (STANDBY_PORT, STANDBY_PORT, NAT_IP)
    # Without test traffic the standby port stays closed to everyone.
    shipped = _resources(synthesize("prod").to_json())
    assert shipped["web-service-standby"]["inputs"]["tags"]["Purpose"] == "standby"
    # The service starts shifting only once its alternate group is attached there.
    assert "web-service-standby" in shipped["web-service-service"]["options"]["dependsOn"]
    ports = {r["inputs"].get("fromPort") for r in shipped.values() if r["type"] == INGRESS}
    assert STANDBY_PORT not in ports


def test_previews_never_take_test_traffic(tmp_path: Path) -> None:
    stacks = tmp_path / "stacks"
    shutil.copytree(ROOT / "stacks", stacks)
    for name in ("dev.yaml", "preview.yaml"):
        path = stacks / name
        data = yaml.safe_load(path.read_text())
        deployment = data.setdefault("services", {}).setdefault("web", {}).setdefault("deployment", {})
        deployment.update(strategy="canary", test_traffic=True)
        if "platform" in data and data["platform"].get("mode") == "create":
            data["platform"]["test_traffic_cidrs"] = [NAT_IP]
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    resources = _resources(synthesize("preview", pr=7, stacks_dir=str(stacks)).to_json())
    assert not [r for r in resources.values() if (r["inputs"].get("tags") or {}).get("Purpose") == "test"]


def test_the_test_rule_carries_no_production_traffic_in_the_replay(tmp_path: Path) -> None:
    """A container-port edit of a canary service with test traffic: nothing replaced that serves, no gap."""
    stacks = _prod_with_test_traffic(tmp_path)
    before = json.loads(json.dumps(synthesize("prod", stacks_dir=str(stacks)).to_json(), default=str))
    defaults = stacks / "catalog" / "defaults.yaml"
    defaults.write_text(defaults.read_text().replace("port: 8080", "port: 9090"))
    after = json.loads(json.dumps(synthesize("prod", stacks_dir=str(stacks)).to_json(), default=str))
    comparison = compare(before, after)
    assert comparison.gaps == [] and comparison.collisions == []
    assert "web-service-standby" not in {c.name for c in comparison.replacements}


def test_an_existing_platform_with_a_standby_listener_takes_test_rules(tmp_path: Path) -> None:
    stacks = write_stacks(tmp_path, {"env.yaml": "import: [catalog/base.yaml]\n" + EXISTING + STANDBY_LINE + CANARY})
    resources = _resources(synthesize("env", stacks_dir=str(stacks)).to_json())
    assert resources["web-service-standby"]["inputs"]["listenerArn"] == STANDBY_ARN


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            "services:\n  web:\n    deployment:\n      test_traffic: true\n",
            "services.web.deployment.test_traffic: ECS sends test traffic only while it shifts traffic between two "
            "target groups and this service rolls; legal strategies with test traffic: blue_green, canary, linear",
        ),
        (
            "platform:\n  mode: create\n  test_traffic_cidrs: [0.0.0.0/0]\n",
            "platform.test_traffic_cidrs.0: '0.0.0.0/0' is a public range wider than /24",
        ),
        (
            "platform:\n  mode: create\n  test_traffic_cidrs: [203.0.0.0/16]\n",
            "platform.test_traffic_cidrs.0: '203.0.0.0/16' is a public range wider than /24",
        ),
        (
            "services:\n  web:\n    deployment:\n      strategy: canary\n      test_traffic: true\n",
            "services.web.deployment.test_traffic: no caller may reach the test listener: list its sources in "
            "platform.test_traffic_cidrs",
        ),
        (
            "platform:\n  mode: create\n  test_traffic_cidrs: [10.0.0.0/33]\n",
            "platform.test_traffic_cidrs.0: '10.0.0.0/33' is not an IPv4 network",
        ),
        (
            "platform:\n  mode: create\n  test_traffic_cidrs: ['10.0.0.0/8\\n']\n",
            "is not an IPv4 CIDR like 203.0.113.7/32",
        ),
        (
            EXISTING + CANARY,
            "services.web.deployment.test_traffic: a platform given by ids (mode existing) without "
            "platform.standby_listener_arn has no listener for the test rule",
        ),
    ],
)
def test_validate_names_bad_test_traffic(tmp_path: Path, yaml_text: str, expected: str) -> None:
    stacks = write_stacks(tmp_path, {"env.yaml": "import: [catalog/base.yaml]\n" + yaml_text})
    assert_refused(stacks, "env", expected)
