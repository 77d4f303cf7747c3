"""Everyday edits, synthesised before and after: what the engine replaces, why, and that nothing collides.

Each case copies stacks/, synthesises the stack, makes one edit a user would make, synthesises again and
compares the two `synth --json` documents (`ecsdelivery.synth.replacements.compare`).
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from config_helpers import validate_error

from ecsdelivery.errors import UsageError
from ecsdelivery.synth import synthesize
from ecsdelivery.synth.engine_order import engine_steps, traffic_gaps
from ecsdelivery.synth.replacements import compare, load_synth_output, markdown, report_lines

ROOT = Path(__file__).resolve().parents[1]
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"

EXISTING_PLATFORM = {
    "mode": "existing",
    "vpc_id": "vpc-0a1b2c3d4e5f60718",
    "private_subnet_ids": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
    "public_subnet_ids": ["subnet-0a1b2c3d4e5f60101", "subnet-0a1b2c3d4e5f60102"],
    "cluster_name": "acme-shared",
    "listener_arn": "arn:aws:elasticloadbalancing:us-east-1:222222222222:listener/app/acme-shared/0123456789abcdef/0f",
    "alb_security_group_id": "sg-0123456789abcdef0",
    "alb_dns_name": "acme-shared-1234567890.us-east-1.elb.amazonaws.com",
    "alb_zone_id": "Z35SXDOTRQ7X7K",
}


def _stacks(tmp_path: Path) -> Path:
    target = tmp_path / "stacks"
    shutil.copytree(ROOT / "stacks", target)
    return target


def _edit(stacks: Path, file: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = stacks / file
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _before_after(
    tmp_path: Path, env: str, file: str, change: Callable[[dict[str, Any]], None], *, pr: int | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    stacks = _stacks(tmp_path)
    before = synthesize(env, pr=pr, stacks_dir=str(stacks)).to_json()
    _edit(stacks, file, change)
    after = synthesize(env, pr=pr, stacks_dir=str(stacks)).to_json()
    return json.loads(json.dumps(before, default=str)), json.loads(json.dumps(after, default=str))


def _names(resources: list[dict[str, Any]], type_: str) -> list[str]:
    return [r["inputs"]["name"] for r in resources if r["type"] == type_]


def _set_port(port: int) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        web = data["services"]["web"]
        web["containers"][0]["port"] = port
        web["containers"][0]["environment"]["PORT"] = str(port)

    return change


@pytest.mark.parametrize(("env", "pr"), [("dev", None), ("staging", None), ("preview", 42), ("prod", None)])
def test_container_port_moves_the_tasks_without_replacing_a_target_group(
    tmp_path: Path, env: str, pr: int | None
) -> None:
    """The issue's edit: a new container port. The groups keep their fixed port (ECS registers each task under
    its container port), so ECS moves the tasks itself, by the service's own strategy: rolling in dev and
    previews, canary in prod, where a replaced group could never be followed by the ECS-owned rule."""
    before, after = _before_after(tmp_path, env, "catalog/defaults.yaml", _set_port(9090), pr=pr)
    comparison = compare(before, after)
    assert comparison.collisions == []
    assert comparison.gaps == []
    replaced = {c.type: c for c in comparison.replacements}
    assert set(replaced) == {
        "aws:ecs/taskDefinition:TaskDefinition",  # a new revision of the same family
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    }
    ingress = replaced["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"]
    assert ingress.reasons == ("fromPort: 8080 -> 9090", "toPort: 8080 -> 9090")
    assert _names(before["resources"], TARGET_GROUP) == _names(after["resources"], TARGET_GROUP)
    [service] = [c for c in comparison.of("update") if c.type == "aws:ecs/service:Service"]
    assert any(reason.startswith("loadBalancers") for reason in service.reasons), service.reasons
    # The new rule admits the new port before the service update starts tasks on it; the old one goes last.
    steps = [str(step) for step in engine_steps(before, after, comparison)]
    order = [
        "create-replacement web-service-sg-ingress",
        "update web-service-service",
        "delete-replaced web-service-sg-ingress",
    ]
    assert [step for step in steps if step in order] == order


def test_a_service_that_does_not_wait_for_its_new_ingress_rule_is_a_gap(tmp_path: Path) -> None:
    """Without the service's dependency on the ingress rule the engine may update the service first: its new
    tasks would fail their health checks until the rule exists. The replay does not trust the order it drew."""
    before, after = _before_after(tmp_path, "dev", "catalog/defaults.yaml", _set_port(9090))
    service = next(r for r in after["resources"] if r["name"] == "web-service-service")
    service["options"]["dependsOn"].remove("web-service-sg-ingress")
    assert compare(before, after).gaps == [
        "`update web-service-service`: no ingress rule admits its tasks on port 9090 yet (none in place, none it "
        "waits for), so they never pass the health check"
    ]


def test_the_old_fixed_name_collides_and_the_check_says_so() -> None:
    """The bug itself: a target group named `acme-dev-web` whatever its port collides with its replacement."""
    document = synthesize("dev").to_json()
    before = json.loads(json.dumps(document, default=str))
    after = json.loads(json.dumps(document, default=str))
    for data, port in ((before, 8080), (after, 9090)):
        group = next(r for r in data["resources"] if r["type"] == TARGET_GROUP)
        group["inputs"].update(name="acme-dev-web", port=port)
    comparison = compare(before, after)
    assert "web-service-tg" in {c.name for c in comparison.replacements}
    [collision] = comparison.collisions
    assert collision.key == 'name "acme-dev-web"'
    assert collision.new == collision.holder == "web-service-tg"
    assert "Collisions" in markdown(comparison, "base.json")


def test_platform_vpc_replaces_what_lives_in_it_without_collisions(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["platform"]["vpc_cidr"] = "10.9.0.0/16"

    before, after = _before_after(tmp_path, "dev", "dev.yaml", change)
    comparison = compare(before, after)
    assert comparison.collisions == []
    assert comparison.gaps == []
    replaced = {c.name: c for c in comparison.replacements}
    assert replaced["platform-vpc"].reasons == ('cidrBlock: "10.0.0.0/16" -> "10.9.0.0/16"',)
    assert replaced["platform-vpc"].downtime is not None
    # Groups are replaced because their VPC is: the new ones get new names (their hash covers the VPC).
    for name in ("web-service-tg", "web-service-sg", "platform-alb-sg"):
        assert any("platform-vpc, which is replaced" in reason for reason in replaced[name].reasons), name


def test_platform_vpc_of_an_existing_platform(tmp_path: Path) -> None:
    stacks = _stacks(tmp_path)
    _edit(stacks, "staging.yaml", lambda data: data.update(platform=dict(EXISTING_PLATFORM)))
    before = synthesize("staging", stacks_dir=str(stacks)).to_json()
    _edit(stacks, "staging.yaml", lambda data: data["platform"].update(vpc_id="vpc-0fedcba9876543210"))
    after = synthesize("staging", stacks_dir=str(stacks)).to_json()
    comparison = compare(before, after)
    assert comparison.collisions == []
    replaced = {c.name for c in comparison.replacements}
    assert {"web-service-tg", "web-service-sg"} <= replaced
    assert _names(before["resources"], TARGET_GROUP) != _names(after["resources"], TARGET_GROUP)


def test_service_moved_to_another_cluster_is_replaced_in_the_new_cluster(tmp_path: Path) -> None:
    stacks = _stacks(tmp_path)
    _edit(stacks, "staging.yaml", lambda data: data.update(platform=dict(EXISTING_PLATFORM)))
    before = synthesize("staging", stacks_dir=str(stacks)).to_json()
    _edit(stacks, "staging.yaml", lambda data: data["platform"].update(cluster_name="acme-other"))
    after = synthesize("staging", stacks_dir=str(stacks)).to_json()
    comparison = compare(before, after)
    # Service names are unique per cluster: the same name in another cluster is no collision.
    assert comparison.collisions == []
    service = comparison.named("web-service-service")
    assert service is not None and service.action == "replace"
    assert service.reasons[0].startswith("cluster:")
    # The new service registers in the same (attached) group before the old one goes: traffic never stops.
    assert comparison.gaps == []


def _rename(data: dict[str, Any], renamed_from: bool) -> None:
    services = data["services"]
    services["frontend"] = services.pop("web")
    if renamed_from:
        services["frontend"]["renamed_from"] = "web"


def test_renamed_service_without_renamed_from_collides_on_its_rule_priority(tmp_path: Path) -> None:
    stacks = _stacks(tmp_path)
    before = synthesize("dev", stacks_dir=str(stacks)).to_json()
    for file in ("catalog/defaults.yaml", "dev.yaml"):
        _edit(stacks, file, lambda data: _rename(data, renamed_from=False))
    after = synthesize("dev", stacks_dir=str(stacks)).to_json()
    comparison = compare(before, after)
    # The live rule, and its twin on the standby listener.
    assert {(c.type, c.new, c.holder) for c in comparison.collisions} == {
        ("aws:lb/listenerRule:ListenerRule", "frontend-service-rule", "web-service-rule"),
        ("aws:lb/listenerRule:ListenerRule", "frontend-service-standby", "web-service-standby"),
    }
    assert all("priority 100" in c.key for c in comparison.collisions)


@pytest.mark.parametrize(("env", "pr"), [("dev", None), ("preview", 42)])
def test_renamed_service_with_renamed_from_moves_its_resources(tmp_path: Path, env: str, pr: int | None) -> None:
    stacks = _stacks(tmp_path)
    before = synthesize(env, pr=pr, stacks_dir=str(stacks)).to_json()
    for file in ("catalog/defaults.yaml", "dev.yaml"):
        _edit(stacks, file, lambda data: _rename(data, renamed_from=True))
    after = synthesize(env, pr=pr, stacks_dir=str(stacks)).to_json()
    comparison = compare(before, after)
    assert comparison.collisions == []
    assert comparison.of("create") == [] and comparison.of("delete") == []
    rule = next(c for c in comparison.changes if c.type == "aws:lb/listenerRule:ListenerRule")
    assert rule.action == "update" and rule.old_name is not None and rule.old_name.startswith("web")
    assert all(c.old_name for c in comparison.replacements)


def test_no_edit_no_change() -> None:
    document = json.loads(json.dumps(synthesize("prod").to_json(), default=str))
    comparison = compare(document, document)
    assert [c for c in comparison.changes if c.action != "same"] == []
    assert "Nothing is replaced" in markdown(comparison, "base.json")


def test_swapped_priorities_collide(tmp_path: Path) -> None:
    """Two rules trading priorities in place: whichever the engine updates first finds the other's."""

    def add_api(data: dict[str, Any]) -> None:
        api = json.loads(json.dumps(data["services"]["web"]))
        api["routing"] = {"path_patterns": ["/api/*"], "priority": 200}
        data["services"]["web"]["routing"] = {"path_patterns": ["/web/*"], "priority": 100}
        data["services"]["api"] = api

    def swap(data: dict[str, Any]) -> None:
        data["services"]["web"]["routing"]["priority"] = 200
        data["services"]["api"]["routing"]["priority"] = 100

    stacks = _stacks(tmp_path)
    _edit(stacks, "catalog/defaults.yaml", add_api)
    before = synthesize("dev", stacks_dir=str(stacks)).to_json()
    _edit(stacks, "catalog/defaults.yaml", swap)
    after = synthesize("dev", stacks_dir=str(stacks)).to_json()
    collisions = compare(before, after).collisions
    assert {c.new for c in collisions} == {
        "web-service-rule",
        "api-service-rule",
        "web-service-standby",
        "api-service-standby",
    }


# --- the command --------------------------------------------------------------------------------------------


def _synth(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecsdelivery", "synth", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_against_lists_replacements_writes_markdown_and_exits_1_on_a_collision(tmp_path: Path) -> None:
    stacks = _stacks(tmp_path)
    base = tmp_path / "base.json"
    done = _synth("dev", "--stacks-dir", str(stacks), "--json")
    assert done.returncode == 0, done.stderr
    base.write_text(done.stdout)

    _edit(stacks, "catalog/defaults.yaml", _set_port(9090))
    summary = tmp_path / "summary.md"
    done = _synth("dev", "--stacks-dir", str(stacks), "--against", str(base), "--markdown", str(summary))
    assert done.returncode == 0, done.stderr
    assert "replace web-service-sg-ingress  aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" in done.stdout
    assert "because fromPort: 8080 -> 9090" in done.stdout
    assert "0 collision(s)" in done.stdout
    assert (
        "| `web-service-sg-ingress` | `aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule` | "
        "`fromPort: 8080 -> 9090`<br>`toPort: 8080 -> 9090`" in summary.read_text()
    )

    done = _synth("dev", "--stacks-dir", str(stacks), "--against", str(base), "--json")
    report = json.loads(done.stdout)
    assert {c["name"] for c in report["changes"] if c["action"] == "replace"} >= {"web-service-sg-ingress"}

    for file in ("catalog/defaults.yaml", "dev.yaml"):
        _edit(stacks, file, lambda data: _rename(data, renamed_from=False))
    done = _synth("dev", "--stacks-dir", str(stacks), "--against", str(base))
    assert done.returncode == 1
    assert "COLLISION aws:lb/listenerRule:ListenerRule" in done.stdout
    assert done.stderr.startswith("ecsdelivery: error: 2 collision(s)")
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        ('{"stack": "dev"}', 'not a `synth --json` output (no "resources" list)'),
        ('{"stack": "dev", "resources": [{"name": "x"}], "outputs": {}}', 'resources[0] has no "type"'),
        ('{"stack": "staging", "resources": [], "outputs": {}}', "is the synth output of stack 'staging', not 'dev'"),
    ],
)
def test_against_a_file_that_is_no_synth_output_of_the_stack_exits_2(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "before.json"
    path.write_text(content)
    done = _synth("dev", "--against", str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"ecsdelivery: error: --against {path}: ") and message in line


def test_load_synth_output_checks_the_stack(tmp_path: Path) -> None:
    path = tmp_path / "before.json"
    path.write_text('{"stack": "dev", "resources": [], "outputs": {}}')
    assert load_synth_output(path, stack="dev")["stack"] == "dev"
    with pytest.raises(UsageError, match="not 'prod'"):
        load_synth_output(path, stack="prod")
    with pytest.raises(UsageError, match="cannot read it"):
        load_synth_output(tmp_path / "missing.json", stack="dev")


def test_markdown_needs_against() -> None:
    done = _synth("dev", "--markdown", "summary.md")
    assert done.returncode == 2
    assert "--markdown needs --against" in done.stderr


# --- the engine's order and the traffic it carries -----------------------------------------------------------


def _new_vpc(data: dict[str, Any]) -> None:
    data["platform"]["vpc_cidr"] = "10.9.0.0/16"


def test_a_target_group_move_keeps_the_rule_on_a_healthy_group_at_every_step(tmp_path: Path) -> None:
    """A new VPC replaces the target group (AWS sets a group's VPC only at creation)."""
    before, after = _before_after(tmp_path, "dev", "dev.yaml", _new_vpc)
    comparison = compare(before, after)
    steps = [str(step) for step in engine_steps(before, after, comparison)]
    order = [
        "create-replacement web-service-tg",
        "update web-service-standby",  # the new group is attached to the load balancer, away from traffic
        "create-replacement web-service-service",  # new tasks healthy in the new group; the old service serves
        "update web-service-rule",  # traffic moves to the healthy new group
        "delete-replaced web-service-service",
        "delete-replaced web-service-tg",
    ]
    assert [step for step in steps if step in order] == order
    assert traffic_gaps(before, after, comparison) == []


def test_without_a_standby_listener_the_replay_shows_the_gap(tmp_path: Path) -> None:
    """An existing platform has no standby listener: the rule moves to the new group before it has tasks."""
    stacks = _stacks(tmp_path)
    _edit(stacks, "staging.yaml", lambda data: data.update(platform=dict(EXISTING_PLATFORM)))
    before = synthesize("staging", stacks_dir=str(stacks)).to_json()
    _edit(stacks, "staging.yaml", lambda data: data["platform"].update(vpc_id="vpc-0fedcba9876543210"))
    after = synthesize("staging", stacks_dir=str(stacks)).to_json()
    comparison = compare(before, after)
    assert comparison.collisions == []
    assert comparison.gaps == [
        "after `update web-service-rule`: listener rule web-service-rule forwards to web-service-tg (new copy), "
        "which has no healthy tasks"
    ]
    assert "DOWNTIME after `update web-service-rule`" in "\n".join(report_lines(comparison, "base.json"))


STANDBY_LISTENER = "arn:aws:elasticloadbalancing:us-east-1:222222222222:listener/app/acme-shared/0123456789abcdef/5b"


def test_an_existing_platform_with_a_standby_listener_moves_without_a_gap(tmp_path: Path) -> None:
    """The same edit with `standby_listener_arn` given: the new group is attached there first, as on a created
    platform, and the live rule moves once the new service's tasks are healthy."""
    stacks = _stacks(tmp_path)
    platform = {**EXISTING_PLATFORM, "standby_listener_arn": STANDBY_LISTENER}
    _edit(stacks, "staging.yaml", lambda data: data.update(platform=platform))
    before = synthesize("staging", stacks_dir=str(stacks)).to_json()
    _edit(stacks, "staging.yaml", lambda data: data["platform"].update(vpc_id="vpc-0fedcba9876543210"))
    after = synthesize("staging", stacks_dir=str(stacks)).to_json()
    comparison = compare(before, after)
    assert comparison.collisions == [] and comparison.gaps == []
    standby = next(r for r in after["resources"] if r["name"] == "web-service-standby")
    assert standby["inputs"]["listenerArn"] == STANDBY_LISTENER


@pytest.mark.parametrize(
    ("standby", "message"),
    [
        (EXISTING_PLATFORM["listener_arn"], "is listener_arn itself"),
        (
            "arn:aws:elasticloadbalancing:us-east-1:222222222222:listener/app/other/fedcba9876543210/5b",
            "belongs to load balancer 'app/other/fedcba9876543210'",
        ),
        ("arn:aws:elasticloadbalancing:us-east-1:222222222222:listener/app/acme-shared", "does not match"),
    ],
)
def test_a_standby_listener_of_another_load_balancer_is_refused(tmp_path: Path, standby: str, message: str) -> None:
    stacks = _stacks(tmp_path)
    platform = {**EXISTING_PLATFORM, "standby_listener_arn": standby}
    _edit(stacks, "staging.yaml", lambda data: data.update(platform=platform))
    line = validate_error(stacks, "staging")
    assert "platform.standby_listener_arn" in line and message in line, line


def test_a_canary_service_moves_to_a_new_vpc_in_three_gapless_deploys(tmp_path: Path) -> None:
    """What the README prescribes for a traffic-shifting service whose groups must be replaced: roll for one
    deploy, move, shift again. Each deploy, replayed against the one before, has no gap and no collision."""
    stacks = _stacks(tmp_path)

    def strategy(name: str | None) -> Callable[[dict[str, Any]], None]:
        def change(data: dict[str, Any]) -> None:
            deployment = data.setdefault("services", {}).setdefault("web", {}).setdefault("deployment", {})
            if name is None:
                deployment.pop("strategy", None)
            else:
                deployment["strategy"] = name

        return change

    documents = [synthesize("prod", stacks_dir=str(stacks)).to_json()]
    for change in (strategy("rolling"), _new_vpc, strategy(None)):
        _edit(stacks, "prod.yaml", change)
        documents.append(synthesize("prod", stacks_dir=str(stacks)).to_json())
    documents = [json.loads(json.dumps(d, default=str)) for d in documents]
    for before, after in itertools.pairwise(documents):
        comparison = compare(before, after)
        assert (comparison.gaps, comparison.collisions) == ([], [])
    # The middle deploy really moves the groups (the one-deploy move is refused: the test above).
    assert {"web-service-tg", "web-service-service"} <= {c.name for c in compare(*documents[1:3]).replacements}


def test_switching_to_canary_without_a_standby_listener_is_refused_by_the_replay(tmp_path: Path) -> None:
    """The live rule's actions belong to ECS once a service shifts traffic, so a rule created while it rolled
    keeps forwarding to the primary group alone: without a standby rule the alternate group is attached nowhere,
    and ECS cannot register the first canary's tasks. With the standby listener (dev) the switch is clean."""
    stacks = _stacks(tmp_path)
    _edit(stacks, "staging.yaml", lambda data: data.update(platform=dict(EXISTING_PLATFORM)))

    def canary(data: dict[str, Any]) -> None:
        data.setdefault("services", {}).setdefault("web", {}).setdefault("deployment", {})["strategy"] = "canary"

    for env in ("staging", "dev"):
        before = synthesize(env, stacks_dir=str(stacks)).to_json()
        _edit(stacks, f"{env}.yaml", canary)
        after = synthesize(env, stacks_dir=str(stacks)).to_json()
        gaps = compare(*(json.loads(json.dumps(d, default=str)) for d in (before, after))).gaps
        if env == "staging":
            assert (
                len(gaps) == 1
                and "alternate target group web-service-tg-alt is attached to no listener rule" in gaps[0]
            )
        else:
            assert gaps == []


def test_the_replay_refuses_a_service_in_a_group_no_listener_forwards_to() -> None:
    """Why the standby rule exists: without it a new service in a new group fails before any traffic moves."""
    document = json.loads(json.dumps(synthesize("dev").to_json(), default=str))
    before = json.loads(json.dumps(document))
    after = json.loads(json.dumps(document))
    after["resources"] = [r for r in after["resources"] if r["name"] != "web-service-standby"]
    for data in (before, after):
        for resource in data["resources"]:
            resource["options"]["dependsOn"] = []
    group = next(r for r in after["resources"] if r["type"] == TARGET_GROUP)
    group["inputs"]["port"] = 9090
    gaps = compare(before, after).gaps
    assert any("fails: ECS registers tasks only in a target group a listener forwards to" in gap for gap in gaps)


def test_a_traffic_shifting_service_cannot_move_its_target_groups_and_the_report_says_so(tmp_path: Path) -> None:
    """prod deploys by shifting traffic between two groups; ECS owns the rule's weights (its actions are ignored),
    so the rule never follows a replaced group (a new VPC): the replay shows the service step ECS refuses and the
    stuck delete."""
    before, after = _before_after(tmp_path, "prod", "prod.yaml", _new_vpc)
    comparison = compare(before, after)
    assert comparison.collisions == []
    assert {c.name for c in comparison.replacements} >= {"web-service-tg", "web-service-tg-alt"}
    assert any("update web-service-service` fails" in gap for gap in comparison.gaps)
    assert any("delete-replaced web-service-tg` fails" in gap for gap in comparison.gaps)
