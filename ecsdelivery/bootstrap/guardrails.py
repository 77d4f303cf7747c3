"""Guardrails of the bootstrap program (`check bootstrap --for ENV`): each a function over its synthesised resources.

- `no-star-on-star`: no identity policy allows a `*` (or `service:*`) action on resource `*`;
- `exact-trust`: each role trusts only GitHub's provider, audience `sts.amazonaws.com`, and subjects of exactly the
  configured repository (`repo:O/R:...`): no wildcard owner or repository, no bare `*`; a wildcard only ends a
  branch pattern (`ref:refs/heads/release/*`);
- `protected-not-from-pull-requests`: the role of a protected environment (prod) cannot be assumed with a pull
  request's token, nor with another environment's;
- `state-bucket-private`: the state bucket blocks every kind of public access, allows no anonymous principal, and
  refuses requests without TLS;
- `policy-size`: every managed policy fits AWS's 6,144 characters.

All are mandatory. The trust rules do not read the policy's text for patterns: they ask the IAM evaluator
(`ecsdelivery.iam`) whether a token with those claims would be let in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ecsdelivery.bootstrap.plan import AUDIENCE, OIDC_HOST, BootstrapPlan
from ecsdelivery.guardrails.rules import MANDATORY, Violation
from ecsdelivery.iam import Request, evaluate

ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET = "aws:s3/bucket:Bucket"
MANAGED_POLICY_LIMIT = 6144
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"

Resource = Mapping[str, Any]


@dataclass(frozen=True)
class BootstrapRule:
    """A rule id, what it checks, its fix, and `validate(resources, plan) -> [(resource name, type, message)]`."""

    id: str
    description: str
    fix: str
    validate: Callable[[list[Resource], BootstrapPlan], list[tuple[str | None, str | None, str]]]


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return {}
    return value or {}


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _of(resources: Iterable[Resource], type_: str) -> list[Resource]:
    return [r for r in resources if r["type"] == type_]


def _star_on_star(resources: list[Resource], plan: BootstrapPlan) -> list[tuple[str | None, str | None, str]]:
    found = []
    for resource in _of(resources, POLICY):
        for statement in _list(_json(resource["inputs"].get("policy")).get("Statement")):
            if statement.get("Effect") != "Allow" or "*" not in _list(statement.get("Resource")):
                continue
            wide = [a for a in _list(statement.get("Action")) if a == "*" or a.endswith(":*")]
            if wide or "NotAction" in statement:
                what = ", ".join(wide) or "NotAction"
                found.append((resource["name"], POLICY, f"statement {statement.get('Sid', '')!r} allows {what} on *"))
    return found


def _web_identity(trust: Mapping[str, Any], provider: str, sub: str, aud: str = AUDIENCE) -> bool:
    """Would STS let a GitHub token with these claims assume a role with `trust`?"""
    request = Request(
        principal_arn=provider,
        action=WEB_IDENTITY,
        resource=f"arn:aws:iam::{provider.split(':')[4]}:role/any",
        context={f"{OIDC_HOST}:sub": sub, f"{OIDC_HOST}:aud": aud},
    )
    return evaluate(request, identity_policies=[], resource_policy=trust).allowed


def _trust_subjects(trust: Mapping[str, Any]) -> list[str]:
    subjects: list[str] = []
    for statement in _list(trust.get("Statement")):
        for keys in (statement.get("Condition") or {}).values():
            for key, values in keys.items():
                if key == f"{OIDC_HOST}:sub":
                    subjects += [str(v) for v in _list(values)]
    return subjects


def _exact_trust(resources: list[Resource], plan: BootstrapPlan) -> list[tuple[str | None, str | None, str]]:
    found: list[tuple[str | None, str | None, str]] = []
    prefix = f"repo:{plan.github}:"
    for resource in _of(resources, ROLE):
        name = resource["name"]
        trust = _json(resource["inputs"].get("assumeRolePolicy"))
        for statement in _list(trust.get("Statement")):
            principal = statement.get("Principal")
            federated = _list(principal.get("Federated")) if isinstance(principal, Mapping) else ["*"]
            if statement.get("Effect") == "Allow" and (
                federated != [plan.oidc_provider_arn] or _list(statement.get("Action")) != [WEB_IDENTITY]
            ):
                found.append((name, ROLE, f"trusts {principal!r} for {statement.get('Action')!r}, not only GitHub"))
        subjects = _trust_subjects(trust)
        if not subjects:
            found.append(
                (name, ROLE, "trusts GitHub tokens without a subject condition: any repository could assume it")
            )
        for subject in subjects:
            rest = subject[len(prefix) :] if subject.startswith(prefix) else None
            if rest is None or "*" in rest[:-1] or "?" in rest or (rest.endswith("*") and not rest.startswith("ref:")):
                found.append((name, ROLE, f"trust subject {subject!r} is a wildcard beyond a branch of {plan.github}"))
        if subjects and _web_identity(trust, plan.oidc_provider_arn, subjects[0].replace("*", "x"), aud="other"):
            found.append((name, ROLE, f"does not check the token's audience ({AUDIENCE})"))
        other = f"repo:{plan.github}x:environment:prod"
        if _web_identity(trust, plan.oidc_provider_arn, other):
            found.append((name, ROLE, f"a token of another repository ({other}) may assume it"))
    return found


def _protected_from_prs(resources: list[Resource], plan: BootstrapPlan) -> list[tuple[str | None, str | None, str]]:
    found: list[tuple[str | None, str | None, str]] = []
    roles = {r["inputs"].get("name"): r for r in _of(resources, ROLE)}
    for role in plan.roles:
        if not role.protected or role.name not in roles:
            continue
        resource = roles[role.name]
        trust = _json(resource["inputs"].get("assumeRolePolicy"))
        intruders = [f"repo:{plan.github}:pull_request"] + [
            f"repo:{plan.github}:environment:{other.environment}"
            for other in plan.all_roles
            if other.environment and other.environment != role.environment
        ]
        for subject in intruders:
            if _web_identity(trust, plan.oidc_provider_arn, subject):
                found.append((resource["name"], ROLE, f"{role.name} may be assumed with a token for {subject}"))
    return found


def _bucket_private(resources: list[Resource], plan: BootstrapPlan) -> list[tuple[str | None, str | None, str]]:
    found: list[tuple[str | None, str | None, str]] = []
    if not _of(resources, BUCKET):
        return found
    blocks = _of(resources, PUBLIC_ACCESS_BLOCK)
    keys = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    if not blocks or not all(blocks[0]["inputs"].get(k) is True for k in keys):
        found.append((blocks[0]["name"] if blocks else None, PUBLIC_ACCESS_BLOCK, "public access is not fully blocked"))
    for bucket in _of(resources, BUCKET):
        if str(bucket["inputs"].get("acl") or "private") != "private":
            found.append((bucket["name"], BUCKET, f"ACL {bucket['inputs']['acl']!r} is not private"))
    for resource in _of(resources, BUCKET_POLICY):
        statements = _list(_json(resource["inputs"].get("policy")).get("Statement"))
        for statement in statements:
            anonymous = statement.get("Principal") in ("*", {"AWS": "*"})
            if statement.get("Effect") == "Allow" and anonymous:
                found.append((resource["name"], BUCKET_POLICY, f"statement {statement.get('Sid')!r} allows anyone"))
        tls = any(
            s.get("Effect") == "Deny"
            and (s.get("Condition") or {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            for s in statements
        )
        if not tls:
            found.append((resource["name"], BUCKET_POLICY, "requests without TLS are not refused"))
    return found


def _policy_size(resources: list[Resource], plan: BootstrapPlan) -> list[tuple[str | None, str | None, str]]:
    found = []
    for resource in _of(resources, POLICY):
        size = len(json.dumps(_json(resource["inputs"].get("policy")), separators=(",", ":")))
        if size > MANAGED_POLICY_LIMIT:
            found.append((resource["name"], POLICY, f"{size} characters exceed AWS's {MANAGED_POLICY_LIMIT}"))
    return found


RULES: tuple[BootstrapRule, ...] = (
    BootstrapRule(
        "no-star-on-star",
        "no identity policy allows a * action on resource *",
        "grant named actions; add a row to the derivation table for a new resource type",
        _star_on_star,
    ),
    BootstrapRule(
        "exact-trust",
        "roles trust only GitHub's provider, the STS audience and subjects of exactly this repository",
        "trust repo:OWNER/REPO:environment:<env> (or a branch ref) of the stack files' github section",
        _exact_trust,
    ),
    BootstrapRule(
        "protected-not-from-pull-requests",
        "a protected environment's role cannot be assumed from pull requests or other environments",
        "trust only repo:OWNER/REPO:environment:<env> and protect that GitHub environment",
        _protected_from_prs,
    ),
    BootstrapRule(
        "state-bucket-private",
        "the state bucket blocks public access and refuses requests without TLS",
        "keep the StateBackend component's public access block and bucket policy",
        _bucket_private,
    ),
    BootstrapRule(
        "policy-size", "managed policies fit 6,144 characters", "split the statements over more policies", _policy_size
    ),
)


def evaluate_bootstrap(resources: list[Resource], plan: BootstrapPlan) -> list[Violation]:
    """Every violation of `RULES` in the synthesised bootstrap `resources` of `plan` (all mandatory)."""
    violations = []
    for rule in RULES:
        for name, type_, message in rule.validate(resources, plan):
            violations.append(Violation(rule.id, MANDATORY, name, type_, message, rule.fix))
    return violations


__all__ = ["RULES", "BootstrapRule", "evaluate_bootstrap"]
