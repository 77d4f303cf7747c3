"""The AWS side of the pipeline simulation: who each workflow role is, what it may do, and what it trusts.

ONE place answers "which identity policies does this role have": `identity_policies(role_arn, layout)`. Today it
turns the README's role table ("IAM OIDC roles") into policy documents; when the project renders the roles
itself, this function returns those instead and every simulated call is checked against them unchanged.
The repository policy is not here: the simulation takes it from what the shared stack renders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecsdelivery.components._policies import ECR_PULL_ACTIONS, ECR_READ_ACTIONS
from ecsdelivery.config import StackConfig, list_environments, load_stack

ROOT = Path(__file__).resolve().parents[1]
#: The GitHub repository the simulated workflows run in (the README's ORG/REPO).
REPOSITORY = "acme/web"
PUSH_ACTIONS = ("ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage")


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


def _role_kind(role_arn: str) -> str:
    """`build`, `preview`, `dev`, `staging` or `prod` from `arn:aws:iam::ACCOUNT:role/<namespace>-<app>-<kind>`."""
    return role_arn.rsplit("/", 1)[1].rsplit("-", 1)[1]


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def identity_policies(role_arn: str, layout: Layout) -> list[dict[str, Any]]:
    """The identity policies of a workflow role (README, "IAM OIDC roles": the `needs` column)."""
    kind = _role_kind(role_arn)
    repo = layout.repository_arn
    who_am_i = {"Sid": "WhoAmI", "Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}
    if kind == "build":
        return [
            _policy(
                {"Sid": "Login", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
                {
                    "Sid": "PushAndRead",
                    "Effect": "Allow",
                    "Action": [
                        *PUSH_ACTIONS,
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:BatchGetImage",
                        "ecr:DescribeImages",
                    ],
                    "Resource": repo,
                },
            )
        ]
    if kind == "preview":
        return [_policy(who_am_i)]
    if kind in ("dev", "staging", "prod"):
        statements = [
            who_am_i,
            {"Sid": "ReadImages", "Effect": "Allow", "Action": list(ECR_READ_ACTIONS), "Resource": repo},
        ]
        if kind in ("staging", "prod"):
            statements.append({"Sid": "TagImages", "Effect": "Allow", "Action": "ecr:PutImage", "Resource": repo})
        return [_policy(*statements)]
    raise ValueError(f"no documented role {role_arn}")


def trusted_subjects(role_arn: str) -> list[str]:
    """The OIDC `sub` values the role's trust policy admits (README, "IAM OIDC roles": the `sub` column)."""
    kind = _role_kind(role_arn)
    prefix = f"repo:{REPOSITORY}"
    if kind == "build":
        return [f"{prefix}:pull_request", f"{prefix}:ref:refs/heads/main", f"{prefix}:ref:refs/heads/release/*"]
    return [f"{prefix}:environment:{kind}"]


#: The task execution roles pull the image; kept here so a test can check pulls with the same evaluator.
TASK_PULL_ACTIONS = ECR_PULL_ACTIONS
