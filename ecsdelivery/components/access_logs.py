"""The load balancer's access-log bucket: private, SSE-S3, expiring, written only by the region's log delivery."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ecsdelivery.components import _policies
from ecsdelivery.components._common import block_public_access, child, to_json
from ecsdelivery.naming import Label

#: Key prefix the load balancer writes under (`<prefix>/AWSLogs/<account>/...`).
ACCESS_LOG_PREFIX = "alb"


@dataclass(frozen=True)
class AccessLogBucket:
    """The bucket's name (for the load balancer's `accessLogs`) and its policy (the load balancer waits for it:
    AWS checks at once that log delivery may write)."""

    bucket: pulumi.Output[str]
    policy: aws.s3.BucketPolicy


def create_access_log_bucket(
    parent: pulumi.Resource, name: str, label: Label, *, days: int, keep: bool
) -> AccessLogBucket:
    """`name` (the bucket) and `name-public-access`, `-ownership`, `-encryption`, `-lifecycle` and `-policy`,
    children of `parent`. Logs expire after `days`; with `keep` (a protected platform) the bucket outlives the
    stack with its logs, otherwise it goes with them."""
    bucket = aws.s3.Bucket(
        name,
        bucket=label.name_for("s3_bucket"),
        force_destroy=not keep,
        tags=label.tags,
        opts=child(parent),
    )
    block_public_access(parent, f"{name}-public-access", bucket.id)
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=child(parent),
    )
    # Load balancers write access logs only to buckets encrypted with S3-managed keys (SSE-S3).
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
        opts=child(parent),
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle",
        bucket=bucket.id,
        rules=[
            {
                "id": "expire-access-logs",
                "status": "Enabled",
                # The whole bucket: it holds nothing but the access logs (and their abandoned uploads).
                "filter": {},
                "expiration": {"days": days},
                "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
            }
        ],
        opts=child(parent),
    )
    account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent)).account_id
    region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=parent)).region
    policy = aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.id,
        policy=to_json(
            pulumi.Output.all(bucket.arn, account, region).apply(
                lambda parts: _policies.alb_access_log_policy(
                    bucket_arn=parts[0], account_id=parts[1], region=parts[2], prefix=ACCESS_LOG_PREFIX
                )
            )
        ),
        opts=child(parent),
    )
    return AccessLogBucket(bucket=bucket.bucket, policy=policy)


__all__ = ["ACCESS_LOG_PREFIX", "AccessLogBucket", "create_access_log_bucket"]
