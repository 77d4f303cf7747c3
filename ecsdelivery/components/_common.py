"""Small helpers shared by the components."""

from __future__ import annotations

import json
from typing import Any

import pulumi


def child(parent: pulumi.Resource, **kwargs: Any) -> pulumi.ResourceOptions:
    """Options for a child resource: parented to `parent`, plus any extra options."""
    return pulumi.ResourceOptions(parent=parent, **kwargs)


def to_json(value: Any) -> pulumi.Output[str]:
    """`value` (plain data that may hold Inputs anywhere inside) as a JSON string, keys in a stable order."""
    return pulumi.Output.from_input(value).apply(lambda v: json.dumps(v, sort_keys=True))
