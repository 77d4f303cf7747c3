"""Bootstrap as code: what each AWS account needs before the pipeline can deploy.

Per account (`python -m ecsdelivery synth|check|up bootstrap --for ENV`): GitHub's OIDC provider (created or
referenced), one deploy role per GitHub job identity with exact trust subjects and permissions derived from
the resources that environment's stack synthesises, and in the shared account the state bucket and the KMS key
of the `awskms://` secrets provider.

    from ecsdelivery.bootstrap import resolve_bootstrap, synthesize_bootstrap
    plan = resolve_bootstrap("dev")          # frozen: roles, subjects, statements, names
    result = synthesize_bootstrap(plan)      # offline, under mocks: resources and outputs
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecsdelivery.bootstrap.plan import (
    BootstrapPlan,
    DeployRole,
    StateStore,
    github_variables,
    resolve_bootstrap,
)

if TYPE_CHECKING:
    from ecsdelivery.synth import SynthResult


def synthesize_bootstrap(plan: BootstrapPlan) -> SynthResult:
    """Run the bootstrap program of `plan` under mocks; its resources and outputs, as `synth` prints them."""
    from ecsdelivery.bootstrap.program import bootstrap_program
    from ecsdelivery.synth import PROJECT, SynthResult
    from ecsdelivery.synth.mocks import EcsMocks, run_program

    mocks = EcsMocks(region=plan.region, account_id=plan.account)
    recording = run_program(
        bootstrap_program(plan),
        project=PROJECT,
        stack=plan.stack,
        config={"aws:region": plan.region},
        mocks=mocks,
    )
    resources = [
        {"type": r["type"], "name": r["name"], "parent": r["parent"], "inputs": r["inputs"]}
        for r in recording.resources
    ]
    return SynthResult(
        stack=plan.stack,
        resources=resources,
        outputs=recording.outputs,
        options={r["name"]: r["options"] for r in recording.resources if r.get("options")},
    )


__all__ = [
    "BootstrapPlan",
    "DeployRole",
    "StateStore",
    "github_variables",
    "resolve_bootstrap",
    "synthesize_bootstrap",
]
