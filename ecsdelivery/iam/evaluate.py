"""Decide whether AWS would allow one API request, from the identity policies of the caller and the resource policy.

This follows the documented evaluation logic for a principal in one account calling a resource in the same or
another account (IAM User Guide, "Policy evaluation logic" and "Cross-account policy evaluation logic"), for the
policy types ecsdelivery renders: identity-based policies and resource-based policies. Service control policies,
permissions boundaries and session policies are not modelled (the project renders none).

- An explicit `Deny` in any applicable statement wins.
- Same account: an `Allow` in an identity policy, or a resource policy that names the principal itself (its
  ARN) is enough. A resource policy naming only the account (`arn:aws:iam::ACCOUNT:root` or `ACCOUNT`)
  delegates to the account's identity policies and grants nothing by itself.
- Another account: the identity policies must allow it *and* the resource policy must allow the principal (by
  its ARN, its account, or `*`).
- Statements match on `Action`/`NotAction` (case-insensitive, `*` and `?` wildcards), `Resource`/`NotResource`
  (case-sensitive wildcards; a resource policy without `Resource` applies to its own resource),
  `Principal`/`NotPrincipal` (resource policies; `AWS` and `Federated` principals) and `Condition` (see
  `conditions.py`). An AWS service principal (`cloudwatch.amazonaws.com`, named under `Service`) is let in by the
  resource policy alone. A role's trust policy is the resource policy of `sts:AssumeRole*` on that role: a web-identity
  caller is given as its provider's ARN with the token's claims in `context`.

    decision = evaluate(request, identity_policies=[role_policy], resource_policy=repository_policy)
    decision.allowed, decision.reason
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ecsdelivery.iam.conditions import conditions_match

ContextValue = str | Sequence[str]


@dataclass(frozen=True)
class Request:
    """One API request as IAM sees it.

    Attributes:
        principal_arn: the caller, e.g. `arn:aws:iam::333333333333:role/acme-web-staging` (an assumed-role session
            is given as its role's ARN).
        action: `service:Operation`, e.g. `ecr:PutImage`.
        resource: the target resource's ARN, or `*` for actions without resource-level permissions.
        resource_account: the account that owns the resource (None: the caller's own, e.g. for `*`).
        context: condition keys and their values, e.g. `{"aws:SourceVpc": "vpc-1"}`; `aws:PrincipalArn` and
            `aws:PrincipalAccount` are added from the principal.
    """

    principal_arn: str
    action: str
    resource: str
    resource_account: str | None = None
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    @property
    def is_service(self) -> bool:
        """True when the caller is an AWS service principal (`cloudwatch.amazonaws.com`), not an ARN."""
        return not self.principal_arn.startswith("arn:")

    @property
    def principal_account(self) -> str:
        """The caller's account, from its ARN ("" for a service principal)."""
        return "" if self.is_service else self.principal_arn.split(":")[4]

    @property
    def target_account(self) -> str:
        return self.resource_account or self.principal_account

    def full_context(self) -> dict[str, ContextValue]:
        base: dict[str, ContextValue] = {
            "aws:PrincipalArn": self.principal_arn,
            "aws:PrincipalAccount": self.principal_account,
        }
        return base | dict(self.context)


@dataclass(frozen=True)
class Decision:
    """The outcome: `allowed`, and a one-line `reason` naming the deciding policy and statement."""

    allowed: bool
    reason: str


def evaluate(
    request: Request,
    identity_policies: Iterable[Mapping[str, Any]],
    resource_policy: Mapping[str, Any] | None = None,
) -> Decision:
    """Would AWS allow `request`? See the module docstring for the rules applied."""
    identity = [s for policy in identity_policies for s in _statements(policy)]
    resource = list(_statements(resource_policy)) if resource_policy else []
    context = request.full_context()

    identity_hits = [s for s in identity if _applies(s, request, context, resource_policy=False)]
    resource_hits = [s for s in resource if _applies(s, request, context, resource_policy=True)]
    for where, hits in (("identity policy", identity_hits), ("resource policy", resource_hits)):
        for statement in hits:
            if statement.get("Effect") == "Deny":
                return Decision(False, f"explicitly denied by the {where} ({_sid(statement)})")

    identity_allow = next((s for s in identity_hits if s.get("Effect") == "Allow"), None)
    resource_allow = next((s for s in resource_hits if s.get("Effect") == "Allow"), None)
    what = f"{request.action} on {request.resource}"
    if request.is_service:
        # A service principal has no identity policies: only the resource policy can let it in.
        if resource_allow is not None:
            return Decision(True, f"allowed by the resource policy ({_sid(resource_allow)})")
        return Decision(False, f"no resource policy statement lets {request.principal_arn} do {what}")
    if request.principal_account == request.target_account:
        if identity_allow is not None:
            return Decision(True, f"allowed by the identity policy ({_sid(identity_allow)})")
        if resource_allow is not None and _names_principal_itself(resource_allow, request):
            return Decision(True, f"allowed by the resource policy ({_sid(resource_allow)})")
        return Decision(False, f"no identity policy of {request.principal_arn} allows {what}")
    if identity_allow is None:
        return Decision(False, f"no identity policy of {request.principal_arn} allows {what}")
    if resource_allow is None:
        return Decision(
            False,
            f"{what} crosses from account {request.principal_account} to {request.target_account}: "
            "the resource policy does not allow it",
        )
    return Decision(
        True,
        f"allowed by the identity policy ({_sid(identity_allow)}) and the resource policy ({_sid(resource_allow)})",
    )


def _statements(policy: Mapping[str, Any] | None) -> Iterable[Mapping[str, Any]]:
    if not policy:
        return []
    statements = policy.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else statements


def _sid(statement: Mapping[str, Any]) -> str:
    return str(statement.get("Sid") or "statement without Sid")


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


@cache
def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile("".join(parts), re.IGNORECASE if ignore_case else 0)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's wildcard matching: `*` any run of characters, `?` one character."""
    return _pattern(pattern, ignore_case).fullmatch(value) is not None


def _applies(
    statement: Mapping[str, Any], request: Request, context: Mapping[str, ContextValue], *, resource_policy: bool
) -> bool:
    if "Action" in statement:
        if not any(wildcard_match(a, request.action, ignore_case=True) for a in _as_list(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(wildcard_match(a, request.action, ignore_case=True) for a in _as_list(statement["NotAction"])):
            return False
    else:
        return False
    if "Resource" in statement:
        if not any(wildcard_match(r, request.resource) for r in _as_list(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(wildcard_match(r, request.resource) for r in _as_list(statement["NotResource"])):
            return False
    elif not resource_policy:
        return False  # an identity statement without Resource is invalid: it grants nothing
    if resource_policy and not _principal_matches(statement, request):
        return False
    return conditions_match(statement.get("Condition") or {}, context)


def _principals(value: Any) -> list[str]:
    if value == "*":
        return ["*"]
    if isinstance(value, Mapping):
        # A role's trust policy names web-identity callers (GitHub's OIDC provider) under `Federated`; topic and
        # key policies name AWS services under `Service`.
        return _as_list(value.get("AWS")) + _as_list(value.get("Federated")) + _as_list(value.get("Service"))
    return []


def _principal_is(candidate: str, request: Request) -> bool:
    if candidate == "*":
        return True
    if not request.is_service and candidate in (
        request.principal_account,
        f"arn:aws:iam::{request.principal_account}:root",
    ):
        return True
    return wildcard_match(candidate, request.principal_arn)


def _principal_matches(statement: Mapping[str, Any], request: Request) -> bool:
    if "Principal" in statement:
        return any(_principal_is(p, request) for p in _principals(statement["Principal"]))
    if "NotPrincipal" in statement:
        return not any(_principal_is(p, request) for p in _principals(statement["NotPrincipal"]))
    return False


def _names_principal_itself(statement: Mapping[str, Any], request: Request) -> bool:
    """A same-account grant by the resource policy alone needs the principal's own ARN (or `*`), not the account."""
    names = _principals(statement.get("Principal"))
    return any(
        p == "*" or (p.startswith("arn:") and not p.endswith(":root") and _principal_is(p, request)) for p in names
    )
