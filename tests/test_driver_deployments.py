"""The pure part of reading ECS deployments and recording rollbacks: API answers -> records -> tag values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ecs_deployments import check_answer

from ecsdelivery.driver import deployments, rollbacks
from ecsdelivery.driver.deployments import EcsDeployment, ServiceState

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
BASE = "arn:aws:ecs:us-east-1:123456789012"
D1, D2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64


def described(status: str, **extra: object) -> dict:
    entry = {
        "serviceDeploymentArn": f"{BASE}:service-deployment/c/web/d1",
        "serviceArn": f"{BASE}:service/c/web",
        "clusterArn": f"{BASE}:cluster/c",
        "createdAt": T0,
        "status": status,
        **extra,
    }
    check_answer("DescribeServiceDeployments", {"serviceDeployments": [entry]})  # a shape AWS can send
    return entry


@pytest.mark.parametrize(
    ("extra", "trigger", "cause"),
    [
        ({"alarms": {"status": "TRIGGERED", "triggeredAlarmNames": ["web-5xx"]}}, "alarm", "alarm web-5xx"),
        (
            {"alarms": {"triggeredAlarmNames": ["web-5xx", "web-latency"]}},
            "alarm",
            "alarms web-5xx, web-latency",
        ),
        ({"deploymentCircuitBreaker": {"status": "TRIGGERED"}}, "circuit-breaker", "circuit breaker"),
        ({"rollback": {"reason": "hook failed", "startedAt": T0 + timedelta(minutes=3)}}, "ecs", "hook failed"),
    ],
)
def test_a_described_rollback_says_what_triggered_it(extra: dict, trigger: str, cause: str) -> None:
    deployment = deployments.parse_deployment(described("ROLLBACK_SUCCESSFUL", **extra))
    assert deployment.rolled_back and not deployment.running
    assert (deployment.trigger, deployment.cause()) == (trigger, cause)
    rollback = extra.get("rollback")
    assert deployment.when == (rollback["startedAt"] if isinstance(rollback, dict) else T0)


def test_newest_deployment_and_newest_rollback_are_picked_by_time_not_order() -> None:
    listed = {
        "serviceDeployments": [
            {"serviceDeploymentArn": "a", "createdAt": T0, "status": "SUCCESSFUL"},
            {"serviceDeploymentArn": "c", "createdAt": T0 + timedelta(hours=2), "status": "IN_PROGRESS"},
            {"serviceDeploymentArn": "b", "createdAt": T0 + timedelta(hours=1), "status": "ROLLBACK_FAILED"},
        ]
    }
    assert deployments.newest_arns(listed) == ("c", "b")
    assert deployments.newest_arns({"serviceDeployments": []}) == (None, None)


def _state(status: str, running: str) -> ServiceState:
    latest = EcsDeployment(arn="x", status=status, created_at=T0)
    return ServiceState("web", "acme-web", running, None, latest, latest if latest.rolled_back else None)


@pytest.mark.parametrize(
    ("status", "running", "counts"),
    [
        ("ROLLBACK_SUCCESSFUL", "td:1", True),  # ECS went back; the stack says td:2
        ("ROLLBACK_SUCCESSFUL", "td:2", False),  # the stack deployed what ECS went back to: they agree
        ("ROLLBACK_IN_PROGRESS", "td:2", True),
        ("SUCCESSFUL", "td:1", False),  # changed outside: `outputs` warns, `up` does not call it a rollback
        ("IN_PROGRESS", "td:2", False),
    ],
)
def test_a_rollback_counts_while_ecs_runs_something_else_than_the_stack(
    status: str, running: str, counts: bool
) -> None:
    found = deployments.rolled_back([_state(status, running)], {"web": "td:2"})
    assert bool(found) is counts


def test_a_record_fits_a_tag_value_and_reads_back() -> None:
    manual = rollbacks.manual(T0, D2, D1)
    assert rollbacks.encode(manual) == f"by=manual;at=2026-05-01T12:00:00Z;from={D2};to={D1}"
    assert rollbacks.decode(rollbacks.encode(manual)) == manual
    many = tuple(f"acme-production-web-service-alarm-{n}" for n in range(10))
    record = rollbacks.RollbackRecord("ecs", "2026-05-01T12:00:00Z", "web:12", "web:11", "web", "ROLLBACK_SUCCESSFUL",
                                      "alarm", many)  # fmt: skip
    value = rollbacks.encode(record)
    assert len(value) <= rollbacks.TAG_VALUE_LIMIT and value.endswith(",...")
    back = rollbacks.decode(value)
    assert back is not None and back.alarms == many[: len(back.alarms)] and 0 < len(back.alarms) < len(many)
    assert (back.source, back.target, back.service) == ("web:12", "web:11", "web")
    assert rollbacks.decode("something else") is None and rollbacks.decode(None) is None


@pytest.mark.parametrize(
    ("by", "deployed", "agrees", "kept"),
    [
        ("manual", D1, None, True),  # config-only up: still on the rolled-back digest
        ("manual", D2, True, False),  # another image went out
        ("ecs", D2, True, False),  # ECS runs what the stack says again
        ("ecs", D2, None, True),  # ECS could not be asked: keep what we know
    ],
)
def test_a_later_up_keeps_or_clears_the_record(by: str, deployed: str, agrees: bool | None, kept: bool) -> None:
    record = rollbacks.RollbackRecord(by, "2026-05-01T12:00:00Z", D2, D1)
    assert rollbacks.keep_after_up(record, deployed, agrees) is kept


def test_after_a_failed_update_only_a_rollback_of_its_own_deployment_counts() -> None:
    state = _state("ROLLBACK_SUCCESSFUL", "td:1")  # its deployment was created at T0
    assert deployments.rolled_back_since([state], T0 + timedelta(seconds=30)) == [state]  # clocks differ a little
    assert deployments.rolled_back_since([state], T0 + timedelta(minutes=5)) == []  # an older rollback
    assert deployments.rolled_back_since([_state("SUCCESSFUL", "td:1")], T0) == []
