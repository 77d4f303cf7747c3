"""Pure builders behind the components: IAM, ECR lifecycle, priorities, capacity strategy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecsdelivery.components import _policies as p
from ecsdelivery.components.service import capacity_provider_strategy
from ecsdelivery.config.priorities import MAX_PRIORITY, preview_priority
from ecsdelivery.settings import CapacityArgs, DeploymentArgs

LOG_GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/acme-dev-web"
REPO = "arn:aws:ecr:us-east-1:123456789012:repository/acme-web"


def _by_sid(statements: list[dict]) -> dict[str, dict]:
    return {s["Sid"]: s for s in statements}


def test_lifecycle_rules_have_unique_ascending_priorities_and_expected_selections() -> None:
    policy = p.lifecycle_policy(keep_releases=10, ephemeral_days=7)
    rules = policy["rules"]
    assert [r["rulePriority"] for r in rules] == [1, 2, 3]
    release, ephemeral, untagged = (r["selection"] for r in rules)
    assert release == {
        "tagStatus": "tagged",
        "tagPrefixList": ["v"],
        "countType": "imageCountMoreThan",
        "countNumber": 10,
    }
    assert ephemeral["tagPrefixList"] == ["sha-", "pr-"]
    assert (ephemeral["countType"], ephemeral["countUnit"], ephemeral["countNumber"]) == ("sinceImagePushed", "days", 7)
    assert untagged == {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1}
    assert all(r["action"] == {"type": "expire"} for r in rules)


def test_lifecycle_without_release_prefixes_renumbers_and_rejects_zero() -> None:
    rules = p.lifecycle_policy(release_tag_prefixes=())["rules"]
    assert [r["rulePriority"] for r in rules] == [1, 2]
    with pytest.raises(ValueError):
        p.lifecycle_policy(keep_releases=0)


def test_execution_role_is_scoped_to_repository_log_group_and_named_secrets() -> None:
    statements = _by_sid(
        p.execution_role_statements(
            repository_arns=[REPO],
            log_group_arn=LOG_GROUP,
            ssm_parameter_arns=["arn:aws:ssm:us-east-1:123456789012:parameter/acme/dev/db"],
            secret_arns=["arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key-AbC123:token::"],
        )
    )
    assert statements["PullImage"]["Resource"] == [REPO]
    assert statements["EcrLogin"] == {
        "Sid": "EcrLogin",
        "Effect": "Allow",
        "Action": "ecr:GetAuthorizationToken",
        "Resource": "*",
    }
    assert statements["WriteLogs"]["Resource"] == f"{LOG_GROUP}:log-stream:*"
    assert statements["ReadParameters"]["Resource"] == ["arn:aws:ssm:us-east-1:123456789012:parameter/acme/dev/db"]
    assert statements["ReadSecrets"]["Resource"] == [
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key-AbC123"
    ]
    assert "DecryptSecrets" not in statements
    # only the login token uses "*"; no secret or parameter grant holds a wildcard
    assert [s["Sid"] for s in statements.values() if s["Resource"] == "*"] == ["EcrLogin"]
    for sid in ("ReadParameters", "ReadSecrets", "PullImage"):
        assert not any("*" in resource for resource in statements[sid]["Resource"])


def test_execution_role_without_repositories_or_secrets_only_writes_logs() -> None:
    statements = p.execution_role_statements(repository_arns=[], log_group_arn=LOG_GROUP, kms_key_arn="arn:kms")
    assert [s["Sid"] for s in statements] == ["WriteLogs"]


def test_kms_decrypt_only_with_a_key_and_secrets() -> None:
    statements = _by_sid(
        p.execution_role_statements(
            repository_arns=[REPO],
            log_group_arn=LOG_GROUP,
            ssm_parameter_arns=["arn:aws:ssm:us-east-1:1:parameter/x"],
            kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/k",
        )
    )
    assert statements["DecryptSecrets"]["Resource"] == "arn:aws:kms:us-east-1:123456789012:key/k"


@pytest.mark.parametrize(
    ("value_from", "resource"),
    [
        ("arn:aws:secretsmanager:eu-west-1:1:secret:db-AbC123", "arn:aws:secretsmanager:eu-west-1:1:secret:db-AbC123"),
        (
            "arn:aws:secretsmanager:eu-west-1:1:secret:db-AbC123:url::",
            "arn:aws:secretsmanager:eu-west-1:1:secret:db-AbC123",
        ),
        ("arn:aws:secretsmanager:eu-west-1:1:secret:db", "arn:aws:secretsmanager:eu-west-1:1:secret:db-??????"),
    ],
)
def test_secrets_manager_resource_is_the_exact_secret(value_from: str, resource: str) -> None:
    assert p.secrets_manager_policy_arn(value_from) == resource


def test_secrets_manager_rejects_other_arns() -> None:
    with pytest.raises(ValueError):
        p.secrets_manager_policy_arn("arn:aws:ssm:us-east-1:1:parameter/x")


@pytest.mark.parametrize(
    ("parameter", "arn"),
    [
        ("/acme/dev/db", "arn:aws:ssm:eu-west-1:123456789012:parameter/acme/dev/db"),
        ("db", "arn:aws:ssm:eu-west-1:123456789012:parameter/db"),
        ("arn:aws:ssm:us-east-1:999999999999:parameter/x", "arn:aws:ssm:us-east-1:999999999999:parameter/x"),
    ],
)
def test_ssm_parameter_arn(parameter: str, arn: str) -> None:
    assert p.ssm_parameter_arn(parameter, partition="aws", region="eu-west-1", account="123456789012") == arn


def test_task_role_gets_exec_channels_only_when_exec_is_on() -> None:
    assert p.task_role_statements(enable_execute_command=False) == []
    (statement,) = p.task_role_statements(enable_execute_command=True)
    assert statement["Action"] == list(p.EXEC_ACTIONS)
    extra = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    assert p.task_role_statements(enable_execute_command=False, extra=[extra]) == [extra]


def test_trust_policy_limits_source_account() -> None:
    (statement,) = p.assume_role_policy("ecs-tasks.amazonaws.com", "123456789012")["Statement"]
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_cross_account_policy_grants_reads_and_tags_only() -> None:
    (statement,) = p.cross_account_policy(["222222222222", "111111111111"])["Statement"]
    assert statement["Principal"] == {"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"]}
    assert sorted(statement["Action"]) == sorted(p.ECR_READ_ACTIONS)
    read, tag = p.cross_account_policy(["222222222222"], ["333333333333"])["Statement"]
    assert read["Principal"] == {"AWS": ["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root"]}
    assert tag["Principal"] == {"AWS": ["arn:aws:iam::333333333333:root"]} and tag["Action"] == ["ecr:PutImage"]
    assert not {"ecr:InitiateLayerUpload", "ecr:UploadLayerPart"} & {*read["Action"], *tag["Action"]}
    for bad in (([], []), (["12345"], [])):
        with pytest.raises(ValueError):
            p.cross_account_policy(*bad)
    assert "Condition" not in tag
    role = "arn:aws:iam::333333333333:role/acme-web-staging"
    _, named = p.cross_account_policy(["222222222222"], ["333333333333"], [role])["Statement"]
    assert named["Condition"] == {"ArnEquals": {"aws:PrincipalArn": [role]}}


def test_request_count_label_from_listener_arn() -> None:
    listener = "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/acme-dev/50dc6c495c0c9188/f2f7dc8efc522ab2"
    suffix = p.load_balancer_arn_suffix(listener)
    assert suffix == "app/acme-dev/50dc6c495c0c9188"
    assert p.request_count_label(suffix, "targetgroup/web/73e2d6bc24d8a067") == (
        "app/acme-dev/50dc6c495c0c9188/targetgroup/web/73e2d6bc24d8a067"
    )
    with pytest.raises(ValueError):
        p.load_balancer_arn_suffix("arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x/y")


@pytest.mark.parametrize(
    ("pr", "index", "priority"), [(1, 0, 10004), (42, 0, 10168), (42, 3, 10171), (43, 0, 10172), (9999, 3, 49999)]
)
def test_preview_priority_table(pr: int, index: int, priority: int) -> None:
    assert preview_priority(pr, index) == priority


@given(
    st.integers(min_value=1, max_value=9999),
    st.integers(min_value=0, max_value=3),
    st.integers(min_value=1, max_value=9999),
    st.integers(min_value=0, max_value=3),
)
def test_preview_priorities_never_collide_and_stay_in_range(a: int, i: int, b: int, j: int) -> None:
    first, second = preview_priority(a, i), preview_priority(b, j)
    assert 10000 < first <= MAX_PRIORITY
    assert (first == second) == ((a, i) == (b, j))


@pytest.mark.parametrize(("pr", "index"), [(0, 0), (10000, 0), (1, 4), (1, -1)])
def test_preview_priority_limits(pr: int, index: int) -> None:
    with pytest.raises(ValueError):
        preview_priority(pr, index)


def test_preview_priority_error_names_the_largest_pr() -> None:
    with pytest.raises(ValueError, match="largest PR number is 9999"):
        preview_priority(10000)


@pytest.mark.parametrize(
    ("weights", "strategy"),
    [
        ((1, 0, 0), [("FARGATE", 1, 0)]),
        ((0, 1, 0), [("FARGATE_SPOT", 1, 0)]),
        ((0, 1, 1), [("FARGATE", 0, 1), ("FARGATE_SPOT", 1, 0)]),
        ((1, 3, 2), [("FARGATE", 1, 2), ("FARGATE_SPOT", 3, 0)]),
        ((2, 5, 0), [("FARGATE", 2, 0), ("FARGATE_SPOT", 5, 0)]),
    ],
)
def test_capacity_provider_strategy(weights: tuple[int, int, int], strategy: list[tuple[str, int, int]]) -> None:
    on_demand_weight, spot_weight, on_demand_base = weights
    assert capacity_provider_strategy(CapacityArgs(on_demand_weight, spot_weight, on_demand_base)) == [
        {"capacity_provider": p, "weight": w, "base": b} for p, w, b in strategy
    ]


def test_capacity_provider_strategy_needs_a_weight() -> None:
    with pytest.raises(ValueError, match="above 0"):
        capacity_provider_strategy(CapacityArgs(on_demand_weight=0, spot_weight=0, on_demand_base=3))


def test_default_rollout_meets_the_dev_and_preview_target() -> None:
    deployment = DeploymentArgs()
    assert deployment.worst_case_switch_seconds == 15
    assert deployment.health_check.timeout < deployment.health_check.interval
