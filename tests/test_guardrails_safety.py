"""Guardrails of production safety: alarm rollback in prod, ALB access logs, described security-group rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ecsdelivery.guardrails.rules import ADVISORY, MANDATORY, Resource, RuleContext, evaluate
from ecsdelivery.synth import synthesize

ROOT = Path(__file__).resolve().parents[1]
PROD = RuleContext(environment="prod", protected=True)
DEV = RuleContext(environment="dev")
IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web@sha256:" + "ab" * 32
SERVICE = "aws:ecs/service:Service"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LB = "aws:lb/loadBalancer:LoadBalancer"


def _service(**inputs: Any) -> Resource:
    base = {"name": "web", "loadBalancers": [{"targetGroupArn": "tg", "containerName": "web", "containerPort": 80}]}
    return Resource(type=SERVICE, name="web-service", parent="web", inputs={**base, **inputs})


def _alarm(name: str) -> Resource:
    return Resource(type=ALARM, name=f"alarm-{name}", parent="web", inputs={"name": name})


def _ids(violations: list[Any], rule: str) -> list[tuple[str | None, str, str]]:
    return [(v.resource, v.severity, v.message) for v in violations if v.rule_id == rule]


def test_prod_without_alarm_rollback_is_a_mandatory_violation() -> None:
    found = _ids(evaluate([_service()], PROD), "prod-alarm-rollback")
    assert found == [
        ("web-service", MANDATORY, "deployments are not rolled back on alarms (alarms with rollback are off)")
    ]
    off = _service(alarms={"alarmNames": ["a"], "enable": True, "rollback": False})
    assert _ids(evaluate([off, _alarm("a")], PROD), "prod-alarm-rollback")


def test_prod_alarms_must_exist_in_the_stack() -> None:
    service = _service(alarms={"alarmNames": ["a", "b"], "enable": True, "rollback": True})
    (found,) = _ids(evaluate([service, _alarm("a")], PROD), "prod-alarm-rollback")
    assert found[2] == "the deployment watches alarms the stack does not create: b"
    assert not _ids(evaluate([service, _alarm("a"), _alarm("b")], PROD), "prod-alarm-rollback")


def test_workers_and_other_environments_are_not_held_to_it() -> None:
    worker = Resource(type=SERVICE, name="worker-service", parent="worker", inputs={"name": "worker"})
    assert not _ids(evaluate([worker], PROD), "prod-alarm-rollback")
    assert not _ids(evaluate([_service()], DEV), "prod-alarm-rollback")


def test_load_balancers_write_access_logs() -> None:
    without = Resource(type=LB, name="alb", parent="platform", inputs={"name": "acme"})
    assert _ids(evaluate([without], DEV), "alb-access-logs") == [
        ("alb", MANDATORY, "the load balancer writes no access logs")
    ]
    off = Resource(type=LB, name="alb", parent="platform", inputs={"accessLogs": {"bucket": "b", "enabled": False}})
    assert _ids(evaluate([off], DEV), "alb-access-logs")
    on = Resource(type=LB, name="alb", parent="platform", inputs={"accessLogs": {"bucket": "b", "enabled": True}})
    assert not _ids(evaluate([on], DEV), "alb-access-logs")


def test_security_group_rules_are_described_mandatory_in_prod() -> None:
    rule = Resource(
        type="aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        name="in",
        parent="web",
        inputs={"securityGroupId": "sg-1", "referencedSecurityGroupId": "sg-alb", "ipProtocol": "tcp"},
    )
    assert [v[1] for v in _ids(evaluate([rule], PROD), "sg-rule-description")] == [MANDATORY]
    assert [v[1] for v in _ids(evaluate([rule], DEV), "sg-rule-description")] == [ADVISORY]


def test_the_shipped_prod_stack_passes_and_loses_with_alarms_off(tmp_path: Path) -> None:
    result = synthesize("prod", image=IMAGE, stacks_dir=str(ROOT / "stacks"))
    violations = evaluate(result.resources, PROD)
    assert [v.line() for v in violations if v.severity == MANDATORY] == []
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    for source in (ROOT / "stacks").rglob("*.yaml"):
        target = stacks / source.relative_to(ROOT / "stacks")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text())
    prod = stacks / "prod.yaml"
    text = prod.read_text()
    assert text.count("    deployment:\n") == 1
    prod.write_text(text.replace("    deployment:\n", "    deployment:\n      alarms: {enabled: false}\n"))
    result = synthesize("prod", image=IMAGE, stacks_dir=str(stacks))
    rules = {v.rule_id for v in evaluate(result.resources, PROD) if v.severity == MANDATORY}
    assert rules == {"prod-alarm-rollback"}
