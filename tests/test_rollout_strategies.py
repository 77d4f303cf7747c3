"""Rollout report per strategy: time to full traffic and to an alarm rollback, against hand-computed figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ecsdelivery.reports.rollout import RolloutBudget, markdown, report
from ecsdelivery.resources import Resource
from ecsdelivery.synth import synthesize

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web@sha256:" + "ab" * 32
# 10 s x 3 checks + 20 s draining: healthy after 30 s, replaced in 50 s.
BASE: dict[str, Any] = {"interval": 10, "healthy_threshold": 3, "deregistration_delay": 20}


@pytest.mark.parametrize(
    ("strategy", "full", "complete", "rollback"),
    [
        # rolling: detection 180 s, then the old revision's tasks replace the new ones (50 s)
        ({"strategy": "ROLLING"}, 30, 50, 230),
        ({"strategy": "BLUE_GREEN", "bake_minutes": 5}, 30, 30 + 300 + 20, 180),
        # canary: 5 min at 10 % before all traffic moves
        ({"strategy": "CANARY", "canary_percent": 10, "canary_bake_minutes": 5, "bake_minutes": 5}, 330, 650, 180),
        # linear 25 % every 2 min: 25, 50, 75, 100 -> three intervals
        (
            {"strategy": "LINEAR", "linear_step_percent": 25, "linear_interval_minutes": 2, "bake_minutes": 0},
            390,
            410,
            180,
        ),
    ],
)
def test_strategy_arithmetic(strategy: dict[str, Any], full: float, complete: float, rollback: float) -> None:
    budget = RolloutBudget("web", **BASE, **strategy, alarm_detection_seconds=180)
    assert budget.time_to_full_traffic == full
    assert budget.time_to_complete == complete
    assert budget.time_to_rollback == rollback


def test_without_alarm_rollback_there_is_no_rollback_time() -> None:
    budget = RolloutBudget("web", **BASE)
    assert budget.time_to_rollback is None
    assert budget.safety() == "ROLLING: all traffic after 30 s; no alarm rollback"


def test_a_bake_shorter_than_detection_is_flagged() -> None:
    budget = RolloutBudget("web", **BASE, strategy="BLUE_GREEN", bake_minutes=1, alarm_detection_seconds=180)
    assert "[bake 1 min is shorter than detection]" in budget.safety()


def _alarm(name: str, periods: int, period: int) -> Resource:
    queries = [{"id": "m", "returnData": True, "metric": {"period": period, "stat": "Sum"}}]
    inputs = {"name": name, "evaluationPeriods": periods, "metricQueries": queries}
    return Resource(type="aws:cloudwatch/metricAlarm:MetricAlarm", name=name, parent="web", inputs=inputs)


def test_detection_is_read_from_the_slowest_alarm_the_service_watches() -> None:
    service = Resource(
        type="aws:ecs/service:Service",
        name="web-service",
        parent="web",
        inputs={
            "loadBalancers": [{"targetGroupArn": "arn:aws:elasticloadbalancing:r:1:targetgroup/tg/1"}],
            "deploymentConfiguration": {"strategy": "CANARY", "canaryConfiguration": {"canaryBakeTimeInMinutes": "3"}},
            "alarms": {"alarmNames": ["a", "b"], "enable": True, "rollback": True},
        },
    )
    tg = Resource(type="aws:lb/targetGroup:TargetGroup", name="tg", parent="web", inputs={"name": "tg"})
    (budget,) = report([service, tg, _alarm("a", 2, 60), _alarm("b", 3, 120), _alarm("other", 9, 3600)])
    assert budget.alarm_detection_seconds == (3 + 1) * 120
    assert budget.canary_bake_minutes == 3
    assert budget.time_to_rollback == 480


def test_prod_report_shows_the_canary_and_its_rollback() -> None:
    result = synthesize("prod", image=IMAGE, stacks_dir=str(ROOT / "stacks"))
    (budget,) = report(result.resources)
    assert (budget.strategy, budget.canary_percent, budget.canary_bake_minutes, budget.bake_minutes) == (
        "CANARY",
        10,
        5,
        5,
    )
    assert budget.time_to_full_traffic == 30 + 300
    assert budget.time_to_rollback == 180 and budget.bake_covers_detection
    text = markdown(result.resources, "prod")
    assert "Strategy **CANARY 10% for 5 min, bake 5 min**: all traffic after 330 s; alarm rollback within 180 s" in text


def test_dev_rolls_and_still_rolls_back_on_alarms() -> None:
    result = synthesize("dev", image=IMAGE, stacks_dir=str(ROOT / "stacks"))
    (budget,) = report(result.resources)
    assert budget.strategy == "ROLLING"
    assert budget.time_to_rollback == 180 + 15
