"""Bootstrap components: GitHub's OIDC provider, a deploy role per GitHub job identity, the state backend.

They take plain typed args (trust subjects, policy statements, principals) and never read stack files; the
bootstrap program (`ecsdelivery.bootstrap.program`) turns a resolved `BootstrapPlan` into these args.

    provider = GithubOidcProvider("github", GithubOidcProviderArgs(label=label))
    role = GithubDeployRole("dev", GithubDeployRoleArgs(label=label, name="acme-web-dev",
        provider_arn=provider.arn, subjects=["repo:acme/web:environment:dev"], statements=[...]))
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsdelivery.components._common import block_public_access, child, to_json
from ecsdelivery.naming import Label

GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"


@dataclass
class GithubOidcProviderArgs:
    """Arguments of `GithubOidcProvider`.

    Attributes:
        label: tags.
        create: create the provider (default True); False references the account's existing one by its ARN,
            `arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com`.
        account: the account id; needed only to reference (create=False).
    """

    label: Label
    create: bool = True
    account: str | None = None


class GithubOidcProvider(pulumi.ComponentResource):
    """GitHub Actions' OIDC identity provider (audience `sts.amazonaws.com`), created or referenced.

    Child (create only): `<name>-provider` (aws.iam.OpenIdConnectProvider). AWS keeps one provider per URL
    and account, so a second bootstrap stack in the same account references it instead.
    """

    arn: pulumi.Output[str]

    def __init__(self, name: str, args: GithubOidcProviderArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsdelivery:index:GithubOidcProvider", name, None, opts)
        if args.create:
            provider = aws.iam.OpenIdConnectProvider(
                f"{name}-provider",
                url=GITHUB_OIDC_URL,
                client_id_lists=[STS_AUDIENCE],
                tags=args.label.tags,
                opts=child(self),
            )
            self.arn = provider.arn
        else:
            if not args.account:
                raise ValueError("GithubOidcProvider: referencing an existing provider needs the account id")
            self.arn = pulumi.Output.from_input(f"arn:aws:iam::{args.account}:oidc-provider/{GITHUB_OIDC_HOST}")
        self.register_outputs({"arn": self.arn})


def github_trust_policy(provider_arn: str, subjects: Sequence[str]) -> dict[str, Any]:
    """Trust exactly `subjects` of GitHub's tokens, with the STS audience checked.

    Subjects with a `*` (a branch pattern such as `ref:refs/heads/release/*`) need `StringLike`; exact ones
    alone use `StringEquals`. A wildcard owner or repository is refused.
    """
    for subject in subjects:
        parts = subject.split(":")
        if len(parts) < 3 or parts[0] != "repo" or "*" in parts[1] or "?" in parts[1]:
            raise ValueError(f"trust subject {subject!r} must name one repository: repo:OWNER/REPO:...")
    condition: dict[str, Any] = {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE}}
    if any("*" in s for s in subjects):
        condition["StringLike"] = {f"{GITHUB_OIDC_HOST}:sub": sorted(subjects)}
    else:
        condition["StringEquals"][f"{GITHUB_OIDC_HOST}:sub"] = sorted(subjects)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GitHubActions",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": condition,
            }
        ],
    }


#: AWS's limit on a customer managed policy, in characters without white space.
MANAGED_POLICY_LIMIT = 6144
#: Managed policies attached to one role by default.
MAX_ATTACHED_POLICIES = 10


def policy_size(document: Mapping[str, Any]) -> int:
    """The size AWS counts: the JSON without white space."""
    return len(json.dumps(document, separators=(",", ":")))


def policy_documents(statements: Sequence[Mapping[str, Any]], limit: int = MANAGED_POLICY_LIMIT) -> list[dict]:
    """`statements` split, in order, into as few policy documents as fit `limit` characters each.

    Raises:
        ValueError: one statement alone exceeds the limit, or more than `MAX_ATTACHED_POLICIES` are needed.
    """
    documents: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    for statement in statements:
        candidate = {"Version": "2012-10-17", "Statement": [*current, dict(statement)]}
        if current and policy_size(candidate) > limit:
            documents.append({"Version": "2012-10-17", "Statement": current})
            current = [dict(statement)]
        else:
            current = candidate["Statement"]
        if policy_size({"Version": "2012-10-17", "Statement": current}) > limit:
            raise ValueError(f"policy statement {statement.get('Sid', '')!r} alone exceeds {limit} characters")
    if current:
        documents.append({"Version": "2012-10-17", "Statement": current})
    if len(documents) > MAX_ATTACHED_POLICIES:
        raise ValueError(f"{len(documents)} managed policies needed; a role takes {MAX_ATTACHED_POLICIES}")
    return documents


@dataclass
class GithubDeployRoleArgs:
    """Arguments of `GithubDeployRole`.

    Attributes:
        label: tags.
        name: the role name.
        provider_arn: GitHub's OIDC provider in this account.
        subjects: the `sub` claims trusted, e.g. ["repo:acme/web:environment:prod"].
        statements: the role's permissions (IAM policy statements), attached as customer managed policies
            `<name>-0`, `<name>-1`, ... of at most 6,144 characters each (AWS's limit).
        max_session_seconds: longest session; default 3600.
    """

    label: Label
    name: str
    provider_arn: pulumi.Input[str]
    subjects: Sequence[str]
    statements: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    max_session_seconds: int = 3600


class GithubDeployRole(pulumi.ComponentResource):
    """A role GitHub Actions assumes with its OIDC token: exact subjects, STS audience, given permissions.

    Children: `<name>-role` (aws.iam.Role), and per policy document `<name>-policy-<i>` (aws.iam.Policy) with
    `<name>-policy-<i>-attachment` (aws.iam.RolePolicyAttachment).
    """

    arn: pulumi.Output[str]
    role_name: pulumi.Output[str]

    def __init__(self, name: str, args: GithubDeployRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsdelivery:index:GithubDeployRole", name, None, opts)
        trust = pulumi.Output.from_input(args.provider_arn).apply(lambda arn: github_trust_policy(arn, args.subjects))
        role = aws.iam.Role(
            f"{name}-role",
            name=args.name,
            assume_role_policy=to_json(trust),
            max_session_duration=args.max_session_seconds,
            description=f"GitHub Actions: {', '.join(sorted(args.subjects))}",
            tags={**args.label.tags, "Name": args.name},
            opts=child(self),
        )
        for index, document in enumerate(policy_documents(args.statements)):
            policy = aws.iam.Policy(
                f"{name}-policy-{index}",
                name=f"{args.name}-{index}",
                description=f"Deploy permissions of {args.name} ({index + 1})",
                policy=to_json(document),
                tags={**args.label.tags, "Name": args.name},
                opts=child(self),
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-policy-{index}-attachment", role=role.name, policy_arn=policy.arn, opts=child(self)
            )
        self.arn = role.arn
        self.role_name = role.name
        self.register_outputs({"arn": self.arn, "roleName": self.role_name})


@dataclass
class StateAccess:
    """What one principal may do with the state: write its own stacks' objects, read others'.

    Attributes:
        principal_arn: the deploy role (in any account).
        write_arns: object ARNs (patterns) it may get, put and delete.
        read_arns: object ARNs (patterns) it may only get.
    """

    principal_arn: str
    write_arns: Sequence[str]
    read_arns: Sequence[str]


@dataclass
class StateBackendArgs:
    """Arguments of `StateBackend`.

    Attributes:
        label: tags.
        account: the account the bucket and key live in (it administers the key).
        bucket: the bucket name (globally unique).
        key_alias: the KMS key's alias, `alias/...`.
        access: the principals that use the state, and how far.
        noncurrent_days: days a replaced state version is kept; default 90.
        initial_meta: content of `.pulumi/meta.yaml`, written so no deploy role needs to write it; default
            "version: 1" (Pulumi's project-scoped layout).
    """

    label: Label
    account: str
    bucket: str
    key_alias: str
    access: Sequence[StateAccess] = field(default_factory=tuple)
    noncurrent_days: int = 90
    initial_meta: str | None = "version: 1\n"


def _account_of(arn: str) -> str:
    return arn.split(":")[4]


def key_policy(admin_account: str, access: Sequence[StateAccess]) -> dict[str, Any]:
    """The KMS key's policy: the owning account administers it; the deploy roles encrypt and decrypt.

    Roles of other accounts are named by account principal plus `aws:PrincipalArn`, so the policy is valid
    before those roles exist (a role principal must exist when the policy is set).
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{admin_account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if access:
        statements.append(
            {
                "Sid": "DeployRolesUseKey",
                "Effect": "Allow",
                "Principal": {"AWS": sorted({f"arn:aws:iam::{_account_of(a.principal_arn)}:root" for a in access})},
                "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalArn": sorted({a.principal_arn for a in access})}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def bucket_policy(bucket_arn: str, access: Sequence[StateAccess]) -> dict[str, Any]:
    """TLS only; each deploy role lists the bucket, writes its own stacks and reads the ones it reads."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "TlsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    for index, entry in enumerate(sorted(access, key=lambda a: a.principal_arn)):
        principal = {"AWS": f"arn:aws:iam::{_account_of(entry.principal_arn)}:root"}
        condition = {"StringEquals": {"aws:PrincipalArn": entry.principal_arn}}
        statements.append(
            {
                "Sid": f"List{index}",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:ListBucket",
                "Resource": bucket_arn,
                "Condition": condition,
            }
        )
        if entry.write_arns:
            statements.append(
                {
                    "Sid": f"Write{index}",
                    "Effect": "Allow",
                    "Principal": principal,
                    "Action": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                    "Resource": sorted(entry.write_arns),
                    "Condition": condition,
                }
            )
        if entry.read_arns:
            statements.append(
                {
                    "Sid": f"Read{index}",
                    "Effect": "Allow",
                    "Principal": principal,
                    "Action": "s3:GetObject",
                    "Resource": sorted(entry.read_arns),
                    "Condition": condition,
                }
            )
    return {"Version": "2012-10-17", "Statement": statements}


class StateBackend(pulumi.ComponentResource):
    """Pulumi's S3 state backend and the KMS key of its `awskms://` secrets provider.

    Children: `<name>-key` (aws.kms.Key, rotation on) and `<name>-key-alias`; `<name>-bucket` (aws.s3.Bucket)
    with `-versioning`, `-encryption` (SSE-KMS with the key, bucket key on), `-public-access` (all four blocks),
    `-policy` (TLS only, per-role access), `-lifecycle` (replaced versions expire) and `-meta`. The bucket and
    key are `protect`ed and retained on delete: losing them loses every stack's state.
    """

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: StateBackendArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsdelivery:index:StateBackend", name, None, opts)
        self._name = name
        self._args = args
        key = self._create_key()
        bucket = self._create_bucket()
        self._configure_bucket(bucket, key)
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.key_arn = key.arn
        self.register_outputs({"bucketName": self.bucket_name, "bucketArn": self.bucket_arn, "keyArn": self.key_arn})

    def _keep(self) -> pulumi.ResourceOptions:
        return child(self, protect=True, retain_on_delete=True)

    def _create_key(self) -> aws.kms.Key:
        key = aws.kms.Key(
            f"{self._name}-key",
            description=f"Pulumi secrets and state of {self._args.label.namespace}/{self._args.label.name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=to_json(key_policy(self._args.account, self._args.access)),
            tags=self._args.label.tags,
            opts=self._keep(),
        )
        aws.kms.Alias(f"{self._name}-key-alias", name=self._args.key_alias, target_key_id=key.key_id, opts=child(self))
        return key

    def _create_bucket(self) -> aws.s3.Bucket:
        return aws.s3.Bucket(
            f"{self._name}-bucket", bucket=self._args.bucket, tags=self._args.label.tags, opts=self._keep()
        )

    def _configure_bucket(self, bucket: aws.s3.Bucket, key: aws.kms.Key) -> None:
        name = self._name
        args = self._args
        block_public_access(self, f"{name}-public-access", bucket.id)
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child(self),
        )
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": key.arn,
                    },
                    "bucket_key_enabled": True,
                }
            ],
            opts=child(self),
        )
        access = list(args.access)
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=to_json(bucket.arn.apply(lambda arn: bucket_policy(arn, access))),
            opts=child(self),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire-replaced-state",
                    "status": "Enabled",
                    "filter": {},
                    "noncurrent_version_expiration": {"noncurrent_days": args.noncurrent_days},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                }
            ],
            opts=child(self),
        )
        if args.initial_meta is not None:
            aws.s3.BucketObjectv2(
                f"{name}-meta",
                bucket=bucket.id,
                key=".pulumi/meta.yaml",
                content=args.initial_meta,
                content_type="application/x-yaml",
                opts=child(self, depends_on=[encryption]),
            )


__all__ = [
    "GithubDeployRole",
    "GithubDeployRoleArgs",
    "GithubOidcProvider",
    "GithubOidcProviderArgs",
    "StateAccess",
    "StateBackend",
    "StateBackendArgs",
    "bucket_policy",
    "github_trust_policy",
    "key_policy",
]
