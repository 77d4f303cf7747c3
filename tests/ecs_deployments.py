"""ECS service deployments served beside moto: the two operations moto 5.2 does not implement.

moto answers `ListServiceDeployments` and `DescribeServiceDeployments` with "not implemented". `DeploymentLog`
adds both to moto's ECS handler for the duration of a test (the threaded moto server runs in this process), so a
client talks to one endpoint for every ECS call: moto's own for clusters, services and task definitions, these two
for deployments. Every answer is checked against botocore's output shape for the operation (required members,
types, unknown members, enum values) before it is sent, as botocore's `Stubber` checks its canned answers.
`deny` answers both with AccessDeniedException, as AWS does for a role without the permission.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.validate import ParamValidator
from moto.core.exceptions import JsonRESTError
from moto.ecs.responses import EC2ContainerServiceResponse

ACCOUNT = "123456789012"  # moto's account for the test credentials
REGION = "us-east-1"
_MODEL = boto3.session.Session().client("ecs", region_name=REGION).meta.service_model


def check_answer(operation: str, answer: dict[str, Any]) -> None:
    """Refuse an answer that AWS could not give for `operation` (botocore's model)."""
    shape = _MODEL.operation_model(operation).output_shape
    report = ParamValidator().validate(answer, shape)
    assert not report.has_errors(), report.generate_report()
    status_enum = shape.members["serviceDeployments"].member.members["status"].enum
    for entry in answer["serviceDeployments"]:
        assert entry["status"] in status_enum, entry["status"]


def _wire(value: Any) -> Any:
    """JSON as the awsJson1.1 protocol sends it: timestamps as epoch seconds."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


@dataclass
class DeploymentLog:
    """The deployments ECS made, per (cluster, service) name, oldest first."""

    deployments: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    deny: bool = False
    calls: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def add(
        self,
        cluster: str,
        service: str,
        status: str,
        *,
        alarms: tuple[str, ...] = (),
        circuit_breaker: bool = False,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Record a deployment of `service` in `status`; with `alarms`, ECS rolled it back on those alarms."""
        at = at or datetime.now(UTC)
        ident = f"d{next(self._ids)}"
        base = f"arn:aws:ecs:{REGION}:{ACCOUNT}"
        entry: dict[str, Any] = {
            "serviceDeploymentArn": f"{base}:service-deployment/{cluster}/{service}/{ident}",
            "serviceArn": f"{base}:service/{cluster}/{service}",
            "clusterArn": f"{base}:cluster/{cluster}",
            "createdAt": at,
            "startedAt": at,
            "status": status,
            "targetServiceRevision": {"arn": f"{base}:service-revision/{cluster}/{service}/{ident}"},
            "deploymentCircuitBreaker": {"status": "TRIGGERED" if circuit_breaker else "MONITORING_COMPLETE"},
            "alarms": {
                "status": "TRIGGERED" if alarms else "MONITORING_COMPLETE",
                "alarmNames": list(alarms) or [f"{service}-5xx"],
                "triggeredAlarmNames": list(alarms),
            },
        }
        if status.startswith("ROLLBACK"):
            entry["rollback"] = {"reason": "rolled back by ECS", "startedAt": at}
        self.deployments.setdefault((cluster, service), []).append(entry)
        return entry

    def _denied(self, action: str) -> None:
        self.calls.append(action)
        if self.deny:
            raise JsonRESTError(
                "AccessDeniedException",
                f"User: arn:aws:sts::{ACCOUNT}:assumed-role/deploy/ci is not authorized to perform: ecs:{action}",
            )

    def list_answer(self, cluster: str, service: str) -> dict[str, Any]:
        self._denied("ListServiceDeployments")
        briefs = [
            {k: d[k] for k in ("serviceDeploymentArn", "serviceArn", "clusterArn", "createdAt", "status")}
            for d in self.deployments.get((cluster.rsplit("/", 1)[-1], service.rsplit("/", 1)[-1]), [])
        ]
        answer = {"serviceDeployments": briefs}
        check_answer("ListServiceDeployments", answer)
        return answer

    def describe_answer(self, arns: list[str]) -> dict[str, Any]:
        self._denied("DescribeServiceDeployments")
        found = [d for entries in self.deployments.values() for d in entries if d["serviceDeploymentArn"] in arns]
        answer = {"serviceDeployments": found, "failures": []}
        check_answer("DescribeServiceDeployments", answer)
        return answer

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Serve both operations from moto's ECS handler until the test ends."""
        log = self

        def list_service_deployments(handler: Any) -> str:
            cluster, service = handler._get_param("cluster", "default"), handler._get_param("service")
            return json.dumps(_wire(log.list_answer(cluster, service)))

        def describe_service_deployments(handler: Any) -> str:
            return json.dumps(_wire(log.describe_answer(handler._get_param("serviceDeploymentArns", []))))

        for function in (list_service_deployments, describe_service_deployments):
            monkeypatch.setattr(EC2ContainerServiceResponse, function.__name__, function, raising=False)
