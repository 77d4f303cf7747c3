"""The rendered deploy roles, judged by the IAM evaluator: each deploy's calls are allowed for its own role,
and denied to the others (a prod call from the preview identity above all); trust lets in only the right tokens;
the bootstrap guardrails catch each broken variant."""

from __future__ import annotations

import copy
import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ecsdelivery.bootstrap import resolve_bootstrap, synthesize_bootstrap
from ecsdelivery.bootstrap.guardrails import evaluate_bootstrap
from ecsdelivery.iam import Request, evaluate
from ecsdelivery.synth import synthesize

sys.path.insert(0, str(Path(__file__).parent))
from bootstrap_calls import Call, deploy_calls

ROOT = Path(__file__).resolve().parent.parent
STACKS = ROOT / "stacks"
ACCOUNTS = {"shared": "111111111111", "dev": "222222222222", "preview": "222222222222", "staging": "333333333333",
            "prod": "444444444444"}  # fmt: skip
OWNER = {"dev": "dev", "preview": "dev", "staging": "staging", "prod": "prod", "build": "shared"}
SUB = "token.actions.githubusercontent.com:sub"
AUD = "token.actions.githubusercontent.com:aud"


@cache
def bootstrap(env: str) -> tuple[Any, Any]:
    plan = resolve_bootstrap(env, stacks_dir=STACKS)
    return plan, synthesize_bootstrap(plan)


def role_arn(key: str) -> str:
    return f"arn:aws:iam::{ACCOUNTS['shared' if key == 'build' else key]}:role/acme-web-{key}"


def identity_policies(key: str) -> list[dict]:
    """The managed policies the bootstrap program renders and attaches to the role."""
    _, result = bootstrap(OWNER[key])
    return [
        json.loads(r["inputs"]["policy"])
        for r in result.of_type("aws:iam/policy:Policy")
        if r["inputs"]["name"].startswith(f"acme-web-{key}-")
    ]


def trust_policy(key: str) -> dict:
    _, result = bootstrap(OWNER[key])
    (role,) = [r for r in result.of_type("aws:iam/role:Role") if r["inputs"]["name"] == f"acme-web-{key}"]
    return json.loads(role["inputs"]["assumeRolePolicy"])


def shared_policy(type_: str) -> dict:
    _, result = bootstrap("shared")
    (resource,) = result.of_type(type_)
    return json.loads(resource["inputs"]["policy"])


def allowed(key: str, call: Call, account: str | None = None, resource_policy: dict | None = None) -> Any:
    request = Request(role_arn(key), call.action, call.resource, resource_account=account, context=call.context)
    return evaluate(request, identity_policies(key), resource_policy)


@cache
def stack_resources(env: str) -> list[dict]:
    return synthesize(env, pr=7 if env == "preview" else None, stacks_dir=str(STACKS)).resources


@pytest.mark.parametrize("env", ["dev", "preview", "staging", "prod"])
def test_every_deploy_call_of_an_environment_is_allowed_for_its_role(env: str) -> None:
    calls = deploy_calls(stack_resources(env), "us-east-1", ACCOUNTS[env])
    assert len(calls) > 10
    if env == "prod":  # canary deployments with rollback alarms: the alarms and the ECS infrastructure role
        actions = {call.action for _, call in calls}
        assert {"cloudwatch:PutMetricAlarm", "iam:AttachRolePolicy"} <= actions
        assert ("iam:PassRole", "ecs.amazonaws.com") in {
            (c.action, c.context.get("iam:PassedToService")) for _, c in calls
        }
    refused = [f"{name}: {call.action} {call.resource}: {d.reason}" for name, call in calls
               if not (d := allowed(env, call)).allowed]  # fmt: skip
    assert not refused, "\n".join(refused)


def test_a_platform_with_its_own_certificate_and_dns_records_gets_those_permissions(tmp_path: Path) -> None:
    import shutil

    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS, stacks)
    text = (
        (stacks / "dev.yaml")
        .read_text()
        .replace(
            "  nat: single\n", "  nat: single\n  domain: dev.example.com\n  hosted_zone_id: Z0123456789ABCDEFGHIJ\n"
        )
    )
    (stacks / "dev.yaml").write_text(text)
    resources = synthesize("dev", stacks_dir=str(stacks)).resources
    types = {r["type"] for r in resources}
    assert {"aws:acm/certificate:Certificate", "aws:route53/record:Record"} <= types
    plan = resolve_bootstrap("dev", stacks_dir=stacks)
    (role,) = [r for r in plan.roles if r.key == "dev"]
    calls = deploy_calls(resources, "us-east-1", ACCOUNTS["dev"])
    refused = [f"{name}: {call.action}: {d.reason}" for name, call in calls
               if not (d := evaluate(Request(role.arn, call.action, call.resource, context=call.context),
                                     [role.policy()])).allowed]  # fmt: skip
    assert not refused, "\n".join(refused)


def test_a_resource_type_without_a_row_is_one_config_line() -> None:
    from ecsdelivery.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        resolve_bootstrap("dev", stacks_dir=STACKS, synth=lambda env, pr: {"aws:rds/instance:Instance"})
    (line,) = caught.value.problems
    assert "acme-web-dev" in line and "aws:rds/instance:Instance" in line and "DERIVATION" in line


@pytest.mark.parametrize("other", ["prod", "staging", "dev"])
def test_the_preview_identity_cannot_make_another_environments_calls(other: str) -> None:
    calls = deploy_calls(stack_resources(other), "us-east-1", ACCOUNTS[other])
    account = ACCOUNTS[other]
    granted = [f"{name}: {call.action} {call.resource}" for name, call in calls
               if allowed("preview", call, account=account).allowed
               and not call.resource.endswith(("*", "/rtb-0123"))]  # fmt: skip
    if other != "dev":
        # another account: nothing at all, not even the account-wide VPC and Describe grants
        granted = [f"{name}: {c.action}" for name, c in calls if allowed("preview", c, account=account).allowed]
    assert not granted, "\n".join(granted)


def test_a_prod_deploy_from_the_preview_identity_is_denied_with_the_reason() -> None:
    call = Call("ecs:UpdateService", "arn:aws:ecs:us-east-1:444444444444:service/acme-prod-web/acme-prod-web")
    decision = allowed("preview", call, account="444444444444")
    assert not decision.allowed
    assert "no identity policy of arn:aws:iam::222222222222:role/acme-web-preview allows" in decision.reason
    assert allowed("prod", call).allowed


def test_a_preview_cannot_change_devs_listener_rules_or_services_on_the_shared_platform() -> None:
    rule = "arn:aws:elasticloadbalancing:us-east-1:222222222222:listener-rule/app/acme-dev-web/0123/0f1e/0a1b"
    assert not allowed(
        "preview", Call("elasticloadbalancing:ModifyRule", rule, {"aws:ResourceTag/Environment": "dev"})
    ).allowed
    assert allowed(
        "preview", Call("elasticloadbalancing:ModifyRule", rule, {"aws:ResourceTag/Environment": "preview"})
    ).allowed
    assert allowed("dev", Call("elasticloadbalancing:ModifyRule", rule, {"aws:ResourceTag/Environment": "dev"})).allowed
    service = "arn:aws:ecs:us-east-1:222222222222:service/acme-dev-web/acme-dev-web"
    assert not allowed("preview", Call("ecs:UpdateService", service)).allowed
    assert not allowed("preview", Call("iam:PutRolePolicy", "arn:aws:iam::222222222222:role/acme-web-preview")).allowed
    assert not allowed("dev", Call("iam:PutRolePolicy", "arn:aws:iam::222222222222:role/acme-web-dev")).allowed


STATE = "arn:aws:s3:::acme-web-pulumi-state-111111111111/.pulumi"


@pytest.mark.parametrize(
    ("key", "action", "key_path", "expected"),
    [
        ("dev", "s3:PutObject", "stacks/ecsdelivery/dev.json", True),
        ("dev", "s3:PutObject", "locks/organization/ecsdelivery/dev/1.json", True),
        ("dev", "s3:PutObject", "stacks/ecsdelivery/prod.json", False),
        ("preview", "s3:PutObject", "stacks/ecsdelivery/pr-7.json", True),
        ("preview", "s3:GetObject", "stacks/ecsdelivery/dev.json", True),
        ("preview", "s3:PutObject", "stacks/ecsdelivery/dev.json", False),
        ("preview", "s3:PutObject", "stacks/ecsdelivery/prod.json", False),
        ("preview", "s3:DeleteObject", "history/ecsdelivery/prod/prod-1.history.json", False),
        ("staging", "s3:GetObject", "stacks/ecsdelivery/dev.json", True),
        ("staging", "s3:PutObject", "stacks/ecsdelivery/dev.json", False),
        ("prod", "s3:GetObject", "stacks/ecsdelivery/staging.json", True),
        ("prod", "s3:GetObject", "stacks/ecsdelivery/dev.json", False),
        ("prod", "s3:PutObject", "backups/ecsdelivery/prod/prod.1.json", True),
        ("build", "s3:GetObject", "stacks/ecsdelivery/dev.json", False),
    ],
)
def test_state_access_across_accounts_needs_both_policies_and_gets_only_own_stacks(
    key: str, action: str, key_path: str, expected: bool
) -> None:
    call = Call(action, f"{STATE}/{key_path}")
    decision = allowed(
        key, call, account="111111111111", resource_policy=shared_policy("aws:s3/bucketPolicy:BucketPolicy")
    )
    assert decision.allowed is expected, decision.reason


def test_the_bucket_refuses_plain_http_even_to_its_roles() -> None:
    call = Call("s3:GetObject", f"{STATE}/stacks/ecsdelivery/dev.json", {"aws:SecureTransport": "false"})
    decision = allowed(
        "dev", call, account="111111111111", resource_policy=shared_policy("aws:s3/bucketPolicy:BucketPolicy")
    )
    assert not decision.allowed and "explicitly denied" in decision.reason


@pytest.mark.parametrize("key", ["dev", "preview", "staging", "prod"])
def test_the_secrets_key_is_usable_by_deploy_roles_through_its_alias(key: str) -> None:
    key_arn = "arn:aws:kms:us-east-1:111111111111:key/0a1b2c3d-0000-0000-0000-000000000000"
    policy = shared_policy("aws:kms/key:Key")
    named = Call("kms:Decrypt", key_arn, {"kms:ResourceAliases": ["alias/acme-web-pulumi-secrets"]})
    other = Call("kms:Decrypt", key_arn, {"kms:ResourceAliases": ["alias/someone-else"]})
    assert allowed(key, named, account="111111111111", resource_policy=policy).allowed
    assert not allowed(key, other, account="111111111111", resource_policy=policy).allowed


def test_the_build_role_pushes_to_the_one_repository_only() -> None:
    repo = "arn:aws:ecr:us-east-1:111111111111:repository/acme/web"
    for action in ("ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage",
                   "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:DescribeImages"):  # fmt: skip
        assert allowed("build", Call(action, repo)).allowed, action
    assert allowed("build", Call("ecr:GetAuthorizationToken", "*")).allowed
    assert not allowed("build", Call("ecr:PutImage", repo.replace("acme/web", "acme/other"))).allowed
    assert not allowed("build", Call("ecr:DeleteRepository", repo)).allowed


def test_only_the_staging_and_prod_deploy_roles_may_tag_in_the_shared_repository() -> None:
    from ecsdelivery.naming import deploy_role_name

    repository = synthesize("shared", stacks_dir=str(STACKS)).of_type("aws:ecr/repositoryPolicy:RepositoryPolicy")
    policy = json.loads(repository[0]["inputs"]["policy"])
    repo = "arn:aws:ecr:us-east-1:111111111111:repository/acme/web"
    put = Call("ecr:PutImage", repo)
    for key in ("staging", "prod"):
        assert role_arn(key).endswith(deploy_role_name("acme", "web", key))
        assert allowed(key, put, account="111111111111", resource_policy=policy).allowed, key
    for key in ("dev", "preview"):
        decision = allowed(key, put, account="111111111111", resource_policy=policy)
        assert not decision.allowed, key
    # another principal of the staging account, even one whose own policy allows everything, cannot tag
    intruder = Request("arn:aws:iam::333333333333:role/acme-staging-web-task", "ecr:PutImage", repo, "111111111111")
    everything = {"Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}
    decision = evaluate(intruder, [everything], policy)
    assert not decision.allowed and "resource policy does not allow it" in decision.reason
    # but it may still pull (its tasks' execution roles do)
    pull = Request("arn:aws:iam::333333333333:role/acme-staging-web-exec", "ecr:BatchGetImage", repo, "111111111111")
    assert evaluate(pull, [everything], policy).allowed


# --- trust ---------------------------------------------------------------------------------------------------


def assume(key: str, sub: str, aud: str = "sts.amazonaws.com") -> bool:
    account = ACCOUNTS["shared" if key == "build" else key]
    provider = f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"
    request = Request(provider, "sts:AssumeRoleWithWebIdentity", role_arn(key), context={SUB: sub, AUD: aud})
    return evaluate(request, [], trust_policy(key)).allowed


@pytest.mark.parametrize(
    ("key", "sub", "expected"),
    [
        ("build", "repo:acme/web:pull_request", True),
        ("build", "repo:acme/web:ref:refs/heads/main", True),
        ("build", "repo:acme/web:ref:refs/heads/release/v1.4", True),
        ("build", "repo:acme/web:ref:refs/heads/feature/x", False),
        ("build", "repo:acme/other:ref:refs/heads/main", False),
        ("preview", "repo:acme/web:environment:preview", True),
        ("preview", "repo:acme/web:pull_request", False),
        ("dev", "repo:acme/web:environment:dev", True),
        ("dev", "repo:acme/web:environment:preview", False),
        ("staging", "repo:acme/web:environment:staging", True),
        ("prod", "repo:acme/web:environment:prod", True),
        ("prod", "repo:acme/web:pull_request", False),
        ("prod", "repo:acme/web:environment:staging", False),
        ("prod", "repo:acme/web:ref:refs/heads/main", False),
        ("prod", "repo:evil/web:environment:prod", False),
        ("prod", "repo:acme/web-fork:environment:prod", False),
    ],
)
def test_each_role_trusts_exactly_its_job_identities(key: str, sub: str, expected: bool) -> None:
    assert assume(key, sub) is expected


@pytest.mark.parametrize("key", ["build", "preview", "dev", "staging", "prod"])
def test_a_token_for_another_audience_is_refused(key: str) -> None:
    sub = "repo:acme/web:ref:refs/heads/main" if key == "build" else f"repo:acme/web:environment:{key}"
    assert assume(key, sub) and not assume(key, sub, aud="https://github.com/acme")


# --- the guardrails catch what they are for ----------------------------------------------------------------------


def broken(env: str, change: Any) -> list[str]:
    plan, result = bootstrap(env)
    resources = copy.deepcopy(result.resources)
    change(resources)
    return sorted({v.rule_id for v in evaluate_bootstrap(resources, plan)})


def edit_json(resources: list[dict], type_: str, key: str, edit: Any, name: str | None = None) -> None:
    for resource in resources:
        if resource["type"] == type_ and (name is None or resource["inputs"].get("name") == name):
            document = json.loads(resource["inputs"][key])
            edit(document)
            resource["inputs"][key] = json.dumps(document)


def test_the_rendered_bootstrap_passes_every_rule() -> None:
    for env in ("shared", "dev", "staging", "prod"):
        assert broken(env, lambda r: None) == []


def test_star_on_star_is_caught() -> None:
    star = {"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}

    def add_to_the_smallest_policy(resources: list[dict]) -> None:
        # Into the policy with the most room, so that only the star (not the policy's size) is wrong.
        policies = [r for r in resources if r["type"] == "aws:iam/policy:Policy"]
        smallest = min(policies, key=lambda r: len(r["inputs"]["policy"]))
        edit_json(resources, "aws:iam/policy:Policy", "policy", lambda d: d["Statement"].append(star),
                  name=smallest["inputs"].get("name"))  # fmt: skip

    assert broken("dev", add_to_the_smallest_policy) == ["no-star-on-star"]


def test_a_wildcard_repository_or_a_missing_audience_is_caught() -> None:
    def wildcard(document: dict) -> None:
        document["Statement"][0]["Condition"] = {
            "StringLike": {SUB: ["repo:acme/*:environment:dev"]},
            "StringEquals": {AUD: "sts.amazonaws.com"},
        }

    assert broken("dev", lambda r: edit_json(r, "aws:iam/role:Role", "assumeRolePolicy", wildcard, "acme-web-dev")) == [
        "exact-trust"
    ]

    def no_audience(document: dict) -> None:
        document["Statement"][0]["Condition"]["StringEquals"].pop(AUD)

    assert broken(
        "dev", lambda r: edit_json(r, "aws:iam/role:Role", "assumeRolePolicy", no_audience, "acme-web-dev")
    ) == ["exact-trust"]


def test_prod_assumable_from_pull_requests_is_caught() -> None:
    def pull_requests(document: dict) -> None:
        condition = document["Statement"][0]["Condition"]
        condition["StringEquals"][SUB] = ["repo:acme/web:environment:prod", "repo:acme/web:pull_request"]

    found = broken("prod", lambda r: edit_json(r, "aws:iam/role:Role", "assumeRolePolicy", pull_requests))
    assert found == ["protected-not-from-pull-requests"]


def test_a_public_bucket_is_caught() -> None:
    def public(resources: list[dict]) -> None:
        for resource in resources:
            if resource["type"] == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
                resource["inputs"]["blockPublicPolicy"] = False
        anyone = {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
        edit_json(resources, "aws:s3/bucketPolicy:BucketPolicy", "policy", lambda d: d["Statement"].append(anyone))

    assert broken("shared", public) == ["state-bucket-private"]
