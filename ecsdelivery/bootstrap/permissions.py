"""The derivation table: synthesised resource types -> the IAM actions the AWS provider needs for them.

One row per Pulumi type token the delivery program creates. Each row holds `Grant`s: actions, the resources
they may act on (ARN templates filled from a `Scope`), and a tag condition where AWS supports one for those
actions. What is scoped, and what AWS leaves unscopable, is in each grant's `scope` note (the README lists
them); `unscopable()` returns the actions that can only take `*`.

    statements = derive_statements({"aws:ecs/service:Service"}, scope)

A type the table does not know raises `UnknownResourceType`: a new resource in a program must get a row before
bootstrap renders roles for it, rather than a silent `*`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Component resources register no AWS resource of their own.
COMPONENT_PREFIX = "ecsdelivery:index:"

# Tag conditions: "request" checks the tags a create call carries, "resource" the tags an existing one has.
REQUEST_TAG = "request"
RESOURCE_TAG = "resource"


class UnknownResourceType(ValueError):
    """A synthesised resource type has no row in the derivation table."""


@dataclass(frozen=True)
class Scope:
    """The names one environment's resources are confined to.

    Attributes:
        region, account: where the environment deploys.
        environment: the value of its `Environment` tag (dev, preview, ...).
        prefix: its name prefix (`acme-dev-web`; previews `acme-preview-web-pr-`).
        cluster: the ECS cluster its services run in (previews: the platform stack's).
        load_balancer: the load balancer its listener rules go on (previews: the platform stack's).
    """

    region: str
    account: str
    environment: str
    prefix: str
    cluster: str
    load_balancer: str

    def fill(self, template: str) -> str:
        """An ARN template with {region}, {account}, {prefix}, {prefix32}, {cluster}, {lb32} filled in."""
        return template.format(
            region=self.region,
            account=self.account,
            prefix=self.prefix,
            # Load balancer and target group names are cut at 32 characters (the cut ends in a 6-character hash).
            prefix32=self.prefix[:25],
            cluster=self.cluster,
            lb32=self.load_balancer[:25],
        )


@dataclass(frozen=True)
class Grant:
    """Actions on resources, with an optional tag condition; `scope` says how far it reaches and why."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    scope: str
    tag: str | None = None
    conditions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def _ec2(kind: str) -> str:
    return f"arn:aws:ec2:{{region}}:{{account}}:{kind}/*"


_ROLE = "arn:aws:iam::{account}:role/{prefix}*"
_ECS_LOAD_BALANCER_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRolePolicyForLoadBalancers"
_BUCKET = "arn:aws:s3:::{prefix}*"
_BY_NAME = "buckets named with the prefix"
#: SNS topics named with the stack prefix.
_TOPIC = "arn:aws:sns:{region}:{account}:{prefix}*"
_CLUSTER = "arn:aws:ecs:{region}:{account}:cluster/{cluster}"
_ELB = "arn:aws:elasticloadbalancing:{region}:{account}"
_DESCRIBE_ELB = Grant(
    ("elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
     "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerAttributes",
     "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetGroups",
     "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTags"),
    ("*",),
    "unscopable: Elastic Load Balancing Describe* calls take no resource",
)  # fmt: skip
_DESCRIBE_EC2 = Grant(
    ("ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules", "ec2:DescribeVpcs", "ec2:DescribeSubnets",
     "ec2:DescribeTags"),
    ("*",),
    "unscopable: EC2 Describe* calls take no resource",
)  # fmt: skip
_SECURITY_GROUP_CHANGE = Grant(
    ("ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress",
     "ec2:RevokeSecurityGroupEgress", "ec2:ModifySecurityGroupRules", "ec2:CreateTags", "ec2:DeleteTags",
     "ec2:DeleteSecurityGroup", "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
     "ec2:UpdateSecurityGroupRuleDescriptionsEgress"),
    (_ec2("security-group"), _ec2("security-group-rule")),
    "security groups tagged with this environment (their rules are tagged at creation)",
    tag=RESOURCE_TAG,
)  # fmt: skip

# fmt: off
#: Pulumi type token -> the grants the AWS provider needs to create, read, update and delete it.
DERIVATION: dict[str, tuple[Grant, ...]] = {
    "aws:ecs/cluster:Cluster": (
        Grant(
            (
                "ecs:CreateCluster",
                "ecs:DeleteCluster",
                "ecs:DescribeClusters",
                "ecs:UpdateCluster",
                "ecs:UpdateClusterSettings",
                "ecs:TagResource",
                "ecs:UntagResource",
                "ecs:ListTagsForResource",
            ),
            (_CLUSTER,),
            "the cluster of this environment, by name",
        ),
    ),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": (
        Grant(
            ("ecs:PutClusterCapacityProviders", "ecs:DescribeClusters"),
            (_CLUSTER,),
            "the cluster of this environment, by name",
        ),
    ),
    "aws:ecs/service:Service": (
        Grant(
            (
                "ecs:CreateService",
                "ecs:UpdateService",
                "ecs:DeleteService",
                "ecs:DescribeServices",
                "ecs:TagResource",
                "ecs:UntagResource",
                "ecs:ListTagsForResource",
            ),
            ("arn:aws:ecs:{region}:{account}:service/{cluster}/{prefix}*",),
            "services named with the prefix, in the environment's cluster",
        ),
        Grant(
            ("iam:PassRole",),
            (_ROLE,),
            "roles named with the prefix, passed to ECS only (the role blue/green, canary and linear deployments "
            "move load balancer traffic with)",
            conditions={"StringEquals": {"iam:PassedToService": "ecs.amazonaws.com"}},
        ),
    ),
    "aws:ecs/taskDefinition:TaskDefinition": (
        Grant(
            ("ecs:RegisterTaskDefinition",),
            ("*",),
            "unscopable by name (RegisterTaskDefinition takes no resource); the tags it carries must name this "
            "environment",
            tag=REQUEST_TAG,
        ),
        Grant(
            ("ecs:DescribeTaskDefinition", "ecs:DeregisterTaskDefinition"),
            ("*",),
            "unscopable: AWS allows only * for these calls",
        ),
        Grant(
            ("ecs:TagResource", "ecs:UntagResource", "ecs:ListTagsForResource"),
            ("arn:aws:ecs:{region}:{account}:task-definition/{prefix}*:*",),
            "task definition families named with the prefix",
        ),
        Grant(
            ("iam:PassRole",),
            (_ROLE,),
            "roles named with the prefix, passed to ECS tasks only",
            conditions={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        ),
    ),
    "aws:iam/role:Role": (
        Grant(
            (
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:GetRole",
                "iam:UpdateRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
            ),
            (_ROLE,),
            "roles named with the prefix (the deploy roles themselves are named outside it)",
        ),
    ),
    "aws:iam/rolePolicy:RolePolicy": (
        Grant(
            ("iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"),
            (_ROLE,),
            "inline policies of roles named with the prefix",
        ),
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (
        Grant(
            ("iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies"),
            (_ROLE,),
            "roles named with the prefix, and only the managed policy ECS needs to move load balancer traffic",
            conditions={
                "ArnEquals": {
                    "iam:PolicyARN": _ECS_LOAD_BALANCER_POLICY
                }
            },
        ),
    ),
    "aws:wafv2/webAcl:WebAcl": (
        Grant(
            (
                "wafv2:CreateWebACL",
                "wafv2:GetWebACL",
                "wafv2:UpdateWebACL",
                "wafv2:DeleteWebACL",
                "wafv2:TagResource",
                "wafv2:UntagResource",
                "wafv2:ListTagsForResource",
            ),
            (
                "arn:aws:wafv2:{region}:{account}:regional/webacl/{prefix}*/*",
                "arn:aws:wafv2:{region}:{account}:regional/managedruleset/*/*",
            ),
            "regional web ACLs named with the prefix, and the AWS managed rule groups they reference",
        ),
    ),
    "aws:wafv2/webAclAssociation:WebAclAssociation": (
        Grant(
            ("wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "wafv2:GetWebACLForResource"),
            (
                "arn:aws:wafv2:{region}:{account}:regional/webacl/{prefix}*/*",
                _ELB + ":loadbalancer/app/{prefix32}*/*",
            ),
            "web ACLs and load balancers named with the prefix",
        ),
        Grant(
            ("elasticloadbalancing:SetWebAcl",),
            (_ELB + ":loadbalancer/app/{prefix32}*/*",),
            "load balancers named with the prefix",
        ),
    ),
    "aws:kms/key:Key": (
        Grant(
            ("kms:CreateKey",),
            ("*",),
            "unscopable (a new key has no ARN yet); the tags it carries must name this environment",
            tag=REQUEST_TAG,
        ),
        Grant(
            (
                "kms:DescribeKey",
                "kms:GetKeyPolicy",
                "kms:PutKeyPolicy",
                "kms:GetKeyRotationStatus",
                "kms:EnableKeyRotation",
                "kms:ListResourceTags",
                "kms:TagResource",
                "kms:UntagResource",
                "kms:ScheduleKeyDeletion",
            ),
            ("arn:aws:kms:{region}:{account}:key/*",),
            "keys tagged with this environment",
            tag=RESOURCE_TAG,
        ),
    ),
    "aws:kms/alias:Alias": (
        Grant(
            ("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"),
            ("arn:aws:kms:{region}:{account}:alias/{prefix}*",),
            "aliases named with the prefix",
        ),
        Grant(
            ("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"),
            ("arn:aws:kms:{region}:{account}:key/*",),
            "keys tagged with this environment",
            tag=RESOURCE_TAG,
        ),
        Grant(("kms:ListAliases",), ("*",), "unscopable: ListAliases takes no resource"),
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (
        Grant(
            (
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:DeleteAlarms",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
                "cloudwatch:ListTagsForResource",
            ),
            ("arn:aws:cloudwatch:{region}:{account}:alarm:{prefix}*",),
            "alarms named with the prefix",
        ),
    ),
    "aws:sns/topic:Topic": (
        Grant(
            (
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:GetTopicAttributes",
                "sns:SetTopicAttributes",
                "sns:ListSubscriptionsByTopic",
                "sns:TagResource",
                "sns:UntagResource",
                "sns:ListTagsForResource",
            ),
            (_TOPIC,),
            "topics named with the prefix",
        ),
    ),
    "aws:sns/topicPolicy:TopicPolicy": (
        Grant(("sns:SetTopicAttributes", "sns:GetTopicAttributes"), (_TOPIC,), "topics named with the prefix"),
    ),
    "aws:sns/topicSubscription:TopicSubscription": (
        Grant(("sns:Subscribe",), (_TOPIC,), "topics named with the prefix"),
        Grant(
            ("sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe"),
            ("*",),
            "unscopable: SNS takes no resource for a subscription's own actions; derived only for a stack that "
            "subscribes endpoints (alarm_topic.email, alarm_topic.https)",
        ),
    ),
    "aws:cloudwatch/logGroup:LogGroup": (
        Grant(
            (
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:PutRetentionPolicy",
                "logs:DeleteRetentionPolicy",
                "logs:TagResource",
                "logs:UntagResource",
                "logs:ListTagsForResource",
                "logs:TagLogGroup",
                "logs:ListTagsLogGroup",
            ),
            ("arn:aws:logs:{region}:{account}:log-group:/ecs/{prefix}*",),
            "log groups /ecs/<prefix>*",
        ),
        Grant(
            ("logs:DescribeLogGroups",),
            ("arn:aws:logs:{region}:{account}:log-group:*",),
            "any log group of the account and region (DescribeLogGroups lists by prefix, not by ARN)",
        ),
    ),
    "aws:ec2/securityGroup:SecurityGroup": (
        Grant(
            ("ec2:CreateSecurityGroup",),
            (_ec2("security-group"), _ec2("vpc")),
            "created only with this environment's tags, in any VPC of the account and region",
            tag=REQUEST_TAG,
        ),
        Grant(
            ("ec2:CreateTags",),
            (_ec2("security-group"),),
            "tags written by the create call itself, naming this environment",
            tag=REQUEST_TAG,
            conditions={"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"}},
        ),
        _SECURITY_GROUP_CHANGE,
        _DESCRIBE_EC2,
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        _SECURITY_GROUP_CHANGE,
        Grant(
            ("ec2:CreateTags",),
            (_ec2("security-group-rule"),),
            "tags written by the create call itself, naming this environment",
            tag=REQUEST_TAG,
            conditions={"StringEquals": {"ec2:CreateAction": "AuthorizeSecurityGroupIngress"}},
        ),
        _DESCRIBE_EC2,
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (
        _SECURITY_GROUP_CHANGE,
        Grant(
            ("ec2:CreateTags",),
            (_ec2("security-group-rule"),),
            "tags written by the create call itself, naming this environment",
            tag=REQUEST_TAG,
            conditions={"StringEquals": {"ec2:CreateAction": "AuthorizeSecurityGroupEgress"}},
        ),
        _DESCRIBE_EC2,
    ),
    "awsx:ec2:Vpc": (
        Grant(
            (
                "ec2:CreateVpc",
                "ec2:DeleteVpc",
                "ec2:ModifyVpcAttribute",
                "ec2:CreateSubnet",
                "ec2:DeleteSubnet",
                "ec2:ModifySubnetAttribute",
                "ec2:CreateRouteTable",
                "ec2:DeleteRouteTable",
                "ec2:CreateRoute",
                "ec2:DeleteRoute",
                "ec2:ReplaceRoute",
                "ec2:AssociateRouteTable",
                "ec2:DisassociateRouteTable",
                "ec2:CreateInternetGateway",
                "ec2:DeleteInternetGateway",
                "ec2:AttachInternetGateway",
                "ec2:DetachInternetGateway",
                "ec2:AllocateAddress",
                "ec2:ReleaseAddress",
                "ec2:DisassociateAddress",
                "ec2:CreateNatGateway",
                "ec2:DeleteNatGateway",
                "ec2:CreateTags",
                "ec2:DeleteTags",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupIngress",
            ),
            ("arn:aws:ec2:{region}:{account}:*",),
            "the account and region only: route, route-table association and address calls carry no tags to "
            "condition on",
        ),
        Grant(
            (
                "ec2:DescribeVpcs",
                "ec2:DescribeVpcAttribute",
                "ec2:DescribeSubnets",
                "ec2:DescribeRouteTables",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeAddresses",
                "ec2:DescribeAddressesAttribute",
                "ec2:DescribeNatGateways",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeTags",
            ),
            ("*",),
            "unscopable: EC2 Describe* calls take no resource",
        ),
    ),
    "aws:lb/loadBalancer:LoadBalancer": (
        Grant(
            (
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:RemoveTags",
            ),
            (_ELB + ":loadbalancer/app/{prefix32}*/*",),
            "load balancers named with the prefix (cut to the 32-character limit)",
        ),
        _DESCRIBE_ELB,
        Grant(
            ("iam:CreateServiceLinkedRole",),
            ("arn:aws:iam::{account}:role/aws-service-role/elasticloadbalancing.amazonaws.com/*",),
            "the Elastic Load Balancing service-linked role only",
            conditions={"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
        ),
    ),
    "aws:lb/listener:Listener": (
        Grant(
            (
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:RemoveTags",
            ),
            (_ELB + ":listener/app/{prefix32}*/*", _ELB + ":loadbalancer/app/{prefix32}*/*"),
            "listeners of load balancers named with the prefix",
        ),
        _DESCRIBE_ELB,
    ),
    "aws:lb/listenerRule:ListenerRule": (
        Grant(
            ("elasticloadbalancing:CreateRule", "elasticloadbalancing:AddTags"),
            (_ELB + ":listener/app/{lb32}*/*", _ELB + ":listener-rule/app/{lb32}*/*"),
            "rules on the platform's load balancer, created only with this environment's tags",
            tag=REQUEST_TAG,
        ),
        Grant(
            (
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:SetRulePriorities",
                "elasticloadbalancing:RemoveTags",
            ),
            (_ELB + ":listener-rule/app/{lb32}*/*",),
            "rules on the platform's load balancer tagged with this environment (a preview cannot touch dev's)",
            tag=RESOURCE_TAG,
        ),
        _DESCRIBE_ELB,
    ),
    "aws:lb/targetGroup:TargetGroup": (
        Grant(
            (
                "elasticloadbalancing:CreateTargetGroup",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:RemoveTags",
            ),
            (_ELB + ":targetgroup/{prefix32}*/*",),
            "target groups named with the prefix (cut to the 32-character limit)",
        ),
        _DESCRIBE_ELB,
    ),
    "aws:s3/bucket:Bucket": (
        Grant(
            ("s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucket*",
             "s3:GetAccelerateConfiguration", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration",
             "s3:GetReplicationConfiguration", "s3:PutBucketTagging"),
            (_BUCKET,),
            "buckets named with the prefix",
        ),
        Grant(
            ("s3:DeleteObject", "s3:DeleteObjectVersion"),
            (_BUCKET + "/*",),
            "objects of buckets named with the prefix (emptying a bucket that is destroyed)",
        ),
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        Grant(("s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"), (_BUCKET,), _BY_NAME),
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        Grant(("s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"), (_BUCKET,), _BY_NAME),
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": (
        Grant(("s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"), (_BUCKET,), _BY_NAME),
    ),
    "aws:s3/bucketPolicy:BucketPolicy": (
        Grant(("s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"), (_BUCKET,), _BY_NAME),
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (
        Grant(("s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"), (_BUCKET,), _BY_NAME),
    ),
    "aws:acm/certificate:Certificate": (
        Grant(
            ("acm:RequestCertificate", "acm:AddTagsToCertificate"),
            ("*",),
            "unscopable by name (a new certificate has no ARN yet); the tags it carries must name this environment",
            tag=REQUEST_TAG,
        ),
        Grant(
            ("acm:DescribeCertificate", "acm:DeleteCertificate", "acm:ListTagsForCertificate",
             "acm:RemoveTagsFromCertificate", "acm:AddTagsToCertificate"),
            ("arn:aws:acm:{region}:{account}:certificate/*",),
            "certificates tagged with this environment",
            tag=RESOURCE_TAG,
        ),
    ),
    "aws:acm/certificateValidation:CertificateValidation": (
        Grant(
            ("acm:DescribeCertificate",),
            ("arn:aws:acm:{region}:{account}:certificate/*",),
            "certificates tagged with this environment",
            tag=RESOURCE_TAG,
        ),
    ),
    "aws:route53/record:Record": (
        Grant(
            ("route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets", "route53:GetHostedZone"),
            ("arn:aws:route53:::hostedzone/*",),
            "hosted zones of the account (record changes carry no tags or names to condition on here)",
        ),
        Grant(("route53:GetChange",), ("arn:aws:route53:::change/*",), "the status of the changes it makes"),
    ),
    "aws:appautoscaling/target:Target": (
        Grant(
            (
                "application-autoscaling:RegisterScalableTarget",
                "application-autoscaling:DeregisterScalableTarget",
                "application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:TagResource",
                "application-autoscaling:UntagResource",
                "application-autoscaling:ListTagsForResource",
            ),
            ("arn:aws:application-autoscaling:{region}:{account}:scalable-target/*",),
            "scalable targets of the account and region (their ARNs hold a random id, not the service's name)",
        ),
        Grant(
            ("iam:CreateServiceLinkedRole",),
            ("arn:aws:iam::{account}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/*",),
            "the ECS Application Auto Scaling service-linked role only",
            conditions={"StringEquals": {"iam:AWSServiceName": "ecs.application-autoscaling.amazonaws.com"}},
        ),
    ),
    "aws:appautoscaling/policy:Policy": (
        Grant(
            (
                "application-autoscaling:PutScalingPolicy",
                "application-autoscaling:DeleteScalingPolicy",
                "application-autoscaling:DescribeScalingPolicies",
            ),
            ("arn:aws:application-autoscaling:{region}:{account}:scalable-target/*",),
            "scalable targets of the account and region",
        ),
        Grant(
            ("cloudwatch:DescribeAlarms",),
            ("*",),
            "unscopable: DescribeAlarms lists by name prefix, not by ARN",
        ),
    ),
}
# fmt: on


def _condition(grant: Grant, scope: Scope) -> dict[str, dict[str, Any]]:
    conditions = {op: dict(values) for op, values in grant.conditions.items()}
    if grant.tag == REQUEST_TAG:
        conditions.setdefault("StringEquals", {})["aws:RequestTag/Environment"] = scope.environment
    elif grant.tag == RESOURCE_TAG:
        conditions.setdefault("StringEquals", {})["aws:ResourceTag/Environment"] = scope.environment
    return conditions


def _sid(type_token: str, index: int) -> str:
    """`EcsService0` from `aws:ecs/service:Service`: statement ids say which row granted what."""
    module, _, name = type_token.rpartition(":")
    words = [module.split(":")[-1].split("/")[0], name]
    return "".join(w[:1].upper() + w[1:] for w in words if w).replace("-", "") + str(index)


def derive_statements(resource_types: Iterable[str], scope: Scope) -> list[dict[str, Any]]:
    """IAM policy statements allowing what the provider does for `resource_types`, confined to `scope`.

    Component types (`ecsdelivery:index:*`) need nothing. Statements come out in a stable order (types sorted)
    with grants on the same resources under the same condition merged.

    Raises:
        UnknownResourceType: a type has no row in `DERIVATION`.
    """
    # Statements with the same resources and condition are merged (a role's inline policies share a
    # 10,240-character limit); each keeps the id of the first row that contributed to it.
    merged: dict[str, dict[str, Any]] = {}
    for type_token in sorted(set(resource_types)):
        if type_token.startswith(COMPONENT_PREFIX):
            continue
        grants = DERIVATION.get(type_token)
        if grants is None:
            raise UnknownResourceType(
                f"no IAM permissions are known for resource type {type_token!r}; add a row to "
                "ecsdelivery.bootstrap.permissions.DERIVATION"
            )
        for index, grant in enumerate(grants):
            resources = sorted({scope.fill(r) for r in grant.resources})
            condition = _condition(grant, scope)
            key = json.dumps([resources, condition], sort_keys=True)
            statement = merged.setdefault(
                key,
                {"Sid": _sid(type_token, index), "Effect": "Allow", "Action": [], "Resource": resources}
                | ({"Condition": condition} if condition else {}),
            )
            statement["Action"] = sorted(set(statement["Action"]) | set(grant.actions))
    return list(merged.values())


#: The driver's own reads after `up` and for `outputs` and `rollback`: whether ECS rolled a deployment back, the
#: task definition a service runs and its image (`ecsdelivery.driver.deployments`). Not the provider's: no row.
DEPLOYMENT_READS = Grant(
    ("ecs:ListServiceDeployments", "ecs:DescribeServiceDeployments", "ecs:DescribeServices"),
    (
        "arn:aws:ecs:{region}:{account}:service/{cluster}/{prefix}*",
        "arn:aws:ecs:{region}:{account}:service-deployment/{cluster}/{prefix}*/*",
    ),
    "the deployments of services named with the prefix, in the environment's cluster",
)


def deployment_reads(scope: Scope) -> dict[str, Any]:
    """The statement that lets the driver read its services' deployments (`DEPLOYMENT_READS`) in `scope`.
    `ecs:DescribeTaskDefinition`, which it also calls, is granted with the task definitions (AWS allows only *)."""
    return {
        "Sid": "ServiceDeploymentReads",
        "Effect": "Allow",
        "Action": sorted(DEPLOYMENT_READS.actions),
        "Resource": sorted(scope.fill(r) for r in DEPLOYMENT_READS.resources),
    }


def unscopable() -> dict[str, str]:
    """Action -> why it takes `*`: the grants AWS allows on no narrower resource (for the README and checks)."""
    found: dict[str, str] = {}
    for grants in DERIVATION.values():
        for grant in grants:
            if grant.resources == ("*",):
                for action in grant.actions:
                    found.setdefault(action, grant.scope)
    return found


__all__ = [
    "DEPLOYMENT_READS",
    "DERIVATION",
    "Grant",
    "Scope",
    "UnknownResourceType",
    "deployment_reads",
    "derive_statements",
    "unscopable",
]
