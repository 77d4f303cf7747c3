"""Pure builders for the JSON documents the components attach: IAM policies, ECR lifecycle and pull policies.

Everything here takes plain values and returns plain dicts, so the rules are tested as tables without Pulumi.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

POLICY_VERSION = "2012-10-17"

# Actions the ECS agent needs to pull an image from one repository.
ECR_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
# ECS Exec opens an SSM session from the task; these actions support no resource-level scoping in IAM.
EXEC_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")

# A Secrets Manager ARN ends in "-" and six random characters AWS appends to the secret's name.
_SECRET_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}\Z")


def document(statements: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """An IAM policy document holding `statements`."""
    return {"Version": POLICY_VERSION, "Statement": [dict(s) for s in statements]}


def assume_role_policy(service: str, source_account: str | None = None) -> dict[str, Any]:
    """A trust policy letting `service` assume the role, limited to `source_account` (confused-deputy guard)."""
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if source_account:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return document([statement])


def ssm_parameter_arn(parameter: str, *, partition: str, region: str, account: str) -> str:
    """The ARN of an SSM parameter given by name ("/acme/dev/db" or "db") or already by ARN."""
    if parameter.startswith("arn:"):
        return parameter
    return f"arn:{partition}:ssm:{region}:{account}:parameter/{parameter.lstrip('/')}"


def secrets_manager_policy_arn(value_from: str) -> str:
    """The IAM resource for a Secrets Manager `valueFrom`: the secret's ARN without a JSON key/version suffix.

    A partial ARN (without AWS's six-character suffix) gets `-??????`, which matches exactly that suffix and
    nothing longer, so the grant never covers another secret whose name merely starts the same.
    """
    if not value_from.startswith("arn:") or ":secretsmanager:" not in value_from:
        raise ValueError(f"not a Secrets Manager ARN: {value_from!r}")
    base = ":".join(value_from.split(":")[:7])
    return base if _SECRET_SUFFIX.search(base) else f"{base}-??????"


def execution_role_statements(
    *,
    repository_arns: Sequence[str],
    log_group_arn: str,
    ssm_parameter_arns: Sequence[str] = (),
    secret_arns: Sequence[str] = (),
    kms_key_arn: str | None = None,
) -> list[dict[str, Any]]:
    """What the ECS agent needs for one task definition, and nothing more.

    Pull from exactly `repository_arns`, write to the one log group, read exactly the named parameters and
    secrets, and decrypt with `kms_key_arn` only when one is given.
    """
    statements: list[dict[str, Any]] = []
    if repository_arns:
        statements.append(
            {
                "Sid": "PullImage",
                "Effect": "Allow",
                "Action": list(ECR_PULL_ACTIONS),
                "Resource": sorted(repository_arns),
            }
        )
        # GetAuthorizationToken returns a registry-wide login token; IAM supports no resource for it, so AWS
        # requires "*" here. It grants no access to any repository by itself.
        statements.append(
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
        )
    statements.append(
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": list(LOG_ACTIONS),
            "Resource": f"{log_group_arn}:log-stream:*",
        }
    )
    if ssm_parameter_arns:
        statements.append(
            {
                "Sid": "ReadParameters",
                "Effect": "Allow",
                "Action": "ssm:GetParameters",
                "Resource": sorted(set(ssm_parameter_arns)),
            }
        )
    if secret_arns:
        statements.append(
            {
                "Sid": "ReadSecrets",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": sorted({secrets_manager_policy_arn(a) for a in secret_arns}),
            }
        )
    if kms_key_arn and (ssm_parameter_arns or secret_arns):
        statements.append(
            {"Sid": "DecryptSecrets", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": kms_key_arn}
        )
    return statements


def task_role_statements(
    *, enable_execute_command: bool, extra: Sequence[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """The application's own permissions: `extra`, plus the SSM channels ECS Exec needs when it is on."""
    statements = [dict(s) for s in extra]
    if enable_execute_command:
        statements.append({"Sid": "EcsExec", "Effect": "Allow", "Action": list(EXEC_ACTIONS), "Resource": "*"})
    return statements


def lifecycle_policy(
    *,
    release_tag_prefixes: Sequence[str] = ("v",),
    keep_releases: int = 30,
    ephemeral_tag_prefixes: Sequence[str] = ("sha-", "pr-"),
    ephemeral_days: int = 14,
    untagged_days: int = 1,
) -> dict[str, Any]:
    """An ECR lifecycle policy: keep the last `keep_releases` release images, expire the rest in order.

    Rule priorities are unique and ascending; ECR evaluates the lowest first and an image is matched by at most
    one rule. The release rule comes first, so an image tagged both `v1.2.3` and `sha-abc` counts as a release
    (it is expired only by the count rule) and is not removed after `ephemeral_days`.
    """
    if keep_releases < 1 or ephemeral_days < 1 or untagged_days < 1:
        raise ValueError("keep_releases, ephemeral_days and untagged_days must be at least 1")
    rules: list[dict[str, Any]] = []

    def add(description: str, selection: dict[str, Any]) -> None:
        rules.append(
            {
                "rulePriority": len(rules) + 1,
                "description": description,
                "selection": selection,
                "action": {"type": "expire"},
            }
        )

    if release_tag_prefixes:
        add(
            f"keep the last {keep_releases} release images",
            {
                "tagStatus": "tagged",
                "tagPrefixList": list(release_tag_prefixes),
                "countType": "imageCountMoreThan",
                "countNumber": keep_releases,
            },
        )
    if ephemeral_tag_prefixes:
        add(
            f"expire build and preview images after {ephemeral_days} days",
            {
                "tagStatus": "tagged",
                "tagPrefixList": list(ephemeral_tag_prefixes),
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": ephemeral_days,
            },
        )
    add(
        f"expire untagged images after {untagged_days} day(s)",
        {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": untagged_days},
    )
    return {"rules": rules}


#: What another account may do on the shared repository: pull (its tasks), look tags up and read manifests (its
#: deploy role resolves `repo:tag`, checks immutability and copies a manifest to tag a release).
ECR_READ_ACTIONS = (*ECR_PULL_ACTIONS, "ecr:DescribeImages", "ecr:DescribeRepositories")
#: Adding a tag is PutImage of a manifest already in the repository; without the layer-upload actions an account
#: granted only this can retag existing images but never push new content.
ECR_TAG_ACTIONS = ("ecr:PutImage",)


def _account_principals(account_ids: Sequence[str]) -> list[str]:
    for account in account_ids:
        if not re.fullmatch(r"\d{12}", account):
            raise ValueError(f"not a 12-digit AWS account id: {account!r}")
    return [f"arn:aws:iam::{a}:root" for a in sorted(set(account_ids))]


def cross_account_policy(
    read_account_ids: Sequence[str], tag_account_ids: Sequence[str] = (), tag_role_arns: Sequence[str] = ()
) -> dict[str, Any]:
    """The repository policy for other accounts: `read_account_ids` pull and read images (`ECR_READ_ACTIONS`),
    `tag_account_ids` also add tags to images already pushed (`ECR_TAG_ACTIONS`), limited to `tag_role_arns`
    (`aws:PrincipalArn`) when given; nothing else."""
    if not read_account_ids and not tag_account_ids:
        raise ValueError("cross_account_policy needs at least one account id")
    readers = sorted(set(read_account_ids) | set(tag_account_ids))
    statements = [
        {
            "Sid": "CrossAccountRead",
            "Effect": "Allow",
            "Principal": {"AWS": _account_principals(readers)},
            "Action": list(ECR_READ_ACTIONS),
        }
    ]
    if tag_account_ids:
        statements.append(
            {
                "Sid": "CrossAccountTag",
                "Effect": "Allow",
                "Principal": {"AWS": _account_principals(tag_account_ids)},
                "Action": list(ECR_TAG_ACTIONS),
            }
            # Named by condition, not as principals: a policy naming a role that does not exist yet is refused.
            | ({"Condition": {"ArnEquals": {"aws:PrincipalArn": sorted(set(tag_role_arns))}}} if tag_role_arns else {})
        )
    return document(statements)


def load_balancer_arn_suffix(listener_arn: str) -> str:
    """`app/<name>/<id>` (what CloudWatch calls the load balancer) from a listener ARN."""
    resource = listener_arn.split(":", 5)[-1]  # listener/app/<name>/<lb id>/<listener id>
    parts = resource.split("/")
    if len(parts) != 5 or parts[0] != "listener":
        raise ValueError(f"not an ALB listener ARN: {listener_arn!r}")
    return "/".join(parts[1:4])


def request_count_label(load_balancer_suffix: str, target_group_suffix: str) -> str:
    """The resource label for ALBRequestCountPerTarget: `app/<lb>/<id>/targetgroup/<tg>/<id>`."""
    return f"{load_balancer_suffix}/{target_group_suffix}"


#: The Elastic Load Balancing account that writes access logs in each region opened before August 2022
#: (ELB user guide, "Enable access logs"); newer regions deliver through `ELB_LOG_DELIVERY_SERVICE` instead.
ELB_LOG_ACCOUNTS: dict[str, str] = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-south-1": "718504428378",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-southeast-3": "589379963580",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "eu-south-1": "635631232127",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
}
ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"


def alb_access_log_policy(*, bucket_arn: str, account_id: str, region: str, prefix: str) -> dict[str, Any]:
    """The bucket policy that lets the region's load balancers write access logs, and nothing else.

    Regions in `ELB_LOG_ACCOUNTS` deliver as that account; every other region as the log-delivery service
    principal. Writes are limited to `<prefix>/AWSLogs/<account_id>/`; requests without TLS are denied.
    """
    partition = bucket_arn.split(":")[1] if bucket_arn.startswith("arn:") else "aws"
    elb_account = ELB_LOG_ACCOUNTS.get(region)
    principal = (
        {"AWS": f"arn:{partition}:iam::{elb_account}:root"} if elb_account else {"Service": ELB_LOG_DELIVERY_SERVICE}
    )
    return document(
        [
            {
                "Sid": "LoadBalancerAccessLogs",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{prefix}/AWSLogs/{account_id}/*",
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ]
    )


def alarm_source_arn(*, account_id: str, region: str, partition: str, alarm_prefix: str) -> str:
    """ARN pattern of this account's CloudWatch alarms whose names start with `alarm_prefix`."""
    return f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:{alarm_prefix}*"


def _from_alarms(account_id: str, source_arn: str) -> dict[str, Any]:
    # Confused-deputy guard: CloudWatch acts only for this account's alarms with the stack's names.
    return {"StringEquals": {"aws:SourceAccount": account_id}, "ArnLike": {"aws:SourceArn": source_arn}}


def log_key_policy(
    *, account_id: str, region: str, partition: str = "aws", alarm_prefix: str | None = None
) -> dict[str, Any]:
    """The key policy of a log-group key: the account administers it (through IAM); CloudWatch Logs in `region`
    may use it only for this account's log groups there (the encryption context names the log group). With
    `alarm_prefix` (the key also encrypts the stack's alarm topic) CloudWatch may encrypt messages for the
    account's alarms named so: without that it cannot publish to the topic at all."""
    alarms = []
    if alarm_prefix is not None:
        source = alarm_source_arn(account_id=account_id, region=region, partition=partition, alarm_prefix=alarm_prefix)
        alarms.append(
            {
                "Sid": "CloudWatchAlarmsPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": _from_alarms(account_id, source),
            }
        )
    return document(
        [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsEncrypts",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
                    }
                },
            },
            *alarms,
        ]
    )


def alarm_topic_policy(*, topic_arn: str, account_id: str, source_arn: str) -> dict[str, Any]:
    """The policy of the stack's alarm topic: only this account's alarms named `source_arn` may publish (as
    CloudWatch), and nobody may publish without TLS. The account's own IAM principals keep what their identity
    policies grant."""
    return document(
        [
            {
                "Sid": "CloudWatchAlarmsPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": _from_alarms(account_id, source_arn),
            },
            {
                "Sid": "TlsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ]
    )
