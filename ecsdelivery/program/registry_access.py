"""Which other accounts the shared ECR repository admits, derived from the stack files (no hand-kept list).

Every cross-account call on the repository is granted by its policy, to the account the caller's role lives in
(the workflows never switch to a role in the registry account mid-job):

- every stack that uses the repository (same `ecr.name` and registry account) reads it: its tasks pull the
  image, and its deploy role resolves `repo:tag` (DescribeImages) and reads manifests (BatchGetImage,
  DescribeRepositories) for rollbacks and release tags;
- the environments after the first in `promotion.order` also tag (PutImage of a manifest already pushed): the
  release version is tagged where a release is first deployed (staging), a hotfix version where a hotfix is
  deployed (prod); only their deploy roles (`<namespace>-<app>-<env>`, as `bootstrap` creates them) may;
- `ecr.pull_accounts` of the registry's stack adds readers the stack files do not show.

The registry's own account needs no grant: its roles' identity policies suffice.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from ecsdelivery.config import StackConfig, list_environments, load_stack
from ecsdelivery.naming import deploy_role_name


@dataclass(frozen=True)
class RegistryAccess:
    """Accounts granted by the repository policy: `read_accounts` pull and read, `tag_accounts` also tag, and
    within those only `tag_roles` (the deploy roles of the tagging environments, as `bootstrap` names them)."""

    read_accounts: tuple[str, ...]
    tag_accounts: tuple[str, ...]
    tag_roles: tuple[str, ...] = ()


def registry_account(config: StackConfig) -> str:
    """The account that owns `config`'s ECR repository."""
    return config.ecr.registry_account or config.accounts[0]


def registry_access(registry: StackConfig, stacks: Iterable[StackConfig]) -> RegistryAccess:
    """The grants `registry` (the stack that creates the repository) needs for the stacks that use it."""
    owner = registry_account(registry)
    users = [
        cfg
        for cfg in stacks
        if not cfg.ecr.create and cfg.ecr.name == registry.ecr.name and registry_account(cfg) == owner
    ]
    taggers = set(registry.promotion.order[1:])
    read = set(registry.ecr.pull_accounts).union(*(cfg.accounts for cfg in users))
    tagging = [cfg for cfg in users if cfg.environment in taggers]
    tag = set().union(*(cfg.accounts for cfg in tagging))
    roles = {
        f"arn:aws:iam::{account}:role/{deploy_role_name(cfg.namespace, cfg.app, cfg.stack_file or cfg.environment)}"
        for cfg in tagging
        for account in cfg.accounts
        if account != owner
    }
    return RegistryAccess(tuple(sorted(read - {owner})), tuple(sorted(tag - {owner})), tuple(sorted(roles)))


def load_registry_access(registry: StackConfig, stacks_dir: str | os.PathLike[str]) -> RegistryAccess:
    """`registry_access` over every stack file in `stacks_dir` (the preview template read as PR 1)."""
    stacks = [
        load_stack(env, stacks_dir=stacks_dir, pr=1 if env == "preview" else None)
        for env in list_environments(stacks_dir)
        if env != registry.environment
    ]
    return registry_access(registry, stacks)
