"""Small helpers shared by the components."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws


def child(parent: pulumi.Resource, **kwargs: Any) -> pulumi.ResourceOptions:
    """Options for a child resource: parented to `parent`, plus any extra options."""
    return pulumi.ResourceOptions(parent=parent, **kwargs)


def to_json(value: Any) -> pulumi.Output[str]:
    """`value` (plain data that may hold Inputs anywhere inside) as a JSON string, keys in a stable order."""
    return pulumi.Output.from_input(value).apply(lambda v: json.dumps(v, sort_keys=True))


def block_public_access(parent: pulumi.Resource, name: str, bucket: pulumi.Input[str]) -> None:
    """`name`: every kind of public access to `bucket` blocked (ACLs and policies, new and existing)."""
    aws.s3.BucketPublicAccessBlock(
        name,
        bucket=bucket,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child(parent),
    )
