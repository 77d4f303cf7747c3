"""Resolve, once, what `bootstrap --for ENV` puts in ENV's account: a frozen `BootstrapPlan`.

Every stack file is read (previews as PR 1). From them come the GitHub repository (`github:`), the accounts,
the shared account (the one owning the ECR repository, where the build role, the state bucket and the KMS key
live), and one deploy role per GitHub job identity:

| role | account | trusts (`token.actions.githubusercontent.com:sub`) |
|---|---|---|
| build | shared | `repo:O/R:ref:refs/heads/main`, `repo:O/R:ref:refs/heads/release/*`, `repo:O/R:pull_request` |
| preview | the platform stack's (dev) | `repo:O/R:environment:preview` |
| dev, staging, prod, ... | the environment's | `repo:O/R:environment:<env>` |

A role's permissions come from the resource types its environment's stack synthesises
(`ecsdelivery.bootstrap.permissions`), plus its state objects, the secrets key and the ECR calls the pipeline
makes from that account. The plan holds plain data only; the components and the program turn it into resources.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ecsdelivery.bootstrap.permissions import Scope, UnknownResourceType, deployment_reads, derive_statements
from ecsdelivery.errors import ConfigError, UsageError
from ecsdelivery.naming import Label, deploy_role_name, shorten

if TYPE_CHECKING:
    from ecsdelivery.config import StackConfig

OIDC_HOST = "token.actions.githubusercontent.com"
OIDC_URL = f"https://{OIDC_HOST}"
AUDIENCE = "sts.amazonaws.com"
BUILD = "build"
PREVIEW = "preview"
#: The template stack previews are synthesised as, to learn their resource types.
PREVIEW_SAMPLE_PR = 1

ECR_PUSH = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)
#: Resolving `repo:tag`, reading a manifest, checking the repository's tag immutability.
#: Stacks with ECS services: their roles also read the services' deployments (`permissions.deployment_reads`).
SERVICE_TYPE = "aws:ecs/service:Service"
ECR_READ = ("ecr:BatchGetImage", "ecr:DescribeImages", "ecr:DescribeRepositories")
#: Adding a release or hotfix tag copies a manifest: read it, write it back under the new tag.
ECR_TAG = ("ecr:BatchGetImage", "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:PutImage")
STATE_OBJECT_ACTIONS = ("s3:DeleteObject", "s3:GetObject", "s3:PutObject")
KMS_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")


@dataclass(frozen=True)
class DeployRole:
    """One GitHub job identity's role.

    Attributes:
        key: build, preview, dev, staging, prod (an environment name).
        name: the IAM role name, `<namespace>-<app>-<key>` (outside every stack's name prefix, so no stack's
            permissions reach a deploy role).
        account: the account it lives in.
        subjects: the `sub` claims it trusts, exactly.
        variable: the repository variable that holds its ARN (`AWS_ROLE_DEV`).
        stacks: Pulumi stacks it writes (`dev`; previews `pr-*`); reads: stacks it only reads.
        ecr_actions: what it may do on the repository (also granted by the repository policy).
        statements: its identity policy statements; empty until the plan of its own account renders them.
    """

    key: str
    name: str
    account: str
    subjects: tuple[str, ...]
    variable: str
    environment: str = ""
    protected: bool = False
    stacks: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    ecr_actions: tuple[str, ...] = ()
    statements: tuple[Mapping[str, Any], ...] = ()

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role/{self.name}"

    def policy(self) -> dict[str, Any]:
        """The identity policy document."""
        return {"Version": "2012-10-17", "Statement": [dict(s) for s in self.statements]}


@dataclass(frozen=True)
class StateStore:
    """The state bucket and secrets key in the shared account."""

    account: str
    region: str
    bucket: str
    key_alias: str
    project: str

    @property
    def bucket_arn(self) -> str:
        return f"arn:aws:s3:::{self.bucket}"

    @property
    def backend_url(self) -> str:
        return f"s3://{self.bucket}?region={self.region}"

    @property
    def key_alias_arn(self) -> str:
        return f"arn:aws:kms:{self.region}:{self.account}:{self.key_alias}"

    def object_arns(self, stack: str, *, write: bool) -> list[str]:
        """The state objects of `stack` (a name or `pr-*`): checkpoint, and for writers history, backups, locks."""
        base = f"{self.bucket_arn}/.pulumi"
        arns = [f"{base}/stacks/{self.project}/{stack}.json*"]
        if write:
            arns += [
                f"{base}/history/{self.project}/{stack}/*",
                f"{base}/backups/{self.project}/{stack}/*",
                f"{base}/locks/*/{self.project}/{stack}/*",
            ]
        return arns


@dataclass(frozen=True)
class BootstrapPlan:
    """Everything `bootstrap --for ENV` creates in one account, decided up front.

    Attributes:
        env: the environment named by `--for`.
        stack: the Pulumi stack of the bootstrap program, `bootstrap-<env>`.
        account, region: where it deploys.
        github: `owner/repository`.
        create_oidc_provider: False when another bootstrap stack of this account creates GitHub's provider, or
            it already exists (`up` looks); the roles then reference it by its fixed ARN.
        roles: the deploy roles of this account, with their policies rendered.
        all_roles: every deploy role of every account (the bucket, key and repository policies name them).
        state: the state bucket and key when this is the shared account, else None (then `state_ref` names them).
        repository_arn: the ECR repository every role works with.
        label: names and tags of the bootstrap resources.
    """

    env: str
    stack: str
    account: str
    region: str
    github: str
    create_oidc_provider: bool
    roles: tuple[DeployRole, ...]
    all_roles: tuple[DeployRole, ...]
    state_ref: StateStore
    is_shared: bool
    repository_arn: str
    repository_name: str
    label: Label
    other_envs_in_account: tuple[str, ...] = field(default_factory=tuple)

    @property
    def oidc_provider_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:oidc-provider/{OIDC_HOST}"

    @property
    def state(self) -> StateStore | None:
        return self.state_ref if self.is_shared else None

    def with_existing_provider(self) -> BootstrapPlan:
        """The same plan, referencing a provider that already exists instead of creating it."""
        return replace(self, create_oidc_provider=False)


# --- resolution ----------------------------------------------------------------------------------------------


def _synth_types(env: str, pr: int | None, stacks_dir: str) -> set[str]:
    from ecsdelivery.synth import fastimport

    fastimport.install()
    from ecsdelivery.synth import synthesize

    return {r["type"] for r in synthesize(env, pr=pr, stacks_dir=stacks_dir).resources}


def _configs(stacks_dir: str) -> dict[str, StackConfig]:
    from ecsdelivery.config import list_environments, load_stack

    configs: dict[str, StackConfig] = {}
    for env in list_environments(stacks_dir):
        config = load_stack(env, stacks_dir=stacks_dir, pr=PREVIEW_SAMPLE_PR if env == PREVIEW else None)
        configs[env] = config
    return configs


def _shared_env(configs: Mapping[str, StackConfig]) -> str:
    creating = [env for env, c in configs.items() if c.ecr.create]
    if len(creating) == 1:
        return creating[0]
    if not creating:
        raise UsageError("no stack file creates the ECR repository (ecr.create: true): bootstrap needs a shared stack")
    raise UsageError(f"several stack files create the ECR repository: {', '.join(creating)}; keep one")


def _github(configs: Mapping[str, StackConfig], stacks_dir: str) -> str:
    from ecsdelivery.config.models import github_name_problem

    slugs = {(c.github.owner, c.github.repository) for c in configs.values()}
    if len(slugs) > 1:
        shown = ", ".join(sorted(f"{o}/{r}" for o, r in slugs))
        raise ConfigError([f"{stacks_dir}: github: the stack files name different repositories ({shown}); use one"])
    owner, repository = next(iter(slugs))
    if owner is None or repository is None:
        missing = "github.owner" if owner is None else "github.repository"
        raise ConfigError(
            [
                f"{stacks_dir}: {missing}: bootstrap needs the GitHub repository that deploys; add "
                "`github: {owner: ORG, repository: REPO}` to the stack files (e.g. catalog/defaults.yaml)"
            ]
        )
    problem = github_name_problem(owner, repository)
    if problem:
        raise ConfigError([f"{stacks_dir}: github: {problem}"])
    return f"{owner}/{repository}"


def _platform_names(config: StackConfig) -> tuple[str, str]:
    """(cluster, load balancer) names the stack's services use."""
    from ecsdelivery.config.models import CreatePlatform, ExistingPlatform, StackPlatform

    platform = config.platform
    if isinstance(platform, StackPlatform):
        label = Label(config.namespace, platform.stack, config.app)
    elif isinstance(platform, ExistingPlatform):
        parts = platform.listener_arn.split(":listener/app/", 1)
        lb = parts[1].split("/", 1)[0] if len(parts) == 2 else "*"
        return platform.cluster_name, lb
    else:
        assert platform is None or isinstance(platform, CreatePlatform)
        label = Label(config.namespace, config.environment, config.app)
    return label.name_for("ecs_cluster"), label.name_for("load_balancer")


def _role_name(config: StackConfig, key: str) -> str:
    return deploy_role_name(config.namespace, config.app, key)


def _roles(configs: Mapping[str, StackConfig], shared_env: str, github: str) -> list[DeployRole]:
    shared = configs[shared_env]
    registry = shared.ecr.registry_account or shared.accounts[0]
    order = list(shared.promotion.order)
    roles = [
        DeployRole(
            key=BUILD,
            name=_role_name(shared, BUILD),
            account=registry,
            subjects=(
                f"repo:{github}:pull_request",
                f"repo:{github}:ref:refs/heads/main",
                f"repo:{github}:ref:refs/heads/release/*",
            ),
            variable="AWS_ROLE_BUILD",
            ecr_actions=(*ECR_PUSH, *ECR_READ),
        )
    ]
    for env, config in configs.items():
        if env == shared_env:
            continue
        is_preview = config.environment == PREVIEW
        stacks = ("pr-*",) if is_preview else (env,)
        reads: list[str] = []
        platform = getattr(config.platform, "stack", None)
        if platform:
            reads.append(platform)
        if env in order and order.index(env) > 0:
            reads.append(order[order.index(env) - 1])  # promote SRC DST reads SRC's outputs
        # release tags (staging) and hotfix tags (prod) are added with the deploy role of that environment
        tags = env in order and order.index(env) > 0
        roles.append(
            DeployRole(
                key=env,
                name=_role_name(config, env),
                account=config.accounts[0],
                subjects=(f"repo:{github}:environment:{config.environment}",),
                variable=f"AWS_ROLE_{env.upper().replace('-', '_')}",
                environment=config.environment,
                protected=config.protected,
                stacks=stacks,
                reads=tuple(dict.fromkeys(r for r in reads if r not in stacks)),
                ecr_actions=ECR_TAG if tags else ECR_READ,
            )
        )
    return roles


def _owner_env(env: str, config: StackConfig, configs: Mapping[str, StackConfig]) -> str:
    """The `--for` environment whose bootstrap creates `env`'s role: previews go with their platform stack."""
    if config.environment == PREVIEW:
        platform = config.preview.platform_stack
        if platform in configs and configs[platform].accounts[0] == config.accounts[0]:
            return platform
    return env


def state_store(shared: StackConfig, project: str) -> StateStore:
    """The state bucket and KMS key of the shared account (names from the namespace, app and account)."""
    account = shared.ecr.registry_account or shared.accounts[0]
    return StateStore(
        account=account,
        region=shared.region,
        bucket=shorten(f"{shared.namespace}-{shared.app}-pulumi-state-{account}", 63),
        key_alias=f"alias/{shared.namespace}-{shared.app}-pulumi-secrets",
        project=project,
    )


def state_objects(role: DeployRole, state: StateStore) -> tuple[list[str], list[str]]:
    """(objects it writes, objects it only reads) of `role` in the state bucket; both policies use these."""
    writes = sorted({a for s in role.stacks for a in state.object_arns(s, write=True)})
    reads = {a for s in role.reads for a in state.object_arns(s, write=False)}
    reads.add(f"{state.bucket_arn}/.pulumi/meta.yaml")
    if role.environment == PREVIEW:
        # `cleanup-previews` lists stacks, and `pulumi stack ls` loads every checkpoint it lists.
        reads.add(f"{state.bucket_arn}/.pulumi/stacks/{state.project}/*")
    return writes, sorted(reads)


def _statements(role: DeployRole, types: set[str], scope: Scope | None, plan: dict[str, Any]) -> list[dict]:
    state: StateStore = plan["state"]
    statements: list[dict[str, Any]] = []
    if scope is not None:
        try:
            statements += derive_statements(types, scope)
        except UnknownResourceType as err:
            raise ConfigError([f"bootstrap of {role.name}: {err}"]) from None
        if SERVICE_TYPE in types:
            statements.append(deployment_reads(scope))
    statements.append({"Sid": "WhoAmI", "Effect": "Allow", "Action": ["sts:GetCallerIdentity"], "Resource": ["*"]})
    if role.key == BUILD:
        statements.append(
            {
                "Sid": "EcrLogin",
                "Effect": "Allow",
                "Action": ["ecr:GetAuthorizationToken"],
                "Resource": ["*"],  # AWS allows no narrower resource
            }
        )
    statements.append(
        {"Sid": "Repository", "Effect": "Allow", "Action": sorted(role.ecr_actions), "Resource": [plan["repo"]]}
    )
    if role.stacks:
        writes, reads = state_objects(role, state)
        statements += [
            {"Sid": "StateList", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [state.bucket_arn]},
            {"Sid": "StateWrite", "Effect": "Allow", "Action": list(STATE_OBJECT_ACTIONS), "Resource": writes},
            {"Sid": "StateRead", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": reads},
            {
                "Sid": "SecretsKey",
                "Effect": "Allow",
                "Action": list(KMS_ACTIONS),
                "Resource": [f"arn:aws:kms:{state.region}:{state.account}:key/*"],
                # A key is named by its alias only through this condition key (aliases are not resources here).
                "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": state.key_alias}},
            },
        ]
    return statements


def resolve_bootstrap(
    env: str,
    *,
    stacks_dir: str | os.PathLike[str] = "stacks",
    project: str = "ecsdelivery",
    synth: Callable[[str, int | None], set[str]] | None = None,
) -> BootstrapPlan:
    """The bootstrap plan of ENV's account.

    Args:
        env: shared, dev, staging, prod (a stack file; `preview` shares its platform stack's account).
        stacks_dir: directory of the stack files.
        project: the Pulumi project name (it is part of the state objects' keys).
        synth: `(env, pr) -> resource types`; default: the offline synth of that stack.

    Raises:
        UsageError: an unknown ENV, or `preview` (exit 2).
        ConfigError: a missing or malformed `github:` section, or stack files naming different repositories.
    """
    stacks_dir = str(stacks_dir)
    configs = _configs(stacks_dir)
    if env not in configs:
        known = ", ".join(e for e in configs if configs[e].environment != PREVIEW) or "none"
        raise UsageError(f"bootstrap --for {env!r}: no stack file {stacks_dir}/{env}.yaml; known: {known}")
    if configs[env].environment == PREVIEW:
        owner = _owner_env(env, configs[env], configs)
        raise UsageError(f"bootstrap --for {env}: previews share {owner}'s account; run bootstrap --for {owner}")
    github = _github(configs, stacks_dir)
    shared_env = _shared_env(configs)
    shared = configs[shared_env]
    state = state_store(shared, project)
    config = configs[env]
    account = config.accounts[0]
    all_roles = _roles(configs, shared_env, github)
    owners = {e: _owner_env(e, c, configs) for e, c in configs.items()}
    owners[BUILD] = shared_env

    synth = synth or (lambda e, pr: _synth_types(e, pr, stacks_dir))
    from ecsdelivery.stack import resolve_stack

    repo = resolve_stack(shared_env, stacks_dir=stacks_dir).repository_arn
    mine: list[DeployRole] = []
    for role in all_roles:
        if owners.get(role.key) != env:
            continue
        scope = None
        types: set[str] = set()
        if role.key != BUILD:
            role_config = configs[role.key]
            cluster, lb = _platform_names(role_config)
            scope = Scope(
                region=role_config.region,
                account=role.account,
                environment=role_config.environment,
                prefix=Label(role_config.namespace, role_config.environment, role_config.app).id,
                cluster=cluster,
                load_balancer=lb,
            )
            types = synth(role.key, role_config.pr)
        statements = _statements(role, types, scope, {"state": state, "repo": repo})
        mine.append(replace(role, statements=tuple(statements)))

    # The first bootstrap stack of an account creates GitHub's provider; the others reference it.
    in_account = [e for e in _bootstrap_order(configs, shared_env) if _account_of(e, configs, shared_env) == account]
    return BootstrapPlan(
        env=env,
        stack=f"bootstrap-{env}",
        account=account if env != shared_env else state.account,
        region=config.region,
        github=github,
        create_oidc_provider=bool(in_account) and in_account[0] == env,
        roles=tuple(mine),
        all_roles=tuple(all_roles),
        state_ref=state,
        is_shared=env == shared_env,
        repository_arn=repo,
        repository_name=shared.ecr.name,
        label=Label(config.namespace, "bootstrap", config.app, (), dict(config.tags)),
        other_envs_in_account=tuple(e for e in in_account if e != env),
    )


def _account_of(env: str, configs: Mapping[str, StackConfig], shared_env: str) -> str:
    config = configs[env]
    if env == shared_env:
        return config.ecr.registry_account or config.accounts[0]
    return config.accounts[0]


def _bootstrap_order(configs: Mapping[str, StackConfig], shared_env: str) -> list[str]:
    """Environments that have a bootstrap stack, shared first, then the promotion order, then the rest."""
    order = [shared_env, *configs[shared_env].promotion.order]
    rest = sorted(e for e in configs if e not in order)
    return [e for e in dict.fromkeys([*order, *rest]) if e in configs and configs[e].environment != PREVIEW]


def bootstrap_environments(stacks_dir: str | os.PathLike[str] = "stacks") -> list[str]:
    """The values `--for` accepts: every stack file but the preview template."""
    configs = _configs(str(stacks_dir))
    return _bootstrap_order(configs, _shared_env(configs))


def accounts_in_stack_files(stacks_dir: str | os.PathLike[str] = "stacks") -> dict[str, list[str]]:
    """Account id -> the environments that list it (`accounts`, and the repository's registry account)."""
    found: dict[str, list[str]] = {}
    for env, config in _configs(str(stacks_dir)).items():
        for account in [*config.accounts, *([config.ecr.registry_account] if config.ecr.create else [])]:
            if account and env not in found.setdefault(account, []):
                found[account].append(env)
    return found


def github_variables(plan: BootstrapPlan, outputs: Mapping[str, Any] | None = None) -> list[tuple[str, str]]:
    """(name, value) of the repository variables this account's bootstrap provides."""
    variables = [(role.variable, role.arn) for role in plan.roles]
    if plan.is_shared:
        state = plan.state_ref
        variables += [
            ("AWS_REGION", plan.region),
            ("ECR_REPOSITORY", plan.repository_name),
            ("PULUMI_BACKEND_URL", state.backend_url),
        ]
        key_arn = (outputs or {}).get("secretsKeyArn")
        if key_arn:
            variables.append(("PULUMI_SECRETS_PROVIDER", f"awskms://{key_arn}?region={state.region}"))
    return variables


__all__ = [
    "AUDIENCE",
    "OIDC_HOST",
    "BootstrapPlan",
    "DeployRole",
    "StateStore",
    "accounts_in_stack_files",
    "bootstrap_environments",
    "github_variables",
    "resolve_bootstrap",
    "state_store",
]
