"""Monthly cost estimate of what a stack creates, from its synthesised resources and a dated price table.

`estimate(resources, region=...)` prices, for one month of 730 hours:

- Fargate tasks: per service, the autoscaling minimum (or the desired count) x the task's vCPU and GB, split
  between FARGATE and FARGATE_SPOT by the capacity provider strategy (base first, then weights), at the
  x86 or ARM rate of the task definition's runtimePlatform;
- public IPv4 addresses: tasks with assignPublicIp, one per zone of an internet-facing load balancer, one per
  NAT gateway (AWS charges every public IPv4 address by the hour);
- load balancers: per hour plus an assumed average LCU count;
- NAT gateways: those the stack declares, and those the awsx VPC makes (its `natGateways.strategy` and
  number of zones: awsx is a remote component, so under mocks its children are invisible);
- log groups: an assumed ingestion per running task, stored for the group's retention;
- ECR repositories: an assumed amount of image storage;
- load balancer access logs: an assumed volume per month, stored in S3 for the bucket's lifecycle expiry;
- CloudWatch alarms: per metric each alarm reads (a metric-math alarm is billed for every metric in it);
- WAF web ACLs: per ACL, per rule (a managed rule group is one), and an assumed number of requests;
- KMS keys: per customer-managed key (requests within the free tier);
- SNS topics: an assumed number of alarm notifications a month, published once and delivered to each e-mail and
  HTTPS subscription (a topic itself costs nothing).

Resources a stack only references (a preview's load balancer, NAT and cluster belong to dev's platform) are
not counted again. Prices and assumptions live in `ecsdelivery/data/prices.json` (dated, with sources).

    report = estimate(synthesize("preview", pr=42).resources, region="us-east-1")
    report.total_monthly_usd   # about 2.8
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources as package_files
from typing import Any

from ecsdelivery.resources import (
    Resource,
    as_list,
    as_resources,
    get,
    minimum_tasks,
    number,
    services,
    task_definition_for,
)

HOURS_PER_MONTH = 730
DEFAULT_REGION = "us-east-1"
AWSX_VPC = "awsx:ec2:Vpc"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
REPOSITORY = "aws:ecr/repository:Repository"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
BUCKET_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
KMS_KEY = "aws:kms/key:Key"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
#: Days an access log is counted as stored when its bucket has no expiry rule (a year: not forever).
UNEXPIRED_LOG_DAYS = 365
# awsx's defaults when the VPC's inputs do not say: three zones, one NAT gateway per zone.
AWSX_DEFAULT_ZONES = 3
AWSX_DEFAULT_NAT = "OnePerAz"


@dataclass(frozen=True)
class PriceTable:
    """One region's prices (USD) with the table's date, sources and assumptions."""

    region: str
    prices: Mapping[str, Any]
    assumptions: Mapping[str, float]
    as_of: str
    sources: Mapping[str, str]
    notes: tuple[str, ...] = ()
    fallback_from: str | None = None  # the region asked for when the table has no row for it

    def fargate(self, spot: bool, architecture: str) -> tuple[float, float]:
        """(per vCPU-hour, per GB-hour) for on-demand or Spot, x86_64 or arm64."""
        prefix = "fargate_spot" if spot else "fargate"
        arch = "arm64" if architecture.lower() in ("arm64", "arm") else "x86_64"
        return self.prices[f"{prefix}_vcpu_hour"][arch], self.prices[f"{prefix}_gb_hour"][arch]


@cache
def _table() -> dict[str, Any]:
    text = package_files.files("ecsdelivery").joinpath("data/prices.json").read_text(encoding="utf-8")
    return json.loads(text)


def regions() -> list[str]:
    """Regions the price table covers."""
    return sorted(_table()["regions"])


def load_prices(region: str | None = None) -> PriceTable:
    """The price table for `region`; a region without a row gets us-east-1's prices, marked as a fallback."""
    table = _table()
    wanted = region or DEFAULT_REGION
    row = table["regions"].get(wanted)
    fallback = None
    if row is None:
        fallback, wanted, row = wanted, DEFAULT_REGION, table["regions"][DEFAULT_REGION]
    return PriceTable(
        region=wanted,
        prices=row,
        assumptions=dict(table["assumptions"]),
        as_of=table["as_of"],
        sources=dict(table["sources"]),
        notes=tuple(table.get("notes", ())),
        fallback_from=fallback,
    )


@dataclass(frozen=True)
class CostItem:
    """One priced line: what, how much of it per month, at what unit price."""

    resource: str
    kind: str
    description: str
    quantity: float
    unit: str
    unit_price_usd: float
    monthly_usd: float


@dataclass
class CostReport:
    """Every priced item and the monthly total, with the price table's provenance."""

    region: str
    items: list[CostItem] = field(default_factory=list)
    prices_as_of: str = ""
    sources: Mapping[str, str] = field(default_factory=dict)
    assumptions: Mapping[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    stack: str | None = None

    @property
    def total_monthly_usd(self) -> float:
        return round(sum(item.monthly_usd for item in self.items), 2)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "region": self.region,
            "hours_per_month": HOURS_PER_MONTH,
            "items": [asdict(item) for item in self.items],
            "total_monthly_usd": self.total_monthly_usd,
            "prices_as_of": self.prices_as_of,
            "sources": dict(self.sources),
            "assumptions": dict(self.assumptions),
            "notes": list(self.notes),
        }


def _item(resource: str, kind: str, description: str, quantity: float, unit: str, price: float) -> CostItem:
    return CostItem(resource, kind, description, round(quantity, 4), unit, price, round(quantity * price, 4))


def capacity_split(service: Resource, tasks: float, cluster_default: Sequence[Any] = ()) -> tuple[float, float]:
    """(on-demand tasks, Spot tasks) for `tasks` under the service's capacity provider strategy.

    ECS places `base` tasks on the provider that has one first, then splits the rest by weight. With no
    strategy, the cluster's default strategy applies, else (launchType FARGATE) all tasks are on-demand.
    """
    strategy = [s for s in as_list(service.inputs.get("capacityProviderStrategies")) if isinstance(s, Mapping)]
    if not strategy and not service.inputs.get("launchType"):
        strategy = [s for s in cluster_default if isinstance(s, Mapping)]
    if not strategy:
        return tasks, 0.0
    on_demand = spot = 0.0
    remaining = tasks
    for entry in strategy:
        base = min(number(entry.get("base")) or 0.0, remaining)
        if entry.get("capacityProvider") == "FARGATE_SPOT":
            spot += base
        else:
            on_demand += base
        remaining -= base
    weights = [(entry, number(entry.get("weight")) or 0.0) for entry in strategy]
    total = sum(weight for _, weight in weights)
    if remaining > 0 and total > 0:
        spot_weight = sum(weight for entry, weight in weights if entry.get("capacityProvider") == "FARGATE_SPOT")
        spot += remaining * spot_weight / total
        on_demand += remaining * (total - spot_weight) / total
    elif remaining > 0:
        on_demand += remaining
    return on_demand, spot


def _fargate_items(resources: Sequence[Resource], table: PriceTable, hours: float) -> tuple[list[CostItem], dict]:
    """Fargate lines per service, and the running tasks per task definition (for the log estimate)."""
    items: list[CostItem] = []
    tasks_by_definition: dict[str, float] = {}
    cluster_default: list[Any] = []
    for r in resources:
        if r.type == "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders":
            cluster_default = as_list(r.inputs.get("defaultCapacityProviderStrategies"))
    for service in services(resources):
        tasks = minimum_tasks(service, resources) or 0.0
        definition = task_definition_for(service, resources)
        if definition is None or tasks <= 0:
            continue
        tasks_by_definition[definition.name] = tasks_by_definition.get(definition.name, 0.0) + tasks
        vcpu = (number(definition.inputs.get("cpu")) or 256) / 1024
        gb = (number(definition.inputs.get("memory")) or 512) / 1024
        architecture = str(get(definition.inputs, "runtimePlatform.cpuArchitecture", "X86_64"))
        arch_label = "ARM" if architecture.upper() == "ARM64" else "x86"
        on_demand, spot = capacity_split(service, tasks, cluster_default)
        for count, is_spot in ((on_demand, False), (spot, True)):
            if count <= 0:
                continue
            per_vcpu, per_gb = table.fargate(is_spot, architecture)
            capacity = "Spot" if is_spot else "on-demand"
            shape = f"{count:g} task(s) x {vcpu:g} vCPU / {gb:g} GB, {arch_label}, {capacity}"
            items.append(
                _item(service.name, "fargate-vcpu", shape, count * vcpu * hours, "vCPU-hour", per_vcpu),
            )
            items.append(_item(service.name, "fargate-memory", shape, count * gb * hours, "GB-hour", per_gb))
        if get(service.inputs, "networkConfiguration.assignPublicIp") is True:
            items.append(
                _item(
                    service.name,
                    "public-ipv4",
                    f"{tasks:g} task public IPv4 address(es)",
                    tasks * hours,
                    "IP-hour",
                    table.prices["public_ipv4_hour"],
                )
            )
    return items, tasks_by_definition


def nat_gateway_count(vpc: Resource) -> int:
    """NAT gateways an awsx VPC creates, from its inputs and awsx's defaults."""
    strategy = get(vpc.inputs, "natGateways.strategy", AWSX_DEFAULT_NAT)
    zones = len(as_list(vpc.inputs.get("availabilityZoneNames"))) or int(
        number(vpc.inputs.get("numberOfAvailabilityZones")) or AWSX_DEFAULT_ZONES
    )
    return {"None": 0, "Single": 1}.get(str(strategy), zones)


def _network_items(resources: Sequence[Resource], table: PriceTable, hours: float) -> list[CostItem]:
    items: list[CostItem] = []
    p, a = table.prices, table.assumptions
    for lb in (r for r in resources if r.type in LOAD_BALANCERS):
        items.append(_item(lb.name, "alb-hours", "Application Load Balancer", hours, "ALB-hour", p["alb_hour"]))
        lcu = a["alb_lcu_per_hour"]
        items.append(
            _item(lb.name, "alb-lcu", f"assumed {lcu:g} LCU on average", lcu * hours, "LCU-hour", p["alb_lcu_hour"])
        )
        if lb.inputs.get("internal") is not True:
            zones = max(len(as_list(lb.inputs.get("subnets"))), 2)
            items.append(
                _item(
                    lb.name,
                    "public-ipv4",
                    f"{zones} public IPv4 (one per zone)",
                    zones * hours,
                    "IP-hour",
                    p["public_ipv4_hour"],
                )
            )
    nats = [(r.name, 1) for r in resources if r.type == NAT_GATEWAY]
    nats += [(r.name, nat_gateway_count(r)) for r in resources if r.type == AWSX_VPC]
    for name, count in nats:
        if count <= 0:
            continue
        gb = a["nat_gb_per_month"]
        items.append(_item(name, "nat-hours", f"{count} NAT gateway(s)", count * hours, "NAT-hour", p["nat_hour"]))
        items.append(_item(name, "nat-data", f"assumed {gb:g} GB/month per NAT", count * gb, "GB", p["nat_gb"]))
        items.append(
            _item(name, "public-ipv4", f"{count} NAT Elastic IP(s)", count * hours, "IP-hour", p["public_ipv4_hour"])
        )
    return items


def _log_items(
    resources: Sequence[Resource], tasks_by_definition: Mapping[str, float], table: PriceTable
) -> list[CostItem]:
    """Ingestion and steady-state storage per log group, for the tasks of its task definition's component."""
    items: list[CostItem] = []
    p, a = table.prices, table.assumptions
    definitions = {r.name: r for r in resources}
    for group in (r for r in resources if r.type == LOG_GROUP):
        tasks = sum(
            count
            for name, count in tasks_by_definition.items()
            if definitions[name].parent is not None and definitions[name].parent == group.parent
        )
        if tasks <= 0:
            continue
        ingest = tasks * a["log_gb_per_task_month"]
        retention = number(group.inputs.get("retentionInDays")) or a["log_retention_days_when_unset"]
        stored = ingest * min(retention, 3650) / (HOURS_PER_MONTH / 24)  # months kept x GB per month
        items.append(
            _item(group.name, "logs-ingest", f"assumed {ingest:g} GB/month", ingest, "GB", p["logs_ingest_gb"])
        )
        items.append(
            _item(
                group.name, "logs-storage", f"{retention:g} days kept", stored, "GB-month", p["logs_storage_gb_month"]
            )
        )
    return items


def _access_log_items(resources: Sequence[Resource], table: PriceTable) -> list[CostItem]:
    """S3 storage of each load balancer's access logs: an assumed volume a month, kept for the bucket's expiry."""
    items: list[CostItem] = []
    expiry: dict[str, float] = {}
    for config in (r for r in resources if r.type == BUCKET_LIFECYCLE):
        days = [
            number(get(rule, "expiration.days"))
            for rule in as_list(config.inputs.get("rules"))
            if isinstance(rule, Mapping) and rule.get("status") == "Enabled"
        ]
        known = [d for d in days if d]
        if known:
            expiry[str(config.inputs.get("bucket"))] = min(known)
    for lb in (r for r in resources if r.type in LOAD_BALANCERS):
        logs = lb.inputs.get("accessLogs")
        if not isinstance(logs, Mapping) or logs.get("enabled") is False or not logs.get("bucket"):
            continue
        gb = table.assumptions["alb_access_log_gb_month"]
        days = expiry.get(str(logs["bucket"]), UNEXPIRED_LOG_DAYS)
        stored = gb * days / (HOURS_PER_MONTH / 24)
        items.append(
            _item(
                lb.name,
                "access-logs",
                f"assumed {gb:g} GB/month of access logs, {days:g} days kept in S3",
                stored,
                "GB-month",
                table.prices["s3_storage_gb_month"],
            )
        )
    return items


def _alarm_items(resources: Sequence[Resource], table: PriceTable) -> list[CostItem]:
    """Each standard-resolution alarm, per metric it reads."""
    items: list[CostItem] = []
    for alarm in (r for r in resources if r.type == METRIC_ALARM):
        queries = [q for q in as_list(alarm.inputs.get("metricQueries")) if isinstance(q, Mapping)]
        metrics = sum(1 for q in queries if isinstance(q.get("metric"), Mapping)) or 1
        items.append(
            _item(
                alarm.name,
                "alarm",
                f"CloudWatch alarm reading {metrics} metric(s)",
                metrics,
                "alarm-metric",
                table.prices["alarm_metric_month"],
            )
        )
    return items


def _edge_items(resources: Sequence[Resource], table: PriceTable) -> list[CostItem]:
    """WAF web ACLs (ACL, rules, assumed requests) and customer-managed KMS keys."""
    items: list[CostItem] = []
    p, a = table.prices, table.assumptions
    for acl in (r for r in resources if r.type == WEB_ACL):
        rules = len(as_list(acl.inputs.get("rules")))
        requests = a["alb_million_requests_month"]
        items.append(_item(acl.name, "waf-acl", "WAF web ACL", 1, "ACL-month", p["waf_web_acl_month"]))
        items.append(_item(acl.name, "waf-rules", f"{rules} rule(s)", rules, "rule-month", p["waf_rule_month"]))
        items.append(
            _item(
                acl.name,
                "waf-requests",
                f"assumed {requests:g} million requests/month",
                requests,
                "million",
                p["waf_million_requests"],
            )
        )
    for key in (r for r in resources if r.type == KMS_KEY):
        items.append(_item(key.name, "kms-key", "customer-managed KMS key", 1, "key-month", p["kms_key_month"]))
    return items


def _topic_items(resources: Sequence[Resource], table: PriceTable) -> list[CostItem]:
    """SNS topics: the assumed notifications published, and delivered to each subscription of the topic."""
    items: list[CostItem] = []
    p, notifications = table.prices, table.assumptions["alarm_notifications_month"]
    subscriptions = [r for r in resources if r.type == SUBSCRIPTION]
    for topic in (r for r in resources if r.type == TOPIC):
        what = f"assumed {notifications:g} notifications/month"
        items.append(
            _item(topic.name, "sns-publishes", what, notifications / 1e6, "million", p["sns_million_publishes"])
        )
        for protocol, unit, size, price in (
            ("email", "100k e-mails", 1e5, p["sns_100k_email"]),
            ("https", "million", 1e6, p["sns_million_https"]),
        ):
            # A topic's subscriptions are its siblings in the AlarmTopic component.
            count = sum(1 for s in subscriptions if s.inputs.get("protocol") == protocol and s.parent == topic.parent)
            if count:
                deliveries = notifications * count
                items.append(
                    _item(topic.name, f"sns-{protocol}", f"{what} x {count} {protocol}", deliveries / size, unit, price)
                )
    return items


def estimate(
    resources: Iterable[Mapping[str, Any] | Resource],
    *,
    region: str | None = None,
    prices: PriceTable | None = None,
    hours: float = HOURS_PER_MONTH,
    stack: str | None = None,
) -> CostReport:
    """The monthly cost of `resources` (synth dicts or `Resource`s) at `region`'s prices."""
    table = prices or load_prices(region)
    items_in = as_resources(resources)
    fargate, tasks_by_definition = _fargate_items(items_in, table, hours)
    items = fargate + _network_items(items_in, table, hours) + _log_items(items_in, tasks_by_definition, table)
    items += _access_log_items(items_in, table) + _alarm_items(items_in, table) + _edge_items(items_in, table)
    items += _topic_items(items_in, table)
    for repository in (r for r in items_in if r.type == REPOSITORY):
        gb = table.assumptions["ecr_storage_gb"]
        items.append(
            _item(
                repository.name,
                "ecr-storage",
                f"assumed {gb:g} GB of images",
                gb,
                "GB-month",
                table.prices["ecr_storage_gb_month"],
            )
        )
    notes = list(table.notes)
    if table.fallback_from:
        notes.insert(0, f"no prices for {table.fallback_from}: {table.region} prices used")
    return CostReport(
        region=table.region,
        items=items,
        prices_as_of=table.as_of,
        sources=table.sources,
        assumptions=table.assumptions,
        notes=notes,
        stack=stack,
    )


def render(report: CostReport) -> list[str]:
    """The report as a text table: one line per item, then the total and the table's provenance."""
    lines = [
        f"cost estimate {report.stack or ''} ({report.region}, {HOURS_PER_MONTH} h/month, "
        f"prices of {report.prices_as_of})"
    ]
    width = max([len(i.resource) for i in report.items] + [8])
    lines.append(
        f"  {'resource':<{width}}  {'item':<14}  {'quantity':>12}  {'unit':<9}  {'USD/unit':>9}  "
        f"{'USD/month':>9}  detail"
    )
    for i in report.items:
        lines.append(
            f"  {i.resource:<{width}}  {i.kind:<14}  {i.quantity:>12,.2f}  {i.unit:<9}  {i.unit_price_usd:>9.5f}  "
            f"{i.monthly_usd:>9.2f}  {i.description}"
        )
    lines.append(f"  total: {report.total_monthly_usd:.2f} USD/month")
    assumed = ", ".join(f"{k}={v:g}" for k, v in report.assumptions.items())
    lines.append(f"  assumptions: {assumed}")
    for note in report.notes[:1]:
        lines.append(f"  note: {note}")
    return lines


def fargate_monthly(
    vcpu: float,
    gb: float,
    *,
    tasks: float = 1,
    spot: bool = False,
    architecture: str = "x86_64",
    region: str | None = None,
) -> float:
    """Monthly Fargate cost of `tasks` tasks of one size: what peers' defaults are compared with."""
    per_vcpu, per_gb = load_prices(region).fargate(spot, architecture)
    return round(tasks * (vcpu * per_vcpu + gb * per_gb) * HOURS_PER_MONTH, 4)


__all__ = [
    "HOURS_PER_MONTH",
    "CostItem",
    "CostReport",
    "PriceTable",
    "capacity_split",
    "estimate",
    "fargate_monthly",
    "load_prices",
    "nat_gateway_count",
    "regions",
    "render",
]
