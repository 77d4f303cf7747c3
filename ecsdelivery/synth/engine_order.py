"""The engine's create-before-delete order for an edit, and where traffic goes at each step.

Pulumi runs a deploy in dependency order: a resource's create, replacement or update starts once the
resources its inputs (and `dependsOn`) come from are done; the old copies of replaced resources and the
resources no longer in the program are deleted at the end, dependents first. `engine_steps` lays the steps of
one edit out in that order (one valid order of the many the engine may take; resources without a path between
them may run in parallel, which changes nothing below since only dependent steps are ordered).

`traffic_gaps` replays the steps against a small model of a load balancer: a listener rule forwards to a target
group; a target group serves once a service registers healthy tasks in it (a service's step ends when its tasks
are healthy: the components wait for steady state); an ECS service updated to another group drains its tasks
from the old one. After every step, each rule that served traffic before the deploy must forward to a group
with healthy tasks; each step where one does not is a gap (downtime). A service's tasks are healthy only
where its security group admits the load balancer on their container port: a service step whose port no ingress
rule admits yet (an old rule still in place, or a new one the service depends on, so it is created first) is a
gap too, since the engine may run independent steps in any order.

    steps = engine_steps(before, after, compare(before, after))
    traffic_gaps(before, after, compare(before, after))   # [] when traffic never meets an empty group
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ecsdelivery.naming import STANDBY_TAG, TEST_TAG
from ecsdelivery.synth.replacements import Comparison

RULE = "aws:lb/listenerRule:ListenerRule"
SERVICE = "aws:ecs/service:Service"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"

Document = Mapping[str, Any]


@dataclass(frozen=True)
class Step:
    """One engine step: `create`, `create-replacement`, `update`, `delete-replaced` or `delete`."""

    op: str
    name: str
    type: str

    def __str__(self) -> str:
        return f"{self.op} {self.name}"


def _deps(resource: Mapping[str, Any], names: set[str]) -> set[str]:
    found = {d for sources in (resource.get("dependencies") or {}).values() for d in sources}
    found |= set((resource.get("options") or {}).get("dependsOn", []))
    return (found & names) - {resource["name"]}


def _topological(resources: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Dependencies first; otherwise in the documents' order."""
    names = {r["name"] for r in resources}
    pending = {r["name"]: _deps(r, names) for r in resources}
    by_name = {r["name"]: r for r in resources}
    ordered: list[Mapping[str, Any]] = []
    while pending:
        ready = [r["name"] for r in resources if r["name"] in pending and not pending[r["name"]]]
        if not ready:  # a cycle cannot be registered; keep the rest in document order
            ready = [r["name"] for r in resources if r["name"] in pending]
        for name in ready:
            ordered.append(by_name[name])
            del pending[name]
        for deps in pending.values():
            deps.difference_update(ready)
    return ordered


def engine_steps(before: Document, after: Document, comparison: Comparison) -> list[Step]:
    """The steps of the deploy from `before` to `after`, in an order the engine may take."""
    actions = {c.name: c.action for c in comparison.changes}
    steps: list[Step] = []
    for resource in _topological(after["resources"]):
        action = actions.get(resource["name"])
        if action in ("create", "update"):
            steps.append(Step(action, resource["name"], resource["type"]))
        elif action == "replace":
            steps.append(Step("create-replacement", resource["name"], resource["type"]))
    replaced_old = {c.old_name or c.name for c in comparison.changes if c.action == "replace"}
    deleted = {c.name for c in comparison.changes if c.action == "delete"}
    for resource in reversed(_topological(before["resources"])):
        if resource["name"] in deleted:
            steps.append(Step("delete", resource["name"], resource["type"]))
        elif resource["name"] in replaced_old:
            steps.append(Step("delete-replaced", resource["name"], resource["type"]))
    return steps


def _groups_of(resource: Mapping[str, Any], key: str, groups: set[str]) -> list[str]:
    """The target groups (logical names) an input of a rule or service points at."""
    return [d for d in (resource.get("dependencies") or {}).get(key, []) if d in groups]


def _group_of(resource: Mapping[str, Any], key: str, groups: set[str]) -> str | None:
    """The first of them: a rule's or service's primary target group."""
    found = _groups_of(resource, key, groups)
    return found[0] if found else None


def _standby(resource: Mapping[str, Any]) -> bool:
    """A rule on the standby listener (a standby twin or a test rule): it carries no production traffic."""
    tags = resource["inputs"].get("tags") or {}
    return tags.get(STANDBY_TAG[0]) in (STANDBY_TAG[1], TEST_TAG[1])


def traffic_gaps(before: Document, after: Document, comparison: Comparison) -> list[str]:
    """Every gap of the deploy: rules on empty groups, refused service steps, tasks no ingress rule admits."""
    steps = engine_steps(before, after, comparison)
    return (
        _rule_gaps(before, after, comparison, steps)
        + _unattached_alternates(before, after, comparison, steps)
        + _unadmitted_ports(before, after, comparison, steps)
    )


def _admits(rule: Mapping[str, Any], group: str, port: int) -> bool:
    inputs = rule["inputs"]
    if group not in (rule.get("dependencies") or {}).get("securityGroupId", []):
        return False
    low, high = inputs.get("fromPort"), inputs.get("toPort")
    return inputs.get("ipProtocol") in ("tcp", "-1") and (low is None or low <= port <= (high or low))


def _container_port(service: Mapping[str, Any]) -> int | None:
    balancers = service["inputs"].get("loadBalancers") or []
    return balancers[0].get("containerPort") if balancers else None


def _upstream(resource: Mapping[str, Any], by_name: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """Every resource `resource` waits for, directly or through others."""
    seen: set[str] = set()
    todo = [resource]
    while todo:
        for dep in _deps(todo.pop(), set(by_name)) - seen:
            seen.add(dep)
            todo.append(by_name[dep])
    return seen


def _unadmitted_ports(before: Document, after: Document, comparison: Comparison, steps: Sequence[Step]) -> list[str]:
    """Service steps whose tasks' container port no ingress rule admits when the step runs."""
    changed = {c.old_name or c.name for c in comparison.changes if c.action in ("replace", "delete")}
    kept_rules = [r for r in before["resources"] if r["type"] == INGRESS and r["name"] not in changed]
    by_name = {r["name"]: r for r in after["resources"]}
    gaps: list[str] = []
    for step in steps:
        if step.type != SERVICE or step.op not in ("create", "create-replacement", "update"):
            continue
        service = by_name[step.name]
        port = _container_port(service)
        groups = (service.get("dependencies") or {}).get("networkConfiguration", [])
        if port is None:
            continue
        upstream = _upstream(service, by_name)
        ready = kept_rules + [by_name[n] for n in upstream if by_name[n]["type"] == INGRESS]
        if not any(_admits(rule, group, port) for rule in ready for group in groups):
            gaps.append(
                f"`{step}`: no ingress rule admits its tasks on port {port} yet (none in place, none it waits "
                "for), so they never pass the health check"
            )
    return gaps


def _unattached_alternates(
    before: Document, after: Document, comparison: Comparison, steps: Sequence[Step]
) -> list[str]:
    """Service steps whose alternate target group (blue/green, canary, linear) no listener rule forwards to.

    ECS registers the new tasks of a traffic-shifting deployment in the alternate group, and only in a group a
    load balancer forwards to. A rule whose `actions` are in `ignoreChanges` keeps the actions it had: a live rule
    created for a rolling service still forwards to the primary group alone after the service starts shifting.
    """
    old_to_new = {c.old_name or c.name: c.name for c in comparison.changes if c.action != "create"}
    groups = {r["name"] for r in (*before["resources"], *after["resources"]) if r["type"] == TARGET_GROUP}
    attached: dict[tuple[str, str], set[tuple[str, str]]] = {
        (old_to_new.get(r["name"], r["name"]), "old"): {
            (old_to_new.get(g, g), "old") for g in _groups_of(r, "actions", groups)
        }
        for r in before["resources"]
        if r["type"] == RULE
    }
    resources = {r["name"]: r for r in after["resources"]}
    current: dict[str, str] = {}
    gaps: list[str] = []
    for step in steps:
        if step.op in ("create", "create-replacement"):
            current[step.name] = "new"
        resource = resources.get(step.name)
        if resource is None or step.op in ("delete", "delete-replaced"):
            attached.pop((step.name, "old"), None)
            continue
        copies = [
            (g, current.get(g, "old"))
            for g in _groups_of(resource, "actions" if step.type == RULE else "loadBalancers", groups)
        ]
        if step.type == RULE and not (
            step.op == "update" and "actions" in resource["options"].get("ignoreChanges", [])
        ):
            attached[(step.name, "new" if step.op != "update" else "old")] = set(copies)
        elif step.type == SERVICE:
            reachable = set().union(*attached.values())
            for group, copy in copies[1:]:
                if (group, copy) not in reachable:
                    gaps.append(
                        f"`{step}` fails: its alternate target group {group} is attached to no listener rule (a "
                        "rule whose actions are ignored keeps the ones it had), and ECS registers tasks only in a "
                        "group a load balancer forwards to"
                    )
    return gaps


def _rule_gaps(before: Document, after: Document, comparison: Comparison, steps: Sequence[Step]) -> list[str]:
    """Each step after which a listener rule that served traffic forwards to a group without healthy tasks, and
    each service step ECS would refuse (its target group is not attached to a load balancer yet)."""
    old_to_new = {c.old_name or c.name: c.name for c in comparison.changes if c.action != "create"}
    old_resources = {r["name"]: r for r in before["resources"]}
    new_resources = {r["name"]: r for r in after["resources"]}
    # A copy is (logical name in AFTER, or in BEFORE for a deleted one; "old" or "new").
    old_groups = {r["name"] for r in before["resources"] if r["type"] == TARGET_GROUP}
    new_groups = {r["name"] for r in after["resources"] if r["type"] == TARGET_GROUP}

    def old_copy(old_name: str) -> tuple[str, str]:
        return (old_to_new.get(old_name, old_name), "old")

    rules: dict[tuple[str, str], tuple[str, str] | None] = {}
    registered: dict[tuple[str, str], tuple[str, str] | None] = {}
    for resource in before["resources"]:
        if resource["type"] == RULE:
            group = _group_of(resource, "actions", old_groups)
            rules[old_copy(resource["name"])] = old_copy(group) if group else None
        elif resource["type"] == SERVICE:
            group = _group_of(resource, "loadBalancers", old_groups)
            registered[old_copy(resource["name"])] = old_copy(group) if group else None
    standby = {old_copy(r["name"]) for r in before["resources"] if r["type"] == RULE and _standby(r)}
    standby |= {(r["name"], "new") for r in after["resources"] if r["type"] == RULE and _standby(r)}
    serving = {copy for copy, group in rules.items() if group in set(registered.values()) and copy not in standby}
    current: dict[str, str] = {}  # logical name -> the copy its dependents see now

    def target(resource: Mapping[str, Any], key: str) -> tuple[str, str] | None:
        group = _group_of(resource, key, new_groups)
        return (group, current.get(group, "old")) if group else None

    gaps: list[str] = []
    open_gaps: set[tuple[tuple[str, str], tuple[str, str] | None]] = set()
    for step in steps:
        name = step.name
        if step.op in ("create", "create-replacement"):
            current[name] = "new"
        resource = new_resources.get(name) or old_resources.get(name)
        assert resource is not None
        if step.type == TARGET_GROUP and step.op in ("delete", "delete-replaced"):
            holders = sorted(copy[0] for copy, group in rules.items() if group == (name, "old"))
            if holders:
                gaps.append(
                    f"`{step}` fails: listener rule {', '.join(holders)} still forwards to it (the rule's "
                    "actions are ignored or unchanged), and traffic stays on the old group"
                )
        if step.type == RULE:
            if step.op in ("create", "create-replacement"):
                rules[(name, "new")] = target(resource, "actions")
            elif step.op == "update":
                rules[(name, "old")] = target(resource, "actions")
            else:
                rules.pop((name, "old"), None)
        elif step.type == SERVICE:
            group = target(resource, "loadBalancers") if step.op in ("create", "create-replacement", "update") else None
            if group is not None and group not in rules.values():
                gaps.append(f"`{step}` fails: ECS registers tasks only in a target group a listener forwards to")
            if step.op in ("create", "create-replacement"):
                registered[(name, "new")] = target(resource, "loadBalancers")
            elif step.op == "update":
                # ECS starts tasks in the new group and drains the old group's once they are healthy.
                registered[(name, "old")] = target(resource, "loadBalancers")
            else:
                registered.pop((name, "old"), None)
        healthy = {group for group in registered.values() if group is not None}
        empty = {(copy, rules.get(copy)) for copy in serving if copy in rules and rules.get(copy) not in healthy}
        # Each gap once, at the step where it opens.
        for copy, group in sorted(empty - open_gaps, key=str):
            where = f"{group[0]} ({group[1]} copy)" if group else "no target group"
            gaps.append(f"after `{step}`: listener rule {copy[0]} forwards to {where}, which has no healthy tasks")
        open_gaps = empty
    return gaps


__all__ = ["Step", "engine_steps", "traffic_gaps"]
