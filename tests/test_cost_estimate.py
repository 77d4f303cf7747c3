"""Cost arithmetic against hand-computed figures (us-east-1 prices of ecsdelivery/data/prices.json)."""

from __future__ import annotations

import json

import pytest

from ecsdelivery.reports.cost import capacity_split, estimate, fargate_monthly, load_prices, nat_gateway_count, regions
from ecsdelivery.resources import Resource


def svc(**inputs) -> dict:
    base = {
        "name": "web",
        "desiredCount": 1,
        "taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/web:1",
        "networkConfiguration": {"assignPublicIp": False, "subnets": ["a", "b"]},
    }
    return {"type": "aws:ecs/service:Service", "name": "svc", "parent": "web-service", "inputs": {**base, **inputs}}


def td(cpu: str = "256", memory: str = "512", arch: str = "X86_64") -> dict:
    inputs = {"family": "web", "cpu": cpu, "memory": memory, "runtimePlatform": {"cpuArchitecture": arch}}
    return {"type": "aws:ecs/taskDefinition:TaskDefinition", "name": "td", "parent": "web-task", "inputs": inputs}


def logs(days: int) -> dict:
    return {
        "type": "aws:cloudwatch/logGroup:LogGroup",
        "name": "logs",
        "parent": "web-task",
        "inputs": {"retentionInDays": days},
    }


def by_kind(report) -> dict[str, float]:
    totals: dict[str, float] = {}
    for item in report.items:
        totals[item.kind] = round(totals.get(item.kind, 0) + item.monthly_usd, 6)
    return totals


SPOT = [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]


def test_default_preview_costs_less_than_three_dollars():
    # 0.25 vCPU x 730 h x 0.012144 = 2.21628; 0.5 GB x 730 h x 0.0013335 = 0.4867275;
    # logs: 0.2 GB x 0.50 = 0.10 ingested, 0.2 GB x 3 / (730 / 24) days kept x 0.03 = 0.000592 stored.
    report = estimate([svc(capacityProviderStrategies=SPOT), td(), logs(3)])
    kinds = by_kind(report)
    assert kinds["fargate-vcpu"] == pytest.approx(2.21628, abs=1e-4)
    assert kinds["fargate-memory"] == pytest.approx(0.4867275, abs=1e-4)
    assert kinds["logs-ingest"] == pytest.approx(0.10)
    assert kinds["logs-storage"] == pytest.approx(0.000592, abs=1e-4)
    assert report.total_monthly_usd == 2.80


def test_on_demand_arm_task_with_a_public_ip():
    # 1 vCPU x 730 x 0.03238 = 23.6374; 2 GB x 730 x 0.00356 = 5.1976; public IPv4 730 x 0.005 = 3.65.
    report = estimate([svc(networkConfiguration={"assignPublicIp": True}), td("1024", "2048", "ARM64")])
    kinds = by_kind(report)
    assert kinds == pytest.approx({"fargate-vcpu": 23.6374, "fargate-memory": 5.1976, "public-ipv4": 3.65}, abs=1e-4)
    assert fargate_monthly(1, 2, architecture="arm64") == pytest.approx(28.835, abs=1e-4)


def test_capacity_split_places_base_first_then_weights():
    service = Resource.from_dict(
        svc(
            capacityProviderStrategies=[
                {"capacityProvider": "FARGATE", "base": 2, "weight": 1},
                {"capacityProvider": "FARGATE_SPOT", "weight": 3},
            ]
        )
    )
    assert capacity_split(service, 10) == (4.0, 6.0)
    assert capacity_split(service, 1) == (1.0, 0.0)
    plain = Resource.from_dict(svc(launchType="FARGATE"))
    assert capacity_split(plain, 3, cluster_default=SPOT) == (3.0, 0.0)
    no_strategy = Resource.from_dict(svc())
    assert capacity_split(no_strategy, 3, cluster_default=SPOT) == (0.0, 3.0)


def test_autoscaling_minimum_sets_the_task_count():
    target = {
        "type": "aws:appautoscaling/target:Target",
        "name": "scaling",
        "parent": "web-service",
        "inputs": {"resourceId": "service/c/web", "minCapacity": 3, "maxCapacity": 10},
    }
    kinds = by_kind(estimate([svc(desiredCount=None), td(), target]))
    assert kinds["fargate-vcpu"] == pytest.approx(3 * 0.25 * 730 * 0.04048, abs=1e-3)


def test_load_balancer_and_nat_gateways():
    alb = {
        "type": "aws:lb/loadBalancer:LoadBalancer",
        "name": "alb",
        "parent": "platform",
        "inputs": {"internal": False, "subnets": ["p1", "p2"]},
    }
    vpc = {
        "type": "awsx:ec2:Vpc",
        "name": "vpc",
        "parent": "platform",
        "inputs": {"natGateways": {"strategy": "OnePerAz"}, "numberOfAvailabilityZones": 3},
    }
    kinds = by_kind(estimate([alb, vpc]))
    # ALB 730 x 0.0225 = 16.425; 1 LCU x 730 x 0.008 = 5.84; 2 + 3 public IPv4 x 730 x 0.005 = 7.30 + 10.95;
    # 3 NAT x 730 x 0.045 = 98.55; 3 x 10 GB x 0.045 = 1.35.
    assert kinds == pytest.approx(
        {"alb-hours": 16.425, "alb-lcu": 5.84, "public-ipv4": 18.25, "nat-hours": 98.55, "nat-data": 1.35}, abs=1e-4
    )


@pytest.mark.parametrize(
    ("inputs", "count"),
    [
        ({}, 3),  # awsx defaults: three zones, one NAT gateway each
        ({"natGateways": {"strategy": "None"}}, 0),
        ({"natGateways": {"strategy": "Single"}, "numberOfAvailabilityZones": 3}, 1),
        ({"natGateways": {"strategy": "OnePerAz"}, "numberOfAvailabilityZones": 2}, 2),
        ({"availabilityZoneNames": ["a", "b", "c", "d"]}, 4),
    ],
)
def test_nat_gateways_of_an_awsx_vpc(inputs: dict, count: int):
    assert nat_gateway_count(Resource(type="awsx:ec2:Vpc", name="vpc", inputs=inputs)) == count


def test_prices_are_region_aware_dated_and_sourced():
    assert {"us-east-1", "eu-west-1"} <= set(regions())
    eu = load_prices("eu-west-1")
    assert eu.prices["alb_hour"] == 0.0252 and eu.fallback_from is None
    assert eu.as_of and "fargate" in eu.sources
    other = load_prices("ap-south-2")
    assert other.region == "us-east-1" and other.fallback_from == "ap-south-2"
    report = estimate([], region="ap-south-2")
    assert report.notes[0].startswith("no prices for ap-south-2")
    assert json.loads(json.dumps(report.to_json()))["total_monthly_usd"] == 0


def test_shared_repository_storage():
    repo = {"type": "aws:ecr/repository:Repository", "name": "repo", "parent": None, "inputs": {}}
    assert by_kind(estimate([repo])) == {"ecr-storage": 0.5}
