"""The AWS side of the pipeline simulation: who each workflow role is, what it may do, and what it trusts.

ONE place answers "which identity policies does this role have": `identity_policies(role_arn, layout)`, and "does
it trust this token": `may_assume(role_arn, subject)`. Both read the roles the bootstrap program renders
(`python -m ecsdelivery synth bootstrap --for ENV`, for every account), so every simulated call is checked
against what `up bootstrap` would create. The repository policy is not here: the simulation takes it from what
the shared stack renders.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ecsdelivery.bootstrap import resolve_bootstrap, synthesize_bootstrap
from ecsdelivery.bootstrap.plan import AUDIENCE, OIDC_HOST, bootstrap_environments
from ecsdelivery.config import StackConfig, list_environments, load_stack
from ecsdelivery.iam import Request, evaluate

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Layout:
    """The accounts and names of the shipped stack files."""

    stacks: dict[str, StackConfig]

    @classmethod
    def load(cls, stacks_dir: Path) -> Layout:
        return cls(
            {
                env: load_stack(env, stacks_dir=stacks_dir, pr=1 if env == "preview" else None)
                for env in list_environments(stacks_dir)
            }
        )

    @property
    def registry(self) -> StackConfig:
        return next(cfg for cfg in self.stacks.values() if cfg.ecr.create)

    @property
    def registry_account(self) -> str:
        return self.registry.ecr.registry_account or self.registry.accounts[0]

    @property
    def region(self) -> str:
        return self.registry.ecr.region or self.registry.region

    @property
    def repository_arn(self) -> str:
        return f"arn:aws:ecr:{self.region}:{self.registry_account}:repository/{self.registry.ecr.name}"

    @property
    def registry_host(self) -> str:
        return f"{self.registry_account}.dkr.ecr.{self.region}.amazonaws.com"


def documented_variables() -> dict[str, str]:
    """The repository variables as the README's "Setting up a repository" table gives them (its examples)."""
    text = (ROOT / "README.md").read_text()
    section = text.split("### Setting up a repository", 1)[1].split("**Secrets**", 1)[0]
    found: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2:
            continue
        names = re.findall(r"`([A-Z_]+)`", cells[0])
        values = re.findall(r"`([^`]+)`", cells[1])
        for name, value in zip(names, values, strict=False):
            found[name] = value
    return found


@dataclass(frozen=True)
class RenderedRole:
    """A deploy role as `synth bootstrap --for ENV` renders it: its managed policies and its trust policy."""

    arn: str
    policies: tuple[dict[str, Any], ...]
    trust: dict[str, Any]
    provider_arn: str


@cache
def rendered_roles(stacks_dir: Path = ROOT / "stacks") -> dict[str, RenderedRole]:
    """Role ARN -> the role the bootstrap program renders, for the accounts of every stack file."""
    roles: dict[str, RenderedRole] = {}
    for env in bootstrap_environments(stacks_dir):
        plan = resolve_bootstrap(env, stacks_dir=stacks_dir)
        result = synthesize_bootstrap(plan)
        for role in plan.roles:
            policies = tuple(
                json.loads(r["inputs"]["policy"])
                for r in result.of_type("aws:iam/policy:Policy")
                if re.fullmatch(rf"{re.escape(role.name)}-\d+", r["inputs"]["name"])
            )
            (trust,) = [
                json.loads(r["inputs"]["assumeRolePolicy"])
                for r in result.of_type("aws:iam/role:Role")
                if r["inputs"]["name"] == role.name
            ]
            roles[role.arn] = RenderedRole(role.arn, policies, trust, plan.oidc_provider_arn)
    return roles


def _rendered(role_arn: str) -> RenderedRole:
    role = rendered_roles().get(role_arn)
    if role is None:
        raise ValueError(f"bootstrap renders no role {role_arn}; it renders {', '.join(sorted(rendered_roles()))}")
    return role


def identity_policies(role_arn: str, layout: Layout) -> list[dict[str, Any]]:
    """The identity policies of a workflow role: the managed policies `up bootstrap` attaches to it."""
    return list(_rendered(role_arn).policies)


def may_assume(role_arn: str, subject: str, audience: str = AUDIENCE) -> bool:
    """Would STS let a GitHub token with this `sub` (and audience) assume the role, by its rendered trust policy?"""
    role = _rendered(role_arn)
    request = Request(
        role.provider_arn,
        "sts:AssumeRoleWithWebIdentity",
        role_arn,
        context={f"{OIDC_HOST}:sub": subject, f"{OIDC_HOST}:aud": audience},
    )
    return evaluate(request, [], role.trust).allowed
