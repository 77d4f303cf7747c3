"""The replacement-only table, checked against CloudFormation's resource schemas and the pulumi-aws SDK.

CloudFormation's schemas (shipped offline by cfn-lint) list each type's `createOnlyProperties`: the properties
whose change replaces the resource. The table names pulumi-aws inputs; the mapping below translates them, and
every difference between the two is listed with its reason, so a schema that adds a create-only property (or a
table entry that drifts) fails here.
"""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

from ecsdelivery.naming import HASH_LENGTH, LIMITS, Label, replacement_hash
from ecsdelivery.replace_only import REPLACE_ONLY, hashed_inputs, replacement_reasons

cfn_schema = pytest.importorskip("cfnlint.schema", reason="cfn-lint ships the CloudFormation resource schemas")

# pulumi-aws input -> CloudFormation property, where the name is not simply capitalised.
CFN_NAMES: dict[str, dict[str, str]] = {
    "aws:lb/loadBalancer:LoadBalancer": {"internal": "Scheme", "loadBalancerType": "Type"},
    "aws:ec2/securityGroup:SecurityGroup": {"name": "GroupName", "description": "GroupDescription"},
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {"securityGroupId": "GroupId"},
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {"securityGroupId": "GroupId"},
    "aws:ecs/cluster:Cluster": {"name": "ClusterName"},
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": {"clusterName": "Cluster"},
    "aws:ecs/service:Service": {"name": "ServiceName", "iamRole": "Role"},
    "aws:iam/role:Role": {"name": "RoleName"},
    "aws:iam/rolePolicy:RolePolicy": {"name": "PolicyName", "role": "RoleName"},
    "aws:cloudwatch/logGroup:LogGroup": {"name": "LogGroupName"},
    "aws:cloudwatch/metricAlarm:MetricAlarm": {"name": "AlarmName"},
    "aws:wafv2/webAclAssociation:WebAclAssociation": {"webAclArn": "WebACLArn"},
    "aws:kms/alias:Alias": {"name": "AliasName"},
    "aws:sns/topic:Topic": {"name": "TopicName"},
    "aws:sns/topicPolicy:TopicPolicy": {"arn": "TopicArn"},
    "aws:sns/topicSubscription:TopicSubscription": {"topic": "TopicArn"},
    "aws:ecr/repository:Repository": {
        "name": "RepositoryName",
        "encryptionConfigurations": "EncryptionConfiguration",
    },
    "aws:appautoscaling/policy:Policy": {"name": "PolicyName"},
    "aws:route53/record:Record": {"zoneId": "HostedZoneId"},
    "aws:s3/bucket:Bucket": {"bucket": "BucketName", "bucketPrefix": "BucketNamePrefix"},
    "aws:acm/certificate:Certificate": {"validationOptions": "DomainValidationOptions", "options": "CertificateExport"},
}

_RULE_FIELDS = (
    "pulumi-aws's security group rule resources change a rule in place (ModifySecurityGroupRules); only the "
    "group is fixed. CloudFormation's older rule type has no such call."
)
# CloudFormation create-only properties the table leaves out on purpose, and why.
CFN_ONLY: dict[str, dict[str, str]] = {
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": dict.fromkeys(
        (
            "GroupName",
            "IpProtocol",
            "FromPort",
            "ToPort",
            "CidrIp",
            "CidrIpv6",
            "SourceSecurityGroupId",
            "SourceSecurityGroupName",
            "SourceSecurityGroupOwnerId",
            "SourcePrefixListId",
        ),
        _RULE_FIELDS,
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": dict.fromkeys(
        (
            "IpProtocol",
            "FromPort",
            "ToPort",
            "CidrIp",
            "CidrIpv6",
            "DestinationSecurityGroupId",
            "DestinationPrefixListId",
        ),
        _RULE_FIELDS,
    ),
    "aws:appautoscaling/policy:Policy": {
        "ScalingTargetId": "pulumi-aws names the target by resourceId, scalableDimension and serviceNamespace, "
        "which are in the table",
    },
    "aws:route53/record:Record": {"HostedZoneName": "pulumi-aws takes the zone by id only (zoneId is in the table)"},
    "aws:ecs/taskDefinition:TaskDefinition": {
        "InferenceAccelerators": "pulumi-aws 7 has no such input (Elastic Inference is retired)",
    },
    "awsx:ec2:Vpc": {"VpcEncryptionControl": "awsx's Vpc has no such input"},
}
# Table inputs CloudFormation does not list as create-only, and why.
PROVIDER_ONLY: dict[str, str] = {
    "namePrefix": "a generated-name variant of `name` that CloudFormation does not have",
}
PROVIDER_ONLY_BY_TYPE: dict[str, dict[str, str]] = {
    "aws:route53/record:Record": {
        "name": "the Terraform-based provider keys a record by zone, name and type, so a new name is a new record",
    },
}


def _cfn_create_only(cfn_type: str) -> set[str]:
    schema = cfn_schema.PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", cfn_type).schema
    # "/properties/EncryptionConfiguration/KmsKey" -> "EncryptionConfiguration": the table is per top-level input.
    return {path.split("/")[2] for path in schema.get("createOnlyProperties", [])}


def _cfn_name(type_: str, key: str) -> str:
    return CFN_NAMES.get(type_, {}).get(key, key[:1].upper() + key[1:])


@pytest.mark.parametrize("type_", sorted(t for t, e in REPLACE_ONLY.items() if e.cfn_type))
def test_table_matches_cloudformation_create_only_properties(type_: str) -> None:
    entry = REPLACE_ONLY[type_]
    assert entry.cfn_type is not None
    cfn = _cfn_create_only(entry.cfn_type)
    provider_only = {**PROVIDER_ONLY, **PROVIDER_ONLY_BY_TYPE.get(type_, {})}
    ours = {_cfn_name(type_, key) for key in entry.replace_on if key not in provider_only}
    excused = set(CFN_ONLY.get(type_, {}))
    assert cfn - excused - ours == set(), f"{entry.cfn_type} create-only properties missing from the table"
    assert ours - cfn == set(), f"table inputs of {type_} that {entry.cfn_type} can update in place"
    assert excused <= cfn, "a listed CloudFormation-only property is no longer create-only: drop it from CFN_ONLY"


def _sdk_inputs(type_: str) -> set[str]:
    """camelCase input names of the SDK resource (its `_internal_init` takes every input as a keyword)."""
    package, module_and_name = type_.split(":", 1)
    module = module_and_name.split(":")[0].split("/")[0]
    class_name = type_.rsplit(":", 1)[1]
    sdk = importlib.import_module(f"pulumi_{package}.{module}")
    parameters = inspect.signature(getattr(sdk, class_name)._internal_init).parameters
    skip = {"__self__", "resource_name", "opts", "__props__"}
    return {re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), p) for p in parameters if p not in skip}


@pytest.mark.parametrize("type_", sorted(REPLACE_ONLY))
def test_table_names_real_inputs(type_: str) -> None:
    entry = REPLACE_ONLY[type_]
    inputs = _sdk_inputs(type_)
    assert set(entry.replace_on) - inputs == set()
    for key in entry.unique_keys:
        assert set(key) - inputs == set()


def test_every_resource_type_the_stacks_create_is_in_the_table() -> None:
    from ecsdelivery.synth import synthesize

    types = set()
    for env, pr in (("dev", None), ("staging", None), ("prod", None), ("shared", None), ("preview", 7)):
        result = synthesize(env, pr=pr)
        types |= {r["type"] for r in result.resources if not r["type"].startswith(("ecsdelivery:", "pulumi:"))}
    assert types - set(REPLACE_ONLY) == set()


def test_replacement_reasons_name_the_changed_create_only_inputs() -> None:
    before = {"name": "a", "port": 8080, "healthCheck": {"path": "/"}}
    after = {"name": "a", "port": 9090, "healthCheck": {"path": "/healthz"}}
    assert replacement_reasons("aws:lb/targetGroup:TargetGroup", before, after) == ["port"]
    assert replacement_reasons("aws:lb/targetGroup:TargetGroup", before, before) == []
    assert replacement_reasons("aws:sqs/queue:Queue", before, after) == []


def test_hashed_inputs_must_cover_the_table() -> None:
    values = {"description": "d", "vpcId": "vpc-1"}
    assert hashed_inputs("aws:ec2/securityGroup:SecurityGroup", values) == values
    with pytest.raises(ValueError, match="missing \\['vpcId'\\]"):
        hashed_inputs("aws:ec2/securityGroup:SecurityGroup", {"description": "d"})
    with pytest.raises(ValueError, match="extra \\['port'\\]"):
        hashed_inputs("aws:ec2/securityGroup:SecurityGroup", {**values, "port": 1})


TG_INPUTS = {"port": 8080, "protocol": "HTTP", "targetType": "ip", "vpcId": "vpc-1"}


@pytest.mark.parametrize(
    ("key", "value"), [("port", 9090), ("protocol", "HTTPS"), ("targetType", "lambda"), ("vpcId", "vpc-2")]
)
def test_a_changed_create_only_input_changes_the_name(key: str, value: object) -> None:
    label = Label("acme", "dev", "web")
    before = label.name_for("target_group", replace_on=TG_INPUTS)
    after = label.name_for("target_group", replace_on={**TG_INPUTS, key: value})
    assert before != after
    assert before.startswith("acme-dev-web-") and len(before.rsplit("-", 1)[1]) == HASH_LENGTH


def test_hashed_names_are_stable_and_ignore_unset_inputs() -> None:
    label = Label("acme", "dev", "web")
    name = label.name_for("target_group", replace_on=TG_INPUTS)
    assert name == label.name_for("target_group", replace_on={**TG_INPUTS, "ipAddressType": None})
    assert name == f"acme-dev-web-{replacement_hash(TG_INPUTS)}"


def test_hashed_names_keep_their_hash_within_the_limit() -> None:
    label = Label("acme", "preview", "checkout-service", ("pr-1234",))
    name = label.name_for("target_group", replace_on=TG_INPUTS)
    assert len(name) == LIMITS["target_group"]
    assert name.endswith(f"-{replacement_hash(TG_INPUTS)}")
    other = label.name_for("target_group", replace_on={**TG_INPUTS, "port": 9090})
    assert other != name and len(other) == LIMITS["target_group"]


def test_a_baseline_keeps_the_plain_name_until_an_input_changes() -> None:
    label = Label("acme", "dev", "web")
    baseline = {"internal": False, "loadBalancerType": "application"}
    assert label.name_for("load_balancer", replace_on=baseline, baseline=baseline) == "acme-dev-web"
    changed = label.name_for("load_balancer", replace_on={**baseline, "internal": True}, baseline=baseline)
    assert changed.startswith("acme-dev-web-") and changed != "acme-dev-web"
