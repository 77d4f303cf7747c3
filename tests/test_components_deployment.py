"""Deployment strategies and rollback alarms: config, component resources, payload checks, the program."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from components_support import LABEL, platform_ref, run
from config_helpers import assert_refused, write_stacks

from ecsdelivery.components.deployment import LOAD_BALANCER_INFRASTRUCTURE_POLICY, deployment_configuration
from ecsdelivery.components.rollback_alarms import metric_queries
from ecsdelivery.components.service import FargateService, FargateServiceArgs
from ecsdelivery.components.task_definition import ContainerArgs, FargateTaskDefinition, FargateTaskDefinitionArgs
from ecsdelivery.config import load_stack
from ecsdelivery.settings import DeploymentArgs, DeploymentStrategyArgs, RollbackAlarmsArgs
from ecsdelivery.synth import synthesize
from ecsdelivery.synth.awsshapes import check_resource, check_resources

ROOT = Path(__file__).resolve().parents[1]
SERVICE = "aws:ecs/service:Service"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web@sha256:" + "ab" * 32


def _service(
    host: str | None = "web.example.com",
    strategy: DeploymentStrategyArgs | None = None,
    alarms: RollbackAlarmsArgs | None = None,
) -> None:
    port = 8080 if host is not None else None
    deployment = DeploymentArgs(strategy=strategy or DeploymentStrategyArgs(), alarms=alarms)
    task = FargateTaskDefinition(
        "web-task",
        FargateTaskDefinitionArgs(label=LABEL, containers=[ContainerArgs(name="web", image="nginx", port=port)]),
    )
    FargateService(
        "web",
        FargateServiceArgs(
            label=LABEL, platform=platform_ref(), task_definition=task, host=host, deployment=deployment
        ),
    )


# --- pure: the deploymentConfiguration block per strategy ------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (DeploymentStrategyArgs(), {"strategy": "ROLLING"}),
        (
            DeploymentStrategyArgs(strategy="blue_green", bake_time_minutes=15),
            {"strategy": "BLUE_GREEN", "bake_time_in_minutes": "15"},
        ),
        (
            DeploymentStrategyArgs(strategy="canary", canary_percent=5, canary_bake_minutes=10),
            {
                "strategy": "CANARY",
                "bake_time_in_minutes": "5",
                "canary_configuration": {"canary_percent": 5.0, "canary_bake_time_in_minutes": "10"},
            },
        ),
        (
            DeploymentStrategyArgs(strategy="linear", linear_step_percent=20, linear_interval_minutes=3),
            {
                "strategy": "LINEAR",
                "bake_time_in_minutes": "5",
                "linear_configuration": {"step_percent": 20.0, "step_bake_time_in_minutes": "3"},
            },
        ),
    ],
)
def test_deployment_configuration_per_strategy(args: DeploymentStrategyArgs, expected: dict[str, Any]) -> None:
    assert deployment_configuration(args) == expected


@pytest.mark.parametrize(
    "overrides",
    [{"strategy": "big_bang"}, {"bake_time_minutes": 1441}, {"canary_percent": 0}, {"linear_step_percent": 2}],
)
def test_strategy_args_refuse_what_ecs_refuses(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        DeploymentStrategyArgs(**overrides)


def test_alarm_periods_are_whole_minutes() -> None:
    with pytest.raises(ValueError, match="multiple of 60"):
        RollbackAlarmsArgs(period_seconds=30)


def test_one_target_group_returns_its_own_series() -> None:
    queries = metric_queries("latency", load_balancer="app/lb/1", target_groups=["targetgroup/tg/1"], period=60)
    assert [(q["id"], q["return_data"]) for q in queries] == [("l0", True)]
    assert queries[0]["metric"]["stat"] == "p99"


def test_two_target_groups_alarm_on_the_worst() -> None:
    queries = metric_queries("5xx", load_balancer="app/lb/1", target_groups=["tg/a", "tg/b"], period=60)
    ids = [q["id"] for q in queries]
    assert ids == ["e0", "r0", "rate0", "e1", "r1", "rate1", "worst"]
    assert queries[-1]["expression"] == "MAX([rate0, rate1])"
    assert [q["id"] for q in queries if q["return_data"]] == ["worst"]
    assert queries[2]["expression"] == "100 * FILL(e0, 0) / FILL(r0, 1)"
    assert queries[3]["metric"]["dimensions"] == {"LoadBalancer": "app/lb/1", "TargetGroup": "tg/b"}


# --- component ---------------------------------------------------------------------------------------------------


def test_rolling_is_the_default_one_target_group_plain_forward_no_alarms() -> None:
    recording = run(_service)
    assert len(recording.of_type(TARGET_GROUP)) == 1
    assert recording.named("web-rule")["inputs"]["actions"][0]["type"] == "forward"
    service = recording.one(SERVICE)["inputs"]
    assert service["deploymentConfiguration"] == {"strategy": "ROLLING"}
    assert "alarms" not in service
    assert "advancedConfiguration" not in service["loadBalancers"][0]
    assert not recording.of_type(ALARM)


@pytest.mark.parametrize("strategy", ["blue_green", "canary", "linear"])
def test_traffic_shifting_strategies_get_an_alternate_group_a_weighted_rule_and_a_role(strategy: str) -> None:
    recording = run(lambda: _service(strategy=DeploymentStrategyArgs(strategy=strategy)))  # type: ignore[arg-type]
    primary, alternate = recording.named("web-tg")["inputs"], recording.named("web-tg-alt")["inputs"]
    assert primary["name"].startswith("acme-dev-web-") and alternate["name"].startswith("acme-dev-web-alt-")
    assert alternate["healthCheck"] == primary["healthCheck"]
    assert alternate["deregistrationDelay"] == primary["deregistrationDelay"]
    service = recording.one(SERVICE)["inputs"]
    assert service["deploymentConfiguration"]["strategy"] == strategy.upper()
    balancer = service["loadBalancers"][0]
    advanced = balancer["advancedConfiguration"]
    assert advanced["alternateTargetGroupArn"] != balancer["targetGroupArn"]
    assert f"targetgroup/{alternate['name']}/" in advanced["alternateTargetGroupArn"]
    assert f"targetgroup/{primary['name']}/" in balancer["targetGroupArn"]
    rule = recording.named("web-rule")
    (action,) = rule["inputs"]["actions"]
    assert action["forward"]["targetGroups"] == [
        {"arn": balancer["targetGroupArn"], "weight": 100},
        {"arn": advanced["alternateTargetGroupArn"], "weight": 0},
    ]
    # ECS moves the weights on every deployment: the next `up` must leave them alone.
    assert rule["options"]["ignoreChanges"] == ["actions"]
    assert advanced["productionListenerRule"].startswith("arn:aws:elasticloadbalancing:")
    role = recording.named("web-ecs-lb-role")["inputs"]
    assert advanced["roleArn"].endswith(f":role/{role['name']}")
    trust = json.loads(role["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ecs.amazonaws.com"}
    attachment = recording.named("web-ecs-lb-role-policy")["inputs"]
    assert attachment == {"role": role["name"], "policyArn": LOAD_BALANCER_INFRASTRUCTURE_POLICY}
    assert check_resources(recording.resources) == []


def test_alarms_watch_both_target_groups_and_the_service_rolls_back_on_them() -> None:
    topic = "arn:aws:sns:us-east-1:123456789012:oncall"
    recording = run(
        lambda: _service(
            strategy=DeploymentStrategyArgs(strategy="canary"),
            alarms=RollbackAlarmsArgs(error_rate_percent=2, notification_topic_arn=topic),
        )
    )
    alarms = {a["name"]: a["inputs"] for a in recording.of_type(ALARM)}
    assert sorted(alarms) == ["web-alarm-5xx", "web-alarm-latency", "web-alarm-unhealthy"]
    errors = alarms["web-alarm-5xx"]
    assert (errors["name"], errors["threshold"], errors["comparisonOperator"]) == (
        "acme-dev-web-5xx",
        2,
        "GreaterThanThreshold",
    )
    assert errors["alarmActions"] == errors["okActions"] == [topic]
    assert errors["treatMissingData"] == "notBreaching"
    groups = {q["metric"]["dimensions"]["TargetGroup"] for q in errors["metricQueries"] if "metric" in q}
    names = {recording.named(name)["inputs"]["name"] for name in ("web-tg", "web-tg-alt")}
    assert {group.split("/")[1] for group in groups} == names
    assert alarms["web-alarm-unhealthy"]["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
    service = recording.one(SERVICE)["inputs"]
    assert service["alarms"] == {
        "alarmNames": ["acme-dev-web-5xx", "acme-dev-web-latency", "acme-dev-web-unhealthy"],
        "enable": True,
        "rollback": True,
    }
    assert check_resources(recording.resources) == []


def test_a_worker_can_only_roll_and_has_no_alarms() -> None:
    with pytest.raises(ValueError, match="a worker rolls"):
        run(lambda: _service(host=None, strategy=DeploymentStrategyArgs(strategy="canary")))
    with pytest.raises(ValueError, match="rollback alarms read load balancer metrics"):
        run(lambda: _service(host=None, alarms=RollbackAlarmsArgs()))


# --- payload checks ---------------------------------------------------------------------------------------------


def _service_inputs(**deployment: Any) -> dict[str, Any]:
    return {
        "name": "web",
        "cluster": "acme",
        "taskDefinition": "web:1",
        "networkConfiguration": {"subnets": ["a"], "securityGroups": ["sg-1"]},
        "loadBalancers": [{"targetGroupArn": "tg-a", "containerName": "web", "containerPort": 8080}],
        "deploymentConfiguration": deployment,
    }


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (_service_inputs(strategy="CANARY"), "deploymentConfiguration.canaryConfiguration: strategy CANARY needs"),
        (_service_inputs(strategy="GRADUAL"), "deploymentConfiguration.strategy: 'GRADUAL' is not one of"),
        (_service_inputs(strategy="BLUE_GREEN", bakeTimeInMinutes="2000"), "bakeTimeInMinutes: 2000 must be whole"),
        (
            _service_inputs(strategy="LINEAR", linearConfiguration={"stepPercent": 1, "stepBakeTimeInMinutes": "1"}),
            "linearConfiguration.stepPercent: 1 is outside 3-100",
        ),
        (
            _service_inputs(strategy="ROLLING", canaryConfiguration={"canaryPercent": 10}),
            "applies to strategy CANARY only",
        ),
        (_service_inputs(strategy="BLUE_GREEN"), "loadBalancers[0].advancedConfiguration: strategy BLUE_GREEN needs"),
    ],
)
def test_bad_strategies_are_named(inputs: dict[str, Any], expected: str) -> None:
    problems = check_resource(SERVICE, "web", inputs)
    assert any(expected in p for p in problems), problems


def _alarm(**overrides: Any) -> dict[str, Any]:
    base = {
        "name": "acme-dev-web-latency",
        "comparisonOperator": "GreaterThanThreshold",
        "evaluationPeriods": 2,
        "threshold": 2,
        "metricQueries": metric_queries("latency", load_balancer="app/x/1", target_groups=["tg/a"], period=60),
    }
    return {**base, **overrides}


def _camel(queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the engine records: the Python args' snake_case keys in camelCase."""
    text = json.dumps(queries).replace('"return_data"', '"returnData"').replace('"metric_name"', '"metricName"')
    return json.loads(text)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"comparisonOperator": "Above"}, "ComparisonOperator: 'Above' is not one of"),
        ({"datapointsToAlarm": 3}, "DatapointsToAlarm: 3 exceeds EvaluationPeriods 2"),
        ({"metricQueries": [{"id": "E0", "expression": "1", "returnData": True}]}, "must start with a lowercase"),
        ({"metricQueries": [{"id": "x", "expression": "MAX([y])", "returnData": True}]}, "refers to 'y'"),
        ({"metricQueries": [{"id": "x", "expression": "1", "returnData": False}]}, "exactly one query must return"),
    ],
)
def test_bad_alarms_are_named(overrides: dict[str, Any], expected: str) -> None:
    inputs = _alarm(**overrides)
    inputs["metricQueries"] = _camel(inputs["metricQueries"])
    problems = check_resource(ALARM, "alarm", inputs)
    assert any(expected in p for p in problems), problems


def test_a_good_alarm_passes() -> None:
    inputs = _alarm()
    inputs["metricQueries"] = _camel(inputs["metricQueries"])
    assert check_resource(ALARM, "alarm", inputs) == []


# --- config and the program ---------------------------------------------------------------------------------------


def test_shipped_defaults_canary_for_prod_rolling_for_dev_and_previews() -> None:
    stacks = str(ROOT / "stacks")
    assert load_stack("prod", stacks_dir=stacks).services["web"].deployment.strategy == "canary"
    assert load_stack("dev", stacks_dir=stacks).services["web"].deployment.strategy == "rolling"
    preview = load_stack("preview", stacks_dir=stacks, pr=7).services["web"].deployment
    assert (preview.strategy, preview.alarms.enabled) == ("rolling", False)


def test_prod_synth_deploys_by_canary_with_alarm_rollback() -> None:
    result = synthesize("prod", image=IMAGE, stacks_dir=str(ROOT / "stacks"))
    service = next(r for r in result.resources if r["type"] == SERVICE)["inputs"]
    assert service["deploymentConfiguration"]["strategy"] == "CANARY"
    assert service["deploymentConfiguration"]["canaryConfiguration"] == {
        "canaryPercent": 10,
        "canaryBakeTimeInMinutes": "5",
    }
    assert service["alarms"]["rollback"] is True
    assert len([r for r in result.resources if r["type"] == ALARM]) == 3
    assert len([r for r in result.resources if r["type"] == TARGET_GROUP]) == 2


def test_preview_synth_rolls_without_alarms() -> None:
    result = synthesize("preview", pr=42, image=IMAGE, stacks_dir=str(ROOT / "stacks"))
    service = next(r for r in result.resources if r["type"] == SERVICE)["inputs"]
    assert service["deploymentConfiguration"] == {"strategy": "ROLLING"}
    assert not [r for r in result.resources if r["type"] == ALARM]


WORKER = "  worker:\n    containers: [{name: worker}]\n"


@pytest.mark.parametrize(
    ("yaml", "expected"),
    [
        (
            "services:\n  web:\n    deployment:\n      strategy: big_bang\n",
            "services.web.deployment.strategy: 'big_bang' is not allowed; legal values: rolling, blue_green, "
            "canary, linear",
        ),
        (
            "services:\n  web:\n    deployment:\n      strategy: linear\n      linear:\n        step_percent: 30\n",
            "services.web.deployment.linear.step_percent: 30 does not divide 100 into equal steps; legal values: "
            "4, 5, 10, 20, 25, 50, 100",
        ),
        (
            "services:\n" + WORKER + "    deployment:\n      strategy: canary\n",
            "services.worker.deployment.strategy: canary shifts load balancer traffic and this service has no "
            "routing (a worker); legal values without routing: rolling",
        ),
        (
            "services:\n" + WORKER + "    deployment:\n      alarms:\n        enabled: true\n",
            "services.worker.deployment.alarms.enabled: the alarms read load balancer metrics",
        ),
        (
            "services:\n  web:\n    deployment:\n      alarms:\n        period: 30\n",
            "services.web.deployment.alarms.period: 30 is not an alarm period; legal values: 60, 120",
        ),
    ],
)
def test_validate_refuses_a_strategy_a_service_cannot_use(tmp_path: Path, yaml: str, expected: str) -> None:
    stacks = write_stacks(tmp_path, {"env.yaml": "import: [catalog/base.yaml]\n" + yaml})
    assert_refused(stacks, "env", expected)
