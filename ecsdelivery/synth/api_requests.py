"""The AWS API call that creates each recorded resource: pulumi-aws inputs -> service, operation, parameters.

One table, `REQUESTS`, over the payload builders of `ecsdelivery.synth.awsshapes` (the one place that maps
pulumi-aws input names to API parameters): the payload checks validate these requests against botocore's
models, and the tests replay them against a moto server to read back what AWS would hold.

    call = api_request("aws:sns/topic:Topic", {"name": "acme-prod-web-alarms", "kmsMasterKeyId": key_arn})
    call.service, call.operation, call.method   # "sns", "CreateTopic", "create_topic"
    call.params                                 # {"Name": ..., "Attributes": {"KmsMasterKeyId": ...}}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ecsdelivery.synth import awsshapes as shapes

Builder = Callable[[Mapping[str, Any]], dict[str, Any]]

#: Resource type -> (botocore service, operation, request builder).
REQUESTS: dict[str, tuple[str, str, Builder]] = {
    "aws:ec2/securityGroup:SecurityGroup": ("ec2", "CreateSecurityGroup", shapes.security_group_request),
    "aws:lb/loadBalancer:LoadBalancer": ("elbv2", "CreateLoadBalancer", shapes.load_balancer_request),
    "aws:lb/targetGroup:TargetGroup": ("elbv2", "CreateTargetGroup", shapes.target_group_request),
    "aws:lb/listener:Listener": ("elbv2", "CreateListener", shapes.listener_request),
    "aws:lb/listenerRule:ListenerRule": ("elbv2", "CreateRule", shapes.listener_rule_request),
    "aws:s3/bucket:Bucket": ("s3", "CreateBucket", shapes.bucket_request),
    "aws:s3/bucketPolicy:BucketPolicy": ("s3", "PutBucketPolicy", shapes.bucket_policy_request),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (
        "s3",
        "PutPublicAccessBlock",
        shapes.public_access_block_request,
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        "s3",
        "PutBucketLifecycleConfiguration",
        shapes.lifecycle_configuration_request,
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "s3",
        "PutBucketEncryption",
        shapes.encryption_request,
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": (
        "s3",
        "PutBucketOwnershipControls",
        shapes.ownership_request,
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("cloudwatch", "PutMetricAlarm", shapes.metric_alarm_request),
    "aws:cloudwatch/logGroup:LogGroup": ("logs", "CreateLogGroup", shapes.log_group_request),
    "aws:wafv2/webAcl:WebAcl": ("wafv2", "CreateWebACL", shapes.web_acl_request),
    "aws:wafv2/webAclAssociation:WebAclAssociation": (
        "wafv2",
        "AssociateWebACL",
        shapes.web_acl_association_request,
    ),
    "aws:kms/key:Key": ("kms", "CreateKey", shapes.kms_key_request),
    "aws:kms/alias:Alias": ("kms", "CreateAlias", shapes.kms_alias_request),
    "aws:iam/role:Role": ("iam", "CreateRole", shapes.role_request),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (
        "iam",
        "AttachRolePolicy",
        shapes.role_policy_attachment_request,
    ),
    "aws:sns/topic:Topic": ("sns", "CreateTopic", shapes.topic_request),
    "aws:sns/topicPolicy:TopicPolicy": ("sns", "SetTopicAttributes", shapes.topic_policy_request),
    "aws:sns/topicSubscription:TopicSubscription": ("sns", "Subscribe", shapes.subscription_request),
}


@dataclass(frozen=True)
class ApiRequest:
    """One API call: botocore `service` and `operation`, the client `method` name, and its `params`."""

    service: str
    operation: str
    params: dict[str, Any]

    @property
    def method(self) -> str:
        """The boto3 client method, e.g. `put_metric_alarm` for PutMetricAlarm."""
        from botocore import xform_name

        return xform_name(self.operation)


def api_request(type_: str, inputs: Mapping[str, Any]) -> ApiRequest | None:
    """The create call for a resource of `type_` with these inputs; None for a type not in `REQUESTS`."""
    entry = REQUESTS.get(type_)
    if entry is None:
        return None
    service, operation, build = entry
    return ApiRequest(service, operation, build(inputs))


__all__ = ["REQUESTS", "ApiRequest", "api_request"]
