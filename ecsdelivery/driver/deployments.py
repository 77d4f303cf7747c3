"""What ECS says about a stack's services: the task definition each runs, its newest deployment, and its newest
deployment that ECS rolled back (a CloudWatch alarm, the circuit breaker, or a failed lifecycle hook).

Two parts. Pure: `newest_arns` picks deployments out of a `ListServiceDeployments` answer and `parse_deployment`
turns one `DescribeServiceDeployments` entry into an `EcsDeployment`; tests feed them API-shaped dicts. Calls:
`read_service` makes the four read-only calls for one service (`ListServiceDeployments`,
`DescribeServiceDeployments`, `DescribeServices`, and `DescribeTaskDefinition` for the image) and
`read_services` does it for every service of a stack's outputs, turning any AWS or network error into
`EcsUnreadable` with one line saying why. Nothing here writes to AWS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

#: Deployment states in which ECS is rolling, or has rolled, a deployment back to the previous revision.
ROLLBACK_STATUSES = ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")
#: Deployment states in which the deployment has not finished yet (bake time included).
RUNNING_STATUSES = ("PENDING", "IN_PROGRESS")
#: How many deployments one `ListServiceDeployments` call asks for (newest first is not promised: we sort).
LIST_LIMIT = 20


class EcsUnreadable(Exception):
    """ECS could not be asked (no credentials, access denied, unreachable endpoint, unknown service)."""


@dataclass(frozen=True)
class EcsDeployment:
    """One service deployment as `DescribeServiceDeployments` reports it."""

    arn: str
    status: str
    created_at: datetime | None = None
    finished_at: datetime | None = None
    status_reason: str | None = None
    rollback_reason: str | None = None
    rollback_started_at: datetime | None = None
    triggered_alarms: tuple[str, ...] = ()
    circuit_breaker_triggered: bool = False

    @property
    def rolled_back(self) -> bool:
        return self.status in ROLLBACK_STATUSES

    @property
    def running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def trigger(self) -> str:
        """What made ECS roll back: `alarm`, `circuit-breaker`, or `ecs` (a lifecycle hook, a stop, ...)."""
        if self.triggered_alarms:
            return "alarm"
        if self.circuit_breaker_triggered:
            return "circuit-breaker"
        return "ecs"

    @property
    def when(self) -> datetime | None:
        """When the rollback started (else when the deployment was created)."""
        return self.rollback_started_at or self.created_at

    def cause(self) -> str:
        """`alarm acme-prod-web-5xx`, `circuit breaker`, or ECS's own reason."""
        if self.triggered_alarms:
            return ("alarm " if len(self.triggered_alarms) == 1 else "alarms ") + ", ".join(self.triggered_alarms)
        if self.circuit_breaker_triggered:
            return "circuit breaker"
        return self.rollback_reason or self.status_reason or self.status


@dataclass(frozen=True)
class ServiceState:
    """What ECS runs for one service of a stack (`key` is its name in the stack file)."""

    key: str
    service_name: str
    running_task_definition: str | None
    running_image: str | None
    latest: EcsDeployment | None
    last_rollback: EcsDeployment | None


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def newest_arns(listed: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(the newest deployment's ARN, the newest rolled-back deployment's ARN) of a `ListServiceDeployments`
    answer; None where there is none."""
    briefs = sorted(
        listed.get("serviceDeployments") or [],
        key=lambda b: _time(b.get("createdAt")) or _time(b.get("startedAt")) or datetime.min.replace(tzinfo=UTC),
        reverse=True,
    )
    newest = briefs[0].get("serviceDeploymentArn") if briefs else None
    rolled = next((b.get("serviceDeploymentArn") for b in briefs if b.get("status") in ROLLBACK_STATUSES), None)
    return newest, rolled


def parse_deployment(entry: Mapping[str, Any]) -> EcsDeployment:
    """One entry of `DescribeServiceDeployments.serviceDeployments` as an `EcsDeployment`."""
    rollback = entry.get("rollback") or {}
    alarms = entry.get("alarms") or {}
    breaker = entry.get("deploymentCircuitBreaker") or {}
    return EcsDeployment(
        arn=str(entry.get("serviceDeploymentArn") or ""),
        status=str(entry.get("status") or "PENDING"),
        created_at=_time(entry.get("createdAt")),
        finished_at=_time(entry.get("finishedAt")),
        status_reason=entry.get("statusReason"),
        rollback_reason=rollback.get("reason"),
        rollback_started_at=_time(rollback.get("startedAt")),
        triggered_alarms=tuple(alarms.get("triggeredAlarmNames") or ()),
        circuit_breaker_triggered=breaker.get("status") == "TRIGGERED",
    )


def short_task_definition(arn: str | None) -> str | None:
    """`family:revision` of a task definition ARN (what people read); anything else as given."""
    if not arn:
        return None
    return arn.rsplit("task-definition/", 1)[-1]


# --- calls ------------------------------------------------------------------------------------------------------


def _deployments(client: Any, cluster: str, service: str) -> tuple[EcsDeployment | None, EcsDeployment | None]:
    listed = client.list_service_deployments(cluster=cluster, service=service, maxResults=LIST_LIMIT)
    newest, rolled = newest_arns(listed)
    wanted = list(dict.fromkeys(a for a in (newest, rolled) if a))
    if not wanted:
        return None, None
    described = client.describe_service_deployments(serviceDeploymentArns=wanted)
    found = {d.arn: d for d in map(parse_deployment, described.get("serviceDeployments") or [])}
    return found.get(newest or ""), found.get(rolled or "")


def _image(client: Any, task_definition: str | None) -> str | None:
    """The image of the task definition's first container (the service's own; sidecars come after it)."""
    if not task_definition:
        return None
    described = client.describe_task_definition(taskDefinition=task_definition)
    containers = described.get("taskDefinition", {}).get("containerDefinitions") or []
    return str(containers[0].get("image")) if containers else None


def read_service(client: Any, cluster: str, key: str, service: str, *, with_image: bool) -> ServiceState:
    """One service's state; `with_image` also reads the image of the task definition ECS runs."""
    described = client.describe_services(cluster=cluster, services=[service])
    services = described.get("services") or []
    if not services:
        reason = (described.get("failures") or [{}])[0].get("reason", "MISSING")
        raise EcsUnreadable(f"ECS has no service {service} in cluster {cluster} ({reason})")
    running = services[0].get("taskDefinition")
    latest, rolled = _deployments(client, cluster, service)
    image = _image(client, running) if with_image else None
    return ServiceState(key, service, running, image, latest, rolled)


def _why(err: Exception) -> str:
    """One line for an AWS or network error."""
    response = getattr(err, "response", None)
    if isinstance(response, Mapping):
        error = response.get("Error") or {}
        code, message = error.get("Code", type(err).__name__), error.get("Message", "")
        return f"{code}: {message}".rstrip(": ")
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def services_of(outputs: Mapping[str, Any]) -> dict[str, str]:
    """Service key -> ECS service name, from a stack's outputs (`services.<key>.serviceName`)."""
    services = outputs.get("services")
    if not isinstance(services, Mapping):
        return {}
    found = {}
    for key, value in services.items():
        if isinstance(value, Mapping) and value.get("serviceName"):
            found[str(key)] = str(value["serviceName"])
    return found


def read_services(client_factory: Any, outputs: Mapping[str, Any], *, with_image: bool = False) -> list[ServiceState]:
    """The state of every service of a stack's outputs, in the stack's account and region.

    `client_factory()` makes the ECS client (so a bad region or endpoint is reported like any other failure).
    Raises `EcsUnreadable` (one line) on the first AWS or network error: the caller warns and goes on.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    services = services_of(outputs)
    cluster = outputs.get("clusterName") or outputs.get("clusterArn")
    if not services or not cluster:
        return []
    try:
        client = client_factory()
        return [read_service(client, str(cluster), k, name, with_image=with_image) for k, name in services.items()]
    except (BotoCoreError, ClientError, ValueError) as err:
        raise EcsUnreadable(_why(err)) from None


def rolled_back(states: Sequence[ServiceState], stack_task_definitions: Mapping[str, str | None]) -> list[ServiceState]:
    """The services ECS has rolled back away from what the stack deployed: the newest deployment is being rolled
    back, or was rolled back and ECS runs another task definition than the stack's (once the stack deploys what
    ECS went back to, ECS makes no new deployment, and the rolled-back one stays the newest)."""
    found = []
    for state in states:
        latest = state.latest
        if latest is None or not latest.rolled_back:
            continue
        rolling = latest.status in ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")
        if rolling or state.running_task_definition != stack_task_definitions.get(state.key):
            found.append(state)
    return found


def rolled_back_since(states: Sequence[ServiceState], moment: datetime) -> list[ServiceState]:
    """The services whose newest deployment, created at `moment` or later, ECS rolled back (or is rolling back):
    after a failed update, the stack's outputs are the previous ones, so the time tells this update's
    deployments apart (a minute earlier still counts: clocks differ)."""
    since = moment - timedelta(minutes=1)
    return [
        s
        for s in states
        if s.latest is not None and s.latest.rolled_back and s.latest.created_at and s.latest.created_at >= since
    ]
