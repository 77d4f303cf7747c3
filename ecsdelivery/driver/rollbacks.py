"""The last rollback of a stack, as recorded in its `ecsdelivery:last-rollback` tag, and how it is reported.

Pure: records are made from what a `rollback` deployed or from what ECS reported (`deployments.ServiceState`),
encoded into one tag value of at most 256 characters (the Pulumi Cloud limit) and read back; `list` reads only
the tag, `outputs` merges it with what ECS says now. Example tag values::

    by=manual;at=2026-05-01T12:00:00Z;from=sha256:2...;to=sha256:1...
    by=ecs;at=2026-05-01T12:00:00Z;service=web;status=ROLLBACK_SUCCESSFUL;trigger=alarm;from=acme-prod-web:12;to=acme-prod-web:11;alarms=acme-prod-web-5xx
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from ecsdelivery.driver.deployments import EcsDeployment, ServiceState, short_task_definition

#: The stack tag that holds the last rollback.
TAG_ROLLBACK = "ecsdelivery:last-rollback"
TAG_VALUE_LIMIT = 256
MANUAL = "manual"
ECS = "ecs"
_FIELDS = ("by", "at", "service", "status", "trigger", "from", "to", "alarms")


@dataclass(frozen=True)
class RollbackRecord:
    """One rollback: `by` `manual` (the `rollback` command) or `ecs` (an alarm, the circuit breaker, ...).

    `source`/`target`: what it went from and to: image digests for a manual rollback, task definitions
    (`family:revision`) for one by ECS (None when ECS did not say). `service`, `status`, `trigger` and `alarms`
    are ECS's: which service, its deployment state, and what triggered the rollback.
    """

    by: str
    at: str
    source: str | None = None
    target: str | None = None
    service: str | None = None
    status: str | None = None
    trigger: str | None = None
    alarms: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["from"], data["to"] = data.pop("source"), data.pop("target")
        data["alarms"] = list(self.alarms)
        return data

    def line(self) -> str:
        """What `outputs` prints after `rollback <service>: `."""
        moved = f"{self.source or '?'} -> {self.target or '?'}" if self.source or self.target else ""
        if self.by == MANUAL:
            return f"manual `rollback` at {self.at}: {moved}"
        cause = cause_text(self.trigger, self.alarms)
        state = f", {self.status}" if self.status else ""
        return f"by ECS ({cause}{state}) at {self.at}" + (f": {moved}" if moved else "")


def cause_text(trigger: str | None, alarms: tuple[str, ...]) -> str:
    """`alarm acme-prod-web-5xx`, `alarms a, b`, `circuit breaker`, or the trigger as recorded."""
    if alarms:
        return ("alarm " if len(alarms) == 1 else "alarms ") + ", ".join(alarms)
    return {"circuit-breaker": "circuit breaker"}.get(trigger or "", trigger or "ecs")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def manual(at: datetime, source_digest: str | None, target_digest: str | None) -> RollbackRecord:
    """What `rollback` records once its update succeeded."""
    return RollbackRecord(by=MANUAL, at=_utc(at), source=source_digest, target=target_digest)


def from_ecs(
    deployment: EcsDeployment, service: str, source: str | None = None, target: str | None = None
) -> RollbackRecord:
    """A rollback ECS made of `service`'s `deployment`; `source`/`target` task definitions when known."""
    when = deployment.when
    return RollbackRecord(
        by=ECS,
        at=_utc(when) if when else "?",
        source=short_task_definition(source),
        target=short_task_definition(target),
        service=service,
        status=deployment.status,
        trigger=deployment.trigger,
        alarms=deployment.triggered_alarms,
    )


def of_service(state: ServiceState, stack_task_definition: str | None) -> RollbackRecord | None:
    """The last rollback ECS made of a service: from the stack's task definition to the one ECS runs when it is
    the newest deployment, without from/to for an older one."""
    rolled = state.last_rollback
    if rolled is None:
        return None
    if state.latest is not None and state.latest.arn == rolled.arn:
        return from_ecs(rolled, state.key, stack_task_definition, state.running_task_definition)
    return from_ecs(rolled, state.key)


def encode(record: RollbackRecord) -> str:
    """The tag value: `key=value` pairs joined by `;`, cut to 256 characters by dropping alarm names."""
    values = {
        "by": record.by,
        "at": record.at,
        "service": record.service,
        "status": record.status,
        "trigger": record.trigger,
        "from": record.source,
        "to": record.target,
        "alarms": ",".join(record.alarms),
    }
    alarms = list(record.alarms)
    while True:
        text = ";".join(f"{k}={_clean(v)}" for k, v in values.items() if v)
        if len(text) <= TAG_VALUE_LIMIT:
            return text
        if not alarms:
            return text[:TAG_VALUE_LIMIT]
        alarms.pop()
        values["alarms"] = ",".join(alarms) + ",..." if alarms else "..."


def _clean(value: str) -> str:
    return value.replace(";", ",").replace("=", ":")


def decode(value: str | None) -> RollbackRecord | None:
    """A record from a tag value; None when there is none or it is not one of ours."""
    if not value:
        return None
    fields: dict[str, str] = {}
    for part in value.split(";"):
        key, separator, text = part.partition("=")
        if separator and key in _FIELDS:
            fields[key] = text
    if fields.get("by") not in (MANUAL, ECS) or not fields.get("at"):
        return None
    alarms = tuple(a for a in fields.get("alarms", "").split(",") if a and a != "...")
    return RollbackRecord(
        by=fields["by"],
        at=fields["at"],
        source=fields.get("from"),
        target=fields.get("to"),
        service=fields.get("service"),
        status=fields.get("status"),
        trigger=fields.get("trigger"),
        alarms=alarms,
    )


def newest(*records: RollbackRecord | None) -> RollbackRecord | None:
    """The most recent of the records (ISO times in UTC sort as text)."""
    present = [r for r in records if r is not None]
    return max(present, key=lambda r: r.at) if present else None


def keep_after_up(record: RollbackRecord | None, deployed_digest: str | None, ecs_agrees: bool | None) -> bool:
    """Whether a normal `up` keeps the recorded rollback.

    A manual rollback stays while the stack still runs the digest it rolled back to (a config-only `up`), and goes
    once another image is deployed. A rollback by ECS goes once ECS runs what the stack says again (`ecs_agrees`),
    and stays when ECS could not be asked (None).
    """
    if record is None:
        return False
    if record.by == MANUAL:
        return deployed_digest is None or deployed_digest == record.target
    return ecs_agrees is not True


def stack_task_definitions(outputs: Mapping[str, Any]) -> dict[str, str | None]:
    services = outputs.get("services")
    if not isinstance(services, Mapping):
        return {}
    return {
        str(k): (str(v.get("taskDefinitionArn")) if v.get("taskDefinitionArn") else None)
        for k, v in services.items()
        if isinstance(v, Mapping)
    }


def per_service(
    outputs: Mapping[str, Any], recorded: RollbackRecord | None, states: Sequence[ServiceState] | None
) -> dict[str, RollbackRecord | None]:
    """The last rollback of each service of a stack: the newer of what the tag records (a manual rollback covers
    every service, one by ECS its own) and what ECS reports now (`states`; None when ECS could not be asked)."""
    by_key = {s.key: s for s in states or ()}
    found: dict[str, RollbackRecord | None] = {}
    for key, task_definition in stack_task_definitions(outputs).items():
        tagged = recorded if recorded is not None and recorded.service in (None, key) else None
        state = by_key.get(key)
        found[key] = newest(tagged, of_service(state, task_definition) if state else None)
    return found


def disagreements(stack: str, outputs: Mapping[str, Any], states: Sequence[ServiceState]) -> list[str]:
    """One warning per service whose running task definition is not the one the stack says, with why (ECS's
    rollback, when it made one) and the way back."""
    wanted = stack_task_definitions(outputs)
    lines = []
    for state in states:
        says = wanted.get(state.key)
        if not says or not state.running_task_definition or state.running_task_definition == says:
            continue
        runs = short_task_definition(state.running_task_definition)
        image = f" ({state.running_image})" if state.running_image else ""
        rolled = state.latest if state.latest is not None and state.latest.rolled_back else None
        why = f"ECS rolled {state.key} back ({rolled.cause()}, {rolled.status})" if rolled else f"{state.key} changed"
        lines.append(
            f"{why}: ECS runs {runs}{image}, not {short_task_definition(says)} as the stack says; "
            f"`rollback {stack}` redeploys what ECS runs, or deploy a fix"
        )
    return lines


def agreeing_image(rolled: Sequence[ServiceState]) -> str | None:
    """The image ECS went back to in the services it rolled back (`deployments.rolled_back`), as a digest
    reference, for `rollback` to deploy so the stack agrees with ECS again; None when there is none."""
    for state in rolled:
        if state.running_image and "@sha256:" in state.running_image:
            return state.running_image
    return None


def rolled_back_line(stack: str, state: ServiceState, outputs: Mapping[str, Any], *, advice: bool = True) -> str:
    """The one line `up` ends with when ECS rolled a service's new deployment back (`rollback` says it without
    the advice)."""
    rolled = state.latest
    assert rolled is not None
    when = f" at {_utc(rolled.when)}" if rolled.when else ""
    says = short_task_definition(stack_task_definitions(outputs).get(state.key))
    runs = short_task_definition(state.running_task_definition)
    line = (
        f"ECS rolled back the deployment of {state.key} ({rolled.cause()}, {rolled.status}{when}): it runs "
        f"{runs or '?'}, not {says or '?'} that the stack deployed"
    )
    if not advice:
        return line
    return f"{line}; recorded on the stack; `rollback {stack}` makes the stack agree with ECS, or deploy a fix"


def failed_update_line(state: ServiceState) -> str:
    """The line a failed `up` adds when ECS rolled back the deployment it started."""
    rolled = state.latest
    assert rolled is not None
    when = f" at {_utc(rolled.when)}" if rolled.when else ""
    runs = short_task_definition(state.running_task_definition) or "?"
    return (
        f"ECS rolled back the new deployment of {state.key} ({rolled.cause()}, {rolled.status}{when}): it runs "
        f"{runs}; recorded on the stack"
    )
