"""Cost of the hardened edge: access-log storage (us-east-1 prices of ecsdelivery/data/prices.json)."""

from __future__ import annotations

from typing import Any

from ecsdelivery.reports.cost import estimate

LB = "aws:lb/loadBalancer:LoadBalancer"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"


def _lb(access_logs: dict[str, Any] | None) -> dict[str, Any]:
    inputs: dict[str, Any] = {"internal": False, "subnets": ["a", "b"]}
    if access_logs is not None:
        inputs["accessLogs"] = access_logs
    return {"type": LB, "name": "alb", "parent": "platform", "inputs": inputs}


def _lifecycle(days: int, status: str = "Enabled") -> dict[str, Any]:
    rule = {"id": "expire", "status": status, "expiration": {"days": days}}
    return {"type": LIFECYCLE, "name": "lc", "parent": "platform", "inputs": {"bucket": "logs", "rules": [rule]}}


def _access_logs(resources: list[dict[str, Any]]) -> list[Any]:
    return [i for i in estimate(resources, region="us-east-1").items if i.kind == "access-logs"]


def test_access_logs_are_stored_for_the_buckets_expiry() -> None:
    (item,) = _access_logs([_lb({"bucket": "logs", "enabled": True}), _lifecycle(90)])
    # 1 GB a month, kept 90 days = 90 / 30.4167 months of it stored: 2.959 GB-month at 0.023 USD
    assert item.quantity == round(90 / (730 / 24), 4)
    assert item.monthly_usd == round(item.quantity * 0.023, 4)


def test_without_an_expiry_a_year_is_counted_and_disabled_rules_do_not_count() -> None:
    (item,) = _access_logs([_lb({"bucket": "logs"}), _lifecycle(7, status="Disabled")])
    assert item.quantity == round(365 / (730 / 24), 4)


def test_no_access_logs_no_item() -> None:
    assert _access_logs([_lb(None)]) == []
    assert _access_logs([_lb({"bucket": "logs", "enabled": False}), _lifecycle(90)]) == []


def test_alarms_are_priced_per_metric_they_read() -> None:
    alarm = "aws:cloudwatch/metricAlarm:MetricAlarm"
    two_groups = [{"id": f"m{i}", "metric": {"metricName": "x"}} for i in range(4)] + [
        {"id": "worst", "expression": "1"}
    ]
    resources = [
        {"type": alarm, "name": "a", "parent": "web", "inputs": {"metricQueries": two_groups}},
        {"type": alarm, "name": "b", "parent": "web", "inputs": {"metricName": "UnHealthyHostCount"}},
    ]
    items = {i.resource: i for i in estimate(resources, region="us-east-1").items if i.kind == "alarm"}
    assert (items["a"].quantity, items["a"].monthly_usd) == (4, 0.4)
    assert (items["b"].quantity, items["b"].monthly_usd) == (1, 0.1)
