"""The IAM evaluator against the cases AWS documents: explicit deny, same- and cross-account, wildcards,
Not* elements and condition operators."""

from __future__ import annotations

from typing import Any

import pytest

from ecsdelivery.iam import Request, conditions_match, evaluate, wildcard_match

REPO = "arn:aws:ecr:us-east-1:111111111111:repository/acme/web"
STAGING = "arn:aws:iam::333333333333:role/acme-web-staging"
BUILD = "arn:aws:iam::111111111111:role/acme-web-build"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = REPO, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def grant(principal: Any, action: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action, **extra}


def request(principal: str, action: str, resource: str = REPO, **context: Any) -> Request:
    return Request(principal, action, resource, resource_account=resource.split(":")[4] or None, context=context)


@pytest.mark.parametrize(
    ("identity", "resource", "allowed"),
    [
        # cross-account needs both sides
        ([allow("ecr:PutImage")], grant("333333333333", "ecr:PutImage"), True),
        ([allow("ecr:PutImage")], grant("arn:aws:iam::333333333333:root", "ecr:*"), True),
        ([allow("ecr:PutImage")], grant(STAGING, ["ecr:PutImage"]), True),
        ([allow("ecr:PutImage")], grant("444444444444", "ecr:PutImage"), False),
        ([allow("ecr:PutImage")], grant("333333333333", "ecr:BatchGetImage"), False),
        ([allow("ecr:PutImage")], None, False),
        ([], grant("333333333333", "ecr:PutImage"), False),
        ([allow("ecr:*")], grant("*", "ecr:Put*"), True),
        # explicit deny on either side wins
        ([allow("ecr:*"), {"Effect": "Deny", "Action": "ecr:PutImage", "Resource": "*"}], grant("*", "ecr:*"), False),
        (
            [allow("ecr:*")],
            policy(grant("*", "ecr:*"), {"Effect": "Deny", "Principal": "*", "Action": "ecr:Put*"}),
            False,
        ),
        # NotAction / NotResource / NotPrincipal
        ([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], grant("333333333333", "ecr:PutImage"), True),
        ([{"Effect": "Allow", "NotAction": "ecr:Put*", "Resource": "*"}], grant("333333333333", "ecr:PutImage"), False),
        ([{"Effect": "Allow", "Action": "ecr:PutImage", "NotResource": REPO}], grant("*", "ecr:PutImage"), False),
        (
            [allow("ecr:PutImage")],
            {"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "444444444444"}, "Action": "ecr:PutImage"}]},
            True,
        ),
        # resource wildcards are case-sensitive; actions are not
        (
            [allow("ECR:putimage", "arn:aws:ecr:us-east-1:111111111111:repository/acme/*")],
            grant("*", "ecr:PutImage"),
            True,
        ),
        (
            [allow("ecr:PutImage", "arn:aws:ecr:us-east-1:111111111111:repository/ACME/*")],
            grant("*", "ecr:PutImage"),
            False,
        ),
        (
            [allow("ecr:PutImage", "arn:aws:ecr:us-east-1:111111111111:repository/acme/we?")],
            grant("*", "ecr:PutImage"),
            True,
        ),
        # a statement without Resource in an identity policy grants nothing
        ([{"Effect": "Allow", "Action": "ecr:PutImage"}], grant("*", "ecr:PutImage"), False),
    ],
)
def test_cross_account(identity: list[dict[str, Any]], resource: dict[str, Any] | None, allowed: bool) -> None:
    resource_policy = resource if resource is None or "Statement" in resource else policy(resource)
    decision = evaluate(request(STAGING, "ecr:PutImage"), [policy(*identity)] if identity else [], resource_policy)
    assert decision.allowed is allowed, decision.reason


def test_same_account_identity_policy_suffices_and_account_grants_delegate() -> None:
    call = request(BUILD, "ecr:PutImage")
    assert evaluate(call, [policy(allow("ecr:PutImage"))]).allowed
    # A resource policy naming the account only delegates to identity policies ...
    assert not evaluate(call, [], policy(grant("111111111111", "ecr:PutImage"))).allowed
    # ... one naming the role itself grants on its own.
    assert evaluate(call, [], policy(grant(BUILD, "ecr:PutImage"))).allowed


def test_reasons_name_the_missing_side() -> None:
    decision = evaluate(request(STAGING, "ecr:PutImage"), [policy(allow("ecr:PutImage"))], None)
    assert "crosses from account 333333333333 to 111111111111" in decision.reason
    decision = evaluate(request(STAGING, "ecr:PutImage"), [], policy(grant("*", "ecr:*")))
    assert decision.reason.startswith(f"no identity policy of {STAGING} allows ecr:PutImage")


@pytest.mark.parametrize(
    ("condition", "context", "matches"),
    [
        ({"StringEquals": {"k": "a"}}, {"k": "a"}, True),
        ({"StringEquals": {"k": ["a", "b"]}}, {"k": "b"}, True),
        ({"StringEquals": {"k": "a"}}, {}, False),
        ({"StringEqualsIfExists": {"k": "a"}}, {}, True),
        ({"StringNotEquals": {"k": "a"}}, {}, True),  # a missing key satisfies a negated operator
        ({"StringNotEquals": {"k": ["a", "b"]}}, {"k": "b"}, False),
        ({"StringLike": {"k": "repo:acme/*:ref:refs/heads/*"}}, {"k": "repo:acme/web:ref:refs/heads/main"}, True),
        ({"StringNotLike": {"k": "release/*"}}, {"k": "main"}, True),
        ({"StringEqualsIgnoreCase": {"k": "ABC"}}, {"k": "abc"}, True),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::3*:role/*"}}, {"aws:PrincipalArn": STAGING}, True),
        ({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::3*:role/*"}}, {"aws:PrincipalArn": STAGING}, False),
        ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "true"}, True),
        ({"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": "false"}, False),
        ({"NumericLessThanEquals": {"n": "10"}}, {"n": "10"}, True),
        ({"NumericGreaterThan": {"n": "10"}}, {"n": "x"}, False),
        ({"Null": {"k": "true"}}, {}, True),
        ({"Null": {"k": "false"}}, {}, False),
        ({"ForAnyValue:StringEquals": {"tags": ["a", "z"]}}, {"tags": ["x", "a"]}, True),
        ({"ForAllValues:StringEquals": {"tags": ["a", "b"]}}, {"tags": ["a", "c"]}, False),
        ({"ForAllValues:StringEquals": {"tags": ["a", "b"]}}, {}, True),
        # every operator and every key must hold
        ({"StringEquals": {"a": "1", "b": "2"}}, {"a": "1", "b": "3"}, False),
        ({"StringEquals": {"a": "1"}, "StringLike": {"b": "2*"}}, {"a": "1", "b": "23"}, True),
    ],
)
def test_conditions(condition: dict[str, Any], context: dict[str, Any], matches: bool) -> None:
    assert conditions_match(condition, context) is matches


def test_unknown_condition_operators_are_refused() -> None:
    with pytest.raises(ValueError, match="DateGreaterThan"):
        conditions_match({"DateGreaterThan": {"aws:CurrentTime": "2026-01-01"}}, {"aws:CurrentTime": "x"})
    with pytest.raises(ValueError, match="set operator"):
        conditions_match({"Sometimes:StringEquals": {"k": "a"}}, {"k": "a"})


def test_conditions_see_the_principal() -> None:
    statement = grant("*", "ecr:PutImage", Condition={"StringEquals": {"aws:PrincipalAccount": "333333333333"}})
    identity = [policy(allow("ecr:PutImage"))]
    assert evaluate(request(STAGING, "ecr:PutImage"), identity, policy(statement)).allowed
    other = "arn:aws:iam::444444444444:role/acme-web-prod"
    assert not evaluate(request(other, "ecr:PutImage"), identity, policy(statement)).allowed


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [("*", "", True), ("a?c", "abc", True), ("a?c", "ac", False), ("a.c", "abc", False), ("a*", "ab*", True)],
)
def test_wildcards(pattern: str, value: str, matches: bool) -> None:
    assert wildcard_match(pattern, value) is matches
