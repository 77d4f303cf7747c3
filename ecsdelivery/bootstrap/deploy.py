"""`up bootstrap --for ENV`: deploy the bootstrap program of ENV's account, then say what GitHub needs.

Before anything is created: the plan is resolved (a bad `--for` or `github:` section exits 2), the credentials'
account is checked (an account no stack file lists exits 2; one that belongs to another environment exits 4),
and GitHub's OIDC provider is looked up, so an account that already has one references it instead of failing
on a duplicate. The stack `bootstrap-<ENV>` keeps its state where `--backend` or `PULUMI_BACKEND_URL` say, else
in the local file backend: the state bucket it creates cannot hold the state of its own creation.

Afterwards it prints one `gh variable set NAME --body VALUE --repo OWNER/REPO` line per repository variable
(role ARNs; in the shared account also region, repository, backend URL and secrets provider) and, in GitHub
Actions, writes them to `$GITHUB_OUTPUT` and a table to `$GITHUB_STEP_SUMMARY`.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, TextIO

from ecsdelivery.bootstrap.plan import (
    OIDC_URL,
    BootstrapPlan,
    accounts_in_stack_files,
    github_variables,
    resolve_bootstrap,
)
from ecsdelivery.bootstrap.program import bootstrap_program
from ecsdelivery.driver import github
from ecsdelivery.driver import plan as driver_plan
from ecsdelivery.driver.local import provider_config
from ecsdelivery.driver.report import Reporter, changes_text
from ecsdelivery.driver.workspace import HOOKS, Hooks, Settings, Workspace
from ecsdelivery.errors import MissingRequirementError, UsageError

#: Services the bootstrap program calls, for `--local` (the delivery program's list has no S3 or KMS).
LOCAL_ENDPOINTS = ("iam", "s3", "kms", "sts")


@dataclass(frozen=True)
class BootstrapReport:
    """What `up bootstrap` did."""

    stack: str
    account: str
    outputs: dict[str, Any]
    changes: dict[str, int]
    variables: list[tuple[str, str]]


def check_caller(plan: BootstrapPlan, caller: str | None, listed: Mapping[str, list[str]]) -> None:
    """Refuse credentials that are missing (exit 4), of an account no stack file lists (exit 2), or of another
    environment's account (exit 4)."""
    if caller is None:
        raise MissingRequirementError(
            f"no AWS credentials: bootstrap --for {plan.env} deploys to account {plan.account}"
        )
    if caller not in listed:
        raise UsageError(
            f"the AWS credentials are for account {caller}, which no stack file lists; bootstrap --for "
            f"{plan.env} deploys to {plan.account}"
        )
    if caller != plan.account:
        raise MissingRequirementError(
            f"the AWS credentials are for account {caller} ({', '.join(listed[caller])}), but bootstrap --for "
            f"{plan.env} deploys to {plan.account}; use credentials for that account"
        )


def gh_commands(plan: BootstrapPlan, variables: list[tuple[str, str]]) -> list[str]:
    """`gh variable set` lines, quoted for a POSIX shell."""
    return [
        f"gh variable set {name} --body {shlex.quote(value)} --repo {shlex.quote(plan.github)}"
        for name, value in variables
    ]


def summary_markdown(report: BootstrapReport, plan: BootstrapPlan) -> str:
    lines = [
        f"### Bootstrapped `{report.stack}` (account {report.account})",
        "",
        f"Changes: {changes_text(report.changes)}. Repository variables of `{plan.github}`:",
        "",
        "| variable | value |",
        "|---|---|",
        *[f"| `{name}` | `{value}` |" for name, value in report.variables],
    ]
    return "\n".join(lines)


class BootstrapDeployer:
    """One `up bootstrap` run. Example::

    BootstrapDeployer(Settings(yes=True)).up("dev")
    """

    def __init__(self, settings: Settings, hooks: Hooks | None = None, out: TextIO | None = None) -> None:
        self.settings = settings
        self.hooks = hooks or HOOKS
        self.report = Reporter(out or sys.stdout, settings.environ)

    def _workspace(self, plan: BootstrapPlan) -> Workspace:
        hooks = replace(self.hooks, program=bootstrap_program(plan))
        return Workspace(self.settings, hooks, self.report.say)

    def _existing_provider(self, workspace: Workspace, plan: BootstrapPlan, stack: Any) -> BootstrapPlan:
        """Reference the account's provider when it exists and this stack did not create it."""
        if not plan.create_oidc_provider:
            return plan
        outputs = {k: v.value for k, v in stack.outputs().items()}
        if outputs.get("oidcProviderCreated") is True:
            return plan  # ours: keep managing it
        exists = workspace.aws().oidc_provider_exists(plan.region, OIDC_URL)
        if exists:
            self.report.say(f"GitHub's OIDC provider exists in {plan.account}: referencing it")
            return plan.with_existing_provider()
        if exists is None:
            self.report.say(
                "warning: cannot list the account's OIDC providers (iam:ListOpenIDConnectProviders); creating one"
            )
        return plan

    def up(self, env: str) -> BootstrapReport:
        """Deploy `bootstrap-<env>`; report the changes and the repository variables."""
        plan = resolve_bootstrap(env, stacks_dir=self.settings.stacks_dir, project=self._project())
        listed = accounts_in_stack_files(self.settings.stacks_dir)
        if driver_plan.confirm_needed(
            plan.stack, protected=True, yes=self.settings.yes, interactive=self.settings.is_interactive()
        ):
            answer = input(f"{plan.stack} creates IAM roles in {plan.account}. Type its name to deploy it: ").strip()
            if answer != plan.stack:
                raise UsageError(f"not confirmed; {plan.stack} left unchanged")
        workspace = self._workspace(plan)
        backend = workspace.backend(None)
        workspace.pulumi()
        with workspace.emulator():
            if not self.settings.local:
                check_caller(plan, workspace.aws().caller_account(plan.region), listed)
            stack = workspace.open(plan.stack, backend, create=True)
            decided = self._existing_provider(workspace, plan, stack)
            if decided is not plan:
                plan = decided
                workspace = self._workspace(plan)
                stack = workspace.open(plan.stack, backend, create=True)
            config = {"aws:region": plan.region}
            if self.settings.local and workspace.endpoint:
                config.update(provider_config(workspace.endpoint, plan.region))
                config.update({f"aws:endpoints[0].{key}": workspace.endpoint for key in LOCAL_ENDPOINTS})
            with workspace.mapped(plan.stack, "configuring the stack"):
                workspace.apply_config(stack, config)
            self.report.say(f"deploying {plan.stack} to account {plan.account}")
            with workspace.mapped(plan.stack, "the update", stack), self.report.stream(f"pulumi up {plan.stack}"):
                result = stack.up(on_output=self.report.say)
        outputs = {k: v.value for k, v in result.outputs.items()}
        report = BootstrapReport(
            stack=plan.stack,
            account=plan.account,
            outputs=outputs,
            changes=dict(result.summary.resource_changes or {}),
            variables=github_variables(plan, outputs),
        )
        self._print(report, plan)
        return report

    def _project(self) -> str:
        return Workspace(self.settings, self.hooks, self.report.say).project_name()

    def _print(self, report: BootstrapReport, plan: BootstrapPlan) -> None:
        say = self.report.say
        say(f"\n{report.stack}: {changes_text(report.changes)}")
        say(f"repository variables of {plan.github} (run these, or set them under Settings > Variables):")
        for line in gh_commands(plan, report.variables):
            say(f"  {line}")
        if plan.is_shared and "secretsProvider" in report.outputs:
            say(
                "stack files: set state.backend_url to "
                f"{report.outputs.get('backendUrl')} and state.secrets_provider to {report.outputs['secretsProvider']}"
            )
        github.write_outputs(self.report.environ, dict(report.variables))
        self.report.summary(summary_markdown(report, plan))


__all__ = ["BootstrapDeployer", "BootstrapReport", "check_caller", "gh_commands", "summary_markdown"]
