"""The bootstrap program: a resolved `BootstrapPlan` -> the bootstrap components, and its exports.

    program = bootstrap_program(resolve_bootstrap("dev"))   # a Pulumi program function

Exports: `oidcProviderArn`, `oidcProviderCreated`, `roles` (key -> role ARN), and in the shared account
`stateBucket`, `backendUrl`, `secretsKeyArn`, `secretsProvider`.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi

from ecsdelivery.bootstrap.plan import BootstrapPlan, state_objects
from ecsdelivery.components.bootstrap import (
    GithubDeployRole,
    GithubDeployRoleArgs,
    GithubOidcProvider,
    GithubOidcProviderArgs,
    StateAccess,
    StateBackend,
    StateBackendArgs,
)


def state_access(plan: BootstrapPlan) -> list[StateAccess]:
    """Every deploy role of every account that uses the state, with the objects it writes and reads."""
    access = []
    for role in plan.all_roles:
        if role.stacks:
            writes, reads = state_objects(role, plan.state_ref)
            access.append(StateAccess(principal_arn=role.arn, write_arns=writes, read_arns=reads))
    return access


def bootstrap_program(plan: BootstrapPlan) -> Callable[[], None]:
    """A Pulumi program creating what `plan` decided, in its account."""

    def program() -> None:
        label = plan.label
        provider = GithubOidcProvider(
            "github-oidc",
            GithubOidcProviderArgs(label=label, create=plan.create_oidc_provider, account=plan.account),
        )
        roles = {}
        for role in plan.roles:
            deploy_role = GithubDeployRole(
                f"role-{role.key}",
                GithubDeployRoleArgs(
                    label=label,
                    name=role.name,
                    provider_arn=provider.arn,
                    subjects=role.subjects,
                    statements=role.statements,
                ),
            )
            roles[role.key] = deploy_role.arn
        pulumi.export("oidcProviderArn", provider.arn)
        pulumi.export("oidcProviderCreated", plan.create_oidc_provider)
        pulumi.export("roles", roles)
        state = plan.state
        if state is not None:
            backend = StateBackend(
                "state",
                StateBackendArgs(
                    label=label,
                    account=state.account,
                    bucket=state.bucket,
                    key_alias=state.key_alias,
                    access=state_access(plan),
                ),
            )
            pulumi.export("stateBucket", backend.bucket_name)
            pulumi.export("backendUrl", state.backend_url)
            pulumi.export("secretsKeyArn", backend.key_arn)
            pulumi.export("secretsProvider", backend.key_arn.apply(lambda arn: f"awskms://{arn}?region={state.region}"))

    return program


__all__ = ["bootstrap_program", "state_access"]
