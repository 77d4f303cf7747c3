"""Synthesised resources as the rules, the cost estimate and the rollout report read them.

A `Resource` is one registration (type token, logical name, parent's logical name, inputs in the camelCase
names the engine sees, options). The helpers read inputs defensively: a value may be missing, or unknown during
a real `pulumi preview`, and then counts as "cannot tell". Standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecsdelivery.facts import SCALING_TARGET, SERVICE, TARGET_GROUPS, TASK_DEFINITION


@dataclass(frozen=True)
class Resource:
    """One synthesised resource: type token, logical name, parent's logical name, inputs, options."""

    type: str
    name: str
    inputs: Mapping[str, Any]
    parent: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Resource:
        """From a `SynthResult.resources` item (`type`, `name`, `parent`, `inputs`, optional `options`)."""
        return cls(
            type=str(data["type"]),
            name=str(data["name"]),
            inputs=data.get("inputs") or {},
            parent=data.get("parent"),
            options=data.get("options") or {},
        )


def as_resources(items: Iterable[Mapping[str, Any] | Resource]) -> list[Resource]:
    """`Resource`s from synth dicts (or `Resource`s, kept)."""
    return [r if isinstance(r, Resource) else Resource.from_dict(r) for r in items]


def get(props: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """`props["a"]["b"]` for the path "a.b"; `default` when any step is missing."""
    value: Any = props
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return default
        value = value[key]
    return value


def as_list(value: Any) -> list[Any]:
    """A list from a list, a single value, or None (IAM's "Action": "x" or ["x", "y"])."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def number(value: Any) -> float | None:
    """A number from a number or numeric text ("256"); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def parse_json(value: Any) -> Any:
    """A JSON document given as text (as pulumi-aws takes it) or already parsed; None when unreadable."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def containers(props: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The container definitions of a task definition's inputs (a JSON string)."""
    parsed = parse_json(props.get("containerDefinitions"))
    return [c for c in parsed if isinstance(c, dict)] if isinstance(parsed, list) else []


def services(resources: Sequence[Resource]) -> list[Resource]:
    """The ECS services among `resources`."""
    return [r for r in resources if r.type == SERVICE]


def minimum_tasks(service: Resource, resources: Sequence[Resource]) -> float | None:
    """Autoscaling's minimum when a scaling target is attached to the service, else the desired count."""
    name = service.inputs.get("name")
    for target in resources:
        if target.type != SCALING_TARGET:
            continue
        resource_id = str(target.inputs.get("resourceId") or "")
        same = (isinstance(name, str) and resource_id.endswith(f"/{name}")) or (
            target.parent is not None and target.parent == service.parent
        )
        if same:
            return number(target.inputs.get("minCapacity"))
    desired = service.inputs.get("desiredCount")
    return 1.0 if desired is None else number(desired)  # the API's default is 1


def task_definition_for(service: Resource, resources: Sequence[Resource]) -> Resource | None:
    """The task definition a service runs: by family (from its ARN), else the only one in the stack."""
    definitions = [r for r in resources if r.type == TASK_DEFINITION]
    arn = service.inputs.get("taskDefinition")
    if isinstance(arn, str):
        family = arn.rsplit("/", 1)[-1].rsplit(":", 1)[0]
        for definition in definitions:
            if definition.inputs.get("family") == family:
                return definition
    return definitions[0] if len(definitions) == 1 else None


def target_groups_for(service: Resource, resources: Sequence[Resource]) -> list[Resource]:
    """The target groups a service registers with: by name in its ARNs, else those sharing its parent."""
    groups = [r for r in resources if r.type in TARGET_GROUPS]
    arns = [lb.get("targetGroupArn") for lb in as_list(service.inputs.get("loadBalancers")) if isinstance(lb, Mapping)]
    names = {a.split(":targetgroup/", 1)[-1].split("/", 1)[0] for a in arns if isinstance(a, str)}
    found = [g for g in groups if g.inputs.get("name") in names]
    if found:
        return found
    return [g for g in groups if g.parent is not None and g.parent == service.parent]
