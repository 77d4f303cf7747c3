"""Which inputs AWS sets only at creation, per resource type: the one table of replacement-only properties.

When such an input changes, the provider cannot update the resource: the engine replaces it, creating the new
one before deleting the old (Pulumi's default). A resource whose physical name stays the same across that
replacement collides with itself ("already exists"), and the deploy stops. Two uses of this table keep that
from happening:

- names: `Label.name_for(kind, replace_on=...)` ends a name in a short hash of these inputs, so a change that
  replaces the resource also renames it (`hashed_inputs` checks that a component hashes exactly the table's
  inputs);
- review: `synth ENV --against BEFORE.json` lists the replacements an edit causes, why, whether they mean
  downtime, and any physical name or other unique key that two live resources would hold at once.

The table lists pulumi-aws input names (camelCase, as the engine sees them). The test suite checks it against
CloudFormation's resource schemas (`createOnlyProperties`, shipped offline by cfn-lint), so a schema that adds
one is noticed.

    REPLACE_ONLY["aws:lb/targetGroup:TargetGroup"].replace_on   # ("name", "port", "protocol", ...)
    replacement_reasons("aws:lb/targetGroup:TargetGroup", {"port": 8080}, {"port": 9090})   # ["port"]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ReplaceOnly:
    """The replacement-only inputs of one resource type and what a replacement costs.

    Attributes:
        type: the Pulumi type token, e.g. "aws:lb/targetGroup:TargetGroup".
        replace_on: top-level inputs whose change replaces the resource (including the name input, if any).
        unique_keys: tuples of inputs whose values no two live resources of this type may share at once (the
            physical name and its scope, a listener's port, a rule's priority); () when AWS allows duplicates.
        downtime: why replacing it interrupts traffic whatever the order; None when the engine's
            create-before-delete order can replace it without interruption (services and target groups: the
            traffic replay of `ecsdelivery.synth.engine_order` judges each edit).
        cfn_type: the CloudFormation type with the same replacement rules (None when CloudFormation has none).
    """

    type: str
    replace_on: tuple[str, ...]
    unique_keys: tuple[tuple[str, ...], ...] = ()
    downtime: str | None = None
    cfn_type: str | None = None


_TABLE = (
    ReplaceOnly(
        "aws:lb/targetGroup:TargetGroup",
        ("name", "namePrefix", "port", "protocol", "protocolVersion", "targetType", "vpcId", "ipAddressType"),
        unique_keys=(("name",),),
        cfn_type="AWS::ElasticLoadBalancingV2::TargetGroup",
    ),
    ReplaceOnly(
        "aws:lb/loadBalancer:LoadBalancer",
        ("name", "namePrefix", "internal", "loadBalancerType"),
        unique_keys=(("name",),),
        downtime="a new load balancer has a new DNS name: clients and records follow only once they re-resolve",
        cfn_type="AWS::ElasticLoadBalancingV2::LoadBalancer",
    ),
    ReplaceOnly(
        "aws:lb/listener:Listener",
        ("loadBalancerArn",),
        unique_keys=(("loadBalancerArn", "port"),),
        cfn_type="AWS::ElasticLoadBalancingV2::Listener",
    ),
    ReplaceOnly(
        "aws:lb/listenerRule:ListenerRule",
        ("listenerArn",),
        unique_keys=(("listenerArn", "priority"),),
        cfn_type="AWS::ElasticLoadBalancingV2::ListenerRule",
    ),
    ReplaceOnly(
        "aws:ec2/securityGroup:SecurityGroup",
        ("name", "namePrefix", "description", "vpcId"),
        # Group names are unique within a VPC.
        unique_keys=(("vpcId", "name"),),
        cfn_type="AWS::EC2::SecurityGroup",
    ),
    ReplaceOnly(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        ("securityGroupId",),
        unique_keys=(("securityGroupId", "ipProtocol", "fromPort", "toPort", "cidrIpv4", "referencedSecurityGroupId"),),
        cfn_type="AWS::EC2::SecurityGroupIngress",
    ),
    ReplaceOnly(
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        ("securityGroupId",),
        unique_keys=(("securityGroupId", "ipProtocol", "fromPort", "toPort", "cidrIpv4", "referencedSecurityGroupId"),),
        cfn_type="AWS::EC2::SecurityGroupEgress",
    ),
    ReplaceOnly(
        "aws:ecs/cluster:Cluster",
        ("name",),
        unique_keys=(("name",),),
        downtime="the services in it are replaced with it: their tasks stop and start again in the new cluster",
        cfn_type="AWS::ECS::Cluster",
    ),
    ReplaceOnly(
        "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
        ("clusterName",),
        unique_keys=(("clusterName",),),
        cfn_type="AWS::ECS::ClusterCapacityProviderAssociations",
    ),
    ReplaceOnly(
        "aws:ecs/service:Service",
        ("name", "cluster", "iamRole", "schedulingStrategy"),
        # Service names are unique within a cluster.
        unique_keys=(("cluster", "name"),),
        # Whether a new service means downtime depends on the order: `synth --against` replays it.
        cfn_type="AWS::ECS::Service",
    ),
    ReplaceOnly(
        "aws:ecs/taskDefinition:TaskDefinition",
        (
            "family",
            "containerDefinitions",
            "cpu",
            "memory",
            "networkMode",
            "requiresCompatibilities",
            "runtimePlatform",
            "executionRoleArn",
            "taskRoleArn",
            "volumes",
            "placementConstraints",
            "proxyConfiguration",
            "pidMode",
            "ipcMode",
            "ephemeralStorage",
            "enableFaultInjection",
        ),
        # Every change registers a new revision of the same family: revisions share the name by design.
        cfn_type="AWS::ECS::TaskDefinition",
    ),
    ReplaceOnly(
        "aws:iam/role:Role",
        ("name", "namePrefix", "path"),
        unique_keys=(("name",),),
        cfn_type="AWS::IAM::Role",
    ),
    ReplaceOnly(
        "aws:iam/rolePolicy:RolePolicy",
        ("name", "namePrefix", "role"),
        unique_keys=(("role", "name"),),
        cfn_type="AWS::IAM::RolePolicy",
    ),
    ReplaceOnly(
        "aws:wafv2/webAcl:WebAcl",
        ("name", "namePrefix", "scope"),
        unique_keys=(("name", "scope"),),
        cfn_type="AWS::WAFv2::WebACL",
    ),
    ReplaceOnly(
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        ("resourceArn", "webAclArn"),
        # A load balancer has one web ACL at a time.
        unique_keys=(("resourceArn",),),
        cfn_type="AWS::WAFv2::WebACLAssociation",
    ),
    # CloudFormation updates a key's spec in place by replacing it; pulumi-aws replaces on these.
    ReplaceOnly(
        "aws:kms/key:Key", ("customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId")
    ),
    ReplaceOnly("aws:kms/alias:Alias", ("name", "namePrefix"), unique_keys=(("name",),), cfn_type="AWS::KMS::Alias"),
    ReplaceOnly(
        "aws:sns/topic:Topic",
        ("name", "namePrefix", "fifoTopic"),
        unique_keys=(("name",),),
        cfn_type="AWS::SNS::Topic",
    ),
    # A topic has one policy; CloudFormation's inline policy is the same one-per-topic resource.
    ReplaceOnly(
        "aws:sns/topicPolicy:TopicPolicy", ("arn",), unique_keys=(("arn",),), cfn_type="AWS::SNS::TopicInlinePolicy"
    ),
    ReplaceOnly(
        "aws:sns/topicSubscription:TopicSubscription",
        ("topic", "protocol", "endpoint"),
        # SNS keeps one subscription per topic, protocol and endpoint (subscribing again returns the same one).
        unique_keys=(("topic", "protocol", "endpoint"),),
        cfn_type="AWS::SNS::Subscription",
    ),
    ReplaceOnly(
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        ("name",),
        unique_keys=(("name",),),
        cfn_type="AWS::CloudWatch::Alarm",
    ),
    # CloudFormation sets managed policies as a property of the role; one attachment per role and policy.
    ReplaceOnly(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment", ("role", "policyArn"), unique_keys=(("role", "policyArn"),)
    ),
    ReplaceOnly(
        "aws:cloudwatch/logGroup:LogGroup",
        ("name", "namePrefix"),
        unique_keys=(("name",),),
        cfn_type="AWS::Logs::LogGroup",
    ),
    ReplaceOnly(
        "aws:ecr/repository:Repository",
        ("name", "encryptionConfigurations"),
        unique_keys=(("name",),),
        cfn_type="AWS::ECR::Repository",
    ),
    # CloudFormation sets ECR lifecycle and repository policies as properties of the repository.
    ReplaceOnly("aws:ecr/lifecyclePolicy:LifecyclePolicy", ("repository",), unique_keys=(("repository",),)),
    ReplaceOnly("aws:ecr/repositoryPolicy:RepositoryPolicy", ("repository",), unique_keys=(("repository",),)),
    ReplaceOnly(
        "aws:appautoscaling/target:Target",
        ("resourceId", "scalableDimension", "serviceNamespace"),
        unique_keys=(("serviceNamespace", "resourceId", "scalableDimension"),),
        cfn_type="AWS::ApplicationAutoScaling::ScalableTarget",
    ),
    ReplaceOnly(
        "aws:appautoscaling/policy:Policy",
        ("name", "resourceId", "scalableDimension", "serviceNamespace"),
        unique_keys=(("serviceNamespace", "resourceId", "scalableDimension", "name"),),
        cfn_type="AWS::ApplicationAutoScaling::ScalingPolicy",
    ),
    ReplaceOnly(
        "aws:route53/record:Record",
        ("zoneId", "name"),
        unique_keys=(("zoneId", "name", "type", "setIdentifier"),),
        cfn_type="AWS::Route53::RecordSet",
    ),
    ReplaceOnly(
        "aws:acm/certificate:Certificate",
        (
            "domainName",
            "subjectAlternativeNames",
            "validationOptions",
            "keyAlgorithm",
            "certificateAuthorityArn",
            "options",
        ),
        cfn_type="AWS::CertificateManager::Certificate",
    ),
    # A validation only waits for a certificate; CloudFormation has no such resource.
    ReplaceOnly("aws:acm/certificateValidation:CertificateValidation", ("certificateArn", "validationRecordFqdns")),
    ReplaceOnly(
        "aws:s3/bucket:Bucket",
        ("bucket", "bucketPrefix", "bucketNamespace"),
        # Bucket names are global across accounts.
        unique_keys=(("bucket",),),
        cfn_type="AWS::S3::Bucket",
    ),
    ReplaceOnly(
        "aws:s3/bucketPolicy:BucketPolicy", ("bucket",), unique_keys=(("bucket",),), cfn_type="AWS::S3::BucketPolicy"
    ),
    # CloudFormation sets these as properties of the bucket; each is one per bucket.
    ReplaceOnly("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", ("bucket",), unique_keys=(("bucket",),)),
    ReplaceOnly("aws:s3/bucketOwnershipControls:BucketOwnershipControls", ("bucket",), unique_keys=(("bucket",),)),
    ReplaceOnly(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        ("bucket", "expectedBucketOwner"),
        unique_keys=(("bucket",),),
    ),
    ReplaceOnly(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        ("bucket", "expectedBucketOwner"),
        unique_keys=(("bucket",),),
    ),
    # The awsx VPC component: a new CIDR means a new VPC, and with it new subnets, gateways and routes.
    ReplaceOnly(
        "awsx:ec2:Vpc",
        ("cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"),
        downtime="a new VPC: everything in it moves, and tasks restart in the new subnets",
        cfn_type="AWS::EC2::VPC",
    ),
)

#: Replacement-only inputs by Pulumi type token.
REPLACE_ONLY: dict[str, ReplaceOnly] = {entry.type: entry for entry in _TABLE}


def replacement_reasons(type_: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The replacement-only inputs of `type_` whose values differ between `before` and `after`, in table order."""
    entry = REPLACE_ONLY.get(type_)
    if entry is None:
        return []
    return [key for key in entry.replace_on if before.get(key) != after.get(key)]


def hashed_inputs(type_: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` for a name's hash, checked to cover exactly the replacement-only inputs of `type_` but the name.

    A component passes every replacement-only input it sets (None for one it leaves unset); a key missing or
    extra is a programming error, so a table change cannot silently leave a name unhashed.
    """
    entry = REPLACE_ONLY[type_]
    expected = {key for key in entry.replace_on if key not in ("name", "namePrefix")}
    if set(values) != expected:
        missing, extra = sorted(expected - set(values)), sorted(set(values) - expected)
        raise ValueError(f"{type_}: hash inputs must be {sorted(expected)}; missing {missing}, extra {extra}")
    return dict(values)


__all__ = ["REPLACE_ONLY", "ReplaceOnly", "hashed_inputs", "replacement_reasons"]
