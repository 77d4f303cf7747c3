"""What the operations ask ECS about a stack's services, and what they make of it.

`EcsWatch` carries out `deployments` (the calls) and `rollbacks` (the records and lines) for the operations:
after an `up` (`after_update`, `after_failed_update`), for `outputs` (`view`) and before a `rollback`
(`rolled_back_to`). ECS that cannot be asked is one warning line on stderr, never a failure. With `--local`,
`up` and `rollback` ask nothing (the emulator runs no deployments) and `outputs` asks only an emulator already
running (`--endpoint`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ecsdelivery.driver import deployments, plan, rollbacks
from ecsdelivery.driver.deployments import ServiceState
from ecsdelivery.driver.rollbacks import RollbackRecord
from ecsdelivery.driver.workspace import Workspace


@dataclass
class UpdateCheck:
    """What ECS made of an update: the last-rollback record the stack keeps (None: the tag goes), the lines of a
    rollback by ECS (the update then exits 5), and notes to print (deployments still running)."""

    record: RollbackRecord | None
    rolled_back: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class OutputsView:
    """What `outputs` adds to a stack's outputs: each service's last rollback, what ECS runs (None when it could
    not be asked), and warnings."""

    last_rollbacks: dict[str, RollbackRecord | None]
    states: list[ServiceState] | None
    warnings: list[str]


class EcsWatch:
    """ECS reads for one command run: `workspace` gives AWS access and the settings, `warn` prints a warning."""

    def __init__(self, workspace: Workspace, warn: Callable[[str], None]) -> None:
        self.workspace = workspace
        self.warn = warn

    def states(
        self, stack_name: str, region: str, outputs: Mapping[str, Any], *, with_image: bool = False
    ) -> list[ServiceState] | None:
        """What ECS runs for the stack's services; None (after one warning line) when ECS cannot be asked."""
        aws = self.workspace.aws()
        try:
            return deployments.read_services(lambda: aws.ecs(region), outputs, with_image=with_image)
        except deployments.EcsUnreadable as err:
            self.warn(f"cannot read the ECS deployments of {stack_name}: {err}; rollbacks by ECS not checked")
            return None

    def after_update(
        self,
        stack_name: str,
        region: str,
        outputs: Mapping[str, Any],
        known: Mapping[str, str],
        digest: str | None,
        rolling_back: str | None,
    ) -> UpdateCheck:
        """After a successful update: did ECS roll it back, and which rollback does the stack record now?

        `known` are the stack's tags before the update, `digest` what it deployed, `rolling_back` the image
        deployed until now when `rollback` ran the update (a manual rollback)."""
        local = self.workspace.settings.local
        states = None if local else self.states(stack_name, region, outputs)
        rolled = deployments.rolled_back(states or [], rollbacks.stack_task_definitions(outputs))
        notes = [
            f"ECS is still deploying {s.key} ({s.latest.status}): `outputs {stack_name}` shows whether it "
            "finishes or ECS rolls it back"
            for s in states or []
            if s.latest is not None and s.latest.running
        ]
        if rolled:
            record = rollbacks.newest(*rollbacks.per_service(outputs, None, rolled).values())
            lines = [rollbacks.rolled_back_line(stack_name, s, outputs) for s in rolled]
            return UpdateCheck(record, lines, notes)
        if rolling_back is not None:
            return UpdateCheck(rollbacks.manual(datetime.now(UTC), plan.digest_of(rolling_back), digest), [], notes)
        recorded = rollbacks.decode(known.get(rollbacks.TAG_ROLLBACK))
        agrees = None if states is None else not rollbacks.disagreements(stack_name, outputs, states)
        kept = recorded if rollbacks.keep_after_up(recorded, digest, agrees) else None
        return UpdateCheck(kept, [], notes)

    def after_failed_update(
        self, stack_name: str, region: str, outputs: Mapping[str, Any], started: datetime
    ) -> tuple[RollbackRecord | None, list[str]]:
        """After a failed update: the rollback ECS made of a deployment this update started (the provider's wait
        for a steady state gives up when the circuit breaker or an alarm rolls back) and a line per service;
        (None, []) when there is none."""
        if self.workspace.settings.local:
            return None, []
        rolled = deployments.rolled_back_since(self.states(stack_name, region, outputs) or [], started)
        record = rollbacks.newest(*(rollbacks.of_service(s, None) for s in rolled))
        return record, [rollbacks.failed_update_line(s) for s in rolled]

    def view(self, stack_name: str, region: str, outputs: Mapping[str, Any], tags: Mapping[str, str]) -> OutputsView:
        """Each service's last rollback (the tag's and ECS's, the newer), and a warning per service whose
        running task definition is not the stack's."""
        settings = self.workspace.settings
        states = None
        if deployments.services_of(outputs) and not (settings.local and not settings.endpoint):
            # A moto server started for this command knows no services: only an emulator already running is asked.
            states = self.states(stack_name, region, outputs, with_image=True)
        recorded = rollbacks.decode(tags.get(rollbacks.TAG_ROLLBACK))
        per_service = rollbacks.per_service(outputs, recorded, states)
        return OutputsView(per_service, states, rollbacks.disagreements(stack_name, outputs, states or []))

    def rolled_back_to(self, stack_name: str, region: str, outputs: Mapping[str, Any]) -> tuple[list[str], str | None]:
        """Before a rollback: a line per service ECS has rolled back, and the image it went back to."""
        if self.workspace.settings.local or not deployments.services_of(outputs):
            return [], None
        states = self.states(stack_name, region, outputs, with_image=True) or []
        rolled = deployments.rolled_back(states, rollbacks.stack_task_definitions(outputs))
        lines = [rollbacks.rolled_back_line(stack_name, s, outputs, advice=False) for s in rolled]
        return lines, rollbacks.agreeing_image(rolled)
