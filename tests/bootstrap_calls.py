"""The AWS calls a deploy makes to create each synthesised resource, as IAM authorises them.

Written from the AWS Service Authorization Reference, independently of the derivation table: for each Pulumi
type, the create call(s) with the resource ARN built from the resource's own inputs (its real name, cluster,
listener) and the request tags it carries. Tests replay these against the rendered roles with the evaluator.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Call:
    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)


def _tags(inputs: Mapping[str, Any]) -> dict[str, str]:
    return {f"aws:RequestTag/{k}": v for k, v in (inputs.get("tags") or {}).items()}


Builder = Callable[[Mapping[str, Any], str, str], list[Call]]


def _service(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    cluster = str(i["cluster"]).rsplit("/", 1)[-1]
    arn = f"arn:aws:ecs:{region}:{account}:service/{cluster}/{i['name']}"
    return [Call("ecs:CreateService", arn, _tags(i)), Call("ecs:UpdateService", arn), Call("ecs:DeleteService", arn)]


def _task_definition(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    calls = [Call("ecs:RegisterTaskDefinition", "*", _tags(i)), Call("ecs:DeregisterTaskDefinition", "*")]
    for key in ("executionRoleArn", "taskRoleArn"):
        if i.get(key):
            calls.append(Call("iam:PassRole", i[key], {"iam:PassedToService": "ecs-tasks.amazonaws.com"}))
    return calls


def _role(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    arn = f"arn:aws:iam::{account}:role/{i['name']}"
    return [Call("iam:CreateRole", arn, _tags(i)), Call("iam:DeleteRole", arn), Call("iam:TagRole", arn, _tags(i))]


def _role_policy(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    return [Call("iam:PutRolePolicy", f"arn:aws:iam::{account}:role/{i['role']}")]


def _log_group(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    arn = f"arn:aws:logs:{region}:{account}:log-group:{i['name']}"
    return [Call("logs:CreateLogGroup", arn, _tags(i)), Call("logs:PutRetentionPolicy", arn)]


def _security_group(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    group = f"arn:aws:ec2:{region}:{account}:security-group/sg-0123456789abcdef0"
    tags = _tags(i)
    return [
        Call("ec2:CreateSecurityGroup", group, tags),
        Call("ec2:CreateSecurityGroup", f"arn:aws:ec2:{region}:{account}:vpc/{i['vpcId']}", tags),
        Call("ec2:CreateTags", group, {**tags, "ec2:CreateAction": "CreateSecurityGroup"}),
        Call("ec2:DeleteSecurityGroup", group, {"aws:ResourceTag/Environment": i["tags"]["Environment"]}),
    ]


def _sg_rule(action: str) -> Builder:
    def calls(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
        group = f"arn:aws:ec2:{region}:{account}:security-group/{i['securityGroupId']}"
        environment = (i.get("tags") or {}).get("Environment")
        return [Call(action, group, {"aws:ResourceTag/Environment": environment} if environment else {})]

    return calls


def _target_group(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    arn = f"arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/{i['name']}/0123456789abcdef"
    return [Call("elasticloadbalancing:CreateTargetGroup", arn, _tags(i))]


def _rule(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    listener = str(i["listenerArn"])
    rule = listener.replace(":listener/", ":listener-rule/") + "/0a1b2c3d4e5f6071"
    environment = (i.get("tags") or {}).get("Environment")
    return [
        Call("elasticloadbalancing:CreateRule", listener, _tags(i)),
        Call("elasticloadbalancing:CreateRule", rule, _tags(i)),
        Call("elasticloadbalancing:ModifyRule", rule, {"aws:ResourceTag/Environment": environment}),
        Call("elasticloadbalancing:DeleteRule", rule, {"aws:ResourceTag/Environment": environment}),
    ]


def _load_balancer(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    arn = f"arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{i['name']}/0123456789abcdef"
    return [Call("elasticloadbalancing:CreateLoadBalancer", arn, _tags(i))]


def _cluster(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    return [Call("ecs:CreateCluster", f"arn:aws:ecs:{region}:{account}:cluster/{i['name']}", _tags(i))]


def _bucket(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    return [
        Call("s3:CreateBucket", f"arn:aws:s3:::{i['bucket']}"),
        Call("s3:PutBucketTagging", f"arn:aws:s3:::{i['bucket']}"),
    ]


def _bucket_call(action: str) -> Builder:
    def calls(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
        return [Call(action, f"arn:aws:s3:::{i['bucket']}")]

    return calls


def _vpc(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    return [
        Call("ec2:CreateVpc", f"arn:aws:ec2:{region}:{account}:vpc/*", _tags(i)),
        Call("ec2:CreateNatGateway", f"arn:aws:ec2:{region}:{account}:natgateway/*", _tags(i)),
        Call("ec2:CreateRoute", f"arn:aws:ec2:{region}:{account}:route-table/rtb-0123"),
    ]


def _scaling_target(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    return [
        Call(
            "application-autoscaling:RegisterScalableTarget",
            f"arn:aws:application-autoscaling:{region}:{account}:scalable-target/0123456789abcdef",
        )
    ]


def _certificate(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    arn = f"arn:aws:acm:{region}:{account}:certificate/0a1b2c3d-0000-0000-0000-000000000000"
    environment = {"aws:ResourceTag/Environment": (i.get("tags") or {}).get("Environment")}
    return [Call("acm:RequestCertificate", "*", _tags(i)), Call("acm:DescribeCertificate", arn, environment)]


def _record(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    return [Call("route53:ChangeResourceRecordSets", f"arn:aws:route53:::hostedzone/{i['zoneId']}")]


def _alarm(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    return [Call("cloudwatch:PutMetricAlarm", f"arn:aws:cloudwatch:{region}:{account}:alarm:{i['name']}", _tags(i))]


def _attachment(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    role = f"arn:aws:iam::{account}:role/{i['role']}"
    return [Call("iam:AttachRolePolicy", role, {"iam:PolicyARN": i["policyArn"]})]


def _service_role(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    """A traffic-shifting service passes its ECS infrastructure role to ECS."""
    calls = _service(i, region, account)
    for strategy in i.get("loadBalancers") or []:
        role = (strategy.get("advancedConfiguration") or {}).get("roleArn")
        if role:
            calls.append(Call("iam:PassRole", role, {"iam:PassedToService": "ecs.amazonaws.com"}))
    return calls


def _web_acl(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    arn = f"arn:aws:wafv2:{region}:{account}:regional/webacl/{i['name']}/0a1b2c3d-0000-0000-0000-000000000000"
    managed = f"arn:aws:wafv2:{region}:{account}:regional/managedruleset/AWS/AWSManagedRulesCommonRuleSet"
    return [Call("wafv2:CreateWebACL", arn, _tags(i)), Call("wafv2:CreateWebACL", managed)]


def _web_acl_association(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    return [
        Call("wafv2:AssociateWebACL", str(i["webAclArn"])),
        Call("wafv2:AssociateWebACL", str(i["resourceArn"])),
        Call("elasticloadbalancing:SetWebAcl", str(i["resourceArn"])),
    ]


def _kms_key(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    key = f"arn:aws:kms:{region}:{account}:key/0a1b2c3d-0000-0000-0000-000000000000"
    environment = {"aws:ResourceTag/Environment": (i.get("tags") or {}).get("Environment")}
    return [
        Call("kms:CreateKey", "*", _tags(i)),
        Call("kms:EnableKeyRotation", key, environment),
        Call("kms:ScheduleKeyDeletion", key, environment),
    ]


def _kms_alias(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    return [Call("kms:CreateAlias", f"arn:aws:kms:{region}:{account}:{i['name']}")]


def _topic(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    arn = f"arn:aws:sns:{region}:{account}:{i['name']}"
    return [Call("sns:CreateTopic", arn, _tags(i)), Call("sns:SetTopicAttributes", arn), Call("sns:DeleteTopic", arn)]


def _topic_policy(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    return [Call("sns:SetTopicAttributes", str(i["arn"]))]


def _subscription(i: Mapping[str, Any], region: str, account: str) -> list[Call]:
    # SNS authorizes a subscription's own actions on no resource (the Service Authorization Reference lists none).
    return [Call("sns:Subscribe", str(i["topic"])), Call("sns:Unsubscribe", "*")]


CALLS: dict[str, Builder] = {
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _attachment,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:route53/record:Record": _record,
    "aws:ecs/service:Service": _service_role,
    "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
    "aws:ecs/cluster:Cluster": _cluster,
    "aws:iam/role:Role": _role,
    "aws:iam/rolePolicy:RolePolicy": _role_policy,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _sg_rule("ec2:AuthorizeSecurityGroupIngress"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _sg_rule("ec2:AuthorizeSecurityGroupEgress"),
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:lb/listenerRule:ListenerRule": _rule,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketPolicy:BucketPolicy": _bucket_call("s3:PutBucketPolicy"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _bucket_call("s3:PutBucketPublicAccessBlock"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _bucket_call("s3:PutLifecycleConfiguration"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _bucket_call(
        "s3:PutEncryptionConfiguration"
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _bucket_call("s3:PutBucketOwnershipControls"),
    "awsx:ec2:Vpc": _vpc,
    "aws:appautoscaling/target:Target": _scaling_target,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:wafv2/webAclAssociation:WebAclAssociation": _web_acl_association,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:sns/topic:Topic": _topic,
    "aws:sns/topicPolicy:TopicPolicy": _topic_policy,
    "aws:sns/topicSubscription:TopicSubscription": _subscription,
}


def deploy_calls(resources: Iterable[Mapping[str, Any]], region: str, account: str) -> list[tuple[str, Call]]:
    """(resource name, call) for every synthesised resource a table entry knows."""
    found = []
    for resource in resources:
        builder = CALLS.get(resource["type"])
        if builder is not None:
            found += [(resource["name"], call) for call in builder(resource["inputs"], region, account)]
    return found


def policy_of(resource_inputs: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(resource_inputs["policy"])
