"""IAM policy evaluation: would AWS allow a request, given the caller's identity policies and a resource policy.

from ecsdelivery.iam import Request, evaluate

decision = evaluate(
    Request("arn:aws:iam::333333333333:role/acme-web-staging", "ecr:PutImage",
            "arn:aws:ecr:us-east-1:111111111111:repository/acme/web", resource_account="111111111111"),
    identity_policies=[staging_role_policy],
    resource_policy=repository_policy,
)
"""

from ecsdelivery.iam.conditions import conditions_match
from ecsdelivery.iam.evaluate import Decision, Request, evaluate, wildcard_match

__all__ = ["Decision", "Request", "conditions_match", "evaluate", "wildcard_match"]
