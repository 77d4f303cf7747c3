"""Platform under the recording mocks (the awsx VPC is one remote node there)."""

from __future__ import annotations

from typing import Any

import pulumi
from components_support import run

from ecsdelivery.components.platform import (
    TLS_POLICY,
    ExistingNetworkArgs,
    NewVpcArgs,
    Platform,
    PlatformArgs,
)
from ecsdelivery.naming import Label

LABEL = Label(namespace="acme", environment="dev", name="platform")
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc"


def _platform(**overrides: Any) -> Platform:
    values: dict[str, Any] = {"label": LABEL, "certificate_arn": CERT}
    values.update(overrides)
    platform = Platform("dev", PlatformArgs(**values))
    ref = platform.ref()
    pulumi.export("vpcId", ref.vpc_id)
    pulumi.export("privateSubnetIds", ref.private_subnet_ids)
    pulumi.export("publicSubnetIds", platform.public_subnet_ids)
    pulumi.export("listenerArn", ref.listener_arn)
    pulumi.export("albArnSuffix", ref.alb_arn_suffix)
    pulumi.export("protocol", ref.protocol)
    return platform


def _listener(recording: Any, name: str) -> dict[str, Any]:
    return recording.named(name)["inputs"]


def test_new_vpc_is_an_awsx_component_with_our_inputs_and_its_outputs_are_read() -> None:
    recording = run(lambda: _platform(network=NewVpcArgs(cidr_block="10.20.0.0/16", availability_zones=3)))
    vpc = recording.named("dev-vpc")
    assert (vpc["type"], vpc["parent"], vpc["custom"]) == ("awsx:ec2:Vpc", "dev", False)
    inputs = vpc["inputs"]
    assert inputs["cidrBlock"] == "10.20.0.0/16"
    assert inputs["numberOfAvailabilityZones"] == 3
    assert inputs["natGateways"] == {"strategy": "Single"}
    assert [spec["type"] for spec in inputs["subnetSpecs"]] == ["Public", "Private"]
    assert inputs["tags"]["Environment"] == "dev"
    assert recording.children_of("dev-vpc") == []  # remote: no children under mocks
    # the mock's outputs flow into what we build
    outputs = recording.outputs
    assert outputs["vpcId"].startswith("vpc-")
    assert len(outputs["privateSubnetIds"]) == 3
    assert recording.named("dev-alb")["inputs"]["subnets"] == outputs["publicSubnetIds"]
    assert recording.named("dev-alb-sg")["inputs"]["vpcId"] == outputs["vpcId"]


def test_without_nat_the_task_subnets_are_isolated() -> None:
    recording = run(lambda: _platform(network=NewVpcArgs(nat_gateways="None")))
    inputs = recording.named("dev-vpc")["inputs"]
    assert inputs["natGateways"] == {"strategy": "None"}
    assert [spec["type"] for spec in inputs["subnetSpecs"]] == ["Public", "Isolated"]


def test_one_nat_per_az() -> None:
    recording = run(lambda: _platform(network=NewVpcArgs(nat_gateways="OnePerAz")))
    assert recording.named("dev-vpc")["inputs"]["natGateways"] == {"strategy": "OnePerAz"}


def test_existing_network_creates_no_network_resources() -> None:
    network = ExistingNetworkArgs(vpc_id="vpc-9", public_subnet_ids=["p1", "p2"], private_subnet_ids=["q1", "q2"])
    recording = run(lambda: _platform(network=network))
    assert not [t for t in recording.types() if t.startswith(("awsx:", "aws:ec2/vpc", "aws:ec2/subnet", "aws:ec2/nat"))]
    assert recording.outputs["vpcId"] == "vpc-9"
    assert recording.outputs["privateSubnetIds"] == ["q1", "q2"]
    assert recording.named("dev-alb")["inputs"]["subnets"] == ["p1", "p2"]


def test_cluster_has_insights_and_both_fargate_capacity_providers() -> None:
    recording = run(_platform)
    cluster = recording.named("dev-cluster")["inputs"]
    assert cluster["name"] == "acme-dev-platform"
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    capacity = recording.named("dev-capacity")["inputs"]
    assert capacity["clusterName"] == "acme-dev-platform"
    assert capacity["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]


def test_internet_facing_alb_with_https_404_default_and_http_redirect() -> None:
    recording = run(_platform)
    alb = recording.named("dev-alb")["inputs"]
    assert (alb["loadBalancerType"], alb["internal"], alb["dropInvalidHeaderFields"]) == ("application", False, True)
    assert len(alb["name"]) <= 32
    https = _listener(recording, "dev-https")
    assert (https["port"], https["protocol"], https["sslPolicy"]) == (443, "HTTPS", TLS_POLICY)
    assert https["certificateArn"] == CERT
    assert https["defaultActions"] == [
        {
            "type": "fixed-response",
            "fixedResponse": {"contentType": "text/plain", "messageBody": "Not Found", "statusCode": "404"},
        }
    ]
    http = _listener(recording, "dev-http")
    assert (http["port"], http["protocol"]) == (80, "HTTP")
    assert http["defaultActions"] == [
        {"type": "redirect", "redirect": {"port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"}}
    ]
    ports = sorted(
        r["inputs"]["fromPort"] for r in recording.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    )
    assert ports == [80, 443]
    assert recording.outputs["listenerArn"].startswith("arn:aws:elasticloadbalancing:")
    assert recording.outputs["albArnSuffix"].startswith("app/acme-dev-platform/")
    assert recording.outputs["protocol"] == "https"


def test_the_standby_listener_speaks_tls_where_the_live_one_does() -> None:
    """Test traffic reaches it from inside the VPC: with a certificate it is encrypted like the live traffic."""
    standby = _listener(run(_platform), "dev-standby")
    assert (standby["port"], standby["protocol"], standby["sslPolicy"]) == (8999, "HTTPS", TLS_POLICY)
    assert standby["certificateArn"] == CERT
    plain = _listener(run(lambda: _platform(certificate_arn=None)), "dev-standby")
    assert (plain["port"], plain["protocol"]) == (8999, "HTTP")
    assert "certificateArn" not in plain and "sslPolicy" not in plain


def test_without_a_certificate_http_serves_the_404_default() -> None:
    recording = run(lambda: _platform(certificate_arn=None))
    # The standby listener serves nothing (no security group admits its port); see FargateService.
    assert [r["name"] for r in recording.of_type("aws:lb/listener:Listener")] == ["dev-http", "dev-standby"]
    assert _listener(recording, "dev-http")["defaultActions"][0]["type"] == "fixed-response"
    ports = [
        r["inputs"]["fromPort"] for r in recording.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    ]
    assert ports == [80]
    assert recording.outputs["protocol"] == "http"


def test_created_certificate_is_dns_validated() -> None:
    recording = run(lambda: _platform(certificate_arn=None, domain_name="example.com", hosted_zone_id="Z1"))
    cert = recording.named("dev-cert")["inputs"]
    assert (cert["domainName"], cert["subjectAlternativeNames"], cert["validationMethod"]) == (
        "example.com",
        ["*.example.com"],
        "DNS",
    )
    record = recording.named("dev-cert-validation")["inputs"]
    assert (record["zoneId"], record["type"]) == ("Z1", "CNAME")
    assert record["records"][0].endswith(".acm-validations.aws.")
    validated = recording.named("dev-cert-validated")["inputs"]
    assert _listener(recording, "dev-https")["certificateArn"] == validated["certificateArn"]


def test_emulator_skips_acm_and_route53() -> None:
    recording = run(
        lambda: _platform(certificate_arn=None, domain_name="example.com", hosted_zone_id="Z1", emulator=True)
    )
    assert not [t for t in recording.types() if t.startswith(("aws:acm/", "aws:route53/"))]
    assert [r["name"] for r in recording.of_type("aws:lb/listener:Listener")] == ["dev-http", "dev-standby"]
    assert recording.outputs["protocol"] == "http"
