"""Rollbacks, manual and by ECS, through the CLI: recorded on the stack, shown by `outputs` and `list`, and an
`up` that ECS rolled back exits 5.

The engine is the CLI double in tests/fake_pulumi behind the real Automation API. ECS is a moto server: moto
holds the cluster, the task definitions and the service (what `DescribeServices` and `DescribeTaskDefinition`
answer), and `ecs_deployments.DeploymentLog` serves the two deployment calls moto lacks, beside it. The stand-in
program plays the provider's part: it exports the service's task definition for the image it deploys and, as
ECS would, either moves the service to it (a deployment that succeeds) or leaves the old one running (a
deployment ECS rolls back on an alarm).
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pulumi
import pytest
from ecs_deployments import DeploymentLog
from test_driver_e2e import D1, D2, REPO, FakeAws, failing_program, fake  # noqa: F401  (the fixture)

from ecsdelivery.cli import main
from ecsdelivery.driver import workspace

TAG = "ecsdelivery:last-rollback"
ALARM = "acme-dev-web-5xx"


@dataclass
class EcsWorld:
    """A cluster with one service and a task definition per image, and what ECS does with the next deployment."""

    client: Any
    cluster: str
    service: str
    log: DeploymentLog
    state: Any  # the CLI double's backend (tests/fake_pulumi.FakeState)
    task_definitions: dict[str, str] = field(default_factory=dict)  # digest -> ARN
    next_outcome: str = "SUCCESSFUL"  # or ROLLBACK_SUCCESSFUL (on ALARM), or CIRCUIT_BREAKER (the update fails)

    def running(self) -> str:
        (service,) = self.client.describe_services(cluster=self.cluster, services=[self.service])["services"]
        return str(service["taskDefinition"])

    def deploy(self, digest: str) -> str:
        """What the provider and ECS make of an update to `digest`'s task definition; returns it."""
        arn = self.task_definitions[digest]
        if self.running() == arn:
            return arn  # no change: no deployment
        if self.next_outcome == "SUCCESSFUL":
            self.client.update_service(cluster=self.cluster, service=self.service, taskDefinition=arn)
            self.log.add(self.cluster, self.service, "SUCCESSFUL")
        elif self.next_outcome == "CIRCUIT_BREAKER":  # the provider's wait for a steady state gives up
            self.log.add(self.cluster, self.service, "ROLLBACK_SUCCESSFUL", circuit_breaker=True)
            raise RuntimeError(f"waiting for ECS service ({self.service}) to be stable: deployment rolled back")
        else:  # ECS shifted traffic back: the old task definition keeps running
            self.log.add(self.cluster, self.service, self.next_outcome, alarms=(ALARM,))
        return arn


WORLD: list[EcsWorld] = []


def ecs_program() -> None:
    """The stand-in delivery program: the outputs `outputs`, `up` and `rollback` read, and the deployment."""
    world = WORLD[0]
    image = pulumi.Config("ecsdelivery").get("image") or ""
    digest = image.rsplit("@", 1)[-1]
    arn = world.deploy(digest)
    pulumi.export("url", "http://dev.example.test")
    pulumi.export("image", image)
    pulumi.export("clusterName", world.cluster)
    pulumi.export("services", {"web": {"serviceName": world.service, "taskDefinitionArn": arn, "image": image}})


@pytest.fixture
def ecs(
    fake: Any,  # noqa: F811  (the fixture)
    moto_server: str,
    fake_aws: None,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[EcsWorld]:
    """A fresh cluster and service on the moto server, deployments served beside it, and the program above."""
    client = boto3.client("ecs", region_name="us-east-1", endpoint_url=moto_server)
    name = f"acme-dev-{uuid.uuid4().hex[:6]}"
    client.create_cluster(clusterName=name)
    world = EcsWorld(client, name, f"{name}-web", DeploymentLog(), fake)
    for digest in (D1, D2):
        registered = client.register_task_definition(
            family=f"{name}-web",
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": "web", "image": f"{REPO}@{digest}", "essential": True}],
        )
        world.task_definitions[digest] = registered["taskDefinition"]["taskDefinitionArn"]
    client.create_service(cluster=name, serviceName=world.service, taskDefinition=world.task_definitions[D1])
    world.log.add(name, world.service, "SUCCESSFUL")
    world.log.install(monkeypatch)
    monkeypatch.setattr(FakeAws, "ecs_endpoint", moto_server)
    monkeypatch.setattr(workspace.HOOKS, "program", ecs_program)
    WORLD[:] = [world]
    yield world
    WORLD.clear()


def short(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def test_a_manual_rollback_is_recorded_and_shown_by_outputs_and_list(
    ecs: EcsWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 0
    assert main(["up", "dev", "--image", f"{REPO}@{D2}"]) == 0
    assert TAG not in ecs.state.stacks["dev"].tags
    assert main(["rollback", "dev"]) == 0
    record = ecs.state.stacks["dev"].tags[TAG]
    assert record.startswith("by=manual;at=20") and record.endswith(f";from={D2};to={D1}")
    capsys.readouterr()

    assert main(["outputs", "dev"]) == 0
    out, err = capsys.readouterr()
    line = next(x for x in out.splitlines() if x.startswith("rollback web: "))
    assert line.startswith("rollback web: manual `rollback` at 20") and line.endswith(f": {D2} -> {D1}")
    assert err == ""  # ECS runs what the stack says
    assert main(["outputs", "dev", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["rollbacks"]["web"] | {"at": "-"} == {
        "by": "manual", "at": "-", "from": D2, "to": D1, "service": None, "status": None, "trigger": None, "alarms": [],
    }  # fmt: skip
    assert shown["ecs"]["web"]["taskDefinition"] == short(ecs.task_definitions[D1])

    assert main(["list"]) == 0
    row = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("dev "))
    assert " manual 20" in row
    assert main(["list", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["rollback"]["by"], listed["rollback"]["to"]) == ("manual", D1)

    # A config-only `up` keeps running the rolled-back digest, and the record; deploying another image ends it.
    assert main(["up", "dev"]) == 0
    assert ecs.state.stacks["dev"].tags[TAG] == record
    assert main(["up", "dev", "--image", f"{REPO}@{D2}"]) == 0
    assert TAG not in ecs.state.stacks["dev"].tags
    capsys.readouterr()
    assert main(["list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["rollback"] is None


def test_an_alarm_rollback_by_ecs_fails_up_with_exit_5_and_is_recorded_and_shown(
    ecs: EcsWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 0
    ecs.next_outcome = "ROLLBACK_SUCCESSFUL"
    capsys.readouterr()
    assert main(["up", "dev", "--image", f"{REPO}@{D2}"]) == 5
    old, new = short(ecs.task_definitions[D1]), short(ecs.task_definitions[D2])
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(
        f"ecsdelivery: error: ECS rolled back the deployment of web (alarm {ALARM}, ROLLBACK_SUCCESSFUL at 20"
    )
    assert line.endswith(f"): it runs {old}, not {new} that the stack deployed; recorded on the stack; "
                         "`rollback dev` makes the stack agree with ECS, or deploy a fix")  # fmt: skip
    record = ecs.state.stacks["dev"].tags[TAG]
    assert ";service=web;status=ROLLBACK_SUCCESSFUL;trigger=alarm;" in record
    assert record.endswith(f";from={new};to={old};alarms={ALARM}")
    assert ecs.state.stacks["dev"].tags["ecsdelivery:image"] == f"{REPO}@{D2}"  # what the stack deployed

    assert main(["outputs", "dev"]) == 0
    out, err = capsys.readouterr()
    assert f"rollback web: by ECS (alarm {ALARM}, ROLLBACK_SUCCESSFUL) at 20" in out
    assert f": {new} -> {old}\n" in out
    assert err.splitlines() == [
        f"warning: ECS rolled web back (alarm {ALARM}, ROLLBACK_SUCCESSFUL): ECS runs {old} ({REPO}@{D1}), "
        f"not {new} as the stack says; `rollback dev` redeploys what ECS runs, or deploy a fix"
    ]
    assert main(["outputs", "dev", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)  # the warning went to stderr: stdout stays JSON
    assert shown["rollbacks"]["web"]["alarms"] == [ALARM] and shown["rollbacks"]["web"]["by"] == "ecs"
    assert shown["ecs"]["web"]["image"] == f"{REPO}@{D1}"
    assert main(["list"]) == 0
    assert " ecs web alarm 20" in capsys.readouterr().out

    # `rollback` says what ECS did and redeploys what ECS went back to: the stack agrees again.
    ecs.next_outcome = "SUCCESSFUL"
    assert main(["rollback", "dev"]) == 0
    out = capsys.readouterr().out
    assert f"ECS rolled back the deployment of web (alarm {ALARM}" in out
    assert f"redeploying {REPO}@{D1}, the image ECS went back to, so that the stack agrees with ECS" in out
    assert ecs.state.stacks["dev"].config["ecsdelivery:image"] == f"{REPO}@{D1}"
    assert ecs.state.stacks["dev"].tags[TAG].startswith("by=manual;")
    assert main(["outputs", "dev"]) == 0
    assert capsys.readouterr().err == ""


def test_an_environment_ecs_rolled_back_is_not_promoted_from(
    ecs: EcsWorld, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 0
    ecs.next_outcome = "ROLLBACK_SUCCESSFUL"
    assert main(["up", "dev", "--image", f"{REPO}@{D2}"]) == 5
    capsys.readouterr()
    monkeypatch.setattr(FakeAws, "account", "333333333333")
    assert main(["promote", "dev", "staging", "--release", "v1.4.0"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"ecsdelivery: error: ECS rolled back the last deploy of dev (web: alarm {ALARM}) at 20")
    assert line.endswith(
        "so ECS does not run what dev's stack says; `rollback dev` or deploy a fix before promoting from it"
    )
    assert "staging" not in ecs.state.stacks
    ecs.next_outcome = "SUCCESSFUL"
    monkeypatch.setattr(FakeAws, "account", "222222222222")
    assert main(["rollback", "dev"]) == 0  # dev agrees with ECS again: it promotes what it runs
    monkeypatch.setattr(FakeAws, "account", "333333333333")
    assert main(["promote", "dev", "staging"]) == 0
    assert ecs.state.stacks["staging"].config["ecsdelivery:image"] == f"{REPO}@{D1}"


def test_an_up_that_ecs_did_not_roll_back_clears_an_ecs_record(ecs: EcsWorld) -> None:
    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 0
    ecs.next_outcome = "ROLLBACK_SUCCESSFUL"
    assert main(["up", "dev", "--image", f"{REPO}@{D2}"]) == 5
    assert main(["up", "dev"]) == 5  # nothing changed: ECS still runs the old revision
    ecs.next_outcome = "SUCCESSFUL"
    ecs.client.update_service(cluster=ecs.cluster, service=ecs.service, taskDefinition=ecs.task_definitions[D2])
    ecs.log.add(ecs.cluster, ecs.service, "SUCCESSFUL")  # a fix went out (here: ECS retried)
    assert main(["up", "dev"]) == 0
    assert TAG not in ecs.state.stacks["dev"].tags


def _closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.mark.parametrize("failure", ["denied", "unreachable"])
def test_ecs_that_cannot_be_asked_is_one_warning_line(
    ecs: EcsWorld, failure: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 0
    capsys.readouterr()
    if failure == "denied":
        ecs.log.deny = True
        why = "AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/deploy/ci is not authorized"
    else:
        monkeypatch.setattr(FakeAws, "ecs_endpoint", _closed_port())
        why = 'Could not connect to the endpoint URL: "http://127.0.0.1:'
    for argv in (["outputs", "dev"], ["outputs", "dev", "--json"], ["up", "dev"]):
        assert main(argv) == 0, argv
        out, err = capsys.readouterr()
        (line,) = err.splitlines()
        assert line.startswith(f"warning: cannot read the ECS deployments of dev: {why}"), line
        assert line.endswith("; rollbacks by ECS not checked")
        assert "Traceback" not in out + err
    assert main(["outputs", "dev", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["rollbacks"] == {"web": None} and "ecs" not in shown


def test_a_rollback_to_a_bare_repository_digest_deploys_it_from_the_stacks_registry(
    fake: Any,  # noqa: F811  (the fixture)
) -> None:
    """The rollback workflow passes `acme/web@sha256:...`: the registry is the stack's, as for `up --image`."""
    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 0
    assert main(["up", "dev", "--image", f"{REPO}@{D2}"]) == 0
    assert main(["rollback", "dev", "--to", f"acme/web@{D1}"]) == 0
    assert fake.stacks["dev"].config["ecsdelivery:image"] == f"{REPO}@{D1}"
    assert fake.stacks["dev"].tags[TAG].endswith(f";from={D2};to={D1}")


def test_an_update_that_failed_because_ecs_rolled_it_back_says_so_and_exits_5(
    ecs: EcsWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 0
    ecs.next_outcome = "CIRCUIT_BREAKER"
    capsys.readouterr()
    assert main(["up", "dev", "--image", f"{REPO}@{D2}"]) == 5
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "ecsdelivery: error: the update of dev failed:"  # the engine's error comes first
    assert any("deployment rolled back" in line for line in lines[1:-1])
    assert lines[-1].startswith("ecsdelivery: error: ECS rolled back the new deployment of web (circuit breaker, ")
    assert lines[-1].endswith(f"): it runs {short(ecs.task_definitions[D1])}; recorded on the stack")
    record = ecs.state.stacks["dev"].tags[TAG]
    assert ";service=web;status=ROLLBACK_SUCCESSFUL;trigger=circuit-breaker;" in record
    # A failure of the update with no rollback by ECS stays what it was (exit 1).
    ecs.log.add(ecs.cluster, ecs.service, "SUCCESSFUL")
    workspace.HOOKS.program = failing_program
    assert main(["up", "dev", "--image", f"{REPO}@{D2}"]) == 1


@pytest.mark.parametrize("strategy", ["rolling", "blue_green", "canary", "linear"])
def test_a_rollback_changes_only_the_task_definition_and_the_service_whatever_the_strategy(
    fake: Any,  # noqa: F811  (the fixture)
    tmp_path: Any,
    strategy: str,
) -> None:
    """The delivery program under the CLI double: rolling back moves the service to the earlier task definition;
    the target groups, listener rules and alarms the strategy needs stay as they are (ECS shifts the traffic), and
    every resource is as the first deploy left it."""
    from ecsdelivery.program import delivery_program
    from ecsdelivery.synth.mocks import EcsMocks

    dev = tmp_path / "stacks" / "dev.yaml"
    dev.write_text(
        dev.read_text().replace("    exec: true\n", f"    exec: true\n    deployment:\n      strategy: {strategy}\n")
    )
    fake.mocks_factory = EcsMocks
    workspace.HOOKS.program = delivery_program
    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 0
    first = dict(fake.stacks["dev"].resources)
    assert main(["up", "dev", "--image", f"{REPO}@{D2}"]) == 0
    second = dict(fake.stacks["dev"].resources)
    assert main(["rollback", "dev"]) == 0
    after = fake.stacks["dev"].resources
    assert after.keys() == second.keys() == first.keys()  # nothing created or deleted
    changed = {r["type"] for urn, r in after.items() if r["state"] != second[urn]["state"]}
    assert "aws:ecs/taskDefinition:TaskDefinition" in changed
    assert changed <= {"aws:ecs/taskDefinition:TaskDefinition", "aws:ecs/service:Service"}
    assert {urn: r["state"] for urn, r in after.items()} == {urn: r["state"] for urn, r in first.items()}
    assert fake.stacks["dev"].tags[TAG].endswith(f";from={D2};to={D1}")
    strategies = {
        r["state"].get("deploymentConfiguration", {}).get("strategy")
        for r in after.values()
        if r["type"] == "aws:ecs/service:Service"
    }
    assert strategies == {strategy.upper()}
