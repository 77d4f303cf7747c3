"""The bootstrap plan and the derivation table: pure tables over the real stack files and small variants."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from ecsdelivery.bootstrap.permissions import DERIVATION, Scope, UnknownResourceType, derive_statements, unscopable
from ecsdelivery.bootstrap.plan import resolve_bootstrap
from ecsdelivery.errors import ConfigError, UsageError

ROOT = Path(__file__).resolve().parent.parent
SCOPE = Scope(
    region="us-east-1",
    account="222222222222",
    environment="preview",
    prefix="acme-preview-web",
    cluster="acme-dev-web",
    load_balancer="acme-dev-web",
)


def copy_stacks(tmp_path: Path) -> Path:
    stacks = tmp_path / "stacks"
    shutil.copytree(ROOT / "stacks", stacks)
    return stacks


def set_github(stacks: Path, github: object) -> None:
    path = stacks / "catalog" / "defaults.yaml"
    data = yaml.safe_load(path.read_text())
    if github is None:
        data.pop("github")
    else:
        data["github"] = github
    path.write_text(yaml.safe_dump(data))


def no_synth(env: str, pr: int | None) -> set[str]:
    return {"aws:ecs/service:Service", "aws:iam/role:Role"}


@pytest.mark.parametrize(
    ("env", "roles", "subjects"),
    [
        (
            "shared",
            ["build"],
            {
                "build": (
                    "repo:acme/web:pull_request",
                    "repo:acme/web:ref:refs/heads/main",
                    "repo:acme/web:ref:refs/heads/release/*",
                )
            },
        ),
        (
            "dev",
            ["dev", "preview"],
            {"dev": ("repo:acme/web:environment:dev",), "preview": ("repo:acme/web:environment:preview",)},
        ),
        ("staging", ["staging"], {"staging": ("repo:acme/web:environment:staging",)}),
        ("prod", ["prod"], {"prod": ("repo:acme/web:environment:prod",)}),
    ],
)
def test_each_account_gets_the_roles_of_its_job_identities(env: str, roles: list[str], subjects: dict) -> None:
    plan = resolve_bootstrap(env, stacks_dir=ROOT / "stacks", synth=no_synth)
    assert [r.key for r in plan.roles] == roles
    assert {r.key: r.subjects for r in plan.roles} == subjects
    assert plan.is_shared == (env == "shared")
    assert all(r.name == f"acme-web-{r.key}" for r in plan.roles)


def test_every_account_but_the_first_bootstrap_references_the_provider(tmp_path: Path) -> None:
    stacks = copy_stacks(tmp_path)
    # staging moves into dev's account: dev's bootstrap creates the provider, staging's references it
    text = (stacks / "staging.yaml").read_text().replace('"333333333333"', '"222222222222"')
    (stacks / "staging.yaml").write_text(text)
    dev = resolve_bootstrap("dev", stacks_dir=stacks, synth=no_synth)
    staging = resolve_bootstrap("staging", stacks_dir=stacks, synth=no_synth)
    assert dev.create_oidc_provider and not staging.create_oidc_provider
    assert staging.oidc_provider_arn == "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"


def test_roles_write_their_own_state_and_read_what_they_promote_from() -> None:
    plan = resolve_bootstrap("dev", stacks_dir=ROOT / "stacks", synth=no_synth)
    by_key = {r.key: r for r in plan.all_roles}
    assert by_key["preview"].stacks == ("pr-*",) and by_key["preview"].reads == ("dev",)
    assert by_key["staging"].reads == ("dev",)
    assert by_key["prod"].reads == ("staging",)
    assert by_key["dev"].reads == ()
    assert "ecr:PutImage" in by_key["staging"].ecr_actions and "ecr:PutImage" in by_key["prod"].ecr_actions
    assert "ecr:PutImage" not in by_key["dev"].ecr_actions and "ecr:PutImage" not in by_key["preview"].ecr_actions


@pytest.mark.parametrize(
    ("github", "message"),
    [
        (None, "github.owner: bootstrap needs the GitHub repository"),
        ({"owner": "acme"}, "github.repository: bootstrap needs"),
        ({"owner": "-acme", "repository": "web"}, "owner '-acme' is not a GitHub user or organisation name"),
        ({"owner": "acme", "repository": "web app"}, "repository 'web app' is not a GitHub repository name"),
        ({"owner": "acme/x", "repository": "web"}, "is not a GitHub user or organisation name"),
        ({"owner": "acme", "repository": ".."}, "is not a GitHub repository name"),
    ],
)
def test_a_missing_or_malformed_github_section_is_one_line(tmp_path: Path, github: object, message: str) -> None:
    stacks = copy_stacks(tmp_path)
    set_github(stacks, github)
    with pytest.raises(ConfigError) as caught:
        resolve_bootstrap("dev", stacks_dir=stacks, synth=no_synth)
    assert len(caught.value.problems) == 1
    assert message in caught.value.problems[0]


def test_only_bootstrap_needs_the_github_section(tmp_path: Path) -> None:
    from ecsdelivery.config import load_stack

    stacks = copy_stacks(tmp_path)
    set_github(stacks, None)
    assert load_stack("dev", stacks_dir=stacks).github.owner is None


@pytest.mark.parametrize(
    ("env", "message"),
    [("preview", "previews share dev's account; run bootstrap --for dev"), ("qa", "no stack file")],
)
def test_bad_for_values_are_usage_errors(env: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        resolve_bootstrap(env, stacks_dir=ROOT / "stacks", synth=no_synth)


# --- the derivation table --------------------------------------------------------------------------------------


def test_every_resource_type_the_example_stacks_synthesise_has_a_row() -> None:
    from ecsdelivery.synth import synthesize

    types = set()
    for env, pr in (("dev", None), ("staging", None), ("prod", None), ("shared", None), ("preview", 1)):
        types |= {r["type"] for r in synthesize(env, pr=pr, stacks_dir=str(ROOT / "stacks")).resources}
    missing = {t for t in types if not t.startswith("ecsdelivery:index:")} - set(DERIVATION)
    # the shared stack is deployed by hand (no deploy role), so its ECR types need no row
    assert missing <= {
        "aws:ecr/repository:Repository",
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
    }


def test_an_unknown_type_is_refused_rather_than_granted_star() -> None:
    with pytest.raises(UnknownResourceType, match="aws:rds/instance:Instance"):
        derive_statements({"aws:rds/instance:Instance"}, SCOPE)


def test_scoped_grants_name_the_prefix_the_cluster_and_the_tag() -> None:
    statements = derive_statements({"aws:ecs/service:Service", "aws:lb/listenerRule:ListenerRule"}, SCOPE)
    service = next(s for s in statements if "ecs:CreateService" in s["Action"])
    assert service["Resource"] == ["arn:aws:ecs:us-east-1:222222222222:service/acme-dev-web/acme-preview-web*"]
    modify = next(s for s in statements if "elasticloadbalancing:ModifyRule" in s["Action"])
    assert modify["Condition"] == {"StringEquals": {"aws:ResourceTag/Environment": "preview"}}
    create = next(s for s in statements if "elasticloadbalancing:CreateRule" in s["Action"])
    assert create["Condition"] == {"StringEquals": {"aws:RequestTag/Environment": "preview"}}


def test_statements_on_the_same_resources_merge_and_component_types_need_nothing() -> None:
    statements = derive_statements(
        {"aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "ecsdelivery:index:FargateService"}, SCOPE
    )
    assert len(statements) == 1
    assert {"iam:CreateRole", "iam:PutRolePolicy"} <= set(statements[0]["Action"])
    assert statements[0]["Resource"] == ["arn:aws:iam::222222222222:role/acme-preview-web*"]


#: Writes AWS authorizes on no resource at all, each granted only to stacks that create the type needing it.
UNSCOPABLE_WRITES = {
    # A subscription's own actions take no resource; only stacks that subscribe endpoints derive them.
    "aws:sns/topicSubscription:TopicSubscription": {
        "sns:GetSubscriptionAttributes",
        "sns:SetSubscriptionAttributes",
        "sns:Unsubscribe",
    },
}


def test_star_resources_are_only_for_reads_or_tag_conditioned_creates() -> None:
    from ecsdelivery.bootstrap.permissions import REQUEST_TAG

    for type_, grants in DERIVATION.items():
        for grant in grants:
            if grant.resources != ("*",):
                continue
            reads = all(
                a.split(":", 1)[1].startswith(("Describe", "List", "DeregisterTaskDefinition")) for a in grant.actions
            )
            excepted = set(grant.actions) <= UNSCOPABLE_WRITES.get(type_, set())
            assert reads or excepted or grant.tag == REQUEST_TAG, grant
    assert set(unscopable()) >= {"ecs:RegisterTaskDefinition", "ec2:DescribeVpcs", "acm:RequestCertificate"}


def test_no_derived_statement_is_a_star_action() -> None:
    scope_types = set(DERIVATION)
    for statement in derive_statements(scope_types, SCOPE):
        assert all(not a.endswith(":*") and a != "*" for a in statement["Action"])
