"""EcrRepository: an ECR repository that outlives every environment that pulls from it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ecsdelivery.components import _policies
from ecsdelivery.components._common import child, to_json
from ecsdelivery.naming import Label


@dataclass
class EcrRepositoryArgs:
    """Arguments of `EcrRepository`.

    Attributes:
        label: names and tags; the repository is called `label.name_for("ecr_repository")` unless `name` is set.
        name: explicit repository name (e.g. "acme/web"); default None: from the label.
        immutable_tags: refuse to move an existing tag; default True (promotion relies on it).
        scan_on_push: basic vulnerability scan of each pushed image; default True.
        kms_key_arn: encrypt with this KMS key; default None: AES256 (AWS-managed).
        release_tag_prefixes: tags that mark releases; default ("v",).
        keep_releases: release images kept (the oldest beyond are expired); default 30.
        ephemeral_tag_prefixes: build and preview tags; default ("sha-", "pr-").
        ephemeral_days: days before build/preview images expire; default 14.
        untagged_days: days before untagged images expire; default 1.
        pull_account_ids: other AWS accounts allowed to pull and read images (those that deploy them); default none.
        tag_account_ids: other AWS accounts also allowed to add tags to pushed images (PutImage, no layer
            uploads: release and hotfix tags); default none.
        tag_role_arns: within `tag_account_ids`, only these roles may tag (the deploy roles); default none: any
            principal those accounts allow.
        force_delete: delete even when images remain; default False, so destroying a stack never loses images.
    """

    label: Label
    name: str | None = None
    immutable_tags: bool = True
    scan_on_push: bool = True
    kms_key_arn: pulumi.Input[str] | None = None
    release_tag_prefixes: Sequence[str] = ("v",)
    keep_releases: int = 30
    ephemeral_tag_prefixes: Sequence[str] = ("sha-", "pr-")
    ephemeral_days: int = 14
    untagged_days: int = 1
    pull_account_ids: Sequence[str] = field(default_factory=tuple)
    tag_account_ids: Sequence[str] = field(default_factory=tuple)
    tag_role_arns: Sequence[str] = field(default_factory=tuple)
    force_delete: bool = False


class EcrRepository(pulumi.ComponentResource):
    """An ECR repository with immutable tags, scan on push, encryption, a lifecycle policy and cross-account pull.

    Children: `<name>-repo` (aws.ecr.Repository), `<name>-lifecycle` (aws.ecr.LifecyclePolicy) and, with
    `pull_account_ids` or `tag_account_ids`, `<name>-pull` (aws.ecr.RepositoryPolicy, the cross-account grants).

        repo = EcrRepository("app", EcrRepositoryArgs(label=Label("acme", "shared", "web")))
        pulumi.export("repositoryUrl", repo.repository_url)
    """

    repository_name: pulumi.Output[str]
    repository_arn: pulumi.Output[str]
    repository_url: pulumi.Output[str]
    registry_id: pulumi.Output[str]

    def __init__(self, name: str, args: EcrRepositoryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsdelivery:index:EcrRepository", name, None, opts)
        self._name = name
        self._args = args
        self._repository = self._create_repository()
        self._create_lifecycle_policy()
        if args.pull_account_ids or args.tag_account_ids:
            self._create_pull_policy()

        self.repository_name = self._repository.name
        self.repository_arn = self._repository.arn
        self.repository_url = self._repository.repository_url
        self.registry_id = self._repository.registry_id
        self.register_outputs(
            {
                "repositoryName": self.repository_name,
                "repositoryArn": self.repository_arn,
                "repositoryUrl": self.repository_url,
            }
        )

    def _create_repository(self) -> aws.ecr.Repository:
        args = self._args
        encryption = (
            {"encryption_type": "KMS", "kms_key": args.kms_key_arn}
            if args.kms_key_arn
            else {"encryption_type": "AES256"}
        )
        return aws.ecr.Repository(
            f"{self._name}-repo",
            name=args.name or args.label.name_for("ecr_repository"),
            image_tag_mutability="IMMUTABLE" if args.immutable_tags else "MUTABLE",
            image_scanning_configuration={"scan_on_push": args.scan_on_push},
            encryption_configurations=[encryption],
            force_delete=args.force_delete,
            tags=args.label.tags,
            opts=child(self),
        )

    def _create_lifecycle_policy(self) -> aws.ecr.LifecyclePolicy:
        args = self._args
        policy = _policies.lifecycle_policy(
            release_tag_prefixes=args.release_tag_prefixes,
            keep_releases=args.keep_releases,
            ephemeral_tag_prefixes=args.ephemeral_tag_prefixes,
            ephemeral_days=args.ephemeral_days,
            untagged_days=args.untagged_days,
        )
        return aws.ecr.LifecyclePolicy(
            f"{self._name}-lifecycle", repository=self._repository.name, policy=to_json(policy), opts=child(self)
        )

    def _create_pull_policy(self) -> aws.ecr.RepositoryPolicy:
        policy = _policies.cross_account_policy(
            self._args.pull_account_ids, self._args.tag_account_ids, self._args.tag_role_arns
        )
        return aws.ecr.RepositoryPolicy(
            f"{self._name}-pull", repository=self._repository.name, policy=to_json(policy), opts=child(self)
        )
